"""资源库管理 and 检索测试 in the app (AppTest): a batch upload with one refused file, bulk tag edit,
a disabled chunk, a rollback, hit testing with a saved question; a plan citing a retired passage
still opens and says so; a teacher opening either page is refused by the core."""

from pathlib import Path

import pytest
from library_fakes import HashEmbeddingFunction
from page_session import sign_in_session
from sample_plans import sample_plan
from streamlit.testing.v1 import AppTest

import studio_ui
from lesson_studio.library import Library
from lesson_studio.studio import Studio

ROOT = Path(__file__).resolve().parents[1]
BRIDGE = "# 纸桥承重\n\n## 玩法\n\n孩子们用一张纸搭桥，往桥上放硬币，看纸桥能承受多少硬币。\n\n## 旧说法\n\n把纸折成波浪形就一定更结实，这是过时的说法。\n"
ANTS = "# 观察蚂蚁\n\n在户外找到蚂蚁的家，用放大镜观察蚂蚁怎样搬运食物，并画下来。\n"
OLD_DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600  # an OLE2 file: Word's old .doc


@pytest.fixture
def studio(settings, monkeypatch, fake_backend):
    library = Library(settings, embedding_function=HashEmbeddingFunction(), background=False)
    studio = Studio(settings, library=library)
    monkeypatch.setattr(studio_ui, "get_studio", lambda: studio)
    yield studio
    library.close()


@pytest.fixture
def lead(studio):
    return studio.store.ensure_user("zhao", role="lead", display_name="赵组长")


def page(name: str, user) -> AppTest:  # type: ignore[no-untyped-def]
    at = AppTest.from_file(str(ROOT / "pages" / name), default_timeout=120)
    sign_in_session(at, user)
    return at.run()


def plain(markdown: str) -> str:
    """What the reader sees of text that went through studio_ui.md() (its escapes removed)."""
    return markdown.replace("\\", "")


def upload(at: AppTest, files: list[tuple[str, bytes]], **tags: str) -> AppTest:
    at.file_uploader(key="lib_files").set_value([(name, data, "application/octet-stream") for name, data in files])
    for key, value in tags.items():
        at.selectbox(key=f"up_{key}").set_value(value)
    at.button(key="FormSubmitter:lib_upload-上传并导入").click().run()
    assert not at.exception, at.exception
    return at


def test_a_batch_with_one_refused_file_reports_it_and_lands_the_others(studio, lead):
    at = upload(
        page("library_manage.py", lead),
        [("bridge.md", BRIDGE.encode()), ("old.doc", OLD_DOC), ("ants.md", ANTS.encode())],
        domain="科学",
    )
    (refused,) = [plain(e.value) for e in at.error]
    assert "old.doc" in refused and "另存为" in refused  # names the file and what to do
    bars = [plain(p.proto.text) for p in at.get("progress")]
    assert any("bridge.md" in bar and "完成" in bar for bar in bars) and any("ants.md" in bar for bar in bars)
    assert {doc.title: doc.tags for doc in studio.library.list_documents(lead)} == {
        "纸桥承重": {"domain": "科学"},
        "观察蚂蚁": {"domain": "科学"},
    }
    at.run()  # a rerun (every click is one) ingests nothing again
    assert len(studio.library.uploads.batches(lead)) == 1
    assert [v.number for v in studio.library.versions(lead, studio.library.list_documents(lead)[0].document_id)] == [1]
    fresh = page("library_manage.py", studio.store.ensure_user("qian", role="lead"))  # another lead, a reload
    assert any("old.doc" in plain(e.value) for e in fresh.error)


def test_an_upload_without_files_says_so(studio, lead):
    at = page("library_manage.py", lead)
    at.button(key="FormSubmitter:lib_upload-上传并导入").click().run()
    assert any("选择要上传的文件" in e.value for e in at.error)


def test_bulk_tag_edit_changes_the_chosen_documents(studio, lead):
    at = upload(
        page("library_manage.py", lead), [("bridge.md", BRIDGE.encode()), ("ants.md", ANTS.encode())], domain="科学"
    )
    ids = [doc.document_id for doc in studio.library.list_documents(lead)]
    at.multiselect(key="lib_bulk_docs").set_value(ids)
    at.selectbox(key="lib_bulk_age_band").set_value("大班")
    at.selectbox(key="lib_bulk_domain").set_value("__remove__")
    at.button(key="lib_bulk_apply").click().run()
    assert not at.exception, at.exception
    assert any("2 份资料" in s.value for s in at.success)
    assert all(doc.tags == {"age_band": "大班"} for doc in studio.library.list_documents(lead))
    at.text_input(key="lib_filter_text").input("蚂蚁").run()
    assert list(at.dataframe[0].value["标题"]) == ["观察蚂蚁"]


