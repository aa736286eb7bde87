"""Structure by code for a 观察记录 / 学习故事: the title, the facts from the form (who, when,
where, who observed, why, by which method), the headings in their order, and what the teacher is
told about her notes before the model writes a word.

The headings follow DOMAIN.md §3: the record first, written plainly (白描), then the analysis, then
the support — the 学习故事's 注意 -> 识别 -> 回应 — and what to observe next (反思/后续).
"""

from __future__ import annotations

from pydantic import BaseModel

from lesson_studio.authoring.english import is_english
from lesson_studio.resource_types.observation_record import english
from lesson_studio.resource_types.observation_record.checks import ELEMENT_NAMES, elements_missing_in, labels_in
from lesson_studio.resource_types.observation_record.schema import ObservationRequest

SECTION_TITLES = ("观察实录（白描 · 注意）", "分析评价（识别）", "支持策略（回应）", "后续观察")
TITLE_CHARS = 60
TITLE_CHARS_EN = 180  # English takes about three times the characters


class ObservationScaffold(BaseModel):
    request: ObservationRequest
    title: str
    section_titles: list[str]
    notes_lack: list[str]  # of the six elements, those the notes do not show (never made up)
    warnings: list[str]


def record_title(request: ObservationRequest) -> str:
    if is_english(request.language):
        return english.record_title(request.child, request.activity or request.place)[:TITLE_CHARS_EN]
    return f"{request.child}的观察记录（{request.activity or request.place}）"[:TITLE_CHARS]


def build_observation_scaffold(request: ObservationRequest) -> ObservationScaffold:
    """The record's structure for the request. Pure and deterministic."""
    warnings = []
    language = request.language
    words = labels_in(request.notes, language)
    lack = [name for name in elements_missing_in(request.notes, language) if name in ("how", "result")]
    if is_english(language):
        # An English record tells the teacher in English only (no Chinese in an English document).
        warnings += [english.labels_warning(words)] if words else []
        warnings += [english.lacking_warning(lack)] if lack else []
    else:
        if words:
            warnings.append(
                f"观察笔记里有贴标签的词：{'、'.join(words)}。记录中会写成看到的具体行为。"
                f" / Your notes label the child ({', '.join(words)}); the record describes behaviour instead."
            )
        if lack:
            named = "、".join(ELEMENT_NAMES[name] for name in lack)
            warnings.append(
                f"观察笔记里没有写到：{named}。记录不会替您编写，请补充笔记后重新生成，或在记录中补写。"
                f" / Your notes do not say {', '.join(lack)}; the record will not make it up — add it to your notes or the record."
            )
    return ObservationScaffold(
        request=request,
        title=record_title(request),
        section_titles=list(english.SECTION_TITLES if is_english(language) else SECTION_TITLES),
        notes_lack=lack,
        warnings=warnings,
    )
