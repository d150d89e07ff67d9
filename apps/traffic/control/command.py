"""`edgesight traffic controller`: run the signal controller service from its config file."""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Annotated

import typer

from edgesight.core.bus.consumer import EventConsumer
from edgesight.core.bus.publisher import EventPublisher

from edgesight.apps.traffic.control.assembly import assemble_controller, program_monitor
from edgesight.apps.traffic.control.config import ControllerConfig, load_controller_config
from edgesight.apps.traffic.control.flow_events import FlowEventReader
from edgesight.apps.traffic.control.service import ControllerService
from edgesight.apps.traffic.control.signal_layout import SignalLayout
from edgesight.apps.traffic.control.ticker import SumoStepTicker
from edgesight.apps.traffic.control.traci_adapter import TraciSignalAdapter

log = logging.getLogger(__name__)


def lane_lengths(net_file: Path, lanes: list[str]) -> dict[str, float]:
    import sumolib

    net = sumolib.net.readNet(str(net_file))
    return {lane: net.getLane(lane).getLength() for lane in lanes}


async def serve(config: ControllerConfig, state_dir: Path) -> None:
    """Join the SUMO simulation, then control it until it ends, exchanging events over the bus."""
    import traci

    layout = SignalLayout.from_sumo_net(config.intersection.net, config.intersection.tls_id)
    known = {lane for g in layout.groups for lane in g.lanes}
    unknown = sorted(set(config.lanes.values()) - known)
    if unknown:
        raise ValueError(f"controller config lanes: {', '.join(unknown)} are not incoming lanes of {layout.tls_id} "
                         f"(those are {', '.join(sorted(known))})")
    traci.init(port=config.sumo.port, host=config.sumo.host, label=config.id)
    api = traci.getConnection(config.id)
    api.setOrder(config.sumo.order)
    try:
        adapter = TraciSignalAdapter(api, layout)
        ticker = SumoStepTicker(api)
        controller = assemble_controller(layout, adapter, config.algorithm, config.timings.timings(),
                                         lane_lengths(config.intersection.net, sorted(known)),
                                         config.stale_after_s, start_time=ticker.now())
        async with (
            EventPublisher(config.bus) as publisher,
            EventConsumer(config.bus, name=config.id, state_path=state_dir / f"{config.id}-consumer.sqlite") as consumer,
        ):
            service = ControllerService(controller, FlowEventReader(config.lanes), publisher, source=config.id)
            monitor = program_monitor(layout, adapter, config.timings.timings(), on_fault=service.on_fault)
            await service.run(consumer, ticker, monitor=monitor, until=lambda: ticker.finished)
            await publisher.drain(timeout=10)
    finally:
        api.close()


def controller_command(
    config: Annotated[Path, typer.Option("--config", "-c", help="controller YAML (see control/config.py)")],
    state_dir: Annotated[Path, typer.Option(help="folder for the consumer's dedup state")] = Path("."),
) -> None:
    """Run the signal controller: flow events in, signal states to the intersection, events out."""
    try:
        settings = load_controller_config(config)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    asyncio.run(serve(settings, state_dir))
