"""模型后端 (admin): each backend's status and routes, and a 测试连接 button. Keys are never shown."""

import streamlit as st

from lesson_studio.errors import StudioError
from lesson_studio.llm.admin import check_connection, overview
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
            line += f"（{backend.key_env_var}{' ' + backend.key_tail if backend.key_tail else ''}）"
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
