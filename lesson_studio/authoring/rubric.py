"""The 15-point quality rubric of DOMAIN.md §4, as program checks in teacher language.

Each criterion is one function returning pass / fail / skip with a reason and a fix suggestion.
A plan passes when no ★ criterion fails and at least 11 of the 15 pass. "skip" is used only where
the check cannot be made (e.g. no 《指南》 catalogue imported) and then says so — it never counts
as a pass.

The content checks (authoring.content_checks) are sub-checks of the criteria they belong to, so
一键修正 rewrites exactly the sections they name: cut or mislabelled lines, copied writing
instructions and non-Chinese values fail 1 结构完整; an ability objective that does not name the
activity fails 2 (a design intent that does not, or two steps, 15); the children's line copying the teacher's fails 8; the teacher's materials missing
or outnumbered and children handling a dangerous material in any step fail 10; words from a sample
plan about another activity fail 15, which is starred here (DOMAIN.md leaves it unstarred): the
rubric gave 15/15 to a ping-pong plan about hats, a plan no teacher could use (issue 10).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel

from lesson_studio.authoring import english
from lesson_studio.authoring.content_checks import Defect, Passage, check_plan, facts_for
from lesson_studio.authoring.scaffold import (
    BAND_RULES,
    CHALLENGE_WORDS,
    SCHOOLIFICATION_WORDS,
    SUPPORT_WORDS,
    Hazard,
    load_hazards,
)
from lesson_studio.models import LessonPlan, LessonRequest

Status = Literal["pass", "fail", "skip"]
PASS_THRESHOLD = 11


class CriterionResult(BaseModel):
    number: int
    key: str
    name: str
    starred: bool
    status: Status
    message: str
    suggestion: str = ""
    # The plan sections the failure is in ("step:2", "preparation"), when the check knows them:
    # 一键修正 then rewrites only those.
    sections: list[str] = []


class RubricReport(BaseModel):
    results: list[CriterionResult]

    @property
    def passed_count(self) -> int:
        return sum(result.status == "pass" for result in self.results)

    @property
    def failed(self) -> list[CriterionResult]:
        return [result for result in self.results if result.status == "fail"]

    @property
    def passed(self) -> bool:
        starred_fail = any(r.starred and r.status == "fail" for r in self.results)
        return not starred_fail and self.passed_count >= PASS_THRESHOLD


@dataclass
class RubricContext:
    """What the checks may know besides the plan itself."""

    request: LessonRequest | None = None
    # Band -> the 《指南》 lines of that band, verbatim; None when no catalogue has been imported.
    catalogue_lines: dict[str, set[str]] | None = None
    hazards: tuple[Hazard, ...] = field(default_factory=load_hazards)
    # The passages the plan was written from, as the model read them; None: its citations' excerpts.
    passages: list[Passage] | None = None
    defects: list[Defect] | None = None  # the content checks' findings, filled by evaluate()


Check = Callable[[LessonPlan, RubricContext], tuple]  # (status, message, suggestion[, sections])
CRITERIA: list[tuple[int, str, str, bool, Check]] = []


def criterion(number: int, key: str, name: str, *, starred: bool = False) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        CRITERIA.append((number, key, name, starred, check))
        return check

    return register


def evaluate(plan: LessonPlan, context: RubricContext | None = None) -> RubricReport:
    context = context or RubricContext()
    context.defects = check_plan(plan, facts_for(plan, context.request, context.passages))
    results = []
    for number, key, name, starred, check in sorted(CRITERIA, key=lambda row: row[0]):
        status, message, suggestion, *sections = check(plan, context)
        results.append(
            CriterionResult(
                number=number,
                key=key,
                name=name,
                starred=starred,
                status=status,
                message=message,
                suggestion=suggestion,
                sections=sections[0] if sections else [],
            )
        )
    return RubricReport(results=results)


def _content(context: RubricContext, *kinds: str) -> list[Defect]:
    """The content checks' defects of these kinds (found once per evaluation)."""
    return [d for d in context.defects or [] if d.kind in kinds]


