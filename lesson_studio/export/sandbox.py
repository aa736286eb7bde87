"""Run school-template work (the upload check, fills) in a child process with a time and a memory limit.

A school template is a small program written by someone outside the server: `{{ 'x' * 10**8 }}`
costs 15 s and 1 GB, a nested loop never ends. In a child process that costs the child, not the app.
The child limits its own address space and CPU time with the library parser's mechanism
(lesson_studio.library.sandbox) before it reads the job, and the parent kills it when a result is late.

The parent writes the job as JSON to a temporary file; the child calls a function named
"module:function" with it and prints one JSON line per result it yields. Each result must arrive
within timeout_s of the one before (of the start, for the first): a batch of ten plans gets ten times
the limit, and a runaway template is stopped on the plan where it runs away.

Run as `python -m lesson_studio.export.sandbox MODULE:FUNCTION JOB_PATH MEMORY_MB CPU_SECONDS`.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from lesson_studio.config import PROJECT_ROOT
from lesson_studio.library.sandbox import _limit_self

Work = Callable[[dict[str, Any]], Iterator[dict[str, Any]]]


@dataclass(frozen=True)
class Stopped:
    """The child gave no result: what happened, as the end of a sentence, in Chinese and in English
    ("填写模板" + zh, "Filling the template " + en)."""

    zh: str
    en: str


def timed_out(timeout_s: float) -> Stopped:
    return Stopped(
        zh=f"超过 {timeout_s:g} 秒仍未完成，已停止（模板里可能有停不下来的循环或不断重复的文字）",
        en=f"took longer than {timeout_s:g} s and was stopped (the template may hold a runaway loop or repeated text)",
    )


def out_of_memory(memory_mb: int) -> Stopped:
    return Stopped(
        zh=f"需要的内存超过 {memory_mb} MB，已停止（模板里可能有不断重复的文字）",
        en=f"needed more than {memory_mb} MB of memory and was stopped (the template may repeat text without end)",
    )


def run(function: str, job: dict[str, Any], *, results: int, timeout_s: float, memory_mb: int) -> list[Any]:
    """Call function(job) in a child process: its first `results` yields, in order, then a Stopped for
    each result it did not give (late, out of memory, crashed). Never raises for the child's sake."""
    cpu_seconds = math.ceil(timeout_s * max(results, 1)) + 1  # a backstop: the parent kills a late child
    with tempfile.TemporaryDirectory(prefix="lesson-studio-sandbox-") as folder:
        job_path = Path(folder) / "job.json"
        job_path.write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
        command = [
            sys.executable,
            "-m",
            "lesson_studio.export.sandbox",
            function,
            str(job_path),
            str(memory_mb),
            str(cpu_seconds),
        ]
        with (Path(folder) / "stderr.txt").open("w+b") as stderr:
            answers, stopped = _collect(command, stderr, results=results, timeout_s=timeout_s, memory_mb=memory_mb)
    return answers + [stopped] * (results - len(answers))


def _collect(
    command: list[str], stderr: IO[bytes], *, results: int, timeout_s: float, memory_mb: int
) -> tuple[list[Any], Stopped | None]:
    answers: list[Any] = []
    stopped: Stopped | None = None
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr, env=_env())
    lines: queue.Queue[bytes | None] = queue.Queue()
    reader = threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True)
    reader.start()
    try:
        while len(answers) < results and stopped is None:
            try:
                line = lines.get(timeout=timeout_s)
            except queue.Empty:
                stopped = timed_out(timeout_s)
                break
            if line is None:  # the child ended without every result: killed by a limit, or crashed
                stopped = _ended_early(process, stderr, memory_mb)
                break
            message = _decode(line)
            if message is not None and "result" in message:
                answers.append(message["result"])
            elif message is not None and "stopped" in message:
                stopped = Stopped(**message["stopped"])
    finally:
        if process.poll() is None:
            try:
                process.wait(timeout=timeout_s if stopped is None else 0)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        reader.join(timeout=5)
        if process.stdout is not None:
            process.stdout.close()
    return answers, stopped


def _read_lines(stream: IO[bytes] | None, lines: queue.Queue[bytes | None]) -> None:
    if stream is not None:
        for line in stream:
            lines.put(line)
    lines.put(None)


def _decode(line: bytes) -> dict[str, Any] | None:
    try:
        message = json.loads(line)
    except ValueError:
        return None  # something else the child printed
    return message if isinstance(message, dict) else None


def _ended_early(process: subprocess.Popen[bytes], stderr: IO[bytes], memory_mb: int) -> Stopped:
    code = process.wait()
    stderr.seek(0)
    last_line = (stderr.read().decode("utf-8", "replace").strip().splitlines() or [""])[-1][:200]
    if "MemoryError" in last_line or code == -9:  # -9: SIGKILL, as the kernel's OOM killer sends
        return out_of_memory(memory_mb)
    return Stopped(
        zh=f"时处理程序意外退出（退出码 {code}，可能超出了 {memory_mb} MB 内存）",
        en=f"stopped unexpectedly (exit code {code}, possibly over the {memory_mb} MB memory limit: {last_line})",
    )


def _env() -> dict[str, str]:
    paths = [str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, paths))}


# --- The child ---------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    function, job_path, memory_mb, cpu_seconds = argv[0], Path(argv[1]), int(argv[2]), int(argv[3])
    _limit_self(memory_mb, cpu_seconds)  # before the job is read and any template code runs
    try:
        module_name, _, name = function.partition(":")
        work: Work = getattr(importlib.import_module(module_name), name)
        for result in work(json.loads(job_path.read_text(encoding="utf-8"))):
            _emit({"result": result})
    except MemoryError:
        _emit({"stopped": asdict(out_of_memory(memory_mb))})
    except Exception as error:  # noqa: BLE001  whatever the template did, the parent hears why
        _emit(
            {
                "stopped": {
                    "zh": f"时处理程序出错（{type(error).__name__}）",
                    "en": f"failed ({type(error).__name__}: {str(error)[:200]})",
                }
            }
        )
    return 0


def _emit(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message, ensure_ascii=False) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
