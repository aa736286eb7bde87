"""一句话填表 for the six resource types other than the lesson plan (issue 13): each type's rule-based
parser, table-driven (sentence -> exactly the form values it gives, and what it guessed), the
shared readings of authoring.sentence, Studio.parse_resource_request, and one AppTest per page
that types a sentence, presses 解析到表单 and finds the form filled.

Relative dates count from TODAY, passed in; the page tests use sentences whose dates carry a year."""

import datetime
from pathlib import Path

import pytest
from page_session import sign_in_session
from streamlit.testing.v1 import AppTest

import studio_ui
from lesson_studio.authoring.sentence import SentenceReader
from lesson_studio.errors import InvalidInput, NotAllowed
from lesson_studio.resource_types import resource_type

ROOT = Path(__file__).resolve().parents[1]
TODAY = datetime.date(2026, 12, 6)  # a Sunday: 下周一 is 12月7日


def parse(kind: str, sentence: str):  # type: ignore[no-untyped-def]
    return resource_type(kind).parse_sentence(sentence, TODAY)


# --- each type's parser: sentence -> exactly these values (nothing else), and these guesses --------

LETTER_CASES = [
    (
        "中二班 12月7日 我们在做小熊的帽子，请家长收集旧毛线和纸盒，王老师",
        {
            "class_name": "中二班",
            "age_band": "中班",
            "teacher": "王老师",
            "date": "2026-12-07",
            "collect": ["旧毛线", "纸盒"],
            "topic": "小熊的帽子",
        },
        [],
    ),
    (
        "写一封家长信：大班孩子们在研究怎样让纸船装得更多，请家长和孩子一起收集瓶盖、旧报纸，12月14日前带来",
        {"age_band": "大班", "collect": ["瓶盖", "旧报纸"], "topic": "怎样让纸船装得更多", "notes": "12月14日前带来"},
        [],
    ),
    (
        "小一班 明天 秋天的树叶 李老师 电话13812345678",
        {
            "class_name": "小一班",
            "age_band": "小班",
            "teacher": "李老师",
            "date": "2026-12-07",
            "contact": "电话13812345678",
            "topic": "秋天的树叶",
        },
        [],
    ),
    ("托班 下周三 认识颜色", {"age_band": "小班", "date": "2026-12-09", "topic": "认识颜色"}, ["age_band"]),
    ("给家长写封信", {}, []),  # says only which document: the form keeps everything it had
]

UNIT_CASES = [
    (
        "中二班 主题《小熊的帽子》 下周一开始 两周 小熊的帽子总是被风吹跑 王老师",
        {
            "class_name": "中二班",
            "age_band": "中班",
            "teacher": "王老师",
            "start_date": "2026-12-07",
            "weeks": 2,
            "theme": "小熊的帽子",
            "problem": "小熊的帽子总是被风吹跑",
        },
        [],
    ),
    (
        "大班 3周 科学和艺术 用纸箱和旧布给小兔搭一个不漏雨的家",
        {
            "age_band": "大班",
            "weeks": 3,
            "domains": ["科学", "艺术"],
            "materials": ["纸箱", "旧布"],
            "theme": "用纸箱和旧布给小兔搭一个不漏雨的家",
            "problem": "用纸箱和旧布给小兔搭一个不漏雨的家",
        },
        ["theme"],  # no theme named apart from the problem
    ),
    (
        "小3班，主题是认识秋天，2026年12月14日开始，为期一个月",
        {"class_name": "小3班", "age_band": "小班", "start_date": "2026-12-14", "weeks": 4, "theme": "认识秋天"},
        ["weeks"],  # a month is planned as the form's longest, four weeks
    ),
    (
        "混龄班 下周 我们的种植角 植物总是被小朋友踩坏",
        {"age_band": "混龄", "start_date": "2026-12-07", "theme": "种植角", "problem": "植物总是被小朋友踩坏"},
        ["start_date", "theme"],
    ),
    ("做一个主题活动", {}, []),
]

