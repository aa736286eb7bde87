"""What a backend says while it works around a fault: "服务繁忙，正在重试", "改用备用模型".

The job layer listens with `with notices_to(callback): ...` around a generation; the backends call
notify() from the same thread (the one that iterates the stream, i.e. the job's worker thread).
Nobody listening is fine: notices are information, never control. A notice is current until text
flows again (the next progress report) or another notice replaces it.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Notice:
    kind: str  # "retrying" (服务繁忙，正在重试) | "fallback" (改用备用模型) | "fewer_passages" (减少参考资料重试) | "links_rejected" (退回了含链接或图片的部分)
    message: str  # for the teacher, Chinese / English
    backend_id: str
    wait_s: float = 0.0  # how long the backend waits before the next attempt
    detail: str = ""  # the provider's words, for the admin


Listener = Callable[[Notice], None]
_listener: contextvars.ContextVar[Listener | None] = contextvars.ContextVar("lesson_studio_llm_notices", default=None)


@contextmanager
def notices_to(listener: Listener) -> Iterator[None]:
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)


def notify(notice: Notice) -> None:
    listener = _listener.get()
    if listener is not None:
        listener(notice)
