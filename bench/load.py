"""N simulated teachers on one installation, with a lead importing documents at the same time.

Each teacher: request -> generate (the loopback fake OpenAI-compatible server, streaming about 30
pieces/s, a share of its answers faulty) -> 继续生成/重新生成 when a job fails -> refine by chat ->
accept -> manual edit -> save -> export Word. Against the real store and library: SQLite and embedded
Chroma by default, PostgreSQL and a Chroma server when DATABASE_URL / LESSON_STUDIO_CHROMA_HOST say so.
Loops are bounded in count and time and reach only 127.0.0.1. Prints:

  versions acknowledged vs stored (equal), duplicate versions (0), lost edits (0), orphan chunks (0),
  errors by kind, app overhead p50/p95 around the model calls, save p95, export p95, memory growth.

    python bench/load.py                         # 50 teachers, 10% faults
    python bench/load.py --teachers 10 --fault-share 0.2
    DATABASE_URL=postgresql+psycopg://… LESSON_STUDIO_CHROMA_HOST=127.0.0.1 LESSON_STUDIO_CHROMA_PORT=… python bench/load.py
"""

from __future__ import annotations

import argparse
import collections
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lesson_studio import jobs as jobs_module  # noqa: E402
from lesson_studio.config import Settings  # noqa: E402
from lesson_studio.library.vectors import PIECE_SEPARATOR  # noqa: E402
from lesson_studio.llm.base import ChatBackend  # noqa: E402
from lesson_studio.models import LessonRequest  # noqa: E402
from lesson_studio.studio import Studio  # noqa: E402

# Faults a provider really gives, retried by the backend or surfaced to the teacher.
FAULTS = ["429:retry_after=1", "503", "500", "cut:after=3", "eof:after=3"]
TOPICS = ["给小熊做一顶戴得住的帽子", "用纸杯和吸管让乒乓球过小河", "把积木宝宝送回家", "帮小猫找回被风吹走的伞", "鞋柜前不再拥挤"]
BANDS, DOMAINS = ["小班", "中班", "大班"], ["健康", "语言", "社会", "科学", "艺术"]
JOB_TIMEOUT_S = 600.0


class TimedBackend(ChatBackend):
    """The configured backend, timed: each call's seconds are added to the job the worker thread runs."""

    def __init__(self, inner: ChatBackend, model_seconds: dict[int, float], current: threading.local):
        self.inner = inner
        self.id = inner.id
        self._model_seconds = model_seconds
        self._current = current

    def stream(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            yield from self.inner.stream(*args, **kwargs)
        finally:
            job = getattr(self._current, "job", None)
            if job is not None:
                self._model_seconds[job] = self._model_seconds.get(job, 0.0) + time.perf_counter() - started

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.inner, name)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], percent: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(percent / 100 * (len(ordered) - 1))))]


def start_fake_server(piece_delay: float) -> tuple[subprocess.Popen, int]:  # type: ignore[type-arg]
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "fake_openai_server.py"), "--port", str(port), "--piece-delay", str(piece_delay)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return server, port
        time.sleep(0.1)
    server.kill()
    raise SystemExit("the fake OpenAI-compatible server did not start")


def queue_faults(port: int, count: int, share: float, seed: int) -> int:
    import json
    import urllib.request

    rng = random.Random(seed)
    faults = [rng.choice(FAULTS) if rng.random() < share else "ok" for _ in range(count)]
    body = json.dumps({"faults": faults}).encode()
    urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/_fake/faults", data=body, method="POST"), timeout=10)
    return sum(fault != "ok" for fault in faults)


@dataclass
class LoadResult:
    acknowledged: int
    stored: int
    duplicates: int
    lost_edits: int
    orphan_chunks: int
    errors: dict[str, int]
    faults_seen: dict[str, int]

    @property
    def clean(self) -> bool:
        return self.acknowledged == self.stored and not (self.duplicates or self.lost_edits or self.orphan_chunks or self.errors)


