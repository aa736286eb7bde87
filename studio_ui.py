"""The one small UI helper: the cached Studio, the signed-in user, strings, and plan rendering.

Only app.py, pages/ and this module import streamlit; business rules stay in lesson_studio.
"""

from __future__ import annotations

import datetime
import os
import re
import tomllib
from functools import cache
from pathlib import Path

import streamlit as st

from lesson_studio.accounts import SignedIn
from lesson_studio.authoring.generate import PlanProgress
from lesson_studio.config import RESOURCES_DIR, Settings
from lesson_studio.errors import StaleVersion, StudioError
from lesson_studio.export.cover import Cover
from lesson_studio.models import LessonPlan, User
from lesson_studio.progress import ProgressFigures, streaming_fields
from lesson_studio.studio import Studio


@st.cache_resource(show_spinner=False)
def get_studio() -> Studio:
    """One Studio per server process: one model, one job runner, shared by every session. The
    embedded model is joined and loaded in the background at start, so the first 生成 does not pay
    for it (LESSON_STUDIO_PRELOAD=0 turns that off, as the tests do)."""
    settings = Settings.from_env({**_secrets(), **os.environ})
    studio = Studio(settings)
    if os.environ.get("LESSON_STUDIO_PRELOAD", "1").lower() not in ("0", "false", "no"):
        from lesson_studio.llm.local import preload

        preload(settings)
    return studio


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


def value_label(text: str) -> str:
    """A fixed value (age band, domain, CPS stage, phase …) in the page's language: for option lists."""
    if st.session_state.get("language", "zh") == "en":
        return _strings().get("values_en", {}).get(text, text)
    return text


def value(text: str) -> str:
    """value_label() as inert Markdown."""
    return md(value_label(text))


def t(key: str, **values: object) -> str:
    language = st.session_state.get("language", "zh")
    text = _strings()[language].get(key) or _strings()["zh"][key]
    return text.format(**values) if values else text


# --- who is signed in ---------------------------------------------------------------------------
# The session keeps only a SignedIn (account id + epoch). The account is read from the store on
# every script run, so a role change, a disabled account or a reset password takes effect on the
# user's next click rather than when they sign out.

SIGNED_IN = "signed_in"


def current_user() -> User | None:
    session = st.session_state.get(SIGNED_IN)
    if session is None:
        return None
    if session.via == "sso" and not _sso_still_signed_in():
        sign_out()
        return None
    try:
        return get_studio().session_user(session)
    except StudioError as error:  # SessionEnded: disabled, or the password changed elsewhere
        sign_out(reason=str(error))
        return None


def require_user() -> User:
    user = current_user()
    if user is None:
        st.stop()
    return user


def sign_in_as(session: SignedIn) -> None:
    st.session_state[SIGNED_IN] = session


def sign_out(reason: str = "") -> None:
    language = st.session_state.get("language", "zh")
    st.session_state.clear()
    st.session_state["language"] = language
    if reason:
        st.session_state["signed_out_reason"] = reason


def sso_configured() -> bool:
    """Single sign-on is on when .streamlit/secrets.toml has an [auth] section (st.login's OIDC)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def sso_claims() -> dict[str, object] | None:
    """The identity provider's claims after st.login, None when nobody is signed in there."""
    if not sso_configured() or not getattr(st.user, "is_logged_in", False):
        return None
    return dict(st.user.to_dict())


def _sso_still_signed_in() -> bool:
    return sso_claims() is not None


# --- untrusted text ------------------------------------------------------------------------------
# Plan text (written by a model), library passages and titles, citations, user and template names
# reach the page through md(): every Markdown, HTML and LaTeX marker is escaped, so an image or a
# link in such text is shown as its characters and nothing makes the viewer's browser fetch a URL.

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$&@=^\"'])")


