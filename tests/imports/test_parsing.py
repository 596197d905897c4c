import datetime as dt

import openpyxl
import pytest

from tandem.imports.parsing import ParseError, row_count_estimate, table_read
from tests.imports.factories import csv_bytes, person, team, xlsx_bytes, xlsx_with_dimension


def read(path):
    return table_read(content=path.read_bytes(), filename=path.name)


@pytest.mark.parametrize(
    ("options", "delimiter"),
    [
        ({}, ","),
        ({"bom": True}, ","),
        ({"crlf": True}, ","),
        ({"bom": True, "crlf": True, "delimiter": ";"}, ";"),
        ({"delimiter": ";"}, ";"),
        ({"delimiter": "\t"}, "\t"),
    ],
)
def test_csv_variants_read_the_same(write_file, options, delimiter):
    table = read(write_file("people.csv", csv_bytes(team(), **options)))
    assert table.delimiter == delimiter
    assert table.headers[0] == "employee_id"  # no BOM left on the first header
    assert [cells[0] for _, cells in table.rows] == ["E1", "E2", "E3", "E4"]
    assert [number for number, _ in table.rows] == [2, 3, 4, 5]
    assert all(not str(cell).endswith("\r") for _, cells in table.rows for cell in cells)


def test_single_column_file_falls_back_to_comma(write_file):
    table = read(write_file("ids.csv", b"employee_id\nE1\nE2\n"))
    assert table.headers == ["employee_id"] and len(table.rows) == 2


def test_blank_lines_are_skipped_but_keep_row_numbers(write_file):
    table = read(write_file("p.csv", b"employee_id,first_name\nE1,Ann\n\n,\nE2,Bo\n"))
    assert [(number, cells[0]) for number, cells in table.rows] == [(2, "E1"), (5, "E2")]


def test_quoted_cells_with_delimiters_and_newlines(write_file):
    table = read(write_file("p.csv", b'employee_id;job_title\nE1;"Sales; EMEA\nlead"\nE2;Rep\n'))
    assert table.rows[0][1][1] == "Sales; EMEA\nlead"
    assert table.rows[1][0] == 4


def test_xlsx_with_dates_and_numeric_ids(write_file):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["employee_id", "hire_date", "first_name"])
    sheet.append([1001, dt.datetime(2024, 1, 15), "Ann"])  # noqa: DTZ001 - Excel has no time zones
    sheet.append([None, None, None])
    sheet.append(["E2", "2024-02-01", "Bo"])
    path = write_file("people.xlsx", b"")
    workbook.save(path)
    table = read(path)
    assert table.format == "xlsx"
    assert table.rows == [(2, ["1001", dt.date(2024, 1, 15), "Ann"]), (4, ["E2", "2024-02-01", "Bo"])]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty"),
        (b"\n\r\n  \n", "The file is empty"),
        (b"\xef\xbb\xbf", "The file is empty"),
        (csv_bytes([], header=["employee_id", "first_name"]), "The file has a header row but no data rows"),
        (b"employee_id,first_name\n\n\n", "The file has a header row but no data rows"),
    ],
)
def test_empty_and_header_only(write_file, content, message):
    with pytest.raises(ParseError, match=message):
        read(write_file("p.csv", content))


def test_header_only_xlsx(write_file):
    workbook = openpyxl.Workbook()
    workbook.active.append(["employee_id", "first_name"])
    path = write_file("p.xlsx", b"")
    workbook.save(path)
    with pytest.raises(ParseError, match="The file has a header row but no data rows"):
        read(path)


def test_latin1_bytes_are_reported_with_their_line(write_file):
    content = "employee_id,first_name\nE1,Ana\nE2,José\n".encode("latin-1")
    with pytest.raises(ParseError, match=r"not UTF-8 text: byte 0xe9 on line 3"):
        read(write_file("p.csv", content))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not a spreadsheet"),
        (b"PK\x03\x04not really a zip", "This is not a spreadsheet"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, r"old-style Excel file \(.xls\)"),
    ],
)
def test_not_a_spreadsheet(write_file, content, message):
    with pytest.raises(ParseError, match=message):
        read(write_file("p.bin", content))


def test_zip_that_is_not_a_workbook(write_file, tmp_path):
    import zipfile

    path = tmp_path / "archive.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(ParseError, match="not an Excel workbook"):
        read(path)


def test_row_count_estimate():
    assert row_count_estimate(content=csv_bytes(team())) == 4
    assert row_count_estimate(content=csv_bytes([person("E1")], crlf=True)) == 1
    assert row_count_estimate(content=b"employee_id\nE1") == 1


def test_xlsx_rows_past_the_declared_dimension_are_read():
    rows = [["employee_id", "first_name", "last_name", "work_email", "org_unit_code", "hire_date"]]
    rows += [[f"E{i}", "Ann", "Lee", f"e{i}@example.com", "SALES", "2024-01-15"] for i in range(10)]
    table = table_read(content=xlsx_with_dimension(rows, dimension="A1:F3"))
    assert [cells[0] for _, cells in table.rows] == [f"E{i}" for i in range(10)]


def test_xlsx_formulas_without_saved_values_are_named():
    content = xlsx_bytes(
        [["employee_id", "work_email"], ["E1", '=LOWER("A@X.COM")'], ["E2", '=LOWER("B@X.COM")']]
    )
    with pytest.raises(ParseError, match="2 cell\\(s\\) are formulas without saved values") as caught:
        table_read(content=content)
    assert (caught.value.row, caught.value.column) == (2, "work_email")


def test_a_cell_over_the_csv_limit_is_a_row_and_column_error():
    content = b'employee_id,job_title,location\nE1,Rep,Berlin\nE2,"' + b"x" * 200_000 + b'",Lisbon\n'
    with pytest.raises(ParseError, match="A cell on row 3 is longer than") as caught:
        table_read(content=content)
    assert (caught.value.row, caught.value.column) == (3, "job_title")


def test_delimiter_detection_reads_only_a_prefix():
    # 64 KB of `,"` took 24 s in the csv sniffer; the header alone decides here.
    with pytest.raises(ParseError, match="header row but no data rows"):
        table_read(content=b',"' * 32 * 1024)
    assert table_read(content=b"a;b\n1;2\n" * 1000).delimiter == ";"


def test_too_many_rows_are_refused_with_the_limit(monkeypatch):
    from tandem.imports import parsing

    monkeypatch.setattr(parsing, "MAX_ROWS", 3)
    with pytest.raises(ParseError, match="more than 3 data rows"):
        table_read(content=b"employee_id\n1\n2\n3\n4\n")
