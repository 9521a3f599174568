"""Spaces in the admin: progress per space, create from a provider alias, activate/retire/backfill;
and on the catalog's item admin, where each item stands per space and a "re-embed" action."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from catalog.admin import ItemAdmin
from catalog.models import Item
from embeddings import selectors
from embeddings.models import EmbeddingSpace, ItemEmbeddingState, ProviderUsage
from embeddings.providers.registry import providers
from embeddings.queue import items_reembed, space_backfill
from embeddings.spaces import (
    space_activate,
    space_create,
    space_delete,
    space_index_type_set,
    space_retire,
)


class SpaceCreateForm(forms.ModelForm):
    provider_alias = forms.ChoiceField(choices=())
    activate = forms.BooleanField(required=False, initial=True, help_text="Searchable right away.")

    class Meta:
        model = EmbeddingSpace
        fields = ["name", "provider_alias", "embeds_text", "embeds_images", "index_type"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        aliases = [(alias, alias) for alias in providers.aliases()]
        self.fields["provider_alias"].choices = aliases  # type: ignore[attr-defined]


@admin.register(EmbeddingSpace)
class EmbeddingSpaceAdmin(admin.ModelAdmin):
    list_display = ["name", "status", "provider_alias", "model_name", "dimensions", "embeds_text",
                    "embeds_images", "index_type", "progress"]  # fmt: skip
    readonly_fields = ["provider_alias", "model_name", "dimensions", "embeds_text", "embeds_images",
                       "status", "created_at", "activated_at", "progress"]  # fmt: skip
    actions = ["activate", "retire", "backfill_stale", "retry_failed"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = SpaceCreateForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return [
                "name",
                "provider_alias",
                "embeds_text",
                "embeds_images",
                "index_type",
                "activate",
            ]
        return ["name", "index_type", *self.readonly_fields]

    @admin.display(description="Progress (ready / pending / failed of items)")
    def progress(self, obj: EmbeddingSpace) -> str:
        p = selectors.space_progress(space=obj)
        return f"{p.ready} / {p.pending} / {p.failed} of {p.total} ({p.percent_ready}%)"

    def save_model(
        self, request: HttpRequest, obj: EmbeddingSpace, form: Any, change: bool
    ) -> None:
        if change:
            obj.save(update_fields=["name"])
            if "index_type" in form.changed_data:  # builds the new index while the page waits
                space_index_type_set(space=obj, index_type=obj.index_type)
            return
        try:
            created = space_create(
                name=form.cleaned_data["name"],
                provider_alias=form.cleaned_data["provider_alias"],
                embeds_text=form.cleaned_data["embeds_text"],
                embeds_images=form.cleaned_data["embeds_images"],
                index_type=form.cleaned_data["index_type"],
                activate=form.cleaned_data["activate"],
            )
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            return
        obj.pk = created.pk
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: EmbeddingSpace) -> None:
        space_delete(space=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[EmbeddingSpace]) -> None:
        for space in queryset:
            space_delete(space=space)

    @admin.action(description="Activate (search these spaces)")
    def activate(self, request: HttpRequest, queryset: QuerySet[EmbeddingSpace]) -> None:
        for space in queryset:
            space_activate(space=space)

    @admin.action(description="Retire (stop embedding and searching)")
    def retire(self, request: HttpRequest, queryset: QuerySet[EmbeddingSpace]) -> None:
        for space in queryset:
            space_retire(space=space)

    @admin.action(description="Embed items that are not ready")
    def backfill_stale(self, request: HttpRequest, queryset: QuerySet[EmbeddingSpace]) -> None:
        marked = sum(space_backfill(space=space, scope="stale") for space in queryset)
        self.message_user(request, f"{marked} items queued.")

    @admin.action(description="Retry failed items")
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[EmbeddingSpace]) -> None:
        marked = sum(space_backfill(space=space, scope="failed") for space in queryset)
        self.message_user(request, f"{marked} failed items queued again.")


@admin.register(ProviderUsage)
class ProviderUsageAdmin(admin.ModelAdmin):
    """Read-only: what each provider alias was asked to do per day (the basis for cost)."""

    list_display = ["day", "alias", "requests", "inputs", "text_tokens", "images", "image_pixels"]
    list_filter = ["alias"]
    date_hierarchy = "day"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EmbeddingStateInline(admin.TabularInline):
    """Where the item stands in each embedding space (read-only; use the re-embed action)."""

    model = ItemEmbeddingState
    extra = 0
    can_delete = False
    fields = ("space", "status", "attempts", "last_error", "updated_at")
    readonly_fields = fields
    verbose_name_plural = "Embeddings"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ItemWithEmbeddingsAdmin(ItemAdmin):
    """The catalog's item admin with each item's state per space and a re-embed action."""

    list_display = [
        *(name for name in ItemAdmin.list_display if name != "external_id"),
        "embedding_status",
        "external_id",
    ]
    inlines = [*ItemAdmin.inlines, EmbeddingStateInline]
    actions = [*ItemAdmin.actions, "reembed"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Item]:
        return super().get_queryset(request).prefetch_related("embedding_states__space")

    def get_inlines(self, request: HttpRequest, obj: Item | None) -> list[type[Any]]:
        inlines = list(super().get_inlines(request, obj))
        # A new item has no embedding state yet.
        return [inline for inline in inlines if inline is not EmbeddingStateInline or obj]

    @admin.display(description="Embeddings")
    def embedding_status(self, obj: Item) -> str:
        states = obj.embedding_states.all()
        if not states:
            return "—"
        return ", ".join(f"{state.space.name}: {state.status}" for state in states)

    @admin.action(description="Re-embed selected items in every live space")
    def reembed(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        marked = items_reembed(item_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{marked} item/space pairs queued for embedding.")


admin.site.unregister(Item)
admin.site.register(Item, ItemWithEmbeddingsAdmin)
