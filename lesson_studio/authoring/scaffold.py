"""Structure by code: the skeleton of a plan that the model then fills.

Everything a small model gets wrong when left to itself is decided here, deterministically:
which CPS stages an age band can handle and in which order (DOMAIN.md §1.3), minutes per step
summing to the request, the band's time cap, brainstorming rules in child language placed before
idea generation, group size and band bans, and the safety notes for the listed materials (from
resources/hazards.toml). The teacher can see and override the structure, never the safety notes.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import BaseModel, Field

from lesson_studio.authoring import english
from lesson_studio.config import RESOURCES_DIR
from lesson_studio.models import CpsStage, LessonRequest, Phase, SafetyNote


@dataclass(frozen=True)
class BandRules:
    """What one age band can do in a collective activity (DOMAIN.md §1.3, §2.1, rubric item 9)."""

    cap_min: int
    cap_max: int
    stages: tuple[CpsStage, ...]
    group_size: str
    idea_goal: str
    brainstorm_rules: tuple[str, ...]
    bans: tuple[str, ...]
    # One support for children who get stuck and one challenge for those who finish early, in the
    # teacher's words for this band (DOMAIN.md rubric item 11): added to 试一试改一改 when the model
    # left either out, as the brainstorming rules are added to 想办法.
    tiers: str = ""


# Time caps: the commonly cited 15–20 / 20–25 / 25–30 minutes (DOMAIN.md §2.1).
# 小班 does not formally select among ideas: the teacher offers two choices or each child tries
# their own, so 选办法 is left out of its sequence (DOMAIN.md §1.3 step ③).
BAND_RULES: dict[str, BandRules] = {
    "小班": BandRules(
        cap_min=15,
        cap_max=20,
        stages=("发现问题", "想办法", "试一试改一改", "分享"),
        group_size="个人或两人结伴",
        idea_goal="2～3个点子，多用动作和摆弄材料来表达",
        brainstorm_rules=("想到什么都可以说、可以做出来", '不说"不行"'),
        tiers="分层支持：遇到困难的孩子，教师递上半成品或手把手帮一下；先做好的孩子，挑战再换一种办法试试。",
        bans=(
            "不做文字记录、图表或统计",
            "不做正式的预测或猜想记录",
            "不分组竞赛，不按组分工",
            "不读量杯、尺子等刻度",
            "剪刀只沿直线剪，不剪曲线",
        ),
    ),
    "中班": BandRules(
        cap_min=20,
        cap_max=25,
        stages=("发现问题", "想办法", "选办法", "试一试改一改", "分享"),
        group_size="2～4人一组",
        idea_goal="多个点子，用图画记录",
        brainstorm_rules=('不说"不行"', "点子越多越好", "奇怪的点子也欢迎"),
        tiers="分层支持：遇到困难的孩子，给一张提示卡，或请旁边的同伴帮忙；提前完成的孩子，挑战让它更稳，或换一种材料再做一个。",
        bans=("可以用图画或符号记录，但不要求写字", "选办法只做简单投票"),
    ),
    "大班": BandRules(
        cap_min=25,
        cap_max=30,
        stages=("发现问题", "想办法", "选办法", "试一试改一改", "分享"),
        group_size="4～6人一组",
        idea_goal="很多点子，并在同伴的点子上变一变",
        brainstorm_rules=('不说"不行"', "点子越多越好", "奇怪的点子也欢迎", "借别人的点子变一变"),
        tiers="分层支持：遇到困难的小组，给提示卡或半成品，请做成的同伴当小老师；提前完成的小组，挑战升级（更高、更稳，或用更少的材料）。",
        bans=("可用简单图表、计划图和投票，但不做书面作业或抄写",),
    ),
    # Mixed-age groups are planned at the 中班 level, with older children as helpers.
    "混龄": BandRules(
        cap_min=20,
        cap_max=25,
        stages=("发现问题", "想办法", "选办法", "试一试改一改", "分享"),
        group_size="大带小，2～4人混龄结伴",
        idea_goal="人人有点子：小的做出来，大的说出来、画下来",
        brainstorm_rules=('不说"不行"', "点子越多越好", "奇怪的点子也欢迎"),
        tiers="分层支持：大孩子帮助遇到困难的小孩子；提前完成的孩子，挑战换一种材料再做一个。",
        bans=("记录以图画为主，不要求写字", "小年龄幼儿注意小零件误食"),
    ),
}

# Share of the activity each stage gets before rounding. 发现问题 opens the activity (导入),
# and DOMAIN.md rubric item 4 keeps 导入 at or under 20% of the total.
STAGE_WEIGHTS: dict[str, float] = {
    "发现问题": 0.15,
    "想办法": 0.25,
    "选办法": 0.12,
    "试一试改一改": 0.33,
    "分享": 0.15,
}

STAGE_GUIDANCE: dict[str, str] = {
    "发现问题": "用情境、故事或实物呈现一个真实的小麻烦，问\u201c你看到了什么？\u201d，把问题说成\u201c我们怎样才能……？\u201d",
    "想办法": "先用儿童语言说清想办法的约定，再请幼儿说、画、做出尽可能多的点子，多问\u201c还有呢？\u201d；教师记录每个点子，不评判",
    "选办法": "给出幼儿能用的标准（安全吗？做得到吗？能解决问题吗？），用贴纸投票或说说好的地方、担心的地方、怎么改",
    "试一试改一改": "点子说完后再发材料；教师不示范\u201c正确答案\u201d，把失败当作信息，鼓励试了再改",
    "分享": "围坐分享：做了什么、怎么改的、谁会用、什么时候用；引出延伸活动",
}

# 小学化 content (rubric item 14): drills that the 《指南》 forbids as 超前教育. A request for them
# becomes a play-based activity on the same content, and the teacher is told why.
# What the model is told instead of each drill: given the drill's name as the topic, the small model
# wrote the drill (a 大班 plan "学习竖式加法" taught column addition in every step) although the
# teacher was told otherwise.
PLAY_INSTEAD: dict[str, str] = {
    "竖式": "",
    "拼音": "声音游戏",
    "识字卡": "图画卡",
    "抄写": "画一画",
    "作业单": "游戏记录卡",
    "练习册": "游戏记录卡",
    "口算": "数一数",
    "默写": "说一说",
    "听写": "听一听",
    "试卷": "游戏记录卡",
    "写字练习": "画一画",
}
SCHOOLIFICATION_WORDS: tuple[str, ...] = tuple(PLAY_INSTEAD)


def play_based(text: str, language: str = "zh") -> str:
    """The text with each 小学化 drill named in it replaced by its play-based counterpart."""
    if english.is_english(language):
        for word in sorted(english.PLAY_INSTEAD, key=len, reverse=True):
            text = re.sub(re.escape(word), english.PLAY_INSTEAD[word], text, flags=re.IGNORECASE)
    else:
        for word in sorted(SCHOOLIFICATION_WORDS, key=len, reverse=True):
            text = text.replace(word, PLAY_INSTEAD[word])
    return re.sub(r"\s{2,}", " ", text).strip()


# Every plan carries a band-wide note, whatever the materials: the validator prior art requires
# 小班 plans to mention 误食 (DOMAIN.md §2.2), and supervision applies to every band.
GENERAL_SAFETY: dict[str, SafetyNote] = {
    "小班": SafetyNote(
        hazard_id="general_xiaoban",
        material="全部材料",
        note="活动前检查材料无尖角、无易脱落小零件；提醒幼儿不把材料放进嘴、鼻、耳，防止误食；教师全程看护。",
    ),
    "中班": SafetyNote(
        hazard_id="general",
        material="全部材料",
        note="活动前检查材料完好、无尖角；操作时保持合适间距，教师巡回看护。",
    ),
    "大班": SafetyNote(
        hazard_id="general",
        material="全部材料",
        note="活动前与幼儿约定安全使用材料的规则；操作时保持合适间距，教师巡回看护。",
    ),
    "混龄": SafetyNote(
        hazard_id="general_xiaoban",
        material="全部材料",
        note="小年龄幼儿防误食：不把材料放进嘴、鼻、耳；大带小操作时教师全程看护。",
    ),
}


class StepSlot(BaseModel):
    """One row of 活动过程 as decided by code; the model writes its content."""

    phase: Phase
    cps_stage: CpsStage
    minutes: int
    guidance: str


class Scaffold(BaseModel):
    request: LessonRequest
    cap_min: int
    cap_max: int
    group_size: str
    idea_goal: str
    steps: list[StepSlot]
    brainstorm_rules: list[str]
    tiers: str = ""  # support + challenge for 试一试改一改 (see BandRules.tiers)
    band_bans: list[str]
    safety_notes: list[SafetyNote]
    child_materials: list[str]  # what children may handle
    teacher_only_materials: list[str]  # banned for children: the teacher handles or replaces them
    warnings: list[str] = Field(default_factory=list)  # shown to the teacher, with the reason
    topic: str = ""  # the topic as the model is told it (小学化 drills replaced); the request keeps the teacher's words
    notes: str = ""


@dataclass(frozen=True)
class Hazard:
    id: str
    keywords: tuple[str, ...]
    severity: str
    bands: tuple[str, ...]
    note: str
    replacement: str = ""
    exact: tuple[str, ...] = ()  # words that count only as a whole material name ("水", not 水彩笔)
    # What children handle instead, so the activity stays theirs (小班 string 大颗粒材料, not watch
    # the teacher string small beads: bench/quality.py r05); "" where only the teacher can act.
    for_children: str = ""
    # The same hazard for a plan asked for in English (resources/hazards_en.toml): whole-word
    # keywords, and the note, replacement and substitute as an English-speaking teacher reads them.
    keywords_en: tuple[str, ...] = ()
    exact_en: tuple[str, ...] = ()
    note_en: str = ""
    replacement_en: str = ""
    for_children_en: str = ""

    def text(self, language: str) -> tuple[str, str, str]:
        """(note, replacement, for_children) in the plan's language."""
        if english.is_english(language) and self.note_en:
            return self.note_en, self.replacement_en, self.for_children_en
        return self.note, self.replacement, self.for_children


