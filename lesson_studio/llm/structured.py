"""Schema-validated output: stream, validate with pydantic, one repair attempt, then a clear error.

And 继续生成: an object cut at the length limit (Truncated, after the one shorter retry) can be
continued from its partial text instead of written again (`continue_structured`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from lesson_studio.errors import GenerationFailed, Truncated
from lesson_studio.llm.base import ChatBackend, Message

T = TypeVar("T", bound=BaseModel)


def strict_schema(output_type: type[BaseModel]) -> dict[str, Any]:
    """The output type's JSON schema with $refs inlined and every string bounded.

    llama.cpp's grammar builder and some providers handle $ref poorly, so refs are inlined.
    An unbounded string lets a small model loop until max_tokens (DESIGN.md), so a string
    without maxLength is a programming error here, not a runtime surprise.
    """
    schema = output_type.model_json_schema()
    definitions = schema.pop("$defs", {})

    def resolve(node: Any, path: str) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                name = node["$ref"].rsplit("/", 1)[-1]
                return resolve(definitions[name], path)
            # Drop schema "title" annotations (noise in the prompt), never a property that is named title.
            resolved = {
                key: resolve(value, f"{path}.{key}")
                for key, value in node.items()
                if not (key == "title" and isinstance(value, str))
            }
            if resolved.get("type") == "string" and "enum" not in resolved and "maxLength" not in resolved:
                raise ValueError(f"{output_type.__name__}{path}: string without max_length")
            if resolved.get("type") == "object":
                resolved["additionalProperties"] = False
            return resolved
        if isinstance(node, list):
            return [resolve(item, path) for item in node]
        return node

    return resolve(schema, "")


def schema_instruction(schema: dict[str, Any]) -> str:
    """The schema as prompt text, for backends that cannot constrain decoding (json_mode, prompt-only)."""
    return (
        "只输出一个 JSON 对象，必须符合下面的 JSON Schema，不要输出任何其他文字。\n"
        f"```json\n{json.dumps(schema, ensure_ascii=False)}\n```"
    )


def parse_answer(output_type: type[T], text: str) -> T:
    """Validate a model's JSON answer. A raw line break inside a string is accepted (strict=False)
    and kept as a line break: the embedded model wrote one in 活动名称与目标 twice in a row with its
    grammar on (bench/generate.py), and strict JSON turned a readable answer into a failure."""
    try:
        # A whole answer that parses is taken as it is: a ``` the model wrote inside a string (it
        # did, reproducibly) must not make the fence-stripping below cut the JSON apart.
        data = json.loads(text.strip(), strict=False)
    except json.JSONDecodeError:
        data = json.loads(_extract_json(text), strict=False)
    return output_type.model_validate(data)


def _extract_json(text: str) -> str:
    """Tolerate a model that wraps its JSON in a ``` fence or adds a sentence around it."""
    # A fence around the whole answer (anchored at both ends, so a ``` inside a string stays).
    fenced = re.match(r"^\s*```(?:json)?\s*(.*)```\s*$", text, re.S) or re.search(r"```(?:json)?\s*(.*?)```", text, re.S)
    if fenced:
        text = fenced.group(1)
    start, end = text.find("{"), text.rfind("}")
    return text[start : end + 1] if start != -1 and end > start else text


def generate_structured(
    backend: ChatBackend,
    messages: list[Message],
    output_type: type[T],
    *,
    max_tokens: int = 600,
    temperature: float = 0.3,
    on_text: Callable[[str], None] | None = None,
    what: str = "",
) -> T:
    """Ask the backend for one object of output_type; repair once; raise GenerationFailed after."""
    schema = strict_schema(output_type)
    attempt_messages = list(messages)
    last_error = ""
    for attempt in range(2):
        text = ""
        try:
            for piece in backend.stream(
                attempt_messages, json_schema=schema, max_tokens=max_tokens, temperature=temperature
            ):
                text += piece
                if on_text:
                    on_text(text)
        except Truncated:
            # Cut at max_tokens: the JSON cannot be complete. Ask once for a shorter object; a second
            # cut goes to the caller as Truncated (继续生成), not as a vague validation error.
            if attempt == 1:
                raise
            attempt_messages = [
                *messages,
                {"role": "assistant", "content": text[-1500:]},
                {
                    "role": "user",
                    "content": "上面的输出太长，在中途被截断了。请重新输出一个更简短的 JSON 对象（每个字段写短一些），不要其他文字。",
                },
            ]
            last_error = "输出太长被截断 / cut at the length limit"
            continue
        try:
            return parse_answer(output_type, text)
        except (ValidationError, json.JSONDecodeError, ValueError) as error:
            last_error = _short_error(error)
            if attempt == 0:
                attempt_messages = [
                    *messages,
                    {"role": "assistant", "content": text[-1500:]},
                    {
                        "role": "user",
                        "content": f"上面的输出不符合要求：{last_error}。请只输出一个符合 JSON Schema 的 JSON 对象，不要其他文字。",
                    },
                ]
    label = f"（{what}）" if what else ""
    raise GenerationFailed(
        f"模型两次都没有给出可用的内容{label}：{last_error}。您的请求已保存，可以重试或换一个模型。 / "
        f"The model did not return usable content twice{(' (' + what + ')') if what else ''}; your request is saved — retry or switch model."
    )


CONTINUE_PROMPT = "上面的 JSON 写到一半被截断了。请从中断处继续往下写，不要重复已经写出的部分，也不要任何其他文字。"


def continue_structured(
    backend: ChatBackend,
    messages: list[Message],
    output_type: type[T],
    partial: str,
    *,
    max_tokens: int = 600,
    temperature: float = 0.3,
    on_text: Callable[[str], None] | None = None,
    what: str = "",
) -> T:
    """继续生成: ask the model to write on from `partial` (a Truncated's text); validate the whole.

    `messages` are the section's original messages (as given to generate_structured). The request
    carries no JSON schema for constrained decoding (a grammar would make the model start a fresh
    object), only the schema as text. If the model starts over instead of continuing, a fresh
    object that validates is accepted too. One call: cut again, it is Truncated with the longer
    partial (the page may offer 继续生成 again); unusable, it is GenerationFailed.
    """
    schema = strict_schema(output_type)
    follow = [
        *messages,
        {"role": "assistant", "content": partial},
        {"role": "user", "content": CONTINUE_PROMPT + "\n" + schema_instruction(schema)},
    ]
    text = ""
    try:
        for piece in backend.stream(follow, json_schema=None, max_tokens=max_tokens, temperature=temperature):
            text += piece
            if on_text:
                on_text(partial + text)
    except Truncated as cut:
        raise Truncated(detail=cut.detail, backend_id=cut.backend_id, partial=partial + text) from None
    last_error = ""
    for candidate in (partial + text, text):
        try:
            return parse_answer(output_type, candidate)
        except (ValidationError, json.JSONDecodeError, ValueError) as error:
            last_error = last_error or _short_error(error)
    label = f"（{what}）" if what else ""
    raise GenerationFailed(
        f"继续生成没有得到完整可用的内容{label}：{last_error}。您的请求已保存，可以重新生成。 / "
        f"Continuing did not produce usable content{(' (' + what + ')') if what else ''}; your request is saved — regenerate instead."
    )


def _short_error(error: Exception) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        location = ".".join(str(part) for part in first["loc"]) or "整体"
        return f"{location}: {first['msg']}"
    return str(error)[:200]
