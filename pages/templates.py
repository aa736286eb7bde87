"""学校模板: a curriculum lead uploads and checks the school's .docx template; everyone sees the list
and the placeholder names."""

import streamlit as st

from lesson_studio.errors import StudioError
from lesson_studio.export import reference_markdown
from studio_ui import get_studio, require_user

# Strings of this page (to move into resources/i18n.toml).
TEXT = {
    "zh": {
        "title": "学校模板",
        "intro": "教师导出教案时可以选择学校模板。模板是一份 Word 文件，在需要填写的位置写占位符，如 {{ 活动名称 }}。",
        "upload": "上传新模板",
        "file": "模板文件（.docx）",
        "name": "模板名称",
        "errors": "模板有以下问题，请在 Word 中修改后重新选择文件：",
        "ok": "检查通过：可以保存。",
        "used": "模板使用的占位符",
        "save": "保存模板",
        "saved": "已保存模板“{name}”",
        "download": "下载模板文件",
        "remove": "删除此模板",
        "leads_only": "只有课程负责人或管理员可以上传或删除模板。",
        "reference": "占位符一览与制作方法",
        "howto": (
            "1. 下载示例模板，在 Word 或 WPS 中按学校格式修改（园名、徽标、表格样式都可以改）。\n"
            "2. 在需要填写的位置写占位符，例如 `{{ 活动名称 }}`、`{{ 执教教师 }}`。\n"
            "3. 活动过程表格：表头下面一行只写 `{%tr for 步骤 in 活动过程 %}`，再下一行写各列，"
            "如 `{{ 步骤.环节 }}`、`{{ 步骤.时间 }}`、`{{ 步骤.教师指导 }}`，最后一行只写 `{%tr endfor %}`。\n"
            "4. 列表（活动目标、安全提示等）可以直接写 `{{ 安全提示 }}`，每条一行。\n"
            "5. 保存为 .docx 后在本页上传，系统会检查并用示例教案试填。"
        ),
    },
    "en": {
        "title": "School templates",
        "intro": "Teachers can export plans into the school's own Word template, which marks what to fill with placeholders such as {{ 活动名称 }}.",
        "upload": "Upload a template",
        "file": "Template file (.docx)",
        "name": "Template name",
        "errors": "The template has these problems; fix them in Word and choose the file again:",
        "ok": "Check passed: the template can be saved.",
        "used": "Placeholders in this template",
        "save": "Save template",
        "saved": "Saved template '{name}'",
        "download": "Download the template file",
        "remove": "Remove this template",
        "leads_only": "Only a curriculum lead or an admin can upload or remove templates.",
        "reference": "Placeholders and how to make a template",
        "howto": (
            "1. Download the starter template and change it to the school's layout in Word or WPS.\n"
            "2. Write placeholders where the plan goes, e.g. `{{ 活动名称 }}`, `{{ 执教教师 }}`.\n"
            "3. Process table: below the header, a row with only `{%tr for 步骤 in 活动过程 %}`, then a row of"
            " cells such as `{{ 步骤.环节 }}`, `{{ 步骤.时间 }}`, then a row with only `{%tr endfor %}`.\n"
            "4. Lists (objectives, safety notes …) can be written whole, e.g. `{{ 安全提示 }}`, one item per line.\n"
            "5. Save as .docx and upload it here: it is checked and test-filled with a specimen plan."
        ),
    },
}
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def tr(key: str, **values: object) -> str:
    text = TEXT[st.session_state.get("language", "zh")][key]
    return text.format(**values) if values else text


user = require_user()
templates = get_studio().templates
can_manage = user.role in ("lead", "admin")
st.title(tr("title"))
st.caption(tr("intro"))
if "template_saved" in st.session_state:
    st.success(tr("saved", name=st.session_state.pop("template_saved")))

for info in templates.list_templates(user):
    when = f"，{info.uploaded_at[:10]}" if info.uploaded_at else ""
    with st.expander(f"{info.name}（{info.uploaded_by}{when}）", expanded=False):
        st.caption(f"{tr('used')}：" + "、".join(info.placeholders))
        for warning in info.warnings:
            st.warning(warning)
        st.download_button(
            tr("download"),
            data=templates.read(user, info.id),
            file_name=info.file_name,
            mime=DOCX_MIME,
            key=f"get-{info.id}",
        )
        if can_manage and not info.builtin and st.button(tr("remove"), key=f"remove-{info.id}"):
            try:
                templates.remove(user, info.id)
                st.rerun()
            except StudioError as error:
                st.error(str(error))

st.subheader(tr("upload"))
if not can_manage:
    st.info(tr("leads_only"))
else:
    # A new key after each save empties the uploader, so the saved file is not offered again.
    upload_round = st.session_state.get("template_upload_round", 0)
    uploaded = st.file_uploader(tr("file"), type=["docx"], key=f"template_file-{upload_round}")
    if uploaded is not None:
        data = uploaded.getvalue()
        result = templates.check(user, data)
        if result.ok:
            st.success(tr("ok"))
        else:
            st.error(tr("errors") + "\n\n" + "\n".join(f"- {error}" for error in result.errors))
        for warning in result.warnings:
            st.warning(warning)
        if result.placeholders:
            st.caption(f"{tr('used')}：" + "、".join(result.placeholders))
        name = st.text_input(tr("name"), value=uploaded.name.removesuffix(".docx"), key="template_name")
        if st.button(tr("save"), type="primary", disabled=not result.ok):
            try:
                info = templates.upload(user, name=name, data=data, file_name=uploaded.name)
                st.session_state["template_saved"] = info.name
                st.session_state["template_upload_round"] = upload_round + 1
                st.rerun()
            except StudioError as error:
                st.error(str(error))

with st.expander(tr("reference")):
    st.markdown(tr("howto"))
    st.markdown(reference_markdown())
