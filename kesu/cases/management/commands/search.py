from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kesu.cases.search import rebuild_index


class Command(BaseCommand):
    help = "Case search index: kesu search rebuild brings every case's index entry up to date."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        rebuild = sub.add_parser(
            "rebuild", help="Index every case in batches (existing data, restores, repairs)"
        )
        rebuild.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args: Any, **opts: Any) -> None:
        def progress(done: int, total: int) -> None:
            if opts["verbosity"] > 1:
                self.stdout.write(f"search rebuild: {done}/{total}")

        done = rebuild_index(batch_size=max(opts["batch_size"], 1), progress=progress)
        self.stdout.write(f"search rebuild: {done} cases indexed")
