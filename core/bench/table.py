"""The bench report as the fixed-width table `edgesight bench pipeline` prints."""
from __future__ import annotations

from .pipeline_bench import BenchReport

RATIO_LABELS = {
    "edgesight_fps_x_ultralytics": "EdgeSight frames/s / Ultralytics frames/s",
    "fitted_fps_x_ultralytics": "EdgeSight with the input fitted to the video, frames/s / Ultralytics frames/s",
    "batched_fps_x_independent": "batched streams frames/s / independent pipelines frames/s",
    "batched_cpu_x_independent": "batched streams CPU per frame / independent pipelines CPU per frame",
    "batched_fps_x_one_stream": "batched streams frames/s / one stream frames/s",
}


def format_report(report: BenchReport) -> str:
    s, m, v = report.settings, report.machine, report.media
    threads = s["threads"] or "ONNX Runtime default"
    lines = [
        f"model {s['model']}, video {s['video']}, {s['streams']} stream(s), tracking {'on' if s['track'] else 'off'}",
        f"video {v['codec']} {v['width']}x{v['height']}: decoding costs {v['decode_cpu_ms']:.1f} CPU ms a frame, "
        "which the floor leaves out and every other row pays",
        f"{m['cores']} cores ({m['cpu']}), onnxruntime {m['onnxruntime']} {m['provider']}, threads {threads}; "
        f"{s['rounds']} interleaved rounds x {s['frames']} frames; ratios are medians of per-round ratios",
        f"{'':34}{'frames/s':>9}{'ms/frame':>10}{'x floor':>9}{'p50 ms':>9}{'x floor':>9}{'p99 ms':>9}{'x floor':>9}"
        f"{'CPU ms/frame':>14}{'x floor':>9}",
    ]
    for r in report.rows:
        lines.append(f"{r.name:34}{r.fps:>9.1f}{r.ms_per_frame:>10.1f}{r.cost_x_floor:>9.2f}{r.p50_ms:>9.1f}"
                     f"{r.p50_x_floor:>9.2f}{r.p99_ms:>9.1f}{r.p99_x_floor:>9.2f}{r.cpu_ms_per_frame:>14.1f}"
                     f"{r.cpu_x_floor:>9.2f}")
    for key, value in report.ratios.items():
        lines.append(f"{RATIO_LABELS[key]}: {value:.2f}")
    for name, reason in report.skipped.items():
        lines.append(f"{name}: not measured, {reason}")
    lines.append("latency: floor = one session.run; Ultralytics = one decode-to-result loop; EdgeSight = capture to "
                 "emit, including the wait for the model while it runs the frame before. CPU: all threads (and "
                 "processes) of a variant, so it does not depend on what else shares the machine")
    return "\n".join(lines)
