"""`tandem lrs-import`: statements from another LRS, validated as over HTTP, all or nothing per file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tandem.lrs import bulk_import
from tandem.lrs.bulk_import import StatementImportError, statements_import
from tandem.lrs.models import LearningRecord, LrsClient, Statement
from tests.lrs.factories import ATTEMPTED, COMPLETED, agent, statement, voiding

pytestmark = pytest.mark.django_db


def _statements(count: int = 5) -> list[dict[str, Any]]:
    found = [
        statement(
            actor=agent(f"p{i % 2}@example.com"),
            verb=COMPLETED if i % 2 else ATTEMPTED,
            timestamp=f"2025-01-0{i + 1}T10:00:00Z",
            stored="2025-02-01T00:00:00Z",  # the other LRS's: replaced by ours
        )
        for i in range(count)
    ]
    return found


def _run(path: Path, *args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("lrs-import", str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_import_json_array_keeps_ids_and_updates_learning_records(tmp_path):
    items = _statements()
    path = tmp_path / "export.json"
    path.write_text(json.dumps(items, indent=2))
    out = _run(path, "--batch-size", "2")
    assert "5 statement(s) read, 5 stored, 0 already stored" in out and "3 batch(es)" in out
    assert set(map(str, Statement.objects.values_list("id", flat=True))) == {s["id"] for s in items}
    row = Statement.objects.get(pk=items[0]["id"])
    assert row.exact["stored"] != "2025-02-01T00:00:00Z"
    assert row.client.name.startswith("Statement import")
    assert LearningRecord.objects.count() == 2
    # Running it again stores nothing new (same ids, same content).
    assert "0 stored, 5 already stored" in _run(path)
    assert LrsClient.objects.count() == 1


def test_import_jsonl_with_version_and_client(tmp_path, lrs_client):
    items = _statements(3)
    items.append(voiding(items[0]["id"]))
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(json.dumps(s) for s in items) + "\n\n")
    out = _run(path, "--version", "2.0.0", "--client", lrs_client.key)
    assert "4 stored" in out
    assert Statement.objects.get(pk=items[0]["id"]).voided
    assert set(Statement.objects.values_list("client", flat=True)) == {lrs_client.pk}


def test_import_statement_result_object():
    items = _statements(2)
    result = statements_import(text=json.dumps({"statements": items, "more": ""}))
    assert result.stored == 2


def test_bad_file_reports_lines_and_stores_nothing(tmp_path):
    items = _statements(4)
    items[1]["actor"] = {"mbox": "not-an-email"}
    items[3]["verb"] = {"display": {"en": "no id"}}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(items, indent=2))
    text = path.read_text().splitlines()
    with pytest.raises(CommandError, match="2 problem"):
        _run(path)
    assert not Statement.objects.exists()
    with pytest.raises(StatementImportError) as caught:
        statements_import(text=path.read_text())
    first, second = caught.value.problems
    assert (first.index, first.field) == (1, "actor.mbox")
    assert text[first.line - 1].strip() == "{"  # the line the statement starts on
    assert first.line < second.line and second.index == 3 and second.field.startswith("verb")
    assert "line" in str(first) and "[1].actor.mbox" in str(first)


def test_bad_jsonl_line_and_duplicate_ids():
    good = _statements(2)
    with pytest.raises(StatementImportError) as caught:
        statements_import(text=json.dumps(good[0]) + "\n{not json\n")
    assert caught.value.problems[0].line == 2
    with pytest.raises(StatementImportError) as caught:
        statements_import(text="\n".join(json.dumps(s) for s in [good[0], good[1], good[0]]))
    assert (caught.value.problems[0].line, caught.value.problems[0].rule) == (3, "repeats statement [0]")
    assert not Statement.objects.exists()


def test_error_in_a_later_batch_rolls_back_earlier_batches(tmp_path):
    items = _statements(4)
    items.append(voiding(items[0]["id"]))
    items.append(voiding(items[4]["id"]))  # voiding a voiding statement: refused by the store
    with pytest.raises(StatementImportError) as caught:
        statements_import(text="\n".join(json.dumps(s) for s in items), batch_size=5)
    assert caught.value.problems[0].index == 5 and caught.value.problems[0].rule == "voiding"
    assert not Statement.objects.exists() and not LearningRecord.objects.exists()


def test_empty_and_unknown_client(tmp_path):
    with pytest.raises(StatementImportError):
        statements_import(text="[]")
    with pytest.raises(StatementImportError, match="no client"):
        statements_import(text=json.dumps(_statements(1)), client_key="nope")


def _planner_rows(table: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return float(cursor.fetchone()[0])


def test_a_large_import_refreshes_the_planner_statistics(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's plans here use no statistics")
    # A small file stands for a large one: the threshold is what is under test, not the file's size.
    monkeypatch.setattr(bulk_import, "ANALYZE_AFTER", 5)
    statements_import(text=json.dumps(_statements(4)))
    # Below the threshold: not analysed (-1, or whatever an earlier test's ANALYZE left: it is not rolled back).
    assert _planner_rows("lrs_statement") != 4
    statements_import(text=json.dumps(_statements(6)))
    assert _planner_rows("lrs_statement") == 10
    assert _planner_rows("lrs_statementrelation") > 0
