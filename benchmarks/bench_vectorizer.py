"""SequenceVectorizer throughput vs scikit-learn's CountVectorizer (documents/s).

Both vectorize the same texts (MR + SUBJ sentences, repeated to ``--copies``
times the corpus) with the same tokenizer (skattn's default token pattern, so
that both split the documents into exactly the same tokens), and the default
``CountVectorizer`` pattern as a second reference. ``fit_transform`` and
``transform`` are timed separately; each figure is the median of ``--repeat``
rounds, interleaved across the vectorizers, after one warm-up fit. No torch is involved.

Run from the repository root::

    python benchmarks/bench_vectorizer.py            # full run, writes benchmarks/results/
    python benchmarks/bench_vectorizer.py --quick    # smoke run, nothing written
"""

import argparse
import os
import statistics

import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer

from _common import DATA, add_common_args, median_time, set_threads, write
from skattn.feature_extraction import SequenceVectorizer

PATTERN = SequenceVectorizer().token_pattern


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(parser)
    parser.add_argument("--copies", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    set_threads(args.threads)  # no torch work here; keeps the reported setting uniform
    texts = pd.concat(
        [pd.read_csv(DATA / f)["text"] for f in ("mr_sentence_polarity.csv", "subjectivity.csv")]
    ).tolist()
    copies, repeat = (1, 2) if args.quick else (args.copies, args.repeat)
    texts = texts * copies
    n = len(texts)
    print(f"{n} documents, load average {os.getloadavg()[0]:.2f}")

    vectorizers = {
        "SequenceVectorizer (max_len=256)": lambda: SequenceVectorizer(),
        "CountVectorizer (same token pattern)": lambda: CountVectorizer(token_pattern=PATTERN),
        "CountVectorizer (default pattern)": lambda: CountVectorizer(),
    }
    # Interleaved: every round times each vectorizer once, so that a burst of
    # load from other jobs hits all of them alike; the median is over rounds.
    fitted = {name: make().fit(texts) for name, make in vectorizers.items()}  # warm-up
    times = {name: {"fit_transform": [], "transform": []} for name in vectorizers}
    for _ in range(repeat):
        for name, make in vectorizers.items():
            times[name]["fit_transform"].append(median_time(
                lambda: make().fit_transform(texts), repeat=1, warmup=0))
            times[name]["transform"].append(median_time(
                lambda: fitted[name].transform(texts), repeat=1, warmup=0))
    rows = []
    for name in vectorizers:
        fit_s = statistics.median(times[name]["fit_transform"])
        transform_s = statistics.median(times[name]["transform"])
        rows.append({
            "vectorizer": name,
            "fit_transform (docs/s)": round(n / fit_s),
            "transform (docs/s)": round(n / transform_s),
            "fit_transform (s)": round(fit_s, 3),
            "transform (s)": round(transform_s, 3),
        })
        print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    ref = table.iloc[1]
    for step in ("fit_transform", "transform"):
        table[f"{step} vs CountVectorizer (same pattern)"] = (
            table[f"{step} (docs/s)"] / ref[f"{step} (docs/s)"]
        ).round(2)
    notes = (
        f"{n} documents (mr_sentence_polarity.csv + subjectivity.csv, x{copies}); "
        f"median of {repeat} interleaved rounds after one warm-up fit. SequenceVectorizer "
        "outputs a dense "
        "(n, 256) int64 array of ids in token order; CountVectorizer a sparse bag-of-words "
        "matrix."
    )
    write("vectorizer", table, "SequenceVectorizer vs CountVectorizer", notes,
          "python benchmarks/bench_vectorizer.py", not (args.quick or args.no_write))


if __name__ == "__main__":
    main()
