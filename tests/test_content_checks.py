"""Content checks by code, table-driven: each check on lines the embedded model really wrote
(issue 10 and bench/quality.py) and on the good lines next to them, and each repair."""

import pytest
from sample_plans import sample_plan

from lesson_studio.authoring.content_checks import (
    CheckFacts,
    Passage,
    check_plan,
    cut_back,
    is_copy,
    strip_labels,
    tidy,
    validate_plan,
)
from lesson_studio.authoring.rubric import RubricContext, evaluate
from lesson_studio.authoring.scaffold import build_scaffold
from lesson_studio.models import LessonPlan, LessonRequest, MaterialItem

PINGPONG = LessonRequest(
    age_band="大班", domain="科学", topic="想办法让乒乓球过小河", minutes=30, materials=["吸管", "纸杯", "胶带"]
)
CANDLE = LessonRequest(
    age_band="大班", domain="科学", topic="点燃蜡烛，再想办法让蜡烛熄灭", minutes=30, materials=["蜡烛", "打火机"]
)
BRIDGE = LessonRequest(  # the request sample_plan() answers
    age_band="大班",
    domain="科学",
    topic="给小鸭搭座桥",
    minutes=30,
    materials=["纸杯", "雪花片积木", "安全剪刀", "浅水盆"],
)
BEADS = LessonRequest(
    age_band="小班", domain="艺术", topic="给妈妈串一条项链", minutes=15, materials=["小珠子", "绳子"]
)
KNIFE = LessonRequest(
    age_band="小班", domain="健康", topic="自己切水果做水果拼盘", minutes=15, materials=["小刀", "水果"]
)

# Passages the retriever gave the ping-pong request (chunks of the starter library): its own sample
# plan, and three about other activities.
PINGPONG_CASE = Passage(
    "大班科学：乒乓球过小河",
    "- 幼：用卡纸卷成滑道；把纸芯连成长桥；用勺子一个个传；用纸杯做小船；在卡纸上折出边沿。",
    heading="活动过程（共30分钟） > 二、展开 > 1. 小组点子会（想办法，6分钟）",
)
TEDDY_HAT = Passage(
    "中班艺术：给小熊做帽子",
    '- 师：出示规则图标，"想点子的时候不说\'不行\'，点子越多越好。"拿出报纸，"报纸可以怎样变成帽子？还有别的办法吗？"\n'
    "- 幼：折成尖尖的帽子；卷成一圈；团成球粘在头上；用毛线系在下巴上。",
    heading="活动过程（共25分钟） > 二、展开 > 1. 点子大放送（想办法，5分钟）",
)
SHOE_CORNER = Passage(
    "大班社会：起床穿鞋不拥挤",
    "- 幼：大家都挤在鞋柜前；鞋子乱放找不到；有人被推倒了。\n"
    '- 师：提出三个问题句，"我们怎样才能让鞋柜前不挤？怎样才能找鞋更快？怎样才能不穿错鞋？"',
    heading="活动过程（共30分钟） > 一、导入",
)
NEW_FRIEND = Passage(
    "中班社会：欢迎新朋友",
    "- 幼：带它去看厕所；送它一张画；和它一起玩积木；告诉它我的名字；给它讲我们班的故事。",
    heading="活动过程（共25分钟） > 二、展开 > 1. 帮小兔想办法（想办法，6分钟）",
)
GUIDE = Passage("3-6岁儿童学习与发展指南", "喜欢接触新事物，经常问一些与新事物有关的问题。", heading="科学 > 目标1")


def facts(request: LessonRequest, *passages: Passage) -> CheckFacts:
    return CheckFacts(scaffold=build_scaffold(request), passages=list(passages))


def plan_with_step(text: dict[str, object], index: int = 3) -> LessonPlan:
    plan = sample_plan()
    steps = list(plan.steps)
    steps[index] = steps[index].model_copy(update=text)
    return plan.model_copy(update={"steps": steps})


def kinds(plan: LessonPlan, known: CheckFacts) -> set[str]:
    return {defect.kind for defect in check_plan(plan, known)}


