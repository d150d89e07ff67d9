"""Stopping a command with SIGTERM (systemd, `docker stop`, `kill`) the way Ctrl-C stops it.

Python's default for SIGTERM ends the process on the spot. An evaluation's private Mosquitto and the worker
processes that run its simulations would run on as orphans, and temporary folders would stay behind. Raised as
SystemExit instead, SIGTERM unwinds every `with` and `finally` of the main thread, as KeyboardInterrupt does.
A forked child inherits the handler but not the request: unless it asks to unwind itself (the workers of
`worker_processes` do), SIGTERM ends it on the spot, as Python's default would (the demo's embedded broker keeps
nothing to save, and amqtt would log its cancelled tasks as errors)."""
from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from types import FrameType

SIGTERM_EXIT_CODE = 128 + signal.SIGTERM  # what a shell reports for a process ended by SIGTERM


_unwinding_pid: int | None = None  # the process that asked; its forked children inherit the handler, not this


def unwind_on_sigterm() -> None:
    """From now on SIGTERM raises SystemExit(143) in this process's main thread (the only thread Python runs
    signal handlers in). Commands that run an asyncio loop may still add their own handler for the loop's life."""
    global _unwinding_pid
    _unwinding_pid = os.getpid()
    signal.signal(signal.SIGTERM, _on_sigterm)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    if os.getpid() != _unwinding_pid:  # a forked child that did not ask: end as the default would
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    raise SystemExit(128 + signum)


@contextmanager
def worker_processes(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A process pool whose workers unwind on SIGTERM as well. If the block ends by an exception, such as the
    parent's own SIGTERM, the workers are sent SIGTERM at once, so the runs in progress stop, each closing its
    simulation and broker, rather than the pool waiting for them to finish or leaving them running as orphans.
    (multiprocessing.Pool would terminate them too, but it waits forever for a task whose worker died; this pool
    reports it as BrokenProcessPool.)"""
    pool = ProcessPoolExecutor(max_workers=workers, initializer=unwind_on_sigterm)
    try:
        yield pool
    except BaseException:
        if hasattr(pool, "terminate_workers"):  # Python 3.14+
            pool.terminate_workers()
        else:
            for process in list((pool._processes or {}).values()):
                process.terminate()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
