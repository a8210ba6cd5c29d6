"""``/api/v1/triage``: parse → access → one action → schema out."""

from ninja import Router

router = Router(tags=["triage"])
