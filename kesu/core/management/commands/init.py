import os
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from kesu.core.defaults import install_defaults


class Command(BaseCommand):
    help = ("Create or migrate the database and install the defaults (root org unit HQ, admin).")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        result = install_defaults(os.environ.get("KESU_ADMIN_PASSWORD") or None)
        self.stdout.write(_("kesu: the database is ready."))
        if result.admin_password:
            message = _("Administrator: admin / {password}  (shown only once; please keep it)")
            self.stdout.write(message.format(password=result.admin_password))