def load_hazards(path: Path | None = None) -> tuple[Hazard, ...]:
    """The materials-hazard table that writes the mandatory safety notes."""
    return _load_hazards_cached(str(path or RESOURCES_DIR / "hazards.toml"))


@cache
def _load_hazards_cached(path: str) -> tuple[Hazard, ...]:
    with open(path, "rb") as handle:
        rows = tomllib.load(handle)["hazard"]
    english_path = Path(path).with_name(Path(path).stem + "_en.toml")
    english_rows: dict[str, dict] = {}
    if english_path.exists():
        with open(english_path, "rb") as handle:
            english_rows = tomllib.load(handle)
    return tuple(
        Hazard(
            id=row["id"],
            keywords=tuple(row["keywords"]),
            severity=row["severity"],
            bands=tuple(row["bands"]),
            note=row["note"],
            replacement=row.get("replacement", ""),
            exact=tuple(row.get("exact", ())),
            for_children=row.get("for_children", ""),
            keywords_en=tuple(english_rows.get(row["id"], {}).get("keywords", ())),
            exact_en=tuple(english_rows.get(row["id"], {}).get("exact", ())),
            note_en=english_rows.get(row["id"], {}).get("note", ""),
            replacement_en=english_rows.get(row["id"], {}).get("replacement", ""),
            for_children_en=english_rows.get(row["id"], {}).get("for_children", ""),
        )
        for row in rows
    )


