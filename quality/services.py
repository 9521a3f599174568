"""Quality services (writes): scans that store findings, and the curators' actions on them."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from catalog import services as catalog_services
from catalog.images import image_from_bytes
from catalog.models import Item
from embeddings.inputs import item_sources, sources_sha256
from embeddings.models import Embedding, EmbeddingSpace
from quality import detectors
from quality.detectors import Candidate, Thresholds
from quality.models import Finding, FindingItem, FindingKind, ScanRun


def items_content_sha256(item_ids: Sequence[int]) -> str:
    """One hash of the items' text and image bytes: a change to any of them changes it."""
    items = Item.objects.filter(pk__in=item_ids).prefetch_related("images").order_by("pk")
    digest = hashlib.sha256()
    for item in items:
        sources = item_sources(item, item.images.all(), text=True, image=True)
        digest.update(f"{item.pk}:{sources_sha256(sources)};".encode())
    return digest.hexdigest()


@dataclass
class Reconciled:
    opened: int = 0
    kept_dismissed: int = 0
    fixed: int = 0


def findings_reconcile(
    *, kind: str, space: EmbeddingSpace | None, candidates: Sequence[Candidate],
    scope_item_ids: set[int] | None, now: datetime,
) -> Reconciled:  # fmt: skip
    """Store what a scan found. A finding found again keeps its row: a dismissed one stays
    dismissed while its items' content is unchanged, and is open again once it changed. An
    open finding the scan no longer finds (within its scope) is fixed."""
    report = Reconciled()
    existing = Finding.objects.filter(kind=kind, space=space)
    if scope_item_ids is not None:
        touched = scope_item_ids | {item_id for c in candidates for item_id in c.item_ids}
        existing = existing.filter(members__item_id__in=touched).distinct()
    by_key = {finding.key: finding for finding in existing}
    with transaction.atomic():
        for candidate in candidates:
            content = items_content_sha256(candidate.item_ids)
            finding = by_key.pop(candidate.key, None)
            if finding is None:
                finding = Finding(kind=kind, space=space, key=candidate.key, detected_at=now)
                status = Finding.Status.OPEN
            elif finding.status == Finding.Status.DISMISSED and finding.content_sha256 == content:
                status = Finding.Status.DISMISSED
            else:
                status = Finding.Status.OPEN
            report.opened += status == Finding.Status.OPEN
            report.kept_dismissed += status == Finding.Status.DISMISSED
            finding.status, finding.content_sha256 = status, content
            finding.score, finding.detail = candidate.score, candidate.detail
            finding.save()
            FindingItem.objects.filter(finding=finding).delete()
            FindingItem.objects.bulk_create(
                FindingItem(finding=finding, item_id=item_id, position=position)
                for position, item_id in enumerate(candidate.item_ids)
            )
        gone = [f.pk for f in by_key.values() if f.status == Finding.Status.OPEN]
        report.fixed = Finding.objects.filter(pk__in=gone).update(
            status=Finding.Status.FIXED, updated_at=now
        )
    return report


@dataclass
class ScanReport:
    counts: dict[str, dict[str, int]] = field(default_factory=dict)


def scan_run_create(*, incremental: bool = False) -> ScanRun:
    return ScanRun.objects.create(incremental=incremental)


def _progress(run: ScanRun | None, step: str) -> detectors.Progress:
    def report(done: int, total: int) -> None:
        if run is not None:
            ScanRun.objects.filter(pk=run.pk).update(step=step, done=done, total=total)

    return report


def _store(report: ScanReport, kind: str, space: EmbeddingSpace | None,
           candidates: Sequence[Candidate], scope: set[int] | None, now: datetime) -> None:  # fmt: skip
    result = findings_reconcile(
        kind=kind, space=space, candidates=candidates, scope_item_ids=scope, now=now
    )
    name = f"{kind}@{space.name}" if space is not None else kind
    report.counts[name] = {"found": len(candidates), "fixed": result.fixed,
                           "kept_dismissed": result.kept_dismissed}  # fmt: skip


def space_scan(
    *, space: EmbeddingSpace, thresholds: Thresholds, item_ids: Sequence[int] | None = None,
    run: ScanRun | None = None, report: ScanReport | None = None,
) -> ScanReport:  # fmt: skip
    """Every kind the space can tell, for all active items or only ``item_ids``."""
    report = report or ScanReport()
    now = timezone.now()
    scope = None if item_ids is None else set(item_ids)
    if space.embeds_text:
        near = detectors.text_neighbourhood(
            space=space, neighbours=thresholds.neighbours, item_ids=item_ids,
            progress=_progress(run, f"{space.name}: text neighbours"),
        )  # fmt: skip
        pairs = near.pairs(thresholds.duplicate_similarity)
        if scope is not None:  # the groups the changed items touch, with their other links
            pairs |= _stored_pairs(
                FindingKind.DUPLICATE, space, {i for p in pairs for i in p} - scope
            )
        groups = detectors.duplicate_groups(pairs, kind=FindingKind.DUPLICATE, source="text")
        _store(report, FindingKind.DUPLICATE, space, groups, scope, now)
        found = detectors.miscategorised_items(
            space=space, thresholds=thresholds, neighbourhood=near, item_ids=item_ids
        )
        _store(report, FindingKind.MISCATEGORISED, space, found, scope, now)
        found = detectors.outlier_items(
            space=space, thresholds=thresholds, neighbourhood=near, item_ids=scope
        )
        _store(report, FindingKind.OUTLIER, space, found, scope, now)
    if space.embeds_images:
        groups = detectors.image_duplicate_groups(
            space=space, thresholds=thresholds, item_ids=item_ids,
            progress=_progress(run, f"{space.name}: image neighbours"),
        )  # fmt: skip
        _store(report, FindingKind.DUPLICATE_IMAGE, space, groups, scope, now)
    if space.embeds_text and space.embeds_images:
        found = detectors.mismatched_items(space=space, thresholds=thresholds, item_ids=item_ids)
        _store(report, FindingKind.MISMATCH, space, found, scope, now)
    return report