AREA_CASES = [
    (
        "中二班 美工区和建构区 下周一开始 两周 主题小熊的帽子 现有纸箱、毛线 王老师",
        {
            "class_name": "中二班",
            "age_band": "中班",
            "teacher": "王老师",
            "start_date": datetime.date(2026, 12, 7),  # a date: the form's date picker takes one
            "weeks": 2,
            "areas": ["美工区", "建构区"],
            "materials_on_hand": ["纸箱", "毛线"],
            "theme": "小熊的帽子",
        },
        [],
    ),
    (
        "大班 图书区、科学区 3周 怎样让纸船装得更多",  # 图书区 is 阅读区; areas in the plan's order
        {"age_band": "大班", "weeks": 3, "areas": ["科学区", "阅读区"], "theme": "怎样让纸船装得更多"},
        [],
    ),
    (
        "小班 12月8日 沙水区 玩水的秘密 用漏斗和塑料瓶",
        {
            "age_band": "小班",
            "start_date": datetime.date(2026, 12, 8),
            "areas": ["沙水区"],
            "materials_on_hand": ["漏斗", "塑料瓶"],
            "theme": "玩水的秘密",
        },
        [],
    ),
    (
        "中1班 自然角 6周 种大蒜",
        {"class_name": "中1班", "age_band": "中班", "weeks": 4, "areas": ["自然角"], "theme": "种大蒜"},
        ["weeks"],
    ),
    ("写一份区域计划", {}, []),
]

OBSERVATION_CASES = [
    (
        "12月7日上午 中二班 乐乐在建构区用积木搭桥，倒了三次，第四次在下面垫了长积木 王老师",
        {
            "class_name": "中二班",
            "age_band": "中班",
            "observer": "王老师",
            "date": "2026-12-07 上午",
            "place": "建构区",
            "child": "乐乐",
            "notes": "乐乐在建构区用积木搭桥，倒了三次，第四次在下面垫了长积木",
        },
        [],
    ),
    (
        "昨天 观察对象：朵朵，在美工区用毛线给小熊做帽子，试了两种打结的办法，事件取样",
        {
            "date": "2026-12-05",
            "method": "事件取样法",
            "place": "美工区",
            "child": "朵朵",
            "notes": "朵朵，在美工区用毛线给小熊做帽子，试了两种打结的办法",
        },
        [],
    ),
    (
        "大班 今天户外活动 孩子们在玩沙",  # no child named: the notes keep the teacher's words
        {"age_band": "大班", "date": "2026-12-06", "notes": "户外活动，孩子们在玩沙"},
        [],
    ),
    ("小二班 豆豆哭了", {"class_name": "小二班", "age_band": "小班"}, []),  # too little to be the notes
    ("写观察记录", {}, []),
]

CHECKLIST_CASES = [
    (
        "大一班 12月8日 观察小明、小红和乐乐在建构区搭桥时的表现 李老师",
        {
            "class_name": "大一班",
            "age_band": "大班",
            "teacher": "李老师",
            "date": "2026-12-08",
            "children": ["小明", "小红", "乐乐"],
            "activity": "建构区搭桥",
        },
        [],
    ),
    (
        "中班 明天 给小熊做帽子 观察幼儿：朵朵、豆豆",
        {"age_band": "中班", "date": "2026-12-07", "children": ["朵朵", "豆豆"], "activity": "给小熊做帽子"},
        [],
    ),
    ("小班 用积木搭高楼 观察孩子们的表现", {"age_band": "小班", "activity": "用积木搭高楼"}, []),  # no names
    ("大（2）班 和老师一起种蒜", {"class_name": "大（2）班", "age_band": "大班", "activity": "和老师一起种蒜"}, []),
    ("做一份观察清单", {}, []),
]

