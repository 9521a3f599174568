"""Search in the admin.

- Profiles: versions are never edited in place. Saving a changed profile stores a new version
  (inactive until activated); "activate" on an older version is the rollback.
- Synonym groups: terms as comma-separated text; import and export as Solr synonyms.txt or
  CSV. The add page takes ``?terms=a,b`` (the analytics page links there).
- Query rules: the add page takes ``?query=...``; "Preview" shows the live results of the
  rule's condition before and after the unsaved rule, and saves nothing.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from search.curation import query_rule_preview, query_rule_save, synonym_group_save
from search.curation_io import SynonymFormat, synonyms_export, synonyms_import
from search.models import FacetAttribute, QueryRule, SearchProfile, SynonymGroup
from search.profiles import profile_activate, profile_deactivate_all, profile_version_create
from search.query import query_normalise

PREVIEW = "_preview"


@admin.register(SearchProfile)
class SearchProfileAdmin(admin.ModelAdmin):
    list_display = ["__str__", "method", "weights", "rrf_k", "min_score_ratio", "created_at"]
    list_filter = ["name", "is_active", "method"]
    readonly_fields = ["version", "is_active", "created_at"]
    fields = ["name", "version", "is_active", "method", "weights", "rrf_k", "min_score_ratio",
              "notes", "created_at"]  # fmt: skip
    actions = ["activate", "deactivate"]

    def save_model(self, request: HttpRequest, obj: SearchProfile, form: Any, change: bool) -> None:
        """Every save is a new version of the named profile."""
        created = profile_version_create(
            name=obj.name,
            method=obj.method,
            weights=obj.weights,
            rrf_k=obj.rrf_k,
            min_score_ratio=obj.min_score_ratio,
            notes=obj.notes,
        )
        obj.pk, obj.version = created.pk, created.version
        if change:
            messages.info(request, f"Saved as a new version, {created}; activate it to use it.")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(super().has_delete_permission(request, obj)) and not (obj and obj.is_active)

    @admin.action(description="Activate (searches use it; activating an older one rolls back)")
    def activate(self, request: HttpRequest, queryset: QuerySet[SearchProfile]) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one version.", messages.ERROR)
            return
        profile = profile_activate(profile=queryset.get())
        self.message_user(request, f"{profile} is now the active search profile.")

    @admin.action(description="Deactivate all (back to the settings' fusion)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[SearchProfile]) -> None:
        profile_deactivate_all()
        self.message_user(request, "No profile is active: searches use the settings' fusion.")


@admin.register(FacetAttribute)
class FacetAttributeAdmin(admin.ModelAdmin):
    """Which attribute keys shoppers filter by: each is a facet of the search page's sidebar
    and of the API's `facets`, with a count per value."""

    list_display = ["key", "label", "position"]
    list_editable = ["label", "position"]
    ordering = ["position", "key"]


class TermsField(forms.CharField):
    """A list of terms as "sofa, couch, settee"."""

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [term.strip() for term in text.split(",") if term.strip()]


class SynonymGroupForm(forms.ModelForm):
    terms = TermsField(help_text="Comma-separated, e.g. sofa, couch, settee.")

    class Meta:
        model = SynonymGroup
        fields = ["kind", "source", "terms", "expand_semantic", "is_active"]


