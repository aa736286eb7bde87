"""Content checks by code, each with a repair: what a teacher sees at a glance in a generated plan.

The scaffold fixes the structure; these checks look at the words the model wrote into it. Each
finds one kind of defect, taken from real plans of the embedded 1.5B model (issue 10):

- borrowed      nouns from a cited sample plan about another activity (帽子 in a ping-pong plan)
- parroted      the writing instructions copied into the plan ("教师记录每个点子，不评判")
- not_chinese   a value that is not Chinese where Chinese is expected (quantity "maths")
- doubled_label a label repeated inside its own field ("活动重点：…", "师：老师：…")
- cut_off       a line cut mid-sentence ("…谁会用、当", "…比如")
- children_copy the children's line a copy of the teacher's
- off_topic     the 能力 objective, the design intent or a step does not name the activity's own content
- material_missing / material_unlisted / quantity_missing  物质准备 against the teacher's list
- unsafe        children handling what the scaffold made teacher-only or the hazard table bans

Repairs: by code where code can do it exactly (strip a label, cut back to the last full sentence,
fill a quantity, add a listed material, drop an unlisted one); otherwise the section is written
again with an instruction that names the problem (the words to avoid, the safety rule), kept only
when it has fewer defects; and what still fails after that gets a last repair by code (the unsafe
step becomes the teacher operating while children watch and suggest; sentences with borrowed
words are dropped). `validate_plan` runs all of it; `check_plan` only finds.
"""

from __future__ import annotations

import difflib
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache

from lesson_studio.authoring import english
from lesson_studio.authoring.scaffold import (
    STAGE_GUIDANCE,
    Scaffold,
    brainstorm_rules_sentence,
    build_scaffold,
    load_hazards,
)
from lesson_studio.models import LessonPlan, LessonRequest, MaterialItem
from lesson_studio.prompts import render

# --- defects ------------------------------------------------------------------------------------

DEFECT_KINDS: dict[str, str] = {
    "borrowed": "照搬了别的活动的内容",
    "parroted": "照抄了写作要求",
    "not_chinese": "出现非中文的值",
    "doubled_label": "标签重复",
    "advice": "教师一栏写成了建议（教师可以……），不是课上做的事",
    "cut_off": "句子没写完",
    "children_copy": "幼儿一栏重复教师的话",
    "off_topic": "目标、设计意图或某一步没有写本活动的内容",
    "material_missing": "教师列出的材料没有写进物质准备",
    "material_unlisted": "物质准备里有教师没有列出的材料",
    "quantity_missing": "材料没有数量",
    "unsafe": "幼儿接触了只能由教师操作的危险材料",
    "repeated_objective": "两条活动目标写成了同一句话",
}
# Fixed by code as soon as they are found: exact, and cheaper than asking the model again.
CODE_REPAIRED = {"advice", "doubled_label", "cut_off", "material_missing", "material_unlisted", "quantity_missing"}


@dataclass(frozen=True)
class Defect:
    kind: str
    section: str  # "overview", "preparation", "step:2", "closing"
    field: str  # "teacher", "children", "objective:1", "material:0", ...
    message: str  # teacher language
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Passage:
    """A retrieved passage as the model read it (title for telling which activity it is about)."""

    title: str
    text: str
    heading: str = ""


# --- vocabulary ---------------------------------------------------------------------------------


def word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Nouns every CPS plan may use whatever its topic: the classroom, the process, generic materials.
# A noun from a sample plan is "borrowed" only when it is not one of these.
GENERIC_NOUNS = word_set(
    """幼儿 孩子 孩子们 小朋友 朋友 同伴 伙伴 老师 教师 家长 家人 爸爸 妈妈 大家 自己 班级 全班 集体 小组 组员 队员
    办法 方法 点子 主意 想法 问题 麻烦 困难 原因 结果 过程 经验 发现 事情 东西 地方 时候 时间 分钟 今天 明天 生活
    材料 工具 作品 成果 图片 照片 图画 图 画 视频 音乐 儿歌 故事 绘本 情境 场景 游戏 活动 区域 区角 美工区 科学区
    建构区 阅读区 语言区 表演区 益智区 娃娃家 户外 教室 活动室 白板 黑板 点子板 记录纸 记录表 记录 纸 笔 贴纸 圆点
    投票 标准 规则 约定 安全 提示卡 半成品 挑战 支持 帮助 任务 计划 计划图 小结 分享 交流 讨论 评价 观察 颜色 形状
    大小 长短 高低 多少 数量 样子 部分 位置 前面 后面 上面 下面 里面 外面 旁边 中间 一起 作用 用处 好处 优点 缺点
    特点 本领 能力 兴趣 乐趣 快乐 喜悦 成功 失败 信息 语言 动作 身体 手 脚 头 眼睛 耳朵 嘴 家 幼儿园 世界 身边
    周围 日常 家庭 亲子 周末 家里 生活中 意图 目标 重点 难点 准备 延伸 环节 步骤 主题 内容 知识 道理 理由 想象 创意
    创造力 想象力 思维 品质 精神 习惯 态度 情感 情绪 心情 感受 体验 愿望 胶棒 胶水 胶带 双面胶 记号笔 水彩笔 蜡笔 剪刀
    安全剪刀 篮子 托盘 盘子 盒子 筐 箱子 纸盒 PPT 课件 图标 卡片 标记 名字 姓名 小手 手指 办法卡 答案 正确答案
    积木 雪花片 玩具 娃娃 玩偶 手偶 纸杯 吸管 报纸 毛线 绳子 瓶子 塑料瓶 纸箱 彩纸 卡纸 皱纹纸 纸芯 橡皮泥 黏土 勺子
    夹子 布 毛巾 球 皮球 沙包 呼啦圈 垫子 椅子 桌子 水 沙子 石头 树叶 纸板 胶布 颜料 画笔 图画纸 绘画"""
)

# Latin words a Chinese plan may hold: file and paper names, the methods' own names.
ALLOWED_LATIN = frozenset({"ppt", "a4", "a3", "kt", "led", "diy", "cps", "scamper", "ppco", "ok", "ab", "abab", "aabb"})

# Materials a plan may add to the teacher's list without asking: basic consumables and teacher aids
# (the rubric's 材料与安全 criterion uses the same list).
BASIC_CONSUMABLES = (
    "胶棒",
    "胶水",
    "胶带",
    "双面胶",
    "记号笔",
    "水彩笔",
    "蜡笔",
    "贴纸",
    "白纸",
    "纸",
    "笔",
    "篮",
    "盘",
    "托盘",
    "PPT",
    "课件",
    "音乐",
    "图片",
    "照片",
    "视频",
    "玩偶",
    "小熊",
    "白板",
    "点子板",
    "卡",
    "筐",
    "盒",
    "湿毛巾",
    "抹布",
)

_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]|[A-Za-z]")
_SENTENCE = re.compile(r"(?<=[。！？!?；;\n])")
_SENTENCE_END = "。！？!?；;…）)」”\"'～~"
# Questions and phrases any CPS plan may share with a sample plan word for word.
COMMON_PHRASES = "\n".join(
    [
        "你看到了什么？还有别的办法吗？还有呢？我们怎样才能",
        "它有什么好的地方？你担心什么？怎么改？为什么选这个办法？",
        "想点子的时候不说不行，点子越多越好，奇怪的点子也欢迎，借别人的点子变一变",
        "安全吗？做得到吗？能解决问题吗？谁会用？什么时候用？还要谁帮忙？",
        "遇到困难的孩子，提前完成的孩子，请做成的同伴当小老师",
    ]
)
_MEASURED = re.compile(r"^[个只张把根条块支盒份颗粒次一二两三四五六七八九十几]")
SOURCE_PLAN = "原教案："  # the title refine.adapt_plan gives the plan it adapts
_GUIDELINES = re.compile(r"指南|纲要|评估|规程|标准")
_TITLE_PREFIX = re.compile(r"^((小班|中班|大班|混龄)(健康|语言|社会|科学|艺术)?|健康|语言|社会|科学|艺术)[：:]")
_ADDRESS = re.compile(r"(https?://|www\.)\S+|\S+@\S+|\S+\.(com|cn|org|net)\S*", re.IGNORECASE)
_QUANTITY = re.compile(r"[0-9０-９一二两三四五六七八九十百若干每套份]")


@cache
def _jieba():  # noqa: ANN202 - loaded once, on first use (about a second)
    import jieba
    import jieba.posseg

    jieba.setLogLevel(60)
    return jieba.posseg


def nouns(text: str) -> set[str]:
    """The nouns of a text (jieba's part-of-speech tags n*), two characters or longer."""
    return {
        pair.word
        for pair in _jieba().cut(text)
        if pair.flag.startswith("n") and len(pair.word) >= 2 and _CJK.search(pair.word)
    }


