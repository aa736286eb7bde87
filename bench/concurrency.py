"""Saves under contention: N writers on one plan and on separate plans, while a lead imports a large
text into the library in the same data folder.

Each writer behaves like a teacher's tab: it reads the newest version, changes one field to a mark
of its own, and saves on that base. When someone saved in between (这份教案已被更新) it merges with
the newest version, as the page offers, and saves again. Prints:

  versions acknowledged vs stored (must be equal), duplicate versions (0), lost edits (0: every
  acknowledged save's mark is in the version it returned), errors by kind (0), merges, and save
  latency p50/p95 — plus how long the import took and how long it held the write lock.

    python bench/concurrency.py                       # 16 writers x 10 saves, a 30 MB import
    python bench/concurrency.py --writers 8 --saves 5 --ingest-mb 2

tests/test_concurrency_bench.py runs it small and asserts the equalities.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


from sample_plans import sample_plan  # noqa: E402  (an original plan written for the tests)

from lesson_studio.config import Settings  # noqa: E402
from lesson_studio.errors import StaleVersion  # noqa: E402
from lesson_studio.studio import Studio  # noqa: E402

MAX_ATTEMPTS = 50  # a writer that cannot land one save in this many tries counts as an error


@dataclass
class Report:
    acknowledged: int = 0
    stored: int = 0
    duplicates: int = 0
    lost_edits: int = 0
    merges: int = 0
    errors: collections.Counter = field(default_factory=collections.Counter)
    latencies: list[float] = field(default_factory=list)
    ingest_seconds: float = 0.0
    ingest_chars: int = 0
    ingest_error: str = ""

    def lines(self, title: str) -> list[str]:
        p50 = statistics.median(self.latencies) * 1000 if self.latencies else 0.0
        p95 = _percentile(self.latencies, 95) * 1000
        errors = ", ".join(f"{kind} {count}" for kind, count in self.errors.items()) or "0"
        return [
            f"{title}",
            f"  versions acknowledged {self.acknowledged} / stored {self.stored}"
            f" ({'equal' if self.acknowledged == self.stored else 'DIFFERENT'})",
            f"  duplicate versions {self.duplicates}, lost edits {self.lost_edits}, errors {errors}",
            f"  merged after 这份教案已被更新: {self.merges}",
            f"  save latency p50 {p50:.1f} ms, p95 {p95:.1f} ms ({len(self.latencies)} saves)",
        ]


def _percentile(values: list[float], percent: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(percent / 100 * (len(ordered) - 1))))]


def large_text(path: Path, megabytes: float) -> int:
    """A made-up text of the requested size, in paragraphs under numbered headings (no real data)."""
    words = ["孩子", "材料", "办法", "观察", "纸杯", "吸管", "小河", "帽子", "合作", "尝试", "分享", "记录", "问题", "想法"]
    rng = random.Random(7)
    target = int(megabytes * 1024 * 1024)
    written = 0
    with path.open("w", encoding="utf-8") as handle:
        section = 0
        while written < target:
            section += 1
            lines = [f"第{section}节 活动记录"]
            for _ in range(8):
                lines.append("".join(rng.choice(words) for _ in range(30)) + "。")
            block = "\n".join(lines) + "\n\n"
            handle.write(block)
            written += len(block.encode("utf-8"))
    return written


def run(
    *, writers: int = 16, saves: int = 10, ingest_mb: float = 30.0, data_dir: Path | None = None, settings: Settings | None = None
) -> dict[str, Report]:
    """`settings` picks the store and library (a PostgreSQL URL, a Chroma server); default: SQLite and
    embedded Chroma in a fresh folder."""
    if settings is None:
        settings = Settings(data_dir=Path(data_dir or tempfile.mkdtemp(prefix="lesson-studio-concurrency-")), starter_library=False)
    folder = settings.data_dir
    folder.mkdir(parents=True, exist_ok=True)
    studio = Studio(settings)
    teachers = [studio.store.ensure_user(f"bench-teacher-{n}") for n in range(writers)]
    lead = studio.store.ensure_user("bench-lead", role="lead")
    shared_owner = teachers[0]
    shared = studio.store.save_version(shared_owner, sample_plan())
    own = [studio.store.save_version(teacher, sample_plan()) for teacher in teachers]

    ingest = Report()
    ingest_done = threading.Event()

    def import_large_file() -> None:
        try:
            source = folder / "bench-large.txt"
            ingest.ingest_chars = large_text(source, ingest_mb) if ingest_mb > 0 else 0
            if ingest_mb <= 0:
                return
            started = time.perf_counter()
            report = studio.library.ingest(lead, [source], tags={"resource_type": "活动案例"})
            ingest.ingest_seconds = time.perf_counter() - started
            if report.skipped:
                ingest.ingest_error = report.skipped[0].reason
        except Exception as error:  # the bench reports it; it must not hide the writers' figures
            ingest.ingest_error = f"{type(error).__name__}: {error}"
        finally:
            ingest_done.set()

    results: dict[str, Report] = {}
    importer = threading.Thread(target=import_large_file, name="bench-ingest")
    importer.start()
    time.sleep(0.5)  # let the import start before the saves
    # One plan: every writer is the same teacher in another tab (only the author saves a plan).
    results["one plan"] = _writers(studio, [shared_owner] * writers, [shared.draft_id] * writers, saves)
    results["separate plans"] = _writers(studio, teachers, [v.draft_id for v in own], saves)
    importer.join()
    results["import"] = ingest
    for report, drafts in ((results["one plan"], [shared.draft_id]), (results["separate plans"], [v.draft_id for v in own])):
        _count_stored(studio, report, drafts, initial_versions=1)
    if studio.grounding.library_loaded():
        studio.library.close()
    return results


def _writers(studio: Studio, users, draft_ids: list[int], saves: int) -> Report:  # type: ignore[no-untyped-def]
    report = Report()
    lock = threading.Lock()
    fields = ("key_point", "difficult_point", "design_intent")
    # Every round, all writers have read the newest version before any of them saves: on one plan
    # they really collide, as tabs do when several are saved at once.
    round_start = threading.Barrier(len(users))

    def writer(number: int) -> None:
        user, draft_id = users[number], draft_ids[number]
        tab = f"tab-{number}"
        for edit in range(saves):
            mark = f"写入者{number}第{edit}次"
            field_name = fields[(number + edit) % len(fields)]
            try:
                base_id = studio.head_version_id(user, draft_id)
                mine = studio.load_plan(user, base_id).model_copy(update={field_name: mark})
                with contextlib.suppress(threading.BrokenBarrierError):
                    round_start.wait(timeout=30)
                for _attempt in range(MAX_ATTEMPTS):
                    started = time.perf_counter()
                    try:
                        version = studio.save_edit(user, draft_id, mine, base_version_id=base_id, tab_id=tab, note=mark)
                    except StaleVersion as stale:
                        with lock:
                            report.merges += 1
                        base_id, merge = studio.merge_edit(user, draft_id, stale.base_version_id, mine)
                        mine = merge.merged
                        continue
                    finally:
                        with lock:
                            report.latencies.append(time.perf_counter() - started)
                    saved = studio.load_plan(user, version.id)
                    with lock:
                        report.acknowledged += 1
                        if getattr(saved, field_name) != mark:
                            report.lost_edits += 1
                    break
                else:
                    with lock:
                        report.errors["gave up after merges"] += 1
            except Exception as error:  # counted by kind: the figure that must stay 0
                with lock:
                    report.errors[type(error).__name__] += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(len(users))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return report


def _count_stored(studio: Studio, report: Report, draft_ids: list[int], *, initial_versions: int) -> None:
    from sqlalchemy import func, select

    from lesson_studio.store import versions

    with studio.store.engine.connect() as conn:
        for draft_id in set(draft_ids):
            rows = conn.execute(select(versions.c.number, versions.c.note).where(versions.c.draft_id == draft_id)).all()
            report.stored += len(rows) - initial_versions
            notes = collections.Counter(row.note for row in rows if row.note)
            report.duplicates += sum(count - 1 for count in notes.values() if count > 1)
            numbers = conn.execute(
                select(versions.c.number, func.count()).where(versions.c.draft_id == draft_id).group_by(versions.c.number)
            ).all()
            report.duplicates += sum(count - 1 for _number, count in numbers if count > 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--saves", type=int, default=10, help="saves per writer")
    parser.add_argument("--ingest-mb", type=float, default=30.0, help="size of the text imported meanwhile (0: none)")
    args = parser.parse_args()
    started = time.perf_counter()
    # DATABASE_URL / LESSON_STUDIO_CHROMA_HOST select servers, as for the app; a fresh folder either way.
    settings = Settings.from_env(data_dir=Path(tempfile.mkdtemp(prefix="lesson-studio-concurrency-")), starter_library=False)
    results = run(writers=args.writers, saves=args.saves, ingest_mb=args.ingest_mb, settings=settings)
    where = "PostgreSQL" if settings.database_url.startswith("postgresql") else "SQLite"
    where += " + Chroma server" if settings.chroma_host else " + embedded Chroma"
    print(f"{args.writers} writers x {args.saves} saves each, {where}, a fresh data set, 2 cores")
    for title in ("one plan", "separate plans"):
        print("\n".join(results[title].lines(f"{title}:")))
    ingest = results["import"]
    if args.ingest_mb > 0:
        state = f"error: {ingest.ingest_error}" if ingest.ingest_error else "ok"
        print(
            f"import meanwhile: {ingest.ingest_chars / 1024 / 1024:.1f} MB text in {ingest.ingest_seconds:.1f} s ({state};"
            " keyword-searchable; dense vectors were still being filled by the library's worker)"
        )
    print(f"whole run {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