class SynonymImportForm(forms.Form):
    fmt = forms.ChoiceField(
        label="Format",
        choices=[
            (SynonymFormat.SOLR.value, "Solr synonyms.txt"),
            (SynonymFormat.CSV.value, "CSV"),
        ],  # fmt: skip
    )
    file = forms.FileField(required=False, max_length=255)
    text = forms.CharField(widget=forms.Textarea, required=False, help_text="Or paste it here.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("file")
        if upload is not None:
            if upload.size > 5_000_000:
                raise forms.ValidationError("At most 5 MB.")
            data["text"] = upload.read().decode("utf-8-sig", errors="replace")
        if not data.get("text"):
            raise forms.ValidationError("Choose a file or paste the synonyms.")
        return data


@admin.register(SynonymGroup)
class SynonymGroupAdmin(admin.ModelAdmin):
    form = SynonymGroupForm
    list_display = ["__str__", "kind", "expand_semantic", "is_active", "updated_at"]
    list_filter = ["kind", "is_active", "expand_semantic"]
    search_fields = ["source", "terms"]
    actions = ["export_solr", "export_csv"]
    change_list_template = "admin/search/synonymgroup/change_list.html"

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        if "terms" in request.GET:
            initial["terms"] = request.GET["terms"]
        return initial

    def save_model(self, request: HttpRequest, obj: SynonymGroup, form: Any, change: bool) -> None:
        synonym_group_save(group=obj)

    def get_urls(self) -> list[URLPattern]:
        urls = [path("import/", self.admin_site.admin_view(self.import_view),
                     name="search_synonymgroup_import")]  # fmt: skip
        return urls + super().get_urls()

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionError
        form = SynonymImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            report = synonyms_import(
                text=form.cleaned_data["text"], fmt=SynonymFormat(form.cleaned_data["fmt"])
            )
            self.message_user(request, f"Imported {report.created} synonym groups.")
            for problem in report.problems[:50]:
                self.message_user(request, f"Skipped {problem}", messages.WARNING)
            return HttpResponseRedirect(reverse("admin:search_synonymgroup_changelist"))
        context = {**self.admin_site.each_context(request), "form": form,
                   "opts": self.model._meta, "title": "Import synonym groups"}  # fmt: skip
        return TemplateResponse(request, "admin/search/synonymgroup/import.html", context)

    def _export(self, queryset: QuerySet[SynonymGroup], fmt: SynonymFormat) -> HttpResponse:
        name, kind = ("synonyms.txt", "text/plain") if fmt == SynonymFormat.SOLR else (
            "synonyms.csv", "text/csv")  # fmt: skip
        response = HttpResponse(synonyms_export(queryset, fmt=fmt), content_type=kind)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    @admin.action(description="Export as Solr synonyms.txt (active groups)")
    def export_solr(self, request: HttpRequest, queryset: QuerySet[SynonymGroup]) -> HttpResponse:
        return self._export(queryset, SynonymFormat.SOLR)

    @admin.action(description="Export as CSV")
    def export_csv(self, request: HttpRequest, queryset: QuerySet[SynonymGroup]) -> HttpResponse:
        return self._export(queryset, SynonymFormat.CSV)


class QueryRuleForm(forms.ModelForm):
    class Meta:
        model = QueryRule
        fields = ["name", "position", "is_active", "match", "condition", "categories",
                  "starts_at", "ends_at", "pins", "hide", "boosts", "filters", "replace_query"]  # fmt: skip

    preview: Any = None

    def _post_clean(self) -> None:
        """With "Preview": a valid rule is searched with, not saved (the form reports an
        error so that the admin shows it again with the before / after table)."""
        super()._post_clean()  # type: ignore[misc]
        if PREVIEW in self.data and not self.errors:
            self.preview = query_rule_preview(rule=self.instance)
            self.add_error(None, "Preview only: nothing was saved. Save to keep the rule.")


@admin.register(QueryRule)
class QueryRuleAdmin(admin.ModelAdmin):
    form = QueryRuleForm
    list_display = ["name", "position", "match", "condition", "is_active", "starts_at",
                    "ends_at"]  # fmt: skip
    list_editable = ["position", "is_active"]
    list_filter = ["is_active", "match"]
    search_fields = ["name", "condition"]
    change_form_template = "admin/search/queryrule/change_form.html"
    fieldsets = [
        (None, {"fields": ["name", "position", "is_active"]}),
        ("When", {"fields": ["match", "condition", "categories", "starts_at", "ends_at"]}),
        ("Then", {"fields": ["pins", "hide", "boosts", "filters", "replace_query"]}),
    ]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        query = query_normalise(str(request.GET.get("query", "")))
        if query:
            initial.update(condition=query, name=f"Rule for “{query}”")
        initial.pop("query", None)
        return initial

    def save_model(self, request: HttpRequest, obj: QueryRule, form: Any, change: bool) -> None:
        query_rule_save(rule=obj)
