"""OnnxProvider against tiny models built in tmp folders (see tiny_models.py), whose
vectors the tests compute with numpy alone; and, when ../shared is there, against the
real model folders."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnxruntime
import pytest
from PIL import Image

from embeddings.providers.base import (
    ImagePart,
    InputType,
    ModelUnavailableError,
    PermanentProviderError,
    ProviderConfigurationError,
    TextPart,
)
from embeddings.providers.onnx import OnnxProvider
from tests.conftest import REPO_ROOT
from tests.embeddings.providers.tiny_models import (
    CLIP_CONTEXT,
    CLIP_DIMENSIONS,
    CROP,
    IMAGE_MEAN,
    IMAGE_STD,
    SENTENCE_DIMENSIONS,
    SENTENCE_MAX_SEQ_LENGTH,
    TinyClip,
    TinySentenceModel,
    build_tiny_clip,
    build_tiny_sentence_model,
    write_json,
)

SHARED_MODELS = Path(__file__).resolve().parents[3].parent / "shared" / "models"
QUERY = InputType.QUERY


@pytest.fixture
def tiny_clip(tmp_path: Path) -> TinyClip:
    return build_tiny_clip(tmp_path)


@pytest.fixture
def tiny_sentence(tmp_path: Path) -> TinySentenceModel:
    return build_tiny_sentence_model(tmp_path)


def provider_for(folder: Path, **options: Any) -> OnnxProvider:
    return OnnxProvider("local", {"path": str(folder), **options})


def embed_texts(provider: OnnxProvider, *texts: str) -> npt.NDArray[np.float32]:
    return provider.embed([[TextPart(text)] for text in texts], input_type=QUERY).vectors


def embed_images(provider: OnnxProvider, *images: bytes) -> npt.NDArray[np.float32]:
    parts = [[ImagePart(data, "image/png")] for data in images]
    return provider.embed(parts, input_type=QUERY).vectors


def encode(image: Image.Image, fmt: str = "PNG", **params: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def noise(width: int, height: int, seed: int = 3) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    return Image.fromarray(pixels, "RGB")


def unit(vector: npt.ArrayLike) -> npt.NDArray[np.float64]:
    array = np.asarray(vector, dtype=np.float64)
    return array / np.linalg.norm(array)


# -- sentence-transformers family --------------------------------------------------------


def sentence_ids(model: TinySentenceModel, *tokens: str) -> list[int]:
    return [model.vocab["[CLS]"], *(model.vocab[token] for token in tokens), model.vocab["[SEP]"]]


def expected_sentence(model: TinySentenceModel, ids: list[int], variant: str = "") -> Any:
    """Mean of the known rows of the real tokens (token type 0), normalised."""
    rows = model.tables[variant][ids].astype(np.float64)
    if model.type_table is not None:
        rows = rows + model.type_table[0]
    return unit(rows.mean(axis=0))


def test_sentence_vector_is_the_masked_mean_of_known_rows(
    tiny_sentence: TinySentenceModel,
) -> None:
    provider = provider_for(tiny_sentence.folder)
    short, long = "Red shoes", "a blue leather bag for women"
    together = embed_texts(provider, short, long)  # the short one is padded in this batch
    alone = np.vstack([embed_texts(provider, short), embed_texts(provider, long)])

    assert together.dtype == np.float32 and together.shape == (2, SENTENCE_DIMENSIONS)
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(together, alone, atol=1e-6)
    expected_short = expected_sentence(
        tiny_sentence, sentence_ids(tiny_sentence, "red", "shoe", "##s")
    )
    expected_long = expected_sentence(
        tiny_sentence,
        sentence_ids(tiny_sentence, "a", "blue", "leather", "bag", "for", "women"),
    )
    np.testing.assert_allclose(together[0], expected_short, atol=1e-5)
    np.testing.assert_allclose(together[1], expected_long, atol=1e-5)


@pytest.mark.parametrize("token_type_ids", [True, False], ids=["with-types", "without-types"])
def test_only_the_inputs_the_graph_declares_are_fed(tmp_path: Path, token_type_ids: bool) -> None:
    model = build_tiny_sentence_model(tmp_path, token_type_ids=token_type_ids)
    vector = embed_texts(provider_for(model.folder), "the man is eating food.")[0]
    ids = sentence_ids(model, "the", "man", "is", "eating", "food", ".")
    np.testing.assert_allclose(vector, expected_sentence(model, ids), atol=1e-5)


def test_sentence_text_is_truncated_to_max_seq_length(tiny_sentence: TinySentenceModel) -> None:
    """sentence_bert_config.json says 8 word pieces; the shipped tokenizer.json says 128."""
    provider = provider_for(tiny_sentence.folder)
    words = "red blue leather shoe bag for men women " * 40
    first_six = " ".join(words.split()[: SENTENCE_MAX_SEQ_LENGTH - 2])

    (ids,) = provider.token_ids([words])
    assert len(ids) == SENTENCE_MAX_SEQ_LENGTH and ids[-1] == tiny_sentence.vocab["[SEP]"]
    np.testing.assert_allclose(
        embed_texts(provider, words), embed_texts(provider, first_six), atol=1e-6
    )


def test_max_length_option_overrides_the_model_limit(tiny_sentence: TinySentenceModel) -> None:
    provider = provider_for(tiny_sentence.folder, max_length=4)
    assert provider.token_ids(["red blue leather shoe bag"]) == [
        sentence_ids(tiny_sentence, "red", "blue")
    ]


@pytest.mark.parametrize(
    ("pooling", "reduce"),
    [("cls", lambda rows: rows[0]), ("max", lambda rows: rows.max(axis=0))],
)
def test_other_pooling_modes(tmp_path: Path, pooling: str, reduce: Callable[[Any], Any]) -> None:
    model = build_tiny_sentence_model(tmp_path, pooling=pooling)
    assert model.type_table is not None
    provider = provider_for(model.folder)
    ids = sentence_ids(model, "blue", "dress", "for", "men")
    rows = model.tables[""][ids] + model.type_table[0]
    padded_batch = embed_texts(provider, "blue dress for men", "a")
    np.testing.assert_allclose(padded_batch[0], unit(reduce(rows)), atol=1e-5)


def test_batches_are_padded_to_their_longest_text(
    tiny_sentence: TinySentenceModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not to the 128 tokens the shipped tokenizer.json pads to."""
    shapes: list[tuple[int, ...]] = []

    class Recording(onnxruntime.InferenceSession):
        def run(self, output_names: Any, input_feed: Any, run_options: Any = None) -> Any:
            shapes.append(input_feed["input_ids"].shape)
            return super().run(output_names, input_feed, run_options)

    monkeypatch.setattr(onnxruntime, "InferenceSession", Recording)
    embed_texts(provider_for(tiny_sentence.folder), "red shoes", "a")
    assert shapes == [(2, 5)]


