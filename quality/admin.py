"""The quality workbench in the admin: findings per kind with the items side by side,
bulk actions, a scan button with the latest scan's progress."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from quality import selectors, services
from quality.models import Finding, FindingKind, ScanRun


def _member_cards(finding: Finding) -> str:
    cards = []
    for item in selectors.finding_items(finding):
        images = list(item.images.all())
        picture = (
            format_html('<img src="{}" alt="" class="quality-thumb">', images[0].image.url)
            if images else mark_safe('<span class="quality-thumb quality-none">no image</span>')  # noqa: S308 - a constant
        )  # fmt: skip
        cards.append(
            format_html(
                '<div class="quality-card{}">{}<a href="{}">{}</a><small>{} · #{}{}</small></div>',
                "" if item.is_active else " quality-inactive",
                picture,
                reverse("admin:catalog_item_change", args=[item.pk]),
                item.title[:80],
                item.category or "no category",
                item.pk,
                "" if item.is_active else " · inactive",
            )
        )
    return format_html(
        '<div class="quality-cards">{}</div>', format_html_join("", "{}", ((c,) for c in cards))
    )


def _evidence(finding: Finding) -> str:
    detail = finding.detail
    if finding.kind == FindingKind.MISCATEGORISED:
        return format_html(
            "looks like <b>{}</b> ({} vs {} for its own)",
            detail.get("suggested_category"), detail.get("suggested_similarity"),
            detail.get("own_similarity"),
        )  # fmt: skip
    if finding.kind == FindingKind.MISMATCH:
        return format_html(
            "text-to-image similarity {} (catalog median {}, robust z {})",
            detail.get("similarity"), detail.get("median"), detail.get("robust_z"),
        )  # fmt: skip
    if finding.kind == FindingKind.OUTLIER:
        return format_html("best similarity in its category {}", detail.get("best_similarity"))
    if "pairs" in detail:
        return format_html_join(
            "<br>", "#{} ↔ #{}: {}", ((a, b, f"{s:.3f}") for a, b, s in detail["pairs"][:10])
        )
    return format_html("identical bytes {}", str(detail.get("sha256", ""))[:12])


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    list_display = ["kind", "items_side_by_side", "score_shown", "evidence", "status", "space",
                    "detected_at"]  # fmt: skip
    list_filter = ["kind", "status", "space"]
    list_per_page = 50
    actions = ["dismiss", "deactivate_duplicates", "merge_images", "apply_suggested_category"]
    change_list_template = "admin/quality/finding/change_list.html"
    readonly_fields = ["kind", "space", "key", "score", "detail", "content_sha256", "detected_at",
                       "updated_at"]  # fmt: skip
    fields = ["kind", "space", "status", "score", "detail", "key", "content_sha256", "detected_at",
              "updated_at"]  # fmt: skip

    def get_queryset(self, request: HttpRequest) -> QuerySet[Finding]:
        return selectors.finding_list()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Deleting a finding would forget a dismissal: dismiss instead.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="Items")
    def items_side_by_side(self, obj: Finding) -> str:
        return _member_cards(obj)

    @admin.display(description="Score", ordering="score")
    def score_shown(self, obj: Finding) -> str:
        return f"{obj.score:.3f}"

    @admin.display(description="Why")
    def evidence(self, obj: Finding) -> str:
        return _evidence(obj)

    @admin.action(description="Dismiss (until the items change)", permissions=["change"])
    def dismiss(self, request: HttpRequest, queryset: QuerySet[Finding]) -> None:
        count = services.findings_dismiss(findings=list(queryset))
        self.message_user(request, f"Dismissed {count} findings.", messages.SUCCESS)

    @admin.action(description="Deactivate the duplicates but the oldest", permissions=["change"])
    def deactivate_duplicates(self, request: HttpRequest, queryset: QuerySet[Finding]) -> None:
        items = [i for f in queryset for i in services.finding_duplicates_deactivate(finding=f)]
        self.message_user(request, f"Deactivated {len(items)} items.", messages.SUCCESS)

    @admin.action(description="Merge images into the oldest item, deactivate the others",
                  permissions=["change"])  # fmt: skip
    def merge_images(self, request: HttpRequest, queryset: QuerySet[Finding]) -> None:
        added = sum(services.finding_images_merge(finding=f) for f in queryset)
        self.message_user(request, f"Merged: {added} images added.", messages.SUCCESS)

    @admin.action(description="Move to the suggested category", permissions=["change"])
    def apply_suggested_category(self, request: HttpRequest, queryset: QuerySet[Finding]) -> None:
        moved = [f for f in queryset if services.finding_category_apply(finding=f) is not None]
        self.message_user(request, f"Moved {len(moved)} items.", messages.SUCCESS)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("scan/", view(self.scan_view), name="quality_finding_scan"),
            *super().get_urls(),
        ]

    def scan_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST" or not self.has_change_permission(request):
            return HttpResponse(status=403 if request.method == "POST" else 405)
        run = services.scan_request()
        self.message_user(request, f"Scan {run.pk} queued.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:quality_finding_changelist"))

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        counts = selectors.open_finding_counts()
        run = selectors.scan_run_latest()
        context = {
            **(extra_context or {}),
            "kinds": [(kind, label, counts[kind]) for kind, label in FindingKind.choices],
            "current_kind": request.GET.get("kind__exact", ""),
            "scan_run": run,
            "scan_running": run is not None and run.status in {ScanRun.Status.QUEUED, ScanRun.Status.RUNNING},
        }  # fmt: skip
        return super().changelist_view(request, extra_context=context)


@admin.register(ScanRun)
class ScanRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "incremental", "status", "step", "progress", "created_at", "finished_at"]
    readonly_fields = [f.name for f in ScanRun._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="Progress")
    def progress(self, obj: ScanRun) -> str:
        return f"{obj.done}/{obj.total} ({obj.percent:.0f}%)"
