"""What every chat backend offers: one streaming method.

A backend is a small class with declared attributes and one generator method (simonw/llm's shape).
Structured output is the same method with a JSON schema: backends that can constrain decoding
(llama.cpp's grammar, OpenAI's json_schema) do so; the caller validates either way.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": "..."}


class ChatBackend(ABC):
    id: str = ""
    display_name: str = ""
    needs_key: bool = False

    @abstractmethod
    def stream(
        self,
        messages: list[Message],
        *,
        json_schema: dict[str, Any] | None = None,
        max_tokens: int = 512,
        temperature: float = 0.3,
    ) -> Iterator[str]:
        """Yield pieces of the answer as they arrive; raise StudioError subclasses on failure."""
