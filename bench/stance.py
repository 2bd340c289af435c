"""Stance classifier (``content.stance``) on the labelled replies, next to a baseline measured in
the same run: accuracy (recall) and precision per kind, and the confusion matrix, for the part the
rules were tuned on and for the held-out part (``tests/content/data/stance_labelled.md`` says how
it was written and kept apart); then throughput in replies per second.

Baseline, "sentiment as stance": a "?" makes a question; otherwise the reply's sentiment
(``content.sentiment.score``, TextBlob's interface) decides — negative → oppose, positive →
support, neutral → other. It is what the project did before stance existed.

Run: python bench/stance.py [--repeat 20]
Goal: ≥ 85% of each kind right on the held-out part.
"""
from __future__ import annotations

import argparse
import csv
import time
from collections import Counter
from pathlib import Path

from content.sentiment import score
from content.stance import KINDS, Stance, Targets, classify

#: the parts of the labelled set, in the order they are shown: ``tune`` (rules are changed only for
#: its failures) and held-out parts (``holdout2``: written after the first held-out part had been
#: seen in reports, before any rule was changed again; ``holdout3``: written before a learned
#: component was tried, so that it is measured once on replies nobody developed against)
SPLITS = ("tune", "held-out", "holdout2", "holdout3")
DATA = Path(__file__).resolve().parents[1] / "tests" / "content" / "data" / "stance_labelled.csv"


def load(path: Path = DATA) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def targets(row: dict[str, str]) -> Targets:
    return Targets(tuple(t for t in row["against"].split(";") if t), tuple(t for t in row["for"].split(";") if t))


def sentiment_as_stance(text: str) -> str:
    if "?" in text:
        return "question"
    return {"negative": "oppose", "positive": "support"}.get(score(text).label, "other")


class Figures:
    def __init__(self, pairs: list[tuple[str, str]]):  # (labelled, predicted)
        self.pairs = pairs
        self.matrix = Counter(pairs)

    def recall(self, kind: str) -> float:
        n = sum(v for (gold, _), v in self.matrix.items() if gold == kind)
        return self.matrix[(kind, kind)] / n if n else 0.0

    def precision(self, kind: str) -> float:
        n = sum(v for (_, got), v in self.matrix.items() if got == kind)
        return self.matrix[(kind, kind)] / n if n else 0.0

    def accuracy(self) -> float:
        return sum(g == p for g, p in self.pairs) / len(self.pairs)


def show(title: str, ours: Figures, base: Figures) -> None:
    print(f"\n== {title} ({len(ours.pairs)} replies)")
    print(f"{'kind':10} {'n':>4}  {'stance recall':>13} {'precision':>9}   {'baseline recall':>15} {'precision':>9}")
    for kind in KINDS:
        n = sum(1 for g, _ in ours.pairs if g == kind)
        print(f"{kind:10} {n:4}  {ours.recall(kind):13.0%} {ours.precision(kind):9.0%}   "
              f"{base.recall(kind):15.0%} {base.precision(kind):9.0%}")
    print(f"{'all':10} {len(ours.pairs):4}  {ours.accuracy():13.0%} {'':9}   {base.accuracy():15.0%}")
    for name, fig in (("stance", ours), ("baseline", base)):
        print(f"\n{name}: rows labelled, columns predicted")
        print(f"{'':10}" + "".join(f"{k:>10}" for k in KINDS))
        for gold in KINDS:
            print(f"{gold:10}" + "".join(f"{fig.matrix[(gold, got)]:10}" for got in KINDS))


def evaluate(rows: list[dict[str, str]]) -> tuple[Figures, Figures, list[tuple[dict[str, str], Stance]]]:
    verdicts = [(row, classify(row["text"], targets(row))) for row in rows]
    ours = Figures([(row["kind"], v.kind) for row, v in verdicts])
    base = Figures([(row["kind"], sentiment_as_stance(row["text"])) for row in rows])
    return ours, base, verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="passes over the set for the throughput figure")
    parser.add_argument("--errors", choices=("tune", "none"), default="tune",
                        help="list the tune replies the classifier gets wrong (default: tune); a held-out "
                             "part's errors are never listed, so no rule is changed for them")
    parser.add_argument("--parts", nargs="+", choices=SPLITS, default=SPLITS,
                        help="the parts to show (default: all; while changing rules, show only tune)")
    args = parser.parse_args()
    rows = load()
    for split in [s for s in args.parts if any(r["split"] == s for r in rows)]:
        part = [r for r in rows if r["split"] == split]
        ours, base, verdicts = evaluate(part)
        show(split, ours, base)
        if args.errors == split:
            wrong = [(r, v) for r, v in verdicts if v.kind != r["kind"]]
            print(f"\n{split}: {len(wrong)} wrong")
            for r, v in wrong:
                print(f"  {r['kind']} → {v.kind}: {r['text']!r} ({v.reason})")
    texts = [(r["text"], targets(r)) for r in rows]
    classify("warm up", Targets())
    score("warm up")
    for name, fn in (("stance classify", lambda t, g: classify(t, g)), ("baseline (sentiment)",
                                                                       lambda t, g: sentiment_as_stance(t))):
        start = time.perf_counter()
        for _ in range(args.repeat):
            for text, tg in texts:
                fn(text, tg)
        elapsed = time.perf_counter() - start
        print(f"\nthroughput, {name}: {args.repeat * len(texts) / elapsed:,.0f} replies/s "
              f"({args.repeat} × {len(texts)} replies in {elapsed:.2f} s; word caches warm after the first pass)")


if __name__ == "__main__":
    main()