# --- fidelity to the request ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "text", "borrowed"),
    [
        ("key_questions", ["你想做哪一顶帽子？"], {"帽子"}),  # issue 10: the ping-pong plan's 选办法
        ("children", "团成球粘在头上；用毛线系在下巴上。", {"团成球粘在头上；用毛线系在下巴上"}),  # issue 10
        ("children", "带它去看厕所、送它一张画。", {"带它去看厕所"}),  # issue 10, the 分享
        ("key_questions", ["你觉得哪个方法能让鞋柜前不挤？"], {"鞋柜", "能让鞋柜前不挤"}),  # bench plan, 大班科学
        ("teacher", "小兔，你刚才想用什么办法把乒乓球运过小河？", {"小兔"}),  # bench r01: the new friend's puppet
        ("children", "用纸杯做小船，用吸管吹着乒乓球过河。", set()),
        ("children", "把纸芯连成长桥，让乒乓球滚过去。", set()),  # from the ping-pong plan itself: its own
        ("teacher", "想点子的时候不说'不行'，点子越多越好。还有别的办法吗？", set()),  # shared by every CPS plan
        ("intent", "让幼儿喜欢接触新事物。", set()),  # the 《指南》 is about no activity
    ],
)
def test_words_from_a_sample_plan_about_another_activity_are_flagged(field, text, borrowed):
    known = facts(PINGPONG, PINGPONG_CASE, TEDDY_HAT, SHOE_CORNER, NEW_FRIEND, GUIDE)
    found = {w for d in check_plan(plan_with_step({field: text}), known) if d.kind == "borrowed" for w in d.words}
    assert found == borrowed


HAT = LessonRequest(
    age_band="中班", domain="艺术", topic="给小熊做一顶戴得住的帽子", minutes=20, materials=["旧报纸", "毛线"]
)
# Two method cards the retriever gave the hat request (bench r02): each mixes a hat example with
# examples of other problems.
WHAT_IF = Passage(
    '"如果……会怎样？"：打开想象的提问卡',
    "- 如果教室里的水龙头都没有水了，会发生什么事？我们可以怎么办？\n"
    "- 如果小熊的帽子是用报纸做的，下雨了会怎样？怎么让它不怕雨？\n"
    "这时可以请孩子画下自己想到的样子，老师在旁边帮忙记下孩子口述的一两个关键词，画面以孩子的符号为主。",
    heading="中班：改变一样东西，想两步",
)
FINDING = Passage(
    '发现问题：把"遇到麻烦了"变成"我们怎样才能……？"',
    '- 好的说法："我们怎样才能给小熊做一顶戴得稳的帽子？"\n- 好的说法："我们怎样才能让洗手的时候不挤？"',
)


@pytest.mark.parametrize(
    ("field", "text", "borrowed"),
    [
        ("key_questions", ["如果我们教室里的水龙头都没有水了，会发生什么事？"], True),  # bench r02
        ("teacher", "我们怎样才能让洗手的时候不挤？", True),  # bench r02, its 难点
        ("children", "老师在旁边帮忙记下孩子口述的一两个关键词，画面以孩子的符号为主。", True),  # bench r02
        ("key_questions", ["如果小熊的帽子是用报纸做的，下雨了会怎样？"], False),  # the card's hat line
        ("teacher", "我们怎样才能给小熊做一顶戴得稳的帽子？", False),
    ],
)
def test_another_problems_example_on_a_method_card_is_not_this_activity(field, text, borrowed):
    found = kinds(plan_with_step({field: text}), facts(HAT, WHAT_IF, FINDING))
    assert ("borrowed" in found) is borrowed


def test_the_writing_instructions_pasted_into_a_steps_intent_are_flagged():
    intent = (
        "通过情境、故事或实物呈现一个真实的小麻烦，问\u201c你看到了什么？\u201d，把问题说成\u201c我们怎样才能……？\u201d"
    )
    assert "parroted" in kinds(plan_with_step({"intent": intent}, index=0), facts(HAT))
    assert "parroted" not in kinds(sample_plan(), facts(HAT))  # "把问题说成'我们怎样才能……'" in its own words