def md(text: object) -> str:
    """Untrusted text as inert Markdown: shown exactly as written, never as an image, link, HTML
    or formula. Line breaks are kept."""
    lines = str(text).replace("\r\n", "\n").split("\n")
    return "  \n".join(_MARKDOWN_SPECIAL.sub(r"\\\1", line.strip()) for line in lines)


def show_error(error: Exception) -> None:
    """A StudioError's message (it may quote a file, template or user name) as inert text."""
    st.error(md(error))


# (page file, title key, icon, roles offered it). Offering is convenience only: every action checks
# the role again in the core, so a teacher who opens an admin page by its address is refused there.
PAGES = (
    # Material icons ship with Streamlit; emoji showed as empty boxes where no emoji font is installed.
    ("pages/new_lesson.py", "page_new", ":material/edit_note:", ("teacher", "lead", "admin")),
    ("pages/my_lessons.py", "page_mine", ":material/folder_open:", ("teacher", "lead", "admin")),
    ("pages/plan.py", "page_plan", ":material/construction:", ("teacher", "lead", "admin")),
    ("pages/theme_unit.py", "page_theme_unit", ":material/calendar_month:", ("teacher", "lead", "admin")),
    ("pages/area_plan.py", "page_area_plan", ":material/widgets:", ("teacher", "lead", "admin")),
    ("pages/observation_record.py", "page_observation_record", ":material/visibility:", ("teacher", "lead", "admin")),
    (
        "pages/creativity_checklist.py",
        "page_creativity_checklist",
        ":material/lightbulb:",
        ("teacher", "lead", "admin"),
    ),
    ("pages/reflection.py", "page_reflection", ":material/rate_review:", ("teacher", "lead", "admin")),
    ("pages/parent_letter.py", "page_parent_letter", ":material/mail:", ("teacher", "lead", "admin")),
    ("pages/library.py", "page_library", ":material/search:", ("teacher", "lead", "admin")),
    ("pages/templates.py", "page_templates", ":material/description:", ("teacher", "lead", "admin")),
    ("pages/library_manage.py", "page_library_manage", ":material/library_books:", ("lead", "admin")),
    ("pages/hit_test.py", "page_hit_test", ":material/manage_search:", ("lead", "admin")),
    ("pages/review.py", "page_review", ":material/fact_check:", ("lead", "admin")),
    ("pages/insights.py", "page_insights", ":material/insights:", ("lead", "admin")),
    ("pages/admin.py", "page_backends", ":material/settings:", ("admin",)),
    ("pages/accounts.py", "page_accounts", ":material/group:", ("admin",)),
    ("pages/account.py", "page_account", ":material/key:", ("teacher", "lead", "admin")),
)

# The sidebar's groups (title keys), so a teacher sees her lessons first and the other resources
# of her week together, not one list of eighteen pages. A page not named here goes under "nav_more".
NAV_SECTIONS = {
    "pages/new_lesson.py": "nav_lessons",
    "pages/my_lessons.py": "nav_lessons",
    "pages/plan.py": "nav_lessons",
    "pages/theme_unit.py": "nav_resources",
    "pages/area_plan.py": "nav_resources",
    "pages/observation_record.py": "nav_resources",
    "pages/creativity_checklist.py": "nav_resources",
    "pages/reflection.py": "nav_resources",
    "pages/parent_letter.py": "nav_resources",
    "pages/library.py": "nav_library",
    "pages/templates.py": "nav_library",
    "pages/library_manage.py": "nav_curation",
    "pages/hit_test.py": "nav_curation",
    "pages/review.py": "nav_curation",
    "pages/insights.py": "nav_curation",
    "pages/admin.py": "nav_admin",
    "pages/accounts.py": "nav_admin",
    "pages/account.py": "nav_account",
}


def pages_for(user: User) -> list[tuple[str, str, str]]:
    """The pages the navigation offers this user's role, first one the default."""
    return [(path, title_key, icon) for path, title_key, icon, roles in PAGES if user.role in roles]


