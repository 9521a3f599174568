"""Quality findings about catalog items, found in their stored vectors, and the scans that
found them."""

from __future__ import annotations

from django.db import models

from catalog.models import Item
from embeddings.models import EmbeddingSpace


class FindingKind(models.TextChoices):
    DUPLICATE = "duplicate", "near-duplicate text"
    DUPLICATE_IMAGE = "duplicate_image", "near-duplicate images"
    SAME_IMAGE = "same_image", "same image file"
    MISMATCH = "mismatch", "image-text mismatch"
    MISCATEGORISED = "miscategorised", "miscategorised"
    OUTLIER = "outlier", "outlier"


class Finding(models.Model):
    """Something a curator should look at: a group of items (duplicates) or one item.

    ``key`` names what was found (the kind's items, sorted) so that a later scan finds the
    same row again; ``content_sha256`` is the items' content when it was found, so that a
    dismissed finding stays dismissed until one of its items changes."""

    class Status(models.TextChoices):
        OPEN = "open", "open"
        DISMISSED = "dismissed", "dismissed"
        FIXED = "fixed", "fixed"

    kind = models.CharField(max_length=30, choices=FindingKind.choices)
    space = models.ForeignKey(
        EmbeddingSpace, on_delete=models.CASCADE, null=True, blank=True, related_name="findings"
    )
    key = models.CharField(max_length=255)
    items = models.ManyToManyField(Item, through="FindingItem", related_name="quality_findings")
    score = models.FloatField(help_text="How sure the scan is: higher is worse.")
    detail = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    content_sha256 = models.CharField(max_length=64)
    detected_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "-score", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "space", "key"],
                name="quality_finding_one_per_key",
                nulls_distinct=False,
            ),
        ]
        indexes = [models.Index(fields=["kind", "status", "-score"], name="quality_kind_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key}"


class FindingItem(models.Model):
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="members")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["finding", "item"], name="quality_member_once"),
        ]

    def __str__(self) -> str:
        return f"{self.finding_id}: {self.item_id}"


class ScanRun(models.Model):
    """One scan (full or incremental), with its progress while it runs."""

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        DONE = "done", "done"
        FAILED = "failed", "failed"

    incremental = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    step = models.CharField(max_length=200, blank=True, default="")
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"scan {self.pk} ({self.status})"

    @property
    def percent(self) -> float:
        return 100.0 * self.done / self.total if self.total else 0.0
