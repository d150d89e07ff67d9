"""The offline verdict study scores like the live line: with a perfect detector's boxes every defective part is
diverted and no good one; without defect boxes every defective part escapes. A recording survives save and load."""
import numpy as np

from edgesight.apps.inspection.classes import CLASS_NAMES, PART_CLASS_ID
from edgesight.apps.inspection.config import InspectionConfig
from edgesight.apps.inspection.sim.conveyor import ConveyorSimulator
from edgesight.apps.inspection.sim.line_source import SimulatedLineSource
from edgesight.apps.inspection.verdict_study import DetectionRecording, replay_verdicts

SECONDS, FPS = 8.0, 8.0


def truth_recording(line: ConveyorSimulator, camera, truth_detections, keep_defects: bool) -> DetectionRecording:
    source = SimulatedLineSource(camera, fps=FPS, seconds=SECONDS, pace=False)
    rng = np.random.default_rng(0)
    times, of, boxes, classes, confs = [], [], [], [], []
    for frame in source:
        t, truth = source.truth(frame.seq)
        found = truth_detections(truth, rng)
        if not keep_defects:
            found = found[found.class_id == PART_CLASS_ID]
        of.append(np.full(len(found), len(times), np.int32))
        times.append(t)
        boxes.append(found.xyxy)
        classes.append(found.class_id)
        confs.append(found.confidence)
    return DetectionRecording(line.line, FPS, SECONDS, 0.02, CLASS_NAMES, np.array(times), np.concatenate(of),
                              np.vstack(boxes), np.concatenate(classes), np.concatenate(confs))


def test_perfect_detections_divert_exactly_the_defective_parts(tmp_path, inspection_line, inspection_camera,
                                                               truth_detections) -> None:
    recording = truth_recording(inspection_line, inspection_camera, truth_detections, keep_defects=True)
    recording.save(tmp_path / "rec.npz")
    loaded = DetectionRecording.load(tmp_path / "rec.npz")
    assert loaded.line == recording.line and np.array_equal(loaded.xyxy, recording.xyxy)
    score = replay_verdicts(loaded, InspectionConfig())
    assert score.parts >= 20 and score.defective >= 5
    assert score.escapes == 0 and score.false_rejects == 0


def test_without_defect_boxes_every_defective_part_escapes(inspection_line, inspection_camera,
                                                           truth_detections) -> None:
    recording = truth_recording(inspection_line, inspection_camera, truth_detections, keep_defects=False)
    score = replay_verdicts(recording, InspectionConfig())
    assert score.escapes == score.defective > 0 and score.false_rejects == 0
    assert {part for part, _ in score.escaped} <= {p for p in range(200) if inspection_line.part(p).spec.defective}
