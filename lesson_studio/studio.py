"""The composition root: settings, store, library, backends and the job runner, wired once.

Pages (through a cached resource) and the CLI both go through a Studio, so the same core path
serves every entry point: request -> scaffold -> generate -> validate -> version -> export.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from lesson_studio.authoring.generate import model_infer
from lesson_studio.authoring.request_parser import ParsedRequest, parse_request_text
from lesson_studio.config import Settings
from lesson_studio.jobs import JobRunner
from lesson_studio.llm.base import ChatBackend
from lesson_studio.llm.registry import get_backend
from lesson_studio.models import Hit, LessonPlan, LessonRequest, User
from lesson_studio.store import Store

if TYPE_CHECKING:
    from lesson_studio.library import Library

SYSTEM_USERNAME = "system"
MAX_PASSAGES_PER_DOCUMENT = 2


class Studio:
    def __init__(self, settings: Settings, *, library: Library | None = None):
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store(settings.db_url)
        self.store.fail_interrupted_jobs()
        self._library = library
        self._library_lock = threading.Lock()
        self._backends: dict[str, ChatBackend] = {}
        self.jobs = JobRunner(self.store, self.backend, self.retrieve)

    # --- parts ---------------------------------------------------------------------------------

    @property
    def library(self) -> Library:
        with self._library_lock:
            if self._library is None:
                from lesson_studio.library import Library  # chromadb is heavy; load it on first use

                self._library = Library(self.settings)
            return self._library

    def backend(self, backend_id: str | None = None) -> ChatBackend:
        chosen = backend_id or self.settings.backend
        if chosen not in self._backends:
            self._backends[chosen] = get_backend(self.settings, chosen)
        return self._backends[chosen]

    def system_user(self) -> User:
        return self.store.ensure_user(SYSTEM_USERNAME, role="admin", display_name="系统")

    # --- actions -------------------------------------------------------------------------------

    def sign_in(self, username: str) -> User:
        return self.store.ensure_user(username)

    def ensure_starter_library(self) -> object | None:
        """Ingest resources/library on first run (cheap when already done)."""
        if not self.settings.starter_library:
            return None
        return self.library.ensure_starter_library(self.system_user())

    def parse_request(self, user: User, text: str, *, use_model: bool = True) -> ParsedRequest:
        """Rules first; the model only for what rules cannot tell."""
        infer = model_infer(self.backend()) if use_model else None
        return parse_request_text(text, infer=infer)

    def retrieve(self, user: User, request: LessonRequest) -> list[Hit]:
        """Passages for a request: at most two per document, so one sample plan cannot crowd out
        the method cards (measured: without the cap all four passages came from one plan)."""
        query = " ".join(part for part in (request.topic, request.cps_focus, request.domain) if part)
        k = self.settings.retrieval_k
        candidates = self.library.search(user, query, k=k * 8, age_band=request.age_band)
        chosen: list[Hit] = []
        per_document: dict[str, int] = {}
        for hit in candidates:
            document = hit.citation.document_id
            if per_document.get(document, 0) < MAX_PASSAGES_PER_DOCUMENT:
                chosen.append(hit)
                per_document[document] = per_document.get(document, 0) + 1
            if len(chosen) == k:
                break
        return chosen

    def submit_generation(
        self, user: User, request: LessonRequest, *, idempotency_key: str, backend_id: str | None = None
    ) -> int:
        return self.jobs.submit(user, request, idempotency_key=idempotency_key, backend_id=backend_id or self.settings.backend)

    def export_docx(self, user: User, version_id: int, *, teacher: str = "") -> bytes:
        from lesson_studio.export import plan_to_docx_bytes

        _, plan = self.store.get_version(user, version_id)
        return plan_to_docx_bytes(plan, teacher=teacher or user.display_name)

    def load_plan(self, user: User, version_id: int) -> LessonPlan:
        return self.store.get_version(user, version_id)[1]


def export_path_for(plan: LessonPlan, folder: Path) -> Path:
    safe = "".join(ch for ch in plan.title if ch not in '\\/:*?"<>|').strip() or "教案"
    return folder / f"{safe}.docx"
