"""Stance toward the campaign (issue 12, item 3): question / support / oppose / other with the rule
or the learned features that decided, on examples: the labelled set (balanced, all of it training
data; the held-out part refused by training), the default classifier (a strong question by the
rules, else the learned lexicon), the rules alone rule by rule, the learned lexicon's features and
its weights (well formed, reproduced by retraining). Accuracy is bench/stance.py's to measure."""
from __future__ import annotations

import csv
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from content import stance_learned
from content.stance import KINDS, Stance, Targets, classify, classify_by_rules, names_something

DATA = Path(__file__).resolve().parent / "data" / "stance_labelled.csv"
#: the former held-out parts, each measured once and then folded into training
FORMER_HOLDOUTS = tuple(DATA.parent / f"stance_{name}.csv" for name in ("holdout4", "holdout5", "holdout6", "holdout7", "holdout8", "holdout9", "holdout10", "holdout11"))
ROOT = Path(__file__).resolve().parents[2]
TAPERA = Targets(("Tapera", "potongan upah"), ("upah layak",))
CIPTAKER = Targets(("omnibus law", "Cipta Kerja"), ())
OUTSOURCING = Targets(("outsourcing", "alih daya", "kontrak"), ("pekerja tetap",))
OJOL = Targets(("potongan aplikasi", "aplikator"), ("tarif layak",))
THR = Targets(("THR dicicil",), ("THR",))
PHK = Targets(("PHK sepihak",), ("pesangon",))

#: replies per kind (question, support, oppose, other) in each part of the training data: all of
#: stance_labelled.csv and the former held-out parts holdout4, holdout5, holdout6, holdout7, holdout8,
#: holdout9, holdout10 and holdout11 (the held-out part, holdout12, is a file of its own that nothing here reads;
#: bench/stance.py measures it);
#: tune5 was written for the opposition cross-validation missed, tune6 for the support holdout5 missed,
#: tune7 for the opposition holdout6 missed, tune8 for the support holdout7 missed, each
#: with the confusable replies of the other kinds; tune9 (for the opposition holdout8 missed) is
#: balanced: minimal pairs, the same angry words at the government's side and at the union's
SPLIT_SIZES = {"tune": (135,) * 4, "holdout2": (35,) * 4, "holdout3": (28,) * 4, "tune4": (52,) * 4,
               "tune5": (20, 25, 115, 15), "holdout4": (60,) * 4, "holdout5": (60,) * 4,
               "tune6": (30, 110, 30, 30), "tune7": (25, 15, 90, 15), "holdout6": (60,) * 4,
               "holdout7": (60,) * 4, "tune8": (10, 76, 25, 10), "holdout8": (60,) * 4,
               "tune9": (12, 34, 34, 12), "holdout9": (60,) * 4, "holdout10": (60,) * 4,
               "holdout11": (60,) * 4, "tune10": (100, 60, 49, 29), "tune11": (20, 100, 97, 17),
               "tune12": (60, 59, 60, 60)}
HELD_OUT = ("holdout12", "holdout13")


def _rows() -> list[dict[str, str]]:
    rows = []
    for path in (DATA, *FORMER_HOLDOUTS):
        with path.open(encoding="utf-8", newline="") as f:
            rows += list(csv.DictReader(f))
    return rows


def _targets(row: dict[str, str]) -> Targets:
    return Targets(tuple(t for t in row["against"].split(";") if t), tuple(t for t in row["for"].split(";") if t))


def test_the_labelled_set_is_large_balanced_and_split():
    rows = _rows()
    assert len(rows) >= 150
    # each file's replies are distinct; holdout4's writer wrote one tune4 reply again word for word
    # ("Mohon maaf lahir batin semuanya 🙏", ids 1000 and 1237, both other): kept, as written
    files = ("holdout4", "holdout5", "holdout6", "holdout7", "holdout8", "holdout9", "holdout10", "holdout11")
    for part in ([r for r in rows if r["split"] not in files], *([r for r in rows if r["split"] == f] for f in files)):
        assert len({r["text"] for r in part}) == len(part)
    counts = Counter((r["split"], r["kind"]) for r in rows)
    assert counts == {(split, kind): n for split, ns in SPLIT_SIZES.items() for kind, n in zip(KINDS, ns)}
    assert len({r["id"] for r in rows}) == len(rows)
    assert all(r["against"] or r["for"] for r in rows)  # each reply has its campaign's context


