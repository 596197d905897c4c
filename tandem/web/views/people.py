"""The people directory and person pages. Rows are limited by the viewer's scope in the selectors."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.cache import patch_vary_headers

from tandem.accounts.permissions import Capability
from tandem.accounts.selectors import viewer_require
from tandem.core.dates import today
from tandem.lrs.learning import learning_records_of_person
from tandem.org.models import Person
from tandem.org.records import OrgUnitNode
from tandem.org.selectors import (
    job_role_list,
    location_list,
    org_unit_ancestors,
    org_unit_detail_allowed,
    org_unit_id_for_code,
    org_unit_tree,
    person_assignment_history,
    person_direct_reports,
    person_get,
    person_list,
)
from tandem.web.viewer import viewer_of

PAGE_SIZE = 50


def _int_or_none(*, value: str) -> int | None:
    return int(value) if value.isdigit() else None


def _unit_options(*, nodes: list[OrgUnitNode]) -> list[tuple[str, str]]:
    """(code, label) with the label indented by depth, since <option> cannot be styled reliably."""
    top = min((node.depth for node in nodes), default=0)
    return [(node.code, "\u00a0\u00a0" * (node.depth - top) + node.name) for node in nodes]


def people_list(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    viewer_require(viewer=viewer, capability=Capability.VIEW_PEOPLE)
    filters = {
        "q": request.GET.get("q", "").strip(),
        "org_unit": request.GET.get("org_unit", "").strip(),
        "role": request.GET.get("role", "").strip(),
        "location": request.GET.get("location", "").strip(),
        "status": request.GET.get("status", "").strip(),
    }
    org_unit_id = None
    if filters["org_unit"]:
        # An unknown code must match nobody rather than silently widen the list.
        org_unit_id = org_unit_id_for_code(code=filters["org_unit"]) or -1
    role_id = _int_or_none(value=filters["role"])
    people = person_list(
        scope=viewer.scope,
        search=filters["q"],
        org_unit_id=org_unit_id,
        job_role_id=role_id if filters["role"] else None,
        location=filters["location"],
        status=filters["status"] if filters["status"] in Person.Status.values else "",
    )
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    context: dict[str, object] = {"page": page, "filters": filters}
    # htmx swaps only the results; a history restore after a cache miss needs the whole page.
    if request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request"):
        response = render(request, "web/people/_results.html", context)
        patch_vary_headers(response, ["HX-Request"])
        return response
    context |= {
        "org_units": _unit_options(nodes=org_unit_tree(scope=viewer.scope, on=today())),
        "roles": job_role_list(),
        "locations": location_list(),
        "statuses": Person.Status.choices,
    }
    response = render(request, "web/people/list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def person_detail(request: HttpRequest, employee_id: str) -> HttpResponse:
    viewer = viewer_of(request)
    viewer_require(viewer=viewer, capability=Capability.VIEW_PEOPLE)
    person = person_get(scope=viewer.scope, employee_id=employee_id)
    unit_path = org_unit_ancestors(org_unit=person.org_unit) if person.org_unit else []
    context = {
        "person": person,
        "unit_path": [
            {"unit": unit, "link": org_unit_detail_allowed(scope=viewer.scope, org_unit_id=unit.pk)}
            for unit in unit_path
        ],
        "reports": person_direct_reports(scope=viewer.scope, person_id=person.pk),
        "history": person_assignment_history(employee_id=person.employee_id),
        "is_self": viewer.person_id == person.pk,
    }
    # Individual learning records: L&D and the person themself only (others see aggregates, on other pages).
    if viewer.can(Capability.VIEW_LEARNING_DATA) or viewer.person_id == person.pk:
        context["learning"] = learning_records_of_person(person_id=person.pk)
    return render(request, "web/people/detail.html", context)


urlpatterns = [
    path("", people_list, name="people"),
    path("<str:employee_id>/", person_detail, name="person_detail"),
]
