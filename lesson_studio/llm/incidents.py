"""The last few provider faults per backend, for the admin page ("admin sees the detail").

The teacher is told what to do (str of the fault); the provider's own words (status, code, message,
keys already masked by faults.mask) are kept here, in this process's memory only: a bounded list,
newest first, gone on restart. The log has the same lines for anything older.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

from lesson_studio.errors import BackendFault

KEPT_PER_BACKEND = 5


@dataclass(frozen=True)
class Incident:
    backend_id: str
    at: float  # time.time()
    kind: str  # the fault's class name: AuthFailed, RateLimited, ...
    message: str  # what the teacher was told (Chinese part)
    detail: str  # what the provider said, keys masked

    @property
    def when(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.at))


_recent: dict[str, deque[Incident]] = {}
_lock = threading.Lock()


def record(fault: BackendFault) -> None:
    incident = Incident(
        backend_id=fault.backend_id,
        at=time.time(),
        kind=type(fault).__name__,
        message=str(fault).split(" / ")[0],
        detail=fault.detail,
    )
    with _lock:
        _recent.setdefault(fault.backend_id, deque(maxlen=KEPT_PER_BACKEND)).appendleft(incident)


def recent(backend_id: str) -> tuple[Incident, ...]:
    """Newest first."""
    with _lock:
        return tuple(_recent.get(backend_id, ()))


def forget() -> None:
    """Tests start clean."""
    with _lock:
        _recent.clear()
