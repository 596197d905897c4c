"""Who may open what: every page and API endpoint × every role, with the exact status.

Written from the capability table in tandem/accounts/permissions.py:
  ld_admin: everything · ld_team, stakeholder, manager: people, org, initiatives, metrics (ld_team also
  learning data; ld_team and stakeholder also programs, a stakeholder those with participants in scope) ·
  learner: people (self only), initiatives · it_reviewer: system · anonymous: login redirect (pages), 401 (API).
Scope decides the rest: out-of-scope records are 403 on pages and 404 in the API (which does not
confirm what it hides). Org unit pages follow stakeholder scope (org units); a manager's scope is a set
of people, so no org unit page is in a manager's scope.

The data: CO > SALES > NORTH and CO > SUPPORT. The stakeholder holds SALES. Maria (SALES) manages
Paul (NORTH); the manager account is Maria, the learner account is Paul. Quinn (SUPPORT) is in nobody's
scope. So Paul is in scope for every role that may see people, and Quinn for the L&D roles only.
"""

import datetime as dt

import pytest
from django.urls import reverse

from tandem.accounts.models import Role
from tandem.initiatives.models import Initiative, InitiativeMetric
from tests.factories import MetricDefinitionFactory, MetricObservationFactory, OrgUnitFactory, PersonFactory
from tests.impact.factories import CohortFactory, ParticipantFactory, ProgramFactory

pytestmark = pytest.mark.django_db

ROLES = ["ld_admin", "ld_team", "stakeholder", "manager", "learner", "it_reviewer", "anonymous"]

OK, DENIED, HIDDEN, LOGIN, ADMIN_LOGIN, UNAUTHORISED = 200, 403, 404, "login", "admin_login", 401

