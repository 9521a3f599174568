"""Quality selectors (reads)."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet

from catalog.models import Item
from quality.models import Finding, FindingItem, FindingKind, ScanRun


def finding_list(
    *, kind: str | None = None, status: str | None = None, space_id: int | None = None
) -> QuerySet[Finding]:
    """Findings, worst first within a kind, with their items and images prefetched."""
    findings = Finding.objects.select_related("space").prefetch_related(
        Prefetch(
            "members",
            queryset=FindingItem.objects.select_related("item").prefetch_related(
                Prefetch("item__images")
            ),
        )
    )
    if kind:
        findings = findings.filter(kind=kind)
    if status:
        findings = findings.filter(status=status)
    if space_id is not None:
        findings = findings.filter(space_id=space_id)
    return findings.order_by("kind", "-score", "id")


def finding_items(finding: Finding) -> list[Item]:
    """A finding's items in their order (from the prefetch when there is one)."""
    return [member.item for member in finding.members.all()]


def open_finding_counts() -> dict[str, int]:
    """Open findings per kind, every kind present (0 when none)."""
    rows = (
        Finding.objects.filter(status=Finding.Status.OPEN)
        .values("kind")
        .annotate(count=Count("id"))
    )
    counts = {kind: 0 for kind in FindingKind.values}
    counts |= {row["kind"]: row["count"] for row in rows}
    return counts


def scan_run_latest() -> ScanRun | None:
    return ScanRun.objects.order_by("-created_at", "-id").first()
