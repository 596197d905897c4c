import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
application = get_wsgi_application()
# Import every view (and what they import: charts, statistics, PDF) while the worker boots, not inside its
# first request: Django resolves the URLconf lazily, and that import takes seconds.
get_resolver().url_patterns  # noqa: B018
