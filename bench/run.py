"""`make bench`: searchapp's performance, measured as ratios against peers and limits
measured in the same run on the same machine.

    .venv/bin/python bench/run.py [--sizes 100000,1000000] [--sections search,filtered,ingest,api,memory]

Sections:
- search: the project's schema, space and per-space halfvec HNSW index in Postgres at N
  clustered (Gaussian mixture) 512-d unit vectors, queries near but not on stored points;
  recall@10 against exact, QPS on one connection, p50/p95, build time, bytes; beside the
  seeds' in-memory list + scikit-learn ("seed-inmemory"), an exact NumPy matrix product
  ("numpy-exact"), FAISS HNSW with the same M / ef ("faiss-hnsw") and Postgres without the
  index ("pg-exact").
- filtered: 10% and 1% selectivity, iterative index scans on and off.
- ingest: items/s through the real Celery pipeline with the ../shared models, against the
  raw ONNX Runtime throughput of the same graph, and a matmul roofline.
- api: wrk against gunicorn for GET /api/v1/search/?q= (hybrid and lexical), 30 s.
- memory: peak RSS of a web and a worker process with the models loaded; bytes per vector.

Writes bench/results/<date>-<host>.json, bench/results/latest.json and docs/benchmarks.md.
It uses its own database (searchapp_bench) on the configured server, never the app's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED_MODELS = ROOT.parent / "shared" / "models"
BENCH_DB = os.environ.get("SEARCHAPP_BENCH_DB", "searchapp_bench")
DIMS = 512
K = 10
EF_SEARCH = (40, 100, 200)

sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "searchapp.settings")
os.environ["SEARCHAPP_DATABASE_NAME"] = BENCH_DB
os.environ.setdefault("SEARCHAPP_REDIS_DB", "5")
os.environ["HF_HUB_OFFLINE"] = "1"


def say(message: str) -> None:
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def measurement(name: str, **fields: Any) -> dict[str, Any]:
    keys = (
        "n",
        "dims",
        "params",
        "recall_at_10",
        "qps",
        "p50_ms",
        "p95_ms",
        "build_s",
        "bytes",
        "peer",
        "ratio",
    )
    return {"name": name, **{key: fields.pop(key, None) for key in keys}, **fields}


def percentiles(latencies_s: list[float]) -> tuple[float, float]:
    ms = sorted(value * 1000 for value in latencies_s)
    return ms[len(ms) // 2], ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]


# --- data ---------------------------------------------------------------------------------------


def clustered_vectors(n: int, dims: int, seed: int = 7, clusters: int = 256) -> np.ndarray:
    """A Gaussian mixture on the unit sphere: what real embeddings look like far more than
    uniform noise does (uniform random vectors make every ANN index look bad)."""
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((clusters, dims)).astype(np.float32)
    centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    out = np.empty((n, dims), np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        which = rng.integers(0, clusters, stop - start)
        # Spread: the offset from the centre has norm ~0.5 (per-dimension sigma 0.5/sqrt(d)),
        # so clusters are clusters; per-dimension noise of a fixed size would drown them.
        spread = 0.5 / np.sqrt(dims)
        chunk = (
            centers[which] + rng.standard_normal((stop - start, dims)).astype(np.float32) * spread
        )
        out[start:stop] = chunk / np.linalg.norm(chunk, axis=1, keepdims=True)
    return out


def queries_near(data: np.ndarray, count: int, seed: int = 11) -> np.ndarray:
    rng = np.random.default_rng(seed)
    picked = data[rng.integers(0, len(data), count)]
    noise = 0.1 / np.sqrt(data.shape[1])  # an offset of norm ~0.1: near, not on, a stored point
    noisy = picked + rng.standard_normal(picked.shape).astype(np.float32) * noise
    return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)


def exact_top_k(
    data: np.ndarray, queries: np.ndarray, k: int, mask: np.ndarray | None = None
) -> list[list[int]]:
    scores = queries @ data.T
    if mask is not None:
        scores[:, ~mask] = -np.inf
    top = np.argpartition(-scores, k, axis=1)[:, :k]
    return [list(row[np.argsort(-scores[i, row])]) for i, row in enumerate(top)]


def recall(found: list[list[int]], truth: list[list[int]], k: int = K) -> float:
    return float(
        np.mean([len(set(f[:k]) & set(t[:k])) / k for f, t in zip(found, truth, strict=True)])
    )


# --- Postgres ---------------------------------------------------------------------------------------


def setup_django() -> None:
    import psycopg

    from searchapp import localstack

    if not os.environ.get("DATABASE_URL"):
        info = localstack.ensure_postgres(localstack.data_dir_from_env())
        with psycopg.connect(host=str(info.socket_dir), port=info.port, user="postgres", dbname="postgres",
                             autocommit=True) as conn:  # fmt: skip
            conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def load_space(n: int, data: np.ndarray) -> tuple[Any, list[int], float]:
    """n items (category p1 = 1%, p10 = 9% more: 10% together) and their vectors in a new
    space, loaded with COPY; then the space's HNSW index is built (timed)."""
    from django.db import connection
    from pgvector.psycopg import register_vector

    from embeddings.index import index_create
    from embeddings.models import EmbeddingSpace

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE catalog_item, embeddings_embedding, embeddings_itemembeddingstate CASCADE"
        )
        cursor.execute(
            "INSERT INTO catalog_item (external_id, title, description, category, price, attributes, "
            "is_active, created_at, updated_at) "
            "SELECT 'b' || g, 'bench item ' || g, '', "
            "CASE WHEN g %% 100 = 0 THEN 'p1' WHEN g %% 10 = 0 THEN 'p10' ELSE 'other' END, "
            "(g %% 1000)::numeric, '{}'::jsonb, true, now(), now() FROM generate_series(1, %s) g",
            [n],
        )
        cursor.execute("SELECT id FROM catalog_item ORDER BY id")
        item_ids = [row[0] for row in cursor.fetchall()]
    space = EmbeddingSpace.objects.create(
        name=f"bench-{n}", provider_alias="bench", model_name="synthetic", dimensions=DIMS,
        embeds_text=True, embeds_images=False, status=EmbeddingSpace.Status.ACTIVE,
    )  # fmt: skip
    connection.ensure_connection()
    raw = connection.connection
    register_vector(raw)
    started = time.perf_counter()
    with (
        raw.cursor() as cursor,
        cursor.copy(
            "COPY embeddings_embedding (space_id, item_id, vector, input_sha256, embedded_at) FROM STDIN WITH (FORMAT BINARY)"
        ) as copy,
    ):
        copy.set_types(["int8", "int8", "vector", "varchar", "timestamptz"])
        now = datetime.now(UTC)
        for item_id, vector in zip(item_ids, data, strict=True):
            copy.write_row([space.pk, item_id, vector, "bench", now])
    raw.commit()
    say(f"loaded {n} vectors in {time.perf_counter() - started:.1f}s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_item")
        cursor.execute("ANALYZE embeddings_embedding")
        cursor.execute("SET maintenance_work_mem = '3GB'")
        cursor.execute("SET max_parallel_maintenance_workers = 1")
    started = time.perf_counter()
    index_create(space)  # the product's own DDL (CONCURRENTLY)
    build_s = time.perf_counter() - started
    say(f"HNSW index built in {build_s:.1f}s")
    return space, item_ids, build_s