def _content_fail(defects: list[Defect], suggestion: str) -> tuple[Status, str, str, list[str]]:
    shown = "；".join(d.message for d in defects[:2]) + (f"（另有{len(defects) - 2}处）" if len(defects) > 2 else "")
    return "fail", shown, suggestion, list(dict.fromkeys(d.section for d in defects))


# --- text helpers -------------------------------------------------------------------------------


def _all_text(plan: LessonPlan) -> str:
    parts: list[str] = [plan.title, plan.design_intent, plan.key_point, plan.difficult_point]
    parts += [o.text for o in plan.objectives] + plan.preparation.experience
    parts += [m.name for m in plan.preparation.materials]
    for step in plan.steps:
        parts += [step.title, step.teacher, step.children, step.intent, *step.key_questions]
    parts += [plan.extension.area, plan.extension.home, *plan.observation_points]
    return "\n".join(parts)


def _step_text(plan: LessonPlan) -> str:
    return "\n".join(f"{s.teacher}\n{s.children}\n{' '.join(s.key_questions)}" for s in plan.steps)


def _found(words: Iterable[str], text: str) -> list[str]:
    lowered = text.lower()  # English word lists are lower-case; Chinese text is unchanged by lower()
    return [word for word in words if word in lowered]


def _for(plan: LessonPlan, chinese: tuple[str, ...], in_english: tuple[str, ...]) -> tuple[str, ...]:
    """The word list for the plan's language (an English plan is looked at with English words)."""
    return in_english if english.is_english(plan.language) else chinese


def _ok(message: str) -> tuple[Status, str, str]:
    return "pass", message, ""


def _fail(message: str, suggestion: str, sections: list[str] | None = None) -> tuple:
    return ("fail", message, suggestion) + ((sections,) if sections else ())


# --- the 15 criteria ----------------------------------------------------------------------------


@criterion(1, "structure", "结构完整", starred=True)
def structure_complete(plan: LessonPlan, context: RubricContext) -> tuple[Status, str, str]:
    missing = []
    for label, present in [
        ("活动名称", plan.title.strip()),
        ("设计意图", plan.design_intent.strip()),
        ("活动目标", plan.objectives),
        ("活动重点", plan.key_point.strip()),
        ("活动难点", plan.difficult_point.strip()),
        ("经验准备", plan.preparation.experience),
        ("物质准备", plan.preparation.materials),
        ("活动延伸·区域", plan.extension.area.strip()),
        ("活动延伸·家园", plan.extension.home.strip()),
        ("安全提示", plan.safety_notes),
        ("观察要点", plan.observation_points),
    ]:
        if not present:
            missing.append(label)
    phases = {step.phase for step in plan.steps}
    missing += [f"活动过程·{phase}" for phase in ("导入", "展开", "结束") if phase not in phases]
    if missing:
        return _fail(f"缺少：{'、'.join(missing)}。", "补齐缺少的部分：可对相应部分点击\u201c重新生成\u201d。")
    flawed = _content(context, "cut_off", "doubled_label", "not_chinese", "parroted")
    if flawed:
        return _content_fail(
            flawed, "把没写完的句子写完整，去掉重复的标签、外文和照抄的写作要求：可点\u201c一键修正\u201d。"
        )
    return _ok("教案各部分齐全。")


OBSERVABLE_VERBS = ("说出", "找出", "尝试", "能用", "能", "做出", "摆", "搭", "画", "表达", "设计", "选出", "试")
VAGUE_OBJECTIVE = re.compile(r"(培养|提高|发展)[^，。；]{0,12}(能力|素质|意识|思维)$")