# Columns in ROLES order.      ld_admin ld_team   stakeholder manager  learner  it_reviewer anonymous
MATRIX = [
    ("home", "/", [OK, OK, OK, OK, OK, OK, LOGIN]),
    ("people", "/people/", [OK, OK, OK, OK, OK, DENIED, LOGIN]),
    ("person in scope", "/people/P1/", [OK, OK, OK, OK, OK, DENIED, LOGIN]),
    ("person out of scope", "/people/Q1/", [OK, OK, DENIED, DENIED, DENIED, DENIED, LOGIN]),
    ("org tree", "/org/", [OK, OK, OK, OK, DENIED, DENIED, LOGIN]),
    ("org unit in scope", "/org/SALES/", [OK, OK, OK, DENIED, DENIED, DENIED, LOGIN]),
    ("org unit out of scope", "/org/SUPPORT/", [OK, OK, DENIED, DENIED, DENIED, DENIED, LOGIN]),
    ("initiatives", "/initiatives/", [OK, OK, OK, OK, OK, DENIED, LOGIN]),
    ("initiative", "/initiatives/onboarding/", [OK, OK, OK, OK, OK, DENIED, LOGIN]),
    ("metrics", "/metrics/", [OK, OK, OK, OK, DENIED, DENIED, LOGIN]),
    ("metric", "/metrics/nps/", [OK, OK, OK, OK, DENIED, DENIED, LOGIN]),
    ("programs", "/programs/", [OK, OK, OK, DENIED, DENIED, DENIED, LOGIN]),
    ("program in scope", "/programs/coaching/", [OK, OK, OK, DENIED, DENIED, DENIED, LOGIN]),
    ("program out of scope", "/programs/support-desk/", [OK, OK, DENIED, DENIED, DENIED, DENIED, LOGIN]),
    ("program headline", "/programs/coaching/headline/", [OK, OK, OK, DENIED, DENIED, DENIED, LOGIN]),
    ("new program", "/programs/new/", [OK, OK, DENIED, DENIED, DENIED, DENIED, LOGIN]),
    ("program setup", "/programs/coaching/setup/", [OK, OK, DENIED, DENIED, DENIED, DENIED, LOGIN]),
    ("program edit", "/programs/coaching/edit/", [OK, OK, DENIED, DENIED, DENIED, DENIED, LOGIN]),
    ("program export in scope", "/programs/coaching/export.csv", [OK, OK, OK, DENIED, DENIED, DENIED, LOGIN]),
    (
        "program export out of scope",
        "/programs/support-desk/export.pdf",
        [OK, OK, DENIED, DENIED, DENIED, DENIED, LOGIN],
    ),
    ("case study in scope", "/programs/coaching/case-study/", [OK, OK, OK, DENIED, DENIED, DENIED, LOGIN]),
    (
        "case study out of scope",
        "/programs/support-desk/case-study/",
        [OK, OK, DENIED, DENIED, DENIED, DENIED, LOGIN],
    ),
    ("business cases", "/reports/business-cases/", [OK, OK, DENIED, DENIED, DENIED, DENIED, LOGIN]),
    ("learning data", "/learning/", [OK, OK, DENIED, DENIED, DENIED, DENIED, LOGIN]),
    ("learning data quality", "/learning/data-quality/", [OK, OK, DENIED, DENIED, DENIED, DENIED, LOGIN]),
    # Own records only: every signed-in person may open it (the IT reviewer, linked to nobody, sees a note).
    ("my learning", "/learning/me/", [OK, OK, OK, OK, OK, OK, LOGIN]),
    ("learning statements", "/learning/statements/", [OK, OK, DENIED, DENIED, DENIED, DENIED, LOGIN]),
    ("learning by department", "/learning/department/", [OK, OK, OK, DENIED, DENIED, DENIED, LOGIN]),
    ("lrs credentials", "/learning/clients/", [OK, DENIED, DENIED, DENIED, DENIED, DENIED, LOGIN]),
    ("imports", "/imports/", [OK, DENIED, DENIED, DENIED, DENIED, DENIED, LOGIN]),
    ("audit", "/audit/", [OK, DENIED, DENIED, DENIED, DENIED, DENIED, LOGIN]),
    ("system", "/system/", [OK, DENIED, DENIED, DENIED, DENIED, OK, LOGIN]),
    ("users", "/users/", [OK, DENIED, DENIED, DENIED, DENIED, DENIED, LOGIN]),
    ("admin", "/admin/", [OK, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN]),
    ("health", "/health/", [OK, OK, OK, OK, OK, OK, OK]),
    ("api people", "/api/people", [OK, OK, OK, OK, OK, DENIED, UNAUTHORISED]),
    ("api person in scope", "/api/people/P1", [OK, OK, OK, OK, OK, DENIED, UNAUTHORISED]),
    ("api person out of scope", "/api/people/Q1", [OK, OK, HIDDEN, HIDDEN, HIDDEN, DENIED, UNAUTHORISED]),
    ("api org units", "/api/org-units", [OK, OK, OK, OK, DENIED, DENIED, UNAUTHORISED]),
    ("api metrics", "/api/metrics", [OK, OK, OK, OK, DENIED, DENIED, UNAUTHORISED]),
    ("api observations", "/api/metrics/nps/observations", [OK, OK, OK, OK, DENIED, DENIED, UNAUTHORISED]),
    ("api initiatives", "/api/initiatives", [OK, OK, OK, OK, OK, DENIED, UNAUTHORISED]),
    ("api programs", "/api/programs", [OK, OK, OK, DENIED, DENIED, DENIED, UNAUTHORISED]),
    ("api program in scope", "/api/programs/coaching", [OK, OK, OK, DENIED, DENIED, DENIED, UNAUTHORISED]),
    (
        "api program out of scope",
        "/api/programs/support-desk",
        [OK, OK, HIDDEN, DENIED, DENIED, DENIED, UNAUTHORISED],
    ),
]

