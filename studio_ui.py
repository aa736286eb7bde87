"""The one small UI helper: the cached Studio, the signed-in user, strings, and plan rendering.

Only app.py, pages/ and this module import streamlit; business rules stay in lesson_studio.
"""

from __future__ import annotations

import datetime
import os
import tomllib
from functools import cache
from pathlib import Path

import streamlit as st

from lesson_studio.authoring.generate import PlanProgress
from lesson_studio.config import RESOURCES_DIR, Settings
from lesson_studio.export.cover import Cover
from lesson_studio.models import LessonPlan, User
from lesson_studio.studio import Studio


@st.cache_resource(show_spinner=False)
def get_studio() -> Studio:
    """One Studio per server process: one model, one job runner, shared by every session."""
    return Studio(Settings.from_env({**_secrets(), **os.environ}))


def _secrets() -> dict[str, str]:
    """Top-level string keys of .streamlit/secrets.toml; the environment wins over them."""
    try:
        return {key: value for key, value in st.secrets.items() if isinstance(value, str)}
    except FileNotFoundError:
        return {}
    except Exception as error:  # Streamlit raises its own "no secrets file" error type
        if "secrets" in type(error).__name__.lower() or "No secrets" in str(error):
            return {}
        raise


@st.cache_resource(show_spinner=False)
def _starter_library_ready(_studio_id: int) -> bool:
    get_studio().ensure_starter_library()
    return True


def ensure_library() -> None:
    studio = get_studio()
    with st.spinner(t("preparing_library")):
        _starter_library_ready(id(studio))


@cache
def _strings() -> dict[str, dict[str, str]]:
    with open(RESOURCES_DIR / "i18n.toml", "rb") as handle:
        return tomllib.load(handle)


def t(key: str, **values: object) -> str:
    language = st.session_state.get("language", "zh")
    text = _strings()[language].get(key) or _strings()["zh"][key]
    return text.format(**values) if values else text


def current_user() -> User | None:
    return st.session_state.get("user")


def require_user() -> User:
    user = current_user()
    if user is None:
        st.stop()
    return user


# (page file, title key, icon, roles offered it). Offering is convenience only: every action checks
# the role again in the core, so a teacher who opens an admin page by its address is refused there.
PAGES = (
    ("pages/new_lesson.py", "page_new", "✏️", ("teacher", "lead", "admin")),
    ("pages/my_lessons.py", "page_mine", "📚", ("teacher", "lead", "admin")),
    ("pages/plan.py", "page_plan", "🛠️", ("teacher", "lead", "admin")),
    ("pages/library.py", "page_library", "🔎", ("teacher", "lead", "admin")),
    ("pages/templates.py", "page_templates", "🗂️", ("teacher", "lead", "admin")),
    ("pages/admin.py", "page_backends", "⚙️", ("admin",)),
    ("pages/accounts.py", "page_accounts", "👥", ("admin",)),
)


def pages_for(user: User) -> list[tuple[str, str, str]]:
    """The pages the navigation offers this user's role, first one the default."""
    return [(path, title_key, icon) for path, title_key, icon, roles in PAGES if user.role in roles]


def render_plan(plan: LessonPlan) -> None:
    st.subheader(plan.title)
    st.caption(f"{plan.age_band} · {plan.domain} · {plan.minutes} 分钟")
    for warning in plan.warnings:
        st.warning(warning)
    st.markdown("**设计意图**  \n" + plan.design_intent)
    st.markdown("**活动目标**")
    for number, objective in enumerate(plan.objectives, start=1):
        st.markdown(f"{number}. 【{objective.dimension}】{objective.text}")
    st.markdown(f"**活动重点**：{plan.key_point}  \n**活动难点**：{plan.difficult_point}")
    st.markdown("**活动准备**")
    st.markdown("经验准备：" + "；".join(plan.preparation.experience))
    st.markdown(
        "物质准备：" + "；".join(f"{m.name}（{m.quantity}，{m.for_whom}）" for m in plan.preparation.materials)
    )
    st.markdown("**活动过程**")
    for number, step in enumerate(plan.steps, start=1):
        with st.container(border=True):
            st.markdown(f"**{number}. {step.phase}·{step.cps_stage}　{step.title}**（{step.minutes} 分钟）")
            st.markdown("师：" + step.teacher)
            if step.key_questions:
                st.markdown("关键提问：" + " / ".join(step.key_questions))
            st.markdown("幼：" + step.children)
            if step.intent:
                st.caption("设计意图：" + step.intent)
    st.markdown(f"**活动延伸**  \n区域活动：{plan.extension.area}  \n家园共育：{plan.extension.home}")
    _render_safety(plan.safety_notes)
    if plan.observation_points:
        st.markdown("**观察要点**")
        for point in plan.observation_points:
            st.markdown(f"- {point}")
    _render_citations(plan.citations)