@criterion(2, "objectives", "三维目标", starred=True)
def three_dimension_objectives(plan: LessonPlan, context: RubricContext) -> tuple[Status, str, str]:
    problems = []
    dimensions = [o.dimension for o in plan.objectives]
    if not 3 <= len(plan.objectives) <= 4:
        problems.append(f"目标有{len(plan.objectives)}条（应为3条，最多4条）")
    if not {"认知", "能力", "情感"} <= set(dimensions):
        problems.append("认知、能力、情感三个维度不全")
    limit = english.OBJECTIVE_CHARS if english.is_english(plan.language) else 40
    long = [o.text for o in plan.objectives if len(o.text) > limit]
    if long:
        problems.append(f"有{len(long)}条目标超过40字")
    ability = [o.text for o in plan.objectives if o.dimension == "能力"]
    verbs = _for(plan, OBSERVABLE_VERBS, english.OBSERVABLE_VERBS)
    if ability and not any(verb in text.lower() for text in ability for verb in verbs):
        problems.append("能力目标没有可观察的动词（如说出、找出、尝试用……做）")
    vague = [o.text for o in plan.objectives if VAGUE_OBJECTIVE.search(o.text.rstrip("。"))]
    if vague:
        problems.append(f"目标表述笼统：\u201c{vague[0]}\u201d")
    if problems:
        return _fail(
            "；".join(problems) + "。", "把目标写成幼儿能做到、老师看得见的行为，例如\u201c能尝试用两种方法……\u201d。"
        )
    off_topic = [
        d for d in _content(context, "off_topic", "borrowed", "repeated_objective") if d.field.startswith("objective")
    ]
    if off_topic:
        return _content_fail(off_topic, "目标写本活动的内容（问题和材料），不要照搬别的活动的目标。")
    return _ok("三条目标维度齐全、具体可观察。")


@criterion(3, "guideline", "《指南》对应准确", starred=True)
def guideline_alignment(plan: LessonPlan, context: RubricContext) -> tuple[Status, str, str]:
    if context.catalogue_lines is None:
        return (
            "skip",
            "资源库还没有导入《指南》目录，无法核对对应条目（未计为通过）。",
            "请教研组长在资源库导入《3-6岁儿童学习与发展指南》。",
        )
    if not plan.guideline_lines:
        return _fail("教案没有列出《指南》对应条目。", "从本年龄段的《指南》典型表现中选1～3条原句。")
    if len(plan.guideline_lines) > 3:
        return _fail(f"列出了{len(plan.guideline_lines)}条《指南》条目（应为1～3条）。", "只保留与目标最相关的1～3条。")
    # A 混龄 group spans the bands: a verbatim line of any of them is right for it.
    band_lines = (
        set().union(*context.catalogue_lines.values())
        if plan.age_band == "混龄"
        else context.catalogue_lines.get(plan.age_band, set())
    )
    wrong = [line for line in plan.guideline_lines if _quoted_sentence(line) not in band_lines]
    if "数学领域" in "".join(plan.guideline_lines):
        return _fail(
            "出现了\u201c数学领域\u201d：《指南》中数学认知属于科学领域。",
            "改为\u201c科学 （二）数学认知\u201d下的条目。",
        )
    if wrong:
        return _fail(
            f"条目不是本年龄段（{plan.age_band}）《指南》原句：\u201c{wrong[0][:40]}\u201d。",
            "从本年龄段的典型表现中原样选句，不要改写，不要混用其他年龄段。",
        )
    return _ok(f"{len(plan.guideline_lines)}条《指南》条目均为本年龄段原句。")


def _quoted_sentence(line: str) -> str:
    """'科学 （一）科学探究 目标2：原句' -> '原句' (the part after the last colon)."""
    return re.split(r"[：:]", line, maxsplit=1)[-1].strip() if re.search(r"[：:]", line) else line.strip()


@criterion(4, "time", "时间合理", starred=True)
def time_fits(plan: LessonPlan, context: RubricContext) -> tuple[Status, str, str]:
    if not plan.steps or any(step.minutes <= 0 for step in plan.steps):
        return _fail("有环节没有标注时间。", "为每个环节标注分钟数。")
    total = sum(step.minutes for step in plan.steps)
    requested = context.request.minutes if context.request else plan.minutes
    problems = []
    if abs(total - requested) > 0.1 * requested:
        problems.append(f"各环节合计{total}分钟，与设定的{requested}分钟相差超过10%")
    cap = BAND_RULES[plan.age_band].cap_max
    if total > cap and not any("分钟" in warning for warning in plan.warnings):
        problems.append(f"合计{total}分钟超过{plan.age_band}的{cap}分钟上限，且没有说明")
    opening = sum(step.minutes for step in plan.steps if step.phase == "导入")
    if opening > 0.2 * total:
        problems.append(f"导入用了{opening}分钟，超过总时长的20%")
    if problems:
        return _fail("；".join(problems) + "。", "调整各环节时间，把时间留给幼儿动手和交流。")
    return _ok(f"各环节合计{total}分钟，导入{opening}分钟。")