def test_without_passages_nothing_counts_as_borrowed():
    assert "borrowed" not in kinds(plan_with_step({"children": "带它去看厕所。"}), facts(PINGPONG))


def test_a_borrowed_word_the_teacher_used_herself_is_hers():
    request = PINGPONG.model_copy(update={"notes": "乒乓球坐着小船、戴着帽子过河"})
    assert "borrowed" not in kinds(plan_with_step({"key_questions": ["帽子怎样才不掉？"]}), facts(request, TEDDY_HAT))


@pytest.mark.parametrize(
    ("objective", "off_topic"),
    [
        ("能观察物体并进行简单的分类", True),  # issue 10: nothing to do with the ping-pong activity
        ("能观察和比较不同方法的优缺点", True),  # bench plan
        ("能尝试用吸管、纸杯等材料把乒乓球运过小河", False),
        ("能用纸杯搭出让球滚过去的桥", False),
    ],
)
def test_the_ability_objective_must_name_the_activity(objective, off_topic):
    plan = sample_plan().model_copy(update={"design_intent": "户外玩乒乓球时，球总是滚进草丛。"})
    objectives = [o.model_copy(update={"text": objective}) if o.dimension == "能力" else o for o in plan.objectives]
    plan = plan.model_copy(update={"objectives": objectives})
    found = [d for d in check_plan(plan, facts(PINGPONG)) if d.kind == "off_topic" and d.field.startswith("objective")]
    assert bool(found) is off_topic


@pytest.mark.parametrize(
    ("intent", "off_topic"),
    [
        # bench plan r01 (ping-pong): about CPS in general, nothing about the ball or the river
        ("通过游戏和动手操作的方式，帮助幼儿学习如何解决\u201c想出与别人不同的办法\u201d这一思维环节。", True),
        ("户外玩球时，乒乓球总是滚进草丛，孩子们想找不用手也能运球的办法。", False),
    ],
)
def test_the_design_intent_must_say_where_the_problem_comes_from(intent, off_topic):
    plan = sample_plan().model_copy(update={"design_intent": intent})
    found = [d for d in check_plan(plan, facts(PINGPONG)) if d.kind == "off_topic" and d.field == "design_intent"]
    assert bool(found) is off_topic


def test_a_step_that_never_names_the_activity_is_off_topic():
    # bench r01 (ping-pong), its 分享: about somebody's hat, nothing about the ball or the river
    hats = {
        "teacher": "教师鼓励幼儿分享自己的想法和方法，引导他们思考如何改进。",
        "key_questions": ["你做了什么？", "谁会用你的帽子？什么时候用？"],
        "children": "幼儿说说自己做的方法、改进的方法。",
    }
    balls = dict(hats, key_questions=["你的乒乓球是怎样过河的？", "谁会用你的办法？"])
    off_topic = [d.section for d in check_plan(plan_with_step(hats, 4), facts(PINGPONG)) if d.kind == "off_topic"]
    assert "step:4" in off_topic
    assert "step:4" not in [
        d.section for d in check_plan(plan_with_step(balls, 4), facts(PINGPONG)) if d.kind == "off_topic"
    ]


# --- visible text defects --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "written", "kept"),
    [
        ("key_point", "活动重点：活动重点：想出多种运球的办法", "想出多种运球的办法"),
        ("teacher", "老师：小熊的帽子是用报纸做的，下雨了会怎样？", "小熊的帽子是用报纸做的，下雨了会怎样？"),
        ("teacher", "师：老师：我们怎样才能帮小熊？", "我们怎样才能帮小熊？"),
        ("teacher", "教师：孩子们，你们想给小熊做什么样的帽子？", "孩子们，你们想给小熊做什么样的帽子？"),
        ("children", "幼儿：（思考）我们可以把纸卷起来。", "（思考）我们可以把纸卷起来。"),
        ("home", "亲子任务：和家人一起找一样旧物", "和家人一起找一样旧物"),
        ("teacher", "老师有一个小麻烦要请大家帮忙。", "老师有一个小麻烦要请大家帮忙。"),
        ("objective:0", "认知：知道帽子要戴得住", "知道帽子要戴得住"),
        # bench r14: the label said in words, in every step
        ("intent", "这一步的设计意图是让幼儿通过观察发现小麻烦。", "让幼儿通过观察发现小麻烦。"),
        ("intent", "设计意图是帮助幼儿比较办法。", "帮助幼儿比较办法。"),
        ("intent", "意图明确的提问帮助幼儿聚焦问题。", "意图明确的提问帮助幼儿聚焦问题。"),
    ],
)
def test_a_label_repeated_inside_its_field_is_stripped(name, written, kept):
    assert strip_labels(name, written) == kept


