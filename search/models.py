"""Search profiles: how the ranked lists are fused, stored and versioned so that a curator
can see, activate and roll back what tuning produced."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

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


class SynonymGroup(models.Model):
    """Words a shopper may use for one another. Two-way: every term stands for every other
    ("sofa, couch, settee"). One-way: ``source`` also finds ``terms`` ("tee" -> "t-shirt"),
    not the other way round. Applied at query time: no re-index."""

    class Kind(models.TextChoices):
        TWO_WAY = "two_way", "two-way (all equivalent)"
        ONE_WAY = "one_way", "one-way (source -> terms)"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TWO_WAY)
    terms = models.JSONField(
        default=list, help_text="Two-way: the equivalent terms. One-way: the replacements."
    )
    source = models.CharField(
        max_length=200, blank=True, help_text="One-way only: the term that expands."
    )
    expand_semantic = models.BooleanField(
        default=False, help_text="Also add the terms to the text that semantic search embeds."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        terms = ", ".join(self.terms) if isinstance(self.terms, list) else str(self.terms)
        return f"{self.source} => {terms}" if self.kind == self.Kind.ONE_WAY else terms

    def clean(self) -> None:
        from search.curation import synonym_group_problems

        problems = synonym_group_problems(self)
        if problems:
            raise ValidationError(problems)


class QueryRule(models.Model):
    """A condition on the shopper's query and what to do when it holds: pin, hide, boost or
    bury items, apply a filter, replace the query. Rules run in ``position`` order."""

    class Match(models.TextChoices):
        EQUALS = "equals", "the query equals"
        CONTAINS = "contains", "the query contains every word of"
        PHRASE = "phrase", "the query contains the phrase"

    name = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0, help_text="Rules run lowest first.")
    is_active = models.BooleanField(default=True)
    match = models.CharField(max_length=10, choices=Match.choices, default=Match.EQUALS)
    condition = models.CharField(
        max_length=500, help_text="Compared with the normalised query (lower case, no punctuation)."
    )
    categories = models.JSONField(
        default=list, blank=True, help_text="Only when the search filters by one of these."
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    pins = models.JSONField(
        default=list, blank=True, help_text='e.g. [{"item": "sku-1", "position": 1}]'
    )
    hide = models.JSONField(default=list, blank=True, help_text='External ids, e.g. ["sku-2"]')
    boosts = models.JSONField(
        default=list,
        blank=True,
        help_text='e.g. [{"category": "Lamps", "factor": 2}, {"item": "sku-3", "factor": 0.5}, '
        '{"attribute": {"color": "red"}, "factor": 1.5}] (above 1 boosts, below 1 buries)',
    )
    filters = models.JSONField(
        default=dict,
        blank=True,
        help_text='As the search API\'s filters, e.g. {"category": ["Lamps"], "price_max": 50}',
    )
    replace_query = models.CharField(
        max_length=500, blank=True, help_text="Search for this text instead."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from search.curation import query_rule_problems

        problems = query_rule_problems(self)
        if problems:
            raise ValidationError(problems)


@receiver([post_save, post_delete], sender=SynonymGroup)
@receiver([post_save, post_delete], sender=QueryRule)
def _curation_changed(**kwargs: Any) -> None:
    """This process searches with the change at once; others see it by the version check."""
    from search.rewrite import curation_cache

    curation_cache.clear()
