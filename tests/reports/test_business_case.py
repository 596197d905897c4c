"""Business cases: the ROI range from comparable programs (known answers), and the stored snapshot."""

import dataclasses
import datetime as dt
import io
from decimal import Decimal

import pytest

from tandem.audit.models import AuditEvent
from tandem.core.scope import DomainError
from tandem.impact.estimates import program_impact_estimate
from tandem.reports.business_case import ComparableEffect, business_case_compute, pooled_effects
from tandem.reports.models import BusinessCase
from tandem.reports.records import BusinessCaseInput
from tandem.reports.services import business_case_create, business_case_recompute, business_case_update
from tests.factories import MetricDefinitionFactory


def effect(estimate, low, high, *, program_id=1):
    return ComparableEffect(program_id, f"p{program_id}", "P", estimate, low, high, people=40)


def test_known_answer_two_units_times_fifty_times_a_hundred_people():
    result = business_case_compute(
        comparables=[effect(2.0, 1.0, 3.0)], value_per_unit=50, audience=100, months=1, cost=5000
    )
    low, central, high = result.scenarios
    assert central.benefit == pytest.approx(10_000)
    assert central.roi_percent == pytest.approx(100.0)
    assert central.benefit_cost_ratio == pytest.approx(2.0)
    assert central.net_benefit == pytest.approx(5000)
    assert central.payback_months == pytest.approx(0.5)
    assert (low.benefit, low.roi_percent, low.benefit_cost_ratio) == pytest.approx((5000, 0.0, 1.0))
    assert (high.benefit, high.roi_percent) == pytest.approx((15_000, 200.0))
    assert result.break_even_effect == pytest.approx(1.0)
    # Twelve months of the same effect: twelve times the benefit, the same payback.
    year = business_case_compute(
        comparables=[effect(2.0, 1.0, 3.0)], value_per_unit=50, audience=100, months=12, cost=5000
    )
    assert year.scenario("Central").benefit == pytest.approx(120_000)
    assert year.scenario("Central").roi_percent == pytest.approx(2300.0)
    assert year.scenario("Central").payback_months == pytest.approx(0.5)


def test_comparables_are_averaged_and_those_without_an_estimate_skipped():
    none = ComparableEffect(3, "p3", "P", None, None, None, people=2, note="too small")
    assert pooled_effects(comparables=[effect(2.0, 1.0, 3.0), effect(4.0, 2.0, 8.0, program_id=2), none]) == (
        pytest.approx(1.5),
        pytest.approx(3.0),
        pytest.approx(5.5),
    )
    result = business_case_compute(comparables=[none], value_per_unit=50, audience=100, months=12, cost=5000)
    assert result.scenarios == () and result.comparables_used == 0


def test_a_harmful_effect_never_pays_back():
    result = business_case_compute(
        comparables=[effect(-1.0, -2.0, 0.5)], value_per_unit=50, audience=10, months=12, cost=1000
    )
    assert result.scenario("Low").payback_months is None and result.scenario("Low").roi_percent < -100
    assert result.scenario("High").payback_months == pytest.approx(1000 / (0.5 * 50 * 10))


def test_costs_must_be_positive():
    with pytest.raises(ValueError):
        business_case_compute(comparables=[], value_per_unit=50, audience=100, months=12, cost=0)


# --- the services -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_values_the_case_from_the_comparable_and_stores_it(program, make_user):
    user = make_user(roles=["ld_team"])
    case = business_case_create(
        actor_id=user.pk,
        case=BusinessCaseInput(
            name="Coaching for Support",
            audience_size=50,
            metric_code="tickets",
            value_per_unit=Decimal("10"),
            comparable_codes=("coach",),
            cost_items=(("Vendor", Decimal("4000")), ("Time", Decimal("1000"))),
        ),
    )
    estimate = program_impact_estimate(program_id=program.pk, metric_code="tickets").overall
    assert case.cost_total == Decimal("5000.00") and len(case.cost_items) == 2
    assert case.comparables[0].estimate == pytest.approx(estimate.estimate)
    assert case.comparables[0].people == 36
    central = case.result.scenario("Central")
    assert central.benefit == pytest.approx(estimate.estimate * 10 * 50 * 12)
    assert central.roi_percent == pytest.approx((estimate.estimate * 10 * 50 * 12 - 5000) / 5000 * 100)
    assert case.result.scenario("Low").effect == pytest.approx(estimate.ci_low)
    assert case.result.scenario("High").effect == pytest.approx(estimate.ci_high)
    stored = BusinessCase.objects.get(pk=case.id)
    assert stored.snapshot["comparables"][0]["code"] == "coach" and stored.computed_at is not None
    event = AuditEvent.objects.get(entity_type="business_case", action="create")
    assert event.actor_id == user.pk and event.changes["comparables"] == [[], ["coach"]]


