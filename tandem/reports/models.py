"""Stakeholder reports: case studies and business cases (drafts people edit, then export).

Writes go through tandem.reports.services (audited); reads through tandem.reports.selectors.
"""

from django.conf import settings
from django.db import models


class CaseStudy(models.Model):
    """A Success Case Method write-up of one program: drafted from the data, then edited by L&D.

    Quotes are lists of {"text": ..., "who_label": ...}; who_label never holds a name (the case study is
    read by stakeholders who may not see individual records).
    """

    class Status(models.TextChoices):
        DRAFT = "draft"
        FINAL = "final"

    program = models.OneToOneField("impact.Program", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200)
    what_happened = models.TextField(blank=True)
    impact = models.TextField(blank=True)
    success_quotes = models.JSONField(default=list, blank=True)
    non_success_quotes = models.JSONField(default=list, blank=True)
    differently = models.TextField(blank=True)
    alternative_scenario = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    # Section names a person has edited since the last draft: redrafting leaves them alone.
    edited_sections = models.JSONField(default=list, blank=True)
    drafted_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "case studies"

    def __str__(self) -> str:
        return self.title


class BusinessCase(models.Model):
    """A proposed program valued from the measured effects of comparable past programs.

    The estimates behind it are slow to compute, so the service stores them (and the ROI range) in
    `snapshot` when the case is saved; pages read the snapshot.
    """

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    audience_size = models.PositiveIntegerField(help_text="People the proposed program would reach.")
    cost_items = models.JSONField(default=list, blank=True)  # [{"name": str, "amount": "123.00"}]
    cost_total = models.DecimalField(max_digits=14, decimal_places=2)
    target_metric = models.ForeignKey("metrics.MetricDefinition", on_delete=models.PROTECT, related_name="+")
    value_per_unit = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        help_text="Money value of one unit of the metric per person and month.",
    )
    benefit_months = models.PositiveSmallIntegerField(
        default=12, help_text="Months of benefit counted (12: first year only, as in the Phillips method)."
    )
    comparables = models.ManyToManyField("impact.Program", blank=True, related_name="+")
    snapshot = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "name"]

    def __str__(self) -> str:
        return self.name
