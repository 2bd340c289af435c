"""Train the learned stance lexicon (``content/stance_learned.py``) on the labelled replies'
``tune`` part only, in plain Python (deterministic: the same data gives the same weights, byte
for byte), and measure it by cross-validation on ``tune``. The held-out parts are never read.

    python tools/train_stance.py write [--out content/data/stance_weights.tsv]
    python tools/train_stance.py cv            # 5-fold cross-validation on tune, per feature set and combination
    python tools/train_stance.py temporal REV  # rules as of commit REV, trained on ids < 521, tested on 521-680

Model: multinomial logistic regression over binary features (``content.stance_learned.features``),
L2-regularised, full-batch gradient descent with AdaGrad steps from zero weights, features seen in
fewer than ``MIN_COUNT`` training replies dropped. ``temporal`` is a second development signal:
ids 521-680 were written after the rules of commit ee535da and measured on them before any rule
was changed for them, so with those rules neither part of the model has seen them.

Cross-validation flatters every feature that comes from the rules (they were written on these
very replies, so their verdict is right 97% of the time here and about 70% on unseen replies); the
temporal split does not. Both chose the shipped set: words, word pairs, four-letter pieces and the
lexicon's classes, without the rules' votes or verdict, behind the rules' strong questions.
"""
from __future__ import annotations

import argparse
import csv
import math
import subprocess
import sys
import types
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from content import stance as rules  # noqa: E402
from content.stance import KINDS, Targets  # noqa: E402
from content.stance_learned import BIAS, GROUPS, WEIGHTS, Model, features  # noqa: E402

DATA = ROOT / "tests" / "content" / "data" / "stance_labelled.csv"
OUT = ROOT / "content" / "data" / WEIGHTS
MIN_COUNT = 2
L2 = 0.01
EPOCHS = 400
RATE = 0.5
FOLDS = 5
DIGITS = 3


def tune_rows() -> list[dict[str, str]]:
    with DATA.open(encoding="utf-8", newline="") as f:
        return [r for r in csv.DictReader(f) if r["split"] == "tune"]


def targets(row: dict[str, str]) -> Targets:
    return Targets(tuple(t for t in row["against"].split(";") if t), tuple(t for t in row["for"].split(";") if t))


def train(xs: list[set[str]], ys: list[str], l2: float = L2, epochs: int = EPOCHS) -> Model:
    counts = Counter(f for x in xs for f in x)
    names = [BIAS] + sorted(f for f, n in counts.items() if n >= MIN_COUNT)
    index = {f: i for i, f in enumerate(names)}
    rows = [[0] + sorted(index[f] for f in x if f in index) for x in xs]
    gold = [KINDS.index(y) for y in ys]
    nk, nf, n = len(KINDS), len(names), len(rows)
    w = [[0.0] * nf for _ in KINDS]
    g2 = [[1e-8] * nf for _ in KINDS]
    for _ in range(epochs):
        grad = [[0.0] * nf for _ in KINDS]
        for row, y in zip(rows, gold):
            s = [sum(wk[i] for i in row) for wk in w]
            top = max(s)
            e = [math.exp(v - top) for v in s]
            z = sum(e)
            for k in range(nk):
                d = e[k] / z - (k == y)
                gk = grad[k]
                for i in row:
                    gk[i] += d
        for k in range(nk):
            wk, gk, hk = w[k], grad[k], g2[k]
            for i in range(nf):
                g = gk[i] / n + (l2 * wk[i] if i else 0.0)
                hk[i] += g * g
                wk[i] -= RATE * g / math.sqrt(hk[i])
    return Model({f: tuple(round(w[k][i], DIGITS) for k in range(nk)) for f, i in index.items()})


def dump(m: Model) -> str:
    lines = ["# content/stance_learned.py's weights: written by tools/train_stance.py from the tune part",
             "# of tests/content/data/stance_labelled.csv; do not edit by hand",
             "\t".join(["feature", *KINDS])]
    for f, w in sorted(m.weights.items(), key=lambda p: (p[0] != BIAS, p[0])):
        if f == BIAS or any(w):
            lines.append("\t".join([f, *(f"{v:.{DIGITS}f}" for v in w)]))
    return "\n".join(lines) + "\n"


# ---- combinations ---------------------------------------------------------------------------------

Combo = Callable[[str, float, str, float], str]  # (model kind, its probability, rules' kind, question score)
COMBOS: dict[str, Combo] = {
    "rules": lambda mk, p, rk, q: rk,
    "model": lambda mk, p, rk, q: mk,
    "strong question rule, else model": lambda mk, p, rk, q: "question" if q >= rules.STRONG_QUESTION else mk,
    "model, rules below p 0.5": lambda mk, p, rk, q: mk if p >= 0.5 else rk,
    "model, rules below p 0.7": lambda mk, p, rk, q: mk if p >= 0.7 else rk,
    "strong question rule, else model, rules below p 0.5":
        lambda mk, p, rk, q: "question" if q >= rules.STRONG_QUESTION else (mk if p >= 0.5 else rk),
}
FEATURE_SETS = {
    "words+bigrams": "w b",
    "words+bigrams+lexicon": "w b e k",
    "words+bigrams+letters+lexicon (shipped)": "w b c e k",
    "… + nothing named / no cue flags": "w b c e k n",
    "words+bigrams+letters+lexicon+rule votes": "w b c e k v q",
    "all (+ rules' verdict)": "w b c e k v q r",
}


