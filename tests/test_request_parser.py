"""The one-sentence request parser: rules decide what they can, `infer` is asked only for the rest."""

from __future__ import annotations

import pytest

from lesson_studio.authoring.request_parser import EMPTY_REQUEST_MESSAGE, NURSERY_NOTE, parse_request_text
from lesson_studio.errors import InvalidInput, StudioError
from lesson_studio.models import AGE_BANDS, DOMAINS, LessonRequest

EXAMPLE = "中班 艺术 20分钟 用旧报纸和毛线 让孩子想办法给小熊做一顶戴得住的帽子"


class RecordingInfer:
    """A fake model: answers from a table (None for anything else) and records every question."""

    def __init__(self, answers: dict[str, str | None] | None = None) -> None:
        self.answers = answers or {}
        self.calls: list[tuple[str, str, tuple[str, ...]]] = []

    def __call__(self, text: str, field: str, options: tuple[str, ...]) -> str | None:
        self.calls.append((text, field, options))
        return self.answers.get(field)


def refuse_to_infer(text: str, field: str, options: tuple[str, ...]) -> str | None:
    raise AssertionError(f"infer was asked for {field!r}, but the rules should have decided it")


def request(age_band: str, domain: str, topic: str, minutes: int, **rest: object) -> LessonRequest:
    return LessonRequest(age_band=age_band, domain=domain, topic=topic, minutes=minutes, **rest)  # type: ignore[arg-type]


RULE_CASES = [
    pytest.param(
        EXAMPLE,
        request("中班", "艺术", "给小熊做一顶戴得住的帽子", 20, materials=["旧报纸", "毛线"], cps_focus="想办法"),
        [],
        id="example-sentence",
    ),
    pytest.param(
        "中班艺术20分钟用旧报纸和毛线让孩子想办法给小熊做一顶戴得住的帽子",
        request("中班", "艺术", "给小熊做一顶戴得住的帽子", 20, materials=["旧报纸", "毛线"], cps_focus="想办法"),
        [],
        id="typed-without-spaces",
    ),
    pytest.param(
        "小班 健康 十五分钟 送小动物回家：练习双脚跳",
        request("小班", "健康", "送小动物回家", 15, notes="练习双脚跳"),
        [],
        id="small-class-health-chinese-numeral",
    ),
    pytest.param(
        "大班科学活动 半小时 材料：吸管、胶带、纸杯若干，让幼儿分组搭一座能承重的桥，最后投票选出最稳的",
        request(
            "大班",
            "科学",
            "搭一座能承重的桥",
            30,
            materials=["吸管", "胶带", "纸杯"],
            cps_focus="选办法",
            notes="最后投票选出最稳的",
        ),
        [],
        id="half-hour-labelled-materials-vote",
    ),
    pytest.param(
        "5-6岁 语言 绘本《爷爷一定有办法》 25min 讨论旧衣服还能变成什么",
        request("大班", "语言", "绘本《爷爷一定有办法》", 25, notes="讨论旧衣服还能变成什么"),
        [],
        id="age-range-language-picture-book",
    ),
    pytest.param(
        "4岁 社会 二十五分钟 超市购物：商量怎样排队才公平",
        request("中班", "社会", "超市购物", 25, notes="商量怎样排队才公平"),
        [],
        id="age-four-social",
    ),
    pytest.param(
        "混龄班 一刻钟 社区小超市 让孩子们分享自己的购物经验",
        request("混龄", "社会", "社区小超市", 15, cps_focus="分享", notes="让孩子们分享自己的购物经验"),
        [],
        id="mixed-age-quarter-hour-community-hint",
    ),
    pytest.param(
        "3-4岁 音乐 用小铃鼓、沙锤和响板为儿歌伴奏",
        request("小班", "艺术", "用小铃鼓、沙锤和响板为儿歌伴奏", 15, materials=["小铃鼓", "沙锤", "响板"]),
        ["minutes"],
        id="music-is-art-inline-materials-band-default-minutes",
    ),
    pytest.param(
        "大班 数学 用扑克牌比大小 20分钟",
        request("大班", "科学", "用扑克牌比大小", 20, materials=["扑克牌"]),
        [],
        id="maths-is-science",
    ),
    pytest.param(
        "中班 数学认知 按颜色和形状给积木分类",
        request("中班", "科学", "按颜色和形状给积木分类", 20),
        ["minutes"],
        id="maths-cognition-no-materials",
    ),
    pytest.param(
        "混龄 体育 四十分钟 户外 用呼啦圈和沙包 设计障碍跑道，试一试改一改",
        request(
            "混龄",
            "健康",
            "设计障碍跑道",
            40,
            materials=["呼啦圈", "沙包"],
            cps_focus="试一试改一改",
            notes="户外",
        ),
        [],
        id="sports-is-health-forty-minutes",
    ),
    pytest.param(
        "6岁 科学 二十分钟 让孩子用放大镜观察树叶，记录发现",
        request("大班", "科学", "用放大镜观察树叶", 20, materials=["放大镜"], notes="记录发现"),
        [],
        id="age-six-science",
    ),
    pytest.param(
        "托班 健康 10分钟 学洗手",
        request("小班", "健康", "学洗手", 10, notes=NURSERY_NOTE),
        ["age_band"],
        id="nursery-planned-as-small-class",
    ),
    pytest.param(
        "小小班 艺术 手指点画小雨点",
        request("小班", "艺术", "手指点画小雨点", 15),
        ["minutes"],
        id="youngest-class-is-small-class",
    ),
    pytest.param(
        "大班 艺术 用SCAMPER改造旧纸杯，头脑风暴后分享",
        request("大班", "艺术", "用SCAMPER改造旧纸杯", 25, cps_focus="想办法、分享、SCAMPER", notes="头脑风暴后分享"),
        ["minutes"],
        id="scamper-and-brainstorm",
    ),
    pytest.param(
        "帮我设计一个大班科学活动，25分钟左右，主题是鸡蛋撞地球，材料有：鸡蛋、塑料袋、吸管，让孩子想办法保护鸡蛋不摔碎",
        request(
            "大班",
            "科学",
            "鸡蛋撞地球",
            25,
            materials=["鸡蛋", "塑料袋", "吸管"],
            cps_focus="想办法",
            notes="让孩子想办法保护鸡蛋不摔碎",
        ),
        [],
        id="chatty-request-with-comma-clauses",
    ),
    pytest.param(
        "大班 科学 6-7岁 20-25分钟 用一根绳子把两个盒子连起来",
        request("大班", "科学", "用一根绳子把两个盒子连起来", 20, materials=["绳子"]),
        [],
        id="minute-range-plans-for-shorter-end",
    ),
    pytest.param(
        "4-5 years, science, 20 min, using paper cups and tape: build the tallest tower",
        request("中班", "科学", "build the tallest tower", 20, materials=["paper cups", "tape"], language="en"),
        [],
        id="english",
    ),
    pytest.param(
        "给小熊做帽子",
        request("中班", "科学", "给小熊做帽子", 20),
        ["age_band", "domain", "minutes"],
        id="topic-only-without-infer-falls-back-to-defaults",
    ),
]


