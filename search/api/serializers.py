"""The search API's output: results, what was skipped, paging."""

from __future__ import annotations

from rest_framework import serializers

from catalog.api.serializers import ItemOutputSerializer
from catalog.models import Item
from search.facets import AttributeFacet, Facets, FacetValue, PriceBucket
from search.suggest import CategorySuggestion, Suggestions
from search.types import FiredRule, SearchHit, SearchResults, Skipped


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
    pinned = serializers.BooleanField(help_text="placed at its position by a query rule")


class FiredRuleSerializer(serializers.Serializer[FiredRule]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SkippedSerializer(serializers.Serializer[Skipped]):
    part = serializers.CharField()
    reason = serializers.CharField()


class FacetValueSerializer(serializers.Serializer[FacetValue]):
    value = serializers.CharField()
    count = serializers.IntegerField()
    selected = serializers.BooleanField()


class PriceBucketSerializer(serializers.Serializer[PriceBucket]):
    min = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    max = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    count = serializers.IntegerField()
    selected = serializers.BooleanField()


class AttributeFacetSerializer(serializers.Serializer[AttributeFacet]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    values = FacetValueSerializer(many=True)


class FacetsSerializer(serializers.Serializer[Facets]):
    categories = FacetValueSerializer(many=True)
    prices = PriceBucketSerializer(many=True)
    attributes = AttributeFacetSerializer(many=True)


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
    sort = serializers.CharField()
    cutoff = serializers.FloatField(
        allow_null=True, help_text="the share of the best score results kept (null: all)"
    )
    facets = FacetsSerializer(allow_null=True)
    search_id = serializers.SerializerMethodField(
        help_text="this search's id in the search log, for reporting clicks and conversions "
        "(POST /api/v1/analytics/events/); null when the search was not logged"
    )

    def get_search_id(self, obj: SearchResults) -> str | None:
        return self.context.get("search_id")

    rules = FiredRuleSerializer(many=True, help_text="the query rules that fired, in order")


class CategorySuggestionSerializer(serializers.Serializer[CategorySuggestion]):
    value = serializers.CharField()
    count = serializers.IntegerField()


class SuggestionsSerializer(serializers.Serializer[Suggestions]):
    query = serializers.CharField(help_text="the prefix as it was matched (lower case)")
    queries = serializers.ListField(child=serializers.CharField())
    categories = CategorySuggestionSerializer(many=True)
    items = SearchHitItemSerializer(many=True)