def run(
    teachers: int, fault_share: float, piece_delay: float, concurrency: int, seed: int, ingest_docs: int
) -> LoadResult:
    server, port = start_fake_server(piece_delay)
    folder = Path(tempfile.mkdtemp(prefix="lesson-studio-load-"))
    backends = folder / "backends.toml"
    backends.write_text(
        f'[[backend]]\nid = "loadfake"\nname = "本机假服务器"\nbase_url = "http://127.0.0.1:{port}/v1"\nmodel = "fake-model"\n'
        f'key_env_var = ""\nretries = 2\nmax_retry_wait_s = 2\nconcurrency = {concurrency}\ndeadline_s = 120\n',
        encoding="utf-8",
    )
    settings = Settings.from_env(data_dir=folder / "data", backends_file=str(backends), backend="loadfake", starter_library=False)
    where = "PostgreSQL" if settings.database_url.startswith("postgresql") else "SQLite"
    where += " + Chroma server" if settings.chroma_host else " + embedded Chroma"
    studio = Studio(settings)
    injected = queue_faults(port, teachers * 16, fault_share, seed)

    # Instrumentation (bench only): which job a worker thread runs, and the model's seconds per job.
    current = threading.local()
    model_seconds: dict[int, float] = {}
    original_generate, original_backend = jobs_module.JobRunner._generate, studio.jobs.backend_for

    job_windows: dict[int, tuple[float, float]] = {}  # when each job ran on a worker (not waited in the queue)

    def generate_marked(self, live, job_id, *args, **kwargs):  # type: ignore[no-untyped-def]
        current.job = job_id
        began = time.perf_counter()
        try:
            return original_generate(self, live, job_id, *args, **kwargs)
        finally:
            current.job = None
            job_windows[job_id] = (began, time.perf_counter())

    jobs_module.JobRunner._generate = generate_marked  # type: ignore[method-assign]
    studio.jobs.backend_for = lambda backend_id: TimedBackend(original_backend(backend_id), model_seconds, current)

    lead = studio.store.ensure_user("load-lead", role="lead")
    users = [studio.store.ensure_user(f"load-teacher-{n}", display_name=f"老师{n}") for n in range(teachers)]
    lock = threading.Lock()
    errors: collections.Counter = collections.Counter()  # the app's own failures: must stay empty
    faults: collections.Counter = collections.Counter()  # the injected provider faults a teacher saw
    acknowledged: list[tuple[int, int, str]] = []  # (draft id, version id, what)
    edits: list[tuple[int, str]] = []  # (version id, the mark the teacher typed)
    overheads: list[float] = []
    queue_waits: list[float] = []
    saves: list[float] = []
    exports: list[float] = []
    ingested = collections.Counter()
    rss_before = rss_mb()
    started = time.perf_counter()

    def teacher(number: int) -> None:
        user = users[number]
        rng = random.Random(seed * 1000 + number)
        request = LessonRequest(
            age_band=rng.choice(BANDS), domain=rng.choice(DOMAINS), topic=rng.choice(TOPICS), minutes=20,
            materials=["纸杯", "吸管"],
        )
        try:
            submitted = time.perf_counter()
            job_id = studio.submit_generation(user, request, idempotency_key=f"load-{number}")
            view = studio.jobs.wait(user, job_id, timeout=JOB_TIMEOUT_S)
            for attempt in range(3):  # what the page offers after a fault: 继续生成, else 重新生成
                if view.status == "done":
                    break
                with lock:
                    faults[f"{view.status}: {view.error.split(' / ')[0][:24]}…"] += 1
                key = f"load-{number}-again-{attempt}"
                job_id = (
                    studio.resume_generation(user, job_id, idempotency_key=key)
                    if "continue" in view.offers
                    else studio.retry_generation(user, job_id, idempotency_key=key)
                )
                submitted = time.perf_counter()
                view = studio.jobs.wait(user, job_id, timeout=JOB_TIMEOUT_S)
            if view.status != "done":
                with lock:
                    errors["gave up after 3 retries"] += 1
                return
            began, ended = job_windows.get(job_id, (submitted, time.perf_counter()))
            with lock:
                # The app's own time around the model: retrieval, scaffold, prompts, validation and
                # saving, in the job's run — not the time it waited for a free provider slot.
                overheads.append(ended - began - model_seconds.get(job_id, 0.0))
                queue_waits.append(max(0.0, began - submitted))
                acknowledged.append((view.draft_id, view.version_id, "generated"))
            refinement = studio.submit_refinement(
                user, draft_id=view.draft_id, base_version_id=view.version_id, kind="chat",
                payload={"message": "导入更有趣一些"}, idempotency_key=f"load-{number}-chat",
            )
            done = studio.jobs.wait_refinement(user, refinement, timeout=JOB_TIMEOUT_S)
            head = view.version_id
            if done.status == "done":
                accepted = studio.accept_refinement(user, refinement)
                head = accepted.id
                with lock:
                    acknowledged.append((accepted.draft_id, accepted.id, "refined"))
            else:
                with lock:
                    faults[f"refinement {done.status}: {done.error.split(' / ')[0][:24]}…"] += 1
            mark = f"第{number}位老师手动改的重点"
            plan = studio.load_plan(user, head).model_copy(update={"key_point": mark})
            timer = time.perf_counter()
            saved = studio.save_edit(user, view.draft_id, plan, base_version_id=head, tab_id=f"tab-{number}")
            with lock:
                saves.append(time.perf_counter() - timer)
                acknowledged.append((saved.draft_id, saved.id, "edited"))
                edits.append((saved.id, mark))
            timer = time.perf_counter()
            data, _notice = studio.export_version_word(user, saved.id)
            with lock:
                exports.append(time.perf_counter() - timer)
            if not data.startswith(b"PK"):
                with lock:
                    errors["export not a .docx"] += 1
        except Exception as error:  # counted by kind: the figure that must stay 0
            with lock:
                errors[type(error).__name__ + ": " + str(error).split(" / ")[0][:60]] += 1

    def import_documents() -> None:
        for number in range(ingest_docs):
            path = folder / f"教研资料{number}.md"
            body = "\n\n".join(f"## 第{section}部分\n\n孩子们想办法解决问题{number}-{section}，教师观察并记录。" for section in range(40))
            path.write_text(f"# 教研资料{number}\n\n{body}\n", encoding="utf-8")
            try:
                report = studio.library.ingest(lead, [path])
                ingested["added"] += len(report.added)
                ingested["skipped"] += len(report.skipped)
            except Exception as error:
                with lock:
                    errors[f"ingest {type(error).__name__}"] += 1

    threads = [threading.Thread(target=teacher, args=(n,)) for n in range(teachers)]
    threads.append(threading.Thread(target=import_documents))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOB_TIMEOUT_S * 4)
    elapsed = time.perf_counter() - started
    if studio.grounding.library_loaded():
        studio.library.wait_for_embeddings(lead, timeout_s=300)

    stored, duplicates, lost, orphans = count_results(studio, acknowledged, edits, users)
    print(f"{teachers} teachers, {where}, fake server at ~{1 / piece_delay:.0f} pieces/s, {injected} of {teachers * 16} answers faulty"
          f" ({fault_share:.0%} asked), backend concurrency {concurrency}, 2 cores")
    print(f"  versions acknowledged {len(acknowledged)} / stored {stored} ({'equal' if stored == len(acknowledged) else 'DIFFERENT'})")
    print(f"  duplicate versions {duplicates}, lost edits {lost}, orphan chunks {orphans}")
    print("  errors by kind: " + (", ".join(f"{kind} ×{count}" for kind, count in errors.most_common()) or "0"))
    print("  provider faults the teachers saw (then 继续生成/重新生成): "
          + (", ".join(f"{kind} ×{count}" for kind, count in faults.most_common()) or "none"))
    print(f"  app overhead around the model calls per plan: p50 {statistics.median(overheads) * 1000 if overheads else 0:.0f} ms,"
          f" p95 {percentile(overheads, 95) * 1000:.0f} ms")
    print(f"  waiting for a free provider slot: p50 {statistics.median(queue_waits) if queue_waits else 0:.1f} s,"
          f" p95 {percentile(queue_waits, 95):.1f} s")
    print(f"  save p50 {statistics.median(saves) * 1000 if saves else 0:.0f} ms, p95 {percentile(saves, 95) * 1000:.0f} ms;"
          f" export p95 {percentile(exports, 95) * 1000:.0f} ms")
    print(f"  lead's import meanwhile: {ingested['added']} documents added, {ingested['skipped']} skipped")
    print(f"  memory {rss_before:.0f} MB -> {rss_mb():.0f} MB (+{rss_mb() - rss_before:.0f} MB); whole run {elapsed:.0f} s")
    server.terminate()
    server.wait(timeout=10)
    jobs_module.JobRunner._generate = original_generate  # type: ignore[method-assign]
    if studio.grounding.library_loaded():
        studio.library.close()
    return LoadResult(len(acknowledged), stored, duplicates, lost, orphans, dict(errors), dict(faults))