def test_training_refuses_the_held_out_part(tmp_path):
    """tools/train_stance.py never reads holdout12 (nor holdout13): not its file, not a row of it pasted
    into a file it is given; it says so in one line and writes nothing. holdout4 … holdout11, each measured once, are
    now trained on."""
    header = "id,split,campaign,against,for,kind,text\n"
    by_name = tmp_path / "stance_holdout12.csv"
    by_name.write_text(header + "3781,holdout12,tapera,Tapera,,oppose,Tapera bagus\n", encoding="utf-8")
    pasted = tmp_path / "labelled.csv"
    pasted.write_text(header + "1,tune,tapera,Tapera,,support,Tolak Tapera\n"
                      + "3782,holdout12,tapera,Tapera,,oppose,Tapera bagus\n", encoding="utf-8")
    former = tmp_path / "stance_holdout11.csv"
    former.write_text(header + "3541,holdout11,tapera,Tapera,,oppose,Tapera bagus\n"
                      + "3542,holdout11,tapera,Tapera,,support,Tolak Tapera\n", encoding="utf-8")
    out = tmp_path / "weights.tsv"
    how = (" — train on stance_labelled.csv, stance_holdout4.csv, stance_holdout5.csv, stance_holdout6.csv, "
           "stance_holdout7.csv, stance_holdout8.csv, stance_holdout9.csv, stance_holdout10.csv and "
           "stance_holdout11.csv and measure holdout12 and holdout13 with bench/stance.py")
    expected = {
        (by_name,): "Error: stance_holdout12.csv is the held-out part: it is never trained on" + how,
        (pasted,): "Error: labelled.csv has 1 reply(ies) of the held-out part 'holdout12' (ids 3782): they are "
                   "never trained on" + how,
        (former, by_name): "Error: stance_holdout12.csv is the held-out part: it is never trained on" + how,
    }
    for paths, message in expected.items():
        for cmd in (["write", "--out", str(out)], ["cv", "--sets", "words+bigrams"]):
            data = [arg for path in paths for arg in ("--data", str(path))]
            done = subprocess.run([sys.executable, str(ROOT / "tools" / "train_stance.py"), *data, *cmd],
                                  capture_output=True, text=True, cwd=ROOT)
            assert (done.returncode, done.stdout, done.stderr) == (1, "", message + "\n")
    assert not out.exists()
    # the former held-out part trains like the rest, once it has a reply of every kind
    train = [sys.executable, str(ROOT / "tools" / "train_stance.py"), "--data", str(former), "write", "--out", str(out)]
    done = subprocess.run(train, capture_output=True, text=True, cwd=ROOT)
    assert (done.returncode, done.stdout, done.stderr) == (
        1, "", "Error: no question and other reply to learn from — give replies of every kind "
               "(question, support, oppose, other)\n")
    assert not out.exists()
    with former.open("a", encoding="utf-8") as f:
        f.write("3543,holdout11,tapera,Tapera,,question,Tapera mulai kapan?\n3544,holdout11,tapera,Tapera,,other,nyimak\n")
    done = subprocess.run(train, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0 and out.exists()
    # the training data has no held-out row, and each held-out file, when the lead adds it, has
    # nothing else
    assert not any(r["split"] in HELD_OUT for r in _rows())
    for name in HELD_OUT:
        if (DATA.parent / f"stance_{name}.csv").exists():
            with (DATA.parent / f"stance_{name}.csv").open(encoding="utf-8", newline="") as f:
                assert {r["split"] for r in csv.DictReader(f)} == {name}


@pytest.mark.parametrize("text, targets, expected", [
    # the examples
    ("gak setuju sama pemerintah, upah udah kecil malah dipotong lagi", TAPERA,
     Stance("support", 'support: "tidak setuju" at "pemerintah" (government/employers); '
                       '"kecil" at "potongan upah" (what the campaign opposes)')),
    ("demo mulu, bikin macet", TAPERA, Stance("oppose", 'oppose: "demo terus" at "demo" (the action); "macet" at "demo" (the action)')),
    ("serikat cuma cari duit", TAPERA, Stance("oppose", 'oppose: "cari duit" at "serikat" (the union)')),
    ("Aksinya kumpul di mana?", TAPERA,
     Stance("question", 'question: question word "mana" ending its clause, "?", asks for "aksinya"')),
    ("formulir daftar anggota di mana", TAPERA,
     Stance("question", 'question: question word "mana" ending its clause, asks for "formulir"')),
    # questions: asking phrases, tag questions, other languages
    ("mau tanya, kalo udah punya rumah tetep kena potongan tapera ga", TAPERA,
     Stance("question", 'question: asking phrase "mau tanya", question word "… tidak" ending its clause')),
    ("info dong jadwal aksinya", TAPERA, Stance("question", 'question: asking phrase "info dong", asks for "jadwal"')),
    ("UMK jadi berapa min?", TAPERA,
     Stance("question", 'question: question word "berapa" ending its clause, "?", asks for "umk"')),
    ("Piye carane daftar?", TAPERA, Stance("question", 'question: question word "piye" ending its clause, "?", asks for "carane"')),
    ("Is there a bus from Bekasi?", TAPERA, Stance("question", 'question: question word "is …", "?"')),
    ("Kapan pemerintah sadar?", TAPERA, Stance("question", 'question: question word "kapan", "?"')),
    # rhetorical and indefinite question words ask nothing
    ("Gaji segitu mana cukup", TAPERA, Stance("support", 'support: "gaji segitu"; "mana cukup"')),
    ("Salah siapa?", TAPERA, Stance("other", "other: no question, no stance toward the campaign")),
    ("Outsourcing wajar di mana2", OUTSOURCING,
     Stance("oppose", 'oppose: "wajar" at "outsourcing" (what the campaign opposes)')),
    ("lancar kok", TAPERA, Stance("other", "other: no question, no stance toward the campaign")),
    # stance: what the cue is aimed at decides
    ("Tolak Tapera!!!", TAPERA, Stance("support", 'support: "tolak" at "Tapera" (what the campaign opposes)')),
    ("Tapera bagus kok, bantu anak muda punya rumah", TAPERA,
     Stance("oppose", 'oppose: "bagus" at "Tapera" (what the campaign opposes); '
                      '"bantu" at "Tapera" (what the campaign opposes)')),
    ("Upah layak harga mati", TAPERA,
     Stance("support", 'support: "harga mati" at "upah layak" (what the campaign is for); '
                       '"layak" at "upah layak" (what the campaign is for)')),
    ("Setujuuuu 💪💪", TAPERA, Stance("support", 'support: "setujuu"; "💪"')),
    ("Ga setuju sama postingan ini", TAPERA, Stance("oppose", 'oppose: "tidak setuju" at "postingan" (the post)')),
    ("Gak usah demo", TAPERA, Stance("oppose", 'oppose: "tidak usah" at "demo" (the action)')),
    ("Kerja aja yg bener", TAPERA, Stance("oppose", 'oppose: "kerja saja"')),
    ("hoax", TAPERA, Stance("oppose", 'oppose: "hoax"')),
    ("Serikat bikin perusahaan tutup", TAPERA,
     Stance("oppose", 'oppose: "tutup (caused by)" at "serikat" (the union)')),
    ("Ciptaker cuma nguntungin pengusaha", CIPTAKER,
     Stance("support", 'support: "cuma nguntungin" at "Cipta Kerja" (what the campaign opposes)')),
    # questions without a question mark: a tag ending the reply, "… atau …", "boleh …", the
    # question word followed only by what is asked for; "ditanya" (was asked) asks nothing
    ("ada webinar ttg tapera gak bulan ini", TAPERA,
     Stance("question", 'question: question word "… tidak" ending its clause')),
    ("Kalo pabrik relokasi terus kita nolak ikut, itu PHK bukan", PHK,
     Stance("question", 'question: question word "… bukan" ending its clause')),
    ("aksinya di Patung Kuda atau depan DPR", CIPTAKER,
     Stance("question", 'question: question word "… atau …", asks for "aksinya"')),
    ("Driver Maxim boleh gabung aksi juga", OJOL,
     Stance("question", 'question: question word "boleh …", asks for "aksi"')),
    ("Potongan aplikator sekarang sebenernya berapa persen sih", OJOL,
     Stance("question", 'question: question word "berapa" ending its clause, asks for "persen"')),
    ("THR dibayar paling lambat H-berapa", THR, Stance("question", 'question: question word "berapa" ending its clause')),
    ("Ono sing ngerti carane ngurus BPJS", OUTSOURCING,
     Stance("question", 'question: asking phrase "ono sing ngerti", asks for "carane"')),
    ("Massa bayaran, ditanya tuntutannya apa aja gak tau", CIPTAKER, Stance("oppose", 'oppose: "bayaran"')),
    ("emang tapera bisa buat renovasi rumah juga", TAPERA, Stance("question", 'question: question word "memang …"')),
    ("apa bener tapera bakal dipotong tiap bulan mulai 2027", TAPERA,
     Stance("question", 'question: asking phrase "apa benar"')),
    ("Tapera ini beda sama BPJS JHT kan", TAPERA, Stance("question", 'question: question word "… kan" ending its clause')),
    # a short "… kan" is emphasis; an asking word after its subject ("anak2 nanya") is no request
    ("Ojol demo lagi, orderan jadi sepi. Rugi sendiri kan", OJOL,
     Stance("oppose", 'oppose: "demo lagi" at "demo" (the action); "sepi" at "demo" (the action)')),
    ("Lebaran tinggal seminggu THR belum turun, anak2 nanya baju baru 😢", THR,
     Stance("support", 'support: "belum turun" at "THR" (what the campaign is for)')),
    # "jangan egois": an admonition still accuses
    ("Perusahaan juga butuh fleksibilitas, jangan egois", OUTSOURCING, Stance("oppose", 'oppose: "jangan egois"')),
    # "kontrak" inside "buruh kontrak" names workers, not the contracts the campaign opposes
    ("Wis wayahe buruh kontrak diangkat kabeh", OUTSOURCING,
     Stance("support", 'support: "wayahe" at "buruh kontrak" (workers); "diangkat" at "buruh kontrak" (workers)')),
    # a judgement in a clause naming nothing judges what the reply named before
    ("Kerja bertahun-tahun tp statusnya tetep kontrak, ga adil bgt", OUTSOURCING,
     Stance("support", 'support: "tidak adil" at "kontrak" (what the campaign opposes)')),
    # jams and losses are the action's doing wherever the action is named
    ("Tiap minggu demo, jalanan macet, yg rugi rakyat kecil juga", CIPTAKER,
     Stance("oppose", 'oppose: "macet" at "demo" (the action); "rugi" at "demo" (the action)')),
    # an emoji cheers at nothing in particular ("🔥" after "Tapera" is no praise of Tapera)
    ("Tolak Tapera sampai kapanpun 🔥", TAPERA,
     Stance("support", 'support: "tolak" at "Tapera" (what the campaign opposes); "🔥"')),
    # a preference is about what follows it
    ("THR dicicil itu solusi, daripada ga dapet sama sekali", THR,
     Stance("oppose", 'oppose: "itu solusi" at "THR dicicil" (what the campaign opposes)')),
    ("Daripada demo mending cari kerja baru", PHK,
     Stance("oppose", 'oppose: "cari kerja" at "demo" (the action); "daripada" at "demo" (the action)')),
    ("Mending duitnya buat makan daripada buat Tapera yg gak jelas", TAPERA,
     Stance("support", 'support: "daripada" at "Tapera" (what the campaign opposes); '
                       '"tidak jelas" at "Tapera" (what the campaign opposes)')),
    # fellow workers are workers, not the thing the campaign opposes that names them
    ("Support penuh perjuangan teman2 alih daya 💪", OUTSOURCING,
     Stance("support", 'support: "support" at "teman" (workers); "perjuangan" at "teman" (workers)')),
    # no stance toward the campaign
    ("Semoga kita semua sehat selalu", TAPERA, Stance("other", "other: no question, no stance toward the campaign")),
    ("Fotonya keren bgt", TAPERA, Stance("other", "other: no question, no stance toward the campaign")),
    ("nyimak", TAPERA, Stance("other", "other: no question, no stance toward the campaign")),
    ("", TAPERA, Stance("other", "other: no question, no stance toward the campaign")),
])
def test_rules_and_their_reasons(text, targets, expected):
    assert classify_by_rules(text, targets) == expected


def test_the_campaign_targets_turn_the_same_words_around():
    text = "Tapera bagus kok"
    for fn in (classify, classify_by_rules):
        assert fn(text, Targets()).kind == "other"  # praise of something the campaign never named
        assert fn(text, Targets(against=("Tapera",))).kind == "oppose"
        assert fn(text).kind == "other"
    assert classify_by_rules(text, Targets(for_=("Tapera",))).kind == "support"


@pytest.mark.xfail(strict=True, reason="a known error: the learned lexicon saw few replies praising what a "
                   "campaign is for, and many more opposing ones since tune5; it reads this praise as opposition "
                   "(under tune6's weights as no stance, other; under tune7's as opposition again)")
def test_the_learned_lexicon_reads_praise_of_what_the_campaign_is_for_as_support():
    assert classify("Tapera bagus kok", Targets(for_=("Tapera",))).kind == "support"


@pytest.mark.xfail(strict=True, reason="known errors of the tf-idf weights (2026-12-07), each a close call: a "
                   "short complaint asked with 'kapan' and '?' reads as a question (it is support: nothing in it "
                   "can be answered); thanks with '!' reads as support ('!' weighs much in a reply of three words)")
@pytest.mark.parametrize("text, targets, kind", [("Kapan pemerintah mau sadar?", TAPERA, "support"),
                                                 ("Terima kasih guru!", None, "other")])
def test_known_errors_of_short_replies(text, targets, kind):
    assert classify(text, targets).kind == kind


def test_the_learned_lexicon_reads_praise_of_what_the_campaign_is_against_for_the_people_as_oppose():
    assert classify("Tapera bagus buat rakyat", Targets(against=("Tapera",))).kind == "oppose"


def test_multi_word_targets_acronyms_and_common_words():
    # "Ciptaker" names "Cipta Kerja"; "omnibus" alone names "omnibus law" ("law" is an everyday word)
    assert classify_by_rules("Tolak ciptaker", CIPTAKER).reason == \
        'support: "tolak" at "Cipta Kerja" (what the campaign opposes)'
    assert classify_by_rules("Cabut omnibus sekarang", CIPTAKER).reason == \
        'support: "cabut" at "omnibus law" (what the campaign opposes)'
    # "upah" alone does not name "upah layak": praise of "upah" is no stance
    assert classify_by_rules("upahnya lumayan", Targets(for_=("upah layak",))).kind == "other"
    assert "w:@against" in stance_learned.features("Tolak ciptaker", CIPTAKER)
    assert "w:@against" not in stance_learned.features("upahnya lumayan", Targets(for_=("upah layak",)))


@pytest.mark.parametrize("text, targets, expected", [
    # every reply is the learned lexicon's, with the features that moved it most and their weights;
    # a question too (the rules' strong questions are no longer put in front of it)
    ("Aksinya kumpul di mana?", TAPERA,
     Stance("question", "question: learned: '?' +1.7, 'mana' +1.3, 'kumpul' +0.8")),
    ("mau tanya, kalo udah punya rumah tetep kena potongan tapera ga", TAPERA,
     Stance("question", "question: learned: 'tidak' +0.5, 'kena' +0.4, 'tanya' +0.4")),
    ("kalau hujan aksinya tetap jalan?", TAPERA,
     Stance("question", "question: learned: '?' +1.9, 'kalau' +0.7, '^kalau' +0.6")),
    # a complaint about the government asked as a question sides with the campaign
    ("Kok tega ya pemerintah motong gaji buruh?", TAPERA,
     Stance("support", "support: learned: tone complain +0.7, names adversary +0.5, cue negative +0.4")),
    ("gak setuju sama pemerintah, upah udah kecil malah dipotong lagi", TAPERA,
     Stance("support", "support: learned: names adversary +0.5, '@against' +0.5, cue hardship +0.4")),
    ("demo mulu, bikin macet", TAPERA,
     Stance("oppose", "oppose: learned: 'demo' +1.2, cue attack +1.2, names action +1.1")),
    # what a cue is aimed at is a feature of its own
    ("serikat cuma cari duit", TAPERA,
     Stance("oppose", "oppose: learned: cue attack +1.4, names union +1.3, '^serikat' +0.8")),
    ("Tolakkkkkkk Tapera!!", TAPERA,  # stretched letters count once
     Stance("support", "support: learned: \"!\" +2.4, '^tolak' +1.1, '@against' +0.9")),
    # mockery of the union's leaders: praise words, but the union named, and a laugh
    ("hebat ya serikat, nolak rumah rakyat wkwk", TAPERA,
     Stance("oppose", "oppose: learned: names union +0.8, tone laugh +0.6, 'nolak' +0.4")),
    ("nyimak", TAPERA,
     Stance("other", "other: learned: a short reply +1.6, 'nyimak' +1.1, '^nyimak' +0.3")),
    ("zzz", TAPERA, Stance("other", "other: learned: a short reply +4.0")),  # only its shape is known
    ("qzx vwq xqz zzq wkq", TAPERA, Stance("other", "other: learned: the prior")),  # no known feature: the prior
])
def test_the_default_classifier_and_its_reasons(text, targets, expected):
    assert classify(text, targets) == expected


@pytest.mark.parametrize("text, expected", [
    # who a word is aimed at: the same "lebay" takes the union's side or the campaign's
    ("serikat lebay", {"a:dismiss>union"}),
    ("pemerintah lebay", {"a:dismiss>adversary"}),
    # what a negation reaches
    ("gak usah demo", {"a:reject>action", "x:usah", "x:demo"}),
    # praise with a laugh is mockery; a rhetorical question, asked or not
    ("Tapera bagus wkwk", {"a:praise>against", "h:mock+praise"}),
    ("Gaji segitu mana cukup?", {"a:hardship>none", "h:rhetorical?"}),
    ("Gaji segitu mana cukup", {"a:hardship>none", "h:rhetorical"}),
    ("nyimak", set()),
])
def test_learned_features_of_aim_negation_and_rhetoric(text, expected):
    assert stance_learned.features(text, TAPERA, groups=("a", "x", "h")) == expected


@pytest.mark.parametrize("text, expected", [
    # advice, blame and accusation aimed at the campaign's side, a laugh, and a "?" on them: a
    # mocking or blaming question is not one to answer
    ("Salah sendiri gak bisa ngatur gaji", {"m:blame"}),
    ("Bersyukur masih ada kerjaan wkwkwk 🤣", {"m:advice", "m:laugh"}),
    ("Beneran buruh atau massa bayaran nih?", {"m:accuse", "m:accuse?"}),
    ("Kalian kira bayar listrik pabrik pake daun?", {"m:address", "m:address?"}),
    # the same advice reported and answered back ("disuruh …") is marked so
    ("Disuruh kerja keras, udah lembur", {"m:advice", "m:reported", "m:reported+advice"}),
    # a short word is matched whole: "lo" (you) is not the start of "lokasi"
    ("Lokasi titik kumpul di mana lur", set()),
    # a complaint asked as a question asks nothing, with "?" or without
    ("Sampai kapan buruh harus nombok?", {"m:complain", "m:complain?"}),
    ("Gimana mau nyicil motor coba", {"m:complain"}),
])
def test_learned_features_of_how_a_reply_talks_down(text, expected):
    assert stance_learned.features(text, TAPERA, groups=("m",)) == expected


@pytest.mark.parametrize("text, expected", [
    # a demand, a short reply, emoji only, the writer's own life told without a question
    ("Stop PHK massal berkedok efisiensi!!!", {"p:!"}),
    ("lawan!", {"p:!", "p:short"}),
    ("✊🔥", {"p:emoji", "p:short"}),
    ("Anak sy minta sepatu baru, sy cuma bisa bilang nanti ya nak", {"p:own"}),
    ("Sy ikut aksi gak ya?", set()),  # the writer's own, but asked
    ("nyimak", {"p:short"}),
    ("hidup buruh", {"p:short"}),
    ("Tapera bagus kok", set()),  # short, but it names a campaign target: its words decide
])
def test_learned_features_of_a_replys_shape(text, expected):
    assert stance_learned.features(text, TAPERA, groups=("p",)) == expected


def test_the_weights_file_is_well_formed_and_small():
    path = ROOT / "content" / "data" / stance_learned.WEIGHTS
    assert path.stat().st_size < 300_000  # 4,364 training replies: about 6,700 features (|w| < 0.3 pruned)
    m = stance_learned.model()
    assert len(m.weights) > 100 and stance_learned.BIAS in m.weights and stance_learned.BIAS not in m.idf
    assert m.idf.keys() == m.weights.keys() - {stance_learned.BIAS}
    groups = {f.partition(":")[0] for f in m.idf}
    assert groups == set(stance_learned.GROUPS)
    assert all(len(w) == len(KINDS) and all(abs(v) < 30 for v in w) for w in m.weights.values())
    assert all(1 <= v < 10 for v in m.idf.values())
    for bad, line in (("bias\t\t0\t0\t0\t0\nw:x\t1\t2\n", 2), ("bias\t1\t0\t0\t0\t0\n", 1),
                      ("bias\t\t0\t0\t0\t0\nw:x\t\t1\t2\t3\t4\n", 2), ("bias\t\t0\t0\t0\t0\nw:x\tx\t1\t2\t3\t4\n", 2)):
        with pytest.raises(ValueError, match=rf"stance_weights.tsv:{line}: expected a new feature, its idf and 4 weights"):
            stance_learned.parse(bad)
    with pytest.raises(ValueError, match="no 'bias' row"):
        stance_learned.parse("w:x\t1\t1\t2\t3\t4\n")
    assert stance_learned.parse("feature\tidf\tquestion\tsupport\toppose\tother\nbias\t\t0\t1\t0\t0\n"
                                "w:x\t2\t1\t0\t0\t0\n").kind({"w:x", "w:unknown"})[0] == "question"


def test_a_replys_features_are_weighed_tf_idf():
    """Each known feature weighs its idf, the reply's known features scaled to unit length (a
    feature the table lacks counts in neither); each kind's score is the bias plus the weights
    times those values, and the reason's amounts are those values' share of the kind."""
    m = stance_learned.parse("bias\t\t0.5\t0\t0\t0\nw:a\t3\t1\t0\t0\t-1\nw:b\t4\t0\t2\t0\t-2\n")
    assert m.values({"w:a", "w:b", "w:unknown"}) == pytest.approx({"w:a": 0.6, "w:b": 0.8})
    assert m.values({"w:unknown"}) == {}
    assert m.scores({"w:a", "w:b", "w:unknown"}) == pytest.approx([0.5 + 0.6, 1.6, 0, -0.6 - 1.6])
    assert m.scores({"w:a"}) == pytest.approx([1.5, 0, 0, -1])  # alone: its value is 1, whatever its idf
    assert m.explain({"w:a", "w:b"}, "support") == [("w:b", pytest.approx(0.8 * (2 - 0)))]


def test_retraining_reproduces_the_shipped_weights(tmp_path):
    """The shipped table is what the training data gives: the same features and idf, and the same
    weights but for the last decimal (another release of scikit-learn or its BLAS may stop its
    solver a hair away; on one machine the table comes out the same byte for byte)."""
    out = tmp_path / "weights.tsv"
    subprocess.run([sys.executable, str(ROOT / "tools" / "train_stance.py"), "write", "--out", str(out)],
                   check=True, capture_output=True, cwd=ROOT)
    again, shipped = stance_learned.parse(out.read_text(encoding="utf-8")), stance_learned.model()
    assert again.idf == shipped.idf and again.weights.keys() == shipped.weights.keys()
    assert all(abs(a - b) <= 0.002 for f, ws in shipped.weights.items() for a, b in zip(ws, again.weights[f]))


def test_hostile_input_is_classified_without_error():
    for text in ("?" * 10_000, "\x00\u202e" * 50, "🔥" * 500, "a" * 100_000, "di-" * 30, "? ? ?"):
        assert classify(text, TAPERA).kind in KINDS
        assert classify_by_rules(text, TAPERA).kind in KINDS


def test_names_something():
    assert names_something("Tapera") and names_something("PP 51") and names_something("#TolakTapera")
    assert not names_something("123") and not names_something("✊✊") and not names_something("  ")


def test_importing_stance_loads_no_textblob_and_reads_no_network():
    code = ("import sys, socket\n"
            "socket.socket = None\n"
            "from content.stance import classify, Targets\n"
            "print(classify('Tolak Tapera!', Targets(('Tapera',))).kind)\n"
            "print('textblob' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["support", "False"]
