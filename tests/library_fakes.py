"""Fakes for library tests: a deterministic embedding function that needs no model."""

from __future__ import annotations

import hashlib
import math
from typing import Any

from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

HASH_DIMENSIONS = 256


def hash_embedding(text: str) -> list[float]:
    """Character bigrams hashed into 256 buckets, L2-normalised: shared wording -> close vectors."""
    vector = [0.0] * HASH_DIMENSIONS
    padded = f" {text.strip()} "
    for position in range(len(padded) - 1):
        bigram = padded[position : position + 2]
        bucket = int.from_bytes(hashlib.blake2b(bigram.encode("utf-8"), digest_size=4).digest(), "little")
        vector[bucket % HASH_DIMENSIONS] += 1.0
    norm = math.sqrt(sum(value * value for value in vector)) or 1.0
    return [value / norm for value in vector]


@register_embedding_function
class HashEmbeddingFunction(EmbeddingFunction[Documents]):
    """Deterministic and instant; documents and queries are embedded the same way."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, input: Documents) -> Embeddings:
        self.calls += 1
        return [hash_embedding(text) for text in input]  # type: ignore[misc]

    def embed_query(self, input: Documents) -> Embeddings:
        return [hash_embedding(text) for text in input]  # type: ignore[misc]

    @staticmethod
    def name() -> str:
        return "lesson_studio_test_hash"

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> HashEmbeddingFunction:
        return HashEmbeddingFunction()


class FailingEmbeddingFunction(HashEmbeddingFunction):
    """Fails when asked to embed a text containing the marker, after earlier calls succeeded."""

    def __init__(self, marker: str) -> None:
        super().__init__()
        self.marker = marker

    def __call__(self, input: Documents) -> Embeddings:
        if any(self.marker in text for text in input):
            raise RuntimeError("embedding backend crashed")
        return super().__call__(input)
