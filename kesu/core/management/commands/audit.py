from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesu.cases.events import verify_case_chains
from kesu.core.audit import verify_audit_chain

PROBLEMS = {
    "edited": gettext_lazy("edited"),
    "missing": gettext_lazy("missing (deleted)"),
    "broken link": gettext_lazy("broken link to the previous event"),
    "beyond the head": gettext_lazy("not counted by the chain (added behind its back)"),
}


class Command(BaseCommand):
    help = ("Audit trail: kesu audit verify reports every edited or deleted event row.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        sub.add_parser("verify", help=str(gettext_lazy(
            "Check the hash chains of the case events and the audit log")))

    def handle(self, *args: Any, **opts: Any) -> None:
        problems = 0
        for p in [*verify_audit_chain(), *verify_case_chains()]:
            problems += 1
            where = _("audit log") if p.chain == "global" else _("case {number}").format(number=p.chain)
            self.stdout.write(_("{where}: event {seq}: {problem}").format(
                where=where, seq=p.seq, problem=PROBLEMS.get(p.problem, p.problem)))
        if problems:
            raise CommandError(_("audit verify: {count} problem(s) found").format(count=problems))
        self.stdout.write(_("audit verify: all event chains are intact"))
