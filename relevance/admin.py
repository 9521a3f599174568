"""Judged sets in the Django admin: sets, queries with inline judgements, import and export,
grading items straight from search results, and the evaluation page."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from catalog.models import Item
from relevance.evaluation import (
    METRICS,
    Comparison,
    EvaluationReport,
    judged_set_evaluate,
    reports_compare,
)
from relevance.formats import (
    JudgedSetFileError,
    judged_queries_parse,
    judged_queries_to_jsonl,
    judged_set_format,
)
from relevance.forms import EvaluationForm, GradeForm, JudgedSetImportForm
from relevance.models import JudgedQuery, JudgedSet, Judgement
from relevance.runner import MODES, Configuration, ConfigurationError, ranked_external_ids
from relevance.selectors import (
    items_by_external_id,
    judged_query_grades,
    judged_set_export,
)
from relevance.services import judged_set_import, judgement_delete, judgement_set

SEARCH_RESULTS_SHOWN = 20


class JudgedQueryInline(admin.TabularInline):
    model = JudgedQuery
    fields = ["position", "text", "kind", "image", "filters"]
    extra = 0
    show_change_link = True


@admin.register(JudgedSet)
class JudgedSetAdmin(admin.ModelAdmin):
    list_display = ["name", "query_count", "description", "actions_links"]
    search_fields = ["name", "description"]
    inlines = [JudgedQueryInline]
    change_list_template = "admin/relevance/judgedset/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[JudgedSet]:
        return super().get_queryset(request).annotate(query_count=Count("queries"))

    @admin.display(description="Queries", ordering="query_count")
    def query_count(self, obj: JudgedSet) -> int:
        return int(getattr(obj, "query_count", 0))

    @admin.display(description="")
    def actions_links(self, obj: JudgedSet) -> str:
        return format_html(
            '<a href="{}">Evaluate</a> · <a href="{}">Export JSONL</a>',
            reverse("admin:relevance_judgedset_evaluate", args=[obj.pk]),
            reverse("admin:relevance_judgedset_export", args=[obj.pk]),
        )

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="relevance_judgedset_import"),
            path("<int:pk>/export/", view(self.export_view), name="relevance_judgedset_export"),
            path(
                "<int:pk>/evaluate/", view(self.evaluate_view), name="relevance_judgedset_evaluate"
            ),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            return HttpResponse(status=403)
        form = JudgedSetImportForm(request.POST or None, request.FILES or None)
        problems: list[str] = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                queries = judged_queries_parse(
                    content=upload.read().decode("utf-8"),
                    format=judged_set_format(Path(upload.name)),
                )
                report = judged_set_import(
                    name=form.cleaned_data["name"],
                    queries=queries,
                    description=form.cleaned_data["description"] or None,
                )
            except UnicodeDecodeError:
                problems = ["the file is not UTF-8 text"]
            except JudgedSetFileError as exc:
                problems = exc.problems
            else:
                self.message_user(
                    request,
                    f"Judged set {report.judged_set.name}: {report.queries} queries, "
                    f"{report.judgements} judgements.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:relevance_judgedset_change", args=[report.judged_set.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": "Import a judged set",
            "opts": self.model._meta,
            "form": form,
            "problems": problems,
        }
        return TemplateResponse(request, "admin/relevance/judgedset/import.html", context)

    def export_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        judged_set = get_object_or_404(JudgedSet, pk=pk)
        if not self.has_view_permission(request, judged_set):
            return HttpResponse(status=403)
        content = judged_queries_to_jsonl(judged_set_export(judged_set=judged_set))
        response = HttpResponse(content, content_type="application/x-ndjson; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{judged_set.pk}.jsonl"'
        return response

    def evaluate_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        judged_set = get_object_or_404(JudgedSet, pk=pk)
        if not self.has_view_permission(request, judged_set):
            return HttpResponse(status=403)
        form = EvaluationForm(request.GET if "modes" in request.GET else None)
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": f"Evaluate {judged_set.name}",
            "opts": self.model._meta,
            "judged_set": judged_set,
            "form": form,
        }
        if form.is_valid():
            configurations = [
                Configuration(mode=mode, profile=profile)
                for mode, profile in itertools.product(
                    form.cleaned_data["modes"], form.profile_names()
                )
            ]
            try:
                reports = judged_set_evaluate(
                    judged_set=judged_set,
                    configurations=configurations,
                    kind=form.cleaned_data["kind"] or None,
                )
            except ConfigurationError as exc:
                form.add_error(None, str(exc))
            else:
                context.update(_report_tables(reports))
                if form.cleaned_data["compare"] and len(reports) >= 2:
                    context["comparison"] = _comparison_table(
                        reports_compare(base=reports[0], other=reports[1])
                    )
                elif form.cleaned_data["compare"]:
                    form.add_error("compare", "Pick two configurations to compare.")
        return TemplateResponse(request, "admin/relevance/judgedset/evaluate.html", context)


def _report_tables(reports: list[EvaluationReport]) -> dict[str, Any]:
    """The evaluation as rows of cells for the template (which cannot index by metric)."""
    return {
        "metrics": METRICS,
        "summary": [
            (r.configuration.label, len(r.queries), [r.overall[m] for m in METRICS])
            for r in reports
        ],
        "per_kind": [
            (r.configuration.label, k.kind, k.queries, [k.scores[m] for m in METRICS])
            for r in reports
            for k in r.per_kind
        ],
        "per_query": [
            (
                r.configuration.label,
                [
                    {
                        "label": q.label,
                        "kind": q.kind,
                        "scores": [q.scores[m] for m in METRICS],
                        "ranks": [(e, q.title(e), rank) for e, rank in q.ranks.items()],
                        "ahead": [(e, q.title(e)) for e in q.ahead],
                    }
                    for q in r.queries
                ],
            )
            for r in reports
        ],
        "unanswerable": reports[0].unanswerable if reports else [],
    }


def _comparison_table(comparison: Comparison) -> dict[str, Any]:
    return {
        "base": comparison.base.configuration.label,
        "other": comparison.other.configuration.label,
        "metric": comparison.metric,
        "improved": comparison.improved,
        "worse": comparison.worse,
        "unchanged": comparison.unchanged,
        "overall": [
            (m, comparison.base.overall[m], comparison.other.overall[m], d)
            for m, d in comparison.overall_deltas.items()
        ],
        "queries": [
            (
                d.query.label,
                d.query.kind,
                d.query.scores[d.metric],
                d.other.scores[d.metric],
                d.delta,
            )
            for d in comparison.deltas
            if abs(d.delta) > 1e-9
        ],
    }


class JudgementInline(admin.TabularInline):
    model = Judgement
    fields = ["item", "grade"]
    autocomplete_fields = ["item"]
    extra = 1


@admin.register(JudgedQuery)
class JudgedQueryAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "judged_set", "judgement_count", "judge_link"]
    list_filter = ["judged_set", "kind"]
    search_fields = ["text"]
    fields = ["judged_set", "position", "text", "kind", "image", "filters", "judge_link"]
    readonly_fields = ["judge_link"]
    inlines = [JudgementInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[JudgedQuery]:
        return (
            super()
            .get_queryset(request)
            .select_related("judged_set")
            .annotate(judgement_count=Count("judgements"))
        )

    @admin.display(description="Judgements", ordering="judgement_count")
    def judgement_count(self, obj: JudgedQuery) -> int:
        return int(getattr(obj, "judgement_count", 0))

    @admin.display(description="Grade search results")
    def judge_link(self, obj: JudgedQuery) -> str:
        if not obj.pk:
            return "—"
        return format_html(
            '<a href="{}">Search and grade results</a>',
            reverse("admin:relevance_judgedquery_judge", args=[obj.pk]),
        )

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:pk>/judge/",
                self.admin_site.admin_view(self.judge_view),
                name="relevance_judgedquery_judge",
            ),
            *super().get_urls(),
        ]

    def judge_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Run the query through search and grade any result with one click."""
        query = get_object_or_404(JudgedQuery.objects.select_related("judged_set"), pk=pk)
        if request.method == "POST":
            if not self.has_change_permission(request, query):
                return HttpResponse(status=403)
            form = GradeForm(request.POST)
            if form.is_valid():
                item = get_object_or_404(Item, pk=form.cleaned_data["item"])
                grade = form.cleaned_data["grade"]
                try:
                    if grade < 0:
                        judgement_delete(query=query, item=item)
                    else:
                        judgement_set(query=query, item=item, grade=grade)
                except ValidationError as exc:
                    self.message_user(request, "; ".join(exc.messages), messages.ERROR)
                else:
                    self.message_user(request, f"{item.external_id}: grade {grade}.")
            return HttpResponseRedirect(request.get_full_path())
        mode = request.GET.get("mode", "hybrid")
        mode = mode if mode in MODES else "hybrid"
        ranked = ranked_external_ids(query, Configuration(mode=mode), depth=SEARCH_RESULTS_SHOWN)
        grades = judged_query_grades(query=query)
        results = [
            {"rank": rank, "item": item, "grade": grades.get(item.external_id)}
            for rank, item in enumerate(items_by_external_id(external_ids=ranked), start=1)
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": f"Grade results for “{query}”",
            "opts": self.model._meta,
            "original": query,
            "query": query,
            "mode": mode,
            "modes": MODES,
            "results": results,
            "grades": (0, 1, 2, 3),
            "not_retrieved": sorted(set(grades) - set(ranked)),
        }
        return TemplateResponse(request, "admin/relevance/judgedquery/judge.html", context)
