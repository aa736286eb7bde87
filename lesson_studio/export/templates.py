"""School templates: a kindergarten's own .docx 教案 with docxtpl (Jinja) placeholders.

A curriculum lead (role lead or admin) uploads a template; it is checked (broken tags, unknown
placeholders or fields, no 活动过程 loop, external links, a test fill with a specimen plan) and
stored under data_dir/templates as <id>.docx plus a <id>.json sidecar (name, uploader, check result),
both written atomically. Every signed-in user can list templates and export with one.

Templates are rendered in Jinja's sandbox: a template is a document from outside the server, and
plain Jinja would let one reach Python objects.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import io
import json
import re
import uuid
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PureWindowsPath

import docx
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docxtpl import DocxTemplate
from jinja2 import DictLoader, StrictUndefined, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, TemplateError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from lxml import etree

from lesson_studio.config import RESOURCES_DIR
from lesson_studio.errors import InvalidInput, NotAllowed, NotFound
from lesson_studio.export.cover import Cover
from lesson_studio.export.files import write_bytes_atomically
from lesson_studio.export.placeholders import BY_NAME, PROCESS, template_context
from lesson_studio.export.specimen import SPECIMEN_COVER, specimen_plan
from lesson_studio.export.wording import is_safe_link
from lesson_studio.models import LessonPlan, User

STARTER_ID = "starter"
STARTER_PATH = RESOURCES_DIR / "templates" / "starter_school_template.docx"
STARTER_NAME = "园所表格式教案（示例模板）"

MAX_TEMPLATE_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # a zip bomb unpacks to far more than any real template
MAX_NAME_LENGTH = 40
TEMPLATE_ID = re.compile(r"^[0-9a-f]{12}$")
MANAGING_ROLES = ("lead", "admin")

# docxtpl's own tag prefixes ({%tr for …%}, {{r …}}) and where each may stand.
ROW_LOOP = re.compile(r"{%-?\s*tr\s+for\s+\S+\s+in\s+" + PROCESS + r"\s*-?%}")
FULL_WIDTH_BRACES = re.compile(r"[｛｝]{2}|｛％|％｝")
XML_TAG = re.compile(r"<[^>]+>")

PARTS = (("正文", "body"), ("页眉", "header"), ("页脚", "footer"))

# Filters whose output Jinja inserts without escaping: with one, a "<" in a plan breaks the document,
# and model text could write its own Word fields and links into it.
RAW_MARKUP_FILTERS = frozenset({"safe", "urlize", "xmlattr", "tojson"})
# Tags that would read another template: a school template is one self-contained document.
OTHER_TEMPLATE_TAGS = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)


@dataclass(frozen=True)
class TemplateCheck:
    """What an upload check found: errors block the upload, warnings do not."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    placeholders: list[str] = field(default_factory=list)  # used, in first-use order: "活动名称", "活动过程.时间"

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class TemplateInfo:
    id: str
    name: str
    uploaded_by: str
    uploaded_at: str
    file_name: str
    size: int
    sha256: str
    placeholders: list[str]
    warnings: list[str]
    builtin: bool = False


# --- Storage ---------------------------------------------------------------------------------------


