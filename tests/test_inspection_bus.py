"""Verdicts over a real Mosquitto broker to the reject controller service and the simulator's diverter: every
defective part is pushed off and no good one, a republished verdict fires once, a late one raises an alarm on
the bus. Detections are the renderer's ground truth (this tests the plumbing and timing, not the model)."""
import asyncio

import numpy as np

from edgesight.apps.inspection.classes import CLASS_NAMES
from edgesight.apps.inspection.config import InspectionConfig
from edgesight.apps.inspection.controller_service import ControllerService
from edgesight.apps.inspection.part_tracker import PartTracker
from edgesight.apps.inspection.reject_scheduler import Outcome
from edgesight.apps.inspection.sim.clock import LineClock
from edgesight.apps.inspection.sim.conveyor_camera import ConveyorCamera
from edgesight.apps.inspection.sim.diverter import SimulatedDiverter
from edgesight.apps.inspection.sim.line_source import SimulatedLineSource
from edgesight.apps.inspection.sink import InspectionSink
from edgesight.apps.inspection.verdict import PartResult, VerdictAggregator
from edgesight.apps.inspection.verdict_publisher import VerdictPublisher
from edgesight.core.bus.consumer import EventConsumer
from edgesight.core.bus.publisher import EventPublisher
from edgesight.core.events import Alarm, Defect, PartVerdict

SECONDS = 4.0


def test_verdicts_over_mqtt_divert_the_defective_parts_once(tmp_path, mosquitto, bus_config, inspection_line,
                                                            truth_detections) -> None:
    config = InspectionConfig(line_id="lineA")
    camera = ConveyorCamera(inspection_line, seed=11)

    async def scenario():
        clock = LineClock.starting_in(1.0)
        diverter = SimulatedDiverter(inspection_line, clock)
        service = ControllerService(config, bus_config(mosquitto, node="reject1"), diverter,
                                    state_path=tmp_path / "dedup.sqlite")
        service_task = asyncio.create_task(service.run())
        await asyncio.wait_for(service.ready.wait(), 10)
        async with EventPublisher(bus_config(mosquitto, node="inspect1")) as publisher, \
                EventConsumer(bus_config(mosquitto, node="audit"), name="audit", state_path=tmp_path / "a.sqlite",
                              batch_wait_s=0.0) as audit:
            verdicts = VerdictPublisher(publisher, "lineA")
            loop = asyncio.get_running_loop()
            results: list[PartResult] = []
            futures = []

            def on_result(result: PartResult) -> None:
                results.append(result)
                futures.append(asyncio.run_coroutine_threadsafe(verdicts.publish(result), loop))

            tracker = PartTracker(CLASS_NAMES, config.tracking, frame_size=(640, 480), speed_px_s=config.belt.speed_mm_s * config.camera.px_per_mm)
            sink = InspectionSink(tracker, VerdictAggregator(config.verdict, config.camera, "lineA"), on_result)
            source = SimulatedLineSource(camera, fps=10.0, seconds=SECONDS, pace=True, clock=clock)
            rng = np.random.default_rng(0)

            def run_camera() -> None:
                for frame in source:
                    sink.emit(frame, truth_detections(source.truth(frame.seq)[1], rng))

            await loop.run_in_executor(None, run_camera)
            await asyncio.gather(*(asyncio.wrap_future(f) for f in futures))
            rejected = [r for r in results if r.verdict == "reject"]
            assert rejected, "seed 11 should give defective parts in 4 s"
            await verdicts.publish(rejected[0])  # the node republishes a verdict: new event ids, same part
            # Long after part 0 passed the diverter, a reject for it arrives.
            part0 = inspection_line.part(0)
            await asyncio.sleep(max(part0.time_at(850.0) - clock.sim_now(), 0))
            await verdicts.publish(PartResult("lineA-late-0", "reject", (), "crack", 0.9, 3,
                                              clock.wall_at(part0.time_at(150.0)), 150.0, 0.0))
            await publisher.drain(5.0)
            await asyncio.sleep(max(SECONDS + 1.2 - clock.sim_now(), 0))
            await service.controller.settle()
            seen = []
            async with asyncio.timeout(5):
                async for batch in audit.batches():
                    seen += batch
                    if any(isinstance(e.data, Alarm) for e in seen):
                        break
        service_task.cancel()
        await asyncio.gather(service_task, return_exceptions=True)
        return diverter, service, results, seen

    diverter, service, results, seen = asyncio.run(scenario())
    defective = {p.spec.part_id for p in inspection_line.parts_passed(800.0, 0.0, SECONDS + 1.2) if p.spec.defective}
    leaves_view_mm = config.camera.width / 2 / config.camera.px_per_mm + 63.0
    judged = {p.spec.part_id for p in inspection_line.parts_passed(leaves_view_mm, 0.0, SECONDS)}
    hits = [s.hit for s in diverter.strokes]
    assert len(hits) == len(set(hits)), "a part was struck twice"
    assert None not in hits, "a stroke hit empty belt"
    assert set(hits) == defective & judged
    counts = service.controller.scheduler.counts
    assert counts[Outcome.DUPLICATE] == 1 and counts[Outcome.DEADLINE_MISS] == 1
    assert counts[Outcome.SCHEDULED] == len(defective & judged)
    # On time within a fraction of a paddle stroke, even on a busy 2-core machine (how late, in figures, is the
    # evaluate command's fire_lateness_p99_ms).
    assert max(service.controller.fire_lateness_s) < 0.1
    kinds = [type(e.data) for e in seen]
    assert PartVerdict in kinds and Defect in kinds
    # Each verdict names its worst defect class and that defect's confidence (None on a pass).
    judged_by_id = {r.part_id: r for r in results}
    verdict_events = [e.data for e in seen if isinstance(e.data, PartVerdict) and e.data.part_id in judged_by_id]
    assert any(v.verdict == "reject" for v in verdict_events)
    for v in verdict_events:
        result = judged_by_id[v.part_id]
        assert v.worst_class == result.worst_class
        if v.verdict == "reject":
            assert v.worst_class is not None and v.worst_confidence == round(result.worst_confidence, 4) > 0
        else:
            assert v.worst_class is None and v.worst_confidence is None
    crops = [e.data.crop_jpeg for e in seen if isinstance(e.data, Defect)]
    assert all(c is not None and c.startswith(b"\xff\xd8") for c in crops)
    alarm = next(e.data for e in seen if isinstance(e.data, Alarm))
    assert alarm.alarm == "deadline_miss" and "lineA-late-0" in alarm.text
