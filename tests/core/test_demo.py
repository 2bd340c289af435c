"""``campaigner demo`` runs the main job end to end on a fresh SQLite file, offline."""
import re


def test_demo_end_to_end(cli, tmp_path):
    r = cli.ok("demo", "--dir", str(tmp_path / "demo"))
    out = r.stdout
    assert "Database sqlite:///" in out and "created (schema" in out
    assert "konfederasi: OK — signed in as @konfederasi" in out
    assert "Queued 2 posts (3 deliveries) from kalender.csv." in out
    # the clock is Monday 08:00 WIB: the 08:00 slot posts and the --now post are due
    published = re.search(r"Published (\d+), failed 0,", out)
    assert published and int(published.group(1)) >= 3
    assert re.search(r"Collected \d+ snapshots in \d+ requests", out)
    assert "Top posts" in out and "Needs attention" in out
    assert (tmp_path / "demo" / "demo.db").exists()


def test_demo_twice_in_one_folder_is_refused(cli, tmp_path):
    folder = tmp_path / "demo"
    cli.ok("demo", "--dir", str(folder))
    before = (folder / "demo.db").read_bytes()
    r = cli("demo", "--dir", str(folder))
    assert (r.exit_code, r.stderr) == (1, f"Error: {folder} holds an earlier demo already — give an empty folder "
                                          "with --dir, or leave --dir out for a new temporary one\n")
    assert r.stdout == "" and (folder / "demo.db").read_bytes() == before
