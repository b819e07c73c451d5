"""Running the service in several uvicorn worker processes on one port.

uvicorn binds the socket its workers share as ``socket.socket(AF_INET)``, whose protocol
number is 0; asyncio sets ``TCP_NODELAY`` only on connections accepted from a socket
labelled TCP, so behind ``workers=N`` every response waited for the client's delayed ACK
(measured with ``bench/bench_store.py --workers 2``: 48 ms p50 at 2 clients, 40 issues/s,
against 11 ms and 163 issues/s with one worker). :class:`TCPConfig` hands the workers the
same socket labelled TCP (the label survives the hand-over to each spawned worker).

:data:`LIMITS` bound what one slow or greedy client can hold: an idle keep-alive
connection is closed after 5 s, a request head over 16 KiB is refused, and past 200 open
connections per worker new ones get 503. uvicorn has no timeout for reading a request's
headers, so a client trickling a head byte by byte (slowloris) still holds a connection
until it finishes; behind a reverse proxy (nginx ``client_header_timeout``) that is the
proxy's job, and a service open to the internet should sit behind one. Inside each
worker, :class:`api.app.HeavyLimit` bounds the heavy requests (statistics, map layers,
Open311 lists) served at once, so a burst of them cannot take the memory and threads
the cheap ones need.
"""

from __future__ import annotations

import socket
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

__all__ = ["LIMITS", "TCPConfig", "run_one", "run_workers"]

#: uvicorn settings bounding what one client can hold (see the module docstring).
LIMITS: dict[str, Any] = {
    "timeout_keep_alive": 5,
    "h11_max_incomplete_event_size": 16 * 1024,
    "limit_concurrency": 200,
}


class TCPConfig(uvicorn.Config):
    """A uvicorn config whose bound socket says it is TCP (so connections get NODELAY)."""

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
            return socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, sock.detach())
        return sock


def run_workers(app: str, *, host: str, port: int, workers: int) -> None:
    """Serve the app factory at import path ``app`` from ``workers`` processes.

    uvicorn's supervisor starts the workers, restarts one that dies, and stops them all on
    SIGINT/SIGTERM.
    """
    config = TCPConfig(
        app, factory=True, host=host, port=port, workers=workers, log_level="warning", **LIMITS
    )
    sock = config.bind_socket()
    Multiprocess(config, sockets=[sock]).run()


def run_one(app: Any, *, host: str, port: int) -> None:
    """Serve ``app`` (an ASGI app) from this process, with :data:`LIMITS`."""
    uvicorn.run(app, host=host, port=port, log_level="warning", workers=1, **LIMITS)
