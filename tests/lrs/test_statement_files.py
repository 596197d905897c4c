"""Reading statement files one statement at a time: same entries and line numbers whatever the chunking,
errors placed on their line, and a huge array read without holding it."""

from __future__ import annotations

import io
import json
import tracemalloc
from typing import Any

import pytest

from tandem.lrs import statement_files
from tandem.lrs.statement_files import Entry, StatementFileError, statement_entries

ITEMS: list[Any] = [
    {"id": "a", "n": 12345678901234567890, "t": True, "s": 'quote " and \\u00e9 and \n'},
    {"nested": [1.5e-3, None, False, {"x": "]"}]},
    {"empty": {}},
]


def _read(text: str) -> list[Entry]:
    return list(statement_entries(source=io.StringIO(text, newline="")))


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 1 << 20])
def test_every_format_gives_the_same_entries_whatever_the_chunk_size(monkeypatch, chunk):
    monkeypatch.setattr(statement_files, "CHUNK", chunk)
    pretty = "\n\n  " + json.dumps(ITEMS, indent=2) + "\n"
    entries = _read(pretty)
    assert [e.value for e in entries] == ITEMS and [e.index for e in entries] == [0, 1, 2]
    # Each statement's line is the one its "{" is on.
    assert [e.line for e in entries] == [n for n, line in enumerate(pretty.splitlines(), 1) if line == "  {"]
    lines = "\n".join(json.dumps(item) for item in ITEMS[:2]) + "\r\n\n   \n" + json.dumps(ITEMS[2])
    assert [(e.line, e.value) for e in _read(lines)] == [(1, ITEMS[0]), (2, ITEMS[1]), (5, ITEMS[2])]
    result = json.dumps({"more": "", "statements": ITEMS, "x": [1, {"y": 2}]}, indent=1)
    assert [e.value for e in _read(result)] == ITEMS
    assert _read("  [ ]  ") == [] and _read("") == [] and _read('{"statements": []}') == []


def test_lines_of_a_pretty_array_are_those_of_each_opening_brace():
    text = json.dumps(ITEMS, indent=2)
    expected = [number for number, line in enumerate(text.splitlines(), start=1) if line == "  {"]
    assert [e.line for e in _read(text)] == expected


@pytest.mark.parametrize("chunk", [1, 5, 1 << 20])
@pytest.mark.parametrize(
    ("text", "line", "index", "rule"),
    [
        ('[\n{"a": 1},\n{"b": tru},\n{"c": 3}\n]', 3, 1, "not JSON: Expecting value"),
        ('[\n{"a": 1}\n{"b": 2}\n]', 3, 1, "expected , or ] after a statement"),
        ('[\n{"a": 1}\n]\n\nx', 5, 1, "text after the closing ]"),
        ('[\n{"a": 1},\n{"b": "open ]', 3, 1, "not JSON: Unterminated string"),
        ('[\n{"a": 1},\n{"b": "new\nline"}]', 3, 1, "not JSON: Invalid control character"),
        ('[\n{"a": 1},\n', 3, 1, "not JSON: Expecting value"),
        ('{"statements": [{"a": 1}], "more": }', 1, 1, "not JSON: Expecting value"),
    ],
)
def test_where_the_file_cannot_be_read_on_is_said_with_its_line(monkeypatch, chunk, text, line, index, rule):
    monkeypatch.setattr(statement_files, "CHUNK", chunk)
    with pytest.raises(StatementFileError) as caught:
        _read(text)
    assert (caught.value.line, caught.value.index) == (line, index)
    assert caught.value.rule.startswith(rule)


def test_a_line_that_is_not_json_is_an_entry_of_its_own_and_reading_goes_on():
    entries = _read('{"a": 1}\n{not json\n{"b": 2}\n')
    assert [(e.index, e.line, e.error[:9]) for e in entries] == [(0, 1, ""), (1, 2, "not JSON:"), (2, 3, "")]
    assert entries[1].value == "{not json"


def test_an_unterminated_string_does_not_read_the_rest_of_the_file(monkeypatch):
    monkeypatch.setattr(statement_files, "CHUNK", 10)
    monkeypatch.setattr(statement_files, "MAX_STATEMENT_CHARS", 100)
    stream = _Endless()
    with pytest.raises(StatementFileError, match="longer than 100"):
        _read_stream(stream)
    assert stream.given < 200


class _Endless(io.TextIOBase):
    """A statement whose string never closes, without end."""

    def __init__(self) -> None:
        self.given = 0

    def read(self, size: int | None = -1) -> str:
        out = '[{"a": "' if not self.given else "x" * (size if size and size > 0 else 1000)
        self.given += len(out)
        return out


class _Generated(io.TextIOBase):
    """A JSON array of `count` statements made as it is read (never held whole); counts what was read."""

    def __init__(self, *, count: int, pad: int = 0) -> None:
        self.count = count
        self.pad = "x" * pad
        self.made = 0
        self.given = 0
        self.pending = "[\n"

    def read(self, size: int | None = -1) -> str:
        want = size if size is not None and size >= 0 else 1 << 30
        parts, length = [self.pending], len(self.pending)
        while length < want and self.made <= self.count:
            if self.made == self.count:
                part = "\n]\n"
            else:
                part = (",\n" if self.made else "") + json.dumps(
                    {
                        "id": self.made,
                        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
                        "p": self.pad,
                    }
                )
            parts.append(part)
            length += len(part)
            self.made += 1
        text = "".join(parts)
        out, self.pending = text[:want], text[want:]
        self.given += len(out)
        return out


def _read_stream(stream: Any) -> list[Entry]:
    return list(statement_entries(source=stream))


def test_a_huge_array_is_read_one_statement_at_a_time():
    stream = _Generated(count=10**8)  # about 8 GB of JSON if it were written out
    entries = statement_entries(source=stream)
    first = [next(entries) for _ in range(3)]
    assert [(e.index, e.line, e.value["id"]) for e in first] == [(0, 2, 0), (1, 3, 1), (2, 4, 2)]
    assert stream.given <= statement_files.CHUNK  # one chunk read, not the file


def test_reading_a_whole_large_array_holds_about_one_chunk():
    count = 20_000  # ~20 MB of JSON
    tracemalloc.start()
    try:
        last = None
        for entry in statement_entries(source=_Generated(count=count, pad=1000)):
            last = entry
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert last is not None and (last.index, last.line, last.value["id"]) == (count - 1, count + 1, count - 1)
    assert peak < 6 * statement_files.CHUNK  # chunk and its copies, not the file's 20 MB