def relation_bytes(space: Any) -> tuple[int, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_relation_size(%s::regclass)", [space.index_name])
        index_bytes = cursor.fetchone()[0]
        cursor.execute("SELECT pg_total_relation_size('embeddings_embedding')")
        table_bytes = cursor.fetchone()[0]
    return int(index_bytes), int(table_bytes)


def run_sql_queries(space: Any, queries: np.ndarray, item_index: dict[int, int], *, ef: int,
                    filters: Any = None, iterative: str = "relaxed_order", exact: bool = False,
                    exact_max_items: int = 20000) -> dict[str, Any]:  # fmt: skip
    """The product's own vector query (embeddings.index.space_nearest: the space's HNSW
    index, iterative scans, over-fetch and collapse), timed per query on one connection."""
    from django.db import connection, transaction
    from django.test import override_settings

    from catalog.filters import ItemFilter
    from embeddings.index import exact_search_pays, space_nearest, space_nearest_sql
    from search.query import SearchQuery
    from search.retrieve import list_depth

    filters = filters or ItemFilter()
    query_shape = SearchQuery(text="bench", item_filter=filters, k=K)
    depth = list_depth(query_shape)
    latencies: list[float] = []
    found: list[list[int]] = []
    probe = "[" + ",".join(["0"] * (DIMS - 1) + ["1"]) + "]"
    with (
        transaction.atomic(),
        override_settings(SEARCHAPP_HNSW_EF_SEARCH=ef, SEARCHAPP_HNSW_ITERATIVE_SCAN=iterative,
                          SEARCHAPP_EXACT_SEARCH_MAX_ITEMS=exact_max_items),
    ):  # fmt: skip
        exact_path = exact_search_pays(item_filter=filters, depth=depth)
        rows = depth * (2 if space.embeds_images else 1)  # as space_nearest asks
        sql, params = space_nearest_sql(
            space=space, item_filter=filters, vector=probe, limit=rows, exact=exact_path
        )
        with connection.cursor() as cursor:
            if exact:
                cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        for query in queries:
            started = time.perf_counter()
            ranked = space_nearest(
                space=space, vector=query, item_filter=filters, depth=depth, exact=exact_path
            )
            latencies.append(time.perf_counter() - started)
            found.append([item_index[entry.item_id] for entry in ranked[:K]])
    p50, p95 = percentiles(latencies)
    return {"found": found, "p50_ms": p50, "p95_ms": p95, "qps": len(queries) / sum(latencies),
            "uses_index": space.index_name in plan, "depth": depth,
            "path": "exact (selective filter)" if exact_path else "hnsw"}  # fmt: skip


# --- sections ------------------------------------------------------------------------------------------


def section_search(
    n: int, n_queries: int, results: list[dict[str, Any]]
) -> tuple[Any, np.ndarray, dict[int, int], list[int]]:
    from django.conf import settings

    say(f"search at n={n}")
    m, ef_construction = settings.SEARCHAPP_HNSW_M, settings.SEARCHAPP_HNSW_EF_CONSTRUCTION
    data = clustered_vectors(n, DIMS)
    queries = queries_near(data, n_queries)
    truth = exact_top_k(data, queries, K)
    space, item_ids, build_s = load_space(n, data)
    item_index = {item_id: position for position, item_id in enumerate(item_ids)}
    index_bytes, table_bytes = relation_bytes(space)
    best_pg: dict[str, Any] = {}
    for ef in EF_SEARCH:
        run = run_sql_queries(space, queries, item_index, ef=ef)
        row = measurement(
            "pg-hnsw", n=n, dims=DIMS, params={"m": m, "ef_construction": ef_construction, "ef_search": ef,
                                                "type": "halfvec", "uses_index": run["uses_index"]},
            recall_at_10=recall(run["found"], truth), qps=run["qps"], p50_ms=run["p50_ms"], p95_ms=run["p95_ms"],
            build_s=build_s, bytes={"index": index_bytes, "table_with_indexes": table_bytes},
        )  # fmt: skip
        results.append(row)
        say(
            f"  pg-hnsw ef={ef}: recall {row['recall_at_10']:.3f}, {row['qps']:.0f} qps, p95 {row['p95_ms']:.1f} ms"
        )
        if ef == 100:
            best_pg = row
    # Peers, in the same run.
    exact_pg = run_sql_queries(space, queries[: min(50, n_queries)], item_index, ef=40, exact=True)
    results.append(measurement(
        "pg-exact", n=n, dims=DIMS, params={"index": "none (seq scan)"},
        recall_at_10=recall(exact_pg["found"], truth[: len(exact_pg["found"])]), qps=exact_pg["qps"],
        p50_ms=exact_pg["p50_ms"], p95_ms=exact_pg["p95_ms"], peer="pg-hnsw ef=100",
        ratio=best_pg["qps"] / exact_pg["qps"],
    ))  # fmt: skip
    started_all: list[float] = []
    for query in queries:
        started = time.perf_counter()
        scores = data @ query
        top = np.argpartition(-scores, K)[:K]
        top[np.argsort(-scores[top])]
        started_all.append(time.perf_counter() - started)
    p50, p95 = percentiles(started_all)
    numpy_qps = len(queries) / sum(started_all)
    results.append(measurement("numpy-exact", n=n, dims=DIMS, params={"dtype": "float32"}, recall_at_10=1.0,
                               qps=numpy_qps, p50_ms=p50, p95_ms=p95, peer="pg-hnsw ef=100",
                               ratio=best_pg["qps"] / numpy_qps))  # fmt: skip
    from sklearn.metrics.pairwise import cosine_similarity

    as_list = [row for row in data]  # the seeds kept embeddings in a Python list
    seed_queries = queries[: 10 if n >= 1_000_000 else 30]
    latencies = []
    found = []
    for query in seed_queries:
        started = time.perf_counter()
        similarities = cosine_similarity([query], as_list)[0]
        order = np.argsort(-similarities)[:K]
        latencies.append(time.perf_counter() - started)
        found.append(list(order))
    p50, p95 = percentiles(latencies)
    seed_qps = len(seed_queries) / sum(latencies)
    results.append(measurement("seed-inmemory", n=n, dims=DIMS, params={"queries": len(seed_queries)},
                               recall_at_10=recall(found, truth[: len(found)]), qps=seed_qps, p50_ms=p50, p95_ms=p95,
                               peer="pg-hnsw ef=100", ratio=best_pg["qps"] / seed_qps))  # fmt: skip
    import faiss

    faiss.omp_set_num_threads(2)
    index = faiss.IndexHNSWFlat(DIMS, m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = ef_construction
    started = time.perf_counter()
    index.add(data)
    faiss_build = time.perf_counter() - started
    faiss.omp_set_num_threads(1)
    for ef in EF_SEARCH:
        index.hnsw.efSearch = ef
        latencies, found = [], []
        for query in queries:
            started = time.perf_counter()
            _, ids = index.search(query[None, :], K)
            latencies.append(time.perf_counter() - started)
            found.append(list(ids[0]))
        p50, p95 = percentiles(latencies)
        pg_row = next(
            r
            for r in results
            if r["name"] == "pg-hnsw" and r["n"] == n and r["params"]["ef_search"] == ef
        )
        results.append(measurement(
            "faiss-hnsw", n=n, dims=DIMS, params={"m": m, "ef_construction": ef_construction, "ef_search": ef,
                                                   "type": "float32"},
            recall_at_10=recall(found, truth), qps=len(queries) / sum(latencies), p50_ms=p50, p95_ms=p95,
            build_s=faiss_build, peer=f"pg-hnsw ef={ef}", ratio=pg_row["qps"] / (len(queries) / sum(latencies)),
        ))  # fmt: skip
        say(
            f"  faiss ef={ef}: recall {results[-1]['recall_at_10']:.3f}, {results[-1]['qps']:.0f} qps"
        )
    return space, data, item_index, item_ids


def section_filtered(n: int, space: Any, data: np.ndarray, item_index: dict[int, int], item_ids: list[int],
                     n_queries: int, results: list[dict[str, Any]]) -> None:  # fmt: skip
    from catalog.filters import ItemFilter

    say(f"filtered at n={n}")
    queries = queries_near(data, n_queries, seed=23)
    positions = np.arange(1, n + 1)
    for label, categories, mask in [
        ("10%", ("p1", "p10"), positions % 10 == 0),
        ("1%", ("p1",), positions % 100 == 0),
    ]:
        truth = exact_top_k(data, queries, K, mask=mask)
        # One untimed pass first, so that no variant below pays for cold pages alone.
        run_sql_queries(
            space, queries, item_index, ef=100, filters=ItemFilter(categories=categories)
        )
        # The product's choice (an exact scan when the filter leaves <= 20,000 items), then the
        # HNSW index alone with iterative scans on and off.
        for iterative, exact_max in (("relaxed_order", 20000), ("relaxed_order", 0), ("off", 0)):
            run = run_sql_queries(space, queries, item_index, ef=100, filters=ItemFilter(categories=categories),
                                  iterative=iterative, exact_max_items=exact_max)  # fmt: skip
            returned = float(np.mean([len(f) for f in run["found"]]))
            results.append(measurement(
                "pg-hnsw-filtered", n=n, dims=DIMS,
                params={"selectivity": label, "path": run["path"], "exact_max_items": exact_max,
                        "iterative_scan": iterative, "ef_search": 100, "uses_index": run["uses_index"]},
                recall_at_10=recall(run["found"], truth), qps=run["qps"], p50_ms=run["p50_ms"], p95_ms=run["p95_ms"],
                returned_of_k=returned,
            ))  # fmt: skip
            say(
                f"  {label} {run['path']} iterative={iterative}: recall {results[-1]['recall_at_10']:.3f}, "
                f"returned {returned:.1f}/{K}, p95 {run['p95_ms']:.1f} ms, index={run['uses_index']}"
            )


def section_quality(sizes: list[int], results: list[dict[str, Any]]) -> None:
    """quality: the near-duplicate scan (quality.neighbours: a k-NN self-join over the
    space's HNSW index, a batch of vectors per statement) at each size, with one planted
    near-copy per 1,000 items; seconds, ms per vector and the planted pairs found. Time
    per vector flat as n grows is the O(n log n) of one index search per vector; an
    all-pairs scan would grow n times."""
    from quality.detectors import duplicate_groups
    from quality.models import FindingKind
    from quality.neighbours import near_pairs

    for n in sizes:
        data = clustered_vectors(n, DIMS, seed=23)
        rng = np.random.default_rng(5)
        planted = list(range(0, n - 1, 1000))
        for first in planted:  # item first+1 becomes a near-copy of item first
            noisy = data[first] + rng.standard_normal(DIMS).astype(np.float32) * (
                0.05 / np.sqrt(DIMS)
            )
            data[first + 1] = noisy / np.linalg.norm(noisy)
        space, item_ids, build_s = load_space(n, data)
        started = time.perf_counter()
        pairs = near_pairs(space=space, images=False, neighbours=K, min_similarity=0.97)
        groups = duplicate_groups(pairs, kind=FindingKind.DUPLICATE, source="text")
        seconds = time.perf_counter() - started
        wanted = {(item_ids[i], item_ids[i + 1]) for i in planted}
        found = len(wanted & set(pairs))
        say(f"quality n={n}: {seconds:.1f}s, {len(groups)} groups, {found}/{len(wanted)} planted")
        results.append(measurement(
            "quality-duplicate-scan", n=n, build_s=build_s, recall_at_10=found / max(len(wanted), 1),
            p50_ms=1000 * seconds / n,
            params={"k": K, "threshold": 0.97, "seconds": round(seconds, 1), "groups": len(groups),
                    "planted": len(wanted), "ms_per_vector": round(1000 * seconds / n, 3)},
        ))  # fmt: skip


def matmul_gflops() -> float:
    a = np.random.default_rng(0).standard_normal((1024, 1024)).astype(np.float32)
    a @ a
    started = time.perf_counter()
    for _ in range(10):
        a @ a
    return 10 * 2 * 1024**3 / (time.perf_counter() - started) / 1e9


def section_ingest(results: list[dict[str, Any]], n_items: int) -> None:
    if not SHARED_MODELS.is_dir():
        say("ingest skipped: ../shared/models is absent")
        return
    import io

    from django.conf import settings
    from django.test import override_settings
    from PIL import Image

    from catalog import services as catalog_services
    from catalog.images import image_from_bytes
    from catalog.models import Item
    from embeddings import selectors
    from embeddings.inputs import item_text, source_part
    from embeddings.providers.base import InputType
    from embeddings.providers.registry import providers
    from embeddings.queue import claim_size
    from embeddings.spaces import space_create
    from searchapp.env import embedding_providers_from_env

    say(f"ingest with {n_items} items")
    os.environ["SEARCHAPP_MODEL_DIR"] = str(SHARED_MODELS)
    configured = embedding_providers_from_env()
    media = Path(settings.DATA_DIR) / "bench-media"
    gflops = matmul_gflops()
    rng = np.random.default_rng(5)
    with override_settings(EMBEDDING_PROVIDERS=configured, MEDIA_ROOT=media):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE catalog_item, embeddings_embedding, embeddings_itemembeddingstate, "
                           "embeddings_embeddingspace CASCADE")  # fmt: skip
        words = ["red", "blue", "green", "mug", "lamp", "shirt", "boots", "bag", "tent", "bottle", "cushion",
                 "clock", "notebook", "pencil", "ceramic"]  # fmt: skip
        for n in range(n_items):
            buffer = io.BytesIO()
            Image.fromarray(rng.integers(0, 255, (256, 256, 3), dtype=np.uint8)).save(
                buffer, "JPEG", quality=85
            )
            catalog_services.item_create(
                external_id=f"ingest-{n}", title=" ".join(rng.choice(words, 3)),
                description=" ".join(rng.choice(words, 30)), category="bench",
                images=[image_from_bytes(buffer.getvalue())],
            )  # fmt: skip
        items = list(Item.objects.prefetch_related("images"))
        env = {**os.environ, "SEARCHAPP_EMBEDDING_PROVIDERS": json.dumps(configured),
               "SEARCHAPP_MEDIA_ROOT": str(media), "SEARCHAPP_ONNX_THREADS": "1"}  # fmt: skip
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "searchapp", "worker", "-l", "warning", "--concurrency", "2",
             "--without-gossip", "--without-mingle"], cwd=ROOT, env=env,
        )  # fmt: skip
        try:
            time.sleep(8)  # let both worker processes import the app
            for alias in configured:
                provider = providers[alias]
                inputs_text = [[source_part(item, None)] for item in items]
                inputs_image = (
                    [[source_part(item, item.images.all()[0])] for item in items]
                    if provider.capabilities.image
                    else []
                )
                provider.embed(inputs_text[:2], input_type=InputType.DOCUMENT)  # load the model
                started = time.perf_counter()
                provider.embed(inputs_text + inputs_image, input_type=InputType.DOCUMENT)
                raw_s = time.perf_counter() - started
                raw_rate = (len(inputs_text) + len(inputs_image)) / raw_s
                started = time.perf_counter()
                space = space_create(name=f"ingest-{alias}", provider_alias=alias, activate=True)
                while True:
                    progress = selectors.space_progress(space=space)
                    if progress.ready + progress.failed >= progress.total:
                        break
                    time.sleep(0.1)
                pipe_s = time.perf_counter() - started
                pipe_rate = (len(inputs_text) + len(inputs_image)) / pipe_s
                steady_rate = steady_state_rate(space)
                tokens = np.mean([len(item_text(item).split()) for item in items]) * 1.3
                flops = 4.4e9 if provider.capabilities.image else 2 * 22.7e6 * tokens
                results.append(measurement(
                    "ingest-pipeline", params={"alias": alias, "items": len(items), "images": len(inputs_image),
                                               "worker_processes": 2, "onnx_threads_per_process": 1,
                                               "batch": provider.capabilities.max_batch,
                                               "claim": claim_size(provider)},
                    qps=steady_rate, peer="raw-onnx (same graph, batch, 2 threads, one process)",
                    ratio=steady_rate / raw_rate, end_to_end_inputs_per_s=pipe_rate,
                    end_to_end_note="from space creation, including the worker's model load and task pick-up",
                    items_per_s=len(items) / pipe_s, images_per_s=len(inputs_image) / pipe_s,
                    raw_inputs_per_s=raw_rate, failed=progress.failed,
                    roofline_inputs_per_s=gflops * 1e9 / flops, matmul_gflops=gflops,
                    roofline_note="float32 matmul GFLOP/s x approximate float FLOPs per input (int8 graphs can exceed it)",
                ))  # fmt: skip
                say(
                    f"  {alias}: pipeline steady {steady_rate:.1f} inputs/s (end to end {pipe_rate:.1f}), "
                    f"raw {raw_rate:.1f} inputs/s, ratio {steady_rate / raw_rate:.2f}"
                )
            results.append(measurement("memory-worker-process", bytes=peak_child_rss(worker),
                                       params={"measure": "peak RSS (VmHWM) of a Celery worker process",
                                               "models": ", ".join(configured), "onnx_threads": 1}))  # fmt: skip
        finally:
            worker.terminate()
            worker.wait(timeout=30)


