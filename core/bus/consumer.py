"""EventConsumer: subscribe to a site's events and get them validated, deduplicated and in batches.

    async with EventConsumer(bus_config, name="ingest-1", state_path=Path("ingest-1.sqlite")) as consumer:
        async for batch in consumer.batches():
            store(batch)          # the batch counts as handled when the next one is asked for

Bad input never stops it: a payload that does not parse or validate goes to the dead-letter topic
``edgesight/<site>/deadletter/<name>`` with the reason. Duplicates (same event id) are dropped, using a
`DedupWindow` that survives restarts. Without a shared-subscription group it also tracks each stream's
sequence numbers, asks the publishing node to resend what is missing (``edgesight/<site>/replay/<node>``)
and reports what stayed missing in `lost`. In a group each worker sees only part of every stream, so gap
tracking is off there (the store can tell gaps from what all workers wrote).
"""
from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from types import TracebackType

import aiomqtt
from prometheus_client import Counter

from ..events import (
    Envelope,
    EventBody,
    InvalidEvent,
    NodeStatus,
    ReplayRequest,
    deadletter_topic,
    decode_event,
    replay_topic,
    site_events_filter,
    utc_now,
)
from .config import BusConfig
from .connection import BrokerRefused, run_session_tasks, stay_connected
from .dedup import DedupWindow
from .gaps import GapTracker, to_ranges

log = logging.getLogger(__name__)

DEAD_LETTERED = Counter("edgesight_consumer_dead_lettered_total", "Messages sent to the dead-letter topic")
DUPLICATES = Counter("edgesight_consumer_duplicates_total", "Redelivered events dropped by id")
LOST = Counter("edgesight_consumer_lost_total", "Sequence numbers declared lost after the gap timeout")
MAX_DEADLETTER_PAYLOAD = 4096


