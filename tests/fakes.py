"""Fakes that tell the truth: a scripted chat backend that records every prompt it received.

It lives only in tests. It answers each section with valid JSON built for that section's schema,
streamed in small pieces like a real backend, and can be told to answer garbage first.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

from lesson_studio.llm.base import ChatBackend, Message

SECTION_ANSWERS: dict[frozenset[str], dict[str, Any]] = {
    frozenset({"title", "design_intent", "objectives", "key_point", "difficult_point"}): {
        "title": "小熊的新帽子",
        "design_intent": "班上的小熊玩偶总是掉帽子，孩子们很着急。活动让幼儿用旧报纸和毛线想办法，体验解决问题的乐趣。",
        "objectives": [
            {"dimension": "认知", "text": "知道帽子要戴得住需要合适的大小和固定方法"},
            {"dimension": "能力", "text": "能尝试用报纸和毛线做出戴得住的帽子"},
            {"dimension": "情感", "text": "愿意说出自己的点子，体验合作的快乐"},
        ],
        "key_point": "幼儿想出多种做帽子和固定帽子的办法",
        "difficult_point": "想出与别人不同、又能让帽子戴得住的办法",
    },
    frozenset({"experience", "materials"}): {
        "experience": ["幼儿见过各种帽子，玩过折纸"],
        "materials": [
            {"name": "旧报纸", "quantity": "每人2张", "for_whom": "幼儿"},
            {"name": "毛线", "quantity": "每组1团", "for_whom": "幼儿"},
            {"name": "小熊玩偶", "quantity": "每组1个", "for_whom": "教师"},
        ],
    },
    frozenset({"title", "teacher", "key_questions", "children", "intent"}): {
        "title": "小熊遇到麻烦",
        "teacher": "小熊的帽子总是掉下来，怎么办呢？我们怎样才能帮它做一顶戴得住的帽子？",
        "key_questions": ["你看到了什么？", "还有别的办法吗？"],
        "children": "幼儿观察小熊，说出帽子掉下来的原因和自己的想法",
        "intent": "从真实问题出发，激发幼儿解决问题的愿望",
    },
    frozenset({"area", "home", "observation_points"}): {
        "area": "美工区投放报纸、毛线和纸盒，继续为娃娃设计帽子",
        "home": "和家人一起找找家里的帽子，说说它为什么戴得住",
        "observation_points": ["幼儿想出的点子数量和种类", "幼儿遇到困难时是否坚持尝试"],
    },
    # 家长信 (resource_types.parent_letter.schema.LetterDraft)
    frozenset({"title", "what_and_why", "child_part", "family_task", "safety_and_time", "thanks"}): {
        "title": "请和孩子一起想办法",
        "what_and_why": "这几周孩子们在想办法给小熊做一顶戴得住的帽子。孩子们自己动手试、试了再改，学着不怕困难。",
        "child_part": "孩子们用旧报纸和毛线做帽子，试戴以后再想办法让帽子更稳。",
        "family_task": "请和孩子一起找找家里的帽子，说说它为什么戴得住，再听听孩子的好办法。",
        "safety_and_time": "请在周五前把收集的材料交给老师，剪刀等工具请家长保管。",
        "thanks": "谢谢您对班级活动的支持！",
    },
    # 观察记录 (resource_types.observation_record.schema.RecordDraft, AnalysisDraft): only what
    # tests/test_observation_record.py's notes say (the checks drop anything more)
    frozenset({"objective_record"}): {
        "objective_record": "乐乐在建构区用积木搭小桥，桥面放上小汽车后塌了两次。他先把长积木换成一块长木板，"
        "又在下面加了两根圆柱。最后小汽车开过了桥，他拍手说：“我的桥不倒了！”",
    },
    frozenset({"analysis", "support_strategies", "follow_up"}): {
        "analysis": "乐乐遇到桥塌的问题没有停下，先换材料、再加支撑，能根据结果调整自己的办法，表现出坚持和大胆尝试的探究兴趣。",
        "support_strategies": ["在建构区投放长短不同的木板和纸筒，请他继续试一试", "请乐乐向同伴介绍让桥不倒的办法"],
        "follow_up": "观察乐乐是否会把加支撑的办法用到别的搭建中",
    },
    # 创造力观察清单 (resource_types.creativity_checklist.schema.ChecklistDraft)
    frozenset({"fluency", "flexibility", "originality", "elaboration"}): {
        "fluency": {
            "look_fors": ["幼儿为帽子戴不住说出两个以上不同的办法", "听到“还有呢”后又想出一个新办法"],
            "how_to_observe": "在想办法环节听孩子说的办法，当场记下原话。",
        },
        "flexibility": {
            "look_fors": ["一种固定办法不行时，换用毛线、夹子等另一种做法", "想出的办法有系、粘、折等不同种类"],
            "how_to_observe": "看孩子试失败后是接着重复，还是换了做法。",
        },
        "originality": {
            "look_fors": ["做出一种班里其他幼儿没有用过的帽子", "把报纸用在和平常不一样的地方"],
            "how_to_observe": "对照全班的办法，留意只有一个孩子用的做法。",
        },
        "elaboration": {
            "look_fors": ["给帽子添上帽檐、花边等细节", "试戴以后动手改进自己的帽子"],
            "how_to_observe": "在试一试环节前后各看一次作品，比较添了什么。",
        },
    },
    # 区域活动材料计划 (resource_types.area_plan.schema.AreaDraft): the same answer for every area
    frozenset({"goal", "materials", "levels", "record_columns", "observation_focus"}): {
        "goal": "围绕主题动手试一试，用不同的材料想出自己的办法并说一说",
        "materials": [
            {"name": "纸盒", "quantity": "每组3个", "structure": "低结构"},
            {"name": "纸筒", "quantity": "每组5个", "structure": "低结构"},
            {"name": "拼插积木", "quantity": "2套", "structure": "高结构"},
        ],
        "levels": [
            {"challenge": "自由摆弄材料，说说发现了什么", "difficulty": 1},
            {"challenge": "用材料按自己的办法做出来", "difficulty": 2},
            {"challenge": "和同伴一起换一种办法再做一个", "difficulty": 3},
        ],
        "record_columns": ["日期", "我用了什么（画一画）", "我的办法（画一画）"],
        "observation_focus": ["幼儿想出了几种不同的办法", "遇到困难时是否愿意再试一次"],
    },
    # 主题活动 (resource_types.theme_unit.schema: OverviewDraft, WeekDraft, ClosingDraft). The week's
    # activities fit any week's place on the CPS path: the slots take them in order.
    frozenset(
        {
            "unit_title",
            "source_and_value",
            "goal_health",
            "goal_language",
            "goal_social",
            "goal_science",
            "goal_art",
            "web_discover",
            "web_ideas",
            "web_make",
            "web_show",
        }
    ): {
        "unit_title": "小熊的帽子",
        "source_and_value": "班上的小熊玩偶总是掉帽子，孩子们很着急。主题从这个真实的烦恼出发，让孩子自己发现问题、想办法、做出来再用起来。",
        "goal_health": "能戴着自己做的帽子走、跑、跳",
        "goal_language": "愿意说出自己的办法，听同伴讲",
        "goal_social": "愿意和同伴一起做，轮流试戴",
        "goal_science": "发现帽子戴得住和大小、固定方法有关",
        "goal_art": "用报纸和纸盒大胆装饰自己的帽子",
        "web_discover": ["帽子为什么会掉下来？"],
        "web_ideas": ["怎样让帽子戴得住？", "还有别的办法吗？"],
        "web_make": ["我们的帽子戴得住吗？"],
        "web_show": ["怎样把帽子介绍给别人？"],
    },
    frozenset({"week_focus", "activities"}): {
        "week_focus": "跟着孩子的问题，一步步帮小熊解决帽子的麻烦",
        "activities": [
            {"title": "帽子掉了怎么办", "children_do": "观察小熊的帽子，说说发现的麻烦，动手试一试"},
            {"title": "帽子点子会", "children_do": "说一说、画一画让帽子戴得住的办法"},
            {"title": "帽子工作坊", "children_do": "用旧报纸和纸盒动手做帽子，试一试再改一改"},
            {"title": "顶着帽子走", "children_do": "戴上自己做的帽子走一走、跳一跳，看看会不会掉"},
            {"title": "帽子发布会", "children_do": "向同伴展示和介绍自己的帽子"},
            {"title": "帽子展览", "children_do": "把帽子摆进展览角，邀请别的班来参观"},
            {"title": "帽子回家", "children_do": "午睡前把帽子放回帽子架，说说今天的发现"},
        ],
    },
    frozenset({"environment", "family", "evaluation"}): {
        "environment": "在问题墙上贴出孩子的问题“帽子为什么会掉？”，再把孩子画的办法和做好的帽子照片一起贴上去。",
        "family": "请和孩子一起找找家里的帽子，说说它为什么戴得住，不需要购买任何材料。",
        "evaluation": "观察孩子想出的办法和试了再改的过程，把作品照片和孩子的话放进成长档案，不打分、不排名。",
    },
    # 活动反思 (resource_types.reflection.schema.ReflectionDraft, RevisedStepDraft): only what the
    # notes in tests/test_reflection.py say; note 4 is the timing note, note 7 the change note
    frozenset({"goal_reviews", "child_facts", "timing_review", "suggestions", "next_time"}): {
        "goal_reviews": [
            {"achieved": "达成", "evidence": "豆豆把报纸卷成筒当帽檐"},
            {"achieved": "部分达成", "evidence": "三个孩子用毛线把帽子系在小熊下巴上"},
            {"achieved": "未观察到", "evidence": "记录中没有提到"},
        ],
        "child_facts": ["豆豆把报纸卷成筒当帽檐", "乐乐发现帽子太大会掉下来", "乐乐想到用夹子夹住帽子"],
        "timing_review": "想办法环节超时，孩子们说的点子多；分享环节提前结束。",
        "suggestions": [
            {"note": 7, "text": "选办法时改成举手表决，节省时间"},
            {"note": 4, "text": "想办法环节每组先说一个最想试的点子"},
        ],
        "next_time": "保留用报纸给小熊做帽子的挑战，想办法环节再精简一些。",
    },
    frozenset({"title", "teacher", "key_questions", "children", "intent", "change"}): {
        "title": "每组说一个点子",
        "teacher": "每组先商量，说出一个最想试的办法，老师把它画在白板上。",
        "key_questions": ["你们组最想试哪个办法？"],
        "children": "每组派一名幼儿说出本组的点子",
        "intent": "精简环节，把时间留给动手试",
        "change": "每组只说一个点子，节省时间",
    },
}


def answer_for(schema: dict[str, Any]) -> str:
    properties = frozenset(schema.get("properties", {}))
    if properties == {"value"}:  # the request parser's single-choice question
        return json.dumps({"value": schema["properties"]["value"]["enum"][0]}, ensure_ascii=False)
    if properties == {"sections"}:  # chat edits: which sections to change -> the first process step
        options = schema["properties"]["sections"]["items"]["enum"]
        return json.dumps({"sections": [next(o for o in options if o.startswith("step:"))]})
    return json.dumps(SECTION_ANSWERS[properties], ensure_ascii=False)


class ScriptedBackend(ChatBackend):
    """Answers every structured call with a valid section; records calls; optional faults."""

    id = "fake"
    display_name = "Scripted fake (tests)"

    def __init__(
        self,
        *,
        garbage_first: int = 0,
        respond: Callable[[list[Message], dict[str, Any] | None], str] | None = None,
        piece_size: int = 12,
        hold: threading.Event | None = None,
    ):
        self.calls: list[list[Message]] = []
        self.schemas: list[dict[str, Any] | None] = []
        self.garbage_left = garbage_first
        self.respond = respond
        self.piece_size = piece_size
        self.hold = hold  # when set, each call waits for it (to test cancel / concurrency)
        self._lock = threading.Lock()

    def stream(
        self,
        messages: list[Message],
        *,
        json_schema: dict[str, Any] | None = None,
        max_tokens: int = 512,
        temperature: float = 0.3,
    ) -> Iterator[str]:
        with self._lock:
            self.calls.append(messages)
            self.schemas.append(json_schema)
            garbage = self.garbage_left > 0
            if garbage:
                self.garbage_left -= 1
        if self.hold is not None:
            self.hold.wait(timeout=10)
        if garbage:
            text = '{"title": "没写完'
        elif self.respond is not None:
            text = self.respond(messages, json_schema)
        else:
            text = answer_for(json_schema or {})
        for start in range(0, len(text), self.piece_size):
            yield text[start : start + self.piece_size]

    def prompts_text(self) -> str:
        return "\n".join(message["content"] for call in self.calls for message in call)
