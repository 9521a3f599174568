from __future__ import annotations

from typing import Any

from rest_framework import serializers

from analytics.models import SearchEvent, SearchLog
from catalog.models import Item
from search.parse import MAX_ID

MAX_POSITION = 10_000


class SearchEventInputSerializer(serializers.Serializer[SearchEvent]):
    search_id = serializers.UUIDField(help_text="the `search_id` of the search response")
    item_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    position = serializers.IntegerField(
        min_value=1, max_value=MAX_POSITION, help_text="the result's 1-based position, across pages"
    )
    kind = serializers.ChoiceField(choices=SearchEvent.Kind.choices, default=SearchEvent.Kind.CLICK)

    def validate_search_id(self, value: Any) -> SearchLog:
        search = SearchLog.objects.filter(pk=value).first()
        if search is None:
            raise serializers.ValidationError(
                "No such search: give the search_id of a search response (a search is "
                "logged a moment after it answered)."
            )
        return search

    def validate_item_id(self, value: int) -> Item:
        item = Item.objects.filter(pk=value).only("pk").first()
        if item is None:
            raise serializers.ValidationError("No such item.")
        return item


class SearchEventOutputSerializer(serializers.ModelSerializer[SearchEvent]):
    search_id = serializers.UUIDField()

    class Meta:
        model = SearchEvent
        fields = ["id", "search_id", "item_id", "position", "kind", "created_at"]
