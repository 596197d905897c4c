"""Response headers that protect every page: the Content-Security-Policy.

The app serves every asset itself (tandem/web/static, the vendored htmx, Django admin and the API docs' files),
so the policy is `default-src 'self'` with no `unsafe-inline` and no `unsafe-eval`:

- no inline `<script>` blocks and no `on*=` attributes: JavaScript lives in static files;
- no `style=` attributes and no `<style>` blocks in pages: CSS lives in static files (tandem.css, survey.css);
- htmx is told (the `htmx-config` meta tag in base.html) not to add its indicator `<style>` and not to eval;
- `img-src` also allows `data:` URIs, which the API docs' stylesheet (Swagger UI) uses for its icons
  (an image cannot run code);
- `frame-ancestors 'none'` repeats X-Frame-Options DENY for browsers that read only CSP;
  `form-action 'self'` and `base-uri 'self'` stop injected markup from sending forms or links elsewhere.

Views may set their own header (the middleware leaves it alone), e.g. a standalone download.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"


class ContentSecurityPolicyMiddleware:
    """Adds settings.TANDEM_CONTENT_SECURITY_POLICY to every response (pages, API, static files, errors)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy: str = settings.TANDEM_CONTENT_SECURITY_POLICY

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.policy and HEADER not in response:
            response[HEADER] = self.policy
        return response
