"""Where the SUMO binaries live: the eclipse-sumo wheel ships them inside the `sumo` package, so the venv's
interpreter finds them without SUMO_HOME or PATH being set."""
from __future__ import annotations

import os
from pathlib import Path


def sumo_binary(name: str) -> str:
    """Path of a SUMO executable (`sumo`, `sumo-gui`, `netconvert`, ...) from the installed eclipse-sumo wheel,
    falling back to $SUMO_HOME/bin for a system install."""
    try:
        import sumo

        home = Path(sumo.SUMO_HOME)
    except ImportError:
        if "SUMO_HOME" not in os.environ:
            raise RuntimeError(
                f"SUMO binary {name!r}: SUMO is not installed; run `pip install eclipse-sumo` or set SUMO_HOME"
            ) from None
        home = Path(os.environ["SUMO_HOME"])
    path = home / "bin" / name
    if not path.is_file():
        raise RuntimeError(f"SUMO binary {name!r}: not found at {path}; reinstall eclipse-sumo or fix SUMO_HOME")
    return str(path)