def test_usage_counts_real_tokens(tiny_sentence: TinySentenceModel) -> None:
    provider = provider_for(tiny_sentence.folder)
    result = provider.embed([[TextPart("red shoes")], [TextPart("a")]], input_type=QUERY)
    assert result.usage.inputs == 2
    assert result.usage.text_tokens == 5 + 3  # [CLS] red shoe ##s [SEP] + [CLS] a [SEP]
    assert result.usage.images == result.usage.image_pixels == 0


# -- variants, names, capabilities ------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "variant", "used", "label"),
    [
        (("", "_quantized"), None, "_quantized", "quantized"),
        (("", "_quantized"), "", "", "fp32"),
        (("", "_quantized"), "fp32", "", "fp32"),
        (("",), None, "", "quantized"),
        (("_quantized",), "fp32", "_quantized", "fp32"),
    ],
)
def test_variant_selection(
    tmp_path: Path, files: tuple[str, ...], variant: str | None, used: str, label: str
) -> None:
    model = build_tiny_sentence_model(tmp_path, variants=files)
    options = {} if variant is None else {"variant": variant}
    provider = provider_for(model.folder, **options)
    ids = sentence_ids(model, "red", "dress")
    np.testing.assert_allclose(
        embed_texts(provider, "red dress")[0], expected_sentence(model, ids, used), atol=1e-5
    )
    # the name says what was asked for, so it cannot change when files appear later
    assert provider.model_name == f"onnx:tiny-minilm@{label}"


