"""People and organisation over time.

Current values (a person's org unit, role, manager) are kept on Person for fast directory queries;
the history lives in Assignment rows, effective-dated [valid_from, valid_to). Services keep both in step.
"""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower


class OrgUnit(models.Model):
    class Kind(models.TextChoices):
        COMPANY = "company"
        DIVISION = "division"
        DEPARTMENT = "department"
        TEAM = "team"

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    cost_centre = models.CharField(max_length=40, blank=True)
    # Materialised path of ids ("/1/4/9/") so "this unit and everything below it" is one indexed LIKE.
    path = models.CharField(max_length=400, db_index=True, editable=False, default="/")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True, help_text="Day the unit closed (exclusive).")

    class Meta:
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name


class OrgUnitVersion(models.Model):
    """What an org unit looked like from valid_from (inclusive) to valid_to (exclusive)."""

    org_unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="versions")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    cost_centre = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["org_unit", "valid_from"]
        indexes = [models.Index(fields=["org_unit", "valid_from"])]

    def __str__(self) -> str:
        return f"{self.name} from {self.valid_from}"


class JobFamily(models.Model):
    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "job families"

    def __str__(self) -> str:
        return self.name


class JobRole(models.Model):
    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    family = models.ForeignKey(JobFamily, on_delete=models.PROTECT, related_name="roles")
    level = models.PositiveSmallIntegerField(default=1, help_text="1 = entry level; higher is more senior.")
    is_people_manager = models.BooleanField(default=False)

    class Meta:
        ordering = ["family__name", "level", "name"]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    class EmploymentType(models.TextChoices):
        FULL_TIME = "full_time", "Full time"
        PART_TIME = "part_time", "Part time"
        CONTRACTOR = "contractor", "Contractor"
        TEMPORARY = "temporary", "Temporary"
        INTERN = "intern", "Intern"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ON_LEAVE = "on_leave", "On leave"
        TERMINATED = "terminated", "Terminated"

    employee_id = models.CharField(max_length=40, unique=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    work_email = models.EmailField(max_length=254, db_index=True)
    job_title = models.CharField(max_length=200, blank=True)
    job_role = models.ForeignKey(JobRole, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    org_unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    location = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    employment_type = models.CharField(
        max_length=16, choices=EmploymentType.choices, default=EmploymentType.FULL_TIME
    )
    hire_date = models.DateField()
    termination_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name", "employee_id"]
        indexes = [
            models.Index(fields=["org_unit", "status"]),
            models.Index(fields=["last_name", "first_name"]),
            models.Index(fields=["location"]),
            # xAPI actors are matched to people by lower-cased work email on every stored batch.
            models.Index(Lower("work_email"), name="org_person_email_lower"),
        ]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Assignment(models.Model):
    """Where a person sat (org unit, role, manager, title) from valid_from to valid_to (exclusive)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="assignments")
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="assignments")
    job_role = models.ForeignKey(JobRole, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    manager = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    job_title = models.CharField(max_length=200, blank=True)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["person", "valid_from"]
        indexes = [
            models.Index(fields=["person", "valid_from"]),
            models.Index(fields=["org_unit", "valid_from", "valid_to"]),
            models.Index(fields=["manager", "valid_from"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="assignment_period_positive",
            ),
            models.UniqueConstraint(fields=["person", "valid_from"], name="assignment_one_start_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.org_unit_id} from {self.valid_from}"
