"""The JSON API (OpenAPI 3 at /api/docs). Session-authenticated; same selectors as the pages."""

from ninja import NinjaAPI

api = NinjaAPI(title="Tandem API", version="1", urls_namespace="api")