def navigation_for(user: User) -> dict[str, list[tuple[str, str, str]]]:
    """pages_for grouped by NAV_SECTIONS (section title key -> pages), in PAGES order."""
    sections: dict[str, list[tuple[str, str, str]]] = {}
    for page in pages_for(user):
        sections.setdefault(NAV_SECTIONS.get(page[0], "nav_more"), []).append(page)
    return sections


def render_plan(plan: LessonPlan, *, author: str = "", retired: dict[str, str] | None = None) -> None:
    """retired: chunk id -> why that cited passage left the library (Studio.retired_citations)."""
    st.subheader(md(plan.title))
    byline = f" · {t('plan_author')}：{md(author)}" if author else ""
    st.caption(f"{value(plan.age_band)} · {value(plan.domain)} · {t('h_minutes', n=plan.minutes)}{byline}")
    for warning in plan.warnings:
        st.warning(md(warning))
    st.markdown(f"**{t('h_intent')}**  \n" + md(plan.design_intent))
    st.markdown(f"**{t('h_objectives')}**")
    for number, objective in enumerate(plan.objectives, start=1):
        st.markdown(f"{number}\\. 【{md(objective.dimension)}】{md(objective.text)}")
    st.markdown(f"**{t('h_key')}**：{md(plan.key_point)}  \n**{t('h_difficult')}**：{md(plan.difficult_point)}")
    st.markdown(f"**{t('h_preparation')}**")
    st.markdown(f"{t('h_experience')}：" + "；".join(md(item) for item in plan.preparation.experience))
    st.markdown(
        f"{t('h_materials')}："
        + "；".join(f"{md(m.name)}（{md(m.quantity)}，{value(m.for_whom)}）" for m in plan.preparation.materials)
    )
    st.markdown(f"**{t('h_process')}**")
    for number, step in enumerate(plan.steps, start=1):
        with st.container(border=True):
            st.markdown(
                f"**{number}\\. {value(step.phase)}·{value(step.cps_stage)}　{md(step.title)}**（{t('h_minutes', n=step.minutes)}）"
            )
            st.markdown(f"{t('h_teacher')}：" + md(step.teacher))
            if step.key_questions:
                st.markdown(f"{t('h_questions')}：" + " / ".join(md(question) for question in step.key_questions))
            st.markdown(f"{t('h_children')}：" + md(step.children))
            if step.intent:
                st.caption(f"{t('h_intent')}：" + md(step.intent))
    st.markdown(
        f"**{t('h_extension')}**  \n{t('h_area')}：{md(plan.extension.area)}  \n{t('h_home')}：{md(plan.extension.home)}"
    )
    _render_safety(plan.safety_notes)
    if plan.observation_points:
        st.markdown(f"**{t('h_observation')}**")
        for point in plan.observation_points:
            st.markdown(f"- {md(point)}")
    _render_citations(plan.citations, retired)


def duration(seconds: float) -> str:
    """'45 秒' / '2 分 10 秒' (rounded to 5 s above a minute: an estimate, not a stopwatch)."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return t("duration_s", s=seconds)
    minutes, rest = divmod(int(round(seconds / 5) * 5), 60)
    return t("duration_min", m=minutes, s=rest)


def render_progress_bar(figures: ProgressFigures | None, *, cancelling: bool = False) -> None:
    """Sections done of all, time so far and, from this machine's measured speed, time left."""
    if cancelling:
        st.warning(t("cancelling"))
    if figures is None:
        return
    line = t(
        "progress_line", done=figures.sections_done, total=figures.sections_total, elapsed=duration(figures.elapsed_s)
    )
    line += " · " + (
        t("progress_left", left=duration(figures.remaining_s))
        if figures.remaining_s is not None
        else t("progress_measuring")
    )
    st.progress(min(1.0, figures.fraction), text=line)


