"""Latency of the search API as a client sees it: N text queries, one at a time.

    .venv/bin/python bench/search_latency.py http://127.0.0.1:8000 --n 200 [--mode hybrid]

Queries cycle through a fixed list of shopper phrasings, so repeats hit the query-vector
cache the way a real search box does; `--distinct` makes every query unique instead.
Prints p50/p95/max in milliseconds and the server's own took_ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import httpx

PHRASES = [
    "red mug", "something to drink tea from", "warm hat for winter", "lamp for reading at night",
    "shoes for running", "bag for school books", "camping gear", "a gift for someone who writes",
    "blue", "kitchen", "leather boots", "bright light", "water bottle", "tent for two people",
    "notebook", "plant for the living room", "soft cushion", "wall clock", "striped scarf", "pencils",
]  # fmt: skip


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("base_url")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--mode", default="hybrid", choices=["hybrid", "semantic", "lexical"])
    parser.add_argument("--distinct", action="store_true", help="never repeat a query text")
    args = parser.parse_args()
    client_ms: list[float] = []
    server_ms: list[float] = []
    errors = 0
    with httpx.Client(base_url=args.base_url, timeout=30) as client:
        client.get("/api/v1/search/", params={"q": "warm up", "mode": args.mode})
        for n in range(args.n):
            text = PHRASES[n % len(PHRASES)] + (f" {n}" if args.distinct else "")
            started = time.perf_counter()
            response = client.get("/api/v1/search/", params={"q": text, "mode": args.mode})
            client_ms.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                errors += 1
                continue
            server_ms.append(response.json()["took_ms"])
    sys.stdout.write(
        f"{args.n} {args.mode} text queries{' (distinct)' if args.distinct else ''}: "
        f"client p50 {percentile(client_ms, 0.5):.1f} ms, p95 {percentile(client_ms, 0.95):.1f} ms, "
        f"max {max(client_ms):.1f} ms; server took_ms p50 {statistics.median(server_ms or [0]):.1f} ms; "
        f"errors {errors}\n"
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