@pytest.mark.parametrize(
    ("written", "done"),
    [
        # bench r14: advice to a reader in the 教师 column, not what the teacher does
        ("在幼儿说完点子后，教师可以先发一些材料给他们。", "在幼儿说完点子后，教师先发一些材料给他们。"),
        ("如果遇到困难，教师要给予支持。", "如果遇到困难，教师给予支持。"),
        ("老师需要记录每个点子。", "老师记录每个点子。"),
        ("出示小熊：老师有一个小麻烦要请大家帮忙。", "出示小熊：老师有一个小麻烦要请大家帮忙。"),  # no modal: kept
    ],
)
def test_advice_in_the_teachers_column_is_written_as_what_she_does(written, done):
    plan = plan_with_step({"teacher": written})
    found = [d.kind for d in check_plan(plan, facts(HAT))]
    assert ("advice" in found) is (written != done)
    assert tidy(plan, facts(HAT)).steps[3].teacher == done


@pytest.mark.parametrize(
    ("name", "written", "kept"),
    [
        ("title", "结束分享：做了什么、怎么改的、谁会用、时", "结束分享：做了什么、怎么改的、谁会用"),  # bench plan
        ("title", "说一说：做了什么、谁会用、当", "说一说：做了什么、谁会用"),  # issue 10
        ("teacher", "请幼儿说一说还可以用什么材料。比如", "请幼儿说一说还可以用什么材料。"),  # issue 10: "…比如"
        ("children", "幼儿用纸杯接住乒乓球，再用吸管和", "幼儿用纸杯接住乒乓球。"),
        ("design_intent", "孩子们想帮小熊做帽子，可是“怎样才能", "孩子们想帮小熊做帽子。"),
        ("children", "幼儿用“", ""),  # nothing whole to keep: the section is asked for again
        # bench r01 / r03: whole sentences, then words that stop without one
        ("children", "幼儿可以讨论并选择最合适的办法。教师可以鼓励他们", "幼儿可以讨论并选择最合适的办法。"),
        ("home", "和孩子一起搭一座小桥，看看能放几块积木。观察要点4：他们", "和孩子一起搭一座小桥，看看能放几块积木。"),
        ("children", "小班的孩子们纷纷举手回答，有的说", "小班的孩子们纷纷举手回答。"),  # bench r09
    ],
)
def test_a_line_cut_mid_sentence_is_cut_back_to_its_last_full_sentence(name, written, kept):
    assert cut_back(name, written) == kept


@pytest.mark.parametrize(
    "line",
    [
        "教师记录每个点子，不评判",  # complete without a full stop
        "幼儿按自己的想法折、卷、团、撕，用胶带固定，给小熊试戴。",
        '想办法的约定：不说"不行"；点子越多越好。',
        "幼儿动手试。4个点子: 折、卷、团、撕",  # bench r02: a list after a colon is whole
    ],
)
def test_a_whole_line_is_not_cut(line):
    plan = plan_with_step({"teacher": line, "children": "幼儿动手试一试，掉了再换个办法。"})
    assert "cut_off" not in kinds(plan, facts(PINGPONG))


@pytest.mark.parametrize(
    ("quantity", "filled"),
    [
        ("maths", "每组1份"),
        ("group12", "每组12份"),
        ("每人2张", None),
        ("每组1卷", None),
        ("1套", None),
    ],  # group12: bench r10
)
def test_a_quantity_that_is_not_chinese_is_flagged_and_filled(quantity, filled):
    flagged = filled is not None
    plan = sample_plan()
    materials = [MaterialItem(name="纸杯", quantity=quantity), *plan.preparation.materials[1:]]
    plan = plan.model_copy(update={"preparation": plan.preparation.model_copy(update={"materials": materials})})
    known = facts(PINGPONG)
    assert ("not_chinese" in kinds(plan, known)) is flagged
    assert tidy(plan, known).preparation.materials[0].quantity == (filled or quantity)


