"""Refresh the zh_Hans catalogue from the code, fill it from fragments, compile it.

Usage (from anywhere)::

    .venv/bin/python scripts/i18n_update.py

Steps:

1. ``kesu makemessages -l zh_Hans --no-obsolete`` over the repository (skipping .venv,
   node_modules, .tools, var, bench, the vendored static files); the ``djangojs`` domain
   too, but only if some of kesu's own JavaScript calls ``gettext``.
2. Every empty msgstr is filled from ``kesu/locale/zh_Hans/fragments/*.po`` (translations
   written next to new pages). Existing translations are kept. A "fuzzy" entry (msgmerge's
   guess) is replaced and un-fuzzied only where a fragment has a translation for exactly
   that msgid (and context / plural); other fuzzy entries stay for a translator to review.
3. The header is normalised (language, plural forms). If nothing but the creation date
   changed, the file is written back byte for byte, so a second run changes nothing.
4. ``kesu compilemessages -l zh_Hans`` for kesu/locale only (django.mo is committed).

Prints translated / untranslated / fuzzy counts. ``scripts/check_i18n.py`` is the gate.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import polib  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent
LOCALE = "zh_Hans"
LOCALE_DIR = ROOT / "kesu" / "locale"
MESSAGES_DIR = LOCALE_DIR / LOCALE / "LC_MESSAGES"
FRAGMENTS_DIR = LOCALE_DIR / LOCALE / "fragments"
DOMAINS = ("django", "djangojs")
IGNORE = [".venv", "node_modules", ".tools", "var", "bench", "docs", "scripts", "kesu/static/vendor"]
JS_GETTEXT = re.compile(r"\b(?:n|p|np)?gettext\s*\(|\binterpolate\s*\(")
HEADER = {
    "Project-Id-Version": "kesu",
    "Report-Msgid-Bugs-To": "",
    "Last-Translator": "kesu <kesu@localhost>",
    "Language-Team": "Chinese (Simplified)",
    "Language": LOCALE,
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
    "Plural-Forms": "nplurals=1; plural=0;",
}
DATES = ("POT-Creation-Date", "PO-Revision-Date")


def kesu(*args: str, cwd: Path = ROOT) -> None:
    """Run a kesu (Django) management command with this interpreter; stop on failure."""
    env = dict(os.environ)
    env.setdefault("KESU_DATA_DIR", str(Path(tempfile.gettempdir()) / "kesu-i18n"))
    env.setdefault("DJANGO_SETTINGS_MODULE", "kesu.settings")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    # -P: never import from the working directory (kesu/celery.py would shadow celery).
    cmd = [sys.executable, "-P", "-m", "kesu.cli", *args]
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    noise = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()
             and not line.startswith(("processing locale", "processing file"))]
    if noise:
        print("\n".join(noise), file=sys.stderr)
    if done.returncode:
        sys.exit(f"i18n_update: `kesu {' '.join(args)}` failed (exit {done.returncode})")


def js_uses_gettext() -> bool:
    for path in (ROOT / "kesu").rglob("*.js"):
        if "vendor" in path.relative_to(ROOT).parts:
            continue
        if JS_GETTEXT.search(path.read_text(encoding="utf-8", errors="replace")):
            return True
    return False


def key(entry: polib.POEntry) -> tuple[str | None, str, str]:
    return (entry.msgctxt, entry.msgid, entry.msgid_plural or "")


def is_translated(entry: polib.POEntry) -> bool:
    if entry.msgid_plural:
        return bool(entry.msgstr_plural) and all(entry.msgstr_plural.values())
    return bool(entry.msgstr)


def load_fragments() -> dict[tuple[str | None, str, str], polib.POEntry]:
    """Exact, non-fuzzy translations from the fragment files; the first file (by name) wins."""
    found: dict[tuple[str | None, str, str], polib.POEntry] = {}
    for path in sorted(FRAGMENTS_DIR.glob("*.po")) if FRAGMENTS_DIR.is_dir() else []:
        try:
            fragment = polib.pofile(str(path), wrapwidth=0)
        except (OSError, ValueError) as exc:
            print(f"warning: cannot read {path.relative_to(ROOT)}: {exc}", file=sys.stderr)
            continue
        for entry in fragment:
            if entry.obsolete or entry.fuzzy or not is_translated(entry):
                continue
            k = key(entry)
            known = found.get(k)
            if known and (known.msgstr, known.msgstr_plural) != (entry.msgstr, entry.msgstr_plural):
                print(f"note: {path.name} translates {entry.msgid!r} differently; "
                      f"keeping {found[k].msgstr or found[k].msgstr_plural}", file=sys.stderr)
                continue
            found.setdefault(k, entry)
    return found


def fill(po: polib.POFile, fragments: dict) -> tuple[int, int]:
    filled = unfuzzied = 0
    for entry in po:
        if entry.obsolete:
            continue
        source = fragments.get(key(entry))
        if source is None:
            continue
        if entry.fuzzy:
            entry.flags.remove("fuzzy")
            entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
            unfuzzied += 1
        elif is_translated(entry):
            continue
        else:
            filled += 1
        if entry.msgid_plural:
            entry.msgstr_plural = dict(source.msgstr_plural)
        else:
            entry.msgstr = source.msgstr
    return filled, unfuzzied


def without_dates(text: str) -> str:
    dates = "|".join(DATES)
    return re.sub(rf'^"(?:{dates}): [^"]*\\n"\n', "", text, flags=re.M)


def update(domain: str, fragments: dict) -> tuple[int, int, int] | None:
    po_path = MESSAGES_DIR / f"{domain}.po"
    before = po_path.read_bytes() if po_path.exists() else None
    old_meta = polib.pofile(before.decode("utf-8")).metadata if before else {}

    kesu("makemessages", "-l", LOCALE, "-d", domain, "--no-obsolete", "--add-location", "file",
         *[arg for pattern in IGNORE for arg in ("--ignore", pattern)])
    if not po_path.exists():
        return None

    po = polib.pofile(str(po_path), wrapwidth=79)
    filled, unfuzzied = fill(po, fragments)
    po.metadata_is_fuzzy = False
    po.header = "kesu — Simplified Chinese catalogue. Terms: docs/glossary-zh.md.\n" \
                "Regenerate with: .venv/bin/python scripts/i18n_update.py"
    metadata = dict(HEADER)
    metadata["POT-Creation-Date"] = po.metadata.get("POT-Creation-Date", "")
    metadata["PO-Revision-Date"] = old_meta.get("PO-Revision-Date", "")
    po.metadata = metadata
    text = str(po) + "\n"

    if before is not None and without_dates(text) == without_dates(before.decode("utf-8")):
        po_path.write_bytes(before)  # nothing but makemessages' timestamp changed
    else:
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M%z")
        po.metadata["PO-Revision-Date"] = now
        po_path.write_text(str(po) + "\n", encoding="utf-8")

    live = [e for e in po if not e.obsolete]
    fuzzy = sum(1 for e in live if e.fuzzy)
    translated = sum(1 for e in live if not e.fuzzy and is_translated(e))
    untranslated = len(live) - translated - fuzzy
    print(f"{po_path.relative_to(ROOT)}: {len(live)} entries — {translated} translated, "
          f"{untranslated} untranslated, {fuzzy} fuzzy "
          f"(from fragments: {filled} filled, {unfuzzied} un-fuzzied)")
    for entry in live:
        if entry.fuzzy or not is_translated(entry):
            state = "fuzzy" if entry.fuzzy else "untranslated"
            ctx = f" [{entry.msgctxt}]" if entry.msgctxt else ""
            print(f"  {state}: {entry.msgid!r}{ctx}")
    return translated, untranslated, fuzzy


def main() -> int:
    MESSAGES_DIR.mkdir(parents=True, exist_ok=True)
    fragments = load_fragments()
    domains = [d for d in DOMAINS if d == "django" or js_uses_gettext()]
    for stale in set(DOMAINS) - set(domains):
        if (MESSAGES_DIR / f"{stale}.po").exists():
            print(f"note: {stale}.po exists but no JavaScript calls gettext", file=sys.stderr)
    totals = [update(domain, fragments) for domain in domains]
    # From kesu/, so the walk for locale folders cannot reach .venv's site-packages.
    kesu("compilemessages", "-l", LOCALE, "--ignore", "static", cwd=ROOT / "kesu")
    missing = sum(t[1] + t[2] for t in totals if t)
    if missing:
        print(f"{missing} entries still need a translator (see above).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