@criterion(5, "cps_steps", "CPS环节完整有序", starred=True)
def cps_steps(plan: LessonPlan, context: RubricContext) -> tuple[Status, str, str]:
    stages = [step.cps_stage for step in plan.steps]
    needed = (
        ["想办法", "试一试改一改"]
        if plan.age_band == "小班"
        else ["发现问题", "想办法", "选办法", "试一试改一改", "分享"]
    )
    missing = [stage for stage in needed if stage not in stages]
    if missing:
        return _fail(
            f"缺少CPS环节：{'、'.join(missing)}。", "按\u201c发现问题→想办法→选办法→试一试改一改→分享\u201d补齐环节。"
        )
    if stages.index("试一试改一改") < stages.index("想办法"):
        return _fail("\u201c试一试\u201d出现在\u201c想办法\u201d之前。", "先让幼儿想办法，再动手试。")
    return _ok("CPS环节齐全，先想后试。")


DEMONSTRATION = re.compile(r"(示范|演示)[^。；]{0,10}(正确|方法|做法|步骤|怎么做)|教师示范")
HANDING_OUT = ("发材料", "分发材料", "出示材料并分发", "每人一份材料", "先发")


@criterion(6, "divergence", "保护发散思维")
def divergence_protected(plan: LessonPlan, context: RubricContext) -> tuple[Status, str, str]:
    stages = [step.cps_stage for step in plan.steps]
    if "想办法" not in stages:
        return _fail("没有想办法环节，无法保护发散。", "加入想办法环节，并先说清想办法的约定。")
    ideas_index = stages.index("想办法")
    before_ideas = " ".join(step.teacher for step in plan.steps[: ideas_index + 1])
    rules_said = ('不说"不行"', "不说\u201c不行\u201d", "不说不行", "越多越好", "奇怪的点子")
    if not _found(_for(plan, rules_said, ("that won't work", "the more ideas", "funny ideas")), before_ideas):
        return _fail(
            "想点子之前没有用儿童语言说明约定（不说\u201c不行\u201d、越多越好）。",
            "在想办法开始时加一句约定，例如\u201c想点子时不说\u2018不行\u2019，点子越多越好\u201d。",
        )
    first_try = stages.index("试一试改一改") if "试一试改一改" in stages else len(stages)
    for step in plan.steps[:first_try]:
        if DEMONSTRATION.search(step.teacher):
            return _fail(
                f"\u201c{step.title}\u201d中教师在幼儿尝试之前示范了做法。", "不示范\u201c正确答案\u201d，让幼儿先试。"
            )
    for step in plan.steps[:ideas_index]:
        if _found(_for(plan, HANDING_OUT, english.HANDING_OUT), step.teacher):
            return _fail("在提出问题之前就分发了材料。", "材料在点子说完之后（或想办法时）再发。")
    return _ok("先说约定再想点子，没有提前示范答案。")


OPEN_MARKERS = ("怎样", "怎么", "如果", "还有", "为什么", "有什么不同", "哪些", "什么办法", "什么", "哪里", "谁")
CLOSED_ENDINGS = re.compile(r"(吗|对不对|是不是|好不好|行不行|能不能)[？?]?$")
# An English yes/no question starts with its auxiliary ("Can you …?", "Is it …?").
CLOSED_ENGLISH = re.compile(
    r"^(is|are|was|were|do|does|did|can|could|will|would|should|shall|have|has|may)\b", re.IGNORECASE
)


def _closed(question: str) -> bool:
    question = question.strip()
    return bool(CLOSED_ENDINGS.search(question) or CLOSED_ENGLISH.match(question))


FLUENCY = ("还有", "别的办法", "其他办法", "还能")
ORIGINALITY = ("不一样", "不同", "更", "改", "如果", "变")


