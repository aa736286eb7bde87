"""The course library: checks -> loaders (in a sandbox) -> chunker -> keyword index + embeddings
(Chroma) -> hybrid retriever -> hits with citations; the 《指南》 also yields a standards catalogue.

Names are imported lazily: the parser subprocess imports lesson_studio.library.loaders and must
not pay for chromadb.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lesson_studio.library.catalogue import Catalogue
    from lesson_studio.library.index import DocInfo, EmbeddingProgress, FileWarning, IngestReport, Library, Skipped

__all__ = ["Catalogue", "DocInfo", "EmbeddingProgress", "FileWarning", "IngestReport", "Library", "Skipped"]


def __getattr__(name: str) -> Any:
    if name == "Catalogue":
        from lesson_studio.library.catalogue import Catalogue

        return Catalogue
    if name in __all__:
        from lesson_studio.library import index

        return getattr(index, name)
    raise AttributeError(name)
