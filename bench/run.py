"""`make bench`: searchapp's performance, measured as ratios against peers and limits
measured in the same run on the same machine.

    .venv/bin/python bench/run.py [--sizes 100000,1000000] [--sections search,filtered,ingest,api,lexical,shop,gateway]

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
- memory: peak RSS of a web and a worker process with the models loaded; bytes per vector
  (measured by the ingest and api sections).
- lexical: p50/p95 of BM25, fuzzy titles and identifiers, each list alone and the whole
  lexical `item_search`, against `ts_rank` on the same queries, on the ../shared books and on
  100k synthetic items (`--lexical-items`), with how long each catalog took to load.
- memory: peak RSS of a web and a worker process with the models loaded; bytes per vector.
- shop: suggestions while typing, and lexical search with and without facets on the same
  queries (plus facets of the whole catalog), on the lexical section's 100k synthetic items.
- gateway: inputs/s through /embeddings/v1/embeddings with 8 clients (batches of 32) against
  the raw provider, and p50/p95 of a single query; micro-batching in the web process against
  a pool of worker processes.

Writes bench/results/<date>-<host>.json, bench/results/latest.json and docs/benchmarks.md;
the rows of the sections a run measures replace those sections' rows in the results files,
the other sections' rows (and the meta of the run that measured them) are kept.
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
EF_SEARCH = (40, 64, 100, 200)
FAISS_EF_SEARCH = (16, 24, 32, 40, 64, 100, 200)

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
    started = time.perf_counter()
    index_create(space)  # the product's own DDL (CONCURRENTLY), with the server's settings
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


def server_settings() -> dict[str, str]:
    """The settings of the server the rows were measured on (they decide build and query cost)."""
    from django.db import connection

    names = ("shared_buffers", "effective_cache_size", "maintenance_work_mem",
             "max_parallel_maintenance_workers", "jit")  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, current_setting(name) FROM unnest(%s::text[]) name", [list(names)]
        )
        return dict(cursor.fetchall())


def run_sql_queries(space: Any, queries: np.ndarray, item_index: dict[int, int], *, ef: int,
                    filters: Any = None, iterative: str = "relaxed_order", exact: bool = False,
                    exact_max_items: int = 20000, k: int = K, depth: int | None = None,
                    max_scan_tuples: int | None = None) -> dict[str, Any]:  # fmt: skip
    """The product's own vector query for a page of ``k`` (embeddings.index.space_nearest:
    the space's HNSW index, iterative scans, over-fetch and collapse; each list as deep as
    search.retrieve.list_depth reads it, or ``depth``), timed per query on one connection:
    the call as search makes it, and its SQL statement alone (sent and fetched)."""
    from django.conf import settings
    from django.db import connection, transaction
    from django.test import override_settings

    from catalog.filters import ItemFilter
    from embeddings.index import exact_search_pays, space_nearest, space_nearest_sql
    from search.query import SearchQuery
    from search.retrieve import list_depth
    from searchapp.db import vector_cursor

    filters = filters or ItemFilter()
    depth = depth or list_depth(SearchQuery(text="bench", item_filter=filters, k=k))
    scan_tuples = max_scan_tuples or settings.SEARCHAPP_HNSW_MAX_SCAN_TUPLES
    latencies: list[float] = []
    sql_latencies: list[float] = []
    found: list[list[int]] = []
    probe = "[" + ",".join(["0"] * (DIMS - 1) + ["1"]) + "]"
    with (
        transaction.atomic(),
        override_settings(SEARCHAPP_HNSW_EF_SEARCH=ef, SEARCHAPP_HNSW_ITERATIVE_SCAN=iterative,
                          SEARCHAPP_EXACT_SEARCH_MAX_ITEMS=exact_max_items,
                          SEARCHAPP_HNSW_MAX_SCAN_TUPLES=scan_tuples),
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
            found.append([item_index[entry.item_id] for entry in ranked[:k]])
        # The statement alone, with the settings space_nearest gives it, on its kind of cursor.
        with vector_cursor(connection) as cursor:
            cursor.execute(
                "SELECT set_config('hnsw.ef_search', %s, true), set_config('hnsw.iterative_scan', %s, true), "
                "set_config('hnsw.max_scan_tuples', %s, true)", [str(ef), iterative, str(scan_tuples)],
            )  # fmt: skip
            for query in queries:
                sql, params = space_nearest_sql(space=space, item_filter=filters, vector=query,
                                                limit=rows, exact=exact_path)  # fmt: skip
                started = time.perf_counter()
                cursor.execute(sql, params)
                cursor.fetchall()
                sql_latencies.append(time.perf_counter() - started)
    p50, p95 = percentiles(latencies)
    sql_p50, sql_p95 = percentiles(sql_latencies)
    return {"found": found, "p50_ms": p50, "p95_ms": p95, "qps": len(queries) / sum(latencies),
            "sql_p50_ms": sql_p50, "sql_p95_ms": sql_p95, "sql_qps": len(queries) / sum(sql_latencies),
            "uses_index": space.index_name in plan, "depth": depth,
            "path": "exact (selective filter)" if exact_path else "hnsw"}  # fmt: skip


def cold_and_prewarmed(space: Any, queries: np.ndarray, item_index: dict[int, int],
                       truth: list[list[int]], n: int, results: list[dict[str, Any]]) -> None:  # fmt: skip
    """The first 100 first-page queries after a restart of the embedded server (page cache
    dropped where the kernel lets us), cold, then prewarmed (the product's index prewarm,
    which `make run` does after starting the server)."""
    from django.db import connections

    from embeddings.prewarm import indexes_prewarm
    from searchapp import localstack

    if os.environ.get("DATABASE_URL"):
        say("cold/prewarmed rows skipped: an external server is not restarted by the benchmark")
        return
    data_dir = localstack.data_dir_from_env()
    first = queries[:100]
    for state in ("cold", "prewarmed"):
        connections.close_all()
        localstack.stop_postgres(data_dir)
        try:
            subprocess.run(["sync"], check=False)
            Path("/proc/sys/vm/drop_caches").write_text("3\n")
            page_cache = "dropped"
        except OSError:
            page_cache = "kept (no permission to drop it)"
        # cold: without autoprewarm's list of what the buffers held at shutdown.
        localstack.postgres_restart(data_dir, cold=True)
        prewarm_s = None
        if state == "prewarmed":
            started = time.perf_counter()
            loaded = indexes_prewarm()
            prewarm_s = time.perf_counter() - started
            say(f"  prewarmed {sum(p.bytes for p in loaded) / 2**20:.0f} MiB in {prewarm_s:.1f}s")
        run = run_sql_queries(space, first, item_index, ef=100)
        results.append(measurement(
            "pg-hnsw-restart", n=n, dims=DIMS,
            params={"state": state, "queries": len(first), "k": K, "depth": run["depth"], "ef_search": 100,
                    "page_cache": page_cache},
            recall_at_10=recall(run["found"], truth[: len(first)]), qps=run["qps"], p50_ms=run["p50_ms"],
            p95_ms=run["p95_ms"], build_s=prewarm_s,
        ))  # fmt: skip
        say(
            f"  {state}: first {len(first)} queries p50 {run['p50_ms']:.1f} ms, p95 {run['p95_ms']:.1f} ms"
        )


def faiss_at_recall(faiss_rows: list[dict[str, Any]], wanted: float) -> dict[str, Any]:
    """The cheapest FAISS row that reaches ``wanted`` recall (else its most accurate one):
    the peer at equal recall."""
    reaching = [row for row in faiss_rows if row["recall_at_10"] >= wanted - 0.005]
    if reaching:
        return max(reaching, key=lambda row: row["qps"])
    return max(faiss_rows, key=lambda row: row["recall_at_10"])


# --- sections ------------------------------------------------------------------------------------------


def section_search(
    n: int, n_queries: int, results: list[dict[str, Any]]
) -> tuple[Any, np.ndarray, dict[int, int], list[int]]:
    """The vector path. The product's first page (k=10) reads list_depth rows (40) with
    hnsw.ef_search at each of EF_SEARCH: ef is what changes cost and recall there. Then the
    deeper reads (k=24 pages, the relevant set's 200 rows, where iterative scans go past ef),
    a restart cold and prewarmed, and the peers; FAISS at equal recall is the ratio's peer."""
    from django.conf import settings

    from search.query import SearchQuery
    from search.retrieve import list_depth

    say(f"search at n={n}")
    m, ef_construction = settings.SEARCHAPP_HNSW_M, settings.SEARCHAPP_HNSW_EF_CONSTRUCTION
    data = clustered_vectors(n, DIMS)
    queries = queries_near(data, n_queries)
    truth = exact_top_k(data, queries, K)
    space, item_ids, build_s = load_space(n, data)
    item_index = {item_id: position for position, item_id in enumerate(item_ids)}
    index_bytes, table_bytes = relation_bytes(space)
    server = server_settings()
    results.append(measurement(
        "pg-hnsw-build", n=n, dims=DIMS, build_s=build_s, bytes={"index": index_bytes, "table_with_indexes": table_bytes},
        params={"m": m, "ef_construction": ef_construction, **server},
    ))  # fmt: skip
    say(f"  build {build_s:.1f}s with {server}")
    run_sql_queries(space, queries, item_index, ef=100)  # untimed: every row below starts warm
    pg_rows: list[dict[str, Any]] = []
    first_page = list_depth(SearchQuery(text="bench", k=K))
    reads = [(K, first_page, ef) for ef in EF_SEARCH]
    reads += [
        (K, list_depth(SearchQuery(text="bench", k=24)), 100),
        (K, settings.SEARCHAPP_RELEVANT_DEPTH, 100),
    ]
    for k, depth, ef in reads:
        run = run_sql_queries(space, queries, item_index, ef=ef, k=k, depth=depth)
        path = "first page (k=10)" if depth == first_page else f"{depth} rows"
        row = measurement(
            "pg-hnsw", n=n, dims=DIMS,
            params={"path": path, "depth": depth, "ef_search": ef, "m": m, "ef_construction": ef_construction,
                    "type": "halfvec", "uses_index": run["uses_index"]},
            recall_at_10=recall(run["found"], truth), qps=run["sql_qps"], p50_ms=run["sql_p50_ms"],
            p95_ms=run["sql_p95_ms"], call_qps=run["qps"], call_p50_ms=run["p50_ms"], call_p95_ms=run["p95_ms"],
            timing="qps/p50/p95: the SQL statement alone; call_*: space_nearest as search calls it",
        )  # fmt: skip
        results.append(row)
        pg_rows.append(row)
        say(f"  pg-hnsw {path} ef={ef}: recall {row['recall_at_10']:.3f}, {row['qps']:.0f} qps in SQL, "
            f"p95 {row['p95_ms']:.2f} ms (call p95 {row['call_p95_ms']:.2f} ms)")  # fmt: skip
    reference = next(row for row in pg_rows if row["params"]["ef_search"] == 100
                     and row["params"]["depth"] == first_page)  # fmt: skip
    from binary import binary_rows  # bench/binary.py: the binary-quantised index option

    binary_rows(n, space, queries, truth, item_index, results, measurement, recall, run_sql_queries)  # fmt: skip
    cold_and_prewarmed(space, queries, item_index, truth, n, results)
    # Peers, in the same run.
    exact_pg = run_sql_queries(space, queries[: min(50, n_queries)], item_index, ef=40, exact=True)
    results.append(measurement(
        "pg-exact", n=n, dims=DIMS, params={"index": "none (seq scan)"},
        recall_at_10=recall(exact_pg["found"], truth[: len(exact_pg["found"])]), qps=exact_pg["sql_qps"],
        p50_ms=exact_pg["sql_p50_ms"], p95_ms=exact_pg["sql_p95_ms"], peer="pg-hnsw first page ef=100",
        ratio=reference["qps"] / exact_pg["sql_qps"],
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
                               qps=numpy_qps, p50_ms=p50, p95_ms=p95, peer="pg-hnsw first page ef=100",
                               ratio=reference["qps"] / numpy_qps))  # fmt: skip
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
                               peer="pg-hnsw first page ef=100", ratio=reference["qps"] / seed_qps))  # fmt: skip
    import faiss

    faiss.omp_set_num_threads(2)
    index = faiss.IndexHNSWFlat(DIMS, m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = ef_construction
    started = time.perf_counter()
    index.add(data)
    faiss_build = time.perf_counter() - started
    faiss.omp_set_num_threads(1)
    faiss_rows: list[dict[str, Any]] = []
    for ef in FAISS_EF_SEARCH:
        index.hnsw.efSearch = ef
        latencies, found = [], []
        for query in queries:
            started = time.perf_counter()
            _, ids = index.search(query[None, :], K)
            latencies.append(time.perf_counter() - started)
            found.append(list(ids[0]))
        p50, p95 = percentiles(latencies)
        faiss_rows.append(measurement(
            "faiss-hnsw", n=n, dims=DIMS, params={"m": m, "ef_construction": ef_construction, "ef_search": ef,
                                                   "type": "float32", "k": K},
            recall_at_10=recall(found, truth), qps=len(queries) / sum(latencies), p50_ms=p50, p95_ms=p95,
            build_s=faiss_build,
        ))  # fmt: skip
        say(
            f"  faiss ef={ef}: recall {faiss_rows[-1]['recall_at_10']:.3f}, {faiss_rows[-1]['qps']:.0f} qps"
        )
    results.extend(faiss_rows)
    # Each first-page row against FAISS at the same recall.
    for row in pg_rows:
        if row["params"]["depth"] != first_page:
            continue
        peer = faiss_at_recall(faiss_rows, row["recall_at_10"])
        results.append(measurement(
            "pg-vs-faiss-equal-recall", n=n, dims=DIMS,
            params={"pg_ef_search": row["params"]["ef_search"], "faiss_ef_search": peer["params"]["ef_search"],
                    "faiss_recall_at_10": round(peer["recall_at_10"], 3)},
            recall_at_10=row["recall_at_10"], qps=row["qps"], p95_ms=row["p95_ms"],
            peer=f"faiss-hnsw ef={peer['params']['ef_search']}", ratio=row["qps"] / peer["qps"],
        ))  # fmt: skip
    say(f"  pg build {build_s:.0f}s vs faiss {faiss_build:.0f}s")
    return space, data, item_index, item_ids


def section_filtered(n: int, space: Any, data: np.ndarray, item_index: dict[int, int], item_ids: list[int],
                     n_queries: int, results: list[dict[str, Any]]) -> None:  # fmt: skip
    from django.conf import settings

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
        # HNSW index alone with iterative scans on (at three scan budgets) and off.
        variants = [("relaxed_order", 20000, None), ("relaxed_order", 0, None), ("relaxed_order", 0, 5000),
                    ("relaxed_order", 0, 80000), ("off", 0, None)]  # fmt: skip
        for iterative, exact_max, scan_tuples in variants:
            run = run_sql_queries(space, queries, item_index, ef=100, filters=ItemFilter(categories=categories),
                                  iterative=iterative, exact_max_items=exact_max,
                                  max_scan_tuples=scan_tuples)  # fmt: skip
            returned = float(np.mean([len(f) for f in run["found"]]))
            results.append(measurement(
                "pg-hnsw-filtered", n=n, dims=DIMS,
                params={"selectivity": label, "path": run["path"], "exact_max_items": exact_max,
                        "iterative_scan": iterative, "max_scan_tuples": scan_tuples or settings.SEARCHAPP_HNSW_MAX_SCAN_TUPLES,
                        "depth": run["depth"], "ef_search": 100, "uses_index": run["uses_index"]},
                recall_at_10=recall(run["found"], truth), qps=run["qps"], p50_ms=run["p50_ms"], p95_ms=run["p95_ms"],
                returned_of_k=returned, sql_p95_ms=run["sql_p95_ms"],
            ))  # fmt: skip
            say(
                f"  {label} {run['path']} iterative={iterative} max_scan_tuples={scan_tuples}: "
                f"recall {results[-1]['recall_at_10']:.3f}, returned {returned:.1f}/{K}, p95 {run['p95_ms']:.1f} ms, "
                f"index={run['uses_index']}"
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


INGEST_MIN_BATCHES_PER_PROCESS = 20
INGEST_WORKER_PROCESSES = 2


def section_ingest(results: list[dict[str, Any]], n_items: int) -> None:
    """ingest: inputs/s through the real Celery pipeline (2 worker processes, 1 ONNX thread
    each) against raw ONNX Runtime on the same graph in one process (2 threads, same batch,
    same inputs: tokenisation and image decoding included, image bytes read beforehand).

    The workers load the models before the clock starts (the spaces exist when the worker
    starts, so each process loads them at start and logs it; the bench waits for both). The
    clock runs from the wake-up of the space's pending work to the moment no item is left
    pending. A model with images embeds the first n_items / 4 items (each one text and one
    image). A ratio is recorded only when every worker process stored at least
    INGEST_MIN_BATCHES_PER_PROCESS batches, so that one batch (and the last, when one process
    idles while the other finishes) is a small share of the run. SEARCHAPP_BENCH_INGEST_ALIASES
    (comma-separated) measures only those providers."""
    if not SHARED_MODELS.is_dir():
        say("ingest skipped: ../shared/models is absent")
        return
    from django.conf import settings
    from django.test import override_settings

    from catalog.models import Item
    from embeddings.models import Embedding, ItemEmbeddingState
    from embeddings.spaces import space_create
    from searchapp.celery import app
    from searchapp.env import embedding_providers_from_env

    say(f"ingest with {n_items} items")
    os.environ["SEARCHAPP_MODEL_DIR"] = str(SHARED_MODELS)
    configured = embedding_providers_from_env()
    only = [
        alias for alias in os.environ.get("SEARCHAPP_BENCH_INGEST_ALIASES", "").split(",") if alias
    ]
    configured = {
        alias: config for alias, config in configured.items() if not only or alias in only
    }
    media = Path(settings.DATA_DIR) / "bench-media"
    gflops = matmul_gflops()
    with override_settings(EMBEDDING_PROVIDERS=configured, MEDIA_ROOT=media):
        image_items = max(1, n_items // 4)
        ingest_items_create(n_items, with_images=image_items)
        # The spaces exist before the worker starts: each worker process loads their models at
        # start. Their backfill's wake-ups are dropped: the bench wakes each space itself.
        spaces = {alias: space_create(name=f"ingest-{alias}", provider_alias=alias, activate=True)
                  for alias in configured}  # fmt: skip
        app.control.purge()
        env = {**os.environ, "SEARCHAPP_EMBEDDING_PROVIDERS": json.dumps(configured),
               "SEARCHAPP_MEDIA_ROOT": str(media), "SEARCHAPP_ONNX_THREADS": "1"}  # fmt: skip
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "searchapp", "worker", "-l", "info", "--concurrency",
             str(INGEST_WORKER_PROCESSES), "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            warm_s = wait_for_workers_warm(worker, INGEST_WORKER_PROCESSES)
            say(f"  both worker processes loaded the models in {warm_s:.1f}s")
            # The text-only model first, over every item; then the image model over the items
            # with images (the others are deleted: it would take many minutes over all).
            for alias in sorted(configured, key=lambda a: spaces[a].embeds_images):
                space = spaces[alias]
                if space.embeds_images:
                    Item.objects.filter(images__isnull=True).delete()
                items = list(Item.objects.prefetch_related("images").order_by("pk"))
                row = ingest_measure(space, items, configured[alias], gflops)
                results.append(row)
                ratio = (
                    "null: " + row["ratio_note"] if row["ratio"] is None else f"{row['ratio']:.2f}"
                )
                say(
                    f"  {alias}: {row['inputs']} inputs stored in {row['seconds']:.1f}s (index built at "
                    f"{row['seconds_to_index']:.1f}s), {row['batches']} batches "
                    f"(claims of {row['params']['claim']}): pipeline {row['qps']:.1f} inputs/s, raw "
                    f"{row['raw_inputs_per_s']:.1f} (before {row['raw_before_inputs_per_s']:.1f}, after "
                    f"{row['raw_after_inputs_per_s']:.1f}), ratio {ratio}; to the index "
                    f"{row['ratio_to_index'] or 0:.2f}"
                )
            failed = ItemEmbeddingState.objects.exclude(
                status=ItemEmbeddingState.Status.READY
            ).count()
            if failed or not Embedding.objects.exists():
                say(f"  {failed} item states are not ready")
            results.append(measurement("memory-worker-process", bytes=peak_child_rss(worker),
                                       params={"measure": "peak RSS (VmHWM) of a Celery worker process",
                                               "models": ", ".join(configured), "onnx_threads": 1}))  # fmt: skip
        finally:
            worker.terminate()
            worker.wait(timeout=30)


def ingest_items_create(n_items: int, *, with_images: int) -> None:
    """n_items items of 3 + 30 words in an empty catalog, the first with_images of them
    with a 256x256 JPEG of noise."""
    import io

    from django.db import connection
    from PIL import Image

    from catalog import services as catalog_services
    from searchapp.images import image_from_bytes

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE catalog_item, embeddings_embedding, embeddings_itemembeddingstate, "
                       "embeddings_embeddingspace CASCADE")  # fmt: skip
    rng = np.random.default_rng(5)
    words = ["red", "blue", "green", "mug", "lamp", "shirt", "boots", "bag", "tent", "bottle", "cushion",
             "clock", "notebook", "pencil", "ceramic"]  # fmt: skip
    started = time.perf_counter()
    for n in range(n_items):
        images = []
        if n < with_images:
            buffer = io.BytesIO()
            Image.fromarray(rng.integers(0, 255, (256, 256, 3), dtype=np.uint8)).save(
                buffer, "JPEG", quality=85
            )
            images.append(image_from_bytes(buffer.getvalue()))
        catalog_services.item_create(
            external_id=f"ingest-{n}", title=" ".join(rng.choice(words, 3)),
            description=" ".join(rng.choice(words, 30)), category="bench", images=images,
        )  # fmt: skip
    say(
        f"  created {n_items} items ({with_images} with an image) in {time.perf_counter() - started:.0f}s"
    )


def wait_for_workers_warm(
    worker: subprocess.Popen[str], processes: int, timeout: float = 300
) -> float:
    """Wait until every worker process logged that it loaded the live spaces' models
    (searchapp.celery); the worker's log goes on to stderr."""
    import threading

    started = time.perf_counter()
    warm: set[str] = set()
    done = threading.Event()

    def read() -> None:
        for line in worker.stderr or ():
            if "loaded the models of the live spaces" in line:
                warm.add(line.split("worker process ", 1)[1].split()[0])
                if len(warm) >= processes:
                    done.set()
            elif "ERROR" in line or "Traceback" in line:
                sys.stderr.write(line)

    threading.Thread(target=read, daemon=True).start()
    if not done.wait(timeout):
        raise RuntimeError(f"the worker processes did not load the models within {timeout}s")
    return time.perf_counter() - started


def ingest_measure(
    space: Any, items: list[Any], options: dict[str, Any], gflops: float
) -> dict[str, Any]:
    """The raw peer on the same inputs, then the pipeline: wake the space's pending work,
    time it to the last stored vector, count its batches (each stored batch shares one
    embedded_at); then the raw peer again. On a machine others use too the load changes
    between the runs: the ratio is against the mean of the two raw runs, both recorded."""
    from django.conf import settings

    from embeddings.index import index_ready
    from embeddings.inputs import item_text, source_part
    from embeddings.models import ItemEmbeddingState
    from embeddings.providers.base import InputType
    from embeddings.providers.registry import providers
    from embeddings.queue import claim_size
    from embeddings.tasks import embed_pending

    pending = ItemEmbeddingState.objects.filter(
        space=space, status=ItemEmbeddingState.Status.PENDING
    )
    if pending.count() != len(items):
        raise RuntimeError(
            f"{pending.count()} items pending in {space.name}, expected {len(items)}"
        )
    provider = providers[space.provider_alias]
    raw = type(provider)(
        space.provider_alias, {**options["OPTIONS"], "threads": INGEST_WORKER_PROCESSES}
    )
    raw_inputs = [[source_part(item, None)] for item in items]
    if space.embeds_images:
        raw_inputs += [[source_part(item, item.images.all()[0])] for item in items]
    raw.embed(raw_inputs[:2], input_type=InputType.DOCUMENT)  # load the model

    def raw_rate() -> float:
        raw_started = time.perf_counter()
        raw.embed(raw_inputs, input_type=InputType.DOCUMENT)
        return len(raw_inputs) / (time.perf_counter() - raw_started)

    raw_before = raw_rate()
    started = time.perf_counter()
    embed_pending.delay(space.pk)
    # The clock: to the last stored vector (every item searchable, by an exact scan
    # until the index exists). Then to the space's HNSW index: a backfill this large builds it
    # when no item is pending any more (SEARCHAPP_INDEX_AFTER_BACKFILL), so the build starts
    # after the last store and is timed on its own; a smaller backfill inserts into it.
    while pending.exists():
        time.sleep(0.05)
    seconds = time.perf_counter() - started  # an upper bound: the poll adds at most 50 ms
    while not index_ready(space):
        time.sleep(0.05)
    indexed_seconds = time.perf_counter() - started
    batches = stored_batches(space)
    inputs = len(items) * (1 + int(space.embeds_images))
    pipe_rate = inputs / seconds
    raw_after = raw_rate()
    raw_mean = (raw_before + raw_after) / 2

    per_process = batches / INGEST_WORKER_PROCESSES
    enough = per_process >= INGEST_MIN_BATCHES_PER_PROCESS
    tokens = np.mean([len(item_text(item).split()) for item in items]) * 1.3
    flops = 4.4e9 if space.embeds_images else 2 * 22.7e6 * tokens
    return measurement(
        "ingest-pipeline", n=len(items), qps=pipe_rate,
        params={"alias": space.provider_alias, "items": len(items), "inputs": inputs,
                "images": len(items) if space.embeds_images else 0,
                "worker_processes": INGEST_WORKER_PROCESSES, "onnx_threads_per_process": 1,
                "batch": provider.capabilities.max_batch, "claim": claim_size(provider, images=space.embeds_images),
                "clock": "from waking the space's pending work (models loaded in both worker "
                         "processes) to the last stored vector (no item pending)",
                "index_after_backfill": settings.SEARCHAPP_INDEX_AFTER_BACKFILL},
        peer=f"raw-onnx (same graph and inputs, batch {provider.capabilities.max_batch}, "
             f"{INGEST_WORKER_PROCESSES} threads, one process, tokenisation and image decoding included)",
        ratio=pipe_rate / raw_mean if enough else None,
        ratio_note="" if enough else (f"too few batches: {per_process:.1f} per worker process, "
                                      f"fewer than {INGEST_MIN_BATCHES_PER_PROCESS}"),
        inputs=inputs, seconds=seconds, batches=batches, raw_inputs_per_s=raw_mean,
        seconds_to_index=indexed_seconds,
        ratio_to_index=(inputs / indexed_seconds) / raw_mean if enough else None,
        ratio_to_index_note="to the space's HNSW index built (after the last store)",
        raw_before_inputs_per_s=raw_before, raw_after_inputs_per_s=raw_after,
        load_average=os.getloadavg(),
        items_per_s=len(items) / seconds,
        failed=space.states.exclude(status=ItemEmbeddingState.Status.READY).count(),
        roofline_inputs_per_s=gflops * 1e9 / flops, matmul_gflops=gflops,
        roofline_note="float32 matmul GFLOP/s x approximate float FLOPs per input (int8 graphs can exceed it)",
    )  # fmt: skip


def stored_batches(space: Any) -> int:
    """How many batches the workers stored in a space: each batch's vectors are stored in
    one transaction with one embedded_at."""
    from embeddings.models import Embedding

    return Embedding.objects.filter(space=space).values("embedded_at").distinct().count()


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


def peak_child_rss(parent: subprocess.Popen[Any]) -> int:
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


# --- lexical ---------------------------------------------------------------------------------------------

BOOKS = ROOT.parent / "shared" / "data" / "oscar_books"
LEXICAL_ITEMS = 100_000
TS_RANK_PEER = "ts_rank (any-word @@ on the same search_vector)"
# Synthetic catalog words, most common first: titles and descriptions draw them with a skew
# towards the front (power(random(), 1.5)): the commonest word is in about 40% of the documents,
# the rarest in a few percent.
WORD_TEXT = """
red blue black white green grey brown pink yellow orange navy purple silver gold
cotton wool leather linen ceramic glass steel wooden bamboo oak walnut copper brass
mug cup bowl plate jug teapot kettle lamp chair table desk shelf cabinet sofa cushion
blanket rug curtain mirror clock vase candle basket bag backpack wallet belt scarf hat
gloves socks shirt jacket coat dress skirt jeans boots sneakers sandals slippers tent
bottle flask notebook pencil pen marker stapler folder lantern torch hammock stool
bench drawer wardrobe pillow duvet towel apron napkin tray spoon fork knife whisk
grater colander skillet saucepan wok blender toaster grinder scale timer thermos
striped checked dotted plain woven knitted quilted padded waterproof foldable
portable adjustable vintage modern rustic classic compact large small tall round
square oval soft warm light heavy sturdy handmade organic recycled premium everyday
"""
WORDS = WORD_TEXT.split()
SYNTHETIC_CATEGORIES = ("kitchen", "home", "garden", "outdoor", "clothing", "office", "bath")


def lexical_queries(words: list[str], identifiers: list[str]) -> dict[str, list[str]]:
    """About 50 queries by kind: single words (common and rare), two and three words,
    misspellings (a dropped, doubled or swapped letter) and identifiers."""
    common, rare = words[:15], words[-15:]
    single = common[:10] + rare[:5]
    phrases = [f"{a} {b}" for a, b in zip(common[:8], words[30:38], strict=True)]
    phrases += [f"{a} {b} {c}" for a, b, c in zip(common[8:15], words[40:47], words[20:27],
                                                   strict=True)]  # fmt: skip

    def misspelt(word: str, n: int) -> str:
        cut = 1 + n % max(1, len(word) - 2)
        if n % 3 == 0:
            return word[:cut] + word[cut + 1 :]  # dropped
        if n % 3 == 1:
            return word[:cut] + word[cut] + word[cut:]  # doubled
        return word[:cut] + word[cut + 1] + word[cut] + word[cut + 2 :]  # swapped

    long_words = [word for word in words if len(word) >= 6]
    typos = [misspelt(word, n) for n, word in enumerate(long_words[:10])]
    typos[-3:] = [f"{typo} {word}" for typo, word in zip(typos[-3:], rare[5:8], strict=True)]
    return {"single": single, "phrase": phrases, "misspelt": typos, "identifier": identifiers}


def lexical_books() -> tuple[list[str], list[str], float] | None:
    """The ../shared books imported through the catalog importer (timed); their title words
    by document frequency and ten of their identifiers, some written with hyphens."""
    from django.conf import settings
    from django.db import connection
    from django.test import override_settings

    from catalog.importers import catalog_import

    if not BOOKS.is_dir():
        say(f"lexical: books skipped, {BOOKS} is absent")
        return None
    with override_settings(MEDIA_ROOT=Path(settings.DATA_DIR) / "bench-media"):
        started = time.perf_counter()
        summary = catalog_import(path=BOOKS, format="oscar-csv")
        load_s = time.perf_counter() - started
    say(
        f"  imported {summary.created} books in {load_s:.1f}s ({len(summary.failures)} failed rows)"
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_item")
        cursor.execute(
            "SELECT w FROM catalog_item, regexp_split_to_table(lower(title), '[^a-z]+') AS w "
            "WHERE length(w) >= 4 GROUP BY w ORDER BY count(*) DESC, w LIMIT 60"
        )
        words = [word for (word,) in cursor.fetchall()]
        cursor.execute("SELECT external_id FROM catalog_item ORDER BY id LIMIT 10")
        ids = [external_id for (external_id,) in cursor.fetchall()]
    # ISBNs as people type them: a few with hyphens or spaces (the same normal form).
    ids[::3] = [f"{i[:3]}-{i[3]}-{i[4:7]}-{i[7:12]}-{i[12:]}" for i in ids[::3]]
    ids[1::3] = [f"{i[:3]} {i[3:]}" for i in ids[1::3]]
    return words, ids, load_s


def lexical_synthetic(n: int) -> tuple[list[str], list[str], float]:
    """n items from the word list in one INSERT ... SELECT (the row trigger builds every
    document, its lengths and identifiers), timed with the ANALYZE after it."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute(
            "INSERT INTO catalog_item (external_id, title, description, category, price, attributes, "
            "is_active, created_at, updated_at) "
            "SELECT 'lex-' || g, "
            "(SELECT string_agg(pick.word, ' ') FROM (SELECT w.words[1 + floor(power(random(), 1.5) * w.n)::int] "
            " AS word FROM generate_series(1, 2 + g %% 3)) AS pick), "
            "(SELECT string_agg(pick.word, ' ') FROM (SELECT w.words[1 + floor(power(random(), 1.5) * w.n)::int] "
            " AS word FROM generate_series(1, 8 + g %% 8)) AS pick), "
            "(%s::text[])[1 + g %% %s], (g %% 500)::numeric, "
            "jsonb_build_object('sku', 'SK-' || lpad(g::text, 6, '0'), "
            "                   'colour', w.words[1 + g %% 12]), true, now(), now() "
            "FROM generate_series(1, %s) AS g, (SELECT %s::text[] AS words, %s AS n) AS w",
            [list(SYNTHETIC_CATEGORIES), len(SYNTHETIC_CATEGORIES), n, list(WORDS), len(WORDS)],
        )
        cursor.execute("ANALYZE catalog_item")
    load_s = time.perf_counter() - started
    say(f"  loaded {n} synthetic items in {load_s:.1f}s")
    ids = [f"lex-{g}" for g in (7, 4242, 99_999)] + [f"SK-{g:06d}" for g in (1, 31_337, 77_777)]
    ids += [f"sk {g:06d}" for g in (12, 50_000)] + ["LEX 123", "lex-100000"]
    return list(WORDS), ids, load_s


def ts_rank_list(text: str, depth: int) -> list[int]:
    """The peer: the lexical list before BM25 (the previous search service), ts_rank over the
    same search_vector with an any-word tsquery from the same configuration, one statement."""
    from django.db import connection

    from catalog.filters import ItemFilter
    from catalog.lexical import text_search_config

    where, params = ItemFilter().where_sql("i")
    sql = (
        "WITH q AS (SELECT string_agg(quote_literal(lexeme), ' | ')::tsquery AS q "  # noqa: S608
        "FROM unnest(to_tsvector(%s::regconfig, %s))) "
        f"SELECT i.id, ts_rank(i.search_vector, q.q) AS rank FROM catalog_item i, q "
        f"WHERE i.search_vector @@ q.q AND {where} ORDER BY rank DESC, i.id LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [text_search_config(), text, *params, depth])
        return [item_id for item_id, _ in cursor.fetchall()]


def timed_queries(run: Any, queries: list[str], *, before: Any = None) -> dict[str, Any]:
    """Every query once untimed (warm-up), then every query timed once."""
    for text in queries:
        if before is not None:
            before()
        run(text)
    latencies: list[float] = []
    found = 0
    for text in queries:
        if before is not None:
            before()
        started = time.perf_counter()
        answer = run(text)
        latencies.append(time.perf_counter() - started)
        found += bool(answer)
    p50, p95 = percentiles(latencies)
    return {"p50_ms": p50, "p95_ms": p95, "qps": len(queries) / sum(latencies),
            "queries": len(queries), "answered": found}  # fmt: skip


def lexical_rows(catalog: str, n: int, load_s: float, queries: dict[str, list[str]],
                 results: list[dict[str, Any]]) -> None:  # fmt: skip
    from catalog.filters import ItemFilter
    from search.lexical import bm25_list, corpus_cache, identifier_list, trigram_list
    from search.query import SearchQuery
    from search.retrieve import list_depth
    from search.service import item_search
    from search.types import SearchMode

    sets = {"all": [text for kind in ("single", "phrase", "misspelt", "identifier")
                    for text in queries[kind]],
            "words (not identifiers)": [text for kind in ("single", "phrase", "misspelt")
                                        for text in queries[kind]],
            **queries}  # fmt: skip
    every_item = ItemFilter()
    depth = list_depth(SearchQuery(text="bench", mode=SearchMode.LEXICAL))

    def bm25(text: str) -> Any:
        return bm25_list(text, every_item, depth).entries

    # (row name, query set, one query, before each query): every set has its ts_rank peer.
    runs: list[tuple[str, str, Any, Any]] = [
        *(("ts_rank", key, lambda t: ts_rank_list(t, depth), None) for key in sets),
        ("bm25_list", "all", bm25, None),
        ("bm25_list", "all", bm25, corpus_cache.clear),
        *(("bm25_list", key, bm25, None) for key in ("single", "phrase", "misspelt")),
        ("trigram_list", "all", lambda t: trigram_list(t, every_item, depth).entries, None),
        ("trigram_list", "misspelt", lambda t: trigram_list(t, every_item, depth).entries, None),
        *(("identifier_list", key, lambda t: identifier_list(t, every_item)[0].entries, None)
          for key in ("identifier", "words (not identifiers)")),
        ("item_search", "all",
         lambda t: item_search(query=SearchQuery(text=t, mode=SearchMode.LEXICAL)).hits, None),
    ]  # fmt: skip
    peers: dict[str, dict[str, Any]] = {}
    for name, key, run, before in runs:
        timing = timed_queries(run, sets[key], before=before)
        peer = peers.get(key) if name != "ts_rank" else None
        if name == "ts_rank":
            peers[key] = timing
        results.append(measurement(
            f"lexical-{name}", n=n,
            params={"catalog": catalog, "queries": key, "depth": depth,
                    **({"corpus_statistics": "recounted per query"} if before else {})},
            qps=timing["qps"], p50_ms=timing["p50_ms"], p95_ms=timing["p95_ms"],
            peer=None if peer is None else TS_RANK_PEER,
            ratio=None if peer is None else timing["p50_ms"] / peer["p50_ms"],
            ratio_p95=None if peer is None else timing["p95_ms"] / peer["p95_ms"],
            ratio_note=None if peer is None else "latency / the peer's on the same queries (above 1: slower)",
            load_s=load_s, query_count=timing["queries"], answered=timing["answered"],
        ))  # fmt: skip
        say(f"  {catalog} {name} ({key}{', stats recounted' if before else ''}): p50 {timing['p50_ms']:.2f} ms, p95 {timing['p95_ms']:.2f} ms"
            + ("" if peer is None else f", x{timing['p50_ms'] / peer['p50_ms']:.2f} of ts_rank"))  # fmt: skip


def section_lexical(results: list[dict[str, Any]], n: int) -> None:
    """What the lexical lists cost: BM25, fuzzy titles and identifiers against ts_rank, each
    list alone and the whole lexical search, on the books and on n synthetic items. No space
    is active, so item_search answers in lexical mode only."""
    from django.db import connection

    from search.lexical import corpus_cache

    def empty() -> None:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE catalog_item, embeddings_embedding, embeddings_itemembeddingstate, "
                           "embeddings_embeddingspace CASCADE")  # fmt: skip
        corpus_cache.clear()

    say("lexical")
    empty()
    books = lexical_books()
    if books is not None:
        words, ids, load_s = books
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM catalog_item")
            count = int(cursor.fetchone()[0])
        lexical_rows("books", count, load_s, lexical_queries(words, ids), results)
    empty()
    words, ids, load_s = lexical_synthetic(n)
    lexical_rows("synthetic", n, load_s, lexical_queries(words, ids), results)


# --- shop: suggestions and facets ------------------------------------------------------------------

SHOP_ROWS = {"shop-search-plain", "shop-search-facets", "shop-browse-facets", "shop-suggest"}


def shop_prefixes(words: list[str]) -> list[str]:
    """What people type before they finish: two to five letters of a word, a finished word and
    the start of the next, and a few starts with a wrong letter."""
    starts = [word[: 2 + n % 4] for n, word in enumerate(words[:30])]
    pairs = [f"{a} {b[:3]}" for a, b in zip(words[:8], words[30:38], strict=True)]
    typos = [word[0] + word[2] + word[1] + word[3:5] for word in words[40:48] if len(word) >= 5]
    return starts + pairs + typos


def section_shop(results: list[dict[str, Any]], n: int) -> None:
    """What the shopper's features cost on n synthetic items (lexical mode: no space is active
    at this size): search without facets and with them (categories, price ranges and one
    facetable attribute over the relevant set) in the same run, facets of the whole catalog
    (browsing), and suggestions while typing."""
    from django.db import connection

    from catalog.filters import ItemFilter
    from search.facets import facets_count
    from search.lexical import corpus_cache
    from search.models import FacetAttribute
    from search.query import SearchQuery
    from search.service import item_search
    from search.suggest import suggestions
    from search.types import SearchMode

    say("shop")
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE catalog_item, embeddings_embedding, embeddings_itemembeddingstate, "
                       "embeddings_embeddingspace, search_facetattribute CASCADE")  # fmt: skip
    corpus_cache.clear()
    words, _ids, load_s = lexical_synthetic(n)
    FacetAttribute.objects.create(key="colour", label="Colour")
    queries = lexical_queries(words, [])
    texts = queries["single"] + queries["phrase"]

    def search(facets: bool) -> Any:
        return lambda text: (
            item_search(query=SearchQuery(text=text, mode=SearchMode.LEXICAL, facets=facets)).hits
        )

    plain = timed_queries(search(False), texts)
    with_facets = timed_queries(search(True), texts)
    browse_filters = [ItemFilter()] + [ItemFilter(categories=(c,)) for c in SYNTHETIC_CATEGORIES]
    browse = timed_queries(lambda i: facets_count(item_filter=browse_filters[int(i)]).categories,
                           [str(i) for i in range(len(browse_filters))])  # fmt: skip
    prefixes = shop_prefixes(words)
    suggest = timed_queries(lambda text: suggestions(text).items, prefixes)
    common = {"catalog": "synthetic", "mode": "lexical", "facetable attributes": 1}
    for name, timing, extra in (
        ("shop-search-plain", plain, {"facets": False}),
        ("shop-search-facets", with_facets, {"facets": True}),
        ("shop-browse-facets", browse, {"query": "none", "filters": "none or one category"}),
        ("shop-suggest", suggest, {"prefixes": "2-5 letters, two words, misspelt starts"}),
    ):
        vs_plain = name == "shop-search-facets"
        results.append(measurement(
            name, n=n, params=common | extra, qps=timing["qps"], p50_ms=timing["p50_ms"],
            p95_ms=timing["p95_ms"], peer="shop-search-plain" if vs_plain else None,
            ratio=timing["p50_ms"] / plain["p50_ms"] if vs_plain else None,
            ratio_p95=timing["p95_ms"] / plain["p95_ms"] if vs_plain else None,
            load_s=load_s, query_count=timing["queries"], answered=timing["answered"],
        ))  # fmt: skip
        say(f"  {name}: p50 {timing['p50_ms']:.2f} ms, p95 {timing['p95_ms']:.2f} ms")


def shop_report(results: list[dict[str, Any]], runs: list[dict[str, Any]], fmt: Any) -> list[str]:
    rows = {row["name"]: row for row in results if row["name"] in SHOP_ROWS}
    if not rows:
        return []
    run = next(run for run in runs if "shop" in run["sections"])
    plain, faceted = rows.get("shop-search-plain"), rows.get("shop-search-facets")
    lines = [
        "", "## Suggestions and facets", "",
        f"`bench/run.py --sections shop`, {run['date']} on `{run['host']}` ({run['cpus']} CPUs, load "
        f"average {run['load_average'][0]:.1f} at the start, {run['load_average_end'][0]:.1f} at the end). "
        "The synthetic catalog of the lexical section; lexical mode (no embedding space at this size). "
        "Search with and without facets runs the same queries (single words and phrases, each once "
        "untimed, then once timed) in the same run; facets count categories, price ranges and one "
        "facetable attribute over the relevant set, disjunctively. Browse facets count the whole "
        "catalog (no query), with no filter or one category. Suggestions: prefixes as people type them.", "",
        "| row | n | queries | p50 ms | p95 ms | QPS |", "| --- | --- | --- | --- | --- | --- |",
    ]  # fmt: skip
    for name in ("shop-search-plain", "shop-search-facets", "shop-browse-facets", "shop-suggest"):
        if name in rows:
            row = rows[name]
            lines.append(f"| {name.removeprefix('shop-')} | {row['n']} | {row['query_count']} | "
                         f"{fmt(row['p50_ms'], 2)} | {fmt(row['p95_ms'], 2)} | {fmt(row['qps'])} |")  # fmt: skip
    if plain and faceted:
        lines += ["", f"Search with facets / without: p50 x{faceted['ratio']:.2f}, "
                      f"p95 x{faceted['ratio_p95']:.2f} (the goal: under x2). "
                  "Facets cost a few indexed GROUP BY queries over the relevant set's ids; below x1 "
                  "is noise from other work on the machine."]  # fmt: skip
    return lines


# --- curation: search with 1,000 query rules and 1,000 synonym groups against none ------------------------


CURATION_ITEMS = 3000
CURATION_COUNT = 1000


def curation_fill(n_items: int, count: int, seed: int = 5) -> None:
    """count two-way synonym groups of word pairs and count query rules (equals, contains and
    phrase conditions over the word list; a boost, a pin and a hide each), written in bulk."""
    from search.models import QueryRule, SynonymGroup

    rng = np.random.default_rng(seed)
    words = list(WORDS)
    pairs = rng.choice(len(words), size=(count, 2))
    SynonymGroup.objects.bulk_create(
        SynonymGroup(kind="two_way", terms=[words[a], words[b]]) for a, b in pairs if a != b
    )
    matches = ("equals", "contains", "phrase")
    rules = []
    for number in range(count):
        a, b = rng.choice(len(words), size=2)
        condition = words[a] if number % 2 else f"{words[a]} {words[b]}"
        rules.append(QueryRule(
            name=f"bench {number}", position=number, match=matches[number % 3], condition=condition,
            pins=[{"item": f"lex-{1 + number % n_items}", "position": 1 + number % 5}],
            hide=[f"lex-{1 + (number * 7) % n_items}"],
            boosts=[{"category": SYNTHETIC_CATEGORIES[number % len(SYNTHETIC_CATEGORIES)], "factor": 1.5}],
        ))  # fmt: skip
    QueryRule.objects.bulk_create(rules)


def section_curation(results: list[dict[str, Any]], n: int = CURATION_ITEMS) -> None:
    """Lexical search (no space is active) over n synthetic items, the same queries with no
    rules or synonyms, then with 1,000 of each, in one run; and what compiling them costs."""
    from django.db import connection

    from search.lexical import corpus_cache
    from search.query import SearchQuery
    from search.rewrite import curation_cache, curation_load
    from search.service import item_search
    from search.types import SearchMode

    say("curation")
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE catalog_item, embeddings_embedding, embeddings_itemembeddingstate, "
                       "embeddings_embeddingspace, search_queryrule, search_synonymgroup CASCADE")  # fmt: skip
    corpus_cache.clear()
    curation_cache.clear()
    lexical_synthetic(n)
    rng = np.random.default_rng(9)
    queries = [" ".join(rng.choice(WORDS, size=1 + i % 3)) for i in range(200)]

    def run(text: str) -> Any:
        return item_search(query=SearchQuery(text=text, mode=SearchMode.LEXICAL, facets=False)).hits

    none = timed_queries(run, queries)
    curation_fill(n, CURATION_COUNT)
    started = time.perf_counter()
    curation_load()
    load_ms = (time.perf_counter() - started) * 1000
    curation_cache.clear()
    fired = sum(bool(item_search(query=SearchQuery(text=text, mode=SearchMode.LEXICAL, facets=False)).rules)
                for text in queries)  # fmt: skip
    full = timed_queries(run, queries)
    params = {"mode": "lexical", "queries": len(queries), "k": 24}
    results.append(measurement("curation-none", n=n, params=params, **none))
    results.append(measurement("curation-1000-rules-1000-synonyms", n=n,
                               params={**params, "queries_with_a_rule": fired}, **full))  # fmt: skip
    results.append(measurement("curation-compile", n=n, p50_ms=load_ms,
                               params={"rules": CURATION_COUNT, "synonym_groups": CURATION_COUNT}))  # fmt: skip
    say(
        f"  none p50 {none['p50_ms']:.1f} ms, with curation p50 {full['p50_ms']:.1f} ms; compile {load_ms:.0f} ms"
    )


# --- gateway: the embedding endpoints under 8 concurrent clients, against the raw provider -------------------


GATEWAY_CLIENTS = 8
GATEWAY_BATCH = 32


def gateway_texts(count: int, seed: int = 3) -> list[str]:
    words = ["red", "blue", "ceramic", "mug", "lamp", "linen", "shirt", "leather", "boots", "travel",
             "bag", "tent", "steel", "bottle", "wool", "cushion", "wall", "clock"]  # fmt: skip
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(words, 12)) for _ in range(count)]


def gateway_raw_rate(alias: str, seconds: float) -> float:
    """Inputs/s of the provider itself, batches of 32 one after another in this process."""
    from embeddings.providers.base import InputType, TextPart
    from embeddings.providers.registry import providers

    provider = providers[alias]
    batches = [
        [(TextPart(text),) for text in gateway_texts(GATEWAY_BATCH, seed)] for seed in range(16)
    ]
    provider.embed(batches[0], input_type=InputType.DOCUMENT)  # load the model
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        provider.embed(batches[done // GATEWAY_BATCH % 16], input_type=InputType.DOCUMENT)
        done += GATEWAY_BATCH
    return done / (time.perf_counter() - started)


def gateway_load(url: str, key: str, alias: str, seconds: float) -> tuple[float, float, float]:
    """8 clients posting batches of 32 for `seconds`: inputs/s; then one client's single
    short queries one after another: p50 and p95 in ms."""
    import threading

    import httpx

    headers = {"Authorization": f"Bearer {key}"}
    batches = [gateway_texts(GATEWAY_BATCH, seed) for seed in range(16)]
    counts = [0] * GATEWAY_CLIENTS
    stop = time.perf_counter() + seconds

    def client(number: int) -> None:
        with httpx.Client(headers=headers, timeout=60) as http:
            while time.perf_counter() < stop:
                body = {"model": alias, "input": batches[(number + counts[number]) % 16]}
                http.post(url, json=body).raise_for_status()
                counts[number] += GATEWAY_BATCH

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(GATEWAY_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rate = sum(counts) / (time.perf_counter() - started)
    latencies = []
    with httpx.Client(headers=headers, timeout=60) as http:
        for text in gateway_texts(120, seed=99):
            began = time.perf_counter()
            http.post(url, json={"model": alias, "input": text}).raise_for_status()
            latencies.append(time.perf_counter() - began)
    p50, p95 = percentiles(latencies[20:])
    return rate, p50, p95


def section_gateway(results: list[dict[str, Any]], seconds: int) -> None:
    """Micro-batched inference in the web process (one lane thread per model) against a pool
    of two worker processes, both through gunicorn, both against the raw provider."""
    if not SHARED_MODELS.is_dir():
        say("gateway skipped: ../shared/models is absent")
        return
    from django.test import override_settings

    from gateway.services import gateway_key_create
    from searchapp.env import embedding_providers_from_env

    os.environ["SEARCHAPP_MODEL_DIR"] = str(SHARED_MODELS)
    configured = embedding_providers_from_env()
    alias = next(name for name in configured if "minilm" in name)
    key = gateway_key_create(name="bench", requests_per_minute=0, daily_input_quota=0).raw_key
    cpus = os.cpu_count() or 1
    with override_settings(EMBEDDING_PROVIDERS=configured):
        raw = gateway_raw_rate(alias, seconds)
    say(f"gateway: raw provider {raw:.0f} inputs/s ({alias}, batch {GATEWAY_BATCH})")
    modes = {"web-process thread": {}, "worker processes": {
        "SEARCHAPP_GATEWAY_WORKER_PROCESSES": "2", "SEARCHAPP_ONNX_THREADS": str(max(1, cpus // 2))}}  # fmt: skip
    for mode, extra in modes.items():
        port = free_port()
        env = {**os.environ, "SEARCHAPP_THROTTLE": "false", "SEARCHAPP_WEB_WORKERS": "1",
               "SEARCHAPP_EMBEDDING_PROVIDERS": json.dumps(configured), **extra}  # fmt: skip
        web = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "searchapp" / "gunicorn.conf.py"),
                                "--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null"], cwd=ROOT, env=env)  # fmt: skip
        try:
            wait_http(f"http://127.0.0.1:{port}/api/v1/health/")
            url = f"http://127.0.0.1:{port}/embeddings/v1/embeddings"
            gateway_load(url, key, alias, 3)  # warm: the model (and the worker processes) loaded
            rate, p50, p95 = gateway_load(url, key, alias, seconds)
        finally:
            web.terminate()
            web.wait(timeout=30)
        params = {"mode": mode, "clients": GATEWAY_CLIENTS, "batch": GATEWAY_BATCH, "model": alias,
                  "server": "gunicorn gthread, 1 worker x 16 threads", **{k.lower(): v for k, v in extra.items()}}  # fmt: skip
        results.append(measurement("gateway-embeddings", params=params, qps=rate, p50_ms=p50, p95_ms=p95,
                                   peer="raw provider (same model, batch 32, one thread, same run)",
                                   ratio=rate / raw, raw_inputs_per_s=raw,
                                   latency_note="p50/p95: one client, single short query"))  # fmt: skip
        say(
            f"  {mode}: {rate:.0f} inputs/s ({rate / raw:.2f}x raw), single query p50 {p50:.1f} ms, p95 {p95:.1f} ms"
        )


# --- report ----------------------------------------------------------------------------------------------


# The section each row belongs to: a run of some sections replaces those sections' rows in the
# results files and keeps the others' (with the meta of the run that measured them).
ROW_SECTIONS = {
    "pg-hnsw": "search", "pg-exact": "search", "numpy-exact": "search", "seed-inmemory": "search",
    "faiss-hnsw": "search", "bytes-per-vector": "search", "pg-hnsw-build": "search", "pg-hnsw-restart": "search",
    "pg-vs-faiss-equal-recall": "search", "pg-hnsw-filtered": "filtered",
    "ingest-pipeline": "ingest", "memory-worker-process": "ingest", "api-search": "api",
    "memory-web-process": "api",
}  # fmt: skip


def row_section(row: dict[str, Any]) -> str:
    if row["name"] in SHOP_ROWS:
        return "shop"
    prefix = row["name"].split("-", 1)[0]
    return prefix if prefix in {"lexical", "curation"} else ROW_SECTIONS.get(row["name"], "")


def merged(path: Path, results: list[dict[str, Any]], meta: dict[str, Any]) -> dict[str, Any]:
    """This run's rows and meta over what `path` holds: the rows of the sections this run
    measured are replaced, the others kept, each run's meta kept while it has rows."""
    ran = set(meta["sections"])
    previous = (
        json.loads(path.read_text()) if path.is_file() else {"meta": None, "measurements": []}
    )
    kept = [row for row in previous["measurements"] if row_section(row) not in ran]
    runs = []
    if previous["meta"] is not None:
        for run in previous["meta"].get("runs") or [previous["meta"]]:
            left = sorted(set(run["sections"]) - ran)
            if left:
                runs.append(
                    {key: value for key, value in run.items() if key != "runs"} | {"sections": left}
                )
    return {"meta": {**meta, "runs": [*runs, meta]}, "measurements": kept + results}


def write_report(results: list[dict[str, Any]], meta: dict[str, Any]) -> Path:
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    name = f"{datetime.now(UTC):%Y-%m-%d}-{socket.gethostname()}.json"
    for path in (out_dir / name, out_dir / "latest.json"):
        document = merged(path, results, meta)
        path.write_text(json.dumps(document, indent=1, default=float))
    docs = ROOT / "docs"
    docs.mkdir(exist_ok=True)
    results = document["measurements"]
    made = "; ".join(
        f"{', '.join(run['sections'])}: {run['date']} on `{run['host']}` ({run['cpus']} CPUs, {run['platform']})"
        for run in document["meta"]["runs"]
    )
    lines = [
        "# Benchmarks", "",
        f"Made by `make bench` ({made}). "
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
        if row_section(row) in {"lexical", "shop"}:
            continue
        params = ", ".join(f"{k}={v}" for k, v in (row.get("params") or {}).items())
        lines.append(
            f"| {row['name']} | {fmt(row['n'])} | {params} | {fmt(row['recall_at_10'], 3)} | {fmt(row['qps'])} | "
            f"{fmt(row['p50_ms'], 2)} | {fmt(row['p95_ms'], 2)} | {fmt(row['build_s'])} | {fmt(row['bytes'], 0)} | "
            f"{fmt(row['peer'])} | "
            f"{fmt(row['ratio'], 2)} |"
        )
    extras = [row for row in results if row["name"] in {"ingest-pipeline", "api-search", "memory-web-process",
                                                         "pg-hnsw", "pg-hnsw-filtered"}]  # fmt: skip
    if extras:
        lines += ["", "Details of the vector, ingest, API, memory and filtered rows:", ""]
        for row in extras:
            detail = {k: v for k, v in row.items() if v is not None and k not in {"name"}}
            lines.append(f"- `{row['name']}`: {json.dumps(detail, default=float)}")
    lines += lexical_report(results, document["meta"]["runs"], fmt)
    lines += shop_report(results, document["meta"]["runs"], fmt)
    lines += curation_report(results)
    report = docs / "benchmarks.md"
    kept = ""
    if report.exists():  # sections written by hand (their raw data in files of their own)
        _, found, kept = report.read_text().partition(HAND_WRITTEN)
        kept = found + kept if found else ""
    report.write_text("\n".join(lines) + "\n\n" + (kept or HAND_WRITTEN + "\n"))
    return out_dir / "latest.json"


# Everything below this line in docs/benchmarks.md is kept as it is by write_report.
HAND_WRITTEN = "<!-- sections below are written by hand and kept by bench/run.py -->"


def curation_report(results: list[dict[str, Any]]) -> list[str]:
    rows = {row["name"]: row for row in results if row_section(row) == "curation"}
    none, full = rows.get("curation-none"), rows.get("curation-1000-rules-1000-synonyms")
    if none is None or full is None:
        return []
    return [
        "", "## Curation: 1,000 query rules and 1,000 synonym groups", "",
        f"`bench/run.py --sections curation`: lexical search (no space active, so no embedding cost) over "
        f"{none['n']} synthetic items, the same {none['params']['queries']} queries with no rules or synonyms, then "
        f"with 1,000 rules (equals / contains / phrase conditions; a pin, a hide and a category boost each) and "
        f"1,000 two-way groups, in one run. The groups pair words of the synthetic word list ({len(WORDS)} words), so "
        f"nearly every query word has synonyms and every query gets its 5 extra phrasings: a worst case for the "
        f"lexical lists, which then match more items and scan the title index once per phrasing. "
        f"{full['params']['queries_with_a_rule']} of the queries fired a rule. Rule matching itself is a dictionary "
        f"lookup per query word on a set compiled once per process ({rows['curation-compile']['p50_ms']:.0f} ms to "
        f"compile both thousands).", "",
        "| | p50 ms | p95 ms | ratio p50 | ratio p95 |", "| --- | --- | --- | --- | --- |",
        f"| none | {none['p50_ms']:.1f} | {none['p95_ms']:.1f} | | |",
        f"| 1,000 rules + 1,000 synonym groups | {full['p50_ms']:.1f} | {full['p95_ms']:.1f} | "
        f"{full['p50_ms'] / none['p50_ms']:.2f} | {full['p95_ms'] / none['p95_ms']:.2f} |",
    ]  # fmt: skip


def lexical_report(
    results: list[dict[str, Any]], runs: list[dict[str, Any]], fmt: Any
) -> list[str]:
    rows = [row for row in results if row_section(row) == "lexical"]
    if not rows:
        return []
    run = next(run for run in runs if "lexical" in run["sections"])
    busy = (
        f"Other processes were running (load average {run['load_average'][0]:.1f} at the start, "
        f"{run['load_average_end'][0]:.1f} at the end, on {run['cpus']} cores), so the absolute numbers "
        "are high and the ratios, measured side by side, are the better guide."
        if max(run["load_average"][0], run["load_average_end"][0]) > 0.5 * run["cpus"]
        else "Nothing else was running."
    )
    loads = {row["params"]["catalog"]: (row["n"], row["load_s"]) for row in rows}
    lines = [
        "", "## Lexical search", "",
        f"`bench/run.py --sections lexical`, {run['date']} on `{run['host']}` ({run['cpus']} CPUs). {busy} "
        "About 50 queries per catalog (single common and rare words, two and three words, misspellings, "
        "identifiers), each run once untimed, then once timed, on one connection; lists ask for the depth "
        "a first page asks for. The peer is the lexical list before BM25, `ts_rank` over the same "
        "`search_vector` with an any-word tsquery, on the same queries; ratio = latency / the peer's "
        "(above 1: slower). `bm25_list` keeps its corpus statistics for a minute; the row with statistics "
        "recounted per query is a query whose terms nobody searched for lately. `identifier_list` sends no "
        "SQL for a query where nothing looks like an identifier. `item_search` is the whole lexical mode "
        "(identifiers, BM25, fuzzy titles, fusion, page, hydration, did-you-mean) with no space active; a "
        "query that is only an identifier is answered by the identifier list alone.", "",
        "Catalogs: " + "; ".join(
            f"{catalog}: {n} items, loaded in {load_s:.1f} s ({n / load_s:.0f} items/s"
            + (", the catalog importer with covers)" if catalog == "books"
               else ", one INSERT ... SELECT through the row trigger, with ANALYZE)")
            for catalog, (n, load_s) in loads.items()
        ) + ".", "",
        "| catalog | n | list | queries | p50 ms | p95 ms | QPS | ratio p50 | ratio p95 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]  # fmt: skip
    for row in rows:
        params = row["params"]
        queries = params["queries"] + (
            ", statistics recounted" if "corpus_statistics" in params else ""
        )
        lines.append(
            f"| {params['catalog']} | {row['n']} | {row['name'].removeprefix('lexical-')} | {queries} "
            f"({row['query_count']}) | {fmt(row['p50_ms'], 2)} | {fmt(row['p95_ms'], 2)} | {fmt(row['qps'])} | "
            f"{fmt(row['ratio'], 2)} | {fmt(row.get('ratio_p95'), 2)} |"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--sections", default="search,filtered,ingest,api,lexical,shop,gateway")
    parser.add_argument("--lexical-items", type=int, default=LEXICAL_ITEMS)
    parser.add_argument("--ingest-items", type=int, default=6144)
    parser.add_argument("--api-seconds", type=int, default=30)
    args = parser.parse_args()
    sections = set(args.sections.split(","))
    setup_django()
    results: list[dict[str, Any]] = []
    load_average = os.getloadavg()
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
    if "lexical" in sections:  # last: it empties the catalog the api section searched
        section_lexical(results, args.lexical_items)
    if "shop" in sections:  # empties the catalog too
        section_shop(results, args.lexical_items)
    if "gateway" in sections:
        section_gateway(results, args.api_seconds)
    if "curation" in sections:  # empties the catalog, as lexical does
        section_curation(results)
    meta = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"), "host": socket.gethostname(),
        "cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
        "sizes": args.sizes, "queries": args.queries, "sections": sorted(sections),
        "total_s": round(time.perf_counter() - started, 1),
        "load_average": load_average, "load_average_end": os.getloadavg(),
        "median_note": "latencies are per query on one connection; QPS = queries / summed latency",
    }  # fmt: skip
    path = write_report(results, meta)
    say(f"wrote {path} and docs/benchmarks.md in {meta['total_s']}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