def content_words(text: str) -> set[str]:
    """The words of a text that say what it is about: nouns and Chinese words of two or more
    characters, less the generic classroom vocabulary."""
    import jieba

    _jieba()
    words = {w for w in jieba.lcut(text) if len(w) >= 2 and _CJK.search(w)}
    return {w for w in words | nouns(text) if w not in GENERIC_NOUNS and w not in _FUNCTION_WORDS}


_FUNCTION_WORDS = word_set(
    """想办法 怎样 怎么 如何 什么 一起 一个 一顶 一些 可以 能够 我们 你们 他们 它们 自己 这个 那个 还有 如果 因为 所以
    然后 就是 不是 没有 总是 已经 让孩子 孩子 用来 进行 通过 利用 学习 认识 了解 知道 感受 体验 尝试 探索 发现 帮助
    帮小 帮忙 小班 中班 大班 混龄 健康 语言 社会 科学 艺术 分钟"""
)


def _bigrams(text: str) -> set[str]:
    chars = "".join(_CJK.findall(text))
    return {chars[i : i + 2] for i in range(len(chars) - 1)}


def sentences(text: str) -> list[str]:
    return [part for part in _SENTENCE.split(text) if part.strip()]


# --- what the checks know about the request -----------------------------------------------------


@dataclass
class CheckFacts:
    """What the checks compare a plan with: the request (through its scaffold) and the passages
    the model read."""

    scaffold: Scaffold
    passages: list[Passage] = field(default_factory=list)
    given: str = ""  # what else the teacher wrote (a refinement's instruction): her words are never defects

    def __post_init__(self) -> None:
        request = self.scaffold.request
        topic = self.scaffold.topic or request.topic
        self.request_text = "\n".join(
            [request.topic, topic, request.notes, request.cps_focus, *request.materials, self.given]
        )
        self.topic_words = content_words(topic) | {m.strip() for m in request.materials if len(m.strip()) >= 2}
        # One-character nouns of the topic count when a line is checked for naming it (桥, 伞).
        self.topic_chars = {
            pair.word for pair in _jieba().cut(topic) if len(pair.word) == 1 and pair.flag.startswith("n")
        } - GENERIC_NOUNS
        self.materials = [m.strip() for m in request.materials if m.strip()]
        self.english = english.is_english(request.language)
        if self.english:
            # The checks that compare words (borrowed, off topic, cut lines …) work on Chinese text;
            # an English plan gets ENGLISH_CHECKS (see check_plan).
            self.topic_words, self.topic_chars, self.materials = set(), set(), []
        self.teacher_only = list(self.scaffold.teacher_only_materials)
        hazards = [h for h in load_hazards() if request.age_band in h.bands and h.severity == "ban"]
        if self.english:
            self.alternatives = [
                text
                for h in hazards
                if any(w in self.teacher_only for w in (*h.keywords_en, *h.keywords))
                for text in (h.replacement_en, h.for_children_en)
                if text
            ]
            self.hazard_words = sorted(
                {*self.teacher_only, *(w for h in hazards for w in h.keywords_en if len(w) > 2)}, key=len, reverse=True
            )
            return  # nothing below applies to English text
        self.alternatives = [
            text
            for h in hazards
            if any(w in self.teacher_only for w in h.keywords)
            for text in (h.replacement, h.for_children)
            if text
        ]
        # What children must never handle: the scaffold's teacher-only words and every banned word
        # of the band's hazard rows (an alcohol lamp nobody asked for is as dangerous).
        # One-character words (煮) are left to the scaffold: in a story or a pretend kitchen they
        # are play, not a hazard.
        self.hazard_words = sorted(
            {*self.teacher_only, *(w for h in hazards for w in h.keywords if len(w) > 1)}, key=len, reverse=True
        )
        # Passages about this activity (their title shares words with the topic) are its own; sample
        # plans of other activities are not; a method card's lines are its own where they speak of
        # this topic, and another problem's example elsewhere (水龙头没有水了, 洗手的时候不挤).
        on_topic, cases, examples = [], [], []
        own_lines = []
        topic_bigrams = _bigrams(content_text(topic))
        for passage in self.passages:
            if _GUIDELINES.search(passage.title):
                continue  # the 《指南》 and its kin are cited on purpose; they are about no activity
            if passage.title.startswith(SOURCE_PLAN) or _bigrams(_TITLE_PREFIX.sub("", passage.title)) & topic_bigrams:
                on_topic.append(passage)  # about this activity, or the plan being adapted
            elif _TITLE_PREFIX.match(passage.title):
                cases.append(passage)
            else:
                lines = re.split(r"[\n。；;]", passage.text)
                mine = [line for line in lines if names_topic(line, self.topic_words, self.topic_chars)]
                own_lines += mine
                others = "\n".join(line for line in lines if line not in mine)
                examples.append(Passage(title=passage.title, text=others, heading=passage.heading))
        self.on_topic_text = "\n".join([*(p.title + "\n" + p.text for p in on_topic), *own_lines])
        self.off_topic = cases + examples
        # The writing instructions the model is given (the rules themselves are meant to be said).
        self.instructions_text = "\n".join(
            [
                *STAGE_GUIDANCE.values(),
                render("lesson_system"),
                CHILDREN_OWN_LINE,
                TEACHER_TALK_LINE,
                DISTINCT_OBJECTIVES_LINE,
                SAFETY_RULE_LINE,
            ]
        )
        own = self.request_text + "\n" + self.on_topic_text + "\n" + self.instructions_text
        # A noun counts as another activity's own when it names that activity (its title or
        # heading: 帽子, 小兔) or recurs in what the model read of it (厕所 twice in 欢迎新朋友); a
        # noun met once in passing (箭头, 标识) is common classroom talk more often than not.
        self.foreign: dict[str, str] = {}
        counts: Counter[str] = Counter()
        for passage in cases:
            named = _TITLE_PREFIX.sub("", passage.title) + "\n" + passage.heading
            for word in nouns(named + "\n" + passage.text) - GENERIC_NOUNS:
                if word in own or any(word in m or m in word for m in self.materials):
                    continue
                counts[word] += passage.text.count(word) + (3 if word in named else 0)
                self.foreign.setdefault(word, passage.title)
        self.foreign = {
            word: title
            for word, title in self.foreign.items()
            if counts[word] >= 2 and not _MEASURED.match(word)  # "个球" is jieba's cut of "5个球"
        }
        # Sentences that must not be copied: another activity's sample plan (six characters
        # copied are its content), another problem's example on a method card (eight: a card's
        # shorter phrases are there to be reused).
        self.other_activities = [(p, COPIED_SPAN_CHARS) for p in cases] + [
            (p, COPIED_EXAMPLE_CHARS) for p in examples if p.text.strip()
        ]
        self.common_text = "\n".join(
            [own, *self.scaffold.brainstorm_rules, self.scaffold.tiers, self.scaffold.idea_goal, COMMON_PHRASES]
        )
        self.common_plain = _plain(self.common_text)


def content_text(text: str) -> str:
    return "".join(content_words(text))


def facts_for(
    plan: LessonPlan,
    request: LessonRequest | None = None,
    passages: list[Passage] | None = None,
    *,
    given: str = "",
) -> CheckFacts:
    """Facts for a saved plan: its request (rebuilt from the plan when there is none) and its
    citations as passages (title, heading and excerpt: what a refinement shows the model)."""
    if request is None:
        request = LessonRequest(
            language=plan.language,
            age_band=plan.age_band,
            domain=plan.domain,
            topic=(plan.title.split("：", 1)[-1] or plan.title)[:200],
            minutes=plan.minutes,
        )
    if passages is None:
        passages = [Passage(title=c.document_title, text=c.excerpt, heading=c.heading) for c in plan.citations]
    return CheckFacts(scaffold=build_scaffold(request), passages=passages, given=given)


# --- the plan's text, field by field ------------------------------------------------------------


def plan_fields(plan: LessonPlan) -> list[tuple[str, str, str]]:
    """(section, field, text) for every text the model wrote."""
    rows = [
        ("overview", "title", plan.title),
        ("overview", "design_intent", plan.design_intent),
        *[("overview", f"objective:{i}", o.text) for i, o in enumerate(plan.objectives)],
        ("overview", "key_point", plan.key_point),
        ("overview", "difficult_point", plan.difficult_point),
        *[("preparation", f"experience:{i}", text) for i, text in enumerate(plan.preparation.experience)],
        *[("preparation", f"material:{i}", m.name) for i, m in enumerate(plan.preparation.materials)],
    ]
    for i, step in enumerate(plan.steps):
        section = f"step:{i}"
        rows += [(section, "title", step.title), (section, "teacher", step.teacher)]
        rows += [(section, f"question:{j}", q) for j, q in enumerate(step.key_questions)]
        rows += [(section, "children", step.children), (section, "intent", step.intent)]
    rows += [("closing", "area", plan.extension.area), ("closing", "home", plan.extension.home)]
    rows += [("closing", f"observation:{i}", text) for i, text in enumerate(plan.observation_points)]
    return rows


