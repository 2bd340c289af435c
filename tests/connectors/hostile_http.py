"""Small real HTTP servers on 127.0.0.1 that misbehave on purpose: slow bytes, endless chunks, huge
or bomb-like bodies, redirects to another host, answers that are not JSON.

Each connection's request is read and recorded (method, path, headers, body), then a *behaviour*
writes whatever it likes to the socket. A behaviour that never ends stops by itself after
``give_up_after`` seconds (so a client without a deadline fails a test instead of hanging it), and
the server notes whether the client hung up first (``hung_up``) or it gave up (``gave_up``).
"""
from __future__ import annotations

import gzip
import socket
import ssl
import threading
from dataclasses import dataclass
from typing import Callable


@dataclass
class Received:
    method: str
    path: str  # without the query
    headers: dict[str, str]
    body: bytes


class ClientGone(Exception):
    """The client closed the connection."""


class GaveUp(Exception):
    """The server's own patience ran out."""


class Sender:
    """What a behaviour writes with: ``send`` raises ``ClientGone``/``GaveUp`` to end it."""

    def __init__(self, conn: socket.socket, server: "HostileServer"):
        self.conn, self.server = conn, server
        self._deadline = threading.Event()
        self._timer = threading.Timer(server.give_up_after, self._deadline.set)
        self._timer.daemon = True
        self._timer.start()

    def send(self, data: bytes) -> None:
        if self._deadline.is_set() or self.server.stopping.is_set():
            raise GaveUp
        try:
            self.conn.sendall(data)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            raise ClientGone from None

    def pause(self, seconds: float) -> None:
        """Wait between two writes (a slow server, not a test waiting for time to pass)."""
        if self.server.stopping.wait(seconds) or self._deadline.is_set():
            raise GaveUp

    def close(self) -> None:
        self._timer.cancel()


Behaviour = Callable[[Sender, Received], None]


class HostileServer:
    """A real server on 127.0.0.1 answering every request with ``behaviour``; over TLS when given
    ``tls=(certificate file, key file)``. With ``read_rate`` (bytes a second) it takes in request
    bodies steadily at that pace, with ``read_rate=0`` not at all (a stalled upload)."""

    def __init__(self, behaviour: Behaviour, *, give_up_after: float = 10.0, tls: tuple | None = None,
                 read_rate: float | None = None):
        self.behaviour = behaviour
        self.give_up_after = give_up_after
        self.read_rate = read_rate
        self._tls: ssl.SSLContext | None = None
        if tls is not None:
            self._tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._tls.load_cert_chain(*tls)
        self.received: list[Received] = []
        self.hung_up = threading.Event()
        self.gave_up = threading.Event()
        self.stopping = threading.Event()
        self._sock: socket.socket | None = None

    @property
    def base_url(self) -> str:
        assert self._sock is not None, "start() first"
        host, port = self._sock.getsockname()[:2]
        return f"{'https' if self._tls else 'http'}://{host}:{port}"

    def start(self) -> "HostileServer":
        self._sock = socket.create_server(("127.0.0.1", 0))
        if self.read_rate is not None:  # a small window, so the pace is the client's too
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        self._sock.settimeout(0.05)
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._sock is not None:
            self._sock.close()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self._sock.accept()  # type: ignore[union-attr]
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sender = Sender(conn, self)
        try:
            if self._tls is not None:
                conn = sender.conn = self._tls.wrap_socket(conn, server_side=True)
            request = _read_request(conn, lambda got: self._pace(sender, got))
            if request is None:
                return
            self.received.append(request)
            self.behaviour(sender, request)
        except ClientGone:
            self.hung_up.set()
        except GaveUp:
            self.gave_up.set()
        except OSError:
            pass
        finally:
            sender.close()
            conn.close()


    def _pace(self, sender: Sender, got: int) -> None:
        """Wait as long as taking in ``got`` body bytes at ``read_rate`` takes (for ever at 0)."""
        if self.read_rate == 0:
            while True:
                sender.pause(1.0)
        if self.read_rate:
            sender.pause(got / self.read_rate)


