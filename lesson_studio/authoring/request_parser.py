"""Turn a teacher's one-sentence request into LessonRequest fields, by rules first.

"中班 艺术 20分钟 用旧报纸和毛线 让孩子想办法给小熊做一顶戴得住的帽子" becomes age band, domain,
minutes, materials, CPS focus and topic without a model. Only a field the rules cannot decide is
passed to `infer` (the app wires the LLM there); an answer that is not one of the allowed values is
ignored. Every value that was not stated in the sentence is listed in `guessed`, so the form can
highlight it for the teacher to check.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel

from lesson_studio.errors import InvalidInput
from lesson_studio.models import AGE_BANDS, CPS_STAGES, DOMAINS, LessonRequest

Infer = Callable[[str, str, tuple[str, ...]], str | None]

EMPTY_REQUEST_MESSAGE = "请先用一句话描述活动 / Please describe the activity in one sentence"

# The band's usual collective-activity length; matches the lower time cap in authoring/scaffold.py.
DEFAULT_MINUTES: dict[str, int] = {"小班": 15, "中班": 20, "大班": 25, "混龄": 20}
DEFAULT_AGE_BAND = "中班"
DEFAULT_DOMAIN = "科学"
MIN_MINUTES, MAX_MINUTES = 5, 60  # LessonRequest.minutes bounds
TOPIC_MAX_CHARS, NOTES_MAX_CHARS = 200, 500  # LessonRequest.topic / notes max_length
MAX_MATERIALS, MATERIAL_MAX_CHARS = 30, 30  # LessonRequest.materials max_length; MaterialItem.name

# 托班 (2–3 years) is not a band of the 《指南》; it is planned as 小班 and the teacher is told.
NURSERY_NOTE = "托班幼儿（2–3岁），按小班设计"


class ParsedRequest(BaseModel):
    """A parsed sentence: the request, the words that decided each field, and what to check."""

    request: LessonRequest
    found: dict[str, str]  # field -> the words in the sentence that decided it
    guessed: list[str]  # fields left at a default or guessed; the page highlights them


@dataclass(frozen=True)
class _Match:
    value: str
    words: str
    start: int
    end: int


# --- Vocabulary ----------------------------------------------------------------------------------

_NUM = r"(?:\d+|[零〇一二两三四五六七八九十百]+)"
_AGE_NUM = r"(?:\d|[二两三四五六七])"
_RANGE_DASH = r"(?:-|－|~|～|—|–|到|至|to)"
_EN_MINUTES = r"min(?:ute)?s?(?![A-Za-z])"

_CN_DIGITS = {**dict(zip("零一二三四五六七八九", range(10), strict=True)), "〇": 0, "两": 2}

# Class names outrank ages: "中班（4-5岁）" is decided by 中班.
_BAND_NAME = re.compile(r"混龄班|混龄|mixed[- ]age|小小班|托班|小班|中班|大班", re.IGNORECASE)
# 托班 is kept as itself here: _age_band turns it into 小班 and tells the teacher.
_BAND_NAME_VALUES = {"混龄班": "混龄", "小小班": "小班"}
_BAND_AGE = re.compile(
    rf"(?<![\d十])(?P<lo>{_AGE_NUM})\s*(?:{_RANGE_DASH}\s*(?P<hi>{_AGE_NUM})\s*)?(?:周岁|岁)"
    rf"|(?<!\d)(?P<en_lo>\d)\s*(?:{_RANGE_DASH}\s*(?P<en_hi>\d)\s*)?[- ]?(?:years?|yrs?|y/?o)(?![A-Za-z])"
    rf"|ages?\s+(?P<age_lo>\d)(?:\s*{_RANGE_DASH}\s*(?P<age_hi>\d))?",
    re.IGNORECASE,
)

# A named 领域 outranks a lesson-type name, which outranks a content hint: hints such as 故事, 合作
# or 户外 often describe what happens inside a lesson of another domain. 数学 is not a domain of the
# 《指南》: it sits under 科学 (数学认知).
_DOMAIN_TIERS: tuple[dict[str, tuple[str, ...]], ...] = (
    {
        "健康": ("健康", "health"),
        "语言": ("语言", "language"),
        "社会": ("社会", "social"),
        "科学": ("科学", "science"),
        "艺术": ("艺术", "arts", "art"),
    },
    {
        "健康": ("体育", "体能", "P.E.", "PE"),
        "语言": ("绘本", "儿歌", "童谣", "讲述", "早期阅读", "阅读", "literacy", "reading", "picture book"),
        "社会": ("社会交往", "交往"),
        "科学": ("数学认知", "数学", "科学探究", "探究", "实验", "科探", "maths", "math", "experiment"),
        "艺术": (
            "美术",
            "美工",
            "音乐",
            "手工",
            "绘画",
            "舞蹈",
            "歌唱",
            "律动",
            "music",
            "craft",
            "drawing",
            "painting",
            "dance",
        ),
    },
    {
        "健康": ("生活习惯", "运动", "户外", "安全", "outdoor", "safety", "sports"),
        "语言": ("故事", "诗歌", "story", "rhyme"),
        "社会": ("合作", "规则", "节日", "社区", "春节", "元宵", "端午", "中秋", "重阳", "festival", "community"),
        "科学": ("自然", "nature"),
        "艺术": (),
    },
)
_ALL_DOMAIN_KEYWORDS = frozenset(
    keyword.lower() for tier in _DOMAIN_TIERS for keywords in tier.values() for keyword in keywords
)
# A domain word followed by one of these is a label ("科学活动"), not part of the topic.
_DOMAIN_LABEL_SUFFIX = re.compile(r"活动|领域|教学|课|\s+(?:lesson|activity|class)", re.IGNORECASE)

# The child-level CPS frame (DOMAIN.md §1.3) plus SCAMPER, which teachers name as a tool.
_CPS_WORDS: dict[str, str] = {
    "头脑风暴": "想办法",
    "想办法": "想办法",
    "出主意": "想办法",
    "投票": "选办法",
    "选择": "选办法",
    "选办法": "选办法",
    "试一试": "试一试改一改",
    "试试": "试一试改一改",
    "改一改": "试一试改一改",
    "测试": "试一试改一改",
    "发现问题": "发现问题",
    "分享": "分享",
    "展示": "分享",
    "scamper": "SCAMPER",
}
_CPS_FOCUS_ORDER: tuple[str, ...] = (*CPS_STAGES, "SCAMPER")
_CPS_PATTERN = re.compile(
    "|".join(re.escape(word) for word in sorted(_CPS_WORDS, key=len, reverse=True)), re.IGNORECASE
)

# "材料：…" always introduces a list; "用…" only when 用 means "using" (not 作用, 用心, 用手 …).
_MATERIAL_LABEL = re.compile(
    r"(?:材料|原料)(?:有|是|为|包括)\s*[:：]?\s*|(?:材料|准备)\s*[:：]\s*|materials?\s*:\s*", re.IGNORECASE
)
_MATERIAL_USE = re.compile(
    r"(?:利用|使用|(?<![作有不没无实家费食专通信应享适引试选])用)"
    r"(?!品|具|途|力|心|餐|处|法|语|完|于|来|到|过|户|意|手|脚|眼|耳|嘴|脑|身体|肢体|动作|声音|表情"
    r"|SCAMPER|头脑风暴)\s*",
    re.IGNORECASE,
)
_MATERIAL_USE_EN = re.compile(r"(?<![A-Za-z])using\s+", re.IGNORECASE)
_MATERIAL_SEPARATOR = re.compile(r"以及|和|、|，|,|及|与|跟|还有")
_MATERIAL_SEPARATOR_EN = re.compile(r",\s*(?:and\s+)?|\s+and\s+|\s*&\s*", re.IGNORECASE)
_MATERIAL_END_EN = re.compile(r"\s+(?:to|for|so|that|and\s+let)\s+|[.;:!?\n]", re.IGNORECASE)
# A new clause about the children ends the list, and the list is then its own phrase.
_CLAUSE_START = re.compile(r"让|请|引导|带领|鼓励|启发|组织|然后|接着|并且|并|再")
# An action ends the list, and the list belongs to the action: "用积木搭一座桥".
_ACTION = re.compile(
    r"制作|搭建|设计|装饰|创作|完成|探索|尝试|进行|开展|表现|表演|感受|了解|认识|学习|体验|比较|测量|"
    r"发现|讨论|观察|记录|解决|改造|替换|组合|变成|作为|连接|固定|保护|运送|帮助|模仿|扮演|创造|布置|"
    r"绘制|演奏|演唱|编织|粘贴|拼贴|投票|分享|展示|测试|想办法|"
    r"[做搭玩画剪贴折拼编种造建唱跳讲演找装试给把将为帮来去变改连穿堆摆捏叠卷缠绑插涂印撕揉搓量比测夹挂围铺在]"
)
# Material names that begin with an action character: "剪刀" is scissors, not "cut".
_MATERIALS_STARTING_WITH_ACTION: tuple[str, ...] = (
    "剪刀",
    "画笔",
    "画纸",
    "画板",
    "画册",
    "贴纸",
    "贴画",
    "折纸",
    "拼图",
    "拼板",
    "种子",
    "试管",
    "试纸",
    "玩具",
    "玩偶",
    "夹子",
    "卷纸",
    "卷筒",
    "印章",
    "印泥",
    "跳绳",
    "滚筒",
    "挂钩",
    "装饰品",
    "穿线板",
    "量杯",
    "量筒",
    "量尺",
    "连环画",
    "插片",
    "涂料",
    "围巾",
    "围棋",
    "画布",
    "编织袋",
)
_MEASURE_WORDS = "个张根条块卷盒包瓶把支只袋团份片双套捆颗粒本组堆筐箱桶杯段截顶件枚"
_QUANTITY_PREFIX = re.compile(
    rf"^(?:若干|一些|少量|适量|大量|许多|很多|各种|各色|多种|不同的|各|每人|每组|每桌|人手|"
    rf"(?:\d+|[一二两三四五六七八九十几数百]+)\s*[{_MEASURE_WORDS}])"
)
_QUANTITY_SUFFIX = re.compile(
    rf"(?:若干|少许|适量|一些|等材料|等物品|等等|等|各一|"
    rf"(?:每人|每组|人手|各)?(?:\d+|[一二两三四五六七八九十几数百]+)\s*[{_MEASURE_WORDS}]?)$"
)
_PARENTHESIZED = re.compile(r"[（(][^）)]*[）)]")
_GENERIC_MATERIALS = frozenset({"材料", "东西", "物品", "工具", "materials", "things"})

# Minutes: the earliest expression wins; a range plans for its shorter end, because young
# children's attention, not the timetable slot, is the binding limit.
_MINUTE_PATTERNS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], int]], ...] = (
    (
        re.compile(
            rf"(?P<lo>{_NUM})\s*(?:分钟)?\s*{_RANGE_DASH}\s*(?P<hi>{_NUM})\s*(?:分钟|{_EN_MINUTES})", re.IGNORECASE
        ),
        lambda m: min(_to_int(m["lo"]), _to_int(m["hi"])),
    ),
    (re.compile(r"半个?(?:小时|钟头)"), lambda m: 30),
    (re.compile(rf"(?P<n>{_NUM})\s*刻钟"), lambda m: 15 * _to_int(m["n"])),
    (
        re.compile(rf"(?P<n>{_NUM})\s*个?(?P<half>半)?\s*(?:小时|钟头)"),
        lambda m: 60 * _to_int(m["n"]) + (30 if m["half"] else 0),
    ),
    (re.compile(rf"(?P<n>{_NUM})\s*(?:分钟|{_EN_MINUTES})", re.IGNORECASE), lambda m: _to_int(m["n"])),
    (re.compile(r"half(?:\s+an|\s*-)?\s*hour", re.IGNORECASE), lambda m: 30),
    (re.compile(r"(?<![A-Za-z])(?:an|one|1)\s+hour", re.IGNORECASE), lambda m: 60),
)

# Punctuation that separates the phrases of a sentence. 、 is not one: it joins list items.
_PHRASE_PUNCTUATION = frozenset("，,。.；;：:！!？?（）()【】[]“”\"‘’'—…~～/|")

_SEQUENCE_WORD = re.compile(r"^(?:先|再|然后|接着|最后|最终|并且|并|还要|还|之后|后|同时)")
_CPS_STEP_START = re.compile(r"^(?:投票|选择|选出|分享|展示|试一试|试试|改一改|测试|发现问题|scamper)", re.IGNORECASE)
_LEADING_FILLERS: tuple[re.Pattern[str], ...] = (
    re.compile(r"^(?:让|请|引导|带领|鼓励|带着|支持|帮助)(?:孩子|幼儿|小朋友|宝宝|学生)们?"),
    # Words addressed to the app ("帮我设计一个…", "我们班想做…"), not part of the activity.
    re.compile(r"^(?:帮我|给我|请你|请帮我|麻烦你?)(?:设计|写|生成|出|准备|上|做)?(?:一个|一份|一节|一篇|一次)?"),
    re.compile(
        r"^(?:我们班|我们|我)?(?:想要|想|要|需要|打算)(?:设计|写|生成|出|准备|上|做|开展|组织)(?:一个|一份|一节|一篇|一次)?"
    ),
    re.compile(r"^(?:我们|我)班?(?:是|的)?$"),
    re.compile(r"^的"),  # left dangling when the band before it was taken: "中班的故事活动"
    re.compile(r"^(?:设计|写|生成|准备|上)(?:一个|一份|一节|一篇|一次)$"),
    re.compile(r"^(?:一个|一份|一节|一次)?关于"),
    re.compile(r"^(?:活动)?(?:主题|题目|内容|名称)(?:是|为)?"),
    re.compile(r"^的?(?:孩子|幼儿|小朋友|宝宝)们"),
    re.compile(r"^的(?:孩子|幼儿|小朋友|宝宝)"),
    re.compile(r"^(?:一起|分组|自己|共同|大胆|自主)"),
    re.compile(r"^(?:想办法|头脑风暴|出主意|动脑筋|想一想|想想)"),
    re.compile(
        r"^(?:please\s+)?(?:(?:design|write|plan|make)\s+)?(?:an?\s+)?(?:(?:lesson|activity)\s+)?(?:about|on)\s+",
        re.IGNORECASE,
    ),
    re.compile(r"^(?:let|have|help)\s+(?:the\s+)?(?:children|kids|students)\s+(?:to\s+)?", re.IGNORECASE),
)
_TRAILING_FILLERS: tuple[re.Pattern[str], ...] = (
    re.compile(r"(?:的)?(?:集体)?(?:活动|教案|课)$"),
    re.compile(r"(?:左右|吧|呀|哦|啊)$"),
)
_FILLER_PHRASES = frozenset(
    [
        "活动",
        "集体活动",
        "教案",
        "左右",
        "大约",
        "大概",
        "时长",
        "时间",
        "领域",
        "年龄",
        "年龄段",
        "材料",
        "主题",
        "游戏",
        "幼儿",
        "孩子",
        "小朋友",
        "孩子们",
        "小朋友们",
        "一节",
        "一个",
        "lesson",
        "activity",
        "a",
        "an",
        "the",
    ]
)
_CONJUNCTIONS = re.compile(r"[、和与及\s]|然后|再|并")
_CJK = re.compile(r"[\u4e00-\u9fff]")


# --- Public API ----------------------------------------------------------------------------------


def parse_request_text(text: str, *, infer: Infer | None = None) -> ParsedRequest:
    """Parse one sentence into a LessonRequest; rules first, `infer` only for what they cannot tell.

    `infer(text, field_name, options)` is asked for age_band (options AGE_BANDS), domain (DOMAINS) or
    topic (no options) when the sentence does not state them. An answer outside the options, or
    None, is ignored and the default is used. Either way the field is listed in `guessed`.
    Exceptions raised by `infer` propagate: the caller decides whether a missing model is fatal.
    """
    sentence = (text or "").strip()
    if not any(char.isalnum() for char in sentence):  # empty, spaces or punctuation only
        raise InvalidInput(EMPTY_REQUEST_MESSAGE)
    parser = _SentenceParser(sentence, infer)
    return parser.parse()


# --- The parser ----------------------------------------------------------------------------------


class _SentenceParser:
    """One parse of one sentence: marks the words each rule used, then reads the topic from the rest."""

    def __init__(self, sentence: str, infer: Infer | None) -> None:
        self.text = sentence
        self.infer = infer
        self.is_chinese = bool(_CJK.search(sentence))
        self.consumed = [False] * len(sentence)  # characters that belong to a field other than topic
        self.material_spans: list[tuple[int, int]] = []
        self.found: dict[str, str] = {}
        self.guessed: list[str] = []
        self.notes: list[str] = []

    def parse(self) -> ParsedRequest:
        age_band = self._age_band()
        minutes_match = self._minutes_match()
        materials = self._materials()
        domain = self._domain()
        cps_focus = self._cps_focus()
        topic = self._topic(age_band, domain)
        minutes = self._minutes(minutes_match, age_band)

        request = LessonRequest(
            age_band=age_band,  # type: ignore[arg-type]
            domain=domain,  # type: ignore[arg-type]
            topic=topic,
            minutes=minutes,
            materials=materials,
            cps_focus=cps_focus,
            notes="；".join(self.notes)[:NOTES_MAX_CHARS],
            language="zh" if self.is_chinese else "en",
        )
        found = {field: self.found[field] for field in LessonRequest.model_fields if field in self.found}
        guessed = [field for field in LessonRequest.model_fields if field in self.guessed]
        return ParsedRequest(request=request, found=found, guessed=guessed)

    # --- fields ------------------------------------------------------------------------------

    def _age_band(self) -> str:
        names, ages = self._band_name_matches(), self._band_age_matches()
        match = _first_match(names) or _first_match(ages)
        if match is None:
            return self._ask("age_band", AGE_BANDS, DEFAULT_AGE_BAND)
        # "中班（4-5岁）": every band word is about the band, none is part of the topic.
        for other in (*names, *ages):
            self._consume(other.start, other.end)
        self.found["age_band"] = match.words
        if match.value == "托班":
            self.guessed.append("age_band")
            self.notes.append(NURSERY_NOTE)
            return "小班"
        return match.value

    def _band_name_matches(self) -> list[_Match]:
        matches = []
        for m in _BAND_NAME.finditer(self.text):
            words = m.group()
            value = "混龄" if words.lower().startswith("mixed") else _BAND_NAME_VALUES.get(words, words)
            matches.append(_Match(value, words, m.start(), m.end()))
        return matches

    def _band_age_matches(self) -> list[_Match]:
        matches = []
        for m in _BAND_AGE.finditer(self.text):
            low = m["lo"] or m["en_lo"] or m["age_lo"]
            high = m["hi"] or m["en_hi"] or m["age_hi"]
            value = _band_for_ages(_to_int(low), _to_int(high) if high else None)
            if value:
                matches.append(_Match(value, m.group().strip(), m.start(), m.end()))
        return matches

    def _minutes_match(self) -> _Match | None:
        candidates = []
        for pattern, to_minutes in _MINUTE_PATTERNS:
            for m in pattern.finditer(self.text):
                if not self._is_free(m.start(), m.end()):
                    continue
                candidates.append(_Match(str(to_minutes(m)), m.group(), m.start(), m.end()))
        match = _first_match(candidates)
        if match:
            self._consume(match.start, match.end)
        return match

    def _minutes(self, match: _Match | None, age_band: str) -> int:
        if match is None:
            self.guessed.append("minutes")
            return DEFAULT_MINUTES[age_band]
        self.found["minutes"] = match.words
        minutes = int(match.value)
        if not MIN_MINUTES <= minutes <= MAX_MINUTES:
            self.guessed.append("minutes")
            return max(MIN_MINUTES, min(MAX_MINUTES, minutes))
        return minutes

    def _materials(self) -> list[str]:
        materials: list[str] = []
        phrases: list[str] = []
        triggers = [(m, True) for m in _MATERIAL_LABEL.finditer(self.text)]
        triggers += [(m, False) for m in (_MATERIAL_USE if self.is_chinese else _MATERIAL_USE_EN).finditer(self.text)]
        for trigger, labelled in sorted(triggers, key=lambda pair: pair[0].start()):
            if not self._is_free(trigger.start(), trigger.end()) or self._in_material_span(trigger.start()):
                continue
            items, end, runs_into_action = self._read_material_list(trigger.end())
            if not items:
                continue
            materials.extend(item for item in items if item not in materials)
            phrases.append(self.text[trigger.start() : end])
            self.material_spans.append((trigger.start(), end))
            # "用积木搭一座桥" keeps its materials in the topic: they are part of what children do.
            if labelled or not runs_into_action:
                self._consume(trigger.start(), end)
        if phrases:
            self.found["materials"] = " / ".join(phrases)
        return materials[:MAX_MATERIALS]

    def _read_material_list(self, start: int) -> tuple[list[str], int, bool]:
        """Items from `start` up to a clause, an action or a phrase end; (items, end, runs into action)."""
        limit = start
        while limit < len(self.text) and not self.consumed[limit]:
            if self.is_chinese and (self.text[limit].isspace() or self.text[limit] in "。；;！!？?\n"):
                break
            limit += 1
        if not self.is_chinese:
            end_match = _MATERIAL_END_EN.search(self.text, start, limit)
            limit = end_match.start() if end_match else limit
        separator = _MATERIAL_SEPARATOR if self.is_chinese else _MATERIAL_SEPARATOR_EN

        bounds: list[tuple[int, int]] = []
        piece_start = start
        for found_separator in separator.finditer(self.text, start, limit):
            bounds.append((piece_start, found_separator.start()))
            piece_start = found_separator.end()
        bounds.append((piece_start, limit))

        items: list[str] = []
        end = start
        for piece_start, piece_end in bounds:
            cut, is_action = _list_stop(self.text[piece_start:piece_end]) if self.is_chinese else (None, False)
            if cut is not None:
                piece_end = piece_start + cut
            name = _clean_material(self.text[piece_start:piece_end])
            if name:
                items.append(name)
                end = piece_end
            if cut is not None:
                return items, end, is_action and end == piece_end and cut > 0
        return items, end, False

    def _domain(self) -> str:
        for tier_number, tier in enumerate(_DOMAIN_TIERS):
            candidates = [
                match
                for domain, keywords in tier.items()
                for match in self._keyword_matches(domain, keywords)
                if not self._in_material_span(match.start)
            ]
            match = _first_match(candidates)
            if match is None:
                continue
            self.found["domain"] = match.words
            label_end = self._domain_label_end(match, tier_number)
            if label_end is not None:
                self._consume(match.start, label_end)
            return match.value
        return self._ask("domain", DOMAINS, DEFAULT_DOMAIN)

    def _keyword_matches(self, value: str, keywords: tuple[str, ...]) -> list[_Match]:
        matches = []
        for keyword in keywords:
            # Latin keywords need word edges: "art" must not match "start".
            edge = r"(?<![A-Za-z])" if keyword.isascii() else ""
            tail = r"(?![A-Za-z])" if keyword.isascii() else ""
            for m in re.finditer(edge + re.escape(keyword) + tail, self.text, re.IGNORECASE):
                if self._is_free(m.start(), m.end()):
                    matches.append(_Match(value, m.group(), m.start(), m.end()))
        return matches

    def _domain_label_end(self, match: _Match, tier_number: int) -> int | None:
        """Where a domain word used as a label ends (with 活动/领域 …); None when it is part of the topic."""
        if not self._is_boundary(match.start - 1, spaces=True):
            return None
        suffix = _DOMAIN_LABEL_SUFFIX.match(self.text, match.end)
        end = suffix.end() if suffix else match.end
        if self._is_boundary(end, spaces=True):
            return end
        # A named domain or lesson type opening a phrase is a label even without a space after it
        # ("大班科学让鸡蛋…"), unless it names a book: "绘本《…》" is the topic.
        if self.is_chinese and tier_number < 2 and self.text[end] != "《":
            return end
        return None

    def _cps_focus(self) -> str:
        stages: set[str] = set()
        words: list[str] = []
        for m in _CPS_PATTERN.finditer(self.text):
            if self._in_material_span(m.start()):
                continue
            stages.add(_CPS_WORDS[m.group().lower()])
            if m.group() not in words:
                words.append(m.group())
        if words:
            self.found["cps_focus"] = " / ".join(words)
        return "、".join(stage for stage in _CPS_FOCUS_ORDER if stage in stages)

    def _topic(self, age_band: str, domain: str) -> str:
        """The first phrase that says what the children do; the other phrases become notes."""
        kept: list[tuple[str, str, bool]] = []  # (as typed, without fillers, can be the topic)
        for phrase in self._phrases():
            cleaned = _strip_fillers(phrase)
            if _is_filler(cleaned) or _only_cps_words(cleaned):
                continue  # says nothing, or only what cps_focus already holds
            # A later step ("最后投票…") or a bare setting ("户外") is not what the lesson is about.
            is_step = bool(_SEQUENCE_WORD.match(cleaned) or _CPS_STEP_START.match(cleaned))
            kept.append((phrase, cleaned, not is_step and not _is_domain_word(cleaned)))
        if not kept:
            return self._default_topic(age_band, domain)
        # With only later steps given ("试一试哪种纸船装得多"), the first of them is the best topic.
        chosen = next((index for index, (_, _, can_be_topic) in enumerate(kept) if can_be_topic), 0)
        topic = _SEQUENCE_WORD.sub("", kept[chosen][1]).strip() or kept[chosen][1]
        self.found["topic"] = topic
        # Whatever else the teacher typed goes to notes, so nothing said is lost.
        sentence_notes = [phrase for index, (phrase, _, _) in enumerate(kept) if index != chosen]
        if sentence_notes:
            self.notes.extend(sentence_notes)
            self.found["notes"] = " / ".join(sentence_notes)
        return topic[:TOPIC_MAX_CHARS]

    def _default_topic(self, age_band: str, domain: str) -> str:
        self.guessed.append("topic")
        if self.infer is not None:
            answer = self.infer(self.text, "topic", ())
            if isinstance(answer, str) and 0 < len(answer.strip()) <= TOPIC_MAX_CHARS:
                return answer.strip()
        return f"{age_band}{domain}活动" if self.is_chinese else "Activity"

    # --- helpers on the sentence -------------------------------------------------------------

    def _phrases(self) -> list[str]:
        """The unconsumed runs of the sentence, split at punctuation (and, in Chinese, at spaces)."""
        phrases: list[str] = []
        current: list[str] = []
        for index, char in enumerate(self.text):
            if self._is_boundary(index, spaces=self.is_chinese):
                phrases.append("".join(current))
                current = []
            else:
                current.append(char)
        phrases.append("".join(current))
        return [" ".join(phrase.split()) for phrase in phrases if phrase.strip()]

    def _is_boundary(self, index: int, *, spaces: bool) -> bool:
        if index < 0 or index >= len(self.text):
            return True
        char = self.text[index]
        return self.consumed[index] or char in _PHRASE_PUNCTUATION or (spaces and char.isspace())

    def _is_free(self, start: int, end: int) -> bool:
        return not any(self.consumed[start:end])

    def _consume(self, start: int, end: int) -> None:
        for index in range(start, end):
            self.consumed[index] = True

    def _in_material_span(self, index: int) -> bool:
        return any(start <= index < end for start, end in self.material_spans)

    def _ask(self, field: str, options: tuple[str, ...], default: str) -> str:
        """The model's answer if it is one of the options, else the default; a guess either way."""
        self.guessed.append(field)
        if self.infer is None:
            return default
        answer = self.infer(self.text, field, options)
        if isinstance(answer, str):
            answer = answer.strip().strip("。.，,！!\"'“”「」 ")
            if answer in options:
                return answer
        return default