def steady_state_rate(space: Any) -> float:
    """Inputs stored per second between the first and the last stored batch: the
    pipeline's throughput once models are loaded (each batch is stored in one statement,
    so its rows share embedded_at)."""
    from django.db.models import Max, Min

    from embeddings.models import Embedding

    rows = Embedding.objects.filter(space=space)
    bounds = rows.aggregate(first=Min("embedded_at"), last=Max("embedded_at"))
    if bounds["first"] is None or bounds["first"] == bounds["last"]:
        return float("nan")
    after_first = rows.filter(embedded_at__gt=bounds["first"]).count()
    return after_first / (bounds["last"] - bounds["first"]).total_seconds()


def section_api(results: list[dict[str, Any]], seconds: int) -> None:
    if not Path("/usr/bin/wrk").exists():
        say("api skipped: wrk is not installed (apt-get install wrk)")
        return
    from django.conf import settings

    say("api load with wrk")
    port = free_port()
    env = {**os.environ, "SEARCHAPP_THROTTLE": "false", "SEARCHAPP_ONNX_THREADS": "1",
           "SEARCHAPP_MODEL_DIR": str(SHARED_MODELS) if SHARED_MODELS.is_dir() else ""}  # fmt: skip
    if not env["SEARCHAPP_MODEL_DIR"]:
        env.pop("SEARCHAPP_MODEL_DIR")
    web = subprocess.Popen([sys.executable, "-m", "gunicorn", "searchapp.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}",
                            "--log-level", "warning"], cwd=ROOT, env=env)  # fmt: skip
    try:
        wait_http(f"http://127.0.0.1:{port}/api/v1/health/")
        for mode in ("hybrid", "lexical"):
            url = f"http://127.0.0.1:{port}/api/v1/search/?q=red+ceramic+mug&mode={mode}"
            subprocess.run(
                ["curl", "-s", "-o", "/dev/null", url], check=False
            )  # warm both workers' models
            subprocess.run(["curl", "-s", "-o", "/dev/null", url], check=False)
            out = subprocess.run(["wrk", "-t2", "-c4", f"-d{seconds}s", "--latency", url], capture_output=True,
                                 text=True, check=True).stdout  # fmt: skip
            parsed = parse_wrk(out)
            results.append(measurement(
                "api-search", params={"mode": mode, "concurrency": 4, "seconds": seconds, "server": "gunicorn -w 2",
                                      "throttling": "off", "catalog": "the ingest section's items",
                                      "query_cache": "repeated query text: query-vector cache hits"},
                qps=parsed["rps"], p50_ms=parsed["p50"], p95_ms=None, p99_ms=parsed["p99"],
                errors=parsed["errors"], requests=parsed["requests"],
            ))  # fmt: skip
            say(
                f"  {mode}: {parsed['rps']:.0f} req/s, p50 {parsed['p50']:.1f} ms, p99 {parsed['p99']:.1f} ms, "
                f"errors {parsed['errors']}"
            )
        memory_rows(results, web, settings)
    finally:
        web.terminate()
        web.wait(timeout=30)