REFLECTION_CASES = [
    (
        "孩子们都想给小熊戴帽子，第二个环节超时了5分钟，没想到乐乐用夹子固定了帽子，下次多准备些夹子",
        {
            "children": "孩子们都想给小熊戴帽子",
            "timing": "第二个环节超时了5分钟",
            "surprises": "没想到乐乐用夹子固定了帽子",
            "changes": "下次多准备些夹子",
        },
        [],
    ),
    ("分享环节提前结束了", {"timing": "分享环节提前结束了"}, []),
    (
        "豆豆说帽子太大了会掉下来；朵朵把纸条剪短了",
        {"children": "豆豆说帽子太大了会掉下来，朵朵把纸条剪短了"},
        [],
    ),
    ("写活动反思", {}, []),
]

CASES = [
    *(("parent_letter", *case) for case in LETTER_CASES),
    *(("theme_unit", *case) for case in UNIT_CASES),
    *(("area_plan", *case) for case in AREA_CASES),
    *(("observation_record", *case) for case in OBSERVATION_CASES),
    *(("creativity_checklist", *case) for case in CHECKLIST_CASES),
    *(("reflection", *case) for case in REFLECTION_CASES),
]


@pytest.mark.parametrize(("kind", "sentence", "values", "guessed"), CASES)
def test_a_sentence_fills_what_it_says_and_nothing_else(kind, sentence, values, guessed):
    parsed = parse(kind, sentence)
    assert parsed.values == values
    assert parsed.guessed == guessed


@pytest.mark.parametrize(("kind", "sentence", "values", "guessed"), CASES)
def test_what_a_sentence_fills_is_a_valid_value_of_the_request(kind, sentence, values, guessed):
    model = resource_type(kind).request_model
    for name, value in parse(kind, sentence).values.items():
        # Each value alone passes its field's rules (the rest of the form is the teacher's).
        assert name in model.model_fields
        model.__pydantic_validator__.validate_assignment(model.model_construct(), name, value)


# --- the shared readings (authoring.sentence) --------------------------------------------------


@pytest.mark.parametrize(
    ("words", "iso"),
    [
        ("2026年12月7日", "2026-12-07"),
        ("2026-12-07", "2026-12-07"),
        ("12月7日", "2026-12-07"),
        ("12月7号", "2026-12-07"),
        ("十二月七日", "2026-12-07"),
        ("1月5日", "2027-01-05"),  # said in December: the nearest 1月5日 is next year's
        ("11月30日", "2026-11-30"),
        ("下周一", "2026-12-07"),
        ("下星期五", "2026-12-11"),
        ("这周五", "2026-12-04"),
        ("明天", "2026-12-07"),
        ("后天", "2026-12-08"),
        ("昨天", "2026-12-05"),
    ],
)
def test_dates_are_read_from_the_given_today(words, iso):
    reader = SentenceReader(f"中班 {words} 活动")
    assert reader.read_date("date", TODAY) == datetime.date.fromisoformat(iso)
    assert reader.parsed.values["date"] == iso


@pytest.mark.parametrize("sentence", ["2月30日 活动", "3月份的活动", "过了两周"])
def test_what_is_not_a_date_is_not_read_as_one(sentence):
    reader = SentenceReader(sentence)
    assert reader.read_date("date", TODAY) is None and reader.parsed.values == {}


@pytest.mark.parametrize(
    ("sentence", "values"),
    [
        ("小一班的活动", {"class_name": "小一班", "age_band": "小班"}),
        ("中二班（4-5岁）", {"class_name": "中二班", "age_band": "中班"}),
        ("大(3)班", {"class_name": "大(3)班", "age_band": "大班"}),
        ("混龄一班", {"class_name": "混龄一班", "age_band": "混龄"}),
        ("大班孩子", {"age_band": "大班"}),
        ("5-6岁", {"age_band": "大班"}),
        ("班级活动", {}),
    ],
)
def test_a_class_name_gives_the_class_and_its_band(sentence, values):
    reader = SentenceReader(sentence)
    reader.read_class_and_band()
    assert reader.parsed.values == values


