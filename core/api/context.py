"""Per-app state: the services, caches, limits, metrics and the live-event hub.

One ``ApiContext`` lives on ``app.state.ctx``. Reads run on the threadpool with their own
connection; writes go through the core writer and are awaited without blocking the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable
from concurrent.futures import Future
from functools import partial
from typing import TypeVar

from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from timelygator.core import reader, settings_store, tokens
from timelygator.core.api.config import ApiConfig
from timelygator.core.api.errors import ApiError
from timelygator.core.api.metrics import ApiMetrics, shared_directory
from timelygator.core.api.query_worker import QueryWorkers
from timelygator.core.api.ratelimit import RateLimiter
from timelygator.core.api.stream import EventHub
from timelygator.core.api.wire import DataLimits
from timelygator.core.device import load_device_id
from timelygator.core.errors import NotFoundError
from timelygator.core.services import Services
from timelygator.core.writer import Change

log = logging.getLogger(__name__)

T = TypeVar("T")

TOUCH_INTERVAL_S = 60.0
REVOCATION_CHECK_S = 0.5


def _wake(loop: asyncio.AbstractEventLoop, waiter: asyncio.Future[T], future: Future[T]) -> None:
    """Writer thread (or the loop, if already done): hand the outcome to the loop."""
    with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
        loop.call_soon_threadsafe(_settle, waiter, future)


def _settle(waiter: asyncio.Future[T], future: Future[T]) -> None:
    if waiter.done():
        return
    if future.cancelled():
        waiter.cancel()
        return
    error = future.exception()
    if error is not None:
        waiter.set_exception(error)
    else:
        waiter.set_result(future.result())


class ApiContext:
    """Everything the endpoints share; created by ``create_app``."""

    def __init__(self, services: Services, config: ApiConfig) -> None:
        self.services = services
        self.config = config
        self.limits = DataLimits(config.max_event_data_bytes, config.max_data_depth)
        # Revocations are found by ``token_revoked`` within a second, so verified tokens can
        # stay cached for long (a request costs no database read).
        self.token_cache = tokens.TokenCache(ttl_s=3600.0)
        self.rate_limiter = RateLimiter(config.rate_limit_per_s, config.burst)
        self.auth_failures = RateLimiter(config.auth_failures_per_s, config.auth_failure_burst)
        self._revoked: frozenset[int] = frozenset()
        self.active_prefixes: frozenset[str] | None = None  # None: not read yet
        self._revoked_at = -math.inf  # time.monotonic() when the last check started
        self._revoked_check: asyncio.Future[None] | None = None
        self._revoked_task: asyncio.Task[None] | None = None
        self.device_id = load_device_id(services.dirs.data)
        if config.compat_mode is None:
            with services.read() as conn:
                setting = settings_store.get_setting(
                    conn, services.user_id, settings_store.COMPAT_MODE_KEY
                )
            self.compat_mode = setting is True
        else:
            self.compat_mode = config.compat_mode
        self._bucket_keys: dict[tuple[int, str], int] = {}
        self._bucket_owners: dict[int, tuple[int, str]] = {}
        self._touched: dict[int, float] = {}
        self.metrics = ApiMetrics(
            lambda: float(services.writer.queue_depth), self._events_stored, shared_directory()
        )
        self.hub = EventHub()
        # Created here, used on the server's loop (asyncio primitives bind on first use).
        self.query_slots = asyncio.Semaphore(max(config.heavy_reads, 1))
        self.query_workers: QueryWorkers | None = None
        if config.query_processes > 0:
            self.query_workers = QueryWorkers(services.store, config.query_processes)
        services.writer.add_change_listener(self._on_changes)

    def close(self) -> None:
        """End the open event streams, the query workers and the metrics' writing (the
        server is stopping)."""
        self.hub.close()
        self.metrics.close()
        if self.query_workers is not None:
            self.query_workers.close()

    # -- reading and writing ------------------------------------------------------------
    def _read_sync(self, fn: Callable[[Connection], T]) -> T:
        with self.services.read() as conn:
            return fn(conn)

    async def read(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn(conn)`` on a worker thread with a connection of its own."""
        return await run_in_threadpool(self._read_sync, fn)

    def check_capacity(self) -> None:
        """503 with Retry-After when the writer is too far behind to take more changes."""
        waiting = self.services.writer.queue_depth
        if waiting > self.config.max_write_queue:
            raise ApiError(
                503,
                f"The server is busy: {waiting} changes are waiting to be saved. Retry in a "
                "moment; nothing of this request was stored.",
                {"Retry-After": "1"},
            )

    @staticmethod
    async def wait(future: Future[T]) -> T:
        """Await a writer future (resolved after its transaction committed).

        Lighter than ``asyncio.wrap_future``, and one-way: a cancelled request never cancels
        the write, which the writer applies and commits whether or not anyone still waits.
        """
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[T] = loop.create_future()
        future.add_done_callback(partial(_wake, loop, waiter))
        return await waiter

    def _events_stored(self) -> float:
        with self.services.read() as conn:
            return float(reader.total_events(conn))

    # -- buckets by name ------------------------------------------------------------------
    def cached_bucket_key(self, user_id: int, name: str) -> int | None:
        """The key of this user's bucket ``name`` if it is cached (no lookup)."""
        return self._bucket_keys.get((user_id, name))

    async def bucket_key(self, user_id: int, name: str) -> int:
        """The key of this user's bucket ``name``; NotFoundError (404) for anyone else's."""
        key = self._bucket_keys.get((user_id, name))
        if key is None:
            key = await self.read(lambda conn: reader.bucket_key(conn, user_id, name))
            self._bucket_keys[(user_id, name)] = key
            self._bucket_owners[key] = (user_id, name)
        return key

    async def bucket_owner(self, key: int) -> tuple[int, str] | None:
        owner = self._bucket_owners.get(key)
        if owner is not None:
            return owner

        owner = await self.read(lambda conn: reader.bucket_owner(conn, key))
        if owner is not None:
            self._bucket_owners[key] = owner
            self._bucket_keys[owner] = key
        return owner

    def forget_bucket(self, key: int) -> None:
        owner = self._bucket_owners.pop(key, None)
        if owner is not None:
            self._bucket_keys.pop(owner, None)

    def _on_changes(self, changes: list[Change]) -> None:
        """Writer thread, after each commit: keep caches right, feed the live stream."""
        for change in changes:
            if change.kind == "bucket_deleted" and change.bucket_key is not None:
                self.forget_bucket(change.bucket_key)
        self.hub.publish(changes)

    # -- tokens -----------------------------------------------------------------------------
    def cached_token(self, secret: str) -> tokens.TokenInfo | None:
        """The verified token for ``secret`` if it is cached (no database read)."""
        info = self.token_cache.get(secret)
        if info is not None:
            self._note_use(info.id)
        return info

    async def verify_token(self, secret: str) -> tokens.TokenInfo | None:
        info = self.token_cache.get(secret)
        if info is None:
            info = await self.read(lambda conn: tokens.verify_token(conn, secret))
            if info is None:
                return None
            self.token_cache.put(secret, info)
        self._note_use(info.id)
        return info

    def may_be_token(self, secret: str) -> bool:
        """False when no active token starts like ``secret`` (checked without its hash)."""
        self._refresh_revocations()
        prefixes = self.active_prefixes
        return prefixes is None or secret[: tokens.PREFIX_LENGTH] in prefixes

    def token_revoked(self, token_id: int) -> bool:
        """Whether token ``token_id`` was revoked, by anyone (this server, the app, the CLI).

        The revoked ids are read from the database in the background at most every
        ``REVOCATION_CHECK_S`` (one small query, which no request waits for), so a
        revocation made anywhere reaches this server within about that time.
        """
        self._refresh_revocations()
        return token_id in self._revoked

    def _refresh_revocations(self) -> None:
        """Start reading the revoked tokens again if the last read is too old."""
        if time.monotonic() - self._revoked_at < REVOCATION_CHECK_S:
            return
        check = self._revoked_check
        if check is not None and not check.done():
            return
        self._revoked_at = time.monotonic()
        self._revoked_task = asyncio.get_running_loop().create_task(self._check_revocations())

    def note_revoked(self, token_id: int) -> None:
        """This server revoked ``token_id``: refuse it at once, end its streams."""
        self._revoked = self._revoked | {token_id}
        self.token_cache.clear()
        self.hub.end_streams_of(token_id)

    async def _check_revocations(self) -> None:
        loop = asyncio.get_running_loop()
        check = self._revoked_check
        if check is None or check.done() or check.get_loop() is not loop:
            check = self._revoked_check = loop.create_future()
            try:
                states = await self.read(tokens.token_states)
            except BaseException as exc:
                check.set_result(None)
                self._revoked_at = -math.inf
                if isinstance(exc, Exception):
                    log.warning("Could not read revoked tokens: %s", type(exc).__name__)
                    return
                raise
            revoked = states.revoked
            newly = revoked - self._revoked
            self._revoked = revoked
            self.active_prefixes = states.active_prefixes
            if newly:
                self.token_cache.clear()
                for token_id in newly:
                    self.hub.end_streams_of(token_id)
            check.set_result(None)
            return
        await asyncio.shield(check)

    def _note_use(self, token_id: int) -> None:
        """Record a token's last use at most once a minute (a tiny write, not awaited)."""
        now = time.monotonic()
        last = self._touched.get(token_id)
        if last is not None and now - last < TOUCH_INTERVAL_S:
            return
        self._touched[token_id] = now
        when = self.services.clock.now_us()
        try:
            self.services.writer.call(lambda conn: tokens.touch_tokens(conn, [(token_id, when)]))
        except NotFoundError:
            pass
        except Exception:  # the database may be closing; last-used is best effort
            log.debug("Could not record token use", exc_info=True)