class Unaccepting:
    """A port whose listen queue is full and never read: a connection to it never opens (the
    kernel drops the handshake), like a host behind a black-holing firewall."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0), backlog=0)
        self._filling: list[socket.socket] = []
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(self._sock.getsockname())
            self._filling.append(filler)
        host, port = self._sock.getsockname()[:2]
        self.base_url = f"http://{host}:{port}"

    def stop(self) -> None:
        for s in (*self._filling, self._sock):
            s.close()


def _read_request(conn: socket.socket, pace: Callable[[int], None]) -> Received | None:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = conn.recv(65536)
        if not piece:
            return None
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length") or 0)
    got = len(body)
    while len(body) < length:
        pace(got)
        piece = conn.recv(65536)
        if not piece:
            break
        body += piece
        got = len(piece)
    return Received(method, path.split("?", 1)[0], headers, body)


def _head(status: str, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items()), "Connection: close", "", ""]
    return "\r\n".join(lines).encode()


# --- behaviours --------------------------------------------------------------------------------
def dribble_headers(every: float = 0.2) -> Behaviour:
    """A status line, then one byte of a header every ``every`` seconds, for ever."""
    def behave(out: Sender, _: Received) -> None:
        out.send(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        while True:
            out.pause(every)
            out.send(b"a")
    return behave


def dribble_body(every: float = 0.2, length: int = 100_000) -> Behaviour:
    """Complete headers announcing ``length`` bytes of JSON, then one byte every ``every`` seconds."""
    def behave(out: Sender, _: Received) -> None:
        out.send(_head("200 OK", {"Content-Type": "application/json", "Content-Length": str(length)}))
        out.send(b"{")
        while True:
            out.pause(every)
            out.send(b" ")
    return behave


def endless_chunks(every: float = 0.0, size: int = 4096) -> Behaviour:
    """A chunked answer whose chunks never end (every ``every`` seconds; 0 = as fast as it can)."""
    def behave(out: Sender, _: Received) -> None:
        out.send(_head("200 OK", {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}))
        chunk = f"{size:x}\r\n".encode() + b" " * size + b"\r\n"
        out.send("1\r\n{\r\n".encode())
        while True:
            if every:
                out.pause(every)
            out.send(chunk)
    return behave


def big_body(size: int, redirect_to: str | None = None) -> Behaviour:
    """An answer of ``size`` bytes (JSON-looking), generated as it goes; a 307 to ``redirect_to``
    when given."""
    def behave(out: Sender, _: Received) -> None:
        headers = {"Content-Type": "application/json", "Content-Length": str(size)}
        if redirect_to is not None:
            headers["Location"] = redirect_to
        out.send(_head("307 Temporary Redirect" if redirect_to else "200 OK", headers))
        block = b" " * 65536
        out.send(b"{")
        left = size - 1
        while left > 0:
            out.send(block[:left])
            left -= len(block)
    return behave


def gzip_bomb_body(inflated: int, member: int = 16 * 1024 * 1024) -> bytes:
    """A gzip body that inflates to ``inflated`` bytes of zeros: a ~16 KB member of 16 MiB, repeated
    (gzip allows several members in one stream)."""
    one = gzip.compress(bytes(member), 9)
    return one * max(1, inflated // member)


def gzip_bomb(body: bytes) -> Behaviour:
    """The ``gzip_bomb_body`` as a JSON answer with ``Content-Encoding: gzip``."""
    def behave(out: Sender, _: Received) -> None:
        out.send(_head("200 OK", {"Content-Type": "application/json", "Content-Encoding": "gzip",
                                  "Content-Length": str(len(body))}))
        out.send(body)
    return behave


def redirect(location: str, status: str = "307 Temporary Redirect", keep_path: bool = False) -> Behaviour:
    """Every request is sent to ``location`` (followed by the request's path with ``keep_path``);
    307 and 308 tell the client to repeat the method and body there."""
    def behave(out: Sender, request: Received) -> None:
        target = location + request.path if keep_path else location
        out.send(_head(status, {"Location": target, "Content-Length": "0"}))
    return behave


def answer(body: bytes, status: str = "200 OK", content_type: str = "text/html; charset=utf-8") -> Behaviour:
    """The same complete answer to everything (e.g. a captive portal's HTML page)."""
    def behave(out: Sender, _: Received) -> None:
        out.send(_head(status, {"Content-Type": content_type, "Content-Length": str(len(body))}) + body)
    return behave



class SlowTunnel:
    """A real HTTP proxy on 127.0.0.1 that tunnels (``CONNECT``) slowly: it answers the ``CONNECT``
    after ``delay`` seconds, and holds the server's first bytes (the TLS handshake's answer) another
    ``delay`` — each step within a client's socket timeout, both together past a short deadline.
    Everything after goes through at once."""

    def __init__(self, delay: float):
        self.delay = delay
        self.stopping = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.05)
        host, port = self._sock.getsockname()[:2]
        self.url = f"http://{host}:{port}"
        threading.Thread(target=self._accept, daemon=True).start()

    def stop(self) -> None:
        self.stopping.set()
        self._sock.close()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                client, _ = self._sock.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client: socket.socket) -> None:
        server: socket.socket | None = None
        try:
            head = b""
            while b"\r\n\r\n" not in head:
                piece = client.recv(4096)
                if not piece:
                    return
                head += piece
            host, _, port = head.split(b" ", 2)[1].decode().rpartition(":")
            server = socket.create_connection((host, int(port)))
            if self.stopping.wait(self.delay):
                return
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            upstream = threading.Thread(target=self._pump, args=(client, server, 0.0), daemon=True)
            upstream.start()
            self._pump(server, client, self.delay)
            upstream.join()
        except OSError:
            pass
        finally:
            for s in (client, server):
                if s is not None:
                    s.close()

    def _pump(self, source: socket.socket, sink: socket.socket, first_delay: float) -> None:
        try:
            while not self.stopping.is_set():
                data = source.recv(65536)
                if not data:
                    break
                if first_delay and self.stopping.wait(first_delay):
                    break
                first_delay = 0.0
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
