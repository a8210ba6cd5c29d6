"""Which channels a user gets for an event: their stored choices over the event's defaults."""

from __future__ import annotations

from collections.abc import Sequence

from kesu.notify.choices import USER_CHANNELS, event_spec, subscribable_events
from kesu.notify.models import Preference
from kesu.org.models import User


def channels_for(users: Sequence[User], event: str) -> dict[int, set[str]]:
    """``{user_id: channels}`` for ``event``, with one query for all ``users``."""
    defaults = event_spec(event).default_channels
    wanted = {u.pk: {c for c in USER_CHANNELS if c in defaults} for u in users}
    rows = Preference.objects.filter(user__in=[u.pk for u in users], event=event)
    for user_id, channel, enabled in rows.values_list("user_id", "channel", "enabled"):
        if channel not in USER_CHANNELS:
            continue
        if enabled:
            wanted[user_id].add(channel)
        else:
            wanted[user_id].discard(channel)
    return wanted


def preference_matrix(user: User) -> dict[tuple[str, str], bool]:
    """Every (event, channel) a user may choose, with what currently applies to them."""
    stored = {(e, c): on for e, c, on in user.notify_preferences.values_list("event", "channel", "enabled")}
    return {
        (spec.code, channel): stored.get((spec.code, channel), channel in spec.default_channels)
        for spec in subscribable_events()
        for channel in USER_CHANNELS
    }
