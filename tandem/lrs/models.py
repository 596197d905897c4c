"""Learning Record Store storage: client credentials and xAPI statements.

A statement is kept exactly as stored (`exact`, JSONB on PostgreSQL) plus the few columns the
query parameters filter on, so every query is answered from indexed columns, never by reading JSON.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class LrsScope(models.TextChoices):
    STATEMENTS_WRITE = "statements/write"
    STATEMENTS_READ = "statements/read"
    STATEMENTS_READ_MINE = "statements/read/mine"
    STATE = "state"
    DEFINE = "define"
    PROFILE = "profile"
    ALL_READ = "all/read"
    ALL = "all"


class LrsClient(models.Model):
    """A machine credential for the xAPI endpoints (HTTP Basic: key as user name, secret as password)."""

    name = models.CharField(max_length=200)
    key = models.CharField(max_length=64, unique=True)
    secret_hash = models.CharField(max_length=256)
    scopes = models.JSONField(default=list)
    # The Agent the LRS writes as `authority` on every statement this client stores.
    authority = models.JSONField()
    authority_ifi = models.CharField(max_length=512, db_index=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "key"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"


class StatementCounter(models.Model):
    """One row holding the last `seq` handed out.

    Writers lock it for the length of their transaction, so statements are written one batch at a
    time: `seq` then follows commit order and `stored` never goes backwards, which is what makes paging
    by seq stable and X-Experience-API-Consistent-Through truthful.
    """

    last = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"last seq {self.last}"


class Statement(models.Model):
    id = models.UUIDField(primary_key=True)
    # Ordering and paging key (see StatementCounter); unique, so it is also an index.
    seq = models.BigIntegerField(unique=True)
    # The statement as stored: as received plus id, stored, authority and version set by the LRS.
    exact = models.JSONField()
    stored = models.DateTimeField(db_index=True)
    timestamp = models.DateTimeField()
    version = models.CharField(max_length=20)
    # No index of its own: (actor_ifi, seq) below serves every actor_ifi lookup, and each index on a
    # statement column is a random B-tree insert per write.
    actor_ifi = models.CharField(max_length=512)
    verb_id = models.CharField(max_length=2048)
    object_activity_id = models.CharField(max_length=2048, null=True, blank=True)
    object_statement_ref = models.UUIDField(null=True, blank=True, db_index=True)
    registration = models.UUIDField(null=True, blank=True)
    voided = models.BooleanField(default=False)
    authority_ifi = models.CharField(max_length=512)
    client = models.ForeignKey(LrsClient, on_delete=models.PROTECT, related_name="statements")
    person = models.ForeignKey(
        "org.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        # Composite indexes end in seq because every list query orders and pages by seq.
        indexes = [
            models.Index(fields=["verb_id", "seq"], name="lrs_stmt_verb_seq"),
            models.Index(fields=["actor_ifi", "seq"], name="lrs_stmt_actor_seq"),
            models.Index(fields=["object_activity_id", "seq"], name="lrs_stmt_activity_seq"),
            models.Index(fields=["registration", "seq"], name="lrs_stmt_registration_seq"),
            models.Index(fields=["authority_ifi", "seq"], name="lrs_stmt_authority_seq"),
            # Statements whose object is a StatementRef (few): the "targeting statements match too" branch.
            models.Index(
                fields=["seq"], condition=Q(object_statement_ref__isnull=False), name="lrs_stmt_targeting_seq"
            ),
        ]

    def __str__(self) -> str:
        return str(self.id)


class StatementRelation(models.Model):
    """Every agent and activity a statement mentions, for the agent/activity and related_* filters."""

    class Kind(models.TextChoices):
        ACTIVITY = "activity"
        AGENT = "agent"

    class Relation(models.TextChoices):
        ACTOR = "actor"  # the actor, or a member of the actor group
        OBJECT = "object"
        CONTEXT = "context"  # context activities, instructor, team
        AUTHORITY = "authority"
        SUBSTATEMENT = "substatement"

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="relations")
    # The statement's seq, copied: the agent and related_activities queries walk (kind, value, seq) in
    # order and stop at the page size, instead of sorting every statement of the agent.
    seq = models.BigIntegerField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    value = models.CharField(max_length=2048)
    relation = models.CharField(max_length=12, choices=Relation.choices)

    class Meta:
        # relation and statement trail so the relation filter and the join need no table read (SQLite).
        indexes = [
            models.Index(fields=["kind", "value", "seq", "relation", "statement"], name="lrs_rel_value_seq")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.value} ({self.relation})"


class Document(models.Model):
    """A State, Activity Profile or Agent Profile document (xAPI Communication 2.3–2.5)."""

    class Kind(models.TextChoices):
        STATE = "state"
        ACTIVITY_PROFILE = "activity_profile"
        AGENT_PROFILE = "agent_profile"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    # Empty string rather than NULL where a key part does not apply, so the unique constraint holds everywhere.
    activity_id = models.CharField(max_length=2048, blank=True, default="")
    agent_ifi = models.CharField(max_length=512, blank=True, default="")
    agent = models.JSONField(null=True, blank=True, help_text="The agent as sent (state, agent profile).")
    registration = models.CharField(max_length=36, blank=True, default="")
    document_id = models.CharField(max_length=2048, help_text="stateId or profileId")
    content = models.BinaryField()
    content_type = models.CharField(max_length=255)
    etag = models.CharField(max_length=64, help_text="SHA-1 of the content, as the spec's ETag")
    updated = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "activity_id", "agent_ifi", "registration", "document_id"],
                name="lrs_document_key",
            )
        ]
        indexes = [models.Index(fields=["kind", "activity_id", "agent_ifi", "registration", "updated"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.document_id}"


class ActivityDefinition(models.Model):
    """The canonical definition of an activity, merged from the statements that mention it."""

    activity_id = models.CharField(max_length=2048, unique=True)
    definition = models.JSONField(default=dict)
    updated = models.DateTimeField()
    # Seam for the catalog (a later issue): the catalog item this activity IRI belongs to.
    catalog_item_key = models.CharField(max_length=200, blank=True, default="")

    def __str__(self) -> str:
        return self.activity_id


class Attachment(models.Model):
    """Attachment content received with statements (multipart/mixed), stored once per SHA-2 hash."""

    sha2 = models.CharField(max_length=128, unique=True)
    content_type = models.CharField(max_length=255)
    length = models.BigIntegerField()
    content = models.BinaryField()
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.sha2


class ActorAccountMapping(models.Model):
    """How `account` actors from one system (homePage) map to people: by employee id or by work email."""

    class MatchBy(models.TextChoices):
        EMPLOYEE_ID = "employee_id", "Account name is the employee id"
        WORK_EMAIL = "work_email", "Account name is the work email"

    home_page = models.CharField(max_length=2048, unique=True)
    source_name = models.CharField(max_length=200)
    match_by = models.CharField(max_length=16, choices=MatchBy.choices)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.source_name} ({self.home_page})"


class LearningRecord(models.Model):
    """What one actor did with one activity, kept up to date incrementally as statements arrive."""

    actor_ifi = models.CharField(max_length=512)
    activity_id = models.CharField(max_length=2048)
    person = models.ForeignKey(
        "org.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_attempt = models.DateTimeField()
    last_attempt = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    statements = models.PositiveIntegerField(default=0)
    completed = models.BooleanField(default=False)
    completed_at = models.DateTimeField(null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)  # None: no pass/fail seen; else the latest verdict
    # The timestamp of that verdict: lets a batch merge an older verdict without re-reading the pair's
    # statements (None on records written before it existed, which fall back to that re-read).
    passed_at = models.DateTimeField(null=True, blank=True)
    best_score_scaled = models.FloatField(null=True, blank=True)
    best_score_raw = models.FloatField(null=True, blank=True)
    total_seconds = models.FloatField(default=0.0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["actor_ifi", "activity_id"], name="lrs_learning_record_key")
        ]
        indexes = [
            models.Index(fields=["person", "activity_id"]),
            models.Index(fields=["activity_id", "completed"]),
        ]

    def __str__(self) -> str:
        return f"{self.actor_ifi} · {self.activity_id}"
