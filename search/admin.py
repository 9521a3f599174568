"""Search profiles in the admin: versions are never edited in place. Saving a changed
profile stores a new version (inactive until activated); "activate" on an older version is
the rollback."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from search.models import FacetAttribute, SearchProfile
from search.profiles import profile_activate, profile_deactivate_all, profile_version_create


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
