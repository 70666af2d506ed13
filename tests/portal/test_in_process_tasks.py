"""The zero-setup mode runs tasks in-process: nothing in it may talk about a broker."""

from __future__ import annotations

import logging

from clubportal.celery import app


@app.task(name="tests.portal.noop")
def noop() -> int:
    return 1


def test_given_no_broker_when_a_task_runs_in_process_then_no_broker_warning(caplog, settings):
    assert app.conf.task_always_eager

    with caplog.at_level(logging.WARNING):
        result = noop.delay()

    assert result.get() == 1
    assert not [record for record in caplog.records if "hostname" in record.getMessage()]
