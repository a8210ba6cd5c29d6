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
        self.train_starter_model()

    def train_starter_model(self) -> None:
        """Train and promote the triage starter model if the installation has none.

        Otherwise the first intake would train it inside a web worker, which then keeps
        scikit-learn loaded (~120 MB) for its whole life (ADR 0011). Without cross-validation:
        seconds, not a minute; ``kesu triage train --starter`` measures it when wanted.
        """
        from kesu.triage import service
        from kesu.triage.actions_models import do_train_model_version
        from kesu.triage.core.train import TrainConfig

        if service.current_version() is not None:
            return
        outcome = do_train_model_version(actor=None, promote=True, config=TrainConfig(cv_folds=0),
                                         notes="kesu init")
        self.stdout.write(_("kesu: triage starter model {version} trained.").format(
            version=outcome.version.version))