def render_progress(progress: PlanProgress) -> None:
    """What has arrived so far: the code-decided structure first, then each finished section, then
    the words of the section being written as they arrive."""
    scaffold = progress.scaffold
    for warning in scaffold.warnings:
        st.warning(md(warning))
    with st.expander(t("structure"), expanded=progress.overview is None):
        for number, slot in enumerate(scaffold.steps, start=1):
            st.markdown(
                f"{number}\\. {value(slot.phase)}·**{value(slot.cps_stage)}**（{t('h_minutes', n=slot.minutes)}）"
            )
        st.caption(
            f"{t('h_brainstorm_rules')}："
            + "；".join(md(rule) for rule in scaffold.brainstorm_rules)
            + f"　{t('h_groups')}："
            + md(scaffold.group_size)
        )
    if progress.overview:
        st.subheader(md(progress.overview.title))
        st.markdown(md(progress.overview.design_intent))
        for objective in progress.overview.objectives:
            st.markdown(f"- 【{md(objective.dimension)}】{md(objective.text)}")
    if progress.preparation:
        st.markdown(
            f"**{t('h_preparation')}**："
            + "；".join(f"{md(m.name)}（{md(m.quantity)}）" for m in progress.preparation.materials)
        )
    for number, (slot, step) in enumerate(zip(scaffold.steps, progress.steps, strict=False), start=1):
        if step:
            with st.container(border=True):
                st.markdown(
                    f"**{number}\\. {value(slot.phase)}·{value(slot.cps_stage)}　{md(step.title)}**（{t('h_minutes', n=slot.minutes)}）"
                )
                st.markdown(f"{t('h_teacher')}：" + md(step.teacher))
                st.markdown(f"{t('h_children')}：" + md(step.children))
    render_writing(progress)
    _render_safety(scaffold.safety_notes)
    _render_citations(progress.citations)


def render_writing(progress: PlanProgress) -> None:
    """The section being written, its words appearing as the model writes them."""
    if not progress.current_section:
        return
    with st.container(border=True):
        st.markdown(f"**{t('generating', section=md(progress.current_section))}**")
        words = streaming_fields(progress.current_text)
        for index, (label, text) in enumerate(words):
            cursor = " ▌" if index == len(words) - 1 else ""
            st.markdown((f"{md(label)}：" if label else "") + md(text) + cursor)
        if not words:
            st.caption(t("reading_prompt"))


def render_diff(sections, before_label: str, after_label: str) -> None:  # type: ignore[no-untyped-def]
    """Changed sections side by side; removed words struck through in red on the left, added ones
    in green on the right. The text itself goes through md(): only the highlighting is Markdown."""
    for section in sections:
        if not section.changed:
            continue
        runs = section.segments()
        left, right = st.columns(2)
        left.caption(f"{md(section.label)}（{md(before_label)}）")
        left.markdown("".join(_run(kind, text) for kind, text in runs if kind != "insert") or "—")
        right.caption(f"{md(section.label)}（{md(after_label)}）")
        right.markdown("".join(_run(kind, text) for kind, text in runs if kind != "delete") or "—")


def _run(kind: str, text: str) -> str:
    if kind == "equal":
        return md(text)
    marked = "".join(_highlight(kind, part) if part.strip() else part for part in re.split(r"(\n)", text))
    return marked.replace("\n", "  \n")


def _highlight(kind: str, text: str) -> str:
    if kind == "delete":
        return f":red-background[~~{md(text)}~~]"
    return f":green-background[**{md(text)}**]"


def _render_safety(notes) -> None:  # type: ignore[no-untyped-def]
    if notes:
        st.markdown(f"**{t('h_safety')}**")
        for note in notes:
            text = f"{md(note.material)}：{md(note.note)}"
            st.error(text) if note.severity == "ban" else st.info(text)


