"""``campaigner demo`` runs the main job end to end on a fresh SQLite file, offline: publishing,
a few simulated hours of seeded engagement and replies, the inbox with a question answered through
``replies answer`` and the publisher, hashtag counts, and the weekly report with it all."""
import re


def _section(out: str, command: str) -> str:
    """What the demo printed for ``$ campaigner COMMAND`` (up to the next command or clock step)."""
    start = out.index(f"\n$ campaigner {command}\n")
    rest = out[start + 1:]
    ends = [i for i in (rest.find("\n$ campaigner ", 1), rest.find("\n# ", 1)) if i > 0]
    return rest[:min(ends)] if ends else rest


def test_demo_end_to_end(cli, tmp_path):
    r = cli.ok("demo", "--dir", str(tmp_path / "demo"))
    out = r.stdout
    assert "Demo clock: Monday 2026-11-30 08:00 WIB; it moves only when the demo moves it (no waiting)." in out
    assert "Database sqlite:///" in out and "created (schema" in out
    assert "konfederasi: OK — signed in as @konfederasi" in out
    assert "Queued 2 posts (3 deliveries) from kalender.csv." in out
    # the clock is Monday 08:00 WIB: the 08:00 slot posts and the --now post are due
    assert "Published 5, failed 0," in _section(out, "publish")

    # three hours later: seeded engagement and replies, sorted into kinds
    assert "\n# 3 hours later (11:00 WIB): people have liked, shared and answered\n" in out
    collected = _section(out, "metrics collect")
    assert "Collected 5 snapshots in 3 requests." in collected
    assert "New replies by kind: 1 question, 4 support, 4 oppose, 1 other." in collected

    # the inbox has the question; it is answered from the CLI and published by the engine
    inbox = _section(out, "replies list --limit 8")
    assert ("#10  new       question positive 2026-11-30 10:29 WITA  dedi_ojol on serikat-makassar (sandbox)  "
            "[urgent]\n    Ojol boleh ikut aksi gak? 🙏\n") in inbox
    assert "oppose" in inbox and "support" in inbox
    answer = _section(out, "replies answer 10 'Boleh banget! Semua pekerja, ojol juga, kumpul Rabu jam 09.00 di "
                           "depan DPR.'")
    assert "Queued post 6: the answer to reply 10 on serikat-makassar (sandbox), due 2026-11-30 11:00 WIB." in answer
    # the answer, and serikat-makassar's 12:00 WITA slot post
    assert "Published 2, failed 0," in out[out.index("$ campaigner replies answer"):]
    assert "\n# 1 hour later (12:00 WIB): the answer is out; collect again\n" in out
    assert _section(out, "replies list --state answered").startswith(
        "$ campaigner replies list --state answered\n"
        "#10  answered  question positive 2026-11-30 10:29 WITA  dedi_ojol on serikat-makassar (sandbox)\n")

    # listening: the sandbox counts the campaign's tags and the comparison tag
    listened = _section(out, "listen collect")
    assert ("Counted #UpahLayak #TolakTapera #TaperaUntukRakyat (upah-layak) from 2026-11-24 to 2026-11-30: "
            "21 day counts stored, 3 requests.") in listened
    assert "  sandbox sandbox: 21 day counts, 3 requests" in listened

    # the report: non-zero figures, the answered question, a share of voice
    report = _section(out, "report weekly --week 2026-W49")
    assert "Published:          6 posts (last week 0)" in report
    interactions = re.search(r"^Interactions: +([\d,]+) ", report, re.M)
    impressions = re.search(r"^Impressions: +([\d,]+) ", report, re.M)
    assert interactions and impressions
    assert (interactions.group(1), impressions.group(1)) == ("337", "9,321")
    assert "(6 of 6 posts measured)" in report
    assert "Top posts\n 1. 149 interactions, 6.2% · serikat-makassar (sandbox)" in report
    assert "1 question, 5 support, 5 opposition, 3 other; 1 answered" in report
    assert "Answers sent from the inbox: 1" in report
    assert "Questions still unanswered\n  None: every question of the week was answered or dismissed." in report
    assert ("Share of voice\n==============\n"
            "Upah Layak 2027 (upah-layak): #UpahLayak #TolakTapera vs #TaperaUntukRakyat\n"
            "  - sandbox (sandbox), 1 days: #UpahLayak ≥17 · #TolakTapera ≥71 ·\n"
            "    #TaperaUntukRakyat ≥101 · share ~46.6%\n") in report
    assert out.rstrip().endswith("post list")
    assert (tmp_path / "demo" / "demo.db").exists()


def test_demo_twice_in_one_folder_is_refused(cli, tmp_path):
    folder = tmp_path / "demo"
    cli.ok("demo", "--dir", str(folder))
    before = (folder / "demo.db").read_bytes()
    r = cli("demo", "--dir", str(folder))
    assert (r.exit_code, r.stderr) == (1, f"Error: {folder} holds an earlier demo already — give an empty folder "
                                          "with --dir, or leave --dir out for a new temporary one\n")
    assert r.stdout == "" and (folder / "demo.db").read_bytes() == before
