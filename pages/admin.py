"""模型后端 (admin): each backend's status and routes, and a 测试连接 button. Keys are never shown."""

import streamlit as st

from lesson_studio.errors import StudioError
from lesson_studio.llm.admin import check_connection, check_unsaved, overview
from lesson_studio.llm.catalog import STRUCTURED_OUTPUT
from lesson_studio.llm.page_config import key_source, save_backend, save_routes
from studio_ui import get_studio, md, require_user, show_error

user = require_user()
studio = get_studio()
english = st.session_state.get("language", "zh") == "en"


def say(zh: str, en: str) -> str:
    return en if english else zh


def test_connection(backend_id: str) -> None:
    # A button callback runs before the page does, so the overview below already shows this check's fault.
    with st.spinner(say("正在测试…", "Testing…")):
        try:
            st.session_state[f"checked-{backend_id}"] = check_connection(user, studio.settings, backend_id, st.secrets)
        except StudioError as error:
            st.session_state[f"check-error-{backend_id}"] = str(error)


st.title(say("模型后端", "LLM backends"))
try:
    # st.secrets is read afresh on every run, so a key added to secrets.toml shows up here at once.
    info = overview(user, studio.settings, st.secrets)
except StudioError as error:
    show_error(error)
    st.stop()

names = {backend.id: backend.name for backend in info.backends}
if info.pinned:
    st.warning(
        say(
            f"LESSON_STUDIO_BACKEND={info.pinned}：所有任务都使用这个后端。",
            f"LESSON_STUDIO_BACKEND={info.pinned}: every task uses it.",
        )
    )
st.subheader(say("任务路由（按顺序尝试）", "Routes (tried in order)"))
st.table(
    {
        say("任务", "task"): list(info.routes),
        say("后端", "backends"): [" → ".join(names.get(i, i) for i in ids) for ids in info.routes.values()],
    }
)
st.caption(say("配置文件：", "Config files: ") + " + ".join(info.sources))

KEY_SOURCE = {
    "environment": say("来自环境变量（优先于页面）", "from the environment (wins over the page)"),
    "secrets.toml": say("来自 secrets.toml（优先于页面）", "from secrets.toml (wins over the page)"),
    "page": say("在本页保存（已加密）", "saved on this page (encrypted)"),
    "unreadable": say("本页保存的密钥无法解密：各台服务器需要相同的 LESSON_STUDIO_KEYS_SECRET", "saved here but unreadable: give every server the same LESSON_STUDIO_KEYS_SECRET"),
    "missing": say("未设置", "not set"),
}
KEY_STATE = {
    "configured": (":green[:material/check_circle:]", say(":green[密钥已配置]", ":green[key configured]")),
    "missing": (":orange[:material/warning:]", say(":orange[缺少密钥]", ":orange[key missing]")),
    "not needed": (":green[:material/check_circle:]", say(":green[无需密钥]", ":green[no key needed]")),
}
for backend in info.backends:
    icon, state = KEY_STATE[backend.key_state]
    with st.container(border=True):
        st.markdown(f"**{md(backend.name)}** `{backend.id}` · {backend.kind} · {md(backend.model)}")
        where = f"{backend.base_url} · " if backend.base_url else ""
        st.caption(f"{md(where)}{say('结构化输出', 'structured output')}: {backend.structured_output}")
        line = f"{icon} {state}"
        if backend.key_env_var:
            source = key_source(studio.settings, backend.key_env_var, st.secrets)
            line += f"（{backend.key_env_var}{' ' + backend.key_tail if backend.key_tail else ''} · {KEY_SOURCE[source]}）"
        st.markdown(line)
        st.markdown(say("路由到此：", "Routed here: ") + ("、".join(backend.tasks) or say("（无）", "(none)")))
        if backend.recent_faults:
            with st.expander(say("最近的错误", "Recent faults") + f"（{len(backend.recent_faults)}）"):
                for fault in backend.recent_faults:  # the provider's own words, keys masked
                    st.markdown(f"`{fault.when}` **{fault.kind}** — {md(fault.message)}")  # the provider's words
                    st.code(fault.detail or "—", language=None)
        st.button(
            say("测试连接", "Test connection"), key=f"check-{backend.id}", on_click=test_connection, args=(backend.id,)
        )
        if st.session_state.get(f"check-error-{backend.id}"):
            st.error(md(st.session_state.pop(f"check-error-{backend.id}")))
        result = st.session_state.get(f"checked-{backend.id}")
        if result is not None:
            (st.success if result.ok else st.error)(md(result.message))


