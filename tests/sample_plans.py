"""Realistic lesson plans for tests: build a fresh one per call, then change it with model_copy."""

from __future__ import annotations

from lesson_studio.models import (
    Citation,
    Extension,
    LessonPlan,
    MaterialItem,
    Objective,
    Preparation,
    ProcessStep,
    SafetyNote,
)


def sample_plan() -> LessonPlan:
    """A 30-minute 大班科学 plan whose five steps walk the five CPS stages in order."""
    return LessonPlan(
        title="大班科学：给小鸭搭座桥",
        age_band="大班",
        domain="科学",
        minutes=30,
        design_intent=(
            "雨后幼儿园的小水沟积满了水，孩子们争论“小鸭子怎么过去”，兴趣浓厚。本活动把这一真实问题"
            "变成搭桥挑战，让幼儿在想办法、选办法、试一试中体验探究的乐趣，呼应《指南》科学领域"
            "对大班幼儿动手验证猜测的要求。"
        ),
        objectives=[
            Objective(dimension="认知", text="知道桥要立得稳、能承重，了解桥墩和桥面的作用"),
            Objective(dimension="能力", text="能用纸杯、积木等材料尝试搭桥，并根据测试结果改进"),
            Objective(dimension="情感", text="愿意和同伴分享自己的办法，体验合作解决问题的快乐"),
        ],
        key_point="用多种材料尝试搭出能让小鸭玩偶通过的桥。",
        difficult_point="桥塌了以后找出原因，想出与别人不同的改进办法。",
        preparation=Preparation(
            experience=["幼儿在散步时观察过小区里的桥", "玩过积木的搭高游戏"],
            materials=[
                MaterialItem(name="情境图片PPT", quantity="1份", for_whom="教师"),
                MaterialItem(name="小鸭玩偶", quantity="每组1只", for_whom="教师"),
                MaterialItem(name="纸杯", quantity="每组10个"),
                MaterialItem(name="雪花片积木", quantity="每组1盒"),
                MaterialItem(name="安全剪刀", quantity="每组2把"),
                MaterialItem(name="浅水盆", quantity="每组1个"),
                MaterialItem(name="投票贴纸", quantity="每人3张"),
            ],
        ),
        steps=[
            ProcessStep(
                phase="导入",
                cps_stage="发现问题",
                minutes=4,
                title="小鸭过不去了",
                teacher="出示小鸭站在水沟边的图片：小鸭想去对面找妈妈，可是水太深了。",
                key_questions=["你看到了什么？", "小鸭遇到了什么麻烦？", "我们怎样才能帮小鸭过去？"],
                children="观察图片，说出“水太深，小鸭过不去”，提出要搭一座桥。",
                intent="从真实情境中发现问题，把问题说成“我们怎样才能……”。",
            ),
            ProcessStep(
                phase="展开",
                cps_stage="想办法",
                minutes=7,
                title="办法越多越好",
                teacher="先说好规则：不说“不行”，越多越好，奇怪的点子也欢迎。教师把每个办法画在白板上。",
                key_questions=["还有别的办法吗？", "如果没有积木，可以用什么代替？"],
                children="大胆说出搭桥、垫石头、划小船等办法，借同伴的点子变一变。",
                intent="保护发散思维，追求办法的数量。",
            ),
            ProcessStep(
                phase="展开",
                cps_stage="选办法",
                minutes=4,
                title="贴纸投票",
                teacher="和幼儿一起定标准：安全吗？做得到吗？能让小鸭过去吗？请每人用贴纸投票。",
                key_questions=["你为什么选这个办法？"],
                children="用贴纸给喜欢的办法投票，说一说选择的理由。",
                intent="用简单标准学习聚合与选择。",
            ),
            ProcessStep(
                phase="展开",
                cps_stage="试一试改一改",
                minutes=11,
                title="搭桥大挑战",
                teacher="分组发放材料，不示范搭法。桥塌了就问：哪里出了问题？",
                key_questions=["怎样让桥更稳？", "和别的组的桥有什么不同？"],
                children="4～6人一组用纸杯、积木搭桥，放小鸭玩偶测试，塌了再改。",
                intent="在动手测试中把失败当作信息，学会改进。",
            ),
            ProcessStep(
                phase="结束",
                cps_stage="分享",
                minutes=4,
                title="我们的桥",
                teacher="请各组介绍自己的桥，小结：办法不止一个，试一试、改一改就能成功。",
                key_questions=["你们的桥是怎么改好的？"],
                children="展示作品，讲述搭桥和改进的经过。",
                intent="梳理经验，体验成功。",
            ),
        ],
        extension=Extension(
            area="科学区：投放纸杯、吸管、雪花片和浅水盆，幼儿继续尝试搭不同的桥，并用图画记录。",
            home="请家长和孩子找一找小区附近的桥，说一说桥是怎样立起来的。",
        ),
        safety_notes=[
            SafetyNote(
                hazard_id="scissors",
                material="安全剪刀",
                note="使用圆头安全剪刀，剪刀不离桌面，传递时握住刀身、刀柄朝向对方。",
            ),
            SafetyNote(
                hazard_id="water",
                material="浅水盆",
                note="水盆放在铺了防滑垫的桌上，水洒出及时擦干，防止滑倒。",
            ),
        ],
        observation_points=[
            "幼儿能否说出两个以上不同的搭桥办法（流畅性）。",
            "桥塌后是否愿意再试，能否说出改进的理由。",
            "小组中是否有分工与协商。",
        ],
        citations=[
            Citation(
                number=1,
                chunk_id="zhinan:1:42",
                document_id="zhinan",
                document_title="3-6岁儿童学习与发展指南",
                heading="科学领域 · 科学探究 目标2",
                page=28,
            ),
            Citation(
                number=2,
                chunk_id="cps-kids:2:7",
                document_id="cps-kids",
                document_title="幼儿版CPS活动设计指引",
                heading="第四步 试一试、改一改",
                page=9,
            ),
        ],
    )
