"""Who may do what: the one place role checks live. Every core function that reads or changes data
takes the acting user and asks here; hiding a page is never the protection.

| who | may |
| --- | --- |
| any signed-in user | write and change their own plans, search the library, export |
| curriculum lead (lead) | also read and export any teacher's plan (never change it), curate the library and school templates, review and approve submissions, see usage and gaps |
| admin | everything a lead may, plus accounts and model backends |
"""

from __future__ import annotations

from lesson_studio.errors import NotAllowed
from lesson_studio.models import User

CURATORS = ("lead", "admin")  # the library, school templates, reviews, usage


def signed_in(user: object) -> User:
    if not isinstance(user, User):
        raise NotAllowed("请先登录 / Please sign in first")
    return user


def is_curator(user: User) -> bool:
    return isinstance(user, User) and user.role in CURATORS


def require_admin(user: object, action_zh: str, action_en: str) -> None:
    if signed_in(user).role != "admin":
        raise NotAllowed(f"只有管理员可以{action_zh} / Only an admin can {action_en}")


def require_curator(user: object, action_zh: str, action_en: str) -> None:
    if signed_in(user).role not in CURATORS:
        raise NotAllowed(f"只有教研组长或管理员可以{action_zh} / Only curriculum leads and admins can {action_en}")


def require_reader(user: object, owner_id: int) -> None:
    """A plan is read by its author, and by leads and admins (review, export)."""
    user = signed_in(user)
    if user.id != owner_id and user.role not in CURATORS:
        raise NotAllowed("这份内容属于其他老师，您没有权限 / This belongs to another teacher")


def require_author(user: object, owner_id: int) -> None:
    """Only the author changes a plan (edit, refine, restore, save, submit): a lead reads and exports
    a teacher's plan and comments in review, but never rewrites it under the teacher's name."""
    user = signed_in(user)
    if user.id == owner_id:
        return
    if user.role in CURATORS:
        raise NotAllowed(
            "这是其他老师的教案：教研组长和管理员可以阅读、导出，不能修改 / This is another teacher's plan:"
            " leads and admins can read and export it, not change it"
        )
    raise NotAllowed("这份内容属于其他老师，您没有权限 / This belongs to another teacher")
