"""Local models run with ONNX Runtime: CLIP-family encoders (text and images) and
sentence-transformers text encoders, from a folder in the Hugging Face ONNX layout
(``config.json``, ``tokenizer.json``, ``preprocessor_config.json``, ``onnx/*.onnx``) or
from a hub snapshot downloaded once.

onnxruntime, tokenizers, huggingface_hub and PIL are imported where they are used, never
at import time, so that importing the web app stays light.
"""

from __future__ import annotations

import io
import json
import logging
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from django.core import checks

from embeddings.providers.base import (
    Capabilities,
    EmbeddingInput,
    EmbeddingProvider,
    EmbeddingResult,
    ImagePart,
    InputType,
    ModelUnavailableError,
    PermanentProviderError,
    ProviderConfigurationError,
    TextPart,
    Usage,
    Vectors,
    eight_bit,
    l2_normalise,
)

if TYPE_CHECKING:
    from onnxruntime import InferenceSession
    from PIL.Image import Image
    from tokenizers import Tokenizer

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
TEXT_INPUTS = {"input_ids", "attention_mask", "token_type_ids", "position_ids"}
ONNX_DTYPES: dict[str, type[np.generic]] = {
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
}
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


@dataclass(frozen=True)
class Graph:
    """An inference session with the names and types of what it takes and gives."""

    session: InferenceSession
    inputs: dict[str, type[np.generic]]
    output: str
    output_dimensions: int | None


@dataclass(frozen=True)
class Runtime:
    """Everything the first embed loads, kept for the life of the provider."""

    spec: ModelSpec
    text: Graph | None
    vision: Graph | None
    tokenizer: Tokenizer | None
    dimensions: int


def hub_offline() -> bool:
    """Read at call time: huggingface_hub reads HF_HUB_OFFLINE once, when it is imported."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


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


def cached_snapshot(repo_id: str, cache_dir: str | None) -> Path | None:
    """The snapshot folder of a repo already in the Hugging Face cache, without a request."""
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(repo_id, "config.json", cache_dir=cache_dir)
    return Path(found).parent if isinstance(found, str) else None


def load_tokenizer(folder: Path, *, max_length: int, eos_id: int | None) -> Tokenizer:
    """tokenizer.json with our own truncation and padding to the longest text of a batch:
    some exports ship fixed padding (MiniLM: 128) and truncation settings of their own."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    shipped_padding = tokenizer.padding
    pad_id, pad_token = None, None
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        token = read_json(folder / name).get("pad_token")
        if isinstance(token, Mapping):
            token = token.get("content")
        if isinstance(token, str) and tokenizer.token_to_id(token) is not None:
            pad_id, pad_token = tokenizer.token_to_id(token), token
            break
    if pad_id is None and shipped_padding:
        pad_id, pad_token = shipped_padding["pad_id"], shipped_padding["pad_token"]
    if pad_id is None:  # CLIP pads with its end-of-text token
        pad_id = eos_id if eos_id is not None else 0
        pad_token = tokenizer.id_to_token(pad_id) or "[PAD]"
    # each call replaces the settings tokenizer.json came with
    tokenizer.enable_truncation(max_length)
    tokenizer.enable_padding(pad_id=pad_id, pad_token=pad_token)  # to the batch's longest
    return tokenizer


def decode_image(data: bytes) -> Image:
    """The first frame, turned upright as its EXIF orientation says (catalog images are
    stored upright already; this covers bytes from anywhere else), in 8-bit RGB."""
    from PIL import Image as PILImage
    from PIL import ImageOps

    # Image.open stays on the first frame of an animated image; exif_transpose returns a
    # loaded copy (also without EXIF), still valid once the file is closed.
    with PILImage.open(io.BytesIO(data)) as opened:
        upright = ImageOps.exif_transpose(opened)
    return eight_bit(upright, keep_alpha=False)


def resized_shape(height: int, width: int, shortest_edge: int) -> tuple[int, int]:
    """transformers' get_resize_output_image_size(default_to_square=False): the long side
    is truncated, not rounded."""
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = shortest_edge, int(shortest_edge * long / short)
    return (new_long, new_short) if width <= height else (new_short, new_long)


