"""Translated texts of the rule reasons the core returns as ``(id, params)``.

The core says *which* rule fired (``severity.harm`` with ``{"word": "住院", "level": "serious"}``);
this module says it in the user's language. Level codes are shown with the case form's labels.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kesu.cases.choices import Priority, Severity
from kesu.triage.core.rules import Reason

REASON_TEXTS: dict[str, Promise] = {
    "severity.harm": _("Harm to a person is mentioned ({word}): severity at least {level}."),
    "severity.hazard": _("Something that could cause harm is mentioned ({word}): severity at least {level}."),
    "severity.safety": _("A danger to personal safety is mentioned ({word}): severity at least {level}."),
    "severity.defect": _("A defect is mentioned ({word}): severity at least {level}."),
    "priority.harm": _("Harm to a person is mentioned ({word}): priority {level}."),
    "priority.hazard": _("Something that could cause harm is mentioned ({word}): priority at least {level}."),
    "priority.safety": _("A danger to personal safety is mentioned ({word}): priority {level}."),
    "priority.media": _("Media or public exposure is mentioned ({word}): priority {level}."),
    "priority.legal": _("Legal action is mentioned ({word}): priority {level}."),
    "priority.regulator": _("A regulator or consumer association is mentioned ({word}): priority {level}."),
    "priority.severity": _("Severity {severity} raises the priority to {level}."),
    "priority.vip": _("VIP customer: priority raised to {level}."),
    "priority.repeat": _("Repeat complaint ({count} before): priority raised to {level}."),
    "crisis.harm": _("Harm to a person ({word}): flagged as a possible crisis."),
    "crisis.media": _("Media exposure ({word}): flagged as a possible crisis."),
}


def level_label(code: str) -> str:
    """The translated label of a severity or priority code (priority first: both have "general")."""
    for choices in (Priority, Severity):
        if code in choices.values:
            return str(choices(code).label)
    return code


def reason_text(reason: Reason) -> str:
    """One reason as a sentence in the active language."""
    template = REASON_TEXTS.get(reason.id)
    params = {k: (level_label(v) if k in ("level", "severity") and isinstance(v, str) else v)
              for k, v in reason.params.items()}
    if template is None:
        return gettext("Rule {rule} applied.").format(rule=reason.id)
    try:
        return str(template).format(**params)
    except (KeyError, IndexError):
        return str(template)
