from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesu.core.errors import NotFound
from kesu.notify import delivery
from kesu.notify.access import endpoint_by_name
from kesu.notify.actions import do_send_test_webhook
from kesu.notify.choices import OutboxState


class Command(BaseCommand):
    help = ("Notifications: kesu notify deliver sends what is due; "
            "kesu notify test-webhook NAME tests a receiver.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        deliver = sub.add_parser("deliver", help=str(gettext_lazy(
            "Send every notification that is due, once")))
        deliver.add_argument("--batch-size", type=int, default=100)
        test = sub.add_parser("test-webhook", help=str(gettext_lazy(
            "Send a test message to a webhook endpoint")))
        test.add_argument("name")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "deliver":
            counts = delivery.deliver_due(batch=max(opts["batch_size"], 1))
            self.stdout.write(_("notify deliver: {sent} sent, {retry} to retry, {failed} failed").format(
                sent=counts[OutboxState.SENT], retry=counts[OutboxState.PENDING],
                failed=counts[OutboxState.FAILED]))
            return
        try:
            endpoint = endpoint_by_name(opts["name"])
        except NotFound as exc:
            raise CommandError(str(exc.message)) from exc
        row = do_send_test_webhook(endpoint, actor=None)
        if row.state != OutboxState.SENT:
            raise CommandError(_("The test message to {name} was not delivered: {error}").format(
                name=endpoint.name, error=row.last_error))
        self.stdout.write(_("The test message to {name} was delivered.").format(name=endpoint.name))
