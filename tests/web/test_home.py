import datetime as dt
import html
import re

import pytest
from django.test import override_settings
from django.urls import reverse

from tandem.accounts.models import LearningShare
from tandem.accounts.selectors import viewer_for
from tandem.audit.models import AuditEvent
from tandem.core.dates import today
from tandem.org.selectors import person_list, person_reporting_line_ids
from tests.api import factories as data
from tests.api.factories import add_people
from tests.web.factories import build_home_world, store_learning

pytestmark = pytest.mark.django_db
company = data.company  # the shared fixture


def home(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def section(page, testid):
    """The text of one data-testid section (tags stripped), to assert what a panel says."""
    match = re.search(rf'data-testid="{testid}".*?</section>', page, flags=re.S)
    assert match, f"no section {testid}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0)))


@pytest.fixture
def world(company):
    return build_home_world(company)


# --- L&D ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["ld_admin", "ld_team"])
def test_ld_home_has_headline_cards_chart_and_initiatives(role, company, make_user, login):
    page = home(login(make_user(roles=[role])))
    assert f'data-testid="home-{role}"' in page
    assert "L&D overview" in page
    assert "Active headcount" in page and "Hires, last 12 months" in page and "Departments" in page
    assert "Headcount of Company" in page and "<svg" in page
    assert "Better service" in page
    assert "Nothing waits for you" in section(page, "attention")


def test_ld_home_lists_what_needs_attention_first(world, company, make_user, login):
    page = home(login(make_user(roles=["ld_admin"])))
    attention = section(page, "attention")
    assert page.index('data-testid="attention"') < page.index("Active headcount")  # next actions first
    assert "Sales pilot: the pilot's verdict is due" in attention
    assert reverse("program_detail", args=["pilot-sales"]) in page
    assert "Coaching: how was it? (Service coaching) closes with few answers" in attention
    assert "1 of 3 invited have answered (33%)" in attention
    assert "Sales pilot: a case study draft is waiting" in attention
    assert reverse("case_study", args=["pilot-sales"]) in page
    assert "Wellbeing talks: no impact figure yet" in attention and "no primary metric is set" in attention
    # The coaching wave started ten days ago: measurable later, and the page says when.
    assert "Service coaching: no impact figure yet" in attention and "the first one comes in" in attention
    assert "HRIS people import of hr-export.csv did not go through" in attention


def test_ld_team_is_not_sent_to_imports_it_cannot_open(world, make_user, login):
    page = home(login(make_user(roles=["ld_team"])))
    assert "hr-export.csv" not in page and reverse("imports") not in section(page, "attention")


def test_a_later_successful_import_clears_the_failed_one(world, make_user, login):
    from tandem.imports.models import ImportRun

    ImportRun.objects.create(kind="people", filename="fixed.csv", content=b"", status=ImportRun.Status.DONE)
    assert "hr-export.csv" not in home(login(make_user(roles=["ld_admin"])))


def test_ld_home_counts_learning_data_problems(company, make_user, login):
    store_learning(people=[company.learner], activity="https://lms.example/course/a")
    clean = section(home(login(make_user(roles=["ld_admin"]))), "learning-problems")
    assert "No data problems" in clean
    from tandem.lrs.services import statements_store
    from tests.lrs.factories import LrsClientFactory, agent, statement

    statements_store(
        statements=[statement(actor=agent(email="nobody@elsewhere.example")) for _ in range(2)],
        version="1.0.3",
        client=LrsClientFactory(),
    )
    problems = section(home(login(make_user(roles=["ld_team"]))), "learning-problems")
    assert "1 xAPI actor with 2 statements matches nobody in the HR data" in problems
    assert reverse("learning_data_quality") in problems or "data-quality" in problems


def test_ld_home_says_no_hr_data_instead_of_none_yet(db, make_user, login):
    page = home(login(make_user(roles=["ld_admin"])))
    assert "None yet" not in page and "No HR data yet" in page


# --- stakeholder ------------------------------------------------------------------------------------------


def test_stakeholder_home_names_their_area(company, make_user, login):
    page = home(
        login(make_user(roles=["stakeholder"], person=company.stakeholder_person, org_units=[company.cs]))
    )
    assert 'data-testid="home-stakeholder"' in page
    assert "Customer Service at a glance" in page
    assert "Tier 1" in page and "Sales" not in page
    assert "Better service" in page and "target 80.0" in page


def test_stakeholder_home_shows_progress_now_as_the_initiative_page_does(company, make_user, login):
    """The home said "latest" (one month) where the initiative page says "now" (the mean of the last
    periods): the same figure computed twice, by the page and by the selector, must agree."""
    from tandem.core.scope import PersonScope
    from tandem.initiatives.selectors import initiative_list

    user = make_user(roles=["stakeholder"], person=company.stakeholder_person, org_units=[company.cs])
    page = home(login(user))
    progress = next(p for item in initiative_list(scope=PersonScope.all()) for p in item.metrics if p.now)
    shown = re.findall(r'data-testid="progress-now">([^<]+)<', page)
    assert shown and shown[0] == f"{progress.now.value:.{progress.decimals}f}"
    assert "→ now" in page


def test_stakeholder_home_shows_their_programs_result_and_what_is_measured_next(
    world, company, make_user, login
):
    user = make_user(roles=["stakeholder"], person=company.stakeholder_person, org_units=[company.cs])
    page = home(login(user))
    programs = section(page, "stakeholder-programs")
    # Lena (CS) takes part in coaching only: the sales pilot is outside this stakeholder's scope.
    assert "Service coaching" in programs and "Sales pilot" not in programs
    assert "the first impact figure on Quiz score" in programs and "Measured next" in programs
    assert "the reaction survey" not in programs  # every invitation has been sent: nothing goes out next
    assert page.index('data-testid="stakeholder-programs"') < page.index("People in your area")


def test_stakeholder_home_loads_each_measurable_programs_headline_from_the_programs_area(
    company, make_user, login
):
    from tandem.impact.models import ProgramMetric
    from tests.impact.factories import CohortFactory, ParticipantFactory, ProgramFactory

    program = ProgramFactory(code="old-coaching", name="Old coaching")
    ProgramMetric.objects.create(program=program, metric=company.quiz, is_primary=True)
    ParticipantFactory(
        cohort=CohortFactory(program=program, start_date=dt.date(2024, 1, 8)), person=company.learner
    )
    user = make_user(roles=["stakeholder"], person=company.stakeholder_person, org_units=[company.cs])
    page = home(login(user))
    headline = reverse("program_headline", args=["old-coaching"])
    assert f'hx-get="{headline}"' in page
    # The fragment itself answers for this stakeholder, with the estimate's sentence (or why there is none).
    fragment = login(user).get(headline)
    assert fragment.status_code == 200 and 'data-testid="headline-old-coaching"' in fragment.content.decode()


def test_stakeholder_sees_the_surveys_waiting_for_them(world, company, make_user, login):
    from tests.web.factories import invite

    invite(survey=world.survey, person=company.stakeholder_person, subject=company.stakeholder_person)
    user = make_user(roles=["stakeholder"], person=company.stakeholder_person, org_units=[company.cs])
    waiting = section(home(login(user)), "surveys-waiting")
    assert "Coaching: how was it?" in waiting and "/s/" in home(login(user))


# --- manager ------------------------------------------------------------------------------------------------


def test_manager_home_lists_the_team(company, make_user, login):
    page = home(login(make_user(roles=["manager"], person=company.manager)))
    assert 'data-testid="home-manager"' in page and "Your team" in page
    assert "Rita Report" in page and "Rolf Report" in page
    assert reverse("person_detail", args=[company.reports[0].employee_id]) in page


def test_manager_reporting_line_figure_agrees_with_the_people_list(company, make_user, login):
    """59 vs 60 in the demo: the home counted the line without the manager, the People list with them.
    One definition now (the line without the viewer), and the page says what the People list adds."""
    add_people(company.sales, 4, manager=company.reports[0])  # indirect reports
    user = make_user(roles=["manager"], person=company.manager)
    page = home(login(user))
    card = re.sub(r"<[^>]+>", " ", re.search(r'data-testid="team-size">.*?</a>', page, flags=re.S).group(0))
    figure = int(re.search(r'data-testid="team-size"><div class="figure">(\d+)<', page).group(1))
    line = person_reporting_line_ids(manager_id=company.manager.pk, on=today())
    directory = person_list(scope=viewer_for(user=user).scope).count()
    assert figure == len(line) == 6  # two direct, four indirect
    assert directory == figure + 1  # the People list also shows the manager's own record
    assert f"the People list shows them and you: {directory}" in card
    response = login(user).get(reverse("people"))
    assert f"{directory} people" in response.content.decode()


def test_manager_sees_follow_up_surveys_and_their_peoples_programs(world, company, make_user, login):
    page = home(login(make_user(roles=["manager"], person=company.manager)))
    waiting = section(page, "surveys-waiting")
    assert "Coaching: what changed?" in waiting and "about Rolf Report" in waiting
    assert page.index('data-testid="surveys-waiting"') < page.index("Direct reports")
    programs = section(page, "team-programs")
    assert "Service coaching" in programs and "Sales pilot" in programs and "Rita Report" in programs
    assert "Lena" not in programs  # not in the manager's line


def test_manager_team_learning_is_hidden_under_the_minimum_group_size(company, make_user, login):
    store_learning(people=company.reports, activity="https://lms.example/course/a")
    learning = section(home(login(make_user(roles=["manager"], person=company.manager))), "team-learning")
    assert "Your reporting line has 2 people" in learning and "none is shown here" in learning


def test_manager_team_learning_shows_group_figures_from_the_minimum(company, make_user, login):
    team = [*company.reports, *add_people(company.sales, 4, manager=company.manager)]
    store_learning(people=team[:5], activity="https://lms.example/course/a")
    store_learning(people=team[:2], activity="https://lms.example/course/b")
    # Two small groups: neither can be read off from the others, so no shown group is hidden with them.
    store_learning(people=team[:1], activity="https://lms.example/course/c")
    learning = section(home(login(make_user(roles=["manager"], person=company.manager))), "team-learning")
    assert "5 of 6 people learned something" in learning, learning
    assert "https://lms.example/course/a 5 5" in learning, learning
    assert "course/b fewer than 5 people" in learning
    # No individual record without consent (the default policy).
    assert "0 of 6 have chosen to share" in learning and "Rita Report" not in learning


def test_manager_sees_individual_records_only_of_reports_who_consent(company, make_user, login):
    store_learning(people=company.reports, activity="https://lms.example/course/a")
    rita = make_user(roles=["learner"], person=company.reports[0])
    make_user(roles=["learner"], person=company.reports[1])
    LearningShare.objects.create(user=rita, granted_at=dt.datetime.now(tz=dt.UTC))
    manager = make_user(roles=["manager"], person=company.manager)
    learning = section(home(login(manager)), "team-learning")
    assert "1 of 2 has chosen to share" in learning
    assert "Rita Report" in learning and "Rolf Report" not in learning


@pytest.mark.parametrize(("policy", "rita", "rolf"), [("all", True, True), ("none", False, False)])
def test_company_policy_overrides_consent(policy, rita, rolf, company, make_user, login):
    store_learning(people=company.reports, activity="https://lms.example/course/a")
    LearningShare.objects.create(
        user=make_user(roles=["learner"], person=company.reports[0]), granted_at=dt.datetime.now(tz=dt.UTC)
    )
    with override_settings(TANDEM_MANAGER_LEARNING=policy):
        learning = section(home(login(make_user(roles=["manager"], person=company.manager))), "team-learning")
    assert ("Rita Report" in learning) is rita and ("Rolf Report" in learning) is rolf


# --- learner ----------------------------------------------------------------------------------------------


def test_learner_home_shows_own_record_and_company_initiatives(company, make_user, login):
    page = home(login(make_user(roles=["learner"], person=company.learner)))
    assert 'data-testid="home-learner"' in page
    assert "Hello, Lena" in page and "Tier 1" in page
    assert "Better service" in page


def test_learner_home_starts_with_what_is_assigned_and_waiting(world, company, make_user, login):
    store_learning(people=[company.learner], activity="https://lms.example/course/a")
    page = home(login(make_user(roles=["learner"], person=company.learner)))
    assigned = section(page, "assigned")
    assert "Service coaching" in assigned and "Wave A, started" in assigned
    assert "Sales pilot" not in assigned
    waiting = section(page, "surveys-waiting")
    assert "Coaching: how was it?" in waiting
    token_link = reverse("survey_answer", kwargs={"token": _token(world.learner_invitation)})
    assert token_link in page  # the same personal link as in the invitation email
    assert "course/a" in section(page, "recent-learning")
    assert page.index('data-testid="assigned"') < page.index("Your record")


def _token(invitation):
    from tandem.surveys.tokens import invitation_token

    return invitation_token(salt=invitation.token_salt)


def test_answered_and_closed_invitations_do_not_wait(world, company, make_user, login):
    from django.utils import timezone

    world.learner_invitation.responded_at = timezone.now()
    world.learner_invitation.save(update_fields=["responded_at"])
    waiting = section(home(login(make_user(roles=["learner"], person=company.learner))), "surveys-waiting")
    assert "Nothing to answer" in waiting


def test_learner_gives_and_withdraws_consent_on_their_home_page_audited(company, make_user, login):
    user = make_user(roles=["learner"], person=company.learner)
    client = login(user)
    assert "Share my learning records with my managers" in section(home(client), "learning-share")
    response = client.post(reverse("home_learning_share"), {"shared": "1"})
    assert response.status_code == 302 and LearningShare.objects.filter(user=user).exists()
    assert "Stop sharing" in section(home(client), "learning-share")
    client.post(reverse("home_learning_share"), {"shared": "0"})
    assert not LearningShare.objects.filter(user=user).exists()
    events = AuditEvent.objects.filter(entity_type="user", entity_id=str(user.pk)).order_by("id")
    assert [event.changes for event in events][-2:] == [
        {"learning_shared_with_managers": [False, True]},
        {"learning_shared_with_managers": [True, False]},
    ]


def test_consent_needs_a_post(company, make_user, login):
    client = login(make_user(roles=["learner"], person=company.learner))
    assert client.get(reverse("home_learning_share")).status_code == 405


# --- everyone ----------------------------------------------------------------------------------------------


def test_it_reviewer_home_points_to_the_system_page(company, make_user, login):
    page = home(login(make_user(roles=["it_reviewer"])))
    assert 'data-testid="home-it_reviewer"' in page and reverse("system") in page


def test_user_without_a_role_is_told_to_ask_for_access(company, make_user, login):
    page = home(login(make_user(roles=[])))
    assert 'data-testid="home-none"' in page and "Ask your L&D admin" in page


def test_anonymous_is_sent_to_log_in(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize(
    ("roles", "shown", "not_shown"),
    [
        (["learner"], ["The people directory", "your own record"], ["audit log", "Importing"]),
        (
            ["stakeholder"],
            ["Learning programs", "org units granted to you"],
            ["audit log", "Learning records"],
        ),
        (["manager"], ["Business metrics", "people reporting to you"], ["Learning programs"]),
        (["it_reviewer"], ["System page", "nobody's"], ["people directory"]),
        (["ld_admin"], ["The audit log", "everyone in the company"], ["your own record"]),
    ],
)
def test_what_you_can_see_follows_the_capability_table(roles, shown, not_shown, company, make_user, login):
    person = {"learner": company.learner, "manager": company.manager}.get(roles[0])
    org_units = [company.cs] if roles == ["stakeholder"] else None
    can_see = section(home(login(make_user(roles=roles, person=person, org_units=org_units))), "can-see")
    for text in shown:
        assert text in can_see
    for text in not_shown:
        assert text not in can_see


# --- speed: the query count does not grow with the data --------------------------------------------------------


@pytest.mark.parametrize("extra", [10, 60])
def test_ld_home_query_count_does_not_grow(extra, company, make_user, login, django_assert_max_num_queries):
    world = build_home_world(company)
    people = add_people(company.sales, extra)
    store_learning(people=people, activity="https://lms.example/course/a")
    client = login(make_user(roles=["ld_admin"]))
    with django_assert_max_num_queries(24):
        page = home(client)
    assert world.pilot.name in page


@pytest.mark.parametrize("extra", [10, 60])
def test_stakeholder_home_query_count_does_not_grow(
    extra, company, make_user, login, django_assert_max_num_queries
):
    build_home_world(company)
    store_learning(people=add_people(company.cs_team, extra), activity="https://lms.example/course/a")
    client = login(
        make_user(roles=["stakeholder"], person=company.stakeholder_person, org_units=[company.cs])
    )
    with django_assert_max_num_queries(24):
        home(client)


@pytest.mark.parametrize("extra", [10, 60])
def test_manager_home_query_count_does_not_grow(
    extra, company, make_user, login, django_assert_max_num_queries
):
    build_home_world(company)
    team = add_people(company.sales, extra, manager=company.manager)
    store_learning(people=team, activity="https://lms.example/course/a")
    for person in team[:5]:
        LearningShare.objects.create(
            user=make_user(roles=["learner"], person=person), granted_at=dt.datetime.now(tz=dt.UTC)
        )
    client = login(make_user(roles=["manager"], person=company.manager))
    with django_assert_max_num_queries(22):
        home(client)


@pytest.mark.parametrize("extra", [1, 20])
def test_learner_home_query_count_does_not_grow(
    extra, company, make_user, login, django_assert_max_num_queries
):
    build_home_world(company)
    for index in range(extra):
        store_learning(people=[company.learner], activity=f"https://lms.example/course/{index}")
    client = login(make_user(roles=["learner"], person=company.learner))
    with django_assert_max_num_queries(16):
        home(client)
