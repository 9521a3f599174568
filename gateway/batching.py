"""Micro-batching: the requests that arrive for one model (and input type) while it is busy,
or within a short window, are embedded in one provider call, so that the throughput under
load approaches the provider's batch throughput instead of its one-request-at-a-time rate.

One lane per (alias, input type) in each web process: a daemon thread that collects jobs
(up to SEARCHAPP_GATEWAY_MAX_BATCH inputs, waiting at most SEARCHAPP_GATEWAY_BATCH_WINDOW_MS
for more after the first), runs the provider on all of them, and hands every request its own
rows. By default inference runs in that thread: ONNX Runtime releases the GIL and uses every
core for one batch, so one call at a time per model is the provider's best rate, and a
request thread only waits for its own batch. SEARCHAPP_GATEWAY_WORKER_PROCESSES > 0 runs the
batches in a pool of that many worker processes instead (each with its own copy of the
model, up to that many batches at once); docs/benchmarks.md measures both. A batch the provider refuses is retried request by request, so that one bad
input fails only the request that sent it.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from embeddings.providers.base import (
    EmbeddingInput,
    InputType,
    PermanentProviderError,
    ProviderError,
    TransientProviderError,
    Vectors,
)
from embeddings.providers.registry import providers

logger = logging.getLogger(__name__)


@dataclass
class Job:
    inputs: Sequence[EmbeddingInput]
    future: Future[Vectors] = field(default_factory=Future)


STOP = Job(inputs=())  # ends a lane's thread


def embed_inputs(alias: str, inputs: Sequence[EmbeddingInput], input_type: InputType) -> Vectors:
    """The provider call itself (what a lane runs for one batch)."""
    return providers[alias].embed(inputs, input_type=input_type).vectors


Refusal = tuple[str, bool]  # a provider error's message and whether it is transient


def embed_in_worker(
    alias: str, inputs: Sequence[EmbeddingInput], input_type: InputType
) -> tuple[Vectors | None, Refusal | None]:
    """embed_inputs in a worker process; provider errors come back as values (they do not
    pickle)."""
    try:
        return embed_inputs(alias, inputs, input_type), None
    except ProviderError as exc:
        return None, (exc.message, exc.transient)


def _worker_process_start() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "searchapp.settings")
    django.setup()


_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def worker_pool() -> ProcessPoolExecutor | None:
    """The worker processes (SEARCHAPP_GATEWAY_WORKER_PROCESSES), started on first use."""
    global _pool
    size = settings.SEARCHAPP_GATEWAY_WORKER_PROCESSES
    if not size:
        return None
    with _pool_lock:
        if _pool is None:
            import multiprocessing

            _pool = ProcessPoolExecutor(
                size, mp_context=multiprocessing.get_context("spawn"),
                initializer=_worker_process_start,
            )  # fmt: skip
        return _pool


def worker_pool_stop() -> None:
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown(wait=True, cancel_futures=True)
            _pool = None


class Lane:
    def __init__(self, alias: str, input_type: InputType) -> None:
        self.alias = alias
        self.input_type = input_type
        self.pool = worker_pool()
        size = settings.SEARCHAPP_GATEWAY_WORKER_PROCESSES if self.pool else 1
        self.slots = threading.Semaphore(size)  # batches in flight
        self.dispatcher = ThreadPoolExecutor(size) if self.pool else None
        self.jobs: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self.batches = 0  # provider calls made (tests and the benchmark read it)
        self.thread = threading.Thread(
            target=self._run, name=f"gateway-{alias}-{input_type}", daemon=True
        )
        self.thread.start()

    def submit(self, inputs: Sequence[EmbeddingInput]) -> Future[Vectors]:
        job = Job(inputs)
        self.jobs.put(job)
        return job.future

    def stop(self) -> None:
        self.jobs.put(STOP)

    def _collect(self) -> list[Job]:
        first = self.jobs.get()
        if first is STOP:
            return []
        batch, size = [first], len(first.inputs)
        max_batch = settings.SEARCHAPP_GATEWAY_MAX_BATCH
        deadline = time.monotonic() + settings.SEARCHAPP_GATEWAY_BATCH_WINDOW_MS / 1000
        while size < max_batch:
            try:
                # Whatever is queued already joins at once; then wait out the window.
                job = self.jobs.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if job is STOP or size + len(job.inputs) > max_batch:
                self.jobs.put(job)  # it starts the next batch (order within a lane is free)
                break
            batch.append(job)
            size += len(job.inputs)
        return batch

    def _run(self) -> None:
        while True:
            self.slots.acquire()  # collect the next batch only when it can run
            batch = self._collect()
            if not batch:
                return
            if self.dispatcher is None:
                self._run_batch(batch)
            else:
                self.dispatcher.submit(self._run_batch, batch)

    def _run_batch(self, batch: list[Job]) -> None:
        try:
            self._embed(batch)
        except BaseException as exc:  # never let the lane die with requests waiting
            for job in batch:
                if not job.future.done():
                    job.future.set_exception(exc)
        finally:
            self.slots.release()

    def _call(self, inputs: Sequence[EmbeddingInput]) -> Vectors:
        if self.pool is None:
            return embed_inputs(self.alias, inputs, self.input_type)
        vectors, refusal = self.pool.submit(
            embed_in_worker, self.alias, inputs, self.input_type
        ).result()
        if refusal is not None:
            message, transient = refusal
            error = TransientProviderError if transient else PermanentProviderError
            raise error(self.alias, message)
        assert vectors is not None  # noqa: S101 - one of the two is always set
        return vectors

    def _embed(self, batch: list[Job]) -> None:
        inputs = [parts for job in batch for parts in job.inputs]
        self.batches += 1
        try:
            vectors = self._call(inputs)
        except Exception as exc:
            if len(batch) == 1:
                batch[0].future.set_exception(exc)
                return
            for job in batch:  # find the request that the provider refuses
                try:
                    job.future.set_result(self._call(job.inputs))
                except Exception as job_exc:
                    job.future.set_exception(job_exc)
            return
        offset = 0
        for job in batch:
            job.future.set_result(vectors[offset : offset + len(job.inputs)])
            offset += len(job.inputs)


class MicroBatcher:
    def __init__(self) -> None:
        self._lanes: dict[tuple[str, InputType], Lane] = {}
        self._lock = threading.Lock()

    def lane(self, alias: str, input_type: InputType) -> Lane:
        with self._lock:
            lane = self._lanes.get((alias, input_type))
            if lane is None:
                lane = self._lanes[(alias, input_type)] = Lane(alias, input_type)
            return lane

    def embed(
        self, alias: str, inputs: Sequence[EmbeddingInput], *, input_type: InputType
    ) -> Vectors:
        return self.lane(alias, input_type).submit(inputs).result()

    def reset(self) -> None:
        """Stop every lane (after the jobs already queued); new ones start on demand."""
        with self._lock:
            for lane in self._lanes.values():
                lane.stop()
            self._lanes.clear()


batcher = MicroBatcher()


@receiver(setting_changed)
def _reset_on_setting_change(*, setting: str, **kwargs: object) -> None:
    if setting in ("EMBEDDING_PROVIDERS", "SEARCHAPP_GATEWAY_WORKER_PROCESSES"):
        batcher.reset()
    if setting == "SEARCHAPP_GATEWAY_WORKER_PROCESSES":
        worker_pool_stop()
