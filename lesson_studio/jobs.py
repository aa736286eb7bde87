"""Generation runs in a process-wide worker, never in a Streamlit script run.

Streamlit re-runs a page on every click and interrupts it, so a page only submits a job and polls
it. The request is saved first; the job row is unique per request, so a double click, a rerun or a
second tab gets the same job and never a second model call. One worker per backend serialises
calls (the embedded model can only run one at a time anyway); waiting jobs know their place.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from lesson_studio.authoring.generate import Cancelled, GenerationResult, PlanProgress, generate_plan
from lesson_studio.errors import StudioError
from lesson_studio.llm.base import ChatBackend
from lesson_studio.models import Hit, LessonRequest, User
from lesson_studio.store import Store


@dataclass
class JobView:
    """What a page needs to render a job."""

    id: int
    status: str  # queued | running | done | failed | cancelled
    error: str = ""
    progress: PlanProgress | None = None
    draft_id: int | None = None
    version_id: int | None = None
    queue_position: int = 0  # 0: running or finished; n: n jobs ahead of it
    result: GenerationResult | None = None


@dataclass
class _LiveJob:
    id: int
    user: User
    backend_id: str
    status: str = "queued"
    cancel: threading.Event = field(default_factory=threading.Event)
    progress: PlanProgress | None = None
    result: GenerationResult | None = None


class JobRunner:
    def __init__(
        self,
        store: Store,
        backend_for: Callable[[str], ChatBackend],
        retriever: Callable[[User, LessonRequest], list[Hit]] | None = None,
    ):
        self.store = store
        self.backend_for = backend_for
        self.retriever = retriever
        self._lock = threading.Lock()
        self._live: dict[int, _LiveJob] = {}
        self._queues: dict[str, list[int]] = {}
        self._executors: dict[str, ThreadPoolExecutor] = {}

    def submit(self, user: User, request: LessonRequest, *, idempotency_key: str, backend_id: str) -> int:
        """Save the request, then start its job once; later calls return the same job id."""
        request_id = self.store.save_request(user, request, idempotency_key)
        with self._lock:
            job, created = self.store.create_job(user, request_id, backend_id)
            if created:
                live = _LiveJob(id=job.id, user=user, backend_id=backend_id)
                self._live[job.id] = live
                self._queues.setdefault(backend_id, []).append(job.id)
                executor = self._executors.setdefault(
                    backend_id, ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"lesson-job-{backend_id}")
                )
                executor.submit(self._run, live, request, request_id)
        return job.id

    def view(self, user: User, job_id: int) -> JobView:
        record = self.store.get_job(user, job_id)  # authorization happens here
        with self._lock:
            live = self._live.get(job_id)
            position = 0
            if live and live.status == "queued":
                queue = self._queues.get(live.backend_id, [])
                position = queue.index(job_id) if job_id in queue else 0
        status = live.status if live and record.status in ("queued", "running") else record.status
        return JobView(
            id=job_id,
            status=status,
            error=record.error,
            progress=live.progress if live else None,
            draft_id=record.draft_id,
            version_id=record.version_id,
            queue_position=position,
            result=live.result if live else None,
        )

    def cancel(self, user: User, job_id: int) -> None:
        self.store.get_job(user, job_id)  # authorization
        with self._lock:
            live = self._live.get(job_id)
        if live:
            live.cancel.set()

    def wait(self, user: User, job_id: int, timeout: float | None = None) -> JobView:
        """Block until the job finishes (CLI, tests); pages poll view() instead."""
        with self._lock:
            live = self._live.get(job_id)
        if live:
            finished = threading.Event()
            while not finished.wait(0.05):
                if live.status in ("done", "failed", "cancelled"):
                    break
                if timeout is not None:
                    timeout -= 0.05
                    if timeout <= 0:
                        break
        return self.view(user, job_id)

    def _run(self, live: _LiveJob, request: LessonRequest, request_id: int) -> None:
        with self._lock:
            queue = self._queues.get(live.backend_id, [])
            if live.id in queue:
                queue.remove(live.id)
        if live.cancel.is_set():
            self._finish(live, "cancelled", Cancelled().args[0])
            return
        live.status = "running"
        self.store.update_job(live.id, status="running")

        def on_progress(progress: PlanProgress) -> None:
            live.progress = progress

        try:
            backend = self.backend_for(live.backend_id)
            retriever = self.retriever
            result = generate_plan(
                request,
                backend=backend,
                retriever=(lambda req: retriever(live.user, req)) if retriever else None,
                on_progress=on_progress,
                cancel=live.cancel,
            )
            version = self.store.save_version(
                live.user,
                result.plan,
                request_id=request_id,
                backend=result.backend_id,
                prompt_hash=result.prompt_hash,
                note="模型生成 / generated",
            )
            live.result = result
            self.store.update_job(live.id, status="done", draft_id=version.draft_id, version_id=version.id)
            live.status = "done"
        except Cancelled as cancelled:
            self._finish(live, "cancelled", str(cancelled))
        except StudioError as error:
            self._finish(live, "failed", str(error))
        except Exception as error:  # a bug: keep the request, tell the teacher, keep the detail
            self._finish(live, "failed", f"内部错误：{type(error).__name__}: {error} / Internal error")

    def _finish(self, live: _LiveJob, status: str, error: str) -> None:
        self.store.update_job(live.id, status=status, error=error)
        live.status = status