# --- Pure helpers --------------------------------------------------------------------------------


def _first_match(matches: list[_Match]) -> _Match | None:
    """The earliest match; at the same position the longest ("数学认知" over "数学")."""
    return min(matches, key=lambda m: (m.start, -(m.end - m.start)), default=None)


def _to_int(numeral: str) -> int:
    """20, "２０", "二十", "二十五", "十五", "两" -> int."""
    if numeral.isdecimal():
        return int(numeral)
    total, current = 0, 0
    for char in numeral:
        if char in _CN_DIGITS:
            current = _CN_DIGITS[char]
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        elif char == "百":
            total += (current or 1) * 100
            current = 0
    return total + current


def _band_for_age(age: int) -> str:
    if age <= 2:
        return "托班"
    return {3: "小班", 4: "中班"}.get(age, "大班")


def _band_for_ages(low: int, high: int | None) -> str | None:
    """3岁 -> 小班; "3-4岁" is the 小班 year, "5-6岁" 大班; a span over two bands is 混龄."""
    if low < 2 or low > 7:
        return None
    if high is None or high <= low:
        return _band_for_age(low)
    bands = {_band_for_age(age) for age in range(low, high)}
    return bands.pop() if len(bands) == 1 else "混龄"


def _list_stop(piece: str) -> tuple[int | None, bool]:
    """Where a list item runs into a clause or an action: (offset, is_action); (None, False) if it does not."""
    # Skip a leading quantity first: its measure word may look like an action ("一卷", "一把").
    quantity = _QUANTITY_PREFIX.match(piece)
    start = quantity.end() if quantity else 0
    clause = _CLAUSE_START.search(piece, start)
    action = next(
        (m for m in _ACTION.finditer(piece, start) if not piece.startswith(_MATERIALS_STARTING_WITH_ACTION, m.start())),
        None,
    )
    stops = [(m.start(), m is action) for m in (clause, action) if m is not None]
    if not stops:
        return None, False
    offset, is_action = min(stops, key=lambda stop: (stop[0], stop[1]))
    return offset, is_action


