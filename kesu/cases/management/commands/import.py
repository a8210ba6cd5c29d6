"""``kesu import FILE [--mode all|good] [--org-unit CODE] [--as USERNAME]`` (IN-1, IN-7)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kesu.cases.actions_import import (
    do_run_import,
    do_start_import,
    do_triage_import,
    ignored_columns,
    triage_state,
    triage_state_label,
)
from kesu.cases.importer import check_file_type
from kesu.cases.models import ImportJob
from kesu.core.errors import KesuError
from kesu.org.models import OrgUnit, User

MODES = {"all": ImportJob.Mode.ALL_OR_NOTHING, "good": ImportJob.Mode.GOOD_ROWS}
SHOWN = 50
USAGE_ERROR = 2


class Command(BaseCommand):
    help = (
        "Import cases from a CSV or XLSX file, in this process. --mode good (default) imports the "
        "good rows and lists the bad ones; --mode all imports nothing if any row is bad. Exits 1 "
        "when a row was rejected, 2 for a missing file, an unsupported type or an unknown unit or user."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a .csv (UTF-8 or GB18030) or .xlsx file; header on line 1")
        parser.add_argument("--mode", choices=sorted(MODES), default="good")
        parser.add_argument("--org-unit", dest="org_unit", default="",
                            help="code of the unit for rows without one (default: the user's, else the root)")
        parser.add_argument("--as", dest="username", default="",
                            help="the staff member recorded as first responder (default: none)")
        parser.add_argument("--triage-now", action="store_true",
                            help="add the triage suggestions of a large import in this process before "
                                 "returning, instead of leaving them to the worker")

    def handle(self, *args: Any, **opts: Any) -> None:
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(_("File not found: {path}").format(path=path), returncode=USAGE_ERROR)
        actor, unit = self._actor_and_unit(opts["username"], opts["org_unit"])
        started = time.monotonic()
        try:
            check_file_type(path.name)
            with open(path, "rb") as f:
                job = do_start_import(f, name=path.name, mode=MODES[opts["mode"]], org_unit=unit,
                                      actor=actor, enqueue=False)
        except KesuError as exc:
            raise CommandError(str(exc.message), returncode=USAGE_ERROR) from exc
        # The messages (also those kept on the job) in the language this command speaks.
        job = do_run_import(job.pk, progress=self._progress, language=translation.get_language() or "",
                            queue_triage=not opts["triage_now"])
        if opts["triage_now"]:
            do_triage_import(job.pk, progress=self._triage_progress)
        self._report(job, time.monotonic() - started)

    def _actor_and_unit(self, username: str, code: str) -> tuple[User | None, OrgUnit]:
        actor = None
        if username:
            actor = User.objects.select_related("org_unit").filter(username=username, is_active=True).first()
            if actor is None:
                raise CommandError(_("No active user is called {name}.").format(name=username),
                                   returncode=USAGE_ERROR)
        if code:
            unit = OrgUnit.objects.filter(code=code, is_active=True).first()
        elif actor is not None and actor.org_unit is not None:
            unit = actor.org_unit
        else:
            unit = OrgUnit.objects.filter(parent__isnull=True).first()
        if unit is None:
            raise CommandError(_("No active org unit has the code {code}.").format(code=code or "-"),
                               returncode=USAGE_ERROR)
        return actor, unit

    def _triage_progress(self, phase: str, rows: int) -> None:
        self.stdout.write(_("Triaged {n} cases…").format(n=rows))

    def _progress(self, phase: str, rows: int) -> None:
        if phase == "check":
            self.stdout.write(_("Checked {n} rows…").format(n=rows))
        else:
            self.stdout.write(_("Processed {n} rows…").format(n=rows))

    def _report(self, job: ImportJob, seconds: float) -> None:
        totals = _("Rows: {total}, imported: {imported}, rejected: {rejected} ({seconds} s).")
        self.stdout.write(totals.format(total=job.total_rows, imported=job.imported_rows,
                                        rejected=job.error_rows, seconds=f"{seconds:.1f}"))
        if ignored := ignored_columns(job):
            self.stdout.write(_("Columns ignored: {columns}").format(columns=", ".join(ignored)))
        if triage := triage_state_label(triage_state(job)):
            self.stdout.write(triage)
        for error in job.errors[:SHOWN]:
            line = _("Line {line}: {message}").format(line=error["line"], message=error["message"])
            self.stdout.write(line)
        if job.error_rows > SHOWN:
            self.stdout.write(_("… and {n} more.").format(n=job.error_rows - SHOWN))
        if job.error_report:
            self.stdout.write(_("Full error report: {path}").format(path=_where(job)))
        if job.state == ImportJob.State.REJECTED:
            raise CommandError(job.failure or _("Nothing was imported: correct the rows above and import "
                                                "the file again."))
        if job.error_rows:
            raise CommandError(ngettext("{n} row was rejected.", "{n} rows were rejected.", job.error_rows)
                               .format(n=job.error_rows))


def _where(job: ImportJob) -> str:
    """The error report's local path, or its name in remote storage."""
    try:
        return job.error_report.path
    except NotImplementedError:
        return job.error_report.name
