import pytest
from sample_plans import sample_plan

from lesson_studio.errors import InvalidInput, NotAllowed, NotFound
from lesson_studio.store import Store


def test_migrations_run_once(settings):
    Store(settings.db_url)
    assert Store(settings.db_url).migrate() == []


def test_saving_twice_keeps_both_versions(store, teacher):
    first = store.save_version(teacher, sample_plan())
    second = store.save_version(teacher, sample_plan().model_copy(update={"title": "大班科学：新桥"}), draft_id=first.draft_id)
    assert [v.number for v in store.list_versions(teacher, first.draft_id)] == [1, 2]
    assert store.get_version(teacher, first.id)[1].title == "大班科学：给小鸭搭座桥"
    assert store.list_drafts(teacher)[0].head_version_id == second.id


def test_saved_plan_round_trips(store, teacher):
    version = store.save_version(teacher, sample_plan(), backend="local", prompt_hash="abc")
    info, plan = store.get_version(teacher, version.id)
    assert plan == sample_plan()
    assert (info.backend, info.prompt_hash) == ("local", "abc")


def test_same_idempotency_key_returns_the_same_request(store, teacher, hat_request):
    assert store.save_request(teacher, hat_request, "k1") == store.save_request(teacher, hat_request, "k1")
    assert store.save_request(teacher, hat_request, "k2") != store.save_request(teacher, hat_request, "k1")


def test_teacher_cannot_read_another_teachers_plan(store, teacher, other_teacher):
    version = store.save_version(teacher, sample_plan())
    with pytest.raises(NotAllowed):
        store.get_version(other_teacher, version.id)
    with pytest.raises(NotAllowed):
        store.save_version(other_teacher, sample_plan(), draft_id=version.draft_id)
    assert store.list_drafts(other_teacher) == []


def test_lead_sees_every_teachers_plans(store, teacher):
    store.save_version(teacher, sample_plan())
    lead = store.ensure_user("zhang", role="lead")
    assert len(store.list_drafts(lead)) == 1


def test_missing_version_is_not_found(store, teacher):
    with pytest.raises(NotFound):
        store.get_version(teacher, 999)


def test_blank_username_is_refused(store):
    with pytest.raises(InvalidInput, match="用户名"):
        store.ensure_user("  ")


def test_jobs_of_a_gone_process_fail_and_keep_the_request(settings, store, teacher, hat_request):
    from datetime import timedelta

    request_id = store.save_request(teacher, hat_request, "k")
    job, created = store.create_job(teacher, request_id, "local", owner="host:1:dead")
    assert created
    failed = Store(settings.db_url).fail_orphaned_jobs(me="host:2:me", stale_after=timedelta(seconds=60), gone=lambda owner: owner == "host:1:dead")
    assert failed == 1
    assert store.get_job(teacher, job.id).status == "failed"
    assert store.get_request(teacher, request_id) == hat_request


def test_requests_saved_before_012_read_as_lesson_plan_requests(settings, hat_request):
    """A database from before requests named their resource type (and before drafts were indexed by it)."""
    if not settings.db_url.startswith("sqlite"):
        pytest.skip("the columns are dropped with SQLite's ALTER TABLE")
    from sqlalchemy import text

    store = Store(settings.db_url)
    teacher = store.ensure_user("wang")
    request_id = store.save_request(teacher, hat_request, "old")
    with store.engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_drafts_owner_type"))
        conn.execute(text("ALTER TABLE lesson_requests DROP COLUMN resource_type"))
        conn.execute(text("DELETE FROM schema_migrations WHERE name IN ('012_request_resource_type', '013_drafts_by_type')"))
    upgraded = Store(settings.db_url)
    assert upgraded.request_of(teacher, request_id)[0] == "lesson_plan"
    assert upgraded.get_request(teacher, request_id) == hat_request
    with upgraded.engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM sqlite_master WHERE name = 'ix_drafts_owner_type'")).first()