def _stored_pairs(
    kind: str, space: EmbeddingSpace, item_ids: set[int]
) -> dict[tuple[int, int], float]:
    pairs: dict[tuple[int, int], float] = {}
    stored = Finding.objects.filter(kind=kind, space=space, members__item_id__in=item_ids)
    for detail in stored.distinct().values_list("detail", flat=True):
        for first, second, similarity in detail.get("pairs", []):
            pairs[(first, second)] = similarity
    return pairs


def catalog_scan(
    *, run: ScanRun | None = None, spaces: Sequence[EmbeddingSpace] | None = None,
    item_ids: Sequence[int] | None = None, thresholds: Thresholds | None = None,
) -> ScanReport:  # fmt: skip
    """Scan the active spaces (or ``spaces``) and the image files; ``run`` shows progress."""
    thresholds = thresholds or Thresholds()
    if spaces is None:
        spaces = list(EmbeddingSpace.objects.filter(status=EmbeddingSpace.Status.ACTIVE))
    if run is not None:
        ScanRun.objects.filter(pk=run.pk).update(
            status=ScanRun.Status.RUNNING, started_at=timezone.now()
        )
    report = ScanReport()
    try:
        findings_of_inactive_items_fix()
        same = detectors.same_image_groups(item_ids)
        scope = None if item_ids is None else set(item_ids)
        _store(report, FindingKind.SAME_IMAGE, None, same, scope, timezone.now())
        for space in spaces:
            space_scan(
                space=space, thresholds=thresholds, item_ids=item_ids, run=run, report=report
            )
    except Exception as exc:
        if run is not None:
            ScanRun.objects.filter(pk=run.pk).update(
                status=ScanRun.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
            )
        raise
    if run is not None:
        ScanRun.objects.filter(pk=run.pk).update(
            status=ScanRun.Status.DONE,
            counts=report.counts,
            finished_at=timezone.now(),
            step="done",
        )
    return report


def catalog_scan_incremental() -> ScanReport | None:
    """Scan only the items embedded or changed since the last finished scan began (a
    full scan when there was none); None, and no run recorded, when nothing changed."""
    last = ScanRun.objects.filter(status=ScanRun.Status.DONE, started_at__isnull=False)
    since = last.order_by("-started_at").values_list("started_at", flat=True).first()
    if since is None:
        return catalog_scan(run=scan_run_create(incremental=True))
    changed = set(
        Embedding.objects.filter(embedded_at__gte=since).values_list("item_id", flat=True)
    )
    changed |= set(Item.objects.filter(updated_at__gte=since).values_list("pk", flat=True))
    if not changed:
        return None
    return catalog_scan(run=scan_run_create(incremental=True), item_ids=sorted(changed))


def scan_request() -> ScanRun:
    """A full scan in the background (a Celery task), its progress in the returned run."""
    from quality.tasks import scan

    run = scan_run_create()
    transaction.on_commit(partial(scan.delay, run.pk))
    return run


# --- curators' actions ------------------------------------------------------------------------


def findings_dismiss(*, findings: Sequence[Finding]) -> int:
    return Finding.objects.filter(pk__in=[f.pk for f in findings]).update(
        status=Finding.Status.DISMISSED, updated_at=timezone.now()
    )


def _fixed(finding: Finding) -> None:
    finding.status = Finding.Status.FIXED
    finding.save(update_fields=["status", "updated_at"])


def _group(finding: Finding) -> tuple[Item, list[Item]]:
    """The item a group keeps (the oldest) and the others."""
    items = list(finding.items.order_by("created_at", "pk"))
    return items[0], items[1:]


GROUP_KINDS = (FindingKind.DUPLICATE, FindingKind.DUPLICATE_IMAGE, FindingKind.SAME_IMAGE)


def finding_duplicates_deactivate(*, finding: Finding) -> list[Item]:
    """Deactivate every item of a duplicate group but the oldest."""
    if finding.kind not in GROUP_KINDS:
        return []
    _, others = _group(finding)
    for item in others:
        if item.is_active:
            catalog_services.item_update(item=item, is_active=False)
    _fixed(finding)
    return others


def finding_images_merge(*, finding: Finding) -> int:
    """Copy the other items' images onto the kept item (the same bytes are skipped), then
    deactivate the others. Returns how many images were added."""
    if finding.kind not in GROUP_KINDS:
        return 0
    kept, others = _group(finding)
    added = 0
    for item in others:
        for image in item.images.all():
            with default_storage.open(str(image.image.name), "rb") as handle:
                validated = image_from_bytes(handle.read())
            added += catalog_services.item_image_add(item=kept, image=validated)[1]
    finding_duplicates_deactivate(finding=finding)
    return added


def finding_category_apply(*, finding: Finding) -> Item | None:
    """Move a miscategorised item to the category it looks like."""
    suggested = finding.detail.get("suggested_category")
    if finding.kind != FindingKind.MISCATEGORISED or not suggested:
        return None
    item = finding.items.get()
    catalog_services.item_update(item=item, category=suggested)
    _fixed(finding)
    return item


def findings_of_inactive_items_fix() -> int:
    """Open findings about items since deactivated or deleted are fixed."""
    stale = Finding.objects.filter(status=Finding.Status.OPEN).filter(
        Q(members__item__is_active=False) | Q(members__isnull=True)
    )
    return Finding.objects.filter(pk__in=stale.values("pk")).update(status=Finding.Status.FIXED)
