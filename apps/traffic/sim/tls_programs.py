"""SUMO's adaptive signal programs (actuated, delay_based) for a network, as additional files.

netconvert builds a network once per controller type; the tlLogic of each build is kept, under its own
programID, in `<name>.tls_<type>.add.xml`. Loaded after the net, such a program becomes the active one, so
one .net.xml serves every SUMO controller type.
"""
from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path
from xml.etree import ElementTree

from edgesight.apps.traffic.sim.sumo_home import sumo_binary

ADAPTIVE_TYPES: tuple[str, ...] = ("actuated", "delay_based")


def run_netconvert(args: Sequence[str], folder: Path) -> None:
    """netconvert with `args`, in `folder` (relative file names keep build paths out of the outputs)."""
    result = subprocess.run([sumo_binary("netconvert"), *args], capture_output=True, text=True, cwd=folder)
    if result.returncode != 0:
        raise RuntimeError(f"netconvert failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}")


def write_tls_programs(inputs: Sequence[str], folder: Path, name: str) -> dict[str, Path]:
    """Build the network described by netconvert `inputs` once per adaptive type and write each type's
    programs to `folder/<name>.tls_<type>.add.xml`; returns programID -> file."""
    written = {}
    for tls_type in ADAPTIVE_TYPES:
        variant = f".{name}.{tls_type}.net.xml"
        run_netconvert([*inputs, "--tls.default-type", tls_type, "--output-file", variant], folder)
        path = folder / f"{name}.tls_{tls_type}.add.xml"
        path.write_text(_tls_program_additional(folder / variant, tls_type))
        (folder / variant).unlink()
        written[tls_type] = path
    return written


def _tls_program_additional(net_file: Path, program_id: str) -> str:
    rows = []
    for tl_logic in ElementTree.parse(net_file).getroot().iter("tlLogic"):
        tl_logic.set("programID", program_id)
        ElementTree.indent(tl_logic, space="    ", level=1)
        rows.append("    " + ElementTree.tostring(tl_logic, encoding="unicode").strip())
    if not rows:
        raise ValueError(f"network {net_file.name}: has no traffic lights, so there is no signal program to build")
    return "<additional>\n" + "\n".join(rows) + "\n</additional>\n"
