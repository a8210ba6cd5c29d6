from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from kesu.core.errors import KesuError
from kesu.org.actions import (
    TOKEN_CACHE_SECONDS,
    AccountChange,
    NewUser,
    do_create_user,
    do_deactivate_user,
    do_reactivate_user,
)
from kesu.org.choices import Role
from kesu.org.models import OrgUnit, User
from kesu.org.queries import UserFilter, open_cases_owned, user_list


class Command(BaseCommand):
    help = ("Manage staff accounts: kesu user create USERNAME --role ROLE --org-unit CODE; "
            "deactivate USERNAME [--reason R]; activate USERNAME; list [--inactive | --all]")

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
        deactivate = sub.add_parser(
            "deactivate", help="Shut an account out: no sign-in, tokens revoked, sessions ended; "
            "open cases stay with it and are listed")
        deactivate.add_argument("username")
        deactivate.add_argument("--reason", default="", help="Why (kept in the audit trail)")
        activate = sub.add_parser("activate",
                                  help="Let a deactivated account sign in again (tokens stay revoked)")
        activate.add_argument("username")
        activate.add_argument("--reason", default="", help="Why (kept in the audit trail)")
        listing = sub.add_parser("list", help="Accounts: name, role, org unit, department, state, open cases")
        state = listing.add_mutually_exclusive_group()
        state.add_argument("--inactive", dest="state", action="store_const", const="inactive",
                           help="Only deactivated accounts")
        state.add_argument("--all", dest="state", action="store_const", const="all",
                           help="Active and deactivated accounts")
        listing.add_argument("--role", default="", help="Only this role")
        listing.add_argument("--org-unit", default="", dest="org_unit",
                             help="Only this unit and those below it")

    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        if action == "list":
            self._list(opts)
            return
        if action == "create":
            self._create(opts)
            return
        user = User.objects.filter(username=opts["username"]).first()
        if user is None:
            raise CommandError(
                _("No account with the user name {name} exists.").format(name=opts["username"]))
        try:
            if action == "deactivate":
                change = do_deactivate_user(user, actor=None, reason=opts["reason"])
            else:
                change = do_reactivate_user(user, actor=None, reason=opts["reason"])
        except KesuError as exc:
            raise CommandError(str(exc.message)) from exc
        self._report(action, change)

    def _create(self, opts: dict[str, Any]) -> None:
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

    def _report(self, action: str, change: AccountChange) -> None:
        name = change.user.username
        if action == "deactivate":
            self.stdout.write(_(
                "Deactivated {name}: {tokens} API token(s) revoked (other running processes refuse them "
                "within {seconds:.0f} seconds), {sessions} session(s) ended."
            ).format(name=name, tokens=change.tokens_revoked, sessions=change.sessions_ended,
                     seconds=TOKEN_CACHE_SECONDS))
        else:
            self.stdout.write(_("Reactivated {name}: the account can sign in again with its password; "
                                "its old API tokens stay revoked.").format(name=name))
        if change.open_cases_owned or change.open_cases_coordinated:
            self.stdout.write(_(
                "{name} still owns {owned} open case(s) and coordinates {coordinated}; they were not "
                "reassigned. Their department heads see them in the department list."
            ).format(name=name, owned=change.open_cases_owned, coordinated=change.open_cases_coordinated))

    def _list(self, opts: dict[str, Any]) -> None:
        if opts["role"] and opts["role"] not in Role.values:
            raise CommandError(_("Unknown role {role}. Choose one of: {roles}.").format(
                role=opts["role"], roles=", ".join(Role.values)))
        if opts["org_unit"] and not OrgUnit.objects.filter(code=opts["org_unit"]).exists():
            raise CommandError(_("No org unit has the code {code}.").format(code=opts["org_unit"]))
        f = UserFilter(state=opts["state"] or "active", role=opts["role"], org_unit=opts["org_unit"])
        users = list(user_list(User.objects.all(), f))
        open_counts = open_cases_owned(u.pk for u in users)
        for u in users:
            self.stdout.write("\t".join([
                u.username, u.display_name or "-", u.role, u.org_unit.code if u.org_unit else "-",
                u.department.code if u.department else "-", "active" if u.is_active else "inactive",
                str(open_counts.get(u.pk, 0)),
            ]))
