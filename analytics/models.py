"""Search analytics: what shoppers searched for and what they did with the results.

No IP address and no user agent is stored; a log row carries at most the session key the
client chose to send (X-Search-Session) or the Django session's key. Rows older than
SEARCHAPP_ANALYTICS_RETENTION_DAYS are purged daily (analytics.purge)."""

from __future__ import annotations

import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

MAX_QUERY_CHARS = 1000


class SearchLog(models.Model):
    class Source(models.TextChoices):
        API = "api", "API"
        UI = "ui", "Search page"

    # Made by the web process before the row is written (by a worker), so the search
    # response can carry it and clicks can refer to it.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    query = models.CharField(max_length=MAX_QUERY_CHARS, blank=True, help_text="normalised text")
    mode = models.CharField(max_length=16, help_text="the mode that answered")
    filters = models.JSONField(default=dict, blank=True)
    result_count = models.PositiveIntegerField()
    top_item_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    latency_ms = models.FloatField()
    page = models.PositiveIntegerField(default=1)
    session_key = models.CharField(max_length=64, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["created_at"], name="analytics_log_created"),
            # Suggestions: popular queries that found results, by prefix (LIKE 'x%').
            models.Index(
                fields=["query"],
                name="analytics_log_query_prefix",
                opclasses=["varchar_pattern_ops"],
                condition=Q(result_count__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return self.query or "(no text)"


class SearchEvent(models.Model):
    """A click on a result, or a conversion (add to cart, purchase) that followed a search."""

    class Kind(models.TextChoices):
        CLICK = "click"
        ADD_TO_CART = "add_to_cart"
        PURCHASE = "purchase"

    search = models.ForeignKey(SearchLog, on_delete=models.CASCADE, related_name="events")
    item = models.ForeignKey("catalog.Item", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField(help_text="1-based, across pages")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.CLICK)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.position}"
