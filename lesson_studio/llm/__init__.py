"""LLM backends: rows in resources/backends.toml, per-task routes, the embedded llama.cpp backend,
one OpenAI-compatible class for every remote provider, and schema-validated generation."""

from lesson_studio.llm.base import ChatBackend, Message
from lesson_studio.llm.catalog import TASKS, BackendSpec, load_catalog
from lesson_studio.llm.notices import Notice, notices_to
from lesson_studio.llm.registry import (
    backend_ids,
    get_backend,
    register_backend,
    task_backend_id,
    unregister_backend,
)
from lesson_studio.llm.routing import RoutedBackend
from lesson_studio.llm.structured import generate_structured, strict_schema

__all__ = [
    "TASKS",
    "BackendSpec",
    "ChatBackend",
    "Message",
    "Notice",
    "RoutedBackend",
    "backend_ids",
    "generate_structured",
    "get_backend",
    "load_catalog",
    "notices_to",
    "register_backend",
    "strict_schema",
    "task_backend_id",
    "unregister_backend",
]