@pytest.mark.parametrize(("sentence", "expected", "guessed"), RULE_CASES)
def test_sentence_is_parsed_into_fields(sentence: str, expected: LessonRequest, guessed: list[str]) -> None:
    parsed = parse_request_text(sentence)
    assert parsed.request == expected
    assert parsed.guessed == guessed


@pytest.mark.parametrize(
    "sentence",
    [
        EXAMPLE,
        "大班科学活动 半小时 材料：吸管、胶带、纸杯若干，让幼儿分组搭一座能承重的桥",
        "4-5 years, science, 20 min, using paper cups and tape: build the tallest tower",
        "托班 健康 10分钟 学洗手",
    ],
)
def test_infer_is_not_called_when_rules_decide_everything(sentence: str) -> None:
    parse_request_text(sentence, infer=refuse_to_infer)


@pytest.mark.parametrize(
    ("sentence", "answers", "asked", "expected", "guessed"),
    [
        pytest.param(
            "科学 20分钟 沉与浮：哪些东西会浮在水面上",
            {"age_band": "大班"},
            [("age_band", AGE_BANDS)],
            request("大班", "科学", "沉与浮", 20, notes="哪些东西会浮在水面上"),
            ["age_band"],
            id="no-band",
        ),
        pytest.param(
            "中班 20分钟 用纸箱做一辆能开的小汽车",
            {"domain": "艺术"},
            [("domain", DOMAINS)],
            request("中班", "艺术", "用纸箱做一辆能开的小汽车", 20, materials=["纸箱"]),
            ["domain"],
            id="no-domain",
        ),
        pytest.param(
            "给小熊做帽子",
            {"age_band": "小班", "domain": "艺术"},
            [("age_band", AGE_BANDS), ("domain", DOMAINS)],
            request("小班", "艺术", "给小熊做帽子", 15),
            ["age_band", "domain", "minutes"],
            id="no-band-no-domain-minutes-follow-inferred-band",
        ),
        pytest.param(
            "大班 科学 25分钟",
            {"topic": "纸桥承重"},
            [("topic", ())],
            request("大班", "科学", "纸桥承重", 25),
            ["topic"],
            id="no-topic",
        ),
        pytest.param(
            "混龄 语言 15分钟 我的好朋友",
            {"age_band": " 大班。"},
            [],
            request("混龄", "语言", "我的好朋友", 15),
            [],
            id="fully-stated-asks-nothing",
        ),
    ],
)
def test_infer_is_asked_only_for_the_missing_field_with_its_options(
    sentence: str,
    answers: dict[str, str | None],
    asked: list[tuple[str, tuple[str, ...]]],
    expected: LessonRequest,
    guessed: list[str],
) -> None:
    infer = RecordingInfer(answers)
    parsed = parse_request_text(sentence, infer=infer)
    assert [(field, options) for _, field, options in infer.calls] == asked
    assert all(text == sentence for text, _, _ in infer.calls)
    assert parsed.request == expected
    assert parsed.guessed == guessed


