"""{% quality_open_counts %}: open findings per kind, for the admin index."""

from __future__ import annotations

from django import template

from quality.models import FindingKind
from quality.selectors import open_finding_counts

register = template.Library()


@register.simple_tag
def quality_open_counts() -> list[tuple[str, str, int]]:
    counts = open_finding_counts()
    return [(kind, label, counts[kind]) for kind, label in FindingKind.choices]
