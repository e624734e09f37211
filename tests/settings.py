"""Test settings: the project's settings with test-only speed and isolation changes.

DATABASE_URL and REDIS_URL are honoured, so the same suite runs on SQLite or on PostgreSQL and
Redis (CI). Tests call tasks and services directly; a few tests start real Celery workers.
"""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "0")
os.environ.setdefault("DJANGO_HSTS_SECONDS", "0")
# A fixed data key (grid/crypto.py), so child processes given this environment read the rows.
os.environ.setdefault("SANHUA_DATA_KEYS", "test:eX5crdzOPXnW2K8ybRMsB9oe5hmDobs5PZtERAgNU20=")
os.environ.setdefault("SANHUA_VAR_DIR", tempfile.mkdtemp(prefix="sanhua-tests-"))

from governance.settings import *  # noqa: E402, F403

ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STATIC_ROOT = VAR_DIR / "static"  # noqa: F405
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Nothing is sent anywhere unless a test starts a worker and says so.
CELERY_BROKER_URL = "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS = {}
CELERY_TASK_ALWAYS_EAGER = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not memory: tests that start a real Celery worker (or run two sweepers in two
    # threads) need other connections to see the test database. pytest-xdist appends each
    # worker's id to the name, so parallel workers get files of their own.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}  # noqa: F405
