"""`edgesight inspection ...`: render or record the simulated line, judge a folder of images, run the reject
controller, evaluate the whole line end to end."""
from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import cv2
import typer

from .config import InspectionConfig

if TYPE_CHECKING:
    from .verdict_study import VerdictScore

app = typer.Typer(help="Defect inspection on a conveyor: one verdict per part, a reject that fires on time.",
                  no_args_is_help=True, pretty_exceptions_enable=False)

DEFAULT_CONFIG = Path(__file__).parent / "lines" / "sim.yaml"
ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="line config YAML")]

# The simulated line's options, shared by the commands that run it (each keeps its own default).
PartRate = Annotated[float, typer.Option(help="parts entering per second")]
RecordingSeconds = Annotated[float, typer.Option(help="length of the recording")]
CameraFps = Annotated[float, typer.Option(help="camera frame rate")]
DefectShare = Annotated[float, typer.Option(help="fraction of defective parts")]


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(2)


def _load(config: Path) -> InspectionConfig:
    try:
        return InspectionConfig.load(config)
    except ValueError as exc:
        raise _fail(str(exc)) from None


def _model(model: Optional[Path]) -> Path:
    from edgesight.core.models import bundled_model

    try:
        return model or bundled_model("inspection_defects")
    except FileNotFoundError as exc:
        raise _fail(str(exc)) from None


