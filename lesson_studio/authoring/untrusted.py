"""Untrusted text on its way into a prompt and on its way out of the model.

In: library passages are fenced between FENCE_OPEN and FENCE_CLOSE. Every value that goes into
a prompt (passage text, title, heading, the teacher's request and refinement words) has anything
that could pass for a fence marker taken out first: invisible characters, and runs of two or more
angle-bracket-like characters (ASCII, full-width, spaced), which both markers need. The marker
words alone (资料结束) are harmless text.

Out: a section the model wrote must not hold an image or a link the teacher did not give. A
markdown image `![x](http://host/p.png?q=...)` is fetched by every viewer's browser, so a library
document that steers the model into writing one could send the teacher's notes anywhere. A URL
that appears verbatim in the teacher's own words is theirs and stays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel

FENCE_OPEN, FENCE_CLOSE = "<<<资料", "资料结束>>>"

# Zero-width and other format characters (and fillers that render as nothing) carry no meaning
# in a lesson plan; left in, "资料结束>\u200b>>" reads as the closing marker to a model.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]"
)
_OPENERS = "<\uff1c\ufe64\u2039\u3008\u2329\u27e8\u276e\u300a\u00ab\u226a\u22d8\u27ea"  # < ＜ ﹤ ‹ 〈 〈 ⟨ ❮ 《 « ≪ ⋘ ⟪
_CLOSERS = ">\uff1e\ufe65\u203a\u3009\u232a\u27e9\u276f\u300b\u00bb\u226b\u22d9\u27eb"  # > ＞ ﹥ › 〉 〉 ⟩ ❯ 》 » ≫ ⋙ ⟫
_DOUBLES = "\u00ab\u00bb\u226a\u226b\u22d8\u22d9\u27ea\u27eb"  # « » ≪ ≫ ⋘ ⋙ ⟪ ⟫: one already looks like two
_BRACKET_RUN = re.compile(rf"[{_OPENERS}](?:\s*[{_OPENERS}])+|[{_CLOSERS}](?:\s*[{_CLOSERS}])+|[{_DOUBLES}]")


class Fenced(str):
    """Text whose fence markers are the fence's own (what fence_passages builds): render() leaves
    it as it is, and takes the markers out of every other value."""


def defuse(text: str) -> str:
    """`text` with nothing left that could open or close a passage fence."""
    text = _INVISIBLE.sub("", text)
    return _BRACKET_RUN.sub("", text)


# --- links and images in the model's output ---------------------------------------------------


@dataclass(frozen=True)
class Link:
    """An image or link found in a section; kind says which form it took."""

    kind: str
    text: str  # as written
    target: str  # the address it points to ("" when there is none to read)


# The end of an address: it stops at white space, quotes, brackets and Chinese text, so that
# "访问http://a.cn了解" keeps 了解 and removing the address keeps the sentence.
_ADDRESS_CHARS = r"[^\s\"'<>()\[\]{}\u3000-\u303f\u3400-\u9fff\uff00-\uffef]"
_SCHEME_URL = rf"(?<![a-z0-9+.\-])[a-z][a-z0-9+.\-]{{1,15}}://{_ADDRESS_CHARS}*"
_WWW = rf"(?<![a-z0-9.\-])www\.[a-z0-9\-]+(?:\.[a-z0-9\-]+)+{_ADDRESS_CHARS}*"
_FORMS: tuple[tuple[str, str], ...] = (
    ("markdown image", r"!\[[^\]\n]*\]\([^)\n]*\)|!\[[^\]\n]*\]\[[^\]\n]*\]"),
    ("html link", r"<\s*a\b[^>]*>.*?<\s*/\s*a\s*>"),
    ("html image", r"<\s*(?:img|image|picture|svg)\b[^>]*>?"),
    (
        "html element",
        r"<\s*/?\s*(?:a|iframe|frame|script|video|audio|source|embed|object|link|meta|base|style|form|input)\b[^>]*>?"
        r"|<\s*[a-z][a-z0-9]*\b[^>]*\b(?:src|href|srcset|poster|background|action|formaction)\s*=[^>]*>?"
        r"|<\s*[a-z][a-z0-9]*\b[^>]*url\s*\([^>]*>?",
    ),
    ("markdown link", r"\[[^\]\n]*\]\([^)\n]*\)"),
    ("link definition", r"(?m:^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*\S+)"),
    ("data uri", r"(?<![a-z0-9])data:[a-z0-9.+\-/;=]*,[^\s\"'<>()\]]*"),
    ("javascript", r"(?<![a-z])(?:javascript|vbscript)\s*:"),
    ("url", rf"{_SCHEME_URL}|{_WWW}"),
)
_LINKS = re.compile("|".join(f"(?P<f{n}>{pattern})" for n, (_, pattern) in enumerate(_FORMS)), re.I | re.S)
_HTML_TARGET = re.compile(r"\b(?:src|href)\s*=\s*[\"']?([^\"'\s>]+)", re.I)
_MARKDOWN_TARGET = re.compile(r"\]\(\s*<?([^)\s>]*)", re.I)
_MARKDOWN_LABEL = re.compile(r"^\[([^\]]*)\]")
_HTML_LABEL = re.compile(r"^<[^>]*>(.*?)<\s*/\s*a\s*>$", re.I | re.S)
_TAG = re.compile(r"<[^>]*>")
_EMPTY_BRACKETS = re.compile(r"（\s*）|\(\s*\)|【\s*】|\[\s*\]")
_ADDRESS = re.compile(rf"{_SCHEME_URL}|{_WWW}", re.I)


def find_links(text: str, given: str = "") -> list[Link]:
    """Images and links in `text` that the teacher did not give: an address that appears verbatim
    in `given` (the teacher's own words) is allowed; data: and javascript: never are."""
    return [link for link in _all_links(text) if not _is_given(link, given)]


def remove_links(text: str, given: str = "") -> str:
    """`text` without the images and links find_links reports: an image or an address goes, the
    words of a link stay (its label), and so does the text around them."""
    for _ in range(3):  # a link's label may hold another link
        cleaned = _LINKS.sub(lambda match: _replacement(match, given), text)
        if cleaned == text:
            break
        text = cleaned
    return _EMPTY_BRACKETS.sub("", text)


T = TypeVar("T", bound=BaseModel)


def links_in(draft: BaseModel, given: str = "") -> list[Link]:
    """find_links over every string of a section draft."""
    return [link for text in _strings(draft) for link in find_links(text, given)]


def without_links(draft: T, given: str = "") -> T:
    """The draft with remove_links applied to every string (no re-validation: text only shrinks)."""
    return _clean(draft, given)  # type: ignore[return-value]


def _all_links(text: str) -> list[Link]:
    links = []
    for match in _LINKS.finditer(text):
        kind = _FORMS[int(match.lastgroup[1:])][0]  # type: ignore[index]
        links.append(Link(kind, match.group(0), _target(kind, match.group(0))))
    return links


def _target(kind: str, written: str) -> str:
    if kind in ("markdown image", "markdown link"):
        found = _MARKDOWN_TARGET.search(written)
        return found.group(1) if found else ""
    if kind.startswith("html"):
        found = _HTML_TARGET.search(written)
        return found.group(1) if found else ""
    if kind == "link definition":
        return written.split(":", 1)[1].strip().strip("<>")
    return written


def _is_given(link: Link, given: str) -> bool:
    if link.kind in ("data uri", "javascript") or not link.target or not given:
        return False
    # Only an address counts: a relative target like "小熊" appears in many a topic.
    return _ADDRESS.fullmatch(link.target) is not None and link.target in given


def _replacement(match: re.Match[str], given: str) -> str:
    written = match.group(0)
    kind = _FORMS[int(match.lastgroup[1:])][0]  # type: ignore[index]
    if _is_given(Link(kind, written, _target(kind, written)), given):
        return written
    if kind == "markdown link":
        label = _MARKDOWN_LABEL.match(written)
        return label.group(1) if label else ""
    if kind == "html link":
        label = _HTML_LABEL.match(written)
        return _TAG.sub("", label.group(1)) if label else ""
    return ""


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, BaseModel):
        return [text for name in type(value).model_fields for text in _strings(getattr(value, name))]
    if isinstance(value, (list, tuple)):
        return [text for item in value for text in _strings(item)]
    return []


def _clean(value: object, given: str) -> object:
    if isinstance(value, str):
        return remove_links(value, given)
    if isinstance(value, BaseModel):
        return value.model_copy(update={name: _clean(getattr(value, name), given) for name in type(value).model_fields})
    if isinstance(value, list):
        return [_clean(item, given) for item in value]
    return value
