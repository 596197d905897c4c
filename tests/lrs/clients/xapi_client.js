// Drives a live Tandem LRS with the @xapi/xapi client and prints one JSON object of what came back.
// Run by tests/lrs/test_real_clients.py: TANDEM_LRS_ENDPOINT, TANDEM_LRS_KEY, TANDEM_LRS_SECRET, TANDEM_XAPI_VERSION.
"use strict";

const XAPI = require("@xapi/xapi");
const crypto = require("crypto");

const endpoint = process.env.TANDEM_LRS_ENDPOINT;
const version = process.env.TANDEM_XAPI_VERSION || "1.0.3";
const auth = XAPI.toBasicAuth(process.env.TANDEM_LRS_KEY, process.env.TANDEM_LRS_SECRET);
const xapi = new XAPI({ endpoint, auth, version });

const actor = { objectType: "Agent", name: "Node Learner", mbox: "mailto:node.learner@example.com" };
const activityId = "http://example.com/activities/node-course";
const registration = crypto.randomUUID();

function statement(verb, extra) {
  return {
    id: crypto.randomUUID(),
    actor,
    verb,
    object: {
      objectType: "Activity",
      id: activityId,
      definition: { name: { "en-US": "Node course" } },
    },
    context: { registration },
    timestamp: new Date().toISOString(),
    ...extra,
  };
}

async function main() {
  const out = { version };
  out.about = (await xapi.getAbout()).data;

  const first = statement(XAPI.Verbs.INITIALIZED);
  const sent = await xapi.sendStatement({ statement: first });
  out.sentIds = sent.data;
  out.sentConsistentThrough = sent.headers["x-experience-api-consistent-through"] || null;

  const batch = [
    statement(XAPI.Verbs.PROGRESSED, { result: { extensions: { "http://example.com/progress": 0.5 } } }),
    statement(XAPI.Verbs.COMPLETED, { result: { completion: true, success: true, score: { scaled: 0.9 } } }),
  ];
  out.batchIds = (await xapi.sendStatements({ statements: batch })).data;

  const got = await xapi.getStatement({ statementId: first.id });
  out.got = { id: got.data.id, verb: got.data.verb.id, stored: got.data.stored, authority: got.data.authority };
  out.lastModified = got.headers["last-modified"] || null;

  const page = await xapi.getStatements({ agent: actor, registration, limit: 2 });
  out.pageIds = page.data.statements.map((s) => s.id);
  out.more = page.data.more;
  out.consistentThrough = page.headers["x-experience-api-consistent-through"] || null;
  if (page.data.more) {
    const next = await xapi.getMoreStatements({ more: page.data.more });
    out.moreIds = next.data.statements.map((s) => s.id);
  }
  out.verbIds = (await xapi.getStatements({ verb: XAPI.Verbs.COMPLETED.id, activity: activityId })).data.statements.map(
    (s) => s.id,
  );

  await xapi.voidStatement({ actor, statementId: first.id });
  out.voided = (await xapi.getVoidedStatement({ voidedStatementId: first.id })).data.id;

  // State: put, read, list, merge (POST), delete one, delete all.
  const stateKey = { agent: actor, activityId, registration };
  await xapi.setState({ ...stateKey, stateId: "bookmark", state: { page: 7 } });
  await xapi.createState({ ...stateKey, stateId: "bookmark", state: { chapter: 2 } });
  const state = await xapi.getState({ ...stateKey, stateId: "bookmark" });
  out.state = state.data;
  out.stateEtag = state.headers.etag || null;
  await xapi.setState({ ...stateKey, stateId: "suspend", state: { data: "x" } });
  out.stateIds = (await xapi.getStates(stateKey)).data.sort();
  await xapi.deleteState({ ...stateKey, stateId: "suspend" });
  out.stateIdsAfterDelete = (await xapi.getStates(stateKey)).data;
  await xapi.deleteStates(stateKey);
  out.stateIdsAfterClear = (await xapi.getStates(stateKey)).data;

  // Activity profile: create with If-None-Match: *, merge, read, list, delete with If-Match.
  await xapi.setActivityProfile({
    activityId,
    profileId: "settings",
    profile: { theme: "dark" },
    matchHeader: "If-None-Match",
    etag: "*",
  });
  await xapi.createActivityProfile({ activityId, profileId: "settings", profile: { font: "large" } });
  const activityProfile = await xapi.getActivityProfile({ activityId, profileId: "settings" });
  out.activityProfile = activityProfile.data;
  out.activityProfileIds = (await xapi.getActivityProfiles({ activityId })).data;
  await xapi.deleteActivityProfile({ activityId, profileId: "settings", etag: activityProfile.headers.etag });
  out.activityProfileIdsAfterDelete = (await xapi.getActivityProfiles({ activityId })).data;

  // Agent profile.
  await xapi.setAgentProfile({
    agent: actor,
    profileId: "preferences",
    profile: { language: "de" },
    matchHeader: "If-None-Match",
    etag: "*",
  });
  out.agentProfile = (await xapi.getAgentProfile({ agent: actor, profileId: "preferences" })).data;
  out.agentProfileIds = (await xapi.getAgentProfiles({ agent: actor })).data;

  out.activity = (await xapi.getActivity({ activityId })).data;
  out.person = (await xapi.getAgent({ agent: actor })).data;

  process.stdout.write(JSON.stringify(out));
}

main().catch((error) => {
  const response = error.response || {};
  process.stderr.write(
    JSON.stringify({ error: String(error.message || error), status: response.status, data: response.data }) + "\n",
  );
  process.exit(1);
});
