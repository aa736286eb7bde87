"""Code's rules and the automated checks for a 创造力观察清单, each check with its repair.

The checks are one table (CHECKS), each row a kind, what it looks for and what repairs it:

- score           a score, grade, ranking, total or average (总分, 排名, 第一名, 等级, "3分", 合计 …):
                  the checklist notices children, it never scores or ranks them (DOMAIN.md §1.1, §3;
                  《评估指南》: evaluation does not test children's abilities)
- label           a word that labels a child (调皮, 聪明, 笨 …) instead of what they did (DOMAIN.md §3:
                  write facts, not labels)
- not_observable  a look-for nobody can see happen (想法很好, 有创造力 …) or without an action
- evidence_missing  偶尔 or 经常 ticked without the sentence of evidence that backs it

They run on what the model writes and, find-only, on a teacher's edit (Studio.document_findings).
Repairs of the model's text: written once more by the model with the problems named; what is
still wrong after that, code drops (the look-for, or the sentence), and a dimension left without
look-fors gets code's own. A missing evidence sentence only the teacher can write: it is named.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from lesson_studio.authoring.content_checks import CheckReport, Defect
from lesson_studio.authoring.english import is_english
from lesson_studio.authoring.scaffold import english_words_in
from lesson_studio.resource_types.creativity_checklist import english
from lesson_studio.resource_types.creativity_checklist.scaffold import ChecklistScaffold, fallback_look_fors
from lesson_studio.resource_types.creativity_checklist.schema import (
    ChecklistItem,
    ChildSheet,
    CreativityChecklist,
    Record,
)

LOOK_FORS_PER_DIMENSION = 3
SCORE_WORDS = (
    "总分", "得分", "评分", "分数", "排名", "名次", "等级", "优良差", "打分", "满分", "加分", "扣分",
    "计分", "积分", "合计", "总计", "共计", "累计", "平均", "排序", "评比", "星级",
)  # fmt: skip
# "3分", "三分", "第一名", "前三名": a number of points or a place. Not 3分钟, 分享, 分组, 分类, 十分(very) …
_POINTS = re.compile(
    r"(?:[0-9０-９]+(?:\.[0-9]+)?|(?<!十)[一二三四五六七八九两])\s*分(?![钟享组类成开析别之为给到散辨工配])"
)
_PLACE = re.compile(r"(?:第|前|后)[0-9０-９一二三四五六七八九十]+名|最后一名|倒数")
LABEL_WORDS = (
    "调皮", "淘气", "捣蛋", "聪明", "笨", "傻", "懒", "磨蹭", "害羞", "胆小", "内向", "多动",
    "不听话", "霸道", "爱哭", "坏孩子", "乖孩子", "没礼貌", "自私", "粗心", "马虎",
)  # fmt: skip
# Look-fors that say a judgement, not something a teacher can see happen.
VAGUE_WORDS = (
    "想法很好", "有创造力", "创造力强", "很有创意", "富有创意", "有想象力", "想象力丰富", "思维活跃",
    "思维灵活", "表现很好", "表现积极", "很棒", "的能力", "能力强", "培养", "发展幼儿",
)  # fmt: skip
# A look-for names something a child does: says, makes, tries, changes, asks, uses …
ACTION_WORDS = (
    "说", "讲", "问", "答", "想出", "提出", "做", "搭", "画", "拼", "剪", "贴", "折", "捏", "摆", "试",
    "改", "换", "加", "减", "变", "用", "找", "选", "比", "组合", "连", "接", "装", "演", "唱", "跳",
    "模仿", "解释", "告诉", "记录", "坚持", "放弃", "合作", "借", "添", "拆", "移", "排", "分类", "造",
)  # fmt: skip
_SENTENCE = re.compile(r"(?<=[。！？；!?;])")


def score_words_in(text: str, language: str = "zh") -> list[str]:
    if is_english(language):  # whole words: "total" is a score, "totally" is not asked about
        return english_words_in(text, english.SCORE_WORDS) + english.points_in(text)
    found = [word for word in SCORE_WORDS if word in text]
    return found + _POINTS.findall(text) + _PLACE.findall(text)


def label_words_in(text: str, language: str = "zh") -> list[str]:
    if is_english(language):
        return english_words_in(text, english.LABEL_WORDS)
    return [word for word in LABEL_WORDS if word in text]


def vague_words_in(look_for: str, language: str = "zh") -> list[str]:
    """Why a look-for cannot be observed: its vague words, or [look_for] when it names no action."""
    if is_english(language):
        vague = english_words_in(look_for, english.VAGUE_WORDS)
        if vague:
            return vague
        return [] if english_words_in(look_for, english.ACTION_WORDS) else [look_for]
    vague = [word for word in VAGUE_WORDS if word in look_for]
    if vague:
        return vague
    return [] if any(word in look_for for word in ACTION_WORDS) else [look_for]


@dataclass(frozen=True)
class Text:
    """One piece of text a check reads, and where it is."""

    section: str  # "item:fluency" | "sheet:0"
    field: str  # "look_for:1" | "how_to_observe" | "evidence:fluency"
    where: str  # for the teacher: "流畅性的观察要点" | "小明·流畅性的记录"
    text: str


def texts(checklist: CreativityChecklist) -> Iterator[Text]:
    names = {item.id: item.name for item in checklist.items}
    in_english = is_english(checklist.language)
    look_fors, how, recorded = (
        ("{}: look-for", "{}: how to observe", "{}: record")
        if in_english
        else (
            "{}的观察要点",
            "{}的观察方法",
            "{}的记录",
        )
    )
    for item in checklist.items:
        for number, look_for in enumerate(item.look_fors, start=1):
            yield Text(f"item:{item.id}", f"look_for:{number}", look_fors.format(item.name), look_for)
        if item.how_to_observe:
            yield Text(f"item:{item.id}", "how_to_observe", how.format(item.name), item.how_to_observe)
    for index, sheet in enumerate(checklist.sheets):
        for record in sheet.records:
            if record.evidence:
                who = sheet.child or (f"sheet {index + 1}" if in_english else f"第{index + 1}张表")
                name = names.get(record.item_id, record.item_id)
                yield Text(
                    f"sheet:{index}", f"evidence:{record.item_id}", recorded.format(f"{who}·{name}"), record.evidence
                )


def _score(checklist: CreativityChecklist) -> Iterator[Defect]:
    for found in texts(checklist):
        if words := score_words_in(found.text, checklist.language):
            yield Defect(
                "score",
                found.section,
                found.field,
                f"{found.where}里有打分或排名的说法：{'、'.join(words)}，请只写看到的行为。"
                f" / {found.where} scores or ranks a child ({'、'.join(words)}): write what was seen.",
                tuple(words),
            )


def _label(checklist: CreativityChecklist) -> Iterator[Defect]:
    for found in texts(checklist):
        if words := label_words_in(found.text, checklist.language):
            yield Defect(
                "label",
                found.section,
                found.field,
                f"{found.where}里有给孩子贴标签的词：{'、'.join(words)}，请写孩子做了什么、说了什么。"
                f" / {found.where} labels a child ({'、'.join(words)}): write what the child did or said.",
                tuple(words),
            )


def _not_observable(checklist: CreativityChecklist) -> Iterator[Defect]:
    for item in checklist.items:
        for number, look_for in enumerate(item.look_fors, start=1):
            if words := vague_words_in(look_for, checklist.language):
                yield Defect(
                    "not_observable",
                    f"item:{item.id}",
                    f"look_for:{number}",
                    f"{item.name}的观察要点“{look_for}”看不到具体行为，请写成孩子做的、说的事。"
                    f" / A look-for of {item.name} is not observable: name what a child does or says.",
                    tuple(words),
                )


def _evidence_missing(checklist: CreativityChecklist) -> Iterator[Defect]:
    names = {item.id: item.name for item in checklist.items}
    for index, sheet in enumerate(checklist.sheets):
        for record in sheet.records:
            if record.mark not in ("", "未观察到") and not record.evidence.strip():
                who = sheet.child or f"第{index + 1}张表"
                name = names.get(record.item_id, record.item_id)
                yield Defect(
                    "evidence_missing",
                    f"sheet:{index}",
                    f"evidence:{record.item_id}",
                    f"{who}·{name}勾了“{record.mark}”，还缺一句看到的事实。"
                    f" / {who}·{name} is marked '{record.mark}' without a sentence of evidence.",
                )


@dataclass(frozen=True)
class Check:
    kind: str
    find: Callable[[CreativityChecklist], Iterator[Defect]]
    # The problem named to the model when its look-fors have it (None: nothing the model can fix).
    instruction: str | None


CHECKS = (
    Check(
        "score",
        _score,
        "不能出现任何打分、等级、排名或合计的说法（如总分、得分、3分、排名、第一名、等级、平均），只写看得到的行为。",
    ),
    Check("label", _label, "不能用调皮、聪明、笨这类给孩子贴标签的词，只写孩子做了什么、说了什么。"),
    Check(
        "not_observable",
        _not_observable,
        "每条观察要点都要写孩子具体做的、说的事（如“为同一个问题说出两个以上不同的办法”），不写“想法很好”“有创造力”这样的评价。",
    ),
    Check("evidence_missing", _evidence_missing, None),
)


def check_checklist(checklist: CreativityChecklist, scaffold: ChecklistScaffold | None = None) -> list[Defect]:
    """Every defect the checks find (nothing repaired)."""
    return [defect for check in CHECKS for defect in check.find(checklist)]


def apply_checklist_rules(checklist: CreativityChecklist, scaffold: ChecklistScaffold) -> CreativityChecklist:
    """Code has the last word: the title, the request's details, the principle, the items (names,
    order, the dispositions' look-fors) and a sheet per child with a record per item are the
    scaffold's, whatever the model or an edit wrote; the dimensions' look-fors and the teacher's
    marks and evidence are kept."""
    request = scaffold.request
    written = {item.id: item for item in checklist.items}
    items = []
    for item in scaffold.items:
        if item.kind == "dimension" and item.id in written:
            look_fors = [text.strip() for text in written[item.id].look_fors if text.strip()]
            item = item.model_copy(
                update={
                    "look_fors": look_fors[:LOOK_FORS_PER_DIMENSION] or fallback_look_fors(item.id, request.language),
                    "how_to_observe": written[item.id].how_to_observe.strip(),
                }
            )
        elif item.kind == "dimension":
            item = item.model_copy(update={"look_fors": fallback_look_fors(item.id, request.language)})
        items.append(item)
    recorded = {sheet.child: sheet for sheet in checklist.sheets}
    sheets = [
        ChildSheet(
            child=child,
            records=[
                (recorded[child].record(item.id) if child in recorded else Record(item_id=item.id)) for item in items
            ],
        )
        for child in scaffold.children
    ]
    warnings = list(scaffold.warnings) + [text for text in checklist.warnings if text not in scaffold.warnings]
    return checklist.model_copy(
        update={
            "title": scaffold.title,
            "language": request.language,
            "age_band": request.age_band,
            "activity": request.activity,
            "class_name": request.class_name,
            "teacher": request.teacher,
            "date": request.date,
            "principle": scaffold.principle,
            "items": items,
            "sheets": sheets,
            "warnings": warnings,
        }
    )


def _offends(text: str, language: str = "zh") -> bool:
    return bool(score_words_in(text, language) or label_words_in(text, language))


def without_offending_sentences(text: str, language: str = "zh") -> str:
    splitter = english.SENTENCE if is_english(language) else _SENTENCE
    return "".join(sentence for sentence in splitter.split(text) if not _offends(sentence, language)).strip()


def repair_by_code(checklist: CreativityChecklist, scaffold: ChecklistScaffold) -> CreativityChecklist:
    """What code can repair: a look-for that scores, labels or cannot be observed is dropped, a
    sentence that scores or labels is dropped, and a dimension left without look-fors gets code's
    own (the teacher is told)."""
    checklist = apply_checklist_rules(checklist, scaffold)
    language = checklist.language
    items: list[ChecklistItem] = []
    warnings = list(checklist.warnings)
    for item in checklist.items:
        kept = [text for text in item.look_fors if not _offends(text, language) and not vague_words_in(text, language)]
        if len(kept) < len(item.look_fors):
            dropped = len(item.look_fors) - len(kept)
            note = (
                english.DROPPED.format(name=item.name, count=dropped)
                if is_english(language)
                else f"{item.name}：去掉了{dropped}条打分、贴标签或看不到具体行为的观察要点。"
                f" / {item.name}: {dropped} look-for(s) that scored, labelled or could not be observed were dropped."
            )
            warnings += [note] if note not in warnings else []
        items.append(
            item.model_copy(
                update={
                    "look_fors": kept or fallback_look_fors(item.id, language),
                    "how_to_observe": without_offending_sentences(item.how_to_observe, language),
                }
            )
        )
    sheets = [
        sheet.model_copy(
            update={
                "records": [
                    record.model_copy(update={"evidence": without_offending_sentences(record.evidence, language)})
                    for record in sheet.records
                ]
            }
        )
        for sheet in checklist.sheets
    ]
    return checklist.model_copy(update={"items": items, "sheets": sheets, "warnings": warnings})


Rewrite = Callable[[CreativityChecklist, str], CreativityChecklist]


def rewrite_instruction(defects: list[Defect], language: str = "zh") -> str:
    """The problems named to the model, once each, with the words that were wrong."""
    lines = []
    for check in CHECKS:
        found = [defect for defect in defects if defect.kind == check.kind]
        if found and check.instruction:
            if is_english(language):
                words = ", ".join(dict.fromkeys(word for defect in found for word in defect.words))
                instruction = english.INSTRUCTIONS[check.kind]
                lines.append(english.MUST_FIX.format(instruction=instruction, words=words)[:900])
                continue
            words = "、".join(dict.fromkeys(word for defect in found for word in defect.words))
            lines.append(f"【必须改正】{check.instruction}（上一次写了：{words}）"[:300])
    return "\n".join(lines)


def validate_checklist(
    checklist: CreativityChecklist, scaffold: ChecklistScaffold, rewrite: Rewrite | None = None
) -> tuple[CreativityChecklist, CheckReport]:
    """Check the model's checklist and repair what is found: the model writes it once more with the
    problems named (kept only when better), then code drops what is still wrong."""
    started = time.monotonic()
    report = CheckReport(before=check_checklist(checklist, scaffold))
    fix = rewrite_instruction(report.before, scaffold.request.language)
    if fix and rewrite is not None:
        candidate = apply_checklist_rules(rewrite(checklist, fix), scaffold)
        report.rewrites += 1
        if len(check_checklist(candidate, scaffold)) < len(report.before):
            checklist = candidate
    remaining = check_checklist(checklist, scaffold)
    checklist = repair_by_code(checklist, scaffold)
    report.after = check_checklist(checklist, scaffold)
    report.code_repairs = len(remaining) - len(report.after)
    report.seconds = time.monotonic() - started
    return checklist, report
