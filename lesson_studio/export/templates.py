"""School templates: a kindergarten's own .docx 教案 with docxtpl (Jinja) placeholders.

A curriculum lead (role lead or admin) uploads a template; it is checked (broken tags, unknown
placeholders or fields, no 活动过程 loop, external links, a test fill with a specimen plan) and
stored under data_dir/templates as <id>.docx plus a <id>.json sidecar (name, uploader, check result),
both written atomically. Every signed-in user can list templates and export with one.

Templates are rendered in Jinja's sandbox: a template is a document from outside the server, and
plain Jinja would let one reach Python objects. The sandbox alone does not bound what a template
costs, so the check allows only what a 教案 needs (placeholders, their fields, loops over the list
placeholders, conditions, a few text filters) and refuses what can grow without end (** and *,
large numbers, range() and other calls, padding filters, loops over text); the check and every
fill also run in a child process with a time and a memory limit (lesson_studio.export.sandbox),
so a template stored before a rule existed still cannot hold up an export. Word fields that reach
outside the document (INCLUDETEXT, INCLUDEPICTURE, LINK, DDE, non-http HYPERLINK) are refused too.

A template is for one resource type, chosen on upload (a 教案 unless told, as every template stored
before was): the check knows that type's placeholders (ResourceType.template_context, a
placeholders.TemplatePlaceholders) and names another type's; a fill refuses a document of another type.
"""

from __future__ import annotations

import base64
import difflib
import functools
import hashlib
import io
import json
import re
import uuid
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PureWindowsPath
from typing import Any

import docx
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docxtpl import DocxTemplate
from jinja2 import DictLoader, StrictUndefined, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, TemplateError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from lxml import etree

from lesson_studio import access
from lesson_studio.config import RESOURCES_DIR
from lesson_studio.errors import InvalidInput, NotFound
from lesson_studio.export import sandbox
from lesson_studio.export.cover import Cover
from lesson_studio.export.fields import outside_fields, strip_outside_fields
from lesson_studio.export.files import write_bytes_atomically
from lesson_studio.export.placeholders import (
    LESSON_PLAN_PLACEHOLDERS,
    PROCESS,
    Item,
    Items,
    TemplatePlaceholders,
    template_context,
)
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
# The resource type of a template that declares none: every template stored before issue 13 was a 教案's.
LESSON_PLAN = "lesson_plan"

# docxtpl's own tag prefixes ({%tr for …%}, {{r …}}) and where each may stand.
ROW_LOOP = re.compile(r"{%-?\s*tr\s+for\s+\S+\s+in\s+" + PROCESS + r"\s*-?%}")
FULL_WIDTH_BRACES = re.compile(r"[｛｝]{2}|｛％|％｝")
XML_TAG = re.compile(r"<[^>]+>")

PARTS = (
    ("正文", "body"),
    ("页眉", "header"),
    ("页脚", "footer"),
    ("脚注", "footnotes"),
    ("文档属性", "document properties"),
)
# docxtpl renders these document properties as templates too.
PROPERTIES = ("author", "comments", "identifier", "language", "subject", "title")
FOOTNOTES_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"

# The child process that checks and fills a template (lesson_studio.export.sandbox). The starter
# template fills in well under a second and about 60 MB; a fill is given each limit per plan.
TEMPLATE_TIMEOUT_S = 20.0
TEMPLATE_MEMORY_MB = 512
CHECK_WORK = "lesson_studio.export.templates:_check_in_child"
FILL_WORK = "lesson_studio.export.templates:_fill_in_child"

# Filters whose output Jinja inserts without escaping: with one, a "<" in a plan breaks the document,
# and model text could write its own Word fields and links into it.
RAW_MARKUP_FILTERS = frozenset({"safe", "urlize", "xmlattr", "tojson"})
# Tags that would read another template: a school template is one self-contained document.
OTHER_TEMPLATE_TAGS = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)

# What a template may compute: allow-lists, so anything not named here (a filter a later Jinja
# adds, a new node type) is refused until someone decides it is fine for a 教案. None of these can
# make text grow beyond the plan's own text times the template's size.
TEXT_FILTERS = (
    "upper", "lower", "title", "capitalize", "trim", "striptags", "truncate", "default", "d",
    "first", "last", "length", "count", "wordcount", "int", "abs", "round", "join", "replace",
)  # fmt: skip
NUMBER_FILTERS = frozenset({"length", "count", "wordcount", "int", "abs", "round"})
TESTS = frozenset(
    {
        "defined", "undefined", "none", "number", "string", "integer", "float", "boolean", "true",
        "false", "odd", "even", "divisibleby", "eq", "ne", "lt", "le", "gt", "ge", "equalto",
        "greaterthan", "lessthan", "sameas", "in",
    }
)  # fmt: skip
NUMBER_LOOP_ATTRIBUTES = frozenset({"index", "index0", "revindex", "revindex0", "length", "depth", "depth0"})
LOOP_ATTRIBUTES = NUMBER_LOOP_ATTRIBUTES | {"first", "last", "previtem", "nextitem"}
LOOP_METHODS = frozenset({"cycle", "changed"})  # {{ loop.cycle('单', '双') }}
# Calls, * and filters are narrowed further in _Analysis.
EXPRESSIONS = (
    nodes.TemplateData, nodes.Name, nodes.Const, nodes.Getattr, nodes.Getitem, nodes.Slice, nodes.Filter,
    nodes.Test, nodes.Add, nodes.Sub, nodes.Div, nodes.FloorDiv, nodes.Mul, nodes.Concat, nodes.Compare,
    nodes.And, nodes.Or, nodes.Not, nodes.Neg, nodes.Pos, nodes.CondExpr, nodes.Call, nodes.List, nodes.Tuple,
)  # fmt: skip
STATEMENTS = (nodes.Output, nodes.If, nodes.For, nodes.FilterBlock, nodes.Scope)
STATEMENT_TAGS = {
    nodes.Assign: "{% set %}",
    nodes.AssignBlock: "{% set %}",
    nodes.With: "{% with %}",
    nodes.Macro: "{% macro %}",
    nodes.CallBlock: "{% call %}",
    nodes.Block: "{% block %}",
}
REPEATING_OPERATORS = {nodes.Pow: "**", nodes.Mod: "%", nodes.Mul: "*"}
MAX_NUMBER = 1000  # a 教案 template counts steps and minutes
MAX_LOOP_DEPTH = 2  # 活动过程, and inside it 步骤.关键提问
MAX_REPEAT_LENGTH = 10_000  # at fill time, what 'ab' * n may make (templates stored before the check)
MAX_POWER_BITS = 256


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
    resource_type: str = LESSON_PLAN  # the one kind of document it is filled with (pipeline.ResourceType.kind)


