"""Settings from the environment (and, through the ui helper, .streamlit/secrets.toml).

Everything has an embedded default: SQLite and embedded Chroma under the data folder, the
embedded local model. A school points DATABASE_URL / LESSON_STUDIO_CHROMA_HOST at its servers.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESOURCES_DIR = PROJECT_ROOT / "resources"
PROMPTS_DIR = PROJECT_ROOT / "prompts"


def _default_data_dir() -> Path:
    return Path.home() / ".lesson_studio"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=_default_data_dir)
    database_url: str = ""  # empty: SQLite file in data_dir
    chroma_host: str = ""  # empty: embedded Chroma (PersistentClient) in data_dir
    chroma_port: int = 8000
    chroma_database: str = ""  # a database on the Chroma server (empty: Chroma's default one)
    backend: str = ""  # empty: each task follows [routes] in the backends file; an id pins every task to it
    backends_file: str = ""  # the admin's backends TOML, merged over resources/backends.toml
    # Where API keys are looked up (after os.environ): the env mapping given to from_env, which the
    # UI builds from .streamlit/secrets.toml. Never shown: kept out of repr and comparisons.
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    local_model_path: str = ""  # a GGUF a school has; empty: the bundled model (joined into cache)
    local_threads: int = 0  # 0: all cores
    local_context: int = 4096
    retrieval_k: int = 4
    starter_library: bool = True  # ingest resources/library on first run

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir).expanduser())  # accept str too

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'lesson_studio.db'}"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def model_cache_dir(self) -> Path:
        return self.data_dir / "models"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        if env.get("LESSON_STUDIO_DATA_DIR"):
            values["data_dir"] = Path(env["LESSON_STUDIO_DATA_DIR"]).expanduser()
        if env.get("DATABASE_URL"):
            values["database_url"] = env["DATABASE_URL"]
        if env.get("LESSON_STUDIO_CHROMA_HOST"):
            values["chroma_host"] = env["LESSON_STUDIO_CHROMA_HOST"]
        if env.get("LESSON_STUDIO_CHROMA_PORT"):
            values["chroma_port"] = int(env["LESSON_STUDIO_CHROMA_PORT"])
        if env.get("LESSON_STUDIO_CHROMA_DATABASE"):
            values["chroma_database"] = env["LESSON_STUDIO_CHROMA_DATABASE"]
        if env.get("LESSON_STUDIO_BACKEND"):
            values["backend"] = env["LESSON_STUDIO_BACKEND"]
        if env.get("LESSON_STUDIO_BACKENDS_FILE"):
            values["backends_file"] = env["LESSON_STUDIO_BACKENDS_FILE"]
        values["secrets"] = env
        if env.get("LESSON_STUDIO_LOCAL_MODEL"):
            values["local_model_path"] = env["LESSON_STUDIO_LOCAL_MODEL"]
        if env.get("LESSON_STUDIO_LOCAL_THREADS"):
            values["local_threads"] = int(env["LESSON_STUDIO_LOCAL_THREADS"])
        if env.get("LESSON_STUDIO_STARTER_LIBRARY"):
            values["starter_library"] = env["LESSON_STUDIO_STARTER_LIBRARY"].lower() not in ("0", "false", "no")
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
