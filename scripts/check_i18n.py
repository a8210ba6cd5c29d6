"""The i18n gate (part of ``make lint`` / CI): is the zh_Hans catalogue complete and current?

Usage::

    .venv/bin/python scripts/check_i18n.py            # all checks
    .venv/bin/python scripts/check_i18n.py --no-extract  # skip the (slower) code scan

Fails (exit 1) when

* ``msgfmt --check`` rejects a catalogue;
* an entry is untranslated or fuzzy;
* a translation's placeholders (``%(name)s``, ``{name}``) differ from its msgid's;
* ``django.mo`` does not hold exactly the translations of ``django.po`` (recompile);
* the code has msgids the catalogue lacks, or the catalogue has msgids the code no longer
  uses (``makemessages`` is run on a scratch copy of ``kesu/``; the tree is not touched).

The fix for all of them: ``.venv/bin/python scripts/i18n_update.py``, then translate what it
lists (terms: ``docs/glossary-zh.md``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent
LOCALE = "zh_Hans"
MESSAGES_DIR = ROOT / "kesu" / "locale" / LOCALE / "LC_MESSAGES"
PERCENT = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[sdifFeEgGxXor%]")
BRACE = re.compile(r"(?<!\{)\{([^{}!:]*)(?:![rsa])?(?::[^{}]*)?\}(?!\})")


def placeholders(text: str, flags: list[str]) -> list[str]:
    found: list[str] = []
    if "python-format" in flags:
        found += sorted(m.group(0) for m in PERCENT.finditer(text) if m.group(0) != "%%")
    if "python-brace-format" in flags:
        found += sorted("{" + m.group(1) + "}" for m in BRACE.finditer(text))
    return found


def shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def key(entry: polib.POEntry) -> tuple[str | None, str, str]:
    return (entry.msgctxt, entry.msgid, entry.msgid_plural or "")


def check_catalogue(po_path: Path) -> list[str]:
    problems: list[str] = []
    rel = shown(po_path)
    done = subprocess.run(["msgfmt", "--check", "-o", os.devnull, str(po_path)],
                          capture_output=True, text=True, check=False)
    if done.returncode:
        problems.append(f"{rel}: msgfmt --check failed:\n{done.stderr.strip()}")
    po = polib.pofile(str(po_path))
    for entry in (e for e in po if not e.obsolete):
        label = f"{rel}: {entry.msgid!r}" + (f" [{entry.msgctxt}]" if entry.msgctxt else "")
        if entry.fuzzy:
            problems.append(f"{label} is fuzzy")
            continue
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        if not translations or not all(translations):
            problems.append(f"{label} is untranslated")
            continue
        expected = placeholders(entry.msgid, entry.flags)
        for text in translations:
            if placeholders(text, entry.flags) != expected:
                problems.append(f"{label}: placeholders {placeholders(text, entry.flags)} "
                                f"should be {expected}")

    mo_path = po_path.with_suffix(".mo")
    if not mo_path.exists():
        problems.append(f"{shown(mo_path)} is missing; run scripts/i18n_update.py")
    else:
        def content(catalogue: polib._BaseFile) -> dict:
            """Translated entries as (msgstr, {n: msgstr[n]}); what msgfmt puts in the .mo."""
            return {key(e): (e.msgstr, {int(i): v for i, v in e.msgstr_plural.items()}) for e in catalogue
                    if e.msgid and not e.obsolete and not getattr(e, "fuzzy", False)
                    and (e.msgstr or any(e.msgstr_plural.values()))}
        compiled, source = content(polib.mofile(str(mo_path))), content(po)
        if compiled != source:
            problems.append(f"{shown(mo_path)} is out of date; run scripts/i18n_update.py")
    return problems


def check_extracted(domain: str, po_path: Path) -> list[str]:
    """Run makemessages on a scratch copy of kesu/ and compare its msgids with the catalogue's."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import i18n_update

    with tempfile.TemporaryDirectory(prefix="kesu-i18n-check-") as scratch:
        copy = Path(scratch) / "kesu"
        shutil.copytree(ROOT / "kesu", copy, ignore=shutil.ignore_patterns(
            "__pycache__", "vendor", "*.mo", "fragments", "node_modules"))
        env = dict(os.environ, PYTHONPATH=scratch, DJANGO_SETTINGS_MODULE="kesu.settings")
        env.setdefault("KESU_DATA_DIR", str(Path(scratch) / "data"))
        cmd = [sys.executable, "-P", "-m", "kesu.cli", "makemessages", "-l", LOCALE, "-d", domain,
               "--no-obsolete", "--add-location", "file",
               *[a for p in i18n_update.IGNORE for a in ("--ignore", p)]]
        done = subprocess.run(cmd, cwd=scratch, env=env, capture_output=True, text=True, check=False)
        if done.returncode:
            return [f"makemessages failed on a scratch copy:\n{done.stderr.strip()}"]
        fresh_path = copy / "locale" / LOCALE / "LC_MESSAGES" / f"{domain}.po"
        fresh = {key(e) for e in polib.pofile(str(fresh_path)) if not e.obsolete}
    current = {key(e) for e in polib.pofile(str(po_path)) if not e.obsolete}
    problems = [f"msgid in the code but not in {po_path.name}: {k[1]!r}"
                for k in sorted(fresh - current, key=str)]
    problems += [f"msgid in {po_path.name} but no longer in the code: {k[1]!r}"
                 for k in sorted(current - fresh, key=str)]
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-extract", action="store_true", help="skip comparing with the code")
    args = parser.parse_args()

    catalogues = sorted(MESSAGES_DIR.glob("*.po"))
    if not catalogues:
        print(f"check_i18n: no catalogue in {MESSAGES_DIR.relative_to(ROOT)}", file=sys.stderr)
        return 1
    problems: list[str] = []
    for po_path in catalogues:
        problems += check_catalogue(po_path)
        if not args.no_extract:
            problems += check_extracted(po_path.stem, po_path)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"check_i18n: {len(problems)} problem(s). Fix: .venv/bin/python scripts/i18n_update.py, "
              "then translate (docs/glossary-zh.md).", file=sys.stderr)
        return 1
    print(f"check_i18n: OK ({', '.join(p.name for p in catalogues)} complete and current)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
