"""Clubportal: the project package (settings, root URLs, the Celery app); the apps are its
neighbours, from ``core`` (the ground floor) to ``portal`` (the top floor)."""

from .celery import app as celery_app

__all__ = ("celery_app",)
