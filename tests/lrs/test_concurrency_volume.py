"""Issue 3 §6: 8 concurrent writers send 10,000 statements over HTTP to a live server; none is lost, none is
stored twice, and the learning records add up. Runs on SQLite (writers queue on the database lock) and on
PostgreSQL (writers interleave; the statement counter row orders them)."""

from __future__ import annotations

import base64
import json
import threading
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest
from django.db.models import Sum

from tandem.lrs.models import LearningRecord, Statement
from tandem.lrs.services import lrs_client_create
from tests.lrs.factories import statement

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

WRITERS = 8
PER_WRITER = 1_250
BATCH = 50
LEARNERS = 40
ACTIVITIES = 5


def _post(url: str, auth: str, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Authorization": auth,
            "Content-Type": "application/json",
            "X-Experience-API-Version": "1.0.3",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_eight_concurrent_writers_lose_and_duplicate_nothing(live_server: Any) -> None:
    _client, created = lrs_client_create(
        name="Concurrency test", scopes=["statements/write", "statements/read"]
    )
    auth = "Basic " + base64.b64encode(f"{created.key}:{created.secret}".encode()).decode()
    url = f"{live_server.url}/xapi/statements"
    # Every writer's statements, made up front so the ids sent are known exactly.
    batches: list[list[list[dict[str, Any]]]] = []
    for writer in range(WRITERS):
        numbers = range(writer * PER_WRITER, (writer + 1) * PER_WRITER)
        mine = [
            statement(
                actor={"objectType": "Agent", "mbox": f"mailto:learner{i % LEARNERS}@example.com"},
                activity=f"http://example.com/activities/course-{(i // LEARNERS) % ACTIVITIES}",
            )
            for i in numbers
        ]
        batches.append([mine[i : i + BATCH] for i in range(0, PER_WRITER, BATCH)])
    sent = {s["id"] for writer in batches for batch in writer for s in batch}
    returned: list[str] = []
    failures: list[tuple[int, bytes]] = []
    lock = threading.Lock()

    def write(writer: int) -> None:
        for batch in batches[writer]:
            status, body = _post(url, auth, json.dumps(batch).encode())
            with lock:
                if status == 200:
                    returned.extend(json.loads(body))
                else:
                    failures.append((status, body[:300]))

    workers = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert failures == []
    assert len(sent) == WRITERS * PER_WRITER
    assert sorted(returned) == sorted(sent)  # every id acknowledged exactly once
    stored = list(Statement.objects.values_list("id", flat=True))
    assert len(stored) == len(sent)  # none duplicated
    assert {str(uuid.UUID(str(s))) for s in stored} == sent  # none lost
    seqs = sorted(Statement.objects.values_list("seq", flat=True))
    assert seqs == list(range(seqs[0], seqs[0] + len(sent)))  # paging order has no gaps
    # Incremental learning records saw every statement exactly once, whichever writer's batch it came in.
    assert LearningRecord.objects.count() == LEARNERS * ACTIVITIES
    assert LearningRecord.objects.aggregate(total=Sum("statements"))["total"] == len(sent)
    assert LearningRecord.objects.filter(completed=True).count() == LEARNERS * ACTIVITIES
