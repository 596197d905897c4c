"""Real xAPI clients against a live Tandem server: TinCanPython (PyPI `tincan`) and @xapi/xapi (npm, run by node).

Both talk HTTP to pytest-django's live_server, with a credential made by the service the CLI uses. The node
client needs node and npm: without them the test is skipped, except under CI=true where CI provides both and
a skip would hide a broken client contract.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest
from tincan import (
    Activity,
    ActivityDefinition,
    ActivityProfileDocument,
    Agent,
    AgentProfileDocument,
    LanguageMap,
    RemoteLRS,
    Result,
    StateDocument,
    Statement,
    Verb,
)
from tincan.http_request import HTTPRequest

from tandem.lrs.models import Document, LearningRecord
from tandem.lrs.models import Statement as StoredStatement
from tandem.lrs.services import lrs_client_create

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = Path(__file__).parent / "clients"
SCOPES = ["statements/write", "statements/read", "state", "profile"]
ACTIVITY = "http://example.com/activities/tincan-course"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
ATTEMPTED = "http://adlnet.gov/expapi/verbs/attempted"


@pytest.fixture
def credentials() -> tuple[str, str]:
    _client, created = lrs_client_create(name="Real client test", scopes=SCOPES)
    return created.key, created.secret


@pytest.fixture
def lrs(live_server: Any, credentials: tuple[str, str]) -> RemoteLRS:
    key, secret = credentials
    return RemoteLRS(endpoint=f"{live_server.url}/xapi/", version="1.0.3", username=key, password=secret)


def _ok(response: Any) -> Any:
    assert response.success, (response.response.status, response.data)
    return response.content


def _tincan_statement(verb: str, **extra: Any) -> Statement:
    return Statement(
        actor=Agent(name="Py Learner", mbox="mailto:py.learner@example.com"),
        verb=Verb(id=verb, display=LanguageMap({"en-US": verb.rsplit("/", 1)[-1]})),
        object=Activity(
            id=ACTIVITY, definition=ActivityDefinition(name=LanguageMap({"en-US": "TinCan course"}))
        ),
        **extra,
    )


def test_tincan_python_stores_and_reads_statements(lrs: RemoteLRS):
    """Communication 2.1 through a real 1.0.3 client: PUT with id, POST without, batch, GET single and query."""
    # TinCanPython's About object accepts 1.0.x only, and About must list 2.0.0 too (Communication 2.8.s5.b1:
    # the latest version per major version): its parser refuses a correct answer, so read it raw.
    with pytest.raises(ValueError, match=r"2\.0\.0"):
        lrs.about()
    about = lrs._send_request(HTTPRequest(method="GET", resource="about"))
    assert about.success and json.loads(about.data)["version"] == ["1.0.3", "2.0.0"]

    single = _tincan_statement(ATTEMPTED, id=str(uuid.uuid4()))
    saved = _ok(lrs.save_statement(single))  # has an id: PUT ?statementId=
    assert saved.id == single.id
    without_id = _tincan_statement(ATTEMPTED)
    assert _ok(lrs.save_statement(without_id)).id is not None  # POST: the LRS assigns the id
    batch = _ok(lrs.save_statements([_tincan_statement(ATTEMPTED), _tincan_statement(COMPLETED)]))
    assert all(s.id for s in batch)

    got = _ok(lrs.retrieve_statement(str(single.id)))
    assert str(got.id) == str(single.id)
    assert got.verb.id == ATTEMPTED
    assert got.authority is not None and got.stored is not None

    result = _ok(lrs.query_statements({"verb": Verb(id=COMPLETED), "limit": 10}))
    assert [str(s.id) for s in result.statements] == [str(batch[1].id)]
    everything = _ok(lrs.query_statements({"agent": single.actor, "limit": 2}))
    assert len(everything.statements) == 2 and everything.more
    rest = _ok(lrs.more_statements(everything))
    seen = [str(s.id) for s in everything.statements + rest.statements]
    assert len(seen) == 4 and len(set(seen)) == 4
    assert str(single.id) in seen

    # Voiding through the client: the statement moves from statementId to voidedStatementId.
    voiding = Statement(
        actor=single.actor,
        verb=Verb(id="http://adlnet.gov/expapi/verbs/voided"),
        object={"objectType": "StatementRef", "id": str(single.id)},
    )
    _ok(lrs.save_statement(voiding))
    assert not lrs.retrieve_statement(str(single.id)).success
    assert str(_ok(lrs.retrieve_voided_statement(str(single.id))).id) == str(single.id)

    assert StoredStatement.objects.count() == 5
    record = LearningRecord.objects.get(actor_ifi="mbox:mailto:py.learner@example.com", activity_id=ACTIVITY)
    assert record.completed


def test_tincan_python_state_and_profiles(lrs: RemoteLRS):
    """Communication 2.3 (State), 2.6 (Agent Profile), 2.7 (Activity Profile) through a real client."""
    agent = Agent(name="Py Learner", mbox="mailto:py.learner@example.com")
    activity = Activity(id=ACTIVITY)
    # TinCanPython's save_state leaves the registration out of the request (and sends it twice), so this
    # state lives without one; the node client below covers registrations.
    state = StateDocument(
        activity=activity,
        agent=agent,
        id="bookmark",
        content=json.dumps({"page": 3}),
        content_type="application/json",
    )
    _ok(lrs.save_state(state))
    stored = _ok(lrs.retrieve_state(activity, agent, "bookmark"))
    assert json.loads(bytes(stored.content)) == {"page": 3}
    assert _ok(lrs.retrieve_state_ids(activity, agent)) == ["bookmark"]
    _ok(lrs.delete_state(state))
    assert _ok(lrs.retrieve_state_ids(activity, agent)) == []

    profile = ActivityProfileDocument(
        activity=activity, id="settings", content="plain text", content_type="text/plain"
    )
    _ok(lrs.save_activity_profile(profile))
    read = _ok(lrs.retrieve_activity_profile(activity, "settings"))
    assert bytes(read.content) == b"plain text"
    assert _ok(lrs.retrieve_activity_profile_ids(activity)) == ["settings"]

    agent_profile = AgentProfileDocument(
        agent=agent,
        id="preferences",
        content=json.dumps({"lang": "de"}),
        content_type="application/json",
    )
    _ok(lrs.save_agent_profile(agent_profile))
    read_agent = _ok(lrs.retrieve_agent_profile(agent, "preferences"))
    assert json.loads(bytes(read_agent.content)) == {"lang": "de"}
    assert _ok(lrs.retrieve_agent_profile_ids(agent)) == ["preferences"]
    assert Document.objects.count() == 2


def test_tincan_python_result_round_trips(lrs: RemoteLRS):
    """Data 2.4.5: a result with score and completion comes back as sent."""
    sent = _tincan_statement(
        COMPLETED, id=str(uuid.uuid4()), result=Result(completion=True, success=True, score={"scaled": 0.75})
    )
    _ok(lrs.save_statement(sent))
    got = _ok(lrs.retrieve_statement(str(sent.id)))
    assert got.result.completion is True and got.result.score.scaled == 0.75


# --- @xapi/xapi (node) ------------------------------------------------------------------------------


def _node_or_skip() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node and npm:
        return node, npm
    reason = "node and npm are needed for the @xapi/xapi client test"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}, and CI provides them")
    pytest.skip(reason)


def _npm_ci(npm: str) -> None:
    """`npm ci` from the committed lock file, once per lock file version (cached in clients/node_modules)."""
    lock_hash = hashlib.sha256((CLIENTS / "package-lock.json").read_bytes()).hexdigest()
    stamp = CLIENTS / "node_modules" / ".tandem-lock-sha256"
    # Several pytest processes may share the checkout: one installs, the others wait.
    with open(Path(tempfile.gettempdir()) / "tandem-xapi-clients-npm.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists() and stamp.read_text() == lock_hash:
            return
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=CLIENTS,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"
        stamp.write_text(lock_hash)


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
def test_xapi_js_client_stores_and_reads_statements_state_and_profiles(
    live_server: Any, credentials: tuple[str, str], version: str
):
    node, npm = _node_or_skip()
    _npm_ci(npm)
    key, secret = credentials
    env = {
        **os.environ,
        "TANDEM_LRS_ENDPOINT": f"{live_server.url}/xapi/",
        "TANDEM_LRS_KEY": key,
        "TANDEM_LRS_SECRET": secret,
        "TANDEM_XAPI_VERSION": version,
    }
    done = subprocess.run(
        [node, "xapi_client.js"],
        cwd=CLIENTS,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)

    assert out["about"]["version"] == ["1.0.3", "2.0.0"]
    assert len(out["sentIds"]) == 1 and len(out["batchIds"]) == 2
    assert out["sentConsistentThrough"]
    assert out["got"]["id"] == out["sentIds"][0]
    assert out["got"]["verb"] == "http://adlnet.gov/expapi/verbs/initialized"
    assert out["got"]["authority"]["account"]["name"] == key
    assert out["lastModified"]
    # Newest first, two per page, the third on the `more` page.
    assert out["pageIds"] == list(reversed(out["batchIds"]))
    assert out["moreIds"] == out["sentIds"]
    assert out["verbIds"] == [out["batchIds"][1]]
    assert out["consistentThrough"] >= out["got"]["stored"][:23]
    assert out["voided"] == out["sentIds"][0]

    assert out["state"] == {"page": 7, "chapter": 2}
    assert out["stateEtag"]
    assert out["stateIds"] == ["bookmark", "suspend"]
    assert out["stateIdsAfterDelete"] == ["bookmark"]
    assert out["stateIdsAfterClear"] == []
    assert out["activityProfile"] == {"theme": "dark", "font": "large"}
    assert out["activityProfileIds"] == ["settings"]
    assert out["activityProfileIdsAfterDelete"] == []
    assert out["agentProfile"] == {"language": "de"}
    assert out["agentProfileIds"] == ["preferences"]
    assert out["activity"]["id"] == "http://example.com/activities/node-course"
    assert out["activity"]["definition"]["name"] == {"en-US": "Node course"}
    assert out["person"]["objectType"] == "Person"
    assert "mailto:node.learner@example.com" in out["person"]["mbox"]

    record = LearningRecord.objects.get(actor_ifi="mbox:mailto:node.learner@example.com")
    assert record.completed and record.best_score_scaled == 0.9
