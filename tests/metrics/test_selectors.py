import pytest

from tandem.core.scope import AccessDenied, PersonScope
from tandem.metrics.selectors import (
    metric_company_series,
    metric_get,
    metric_observation_list,
    metric_person_values,
    metric_unit_series,
    metric_visible_org_unit_ids,
)
from tandem.org.models import Assignment
from tests.api import factories as data
from tests.api.factories import add_people, add_quiz_scores
from tests.factories import MetricDefinitionFactory, MetricObservationFactory

pytestmark = pytest.mark.django_db
company = data.company  # the shared fixture


def test_company_series_prefers_recorded_values_then_derives(company):
    derived_metric = MetricDefinitionFactory()
    MetricObservationFactory(metric=derived_metric, org_unit=company.cs, value=10.0)
    MetricObservationFactory(metric=derived_metric, org_unit=company.sales, value=20.0)
    series = metric_company_series(metrics=[company.csat, derived_metric, company.quiz])
    assert series[company.csat.pk].label == "Company" and series[company.csat.pk].latest.value == 68.0
    assert series[derived_metric.pk].derived and series[derived_metric.pk].latest.value == 15.0
    assert series[company.quiz.pk].points == ()


def test_person_grain_mean_per_unit_hidden_below_min_group(company, settings):
    settings.TANDEM_MIN_GROUP_SIZE = 3
    sales_people = add_people(company.sales, 3)
    add_quiz_scores(company, sales_people, value=10.0)  # 10, 11, 12
    add_quiz_scores(company, [company.learner], value=99.0)
    lines = {
        s.key: s
        for s in metric_unit_series(
            metric=company.quiz, org_unit_ids=[company.sales.pk, company.cs.pk, company.root.pk]
        )
    }
    assert lines["SALES"].latest.value == 11.0 and lines["SALES"].latest.people == 3
    cs_point = lines["CS"].points[-1]
    assert cs_point.suppressed and cs_point.value is None and cs_point.people == 1
    # The company unit rolls up everyone below it: four people.
    assert lines["CO"].latest.people == 4
    assert lines["CO"].latest.value == pytest.approx((10 + 11 + 12 + 99) / 4)


def test_person_values_count_where_the_person_was_at_the_time(company, settings):
    settings.TANDEM_MIN_GROUP_SIZE = 1
    person = company.learner
    # Move the learner to Sales before the period: their score counts for Sales.
    Assignment.objects.filter(person=person).update(valid_from=company.months[-1])
    Assignment.objects.create(
        person=person, org_unit=company.sales, valid_from=company.months[0], valid_to=company.months[-1]
    )
    add_quiz_scores(company, [person])
    old = company.months[0]
    from tandem.metrics.models import MetricObservation

    MetricObservation.objects.create(
        metric=company.quiz, period_start=old, person=person, entity_key=f"person:{person.pk}", value=5.0
    )
    lines = {
        s.key: s
        for s in metric_unit_series(metric=company.quiz, org_unit_ids=[company.sales.pk, company.cs.pk])
    }
    assert lines["SALES"].at(old).value == 5.0
    assert lines["CS"].at(old) is None and lines["CS"].at(company.months[-1]).value == 50.0


def test_visibility_of_units_and_individuals(company):
    stakeholder = PersonScope(
        org_unit_ids=frozenset({company.cs.pk, company.cs_team.pk}),
        person_ids=frozenset({company.stakeholder_person.pk}),
    )
    assert metric_visible_org_unit_ids(scope=stakeholder, self_person_id=company.stakeholder_person.pk) == {
        company.cs.pk,
        company.cs_team.pk,
    }
    learner = PersonScope(person_ids=frozenset({company.learner.pk}))
    assert metric_visible_org_unit_ids(scope=learner, self_person_id=company.learner.pk) == set()
    manager = PersonScope(person_ids=frozenset({company.manager.pk, *(r.pk for r in company.reports)}))
    assert metric_visible_org_unit_ids(scope=manager, self_person_id=company.manager.pk) == {company.sales.pk}
    assert metric_visible_org_unit_ids(scope=PersonScope.all()) is None

    add_quiz_scores(company, [*company.reports, company.learner])
    assert (
        metric_person_values(
            metric=company.quiz, scope=stakeholder, self_person_id=company.stakeholder_person.pk
        )
        == []
    )
    values = metric_person_values(metric=company.quiz, scope=manager, self_person_id=company.manager.pk)
    assert {v.employee_id for v in values} == {r.employee_id for r in company.reports}
    assert len(metric_person_values(metric=company.quiz, scope=PersonScope.all())) == 3

    learner_rows = metric_observation_list(
        metric=company.csat, scope=learner, self_person_id=company.learner.pk
    )
    assert {o.entity_key for o in learner_rows} == {"company"}


def test_metric_get_unknown():
    with pytest.raises(AccessDenied):
        metric_get(code="nope")
