"""Where OnnxProvider finds its model and what it knows before loading it: names,
capabilities, sessions, system checks, the hub cache, lazy imports and the real model
folders in ../shared."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime
import pytest

from embeddings.providers.base import (
    ModelUnavailableError,
    ProviderConfigurationError,
)
from embeddings.providers.onnx import OnnxProvider
from tests.conftest import REPO_ROOT
from tests.embeddings.providers.onnx.conftest import (
    SHARED_MODELS,
    embed_images,
    embed_texts,
    encode,
    expected_sentence,
    noise,
    provider_for,
    sentence_ids,
)
from tests.embeddings.providers.tiny_models import (
    CLIP_DIMENSIONS,
    SENTENCE_DIMENSIONS,
    TinyClip,
    TinySentenceModel,
    build_tiny_clip,
)


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
