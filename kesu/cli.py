"""The ``kesu`` command line: Django's management commands with kesu's settings.

``kesu init``, ``kesu demo``, ``kesu serve``, ``kesu user create``, ``kesu token create``,
``kesu import``, ``kesu audit verify`` and ``kesu status`` are management commands in the
apps; every other Django command (``kesu migrate``, ``kesu shell``) works too.

Output is in zh-Hans by default; ``KESU_LANGUAGE=en`` (or an English ``LANG``/``LC_ALL``)
switches it to English, as a Chinese ``LANG`` keeps it Chinese.
"""

import os
import sys

LANGUAGE_VARIABLES = ("KESU_LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def cli_language(environ: dict[str, str] | os._Environ[str], default: str) -> str:
    """The first of KESU_LANGUAGE, LC_ALL, LC_MESSAGES, LANG that names English or Chinese."""
    for name in LANGUAGE_VARIABLES:
        value = environ.get(name, "").lower()
        if value.startswith("en"):
            return "en"
        if value.startswith("zh"):
            return "zh-hans"
    return default


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kesu.settings")
    import django
    from django.conf import settings
    from django.core.management import execute_from_command_line
    from django.utils import translation

    django.setup()
    translation.activate(cli_language(os.environ, settings.LANGUAGE_CODE))
    execute_from_command_line(["kesu", *sys.argv[1:]])


if __name__ == "__main__":
    main()