def _clean_material(raw: str) -> str:
    """ "旧报纸若干" -> "旧报纸", "每人一张卡纸" -> "卡纸", "一卷胶带" -> "胶带"."""
    name = _PARENTHESIZED.sub("", raw).strip(" \t\u3000:：")
    previous = None
    while name and name != previous:
        previous = name
        name = _QUANTITY_PREFIX.sub("", name).strip()
        name = _QUANTITY_SUFFIX.sub("", name).strip()
        name = re.sub(r"^(?:a|an|some|the)\s+", "", name, flags=re.IGNORECASE)
    if name.lower() in _GENERIC_MATERIALS:
        return ""
    return name[:MATERIAL_MAX_CHARS]


def _strip_fillers(phrase: str) -> str:
    previous = None
    while phrase != previous:
        previous = phrase
        for pattern in (*_LEADING_FILLERS, *_TRAILING_FILLERS):
            phrase = pattern.sub("", phrase).strip()
    return phrase


def _is_filler(phrase: str) -> bool:
    """Empty, a lone character left between taken words ("的", "半"), or a word like 活动 or 左右."""
    return not phrase or phrase.lower() in _FILLER_PHRASES or (bool(_CJK.search(phrase)) and len(phrase) < 2)


def _only_cps_words(phrase: str) -> bool:
    """ "试一试、改一改" or "头脑风暴和投票": nothing cps_focus does not already hold."""
    return not _CONJUNCTIONS.sub("", _CPS_PATTERN.sub("", phrase))


def _is_domain_word(phrase: str) -> bool:
    """A phrase that is only a domain hint ("户外") says where, not what: it is a note, not the topic."""
    return phrase.lower() in _ALL_DOMAIN_KEYWORDS


def split_materials(text: str) -> list[str]:
    """A material list as a teacher types it in a form field: items separated by 、，or ,."""
    return [item.strip() for item in re.split(r"[、，,]", text) if item.strip()]
