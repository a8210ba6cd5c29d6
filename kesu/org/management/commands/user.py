from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kesu.core.errors import KesuError
from kesu.org.actions import NewUser, do_create_user
from kesu.org.choices import Role


class Command(BaseCommand):
    help = "Manage staff accounts: kesu user create USERNAME --role ROLE --org-unit CODE"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        create = sub.add_parser("create", help="Create a user")
        create.add_argument("username")
        create.add_argument("--role", required=True, help="One of: " + ", ".join(Role.values))
        create.add_argument("--org-unit", required=True, dest="org_unit")
        create.add_argument(
            "--password", help="Password (else KESU_USER_PASSWORD; else none: token-only access)"
        )
        create.add_argument("--name", default="", help="Display name")
        create.add_argument("--email", default="")
        create.add_argument("--department", default=None, help="Department code")

    def handle(self, *args: Any, **opts: Any) -> None:
        import os

        password = opts.get("password") or os.environ.get("KESU_USER_PASSWORD")
        try:
            user = do_create_user(NewUser(
                username=opts["username"], role=opts["role"], org_unit_code=opts["org_unit"],
                password=password, display_name=opts["name"], email=opts["email"],
                department_code=opts["department"],
            ), actor=None)
        except KesuError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(f"created user {user.username} ({user.role}, {opts['org_unit']})")