def recalls(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, float], float]:
    pairs = list(pairs)
    per = {k: sum(g == p == k for g, p in pairs) / max(1, sum(g == k for g, _ in pairs)) for k in KINDS}
    return per, sum(g == p for g, p in pairs) / len(pairs)


def line(name: str, pairs: list[tuple[str, str]]) -> str:
    per, acc = recalls(pairs)
    return (f"  {name:52} " + " ".join(f"{per[k]:4.0%}" for k in KINDS)
            + f"   all {acc:4.0%}  min {min(per.values()):4.0%}")


def evaluate(train_rows: list[dict[str, str]], test_rows: list[dict[str, str]], groups: str,
             module: types.ModuleType) -> dict[str, list[tuple[str, str]]]:
    feats = lambda r: features(r["text"], targets(r), groups.split(), module)  # noqa: E731
    m = train([feats(r) for r in train_rows], [r["kind"] for r in train_rows])
    out: dict[str, list[tuple[str, str]]] = {name: [] for name in COMBOS}
    for r in test_rows:
        mk, p = m.kind(feats(r))  # the runtime's decision (``content.stance_learned.learned``)
        rk = getattr(module, "classify_by_rules", module.classify)(r["text"], targets(r)).kind  # rules alone
        q, _ = module._question(module._clauses(r["text"]))
        for name, combo in COMBOS.items():
            out[name].append((r["kind"], combo(mk, p, rk, q)))
    return out


def report(results: dict[str, dict[str, list[tuple[str, str]]]]) -> None:
    print(f"  {'':52} " + " ".join(f"{k[:4]:>4}" for k in KINDS))
    for fs, by_combo in results.items():
        print(f"features: {fs}")
        for name, pairs in by_combo.items():
            print(line(name, pairs))


def cross_validate(rows: list[dict[str, str]], sets: dict[str, str]) -> None:
    print(f"{FOLDS}-fold cross-validation on tune ({len(rows)} replies; fold = position mod {FOLDS}); recall per kind")
    results = {}
    for fs, groups in sets.items():
        merged: dict[str, list[tuple[str, str]]] = {name: [] for name in COMBOS}
        for fold in range(FOLDS):
            tr = [r for i, r in enumerate(rows) if i % FOLDS != fold]
            te = [r for i, r in enumerate(rows) if i % FOLDS == fold]
            for name, pairs in evaluate(tr, te, groups, rules).items():
                merged[name] += pairs
        results[fs] = merged
    report(results)


def old_rules(rev: str) -> types.ModuleType:
    """content/stance.py and its lexicon as of commit ``rev``, loaded as a module of their own."""
    def show(path: str) -> str:
        return subprocess.run(["git", "show", f"{rev}:{path}"], cwd=ROOT, check=True, capture_output=True,
                              text=True).stdout
    lexicon = show("content/data/stance_lexicon.tsv")
    source = show("content/stance.py").replace(
        'resources.files("content").joinpath("data", LEXICON).read_text(encoding="utf-8")', "_LEXICON_TEXT")
    module = types.ModuleType(f"stance_{rev}")
    module.__dict__["_LEXICON_TEXT"] = lexicon
    sys.modules[module.__name__] = module
    exec(compile(source, f"{rev}:content/stance.py", "exec"), module.__dict__)
    return module


def temporal(rows: list[dict[str, str]], rev: str, sets: dict[str, str]) -> None:
    module = old_rules(rev)
    tr = [r for r in rows if int(r["id"]) < 521]
    te = [r for r in rows if int(r["id"]) >= 521]
    print(f"temporal: rules as of {rev}, trained on {len(tr)} tune replies (ids < 521), tested on {len(te)} "
          "(ids 521-680, unseen by those rules); recall per kind")
    report({fs: evaluate(tr, te, groups, module) for fs, groups in sets.items()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("write")
    w.add_argument("--out", type=Path, default=OUT)
    sub.add_parser("cv")
    t = sub.add_parser("temporal")
    t.add_argument("rev")
    args = parser.parse_args()
    rows = tune_rows()
    if args.cmd == "write":
        xs = [features(r["text"], targets(r), GROUPS) for r in rows]
        args.out.write_text(dump(train(xs, [r["kind"] for r in rows])), encoding="utf-8")
        print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)")
    elif args.cmd == "cv":
        cross_validate(rows, FEATURE_SETS)
    else:
        temporal(rows, args.rev, FEATURE_SETS)


if __name__ == "__main__":
    main()
