"""A learned lexicon for stance: a small logistic regression over a reply's words and what the
rules (``content.stance``) find in it, trained on every labelled reply in
``tests/content/data/stance_labelled.csv`` and the former held-out parts ``stance_holdout4.csv`` …
``stance_holdout11.csv`` (never the held-out parts, ``holdout12`` and ``holdout13``) by
``tools/train_stance.py`` (scikit-learn, deterministic) and shipped as a weights table in
``content/data/stance_weights.tsv``. Scoring is the standard library: each feature the table has
weighs its inverse document frequency, the reply's features scaled to unit length (tf-idf), and
each kind's score is the bias plus the sum of the features' weights times those values (``Model``).

Features of a reply (``features``), each present or not:

- ``w:`` a normalised word (``content.sentiment.normalise``: slang, emoji as themselves; a letter
  repeated in a row counts once), with a campaign target named in the reply written
  ``@against``/``@for``, and ``?`` for a clause asked with a question mark;
- ``b:`` two words in a row within a clause (``^`` opens the clause);
- ``e:``/``k:`` a thing the stance lexicon names (the union, the action, government/employers,
  workers) and a cue it lists (reject, attack, nuisance, …), by class;
- ``a:`` each cue with what it is aimed at, as the rules find it ("serikat lebay" gives
  ``a:dismiss>union``, "pemerintah lebay" ``a:dismiss>adversary``): who a word is aimed at, not
  only which word it is;
- ``m:`` how a reply talks down to the campaign's side (``VOICE``): advice to the workers
  ("bersyukur", "kerja yang rajin", "buka usaha"), blaming them ("salah sendiri", "mikir"),
  accusing the union or the action ("bayaran", "ditunggangi", "cari panggung", "iuran"), a laugh
  ("wkwk", 🤣), "kalian" addressed, a complaint asked as a question ("sampai kapan…", "kok
  tega…", "mau makan apa…"); each also with ``?`` when a clause asked with a question mark has it
  (a mocking or blaming question is opposition, a complaining one support, neither a question),
  and with ``reported+`` when the reply reports such a line to answer it back ("disuruh
  bersyukur…" is support);
- ``p:`` the reply's shape (``_shape``): an exclamation mark, at most three words, emoji only,
  the writer's own life told ("sy", "anak", "kami") without a question;
- for development only (``tools/train_stance.py cv`` compares them; none improved
  cross-validation enough to ship): ``c:`` four letters in a row within a word (``<`` and ``>``
  mark its ends: "dipotong", "potongan" and "motong" share something; shipped until the tf-idf
  weights, under which they added nothing); ``x:`` the words in a negation's reach; ``h:`` rhetorical
  questions and mockery (a laugh or "katanya" with praise); ``v:`` each of the rules' stance votes;
  ``q:`` the rules' question evidence; ``r:`` the rules' verdict; ``e:none``/``k:none`` (group
  ``n``) when the reply names nothing or has no cue. (Features for whom each angry, scornful or
  defending word is aimed at, beyond the rules' cues, were measured on 2,933 and again on 3,653
  replies, moved the line between support and opposition rather than improving both, and were
  removed: see ``tools/train_stance.py``.)

``classify`` is the model alone: cross-validation on the labelled replies found more opposition
without the rules' strong questions in front of it (a rhetorical or mocking question against the
union is opposition, and the rule called it a question) at the cost of a few questions (see
``tools/train_stance.py``). ``content.stance.classify_by_rules`` is still the rules alone.

Only features seen in at least two training replies, and weighing enough after a first fit, are
in the table; a weight times its feature's value in the reply says how much it moves the reply
toward a kind, so ``Stance.reason`` lists the features that moved it most.
"""
from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable
from types import ModuleType
from typing import NamedTuple

from content import stance as rules
from content.stance import KINDS, Stance, Targets

