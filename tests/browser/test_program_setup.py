"""An L&D admin sets a program up in a real browser, without the admin site: the program with its owner picked
by name, its activity picked from the LRS, a cost and its primary metric."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.pages import log_in

pytestmark = pytest.mark.browser

COURSE = "https://lms.example.com/courses/service-basics"
# The pickers and the search are htmx under the Content-Security-Policy: anything it blocks is recorded.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(e.violatedDirective));
"""


@pytest.fixture
def setup_world(small_company: dict[str, str]) -> dict[str, str]:
    """A metric to link and one statement about the course, both through the services."""
    from tandem.lrs.services import statements_store
    from tandem.metrics.services import metric_define
    from tests.lrs.factories import LrsClientFactory, agent, statement

    metric_define(actor_id=None, code="csat", name="Customer satisfaction", unit="points", grain="person")
    course = statement(
        actor=agent(email="lena.learner@example.com", name="Lena Learner"),
        activity=COURSE,
        obj={"objectType": "Activity", "id": COURSE, "definition": {"name": {"en-US": "Service basics"}}},
    )
    statements_store(statements=[course], version="1.0.3", client=LrsClientFactory())
    return small_company


def _create_program(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/programs/")
    page.click("[data-testid=new-program]")
    page.fill("#id_code", "service-basics")
    page.fill("#id_name", "Service basics")
    owner = page.locator("#id_owner_employee_id")
    owner.press_sequentially("Ada", delay=30)
    page.wait_for_selector("#owner-options option[value=P001]", state="attached")
    owner.fill("P001")
    page.select_option("#id_status", "pilot")
    page.check("input[name=delivery_modes][value=elearning]")
    page.fill("#id_start_date", "2025-03-01")
    page.click("button:has-text('Create program')")
    page.wait_for_load_state("networkidle")


def test_ld_admin_sets_up_a_program_in_the_browser(
    page: Any, live_server: Any, setup_world: dict[str, str]
) -> None:
    page.context.add_init_script(RECORD_VIOLATIONS)
    log_in(page, live_server.url, setup_world["ld_admin"])
    _create_program(page, live_server.url)
    assert page.url.endswith("/programs/service-basics/setup/")
    fields = page.locator("[data-testid=setup-fields]").inner_text()
    assert "Ada Admin" in fields and "E-learning" in fields

    page.locator("#activity-q").press_sequentially("service", delay=30)
    page.wait_for_selector("#activity-results :text('Service basics')")
    page.locator("#activity-results button:has-text('Add')").first.click()
    page.wait_for_load_state("networkidle")
    assert "Service basics" in page.locator("[data-testid=setup-activities] table").inner_text()

    page.select_option("#id_kind", "licence")
    page.fill("#id_amount", "1200")
    page.click("button:has-text('Add cost')")
    page.wait_for_load_state("networkidle")
    assert "1,200.00" in page.locator("[data-testid=cost-total]").inner_text()

    page.select_option("#id_metric_code", "csat")
    page.select_option("#id_role", "primary")
    page.click("button:has-text('Save metric')")
    page.wait_for_load_state("networkidle")
    assert "Primary" in page.locator("[data-testid=setup-metrics] table").inner_text()
    assert page.evaluate("window.__csp") == []
