"""The two search engines behind one interface: ``engine().candidates(query, ...)``.

Each engine only *finds* candidate entries, always through its own indexes (never a
``LIKE '%x%'`` scan of an unindexed column); :mod:`rapport.search.matching` ranks them.

- PostgreSQL: tsvector prefix matches (GIN) OR trigram substring matches (pg_trgm GIN) on the
  name and addresses; phones by trigram substring on the digits; typos by correcting each word
  against the word list (pg_trgm similarity) and matching the corrections.
- SQLite: FTS5 with the trigram tokenizer (substring matches in every column); typos by an OR
  of the query's trigrams, re-ranked in Python with difflib.
- Queries shorter than three characters use a B-tree prefix match on the name or first email.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction

from rapport.search.matching import MIN_TRIGRAM, Candidate, ParsedQuery, typo_trigrams

COLUMNS = "e.id, e.content_type_id, e.object_id, e.title, e.subtitle, e.title_key, e.emails, e.phones, e.domains"
TABLE = "search_searchentry"
TYPO_CANDIDATES = 200
TYPO_WORD_CANDIDATES = 20  # similar words read from the word list per query word (PostgreSQL)
TYPO_CORRECTIONS = 5  # of which the closest are tried
TYPO_WHEN_FEWER_THAN = 5
PG_TYPO_THRESHOLD = 0.2


def _candidates(rows: Sequence[Sequence[Any]], *, typo: bool = False) -> list[Candidate]:
    return [Candidate(*row[:9], engine_rank=float(row[9] or 0), typo=typo) for row in rows]


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix`` (code point order,
    which is UTF-8 byte order: SQLite's BINARY and PostgreSQL's "C" collation)."""
    last = ord(prefix[-1])
    if last >= 0x10FFFF:
        return prefix + "\U0010ffff"
    following = 0xE000 if 0xD7FF <= last < 0xE000 else last + 1  # never a surrogate
    return prefix[:-1] + chr(following)


def distinctive(text: str) -> str:
    """``text`` without its top-level domain: trigrams such as ".co" and "com" are in nearly every
    row, and reading their postings is most of the cost of a substring match. Callers re-check the
    full text on the rows found (:func:`with_email`, :func:`with_domain`)."""
    head, dot, tail = text.rpartition(".")
    return head if dot and tail.isalpha() and len(head) >= MIN_TRIGRAM else text


def with_email(email: str, rows: list[Candidate]) -> list[Candidate]:
    return [row for row in rows if email in row.emails]


def with_domain(domain: str, rows: list[Candidate]) -> list[Candidate]:
    return [row for row in rows if domain in row.domains or f"@{domain}" in row.emails]


class Engine:
    vendor = ""

    def candidates(
        self, pq: ParsedQuery, *, workspace_id: int, content_type_ids: list[int], limit: int
    ) -> list[Candidate]:
        if not content_type_ids or not pq.folded:
            return []
        found: list[Candidate] = []
        scope = (workspace_id, list(content_type_ids))
        if pq.digits:
            found += self.phone(pq.digits, scope, limit)
        if pq.email and len(pq.email) >= MIN_TRIGRAM:
            found += self.email(pq.email, scope, limit)
        domain_hits: list[Candidate] = []
        if pq.domain:
            domain_hits = self.domain(pq.domain, scope, limit)
            found += domain_hits
        if pq.wants_text and not domain_hits:  # "acme.com" found as a domain needs no word search
            if pq.short:
                found += self.prefix(pq.folded, scope, limit)
            else:
                text_hits = self.text(pq, scope, limit)
                found += text_hits
                if len(text_hits) < TYPO_WHEN_FEWER_THAN:  # few or no hits: maybe a typo
                    found += self.typo(pq, scope, TYPO_CANDIDATES)
        return found

    def _fetch(self, sql: str, params: Sequence[Any]) -> list[Sequence[Any]]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    # Each engine implements these; ``scope`` is (workspace_id, content_type_ids).
    def phone(self, digits: str, scope: tuple[int, list[int]], limit: int) -> list[Candidate]:
        raise NotImplementedError

    def email(self, email: str, scope: tuple[int, list[int]], limit: int) -> list[Candidate]:
        raise NotImplementedError

    def domain(self, domain: str, scope: tuple[int, list[int]], limit: int) -> list[Candidate]:
        raise NotImplementedError

    def prefix(self, prefix: str, scope: tuple[int, list[int]], limit: int) -> list[Candidate]:
        raise NotImplementedError

    def text(self, pq: ParsedQuery, scope: tuple[int, list[int]], limit: int) -> list[Candidate]:
        raise NotImplementedError

    def typo(self, pq: ParsedQuery, scope: tuple[int, list[int]], limit: int) -> list[Candidate]:
        raise NotImplementedError


