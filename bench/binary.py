"""The binary-quantised index option, in the search section of bench/run.py: on the space
that section loaded (with its halfvec index), the same space's binary index is built beside
it (timed, with the server's settings), and the product's first page (k=10, as deep as
`search.retrieve.list_depth` reads it, through `embeddings.index.space_nearest`) is measured
at a few re-rank factors: recall@10 after re-ranking, p50/p95 and QPS (the SQL statement
alone, and the call), and the index's bytes against the halfvec index's. The binary index is
dropped again afterwards, so the rows after these measure what they did before.

How many Hamming candidates recall needs grows with how many stored vectors sit about as
far from the query in Hamming distance as its true neighbours: in the benchmark's clustered
data, about a cluster's worth (n / 256), so each size gets factors up to that many.
"""

from __future__ import annotations

import copy
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

K = 10
CLUSTERS = 256  # bench/run.py's clustered_vectors


def rerank_factors(n: int, depth: int) -> list[int]:
    """The product's default, and factors whose candidates reach about half and about one
    cluster's worth of vectors."""
    from django.conf import settings

    cluster = n / CLUSTERS
    wanted = {int(settings.SEARCHAPP_BINARY_RERANK)}
    wanted |= {max(1, round(share * cluster / depth)) for share in (0.5, 1.0)}
    return sorted(wanted)


def binary_rows(
    n: int,
    space: Any,
    queries: np.ndarray,
    truth: list[list[int]],
    item_index: dict[int, int],
    results: list[dict[str, Any]],
    measurement: Callable[..., dict[str, Any]],
    recall: Callable[[list[list[int]], list[list[int]]], float],
    run_sql_queries: Callable[..., dict[str, Any]],
) -> None:
    """Append a "pg-hnsw" row of type "binary" per re-rank factor to ``results``."""
    from django.conf import settings
    from django.db import connection
    from django.test import override_settings

    from embeddings.index import index_create, index_drop
    from embeddings.models import EmbeddingSpace
    from search.query import SearchQuery
    from search.retrieve import list_depth

    # The same space with a binary index: the bench's space keeps its halfvec index and its
    # stored type for the rows after these; this copy is only built for and searched.
    binary = copy.copy(space)
    binary.index_type = EmbeddingSpace.IndexType.BINARY
    started = time.perf_counter()
    index_create(binary)  # the product's own DDL (CONCURRENTLY), beside the halfvec index
    build_s = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_relation_size(%s::regclass), pg_relation_size(%s::regclass)",
            [binary.index_name, space.index_name],
        )
        binary_bytes, halfvec_bytes = (int(value) for value in cursor.fetchone())
    _say(
        f"  binary index built in {build_s:.1f}s, {binary_bytes / 2**20:.1f} MiB "
        f"({binary_bytes / halfvec_bytes:.2f}x the halfvec index's {halfvec_bytes / 2**20:.1f} MiB)"
    )
    ef = int(settings.SEARCHAPP_HNSW_EF_SEARCH)
    depth = list_depth(SearchQuery(text="bench", k=K))
    try:
        for position, factor in enumerate(rerank_factors(n, depth)):
            with override_settings(SEARCHAPP_BINARY_RERANK=factor):
                if position == 0:  # untimed: no factor pays for the new index's cold pages
                    run_sql_queries(binary, queries, item_index, ef=ef)
                run = run_sql_queries(binary, queries, item_index, ef=ef)
            row = measurement(
                "pg-hnsw", n=n, dims=space.dimensions,
                params={"path": "first page (k=10)", "depth": run["depth"], "ef_search": ef,
                        "m": settings.SEARCHAPP_HNSW_M,
                        "ef_construction": settings.SEARCHAPP_HNSW_EF_CONSTRUCTION,
                        "type": "binary", "rerank": factor, "candidates": run["depth"] * factor,
                        "uses_index": run["uses_index"]},
                recall_at_10=recall(run["found"], truth), qps=run["sql_qps"], p50_ms=run["sql_p50_ms"],
                p95_ms=run["sql_p95_ms"], call_qps=run["qps"], call_p50_ms=run["p50_ms"],
                call_p95_ms=run["p95_ms"], build_s=build_s,
                bytes={"index": binary_bytes, "halfvec_index": halfvec_bytes,
                       "index_ratio": round(binary_bytes / halfvec_bytes, 3)},
                timing="qps/p50/p95: the SQL statement alone; call_*: space_nearest as search calls it",
            )  # fmt: skip
            results.append(row)
            _say(
                f"  pg-hnsw binary rerank={factor} ({run['depth'] * factor} candidates): recall "
                f"{row['recall_at_10']:.3f}, {row['qps']:.0f} qps in SQL, p50 {row['p50_ms']:.2f} ms, "
                f"p95 {row['p95_ms']:.2f} ms (call p95 {row['call_p95_ms']:.2f} ms)"
            )
    finally:
        index_drop(binary, keep=EmbeddingSpace.IndexType.HALFVEC)


def _say(message: str) -> None:
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()
