"""Section-by-section comparison of two plans (version diff, 一键修正 preview, adapt vs source)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from lesson_studio.models import Hit, LessonPlan


@dataclass(frozen=True)
class SectionDiff:
    label: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def segments(self) -> list[tuple[str, str]]:
        """The change as (kind, text) runs — "equal", "delete" (only before), "insert" (only after) —
        so a page can highlight the changed words. Equal runs of one character between two changes
        are folded into the change: 改成了 reads better than 改[-成-]{+了+}."""
        runs: list[tuple[str, str]] = []
        for op, a0, a1, b0, b1 in difflib.SequenceMatcher(None, self.before, self.after, autojunk=False).get_opcodes():
            if op == "equal":
                runs.append(("equal", self.before[a0:a1]))
                continue
            if op in ("delete", "replace"):
                runs.append(("delete", self.before[a0:a1]))
            if op in ("insert", "replace"):
                runs.append(("insert", self.after[b0:b1]))
        folded: list[tuple[str, str]] = []
        for index, (kind, text) in enumerate(runs):
            between_changes = 0 < index < len(runs) - 1 and runs[index - 1][0] != "equal" and runs[index + 1][0] != "equal"
            if kind == "equal" and len(text) == 1 and between_changes:
                folded += [("delete", text), ("insert", text)]
            else:
                folded.append((kind, text))
        merged: list[tuple[str, str]] = []
        for kind, text in folded:
            same = [i for i in range(len(merged) - 1, -1, -1) if merged[i][0] == kind]
            # Join a run with the last run of its kind when only the other side's runs lie between.
            if same and all(merged[i][0] not in ("equal",) for i in range(same[0], len(merged))):
                position = same[0]
                merged[position] = (kind, merged[position][1] + text)
            else:
                merged.append((kind, text))
        return merged

    def inline(self) -> str:
        """The change as text with [-removed-] and {+added+} marks (for the CLI and tests)."""
        out = []
        for op, a0, a1, b0, b1 in difflib.SequenceMatcher(None, self.before, self.after).get_opcodes():
            if op == "equal":
                out.append(self.before[a0:a1])
            if op in ("delete", "replace"):
                out.append(f"[-{self.before[a0:a1]}-]")
            if op in ("insert", "replace"):
                out.append(f"{{+{self.after[b0:b1]}+}}")
        return "".join(out)


def plan_sections(plan: LessonPlan) -> dict[str, str]:
    """The plan as ordered, labelled text sections, the way a teacher reads it."""
    sections = {
        "活动名称": plan.title,
        "基本信息": f"{plan.age_band} · {plan.domain} · {plan.minutes}分钟",
        "设计意图": plan.design_intent,
        "活动目标": "\n".join(f"【{o.dimension}】{o.text}" for o in plan.objectives),
        "重点难点": f"重点：{plan.key_point}\n难点：{plan.difficult_point}",
        "活动准备": "经验：" + "；".join(plan.preparation.experience) + "\n物质："
        + "；".join(f"{m.name}（{m.quantity}，{m.for_whom}）" for m in plan.preparation.materials),
    }
    for number, step in enumerate(plan.steps, start=1):
        sections[f"活动过程{number}·{step.cps_stage}"] = (
            f"{step.phase}·{step.title}（{step.minutes}分钟）\n师：{step.teacher}\n"
            f"提问：{' / '.join(step.key_questions)}\n幼：{step.children}\n意图：{step.intent}"
        )
    sections["活动延伸"] = f"区域：{plan.extension.area}\n家园：{plan.extension.home}"
    sections["安全提示"] = "\n".join(f"{n.material}：{n.note}" for n in plan.safety_notes)
    sections["观察要点"] = "\n".join(plan.observation_points)
    sections["《指南》条目"] = "\n".join(plan.guideline_lines)
    sections["参考资料"] = "\n".join(f"[{c.number}] {c.document_title} {c.heading}" for c in plan.citations)
    return sections


def diff_plans(before: LessonPlan, after: LessonPlan) -> list[SectionDiff]:
    left, right = plan_sections(before), plan_sections(after)
    labels = list(left) + [label for label in right if label not in left]
    return [SectionDiff(label, left.get(label, ""), right.get(label, "")) for label in labels]


# A library lesson's top-level headings, matched by their start, and the plan sections they hold.
SOURCE_SECTIONS = ("设计意图", "活动目标", "重点难点", "活动准备", "活动过程", "活动延伸", "安全提示", "观察要点")
_SOURCE_HEADINGS = {"活动重点": "重点难点", "活动难点": "重点难点"}


def diff_with_source(source: list[Hit], plan: LessonPlan) -> list[SectionDiff]:
    """An adapted plan against the library lesson it came from, section by section: the lesson's
    passages grouped by their top-level heading, the plan's sections as a teacher reads them."""
    before: dict[str, list[str]] = {label: [] for label in SOURCE_SECTIONS}
    for hit in source:
        top = hit.citation.heading.split(" > ")[0].strip()
        label = next((label for label in SOURCE_SECTIONS if top.startswith(label)), None)
        label = label or next((name for prefix, name in _SOURCE_HEADINGS.items() if top.startswith(prefix)), None)
        if label:
            before[label].append(hit.text.strip())
    sections = plan_sections(plan)
    after = {label: sections.get(label, "") for label in SOURCE_SECTIONS}
    after["活动过程"] = "\n\n".join(text for label, text in sections.items() if label.startswith("活动过程"))
    return [SectionDiff(label, "\n".join(before[label]), after[label]) for label in SOURCE_SECTIONS]
