"""The one settings module. Every difference between a laptop and production is an environment
variable (listed with a line each in .env.example); the defaults are safe for a laptop with no
servers installed: SQLite in WAL mode, Celery over kombu's filesystem transport, a file cache.
"""

import base64
import hashlib
from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(BASE_DIR / ".env")

# Runtime state of a laptop install (SQLite file, broker folder, cache, uploads) lives here.
VAR_DIR = Path(env("SANHUA_VAR_DIR", default=str(BASE_DIR / "var")))

# Core
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Fail closed: production must set a key; only DEBUG gets a throwaway default.
SECRET_KEY = env(
    "DJANGO_SECRET_KEY", default="dev-only-insecure-key" if DEBUG else environ.Env.NOTSET
)
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
# Keys the exact-ID-number index (HMAC). Changing it means re-indexing every person.
REGISTRY_HMAC_KEY = env("SANHUA_REGISTRY_KEY", default=SECRET_KEY)
# Encrypt personal data at rest (grid/crypto.py): `id:base64 32-byte key` entries, comma-separated;
# the first encrypts, all decrypt (rotation: docs/operations.md). Production must set them; a
# laptop's one key is derived from SECRET_KEY.
DATA_KEYS = env.list(
    "SANHUA_DATA_KEYS",
    default=[
        "dev:"
        + base64.urlsafe_b64encode(
            hashlib.sha256(b"sanhua personal data key:" + SECRET_KEY.encode()).digest()
        ).decode()
    ]
    if DEBUG
    else environ.Env.NOTSET,
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "governance",
    "grid",
    "cases",
    "party",
    "community",
    "webhooks",
    "open311",
    "hotline",
    "datagov",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "governance.middleware.ApiNotFoundMiddleware",
]

ROOT_URLCONF = "governance.urls"
WSGI_APPLICATION = "governance.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite unless DATABASE_URL says otherwise (postgres://user:pass@host:5432/name).
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process, the worker and beat share one file: WAL lets readers run beside the
    # writer, and IMMEDIATE takes the write lock at BEGIN so two writers queue instead of
    # failing with "database is locked" halfway through a transaction.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: Redis when there is one; otherwise files, so web and worker processes share it.
REDIS_URL = env("REDIS_URL", default="")
CACHES = {
    "default": {
        "KEY_PREFIX": env("SANHUA_CACHE_PREFIX", default="sanhua"),
        **(
            {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
            if REDIS_URL
            else {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(VAR_DIR / "cache"),
            }
        ),
    }
}

# Authentication
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Internationalisation: Chinese first, English available.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# The district's name in the admin's header; blank: the name of the district area in the data.
SANHUA_DISTRICT_NAME = env("SANHUA_DISTRICT_NAME", default="")

# Static files and uploads
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files browsers ask for at the site's root (/favicon.ico on pages without a <link rel=icon>,
# such as the admin's), served by WhiteNoise.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Photos (cases/photos.py): more pixels than this is refused as a decompression bomb before it is
# decoded; what is kept is downscaled to this many pixels on its long side.
SANHUA_PHOTO_MAX_PIXELS = env.int("SANHUA_PHOTO_MAX_PIXELS", default=40_000_000)
SANHUA_PHOTO_MAX_SIDE = env.int("SANHUA_PHOTO_MAX_SIDE", default=2560)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Security: production defaults are strict; a TLS-terminating proxy sets DJANGO_SECURE_PROXY=1.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
if env.bool("DJANGO_SECURE_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(timedelta(hours=12).total_seconds())
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): the pages load only our own static files. Scripts run
# only from files of this site: no inline script, event handler or eval (what Alpine needed, so
# the console does without it). Style sheets likewise; style *attributes* are allowed, as the
# charts' tooltips and a few layout widths set them and they cannot run code. Images also come
# as data: (Bootstrap's icons) and blob: (the field app's photo previews).
_SELF, _NONE = "'self'", "'none'"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_SELF],
        "script-src": [_SELF],
        "style-src": [_SELF],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": [_SELF, "data:", "blob:"],
        "font-src": [_SELF, "data:"],
        "connect-src": [_SELF],
        "worker-src": [_SELF],
        "manifest-src": [_SELF],
        "object-src": [_NONE],
        "base-uri": [_SELF],
        "form-action": [_SELF],
        "frame-ancestors": [_NONE],
    }
}