@pytest.mark.parametrize(
    ("text", "flagged"),
    [("请小朋友用 maths 数一数有几个球。", True), ("出示情境PPT，放在A4纸上。", False), ("用LED电子蜡烛代替。", False)],
)
def test_words_that_are_not_chinese_are_flagged_where_chinese_is_expected(text, flagged):
    assert ("not_chinese" in kinds(plan_with_step({"teacher": text}), facts(PINGPONG))) is flagged


def test_an_english_request_is_not_held_to_chinese_or_to_its_english_words():
    request = LessonRequest(
        age_band="中班",
        domain="科学",
        topic="send a message across the room",
        materials=["paper cups", "string"],
        language="en",
    )
    found = kinds(plan_with_step({"teacher": "Let us try the straws."}), facts(request))
    assert not found & {"not_chinese", "off_topic", "material_missing", "material_unlisted"}


@pytest.mark.parametrize(
    ("teacher", "children", "copied"),
    [
        (  # bench plan, 大班科学 试一试改一改: the same two sentences in both columns
            "孩子们先听老师说，然后自己动手做。如果遇到困难，可以向教师求助或找同伴帮忙。",
            "孩子们先听老师说，然后自己动手做。如果遇到困难，可以向教师求助或找同伴帮忙。",
            True,
        ),
        ("你想做哪一顶？说说你的理由。", "幼：你想做哪一顶？说说你的理由。", True),  # issue 10, 选办法
        ("出示三个标准：安全吗？做得到吗？", "幼儿用贴纸投票，说出选这个办法的理由。", False),
    ],
)
def test_the_childrens_line_is_never_a_copy_of_the_teachers(teacher, children, copied):
    assert is_copy(children, teacher) is copied


def test_copied_writing_instructions_are_flagged():
    # bench plan, 中班艺术 想办法: the step's guidance pasted in as the teacher's words
    teacher = "教师可以先用儿童语言说清办法的约定。然后请幼儿说、画、做出尽可能多的点子，多问\u201c还有呢？\u201d；教师记录每个点子，不评判"
    assert "parroted" in kinds(plan_with_step({"teacher": teacher}, index=1), facts(PINGPONG))


# --- materials ----------------------------------------------------------------------------------


def pingpong_plan(*items: MaterialItem) -> LessonPlan:
    plan = sample_plan()
    return plan.model_copy(update={"preparation": plan.preparation.model_copy(update={"materials": list(items)})})


def test_a_kind_the_teacher_listed_covers_its_members():
    request = KNIFE.model_copy(update={"materials": ["水果"]})  # bench r04: 水果 listed, 苹果 and 香蕉 prepared
    plan = pingpong_plan(MaterialItem(name="苹果", quantity="每组2个"), MaterialItem(name="香蕉", quantity="每组2根"))
    assert not kinds(plan, facts(request)) & {"material_missing", "material_unlisted"}


def test_a_listed_material_left_out_is_added_with_a_quantity():
    plan = pingpong_plan(MaterialItem(name="吸管", quantity="每人1根"), MaterialItem(name="纸杯", quantity="每组2个"))
    known = facts(PINGPONG)
    assert "material_missing" in kinds(plan, known)  # bench plan: 胶带 was listed, not prepared
    tape = next(m for m in tidy(plan, known).preparation.materials if m.name == "胶带")
    assert tape.quantity == "每组1份" and tape.for_whom == "幼儿"


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("橡皮泥", False),  # nobody listed it
        ("乒乓球", True),  # the topic names it
        ("小河（蓝色纸）", True),  # the setting
        ("记号笔", True),  # a basic consumable
        ("酒精灯", False),  # dangerous and unasked for
    ],
)
def test_only_listed_materials_stay_besides_what_the_scaffold_adds(name, kept):
    plan = pingpong_plan(
        MaterialItem(name="吸管", quantity="每人1根"),
        MaterialItem(name="纸杯", quantity="每组2个"),
        MaterialItem(name="胶带", quantity="每组1卷"),
        MaterialItem(name=name, quantity="每组1个"),
    )
    names = [m.name for m in tidy(plan, facts(PINGPONG)).preparation.materials]
    assert (name in names) is kept


