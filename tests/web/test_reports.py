"""Report pages: exports, case studies and business cases, for L&D and for department heads."""

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from tandem.impact.estimates import program_impact_estimate
from tandem.impact.services import cohort_create, participants_add_list
from tandem.org.models import OrgUnit
from tandem.reports.models import BusinessCase, CaseStudy
from tandem.reports.records import BusinessCaseInput
from tandem.reports.services import business_case_create, case_study_draft
from tests.factories import OrgUnitFactory, PersonFactory
from tests.impact.factories import build

pytestmark = pytest.mark.django_db

EXPORTS = {
    "program_export_html": "text/html; charset=utf-8",
    "program_export_pdf": "application/pdf",
    "program_export_xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "program_export_csv": "text/csv; charset=utf-8",
}


@pytest.fixture
def program(settings):
    settings.TANDEM_MIN_GROUP_SIZE = 5
    return build(effect=3.0, per_cohort=12, comparison=20)


@pytest.fixture
def department(program):
    return OrgUnit.objects.get(pk=program.participants.first().person.org_unit_id)


@pytest.fixture
def ld(make_user, login):
    return login(make_user(roles=["ld_admin"]))


@pytest.fixture
def outsider(make_user):
    """The head of another department: none of the program's participants is in it."""
    return make_user(roles=["stakeholder"], org_units=[OrgUnitFactory(code="OTHER")])


def test_every_export_downloads_with_the_code_and_date_in_its_name(program, ld):
    for name, content_type in EXPORTS.items():
        response = ld.get(reverse(name, args=["coach"]))
        assert response.status_code == 200, name
        assert response["Content-Type"] == content_type
        extension = name.rsplit("_", 1)[1]
        assert re.fullmatch(
            rf'attachment; filename="coach-impact-\d{{4}}-\d{{2}}-\d{{2}}\.{extension}"',
            response["Content-Disposition"],
        )


def test_html_export_is_self_contained_and_says_the_estimate(program, ld):
    html = ld.get(reverse("program_export_html", args=["coach"])).content.decode()
    estimate = program_impact_estimate(program_id=program.pk, metric_code="tickets")
    assert "People who took the program had" in html and "95% CI" in html
    assert f"{estimate.overall.estimate:.1f}" in html and f"{estimate.overall.ci_low:.1f}" in html
    assert html.count("<svg") >= 2 and 'data-testid="event-chart"' in html
    assert "<style>" in html
    # Nothing is fetched from anywhere: no scripts, stylesheets, images or links to other pages.
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert not re.search(r"<(script|link|img|iframe)\b", html, re.I)
    assert not re.search(r"""(src|href)\s*=\s*["']/""", html, re.I)
    assert "url(http" not in html and "@import" not in html
    assert "csrfmiddlewaretoken" not in html


def test_xlsx_and_csv_export_open(program, ld):
    book = load_workbook(io.BytesIO(ld.get(reverse("program_export_xlsx", args=["coach"])).content))
    assert "Event study" in book.sheetnames
    csv_text = ld.get(reverse("program_export_csv", args=["coach"])).content.decode()
    assert csv_text.startswith("section,key,label,group,period,value")
    assert ld.get(reverse("program_export_pdf", args=["coach"])).content.startswith(b"%PDF-")


def test_exports_follow_the_metric_method_and_comparison_asked_for(program, ld):
    html = ld.get(reverse("program_export_html", args=["coach"]), {"comparison": "not_yet"}).content.decode()
    assert "had not started it yet" in html
    assert (
        ld.get(reverse("program_export_csv", args=["coach"]), {"method": "x", "metric": "y"}).status_code
        == 200
    )


def test_department_head_sees_their_programs_reports(program, department, make_user, login):
    client = login(make_user(roles=["stakeholder"], org_units=[department]))
    for name in EXPORTS:
        assert client.get(reverse(name, args=["coach"])).status_code == 200, name
    case_study_draft(program_id=program.pk, actor_id=None)
    # A draft stays with L&D; a final case study is shared.
    page = client.get(reverse("case_study", args=["coach"]))
    assert (
        page.status_code == 200
        and "No case study of this program has been published yet" in page.content.decode()
    )
    assert client.get(reverse("case_study_export_pdf", args=["coach"])).status_code == 403
    CaseStudy.objects.update(status="final")
    page = client.get(reverse("case_study", args=["coach"])).content.decode()
    assert (
        "People who took the program had" in page and reverse("case_study_edit", args=["coach"]) not in page
    )
    assert client.get(reverse("case_study_export_html", args=["coach"])).status_code == 200
    assert client.get(reverse("case_study_export_pdf", args=["coach"])).content.startswith(b"%PDF-")
    # Reading is not editing.
    assert client.get(reverse("case_study_edit", args=["coach"])).status_code == 403
    assert client.post(reverse("case_study_draft", args=["coach"])).status_code == 403


