"""Curation in the Django admin. Writes go through catalog.services like every other interface."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from catalog import services
from catalog.models import Item, ItemImage
from searchapp.images import ValidatedImage, image_from_file


def _thumbnail(item_image: ItemImage | None, size: int = 64) -> str:
    if item_image is None or not item_image.image:
        return "—"
    return format_html(
        '<img src="{}" alt="" class="item-thumbnail" width="{}" height="{}">',
        item_image.image.url,
        size,
        size,
    )


class ItemImageForm(forms.ModelForm):
    """Validates an uploaded file with the same rules (and messages) as the API before
    anything is stored; a plain file field, so that Django's own image check does not
    answer first."""

    image = forms.FileField(
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}
        )
    )

    class Meta:
        model = ItemImage
        fields = ["image", "position"]

    def clean_image(self) -> Any:
        upload = self.cleaned_data.get("image")
        if upload is not None and hasattr(upload, "content_type"):
            try:
                self.validated_image: ValidatedImage | None = image_from_file(
                    upload, declared_content_type=upload.content_type
                )
            except ValidationError as exc:
                raise forms.ValidationError(exc.messages) from exc
        return upload


class ItemImageInline(admin.TabularInline):
    model = ItemImage
    form = ItemImageForm
    extra = 1
    fields = ["preview", "image", "position", "width", "height", "content_type", "sha256"]
    readonly_fields = ["preview", "width", "height", "content_type", "sha256"]

    @admin.display(description="Preview")
    def preview(self, obj: ItemImage) -> str:
        return _thumbnail(obj, size=96) if obj.pk else "—"


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = [
        "thumbnail",
        "title",
        "category",
        "price",
        "is_active",
        "external_id",
        "updated_at",
    ]
    list_display_links = ["thumbnail", "title"]
    list_filter = ["category", "is_active"]
    search_fields = ["title", "description", "external_id", "category"]
    readonly_fields = ["created_at", "updated_at"]
    fields = [*services.ITEM_FIELDS, "created_at", "updated_at"]
    inlines = [ItemImageInline]
    list_per_page = 50
    actions = ["activate", "deactivate"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Item]:
        return super().get_queryset(request).defer("search_vector").prefetch_related("images")

    @admin.display(description="Image")
    def thumbnail(self, obj: Item) -> str:
        return _thumbnail(obj.primary_image)

    def save_model(
        self, request: HttpRequest, obj: Item, form: forms.ModelForm, change: bool
    ) -> None:
        values = {field: form.cleaned_data[field] for field in services.ITEM_FIELDS}
        if change:
            services.item_update(item=obj, **values)
        else:
            obj.pk = services.item_create(**values).pk
            obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: Item) -> None:
        services.item_delete(item=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        for item in queryset:
            services.item_delete(item=item)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not ItemImage:
            super().save_formset(request, form, formset, change)
            return
        item: Item = form.instance
        # The admin's change message reads these; the services did the writing.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for image_form in formset.forms:
            if not image_form.has_changed() and image_form.instance.pk is None:
                continue
            instance: ItemImage = image_form.instance
            if image_form in formset.deleted_forms:
                if instance.pk:
                    services.item_image_delete(item_image=instance)
                    formset.deleted_objects.append(instance)
                continue
            validated = getattr(image_form, "validated_image", None)
            if instance.pk is None and validated is not None:
                added, _ = services.item_image_add(
                    item=item, image=validated, position=image_form.cleaned_data.get("position")
                )
                formset.new_objects.append(added)
            elif instance.pk is not None and "position" in image_form.changed_data:
                services.item_image_move(
                    item_image=instance, position=image_form.cleaned_data["position"]
                )
            elif instance.pk is not None and validated is not None:
                # A new file on an existing row: replace the image.
                services.item_image_delete(item_image=instance)
                services.item_image_add(
                    item=item, image=validated, position=image_form.cleaned_data.get("position")
                )

    @admin.action(description="Mark selected items active")
    def activate(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        for item in queryset:
            services.item_update(item=item, is_active=True)

    @admin.action(description="Mark selected items inactive")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        for item in queryset:
            services.item_update(item=item, is_active=False)