# --- Storage ---------------------------------------------------------------------------------------


class SchoolTemplates:
    """The templates folder of one installation (settings.data_dir / "templates")."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def list_templates(self, user: User, kind: str | None = LESSON_PLAN) -> list[TemplateInfo]:
        """The templates for one resource type (a 教案's unless told; kind=None: every type's): the
        starter template, then the school's, by name; a sidecar that cannot be read is skipped."""
        _require_user(user)
        uploaded = []
        if self.folder.is_dir():
            for sidecar in self.folder.glob("*.json"):
                info = _read_sidecar(sidecar)
                if info is not None and (self.folder / f"{info.id}.docx").is_file():
                    uploaded.append(info)
        listed = [_starter_info(), *sorted(uploaded, key=lambda info: (info.name, info.uploaded_at))]
        return [info for info in listed if kind is None or info.resource_type == kind]

    def template_types(self) -> dict[str, str]:
        """The resource types a school template can be made for: kind -> its label ("中文 / English")."""
        return {kind: label for kind, (label, _placeholders) in _template_types().items()}

    def reference_markdown(self, kind: str) -> str:
        """The placeholders a template for this resource type may use, as Markdown."""
        return template_placeholders(kind).reference_markdown()

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

    def check(self, user: User, data: bytes, kind: str = LESSON_PLAN) -> TemplateCheck:
        """Check a template for one resource type without storing it (the page shows the result before
        the lead saves). Leads and admins only, like upload: a check renders the uploaded template."""
        _require_manager(user, "检查", "check")
        return check_template(data, kind)

    def upload(
        self, user: User, *, name: str, data: bytes, file_name: str = "", kind: str = LESSON_PLAN
    ) -> TemplateInfo:
        """Store a template for one resource type (chosen by the lead: a template is for one kind of
        document) once it passes that type's check."""
        _require_manager(user, "上传", "upload")
        template_placeholders(kind)  # a type without school templates is refused before anything else
        name = " ".join(name.split())
        if not name or len(name) > MAX_NAME_LENGTH:
            raise InvalidInput(
                f"请给模板起一个名字（不超过{MAX_NAME_LENGTH}个字）/ Give the template a name (at most {MAX_NAME_LENGTH} characters)"
            )
        if any(existing.name == name for existing in self.list_templates(user, kind=None)):
            raise InvalidInput(
                f"已有名为“{name}”的模板：请换一个名字，或先删除旧模板 / A template named '{name}' already exists:"
                " choose another name or remove the old one first"
            )
        # A 教案's template is checked with check_template's default type, the one call it had before.
        result = check_template(data) if kind == LESSON_PLAN else check_template(data, kind)
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
            resource_type=kind,
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

    def fill(self, user: User, template_id: str, document: Any, cover: Cover, *, kind: str = LESSON_PLAN) -> bytes:
        """A document of the given resource type (a 教案 unless told) written into the school's template,
        as .docx bytes, in the sandbox. A template made for another type is refused, naming the
        placeholders it uses that this type does not have."""
        info = self.get(user, template_id)
        placeholders = template_placeholders(kind)
        if info.resource_type != kind:
            raise InvalidInput(_other_type_message(info, kind, placeholders))
        try:
            return fill_template(self.read(user, template_id), document, cover, context=placeholders)
        except InvalidInput as error:
            raise InvalidInput(f"学校模板“{info.name}”：{error}") from error

    def _docx(self, template_id: str) -> Path:
        return self.folder / f"{template_id}.docx"

    def _sidecar(self, template_id: str) -> Path:
        return self.folder / f"{template_id}.json"


def _require_user(user: User | None) -> None:
    access.signed_in(user)


def _require_manager(user: User, action_zh: str, action_en: str) -> None:
    access.require_curator(user, f"{action_zh}学校模板", f"{action_en} school templates")