class SchoolTemplates:
    """The templates folder of one installation (settings.data_dir / "templates")."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def list_templates(self, user: User) -> list[TemplateInfo]:
        """The starter template, then the school's, by name; a sidecar that cannot be read is skipped."""
        _require_user(user)
        uploaded = []
        if self.folder.is_dir():
            for sidecar in self.folder.glob("*.json"):
                info = _read_sidecar(sidecar)
                if info is not None and (self.folder / f"{info.id}.docx").is_file():
                    uploaded.append(info)
        return [_starter_info(), *sorted(uploaded, key=lambda info: (info.name, info.uploaded_at))]

    def get(self, user: User, template_id: str) -> TemplateInfo:
        _require_user(user)
        if template_id == STARTER_ID:
            return _starter_info()
        info = _read_sidecar(self._sidecar(template_id)) if TEMPLATE_ID.match(template_id) else None
        if info is None or not self._docx(template_id).is_file():
            raise NotFound(f"找不到学校模板 {template_id} / School template {template_id} not found")
        return info

    def read(self, user: User, template_id: str) -> bytes:
        info = self.get(user, template_id)
        return STARTER_PATH.read_bytes() if info.builtin else self._docx(info.id).read_bytes()

    def check(self, user: User, data: bytes) -> TemplateCheck:
        """Check a template without storing it (the page shows the result before the lead saves).
        Leads and admins only, like upload: a check renders the uploaded template."""
        _require_manager(user, "检查", "check")
        return check_template(data)

    def upload(self, user: User, *, name: str, data: bytes, file_name: str = "") -> TemplateInfo:
        _require_manager(user, "上传", "upload")
        name = " ".join(name.split())
        if not name or len(name) > MAX_NAME_LENGTH:
            raise InvalidInput(
                f"请给模板起一个名字（不超过{MAX_NAME_LENGTH}个字）/ Give the template a name (at most {MAX_NAME_LENGTH} characters)"
            )
        if any(existing.name == name for existing in self.list_templates(user)):
            raise InvalidInput(
                f"已有名为“{name}”的模板：请换一个名字，或先删除旧模板 / A template named '{name}' already exists:"
                " choose another name or remove the old one first"
            )
        result = check_template(data)
        if not result.ok:
            raise InvalidInput(
                "模板没有保存，请修改后重新上传 / The template was not saved; fix it and upload again:\n- "
                + "\n- ".join(result.errors)
            )
        info = TemplateInfo(
            id=uuid.uuid4().hex[:12],
            name=name,
            uploaded_by=user.display_name or user.username,
            uploaded_at=datetime.now(UTC).isoformat(timespec="seconds"),
            file_name=PureWindowsPath(file_name).name or f"{name}.docx",  # old browsers send the whole C:\ path
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            placeholders=result.placeholders,
            warnings=result.warnings,
        )
        self.folder.mkdir(parents=True, exist_ok=True)
        # The .docx first: a template is listed only once its sidecar exists, so a reader never
        # finds a sidecar without its document.
        write_bytes_atomically(self._docx(info.id), data)
        sidecar = {**asdict(info), "uploader_id": user.id, "uploader_username": user.username}
        write_bytes_atomically(self._sidecar(info.id), json.dumps(sidecar, ensure_ascii=False, indent=2).encode())
        return info

    def remove(self, user: User, template_id: str) -> None:
        _require_manager(user, "删除", "remove")
        if template_id == STARTER_ID:
            raise InvalidInput(
                "示例模板随软件提供，不能删除 / The starter template ships with Lesson Studio and cannot be removed"
            )
        info = self.get(user, template_id)
        self._sidecar(info.id).unlink(missing_ok=True)  # unlisted first, then the document
        self._docx(info.id).unlink(missing_ok=True)

    def fill(self, user: User, template_id: str, plan: LessonPlan, cover: Cover) -> bytes:
        """The plan written into the school's template, as .docx bytes."""
        info = self.get(user, template_id)
        try:
            return fill_template(self.read(user, template_id), plan, cover)
        except InvalidInput as error:
            raise InvalidInput(f"学校模板“{info.name}”：{error}") from error

    def _docx(self, template_id: str) -> Path:
        return self.folder / f"{template_id}.docx"

    def _sidecar(self, template_id: str) -> Path:
        return self.folder / f"{template_id}.json"


def _require_user(user: User | None) -> None:
    if not isinstance(user, User):
        raise NotAllowed("请先登录 / Please sign in first")


def _require_manager(user: User, action_zh: str, action_en: str) -> None:
    _require_user(user)
    if user.role not in MANAGING_ROLES:
        raise NotAllowed(
            f"只有课程负责人或管理员可以{action_zh}学校模板 / Only a curriculum lead or an admin can {action_en} school templates"
        )


def _read_sidecar(path: Path) -> TemplateInfo | None:
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
        known = TemplateInfo.__dataclass_fields__.keys()
        return TemplateInfo(**{key: value for key, value in values.items() if key in known})
    except (OSError, ValueError, TypeError):
        return None


@functools.cache
def _starter_info() -> TemplateInfo:
    data = STARTER_PATH.read_bytes()
    result = check_template(data)
    return TemplateInfo(
        id=STARTER_ID,
        name=STARTER_NAME,
        uploaded_by="Lesson Studio",
        uploaded_at="",
        file_name=STARTER_PATH.name,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        placeholders=result.placeholders,
        warnings=result.warnings + result.errors,
        builtin=True,
    )


# --- Filling ---------------------------------------------------------------------------------------