CASE_STUDY_URLS = [
    ("get", "case_study"),
    ("get", "case_study_edit"),
    ("post", "case_study_draft"),
    ("post", "case_study_edit"),
    ("get", "case_study_export_html"),
    ("get", "case_study_export_pdf"),
]


def test_head_of_another_department_gets_nothing(program, outsider, login):
    case_study_draft(program_id=program.pk, actor_id=None)
    CaseStudy.objects.update(status="final")
    client = login(outsider)
    for name in EXPORTS:
        response = client.get(reverse(name, args=["coach"]))
        assert response.status_code == 403, name
        assert "Content-Disposition" not in response
    for method, name in CASE_STUDY_URLS:
        response = getattr(client, method)(reverse(name, args=["coach"]))
        assert response.status_code == 403, name
        assert b"People who took the program" not in response.content


def test_learners_and_managers_get_no_reports(program, make_user, login):
    for roles in (["learner"], ["manager"], ["it_reviewer"]):
        client = login(make_user(roles=roles))
        assert client.get(reverse("program_export_pdf", args=["coach"])).status_code == 403
        assert client.get(reverse("case_study", args=["coach"])).status_code == 403
        assert client.get(reverse("business_cases")).status_code == 403


def test_unknown_program_is_refused_with_a_reason(ld):
    response = ld.get(reverse("program_export_csv", args=["nope"]))
    assert response.status_code == 403 and b"No program nope" in response.content


def test_case_study_draft_edit_redraft_and_export(program, ld):
    page = ld.get(reverse("case_study", args=["coach"])).content.decode()
    assert "No case study yet" in page and reverse("case_study_draft", args=["coach"]) in page
    # Editing before drafting sends you to draft first.
    assert ld.get(reverse("case_study_edit", args=["coach"])).status_code == 302
    response = ld.post(reverse("case_study_draft", args=["coach"]))
    assert response.status_code == 302 and response["Location"] == reverse("case_study_edit", args=["coach"])
    form = ld.get(response["Location"]).content.decode()
    assert "People who took the program had" in form and "csrfmiddlewaretoken" in form
    study = CaseStudy.objects.get()
    data = {
        "title": "Coaching closes tickets",
        "what_happened": study.what_happened,
        "impact": "Support closed more tickets.",
        "success_quotes": "I close tickets faster | A participant in Support\n\n",
        "non_success_quotes": "",
        "differently": "Start with the managers.",
        "alternative_scenario": study.alternative_scenario,
        "status": "final",
    }
    response = ld.post(reverse("case_study_edit", args=["coach"]), data)
    assert response.status_code == 302
    ld.post(reverse("case_study_draft", args=["coach"]))
    study.refresh_from_db()
    assert study.impact == "Support closed more tickets." and study.title == "Coaching closes tickets"
    assert study.success_quotes == [
        {"text": "I close tickets faster", "who_label": "A participant in Support"}
    ]
    html = ld.get(reverse("case_study_export_html", args=["coach"])).content.decode()
    assert "Support closed more tickets." in html and "I close tickets faster" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    pdf = ld.get(reverse("case_study_export_pdf", args=["coach"]))
    assert pdf.content.startswith(b"%PDF-") and "coach-case-study-" in pdf["Content-Disposition"]
    ld.post(reverse("case_study_draft", args=["coach"]), {"regenerate": "1"})
    study.refresh_from_db()
    assert study.impact.startswith("People who took the program had")
    # A form without a title is refused with the reason, nothing saved.
    response = ld.post(reverse("case_study_edit", args=["coach"]), {**data, "title": ""})
    assert response.status_code == 400 and b"This field is required" in response.content