def _render_citations(citations, retired: dict[str, str] | None = None) -> None:  # type: ignore[no-untyped-def]
    retired = retired or {}
    if citations:
        st.markdown(f"**{t('h_references')}**")
        for citation in citations:
            page = f"，第{citation.page}页" if citation.page else ""
            heading = f" › {md(citation.heading)}" if citation.heading else ""
            st.caption(f"\\[{citation.number}\\] 《{md(citation.document_title)}》{heading}{page}")
            if citation.reason:
                st.caption(f"\u3000{md(in_language(citation.reason))}")
            if citation.chunk_id in retired:  # the plan still opens; its source left the library
                st.caption(
                    f"\u3000:orange[:material/history: {t('source_retired')}：{md(in_language(retired[citation.chunk_id]))}]"
                )


def in_language(text: str) -> str:
    """A core message written "中文 / English": the half in the page's language."""
    zh, _, en = text.partition(" / ")
    return en if en and st.session_state.get("language", "zh") == "en" else zh


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
            date=left.text_input(
                t("export_date"), value=f"{today.year}年{today.month}月{today.day}日", key=f"{key}_date"
            ),
            school=right.text_input(t("export_school"), key=f"{key}_school"),
        )
    return template_id, cover


def export_buttons(user: User, version_id: int, plan: LessonPlan, *, key: str) -> tuple[str | None, Cover]:
    """Word (built-in layout or the chosen school template), Markdown and, with LibreOffice, PDF —
    the same row on every page that shows a saved plan. The Word file is made when the teacher
    asks for it and kept for this version, layout and cover: a rerun never rebuilds it."""
    from lesson_studio.export import docx_to_pdf, pdf_available, plan_to_markdown

    studio = get_studio()
    template_id, cover = export_options(user, key)
    wanted = (version_id, template_id, cover)
    made = st.session_state.get(f"{key}_word")
    left, middle, right = st.columns(3)
    if (made is None or made[0] != wanted) and left.button(
        t("export_make_docx"), type="primary", key=f"{key}_make_docx"
    ):
        try:
            with st.spinner(t("export_making_docx")):
                data, notice = studio.export_version_word(user, version_id, cover=cover, template_id=template_id)
            made = st.session_state[f"{key}_word"] = (wanted, data, notice)
        except StudioError as error:
            show_error(error)
    word = made[1] if made is not None and made[0] == wanted else None
    if word is not None:
        if made[2]:
            st.warning(md(made[2]))
        left.download_button(
            t("download_docx"),
            data=word,
            file_name=docx_file_name(plan),
            mime=DOCX_MIME,
            type="primary",
            key=f"{key}_docx",
        )
    middle.download_button(
        t("download_md"),
        data=lambda: plan_to_markdown(plan),  # made on the click, not on every rerun
        file_name=docx_file_name(plan).replace(".docx", ".md"),
        key=f"{key}_md",
    )
    if word is not None and pdf_available() and right.button(t("export_make_pdf"), key=f"{key}_make_pdf"):
        try:
            with st.spinner(t("export_make_pdf")):
                pdf = docx_to_pdf(word)
            right.download_button(
                t("export_download_pdf"),
                data=pdf,
                file_name=docx_file_name(plan).replace(".docx", ".pdf"),
                key=f"{key}_pdf",
            )
        except StudioError as error:
            show_error(error)
    return template_id, cover


def docx_file_name(plan: LessonPlan) -> str:
    safe = "".join(ch for ch in plan.title if ch not in '\\/:*?"<>|').strip() or "教案"
    return str(Path(safe).with_suffix(".docx"))


# --- 让模型改写一部分: one part of any resource type's saved document, by the model ---


