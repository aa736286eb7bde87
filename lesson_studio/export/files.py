"""Writing export files: atomically, under names Windows and macOS both accept."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from lesson_studio.errors import InvalidInput
from lesson_studio.export.wording import CONTROL_CHARACTERS

# Characters Windows forbids in file names, plus the path separators.
UNSAFE_IN_FILE_NAMES = '\\/:*?"<>|'
MAX_STEM_LENGTH = 60


def write_atomically(out_path: Path, write: Callable[[Path], None]) -> Path:
    """Call write(temp_path) beside out_path, then rename over it: readers see the old file or the
    whole new one, never half of one."""
    out_path = Path(out_path)
    # A name of our own rather than tempfile.mkstemp, whose 0600 mode would stick to the exported file.
    temp_path = out_path.with_name(f".{out_path.name}.{secrets.token_hex(4)}.tmp")
    try:
        write(temp_path)
        os.replace(temp_path, out_path)
    except OSError as error:
        reason = error.strerror or str(error)
        raise InvalidInput(
            f"无法保存文件到“{out_path}”：{reason}。请检查文件夹是否存在、是否可写、磁盘是否已满。"
            f" / Could not save '{out_path}': {reason}. Check that the folder exists, is writable and the"
            " disk is not full."
        ) from error
    finally:
        temp_path.unlink(missing_ok=True)
    return out_path


def write_bytes_atomically(out_path: Path, data: bytes) -> Path:
    return write_atomically(out_path, lambda temp_path: temp_path.write_bytes(data))


def safe_file_stem(title: str, fallback: str = "教案") -> str:
    """A title as a file name stem: no separators, reserved or control characters, not too long."""
    stem = CONTROL_CHARACTERS.sub("", title)
    stem = "".join(ch for ch in stem if ch not in UNSAFE_IN_FILE_NAMES and ch >= " ")
    stem = stem.strip().strip(".")[:MAX_STEM_LENGTH].strip()
    return stem or fallback
