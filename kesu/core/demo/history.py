"""What becomes of the notifications the replayed year wrote (WF-6).

Every replayed action wrote its outbox rows as it would have then. In a year of real use the
workers delivered each row within seconds and staff read their in-app notifications long
ago. So at the cut-off (a day before the end of the demo year) the loader lets the delivery
code do what the workers would have done — in-app rows become notifications with their
original time, e-mails go to the configured backend (a file in the data directory unless
SMTP is configured; every demo address is @example.com) — and each demo user marks what they
had by then as read, through the notify app's own action. Notifications of the last day stay
unread and their outbox rows wait for the workers of the running server, as live ones would.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from kesu.core.demo.replay import clock_at
from kesu.notify.actions import do_mark_all_read
from kesu.notify.delivery import deliver_due
from kesu.org.models import User


def settle_history(at: datetime, users: dict[str, User]) -> Counter[str]:
    """Deliver everything due at ``at`` and mark it read for every demo user; returns counts by state."""
    counts: Counter[str] = Counter()
    with clock_at(at):
        while True:
            done = deliver_due(now=at, batch=500, max_batches=200)
            counts.update(done)
            if not done:
                break
        for user in users.values():
            do_mark_all_read(user, actor=user)
    return counts
