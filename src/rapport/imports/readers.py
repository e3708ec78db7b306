"""Read an uploaded file into a header and rows, without being told its format or encoding.

Formats: CSV / TSV / semicolon "CSV" (delimiter sniffed), Excel ``.xlsx`` (openpyxl, read-only),
OpenDocument ``.ods`` (the zip's ``content.xml``, streamed with ElementTree) and vCard 2.1 / 3.0 /
4.0 (:mod:`rapport.imports.vcard`). Encodings: byte-order marks (UTF-8, UTF-16, UTF-32), UTF-16
without a BOM (NUL-byte pattern), strict UTF-8, then charset-normalizer's best guess among the
legacy 8-bit and East-Asian encodings (Windows-1252, Shift_JIS…).

The header row is found, not assumed: preamble lines (a report title, an empty row, a section
name) are skipped, and a first row that looks like data (e-mail addresses, phone numbers) means
the file has no header; its columns are then named "Column 1", "Column 2"… for positional mapping.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field

from charset_normalizer import from_bytes
from defusedxml import ElementTree

MAX_CELL = 10_000
PREVIEW_ROWS = 10
DELIMITERS = (",", ";", "\t", "|")

_KANA = re.compile(r"[\u3040-\u30ff]{2}")
_MULTIBYTE = {"cp949", "euc_kr", "gb2312", "gb18030", "gbk", "big5", "big5hkscs", "cp950", "euc_jp", "johab", "hz"}
_DATA_LIKE = re.compile(r"@|^[\s\d\-+()./$€£,:]+$")


class ReadError(ValueError):
    """The file cannot be read at all; the message tells the person what to do."""


@dataclass
class Table:
    """What a file holds: column names and data rows (lists of strings), plus how it was read."""

    format: str
    headers: list[str]
    rows: list[list[str]]
    encoding: str = ""
    delimiter: str = ""
    header_row: int | None = 1  # 1-based line of the header in the file; None for header-less files
    first_data_row: int = 2  # 1-based row number of rows[0] in the file, for error reports
    row_numbers: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def row_number(self, index: int) -> int:
        return self.row_numbers[index] if self.row_numbers else self.first_data_row + index


# --- format and encoding ------------------------------------------------------------------------


def detect_format(data: bytes, filename: str = "") -> str:
    name = filename.lower()
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
                if "mimetype" in names and b"opendocument.spreadsheet" in archive.read("mimetype"):
                    return "ods"
                if "xl/workbook.xml" in names:
                    return "xlsx"
        except zipfile.BadZipFile as exc:
            raise ReadError("The file looks like a damaged zip archive (Excel or ODS); save it again.") from exc
        raise ReadError("This zip archive is neither an Excel (.xlsx) nor an OpenDocument (.ods) spreadsheet.")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ReadError("Old Excel (.xls) files are not supported: save the sheet as .xlsx or CSV.")
    text = decode(data[:4096], probe=True)[0]
    if re.search(r"^\s*BEGIN:VCARD\s*$", text[:4096], re.IGNORECASE | re.MULTILINE) or name.endswith(
        (".vcf", ".vcard")
    ):
        return "vcard"
    return "csv"


def _bom(data: bytes) -> tuple[str, int] | None:
    for bom, encoding in (
        (b"\xef\xbb\xbf", "utf-8-sig"),
        (b"\xff\xfe\x00\x00", "utf-32-le"),
        (b"\x00\x00\xfe\xff", "utf-32-be"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if data.startswith(bom):
            return encoding, len(bom)
    return None


def _utf16_without_bom(data: bytes) -> str | None:
    sample = data[:2000]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = len(sample) / 2
    if odd > half * 0.3 and even < half * 0.05:
        return "utf-16-le"
    if even > half * 0.3 and odd < half * 0.05:
        return "utf-16-be"
    return None


def detect_encoding(data: bytes) -> str:
    bom = _bom(data)
    if bom:
        return bom[0]
    utf16 = _utf16_without_bom(data)
    if utf16:
        return utf16
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if len(data) - exc.start <= 3 and exc.reason == "unexpected end of data":
            return "utf-8"  # a probe cut a character in half
    # Japanese exports (Shift_JIS) are the commonest non-Western legacy files; kana settle it.
    for japanese in ("shift_jis", "cp932", "euc_jp"):
        try:
            if _KANA.search(data.decode(japanese)):
                return japanese
        except UnicodeDecodeError:
            continue
    best = from_bytes(data[:200_000]).best()
    if best is None or best.encoding in ("ascii", "utf_8"):
        return "cp1252"
    guessed = best.encoding
    # Western files are mostly Windows-1252; charset-normalizer often names a single-byte cousin
    # (cp775, latin-1…) on short samples. Keep its guess only for multi-byte encodings.
    if guessed not in _MULTIBYTE and _fits_cp1252(data):
        return "cp1252"
    return guessed


def _fits_cp1252(data: bytes) -> bool:
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


def decode(data: bytes, *, probe: bool = False) -> tuple[str, str]:
    encoding = detect_encoding(data)
    text = data.decode(encoding, errors="replace" if probe else "strict")
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, encoding


# --- CSV ----------------------------------------------------------------------------------------


def sniff_delimiter(text: str) -> str:
    lines = [line for line in re.split(r"\r\n|\r|\n", text[:50_000]) if line.strip()][:30]
    if not lines:
        return ","
    best, best_score = ",", -1.0
    for delimiter in DELIMITERS:
        counts = [_count_outside_quotes(line, delimiter) for line in lines]
        common, freq = Counter(counts).most_common(1)[0]
        if common == 0:
            continue
        score = freq / len(counts) * 10 + min(common, 50) / 50
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _count_outside_quotes(line: str, delimiter: str) -> int:
    count, quoted = 0, False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char == delimiter and not quoted:
            count += 1
    return count


def _looks_like_header(cells: list[str], width: int) -> bool:
    filled = [c.strip() for c in cells if c.strip()]
    if len(filled) < max(1, min(2, width)) or len(filled) < width * 0.4:
        return False
    return not any(_DATA_LIKE.search(c) for c in filled)


def _split_header(raw: list[list[str]]) -> tuple[int | None, int]:
    """(index of the header row or None, index of the first data row)."""
    nonempty = [i for i, row in enumerate(raw) if any(c.strip() for c in row)]
    if not nonempty:
        return None, 0
    widths = [len(raw[i]) for i in nonempty[:50]]
    width = Counter(widths).most_common(1)[0][0]
    for i in nonempty[:10]:
        row = raw[i]
        if len(row) < width * 0.5:
            continue
        if _looks_like_header(row, width):
            return i, i + 1
        filled = [c for c in row if c.strip()]
        if len(filled) >= width * 0.4:
            return None, i  # a full row that is data: no header at all
    return nonempty[0], nonempty[0] + 1


def read_csv(data: bytes) -> Table:
    text, encoding = decode(data)
    if "\x00" in text:
        raise ReadError("The file contains binary data; export it again as CSV, Excel or vCard.")
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        raw = list(reader)
    except csv.Error as exc:
        raise ReadError(f"The CSV cannot be read ({exc}); check the quotes and the delimiter.") from exc
    # Lines are counted in the file (a quoted field may span lines): record where each row starts.
    header_index, first_data = _split_header(raw)
    return _table("csv", raw, header_index, first_data, encoding=encoding, delimiter=delimiter)


def _table(fmt: str, raw: list[list[str]], header_index: int | None, first_data: int, **extra) -> Table:
    if header_index is None:
        width = max((len(r) for r in raw), default=0)
        headers = [f"Column {n}" for n in range(1, width + 1)]
    else:
        headers = [h.strip() for h in raw[header_index]]
    # Trailing columns without a name and without any value (a trailing delimiter) are not columns.
    rows_index = [i for i in range(first_data, len(raw)) if any(c.strip() for c in raw[i])]
    used = max((len(raw[i]) for i in rows_index), default=0)
    while (
        headers
        and not headers[-1]
        and all(len(raw[i]) < len(headers) or not raw[i][len(headers) - 1].strip() for i in rows_index)
    ):
        headers.pop()
    for n, name in enumerate(headers):
        if not name:
            headers[n] = f"Column {n + 1}"
    seen: Counter = Counter()
    for n, name in enumerate(headers):
        seen[name] += 1
        if seen[name] > 1:
            headers[n] = f"{name} ({seen[name]})"
    del used
    rows = [raw[i] for i in rows_index]
    table = Table(
        format=fmt,
        headers=headers,
        rows=rows,
        header_row=None if header_index is None else header_index + 1,
        first_data_row=first_data + 1,
        row_numbers=[i + 1 for i in rows_index],
        **extra,
    )
    return table


# --- spreadsheets -------------------------------------------------------------------------------


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    return str(value)


def read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds on a broken file
        raise ReadError(f"The Excel file cannot be opened ({exc.__class__.__name__}); save it again as .xlsx.") from exc
    sheet = workbook.worksheets[0]
    raw = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    workbook.close()
    header_index, first_data = _split_header(raw)
    table = _table("xlsx", raw, header_index, first_data)
    if len(workbook.sheetnames) > 1:
        table.notes.append(
            f"Only the first sheet ({sheet.title}) was read; the workbook has {len(workbook.sheetnames)}."
        )
    return table


_NS = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
}


def read_ods(data: bytes) -> Table:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            content = archive.read("content.xml")
    except (zipfile.BadZipFile, KeyError) as exc:
        raise ReadError("The OpenDocument file has no content; save it again as .ods.") from exc
    t, o = "{" + _NS["table"] + "}", "{" + _NS["office"] + "}"
    raw: list[list[str]] = []
    in_first_table = False
    for event, element in ElementTree.iterparse(io.BytesIO(content), events=("start", "end")):
        if element.tag == f"{t}table":
            if event == "start":
                in_first_table = not raw and not in_first_table
            elif in_first_table:
                break
        if event != "end" or not in_first_table or element.tag != f"{t}table-row":
            continue
        row: list[str] = []
        for cell in element:
            if cell.tag not in (f"{t}table-cell", f"{t}covered-table-cell"):
                continue
            repeat = min(int(cell.get(f"{t}number-columns-repeated", "1")), 1000)
            value = (
                cell.get(f"{o}date-value") or cell.get(f"{o}value")
                if cell.get(f"{o}value-type")
                in (
                    "float",
                    "date",
                    "percentage",
                    "currency",
                )
                else None
            )
            if value is None:
                value = "\n".join("".join(p.itertext()) for p in cell if p.tag == "{" + _NS["text"] + "}p")
            row.extend([value] * repeat)
        while row and not row[-1]:
            row.pop()
        repeat_rows = min(int(element.get(f"{t}number-rows-repeated", "1")), 1000)
        raw.extend([row] * (repeat_rows if row else 1))
        element.clear()
    while raw and not any(raw[-1]):
        raw.pop()
    header_index, first_data = _split_header(raw)
    return _table("ods", raw, header_index, first_data)


# --- entry point --------------------------------------------------------------------------------


def read_table(data: bytes, filename: str = "") -> Table:
    """Read any supported file; raises :class:`ReadError` with a message for the person."""
    if not data or not data.strip(b"\x00\r\n\t \xef\xbb\xbf\xff\xfe"):
        raise ReadError("The file is empty.")
    fmt = detect_format(data, filename)
    if fmt == "xlsx":
        table = read_xlsx(data)
    elif fmt == "ods":
        table = read_ods(data)
    elif fmt == "vcard":
        from rapport.imports.vcard import read_vcards

        table = read_vcards(data)
    else:
        table = read_csv(data)
    if not table.headers:
        raise ReadError("The file has no columns.")
    return table
