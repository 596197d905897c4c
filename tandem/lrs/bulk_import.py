"""Importing statements exported from another LRS: a JSON array, JSON lines, or a StatementResult object.

The same rules as POST /xapi/statements. The file is read twice, one statement at a time
(tandem.lrs.statement_files: linear time, memory for one chunk and one batch whatever the file's size):

1. check: every statement is validated and ids may not repeat in the file; every problem is counted (the first
   MAX_PROBLEMS are kept to show);
2. store: the statements go through statements_store in batches inside one transaction (so learning records and
   activity definitions update as for HTTP writes).

By default a file is all or nothing: any problem refuses it before anything is written. With skip_invalid the
refused statements are written to a report file (JSON lines, or CSV for a name ending in .csv) with their
reasons and the others are stored; a batch the store refuses (an id stored before with other content) is
retried without the refused statement, in a savepoint. Statements keep their `id` (Data 2.4.1: an id set by
another system is kept); `stored` and `authority` are set by this LRS, as for any write.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from django.db import transaction

from tandem.core.scope import DomainError
from tandem.lrs.models import LrsClient, LrsScope, Statement
from tandem.lrs.records import LrsError
from tandem.lrs.services import lrs_client_create, statements_analyze, statements_store
from tandem.lrs.statement_files import Entry, StatementFileError, statement_entries
from tandem.lrs.xapi import XapiValidationError, statement_validate

IMPORT_CLIENT_NAME = "Statement import (tandem lrs-import)"
BATCH_SIZE = 500
# Statements stored by one import after which the planner statistics are refreshed (statements_analyze).
ANALYZE_AFTER = 10_000
MAX_PROBLEMS = 100


@dataclass(frozen=True)
class ImportProblem:
    index: int  # position in the file, from 0
    line: int | None  # line the statement starts on, from 1 (None when unknown)
    field: str
    rule: str

    def __str__(self) -> str:
        where = f"line {self.line}, " if self.line is not None else ""
        return f"{where}statement [{self.index}]{'.' + self.field if self.field else ''}: {self.rule}"


class StatementImportError(DomainError):
    """The file was refused; nothing was stored. `problems` holds the first MAX_PROBLEMS, `total` counts all."""

    def __init__(self, problems: list[ImportProblem], *, total: int | None = None) -> None:
        self.problems = problems
        self.total = len(problems) if total is None else total
        super().__init__(f"{self.total} problem(s); first: {problems[0]}")


@dataclass(frozen=True)
class StatementImportResult:
    read: int
    stored: int
    already_stored: int  # ids stored before with equivalent content (re-running an import is a no-op)
    batches: int
    client_key: str
    refused: int = 0  # statements left out (skip_invalid), each in the report with its reason
    report_path: Path | None = None


Source = Callable[[], TextIO]


def _source(*, text: str | None, path: Path | None) -> Source:
    """A way to open the file again for each pass (a path is read as UTF-8, with or without a BOM)."""
    if path is not None:
        return lambda: path.open(encoding="utf-8-sig", newline="")
    content = (text or "").removeprefix("\ufeff")
    return lambda: io.StringIO(content, newline="")


def _entries(source: Source) -> Iterator[Entry]:
    """Every entry of the file, the stream closed at the end; a file that cannot be read on raises."""
    with source() as stream:
        try:
            yield from statement_entries(source=stream)
        except StatementFileError as error:
            raise StatementImportError(
                [ImportProblem(index=error.index, line=error.line, field="", rule=error.rule)]
            ) from error


def _entry_problem(entry: Entry, *, version: str, seen: dict[int, int]) -> ImportProblem | None:
    """Why a statement is refused before storing (xAPI validation, or an id repeated in the file), or None."""
    if entry.error:
        return ImportProblem(index=entry.index, line=entry.line, field="", rule=entry.error)
    try:
        statement_validate(statement=entry.value, version=version)
    except XapiValidationError as error:
        return ImportProblem(index=entry.index, line=entry.line, field=error.field, rule=error.rule)
    if "id" in entry.value:
        key = uuid.UUID(str(entry.value["id"])).int
        first = seen.setdefault(key, entry.index)
        if first != entry.index:
            return ImportProblem(
                index=entry.index, line=entry.line, field="id", rule=f"repeats statement [{first}]"
            )
    return None


class _Report:
    """The refused statements with their reasons: JSON lines (with the statement, to fix and import again) or
    CSV (index, line, field, rule, statement id) for a path ending in .csv."""

    CSV_HEADER = ("index", "line", "field", "rule", "statement_id")

    def __init__(self, stream: TextIO | None, *, as_csv: bool) -> None:
        self.stream = stream
        self.csv = csv.writer(stream) if stream is not None and as_csv else None
        if self.csv is not None:
            self.csv.writerow(self.CSV_HEADER)

    def write(self, problem: ImportProblem, value: Any) -> None:
        if self.stream is None:
            return
        if self.csv is not None:
            statement_id = value.get("id", "") if isinstance(value, dict) else ""
            self.csv.writerow([problem.index, problem.line or "", problem.field, problem.rule, statement_id])
            return
        row = {
            "index": problem.index,
            "line": problem.line,
            "field": problem.field,
            "rule": problem.rule,
            "statement": value,
        }
        self.stream.write(json.dumps(row, ensure_ascii=False) + "\n")


@contextmanager
def _report(path: Path | None) -> Iterator[_Report]:
    if path is None:
        yield _Report(None, as_csv=False)
        return
    with path.open("w", encoding="utf-8", newline="") as stream:
        yield _Report(stream, as_csv=path.suffix.lower() == ".csv")


def _import_client(client_key: str | None) -> LrsClient:
    if client_key:
        client = LrsClient.objects.filter(key=client_key).first()
        if client is None:
            raise StatementImportError(
                [ImportProblem(index=0, line=None, field="", rule=f"no client {client_key}")]
            )
        if not client.active:
            raise StatementImportError(
                [ImportProblem(index=0, line=None, field="", rule=f"client {client_key} is revoked")]
            )
        return client
    client = LrsClient.objects.filter(name=IMPORT_CLIENT_NAME, active=True).order_by("created_at").first()
    if client is None:
        # Its secret is never shown, so it cannot be used over HTTP: it only names imports as their authority.
        client, _credentials = lrs_client_create(name=IMPORT_CLIENT_NAME, scopes=[LrsScope.STATEMENTS_WRITE])
    return client


def _batch_position(error: LrsError, size: int) -> tuple[int, str] | None:
    """The statement of a batch an error of statements_store names, and the field in it ("[3].object" is
    batch-relative); None when the error names no statement (an id conflict names the id only)."""
    if error.field.startswith("["):
        inner, _, rest = error.field[1:].partition("]")
        if inner.isdigit() and int(inner) < size:
            return int(inner), rest.lstrip(".")
    return None


@dataclass
class _Counts:
    stored: int = 0
    already: int = 0
    batches: int = 0
    refused: int = 0


@dataclass(frozen=True)
class _Store:
    version: str
    client: LrsClient
    skip_invalid: bool
    report: _Report
    counts: _Counts

    def batch(self, batch: list[Entry]) -> None:
        """Store a batch in a savepoint. When the store refuses a statement: raise (all or nothing), or
        report it and store the rest (skip_invalid). A refusal that names no statement is narrowed down by
        storing the batch's statements one at a time (rare: an id stored before with other content)."""
        pending = list(batch)
        while pending:
            statements = [entry.value for entry in pending]
            ids = [uuid.UUID(str(s["id"])) for s in statements if "id" in s]
            before = Statement.objects.filter(pk__in=ids).count() if ids else 0
            try:
                with transaction.atomic():
                    statements_store(statements=statements, version=self.version, client=self.client)
            except LrsError as error:
                located = _batch_position(error, len(pending))
                if located is None and len(pending) > 1:
                    for entry in pending:
                        self.batch([entry])
                    return
                position, field = located or (0, error.field)
                entry = pending.pop(position)
                problem = ImportProblem(
                    index=entry.index, line=entry.line, field=field, rule=str(error) or error.rule
                )
                if not self.skip_invalid:
                    raise StatementImportError([problem]) from error
                self.report.write(problem, entry.value)
                self.counts.refused += 1
                continue
            self.counts.already += before
            self.counts.stored += len(pending) - before
            self.counts.batches += 1
            return


