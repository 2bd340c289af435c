"""A fake Bluesky PDS (+ the AppView reads campaigner uses), served on 127.0.0.1.

XRPC shapes follow the lexicons (``bluesky-social/atproto`` ``lexicons/``): createSession /
refreshSession / getSession, createRecord → ``{uri, cid, commit, validationStatus}``,
getRecord (400 ``RecordNotFound``), deleteRecord, uploadBlob → ``{blob}``, resolveHandle,
app.bsky.feed.getPosts (at most 25 uris) and getPostThread. Errors are ``{"error", "message"}``.

It checks what it receives: a Bearer access JWT that it issued and that has not expired (its
lifetime is ``access_lifetime``; ``advance()`` and ``expire_access_tokens()`` move time on), a
TID record key, a post record with ``$type``, ``createdAt`` and at most 300 graphemes / 3000
bytes, facets whose UTF-8 byte ranges really cover the link / ``@handle`` / ``#tag`` they
claim, image embeds that reference uploaded blobs within the size limit, and reply refs whose
uri+cid match existing posts (stricter than a real PDS, which leaves that to the AppView).

Search (``app.bsky.feed.searchPosts``, proxied to the AppView, so it needs the session): ``q``
required, ``limit`` 1..100, ``since``/``until`` on the post's sortAt (the earlier of createdAt and
indexedAt), ``tag`` AND-matched against the post's tag facets and ``tags``, newest first, paged
with an opaque cursor. ``search_stops_after`` makes the cursor stop early (as the lexicon warns it
may), and ``hits_total`` adds a (rounded) ``hitsTotal``.
"""
from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import regex

from connectors.base import AccountConfig
from connectors.tid import is_valid_tid, new_tid
from tests.fakes.server import ContractFake, Request, Response

POST = "app.bsky.feed.post"
IMAGE_MAX_BYTES = 2_000_000
FACET_TYPES = {"app.bsky.richtext.facet#link", "app.bsky.richtext.facet#mention", "app.bsky.richtext.facet#tag"}
METRIC_NAMES = {"likes": "likeCount", "reposts": "repostCount", "replies": "replyCount",
                "quotes": "quoteCount", "bookmarks": "bookmarkCount"}
SERVER_ERRORS = {500: "InternalServerError", 502: "UpstreamFailure", 503: "NotEnoughResources",
                 504: "UpstreamTimeout"}


def xrpc_error(status: int, name: str, message: str, headers: dict | None = None) -> Response:
    return Response(status, {"error": name, "message": message}, headers or {})


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _cid(data: Any) -> str:
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).digest()
    return "bafyrei" + base64.b32encode(digest).decode().lower().rstrip("=")[:52]


def _graphemes(text: str) -> int:
    return len(regex.findall(r"\X", text))


def _parse_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or not re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$",
                                                  value):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