def english_words_in(text: str, words: tuple[str, ...]) -> list[str]:
    """The English keywords found in text as whole words, case-insensitive, plurals too
    ("candles", "boxes"): "pin" must not match inside "spinning" as 线 matches inside 毛线."""
    lowered = text.lower()
    return [word for word in words if re.search(rf"\b{re.escape(word.lower())}(s|es)?\b", lowered)]


def split_minutes(total: int, stages: tuple[str, ...]) -> list[int]:
    """Minutes per stage, by weight, summing exactly to total (largest-remainder rounding)."""
    weights = [STAGE_WEIGHTS[stage] for stage in stages]
    scale = total / sum(weights)
    raw = [weight * scale for weight in weights]
    minutes = [max(1, int(value)) for value in raw]
    # Hand out what rounding down left over, largest remainder first; take back if the 1-minute
    # floor overshot (only possible for absurdly short requests).
    order = sorted(range(len(raw)), key=lambda i: raw[i] - int(raw[i]), reverse=True)
    i = 0
    while sum(minutes) < total:
        minutes[order[i % len(order)]] += 1
        i += 1
    while sum(minutes) > total:
        largest = max(range(len(minutes)), key=lambda j: minutes[j])
        minutes[largest] -= 1
    return minutes


def matched_hazards(request: LessonRequest, hazards: tuple[Hazard, ...]) -> list[tuple[Hazard, list[str]]]:
    """Hazards whose keywords occur in the materials, topic or notes, with every word that matched."""
    text_fields = [*request.materials, request.topic, request.notes]
    matches: list[tuple[Hazard, list[str]]] = []
    in_english = english.is_english(request.language)
    for hazard in hazards:
        if request.age_band not in hazard.bands:
            continue
        if in_english:
            # An English teacher may still write a Chinese material name: both tables apply.
            words = english_words_in("\n".join(text_fields), hazard.keywords_en)
            words += [kw for kw in hazard.keywords if any(kw in field for field in text_fields)]
            exact = {word.lower() for word in (*hazard.exact_en, *hazard.exact)}
            words += [m.strip() for m in request.materials if m.strip().lower() in exact and m.strip() not in words]
        else:
            words = [kw for kw in hazard.keywords if any(kw in field for field in text_fields)]
            words += [m.strip() for m in request.materials if m.strip() in hazard.exact and m.strip() not in words]
        # "线" inside "毛线", "报纸" inside "旧报纸": name the material once, by its longer word.
        words = [w for w in words if not any(w != other and w in other for other in words)]
        if words:
            matches.append((hazard, words))
    return matches


