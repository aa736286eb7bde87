"""PDF through LibreOffice, and the real-rendering check: the Chinese text and the tables survive layout.

The rendering tests need LibreOffice (libreoffice-writer), Noto CJK fonts and poppler's pdftotext,
which .ci/run installs. On a developer machine without them they skip; in CI (CI set) they fail.
Each LibreOffice run takes a few seconds, so the suite runs it only three times.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import stat
import subprocess
import sys
import time
import zipfile

import pytest
from sample_plans import sample_plan, sample_unit

from lesson_studio.export import (
    Cover,
    docx_to_pdf,
    docxs_to_pdfs,
    pdf_available,
    plan_to_docx_bytes,
    plans_to_zip,
    unit_to_docx_bytes,
)
from lesson_studio.export import pdf as pdf_module
from lesson_studio.export.pdf import PdfFailed, PdfUnavailable


def chinese_fonts_installed() -> bool:
    if not shutil.which("fc-list"):
        return False
    families = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=60).stdout
    return bool(families.strip())


def require_renderer() -> None:
    tools = (
        ("LibreOffice", pdf_available()),
        ("pdftotext", shutil.which("pdftotext")),
        ("Chinese fonts", chinese_fonts_installed()),
    )
    missing = [name for name, found in tools if not found]
    if not missing:
        return
    message = f"{' and '.join(missing)} not installed (Debian: libreoffice-writer fonts-noto-cjk poppler-utils)"
    if os.environ.get("CI"):
        pytest.fail(f"CI must render exports for real: {message}")
    pytest.skip(message)


def pdf_text(pdf: bytes, tmp_path, *, layout: bool = True) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    command = ["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=60).stdout


@pytest.fixture(scope="module")
def plan_pdf() -> bytes:
    require_renderer()
    cover = Cover(teacher="王老师", class_name="大二班", school="阳光幼儿园")
    return docx_to_pdf(plan_to_docx_bytes(sample_plan(), cover))


def squashed(text: str) -> str:
    """Without whitespace: LibreOffice spaces Latin digits from Chinese ("30 分钟"), pdftotext may not."""
    return re.sub(r"\s+", "", text)


def test_rendered_plan_keeps_the_chinese_text(plan_pdf, tmp_path):
    text = squashed(pdf_text(plan_pdf, tmp_path, layout=False))
    plan = sample_plan()
    assert plan.title in text
    for expected in [
        "一、设计意图",
        "五、活动过程",
        "六、安全提示",
        "阳光幼儿园",
        "王老师",
        "30分钟",
        "第1页",
        "第2页",
    ]:
        assert expected in text
    for step in plan.steps:
        assert step.title in text
    assert "【注意】安全剪刀：使用圆头安全剪刀" in text


def test_rendered_plan_lays_the_process_table_out_in_columns(plan_pdf, tmp_path):
    lines = pdf_text(plan_pdf, tmp_path).splitlines()
    header = next(line for line in lines if "教师指导" in line)
    assert [header.index(label) for label in ("环节", "时间", "教师指导", "幼儿活动", "设计意图")] == sorted(
        header.index(label) for label in ("环节", "时间", "教师指导", "幼儿活动", "设计意图")
    )
    # One printed line holds the first row's stage, time, teacher and children cells side by side.
    first_row = squashed(next(line for line in lines if "师：出示小鸭" in line))
    assert first_row.startswith("导入·发现问题4分钟师：出示小鸭") and "幼：观察图片" in first_row


def test_rendered_unit_contents_show_computed_page_numbers(tmp_path):
    require_renderer()
    plans = sample_unit(3)
    text = pdf_text(docx_to_pdf(unit_to_docx_bytes(plans, title="主题单元：桥")), tmp_path)
    rows = [line.split() for line in text.splitlines() if line.strip().startswith("第") and "课" in line.split()[0]]
    pages = [int(row[-1]) for row in rows[:3]]
    assert pages[0] == 2 and pages == sorted(pages) and len(set(pages)) == 3


def test_missing_libreoffice_is_a_message(monkeypatch):
    monkeypatch.setattr(pdf_module.shutil, "which", lambda name: None)
    assert not pdf_available()
    with pytest.raises(PdfUnavailable, match="libreoffice-writer"):
        docx_to_pdf(b"")


def test_a_stuck_libreoffice_is_stopped_at_the_timeout(tmp_path, monkeypatch):
    fake = tmp_path / "soffice"
    fake.write_text("#!/bin/sh\nsleep 30 &\nwait\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(pdf_module, "soffice_path", lambda: str(fake))
    started = time.monotonic()
    with pytest.raises(PdfFailed, match="超时"):
        docx_to_pdf(plan_to_docx_bytes(sample_plan()), timeout_s=0.5)
    assert time.monotonic() - started < 10  # the child sleep was killed with its parent's session


def test_libreoffice_failure_is_a_message(tmp_path, monkeypatch):
    fake = tmp_path / "soffice"
    fake.write_text("#!/bin/sh\necho 'Error: source file could not be loaded'\nexit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(pdf_module, "soffice_path", lambda: str(fake))
    with pytest.raises(PdfFailed, match="could not be loaded"):
        docx_to_pdf(b"PK")


def fake_soffice(tmp_path, monkeypatch, *, skip: str) -> None:
    """A stand-in that "converts" each file it is given into a .pdf in --outdir, except names containing skip."""
    fake = tmp_path / "soffice"
    fake.write_text(
        f"#!{sys.executable}\n"
        "import pathlib, sys\n"
        "args = sys.argv[1:]\n"
        "out = pathlib.Path(args[args.index('--outdir') + 1])\n"
        "out.mkdir(parents=True, exist_ok=True)\n"
        "for source in map(pathlib.Path, args[args.index('--outdir') + 2 :]):\n"
        f"    if {skip!r} not in source.stem:\n"
        "        (out / f'{source.stem}.pdf').write_text(f'pdf of {source.stem}\\n', encoding='utf-8')\n",
        encoding="utf-8",
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(pdf_module, "soffice_path", lambda: str(fake))


def test_several_documents_are_converted_in_one_run_in_order(tmp_path, monkeypatch):
    fake_soffice(tmp_path, monkeypatch, skip="002")
    assert docxs_to_pdfs([b"PK1", b"PK2", b"PK3"]) == ["pdf of 教案-001\n".encode(), None, "pdf of 教案-003\n".encode()]


def test_a_zip_names_the_plan_whose_pdf_was_not_made(tmp_path, monkeypatch):
    fake_soffice(tmp_path, monkeypatch, skip="002")
    archive = zipfile.ZipFile(io.BytesIO(plans_to_zip(sample_unit(3), Cover(), pdf=True)))
    pdfs = [name for name in archive.namelist() if name.endswith(".pdf")]
    assert [name[:2] for name in pdfs] == ["01", "03"]
    assert "02-" in archive.read("导出说明.txt").decode()


def test_rendered_zip_holds_a_real_pdf_per_plan(tmp_path):
    require_renderer()
    archive = zipfile.ZipFile(io.BytesIO(plans_to_zip(sample_unit(2), Cover(), pdf=True)))
    pdfs = [name for name in archive.namelist() if name.endswith(".pdf")]
    assert len(pdfs) == 2 and "导出说明.txt" not in archive.namelist()
    for name, plan in zip(pdfs, sample_unit(2), strict=True):
        assert plan.title in squashed(pdf_text(archive.read(name), tmp_path, layout=False))
