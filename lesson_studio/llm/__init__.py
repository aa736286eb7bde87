"""LLM backends: rows in resources/backends.toml, per-task routes, the embedded llama.cpp backend,
one OpenAI-compatible class for every remote provider, and schema-validated generation."""

from lesson_studio.llm.base import ChatBackend, Message
from lesson_studio.llm.catalog import TASKS, BackendSpec, load_catalog
from lesson_studio.llm.notices import Notice, notices_to
from lesson_studio.llm.registry import (
    backend_ids,
    get_backend,
    register_backend,
    route_ids,
    task_backend_id,
    unregister_backend,
)
from lesson_studio.llm.remedies import Remedy, remedy_for
from lesson_studio.llm.routing import RoutedBackend, sticky_route
from lesson_studio.llm.structured import continue_structured, generate_structured, strict_schema

__all__ = [
    "TASKS",
    "BackendSpec",
    "ChatBackend",
    "Message",
    "Notice",
    "Remedy",
    "RoutedBackend",
    "backend_ids",
    "continue_structured",
    "generate_structured",
    "get_backend",
    "load_catalog",
    "notices_to",
    "register_backend",
    "remedy_for",
    "route_ids",
    "sticky_route",
    "strict_schema",
    "task_backend_id",
    "unregister_backend",
]
