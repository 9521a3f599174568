"""What a model folder in the Hugging Face ONNX layout declares (``config.json``,
``tokenizer.json``, ``preprocessor_config.json``, ``onnx/*.onnx``, sentence-transformers'
module files), learnt from file names and small JSON files only: cheap enough for system
checks, and nothing heavy is imported."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

# The small files that describe a model; with the chosen graphs, all a snapshot needs.
DESCRIPTION_FILES = (
    "config.json",
    "preprocessor_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "sentence_bert_config.json",
    "modules.json",
    "1_Pooling/config.json",
)
TEXT_GRAPH, VISION_GRAPH, SENTENCE_GRAPH = "text_model", "vision_model", "model"
# sentence-transformers concatenates its pooling modes in this order.
POOLING_MODES = {
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len",
}
# Modules of a sentence-transformers pipeline that the code below reproduces.
SUPPORTED_MODULES = {"Transformer", "Pooling", "Normalize"}
# Larger values in a tokenizer_config.json mean "no limit" (transformers' VERY_LARGE_INTEGER).
SANE_TOKEN_LIMIT = 100_000
DEFAULT_CLIP_CONTEXT = 77
DEFAULT_RESCALE = 1 / 255
BICUBIC = 3


def unavailable_hint(repo_id: str | None) -> str:
    """What to do when the model files are missing, the same wherever it is reported."""
    hint = (
        "set OPTIONS['path'] (or SEARCHAPP_MODEL_DIR) to a folder with the model in "
        "Hugging Face ONNX layout"
    )
    return f"{hint}, or allow access to the hub once to download {repo_id}" if repo_id else hint


@dataclass(frozen=True)
class ImageSettings:
    """The CLIPImageProcessor steps as a model's preprocessor_config.json sets them."""

    shortest_edge: int | None  # resize so the shorter side has this length, keeping aspect
    resize_to: tuple[int, int] | None  # or resize to exactly (height, width)
    resample: int  # a PIL resampling filter code
    crop: tuple[int, int] | None  # (height, width) of the centre crop
    rescale: float | None
    mean: tuple[float, ...] | None  # normalise with mean and std when set
    std: tuple[float, ...] | None


@dataclass(frozen=True)
class ModelSpec:
    """What a model folder holds, learnt from file names and small JSON files only."""

    folder: Path
    text_graph: Path | None
    vision_graph: Path | None
    pooling: tuple[str, ...] | None  # sentence-transformers pooling; None for CLIP-family
    dimensions: int | None  # None when only the graph can tell
    max_length: int
    image: ImageSettings | None


def read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read {path.name}: {exc}") from exc
    return data if isinstance(data, dict) else {}