def template_placeholders(kind: str) -> TemplatePlaceholders:
    """The placeholders a school template for this resource type may use (its ResourceType's
    template_context); InvalidInput for a type that has none."""
    found = _template_types().get(kind)
    if found is None:
        from lesson_studio.resource_types import resource_type

        zh, en = _label_halves(resource_type(kind).label)  # an unknown kind: InvalidInput naming it
        raise InvalidInput(f"{zh}还不能使用学校模板 / There are no school templates for a {en}")
    return found[1]


@functools.cache
def _template_types() -> dict[str, tuple[str, TemplatePlaceholders]]:
    """kind -> (label, placeholders) of every registered type with school templates. The 教案's table
    predates the hook and lives beside this module (export/placeholders.py), so it is its default."""
    # Imported here: a type's package imports lesson_studio.export, which imports this module.
    from lesson_studio.resource_types import resource_types

    found = {}
    for kind, resource in resource_types().items():
        placeholders = resource.template_context
        if placeholders is None and kind == LESSON_PLAN:
            placeholders = LESSON_PLAN_PLACEHOLDERS
        if placeholders is not None:
            found[kind] = (resource.label, placeholders)
    return found


def _label_halves(label: str) -> tuple[str, str]:
    """A label "中文 / English" -> (中文, English); a label in one language: both halves that one."""
    zh, _, en = label.partition(" / ")
    return zh, en or zh


def _other_type_message(info: TemplateInfo, kind: str, placeholders: TemplatePlaceholders) -> str:
    """Why a template made for one type cannot be filled with another's document, naming what it uses
    that the document's type does not have."""
    labels = {known: label for known, (label, _) in _template_types().items()}
    made_for_zh, made_for_en = _label_halves(labels.get(info.resource_type, info.resource_type))
    document_zh, document_en = _label_halves(labels.get(kind, kind))
    unknown = "、".join(
        f"{{{{ {name} }}}}" for name in info.placeholders if name.partition(".")[0] not in placeholders.by_name
    )
    missing_zh = f"：{document_zh}没有这些占位符：{unknown}" if unknown else ""
    missing_en = f"; a {document_en} has no {unknown.replace('、', ', ')}" if unknown else ""
    return (
        f"学校模板“{info.name}”是{made_for_zh}的模板，不能用于{document_zh}{missing_zh}。"
        "请选择为这类资源制作的模板，或请教研组长上传一份"
        f" / The school template “{info.name}” is made for a {made_for_en}, not for a {document_en}{missing_en}."
        " Choose a template made for this kind of document, or ask your curriculum lead to upload one"
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


class TemplateFailed(InvalidInput):
    """A school template could not be filled (a broken tag, a limit reached): why, in Chinese and in English."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh = zh
        self.en = en


Context = Callable[[Any, Cover], dict[str, object]]  # (document, cover) -> every placeholder's value


def fill_template(data: bytes, plan: LessonPlan | Any, cover: Cover, *, context: Context = template_context) -> bytes:
    """Render a template with a plan's placeholder values (another resource type's document: with that
    type's context), in a child process with a time and a memory limit; raises TemplateFailed (an
    InvalidInput) when the template fails or reaches a limit."""
    (result,) = fill_templates(data, [plan], cover, context=context)
    if isinstance(result, TemplateFailed):
        raise result
    return result


def fill_templates(
    data: bytes, plans: Sequence[LessonPlan | Any], cover: Cover, *, context: Context = template_context
) -> list[bytes | TemplateFailed]:
    """Each plan rendered with the template, one after another in one child process: the .docx bytes,
    or why that plan could not be filled. Each plan gets the whole time limit; when one reaches it,
    the template is stopped and the plans after it are not filled."""
    if not plans:
        return []
    job = {
        "template": base64.b64encode(data).decode("ascii"),
        "contexts": [context(plan, cover) for plan in plans],
        "memory_mb": TEMPLATE_MEMORY_MB,
    }
    answers = sandbox.run(
        FILL_WORK, job, results=len(plans), timeout_s=TEMPLATE_TIMEOUT_S, memory_mb=TEMPLATE_MEMORY_MB
    )
    return [_filled(answer) for answer in answers]


def _filled(answer: dict[str, Any] | sandbox.Stopped) -> bytes | TemplateFailed:
    if isinstance(answer, sandbox.Stopped):
        return TemplateFailed(f"填写模板{answer.zh}", f"Filling the template {answer.en}")
    if "docx" in answer:
        return base64.b64decode(answer["docx"])
    return TemplateFailed(**answer["failed"])


def _fill_in_child(job: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """In the sandbox's child process: one answer per plan, a failure never ending the batch."""
    data = base64.b64decode(job["template"])
    for context in job["contexts"]:
        try:
            filled = _fill(data, {name: _revived(value) for name, value in context.items()})
            yield {"docx": base64.b64encode(filled).decode("ascii")}
        except TemplateFailed as failed:
            yield {"failed": {"zh": failed.zh, "en": failed.en}}
        except MemoryError:
            stopped = sandbox.out_of_memory(job["memory_mb"])
            yield {"failed": {"zh": f"填写模板{stopped.zh}", "en": f"Filling the template {stopped.en}"}}
        except Exception as error:  # noqa: BLE001  docxtpl on a strange document: report it, go on
            yield {
                "failed": {
                    "zh": f"无法填写模板（{type(error).__name__}）",
                    "en": f"The template could not be filled: {type(error).__name__}: {str(error)[:200]}",
                }
            }


