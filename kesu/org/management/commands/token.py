from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kesu.org.actions import do_create_token
from kesu.org.models import User


class Command(BaseCommand):
    help = "API tokens: kesu token create USERNAME prints a new bearer token."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        create = sub.add_parser("create", help="Create a token for a user and print it")
        create.add_argument("username")
        create.add_argument("--name", default="", help="What the token is for")

    def handle(self, *args: Any, **opts: Any) -> None:
        user = User.objects.filter(username=opts["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active user named {opts['username']!r}")
        self.stdout.write(do_create_token(user, name=opts["name"], actor=None))
