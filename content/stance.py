"""A reply's kind — question, support, oppose or other — judged toward the campaign, not by tone.

    >>> from content.stance import Targets, classify_by_rules
    >>> tapera = Targets(against=("Tapera", "potongan upah"), for_=("upah layak",))
    >>> classify_by_rules("gak setuju sama pemerintah, upah udah kecil malah dipotong lagi", tapera)
    Stance(kind='support', reason='support: "tidak setuju" at "pemerintah" (government/employers); "kecil" at "potongan upah" (what the campaign opposes)')
    >>> classify_by_rules("demo mulu, bikin macet", tapera).kind
    'oppose'

"Gak setuju sama pemerintah" is negative in tone (``content.sentiment`` scores it so) but sides
with a union campaign; "demo mulu" is an attack on the action. A campaign declares what it is
against and what it is for (``Targets``); the government and employers it confronts are targets
of every campaign. Everything is small rules over the normalised words of the reply
(``content.sentiment.normalise``: slang, stretched letters, hashtags, emoji) and the lexicon in
``content/data/stance_lexicon.tsv`` (its header says what each class does), with the sentiment
lexicon for judgements the stance lexicon does not list. Standard library only; no network.

The rules, in order:

1. **Question.** Evidence is added up: an asking phrase ("mau tanya", "info dong") 3; a
   question word (kah, apa, gimana, di mana, kapan, berapa, kok, siapa, Javanese *piye*,
   Sundanese *kumaha*, English *what*…), a clause opened by an English auxiliary ("is there…")
   or by "ada" before "?", a tag question ending in "gak"/"belum", or "bisa/boleh gak" 1.5 each
   (two at most); a tag question ("… gak", "… belum", "… bukan", a "… kan" of five words or
   more, perhaps followed by "bulan ini" or "min"), "X atau Y" (which of two), "boleh …"
   (asking leave), "emang …" opening the reply 1.5 each too; the
   question word ending its clause ("kumpul di mana", "jadi berapa min", "berapa persen sih":
   only what is asked for, a vocative or a time word after it), or a tag ending the reply, 1.5
   more; "?" 1; something people ask for (jam, lokasi, link, formulir…, as the start of the word
   written: "carane", not "secara") 1 when any of these is there. A passive form of an asking
   word ("ditanya": was asked) asks nothing, nor does a one-word one after its subject ("anak2
   nanya"): alone it asks opening its clause or after "mau", "izin"…. A question word inside a rhetorical phrase ("mana cukup", "salah siapa", "kok
   tega") or doubled ("di mana-mana", "apa2") counts nothing. At 3 or more the reply is a
   question whatever else it says: it needs an answer.
2. **Stance.** Each cue — reject (tolak, cabut), approve (setuju, ✊), attack (cari duit,
   ditunggangi), nuisance (macet), hardship (dipotong, mana cukup), praise and negative words
   (the stance lexicon, else the sentiment lexicon), each possibly negated ("gak setuju" is
   disagreement) — is aimed at the nearest thing named in its clause: what the campaign is
   against (its ``against`` targets), what it is for, the government and employers, the union,
   its action, the workers, the post, or the post's photo and video. A table (``_VOTES``) says
   which side each pairing takes: negative at a target is support, praise of it is oppose, an
   attack on the union or a nuisance of the action is oppose, hardship is support. Where the
   aim is found, besides the nearest thing in the clause: a judgement (praise, negative) in a
   clause naming nothing is about what the reply named last before it, else first after it
   ("statusnya tetep kontrak, ga adil bgt"); a nuisance (macet, telat, rugi) is the action's
   doing wherever the reply names the action; an emoji cheers or jeers at nothing in
   particular; a preference ("mending", "daripada") is about what follows it, up to the next
   one. A campaign target inside a longer named thing names that thing ("buruh kontrak" are
   workers). A negation turns agreement into disagreement and praise into blame and cancels
   other cues, except that "jangan" before an attack keeps it ("jangan egois" still accuses).
   Cues before "tapi/namun" count half. The side with more weight wins.
3. **Question, weakly.** No stance, but a "?" or a question word: a question.
4. **Other.** Nothing of the above.

``Stance.reason`` says which rule decided and on which words, e.g. ``question: asking phrase
"mau tanya"`` or ``oppose: "cari duit" at "serikat" (the union)``.

``classify_by_rules`` is these rules alone. ``classify``, the default, is the learned lexicon
(``content.stance_learned``), which weighs the reply's words together with what these rules find
(the things named, the cues and what each cue is aimed at); on replies it was not trained on it is
right more often than the rules alone (``bench/stance.py``).
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from content.sentiment.lexicon import candidates, lexicon as sentiment_lexicon
from content.sentiment.normalise import BOUNDARY, tokens

KINDS = ("question", "support", "oppose", "other")
LEXICON = "stance_lexicon.tsv"
CLASSES = frozenset(
    "adversary union action workers post offtopic reject approve attack nuisance hardship praise "
    "negative neutral dismiss causative negator qword ask info rhetorical vocative common".split()
)
#: what the things a cue can be aimed at are called in a reason
ENTITY_NAMES = {
    "against": "what the campaign opposes", "for": "what the campaign is for",
    "adversary": "government/employers", "union": "the union", "action": "the action",
    "workers": "workers", "post": "the post", "offtopic": "the post's media",
}
#: (cue, what it is aimed at) -> the side it takes; None: no side. "none" is a cue aimed at nothing
_S, _O = "support", "oppose"
_VOTES: dict[tuple[str, str], str | None] = {}
for _entity, _row in {
    #            reject approve attack nuisance hardship praise negative disagree dismiss
    "none":      (_S,   _S,     _O,    None,    _S,      None,  None,    _O,      _O),
    "against":   (_S,   _O,     _S,    None,    _S,      _O,    _S,      _S,      _O),
    "adversary": (_S,   _O,     _S,    None,    _O,      _O,    _S,      _S,      _O),
    "for":       (_O,   _S,     _O,    None,    _S,      _S,    _O,      _O,      _O),
    "union":     (_O,   _S,     _O,    _O,      _S,      _S,    _O,      _O,      _O),
    "action":    (_O,   _S,     _O,    _O,      _S,      _S,    _O,      _O,      _O),
    "workers":   (_O,   _S,     _O,    None,    _S,      _S,    _S,      _O,      _O),
    "post":      (_O,   _S,     _O,    None,    None,    _S,    _O,      _O,      _O),
    "offtopic":  (None, None,   None,  None,    None,    None,  None,    None,    None),
}.items():
    for _cue, _side in zip(("reject", "approve", "attack", "nuisance", "hardship", "praise", "negative",
                            "disagree", "dismiss"), _row):
        _VOTES[(_cue, _entity)] = _side
#: how much a cue weighs: the stance lexicon's own cues more than the sentiment lexicon's words
_WEIGHT = {"reject": 2.0, "approve": 2.0, "attack": 2.0, "disagree": 2.0, "dismiss": 2.0, "nuisance": 1.5,
           "hardship": 1.5, "praise": 1.0, "negative": 1.0}
#: a sentiment-lexicon word counts as praise or negative from this absolute score
SENTIMENT_FLOOR = 0.3
#: question evidence (rule 1)
ASK, QWORD, FINAL, MARK, INFO, STRONG_QUESTION = 3.0, 1.5, 1.5, 1.0, 1.0, 3.0
MAX_QWORDS = 2
#: cues that judge something, so that in a clause naming nothing they judge what the reply named
#: elsewhere ("statusnya tetep kontrak, ga adil bgt"); agreement and rejection alone answer the post
JUDGEMENTS = frozenset({"negative", "praise"})
#: a preference is about what follows it: "mending X daripada Y" praises X, blames Y
PREFERENCES = frozenset({"mending", "daripada", "drpd"})
CONTRASTS = frozenset({"tapi", "tetapi", "namun", "but"})
CONTRAST_WEIGHT = 0.5
#: words a negation reaches across ("gak usah demo", "ra usah kakehan demo")
TRANSPARENT = frozenset("usah perlu kudu ada yang pernah akan bisa mau sama terlalu begitu pakai pake ikut ikutan".split())
NEGATION_WINDOW = 3
#: auxiliaries that open an English yes/no question ("Is there a livestream…")
EN_AUXILIARIES = frozenset("is are do does did can could will would should has have any anyone".split())
#: "bisa gak", "boleh gak", "ada gak": a yes/no question in the middle of a clause
YES_NO_VERBS = frozenset("bisa boleh ada perlu jadi harus wajib dapat".split())
#: a clause ending in one of these asks yes or no ("… bisa diangkat gak", "itu PHK bukan")
TAGS = ("tidak", "belum", "bukan", "kan")
#: words that may follow the word that asks without it ceasing to end the clause
TRAILING = frozenset("ini itu sekarang besok nanti juga lagi bulan minggu tahun taun hari saja".split())
#: "rugi sendiri kan": a short clause ending in "kan" is emphasis; from this many words it asks
SHORT_KAN = 5
#: the first word of a reply that makes it a yes/no question ("emang tapera bisa buat renovasi")
OPENERS = frozenset({"emang", "memang"})
#: an asking word alone ("tanya", "nanya") asks when it opens its clause or follows one of these
#: ("mau nanya"), not in "anak2 nanya baju baru"
ASK_BEFORE = frozenset("mau numpang izin ijin boleh pengen ingin".split())

_QMARK = "xqmarkx"
_INDEFINITE = "xindefinitex"  # stands for "mana-mana", "apa2": no lexicon entry, no question
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_QUESTION_MARKS = re.compile(r"[?？¿]+")
# "di mana-mana", "apa2", "siapa-siapa": indefinite, not a question ("wajar di mana2")
_DOUBLED = re.compile(r"\b(apa|siapa|mana|kapan|kemana|dimana)(?:2|-\1)\b", re.IGNORECASE)
# "di-PHK", "ke-2": the prefix apart, so the word is looked up on its own
_HYPHEN_PREFIX = re.compile(r"\b(di|ke|ter|h)-(?=[^\W\d_])", re.IGNORECASE)


class Targets(NamedTuple):
    """What a campaign is against and what it is for, as people write them ("Tapera",
    "potongan upah"; "upah layak"). The government and employers are targets of every campaign."""

    against: tuple[str, ...] = ()
    for_: tuple[str, ...] = ()


class Stance(NamedTuple):
    """``kind`` is one of ``KINDS``; ``reason`` names the rule that decided and its words."""

    kind: str
    reason: str


class _Entry(NamedTuple):
    cls: str
    words: tuple[str, ...]


@functools.cache
def stance_lexicon() -> dict[str, list[_Entry]]:
    """First word -> the entries starting with it, longest first."""
    from importlib import resources

    text = resources.files("content").joinpath("data", LEXICON).read_text(encoding="utf-8")
    out: dict[str, list[_Entry]] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cls, _, entry = line.partition("\t")
        if cls not in CLASSES or not entry.strip():
            raise ValueError(f"{LEXICON}:{n}: expected 'class<TAB>entry' with a known class, got {line!r}")
        words = tuple(entry.strip().lower().split())
        out.setdefault(words[0], []).append(_Entry(cls, words))
    for entries in out.values():
        entries.sort(key=lambda e: -len(e.words))
    return out


@functools.lru_cache(maxsize=16384)
def _forms(word: str) -> tuple[str, ...]:
    """``word`` and its forms with affixes stripped and stretched letters shortened."""
    forms = list(candidates(word))
    for confix in (("ke", "an"), ("pe", "an"), ("per", "an")):  # kenaikan -> naik
        if word.startswith(confix[0]) and word.endswith(confix[1]) and len(word) > 6:
            forms.append(word[len(confix[0]):-len(confix[1])])
    return tuple(forms)


def _word_matches(token: str, word: str) -> bool:
    if token == word:
        return True
    forms = _forms(token)
    return word in forms or any(f in forms for f in _forms(word) if len(f) >= 4)


class _Found(NamedTuple):
    start: int
    end: int
    cls: str
    text: str


ENTITY_CLASSES = frozenset(ENTITY_NAMES) - {"against", "for"}
CUE_CLASSES = frozenset({"reject", "approve", "attack", "nuisance", "hardship", "praise", "negative", "neutral",
                         "dismiss", "causative", "negator"})
#: what a judgement after "X bikin …" says about X, the cause
_CAUSED = {"hardship": "negative", "nuisance": "negative", "negative": "negative", "attack": "negative",
           "praise": "praise", "approve": "praise"}
QUESTION_CLASSES = frozenset({"qword", "ask", "info", "rhetorical", "vocative"})


def _entry_at(toks: Sequence[str], i: int, classes: frozenset[str]) -> _Found | None:
    """The longest lexicon entry of one of ``classes`` starting at ``toks[i]``."""
    lex = stance_lexicon()
    best: _Found | None = None
    for form in _forms(toks[i]):
        for entry in lex.get(form, ()):
            n = len(entry.words)
            if entry.cls not in classes or i + n > len(toks) or (best is not None and n <= best.end - best.start):
                continue
            if all(_word_matches(toks[i + k], entry.words[k]) for k in range(1, n)):
                best = _Found(i, i + n, entry.cls, " ".join(toks[i:i + n]))
        if best is not None and form == toks[i]:
            break  # the word as written wins over a stripped form of it
    return best


def _scan(toks: Sequence[str], classes: frozenset[str]) -> list[_Found]:
    """Entries of ``classes`` from left to right, each word in at most one."""
    out, i = [], 0
    while i < len(toks):
        f = _entry_at(toks, i, classes)
        if f is None:
            i += 1
        else:
            out.append(f)
            i = f.end
    return out


class _Target(NamedTuple):
    side: str  # "against" | "for"
    label: str
    words: tuple[str, ...]
    distinctive: tuple[str, ...]  # the words that name it alone (not in the "common" class)


def _targets(targets: Targets) -> list[_Target]:
    lex = stance_lexicon()
    common = {e.words[0] for entries in lex.values() for e in entries if e.cls == "common"}
    out = []
    for side, phrases in (("against", targets.against), ("for", targets.for_)):
        for phrase in phrases:
            words = tuple(t for t in tokens(_HYPHEN_PREFIX.sub(r"\1 ", phrase)) if t != BOUNDARY)
            if words:
                out.append(_Target(side, phrase.strip(), words, tuple(w for w in words if w not in common)))
    return out


def _acronym(token: str, words: tuple[str, ...]) -> bool:
    """"ciptaker" for "cipta kerja": the first word whole and the start of the second."""
    return (len(words) == 2 and token.startswith(words[0]) and len(token) - len(words[0]) >= 3
            and words[1].startswith(token[len(words[0]):]))


def _find_targets(toks: Sequence[str], targets: list[_Target]) -> list[tuple[int, str, str, int]]:
    """(position, side, label, strength) of each target named in a clause: all its words
    (strength 2), or its distinctive words alone (1), or its acronym (2)."""
    found = []
    for t in targets:
        positions = [[i for i, tok in enumerate(toks) if _word_matches(tok, w)] for w in t.words]
        if all(positions):
            found.append((min(p[0] for p in positions), t.side, t.label, 2))
            continue
        acronyms = [i for i, tok in enumerate(toks) if _acronym(tok, t.words)]
        if acronyms:
            found.append((acronyms[0], t.side, t.label, 2))
            continue
        if t.distinctive and len(t.words) > 1:
            have = [p for w, p in zip(t.words, positions) if w in t.distinctive]
            if all(have) and len(have) == len(t.distinctive):
                found.append((min(p[0] for p in have), t.side, t.label, 1))
    # a word naming two targets ("THR" in "THR dicicil" and "THR") names the fuller one
    best: dict[int, tuple[int, str, str, int]] = {}
    for f in found:
        if f[0] not in best or f[3] > best[f[0]][3]:
            best[f[0]] = f
    return sorted(best.values())


class _Clause(NamedTuple):
    toks: list[str]
    asked: bool  # ended with "?"
    weight: float  # CONTRAST_WEIGHT before a contrast word


def _clauses(text: str) -> list[_Clause]:
    text = _URL.sub(" ", text)
    text = _DOUBLED.sub(f" {_INDEFINITE} ", text)
    text = _HYPHEN_PREFIX.sub(r"\1 ", text)
    text = _QUESTION_MARKS.sub(f" {_QMARK}. ", text)
    out: list[_Clause] = []
    current: list[str] = []
    for tok in tokens(text) + [BOUNDARY]:
        if tok == BOUNDARY or tok in CONTRASTS:
            if current and current != [_QMARK]:
                asked = _QMARK in current
                out.append(_Clause([t for t in current if t != _QMARK], asked, 1.0))
            elif current == [_QMARK] and out:
                out[-1] = out[-1]._replace(asked=True)
            if tok in CONTRASTS:
                out = [c._replace(weight=c.weight * CONTRAST_WEIGHT) for c in out]
            current = []
        else:
            current.append(tok)
    return out


def _quote(words: Iterable[str]) -> str:
    return ", ".join(f'"{w}"' for w in words)


# ---- rule 1: questions ---------------------------------------------------------------------------

def _passive(token: str) -> bool:
    """"ditanya" (was asked) is a passive form of an asking word, "dijelasin" is listed itself."""
    return token.startswith("di") and token not in stance_lexicon()


def _question(clauses: list[_Clause]) -> tuple[float, list[str]]:
    """Question evidence and what it is (for the reason)."""
    asks: list[str] = []
    qwords: list[str] = []
    info: list[str] = []
    final = marks = False
    for clause in clauses:
        toks = clause.toks
        found = _scan(toks, QUESTION_CLASSES)
        rhetoric = {i for f in found if f.cls == "rhetorical" for i in range(f.start, f.end)}
        vocatives = {f.start for f in found if f.cls == "vocative"}
        # what may follow the word that asks: "jam berapa min", "berapa persen sih", "gak bulan ini"
        infos = {f.start for f in found if f.cls == "info" and toks[f.start].startswith(f.text.split()[0])}
        trailing = vocatives | infos | {i for i, t in enumerate(toks) if t in TRAILING}
        content = [i for i in range(len(toks)) if i not in vocatives]
        last = content[-1] if content else -1

        def ends(i: int) -> bool:
            return all(k in trailing for k in range(i + 1, len(toks)))

        asked_here = []
        for f in found:
            if f.cls == "ask" and not _passive(toks[f.start]) and (
                    " " in f.text or f.start == 0 or toks[f.start - 1] in ASK_BEFORE):
                asks.append(f.text)
            elif f.cls == "qword" and f.start not in rhetoric and not (f.text == "kok" and f.start == last):
                # "lancar kok": at the end of a clause "kok" is emphasis, not a question
                asked_here.append(f.text)
                final = final or f.end - 1 == last or ends(f.end - 1)
            elif f.start in infos:
                info.append(f.text)
        if toks and (toks[0] in EN_AUXILIARIES or (clause.asked and toks[0] == "ada" and len(toks) > 1)
                     or (clause is clauses[0] and toks[0] in OPENERS and len(toks) > 2)):
            asked_here.append(f"{toks[0]} …")
        tags = [i for i in content if toks[i] in TAGS and i not in rhetoric and ends(i)]
        if tags and tags[0] >= 2 and len(content) >= (SHORT_KAN if toks[tags[0]] == "kan" else 3):
            # "… bisa diangkat gak", "… ada webinar gak bulan ini", "itu PHK bukan"; ending the
            # reply, the tag is what it says last: it asks
            asked_here.append(f"… {toks[tags[0]]}")
            final = final or clause is clauses[-1]
        for i in range(len(toks) - 1):
            if toks[i] in YES_NO_VERBS and toks[i + 1] in ("tidak", "belum") and i + 1 != last:
                asked_here.append(f"{toks[i]} {toks[i + 1]}")
        if "boleh" in toks and not asked_here:
            i = toks.index("boleh")
            if i + 1 < len(toks) and toks[i + 1] not in ("juga", "lah", "tidak", "belum"):
                asked_here.append("boleh …")  # "driver Maxim boleh gabung aksi": asks permission
        if "atau" in toks[1:-1] and not rhetoric:
            asked_here.append("… atau …")  # "di Patung Kuda atau depan DPR": asks which
        if clause.asked and (asked_here or not rhetoric):  # "Salah siapa?" asks nothing
            marks = True
        qwords += asked_here
    score = (ASK if asks else 0.0) + QWORD * min(len(qwords), MAX_QWORDS) + FINAL * final + MARK * marks
    if score and info:
        score += INFO
    what = []
    if asks:
        what.append(f"asking phrase {_quote(asks[:1])}")
    if qwords:
        what.append(f"question word {_quote(qwords[:MAX_QWORDS])}" + (" ending its clause" if final else ""))
    if marks:
        what.append('"?"')
    if what and info:
        what.append(f"asks for {_quote(info[:1])}")
    return score, what


# ---- rule 2: stance ------------------------------------------------------------------------------

class _Vote(NamedTuple):
    side: str
    weight: float
    why: str


def _cues(toks: list[str]) -> tuple[list[tuple[int, int, str, str]], list[tuple[int, str, str]]]:
    """Cues (start, end, class, words) and entities (position, class, words) of a clause."""
    found = _scan(toks, ENTITY_CLASSES)
    entities = [(f.start, f.cls, f.text) for f in found]
    actions = {p: text for p, cls, text in entities if cls == "action"}
    # every word of a named thing: "kecil" in "rakyat kecil" is no judgement
    entity_words = {i for f in found for i in range(f.start, f.end)}
    words = sentiment_lexicon()
    cues: list[tuple[int, int, str, str]] = []
    negation: tuple[int, str] | None = None
    i = 0
    while i < len(toks):
        f = _entry_at(toks, i, CUE_CLASSES)
        if f is None and i not in entity_words:
            score = next((words[form] for form in _forms(toks[i]) if form in words), None)
            if score is not None and abs(score) >= SENTIMENT_FLOOR:
                f = _Found(i, i + 1, "praise" if score > 0 else "negative", toks[i])
        if f is None:
            if negation is not None and i in actions:  # "gak usah demo", "jangan demo terus"
                cues.append((negation[0], i + 1, "reject", f"{negation[1]} … {actions[i]}"))
                negation = None
            elif negation is not None and (toks[i] not in TRANSPARENT or i - negation[0] >= NEGATION_WINDOW):
                negation = None
            i += 1
            continue
        if f.cls == "negator":
            negation = (i, f.text)
            i += 1
            continue
        if f.cls == "causative":
            cues.append((f.start, f.end, "causative", f.text))
            i = f.end
            continue
        cls, text = f.cls, f.text
        if negation is not None:
            # "tidak setuju" is disagreement, "tidak adil" negative; "tidak susah", "tidak korup": nothing
            text = f"{negation[1]} {text}" if negation[0] == i - 1 else f"{negation[1]} … {text}"
            cls = {"approve": "disagree", "praise": "negative"}.get(cls, "negated")
            if negation[1] == "jangan" and f.cls in ("attack", "dismiss"):
                cls = f.cls  # "jangan egois", "jangan manja": an admonition still accuses
        negation = None
        if cls in _WEIGHT:
            cues.append((f.start, f.end, cls, text))
        i = f.end
    return cues, entities


def _causes(cues: list[tuple[int, int, str, str]], entities: list[tuple[int, str, str]]
            ) -> list[tuple[int, int, str, str, tuple[int, str, str] | None]]:
    """Cues with the cause they are aimed at: after "X bikin", the judgement is about X."""
    out: list[tuple[int, int, str, str, tuple[int, str, str] | None]] = []
    cause: tuple[int, str, str] | None = None
    for start, end, cls, text in cues:
        if cls == "causative":
            before = [e for e in entities if e[0] < start]
            judged = [c for c in cues if c[2] != "causative" and before and before[-1][0] < c[0] < start]
            cause = before[-1] if before and not judged else None
            continue
        if cause is not None and cls in _CAUSED:
            out.append((start, end, _CAUSED[cls], f"{text} (caused by)", cause))
        else:
            out.append((start, end, cls, text, None))
    return out


def _aim(cue_start: int, cue_end: int, cls: str, text: str,
         entities: list[tuple[int, str, str]]) -> tuple[str, str] | None:
    """The entity a cue is aimed at: the nearest in its clause (inside the cue counts 0); a
    preference ("mending", "daripada") is about what follows it, up to the next preference."""
    best = None
    first = text.split()[0] if text else ""
    if first in PREFERENCES:
        ahead = [e for e in entities if e[0] >= cue_end]
        stops = [e[0] for e in ahead if e[1] == "preference"]
        entities = [e for e in ahead if e[1] != "preference" and (not stops or e[0] < stops[0])]
    for pos, kind, text in entities:
        if kind == "preference":
            continue
        distance = 0 if cue_start <= pos < cue_end else min(abs(pos - cue_start), abs(pos - (cue_end - 1)))
        # ties: what the campaign is about before who is speaking; a rejection aims forward
        rank = (distance, _ENTITY_RANK[kind], 0 if (pos >= cue_start) == (cls == "reject") else 1)
        if best is None or rank < best[0]:
            best = (rank, kind, text)
    return None if best is None else (best[1], best[2])


_ENTITY_RANK = {k: n for n, k in enumerate(("against", "for", "union", "action", "adversary", "post", "workers",
                                            "offtopic"))}


def _elsewhere(n: int, named: list[list[tuple[int, str, str]]]) -> tuple[str, str] | None:
    """What a cue in clause ``n`` naming nothing is aimed at: the last thing named in the clauses
    before it, else the first named after it ("Outsourcing lagi. Capek" is about outsourcing)."""
    for k in [*range(n - 1, -1, -1), *range(n + 1, len(named))]:
        found = [e for e in named[k] if e[1] not in ("preference", "offtopic")]
        if found:
            e = found[-1] if k < n else found[0]
            return e[1], e[2]
    return None


def _stance(clauses: list[_Clause], targets: list[_Target]) -> list[_Vote]:
    votes: list[_Vote] = []
    parsed = []
    for clause in clauses:
        cues, entities = _cues(clause.toks)
        # "kontrak" in "buruh kontrak" names workers, not the contracts the campaign opposes
        inside = {p for p, _, text in entities for p in range(p + 1, p + len(text.split()))}
        named = [t for t in _find_targets(clause.toks, targets) if t[0] not in inside]
        entities = [(p, side, label) for p, side, label, _ in named] + [
            e for e in entities if not any(p == e[0] for p, *_ in named)]
        entities.sort()
        entities += [(i, "preference", t) for i, t in enumerate(clause.toks) if t in PREFERENCES]
        parsed.append((clause, cues, entities))
    all_named = [entities for _, _, entities in parsed]
    action = next(((k, e) for k, ents in enumerate(all_named) for e in ents if e[1] == "action"), None)
    for n, (clause, cues, entities) in enumerate(parsed):
        for start, end, cls, text, cause in _causes(cues, [e for e in entities if e[1] != "preference"]):
            if cause:
                aim: tuple[str, str] | None = (cause[1], cause[2])
            elif not any(ch.isalpha() for ch in text):
                aim = None  # an emoji cheers or jeers, aimed at nothing in particular
            elif cls == "nuisance" and action is not None:
                aim = (action[1][1], action[1][2])  # jams and delays are the action's doing
            else:
                aim = _aim(start, end, cls, text, entities)
                if aim is None and cls in JUDGEMENTS and text.split()[0] not in PREFERENCES:
                    aim = _elsewhere(n, all_named)
            entity, label = aim if aim else ("none", "")
            side = _VOTES.get((cls, entity))
            if side is None:
                continue
            where = f' at "{label}" ({ENTITY_NAMES[entity]})' if aim else ""
            votes.append(_Vote(side, _WEIGHT[cls] * clause.weight, f'"{text}"{where}'))
    return votes


def classify(text: str, targets: Targets | None = None) -> Stance:
    """The kind of one reply toward a campaign with ``targets`` (none: the government and
    employers are still its targets), and why: the learned lexicon's (``content.stance_learned``),
    which reads what these rules find."""
    from content import stance_learned  # it builds on this module's rules, so imported here

    return stance_learned.classify(text, targets)


def classify_by_rules(text: str, targets: Targets | None = None) -> Stance:
    """The kind of one reply by the hand-written rules alone (1–4 above), and why."""
    clauses = _clauses(text or "")
    score, asked = _question(clauses)
    if score >= STRONG_QUESTION:
        return Stance("question", "question: " + ", ".join(asked))
    votes = _stance(clauses, _targets(targets or Targets()))
    if votes:
        totals = {side: sum(v.weight for v in votes if v.side == side) for side in (_S, _O)}
        if totals[_S] != totals[_O]:
            side = max(totals, key=lambda k: totals[k])
            mine = sorted((v for v in votes if v.side == side), key=lambda v: -v.weight)
            return Stance(side, f"{side}: " + "; ".join(v.why for v in mine[:2]))
    if score > 0:
        return Stance("question", "question: " + ", ".join(asked))
    if votes:
        return Stance("other", "other: support and oppose weigh the same: "
                      + "; ".join(v.why for v in votes[:2]))
    return Stance("other", "other: no question, no stance toward the campaign")


def names_something(target: str) -> bool:
    """Whether a declared target has a word the classifier can find in a reply (not only
    digits, punctuation or emoji)."""
    return any(t != BOUNDARY and any(ch.isalpha() for ch in t) for t in tokens(_HYPHEN_PREFIX.sub(r"\1 ", target)))
