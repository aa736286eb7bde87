"""The Markdown export: the 教案 sections as text, with a table that survives any cell content."""

from __future__ import annotations

import html
import re

import pytest
from sample_plans import sample_plan

from lesson_studio.export import plan_to_markdown
from lesson_studio.models import LessonPlan


def section(markdown: str, heading_suffix: str) -> list[str]:
    """The non-blank lines between the '## ' heading ending with heading_suffix and the next one."""
    match = re.search(rf"^## .*{heading_suffix}\n(.*?)(?=^## |\Z)", markdown, flags=re.MULTILINE | re.DOTALL)
    assert match, f"no section {heading_suffix}"
    return [line for line in match.group(1).splitlines() if line.strip()]


def table_rows(lines: list[str]) -> list[list[str]]:
    """Cells of each table row, splitting on pipes that are not escaped."""
    rows = [line for line in lines if line.startswith("|") and not line.startswith("|---")]
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows]


def process_rows(plan: LessonPlan) -> list[list[str]]:
    return table_rows(section(plan_to_markdown(plan), "活动过程"))


def test_title_is_the_top_heading():
    assert plan_to_markdown(sample_plan()).startswith("# 大班科学：给小鸭搭座桥\n")


def test_overview_table_gives_age_band_domain_and_minutes():
    overview = table_rows(plan_to_markdown(sample_plan()).split("## ")[0].splitlines())
    assert overview == [["活动名称", "年龄段", "领域", "时长"], ["大班科学：给小鸭搭座桥", "大班", "科学", "30分钟"]]


def test_headings_are_numbered_in_chinese():
    assert re.findall(r"^## (.+)$", plan_to_markdown(sample_plan()), flags=re.MULTILINE) == [
        "一、设计意图",
        "二、活动目标",
        "三、活动重点与难点",
        "四、活动准备",
        "五、活动过程",
        "六、安全提示",
        "七、观察要点",
        "八、活动延伸",
        "九、参考资料",
    ]


def test_objectives_are_a_numbered_list_tagged_by_dimension():
    objectives = section(plan_to_markdown(sample_plan()), "活动目标")
    assert [line[:7] for line in objectives] == ["1. 【认知】", "2. 【能力】", "3. 【情感】"]


def test_key_and_difficult_points_are_labelled():
    lines = section(plan_to_markdown(sample_plan()), "活动重点与难点")
    assert lines[0].startswith("**活动重点：**用多种材料")
    assert lines[1].startswith("**活动难点：**桥塌了以后")


def test_preparation_splits_experience_and_materials_with_quantities():
    lines = section(plan_to_markdown(sample_plan()), "活动准备")
    assert lines[0] == "- **经验准备：**幼儿在散步时观察过小区里的桥；玩过积木的搭高游戏"
    assert lines[1] == "- **物质准备：**"
    assert lines[2] == "  - 教师：情境图片PPT（1份）、小鸭玩偶（每组1只）"
    assert "投票贴纸（每人3张）" in lines[3]


def test_process_table_has_one_row_per_step():
    rows = process_rows(sample_plan())
    assert rows[0] == ["环节", "时间", "教师指导", "幼儿活动", "设计意图"]
    assert len(rows) == 1 + len(sample_plan().steps)


def test_stage_cell_shows_phase_cps_stage_and_title():
    assert process_rows(sample_plan())[1][:2] == ["导入·发现问题<br>小鸭过不去了", "4分钟"]


def test_teacher_cell_starts_with_shi_and_lists_key_questions():
    teacher = process_rows(sample_plan())[1][2].split("<br>")
    assert teacher[0].startswith("师：出示小鸭")
    assert teacher[1:] == ["关键提问：", "· 你看到了什么？", "· 小鸭遇到了什么麻烦？", "· 我们怎样才能帮小鸭过去？"]


def test_pipes_in_cells_are_escaped():
    plan = sample_plan()
    plan.steps[0] = plan.steps[0].model_copy(update={"children": "幼：选A|B", "intent": "a|b|c"})
    row = process_rows(plan)[1]
    assert len(row) == 5
    assert row[3:] == ["幼：选A\\|B", "a\\|b\\|c"]


