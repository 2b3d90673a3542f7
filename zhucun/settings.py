"""Zhucun settings. Every deployment-specific value comes from the environment (see README).

Defaults let a fresh checkout run the demo (SQLite, tasks in-process); with DEBUG off the
process refuses to start without a real SECRET_KEY.
"""

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from zhucun.env import env_bool, env_int, env_list, env_str
from zhucun.logging_filters import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=True)

_DEV_SECRET_KEY = "django-insecure-zhucun-local-demo-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
# .env.example's placeholder starts with "change-me": copying the example unchanged must not start a server.
if not DEBUG and (
    not SECRET_KEY or SECRET_KEY == _DEV_SECRET_KEY or SECRET_KEY.startswith("change-me") or len(SECRET_KEY) < 32
):
    raise ImproperlyConfigured("SECRET_KEY must be set to a random string of at least 32 characters when DEBUG=0.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])

# HTTPS. In production (DEBUG=0) Zhucun sits behind a proxy that terminates TLS and sets X-Forwarded-Proto: cookies
# are secure, HSTS is sent, plain http is redirected. Each switch reads the environment with the safe value as its
# default. ZHUCUN_PLAIN_HTTP=1 flips those defaults for a stack served on loopback only (`make serve`) and refuses
# to start with any other host allowed, so it cannot leak into a real deployment.
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
PLAIN_HTTP = env_bool("ZHUCUN_PLAIN_HTTP", default=DEBUG)
if PLAIN_HTTP and not DEBUG and not set(ALLOWED_HOSTS) <= _LOOPBACK_HOSTS:
    raise ImproperlyConfigured(
        "ZHUCUN_PLAIN_HTTP=1 serves plain http on loopback only: "
        "ALLOWED_HOSTS may hold only 127.0.0.1, localhost and [::1]."
    )
_HTTPS = not PLAIN_HTTP
# The header the proxy overwrites on every request (never trust it without such a proxy: a client could send it).
_PROXY_SSL_HEADER = env_str("SECURE_PROXY_SSL_HEADER", default="X-Forwarded-Proto" if _HTTPS else "")
SECURE_PROXY_SSL_HEADER = (
    (f"HTTP_{_PROXY_SSL_HEADER.upper().replace('-', '_')}", "https") if _PROXY_SSL_HEADER else None
)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=_HTTPS)
# Health probes come over plain http from inside the host (compose, load balancers).
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=_HTTPS)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=_HTTPS)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=365 * 24 * 60 * 60 if _HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp) on every response: scripts and styles only from our own static files, no
# inline <script>, no on*= handlers, no inline <style> or style="" (templates/base.html says how pages keep to it).
# Images may be data: URIs (Pico's and Swagger UI's icons are).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "simple_history",
    "drf_spectacular",
    "axes",
    "csp",
    # TOTP two-factor sign-in (zhucun/two_factor.py): authenticator apps, and one-time recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "zhucun.apps.ZhucunConfig",
    "villages",
    "teams",
    "reports",
    "exports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "zhucun.middleware.AbsoluteSessionLifetimeMiddleware",
    # request.user.is_verified(): the session passed the second factor; then the gate that asks for it.
    "django_otp.middleware.OTPMiddleware",
    "zhucun.two_factor.TwoFactorMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout response.
    "axes.middleware.AxesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "zhucun.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "zhucun.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "zhucun.wsgi.application"

# Database: DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/zhucun; default a SQLite file here.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", default=0, minimum=0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while a seed or an in-process task writes.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": 20,
    }

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out username+IP before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions (OWASP ASVS L2): 30 minutes of inactivity, 12 hours in all. A signed-in user's session is saved (its
# expiry moved on by SESSION_COOKIE_AGE) when its last save is SESSION_REFRESH_SECONDS old, not on every request
# (zhucun/middleware.py): the idle limit holds to within that minute, without a write per request.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", default=30 * 60, minimum=60)
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = min(60, SESSION_COOKIE_AGE // 10)
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_SECONDS", default=12 * 60 * 60, minimum=60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"


# Cache: the statistics API's answers (reports/stats_cache.py), which the Celery worker invalidates after each
# rollup, so web processes and worker must share it. CACHE_URL names a Redis (redis://host:6379/2). Unset: where
# tasks run in a worker through a Redis broker, that Redis with the broker's db number + 1 (redis://redis:6379/0
# → redis://redis:6379/1); where tasks run in-process (no broker: the demo, the tests), this process's memory;
# with another broker, no cache at all (always correct, only slower).
def _default_cache_url() -> str:
    broker = env_str("CELERY_BROKER_URL", default=env_str("REDIS_URL", default=""))
    if not broker:
        return "locmem://"
    parts = urlsplit(broker)
    if parts.scheme not in {"redis", "rediss"}:
        return "dummy://"
    database = parts.path.strip("/")
    database = int(database) + 1 if database.isdigit() else 1
    return urlunsplit(parts._replace(path=f"/{database}"))


CACHE_URL = env_str("CACHE_URL", default="") or _default_cache_url()
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "zhucun",
            # A hung Redis must not hang requests: the stats API answers without the cache when Redis fails.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
elif CACHE_URL == "locmem://":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "zhucun"}}
elif CACHE_URL == "dummy://":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
else:
    raise ImproperlyConfigured(
        f"Environment variable CACHE_URL={CACHE_URL!r} must be a Redis URL (redis://host:6379/2), locmem:// or dummy://."
    )

