"""What the teacher is offered after a fault that the app could not work around by itself.

The backends retry what retrying can cure (429, 5xx, a drop before any text) and generate_plan
retries a too-long prompt once with fewer passages; what is left is the teacher's choice, and
`remedy_for(error)` says which choices make sense: a stream cut off midway offers keeping the
partial text or regenerating; an answer cut at the length limit offers 继续生成; a refused key
offers nothing but "contact the admin"; a content filter offers rephrasing, never a retry loop.
Pages render the offers; they decide nothing. str(error) stays the message to show.
"""

from __future__ import annotations

from dataclasses import dataclass

from lesson_studio.errors import (
    AuthFailed,
    BackendFault,
    BackendRejected,
    BackendTimeout,
    BackendUnreachable,
    ContentFiltered,
    ContextTooLong,
    GenerationFailed,
    IncompleteStream,
    InvalidInput,
    ModelUnavailable,
    NeedsKey,
    NotAllowed,
    NotFound,
    QuotaSpent,
    RateLimited,
    ServerFailed,
    Truncated,
    UnexpectedResponse,
)

# What a page may offer; each is a button or a line of text there.
KEEP_PARTIAL = "keep_partial"  # 保留已生成的部分 (shown and kept, never saved as a finished version)
REGENERATE = "regenerate"  # 重新生成 (the saved request, again, from scratch)
CONTINUE = "continue"  # 继续生成 (write only what is missing; within a cut section: continue_structured)
RETRY_LATER = "retry_later"  # 稍后重试 (the same request; the provider may recover)
REPHRASE = "rephrase"  # 修改要求 (back to the form: the same words would meet the same answer)
CONTACT_ADMIN = "contact_admin"  # 请联系管理员 (a key, an address, a model name: not the teacher's to fix)


@dataclass(frozen=True)
class Remedy:
    kind: str  # incomplete | truncated | busy | quota | unreachable | timeout | failing | refused
    #            | rejected | not_a_model | filtered | too_long | no_key | unusable | input | other
    offers: tuple[str, ...]  # in the order a page shows them; the first is the suggested one
    partial: str = ""  # text that had streamed before the fault (IncompleteStream, Truncated)


def remedy_for(error: BaseException, *, kept: bool = False) -> Remedy:
    """The kind of failure and what to offer the teacher; str(error) remains the message to show.

    `kept`: the caller holds earlier output of the same job (a plan's finished sections), so there
    is something to keep or continue even when this call's own partial text is empty.
    """
    partial = getattr(error, "partial", "") if isinstance(error, BackendFault) else ""
    for cls, kind, offers in _TABLE:
        if isinstance(error, cls):
            if kind in ("incomplete", "truncated") and not (partial or kept):  # nothing arrived: nothing to keep
                offers = tuple(offer for offer in offers if offer not in (KEEP_PARTIAL, CONTINUE)) or (REGENERATE,)
            return Remedy(kind, offers, partial)
    return Remedy("other", (RETRY_LATER,), partial)


# First match wins: subclasses before their bases.
_TABLE: tuple[tuple[type[BaseException], str, tuple[str, ...]], ...] = (
    (IncompleteStream, "incomplete", (KEEP_PARTIAL, CONTINUE, REGENERATE)),
    (Truncated, "truncated", (CONTINUE, KEEP_PARTIAL, REGENERATE)),
    (ContentFiltered, "filtered", (REPHRASE,)),
    (ContextTooLong, "too_long", (REPHRASE, CONTACT_ADMIN)),
    (AuthFailed, "refused", (CONTACT_ADMIN,)),
    (BackendRejected, "rejected", (CONTACT_ADMIN,)),
    (UnexpectedResponse, "not_a_model", (CONTACT_ADMIN, RETRY_LATER)),
    (QuotaSpent, "quota", (CONTACT_ADMIN,)),
    (RateLimited, "busy", (RETRY_LATER,)),
    (BackendUnreachable, "unreachable", (RETRY_LATER, CONTACT_ADMIN)),
    (BackendTimeout, "timeout", (RETRY_LATER,)),
    (ServerFailed, "failing", (RETRY_LATER,)),
    (NeedsKey, "no_key", (CONTACT_ADMIN,)),
    (ModelUnavailable, "unreachable", (CONTACT_ADMIN,)),  # the embedded model could not load
    (GenerationFailed, "unusable", (REGENERATE,)),  # malformed twice: another run usually works
    (InvalidInput, "input", (REPHRASE,)),
    (NotAllowed, "input", ()),
    (NotFound, "input", ()),
)
