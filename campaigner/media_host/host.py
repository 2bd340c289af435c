"""``MediaHost``: puts media where Meta can fetch it by URL, under unguessable names, and takes it
away again after ``keep_days``.

A name is the first 16 hex digits of the file's SHA-256, a 128-bit random part and the
extension (``3f2a…9c-5e0b…d1.jpg``). The random part is what makes it unguessable: anyone holding
an image (a poster shown at a rally before the campaign posts it) can compute its hash, so a name
made of the hash alone could be found before the post goes out. The hash part lets a person match
a file to its media. The ``media_files`` table remembers which name a file got and when it was last
handed out, so the same file keeps its URL (publishing is idempotent) and cleanup knows what is
old. It is a table rather than an index file next to the media because every worker shares the
database (a file in ``public_dir`` would also be served to anyone, names and all), it works the
same for a bucket, and cleanup then removes only what campaigner recorded — never another file
in a folder the union's web server also uses.
"""
from __future__ import annotations

import hashlib
import io
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError

from campaigner import db
from campaigner.app import App
from campaigner.config import MEDIA_SECRET_ENV, MediaSettings
from campaigner.errors import CampaignerError, ConfigError, InvalidInput
from campaigner.i18n import _
from campaigner.media_host.fetch import Fetch, Fetched, FetchFailed, fetch_public
from campaigner.media_host.stores import Store, StoreError, open_store
from campaigner.models import MediaFile

log = logging.getLogger(__name__)

#: the types Meta fetches (Instagram: JPEG images, MP4/MOV video; Threads also PNG/GIF/WebP)
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp",
              "video/mp4": "mp4", "video/quicktime": "mov"}
_HEX = frozenset("0123456789abcdef")

#: an 8×8 grey JPEG (331 bytes); the probe adds a random comment so each probe's bytes differ
_PROBE_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300100b0c0e0c0a100e0d0e1211101318281a181616183123251d"
    "283a333d3c3933383740485c4e404457453738506d51575f626768673e4d71797064785c656763ffc0000b08000800080101"
    "1100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504"
    "040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a2526"
    "2728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a"
    "92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6"
    "e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f002bffd9")
_JFIF_HEADER = 20  # SOI and the APP0 segment, which must come first


def new_name(digest: str, mime: str) -> str:
    """A public name: 16 hex digits of the content hash, 128 random bits, the extension."""
    return f"{digest[:16]}-{secrets.token_hex(16)}.{EXTENSIONS[mime]}"


def is_name(name: str) -> bool:
    """True for a name ``new_name`` makes (so nothing else — ``../x``, a union's own file — is
    ever removed)."""
    stem, dot, ext = name.partition(".")
    hash_part, dash, random_part = stem.partition("-")
    return (dot == "." and dash == "-" and ext in EXTENSIONS.values() and len(hash_part) == 16
            and len(random_part) == 32 and set(hash_part + random_part) <= _HEX)


def probe_jpeg() -> bytes:
    """A small valid JPEG whose bytes no other probe has (a random comment segment)."""
    comment = b"campaigner probe " + secrets.token_hex(16).encode()
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return _PROBE_JPEG[:_JFIF_HEADER] + segment + _PROBE_JPEG[_JFIF_HEADER:]


def media_keys(app: App) -> tuple[str, str] | None:
    """(access key id, secret access key) for a bucket: ``CAMPAIGNER_MEDIA_*`` variables, else
    the ``[media]`` table of the secrets file (mode 0600); None when neither is set."""
    table = app.secrets.section("media")
    values = []
    for key, env in MEDIA_SECRET_ENV.items():
        value = app.secrets.env.get(env) or table.get(key)
        values.append(value if isinstance(value, str) and value else None)
    if values[0] and values[1]:
        return values[0], values[1]
    if values[0] or values[1]:
        raise ConfigError(_("only one of the two media storage keys is set"),
                          _("set both {variables} (or access_key_id and secret_access_key in the [media] table of "
                            "the secrets file {path})").format(variables=" and ".join(MEDIA_SECRET_ENV.values()),
                                                               path=app.secrets.path))
    return None