WEIGHTS = "stance_weights.tsv"
#: stretched letters count once in a feature ("tolakkk", "tolak"); consistently so in training
_RUNS = re.compile(r"([^\W\d_])\1+")
#: the feature groups the shipped weights use (``tools/train_stance.py`` chose them)
GROUPS = frozenset("w b e k a m p".split())
BIAS = "bias"


def features(text: str, targets: Targets | None = None, groups: Iterable[str] = GROUPS,
             module: ModuleType = rules, clauses: list | None = None) -> set[str]:
    """The features of a reply toward a campaign with ``targets``; ``module`` is the rules'
    module (training may compute them with another version of the rules), ``clauses`` the
    reply's clauses if the caller has already split it with them."""
    want = frozenset(groups)
    clauses = module._clauses(text or "") if clauses is None else clauses
    declared = module._targets(targets or Targets())
    out: set[str] = set()
    cued = named = targeted = False
    # the lexicon's things and cues per clause, found once for the groups that use them
    lexical = [module._cues(list(c.toks)) for c in clauses] if want & {"e", "k", "a"} else []
    for n, clause in enumerate(clauses):
        toks = [_RUNS.sub(r"\1", t) for t in clause.toks]
        for pos, side, _label, _strength in module._find_targets(clause.toks, declared):
            toks[pos] = f"@{side}"
            named = targeted = True
        if clause.asked:
            toks.append("?")
        if "w" in want:
            out.update(f"w:{t}" for t in toks)
        if "c" in want:
            out.update(f"c:{g}" for t in toks if t[0].isalpha() for g in _grams(f"<{t}>"))
        if "b" in want:
            out.update(f"b:{a}_{b}" for a, b in zip(["^", *toks], toks))
        if want & {"e", "k"}:
            cues, entities = lexical[n]
            named = named or bool(entities)
            cued = cued or any(cls != "causative" for _, _, cls, _ in cues)
            if "e" in want:
                out.update(f"e:{cls}" for _, cls, _ in entities)
            if "k" in want:
                out.update(f"k:{cls}" for _, _, cls, _ in cues if cls != "causative")
    if want & {"a", "x", "h"}:
        out.update(_structure(clauses, declared, want, module, lexical))
    if "m" in want:
        out.update(_voice(clauses))
    if "p" in want:
        out.update(_shape(text or "", clauses, targeted))
    if "n" in want and not named:
        out.add("e:none")
    if "n" in want and not cued:
        out.add("k:none")
    if "v" in want:
        for vote in module._stance(clauses, declared):
            entity = vote.why.rpartition("(")[2].rstrip(")") if vote.why.endswith(")") else "nothing"
            out.add(f"v:{vote.side}:{entity}")
    if "q" in want:
        score, _ = module._question(clauses)
        if score >= module.STRONG_QUESTION:
            out.add("q:strong")
        elif score > 0:
            out.add("q:weak")
        if "?" in (text or ""):
            out.add("q:mark")
    if "r" in want:
        by_rules = getattr(module, "classify_by_rules", module.classify)  # older rules: one classify
        out.add(f"r:{by_rules(text, targets).kind}")
    return out


#: words that mark a reply as mocking what it seems to praise ("hebat ya wkwk", "katanya sejahtera")
MOCKERY = frozenset("wkwk wkwkwk haha hehe awokwok 🤣 😂 😏 🙄 🤡 katanya jare ceunah cenah".split())
_NEGATOR = frozenset({"negator"})


