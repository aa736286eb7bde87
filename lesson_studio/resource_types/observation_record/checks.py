"""Code's rules and the automated checks for a 观察记录, each check with its repair.

- label             a word that labels the child (调皮, 害羞, 聪明 …) instead of describing what
                    was seen (DOMAIN.md §3: write facts, not labels)
- invented_detail   a quoted sentence or a number in the record that the teacher's notes do not
                    hold: the record may say nothing the notes do not say
- missing_fact      one of the six elements a record needs — 谁、何时、何地、做什么、怎么做、结果 — is
                    missing (DOMAIN.md §3)
- missing_part      the analysis or the supports are blank (an edit)
- guideline_missing the analysis is linked to no 《指南》 line and does not say why
- guideline_band    a quoted 《指南》 line belongs to another age band than the record's

Repairs: by code where code can do it exactly (the facts and headings are the scaffold's, a sentence
with an invented detail is dropped, a line of another band is dropped). Labels and a fact the notes
hold but the record left out are written once more by the model with the words named; a label still
there after that loses its sentence. Nothing missing from the notes is ever made up: that stays a
finding for the teacher.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from lesson_studio.authoring.content_checks import CheckReport, Defect
from lesson_studio.authoring.english import is_english
from lesson_studio.authoring.scaffold import english_words_in
from lesson_studio.resource_types.observation_record import english
from lesson_studio.resource_types.observation_record.schema import ObservationRecord

if TYPE_CHECKING:  # the scaffold module builds on this one's vocabulary
    from lesson_studio.resource_types.observation_record.scaffold import ObservationScaffold

# Words that judge a child instead of describing behaviour, with the uses that are not labels
# left out ("多动手" is "use your hands more", "笨重" describes an object).
LABELS: dict[str, re.Pattern[str]] = {
    word: re.compile(pattern)
    for word, pattern in {
        "调皮": "调皮",
        "淘气": "淘气",
        "顽皮": "顽皮",
        "害羞": "害羞",
        "聪明": "聪明",
        "笨": "笨(?!重)",
        "内向": "内向",
        "胆小": "胆小",
        "多动": "多动(?![手脑口嘴身])",
        "不听话": "不听话",
        "乖": "乖",
        "任性": "任性",
        "霸道": "霸道",
        "磨蹭": "磨蹭",
        "懒惰": "懒惰",
        "自私": "自私",
        "爱哭": "爱哭",
    }.items()
}
# The six elements of a record (DOMAIN.md §3), as the teacher reads them.
ELEMENT_NAMES = {
    "who": "谁",
    "when": "何时",
    "where": "何地",
    "what": "做什么",
    "how": "怎么做（过程）",
    "result": "结果（后来怎样了）",
}
# Words that show the record tells how the child went about it, and how it ended.
HOW_WORDS = ("先", "再", "然后", "接着", "一边", "用", "把", "拿", "试", "换", "又", "说", "问")
RESULT_WORDS = (
    "最后",
    "结果",
    "终于",
    "后来",
    "最终",
    "成功",
    "完成",
    "放弃",
    "离开",
    "好了",
    "做成",
    "搭成",
    "没能",
    "没有成功",
    "直到",
)
WHAT_MIN_CHARS = 10
TEXT_FIELDS = ("objective_record", "analysis", "follow_up")
# A sentence ends at 。！？； — after the closing quote when one follows (他说：“好了！”).
_SENTENCE = re.compile(r"(?<=[。！？；!?;\n])(?![”’」』\"])|(?<=[。！？；!?;][”’」』\"])")
_QUOTED = re.compile(r"[“\"「『]([^”\"」』]{2,80})[”\"」』]")
_DIGITS = re.compile(r"\d+")
# A count in Chinese numerals; a lone 一 (一个、一下) is an article more often than a count.
_COUNT = re.compile(
    r"([两二三四五六七八九十百]+|一[十百])(?=次|分钟|秒|个|块|遍|张|根|层|种|步|下|米|厘米|天|周|名|位|遍)"
)
_CHINESE_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NOT_WORD = re.compile(r"[\W_]+")


def labels_in(text: str, language: str = "zh") -> list[str]:
    if is_english(language):
        return english_words_in(text, english.LABELS)  # whole words: "shy" is not in "shyness"'s place
    return [word for word, pattern in LABELS.items() if pattern.search(text)]


def chinese_number(text: str) -> int:
    """两 -> 2, 十五 -> 15, 三十 -> 30, 一百二十 -> 120 (the counts a record writes)."""
    total, digit = 0, 0
    for char in text:
        if char in _CHINESE_DIGITS:
            digit = _CHINESE_DIGITS[char]
        elif char == "十":
            total += (digit or 1) * 10
            digit = 0
        elif char == "百":
            total += (digit or 1) * 100
            digit = 0
    return total + digit


def numbers_in(text: str) -> set[int]:
    """The numbers a text states, in digits, as a Chinese count or as an English number word."""
    found = {int(digits) for digits in _DIGITS.findall(text)} | english.english_numbers_in(text)
    return found | {chinese_number(match) for match in _COUNT.findall(text)}


def _squash(text: str) -> str:
    return _NOT_WORD.sub("", text)


def invented_in(text: str, notes: str) -> list[str]:
    """The quotes and numbers in `text` that the notes do not hold (a record invents nothing)."""
    plain_notes = _squash(notes)
    quotes = [quote for quote in _QUOTED.findall(text) if _squash(quote) not in plain_notes]
    counts = sorted(numbers_in(text) - numbers_in(notes))
    return quotes + [str(number) for number in counts]


def known_text(scaffold: ObservationScaffold) -> str:
    """What the record may draw on: the notes, and the form's facts the model was given (a record
    that says 12月7日 or 中二班 invents nothing)."""
    request = scaffold.request
    return "\n".join(
        [request.notes, request.date, request.class_name, request.place, request.activity, request.purpose]
    )


def elements_missing_in(text: str, language: str = "zh") -> list[str]:
    """Which of 做什么 / 怎么做 / 结果 a written observation does not show."""
    missing = []
    if is_english(language):
        if len(re.findall(r"[A-Za-z]+", text)) < english.WHAT_MIN_WORDS:
            missing.append("what")
        if not english_words_in(text, english.HOW_WORDS):
            missing.append("how")
        if not english_words_in(text, english.RESULT_WORDS):
            missing.append("result")
        return missing
    if len(re.findall(r"[\u4e00-\u9fff]", text)) < WHAT_MIN_CHARS:
        missing.append("what")
    if not any(word in text for word in HOW_WORDS):
        missing.append("how")
    if not any(word in text for word in RESULT_WORDS):
        missing.append("result")
    return missing


def allowed_bands(age_band: str) -> set[str]:
    """A 混龄 group spans the three bands, so its lines may come from any of them."""
    return {"小班", "中班", "大班"} if age_band == "混龄" else {age_band}


def apply_record_rules(record: ObservationRecord, scaffold: ObservationScaffold) -> ObservationRecord:
    """Code has the last word: the title, the facts and the headings are the scaffold's, whatever
    the model or an edit wrote."""
    request = scaffold.request
    return record.model_copy(
        update={
            "title": scaffold.title,
            "age_band": request.age_band,
            "class_name": request.class_name,
            "date": request.date,
            "place": request.place,
            "child": request.child,
            "observer": request.observer,
            "purpose": request.purpose,
            "activity": request.activity,
            "method": request.method,
            "language": request.language,
            "section_titles": list(scaffold.section_titles),
            "warnings": list(scaffold.warnings),
        }
    )


def _labelled_parts(record: ObservationRecord) -> list[tuple[str, str]]:
    parts = [(name, getattr(record, name)) for name in TEXT_FIELDS]
    return parts + [(f"support_strategies:{index}", text) for index, text in enumerate(record.support_strategies)]


def check_record(record: ObservationRecord, scaffold: ObservationScaffold, *, aligned: bool = True) -> list[Defect]:
    """Every defect the checks find (nothing repaired). aligned=False: the 《指南》 lines are not
    looked for yet (generation validates before the align hook adds them)."""
    defects: list[Defect] = []
    language = record.language
    for name, text in _labelled_parts(record):
        if words := labels_in(text, language):
            defects.append(
                Defect(
                    "label",
                    _section_of(name),
                    name,
                    f"用了贴标签的词：{'、'.join(words)}，请写成看到的具体行为 / labels the child instead of describing behaviour",
                    tuple(words),
                )
            )
    if invented := invented_in(record.objective_record, known_text(scaffold)):
        defects.append(
            Defect(
                "invented_detail",
                "record",
                "objective_record",
                f"客观记录里有观察笔记没有写的内容：{'、'.join(invented)} / the record holds what your notes do not say",
                tuple(invented),
            )
        )
    missing = [
        name
        for name, value in (("who", record.child), ("when", record.date), ("where", record.place))
        if not value.strip()
    ]
    missing += elements_missing_in(record.objective_record, language)
    if missing:
        defects.append(
            Defect(
                "missing_fact",
                "record",
                "objective_record",
                f"记录缺少：{'、'.join(ELEMENT_NAMES[name] for name in missing)} / the record does not say"
                f" {', '.join(english.ELEMENT_NAMES[name] for name in missing)}",
                tuple(missing),
            )
        )
    blank = [
        label
        for label, value in (("分析评价", record.analysis), ("支持策略", "".join(record.support_strategies)))
        if not value.strip()
    ]
    if blank:
        defects.append(
            Defect(
                "missing_part", "analysis", "analysis", f"没有写：{'、'.join(blank)} / a part is blank", tuple(blank)
            )
        )
    if aligned and not record.guideline_lines and not record.guideline_note.strip():
        defects.append(
            Defect(
                "guideline_missing",
                "analysis",
                "guideline_lines",
                "分析没有对照《指南》，也没有说明原因 / the analysis is linked to no 《指南》 line and says nothing about it",
            )
        )
    bands = allowed_bands(record.age_band)
    if wrong := [line.reference for line in record.guideline_lines if line.age_band not in bands]:
        defects.append(
            Defect(
                "guideline_band",
                "analysis",
                "guideline_lines",
                f"引用了其他年龄段的《指南》条目：{'；'.join(wrong)} / quotes a line of another age band",
                tuple(wrong),
            )
        )
    return defects


def _section_of(field_name: str) -> str:
    return "record" if field_name == "objective_record" else "analysis"


def drop_sentences(text: str, unwanted: Callable[[str], object], language: str = "zh") -> str:
    splitter = english.SENTENCE if is_english(language) else _SENTENCE
    return "".join(sentence for sentence in splitter.split(text) if not unwanted(sentence)).strip()


def repair_by_code(record: ObservationRecord, scaffold: ObservationScaffold) -> ObservationRecord:
    """What code can repair exactly: the scaffold's facts, no invented detail, no other band's line."""
    record = apply_record_rules(record, scaffold)
    notes = known_text(scaffold)
    bands = allowed_bands(record.age_band)
    return record.model_copy(
        update={
            "objective_record": drop_sentences(
                record.objective_record, lambda sentence: invented_in(sentence, notes), record.language
            ),
            "guideline_lines": [line for line in record.guideline_lines if line.age_band in bands],
        }
    )


def drop_labels(record: ObservationRecord, scaffold: ObservationScaffold) -> ObservationRecord:
    """The last word on labels: every sentence still holding one is dropped. A record left empty
    is the teacher's notes without their labelled sentences (the notes are the record's source)."""
    language = record.language

    def labelled(sentence: str) -> list[str]:
        return labels_in(sentence, language)

    updates: dict[str, object] = {
        name: drop_sentences(getattr(record, name), labelled, language) for name in TEXT_FIELDS
    }
    updates["support_strategies"] = [
        kept for kept in (drop_sentences(text, labelled, language) for text in record.support_strategies) if kept
    ]
    if not updates["objective_record"]:
        updates["objective_record"] = drop_sentences(scaffold.request.notes, labelled, language)
    return record.model_copy(update=updates)


LABEL_FIX = (
    "【必须改正】不要用“{words}”这类给孩子贴标签的词，把它们改写成看到的具体行为（孩子做了什么、说了什么、怎么做的）。"
)
FACT_FIX = "【必须补上】观察笔记里写到了{elements}，客观记录里没有写：请按笔记补上，不要添加笔记里没有的内容。"
Rewrite = Callable[[ObservationRecord, str, str], ObservationRecord]  # (record, "record" | "analysis", fix)


def fixes_for(defects: list[Defect], scaffold: ObservationScaffold) -> dict[str, str]:
    """Section -> the instruction its one rewrite gets: the labels named, and the facts the notes
    hold but the record left out (a fact the notes lack is never asked for)."""
    fixes: dict[str, list[str]] = {}
    in_english = is_english(scaffold.request.language)
    label_fix, fact_fix = (english.LABEL_FIX, english.FACT_FIX) if in_english else (LABEL_FIX, FACT_FIX)
    names, separator = (english.ELEMENT_NAMES, ", ") if in_english else (ELEMENT_NAMES, "、")
    for defect in defects:
        if defect.kind == "label":
            fixes.setdefault(defect.section, []).append(label_fix.format(words=separator.join(defect.words)))
        elif defect.kind == "missing_fact":
            held = [name for name in defect.words if name in ("how", "result") and name not in scaffold.notes_lack]
            if held:
                elements = separator.join(names[name] for name in held)
                fixes.setdefault("record", []).append(fact_fix.format(elements=elements))
    return {section: "\n".join(dict.fromkeys(lines)) for section, lines in fixes.items()}


def validate_record(
    record: ObservationRecord, scaffold: ObservationScaffold, rewrite: Rewrite | None = None
) -> tuple[ObservationRecord, CheckReport]:
    """Check the record and repair what is found: code first; each section with a label (or a fact
    the notes hold but the record left out) is written once more by the model with the problem
    named, kept only when better; then any label left loses its sentence."""
    started = time.monotonic()
    report = CheckReport(before=check_record(record, scaffold, aligned=False))
    record = repair_by_code(record, scaffold)
    remaining = check_record(record, scaffold, aligned=False)
    if rewrite is not None:
        for section, fix in fixes_for(remaining, scaffold).items():
            candidate = repair_by_code(rewrite(record, section, fix), scaffold)
            report.rewrites += 1
            better = len(check_record(candidate, scaffold, aligned=False)) < len(
                check_record(record, scaffold, aligned=False)
            )
            if better:
                record = candidate
    labelled = record
    record = drop_labels(record, scaffold)
    warnings = list(record.warnings)
    in_english = is_english(record.language)
    if invented := [word for defect in report.before if defect.kind == "invented_detail" for word in defect.words]:
        warnings.append(
            english.INVENTED_TAKEN_OUT.format(words=", ".join(invented))
            if in_english
            else f"客观记录里观察笔记没有写的内容（{'、'.join(invented)}）已删去。"
            " / What the record said beyond your notes was taken out."
        )
    if record != labelled:
        warnings.append(
            english.LABELS_TAKEN_OUT
            if in_english
            else "含贴标签词语的句子已删去。 / Sentences that still labelled the child were taken out."
        )
    record = record.model_copy(update={"warnings": warnings})
    report.after = check_record(record, scaffold, aligned=False)
    report.code_repairs = max(0, len(report.before) - len(report.after) - report.rewrites)
    report.seconds = time.monotonic() - started
    return record, report