@app.command()
def render(
    out: Annotated[Path, typer.Option("--out", "-o", help="folder for video.mp4, frames.jsonl, parts.json")],
    rate: PartRate = 4.0,
    speed: Annotated[float, typer.Option(help="belt speed, m/s")] = 0.8,
    seconds: RecordingSeconds = 10.0,
    fps: CameraFps = 15.0,
    defect_share: DefectShare = 0.1,
    seed: Annotated[int, typer.Option(help="line seed (parts, defects, belt, lighting)")] = 0,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Record the simulated line: the video and its per-frame and per-part ground truth."""
    from .sim.conveyor import ConveyorSimulator, LineSpec
    from .sim.conveyor_camera import ConveyorCamera
    from .sim.line_source import SimulatedLineSource
    from .sim.recorder import LineRecorder

    cfg = _load(config)
    try:
        line = ConveyorSimulator(LineSpec(rate_hz=rate, belt_speed_mps=speed, diverter_mm=cfg.belt.diverter_mm,
                                          belt_width_mm=cfg.belt.width_mm, defect_share=defect_share, seed=seed))
        camera = ConveyorCamera(line, cfg.camera.width, cfg.camera.height, cfg.camera.px_per_mm, seed=seed)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    source = SimulatedLineSource(camera, fps=fps, seconds=seconds, pace=False)
    recorder = LineRecorder(out, fps, source.size)
    for frame in source:
        recorder.write(frame, *source.truth(frame.seq))
    path = recorder.close(line, cfg.camera.model_dump())
    typer.echo(f"{source.health().frames_read} frames -> {recorder.video_path}, {path}")


@app.command()
def judge(
    source: Annotated[Path, typer.Option("--source", "-s", help="folder of images, one part or surface patch each")],
    model: Annotated[Optional[Path], typer.Option("--model", "-m", help="ONNX defect model")] = None,
    threshold: Annotated[float, typer.Option(help="confidence at which a defect fails the image")] = 0.35,
    split: Annotated[Optional[str], typer.Option(help="only the images of this split of the fixed VOC split "
                                                 "(train/val/test, as `edgesight train neu-det` makes it)")] = None,
    annotations: Annotated[Optional[Path], typer.Option(help="Pascal VOC folder: also score the verdicts")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines, one per image, then a summary")] = False,
) -> None:
    """Per-image verdicts for a folder of still images (for instance the real NEU-DET steel images)."""
    from edgesight.core.detect import Detector, DetectorError
    from edgesight.core.training.voc import IMAGE_SUFFIXES, read_voc, split_of

    from .image_judge import ImageJudge

    if not source.is_dir():
        raise _fail(f"image folder {source}: not found or not a folder")
    try:
        detector = Detector(_model(model), conf=min(threshold, 0.25))
    except DetectorError as exc:
        raise _fail(str(exc)) from None
    judge_ = ImageJudge(detector.names, threshold)
    files = sorted(p for p in source.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if split is not None:
        files = [p for p in files if split_of(p.stem, 0, 0.15, 0.2) == split]
    if not files:
        raise _fail(f"image folder {source}: no {'/'.join(IMAGE_SUFFIXES)} images" + (f" in split {split}" if split else ""))
    correct = scored = 0
    for path in files:
        image = cv2.imread(str(path))
        if image is None:
            typer.secho(f"warning: {path} does not decode; skipped", err=True)
            continue
        verdict = judge_.judge(path.name, detector([image])[0])
        row = verdict.to_dict()
        if annotations is not None and (annotations / f"{path.stem}.xml").is_file():
            truth = sorted({name for name, _ in read_voc(annotations / f"{path.stem}.xml")})
            row["truth"] = truth
            row["worst_class_correct"] = verdict.worst_class in truth
            scored += 1
            correct += bool(row["worst_class_correct"])
        if as_json:
            typer.echo(json.dumps(row))
        else:
            found = ", ".join(f"{d.defect_class} {d.confidence:.2f}" for d in verdict.defects[:3]) or "-"
            typer.echo(f"{path.name:<28} {verdict.verdict:<7} {found}" + (f"   truth: {','.join(row['truth'])}" if "truth" in row else ""))
    if scored:
        summary = {"images": scored, "worst_class_correct": correct, "accuracy": round(correct / scored, 4)}
        typer.echo(json.dumps(summary) if as_json else f"worst class matches the annotation on {correct}/{scored} images")


@app.command()
def controller(
    broker: Annotated[str, typer.Option(help="mqtt://host:port of the site broker")],
    site: Annotated[str, typer.Option(help="site id on the bus")],
    node: Annotated[str, typer.Option(help="this controller's node id")] = "reject1",
    config: ConfigOption = DEFAULT_CONFIG,
    state: Annotated[Path, typer.Option(help="dedup state file (survives restarts)")] = Path("reject-controller.sqlite"),
    actuator: Annotated[str, typer.Option(help="mqtt: diverter commands on edgesight/<site>/inspection/<line>/diverter/"
                                          "command, sent controller.actuation_lead_s (at least 0.25 s) ahead of their due time, for "
                                          "the line side to strike (diverter_link.DiverterCommandListener; `evaluate --diverter mqtt` runs "
                                          "the simulated line over this route); "
                                          "log: dry run, only logs each command")] = "mqtt",
) -> None:
    """The reject controller service: subscribes to the line's verdicts and fires the diverter once per failed part,
    through the actuator chosen (a PLC adapter, Modbus or OPC UA, implements the same DiverterActuator call)."""
    from edgesight.core.bus.config import BusConfig, OutboxConfig

    from .actuator import LoggingActuator
    from .controller_service import ControllerService
    from .diverter_link import MqttDiverterActuator, with_transport_lead

    cfg = _load(config)
    try:
        bus = BusConfig(site_id=site, node_id=node, broker_url=broker,
                        outbox=OutboxConfig(path=state.with_name(f"{state.stem}-outbox.sqlite")))
    except ValueError as exc:
        raise _fail(str(exc).splitlines()[0]) from None
    if actuator not in ("mqtt", "log"):
        raise _fail(f"--actuator {actuator}: choose mqtt or log")

    async def serve() -> None:
        if actuator == "log":
            await ControllerService(cfg, bus, LoggingActuator(), state_path=state).run()
            return
        async with MqttDiverterActuator(bus, cfg.line_id) as diverter:
            await ControllerService(with_transport_lead(cfg), bus, diverter, state_path=state).run()

    logging.getLogger(__name__).info("reject controller for line %s on %s, actuator %s", cfg.line_id, broker, actuator)
    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass


@app.command()
def evaluate(
    rate: PartRate = 4.0,
    seconds: Annotated[float, typer.Option(help="length of the run")] = 60.0,
    speed: Annotated[Optional[float], typer.Option(help="belt speed, m/s (default: the config's)")] = None,
    fps: Annotated[float, typer.Option(help="camera frame rate (the simulated camera renders on the same CPU as "
                                          "the detector: frames beyond what inference keeps up with only steal it "
                                          "time)")] = 8.0,
    defect_share: DefectShare = 0.1,
    seed: Annotated[int, typer.Option(help="line seed")] = 0,
    model: Annotated[Optional[Path], typer.Option("--model", "-m", help="ONNX defect model")] = None,
    broker: Annotated[Optional[str], typer.Option(help="mqtt://host:port (default: a private Mosquitto)")] = None,
    threads: Annotated[int, typer.Option(help="ONNX Runtime threads (0: all cores)")] = 0,
    diverter: Annotated[str, typer.Option(help="direct: the controller calls the simulator's paddle; mqtt: it sends "
                                          "diverter commands over the broker to the line, which strikes them")] = "direct",
    config: ConfigOption = DEFAULT_CONFIG,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Simulator -> camera -> detection -> MQTT -> controller -> diverter, scored against ground truth."""
    from .evaluation import LineEvaluation
    from .sim.conveyor import LineSpec

    cfg = _load(config)
    if speed is not None:
        cfg = cfg.model_copy(update={"belt": cfg.belt.model_copy(update={"speed_mps": speed})})
    try:
        line = LineSpec(rate_hz=rate, belt_speed_mps=cfg.belt.speed_mps, diverter_mm=cfg.belt.diverter_mm,
                        belt_width_mm=cfg.belt.width_mm, defect_share=defect_share, seed=seed)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    if diverter not in ("direct", "mqtt"):
        raise _fail(f"--diverter {diverter}: choose direct or mqtt")
    report = LineEvaluation(cfg, line, _model(model), seconds=seconds, fps=fps, seed=seed, broker_url=broker,
                            threads=threads, diverter_route=diverter).run()
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=1))
        return
    typer.echo(f"line: {rate} parts/s at {cfg.belt.speed_mps} m/s, {seconds:.0f} s, camera {fps} fps")
    typer.echo(f"parts seen      {report.parts_seen} ({report.defective} defective), verdicts {report.verdicts}")
    typer.echo(f"escapes         {report.escapes} ({report.escape_rate:.2%} of defective)")
    typer.echo(f"false rejects   {report.false_rejects} ({report.false_reject_rate:.2%} of good)")
    typer.echo(f"deadline misses {report.deadline_misses}   duplicates ignored {report.duplicates}")
    typer.echo(f"latency capture->actuation command: p50 {report.latency_p50_ms} ms, p99 {report.latency_p99_ms} ms; "
               f"min slack {report.min_slack_ms} ms")
    typer.echo(f"  of which bus (verdict published -> controller): p50 {report.bus_latency_p50_ms} ms, "
               f"p99 {report.bus_latency_p99_ms} ms")
    if report.command_slack_min_ms is not None:
        typer.echo(f"diverter commands over MQTT: closest arrival {report.command_slack_min_ms} ms before due, "
                   f"{report.commands_late} late")
    typer.echo(f"pipeline {report.pipeline_fps} fps, {report.frames} frames, {report.frames_dropped} dropped")