CASES = [
    pytest.param(url, role, expected[index], id=f"{name}-{role}")
    for name, url, expected in MATRIX
    for index, role in enumerate(ROLES)
]


@pytest.fixture
def company(make_user):
    co = OrgUnitFactory(code="CO", name="Company", kind="company")
    sales = OrgUnitFactory(code="SALES", name="Sales", parent=co)
    north = OrgUnitFactory(code="NORTH", name="North", parent=sales)
    support = OrgUnitFactory(code="SUPPORT", name="Support", parent=co)
    maria = PersonFactory(employee_id="M1", first_name="Maria", org_unit=sales)
    paul = PersonFactory(employee_id="P1", first_name="Paul", org_unit=north, manager=maria)
    quinn = PersonFactory(employee_id="Q1", first_name="Quinn", org_unit=support)
    # Programs: one with Paul (in the stakeholder's scope), one with Quinn only (out of it).
    for code, person in (("coaching", paul), ("support-desk", quinn)):
        ParticipantFactory(cohort=CohortFactory(program=ProgramFactory(code=code)), person=person)
    nps = MetricDefinitionFactory(code="nps", name="NPS")
    for unit in (sales, north, support):
        MetricObservationFactory(metric=nps, org_unit=unit, period_start=dt.date(2025, 1, 1), value=40)
    onboarding = Initiative.objects.create(
        code="onboarding",
        name="Faster onboarding",
        sponsor_org_unit=sales,
        start_date=dt.date(2025, 1, 1),
        end_date=dt.date(2026, 12, 31),
    )
    InitiativeMetric.objects.create(initiative=onboarding, metric=nps, baseline=40, target=50)
    return {
        "ld_admin": make_user(roles=[Role.LD_ADMIN]),
        "ld_team": make_user(roles=[Role.LD_TEAM]),
        "stakeholder": make_user(roles=[Role.STAKEHOLDER], org_units=[sales]),
        "manager": make_user(roles=[Role.MANAGER], person=maria),
        "learner": make_user(roles=[Role.LEARNER], person=paul),
        "it_reviewer": make_user(roles=[Role.IT_REVIEWER]),
        "anonymous": None,
    }


@pytest.mark.parametrize(("url", "role", "expected"), CASES)
def test_access(client, company, url, role, expected):
    user = company[role]
    if user is not None:
        client.force_login(user)
    response = client.get(url)
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={url}"
    elif expected == ADMIN_LOGIN:
        # The admin sends everyone who is not an L&D admin to its login page, which answers 403 to a
        # signed-in user and sends an anonymous one on to the (rate-limited) Tandem login.
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('admin:login')}?next={url}"
        follow = client.get(response["Location"])
        if user is None:
            assert follow.status_code == 302 and follow["Location"] == f"{reverse('login')}?next={url}"
        else:
            assert follow.status_code == 403
    else:
        assert response.status_code == expected, response.content[:300]


ROLE_CODES = [role for role in Role.values if "_" in role] + ["(stakeholder)", "(manager)", "(learner)"]
DENIED_CASES = [
    pytest.param(url, role, id=f"{name}-{role}")
    for name, url, expected in MATRIX
    for index, role in enumerate(ROLES)
    if expected[index] == DENIED
]


@pytest.mark.parametrize(("url", "role"), DENIED_CASES)
def test_every_refusal_is_in_words_and_says_whom_to_ask(client, company, url, role):
    """403 pages and the API's 403 reasons name roles by their labels, never by codes such as ld_team."""
    client.force_login(company[role])
    response = client.get(url)
    text = response.content.decode()
    assert response.status_code == 403
    for code in ROLE_CODES:
        assert code not in text.replace('data-testid="home-', "")
    if url.startswith("/api/"):
        assert "Ask " in response.json()["detail"]
    elif "do not allow this" in text:  # a role refusal (scope refusals say what is out of scope instead)
        assert "Ask your L&amp;D admin." in text or "Ask an L&amp;D admin:" in text
