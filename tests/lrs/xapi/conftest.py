import pytest

from tests.lrs.xapi.statements import VERSIONS


@pytest.fixture(params=VERSIONS)
def version(request: pytest.FixtureRequest) -> str:
    """Run the test under xAPI 1.0.3 and 2.0.0 (rules shared by both versions)."""
    return str(request.param)
