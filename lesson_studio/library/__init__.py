"""The course library: loaders -> chunker -> embeddings -> index (Chroma) -> search hits with citations."""

from lesson_studio.library.index import DocInfo, IngestReport, Library, Skipped

__all__ = ["DocInfo", "IngestReport", "Library", "Skipped"]
