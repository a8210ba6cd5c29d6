import argparse
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesu.core.errors import ValidationFailed
from kesu.org.models import OrgUnit
from kesu.sla import calendars
from kesu.sla.actions_admin import do_set_calendar_days, parse_days_file
from kesu.sla.choices import DaySource, DayType
from kesu.sla.models import Calendar

FORMAT = """File format (UTF-8), one dated exception per row:

CSV, with a header line:
    date,type,name
    2027-10-01,holiday,国庆节
    2027-09-26,workday,国庆节

JSON, a list:
    [{"date": "2027-10-01", "type": "holiday", "name": "国庆节"},
     {"date": "2027-09-26", "type": "workday", "name": "国庆节"}]

type: holiday (not worked, whatever the weekday) or workday (a make-up workday 调休,
worked with the normal hours even on a weekend). An existing entry for the same date is
replaced. The open cases' deadlines are recomputed afterwards."""


class Command(BaseCommand):
    help = (
        "Working calendars: kesu calendar import FILE adds a year's holidays; kesu calendar show lists them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        imp = sub.add_parser(
            "import",
            help=str(gettext_lazy("Import holidays and make-up workdays from a file")),
            description=FORMAT,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        imp.add_argument("file", help="CSV or JSON file")
        imp.add_argument("--unit", default="", help="org unit code of the calendar (default: head office)")
        show = sub.add_parser("show", help=str(gettext_lazy("Show a unit's calendar for a year")))
        show.add_argument("--year", type=int, default=None)
        show.add_argument("--unit", default="", help="org unit code (default: head office)")

    def _unit(self, code: str) -> OrgUnit:
        units = OrgUnit.objects.filter(code=code) if code else OrgUnit.objects.filter(parent__isnull=True)
        unit = units.order_by("pk").first()
        if unit is None:
            raise CommandError(_("Unknown org unit {code}.").format(code=code or "-"))
        return unit

    def handle(self, *args: Any, **opts: Any) -> None:
        unit = self._unit(opts["unit"])
        if opts["action"] == "import":
            self._import(unit, Path(opts["file"]))
        else:
            self._show(unit, opts["year"] or timezone.localdate().year)

    def _import(self, unit: OrgUnit, path: Path) -> None:
        try:
            rows = parse_days_file(path.read_bytes(), path.name)
            cal = Calendar.objects.filter(org_unit=unit).first()
            if cal is None:
                raise CommandError(
                    _("The org unit {code} has no calendar of its own.").format(code=unit.code)
                )
            count = do_set_calendar_days(cal, rows, actor=None, source=DaySource.IMPORT, recompute="now")
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        except ValidationFailed as exc:
            lines = [str(exc.message)] + [str(m) for msgs in exc.fields.values() for m in msgs]
            raise CommandError("\n".join(lines)) from exc
        self.stdout.write(
            _("calendar import: {count} days saved in {name}").format(count=count, name=cal.name)
        )

    def _show(self, unit: OrgUnit, year: int) -> None:
        info = calendars.describe(unit.pk)
        kinds, names = calendars.effective_days(unit.pk)
        self.stdout.write(
            _("Org unit {unit}, calendar of {owner}, time zone {tz}").format(
                unit=unit.code, owner=info["calendar_unit"] or "-", tz=info["timezone"]
            )
        )
        self.stdout.write(
            _("Working hours: {hours}; working weekdays: {days}").format(
                hours=", ".join(f"{a}–{b}" for a, b in info["hours"]),
                days=", ".join(str(d + 1) for d in info["weekdays"]),
            )
        )
        if year not in info["years_with_data"]:
            self.stdout.write(
                _(
                    "Warning: no holidays are known for {year}; only weekends are days off. "
                    "Please import the State Council schedule."
                ).format(year=year)
            )
        for day in sorted(d for d in kinds if d.year == year):
            self.stdout.write(f"{day.isoformat()}  {DayType(kinds[day]).label}  {names.get(day, '')}")