def _structure(clauses: list, declared: list, want: frozenset[str], module: ModuleType,
               lexical: list[tuple[list, list]]) -> set[str]:
    """What a reply's words do, beyond which words they are:

    - ``a:`` each cue with what it is aimed at (``content.stance._aim``: the nearest thing named
      in its clause, else what the reply named elsewhere), e.g. ``a:negative>union`` for "serikat
      lebay" and ``a:negative>adversary`` for "pemerintah lebay": the same word, two sides;
    - ``x:`` a word in a negation's reach (up to ``NEGATION_WINDOW`` words after "gak", "jangan",
      "bukan"…), e.g. ``x:demo`` in "gak usah demo";
    - ``h:`` a rhetorical question ("mana cukup", "salah siapa") and whether it was asked with
      "?"; mockery (a laugh, "katanya") and whether it comes with praise ("hebat ya wkwk")."""
    out: set[str] = set()
    all_named = []
    parsed = []
    for n, clause in enumerate(clauses):
        toks = list(clause.toks)
        cues, entities = lexical[n] if lexical else module._cues(toks)
        inside = {p for p, _, text in entities for p in range(p + 1, p + len(text.split()))}
        named = [t for t in module._find_targets(toks, declared) if t[0] not in inside]
        entities = sorted([(p, side, label) for p, side, label, _ in named]
                          + [e for e in entities if not any(p == e[0] for p, *_ in named)])
        all_named.append(entities)
        parsed.append((clause, toks, cues, entities))
    praised = mocked = False
    for n, (clause, toks, cues, entities) in enumerate(parsed):
        if "a" in want:
            for start, end, cls, text in cues:
                if cls == "causative":
                    continue
                aim = module._aim(start, end, cls, text, entities)
                if aim is None and cls in module.JUDGEMENTS:
                    aim = module._elsewhere(n, all_named)
                out.add(f"a:{cls}>{aim[0] if aim else 'none'}")
        if "x" in want:
            for f in module._scan(toks, _NEGATOR):
                out.update("x:" + _RUNS.sub(r"\1", t) for t in toks[f.end:f.end + module.NEGATION_WINDOW])
        if "h" in want:
            found = module._scan(toks, frozenset({"rhetorical"}))
            if found:
                out.add("h:rhetorical?" if clause.asked else "h:rhetorical")
            praised = praised or any(cls in ("praise", "approve") for _, _, cls, _ in cues)
            mocked = mocked or any(t in MOCKERY or t.startswith("wkwk") for t in toks)
    if mocked:
        out.add("h:mock+praise" if praised else "h:mock")
    return out


#: how a reply talks down to the campaign's side, by the start of a normalised word (the whole word
#: if it has three letters or fewer) or of two words in a row: advice to the workers ("kerja yang rajin", "bersyukur", "buka usaha"), blaming them
#: ("salah sendiri", "mikir dong"), accusing the union or the action (paid, ridden by politics),
#: laughing; and the markers of a reported line that the reply answers back ("katanya", "disuruh")
VOICE = {
    "advice": ("bersyukur", "syukur", "disyukuri", "kerja keras", "kerja lebih", "kerja rajin", "kerja yang",
               "kerja dulu", "lembur", "buka usaha", "usaha sendiri", "cari kerja", "side hustle", "skill",
               "upskill", "resign", "sabar", "cengeng", "manja", "introspeksi", "ngaca", "work harder",
               "stop whining", "jualan"),
    "blame": ("salah sendiri", "salah siapa", "mikir", "logika", "gaya hidup", "prioritas", "mental", "malas",
              "males", "kinerja", "performa", "serakah", "ngelunjak", "egois", "drama", "baca dulu",
              "tidak baca", "ikut-ikutan", "ikut2an", "hoax", "hoaks", "tidak realistis", "tidak masuk akal",
              "unrealistic", "percuma", "bangkrut"),
    "accuse": ("bayaran", "dibayar", "bayarin", "amplop", "ditunggangi", "tunggang", "didanai", "panggung",
               "nyaleg", "politik", "elit", "provokator", "provokatif", "nasi bungkus", "staged", "paid",
               "iuran", "dues", "pencitraan", "asing"),
    "laugh": ("haha", "lol", "lucu", "kocak", "🤣", "😂", "😆", "🤭", "🤡", "🙄", "😏", "🙃", "👏"),
    "reported": ("katanya", "kata", "dibilang", "bilang", "disuruh", "suruh", "nyuruh", "omongan"),
    "address": ("kalian", "kamu", "lu", "lo", "you", "sampeyan", "maneh"),
    # a complaint asked as a question, which asks nothing: "sampai kapan…", "kok tega…", "mau makan
    # apa…", "gimana mau…", "di mana hati nurani"
    "complain": ("sampai kapan", "sampe kapan", "kok tega", "kok bisa", "kok malah", "kok masih", "makan apa",
                 "bagaimana mau", "bagaimana bisa", "mana cukup", "mana bisa", "mana mungkin", "hati nurani",
                 "adil gitu", "adil begitu", "salah apa", "kapan naik", "kapan sadar", "make sense", "emang bisa",
                 "masa iya", "ini yang", "apa buat", "buat siapa", "kapan kenyang", "kok tidak", "kok gak"),
}


