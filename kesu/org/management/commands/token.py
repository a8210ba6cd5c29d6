from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.core.errors import NotFound
from kesu.org.actions import TOKEN_CACHE_SECONDS, do_create_token, do_revoke_tokens
from kesu.org.models import ApiToken, User


def _local(moment: datetime | None) -> str:
    """A stored (UTC) time as the installation's zone shows it."""
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}" if moment else "-"


class Command(BaseCommand):
    help = ("API tokens: kesu token create USERNAME prints a new bearer token; "
            "list USERNAME shows them; revoke USERNAME [--prefix P] revokes them.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        create = sub.add_parser("create", help="Create a token for a user and print it")
        create.add_argument("username")
        create.add_argument("--name", default="", help="What the token is for")
        listing = sub.add_parser("list", help="List a user's tokens: prefix, name, created, last used, state")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke", help="Revoke a user's tokens: all, or the one with --prefix")
        revoke.add_argument("username")
        revoke.add_argument("--prefix", default="", help="The token's first characters, as `list` shows them")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "create":
            user = User.objects.filter(username=opts["username"], is_active=True).first()
            if user is None:
                raise CommandError(f"no active user named {opts['username']!r}")
            self.stdout.write(do_create_token(user, name=opts["name"], actor=None))
            return
        user = User.objects.filter(username=opts["username"]).first()
        if user is None:
            raise CommandError(f"no user named {opts['username']!r}")
        if opts["action"] == "list":
            for t in ApiToken.objects.filter(user=user).order_by("created_at", "pk"):
                state = f"revoked {_local(t.revoked_at)}" if t.revoked_at else "live"
                self.stdout.write("\t".join([f"{t.prefix}…", t.name or "-", _local(t.created_at),
                                             _local(t.last_used_at), state]))
            return
        try:
            revoked = do_revoke_tokens(user, prefix=opts["prefix"], actor=None)
        except NotFound as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(_("Revoked {n} token(s) of {user}; other running processes refuse them within "
                            "{seconds:.0f} seconds.").format(n=len(revoked), user=user.username,
                                                             seconds=TOKEN_CACHE_SECONDS))