# Logging: plain lines on stderr. Request bodies and query strings are never logged, so personal
# data cannot reach the log through them.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# django-filter: a filter select left blank filters nothing, so it reads "all" (全部), not
# Django's "---------". A filter that means something narrower names its own empty_label.
FILTERS_EMPTY_CHOICE_LABEL = _("All")

# REST framework
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header turns "not signed in" into a 401, not a 403.
        "governance.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    # DRF's JSON parser with bounds on size and nesting (a deep body was a RecursionError).
    "DEFAULT_PARSER_CLASSES": [
        "governance.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "governance.pagination.StandardPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "governance.rest.exception_handler",
    "DEFAULT_METADATA_CLASS": "governance.rest.Metadata",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Sanhua 三化 grid governance API",
    "DESCRIPTION": "District → street → community → grid: areas, posts, registries and cases. "
    "Errors: one body everywhere, `Error` {detail, code, errors} (409: `Conflict`), in the "
    "request's language (Accept-Language: en for English). Lists: cursor pages {next, "
    "previous, results}; follow `next` until null. Areas, departments and categories: by id "
    "or by code wherever input names them. The contract in full: docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI comes from drf-spectacular-sidecar's static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No online validator badge: it is an image from swagger.io, and nothing is fetched from
    # outside at run time (the Content-Security-Policy would refuse it anyway).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    # The error answers of every operation (400/401/403/404/409) are documented too.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "governance.schema.document_error_responses",
    ],
    # Several models have a "kind"; name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "HouseholdKindEnum": "grid.models.Household.Kind",
        "LifeEventKindEnum": "grid.models.LifeEvent.Kind",
        # The registry's person status, named so: the case's status is another enum.
        "PersonStatusEnum": "grid.models.Person.Status",
        "PartyOrganisationKindEnum": "party.models.Organisation.Kind",
        "PartyMemberStatusEnum": "party.models.Member.Status",
        "PartyVisitStatusEnum": "party.models.Visit.Status",
        "PartyActivityKindEnum": "party.models.Activity.Kind",
        "ServiceRequestStatusEnum": "community.models.ServiceRequest.Status",
        "SharingRequestStatusEnum": "datagov.models.SharingRequest.Status",
        # The case's and the dispatch's own (docs/api.md lists them).
        "CaseStatusEnum": "cases.models.Case.Status",
        "CaseSourceEnum": "cases.models.Case.Source",
        "DispatchStatusEnum": "cases.models.Dispatch.Status",
        "DispatchRoleEnum": "cases.models.Dispatch.Role",
        "PostRoleEnum": "grid.models.Post.Role",
        "CaseEventActionEnum": "cases.api.serializers.EVENT_ACTIONS",
        "CaseStepEnum": "cases.api.serializers.CASE_STEPS",
        "DispatchStepEnum": "cases.api.serializers.DISPATCH_STEPS",
        "NotificationActionEnum": "cases.api.serializers.NOTIFICATION_ACTIONS",
        # 不共享 / 按需共享 / 普遍共享, one name wherever a dataset, a field or a change has it.
        "SharingClassEnum": "datagov.models.SharingClass",
    },
}

