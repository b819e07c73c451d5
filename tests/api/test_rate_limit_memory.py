"""The rate limiter keeps a bucket only for clients still being limited: a stream of new
addresses (a scan, a NAT pool, a year of residents) does not grow the server's memory."""

from __future__ import annotations

import asyncio
from typing import Any

from api.app import _PRUNE_AT, RateLimit


async def _ok(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def test_buckets_of_refilled_clients_are_dropped() -> None:
    limiter = RateLimit(_ok, rate=1e9, burst=5)  # every bucket is full again at once

    async def sweep() -> None:
        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b""}

        async def send(message: dict[str, Any]) -> None:
            return None

        for n in range(3 * _PRUNE_AT):
            ip = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
            scope = {"type": "http", "path": "/health", "headers": [], "client": (ip, 1)}
            await limiter(scope, receive, send)

    asyncio.run(sweep())
    assert len(limiter._buckets) <= _PRUNE_AT + 1


def test_a_client_still_limited_keeps_its_bucket() -> None:
    limiter = RateLimit(_ok, rate=0.001, burst=1)  # refills only after 1,000 s
    sent: list[int] = []

    async def run() -> None:
        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b""}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                sent.append(message["status"])

        for n in range(_PRUNE_AT + 2):
            ip = (
                "10.9.9.9"
                if n in (0, _PRUNE_AT + 1)
                else f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
            )
            scope = {"type": "http", "path": "/health", "headers": [], "client": (ip, 1)}
            await limiter(scope, receive, send)

    asyncio.run(run())
    assert sent[0] == 200 and sent[-1] == 429  # pruning never forgave the limited client