@app.command("record-detections")
def record_detections_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="recording file (.npz)")],
    rate: PartRate = 4.0,
    seconds: RecordingSeconds = 100.0,
    fps: CameraFps = 8.0,
    defect_share: DefectShare = 0.1,
    seed: Annotated[int, typer.Option(help="line seed")] = 0,
    floor: Annotated[float, typer.Option(help="detector confidence floor kept in the recording")] = 0.02,
    model: Annotated[Optional[Path], typer.Option("--model", "-m", help="ONNX defect model")] = None,
    threads: Annotated[int, typer.Option(help="ONNX Runtime threads (0: all cores)")] = 0,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Detect once on every frame of the simulated line (unpaced, no drops), for `replay-verdicts`."""
    from .line_run import line_detector
    from .sim.conveyor import LineSpec
    from .verdict_study import record_detections

    cfg = _load(config)
    try:
        line = LineSpec(rate_hz=rate, belt_speed_mps=cfg.belt.speed_mps, diverter_mm=cfg.belt.diverter_mm,
                        belt_width_mm=cfg.belt.width_mm, defect_share=defect_share, seed=seed)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    recording = record_detections(cfg, line, line_detector(cfg, _model(model), threads, conf=floor), fps=fps,
                                  seconds=seconds)
    recording.save(out)
    typer.echo(f"{len(recording.frame_t)} frames, {len(recording.confidence)} boxes -> {out}")


@app.command("replay-verdicts")
def replay_verdicts_cmd(
    recordings: Annotated[list[Path], typer.Argument(help="recordings made by record-detections")],
    config: Annotated[list[Path], typer.Option("--config", "-c", help="line config(s) to compare")] = [DEFAULT_CONFIG],
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines, one per config and recording, then one per "
                                          "config pooling its recordings (\"recording\": \"all\")")] = False,
) -> None:
    """Escapes and false rejects of each config's tracking and verdict rules over recorded detections; with several
    recordings, each config's pooled score follows, with its escapes counted by defect class."""
    from .verdict_study import DetectionRecording, VerdictScore, replay_verdicts

    loaded = [(path, DetectionRecording.load(path)) for path in recordings]
    for path in config:
        cfg = _load(path)
        pooled = VerdictScore(0, 0, 0, 0, ())
        for rec_path, recording in loaded:
            try:
                score = replay_verdicts(recording, cfg)
            except ValueError as exc:
                raise _fail(f"{path} on {rec_path}: {exc}") from None
            pooled += score
            escaped = [f"{part}:{'+'.join(defects)}" for part, defects in score.escaped]
            row = {"config": str(path), "recording": str(rec_path), "seed": recording.line.seed, "fps": recording.fps,
                   **_score_fields(score), "escaped": escaped}
            if as_json:
                typer.echo(json.dumps(row))
            else:
                typer.echo(f"{path.name:<24} seed {row['seed']:<5} {recording.fps:g} fps  {_score_text(score)}  "
                           f"escaped: {' '.join(escaped) or '-'}")
        if len(loaded) > 1:
            by_class = pooled.escapes_by_class()
            if as_json:
                typer.echo(json.dumps({"config": str(path), "recording": "all", "recordings": len(loaded),
                                       **_score_fields(pooled), "escapes_by_class": by_class}))
            else:
                typer.echo(f"{path.name:<24} all {len(loaded)} recordings  {_score_text(pooled)}  escapes by class: "
                           f"{', '.join(f'{name} {n}' for name, n in by_class.items()) or '-'}")


