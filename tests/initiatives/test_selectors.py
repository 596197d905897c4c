import datetime as dt

import pytest

from tandem.core.scope import AccessDenied, PersonScope
from tandem.initiatives.models import Initiative, InitiativeMetric
from tandem.initiatives.selectors import initiative_get, initiative_list
from tests.api import factories as data

pytestmark = pytest.mark.django_db
company = data.company  # the shared fixture


def test_progress_from_the_sponsor_unit_when_visible(company):
    item = initiative_get(scope=PersonScope.all(), code="better-service")
    progress = item.metrics[0]
    assert progress.series.label == "Customer Service"
    assert progress.latest.value == 72.0
    assert progress.progress == pytest.approx(0.6) and progress.progress_percent == 60
    assert item.owner_name == "Stan Holder" and item.sponsor_code == "CS"


def test_progress_from_company_when_the_unit_is_outside_scope(company):
    scope = PersonScope(person_ids=frozenset({company.learner.pk}))
    item = initiative_get(scope=scope, code="better-service", self_person_id=company.learner.pk)
    assert item.metrics[0].series.label == "Company" and item.metrics[0].latest.value == 68.0
    assert item.metrics[0].progress == pytest.approx(0.4)


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


def test_list_filters_by_status_and_sponsor(company):
    Initiative.objects.create(
        code="old",
        name="Old",
        status="completed",
        start_date=dt.date(2020, 1, 1),
        end_date=dt.date(2020, 12, 31),
    )
    assert [i.code for i in initiative_list(scope=PersonScope.all())] == ["old", "better-service"]
    assert [i.code for i in initiative_list(scope=PersonScope.all(), status="completed")] == ["old"]
    assert [
        i.code for i in initiative_list(scope=PersonScope.all(), sponsor_org_unit_ids={company.cs.pk})
    ] == ["better-service"]


def test_unknown_initiative():
    with pytest.raises(AccessDenied):
        initiative_get(scope=PersonScope.all(), code="nope")
