"""The delivery worker: plan the outbox, queue reminders, send, retry, dead-letter.

One pass (:meth:`NotifyWorker.run_once`) does, in order:

1. *remind*: open issues whose deadline falls within ``due_soon_h`` get a ``due_soon``
   occasion queued in the outbox (keyed by issue, phase and deadline, so every pass may
   look again without queuing twice);
2. *plan*: outbox rows become notices (:class:`~gridgov.notify.planner.NoticePlanner`,
   inside the store's planning transaction);
3. *deliver*: a batch of due notices is claimed under a lease and sent; a send that fails
   is tried again after an exponential backoff, and after ``max_attempts`` failures (or at
   once, when the receiver refused it for good) the notice becomes a dead letter that
   ``gridgov notify list --dead`` shows and ``gridgov notify retry ID`` queues again.

A notice is marked sent only after its receiver accepted it, so a worker killed between
the two sends it again after the lease (at-least-once; the idempotency key lets the
receiver drop the repeat). A worker never starts a send that could outlast its lease, so
two live workers never send one notice. :meth:`NotifyWorker.start` runs passes in a
thread (``gridgov serve``); ``gridgov notify run`` runs them in the foreground.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gridgov.issues.lifecycle import utcnow
from gridgov.model import Workspace
from gridgov.notify.channels import Channel, DeliveryError, build_channel
from gridgov.notify.config import NotifyConfig, notify_config
from gridgov.notify.model import Notice, OutboxItem
from gridgov.notify.planner import Directory, NoticePlanner
from gridgov.notify.rules import RULES, Rule
from gridgov.settings import Settings
from gridgov.store.outbox import OutboxStore, outbox_store

__all__ = ["NotifyWorker", "PassReport"]

log = logging.getLogger(__name__)

#: Seconds kept free at the end of a lease: a send must end this long before it runs out.
LEASE_MARGIN_S = 2.0
#: How often the address book is read again (accounts change while the service runs).
DIRECTORY_TTL_S = 300.0
#: How many planning rounds one pass may take before it delivers (a backlog is worked off
#: over several passes, never starving delivery).
PLAN_ROUNDS = 20


@dataclass(frozen=True)
class PassReport:
    """What one pass did."""

    planned: int = 0
    notices: int = 0
    reminders: int = 0
    sent: int = 0
    failed: int = 0
    dead: int = 0

    @property
    def busy(self) -> bool:
        return bool(self.planned or self.reminders or self.sent or self.failed or self.dead)

    def __add__(self, other: PassReport) -> PassReport:
        return PassReport(
            self.planned + other.planned,
            self.notices + other.notices,
            self.reminders + other.reminders,
            self.sent + other.sent,
            self.failed + other.failed,
            self.dead + other.dead,
        )


class NotifyWorker:
    """Plans and delivers the notices of one issue store.

    Parameters
    ----------
    store : Store
        The SQLite or PostGIS issue store (the outbox tables live beside the issues).
    ws : Workspace
        The county: contacts (deputies, station contacts, grid workers).
    settings : Settings
        ``settings.notify`` configures channels, reminders, quiet hours and retries.
    unit_name : callable, optional
        ``unit -> name`` for texts (an :class:`~gridgov.issues.service.IssueService`'s
        escalation graph: ``lambda u: service.node(u)["name"]``); default: the unit id.
    clock : callable, optional
        The time (timezone-aware); tests pass a controllable one.
    channels : dict, optional
        Channel name -> adapter, replacing the ones the settings build.
    rules : tuple of Rule, optional
        The rule table (default :data:`~gridgov.notify.rules.RULES`).
    """

    def __init__(
        self,
        store: Any,
        ws: Workspace,
        settings: Settings | None = None,
        *,
        unit_name: Callable[[str], str] | None = None,
        clock: Callable[[], datetime] = utcnow,
        channels: dict[str, Channel] | None = None,
        rules: tuple[Rule, ...] = RULES,
    ) -> None:
        self.settings = settings or Settings()
        self.config: NotifyConfig = notify_config(getattr(self.settings, "notify", {}))
        self.store = store
        self.outbox: OutboxStore = outbox_store(store)
        self.ws = ws
        self.clock = clock
        self.rules = rules
        self.unit_name = unit_name or (lambda unit: unit.partition(":")[2] or unit)
        self.channels: dict[str, Channel] = (
            dict(channels)
            if channels is not None
            else {c.name: build_channel(c) for c in self.config.channels}
        )
        self._directory: tuple[float, Directory] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_prune = 0.0

    @classmethod
    def for_service(cls, service: Any, **kwargs: Any) -> NotifyWorker:
        """The worker of an :class:`~gridgov.issues.service.IssueService`: its store,
        workspace, settings, clock and escalation graph's unit names."""

        def name(unit: str) -> str:
            if unit in service.escalation:
                return str(service.escalation.nodes[unit].get("name", unit))
            return unit

        kwargs.setdefault("clock", service.clock)
        return cls(service.store, service.ws, service.settings, unit_name=name, **kwargs)

    # --- the pieces of a pass --------------------------------------------------------------

    def directory(self) -> Directory:
        """The address book, read again every :data:`DIRECTORY_TTL_S` seconds."""
        held = self._directory
        if held is None or time.monotonic() - held[0] > DIRECTORY_TTL_S:
            from gridgov.store.accounts import account_store

            try:
                accounts = account_store(self.store).accounts()
            except Exception:  # an older database without accounts: the roster alone
                log.exception("reading accounts for the address book failed")
                accounts = []
            held = (time.monotonic(), Directory.build(self.ws, accounts))
            self._directory = held
        return held[1]

    def remind(self, now: datetime | None = None) -> int:
        """Queue 即将超期 reminders for deadlines within ``due_soon_h``; returns how many
        were new."""
        if self.config.due_soon_h <= 0:
            return 0
        now = now or self.clock()
        items = []
        for issue in self.outbox.due_between(now, now + timedelta(hours=self.config.due_soon_h)):
            for phase, due in (
                ("acknowledge", issue.acknowledge_due),
                ("resolve", issue.resolve_due),
            ):
                if due is None or not now < due <= now + timedelta(hours=self.config.due_soon_h):
                    continue
                items.append(
                    OutboxItem(
                        source=f"due_soon/{issue.issue_id}/{phase}/{due.isoformat()}",
                        issue_id=issue.issue_id,
                        seq=None,
                        kind="due_soon",
                        at=now,
                        data={"phase": phase, "due": due.isoformat()},
                    )
                )
        return self.outbox.queue(items) if items else 0

    def plan(self, now: datetime | None = None) -> tuple[int, int]:
        """Turn the outbox into notices until it is empty (or :data:`PLAN_ROUNDS` rounds);
        returns (outbox rows planned, notices made)."""
        planner = NoticePlanner(
            self.config,
            self.settings,
            self.directory(),
            unit_name=self.unit_name,
            clock=(lambda: now) if now is not None else self.clock,
            rules=self.rules,
        )
        rows = made = 0
        for _ in range(PLAN_ROUNDS):
            n, m = self.outbox.plan(planner, now=now or self.clock(), limit=self.config.batch)
            rows, made = rows + n, made + m
            if n == 0:
                break
        return rows, made

    def deliver(self, now: datetime | None = None) -> PassReport:
        """Claim one batch of due notices and send them."""
        now = now or self.clock()
        lease_until = now + timedelta(seconds=self.config.lease_s)
        batch = self.outbox.claim(now=now, lease_until=lease_until, limit=self.config.batch)
        if not batch:
            return PassReport()
        sent: list[int] = []
        failed = dead = 0
        token = batch[0].lease_token
        for i, notice in enumerate(batch):
            channel = self.channels.get(notice.channel)
            timeout = channel.config.timeout_s if channel is not None else 0.0
            # never start a send that could end after the lease: another worker would take
            # the notice and send it too
            if self.clock() + timedelta(seconds=timeout + LEASE_MARGIN_S) >= lease_until:
                self.outbox.release([n.notice_id for n in batch[i:]], token, self.clock())
                break
            try:
                if channel is None:
                    raise DeliveryError(
                        f"no channel {notice.channel!r} in the settings ([notify.channels])",
                        permanent=True,
                    )
                channel.send(notice)
            except DeliveryError as exc:
                if self._failed(notice, token, exc):
                    dead += 1
                else:
                    failed += 1
                continue
            except Exception as exc:  # a bug in an adapter must not stop the others
                log.exception("sending notice %d failed unexpectedly", notice.notice_id)
                if self._failed(notice, token, DeliveryError(f"{type(exc).__name__}: {exc}")):
                    dead += 1
                else:
                    failed += 1
                continue
            sent.append(notice.notice_id)
        if sent:
            self.outbox.sent(sent, token, self.clock())
        return PassReport(sent=len(sent), failed=failed, dead=dead)

    def _failed(self, notice: Notice, token: str, exc: DeliveryError) -> bool:
        """Record a failed send; True if the notice is now a dead letter."""
        give_up = exc.permanent or notice.attempts >= self.config.max_attempts
        retry_at = None
        if not give_up:
            # jitter: notices that failed together (a receiver down) do not all return at once
            wait = self.config.backoff(notice.attempts) * random.uniform(0.8, 1.0)
            retry_at = self.clock() + timedelta(seconds=wait)
        log.warning(
            "notice %d (%s, %s) failed, attempt %d: %s%s",
            notice.notice_id, notice.kind, notice.channel, notice.attempts, exc.reason,
            " (dead letter)" if give_up else "",
        )  # fmt: skip
        self.outbox.failed(notice.notice_id, token, exc.reason, retry_at=retry_at)
        return give_up

    def run_once(self, now: datetime | None = None) -> PassReport:
        """One pass: remind, plan, deliver (and, daily, delete old sent notices)."""
        reminders = self.remind(now)
        planned, made = self.plan(now)
        report = PassReport(planned=planned, notices=made, reminders=reminders)
        report = report + self.deliver(now)
        if time.monotonic() - self._last_prune > 86400.0:
            self._last_prune = time.monotonic()
            before = (now or self.clock()) - timedelta(days=self.config.retention_days)
            self.outbox.prune(before)
        return report

    def drain(self, *, max_passes: int = 1000) -> PassReport:
        """Passes until one finds nothing to do now (notices waiting for a retry or the end
        of the quiet hours stay queued)."""
        total = PassReport()
        for _ in range(max_passes):
            report = self.run_once()
            total = total + report
            if not report.busy:
                break
        return total

    # --- running ---------------------------------------------------------------------------

    def run(self, stop: threading.Event | None = None) -> None:
        """Passes until ``stop`` is set: at once again after a busy pass, after
        ``poll_s`` after an idle one."""
        stop = stop or self._stop
        while not stop.is_set():
            try:
                busy = self.run_once().busy
            except Exception:  # the worker must outlive a bad pass (database restarting)
                log.exception("notice pass failed; will retry")
                busy = False
            if not busy:
                stop.wait(self.config.poll_s)

    def start(self) -> None:
        """Run in a background thread (``gridgov serve``)."""
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="gridgov-notify", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the thread after its current pass."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)
            self._thread = None
