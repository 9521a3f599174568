"""What each kind of finding is, computed from the stored vectors: candidates only; the
services store them (quality/services.py)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import Count

from catalog.filters import ItemFilter
from catalog.models import Item, ItemImage
from embeddings.index import space_nearest
from embeddings.models import Embedding, EmbeddingSpace
from quality.models import FindingKind
from quality.neighbours import near_pairs, nearest_batches, text_vectors

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Thresholds:
    """What counts as a finding; the defaults suit normalised sentence and CLIP vectors."""

    duplicate_similarity: float = 0.93  # text vectors at least this alike: near-duplicates
    image_duplicate_similarity: float = 0.97
    neighbours: int = 10  # k of the k-NN self-join
    mismatch_z: float = 3.0  # robust z-score of text-to-own-image similarity below -this
    miscategory_margin: float = 0.0  # another category's centroid nearer by more than this
    outlier_similarity: float = 0.35  # no neighbour in the item's category at least this alike
    min_category_items: int = 3  # smaller categories have no meaningful centroid


@dataclass
class Candidate:
    kind: str
    item_ids: list[int]
    score: float
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return ",".join(str(item_id) for item_id in sorted(self.item_ids))[:255]


def duplicate_groups(
    pairs: dict[tuple[int, int], float], *, kind: str, source: str
) -> list[Candidate]:
    """Connected components of the near pairs, each with its pairwise similarities; the
    score is the group's weakest link (a chain of near pairs is only as sure as that)."""
    parent: dict[int, int] = {}

    def root(node: int) -> int:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for first, second in pairs:
        parent[root(first)] = root(second)
    members: dict[int, list[int]] = defaultdict(list)
    for node in list(parent):
        members[root(node)].append(node)
    groups = []
    for item_ids in members.values():
        item_ids.sort()
        inside = sorted(
            ([a, b, round(s, 4)] for (a, b), s in pairs.items() if a in item_ids),
            key=lambda row: -row[2],
        )
        groups.append(
            Candidate(
                kind=kind,
                item_ids=item_ids,
                score=min(row[2] for row in inside),
                detail={"source": source, "pairs": inside},
            )
        )
    return groups


def same_image_groups(item_ids: Sequence[int] | None = None) -> list[Candidate]:
    """Active items that hold byte-identical images (equal SHA-256)."""
    images = ItemImage.objects.filter(item__is_active=True)
    shared = (
        images.values("sha256").annotate(items=Count("item", distinct=True)).filter(items__gt=1)
    )
    hashes = [row["sha256"] for row in shared]
    if item_ids is not None:
        scoped = set(images.filter(item_id__in=list(item_ids)).values_list("sha256", flat=True))
        hashes = [value for value in hashes if value in scoped]
    owners: dict[str, set[int]] = defaultdict(set)
    for sha256, item_id in images.filter(sha256__in=hashes).values_list("sha256", "item_id"):
        owners[sha256].add(item_id)
    return [
        Candidate(kind=FindingKind.SAME_IMAGE, item_ids=sorted(ids), score=1.0,
                  detail={"sha256": sha256})
        for sha256, ids in sorted(owners.items())
    ]  # fmt: skip


@dataclass
class TextNeighbourhood:
    """The text k-NN self-join of a space, kept for the kinds that read it."""

    neighbours: dict[int, list[tuple[int, float]]]

    def pairs(self, min_similarity: float) -> dict[tuple[int, int], float]:
        pairs: dict[tuple[int, int], float] = {}
        for item_id, near in self.neighbours.items():
            for other_id, similarity in near:
                if similarity >= min_similarity:
                    key = (min(item_id, other_id), max(item_id, other_id))
                    pairs[key] = max(similarity, pairs.get(key, -1.0))
        return pairs


def text_neighbourhood(
    *, space: EmbeddingSpace, neighbours: int, item_ids: Sequence[int] | None,
    progress: Progress | None = None,
) -> TextNeighbourhood:  # fmt: skip
    near: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for rows in nearest_batches(
        space=space, images=False, neighbours=neighbours, item_ids=item_ids, progress=progress
    ):
        for item_id, other_id, similarity in rows:
            near[item_id].append((other_id, similarity))
    return TextNeighbourhood(neighbours=dict(near))


def image_duplicate_groups(
    *, space: EmbeddingSpace, thresholds: Thresholds, item_ids: Sequence[int] | None,
    progress: Progress | None = None,
) -> list[Candidate]:  # fmt: skip
    pairs = near_pairs(
        space=space, images=True, neighbours=thresholds.neighbours,
        min_similarity=thresholds.image_duplicate_similarity, item_ids=item_ids, progress=progress,
    )  # fmt: skip
    return duplicate_groups(pairs, kind=FindingKind.DUPLICATE_IMAGE, source="image")


def _categories() -> dict[int, str]:
    return dict(Item.objects.filter(is_active=True).values_list("id", "category"))