def test_disabling_one_chunk_takes_it_out_of_search(studio, lead):
    at = upload(page("library_manage.py", lead), [("bridge.md", BRIDGE.encode())])
    (doc,) = studio.library.list_documents(lead)
    old = next(c for c in studio.library.document_chunks(lead, doc.document_id) if "过时" in c.text)
    at.run()
    at.button(key=f"lib_chunk_{old.chunk_id}").click().run()
    assert not at.exception, at.exception
    assert any("已停用" in s.value for s in at.success)
    assert old.chunk_id not in [h.chunk_id for h in studio.library.search(lead, "波浪形 过时的说法", k=10)]
    assert any("已停用" in c.value for c in at.caption)  # still listed on the document's page, marked


def test_rollback_in_one_click(studio, lead):
    at = upload(page("library_manage.py", lead), [("bridge.md", BRIDGE.encode())])
    upload(at, [("bridge.md", BRIDGE.replace("硬币", "积木").encode())])
    (doc,) = studio.library.list_documents(lead)
    assert doc.version == 2
    at.run()
    assert any("赵组长" in m.value and "第 1 版" in m.value for m in at.markdown)  # who and when
    at.button(key="lib_rollback_1").click().run()
    assert not at.exception, at.exception
    assert studio.library.list_documents(lead)[0].version == 1
    assert "硬币" in studio.library.search(lead, "纸桥", k=1)[0].text


def test_hit_testing_shows_each_sides_rank_and_keeps_a_saved_question(studio, lead):
    upload(page("library_manage.py", lead), [("bridge.md", BRIDGE.encode()), ("ants.md", ANTS.encode())])
    at = page("hit_test.py", lead)
    assert any("还没有保存的问题" in i.value for i in at.info)
    at.text_input(key="hit_question").input("纸桥能承受多少硬币")
    at.button(key="FormSubmitter:hit_test-检索").click().run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert list(table["名次"])[:2] == [1, 2] and table["向量名次"][0] == "1" and table["关键词名次"][0] == "1"
    assert "纸桥" in table["正文"][0]
    at.button(key="hit_save").click().run()
    assert not at.exception, at.exception
    assert at.metric[0].value == "1 / 1"
    (doc,) = [d for d in studio.library.list_documents(lead) if d.title == "纸桥承重"]
    studio.library.set_enabled(lead, doc.document_id, False)  # the regression the check is for
    assert page("hit_test.py", lead).metric[0].value == "0 / 1"


def test_a_plan_citing_a_retired_passage_opens_and_says_so(studio, lead):
    upload(page("library_manage.py", lead), [("bridge.md", BRIDGE.encode())])
    (doc,) = studio.library.list_documents(lead)
    passage = studio.library.document_passages(lead, doc.document_id)[0]
    teacher = studio.store.ensure_user("wang", display_name="王老师")
    studio.store.save_version(
        teacher, sample_plan().model_copy(update={"citations": [passage.citation.model_copy(update={"number": 1})]})
    )
    studio.library.set_enabled(lead, doc.document_id, False)
    at = page("plan.py", teacher)
    assert not at.exception, at.exception
    assert any("来源已退役" in c.value and "停用" in c.value for c in at.caption)


@pytest.mark.parametrize("name", ["library_manage.py", "hit_test.py"])
def test_a_teacher_opening_the_lead_pages_is_refused_by_the_core(studio, name):
    at = page(name, studio.store.ensure_user("wang"))
    assert not at.exception
    assert any("只有教研组长" in e.value for e in at.error)
    assert not at.dataframe and not at.get("file_uploader")


def test_the_upload_form_starts_with_the_cell_a_coverage_gap_links_from(studio, lead):
    at = AppTest.from_file(str(ROOT / "pages" / "library_manage.py"), default_timeout=120)
    sign_in_session(at, lead)
    at.query_params["domain"] = "艺术"  # 资源使用与缺口's 上传资料 button for a 待补充 cell
    at.query_params["age_band"] = "小班"
    at.run()
    assert (at.selectbox(key="up_domain").value, at.selectbox(key="up_age_band").value) == ("艺术", "小班")


def test_a_coverage_gap_opens_the_upload_form_for_its_cell(studio, lead):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    sign_in_session(at, lead).run()
    at.switch_page("pages/insights.py").run()
    at.button(key="upload_健康_小班").click().run()  # an empty library: every cell is 待补充
    assert not at.exception, at.exception
    assert (at.selectbox(key="up_domain").value, at.selectbox(key="up_age_band").value) == ("健康", "小班")


@pytest.mark.parametrize(
    ("name", "title"), [("library_manage.py", "Manage the library"), ("hit_test.py", "Retrieval testing")]
)
def test_the_lead_pages_speak_english_when_asked(studio, lead, name, title):
    upload(page("library_manage.py", lead), [("bridge.md", BRIDGE.encode())])
    at = AppTest.from_file(str(ROOT / "pages" / name), default_timeout=120)
    sign_in_session(at, lead)
    at.session_state["language"] = "en"
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == title
    assert not any("\u4e00" <= ch <= "\u9fff" for tab in at.tabs for ch in tab.label)  # tab labels in English
