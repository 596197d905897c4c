"""Production: PostgreSQL via DATABASE_URL, an explicit secret key and hosts, HTTPS cookies and HSTS."""

import os

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403
from config.settings.base import env_bool

for _name in ("DATABASE_URL", "TANDEM_SECRET_KEY", "TANDEM_ALLOWED_HOSTS"):
    if not os.environ.get(_name):
        raise ImproperlyConfigured(f"{_name} must be set in production")

DEBUG = False
SESSION_COOKIE_SECURE = env_bool("TANDEM_HTTPS", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("TANDEM_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = int(os.environ.get("TANDEM_HSTS_SECONDS", "31536000")) if SESSION_COOKIE_SECURE else 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("TANDEM_BEHIND_PROXY") else None
