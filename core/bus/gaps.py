"""GapTracker: which sequence numbers of each stream a consumer has not received.

Every stream is expected from seq 0. `high` is the highest seq known to exist, from events or from the
node's heartbeats (which announce each stream's last seq, so a loss at the tail shows too). A gap is not
final at once: priorities reorder streams and resends arrive late. A gap that stays open `give_up_s`
seconds is declared lost, reported in `lost`, and the floor moves past it so memory stays bounded.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class _Stream:
    floor: int = 0  # every seq below it has been received (or declared lost)
    high: int = -1  # highest seq known to exist
    above: set[int] = field(default_factory=set)  # received seqs >= floor
    stalled_since: float = field(default_factory=time.monotonic)

    def advance(self) -> None:
        before = self.floor
        while self.floor in self.above:
            self.above.discard(self.floor)
            self.floor += 1
        if self.floor != before:
            self.stalled_since = time.monotonic()


def to_ranges(seqs: list[int]) -> list[tuple[int, int]]:
    """Sorted ints as inclusive (first, last) runs: [1, 2, 3, 7] -> [(1, 3), (7, 7)]."""
    ranges: list[tuple[int, int]] = []
    for seq in seqs:
        if ranges and seq == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], seq)
        else:
            ranges.append((seq, seq))
    return ranges


class GapTracker:
    def __init__(self, give_up_s: float = 300.0) -> None:
        self.give_up_s = give_up_s
        self._streams: dict[str, _Stream] = {}
        self.lost: dict[str, list[tuple[int, int]]] = {}

    def observe(self, stream: str, seq: int) -> None:
        state = self._streams.setdefault(stream, _Stream())
        state.high = max(state.high, seq)
        if seq >= state.floor:
            state.above.add(seq)
            state.advance()

    def announce(self, stream: str, last_seq: int) -> None:
        state = self._streams.setdefault(stream, _Stream())
        state.high = max(state.high, last_seq)

    def missing(self) -> dict[str, list[int]]:
        """Seqs known to exist and not received (declared-lost ones are in `lost` instead)."""
        out: dict[str, list[int]] = {}
        for name, state in self._streams.items():
            holes = [s for s in range(state.floor, state.high + 1) if s not in state.above]
            if holes:
                out[name] = holes
        return out

    def give_up(self, now: float | None = None) -> dict[str, list[tuple[int, int]]]:
        """Declare lost every gap of a stream whose floor has not moved for `give_up_s`; returns them."""
        now = time.monotonic() if now is None else now
        newly: dict[str, list[tuple[int, int]]] = {}
        for name, state in self._streams.items():
            if state.floor > state.high or now - state.stalled_since < self.give_up_s:
                continue
            holes = [s for s in range(state.floor, state.high + 1) if s not in state.above]
            if holes:
                ranges = to_ranges(holes)
                newly[name] = ranges
                self.lost.setdefault(name, []).extend(ranges)
            state.above.update(holes)
            state.advance()
        return newly

    def floors(self) -> dict[str, tuple[int, int]]:
        return {name: (s.floor, s.high) for name, s in self._streams.items()}

    def restore(self, floors: dict[str, tuple[int, int]], seen: list[tuple[str, int]]) -> None:
        for name, (floor, high) in floors.items():
            self._streams[name] = _Stream(floor=floor, high=high)
        for name, seq in seen:
            self.observe(name, seq)
