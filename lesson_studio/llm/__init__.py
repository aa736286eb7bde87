"""LLM backends: a registry, the embedded llama.cpp backend, and schema-validated generation."""

from lesson_studio.llm.base import ChatBackend, Message
from lesson_studio.llm.registry import backend_ids, get_backend, register_backend, unregister_backend
from lesson_studio.llm.structured import generate_structured, strict_schema

__all__ = [
    "ChatBackend",
    "Message",
    "backend_ids",
    "generate_structured",
    "get_backend",
    "register_backend",
    "strict_schema",
    "unregister_backend",
]
