"""Export lesson plans: the built-in Word 教案 (.docx), a school's own template, Markdown, a theme unit
with a table of contents, a .zip of several plans, and PDF through LibreOffice when installed."""

from lesson_studio.export.bundle import fallback_notice, plan_docx, plan_docx_or_builtin, plans_to_zip
from lesson_studio.export.cover import Cover
from lesson_studio.export.docx_builder import build_docx, build_unit_docx, plan_to_docx_bytes, unit_to_docx_bytes
from lesson_studio.export.fields import outside_fields, strip_outside_fields
from lesson_studio.export.files import safe_file_stem
from lesson_studio.export.markdown import plan_to_markdown
from lesson_studio.export.pdf import PdfFailed, PdfUnavailable, docx_to_pdf, docxs_to_pdfs, pdf_available
from lesson_studio.export.placeholders import PLACEHOLDERS, reference_markdown
from lesson_studio.export.templates import (
    SchoolTemplates,
    TemplateCheck,
    TemplateFailed,
    TemplateInfo,
    check_template,
    fill_template,
    fill_templates,
)

__all__ = [
    "PLACEHOLDERS",
    "Cover",
    "PdfFailed",
    "PdfUnavailable",
    "SchoolTemplates",
    "TemplateCheck",
    "TemplateFailed",
    "TemplateInfo",
    "build_docx",
    "build_unit_docx",
    "check_template",
    "docx_to_pdf",
    "docxs_to_pdfs",
    "fallback_notice",
    "fill_template",
    "fill_templates",
    "outside_fields",
    "pdf_available",
    "plan_docx",
    "plan_docx_or_builtin",
    "plan_to_docx_bytes",
    "plan_to_markdown",
    "plans_to_zip",
    "reference_markdown",
    "safe_file_stem",
    "strip_outside_fields",
    "unit_to_docx_bytes",
]