def miscategorised_items(
    *, space: EmbeddingSpace, thresholds: Thresholds, neighbourhood: TextNeighbourhood,
    item_ids: Sequence[int] | None,
) -> list[Candidate]:  # fmt: skip
    """Items whose text vector is nearer another category's centroid than their own
    category's centroid without them (leave-one-out), by more than the margin; the k-NN
    vote of the item's neighbours is kept as evidence."""
    categories = _categories()
    sums: dict[str, np.ndarray] = {}
    counts: Counter[str] = Counter()
    for ids, matrix in text_vectors(space=space):
        for item_id, vector in zip(ids, matrix, strict=True):
            category = categories.get(item_id, "")
            if category:
                sums[category] = sums.get(category, 0) + vector
                counts[category] += 1
    names = [name for name in sorted(sums) if counts[name] >= thresholds.min_category_items]
    if len(names) < 2:
        return []
    totals = np.stack([sums[name] for name in names])
    sizes = np.asarray([counts[name] for name in names], dtype=np.float32)[:, None]
    found = []
    for ids, matrix in text_vectors(space=space, item_ids=item_ids):
        for item_id, vector in zip(ids, matrix, strict=True):
            own = categories.get(item_id, "")
            if own not in names:
                continue
            own_index = names.index(own)
            centroids = totals / sizes
            centroids[own_index] = (totals[own_index] - vector) / (sizes[own_index] - 1)
            centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
            similarity = centroids @ vector
            others = similarity.copy()
            others[own_index] = -np.inf
            best = int(np.argmax(others))
            margin = float(similarity[best] - similarity[own_index])
            if margin <= thresholds.miscategory_margin:
                continue
            votes = Counter(
                categories.get(other, "") for other, _ in neighbourhood.neighbours.get(item_id, [])
            )
            found.append(
                Candidate(
                    kind=FindingKind.MISCATEGORISED, item_ids=[item_id], score=round(margin, 4),
                    detail={"category": own, "suggested_category": names[best],
                            "own_similarity": round(float(similarity[own_index]), 4),
                            "suggested_similarity": round(float(similarity[best]), 4),
                            "neighbour_votes": dict(votes.most_common(3))},
                )
            )  # fmt: skip
    return found


def outlier_items(
    *, space: EmbeddingSpace, thresholds: Thresholds, neighbourhood: TextNeighbourhood,
    item_ids: set[int] | None,
) -> list[Candidate]:  # fmt: skip
    """Items with no neighbour in their own category at least ``outlier_similarity`` alike.
    The self-join answers most items; one whose k nearest are all of other categories and
    all alike enough asks the index once more, within its category."""
    categories = _categories()
    sizes = Counter(categories.values())
    found = []
    for item_id, near in neighbourhood.neighbours.items():
        if item_ids is not None and item_id not in item_ids:
            continue
        own = categories.get(item_id, "")
        if not own or sizes[own] < thresholds.min_category_items:
            continue
        same = [similarity for other, similarity in near if categories.get(other) == own]
        best = max(same, default=None)
        if best is None and near and min(s for _, s in near) >= thresholds.outlier_similarity:
            best = _best_in_category(space=space, item_id=item_id, category=own)
        if best is None or best < thresholds.outlier_similarity:
            best_value = -1.0 if best is None else best
            found.append(
                Candidate(kind=FindingKind.OUTLIER, item_ids=[item_id],
                          score=round(1.0 - best_value, 4),
                          detail={"category": own, "best_similarity": round(best_value, 4)})
            )  # fmt: skip
    return found


def _best_in_category(*, space: EmbeddingSpace, item_id: int, category: str) -> float | None:
    row = Embedding.objects.filter(space=space, item_id=item_id, image__isnull=True).first()
    if row is None:
        return None
    nearest = space_nearest(
        space=space, vector=np.asarray(row.vector, dtype=np.float32), depth=1, exact=False,
        item_filter=ItemFilter(categories=(category,), exclude_item_id=item_id),
    )  # fmt: skip
    return nearest[0].similarity if nearest else None


def mismatched_items(
    *, space: EmbeddingSpace, thresholds: Thresholds, item_ids: Iterable[int] | None
) -> list[Candidate]:
    """Each item's best similarity between its text vector and one of its own image
    vectors, against the catalog's distribution: a robust z-score (median and MAD) far
    below zero means the picture does not show what the text says."""
    table = Embedding._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.item_id, MAX(1 - (t.vector <=> m.vector)) FROM {table} t "  # noqa: S608
            f"JOIN {table} m ON m.item_id = t.item_id AND m.space_id = t.space_id "
            f"AND m.image_id IS NOT NULL JOIN {Item._meta.db_table} i ON i.id = t.item_id "
            "WHERE t.space_id = %s AND t.image_id IS NULL AND i.is_active GROUP BY t.item_id",
            [space.pk],
        )
        best = {int(item_id): float(similarity) for item_id, similarity in cursor.fetchall()}
    if len(best) < 5:
        return []  # no distribution to compare with
    values = np.asarray(list(best.values()))
    median = float(np.median(values))
    # MAD scaled to a normal's sigma; floored so a catalog of near-equal pairs flags nothing.
    spread = max(1.4826 * float(np.median(np.abs(values - median))), 0.02)
    scope = set(best) if item_ids is None else set(item_ids) & set(best)
    found = []
    for item_id in sorted(scope):
        z = (best[item_id] - median) / spread
        if z < -thresholds.mismatch_z:
            found.append(
                Candidate(kind=FindingKind.MISMATCH, item_ids=[item_id], score=round(-z, 3),
                          detail={"similarity": round(best[item_id], 4), "median": round(median, 4),
                                  "robust_z": round(z, 3)})
            )  # fmt: skip
    return found
