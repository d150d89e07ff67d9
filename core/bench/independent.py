"""N independent pipelines, one process per stream, as a box would run N separate `edgesight detect` commands:
the baseline that cross-stream batching must never fall behind."""
from __future__ import annotations

import multiprocessing as mp
import queue
from pathlib import Path

from ..detect import Detector
from .edgesight_variant import EdgeSightVariant
from .timing import Pass


def _one_pipeline(model: str, video: str, track: bool, threads: int, frames: int, start: mp.Barrier,
                  results: mp.Queue) -> None:
    variant = EdgeSightVariant(Detector(model, threads=threads), Path(video), track=track)
    results.put(variant.stamped(frames, start.wait))


class IndependentPipelines:
    """`run(frames) -> Pass` over all processes together: frames/s from the first to the last result of any."""

    def __init__(self, model: Path, video: Path, *, track: bool, streams: int, threads: int) -> None:
        self.args = (str(model), str(video), track, threads)
        self.streams = streams
        self.name = f"{streams} independent pipelines"

    def run(self, frames: int) -> Pass:
        ctx = mp.get_context("spawn")  # a clean interpreter each, as separate commands would have
        start, results = ctx.Barrier(self.streams), ctx.Queue()
        workers = [ctx.Process(target=_one_pipeline, args=(*self.args, frames, start, results), daemon=True)
                   for _ in range(self.streams)]
        for w in workers:
            w.start()
        outcomes = []
        while len(outcomes) < len(workers):
            try:
                outcomes.append(results.get(timeout=1.0))
            except queue.Empty:
                failed = [w.exitcode for w in workers if w.exitcode not in (None, 0)]
                if failed:  # a dead worker would leave the barrier and this loop waiting for ever
                    for w in workers:
                        w.kill()
                    raise RuntimeError(f"an independent pipeline process failed (exit codes {failed})")
        for w in workers:
            w.join()
        return Pass.merged(outcomes)
