"""How signal states reach an intersection. The SUMO adapter is the first; a real cabinet (NTCIP 1202 over
SNMP) implements the same three methods."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from edgesight.apps.traffic.control.signal_status import GroupState


class SignalAdapter(Protocol):
    def apply(self, states: Mapping[str, GroupState]) -> None:
        """Show these signal-group states now."""

    def read_link_states(self) -> str:
        """What the intersection actually shows, one SUMO state character per link (read back, not assumed)."""

    def enter_fail_safe(self) -> None:
        """Take the intersection out of the controller's hands into its fail-safe mode."""
