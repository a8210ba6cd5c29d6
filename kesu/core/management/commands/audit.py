from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kesu.cases.events import verify_case_chains
from kesu.core.audit import verify_audit_chain


class Command(BaseCommand):
    help = "Audit trail: kesu audit verify reports every edited or deleted event row."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        sub.add_parser("verify", help="Check the hash chains of the case events and the audit log")

    def handle(self, *args: Any, **opts: Any) -> None:
        problems = 0
        for p in [*verify_audit_chain(), *verify_case_chains()]:
            problems += 1
            where = "audit log" if p.chain == "global" else f"case {p.chain}"
            self.stdout.write(f"{where}: event {p.seq}: {p.problem}")
        if problems:
            raise CommandError(f"audit verify: {problems} problem(s) found")
        self.stdout.write("audit verify: all event chains intact")
