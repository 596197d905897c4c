"""The one assembly of a program's impact: caveats next to the headline and the verdict."""

from __future__ import annotations

import datetime as dt

import pytest

from tandem.core.scope import AccessDenied, PersonScope
from tandem.impact.assembly import (
    PilotCheck,
    _caveats,
    _imbalanced,
    program_impact_get,
)
from tandem.impact.records import BalanceRowView, BalanceView
from tests.factories import OrgUnitFactory
from tests.impact.factories import ProgramFactory


def _balance(*rows: tuple[str, float | None], matched: bool = False) -> BalanceView:
    return BalanceView(
        comparison_group_id=1,
        cohort_name="Wave 1",
        method="matched" if matched else "explicit",
        as_of=dt.date(2025, 1, 1),
        seed=None,
        caliper=None,
        participants=40,
        comparison=40,
        unmatched_participants=0,
        warning=any(abs(smd or 0) > 0.1 for _, smd in rows),
        rows=tuple(
            BalanceRowView(
                covariate=name,
                mean_treated_before=1.0,
                mean_comparison_before=1.0,
                mean_treated_after=1.0 if matched else None,
                mean_comparison_after=1.0 if matched else None,
                smd_before=0.5 if matched else smd,
                smd_after=smd if matched else None,
            )
            for name, smd in rows
        ),
    )


def test_imbalance_names_the_covariates_and_their_smd():
    found = _imbalanced((_balance(("tenure", 0.31), ("age", -0.05), ("level", -0.18)),))
    assert [(c.covariate, c.smd) for c in found] == [("tenure", 0.31), ("level", -0.18)]
    # After matching, the SMD after matching is what counts.
    assert _imbalanced((_balance(("tenure", 0.02), matched=True),)) == ()
    (caveat,) = _caveats(estimate=None, imbalanced=found, pilot=None)
    assert (
        caveat.code == "imbalanced"
        and "tenure (SMD +0.31)" in caveat.message
        and "level (SMD -0.18)" in caveat.message
    )


def test_a_pilot_below_its_planned_size_says_the_power_it_reached():
    pilot = PilotCheck(planned=64, actual=40, planned_power=0.8, power_reached=0.5612)
    (caveat,) = _caveats(estimate=None, imbalanced=(), pilot=pilot)
    assert caveat.code == "pilot_below_plan"
    assert "40 participants against the 64" in caveat.message and "56%, not 80%" in caveat.message
    assert _caveats(estimate=None, imbalanced=(), pilot=PilotCheck(64, 64, 0.8, 0.8)) == ()


@pytest.mark.django_db
def test_a_program_without_a_metric_is_assembled_with_the_reason():
    program = ProgramFactory(code="bare")
    impact = program_impact_get(scope=PersonScope.all(), code="bare")
    assert impact.detail.summary.id == program.pk and impact.estimate is not None
    assert impact.status == "not_measurable" and impact.sentence.startswith(
        "Business impact is not measurable yet"
    )
    assert impact.verdict is None and impact.caveats == () and impact.balance_tables == ()


@pytest.mark.django_db
def test_the_assembly_checks_the_viewers_scope():
    ProgramFactory(code="hidden")
    with pytest.raises(AccessDenied):
        program_impact_get(scope=PersonScope(org_unit_ids=frozenset({OrgUnitFactory().pk})), code="hidden")
