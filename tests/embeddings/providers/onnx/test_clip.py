"""OnnxProvider with CLIP models: text and image vectors checked against the tokenisation
and preprocessing written out with numpy and Pillow, mixed batches and fused inputs."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from embeddings.providers.base import (
    ImagePart,
    PermanentProviderError,
    TextPart,
)
from tests.embeddings.providers.onnx.conftest import (
    QUERY,
    embed_images,
    embed_texts,
    encode,
    noise,
    provider_for,
    unit,
)
from tests.embeddings.providers.tiny_models import (
    CLIP_CONTEXT,
    CROP,
    IMAGE_MEAN,
    IMAGE_STD,
    TinyClip,
    TinySentenceModel,
    build_tiny_clip,
    write_json,
)

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
