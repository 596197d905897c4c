import datetime as dt
import json
import stat
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, Max, Min
from django.test import override_settings

from tandem.accounts.models import Role, RoleGrant, User
from tandem.audit.models import AuditEvent
from tandem.core.dates import today
from tandem.demo.context import STEPS, Step, register_step
from tandem.demo.logins import demo_passwords, logins_write
from tandem.demo.services import demo_is_loaded, demo_months
from tandem.initiatives.models import Initiative
from tandem.lrs.models import ActivityDefinition, LearningRecord, Statement
from tandem.metrics.models import MetricDefinition, MetricObservation
from tandem.org.models import Assignment, OrgUnit, Person
from tandem.org.selectors import person_reporting_line_ids
from tests.demo.conftest import SEED, simulate

pytestmark = pytest.mark.django_db


def test_history_is_the_24_months_before_this_month():
    months = demo_months(on=dt.date(2026, 3, 10))
    assert len(months) == 24
    assert months[0] == dt.date(2024, 3, 1) and months[-1] == dt.date(2026, 2, 1)


def _people(seed: int, months: int = 24) -> list[tuple[str, str, str, str]]:
    ctx = simulate(seed, months)
    return sorted((p.employee_id, p.first_name, p.last_name, p.team) for p in ctx.people.values())


def test_same_seed_same_company_and_another_seed_another():
    simulate.cache_clear()
    first = _people(SEED)
    simulate.cache_clear()
    assert first == _people(SEED)
    assert _people(SEED, 2) != _people(SEED + 1, 2)


def test_database_matches_the_seeded_simulation(demo):
    stored = sorted(Person.objects.values_list("employee_id", "first_name", "last_name", "org_unit__code"))
    assert stored == _people(SEED)


def test_a_mid_size_company(demo):
    active = Person.objects.filter(status="active").count()
    assert 2_200 <= active <= 2_700
    assert Person.objects.filter(status="terminated").count() >= 300
    assert demo_is_loaded()


def test_org_tree_has_departments_teams_and_cost_centres(demo):
    departments = set(OrgUnit.objects.filter(kind="department").values_list("name", flat=True))
    assert len(departments) >= 10
    assert {
        "Technology",
        "Sales",
        "Customer Service",
        "Operations",
        "Finance",
        "HR",
        "Marketing",
        "Legal",
    } <= departments
    technology = OrgUnit.objects.get(kind="department", name="Technology")
    assert set(technology.children.values_list("name", flat=True)) == {
        "Platform & Cloud",
        "Data & AI",
        "Application Development",
        "IT Security",
        "IT Service Desk",
    }
    assert OrgUnit.objects.filter(parent__name="Customer Service", name__startswith="CS ").count() >= 5
    assert OrgUnit.objects.filter(name="Learning & Development", parent__name="HR").exists()
    assert not OrgUnit.objects.filter(cost_centre="").exists()
    company = OrgUnit.objects.get(kind="company")
    assert all(unit.path.startswith(company.path) for unit in OrgUnit.objects.all())


def test_management_hierarchy_has_one_root_no_cycles_and_a_lead_per_team(demo):
    active = Person.objects.filter(status="active")
    managers = dict(active.values_list("id", "manager_id"))
    roots = [pk for pk, manager in managers.items() if manager is None]
    assert len(roots) == 1 and Person.objects.get(pk=roots[0]).job_role.code == "CEO"
    for start in managers:
        seen: set[int] = set()
        current: int | None = start
        while current is not None:
            assert current not in seen, "management cycle"
            seen.add(current)
            current = managers[current]
    # Every active manager is active, and managers hold people-manager roles (except the CEO's assistant).
    assert not active.filter(manager__status="terminated").exists()
    spans = Counter(active.exclude(manager=None).values_list("manager_id", flat=True))
    assert max(spans.values()) <= 20
    manager_roles = set(
        Person.objects.filter(pk__in=spans).values_list("job_role__is_people_manager", flat=True)
    )
    assert manager_roles == {True}
    for team in OrgUnit.objects.filter(kind="team"):
        assert active.filter(org_unit=team, job_role__code__in=["TL", "EM"]).count() == 1, team.code
    ceo = Person.objects.get(pk=roots[0])
    assert len(person_reporting_line_ids(manager_id=ceo.pk, on=today())) == active.count() - 1


def test_people_look_real(demo):
    people = Person.objects.all()
    emails = list(people.values_list("work_email", flat=True))
    assert len(emails) == len(set(emails))
    assert all(email.endswith("@brightwater.example") for email in emails)
    person = people.filter(work_email__regex=r"^[a-z-]+\.[a-z-]+@").first()
    assert person is not None
    assert {"London", "Berlin", "Lisbon", "Warsaw", "Austin", "Toronto", "Bangalore"} <= set(
        people.values_list("location", flat=True)
    )
    assert {"full_time", "part_time", "contractor"} <= set(people.values_list("employment_type", flat=True))
    hire_years = {d.year for d in people.values_list("hire_date", flat=True)}
    assert len(hire_years) >= 8