@pytest.mark.parametrize(("words", "weeks"), [("两周", 2), ("3周", 3), ("三个星期", 3), ("1周", 1)])
def test_weeks_are_read(words, weeks):
    reader = SentenceReader(f"主题活动 {words}")
    reader.read_weeks("weeks")
    assert reader.parsed.values == {"weeks": weeks} and reader.parsed.guessed == []


def test_a_teacher_is_a_surname_before_laoshi_not_any_word():
    reader = SentenceReader("和老师一起，请老师帮忙，王老师")
    reader.read_teacher("teacher")
    assert reader.parsed.values == {"teacher": "王老师"}


@pytest.mark.parametrize("sentence", ["", "   ", "，。"])
def test_an_empty_sentence_is_refused_in_both_languages(sentence):
    with pytest.raises(InvalidInput, match="一句话.*one sentence"):
        SentenceReader(sentence)


# --- the Studio -------------------------------------------------------------------------------


@pytest.fixture
def studio(settings):  # type: ignore[no-untyped-def]
    from lesson_studio.studio import Studio

    return Studio(settings, use_library=False)


def test_the_studio_parses_any_type_with_a_sentence_parser(studio):
    teacher = studio.store.ensure_user("wang", display_name="王老师")
    parsed = studio.parse_resource_request(teacher, "parent_letter", "中二班 明天 小熊的帽子", today=TODAY)
    assert parsed.values == {"class_name": "中二班", "age_band": "中班", "date": "2026-12-07", "topic": "小熊的帽子"}


def test_the_studio_refuses_a_type_without_a_sentence_parser_and_an_unknown_one(studio):
    teacher = studio.store.ensure_user("wang", display_name="王老师")
    with pytest.raises(InvalidInput, match="一句话填表"):
        studio.parse_resource_request(teacher, "lesson_plan", "中班 艺术", today=TODAY)
    with pytest.raises(InvalidInput, match="未知的资源类型"):
        studio.parse_resource_request(teacher, "poster", "中班", today=TODAY)


def test_the_studio_parses_only_for_a_signed_in_user(studio):
    with pytest.raises(NotAllowed):
        studio.parse_resource_request(None, "parent_letter", "中二班", today=TODAY)  # type: ignore[arg-type]


# --- the pages --------------------------------------------------------------------------------


@pytest.fixture
def open_page(tmp_path, monkeypatch, fake_backend):
    monkeypatch.setenv("LESSON_STUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LESSON_STUDIO_BACKEND", "fake")
    monkeypatch.setenv("LESSON_STUDIO_STARTER_LIBRARY", "0")
    studio_ui.get_studio.clear()
    studio_ui._starter_library_ready.clear()
    studio = studio_ui.get_studio()
    teacher = studio.store.ensure_user("wang", display_name="王老师")

    def open_as(page: str) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        sign_in_session(at, teacher)
        at.run()
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, at.exception
        return at

    return open_as, studio, teacher


def press_parse(at: AppTest, prefix: str, sentence: str) -> AppTest:
    at.text_input(key=f"{prefix}_sentence").input(sentence)
    at.button(key=f"{prefix}_parse").click().run()
    assert not at.exception, at.exception
    return at


def test_the_letter_page_fills_its_form_from_a_sentence(open_page):
    open_as, _, _ = open_page
    at = press_parse(
        open_as("parent_letter"), "letter", "中二班 2026年12月7日 小熊的帽子，请家长收集旧毛线和纸盒，李老师"
    )
    assert at.text_input(key="letter_class_name").value == "中二班"
    assert at.text_input(key="letter_date").value == "2026-12-07"
    assert at.text_input(key="letter_teacher").value == "李老师"
    assert at.text_input(key="letter_topic").value == "小熊的帽子"
    assert at.text_input(key="letter_collect").value == "旧毛线、纸盒"
    assert at.selectbox(key="letter_age_band").value == "中班"
    assert not at.warning  # nothing was guessed


