"""Tiny models in the Hugging Face ONNX layout, built in a test's tmp folder.

The graphs are a few ONNX nodes over weights drawn from a seeded generator and handed
back to the test, so that a test can compute the vector a model must give with numpy
alone. The tokenizers are built with the ``tokenizers`` library the way the real ones
are: a byte-pair-encoding tokenizer that adds begin/end-of-text tokens like CLIP's, and a
WordPiece tokenizer that ships fixed padding and truncation like MiniLM's.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnx
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

Array = npt.NDArray[np.float32]
OPSET = 17

# CLIP-like model: a 16-token context, 6x6 images, non-default preprocessing values.
CLIP_WORDS = ("a", "photo", "of", "red", "blue", "pink", "shoe", "hat", "bag", "cat", "dog")
CLIP_CONTEXT = 16
CLIP_WIDTH = 8  # token embedding width inside the text graph
CLIP_DIMENSIONS = 4  # projection_dim
SHORTEST_EDGE = 8
CROP = 6
IMAGE_MEAN = (0.40, 0.50, 0.60)
IMAGE_STD = (0.20, 0.25, 0.30)
BOS, EOS = "<|startoftext|>", "<|endoftext|>"

# sentence-transformers-like model.
SENTENCE_VOCAB = (
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
    "a", "red", "blue", "green", "leather", "shoe", "##s", "dress", "bag",
    "for", "men", "women", "the", "man", "is", "eating", "food", ".",
)  # fmt: skip
SENTENCE_MAX_SEQ_LENGTH = 8
SENTENCE_DIMENSIONS = 6


@dataclass(frozen=True)
class TinyClip:
    folder: Path
    vocab: dict[str, int]
    bos_id: int
    eos_id: int
    text_table: Array  # (vocab, CLIP_WIDTH)
    text_projection: Array  # (CLIP_WIDTH, CLIP_DIMENSIONS)
    vision_weights: Array  # (3 * CROP * CROP, CLIP_DIMENSIONS), over CHW-flattened pixels


@dataclass(frozen=True)
class TinySentenceModel:
    folder: Path
    vocab: dict[str, int]
    tables: dict[str, Array]  # token table per variant suffix ("" or "_quantized")
    type_table: Array | None  # token-type table, None when the graph takes no token_type_ids


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def save_graph(
    path: Path,
    nodes: list[onnx.NodeProto],
    inputs: list[onnx.ValueInfoProto],
    output: onnx.ValueInfoProto,
    weights: dict[str, npt.NDArray[Any]],
) -> None:
    graph = helper.make_graph(
        nodes,
        path.stem,
        inputs,
        [output],
        [numpy_helper.from_array(value, name) for name, value in weights.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))


def token_input(name: str) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "sequence"])


def save_clip_text_graph(path: Path, table: Array, projection: Array, *, output: str) -> None:
    """``text_embeds``: the masked mean of the token rows, projected. ``last_hidden_state``:
    the running sum of the token rows (a causal model's state), for eos pooling."""
    axis = np.array([1], dtype=np.int64)
    weights: dict[str, npt.NDArray[Any]] = {"table": table, "one": axis}
    if output == "text_embeds":
        nodes = [
            helper.make_node("Gather", ["table", "input_ids"], ["rows"]),
            helper.make_node("Cast", ["attention_mask"], ["keep"], to=TensorProto.FLOAT),
            helper.make_node("Unsqueeze", ["keep", "two"], ["keep3"]),
            helper.make_node("Mul", ["rows", "keep3"], ["kept"]),
            helper.make_node("ReduceSum", ["kept", "one"], ["total"], keepdims=0),
            helper.make_node("ReduceSum", ["keep", "one"], ["count"], keepdims=1),
            helper.make_node("Div", ["total", "count"], ["mean"]),
            helper.make_node("MatMul", ["mean", "projection"], ["text_embeds"]),
        ]
        shape: list[Any] = ["batch", projection.shape[1]]
        weights |= {"projection": projection, "two": axis + 1}
    else:
        nodes = [
            helper.make_node("Gather", ["table", "input_ids"], ["rows"]),
            helper.make_node("CumSum", ["rows", "one"], [output]),
        ]
        shape = ["batch", "sequence", table.shape[1]]
    save_graph(
        path,
        nodes,
        [token_input("input_ids"), token_input("attention_mask")],
        helper.make_tensor_value_info(output, TensorProto.FLOAT, shape),
        weights,
    )


def save_clip_vision_graph(path: Path, weights: Array) -> None:
    """Flattened CHW pixels times a known matrix: every pixel's place and value count."""
    save_graph(
        path,
        [
            helper.make_node("Flatten", ["pixel_values"], ["flat"], axis=1),
            helper.make_node("MatMul", ["flat", "weights"], ["image_embeds"]),
        ],
        [
            helper.make_tensor_value_info(
                "pixel_values", TensorProto.FLOAT, ["batch", 3, CROP, CROP]
            )
        ],
        helper.make_tensor_value_info(
            "image_embeds", TensorProto.FLOAT, ["batch", weights.shape[1]]
        ),
        {"weights": weights},
    )


def save_sentence_graph(path: Path, table: Array, type_table: Array | None) -> None:
    """Token rows (plus token-type rows) per position, as a last_hidden_state. Padded
    positions keep their rows, so only pooling with the attention mask gets them right."""
    nodes = [helper.make_node("Gather", ["table", "input_ids"], ["token_rows"])]
    inputs = [token_input("input_ids"), token_input("attention_mask")]
    weights: dict[str, npt.NDArray[Any]] = {"table": table}
    if type_table is None:
        nodes.append(helper.make_node("Identity", ["token_rows"], ["last_hidden_state"]))
    else:
        inputs.append(token_input("token_type_ids"))
        weights["type_table"] = type_table
        nodes += [
            helper.make_node("Gather", ["type_table", "token_type_ids"], ["type_rows"]),
            helper.make_node("Add", ["token_rows", "type_rows"], ["last_hidden_state"]),
        ]
    save_graph(
        path,
        nodes,
        inputs,
        helper.make_tensor_value_info(
            "last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", table.shape[1]]
        ),
        weights,
    )