def read_json_list(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read {path.name}: {exc}") from exc
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []


def variant_suffixes(variant: str) -> list[str]:
    """File-name suffixes to try, best first: the requested variant, then the common two."""
    preferred = "" if variant in ("", "fp32") else f"_{variant}"
    return list(dict.fromkeys([preferred, "_quantized", ""]))


def variant_label(variant: str) -> str:
    return "fp32" if variant in ("", "fp32") else variant


def pick_graph(onnx_dir: Path, stem: str, variant: str) -> Path | None:
    """The ``onnx/<stem>*.onnx`` file to load: the preferred variant, else another one."""
    available = sorted(
        path.name
        for path in onnx_dir.glob(f"{stem}*.onnx")
        if path.name == f"{stem}.onnx" or path.name.startswith(f"{stem}_")
    )
    for suffix in variant_suffixes(variant):
        if f"{stem}{suffix}.onnx" in available:
            return onnx_dir / f"{stem}{suffix}.onnx"
    if available:
        logger.warning(
            "%s has no %s file of variant %r; using %s", onnx_dir, stem, variant, available[0]
        )
        return onnx_dir / available[0]
    return None


def positive_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def size_pair(value: Any, what: str) -> tuple[int, int]:
    """A (height, width) from a preprocessor_config.json size: an int means a square."""
    if isinstance(value, int):
        return value, value
    if isinstance(value, Mapping) and "height" in value and "width" in value:
        return int(value["height"]), int(value["width"])
    raise ValueError(f"preprocessor_config.json: unsupported {what} {value!r}")


def read_image_settings(config: Mapping[str, Any]) -> ImageSettings:
    """Each step runs when its flag says so, or, without a flag, when its values are given.
    A flag without its values is an error rather than a silent default."""
    shortest_edge = resize_to = crop = None
    size = config.get("size")
    if config.get("do_resize", size is not None):
        if isinstance(size, int):  # CLIPImageProcessor reads a bare int as the shortest edge
            shortest_edge = size
        elif isinstance(size, Mapping) and "shortest_edge" in size:
            shortest_edge = int(size["shortest_edge"])
        else:
            resize_to = size_pair(size, "size")
    crop_size = config.get("crop_size")
    if config.get("do_center_crop", crop_size is not None):
        crop = size_pair(crop_size, "crop_size")
    rescale = None
    if config.get("do_rescale", True):
        rescale = float(config.get("rescale_factor", DEFAULT_RESCALE))
    mean = std = None
    if config.get("do_normalize", "image_mean" in config):
        raw_mean, raw_std = config.get("image_mean"), config.get("image_std")
        if raw_mean is None or raw_std is None:
            raise ValueError(
                "preprocessor_config.json: do_normalize needs image_mean and image_std"
            )
        mean = tuple(float(v) for v in np.atleast_1d(raw_mean))
        std = tuple(float(v) for v in np.atleast_1d(raw_std))
    return ImageSettings(
        shortest_edge=shortest_edge,
        resize_to=resize_to,
        resample=int(config.get("resample", BICUBIC)),
        crop=crop,
        rescale=rescale,
        mean=mean,
        std=std,
    )


def read_pooling(folder: Path) -> tuple[str, ...]:
    """sentence-transformers' Pooling module settings; mean pooling when there are none."""
    config = read_json(folder / "1_Pooling" / "config.json")
    if not config:
        return ("mean",)
    unsupported = [
        key
        for key, value in config.items()
        if key.startswith("pooling_mode") and value is True and key not in POOLING_MODES
    ]
    if unsupported:
        raise ValueError(f"1_Pooling/config.json: unsupported {', '.join(unsupported)}")
    modes = tuple(mode for key, mode in POOLING_MODES.items() if config.get(key) is True)
    if not modes:
        raise ValueError("1_Pooling/config.json turns every pooling mode off")
    return modes


def read_spec(folder: Path, *, variant: str, max_length: int | None) -> ModelSpec:
    """Learn what the folder holds without loading a graph: cheap enough for system checks.
    Raises ValueError naming everything that stops the model from working."""
    onnx_dir = folder / "onnx"
    text_graph = pick_graph(onnx_dir, TEXT_GRAPH, variant)
    vision_graph = pick_graph(onnx_dir, VISION_GRAPH, variant)
    clip_family = text_graph is not None or vision_graph is not None
    if not clip_family:
        text_graph = pick_graph(onnx_dir, SENTENCE_GRAPH, variant)
    if text_graph is None and vision_graph is None:
        raise ValueError(
            f"no ONNX model in {onnx_dir} (expected text_model*.onnx and/or vision_model*.onnx "
            "for a CLIP-family model, or model*.onnx for a sentence-transformers model)"
        )
    problems = []
    if text_graph is not None and not (folder / "tokenizer.json").is_file():
        problems.append("tokenizer.json is missing")
    config = read_json(folder / "config.json")
    image = None
    if vision_graph is not None:
        preprocessor = read_json(folder / "preprocessor_config.json")
        if preprocessor:
            image = read_image_settings(preprocessor)
        else:
            problems.append("preprocessor_config.json is missing")
    pooling = None
    if not clip_family:
        modules = read_json_list(folder / "modules.json")
        unknown = [
            str(module.get("type"))
            for module in modules
            if str(module.get("type", "")).rsplit(".", 1)[-1] not in SUPPORTED_MODULES
        ]
        if unknown:
            problems.append(f"modules.json lists modules this provider cannot run: {unknown}")
        pooling = read_pooling(folder)
    if problems:
        raise ValueError("; ".join(problems))

    tokenizer_limit = positive_int(
        read_json(folder / "tokenizer_config.json").get("model_max_length")
    )
    tokenizer_limit = (
        tokenizer_limit if tokenizer_limit and tokenizer_limit < SANE_TOKEN_LIMIT else None
    )
    if clip_family:
        text_config = config.get("text_config") or {}
        positions = positive_int(text_config.get("max_position_embeddings"))
        limit = positions or tokenizer_limit or DEFAULT_CLIP_CONTEXT
        dimensions = positive_int(config.get("projection_dim")) or positive_int(
            text_config.get("projection_dim")
            or (config.get("vision_config") or {}).get("projection_dim")
        )
    else:
        positions = positive_int(config.get("max_position_embeddings"))
        seq_length = positive_int(
            read_json(folder / "sentence_bert_config.json").get("max_seq_length")
        )
        limit = seq_length or tokenizer_limit or positions or 512
        width = positive_int(
            read_json(folder / "1_Pooling" / "config.json").get("word_embedding_dimension")
        ) or positive_int(config.get("hidden_size"))
        dimensions = width * len(pooling) if width and pooling else None
    limit = max_length or limit
    return ModelSpec(
        folder=folder,
        text_graph=text_graph,
        vision_graph=vision_graph,
        pooling=pooling,
        dimensions=dimensions,
        # the graph's position table cannot go further, whatever the options say
        max_length=min(limit, positions) if positions else limit,
        image=image,
    )
