"""Comparison-group and pilot-plan pages: preview before saving, re-match beside the previous group, the
sizing fragment, freezing, and who may do what."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from tandem.impact.models import ComparisonGroup, PilotPlan
from tandem.impact.selectors import pilot_sizing_get
from tandem.org.models import Person
from tests.factories import PersonFactory
from tests.impact.factories import build

pytestmark = pytest.mark.django_db

PLAN = {
    "design": "did",
    "metric": "tickets",
    "minimum_detectable_effect": "3",
    "outcome_sd": "10",
    "correlation": "0.8",
    "alpha": "0.05",
    "power": "0.8",
    "ratio": "1",
    "duration_weeks": "8",
    "scale_threshold": "1",
    "stop_threshold": "0",
}


@pytest.fixture
def program(settings):
    settings.TANDEM_MIN_GROUP_SIZE = 5
    return build(effect=3.0, per_cohort=8, comparison=12)


@pytest.fixture
def admin(make_user, login):
    return login(make_user(roles=["ld_team"]))


def _wave(program):
    return program.cohorts.order_by("start_date").first()


def test_preview_shows_the_balance_without_saving_then_save_keeps_the_seed(program, admin):
    wave = _wave(program)
    for i in range(30):
        PersonFactory(employee_id=f"C{i:02d}", org_unit=Person.objects.get(employee_id="E0000").org_unit)
    url = reverse("program_comparison_new", args=["coach"])
    form = {
        "cohort": str(wave.pk),
        "method": "randomised",
        "ratio": "2",
        "caliper": "0.2",
        "action": "preview",
    }
    before = ComparisonGroup.objects.count()
    response = admin.post(url, form)
    page = response.content.decode()
    assert response.status_code == 200, page[:500]
    assert ComparisonGroup.objects.count() == before  # a preview writes nothing
    assert 'data-testid="balance-table"' in page and 'data-testid="save-group"' in page
    seed = re.search(r'name="seed" value="(\d+)"', page).group(1)
    proposed = int(
        re.search(r'data-testid="group-size">(\d+)<', page.split('data-testid="proposed-group"')[1]).group(1)
    )
    response = admin.post(url, {**form, "seed": seed, "action": "save"})
    assert response.status_code == 302
    group = ComparisonGroup.objects.get(cohort=wave, superseded_at__isnull=True)
    assert group.seed == int(seed) and group.members.count() == proposed == 16


def test_rematch_shows_previous_and_proposed_side_by_side_with_a_plain_warning(program, admin):
    wave = _wave(program)
    url = reverse("program_comparison_new", args=["coach"])
    admin.post(
        url, {"cohort": str(wave.pk), "method": "explicit", "people": "E0030\nE0031", "action": "save"}
    )
    page = admin.get(url, {"cohort": wave.pk}).content.decode()
    assert 'data-testid="previous-group"' in page and "Re-match" in page
    # Pasted emails work too; the proposal stands beside the group it would replace.
    emails = ", ".join(
        Person.objects.filter(employee_id__in=["E0032", "E0033", "E0034"]).values_list(
            "work_email", flat=True
        )
    )
    response = admin.post(
        url, {"cohort": str(wave.pk), "method": "explicit", "people": emails, "action": "preview"}
    )
    page = response.content.decode()
    assert 'data-testid="previous-group"' in page and 'data-testid="proposed-group"' in page
    assert "side by side" in page
    admin.post(url, {"cohort": str(wave.pk), "method": "explicit", "people": emails, "action": "save"})
    listing = admin.get(reverse("program_comparison", args=["coach"])).content.decode()
    assert 'data-testid="comparison-previous"' in listing  # the replaced group stays listed
    assert ComparisonGroup.objects.filter(cohort=wave).count() == 2


def test_an_imbalanced_preview_says_which_characteristic_differs(program, admin):
    wave = _wave(program)
    url = reverse("program_comparison_new", args=["coach"])
    # Comparison people hired long ago: tenure differs from the participants'.
    for i in range(6):
        PersonFactory(employee_id=f"OLD{i}", hire_date=dt.date(1990, 1, 1))
    response = admin.post(
        url,
        {
            "cohort": str(wave.pk),
            "method": "explicit",
            "people": " ".join(f"OLD{i}" for i in range(6)),
            "action": "preview",
        },
    )
    page = response.content.decode()
    assert 'data-testid="balance-warnings"' in page
    assert re.search(r"differs: SMD \d+\.\d\d \(above 0\.1\)", page), page[-3000:]


def test_refusals_are_shown_on_the_form(program, admin):
    response = admin.post(
        reverse("program_comparison_new", args=["coach"]),
        {"cohort": "", "method": "matched", "action": "preview"},
    )
    assert response.status_code == 400 and "choose the cohort" in response.content.decode()


def test_pilot_plan_fragment_matches_the_stats_module_and_freeze_locks_the_plan(program, admin, make_user):
    url = reverse("program_pilot_plan", args=["coach"])
    page = admin.get(url).content.decode()
    assert (
        'hx-trigger="input changed delay:300ms, change"' in page and "<script" not in page.split("</head>")[1]
    )
    assert 'data-testid="measured-sd"' in page  # tickets has person values before the start
    fragment = admin.get(reverse("program_pilot_power", args=["coach"]), PLAN).content.decode()
    expected = pilot_sizing_get(design="did", minimum_detectable_effect=3, outcome_sd=10, correlation=0.8)
    assert f'data-testid="required-n">{expected.required_per_group}<' in fragment
    assert 'data-testid="power-chart"' in fragment and "<svg" in fragment
    bad = admin.get(
        reverse("program_pilot_power", args=["coach"]), {**PLAN, "correlation": ""}
    ).content.decode()
    assert "needs a correlation" in bad
    assert admin.post(url, PLAN).status_code == 302
    plan = PilotPlan.objects.get(program=program)
    assert plan.required_per_group == expected.required_per_group and plan.design == "did"
    assert admin.post(reverse("program_pilot_freeze", args=["coach"])).status_code == 302
    page = admin.get(url).content.decode()
    assert (
        'data-testid="plan-frozen"' in page and "Frozen on" in page and 'data-testid="pilot-form"' not in page
    )
    response = admin.post(url, {**PLAN, "minimum_detectable_effect": "1"})
    assert response.status_code == 400 and "frozen" in response.content.decode()
    plan.refresh_from_db()
    assert plan.minimum_detectable_effect == 3


def test_roles(program, make_user, login, client):
    wave = _wave(program)
    unit = Person.objects.get(employee_id="E0000").org_unit
    stakeholder = login(make_user(roles=["stakeholder"], org_units=[unit]))
    assert stakeholder.get(reverse("program_comparison", args=["coach"])).status_code == 200
    page = stakeholder.get(reverse("program_pilot_plan", args=["coach"])).content.decode()
    assert 'data-testid="pilot-form"' not in page
    assert stakeholder.get(reverse("program_comparison_new", args=["coach"])).status_code == 403
    assert stakeholder.post(reverse("program_pilot_plan", args=["coach"]), PLAN).status_code == 403
    assert stakeholder.post(reverse("program_pilot_freeze", args=["coach"])).status_code == 403
    assert (
        stakeholder.post(
            reverse("program_comparison_new", args=["coach"]),
            {"cohort": str(wave.pk), "method": "explicit", "people": "E0030", "action": "save"},
        ).status_code
        == 403
    )
    outsider = login(make_user(roles=["stakeholder"], org_units=[]))
    assert outsider.get(reverse("program_comparison", args=["coach"])).status_code in {403, 404}
    learner = login(make_user(roles=["learner"]))
    assert learner.get(reverse("program_pilot_plan", args=["coach"])).status_code == 403


def test_setup_fragment_lists_groups_and_the_plan_status(program, admin):
    page = admin.get(reverse("program_setup", args=["coach"])).content.decode()
    assert 'data-testid="setup-evaluation"' in page
    assert "Whole program" in page and 'data-testid="setup-pilot-plan"' in page and "not set" in page
    admin.post(reverse("program_pilot_plan", args=["coach"]), PLAN)
    page = admin.get(reverse("program_setup", args=["coach"])).content.decode()
    assert "Not frozen" in page
