"""Inputs as the graphs take them: tokenizer.json set up for batches, images decoded and
preprocessed as CLIPImageProcessor does, token states pooled as sentence-transformers does.
tokenizers and PIL are imported where they are used."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from embeddings.providers.images import eight_bit
from embeddings.providers.onnx.spec import ImageSettings, read_json

if TYPE_CHECKING:
    from PIL.Image import Image
    from tokenizers import Tokenizer


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
