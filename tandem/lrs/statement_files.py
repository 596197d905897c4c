"""Reading statement files one statement at a time: a JSON array, a StatementResult, or JSON lines.

A file is read in chunks of CHUNK characters and each statement is decoded by the C decoder where it starts
(json.JSONDecoder.raw_decode), so reading is linear in the file's size and holds one chunk plus one
statement, whatever the number of statements. Line numbers are counted as the reading moves on, each
character once (counting from the start of the file for every statement made a 31,800-statement array take
169 s to read).

No Django here: the import service (tandem.lrs.bulk_import) reads a file twice (check, then store) through
statement_entries.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

CHUNK = 1 << 20  # characters read at a time
# A statement (or a JSON line) longer than this is refused rather than read on without end: a file with an
# unterminated string would otherwise be read whole into memory. POST /xapi/statements takes 2 MiB a body.
MAX_STATEMENT_CHARS = 16 << 20

# Characters at the end of the buffer within which a decoding error may only mean "read more".
_TAIL = 16
_SPACE = re.compile(r"[ \t\n\r]*")
_RESULT_START = re.compile(r'\{[ \t\n\r]*"(statements|more)"')
_decoder = json.JSONDecoder()


class StatementFileError(ValueError):
    """The file cannot be read on from here (not JSON where a statement or separator should be)."""

    def __init__(self, *, index: int, line: int | None, rule: str) -> None:
        super().__init__(f"line {line}, statement [{index}]: {rule}")
        self.index = index
        self.line = line
        self.rule = rule


@dataclass(frozen=True, slots=True)
class Entry:
    """One statement of a file as read: its position and value, or why it is not JSON (JSON lines only,
    where the next line can still be read; `value` is then the line's text)."""

    index: int  # position in the file, from 0
    line: int  # the line the statement starts on, from 1
    value: Any
    error: str = ""


class _Reader:
    """The unread part of a stream, in a buffer refilled a chunk at a time, with line counting."""

    def __init__(self, source: TextIO) -> None:
        self.source = source
        self.text = ""
        self.pos = 0  # next character to read in text
        self.eof = False
        self.counted = 0  # newlines before this position of text are counted in `line`
        self.line = 1
        self.index = 0  # statements yielded so far

    def fail(self, rule: str, position: int | None = None) -> StatementFileError:
        return StatementFileError(
            index=self.index, line=self.line_at(self.pos if position is None else position), rule=rule
        )

    def more(self) -> bool:
        """Read another chunk (dropping what was read already); False at the end of the stream."""
        if self.eof:
            return False
        try:
            chunk = self.source.read(CHUNK)
        except UnicodeDecodeError as error:
            raise self.fail(f"the file is not UTF-8 text ({error.reason})", len(self.text)) from error
        if not chunk:
            self.eof = True
            return False
        if self.pos:
            self.line_at(self.pos)
            self.text = self.text[self.pos :]
            self.counted -= self.pos
            self.pos = 0
        self.text += chunk
        return True

    def line_at(self, position: int) -> int:
        """The line of a position at or after the last one asked for (so each newline is counted once)."""
        if position > self.counted:
            self.line += self.text.count("\n", self.counted, position)
            self.counted = position
        return self.line

    def peek(self) -> str:
        """Skip whitespace; the next character, or "" at the end of the stream."""
        while True:
            match = _SPACE.match(self.text, self.pos)
            assert match is not None
            self.pos = match.end()
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.more():
                return ""

    def ahead(self, count: int) -> bool:
        """Have at least `count` characters from pos in the buffer (fewer at the end of the stream)."""
        while len(self.text) - self.pos < count and self.more():
            pass
        return True

    def value(self) -> Any:
        """Decode the JSON value starting at pos (after peek), reading more when it runs past the buffer."""
        while True:
            try:
                value, end = _decoder.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as error:
                # Cut off by the end of the buffer (a string left open, or an error in its last few
                # characters: "tru", "1.", "\u00"): read on. Anywhere else the text is not JSON.
                cut = error.msg.startswith("Unterminated string") or error.pos >= len(self.text) - _TAIL
                if cut and not self.eof:
                    if len(self.text) - self.pos >= MAX_STATEMENT_CHARS:
                        raise self.fail(
                            f"a statement longer than {MAX_STATEMENT_CHARS:,} characters"
                        ) from error
                    if self.more():
                        continue
                raise self.fail(f"not JSON: {error.msg}", error.pos) from error
            # A number may go on in the next chunk ("12" | "34"): decode it again with more text.
            if end == len(self.text) and not self.eof and self.more():
                continue
            self.pos = end
            return value

    def expect(self, char: str, rule: str) -> None:
        if self.peek() != char:
            raise self.fail(rule)
        self.pos += 1

    def array(self) -> Iterator[Entry]:
        """The elements of the array opening at pos."""
        self.expect("[", "expected [")
        if self.peek() == "]":
            self.pos += 1
            return
        while True:
            self.peek()
            line = self.line_at(self.pos)
            value = self.value()
            yield Entry(index=self.index, line=line, value=value)
            self.index += 1
            char = self.peek()
            self.pos += 1
            if char == "]":
                return
            if char != ",":
                self.pos -= 1
                raise self.fail("expected , or ] after a statement")

    def statement_result(self) -> Iterator[Entry]:
        """{"statements": [...], "more": ...}: the statements, the other members skipped."""
        self.expect("{", "expected {")
        while True:
            key = self.value() if self.peek() == '"' else None
            if not isinstance(key, str):
                raise self.fail('expected a member name such as "statements"')
            self.expect(":", f'expected : after "{key}"')
            if key == "statements":
                self.peek()
                yield from self.array()
            else:
                self.peek()
                self.value()
            char = self.peek()
            self.pos += 1
            if char == "}":
                return
            if char != ",":
                self.pos -= 1
                raise self.fail("expected , or } in the StatementResult")

    def lines(self) -> Iterator[Entry]:
        """JSON lines from pos: one statement a line; blank lines are skipped; a line that is not JSON is
        an entry with its error (the next line can still be read)."""
        number = self.line_at(self.pos)
        pending = self.text[self.pos :]
        self.text, self.pos, self.counted = "", 0, 0
        while True:
            if self.eof:
                chunk = ""
            else:
                try:
                    chunk = self.source.read(CHUNK)
                except UnicodeDecodeError as error:
                    raise StatementFileError(
                        index=self.index, line=number, rule=f"the file is not UTF-8 text ({error.reason})"
                    ) from error
                self.eof = not chunk
            if chunk:
                pending += chunk
                *found, pending = pending.split("\n")
                if len(pending) > MAX_STATEMENT_CHARS:
                    raise StatementFileError(
                        index=self.index,
                        line=number + len(found),
                        rule=f"a line longer than {MAX_STATEMENT_CHARS:,} characters",
                    )
            else:
                found, pending = pending.split("\n"), ""
            for text in found:
                if text.strip():
                    try:
                        yield Entry(index=self.index, line=number, value=json.loads(text))
                    except json.JSONDecodeError as error:
                        yield Entry(index=self.index, line=number, value=text, error=f"not JSON: {error.msg}")
                    self.index += 1
                number += 1
            if not chunk:
                return


def statement_entries(*, source: TextIO) -> Iterator[Entry]:
    """The statements of a file, one at a time: a JSON array, a StatementResult object (its first member is
    "statements" or "more") or JSON lines. Raises StatementFileError where the file cannot be read on."""
    reader = _Reader(source)
    char = reader.peek()
    if char == "[":
        yield from reader.array()
        if reader.peek():
            raise reader.fail("text after the closing ]")
    elif char == "{" and reader.ahead(64) and _RESULT_START.match(reader.text, reader.pos):
        yield from reader.statement_result()
        if reader.peek():
            raise reader.fail("text after the closing }")
    elif char:
        yield from reader.lines()
