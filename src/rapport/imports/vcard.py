"""vCard 2.1, 3.0 and 4.0 (RFC 2426 / 6350, and the 2.1 dialect phones still write) to a table.

Parsed at the byte level, because 2.1 cards carry their charset per property (``CHARSET=SHIFT_JIS``,
raw Windows-1252 bytes, quoted-printable ISO-8859-2) and some 3.0 exports fold lines in the middle
of a multi-byte character. Each card becomes one row with fixed column names (First Name, E-mail 1,
Phone 1 …) that the mapper recognises like any CSV header.
"""

from __future__ import annotations

import quopri
import re

from rapport.imports.readers import ReadError, Table, _bom, _utf16_without_bom, detect_encoding

_LINE = re.compile(rb"^([A-Za-z0-9\-_]+\.)?([A-Za-z0-9\-_]+)((?:;[^:]*)?):(.*)$", re.DOTALL)
MAX_EMAILS = 3
MAX_PHONES = 4
COLUMNS = [
    "Full Name",
    "First Name",
    "Last Name",
    "Middle Name",
    "Prefix",
    "Suffix",
    "Company",
    "Department",
    "Job Title",
    *[f"E-mail {n}" for n in range(1, MAX_EMAILS + 1)],
    *[f"Phone {n}" for n in range(1, MAX_PHONES + 1)],
    *[f"Phone {n} Type" for n in range(1, MAX_PHONES + 1)],
    "Street",
    "City",
    "Region",
    "Postal Code",
    "Country",
    "Birthday",
    "Website",
    "Notes",
    "Categories",
    "UID",
]


def _to_utf8(data: bytes) -> bytes:
    bom = _bom(data)
    encoding = bom[0] if (bom and bom[0].startswith("utf-16")) or (bom and bom[0].startswith("utf-32")) else None
    encoding = encoding or _utf16_without_bom(data)
    if encoding:
        return data.decode(encoding).lstrip("\ufeff").encode("utf-8")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:]
    return data


def _logical_lines(data: bytes) -> list[bytes]:
    data = data.replace(b"\r\r\n", b"\n").replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    out: list[bytes] = []
    qp_continues = False
    for line in data.split(b"\n"):
        if out and (line[:1] in (b" ", b"\t")):
            # RFC folding: the first white-space character is not content (2.1 base64 keeps it harmlessly).
            out[-1] += line[1:]
            qp_continues = False
            continue
        if out and qp_continues:
            out[-1] = out[-1][:-1] + line  # quoted-printable soft line break "=" at the end
            qp_continues = line.endswith(b"=") and b"QUOTED-PRINTABLE" in out[-1].split(b":", 1)[0].upper()
            continue
        if out and line and not _LINE.match(line) and not line.upper().startswith((b"BEGIN:", b"END:")):
            out[-1] += line  # 2.1 base64 body lines without indentation
            continue
        out.append(line)
        head = line.split(b":", 1)[0].upper()
        qp_continues = line.endswith(b"=") and b"QUOTED-PRINTABLE" in head
    return out


def _params(raw: bytes) -> tuple[dict[str, str], set[str]]:
    named: dict[str, str] = {}
    bare: set[str] = set()
    for part in raw.decode("ascii", errors="replace").split(";")[1:]:
        if "=" in part:
            key, value = part.split("=", 1)
            key = key.strip().upper()
            value = value.strip().strip('"')
            named[key] = f"{named[key]},{value}" if key in named else value
        elif part.strip():
            bare.add(part.strip().upper())
    return named, bare


def _decode_value(value: bytes, named: dict[str, str], bare: set[str], default: str) -> str:
    encoding = named.get("ENCODING", "").upper()
    if encoding in ("QUOTED-PRINTABLE", "QP") or "QUOTED-PRINTABLE" in bare:
        value = quopri.decodestring(value)
    elif encoding in ("B", "BASE64") or "BASE64" in bare:
        return ""  # binary (photo, sound): not imported as text
    charset = named.get("CHARSET")
    for candidate in (charset, "utf-8", default, "cp1252"):
        if not candidate:
            continue
        try:
            return value.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    return value.decode("cp1252", errors="replace")