def refine_part_controls(user: User, version_id: int, *, key: str, on_saved) -> None:  # type: ignore[no-untyped-def]
    """Under a saved document of any type with parts (Studio.refinement_parts): choose a part,
    write the instruction, follow the job, then the proposal as a diff, saved as a new version or
    discarded. `key` keeps two documents on one page apart; on_saved(new version id) lets the page
    show the new version. Every model text goes through md() (render_diff, render_writing)."""
    studio = get_studio()
    parts = dict(studio.refinement_parts(user, version_id))
    if not parts:
        return
    state = f"{key}_part_refinement_{version_id}"
    # A toggle over a bordered box rather than an expander: the pages' tests list their expanders
    # (a checklist's sheets), and the toggle's state survives the reruns a running job makes.
    if not st.toggle(t("refine_part"), key=f"{state}_open") and state not in st.session_state:
        return
    with st.container(border=True):
        refinement_id = st.session_state.get(state)
        if refinement_id is None:
            _part_request_form(studio, user, version_id, parts, state)
        else:
            _part_proposal(studio, user, refinement_id, state, on_saved)


def _part_request_form(studio: Studio, user: User, version_id: int, parts: dict[str, str], state: str) -> None:
    part = st.selectbox(t("refine_part_which"), list(parts), format_func=lambda k: parts[k], key=f"{state}_part")
    instruction = st.text_input(t("instruction"), placeholder=t("refine_part_placeholder"), key=f"{state}_instruction")
    if st.button(t("refine_part_submit"), type="primary", key=f"{state}_submit"):
        version = studio.open_document(user, version_id)[0]
        nonce = st.session_state.setdefault("part_refine_nonce", os.urandom(8).hex())
        # The version, the part and the instruction (and how many proposals were discarded here):
        # a rerun or a double click starts one job; asking again after 放弃 starts a new one.
        tries = st.session_state.get(f"{state}_tries", 0)
        idempotency_key = studio.idempotency_key(nonce, "part", version_id, part, instruction.strip(), tries)
        try:
            st.session_state[state] = studio.submit_refinement(
                user,
                draft_id=version.draft_id,
                base_version_id=version_id,
                kind="part",
                payload={"part": part, "instruction": instruction},
                idempotency_key=idempotency_key,
            )
        except StudioError as error:
            show_error(error)
            return
        st.rerun()


@st.fragment(run_every=1.0)
def _poll_part_refinement(user: User, refinement_id: int, state: str) -> None:
    studio = get_studio()
    view = studio.refinement_view(user, refinement_id)
    if view.status not in ("queued", "running"):
        st.rerun()  # a full run shows the proposal once; polling stops there
    if view.queue_position:
        st.info(t("queued", n=view.queue_position))
    if view.notice:
        st.warning(md(view.notice.message))
    if view.cancelling:
        st.warning(t("cancelling"))
    if view.progress is not None:
        render_writing(view.progress)  # type: ignore[arg-type]  # a part's progress has the same fields shown
    else:
        st.caption(t("reading_prompt"))
    if not view.cancelling and st.button(t("refine_part_cancel"), key=f"{state}_cancel"):
        studio.cancel_refinement(user, refinement_id)
        st.rerun()