@pytest.mark.parametrize(
    ("sentence", "answers", "expected", "guessed"),
    [
        pytest.param(
            "给小熊做帽子",
            {"age_band": "幼儿园", "domain": "数学"},  # 数学 is not a domain of the 《指南》
            request("中班", "科学", "给小熊做帽子", 20),
            ["age_band", "domain", "minutes"],
            id="invalid-band-and-domain",
        ),
        pytest.param(
            "给小熊做帽子",
            {},
            request("中班", "科学", "给小熊做帽子", 20),
            ["age_band", "domain", "minutes"],
            id="infer-returns-none",
        ),
        pytest.param(
            "大班 艺术",
            {"topic": "   "},
            request("大班", "艺术", "大班艺术活动", 25),
            ["topic", "minutes"],
            id="blank-topic",
        ),
        pytest.param(
            "大班 艺术",
            {"topic": "很长" * 150},
            request("大班", "艺术", "大班艺术活动", 25),
            ["topic", "minutes"],
            id="topic-too-long",
        ),
    ],
)
def test_invalid_inferred_answer_falls_back_to_default_and_is_flagged(
    sentence: str, answers: dict[str, str | None], expected: LessonRequest, guessed: list[str]
) -> None:
    parsed = parse_request_text(sentence, infer=RecordingInfer(answers))
    assert parsed.request == expected
    assert parsed.guessed == guessed


def test_inferred_answer_may_carry_spaces_and_a_full_stop() -> None:
    parsed = parse_request_text("科学 沉与浮", infer=RecordingInfer({"age_band": " 大班。"}))
    assert parsed.request.age_band == "大班"
    assert parsed.request.minutes == 25


def test_found_names_the_words_that_decided_each_field() -> None:
    parsed = parse_request_text(EXAMPLE)
    assert parsed.found == {
        "age_band": "中班",
        "domain": "艺术",
        "topic": "给小熊做一顶戴得住的帽子",
        "minutes": "20分钟",
        "materials": "用旧报纸和毛线",
        "cps_focus": "想办法",
    }


def test_found_keeps_the_teachers_own_words_for_synonyms() -> None:
    parsed = parse_request_text("大班科学活动 半小时 材料：吸管、胶带、纸杯若干，让幼儿搭桥，最后投票")
    assert parsed.found["minutes"] == "半小时"
    assert parsed.found["materials"] == "材料：吸管、胶带、纸杯若干"
    assert parsed.found["cps_focus"] == "投票"
    assert parse_request_text("5-6岁 数学 数一数").found["age_band"] == "5-6岁"
    assert parse_request_text("5-6岁 数学 数一数").found["domain"] == "数学"


@pytest.mark.parametrize(
    ("words", "minutes"),
    [
        ("20分钟", 20),
        ("二十分钟", 20),
        ("二十五分钟", 25),
        ("十五分钟", 15),
        ("２０分钟", 20),
        ("半小时", 30),
        ("半个小时", 30),
        ("一刻钟", 15),
        ("三刻钟", 45),
        ("一小时", 60),
        ("25min", 25),
        ("20 min", 20),
        ("30 minutes", 30),
        ("15~20分钟", 15),
    ],
)
def test_minutes_words(words: str, minutes: int) -> None:
    parsed = parse_request_text(f"中班 科学 {words} 沉与浮")
    assert parsed.request.minutes == minutes
    assert parsed.found["minutes"] == words
    assert "minutes" not in parsed.guessed


@pytest.mark.parametrize(("words", "minutes"), [("一个半小时", 60), ("3分钟", 5)])
def test_minutes_outside_five_to_sixty_are_clamped_and_flagged(words: str, minutes: int) -> None:
    parsed = parse_request_text(f"大班 科学 {words} 沉与浮")
    assert parsed.request.minutes == minutes
    assert "minutes" in parsed.guessed


@pytest.mark.parametrize(("band", "minutes"), [("小班", 15), ("中班", 20), ("大班", 25), ("混龄", 20)])
def test_missing_minutes_default_to_the_band(band: str, minutes: int) -> None:
    parsed = parse_request_text(f"{band} 科学 沉与浮")
    assert parsed.request.minutes == minutes
    assert parsed.guessed == ["minutes"]