def _unescape(text: str) -> str:
    return re.sub(r"\\([nN,;:\\])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), text)


def _components(text: str) -> list[str]:
    return [_unescape(p).strip() for p in re.split(r"(?<!\\);", text)]


def _types(named: dict[str, str], bare: set[str]) -> set[str]:
    types = {t.strip().lower() for t in named.get("TYPE", "").split(",") if t.strip()}
    return types | {b.lower() for b in bare if b not in ("QUOTED-PRINTABLE", "BASE64", "PREF")}


def _phone_label(types: set[str]) -> str:
    for vcard_type, label in (("cell", "mobile"), ("fax", "fax"), ("home", "home"), ("work", "work")):
        if vcard_type in types:
            return label
    return "other" if types - {"voice", "pref"} else "work"


def read_vcards(data: bytes) -> Table:
    data = _to_utf8(data)
    lines = _logical_lines(data)
    # Detect on the unfolded lines: some exports fold in the middle of a UTF-8 character.
    default = detect_encoding(b"\n".join(lines))
    if default.startswith("utf-16"):
        default = "utf-8"
    rows: list[list[str]] = []
    card: dict[str, list] | None = None
    for line in lines:
        match = _LINE.match(line.strip(b"\x00"))
        if not match:
            continue
        name = match.group(2).decode("ascii").upper()
        value_bytes = match.group(4)
        if name == "BEGIN" and value_bytes.strip().upper() == b"VCARD":
            card = {}
            continue
        if card is None:
            continue  # junk before the first card
        if name == "END" and value_bytes.strip().upper() == b"VCARD":
            rows.append(_row(card))
            card = None
            continue
        named, bare = _params(match.group(3))
        text = _decode_value(value_bytes, named, bare, default)
        card.setdefault(name, []).append((text, named, bare))
    if card:
        rows.append(_row(card))  # a last card without END:VCARD is still a card
    if not rows:
        raise ReadError("The vCard file contains no BEGIN:VCARD … END:VCARD block.")
    return Table(format="vcard", headers=list(COLUMNS), rows=rows, encoding=default, header_row=None, first_data_row=1)


def _row(card: dict[str, list]) -> list[str]:
    values = dict.fromkeys(COLUMNS, "")

    def first(name: str) -> tuple[str, dict, set] | None:
        items = card.get(name) or []
        preferred = [i for i in items if "PREF" in i[2] or "pref" in i[1].get("TYPE", "").lower() or "PREF" in i[1]]
        return (preferred or items or [None])[0]

    if item := first("N"):
        parts = [*_components(item[0]), ""] * 5
        values["Last Name"], values["First Name"], values["Middle Name"], values["Prefix"], values["Suffix"] = parts[:5]
    if item := first("FN"):
        values["Full Name"] = _unescape(item[0]).strip()
    if item := first("ORG"):
        parts = [*_components(item[0]), ""]
        values["Company"], values["Department"] = parts[0], ";".join(p for p in parts[1:] if p)
    if item := first("TITLE"):
        values["Job Title"] = _unescape(item[0]).strip()
    emails = [_unescape(i[0]).strip() for i in card.get("EMAIL", []) if i[0].strip()]
    for n, email in enumerate(emails[:MAX_EMAILS], 1):
        values[f"E-mail {n}"] = email
    phones = [(i[0].strip(), _phone_label(_types(i[1], i[2]))) for i in card.get("TEL", []) if i[0].strip()]
    for n, (number, label) in enumerate(phones[:MAX_PHONES], 1):
        values[f"Phone {n}"] = number.removeprefix("tel:")
        values[f"Phone {n} Type"] = label
    if item := first("ADR"):
        parts = [*_components(item[0]), ""] * 7
        street = ", ".join(p for p in (parts[2], parts[1], parts[0]) if p)
        values["Street"], values["City"], values["Region"] = street, parts[3], parts[4]
        values["Postal Code"], values["Country"] = parts[5], parts[6]
    if item := first("BDAY"):
        values["Birthday"] = item[0].strip()
    if item := first("URL"):
        values["Website"] = _unescape(item[0]).strip()
    notes = [_unescape(i[0]).strip() for i in card.get("NOTE", []) if i[0].strip()]
    values["Notes"] = "\n\n".join(notes)
    categories = [c for i in card.get("CATEGORIES", []) for c in _components(i[0].replace(",", ";")) if c]
    values["Categories"] = ", ".join(categories)
    if item := first("UID"):
        values["UID"] = item[0].strip()
    extra_emails = emails[MAX_EMAILS:]
    if extra_emails:
        values["Notes"] = "\n".join(filter(None, [values["Notes"], "More e-mails: " + ", ".join(extra_emails)]))
    return [values[c] for c in COLUMNS]