class Fake(ContractFake):
    platform = "bluesky"

    HANDLE = "kspi-test.bsky.social"
    DID = "did:plc:kspitest7x2k4m9q3w5e6r"
    EMAIL = "sekretariat@kspi.example"
    APP_PASSWORD = "k7pq-2xwe-9vbn-4mzt"

    def __init__(self, *, clock: Callable[[], datetime] | None = None):
        super().__init__()
        if clock is not None:
            self.clock = clock
        self.offset = timedelta(0)
        self.access_lifetime = timedelta(hours=2)
        self.refresh_lifetime = timedelta(days=60)
        self.handles: dict[str, str] = {self.DID: self.HANDLE}      # did -> handle
        self.records: dict[tuple[str, str, str], dict] = {}        # (did, collection, rkey) -> record
        self.blobs: dict[str, dict] = {}
        self.access_tokens: dict[str, dict] = {}
        self.refresh_tokens: dict[str, dict] = {}
        self.issued: list[str] = []
        self.create_sessions = 0
        self.refreshes = 0
        self.created = 0
        self.revoked = False
        #: how the PDS answers a createRecord whose rkey is taken (the MST insert throws → 500)
        self.duplicate_rkey_response = xrpc_error(500, "InternalServerError", "Internal Server Error")
        self._dids = itertools.count(1)
        #: the search cursor is not given past this many results (None: it goes to the end)
        self.search_stops_after: int | None = None
        #: answer a search with ``hitsTotal`` (rounded up to hundreds, as a search service may)
        self.hits_total = False
        self.searches: list[dict[str, Any]] = []   # the parameters of each search, for assertions

    # --- time ----------------------------------------------------------------------------
    def now(self) -> datetime:
        return self.clock() + self.offset

    def advance(self, delta: timedelta) -> None:
        """Let ``delta`` of the fake's time pass (tokens expire, nothing sleeps)."""
        self.offset += delta

    def expire_access_tokens(self) -> None:
        """Every access JWT issued so far is past its lifetime."""
        with self.lock:
            for info in self.access_tokens.values():
                info["exp"] = self.now() - timedelta(seconds=1)

    # --- ContractFake --------------------------------------------------------------------
    def account_config(self, state_dir=None) -> AccountConfig:
        return AccountConfig(name="bluesky-test", platform="bluesky", base_url=self.base_url, handle=self.HANDLE,
                             secrets={"IDENTIFIER": self.HANDLE, "APP_PASSWORD": self.APP_PASSWORD},
                             timeout=1.0, state_dir=state_dir)

    def secret_values(self) -> list[str]:
        with self.lock:
            return [self.APP_PASSWORD, *self.issued]

    def posts(self) -> dict[str, str]:
        with self.lock:
            return {self._uri(k): r["value"]["text"] for k, r in self.records.items() if k[0] == self.DID}

    def create_count(self) -> int:
        return self.created

    def set_engagement(self, remote_id: str, **counts: int) -> None:
        with self.lock:
            record = self.records[self._key(remote_id)]
            for name, value in counts.items():
                if name in METRIC_NAMES:  # Bluesky has no impressions: ignored like the platform does
                    record["counts"][METRIC_NAMES[name]] = value

    def add_reply(self, remote_id: str, author: str, text: str, created_at, language: str = "id") -> str:
        with self.lock:
            parent = self.records[self._key(remote_id)]
            handle = author.lstrip("@")
            if "." not in handle:
                handle = f"{handle}.bsky.social"
            did = next((d for d, h in self.handles.items() if h == handle), None)
            if did is None:
                did = f"did:plc:replier{next(self._dids):011d}"
                self.handles[did] = handle
            if created_at.tzinfo is None:
                created_at = created_at.replace(tzinfo=timezone.utc)
            parent_ref = {"uri": remote_id, "cid": parent["cid"]}
            root_ref = (parent["value"].get("reply") or {}).get("root") or parent_ref
            value = {"$type": POST, "text": text, "langs": [language],
                     "createdAt": created_at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                     "reply": {"root": root_ref, "parent": parent_ref}}
            rkey = new_tid(created_at)
            self._put(did, rkey, value)
            return self._uri((did, POST, rkey))

    def reply_parent(self, remote_id: str) -> str | None:
        with self.lock:
            reply = self.records[self._key(remote_id)]["value"].get("reply")
            return reply["parent"]["uri"] if reply else None

    def remove_post(self, remote_id: str) -> None:
        with self.lock:
            self.records.pop(self._key(remote_id), None)

    def expire_credentials(self) -> None:
        self.revoked = True

    def rate_limit_next(self, reset_at) -> None:
        wait = max(int((reset_at - self.now()).total_seconds()), 0)
        self.fail_next(xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded", {
            "RateLimit-Limit": "3000", "RateLimit-Remaining": "0",
            "RateLimit-Reset": str(int(reset_at.timestamp())), "RateLimit-Policy": "3000;w=300",
            "Retry-After": str(wait)}))

    def server_error_next(self, status: int = 503) -> None:
        name = SERVER_ERRORS.get(status, "InternalServerError")
        self.fail_next(xrpc_error(status, name, "Internal Server Error" if status == 500 else name))

    # --- helpers for tests ---------------------------------------------------------------
    def record(self, uri: str) -> dict:
        return self.records[self._key(uri)]

    def add_account(self, handle: str) -> str:
        with self.lock:
            did = f"did:plc:acct{next(self._dids):015d}"
            self.handles[did] = handle
            return did

    def add_public_post(self, handle: str, text: str, created_at: datetime, *, tags: tuple[str, ...] = (),
                        indexed_at: datetime | None = None) -> str:
        """A post by someone else, with a tag facet for each ``#tag`` in ``text`` (as the Bluesky app
        makes) plus record ``tags``; returns its uri."""
        with self.lock:
            did = next((d for d, h in self.handles.items() if h == handle), None) or self.add_account(handle)
            data = text.encode("utf-8")
            facets = []
            for m in re.finditer(r"(?<!\S)#(\w+)", text):
                start = len(text[:m.start()].encode("utf-8"))
                facets.append({"index": {"byteStart": start, "byteEnd": start + len(m.group().encode("utf-8"))},
                               "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": m.group(1)}]})
            assert all(f["index"]["byteEnd"] <= len(data) for f in facets)
            value: dict[str, Any] = {"$type": POST, "text": text, "langs": ["id"],
                                     "createdAt": created_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")}
            if facets:
                value["facets"] = facets
            if tags:
                value["tags"] = list(tags)
            rkey = new_tid(created_at)
            record = self._put(did, rkey, value)
            record["indexedAt"] = indexed_at or created_at
            return self._uri((did, POST, rkey))

    # --- plumbing ------------------------------------------------------------------------
    @staticmethod
    def _uri(key: tuple[str, str, str]) -> str:
        return f"at://{key[0]}/{key[1]}/{key[2]}"

    def _key(self, uri: str) -> tuple[str, str, str]:
        match = re.match(r"^at://([^/]+)/([^/]+)/([^/]+)$", uri)
        if not match:
            raise KeyError(uri)
        repo = self._did_of(match.group(1)) or match.group(1)
        return repo, match.group(2), match.group(3)

    def _did_of(self, repo: str) -> str | None:
        if repo in self.handles:
            return repo
        return next((d for d, h in self.handles.items() if h.lower() == repo.lower()), None)

    def _put(self, did: str, rkey: str, value: dict) -> dict:
        record = {"cid": _cid([did, rkey, value]), "value": value, "indexedAt": self.now(),
                  "counts": {"replyCount": 0, "repostCount": 0, "likeCount": 0, "quoteCount": 0,
                             "bookmarkCount": 0}}
        self.records[(did, POST, rkey)] = record
        reply = value.get("reply")
        if reply:
            try:
                self.records[self._key(reply["parent"]["uri"])]["counts"]["replyCount"] += 1
            except KeyError:
                pass
        return record

    def _jwt(self, kind: str, lifetime: timedelta) -> tuple[str, datetime]:
        now = self.now()
        exp = now + lifetime
        header = {"typ": "at+jwt" if kind == "access" else "refresh+jwt", "alg": "ES256K"}
        payload = {"scope": "com.atproto.appPass" if kind == "access" else "com.atproto.refresh",
                   "sub": self.DID, "iat": int(now.timestamp()), "exp": int(exp.timestamp()),
                   "aud": "did:web:pds.example", "jti": secrets.token_hex(8)}
        token = ".".join([_b64url(json.dumps(header).encode()), _b64url(json.dumps(payload).encode()),
                          _b64url(secrets.token_bytes(64))])
        self.issued.append(token)
        return token, exp

    def _new_session(self) -> dict:
        access, access_exp = self._jwt("access", self.access_lifetime)
        refresh, refresh_exp = self._jwt("refresh", self.refresh_lifetime)
        self.access_tokens[access] = {"exp": access_exp}
        self.refresh_tokens[refresh] = {"exp": refresh_exp, "revoked": False}
        return {"accessJwt": access, "refreshJwt": refresh, "handle": self.HANDLE, "did": self.DID,
                "email": self.EMAIL, "emailConfirmed": True, "active": True}

    def _bearer(self, req: Request) -> str | None:
        header = req.header("Authorization") or ""
        return header[len("Bearer "):] if header.startswith("Bearer ") else None

    def _check_access(self, req: Request) -> Response | None:
        token = self._bearer(req)
        if token is None:
            return xrpc_error(401, "AuthenticationRequired", "Authentication Required")
        if self.revoked:
            return xrpc_error(400, "InvalidToken", "Token has been revoked")
        info = self.access_tokens.get(token)
        if info is None:
            return xrpc_error(400, "InvalidToken", "Token could not be verified")
        if info["exp"] <= self.now():
            return xrpc_error(400, "ExpiredToken", "Token has expired")
        return None

    def _rate_headers(self, limit: int = 5000) -> dict[str, str]:
        return {"RateLimit-Limit": str(limit), "RateLimit-Remaining": str(limit - 3),
                "RateLimit-Reset": str(int((self.now() + timedelta(hours=1)).timestamp())),
                "RateLimit-Policy": f"{limit};w=3600"}

    def _post_view(self, key: tuple[str, str, str]) -> dict:
        record = self.records[key]
        did = key[0]
        view = {"uri": self._uri(key), "cid": record["cid"],
                "author": {"did": did, "handle": self.handles.get(did, "handle.invalid"),
                           "displayName": self.handles.get(did, "")},
                "record": record["value"], "indexedAt": record["indexedAt"].strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "labels": []}
        view.update(record["counts"])
        return view

    # --- routing -------------------------------------------------------------------------
    def route(self, req: Request) -> Response:
        if not req.path.startswith("/xrpc/"):
            return xrpc_error(404, "XRPCNotSupported", "XRPCNotSupported")
        nsid = req.path[len("/xrpc/"):]
        public = {"com.atproto.server.createSession": self._create_session,
                  "com.atproto.server.refreshSession": self._refresh_session,
                  "com.atproto.identity.resolveHandle": self._resolve_handle}
        private = {"com.atproto.server.getSession": self._get_session,
                   "com.atproto.repo.createRecord": self._create_record,
                   "com.atproto.repo.getRecord": self._get_record,
                   "com.atproto.repo.deleteRecord": self._delete_record,
                   "com.atproto.repo.uploadBlob": self._upload_blob,
                   "app.bsky.feed.getPosts": self._get_posts,
                   "app.bsky.feed.getPostThread": self._get_post_thread,
                   "app.bsky.feed.searchPosts": self._search_posts}
        procedures = {"com.atproto.server.createSession", "com.atproto.server.refreshSession",
                      "com.atproto.repo.createRecord", "com.atproto.repo.deleteRecord",
                      "com.atproto.repo.uploadBlob"}
        handler = public.get(nsid) or private.get(nsid)
        if handler is None:
            return xrpc_error(404, "XRPCNotSupported", "XRPCNotSupported")
        if (req.method == "POST") != (nsid in procedures):
            return xrpc_error(400, "InvalidRequest", f"Incorrect HTTP method ({req.method}) for {nsid}")
        if nsid in private:
            refused = self._check_access(req)
            if refused is not None:
                return refused
        return handler(req)

    def _param(self, req: Request, name: str) -> str | None:
        values = req.query.get(name)
        return values[0] if values else None

    # --- session -------------------------------------------------------------------------
    def _create_session(self, req: Request) -> Response:
        body = req.json()
        if not isinstance(body, dict) or not {"identifier", "password"} <= set(body) \
                or set(body) - {"identifier", "password", "authFactorToken", "allowTakendown"}:
            return xrpc_error(400, "InvalidRequest", "Input must have the properties \"identifier\", \"password\"")
        identifier = str(body["identifier"]).lower()
        if self.revoked or identifier not in (self.HANDLE, self.DID, self.EMAIL) \
                or body["password"] != self.APP_PASSWORD:
            return xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")
        self.create_sessions += 1
        return Response(200, self._new_session(), self._rate_headers(30))

    def _refresh_session(self, req: Request) -> Response:
        token = self._bearer(req)
        if token is None:
            return xrpc_error(401, "AuthenticationRequired", "Authentication Required")
        info = self.refresh_tokens.get(token)
        if self.revoked or info is None or info["revoked"]:
            return xrpc_error(400, "InvalidToken", "Token has been revoked")
        if info["exp"] <= self.now():
            return xrpc_error(400, "ExpiredToken", "Token has expired")
        info["revoked"] = True
        self.refreshes += 1
        return Response(200, self._new_session())

    def _get_session(self, req: Request) -> Response:
        return Response(200, {"handle": self.HANDLE, "did": self.DID, "email": self.EMAIL,
                              "emailConfirmed": True, "active": True})

    def _resolve_handle(self, req: Request) -> Response:
        handle = (self._param(req, "handle") or "").lower()
        did = next((d for d, h in self.handles.items() if h.lower() == handle), None)
        if did is None:
            return xrpc_error(400, "InvalidRequest", "Unable to resolve handle")
        return Response(200, {"did": did})

    # --- repo ----------------------------------------------------------------------------
    def _check_repo(self, repo: Any) -> Response | None:
        if repo not in (self.DID, self.HANDLE):
            return xrpc_error(403, "InvalidRequest", "Input/repo must be the authenticated account")
        return None

    def _validate_post(self, record: Any) -> str | None:
        """Why ``record`` is not a valid app.bsky.feed.post (None when it is)."""
        if not isinstance(record, dict):
            return "Input/record must be an object"
        if record.get("$type") != POST:
            return "Invalid $type: must be app.bsky.feed.post"
        text = record.get("text")
        if not isinstance(text, str):
            return 'Record must have the property "text"'
        data = text.encode("utf-8")
        if len(data) > 3000:
            return "Record/text must not be longer than 3000 characters"
        if _graphemes(text) > 300:
            return "Record/text must not be longer than 300 graphemes"
        if _parse_datetime(record.get("createdAt")) is None:
            return "Record/createdAt must be an valid atproto datetime (both RFC-3339 and ISO-8601)"
        langs = record.get("langs")
        if langs is not None and (not isinstance(langs, list) or len(langs) > 3
                                  or not all(isinstance(x, str) and x for x in langs)):
            return "Record/langs must be a list of at most 3 language tags"
        for i, facet in enumerate(record.get("facets") or []):
            problem = self._validate_facet(data, facet)
            if problem:
                return f"Record/facets/{i}: {problem}"
        reply = record.get("reply")
        if reply is not None:
            for part in ("root", "parent"):
                ref = (reply or {}).get(part)
                if not isinstance(ref, dict) or not isinstance(ref.get("uri"), str) or not isinstance(ref.get("cid"), str):
                    return f"Record/reply/{part} must be a strongRef {{uri, cid}}"
                try:
                    target = self.records[self._key(ref["uri"])]
                except KeyError:
                    return f"Record/reply/{part} refers to a post that does not exist"
                if target["cid"] != ref["cid"]:
                    return f"Record/reply/{part} cid does not match the post"
        embed = record.get("embed")
        if embed is not None:
            if not isinstance(embed, dict) or embed.get("$type") != "app.bsky.embed.images":
                return "Record/embed: this fake knows only app.bsky.embed.images"
            images = embed.get("images")
            if not isinstance(images, list) or not 1 <= len(images) <= 4:
                return "Record/embed/images must have 1 to 4 items"
            for i, image in enumerate(images):
                blob = (image or {}).get("image")
                if not isinstance((image or {}).get("alt"), str):
                    return f'Record/embed/images/{i} must have the property "alt"'
                if not isinstance(blob, dict) or blob.get("$type") != "blob":
                    return f"Record/embed/images/{i}/image should be a blob ref"
                stored = self.blobs.get((blob.get("ref") or {}).get("$link"))
                if stored is None:
                    return f"Could not find blob: {(blob.get('ref') or {}).get('$link')}"
                if not stored["mimeType"].startswith("image/"):
                    return f"Record/embed/images/{i}/image has the wrong mime type"
                if stored["size"] > IMAGE_MAX_BYTES:
                    return f"Record/embed/images/{i}/image is too big ({stored['size']} > {IMAGE_MAX_BYTES})"
        return None

    def _validate_facet(self, data: bytes, facet: Any) -> str | None:
        index = (facet or {}).get("index") or {}
        start, end = index.get("byteStart"), index.get("byteEnd")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(data)):
            return f"byte range {start}..{end} is outside the text ({len(data)} bytes)"
        try:
            covered = data[start:end].decode("utf-8")
        except UnicodeDecodeError:
            return f"byte range {start}..{end} cuts a character"
        features = (facet or {}).get("features")
        if not isinstance(features, list) or not features:
            return "features must be a non-empty list"
        for feature in features:
            kind = (feature or {}).get("$type")
            if kind not in FACET_TYPES:
                return f"unknown feature {kind!r}"
            if kind.endswith("#link"):
                uri = feature.get("uri")
                if not isinstance(uri, str) or not re.match(r"^[a-z][a-z0-9+.-]*:\S+$", uri, re.I):
                    return "link uri must be a URI"
                if covered != uri:
                    return f"link range covers {covered!r}, not {uri!r}"
            elif kind.endswith("#mention"):
                did = feature.get("did")
                if not isinstance(did, str) or not did.startswith("did:"):
                    return "mention did must be a DID"
                if covered.lower() != "@" + self.handles.get(did, "\0").lower():
                    return f"mention range covers {covered!r}, not @ + the handle of {did}"
            else:
                tag = feature.get("tag")
                if not isinstance(tag, str) or not tag or _graphemes(tag) > 64 or len(tag.encode()) > 640:
                    return "tag must be 1..64 graphemes"
                if covered not in ("#" + tag, "＃" + tag):
                    return f"tag range covers {covered!r}, not #{tag}"
        return None

    def _create_record(self, req: Request) -> Response:
        body = req.json()
        if not isinstance(body, dict) or not {"repo", "collection", "record"} <= set(body) \
                or set(body) - {"repo", "collection", "rkey", "validate", "record", "swapCommit"}:
            return xrpc_error(400, "InvalidRequest", "Input must have the properties \"repo\", \"collection\", \"record\"")
        refused = self._check_repo(body["repo"])
        if refused is not None:
            return refused
        if body["collection"] != POST:
            return xrpc_error(400, "InvalidRequest", f"this fake only stores {POST}")
        rkey = body.get("rkey") or new_tid(self.now())
        if not is_valid_tid(rkey):
            return xrpc_error(400, "InvalidRequest", f"Invalid record key for {POST}: {rkey}")
        problem = self._validate_post(body["record"])
        if problem:
            return xrpc_error(400, "InvalidRequest", f"Invalid app.bsky.feed.post record: {problem}")
        if (self.DID, POST, rkey) in self.records:
            return self.duplicate_rkey_response
        record = self._put(self.DID, rkey, body["record"])
        self.created += 1
        return Response(200, {"uri": self._uri((self.DID, POST, rkey)), "cid": record["cid"],
                              "commit": {"cid": _cid(["commit", rkey]), "rev": new_tid(self.now())},
                              "validationStatus": "valid"}, self._rate_headers())

    def _get_record(self, req: Request) -> Response:
        repo, collection, rkey = (self._param(req, n) for n in ("repo", "collection", "rkey"))
        if not repo or not collection or not rkey:
            return xrpc_error(400, "InvalidRequest", "Error: Params must have the properties \"repo\", "
                                                     "\"collection\", \"rkey\"")
        did = self._did_of(repo) or repo
        record = self.records.get((did, collection, rkey))
        uri = self._uri((did, collection, rkey))
        if record is None:
            return xrpc_error(400, "RecordNotFound", f"Could not locate record: {uri}")
        return Response(200, {"uri": uri, "cid": record["cid"], "value": record["value"]})

    def _delete_record(self, req: Request) -> Response:
        body = req.json()
        if not isinstance(body, dict) or not {"repo", "collection", "rkey"} <= set(body):
            return xrpc_error(400, "InvalidRequest", "Input must have the properties \"repo\", \"collection\", \"rkey\"")
        refused = self._check_repo(body["repo"])
        if refused is not None:
            return refused
        self.records.pop((self.DID, body["collection"], body["rkey"]), None)
        return Response(200, {"commit": {"cid": _cid(["delete", body["rkey"]]), "rev": new_tid(self.now())}},
                        self._rate_headers())

    def _upload_blob(self, req: Request) -> Response:
        mime = (req.header("Content-Type") or "").split(";")[0].strip()
        if not mime or mime == "application/json":
            return xrpc_error(400, "InvalidRequest", "Request encoding (Content-Type) required but not provided")
        cid = "bafkrei" + base64.b32encode(hashlib.sha256(req.body).digest()).decode().lower().rstrip("=")[:52]
        self.blobs[cid] = {"mimeType": mime, "size": len(req.body)}
        return Response(200, {"blob": {"$type": "blob", "ref": {"$link": cid}, "mimeType": mime,
                                       "size": len(req.body)}})

    # --- app.bsky.feed (AppView) ---------------------------------------------------------
    def _get_posts(self, req: Request) -> Response:
        uris = req.query.get("uris", [])
        if not uris:
            return xrpc_error(400, "InvalidRequest", 'Error: Params must have the property "uris"')
        if len(uris) > 25:
            return xrpc_error(400, "InvalidRequest", "Error: uris must not have more than 25 elements")
        posts = []
        for uri in dict.fromkeys(uris):
            try:
                key = self._key(uri)
            except KeyError:
                return xrpc_error(400, "InvalidRequest", "Error: uris/0 must be a valid at-uri")
            if key in self.records:
                posts.append(self._post_view(key))
        return Response(200, {"posts": posts})

    def _get_post_thread(self, req: Request) -> Response:
        uri = self._param(req, "uri") or ""
        depth = int(self._param(req, "depth") or 6)
        try:
            key = self._key(uri)
        except KeyError:
            key = None
        if key is None or key not in self.records:
            return xrpc_error(400, "NotFound", f"Post not found: {uri}")

        def thread(k: tuple[str, str, str], level: int) -> dict:
            node: dict[str, Any] = {"$type": "app.bsky.feed.defs#threadViewPost", "post": self._post_view(k)}
            if level < depth:
                children = [ck for ck, r in self.records.items()
                            if ((r["value"].get("reply") or {}).get("parent") or {}).get("uri") == self._uri(k)]
                node["replies"] = [thread(ck, level + 1) for ck in children]
            return node

        return Response(200, {"thread": thread(key, 0)})

    def _search_posts(self, req: Request) -> Response:
        q = self._param(req, "q")
        if not q:
            return xrpc_error(400, "InvalidRequest", 'Error: Params must have the property "q"')
        try:
            limit = int(self._param(req, "limit") or 25)
        except ValueError:
            return xrpc_error(400, "InvalidRequest", "Error: limit must be an integer")
        if not 1 <= limit <= 100:
            return xrpc_error(400, "InvalidRequest", "Error: limit can not be greater than 100")
        sort = self._param(req, "sort") or "latest"
        if sort not in ("latest", "top"):
            return xrpc_error(400, "InvalidRequest", "Error: sort must be one of latest, top")
        bounds = {}
        for name in ("since", "until"):
            value = self._param(req, name)
            if value is None:
                continue
            when = _parse_datetime(value) if "T" in value else None
            if when is None and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                when = datetime.fromisoformat(value).replace(tzinfo=timezone.utc)
            if when is None:
                return xrpc_error(400, "InvalidRequest", f"Error: {name} must be a valid datetime or YYYY-MM-DD")
            bounds[name] = when
        tags = [t.lower() for t in req.query.get("tag", [])]
        if any(not t or t.startswith("#") or _graphemes(t) > 64 for t in tags):
            return xrpc_error(400, "InvalidRequest", "Error: tag must be 1..64 graphemes, without '#'")
        words = q.split()
        cursor = self._param(req, "cursor") or "0"
        if not cursor.isdigit():
            return xrpc_error(400, "InvalidRequest", "Error: malformed cursor")
        self.searches.append({"q": q, "tag": tags, "since": bounds.get("since"), "until": bounds.get("until"),
                              "limit": limit, "cursor": self._param(req, "cursor")})
        hits = []
        for key, record in self.records.items():
            value = record["value"]
            post_tags = {str(t).lower() for t in value.get("tags") or []}
            post_tags |= {str(f.get("tag")).lower() for facet in value.get("facets") or []
                          for f in facet.get("features") or [] if str(f.get("$type", "")).endswith("#tag")}
            created = _parse_datetime(value.get("createdAt")) or record["indexedAt"]
            sort_at = min(created, record["indexedAt"])
            if "since" in bounds and sort_at < bounds["since"] or "until" in bounds and sort_at >= bounds["until"]:
                continue
            if not all(t in post_tags for t in tags):
                continue
            text = value.get("text", "").lower()
            if not all((w[1:].lower() in post_tags) if w.startswith("#") else (w.lower() in text) for w in words):
                continue
            hits.append((sort_at, key))
        hits.sort(key=lambda h: h[0], reverse=True)
        offset = int(cursor)
        page = hits[offset:offset + limit]
        body: dict[str, Any] = {"posts": [self._post_view(k) for _, k in page]}
        end = offset + len(page)
        shown_until = len(hits) if self.search_stops_after is None else min(len(hits), self.search_stops_after)
        if end < shown_until:
            body["cursor"] = str(end)
        if self.hits_total:
            body["hitsTotal"] = -(-len(hits) // 100) * 100
        return Response(200, body)
