"""Usage and gaps from a seeded database: retrievals and citations per document, coverage cells."""

from pathlib import Path

import pytest
from library_fakes import HashEmbeddingFunction
from page_session import sign_in_session
from sample_plans import sample_plan
from streamlit.testing.v1 import AppTest

import studio_ui
from lesson_studio.errors import NotAllowed
from lesson_studio.library import Library
from lesson_studio.models import Citation
from lesson_studio.studio import Studio
from lesson_studio.usage import coverage, coverage_csv, document_usage

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def seeded(settings, tmp_path, fake_backend, hat_request):
    library = Library(settings, embedding_function=HashEmbeddingFunction(), background=False)
    studio = Studio(settings, library=library)
    lead = studio.store.ensure_user("zhao", role="lead")
    teacher = studio.store.ensure_user("wang")
    for name, tags in (
        ("帽子.md", "resource_type=活动案例; age_band=中班; domain=艺术"),
        ("过河.md", "resource_type=活动案例; age_band=大班; domain=科学"),
        ("规则.md", "resource_type=方法卡"),  # a method card is given whatever the sample plans' fit
    ):
        path = tmp_path / name
        path.write_text(f"# {name[:-3]}\n<!-- tags: {tags} -->\n\n小熊的帽子，纸杯过河，想办法的约定。\n", encoding="utf-8")
        library.ingest(lead, [path])
    studio.jobs.wait(teacher, studio.submit_generation(teacher, hat_request, idempotency_key="k"), timeout=20)
    documents = {d.title: d.document_id for d in library.list_documents(lead)}
    cited = Citation(number=1, chunk_id=f"{documents['过河']}:1:0", document_id=documents["过河"], document_title="过河")
    studio.store.save_version(teacher, sample_plan().model_copy(update={"citations": [cited]}))
    return studio, lead, teacher, documents


def test_usage_counts_retrievals_and_citations_per_document(seeded):
    studio, lead, _, documents = seeded
    usage = {u.title: u for u in document_usage(studio.store, lead)}
    assert usage["过河"].cited_in_plans == 1
    assert sum(u.retrieved for u in usage.values()) >= 1  # the generation recorded what it was given
    assert all(sum(r for r, _ in u.by_month.values()) == u.retrieved for u in usage.values())


def test_coverage_marks_thin_cells_and_counts_plans(seeded):
    studio, lead, *_ = seeded
    cells, stages = coverage(studio.store, lead)
    cell = {(c.domain, c.age_band): c for c in cells}
    assert cell[("艺术", "中班")].documents == 2  # its own document and the untagged one (for every cell)
    assert cell[("健康", "小班")].documents == 1 and cell[("健康", "小班")].thin
    assert cell[("科学", "大班")].plans == 1 and cell[("艺术", "中班")].plans == 1
    assert "待补充" in coverage_csv(cells).decode("utf-8-sig")
    assert set(stages) == {"发现问题", "想办法", "选办法", "试一试改一改", "分享"}


def test_a_teacher_cannot_see_usage(seeded):
    studio, _, teacher, _ = seeded
    with pytest.raises(NotAllowed):
        document_usage(studio.store, teacher)
    with pytest.raises(NotAllowed):
        coverage(studio.store, teacher)


def test_the_insights_page_draws_the_heat_map_for_a_lead(tmp_path, monkeypatch, fake_backend):
    monkeypatch.setenv("LESSON_STUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LESSON_STUDIO_STARTER_LIBRARY", "0")
    studio_ui.get_studio.clear()
    lead = studio_ui.get_studio().store.ensure_user("zhao", role="lead")
    at = AppTest.from_file(str(ROOT / "pages" / "insights.py"), default_timeout=60)
    sign_in_session(at, lead).run()
    assert not at.exception, at.exception
    assert len(at.get("vega_lite_chart")) == 1
    assert any("待补充" in m.value for m in at.markdown)
    studio_ui.get_studio.clear()


def test_a_generated_plan_says_why_each_passage_was_given(seeded):
    studio, _, teacher, _ = seeded
    generated = [d for d in studio.store.list_drafts(teacher) if studio.store.draft_request(teacher, d.id) is not None]
    (draft,) = generated
    plan = studio.load_plan(teacher, studio.store.list_versions(teacher, draft.id)[-1].id)
    # Both sample plans are unrelated to the hat under the fake embedder's similarity: only the card.
    assert [c.document_title for c in plan.citations] == ["规则"]
    assert plan.citations[0].reason.startswith("方法与提示（规则）")