def statements_import(
    *,
    text: str | None = None,
    path: Path | None = None,
    version: str = "1.0.3",
    client_key: str | None = None,
    batch_size: int = BATCH_SIZE,
    skip_invalid: bool = False,
    report_path: Path | None = None,
    progress: Callable[[int], object] | None = None,
) -> StatementImportResult:
    """Check and store a file given by its path (or its text), reading it one statement at a time.

    All or nothing by default: raises StatementImportError counting every problem (the first MAX_PROBLEMS
    listed) and stores nothing. skip_invalid stores the valid statements and writes the refused ones with
    their reasons to report_path (JSON lines, or CSV for a .csv name). progress(n) after each stored batch.
    """
    source = _source(text=text, path=path)
    seen: dict[int, int] = {}  # uuid (as int) -> index of its first valid statement
    refused: set[int] = set()
    problems: list[ImportProblem] = []
    read = total = 0
    with _report(report_path if skip_invalid else None) as report:
        for entry in _entries(source):
            read += 1
            problem = _entry_problem(entry, version=version, seen=seen)
            if problem is None:
                continue
            total += 1
            if len(problems) < MAX_PROBLEMS:
                problems.append(problem)
            if skip_invalid:
                refused.add(entry.index)
                report.write(problem, entry.value)
        if not read:
            raise StatementImportError(
                [ImportProblem(index=0, line=None, field="", rule="no statements in the file")]
            )
        if problems and not skip_invalid:
            raise StatementImportError(problems, total=total)
        del seen  # pass 2 needs only the refused positions
        counts = _Counts(refused=len(refused))
        # File order is stored order. A voiding statement may come before its target: the target is then
        # stored already voided, as over HTTP.
        with transaction.atomic():
            store = _Store(
                version=version,
                client=_import_client(client_key),
                skip_invalid=skip_invalid,
                report=report,
                counts=counts,
            )
            batch: list[Entry] = []
            for entry in _entries(source):
                if entry.index in refused:
                    continue
                batch.append(entry)
                if len(batch) >= batch_size:
                    store.batch(batch)
                    if progress is not None:
                        progress(len(batch))
                    batch = []
            if batch:
                store.batch(batch)
                if progress is not None:
                    progress(len(batch))
    if counts.stored >= ANALYZE_AFTER:
        statements_analyze()
    return StatementImportResult(
        read=read,
        stored=counts.stored,
        already_stored=counts.already,
        batches=counts.batches,
        client_key=store.client.key,
        refused=counts.refused,
        report_path=report_path if skip_invalid else None,
    )