# --- Configure without a shell: a backend row (from a shipped preset), its key, the routes --------
st.subheader(say("添加或修改后端", "Add or change a backend"))
st.caption(
    say(
        "从内置的后端选一个作为模板，填写地址、模型和密钥，先测试连接再保存。密钥加密保存在数据库里，页面上永远只显示末四位；"
        "环境变量和 secrets.toml 里的同名密钥优先；LESSON_STUDIO_BACKENDS_FILE 文件里的设置优先于本页。",
        "Start from a shipped backend, fill in the address, model and key, test, then save. Keys are stored encrypted"
        " and never shown again (only their last four characters); a key in the environment or secrets.toml wins, and"
        " the admin's LESSON_STUDIO_BACKENDS_FILE wins over this page.",
    )
)
presets = {backend.id: backend for backend in info.backends if backend.kind != "embedded"}
preset_id = st.selectbox(say("模板", "Preset"), [*presets, ""], format_func=lambda i: presets[i].name if i else say("（新的）", "(new)"))
preset = presets.get(preset_id)
# A new form after each save: the typed key is gone from the page once it is stored.
form_round = st.session_state.get("backend_form_round", 0)
if st.session_state.get("backend_saved"):
    st.success(md(st.session_state.pop("backend_saved")))
with st.form(f"backend_row_{form_round}"):
    left, right = st.columns(2)
    row = {
        "id": left.text_input("id", value=preset.id if preset else ""),
        "name": right.text_input(say("名称", "Name"), value=preset.name if preset else ""),
        "base_url": left.text_input("base_url", value=preset.base_url if preset else ""),
        "model": right.text_input(say("模型", "Model"), value=preset.model if preset else ""),
        "structured_output": left.selectbox(
            say("结构化输出", "Structured output"), STRUCTURED_OUTPUT,
            index=STRUCTURED_OUTPUT.index(preset.structured_output) if preset else 0,
        ),
        "key_env_var": right.text_input(say("密钥变量名", "Key variable"), value=preset.key_env_var if preset else ""),
        "concurrency": left.number_input(say("同时请求数", "Concurrency"), 1, 64, 4),
    }
    key = right.text_input(say("密钥（留空则不改）", "Key (empty: unchanged)"), type="password")
    check_clicked = left.form_submit_button(say("测试连接", "Test connection"))
    save_clicked = right.form_submit_button(say("保存", "Save"), type="primary")
if check_clicked:
    try:
        with st.spinner(say("正在测试…", "Testing…")):
            result = check_unsaved(user, studio.settings, row, key)
        (st.success if result.ok else st.error)(md(result.message))
    except StudioError as error:
        show_error(error)
if save_clicked:
    try:
        saved = save_backend(user, studio.settings, row, key)
        st.session_state["backend_saved"] = say(f"已保存后端 {saved['id']}", f"Backend {saved['id']} saved")
        st.session_state["backend_form_round"] = form_round + 1
        st.rerun()
    except StudioError as error:
        show_error(error)

st.subheader(say("任务路由", "Routes"))
with st.form("routes"):
    chosen = {
        task: st.multiselect(task, list(names), default=list(ids), format_func=names.get, key=f"route-{task}")
        for task, ids in info.routes.items()
    }
    if st.form_submit_button(say("保存路由", "Save routes"), type="primary"):
        try:
            save_routes(user, studio.settings, chosen)
            st.success(say("路由已保存（按选择的顺序尝试）", "Routes saved (tried in the order chosen)"))
        except StudioError as error:
            show_error(error)
