"""Model versions on disk: one directory per version under a root the caller chooses.

Layout (the Django side passes ``DATA_DIR/triage/models``)::

    <root>/<version>/model.joblib     the pickled TriageModel (joblib): training's full record
    <root>/<version>/serving.npz      its serving form (numpy arrays + JSON): what predicts
    <root>/<version>/manifest.json    version, created_at, training_size, sources, fields,
                                      per-field metrics, library versions
    <root>/current                    the version id predictions use (one line)

A version directory is written under a temporary name and renamed into place, so a reader
never sees half a model. ``current`` is a plain file for now; the Django side may keep its
own record of the promoted version and pass it to :func:`load` explicitly.

joblib files are pickles: load only what kesu itself wrote into its data directory.

Predicting loads only ``serving.npz`` (:func:`load_serving`), so a web process never imports
scikit-learn, scipy or joblib (ADR 0011); they are imported here by the functions that need
them. A version saved before the serving form existed gets one on its first
:func:`load_serving`, written next to the pickle (atomically: a temporary file renamed).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from kesu.triage.core import serving
from kesu.triage.core.model import TriageModel
from kesu.triage.core.serving import ServingModel

MODEL_FILE = "model.joblib"
SERVING_FILE = "serving.npz"
MANIFEST_FILE = "manifest.json"
CURRENT_FILE = "current"
FORMAT = 1
_VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class ModelNotFound(LookupError):
    """No such version, or no version at all, under the root."""


def manifest_of(model: TriageModel) -> dict[str, Any]:
    import sklearn

    return {
        "format": FORMAT,
        "version": model.version,
        "created_at": model.created_at,
        "training_size": model.training_size,
        "sources": model.sources,
        "fields": list(model.fields),
        "metrics": model.metrics,
        "n_features": model.featurizer.n_features,
        "sklearn": sklearn.__version__,
    }


def check_version(version: str) -> str:
    if not _VERSION_RE.match(version):
        raise ModelNotFound(version)
    return version


def save(model: TriageModel, root: Path | str, *, make_current: bool = True) -> Path:
    """Write ``model`` as a new version directory; refuse to overwrite an existing version."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    target = root / check_version(model.version)
    if target.exists():
        raise FileExistsError(target)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
    try:
        import joblib  # type: ignore[import-untyped]

        joblib.dump(model, tmp / MODEL_FILE, compress=3)
        with (tmp / SERVING_FILE).open("wb") as fh:
            serving.dump(model.serving(), fh)
        (tmp / MANIFEST_FILE).write_text(json.dumps(manifest_of(model), ensure_ascii=False, indent=2),
                                         encoding="utf-8")
        tmp.rename(target)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError) and target.exists():  # another process saved it meanwhile
            raise FileExistsError(target) from exc
        raise
    if make_current:
        set_current(root, model.version)
    return target


def set_current(root: Path | str, version: str) -> None:
    root = Path(root)
    if not (root / check_version(version) / MODEL_FILE).is_file():
        raise ModelNotFound(version)
    tmp = root / f".{CURRENT_FILE}.{os.getpid()}"
    tmp.write_text(version + "\n", encoding="utf-8")
    tmp.replace(root / CURRENT_FILE)


def current_version(root: Path | str) -> str | None:
    """The version in ``current``, else the newest version, else ``None``."""
    root = Path(root)
    path = root / CURRENT_FILE
    if path.is_file():
        version = path.read_text(encoding="utf-8").strip()
        if version and (root / version / MODEL_FILE).is_file():
            return version
    versions = list_versions(root)
    return versions[-1]["version"] if versions else None


def list_versions(root: Path | str) -> list[dict[str, Any]]:
    """Manifests of every complete version, oldest first."""
    root = Path(root)
    if not root.is_dir():
        return []
    out = []
    for child in root.iterdir():
        manifest = child / MANIFEST_FILE
        if child.name.startswith(".") or not (child / MODEL_FILE).is_file() or not manifest.is_file():
            continue
        out.append(json.loads(manifest.read_text(encoding="utf-8")))
    return sorted(out, key=lambda m: (m.get("created_at", ""), m.get("version", "")))


def version_dir(root: Path, version: str | None) -> Path:
    """The directory of the given version, or of the current one; :class:`ModelNotFound` if none."""
    version = version or current_version(root)
    if version is None:
        raise ModelNotFound(str(root))
    path = root / check_version(version)
    if not (path / MODEL_FILE).is_file():
        raise ModelNotFound(version)
    return path


def load(root: Path | str, version: str | None = None) -> TriageModel:
    """The given version, or the current one, as trained (the pickle: imports scikit-learn)."""
    import joblib  # type: ignore[import-untyped]

    path = version_dir(Path(root), version)
    model = joblib.load(path / MODEL_FILE)
    if not isinstance(model, TriageModel):
        raise ModelNotFound(path.name)
    return model


def load_serving(root: Path | str, version: str | None = None) -> ServingModel:
    """The given version, or the current one, in its serving form: what predicting needs.

    Written from the pickle first if the version has none yet (or one of an older format).
    """
    path = version_dir(Path(root), version)
    try:
        return serving.load(path / SERVING_FILE)
    except (FileNotFoundError, serving.StaleServingForm):
        write_serving(path, load(path.parent, path.name))
    return serving.load(path / SERVING_FILE)


def write_serving(path: Path, model: TriageModel) -> None:
    """Write ``model``'s serving form into its version directory ``path``, atomically."""
    tmp = path / f".{SERVING_FILE}.{os.getpid()}.{threading.get_ident()}"
    try:
        with tmp.open("wb") as fh:
            serving.dump(model.serving(), fh)
        tmp.replace(path / SERVING_FILE)
    finally:
        tmp.unlink(missing_ok=True)


def ensure_serving_forms(root: Path | str) -> None:
    """Give every version under ``root`` a serving form of the current format (upgrades)."""
    for manifest in list_versions(root):
        load_serving(root, manifest["version"])
