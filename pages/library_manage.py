"""资源库管理 (leads and admins): upload several files with the batch's tags and watch each file's
progress (kept in the store: a reload or another lead sees the same); the document list with
search, filters and bulk tag edit; one document's chunks as the retriever holds them, a passage or
the whole document disabled, versions with who/when and rollback. Every action is checked in the
core (lesson_studio.library.curation); titles, file names, passages and names go through md()."""

import datetime
import hashlib
import uuid

import pandas as pd
import streamlit as st

from lesson_studio.errors import StudioError
from lesson_studio.library.curation import COMMON_RESOURCE_TYPES, DOCUMENT_STATES, filter_documents
from lesson_studio.library.tags import AGE_BANDS, CPS_STAGES, DOMAINS
from studio_ui import ensure_library, get_studio, in_language, md, require_user, show_error, t, value_label

CHUNKS_PER_PAGE = 50
KEEP, REMOVE = "__keep__", "__remove__"  # bulk edit: leave a tag as it is, or take it off
CHOICES = {"age_band": AGE_BANDS, "domain": DOMAINS, "cps_stage": CPS_STAGES}

user = require_user()
studio = get_studio()
ensure_library()
library = studio.library
st.title(t("page_library_manage"))
if st.session_state.get("lib_done"):
    st.success(md(st.session_state.pop("lib_done")))
try:
    documents = library.documents_overview(user)
except StudioError as error:
    show_error(error)
    st.stop()


def act(action, done: str) -> None:  # type: ignore[no-untyped-def]
    """Run a core action; on success say so after the rerun, on refusal say why."""
    try:
        action()
    except StudioError as error:
        show_error(error)
        return
    st.session_state["lib_done"] = done
    st.rerun()


def tag_label(value: str) -> str:
    if value == KEEP:
        return t("lib_tag_keep")
    if value == REMOVE:
        return t("lib_tag_remove")
    return value_label(value) if value else "—"


def state_label(state: str) -> str:
    return t(f"lib_state_{state}")


def show_batch(batch) -> None:  # type: ignore[no-untyped-def]
    tags = "，".join(f"{key}={value}" for key, value in batch.tags.items()) or "—"
    st.caption(
        md(t("lib_batch_line", number=batch.id, who=batch.created_by, at=f"{batch.created_at:%m-%d %H:%M}", tags=tags))
    )
    for item in batch.items:
        label = f"{md(item.file_name)} · {t('lib_item_' + item.state)}"
        if item.state == "embedding":
            label += f"（{item.embedded_chunks}/{item.chunks}）"
        if item.state == "refused":
            st.error(f"**{md(item.file_name)}**：{md(in_language(item.message))}", icon=":material/block:")
        else:
            st.progress(item.fraction, text=label)
            if item.message:
                st.warning(md(in_language(item.message)))


def upload_progress() -> None:
    """The newest batches, read from the store (so a reload or another lead sees the same)."""
    try:
        batches = library.uploads.batches(user, limit=3)
    except StudioError as error:
        show_error(error)
        return
    for batch in batches:
        with st.container(border=True):
            show_batch(batch)
    # A file that landed (or was refused) or a batch that finished since the last look: the whole
    # page reads the library again, so the list and the document view show it without a click,
    # and the polling below stops once nothing is left to watch.
    seen = (sum(item.landed for batch in batches for item in batch.items), any(b.running for b in batches))
    if st.session_state.setdefault("lib_upload_seen", seen) != seen:
        st.session_state["lib_upload_seen"] = seen
        st.rerun()


upload_tab, list_tab, document_tab = st.tabs([t("lib_tab_upload"), t("lib_tab_list"), t("lib_tab_document")])

