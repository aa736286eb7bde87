"""Several plans at once as a .zip: one file per plan, and a plan that fails never stops the others."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from sample_plans import sample_plan, sample_unit, school_template, small_class_plan

from lesson_studio.config import Settings
from lesson_studio.errors import StudioError
from lesson_studio.export import Cover, plans_to_zip
from lesson_studio.export import pdf as pdf_module
from lesson_studio.studio import Studio

COVER = Cover(teacher="王老师")


def open_zip(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


def test_one_numbered_word_file_per_plan_even_with_equal_titles():
    archive = open_zip(plans_to_zip([sample_plan(), sample_plan()], COVER))
    assert archive.namelist() == ["01-大班科学：给小鸭搭座桥.docx", "02-大班科学：给小鸭搭座桥.docx"]
    document = docx.Document(io.BytesIO(archive.read(archive.namelist()[1])))
    assert document.paragraphs[0].text == "大班科学：给小鸭搭座桥"


def test_markdown_files_join_the_word_files_when_asked():
    names = open_zip(plans_to_zip(sample_unit(2), COVER, markdown=True)).namelist()
    assert [name.rsplit(".", 1)[1] for name in names] == ["docx", "md", "docx", "md"]


def test_a_school_template_is_used_for_every_plan():
    archive = open_zip(plans_to_zip(sample_unit(2), COVER, template=school_template()))
    for name in archive.namelist():
        assert docx.Document(io.BytesIO(archive.read(name))).paragraphs[1].text == "执教：王老师"


def test_a_plan_that_cannot_be_filled_is_reported_and_the_others_are_kept():
    # The fifth step exists in the 大班 sample only; the 小班 plan has three.
    template = school_template(body=["{{ 活动过程[4].标题 }}"])
    archive = open_zip(plans_to_zip([sample_plan(), small_class_plan()], COVER, template=template))
    assert archive.namelist() == ["01-大班科学：给小鸭搭座桥.docx", "导出说明.txt"]
    report = archive.read("导出说明.txt").decode()
    assert "02-小班健康：搬积木回家" in report and "无法填写模板" in report


def test_pdf_without_libreoffice_is_reported_once(monkeypatch):
    monkeypatch.setattr(pdf_module, "soffice_path", lambda: None)
    archive = open_zip(plans_to_zip(sample_unit(3), COVER, pdf=True))
    assert [name for name in archive.namelist() if name.endswith(".pdf")] == []
    assert archive.read("导出说明.txt").decode().count("LibreOffice") == 2  # one line, Chinese and English


@pytest.mark.parametrize("count", [0, 101])
def test_zip_size_is_bounded(count):
    with pytest.raises(StudioError):
        plans_to_zip([sample_plan()] * count, COVER)


def test_studio_zips_the_chosen_versions(tmp_path, fake_backend):
    studio = Studio(Settings(data_dir=tmp_path / "data", backend="fake", starter_library=False))
    wang = studio.store.ensure_user("wang", display_name="王老师")
    ids = [studio.store.save_version(wang, plan).id for plan in sample_unit(3)]
    archive = open_zip(studio.export_versions_zip(wang, ids))
    assert len(archive.namelist()) == 3
    cover = docx.Document(io.BytesIO(archive.read(archive.namelist()[0]))).tables[0]
    assert cover.rows[4].cells[1].text == "王老师"
