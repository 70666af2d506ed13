"""``runserver``, plus the periodic jobs in a thread when tasks run in-process (``make run``).

See ``portal.periodic``. With a broker (``REDIS_URL``) this is plain ``runserver``:
the jobs belong to ``make beat`` and ``make worker`` then.
"""

from django.conf import settings
from django.core.management import get_commands, load_command_class

from portal.periodic import start_periodic_jobs

# Whichever runserver the installed apps provide (WhiteNoise's, which wraps staticfiles').
RunserverCommand = type(load_command_class(get_commands()["runserver"], "runserver"))


class Command(RunserverCommand):
    help = "Run the development server; without REDIS_URL, also run the periodic jobs in-process."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--nojobs", action="store_false", dest="run_jobs", help="Do not run the periodic jobs in this process."
        )

    def inner_run(self, *args, **options):
        self.run_jobs = options["run_jobs"] and settings.CELERY_TASK_ALWAYS_EAGER
        super().inner_run(*args, **options)

    def on_bind(self, server_port):
        super().on_bind(server_port)
        # Here, not earlier: in the process that serves (not the autoreloader's parent), once
        # the checks have passed and the port is ours.
        if self.run_jobs:
            self.jobs = start_periodic_jobs()
            self.stdout.write(
                "Periodic jobs (campaign starts and ends, points release and expiry, e-mail digests, "
                "scheduled pages) run in this process; their schedule is in the admin under Periodic tasks."
            )