def fill_template(data: bytes, plan: LessonPlan, cover: Cover) -> bytes:
    """Render a template with a plan's placeholder values; raises InvalidInput if the template fails."""
    template = DocxTemplate(io.BytesIO(data))
    try:
        template.render(template_context(plan, cover), jinja_env=_environment())
        buffer = io.BytesIO()
        template.save(buffer)
    except (TemplateError, etree.XMLSyntaxError) as error:
        raise InvalidInput(f"无法填写模板：{_describe(error)} / The template could not be filled: {error}") from error
    return buffer.getvalue()


def _environment() -> ImmutableSandboxedEnvironment:
    # autoescape: values are XML text (a "<" in a plan must not break the document);
    # StrictUndefined: a placeholder without a value is an error, not a silent blank;
    # an empty loader: {% include %} fails as a template error instead of a TypeError.
    environment = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined, loader=DictLoader({}))
    for name in RAW_MARKUP_FILTERS:
        environment.filters.pop(name, None)
    return environment


# --- Checking --------------------------------------------------------------------------------------


def check_template(data: bytes) -> TemplateCheck:
    """Everything wrong with a template, each problem in a sentence that names the placeholder."""
    errors = _package_errors(data)
    if errors:
        return TemplateCheck(errors=errors)
    template = DocxTemplate(io.BytesIO(data))
    template.init_docx()
    errors += _external_link_errors(template)
    warnings: list[str] = []
    used: dict[str, None] = {}  # an ordered set
    loops_over_process = syntax_broken = False
    texts = _paragraph_texts(template)
    environment = _environment()
    for label, xml in _template_xml(template):
        try:
            tree = environment.parse(xml)
        except TemplateSyntaxError as error:
            errors.append(_syntax_error_message(label, xml, error))
            syntax_broken = True
            continue
        analysis = _Analysis()
        analysis.visit(tree, {})
        errors += analysis.errors
        used.update(dict.fromkeys(analysis.used))
        loops_over_process |= analysis.loops_over_process
    if not loops_over_process and not syntax_broken:  # a loop may hide behind the broken tag
        errors.append(
            "缺少活动过程的循环：请在活动过程表格的一行里写 {%tr for 步骤 in 活动过程 %}，在下面一行写 {%tr endfor %}"
            " / No loop over 活动过程: put {%tr for 步骤 in 活动过程 %} in a row of the process table and"
            " {%tr endfor %} in the row below it"
        )
    elif loops_over_process and not any(ROW_LOOP.search(text) for text in texts):
        warnings.append(
            "活动过程的循环不是表格行循环（{%tr for … %}），每个环节不会各占表格的一行"
            " / The 活动过程 loop is not a table-row loop ({%tr for … %}): steps will not get a row each"
        )
    for text in texts:
        if FULL_WIDTH_BRACES.search(text):
            warnings.append(
                f"“{_excerpt(text)}”里有全角括号（｛｛ ｝｝），不会被替换：请改成半角 {{{{ }}}}"
                f" / “{_excerpt(text)}” uses full-width braces, which are not placeholders: type {{{{ }}}}"
            )
    if not errors:
        errors += _test_fill_errors(data)
    return TemplateCheck(errors=_unique(errors), warnings=_unique(warnings), placeholders=list(used))


def _package_errors(data: bytes) -> list[str]:
    """Is it a .docx at all, of a sane size? (Checked before anything parses it.)"""
    not_docx = "这不是 Word .docx 文件（.doc、.wps 请先在 Word/WPS 中另存为 .docx）/ This is not a Word .docx file (save .doc or .wps as .docx first)"
    if len(data) > MAX_TEMPLATE_BYTES:
        return [
            f"模板文件太大（超过 {MAX_TEMPLATE_BYTES // 1024 // 1024} MB）/ The template is larger than {MAX_TEMPLATE_BYTES // 1024 // 1024} MB"
        ]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile:
        return [not_docx]
    if sum(member.file_size for member in members) > MAX_UNPACKED_BYTES:
        return ["模板解压后过大，可能已损坏 / The template unpacks to an implausible size"]
    try:
        docx.Document(io.BytesIO(data))
    except ValueError as error:
        if "macroEnabled" in str(error):
            return [
                "模板含有宏（.docm），请另存为不含宏的 .docx / The template contains macros (.docm): save it as a plain .docx"
            ]
        return [not_docx]
    except (KeyError, etree.XMLSyntaxError, zipfile.BadZipFile, PackageNotFoundError):
        return [not_docx]
    return []


