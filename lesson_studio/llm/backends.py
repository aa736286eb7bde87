"""The backends one installation uses, made once each, and how their jobs queue.

The job runner asks this object which model a job calls, which queue it waits in (the first
backend of its route: tasks routed to one model share it) and how many jobs that model runs at
once (one on the embedded model: two generations on two cores thrash; a remote provider's
`concurrency`).
"""

from __future__ import annotations

import threading

from lesson_studio.config import Settings
from lesson_studio.errors import StudioError
from lesson_studio.llm.base import ChatBackend
from lesson_studio.llm.registry import get_backend, route_ids, task_backend_id


class Backends:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._made: dict[str, ChatBackend] = {}
        self._lock = threading.Lock()

    def backend(self, backend_id: str | None = None) -> ChatBackend:
        chosen = backend_id or task_backend_id("generate")
        with self._lock:
            if chosen not in self._made:
                self._made[chosen] = get_backend(self.settings, chosen)
            return self._made[chosen]

    def queue_for(self, backend_id: str) -> str:
        """Jobs wait per model: the first backend of the route."""
        try:
            return route_ids(self.settings, backend_id)[0]
        except StudioError:
            return backend_id  # an unknown id fails in the job itself, with its message

    def workers_for(self, queue: str) -> int:
        """One job at a time on the embedded model; a remote provider as many as its `concurrency`."""
        from lesson_studio.llm.catalog import load_catalog

        try:
            spec = load_catalog(self.settings).backends.get(queue)
        except StudioError:
            return 1
        return 1 if spec is None or spec.kind == "embedded" else spec.concurrency
