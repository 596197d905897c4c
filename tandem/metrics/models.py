"""Business metric definitions and their observations: the KPIs that learning must move.

Any app can record observations (impact, LRS-derived metrics, spend...) through metrics services.
"""

from django.db import models


class MetricDefinition(models.Model):
    class Direction(models.TextChoices):
        UP = "up", "Higher is better"
        DOWN = "down", "Lower is better"

    class Grain(models.TextChoices):
        PERSON = "person"
        TEAM = "team"
        ORG_UNIT = "org_unit", "Org unit"
        COMPANY = "company"

    class Frequency(models.TextChoices):
        DAILY = "daily"
        WEEKLY = "weekly"
        MONTHLY = "monthly"
        QUARTERLY = "quarterly"
        YEARLY = "yearly"

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    unit = models.CharField(max_length=40, help_text="e.g. %, tickets, EUR, minutes")
    direction = models.CharField(max_length=4, choices=Direction.choices, default=Direction.UP)
    grain = models.CharField(max_length=10, choices=Grain.choices)
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY)
    decimals = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MetricObservation(models.Model):
    """A value of a metric for one entity (a person, an org unit or the company) in one period."""

    metric = models.ForeignKey(MetricDefinition, on_delete=models.CASCADE, related_name="observations")
    period_start = models.DateField()
    person = models.ForeignKey(
        "org.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    org_unit = models.ForeignKey(
        "org.OrgUnit", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # "person:<id>", "org:<id>" or "company": one non-null key so uniqueness works on every database.
    entity_key = models.CharField(max_length=40)
    value = models.FloatField()
    source = models.CharField(max_length=60, blank=True)
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["metric", "period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "entity_key", "period_start"], name="observation_one_per_entity_period"
            )
        ]
        indexes = [
            models.Index(fields=["metric", "period_start"]),
            models.Index(fields=["org_unit", "metric", "period_start"]),
            # Value last: the program panel (tandem.impact.panel) reads 2.6 M rows from this index
            # alone, without visiting the table.
            models.Index(
                fields=["person", "metric", "period_start", "value"], name="observation_person_panel"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric_id} {self.entity_key} {self.period_start}"


class MetricSeries(models.Model):
    """One person's monthly values of a person-grain monthly metric, as one blob: derived from
    MetricObservation (only values dated on the 1st of a month) and rewritten by the metrics services in
    the same transaction as the observations. The program panel (tandem.impact.panel) reads 110,000 of
    these instead of 2.6 M observation index entries."""

    metric = models.ForeignKey(MetricDefinition, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey("org.Person", on_delete=models.CASCADE, related_name="+")
    first_month = models.DateField()
    months = models.PositiveIntegerField()
    # `months` little-endian float64 values from first_month on, NaN for a month without a value.
    values_f8 = models.BinaryField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["metric", "person"], name="series_one_per_metric_person")
        ]

    def __str__(self) -> str:
        return f"{self.metric_id} person:{self.person_id} {self.first_month} +{self.months}"