def _external_link_errors(template: DocxTemplate) -> list[str]:
    """Only http(s) hyperlinks may leave the document: a file:// link or a remote attached template
    would make every exported 教案 reach outside when a teacher opens it."""
    errors = []
    package = template.docx.part.package
    for part in package.iter_parts():
        for relationship in part.rels.values():
            if not relationship.is_external:
                continue
            target = relationship.target_ref
            if relationship.reltype == RELATIONSHIP_TYPE.HYPERLINK and is_safe_link(target):
                continue
            kind = "链接" if relationship.reltype == RELATIONSHIP_TYPE.HYPERLINK else "外部引用"
            errors.append(
                f"模板含有不允许的{kind}“{target}”：只允许 http(s) 网页链接，请在 Word 中删除它"
                f" / The template refers to '{target}': only http(s) web links are allowed; remove it in Word"
            )
    return errors


def _template_xml(template: DocxTemplate) -> list[tuple[str, str]]:
    """The body, headers and footers as docxtpl will hand them to Jinja, one paragraph per line."""
    chunks = [("正文", template.patch_xml(template.get_xml()))]
    for label, uri in (("页眉", template.HEADER_URI), ("页脚", template.FOOTER_URI)):
        for _relationship_id, part in template.get_headers_footers(uri):
            chunks.append((label, template.patch_xml(template.get_part_xml(part))))
    # docxtpl puts each paragraph on its own line before rendering; do the same so an error's line
    # number points at a paragraph.
    return [(label, re.sub(r"<w:p([ >])", r"\n<w:p\1", xml)) for label, xml in chunks]


def _paragraph_texts(template: DocxTemplate) -> list[str]:
    """The text of every paragraph (body, tables, headers, footers), runs joined."""
    roots = [template.docx.element.body]
    for uri in (template.HEADER_URI, template.FOOTER_URI):
        roots += [etree.fromstring(part.blob) for _id, part in template.get_headers_footers(uri)]
    paragraph_tag, text_tag = qn("w:p"), qn("w:t")
    return [
        "".join(text.text or "" for text in paragraph.iter(text_tag))
        for root in roots
        for paragraph in root.iter(paragraph_tag)
    ]


def _syntax_error_message(label: str, xml: str, error: TemplateSyntaxError) -> str:
    lines = xml.splitlines()
    line = lines[error.lineno - 1] if error.lineno and error.lineno <= len(lines) else ""
    text = XML_TAG.sub("", line).strip()
    hint = ""
    if "unknown tag 'tr'" in error.message or "unknown tag 'p'" in (error.message or ""):
        hint = "（{%tr …%} 只能写在表格行里，{%p …%} 要单独占一段）"
    elif "endfor" in (error.message or "") or "end of template" in (error.message or ""):
        hint = "（每个 {% for %} 都要有对应的 {% endfor %}，{%tr for%} 对应 {%tr endfor%}）"
    return (
        f"{label}中的标签写错了{hint}：“{_excerpt(text)}” / Broken tag in the {dict(PARTS)[label]} near"
        f" “{_excerpt(text)}”: {error.message}"
    )


