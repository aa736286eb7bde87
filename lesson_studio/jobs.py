"""Model work runs in a process-wide worker, never in a Streamlit script run.

Streamlit re-runs a page on every click and interrupts it, so a page only submits a job and polls
it. What a job needs is saved first (the request, or the refinement with its base version); the
job row is unique per idempotency key, so a double click, a rerun or a second tab gets the same
job and never a second model call. One worker per backend serialises calls (the embedded model
can only run one at a time anyway); waiting jobs know their place in the queue.

Two kinds of job share the machinery: a generation (request -> first version, saved when done)
and a refinement (a saved version -> a proposal the teacher reviews as a diff, saved on accept).
What a job does is its `work`, given at submit (lesson_studio.pipeline makes it): the runner knows
no resource type and calls nothing back; it saves the request, queues, runs, reports progress,
cancels and records the outcome.

Each job row names the process that runs it ("host:pid:token") and that process touches its jobs'
heartbeat every HEARTBEAT_S. Another process (a CLI command, a second app replica) fails a job only
when its process is gone: no heartbeat for ORPHAN_AFTER, or a process id on this machine that no
longer exists. Cancel works from any process and on queued jobs at once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from pydantic import BaseModel

from lesson_studio.authoring.generate import Cancelled, GenerationResult, PlanProgress, PlanSections
from lesson_studio.errors import StudioError
from lesson_studio.llm.base import ChatBackend
from lesson_studio.llm.notices import Notice, notices_to
from lesson_studio.llm.remedies import CONTINUE, REGENERATE, RETRY_LATER, remedy_for
from lesson_studio.llm.routing import sticky_route
from lesson_studio.models import LessonPlan, User
from lesson_studio.pipeline import Generated, JobContext
from lesson_studio.progress import ProgressFigures, SectionTimes, figures
from lesson_studio.store import RefinementRecord, Store

GenerationWork = Callable[[JobContext], Generated]  # saves the version it made
RefinementWork = Callable[[JobContext], BaseModel]  # returns the proposal
FINISHED = ("done", "failed", "cancelled")
logger = logging.getLogger(__name__)
HEARTBEAT_S = 10.0
ORPHAN_AFTER = timedelta(seconds=60)  # six missed heartbeats: the process is gone


def process_id() -> str:
    """This process, as job rows name their owner: host, pid and a token (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_is_gone(owner: str) -> bool:
    """True for a process on this machine that no longer exists. Another machine's processes are
    judged by their heartbeat alone."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # exists, owned by another user
        return False
    return False


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
    proposal: LessonPlan | None = None  # refinements: the plan to review before saving
    notice: Notice | None = None  # what the backend is doing about a fault ("服务繁忙，正在重试")
    partial: PlanSections | None = None  # a generation that did not finish: the sections it kept
    offers: tuple[str, ...] = ()  # after a failure: what the page offers (llm.remedies), in order
    cancelling: bool = False  # cancel was asked for; the model stops at its next piece
    figures: ProgressFigures | None = None  # sections done / total, elapsed, estimated time left


@dataclass
class _LiveJob:
    key: str  # "generation:12" or "refinement:3"
    user: User
    backend_id: str
    queue: str = ""  # the model this job waits for (two tasks routed to one model share a queue)
    status: str = "queued"
    cancel: threading.Event = field(default_factory=threading.Event)
    progress: PlanProgress | None = None
    result: GenerationResult | None = None
    notice: Notice | None = None
    kept: bool = False  # some sections were saved to the job (so there is something to continue)
    started_at: float = 0.0  # when it began running (time.monotonic)
    last_section_at: float = 0.0
    kept_at_start: int = 0  # sections a continued job already had


class JobRunner:
    def __init__(
        self,
        store: Store,
        backend_for: Callable[[str], ChatBackend],
        *,
        queue_for: Callable[[str], str] | None = None,
        workers_for: Callable[[str], int] | None = None,
    ):
        """backend_for, queue_for and workers_for come from the backend registry
        (llm.registry.Backends): which model a job calls, which queue it waits in, how many run."""
        self.store = store
        self.backend_for = backend_for
        self.queue_for = queue_for or (lambda backend_id: backend_id)
        # Jobs a model runs at once: 1 for the embedded model (two generations on two cores thrash),
        # a remote backend's `concurrency` setting for a provider that serves many.
        self.workers_for = workers_for or (lambda queue: 1)
        self._lock = threading.Lock()
        self._live: dict[str, _LiveJob] = {}
        self._queues: dict[str, list[str]] = {}
        self._executors: dict[str, ThreadPoolExecutor] = {}
        self.owner = process_id()
        self.section_times = SectionTimes()  # this machine's measured seconds per section, per model
        self._heartbeat: threading.Thread | None = None
        self._stopping = threading.Event()

    def fail_orphans(self) -> int:
        """Fail the jobs whose process is gone (at start-up, and with every heartbeat)."""
        return self.store.fail_orphaned_jobs(me=self.owner, stale_after=ORPHAN_AFTER, gone=owner_is_gone)

    def close(self) -> None:
        self._stopping.set()

    def _ensure_heartbeat(self) -> None:
        """Beats while this process has unfinished jobs (the caller holds self._lock): a CLI command
        that runs none starts no thread, and an idle app keeps none."""
        if self._heartbeat is None or not self._heartbeat.is_alive():
            self._heartbeat = threading.Thread(target=self._beat, name="lesson-job-heartbeat", daemon=True)
            self._heartbeat.start()

    def _beat(self) -> None:
        while not self._stopping.wait(HEARTBEAT_S):
            with self._lock:
                if not any(live.status in ("queued", "running") for live in self._live.values()):
                    self._heartbeat = None
                    return
            try:
                for kind, job_id in self.store.heartbeat(self.owner):  # cancels asked for elsewhere
                    self._cancel(f"{kind}:{job_id}")
                self.fail_orphans()
            except Exception:  # noqa: BLE001 - a beat that fails (database busy or gone) must not end the beating
                logger.exception("job heartbeat failed; trying again in %s s", HEARTBEAT_S)

    # --- generation ------------------------------------------------------------------------------

    def submit(
        self,
        user: User,
        request: BaseModel,
        *,
        idempotency_key: str,
        backend_id: str,
        work: GenerationWork,
        resource_type: str = "lesson_plan",
        kept: PlanSections | None = None,
    ) -> int:
        """Save the request, then start its job once; later calls return the same job id.
        `kept`: the sections a failed run finished, which the work continues from (继续生成)."""
        request_id = self.store.save_request(user, request, idempotency_key, resource_type=resource_type)
        with self._lock:
            job, created = self.store.create_job(user, request_id, backend_id, owner=self.owner)
            if created:
                self._start(f"generation:{job.id}", user, backend_id, lambda live: self._generate(live, job.id, request_id, work, kept))
        return job.id

    def view(self, user: User, job_id: int) -> JobView:
        record = self.store.get_job(user, job_id)  # authorization happens here
        live, position = self._live_state(f"generation:{job_id}")
        if live is None and record.status in ("queued", "running") and record.owner != self.owner and self.fail_orphans():
            record = self.store.get_job(user, job_id)  # its process is gone: now failed, with 重试 offered
        status = live.status if live and record.status in ("queued", "running") else record.status
        partial = None
        if status in ("failed", "cancelled") and record.partial_json:
            partial = PlanSections.model_validate_json(record.partial_json)
            if not partial.kept_anything():
                partial = None
        offers: tuple[str, ...] = ()
        if status in ("failed", "cancelled"):
            # A restart leaves no recorded offers: continue what was kept, or start again.
            offers = tuple(filter(None, record.offers.split(","))) or ((CONTINUE,) if partial else ()) + (REGENERATE,)
            if partial is None:
                offers = tuple(offer for offer in offers if offer != CONTINUE) or (REGENERATE,)
        return JobView(
            id=job_id,
            status=status,
            error=record.error,
            progress=live.progress if live else None,
            draft_id=record.draft_id,
            version_id=record.version_id,
            queue_position=position,
            result=live.result if live else None,
            notice=live.notice if live and status == "running" else None,
            partial=partial,
            offers=offers,
            cancelling=status == "running" and (record.cancel_requested or bool(live and live.cancel.is_set())),
            figures=self._figures(live) if live and status == "running" else None,
        )

    def _figures(self, live: _LiveJob) -> ProgressFigures | None:
        progress = live.progress
        if progress is None or not live.started_at:
            return None
        total, done = progress.sections_total(), progress.sections_done()
        # The time left is estimated from what this run wrote, not from what a continued job kept.
        estimate = figures(
            done - live.kept_at_start, total - live.kept_at_start, live.started_at,
            typical_section_s=self.section_times.typical(live.queue),
        )
        return ProgressFigures(done, total, estimate.elapsed_s, estimate.remaining_s)

    def cancel(self, user: User, job_id: int) -> None:
        """Stop a job: a queued one is cancelled at once, a running one stops at its next piece
        (its view says 正在取消 meanwhile). Works for a job another process runs."""
        self.store.get_job(user, job_id)  # authorization
        self._cancel_everywhere("generation", job_id)

    def wait(self, user: User, job_id: int, timeout: float | None = None) -> JobView:
        """Block until the job finishes (CLI, tests); pages poll view() instead."""
        self._wait(f"generation:{job_id}", timeout)
        return self.view(user, job_id)

    # --- refinement ------------------------------------------------------------------------------

    def submit_refinement(
        self,
        user: User,
        *,
        idempotency_key: str,
        draft_id: int,
        base_version_id: int,
        kind: str,
        payload: dict,
        backend_id: str,
        work: Callable[[RefinementRecord], RefinementWork],
    ) -> int:
        """Save the refinement, then start its job once. work(record) is the job's work."""
        record, created = self.store.create_refinement(
            user,
            idempotency_key=idempotency_key,
            draft_id=draft_id,
            base_version_id=base_version_id,
            kind=kind,
            payload=payload,
            backend=backend_id,
            owner=self.owner,
        )
        if created:
            with self._lock:
                self._start(f"refinement:{record.id}", user, backend_id, lambda live: self._refine(live, record.id, work(record)))
        return record.id

    def refinement_view(self, user: User, refinement_id: int) -> JobView:
        record = self.store.get_refinement(user, refinement_id)
        live, position = self._live_state(f"refinement:{refinement_id}")
        status = live.status if live and record.status in ("queued", "running") else record.status
        return JobView(
            id=refinement_id,
            status=status,
            error=record.error,
            progress=live.progress if live else None,
            draft_id=record.draft_id,
            version_id=record.version_id,
            queue_position=position,
            proposal=record.result,
            notice=live.notice if live and status == "running" else None,
            cancelling=status == "running" and bool(live and live.cancel.is_set()),
        )

    def cancel_refinement(self, user: User, refinement_id: int) -> None:
        self.store.get_refinement(user, refinement_id)  # authorization
        self._cancel_everywhere("refinement", refinement_id)

    def wait_refinement(self, user: User, refinement_id: int, timeout: float | None = None) -> JobView:
        self._wait(f"refinement:{refinement_id}", timeout)
        return self.refinement_view(user, refinement_id)

    # --- machinery -------------------------------------------------------------------------------

    def _start(self, key: str, user: User, backend_id: str, work: Callable[[_LiveJob], None]) -> None:
        """Register and queue a job; the caller holds self._lock."""
        self._ensure_heartbeat()
        queue = self.queue_for(backend_id)
        live = _LiveJob(key=key, user=user, backend_id=backend_id, queue=queue)
        self._live[key] = live
        self._queues.setdefault(queue, []).append(key)
        if queue not in self._executors:
            self._executors[queue] = ThreadPoolExecutor(
                max_workers=max(1, self.workers_for(queue)), thread_name_prefix=f"lesson-job-{queue}"
            )
        executor = self._executors[queue]
        executor.submit(self._run, live, work)

    def _live_state(self, key: str) -> tuple[_LiveJob | None, int]:
        with self._lock:
            live = self._live.get(key)
            position = 0
            if live and live.status == "queued":
                queue = self._queues.get(live.queue, [])
                running = sum(
                    1 for other in self._live.values() if other.queue == live.queue and other.status == "running"
                )
                # Jobs ahead of this one that hold or wait for one of the queue's workers.
                ahead = (queue.index(key) if key in queue else 0) + running
                position = max(1, ahead - max(1, self.workers_for(live.queue)) + 1)
        return live, position

    def _cancel_everywhere(self, kind: str, job_id: int) -> None:
        key = f"{kind}:{job_id}"
        with self._lock:
            live = self._live.get(key)
            if live is not None and live.status == "queued":
                # Out of the queue now: the page must not keep showing it as waiting.
                queue = self._queues.get(live.queue, [])
                if key in queue:
                    queue.remove(key)
                live.status = "cancelled"
                live.cancel.set()
        # In the database for every process: queued -> cancelled at once; running -> asked to stop.
        self.store.request_cancel(kind, job_id)
        self._cancel(key)

    def _cancel(self, key: str) -> None:
        with self._lock:
            live = self._live.get(key)
        if live:
            live.cancel.set()

    def _wait(self, key: str, timeout: float | None) -> None:
        with self._lock:
            live = self._live.get(key)
        if live is None:
            return
        pause = threading.Event()
        waited = 0.0
        while live.status not in FINISHED and (timeout is None or waited < timeout):
            pause.wait(0.05)
            waited += 0.05

    def _run(self, live: _LiveJob, work: Callable[[_LiveJob], None]) -> None:
        with self._lock:
            queue = self._queues.get(live.queue, [])
            if live.key in queue:
                queue.remove(live.key)
        kind, _, raw_id = live.key.partition(":")
        update = self.store.update_job if kind == "generation" else self.store.update_refinement
        status, cancel_requested = self.store.job_state(kind, int(raw_id))
        if status == "cancelled" or live.status == "cancelled":  # cancelled while it waited
            live.status = "cancelled"
            return
        try:
            if live.cancel.is_set() or cancel_requested:
                raise Cancelled()
            live.status = "running"
            update(int(raw_id), status="running")
            work(live)
            live.status = "done"
        except Cancelled as cancelled:
            update(int(raw_id), status="cancelled", error=str(cancelled), **self._offers(kind, live, cancelled))
            live.status = "cancelled"
        except StudioError as error:
            update(int(raw_id), status="failed", error=str(error), **self._offers(kind, live, error))
            live.status = "failed"
        except Exception as error:  # a bug: keep what was saved, tell the teacher, keep the detail
            update(int(raw_id), status="failed", error=f"内部错误：{type(error).__name__}: {error} / Internal error")
            live.status = "failed"

    @staticmethod
    def _offers(kind: str, live: _LiveJob, error: StudioError) -> dict[str, str]:
        """What the teacher may do next (generation jobs; a refinement's proposal is simply closed)."""
        if kind != "generation":
            return {}
        if isinstance(error, Cancelled):
            offers: tuple[str, ...] = ((CONTINUE,) if live.kept else ()) + (REGENERATE,)
        else:
            offers = remedy_for(error, kept=live.kept).offers or (RETRY_LATER,)
            if not live.kept:
                offers = tuple(offer for offer in offers if offer != CONTINUE) or (REGENERATE,)
        return {"offers": ",".join(offers)}

    def _context(self, live: _LiveJob, job_id: int, request_id: int | None = None) -> JobContext:
        def on_progress(progress: object) -> None:
            live.progress = progress  # type: ignore[assignment]
            live.notice = None  # text flows again: the fault the notice spoke of is over

        def on_section(sections: PlanSections) -> None:
            # After every section, so a failure, a cancel or a restart keeps what had arrived.
            self.store.update_job(job_id, partial_json=sections.model_dump_json())
            live.kept = sections.kept_anything()
            now = time.monotonic()
            if live.last_section_at:
                self.section_times.add(live.queue, now - live.last_section_at)
            live.last_section_at = now

        return JobContext(
            user=live.user,
            backend=self.backend_for(live.backend_id),
            cancel=live.cancel,
            on_progress=on_progress,
            on_section=on_section,
            job_id=job_id,
            request_id=request_id,
        )

    def _generate(
        self, live: _LiveJob, job_id: int, request_id: int, work: GenerationWork, kept: PlanSections | None
    ) -> None:
        def on_notice(notice: Notice) -> None:
            live.notice = notice

        job = self._context(live, job_id, request_id)
        live.started_at = live.last_section_at = time.monotonic()
        if kept is not None:
            job.on_section(kept)
            live.last_section_at = time.monotonic()
            live.kept_at_start = kept.count()
        # sticky_route: a document is several calls; once one backend has written, the rest is its too.
        with notices_to(on_notice), sticky_route():
            generated = work(job)
        live.result = generated.result
        self.store.update_job(job_id, status="done", draft_id=generated.version.draft_id, version_id=generated.version.id)

    def _refine(self, live: _LiveJob, refinement_id: int, work: RefinementWork) -> None:
        rejected_links = 0

        def on_notice(notice: Notice) -> None:
            nonlocal rejected_links
            live.notice = notice
            rejected_links += notice.kind == "links_rejected"

        job = self._context(live, refinement_id)
        job.on_section = lambda sections: None  # a proposal is kept whole or not at all
        with notices_to(on_notice), sticky_route():
            proposal = work(job)
        if rejected_links:
            self.store.record_event(live.user, "links_rejected", f"refinement:{refinement_id}:{rejected_links}")
        # The version will name the backend that really answered, not the task's route ("task:refine").
        self.store.update_refinement(
            refinement_id, status="done", result_json=proposal.model_dump_json(), backend=job.backend.id
        )
