"""Writing rows to CSV, Excel and vCard, with spreadsheet formula neutralisation.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a formula by
Excel, LibreOffice and Google Sheets (CSV injection). Such text cells get a leading apostrophe,
which spreadsheets display as text; numbers stay numbers (a negative amount is not text).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return neutralise(str(value))


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[Iterable[Any]], *, bom: bool = True) -> Iterator[str]:
    """CSV text line by line (UTF-8 with a BOM, so Excel opens accents correctly)."""
    writer = csv.writer(_Echo())
    yield ("\ufeff" if bom else "") + writer.writerow([neutralise(h) for h in header])
    for row in rows:
        yield writer.writerow([_text(v) for v in row])


def write_csv(stream: io.TextIOBase, header: list[str], rows: Iterable[Iterable[Any]]) -> int:
    count = -1
    for count, line in enumerate(csv_lines(header, rows)):  # noqa: B007
        stream.write(line)
    return max(count, 0)


def write_xlsx(path_or_stream: Any, header: list[str], rows: Iterable[Iterable[Any]], title: str = "Export") -> int:
    """An .xlsx in constant memory (openpyxl write-only mode); text cells are neutralised."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "Export")
    sheet.append([neutralise(h) for h in header])
    count = 0
    for row in rows:
        sheet.append([_text(v) if not isinstance(v, int | float | Decimal) else v for v in row])
        count += 1
    workbook.save(path_or_stream)
    return count


def _vescape(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def _fold(line: str) -> str:
    """A content line folded at 75 octets (RFC 6350 3.2), ending in CRLF; characters are never split."""
    if len(line) <= 18 or len(line.encode("utf-8")) <= 75:  # 18 characters are at most 72 octets
        return line + "\r\n"
    out: list[str] = []
    current: list[str] = []
    size = 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > 75:
            out.append("".join(current))
            current, size = [" ", char], 1 + width
        else:
            current.append(char)
            size += width
    out.append("".join(current))
    return "\r\n".join(out) + "\r\n"


def vcard(card: dict[str, Any]) -> str:
    """One vCard 4.0 from {first_name, last_name, full_name, company, job_title, emails, phones, addresses, note}."""
    lines = ["BEGIN:VCARD", "VERSION:4.0"]
    full = card.get("full_name") or " ".join(filter(None, [card.get("first_name"), card.get("last_name")])) or "-"
    lines.append(f"FN:{_vescape(full)}")
    lines.append(f"N:{_vescape(card.get('last_name', ''))};{_vescape(card.get('first_name', ''))};;;")
    if card.get("company"):
        lines.append(f"ORG:{_vescape(card['company'])}")
    if card.get("job_title"):
        lines.append(f"TITLE:{_vescape(card['job_title'])}")
    for email, label in card.get("emails", []):
        lines.append(f"EMAIL;TYPE={label}:{email}")
    for number, label in card.get("phones", []):
        kind = {"mobile": "cell", "fax": "fax", "home": "home"}.get(label, "work")
        lines.append(f"TEL;VALUE=uri;TYPE={kind}:tel:{number}")
    for address in card.get("addresses", []):
        parts = [address.get(k, "") for k in ("street", "city", "region", "postal_code", "country")]
        lines.append("ADR:;;" + ";".join(_vescape(p) for p in parts))
    if card.get("birthday"):
        lines.append(f"BDAY:{card['birthday']}")
    if card.get("uid"):
        lines.append(f"UID:{card['uid']}")
    lines.append("END:VCARD")
    return "".join(_fold(line) for line in lines)
