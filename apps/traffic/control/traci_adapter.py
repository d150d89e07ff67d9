"""Signal adapter for SUMO over TraCI or libsumo: group states become a link state string on the traffic light."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from edgesight.apps.traffic.control.signal_layout import SignalLayout
from edgesight.apps.traffic.control.signal_status import GroupState

# All-red flash: SUMO's 's' makes every vehicle stop at the line and then go when the junction is clear,
# which is how drivers treat a flashing red (an all-way stop).
FAIL_SAFE_SIGNAL = "s"


class TraciSignalAdapter:
    """`api` is the libsumo module or a traci connection. Once in fail-safe, `apply` is ignored: only the
    conflict monitor's reset and a new adapter bring the controller back."""

    def __init__(self, api: Any, layout: SignalLayout) -> None:
        self._api = api
        self._layout = layout
        self._in_fail_safe = False
        self._last = ""

    def link_states(self, states: Mapping[str, GroupState]) -> str:
        links = ["r"] * self._layout.link_count
        for group in self._layout.groups:
            state = states.get(group.name, GroupState.RED)
            for link, green in zip(group.links, group.greens):
                links[link] = green if state is GroupState.GREEN else "y" if state is GroupState.YELLOW else "r"
        return "".join(links)

    def apply(self, states: Mapping[str, GroupState]) -> None:
        if self._in_fail_safe:
            return
        state = self.link_states(states)
        # Setting a state replaces the running program by a static one; skip the call when nothing changed.
        if state != self._last:
            self._api.trafficlight.setRedYellowGreenState(self._layout.tls_id, state)
            self._last = state

    def read_link_states(self) -> str:
        return self._api.trafficlight.getRedYellowGreenState(self._layout.tls_id)

    def enter_fail_safe(self) -> None:
        self._in_fail_safe = True
        self._api.trafficlight.setRedYellowGreenState(self._layout.tls_id, FAIL_SAFE_SIGNAL * self._layout.link_count)

    @property
    def in_fail_safe(self) -> bool:
        return self._in_fail_safe