def peak_child_rss(parent: subprocess.Popen[bytes]) -> int:
    """The largest peak resident set (VmHWM) among a server's child processes, in bytes."""
    import psutil

    peaks = []
    for child in psutil.Process(parent.pid).children():
        status = Path(f"/proc/{child.pid}/status").read_text()
        kilobytes = next(
            line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")
        )
        peaks.append(int(kilobytes) * 1024)
    return max(peaks, default=0)


def memory_rows(results: list[dict[str, Any]], web: subprocess.Popen[bytes], settings: Any) -> None:
    results.append(measurement("memory-web-process", bytes=peak_child_rss(web),
                               params={"measure": "peak RSS (VmHWM) of a gunicorn worker",
                                       "models": "loaded by the search queries"}))  # fmt: skip


def parse_wrk(out: str) -> dict[str, float]:
    import re

    def ms(value: str) -> float:
        number, unit = re.match(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
        return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    errors = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
            "p50": ms(latency["50"]), "p99": ms(latency["99"]),
            "errors": errors + (int(non2xx.group(1)) if non2xx else 0), "requests": requests}  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


# --- report ----------------------------------------------------------------------------------------------


def write_report(results: list[dict[str, Any]], meta: dict[str, Any]) -> Path:
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    document = {"meta": meta, "measurements": results}
    name = f"{datetime.now(UTC):%Y-%m-%d}-{socket.gethostname()}.json"
    for path in (out_dir / name, out_dir / "latest.json"):
        path.write_text(json.dumps(document, indent=1, default=float))
    docs = ROOT / "docs"
    docs.mkdir(exist_ok=True)
    lines = [
        "# Benchmarks", "",
        f"Made by `make bench` on {meta['date']} on `{meta['host']}` ({meta['cpus']} CPUs, {meta['platform']}). "
        "Every ratio compares two figures measured in the same run. Raw data: `bench/results/latest.json`.", "",
        "Ratios: for a peer row, the project's QPS divided by the peer's (above 1: the project is faster); "
        "for ingest rows, pipeline throughput divided by raw ONNX Runtime throughput.", "",
        "| name | n | params | recall@10 | QPS | p50 ms | p95 ms | build s | bytes | peer | ratio |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]  # fmt: skip

    def fmt(value: Any, digits: int = 1) -> str:
        if value is None:
            return ""
        if isinstance(value, float):
            return f"{value:.{digits}f}"
        return str(value)

    for row in results:
        params = ", ".join(f"{k}={v}" for k, v in (row.get("params") or {}).items())
        lines.append(
            f"| {row['name']} | {fmt(row['n'])} | {params} | {fmt(row['recall_at_10'], 3)} | {fmt(row['qps'])} | "
            f"{fmt(row['p50_ms'], 2)} | {fmt(row['p95_ms'], 2)} | {fmt(row['build_s'])} | {fmt(row['bytes'], 0)} | "
            f"{fmt(row['peer'])} | "
            f"{fmt(row['ratio'], 2)} |"
        )
    extras = [row for row in results if row["name"] in {"ingest-pipeline", "api-search", "memory-web-process"}
              or row["name"] == "pg-hnsw-filtered"]  # fmt: skip
    if extras:
        lines += ["", "Details of the ingest, API, memory and filtered rows:", ""]
        for row in extras:
            detail = {k: v for k, v in row.items() if v is not None and k not in {"name"}}
            lines.append(f"- `{row['name']}`: {json.dumps(detail, default=float)}")
    (docs / "benchmarks.md").write_text("\n".join(lines) + "\n")
    return out_dir / "latest.json"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--sections", default="search,filtered,ingest,api")
    parser.add_argument("--ingest-items", type=int, default=1024)
    parser.add_argument("--api-seconds", type=int, default=30)
    args = parser.parse_args()
    sections = set(args.sections.split(","))
    setup_django()
    results: list[dict[str, Any]] = []
    started = time.perf_counter()
    for n in [int(size) for size in args.sizes.split(",") if size]:
        if sections & {"search", "filtered"}:
            space, data, item_index, item_ids = section_search(n, args.queries, results)
            index_bytes, table_bytes = relation_bytes(space)
            results.append(measurement("bytes-per-vector", n=n, dims=DIMS, bytes=table_bytes / n,
                                       params={"includes": "row + halfvec HNSW index + other indexes"}))  # fmt: skip
            if "filtered" in sections:
                section_filtered(n, space, data, item_index, item_ids, args.queries, results)
    if "quality" in sections:
        section_quality([int(size) for size in args.sizes.split(",") if size], results)
    if "ingest" in sections:
        section_ingest(results, args.ingest_items)
    if "api" in sections:
        section_api(results, args.api_seconds)
    meta = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"), "host": socket.gethostname(),
        "cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
        "sizes": args.sizes, "queries": args.queries, "sections": sorted(sections),
        "total_s": round(time.perf_counter() - started, 1),
        "median_note": "latencies are per query on one connection; QPS = queries / summed latency",
    }  # fmt: skip
    path = write_report(results, meta)
    say(f"wrote {path} and docs/benchmarks.md in {meta['total_s']}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
