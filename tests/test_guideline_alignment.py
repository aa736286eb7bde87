"""Generated plans carry 《指南》 lines chosen by code: verbatim, from the plan's own age band and
domain, each cited; without an imported 《指南》 they carry none and the rubric says so."""

from pathlib import Path

import pytest
from library_fakes import HashEmbeddingFunction

from lesson_studio.authoring.alignment import align_plan, choose_lines
from lesson_studio.library import Library
from lesson_studio.studio import Studio

GUIDE_DOCX = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "moe-3-6-guide" / "3-6岁儿童学习与发展指南——教育部.docx"


@pytest.fixture
def studio(settings, fake_backend, store):
    if not GUIDE_DOCX.exists():
        pytest.skip(f"shared corpus not present: {GUIDE_DOCX}")
    library = Library(settings, store=store, embedding_function=HashEmbeddingFunction(), background=False)
    library.ingest(store.ensure_user("zhao", role="lead"), [GUIDE_DOCX], tags={"resource_type": "指南"})
    yield Studio(settings, library=library)
    library.close()


@pytest.mark.parametrize("band", ["小班", "中班", "大班", "混龄"])
def test_a_generated_plan_quotes_its_own_band_verbatim_and_passes_the_check(studio, teacher, hat_request, band):
    request = hat_request.model_copy(update={"age_band": band, "domain": "科学", "minutes": 15 if band == "小班" else 20})
    view = studio.jobs.wait(teacher, studio.submit_generation(teacher, request, idempotency_key=band), timeout=20)
    plan = studio.load_plan(teacher, view.version_id)
    catalogue = studio.library.catalogue(teacher)
    bands = ["小班", "中班", "大班"] if band == "混龄" else [band]  # a mixed group spans the bands
    own = {item.text for b in bands for item in catalogue.expectations(domain="科学", age_band=b)}
    assert 1 <= len(plan.guideline_lines) <= 2
    assert all(line.split("：", 1)[1] in own for line in plan.guideline_lines)
    assert all(line.startswith("科学 ") for line in plan.guideline_lines)
    cited = [c for c in plan.citations if c.document_id == catalogue.document_id]
    assert len(cited) == len(plan.guideline_lines) and all(c.excerpt in own for c in cited)
    report = studio.rubric(teacher, plan, request)
    assert next(r for r in report.results if r.key == "guideline").status == "pass"


def test_the_lines_follow_what_the_plan_is_about(studio, teacher):
    from sample_plans import sample_plan

    catalogue = studio.library.catalogue(teacher)
    plan = sample_plan()  # 大班科学: a bridge children test and improve
    chosen = choose_lines(plan, catalogue)
    assert chosen and all(item.domain == plan.domain and item.age_band == plan.age_band for item in chosen)


def test_without_a_catalogue_the_plan_is_left_as_it_is():
    from sample_plans import sample_plan

    plan = sample_plan()
    assert align_plan(plan, None) is plan
