"""Parse a vetted file in a child process with a time and a memory limit.

A malformed PDF can make a parser loop or allocate without end; in a child process that costs
the child, not the app. The child limits its own address space (RLIMIT_AS) and CPU time before
importing any parser, and the parent kills it when the wall-clock limit passes. The child
prints one JSON object: {"document": ...} or {"error": "message for the user"}.

Run as `python -m lesson_studio.library.sandbox PATH KIND MEMORY_MB CPU_SECONDS`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from lesson_studio.config import PROJECT_ROOT
from lesson_studio.errors import InvalidInput
from lesson_studio.library.loaders import LoadedDocument


def parse_file(path: Path, kind: str, *, timeout_s: float, memory_mb: int) -> LoadedDocument:
    """Parse `path` (already vetted as `kind`) in a child process; raises InvalidInput on failure."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))}
    command = [
        sys.executable,
        "-m",
        "lesson_studio.library.sandbox",
        str(path),
        kind,
        str(memory_mb),
        str(max(1, int(timeout_s) + 1)),
    ]
    try:
        result = subprocess.run(command, capture_output=True, timeout=timeout_s, env=env, check=False)
    except subprocess.TimeoutExpired as error:
        raise InvalidInput(
            f"读取 {path.name} 超过 {timeout_s:.0f} 秒仍未完成，文件可能已损坏，已放弃 / Reading {path.name} took "
            f"longer than {timeout_s:.0f} s; the file may be damaged, so it was given up"
        ) from error
    try:
        answer = json.loads(result.stdout.decode("utf-8").strip().splitlines()[-1])
    except (ValueError, IndexError):
        answer = None
    if isinstance(answer, dict) and "document" in answer:
        return LoadedDocument.from_json(answer["document"])
    if isinstance(answer, dict) and "error" in answer:
        raise InvalidInput(str(answer["error"]))
    raise InvalidInput(
        f"读取 {path.name} 时解析程序异常退出（超出 {memory_mb} MB 内存或文件已损坏）/ The parser stopped while "
        f"reading {path.name} (over the {memory_mb} MB memory limit, or a damaged file; exit code "
        f"{result.returncode}: {result.stderr.decode('utf-8', 'replace').strip().splitlines()[-1:] or ''})"
    )


def _limit_self(memory_mb: int, cpu_seconds: int) -> None:
    try:
        import resource
    except ImportError:  # not on Linux/macOS: the wall-clock timeout still applies
        return
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))


def main(argv: list[str]) -> int:
    path, kind, memory_mb, cpu_seconds = Path(argv[0]), argv[1], int(argv[2]), int(argv[3])
    _limit_self(memory_mb, cpu_seconds)
    try:
        from lesson_studio.library import loaders

        document = loaders.parse(path, kind)
        answer: dict[str, object] = {"document": document.to_json()}
    except InvalidInput as error:
        answer = {"error": str(error)}
    except MemoryError:
        answer = {
            "error": f"读取 {path.name} 需要的内存超过 {memory_mb} MB，文件可能已损坏 / Reading {path.name} needs more "
            f"than {memory_mb} MB of memory; the file may be damaged"
        }
    except Exception as error:  # noqa: BLE001  any parser crash is a file the lead must hear about
        answer = {
            "error": f"无法读取文件：{path.name}（{type(error).__name__}）/ Cannot read file: {path.name} "
            f"({type(error).__name__}: {error})"
        }
    sys.stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
