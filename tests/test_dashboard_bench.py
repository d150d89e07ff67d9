"""`edgesight bench dashboard` in its short mode: fills a small SQLite store with the synthetic site, times every
page, and tops the store up when asked for more events (the full 1,000,000-event figures are in the README)."""
import json
import subprocess
import sys

from edgesight.dashboards.page_list import PAGES


def bench(db: str, events: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "edgesight.core.cli", "bench", "dashboard", "--db", db,
                           "--events", str(events), "--repeat", "1", "--json"],
                          capture_output=True, text=True, timeout=300)


def run_bench(db: str, events: int) -> dict:
    done = bench(db, events)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_bench_times_every_page_and_reuses_a_full_store(tmp_path):
    db = f"sqlite:///{tmp_path / 'bench.sqlite'}"
    first = run_bench(db, 3000)
    assert first["events"] >= 3000
    assert [p["page"] for p in first["pages"]] == [p.title for p in PAGES]
    assert all(p["queries"] > 0 and p["cpu_median_s"] >= 0 for p in first["pages"])

    again = run_bench(db, 3000)  # a store that already holds enough is reused, not refilled
    assert again["fill_s"] == 0 and again["events"] == first["events"]

    # Topping up adds the site from the newest stored event to now: seconds later there is next to nothing to add.
    short = bench(db, first["events"] + 100_000)
    assert short.returncode != 0 and "give an empty store" in short.stderr
