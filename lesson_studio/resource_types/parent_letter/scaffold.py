"""Structure by code for a 家长信: the salutation, the collection list with the unsafe items taken
off (and named for the teacher), the exclusions every letter prints, and the signature.

The unsafe items are those DOMAIN.md §3 lists for material-collection letters, with the reason a
teacher can pass on: batteries and button cells, magnets, glass, sharp cans, medicine bottles, and
balloons for children under 8 (every kindergarten child).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from lesson_studio.authoring.scaffold import english_words_in
from lesson_studio.resource_types.parent_letter.schema import CollectionItem, ParentLetterRequest, RemovedItem


@dataclass(frozen=True)
class UnsafeItem:
    id: str
    words: tuple[str, ...]  # a collection item naming any of these is taken off the list
    printed: str  # how the exclusion line names it
    reason: str
    under_age: int | None = None  # only for children younger than this (None: every age)
    # The same item in a letter asked for in English: whole words (english_words_in), so "pin"
    # would not match inside "spinning"; the exclusion line and the reason as a family reads them.
    words_en: tuple[str, ...] = ()
    printed_en: str = ""
    reason_en: str = ""

    def names_in(self, text: str, language: str) -> list[str]:
        """The item's words found in text, in the letter's language."""
        if language == "en":
            return english_words_in(text, self.words_en)
        return [word for word in self.words if word in text]


UNSAFE_ITEMS = (
    UnsafeItem(
        "battery",
        ("纽扣电池", "电池", "遥控器"),
        "纽扣电池和各种电池（包括带电池的旧玩具、遥控器）",
        "电池尤其是纽扣电池被误吞会灼伤食道",
        words_en=("battery", "batteries", "button cell", "coin cell", "remote control"),
        printed_en="batteries of any kind, button cells included (and old toys or remote controls with batteries in them)",
        reason_en="a swallowed battery, a button cell above all, can burn through a child's food pipe",
    ),
    UnsafeItem(
        "magnet",
        ("磁铁", "磁石", "吸铁石", "磁力片", "磁珠"),
        "磁铁、磁力片",
        "小磁铁被吞下后会在肠道里相吸，造成穿孔",
        words_en=("magnet", "magnetic tile", "magnetic bead", "lodestone"),
        printed_en="magnets and magnetic tiles",
        reason_en="small magnets swallowed together attract each other inside the gut and can tear it",
    ),
    UnsafeItem(
        "glass",
        ("玻璃", "镜片"),
        "玻璃瓶、玻璃罐等玻璃制品",
        "玻璃易碎，碎片会割伤孩子",
        words_en=("glass", "mirror", "lens"),
        printed_en="glass bottles, glass jars and anything else made of glass",
        reason_en="glass breaks easily and its pieces cut",
    ),
    UnsafeItem(
        "sharp_can",
        ("罐头", "易拉罐", "铁罐", "铁皮罐"),
        "罐头盒、易拉罐等有锋利切口的金属罐",
        "罐口切边锋利，会割伤手",
        words_en=("tin can", "food can", "food tin", "drink can", "soda can", "can lid"),  # not "can" alone: the verb
        printed_en="food tins, drink cans and other metal cans with sharp edges",
        reason_en="the cut rim of a can is sharp enough to cut a hand",
    ),
    UnsafeItem(
        "medicine",
        ("药瓶", "药盒", "药片", "药水", "药品"),
        "药瓶、药盒",
        "残留的药物可能被孩子误食",
        words_en=("medicine", "pill", "pill box", "medicine bottle"),
        printed_en="medicine bottles and pill boxes",
        reason_en="medicine left inside can be swallowed by a child",
    ),
    UnsafeItem(
        "balloon",
        ("气球",),
        "气球",
        "8岁以下的孩子会被未充气的气球或气球碎片堵住气道",
        under_age=8,
        words_en=("balloon",),
        printed_en="balloons",
        reason_en="an uninflated balloon or a piece of one can block the airway of a child under 8",
    ),
)
# The youngest age in each band (years): whether an age-limited rule (balloons) applies.
BAND_YOUNGEST = {"小班": 3, "中班": 4, "大班": 5, "混龄": 3}

SALUTATION = "亲爱的家长朋友们："
COLLECTION_NOTE = "请清洗干净、晾干后装在袋子里，写上孩子的名字，交给班级老师。"
SALUTATION_EN = "Dear families,"
COLLECTION_NOTE_EN = (
    "Please wash and dry each item, put it in a bag with your child's name on it and hand it to the class teacher."
)


def removed_warning(name: str, reason: str, language: str) -> str:
    """What the teacher is told about an item code took off the list."""
    if language == "en":
        return f"'{name}' was taken off the collection list: it is unsafe for young children. Why: {reason}."
    return f"“{name}”不适合请家长收集，已从收集清单中去掉。原因：{reason}。 / '{name}' was taken off the collection list: it is unsafe for young children."


class LetterScaffold(BaseModel):
    request: ParentLetterRequest
    salutation: str
    collection: list[CollectionItem]
    collection_note: str
    exclusions: list[str]
    removed: list[RemovedItem]
    unsafe_words: dict[str, str]  # word -> reason, for the checks on the model's prose
    warnings: list[str]


def applies(item: UnsafeItem, age_band: str) -> bool:
    return item.under_age is None or BAND_YOUNGEST[age_band] < item.under_age


def unsafe_reason(name: str, age_band: str, language: str = "zh") -> str | None:
    """Why an item must not be collected for this band (None: it may be), in the letter's language."""
    for item in UNSAFE_ITEMS:
        if applies(item, age_band) and item.names_in(name, language):
            return item.reason_en if language == "en" else item.reason
    return None


def build_letter_scaffold(request: ParentLetterRequest) -> LetterScaffold:
    """The letter's structure for the request. Pure and deterministic."""
    english = request.language == "en"
    kept: list[CollectionItem] = []
    removed: list[RemovedItem] = []
    for raw in request.collect:
        name = raw.strip()
        if not name:
            continue
        reason = unsafe_reason(name, request.age_band, request.language)
        if reason is None:
            kept.append(CollectionItem(name=name[: 60 if english else 30]))
        else:
            removed.append(RemovedItem(name=name, reason=reason))
    warnings = [removed_warning(item.name, item.reason, request.language) for item in removed]
    applicable = [item for item in UNSAFE_ITEMS if applies(item, request.age_band)]
    return LetterScaffold(
        request=request,
        salutation=SALUTATION_EN if english else SALUTATION,
        collection=kept,
        collection_note=(COLLECTION_NOTE_EN if english else COLLECTION_NOTE) if kept else "",
        exclusions=[item.printed_en if english else item.printed for item in applicable],
        removed=removed,
        unsafe_words=(
            {word: item.reason_en for item in applicable for word in item.words_en}
            if english
            else {word: item.reason for item in applicable for word in item.words}
        ),
        warnings=warnings,
    )
