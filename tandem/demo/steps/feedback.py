"""Step: what participants said, and what L&D wrote up from it.

Every demo program gets its surveys (reaction, knowledge checks, 60-day follow-ups to learners and their
managers) with the invitations that are due by today answered by most people, in line with what the program
really did: the staggered program's learners apply what they learned, the pilot's mostly do not, and the
program that started this month has only its first reactions and pre-test. Then a case study is drafted
for each program from that data, and L&D's business case for taking the staggered program to another team.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.utils import timezone

from tandem.core.scope import PersonScope
from tandem.demo.context import DemoContext, Step, Tick, register_step
from tandem.demo.steps import programs_more
from tandem.impact.selectors import program_get
from tandem.reports.records import BusinessCaseInput
from tandem.reports.services import business_case_create, case_study_draft
from tandem.surveys.knowledge import KnowledgeQuestionIn, knowledge_questions_set
from tandem.surveys.records import (
    KIND_BEHAVIOUR_LEARNER,
    KIND_BEHAVIOUR_MANAGER,
    KIND_KNOWLEDGE_POST,
    KIND_KNOWLEDGE_PRE,
    KIND_REACTION,
)
from tandem.surveys.results import ImportedResponse
from tandem.surveys.selectors import survey_invitations_list
from tandem.surveys.services import survey_create, survey_responses_import

# How each program went, as the answers should show it (means on each question's own scale).
_PROFILES: dict[str, dict[str, float]] = {
    "staggered": {"satisfaction": 4.3, "nps": 8.6, "applied": 68, "observed": 3.9, "pre": 54, "post": 79},
    "pilot": {"satisfaction": 3.4, "nps": 6.4, "applied": 27, "observed": 2.4, "pre": 51, "post": 58},
    "operational": {"satisfaction": 4.1, "nps": 8.1, "applied": 50, "observed": 3.0, "pre": 43, "post": 70},
}
_RESPONSE_RATE = {
    KIND_REACTION: 0.78,
    KIND_KNOWLEDGE_PRE: 0.9,
    KIND_KNOWLEDGE_POST: 0.74,
    KIND_BEHAVIOUR_LEARNER: 0.56,
    KIND_BEHAVIOUR_MANAGER: 0.48,
}
_KINDS = {
    # The staggered program: all five; reactions anonymous (people are franker), follow-ups named.
    "staggered": (
        KIND_REACTION,
        KIND_KNOWLEDGE_PRE,
        KIND_KNOWLEDGE_POST,
        KIND_BEHAVIOUR_LEARNER,
        KIND_BEHAVIOUR_MANAGER,
    ),
    "pilot": (KIND_REACTION, KIND_BEHAVIOUR_LEARNER, KIND_BEHAVIOUR_MANAGER),
    "operational": (KIND_REACTION, KIND_KNOWLEDGE_PRE, KIND_KNOWLEDGE_POST),
}

# What people wrote, by program: (applied a lot, applied little, reaction comments).
_TEXTS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "staggered": (
        (
            "I now check the customer's history before I answer, and most tickets close on the first reply.",
            "The call structure from module 2 is how I run every call now; repeat contacts dropped a lot.",
            "I use the troubleshooting tree every day and hardly escalate any more.",
            "I stopped promising call-backs I could not keep: I solve it on the call or book a named expert.",
            "Our team built a shared notes page from the course template; new joiners use it too.",
        ),
        (
            "Good ideas, but our targets did not change, so I went back to how I did it before.",
            "I have not had the time to practise; the queue is too long.",
            "The troubleshooting tree does not cover the billing cases I get most.",
            "My manager never asked about it after the course.",
        ),
        (
            "Practical and close to our real cases.",
            "Too long for what it taught; the role plays were the best part.",
            "I would like the follow-up session sooner.",
            "Good trainer, clear examples.",
        ),
    ),
    "pilot": (
        (
            "I reconnected with two former clients on LinkedIn and one became a meeting.",
            "I now comment on prospects' posts before calling; the first call is warmer.",
        ),
        (
            "Our buyers are not on social media much; cold calls still work better for me.",
            "I had no time for it next to quota; it fell off after two weeks.",
            "Compliance rules on what we may post made it hard to use.",
            "I tried it for a month, saw no meetings from it, and stopped.",
        ),
        (
            "Interesting, but I am not sure it fits enterprise buyers.",
            "The profile workshop was useful; the rest felt generic.",
            "Too much theory, not enough examples from our market.",
        ),
    ),
    "operational": (
        (
            "I moved my team's test environment to the new platform using the lab scripts.",
            "I can now read our cloud bill and spotted two idle clusters.",
        ),
        (
            "Our services are not migrated yet, so there was nothing to apply it to.",
            "The labs did not match our network setup.",
        ),
        (
            "The hands-on labs were the best part.",
            "Good pace; the networking module needs more examples.",
            "I would like a follow-up on security in the cloud.",
        ),
    ),
}


# Each program's knowledge check (the right options first here; the demo shuffles nothing, the page
# shows them in this order). Learners pick options and Tandem scores the check.
_KNOWLEDGE: dict[str, tuple[KnowledgeQuestionIn, ...]] = {
    "staggered": tuple(
        KnowledgeQuestionIn(text, choices, correct)
        for text, choices, correct in (
            (
                "What do you check before answering a ticket?",
                ("The customer's history", "The weather", "Nothing"),
                (0,),
            ),
            (
                "A call-back you cannot keep should be…",
                ("Promised anyway", "Replaced by a named expert's booking", "Ignored"),
                (1,),
            ),
            (
                "Which close a ticket on the first reply? (tick every right one)",
                ("A tested fix", "A link to the FAQ only", "A clear next step the customer agreed"),
                (0, 2),
            ),
            (
                "The troubleshooting tree starts with…",
                ("The symptom", "The product price", "The ticket number"),
                (0,),
            ),
            ("When do you escalate?", ("At once", "When the tree ends without a fix", "Never"), (1,)),
            (
                "A repeat contact means…",
                ("The first answer did not solve it", "A loyal customer", "A system error"),
                (0,),
            ),
            (
                "Module 2's call structure ends with…",
                ("A summary and agreed next step", "A discount", "Hold music"),
                (0,),
            ),
            (
                "What goes in the shared notes page?",
                ("Fixes that worked", "Personal opinions", "Customers' passwords"),
                (0,),
            ),
            (
                "Good first-reply habits (tick every right one)",
                ("Restate the problem", "Ask for the account number twice", "Say what happens next"),
                (0, 2),
            ),
            ("Who owns a ticket after a transfer?", ("Nobody", "The named receiver", "The customer"), (1,)),
        )
    ),
    "operational": tuple(
        KnowledgeQuestionIn(text, choices, correct)
        for text, choices, correct in (
            (
                "What is an availability zone?",
                ("An isolated data centre within a region", "A billing plan", "A VPN"),
                (0,),
            ),
            (
                "Which are ways to cut an idle cluster's cost? (tick every right one)",
                ("Scale it to zero", "Add nodes", "Delete it when unused"),
                (0, 2),
            ),
            (
                "Infrastructure as code means…",
                ("Servers described in versioned files", "Code running on bare metal", "A cloud vendor"),
                (0,),
            ),
            (
                "A security group controls…",
                ("Network traffic to resources", "Staff holidays", "Disk size"),
                (0,),
            ),
            ("Object storage suits…", ("Files and backups", "A relational join", "CPU caching"), (0,)),
            ("Autoscaling reacts to…", ("Load metrics", "The calendar only", "Ticket counts"), (0,)),
            (
                "Least privilege means…",
                ("Only the rights a task needs", "Admin for everyone", "No passwords"),
                (0,),
            ),
            ("A region is…", ("A geographic area with several zones", "A team", "A price list"), (0,)),
            (
                "Which lower a cloud bill? (tick every right one)",
                ("Reserved capacity", "Unused volumes", "Right-sizing"),
                (0, 2),
            ),
            ("Where do secrets belong?", ("In a secrets manager", "In the repository", "In a chat"), (0,)),
        )
    ),
}


def _knowledge_answers(profile_key: str, kind: str, rng: random.Random) -> dict[str, Any]:
    """A learner's picks: each question right with the program's chance before or after (Tandem scores)."""
    profile = _PROFILES[profile_key]
    chance = _clamp(rng.gauss(profile["pre" if kind == KIND_KNOWLEDGE_PRE else "post"], 12), 0, 100) / 100
    answers: dict[str, Any] = {}
    for position, question in enumerate(_KNOWLEDGE[profile_key], start=1):
        if rng.random() < chance:
            picked = list(question.correct)
        else:
            wrong = [i for i in range(len(question.choices)) if i not in question.correct]
            picked = [rng.choice(wrong)]
        answers[f"q{position}"] = [str(i) for i in picked] if len(question.correct) > 1 else str(picked[0])
    return answers


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _answers(kind: str, profile_key: str, rng: random.Random) -> dict[str, Any]:
    profile = _PROFILES[profile_key]
    high, low, comments = _TEXTS[profile_key]
    if kind == KIND_REACTION:
        satisfaction = round(_clamp(rng.gauss(profile["satisfaction"], 0.7), 1, 5))
        answers: dict[str, Any] = {
            "satisfaction": satisfaction,
            "relevance": round(_clamp(rng.gauss(profile["satisfaction"] - 0.1, 0.8), 1, 5)),
            "engagement": round(_clamp(rng.gauss(profile["satisfaction"] - 0.2, 0.8), 1, 5)),
            "nps": round(_clamp(rng.gauss(profile["nps"], 1.6), 0, 10)),
            "confidence": round(_clamp(rng.gauss(profile["satisfaction"] - 0.3, 0.8), 1, 5)),
            "commitment": round(_clamp(rng.gauss(profile["satisfaction"] - 0.1, 0.8), 1, 5)),
        }
        if rng.random() < 0.35:
            answers["comment"] = rng.choice(comments)
        return answers
    if kind in (KIND_KNOWLEDGE_PRE, KIND_KNOWLEDGE_POST):
        return _knowledge_answers(profile_key, kind, rng)
    applied = round(_clamp(rng.gauss(profile["applied"], 20), 0, 100))
    answers = {"applied_pct": applied}
    if kind == KIND_BEHAVIOUR_MANAGER:
        answers["observed_change"] = round(
            _clamp(rng.gauss(profile["observed"] + (applied - 50) / 40, 0.6), 1, 5)
        )
    if rng.random() < 0.6:
        answers["what_changed"] = rng.choice(high if applied >= 50 else low)
    return answers


def _survey_program(ctx: DemoContext, code: str, profile_key: str, now: dt.datetime) -> dict[str, int]:
    rng = ctx.rng(f"feedback:{code}")
    detail = program_get(scope=PersonScope.all(), code=code)
    counts = {"surveys": 0, "invitations": 0, "responses": 0}
    if profile_key in _KNOWLEDGE:
        knowledge_questions_set(
            actor_id=None, program_id=detail.summary.id, questions=_KNOWLEDGE[profile_key]
        )
    for cohort in detail.cohorts:
        for kind in _KINDS[profile_key]:
            created = survey_create(
                actor_id=None,
                program_id=detail.summary.id,
                cohort_id=cohort.id,
                kind=kind,
                now=now,
                anonymous=kind == KIND_REACTION and profile_key == "staggered",
            )
            counts["surveys"] += 1
            counts["invitations"] += created.invitations
            rows = []
            for invitation in survey_invitations_list(survey_id=created.survey_id):
                # Only what was due at least two days ago has had its chance to be answered.
                if invitation.due_at > now - dt.timedelta(days=2) or rng.random() > _RESPONSE_RATE[kind]:
                    continue
                latest = min(now, invitation.due_at + dt.timedelta(days=6))
                span = max(0, int((latest - invitation.due_at).total_seconds()))
                rows.append(
                    ImportedResponse(
                        learner_id=invitation.learner_id,
                        answers=_answers(kind, profile_key, rng),
                        responded_at=invitation.due_at
                        + dt.timedelta(seconds=rng.randint(600, max(600, span))),
                    )
                )
            if rows:
                result = survey_responses_import(survey_id=created.survey_id, rows=rows, now=now)
                if result.errors:
                    raise RuntimeError(f"demo survey answers refused: {result.errors[:3]}")
                counts["responses"] += result.recorded
    return counts


def answer_surveys(ctx: DemoContext, tick: Tick) -> dict[str, Any]:
    now = min(timezone.now(), dt.datetime.combine(ctx.today, dt.time(12), tzinfo=dt.UTC))
    staggered, pilot, operational = programs_more.program_codes()
    totals: dict[str, Any] = {}
    for code, profile_key in ((staggered, "staggered"), (pilot, "pilot"), (operational, "operational")):
        for key, value in _survey_program(ctx, code, profile_key, now).items():
            totals[key] = totals.get(key, 0) + value
        case_study_draft(program_id=program_get(scope=PersonScope.all(), code=code).summary.id, actor_id=None)
        tick(1)
    # L&D's proposal: the staggered program for the retail support desk, valued on its measured effect.
    source = program_get(scope=PersonScope.all(), code=staggered)
    metric = source.primary_metric
    if metric is not None and metric.value_per_unit is not None:
        business_case_create(
            actor_id=None,
            case=BusinessCaseInput(
                name="Resolve first time for the retail support desk",
                description="Take the customer-service program to the 60 agents of the retail desk next quarter.",
                audience_size=60,
                metric_code=metric.metric_code,
                value_per_unit=metric.value_per_unit,
                comparable_codes=(staggered,),
                cost_items=(
                    ("Vendor licences (60 seats)", Decimal("9000")),
                    ("Facilitation: 40 L&D hours × 85", Decimal("3400")),
                    ("Participant time: 60 × 6 h × 32", Decimal("11520")),
                ),
            ),
        )
        totals["business_cases"] = 1
    tick(1)
    return {"case_studies": 3, **totals}


register_step(
    Step("feedback", "Survey answers, case studies and a business case", answer_surveys, lambda ctx: 4),
    after="learning",
)
