"""Helpers shared by the benchmark scripts: machine description, timing, output.

Not part of the skattn package; imported by the ``bench_*.py`` scripts next to it.
"""

import datetime
import os
import platform
import statistics
import subprocess
import time
from pathlib import Path

import sklearn
import torch

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results"
START_LOAD = os.getloadavg()


def cpu_model():
    """The CPU model name as ``lscpu`` reports it (``platform`` as a fallback)."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return platform.processor() or platform.machine()
    for line in out.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


def machine():
    """One line describing where and when the figures were taken."""
    start = ", ".join(f"{x:.2f}" for x in START_LOAD)
    end = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()}-core CPU ({cpu_model()}), no GPU; torch {torch.__version__} "
        f"with {torch.get_num_threads()} thread(s), scikit-learn {sklearn.__version__}, "
        f"Python {platform.python_version()}; load average (1, 5, 15 min) {start} at the "
        f"start, {end} at the end; "
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC"
    )


def median_time(fn, repeat=5, warmup=1):
    """Median wall time of ``fn()`` over ``repeat`` calls after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def timed_fit_predict(model, X_train, y_train, X_test):
    """Fit ``model``, then predict ``X_test``: (predictions, fit seconds, predict seconds)."""
    start = time.perf_counter()
    model.fit(X_train, y_train)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    predicted = model.predict(X_test)
    return predicted, fit_s, time.perf_counter() - start


def set_threads(threads):
    """Use ``threads`` torch CPU threads (None: leave torch's default)."""
    if threads:
        torch.set_num_threads(threads)


def add_common_args(parser, default_threads=1):
    parser.add_argument("--quick", action="store_true",
                        help="small smoke run; nothing is written")
    parser.add_argument("--threads", type=int, default=default_threads,
                        help="torch CPU threads (default: %(default)s; 0 keeps torch's default)")
    parser.add_argument("--no-write", action="store_true", help="only print the tables")


def write(name, table, title, notes, command, write_files=True):
    """Print the Markdown table; write ``results/<name>.md`` and ``.csv``.

    ``table`` is a pandas DataFrame, already rounded for display in the
    Markdown; the CSV gets the same numbers.
    """
    md_table = table.to_markdown(index=False)
    print()
    print(md_table)
    if not write_files:
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    text = f"# {title}\n\nMeasured with `{command}` on a {machine()}.\n\n{md_table}\n"
    if notes:
        text += "\n" + notes.strip() + "\n"
    (RESULTS / f"{name}.md").write_text(text)
    table.to_csv(RESULTS / f"{name}.csv", index=False)
    print(f"\nWritten to {RESULTS / name}.md and .csv")
