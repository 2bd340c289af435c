"""A Telegram channel through the Bot API (``https://api.telegram.org/bot<token>/<method>``).

The bot token sits in the URL path, so every message goes through the shared ``Redactor`` and the
token is registered with ``connectors.logsafe``, which cleans urllib3's own request log lines.

What the Bot API cannot do, and what this connector therefore does not pretend to do:

* **No idempotency and no history.** A bot cannot list a channel's messages, so ``find_existing``
  always returns ``None``. After an unknown outcome (timeout, dropped connection, 5xx on a send)
  the engine must not re-send blindly: it has to ask a human to look at the channel.
* **No view counts.** ``Message`` has no ``views`` in the Bot API; ``metrics`` returns every count as
  ``None`` without calling anything (reaction counts only arrive as ``message_reaction_count``
  updates through ``getUpdates``/webhooks, which would need a long-running consumer — not done).
* **No replies.** Comments on channel posts live in a linked discussion group and reach a bot only
  as updates; ``replies`` raises ``NotSupported``.

Errors: 429 → ``RateLimited(now + retry_after, scope="app")`` (the flood limit is per bot);
401/404 → ``AuthExpired`` (token revoked or malformed); 403 (bot removed from the channel or no
longer an admin) → ``AuthExpired`` too, because every later post to that account would fail the
same way until a person restores the bot's rights — the account should pause, not burn deliveries;
other 400s → ``Permanent(description)``; 5xx → ``Transient``.

Albums (2–10 images/videos) are sent with ``sendMediaGroup``; their remote id is the
comma-separated list of the album's message ids (the first one carries the caption and is what
thread replies and the URL point at), so ``delete`` can remove the whole album.
"""
from __future__ import annotations

import json
import logging
from contextlib import ExitStack
from gettext import gettext as _
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Sequence

import requests

from connectors import logsafe
from connectors.base import (AccountConfig, AuthExpired, Clock, ConnectorError, Identity, Metrics, MetricsBatch,
                             NotSupported, OutgoingPost, Permanent, Published, RateLimited,
                             system_clock)
