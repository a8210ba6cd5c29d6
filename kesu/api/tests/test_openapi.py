"""The OpenAPI document is the API's contract (ARCHITECTURE rule 8): a change must be deliberate.

The committed ``openapi.snapshot.json`` holds the document; this test fails when the served one
differs. After an intended change, refresh it with::

    KESU_UPDATE_OPENAPI=1 .venv/bin/pytest kesu/api/tests/test_openapi.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from kesu.api.main import api

SNAPSHOT = Path(__file__).with_name("openapi.snapshot.json")


def test_the_openapi_document_changes_only_on_purpose() -> None:
    served = json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1"), sort_keys=True))
    if os.environ.get("KESU_UPDATE_OPENAPI") == "1":
        SNAPSHOT.write_text(json.dumps(served, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                            encoding="utf-8")
    committed = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert sorted(served["paths"]) == sorted(committed["paths"]), "endpoints added or removed"
    assert served == committed, "request or response shapes changed: refresh the snapshot if intended"
