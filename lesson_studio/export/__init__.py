"""Export lesson plans: the built-in Word 教案 (.docx), a school's own template, Markdown, a theme unit
with a table of contents, a .zip of several plans, and PDF through LibreOffice when installed."""

from lesson_studio.export.bundle import plan_docx, plans_to_zip
from lesson_studio.export.cover import Cover
from lesson_studio.export.docx_builder import build_docx, build_unit_docx, plan_to_docx_bytes, unit_to_docx_bytes
from lesson_studio.export.files import safe_file_stem
from lesson_studio.export.markdown import plan_to_markdown
from lesson_studio.export.pdf import PdfFailed, PdfUnavailable, docx_to_pdf, docxs_to_pdfs, pdf_available
from lesson_studio.export.placeholders import PLACEHOLDERS, reference_markdown
from lesson_studio.export.templates import (
    SchoolTemplates,
    TemplateCheck,
    TemplateInfo,
    check_template,
    fill_template,
)

__all__ = [
    "PLACEHOLDERS",
    "Cover",
    "PdfFailed",
    "PdfUnavailable",
    "SchoolTemplates",
    "TemplateCheck",
    "TemplateInfo",
    "build_docx",
    "build_unit_docx",
    "check_template",
    "docx_to_pdf",
    "docxs_to_pdfs",
    "fill_template",
    "pdf_available",
    "plan_docx",
    "plan_to_docx_bytes",
    "plan_to_markdown",
    "plans_to_zip",
    "reference_markdown",
    "safe_file_stem",
    "unit_to_docx_bytes",
]
