"""The core must run without Django (bench, workers without settings, other tools)."""

import ast
import subprocess
import sys
from pathlib import Path

import kesu

CORE = Path(__file__).resolve().parent.parent / "core"

# kesu/__init__.py imports the Celery app (which imports Django), so the package is stubbed:
# what is tested is that the triage core itself never needs Django.
SCRIPT = f"""
import sys, types
pkg = types.ModuleType("kesu"); pkg.__path__ = [{str(Path(kesu.__file__).parent)!r}]
sys.modules["kesu"] = pkg
import kesu.triage.core.train, kesu.triage.core.store, kesu.triage.core.evaluate
from kesu.triage.core.train import Example, TrainConfig, train_model
rows = [("很好", "positive"), ("不错", "positive"), ("太差", "negative"), ("垃圾", "negative")]
model = train_model([Example(t, {{"sentiment": s}}) for t, s in rows], config=TrainConfig(cv_folds=0))
model.predict("很好")
bad = sorted(m for m in sys.modules if m == "django" or m.startswith("django."))
print(bad)
"""


def test_importing_and_using_the_core_does_not_import_django():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_no_core_module_names_django():
    for path in CORE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n.split(".")[0] == "django" for n in names), path.name
