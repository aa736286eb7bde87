"""Accounts: names, passwords, lockout, roles, disabled accounts, sessions and single sign-on.

A school's platform holds children's and teachers' data, so nobody becomes anybody by typing a
name. Passwords are argon2 hashes (argon2-cffi). Names are compared after NFKC normalisation and
case folding, and names with invisible characters or mixed look-alike alphabets are refused, so
"ａｄｍｉｎ" or "ad\u200bmin" cannot pose as "admin". Repeated wrong passwords lock the account for
a while. A page keeps only (user id, session epoch) and reads the account again on every script
run: a demoted, disabled or re-passworded account loses its powers on the next click.

The first admin comes from the command line (`users add NAME --role admin`) or from the one-time
setup page, which exists only while no admin who can sign in exists.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from lesson_studio import access
from lesson_studio.errors import InvalidInput, NotAllowed, NotFound, SessionEnded, SignInFailed
from lesson_studio.models import User
from lesson_studio.store import ROLES, Store, users

# Service accounts act for start-up and the command line; nobody signs in as them.
SERVICE_USERNAMES = ("system", "cli")
MAX_NAME_LENGTH = 32
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
# Five wrong passwords in a row lock the account for 15 minutes (an admin can unlock it sooner).
MAX_FAILED_LOGINS = 5
LOCK_DURATION = timedelta(minutes=15)

# Characters that print as nothing, or as a blank, although Unicode calls them letters or marks.
_INVISIBLE = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180e\u2800\u3164\uffa0" + "".join(chr(c) for c in range(0xFE00, 0xFE10))
)
_INVISIBLE_CATEGORIES = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_hasher = PasswordHasher()
# Verified against when the name is unknown, so a wrong name costs as long as a wrong password
# (the answer's timing does not tell which names exist).
_DUMMY_HASH = _hasher.hash("lesson-studio-no-such-account")


def normalize_username(raw: str) -> str:
    """The name as stored: NFKC (full-width letters become ASCII), spaces collapsed. Refuses
    empty or over-long names, invisible characters, and Latin mixed with Cyrillic or Greek."""
    if any(unicodedata.category(ch) in _INVISIBLE_CATEGORIES or ch in _INVISIBLE for ch in raw):
        raise InvalidInput(
            "用户名里有看不见的字符（如零宽空格），请删掉后重新输入 / The user name contains invisible characters (such as a zero-width space)"
        )
    name = " ".join(unicodedata.normalize("NFKC", raw).split())
    if not name or len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(
            f"用户名不能为空，且不超过{MAX_NAME_LENGTH}个字符 / The user name must be 1–{MAX_NAME_LENGTH} characters"
        )
    scripts = {_script(ch) for ch in name if ch.isalpha()}
    if "LATIN" in scripts and scripts & {"CYRILLIC", "GREEK"}:
        raise InvalidInput(
            "用户名混用了拉丁字母和长得相似的西里尔/希腊字母，请只用一种文字 / The user name mixes Latin letters with"
            " look-alike Cyrillic or Greek ones; use one alphabet"
        )
    return name


def name_key(name: str) -> str:
    """What two names are compared by: normalised and case-folded ("Wang" and "ｗａｎｇ" are one)."""
    return " ".join(unicodedata.normalize("NFKC", name).split()).casefold()


def _script(ch: str) -> str:
    try:
        return unicodedata.name(ch).split(" ")[0]
    except ValueError:
        return ""


def check_new_password(password: str, username: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"密码至少需要{MIN_PASSWORD_LENGTH}个字符 / The password needs at least {MIN_PASSWORD_LENGTH} characters"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"密码太长（最多{MAX_PASSWORD_LENGTH}个字符）/ The password is too long")
    if name_key(password) == name_key(username):
        raise InvalidInput("密码不能和用户名相同 / The password cannot be the user name")
    if len(set(password)) < 3:
        raise InvalidInput("密码太简单（例如全是同一个字符），请换一个 / The password is too simple")


def normalize_email(raw: str) -> str | None:
    email = unicodedata.normalize("NFKC", raw).strip().lower()
    if not email:
        return None
    if not _EMAIL.match(email) or len(email) > 254:
        raise InvalidInput(f"邮箱格式不对：{raw.strip()} / Not an e-mail address: {raw.strip()}")
    return email


@dataclass(frozen=True)
class Account:
    """An account as the admin sees it (never the hash)."""

    id: int
    username: str
    display_name: str
    role: str
    email: str
    disabled: bool
    locked_until: datetime | None
    has_password: bool
    must_change_password: bool
    created_at: datetime

    @property
    def locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > datetime.now(UTC)


@dataclass(frozen=True)
class SignedIn:
    """What a browser session keeps: the account's id and the epoch it signed in under. The role
    is never kept: it is read again on every script run (Accounts.session_user)."""

    user_id: int
    epoch: int
    via: str = "password"  # password | sso
    must_change_password: bool = False


class Accounts:
    def __init__(self, store: Store):
        self.store = store

    # --- set-up -------------------------------------------------------------------------------

    def has_admin(self) -> bool:
        """Whether an admin who can sign in exists; while none does, the setup page is offered."""
        with self.store.engine.connect() as conn:
            return bool(conn.execute(_usable_admins()).scalar())

    def create_first_admin(self, username: str, password: str, *, display_name: str = "", email: str = "") -> User:
        """The one-time setup: refused as soon as an admin who can sign in exists."""
        name = normalize_username(username)
        check_new_password(password, name)
        password_hash = _hasher.hash(password)
        with self.store._write() as conn:  # the check and the insert under one write lock
            if conn.execute(_usable_admins()).scalar():
                raise NotAllowed(
                    "已经有管理员了，初始设置只能做一次；请用管理员账号登录 / An admin already exists: setup runs only once"
                )
            user = self._insert(conn, name, "admin", display_name, normalize_email(email), password_hash)
            self.store._audit(conn, user, "setup_first_admin", f"user:{user.username}")
        return user

    # --- admin actions ------------------------------------------------------------------------

    def add_user(
        self,
        actor: User,
        username: str,
        *,
        role: str = "teacher",
        password: str,
        display_name: str = "",
        email: str = "",
        must_change_password: bool = True,
    ) -> User:
        """A new account (admins only). The admin hands the first password over; the user is asked
        to choose their own at first sign-in unless must_change_password is False."""
        _require_admin(actor, "添加账号", "add accounts")
        _check_role(role)
        name = normalize_username(username)
        _refuse_service_name(name)
        check_new_password(password, name)
        password_hash = _hasher.hash(password)
        with self.store._write() as conn:
            user = self._insert(
                conn, name, role, display_name, normalize_email(email), password_hash, must_change=must_change_password
            )
            self.store._audit(conn, actor, "add_user", f"user:{user.username}:{role}")
        return user

    def list_accounts(self, actor: User) -> list[Account]:
        _require_admin(actor, "查看账号", "list accounts")
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(users).where(users.c.username.not_in(SERVICE_USERNAMES)).order_by(users.c.username)
            ).all()
        return [_account(row) for row in rows]

    def set_role(self, actor: User, username: str, role: str) -> User:
        """Give an existing account a role (admins only); an admin cannot take the role from
        themselves, so an installation always keeps an admin who can undo a mistake."""
        _require_admin(actor, "修改角色", "change roles")
        _check_role(role)
        with self.store._write() as conn:
            row = self._find(conn, username)
            if row.id == actor.id and role != "admin":
                raise InvalidInput("不能取消自己的管理员角色 / You cannot remove your own admin role")
            conn.execute(update(users).where(users.c.id == row.id).values(role=role))
            self.store._audit(conn, actor, "set_role", f"user:{row.username}:{role}")
        return _user(row).model_copy(update={"role": role})

    def set_disabled(self, actor: User, username: str, disabled: bool) -> None:
        """Disable (or enable again) an account; a disabled user's open sessions end at once."""
        _require_admin(actor, "停用或启用账号", "disable or enable accounts")
        with self.store._write() as conn:
            row = self._find(conn, username)
            if row.id == actor.id and disabled:
                raise InvalidInput("不能停用自己的账号 / You cannot disable your own account")
            values: dict[str, object] = {"disabled": disabled}
            if disabled:
                values["session_epoch"] = users.c.session_epoch + 1
            conn.execute(update(users).where(users.c.id == row.id).values(**values))
            self.store._audit(conn, actor, "disable_user" if disabled else "enable_user", f"user:{row.username}")

    def reset_password(self, actor: User, username: str, new_password: str, *, must_change: bool = True) -> None:
        """Set a new password (admins only): the lock is lifted, the user's other sessions end, and
        the user chooses their own password at the next sign-in."""
        _require_admin(actor, "重设密码", "reset passwords")
        with self.store._write() as conn:
            row = self._find(conn, username)
            check_new_password(new_password, row.username)
            conn.execute(
                update(users)
                .where(users.c.id == row.id)
                .values(
                    password_hash=_hasher.hash(new_password),
                    failed_logins=0,
                    locked_until=None,
                    must_change_password=must_change and row.id != actor.id,
                    password_changed_at=_now(),
                    session_epoch=users.c.session_epoch + 1,
                )
            )
            self.store._audit(conn, actor, "reset_password", f"user:{row.username}")

    def unlock(self, actor: User, username: str) -> None:
        _require_admin(actor, "解锁账号", "unlock accounts")
        with self.store._write() as conn:
            row = self._find(conn, username)
            conn.execute(update(users).where(users.c.id == row.id).values(failed_logins=0, locked_until=None))
            self.store._audit(conn, actor, "unlock_user", f"user:{row.username}")

    def set_email(self, actor: User, username: str, email: str) -> None:
        _require_admin(actor, "修改邮箱", "change e-mail addresses")
        with self.store._write() as conn:
            row = self._find(conn, username)
            try:
                with conn.begin_nested():
                    conn.execute(update(users).where(users.c.id == row.id).values(email=normalize_email(email)))
            except IntegrityError as error:
                raise InvalidInput(f"这个邮箱已属于另一个账号：{email} / This e-mail belongs to another account") from error
            self.store._audit(conn, actor, "set_email", f"user:{row.username}")

    # --- signing in ---------------------------------------------------------------------------

    def authenticate(self, username: str, password: str) -> SignedIn:
        """Check a name and password. Five wrong passwords in a row lock the account for a while;
        an unknown name gets the same answer as a wrong password, after the same work."""
        # The same words for an unknown name and a wrong password: the answer never tells which
        # names exist.
        wrong = SignInFailed(
            f"用户名或密码不正确；连续输错 {MAX_FAILED_LOGINS} 次账号将锁定 {_minutes(LOCK_DURATION)} 分钟"
            f" / Wrong user name or password; {MAX_FAILED_LOGINS} wrong passwords in a row lock the account"
            f" for {_minutes(LOCK_DURATION)} minutes"
        )
        try:
            key = name_key(normalize_username(username))
        except InvalidInput:
            _hasher_verify(_DUMMY_HASH, password)
            raise wrong from None
        with self.store.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.name_key == key)).first()
        if row is None or row.username in SERVICE_USERNAMES or not row.password_hash:
            _hasher_verify(_DUMMY_HASH, password)
            raise wrong
        now = _now()
        locked_until = _aware(row.locked_until)
        if locked_until and locked_until > now:
            raise SignInFailed(_locked_message(locked_until - now))
        if row.disabled:
            _hasher_verify(_DUMMY_HASH, password)
            raise SignInFailed("这个账号已被停用，请联系管理员 / This account is disabled; contact the admin")
        if not _hasher_verify(row.password_hash, password):
            with self.store._write() as conn:
                # Counted in the database, so a lock holds across app processes and restarts.
                failures = conn.execute(
                    update(users)
                    .where(users.c.id == row.id)
                    .values(failed_logins=users.c.failed_logins + 1)
                    .returning(users.c.failed_logins)
                ).scalar_one()
                if failures >= MAX_FAILED_LOGINS:
                    conn.execute(
                        update(users).where(users.c.id == row.id).values(failed_logins=0, locked_until=now + LOCK_DURATION)
                    )
                    self.store._audit(conn, None, "account_locked", f"user:{row.username}")
            if failures >= MAX_FAILED_LOGINS:
                raise SignInFailed(_locked_message(LOCK_DURATION))
            raise wrong
        with self.store._write() as conn:
            values: dict[str, object] = {"failed_logins": 0, "locked_until": None}
            if _hasher.check_needs_rehash(row.password_hash):
                values["password_hash"] = _hasher.hash(password)
            conn.execute(update(users).where(users.c.id == row.id).values(**values))
            self.store._audit(conn, _user(row), "sign_in", f"user:{row.username}")
        return SignedIn(row.id, row.session_epoch, "password", bool(row.must_change_password))

    def session_user(self, session: SignedIn) -> User:
        """The signed-in account as it is now (role included), read on every script run; raises
        SessionEnded when it was disabled or its password changed since this session began."""
        with self.store.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.id == session.user_id)).first()
        if row is None or row.disabled:
            raise SessionEnded("您的账号已被停用，请联系管理员 / Your account has been disabled; contact the admin")
        if row.session_epoch != session.epoch:
            raise SessionEnded(
                "您的密码已被更改，请重新登录 / Your password was changed; please sign in again"
            )
        return _user(row)

    def must_change_password(self, user: User) -> bool:
        with self.store.engine.connect() as conn:
            return bool(conn.execute(select(users.c.must_change_password).where(users.c.id == user.id)).scalar())

    def change_password(self, user: User, current: str, new: str) -> SignedIn:
        """The user's own password; other sessions of this account end, this one goes on (the
        returned SignedIn carries the new epoch)."""
        with self.store.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.id == user.id)).first()
        if row is None or not row.password_hash or not _hasher_verify(row.password_hash, current):
            raise InvalidInput("当前密码不正确 / The current password is wrong")
        check_new_password(new, row.username)
        if new == current:
            raise InvalidInput("新密码不能和当前密码相同 / The new password must differ from the current one")
        with self.store._write() as conn:
            epoch = conn.execute(
                update(users)
                .where(users.c.id == user.id)
                .values(
                    password_hash=_hasher.hash(new),
                    must_change_password=False,
                    password_changed_at=_now(),
                    session_epoch=users.c.session_epoch + 1,
                )
                .returning(users.c.session_epoch)
            ).scalar_one()
            self.store._audit(conn, user, "change_password", f"user:{row.username}")
        return SignedIn(user.id, epoch, "password", False)

    def sso_sign_in(self, claims: Mapping[str, object]) -> SignedIn:
        """Single sign-on (Streamlit's OIDC, st.login): the identity provider vouches for the
        e-mail address; the account and its role come from our database. An address nobody
        added, an unverified one, or a disabled account is refused."""
        raw = claims.get("email")
        if not isinstance(raw, str) or not raw.strip():
            raise SignInFailed(
                "学校统一身份没有提供邮箱，无法对应到账号；请联系管理员 / The identity provider sent no e-mail address"
            )
        if claims.get("email_verified") is False:
            raise SignInFailed("这个邮箱还没有验证，无法登录 / This e-mail address is not verified")
        email = normalize_email(raw)
        with self.store.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.email == email)).first()
        if row is None or row.username in SERVICE_USERNAMES:
            raise SignInFailed(
                f"没有与 {email} 对应的账号，请管理员先在“账号与角色”中添加 / No account has the e-mail {email}; ask the admin to add one"
            )
        if row.disabled:
            raise SignInFailed("这个账号已被停用，请联系管理员 / This account is disabled; contact the admin")
        with self.store._write() as conn:
            self.store._audit(conn, _user(row), "sign_in_sso", f"user:{row.username}")
        return SignedIn(row.id, row.session_epoch, "sso", False)

    # --- helpers ------------------------------------------------------------------------------

    def _insert(
        self,
        conn: Connection,
        name: str,
        role: str,
        display_name: str,
        email: str | None,
        password_hash: str | None,
        *,
        must_change: bool = False,
    ) -> User:
        key = name_key(name)
        if conn.execute(select(users.c.id).where(users.c.name_key == key)).first():
            raise InvalidInput(f"已有名为“{name}”的账号（或写法相同的名字）/ An account named '{name}' already exists")
        if email and conn.execute(select(users.c.id).where(users.c.email == email)).first():
            raise InvalidInput(f"这个邮箱已属于另一个账号：{email} / This e-mail belongs to another account")
        try:
            with conn.begin_nested():
                user_id = conn.execute(
                    insert(users).values(
                        username=name,
                        name_key=key,
                        display_name=" ".join(display_name.split())[:100] or name,
                        role=role,
                        email=email,
                        password_hash=password_hash,
                        disabled=False,
                        failed_logins=0,
                        must_change_password=must_change,
                        password_changed_at=_now() if password_hash else None,
                        session_epoch=0,
                        created_at=_now(),
                    )
                ).inserted_primary_key[0]
        except IntegrityError as error:  # another process added the same name just now
            raise InvalidInput(f"已有名为“{name}”的账号 / An account named '{name}' already exists") from error
        return User(id=user_id, username=name, display_name=display_name or name, role=role)  # type: ignore[arg-type]

    @staticmethod
    def _find(conn: Connection, username: str):  # type: ignore[no-untyped-def]
        try:
            key = name_key(normalize_username(username))
        except InvalidInput:
            key = ""
        row = conn.execute(select(users).where(users.c.name_key == key)).first() if key else None
        if row is None or row.username in SERVICE_USERNAMES:
            raise NotFound(f"没有这个账号：{username.strip()} / No such account: {username.strip()}")
        return row


