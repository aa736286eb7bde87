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
from lesson_studio.export.pdf import docxs_to_pdfs
from lesson_studio.export.templates import TemplateFailed, fill_template, fill_templates
from lesson_studio.models import LessonPlan

REPORT_NAME = "导出说明.txt"
MAX_ZIP_PLANS = 100


def plan_docx(plan: LessonPlan, cover: Cover, template: bytes | None = None) -> bytes:
    """The plan as .docx: the built-in layout, or the school template whose bytes are given (raises
    TemplateFailed, an InvalidInput, when the template cannot be filled)."""
    return plan_to_docx_bytes(plan, cover) if template is None else fill_template(template, plan, cover)


def plan_docx_or_builtin(
    plan: LessonPlan, cover: Cover, template: bytes | None, *, template_name: str = ""
) -> tuple[bytes, str | None]:
    """The plan as .docx in the school template, or in the built-in layout when the template cannot be
    filled (a broken tag, too slow, too much memory), with a notice saying why; None when all went well.
    A teacher exporting a plan always gets one."""
    if template is None:
        return plan_to_docx_bytes(plan, cover), None
    try:
        return fill_template(template, plan, cover), None
    except TemplateFailed as failed:
        return plan_to_docx_bytes(plan, cover), fallback_notice(failed, template_name)


def fallback_notice(failed: TemplateFailed, template_name: str = "") -> str:
    """What the teacher reads when the built-in layout stood in for the school template."""
    name_zh = f"学校模板“{template_name}”" if template_name else "学校模板"
    name_en = f"the school template “{template_name}”" if template_name else "the school template"
    return (
        f"{name_zh}这次无法使用，已改用内置版式导出。原因：{failed.zh}。请把这条提示告诉教研组长，以便修改模板"
        f" / {name_en[0].upper()}{name_en[1:]} could not be used, so the plan was exported in the built-in layout."
        f" Why: {failed.en}. Please tell your curriculum lead so the template can be fixed"
    )


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
    files: list[tuple[str, LessonPlan, bytes]] = []  # each plan that could be exported, with its .docx
    # With a template, every plan is filled in one child process (one start-up, each plan its own time limit).
    documents = fill_templates(template, plans, cover) if template is not None else [_built_in(p, cover) for p in plans]
    for number, (plan, document) in enumerate(zip(plans, documents, strict=True), start=1):
        stem = f"{number:02d}-{safe_file_stem(plan.title)}"
        if isinstance(document, StudioError):
            problems.append(f"{stem}：{document}")
        else:
            files.append((stem, plan, document))
    pdfs = _pdfs([document for _stem, _plan, document in files], problems) if pdf and files else None
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (stem, plan, document) in enumerate(files):
            archive.writestr(f"{stem}.docx", document)
            if markdown:
                archive.writestr(f"{stem}.md", plan_to_markdown(plan))
            if pdfs is not None and pdfs[index] is not None:
                archive.writestr(f"{stem}.pdf", pdfs[index])
            elif pdfs is not None:
                problems.append(f"{stem}.pdf：LibreOffice 没有生成 PDF / LibreOffice produced no PDF")
        if problems:
            archive.writestr(REPORT_NAME, "以下内容没有导出 / Not exported:\n" + "\n".join(problems) + "\n")
    return buffer.getvalue()


def _built_in(plan: LessonPlan, cover: Cover) -> bytes | StudioError:
    try:
        return plan_to_docx_bytes(plan, cover)
    except StudioError as error:
        return error


def _pdfs(documents: list[bytes], problems: list[str]) -> list[bytes | None] | None:
    """The PDFs in order, converted in one LibreOffice run (None for one it could not convert); None
    when none could be made, with the reason added to problems once."""
    try:
        return docxs_to_pdfs(documents)
    except StudioError as error:  # not installed, timed out or failed: the same answer for every plan
        problems.append(str(error))
        return None