def test_the_safe_alternative_may_join_the_teachers_list():
    plan = pingpong_plan(
        MaterialItem(name="蜡烛", quantity="1支", for_whom="教师"),
        MaterialItem(name="打火机", quantity="1个", for_whom="教师"),
        MaterialItem(name="LED电子蜡烛", quantity="每组1个"),
    )
    assert "material_unlisted" not in kinds(plan, facts(CANDLE))


# --- safety in the text ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "field", "text", "unsafe"),
    [
        # issue 10: the candle request after the scaffold made the flame teacher-only
        (CANDLE, "children", "用纸巾、湿布盖住蜡烛火焰；使用酒精灯的焰心来烧掉蜡烛", True),
        (CANDLE, "teacher", "请幼儿用打火机点燃自己的蜡烛，看看火苗。", True),
        (CANDLE, "teacher", "每组发一支点燃的蜡烛，请小朋友想办法让它熄灭。", True),
        (CANDLE, "teacher", "教师点燃蜡烛，请幼儿站在安全距离以外观察火苗。", False),
        (CANDLE, "children", "幼儿说出让蜡烛熄灭的办法：用杯子盖住、用湿布盖。", False),
        (BEADS, "children", "幼儿用小珠子串一条项链送给妈妈。", True),  # small parts, 小班
        (BEADS, "children", "幼儿用大颗粒的木珠串项链。", False),  # the table's own safe alternative
        (KNIFE, "children", "幼儿用小刀把香蕉切成小块。", True),  # knives for 小班
        (KNIFE, "children", "幼儿把老师切好的香蕉摆成自己喜欢的样子。", False),
        # bench r03/r05: the children's ideas are words, not actions; the teacher's "we" is the class
        (CANDLE, "teacher", "你看到了什么？我们怎样才能让蜡烛熄灭？", False),
        (CANDLE, "children", "有的孩子可能会说：我可以用打火机，把蜡烛点着后盖子再关掉。", False),
        (CANDLE, "teacher", "我们用蜡烛和打火机来熄灭它。首先，你们可以想一想有哪些办法？", True),
        (CANDLE, "children", "还有的孩子可能会用水杯盖住蜡烛的口。", True),
        (BEADS, "children", "有的孩子说可以用绳子串珠子。", False),
        (BEADS, "children", "有的孩子选择使用绳子和珠子。", True),
    ],
)
def test_children_never_handle_what_the_scaffold_made_teacher_only(request_, field, text, unsafe):
    assert ("unsafe" in kinds(plan_with_step({field: text}), facts(request_))) is unsafe


def with_overview_and_closing(**changes) -> LessonPlan:
    plan = sample_plan()
    objectives = [
        o.model_copy(update={"text": changes.pop("objective")})
        if o.dimension == "认知" and "objective" in changes
        else o
        for o in plan.objectives
    ]
    extension = plan.extension.model_copy(update={k: v for k, v in changes.items() if k in ("area", "home")})
    intent = changes.get("design_intent", plan.design_intent)
    return plan.model_copy(update={"objectives": objectives, "extension": extension, "design_intent": intent})


