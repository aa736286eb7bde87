"""Section-by-section comparison of two plans (version diff, 一键修正 preview, adapt vs source)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from lesson_studio.models import LessonPlan


@dataclass(frozen=True)
class SectionDiff:
    label: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after

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