def render_progress(progress: PlanProgress) -> None:
    """What has arrived so far: the code-decided structure first, then each finished section."""
    scaffold = progress.scaffold
    for warning in scaffold.warnings:
        st.warning(warning)
    with st.expander(t("structure"), expanded=progress.overview is None):
        for number, slot in enumerate(scaffold.steps, start=1):
            st.markdown(f"{number}. {slot.phase}·**{slot.cps_stage}**（{slot.minutes} 分钟）")
        st.caption("想办法的约定：" + "；".join(scaffold.brainstorm_rules) + "　分组：" + scaffold.group_size)
    if progress.overview:
        st.subheader(progress.overview.title)
        st.markdown(progress.overview.design_intent)
        for objective in progress.overview.objectives:
            st.markdown(f"- 【{objective.dimension}】{objective.text}")
    if progress.preparation:
        st.markdown("**活动准备**：" + "；".join(f"{m.name}（{m.quantity}）" for m in progress.preparation.materials))
    for number, (slot, step) in enumerate(zip(scaffold.steps, progress.steps, strict=False), start=1):
        if step:
            with st.container(border=True):
                st.markdown(f"**{number}. {slot.phase}·{slot.cps_stage}　{step.title}**（{slot.minutes} 分钟）")
                st.markdown("师：" + step.teacher)
                st.markdown("幼：" + step.children)
    if progress.current_section:
        st.info(t("generating", section=progress.current_section))
        preview = progress.partial_fields()
        if preview:
            st.caption(" · ".join(preview.values())[-300:])
    _render_safety(scaffold.safety_notes)
    _render_citations(progress.citations)


def _render_safety(notes) -> None:  # type: ignore[no-untyped-def]
    if notes:
        st.markdown("**安全提示**")
        for note in notes:
            st.error(f"{note.material}：{note.note}") if note.severity == "ban" else st.info(f"{note.material}：{note.note}")


def _render_citations(citations) -> None:  # type: ignore[no-untyped-def]
    if citations:
        st.markdown("**参考资料**")
        for citation in citations:
            page = f"，第{citation.page}页" if citation.page else ""
            heading = f" › {citation.heading}" if citation.heading else ""
            st.caption(f"[{citation.number}] 《{citation.document_title}》{heading}{page}")


DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def export_options(user: User, key: str) -> tuple[str | None, Cover]:
    """The layout (built-in or a school template) and the cover fields the teacher chose."""
    studio = get_studio()
    with st.expander(t("export_options")):
        choices = {info.id: info.name for info in studio.templates.list_templates(user)}
        template_id = st.selectbox(
            t("export_template"),
            [None, *choices],
            format_func=lambda option: t("export_builtin") if option is None else choices[option],
            key=f"{key}_template",
        )
        left, right = st.columns(2)
        today = datetime.date.today()
        cover = Cover(
            teacher=left.text_input(t("export_teacher"), value=user.display_name, key=f"{key}_teacher"),
            class_name=right.text_input(t("export_class_name"), key=f"{key}_class"),
            date=left.text_input(t("export_date"), value=f"{today.year}年{today.month}月{today.day}日", key=f"{key}_date"),
            school=right.text_input(t("export_school"), key=f"{key}_school"),
        )
    return template_id, cover


def export_buttons(user: User, version_id: int, plan: LessonPlan, *, key: str) -> tuple[str | None, Cover]:
    """Word (built-in layout or the chosen school template), Markdown and, with LibreOffice, PDF —
    the same row on every page that shows a saved plan. Returns the options chosen."""
    from lesson_studio.errors import StudioError
    from lesson_studio.export import docx_to_pdf, pdf_available, plan_to_markdown

    studio = get_studio()
    template_id, cover = export_options(user, key)
    try:
        word = studio.export_version_docx(user, version_id, cover=cover, template_id=template_id)
    except StudioError as error:
        st.error(str(error))
        word = None
    left, middle, right = st.columns(3)
    if word is not None:
        left.download_button(
            t("download_docx"), data=word, file_name=docx_file_name(plan), mime=DOCX_MIME, type="primary", key=f"{key}_docx"
        )
    middle.download_button(
        t("download_md"), data=plan_to_markdown(plan), file_name=docx_file_name(plan).replace(".docx", ".md"), key=f"{key}_md"
    )
    if word is not None and pdf_available() and right.button(t("export_make_pdf"), key=f"{key}_make_pdf"):
        try:
            with st.spinner(t("export_make_pdf")):
                pdf = docx_to_pdf(word)
            right.download_button(
                t("export_download_pdf"), data=pdf, file_name=docx_file_name(plan).replace(".docx", ".pdf"), key=f"{key}_pdf"
            )
        except StudioError as error:
            st.error(str(error))
    return template_id, cover


def docx_file_name(plan: LessonPlan) -> str:
    safe = "".join(ch for ch in plan.title if ch not in '\\/:*?"<>|').strip() or "教案"
    return str(Path(safe).with_suffix(".docx"))