def _revived(value: object) -> object:
    """A placeholder value back from JSON, lists and items printing as they do in template_context."""
    if isinstance(value, list):
        return Items(_revived(item) for item in value)
    if isinstance(value, dict):
        return Item({name: _revived(field_value) for name, field_value in value.items()})
    return value


def _fill(data: bytes, context: dict[str, object]) -> bytes:
    """Render in this process (the sandbox's child); raises TemplateFailed."""
    template = DocxTemplate(io.BytesIO(data))
    try:
        template.render(context, jinja_env=_environment())
        buffer = io.BytesIO()
        template.save(buffer)
    except (TemplateError, etree.XMLSyntaxError) as error:
        raise TemplateFailed(
            f"无法填写模板：{_describe(error)}", f"The template could not be filled: {error}"
        ) from error
    # A field code can be assembled at fill time (a placeholder inside a field): strip the result too.
    return strip_outside_fields(buffer.getvalue())


class _Unbounded(SecurityError):
    """An operation that would repeat text or grow a number without bound (str() is the English)."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh


class _TemplateEnvironment(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with *, ** and % checked as they run: a template stored before the
    upload check refused them must still not build a 1 GB string (nor fold one while compiling)."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "%" and isinstance(left, str):
            raise _Unbounded("用 % 排版文字可以补出任意长的空白", "% formatting can pad text to any width")
        if operator == "**" and _power_bits(left, right) > MAX_POWER_BITS:
            raise _Unbounded(f"{left!r} ** {right!r} 太大", f"{left!r} ** {right!r} is too large")
        if operator == "*" and _repeat_length(left, right) > MAX_REPEAT_LENGTH:
            raise _Unbounded(
                f"把文字或列表重复到超过 {MAX_REPEAT_LENGTH} 个字",
                f"it repeats text or a list to more than {MAX_REPEAT_LENGTH} items",
            )
        return super().call_binop(context, operator, left, right)


def _power_bits(base: Any, exponent: Any) -> float:
    if isinstance(base, int | float) and isinstance(exponent, int | float) and exponent > 0 and abs(base) > 1:
        return abs(base).bit_length() * exponent if isinstance(base, int) else 0
    return 0


def _repeat_length(left: Any, right: Any) -> int:
    for sequence, times in ((left, right), (right, left)):
        if isinstance(sequence, str | list | tuple) and isinstance(times, int):
            return len(sequence) * times
    return 0


def _environment() -> ImmutableSandboxedEnvironment:
    # autoescape: values are XML text (a "<" in a plan must not break the document);
    # StrictUndefined: a placeholder without a value is an error, not a silent blank;
    # an empty loader: {% include %} fails as a template error instead of a TypeError.
    environment = _TemplateEnvironment(autoescape=True, undefined=StrictUndefined, loader=DictLoader({}))
    for name in RAW_MARKUP_FILTERS:
        environment.filters.pop(name, None)
    return environment


# --- Checking --------------------------------------------------------------------------------------


def check_template(data: bytes, kind: str = LESSON_PLAN) -> TemplateCheck:
    """Everything wrong with a template for one resource type (a 教案 unless told), each problem in a
    sentence that names the placeholder.

    The check reads and test-fills the template, so it runs in a child process with the fill's limits."""
    if len(data) > MAX_TEMPLATE_BYTES:
        return TemplateCheck(errors=_package_errors(data))
    job = {"template": base64.b64encode(data).decode("ascii"), "vocabulary": asdict(_Vocabulary.of(kind))}
    (answer,) = sandbox.run(CHECK_WORK, job, results=1, timeout_s=TEMPLATE_TIMEOUT_S, memory_mb=TEMPLATE_MEMORY_MB)
    if isinstance(answer, sandbox.Stopped):
        return TemplateCheck(
            errors=[
                f"检查模板{answer.zh}：请简化模板后重新上传 / Checking the template {answer.en}; simplify it and upload again"
            ]
        )
    return TemplateCheck(**answer)


@dataclass(frozen=True)
class _Vocabulary:
    """What the check knows of one resource type's placeholders. Plain data, so the parent hands it to
    the sandbox's child as JSON: the child never imports the resource types."""

    label: str  # the type's label, "中文 / English"
    fields: dict[str, list[str]]  # every placeholder -> its item fields ([] for text)
    specimen: dict[str, Any]  # the specimen document's values: the test fill
    required_loop: str | None = None
    elsewhere: dict[str, list[str]] = field(default_factory=dict)  # another type's placeholder -> those types' labels

    @classmethod
    def of(cls, kind: str) -> _Vocabulary:
        placeholders = template_placeholders(kind)
        elsewhere: dict[str, list[str]] = {}
        for other, (label, others) in _template_types().items():
            for name in others.by_name:
                if other != kind and name not in placeholders.by_name:
                    elsewhere.setdefault(name, []).append(label)
        return cls(
            label=_template_types()[kind][0],
            fields={name: list(placeholder.fields) for name, placeholder in placeholders.by_name.items()},
            specimen=placeholders.specimen_context(),
            required_loop=placeholders.required_loop,
            elsewhere=elsewhere,
        )

    @functools.cached_property
    def lists(self) -> list[str]:
        return [name for name, fields in self.fields.items() if fields]

    @functools.cached_property
    def item_fields(self) -> dict[str, dict[str, frozenset[str]]]:
        """For each list placeholder, its item fields by kind ("number", "list"), read off the specimen's
        values so they cannot disagree with the values: 活动过程 -> list: {关键提问} …"""
        kinds: dict[str, dict[str, set[str]]] = {}
        for name, value in self.specimen.items():
            if isinstance(value, list):
                for item in value:
                    for field_name, field_value in item.items():
                        kind = (
                            "list"
                            if isinstance(field_value, list)
                            else "number"
                            if isinstance(field_value, int)
                            else ""
                        )
                        kinds.setdefault(name, {}).setdefault(kind, set()).add(field_name)
        return {name: {kind: frozenset(names) for kind, names in by_kind.items()} for name, by_kind in kinds.items()}

    def in_language(self, english: bool = False) -> str:
        return _label_halves(self.label)[1 if english else 0]


