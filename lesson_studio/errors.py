"""Errors whose message is meant for the user.

Pages catch only StudioError and show str(error); anything else is a bug and must surface in tests.
Messages are Chinese first, with English after " / " so the English UI can show them too.
"""

from __future__ import annotations


class StudioError(Exception):
    """An error a teacher, lead or admin can act on; str() is the message to show."""


class InvalidInput(StudioError):
    """A request, file or field was rejected; the message names it and the reason."""


class NotAllowed(StudioError):
    """The acting user's role does not permit this action."""


class NotFound(StudioError):
    """The named draft, version or document does not exist (or is not visible to the user)."""


class StoreBusy(StudioError):
    """The database could not take the write in time (locked, or the server unreachable); nothing changed."""


class StaleVersion(StudioError):
    """A save was based on a version that is no longer the newest: someone saved in between.

    `head_version_id` is the newest version; the caller shows the difference and offers to merge
    or to save the edit as a new version on top of it."""

    def __init__(self, message: str, *, draft_id: int, base_version_id: int, head_version_id: int) -> None:
        super().__init__(message)
        self.draft_id = draft_id
        self.base_version_id = base_version_id
        self.head_version_id = head_version_id


class SignInFailed(StudioError):
    """Wrong name or password, a locked or disabled account; the message says which and what to do."""


class SessionEnded(StudioError):
    """The signed-in account was disabled, or its password changed elsewhere: sign in again."""


class NeedsKey(StudioError):
    """A remote backend has no API key configured."""


class ModelUnavailable(StudioError):
    """The model could not be loaded or reached."""


class GenerationFailed(StudioError):
    """The model answered, but not with usable content (after one repair attempt)."""


class LibraryError(StudioError):
    """A library document could not be ingested or searched."""


# --- Model provider faults -------------------------------------------------------------------------
# str() is for the teacher (what happened, that the request is kept, what to do next); `detail`
# keeps the provider's own words (status, code, message; keys masked) for the admin page and logs.


class BackendFault(StudioError):
    """A model provider failed in an ordinary way; the teacher's message plus the admin's detail."""

    default_message = "模型服务出了问题，您的请求已保存，请稍后重试。 / The model service had a problem; your request is saved — try again later."

    def __init__(self, message: str = "", *, detail: str = "", backend_id: str = "", partial: str = "") -> None:
        super().__init__(message or self.default_message)
        self.detail = detail  # provider status / code / message, never a key
        self.backend_id = backend_id
        self.partial = partial  # text that had already streamed when the fault happened


class BackendUnreachable(BackendFault, ModelUnavailable):
    """Nothing answered at the backend's address (connection refused, unknown host)."""

    default_message = (
        "连接不上模型服务，您的请求已保存；请稍后重试，若一直如此请联系管理员检查服务地址。 / "
        "Could not connect to the model service; your request is saved — retry later, or ask the admin to check its address."
    )


class BackendTimeout(BackendFault, ModelUnavailable):
    """The backend did not answer within the app's own deadline."""

    default_message = (
        "模型服务长时间没有回应，已停止等待；您的请求已保存，请稍后重试。 / "
        "The model service did not answer in time; stopped waiting. Your request is saved — try again later."
    )


class RateLimited(BackendFault, ModelUnavailable):
    """Too many requests (HTTP 429, Qianfan 336501/336502/17/18), still so after the allowed retries."""

    default_message = (
        "模型服务繁忙（请求太多），重试后仍未成功；您的请求已保存，请过几分钟再试。 / "
        "The model service is busy (too many requests) and retrying did not help; your request is saved — try again in a few minutes."
    )


class QuotaSpent(RateLimited):
    """The account's quota is used up (OpenAI insufficient_quota, Qianfan 17/19): waiting cannot help."""

    default_message = (
        "模型服务的调用额度已用完，等待重试也没有用，请联系管理员。您的请求已保存。 / "
        "The model service's quota is used up; waiting will not help — please contact the admin. Your request is saved."
    )


class ServerFailed(BackendFault, ModelUnavailable):
    """The provider kept failing on its side (HTTP 5xx, a dropped connection), after retries with backoff."""

    default_message = (
        "模型服务暂时出错，重试后仍未成功；您的请求已保存，请稍后再试。 / "
        "The model service is failing on its side and retrying did not help; your request is saved — try again later."
    )


class AuthFailed(BackendFault, ModelUnavailable):
    """The provider refused the key or its permissions (401/403, Qianfan 110/111); retrying cannot help."""

    default_message = (
        "模型服务拒绝了访问（密钥无效、过期或没有权限），请联系管理员。您的请求已保存。 / "
        "The model service refused access (key invalid, expired or without permission) — please contact the admin. Your request is saved."
    )


class BackendRejected(BackendFault, ModelUnavailable):
    """The provider rejected the request itself (an unknown model, a bad parameter): a configuration matter."""

    default_message = (
        "模型服务拒绝了这次请求（可能是模型名称或参数配置有误），请联系管理员。您的请求已保存。 / "
        "The model service rejected the request (the model name or a setting may be wrong) — please contact the admin. Your request is saved."
    )


class UnexpectedResponse(BackendFault, ModelUnavailable):
    """Something other than a model answered (an HTML login or error page with status 200)."""

    default_message = (
        "模型服务地址返回的是网页而不是模型的回答（地址可能配置错误，或网络需要登录），请联系管理员。您的请求已保存。 / "
        "The model address answered with a web page instead of the model (wrong address, or a network login page) — please contact the admin. Your request is saved."
    )


class ContextTooLong(BackendFault, GenerationFailed):
    """The prompt exceeds the model's context window; the caller can retry with fewer passages."""

    default_message = (
        "给模型的资料太长，超出了它一次能读的长度；请减少参考资料或缩短要求后再试。 / "
        "The prompt is longer than the model can read at once; use fewer reference passages or a shorter request."
    )


class ContentFiltered(BackendFault, GenerationFailed):
    """The provider's content moderation blocked the request or the answer; retrying the same text will not help."""

    default_message = (
        "模型服务的内容审核拦截了这次生成；请换一种说法（例如调整主题或材料的用词）后再试。 / "
        "The provider's content moderation blocked this generation; rephrase the topic or materials and try again."
    )


class Truncated(BackendFault, GenerationFailed):
    """The answer stopped at the length limit (finish_reason=length); `partial` holds what came."""

    default_message = (
        "内容达到长度上限被截断了，可以点“继续生成”接着写。 / "
        "The answer reached the length limit and was cut off; use 继续生成 (continue) to go on."
    )


class IncompleteStream(BackendFault, GenerationFailed):
    """The stream broke off before its end; what arrived (`partial`) must never be saved as finished."""

    default_message = (
        "模型的回答中途断开了，内容不完整，没有保存为新版本；可以保留已生成的部分，或重新生成。 / "
        "The model's answer broke off midway and is incomplete; it was not saved as a version — keep the partial text or regenerate."
    )