@criterion(7, "questions", "开放性提问")
def open_questions(plan: LessonPlan, context: RubricContext) -> tuple[Status, str, str]:
    questions = [q for step in plan.steps for q in step.key_questions]
    problems = []
    if len(questions) < 5:
        problems.append(f"关键提问只有{len(questions)}个（至少5个）")
    open_count = sum(
        1 for q in questions if _found(_for(plan, OPEN_MARKERS, english.OPEN_MARKERS), q) and not _closed(q)
    )
    if questions and open_count / len(questions) < 0.6:
        problems.append(f"开放性提问占{open_count}/{len(questions)}，不足60%")
    expanding_closed = [q for step in plan.steps if step.phase == "展开" for q in step.key_questions if _closed(q)]
    if len(expanding_closed) > 1:
        problems.append(f"展开部分有{len(expanding_closed)}个是非题")
    all_questions = " ".join(questions) + " " + _step_text(plan)
    if not _found(_for(plan, FLUENCY, english.FLUENCY), all_questions):
        problems.append("缺少\u201c还有别的办法吗？\u201d这类追问")
    if not _found(_for(plan, ORIGINALITY, english.ORIGINALITY), " ".join(questions)):
        problems.append("缺少引导与众不同或改进的提问")
    if problems:
        return _fail("；".join(problems) + "。", "多用\u201c怎样……？还有呢？如果……会怎样？和别人的有什么不同？\u201d。")
    return _ok(f"{len(questions)}个关键提问，开放性{open_count}个。")


CHILD_WORK_STAGES = {"想办法", "选办法", "试一试改一改"}
CHOICE_WORDS = ("选", "自选", "自己决定", "挑", "自由结伴", "自己找")


@criterion(8, "agency", "幼儿主体")
def child_agency(plan: LessonPlan, context: RubricContext) -> tuple[Status, str, str]:
    silent = [step.title for step in plan.steps if len(step.children.strip()) < 4]
    if silent:
        return _fail(f"\u201c{silent[0]}\u201d没有写幼儿做什么。", "为每个环节写出幼儿的操作或可能的回答。")
    middle = [step for step in plan.steps if step.phase == "展开"]
    middle_minutes = sum(step.minutes for step in middle)
    hands_on = sum(step.minutes for step in middle if step.cps_stage in CHILD_WORK_STAGES)
    if middle_minutes and hands_on / middle_minutes < 0.5:
        return _fail("展开部分幼儿动手、交流的时间不到一半。", "压缩教师讲解，把时间留给幼儿操作和同伴交流。")
    copied = _content(context, "children_copy")
    if copied:
        return _content_fail(copied, "幼儿一栏写幼儿自己做什么、可能怎么说。")
    if not _found(_for(plan, CHOICE_WORDS, english.CHOICE_WORDS), _step_text(plan)):
        return _fail("幼儿没有自己选择的机会（材料、同伴或办法）。", "让幼儿自己选材料、选同伴或选办法。")
    return _ok("每个环节都有幼儿活动，幼儿有选择的机会。")


BAND_BANNED_WORDS: dict[str, tuple[str, ...]] = {
    "小班": ("记录表", "记录单", "统计", "图表", "预测", "猜想记录", "分组比赛", "分成小组", "量杯", "刻度", "曲线剪"),
    "中班": ("写字", "写下", "写出", "抄写"),
    "大班": ("作业", "抄写"),
    "混龄": ("写字", "抄写"),
}


@criterion(9, "age", "适合年龄", starred=True)
def age_appropriate(plan: LessonPlan, context: RubricContext) -> tuple[Status, str, str]:
    found = _found(
        _for(plan, BAND_BANNED_WORDS[plan.age_band], english.BAND_BANNED_WORDS[plan.age_band]), _all_text(plan)
    )
    if found:
        return _fail(
            f"{plan.age_band}不宜出现：{'、'.join(found)}。",
            "换成符合年龄的做法：小班用动作和实物表达，中班用图画记录。",
        )
    return _ok(f"没有发现不适合{plan.age_band}的要求。")


