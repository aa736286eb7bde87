"""Document tags: the four keys retrieval filters on, with the values each may take.

A tag that retrieval cannot use is worse than none: `age_band=中大班` would hide the document
from every age-band search (the filter keeps only the requested band and 通用/混龄), and a typo
in a key (`--tag age=小班`) would silently do nothing. So tags given at upload are checked here
and refused with the allowed values; tags written in a file (`<!-- tags: ... -->`) are checked
the same way, and a file with a bad one is skipped with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from lesson_studio.errors import InvalidInput

GENERAL = ("通用", "混龄")
AGE_BANDS = ("小班", "中班", "大班", *GENERAL)
DOMAINS = ("健康", "语言", "社会", "科学", "艺术", "通用")
CPS_STAGES = ("发现问题", "想办法", "选办法", "试一试改一改", "分享", "通用")
MAX_RESOURCE_TYPE_CHARS = 32  # store.library_chunks.resource_type

ALLOWED: dict[str, tuple[str, ...] | None] = {
    "age_band": AGE_BANDS,
    "domain": DOMAINS,
    "cps_stage": CPS_STAGES,
    "resource_type": None,  # free text (教案, 方法卡, 活动案例, 指南 ...)
}
_AGE_RANGE = re.compile(r"^([3-5])\s*[～~\-—–至到]\s*[4-6]\s*岁$")


def check_tags(tags: Mapping[str, str], *, source: str = "") -> dict[str, str]:
    """Tags with known keys and allowed values (an age like 3～4岁 becomes 小班); raises InvalidInput.

    source names the file the tags came from (its own tags comment), "" for tags given at upload.
    """
    where_zh = f"{source} 中的" if source else ""
    where_en = f" in {source}" if source else ""
    checked: dict[str, str] = {}
    for raw_key, raw_value in tags.items():
        key, value = raw_key.strip(), raw_value.strip()
        if key not in ALLOWED:
            raise InvalidInput(
                f"{where_zh}未知的标签：{key}（可用：{'、'.join(ALLOWED)}）/ Unknown tag{where_en}: {key} "
                f"(use {', '.join(ALLOWED)})"
            )
        allowed = ALLOWED[key]
        if key == "age_band" and (match := _AGE_RANGE.match(value)):
            value = {"3": "小班", "4": "中班", "5": "大班"}[match.group(1)]
        if allowed is not None and value not in allowed:
            raise InvalidInput(
                f"{where_zh}标签 {key} 的值不对：{value}（可用：{'、'.join(allowed)}）/ Tag {key}{where_en} cannot be "
                f"{value} (use one of {', '.join(allowed)})"
            )
        if not value or len(value) > MAX_RESOURCE_TYPE_CHARS:
            raise InvalidInput(
                f"{where_zh}标签 {key} 的值应为 1-{MAX_RESOURCE_TYPE_CHARS} 个字：{value} / Tag {key}{where_en} must "
                f"be 1-{MAX_RESOURCE_TYPE_CHARS} characters: {value}"
            )
        checked[key] = value
    return checked
