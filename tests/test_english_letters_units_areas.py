"""Issue 13, "a request in English gets English output throughout", for the 家长信 (parent letter),
the 主题活动 (theme unit) and the 区域材料计划 (area plan): English prompts, English text wherever
code writes into the document, checks that read English words, and English Word labels. The
Chinese path is covered by each type's own tests."""

from __future__ import annotations

import datetime
import io
import json
import re
import time
from pathlib import Path

import docx
import pytest
from fakes import ScriptedBackend
from page_session import sign_in_session
from streamlit.testing.v1 import AppTest

from lesson_studio.pipeline import write
from lesson_studio.resource_types import resource_type
from lesson_studio.resource_types.area_plan.checks import check_area, check_area_plan, has_quantity, validate_area_plan
from lesson_studio.resource_types.area_plan.export import area_plan_docx
from lesson_studio.resource_types.area_plan.scaffold import build_area_scaffold
from lesson_studio.resource_types.area_plan.schema import AreaPlanRequest, Material
from lesson_studio.resource_types.parent_letter.checks import check_letter, validate_letter
from lesson_studio.resource_types.parent_letter.export import letter_docx
from lesson_studio.resource_types.parent_letter.scaffold import build_letter_scaffold
from lesson_studio.resource_types.parent_letter.schema import ParentLetterRequest
from lesson_studio.resource_types.theme_unit.checks import check_unit, unit_activity, validate_unit, with_activity
from lesson_studio.resource_types.theme_unit.expand import lesson_request_for
from lesson_studio.resource_types.theme_unit.export import unit_docx
from lesson_studio.resource_types.theme_unit.scaffold import build_unit_scaffold
from lesson_studio.resource_types.theme_unit.schema import ThemeUnitRequest

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def cjk_in(text: str, *enumerations: str) -> list[str]:
    """The Chinese characters left in text once the document's enumerations (data) are taken out."""
    for value in enumerations:
        text = text.replace(value, "")
    return CJK.findall(text)


def english_answer(answers: dict[frozenset[str], dict]):
    """A fake model answering in English: the answer whose keys are the schema's properties."""

    def respond(messages, schema):
        keys = frozenset((schema or {}).get("properties", {}))
        return json.dumps(answers[keys], ensure_ascii=False)

    return respond


def prompts_sent(backend: ScriptedBackend) -> str:
    return backend.prompts_text()


def docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [paragraph.text for paragraph in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    parts += [paragraph.text for section in document.sections for paragraph in section.header.paragraphs]
    return "\n".join(parts)


# --- 家长信 / parent letter -------------------------------------------------------------------------

LETTER_EN = {
    "title": "Let's help Teddy keep his hat on",
    "what_and_why": "This week our class is trying to make a hat that stays on Teddy's head. Children notice a "
    "real problem, think of many ways to solve it and test their ideas, which builds confidence.",
    "child_part": "Your child will try paper, string and boxes, and change the hat when it falls off.",
    "family_task": "At home, ask your child to show you how a hat stays on, and try it together with a scarf.",
    "safety_and_time": "Please bring the items by Friday morning.",
    "thanks": "Thank you for your support!",
}
LETTER_ZH_ONLY = ("中班",)  # the age band: an enumeration, data in both languages


@pytest.fixture
def english_letter_request() -> ParentLetterRequest:
    return ParentLetterRequest(
        class_name="Middle Class 2",
        teacher="Ms Wang",
        date="7 December 2026",
        age_band="中班",
        topic="make a hat that stays on Teddy's head",
        collect=["old newspapers", "cardboard boxes", "button cells", "yarn", "balloons"],
        language="en",
    )


def write_letter(request, backend):
    return write(resource_type("parent_letter"), request, backend=backend).plan


def test_an_english_letter_is_written_from_english_prompts(english_letter_request):
    backend = ScriptedBackend(respond=english_answer({frozenset(LETTER_EN): LETTER_EN}))
    write_letter(english_letter_request, backend)
    sent = prompts_sent(backend)
    assert "Parent letter request" in sent and "Writing rules" in sent
    assert cjk_in(sent, *LETTER_ZH_ONLY) == []


def test_what_code_writes_into_an_english_letter_is_english(english_letter_request):
    backend = ScriptedBackend(respond=english_answer({frozenset(LETTER_EN): LETTER_EN}))
    letter = write_letter(english_letter_request, backend)
    assert letter.language == "en"
    assert letter.salutation == "Dear families,"
    assert [item.name for item in letter.collection] == ["old newspapers", "cardboard boxes", "yarn"]
    assert {item.name for item in letter.removed_items} == {"button cells", "balloons"}
    written_by_code = [letter.salutation, letter.collection_note, *letter.exclusions, *letter.warnings]
    written_by_code += [item.reason for item in letter.removed_items]
    assert all(cjk_in(text) == [] for text in written_by_code), written_by_code
    assert any("balloon" in line for line in letter.exclusions)


def test_an_english_family_task_needing_a_purchase_is_flagged_and_one_needing_nothing_passes(
    english_letter_request,
):
    scaffold = build_letter_scaffold(english_letter_request)
    letter = write_letter(
        english_letter_request, ScriptedBackend(respond=english_answer({frozenset(LETTER_EN): LETTER_EN}))
    )
    assert check_letter(letter, scaffold) == []
    buying = letter.model_copy(update={"family_task": "Please buy a straw hat at the shop and bring it in."})
    assert {defect.kind for defect in check_letter(buying, scaffold)} == {"purchase"}
    nothing_to_buy = letter.model_copy(update={"family_task": "No need to buy anything: try a scarf at home."})
    assert check_letter(nothing_to_buy, scaffold) == []


@pytest.mark.parametrize(
    ("field", "text", "kind"),
    [
        ("family_task", "Please help your child finish the tracing worksheet about hats.", "homework"),
        ("what_and_why", "We use brainstorming and divergent thinking to solve a real problem together.", "jargon"),
        ("child_part", "Children will build a hat and test it. They may use magnets to hold it on.", "unsafe_item"),
    ],
)
def test_the_english_checks_read_english_words(english_letter_request, field, text, kind):
    scaffold = build_letter_scaffold(english_letter_request)
    letter = write_letter(
        english_letter_request, ScriptedBackend(respond=english_answer({frozenset(LETTER_EN): LETTER_EN}))
    )
    assert kind in {defect.kind for defect in check_letter(letter.model_copy(update={field: text}), scaffold)}


def test_an_english_letter_is_repaired_in_english(english_letter_request):
    scaffold = build_letter_scaffold(english_letter_request)
    letter = write_letter(
        english_letter_request, ScriptedBackend(respond=english_answer({frozenset(LETTER_EN): LETTER_EN}))
    )
    bad = letter.model_copy(
        update={
            "what_and_why": "We use brainstorming to solve a real problem together.",
            "child_part": "Children will build a hat and test it. They may use magnets to hold it on.",
            "family_task": "Please buy a straw hat online.",
        }
    )
    fixes: list[str] = []

    def still_buying(current, fix):
        fixes.append(fix)
        return current

    repaired, report = validate_letter(bad, scaffold, still_buying)
    assert report.after == []
    assert "thinking up ideas together" in repaired.what_and_why
    assert repaired.child_part == "Children will build a hat and test it."
    assert "Nothing needs to be bought" in repaired.family_task
    assert fixes and cjk_in(fixes[0]) == []
    assert cjk_in(repaired.family_task) == []


def test_the_english_letters_word_file_has_english_labels(english_letter_request):
    letter = write_letter(
        english_letter_request, ScriptedBackend(respond=english_answer({frozenset(LETTER_EN): LETTER_EN}))
    )
    text = docx_text(letter_docx(letter.model_copy(update={"contact": "Wechat ms-wang"})))
    for label in (
        "Family task:",
        "Please help us collect:",
        "please do not send:",
        "Reminder:",
        "Contact:",
        "Dear families,",
    ):
        assert label in text, label
    assert cjk_in(text) == []


def test_a_chinese_letter_keeps_its_chinese_labels():
    request = ParentLetterRequest(
        class_name="中二班", teacher="王老师", date="2026年12月7日", topic="做帽子", collect=["纸盒"]
    )
    letter = write_letter(request, ScriptedBackend())
    assert letter.language == "zh" and letter.salutation == "亲爱的家长朋友们："
    assert "家庭小任务：" in docx_text(letter_docx(letter))


# --- 区域材料计划 / area plan ------------------------------------------------------------------------

AREA_EN = {
    "goal": "Children design and build a hat that stays on Teddy's head, and test it.",
    "materials": [
        {"name": "old newspapers", "quantity": "1 basket per area", "structure": "low"},
        {"name": "cardboard tubes", "quantity": "10 per group", "structure": "low"},
        {"name": "hat-making kit", "quantity": "2 sets", "structure": "high"},
    ],
    "levels": [
        {"challenge": "Make a hat that sits on Teddy's head", "difficulty": 1},
        {"challenge": "Make a hat that stays on when Teddy nods", "difficulty": 2},
        {"challenge": "Make a hat that stays on in the wind from a fan", "difficulty": 3},
    ],
    "record_columns": ["My hat (draw it)", "Did it stay on? (tick)"],
    "observation_focus": ["How children change the hat after it falls off"],
}


@pytest.fixture
def english_area_request():
    return AreaPlanRequest(
        class_name="Middle Class 2",
        teacher="Ms Wang",
        age_band="中班",
        theme="make a hat that stays on Teddy's head",
        areas=["科学区", "美工区"],
        start_date=datetime.date(2026, 12, 5),  # a Saturday: the plan starts on Monday
        weeks=2,
        materials_on_hand=["old newspapers", "candles", "cardboard tubes"],
        language="en",
    )


def area_backend() -> ScriptedBackend:
    return ScriptedBackend(respond=english_answer({frozenset(AREA_EN): AREA_EN}))


def test_an_english_area_plan_is_written_from_english_prompts(english_area_request):
    backend = area_backend()
    write(resource_type("area_plan"), english_area_request, backend=backend)
    sent = prompts_sent(backend)
    assert "[Area materials plan]" in sent and "Art area" in sent and "Science area" in sent
    assert "LED electronic candles" in sent  # the substitute the teacher's candles became
    assert cjk_in(sent) == []


def test_what_code_writes_into_an_english_area_plan_is_english(english_area_request):
    plan = write(resource_type("area_plan"), english_area_request, backend=area_backend()).plan
    assert plan.language == "en"
    assert plan.title == "make a hat that stays on Teddy's head: area materials plan"
    assert [section.area for section in plan.areas] == ["美工区", "科学区"]  # code's order, the data values
    assert [item.material for item in plan.exclusions] == ["candles"]
    assert {item.structure for item in plan.areas[0].materials} == {"低结构", "高结构"}
    written_by_code = [plan.title, plan.general_safety, *plan.warnings]
    for item in plan.exclusions:
        written_by_code += [item.reason, item.substitute]
    for section in plan.areas:
        written_by_code += [section.record_how, *section.safety_notes, *(entry.what for entry in section.schedule)]
    assert all(cjk_in(text) == [] for text in written_by_code), written_by_code
    assert any("weekend" in warning for warning in plan.warnings)


def test_an_english_record_sheet_that_scores_is_flagged_and_one_children_tick_passes(english_area_request):
    plan = write(resource_type("area_plan"), english_area_request, backend=area_backend()).plan
    scaffold = build_area_scaffold(english_area_request)
    assert check_area_plan(plan, scaffold) == []
    section = plan.areas[0].model_copy(update={"record_columns": ["My hat", "Score (1-10)", "Rank"]})
    scoring = [defect for defect in check_area(section, "中班", "en") if defect.kind == "scoring_record"]
    assert scoring and set(scoring[0].words) == {"score", "rank"}


def test_an_english_quantity_without_a_number_is_flagged():
    assert has_quantity("3 per group", "en") and has_quantity("one basket", "en") and has_quantity("a set", "en")
    assert not has_quantity("some", "en") and not has_quantity("plenty", "en")


def test_an_english_area_is_repaired_in_english(english_area_request):
    plan = write(resource_type("area_plan"), english_area_request, backend=area_backend()).plan
    scaffold = build_area_scaffold(english_area_request)
    section = plan.areas[0].model_copy(
        update={
            "materials": [Material(name="plastic blocks", quantity="some", structure="高结构")],
            "record_columns": ["Score"],
            "levels": [],
        }
    )
    fixes: list[str] = []

    def unchanged(current, area, fix):
        fixes.append(fix)
        return next(item for item in current.areas if item.area == area)

    broken = plan.model_copy(update={"areas": [section, *plan.areas[1:]]})
    repaired, report = validate_area_plan(broken, scaffold, unchanged)
    assert report.after == []
    area = repaired.areas[0]
    texts = [*(item.name for item in area.materials), *(item.quantity for item in area.materials)]
    texts += [level.challenge for level in area.levels] + area.record_columns + fixes
    assert all(cjk_in(text) == [] for text in texts), texts


def test_an_english_unsafe_material_from_the_model_is_taken_out_with_the_english_reason(english_area_request):
    answer = dict(
        AREA_EN, materials=[*AREA_EN["materials"], {"name": "glue gun", "quantity": "1", "structure": "high"}]
    )
    plan = write(
        resource_type("area_plan"),
        english_area_request,
        backend=ScriptedBackend(respond=english_answer({frozenset(AREA_EN): answer})),
    ).plan
    section = plan.areas[0]
    assert "glue gun" not in [item.name for item in section.materials]
    assert [item.material for item in section.exclusions] == ["glue gun"]
    assert cjk_in(section.exclusions[0].reason) == []
    assert "glue sticks or white PVA glue" in [item.name for item in section.materials]


def test_the_english_area_plans_word_file_has_english_labels(english_area_request):
    plan = write(resource_type("area_plan"), english_area_request, backend=area_backend()).plan
    text = docx_text(area_plan_docx(plan))
    for label in (
        "Theme:",
        "1. Art area",
        "2. Science area",
        "Goal:",
        "Level 1:",
        "Record sheet:",
        "Put out",
        "Quantity",
    ):
        assert label in text, label
    assert "low-structure" in text and "7 December 2026" in text
    assert cjk_in(text) == []


def test_an_english_area_plans_edit_reads_back_its_english_boxes(english_area_request):
    plan = write(resource_type("area_plan"), english_area_request, backend=area_backend()).plan
    texts = plan.edit_texts()
    assert "low-structure" in texts["美工区"]["materials"] and cjk_in(texts["美工区"]["record_columns"]) == []
    assert plan.with_edits(texts).areas == plan.areas


# --- 主题活动 / theme unit --------------------------------------------------------------------------

UNIT_OVERVIEW_EN = {
    "unit_title": "Teddy's hat",
    "source_and_value": "Teddy's hat keeps falling off in the reading corner. Children want to help him, "
    "and finding their own way to keep it on builds confidence and care for friends.",
    "goal_health": "Children move safely while testing hats outdoors.",
    "goal_language": "Children tell friends how their hat stays on.",
    "goal_social": "Children take turns and help a friend with a hat.",
    "goal_science": "Children notice why a hat falls and test ideas.",
    "goal_art": "Children design and decorate a hat of their own.",
    "web_discover": ["Why does the hat fall off?"],
    "web_ideas": ["How could we keep it on?"],
    "web_make": ["Which hat stays on best?"],
    "web_show": ["Who else could use our hats?"],
}
UNIT_ACTIVITY_EN = [
    ("Teddy's trouble", "Children look at Teddy's hat, say why it falls and think of ideas to make it stay."),
    ("Hat ideas", "Children draw ideas for a hat, then make one and try it on Teddy."),
    ("Hat workshop", "Children make hats from paper and yarn, try them and change them."),
    ("Windy test", "Children try their hats outdoors and show friends which idea works."),
    ("Hat helpers", "Children share their hats and use them to help friends dress up."),
]
UNIT_WEEK_EN = {
    "week_focus": "Notice the trouble and think of many ideas.",
    "activities": [{"title": title, "children_do": line} for title, line in UNIT_ACTIVITY_EN],
}
UNIT_CLOSING_EN = {
    "environment": "A problem wall grows with the children's questions, drawings of ideas and photos of hats.",
    "family": "At home, children show a parent how their hat stays on and try it with a scarf.",
    "evaluation": "The teacher notes the children's ideas and keeps photos of their hats in their portfolios.",
}


@pytest.fixture
def english_unit_request():
    return ThemeUnitRequest(
        class_name="Middle Class 2",
        age_band="中班",
        theme="Teddy's hat",
        problem="Teddy's hat keeps falling off",
        weeks=2,
        teacher="Ms Wang",
        start_date="7 December 2026",
        materials=["paper", "yarn", "candles"],
        language="en",
    )


def unit_answers() -> dict[frozenset[str], dict]:
    return {
        frozenset(UNIT_OVERVIEW_EN): UNIT_OVERVIEW_EN,
        frozenset(UNIT_WEEK_EN): UNIT_WEEK_EN,
        frozenset(UNIT_CLOSING_EN): UNIT_CLOSING_EN,
    }


def write_unit(request, backend=None):
    backend = backend or ScriptedBackend(respond=english_answer(unit_answers()))
    return write(resource_type("theme_unit"), request, backend=backend).plan


def test_an_english_unit_is_written_from_english_prompts(english_unit_request):
    backend = ScriptedBackend(respond=english_answer(unit_answers()))
    write_unit(english_unit_request, backend)
    sent = prompts_sent(backend)
    assert "[Theme unit request]" in sent and "Whole-class activity (Find the trouble" in sent
    assert "week 1: Find the trouble, Think of ideas" in sent and "Week 1: Teddy's trouble" in sent
    assert cjk_in(sent) == []


def test_what_code_writes_into_an_english_unit_is_english(english_unit_request):
    unit = write_unit(english_unit_request)
    assert unit.language == "en"
    assert [week.dates for week in unit.weeks] == ["7–11 December", "14–18 December"]
    assert unit.materials == ["paper", "yarn"]
    assert len(unit.warnings) == 1 and "candles" in unit.warnings[0]
    assert all(cjk_in(text) == [] for text in unit.warnings), unit.warnings
    assert {activity.stage for activity in unit.activities()} <= {"发现烦恼", "想办法", "做出来", "展示/用起来"}


def test_an_english_week_that_misses_its_stage_is_flagged_and_one_that_follows_it_passes(english_unit_request):
    unit = write_unit(english_unit_request)
    scaffold = build_unit_scaffold(english_unit_request)
    assert check_unit(unit, scaffold) == []
    quiet = [
        activity.model_copy(update={"children_do": "Children sit and listen to a song."})
        for activity in unit.weeks[1].activities
    ]
    missed = unit.model_copy(update={"weeks": [unit.weeks[0], unit.weeks[1].model_copy(update={"activities": quiet})]})
    assert {defect.field for defect in check_unit(missed, scaffold) if defect.kind == "stage_mismatch"} == {
        "做出来",
        "展示/用起来",
    }


def test_english_drills_and_banned_materials_are_flagged_and_repaired_in_english(english_unit_request):
    unit = write_unit(english_unit_request)
    scaffold = build_unit_scaffold(english_unit_request)
    first = unit.weeks[0].activities[0]
    bad = first.model_copy(update={"children_do": "Children finish a tracing worksheet, then light candles for Teddy."})
    broken = with_activity(unit, bad)
    assert {"schoolification", "unsafe_material"} <= {defect.kind for defect in check_unit(broken, scaffold)}
    repaired, report = validate_unit(broken, scaffold)
    line = unit_activity(repaired, first.key).children_do
    assert report.after == []
    assert "worksheet" not in line.lower() and "tracing" not in line.lower()
    assert "LED electronic candles" in line and cjk_in(line) == []


def test_an_english_week_left_empty_gets_english_lines_by_code(english_unit_request):
    unit = write_unit(english_unit_request)
    scaffold = build_unit_scaffold(english_unit_request)
    empty = [activity.model_copy(update={"title": "", "children_do": ""}) for activity in unit.weeks[1].activities]
    broken = unit.model_copy(update={"weeks": [unit.weeks[0], unit.weeks[1].model_copy(update={"activities": empty})]})
    fixes: list[str] = []

    def unchanged(current, number, fix):
        fixes.append(fix)
        return current

    repaired, report = validate_unit(broken, scaffold, unchanged)
    assert report.after == []
    texts = [text for activity in repaired.weeks[1].activities for text in (activity.title, activity.children_do)]
    assert all(cjk_in(text) == [] for text in texts + fixes), texts + fixes
    assert fixes and fixes[0].startswith("[MUST FIX]")


def test_an_english_units_collective_activity_expands_into_an_english_lesson(english_unit_request):
    unit = write_unit(english_unit_request)
    request = lesson_request_for(unit, "w1-a1")
    assert request.language == "en" and cjk_in(request.notes) == []


def test_the_english_units_word_file_has_english_labels(english_unit_request):
    unit = write_unit(english_unit_request)
    text = docx_text(unit_docx(unit))
    for label in (
        "Theme unit",
        "The real problem:",
        "1. Where the theme comes from",
        "Science:",
        "Find the trouble → Think of ideas",
        "Week 1 (7–11 December)",
        "This week's focus:",
        "Whole-class activity",
        "What the children do",
        "min",
    ):
        assert label in text, label
    assert cjk_in(text) == []


# --- the forms carry the document's language ------------------------------------------------------


@pytest.fixture
def signed_in_page(tmp_path, monkeypatch, fake_backend):
    import studio_ui

    monkeypatch.setenv("LESSON_STUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LESSON_STUDIO_BACKEND", "fake")
    monkeypatch.setenv("LESSON_STUDIO_STARTER_LIBRARY", "0")
    studio_ui.get_studio.clear()
    studio_ui._starter_library_ready.clear()
    studio = studio_ui.get_studio()
    teacher = studio.store.ensure_user("wang", display_name="王老师")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    sign_in_session(at, teacher)
    at.run()
    return at, studio, teacher


def run_until(at, predicate, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception, at.exception
        if predicate(at):
            return
        time.sleep(0.2)
    raise AssertionError("page never reached the expected state")


def test_the_letter_form_asks_for_an_english_letter(signed_in_page):
    at, studio, teacher = signed_in_page
    at.switch_page("pages/parent_letter.py").run()
    at.text_input(key="letter_class_name").input("Middle Class 2")
    at.text_input(key="letter_topic").input("make a hat that stays on Teddy's head")
    at.text_input(key="letter_collect").input("old newspapers, batteries")
    at.radio(key="letter_language").set_value("en")
    next(button for button in at.button if button.label == "生成家长信").click().run()
    run_until(at, lambda at: bool(studio.documents(teacher, "parent_letter")) and any(s.value for s in at.success))
    (draft,) = studio.documents(teacher, "parent_letter")
    _version, _kind, letter = studio.open_document(teacher, draft.head_version_id)
    assert letter.language == "en" and letter.salutation == "Dear families,"
    assert [item.name for item in letter.collection] == ["old newspapers"]


@pytest.mark.parametrize(
    ("page", "key"), [("pages/area_plan.py", "area_language"), ("pages/theme_unit.py", "unit_language")]
)
def test_the_area_and_unit_forms_offer_the_documents_language(signed_in_page, page, key):
    at, _studio, _teacher = signed_in_page
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert at.radio(key=key).options == ["中文", "English"] and at.radio(key=key).value == "zh"
