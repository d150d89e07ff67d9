"""From detections to verdicts on the simulated line: every part that crosses the view gets exactly one verdict,
rejected exactly when it carries a defect, with a belt position the reject controller can time from. Detections
here are the renderer's ground truth (a perfect detector), thinned out to test the evidence rules."""
import numpy as np
import pytest
import supervision as sv

from edgesight.apps.inspection.classes import CLASS_ID, CLASS_NAMES, DEFECT_CLASSES
from edgesight.apps.inspection.config import InspectionConfig, TrackingConfig, VerdictConfig
from edgesight.apps.inspection.part_tracker import PartTracker
from edgesight.apps.inspection.sim.line_source import SimulatedLineSource
from edgesight.apps.inspection.sink import InspectionSink
from edgesight.apps.inspection.verdict import PartResult, VerdictAggregator

PART = CLASS_ID["part"]


def run_line(camera, config: InspectionConfig, seconds: float, fps: float, detect, drop: float = 0.0, seed: int = 0):
    source = SimulatedLineSource(camera, fps=fps, seconds=seconds, pace=False)
    results: list[PartResult] = []
    tracker = PartTracker(CLASS_NAMES, config.tracking, frame_size=source.size,
                          speed_px_s=config.belt.speed_mm_s * config.camera.px_per_mm)
    sink = InspectionSink(tracker, VerdictAggregator(config.verdict, config.camera, "t", run_id="r"), results.append)
    rng = np.random.default_rng(seed)
    for frame in source:
        sink.emit(frame, detect(source.truth(frame.seq)[1], rng, drop))
    return source, tracker, results


def part_at(line, clock, result: PartResult, tolerance_mm: float = 6.0):
    """The simulated part whose centre was at the verdict's belt position at its capture time."""
    t = result.capture_wall - clock.t0_wall
    near = line.parts_within(t, result.belt_position_mm - tolerance_mm, result.belt_position_mm + tolerance_mm)
    assert len(near) == 1, f"{result.part_id}: {len(near)} parts within {tolerance_mm} mm of {result.belt_position_mm:.1f}"
    return near[0]


@pytest.mark.parametrize("fps, drop", [(15.0, 0.0), (8.0, 0.0), (4.0, 0.0), (15.0, 0.2)])
def test_one_verdict_per_part_and_reject_exactly_the_defective(inspection_line, inspection_camera, truth_detections,
                                                                fps, drop) -> None:
    config = InspectionConfig()
    source, tracker, results = run_line(inspection_camera, config, seconds=6.0, fps=fps, detect=truth_detections, drop=drop)
    # Parts that crossed the whole view during the run (their verdict is due when they have left it).
    half_view = config.camera.width / 2 / config.camera.px_per_mm
    crossed = [p for p in inspection_line.parts_passed(half_view + 70, 0.0, 6.0) if p.x_mm(0.0) < -half_view - 70]
    matched = [part_at(inspection_line, source.clock, r) for r in results]
    ids = [p.spec.part_id for p in matched]
    assert len(ids) == len(set(ids)), "a part got more than one verdict"
    assert {p.spec.part_id for p in crossed} <= set(ids)
    for result, part in zip(results, matched):
        assert (result.verdict == "reject") == part.spec.defective, (result, part.spec)
        if result.verdict == "reject":
            assert result.worst_class in part.spec.defects
            assert {d.defect_class for d in result.defects} <= set(part.spec.defects)
            assert all(d.crop is not None and d.crop.size for d in result.defects)
    assert tracker.false_parts == 0


def judge_one_part(config: VerdictConfig, crack_confidence: dict[int, float]) -> list[PartResult]:
    """One part crossing the view in 5 frames (of 8); `crack_confidence`: frame -> confidence of a crack box on it."""
    from edgesight.core.frame import Frame

    tracker = PartTracker(CLASS_NAMES, TrackingConfig(), frame_size=(640, 480), speed_px_s=1280.0)
    results: list[PartResult] = []
    sink = InspectionSink(tracker, VerdictAggregator(config, InspectionConfig().camera, "t", run_id="r"), results.append)
    for k in range(8):
        t = k / 10
        x0 = 20 + 128 * k
        boxes, classes, confidences = [[x0, 150, x0 + 120, 270]], [PART], [0.95]
        if k in crack_confidence:
            boxes.append([x0 + 40, 190, x0 + 60, 210])
            classes.append(CLASS_ID["crack"])
            confidences.append(crack_confidence[k])
        xyxy = np.clip(np.array(boxes, np.float32), 0, 640)
        visible = xyxy[:, 2] > xyxy[:, 0] + 4
        sink.emit(Frame("cam", k, np.zeros((480, 640, 3), np.uint8), t, 1000.0 + t),
                  sv.Detections(xyxy=xyxy[visible], class_id=np.array(classes)[visible],
                                confidence=np.array(confidences, np.float32)[visible]))
    sink.flush()
    return results


def test_single_frame_glitch_does_not_reject() -> None:
    config = VerdictConfig(classes={c: {"confidence": 0.5, "min_frames": 2} for c in DEFECT_CLASSES})
    results = judge_one_part(config, {2: 0.95})  # one frame shows a crack with high confidence, no other frame does
    assert [r.verdict for r in results] == ["pass"]
    assert results[0].frames_seen == 5


@pytest.mark.parametrize("crack, verdict", [
    ({2: 0.6}, "reject"),  # one frame above the single-frame threshold
    ({2: 0.3}, "pass"),  # one weak frame
    ({2: 0.3, 3: 0.25}, "reject"),  # two weak frames: the repeat rule
    ({2: 0.3, 3: 0.15}, "pass"),  # the second is below the repeat threshold
])
def test_repeat_rule_confirms_a_defect_seen_weakly_in_several_frames(crack, verdict) -> None:
    config = VerdictConfig(classes={c: {"confidence": 0.5, "repeat_confidence": 0.2} for c in DEFECT_CLASSES})
    results = judge_one_part(config, crack)
    assert [r.verdict for r in results] == [verdict]
    if verdict == "reject":
        assert results[0].worst_class == "crack"
        assert results[0].worst_confidence == pytest.approx(max(crack.values()))
    assert config.lowest_confidence == 0.2


def test_repeat_threshold_above_the_single_frame_one_is_refused() -> None:
    with pytest.raises(ValueError, match="repeat_confidence"):
        VerdictConfig(classes={"crack": {"confidence": 0.2, "repeat_confidence": 0.3}})


def test_unknown_class_in_config_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown defect class"):
        VerdictConfig(classes={"rust": {"confidence": 0.5}})


def test_detector_without_inspection_classes_is_refused() -> None:
    with pytest.raises(ValueError, match="lack"):
        PartTracker(["car", "bus"], TrackingConfig(), frame_size=(640, 480), speed_px_s=1000.0)
