"""Zero-setup development: SQLite, tasks in-process, e-mails written to var/mail/."""

import os

# A development-only key so `make run` needs no configuration; production.py refuses it.
os.environ.setdefault("SECRET_KEY", "dev-only-insecure-key-change-me-0123456789abcdefghijklmnop")
os.environ.setdefault("DEBUG", "true")

from .base import *  # noqa: F403
