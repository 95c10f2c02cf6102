"""Wall-clock times in the organisation's zone ↔ UTC, with the DST gap and overlap made explicit.

A local time in the spring gap (02:00–03:00 on the last Sunday of March in Copenhagen) does not
exist: it is refused with the nearest valid time as a suggestion. A local time in the autumn
overlap (02:00–03:00 on the last Sunday of October) happens twice: the caller must say which
(`fold=0` the first, still summer time; `fold=1` the second, winter time).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


class NonexistentLocalTime(ValueError):
    """The wall-clock time falls in a DST gap; `suggestion` is the first valid time after it."""

    def __init__(self, local: datetime, suggestion: datetime) -> None:
        super().__init__(f"{local:%Y-%m-%d %H:%M} does not exist in {local.tzinfo}")
        self.local = local
        self.suggestion = suggestion


class AmbiguousLocalTime(ValueError):
    """The wall-clock time happens twice; `choices` are the two instants (UTC), earlier first."""

    def __init__(self, local: datetime, choices: tuple[datetime, datetime]) -> None:
        super().__init__(f"{local:%Y-%m-%d %H:%M} happens twice in {local.tzinfo}")
        self.local = local
        self.choices = choices


def _roundtrips(aware: datetime, zone: ZoneInfo) -> bool:
    back = aware.astimezone(UTC).astimezone(zone)
    return back.replace(tzinfo=None) == aware.replace(tzinfo=None)


def is_ambiguous(naive: datetime, zone: ZoneInfo) -> bool:
    """True when `naive` wall-clock time occurs twice in `zone`."""
    first = naive.replace(tzinfo=zone, fold=0).utcoffset()
    second = naive.replace(tzinfo=zone, fold=1).utcoffset()
    return first != second and _roundtrips(naive.replace(tzinfo=zone), zone)


def local_to_utc(naive: datetime, zone: ZoneInfo, fold: int | None = None) -> datetime:
    """Convert a wall-clock time in `zone` to UTC; refuse gaps, demand `fold` in overlaps."""
    if naive.tzinfo is not None:
        raise ValueError("expected a naive wall-clock time")
    aware = naive.replace(tzinfo=zone, fold=fold or 0)
    if not _roundtrips(aware, zone):
        # In the gap: suggest the first wall-clock minute after it that exists.
        probe = naive.replace(second=0, microsecond=0)
        while not _roundtrips(probe.replace(tzinfo=zone), zone):
            probe += timedelta(minutes=1)
        raise NonexistentLocalTime(aware, probe.replace(tzinfo=zone))
    if is_ambiguous(naive, zone):
        if fold is None:
            a = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
            b = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
            raise AmbiguousLocalTime(aware, (a, b))
    return aware.astimezone(UTC)


def utc_to_local(moment: datetime, zone: ZoneInfo) -> datetime:
    """Show a UTC instant in `zone` (aware)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone)
