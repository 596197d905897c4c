"""Learning programs and how their impact is measured: who took part, who they are compared with,
what the pilot must show, and what it cost.

Writes go through tandem.impact.services (audited); reads through tandem.impact.selectors.
"""

from decimal import Decimal

from django.db import models
from django.db.models import Q


class Program(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft"
        PILOT = "pilot"
        RUNNING = "running"
        COMPLETED = "completed"
        STOPPED = "stopped"

    class DeliveryMode(models.TextChoices):
        ELEARNING = "elearning", "E-learning"
        CLASSROOM = "classroom"
        VIRTUAL = "virtual", "Virtual classroom"
        COACHING = "coaching"
        ON_THE_JOB = "on_the_job", "On the job"
        SOCIAL = "social", "Social / peer learning"
        BLENDED = "blended"

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        "org.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The business leader who asked for the program and answers for its result (a stakeholder).
    sponsor = models.ForeignKey(
        "org.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    initiative = models.ForeignKey(
        "initiatives.Initiative", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Seam for the intake app (later round): the id of the learning request this program answers.
    request_ref = models.CharField(max_length=60, blank=True, db_index=True)
    audience = models.TextField(blank=True, help_text="Who the program is for, in words.")
    delivery_modes = models.JSONField(default=list, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True)
    is_pilot = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start_date", "name"]

    def __str__(self) -> str:
        return self.name


class ProgramMetric(models.Model):
    """A business metric the program is meant to move, with its baseline, goal and money value."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="metric_links")
    metric = models.ForeignKey("metrics.MetricDefinition", on_delete=models.PROTECT, related_name="+")
    baseline = models.FloatField(null=True, blank=True)
    baseline_date = models.DateField(null=True, blank=True)
    goal = models.FloatField(null=True, blank=True)
    value_per_unit = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Money value of one unit of the metric per person and period (for ROI).",
    )
    is_primary = models.BooleanField(default=False)
    # Which way the program is expected to move the metric. Usually the metric's own "better" direction,
    # but not always (a program may accept a short-term dip, e.g. handling time while people learn a tool).
    expected_direction = models.CharField(
        max_length=4, choices=[("up", "Up"), ("down", "Down")], default="up"
    )

    class Meta:
        ordering = ["-is_primary", "metric__name"]
        constraints = [
            models.UniqueConstraint(fields=["program", "metric"], name="program_metric_once"),
            models.UniqueConstraint(
                fields=["program"], condition=Q(is_primary=True), name="program_one_primary_metric"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program_id}:{self.metric_id}"


class ProgramActivity(models.Model):
    """Learning content of the program: an xAPI activity IRI (the LRS key) or a catalogue key."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="activities")
    activity_iri = models.CharField(max_length=500, blank=True, db_index=True)
    catalog_key = models.CharField(max_length=120, blank=True)
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["program", "name", "id"]
        verbose_name_plural = "program activities"
        constraints = [
            models.CheckConstraint(
                condition=~Q(activity_iri="") | ~Q(catalog_key=""), name="program_activity_has_key"
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.activity_iri or self.catalog_key


class CostItem(models.Model):
    """One fully loaded cost line: a fixed amount, or hours × rate."""

    class Kind(models.TextChoices):
        LICENCE = "licence"
        VENDOR_FEE = "vendor_fee", "Vendor fee"
        LD_HOURS = "ld_hours", "L&D hours"
        PARTICIPANT_TIME = "participant_time", "Participant time"
        OTHER = "other"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="costs")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.CharField(max_length=200, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    hours = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    rate = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    # ISO 4217 code of amount (or rate). Services take settings.TANDEM_CURRENCY unless told otherwise, and
    # reports refuse to add up lines in different currencies rather than mix them.
    currency = models.CharField(max_length=3, default="EUR")

    class Meta:
        ordering = ["program", "kind", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(amount__isnull=False) & Q(hours__isnull=True) & Q(rate__isnull=True))
                | (Q(amount__isnull=True) & Q(hours__isnull=False) & Q(rate__isnull=False)),
                name="cost_item_amount_or_hours_rate",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.total}"

    @property
    def total(self) -> Decimal:
        if self.amount is not None:
            return Decimal(self.amount)
        return Decimal(self.hours or 0) * Decimal(self.rate or 0)


class Cohort(models.Model):
    """A wave of participants starting together; several waves make a staggered rollout."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="cohorts")
    name = models.CharField(max_length=120)
    start_date = models.DateField()

    class Meta:
        ordering = ["program", "start_date", "name"]
        constraints = [models.UniqueConstraint(fields=["program", "name"], name="cohort_name_per_program")]

    def __str__(self) -> str:
        return self.name


class Participant(models.Model):
    class AssignedBy(models.TextChoices):
        LIST = "list"
        RULE = "rule"
        RANDOM = "random"

    # program repeats cohort.program so "once per program" is a database constraint.
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="participants")
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="participants")
    person = models.ForeignKey("org.Person", on_delete=models.CASCADE, related_name="+")
    assigned_by = models.CharField(max_length=8, choices=AssignedBy.choices)
    joined_on = models.DateField()

    class Meta:
        ordering = ["cohort", "person"]
        constraints = [
            models.UniqueConstraint(fields=["program", "person"], name="participant_once_per_program")
        ]
        indexes = [models.Index(fields=["person", "program"])]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.cohort_id}"


class ComparisonGroup(models.Model):
    """People who did not take part, to compare with (for one cohort, or the whole program)."""

    class Method(models.TextChoices):
        EXPLICIT = "explicit"
        RANDOMISED = "randomised"
        MATCHED = "matched"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="comparison_groups")
    cohort = models.ForeignKey(
        Cohort, null=True, blank=True, on_delete=models.CASCADE, related_name="comparison_groups"
    )
    method = models.CharField(max_length=10, choices=Method.choices)
    as_of = models.DateField(help_text="Date the group was drawn for (the cohort start).")
    seed = models.BigIntegerField(null=True, blank=True)
    strata = models.JSONField(default=list, blank=True, help_text="What the draw was stratified by.")
    caliper = models.FloatField(null=True, blank=True, help_text="In SDs of the logit propensity score.")
    # Balance table: [{covariate, mean_treated/comparison before/after, smd_before, smd_after}].
    balance = models.JSONField(default=list, blank=True)
    balance_warning = models.BooleanField(default=False)
    unmatched_participants = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # A new group for the same program and cohort supersedes this one instead of deleting it, so a re-match
    # can be compared with what it replaced. Only current groups (superseded_at null) count in estimates.
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["program", "cohort", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "cohort"],
                condition=Q(superseded_at__isnull=True),
                name="comparison_group_one_current_per_cohort",
            ),
            # NULL cohorts are distinct in the constraint above, so the whole-program group has its own.
            models.UniqueConstraint(
                fields=["program"],
                condition=Q(superseded_at__isnull=True, cohort__isnull=True),
                name="comparison_group_one_current_per_program",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} group of {self.program_id}"


class ComparisonMember(models.Model):
    group = models.ForeignKey(ComparisonGroup, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey("org.Person", on_delete=models.CASCADE, related_name="+")
    matched_to = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    distance = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["group", "person"]
        constraints = [models.UniqueConstraint(fields=["group", "person"], name="comparison_member_once")]

    def __str__(self) -> str:
        return f"{self.person_id} in group {self.group_id}"


class PilotPlan(models.Model):
    """What a pilot must show, fixed before it starts. Frozen plans are immutable (services enforce)."""

    class Design(models.TextChoices):
        MEANS = "means", "Difference in means"
        DID = "did", "Difference in differences"

    program = models.OneToOneField(Program, on_delete=models.CASCADE, related_name="pilot_plan")
    metric = models.ForeignKey("metrics.MetricDefinition", on_delete=models.PROTECT, related_name="+")
    design = models.CharField(max_length=6, choices=Design.choices, default=Design.MEANS)
    minimum_detectable_effect = models.FloatField()
    outcome_sd = models.FloatField()
    correlation = models.FloatField(null=True, blank=True, help_text="Pre/post correlation (DiD design).")
    alpha = models.FloatField(default=0.05)
    power = models.FloatField(default=0.8)
    ratio = models.FloatField(default=1.0, help_text="Comparison people per participant.")
    required_per_group = models.PositiveIntegerField()
    required_comparison = models.PositiveIntegerField()
    achieved_power = models.FloatField()
    duration_weeks = models.PositiveSmallIntegerField()
    # Decision rule, in metric units with "better" positive: scale when the CI's lower bound reaches
    # scale_threshold, stop when the estimate is below stop_threshold, otherwise iterate.
    scale_threshold = models.FloatField()
    stop_threshold = models.FloatField()
    frozen_at = models.DateTimeField(null=True, blank=True)
    frozen_by_id = models.IntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Pilot plan of {self.program_id}"


class Feedback(models.Model):
    """'You said, we did': what participants told us in the pilot and what changed, shown to them."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="feedback")
    cohort = models.ForeignKey(Cohort, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    you_said = models.TextField()
    we_did = models.TextField()
    published_at = models.DateTimeField()
    published_by_id = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["program", "-published_at"]
        verbose_name_plural = "feedback"

    def __str__(self) -> str:
        return f"Feedback on {self.program_id}"
