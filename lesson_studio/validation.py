"""A pydantic validation error as a message a teacher can act on: the field named as the form
names it, the reason in Chinese, and both again in English.

pydantic's own text ("String should have at most 20 characters") and paths ("areas.0.materials.1.name")
are a developer's; every form and every edit of every resource type goes through `invalid_input`.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from lesson_studio.errors import InvalidInput

# pydantic's error type -> the reason in Chinese ({...} filled from the error's context).
REASONS_ZH = {
    "missing": "必须填写",
    "string_too_short": "太短，至少 {min_length} 个字",
    "string_too_long": "太长，最多 {max_length} 个字",
    "too_short": "至少需要 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "literal_error": "只能是：{expected}",
    "enum": "只能是：{expected}",
    "int_parsing": "请填一个整数",
    "int_type": "请填一个整数",
    "int_from_float": "请填一个整数",
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "必须大于 {gt}",
    "less_than_equal": "不能大于 {le}",
    "less_than": "必须小于 {lt}",
    "string_pattern_mismatch": "格式不对",
    "date_from_datetime_parsing": "请填日期，如 2026-09-01",
    "date_parsing": "请填日期，如 2026-09-01",
    "string_type": "请填文字",
    "list_type": "请填一个列表",
}


def field_path(location: tuple[Any, ...], labels: dict[str, str]) -> tuple[str, str]:
    """('活动主题', 'Topic') for ('topic',); a list item as 第2项 / item 2; nested names as written."""
    zh_parts, en_parts = [], []
    for position, part in enumerate(location):
        if isinstance(part, int):
            zh_parts.append(f"第{part + 1}项")
            en_parts.append(f"item {part + 1}")
            continue
        label = labels.get(str(part), "") if position == 0 else ""
        zh, _, en = label.partition(" / ")
        zh_parts.append(zh or str(part))
        en_parts.append(en or str(part))
    return " › ".join(zh_parts) or "请求", " › ".join(en_parts) or "request"


def reason_zh(problem: dict[str, Any]) -> str:
    if problem["type"] in ("string_too_short", "too_short") and problem.get("ctx", {}).get("min_length") == 1:
        return "不能为空"
    template = REASONS_ZH.get(problem["type"])
    if template is None:
        # A validator of ours raises a message that is already a teacher's ("Value error, …").
        return str(problem.get("ctx", {}).get("error", "")) or "不符合要求"
    try:
        return template.format(**problem.get("ctx", {}))
    except (KeyError, IndexError):
        return template.split("，")[0].split("：")[0]


def invalid_input(error: ValidationError, labels: dict[str, str]) -> InvalidInput:
    """The first problem of `error` as an InvalidInput: 请检查"活动主题"：必须填写 / Please check 'Topic': …"""
    problem = error.errors()[0]
    zh_field, en_field = field_path(tuple(problem["loc"]), labels)
    return InvalidInput(
        f"请检查\u201c{zh_field}\u201d：{reason_zh(problem)} / Please check '{en_field}': {problem['msg']}"
    )
