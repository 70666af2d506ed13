"""The WSGI application for ``bench/pages_bench.py`` only: the project's own application,
plus two response headers with the request's query count and SQL time.

Never used by a deployment (``clubportal.wsgi`` is); gunicorn loads it only when the
pages benchmark starts it. The count comes from ``connection.execute_wrapper`` around the
whole request, so it includes the middleware's queries (session, user, membership).
"""

from __future__ import annotations

import time

from django.db import connection

from clubportal.wsgi import application as django_application


def application(environ, start_response):
    queries = 0
    seconds = 0.0

    def count(execute, sql, params, many, context):
        nonlocal queries, seconds
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries += 1
            seconds += time.perf_counter() - began

    def start_with_figures(status, headers, exc_info=None):
        headers = [*headers, ("X-Bench-Queries", str(queries)), ("X-Bench-SQL-ms", f"{seconds * 1000:.1f}")]
        return start_response(status, headers, exc_info)

    with connection.execute_wrapper(count):
        return django_application(environ, start_with_figures)
