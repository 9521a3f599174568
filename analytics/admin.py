"""Search analytics in the admin: the logs and events (read only) and the dashboard."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from analytics.dashboard import TABLES, counts_csv, dashboard_context
from analytics.forms import DashboardForm
from analytics.models import SearchEvent, SearchLog
from analytics.selectors import counts_over_time


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SearchLog)
class SearchLogAdmin(_ReadOnlyAdmin):
    list_display = ["created_at", "query", "mode", "result_count", "latency_ms", "source"]
    list_filter = ["source", "mode", "created_at"]
    search_fields = ["query"]
    date_hierarchy = "created_at"
    change_list_template = "admin/analytics/searchlog/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.dashboard_view)
        return [
            path("dashboard/", view, name="analytics_searchlog_dashboard"),
            *super().get_urls(),
        ]

    def dashboard_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        form = DashboardForm(request.GET or None)
        window, bucket = form.window(), form.bucket()
        export = request.GET.get("export", "")
        if export == "over_time":
            return _csv(counts_csv(counts_over_time(window=window, bucket=bucket), label=bucket))
        if export in TABLES:
            return _csv(counts_csv(TABLES[export][1](window=window, limit=1000)), export)
        context = {
            **self.admin_site.each_context(request),
            **dashboard_context(window=window, bucket=bucket),
            "title": "Search analytics",
            "opts": self.model._meta,
            "form": form,
            "window": window,
            "bucket": bucket,
        }
        return TemplateResponse(request, "admin/analytics/dashboard.html", context)


def _csv(content: str, name: str = "over_time") -> HttpResponse:
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="search-analytics-{name}.csv"'
    return response


@admin.register(SearchEvent)
class SearchEventAdmin(_ReadOnlyAdmin):
    list_display = ["created_at", "kind", "search", "item", "position"]
    list_filter = ["kind", "created_at"]
    raw_id_fields = ["search", "item"]
