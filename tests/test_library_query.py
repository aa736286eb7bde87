"""How a question is read before retrieval (band named, words mapped) and how the library uses it:
sentence-piece vectors, the named band as a boost, vectors from before pieces re-embedded."""

from __future__ import annotations

from pathlib import Path

import pytest
from library_fakes import HashEmbeddingFunction

from lesson_studio.library import Library, vectors
from lesson_studio.library.chunker import sentence_pieces
from lesson_studio.library.query import analyse, band_named
from lesson_studio.models import User

LEAD = User(id=1, username="lead", role="lead")


@pytest.mark.parametrize(
    ("question", "band"),
    [
        ("中班孩子不开心了会跟别人说吗", "中班"),
        ("3～4岁的孩子能数到几", "小班"),
        ("5-6岁幼儿要会写名字吗", "大班"),
        ("孩子4岁了，会用筷子吗", "中班"),
        ("Can a five-year-old add within ten?", "大班"),
        ("How far should a three-year-old throw a sandbag?", "小班"),
        ("三到六岁的孩子主要靠什么学习", ""),  # the whole range names no one band
        ("3-6岁儿童学习与发展指南里小班的目标", "小班"),
        ("小班和大班有什么区别", ""),  # two bands: neither
        ("孩子每天睡多久", ""),
    ],
)
def test_the_band_a_question_names(question: str, band: str) -> None:
    assert band_named(question) == band


def test_the_band_phrase_leaves_the_text_and_everyday_words_meet_the_official_ones() -> None:
    asked = analyse("中班孩子不开心了，老师怎么办")
    assert asked.band == "中班" and "中班" not in asked.search_text
    assert "幼儿" in asked.tokens and "孩子" not in asked.tokens and "教师" in asked.tokens


def test_short_sentences_ride_with_the_next_one() -> None:
    assert sentence_pieces("教育建议：\n1．营造温暖、轻松的心理环境。如：\n·保持良好的情绪状态。") == [
        "教育建议： 1．营造温暖、轻松的心理环境。",
        "如： ·保持良好的情绪状态。",
    ]


GOALS = (
    "# 平衡\n\n## 目标1 情绪安定愉快\n\n| 3～4岁 | 4～5岁 | 5～6岁 |\n|---|---|---|\n"
    "| 情绪比较稳定，很少因一点小事哭闹。 | 愿意把自己的情绪告诉亲近的人。 | 表达情绪的方式比较适度，不乱发脾气。 |\n\n"
    "教育建议：营造温暖、轻松的心理环境，让幼儿形成安全感和信赖感。\n"
)


@pytest.fixture
def library(settings, tmp_path: Path):
    opened = Library(settings, embedding_function=HashEmbeddingFunction(), background=False)
    (tmp_path / "goals.md").write_text(GOALS, encoding="utf-8")
    opened.ingest(LEAD, [tmp_path / "goals.md"])
    yield opened
    opened.close()


def test_a_band_named_in_the_question_ranks_its_column_first_without_hiding_the_others(library: Library) -> None:
    hits = library.search(LEAD, "中班孩子的情绪应该是什么样", k=10)
    assert hits[0].text.startswith("4～5岁")
    assert any(hit.text.startswith("3～4岁") for hit in hits)  # a boost, not a filter


def test_dense_vectors_are_sentence_pieces_of_each_chunk(library: Library) -> None:
    ids = library.vectors.collection.get()["ids"]
    assert ids and all(vectors.PIECE_SEPARATOR in vector_id for vector_id in ids)
    chunk_ids = {row.id for row in library.retriever.view().rows}
    assert {vector_id.split(vectors.PIECE_SEPARATOR)[0] for vector_id in ids} == chunk_ids


def test_vectors_from_before_sentence_pieces_are_embedded_again(library: Library, tmp_path: Path) -> None:
    rows = library.retriever.view().rows
    library.vectors.collection.delete(ids=library.vectors.collection.get()["ids"])
    library.vectors.collection.upsert(  # the old layout: one vector per chunk, under the chunk's id
        ids=[row.id for row in rows],
        embeddings=HashEmbeddingFunction()([row.text for row in rows]),
        metadatas=[{"document_id": row.document_id, "version": row.version, "index": row.idx} for row in rows],
    )
    library.vectors.collection.modify(metadata={"vectors": "one-per-chunk"})
    library.close()
    reopened = Library(library.settings, embedding_function=HashEmbeddingFunction(), background=False)
    assert reopened.progress(LEAD).embedded_chunks == 0  # dropped; keyword search still works
    assert reopened.search(LEAD, "情绪", k=1, mode="keyword")
    reopened.embed_pending()
    ids = reopened.vectors.collection.get()["ids"]
    assert ids and all(vectors.PIECE_SEPARATOR in vector_id for vector_id in ids)
    assert reopened.progress(LEAD).done
    reopened.close()