class PostgresEngine(Engine):
    """Bounded queries only: ordered B-tree ranges for prefixes, and GIN matches without ORDER BY
    (a LIMIT stops the heap scan early, so a common fragment costs the same as a rare one)."""

    vendor = "postgresql"
    WHERE_SCOPE = "e.workspace_id = %s AND e.content_type_id = ANY(%s)"

    def _range(self, column: str, prefix: str, scope: tuple[int, list[int]], limit: int) -> list[Candidate]:
        """Rows whose ``column`` starts with ``prefix``, in byte order, one index range per record type.

        One statement: the ranges of every record type joined by UNION ALL (each keeps its own
        ORDER BY … LIMIT on the byte-order index), instead of one query per type.
        """
        workspace_id, content_type_ids = scope
        if not content_type_ids:
            return []
        key = f'(e.{column} COLLATE "C")'
        one = (
            f"(SELECT {COLUMNS}, 0 FROM {TABLE} e "  # noqa: S608 - fixed SQL
            f"WHERE e.workspace_id = %s AND e.content_type_id = %s AND {key} >= %s AND {key} < %s "
            f"ORDER BY {key} LIMIT %s)"
        )
        upper = prefix_upper_bound(prefix)
        params = [v for ct in content_type_ids for v in (workspace_id, ct, prefix, upper, limit)]
        return _candidates(self._fetch(" UNION ALL ".join([one] * len(content_type_ids)), params))

    def _match(self, condition: str, params: list[Any], scope: tuple[int, list[int]], limit: int, rank: str = "0"):
        sql = (
            f"SELECT {COLUMNS}, {rank} FROM {TABLE} e WHERE {self.WHERE_SCOPE} AND ({condition}) "  # noqa: S608
            "LIMIT %s"
        )
        return _candidates(self._fetch(sql, [*scope, *params, limit]))

    def phone(self, digits, scope, limit):
        return self._match("e.phones LIKE %s", [f"%{digits}%"], scope, limit)

    def email(self, email, scope, limit):
        found = self._range("email_key", email, scope, limit)  # the first address: exact or prefix
        if not found:
            pattern = f"%{like_escape(distinctive(email))}%"
            found = with_email(email, self._match("e.emails LIKE %s", [pattern], scope, limit * 2))
        return found

    def domain(self, domain, scope, limit):
        # Company domains and email domains are whole lexemes of search_vector (see index._entry).
        rows = self._match("e.search_vector @@ plainto_tsquery('simple', %s)", [domain], scope, limit * 2)
        if not rows:  # a part of a domain ("acme" of "eu.acme.com"): trigram substrings
            escaped = like_escape(distinctive(domain))
            condition = "e.domains LIKE %s OR e.emails LIKE %s"
            rows = self._match(condition, [f"%{escaped}%", f"%@{escaped}%"], scope, limit * 2)
        return with_domain(domain, rows)

    def prefix(self, prefix, scope, limit):
        return self._range("title_key", prefix, scope, limit) + self._range("email_key", prefix, scope, limit)

    def text(self, pq, scope, limit):
        found = self._range("title_key", pq.folded, scope, limit)  # the exact name and names starting so
        tsquery = " & ".join(f"{word}:*" for word in pq.words)
        if len(pq.words) > 1:  # several words: each starts a word (an address holds no spaces)
            return found + self._match("e.search_vector @@ to_tsquery('simple', %s)", [tsquery], scope, limit)
        pattern = f"%{like_escape(pq.folded)}%"  # one word: also inside a name or an address
        condition = "e.search_vector @@ to_tsquery('simple', %s) OR e.title_key LIKE %s OR e.emails LIKE %s"
        return found + self._match(condition, [tsquery, pattern, pattern], scope, limit)

    def typo(self, pq, scope, limit):
        """Correct each word against the word list (trigram similarity), then match the corrections."""
        groups = []
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL pg_trgm.similarity_threshold = {PG_TYPO_THRESHOLD:.2f}")
            for word in pq.words:
                if len(word) < MIN_TRIGRAM:
                    continue
                cursor.execute(
                    "SELECT word FROM search_searchword WHERE word %% %s ORDER BY similarity(word, %s) DESC, word "
                    "LIMIT %s",
                    [word, word, TYPO_WORD_CANDIDATES],
                )
                close = [w for (w,) in cursor.fetchall() if difflib.SequenceMatcher(None, w, word).ratio() >= 0.6]
                groups.append(close[:TYPO_CORRECTIONS] or [f"{word}:*"])
        if not groups:
            return []
        tsquery = " & ".join("(" + " | ".join(group) + ")" for group in groups)
        rows = self._match("e.search_vector @@ to_tsquery('simple', %s)", [tsquery], scope, limit)
        for row in rows:
            row.typo = True
        return rows


