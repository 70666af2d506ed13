"""The console: each refused request is one line, each error printed once."""

from __future__ import annotations

import logging
import logging.config
import sys

import pytest
from django.conf import settings

from core.log_filters import ClientErrorWithoutTraceback


def _exc_info():
    try:
        raise PermissionError("no")
    except PermissionError:
        return sys.exc_info()


@pytest.mark.parametrize(("status_code", "keeps_traceback"), [(403, False), (404, False), (500, True)])
def test_client_errors_lose_their_traceback_and_server_errors_keep_it(status_code, keeps_traceback):
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Forbidden", (), _exc_info())
    record.status_code = status_code

    assert ClientErrorWithoutTraceback().filter(record)

    assert (record.exc_info is not None) is keeps_traceback


def test_a_django_request_record_reaches_exactly_one_console_handler():
    """Django's default LOGGING gives "django" a console handler, and ours sat on root: two."""
    from django.utils.log import DEFAULT_LOGGING

    logging.config.dictConfig(DEFAULT_LOGGING)  # what Django configures first
    logging.config.dictConfig(settings.LOGGING)
    try:
        logger, handlers = logging.getLogger("django.request"), []
        while logger:
            handlers += [handler for handler in logger.handlers if isinstance(handler, logging.StreamHandler)]
            logger = logger.parent if logger.propagate else None
        assert len(handlers) == 1
    finally:
        logging.config.dictConfig(settings.LOGGING)