# Celery: Redis when REDIS_URL is set, otherwise kombu's filesystem transport in VAR_DIR, so
# `make run` needs no server and runs the very same worker and beat code paths. The filesystem
# URL names a host (unused) because kombu warns "No hostname was supplied" on each connection.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://localhost//")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    for _folder in ("queue", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
else:
    # A message whose worker died unacknowledged comes back after this long (Redis only). It
    # must exceed the longest task (a redelivered task runs twice, which tasks tolerate); the
    # resilience tests shorten it to see a killed worker's message come back.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("SANHUA_VISIBILITY_TIMEOUT", default=3600)
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Separate queues let several installs (or parallel test runs) share one Redis.
CELERY_TASK_DEFAULT_QUEUE = env("SANHUA_CELERY_QUEUE", default="celery")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
# A task is acknowledged only after it ran, and given back if its worker dies, so a crash
# means "run again", never "lost"; every task is written to be safe to run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Every 30 seconds: proves the beat → broker → worker chain is alive (shown on /health/).
    "heartbeat": {
        "task": "governance.heartbeat",
        "schedule": env.float("SANHUA_HEARTBEAT_SECONDS", default=30.0),
    },
    # Every 30 seconds: deadlines (automatic escalation, overdue), then catch-up of any
    # post-commit work whose message was lost. The database holds every pending duty.
    "sweep": {
        "task": "cases.sweep",
        "schedule": env.float("SANHUA_SWEEP_SECONDS", default=30.0),
    },
    # Every second: the work after filing (duplicates, the report's notifications) of the
    # cases filed since the last round, as a set (cases.tasks.route_new).
    "route-new": {
        "task": "cases.route_new",
        "schedule": env.float("SANHUA_ROUTE_SECONDS", default=1.0),
        # A round still queued when the next is due is dropped: the next does its work.
        "options": {"expires": 10},
    },
    # Every 2 seconds: the steps on the rollup ledger counted in the dashboards' rollups
    # (cases/rollups.py; a dashboard also folds what is pending before it reads).
    "fold-rollups": {
        "task": "cases.fold_rollups",
        "schedule": env.float("SANHUA_FOLD_SECONDS", default=2.0),
        "options": {"expires": 10},
    },
    # Every minute: community services' overdue requests, and care-visit schedules kept in step
    # with the registry's care tags (community/tasks.py).
    "community": {"task": "community.sweep", "schedule": 60.0},
    # Every minute: registry imports whose message was lost are sent again.
    "imports": {"task": "grid.catch_up_imports", "schedule": 60.0},
    # Hourly: population counts for the open statistics and each dataset's record count.
    "datagov-count": {"task": "datagov.count_records", "schedule": 3600.0},
    # Every second: webhook deliveries that are due (writing deliveries also nudges it).
    "webhooks": {
        "task": "webhooks.send_deliveries",
        "schedule": env.float("SANHUA_WEBHOOK_SECONDS", default=1.0),
        "options": {"expires": 10},
    },
    # Hourly: webhook deliveries delivered more than SANHUA_WEBHOOK_KEEP_DAYS ago are deleted.
    "webhooks-purge": {"task": "webhooks.purge_deliveries", "schedule": 3600.0},
}
# Post-commit work (routing a new case, writing notifications) still undone this long after its
# commit is redone by the sweeper: its message was lost or the broker was down. Younger work is
# left to the message that is probably still in the queue.
SANHUA_CATCH_UP_SECONDS = env.float("SANHUA_CATCH_UP_SECONDS", default=120.0)
# Webhooks (webhooks/sending.py, docs/webhooks.md): retries wait up to base × 2^(n-1) seconds
# (full jitter) and never more than the cap; a subscription failing this many hours is paused;
# a delivery taken by a worker that died is taken again after the lease; the receiver has this
# long to answer.
SANHUA_WEBHOOK_BACKOFF_SECONDS = env.float("SANHUA_WEBHOOK_BACKOFF_SECONDS", default=10.0)
SANHUA_WEBHOOK_BACKOFF_CAP_SECONDS = env.float("SANHUA_WEBHOOK_BACKOFF_CAP_SECONDS", default=3600.0)
SANHUA_WEBHOOK_PAUSE_HOURS = env.float("SANHUA_WEBHOOK_PAUSE_HOURS", default=24.0)
SANHUA_WEBHOOK_LEASE_SECONDS = env.float("SANHUA_WEBHOOK_LEASE_SECONDS", default=300.0)
SANHUA_WEBHOOK_TIMEOUT_SECONDS = env.float("SANHUA_WEBHOOK_TIMEOUT_SECONDS", default=5.0)
SANHUA_WEBHOOK_KEEP_DAYS = env.float("SANHUA_WEBHOOK_KEEP_DAYS", default=30.0)
# A CA bundle (a file path) for receivers whose certificates an intranet CA signed.
SANHUA_WEBHOOK_CA_BUNDLE = env("SANHUA_WEBHOOK_CA_BUNDLE", default="")
# How far outside a grid's boundary a GPS point given with that grid may lie (GPS error on the
# boundary street): see grid/geo.py edge_tolerance_m.
SANHUA_GRID_EDGE_TOLERANCE_M = env.float("SANHUA_GRID_EDGE_TOLERANCE_M", default=30.0)

