"""Running the service in several uvicorn worker processes on one port.

uvicorn binds the socket its workers share as ``socket.socket(AF_INET)``, whose protocol
number is 0; asyncio sets ``TCP_NODELAY`` only on connections accepted from a socket
labelled TCP, so behind ``workers=N`` every response waited for the client's delayed ACK
(measured with ``bench/bench_store.py --workers 2``: 48 ms p50 at 2 clients, 40 issues/s,
against 11 ms and 163 issues/s with one worker). :class:`TCPConfig` hands the workers the
same socket labelled TCP (the label survives the hand-over to each spawned worker).
"""

from __future__ import annotations

import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

__all__ = ["TCPConfig", "run_workers"]


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
        app, factory=True, host=host, port=port, workers=workers, log_level="warning"
    )
    sock = config.bind_socket()
    Multiprocess(config, sockets=[sock]).run()