def section_name(section: str) -> str:
    if section.startswith("step:"):
        return f"活动过程第{int(section.split(':')[1]) + 1}步"
    return {"overview": "活动名称与目标", "preparation": "活动准备", "closing": "活动延伸与观察要点"}[section]


FIELD_NAMES = {
    "title": "标题",
    "design_intent": "设计意图",
    "key_point": "活动重点",
    "difficult_point": "活动难点",
    "teacher": "教师",
    "children": "幼儿",
    "intent": "设计意图",
    "area": "区域活动",
    "home": "家园共育",
    "objective": "目标",
    "experience": "经验准备",
    "material": "材料",
    "question": "提问",
    "observation": "观察要点",
}


def field_name(name: str) -> str:
    return FIELD_NAMES.get(name.split(":")[0], name)


# --- the checks ---------------------------------------------------------------------------------

Check = Callable[[LessonPlan, CheckFacts], list[Defect]]
CHECKS: list[Check] = []


def check(function: Check) -> Check:
    CHECKS.append(function)
    return function


def check_plan(plan: LessonPlan, facts: CheckFacts, sections: Iterable[str] | None = None) -> list[Defect]:
    """Every defect the checks find (in `sections` only, when given)."""
    wanted = set(sections) if sections is not None else None
    runs = [run for run in CHECKS if run.__name__ in ENGLISH_CHECKS] if facts.english else CHECKS
    found = [defect for run in runs for defect in run(plan, facts)]
    return [d for d in found if wanted is None or d.section in wanted]


def _grams(text: str, size: int = 4) -> set[str]:
    return {text[i : i + size] for i in range(len(text) - size + 1)}


@cache
def _source_grams(source: str) -> frozenset[str]:
    return frozenset(_grams(source))


@check
def repeated_objectives(plan: LessonPlan, facts: CheckFacts) -> list[Defect]:
    """Two objectives in one sentence (bench r03: 认知 and 能力 both "能在安全距离外观看…")."""
    seen: dict[str, int] = {}
    defects = []
    for i, objective in enumerate(plan.objectives):
        key = _plain(objective.text)
        if key and key in seen:
            defects.append(
                Defect(
                    "repeated_objective",
                    "overview",
                    f"objective:{i}",
                    f"{objective.dimension}目标和第{seen[key] + 1}条目标是同一句话：\u201c{objective.text[:20]}\u201d。",
                )
            )
        seen.setdefault(key, i)
    return defects


@check
def borrowed_words(plan: LessonPlan, facts: CheckFacts) -> list[Defect]:
    if not facts.foreign and not facts.other_activities:
        return []
    defects = []
    for section, name, text in plan_fields(plan):
        found: dict[str, str] = {w: facts.foreign[w] for w in sorted(facts.foreign) if w in text}
        for passage, minimum in facts.other_activities:
            span = copied_span(text, passage.text, minimum, count=_cjk_count)
            if span and _plain(span) not in facts.common_plain:
                found.setdefault(span, passage.title)
        if found:
            words = tuple(found)
            defects.append(
                Defect(
                    "borrowed",
                    section,
                    name,
                    f"{section_name(section)}的{field_name(name)}写到了\u201c{'、'.join(words)}\u201d，"
                    f"这来自参考资料《{found[words[0]]}》里别的活动或例子，不是本活动的内容。",
                    words,
                )
            )
    return defects


# A stretch this long (Chinese characters) copied from another activity's sample is its content,
# not a shared phrase: "团成球粘在头上", "带它去看厕所" (issue 10).
COPIED_SPAN_CHARS = 6
COPIED_EXAMPLE_CHARS = 8


def _cjk_count(text: str) -> int:
    return len(_CJK.findall(text))


# How long a stretch of the writing instructions counts as copied, per field: a step's intent may
# echo its purpose in the instructions' words ("把问题说成'我们怎样才能……'"), not paste them.
PARROT_MIN_CHARS = {"teacher": 12, "children": 12, "intent": 20}


@check
def parroted_instructions(plan: LessonPlan, facts: CheckFacts) -> list[Defect]:
    defects = []
    rules = brainstorm_rules_sentence(facts.scaffold)
    for section, name, text in plan_fields(plan):
        if not section.startswith("step:") or name not in PARROT_MIN_CHARS:
            continue
        # The rules sentence and the support/challenge line are put there by code, on purpose.
        own = text.replace(rules, "").replace(facts.scaffold.tiers, "")
        span = copied_span(own, facts.instructions_text, PARROT_MIN_CHARS[name])
        if span:
            defects.append(
                Defect(
                    "parroted",
                    section,
                    name,
                    f"{section_name(section)}的{field_name(name)}照抄了写作要求\u201c{span}\u201d。",
                    (span,),
                )
            )
    return defects


def copied_span(text: str, source: str, minimum: int, count: Callable[[str], int] = len) -> str:
    """The longest stretch of `text` found verbatim in `source`, if `count` of it is at least `minimum`."""
    if len(text) < minimum or not source:
        return ""
    # Most fields share nothing with a passage: four characters in common is the cheap test first.
    if not _grams(text) & _source_grams(source):
        return ""
    matcher = difflib.SequenceMatcher(None, text, source, autojunk=False)
    match = matcher.find_longest_match(0, len(text), 0, len(source))
    span = text[match.a : match.a + match.size]
    return span.strip("，。；、：！？,.;:!? ") if count(span) >= minimum else ""


@check
def not_chinese(plan: LessonPlan, facts: CheckFacts) -> list[Defect]:
    if facts.scaffold.request.language != "zh":
        return []
    given = facts.request_text.lower()
    defects = []
    for section, name, text in plan_fields(plan):
        text = _ADDRESS.sub("", text)  # links are untrusted.py's business, not a language defect
        words = tuple(
            w
            for w in _LATIN_WORD.findall(text)
            if w.lower() not in ALLOWED_LATIN and w.lower() not in given and len(w) > 1
        )
        if words:
            defects.append(
                Defect(
                    "not_chinese",
                    section,
                    name,
                    f"{section_name(section)}的{field_name(name)}里有非中文的词\u201c{'、'.join(words)}\u201d。",
                    words,
                )
            )
    for i, item in enumerate(plan.preparation.materials):
        if _LATIN_WORD.search(item.quantity):  # "maths", and "group12" too (bench r10)
            defects.append(
                Defect(
                    "not_chinese",
                    "preparation",
                    f"quantity:{i}",
                    f"材料\u201c{item.name}\u201d的数量写成了\u201c{item.quantity}\u201d。",
                    (item.quantity,),
                )
            )
    return defects


# A label at the start of a field that the page and the Word file already print in front of it.
FIELD_LABELS: dict[str, re.Pattern[str]] = {
    "title": re.compile(r"^\s*(活动名称|活动题目|课题)\s*[：:]\s*"),
    "design_intent": re.compile(r"^\s*设计意图\s*[：:]\s*"),
    "key_point": re.compile(r"^\s*(活动)?重点\s*[：:]\s*"),
    "difficult_point": re.compile(r"^\s*(活动)?难点\s*[：:]\s*"),
    "objective": re.compile(r"^\s*(\d[.、．]\s*)?(认知|能力|情感|技能|知识|态度)(目标)?\s*[：:]\s*"),
    "experience": re.compile(r"^\s*经验准备\s*[：:]\s*"),
    "teacher": re.compile(r"^\s*(师|教师|老师)\s*[：:]\s*"),
    "children": re.compile(r"^\s*(幼|幼儿|孩子|孩子们|小朋友|小朋友们)\s*[：:]\s*"),
    # "这一步的设计意图是……" is the label said in words (bench/quality.py r14, every step).
    "intent": re.compile(r"^\s*((这一步|这一环节|本环节|这个环节|该环节)的)?(设计意图|意图)(\s*[：:]\s*|是)"),
    "area": re.compile(r"^\s*(区域活动|区域延伸|区域活动延伸)\s*[：:]\s*"),
    "home": re.compile(r"^\s*(家园共育|家园互动|家园合作|亲子任务|家庭延伸)\s*[：:]\s*"),
    "observation": re.compile(r"^\s*观察要点\s*[：:]\s*"),
}


def strip_labels(name: str, text: str) -> str:
    """The field without the labels repeated at its start ("师：老师：…" -> "…")."""
    pattern = FIELD_LABELS.get(name.split(":")[0])
    if pattern is None:
        return text
    while True:
        stripped = pattern.sub("", text, count=1)
        if stripped == text or not stripped.strip():
            return text
        text = stripped


