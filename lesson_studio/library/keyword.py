"""Sparse retrieval: BM25 (bm25s) over jieba tokens.

Tokens are computed once at ingest and stored with each chunk (store.library_chunks.tokens), so
the in-memory index is rebuilt from the database in well under a second when the set of active
versions changes; a new document is keyword-searchable as soon as its version is active.
jieba's search mode adds the shorter words inside long ones (幼儿园 -> 幼儿 / 幼儿园), which lets an
everyday query match the official wording.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence

import numpy as np

_jieba_lock = threading.Lock()
_jieba_ready = False

# Function words that match everywhere and rank nothing.
STOPWORDS = frozenset(
    [
        "的",
        "了",
        "是",
        "在",
        "和",
        "与",
        "及",
        "或",
        "也",
        "都",
        "就",
        "而",
        "并",
        "等",
        "着",
        "之",
        "其",
        "这",
        "那",
        "个",
        "把",
        "被",
        "让",
        "给",
        "对",
        "从",
        "向",
        "为",
        "以",
        "于",
        "中",
        "上",
        "下",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "我",
        "你",
        "他",
        "她",
        "它",
        "我们",
        "你们",
        "他们",
        "什么",
        "怎么",
        "怎样",
        "如何",
        "哪些",
        "哪个",
        "为什么",
        "有",
        "没有",
        "一个",
        "一些",
        "可以",
        "能",
        "要",
        "会",
        "还",
        "又",
        "很",
        "the",
        "a",
        "an",
        "of",
        "to",
        "and",
        "or",
        "in",
        "on",
        "for",
        "is",
        "are",
        "be",
        "with",
        "what",
        "how",
    ]
)
_WORD = re.compile(r"\w", re.UNICODE)


def _jieba():  # type: ignore[no-untyped-def]
    global _jieba_ready
    import jieba

    if not _jieba_ready:
        with _jieba_lock:
            if not _jieba_ready:
                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba_ready = True
    return jieba


def warm_up() -> None:
    """Load jieba's dictionary (~1 s) and import bm25s (~0.3 s) now; thread-safe, cheap once done."""
    _jieba()
    import bm25s  # noqa: F401  the first KeywordIndex would otherwise pay for the import


def tokenize(text: str) -> list[str]:
    """Lower-cased jieba search-mode tokens, without punctuation, spaces and stopwords."""
    return [
        token
        for token in (piece.strip().lower() for piece in _jieba().cut_for_search(text))
        if token and _WORD.search(token) and token not in STOPWORDS
    ]


class KeywordIndex:
    """BM25 over a fixed list of tokenised chunks (rebuilt, never updated in place)."""

    def __init__(self, token_lists: Sequence[Sequence[str]]) -> None:
        import bm25s

        self.size = len(token_lists)
        self._bm25 = bm25s.BM25()
        if self.size:
            # bm25s needs at least one token per document; an empty chunk gets a placeholder.
            self._bm25.index([list(tokens) or ["\u0000"] for tokens in token_lists], show_progress=False)

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every chunk (0 where no token matches)."""
        if not self.size or not query_tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(list(query_tokens)), dtype=np.float32)