from connectors.http import HttpClient, Redactor, json_body, server_error
from connectors.posttext import compose_text

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.telegram.org"
TEXT_LIMIT = 4096        # sendMessage text, after entity parsing (we send no parse_mode)
CAPTION_LIMIT = 1024     # sendPhoto / sendVideo / album caption
ALBUM_MIN, ALBUM_MAX = 2, 10


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram uses for entities and (safely) for limits."""
    return len(text.encode("utf-16-le")) // 2


def _media_kind(mime_type: str) -> str:
    if mime_type.startswith("image/"):
        return "photo"
    if mime_type.startswith("video/"):
        return "video"
    raise Permanent(_("telegram: cannot send media of type {type!r} (images and videos only)").format(type=mime_type))


class TelegramConnector:
    """One channel, posted to by one bot that is an administrator of it."""

    platform = "telegram"
    #: no metrics call exists, so any batch size is "one" call: zero requests
    metrics_batch_size = 100
    #: False: ``find_existing`` cannot look (it returns None without asking), so after an unknown
    #: outcome only a person can tell whether the post is there
    can_find_existing = False

    def __init__(self, config: AccountConfig, *, clock: Clock = system_clock,
                 session: requests.Session | None = None):
        token = config.secrets.get("BOT_TOKEN")
        chat_id = config.secrets.get("CHAT_ID")
        if not token or not chat_id:
            raise ValueError(f"telegram account {config.name!r} needs the secrets BOT_TOKEN and CHAT_ID")
        self.config = config
        self.clock = clock
        self.chat_id = chat_id.strip()
        self._token = token
        redactor = Redactor([token])
        logsafe.register(token)
        if ":" in token:
            redactor.add(token.split(":", 1)[1])   # the secret half, in case it shows up alone
            logsafe.register(token.split(":", 1)[1])
        self.http = HttpClient(config.base_url or DEFAULT_BASE_URL, timeout=config.timeout,
                               redactor=redactor, session=session)

    # --- HTTP and errors ---------------------------------------------------------------------
    def _call(self, method: str, **kwargs: Any) -> Any:
        response = self.http.request("POST", f"/bot{self._token}/{method}", **kwargs)
        body = json_body(response)
        if response.status_code == 200 and isinstance(body, dict) and body.get("ok") is True:
            return body.get("result")
        raise self._error(method, response, body if isinstance(body, dict) else {})

    def _error(self, method: str, response: requests.Response, body: dict[str, Any]) -> ConnectorError:
        error = self._refusal(method, response, body)
        error.http_status = response.status_code
        return error

    def _refusal(self, method: str, response: requests.Response, body: dict[str, Any]) -> ConnectorError:
        status = response.status_code
        code = body.get("error_code") or status
        description = self.http.redact(str(body.get("description") or f"HTTP {status}"))
        parameters = body.get("parameters") or {}
        what = f"telegram {method}"
        if code == 429 or "retry_after" in parameters:
            seconds = int(parameters.get("retry_after") or 30)
            return RateLimited(self.clock() + timedelta(seconds=seconds),
                               f"{what}: {description}", scope="app")
        if code in (401, 404):
            return AuthExpired(_("{what}: the bot token was refused ({description}) — check BOT_TOKEN with "
                                 "@BotFather").format(what=what, description=description))
        if code == 403:
            return AuthExpired(_("{what}: the bot may not post in {chat} ({description}) — add it to the channel as "
                                 "an administrator allowed to post messages").format(what=what, chat=self.chat_id,
                                                                                     description=description))
        if code >= 500 or status >= 500:
            return server_error("POST", int(code if code >= 500 else status), what)
        if "migrate_to_chat_id" in parameters:
            return Permanent(_("{what}: the chat moved to {chat}; update CHAT_ID").format(
                what=what, chat=parameters["migrate_to_chat_id"]))
        return Permanent(f"{what}: {description}")

    # --- helpers -----------------------------------------------------------------------------
    @staticmethod
    def _message_ids(remote_id: str) -> list[int]:
        try:
            return [int(part) for part in remote_id.split(",") if part.strip()]
        except ValueError:
            raise Permanent(_("telegram: {id!r} is not a message id").format(id=remote_id)) from None

    def _url(self, message: dict[str, Any]) -> str | None:
        username = (message.get("chat") or {}).get("username")
        if not username and self.chat_id.startswith("@"):
            username = self.chat_id[1:]
        return f"https://t.me/{username}/{message['message_id']}" if username else None

    def _published(self, messages: list[dict[str, Any]]) -> Published:
        first = messages[0]
        return Published(remote_id=",".join(str(m["message_id"]) for m in messages),
                         url=self._url(first),
                         published_at=datetime.fromtimestamp(int(first["date"]), timezone.utc))

    @staticmethod
    def message_text(post: OutgoingPost) -> str:
        """The text sent for ``post``: its text, with the link appended unless already in it."""
        return compose_text(post.text, post.link)

    # --- Connector protocol ------------------------------------------------------------------
    def verify(self) -> Identity:
        """Check the token (getMe), the channel (getChat) and that the bot may post there (getChatMember)."""
        bot = self._call("getMe")
        chat = self._call("getChat", json={"chat_id": self.chat_id})
        member = self._call("getChatMember", json={"chat_id": self.chat_id, "user_id": bot["id"]})
        status = member.get("status")
        may_post = status == "creator" or (status == "administrator"
                                           and (chat.get("type") != "channel"
                                                or member.get("can_post_messages", False)))
        if not may_post:
            raise AuthExpired(_("telegram: bot @{bot} is {status!r} in {chat} and may not post — make it an "
                                "administrator allowed to post messages").format(bot=bot.get("username"), status=status,
                                                                                chat=self.chat_id))
        username = chat.get("username")
        return Identity(remote_id=str(chat["id"]),
                        handle=f"@{username}" if username else str(chat.get("title") or chat["id"]),
                        display_name=chat.get("title"),
                        url=f"https://t.me/{username}" if username else None)

    def send_notice(self, text: str) -> Published:
        """A plain-text message to the chat with no link preview (campaigner's alert digests; no
        ``parse_mode``, so nothing in the text is read as markup)."""
        if not text.strip():
            raise Permanent(_("telegram: a message needs text"))
        if utf16_length(text) > TEXT_LIMIT:
            raise Permanent(_("telegram: text is {n} characters; the limit is {most}").format(n=utf16_length(text),
                                                                                            most=TEXT_LIMIT))
        return self._published([self._call("sendMessage", json={"chat_id": self.chat_id, "text": text,
                                                                "link_preview_options": {"is_disabled": True}})])

    def publish(self, post: OutgoingPost) -> Published:
        text = self.message_text(post)
        reply = ({"message_id": self._message_ids(post.reply_to)[0]} if post.reply_to else None)
        if not post.media:
            if utf16_length(text) > TEXT_LIMIT:
                raise Permanent(_("telegram: text is {n} characters; the limit is {most}").format(n=utf16_length(text),
                                                                                                most=TEXT_LIMIT))
            payload: dict[str, Any] = {"chat_id": self.chat_id, "text": text}
            if post.link:
                payload["link_preview_options"] = {"url": post.link}
            if reply:
                payload["reply_parameters"] = reply
            return self._published([self._call("sendMessage", json=payload)])

        kinds = [_media_kind(m.mime_type) for m in post.media]
        if utf16_length(text) > CAPTION_LIMIT:
            raise Permanent(_("telegram: a caption holds at most {most} characters and this text has {n} — shorten "
                              "it or post it without media").format(most=CAPTION_LIMIT, n=utf16_length(text)))
        if len(post.media) > ALBUM_MAX:
            raise Permanent(_("telegram: an album holds {least}–{most} items, not {n}").format(
                least=ALBUM_MIN, most=ALBUM_MAX, n=len(post.media)))
        data: dict[str, Any] = {"chat_id": self.chat_id}
        if reply:
            data["reply_parameters"] = json.dumps(reply)
        with ExitStack() as stack:
            files = {}
            for i, media in enumerate(post.media):
                path = Path(media.path)
                try:
                    fh = stack.enter_context(open(path, "rb"))
                except OSError as exc:
                    raise Permanent(_("telegram: cannot read media file {name!r}: {reason}").format(
                        name=path.name, reason=exc.strerror)) from None
                files[f"file{i}"] = (path.name, fh, media.mime_type)
            if len(post.media) == 1:
                kind = kinds[0]           # the file goes up under the field "photo" / "video"
                if text:
                    data["caption"] = text
                method = "sendPhoto" if kind == "photo" else "sendVideo"
                return self._published([self._call(method, data=data, files={kind: files["file0"]})])
            album = []
            for i, kind in enumerate(kinds):
                item = {"type": kind, "media": f"attach://file{i}"}
                if i == 0 and text:
                    item["caption"] = text
                album.append(item)
            data["media"] = json.dumps(album)
            return self._published(self._call("sendMediaGroup", data=data, files=files))

    def find_existing(self, post: OutgoingPost, since: datetime) -> Published | None:
        """Always ``None``: a bot cannot read a channel's history.

        So ``None`` here means "cannot tell", not "not there": after an unknown outcome the engine
        must mark the delivery unconfirmed and ask a person to check the channel before any re-send.
        """
        return None

    def delete(self, remote_id: str) -> None:
        """Delete the message (or the whole album). Already gone counts as deleted.

        Telegram lets a bot delete channel messages only within 48 hours of sending; after that the
        refusal becomes ``Permanent`` with that explanation (delete it by hand in the app).
        """
        ids = self._message_ids(remote_id)
        try:
            if len(ids) == 1:
                self._call("deleteMessage", json={"chat_id": self.chat_id, "message_id": ids[0]})
            else:
                self._call("deleteMessages", json={"chat_id": self.chat_id, "message_ids": ids})
        except Permanent as exc:
            reason = exc.reason.lower()
            if "not found" in reason:
                return
            if "can't be deleted" in reason or "cannot be deleted" in reason:
                raise Permanent(_("{reason} — bots may delete channel messages only within 48 hours of sending; "
                                  "delete it by hand in the Telegram app").format(reason=exc.reason)) from None
            raise

    def metrics(self, remote_ids: Sequence[str]) -> MetricsBatch:
        """Every count ``None``: the Bot API has no view or engagement counts (no request is made).

        Nothing is reported missing either, because a bot cannot tell whether a message still exists.
        """
        return MetricsBatch(found={rid: Metrics(remote_id=rid) for rid in dict.fromkeys(remote_ids)})

    def replies(self, remote_id: str, since: datetime | None = None):
        raise NotSupported(_("telegram: the Bot API cannot read comments on channel posts (they live in the linked "
                             "discussion group and reach bots only as live updates)"))
