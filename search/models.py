"""Search profiles: how the ranked lists are fused, stored and versioned so that a curator
can see, activate and roll back what tuning produced."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from search.fuse import FusionMethod, FusionProfile


def validate_weights(value: object) -> None:
    if not isinstance(value, dict) or not all(
        isinstance(key, str)
        and isinstance(weight, int | float)
        and not isinstance(weight, bool)
        and 0 <= weight <= 100
        for key, weight in value.items()
    ):
        raise ValidationError(
            'Weights are an object of list names to numbers from 0 to 100, e.g. {"lexical": 0.5}.'
        )


class SearchProfile(models.Model):
    """One version of a named profile. Versions are never edited in place: a change is a new
    version (the admin saves it so), and exactly one version of all is active at a time."""

    name = models.CharField(max_length=100, default="default")
    version = models.PositiveIntegerField()
    is_active = models.BooleanField(default=False)
    method = models.CharField(
        max_length=10,
        choices=[(m.value, m.value) for m in FusionMethod],
        default=FusionMethod.RRF.value,
    )
    weights = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_weights],
        help_text='Per list: "lexical", "trigram", or a space\'s name. Unnamed lists weigh 1.',
    )
    rrf_k = models.PositiveIntegerField(default=60)
    min_score_ratio = models.FloatField(
        null=True, blank=True, help_text="Hide results below this share of the best score."
    )
    notes = models.TextField(blank=True, help_text="How this version was made (tuning report).")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="search_profile_version"),
            models.UniqueConstraint(
                fields=["is_active"],
                condition=models.Q(is_active=True),
                name="search_profile_one_active",
            ),
            models.CheckConstraint(
                condition=models.Q(min_score_ratio__isnull=True)
                | models.Q(min_score_ratio__gte=0, min_score_ratio__lte=1),
                name="search_profile_floor_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}" + (" (active)" if self.is_active else "")

    def fusion(self) -> FusionProfile:
        return FusionProfile(
            method=FusionMethod(self.method),
            weights=dict(self.weights),
            rrf_k=self.rrf_k,
            min_score_ratio=self.min_score_ratio,
            label=f"{self.name}@v{self.version}",
        )


class FacetAttribute(models.Model):
    """An attribute key shoppers may filter by, shown as a facet with counts per value."""

    key = models.CharField(
        max_length=255, unique=True, help_text="The attribute's key, e.g. color."
    )
    label = models.CharField(
        max_length=100, blank=True, help_text="Shown to shoppers (default: the key)."
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "key"]

    def __str__(self) -> str:
        return self.label or self.key
