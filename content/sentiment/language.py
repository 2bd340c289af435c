"""A cheap offline guess between Indonesian and English, from function-word counts.

Replies are short, informal and often mix the two languages, so this counts marker words
(function words, common slang, the union's everyday vocabulary, and for Indonesian the
sentiment lexicon's words and ``-nya`` forms) on normalised tokens, and names a language only
when one side clearly outweighs the other. A platform's own language tag wins when it names
Indonesian or English.
"""
from __future__ import annotations

import re

from content.sentiment.lexicon import lexicon
from content.sentiment.normalise import BOUNDARY, collapse_runs, tokens

ID_MARKERS = frozenset(
    # function words (standard forms: slang is normalised to them first)
    "yang dan di ke dari ini itu dengan untuk tidak bukan belum sudah akan ada juga saja karena "
    "kami kita saya kamu mereka dia kalian beliau pada oleh atau tapi tetapi namun jika kalau "
    "agar supaya bisa harus sangat banget lebih masih lagi sama seperti bagaimana mengapa apa "
    "siapa kapan mana jadi sekarang semua banyak hanya cuma terus memang adalah bahwa telah "
    "sedang mari ayo yuk para tanpa kurang jangan sekali setiap tiap bagi antara hingga sampai "
    "sehingga ketika saat setelah sebelum begini begitu gini gitu sini situ tahu mau punya buat "
    "dapat biar soal atas bawah dalam luar baru lama nanti kemarin besok hari tahun bulan orang "
    "sih dong deh kok nih tuh ya lah kan loh pun kah doang tolong sungguh "
    "tidakapa tidakhanya tidaksabar bukanmain "
    # the confederation's everyday vocabulary
    "buruh upah gaji pekerja kawan pemerintah rakyat kebijakan perusahaan serikat tuntut hak "
    "aksi mogok pesangon lembur kontrak tetap layak negara rumah iuran potongan".split()
)
EN_MARKERS = frozenset(
    "the a an and or but is are was were be been being not no this that these those with for "
    "of to in on at by from we you they he she it i me my our your their his her its us them "
    "what how why who when where which will would should can could do does did have has had "
    "just very so all more about than there here if because only also really never always "
    "don't doesn't isn't aren't can't won't it's i'm we're they're that's "
    "workers worker wage wages union unions policy government people pay jobs job families "
    "family rights strike housing fund "
    # English words also common in Indonesian replies, and in our Indonesian lexicon: they
    # are counted as English, never as Indonesian evidence
    "good great bad nice love hate terrible awful agree disagree fair unfair thanks thank "
    "support best worst proud happy sad strong shame wrong right stupid sorry respect step "
    "yes".split()
)
#: words common in both languages' replies: evidence for neither
NEITHER = frozenset("ok okay wow top super haha video link info admin min oke".split())
#: tags meaning "no language / undetermined" (X uses und, zxx and qme/qht/qam for
#: media, hashtag or mention-only posts); ignored like a missing hint
_UNDETERMINED = {"und", "zxx", "mul", "qme", "qht", "qam", "qct", "qst", "xx"}
_HINTS = {
    "id": "id", "in": "id", "ind": "id", "indonesian": "id", "bahasa indonesia": "id",
    "en": "en", "eng": "en", "english": "en",
}
_SPLIT = re.compile(r"[-_]")


def normalise_hint(hint: str | None) -> str | None:
    """``"id"`` or ``"en"`` for a platform language tag that names one ("in", "id-ID",
    "en_US", "eng"...), else None (missing, undetermined, or another language)."""
    if not hint or not isinstance(hint, str):
        return None
    hint = hint.strip().lower()
    if hint in _HINTS:
        return _HINTS[hint]
    primary = _SPLIT.split(hint, 1)[0]
    if primary in _UNDETERMINED:
        return None
    return _HINTS.get(primary)


def marker_counts(text: str) -> tuple[int, int]:
    """``(indonesian, english)`` marker-word counts in ``text``."""
    words = lexicon()
    id_n = en_n = 0
    for tok in tokens(text):
        if tok == BOUNDARY or tok in NEITHER or not tok.isalpha() and "'" not in tok:
            continue
        if tok in EN_MARKERS:
            en_n += 1
        elif (tok in ID_MARKERS or any(form in words for form in collapse_runs(tok))
              or (len(tok) > 5 and tok.endswith("nya"))):
            id_n += 1
    return id_n, en_n


def detect_language(text: str, hint: str | None = None) -> str | None:
    """``"id"``, ``"en"`` or None for ``text``.

    A ``hint`` that names Indonesian or English (a platform's language tag: "in", "id", "en",
    "en-GB"...) wins. Otherwise the side with more marker words wins if it has at least one
    and at least twice as many as the other; None when neither does (links, emoji or numbers
    only, a lone word the lists don't know, or an even mix of both languages).
    """
    hinted = normalise_hint(hint)
    if hinted:
        return hinted
    id_n, en_n = marker_counts(text)
    if id_n >= 1 and id_n >= 2 * en_n:
        return "id"
    if en_n >= 1 and en_n >= 2 * id_n:
        return "en"
    return None