with upload_tab:
    initial = st.query_params.to_dict()  # 资源使用与缺口 links here with a cell's age band and domain
    with st.form("lib_upload", clear_on_submit=True):
        files = st.file_uploader(t("lib_files"), accept_multiple_files=True, key="lib_files", help=t("lib_files_help"))
        columns = st.columns(4)
        tags = {}
        for column, key in zip(columns, ("age_band", "domain", "cps_stage"), strict=False):
            options = ["", *CHOICES[key]]
            preset = initial.get(key, "")
            tags[key] = column.selectbox(
                t(f"tag_{key}"),
                options,
                index=options.index(preset) if preset in options else 0,
                format_func=tag_label,
                key=f"up_{key}",
            )
        tags["resource_type"] = columns[3].selectbox(
            t("tag_resource_type"),
            ["", *COMMON_RESOURCE_TYPES],
            format_func=tag_label,
            accept_new_options=True,
            key="up_resource_type",
        )
        submitted = st.form_submit_button(t("lib_upload"), type="primary")
    if submitted:
        payload = [(file.name, file.getvalue()) for file in files or []]
        chosen = {key: value for key, value in tags.items() if value}
        # The same files with the same tags from this browser session are one batch: a double
        # click or a rerun never ingests them twice.
        nonce = st.session_state.setdefault("lib_nonce", uuid.uuid4().hex)
        digests = sorted(f"{name}:{hashlib.sha256(data).hexdigest()}" for name, data in payload)
        key = studio.idempotency_key(nonce, "upload", *digests, sorted(chosen.items()))
        try:
            library.uploads.submit(user, payload, chosen, key=key)
            st.rerun()  # the list and the document view read the library again (the files may be in)
        except StudioError as error:
            show_error(error)
    vectors = library.progress(user)
    if vectors.error:  # keyword search works regardless; the admin fixes the embeddings service
        st.warning(md(t("lib_vectors_error", error=vectors.error)))
    # While a batch is being worked on, its panel re-reads the store every 2 s on its own: vectors
    # fill in the background and the page never waits for them.
    watching = any(batch.running for batch in library.uploads.batches(user, limit=3))
    st.fragment(run_every=2 if watching else None)(upload_progress)()

