"""Offline study of the verdict rules: detect once, judge many times.

`record_detections` renders the simulated line unpaced (every shutter time, no drops), runs the detector on each
frame at a low confidence floor and keeps the boxes with the frame's ground truth. `replay_verdicts` runs the part
tracker and the verdict rules of a line config over such a recording and scores each verdict against the part the
diverter would have hit (same 40 mm window as the simulated diverter). Detection is the expensive step on the
edge box; keeping it out of the loop lets thresholds be compared on hundreds of parts per seed in seconds, and the
tuning seed kept apart from the seeds the figures are reported on.

What it leaves out on purpose: frame drops and deadlines (the live `evaluate` measures those)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import supervision as sv

from edgesight.core.detect import Detector
from edgesight.core.frame import Frame

from .config import InspectionConfig, VerdictConfig
from .part_tracker import PartTracker
from .sim.conveyor import MAX_PART_EXTENT_MM, ConveyorSimulator, LineSpec
from .sim.conveyor_camera import ConveyorCamera
from .sim.line_source import SimulatedLineSource
from .verdict import VerdictAggregator

DIVERTER_WINDOW_MM = 40.0  # as sim.diverter.SimulatedDiverter


@dataclass(frozen=True)
class DetectionRecording:
    """Per frame: simulation time and the detector's boxes (frame pixels), class ids and confidences."""
    line: LineSpec
    fps: float
    seconds: float
    floor: float  # detector confidence floor the boxes were kept at
    names: tuple[str, ...]
    frame_t: np.ndarray  # (F,)
    frame_of: np.ndarray  # (D,) frame index of each box
    xyxy: np.ndarray  # (D, 4)
    class_id: np.ndarray  # (D,)
    confidence: np.ndarray  # (D,)

    def save(self, path: Path) -> None:
        line = self.line
        np.savez_compressed(path, rate_hz=line.rate_hz, belt_speed_mps=line.belt_speed_mps,
                            diverter_mm=line.diverter_mm, belt_width_mm=line.belt_width_mm,
                            defect_share=line.defect_share, seed=line.seed, fps=self.fps, seconds=self.seconds,
                            floor=self.floor, names=np.array(self.names), frame_t=self.frame_t,
                            frame_of=self.frame_of, xyxy=self.xyxy, class_id=self.class_id, confidence=self.confidence)

    @classmethod
    def load(cls, path: Path) -> "DetectionRecording":
        z = np.load(path)
        line = LineSpec(rate_hz=float(z["rate_hz"]), belt_speed_mps=float(z["belt_speed_mps"]),
                        diverter_mm=float(z["diverter_mm"]), belt_width_mm=float(z["belt_width_mm"]),
                        defect_share=float(z["defect_share"]), seed=int(z["seed"]))
        return cls(line, float(z["fps"]), float(z["seconds"]), float(z["floor"]), tuple(str(n) for n in z["names"]),
                   z["frame_t"], z["frame_of"], z["xyxy"], z["class_id"], z["confidence"])

    def frames(self, floor: float) -> Iterator[tuple[int, float, sv.Detections]]:
        """(frame index, simulation time, detections at or above `floor`) in frame order."""
        keep = self.confidence >= floor
        order = np.argsort(self.frame_of[keep], kind="stable")
        of, xyxy = self.frame_of[keep][order], self.xyxy[keep][order]
        cls, conf = self.class_id[keep][order], self.confidence[keep][order]
        bounds = np.searchsorted(of, np.arange(len(self.frame_t) + 1))
        for i, t in enumerate(self.frame_t):
            s = slice(bounds[i], bounds[i + 1])
            yield i, float(t), sv.Detections(xyxy=xyxy[s], class_id=cls[s], confidence=conf[s])


def record_detections(config: InspectionConfig, line: LineSpec, detector: Detector, *, fps: float,
                      seconds: float) -> DetectionRecording:
    camera = ConveyorCamera(ConveyorSimulator(line), config.camera.width, config.camera.height,
                            config.camera.px_per_mm, seed=line.seed)
    source = SimulatedLineSource(camera, fps=fps, seconds=seconds, pace=False)
    times, of, boxes, classes, confs = [], [], [], [], []
    for frame in source:
        found = detector([frame.image])[0]
        of.append(np.full(len(found), len(times), np.int32))
        times.append(source.truth(frame.seq)[0])
        boxes.append(found.xyxy.astype(np.float32))
        classes.append(found.class_id.astype(np.int16))
        confs.append(found.confidence.astype(np.float32))
    return DetectionRecording(line, fps, seconds, detector.conf, tuple(detector.names), np.array(times),
                              np.concatenate(of), np.vstack(boxes), np.concatenate(classes), np.concatenate(confs))


@dataclass(frozen=True)
class VerdictScore:
    parts: int  # scored: crossed the whole view during the recording
    defective: int
    escapes: int
    false_rejects: int
    escaped: tuple[tuple[int, tuple[str, ...]], ...]  # (part index, its true defects) per escape

    @property
    def escape_rate(self) -> float:
        return self.escapes / self.defective if self.defective else 0.0

    @property
    def false_reject_rate(self) -> float:
        good = self.parts - self.defective
        return self.false_rejects / good if good else 0.0

    def escapes_by_class(self) -> dict[str, int]:
        """Escaped parts carrying each defect class, most first: where a better detector would pay off."""
        counts = Counter(name for _, defects in self.escaped for name in set(defects))
        return dict(counts.most_common())

    def __add__(self, other: VerdictScore) -> VerdictScore:
        """Two recordings' scores pooled (part indices are each recording's own)."""
        return VerdictScore(self.parts + other.parts, self.defective + other.defective, self.escapes + other.escapes,
                            self.false_rejects + other.false_rejects, self.escaped + other.escaped)