def _voice(clauses: list) -> set[str]:
    """``m:`` features: which of ``VOICE``'s kinds a reply has, and whether a clause asked with
    "?" has one (a mocking or blaming question is not a question to answer)."""
    out: set[str] = set()
    for clause in clauses:
        toks = [_RUNS.sub(r"\1", t) for t in clause.toks]
        pairs = [f"{a} {b}" for a, b in zip(toks, toks[1:])]
        found = {kind for kind, starts in VOICE.items()
                 if any(t == w or (len(w) > 3 and t.startswith(w)) for w in starts if " " not in w for t in toks)
                 or any(p.startswith(w) for w in starts if " " in w for p in pairs)}
        out.update(f"m:{kind}" for kind in found)
        if clause.asked:
            out.update(f"m:{kind}?" for kind in found)
    if "m:reported" in out:
        out.update(f"m:reported+{f[2:]}" for f in list(out) if f[2:] in ("advice", "blame", "accuse", "laugh"))
    return out


def _shape(text: str, clauses: list, named: bool) -> set[str]:
    """``p:`` features of a reply's shape, not its words: an exclamation ("Stop PHK massal!!!": a
    demand, not a question), a reply of at most three words that names none of the campaign's
    targets ("lawan!", "hidup buruh"; in "Tapera bagus kok" the words decide), one of emoji only
    ("✊🔥"), and one that tells of the writer's own life ("sy", "kami", "anak", …) with no "?"."""
    out: set[str] = set()
    toks = [t for c in clauses for t in c.toks]
    if "!" in text:
        out.add("p:!")
    if toks and len(toks) <= 3 and not named:
        out.add("p:short")
    if toks and not any(any(ch.isalnum() for ch in t) for t in toks):
        out.add("p:emoji")
    if any(t in _OWN for t in toks) and not any(c.asked for c in clauses):
        out.add("p:own")
    return out


#: words with which a reply tells of the writer's own life and family
_OWN = frozenset("saya aku sy gue gw kami kita abdi urang anak istri suami bapak ibu keluarga anakku".split())


def _grams(word: str, n: int = 4) -> list[str]:
    return [word[i:i + n] for i in range(max(1, len(word) - n + 1))]


class Model(NamedTuple):
    """Per feature, one weight per kind (in ``KINDS`` order) and its inverse document frequency
    (``idf``: rarer features weigh more); ``BIAS`` is every reply's and has none. A reply's
    features are weighed by their idf and scaled to unit length (tf-idf), so that a long reply's
    many features do not outvote a short one's few; features the table does not have count for
    nothing, not even in that length."""

    weights: dict[str, tuple[float, ...]]
    idf: dict[str, float]

    def values(self, feats: Iterable[str]) -> dict[str, float]:
        """The reply's known features and the value of each (its idf over the length)."""
        known = {f: self.idf[f] for f in feats if f in self.idf}
        length = math.sqrt(math.fsum(v * v for v in known.values())) or 1.0
        return {f: v / length for f, v in known.items()}

    def scores(self, feats: Iterable[str]) -> list[float]:
        total = list(self.weights[BIAS])
        for f, x in self.values(feats).items():
            w = self.weights[f]
            for k in range(len(KINDS)):
                total[k] += w[k] * x
        return total

    def kind(self, feats: Iterable[str]) -> tuple[str, float]:
        """The kind the features score highest (the first in ``KINDS`` on a tie) and its
        probability (the softmax of the scores). Scores are compared rounded: a sum's last bits
        depend on the order the features are added in (a set's, which changes from run to run),
        and an exact tie must not be decided by them."""
        s = self.scores(feats)
        best = max(range(len(KINDS)), key=lambda k: (round(s[k], 6), -k))
        top = max(s)
        return KINDS[best], 1 / sum(math.exp(v - top) for v in s)

    def explain(self, feats: Iterable[str], kind: str, n: int = 3) -> list[tuple[str, float]]:
        """The features that moved a reply most toward ``kind`` (its weight for it minus the mean
        of the kinds, times its value), largest first."""
        k = KINDS.index(kind)
        out = []
        for f, x in self.values(feats).items():
            w = self.weights[f]
            out.append((f, (w[k] - sum(w) / len(w)) * x))
        out.sort(key=lambda p: (-p[1], p[0]))
        return [p for p in out[:n] if p[1] > 0]


