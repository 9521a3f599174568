"""OnnxProvider with sentence-transformers models: pooling, truncation, padding, usage and
the quantized / fp32 variants, checked against vectors computed with numpy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime
import pytest

from embeddings.providers.base import (
    TextPart,
)
from tests.embeddings.providers.onnx.conftest import (
    QUERY,
    embed_texts,
    expected_sentence,
    provider_for,
    sentence_ids,
    unit,
)
from tests.embeddings.providers.tiny_models import (
    SENTENCE_DIMENSIONS,
    SENTENCE_MAX_SEQ_LENGTH,
    TinySentenceModel,
    build_tiny_sentence_model,
)


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
