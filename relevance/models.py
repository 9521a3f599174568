"""Judged sets: queries a person wrote, each with the items that answer it, graded 0-3.
They are what search quality is measured against (relevance.evaluation)."""

from __future__ import annotations

from pathlib import Path

from django.core.validators import MaxValueValidator
from django.db import models

from catalog.models import Item


class JudgedSet(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class QueryKind(models.TextChoices):
    """What a judged query tests, so that results can be read per kind."""

    PARAPHRASE = "paraphrase", "Paraphrase (no word of the title)"
    EXACT_TITLE = "exact_title", "Exact title"
    MISSPELLED_TITLE = "misspelled_title", "Misspelled title"
    IDENTIFIER = "identifier", "Identifier (external id, ISBN, SKU)"
    INTENT = "intent", "Category or attribute intent"
    IMAGE = "image", "Image"
    OTHER = "other", "Other"


def judged_query_image_upload_to(instance: JudgedQuery, filename: str) -> str:
    return f"relevance/queries/{filename}"


class JudgedQuery(models.Model):
    judged_set = models.ForeignKey(JudgedSet, on_delete=models.CASCADE, related_name="queries")
    text = models.CharField(max_length=1000, blank=True, default="")
    image = models.ImageField(upload_to=judged_query_image_upload_to, max_length=500, blank=True)
    filters = models.JSONField(
        default=dict,
        blank=True,
        help_text='Search filters, e.g. {"categories": ["Kitchen"], "price_max": "20"}.',
    )
    kind = models.CharField(max_length=30, choices=QueryKind.choices, default=QueryKind.OTHER)
    position = models.PositiveIntegerField(default=0, help_text="Order within the set.")

    class Meta:
        ordering = ["judged_set", "position", "id"]
        verbose_name_plural = "judged queries"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(text="") | ~models.Q(image=""),
                name="relevance_judgedquery_text_or_image",
                violation_error_message="A judged query needs text or an image.",
            ),
        ]

    def __str__(self) -> str:
        return self.text or f"image query {Path(self.image.name or '').name}"


class Judgement(models.Model):
    """How well an item answers a query: 3 the item sought, 2 and 1 other relevant items,
    0 judged and not relevant."""

    query = models.ForeignKey(JudgedQuery, on_delete=models.CASCADE, related_name="judgements")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="judgements")
    grade = models.PositiveSmallIntegerField(validators=[MaxValueValidator(3)])

    class Meta:
        ordering = ["query", "-grade", "id"]
        constraints = [
            models.UniqueConstraint(fields=["query", "item"], name="relevance_judgement_unique"),
            models.CheckConstraint(
                condition=models.Q(grade__lte=3), name="relevance_judgement_grade_0_3"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.query} -> {self.item.external_id}: {self.grade}"
