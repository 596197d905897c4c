"""Initiative figures, each computed two ways: by the selector the pages use and independently from the
stored observations (docs/data-model.md, "Initiative progress")."""

import datetime as dt

import pytest

from tandem.core.dates import today
from tandem.core.scope import AccessDenied, PersonScope
from tandem.initiatives.models import Initiative, InitiativeMetric
from tandem.initiatives.selectors import initiative_count, initiative_get, initiative_list, initiative_status
from tandem.metrics.models import MetricObservation
from tandem.metrics.selectors import rolling_mean
from tests.api import factories as data
from tests.factories import MetricDefinitionFactory

pytestmark = pytest.mark.django_db
company = data.company  # the shared fixture


def _values(*, metric, until=None, **where):
    """The line's recorded values straight from the table, oldest first."""
    rows = MetricObservation.objects.filter(metric=metric, **where).order_by("period_start")
    if until is not None:
        rows = rows.filter(period_start__lte=until)
    return list(rows.values_list("value", flat=True))


def _mean_of_last_three(values):
    window = values[-3:]
    return sum(window) / len(window)


def test_now_and_progress_on_the_measured_unit_agree_with_the_stored_values(company):
    progress = initiative_get(scope=PersonScope.all(), code="better-service").metrics[0]
    assert progress.series.label == "Customer Service" and progress.measured_at_code == "CS"
    independent = _mean_of_last_three(_values(metric=company.csat, org_unit=company.cs, person__isnull=True))
    assert independent == pytest.approx(71.0)  # 70, 71, 72
    assert progress.now.value == pytest.approx(independent) and progress.now.count == 3
    assert progress.latest.value == 72.0  # the single last month is shown, never used for progress
    assert progress.progress == pytest.approx((independent - 60.0) / (80.0 - 60.0))
    assert progress.progress_percent == 55


def test_outside_scope_the_company_line_is_shown_and_said(company):
    scope = PersonScope(person_ids=frozenset({company.learner.pk}))
    progress = initiative_get(scope=scope, code="better-service", self_person_id=company.learner.pk).metrics[
        0
    ]
    assert progress.series.label == "Company" and progress.measured_at_hidden
    independent = _mean_of_last_three(_values(metric=company.csat, entity_key="company"))
    assert progress.now.value == pytest.approx(independent) == pytest.approx(67.0)
    assert progress.progress == pytest.approx(0.35)


def test_a_measured_baseline_equals_the_charted_average_on_its_date(company):
    link = InitiativeMetric.objects.get()
    link.baseline, link.baseline_date = 999.0, company.months[1]  # the entered figure is not used
    link.save()
    progress = initiative_get(scope=PersonScope.all(), code="better-service").metrics[0]
    independent = _mean_of_last_three(
        _values(metric=company.csat, org_unit=company.cs, person__isnull=True, until=company.months[1])
    )
    assert progress.baseline_source == "measured"
    assert progress.baseline == pytest.approx(independent) == pytest.approx(70.5)
    charted = {point.period_start: point.value for point in progress.smoothed}
    assert charted[company.months[1]] == pytest.approx(progress.baseline)
    assert progress.progress == pytest.approx((71.0 - 70.5) / (80.0 - 70.5))


def test_the_entered_baseline_stands_in_where_the_line_has_no_values_yet(company):
    link = InitiativeMetric.objects.get()
    link.baseline_date = company.months[0] - dt.timedelta(days=400)
    link.save()
    progress = initiative_get(scope=PersonScope.all(), code="better-service").metrics[0]
    assert progress.baseline_source == "entered" and progress.baseline == 60.0


