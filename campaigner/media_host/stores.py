"""The two places media can be published to: a folder the union's web server serves, and an
S3-compatible bucket. Each puts, checks and removes a file by its public name; what a name is and
when a file goes is decided by ``campaigner.media_host.host``.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import IO, Protocol

from campaigner.config import MediaSettings
from campaigner.errors import CampaignerError, ConfigError
from campaigner.i18n import _


#: seconds one storage request may take (connect, and each read)
STORE_TIMEOUT = 20.0


class StoreError(CampaignerError):
    """The public place could not be written to or read (a full disk, a bucket refusing the key,
    a network failure): publishing may be tried again later."""


class Store(Protocol):
    #: where the files go, for messages ("/srv/www/media", "bucket kspi-media at https://…")
    where: str

    def put(self, name: str, source: IO[bytes], mime: str) -> None: ...

    def exists(self, name: str) -> bool: ...

    def remove(self, name: str) -> None: ...


class DirStore:
    """A folder the web server serves: files are written under a temporary name and renamed into
    place (the web server never serves half a file), readable by all (0644) in a folder 0755."""

    def __init__(self, folder: Path, setting: str):
        self.folder = folder
        self.where = str(folder)
        fix = _("make it writable by the user campaigner runs as, or point {setting} at a folder it may write "
                "to").format(setting=setting)
        try:
            if not folder.exists():
                folder.mkdir(parents=True)
                folder.chmod(0o755)  # whatever the umask: the web server must read it
        except OSError as exc:
            raise ConfigError(_("cannot create the media folder {folder}: {reason}").format(folder=folder,
                                                                                            reason=exc.strerror),
                              fix) from None
        if not folder.is_dir():
            raise ConfigError(_("the media folder {folder} is not a folder").format(folder=folder), fix)
        try:  # a real write: permission bits do not tell for root, read-only mounts or full disks
            fd, tmp = tempfile.mkstemp(prefix=".campaigner-", suffix=".part", dir=folder)
            os.close(fd)
            os.unlink(tmp)
        except OSError as exc:
            raise ConfigError(_("the media folder {folder} is not writable ({reason})").format(folder=folder,
                                                                                               reason=exc.strerror),
                              fix) from None

    def put(self, name: str, source: IO[bytes], mime: str) -> None:
        tmp: str | None = None
        try:
            fd, tmp = tempfile.mkstemp(prefix=".campaigner-", suffix=".part", dir=self.folder)
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(source, out)
                os.fchmod(out.fileno(), 0o644)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.folder / name)
            tmp = None
        except OSError as exc:
            raise StoreError(_("cannot write {name} to the media folder {folder}: {reason}").format(
                                 name=name, folder=self.folder, reason=exc.strerror),
                             _("check the free space and the folder's permissions")) from None
        finally:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)

    def exists(self, name: str) -> bool:
        return (self.folder / name).is_file()

    def remove(self, name: str) -> None:
        try:
            (self.folder / name).unlink(missing_ok=True)
        except OSError as exc:
            raise StoreError(_("cannot remove {name} from the media folder {folder}: {reason}").format(
                                 name=name, folder=self.folder, reason=exc.strerror),
                             _("check the folder's permissions")) from None


class S3Store:
    """An S3-compatible bucket (AWS, MinIO, Garage, Cloudflare R2…) through boto3, imported only
    here. Objects carry their content type, which the bucket then serves; making the prefix
    publicly readable is the bucket's policy, which ``MediaHost.probe`` checks."""

    def __init__(self, media: MediaSettings, access_key_id: str, secret_access_key: str):
        try:
            import boto3
            from botocore.config import Config
        except ImportError:
            raise ConfigError(_("the S3 media storage needs boto3, which is not installed"),
                              _("install it with: pip install 'campaigner[s3]' (or use public_dir)")) from None
        from connectors import logsafe

        assert media.bucket and media.endpoint
        for key in (access_key_id, secret_access_key):  # botocore logs signed headers at DEBUG
            logsafe.register(key)
        self.bucket, self.prefix = media.bucket, media.prefix
        self.where = _("bucket {bucket} at {endpoint}").format(bucket=media.bucket, endpoint=media.endpoint)
        # a session of its own: nothing from ~/.aws or AWS_* variables, only the keys given here
        session = boto3.session.Session(aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key,
                                        region_name=media.region)
        self.client = session.client(
            "s3", endpoint_url=media.endpoint,
            config=Config(connect_timeout=STORE_TIMEOUT, read_timeout=STORE_TIMEOUT,
                          retries={"total_max_attempts": 2, "mode": "standard"},
                          s3={"addressing_style": "path"}))

    def put(self, name: str, source: IO[bytes], mime: str) -> None:
        self._call("upload", name, "put_object", Body=source, ContentType=mime)

    def exists(self, name: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.prefix + name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise self._error("check", name, exc) from None
        except Exception as exc:
            raise self._error("check", name, exc) from None
        return True

    def remove(self, name: str) -> None:
        self._call("remove", name, "delete_object")

    def _call(self, what: str, name: str, operation: str, **kwargs: object) -> None:
        try:
            getattr(self.client, operation)(Bucket=self.bucket, Key=self.prefix + name, **kwargs)
        except Exception as exc:  # botocore's errors (network, refusals) never name the secret key
            raise self._error(what, name, exc) from None

    def _error(self, what: str, name: str, exc: Exception) -> StoreError:
        from botocore.exceptions import ClientError

        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            reason = " ".join(f"{error.get('Code', '')} {error.get('Message', '')}".split())[:200]
        else:
            reason = type(exc).__name__
        message = {"upload": _("cannot upload {name} in the {where}: {reason}"),
                   "check": _("cannot check {name} in the {where}: {reason}"),
                   "remove": _("cannot remove {name} in the {where}: {reason}")}[what]
        return StoreError(message.format(name=name, where=self.where, reason=reason or _("refused")),
                          _("check the bucket's name, the endpoint and that the access key may write there"))


def open_store(media: MediaSettings, config_file: Path, keys: tuple[str, str] | None) -> Store:
    """The store ``media`` names; ``keys`` (access key id, secret) are needed for a bucket."""
    if media.public_dir is not None:
        return DirStore(media.public_dir, f"public_dir in {config_file}")
    if keys is None:
        from campaigner.config import MEDIA_SECRET_ENV

        raise ConfigError(_("the S3 bucket {bucket} needs an access key").format(bucket=media.bucket),
                          _("set {variables} or put access_key_id and secret_access_key in the [media] table of the "
                            "secrets file (mode 0600)").format(variables=" and ".join(MEDIA_SECRET_ENV.values())))
    return S3Store(media, *keys)
