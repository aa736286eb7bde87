"""Several app processes on one data set (two Studios on one store and library, as two replicas or
the app and a CLI command are): saves, imports and jobs seen by both, never failed by the other.
Run on SQLite + embedded Chroma by default, and on PostgreSQL + a Chroma server in CI
(LESSON_STUDIO_TEST_DATABASE_URL / LESSON_STUDIO_TEST_CHROMA, see conftest.py)."""

import os
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from library_fakes import HashEmbeddingFunction
from sample_plans import sample_plan
from sqlalchemy import create_engine, inspect, update

from lesson_studio.config import Settings
from lesson_studio.library import Library
from lesson_studio.library.retriever import VIEW_RECHECK_S
from lesson_studio.store import Store
from lesson_studio.store import jobs as jobs_table
from lesson_studio.studio import Studio


def replica(settings: Settings) -> Studio:
    library = Library(settings, embedding_function=HashEmbeddingFunction(), background=False)
    return Studio(settings, library=library)


def test_a_plan_saved_in_one_replica_is_listed_in_the_other(settings, fake_backend):
    first, second = replica(settings), replica(settings)
    teacher = first.store.ensure_user("wang")
    version = first.store.save_version(teacher, sample_plan())
    assert [draft.id for draft in second.store.list_drafts(teacher)] == [version.draft_id]


def test_an_import_by_a_cli_command_is_searchable_in_both_replicas_without_a_restart(settings, fake_backend, tmp_path):
    first, second = replica(settings), replica(settings)
    lead = first.store.ensure_user("zhao", role="lead")
    assert first.library.search(lead, "纸杯 吸管 乒乓球 小河") == []
    assert second.library.search(lead, "纸杯 吸管 乒乓球 小河") == []
    source = tmp_path / "运球过河.md"
    source.write_text("# 运球过河\n\n孩子们用纸杯和吸管想办法让乒乓球过小河，比一比哪种办法又稳又快。\n", encoding="utf-8")
    cli = replica(settings)  # `python -m lesson_studio library ingest` beside the two apps
    assert cli.library.ingest(lead, [source]).added
    time.sleep(VIEW_RECHECK_S + 0.1)  # another process's import is noticed within this interval, by design
    for app in (first, second):
        hits = app.library.search(lead, "纸杯 吸管 乒乓球 小河")
        assert hits and hits[0].citation.document_title == "运球过河"


def test_a_job_owned_by_one_replica_is_neither_failed_nor_run_by_the_other(settings, fake_backend, hat_request):
    hold = threading.Event()
    fake_backend.hold = hold
    first = replica(settings)
    first.grounding.use_library = False
    teacher = first.store.ensure_user("wang")
    job_id = first.submit_generation(teacher, hat_request, idempotency_key="k", backend_id="fake")
    second = replica(settings)  # starts while the first generates
    assert second.jobs.view(teacher, job_id).status in ("queued", "running")
    calls_before = len(fake_backend.calls)
    hold.set()
    assert first.jobs.wait(teacher, job_id, timeout=10).status == "done"
    assert second.jobs.view(teacher, job_id).status == "done"
    assert len(fake_backend.calls) >= calls_before  # only the first replica's worker called the model


def test_when_a_replica_dies_its_running_job_is_failed_with_retry_in_the_other(settings, fake_backend, hat_request):
    survivor = replica(settings)
    teacher = survivor.store.ensure_user("wang")
    request_id = survivor.store.save_request(teacher, hat_request, "died")
    job, _ = survivor.store.create_job(teacher, request_id, "fake", owner="another-host:4242:dead")
    survivor.store.update_job(job.id, status="running")
    assert survivor.jobs.view(teacher, job.id).status == "running"  # its heartbeat is still fresh
    engine = create_engine(settings.db_url)
    with engine.begin() as conn:  # the replica was killed: its heartbeat stopped a while ago
        conn.execute(update(jobs_table).values(heartbeat_at=datetime.now(UTC) - timedelta(minutes=2)))
    engine.dispose()
    view = survivor.jobs.view(teacher, job.id)
    assert view.status == "failed" and "regenerate" in view.offers
    retried = survivor.retry_generation(teacher, job.id, idempotency_key="again")
    assert survivor.jobs.wait(teacher, retried, timeout=10).status == "done"


@pytest.mark.skipif(not os.environ.get("LESSON_STUDIO_TEST_DATABASE_URL"), reason="needs the CI PostgreSQL server")
def test_migrations_make_the_same_schema_on_postgresql_as_on_sqlite(settings, tmp_path):
    def schema(url: str) -> dict[str, object]:
        engine = Store(url).engine
        found = inspect(engine)
        tables = {}
        for table in found.get_table_names():
            columns = {c["name"]: (c["type"]._type_affinity.__name__, c["nullable"]) for c in found.get_columns(table)}
            # Unique constraints and indexes by their columns: the dialects name (and report) them
            # differently — PostgreSQL backs a UNIQUE constraint with an index, SQLite does not.
            indexes = sorted(
                {(tuple(i["column_names"]), bool(i["unique"])) for i in found.get_indexes(table)}
                | {(tuple(u["column_names"]), True) for u in found.get_unique_constraints(table)}
            )
            primary = tuple(found.get_pk_constraint(table)["constrained_columns"])
            tables[table] = (columns, indexes, primary)
        engine.dispose()
        return tables

    on_postgresql = schema(settings.db_url)
    on_sqlite = schema(f"sqlite:///{tmp_path / 'compare.db'}")
    assert sorted(on_postgresql) == sorted(on_sqlite)
    for table in on_sqlite:
        assert on_postgresql[table] == on_sqlite[table], table
