"""Export a lesson plan: a Word 教案 (.docx) for filing and printing, Markdown for preview."""

from lesson_studio.export.docx_builder import build_docx, plan_to_docx_bytes
from lesson_studio.export.markdown import plan_to_markdown

__all__ = ["build_docx", "plan_to_docx_bytes", "plan_to_markdown"]