@criterion(10, "materials", "材料与安全", starred=True)
def materials_and_safety(plan: LessonPlan, context: RubricContext) -> tuple[Status, str, str]:
    no_quantity = [
        m.name
        for m in plan.preparation.materials
        if not re.search(r"[0-9一二两三四五六七八九十若干每套份]", m.quantity)
    ]
    if no_quantity:
        return _fail(
            f"材料\u201c{no_quantity[0]}\u201d没有写数量。",
            "写明每人或每组的数量，如\u201c每人1张\u201d\u201c每组1盒\u201d。",
        )
    unsafe = _content(context, "unsafe")
    if unsafe:
        return _content_fail(unsafe, "危险材料只由教师操作，幼儿在安全距离外观看、出主意：可点\u201c一键修正\u201d。")
    missing = _content(context, "material_missing")
    if missing:
        return _content_fail(missing, "把教师列出的每一样材料写进物质准备，并写明数量。")
    extra = [
        m.name
        for m in plan.preparation.materials
        if any(d.words == (m.name,) for d in _content(context, "material_unlisted"))
    ]
    if extra:
        return _fail(
            f"用了教师没有列出的材料：{'、'.join(extra)}。", "只用现有材料，或在备注中补充材料。", ["preparation"]
        )  # type: ignore[return-value]
    names = " ".join(m.name for m in plan.preparation.materials)
    noted_ids = {note.hazard_id for note in plan.safety_notes}
    noted_words = [word for note in plan.safety_notes for word in note.material.split("、")]
    for hazard in context.hazards:
        keywords = _for(plan, hazard.keywords, hazard.keywords) + (
            hazard.keywords_en if english.is_english(plan.language) else ()
        )
        words = _found(keywords, names) if plan.age_band in hazard.bands else []
        # A note counts when it comes from the same hazard row or names the same material.
        covered = hazard.id in noted_ids or any(n in w or w in n for w in words for n in noted_words)
        if words and not covered:
            return _fail(
                f"材料中有\u201c{words[0]}\u201d，但没有对应的安全提示。", "保留系统生成的安全提示（教师不能删除）。"
            )
    if plan.age_band == "小班" and not any("误食" in note.note for note in plan.safety_notes):
        return _fail("小班教案没有提到防误食。", "加上防误食的安全提示。")
    return _ok("材料有数量，风险材料都有安全提示。")


@criterion(11, "differentiation", "分层支持")
def differentiation(plan: LessonPlan, context: RubricContext) -> tuple[Status, str, str]:
    text = _all_text(plan)
    support = _found(_for(plan, SUPPORT_WORDS, english.SUPPORT_WORDS), text)
    challenge = _found(_for(plan, CHALLENGE_WORDS, english.CHALLENGE_WORDS), text)
    if not support or not challenge:
        lacking = "对有困难幼儿的支持" if not support else "给提前完成幼儿的挑战"
        return _fail(f"缺少{lacking}。", "加一条支持（提示卡/半成品/同伴帮助）和一条挑战（给提前完成的孩子）。")
    return _ok("有支持也有挑战。")


RANKING = ("打分", "评分", "排名", "名次", "谁最聪明", "测一测谁", "比一比谁最", "得分")


@criterion(12, "observation", "观察不测试")
def observation_not_testing(plan: LessonPlan, context: RubricContext) -> tuple[Status, str, str]:
    if not plan.observation_points:
        return _fail("没有观察要点。", "写2～4条与目标对应的观察要点（点子数量、与众不同、坚持尝试）。")
    found = _found(_for(plan, RANKING, english.RANKING), _all_text(plan))
    if found:
        return _fail(f"出现了给幼儿打分或排名的内容：{'、'.join(found)}。", "观察幼儿的表现，不打分、不排名。")
    return _ok("观察要点不打分、不排名。")


@criterion(13, "extension", "延伸具体")
def extension_concrete(plan: LessonPlan, context: RubricContext) -> tuple[Status, str, str]:
    if "区" not in plan.extension.area:
        return _fail("区域延伸没有写明哪个区域。", "写明区域（如美工区、科学区）和投放的材料。")
    found = _found(
        _for(
            plan,
            ("购买", "买", "作业", "写一写", "抄", "练习册"),
            ("buy", "purchase", "homework", "worksheet", "copy out"),
        ),
        plan.extension.home,
    )
    if found:
        return _fail(f"家园任务需要{'、'.join(found)}。", "换成不需购买、不留书面作业的亲子任务。")
    if len(plan.extension.home.strip()) < 8:
        return _fail("家园共育任务不具体。", "写一个具体的亲子小任务。")
    return _ok("区域延伸和家园任务具体可行。")


