import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tandem.core.charts import Marker, XYPoint, XYSeries, xy_chart_svg
from tandem.impact.services import cohort_create, participants_add_list, pilot_plan_freeze, pilot_plan_set
from tandem.org.models import OrgUnit
from tests.factories import OrgUnitFactory, PersonFactory
from tests.impact.test_estimates import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(settings):
    settings.TANDEM_MIN_GROUP_SIZE = 5
    return build(effect=3.0, per_cohort=12, comparison=20)


def _page(client, code="coach", **params):
    response = client.get(reverse("program_detail", args=[code]), params)
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


def test_list_shows_status_waves_participants_and_loads_the_headline(program, make_user, login):
    client = login(make_user(roles=["ld_admin"]))
    page = client.get(reverse("programs")).content.decode()
    assert 'data-testid="program-coach"' in page and "3 waves" in page and "36 participants" in page
    assert reverse("program_headline", args=["coach"]) in page
    fragment = client.get(reverse("program_headline", args=["coach"])).content.decode()
    assert "more tickets per month" in fragment and "Better" in fragment


def test_impact_page_for_a_department_head(program, make_user, login):
    pilot_plan_set(
        actor_id=None,
        program_id=program.pk,
        minimum_detectable_effect=3.0,
        outcome_sd=10.0,
        correlation=0.9,
        duration_weeks=8,
        scale_threshold=1.0,
        stop_threshold=0.0,
    )
    pilot_plan_freeze(actor_id=None, program_id=program.pk)
    client = login(make_user(roles=["ld_admin"]))
    page = _page(client)
    assert "People who took the program had" in page and "95% CI" in page
    for testid in (
        "event-chart",
        "trend-chart",
        "cohorts",
        "pilot",
        "power-chart",
        "roi",
        "sensitivity-chart",
    ):
        assert f'data-testid="{testid}"' in page, testid
    assert page.count("<svg") >= 4
    assert 'data-testid="verdict"' in page and "Scale" in page
    assert "<details" in page and "Callaway &amp; Sant'Anna" in page and "Pre-program check" in page
    assert "Total, fully loaded" in page and "5,000" in page
    # Other methods and comparison groups on request; unknown values fall back to the default.
    assert "had not started it yet" in _page(client, comparison="not_yet")
    assert "Simple 2×2" in _page(client, method="did")
    assert "Callaway" in _page(client, method="nonsense", comparison="nonsense")


def test_small_groups_show_no_figure(program, make_user, login, settings):
    settings.TANDEM_MIN_GROUP_SIZE = 100
    page = _page(login(make_user(roles=["ld_team"])))
    assert "Not reported" in page and 'data-testid="event-chart"' not in page
    assert "Too few people" in page


def test_program_without_a_metric_or_data_says_so(make_user, login):
    from tests.impact.factories import ProgramFactory

    ProgramFactory(code="empty")
    page = _page(login(make_user(roles=["ld_admin"])), code="empty")
    assert "No primary metric" in page


def test_learner_and_manager_are_refused(program, make_user, login):
    learner = PersonFactory()
    client = login(make_user(roles=["learner"], person=learner))
    assert client.get(reverse("programs")).status_code == 403
    assert client.get(reverse("program_detail", args=["coach"])).status_code == 403
    client = login(make_user(roles=["manager"], person=PersonFactory()))
    assert client.get(reverse("program_detail", args=["coach"])).status_code == 403


def test_stakeholder_sees_programs_with_participants_in_scope(program, make_user, login):
    unit = OrgUnit.objects.get(pk=program.participants.first().person.org_unit_id)
    inside = login(make_user(roles=["stakeholder"], org_units=[unit]))
    assert "coach" in inside.get(reverse("programs")).content.decode()
    assert inside.get(reverse("program_detail", args=["coach"])).status_code == 200
    outside = login(make_user(roles=["stakeholder"], org_units=[OrgUnitFactory()]))
    assert 'data-testid="program-coach"' not in outside.get(reverse("programs")).content.decode()
    assert outside.get(reverse("program_detail", args=["coach"])).status_code == 403
    assert outside.get(reverse("program_headline", args=["coach"])).status_code == 403


def test_unknown_program_is_refused(make_user, login):
    client = login(make_user(roles=["ld_admin"]))
    assert client.get(reverse("program_detail", args=["nope"])).status_code == 403


def _queries(client, url):
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def test_query_counts_do_not_grow_with_waves_or_people(program, make_user, login):
    client = login(make_user(roles=["stakeholder"], org_units=[program.participants.first().person.org_unit]))
    detail, listing = reverse("program_detail", args=["coach"]), reverse("programs")
    headline = reverse("program_headline", args=["coach"])
    before = (_queries(client, detail), _queries(client, listing), _queries(client, headline))
    unit = program.participants.first().person.org_unit
    for number in range(3):
        cohort = cohort_create(
            actor_id=None, program_id=program.pk, name=f"Extra {number}", start_date=dt.date(2025, 11, 1)
        )
        people = [PersonFactory(org_unit=unit) for _ in range(4)]
        participants_add_list(
            actor_id=None, cohort_id=cohort.pk, employee_ids=[p.employee_id for p in people]
        )
    after = (_queries(client, detail), _queries(client, listing), _queries(client, headline))
    assert after == before
    assert before[0] <= 30


def test_list_query_count_does_not_grow_with_programs(program, make_user, login):
    from tests.impact.factories import CohortFactory, ParticipantFactory, ProgramFactory

    client = login(make_user(roles=["ld_admin"]))
    before = _queries(client, reverse("programs"))
    for _ in range(5):
        ParticipantFactory(cohort=CohortFactory(program=ProgramFactory()))
    assert _queries(client, reverse("programs")) == before


def test_xy_chart_draws_error_bars_and_markers():
    svg = xy_chart_svg(
        series=[
            XYSeries("Before", [XYPoint(-1, 0.2, -1.0, 1.4)]),
            XYSeries("After <b>", [XYPoint(0, 3, 1, 5)]),
        ],
        markers=[Marker("No difference", 0, "y"), Marker("Start", -0.5, "x")],
        x_title="Months",
        description="Event study",
    )
    assert svg.startswith("<svg") and 'aria-label="Event study"' in svg
    assert "No difference" in svg and "Start" in svg and "After &lt;b&gt;" in svg and "<b>" not in svg
    assert "No data" in xy_chart_svg(series=[XYSeries("Empty", [])])