class RecordingJudge:
    """One recording's parts, tracked once (at `floor`), then judged under any verdict rules: the tracker sees the
    part boxes and hangs every defect box at or above the floor on its part, whatever the thresholds, so only the
    judging depends on them. Scored like the live evaluation: a reject diverts the part at its belt position."""

    def __init__(self, recording: DetectionRecording, config: InspectionConfig, floor: float) -> None:
        if floor < recording.floor - 1e-9:
            raise ValueError(f"config thresholds need boxes down to {floor:.3f}; the recording kept "
                             f"{recording.floor:.3f} up")
        cam = config.camera
        tracker = PartTracker(recording.names, config.tracking, frame_size=(cam.width, cam.height),
                              speed_px_s=recording.line.speed_mm_s * cam.px_per_mm,
                              crop_margin_px=config.verdict.crop_margin_px)
        blank = np.zeros((cam.height, cam.width, 3), np.uint8)  # crops are not scored
        self.tracks = [track for i, t, found in recording.frames(floor)
                       for track in tracker.update(Frame("study", i, blank, t, t), found)] + tracker.flush()
        self.config = config
        self.simulator = ConveyorSimulator(recording.line)
        reach = cam.width / 2 / cam.px_per_mm + MAX_PART_EXTENT_MM / 2
        self.scored = [p for p in self.simulator.parts_passed(reach, 0.0, recording.seconds) if p.time_at(-reach) >= 0.0]

    def score(self, verdict: VerdictConfig) -> VerdictScore:
        aggregator = VerdictAggregator(verdict, self.config.camera, self.config.line_id, run_id="study")
        diverted = set()
        for track in self.tracks:
            r = aggregator.judge(track)
            if r.verdict == "reject":
                near = self.simulator.parts_within(r.capture_wall, r.belt_position_mm - DIVERTER_WINDOW_MM,
                                                   r.belt_position_mm + DIVERTER_WINDOW_MM)
                diverted |= {p.spec.part_id for p in near[:1]}
        bad = [p for p in self.scored if p.spec.defective]
        escaped = tuple((p.spec.part_id, p.spec.defects) for p in bad if p.spec.part_id not in diverted)
        return VerdictScore(len(self.scored), len(bad), len(escaped),
                            sum(p.spec.part_id in diverted for p in self.scored if not p.spec.defective), escaped)


def replay_verdicts(recording: DetectionRecording, config: InspectionConfig) -> VerdictScore:
    """The tracker and verdict rules of `config` over the recording (detections filtered to the live line's floor,
    line_run.line_detector), scored like the live evaluation."""
    return RecordingJudge(recording, config, config.verdict.lowest_confidence).score(config.verdict)


@dataclass(frozen=True)
class ThresholdSearch:
    """Coordinate descent over each defect class's single-frame `confidence`: one class at a time takes the grid
    value that lowers escape rate + `false_reject_weight` x false-reject rate (pooled over the recordings) most,
    round after round until a round changes nothing. Repeat rules and frame counts stay as configured."""
    grid: tuple[float, ...] = tuple(round(0.02 * k, 2) for k in range(2, 41))  # 0.04 .. 0.80
    false_reject_weight: float = 1.0
    max_rounds: int = 4

    def cost(self, scores: Sequence[VerdictScore]) -> float:
        defective = sum(s.defective for s in scores)
        good = sum(s.parts - s.defective for s in scores)
        return (sum(s.escapes for s in scores) / max(defective, 1)
                + self.false_reject_weight * sum(s.false_rejects for s in scores) / max(good, 1))


def tune_thresholds(recordings: Sequence[DetectionRecording], config: InspectionConfig,
                    search: ThresholdSearch = ThresholdSearch(),
                    on_step: Callable[[], None] | None = None) -> VerdictConfig:
    """Per-class thresholds for `config`'s line that `search` finds best on `recordings` (tune on seeds you do not
    report on). `on_step` is called after each candidate is judged (a progress bar)."""
    floor = max(min(min(search.grid), config.verdict.lowest_confidence), max(r.floor for r in recordings))
    judges = [RecordingJudge(r, config, floor) for r in recordings]
    best = config.verdict
    best_cost = search.cost([j.score(best) for j in judges])
    for _ in range(search.max_rounds):
        changed = False
        for name, rule in best.classes.items():
            for value in search.grid:
                if value == rule.confidence or value < floor or (
                        rule.repeat_confidence is not None and value < rule.repeat_confidence):
                    continue
                classes = {**best.classes, name: rule.model_copy(update={"confidence": value})}
                candidate = best.model_copy(update={"classes": classes})
                cost = search.cost([j.score(candidate) for j in judges])
                if on_step is not None:
                    on_step()
                if cost < best_cost - 1e-12:
                    best, best_cost, changed = candidate, cost, True
        if not changed:
            break
    return best
