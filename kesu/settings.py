"""Django settings for kesu, driven entirely by ``KESU_*`` environment variables.

Two profiles share this one module:

* **embedded** (default): SQLite in ``KESU_DATA_DIR``, attachments on the local filesystem,
  a Celery broker in files under the data directory (no server needed);
* **production**: ``KESU_DATABASE_URL`` (PostgreSQL) and ``KESU_REDIS_URL`` (broker and cache).

Settings hold server knobs only; business policy lives in the database.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def _env_bool(name: str, default: bool = False) -> bool:
    return _env(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


DATA_DIR = Path(_env("KESU_DATA_DIR", str(Path.cwd() / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """Use KESU_SECRET_KEY, else a key generated once and kept in the data directory."""
    if key := _env("KESU_SECRET_KEY"):
        return key
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        import secrets

        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("KESU_DEBUG")
ALLOWED_HOSTS = [h for h in _env("KESU_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in _env("KESU_CSRF_TRUSTED_ORIGINS").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "kesu.core",
    "kesu.org",
    "kesu.customers",
    "kesu.cases",
    "kesu.sla",
    "kesu.notify",
    "kesu.mailin",
    "kesu.triage",
    "kesu.console",
    "kesu.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kesu.core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kesu.org.middleware.UserTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Turns django_ratelimit's Ratelimited into RATELIMIT_VIEW (429) instead of a 403.
    "django_ratelimit.middleware.RatelimitMiddleware",
]

ROOT_URLCONF = "kesu.urls"
WSGI_APPLICATION = "kesu.wsgi.application"
AUTH_USER_MODEL = "org.User"
LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:case_list"
LOGOUT_REDIRECT_URL = "console:login"

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
    }
]

# --- database -------------------------------------------------------------------------
DATABASE_URL = _env("KESU_DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if _env_bool("KESU_DB_SERVER_SIDE_BINDING"):
        # psycopg binds parameters on the server and prepares a statement after its 5th run on a
        # connection: PostgreSQL parses and plans the write path's statements once per connection
        # (~0.9 ms less PostgreSQL CPU per API intake). Off by default: not for PgBouncer in
        # transaction mode, and Django documents queries that fail with server-side binding.
        DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}
    DATABASES["default"]["TEST"] = {"NAME": _env("KESU_TEST_DB_NAME") or None}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "kesu.sqlite3"),
            "OPTIONS": {
                # IMMEDIATE makes every write transaction take the write lock up front, so
                # concurrent writers queue (up to `timeout`) instead of failing mid-transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON;"
                ),
            },
            "TEST": {"NAME": str(DATA_DIR / "test_kesu.sqlite3")},
        }
    }
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, broker ----------------------------------------------------------------------
REDIS_URL = _env("KESU_REDIS_URL")
if REDIS_URL:
    # Django's RedisCache, with one client per pool instead of one per command (kesu/core/redis_cache.py).
    CACHES = {"default": {"BACKEND": "kesu.core.redis_cache.RedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "kesu_cache"}
    }
    _broker_dir = DATA_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    # The host is ignored by this transport; naming one keeps Kombu from warning "No hostname
    # was supplied" every time a task is sent.
    CELERY_BROKER_URL = "filesystem://localhost/"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        # Exchange tables (fanout: remote control, events); Kombu's default is ./control.
        "control_folder": str(_broker_dir / "control"),
    }
CELERY_TASK_ALWAYS_EAGER = _env_bool("KESU_CELERY_EAGER")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Worker health for `kesu status` (kesu/core/tasks.py).
    "worker-heartbeat": {"task": "kesu.core.tasks.worker_heartbeat", "schedule": 60.0},
    # Notifications waiting for (re)delivery (kesu/notify/tasks.py).
    "notify-deliver-due": {"task": "kesu.notify.tasks.deliver_due", "schedule": 30.0},
    # SLA warnings, breaches and escalation (kesu/sla/tasks.py).
    "sla-sweep": {"task": "kesu.sla.tasks.sweep", "schedule": 60.0},
    # Import jobs left "running" by a worker that died (kesu/cases/tasks.py).
    "imports-expire-stale": {"task": "kesu.cases.expire_stale_imports", "schedule": 300.0},
    # E-mail intake (kesu/mailin/tasks.py); a no-op without active IMAP mailboxes.
    "mailin-poll": {"task": "kesu.mailin.tasks.poll_mailboxes", "schedule": 60.0, "options": {"expires": 55}},
}

# --- files ------------------------------------------------------------------------------
MEDIA_ROOT = str(DATA_DIR / "media")
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = str(DATA_DIR / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
if _env("KESU_S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _env("KESU_S3_BUCKET"),
            "endpoint_url": _env("KESU_S3_ENDPOINT_URL") or None,
            "access_key": _env("KESU_S3_ACCESS_KEY") or None,
            "secret_key": _env("KESU_S3_SECRET_KEY") or None,
            "region_name": _env("KESU_S3_REGION") or None,
            "default_acl": None,
            "querystring_auth": True,
        },
    }
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

ATTACHMENT_MAX_BYTES = int(_env("KESU_ATTACHMENT_MAX_BYTES", str(20 * 1024 * 1024)))
# Processes that write one large import on PostgreSQL (kesu.cases.import_parallel); 0: one per CPU.
IMPORT_WORKERS = int(_env("KESU_IMPORT_WORKERS", "0"))
ATTACHMENT_ALLOWED_TYPES = [
    "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic",
    "application/pdf", "audio/mpeg", "audio/mp4", "audio/x-wav", "audio/amr", "video/mp4",
    "text/plain",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/msword", "application/vnd.ms-excel",
]
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- i18n, time -------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
LANGUAGE_COOKIE_NAME = "kesu_language"

# --- auth, sessions, security ------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = _env_bool("KESU_SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = 12 * 3600
RATELIMIT_USE_CACHE = "default"
RATELIMIT_VIEW = "kesu.portal.views.rate_limited"
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]

# Portal: tracking attempts (every POST) allowed per client address per 15 minutes.
PORTAL_TRACK_RATE = _env("KESU_PORTAL_TRACK_RATE", "10/15m")
PORTAL_SUBMIT_RATE = _env("KESU_PORTAL_SUBMIT_RATE", "20/h")
# Console sign-in attempts: per user name, and per client address.
LOGIN_RATE = _env("KESU_LOGIN_RATE", "10/15m")
LOGIN_IP_RATE = _env("KESU_LOGIN_IP_RATE", "50/15m")
# Portal receipt: reply promised by 18:00 (Asia/Shanghai) of the Nth working day (IN-6).
PORTAL_REPLY_WORKING_DAYS = int(_env("KESU_PORTAL_REPLY_WORKING_DAYS", "1"))

EMAIL_BACKEND = _env("KESU_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = _env("KESU_SMTP_HOST", "127.0.0.1")
EMAIL_PORT = int(_env("KESU_SMTP_PORT", "25"))
DEFAULT_FROM_EMAIL = _env("KESU_FROM_EMAIL", "kesu@localhost")
EMAIL_HOST_USER = _env("KESU_SMTP_USER")
EMAIL_HOST_PASSWORD = _env("KESU_SMTP_PASSWORD")
EMAIL_USE_TLS = _env_bool("KESU_SMTP_STARTTLS")
EMAIL_USE_SSL = _env_bool("KESU_SMTP_SSL")
EMAIL_TIMEOUT = int(_env("KESU_SMTP_TIMEOUT", "10"))
EMAIL_FILE_PATH = str(DATA_DIR / "mail")
# Embedded profile without an SMTP server: mails are written to files in the data directory.
if not _env("KESU_SMTP_HOST") and not _env("KESU_EMAIL_BACKEND"):
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
KESU_BASE_URL = _env("KESU_BASE_URL", "http://127.0.0.1:8000")
NOTIFY_MAX_ATTEMPTS = int(_env("KESU_NOTIFY_MAX_ATTEMPTS", "8"))
NOTIFY_HTTP_TIMEOUT = float(_env("KESU_NOTIFY_HTTP_TIMEOUT", "5"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": _env("KESU_LOG_LEVEL", "WARNING")},
}

NINJA_PAGINATION_PER_PAGE = 20