def fts_phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


class SQLiteEngine(Engine):
    vendor = "sqlite"

    def _match(self, match: str, scope: tuple[int, list[int]], limit: int, *, typo: bool = False):
        workspace_id, content_type_ids = scope
        marks = ", ".join(["%s"] * len(content_type_ids))
        # bm25 weights follow the FTS columns: title_key, body, emails, domains, phones.
        sql = (
            f"SELECT {COLUMNS}, -bm25(search_fts, 10.0, 1.0, 4.0, 4.0, 4.0) AS rank "  # noqa: S608 - fixed SQL
            f"FROM search_fts JOIN {TABLE} e ON e.id = search_fts.rowid "
            f"WHERE search_fts MATCH %s AND e.workspace_id = %s AND e.content_type_id IN ({marks}) "
            "ORDER BY bm25(search_fts, 10.0, 1.0, 4.0, 4.0, 4.0) LIMIT %s"
        )
        return _candidates(self._fetch(sql, [match, workspace_id, *content_type_ids, limit]), typo=typo)

    def phone(self, digits, scope, limit):
        return self._match(f"phones : {fts_phrase(digits)}", scope, limit)

    def email(self, email, scope, limit):
        return with_email(email, self._match(f"emails : {fts_phrase(distinctive(email))}", scope, limit * 2))

    def domain(self, domain, scope, limit):
        rows = self._match(f"{{domains emails}} : {fts_phrase(distinctive(domain))}", scope, limit * 2)
        return with_domain(domain, rows)

    def prefix(self, prefix, scope, limit):
        workspace_id, content_type_ids = scope
        marks = ", ".join(["%s"] * len(content_type_ids))
        upper = prefix_upper_bound(prefix)
        found = []
        for column in ("title_key", "email_key"):  # each a B-tree range on (workspace, type, column)
            sql = (
                f"SELECT {COLUMNS}, 0 FROM {TABLE} e "  # noqa: S608 - fixed SQL
                f"WHERE e.workspace_id = %s AND e.content_type_id IN ({marks}) "
                f"AND e.{column} >= %s AND e.{column} < %s ORDER BY e.{column}, e.id LIMIT %s"
            )
            found += _candidates(self._fetch(sql, [workspace_id, *content_type_ids, prefix, upper, limit]))
        return found

    def text(self, pq, scope, limit):
        long_words = [w for w in pq.words if len(w) >= MIN_TRIGRAM]
        if not long_words:
            return self.prefix(pq.folded, scope, limit)
        terms = " AND ".join(fts_phrase(w) for w in long_words)
        return self._match(f"{{title_key body emails}} : ({terms})", scope, limit)

    def typo(self, pq, scope, limit):
        # Every word must share a trigram with the name (AND of one OR-group per word); a single
        # OR over all trigrams would match most of a large table on common trigrams.
        groups = [typo_trigrams((word,), first=index == 0) for index, word in enumerate(pq.words)]
        groups = [g for g in groups if g]
        if not groups:
            return []
        terms = " AND ".join("(" + " OR ".join(fts_phrase(t) for t in group) + ")" for group in groups)
        return self._match(f"title_key : ({terms})", scope, limit, typo=True)


def engine() -> Engine:
    return PostgresEngine() if connection.vendor == "postgresql" else SQLiteEngine()
