"""Importing statements exported from another LRS: a JSON array, JSON lines, or a StatementResult object.

The same rules as POST /xapi/statements, all or nothing per file: every statement is validated before
anything is written, then the statements go through statements_store in batches inside one transaction (so
learning records and activity definitions update as for HTTP writes). Statements keep their `id` (Data
2.4.1: an id set by another system is kept); `stored` and `authority` are set by this LRS, as for any write.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from tandem.core.scope import DomainError
from tandem.lrs.models import LrsClient, LrsScope, Statement
from tandem.lrs.records import LrsError
from tandem.lrs.services import lrs_client_create, statements_analyze, statements_store
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
    """The file was refused; nothing was stored."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s); first: {problems[0]}")


@dataclass(frozen=True)
class StatementImportResult:
    read: int
    stored: int
    already_stored: int  # ids stored before with equivalent content (re-running an import is a no-op)
    batches: int
    client_key: str


def _line(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def _array(text: str, start: int, *, whole: bool = True) -> list[tuple[int | None, Any]]:
    """Elements of the JSON array opening at `start`, each with the line it starts on (whole: nothing may
    follow the array)."""
    decoder = json.JSONDecoder()
    found: list[tuple[int | None, Any]] = []
    position = start + 1
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position < len(text) and text[position] == "]" and not found:
            return found
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise StatementImportError(
                [ImportProblem(index=len(found), line=error.lineno, field="", rule=f"not JSON: {error.msg}")]
            ) from error
        found.append((_line(text, position), value))
        position = end
        while position < len(text) and text[position].isspace():
            position += 1
        if position < len(text) and text[position] == ",":
            position += 1
            continue
        if position < len(text) and text[position] == "]":
            if whole and text[position + 1 :].strip():
                line = _line(text, position + 1)
                raise StatementImportError(
                    [ImportProblem(index=len(found), line=line, field="", rule="text after ]")]
                )
            return found
        raise StatementImportError(
            [ImportProblem(index=len(found), line=_line(text, position), field="", rule="expected , or ]")]
        )


def statements_file_read(*, text: str) -> list[tuple[int | None, Any]]:
    """(line, statement) pairs from a JSON array, a StatementResult {"statements": [...]} or JSON lines."""
    stripped = text.lstrip()
    offset = len(text) - len(stripped)
    if stripped.startswith("["):
        return _array(text, offset)
    if stripped.startswith("{"):
        try:
            document = json.loads(text)
        except json.JSONDecodeError:
            document = None
        if isinstance(document, dict) and isinstance(document.get("statements"), list):
            # StatementResult: locate the array to keep line numbers.
            start = text.find("[", text.find('"statements"'))
            return (
                _array(text, start, whole=False)
                if start >= 0
                else [(None, s) for s in document["statements"]]
            )
    found: list[tuple[int | None, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            found.append((number, json.loads(line)))
        except json.JSONDecodeError as error:
            raise StatementImportError(
                [ImportProblem(index=len(found), line=number, field="", rule=f"not JSON: {error.msg}")]
            ) from error
    return found


def statements_file_check(*, entries: list[tuple[int | None, Any]], version: str) -> list[ImportProblem]:
    """Every problem (up to MAX_PROBLEMS): xAPI validation, and ids repeated within the file."""
    problems: list[ImportProblem] = []
    seen: dict[str, int] = {}
    for index, (line, statement) in enumerate(entries):
        if len(problems) >= MAX_PROBLEMS:
            break
        try:
            statement_validate(statement=statement, version=version)
        except XapiValidationError as error:
            problems.append(ImportProblem(index=index, line=line, field=error.field, rule=error.rule))
            continue
        assert isinstance(statement, dict)
        if "id" in statement:
            key = str(uuid.UUID(str(statement["id"])))
            if key in seen:
                problems.append(
                    ImportProblem(index=index, line=line, field="id", rule=f"repeats statement [{seen[key]}]")
                )
            seen[key] = index
    return problems


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


def _batch_problem(
    error: LrsError, positions: list[int], entries: list[tuple[int | None, Any]]
) -> ImportProblem:
    """An error statements_store raised for a batch, placed in the file (its "[3].object" is batch-relative)."""
    field, index = error.field, positions[0]
    if field.startswith("["):
        inner, _, rest = field[1:].partition("]")
        if inner.isdigit() and int(inner) < len(positions):
            index, field = positions[int(inner)], rest.lstrip(".")
    return ImportProblem(index=index, line=entries[index][0], field=field, rule=error.rule or str(error))


def statements_import(
    *,
    text: str = "",
    entries: list[tuple[int | None, Any]] | None = None,
    version: str = "1.0.3",
    client_key: str | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], object] | None = None,
) -> StatementImportResult:
    """Validate and store a whole file, all or nothing. Raises StatementImportError with every problem found
    (up to MAX_PROBLEMS) and stores nothing when any statement is refused. Give the file's text, or the
    entries statements_file_read made of it."""
    if entries is None:
        entries = statements_file_read(text=text)
    if not entries:
        raise StatementImportError(
            [ImportProblem(index=0, line=None, field="", rule="no statements in the file")]
        )
    problems = statements_file_check(entries=entries, version=version)
    if problems:
        raise StatementImportError(problems)
    statements = [statement for _line_no, statement in entries]
    # File order is stored order. A voiding statement may come before its target: the target is then
    # stored already voided, as over HTTP.
    order = list(range(len(statements)))
    stored = already = batches = 0
    with transaction.atomic():
        client = _import_client(client_key)
        for start in range(0, len(order), batch_size):
            positions = order[start : start + batch_size]
            batch = [statements[i] for i in positions]
            ids = [uuid.UUID(str(s["id"])) for s in batch if "id" in s]
            before = Statement.objects.filter(pk__in=ids).count() if ids else 0
            try:
                statements_store(statements=batch, version=version, client=client)
            except LrsError as error:
                raise StatementImportError([_batch_problem(error, positions, entries)]) from error
            already += before
            stored += len(batch) - before
            batches += 1
            if progress is not None:
                progress(len(batch))
    if stored >= ANALYZE_AFTER:
        statements_analyze()
    return StatementImportResult(
        read=len(statements), stored=stored, already_stored=already, batches=batches, client_key=client.key
    )
