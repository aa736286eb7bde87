"""A task's backends in order: fall back to the next one only before any text reached the teacher.

Once a piece has been handed on, the answer belongs to that backend: a fault after it is raised as
it is (IncompleteStream, Truncated), never papered over by a second model writing a different text.

One answer the teacher watches can be several calls: a plan is written section by section, and a
malformed section is repaired by a second call. Inside `with sticky_route():` (the job layer wraps
each job in it) a route that has shown text from one backend keeps to that backend for the rest of
the job, so a plan never switches model halfway; a later fault of that backend is the job's fault.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lesson_studio.errors import ModelUnavailable, NeedsKey, StudioError
from lesson_studio.llm.base import ChatBackend, Message
from lesson_studio.llm.notices import Notice, notify

# Faults another backend can cure: not configured, unreachable, silent, busy, failing, refusing.
# Not: ContextTooLong, ContentFiltered (the same text would meet the same answer), or anything
# after the first piece.
FALLBACK_ON = (ModelUnavailable, NeedsKey)

# id(RoutedBackend) -> the backend that showed text first in this job; None outside sticky_route().
_chosen: contextvars.ContextVar[dict[int, ChatBackend] | None] = contextvars.ContextVar(
    "lesson_studio_llm_sticky_route", default=None
)


@contextmanager
def sticky_route() -> Iterator[None]:
    """Within this block, every route keeps to the backend that first showed text (see module doc)."""
    token = _chosen.set({})
    try:
        yield
    finally:
        _chosen.reset(token)


class RoutedBackend(ChatBackend):
    def __init__(self, task: str, backends: list[ChatBackend]):
        if not backends:
            raise ValueError("a route needs at least one backend")
        self.task = task
        self.backends = backends
        self.display_name = " → ".join(backend.display_name for backend in backends)
        self.needs_key = any(backend.needs_key for backend in backends)
        self._answered = threading.local()

    @property  # type: ignore[override]
    def id(self) -> str:
        """The backend that answered this thread's last call (so a saved version names the real one)."""
        return getattr(self._answered, "id", None) or self.backends[0].id

    def stream(
        self,
        messages: list[Message],
        *,
        json_schema: dict[str, Any] | None = None,
        max_tokens: int = 512,
        temperature: float = 0.3,
    ) -> Iterator[str]:
        chosen = _chosen.get()
        if chosen is not None and id(self) in chosen:  # this job's text already came from one backend
            backend = chosen[id(self)]
            self._answered.id = backend.id
            yield from backend.stream(messages, json_schema=json_schema, max_tokens=max_tokens, temperature=temperature)
            return
        skipped: list[tuple[str, StudioError]] = []
        for index, backend in enumerate(self.backends):
            started = False
            try:
                for piece in backend.stream(
                    messages, json_schema=json_schema, max_tokens=max_tokens, temperature=temperature
                ):
                    if not started:
                        started = True
                        self._answered.id = backend.id
                        if chosen is not None:
                            chosen[id(self)] = backend
                    yield piece
                self._answered.id = backend.id
                if chosen is not None:
                    chosen.setdefault(id(self), backend)
                return
            except FALLBACK_ON as error:
                if started:
                    raise
                skipped.append((backend.id, error))
                if index + 1 < len(self.backends):
                    following = self.backends[index + 1]
                    notify(
                        Notice(
                            kind="fallback",
                            message=f"“{backend.display_name}”暂时不可用，改用“{following.display_name}”。 / "
                            f"'{backend.id}' is unavailable; using '{following.id}' instead.",
                            backend_id=backend.id,
                            detail=getattr(error, "detail", "") or str(error),
                        )
                    )
        # The teacher hears about the first real failure; "no key" only when nothing else happened.
        first_real = next((error for _, error in skipped if not isinstance(error, NeedsKey)), skipped[0][1])
        raise first_real
