import pytest

from tests.impact.factories import build


@pytest.fixture
def program(settings):
    """Three waves of 12 and 20 comparison people; the program adds 3 tickets a month (value 10, cost 5,000)."""
    settings.TANDEM_MIN_GROUP_SIZE = 5
    return build(effect=3.0, per_cohort=12, comparison=20)