@pytest.mark.parametrize(
    ("words", "band"),
    [
        ("小班", "小班"),
        ("中班", "中班"),
        ("大班", "大班"),
        ("混龄", "混龄"),
        ("混龄班", "混龄"),
        ("小小班", "小班"),
        ("3岁", "小班"),
        ("三岁", "小班"),
        ("3-4岁", "小班"),
        ("4岁", "中班"),
        ("4-5岁", "中班"),
        ("4～5岁", "中班"),
        ("5岁", "大班"),
        ("5-6岁", "大班"),
        ("6岁", "大班"),
        ("3-6岁", "混龄"),
        ("age 5", "大班"),
        ("mixed-age", "混龄"),
    ],
)
def test_age_band_words(words: str, band: str) -> None:
    parsed = parse_request_text(f"{words} 科学 沉与浮")
    assert parsed.request.age_band == band
    assert parsed.found["age_band"] == words
    assert "age_band" not in parsed.guessed


@pytest.mark.parametrize(
    ("words", "domain"),
    [
        ("艺术", "艺术"),
        ("美术", "艺术"),
        ("音乐", "艺术"),
        ("手工", "艺术"),
        ("绘画", "艺术"),
        ("舞蹈", "艺术"),
        ("歌唱", "艺术"),
        ("科学", "科学"),
        ("数学", "科学"),
        ("数学认知", "科学"),
        ("探究", "科学"),
        ("实验", "科学"),
        ("自然", "科学"),
        ("健康", "健康"),
        ("体育", "健康"),
        ("运动", "健康"),
        ("户外", "健康"),
        ("生活习惯", "健康"),
        ("安全", "健康"),
        ("语言", "语言"),
        ("绘本", "语言"),
        ("故事", "语言"),
        ("讲述", "语言"),
        ("儿歌", "语言"),
        ("阅读", "语言"),
        ("社会", "社会"),
        ("交往", "社会"),
        ("合作", "社会"),
        ("规则", "社会"),
        ("节日", "社会"),
        ("社区", "社会"),
    ],
)
def test_domain_words(words: str, domain: str) -> None:
    parsed = parse_request_text(f"中班 {words} 20分钟 小熊的新家")
    assert parsed.request.domain == domain
    assert parsed.found["domain"] == words
    assert parsed.request.topic == "小熊的新家"


def test_named_domain_outranks_a_content_hint() -> None:
    parsed = parse_request_text("大班 科学 听故事 小组合作 让鸡蛋立起来")
    assert parsed.request.domain == "科学"


@pytest.mark.parametrize(
    ("words", "focus"),
    [
        ("头脑风暴", "想办法"),
        ("想办法", "想办法"),
        ("投票", "选办法"),
        ("选择", "选办法"),
        ("试一试", "试一试改一改"),
        ("改一改", "试一试改一改"),
        ("测试", "试一试改一改"),
        ("发现问题", "发现问题"),
        ("分享", "分享"),
        ("展示", "分享"),
        ("SCAMPER", "SCAMPER"),
    ],
)
def test_cps_focus_words(words: str, focus: str) -> None:
    parsed = parse_request_text(f"中班 科学 20分钟 纸船载重，重点是{words}")
    assert parsed.request.cps_focus == focus
    assert parsed.request.topic == "纸船载重"


@pytest.mark.parametrize(
    ("sentence", "materials"),
    [
        ("中班 科学 材料有：旧报纸若干、一卷胶带、每人一张卡纸，一把剪刀", ["旧报纸", "胶带", "卡纸", "剪刀"]),
        ("中班 艺术 用纸盘、毛根及彩纸以及胶水 做面具", ["纸盘", "毛根", "彩纸", "胶水"]),
        ("中班 科学 利用树叶与树枝 拼一幅画", ["树叶", "树枝"]),
        ("大班 艺术 用彩色贴纸装饰小房子", ["彩色贴纸"]),
        ("大班 艺术 用剪刀剪出雪花", ["剪刀"]),
        ("中班 科学 用心观察蜗牛", []),
    ],
)
def test_materials_lists(sentence: str, materials: list[str]) -> None:
    assert parse_request_text(sentence).request.materials == materials


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "。！"])
def test_empty_text_is_rejected_with_a_bilingual_message(text: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_request_text(text)
    assert str(error.value) == EMPTY_REQUEST_MESSAGE
    assert "请先用一句话描述活动" in str(error.value)
    assert "Please describe the activity in one sentence" in str(error.value)
    assert isinstance(error.value, StudioError)


def test_a_typed_material_list_splits_on_any_list_separator():
    from lesson_studio.authoring.request_parser import split_materials

    assert split_materials("纸杯、吸管，胶带, 毛线 、") == ["纸杯", "吸管", "胶带", "毛线"]
    assert split_materials("  ") == []
