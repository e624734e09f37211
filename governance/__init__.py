"""The Django project: settings, URLs, the Celery app and the API router. Wiring only."""

from governance.celery import app as celery_app

__all__ = ("celery_app",)