def test_one_noisy_month_does_not_make_the_progress(company):
    """A spike in the last month (3 leavers in a small unit) moves the three-month figure by a third."""
    metric = MetricDefinitionFactory(code="attrition", unit="%", direction="down")
    for month, value in zip(company.months, (1.0, 1.0, 4.0), strict=True):
        MetricObservation.objects.create(metric=metric, period_start=month, entity_key="company", value=value)
    InitiativeMetric.objects.create(
        initiative=company.initiative, metric=metric, baseline=1.0, target=0.5, baseline_date=None
    )
    progress = initiative_get(scope=PersonScope.all(), code="better-service").metrics[1]
    assert progress.latest.value == 4.0 and progress.now.value == pytest.approx(2.0)
    assert progress.progress == pytest.approx((2.0 - 1.0) / (0.5 - 1.0))  # -200%, not -600%
    assert [p.value for p in rolling_mean(progress.series.points)] == pytest.approx([1.0, 1.0, 2.0])


def test_progress_is_clamped_for_the_bar_and_none_without_target(company):
    link = InitiativeMetric.objects.get()
    link.target = 65.0  # already passed
    link.save()
    progress = initiative_get(scope=PersonScope.all(), code="better-service").metrics[0]
    assert progress.progress > 1 and progress.progress_bar == 1.0
    link.target = None
    link.save()
    progress = initiative_get(scope=PersonScope.all(), code="better-service").metrics[0]
    assert progress.progress is None and progress.progress_bar == 0.0


def test_status_follows_the_dates_unless_decided():
    start, end = dt.date(2025, 1, 1), dt.date(2025, 10, 31)
    assert (
        initiative_status(stored="active", start_date=start, end_date=end, on=dt.date(2024, 12, 31))
        == "planned"
    )
    assert (
        initiative_status(stored="planned", start_date=start, end_date=end, on=dt.date(2025, 10, 31))
        == "active"
    )
    assert (
        initiative_status(stored="active", start_date=start, end_date=end, on=dt.date(2025, 11, 1))
        == "completed"
    )
    assert (
        initiative_status(stored="cancelled", start_date=start, end_date=end, on=dt.date(2025, 5, 1))
        == "cancelled"
    )
    assert (
        initiative_status(stored="completed", start_date=start, end_date=end, on=dt.date(2025, 5, 1))
        == "completed"
    )


def test_an_initiative_that_ended_is_completed_on_its_page_and_in_the_filters(company):
    ended = today().replace(day=1) - dt.timedelta(days=1)
    Initiative.objects.create(
        code="ended", name="Ended", status="active", start_date=dt.date(2020, 1, 1), end_date=ended
    )
    Initiative.objects.create(
        code="later",
        name="Later",
        status="active",
        start_date=today() + dt.timedelta(days=30),
        end_date=today() + dt.timedelta(days=400),
    )
    item = initiative_get(scope=PersonScope.all(), code="ended")
    assert item.status == "completed" and item.status_label == "Completed" and item.stored_status == "active"
    by_status = {
        status: [i.code for i in initiative_list(scope=PersonScope.all(), status=status)]
        for status in ("planned", "active", "completed", "cancelled")
    }
    assert by_status == {
        "planned": ["later"],
        "active": ["better-service"],
        "completed": ["ended"],
        "cancelled": [],
    }
    # Each initiative's status as the list computes it, against the filter that found it.
    for summary in initiative_list(scope=PersonScope.all()):
        assert summary.code in by_status[summary.status]
    assert initiative_count(status="active") == 1


def test_list_filters_by_sponsor(company):
    Initiative.objects.create(
        code="old",
        name="Old",
        status="completed",
        start_date=dt.date(2020, 1, 1),
        end_date=dt.date(2020, 12, 31),
    )
    assert [i.code for i in initiative_list(scope=PersonScope.all())] == ["old", "better-service"]
    assert [
        i.code for i in initiative_list(scope=PersonScope.all(), sponsor_org_unit_ids={company.cs.pk})
    ] == ["better-service"]


def test_unknown_initiative():
    with pytest.raises(AccessDenied):
        initiative_get(scope=PersonScope.all(), code="nope")
