from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models


class Role(models.TextChoices):
    LD_ADMIN = "ld_admin", "L&D admin"
    LD_TEAM = "ld_team", "L&D team member"
    STAKEHOLDER = "stakeholder", "Stakeholder"
    MANAGER = "manager", "Manager"
    LEARNER = "learner", "Learner"
    IT_REVIEWER = "it_reviewer", "IT reviewer"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A log-in. Signs in with the email address; may be linked to a person in the HR data."""

    username = None  # type: ignore[assignment]
    email = models.EmailField(unique=True)
    person = models.OneToOneField(
        "org.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="account"
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.email


class RoleGrant(models.Model):
    """One role held by a user. Stakeholder grants carry the org units they cover (and their descendants)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(max_length=16, choices=Role.choices)
    org_units = models.ManyToManyField("org.OrgUnit", blank=True, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="role_grant_once")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"


class LearningShare(models.Model):
    """A learner's consent that their managers see their individual learning records (docs/access.md).

    A row is the consent; withdrawing it deletes the row. Whether consent is asked at all is the company
    policy settings.TANDEM_MANAGER_LEARNING ("consent", "all" or "none"). Both changes are audited.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="learning_share")
    granted_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user} shares learning with managers"
