"""GET /statements shaping: normalise() and format=exact|ids|canonical (Communication 2.1.3)."""

from __future__ import annotations

import copy

import pytest

from tandem.lrs.xapi import (
    contexts_as_arrays,
    language_pick,
    normalise,
    statement_activity_ids,
    statement_format,
)
from tests.lrs.xapi.statements import (
    assessment_answer,
    course_completion,
    planned_substatement,
    team_attended,
)


def test_xapi_data_2_4_6_2_s4_b3_normalise_context_activities_to_arrays() -> None:
    """Data 2.4.6.2.s4.b3: "The LRS MUST return every value in the contextActivities Object as an array"."""
    statement = assessment_answer()
    out = normalise(statement=statement)
    assert out["context"]["contextActivities"]["parent"] == [
        {"id": "https://learning.example.com/assessments/privacy-quiz"}
    ]
    assert isinstance(statement["context"]["contextActivities"]["parent"], dict)  # input untouched


def test_normalise_reaches_into_substatements() -> None:
    """Data 2.4.4.3.s8.b2: a SubStatement is a Statement, so its contextActivities are arrays too."""
    statement = planned_substatement()
    statement["object"]["context"] = {
        "contextActivities": {"grouping": {"id": "https://example.com/programme"}}
    }
    out = normalise(statement=statement)
    assert out["object"]["context"]["contextActivities"]["grouping"] == [
        {"id": "https://example.com/programme"}
    ]


def test_normalise_keeps_everything_else() -> None:
    """normalise changes nothing but contextActivities shapes."""
    assert normalise(statement=course_completion()) == course_completion()


def test_communication_2_1_3_format_exact_unchanged() -> None:
    """Communication 2.1.3: "If exact, return Agent, Activity, Verb and Group Objects populated exactly as they were when the Statement was received"."""
    statement = assessment_answer()
    out = statement_format(statement=statement, fmt="exact", languages=["fr"])
    assert out == normalise(statement=statement)
    assert out is not statement


def test_xapi_00096_format_exact_returns_a_single_context_activity_as_an_array() -> None:
    """XAPI-00096 (Data 2.4.6.2.s4.b3): "returns a ContextActivity in an array, even if only a single
    ContextActivity is returned" -- in every format, exact (the default) included."""
    statement = course_completion()
    parent = {"id": "https://learning.example.com/programmes/compliance-2026"}
    statement["context"]["contextActivities"] = {"parent": parent, "grouping": [parent]}
    out = statement_format(statement=statement, fmt="exact", languages=[])
    assert out["context"]["contextActivities"] == {"parent": [parent], "grouping": [parent]}
    assert statement["context"]["contextActivities"]["parent"] == parent  # the input is not modified
    owned = copy.deepcopy(statement)
    assert contexts_as_arrays(statement=owned) is owned
    assert owned["context"]["contextActivities"]["parent"] == [parent]


def test_communication_2_1_3_format_ids() -> None:
    """Communication 2.1.3: "If ids, only include minimum information necessary in Agent, Activity, Verb and Group Objects to identify them"."""
    out = statement_format(statement=course_completion(), fmt="ids", languages=[])
    assert out["actor"] == {"objectType": "Agent", "mbox": "mailto:priya.shah@example.com"}
    assert out["verb"] == {"id": "http://adlnet.gov/expapi/verbs/completed"}
    # XAPI-00171: "only include identifiers" -- an Activity is its id, without objectType.
    assert out["object"] == {"id": "https://learning.example.com/courses/data-privacy-101"}
    assert out["context"]["instructor"] == {
        "objectType": "Agent",
        "account": {"homePage": "https://lms.example.com", "name": "tom.reyes"},
    }
    assert out["context"]["contextActivities"]["parent"] == [
        {"id": "https://learning.example.com/programmes/compliance-2026"}
    ]
    assert out["result"] == course_completion()["result"]


def test_communication_2_1_3_format_ids_groups() -> None:
    """Communication 2.1.3: "For Anonymous Groups this means including the minimum information needed to identify each member"."""
    out = statement_format(statement=team_attended(), fmt="ids", languages=[])
    assert out["actor"] == {"objectType": "Group", "mbox": "mailto:teampb@example.com"}
    assert out["context"]["team"] == {
        "objectType": "Group",
        "member": [{"mbox": "mailto:a@example.com"}, {"mbox": "mailto:b@example.com"}],
    }


def test_communication_2_1_3_format_ids_substatement() -> None:
    """ids applies to the Agents, Verbs and Activities inside a SubStatement too."""
    out = statement_format(statement=planned_substatement(), fmt="ids", languages=[])
    assert out["object"]["verb"] == {"id": "http://adlnet.gov/expapi/verbs/attended"}
    assert out["object"]["actor"] == {"objectType": "Agent", "mbox": "mailto:priya.shah@example.com"}


