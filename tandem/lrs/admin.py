from django.contrib import admin

from tandem.lrs.models import LrsClient


@admin.register(LrsClient)
class LrsClientAdmin(admin.ModelAdmin):
    # Credentials are created and rotated with `tandem lrs-credentials`, which shows the secret once.
    list_display = ("name", "key", "active", "created_at", "revoked_at")
    readonly_fields = ("key", "secret_hash", "authority", "authority_ifi", "created_at", "revoked_at")
    search_fields = ("name", "key")