def _part_proposal(studio: Studio, user: User, refinement_id: int, state: str, on_saved) -> None:  # type: ignore[no-untyped-def]
    view = studio.refinement_view(user, refinement_id)
    if view.status in ("queued", "running"):
        _poll_part_refinement(user, refinement_id, state)
        return

    def close(*, discarded: bool) -> None:
        st.session_state.pop(state, None)
        if discarded:
            st.session_state[f"{state}_tries"] = st.session_state.get(f"{state}_tries", 0) + 1
        st.rerun()

    if view.status != "done":
        st.error(md(view.error))
        if st.button(t("close"), key=f"{state}_close"):
            close(discarded=True)
        return
    diffs = studio.part_proposal(user, refinement_id)[2]
    st.markdown(f"**{t('proposal')}**")
    if not any(diff.changed for diff in diffs):
        st.info(t("refine_part_unchanged"))
    render_diff(diffs, t("before"), t("after"))  # what the checks still found is in its warnings' diff
    stale = st.session_state.get(f"{state}_stale")  # the newest version, when another was saved meanwhile
    accept, discard = st.columns(2)
    label = t("refine_part_on_newest") if stale else t("save_version")
    if accept.button(label, type="primary", key=f"{state}_accept"):
        try:
            version = studio.accept_refinement(user, refinement_id, on_top_of=stale)
        except StaleVersion as conflict:  # saved meanwhile: the rewritten part can go into that version
            st.session_state[f"{state}_stale"] = conflict.head_version_id
            st.rerun()
        except StudioError as error:  # not the author, or the part is gone from the newest version
            show_error(error)
            return
        st.session_state.pop(state, None)
        st.session_state.pop(f"{state}_stale", None)
        on_saved(version.id)
        st.rerun()
    if stale:
        st.warning(t("refine_part_stale"))
    if discard.button(t("discard"), key=f"{state}_discard"):
        st.session_state.pop(f"{state}_stale", None)
        close(discarded=True)


def resource_sentence_box(kind: str, prefix: str, *, field_label, text_lists: tuple[str, ...] = ()) -> None:  # noqa: ANN001
    """一句话填表 above any resource form: the sentence, 解析到表单, and what was guessed named for
    the teacher to check. The form's widgets are keyed "<prefix>_<field>"; a list the form shows as
    one line (旧报纸、纸盒) is in text_lists; field_label(name) is how the page names a field."""

    def fill_from_sentence() -> None:
        # A button callback: it runs before the form's widgets exist in this run, so it may set them.
        try:
            parsed = get_studio().parse_resource_request(require_user(), kind, st.session_state[f"{prefix}_sentence"])
        except StudioError as error:
            st.session_state[f"{prefix}_parsed"] = {"error": str(error)}
            return
        for name, found in parsed.values.items():
            st.session_state[f"{prefix}_{name}"] = "、".join(found) if name in text_lists else found
        st.session_state[f"{prefix}_parsed"] = {"guessed": parsed.guessed, "nothing": not parsed.values}

    st.text_input(t("resource_sentence"), key=f"{prefix}_sentence", placeholder=t(f"sentence_example_{kind}"))
    st.button(t("parse"), key=f"{prefix}_parse", on_click=fill_from_sentence)
    parsed = st.session_state.get(f"{prefix}_parsed", {})
    if parsed.get("error"):
        st.error(md(parsed["error"]))
    if parsed.get("nothing"):
        st.info(t("parsed_nothing"))
    if parsed.get("guessed"):
        st.warning(f"{t('parsed_guessed')}：{'、'.join(field_label(name) for name in parsed['guessed'])}")


def school_template_export(kind: str, version_id: int, file_name: str) -> None:
    """The school's own templates for this resource type (学校模板) beside 下载 Word, filled on
    request: a fill can fail and says why. file_name is the download's name (…-学校模板.docx)."""
    studio = get_studio()
    user = require_user()
    school_templates = {info.id: info.name for info in studio.templates.list_templates(user, kind=kind)}
    if not school_templates:
        return
    template_id = st.selectbox(
        t("export_school_template"),
        list(school_templates),
        format_func=school_templates.get,
        key=f"{kind}_template_{version_id}",
    )
    if st.button(t("export_make_with_template"), key=f"{kind}_make_template_{version_id}"):
        try:
            with st.spinner(t("export_making_docx")):
                data = studio.export_document_with_template(user, version_id, template_id)
            st.session_state[f"{kind}_templated_{version_id}"] = (template_id, data)
        except StudioError as error:
            show_error(error)
    made = st.session_state.get(f"{kind}_templated_{version_id}")
    if made is not None and made[0] == template_id:
        st.download_button(
            t("export_download_with_template"),
            data=made[1],
            file_name=file_name,
            mime=DOCX_MIME,
            key=f"{kind}_template_docx_{version_id}",
        )
