import datetime as dt
import io

import pytest
from django.urls import reverse

from tandem.imports.models import ColumnMapping, ImportRun
from tandem.org.models import Person
from tests.imports.factories import ColumnMappingFactory, ImportRunFactory, csv_bytes, person, team

pytestmark = pytest.mark.django_db


def upload(client, content, *, name="people.csv", kind="people", mapping="tandem", as_of="2025-01-01"):
    handle = io.BytesIO(content)
    handle.name = name
    return client.post(reverse("imports"), {"kind": kind, "file": handle, "mapping": mapping, "as_of": as_of})


def test_page_flow_errors_then_good_file_then_confirm(org, admin_client):
    page = admin_client.get(reverse("imports"))
    assert page.status_code == 200
    assert b"Upload a file" in page.content and b"Workday worker report" in page.content

    bad = [*team(), person("E5", manager="E99"), person("E6", hire_date="15/01/2024")]
    response = upload(admin_client, csv_bytes(bad))
    assert response.status_code == 302
    detail = admin_client.get(response["Location"])
    assert detail.status_code == 200
    body = detail.content.decode()
    assert "Errors (2)" in body
    assert "Unknown manager E99: not in this file and not in Tandem" in body
    assert "&#x27;15/01/2024&#x27; is not a date in the format YYYY-MM-DD" in body
    assert "Import 6 rows" not in body  # no confirm button
    assert Person.objects.count() == 0

    response = upload(admin_client, csv_bytes(team()))
    run = ImportRun.objects.order_by("-id").first()
    detail = admin_client.get(response["Location"]).content.decode()
    assert "Import 4 rows" in detail and "To create" in detail
    confirm = admin_client.post(reverse("import_confirm", args=[run.pk]))
    assert confirm.status_code == 302
    done = admin_client.get(confirm["Location"]).content.decode()
    assert "Imported" in done and "Changes made" in done
    assert set(Person.objects.values_list("employee_id", flat=True)) == {"E1", "E2", "E3", "E4"}
    assert Person.objects.get(employee_id="E2").manager.employee_id == "E1"

    again = admin_client.post(reverse("import_confirm", args=[run.pk]))
    assert "cannot be confirmed" in admin_client.get(again["Location"]).content.decode()


def test_upload_with_unknown_mapping_shows_the_form_error(org, admin_client):
    response = upload(admin_client, csv_bytes(team()), mapping="nope")
    assert response.status_code == 400
    assert "No mapping named &#x27;nope&#x27; for people files" in response.content.decode()


def test_upload_without_file(org, admin_client):
    response = admin_client.post(reverse("imports"), {"kind": "people", "mapping": "tandem"})
    assert response.status_code == 400


def test_as_of_date_is_used_for_moves(org, admin_client):
    upload(admin_client, csv_bytes(team()), as_of="2025-01-01")
    admin_client.post(reverse("import_confirm", args=[ImportRun.objects.get().pk]))
    rows = team()
    rows[1] = person("E2", unit="CS", manager="E1")
    upload(admin_client, csv_bytes(rows), as_of="2025-04-01")
    run = ImportRun.objects.order_by("-id").first()
    assert run.options["as_of"] == "2025-04-01" and run.summary["move"] == 1
    admin_client.post(reverse("import_confirm", args=[run.pk]))
    from tandem.org.selectors import person_assignment_as_of

    assert person_assignment_as_of(employee_id="E2", on=dt.date(2025, 3, 31)).org_unit_code == "SALES"
    assert person_assignment_as_of(employee_id="E2", on=dt.date(2025, 4, 1)).org_unit_code == "CS"


def test_progress_fragment_polls_while_busy_and_refreshes_when_done(org, admin_client):
    busy = ImportRunFactory(
        status=ImportRun.Status.VALIDATING, phase="Checking rows", progress_done=40, progress_total=200
    )
    response = admin_client.get(reverse("import_progress", args=[busy.pk]))
    body = response.content.decode()
    assert 'hx-trigger="every 1s"' in body and '<progress class="progress" max="200" value="40">' in body
    assert "HX-Refresh" not in response
    detail = admin_client.get(reverse("import_detail", args=[busy.pk])).content.decode()
    assert 'hx-get="' + reverse("import_progress", args=[busy.pk]) + '"' in detail

    done = ImportRunFactory(status=ImportRun.Status.DONE)
    response = admin_client.get(reverse("import_progress", args=[done.pk]))
    assert response["HX-Refresh"] == "true" and "hx-trigger" not in response.content.decode()


def test_mapping_create_page(org, admin_client):
    url = reverse("import_mapping_create")
    page = admin_client.get(url + "?kind=people")
    assert page.status_code == 200
    assert b'name="column_hire_date"' in page.content and b'name="column_employee_id"' in page.content
    response = admin_client.post(
        url,
        {
            "kind": "people",
            "name": "HR Export",
            "date_format": "%d/%m/%Y",
            "column_employee_id": "Staff No",
            "column_hire_date": "Joined",
        },
    )
    assert response.status_code == 302
    mapping = ColumnMapping.objects.get()
    assert mapping.name == "hr-export"
    assert mapping.columns == {"employee_id": "Staff No", "hire_date": "Joined"}
    assert mapping.options == {"date_format": "%d/%m/%Y"}

    content = csv_bytes(
        [
            {
                **{k: v for k, v in person("E1").items() if k not in {"employee_id", "hire_date"}},
                "Staff No": "E1",
                "Joined": "15/01/2024",
            }
        ]
    )
    upload(admin_client, content, mapping="hr-export")
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.PREVIEWED, run.errors

    duplicate = admin_client.post(url, {"kind": "people", "name": "hr export", "column_employee_id": "X"})
    assert duplicate.status_code == 400 and b"already exists" in duplicate.content


def test_unknown_run_is_404(admin_client):
    assert admin_client.get(reverse("import_detail", args=[999])).status_code == 404


@pytest.mark.parametrize("role", ["ld_team", "stakeholder", "manager", "learner", "it_reviewer"])
def test_other_roles_get_403(make_user, login, role):
    client = login(make_user(roles=[role]))
    run = ImportRunFactory()
    for url in (
        reverse("imports"),
        reverse("import_detail", args=[run.pk]),
        reverse("import_progress", args=[run.pk]),
        reverse("import_mapping_create"),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("import_confirm", args=[run.pk])).status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("imports"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_imports_list_query_count(admin_client, django_assert_max_num_queries, make_user):
    user = make_user(roles=["ld_admin"])
    ImportRunFactory.create_batch(30, created_by=user)
    ColumnMappingFactory.create_batch(5, created_by=user)
    with django_assert_max_num_queries(8):  # session, user, roles, 2 x mappings, runs (+ slack)
        response = admin_client.get(reverse("imports"))
    assert response.status_code == 200
    assert response.content.decode().count("people-") >= 30
