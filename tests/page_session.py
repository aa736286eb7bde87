"""Signing a page test in: the session keeps only the account id and epoch, as the app does."""

from lesson_studio.accounts import SignedIn
from lesson_studio.models import User


def sign_in_session(at, user: User, *, epoch: int = 0):  # type: ignore[no-untyped-def]
    at.session_state["signed_in"] = SignedIn(user_id=user.id, epoch=epoch)
    return at