def clip_bpe(words: Sequence[str]) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """A CLIP-style BPE vocabulary (word ends marked ``</w>``) in which each word merges,
    left to right, into one token."""
    letters = sorted({char for word in words for char in word})
    vocab_tokens = letters + [f"{char}</w>" for char in letters] + ["!</w>"]
    merges: list[tuple[str, str]] = []
    for word in words:
        symbols = [*word[:-1], f"{word[-1]}</w>"]
        current = symbols[0]
        for symbol in symbols[1:]:
            merges.append((current, symbol))
            current += symbol
            vocab_tokens.append(current)
    vocab = {token: index for index, token in enumerate(dict.fromkeys(vocab_tokens))}
    return vocab, list(dict.fromkeys(merges))


def build_tiny_clip(
    root: Path,
    *,
    text: bool = True,
    vision: bool = True,
    text_output: str = "text_embeds",
    seed: int = 7,
) -> TinyClip:
    folder = root / "tiny-clip"
    vocab, merges = clip_bpe(CLIP_WORDS)
    bos_id, eos_id = len(vocab), len(vocab) + 1  # the highest ids, as in CLIP
    vocab |= {BOS: bos_id, EOS: eos_id}
    tokenizer = Tokenizer(models.BPE(vocab, merges, unk_token=EOS, end_of_word_suffix="</w>"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.post_processor = processors.RobertaProcessing(
        (EOS, eos_id), (BOS, bos_id), trim_offsets=False, add_prefix_space=False
    )
    tokenizer.decoder = decoders.BPEDecoder(suffix="</w>")
    tokenizer.add_special_tokens([BOS, EOS])
    for word in CLIP_WORDS:  # the merges must build whole words, or the tests mean nothing
        assert tokenizer.encode(word).ids == [bos_id, vocab[f"{word}</w>"], eos_id], word
    folder.mkdir(parents=True)
    tokenizer.save(str(folder / "tokenizer.json"))

    rng = np.random.default_rng(seed)
    text_table = rng.standard_normal((len(vocab), CLIP_WIDTH)).astype(np.float32)
    text_projection = rng.standard_normal((CLIP_WIDTH, CLIP_DIMENSIONS)).astype(np.float32)
    vision_weights = rng.standard_normal((3 * CROP * CROP, CLIP_DIMENSIONS)).astype(np.float32)
    if text:
        save_clip_text_graph(
            folder / "onnx" / "text_model.onnx", text_table, text_projection, output=text_output
        )
    if vision:
        save_clip_vision_graph(folder / "onnx" / "vision_model.onnx", vision_weights)
    write_json(
        folder / "config.json",
        {
            "model_type": "clip",
            "projection_dim": CLIP_DIMENSIONS,
            "text_config": {
                "max_position_embeddings": CLIP_CONTEXT,
                "bos_token_id": bos_id,
                "eos_token_id": eos_id,
                "pad_token_id": 1,  # wrong in the real CLIP config too: the tokenizer decides
                "hidden_size": CLIP_WIDTH,
            },
            "vision_config": {"image_size": CROP, "projection_dim": CLIP_DIMENSIONS},
        },
    )
    write_json(
        folder / "tokenizer_config.json",
        {"bos_token": BOS, "eos_token": EOS, "pad_token": EOS, "unk_token": EOS,
         "model_max_length": CLIP_CONTEXT},
    )  # fmt: skip
    write_json(
        folder / "preprocessor_config.json",
        {
            "do_resize": True,
            "size": {"shortest_edge": SHORTEST_EDGE},
            "resample": 3,
            "do_center_crop": True,
            "crop_size": {"height": CROP, "width": CROP},
            "do_rescale": True,
            "rescale_factor": 1 / 255,
            "do_normalize": True,
            "image_mean": list(IMAGE_MEAN),
            "image_std": list(IMAGE_STD),
            "do_convert_rgb": True,
            "image_processor_type": "CLIPImageProcessor",
        },
    )
    return TinyClip(
        folder=folder,
        vocab=vocab,
        bos_id=bos_id,
        eos_id=eos_id,
        text_table=text_table,
        text_projection=text_projection,
        vision_weights=vision_weights,
    )


def build_tiny_sentence_model(
    root: Path,
    *,
    variants: Sequence[str] = ("",),
    token_type_ids: bool = True,
    pooling: str = "mean",
    seed: int = 11,
) -> TinySentenceModel:
    """``variants`` are file-name suffixes ("" -> model.onnx, "_quantized" ->
    model_quantized.onnx); each variant gets its own table, so a test sees which was run."""
    folder = root / "tiny-minilm"
    vocab = {token: index for index, token in enumerate(SENTENCE_VOCAB)}
    tokenizer = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    tokenizer.decoder = decoders.WordPiece()
    tokenizer.add_special_tokens(list(SENTENCE_VOCAB[:5]))
    # what the MiniLM export ships, and what a loader must override
    tokenizer.enable_padding(length=128, pad_id=0, pad_token="[PAD]")
    tokenizer.enable_truncation(128)
    folder.mkdir(parents=True)
    tokenizer.save(str(folder / "tokenizer.json"))

    rng = np.random.default_rng(seed)
    tables = {
        suffix: rng.standard_normal((len(vocab), SENTENCE_DIMENSIONS)).astype(np.float32)
        for suffix in variants
    }
    type_table = (
        rng.standard_normal((2, SENTENCE_DIMENSIONS)).astype(np.float32) if token_type_ids else None
    )
    for suffix, table in tables.items():
        save_sentence_graph(folder / "onnx" / f"model{suffix}.onnx", table, type_table)
    write_json(
        folder / "config.json",
        {"model_type": "bert", "hidden_size": SENTENCE_DIMENSIONS, "max_position_embeddings": 32,
         "pad_token_id": 0},
    )  # fmt: skip
    write_json(
        folder / "tokenizer_config.json",
        {"pad_token": "[PAD]", "cls_token": "[CLS]", "sep_token": "[SEP]", "unk_token": "[UNK]",
         "model_max_length": 512},
    )  # fmt: skip
    write_json(folder / "special_tokens_map.json", {"pad_token": "[PAD]", "unk_token": "[UNK]"})
    write_json(
        folder / "sentence_bert_config.json",
        {"max_seq_length": SENTENCE_MAX_SEQ_LENGTH, "do_lower_case": False},
    )
    write_json(
        folder / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": SENTENCE_DIMENSIONS,
            "pooling_mode_cls_token": pooling == "cls",
            "pooling_mode_mean_tokens": pooling == "mean",
            "pooling_mode_max_tokens": pooling == "max",
            "pooling_mode_mean_sqrt_len_tokens": False,
        },
    )
    write_json(
        folder / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling",
             "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize",
             "type": "sentence_transformers.models.Normalize"},
        ],
    )  # fmt: skip
    return TinySentenceModel(folder=folder, vocab=vocab, tables=tables, type_table=type_table)
