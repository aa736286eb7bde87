"""Several plans at once: one .zip with a Word file per plan (and Markdown or PDF when asked)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

from lesson_studio.errors import StudioError
from lesson_studio.export.cover import Cover
from lesson_studio.export.docx_builder import plan_to_docx_bytes
from lesson_studio.export.files import safe_file_stem
from lesson_studio.export.markdown import plan_to_markdown
from lesson_studio.export.pdf import PdfUnavailable, docx_to_pdf
from lesson_studio.export.templates import fill_template
from lesson_studio.models import LessonPlan

REPORT_NAME = "导出说明.txt"
MAX_ZIP_PLANS = 100


def plan_docx(plan: LessonPlan, cover: Cover, template: bytes | None = None) -> bytes:
    """The plan as .docx: the built-in layout, or the school template whose bytes are given."""
    return plan_to_docx_bytes(plan, cover) if template is None else fill_template(template, plan, cover)


def plans_to_zip(
    plans: Sequence[LessonPlan],
    cover: Cover,
    *,
    template: bytes | None = None,
    markdown: bool = False,
    pdf: bool = False,
) -> bytes:
    """A .zip of the plans, numbered in the order given so equal titles cannot collide.

    A plan that cannot be exported is left out and named in 导出说明.txt; it never stops the others.
    """
    if not plans:
        raise StudioError("请至少选择一份教案 / Choose at least one lesson plan")
    if len(plans) > MAX_ZIP_PLANS:
        raise StudioError(f"一次最多导出 {MAX_ZIP_PLANS} 份教案 / At most {MAX_ZIP_PLANS} plans at once")
    problems: list[str] = []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for number, plan in enumerate(plans, start=1):
            stem = f"{number:02d}-{safe_file_stem(plan.title)}"
            try:
                document = plan_docx(plan, cover, template)
            except StudioError as error:
                problems.append(f"{stem}：{error}")
                continue
            archive.writestr(f"{stem}.docx", document)
            if markdown:
                archive.writestr(f"{stem}.md", plan_to_markdown(plan))
            if pdf:
                try:
                    archive.writestr(f"{stem}.pdf", docx_to_pdf(document))
                except PdfUnavailable as error:
                    problems.append(str(error))
                    pdf = False  # the same answer for every other plan
                except StudioError as error:
                    problems.append(f"{stem}.pdf：{error}")
        if problems:
            archive.writestr(REPORT_NAME, "以下内容没有导出 / Not exported:\n" + "\n".join(problems) + "\n")
    return buffer.getvalue()