with list_tab:
    left, middle, right = st.columns([2, 2, 1])
    text = left.text_input(t("lib_filter_text"), key="lib_filter_text")
    states = middle.multiselect(t("lib_filter_state"), DOCUMENT_STATES, format_func=state_label, key="lib_filter_state")
    since = right.date_input(t("lib_filter_since"), value=None, key="lib_filter_since")
    columns = st.columns(4)
    wanted = {
        key: column.selectbox(t(f"tag_{key}"), ["", *CHOICES[key]], format_func=tag_label, key=f"lib_filter_{key}")
        for column, key in zip(columns, ("age_band", "domain", "cps_stage"), strict=False)
    }
    wanted["resource_type"] = columns[3].selectbox(
        t("tag_resource_type"),
        ["", *sorted({row.tags.get("resource_type", "") for row in documents} - {""})],
        format_func=tag_label,
        key="lib_filter_resource_type",
    )
    uploaders = sorted({row.uploaded_by for row in documents if row.uploaded_by})
    uploaded_by = st.selectbox(
        t("lib_filter_uploader"), ["", *uploaders], format_func=lambda name: name or "—", key="lib_filter_uploader"
    )
    changed_since = datetime.datetime.combine(since, datetime.time(), tzinfo=datetime.UTC) if since else None
    shown = filter_documents(
        documents, text=text, tags=wanted, states=states, uploaded_by=uploaded_by, changed_since=changed_since
    )
    st.caption(t("lib_list_count", shown=len(shown), total=len(documents)))
    # A dataframe shows every value as plain text (titles and names come from uploads); its
    # column headers sort it.
    st.dataframe(
        pd.DataFrame(
            {
                t("lib_col_title"): [row.title for row in shown],
                t("lib_col_file"): [row.source_name for row in shown],
                t("lib_col_state"): [state_label(row.state) for row in shown],
                t("lib_col_tags"): ["，".join(f"{k}={v}" for k, v in row.tags.items()) for row in shown],
                t("lib_col_version"): [row.version for row in shown],
                t("lib_col_chunks"): [row.chunks for row in shown],
                t("lib_col_vectors"): [f"{row.embedded_chunks}/{row.chunks}" for row in shown],
                t("lib_col_uploader"): [row.uploaded_by for row in shown],
                t("lib_col_changed"): [row.updated_at.astimezone() for row in shown],
            }
        ),
        hide_index=True,
        width="stretch",
        column_config={t("lib_col_changed"): st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")},
    )
    with st.expander(t("lib_bulk_tags"), expanded=False):
        titles = {row.document_id: f"{row.title}（{row.source_name}）" for row in shown}
        chosen_ids = st.multiselect(
            t("lib_bulk_documents"), list(titles), format_func=lambda i: titles.get(i, i), key="lib_bulk_docs"
        )
        columns = st.columns(4)
        changes = {
            key: column.selectbox(
                t(f"tag_{key}"), [KEEP, REMOVE, *CHOICES[key]], format_func=tag_label, key=f"lib_bulk_{key}"
            )
            for column, key in zip(columns, ("age_band", "domain", "cps_stage"), strict=False)
        }
        changes["resource_type"] = columns[3].selectbox(
            t("tag_resource_type"),
            [KEEP, REMOVE, *COMMON_RESOURCE_TYPES],
            format_func=tag_label,
            accept_new_options=True,
            key="lib_bulk_resource_type",
        )
        if st.button(t("lib_bulk_apply"), type="primary", key="lib_bulk_apply"):
            edit = {key: "" if value == REMOVE else value for key, value in changes.items() if value != KEEP}
            act(
                lambda: library.set_tags(user, chosen_ids, edit),
                t("lib_bulk_done", n=len(chosen_ids)),
            )

with document_tab:
    if not documents:
        st.info(t("lib_no_documents"))
    else:
        names = {row.document_id: f"{row.title}（{row.source_name} · {state_label(row.state)}）" for row in documents}
        document_id = st.selectbox(t("lib_choose_document"), list(names), format_func=names.get, key="lib_doc")
        row = next(r for r in documents if r.document_id == document_id)
        doc_tags = "，".join(f"{k}={v}" for k, v in row.tags.items()) or "—"
        st.markdown(f"**{md(row.title)}** · {md(row.source_name)} · {state_label(row.state)}")
        st.caption(
            md(
                t(
                    "lib_document_line",
                    tags=doc_tags,
                    who=row.uploaded_by or "—",
                    at=f"{row.updated_at.astimezone():%Y-%m-%d %H:%M}",
                )
            )
        )
        if row.error:
            st.error(md(in_language(row.error)))
        left, right = st.columns(2)
        if row.version is not None:
            enabling = row.state == "disabled"
            if left.button(t("lib_enable") if enabling else t("lib_disable"), key="lib_toggle_doc"):
                act(
                    lambda: library.set_enabled(user, document_id, enabling),
                    t("lib_enabled_done" if enabling else "lib_disabled_done", title=row.title),
                )
        sure = right.checkbox(t("lib_remove_confirm"), key="lib_remove_confirm")
        if right.button(t("lib_remove"), disabled=not sure, key="lib_remove_doc"):
            act(lambda: library.remove(user, document_id), t("lib_removed_done", title=row.title))

        st.markdown(f"**{t('lib_versions')}**")
        for version in library.versions(user, document_id):
            columns = st.columns([4, 1])
            columns[0].markdown(
                md(
                    t(
                        "lib_version_line",
                        number=version.number,
                        state=t(f"lib_version_{version.status}"),
                        who=version.uploaded_by or "—",
                        at=f"{version.created_at:%Y-%m-%d %H:%M}",
                        chunks=version.chunks,
                    )
                )
            )
            if version.status == "retired" and columns[1].button(
                t("lib_rollback"), key=f"lib_rollback_{version.number}"
            ):
                act(
                    lambda number=version.number: library.rollback(user, document_id, number),
                    t("lib_rollback_done", title=row.title, number=version.number),
                )

        chunks = library.document_chunks(user, document_id)
        st.markdown(f"**{t('lib_chunks', n=len(chunks))}**")
        st.caption(t("lib_chunks_intro"))
        # A 《指南》 has hundreds of chunks: they are shown a page at a time, so a click stays quick.
        starts = list(range(0, len(chunks), CHUNKS_PER_PAGE))
        start = (
            st.selectbox(
                t("lib_chunks_range"),
                starts,
                format_func=lambda first: f"{first + 1}–{min(first + CHUNKS_PER_PAGE, len(chunks))}",
                key=f"lib_chunks_from_{document_id}",
            )
            if len(starts) > 1
            else 0
        )
        for chunk in chunks[start : start + CHUNKS_PER_PAGE]:
            with st.container(border=True):
                facts = [f"#{chunk.index + 1}", md(chunk.heading) or "—"]
                if chunk.page:
                    facts.append(t("lib_chunk_page", page=chunk.page))
                facts.append("，".join(f"{md(k)}={md(v)}" for k, v in chunk.tags.items()) or "—")
                facts.append(t("lib_chunk_length", n=chunk.length))
                if chunk.disabled:
                    facts.append(f":orange[{t('lib_chunk_disabled')}]")
                top, button = st.columns([5, 1])
                top.caption(" · ".join(facts))
                label = t("lib_chunk_enable") if chunk.disabled else t("lib_chunk_disable")
                if button.button(label, key=f"lib_chunk_{chunk.chunk_id}"):
                    act(
                        lambda chunk=chunk: library.set_chunk_enabled(user, chunk.chunk_id, chunk.disabled),
                        t("lib_chunk_enabled_done" if chunk.disabled else "lib_chunk_disabled_done", n=chunk.index + 1),
                    )
                st.markdown(md(chunk.text))