def build_scaffold(request: LessonRequest, *, hazards: tuple[Hazard, ...] | None = None) -> Scaffold:
    """Decide the plan's structure for the request. Pure and deterministic. What code writes is in
    the request's language (authoring.english for English); the structure is the same."""
    rules = BAND_RULES[request.age_band]
    hazards = load_hazards() if hazards is None else hazards
    in_english = english.is_english(request.language)
    warnings: list[str] = []

    if request.minutes > rules.cap_max:
        warnings.append(
            english.over_cap_warning(request.age_band, rules.cap_max, request.minutes)
            if in_english
            else f"{request.age_band}集体活动一般不超过{rules.cap_max}分钟，您设定了{request.minutes}分钟："
            "请考虑分成两次活动，或在计划中安排动静交替和休息。"
        )
    elif request.minutes < rules.cap_min:
        warnings.append(
            english.under_cap_warning(request.age_band, rules.cap_min, rules.cap_max, request.minutes)
            if in_english
            else f"{request.age_band}集体活动通常为{rules.cap_min}～{rules.cap_max}分钟，{request.minutes}分钟较短，"
            "环节会比较紧凑。"
        )

    stages = rules.stages
    # A very short activity cannot hold every stage: keep 想办法 + 试一试 as the CPS core (DOMAIN.md §1.3 meta step).
    if request.minutes < 10:
        stages = tuple(stage for stage in stages if stage in ("想办法", "试一试改一改"))
        warnings.append(
            english.SHORT_ACTIVITY_WARNING
            if in_english
            else "活动不足10分钟，只保留\u201c想办法\u201d和\u201c试一试改一改\u201d两个环节。"
        )
    minutes = split_minutes(request.minutes, stages)
    guidance = english.STAGE_GUIDANCE if in_english else STAGE_GUIDANCE
    steps = [
        StepSlot(
            phase=_phase_for(index, len(stages), stage),
            cps_stage=stage,
            minutes=step_minutes,
            guidance=guidance[stage],
        )
        for index, (stage, step_minutes) in enumerate(zip(stages, minutes, strict=True))
    ]

    safety_notes: list[SafetyNote] = []
    teacher_only: list[str] = []
    instead_for_children: list[str] = []
    for hazard, words in matched_hazards(request, hazards):
        named = ", ".join(words) if in_english else "、".join(words)
        note, replacement, for_children = hazard.text(request.language)
        safety_notes.append(SafetyNote(hazard_id=hazard.id, material=named, note=note, severity=hazard.severity))
        if hazard.severity == "ban":
            # The things the teacher listed (蜡烛、打火机), not an action the topic names (点燃),
            # which read as a material in "点燃只能由教师操作".
            listed = [word for word in words if any(word.lower() in material.lower() for material in request.materials)]
            teacher_only.extend(word for word in (listed or words) if word not in teacher_only)
            if for_children and for_children not in instead_for_children:
                instead_for_children.append(for_children)
            if in_english:
                warnings.append(english.banned_material_warning(named, replacement, note))
            else:
                instead = f"，可改用{replacement}" if replacement else ""
                warnings.append(f"\u201c{named}\u201d不适合幼儿自己操作：改为教师操作或不用{instead}。原因：{note}")
    general = GENERAL_SAFETY[request.age_band]
    if in_english:
        general = general.model_copy(
            update={"material": english.ALL_MATERIALS, "note": english.GENERAL_SAFETY[request.age_band]}
        )
    safety_notes.append(general)
    child_materials = [m for m in request.materials if not any(word.lower() in m.lower() for word in teacher_only)]
    child_materials += [m for m in instead_for_children if m not in child_materials]

    drills = english.PLAY_INSTEAD if in_english else PLAY_INSTEAD
    text = f"{request.topic}\n{request.notes}"
    school_words = [w for w in drills if (w in text.lower() if in_english else w in text)]
    if school_words:
        warnings.append(
            english.drills_warning(school_words)
            if in_english
            else f"请求中的\u201c{'、'.join(school_words)}\u201d属于小学化训练，《指南》明确反对拔苗助长式的超前教育："
            "本教案改为围绕同一内容的游戏化、动手解决问题的活动。"
        )
    band = request.age_band
    # Named generically: the drill's own name in the prompt was parroted back into the plan.
    no_drills = english.NO_DRILLS_BAN if in_english else "不出现任何小学化的书面练习，一切通过游戏和动手操作进行"

    return Scaffold(
        request=request,
        cap_min=rules.cap_min,
        cap_max=rules.cap_max,
        group_size=english.GROUP_SIZE[band] if in_english else rules.group_size,
        idea_goal=english.IDEA_GOAL[band] if in_english else rules.idea_goal,
        steps=steps,
        brainstorm_rules=list(english.BRAINSTORM_RULES[band] if in_english else rules.brainstorm_rules),
        tiers=english.TIERS[band] if in_english else rules.tiers,
        band_bans=list(english.BANS[band] if in_english else rules.bans) + ([no_drills] if school_words else []),
        safety_notes=safety_notes,
        child_materials=child_materials,
        teacher_only_materials=teacher_only,
        warnings=warnings,
        topic=play_based(request.topic, request.language) if school_words else request.topic,
        notes=play_based(request.notes, request.language) if school_words else request.notes,
    )