def _usable_admins():  # type: ignore[no-untyped-def]
    return (
        select(func.count())
        .select_from(users)
        .where(
            users.c.role == "admin",
            users.c.disabled.is_(False),
            users.c.password_hash.is_not(None),
            users.c.username.not_in(SERVICE_USERNAMES),
        )
    )


def _hasher_verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _require_admin(actor: User, action_zh: str, action_en: str) -> None:
    access.require_admin(actor, action_zh, action_en)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InvalidInput(f"未知的角色：{role}（可选：{'、'.join(ROLES)}）/ Unknown role '{role}'")


def _refuse_service_name(name: str) -> None:
    if name_key(name) in SERVICE_USERNAMES:
        raise InvalidInput(f"“{name}”是系统保留的账号名，请换一个 / '{name}' is reserved")


def _locked_message(left: timedelta) -> str:
    minutes = _minutes(left)
    return (
        f"密码连续输错 {MAX_FAILED_LOGINS} 次，账号已锁定，请 {minutes} 分钟后再试，或请管理员解锁"
        f" / Too many wrong passwords: the account is locked; try again in {minutes} minutes or ask the admin to unlock it"
    )


def _minutes(delta: timedelta) -> int:
    return max(1, -(-int(delta.total_seconds()) // 60))


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes for what was stored as UTC."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _user(row) -> User:  # type: ignore[no-untyped-def]
    return User(id=row.id, username=row.username, display_name=row.display_name, role=row.role)


def _account(row) -> Account:  # type: ignore[no-untyped-def]
    return Account(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=row.role,
        email=row.email or "",
        disabled=bool(row.disabled),
        locked_until=_aware(row.locked_until),
        has_password=bool(row.password_hash),
        must_change_password=bool(row.must_change_password),
        created_at=row.created_at,
    )