def test_history_has_hires_leavers_and_moves(demo):
    months = demo.ctx.months
    moved = Assignment.objects.values("person").annotate(n=Count("id")).filter(n__gt=1).count()
    assert moved >= 300
    leavers = Person.objects.filter(status="terminated")
    assert all(p.termination_date and months[0] <= p.termination_date < today() for p in leavers)
    assert not Assignment.objects.filter(person__status="terminated", valid_to__isnull=True).exists()
    assert Person.objects.filter(hire_date__gte=months[0]).count() >= 300
    # Customer service loses people faster than the rest of the company.
    cs = Person.objects.filter(org_unit__parent__code="CS")
    other = Person.objects.exclude(org_unit__parent__code="CS")
    cs_rate = cs.filter(status="terminated").count() / cs.count()
    other_rate = other.filter(status="terminated").count() / other.count()
    assert cs_rate > other_rate
    # Moves are spread over the history, not all on one day.
    starts = Assignment.objects.filter(valid_from__gte=months[1]).values_list("valid_from", flat=True)
    assert len({(d.year, d.month) for d in starts}) >= 20
    # Promotions change the role in a new assignment.
    promoted = [
        person_id
        for person_id, roles in Counter(
            Assignment.objects.values_list("person_id", "job_role_id")
            .distinct()
            .values_list("person_id", flat=True)
        ).items()
        if roles > 1
    ]
    assert len(promoted) >= 100


def test_metrics_have_24_monthly_observations(demo):
    assert MetricDefinition.objects.count() >= 8
    for metric in MetricDefinition.objects.all():
        periods = sorted(set(metric.observations.values_list("period_start", flat=True)))
        assert periods == demo.ctx.months, metric.code
    tickets = MetricDefinition.objects.get(code="cx-tickets-closed")
    assert tickets.grain == "person"
    last = demo.ctx.months[-1]
    agents_last_month = {
        employee_id
        for employee_id, entry in demo.ctx.roster[last].items()
        if entry.team.startswith("CS-") and entry.role in {"CSA-1", "CSA-2"}
    }
    observed = set(
        MetricObservation.objects.filter(metric=tickets, period_start=last).values_list(
            "person__employee_id", flat=True
        )
    )
    assert observed == agents_last_month and len(observed) > 800
    assert MetricObservation.objects.filter(metric__code="cx-csat", org_unit__code="CS-PL").count() == 24
    # January is the ticket peak.
    per_month = {
        month: sum(
            MetricObservation.objects.filter(metric=tickets, period_start=month).values_list(
                "value", flat=True
            )
        )
        for month in demo.ctx.months
    }
    january = next(m for m in demo.ctx.months if m.month == 1)
    october = next(m for m in demo.ctx.months if m.month == 10)
    assert per_month[january] > per_month[october]


def test_initiatives_with_owners_and_linked_metrics(demo):
    initiatives = Initiative.objects.select_related("owner").prefetch_related("metric_links")
    assert 3 <= initiatives.count() <= 5
    for initiative in initiatives:
        assert initiative.owner is not None and initiative.owner.status == "active"
        links = list(initiative.metric_links.all())
        # Baselines are measured by Tandem from the baseline date (see the next test), not typed in.
        assert links and all(link.baseline_date is not None and link.target is not None for link in links)
    assert initiatives.get(code="cloud-migration").owner.job_title == "Chief Technology Officer"
    assert initiatives.get(code="customer-experience").owner.job_title == "Head of Customer Service"


def _company_line(metric_code: str) -> list[tuple[dt.date, float]]:
    """The company line recomputed from the observations: recorded company values, else the monthly mean."""
    rows = MetricObservation.objects.filter(metric__code=metric_code).values_list(
        "period_start", "entity_key", "value"
    )
    company = sorted((period, value) for period, key, value in rows if key == "company")
    if company:
        return company
    by_month: dict[dt.date, list[float]] = {}
    for period, _key, value in rows:
        by_month.setdefault(period, []).append(value)
    return sorted((period, sum(values) / len(values)) for period, values in by_month.items())


def test_initiative_figures_agree_with_the_observations_and_the_chart(demo):
    """Each initiative figure two ways: the selector the pages use, and straight from the observations."""
    from tandem.core.scope import PersonScope
    from tandem.initiatives.selectors import initiative_list

    for initiative in initiative_list(scope=PersonScope.all()):
        if initiative.end_date < today():
            assert initiative.status == "completed", initiative.code
        for progress in initiative.metrics:
            line = _company_line(progress.metric_code)
            before = [value for period, value in line if period <= progress.baseline_date][-3:]
            assert progress.baseline_source == "measured", progress.metric_code
            assert progress.baseline == pytest.approx(sum(before) / len(before))
            charted = {point.period_start: point.value for point in progress.smoothed}
            assert charted[progress.baseline_measured.last_period] == pytest.approx(progress.baseline)
            recent = [value for _period, value in line][-3:]
            assert progress.now.value == pytest.approx(sum(recent) / len(recent))
            expected = (progress.now.value - progress.baseline) / (progress.target - progress.baseline)
            assert progress.progress == pytest.approx(expected)


