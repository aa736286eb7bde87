"""The standards catalogue parsed from the 《指南》 (the shared corpus copy; skipped without it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from library_fakes import HashEmbeddingFunction

from lesson_studio.config import Settings
from lesson_studio.library import Library
from lesson_studio.models import User

LEAD = User(id=1, username="lead", role="lead")
TEACHER = User(id=2, username="wang", role="teacher")
GUIDE_DIR = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "moe-3-6-guide"
GUIDE_DOCX = GUIDE_DIR / "3-6岁儿童学习与发展指南——教育部.docx"


@pytest.fixture(scope="module")
def guide_library(tmp_path_factory: pytest.TempPathFactory):
    if not GUIDE_DOCX.exists():
        pytest.skip(f"shared corpus not present: {GUIDE_DOCX}")
    library = Library(
        Settings(data_dir=tmp_path_factory.mktemp("guide")),
        embedding_function=HashEmbeddingFunction(),
        background=False,
    )
    report = library.ingest(LEAD, [GUIDE_DOCX], tags={"resource_type": "指南"})
    assert report.added and not report.skipped
    yield library
    library.close()


def test_guide_docx_has_5_domains_11_sub_areas_32_goals(guide_library: Library) -> None:
    catalogue = guide_library.catalogue(TEACHER)
    assert catalogue is not None
    assert [domain.name for domain in catalogue.domains] == ["健康", "语言", "社会", "科学", "艺术"]
    assert catalogue.sub_area_count == 11 and catalogue.goal_count == 32
    goals = [goal for domain in catalogue.domains for sub in domain.sub_areas for goal in sub.goals]
    assert all([band.age_band for band in goal.bands] == ["小班", "中班", "大班"] for goal in goals)


def test_lines_are_verbatim_and_in_their_age_column(guide_library: Library) -> None:
    catalogue = guide_library.catalogue(TEACHER)
    assert catalogue is not None
    emotions = catalogue.domains[0].sub_areas[0].goals[1]
    assert emotions.title == "情绪安定愉快"
    assert emotions.for_band("小班").lines == [  # type: ignore[union-attr]
        "情绪比较稳定，很少因一点小事哭闹不止。",
        "有比较强烈的情绪反应时，能在成人的安抚下逐渐平静下来。",
    ]
    (found,) = catalogue.find("能随着活动的需要转换情绪和注意。")
    assert (found.age_band, found.age_label, found.goal_number, found.line_number) == ("大班", "5～6岁", 2, 3)
    assert found.reference == "《指南》健康（身心状况）目标2 情绪安定愉快 · 5～6岁 第3条"


def test_expectations_filter_by_domain_and_band_and_cite_library_chunks(guide_library: Library) -> None:
    catalogue = guide_library.catalogue(TEACHER)
    assert catalogue is not None
    science_big = catalogue.expectations(domain="科学", age_band="大班")
    assert science_big and {(e.domain, e.age_band) for e in science_big} == {("科学", "大班")}
    chunk_id = science_big[0].chunk_ids[0]
    hits = guide_library.search(TEACHER, science_big[0].text, k=5, age_band="大班")
    assert chunk_id in [hit.chunk_id for hit in hits]


def test_guide_chunks_carry_domain_and_band_tags(guide_library: Library) -> None:
    hits = guide_library.search(TEACHER, "情绪安定愉快", k=3, age_band="中班", domain="健康")
    assert hits[0].text.startswith("4～5岁")
    assert hits[0].citation.heading == "一、健康 > （一）身心状况 > 目标2 情绪安定愉快"


def test_no_catalogue_without_a_guide(tmp_path: Path) -> None:
    library = Library(Settings(data_dir=tmp_path / "d"), embedding_function=HashEmbeddingFunction(), background=False)
    assert library.catalogue(TEACHER) is None and library.catalogue_lines(TEACHER) is None
    library.close()


def test_document_tagged_as_guide_without_goal_tables_is_skipped(tmp_path: Path) -> None:
    library = Library(Settings(data_dir=tmp_path / "d"), embedding_function=HashEmbeddingFunction(), background=False)
    path = tmp_path / "notes.md"
    path.write_text("# 学习笔记\n\n读《指南》的体会。\n", encoding="utf-8")
    report = library.ingest(LEAD, [path], tags={"resource_type": "指南"})
    assert "notes.md" in report.skipped[0].reason and "指南" in report.skipped[0].reason
    assert library.list_documents(LEAD) == []
    library.close()


def _catalogue_of(path: Path) -> list[tuple[str, str, int, str, str, list[str]]]:
    from lesson_studio.library.catalogue import parse_catalogue
    from lesson_studio.library.chunker import split
    from lesson_studio.library.loaders import load

    document = load(path)
    catalogue = parse_catalogue(document, split(document, "g"), document_id="g", version=1)
    return [
        (domain.name, sub.name, goal.number, goal.title, band.age_band, band.lines)
        for domain in catalogue.domains
        for sub in domain.sub_areas
        for goal in sub.goals
        for band in goal.bands
    ]


@pytest.mark.parametrize("copy", ["guide-official-text.md", "guide-official-text.gbk.txt"])
def test_markdown_and_gbk_copies_of_the_guide_yield_the_same_catalogue(copy: str) -> None:
    if not (GUIDE_DOCX.exists() and (GUIDE_DIR / copy).exists()):
        pytest.skip(f"shared corpus not present: {GUIDE_DIR}")
    from_docx = _catalogue_of(GUIDE_DOCX)
    assert len(from_docx) == 32 * 3
    assert _catalogue_of(GUIDE_DIR / copy) == from_docx


def test_catalogue_lines_give_the_rubric_each_bands_verbatim_lines(guide_library: Library) -> None:
    lines = guide_library.catalogue_lines(TEACHER)
    assert lines is not None and set(lines) == {"小班", "中班", "大班"}
    assert "情绪比较稳定，很少因一点小事哭闹不止。" in lines["小班"]
    assert "能随着活动的需要转换情绪和注意。" in lines["大班"] - lines["小班"]
    assert sum(len(band) for band in lines.values()) >= 300


def test_studio_rubric_checks_guideline_lines_against_the_imported_guide(guide_library: Library, tmp_path) -> None:
    from lesson_studio.studio import Studio

    studio = Studio(Settings(data_dir=tmp_path, starter_library=False), library=guide_library)
    assert studio.catalogue_lines(TEACHER) == guide_library.catalogue_lines(TEACHER)
