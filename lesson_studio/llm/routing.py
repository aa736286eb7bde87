"""A task's backends in order: fall back to the next one only before any text reached the teacher.

Once a piece has been handed on, the answer belongs to that backend: a fault after it is raised as
it is (IncompleteStream, Truncated), never papered over by a second model writing a different text.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from lesson_studio.errors import ModelUnavailable, NeedsKey, StudioError
from lesson_studio.llm.base import ChatBackend, Message
from lesson_studio.llm.notices import Notice, notify

# Faults another backend can cure: not configured, unreachable, silent, busy, failing, refusing.
# Not: ContextTooLong, ContentFiltered (the same text would meet the same answer), or anything
# after the first piece.
FALLBACK_ON = (ModelUnavailable, NeedsKey)


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
                    yield piece
                self._answered.id = backend.id
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