class _Analysis:
    """Walks a parsed template: which placeholders and item fields it uses, and which it gets wrong."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.used: list[str] = []
        self.loops_over_process = False

    def visit(self, node: nodes.Node, loops: dict[str, str]) -> None:
        """loops maps each loop variable in scope to the list placeholder it runs over."""
        if isinstance(node, OTHER_TEMPLATE_TAGS):
            self.errors.append(
                "模板不能引用其他模板（{% include %}、{% import %}、{% extends %}），请把内容直接写进这份模板"
                " / A template cannot include, import or extend another template; put the content in this one"
            )
            return
        if isinstance(node, nodes.EvalContextModifier):  # {% autoescape false %}
            self.errors.append(
                "模板不能使用 {% autoescape %}：教案文字必须经过转义才能写入 Word 文件，请删掉这个标签"
                " / A template cannot use {% autoescape %}: plan text must be escaped; remove the tag"
            )
        if isinstance(node, nodes.Filter) and node.name in RAW_MARKUP_FILTERS:
            target = node.node if isinstance(node.node, nodes.Name) else node.find(nodes.Name)
            where = f"{{{{ {target.name}|{node.name} }}}} " if target is not None else ""
            self.errors.append(
                f"{where}不能使用 |{node.name}：它会把教案文字原样写入 Word 文件、破坏文档，请删掉 |{node.name}"
                f" / {where.rstrip() + ': ' if where else ''}the |{node.name} filter writes plan text into the Word file unescaped; remove it"
            )
        if isinstance(node, nodes.For):
            self.visit(node.iter, loops)
            inner = dict(loops)
            if isinstance(node.iter, nodes.Name) and isinstance(node.target, nodes.Name):
                placeholder = BY_NAME.get(node.iter.name)
                if placeholder is not None and placeholder.is_list:
                    inner[node.target.name] = placeholder.name
                    self.loops_over_process |= placeholder.name == PROCESS
            else:
                self.visit(node.target, loops)
            for child in [*node.body, *node.else_]:
                self.visit(child, inner)
            if node.test is not None:
                self.visit(node.test, inner)
            return
        is_field = isinstance(node, nodes.Getattr | nodes.Getitem) and isinstance(node.node, nodes.Name)
        if is_field and self._check_field(node, loops):
            return
        if isinstance(node, nodes.Name) and node.ctx == "load":
            self._check_name(node.name, loops)
        for child in node.iter_child_nodes():
            self.visit(child, loops)

    def _check_name(self, name: str, loops: dict[str, str]) -> None:
        if name in loops or name == "loop":
            return
        if name in BY_NAME:
            self._use(name)
            return
        suggestion = difflib.get_close_matches(name, list(BY_NAME), n=1, cutoff=0.5)
        hint_zh = f"（您是不是想写 {{{{ {suggestion[0]} }}}}？）" if suggestion else ""
        hint_en = f" (did you mean {{{{ {suggestion[0]} }}}}?)" if suggestion else ""
        self.errors.append(
            f"未知的占位符 {{{{ {name} }}}}{hint_zh}，可用的占位符见模板页的列表"
            f" / Unknown placeholder {{{{ {name} }}}}{hint_en}; see the list on the templates page"
        )

    def _check_field(self, node: nodes.Getattr | nodes.Getitem, loops: dict[str, str]) -> bool:
        """Check `item.field`; True when handled (the node needs no further visiting)."""
        assert isinstance(node.node, nodes.Name)
        variable = node.node.name
        if isinstance(node, nodes.Getattr):
            attribute = node.attr
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            attribute = node.arg.value
        else:
            return False
        list_name = loops.get(variable)
        if list_name is None:
            if variable in BY_NAME:
                placeholder = BY_NAME[variable]
                self.errors.append(
                    f"{{{{ {variable}.{attribute} }}}} 写法不对：{variable} "
                    + (
                        f"是列表，请先写 {{% for 项 in {variable} %}} 再用 {{{{ 项.{attribute} }}}}"
                        if placeholder.is_list
                        else "是一段文字，没有字段"
                    )
                    + f" / {{{{ {variable}.{attribute} }}}}: {variable} "
                    + ("is a list; loop over it first" if placeholder.is_list else "is text and has no fields")
                )
                return True
            return False  # loop.index and the like
        fields = BY_NAME[list_name].fields
        if attribute in fields:
            self._use(f"{list_name}.{attribute}")
        else:
            self.errors.append(
                f"未知的字段 {{{{ {variable}.{attribute} }}}}：{list_name}的每一项只有 {'、'.join(fields)}"
                f" / Unknown field {{{{ {variable}.{attribute} }}}}: items of {list_name} have {', '.join(fields)}"
            )
        return True

    def _use(self, name: str) -> None:
        if name not in self.used:
            self.used.append(name)


def _test_fill_errors(data: bytes) -> list[str]:
    """Fill the template with the specimen plan and reopen the result, as an export would."""
    try:
        filled = fill_template(data, specimen_plan(), SPECIMEN_COVER)
        docx.Document(io.BytesIO(filled))
    except InvalidInput as error:
        return [f"用示例教案试填时出错：{error}"]
    except (ValueError, KeyError, etree.XMLSyntaxError) as error:
        return [f"试填后的文件无法打开（标签可能跨越了段落或表格）/ The test fill produced a broken document: {error}"]
    return []


def _describe(error: Exception) -> str:
    if isinstance(error, SecurityError):
        return "模板试图访问不允许的内容"
    if isinstance(error, UndefinedError):
        return f"有占位符没有值（{error.message}）"
    if isinstance(error, etree.XMLSyntaxError):
        return (
            "标签跨越了段落或表格，Word 结构被破坏：请把 {% for %} 与 {% endfor %} 放在同一段，或使用 {%p …%}/{%tr …%}"
        )
    return str(error)


def _excerpt(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _unique(messages: list[str]) -> list[str]:
    return list(dict.fromkeys(messages))
