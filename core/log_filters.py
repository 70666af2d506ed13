"""Logging filters for the console (``settings.LOGGING``)."""

from __future__ import annotations

import logging


class ClientErrorWithoutTraceback(logging.Filter):
    """A refused request (403, 404, ...) is logged in one line, without its traceback.

    Django logs every 4xx from ``django.request`` with the exception that caused it, so each
    PermissionDenied printed a whole traceback for what is the site working as meant. Server
    errors (5xx) keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status_code = getattr(record, "status_code", None)
        if status_code is not None and status_code < 500:
            record.exc_info = None
            record.exc_text = None
        return True