def test_newlines_in_cells_become_line_breaks():
    plan = sample_plan()
    plan.steps[0] = plan.steps[0].model_copy(update={"children": "幼：看图。\n说出问题。"})
    assert process_rows(plan)[1][3] == "幼：看图。<br>说出问题。"


def test_safety_notes_are_a_quoted_list():
    assert section(plan_to_markdown(sample_plan()), "安全提示") == [
        "> - 【注意】安全剪刀：使用圆头安全剪刀，剪刀不离桌面，传递时握住刀身、刀柄朝向对方。",
        "> - 【注意】浅水盆：水盆放在铺了防滑垫的桌上，水洒出及时擦干，防止滑倒。",
    ]


def test_extension_names_area_and_home_task():
    lines = section(plan_to_markdown(sample_plan()), "活动延伸")
    assert lines[0].startswith("- **区域活动：**科学区")
    assert lines[1].startswith("- **家园共育：**请家长")


def test_citations_are_listed_with_document_heading_and_page():
    assert section(plan_to_markdown(sample_plan()), "参考资料") == [
        "\\[1\\] 《3-6岁儿童学习与发展指南》，科学领域 · 科学探究 目标2，第28页  ",
        "\\[2\\] 《幼儿版CPS活动设计指引》，第四步 试一试、改一改，第9页  ",
    ]


def test_warnings_appear_as_a_hint():
    plan = sample_plan().model_copy(update={"warnings": ["总时长已调整为30分钟"]})
    assert plan_to_markdown(plan).rstrip().endswith("> **提示：**总时长已调整为30分钟")


def test_no_hint_without_warnings():
    assert "提示：**" not in plan_to_markdown(sample_plan())


def test_control_characters_and_unsafe_links_are_removed():
    plan = sample_plan().model_copy(update={"key_point": "稳\x07定 javascript:alert(1) 见 https://x.org/a"})
    lines = section(plan_to_markdown(plan), "活动重点与难点")
    assert lines[0] == "**活动重点：**稳定  见 https://x.org/a  "


# --- Plan text is text, never markup ---------------------------------------------------------------

MARKUP = [
    # (what the model wrote, what a reader sees after cleaning: non-http links are dropped everywhere)
    ("<img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>"),
    ("<script>alert(1)</script>", "<script>alert(1)</script>"),
    ("![x](http://host/p.png?q=secret)", "![x](http://host/p.png?q=secret)"),
    ("[click](javascript:alert(1))", "[click]()"),
    ("<https://host/track>", "<https://host/track>"),
    ("\\<img src=x onerror=alert(1)>", "\\<img src=x onerror=alert(1)>"),
    ("&lt;script&gt;", "&lt;script&gt;"),
    ("`<br>`", "`<br>`"),
]


def plan_saying(text: str) -> LessonPlan:
    """The text in a heading, a paragraph, a labelled line and a table cell."""
    plan = sample_plan()
    plan.steps[0] = plan.steps[0].model_copy(update={"intent": text})
    return plan.model_copy(update={"title": text, "design_intent": text, "key_point": text})


def rendered(markdown: str) -> str:
    markdown_it = pytest.importorskip("markdown_it")
    return markdown_it.MarkdownIt("commonmark").enable("table").render(markdown)


@pytest.mark.parametrize("text", [text for text, _shown in MARKUP])
def test_html_links_and_images_in_plan_text_are_escaped(text):
    markdown = plan_to_markdown(plan_saying(text))
    for raw in ("<img", "<script", "![x](", "[click](", "<https:"):
        assert not re.search(rf"(?<!\\){re.escape(raw)}", markdown), raw


@pytest.mark.parametrize(("text", "shown"), MARKUP)
def test_escaped_plan_text_renders_inert_and_reads_as_typed(text, shown):
    page = rendered(plan_to_markdown(plan_saying(text)))
    assert not re.search(r"<(img|script|a)\b", page)
    words = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert words.count(shown) == 5  # heading, overview table, design intent, 活动重点, process table


def test_plain_web_addresses_stay_as_text():
    markdown = plan_to_markdown(plan_saying("见 https://moe.gov.cn/jyb_xxgk/ 了解"))
    assert "**活动重点：**见 https://moe.gov.cn/jyb_xxgk/ 了解" in markdown
