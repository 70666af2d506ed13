"""Clubportal: the project package (settings, URLs, Celery app, the portal shell)."""

from .celery import app as celery_app

__all__ = ("celery_app",)
