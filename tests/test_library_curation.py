"""The lead's library work in the core: upload batches with per-file progress in the store, tags
(re-upload and bulk edit), single disabled passages, the document list with its states and filters,
versions with who uploaded them, hit testing with each side's rank, saved questions, and notices
for passages a plan cites that were retired. A teacher is refused every one of them here."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from library_fakes import HashEmbeddingFunction
from library_files import docx_bytes

from lesson_studio.errors import InvalidInput, NotAllowed
from lesson_studio.library import Library
from lesson_studio.library.curation import citation_notices, filter_documents
from lesson_studio.models import Citation

BRIDGE = "# 纸桥承重\n\n孩子们用一张纸搭桥，往桥上一枚一枚地放硬币，看看纸桥能承受多少硬币。\n"
ANTS = "# 观察蚂蚁\n\n在户外找到蚂蚁的家，用放大镜观察蚂蚁怎样搬运食物，并画下来。\n"
TWO_PARTS = (
    "# 纸桥\n\n## 玩法\n\n孩子们用一张纸搭桥，往桥上放硬币，看纸桥能承受多少硬币。\n\n"
    "## 旧说法\n\n把纸折成波浪形，纸桥就能承受更多硬币，这是过时的说法。\n"
)


@pytest.fixture
def library(settings):
    library = Library(settings, embedding_function=HashEmbeddingFunction(), background=False)
    yield library
    library.close()


@pytest.fixture
def lead(library):
    return library.store.ensure_user("zhao", role="lead", display_name="赵组长")


@pytest.fixture
def teacher(library):
    return library.store.ensure_user("wang", display_name="王老师")


def upload(library, lead, files, tags=None, key="k1"):  # type: ignore[no-untyped-def]
    batch_id = library.uploads.submit(lead, files, tags or {}, key=key)
    return library.uploads.batch(lead, batch_id)


def md(text: str) -> bytes:
    return text.encode("utf-8")


def test_a_batch_with_one_refused_file_lands_the_others_and_names_the_refusal(library, lead):
    batch = upload(
        library,
        lead,
        [
            ("bridge.md", md(BRIDGE)),
            ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600),
            ("ants.docx", docx_bytes(["观察蚂蚁搬运食物"])),
        ],
        {"domain": "科学"},
    )
    assert [item.file_name for item in batch.items] == ["bridge.md", "old.doc", "ants.docx"]
    assert [item.state for item in batch.items] == ["done", "refused", "done"]
    (refused,) = batch.refused
    assert "old.doc" in refused.message and ".docx" in refused.message  # what to do: save it as .docx
    titles = {doc.title: doc.tags for doc in library.list_documents(lead)}
    assert titles["纸桥承重"] == {"domain": "科学"} and len(titles) == 2
    assert not (library.settings.data_dir / "uploads" / str(batch.id)).exists()  # the kept bytes are gone


def test_the_same_submit_again_is_the_same_batch_and_ingests_nothing_twice(library, lead):
    first = upload(library, lead, [("bridge.md", md(BRIDGE))], key="same")
    again = upload(library, lead, [("bridge.md", md(BRIDGE))], key="same")
    assert again.id == first.id and len(library.uploads.batches(lead)) == 1
    assert [v.number for v in library.versions(lead, library.list_documents(lead)[0].document_id)] == [1]


def test_progress_is_in_the_store_for_a_fresh_library_object_and_other_leads(library, lead, settings):
    batch = upload(library, lead, [("bridge.md", md(BRIDGE))], {"age_band": "大班"})
    other_lead = library.store.ensure_user("qian", role="lead", display_name="钱组长")
    reopened = Library(settings, embedding_function=HashEmbeddingFunction(), background=False)
    try:
        (seen,) = reopened.uploads.batches(other_lead)
        assert seen.id == batch.id and seen.created_by == "赵组长" and seen.tags == {"age_band": "大班"}
        assert seen.items[0].state == "done" and seen.items[0].fraction == 1.0
    finally:
        reopened.close()


def test_upload_in_the_background_returns_at_once_and_reaches_done(settings, lead):
    library = Library(settings, embedding_function=HashEmbeddingFunction(), background=True)
    try:
        batch_id = library.uploads.submit(lead, [("bridge.md", md(BRIDGE)), ("ants.md", md(ANTS))], {}, key="bg")
        for _ in range(600):  # waits for the worker; no assertion on how long it took
            batch = library.uploads.batch(lead, batch_id)
            if not batch.running:
                break
            time.sleep(0.1)
        assert [item.state for item in batch.items] == ["done", "done"]
    finally:
        library.close()


def test_an_item_cut_off_by_a_restart_is_refused_with_a_reason(library, lead):
    batch_id, _ = library.store.upload_batch_create(lead, "cut", {}, [("bridge.md", 10, "0" * 64)])
    library.store.upload_items_interrupt(timedelta(0), set())
    (item,) = library.uploads.batch(lead, batch_id).items
    assert item.state == "refused" and "重新上传" in item.message


def test_reuploading_unchanged_content_with_new_tags_updates_the_tags(library, lead, tmp_path):
    path = tmp_path / "bridge.md"
    path.write_text(BRIDGE, encoding="utf-8")
    library.ingest(lead, [path], {"domain": "科学"})
    report = library.ingest(lead, [path], {"age_band": "大班"})
    (doc,) = report.retagged
    assert doc.tags == {"domain": "科学", "age_band": "大班"} and not report.unchanged
    assert library.search(lead, "纸桥 硬币", k=1, age_band="大班")[0].citation.document_id == doc.document_id
    assert library.ingest(lead, [path], {"age_band": "大班"}).unchanged  # the same tags again: unchanged
    assert [v.number for v in library.versions(lead, doc.document_id)] == [1]  # no new version for tags


def test_bulk_tag_edit_sets_and_removes_tags_and_search_follows(library, lead):
    upload(library, lead, [("bridge.md", md(BRIDGE)), ("ants.md", md(ANTS))], {"domain": "科学", "age_band": "中班"})
    ids = [doc.document_id for doc in library.list_documents(lead)]
    changed = library.set_tags(lead, ids, {"age_band": "大班", "resource_type": "活动案例", "domain": ""})
    assert sorted(changed) == sorted(ids)
    assert all(doc.tags == {"age_band": "大班", "resource_type": "活动案例"} for doc in library.list_documents(lead))
    assert library.search(lead, "纸桥 硬币", k=3, age_band="中班") == []  # another band's passages go
    assert library.search(lead, "纸桥 硬币", k=3, resource_types=["活动案例"])
    chunks = library.document_chunks(lead, ids[0])
    assert all(chunk.tags.get("age_band") == "大班" and "domain" not in chunk.tags for chunk in chunks)


def test_a_bad_bulk_tag_changes_no_document(library, lead):
    upload(library, lead, [("bridge.md", md(BRIDGE))], {"domain": "科学"})
    ids = [doc.document_id for doc in library.list_documents(lead)]
    with pytest.raises(InvalidInput, match="数学"):
        library.set_tags(lead, ids, {"domain": "数学"})
    with pytest.raises(InvalidInput, match="指南"):
        library.set_tags(lead, ids, {"resource_type": "指南"})
    assert library.list_documents(lead)[0].tags == {"domain": "科学"}


def test_a_disabled_chunk_is_never_retrieved_and_comes_back_when_enabled(library, lead, teacher):
    upload(library, lead, [("bridge.md", md(TWO_PARTS))])
    (doc,) = library.list_documents(lead)
    old = next(chunk for chunk in library.document_chunks(lead, doc.document_id) if "过时" in chunk.text)
    library.set_chunk_enabled(lead, old.chunk_id, False)
    for mode in ("hybrid", "dense", "keyword"):
        assert old.chunk_id not in [
            hit.chunk_id for hit in library.search(teacher, "波浪形 过时的说法", k=10, mode=mode)
        ]
    assert old.chunk_id not in [hit.chunk_id for hit in library.document_passages(teacher, doc.document_id)]
    assert next(c for c in library.document_chunks(lead, doc.document_id) if c.chunk_id == old.chunk_id).disabled
    library.set_chunk_enabled(lead, old.chunk_id, True)
    assert old.chunk_id in [hit.chunk_id for hit in library.search(teacher, "波浪形 过时的说法", k=10)]


def test_chunks_are_shown_as_the_retriever_holds_them(library, lead):
    upload(library, lead, [("bridge.md", md(TWO_PARTS))], {"age_band": "大班"})
    (doc,) = library.list_documents(lead)
    chunks = library.document_chunks(lead, doc.document_id)
    assert [chunk.index for chunk in chunks] == list(range(len(chunks)))
    assert chunks[0].heading == "玩法" and chunks[0].tags["age_band"] == "大班"
    assert chunks[0].length == len(chunks[0].text) and chunks[0].embedded


def test_the_document_list_has_every_state_and_filters(library, lead):
    upload(
        library,
        lead,
        [
            ("bridge.md", md(BRIDGE)),
            ("ants.md", md(ANTS)),
            ("guide.md", md("<!-- tags: resource_type=指南 -->\n" + BRIDGE)),
        ],
        {"domain": "科学"},
    )
    rows = {row.title: row for row in library.documents_overview(lead)}
    bridge = rows["纸桥承重"]
    library.set_enabled(lead, rows["观察蚂蚁"].document_id, False)
    rows = library.documents_overview(lead)
    states = {row.title: row.state for row in rows}
    assert states["纸桥承重"] == "active" and states["观察蚂蚁"] == "disabled"
    failed = next(row for row in rows if row.state == "failed")  # tagged 指南 without goal tables
    assert failed.source_name == "guide.md" and "指南" in failed.error
    assert bridge.uploaded_by == "赵组长" and bridge.version == 1
    assert [r.source_name for r in filter_documents(rows, text="BRIDGE")] == ["bridge.md"]  # title or file name
    assert {r.source_name for r in filter_documents(rows, states=["disabled", "active"])} == {"bridge.md", "ants.md"}
    assert filter_documents(rows, tags={"domain": "健康"}) == []
    assert filter_documents(rows, uploaded_by="钱组长") == []
    assert filter_documents(rows, changed_since=bridge.updated_at + timedelta(days=1)) == []


def test_versions_say_who_uploaded_them_and_rollback_restores_one(library, lead):
    upload(library, lead, [("bridge.md", md(BRIDGE))], key="a")
    upload(library, lead, [("bridge.md", md(BRIDGE.replace("硬币", "积木")))], key="b")
    (doc,) = library.list_documents(lead)
    versions = library.versions(lead, doc.document_id)
    assert [(v.number, v.status, v.uploaded_by) for v in versions] == [
        (1, "retired", "赵组长"),
        (2, "active", "赵组长"),
    ]
    library.rollback(lead, doc.document_id, 1)
    assert "硬币" in library.search(lead, "纸桥", k=1)[0].text


def test_hit_testing_gives_each_sides_rank_through_the_same_retriever(library, lead):
    upload(library, lead, [("bridge.md", md(BRIDGE)), ("ants.md", md(ANTS))], {"domain": "科学"})
    ranked = library.hit_test(lead, "纸桥能承受多少硬币", k=5, domain="科学")
    assert [r.hit.chunk_id for r in ranked] == [
        h.chunk_id for h in library.search(lead, "纸桥能承受多少硬币", k=5, domain="科学")
    ]
    top = ranked[0]
    assert "纸桥" in top.hit.text and top.dense_rank == 1 and top.keyword_rank == 1 and top.score > 0


def test_saved_questions_report_whether_their_passage_is_in_the_top_five(library, lead):
    upload(library, lead, [("bridge.md", md(TWO_PARTS)), ("ants.md", md(ANTS))])
    (bridge,) = [doc for doc in library.list_documents(lead) if doc.title == "纸桥"]
    wanted = next(c for c in library.document_chunks(lead, bridge.document_id) if "过时" in c.text)
    library.save_hit_test(lead, "波浪形的纸桥", wanted.chunk_id)
    library.save_hit_test(lead, "蚂蚁怎样搬运食物", library.hit_test(lead, "蚂蚁", k=1)[0].hit.chunk_id)
    assert [r.found for r in library.check_hit_tests(lead)] == [True, True]
    library.set_chunk_enabled(lead, wanted.chunk_id, False)  # the regression the check exists for
    results = library.check_hit_tests(lead)
    assert [r.found for r in results] == [False, True] and results[1].rank == 1
    library.remove_hit_test(lead, results[0].id)
    assert len(library.check_hit_tests(lead)) == 1


def test_cited_passages_that_were_retired_are_named(library, lead, teacher):
    upload(
        library,
        lead,
        [("bridge.md", md(TWO_PARTS)), ("ants.md", md(ANTS)), ("song.md", md("# 歌\n\n跟着音乐拍手。\n"))],
        key="a",
    )
    docs = {doc.title: doc for doc in library.list_documents(lead)}
    cite = {title: library.document_passages(teacher, doc.document_id)[0].citation for title, doc in docs.items()}
    assert citation_notices(library.store, teacher, cite.values()) == {}
    passages = library.document_passages(teacher, docs["纸桥"].document_id)
    library.set_chunk_enabled(lead, passages[1].chunk_id, False)
    library.set_enabled(lead, docs["观察蚂蚁"].document_id, False)
    library.remove(lead, docs["歌"].document_id)
    upload(library, lead, [("bridge.md", md(TWO_PARTS.replace("硬币", "积木")))], key="b")
    notices = citation_notices(library.store, teacher, [*cite.values(), passages[1].citation])
    assert "版本" in notices[cite["纸桥"].chunk_id] or "第 1 版" in notices[cite["纸桥"].chunk_id]
    assert "停用" in notices[cite["观察蚂蚁"].chunk_id] and "删除" in notices[cite["歌"].chunk_id]
    made_up = Citation(chunk_id="zz:1:0", document_id="zz", document_title="x")
    assert "删除" in citation_notices(library.store, teacher, [made_up])["zz:1:0"]


@pytest.mark.parametrize(
    "action",
    [
        lambda lib, who, doc, chunk: lib.uploads.submit(who, [("a.md", md(BRIDGE))], {}, key="t"),
        lambda lib, who, doc, chunk: lib.uploads.batches(who),
        lambda lib, who, doc, chunk: lib.set_tags(who, [doc], {"age_band": "大班"}),
        lambda lib, who, doc, chunk: lib.set_chunk_enabled(who, chunk, False),
        lambda lib, who, doc, chunk: lib.document_chunks(who, doc),
        lambda lib, who, doc, chunk: lib.documents_overview(who),
        lambda lib, who, doc, chunk: lib.rollback(who, doc, 1),
        lambda lib, who, doc, chunk: lib.set_enabled(who, doc, False),
        lambda lib, who, doc, chunk: lib.remove(who, doc),
        lambda lib, who, doc, chunk: lib.hit_test(who, "纸桥"),
        lambda lib, who, doc, chunk: lib.save_hit_test(who, "纸桥", chunk),
        lambda lib, who, doc, chunk: lib.check_hit_tests(who),
    ],
    ids=[
        "upload",
        "progress",
        "tags",
        "chunk",
        "chunks",
        "list",
        "rollback",
        "disable",
        "remove",
        "hit",
        "save",
        "check",
    ],
)
def test_a_teacher_cannot_curate_the_library(library, lead, teacher, action):
    upload(library, lead, [("bridge.md", md(BRIDGE))])
    (doc,) = library.list_documents(lead)
    chunk = library.document_chunks(lead, doc.document_id)[0].chunk_id
    with pytest.raises(NotAllowed):
        action(library, teacher, doc.document_id, chunk)
    assert library.list_documents(lead)[0].enabled and library.list_documents(lead)[0].tags == {}


def test_empty_batch_and_bad_batch_tag_are_refused_with_the_field(library, lead):
    with pytest.raises(InvalidInput, match="选择"):
        library.uploads.submit(lead, [], {}, key="x")
    with pytest.raises(InvalidInput, match="age_band"):
        library.uploads.submit(lead, [("a.md", md(BRIDGE))], {"age_band": "中大班"}, key="y")
    assert library.uploads.batches(lead) == []


def test_a_file_name_from_the_browser_is_only_its_name(library, lead):
    batch = upload(library, lead, [("../../etc/bridge.md", md(BRIDGE))])
    assert batch.items[0].file_name == "bridge.md" and batch.items[0].state == "done"
    assert Path(library.list_documents(lead)[0].source_name).name == "bridge.md"
