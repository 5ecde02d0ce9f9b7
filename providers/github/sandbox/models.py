"""The emulated GitHub's own state: who follows whom, and each person's rate-limit window."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class SandboxFollow(models.Model):
    """``person`` follows ``followed`` on the emulated GitHub (one direction, as on GitHub)."""

    person = models.ForeignKey("sandbox.SandboxPerson", on_delete=models.CASCADE, related_name="+")
    followed = models.ForeignKey("sandbox.SandboxPerson", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "sandbox GitHub follow"
        constraints = [
            # Also the index behind "whom x follows, in order" (page paging).
            models.UniqueConstraint(fields=["person", "followed"], name="sandbox_github_follow_unique"),
            models.CheckConstraint(
                condition=~models.Q(person=models.F("followed")), name="sandbox_github_follow_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"follow {self.person_id} -> {self.followed_id}"


class SandboxRateWindow(models.Model):
    """One person's primary rate limit window: ``used`` requests until ``resets_at``.

    GitHub counts per user across every app and token; a 304 is not counted.
    """

    person = models.OneToOneField("sandbox.SandboxPerson", on_delete=models.CASCADE, related_name="+")
    resets_at = models.DateTimeField()
    used = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "sandbox GitHub rate window"

    def __str__(self) -> str:
        return f"rate window of {self.person_id}: {self.used} used"
