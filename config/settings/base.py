"""Settings shared by every environment. Everything comes from environment variables with safe defaults."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.paths import data_dir, secret_key
from config.sqlite import SQLITE_PRAGMAS


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = data_dir()

SECRET_KEY = secret_key(DATA_DIR)
DEBUG = env_bool("TANDEM_DEBUG", False)
ALLOWED_HOSTS = env_list("TANDEM_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("TANDEM_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "tandem.core",
    "tandem.audit",
    "tandem.org",
    "tandem.metrics",
    "tandem.initiatives",
    "tandem.accounts",
    "tandem.imports",
    "tandem.lrs",
    "tandem.impact",
    "tandem.surveys",
    "tandem.reports",
    "tandem.web",
    "tandem.api",
    "tandem.demo",
]

MIDDLEWARE = [
    # First, so that every response carries the policy: static files (WhiteNoise) and error pages included.
    "tandem.web.security.ContentSecurityPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "tandem.web.middleware.ViewerMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tandem.web.context_processors.navigation",
            ],
        },
    }
]

# Database: DATABASE_URL (PostgreSQL in production), else the embedded SQLite file in the data directory.
_database_url = os.environ.get("DATABASE_URL")
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "tandem.sqlite3"),
            "OPTIONS": {"init_command": SQLITE_PRAGMAS, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Email log-in is case-insensitive; the lockout counts under the same normalised address.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "tandem.accounts.authentication.EmailBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
# Reset links work once (the token covers the password hash) and expire after this many seconds.
PASSWORD_RESET_TIMEOUT = int(os.environ.get("TANDEM_PASSWORD_RESET_SECONDS", str(2 * 3600)))
# Password-reset emails: at most this many requests per address and per client address in the window.
TANDEM_PASSWORD_RESET_PER_EMAIL = int(os.environ.get("TANDEM_PASSWORD_RESET_PER_EMAIL", "3"))
TANDEM_PASSWORD_RESET_PER_CLIENT = int(os.environ.get("TANDEM_PASSWORD_RESET_PER_CLIENT", "10"))
TANDEM_PASSWORD_RESET_WINDOW_SECONDS = int(os.environ.get("TANDEM_PASSWORD_RESET_WINDOW_SECONDS", "3600"))
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login rate limiting (django-axes): lock a username+IP pair after repeated failures.
AXES_FAILURE_LIMIT = int(os.environ.get("TANDEM_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("TANDEM_LOGIN_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/auth/locked_out.html"
# Renders the same template with "try again in N minutes" (a string: settings import no Tandem code).
AXES_LOCKOUT_CALLABLE = "tandem.web.views.auth.lockout_response"
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "tandem.accounts.authentication.axes_username"

# Sessions and cookies.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(os.environ.get("TANDEM_SESSION_SECONDS", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie.
CSRF_FAILURE_VIEW = "tandem.web.views.auth.csrf_failure"  # our 403 page, not Django's debug-style one
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Every asset is served by Tandem itself; no inline script, style or eval anywhere (tandem/web/security.py).
TANDEM_CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
_https = env_bool("TANDEM_HTTPS", False)
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TANDEM_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing; files come from finders
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = DATA_DIR / "uploads"
WHITENOISE_USE_FINDERS = True  # serve app static files without a collectstatic step
WHITENOISE_AUTOREFRESH = DEBUG

# Email: real SMTP when TANDEM_SMTP_HOST is set; otherwise messages are written to files in the data dir.
EMAIL_HOST = os.environ.get("TANDEM_SMTP_HOST", "")
EMAIL_PORT = int(os.environ.get("TANDEM_SMTP_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("TANDEM_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("TANDEM_SMTP_PASSWORD", "")
EMAIL_USE_TLS = env_bool("TANDEM_SMTP_STARTTLS", False)
EMAIL_USE_SSL = env_bool("TANDEM_SMTP_SSL", False)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = os.environ.get("TANDEM_FROM_EMAIL", "Tandem <tandem@localhost>")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "outbox")

# Background work: django-tasks with its database backend (no broker). `tandem serve` runs a worker.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Finished chart SVG under a hash of its spec (tandem.core.charts): never stale, so only size bounds it.
    "charts": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "charts",
        "OPTIONS": {"MAX_ENTRIES": 2000},
    },
}

# Imports larger than this many rows run in the background with a progress indicator.
TANDEM_IMPORT_BACKGROUND_ROWS = int(os.environ.get("TANDEM_IMPORT_BACKGROUND_ROWS", "2000"))
# ... or larger than this many bytes (whatever the file says about its rows). docs/imports.md
TANDEM_IMPORT_BACKGROUND_BYTES = int(os.environ.get("TANDEM_IMPORT_BACKGROUND_BYTES", str(1024 * 1024)))
# Uploaded files (personal data) are deleted this many days after upload, whatever became of the run.
TANDEM_IMPORT_RETENTION_DAYS = int(os.environ.get("TANDEM_IMPORT_RETENTION_DAYS", "30"))
# No group figure is shown for fewer than this many people.
TANDEM_MIN_GROUP_SIZE = int(os.environ.get("TANDEM_MIN_GROUP_SIZE", "5"))
# ISO 4217 code of every amount Tandem shows (costs, ROI, business cases) in pages and exports.
TANDEM_CURRENCY = os.environ.get("TANDEM_CURRENCY", "EUR").strip().upper() or "EUR"
# Company policy on managers seeing their reports' individual learning records (docs/access.md): "consent"
# (only of learners who agreed, on their home page), "all" (every report's) or "none" (group figures only).
TANDEM_MANAGER_LEARNING = os.environ.get("TANDEM_MANAGER_LEARNING", "consent").strip().lower()
if TANDEM_MANAGER_LEARNING not in {"consent", "all", "none"}:
    raise ImproperlyConfigured("TANDEM_MANAGER_LEARNING must be consent, all or none")
# Where people reach Tandem: links in emails (survey invitations) and the IRIs of Tandem's own xAPI
# activities are built from it.
TANDEM_BASE_URL = os.environ.get("TANDEM_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# While `tandem serve` runs, due survey invitations and reminders are sent this often (seconds; 0: never).
TANDEM_SURVEY_DISPATCH_SECONDS = int(os.environ.get("TANDEM_SURVEY_DISPATCH_SECONDS", "300"))
TANDEM_XAPI_DOWNGRADE_STATEMENTS = env_bool("TANDEM_XAPI_DOWNGRADE_STATEMENTS", True)  # docs/xapi-versions.md

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("TANDEM_LOG_LEVEL", "WARNING")},
}
