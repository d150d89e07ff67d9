"""The offline verdict study scores like the live line: with a perfect detector's boxes every defective part is
diverted and no good one; without defect boxes every defective part escapes. A recording survives save and load.
Several recordings are pooled into one score, with the escapes counted by defect class."""
import json
from collections import Counter

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


def test_replay_pools_several_recordings_and_counts_escapes_by_class(tmp_path, inspection_line, inspection_camera,
                                                                       truth_detections) -> None:
    from typer.testing import CliRunner

    from edgesight.apps.inspection.cli import app

    recording = truth_recording(inspection_line, inspection_camera, truth_detections, keep_defects=False)
    paths = [tmp_path / "a.npz", tmp_path / "b.npz"]
    for path in paths:
        recording.save(path)
    result = CliRunner().invoke(app, ["replay-verdicts", *map(str, paths), "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [row["recording"] for row in rows] == [*map(str, paths), "all"]
    one, pooled = rows[0], rows[-1]
    assert pooled["recordings"] == 2 and pooled["parts"] == 2 * one["parts"]
    assert pooled["escapes"] == pooled["defective"] == 2 * one["defective"] > 0
    by_class = Counter(name for entry in one["escaped"] for name in set(entry.split(":")[1].split("+")))
    assert pooled["escapes_by_class"] == {name: 2 * n for name, n in by_class.items()}

    text = CliRunner().invoke(app, ["replay-verdicts", *map(str, paths)]).output.splitlines()
    assert len(text) == 3 and text[-1].split()[1:4] == ["all", "2", "recordings"], text
    assert f"escapes {pooled['escapes']}/{pooled['defective']}" in text[-1]


def test_tuning_raises_a_threshold_that_false_positives_cross_and_writes_a_loadable_config(
        tmp_path, inspection_line, inspection_camera, truth_detections) -> None:
    """Every part also shows a faint (0.3) scratch: at the shipped 0.15-style threshold every good part is
    rejected. Tuning on the recording lifts the scratch threshold over 0.3 and no higher than the real defects'
    0.9, so nothing escapes and nothing good is thrown away; `tune-verdicts` writes that as a config that loads."""
    import supervision as sv
    from typer.testing import CliRunner

    from edgesight.apps.inspection.cli import app
    from edgesight.apps.inspection.config import ClassThreshold
    from edgesight.apps.inspection.verdict_study import tune_thresholds

    scratch = CLASS_NAMES.index("scratch")

    def with_faint_scratches(truth, rng):
        found = truth_detections(truth, rng)
        parts = found.xyxy[found.class_id == PART_CLASS_ID]
        centre = (parts[:, :2] + parts[:, 2:]) / 2
        faint = sv.Detections(xyxy=np.hstack([centre - 6, centre + 6]).astype(np.float32),
                              class_id=np.full(len(parts), scratch), confidence=np.full(len(parts), 0.3, np.float32))
        return sv.Detections.merge([found, faint])

    recording = truth_recording(inspection_line, inspection_camera, with_faint_scratches, keep_defects=True)
    base = InspectionConfig()
    base = base.model_copy(update={"verdict": base.verdict.model_copy(
        update={"classes": {name: ClassThreshold(confidence=0.15) for name in base.verdict.classes}})})
    before = replay_verdicts(recording, base)
    assert before.false_rejects == before.parts - before.defective > 0

    verdict = tune_thresholds([recording], base)
    assert 0.3 < verdict.classes["scratch"].confidence <= 0.9
    after = replay_verdicts(recording, base.model_copy(update={"verdict": verdict}))
    assert after.escapes == 0 and after.false_rejects == 0

    recording.save(tmp_path / "rec.npz")
    (tmp_path / "base.yaml").write_text("verdict:\n  classes:\n" + "".join(
        f"    {name}: {{confidence: 0.15}}\n" for name in base.verdict.classes))
    result = CliRunner().invoke(app, ["tune-verdicts", str(tmp_path / "rec.npz"), "-c", str(tmp_path / "base.yaml"),
                                      "-o", str(tmp_path / "tuned.yaml")])
    assert result.exit_code == 0, result.output
    tuned = InspectionConfig.load(tmp_path / "tuned.yaml")
    assert 0.3 < tuned.verdict.classes["scratch"].confidence <= 0.9
    tuned_rows = [line for line in result.output.splitlines() if line.startswith("tuned.yaml")]
    assert tuned_rows and all("escapes 0/" in row and "false rejects 0/" in row for row in tuned_rows), result.output
