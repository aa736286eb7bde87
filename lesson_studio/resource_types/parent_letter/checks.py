"""Code's rules and the automated checks for a 家长信, each check with its repair.

- purchase        the family task needs something bought (DOMAIN.md rubric 13: no purchase)
- homework        the family task is written homework (no 书面作业, 作业单, 抄写 …)
- unsafe_item     the prose asks families for an item on the unsafe list (batteries, magnets, …)
- unsafe_collection  the collection list holds an unsafe item (an edited or older letter)
- jargon          words parents do not use (CPS, 头脑风暴, 发散思维 …) instead of plain language
- missing_signature  the class, the teacher or the date is blank

Repairs: by code where code can do it exactly (the collection list and signature are the
scaffold's, jargon is replaced by plain words, a sentence naming an unsafe item is dropped); a
family task that needs a purchase or is homework is written once more by the model with the
problem named, and if it still is, code replaces it with a task that needs nothing bought.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from lesson_studio.authoring.content_checks import CheckReport, Defect
from lesson_studio.authoring.scaffold import english_words_in
from lesson_studio.resource_types.parent_letter.scaffold import LetterScaffold, unsafe_reason
from lesson_studio.resource_types.parent_letter.schema import ParentLetter

TITLE_CHARS = 40
PURCHASE_WORDS = ("购买", "网购", "下单", "淘宝", "花钱", "订购", "购置", "采购", "买")
# "不用买"/"无需购买": saying that nothing needs buying is what the letter should say.
_NO_PURCHASE = re.compile(r"(不用|不需要|无需|不必|不要|不需)(去)?(购买|买)")
HOMEWORK_WORDS = ("书面作业", "作业单", "练习册", "练习题", "抄写", "写作业", "默写", "口算")
# Words of the trade and their plain equivalents for parents.
JARGON = {
    "创造性问题解决": "自己想办法解决问题",
    "CPS": "动脑筋解决问题",
    "头脑风暴": "一起想办法",
    "发散思维": "想出很多不同的办法",
    "聚合思维": "从许多办法里选出合适的",
    "最近发展区": "孩子跳一跳够得着的地方",
    "元认知": "想一想自己是怎么想的",
    "SCAMPER": "换一换、加一加、变一变",
}
# The same checks on a letter written in English (request.language == "en"): whole words, any case.
PURCHASE_WORDS_EN = ("buy", "bought", "purchase", "order online", "shop for", "spend", "pay for", "store-bought")
# "no need to buy", "nothing to buy": saying that nothing needs buying is what the letter should say.
_NO_PURCHASE_EN = re.compile(
    r"\b(no need to|don't need to|do not need to|not need to|never need to|without|nothing to|no|don't|do not)"
    r" (buy|buying|purchase|purchasing|spend|spending)\b"
    r"|\bnothing (needs|has) to be (bought|purchased)\b",
    re.IGNORECASE,
)
HOMEWORK_WORDS_EN = (
    "homework",
    "worksheet",
    "workbook",
    "exercise book",
    "practice sheet",
    "copy out",
    "copying",
    "tracing",
    "dictation",
    "handwriting",
    "spelling test",
)
JARGON_EN = {
    "creative problem solving": "working out problems in their own way",
    "CPS": "solving problems",
    "brainstorming": "thinking up ideas together",
    "brainstorm": "think up ideas together",
    "divergent thinking": "thinking of many different ideas",
    "convergent thinking": "choosing a good idea from many",
    "zone of proximal development": "the next step a child can just reach",
    "metacognition": "thinking about their own thinking",
    "SCAMPER": "swapping, adding and changing things",
}
PROSE_FIELDS = ("what_and_why", "child_part", "family_task", "safety_and_time", "thanks")
_SENTENCE = re.compile(r"(?<=[。！？；!?;])")
_SENTENCE_EN = re.compile(r"(?<=[.!?;])\s+")
TITLE_CHARS_EN = 80


def _english(letter_or_scaffold: ParentLetter | LetterScaffold) -> bool:
    if isinstance(letter_or_scaffold, LetterScaffold):
        return letter_or_scaffold.request.language == "en"
    return letter_or_scaffold.language == "en"


def jargon_in(text: str, english: bool) -> list[str]:
    if english:
        return english_words_in(text, tuple(JARGON_EN))
    return [word for word in JARGON if word in text]


def plain_words(text: str, english: bool) -> str:
    """Jargon replaced by the words parents use."""
    if english:
        for word, plain in JARGON_EN.items():
            text = re.sub(rf"\b{re.escape(word)}\b", plain, text, flags=re.IGNORECASE)
        return text
    for word, plain in JARGON.items():
        text = text.replace(word, plain)
    return text


def homework_in(text: str, english: bool) -> list[str]:
    if english:
        return english_words_in(text, HOMEWORK_WORDS_EN)
    return [word for word in HOMEWORK_WORDS if word in text]


def apply_letter_rules(letter: ParentLetter, scaffold: LetterScaffold) -> ParentLetter:
    """Code has the last word: the salutation, the collection list and its note, the exclusions,
    the signature and the warnings are the scaffold's, whatever the model or an edit wrote."""
    request = scaffold.request
    return letter.model_copy(
        update={
            "title": letter.title[: TITLE_CHARS_EN if request.language == "en" else TITLE_CHARS],
            "age_band": request.age_band,
            "language": request.language,
            "salutation": scaffold.salutation,
            "collection": list(scaffold.collection),
            "collection_note": scaffold.collection_note,
            "exclusions": list(scaffold.exclusions),
            "removed_items": list(scaffold.removed),
            "class_name": request.class_name,
            "teacher": request.teacher,
            "date": request.date,
            "contact": request.contact,
            "warnings": list(scaffold.warnings),
        }
    )


