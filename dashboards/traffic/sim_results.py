"""Simulation comparisons: the tables `edgesight traffic evaluate --json` writes (one file per scenario), read from
the folder the dashboard was started with. They are small files, not store rows: a run scores a controller on a
SUMO scenario, it is not an event of a site."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from edgesight.apps.traffic.evaluate.table import COLUMNS

RESULT_COLUMNS = ["scenario", "controller", "seeds", "metric", "heading", "mean", "std"]


def load_sim_results(folder: Path) -> tuple[pd.DataFrame, list[str]]:
    """Every controller's mean and standard deviation per metric and scenario, and one line per file that is
    not an evaluation table (so the page can say which and why)."""
    rows, problems = [], []
    for path in sorted(folder.glob("*.json")):
        try:
            table = json.loads(path.read_text())
            for result in table["controllers"]:
                for metric, heading, _ in COLUMNS:
                    rows.append({"scenario": table["scenario"], "controller": result["controller"],
                                 "seeds": len(table["seeds"]), "metric": metric, "heading": heading,
                                 "mean": float(result[metric]["mean"]), "std": float(result[metric]["std"])})
        except (OSError, ValueError, KeyError, TypeError) as error:
            problems.append(f"{path.name}: not an `edgesight traffic evaluate --json` table ({error!r})")
    return pd.DataFrame(rows, columns=RESULT_COLUMNS), problems