# Brute-force protection: lock a username from one IP after 5 failures, for 15 minutes (not by IP alone,
# not forever: a county office behind one NAT address must not lock everybody out).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", default=5, minimum=1)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", default=15, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# A wrong two-factor code counts as a failed login too (zhucun/two_factor.py); axes keeps the POST data of failures:
# never the codes.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code", "otp"]

# Two-factor sign-in (TOTP, django-otp; 等保2.0 level 3): required of region, prefecture and county admins, auditors
# and staff (the Django admin) whenever ZHUCUN_REQUIRE_2FA is on, which it is by default in production (DEBUG=0) and
# is not in the local demo (DEBUG=1). Off, nobody is asked for a second factor. Others may enrol of their own accord.
ZHUCUN_REQUIRE_2FA = env_bool("ZHUCUN_REQUIRE_2FA", default=not DEBUG)
OTP_TOTP_ISSUER = "驻村工作队管理系统"
# The Django admin lists devices (to reset one) but never shows their secret keys or recovery codes.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "zhucun.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Production: collectstatic writes hashed, compressed copies that whitenoise serves with a one-year cache.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "zhucun.storage.StaticFilesStorage"
    },
}
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "media/"

# Celery: with no broker configured, tasks run in-process and eagerly, so the demo needs no Redis.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", default=env_str("REDIS_URL", default=""))
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# A worker killed mid-task must not lose it: acknowledge after the task ran, requeue on worker loss.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", default=3600, minimum=1)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 30 if CELERY_TASK_TIME_LIMIT > 60 else None
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers and beat log through LOGGING below (JSON in production, personal data masked), not Celery's own handlers.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        # Ordering and search live in each FilterSet, shared with the pages and exports.
        "django_filters.rest_framework.DjangoFilterBackend",
    ],
    "DEFAULT_PAGINATION_CLASS": "zhucun.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Services raise django's ValidationError / PermissionDenied: 400 with per-field errors, 403.
    "EXCEPTION_HANDLER": "zhucun.api_views.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "驻村工作队管理系统 API",
    "DESCRIPTION": "所有接口按用户角色的范围返回数据；范围外的对象返回 404，无权执行的操作返回 403。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "/static/vendor/swagger-ui",
    "SWAGGER_UI_FAVICON_HREF": "/static/vendor/swagger-ui/favicon-32x32.png",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"ReportStatusEnum": "reports.choices.ReportStatus"},
}

# Excel exports: finished files are kept this many hours, then the cleanup beat job deletes them.
ZHUCUN_EXPORT_KEEP_HOURS = env_int("ZHUCUN_EXPORT_KEEP_HOURS", default=72, minimum=1, maximum=24 * 90)

# Reporting rules.
REPORT_DUE_DAY = env_int("REPORT_DUE_DAY", default=5, minimum=1, maximum=28)

LOG_LEVEL = env_str("LOG_LEVEL", default="INFO")
# json: one JSON object per line on stdout (production, for a log collector); plain: readable lines (development).
LOG_FORMAT = env_str("LOG_FORMAT", default="plain" if DEBUG else "json")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured(f"Environment variable LOG_FORMAT={LOG_FORMAT!r} must be json or plain.")
LOGGING = logging_config(
    LOG_FORMAT,
    root_level=LOG_LEVEL,
    # Login attempts are always logged, even with LOG_LEVEL=WARNING.
    levels={"zhucun.auth": "INFO"},
    # runserver's request lines carry query strings (a cadre search ?q= can be an ID number): mask them too.
    console_loggers=("django.server",),
)

# Static files: whitenoise serves them; in DEBUG it reads from the finders so no collectstatic is needed.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# The reporting calendar (exactly one `celery beat` runs it; every job is idempotent).
from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE = {
    "create-monthly-drafts": {
        "task": "reports.tasks.create_monthly_drafts",
        "schedule": crontab(minute=30, hour=0, day_of_month=1),
    },
    "send-reminders": {"task": "reports.tasks.send_reminders", "schedule": crontab(minute=0, hour=9)},
    "sync-assignment-statuses": {
        "task": "teams.tasks.sync_assignment_statuses",
        "schedule": crontab(minute=10, hour=0),
    },
    "cleanup-exports": {"task": "exports.tasks.cleanup_exports", "schedule": crontab(minute=20)},
}

# Personal data at rest (teams/fields.py): Fernet keys for resident ID numbers, newest first (rotation: prepend a
# key, run `manage.py rotate_field_keys`, then drop the old one), and a separate key for their keyed hash (lookups,
# uniqueness). Development defaults only with DEBUG on; with DEBUG=0 and no keys, the first read or write of an ID
# number raises ImproperlyConfigured naming the variable (nothing is ever stored in clear).
_DEV_FIELD_KEY = "emh1Y3VuLWRldmVsb3BtZW50LWZpZWxkLWtleS0wMDE="  # base64("zhucun-development-field-key-001")
_DEV_HASH_KEY = "zhucun-development-hash-key-do-not-use-in-production"
ZHUCUN_FIELD_KEYS = env_list("ZHUCUN_FIELD_KEYS", default=[_DEV_FIELD_KEY] if DEBUG else [])
ZHUCUN_HASH_KEY = env_str("ZHUCUN_HASH_KEY", default=_DEV_HASH_KEY if DEBUG else "")
