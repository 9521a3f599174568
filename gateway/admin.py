"""Keys are created here: the key is shown once, in the message after saving; only its hash
is kept. Each key's usage per model and day is listed on its page and under Gateway usage."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from gateway.models import GatewayKey, GatewayUsage
from gateway.selectors import key_inputs_today
from gateway.services import gateway_key_assign_secret

USAGE_FIELDS = ("day", "alias", "requests", "inputs", "text_tokens", "images", "image_pixels")


class UsageInline(admin.TabularInline):
    model = GatewayUsage
    fields = USAGE_FIELDS
    readonly_fields = USAGE_FIELDS
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ("-day", "alias")


@admin.register(GatewayKey)
class GatewayKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "is_active", "requests_per_minute", "daily_input_quota",
                    "inputs_today", "last_used_at", "created_at")  # fmt: skip
    list_filter = ("is_active",)
    search_fields = ("name", "prefix")
    readonly_fields = ("prefix", "created_at", "last_used_at")
    inlines = [UsageInline]

    @admin.display(description="inputs today (UTC)")
    def inputs_today(self, key: GatewayKey) -> int:
        return key_inputs_today(key=key)

    def save_model(self, request: HttpRequest, obj: GatewayKey, form: Any, change: bool) -> None:
        raw_key = None if change else gateway_key_assign_secret(key=obj)
        super().save_model(request, obj, form, change)
        if raw_key is not None:
            messages.warning(
                request,
                f"The API key of {obj.name!r} is {raw_key} - copy it now: it is stored hashed "
                "and will not be shown again.",
            )


@admin.register(GatewayUsage)
class GatewayUsageAdmin(admin.ModelAdmin):
    list_display = ("key", *USAGE_FIELDS)
    list_filter = ("alias", "day", "key")
    date_hierarchy = "day"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
