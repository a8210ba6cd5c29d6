from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesu.org.models import OrgUnit
from kesu.sla.actions_sweep import (
    SWEEP_BATCH,
    do_recompute_deadlines,
    do_send_sla_notifications,
    do_sweep_clocks,
)


class Command(BaseCommand):
    help = "SLA clocks: kesu sla sweep marks warnings and breaches now; kesu sla recompute redoes deadlines."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        sweep = sub.add_parser(
            "sweep", help=str(gettext_lazy("Mark warnings and breaches once and escalate"))
        )
        sweep.add_argument("--now", help="ISO time to sweep as of (default: now)")
        sweep.add_argument("--batch-size", type=int, default=SWEEP_BATCH)
        recompute = sub.add_parser(
            "recompute",
            help=str(gettext_lazy("Recompute the deadlines of open cases (after a calendar change)")),
        )
        recompute.add_argument("--unit", help="org unit code (default: all units)")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "sweep":
            now = timezone.now()
            if opts["now"]:
                now = datetime.fromisoformat(opts["now"])
                if timezone.is_naive(now):
                    raise CommandError(_("Please give the time with its UTC offset, e.g. +08:00."))
            r = do_sweep_clocks(now=now, batch=max(opts["batch_size"], 1))
            sent = do_send_sla_notifications()
            self.stdout.write(
                _(
                    "SLA sweep: {warned} warned, {breached} breached, {escalated} escalated, {sent} notified"
                ).format(warned=r.warned, breached=r.breached, escalated=r.escalated, sent=sent)
            )
            return
        unit = None
        if opts["unit"]:
            unit = OrgUnit.objects.filter(code=opts["unit"]).first()
            if unit is None:
                raise CommandError(_("Unknown org unit {code}.").format(code=opts["unit"]))
        done = do_recompute_deadlines(unit=unit)
        self.stdout.write(_("SLA recompute: {count} open clocks recomputed").format(count=done))