def test_xapi_data_2_4_3_s6_b2_ids_format_drops_verb_display() -> None:
    """Data 2.4.3.s6.b2: "When queried for Statements with a Format of ids, the LRS SHOULD* NOT include the "display" property"."""
    out = statement_format(statement=assessment_answer(), fmt="ids", languages=["en-US"])
    assert "display" not in out["verb"]
    assert out["object"] == {"id": "https://learning.example.com/assessments/privacy-quiz/q3"}


def test_communication_2_1_3_s4_canonical_one_language_per_map() -> None:
    """Communication 2.1.3.s4.b1: "The LRS MUST return only one language in each of these maps"."""
    statement = course_completion()
    out = statement_format(statement=statement, fmt="canonical", languages=["fr"])
    assert out["object"]["definition"]["name"] == {"fr": "Les bases de la confidentialité"}
    assert out["object"]["definition"]["description"] == {"en-GB": "Annual GDPR refresher"}
    assert out["verb"]["display"] == {"en-US": "completed"}
    assert (
        out["actor"] == statement["actor"]
    )  # "return the original Agent and Group Objects as in exact mode"


def test_canonical_interaction_component_descriptions() -> None:
    """Communication 2.1.3.s4.b1: language maps "within their name, description and various interaction components"."""
    statement = assessment_answer()
    statement["object"]["definition"]["choices"][0]["description"]["de"] = "Eine E-Mail-Adresse"
    out = statement_format(statement=statement, fmt="canonical", languages=["de", "en"])
    assert out["object"]["definition"]["choices"][0]["description"] == {"de": "Eine E-Mail-Adresse"}
    assert out["object"]["definition"]["choices"][1]["description"] == {"en-US": "An IP address"}
    assert out["context"]["contextActivities"]["parent"] == [
        {"id": "https://learning.example.com/assessments/privacy-quiz"}
    ]


@pytest.mark.parametrize(
    ("languages", "expected"),
    [
        (["en-GB"], "en-GB"),
        (["EN-gb"], "en-GB"),
        (["en"], "en-GB"),
        (["es-MX", "fr"], "fr"),
        (["es-MX", "es"], "es"),
        (["de"], "en-GB"),
        ([], "en-GB"),
        (["*"], "en-GB"),
        (["fr-CA"], "fr"),
        (["es-MX"], "es"),
    ],
)
def test_communication_2_1_3_s4_b5_accept_language_matching(languages: list[str], expected: str) -> None:
    """Communication 2.1.3.s4.b5: apply "Accept-Language" as in RFC 2616 "to each language map individually"."""
    language_map = {"en-GB": "colour", "fr": "couleur", "es": "color", "en-US": "color"}
    assert list(language_pick(language_map=language_map, languages=languages)) == [expected]


def test_language_pick_empty_map() -> None:
    """An empty language map stays empty."""
    assert language_pick(language_map={}, languages=["en"]) == {}


def test_statement_format_rejects_unknown_format() -> None:
    """Communication 2.1.3: format is one of ids, exact or canonical."""
    with pytest.raises(ValueError, match="format"):
        statement_format(statement=course_completion(), fmt="full", languages=[])


def test_statement_format_does_not_modify_input() -> None:
    """Formatting works on a copy; the stored statement is untouched."""
    statement = course_completion()
    before = copy.deepcopy(statement)
    statement_format(statement=statement, fmt="canonical", languages=["fr"])
    statement_format(statement=statement, fmt="ids", languages=[])
    assert statement == before


def test_canonical_substitutes_the_given_definitions_then_filters_languages() -> None:
    """Data 2.6 "format": canonical uses the LRS's definition; activities it has none for keep theirs."""
    statement = assessment_answer()
    parent = statement["context"]["contextActivities"]["parent"]["id"]  # a single object, not an array
    question = statement["object"]["id"]
    stored = {"name": {"en-US": "Privacy quiz", "fr": "Quiz"}}
    before = copy.deepcopy(stored)
    out = statement_format(
        statement=statement, fmt="canonical", languages=["fr"], definitions={parent: stored}
    )
    assert out["context"]["contextActivities"]["parent"][0]["definition"] == {"name": {"fr": "Quiz"}}
    assert out["object"]["definition"]["type"] == statement["object"]["definition"]["type"]
    assert stored == before  # the caller's mapping is not edited by the language filtering
    assert statement_activity_ids(statement=statement) == {question, parent}