def _score_fields(score: VerdictScore) -> dict:
    return {"parts": score.parts, "defective": score.defective, "escapes": score.escapes,
            "escape_rate": round(score.escape_rate, 4), "false_rejects": score.false_rejects,
            "false_reject_rate": round(score.false_reject_rate, 4)}


def _score_text(score: VerdictScore) -> str:
    return (f"parts {score.parts:<4} escapes {score.escapes}/{score.defective} ({score.escape_rate:.2%})  "
            f"false rejects {score.false_rejects}/{score.parts - score.defective} ({score.false_reject_rate:.2%})")


@app.command("tune-verdicts")
def tune_verdicts_cmd(
    recordings: Annotated[list[Path], typer.Argument(help="recordings made by record-detections: tune on seeds "
                                                     "you will not report figures on")],
    out: Annotated[Path, typer.Option("--out", "-o", help="line config to write: --config with the tuned "
                                      "thresholds")],
    config: ConfigOption = DEFAULT_CONFIG,
    false_reject_weight: Annotated[float, typer.Option(help="what one false reject costs against one escape, "
                                                       "as rates")] = 1.0,
) -> None:
    """Per-class defect thresholds that minimise escape rate + weight x false-reject rate on recorded detections
    (coordinate descent over 0.04-0.80 in steps of 0.02), written as a copy of --config; prints both configs' scores."""
    import yaml
    from tqdm import tqdm

    from .verdict_study import DetectionRecording, ThresholdSearch, VerdictScore, replay_verdicts, tune_thresholds

    cfg = _load(config)
    loaded = [DetectionRecording.load(path) for path in recordings]
    search = ThresholdSearch(false_reject_weight=false_reject_weight)
    with tqdm(desc="thresholds tried", unit=" rules", leave=False) as bar:
        try:
            verdict = tune_thresholds(loaded, cfg, search, on_step=bar.update)
        except ValueError as exc:
            raise _fail(str(exc)) from None
    raw = yaml.safe_load(config.read_text())
    for name, rule in verdict.classes.items():
        raw.setdefault("verdict", {}).setdefault("classes", {}).setdefault(name, {})["confidence"] = rule.confidence
    tuned = cfg.model_copy(update={"verdict": verdict})
    header = (f"# {config.name} with per-class thresholds from `edgesight inspection tune-verdicts` on "
              f"{', '.join(p.name for p in recordings)} (false-reject weight {false_reject_weight:g}).\n")
    out.write_text(header + yaml.safe_dump(raw, sort_keys=False))
    _load(out)  # what was written must load
    for label, rules in ((config.name, cfg), (out.name, tuned)):
        pooled = VerdictScore(0, 0, 0, 0, ())
        for path, recording in zip(recordings, loaded):
            score = replay_verdicts(recording, rules)
            pooled += score
            typer.echo(f"{label:<24} {path.name:<20} {_score_text(score)}")
        if len(loaded) > 1:
            typer.echo(f"{label:<24} {'all ' + str(len(loaded)):<20} {_score_text(pooled)}")
    typer.echo("thresholds: " + ", ".join(f"{n} {r.confidence:g}" for n, r in verdict.classes.items()) + f" -> {out}")
