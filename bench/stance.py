"""Stance classifiers on the labelled replies — the hand-written rules (``content.stance``) and
the learned lexicon with the rules' strong questions in front (``content.stance_learned``) —
next to a baseline measured in the same run: accuracy (recall) and precision per kind, and the confusion matrix, for the part the
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
from content.stance import KINDS, Stance, Targets, classify, classify_by_rules

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


CLASSIFIERS = {
    "learned (default)": lambda text, tg: classify(text, tg).kind,
    "rules alone": lambda text, tg: classify_by_rules(text, tg).kind,
    "baseline": lambda text, tg: sentiment_as_stance(text),
}


def show(title: str, figures: dict[str, Figures]) -> None:
    n_all = len(next(iter(figures.values())).pairs)
    print(f"\n== {title} ({n_all} replies): recall / precision per kind")
    print(f"{'kind':10} {'n':>4}" + "".join(f"  {name:>17}" for name in figures))
    for kind in KINDS:
        n = sum(1 for g, _ in next(iter(figures.values())).pairs if g == kind)
        print(f"{kind:10} {n:4}" + "".join(f"  {fig.recall(kind):8.0%} /{fig.precision(kind):6.0%}"
                                          for fig in figures.values()))
    print(f"{'all':10} {n_all:4}" + "".join(f"  {fig.accuracy():8.0%}        " for fig in figures.values()))
    for name, fig in figures.items():
        print(f"\n{name}: rows labelled, columns predicted")
        print(f"{'':10}" + "".join(f"{k:>10}" for k in KINDS))
        for gold in KINDS:
            print(f"{gold:10}" + "".join(f"{fig.matrix[(gold, got)]:10}" for got in KINDS))


def evaluate(rows: list[dict[str, str]]) -> tuple[dict[str, Figures], list[tuple[dict[str, str], Stance]]]:
    verdicts = [(row, classify(row["text"], targets(row))) for row in rows]
    figures = {name: Figures([(row["kind"], fn(row["text"], targets(row))) for row in rows])
               for name, fn in CLASSIFIERS.items()}
    return figures, verdicts


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
        figures, verdicts = evaluate(part)
        show(split, figures)
        if args.errors == split:
            wrong = [(r, v) for r, v in verdicts if v.kind != r["kind"]]
            print(f"\n{split}: {len(wrong)} wrong")
            for r, v in wrong:
                print(f"  {r['kind']} → {v.kind}: {r['text']!r} ({v.reason})")
    texts = [(r["text"], targets(r)) for r in rows]
    for name, fn in CLASSIFIERS.items():
        fn("warm up", Targets())
        start = time.perf_counter()
        for _ in range(args.repeat):
            for text, tg in texts:
                fn(text, tg)
        elapsed = time.perf_counter() - start
        print(f"\nthroughput, {name}: {args.repeat * len(texts) / elapsed:,.0f} replies/s "
              f"({args.repeat} × {len(texts)} replies in {elapsed:.2f} s; word caches warm after the first pass)")


if __name__ == "__main__":
    main()
