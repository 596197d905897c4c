from django.db import models


class Initiative(models.Model):
    """A strategic initiative of the company (a goal the business is working towards).

    The stored status is a decision only when it is cancelled or completed (closed early); otherwise the
    status shown follows the dates (tandem.initiatives.selectors.initiative_status).
    """

    class Status(models.TextChoices):
        PLANNED = "planned"
        ACTIVE = "active"
        COMPLETED = "completed"
        CANCELLED = "cancelled"

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        "org.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sponsor_org_unit = models.ForeignKey(
        "org.OrgUnit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    start_date = models.DateField()
    end_date = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        ordering = ["start_date", "name"]

    def __str__(self) -> str:
        return self.name


class InitiativeMetric(models.Model):
    """A business metric that shows the initiative's progress, with its baseline and target."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="metric_links")
    metric = models.ForeignKey("metrics.MetricDefinition", on_delete=models.PROTECT, related_name="+")
    # The line progress is read from: this unit's values, or the company line when empty. Explicit, not
    # inferred from the sponsor: a People department sponsoring retention is not where attrition is measured.
    org_unit = models.ForeignKey(
        "org.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    baseline = models.FloatField(null=True, blank=True)
    baseline_date = models.DateField(null=True, blank=True)
    target = models.FloatField(null=True, blank=True)
    target_date = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["initiative", "metric"], name="initiative_metric_once")
        ]

    def __str__(self) -> str:
        return f"{self.initiative_id}:{self.metric_id}"