def center_crop(pixels: npt.NDArray[Any], height: int, width: int) -> npt.NDArray[Any]:
    """transformers' center_crop on an HWC array: offsets rounded down, and an image
    smaller than the crop is padded with zeros around its centre."""
    orig_height, orig_width = pixels.shape[:2]
    top, left = (orig_height - height) // 2, (orig_width - width) // 2
    if top >= 0 and left >= 0:
        return pixels[top : top + height, left : left + width]
    new_height, new_width = max(height, orig_height), max(width, orig_width)
    padded = np.zeros((new_height, new_width, *pixels.shape[2:]), dtype=pixels.dtype)
    top_pad, left_pad = (new_height - orig_height + 1) // 2, (new_width - orig_width + 1) // 2
    padded[top_pad : top_pad + orig_height, left_pad : left_pad + orig_width] = pixels
    top, left = top + top_pad, left + left_pad
    return padded[
        max(0, top) : min(new_height, top + height), max(0, left) : min(new_width, left + width)
    ]


def preprocess_image(image: Image, settings: ImageSettings) -> npt.NDArray[np.float32]:
    """CLIPImageProcessor on one RGB image: resize, centre crop, rescale, normalise, CHW."""
    from PIL import Image as PILImage

    resample = PILImage.Resampling(settings.resample)
    if settings.shortest_edge is not None:
        height, width = resized_shape(image.height, image.width, settings.shortest_edge)
        image = image.resize((width, height), resample=resample)
    elif settings.resize_to is not None:
        height, width = settings.resize_to
        image = image.resize((width, height), resample=resample)
    pixels: npt.NDArray[Any] = np.asarray(image)
    if settings.crop is not None:
        pixels = center_crop(pixels, *settings.crop)
    if settings.rescale is not None:
        # float64 first, then down to float32, as transformers' rescale does
        values = (pixels.astype(np.float64) * settings.rescale).astype(np.float32)
    else:
        values = pixels.astype(np.float32)
    if settings.mean is not None and settings.std is not None:
        mean = np.asarray(settings.mean, np.float32)
        std = np.asarray(settings.std, np.float32)
        values = ((values - mean) / std).astype(np.float32, copy=False)
    return np.ascontiguousarray(values.transpose(2, 0, 1), dtype=np.float32)


def pool(
    hidden: npt.NDArray[np.float32], mask: npt.NDArray[Any], modes: Sequence[str]
) -> npt.NDArray[np.float32]:
    """sentence-transformers' Pooling over the tokens the attention mask keeps."""
    keep = mask[:, :, None].astype(np.float32)
    counts = np.clip(keep.sum(axis=1), 1e-9, None)
    pooled = []
    for mode in modes:
        if mode == "cls":
            pooled.append(hidden[:, 0])
        elif mode == "max":
            pooled.append(np.where(keep > 0, hidden, -np.inf).max(axis=1))
        elif mode == "mean":
            pooled.append((hidden * keep).sum(axis=1) / counts)
        else:  # mean_sqrt_len
            pooled.append((hidden * keep).sum(axis=1) / np.sqrt(counts))
    return np.concatenate(pooled, axis=1).astype(np.float32)


