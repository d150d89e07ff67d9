"""One SUMO simulation of a scenario, stepped from Python.

libsumo (SUMO linked into this process) is several times faster than TraCI over a socket, but allows only one
simulation per process and no GUI; TraCI is used for sumo-gui and for simulations other processes also join.
"""
from __future__ import annotations

import contextlib
import itertools
import sys
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Literal

from edgesight.apps.traffic.sim.scenario import Scenario
from edgesight.apps.traffic.sim.sumo_home import sumo_binary
from edgesight.apps.traffic.sim.vehicle_states import VehicleState, VehicleStateReader

Backend = Literal["libsumo", "traci"]
_labels = itertools.count()


class SumoRun:
    """A started SUMO simulation. Use as a context manager; `api` is the libsumo module or the traci
    connection (same interface), for everything this class does not wrap."""

    _libsumo_in_use = False

    def __init__(
        self,
        scenario: Scenario,
        seed: int = 42,
        program: str = "static",
        *,
        backend: Backend = "libsumo",
        gui: bool = False,
        step_length: float = 1.0,
        extra_args: Sequence[str] = (),
        num_clients: int = 1,
        port: int | None = None,
    ) -> None:
        if gui and backend == "libsumo":
            raise ValueError("SumoRun: libsumo cannot open sumo-gui; use backend='traci' with gui=True")
        if num_clients > 1 and backend == "libsumo":
            raise ValueError("SumoRun: other clients can only join a TraCI simulation; use backend='traci'")
        if step_length <= 0:
            raise ValueError(f"SumoRun step_length={step_length}: must be a positive number of seconds")
        self.scenario = scenario
        self.seed = seed
        self.program = program
        self.backend = backend
        self.step_length = step_length
        self._command = [
            sumo_binary("sumo-gui" if gui else "sumo"),
            *scenario.sumo_args(program),
            "--seed", str(seed),
            "--step-length", str(step_length),
            "--no-step-log", "true",
            "--duration-log.disable", "true",
            *extra_args,
        ]
        if num_clients > 1:
            self._command += ["--num-clients", str(num_clients)]
        self._num_clients = num_clients
        self._port = port
        self._label = f"edgesight-{next(_labels)}"
        self.api: Any = None
        self._reader: VehicleStateReader | None = None

    @property
    def command(self) -> list[str]:
        return list(self._command)

    def start(self) -> SumoRun:
        if self.backend == "libsumo":
            if SumoRun._libsumo_in_use:
                raise RuntimeError(
                    "SumoRun: a libsumo simulation is already running in this process; close it first or use backend='traci'"
                )
            # libsumo prints a version warning about pyarrow (which streamlit pulls in) to stdout on import;
            # keep stdout clean for `--json` output.
            with contextlib.redirect_stdout(sys.stderr):
                import libsumo

            libsumo.start(self._command)
            SumoRun._libsumo_in_use = True
            self.api = libsumo
        else:
            import traci

            traci.start(self._command, port=self._port, label=self._label)
            self.api = traci.getConnection(self._label)
            if self._num_clients > 1:
                # This client steps first; the others join with orders 2, 3, ... (traci.init + setOrder).
                self.api.setOrder(1)
        self._reader = VehicleStateReader(self.api)
        return self

    def close(self) -> None:
        if self.api is None:
            return
        self.api.close()
        if self.backend == "libsumo":
            SumoRun._libsumo_in_use = False
        self.api = None

    def __enter__(self) -> SumoRun:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def time(self) -> float:
        return self.api.simulation.getTime()

    @property
    def finished(self) -> bool:
        """True once demand has ended and the last vehicle has left the network."""
        return self.api.simulation.getMinExpectedNumber() == 0

    def step(self) -> float:
        """Advance one step; returns the new simulation time in seconds. Step through here rather than
        `api.simulationStep()`, so that vehicles departing in this step are subscribed for `vehicle_states()`."""
        self.api.simulationStep()
        if self._reader is not None:
            self._reader.subscribe_departed()
        return self.time

    def vehicle_states(self) -> list[VehicleState]:
        """Every vehicle in the network after the last step."""
        if self._reader is None:
            raise RuntimeError("SumoRun.vehicle_states: the simulation is not running; call start() or use `with`")
        return self._reader.read()

    def run_until_empty(self, max_time_s: float = 6 * 3600) -> float:
        """Step until the network is empty (or `max_time_s`, a guard against gridlock); returns the end time."""
        while not self.finished and self.time < max_time_s:
            self.step()
        return self.time