# Open statistics (docs/datagov.md): counts under the threshold are suppressed; tables are
# cached this long (and dropped at once when a sharing class changes); requests per address.
SANHUA_OPEN_DATA_THRESHOLD = env.int("SANHUA_OPEN_DATA_THRESHOLD", default=5)
SANHUA_OPEN_DATA_CACHE_SECONDS = env.int("SANHUA_OPEN_DATA_CACHE_SECONDS", default=300)
SANHUA_OPEN_DATA_RATE = env.str("SANHUA_OPEN_DATA_RATE", default="120/min")
SANHUA_OPEN_DATA_LICENCE = env.str("SANHUA_OPEN_DATA_LICENCE", default="CC BY 4.0")
# A minute before the cached copies expire, this year's tables are rebuilt ahead, so no visitor
# waits for a table built from a year of rollups (datagov/openstats.py refresh()).
CELERY_BEAT_SCHEDULE["datagov-open-statistics"] = {
    "task": "datagov.refresh_open_statistics",
    "schedule": float(max(60, SANHUA_OPEN_DATA_CACHE_SECONDS - 60)),
    "options": {"expires": 120},
}

# Party building: how many households one party member links with (党员联系户).
PARTY_HOUSEHOLDS_PER_MEMBER = env.int("SANHUA_PARTY_HOUSEHOLDS_PER_MEMBER", default=10)
VAR_DIR.mkdir(parents=True, exist_ok=True)

# --- Sign-in: API tokens and failed-login lock-out (issue 11, item 12) ---------------------
# API tokens are django-rest-knox tokens (governance.models.ApiToken): hashed at rest, a new
# one per sign-in, valid SANHUA_TOKEN_HOURS from issue (not sliding: a working shift, then
# sign in again), deleted by POST /api/auth/logout/.
KNOX_TOKEN_MODEL = "governance.ApiToken"
# knox's own migrations would create its unused AuthToken table (swapped out above), whose
# foreign key to the users then stops a flush of the database: it has none here.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {
    "TOKEN_MODEL": KNOX_TOKEN_MODEL,
    "TOKEN_TTL": timedelta(hours=env.float("SANHUA_TOKEN_HOURS", default=10.0)),
    "AUTO_REFRESH": False,
    "AUTH_HEADER_PREFIX": "Token",  # clients send "Authorization: Token …", as before
}
# django-axes counts failed sign-ins (API and login page alike) per user name and per client
# address, in the database (AccessAttempt rows), so every web process and host sees the same
# counts whatever the cache. SANHUA_LOGIN_FAILURES failures within SANHUA_LOGIN_COOLOFF_MINUTES
# lock that name (existing or not: the answer is the same) or that address until the
# failures are older than the cool-off; successes count for nothing and reset nothing.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env.int("SANHUA_LOGIN_FAILURES", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("SANHUA_LOGIN_COOLOFF_MINUTES", default=15.0))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "governance.auth.lockout_response"
AXES_CLIENT_IP_CALLABLE = "governance.auth.client_address"
AXES_VERBOSE = False
# Behind N reverse proxies that each append to X-Forwarded-For, the client is the N-th address
# from the right; with 0 it is REMOTE_ADDR. Wrong here means every user shares one address.
SANHUA_TRUSTED_PROXIES = env.int("SANHUA_TRUSTED_PROXIES", default=0)
# --- end of sign-in ---------------------------------------------------------------------------

