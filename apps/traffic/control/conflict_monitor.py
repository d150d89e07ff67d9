"""The conflict monitor: an independent watchdog over the signal states actually applied, as a NEMA TS2
malfunction management unit is independent hardware in the cabinet.

It shares no code with the controller: it is programmed with its own channel map (link indices per signal
head) and compatibility list, reads the raw link states back from the intersection, and on a fault latches,
puts the intersection into its fail-safe mode and raises an alarm. Only `reset()` (a technician) clears it.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

log = logging.getLogger(__name__)

_GREEN, _YELLOW, _RED = "green", "yellow", "red"


@dataclass(frozen=True)
class ConflictFault:
    """`kind`: conflict, short_yellow, skipped_yellow, bad_sequence, missing_all_red or bad_channel."""

    time: float
    kind: str
    detail: str


def _channel_colour(signals: str) -> str | None:
    """Colour of one signal head from its links' SUMO states; None if its links disagree (a wiring fault)."""
    colours = {_GREEN if s in "Gg" else _YELLOW if s in "yY" else _RED for s in signals}
    return colours.pop() if len(colours) == 1 else None


class ConflictMonitor:
    def __init__(
        self,
        channels: Mapping[str, Sequence[int]],
        conflicts: Iterable[tuple[str, str]],
        min_yellow_s: float,
        min_all_red_s: float,
        fail_safe: Callable[[], None],
        on_fault: Callable[[ConflictFault], None] | None = None,
    ) -> None:
        self.channels = {name: tuple(links) for name, links in channels.items()}
        self.conflicts = [(a, b) for a, b in conflicts]
        for a, b in self.conflicts:
            if a not in self.channels or b not in self.channels:
                raise ValueError(f"ConflictMonitor: conflict {a}/{b} names a channel that is not in the channel map")
        self.min_yellow_s = min_yellow_s
        self.min_all_red_s = min_all_red_s
        self._fail_safe = fail_safe
        self._on_fault = on_fault
        self.fault: ConflictFault | None = None
        self._colour: dict[str, str] = {name: _RED for name in self.channels}
        # Channels are taken to have been red forever when monitoring starts.
        self._since: dict[str, float] = {name: -math.inf for name in self.channels}

    @property
    def latched(self) -> bool:
        return self.fault is not None

    def reset(self) -> None:
        """Clear a latched fault (a technician's action after finding the cause); channels restart red."""
        log.warning("conflict monitor reset (was: %s)", self.fault)
        self.fault = None
        self._colour = {name: _RED for name in self.channels}
        self._since = {name: -math.inf for name in self.channels}

    def observe(self, now: float, link_states: str) -> ConflictFault | None:
        """Check the link states applied at `now`; returns the fault if this observation tripped the monitor."""
        if self.fault is not None:
            return None
        fault = self._check(now, link_states)
        if fault is not None:
            self.fault = fault
            log.critical("conflict monitor tripped at %.1f s: %s: %s; intersection in fail-safe", now, fault.kind,
                         fault.detail)
            self._fail_safe()
            if self._on_fault is not None:
                self._on_fault(fault)
        return fault

    def _check(self, now: float, link_states: str) -> ConflictFault | None:
        colours: dict[str, str] = {}
        for name, links in self.channels.items():
            if max(links) >= len(link_states):
                return ConflictFault(now, "bad_channel", f"{name}: link {max(links)} missing from state {link_states!r}")
            colour = _channel_colour("".join(link_states[i] for i in links))
            if colour is None:
                return ConflictFault(now, "bad_channel", f"{name}: its links show different colours")
            colours[name] = colour
        for a, b in self.conflicts:
            if colours[a] != _RED and colours[b] != _RED:
                return ConflictFault(now, "conflict", f"{a} {colours[a]} and {b} {colours[b]} at the same time")
        # When each channel entered the colour it shows now (this observation counts for channels that changed).
        since = {name: self._since[name] if colours[name] == self._colour[name] else now for name in colours}
        for name, colour in colours.items():
            before, held = self._colour[name], now - self._since[name]
            if colour == before:
                continue
            if before == _GREEN and colour == _RED:
                return ConflictFault(now, "skipped_yellow", f"{name} went from green to red without a yellow")
            if before == _YELLOW and held < self.min_yellow_s:
                return ConflictFault(now, "short_yellow", f"{name} yellow lasted {held:.1f} s < {self.min_yellow_s:g} s")
            if before == _YELLOW and colour == _GREEN:
                return ConflictFault(now, "bad_sequence", f"{name} went from yellow back to green")
            if colour == _GREEN:
                for a, b in self.conflicts:
                    other = b if a == name else a if b == name else None
                    if other is not None and now - since[other] < self.min_all_red_s:
                        return ConflictFault(now, "missing_all_red", f"{name} turned green {now - since[other]:.1f} s "
                                                                     f"after {other} turned red")
        self._colour, self._since = colours, since
        return None
