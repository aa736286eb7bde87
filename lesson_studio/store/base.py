"""The engine, write transactions, users, the audit log and the access checks every part uses."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    create_engine,
    event,
    insert,
    inspect,
    select,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from lesson_studio import access
from lesson_studio.errors import StoreBusy
from lesson_studio.models import User
from lesson_studio.store.schema import (
    MIGRATIONS,
    audit,
    schema_migrations,
    users,
)


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes for what was stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class StoreBase:
    def __init__(self, url: str):
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url, future=True)
        self._sqlite = self.engine.dialect.name == "sqlite"
        if self._sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.migrate()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction. On SQLite it takes the write lock at its first statement
        (BEGIN IMMEDIATE): a transaction that read first and wrote later would fail at once with
        "database is locked" when another writer had committed in between, instead of waiting.
        Database trouble becomes a StudioError that says what to do; nothing half-written stays."""
        try:
            with self.engine.connect() as conn, conn.begin():
                if self._sqlite:
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                yield conn
        except OperationalError as error:
            if not _is_busy(error):
                raise
            raise StoreBusy(
                "数据库正忙（可能有人正在导入大文件），这次操作没有完成，也没有留下半截内容；请稍等几秒再试一次。"
                " / The database is busy (perhaps a large import); nothing was changed — try again in a few seconds."
            ) from error

    # --- schema --------------------------------------------------------------------------------

    def migrate(self) -> list[str]:
        applied_now: list[str] = []
        # Every process opens the store at start (the app, each CLI command): when nothing is
        # pending, only read, so a start never waits for another process's write lock.
        with self.engine.connect() as conn:
            if inspect(conn).has_table(schema_migrations.name):
                done = set(conn.execute(select(schema_migrations.c.name)).scalars())
                if done >= {name for name, _ in MIGRATIONS}:
                    return applied_now
        with self._write() as conn:
            schema_migrations.create(conn, checkfirst=True)
        for name, migration in MIGRATIONS:
            with self._write() as conn:
                done = conn.execute(select(schema_migrations.c.name).where(schema_migrations.c.name == name)).first()
                if done:
                    continue
                migration(conn)
                conn.execute(insert(schema_migrations).values(name=name, applied_at=_now()))
                applied_now.append(name)
        return applied_now

    # --- users ---------------------------------------------------------------------------------

    def ensure_user(self, username: str, *, role: str = "teacher", display_name: str = "") -> User:
        """Find or create an account without a password: the service accounts, benches and tests.
        People's accounts are made by lesson_studio.accounts (an admin, or the first-run setup);
        an account without a password cannot be signed into."""
        from lesson_studio.accounts import name_key, normalize_username

        name = normalize_username(username)
        key = name_key(name)
        with self._write() as conn:
            row = conn.execute(select(users).where(users.c.name_key == key)).first()
            if row is None:
                # A savepoint, so that on PostgreSQL the failed insert does not abort the transaction.
                with suppress(IntegrityError), conn.begin_nested():  # a concurrent call made it; read it below
                    conn.execute(
                        insert(users).values(
                            username=name,
                            name_key=key,
                            display_name=display_name or name,
                            role=role,
                            disabled=False,
                            failed_logins=0,
                            must_change_password=False,
                            session_epoch=0,
                            created_at=_now(),
                        )
                    )
                row = conn.execute(select(users).where(users.c.name_key == key)).first()
        assert row is not None
        return User(id=row.id, username=row.username, display_name=row.display_name, role=row.role)

    def user_display_names(self, user_ids: Iterable[int]) -> dict[int, str]:
        """Display names by id (the author of a plan a lead opens)."""
        ids = list(set(user_ids))
        if not ids:
            return {}
        with self.engine.connect() as conn:
            return dict(conn.execute(select(users.c.id, users.c.display_name).where(users.c.id.in_(ids))).all())

    def record_event(self, user: User | None, action: str, target: str) -> None:
        """An entry in the audit log (sign-ins, locks, rejected model output …)."""
        with self._write() as conn:
            self._audit(conn, user, action, target)

    def events(self, action: str) -> list[tuple[int | None, str]]:
        """(user id, target) of every audit entry of one kind, oldest first."""
        query = select(audit.c.user_id, audit.c.target).where(audit.c.action == action).order_by(audit.c.id)
        with self.engine.connect() as conn:
            return [(row.user_id, row.target) for row in conn.execute(query)]

    # --- helpers -------------------------------------------------------------------------------

    # The plan-level checks live in lesson_studio.access; these names keep the callers short.
    _require_reader = staticmethod(access.require_reader)
    _require_editor = staticmethod(access.require_author)
    _require_admin = staticmethod(access.require_admin)

    @staticmethod
    def _audit(conn: Connection, user: User | None, action: str, target: str) -> None:
        conn.execute(insert(audit).values(user_id=user.id if user else None, action=action, target=target, at=_now()))


def _is_busy(error: OperationalError) -> bool:
    """A lock that was not granted in time, or a database server that cannot be reached: worth
    telling the user to try again. Anything else is a bug and must surface as one."""
    words = str(error.orig).lower()
    return error.connection_invalidated or any(
        phrase in words
        for phrase in (
            "database is locked",
            "database is busy",
            "could not connect",
            "connection refused",
            "lock timeout",
        )
    )


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (page polls) don't block the job's writes
    # Writers queue for the lock instead of failing: a library import holds it for about a second
    # (its rows are prepared outside the transaction), a save for milliseconds.
    cursor.execute("PRAGMA busy_timeout=20000")
    cursor.close()
