"""The search API's output: results, what was skipped, paging."""

from __future__ import annotations

from rest_framework import serializers

from catalog.api.serializers import ItemOutputSerializer
from catalog.models import Item
from search.types import SearchHit, SearchResults, Skipped


class SearchHitItemSerializer(serializers.ModelSerializer[Item]):
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = Item
        fields = ["id", "external_id", "title", "category", "price", "thumbnail_url"]

    def get_thumbnail_url(self, obj: Item) -> str | None:
        return ItemOutputSerializer.get_thumbnail_url(self, obj)  # type: ignore[arg-type]


class SearchHitSerializer(serializers.Serializer[SearchHit]):
    item = SearchHitItemSerializer()
    score = serializers.FloatField()
    matched = serializers.ChoiceField(choices=["text", "image"])
    similarity = serializers.FloatField(allow_null=True)


class SkippedSerializer(serializers.Serializer[Skipped]):
    part = serializers.CharField()
    reason = serializers.CharField()


class SearchOutputSerializer(serializers.Serializer[SearchResults]):
    results = SearchHitSerializer(many=True, source="hits")
    mode = serializers.CharField()
    skipped = SkippedSerializer(many=True)
    spaces = serializers.ListField(child=serializers.CharField())
    total = serializers.IntegerField()
    page = serializers.IntegerField()
    k = serializers.IntegerField()
    has_next = serializers.BooleanField()
    took_ms = serializers.FloatField()
    did_you_mean = serializers.CharField(allow_null=True)
    profile = serializers.CharField()
