"""Stance classifiers on the labelled replies — the hand-written rules (``content.stance``) and
the learned lexicon (``content.stance_learned``) — next to a baseline measured in the same run:
recall and precision per kind and the confusion matrix for

- the training rows (``tests/content/data/stance_labelled.csv`` and the former held-out parts
  ``stance_holdout4.csv`` … ``stance_holdout11.csv``, read by ``tools/train_stance.py``'s
  ``training_rows``, which refuses the held-out parts): the learned lexicon's *fit*, not an
  estimate, since it was trained on them;
- k-fold cross-validation of the learned lexicon on the training rows (``tools/train_stance.py``'s
  ``folds``: trained on k-1 folds, measured on the k-th): the honest estimate while developing,
  also for the rows no rule was written on alone and for holdout4's … holdout11's rows, each alone
  (each written by someone who never saw the classifier: the most realistic rows there are);
- each held-out part (``tools/train_stance.py``'s ``HELD_OUT``: ``holdout12`` and ``holdout13``, in
  ``tests/content/data/stance_holdout12.csv`` and ``…13.csv``) when its file is there: written by
  someone who never saw the classifier; only its aggregate figures and confusion matrix are
  printed, never its replies, so that nothing is changed for them.

Then throughput in replies per second.

Baseline, "sentiment as stance": a "?" makes a question; otherwise the reply's sentiment
(``content.sentiment.score``, TextBlob's interface) decides — negative → oppose, positive →
support, neutral → other. It is what the project did before stance existed.

Run: python bench/stance.py [--repeat 20] [--folds 5] [--errors training|none]
Goal: ≥ 85% of each kind right on each held-out part.
"""
from __future__ import annotations

import argparse
import csv
import importlib.util
import time
from collections import Counter
from pathlib import Path
from types import ModuleType

from content.sentiment import score
from content.stance import KINDS, Stance, Targets, classify, classify_by_rules

ROOT = Path(__file__).resolve().parents[1]
#: the rows no rule was written on, whose cross-validation figures the bench prints apart
RULES_WRITTEN_ON = "tune"
#: the former held-out parts, each written by someone who never saw the classifier
AUTHOR_INDEPENDENT = ("holdout4", "holdout5", "holdout6", "holdout7", "holdout8", "holdout9", "holdout10", "holdout11")


def load(path: Path) -> list[dict[str, str]]:
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


def trainer() -> ModuleType:
    """``tools/train_stance.py`` (not a package), for its cross-validation."""
    spec = importlib.util.spec_from_file_location("train_stance", ROOT / "tools" / "train_stance.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cross_validation(train_stance: ModuleType, rows: list[dict[str, str]], k: int) -> None:
    """The learned lexicon, trained on k-1 folds and measured on the k-th, next to the rules alone
    and the baseline on the same rows."""
    start = time.perf_counter()
    pairs = train_stance.folds(rows, k=k)[train_stance.SHIPPED]
    elapsed = time.perf_counter() - start
    # folds() lists the test rows fold by fold; the other classifiers' pairs in the same order
    ordered = [r for fold in range(k) for i, r in enumerate(rows) if i % k == fold]
    figures = {"learned (default)": Figures(pairs)}
    figures.update({name: Figures([(r["kind"], fn(r["text"], targets(r))) for r in ordered])
                    for name, fn in list(CLASSIFIERS.items())[1:]})
    show(f"{k}-fold cross-validation on the training rows, learned lexicon retrained per fold "
         f"(fold = position mod {k}; {elapsed:.0f} s)", figures)
    # the rules and their lexicon were written on the tune part, which flatters them and the
    # model's features drawn from them there; on the other parts they are as good as on new replies
    fresh = [n for n, r in enumerate(ordered) if r["split"] != RULES_WRITTEN_ON]
    parts = sorted({ordered[n]["split"] for n in fresh})
    show(f"the same cross-validation, only the rows the rules were not written on ({', '.join(parts)})",
         {name: Figures([fig.pairs[n] for n in fresh]) for name, fig in figures.items()})
    # the former held-out parts were written by someone who never saw the classifier: the best
    # estimate of new replies
    for part in AUTHOR_INDEPENDENT:
        independent = [n for n, r in enumerate(ordered) if r["split"] == part]
        if independent:
            show(f"the same cross-validation, only {part}'s rows (another author, never seen by the rules)",
                 {name: Figures([fig.pairs[n] for n in independent]) for name, fig in figures.items()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="passes over the set for the throughput figure")
    parser.add_argument("--folds", type=int, default=5,
                        help="folds of the cross-validation on the training rows (0: skip it; it retrains k times)")
    parser.add_argument("--errors", choices=("training", "none"), default="none",
                        help="list the training replies the classifier gets wrong; the held-out part's "
                             "replies are never listed, so nothing is changed for them")
    args = parser.parse_args()
    train_stance = trainer()
    try:
        rows = train_stance.training_rows()
    except train_stance.HeldOutError as e:
        raise SystemExit(f"Error: {e} — a held-out part belongs in its own file only "
                         f"({train_stance.listed(f.name for f in train_stance.HELD_OUT_FILES)})") from None
    figures, verdicts = evaluate(rows)
    parts = Counter(r["split"] for r in rows)
    show("training rows, fit (" + ", ".join(f"{s} {n}" for s, n in parts.items()) + ")", figures)
    if args.errors == "training":
        wrong = [(r, v) for r, v in verdicts if v.kind != r["kind"]]
        print(f"\ntraining: {len(wrong)} wrong")
        for r, v in wrong:
            print(f"  {r['kind']} → {v.kind}: {r['text']!r} ({v.reason})")
    if args.folds > 1:
        cross_validation(train_stance, rows, args.folds)
    for held_out, split in zip(train_stance.HELD_OUT_FILES, train_stance.HELD_OUT):
        if held_out.exists():
            held = load(held_out)
            if {r["split"] for r in held} != {split}:
                raise SystemExit(f"Error: {held_out.name} has rows of another split than {split} — keep only the held-out "
                                 "part in it")
            show(f"held-out part {split}, never trained or tuned on (aggregate only)", evaluate(held)[0])
        else:
            print(f"\n== held-out part {split}: ABSENT — {held_out.relative_to(ROOT)} is not there, so it measures "
                  "nothing (the cross-validation above is the estimate)")
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