def default_threads() -> int:
    """SEARCHAPP_ONNX_THREADS when set (a worker with N processes on C cores wants C / N),
    else the CPUs this process may use (a container's cpuset, not the host's count), at
    most 4: small encoders gain little from more threads per call."""
    from django.conf import settings

    configured = int(getattr(settings, "SEARCHAPP_ONNX_THREADS", 0) or 0)
    if configured > 0:
        return configured
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return max(1, min(available or os.cpu_count() or 1, 4))


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class OnnxProvider(EmbeddingProvider):
    """A local model in the Hugging Face ONNX layout, run with ONNX Runtime on the CPU.

    OPTIONS: ``path`` (model folder), ``repo_id`` (hub repo, downloaded once when ``path``
    is not a folder), ``cache_dir``, ``variant`` ("quantized" by default, "" or "fp32" for
    the full-precision graphs), ``threads``, ``max_batch`` and ``max_length``.

    Nothing heavy happens before it is needed: the folder's JSON files are read on the
    first look at ``capabilities``, the inference sessions are created on the first embed.
    """

    def __init__(self, alias: str, options: Mapping[str, Any]) -> None:
        super().__init__(alias, options)
        path, repo_id = options.get("path"), options.get("repo_id")
        if not path and not repo_id:
            raise ProviderConfigurationError(
                f"EMBEDDING_PROVIDERS[{alias!r}]: set OPTIONS['path'] to a model folder "
                "or OPTIONS['repo_id'] to a Hugging Face hub repo"
            )
        self._path = Path(path).expanduser().resolve() if path else None
        self._repo_id = str(repo_id) if repo_id else None
        self._variant = str(options.get("variant", "quantized"))
        self._threads = int(options.get("threads") or default_threads())
        self._max_batch = max(1, int(options.get("max_batch", 32)))
        self._max_length = positive_int(options.get("max_length"))
        self._lock = threading.RLock()
        self._spec: ModelSpec | None = None
        self._runtime: Runtime | None = None
        self._capabilities: Capabilities | None = None

    @property
    def model_name(self) -> str:
        """The requested variant, not the file found: the name must not change when the
        files are downloaded later."""
        identity = self._repo_id or f"onnx:{self._path.name if self._path else ''}"
        return f"{identity}@{variant_label(self._variant)}"

    @property
    def capabilities(self) -> Capabilities:
        if self._capabilities is None:
            spec = self._model_spec()
            self._capabilities = Capabilities(
                text=spec.text_graph is not None,
                image=spec.vision_graph is not None,
                dimensions=spec.dimensions or self._loaded().dimensions,
                max_batch=self._max_batch,
            )
        return self._capabilities

    @capabilities.setter
    def capabilities(self, value: Capabilities) -> None:
        # The base class declares a plain attribute; keep it assignable.
        self._capabilities = value

    def warm(self) -> None:
        """Load the tokenizer and the inference sessions now, not on the first item."""
        self._loaded()

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """The token ids the text graph sees for each text, after truncation and without
        padding: to check a tokenizer setup, or to count tokens before embedding."""
        tokenizer = self._loaded().tokenizer
        if tokenizer is None:
            raise PermanentProviderError(self.alias, "this provider does not embed text")
        return [
            [
                token
                for token, keep in zip(encoding.ids, encoding.attention_mask, strict=True)
                if keep
            ]
            for encoding in tokenizer.encode_batch(list(texts))
        ]

    def embed_batch(
        self, inputs: Sequence[EmbeddingInput], *, input_type: InputType
    ) -> EmbeddingResult:
        runtime = self._loaded()
        texts: list[tuple[int, str]] = []
        images: list[tuple[int, ImagePart]] = []
        for index, parts in enumerate(inputs):
            if len(parts) != 1:
                raise PermanentProviderError(
                    self.alias, f"input {index} has {len(parts)} parts; this provider embeds one"
                )
            part = parts[0]
            if isinstance(part, TextPart):
                texts.append((index, part.text))
            else:
                images.append((index, part))

        vectors = np.zeros((len(inputs), runtime.dimensions), dtype=np.float32)
        usage = Usage(inputs=len(inputs), images=len(images))
        for text_chunk in chunks(texts, self._max_batch):
            rows, tokens = self._embed_texts(runtime, [text for _, text in text_chunk])
            vectors[[index for index, _ in text_chunk]] = rows
            usage.text_tokens += tokens
        for image_chunk in chunks(images, self._max_batch):
            rows, pixels = self._embed_images(runtime, image_chunk)
            vectors[[index for index, _ in image_chunk]] = rows
            usage.image_pixels += pixels
        return EmbeddingResult(vectors=l2_normalise(vectors), usage=usage)

    def check(self) -> list[checks.CheckMessage]:
        """Looks at files only: no inference session, no download."""
        hint = unavailable_hint(self._repo_id)
        if self._path is not None and self._path.is_dir():
            problem = self._problem_with(self._path)
            if problem is None:
                return []
            return [
                checks.Error(
                    f"{self.alias}: {problem}", hint=hint, id="embeddings.E021", obj=self.alias
                )
            ]
        if self._repo_id is None:
            return [
                checks.Error(
                    f"{self.alias}: model folder {self._path} does not exist",
                    hint=hint,
                    id="embeddings.E020",
                    obj=self.alias,
                )
            ]
        snapshot = cached_snapshot(self._repo_id, self.options.get("cache_dir"))
        if snapshot is not None and self._problem_with(snapshot) is None:
            return []
        if hub_offline():
            # A warning, not an error: the application runs without this model (its spaces
            # cannot be created or filled, search answers from the others).
            return [
                checks.Warning(
                    f"{self.alias}: {self._repo_id} is not in the Hugging Face cache and "
                    "HF_HUB_OFFLINE is set",
                    hint=hint,
                    id="embeddings.W022",
                    obj=self.alias,
                )
            ]
        return [
            checks.Warning(
                f"{self.alias}: {self._repo_id} is not downloaded yet; it will be downloaded "
                "on first use",
                hint=hint,
                id="embeddings.W020",
                obj=self.alias,
            )
        ]

    def _problem_with(self, folder: Path) -> str | None:
        try:
            read_spec(folder, variant=self._variant, max_length=self._max_length)
        except ValueError as exc:
            return str(exc)
        return None

    def _model_spec(self) -> ModelSpec:
        if self._spec is None:
            with self._lock:
                if self._spec is None:
                    folder = self._model_folder()
                    try:
                        self._spec = read_spec(
                            folder, variant=self._variant, max_length=self._max_length
                        )
                    except ValueError as exc:
                        raise ModelUnavailableError(
                            self.alias, f"{folder}: {exc}; {unavailable_hint(self._repo_id)}"
                        ) from exc
        return self._spec

    def _loaded(self) -> Runtime:
        if self._runtime is None:
            with self._lock:
                if self._runtime is None:
                    self._runtime = self._load(self._model_spec())
        return self._runtime

    def _model_folder(self) -> Path:
        if self._path is not None and self._path.is_dir():
            return self._path
        if self._repo_id is None:
            raise ModelUnavailableError(
                self.alias, f"model folder {self._path} does not exist: {unavailable_hint(None)}"
            )
        return self._download(self._repo_id)

    def _download(self, repo_id: str) -> Path:
        """A cached snapshot that holds a model is used as is. Otherwise the description
        files come first, then only the graphs of the preferred variant (a CLIP repo holds
        many variants of several hundred MB each), else those of the next variant."""
        from huggingface_hub import snapshot_download

        def fetch(patterns: list[str], *, local: bool) -> Path:
            return Path(
                snapshot_download(
                    repo_id,
                    allow_patterns=patterns,
                    cache_dir=self.options.get("cache_dir"),
                    local_files_only=local,
                )
            )

        try:
            cached = fetch(list(DESCRIPTION_FILES), local=True)
            read_spec(cached, variant=self._variant, max_length=self._max_length)
        except Exception:  # not (completely) cached, whichever way that shows: download it
            logger.debug("%s is not (completely) in the Hugging Face cache", repo_id)
        else:
            return cached
        hint = unavailable_hint(repo_id)
        if hub_offline():
            raise ModelUnavailableError(
                self.alias,
                f"{repo_id} is not in the Hugging Face cache and HF_HUB_OFFLINE is set: {hint}",
            )
        logger.info("Downloading %s (variant %r) from the Hugging Face hub", repo_id, self._variant)
        try:
            folder = fetch(list(DESCRIPTION_FILES), local=False)
            clip_family = (folder / "preprocessor_config.json").is_file() or "vision_config" in (
                read_json(folder / "config.json")
            )
            stems = (TEXT_GRAPH, VISION_GRAPH) if clip_family else (SENTENCE_GRAPH,)
            for suffix in variant_suffixes(self._variant):
                # the trailing * brings the external-data file of a large graph along
                folder = fetch([f"onnx/{stem}{suffix}.onnx*" for stem in stems], local=False)
                if any((folder / "onnx" / f"{stem}{suffix}.onnx").is_file() for stem in stems):
                    break
        except Exception as exc:  # huggingface_hub fails in many ways: HTTP, network, disk
            raise ModelUnavailableError(
                self.alias, f"cannot download {repo_id} from the Hugging Face hub ({exc}): {hint}"
            ) from exc
        return folder

    def _load(self, spec: ModelSpec) -> Runtime:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self._threads
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Spinning threads gain nothing measurable here, but when more threads than free
        # cores run (two worker processes, a busy web server) they cut throughput 2-3x.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")

        def open_graph(path: Path, preferred_outputs: Sequence[str]) -> Graph:
            try:
                session = onnxruntime.InferenceSession(
                    str(path), sess_options=options, providers=["CPUExecutionProvider"]
                )
            except Exception as exc:  # onnxruntime's error types are not part of its API
                raise PermanentProviderError(
                    self.alias, f"onnxruntime cannot load {path}: {exc}"
                ) from exc
            outputs = {output.name: output for output in session.get_outputs()}
            name = next((n for n in preferred_outputs if n in outputs), next(iter(outputs)))
            shape = outputs[name].shape
            width = shape[-1] if isinstance(shape[-1], int) else None
            if width is not None and len(shape) == 3 and spec.pooling:
                width *= len(spec.pooling)
            return Graph(
                session=session,
                inputs={i.name: ONNX_DTYPES.get(i.type, np.int64) for i in session.get_inputs()},
                output=name,
                output_dimensions=width,
            )

        text = vision = tokenizer = None
        if spec.text_graph is not None:
            text = open_graph(
                spec.text_graph,
                ("text_embeds",)
                if spec.pooling is None
                # not "pooler_output": BERT's pooler is not the sentence embedding
                else ("sentence_embedding", "last_hidden_state"),
            )
            unknown = set(text.inputs) - TEXT_INPUTS
            if unknown:
                raise PermanentProviderError(
                    self.alias,
                    f"{spec.text_graph.name} takes inputs this provider cannot make: "
                    f"{sorted(unknown)}",
                )
            text_config = read_json(spec.folder / "config.json").get("text_config") or {}
            tokenizer = load_tokenizer(
                spec.folder, max_length=spec.max_length, eos_id=text_config.get("eos_token_id")
            )
        if spec.vision_graph is not None:
            vision = open_graph(spec.vision_graph, ("image_embeds",))
            if len(vision.inputs) != 1:
                raise PermanentProviderError(
                    self.alias, f"{spec.vision_graph.name} should take one input (pixel_values)"
                )
        widths = {g.output_dimensions for g in (text, vision) if g and g.output_dimensions}
        dimensions = spec.dimensions or (min(widths) if len(widths) == 1 else None)
        if dimensions is None or (widths and widths != {dimensions}):
            raise PermanentProviderError(
                self.alias,
                f"cannot tell the vector size: config.json says {spec.dimensions}, "
                f"the graphs {sorted(widths)}",
            )
        return Runtime(
            spec=spec, text=text, vision=vision, tokenizer=tokenizer, dimensions=dimensions
        )

    def _run(self, graph: Graph, feeds: dict[str, npt.NDArray[Any]]) -> npt.NDArray[np.float32]:
        try:
            (output,) = graph.session.run([graph.output], feeds)
        except Exception as exc:  # onnxruntime's error types are not part of its API
            raise PermanentProviderError(self.alias, f"onnxruntime failed: {exc}") from exc
        return np.asarray(output, dtype=np.float32)

    def _embed_texts(self, runtime: Runtime, texts: list[str]) -> tuple[Vectors, int]:
        """Vectors and the number of real (unpadded) tokens."""
        graph, tokenizer = runtime.text, runtime.tokenizer
        if graph is None or tokenizer is None:
            raise PermanentProviderError(self.alias, "this provider does not embed text")
        encodings = tokenizer.encode_batch(texts)
        ids = np.array([encoding.ids for encoding in encodings], dtype=np.int64)
        mask = np.array([encoding.attention_mask for encoding in encodings], dtype=np.int64)
        available = {
            "input_ids": ids,
            "attention_mask": mask,
            "token_type_ids": np.zeros_like(ids),
            "position_ids": np.broadcast_to(np.arange(ids.shape[1]), ids.shape),
        }
        feeds = {name: available[name].astype(dtype) for name, dtype in graph.inputs.items()}
        output = self._run(graph, feeds)
        if output.ndim == 3:
            pooling = runtime.spec.pooling
            if pooling is None:  # CLIP: the state at the end-of-text token, the highest id
                output = output[np.arange(len(ids)), ids.argmax(axis=1)]
            else:
                output = pool(output, mask, pooling)
        return self._checked(output, runtime, len(texts)), int(mask.sum())

    def _embed_images(
        self, runtime: Runtime, images: list[tuple[int, ImagePart]]
    ) -> tuple[Vectors, int]:
        """Vectors and the number of pixels of the images as they arrived."""
        graph, settings = runtime.vision, runtime.spec.image
        if graph is None or settings is None:
            raise PermanentProviderError(self.alias, "this provider does not embed images")
        batch = []
        pixels = 0
        for index, part in images:
            try:
                image = decode_image(part.data)
            except Exception as exc:  # Pillow's decoders fail with many exception types
                raise PermanentProviderError(
                    self.alias, f"input {index}: cannot decode the {part.content_type} image: {exc}"
                ) from exc
            pixels += image.width * image.height
            batch.append(preprocess_image(image, settings))
        ((name, dtype),) = graph.inputs.items()
        output = self._run(graph, {name: np.stack(batch).astype(dtype)})
        return self._checked(output, runtime, len(images)), pixels

    def _checked(self, output: npt.NDArray[np.float32], runtime: Runtime, count: int) -> Vectors:
        if output.shape != (count, runtime.dimensions):
            raise PermanentProviderError(
                self.alias,
                f"the graph gave an output of shape {output.shape}, "
                f"expected ({count}, {runtime.dimensions})",
            )
        return output