def test_the_unit_page_fills_its_form_and_names_what_it_guessed(open_page):
    open_as, _, _ = open_page
    at = press_parse(open_as("theme_unit"), "unit", "大一班 2026年12月14日开始 3周 科学 纸船总是沉下去")
    assert at.text_input(key="unit_class_name").value == "大一班"
    assert at.text_input(key="unit_start_date").value == "2026-12-14"
    assert at.number_input(key="unit_weeks").value == 3
    assert at.multiselect(key="unit_domains").value == ["科学"]
    assert at.text_area(key="unit_problem").value == "纸船总是沉下去"
    assert at.text_input(key="unit_theme").value == "纸船总是沉下去"
    assert [warning.value for warning in at.warning] == ["以下字段是推断出来的，请检查：主题"]


def test_the_area_page_fills_its_form_from_a_sentence(open_page):
    open_as, _, _ = open_page
    at = press_parse(
        open_as("area_plan"), "area", "中二班 美工区和图书区 2026年12月14日 两周 小熊的帽子 现有纸箱、毛线"
    )
    assert at.text_input(key="area_class_name").value == "中二班"
    assert at.multiselect(key="area_areas").value == ["美工区", "阅读区"]
    assert at.date_input(key="area_start_date").value == datetime.date(2026, 12, 14)
    assert at.number_input(key="area_weeks").value == 2
    assert at.text_input(key="area_theme").value == "小熊的帽子"
    assert at.text_input(key="area_materials_on_hand").value == "纸箱、毛线"


def test_the_observation_page_fills_its_form_from_a_sentence(open_page):
    open_as, _, _ = open_page
    sentence = "2026年12月7日 中二班 乐乐在建构区用积木搭桥，倒了三次，第四次在下面垫了长积木"
    at = press_parse(open_as("observation_record"), "observation", sentence)
    assert at.text_input(key="observation_child").value == "乐乐"
    assert at.text_input(key="observation_place").value == "建构区"
    assert at.text_input(key="observation_date").value == "2026-12-07"
    assert at.text_area(key="observation_notes").value.startswith("乐乐在建构区用积木搭桥")
    assert at.text_input(key="observation_observer").value == "王老师"  # not in the sentence: kept


def test_the_checklist_page_fills_its_form_from_a_sentence(open_page):
    open_as, _, _ = open_page
    at = press_parse(open_as("creativity_checklist"), "checklist", "大一班 观察小明、小红在建构区搭桥时的表现")
    assert at.text_area(key="checklist_children").value == "小明、小红"
    assert at.text_input(key="checklist_activity").value == "建构区搭桥"
    assert at.selectbox(key="checklist_age_band").value == "大班"


def test_a_sentence_with_nothing_for_the_form_says_so_and_changes_nothing(open_page):
    open_as, _, _ = open_page
    at = press_parse(open_as("creativity_checklist"), "checklist", "做一份观察清单")
    assert at.text_input(key="checklist_activity").value == ""
    assert any("没有读到" in info.value for info in at.info)


def test_the_reflection_page_fills_the_notes_from_a_sentence(open_page, hat_request):
    open_as, studio, teacher = open_page
    job = studio.submit_generation(teacher, hat_request, idempotency_key="plan")
    assert studio.jobs.wait(teacher, job, timeout=10).status == "done"
    sentence = "孩子们都想给小熊戴帽子，第二个环节超时了5分钟，下次多准备些夹子"
    at = press_parse(open_as("reflection"), "reflection", sentence)
    assert at.text_area(key="reflection_children").value == "孩子们都想给小熊戴帽子"
    assert at.text_area(key="reflection_timing").value == "第二个环节超时了5分钟"
    assert at.text_area(key="reflection_changes").value == "下次多准备些夹子"
    assert at.text_area(key="reflection_surprises").value == ""
