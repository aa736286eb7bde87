"""Review and approval (精品教案): submit -> comments -> return -> resubmit -> approve -> retrievable
and adaptable -> withdraw. Checked in the core for every role."""

import pytest
from library_fakes import HashEmbeddingFunction
from sample_plans import sample_plan

from lesson_studio.errors import InvalidInput, NotAllowed
from lesson_studio.library import Library
from lesson_studio.studio import Studio


@pytest.fixture
def studio(settings):
    library = Library(settings, embedding_function=HashEmbeddingFunction(), background=False)
    return Studio(settings, library=library)


@pytest.fixture
def people(studio):
    store = studio.store
    return (
        store.ensure_user("wang", display_name="王老师"),
        store.ensure_user("zhao", role="lead", display_name="赵组长"),
        store.ensure_user("qian", role="lead", display_name="钱组长"),
    )


def submitted(studio, teacher):  # type: ignore[no-untyped-def]
    version = studio.store.save_version(teacher, sample_plan())
    return version, studio.reviews.submit(teacher, version.draft_id, version.id)


def test_a_plan_goes_from_submission_to_the_library_and_back_out(studio, people):
    teacher, lead, _ = people
    version, review = submitted(studio, teacher)
    assert [r.id for r in studio.reviews.queue(lead)] == [review.id]
    studio.reviews.comment(lead, review.id, "活动目标", "第三条目标再具体一些")
    returned = studio.reviews.return_to_author(lead, review.id)
    assert returned.status == "returned" and returned.comments[0].body == "第三条目标再具体一些"
    assert studio.reviews.mine(teacher)[0].comments[0].section == "活动目标"  # the teacher sees why
    better = studio.save_edit(
        teacher, version.draft_id, sample_plan().model_copy(update={"key_point": "幼儿用三种材料搭出能过小鸭的桥"}), base_version_id=version.id
    )
    again = studio.reviews.submit(teacher, version.draft_id, better.id)
    approved = studio.reviews.approve(lead, again.id)
    assert approved.status == "approved" and approved.reviewer == "赵组长"
    hits = studio.library.search(teacher, "小鸭 搭桥 纸杯 积木", k=3)
    assert any(hit.citation.document_id == approved.library_document_id for hit in hits)
    lesson = next(doc for doc in studio.library.lessons(teacher) if doc.document_id == approved.library_document_id)
    assert lesson.tags["resource_type"] == "精品教案"
    passages = studio.library.document_passages(teacher, approved.library_document_id)
    provenance = next(hit.text for hit in passages if hit.citation.heading.startswith("来源"))
    assert "王老师" in provenance and "赵组长" in provenance and "第2版" in provenance
    assert studio.library_lesson_request(teacher, approved.library_document_id).source_document_id  # adaptable
    withdrawn = studio.reviews.withdraw(lead, approved.id)
    assert withdrawn.status == "withdrawn"
    assert not any(hit.citation.document_id == approved.library_document_id for hit in studio.library.search(teacher, "小鸭 搭桥", k=5))
    assert studio.reviews.for_draft(teacher, version.draft_id)[0].status == "withdrawn"  # said on the plan


def test_nobody_approves_their_own_plan(studio, people):
    _, lead, _ = people
    version = studio.store.save_version(lead, sample_plan())
    review = studio.reviews.submit(lead, version.draft_id, version.id)
    with pytest.raises(NotAllowed, match="自己"):
        studio.reviews.approve(lead, review.id)


@pytest.mark.parametrize("action", ["queue", "comment", "return", "approve", "withdraw"])
def test_a_teacher_cannot_review(studio, people, action):
    teacher, _, _ = people
    other = studio.store.ensure_user("li")
    _, review = submitted(studio, other)
    calls = {
        "queue": lambda: studio.reviews.queue(teacher),
        "comment": lambda: studio.reviews.comment(teacher, review.id, "活动目标", "x"),
        "return": lambda: studio.reviews.return_to_author(teacher, review.id),
        "approve": lambda: studio.reviews.approve(teacher, review.id),
        "withdraw": lambda: studio.reviews.withdraw(teacher, review.id),
    }
    with pytest.raises(NotAllowed, match="教研组长"):
        calls[action]()


def test_only_the_author_submits_and_only_the_newest_version(studio, people):
    teacher, lead, _ = people
    version = studio.store.save_version(teacher, sample_plan())
    with pytest.raises(NotAllowed):
        studio.reviews.submit(lead, version.draft_id, version.id)
    newer = studio.save_edit(teacher, version.draft_id, sample_plan().model_copy(update={"title": "新标题"}), base_version_id=version.id)
    with pytest.raises(InvalidInput, match="最新版本"):
        studio.reviews.submit(teacher, version.draft_id, version.id)
    first = studio.reviews.submit(teacher, version.draft_id, newer.id)
    assert studio.reviews.submit(teacher, version.draft_id, newer.id).id == first.id  # a double click


def test_a_submission_is_decided_once(studio, people):
    teacher, lead, other_lead = people
    _, review = submitted(studio, teacher)
    studio.reviews.approve(lead, review.id)
    with pytest.raises(InvalidInput, match="审核过了"):
        studio.reviews.approve(other_lead, review.id)


def test_returning_needs_a_comment(studio, people):
    teacher, lead, _ = people
    _, review = submitted(studio, teacher)
    with pytest.raises(InvalidInput, match="修改意见"):
        studio.reviews.return_to_author(lead, review.id)


def test_plan_text_cannot_set_the_library_tags(studio, people):
    teacher, lead, _ = people
    plan = sample_plan().model_copy(update={"design_intent": "<!-- tags: cps_stage=分享; resource_type=指南 --> 本活动……"})
    version = studio.store.save_version(teacher, plan)
    review = studio.reviews.submit(teacher, version.draft_id, version.id)
    approved = studio.reviews.approve(lead, review.id)
    document = next(d for d in studio.library.list_documents(lead) if d.document_id == approved.library_document_id)
    assert document.tags.get("resource_type") == "精品教案" and "cps_stage" not in document.tags
