"""Code's rules and the automated checks for a 活动反思, each check with its repair.

- invented_claim     a claim about the children the notes do not hold: a quote, a number or a
                     sweeping word ("所有幼儿") the teacher never wrote, or a sentence sharing almost
                     nothing with the notes (幼儿表现 and 目标达成 rest on the notes only)
- label_word         a label about a child (调皮, 聪明, 笨 …) instead of what the child did
                     (DOMAIN.md §3: write facts, not labels)
- untied_suggestion  a suggestion naming no note of the teacher's (every 调整建议 answers one)
- overrun_unchanged  a step that ran over time is the same in the revised plan
- named_unchanged    a step a "what I would change" note names is the same in the revised plan
- minutes_sum        the revised plan's minutes do not sum to its total, or the total is not the
                     one code set (the plan's, within the band's cap)

Repairs: by code where code can do it exactly (an invented fact is dropped and an objective without
evidence says so, a label becomes a description of behaviour, an untied suggestion is dropped, the
minutes are code's); an unchanged step is written once more by the model with the problem named,
and if it is still unchanged, code shortens it (two sentences of teacher talk, two questions).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from lesson_studio.authoring.content_checks import CheckReport, Defect
from lesson_studio.authoring.english import is_english
from lesson_studio.authoring.rules import TEACHER_CHARS, apply_code_rules
from lesson_studio.authoring.scaffold import english_words_in
from lesson_studio.models import LessonPlan, ProcessStep
from lesson_studio.resource_types.reflection import english
from lesson_studio.resource_types.reflection.scaffold import ReflectionScaffold, fit_total, steps_named
from lesson_studio.resource_types.reflection.schema import GoalReview, Reflection, StepChange, Suggestion

TITLE_CHARS = 60
NO_EVIDENCE = "记录中没有直接的证据"
# Saying there is no evidence is what an objective without notes should say.
_NO_EVIDENCE_PHRASES = ("没有提到", "未提到", "未观察到", "没有观察到", "没有直接的证据", "没有记录", "未记录")
# Labels about children and a description of behaviour to write instead (DOMAIN.md §3, 观察记录:
# ban words like 调皮/害羞/聪明). A degree word in front goes with the label ("很调皮").
LABEL_WORDS = {
    "调皮": "活动中很活跃",
    "淘气": "活动中很活跃",
    "捣蛋": "做了约定以外的事",
    "捣乱": "做了约定以外的事",
    "不听话": "没有按约定做",
    "聪明": "想出了办法",
    "笨": "还在尝试",
    "害羞": "说话较少",
    "内向": "说话较少",
    "胆小": "比较谨慎",
    "懒": "参与较少",
    "多动": "走动较多",
    "磨蹭": "用时较长",
    "霸道": "抢先拿材料",
    "自私": "还没有分享材料",
    "乖巧": "按约定做",
    "能力差": "还需要支持",
    "能力强": "完成得较快",
}
_NOT_LABELS = ("笨重", "懒洋洋")  # words about things, not children
_LABEL = re.compile(
    r"(很|非常|比较|有点|有些|特别|太|真)?(" + "|".join(sorted(LABEL_WORDS, key=len, reverse=True)) + ")"
)
_QUOTE = re.compile(r"[“\"「『‘]([^”\"」』’]{2,})[”\"」』’]")
_COUNT = re.compile(r"\d+\s*[%％]?|[一二两三四五六七八九十几]+\s*(?=[个名位组次])")
SWEEPING = (
    "所有",
    "全部",
    "全体",
    "每个孩子",
    "每位幼儿",
    "每个幼儿",
    "大部分",
    "大多数",
    "绝大多数",
    "百分之",
    "全班",
)
# Bigrams every sentence about a class shares: they say nothing about whether a claim is in the notes.
_COMMON = frozenset(
    {
        "幼儿",
        "孩子",
        "子们",
        "儿们",
        "小朋",
        "朋友",
        "友们",
        "活动",
        "老师",
        "教师",
        "能够",
        "大家",
        "我们",
        "他们",
        "她们",
    }
)
GROUNDED_SHARE = 0.3
_POINTER = re.compile(r"记录\s*\d+|第\s*\d+\s*个?(?:环节|步)")
_CJK = re.compile(r"[\u4e00-\u9fff]+")
_SENTENCE = re.compile(r"(?<=[。！？；!?;])")


def apply_reflection_rules(reflection: Reflection, scaffold: ReflectionScaffold) -> Reflection:
    """Code has the last word: the title, the numbered notes, the objectives reviewed (the plan's),
    the timings, each suggestion's note, the list of changes and the warnings are code's."""
    plan = scaffold.plan
    language = scaffold.request.language
    reviews = list(reflection.goal_reviews)
    goal_reviews = [
        GoalReview(
            dimension=objective.dimension,
            objective=objective.text,
            # An objective the notes hold no evidence for is not observed, whatever was ticked.
            achieved="未观察到"
            if index >= len(reviews) or says_no_evidence(reviews[index].evidence, language)
            else reviews[index].achieved,
            evidence=reviews[index].evidence if index < len(reviews) else no_evidence(language),
        )
        for index, objective in enumerate(plan.objectives)
    ]
    notes = {note.number: note.text for note in scaffold.notes}
    suggestions = [item.model_copy(update={"note_text": notes.get(item.note, "")}) for item in reflection.suggestions]
    summaries = {change.step: change.summary for change in reflection.changes}
    return reflection.model_copy(
        update={
            "language": language,
            "title": english.title(plan.title)[: TITLE_CHARS * 3]
            if is_english(language)
            else f"活动反思：{plan.title}"[:TITLE_CHARS],
            "plan_title": plan.title,
            "age_band": plan.age_band,
            "plan_version_id": scaffold.request.plan_version_id,
            "notes": list(scaffold.notes),
            "goal_reviews": goal_reviews,
            "timings": list(scaffold.timings),
            "suggestions": suggestions,
            "changes": changes_between(plan, reflection.revised_plan, scaffold, summaries),
            "warnings": list(scaffold.warnings),
        }
    )


def step_content(step: ProcessStep) -> tuple[object, ...]:
    return (step.title, step.teacher, tuple(step.key_questions), step.children, step.intent)


def changes_between(
    before: LessonPlan, after: LessonPlan, scaffold: ReflectionScaffold, summaries: dict[int, str]
) -> list[StepChange]:
    """What the revised plan changed, step by step, and why."""
    changes = []
    in_english = is_english(scaffold.request.language)
    for index, (old, new) in enumerate(zip(before.steps, after.steps, strict=False)):
        rewritten = step_content(old) != step_content(new)
        if not rewritten and old.minutes == new.minutes:
            continue
        summary = summaries.get(index + 1, "") if rewritten else ""
        if in_english:
            reason = "; ".join(scaffold.reasons.get(index, [])) or english.time_adjusted(scaffold.total)
            summary = summary or (english.CONTENT_CHANGED if rewritten else english.ONLY_TIME_CHANGED)
        else:
            reason = "；".join(scaffold.reasons.get(index, [])) or f"时间调整：各环节合计{scaffold.total}分钟"
        changes.append(
            StepChange(
                step=index + 1,
                title=new.title,
                minutes_before=old.minutes,
                minutes_after=new.minutes,
                reason=reason,
                summary=summary or ("内容已修改" if rewritten else "只调整了时间"),
            )
        )
    return changes


# --- the checks ------------------------------------------------------------------------------------


def bigrams(text: str) -> set[str]:
    return {run[i : i + 2] for run in _CJK.findall(text) for i in range(len(run) - 1)} - _COMMON


def no_evidence(language: str) -> str:
    return english.NO_EVIDENCE if is_english(language) else NO_EVIDENCE


def says_no_evidence(text: str, language: str = "zh") -> bool:
    if is_english(language):
        return any(phrase in text.lower() for phrase in english.NO_EVIDENCE_PHRASES)
    return any(phrase in text for phrase in _NO_EVIDENCE_PHRASES)


def unsupported_in_english(sentence: str, notes: str) -> list[str]:
    """unsupported() for English: the same quotes, counts and sweeping words, and content words
    shared with the notes instead of two-character pieces."""
    if says_no_evidence(sentence, "en"):
        return []
    flat = re.sub(r"\s", "", notes).lower()
    sentence = english.POINTER.sub("", sentence)
    found = [f'"{quote}"' for quote in _QUOTE.findall(sentence) if re.sub(r"\s", "", quote).lower() not in flat]
    found += [count for count in re.findall(r"\d+\s*%?", sentence) if count.strip() not in flat]
    found += [word for word in english_words_in(sentence, english.SWEEPING) if word not in notes.lower()]
    words = english.words(sentence)
    if not found and words and len(words & english.words(notes)) / len(words) < GROUNDED_SHARE:
        found.append(sentence[:60])
    return found


def unsupported(sentence: str, notes: str, language: str = "zh") -> list[str]:
    """What in a sentence about the children the notes do not hold (nothing: it is grounded)."""
    if is_english(language):
        return unsupported_in_english(sentence, notes)
    if any(phrase in sentence for phrase in _NO_EVIDENCE_PHRASES):
        return []
    flat = re.sub(r"\s", "", notes)
    # "（记录3）" and "第2环节" point at the notes and the plan; they are no claim about the children.
    sentence = _POINTER.sub("", sentence)
    found = [f"“{quote}”" for quote in _QUOTE.findall(sentence) if re.sub(r"\s", "", quote) not in flat]
    found += [count.strip() for count in _COUNT.findall(sentence) if count.strip() not in flat]
    found += [word for word in SWEEPING if word in sentence and word not in flat]
    words = bigrams(sentence)
    if not found and words and len(words & bigrams(notes)) / len(words) < GROUNDED_SHARE:
        found.append(sentence[:20])
    return found


def labels_in(text: str, language: str = "zh") -> list[str]:
    if is_english(language):
        return [match.group(2).lower() for match in english.LABEL.finditer(text)]
    plain = text
    for word in _NOT_LABELS:
        plain = plain.replace(word, "")
    return [match.group(2) for match in _LABEL.finditer(plain)]


def unlabelled(text: str, language: str = "zh") -> str:
    """The text with each label about a child replaced by a description of behaviour."""
    if is_english(language):
        return english.LABEL.sub(lambda match: english.LABEL_WORDS[match.group(2).lower()], text)
    kept = {f"\0{i}\0": word for i, word in enumerate(_NOT_LABELS)}
    for marker, word in kept.items():
        text = text.replace(word, marker)
    text = _LABEL.sub(lambda match: LABEL_WORDS[match.group(2)], text)
    for marker, word in kept.items():
        text = text.replace(marker, word)
    return text


def prose_fields(reflection: Reflection) -> list[tuple[str, str]]:
    """(field, text) of everything the model wrote about the children and the activity."""
    fields = [(f"child_facts:{i}", text) for i, text in enumerate(reflection.child_facts)]
    fields += [(f"goal_reviews:{i}", review.evidence) for i, review in enumerate(reflection.goal_reviews)]
    fields += [("timing_review", reflection.timing_review), ("next_time", reflection.next_time)]
    fields += [(f"suggestions:{i}", item.text) for i, item in enumerate(reflection.suggestions)]
    fields += [
        (f"revised_plan.step:{c.step - 1}", reflection.revised_plan.steps[c.step - 1].children)
        for c in reflection.changes
        if c.step <= len(reflection.revised_plan.steps)
    ]
    return fields


def check_reflection(reflection: Reflection, scaffold: ReflectionScaffold) -> list[Defect]:
    """Every defect the checks find (nothing repaired)."""
    defects: list[Defect] = []
    notes = scaffold.notes_text()
    language = scaffold.request.language
    claims = [(f"child_facts:{i}", text) for i, text in enumerate(reflection.child_facts)]
    claims += [(f"goal_reviews:{i}", review.evidence) for i, review in enumerate(reflection.goal_reviews)]
    for name, text in claims:
        if words := unsupported(text, notes, language):
            defects.append(
                Defect(
                    "invented_claim",
                    "reflection",
                    name,
                    f"记录里没有的说法：{'、'.join(words)} / a claim about the children that is not in your notes",
                    tuple(words),
                )
            )
    for name, text in prose_fields(reflection):
        if words := labels_in(text, language):
            defects.append(
                Defect(
                    "label_word",
                    "reflection",
                    name,
                    f"给幼儿贴了标签：{'、'.join(words)}，请写孩子做了什么 / a label about a child; describe what the child did",
                    tuple(words),
                )
            )
    numbers = {note.number for note in scaffold.notes}
    for index, item in enumerate(reflection.suggestions):
        if item.note not in numbers:
            defects.append(
                Defect(
                    "untied_suggestion",
                    "reflection",
                    f"suggestions:{index}",
                    f"这条建议没有对应您的任何一条记录：{item.text[:20]} / a suggestion tied to none of your notes",
                )
            )
    plan, revised = scaffold.plan, reflection.revised_plan
    for index in scaffold.to_revise:
        if index < len(revised.steps) and step_content(plan.steps[index]) == step_content(revised.steps[index]):
            overran = index in scaffold.overran
            defects.append(
                Defect(
                    "overrun_unchanged" if overran else "named_unchanged",
                    f"step:{index}",
                    "revised_plan",
                    (
                        f"第{index + 1}环节超时了，修订的教案却没有改它 / step {index + 1} ran over time but was not changed"
                        if overran
                        else f"您的记录提到第{index + 1}环节要改，修订的教案却没有改它 / your notes name step {index + 1} but it was not changed"
                    ),
                )
            )
    minutes = [step.minutes for step in revised.steps]
    if revised.steps and (sum(minutes) != revised.minutes or revised.minutes != scaffold.total):
        defects.append(
            Defect(
                "minutes_sum",
                "reflection",
                "revised_plan.minutes",
                f"修订教案各环节合计{sum(minutes)}分钟，应为{scaffold.total}分钟 / the steps' minutes sum to"
                f" {sum(minutes)}, not {scaffold.total}",
            )
        )
    return defects


# --- repairs ---------------------------------------------------------------------------------------


def repair_by_code(reflection: Reflection, scaffold: ReflectionScaffold) -> Reflection:
    """What code can repair exactly: no invented fact, no label, no untied suggestion, code's minutes."""
    notes_text = scaffold.notes_text()
    language = scaffold.request.language

    def unlabel(text: str) -> str:
        return unlabelled(text, language)

    facts = [unlabel(text) for text in reflection.child_facts if not unsupported(text, notes_text, language)]
    if not facts:  # the teacher's own sentences about the children are facts by construction
        facts = [note.text for note in scaffold.notes if note.source == "children"][:4]
    reviews = [
        review.model_copy(update={"evidence": unlabel(review.evidence)})
        if not unsupported(review.evidence, notes_text, language)
        else review.model_copy(update={"evidence": no_evidence(language), "achieved": "未观察到"})
        for review in reflection.goal_reviews
    ]
    numbers = {note.number for note in scaffold.notes}
    suggestions = [
        item.model_copy(update={"text": unlabel(item.text)}) for item in reflection.suggestions if item.note in numbers
    ]
    if not suggestions:
        suggestions = suggestions_from_notes(scaffold)
    revised = with_code_minutes(reflection.revised_plan, scaffold)
    steps = list(revised.steps)
    for change in reflection.changes:
        index = change.step - 1
        if index < len(steps):
            steps[index] = steps[index].model_copy(update={"children": unlabel(steps[index].children)})
    repaired = reflection.model_copy(
        update={
            "child_facts": facts,
            "goal_reviews": reviews,
            "timing_review": unlabel(reflection.timing_review),
            "next_time": unlabel(reflection.next_time),
            "suggestions": suggestions,
            "revised_plan": revised.model_copy(update={"steps": steps}),
        }
    )
    return apply_reflection_rules(repaired, scaffold)


def suggestions_from_notes(scaffold: ReflectionScaffold) -> list[Suggestion]:
    """Suggestions code writes when none of the model's answered a note: one per change or timing note."""
    chosen = [note for note in scaffold.notes if note.source == "changes"] or [
        note for note in scaffold.notes if note.source in ("timing", "surprises")
    ]
    suggestions = []
    for note in chosen[:3]:
        named = sorted(steps_named(note.text, scaffold.plan))
        if is_english(scaffold.request.language):
            text = english.suggestion_for_steps(named) if named else english.SUGGESTION_WITHOUT_STEP
        else:
            text = (
                f"按这条记录，修订的教案调整了第{'、'.join(str(i + 1) for i in named)}环节。"
                if named
                else "下次活动前，按这条记录调整活动安排。"
            )
        suggestions.append(Suggestion(note=note.number, note_text=note.text, text=text))
    return suggestions


def with_code_minutes(plan: LessonPlan, scaffold: ReflectionScaffold) -> LessonPlan:
    """The plan's minutes as code set them: the revised minutes when the steps are the plan's,
    otherwise the current minutes fitted to the total."""
    if len(plan.steps) == len(scaffold.revised_minutes):
        minutes = scaffold.revised_minutes
    else:
        minutes = fit_total([step.minutes for step in plan.steps], scaffold.total)
    steps = [step.model_copy(update={"minutes": minute}) for step, minute in zip(plan.steps, minutes, strict=True)]
    return plan.model_copy(update={"steps": steps, "minutes": scaffold.total if steps else plan.minutes})


def shortened(step: ProcessStep, language: str = "zh") -> ProcessStep:
    """A step code shortens when the model's rewrite left it unchanged: two sentences of teacher
    talk and two questions, and where that is already all, one round with the rest left for later."""
    in_english = is_english(language)
    splitter = english.SENTENCE if in_english else _SENTENCE
    sentences = [part for part in splitter.split(step.teacher) if part.strip()]
    teacher = "".join(sentences[:2]).strip() if in_english else "".join(sentences[:2])
    questions = list(step.key_questions[:2])
    if teacher == step.teacher and questions == list(step.key_questions):
        tail = english.SHORT_OF_TIME if in_english else "（时间紧：只做一轮，其余的留到区域活动里继续。）"
        limit = TEACHER_CHARS * (3 if in_english else 1)  # ProcessStep.teacher's bound in the plan's language
        teacher = step.teacher[: limit - len(tail)] + tail
    return step.model_copy(update={"teacher": teacher, "key_questions": questions})


RewriteStep = Callable[[Reflection, int, str], Reflection]
UNCHANGED = ("overrun_unchanged", "named_unchanged")


def step_fix(index: int, scaffold: ReflectionScaffold) -> str:
    """The instruction for writing a step again, naming why it must change."""
    if is_english(scaffold.request.language):
        return english.step_fix("; ".join(scaffold.reasons.get(index, [])), scaffold.revised_minutes[index])
    why = "；".join(scaffold.reasons.get(index, []))
    return f"【必须修改】这个环节必须和原来不同：{why}。请精简：少讲一点、少问一点，让幼儿在{scaffold.revised_minutes[index]}分钟内做完。"


def validate_reflection(
    reflection: Reflection, scaffold: ReflectionScaffold, rewrite_step: RewriteStep | None = None
) -> tuple[Reflection, CheckReport]:
    """Check the reflection and repair what is found: code first; a step that had to change but did
    not is written once more by the model with the problem named, then shortened by code."""
    started = time.monotonic()
    report = CheckReport(before=check_reflection(reflection, scaffold))
    reflection = repair_by_code(reflection, scaffold)
    remaining = check_reflection(reflection, scaffold)
    report.code_repairs = len(report.before) - len(remaining)
    for defect in [d for d in remaining if d.kind in UNCHANGED]:
        index = int(defect.section.split(":")[1])
        if rewrite_step is not None:
            reflection = repair_by_code(rewrite_step(reflection, index, step_fix(index, scaffold)), scaffold)
            report.rewrites += 1
        if step_content(reflection.revised_plan.steps[index]) == step_content(scaffold.plan.steps[index]):
            step = shortened(reflection.revised_plan.steps[index], scaffold.request.language)
            reflection = with_step(reflection, index, step, scaffold)
            report.code_repairs += 1
    report.after = check_reflection(reflection, scaffold)
    report.seconds = time.monotonic() - started
    return reflection, report


def with_step(reflection: Reflection, index: int, step: ProcessStep, scaffold: ReflectionScaffold) -> Reflection:
    """The reflection with one revised step replaced, the lesson plan's rules applied to it."""
    steps = list(reflection.revised_plan.steps)
    steps[index] = step
    revised = apply_code_rules(
        reflection.revised_plan.model_copy(update={"steps": steps}),
        scaffold.lesson_scaffold,
        sections=[f"step:{index}"],
    )
    return apply_reflection_rules(reflection.model_copy(update={"revised_plan": revised}), scaffold)
