"""What the library gives generation: the passages for a request and the 《指南》 catalogue.

The pipeline's "retrieve" step and the lesson plan's 《指南》 lines read the library through this one
object, so neither the job runner nor the pipeline calls back into the Studio. With
use_library=False (the CLI's --no-library) plans are written without passages.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from lesson_studio.config import Settings
from lesson_studio.library.selection import passages_for_request
from lesson_studio.models import Hit, LessonRequest, User
from lesson_studio.store import Store
from lesson_studio.usage import record_retrieval

if TYPE_CHECKING:
    from lesson_studio.library import Library
    from lesson_studio.library.catalogue import Catalogue


class Grounding:
    def __init__(self, settings: Settings, store: Store, *, library: Library | None = None, use_library: bool = True):
        self.settings = settings
        self.store = store
        self.use_library = use_library
        self._library = library
        self._lock = threading.Lock()

    @property
    def library(self) -> Library:
        with self._lock:
            if self._library is None:
                from lesson_studio.library import Library  # chromadb is heavy; load it on first use

                self._library = Library(self.settings, store=self.store)
            return self._library

    def library_loaded(self) -> bool:
        """Whether this process has opened the library (benches read its figures only then)."""
        return self._library is not None

    def library_exists(self) -> bool:
        """Whether a library was loaded or ingested here (no need to start Chroma to find out)."""
        return self._library is not None or self.settings.data_dir.joinpath("chroma").exists()

    def retriever(self, user: User) -> Callable[[LessonRequest], list[Hit]] | None:
        """The pipeline's retrieve step for this user (None: write without the library)."""
        return (lambda request: self.retrieve(user, request)) if self.use_library else None

    def retrieve(self, user: User, request: LessonRequest) -> list[Hit]:
        """The passages generation is given for a request, recorded for the lead's usage figures."""
        hits = self.passages_for(user, request)
        record_retrieval(self.store, user, hits)
        return hits

    def passages_for(self, user: User, request: LessonRequest) -> list[Hit]:
        """Passages for a request, each citation carrying the reason it was chosen
        (library.selection: sample plans on the same problem in any band, unrelated plans never,
        the 《指南》 for the band, method cards). A plan adapted from a library lesson reads that
        lesson first: its intent and its process."""
        k = self.settings.retrieval_k
        if request.source_document_id:
            source = self.library.document_passages(user, request.source_document_id)
            intent = [hit for hit in source if hit.citation.heading.startswith("设计意图")][:1]
            process = [hit for hit in source if hit.citation.heading.startswith("活动过程")]
            reason = "改编的原教案 / The plan being adapted"
            return [with_reason(hit, reason) for hit in ((intent + process)[:k] or source[:k])]
        selection = passages_for_request(self.library, user, request, k)
        return [with_reason(passage.hit, passage.reason) for passage in selection.passages]

    def catalogue(self, user: User) -> Catalogue | None:
        """The imported 《指南》 catalogue (None: no library here, or none imported)."""
        if not self.library_exists():
            return None
        return self.library.catalogue(user)

    def catalogue_lines(self, user: User) -> dict[str, set[str]] | None:
        """Band -> verbatim 《指南》 lines, from the catalogue a lead imported (None: not imported)."""
        if not self.library_exists():
            return None
        lines = getattr(self.library, "catalogue_lines", None)
        return lines(user) if lines else None


def with_reason(hit: Hit, reason: str) -> Hit:
    return hit.model_copy(update={"citation": hit.citation.model_copy(update={"reason": reason})})