# "教师可以先发一些材料" / "教师要给予支持": advice to a reader, where the 教师 column says what the
# teacher does in this activity (bench/quality.py r14: 试一试 and 分享 were written so).
_ADVICE = re.compile(r"(教师|老师)(可以|应该|应当|需要|要)(?=[\u4e00-\u9fff])")


_PROMPT_LINE = re.compile(r"CPS阶段|环节[：:]|时间[：:]\s*\d")


def as_done(text: str) -> str:
    """The teacher's line as what she does: "教师可以先发材料" -> "教师先发材料"."""
    return _ADVICE.sub(r"\1", text)


@check
def advice_in_teacher_lines(plan: LessonPlan, facts: CheckFacts) -> list[Defect]:
    return [
        Defect(
            "advice", f"step:{i}", "teacher", f"活动过程第{i + 1}步教师一栏写成了建议：\u201c{match.group()}……\u201d。"
        )
        for i, step in enumerate(plan.steps)
        if (match := _ADVICE.search(step.teacher))
    ]


@check
def doubled_labels(plan: LessonPlan, facts: CheckFacts) -> list[Defect]:
    return [
        Defect(
            "doubled_label",
            section,
            name,
            f"{section_name(section)}的{field_name(name)}开头重复了标签\u201c{text[: len(text) - len(strip_labels(name, text))].strip()}\u201d。",
        )
        for section, name, text in plan_fields(plan)
        if strip_labels(name, text) != text
    ]


# A line that stops on one of these stopped mid-sentence (the grammar's length limit, or the model
# gave up): "…比如", "…谁会用、当", "…用毛线和".
_DANGLING = re.compile(
    r"(比如|例如|譬如|像是|和|与|跟|或|或者|以及|及|的|把|让|当|因为|所以|如果|然后|并|并且|而且|还有|通过|、|，|,|：|:|“|‘|（|\(|——"
    r"|(有的|有人|他|她|他们|孩子们)说|才能……？?|……？)$"  # "有的说", "我们怎样才能……？" (bench r09)
)
_TITLE_DANGLING = re.compile(r"、[\u4e00-\u9fff]?$")
SENTENCE_FIELDS = (
    "design_intent",
    "teacher",
    "children",
    "intent",
    "area",
    "home",
    "objective",
    "key_point",
    "difficult_point",
    "observation",
    "experience",
)


def is_cut(name: str, text: str) -> bool:
    text = text.strip()
    if not text:
        return False
    kind = name.split(":")[0]
    if text.count("“") > text.count("”") or text.count("（") > text.count("）") or text.count("(") > text.count(")"):
        return True
    if kind == "title":
        return bool(_DANGLING.search(text) or _TITLE_DANGLING.search(text))
    if kind in SENTENCE_FIELDS or kind == "question":
        return bool(_DANGLING.search(text)) or _stops_after_a_full_sentence(text)
    return False


def _stops_after_a_full_sentence(text: str) -> bool:
    """Whole sentences, then words that stop without one ("…选择最合适的办法。教师可以鼓励他们",
    "…；观察要点4：他们", bench r01 and r03): the model ran out of room mid-sentence."""
    body, _, last = text.rstrip().rpartition("。") if "。" in text else text.rstrip().rpartition("；")
    if not body or not last or not re.search(r"[\u4e00-\u9fff]$", last) or len(_plain(last)) < 2:
        return False
    # A list after a colon ("4个点子: 折、卷、团、撕") is whole; a pronoun or an adverb at the end is not.
    return bool(_UNFINISHED_END.search(last)) or not re.search(r"[：:、，,]", last)


_UNFINISHED_END = re.compile(
    r"(他们|她们|它们|我们|你们|大家|可以|能够|应该|正在|不断|继续|在试|一起|会|要|在|被|给|对|向|从|用|再)$"
)


