"""The CLI's dense-vector progress: redrawn in place on a terminal, a line every few seconds in a log."""

from __future__ import annotations

import io

from lesson_studio.cli import _vector_progress
from lesson_studio.library.index import EmbeddingProgress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def progress(done: int, total: int = 1000) -> EmbeddingProgress:
    return EmbeddingProgress(total_chunks=total, embedded_chunks=done, running=done < total)


def test_a_log_gets_a_line_every_few_seconds_and_the_last_one_not_every_redraw() -> None:
    log, clock = io.StringIO(), Clock()
    show = _vector_progress(log, every_s=5.0, clock=clock)
    for step in range(1000):  # 0.2 s apart, as Library.wait_for_embeddings calls it: 200 s
        clock.now = step * 0.2
        show(progress(step))
    show(progress(1000), final=True)
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue()
    assert 40 <= len(lines) <= 42  # one per 5 s of 200 s, the first and the last
    assert lines[-1].endswith("1000/1000")


def test_a_stalled_count_is_logged_once_a_minute() -> None:
    log, clock = io.StringIO(), Clock()
    show = _vector_progress(log, every_s=5.0, clock=clock)
    for step in range(600):  # 120 s without progress
        clock.now = step * 0.2
        show(progress(10))
    assert len(log.getvalue().splitlines()) == 2  # at 0 s and at 60 s


def test_a_terminal_gets_the_bar_redrawn_in_place_when_the_count_moves() -> None:
    terminal = Terminal()
    show = _vector_progress(terminal, clock=Clock())
    for done in (0, 0, 0, 500, 500, 1000):
        show(progress(done))
    show(progress(1000), final=True)
    assert terminal.getvalue().count("\r") == 3 and terminal.getvalue().endswith("1000/1000\n")
