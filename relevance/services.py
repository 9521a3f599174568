"""Writes to judged sets. Imports are all or nothing: every problem (an unknown external id,
an unreadable image) is reported and nothing is stored."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction

from catalog.models import Item
from relevance.formats import JudgedQueryData, JudgedSetFileError, judged_queries_parse
from relevance.models import JudgedQuery, JudgedSet, Judgement
from searchapp.images import ValidatedImage, image_from_bytes, image_from_data_url

DEMO_JUDGED_SET_FILE = Path(__file__).resolve().parent / "data" / "demo.jsonl"
DEMO_JUDGED_SET_NAME = "demo"


@dataclass(frozen=True)
class JudgedSetImportReport:
    judged_set: JudgedSet
    created: bool  # a new set (else its queries were replaced)
    queries: int
    judgements: int


def _query_image(query: JudgedQueryData, images_dir: Path | None) -> ValidatedImage:
    if query.image.startswith("data:"):
        return image_from_data_url(query.image)
    if images_dir is None:
        raise ValidationError("no images folder to read it from")
    path = (images_dir / query.image).resolve()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc.strerror}") from exc
    return image_from_bytes(data)


def judged_set_import(
    *,
    name: str,
    queries: list[JudgedQueryData],
    description: str | None = None,
    images_dir: Path | None = None,
) -> JudgedSetImportReport:
    """Store `queries` as the content of the set `name` (created if new; an existing set's
    queries are replaced). Raises JudgedSetFileError listing every unknown external id and
    unreadable image; then nothing is stored."""
    name = name.strip()
    if not name:
        raise JudgedSetFileError(["a judged set needs a name"])
    wanted = {external_id for query in queries for external_id in query.relevant}
    items = dict(Item.objects.filter(external_id__in=wanted).values_list("external_id", "pk"))
    problems: list[str] = []
    images: dict[int, ValidatedImage] = {}
    for index, query in enumerate(queries):
        unknown = sorted(set(query.relevant) - set(items))
        if unknown:
            problems.append(
                f"line {query.line} ({query.text or query.image[:40]!r}): "
                f"unknown external id {', '.join(unknown)}"
            )
        if query.image:
            try:
                images[index] = _query_image(query, images_dir)
            except ValidationError as exc:
                problems.append(f"line {query.line}: image: {'; '.join(exc.messages)}")
    if problems:
        raise JudgedSetFileError(problems)
    with transaction.atomic():
        judged_set, created = JudgedSet.objects.get_or_create(name=name)
        if description is not None:
            judged_set.description = description
            judged_set.save(update_fields=["description", "updated_at"])
        judged_set.queries.all().delete()
        judgements: list[Judgement] = []
        for position, query in enumerate(queries):
            judged_query = JudgedQuery(
                judged_set=judged_set,
                text=query.text,
                kind=query.kind,
                filters=query.filters,
                position=position,
            )
            if position in images:
                image = images[position]
                judged_query.image.save(image.filename, ContentFile(image.data), save=False)
            judged_query.save()
            judgements.extend(
                Judgement(query=judged_query, item_id=items[external_id], grade=grade)
                for external_id, grade in query.relevant.items()
            )
        Judgement.objects.bulk_create(judgements)
    return JudgedSetImportReport(
        judged_set=judged_set, created=created, queries=len(queries), judgements=len(judgements)
    )


def judgement_set(*, query: JudgedQuery, item: Item, grade: int) -> Judgement:
    """Grade `item` for `query` (0-3), replacing an earlier grade."""
    if not 0 <= grade <= 3:
        raise ValidationError("A grade is 0, 1, 2 or 3.")
    judgement, _ = Judgement.objects.update_or_create(
        query=query, item=item, defaults={"grade": grade}
    )
    return judgement


def judgement_delete(*, query: JudgedQuery, item: Item) -> None:
    Judgement.objects.filter(query=query, item=item).delete()


def demo_judged_set_load() -> JudgedSetImportReport | None:
    """The project's judged set for the demo catalog, stored once (None when it is there)."""
    if JudgedSet.objects.filter(name=DEMO_JUDGED_SET_NAME).exists():
        return None
    queries = judged_queries_parse(
        content=DEMO_JUDGED_SET_FILE.read_text(encoding="utf-8"), format="jsonl"
    )
    return judged_set_import(
        name=DEMO_JUDGED_SET_NAME,
        queries=queries,
        description="Queries written for the demo catalog (catalog/demo/).",
        images_dir=DEMO_JUDGED_SET_FILE.parent,
    )
