from django.conf import settings
from django.db import models


class ImportKind(models.TextChoices):
    PEOPLE = "people", "HRIS people"
    METRIC_OBSERVATIONS = "metric_observations", "Metric observations"


class ColumnMapping(models.Model):
    """A saved custom mapping from our field names to the columns of someone's export."""

    name = models.SlugField(max_length=60)
    kind = models.CharField(max_length=32, choices=ImportKind.choices)
    columns = models.JSONField(help_text="{our field: their column header}")
    options = models.JSONField(default=dict, blank=True, help_text="e.g. {'date_format': '%d/%m/%Y'}")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "name"], name="mapping_name_per_kind")]
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class ImportRun(models.Model):
    """One uploaded file, from upload through preview to the written result."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded"
        VALIDATING = "validating"
        INVALID = "invalid", "Has errors"
        PREVIEWED = "previewed", "Ready to import"
        QUEUED = "queued"
        RUNNING = "running", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed"

    kind = models.CharField(max_length=32, choices=ImportKind.choices)
    filename = models.CharField(max_length=255)
    content = models.BinaryField(help_text="The uploaded file as received (emptied when purged).")
    size = models.PositiveBigIntegerField(default=0, help_text="Bytes uploaded.")
    mapping_name = models.CharField(max_length=60, blank=True)
    columns = models.JSONField(default=dict, blank=True)
    options = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UPLOADED)
    phase = models.CharField(max_length=60, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    row_count = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    diffs = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)
    task_result_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(
        null=True, blank=True, help_text="When the file and its row-level details were deleted (retention)."
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import {self.filename}"
