"""The socket ``gridgov serve --workers N`` shares is labelled TCP, so every accepted
connection gets TCP_NODELAY (without it each response waits for a delayed ACK)."""

from __future__ import annotations

import asyncio
import socket

import pytest

uvicorn = pytest.importorskip("uvicorn")

from api.serve import TCPConfig  # noqa: E402


async def _nodelay_of_accepted(sock: socket.socket) -> int:
    seen: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raw = writer.get_extra_info("socket")
        seen.append(raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    server = await asyncio.start_server(handle, sock=sock)
    host, port = sock.getsockname()[:2]
    _, writer = await asyncio.open_connection(host, port)
    for _ in range(200):
        if seen:
            break
        await asyncio.sleep(0.01)
    writer.close()
    server.close()
    await server.wait_closed()
    return seen[0]


def test_workers_socket_gives_nodelay_connections() -> None:
    # (uvicorn 0.54's own Config binds with protocol 0: those connections report 0 here)
    sock = TCPConfig("api:create_app", host="127.0.0.1", port=0).bind_socket()
    assert sock.proto == socket.IPPROTO_TCP
    assert asyncio.run(_nodelay_of_accepted(sock)) != 0
