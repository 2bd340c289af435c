"""Tokenising and normalising informal Indonesian social-media text (standard library only).

Replies are full of slang spellings ("gak", "yg", "bgt"), stretched letters ("bagusss"),
reduplication ("kawan2", "baik-baik"), hashtags, mentions, links and emoji. This module turns
such text into a list of lowercase standard forms, with ``BOUNDARY`` marking clause ends, so
that the analyser's lexicon lookup and negation scope can work on it. No NLTK: the tokenizer is
one regular expression.
"""
from __future__ import annotations

import re

#: token standing for a clause boundary (. , ! ? ; : and line breaks): negation and
#: intensifiers do not reach across it
BOUNDARY = "|"

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<!\w)@\w+")
_HASHTAG = re.compile(r"#(\w+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
# skin tones, variation selectors and zero-width joiners: "👍🏽" and "❤️" look up as "👍", "❤"
_EMOJI_NOISE = re.compile("[\U0001F3FB-\U0001F3FF\uFE0E\uFE0F\u200D]")
_EMOJI = "[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF]"
_TOKEN = re.compile(
    r"(?P<emoticon>(?<!\w)[:;=]['’]?-?[()dDpP](?!\w))"
    rf"|(?P<emoji>{_EMOJI})"
    r"|(?P<word>[^\W\d_]+(?:['’][^\W\d_]+)*(?:-[^\W\d_]+)*2?)"
    r"|(?P<boundary>[.!?,;:\n]+)"
)
_RUN3 = re.compile(r"(.)\1{2,}")
_RUN2 = re.compile(r"(.)\1+")
_LAUGH = re.compile(r"^(?:a?w?k)*(?:wk)+w?k?$|^(?:ha|he|hi|hua|wka)+h?$")

#: informal spelling -> standard form (a value with spaces becomes several tokens)
SLANG: dict[str, str] = {
    # negation
    **dict.fromkeys(
        "gak ga gk g gag ngak nggak ngga nggk engga enggak kagak kaga ndak nda ndk tdk tak "
        "tida gx ogak".split(), "tidak"),
    **dict.fromkeys("bkn bukn".split(), "bukan"),
    **dict.fromkeys("blm blom belom blum".split(), "belum"),
    **dict.fromkeys("jgn jngn jangn".split(), "jangan"),
    **dict.fromkeys("krg krng kurg".split(), "kurang"),
    "gausah": "tidak usah", "gausa": "tidak usah", "gamau": "tidak mau", "gamao": "tidak mau",
    "gabisa": "tidak bisa", "gbs": "tidak bisa", "gatau": "tidak tahu", "gtw": "tidak tahu",
    "gaada": "tidak ada", "gada": "tidak ada", "gpp": "tidak apa", "gapapa": "tidak apa",
    "gakpapa": "tidak apa", "nggakpapa": "tidak apa",
    # intensifiers
    **dict.fromkeys("bgt bngt bgtt bngtt bangettt bangt bnget bingit".split(), "banget"),
    **dict.fromkeys("sgt sngt".split(), "sangat"),
    "bener-bener": "sungguh", "benar-benar": "sungguh", "betul-betul": "sungguh",
    "bener2": "sungguh", "benar2": "sungguh", "btl2": "sungguh", "bnr2": "sungguh",
    # function words
    "yg": "yang", "yng": "yang",
    **dict.fromkeys("krn krna karna coz".split(), "karena"),
    **dict.fromkeys("dgn dg dng dngn".split(), "dengan"),
    **dict.fromkeys("utk untk tuk".split(), "untuk"),
    **dict.fromkeys("sdh udah udh uda dah sudh udeh".split(), "sudah"),
    **dict.fromkeys("emg emang emng mmg".split(), "memang"),
    **dict.fromkeys("bener bnr bner".split(), "benar"),
    "btl": "betul",
    **dict.fromkeys("tp tpi".split(), "tapi"),
    **dict.fromkeys("aja aj ajah ajaa".split(), "saja"),
    **dict.fromkeys("sm ama".split(), "sama"),
    **dict.fromkeys("dr dri".split(), "dari"),
    "pd": "pada", "thd": "terhadap", "sbg": "sebagai", "spy": "supaya",
    **dict.fromkeys("kalo klo kl klau".split(), "kalau"),
    **dict.fromkeys("sy aku gw gue gua ane".split(), "saya"),
    **dict.fromkeys("lo lu elo elu loe ente km".split(), "kamu"),
    "kt": "kita", "kmi": "kami", "org": "orang", "orng": "orang",
    **dict.fromkeys("jd jdi".split(), "jadi"),
    **dict.fromkeys("lg lgi".split(), "lagi"),
    **dict.fromkeys("msh masi".split(), "masih"),
    **dict.fromkeys("bs bsa".split(), "bisa"),
    **dict.fromkeys("spt sprt kyk kayak kek kaya".split(), "seperti"),
    **dict.fromkeys("gmn gmna gimana".split(), "bagaimana"),
    **dict.fromkeys("knp napa ngapa".split(), "mengapa"),
    "kpn": "kapan",
    **dict.fromkeys("skrg skg skrng".split(), "sekarang"),
    **dict.fromkeys("hrs hrus".split(), "harus"),
    **dict.fromkeys("trs trus mulu melulu".split(), "terus"),
    **dict.fromkeys("cm cuman".split(), "cuma"),
    **dict.fromkeys("sampe ampe".split(), "sampai"),
    "tau": "tahu", "liat": "lihat", "bikin": "buat", "dpt": "dapat", "bnyk": "banyak",
    "yaudah": "ya sudah",
    # sentiment words
    "bgs": "bagus", "jlk": "jelek",
    **dict.fromkeys("mantul mantab mantep mantaps mantaap".split(), "mantap"),
    **dict.fromkeys("makasih makasi mksh mkasih trims trimakasih tq".split(), "terimakasih"),
    "thx": "thanks", "tks": "thanks",
    **dict.fromkeys("smg moga mudah2an".split(), "semoga"),
    **dict.fromkeys("aamiin amiin aamin".split(), "amin"),
    **dict.fromkeys("zolim dzalim dzolim zholim zhalim lalim".split(), "zalim"),
    **dict.fromkeys("goblog goblik gblk gblg".split(), "goblok"),
    "begok": "bego", "tlol": "tolol", "anjg": "anjing", "bgst": "bangsat",
    **dict.fromkeys("hadeuh hadehh haduh".split(), "hadeh"),
    "kesel": "kesal", "ksl": "kesal", "cape": "capek",
    "sia-sia": "percuma", "sia2": "percuma",
}

#: two tokens read as one unit (after slang mapping)
PHRASES: dict[tuple[str, str], str] = {
    ("terima", "kasih"): "terimakasih",
    ("luar", "biasa"): "luarbiasa",
    ("omong", "kosong"): "omongkosong",
    ("janji", "manis"): "janjimanis",  # empty promises, not sweet ones
    ("sapi", "perah"): "sapiperah",  # milch cow: exploited
    ("bukan", "main"): "bukanmain",  # "bukan main bagus" = extraordinarily good: not a negation
    ("tidak", "apa"): "tidakapa",  # "gapapa" = it's fine: no negation of what follows
    ("tidak", "papa"): "tidakapa",
    ("tidak", "hanya"): "tidakhanya",  # "not only ... (but also)"
    ("tidak", "cuma"): "tidakhanya",
    ("bukan", "hanya"): "tidakhanya",
    ("bukan", "cuma"): "tidakhanya",
    ("bukan", "sekadar"): "tidakhanya",
    ("tidak", "sabar"): "tidaksabar",  # "can't wait": eager more than impatient
    ("kurang", "lebih"): "kuranglebih",  # "more or less"
    **{("hidup", w): "hidupburuh" for w in
       ("buruh", "pekerja", "rakyat", "perempuan", "petani", "mahasiswa", "kspi", "serikat")},
}


def collapse_runs(word: str) -> list[str]:
    """``word`` and its forms with stretched letters shortened: "bagusss" -> "baguss", "bagus"."""
    out = [word]
    for form in (_RUN3.sub(r"\1\1", word), _RUN2.sub(r"\1", word)):
        if form not in out:
            out.append(form)
    return out


def _normalise_word(word: str) -> list[str]:
    """Standard form(s) of one lowercase word token."""
    for form in collapse_runs(word):
        if form in SLANG:
            return SLANG[form].split()
    if _LAUGH.match(word):
        return ["haha"]
    if word.endswith("2") and len(word) > 2:  # "kawan2" = "kawan-kawan"
        return _normalise_word(word[:-1])
    if "-" in word:
        parts = word.split("-")
        if all(p == parts[0] for p in parts):  # "baik-baik" -> "baik"
            return _normalise_word(parts[0])
    if len(word) > 3 and _RUN3.search(word):
        return [_RUN3.sub(r"\1\1", word)]
    return [word]


def tokens(text: str) -> list[str]:
    """Lowercase standard-form tokens of ``text``, with ``BOUNDARY`` between clauses.

    Links and @mentions are dropped, hashtags become their words ("#TolakTapera" -> "tolak",
    "tapera"), slang is mapped to standard spellings and known two-word phrases are joined.
    """
    text = _URL.sub(" ", text)
    text = _MENTION.sub(" ", text)
    text = _HASHTAG.sub(lambda m: " " + _CAMEL.sub(" ", m.group(1)) + " ", text)
    text = _EMOJI_NOISE.sub("", text)
    out: list[str] = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        value = m.group().lower()
        if kind == "boundary":
            if out and out[-1] != BOUNDARY:
                out.append(BOUNDARY)
        elif kind == "word":
            out.extend(_normalise_word(value.replace("’", "'")))
        else:
            out.append(value.replace("’", "'"))
    while out and out[-1] == BOUNDARY:
        out.pop()
    joined: list[str] = []
    for tok in out:
        if joined and (joined[-1], tok) in PHRASES:
            joined[-1] = PHRASES[(joined[-1], tok)]
        else:
            joined.append(tok)
    return joined