def _phase_for(index: int, count: int, stage: str) -> Phase:
    if count > 2 and index == 0:
        return "导入"
    if count > 2 and index == count - 1:
        return "结束"
    return "展开"


def brainstorm_rules_sentence(scaffold: Scaffold) -> str:
    """The child-language rules as the teacher says them, e.g. 师：想办法的约定：……"""
    if english.is_english(scaffold.request.language):
        return english.RULES_LEAD + "; ".join(scaffold.brainstorm_rules) + ". "
    return "想办法的约定：" + "；".join(scaffold.brainstorm_rules) + "。"


# Words that show a plan supports children who get stuck, and challenges those who finish early
# (the rubric's 分层支持 check uses the same lists).
SUPPORT_WORDS = ("提示卡", "半成品", "同伴", "帮助", "个别指导", "支持")
CHALLENGE_WORDS = ("挑战", "提前完成", "更难", "再试", "升级", "进一步")


def has_tiers(text: str) -> bool:
    """Whether the text offers both a support and a challenge (in Chinese or in English)."""
    lowered = text.lower()
    support = SUPPORT_WORDS + english.SUPPORT_WORDS
    challenge = CHALLENGE_WORDS + english.CHALLENGE_WORDS
    return any(word in lowered for word in support) and any(word in lowered for word in challenge)


def mentions_rules(text: str, scaffold: Scaffold) -> bool:
    """Whether a teacher line already states the brainstorming rules (at least one of them)."""
    normalized = re.sub(r"[\u201c\u201d\"]", "", text)
    return any(re.sub(r"[\u201c\u201d\"]", "", rule) in normalized for rule in scaffold.brainstorm_rules)