@dataclass
class CleanupReport:
    """What a cleanup removed, and one line for each file it could not remove (tried again next time)."""

    removed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class MediaHost:
    """The configured public place: ``publish`` a file and get its URL, ``remove`` one,
    ``cleanup`` old ones, ``probe`` that the place really serves what is put there."""

    def __init__(self, app: App, media: MediaSettings, store: Store):
        self.app, self.media, self.store = app, media, store

    @classmethod
    def open(cls, app: App) -> "MediaHost":
        """The host the ``[media]`` table describes, or one line saying what to configure."""
        media = app.settings.media
        if media is None:
            raise ConfigError(_("no public place for media: the config file {path} has no [media] table").format(
                                  path=app.settings.config_file),
                              _('add one with public_url = "https://…" and public_dir = "/srv/…" (a folder your web '
                                "server serves there) or an S3 bucket: Instagram and Threads fetch media by URL"))
        keys = media_keys(app) if media.bucket else None
        return cls(app, media, open_store(media, app.settings.config_file, keys))

    def url(self, name: str) -> str:
        return self.media.public_url + name

    def publish(self, local_path: Path, mime: str, now: datetime | None = None) -> str:
        """Put ``local_path`` in the public place (if it is not there already) and return its URL;
        the same file keeps its URL until cleanup removes it, and its age counts from now."""
        if mime not in EXTENSIONS:
            raise InvalidInput(_("cannot publish media of type {mime}").format(mime=mime),
                               _("campaigner publishes {types}").format(types=", ".join(EXTENSIONS)))
        now = now or self.app.now()
        try:
            source = open(local_path, "rb")
        except OSError as exc:
            raise CampaignerError(_("cannot read the media file {path}: {reason}").format(path=local_path,
                                                                                          reason=exc.strerror),
                                  _("queue the post again with its media")) from None
        with source:
            digest = hashlib.file_digest(source, "sha256").hexdigest()
            name = self._record(digest, mime, now)
            if not self.store.exists(name):
                source.seek(0)
                self.store.put(name, source, mime)
                log.info("published %s to %s", name, self.store.where)
        return self.url(name)

    def _record(self, digest: str, mime: str, now: datetime) -> str:
        """The file's name, recorded as handed out at ``now`` (a new name the first time)."""
        for _attempt in range(3):
            with db.write(self.app.engine) as s:
                name = s.execute(update(MediaFile).where(MediaFile.sha256 == digest).values(published_at=now)
                                 .returning(MediaFile.name)).scalar()
            if name is not None:
                return name
            name = new_name(digest, mime)
            try:
                with db.write(self.app.engine) as s:
                    s.execute(insert(MediaFile).values(sha256=digest, name=name, published_at=now))
                return name
            except IntegrityError:
                continue  # another worker recorded the same file meanwhile: use its name
        raise StoreError(_("cannot record media file {digest}").format(digest=digest[:16]), _("try again"))

    def remove(self, url_or_name: str) -> None:
        """Remove one published file, given by its URL or name."""
        name = url_or_name.removeprefix(self.media.public_url)
        if not is_name(name):
            raise InvalidInput(_("{name!r} is not a file campaigner published").format(name=url_or_name[:200]),
                               _("give its name (like 3f2a…-5e0b….jpg) or its URL under {url}").format(
                                   url=self.media.public_url))
        with db.read(self.app.engine) as s:
            row = s.execute(select(MediaFile.id, MediaFile.sha256, MediaFile.published_at)
                            .where(MediaFile.name == name)).first()
        if row is None:
            self.store.remove(name)
        else:
            self._forget_and_remove(row.id, row.sha256, name, row.published_at, None)

    def cleanup(self, now: datetime, older_than_days: int | None = None) -> CleanupReport:
        """Remove every file last handed out more than ``older_than_days`` (default ``keep_days``)
        before ``now``; a file that cannot be removed stays recorded and does not stop the others."""
        cutoff = now - timedelta(days=older_than_days or self.media.keep_days)
        with db.read(self.app.engine) as s:
            rows = s.execute(select(MediaFile.id, MediaFile.sha256, MediaFile.name, MediaFile.published_at)
                             .where(MediaFile.published_at < cutoff).order_by(MediaFile.published_at)).all()
        report = CleanupReport()
        for row in rows:
            try:
                if self._forget_and_remove(row.id, row.sha256, row.name, row.published_at, cutoff):
                    report.removed.append(row.name)
            except StoreError as exc:
                report.failed.append(str(exc))
        if report.removed or report.failed:
            log.info("media cleanup: %d removed, %d could not be", len(report.removed), len(report.failed))
        for line in report.failed:
            log.warning("media cleanup: %s", line)
        return report

    def _forget_and_remove(self, row_id: int, digest: str, name: str, published_at: datetime,
                           cutoff: datetime | None) -> bool:
        """Forget the record (only if still older than ``cutoff``: one handed out again meanwhile
        stays), then remove the file; a failed removal puts the record back to be tried again."""
        condition = [MediaFile.id == row_id] + ([MediaFile.published_at < cutoff] if cutoff else [])
        with db.write(self.app.engine) as s:
            if cast(CursorResult[Any], s.execute(delete(MediaFile).where(*condition))).rowcount != 1:
                return False
        try:
            self.store.remove(name)
        except StoreError:
            try:
                with db.write(self.app.engine) as s:
                    s.execute(insert(MediaFile).values(sha256=digest, name=name, published_at=published_at))
            except IntegrityError:  # published again under a new name meanwhile; this one stays behind
                log.warning("media file %s could not be removed and is no longer recorded", name)
            raise
        return True

    def probe(self, fetch: Fetch = fetch_public) -> str:
        """Put a small probe JPEG in the public place, fetch it back from ``public_url`` as Meta
        would, remove it; returns "<public_url> serves what campaigner puts in <where>", or raises
        one line saying what is wrong and how to fix it."""
        data = probe_jpeg()
        name = new_name(hashlib.sha256(data).hexdigest(), "image/jpeg")
        url = self.url(name)
        self.store.put(name, io.BytesIO(data), "image/jpeg")
        try:
            try:
                answer = fetch(url)
            except FetchFailed as exc:
                raise ConfigError(_("{url} could not be fetched: {reason}").format(url=url, reason=exc),
                                  self._serve_hint()) from None
            self._check(url, answer, data)
        finally:
            try:
                self.store.remove(name)
            except StoreError as exc:
                log.warning("the probe file stays behind: %s", exc)
        return _("{url} serves what campaigner puts in {where}").format(url=self.media.public_url,
                                                                         where=self.store.where)

    def _check(self, url: str, answer: Fetched, data: bytes) -> None:
        if answer.location is not None or 300 <= answer.status < 400:
            raise ConfigError((_("{url} answers with a redirect (HTTP {status} to {location})") if answer.location
                               else _("{url} answers with a redirect (HTTP {status} to nowhere)")).format(
                                  url=url, status=answer.status, location=answer.location),
                              _("Meta does not follow redirects: serve the files at public_url itself"))
        if answer.status != 200:
            raise ConfigError(_("{url} answers HTTP {status}").format(url=url, status=answer.status), self._serve_hint())
        if answer.content_type != "image/jpeg":
            kind = answer.content_type or _("no content type")
            raise ConfigError(_("{url} is served as {kind}, not image/jpeg").format(url=url, kind=kind),
                              _("an HTML page means public_url does not lead to the files; otherwise make the web "
                                "server send image/jpeg for .jpg files (Meta refuses other types)")
                              if kind == "text/html" else
                              _("make the web server send image/jpeg for .jpg files (Meta refuses other types)"))
        if answer.body != data:
            raise ConfigError(_("{url} answers with other bytes than campaigner put there").format(url=url),
                              _("public_url must serve {where} itself, with nothing rewriting the files").format(
                                  where=self.store.where))

    def _serve_hint(self) -> str:
        if self.media.public_dir is not None:
            return _("make the web server serve {folder} at {url}").format(folder=self.media.public_dir,
                                                                           url=self.media.public_url)
        return _("make the bucket's objects under {prefix} publicly readable at {url}").format(
            prefix=self.media.prefix or "/", url=self.media.public_url)