def count_results(studio: Studio, acknowledged, edits, users) -> tuple[int, int, int, int]:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from lesson_studio.store import drafts, library_chunks, library_versions, versions

    owner_ids = [user.id for user in users]
    with studio.store.engine.connect() as conn:
        stored = conn.execute(
            select(func.count()).select_from(versions).join(drafts, drafts.c.id == versions.c.draft_id).where(drafts.c.owner_id.in_(owner_ids))
        ).scalar()
        # A duplicate: one request with two plans, or one number twice in a plan.
        per_request = conn.execute(
            select(drafts.c.request_id, func.count()).where(drafts.c.owner_id.in_(owner_ids), drafts.c.request_id.is_not(None))
            .group_by(drafts.c.request_id)
        ).all()
        per_number = conn.execute(select(versions.c.draft_id, versions.c.number, func.count()).group_by(versions.c.draft_id, versions.c.number)).all()
        duplicates = sum(count - 1 for *_key, count in per_request if count > 1) + sum(count - 1 for *_key, count in per_number if count > 1)
        orphan_rows = conn.execute(
            select(func.count()).select_from(library_chunks)
            .outerjoin(library_versions, library_versions.c.id == library_chunks.c.version_id)
            .where(library_versions.c.id.is_(None) | library_versions.c.status.in_(("failed", "pending")))
        ).scalar()
        active_ids = set(conn.execute(
            select(library_chunks.c.id).join(library_versions, library_versions.c.id == library_chunks.c.version_id)
            .where(library_versions.c.status == "active")
        ).scalars())
    # A chunk's vectors are its sentence pieces, "<chunk id>#<piece>" (library.vectors.PIECE_SEPARATOR).
    piece_ids = studio.library.vectors.collection.get(include=[])["ids"] if studio.grounding.library_loaded() else []
    vector_ids = {piece_id.split(PIECE_SEPARATOR, 1)[0] for piece_id in piece_ids}
    # A lost edit: an acknowledged manual save whose version does not hold what the teacher typed.
    reader = studio.system_user()
    lost = sum(studio.store.get_version(reader, version_id)[1].key_point != mark for version_id, mark in edits)
    return int(stored), duplicates, lost, int(orphan_rows) + len(vector_ids - active_ids)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teachers", type=int, default=50)
    parser.add_argument("--fault-share", type=float, default=0.1, help="share of the model's answers that are faulty")
    parser.add_argument("--pieces-per-s", type=float, default=30.0)
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight to the provider from this process")
    parser.add_argument("--ingest-docs", type=int, default=5, help="documents the lead imports meanwhile")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    result = run(args.teachers, args.fault_share, 1 / args.pieces_per_s, args.concurrency, args.seed, args.ingest_docs)
    return 0 if result.clean else 1


if __name__ == "__main__":
    sys.exit(main())
