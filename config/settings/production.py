"""Production: PostgreSQL via DATABASE_URL, an explicit secret key and hosts, HTTPS cookies, redirect and HSTS.

`tandem check --deploy` is clean with these defaults (tests/web/test_security.py runs it).
"""

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
# Plain-HTTP requests are redirected to HTTPS. Behind a TLS-terminating proxy set TANDEM_BEHIND_PROXY=1 (the
# proxy's X-Forwarded-Proto then says the request was HTTPS); /health/ answers on HTTP for load balancers.
SECURE_SSL_REDIRECT = env_bool("TANDEM_SSL_REDIRECT", SESSION_COOKIE_SECURE)
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = int(os.environ.get("TANDEM_HSTS_SECONDS", "31536000")) if SESSION_COOKIE_SECURE else 0
# includeSubDomains covers the names below Tandem's own host (e.g. *.tandem.example.com), not its parent domain.
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env_bool("TANDEM_HSTS_PRELOAD", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("TANDEM_BEHIND_PROXY") else None
# W021 (no HSTS preload): entering the browsers' preload list is a decision for the owner of the whole
# registrable domain (it binds every subdomain, and is slow to undo), so it is opt-in (TANDEM_HSTS_PRELOAD=1).
SILENCED_SYSTEM_CHECKS = ["security.W021"]
