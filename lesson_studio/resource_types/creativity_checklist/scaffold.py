"""Structure by code for a 创造力观察清单: the four dimensions and the learning dispositions, the
three marks, a sheet per child (one blank sheet when no names are given), what each band can be
expected to show, and the look-fors code falls back on.

The dimensions are Torrance's (fluency, flexibility, originality, elaboration) as DOMAIN.md §1.1
asks: lenses for noticing, never scores. The dispositions are DOMAIN.md §3's checklist items beyond
the four dimensions (asks questions, unusual use of materials, builds on a peer's idea, persists
after failure, explains a choice, tries again after testing), each tied to the 学习品质 the 《指南》
说明 asks teachers to protect. Their look-fors are code's: they do not change with the activity.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from lesson_studio.authoring.english import is_english
from lesson_studio.resource_types.creativity_checklist import english
from lesson_studio.resource_types.creativity_checklist.schema import ChecklistItem, ChecklistRequest

TITLE_CHARS = 40
TITLE_CHARS_EN = 120  # English takes about three times the characters


@dataclass(frozen=True)
class Lens:
    id: str
    name: str
    meaning: str
    fallback: tuple[str, ...]  # look-fors code uses when the model's are unusable (DOMAIN.md §3's items)


DIMENSIONS = (
    Lens("fluency", "流畅性", "想出的办法多不多", ("为同一个问题说出或做出三个以上的办法",)),
    Lens("flexibility", "变通性", "办法是不是来自不同的思路", ("想出的办法属于两种以上不同的做法，一种不行会换一种",)),
    Lens("originality", "独创性", "有没有和同伴都不一样的办法", ("想出一个班里其他幼儿没有用过的办法",)),
    Lens("elaboration", "精细性", "会不会给自己的办法添细节、改进", ("给自己的作品或办法添加细节，或者动手改进它",)),
)
# (id, name, the 学习品质 it shows, the look-for)
DISPOSITIONS = (
    Lens("asks_questions", "提出问题", "好奇、敢于探究", ("主动问“为什么”“怎么办”，提出自己想知道的问题",)),
    Lens("unusual_use", "材料新用法", "乐于想象和创造", ("把材料用在和平常不一样的地方",)),
    Lens("builds_on_peer", "借同伴的点子", "积极主动、乐于合作", ("在同伴的点子上加一加、变一变，做出新的办法",)),
    Lens("persists", "不怕失败", "不怕困难", ("试了没成功，还接着想办法，不放弃",)),
    Lens("explains_choice", "说出理由", "认真专注", ("能说出自己为什么选这个办法",)),
    Lens("tries_again", "试后再改", "敢于探究和尝试", ("试过以后发现问题，改一改再试一次",)),
)
LENSES = {lens.id: lens for lens in (*DIMENSIONS, *DISPOSITIONS)}

# What each band can be expected to show (DOMAIN.md §1.3, step ② 想办法), for the model's look-fors.
BAND_NOTES = {
    "小班": "小班幼儿多用动作和摆弄材料表达办法，能想出两三个办法就很好，不要求用语言说清楚或记录。",
    "中班": "中班幼儿能想出几个办法，可以用图画记录，开始愿意听同伴的想法。",
    "大班": "大班幼儿能想出许多办法，会在同伴的点子上改进，能说出选择的理由。",
    "混龄": "混龄班里年龄小的幼儿多用动作表达，年龄大的能用语言和图画说清楚，看要点时两种都算。",
}
# How to use the sheet, printed on every copy: it notices each child, it never compares them
# (《指南》: 切忌用一把"尺子"衡量所有幼儿).
PRINCIPLE = (
    "只记下看到的行为：每一项勾一个（未观察到、偶尔、经常），并写一句看到的事实。"
    "这张清单用来发现和支持每个孩子，不用来给孩子比较高低。"
)


class ChecklistScaffold(BaseModel):
    request: ChecklistRequest
    title: str
    principle: str
    items: list[ChecklistItem]  # the dimensions' look-fors are empty until the model writes them
    children: list[str]  # a sheet each; [""] is one blank sheet
    band_note: str
    warnings: list[str]


def fallback_look_fors(item_id: str, language: str = "zh") -> list[str]:
    if is_english(language):
        return [english.LENSES[item_id][2]]
    return list(LENSES[item_id].fallback)


def lens_in(lens: Lens, language: str) -> Lens:
    """The lens with its name, meaning and look-for in the checklist's language (the id is data)."""
    if not is_english(language):
        return lens
    name, meaning, fallback = english.LENSES[lens.id]
    return Lens(lens.id, name, meaning, (fallback,))


def build_checklist_scaffold(request: ChecklistRequest) -> ChecklistScaffold:
    """The checklist's structure for the request. Pure and deterministic."""
    language = request.language
    in_english = is_english(language)
    dimensions = [lens_in(lens, language) for lens in DIMENSIONS]
    items = [ChecklistItem(id=lens.id, kind="dimension", name=lens.name, meaning=lens.meaning) for lens in dimensions]
    prefix = english.DISPOSITION_PREFIX if in_english else "学习品质："
    items += [
        ChecklistItem(
            id=lens.id,
            kind="disposition",
            name=lens.name,
            meaning=f"{prefix}{lens.meaning}",
            look_fors=list(lens.fallback),
        )
        for lens in (lens_in(lens, language) for lens in DISPOSITIONS)
    ]
    activity = request.activity.strip().rstrip("." if in_english else "。")
    return ChecklistScaffold(
        request=request,
        title=english.title(activity)[:TITLE_CHARS_EN] if in_english else f"创造力观察清单：{activity}"[:TITLE_CHARS],
        principle=english.PRINCIPLE if in_english else PRINCIPLE,
        items=items,
        children=list(request.children) or [""],
        band_note=(english.BAND_NOTES if in_english else BAND_NOTES)[request.age_band],
        warnings=[],
    )