@pytest.mark.parametrize(
    ("request_", "field", "text", "section"),
    [
        (CANDLE, "objective", "能尝试用打火机、酒精灯等明火点燃蜡烛", "overview"),  # bench r03
        (CANDLE, "area", "科学区：投放蜡烛、打火机和点燃，幼儿尝试让蜡烛熄灭。", "closing"),  # bench r03
        (KNIFE, "home", "引导幼儿尝试用小刀切水果，做一个水果拼盘。", "closing"),  # bench r04
        (CANDLE, "area", "区域：幼儿尝试让蜡烛熄灭。", "closing"),  # bench r03, after its repair
        (
            CANDLE,
            "home",
            "与孩子一起搭一座积木小桥，并在上面放置蜡烛进行实验。",
            "closing",
        ),  # r03: the actor named once
        (
            CANDLE,
            "design_intent",
            "通过这次活动，让幼儿学会用打火机点燃蜡烛，并尝试找出熄灭它的办法。",
            "overview",
        ),  # r03
    ],
)
def test_objectives_and_the_extension_never_have_children_handle_it_either(request_, field, text, section):
    plan = with_overview_and_closing(**{field: text})
    known = facts(request_)
    assert section in [d.section for d in check_plan(plan, known) if d.kind == "unsafe"]
    repaired, _ = validate_plan(plan, known, rewrite=lambda current, section, fix: current)
    assert "unsafe" not in kinds(repaired, known)


def test_a_section_that_copies_our_own_repair_instruction_is_parroted():
    """bench r07: the 选办法 teacher line came back as the rewrite's own instruction."""
    plan = plan_with_step({"teacher": "老师在班里对孩子说的话和做的事，不要照抄写作要求。"}, index=2)
    assert "parroted" in kinds(plan, facts(BRIDGE))


def test_a_clause_taken_out_leaves_no_dangling_conjunction():
    plan = with_overview_and_closing(
        design_intent="通过这次活动，让幼儿学会用打火机点燃蜡烛，并尝试找出让它熄灭的办法。"
    )
    repaired, _ = validate_plan(plan, facts(CANDLE), rewrite=lambda current, section, fix: current)
    assert repaired.design_intent == "通过这次活动，尝试找出让它熄灭的办法。"


def test_a_teacher_clause_is_the_teachers_act_even_when_children_are_in_the_sentence():
    plan = plan_with_step({"teacher": "教师点燃蜡烛，幼儿站在远处看火苗怎样跳动。"})
    assert "unsafe" not in kinds(plan, facts(CANDLE))


def test_two_objectives_in_one_sentence_are_flagged_and_code_gives_each_its_own():
    plan = sample_plan()
    same = plan.objectives[0].text
    plan = plan.model_copy(update={"objectives": [o.model_copy(update={"text": same}) for o in plan.objectives]})
    known = facts(BRIDGE)
    assert "repeated_objective" in kinds(plan, known)
    repaired, _ = validate_plan(plan, known, rewrite=lambda current, section, fix: current)
    assert len({o.text for o in repaired.objectives}) == 3 and "repeated_objective" not in kinds(repaired, known)
    (objectives,) = [r for r in evaluate(plan, RubricContext(request=BRIDGE)).results if r.key == "objectives"]
    assert objectives.status == "fail" and "同一句话" in objectives.message  # the rubric sees it too


def test_an_unsafe_step_repaired_twice_says_the_rule_once_and_drops_what_is_still_unsafe():
    plan = plan_with_step({"children": "幼儿画出水果拼盘的样子，比如用小刀切出来的水果、用橡皮泥捏成的水果等。"})
    known = facts(KNIFE)
    once, _ = validate_plan(plan, known, rewrite=lambda current, section, fix: current)
    twice, _ = validate_plan(once, known, rewrite=lambda current, section, fix: current)
    step = twice.steps[3]
    assert step.teacher.count("由教师操作") == 1 and "用小刀切出来" not in step.children


def test_an_unsafe_step_the_model_cannot_fix_becomes_the_teacher_operating():
    plan = plan_with_step({"children": "用纸巾、湿布盖住蜡烛火焰；使用酒精灯的焰心来烧掉蜡烛"})
    known = facts(CANDLE)
    repaired, report = validate_plan(plan, known, rewrite=lambda current, section, fix: current)
    step = repaired.steps[3]
    assert "由教师操作" in step.teacher and "安全距离以外观看" in step.children
    assert "酒精灯" not in step.children
    assert "unsafe" in report.counts("before") and "unsafe" not in report.counts("after")


# --- the repairs: code first, the model for what code cannot do -----------------------------------


