"""Pure statistics for impact measurement (numpy/scipy/statsmodels/pandas only).

No Django and no other tandem module may be imported here: the web layer calls in,
never the other way round. See docs/impact-statistics.md for methods and assumptions.
"""

from tandem.impact.stats._common import DEFAULT_ALPHA, Estimate
from tandem.impact.stats.did import DidData, DidResult, PanelData, TwfeResult, did_2x2, twfe
from tandem.impact.stats.messages import MESSAGES, StatsError
from tandem.impact.stats.pairs import (
    MeanDifferenceResult,
    ProportionDifferenceResult,
    paired_test,
    proportions_test,
    welch_test,
)
from tandem.impact.stats.plain import MetricWording, PlainSummary, describe_effect
from tandem.impact.stats.power import (
    DidDesign,
    MeansDesign,
    ProportionsDesign,
    SampleSize,
    minimum_detectable_effect,
    minimum_detectable_proportion,
    power,
    power_curve,
    sample_size,
)
from tandem.impact.stats.roi import CostItem, RoiResult, monetise, roi, sensitivity_table
from tandem.impact.stats.staggered import (
    AggregateResult,
    StaggeredData,
    StaggeredResult,
    aggregate,
    att_gt,
    pretrend_test,
)

__all__ = [
    "DEFAULT_ALPHA",
    "MESSAGES",
    "AggregateResult",
    "CostItem",
    "DidData",
    "DidDesign",
    "DidResult",
    "Estimate",
    "MeanDifferenceResult",
    "MeansDesign",
    "MetricWording",
    "PanelData",
    "PlainSummary",
    "ProportionDifferenceResult",
    "ProportionsDesign",
    "RoiResult",
    "SampleSize",
    "StaggeredData",
    "StaggeredResult",
    "StatsError",
    "TwfeResult",
    "aggregate",
    "att_gt",
    "describe_effect",
    "did_2x2",
    "minimum_detectable_effect",
    "minimum_detectable_proportion",
    "monetise",
    "paired_test",
    "power",
    "power_curve",
    "pretrend_test",
    "proportions_test",
    "roi",
    "sample_size",
    "sensitivity_table",
    "twfe",
    "welch_test",
]
