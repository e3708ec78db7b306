"""Every real export file in the shared fixtures is read without being told format or encoding."""

import json
from pathlib import Path

import pytest

from rapport.imports.mapping import suggest
from rapport.imports.readers import ReadError, read_table

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "imports"
if not FIXTURES.is_dir():  # CI lays shared/ beside the clone
    FIXTURES = Path("/work/shared/fixtures/imports")
EXPECTED = json.loads((FIXTURES / "expected_counts.json").read_text())

DELIMITERS = {",": ",", ";": ";", "TAB": "\t"}
ENCODINGS = {
    "outlook/tine20_outlook2013_de_cp1252.csv": "cp1252",
    "crm-exports/salesforce_dataloader_accounts_cp1252.csv": "cp1252",
    "awkward/tine20_semicolon_windows1252.csv": "cp1252",
    "awkward/thunderbird_utf16le_bom_crlf.csv": "utf-16-le",
    "awkward/thunderbird_shiftjis_crlf.csv": "shift_jis",
    "awkward/tine20_excel_utf8bom_semicolon.csv": "utf-8-sig",
    "vcard/aosp_v21_shiftjis_multi.vcf": "shift_jis",
}


@pytest.mark.parametrize("entry", EXPECTED, ids=[e["file"] for e in EXPECTED])
def test_every_fixture_gives_the_expected_record_count(entry):
    path = FIXTURES / entry["file"]
    table = read_table(path.read_bytes(), path.name)
    assert len(table.rows) == entry["expected_records"]
    if entry["delimiter"] in DELIMITERS:
        assert table.delimiter == DELIMITERS[entry["delimiter"]]
    if entry["file"] in ENCODINGS:
        assert table.encoding == ENCODINGS[entry["file"]]
    assert all(len(h) > 0 for h in table.headers)


def test_fixture_list_is_complete():
    files = [
        p
        for p in FIXTURES.rglob("*")
        if p.is_file() and not p.name.startswith(".") and p.suffix != ".md" and p.name != "expected_counts.json"
    ]
    assert len(files) == len(EXPECTED) == 43


def test_accents_and_japanese_are_decoded():
    def cells(name):
        table = read_table((FIXTURES / name).read_bytes(), name)
        return " ".join(" ".join(r) for r in table.rows)

    assert "Doë" in cells("vcard/roundcube_v21_charset_windows1252.vcf")
    assert "Zürich" in cells("vcard/roundcube_apple_v30_photo_ablabel.vcf")
    assert "ß" in cells("outlook/tine20_outlook2013_de_cp1252.csv") or "ä" in cells(
        "outlook/tine20_outlook2013_de_cp1252.csv"
    )
    assert any(
        "\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in cells("vcard/aosp_v21_shiftjis_multi.vcf")
    )


def test_preamble_rows_are_skipped_and_headerless_files_get_positional_columns():
    table = read_table((FIXTURES / "awkward/invoiceninja_v4_export_preamble_rows.csv").read_bytes())
    assert table.header_row == 4 and table.headers[0] == "Name"
    palm = read_table((FIXTURES / "awkward/horde_palm_no_header.csv").read_bytes())
    assert palm.header_row is None and palm.headers[:2] == ["Column 1", "Column 2"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("google/tine20_google_csv_crlf.csv", {"Given Name": "first_name", "Family Name": "last_name"}),
        ("outlook/horde_outlook_en_multiline_notes.csv", {"First Name": "first_name", "E-mail Address": "email"}),
        ("outlook/tine20_outlook2013_de_cp1252.csv", {"Vorname": "first_name", "Nachname": "last_name"}),
        ("crm-exports/atomic_crm_contacts_export_500.csv", {"first_name": "first_name", "email_work": "email"}),
        ("google/rolomind_google_new_labels_subset.csv", {"First Name": "first_name", "Last Name": "last_name"}),
    ],
)
def test_header_names_of_common_exports_are_suggested(name, expected, db):
    table = read_table((FIXTURES / name).read_bytes(), name)
    with _scope():
        mapping = suggest("contacts", table.headers)
    for header, key in expected.items():
        assert mapping[header] == key


def _scope():
    from rapport.core.scoping import unscoped

    return unscoped()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\r\n\r\n", "empty"),
        (b"PK\x03\x04garbage", "zip"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", ".xls"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(data, message):
    with pytest.raises(ReadError, match=message):
        read_table(data, "x.csv")


def test_ods_and_xlsx_are_read(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["First Name", "Last Name", "Email"])
    workbook.active.append(["Ada", "Lovelace", "ada@example.com"])
    workbook.active.append(["Alan", "Turing", 42])
    path = tmp_path / "people.xlsx"
    workbook.save(path)
    table = read_table(path.read_bytes(), "people.xlsx")
    assert table.format == "xlsx" and table.rows == [["Ada", "Lovelace", "ada@example.com"], ["Alan", "Turing", "42"]]
    ods = _ods([["Name", "Email"], ["Grace Hopper", "grace@example.com"], ["", ""], ["Edsger", "ed@example.com"]])
    table = read_table(ods, "people.ods")
    assert table.format == "ods" and table.headers == ["Name", "Email"]
    assert table.rows == [["Grace Hopper", "grace@example.com"], ["Edsger", "ed@example.com"]]


def _ods(rows):
    import io
    import zipfile

    body = "".join(
        "<table:table-row>"
        + "".join(f'<table:table-cell office:value-type="string"><text:p>{c}</text:p></table:table-cell>' for c in row)
        + "</table:table-row>"
        for row in rows
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>'
        f'<table:table table:name="Sheet1">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
    return out.getvalue()
