"""`tandem lrs-credentials`: create, revoke, rotate and list the credentials of xAPI clients."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tandem.lrs.models import LrsClient, LrsScope
from tandem.lrs.records import LrsError
from tandem.lrs.services import lrs_client_create, lrs_client_revoke, lrs_client_rotate


class Command(BaseCommand):
    help = (
        "Manage xAPI client credentials. `create --name N --scope S [--scope S]` and `rotate KEY` print "
        'one JSON line {"key": ..., "secret": ...}; the secret is shown only then.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="create a credential")
        create.add_argument("--name", required=True)
        create.add_argument("--scope", action="append", required=True, choices=LrsScope.values, dest="scopes")
        revoke = actions.add_parser("revoke", help="stop a credential working")
        revoke.add_argument("key")
        rotate = actions.add_parser("rotate", help="give a credential a new secret")
        rotate.add_argument("key")
        actions.add_parser("list", help="list credentials (never secrets), one JSON line each")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "create":
                _client, credentials = lrs_client_create(name=options["name"], scopes=options["scopes"])
                self.stdout.write(json.dumps({"key": credentials.key, "secret": credentials.secret}))
            elif action == "rotate":
                credentials = lrs_client_rotate(key=options["key"])
                self.stdout.write(json.dumps({"key": credentials.key, "secret": credentials.secret}))
            elif action == "revoke":
                client = lrs_client_revoke(key=options["key"])
                self.stdout.write(json.dumps({"key": client.key, "active": client.active}))
            else:
                for client in LrsClient.objects.order_by("created_at", "key"):
                    row = {
                        "key": client.key,
                        "name": client.name,
                        "scopes": client.scopes,
                        "active": client.active,
                        "created_at": client.created_at.isoformat(),
                        "revoked_at": client.revoked_at.isoformat() if client.revoked_at else None,
                    }
                    self.stdout.write(json.dumps(row))
        except LrsError as error:
            raise CommandError(str(error)) from error
