"""教案审核 in the app: a teacher submits on 教案工作台, a lead comments and returns it, the teacher
sees why, resubmits, the lead approves; a teacher opening the review page is refused by the core."""

from pathlib import Path

import pytest
from page_session import sign_in_session
from sample_plans import sample_plan
from streamlit.testing.v1 import AppTest

import studio_ui

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def studio(tmp_path, monkeypatch, fake_backend):
    monkeypatch.setenv("LESSON_STUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LESSON_STUDIO_BACKEND", "fake")
    monkeypatch.setenv("LESSON_STUDIO_STARTER_LIBRARY", "0")
    studio_ui.get_studio.clear()
    yield studio_ui.get_studio()
    studio_ui.get_studio.clear()


def page(name: str, user) -> AppTest:  # type: ignore[no-untyped-def]
    at = AppTest.from_file(str(ROOT / "pages" / name), default_timeout=120)
    sign_in_session(at, user)
    return at.run()


def test_submit_return_resubmit_approve(studio):
    teacher = studio.store.ensure_user("wang", display_name="王老师")
    lead = studio.store.ensure_user("zhao", role="lead", display_name="赵组长")
    version = studio.store.save_version(teacher, sample_plan())

    workbench = page("plan.py", teacher)
    workbench.button(key="submit_review").click().run()
    assert any("等待教研组长审核" in i.value for i in workbench.info)

    review_page = page("review.py", lead)
    assert "王老师" in review_page.selectbox(key="review_chosen").options[0]
    review_page.text_area[0].input("第三条目标写得再具体一些")
    review_page.button[0].click().run()  # 添加意见
    review_page.button(key="review_return").click().run()
    assert not review_page.exception, review_page.exception

    workbench = page("plan.py", teacher)
    assert any("退回" in i.value for i in workbench.info)
    assert any("第三条目标写得再具体一些" in c.value for c in workbench.caption)
    studio.save_edit(teacher, version.draft_id, sample_plan().model_copy(update={"title": "大班科学：小鸭过河"}), base_version_id=version.id)
    workbench.run()
    workbench.button(key="submit_review").click().run()

    review_page = page("review.py", lead)
    review_page.button(key="review_approve").click().run()
    assert not review_page.exception, review_page.exception
    assert any("收入资源库" in s.value for s in review_page.success)
    assert any(doc.tags.get("resource_type") == "精品教案" for doc in studio.library.lessons(teacher))
    assert any("审核通过" in s.value for s in page("plan.py", teacher).success)


def test_a_teacher_opening_the_review_page_is_refused_by_the_core(studio):
    at = page("review.py", studio.store.ensure_user("wang"))
    assert not at.exception
    assert any("只有教研组长" in e.value for e in at.error)
