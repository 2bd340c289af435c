"""Public media hosting through real parts: a real web server on 127.0.0.1 serving public_dir
(and ones that redirect, answer HTML, send the wrong type or trickle), a real S3-compatible server
(moto in server mode), the real database and CLI. Time passes through ``now``, never sleeps."""
from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import stat
import threading
from datetime import timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer, BaseHTTPRequestHandler
from pathlib import Path

import pytest

from campaigner.app import App
from campaigner.config import resolve
from campaigner.errors import CampaignerError, ConfigError
from campaigner.media_host import MediaHost, fetch_public
from campaigner.media_host.host import is_name, probe_jpeg
from tests.conftest import T0

NAME = r"[0-9a-f]{16}-[0-9a-f]{32}\.jpg"


# --- real web servers -------------------------------------------------------------------------

class _Quiet:
    def log_message(self, *args):  # no access log on stderr
        pass


class _DirHandler(_Quiet, SimpleHTTPRequestHandler):
    pass


class _OctetHandler(_DirHandler):
    extensions_map = {".jpg": "application/octet-stream"}


class _RedirectHandler(_Quiet, BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(301)
        self.send_header("Location", "https://www.kspi.example/media" + self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()


class _HtmlHandler(_Quiet, BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"<html><body>Selamat datang di KSPI</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _HugeHandler(_Quiet, BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.end_headers()
        for _ in range(64):
            self.wfile.write(b"\xff" * 65536)


class _TrickleHandler(_Quiet, BaseHTTPRequestHandler):
    """Answers at once, then sends one byte every 20 ms (for 0.8 s, then hangs up): each
    read succeeds, so only a total deadline ends the fetch in time."""

    stop: threading.Event

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        try:
            for _ in range(40):
                if self.stop.wait(0.02):
                    break
                self.wfile.write(b"\xff")
                self.wfile.flush()
        except OSError:
            pass


class _SlowHeadersHandler(_TrickleHandler):
    """Sends its headers one byte every 20 ms (for 0.8 s): only a total deadline sees it is late."""

    def do_GET(self):
        self.wfile.write(b"HTTP/1.0 200 OK\r\n")
        try:
            for byte in b"X-Padding: " + b"a" * 29:
                if self.stop.wait(0.02):
                    break
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
        except OSError:
            pass


@pytest.fixture
def web():
    """``web(handler)`` serves on 127.0.0.1 and returns the base URL ("http://127.0.0.1:port/")."""
    servers, stop = [], threading.Event()

    def start(handler) -> str:
        if isinstance(handler, type) and issubclass(handler, _TrickleHandler):
            handler.stop = stop
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    stop.set()
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def public_dir(tmp_path) -> Path:
    return tmp_path / "www" / "media"


@pytest.fixture
def served(web, public_dir) -> str:
    """public_dir served by a real web server (as a union's nginx would)."""
    public_dir.parent.mkdir(parents=True, exist_ok=True)
    return web(partial(_DirHandler, directory=str(public_dir.parent))) + "media/"


def make_app(tmp_path, db_url, clock, media_toml: str, env: dict | None = None) -> App:
    cfg = tmp_path / "config.toml"
    cfg.write_text("[media]\n" + media_toml)
    env = {"CAMPAIGNER_HOME": str(tmp_path / "data"), **(env or {})}
    app = App(resolve({"database_url": db_url}, env=env, config_path=cfg), now=clock)
    app.secrets.env = env
    return app


@pytest.fixture
def host(tmp_path, db_url, clock, served, public_dir):
    app = make_app(tmp_path, db_url, clock, f'public_url = "{served}"\npublic_dir = "{public_dir}"\n')
    yield MediaHost.open(app)
    app.close()


def jpeg(tmp_path, name: str, seed: bytes = b"") -> Path:
    """A file that starts and ends like a JPEG; the same ``seed`` gives the same bytes."""
    path = tmp_path / name
    path.write_bytes(b"\xff\xd8\xff\xfe\x00\x22" + hashlib.sha256(seed).digest() + seed + b"\xff\xd9")
    return path


# --- configuration ----------------------------------------------------------------------------

@pytest.mark.parametrize("table, message", [
    ('public_dir = "/srv/m"\n', "'public_url' is missing in the [media] table of {cfg} — e.g. public_url = "
     '"https://media.kspi.example/campaigner/" (Meta fetches the files there)'),
    ('public_url = "http://media.kspi.example/"\npublic_dir = "/srv/m"\n',
     "'public_url' must be an https:// address in the [media] table of {cfg} — e.g. public_url = "
     '"https://media.kspi.example/campaigner/" (Meta fetches the files there) (http only for localhost or '
     "127.0.0.1, for tests)"),
    ('public_url = "https://m.example/"\npublic_dir = "/srv/m"\nbucket = "b"\nendpoint = "https://s3.example"\n',
     "both public_dir and bucket are set in the [media] table of {cfg} — keep one: public_dir for a folder your "
     "web server serves, bucket (with endpoint) for S3-compatible storage"),
    ('public_url = "https://m.example/"\n',
     "neither public_dir nor bucket is set in the [media] table of {cfg} — e.g. public_dir = "
     '"/srv/www/media/campaigner" (a folder your web server serves at public_url), or bucket = "…" with '
     'endpoint = "https://…" for S3-compatible storage'),
    ('public_url = "https://m.example/"\npublic_dir = "/srv/m"\nkeep_days = 0\n',
     "'keep_days' must be a whole number of days, at least 1, in the [media] table of {cfg} — e.g. keep_days = 7"),
    ('public_url = "https://m.example/"\npublic_dir = "/srv/m"\nkeep_days = 1.5\n',
     "'keep_days' must be a whole number of days, at least 1, in the [media] table of {cfg} — e.g. keep_days = 7"),
    ('public_url = "https://m.example/"\npublic_dir = "srv/m"\n',
     "'public_dir' must be an absolute path in the [media] table of {cfg} — e.g. public_dir = "
     '"/srv/www/media/campaigner" (a folder your web server serves at public_url), or bucket = "…" with '
     'endpoint = "https://…" for S3-compatible storage'),
    ('public_url = "https://m.example/"\nbucket = "b"\n',
     "'endpoint' is missing for the bucket in the [media] table of {cfg} — e.g. endpoint = "
     '"https://s3.ap-southeast-1.amazonaws.com"'),
    ('public_url = "https://m.example/"\nbucket = "b"\nendpoint = "https://s3.example"\n'
     'secret_access_key = "hunter2-s3-secret"\n',
     "the media storage keys must not be in the config file ({cfg}) — remove them there and set "
     "CAMPAIGNER_MEDIA_ACCESS_KEY_ID and CAMPAIGNER_MEDIA_SECRET_ACCESS_KEY or put access_key_id and "
     "secret_access_key in the [media] table of the secrets file (mode 0600)"),
    ('public_url = "https://m.example/"\npublic_dir = "/srv/m"\nkeepdays = 3\n',
     "unknown setting 'keepdays' in the [media] table of {cfg} — known: public_url, public_dir, endpoint, bucket, "
     "prefix, region, keep_days"),
])
def test_config_mistakes_are_one_line(tmp_path, table, message):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[media]\n" + table)
    with pytest.raises(ConfigError) as e:
        resolve({}, env={}, config_path=cfg)
    assert str(e.value) == message.format(cfg=cfg)
    assert "hunter2" not in str(e.value)


def test_config_read(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[media]\npublic_url = "https://m.kspi.example/c"\nbucket = "kspi"\n'
                   'endpoint = "https://s3.example/"\nprefix = "/campaigner"\nregion = "ap-southeast-1"\n')
    m = resolve({}, env={}, config_path=cfg).media
    assert (m.public_url, m.endpoint, m.bucket, m.prefix, m.region, m.keep_days, m.public_dir) == (
        "https://m.kspi.example/c/", "https://s3.example", "kspi", "campaigner/", "ap-southeast-1", 7, None)
    cfg.write_text('[media]\npublic_url = "http://127.0.0.1:8080/m/"\npublic_dir = "/srv/m"\nkeep_days = 2\n')
    m = resolve({}, env={}, config_path=cfg).media
    assert (m.public_url, m.public_dir, m.keep_days) == ("http://127.0.0.1:8080/m/", Path("/srv/m"), 2)
    cfg.write_text("")
    assert resolve({}, env={}, config_path=cfg).media is None


def test_public_dir_that_cannot_be_written(tmp_path, db_url, clock):
    if os.geteuid() == 0:  # root writes through permission bits: use a folder no one may write to
        folder = Path("/sys/kernel")
    else:
        folder = tmp_path / "ro"
        folder.mkdir(mode=0o555)
    app = make_app(tmp_path, db_url, clock, f'public_url = "https://m.example/"\npublic_dir = "{folder}"\n')
    with pytest.raises(ConfigError) as e:
        MediaHost.open(app)
    assert str(e.value) == (f"the media folder {folder} is not writable (Permission denied) — make it writable by "
                            f"the user campaigner runs as, or point public_dir in {tmp_path / 'config.toml'} at a "
                            "folder it may write to")
    (tmp_path / "afile").write_text("x")
    app = make_app(tmp_path, db_url, clock, f'public_url = "https://m.example/"\npublic_dir = "{tmp_path / "afile"}"\n')
    with pytest.raises(ConfigError, match=r"^the media folder .*afile is not a folder — make it writable"):
        MediaHost.open(app)


def test_no_media_table(tmp_path, db_url, clock):
    (tmp_path / "config.toml").write_text("")
    app = App(resolve({"database_url": db_url}, env={}, config_path=tmp_path / "config.toml"), now=clock)
    with pytest.raises(ConfigError) as e:
        MediaHost.open(app)
    assert str(e.value) == (f"no public place for media: the config file {tmp_path / 'config.toml'} has no [media] "
                            'table — add one with public_url = "https://…" and public_dir = "/srv/…" (a folder your '
                            "web server serves there) or an S3 bucket: Instagram and Threads fetch media by URL")


# --- publish, remove, cleanup (public_dir) ----------------------------------------------------

def test_publish_puts_the_file_where_the_web_server_serves_it(host, tmp_path, public_dir, served):
    photo = jpeg(tmp_path, "poster.jpg", b"tolak tapera")
    url = host.publish(photo, "image/jpeg")
    assert re.fullmatch(re.escape(served) + NAME, url)
    name = url.removeprefix(served)
    assert name.startswith(hashlib.sha256(photo.read_bytes()).hexdigest()[:16])
    # the folder was created readable by the web server, the file too, nothing else left there
    assert stat.S_IMODE(public_dir.stat().st_mode) == 0o755
    assert stat.S_IMODE((public_dir / name).stat().st_mode) == 0o644
    assert sorted(p.name for p in public_dir.iterdir()) == [name]
    got = fetch_public(url)
    assert (got.status, got.content_type, got.body) == (200, "image/jpeg", photo.read_bytes())
    # the same file (or a copy of it) keeps its URL; other bytes get another one
    assert host.publish(photo, "image/jpeg") == url
    copy = tmp_path / "copy.jpg"
    copy.write_bytes(photo.read_bytes())
    assert host.publish(copy, "image/jpeg") == url
    other = host.publish(jpeg(tmp_path, "other.jpg", b"upah layak"), "image/jpeg")
    assert other != url and len(list(public_dir.iterdir())) == 2
    # a file removed behind campaigner's back is put back under its URL
    (public_dir / name).unlink()
    assert host.publish(photo, "image/jpeg") == url and fetch_public(url).body == photo.read_bytes()


def test_names_are_not_the_hash_alone(host, tmp_path):
    """Whoever holds the image can compute its hash; the random part is what keeps the URL unguessable."""
    photo = jpeg(tmp_path, "poster.jpg", b"rahasia sampai hari H")
    first = host.publish(photo, "image/jpeg")
    host.remove(first)
    second = host.publish(photo, "image/jpeg")
    digest = hashlib.sha256(photo.read_bytes()).hexdigest()
    assert first != second
    assert first.rsplit("/", 1)[1][:17] == second.rsplit("/", 1)[1][:17] == digest[:16] + "-"
    assert digest not in first and digest not in second


def test_publish_refuses_what_meta_does_not_fetch(host, tmp_path):
    with pytest.raises(CampaignerError) as e:
        host.publish(jpeg(tmp_path, "x.jpg"), "image/tiff")
    assert str(e.value) == ("cannot publish media of type image/tiff — campaigner publishes image/jpeg, image/png, "
                            "image/gif, image/webp, video/mp4, video/quicktime")
    with pytest.raises(CampaignerError) as e:
        host.publish(tmp_path / "gone.jpg", "image/jpeg")
    assert str(e.value) == (f"cannot read the media file {tmp_path / 'gone.jpg'}: No such file or directory — "
                            "queue the post again with its media")


def test_remove_by_url_or_name(host, tmp_path, public_dir, served):
    a = host.publish(jpeg(tmp_path, "a.jpg", b"a"), "image/jpeg")
    b = host.publish(jpeg(tmp_path, "b.jpg", b"b"), "image/jpeg")
    host.remove(a)
    host.remove(b.removeprefix(served))
    assert list(public_dir.iterdir()) == []
    assert fetch_public(a).status == 404
    (public_dir.parent / "secret.txt").write_text("the union's own file")
    for bad in ("../secret.txt", served + "../secret.txt", "index.html", "0" * 16 + "-" + "0" * 32 + ".exe"):
        with pytest.raises(CampaignerError, match=r"is not a file campaigner published — give its name"):
            host.remove(bad)
    assert (public_dir.parent / "secret.txt").exists()


def test_cleanup_removes_what_is_older_than_keep_days(host, tmp_path, public_dir, clock):
    union_file = public_dir.parent / "media" / "logo-kspi.jpg"
    old = host.publish(jpeg(tmp_path, "old.jpg", b"old"), "image/jpeg", now=T0)
    reused = host.publish(jpeg(tmp_path, "reused.jpg", b"reused"), "image/jpeg", now=T0)
    fresh = host.publish(jpeg(tmp_path, "fresh.jpg", b"fresh"), "image/jpeg", now=T0 + timedelta(days=3))
    union_file.write_bytes(b"not campaigner's")
    # handed out again on day 6 (a container created again): its age counts from then
    assert host.publish(jpeg(tmp_path, "reused.jpg", b"reused"), "image/jpeg", now=T0 + timedelta(days=6)) == reused

    assert host.cleanup(T0 + timedelta(days=7)).removed == []  # exactly 7 days: not yet
    report = host.cleanup(T0 + timedelta(days=7, minutes=1))
    assert report.removed == [old.rsplit("/", 1)[1]] and report.failed == []
    assert [fetch_public(u).status for u in (old, reused, fresh)] == [404, 200, 200]

    report = host.cleanup(T0 + timedelta(days=30), older_than_days=1)
    assert len(report.removed) == 2
    assert sorted(p.name for p in public_dir.iterdir()) == ["logo-kspi.jpg"]  # the union's own file stays
    assert host.cleanup(T0 + timedelta(days=60)).removed == []


def test_cleanup_keeps_going_past_a_file_it_cannot_remove(host, tmp_path, public_dir):
    a = host.publish(jpeg(tmp_path, "a.jpg", b"a"), "image/jpeg", now=T0)
    b = host.publish(jpeg(tmp_path, "b.jpg", b"b"), "image/jpeg", now=T0 + timedelta(hours=1))
    stuck = public_dir / a.rsplit("/", 1)[1]
    stuck.unlink()
    stuck.mkdir()  # unlink() of a folder fails: this one cannot be removed
    (stuck / "x").write_text("x")
    report = host.cleanup(T0 + timedelta(days=8))
    assert report.removed == [b.rsplit("/", 1)[1]]
    assert len(report.failed) == 1 and report.failed[0].startswith(f"cannot remove {stuck.name} from the media folder")
    (stuck / "x").unlink()
    stuck.rmdir()
    assert host.cleanup(T0 + timedelta(days=8)).removed == [stuck.name]  # still recorded: tried again


# --- the probe --------------------------------------------------------------------------------

def test_probe_ok(host, public_dir, served):
    assert host.probe() == f"{served} serves what campaigner puts in {public_dir}"
    assert list(public_dir.iterdir()) == []  # the probe file is gone again


def _probe_error(tmp_path, db_url, clock, public_url, public_dir, **fetch_kw) -> str:
    app = make_app(tmp_path, db_url, clock, f'public_url = "{public_url}"\npublic_dir = "{public_dir}"\n')
    try:
        with pytest.raises(ConfigError) as e:
            MediaHost.open(app).probe(fetch=partial(fetch_public, **fetch_kw))
    finally:
        app.close()
    assert list(public_dir.iterdir()) == []
    return str(e.value)


def test_probe_says_what_is_wrong(tmp_path, db_url, clock, web, public_dir):
    folder = str(public_dir)
    base = web(_RedirectHandler)
    msg = _probe_error(tmp_path, db_url, clock, base, public_dir)
    assert re.fullmatch(rf"{re.escape(base)}({NAME}) answers with a redirect \(HTTP 301 to "
                        rf"https://www\.kspi\.example/media/\1\) — Meta does not follow redirects: serve the files "
                        "at public_url itself", msg), msg

    base = web(_HtmlHandler)
    msg = _probe_error(tmp_path, db_url, clock, base, public_dir)
    assert re.fullmatch(rf"{re.escape(base)}{NAME} is served as text/html, not image/jpeg — an HTML page means "
                        "public_url does not lead to the files; otherwise make the web server send image/jpeg for "
                        r"\.jpg files \(Meta refuses other types\)", msg), msg

    base = web(partial(_OctetHandler, directory=folder))
    msg = _probe_error(tmp_path, db_url, clock, base, public_dir)
    assert re.fullmatch(rf"{re.escape(base)}{NAME} is served as application/octet-stream, not image/jpeg — make "
                        r"the web server send image/jpeg for \.jpg files \(Meta refuses other types\)", msg), msg

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    base = web(partial(_DirHandler, directory=str(elsewhere)))
    msg = _probe_error(tmp_path, db_url, clock, base, public_dir)
    assert re.fullmatch(rf"{re.escape(base)}{NAME} answers HTTP 404 — make the web server serve "
                        rf"{re.escape(folder)} at {re.escape(base)}", msg), msg

    base = web(_TrickleHandler)
    msg = _probe_error(tmp_path, db_url, clock, base, public_dir, deadline=0.3)
    assert re.fullmatch(rf"{re.escape(base)}{NAME} could not be fetched: no complete answer within 0\.3 s — make "
                        rf"the web server serve {re.escape(folder)} at {re.escape(base)}", msg), msg

    slow_headers = web(_SlowHeadersHandler)
    msg = _probe_error(tmp_path, db_url, clock, slow_headers, public_dir, deadline=0.3)
    assert re.fullmatch(rf"{re.escape(slow_headers)}{NAME} could not be fetched: no complete answer within 0\.3 s — .*",
                        msg), msg

    msg = _probe_error(tmp_path, db_url, clock, base, public_dir, deadline=10)  # it hangs up after 0.8 s
    assert re.fullmatch(rf"{re.escape(base)}{NAME} could not be fetched: the server hung up before the whole answer "
                        "arrived — .*", msg), msg

    base = web(_HugeHandler)
    msg = _probe_error(tmp_path, db_url, clock, base, public_dir)
    assert re.fullmatch(rf"{re.escape(base)}{NAME} could not be fetched: the answer is larger than 1,048,576 bytes — "
                        ".*", msg), msg

    closed = web(_HtmlHandler)
    port = int(closed.rsplit(":", 1)[1].strip("/"))
    base = f"http://127.0.0.1:{port + 1 if port < 65535 else port - 1}/"
    msg = _probe_error(tmp_path, db_url, clock, base, public_dir)
    assert re.search(r"could not be fetched: connection (refused|failed) — make the web server serve", msg), msg


def test_probe_notices_other_bytes(tmp_path, db_url, clock, web, public_dir):
    """A cache or rewrite between the folder and the web: the same name serves other bytes."""
    public_dir.mkdir(parents=True)

    class Stale(_Quiet, BaseHTTPRequestHandler):
        def do_GET(self):
            body = probe_jpeg()
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    base = web(Stale)
    msg = _probe_error(tmp_path, db_url, clock, base, public_dir)
    assert re.fullmatch(rf"{re.escape(base)}{NAME} answers with other bytes than campaigner put there — public_url "
                        rf"must serve {re.escape(str(public_dir))} itself, with nothing rewriting the files", msg), msg


def test_probe_file_is_a_real_jpeg_unique_each_time():
    from PIL import Image

    a, b = probe_jpeg(), probe_jpeg()
    assert a != b
    with Image.open(io.BytesIO(a)) as img:
        assert (img.format, img.size) == ("JPEG", (8, 8))
        img.load()
    assert is_name("0123456789abcdef-" + "0" * 32 + ".jpg") and not is_name("x/../0123456789abcdef.jpg")


# --- the CLI and the worker job ---------------------------------------------------------------

def test_media_check_cli(cli, home, served, public_dir):
    cfg = home / "config" / "campaigner.toml"
    r = cli("media", "check")
    assert r.exit_code == 1 and r.stdout == ""
    assert r.stderr == (f"Error: no public place for media: the config file {cfg} has no [media] table — add one "
                        'with public_url = "https://…" and public_dir = "/srv/…" (a folder your web server serves '
                        "there) or an S3 bucket: Instagram and Threads fetch media by URL\n")
    cfg.write_text(f'[media]\npublic_url = "{served}"\npublic_dir = "{public_dir}"\n')
    r = cli.ok("media", "check")
    assert r.stdout == f"OK — {served} serves what campaigner puts in {public_dir}\n"
    cfg.write_text(f'[media]\npublic_url = "{served}wrong/"\npublic_dir = "{public_dir}"\n')
    r = cli("media", "check", "--timeout", "5")
    assert r.exit_code == 1 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert re.fullmatch(rf"Error: {re.escape(served)}wrong/{NAME} answers HTTP 404 — make the web server serve "
                        rf"{re.escape(str(public_dir))} at {re.escape(served)}wrong/\n", r.stderr), r.stderr
    r = cli.ok("config")
    assert f"media.public_url {served}wrong/\nmedia.public_dir {public_dir}\nmedia.keep_days 7\n" in r.stdout


def test_cleanup_job_runs_once_per_period_across_workers(tmp_path, db_url, clock, served, public_dir):
    from scheduler.jobs import default_jobs, media_jobs

    app = make_app(tmp_path, db_url, clock, f'public_url = "{served}"\npublic_dir = "{public_dir}"\nkeep_days = 2\n')
    try:
        host = MediaHost.open(app)
        old = host.publish(jpeg(tmp_path, "a.jpg", b"a"), "image/jpeg", now=T0)
        [job_a] = media_jobs(app, "worker-a")
        [job_b] = media_jobs(app, "worker-b")
        assert "media_cleanup" in [j.name for j in default_jobs(app, "worker-a")]
        later = T0 + timedelta(days=2, hours=1)
        newer = host.publish(jpeg(tmp_path, "b.jpg", b"b"), "image/jpeg", now=later - timedelta(days=2))
        job_a.run(later)
        assert fetch_public(old).status == 404 and fetch_public(newer).status == 200
        # worker-b in the same hour does nothing, though something is old enough by now
        job_b.run(later + timedelta(minutes=30))
        assert fetch_public(newer).status == 200
        job_b.run(later + timedelta(hours=1))
        assert fetch_public(newer).status == 404
    finally:
        app.close()
    (tmp_path / "config.toml").write_text("")
    bare = App(resolve({"database_url": db_url}, env={}, config_path=tmp_path / "config.toml"), now=clock)
    assert media_jobs(bare, "w") == [] and "media_cleanup" not in [j.name for j in default_jobs(bare, "w")]


# --- S3-compatible storage (moto in server mode: a real HTTP server) --------------------------

KEY_ID, SECRET = "AKIAKSPIMEDIA0001", "kspi-s3-secret-Yh7tq9Zr"


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, request):
    import boto3

    name = "kspi-" + hashlib.sha1(request.node.name.encode()).hexdigest()[:12]
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1",
                          aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET)
    client.create_bucket(Bucket=name)
    return name, client


def make_public(client, name: str, prefix: str) -> None:
    """What the README tells a union to do: let anyone read the objects under the prefix."""
    import json

    client.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/{prefix}*"}]}))


def s3_app(tmp_path, db_url, clock, endpoint, bucket_name, env=None, public_url=None):
    public_url = public_url or f"{endpoint}/{bucket_name}/campaigner/"
    return make_app(tmp_path, db_url, clock, f'public_url = "{public_url}"\nendpoint = "{endpoint}"\n'
                    f'bucket = "{bucket_name}"\nprefix = "campaigner"\n', env=env)


def test_s3_publish_cleanup_and_probe(tmp_path, db_url, clock, s3_endpoint, bucket, caplog):
    name, client = bucket
    env = {"CAMPAIGNER_MEDIA_ACCESS_KEY_ID": KEY_ID, "CAMPAIGNER_MEDIA_SECRET_ACCESS_KEY": SECRET}
    make_public(client, name, "campaigner/")
    caplog.clear()  # from here on only campaigner's own requests (the test's client is not campaigner's)
    caplog.set_level(logging.DEBUG)
    app = s3_app(tmp_path, db_url, clock, s3_endpoint, name, env=env)
    try:
        host = MediaHost.open(app)
        photo = jpeg(tmp_path, "poster.jpg", b"mogok nasional")
        url = host.publish(photo, "image/jpeg", now=T0)
        assert re.fullmatch(re.escape(f"{s3_endpoint}/{name}/campaigner/") + NAME, url)
        got = fetch_public(url)
        assert (got.status, got.content_type, got.body) == (200, "image/jpeg", photo.read_bytes())
        assert host.publish(photo, "image/jpeg", now=T0 + timedelta(days=1)) == url
        keys = [o["Key"] for o in client.list_objects_v2(Bucket=name).get("Contents", [])]
        assert keys == ["campaigner/" + url.rsplit("/", 1)[1]]

        assert host.probe() == f"{s3_endpoint}/{name}/campaigner/ serves what campaigner puts in bucket {name} at " \
                               f"{s3_endpoint}"
        assert host.cleanup(T0 + timedelta(days=9)).removed == [url.rsplit("/", 1)[1]]
        assert client.list_objects_v2(Bucket=name).get("KeyCount") == 0
        assert fetch_public(url).status == 404
    finally:
        app.close()
    assert "Credential=" in caplog.text  # botocore did log its signed requests…
    assert SECRET not in caplog.text and KEY_ID not in caplog.text  # …with the keys scrubbed


def test_s3_mistakes(tmp_path, db_url, clock, s3_endpoint, bucket):
    name, client = bucket
    app = s3_app(tmp_path, db_url, clock, s3_endpoint, name)
    with pytest.raises(ConfigError) as e:
        MediaHost.open(app)
    assert str(e.value) == (f"the S3 bucket {name} needs an access key — set CAMPAIGNER_MEDIA_ACCESS_KEY_ID and "
                            "CAMPAIGNER_MEDIA_SECRET_ACCESS_KEY or put access_key_id and secret_access_key in the "
                            "[media] table of the secrets file (mode 0600)")
    app = s3_app(tmp_path, db_url, clock, s3_endpoint, name, env={"CAMPAIGNER_MEDIA_ACCESS_KEY_ID": KEY_ID})
    with pytest.raises(ConfigError, match=r"^only one of the two media storage keys is set — set both"):
        MediaHost.open(app)
    env = {"CAMPAIGNER_MEDIA_ACCESS_KEY_ID": KEY_ID, "CAMPAIGNER_MEDIA_SECRET_ACCESS_KEY": SECRET}
    # a bucket no one outside may read (the default)
    app = s3_app(tmp_path, db_url, clock, s3_endpoint, name, env=env)
    with pytest.raises(ConfigError) as e:
        MediaHost.open(app).probe()
    public = f"{s3_endpoint}/{name}/campaigner/"
    assert re.fullmatch(rf"{re.escape(public)}{NAME} answers HTTP 403 — make the bucket's objects under campaigner/ "
                        rf"publicly readable at {re.escape(public)}", str(e.value)), str(e.value)
    assert client.list_objects_v2(Bucket=name).get("KeyCount") == 0  # the probe file was removed
    # public_url pointing at another prefix than the one campaigner writes to
    make_public(client, name, "")
    wrong = f"{s3_endpoint}/{name}/other/"
    app = s3_app(tmp_path, db_url, clock, s3_endpoint, name, env=env, public_url=wrong)
    with pytest.raises(ConfigError) as e:
        MediaHost.open(app).probe()
    assert re.fullmatch(rf"{re.escape(wrong)}{NAME} answers HTTP 404 — make the bucket's objects under campaigner/ "
                        rf"publicly readable at {re.escape(wrong)}", str(e.value)), str(e.value)
    # a bucket that does not exist: one line, no secret
    app = s3_app(tmp_path, db_url, clock, s3_endpoint, "no-such-bucket", env=env)
    with pytest.raises(CampaignerError) as e:
        MediaHost.open(app).probe()
    assert str(e.value).startswith("cannot upload ") and "NoSuchBucket" in str(e.value)
    assert str(e.value).endswith("— check the bucket's name, the endpoint and that the access key may write there")
    assert SECRET not in str(e.value) and KEY_ID not in str(e.value)


def test_s3_keys_from_the_secrets_file_shown_masked(cli, home, s3_endpoint, bucket):
    name, client = bucket
    make_public(client, name, "p/")
    secrets = home / "config" / "secrets.toml"
    secrets.write_text(f'[media]\naccess_key_id = "{KEY_ID}"\nsecret_access_key = "{SECRET}"\n')
    secrets.chmod(0o600)
    (home / "config" / "campaigner.toml").write_text(
        f'[media]\npublic_url = "{s3_endpoint}/{name}/p/"\nendpoint = "{s3_endpoint}"\nbucket = "{name}"\n'
        'prefix = "p"\n')
    r = cli.ok("-vv", "media", "check")
    assert r.stdout == f"OK — {s3_endpoint}/{name}/p/ serves what campaigner puts in bucket {name} at {s3_endpoint}\n"
    r = cli.ok("config")
    assert f"media.secret_access_key ********  (secrets file {secrets})" in r.stdout
    out = r.output + cli.ok("-vv", "config", "--json").output
    assert SECRET not in out and KEY_ID not in out
