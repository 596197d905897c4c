"""tandem/api/common.py's conventions, applied to every endpoint by TandemAPI."""

import pytest
from django.db import models
from ninja import Query, Router, Schema
from ninja.errors import ConfigError
from ninja.testing import TestClient
from pydantic import Field

from tandem.api.api import TandemAPI, api
from tandem.api.common import STANDARD_ERRORS, Day, StrictJsonParser
from tests.api import factories as data

company = data.company  # the shared fixture
pytestmark = pytest.mark.django_db

HUGE = "9223372036854775808"


@pytest.fixture
def admin(company, make_user, login):
    return login(make_user(roles=["ld_admin"]))


def served_schema(client):
    return client.get("/api/openapi.json").json()


def test_people_status_documents_the_person_statuses(admin):
    schema = served_schema(admin)
    params = {p["name"]: p for p in schema["paths"]["/api/people"]["get"]["parameters"]}
    status = params["status"]["schema"]["anyOf"][0]
    assert status["title"] == "PersonStatus" and status["enum"] == ["active", "on_leave", "terminated"]
    initiative = {p["name"]: p for p in schema["paths"]["/api/initiatives"]["get"]["parameters"]}["status"]
    assert "planned" in initiative["schema"]["anyOf"][0]["enum"]


def test_every_operation_documents_the_standard_errors_with_the_error_schema(admin):
    schema = served_schema(admin)
    assert {"detail", "errors"} <= set(schema["components"]["schemas"]["ErrorOut"]["properties"])
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert len(operations) >= 7
    for operation in operations:
        for status in STANDARD_ERRORS:
            answer = operation["responses"][str(status)]
            assert answer["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorOut"
            }


def test_every_integer_parameter_is_bounded_in_the_schema(admin):
    for path in served_schema(admin)["paths"].values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                if schema.get("type") == "integer":
                    assert "minimum" in schema and "maximum" in schema, parameter["name"]


@pytest.mark.parametrize("url", ["/api/people", "/api/metrics/csat/observations"])
def test_a_huge_offset_is_400_with_a_reason(admin, url):
    response = admin.get(url, {"offset": HUGE})
    assert response.status_code == 400
    body = response.json()
    assert "offset" in body["detail"] and "less than or equal to 1000000000" in body["detail"]
    assert body["errors"]


@pytest.mark.parametrize("junk", ["0", "1700000000", "2024-1-5", "yesterday", "2024-02-30"])
def test_junk_dates_are_refused(admin, company, junk):
    response = admin.get("/api/metrics/csat/observations", {"to": junk})
    assert response.status_code == 400, junk
    assert "to" in response.json()["detail"]
    response = admin.get(f"/api/people/{company.mover.employee_id}/assignments", {"as_of": junk})
    assert response.status_code == 400 and "as_of" in response.json()["detail"]
    assert admin.get("/api/metrics/csat/observations", {"to": "2030-01-01"}).status_code == 200


def test_an_unbounded_integer_stops_the_api_at_start_up():
    router = Router()

    class Params(Schema):
        page: int = 1

    @router.get("/things")
    def things(request, params: Query[Params]) -> dict:
        return {}

    @router.get("/days")
    def days(request, on: Day, since: str = "") -> dict:
        return {}

    local = TandemAPI(urls_namespace="test-unbounded")
    local.add_router("/x", router)
    with pytest.raises(
        ConfigError, match=r"things\.params\.page: an integer needs a lower and an upper bound"
    ):
        local.check_conventions()


def test_a_plain_date_is_refused_at_start_up():
    router = Router()

    import datetime as dt

    @router.get("/on")
    def on_day(request, on: dt.date) -> dict:
        return {}

    local = TandemAPI(urls_namespace="test-date")
    local.add_router("/x", router)
    with pytest.raises(ConfigError, match=r"on_day\.on: a date must be tandem\.api\.common\.Day"):
        local.check_conventions()


def test_two_enums_with_one_name_are_refused():
    class A(models.TextChoices):
        X = "x"

    class B(models.TextChoices):
        Y = "y"

    A.__name__ = B.__name__ = A.__qualname__ = B.__qualname__ = "Status"
    router = Router()

    class FilterA(Schema):
        status: A | None = None

    class FilterB(Schema):
        status: B | None = None

    @router.get("/a")
    def a(request, filters: Query[FilterA]) -> dict:
        return {}

    @router.get("/b")
    def b(request, filters: Query[FilterB]) -> dict:
        return {}

    local = TandemAPI(urls_namespace="test-clash")
    local.add_router("/x", router)
    with pytest.raises(ConfigError, match="both named 'Status'"):
        local.check_conventions()


def test_strict_bodies_refuse_junk_with_a_reason():
    router = Router()
    stored = []

    class Body(Schema):
        value: float = Field(allow_inf_nan=False)
        name: str = ""

    @router.post("/things", auth=None)
    def create(request, body: Body) -> dict:
        stored.append(body)
        return {}

    local = TandemAPI(urls_namespace="test-body", parser=StrictJsonParser())
    local.add_router("/x", router)
    for exc_class, handler in api._exception_handlers.items():
        local.add_exception_handler(exc_class, handler)
    client = TestClient(local)
    for raw, reason in (
        ('{"value": NaN}', "NaN"),
        ('{"value": 1e999}', "finite"),
        ('{"value": 1, "name": "\\ud800"}', "surrogate"),
        ('{"value": 1, "name": ' + "[" * 200 + "]" * 200 + "}", "deeper"),
        ("[1]", "JSON object"),
    ):
        response = client.post("/x/things", body=raw, content_type="application/json")
        assert response.status_code == 400, raw
        assert reason in response.json()["detail"], (raw, response.json())
    assert stored == []