def needs_purchase(text: str, english: bool = False) -> list[str]:
    if english:
        return english_words_in(_NO_PURCHASE_EN.sub("", text), PURCHASE_WORDS_EN)
    plain = _NO_PURCHASE.sub("", text)
    return [word for word in PURCHASE_WORDS if word in plain]


def unsafe_words_in(text: str, scaffold: LetterScaffold) -> list[str]:
    if _english(scaffold):
        return english_words_in(text, tuple(scaffold.unsafe_words))
    return [word for word in scaffold.unsafe_words if word in text]


def check_letter(letter: ParentLetter, scaffold: LetterScaffold) -> list[Defect]:
    """Every defect the checks find (nothing repaired)."""
    defects: list[Defect] = []
    english = _english(scaffold)
    if words := needs_purchase(letter.family_task, english):
        defects.append(
            Defect(
                "purchase",
                "letter",
                "family_task",
                "家庭任务需要购买东西 / the family task needs a purchase",
                tuple(words),
            )
        )
    if words := homework_in(letter.family_task, english):
        defects.append(
            Defect(
                "homework",
                "letter",
                "family_task",
                "家庭任务是书面作业 / the family task is written homework",
                tuple(words),
            )
        )
    for name in PROSE_FIELDS:
        if words := unsafe_words_in(getattr(letter, name), scaffold):
            defects.append(
                Defect(
                    "unsafe_item",
                    "letter",
                    name,
                    f"提到了不安全的物品：{'、'.join(words)} / names an unsafe item",
                    tuple(words),
                )
            )
    for item in letter.collection:
        if unsafe_reason(item.name, letter.age_band, scaffold.request.language):
            defects.append(
                Defect(
                    "unsafe_collection", "letter", "collection", f"收集清单里有不安全的物品：{item.name}", (item.name,)
                )
            )
    for name in PROSE_FIELDS + ("title",):
        if words := jargon_in(getattr(letter, name), english):
            defects.append(
                Defect("jargon", "letter", name, f"家长不常用的术语：{'、'.join(words)} / jargon", tuple(words))
            )
    parts = (("班级", "class", letter.class_name), ("教师", "teacher", letter.teacher), ("日期", "date", letter.date))
    missing = [(zh, en) for zh, en, value in parts if not value.strip()]
    if missing:
        defects.append(
            Defect(
                "missing_signature",
                "letter",
                "signature",
                f"落款缺少：{'、'.join(zh for zh, _ in missing)} / the signature lacks the {', '.join(en for _, en in missing)}",
            )
        )
    return defects


def repair_by_code(letter: ParentLetter, scaffold: LetterScaffold) -> ParentLetter:
    """What code can repair exactly: the scaffold's parts, plain words, no unsafe sentence."""
    letter = apply_letter_rules(letter, scaffold)
    english = _english(scaffold)
    updates = {}
    for name in (*PROSE_FIELDS, "title"):
        text = plain_words(getattr(letter, name), english)
        if name in PROSE_FIELDS and unsafe_words_in(text, scaffold):
            sentences = (_SENTENCE_EN if english else _SENTENCE).split(text)
            kept = [sentence for sentence in sentences if not unsafe_words_in(sentence, scaffold)]
            text = (" " if english else "").join(kept).strip()
        updates[name] = text
    if not updates["family_task"]:
        updates["family_task"] = no_purchase_task(scaffold)
    return letter.model_copy(update=updates)


def no_purchase_task(scaffold: LetterScaffold) -> str:
    """The family task code writes when the model's needs a purchase or is homework."""
    topic = scaffold.request.topic.strip().rstrip("。.")
    if _english(scaffold):
        return (
            f"Please talk with your child about what we are working on: {topic}. Listen to the ideas your child "
            "has, then try one out together with things you already have at home. Nothing needs to be bought."
        )[:600]
    return (
        f"请和孩子聊一聊我们正在做的事：{topic}。听听孩子想到的办法，再用家里现有的东西一起试一试，不需要购买任何材料。"
    )[:200]


Rewrite = Callable[[ParentLetter, str], ParentLetter]
FIX_TASK = "【必须改正】家庭任务不能需要购买任何东西，也不能是书面作业；请改成用家里现有物品、和孩子一起做的小事。"
FIX_TASK_EN = (
    "[MUST FIX] The family task must not need anything bought and must not be written homework; make it a "
    "small thing a family does together with what they already have at home."
)


def validate_letter(
    letter: ParentLetter, scaffold: LetterScaffold, rewrite: Rewrite | None = None
) -> tuple[ParentLetter, CheckReport]:
    """Check the letter and repair what is found: code first; a family task that needs a purchase
    or is homework is written once more by the model (kept only when better), then replaced by code."""
    started = time.monotonic()
    report = CheckReport(before=check_letter(letter, scaffold))
    letter = repair_by_code(letter, scaffold)
    remaining = check_letter(letter, scaffold)
    report.code_repairs = len(report.before) - len(remaining)
    task_problems = [defect for defect in remaining if defect.kind in ("purchase", "homework")]
    if task_problems and rewrite is not None:
        fix = FIX_TASK_EN if _english(scaffold) else FIX_TASK
        candidate = repair_by_code(rewrite(letter, fix), scaffold)
        report.rewrites += 1
        if len(check_letter(candidate, scaffold)) < len(remaining):
            letter = candidate
    if any(defect.kind in ("purchase", "homework") for defect in check_letter(letter, scaffold)):
        letter = letter.model_copy(update={"family_task": no_purchase_task(scaffold)})
    report.after = check_letter(letter, scaffold)
    report.seconds = time.monotonic() - started
    return letter, report