def _check_in_child(job: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield asdict(_check(base64.b64decode(job["template"]), _Vocabulary(**job["vocabulary"])))


def _check(data: bytes, vocabulary: _Vocabulary) -> TemplateCheck:
    """check_template's work, in this process (the sandbox's child)."""
    errors = _package_errors(data)
    if errors:
        return TemplateCheck(errors=errors)
    template = DocxTemplate(io.BytesIO(data))
    template.init_docx()
    errors += _external_link_errors(template)
    errors += _field_code_errors(data)
    warnings: list[str] = []
    used: dict[str, None] = {}  # an ordered set
    loops_over_required = syntax_broken = False
    texts = _paragraph_texts(template)
    environment = _environment()
    for label, xml in _template_xml(template):
        try:
            tree = environment.parse(xml)
        except TemplateSyntaxError as error:
            errors.append(_syntax_error_message(label, xml, error))
            syntax_broken = True
            continue
        analysis = _Analysis(vocabulary)
        analysis.visit(tree, {})
        errors += analysis.errors
        used.update(dict.fromkeys(analysis.used))
        loops_over_required |= analysis.loops_over_required
    # Only a 教案 has a list every template must loop over (活动过程, a row each): these messages name it.
    needs_loop = vocabulary.required_loop is not None
    if needs_loop and not loops_over_required and not syntax_broken:  # a loop may hide behind the broken tag
        errors.append(
            "缺少活动过程的循环：请在活动过程表格的一行里写 {%tr for 步骤 in 活动过程 %}，在下面一行写 {%tr endfor %}"
            " / No loop over 活动过程: put {%tr for 步骤 in 活动过程 %} in a row of the process table and"
            " {%tr endfor %} in the row below it"
        )
    elif needs_loop and loops_over_required and not any(ROW_LOOP.search(text) for text in texts):
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
        errors += _test_fill_errors(data, vocabulary)
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


def _field_code_errors(data: bytes) -> list[str]:
    """Word fields that would read a file, fetch an address or start a program when a teacher opens
    an exported 教案 (every XML part: body, headers, footers, footnotes, comments …)."""
    errors = []
    for label_zh, label_en, code in outside_fields(data):
        if code.upper().startswith("HYPERLINK"):
            what_zh, what_en = "只允许 http(s) 网页链接", "only http(s) web links are allowed"
        else:
            what_zh = "打开教案时 Word 会用它读取其他文件或网址、或启动其他程序"
            what_en = "it makes Word read another file or address, or start a program, when a plan is opened"
        errors.append(
            f"{label_zh}中有不允许的域代码“{_excerpt(code)}”：{what_zh}。请在 Word 中按 Alt+F9 显示域代码后删除它"
            f" / The template's {label_en} holds the field code “{_excerpt(code)}”: {what_en}; press Alt+F9 in"
            " Word to show field codes and delete it"
        )
    return errors


def _template_xml(template: DocxTemplate) -> list[tuple[str, str]]:
    """Everything docxtpl renders, as it will hand it to Jinja, one paragraph per line: the body,
    headers, footers and footnotes, and the document properties (title, author …)."""
    chunks = [("正文", template.patch_xml(template.get_xml()))]
    for label, uri in (("页眉", template.HEADER_URI), ("页脚", template.FOOTER_URI)):
        for _relationship_id, part in template.get_headers_footers(uri):
            chunks.append((label, template.patch_xml(template.get_part_xml(part))))
    for part in template.docx.part.package.parts:
        if part.content_type == FOOTNOTES_TYPE:
            chunks.append(("脚注", template.patch_xml(part.blob.decode("utf-8"))))
    properties = template.docx.core_properties
    chunks += [("文档属性", getattr(properties, name) or "") for name in PROPERTIES]
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
    """Walks a parsed template: which placeholders and item fields it uses, and what it gets wrong or
    may not do (anything outside the allow-lists above)."""

    def __init__(self, vocabulary: _Vocabulary) -> None:
        self.vocabulary = vocabulary  # the placeholders of the template's resource type
        self.errors: list[str] = []
        self.used: list[str] = []
        self.loops_over_required = False
        self.depth = 0  # loops around the node being visited

    def visit(self, node: nodes.Node, loops: dict[str, str]) -> None:
        """loops maps each loop variable in scope to what it runs over: a list placeholder ("活动过程"),
        a list field ("活动过程.关键提问"), or "" for a loop already refused (not checked further)."""
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
            for child in node.body:
                self.visit(child, loops)
            return
        if isinstance(node, nodes.Filter) and node.name in RAW_MARKUP_FILTERS:
            target = node.node if isinstance(node.node, nodes.Name) else node.find(nodes.Name)
            where = f"{{{{ {target.name}|{node.name} }}}} " if target is not None else ""
            self.errors.append(
                f"{where}不能使用 |{node.name}：它会把教案文字原样写入 Word 文件、破坏文档，请删掉 |{node.name}"
                f" / {where.rstrip() + ': ' if where else ''}the |{node.name} filter writes plan text into the Word file unescaped; remove it"
            )
            return
        if isinstance(node, nodes.For):
            self._visit_loop(node, loops)
            return
        if isinstance(node, nodes.Stmt) and not isinstance(node, STATEMENTS):
            tag = STATEMENT_TAGS.get(type(node), f"{{% {type(node).__name__.lower()} %}}")
            self.errors.append(
                f"模板不能使用 {tag}：请直接写占位符和循环 / A template cannot use {tag}; write placeholders and loops"
            )
            return
        if isinstance(node, nodes.Expr):
            problem = self._expression_problem(node, loops)
            if problem:
                self.errors.append(problem)
                return
        is_field = isinstance(node, nodes.Getattr | nodes.Getitem) and isinstance(node.node, nodes.Name)
        if is_field and self._check_field(node, loops):
            return
        if isinstance(node, nodes.Name) and node.ctx == "load":
            self._check_name(node.name, loops)
        for child in node.iter_child_nodes():
            self.visit(child, loops)

    def _visit_loop(self, node: nodes.For, loops: dict[str, str]) -> None:
        """A loop may run over a list placeholder or a list field of the item around it, never over
        text, numbers or an expression ('x' * 1000, range(…)), and at most MAX_LOOP_DEPTH deep."""
        over = self._loop_list(node.iter, loops)
        shown = f"{{% for {_source(node.target)} in {_excerpt(_source(node.iter))} %}}"
        target = node.target.name if isinstance(node.target, nodes.Name) else None
        targets = [node.target] if isinstance(node.target, nodes.Name) else list(node.target.find_all(nodes.Name))
        inner = {**loops, **{name.name: "" for name in targets}}
        fields = self.vocabulary.fields
        if isinstance(node.iter, nodes.Name) and node.iter.name not in fields and node.iter.name not in loops:
            self.visit(node.iter, loops)  # an unknown placeholder: named with the nearest correct one
        elif over is None or target is None or node.recursive:
            lists = "、".join(self.vocabulary.lists)
            inner_lists = [
                f"{name}.{field_name}"
                for name in self.vocabulary.lists
                for field_name in sorted(self.vocabulary.item_fields.get(name, {}).get("list", ()))
            ]
            self.errors.append(
                f"“{shown}”只能循环列表占位符（{lists}）"
                + (f"或列表项里的列表（{'、'.join(inner_lists)}）" if inner_lists else "")
                + f"，不能循环文字、数字或表达式 / “{shown}”: a loop may only run over a list placeholder"
                f" ({', '.join(self.vocabulary.lists)})"
                + (f" or a list inside an item ({', '.join(inner_lists)})" if inner_lists else "")
                + ", not over text, numbers or an expression"
            )
        elif self.depth >= MAX_LOOP_DEPTH:
            self.errors.append(
                f"“{shown}”嵌套太深：一个循环里最多再套一层循环 / “{shown}”: loops may be nested only"
                f" {MAX_LOOP_DEPTH} deep"
            )
        else:
            self.visit(node.iter, loops)
            inner[target] = over
            self.loops_over_required |= over == self.vocabulary.required_loop
        self.depth += 1
        for child in [*node.body, *node.else_]:
            self.visit(child, inner)
        if node.test is not None:
            self.visit(node.test, inner)
        self.depth -= 1

    def _loop_list(self, node: nodes.Expr, loops: dict[str, str]) -> str | None:
        """What a loop runs over, when it is a list: "活动过程" or "活动过程.关键提问"; None otherwise."""
        if isinstance(node, nodes.Name) and node.name in self.vocabulary.fields:
            return node.name if self.vocabulary.fields[node.name] else None
        if isinstance(node, nodes.Getattr | nodes.Getitem) and isinstance(node.node, nodes.Name):
            field_name = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
            list_name = loops.get(node.node.name)
            if list_name and field_name in self.vocabulary.item_fields.get(list_name, {}).get("list", ()):
                return f"{list_name}.{field_name}"
        return None

    def _expression_problem(self, node: nodes.Expr, loops: dict[str, str]) -> str | None:
        """Why this expression may not stand in a template, naming it; None when it may."""
        shown = f"{{{{ {_excerpt(_source(node))} }}}}"
        if isinstance(node, nodes.Const):
            value = node.value
            if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
                return (
                    f"{shown} 里的数字 {_excerpt(str(value), 20)} 太大：模板里的数字最多到 {MAX_NUMBER}"
                    f" / {shown}: the number {_excerpt(str(value), 20)} is too large; numbers in a template go up"
                    f" to {MAX_NUMBER}"
                )
            return None
        operator = REPEATING_OPERATORS.get(type(node))
        numbers = self.vocabulary.item_fields
        if operator and not (
            isinstance(node, nodes.Mul)
            and _is_number(node.left, loops, numbers)
            and _is_number(node.right, loops, numbers)
        ):
            return (
                f"{shown} 不能使用 {operator} 运算：它能把文字重复成极大的文档，请直接写出要显示的文字"
                f" / {shown}: the {operator} operator is not allowed, it can repeat text into a huge document;"
                " write the text itself"
            )
        if isinstance(node, nodes.Call):
            if _is_loop_method(node) and not (node.dyn_args or node.dyn_kwargs):
                return None  # its arguments are visited like any expression
            return (
                f"{shown} 不能调用函数或方法（如 range()、lipsum()、.center()）：模板里只写占位符、过滤器和循环"
                f" / {shown}: a template cannot call functions or methods (range(), lipsum(), .center() …);"
                " use placeholders, filters and loops"
            )
        if isinstance(node, nodes.Filter):
            return self._filter_problem(node, loops)
        if isinstance(node, nodes.Test) and node.name not in TESTS:
            return f"{shown} 不能使用 is {node.name} / {shown}: the test “is {node.name}” is not allowed"
        if isinstance(node, nodes.Getattr) and _is_loop(node.node) and node.attr not in LOOP_ATTRIBUTES | LOOP_METHODS:
            return (
                f"{shown}：loop 没有 {node.attr}，可用 loop.index、loop.first、loop.last 等"
                f" / {shown}: loop has no {node.attr}; use loop.index, loop.first, loop.last …"
            )
        if not isinstance(node, EXPRESSIONS):
            return (
                f"{shown} 这种写法模板里不能用：请只写占位符、字段、过滤器和比较"
                f" / {shown}: this expression is not allowed in a template; write placeholders, fields, filters"
                " and comparisons"
            )
        return None

    def _filter_problem(self, node: nodes.Filter, loops: dict[str, str]) -> str | None:
        arguments = ", ".join(_source(argument) for argument in [*node.args, *node.kwargs])
        call = f"{node.name}({_excerpt(arguments, 40)})" if arguments else node.name
        shown = f"{{% filter {call} %}}" if node.node is None else f"{{{{ {_excerpt(_source(node))} }}}}"
        if node.name not in TEXT_FILTERS:
            return (
                f"{shown} 不能使用 |{node.name}：模板里可用的过滤器只有 {'、'.join(TEXT_FILTERS)}"
                f" / {shown}: the |{node.name} filter is not allowed; a template may use {', '.join(TEXT_FILTERS)}"
            )
        values = [*node.args, *(keyword.value for keyword in node.kwargs)]
        if node.dyn_args or node.dyn_kwargs or not all(isinstance(value, nodes.Const) for value in values):
            return (
                f"{shown}：|{node.name} 的参数只能是直接写出的文字或数字"
                f" / {shown}: the arguments of |{node.name} must be plain text or numbers"
            )
        if node.name == "join" and (node.node is None or not self._is_list(node.node, loops)):
            return (
                f"{shown}：|join 只能用在列表占位符上，如 {{{{ 活动目标|join('；') }}}}"
                f" / {shown}: |join works on list placeholders only, e.g. {{{{ 活动目标|join('；') }}}}"
            )
        if node.name == "replace" and not _never_longer(node):
            return (
                f"{shown}：|replace 只能把一段文字换成不比它长的文字"
                f" / {shown}: |replace may only replace text with text no longer than it"
            )
        return None

    def _is_list(self, node: nodes.Node, loops: dict[str, str]) -> bool:
        return self._loop_list(node, loops) is not None

    def _check_name(self, name: str, loops: dict[str, str]) -> None:
        if name in loops or name == "loop":
            return
        if name in self.vocabulary.fields:
            self._use(name)
            return
        suggestion = difflib.get_close_matches(name, list(self.vocabulary.fields), n=1, cutoff=0.5)
        hint_zh = f"（您是不是想写 {{{{ {suggestion[0]} }}}}？）" if suggestion else ""
        hint_en = f" (did you mean {{{{ {suggestion[0]} }}}}?)" if suggestion else ""
        if name in self.vocabulary.elsewhere:  # another type's placeholder: say which types have it
            other_zh = "、".join(_label_halves(label)[0] for label in self.vocabulary.elsewhere[name])
            other_en = ", ".join(_label_halves(label)[1] for label in self.vocabulary.elsewhere[name])
            self.errors.append(
                f"{{{{ {name} }}}} 是{other_zh}模板的占位符，{self.vocabulary.in_language()}模板里没有它{hint_zh}："
                f"如果这份模板是给{other_zh}用的，请在上传时选择“{other_zh}”"
                f" / {{{{ {name} }}}} is a placeholder of {other_en} templates, not of"
                f" {self.vocabulary.in_language(english=True)} templates{hint_en}: if this template is for a"
                f" {other_en}, choose that type when uploading"
            )
            return
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
            if variable in self.vocabulary.fields:
                is_list = bool(self.vocabulary.fields[variable])
                self.errors.append(
                    f"{{{{ {variable}.{attribute} }}}} 写法不对：{variable} "
                    + (
                        f"是列表，请先写 {{% for 项 in {variable} %}} 再用 {{{{ 项.{attribute} }}}}"
                        if is_list
                        else "是一段文字，没有字段"
                    )
                    + f" / {{{{ {variable}.{attribute} }}}}: {variable} "
                    + ("is a list; loop over it first" if is_list else "is text and has no fields")
                )
                return True
            return False  # loop.index and the like
        if not list_name:
            return True  # a loop already refused
        if list_name not in self.vocabulary.fields:  # an item of a list inside an item (步骤.关键提问): text
            self.errors.append(
                f"{{{{ {variable}.{attribute} }}}} 写法不对：{variable} 是一段文字，没有字段"
                f" / {{{{ {variable}.{attribute} }}}}: {variable} is text and has no fields"
            )
            return True
        fields = self.vocabulary.fields[list_name]
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


def _is_number(node: nodes.Node, loops: dict[str, str], item_fields: dict[str, dict[str, frozenset[str]]]) -> bool:
    """Certainly a number (a constant, a loop counter, a step's 分钟, |length …): * between two of them
    cannot repeat text. item_fields: each list placeholder's item fields by kind (_Vocabulary.item_fields)."""
    if isinstance(node, nodes.Const):
        return isinstance(node.value, int | float)
    if isinstance(node, nodes.Getattr) and _is_loop(node.node):
        return node.attr in NUMBER_LOOP_ATTRIBUTES
    if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
        return node.attr in item_fields.get(loops.get(node.node.name) or "", {}).get("number", ())
    if isinstance(node, nodes.Filter):
        return node.name in NUMBER_FILTERS
    if isinstance(node, nodes.Neg | nodes.Pos):
        return _is_number(node.node, loops, item_fields)
    if isinstance(node, nodes.Add | nodes.Sub | nodes.Mul | nodes.Div | nodes.FloorDiv):
        return _is_number(node.left, loops, item_fields) and _is_number(node.right, loops, item_fields)
    return False


def _is_loop(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Name) and node.name == "loop"


def _is_loop_method(node: nodes.Call) -> bool:
    callee = node.node
    return isinstance(callee, nodes.Getattr) and _is_loop(callee.node) and callee.attr in LOOP_METHODS


def _never_longer(node: nodes.Filter) -> bool:
    """|replace(old, new) with new no longer than old (and old not empty): chained, it cannot grow text."""
    values = [argument.value for argument in node.args if isinstance(argument, nodes.Const)]
    if len(values) < 2 or not all(isinstance(value, str) for value in values[:2]):
        return False
    old, new = values[:2]
    return bool(old) and len(new) <= len(old)


BINARY_OPERATORS = {
    nodes.Add: "+", nodes.Sub: "-", nodes.Mul: "*", nodes.Div: "/", nodes.FloorDiv: "//", nodes.Mod: "%",
    nodes.Pow: "**", nodes.And: "and", nodes.Or: "or",
}  # fmt: skip
COMPARISONS = {"eq": "==", "ne": "!=", "lt": "<", "lteq": "<=", "gt": ">", "gteq": ">=", "notin": "not in"}


def _source(node: nodes.Node | None) -> str:
    """A template expression written back as a teacher would type it, to name it in a message."""
    if node is None:
        return ""
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Const):
        return repr(node.value)
    if isinstance(node, nodes.Getattr):
        return f"{_source(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem):
        return f"{_source(node.node)}[{_source(node.arg)}]"
    if isinstance(node, nodes.Slice):
        step = f":{_source(node.step)}" if node.step is not None else ""
        return f"{_source(node.start)}:{_source(node.stop)}{step}"
    if isinstance(node, nodes.BinExpr):
        return f"{_source(node.left)} {BINARY_OPERATORS.get(type(node), '?')} {_source(node.right)}"
    if isinstance(node, nodes.Not):
        return f"not {_source(node.node)}"
    if isinstance(node, nodes.UnaryExpr):
        return f"{'-' if isinstance(node, nodes.Neg) else '+'}{_source(node.node)}"
    if isinstance(node, nodes.Concat):
        return " ~ ".join(_source(part) for part in node.nodes)
    if isinstance(node, nodes.Filter | nodes.Test | nodes.Call):
        arguments = [_source(argument) for argument in node.args]
        arguments += [f"{keyword.key}={_source(keyword.value)}" for keyword in node.kwargs]
        called = f"({', '.join(arguments)})" if arguments or isinstance(node, nodes.Call) else ""
        if isinstance(node, nodes.Call):
            return f"{_source(node.node)}{called}"
        joiner = "|" if isinstance(node, nodes.Filter) else " is "
        return f"{_source(node.node)}{joiner}{node.name}{called}"
    if isinstance(node, nodes.Compare):
        operands = [f"{COMPARISONS.get(operand.op, operand.op)} {_source(operand.expr)}" for operand in node.ops]
        return " ".join([_source(node.expr), *operands])
    if isinstance(node, nodes.CondExpr):
        return f"{_source(node.expr1)} if {_source(node.test)} else {_source(node.expr2)}"
    if isinstance(node, nodes.List | nodes.Tuple):
        return f"[{', '.join(_source(item) for item in node.items)}]"
    return "…"


def _test_fill_errors(data: bytes, vocabulary: _Vocabulary) -> list[str]:
    """Fill the template with the type's specimen document and reopen the result, as an export would."""
    try:
        filled = _fill(data, {name: _revived(value) for name, value in vocabulary.specimen.items()})
        docx.Document(io.BytesIO(filled))
    except InvalidInput as error:
        return [f"用示例{vocabulary.in_language()}试填时出错：{error}"]
    except (ValueError, KeyError, etree.XMLSyntaxError) as error:
        return [f"试填后的文件无法打开（标签可能跨越了段落或表格）/ The test fill produced a broken document: {error}"]
    return []


def _describe(error: Exception) -> str:
    if isinstance(error, _Unbounded):
        return f"模板把文字或数字变得过大：{error.zh}"
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
