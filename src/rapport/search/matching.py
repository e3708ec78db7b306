"""Reading a query (name, email, domain, phone) and ranking candidate entries, for both engines.

The engines find candidates with their own indexes; ranking happens here so both engines order
hits the same way: exact and prefix matches of the name or address first, then word-prefix and
substring matches, then matches in other text, then typo-tolerant matches by similarity.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from rapport.search.index import fold, phone_digits

PHONE_QUERY = re.compile(r"^\+?[\d\s().\-/]+$")
DOMAIN_QUERY = re.compile(r"^(?:https?://)?(?:www\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})/?$")
WORD = re.compile(r"\w+")
MIN_TRIGRAM = 3
PHONE_MIN_DIGITS = 7  # from this many digits a query is a phone number, matched on its last 10
PHONE_MATCH_DIGITS = 10
TYPO_THRESHOLD = 0.66


@dataclass(frozen=True)
class ParsedQuery:
    raw: str
    folded: str
    words: tuple[str, ...]
    email: str | None = None  # the query as an (partial) email address
    domain: str | None = None  # the query as a domain name
    digits: str | None = None  # phone digits to find inside stored numbers
    e164: str | None = None  # the full number, when the query reads as one

    @property
    def is_phone(self) -> bool:
        return bool(self.digits) and len(self.digits) >= PHONE_MIN_DIGITS

    @property
    def wants_text(self) -> bool:
        """Whether names and other text are searched (not for a full phone number or an address)."""
        return bool(self.words) and not self.is_phone and self.email is None

    @property
    def short(self) -> bool:
        return len(self.folded) < MIN_TRIGRAM


def parse(text: str, region: str = "") -> ParsedQuery:
    raw = " ".join((text or "").split())[:200]
    folded = fold(raw)
    email = domain = digits = e164 = None
    lowered = raw.lower()
    if "@" in raw and " " not in raw:
        email = lowered
    elif match := DOMAIN_QUERY.match(lowered):
        domain = match.group(1).removeprefix("www.")
    if PHONE_QUERY.match(raw):
        all_digits = re.sub(r"\D", "", raw)
        if len(all_digits) >= PHONE_MIN_DIGITS:
            digits = all_digits[-PHONE_MATCH_DIGITS:]
            e164 = phone_digits(raw, region) or None
        elif len(all_digits) >= MIN_TRIGRAM:
            digits = all_digits
    return ParsedQuery(raw, folded, tuple(WORD.findall(folded)), email, domain, digits, e164)


@dataclass
class Candidate:
    entry_id: int
    content_type_id: int
    object_id: int
    title: str
    subtitle: str
    title_key: str
    emails: str
    phones: str
    domains: str
    engine_rank: float = 0.0
    typo: bool = False  # found by the typo-tolerant pass
    score: float = 0.0


def typo_trigrams(words: tuple[str, ...], *, first: bool = True) -> list[str]:
    """Trigrams that a misspelt word shares with its correct form.

    A transposition ("jonh") shares no trigram with the right word ("john"), so the trigrams of
    every one-letter-deleted variant are added ("joh" from "jon_h"), plus " xy" for the start of
    each later word, as the name column holds words separated by spaces.
    """
    grams: set[str] = set()
    for index, word in enumerate(words):
        variants = {word} | {word[:i] + word[i + 1 :] for i in range(len(word))} if len(word) >= 4 else {word}
        for variant in variants:
            grams.update(variant[i : i + 3] for i in range(len(variant) - 2))
        if (index or not first) and len(word) >= 2:
            grams.add(" " + word[:2])
    return sorted(grams)


def similarity(query: str, title_key: str) -> float:
    """Typo similarity: each query word against its closest title word, averaged (0..1)."""
    words, title_words = WORD.findall(query), WORD.findall(title_key)
    if not words or not title_words:
        return 0.0
    best = [max(difflib.SequenceMatcher(None, w, t).ratio() for t in title_words) for w in words]
    whole = difflib.SequenceMatcher(None, query, title_key).ratio()
    return max(sum(best) / len(best), whole)


def _text_score(pq: ParsedQuery, c: Candidate) -> float:
    title, query = c.title_key, pq.folded
    if not query:
        return 0.0
    title_words = title.split()
    if title == query:
        return 100.0
    if title.startswith(query):
        return 92.0
    if all(any(t.startswith(w) for t in title_words) for w in pq.words):
        return 85.0
    if query in title:
        return 75.0
    if all(w in title for w in pq.words):
        return 65.0
    if all(w in title or w in c.emails for w in pq.words):
        return 55.0
    if c.typo:
        sim = similarity(query, title)
        return 10.0 + 30.0 * sim if sim >= TYPO_THRESHOLD else 0.0
    return 40.0  # found by the engine in other text (custom fields, notes...)


def score(pq: ParsedQuery, c: Candidate) -> float:
    best = 0.0
    if pq.digits:
        phones = c.phones.split()
        if pq.e164 and pq.e164 in phones:
            best = max(best, 100.0)
        elif any(p.endswith(pq.digits) for p in phones):
            best = max(best, 95.0 if pq.is_phone else 80.0)
        elif any(pq.digits in p for p in phones):
            best = max(best, 70.0)
    if pq.email:
        emails = c.emails.split()
        if pq.email in emails:
            best = max(best, 100.0)
        elif any(e.startswith(pq.email) for e in emails):
            best = max(best, 90.0)
        elif pq.email in c.emails:
            best = max(best, 75.0)
    if pq.domain:
        domains, emails = c.domains.split(), c.emails.split()
        if pq.domain in domains:
            best = max(best, 100.0)
        elif any(e.endswith("@" + pq.domain) for e in emails):
            best = max(best, 90.0)
        elif pq.domain in c.domains or pq.domain in c.emails:
            best = max(best, 70.0)
    if pq.wants_text:
        best = max(best, _text_score(pq, c))
    return best


def rank(pq: ParsedQuery, candidates: list[Candidate]) -> list[Candidate]:
    """Score, drop non-matches (typo candidates below the threshold), best first, one per record."""
    by_entry: dict[int, Candidate] = {}
    for candidate in candidates:
        known = by_entry.get(candidate.entry_id)
        if known is None or (known.typo and not candidate.typo):
            by_entry[candidate.entry_id] = candidate
    kept = []
    for candidate in by_entry.values():
        candidate.score = score(pq, candidate)
        if candidate.score > 0:
            kept.append(candidate)
    # Among equal scores a shorter name is the closer match; then the engine's own rank.
    kept.sort(key=lambda c: (-c.score, len(c.title_key), -c.engine_rank, c.title_key, c.entry_id))
    return kept
