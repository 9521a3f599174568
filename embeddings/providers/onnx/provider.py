"""The provider: a model folder (or hub snapshot) run with ONNX Runtime on the CPU.
onnxruntime is imported on the first embed, never at import time."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

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
    Option,
    PermanentProviderError,
    ProviderConfigurationError,
    TextPart,
    Usage,
    Vectors,
    batched,
    l2_normalise,
)
from embeddings.providers.onnx.hub import DownloadError, cached_snapshot, download, hub_offline
from embeddings.providers.onnx.preprocessing import (
    decode_image,
    load_tokenizer,
    pool,
    preprocess_image,
)
from embeddings.providers.onnx.spec import (
    ModelSpec,
    read_json,
    read_spec,
    unavailable_hint,
    variant_label,
)

if TYPE_CHECKING:
    from onnxruntime import InferenceSession
    from tokenizers import Tokenizer

logger = logging.getLogger(__name__)

TEXT_INPUTS = {"input_ids", "attention_mask", "token_type_ids", "position_ids"}
ONNX_DTYPES: dict[str, type[np.generic]] = {
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
}


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


class OnnxProvider(EmbeddingProvider):
    """A local model in the Hugging Face ONNX layout, run with ONNX Runtime on the CPU.

    OPTIONS: ``path`` (model folder), ``repo_id`` (hub repo, downloaded once when ``path``
    is not a folder), ``cache_dir``, ``variant`` ("quantized" by default, "" or "fp32" for
    the full-precision graphs), ``threads``, ``max_batch`` and ``max_length``.

    Nothing heavy happens before it is needed: the folder's JSON files are read on the
    first look at ``capabilities``, the inference sessions are created on the first embed.
    """

    declared_options: ClassVar[Mapping[str, Option]] = {
        **EmbeddingProvider.declared_options,
        "path": Option(str),
        "repo_id": Option(str),
        "cache_dir": Option(str),
        "variant": Option(str, "quantized"),
        "threads": Option(int, minimum=1),
        "max_batch": Option(int, 32, minimum=1),
        "max_length": Option(int, minimum=1),
    }

    def __init__(self, alias: str, options: Mapping[str, Any]) -> None:
        super().__init__(alias, options)
        path, repo_id = self.options["path"], self.options["repo_id"]
        if not path and not repo_id:
            raise ProviderConfigurationError(
                f"EMBEDDING_PROVIDERS[{alias!r}]: set OPTIONS['path'] to a model folder "
                "or OPTIONS['repo_id'] to a Hugging Face hub repo"
            )
        self._path = Path(path).expanduser().resolve() if path else None
        self._repo_id = repo_id or None
        self._variant = self.options["variant"]
        self._threads = self.options["threads"] or default_threads()
        self._max_batch = self.options["max_batch"]
        self._max_length = self.options["max_length"]
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
        for text_chunk in batched(texts, size=self._max_batch):
            rows, tokens = self._embed_texts(runtime, [text for _, text in text_chunk])
            vectors[[index for index, _ in text_chunk]] = rows
            usage.text_tokens += tokens
        for image_chunk in batched(images, size=self._max_batch):
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
        snapshot = cached_snapshot(self._repo_id, self.options["cache_dir"])
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
        try:
            return download(
                repo_id,
                variant=self._variant,
                max_length=self._max_length,
                cache_dir=self.options["cache_dir"],
            )
        except DownloadError as exc:
            raise ModelUnavailableError(self.alias, str(exc)) from exc

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
