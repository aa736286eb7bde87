"""Errors whose message is meant for the user.

Pages catch only StudioError and show str(error); anything else is a bug and must surface in tests.
Messages are Chinese first, with English after " / " so the English UI can show them too.
"""

from __future__ import annotations


class StudioError(Exception):
    """An error a teacher, lead or admin can act on; str() is the message to show."""


class InvalidInput(StudioError):
    """A request, file or field was rejected; the message names it and the reason."""


class NotAllowed(StudioError):
    """The acting user's role does not permit this action."""


class NotFound(StudioError):
    """The named draft, version or document does not exist (or is not visible to the user)."""


class NeedsKey(StudioError):
    """A remote backend has no API key configured."""


class ModelUnavailable(StudioError):
    """The model could not be loaded or reached."""


class GenerationFailed(StudioError):
    """The model answered, but not with usable content (after one repair attempt)."""


class LibraryError(StudioError):
    """A library document could not be ingested or searched."""