def test_model_name_is_the_repo_id_when_there_is_one(tiny_clip: TinyClip) -> None:
    provider = OnnxProvider(
        "clip", {"path": str(tiny_clip.folder), "repo_id": "Xenova/clip-vit-base-patch32"}
    )
    assert provider.model_name == "Xenova/clip-vit-base-patch32@quantized"


def test_capabilities_come_from_the_folder_without_a_session(
    tiny_clip: TinyClip, tiny_sentence: TinySentenceModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_session(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("an inference session was created")

    monkeypatch.setattr(onnxruntime, "InferenceSession", no_session)
    clip = provider_for(tiny_clip.folder, max_batch=3).capabilities
    assert (clip.text, clip.image, clip.dimensions, clip.max_batch) == (
        True,
        True,
        CLIP_DIMENSIONS,
        3,
    )
    assert not clip.interleaved and not clip.input_types
    sentence = provider_for(tiny_sentence.folder).capabilities
    assert (sentence.text, sentence.image, sentence.dimensions) == (
        True,
        False,
        SENTENCE_DIMENSIONS,
    )
    text_only = build_tiny_clip(tiny_clip.folder.parent / "text-only", vision=False)
    assert not provider_for(text_only.folder).capabilities.image


def test_sessions_use_the_configured_threads(
    tiny_sentence: TinySentenceModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[onnxruntime.SessionOptions] = []
    real = onnxruntime.InferenceSession

    def recording(path: str, sess_options: onnxruntime.SessionOptions, **kwargs: Any) -> Any:
        seen.append(sess_options)
        return real(path, sess_options=sess_options, **kwargs)

    monkeypatch.setattr(onnxruntime, "InferenceSession", recording)
    embed_texts(provider_for(tiny_sentence.folder, threads=1), "red")
    (options,) = seen
    assert (options.intra_op_num_threads, options.inter_op_num_threads) == (1, 1)
    assert options.graph_optimization_level == onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"


# -- CLIP family: text -----------------------------------------------------------------------


def expected_clip_text(model: TinyClip, *words: str) -> Any:
    ids = [model.bos_id, *(model.vocab[f"{word}</w>"] for word in words), model.eos_id]
    mean = model.text_table[ids].astype(np.float64).mean(axis=0)
    return unit(mean @ model.text_projection)


def test_clip_text_vector(tiny_clip: TinyClip) -> None:
    provider = provider_for(tiny_clip.folder)
    assert provider.token_ids(["A Photo of a DOG!"]) == [
        [tiny_clip.bos_id, *(tiny_clip.vocab[f"{w}</w>"] for w in ("a", "photo", "of", "a", "dog")),
         tiny_clip.vocab["!</w>"], tiny_clip.eos_id]
    ]  # fmt: skip
    vectors = embed_texts(provider, "red shoe", "a photo of a blue hat")
    np.testing.assert_allclose(vectors[0], expected_clip_text(tiny_clip, "red", "shoe"), atol=1e-5)
    np.testing.assert_allclose(
        vectors[1], expected_clip_text(tiny_clip, "a", "photo", "of", "a", "blue", "hat"), atol=1e-5
    )
    np.testing.assert_allclose(vectors[0], embed_texts(provider, "red shoe")[0], atol=1e-6)


def test_clip_text_is_truncated_to_the_context_length(tiny_clip: TinyClip) -> None:
    provider = provider_for(tiny_clip.folder)
    words = ("red", "blue", "pink", "cat", "dog") * 20
    (ids,) = provider.token_ids([" ".join(words)])
    assert len(ids) == CLIP_CONTEXT and ids[-1] == tiny_clip.eos_id  # eos is kept
    truncated = words[: CLIP_CONTEXT - 2]
    np.testing.assert_allclose(
        embed_texts(provider, " ".join(words))[0],
        expected_clip_text(tiny_clip, *truncated),
        atol=1e-5,
    )


def test_clip_hidden_state_output_is_pooled_at_the_end_of_text(tmp_path: Path) -> None:
    """A graph without text_embeds: the state at the eos token (the running sum of the
    rows up to it in this graph), whatever padding follows."""
    model = build_tiny_clip(tmp_path, vision=False, text_output="last_hidden_state")
    write_json(model.folder / "config.json", {"model_type": "clip", "text_config": {}})
    provider = provider_for(model.folder)
    assert provider.capabilities.dimensions == model.text_table.shape[1]  # from the graph
    vectors = embed_texts(provider, "cat", "a photo of a red cat")
    ids = [model.bos_id, model.vocab["cat</w>"], model.eos_id]
    np.testing.assert_allclose(vectors[0], unit(model.text_table[ids].sum(axis=0)), atol=1e-5)


# -- CLIP family: images ---------------------------------------------------------------------


def expected_clip_image(
    model: TinyClip, image: Image.Image, resized: tuple[int, int], box: tuple[int, int, int, int]
) -> Any:
    """CLIPImageProcessor written out for one image, with sizes worked out by hand from
    transformers' rules: the long side int()-truncated, crop offsets rounded down."""
    cropped = image.resize(resized, Image.Resampling.BICUBIC).crop(box)
    assert cropped.size == (CROP, CROP)
    hwc = np.asarray(cropped, dtype=np.float64) / 255.0
    chw = ((hwc - np.array(IMAGE_MEAN)) / np.array(IMAGE_STD)).transpose(2, 0, 1)
    return unit(chw.reshape(-1) @ model.vision_weights)


@pytest.mark.parametrize(
    ("size", "resized", "box"),
    [
        ((23, 14), (13, 8), (3, 1, 9, 7)),  # left = 3.5 rounded down (torchvision: 4)
        ((14, 23), (8, 13), (1, 3, 7, 9)),
        ((9, 31), (8, 27), (1, 10, 7, 16)),  # 27.56 truncated (rounding: 28)
        ((40, 40), (8, 8), (1, 1, 7, 7)),
    ],
)
def test_clip_image_vector_matches_the_preprocessing_written_out(
    tiny_clip: TinyClip,
    size: tuple[int, int],
    resized: tuple[int, int],
    box: tuple[int, int, int, int],
) -> None:
    image = noise(*size)
    (vector,) = embed_images(provider_for(tiny_clip.folder), encode(image))
    assert vector.dtype == np.float32
    np.testing.assert_allclose(
        vector, expected_clip_image(tiny_clip, image, resized, box), atol=1e-5
    )


def test_exif_orientation_is_applied(tiny_clip: TinyClip) -> None:
    upright = noise(14, 23)
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # as a camera stores it
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    provider = provider_for(tiny_clip.folder)
    vectors = embed_images(provider, encode(upright), encode(stored, exif=exif), encode(stored))
    np.testing.assert_allclose(vectors[1], vectors[0], atol=1e-6)
    assert not np.allclose(vectors[2], vectors[0], atol=1e-3)


def test_transparent_pixels_are_laid_on_white(tiny_clip: TinyClip) -> None:
    pixels = np.asarray(noise(20, 12), dtype=np.uint8).copy()
    rgba = np.dstack([pixels, np.full((12, 20), 255, np.uint8)])
    rgba[:, 10:] = (0, 90, 0, 0)  # invisible green
    on_white = pixels.copy()
    on_white[:, 10:] = 255
    provider = provider_for(tiny_clip.folder)
    transparent, white = embed_images(
        provider, encode(Image.fromarray(rgba, "RGBA")), encode(Image.fromarray(on_white, "RGB"))
    )
    np.testing.assert_allclose(transparent, white, atol=1e-6)


def test_animated_gif_uses_its_first_frame(tiny_clip: TinyClip) -> None:
    frames = [noise(16, 10, seed).convert("P") for seed in (1, 2)]
    gif = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    with Image.open(io.BytesIO(gif)) as opened:
        assert getattr(opened, "n_frames", 1) == 2
        first = opened.convert("RGB")
    provider = provider_for(tiny_clip.folder)
    animated, still, other = embed_images(provider, gif, encode(first), encode(frames[1]))
    np.testing.assert_allclose(animated, still, atol=1e-6)
    assert not np.allclose(animated, other, atol=1e-3)


def test_undecodable_image_bytes_are_a_permanent_error(tiny_clip: TinyClip) -> None:
    provider = provider_for(tiny_clip.folder)
    with pytest.raises(PermanentProviderError, match="cannot decode the image/png image"):
        provider.embed([[ImagePart(b"\x89PNG not really", "image/png")]], input_type=QUERY)


def test_onnxruntime_failures_are_permanent_errors(tiny_clip: TinyClip) -> None:
    config_path = tiny_clip.folder / "preprocessor_config.json"
    config = json.loads(config_path.read_text())
    write_json(config_path, {**config, "crop_size": {"height": CROP - 1, "width": CROP}})
    provider = provider_for(tiny_clip.folder)
    with pytest.raises(PermanentProviderError, match="onnxruntime failed"):
        embed_images(provider, encode(noise(20, 20)))


def test_mixed_batch_keeps_the_input_order(tiny_clip: TinyClip) -> None:
    provider = provider_for(tiny_clip.folder)
    image = encode(noise(30, 20))
    result = provider.embed(
        [[TextPart("red cat")], [ImagePart(image, "image/png")], [TextPart("dog")]],
        input_type=QUERY,
    )
    np.testing.assert_allclose(result.vectors[0], embed_texts(provider, "red cat")[0], atol=1e-6)
    np.testing.assert_allclose(result.vectors[1], embed_images(provider, image)[0], atol=1e-6)
    np.testing.assert_allclose(result.vectors[2], embed_texts(provider, "dog")[0], atol=1e-6)
    assert (result.usage.images, result.usage.image_pixels) == (1, 30 * 20)
    assert result.usage.text_tokens == 4 + 3


def test_text_and_image_are_fused_by_the_base_class(tiny_clip: TinyClip) -> None:
    provider = provider_for(tiny_clip.folder)
    image = encode(noise(25, 17))
    text_vector = embed_texts(provider, "blue bag")[0]
    image_vector = embed_images(provider, image)[0]
    (fused,) = provider.embed(
        [[TextPart("blue bag"), ImagePart(image, "image/png", weight=0.5)]], input_type=QUERY
    ).vectors
    np.testing.assert_allclose(fused, unit(text_vector + 0.5 * image_vector), atol=1e-6)


def test_a_text_only_model_refuses_images(tiny_sentence: TinySentenceModel) -> None:
    provider = provider_for(tiny_sentence.folder)
    with pytest.raises(PermanentProviderError, match="does not embed images"):
        embed_images(provider, encode(noise(8, 8)))


# -- missing models and checks ------------------------------------------------------------


def test_path_or_repo_id_is_required() -> None:
    with pytest.raises(ProviderConfigurationError, match="OPTIONS\\['path'\\]"):
        OnnxProvider("local", {})


def test_check_reports_a_missing_folder(tmp_path: Path) -> None:
    provider = provider_for(tmp_path / "nowhere")
    (message,) = provider.check()
    assert message.is_serious() and message.id == "embeddings.E020"
    assert "nowhere" in message.msg and "SEARCHAPP_MODEL_DIR" in str(message.hint)
    with pytest.raises(ModelUnavailableError, match="does not exist"):
        embed_texts(provider, "red")


def test_check_reports_a_folder_without_a_model(tmp_path: Path) -> None:
    (tmp_path / "empty" / "onnx").mkdir(parents=True)
    (message,) = provider_for(tmp_path / "empty").check()
    assert message.is_serious() and message.id == "embeddings.E021"
    assert "no ONNX model" in message.msg


def test_check_reports_a_model_with_missing_files(tiny_clip: TinyClip) -> None:
    (tiny_clip.folder / "preprocessor_config.json").unlink()
    (message,) = provider_for(tiny_clip.folder).check()
    assert message.id == "embeddings.E021" and "preprocessor_config.json" in message.msg


def test_check_is_quiet_for_a_good_folder(
    tiny_clip: TinyClip, tiny_sentence: TinySentenceModel
) -> None:
    assert provider_for(tiny_clip.folder).check() == []
    assert provider_for(tiny_sentence.folder).check() == []


def test_check_warns_that_a_hub_model_will_be_downloaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    provider = OnnxProvider("clip", {"repo_id": "example/tiny-clip", "cache_dir": str(tmp_path)})
    (message,) = provider.check()
    assert not message.is_serious() and message.id == "embeddings.W020"
    assert "downloaded on first use" in message.msg

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    (message,) = provider.check()
    assert not message.is_serious() and message.id == "embeddings.W022"


def test_offline_without_files_names_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    provider = OnnxProvider(
        "clip",
        {"path": str(tmp_path / "missing"), "repo_id": "example/tiny-clip",
         "cache_dir": str(tmp_path / "hub")},
    )  # fmt: skip
    with pytest.raises(ModelUnavailableError) as raised:
        embed_texts(provider, "red")
    message = str(raised.value)
    assert "OPTIONS['path']" in message and "SEARCHAPP_MODEL_DIR" in message
    assert "allow access to the hub once to download example/tiny-clip" in message
    assert provider.model_name == "example/tiny-clip@quantized"  # known without the files


def test_a_cached_hub_snapshot_is_used_offline(
    tiny_sentence: TinySentenceModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The layout huggingface_hub keeps: refs/main names the snapshot folder."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    repo = tmp_path / "hub" / "models--example--tiny-minilm"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("0" * 40)
    (repo / "snapshots").mkdir()
    tiny_sentence.folder.rename(repo / "snapshots" / ("0" * 40))
    provider = OnnxProvider(
        "minilm", {"repo_id": "example/tiny-minilm", "cache_dir": str(tmp_path / "hub")}
    )
    assert provider.check() == []
    ids = sentence_ids(tiny_sentence, "red", "bag")
    np.testing.assert_allclose(
        embed_texts(provider, "red bag")[0], expected_sentence(tiny_sentence, ids), atol=1e-5
    )


def test_importing_the_provider_does_not_import_the_runtime() -> None:
    code = (
        "import sys, embeddings.providers.onnx; "
        "heavy = [m for m in ('onnxruntime', 'tokenizers', 'huggingface_hub', 'PIL') "
        "if m in sys.modules]; print(heavy); sys.exit(1 if heavy else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]


# -- the real model folders in ../shared --------------------------------------------------


def shared_model(name: str) -> Path:
    folder = SHARED_MODELS / name
    if not folder.is_dir():
        pytest.skip(f"needs ../shared/models/{name} (not found at {folder})")
    return folder


@pytest.mark.shared
def test_shared_minilm_ranks_sentences_by_meaning() -> None:
    provider = provider_for(shared_model("all-minilm-l6-v2-int8"))
    food, bread, cheetah = embed_texts(
        provider,
        "A man is eating food.",
        "A man is eating a piece of bread.",
        "A cheetah is running behind its prey.",
    )
    assert provider.capabilities.dimensions == 384
    close, far = float(food @ bread), float(food @ cheetah)
    assert close > 0.6, close
    assert far < 0.3, far


@pytest.mark.shared
def test_shared_clip_tokenises_like_clip_and_gives_unit_vectors() -> None:
    provider = provider_for(shared_model("clip-vit-b32-random-int8"))
    assert provider.token_ids(["A Photo of a DOG!"]) == [
        [49406, 320, 1125, 539, 320, 1929, 256, 49407]
    ]
    capabilities = provider.capabilities
    assert (capabilities.text, capabilities.image, capabilities.dimensions) == (True, True, 512)
    text = embed_texts(provider, "a red leather shoe", "word " * 200)  # the long one is cut at 77
    image = embed_images(provider, encode(noise(512, 512)), encode(noise(300, 640)))
    for vectors in (text, image):
        assert vectors.dtype == np.float32 and vectors.shape == (2, 512)
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