def test_the_model_is_told_the_words_to_avoid_and_a_better_rewrite_is_kept():
    plan = plan_with_step({"key_questions": ["你想做哪一顶帽子？"]})
    known = facts(BRIDGE, TEDDY_HAT)
    asked = []

    def rewrite(current, section, fix):
        asked.append((section, fix))
        return plan_with_step({"key_questions": ["你想先试哪一种搭桥的办法？"]})

    repaired, report = validate_plan(plan, known, rewrite)
    assert asked == [("step:3", asked[0][1])] and "不要写\u201c帽子\u201d" in asked[0][1]
    assert repaired.steps[3].key_questions == ["你想先试哪一种搭桥的办法？"]
    assert report.rewrites == 1 and report.counts("after") == {}


def test_a_worse_rewrite_is_not_kept_and_code_drops_the_borrowed_sentence():
    plan = plan_with_step({"children": "用纸杯搭桥墩。带它去看厕所。", "teacher": "请孩子们试一试。"})
    known = facts(BRIDGE, NEW_FRIEND)
    worse = plan_with_step({"children": "带它去看厕所，再送它一张画。", "teacher": "老师：请孩子们试一试。"})
    repaired, report = validate_plan(plan, known, lambda current, section, fix: worse)
    assert repaired.steps[3].children == "用纸杯搭桥墩。"
    assert report.counts("after") == {}


def test_code_repairs_need_no_model_call():
    plan = plan_with_step({"teacher": "师：老师：我们怎样才能让小鸭过河？", "title": "做了什么、谁会用、当"})
    calls = []
    repaired, report = validate_plan(plan, facts(BRIDGE), lambda *args: calls.append(args) or args[0])
    assert calls == []
    assert (repaired.steps[3].teacher, repaired.steps[3].title) == ("我们怎样才能让小鸭过河？", "做了什么、谁会用")
    assert report.code_repairs == 2 and report.counts("after") == {}


def test_a_good_plan_has_no_defects_and_is_left_alone():
    plan = sample_plan()
    repaired, report = validate_plan(plan, facts(BRIDGE), rewrite=lambda *args: pytest.fail("no rewrite needed"))
    assert report.before == [] and repaired == plan


def test_an_adapted_plan_may_copy_the_plan_it_adapts():
    source = Passage("原教案：中班科学：乒乓球运过河", "师：把纸芯连成长桥，请每组用卡纸卷一条滑道让乒乓球滚过去。")
    plan = plan_with_step({"teacher": "把纸芯连成长桥，请每组用卡纸卷一条滑道让乒乓球滚过去。"})
    assert "borrowed" not in kinds(plan, facts(PINGPONG, source))


def test_a_step_title_that_copied_the_prompts_structure_line_is_the_stages_name():
    plan = plan_with_step({"title": "展开；CPS阶段：选办法；时间：3分钟"}, 2)
    assert tidy(plan, facts(HAT)).steps[2].title == plan.steps[2].cps_stage
    kept = plan_with_step({"title": "投票选出好办法"}, 2)
    assert tidy(kept, facts(HAT)).steps[2].title == "投票选出好办法"


def test_a_banned_material_in_the_home_task_is_unsafe_with_or_without_a_verb():
    """bench/quality.py r21: a 大班 rocket plan asked families for "气球作为燃料"."""
    balloon = LessonRequest(
        age_band="大班", domain="科学", topic="做会飞的火箭", minutes=30, materials=["吸管", "气球"]
    )
    plan = plan_with_step({})
    risky = plan.model_copy(
        update={
            "extension": plan.extension.model_copy(
                update={"home": "和孩子一起做火箭模型，如气球作为燃料，吸管作为发射装置。"}
            )
        }
    )
    safe = plan.model_copy(
        update={
            "extension": plan.extension.model_copy(update={"home": "和孩子一起用纸袋做火箭模型，比一比谁的飞得远。"})
        }
    )
    assert [d.section for d in check_plan(risky, facts(balloon)) if d.kind == "unsafe"] == ["closing"]
    assert not [d for d in check_plan(safe, facts(balloon)) if d.kind == "unsafe"]
