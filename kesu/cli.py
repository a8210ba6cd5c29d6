"""The ``kesu`` command line: Django's management commands with kesu's settings.

``kesu init``, ``kesu demo``, ``kesu serve``, ``kesu user create``, ``kesu token create``,
``kesu import`` and ``kesu audit verify`` are management commands in the apps; every other
Django command (``kesu migrate``, ``kesu shell``) works too.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kesu.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kesu", *sys.argv[1:]])


if __name__ == "__main__":
    main()
