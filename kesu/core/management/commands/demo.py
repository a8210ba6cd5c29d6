import os
import time
import unicodedata
from datetime import date
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from kesu.core.demo import (
    DEFAULT_PASSWORD,
    DEFAULT_SEED,
    NotInitialised,
    demo_logins,
    is_loaded,
    load_demo,
    password_works,
)
from kesu.core.errors import KesuError
from kesu.org.choices import Role


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(_("Give the date as YYYY-MM-DD.")) from exc


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


class Command(BaseCommand):
    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # Translated here rather than at import, when the active language is known.
        self.help = _(
            "Load demo data: org units, a user for every role, customers and a year of cases. "
            "Run kesu init first; a second run changes nothing."
        )
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, default=2000,
                            help=_("Number of cases to create (default 2000)."))
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                            help=_("Random seed; the same seed and end date give the same data."))
        parser.add_argument("--until", type=_iso_date, default=None,
                            help=_("Last day of the year of cases, YYYY-MM-DD (default yesterday)."))

    def handle(self, *args: Any, **opts: Any) -> None:
        password = os.environ.get("KESU_DEMO_PASSWORD") or DEFAULT_PASSWORD
        if is_loaded():
            self.stdout.write(_("The demo data is already loaded; nothing was changed."))
            self._print_logins(password if password_works(password) else None)
            return
        if opts["cases"] < 0:
            raise CommandError(_("The number of cases must not be negative."))
        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError(_("KESU_DEMO_PASSWORD is not acceptable: {reason}").format(
                reason=" ".join(exc.messages))) from exc
        total = opts["cases"]
        self.stdout.write(_("Loading the demo data with {count} cases…").format(count=total))
        started = time.monotonic()

        def progress(done: int) -> None:
            if done % 500 == 0 and done < total:
                self.stdout.write(_("  {done} of {total} cases").format(done=done, total=total))

        try:
            result = load_demo(cases=total, password=password, seed=opts["seed"], until=opts["until"],
                               progress=progress if opts["verbosity"] > 0 else None)
        except NotInitialised as exc:
            raise CommandError(_("There is no root org unit yet. Run kesu init first.")) from exc
        except KesuError as exc:
            raise CommandError(_("The demo data could not be loaded, nothing was changed: {reason}").format(
                reason=exc.message)) from exc
        self.stdout.write(_(
            "Demo data loaded in {seconds} s: {units} org units, {users} users, {cases} cases."
        ).format(seconds=f"{time.monotonic() - started:.1f}", units=result.units, users=result.users,
                 cases=result.cases))
        self._print_logins(password)

    def _print_logins(self, password: str | None) -> None:
        shown = password or _("(as set when the demo was loaded)")
        header = [_("User name"), _("Name"), _("Role"), _("Org unit"), _("Password")]
        rows = [[lg.username, lg.display_name, str(Role(lg.role).label),
                 f"{lg.unit} / {lg.department}" if lg.department else lg.unit, shown]
                for lg in demo_logins()]
        widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
        self.stdout.write("")
        self.stdout.write(_("Demo sign-in accounts:"))
        for row in [header, ["-" * w for w in widths], *rows]:
            self.stdout.write("  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip())