def test_business_case_pages(program, make_user, login):
    client = login(make_user(roles=["ld_team"]))
    assert client.get(reverse("business_cases")).status_code == 200
    form = client.get(reverse("business_case_new")).content.decode()
    assert 'value="coach"' in form and 'value="tickets"' in form
    response = client.post(
        reverse("business_case_new"),
        {
            "name": "Coaching for Sales",
            "audience_size": "100",
            "metric": "tickets",
            "value_per_unit": "50",
            "benefit_months": "1",
            "cost_items": "Vendor fee: 4,000\nTime: 1000",
            "comparables": ["coach"],
        },
    )
    case = BusinessCase.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "business_case_detail", args=[case.pk]
    )
    assert case.cost_total == Decimal("5000.00") and case.created_by is not None
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="scenario-central"' in page and 'data-testid="roi-chart"' in page and "<svg" in page
    assert "€5,000" in page  # the cost in the currency setting, not "5,000"
    pdf = client.get(reverse("business_case_export_pdf", args=[case.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"].startswith('attachment; filename="coaching-for-sales-business-case-')
    assert b"%PDF-" in pdf.content[:8]
    xlsx = client.get(reverse("business_case_export_xlsx", args=[case.pk]))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    listing = client.get(reverse("business_cases")).content.decode()
    assert "Coaching for Sales" in listing
    edit = client.get(reverse("business_case_edit", args=[case.pk])).content.decode()
    assert "Vendor fee: 4000.00" in edit
    assert client.post(reverse("business_case_recompute", args=[case.pk])).status_code == 302
    bad = client.post(reverse("business_case_new"), {"name": "X", "audience_size": "0", "metric": "tickets"})
    assert bad.status_code == 400 and BusinessCase.objects.count() == 1
    no_cost = client.post(
        reverse("business_case_new"),
        {
            "name": "X",
            "audience_size": "5",
            "metric": "tickets",
            "value_per_unit": "1",
            "benefit_months": "12",
        },
    )
    assert no_cost.status_code == 400 and b"total cost above zero" in no_cost.content
    assert client.get(reverse("business_case_detail", args=[999])).status_code == 403


def test_business_cases_are_for_ld_only(program, department, make_user, login):
    case = business_case_create(
        actor_id=None,
        case=BusinessCaseInput(
            name="X",
            audience_size=10,
            metric_code="tickets",
            value_per_unit=Decimal("1"),
            comparable_codes=("coach",),
            cost_total=Decimal("100"),
        ),
    )
    client = login(make_user(roles=["stakeholder"], org_units=[department]))
    for url in (
        reverse("business_cases"),
        reverse("business_case_new"),
        reverse("business_case_detail", args=[case.id]),
        reverse("business_case_edit", args=[case.id]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("business_case_recompute", args=[case.id])).status_code == 403
    assert "Business cases" not in client.get(reverse("home")).content.decode()


def test_pages_use_a_bounded_number_of_queries(program, ld, django_assert_max_num_queries):
    case_study_draft(program_id=program.pk, actor_id=None)
    for number in range(3):
        business_case_create(
            actor_id=None,
            case=BusinessCaseInput(
                name=f"Case {number}",
                audience_size=10,
                metric_code="tickets",
                value_per_unit=Decimal("1"),
                comparable_codes=("coach",),
                cost_total=Decimal("100"),
            ),
        )
    with django_assert_max_num_queries(9):
        assert ld.get(reverse("case_study", args=["coach"])).status_code == 200
    with django_assert_max_num_queries(5):  # three cases, one prefetch for all their comparables
        assert ld.get(reverse("business_cases")).status_code == 200
    detail = reverse("business_case_detail", args=[BusinessCase.objects.first().pk])
    with django_assert_max_num_queries(5):
        assert ld.get(detail).status_code == 200
    assert "Business cases" in ld.get(reverse("home")).content.decode()


def _queries(client, url):
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def test_export_queries_do_not_grow_with_waves_or_people(program, department, make_user, login):
    client = login(make_user(roles=["stakeholder"], org_units=[department]))
    urls = [reverse(name, args=["coach"]) for name in ("program_export_csv", "program_export_html")]
    before = [_queries(client, url) for url in urls]
    for number in range(2):
        cohort = cohort_create(
            actor_id=None, program_id=program.pk, name=f"Extra {number}", start_date=dt.date(2025, 11, 1)
        )
        people = [PersonFactory(org_unit=department) for _ in range(4)]
        participants_add_list(
            actor_id=None, cohort_id=cohort.pk, employee_ids=[p.employee_id for p in people]
        )
    assert [_queries(client, url) for url in urls] == before
    assert before[0] <= 27  # with the balance check (2 queries) that the report now carries
