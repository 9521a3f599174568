"""Local models run with ONNX Runtime: CLIP-family encoders (text and images) and
sentence-transformers text encoders, from a folder in the Hugging Face ONNX layout
(``config.json``, ``tokenizer.json``, ``preprocessor_config.json``, ``onnx/*.onnx``) or
from a hub snapshot downloaded once.

- `spec`: what a model folder declares (read from small JSON files and file names);
- `hub`: the Hugging Face hub download and cache;
- `preprocessing`: tokenizer setup, image decoding and preprocessing, pooling;
- `provider`: `OnnxProvider`, the inference sessions.

onnxruntime, tokenizers, huggingface_hub and PIL are imported where they are used, never
at import time, so that importing the web app stays light.
"""

from embeddings.providers.onnx.preprocessing import decode_image
from embeddings.providers.onnx.provider import OnnxProvider

__all__ = ["OnnxProvider", "decode_image"]
