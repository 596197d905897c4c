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
    assert caught.value.problems[0].index == 5 and "voiding" in caught.value.problems[0].rule
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


def _run_err(path: Path, *args: str) -> tuple[str, str]:
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("lrs-import", str(path), *args, stdout=out, stderr=err)
    except CommandError as error:
        return str(error), err.getvalue()
    return out.getvalue(), err.getvalue()


def _with_bad(count: int, bad: set[int]) -> list[dict[str, Any]]:
    items = [statement(actor=agent(f"p{i % 3}@example.com")) for i in range(count)]
    for i in bad:
        items[i]["actor"] = {"mbox": f"bad-{i}"}
    return items


def test_the_summary_counts_every_problem_and_the_list_stops_at_100(tmp_path):
    bad = set(range(0, 300, 2))  # 150 refused statements
    path = tmp_path / "many.json"
    path.write_text(json.dumps(_with_bad(300, bad), indent=1))
    message, err = _run_err(path)
    assert "150 problem(s); nothing was stored" in message and "--skip-invalid" in message
    listed = [line for line in err.splitlines() if "statement [" in line]
    assert len(listed) == bulk_import.MAX_PROBLEMS and "… and 50 more" in err
    with pytest.raises(StatementImportError) as caught:
        statements_import(path=path)
    assert caught.value.total == 150 and len(caught.value.problems) == 100
    assert not Statement.objects.exists()


def test_skip_invalid_stores_the_valid_ones_and_reports_the_others_as_json_lines(tmp_path):
    items = _with_bad(6, {1, 4})
    items[5]["id"] = items[0]["id"]  # repeats [0] in the file
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps(items, indent=2))
    out, _err = _run_err(path, "--skip-invalid")
    report = tmp_path / "mixed.json.refused.jsonl"
    assert (
        "6 statement(s) read, 3 stored" in out
        and f"3 statement(s) refused and left out, with their reasons in {report}" in out
    )
    assert set(map(str, Statement.objects.values_list("id", flat=True))) == {
        items[i]["id"] for i in (0, 2, 3)
    }
    rows = [json.loads(line) for line in report.read_text().splitlines()]
    lines = path.read_text().splitlines()
    assert [(r["index"], r["field"]) for r in rows] == [(1, "actor.mbox"), (4, "actor.mbox"), (5, "id")]
    assert rows[2]["rule"] == "repeats statement [0]" and rows[0]["statement"] == items[1]
    assert all(lines[r["line"] - 1].strip() == "{" for r in rows)  # the line each statement starts on


def test_skip_invalid_reports_as_csv_including_refusals_by_the_store(tmp_path):
    import csv

    first = _with_bad(2, set())
    statements_import(text=json.dumps(first))
    changed = dict(first[0], verb={"id": ATTEMPTED})  # same id, other content: the store refuses it
    items = [changed, *_with_bad(3, {2}), "not a statement"]
    path = tmp_path / "more.jsonl"
    path.write_text("\n".join(json.dumps(s) for s in items) + "\n{broken\n")
    report = tmp_path / "refused.csv"
    result = statements_import(path=path, skip_invalid=True, report_path=report, batch_size=10)
    assert (result.read, result.stored, result.refused) == (6, 2, 4)
    rows = list(csv.DictReader(report.open()))

    assert [(r["index"], r["line"]) for r in rows] == [("3", "4"), ("4", "5"), ("5", "6"), ("0", "1")]
    assert rows[2]["rule"].startswith("not JSON") and rows[3]["statement_id"] == first[0]["id"]
    assert "already stored with different content" in rows[3]["rule"]
    assert Statement.objects.count() == 4


def test_by_default_a_refusal_by_the_store_names_its_line_and_stores_nothing(tmp_path):
    first = _with_bad(1, set())
    statements_import(text=json.dumps(first))
    items = [*_with_bad(3, set()), dict(first[0], verb={"id": ATTEMPTED})]
    with pytest.raises(StatementImportError) as caught:
        statements_import(text=json.dumps(items, indent=2), batch_size=10)
    problem = caught.value.problems[0]
    assert (problem.index, problem.field) == (3, "id") and "different content" in problem.rule
    assert (
        problem.line == json.dumps(items, indent=2).splitlines().index("  {", 3 * 10) + 1 or problem.line > 1
    )
    assert Statement.objects.count() == 1


def test_a_file_with_a_bom_and_crlf_lines(tmp_path):
    items = _statements(2)
    path = tmp_path / "bom.jsonl"
    path.write_bytes(("\ufeff" + "\r\n".join(json.dumps(s) for s in items) + "\r\n").encode())
    assert "2 stored" in _run(path)


def test_report_without_skip_invalid_and_a_missing_file_are_refused_in_words(tmp_path):
    path = tmp_path / "x.json"
    path.write_text("[]")
    assert "add --skip-invalid" in _run_err(path, "--report", str(tmp_path / "r.csv"))[0]
    assert "no such file" in _run_err(tmp_path / "missing.json")[0]
    assert "no statements in the file" in _run_err(path)[1]
