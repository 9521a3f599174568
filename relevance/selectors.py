"""Reads of judged sets."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet

from catalog.models import Item
from embeddings.providers.base import ImagePart
from relevance.formats import JudgedQueryData
from relevance.models import JudgedQuery, JudgedSet, Judgement
from searchapp.images import image_from_bytes


def judged_set_get(*, name: str) -> JudgedSet | None:
    return JudgedSet.objects.filter(name=name).first()


def judged_set_list() -> QuerySet[JudgedSet]:
    return JudgedSet.objects.annotate(query_count=Count("queries")).order_by("name")


def judged_queries(*, judged_set: JudgedSet, kind: str | None = None) -> list[JudgedQuery]:
    """The set's queries in order, each with its judgements and their items' external ids."""
    queryset = judged_set.queries.prefetch_related(
        Prefetch(
            "judgements",
            queryset=Judgement.objects.select_related("item").only(
                "id", "query_id", "grade", "item__id", "item__external_id", "item__title"
            ),
        )
    )
    if kind:
        queryset = queryset.filter(kind=kind)
    return list(queryset.order_by("position", "id"))


def judged_query_grades(*, query: JudgedQuery) -> dict[str, int]:
    """external id -> grade, from the prefetched judgements when there are some."""
    return {judgement.item.external_id: judgement.grade for judgement in query.judgements.all()}


def judged_set_export(*, judged_set: JudgedSet) -> list[JudgedQueryData]:
    """The set as file records; an image travels inside the record as a data URL."""
    records = []
    for query in judged_queries(judged_set=judged_set):
        image = ""
        if query.image:
            with query.image.open("rb") as file:
                data = file.read()
            stored = image_from_bytes(data)
            image = ImagePart(data=stored.data, content_type=stored.content_type).data_url()
        records.append(
            JudgedQueryData(
                text=query.text,
                kind=query.kind,
                relevant=judged_query_grades(query=query),
                filters=query.filters,
                image=image,
            )
        )
    return records


def item_titles(*, external_ids: set[str]) -> dict[str, str]:
    return dict(
        Item.objects.filter(external_id__in=external_ids).values_list("external_id", "title")
    )


def items_by_external_id(*, external_ids: list[str]) -> list[Item]:
    """The items in the order of `external_ids` (those that still exist)."""
    found = {
        item.external_id: item
        for item in Item.objects.filter(external_id__in=external_ids).defer("search_vector")
    }
    return [found[external_id] for external_id in external_ids if external_id in found]
