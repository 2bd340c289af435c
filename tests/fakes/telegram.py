"""A stateful fake of the Telegram Bot API for one bot administering one channel.

Serves ``/bot<token>/<method>`` and checks what Telegram checks: a known token (401
"Unauthorized"; a malformed one gets 404 "Not Found"), the chat, the bot's rights in it (403 once
kicked), text 1–4096 and captions ≤ 1024 UTF-16 code units, albums of 2–10 uploaded files,
``reply_parameters.message_id`` pointing at an existing message, deletion only within 48 hours.
Parameters are accepted as query, JSON, form or multipart (nested objects as JSON strings), as the
real Bot API does. Answers are ``{"ok": true, "result": …}`` or ``{"ok": false, "error_code", "description"}``.
"""
from __future__ import annotations

import json
import math
import re
from datetime import datetime, timedelta
from typing import Any

from connectors.base import AccountConfig
from tests.fakes.server import ContractFake, Part, Request, Response


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fail(code: int, description: str, **parameters: Any) -> Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return Response(code, body)


def _ok(result: Any) -> Response:
    return Response(200, {"ok": True, "result": result})


def _obj(value: Any) -> Any:
    """Nested parameters arrive as objects (JSON bodies) or JSON strings (form/multipart)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class Fake(ContractFake):
    platform = "telegram"
    BOT_ID = 7012345678
    TOKEN = f"{BOT_ID}:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"

    def __init__(self, *, chat_username: str | None = "spn_info") -> None:
        super().__init__()
        self.chat = {"id": -1001987654321, "title": "Serikat Pekerja Nusantara", "type": "channel"}
        if chat_username:
            self.chat["username"] = chat_username
        self.chat_username = chat_username
        self.bot = {"id": self.BOT_ID, "is_bot": True, "first_name": "SPN Kabar",
                    "username": "spn_kabar_bot", "can_join_groups": True,
                    "can_read_all_group_messages": False, "supports_inline_queries": False}
        self.bot_status = "administrator"
        self.can_post_messages = True
        self.messages: dict[int, dict[str, Any]] = {}
        self.reactions: dict[int, dict[str, int]] = {}
        self.discussion: dict[int, list[dict[str, Any]]] = {}
        self._next_id = 4100
        self._creates = 0
        self._revoked = False

    # --- ContractFake ----------------------------------------------------------------------
    def account_config(self, state_dir=None) -> AccountConfig:
        chat_id = f"@{self.chat_username}" if self.chat_username else str(self.chat["id"])
        return AccountConfig(name="spn-telegram", platform="telegram", base_url=self.base_url,
                             handle=chat_id, secrets={"BOT_TOKEN": self.TOKEN, "CHAT_ID": chat_id},
                             timeout=5.0, state_dir=state_dir)

    def secret_values(self) -> list[str]:
        return [self.TOKEN, self.TOKEN.split(":", 1)[1]]

    def posts(self) -> dict[str, str]:
        with self.lock:
            return {str(mid): m.get("text", m.get("caption", "")) for mid, m in self.messages.items()}

    def create_count(self) -> int:
        return self._creates

    def set_engagement(self, remote_id: str, **counts: int) -> None:
        # Telegram only has reaction counts, and the Bot API gives them only as updates.
        with self.lock:
            self.reactions[int(remote_id.split(",")[0])] = dict(counts)

    def add_reply(self, remote_id: str, author: str, text: str, created_at) -> str:
        with self.lock:
            comments = self.discussion.setdefault(int(remote_id.split(",")[0]), [])
            comments.append({"author": author, "text": text, "date": int(created_at.timestamp())})
            return f"d{len(comments)}"

    def remove_post(self, remote_id: str) -> None:
        with self.lock:
            for mid in remote_id.split(","):
                self.messages.pop(int(mid), None)

    def expire_credentials(self) -> None:
        self._revoked = True

    def rate_limit_next(self, reset_at) -> None:
        seconds = max(1, math.ceil((reset_at - self.clock()).total_seconds()))
        self.fail_next(_fail(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds))

    def server_error_next(self, status: int = 500) -> None:
        self.fail_next(_fail(status, "Internal Server Error" if status == 500 else "Bad Gateway"))

    def reply_parent(self, remote_id: str) -> str | None:
        reply = self.messages[int(remote_id.split(",")[0])].get("reply_to_message")
        return str(reply["message_id"]) if reply else None

    def kick_bot(self) -> None:
        """The channel's owner removes the bot."""
        self.bot_status = "kicked"

    # --- HTTP --------------------------------------------------------------------------------
    def route(self, req: Request) -> Response:
        m = re.fullmatch(r"/bot([^/]*)/(\w+)", req.path)
        if not m or ":" not in m.group(1):
            return _fail(404, "Not Found")
        if m.group(1) != self.TOKEN or self._revoked:
            return _fail(401, "Unauthorized")
        method = m.group(2).lower()
        params = req.params()
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return _fail(404, "Not Found")
        if method != "getme":
            chat_id = params.get("chat_id")
            if chat_id is None or str(chat_id) == "":
                return _fail(400, "Bad Request: chat_id is empty")
            if str(chat_id) not in (str(self.chat["id"]), f"@{self.chat_username}"):
                return _fail(400, "Bad Request: chat not found")
            if self.bot_status == "kicked":
                return _fail(403, "Forbidden: bot was kicked from the channel chat")
            if method.startswith("send") and not (self.bot_status == "administrator" and self.can_post_messages):
                return _fail(400, "Bad Request: need administrator rights in the channel chat")
        return handler(params, req)

    # --- methods -------------------------------------------------------------------------------
    def _m_getme(self, params: dict[str, Any], req: Request) -> Response:
        return _ok(self.bot)

    def _m_getchat(self, params: dict[str, Any], req: Request) -> Response:
        return _ok({**self.chat, "accent_color_id": 3, "max_reaction_count": 11,
                    "description": "Kabar resmi Serikat Pekerja Nusantara"})

    def _m_getchatmember(self, params: dict[str, Any], req: Request) -> Response:
        if str(params.get("user_id")) != str(self.BOT_ID):
            return _fail(400, "Bad Request: PARTICIPANT_ID_INVALID")
        member: dict[str, Any] = {"user": self.bot, "status": self.bot_status}
        if self.bot_status == "administrator":
            member.update({"can_be_edited": False, "is_anonymous": False, "can_manage_chat": True,
                           "can_delete_messages": True, "can_manage_video_chats": False,
                           "can_restrict_members": True, "can_promote_members": False,
                           "can_change_info": False, "can_invite_users": True, "can_post_stories": False,
                           "can_edit_stories": False, "can_delete_stories": False,
                           "can_post_messages": self.can_post_messages, "can_edit_messages": True})
        return _ok(member)

    def _reply_check(self, params: dict[str, Any]) -> tuple[dict[str, Any] | None, Response | None]:
        reply = _obj(params.get("reply_parameters"))
        if reply is None:
            return None, None
        if not isinstance(reply, dict) or "message_id" not in reply:
            return None, _fail(400, "Bad Request: can't parse reply parameters JSON object")
        target = self.messages.get(int(reply["message_id"]))
        if target is None and not reply.get("allow_sending_without_reply"):
            return None, _fail(400, "Bad Request: message to be replied not found")
        return target, None

    def _new_message(self, reply_to: dict[str, Any] | None, **content: Any) -> dict[str, Any]:
        self._next_id += 1
        message = {"message_id": self._next_id, "sender_chat": self.chat, "chat": self.chat,
                   "date": int(self.clock().timestamp()), **content}
        if reply_to is not None:
            message["reply_to_message"] = {k: v for k, v in reply_to.items() if k != "reply_to_message"}
        self.messages[self._next_id] = message
        return message

    def _m_sendmessage(self, params: dict[str, Any], req: Request) -> Response:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            return _fail(400, "Bad Request: message text is empty")
        if utf16_len(text) > 4096:
            return _fail(400, "Bad Request: message is too long")
        reply_to, error = self._reply_check(params)
        if error:
            return error
        content: dict[str, Any] = {"text": text}
        preview = _obj(params.get("link_preview_options"))
        if preview is not None:
            if not isinstance(preview, dict):
                return _fail(400, "Bad Request: can't parse link preview options JSON object")
            content["link_preview_options"] = preview
        self._creates += 1
        return _ok(self._new_message(reply_to, **content))

    def _file(self, value: Any, parts: dict[str, list[Part]]) -> Part | None:
        if isinstance(value, Part):
            return value
        if isinstance(value, str) and value.startswith("attach://"):
            found = parts.get(value[len("attach://"):])
            return found[0] if found and found[0].filename is not None else None
        return None

    def _send_single(self, kind: str, params: dict[str, Any], req: Request) -> Response:
        part = self._file(params.get(kind), req.multipart())
        if part is None or not part.data:
            return _fail(400, f"Bad Request: there is no {kind} in the request")
        caption = params.get("caption") or ""
        if utf16_len(caption) > 1024:
            return _fail(400, "Bad Request: message caption is too long")
        reply_to, error = self._reply_check(params)
        if error:
            return error
        media = ([{"file_id": f"AgAC{self._next_id}", "file_unique_id": f"AQAD{self._next_id}",
                   "width": 1280, "height": 720, "file_size": len(part.data)}] if kind == "photo"
                 else {"file_id": f"BAAC{self._next_id}", "file_unique_id": f"AgAD{self._next_id}",
                       "width": 1280, "height": 720, "duration": 12, "file_size": len(part.data)})
        content: dict[str, Any] = {kind: media}
        if caption:
            content["caption"] = caption
        self._creates += 1
        return _ok(self._new_message(reply_to, **content))

    def _m_sendphoto(self, params: dict[str, Any], req: Request) -> Response:
        return self._send_single("photo", params, req)

    def _m_sendvideo(self, params: dict[str, Any], req: Request) -> Response:
        return self._send_single("video", params, req)

    def _m_sendmediagroup(self, params: dict[str, Any], req: Request) -> Response:
        media = _obj(params.get("media"))
        if not isinstance(media, list):
            return _fail(400, "Bad Request: can't parse media JSON object")
        if not 2 <= len(media) <= 10:
            return _fail(400, "Bad Request: wrong number of media items: the album must contain 2-10 items")
        parts = req.multipart()
        reply_to, error = self._reply_check(params)
        if error:
            return error
        group_id = f"1389{self._next_id}"
        sent = []
        for item in media:
            part = self._file(item.get("media"), parts)
            if item.get("type") not in ("photo", "video") or part is None:
                return _fail(400, "Bad Request: wrong file identifier/HTTP URL specified")
            if utf16_len(item.get("caption") or "") > 1024:
                return _fail(400, "Bad Request: message caption is too long")
        for item in media:
            content: dict[str, Any] = {"media_group_id": group_id,
                                       item["type"]: [{"file_id": f"AgAC{self._next_id}"}]}
            if item.get("caption"):
                content["caption"] = item["caption"]
            sent.append(self._new_message(reply_to, **content))
        self._creates += 1
        return _ok(sent)

    def _deletable(self, mid: int) -> Response | None:
        message = self.messages.get(mid)
        if message is None:
            return _fail(400, "Bad Request: message to delete not found")
        if self.clock() - datetime.fromtimestamp(message["date"], self.clock().tzinfo) > timedelta(hours=48):
            return _fail(400, "Bad Request: message can't be deleted")
        return None

    def _m_deletemessage(self, params: dict[str, Any], req: Request) -> Response:
        mid = int(params.get("message_id") or 0)
        error = self._deletable(mid)
        if error:
            return error
        del self.messages[mid]
        return _ok(True)

    def _m_deletemessages(self, params: dict[str, Any], req: Request) -> Response:
        ids = _obj(params.get("message_ids"))
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            return _fail(400, "Bad Request: message_ids must be a list of 1-100 identifiers")
        present = [int(i) for i in ids if int(i) in self.messages]
        for mid in present:
            error = self._deletable(mid)
            if error:
                return error
        for mid in present:
            del self.messages[mid]
        return _ok(True)