# --- Personal data allowances (issue 11, item 11) ------------------------------------------
# How many reveals (a person's full ID number and phones) and personal exports one account may
# make in any sixty minutes; the next is refused with a 429 and the supervisors are told once
# (grid/limits.py counts the account's own audit-log rows).
SANHUA_REVEALS_PER_HOUR = env.int("SANHUA_REVEALS_PER_HOUR", default=20)
SANHUA_EXPORTS_PER_HOUR = env.int("SANHUA_EXPORTS_PER_HOUR", default=20)
# --- end of personal data allowances -----------------------------------------------------------
# --- data sharing grants (datagov/sharing.py, docs/datagov.md) ---------------------------------
# The longest period a sharing request may ask for, in days; and how many records one account may
# read under grants in any sixty minutes before the supervisors are alerted (not refused: the
# grant bounds what is read).
SANHUA_GRANT_MAX_DAYS = env.int("SANHUA_GRANT_MAX_DAYS", default=366)
SANHUA_GRANT_READS_PER_HOUR = env.int("SANHUA_GRANT_READS_PER_HOUR", default=2000)
# --- end of data sharing grants ----------------------------------------------------------------

# --- the 12345 hotline (hotline/, docs/hotline.md) ---------------------------------------------
# Where the hotline reaches this server: the links to result photos in what goes back to it are
# made absolute with it ("https://sanhua.example.gov.cn"); empty leaves them relative.
SANHUA_PUBLIC_URL = env("SANHUA_PUBLIC_URL", default="")
# --- end of the 12345 hotline ------------------------------------------------------------------

# --- Maps and basemaps (issue 15, item 2: static/maps/sanhua-map.js, docs/operations.md) -------
# Every map is Leaflet over a basemap: with SANHUA_TILE_URL an XYZ/WMTS tile server (天地图 with
# its key, or the district's intranet tile server; {s} {z} {x} {y} in the URL, {s} taken from
# SANHUA_TILE_SUBDOMAINS), else the offline basemap drawn from our own data (grid boundaries
# with their names, the registry's buildings, SANHUA_MAP_ROADS if given). SANHUA_TILE_CRS says
# which datum the tiles are drawn in: wgs84 (天地图 is CGCS2000, the same within a metre) or
# gcj02 (AutoNavi, Tencent): our WGS-84 boundaries and points are then shifted onto the tiles.
SANHUA_TILE_URL = env("SANHUA_TILE_URL", default="")
SANHUA_TILE_SUBDOMAINS = env("SANHUA_TILE_SUBDOMAINS", default="")
# A second layer drawn over the tiles, e.g. 天地图's labels (cva_w) over its streets (vec_w).
SANHUA_TILE_LABELS_URL = env("SANHUA_TILE_LABELS_URL", default="")
SANHUA_TILE_ATTRIBUTION = env("SANHUA_TILE_ATTRIBUTION", default="")
SANHUA_TILE_CRS = env("SANHUA_TILE_CRS", default="wgs84").lower()
SANHUA_TILE_MAX_ZOOM = env.int("SANHUA_TILE_MAX_ZOOM", default=18)
# A GeoJSON file of the district's roads (LineStrings, WGS-84, a "name" property) for the
# offline basemap; empty: none.
SANHUA_MAP_ROADS = env("SANHUA_MAP_ROADS", default="")
# At most this many buildings in one answer of /api/areas/{id}/buildings/ (a street's worth).
SANHUA_MAP_BUILDINGS_MAX = env.int("SANHUA_MAP_BUILDINGS_MAX", default=5000)
if SANHUA_TILE_CRS not in ("wgs84", "gcj02"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SANHUA_TILE_CRS must be wgs84 or gcj02.")
from grid.tiles import tile_origins  # noqa: E402  (plain functions, no Django)

# The tile server's origins may serve images to the pages, nothing else.
CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"] += tile_origins(
    (SANHUA_TILE_URL, SANHUA_TILE_LABELS_URL), SANHUA_TILE_SUBDOMAINS
)
TEMPLATES[0]["OPTIONS"]["context_processors"].append("grid.maps.basemap")
# --- end of maps and basemaps ------------------------------------------------------------------
