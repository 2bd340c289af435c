"""Total deadlines for requests: requests' own ``timeout`` bounds each socket operation and
restarts with every byte, so a server sending one byte every few seconds is never cut off.

``start(seconds)`` watches the requests the calling thread makes until ``Watch.finish()``; one
daemon thread shuts down the sockets of every watch whose deadline has passed, which wakes a read
or write blocked on them at once (headers, body or upload). Sessions take part by mounting
``DeadlineAdapter``, whose connections hand their socket to the running watch.
"""
from __future__ import annotations

import heapq
import itertools
import os
import socket
import threading
import time
from typing import Any

import urllib3.connection
import urllib3.connectionpool
from requests.adapters import HTTPAdapter


class Watch:
    """One request's deadline and the sockets it used: when the deadline passes, they are shut
    down, which ends any read or write blocked on them at once (headers, body or upload)."""

    def __init__(self) -> None:
        self.expired = False
        self.done = False
        #: a connection was open before the deadline passed (so a write may have reached the platform)
        self.connected = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def attach(self, sock: Any) -> None:
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            if self.done:
                return
            if self.expired:  # the deadline passed while connecting: shut before any request byte goes out
                _shut(sock)
                return
            self.connected = True
            if not any(s is sock for s in self._sockets):
                self._sockets.append(sock)

    def expire(self) -> None:
        with self._lock:
            if self.done:
                return
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def finish(self) -> bool:
        """Stop watching; True when the deadline passed first."""
        _current.watch = None
        with self._lock:
            self.done = True
            self._sockets.clear()
            return self.expired


def _shut(sock: socket.socket) -> None:
    try:  # the plain socket call, also for TLS: it wakes a read blocked in another thread
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass


class _Watchdog:
    """One daemon thread that expires every request whose deadline has passed."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget everything: used at start and in a forked child (its lock may have been held)."""
        self._due: list[tuple[float, int, Watch]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, deadline: float) -> Watch:
        watch = Watch()
        with self._wake:
            heapq.heappush(self._due, (deadline, next(self._order), watch))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="http-deadlines", daemon=True)
                self._thread.start()
            elif self._due[0][2] is watch:
                self._wake.notify()
        return watch

    def _run(self) -> None:
        with self._wake:
            while True:
                while self._due and self._due[0][2].done:
                    heapq.heappop(self._due)
                if not self._due:
                    self._wake.wait()
                    continue
                wait = self._due[0][0] - time.monotonic()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
                heapq.heappop(self._due)[2].expire()


_watchdog = _Watchdog()
os.register_at_fork(after_in_child=_watchdog.reset)
_current = threading.local()


def start(seconds: float) -> Watch:
    """Watch the requests the calling thread makes from now until ``Watch.finish()``: past
    ``seconds``, their sockets are shut down."""
    watch = _watchdog.watch(time.monotonic() + seconds)
    _current.watch = watch
    return watch


def _attach(sock: Any) -> None:
    watch = getattr(_current, "watch", None)
    if watch is not None:
        watch.attach(sock)


class _HandsOverItsSocket:
    """Makes a urllib3 connection hand its socket to the running watch when it is opened or
    reused (the watch keeps the socket itself: the connection lets go of it when an answer says
    ``Connection: close``, while the body is still being read). A TLS handshake is bounded by the
    connect timeout, each of its reads; the watch takes over once it is done."""

    sock: Any

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        _attach(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _attach(self.sock)
        super().request(*args, **kwargs)  # type: ignore[misc]


class _WatchedHTTPConnection(_HandsOverItsSocket, urllib3.connection.HTTPConnection):
    pass


class _WatchedHTTPSConnection(_HandsOverItsSocket, urllib3.connection.HTTPSConnection):
    pass


class _WatchedHTTPPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter with connections whose sockets a request's deadline can shut."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if isinstance(manager, urllib3.ProxyManager):  # SOCKS managers keep their own connections
            manager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}
        return manager