def test_one_demo_account_per_role(demo):
    grants = {grant.role: grant for grant in RoleGrant.objects.select_related("user__person")}
    assert set(grants) == set(Role.values)
    assert User.objects.count() == len(Role.values)
    for grant in grants.values():
        user = grant.user
        password = next(login["password"] for login in demo.logins if login["email"] == user.email)
        assert user.check_password(password)
        assert user.person is not None and user.email == user.person.work_email
    assert grants[Role.LD_ADMIN].user.person.job_title == "Head of Learning & Development"
    assert grants[Role.LD_TEAM].user.person.org_unit.code == "HR-LD"
    stakeholder = grants[Role.STAKEHOLDER]
    assert list(stakeholder.org_units.values_list("code", flat=True)) == ["CS"]
    assert stakeholder.user.person.job_title == "Head of Customer Service"
    manager = grants[Role.MANAGER].user.person
    assert manager.org_unit.parent.code == "TECH" and manager.reports.filter(status="active").exists()
    learner = grants[Role.LEARNER].user.person
    assert learner.job_role.code == "CSA-1" and learner.org_unit.parent.code == "CS"
    assert grants[Role.IT_REVIEWER].user.person.org_unit.code == "TECH-SEC"
    assert [login["role"] for login in demo.logins] == list(Role.values)


def test_demo_prints_the_url_and_logins_and_keeps_them_private(demo):
    assert stat.S_IMODE((demo.data_dir / "demo-logins.json").stat().st_mode) == 0o600
    assert "http://127.0.0.1:8000/" in demo.output
    for login in demo.logins:
        assert login["email"] in demo.output and login["password"] in demo.output
    assert len({login["password"] for login in demo.logins}) == len(Role.values)


def test_a_second_demo_run_loads_nothing_and_reprints_the_same_logins(demo):
    people, events = Person.objects.count(), AuditEvent.objects.count()
    out = StringIO()
    with override_settings(DATA_DIR=demo.data_dir):
        call_command("demo", "--no-serve", "--port", "8123", stdout=out)
    assert (Person.objects.count(), AuditEvent.objects.count()) == (people, events)
    assert "not loaded again" in out.getvalue() and "http://127.0.0.1:8123/" in out.getvalue()
    assert all(login["password"] in out.getvalue() for login in demo.logins)


def test_passwords_are_random_once_per_data_directory_or_given(tmp_path):
    assert set(demo_passwords(password="known-password").values()) == {"known-password"}
    first = demo_passwords(data_dir=tmp_path)
    assert len(set(first.values())) == len(Role.values) and first != demo_passwords(data_dir=tmp_path)
    logins_write(
        data_dir=tmp_path,
        logins=[
            {"role": role, "label": role, "email": f"{role}@x.test", "password": pw}
            for role, pw in first.items()
        ],
    )
    assert demo_passwords(data_dir=tmp_path) == first
    assert (
        json.loads((tmp_path / "demo-logins.json").read_text())["logins"][0]["password"]
        == first[Role.LD_ADMIN]
    )


def test_each_step_writes_one_summary_audit_event(demo):
    events = AuditEvent.objects.filter(entity_type="demo")
    assert sorted(events.values_list("entity_id", flat=True)) == sorted(step.name for step in STEPS)
    # The monthly snapshots were not audited person by person.
    assert not AuditEvent.objects.filter(entity_type="person").exists()


def test_steps_can_be_registered_after_a_named_step():
    original = list(STEPS)
    try:
        extra = register_step(Step("extra", "Extra", lambda ctx, tick: {}, lambda ctx: 0), after="people")
        assert [step.name for step in STEPS].index("extra") == [s.name for s in original].index("people") + 1
        assert register_step(extra) is extra and len(STEPS) == len(original) + 1
    finally:
        STEPS[:] = original


def test_demo_people_have_over_200000_statements_across_more_than_a_year(demo):
    """Issue 3: 12+ months of courses, videos, assessments and micro-learning, at least 200,000 statements."""
    statements = Statement.objects.all()
    total = statements.count()
    assert total >= 200_000
    span = statements.aggregate(first=Min("timestamp"), last=Max("timestamp"))
    assert span["last"] - span["first"] >= dt.timedelta(days=365)
    # Almost every statement is a person's (a few external actors stay unmatched on purpose).
    assert statements.filter(person__isnull=False).count() >= 0.99 * total
    types = {
        definition.get("type")
        for definition in ActivityDefinition.objects.values_list("definition", flat=True)
    }
    assert {
        "http://adlnet.gov/expapi/activities/course",
        "https://w3id.org/xapi/video/activity-type/video",
        "http://adlnet.gov/expapi/activities/assessment",
        "http://adlnet.gov/expapi/activities/module",
    } <= types
    # Learning records were kept up to date on the way in, linked to people.
    assert LearningRecord.objects.filter(person__isnull=False, completed=True).count() >= 10_000