def cut_back(name: str, text: str) -> str:
    """A cut line without its unfinished end: back to the last full sentence, else the last clause
    (ended with a full stop); "" when too little would be left."""
    text = text.strip()
    kind = name.split(":")[0]
    if kind == "title":
        kept = re.split(r"[、：:，,（(“]", text)
        for count in range(len(kept) - 1, 0, -1):
            candidate = text[: sum(len(part) + 1 for part in kept[:count]) - 1].rstrip("、：:，,（(“ ")
            if len(candidate) >= 2 and not is_cut(name, candidate):
                return candidate
        return ""
    whole = "".join(s for s in sentences(text) if s.rstrip()[-1:] in "。！？!?；;")
    if len(whole) >= max(6, len(text) // 3) and not is_cut(name, whole):
        return whole.rstrip("；;") + ("" if whole.rstrip()[-1:] in "。！？!?" else "。")
    clauses = re.split(r"(?<=[，,])", text)
    while len(clauses) > 1:
        clauses = clauses[:-1]
        candidate = "".join(clauses).rstrip("，,")
        if len(candidate) >= 6 and not is_cut(name, candidate):
            return candidate + "。"
    return ""


@check
def cut_off_lines(plan: LessonPlan, facts: CheckFacts) -> list[Defect]:
    return [
        Defect(
            "cut_off",
            section,
            name,
            f"{section_name(section)}的{field_name(name)}没写完：\u201c…{text.strip()[-12:]}\u201d。",
        )
        for section, name, text in plan_fields(plan)
        if not name.startswith("material") and is_cut(name, text)
    ]


def _plain(text: str) -> str:
    return re.sub(r"[^\u4e00-\u9fffA-Za-z0-9]", "", text)


def is_copy(children: str, teacher: str) -> bool:
    """Whether the children's line repeats the teacher's (wholly, or nearly word for word)."""
    a, b = _plain(strip_labels("children", children)), _plain(strip_labels("teacher", teacher))
    if len(a) < 8 or not b:
        return False
    if a in b or (len(b) >= 8 and b in a):
        return True
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.7


@check
def children_copy(plan: LessonPlan, facts: CheckFacts) -> list[Defect]:
    return [
        Defect("children_copy", f"step:{i}", "children", f"活动过程第{i + 1}步\u201c幼儿\u201d一栏重复了教师的话。")
        for i, step in enumerate(plan.steps)
        if is_copy(step.children, step.teacher)
    ]


def names_content(text: str, facts: CheckFacts) -> bool:
    """Whether a line names something of this activity: a word of the topic or a listed material."""
    return names_topic(text, facts.topic_words, facts.topic_chars)


def names_topic(text: str, words: set[str], chars: set[str]) -> bool:
    if any(word in text for word in (*words, *chars)):
        return True
    return bool(_bigrams(text) & _bigrams("".join(words)))


@check
def off_topic(plan: LessonPlan, facts: CheckFacts) -> list[Defect]:
    if not facts.topic_words and not facts.topic_chars:
        return []
    example = "、".join(sorted(facts.topic_words)[:3])
    defects = [
        Defect(
            "off_topic",
            "overview",
            f"objective:{i}",
            f"能力目标\u201c{objective.text}\u201d没有写到本活动的内容（如{example}）。",
        )
        for i, objective in enumerate(plan.objectives)
        if objective.dimension == "能力" and not names_content(objective.text, facts)
    ]
    if plan.design_intent.strip() and not names_content(plan.design_intent, facts):
        defects.append(
            Defect("off_topic", "overview", "design_intent", f"设计意图没有说到本活动的问题（如{example}）。")
        )
    for i, step in enumerate(plan.steps):
        if not names_content("\n".join([step.teacher, step.children, *step.key_questions]), facts):
            defects.append(
                Defect(
                    "off_topic", f"step:{i}", "step", f"活动过程第{i + 1}步没有说到本活动的问题或材料（如{example}）。"
                )
            )
    return defects


# A listed material that names a kind covers its members (the teacher listed 水果; the plan
# prepares 苹果 and 香蕉).
MATERIAL_KINDS: dict[str, tuple[str, ...]] = {
    "水果": ("苹果", "香蕉", "橘子", "橙子", "葡萄", "梨", "西瓜", "草莓", "猕猴桃", "芒果", "桃", "哈密瓜", "火龙果"),
    "蔬菜": ("胡萝卜", "萝卜", "黄瓜", "西红柿", "番茄", "白菜", "青菜", "土豆", "南瓜", "茄子", "青椒"),
    "积木": ("木块", "雪花片", "乐高", "积塑"),
    "纸": ("卡纸", "彩纸", "皱纹纸", "报纸", "纸板", "白纸"),
}


def _matches(name: str, wanted: str) -> bool:
    if not (name and wanted):
        return False
    if wanted in name or (len(name) >= 2 and name in wanted):
        return True
    return any(
        wanted.endswith(kind) and any(member in name for member in members) for kind, members in MATERIAL_KINDS.items()
    )


def allowed_extra(name: str, facts: CheckFacts) -> bool:
    """Whether a material the teacher did not list may stay: basic consumables and teacher aids,
    the scaffold's safe alternatives, and what the topic itself names (the ball, the river)."""
    if any(word in name for word in BASIC_CONSUMABLES):
        return True
    if any(
        _matches(name, word) or word in name
        for text in facts.alternatives
        for word in re.split(r"[、，,或；;和]", text)
        if len(word) >= 2
    ):
        return True
    topic = facts.scaffold.topic or facts.scaffold.request.topic
    return any(word in name for word in facts.topic_words if word in topic) or bool(_bigrams(name) & _bigrams(topic))


@check
def materials_listed(plan: LessonPlan, facts: CheckFacts) -> list[Defect]:
    items = plan.preparation.materials
    defects = [
        Defect(
            "material_missing",
            "preparation",
            "materials",
            f"教师列出的材料\u201c{wanted}\u201d没有写进物质准备。",
            (wanted,),
        )
        for wanted in facts.materials
        if not any(_matches(item.name, wanted) for item in items)
    ]
    if facts.materials:
        defects += [
            Defect(
                "material_unlisted",
                "preparation",
                f"material:{i}",
                f"物质准备里的\u201c{item.name}\u201d不在教师列出的材料中。",
                (item.name,),
            )
            for i, item in enumerate(items)
            if not any(_matches(item.name, wanted) for wanted in facts.materials)
            and not allowed_extra(item.name, facts)
        ]
    defects += [
        Defect(
            "quantity_missing", "preparation", f"quantity:{i}", f"材料\u201c{item.name}\u201d没有写数量。", (item.name,)
        )
        for i, item in enumerate(items)
        if not _QUANTITY.search(item.quantity)
    ]
    return defects


# Children handling a thing: these verbs, or the thing handed to each child or group.
_HANDLING = (
    "用",
    "拿",
    "点",
    "摸",
    "玩",
    "剪",
    "切",
    "削",
    "刻",
    "吹",
    "盖",
    "烧",
    "捏",
    "放进",
    "放置",
    "实验",
    "串",
    "插",
    "操作",
    "使用",
    "握",
    "扎",
    "撒",
    "倒",
    "喝",
    "吃",
    "含",
    "塞",
    "吹灭",
    "熄灭",
    "点燃",
    "尝试",
    "试",
)
_HANDED_OUT = ("每人", "每组", "人手", "发给", "分发", "分给", "自己拿", "自取", "投放", "提供给")
_TEACHER_ACTORS = ("教师", "老师", "家长", "大人", "成人")
_CHILD_ACTORS = ("幼儿", "孩子", "小朋友", "你们", "我们", "大家", "每人", "每组", "各组", "自己", "请你")
_SPEECH = re.compile(r"[“\"][^”\"]*[”\"]|(说|回答|答)[：:][^。；;\n]*|(说|回答)[^，,。；;\n]*")
# Sentences in which children only watch, keep away, or say an idea (the safe variant itself).
_SAFE_ROLE = (
    "观察",
    "观看",
    "看老师",
    "看教师",
    "看着",
    "远离",
    "安全距离",
    "不碰",
    "不能",
    "不要",
    "不可",
    "不许",
    "不准",
    "禁止",
    "不让",
    "别碰",
    "由教师",
    "由老师",
    "教师操作",
    "老师操作",
    "教师演示",
    "老师演示",
    "教师来",
    "老师来",
    "教师点",
    "老师点",
    "教师用",
    "老师用",
    "说出",
    "说说",
    "说一说",
    "想出",
    "提出",
    "建议",
    "猜",
    "讨论",
    "画出",
    "电子蜡烛",
    "LED",
)


def unsafe_sentences(
    text: str, words: list[str], *, children_field: bool, in_english: bool = False
) -> list[tuple[str, str]]:
    """(sentence, word) for each sentence in which children handle one of `words`. What children
    say ("我可以用打火机") is an idea, not an action: in a children's line, speech is left out."""
    if in_english:
        return unsafe_english_sentences(text, words, children_field=children_field)
    if children_field:
        text = _SPEECH.sub("", text)
    found = []
    for whole in re.split(r"(?<=[。！？!?；;\n])", text):
        if whole.strip().endswith(("？", "?")):
            continue  # a question asks for ideas ("我们怎样才能让蜡烛熄灭？")
        for sentence in re.split(r"(?<=[，,])", whole):
            word = next((w for w in words if w in sentence), None)
            if word is None or any(marker in sentence for marker in _SAFE_ROLE):
                continue
            handed = any(marker in sentence for marker in _HANDED_OUT)
            handles = any(verb in sentence for verb in _HANDLING)
            # Who acts is often named once for the whole sentence ("和孩子一起搭小桥，并在上面放置
            # 蜡烛进行实验", bench r03's home task); a clause that names the teacher is the teacher's.
            by_teacher = any(name in sentence for name in _TEACHER_ACTORS)
            by_children = children_field or any(actor in whole for actor in _CHILD_ACTORS)
            if handed or (handles and by_children and not by_teacher):
                found.append((sentence.strip("，,；;。 "), word))
    return found


# Where a plan has children act: objectives, key points and the children's lines have the child as
# subject; an area corner is where children play on their own; the teacher's lines and the home
# task say who acts.
# The home task is the family's: a banned material in it reaches the child at home whoever is named
# (bench/quality.py r21: "可以提供…气球作为燃料" in a 大班 rocket plan's 家园共育).
CHILD_FIELDS = ("objective", "key_point", "difficult_point", "children", "area", "home")
ACTOR_FIELDS = ("teacher", "question", "design_intent")


@check
def unsafe_text(plan: LessonPlan, facts: CheckFacts) -> list[Defect]:
    found: dict[str, list[tuple[str, str, str]]] = {}
    for section, name, text in plan_fields(plan):
        kind = name.split(":")[0]
        if kind in CHILD_FIELDS or kind in ACTOR_FIELDS:
            for sentence, word in unsafe_sentences(
                text, facts.hazard_words, children_field=kind in CHILD_FIELDS, in_english=facts.english
            ):
                found.setdefault(section, []).append((name, sentence, word))
        if kind == "home" and not facts.english:
            # Anything the family is asked to use is the child's at home: a banned material in the
            # home task is a defect with or without a verb ("如气球作为燃料", bench r21).
            for sentence in re.split(r"[。；;，,\n]", text):
                word = next((w for w in facts.hazard_words if w in sentence), None)
                if word and not any(marker in sentence for marker in _SAFE_ROLE):
                    found.setdefault(section, []).append((name, sentence.strip(), word))
    defects = []
    for section, rows in found.items():
        words = tuple(dict.fromkeys(word for _, _, word in rows))
        name, sentence, _ = rows[0]
        defects.append(
            Defect(
                "unsafe",
                section,
                name,
                f"{section_name(section)}: children handle \u201c{', '.join(words)}\u201d: \u201c{sentence[:80]}\u201d."
                if facts.english
                else f"{section_name(section)}让幼儿自己接触\u201c{'、'.join(words)}\u201d：\u201c{sentence[:30]}\u201d。",
                words,
            )
        )
    for i, item in enumerate(plan.preparation.materials):
        word = next((w for w in facts.hazard_words if w.lower() in item.name.lower()), None)
        if word and item.for_whom == "幼儿" and not any(m in item.name for m in ("电子", "LED")):
            defects.append(
                Defect(
                    "unsafe", "preparation", f"material:{i}", f"\u201c{item.name}\u201d写成了幼儿用的材料。", (word,)
                )
            )
    return defects


# --- repairs by code ----------------------------------------------------------------------------


def chinese_quantity(item: MaterialItem) -> str:
    """A quantity written with English words in Chinese: "group12" -> 每组12份; no number -> the default."""
    number = re.search(r"\d+", item.quantity)
    if not number:
        return default_quantity(item)
    lowered = item.quantity.lower()
    per = "每组" if "group" in lowered else "每人" if any(w in lowered for w in ("each", "child", "person")) else ""
    return f"{per}{number.group()}份"


def default_quantity(item: MaterialItem) -> str:
    return "1份" if item.for_whom == "教师" else "每组1份"


def tidy(plan: LessonPlan, facts: CheckFacts, sections: Iterable[str] | None = None) -> LessonPlan:
    """The repairs code makes exactly: labels stripped, cut lines cut back to their last full
    sentence, quantities filled, listed materials added and unlisted ones dropped, banned materials
    given to the teacher. A cut line that cannot be cut back is left for the model."""
    if facts.english:
        return plan  # the repairs below read Chinese (labels, punctuation, quantities); rules.py gives banned materials to the teacher
    wanted = set(sections) if sections is not None else None

    def fix(section: str, name: str, text: str) -> str:
        if wanted is not None and section not in wanted:
            return text
        text = strip_labels(name, text)
        if name == "teacher":
            text = as_done(text)
        if name.split(":")[0] in ("design_intent", "objective", "key_point", "difficult_point"):
            text = _LEADING_CONJUNCTION.sub("", text.lstrip())  # "并找出…": cut at the start
        if is_cut(name, text):
            text = cut_back(name, text) or text
        return text

    update: dict[str, object] = {
        "title": fix("overview", "title", plan.title),
        "design_intent": fix("overview", "design_intent", plan.design_intent),
        "objectives": [
            o.model_copy(update={"text": fix("overview", f"objective:{i}", o.text)})
            for i, o in enumerate(plan.objectives)
        ],
        "key_point": fix("overview", "key_point", plan.key_point),
        "difficult_point": fix("overview", "difficult_point", plan.difficult_point),
    }
    steps = []
    for i, step in enumerate(plan.steps):
        section = f"step:{i}"
        steps.append(
            step.model_copy(
                update={
                    # A title holding the prompt's structure line ("展开；CPS阶段：选办法；时间：3分钟",
                    # bench r17) is the stage's name.
                    "title": step.cps_stage if _PROMPT_LINE.search(step.title) else fix(section, "title", step.title),
                    "teacher": fix(section, "teacher", step.teacher),
                    "children": fix(section, "children", step.children),
                    "intent": fix(section, "intent", step.intent),
                    "key_questions": [fix(section, "question", q) for q in step.key_questions],
                }
            )
        )
    update["steps"] = steps
    update["extension"] = plan.extension.model_copy(
        update={
            "area": fix("closing", "area", plan.extension.area),
            "home": fix("closing", "home", plan.extension.home),
        }
    )
    update["observation_points"] = [fix("closing", "observation", text) for text in plan.observation_points]
    if wanted is None or "preparation" in wanted:
        update["preparation"] = plan.preparation.model_copy(
            update={
                "experience": [fix("preparation", "experience", text) for text in plan.preparation.experience],
                "materials": tidy_materials(plan.preparation.materials, facts),
            }
        )
    return plan.model_copy(update=update)


def tidy_materials(items: list[MaterialItem], facts: CheckFacts) -> list[MaterialItem]:
    kept = []
    for item in items:
        listed = any(_matches(item.name, wanted) for wanted in facts.materials)
        if facts.materials and not listed and not allowed_extra(item.name, facts):
            continue
        banned = any(w in item.name for w in facts.hazard_words) and not any(m in item.name for m in ("电子", "LED"))
        if banned and not listed:
            continue  # a banned material the teacher did not ask for does not belong in the plan
        update: dict[str, str] = {}
        if banned or any(w in item.name for w in facts.teacher_only):
            update["for_whom"] = "教师"
        if _LATIN_WORD.search(item.quantity):
            update["quantity"] = chinese_quantity(item.model_copy(update=update))
        elif not _QUANTITY.search(item.quantity):
            update["quantity"] = default_quantity(item.model_copy(update=update))
        kept.append(item.model_copy(update=update))
    for wanted in facts.materials:
        if not any(_matches(item.name, wanted) for item in kept):
            for_whom = "教师" if any(w in wanted for w in facts.teacher_only) else "幼儿"
            item = MaterialItem(name=wanted[:30], quantity="", for_whom=for_whom)  # type: ignore[arg-type]
            kept.append(item.model_copy(update={"quantity": default_quantity(item)}))
    return kept


# The children's line of each stage when the model could only repeat the teacher's.
CHILD_LINES: dict[str, str] = {
    "发现问题": "幼儿观察情境，说说看到了什么、遇到了什么麻烦。",
    "想办法": "幼儿大胆说出、比画出自己的点子，听同伴的点子后再想一个不一样的。",
    "选办法": "幼儿说说自己喜欢哪个办法、为什么，用贴纸选出想先试的办法。",
    "试一试改一改": "幼儿按自己的点子动手试，发现不行就换个办法再试。",
    "分享": "幼儿向同伴介绍自己的办法，说说是怎么改的、下次还想怎么试。",
}


def last_resort(plan: LessonPlan, defects: list[Defect], facts: CheckFacts) -> LessonPlan:
    """What code does about defects the model could not fix: an unsafe step becomes the teacher
    operating while children watch and suggest; sentences with borrowed words, copied instructions
    or non-Chinese words are dropped (when something is left); a copied children's line gets the
    stage's own."""
    if facts.english:
        return english_last_resort(plan, defects, facts)
    steps = list(plan.steps)
    for defect in defects:
        if not defect.section.startswith("step:"):
            continue
        index = int(defect.section.split(":")[1])
        step = steps[index]
        if defect.kind == "unsafe":
            steps[index] = teacher_operates(step, facts)
        elif defect.kind == "children_copy":
            steps[index] = step.model_copy(update={"children": CHILD_LINES[step.cps_stage]})
    plan = plan.model_copy(update={"steps": steps})
    for defect in defects:
        if defect.kind in ("borrowed", "not_chinese") and defect.words:
            plan = drop_words(plan, defect.section, defect.field, defect.words)
        elif defect.kind == "parroted":
            plan = drop_words(plan, defect.section, defect.field, defect.words, whole_sentences=False)
    preparation = [d for d in defects if d.kind == "unsafe" and d.section == "preparation"]
    if preparation:
        plan = tidy(plan, facts, ["preparation"])
    if any(d.kind == "unsafe" and d.section in ("overview", "closing") for d in defects):
        plan = without_unsafe_clauses(plan, facts)
    if any(d.kind == "repeated_objective" for d in defects):
        plan = plan.model_copy(update={"objectives": distinct_objectives(plan, facts)})
    return plan


def distinct_objectives(plan: LessonPlan, facts: CheckFacts) -> list:  # list[Objective]
    """Objectives that share one sentence: the one that is already its dimension's line stays (or
    the first), the others get their dimension's line."""
    lines = objective_lines(facts)
    if facts.teacher_only:
        lines["能力"] = f"能在安全距离外观看教师操作{'、'.join(facts.teacher_only)}，说出自己想到的办法"
    groups: dict[str, list[int]] = {}
    for i, objective in enumerate(plan.objectives):
        groups.setdefault(_plain(objective.text), []).append(i)
    objectives = list(plan.objectives)
    for members in groups.values():
        if len(members) < 2:
            continue
        fitting = [i for i in members if objectives[i].text == lines.get(objectives[i].dimension)]
        keep = fitting[0] if fitting else members[0]
        for i in members:
            if i != keep and objectives[i].dimension in lines:
                objectives[i] = objectives[i].model_copy(update={"text": lines[objectives[i].dimension]})
    return objectives


def objective_lines(facts: CheckFacts) -> dict[str, str]:
    """One line per dimension that fits any CPS activity on this problem (and its safety rule)."""
    topic = facts.scaffold.topic or facts.scaffold.request.topic
    named = "、".join(facts.teacher_only)
    return {
        "认知": f"知道{named}只能由教师操作，能说出它们危险在哪里"
        if named
        else f"知道\u201c{topic}\u201d可以有不止一种办法",
        "能力": f"能围绕\u201c{topic}\u201d想出至少两种办法，并试一试、改一改",
        "情感": "愿意大胆说出自己的想法，遇到困难坚持再试一次",
    }


_LEADING_CONJUNCTION = re.compile(r"^(并且|并|而且|然后|同时|还|和|及)")


def without_unsafe_clauses(plan: LessonPlan, facts: CheckFacts) -> LessonPlan:
    """Objectives, key points and the extension without the clauses that have children handle a
    dangerous material; a line left with nothing says what children do instead."""

    def safe(text: str, kind: str, instead: str) -> str:
        risky = {
            sentence for sentence, _ in unsafe_sentences(text, facts.hazard_words, children_field=kind in CHILD_FIELDS)
        }
        if not risky:
            return text
        kept, dropped = "", False
        for clause in re.split(r"(?<=[，,；;。])", text):
            if clause.strip("，,；;。 ") in risky:
                dropped = True
                continue
            if dropped:  # "让幼儿学会用打火机点燃蜡烛，并尝试…" without its first clause: not "并尝试…"
                clause = _LEADING_CONJUNCTION.sub("", clause)
            kept, dropped = kept + clause, False
        kept = kept.strip("，,；; ")
        return kept if len(_plain(kept)) >= 6 else instead

    named = "、".join(facts.teacher_only) or "危险材料"
    watch = f"能在安全距离外观看教师操作{named}，说出自己想到的办法"
    # One safe objective per dimension: the same sentence twice (bench r03's 认知 and 能力) reads
    # as a mistake.
    instead_by_dimension = {**objective_lines(facts), "能力": watch}
    objectives = [
        o.model_copy(update={"text": safe(o.text, "objective", instead_by_dimension.get(o.dimension, watch))})
        for o in plan.objectives
    ]
    extension = plan.extension.model_copy(
        update={
            "area": safe(
                plan.extension.area,
                "area",
                f"科学区：投放安全替代材料（{'；'.join(facts.alternatives) or '图片和模型'}），幼儿继续想办法。",
            ),
            "home": safe(plan.extension.home, "home", "和家人一起说说家里哪些东西只能由大人操作，为什么。"),
        }
    )
    return plan.model_copy(
        update={
            "objectives": objectives,
            "design_intent": safe(
                plan.design_intent,
                "design_intent",
                f"从幼儿身边的真实问题出发：{named}由教师操作，幼儿在安全距离外观看、想办法、出主意。",
            ),
            "key_point": safe(plan.key_point, "key_point", watch),
            "difficult_point": safe(plan.difficult_point, "difficult_point", watch),
            "extension": extension,
        }
    )


def teacher_operates(step, facts: CheckFacts):  # noqa: ANN001, ANN201 - a ProcessStep
    """The step rewritten as the teacher operating the dangerous material while the children watch
    from a safe distance and suggest what to try (DESIGN.md principle 6)."""
    found = unsafe_sentences(step.children, facts.hazard_words, children_field=True)
    found += unsafe_sentences(step.teacher, facts.hazard_words, children_field=False)
    found_words = list(dict.fromkeys(word for _, word in found))
    # Named as the teacher listed them (蜡烛), not by what the model brought in (酒精灯).
    named = [w for w in facts.teacher_only if any(w in f or f in w for f in found_words)] or found_words
    words = "、".join(named) or "危险材料"

    teacher_lead = (
        f"{words}由教师操作，幼儿站在安全距离以外观看。教师请幼儿出主意：\u201c你想让老师怎样试？\u201d"
        "按幼儿的建议一次试一个办法，每试一次请幼儿说说看到了什么。"
    )
    children_lead = "幼儿在安全距离以外观看，说出自己的办法请老师试，比较哪个办法有效。"

    def safe(text: str, lead: str, children_field: bool) -> str:
        # Without a lead a repair already put there (it was doubled, bench r04), and without every
        # sentence the hazard check still finds (a safe word like 画出 elsewhere in it is no excuse).
        parts = re.split(r"(?<=[。！？!?；;\n])", text.replace(lead, ""))
        return "".join(p for p in parts if not unsafe_sentences(p, facts.hazard_words, children_field=children_field))

    teacher = teacher_lead + safe(step.teacher, teacher_lead, False)
    children = children_lead + safe(step.children, children_lead, True)
    return step.model_copy(update={"teacher": teacher[:300], "children": children[:200]})


def drop_words(
    plan: LessonPlan, section: str, name: str, words: tuple[str, ...], *, whole_sentences: bool = True
) -> LessonPlan:
    """The field without the sentences (list items, for a list) that hold any of `words`, if some
    text is left; otherwise (or with whole_sentences=False) the words themselves are taken out."""

    def clean(text: str) -> str:
        kept = "".join(s for s in sentences(text) if not any(w in s for w in words))
        if whole_sentences and len(_plain(kept)) >= 6:
            return kept
        for word in words:
            text = text.replace(word, "")
        return re.sub(r"([，。；、])[，。；、]+", r"\1", text).strip("，、 ")

    kind, _, position = name.partition(":")
    if section.startswith("step:"):
        index = int(section.split(":")[1])
        steps = list(plan.steps)
        step = steps[index]
        if kind == "question":
            questions = [q for q in step.key_questions if not any(w in q for w in words)] or step.key_questions
            steps[index] = step.model_copy(update={"key_questions": questions})
        elif kind in ("title", "teacher", "children", "intent"):
            steps[index] = step.model_copy(update={kind: clean(getattr(step, kind)) or getattr(step, kind)})
        return plan.model_copy(update={"steps": steps})
    if kind == "objective":
        objectives = list(plan.objectives)
        i = int(position)
        objectives[i] = objectives[i].model_copy(update={"text": clean(objectives[i].text) or objectives[i].text})
        return plan.model_copy(update={"objectives": objectives})
    if kind in ("design_intent", "key_point", "difficult_point", "title"):
        return plan.model_copy(update={kind: clean(getattr(plan, kind)) or getattr(plan, kind)})
    if kind in ("area", "home"):
        return plan.model_copy(
            update={"extension": plan.extension.model_copy(update={kind: clean(getattr(plan.extension, kind))})}
        )
    if kind == "observation":
        points = [p for p in plan.observation_points if not any(w in p for w in words)] or plan.observation_points
        return plan.model_copy(update={"observation_points": points})
    if kind == "experience":
        kept = [e for e in plan.preparation.experience if not any(w in e for w in words)] or plan.preparation.experience
        return plan.model_copy(update={"preparation": plan.preparation.model_copy(update={"experience": kept})})
    return plan


# --- regeneration: what the model is told --------------------------------------------------------


def instruction_for(defects: list[Defect], facts: CheckFacts) -> str:
    """One instruction for rewriting a section, naming each of its problems and what to do."""
    topic = facts.scaffold.topic or facts.scaffold.request.topic
    if facts.english:
        return english_instruction_for(defects)
    lines = []
    kinds = {d.kind for d in defects}
    if "borrowed" in kinds:
        words = sorted({w for d in defects if d.kind == "borrowed" for w in d.words})
        lines.append(
            f"不要写\u201c{'、'.join(words)}\u201d：它们来自别的活动。只写本活动\u201c{topic}\u201d的问题和材料。"
        )
    if "unsafe" in kinds:
        words = sorted({w for d in defects if d.kind == "unsafe" for w in d.words})
        lines.append(
            f"安全规则：{'、'.join(words)}只能由教师操作，{SAFETY_RULE_LINE}；"
            f"不要写幼儿自己拿、点、用{'、'.join(words)}。"
        )
    if "children_copy" in kinds:
        lines.append(CHILDREN_OWN_LINE)
    if "repeated_objective" in kinds:
        lines.append(DISTINCT_OBJECTIVES_LINE)
    if "off_topic" in kinds:
        named = "、".join(sorted(facts.topic_words)[:4])
        if any(d.kind == "off_topic" and d.section == "overview" for d in defects):
            lines.append(
                f"设计意图和能力目标要写出本活动的具体内容（{named}）：设计意图说清问题从哪里来，能力目标写幼儿能做到、看得见的行为。"
            )
        else:
            lines.append(f"这一步要围绕本活动的问题和材料（{named}）来写。")
    if "parroted" in kinds:
        lines.append(TEACHER_TALK_LINE)
    if "not_chinese" in kinds:
        words = sorted({w for d in defects if d.kind == "not_chinese" for w in d.words})
        lines.append(f"全部用中文写，不要出现\u201c{'、'.join(words)}\u201d这样的外文。")
    if "cut_off" in kinds:
        lines.append("每一句都要写完整，写短一些。")
    return "【必须改正】" + "".join(f"{n}. {line}" for n, line in enumerate(lines, start=1))


@dataclass
class CheckReport:
    """What the checks found before and after their repairs, and what the repairs cost."""

    before: list[Defect] = field(default_factory=list)
    after: list[Defect] = field(default_factory=list)
    rewrites: int = 0  # sections written again by the model
    code_repairs: int = 0  # defects repaired by code
    seconds: float = 0.0

    def counts(self, which: str = "after") -> dict[str, int]:
        return dict(Counter(d.kind for d in getattr(self, which)))


Rewrite = Callable[[LessonPlan, str, str], LessonPlan]
# Sections whose defects are worth another model call (in the order they are tried).
# The fixed lines of instruction_for: part of the writing instructions a section must not copy
# (bench r07: the 选办法 teacher line came back as "老师在班里对孩子说的话和做的事，不要照抄写作要求。").
CHILDREN_OWN_LINE = "children 写幼儿自己做什么、可能怎么说，不要重复教师的话。"
# The safety rewrite's rule, which a later section must not copy as its teacher line (bench r21).
SAFETY_RULE_LINE = "幼儿站在安全距离以外观看、出主意，由教师按幼儿的建议来试"
TEACHER_TALK_LINE = "教师一栏写老师在班里对孩子说的话和做的事，不要照抄写作要求。"
DISTINCT_OBJECTIVES_LINE = (
    "认知、能力、情感三条目标各写一句不同的话：认知写知道什么，能力写会做什么，情感写愿意、喜欢什么。"
)


REWRITE_KINDS = (
    "repeated_objective",
    "unsafe",
    "borrowed",
    "children_copy",
    "off_topic",
    "parroted",
    "not_chinese",
    "cut_off",
)


def validate_plan(
    plan: LessonPlan,
    facts: CheckFacts,
    rewrite: Rewrite | None = None,
    *,
    sections: Iterable[str] | None = None,
) -> tuple[LessonPlan, CheckReport]:
    """Check a plan (or some of its sections) and repair what is found: by code first, then one
    rewrite per section by the model (kept only when it has fewer defects), then code again for what
    is left. `rewrite(plan, section, instruction)` returns the plan with that section rewritten, or
    the plan unchanged when the model failed (a failed repair must not lose the plan)."""
    started = time.monotonic()
    scope = list(sections) if sections is not None else None
    report = CheckReport(before=check_plan(plan, facts, scope))
    plan = tidy(plan, facts, scope)
    remaining = check_plan(plan, facts, scope)
    report.code_repairs = len(report.before) - len(remaining)
    if rewrite is not None:
        by_section: dict[str, list[Defect]] = {}
        for defect in remaining:
            if defect.kind in REWRITE_KINDS:
                by_section.setdefault(defect.section, []).append(defect)
        for section, defects in by_section.items():
            candidate = tidy(rewrite(plan, section, instruction_for(defects, facts)), facts, [section])
            report.rewrites += 1
            if len(check_plan(candidate, facts, [section])) < len(check_plan(plan, facts, [section])):
                plan = candidate
        remaining = check_plan(plan, facts, scope)
    if remaining:
        plan = tidy(last_resort(plan, remaining, facts), facts, scope)
    report.after = check_plan(plan, facts, scope)
    report.seconds = time.monotonic() - started
    return plan, report


# --- a plan in English ----------------------------------------------------------------------------
# The checks above read Chinese. An English plan gets the ones that do not depend on the language
# (a children's line copying the teacher's) and safety, with English word lists (authoring.english,
# resources/hazards_en.toml), an English rewrite instruction and English last-resort text.

ENGLISH_CHECKS = frozenset({"children_copy", "unsafe_text", "english_parroted"})
ENGLISH_COPIED_WORDS = 6  # six words in a row from the writing instructions are their words, not the plan's


def _english_instructions() -> str:
    """What the model is told in English (the system prompt, the stage guidance, the step fields)."""
    return "\n".join([render("lesson_system", language="en"), *english.STAGE_GUIDANCE.values(), english.TIERS["中班"]])


def _word_runs(text: str, size: int) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z']+", text.lower())
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


@check
def english_parroted(plan: LessonPlan, facts: CheckFacts) -> list[Defect]:
    """A teacher's, children's or intent line of an English plan that repeats the writing
    instructions (bench/quality.py r18: "a failed try is information: encourage trying again")."""
    if not facts.english:
        return []
    told = _word_runs(_english_instructions(), ENGLISH_COPIED_WORDS)
    own = _word_runs("\n".join([*facts.scaffold.brainstorm_rules, facts.scaffold.tiers]), ENGLISH_COPIED_WORDS)
    defects = []
    for i, step in enumerate(plan.steps):
        for name in ("teacher", "children", "intent"):
            copied = (_word_runs(getattr(step, name), ENGLISH_COPIED_WORDS) & told) - own
            if copied:
                words = " ".join(sorted(copied)[0])
                defects.append(
                    Defect(
                        "parroted",
                        f"step:{i}",
                        name,
                        f"Step {i + 1} repeats the writing instructions: \u201c{words}\u201d.",
                        (words,),
                    )
                )
    return defects


def _english_words(words: Iterable[str], text: str) -> list[str]:
    lowered = text.lower()
    return [w for w in words if re.search(rf"\b{re.escape(w.lower())}(s|es)?\b", lowered)]


def unsafe_english_sentences(text: str, words: list[str], *, children_field: bool) -> list[tuple[str, str]]:
    """(sentence, word) for each English sentence in which children handle one of `words`: in a
    children's field any mention outside speech; elsewhere a sentence naming children, a handling
    verb and the material, and not the teacher."""
    if children_field:
        text = re.sub(r"[\u201c\"][^\u201d\"]*[\u201d\"]", "", text)
    found = []
    for sentence in re.split(r"(?<=[.!?;\n])\s*", text):
        if not sentence.strip() or sentence.strip().endswith("?"):
            continue
        hit = _english_words(words, sentence)
        if not hit:
            continue
        lowered = f" {sentence.lower()} "
        by_teacher = any(name in lowered for name in english.TEACHER_ACTORS)
        by_children = children_field or any(actor in lowered for actor in english.CHILD_ACTORS)
        handles = bool(_english_words(english.HANDLING_VERBS, sentence))
        if by_children and not by_teacher and (children_field or handles):
            found.append((sentence.strip(), hit[0]))
    return found


def english_instruction_for(defects: list[Defect]) -> str:
    lines = []
    unsafe = sorted({w for d in defects if d.kind == "unsafe" for w in d.words})
    if unsafe:
        lines.append(
            f"Safety rule: only the teacher handles {', '.join(unsafe)}; the children watch from a safe distance and "
            "suggest ideas, and the teacher tries them. Never write that children hold, light or use them."
        )
    if any(d.kind == "children_copy" for d in defects):
        lines.append("In children, write what the children do and might say; do not repeat the teacher's words.")
    if any(d.kind == "parroted" for d in defects):
        lines.append(
            "Write what this teacher says and does with these children in this activity; do not repeat the writing rules."
        )
    return "[Must fix] " + " ".join(f"{n}. {line}" for n, line in enumerate(lines, start=1))


ENGLISH_CHILD_LINES = {
    "发现问题": "The children look closely and say what they notice about the problem.",
    "想办法": "The children say, draw or show as many ideas as they can.",
    "选办法": "The children say what is good about an idea and what worries them, then vote.",
    "试一试改一改": "The children try their idea, see what happens and change it.",
    "分享": "The children show what they made and tell how they changed it.",
}


def english_last_resort(plan: LessonPlan, defects: list[Defect], facts: CheckFacts) -> LessonPlan:
    """An unsafe step becomes the teacher demonstrating while the children watch and suggest; an
    unsafe sentence elsewhere is dropped (a line left empty says what children do instead); a
    copied children's line gets the stage's own."""
    found = list(dict.fromkeys(w for d in defects if d.kind == "unsafe" for w in d.words))
    # Named as the teacher listed them, else as the check found them (a balloon nobody listed).
    named = ", ".join(facts.teacher_only or found) or "the dangerous material"

    def safe(text: str, children_field: bool) -> str:
        risky = {s for s, _ in unsafe_english_sentences(text, facts.hazard_words, children_field=children_field)}
        return " ".join(p for p in re.split(r"(?<=[.!?;\n])\s*", text) if p.strip() and p.strip() not in risky)

    steps = list(plan.steps)
    for defect in defects:
        if not defect.section.startswith("step:"):
            continue
        index = int(defect.section.split(":")[1])
        step = steps[index]
        if defect.kind == "unsafe":
            teacher = english.TEACHER_DEMONSTRATES.format(materials=named) + " " + safe(step.teacher, False)
            children = english.CHILDREN_SUGGEST.format(materials=named) + " " + safe(step.children, True)
            steps[index] = step.model_copy(
                update={"teacher": teacher.strip()[:900], "children": children.strip()[:600]}
            )
        elif defect.kind == "children_copy":
            steps[index] = step.model_copy(update={"children": ENGLISH_CHILD_LINES[step.cps_stage]})
        elif defect.kind == "parroted":
            # The sentences holding the copied words go, when something is left.
            told = _word_runs(_english_instructions(), ENGLISH_COPIED_WORDS)
            text = getattr(steps[index], defect.field)
            kept = " ".join(
                p for p in re.split(r"(?<=[.!?])\s+", text) if not _word_runs(p, ENGLISH_COPIED_WORDS) & told
            ).strip()
            if kept:
                steps[index] = steps[index].model_copy(update={defect.field: kept})
            elif defect.field == "children":
                steps[index] = steps[index].model_copy(update={"children": ENGLISH_CHILD_LINES[step.cps_stage]})
    plan = plan.model_copy(update={"steps": steps})
    if any(d.kind == "unsafe" and d.section in ("overview", "closing") for d in defects):
        watch = f"can watch the teacher use {named} from a safe distance and suggest ideas"
        plan = plan.model_copy(
            update={
                "objectives": [o.model_copy(update={"text": safe(o.text, True) or watch}) for o in plan.objectives],
                "design_intent": safe(plan.design_intent, False)
                or f"Only the teacher handles {named}; children watch and suggest.",
                "key_point": safe(plan.key_point, True) or watch,
                "difficult_point": safe(plan.difficult_point, True) or watch,
                "extension": plan.extension.model_copy(
                    update={
                        "area": safe(plan.extension.area, True)
                        or f"Science area: safe alternatives ({'; '.join(facts.alternatives) or 'pictures and models'}) for more ideas.",
                        "home": safe(plan.extension.home, False)
                        or "Talk with your family about which things at home only grown-ups use, and why.",
                    }
                ),
            }
        )
    return plan