@pytest.mark.django_db
def test_update_recompute_and_a_metric_without_estimates(program):
    MetricDefinitionFactory(code="sales", name="Sales", unit="EUR", grain="person")
    entered = BusinessCaseInput(
        name="Sales coaching",
        audience_size=20,
        metric_code="sales",
        value_per_unit=Decimal("1"),
        comparable_codes=("coach",),
        cost_total=Decimal("1000"),
    )
    case = business_case_create(actor_id=None, case=entered)
    assert case.result is None and "None of the comparable programs" in case.problem
    assert case.comparables[0].estimate is None
    updated = business_case_update(
        business_case_id=case.id, actor_id=None, case=dataclasses.replace(entered, metric_code="tickets")
    )
    assert updated.result is not None and updated.metric_code == "tickets"
    again = business_case_recompute(business_case_id=case.id, actor_id=None)
    assert again.result == updated.result
    actions = list(
        AuditEvent.objects.filter(entity_type="business_case").order_by("id").values_list("action", flat=True)
    )
    assert actions == ["create", "update", "recompute"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"comparable_codes": ("nope",)}, "Unknown program"),
        ({"cost_total": Decimal("0")}, "cost"),
        ({"audience_size": 0}, "audience"),
        ({"metric_code": "nope"}, "Unknown metric"),
        ({"benefit_months": 0}, "months"),
        ({"name": " "}, "name"),
    ],
)
def test_invalid_cases_are_refused_with_a_reason(program, change, message):
    case = BusinessCaseInput(
        name="X",
        audience_size=10,
        metric_code="tickets",
        value_per_unit=Decimal("1"),
        comparable_codes=("coach",),
        cost_total=Decimal("100"),
    )
    with pytest.raises(DomainError, match=message):
        business_case_create(actor_id=None, case=dataclasses.replace(case, **change))
    assert not BusinessCase.objects.exists()


@pytest.mark.django_db
def test_business_case_exports_say_what_the_page_says(program):
    from openpyxl import load_workbook

    from tandem.reports.exports import business_case_xlsx
    from tandem.reports.pdf import business_case_pdf
    from tests.reports.factories import pdf_strings

    case = business_case_create(
        actor_id=None,
        case=BusinessCaseInput(
            name="Coaching for Support",
            audience_size=50,
            metric_code="tickets",
            value_per_unit=Decimal("10"),
            comparable_codes=("coach",),
            cost_items=(("Vendor", Decimal("4000")), ("Time", Decimal("1000"))),
        ),
    )
    central = case.result.scenario("Central")
    text = pdf_strings(business_case_pdf(case=case, generated_on=dt.date(2026, 12, 1)))
    for expected in (
        "Coaching for Support: business case",
        "50 people",
        "€10.00",
        "€5,000",
        f"€{central.benefit:,.0f}",
    ):
        assert expected in text, expected
    book = load_workbook(io.BytesIO(business_case_xlsx(case=case, generated_on=dt.date(2026, 12, 1))))
    assert book.sheetnames == ["Business case", "Scenarios", "Comparables", "Costs"]
    scenarios = {r[0]: r for r in book["Scenarios"].iter_rows(values_only=True)}
    assert scenarios["Central"][2] == pytest.approx(central.benefit)
    assert [r[0] for r in book["Comparables"].iter_rows(values_only=True)][1:] == [program.name]
    assert "€" in book["Costs"]["B2"].number_format
