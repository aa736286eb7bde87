"""The resource types the pipeline serves (lesson_studio.pipeline.ResourceType), by kind.

Adding a type is its own files (schema, prompts, scaffold, rules, checks, export layout) and one
line in REGISTERED; nothing else in the core names a type (tests/test_resource_types.py checks it).
"""

from __future__ import annotations

from functools import cache
from importlib import import_module

from lesson_studio.errors import InvalidInput
from lesson_studio.pipeline import ResourceType

# "module:NAME" of each type, loaded on first use (a type's module imports the pipeline).
REGISTERED = (
    "lesson_studio.resource_types.lesson_plan:LESSON_PLAN",
    "lesson_studio.resource_types.parent_letter:PARENT_LETTER",
    "lesson_studio.resource_types.reflection:REFLECTION",
    "lesson_studio.resource_types.theme_unit:THEME_UNIT",
    "lesson_studio.resource_types.area_plan:AREA_PLAN",
    "lesson_studio.resource_types.observation_record:OBSERVATION_RECORD",
    "lesson_studio.resource_types.creativity_checklist:CREATIVITY_CHECKLIST",
)


@cache
def resource_types() -> dict[str, ResourceType]:
    loaded = []
    for entry in REGISTERED:
        module, _, name = entry.partition(":")
        loaded.append(getattr(import_module(module), name))
    return {resource.kind: resource for resource in loaded}


def resource_type(kind: str) -> ResourceType:
    try:
        return resource_types()[kind]
    except KeyError:
        raise InvalidInput(f"未知的资源类型：{kind} / Unknown resource type: {kind}") from None
