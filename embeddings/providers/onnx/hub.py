"""The Hugging Face hub: a model snapshot downloaded once (only the description files and
the graphs of one variant), or found in the local cache without a request."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from embeddings.providers.onnx.spec import (
    DESCRIPTION_FILES,
    SENTENCE_GRAPH,
    TEXT_GRAPH,
    VISION_GRAPH,
    read_json,
    read_spec,
    unavailable_hint,
    variant_suffixes,
)

logger = logging.getLogger(__name__)


class DownloadError(Exception):
    """The model is neither in the cache nor downloadable; the message says what to do."""


def hub_offline() -> bool:
    """Read at call time: huggingface_hub reads HF_HUB_OFFLINE once, when it is imported."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def cached_snapshot(repo_id: str, cache_dir: str | None) -> Path | None:
    """The snapshot folder of a repo already in the Hugging Face cache, without a request."""
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(repo_id, "config.json", cache_dir=cache_dir)
    return Path(found).parent if isinstance(found, str) else None


def download(repo_id: str, *, variant: str, max_length: int | None, cache_dir: str | None) -> Path:
    """A cached snapshot that holds a model is used as is. Otherwise the description
    files come first, then only the graphs of the preferred variant (a CLIP repo holds
    many variants of several hundred MB each), else those of the next variant."""
    from huggingface_hub import snapshot_download

    def fetch(patterns: list[str], *, local: bool) -> Path:
        return Path(
            snapshot_download(
                repo_id, allow_patterns=patterns, cache_dir=cache_dir, local_files_only=local
            )
        )

    try:
        cached = fetch(list(DESCRIPTION_FILES), local=True)
        read_spec(cached, variant=variant, max_length=max_length)
    except Exception:  # not (completely) cached, whichever way that shows: download it
        logger.debug("%s is not (completely) in the Hugging Face cache", repo_id)
    else:
        return cached
    hint = unavailable_hint(repo_id)
    if hub_offline():
        raise DownloadError(
            f"{repo_id} is not in the Hugging Face cache and HF_HUB_OFFLINE is set: {hint}"
        )
    logger.info("Downloading %s (variant %r) from the Hugging Face hub", repo_id, variant)
    try:
        folder = fetch(list(DESCRIPTION_FILES), local=False)
        clip_family = (folder / "preprocessor_config.json").is_file() or "vision_config" in (
            read_json(folder / "config.json")
        )
        stems = (TEXT_GRAPH, VISION_GRAPH) if clip_family else (SENTENCE_GRAPH,)
        for suffix in variant_suffixes(variant):
            # the trailing * brings the external-data file of a large graph along
            folder = fetch([f"onnx/{stem}{suffix}.onnx*" for stem in stems], local=False)
            if any((folder / "onnx" / f"{stem}{suffix}.onnx").is_file() for stem in stems):
                break
    except Exception as exc:  # huggingface_hub fails in many ways: HTTP, network, disk
        raise DownloadError(
            f"cannot download {repo_id} from the Hugging Face hub ({exc}): {hint}"
        ) from exc
    return folder