HEADER = ["feature", "idf", *KINDS]


def parse(text: str) -> Model:
    """A weights table: ``feature<TAB>idf<TAB>question<TAB>support<TAB>oppose<TAB>other`` per line,
    the ``BIAS`` line with an empty idf."""
    weights: dict[str, tuple[float, ...]] = {}
    idf: dict[str, float] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line or line.startswith("#"):
            continue
        cells = line.split("\t")
        if cells == HEADER:
            continue
        try:
            if len(cells) != len(HEADER) or cells[0] in weights or (cells[1] == "") != (cells[0] == BIAS):
                raise ValueError
            weights[cells[0]] = tuple(float(c) for c in cells[2:])
            if cells[0] != BIAS:
                idf[cells[0]] = float(cells[1])
        except ValueError:
            raise ValueError(f"{WEIGHTS}:{n}: expected a new feature, its idf and {len(KINDS)} weights, "
                             f"got {line!r}") from None
    if BIAS not in weights:
        raise ValueError(f"{WEIGHTS}: no {BIAS!r} row")
    return Model(weights, idf)


@functools.cache
def model() -> Model:
    from importlib import resources

    return parse(resources.files("content").joinpath("data", WEIGHTS).read_text(encoding="utf-8"))


def _name(feature: str) -> str:
    group, _, rest = feature.partition(":")
    if group == "w":
        return repr(rest)
    if group == "b":
        return repr(rest.replace("_", " ").replace("^ ", "^"))
    if group == "r":
        return f"rules say {rest}"
    if group == "v":
        side, _, entity = rest.partition(":")
        return f"rules: {side} vote at {entity}"
    if group == "a":
        cue, _, aim = rest.partition(">")
        return f"{cue} at {aim}"
    if group == "c":
        return f"letters {rest.replace('<', '^').replace('>', '$')!r}"
    return {"q:strong": "rules: strong question", "q:weak": "rules: weak question", "q:mark": '"?"',
            "p:!": '"!"', "p:short": "a short reply", "p:emoji": "emoji only", "p:own": "own life told"}.get(
        feature, f"{ {'e': 'names', 'k': 'cue', 'm': 'tone'}.get(group, group)} {rest}")


def classify(text: str, targets: Targets | None = None) -> Stance:
    """The kind of a reply toward a campaign with ``targets``: the learned model's kind, with
    the features that moved it most."""
    return learned(text, targets)


def learned(text: str, targets: Targets | None = None, m: Model | None = None,
            clauses: list | None = None) -> Stance:
    """The learned model's kind alone and the features that moved it most (``clauses``: as for
    ``features``)."""
    m = m or model()
    feats = features(text, targets, clauses=clauses)
    kind, _p = m.kind(feats)
    top = m.explain(feats, kind)
    why = ", ".join(f"{_name(f)} {w:+.1f}" for f, w in top) or "the prior"
    return Stance(kind, f"{kind}: learned: {why}")