@criterion(14, "schoolification", "不小学化", starred=True)
def no_schoolification(plan: LessonPlan, context: RubricContext) -> tuple[Status, str, str]:
    found = _found(
        _for(plan, (*SCHOOLIFICATION_WORDS, "口算", "田字格", "描红"), english.SCHOOLIFICATION_WORDS), _all_text(plan)
    )
    if re.search(r"\d+\s*[+＋-]\s*\d+\s*=", _all_text(plan)):
        found.append("算式练习")
    if found:
        return _fail(f"出现小学化内容：{'、'.join(found)}。", "改为游戏化、动手解决问题的活动。")
    return _ok("没有小学化内容。")


KNOWN_BOOKS = {
    "爷爷一定有办法",
    "不是箱子",
    "好饿的毛毛虫",
    "小黑鱼",
    "石头汤",
    "乌鸦喝水",
    "曹冲称象",
    "司马光砸缸",
    "了不起的杰作",
    "萝丝的梦想",
    "建筑师伊吉",
    "你会怎么处理一个问题",
    "你会怎么处理一个点子",
}


@criterion(15, "grounding", "切题，忠于资料", starred=True)
def faithful_grounding(plan: LessonPlan, context: RubricContext) -> tuple[Status, str, str]:
    off_topic = [d for d in _content(context, "off_topic") if d.field in ("design_intent", "step")]
    # One generic step (a sharing circle that never names the activity) is left to the rewrite;
    # two or more, and the process is not about this activity.
    if len([d for d in off_topic if d.field == "step"]) < 2:
        off_topic = [d for d in off_topic if d.field != "step"]
    borrowed = _content(context, "borrowed") + off_topic
    if borrowed:
        return _content_fail(
            borrowed, "每一步都围绕本活动的问题和材料，不照搬参考资料里别的活动：可点\u201c一键修正\u201d。"
        )
    text = _all_text(plan)
    references = {int(n) for n in re.findall(r"\[(\d+)\]", text)}
    unresolved = sorted(n for n in references if n < 1 or n > len(plan.citations))
    if unresolved:
        return _fail(f"引用了不存在的资料[{unresolved[0]}]。", "只引用参考资料列表中的资料。")
    cited_titles = " ".join(c.document_title for c in plan.citations)
    books = [
        b
        for b in re.findall(r"《([^》]{1,30})》", text)
        if b not in KNOWN_BOOKS and b not in cited_titles and "指南" not in b and "请核实" not in text
    ]
    if books:
        return _fail(f"绘本《{books[0]}》不在已知书目中。", "核对书名与出版信息，或在书名后注明\u201c请核实\u201d。")
    if re.search(r"本班[^。]{0,10}(\d+%|\d+名|\d+个幼儿|百分之)", text):
        return _fail("出现了没有依据的本班幼儿统计数字。", "删除编造的统计，写观察到的事实。")
    return _ok("引用都能对应到参考资料。")


def failed_sections(report: RubricReport, plan: LessonPlan) -> dict[str, list[CriterionResult]]:
    """Which plan sections a fix should regenerate for each failed criterion (for 一键修正)."""
    section_of = {
        "objectives": ["overview"],
        "structure": ["overview", "preparation", "closing"],
        "questions": [f"step:{i}" for i in range(len(plan.steps))],
        "agency": [f"step:{i}" for i, s in enumerate(plan.steps) if s.phase == "展开"],
        "divergence": [f"step:{i}" for i, s in enumerate(plan.steps) if s.cps_stage in ("想办法", "发现问题")],
        "age": [f"step:{i}" for i in range(len(plan.steps))],
        "materials": ["preparation"],
        "differentiation": [f"step:{i}" for i, s in enumerate(plan.steps) if s.cps_stage == "试一试改一改"],
        "observation": ["closing"],
        "extension": ["closing"],
        "schoolification": ["overview", *[f"step:{i}" for i in range(len(plan.steps))]],
        "grounding": ["overview"],
    }
    sections: dict[str, list[CriterionResult]] = {}
    for result in report.failed:
        for section in result.sections or section_of.get(result.key, []):
            sections.setdefault(section, []).append(result)
    return sections
