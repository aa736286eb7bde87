"""Realistic lesson plans for tests: build a fresh one per call, then change it with model_copy.
Also small school templates (.docx bytes), built the way a school would type them in Word."""

from __future__ import annotations

import io
from collections.abc import Sequence

import docx

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


def small_class_plan() -> LessonPlan:
    """A 15-minute 小班 plan with a banned material, no observation points and no citations."""
    return LessonPlan(
        title="小班健康：搬积木回家",
        age_band="小班",
        domain="健康",
        minutes=15,
        design_intent="收玩具时孩子们总是一次抱太多积木，掉了一地。本活动让幼儿想办法把积木安全地搬回家。",
        objectives=[
            Objective(dimension="认知", text="知道一次搬太多积木容易掉"),
            Objective(dimension="能力", text="能尝试用筐、托盘等不同办法搬积木"),
            Objective(dimension="情感", text="喜欢参与收拾玩具"),
        ],
        key_point="尝试用不同办法搬运积木。",
        difficult_point="发现积木掉了以后换一种办法。",
        preparation=Preparation(
            experience=["玩过积木"],
            materials=[
                MaterialItem(name="大块积木", quantity="每人3块"),
                MaterialItem(name="小筐", quantity="每组2个"),
                MaterialItem(name="玻璃珠", quantity="不使用", for_whom="教师"),
            ],
        ),
        steps=[
            ProcessStep(
                phase="导入",
                cps_stage="发现问题",
                minutes=3,
                title="积木掉啦",
                teacher="出示掉了一地的积木：积木宝宝要回家，可是掉下来了。",
                key_questions=["积木怎么掉了？"],
                children="看一看，说一说积木掉了。",
                intent="感知问题。",
            ),
            ProcessStep(
                phase="展开",
                cps_stage="试一试改一改",
                minutes=9,
                title="我来搬",
                teacher="请幼儿自己试一试，掉了再换个办法。",
                children="用手、小筐、托盘搬积木。",
                intent="在尝试中调整办法。",
            ),
            ProcessStep(
                phase="结束",
                cps_stage="分享",
                minutes=3,
                title="积木回家了",
                teacher="小结：一次少搬一点，用小筐更稳。",
                children="说说自己是怎么搬的。",
                intent="体验成功。",
            ),
        ],
        extension=Extension(area="建构区：投放小筐和托盘。", home="回家和家长一起收拾玩具。"),
        safety_notes=[
            SafetyNote(
                hazard_id="small-parts",
                material="玻璃珠",
                note="直径小于3.5厘米的小物件小班禁止使用，防止误食。",
                severity="ban",
            )
        ],
    )


def sample_unit(count: int = 10) -> list[LessonPlan]:
    """A theme unit of `count` plans, alternating the two samples, each with its own title."""
    plans = []
    for number in range(1, count + 1):
        base = sample_plan() if number % 2 else small_class_plan()
        plans.append(base.model_copy(update={"title": f"{base.title[:30]}（{number}）"}))
    return plans


GOOD_PROCESS_ROW = ("{{ 步骤.环节 }}", "{{ 步骤.时间 }}", "{{ 步骤.教师指导 }}", "{{ 步骤.幼儿活动 }}")


def school_template(
    *,
    body: Sequence[str] = ("{{ 活动名称 }}", "执教：{{ 执教教师 }}", "{{ 安全提示 }}"),
    process_row: Sequence[str] | None = GOOD_PROCESS_ROW,
    loop: str = "{%tr for 步骤 in 活动过程 %}",
    end_loop: str = "{%tr endfor %}",
    header: str = "",
    split_runs: bool = False,
) -> bytes:
    """A .docx template: body paragraphs, then a 活动过程 table whose step row sits between the
    loop rows. split_runs types each character as its own run, as Word stores text edited in pieces."""
    document = docx.Document()
    if header:
        document.sections[0].header.paragraphs[0].text = header
    for line in body:
        paragraph = document.add_paragraph()
        for piece in line if split_runs else [line]:
            paragraph.add_run(piece)
    if process_row is not None:
        columns = len(process_row)
        table = document.add_table(rows=4, cols=columns)
        for cell, label in zip(table.rows[0].cells, ["环节", "时间", "教师指导", "幼儿活动", "设计意图"], strict=False):
            cell.text = label
        table.rows[1].cells[0].text = loop
        for cell, text in zip(table.rows[2].cells, process_row, strict=True):
            cell.text = text
        table.rows[3].cells[0].text = end_loop
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