class EventConsumer:
    def __init__(
        self,
        config: BusConfig,
        *,
        name: str,
        state_path: Path,
        group: str | None = None,
        batch_size: int = 500,
        batch_wait_s: float = 0.05,
        replay: bool = True,
        replay_interval_s: float = 2.0,
        give_up_s: float = 300.0,
        dedup_size: int = 1_000_000,
    ) -> None:
        self.config = config
        self.name = name
        self.group = group
        self.state_path = state_path
        self.batch_size = batch_size
        self.batch_wait_s = batch_wait_s
        self.replay = replay and group is None
        self.replay_interval_s = replay_interval_s
        self.dedup_size = dedup_size
        self.gaps = GapTracker(give_up_s) if group is None else None
        self.received = 0
        self.duplicates = 0
        self.dead_lettered = 0
        self._incoming: asyncio.Queue[aiomqtt.Message | None] = asyncio.Queue()
        self._outgoing: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
        self._window: DedupWindow | None = None
        self._failure: BrokerRefused | None = None
        self._task: asyncio.Task | None = None
        self._asked: dict[str, set[int]] = {}
        self._handed_out: list[Envelope[EventBody]] = []

    @property
    def topic_filter(self) -> str:
        events = site_events_filter(self.config.site_id)
        return f"$share/{self.group}/{events}" if self.group else events

    async def __aenter__(self) -> EventConsumer:
        self._window = await DedupWindow.open(self.state_path, self.dedup_size)
        if self.gaps is not None:
            self.gaps.restore(*await self._window.restore())
        first_attempt: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._connection_loop(first_attempt), name=f"consumer-{self.name}")
        try:
            await first_attempt
        except BaseException:
            await self._close()
            raise
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if exc_type is None:
            await self._remember_handled()
        await self._close()

    async def _close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._window is not None:
            await self._window.close()

    async def next_batch(self) -> list[Envelope[EventBody]]:
        """New valid events, up to `batch_size`, waiting at most `batch_wait_s` to fill a batch once one
        event is there. Asking for a batch marks the previous one as handled (remembered on disk); so does
        leaving the `async with` block without an exception. A batch the process died while handling is
        therefore not remembered: its events show as gaps on restart and are asked for again."""
        await self._remember_handled()
        batch: list[Envelope[EventBody]] = []
        while not batch:
            batch = await self._read_batch()
        self._handed_out = batch
        return batch

    async def batches(self) -> AsyncIterator[list[Envelope[EventBody]]]:
        """`next_batch()` forever, as an async iterator."""
        while True:
            yield await self.next_batch()

    async def _remember_handled(self) -> None:
        batch, self._handed_out = self._handed_out, []
        if batch and self._window is not None:
            await self._window.remember(
                ((e.id, f"{e.node}/{e.stream}" if e.seq is not None else None, e.seq) for e in batch),
                self.gaps.floors() if self.gaps is not None else {},
            )

    def missing(self) -> dict[str, list[int]]:
        """Per stream (`node/app/source`), the seqs known to exist and not received yet."""
        return self.gaps.missing() if self.gaps is not None else {}

    @property
    def lost(self) -> dict[str, list[tuple[int, int]]]:
        """Seq ranges declared lost after waiting `give_up_s` (inclusive), per stream."""
        return self.gaps.lost if self.gaps is not None else {}

    # ------------------------------------------------------------------------------------ internals

    async def _read_batch(self) -> list[Envelope[EventBody]]:
        first = await self._incoming.get()
        if first is None:  # put by _connection_loop() when the broker refused us
            raise self._failure  # type: ignore[misc]
        messages = [first]
        deadline = time.monotonic() + self.batch_wait_s
        while len(messages) < self.batch_size:
            if self._incoming.empty():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                # asyncio.wait, not wait_for: on Python 3.11 wait_for hands back a message that arrives just as
                # this task is cancelled and drops the cancellation, so a consumer fed a steady stream could
                # not be stopped (a controller service hung in shutdown that way on CI).
                getter = asyncio.ensure_future(self._incoming.get())
                try:
                    done, _ = await asyncio.wait({getter}, timeout=remaining)
                finally:
                    getter.cancel()  # a getter cancelled before it ran leaves its message in the queue
                if not done:
                    break
                message = getter.result()
            else:
                message = self._incoming.get_nowait()
            if message is None:
                self._incoming.put_nowait(None)  # handle this batch; the next call raises
                break
            messages.append(message)
        events: dict[str, Envelope[EventBody]] = {}
        invalid = 0
        for message in messages:
            try:
                envelope = decode_event(message.payload, message.topic.value)
            except InvalidEvent as exc:
                invalid += 1
                self._dead_letter(message, str(exc))
                continue
            events.setdefault(envelope.id, envelope)
        assert self._window is not None
        unseen = await self._window.unseen(list(events))
        fresh = [e for e in events.values() if e.id in unseen]
        dropped = len(messages) - invalid - len(fresh)
        self.duplicates += dropped
        DUPLICATES.inc(dropped)
        self.received += len(fresh)
        if self.gaps is not None:
            for envelope in fresh:
                self._track(envelope)
        return fresh

    def _track(self, envelope: Envelope[EventBody]) -> None:
        assert self.gaps is not None
        if envelope.seq is not None:
            self.gaps.observe(f"{envelope.node}/{envelope.stream}", envelope.seq)
        if isinstance(envelope.data, NodeStatus):
            for stream, last_seq in envelope.data.streams.items():
                self.gaps.announce(f"{envelope.node}/{stream}", last_seq)

    def _dead_letter(self, message: aiomqtt.Message, reason: str) -> None:
        self.dead_lettered += 1
        DEAD_LETTERED.inc()
        log.warning("dead-lettering a message on %s: %s", message.topic.value, reason)
        raw = bytes(message.payload)[:MAX_DEADLETTER_PAYLOAD]
        record: dict[str, object] = {"reason": reason, "topic": message.topic.value, "consumer": self.name,
                                     "time": utc_now().isoformat(), "truncated": len(message.payload) > len(raw)}
        try:
            record["payload"] = raw.decode()
        except UnicodeDecodeError:
            record["payload_base64"] = base64.b64encode(raw).decode()
        self._outgoing.put_nowait((deadletter_topic(self.config.site_id, self.name), json.dumps(record).encode()))

    async def _connection_loop(self, first_attempt: asyncio.Future[None]) -> None:
        refused = await stay_connected(self.config, self.name, self._session, first_attempt=first_attempt)
        if refused is not None:
            self._failure = refused
            self._incoming.put_nowait(None)  # wake a reader blocked in next_batch() so it raises

    async def _session(self, client: aiomqtt.Client) -> None:
        # Subscribing on every connection is cheap and covers a broker that lost its sessions.
        await client.subscribe(self.topic_filter, qos=1)
        await run_session_tasks(self._receive(client), self._send(client),
                                *([self._ask_for_replays()] if self.replay else []))

    async def _receive(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            self._incoming.put_nowait(message)

    async def _send(self, client: aiomqtt.Client) -> None:
        while True:
            topic, payload = await self._outgoing.get()
            try:
                await client.publish(topic, payload, qos=1)
            except aiomqtt.MqttError:
                self._outgoing.put_nowait((topic, payload))  # kept for the next connection
                raise

    async def _ask_for_replays(self) -> None:
        """Every interval, ask each node for the seqs that were already missing at the previous look (a
        hole that lasts one interval is not mere reordering), and declare lost what waited `give_up_s`."""
        assert self.gaps is not None
        while True:
            await asyncio.sleep(self.replay_interval_s)
            for stream, ranges in self.gaps.give_up().items():
                count = sum(b - a + 1 for a, b in ranges)
                LOST.inc(count)
                log.error("consumer %s: %d event(s) of %s declared lost: %s", self.name, count, stream, ranges[:20])
            missing = {k: set(v) for k, v in self.gaps.missing().items()}
            for key, seqs in missing.items():
                persistent = sorted(seqs & self._asked.get(key, set()))
                if not persistent:
                    continue
                node, stream = key.split("/", 1)
                request = ReplayRequest(stream=stream, ranges=to_ranges(persistent)[:1000], requester=self.name)
                self._outgoing.put_nowait((replay_topic(self.config.site_id, node), request.model_dump_json().encode()))
            self._asked = missing
