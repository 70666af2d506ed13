"""``manage.py seed_demo``'s printed logins end on a line of their own.

(It lives here because this change was limited to tests/members; it belongs with
tests/portal/test_seed_demo.py.) The demo itself is stubbed: only the output is under test.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from portal import demo

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("quiet_logins", [False, True])
def test_given_seed_demo_when_it_has_printed_then_what_prints_next_starts_on_a_line_of_its_own(
    monkeypatch, quiet_logins
):
    summary = demo.SeedSummary()
    summary.logins.append(("Club admin (staff, sets up MFA)", "admin@club.example"))
    monkeypatch.setattr(demo, "seed", lambda: summary)
    output = StringIO()

    call_command("seed_demo", stdout=output, quiet_logins=quiet_logins)
    output.write("System check identified no issues (0 silenced).\n")  # the next command, e.g. make run's server

    lines = output.getvalue().splitlines()
    assert lines[-1] == "System check identified no issues (0 silenced)."
    assert lines[-2] == ""
    if not quiet_logins:
        assert lines[-3].endswith("no staff page opens before that.")
