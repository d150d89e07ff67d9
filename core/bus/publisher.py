"""EventPublisher: what apps call to emit an event. Commits to the durable outbox, then a background pump
sends over MQTT QoS 1 (critical before bulk, bounded in-flight window, optional rate limit) and marks each
event sent on PUBACK. A failed or timed-out publish is not "lost": paho may still deliver it, and the
outbox resends it anyway; consumers drop the duplicate by event id.

    async with EventPublisher(bus_config) as publisher:
        await publisher.publish(Defect(...), app="inspection", source="cam1", capture_time=t)
"""
from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from types import TracebackType

import aiomqtt
from pydantic import ValidationError

from ..events import (
    Envelope,
    EventBody,
    NodeStatus,
    ReplayRequest,
    make_envelope,
    replay_topic,
    utc_now,
)
from .config import BusConfig
from .connection import BrokerRefused, run_session_tasks, stay_connected
from .outbox import Outbox, OutboxItem, PendingMessage
from .token_bucket import TokenBucket

log = logging.getLogger(__name__)

NODE_APP = "node"  # app level of node_status topics; the source level is the node id


class EventPublisher:
    def __init__(self, config: BusConfig, *, client_id: str | None = None) -> None:
        self.config = config
        self.client_id = client_id or config.client_id or f"{config.node_id}-pub"
        self._bucket = (
            TokenBucket(config.rate_limit.bytes_per_s, config.rate_limit.burst_bytes) if config.rate_limit else None
        )
        self._outbox: Outbox | None = None
        self._seqs: dict[str, int] = {}
        self._stop = asyncio.Event()
        self._progress = asyncio.Event()
        self._inflight: set[int] = set()
        self._failure: BrokerRefused | None = None
        self._tasks: list[asyncio.Task] = []
        self._started = time.monotonic()

    # ------------------------------------------------------------------------------------ public API

    async def __aenter__(self) -> EventPublisher:
        """Opens the outbox and makes the first connection attempt. A refused login or an untrusted
        certificate raises `BrokerRefused` here; an unreachable broker does not (events wait in the outbox)."""
        outbox_cfg = self.config.outbox
        self._outbox = await Outbox.open(
            outbox_cfg.path,
            max_pending=outbox_cfg.max_pending,
            replay_retention=outbox_cfg.replay_retention,
            synchronous=outbox_cfg.synchronous,
        )
        self._seqs = dict(self._outbox.last_seqs)
        first_attempt: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tasks = [
            asyncio.create_task(self._connection_loop(first_attempt), name="bus-connection"),
            asyncio.create_task(self._heartbeats(), name="bus-heartbeat"),
        ]
        try:
            await first_attempt
        except BaseException:
            await self._shutdown()
            raise
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        await self._shutdown()

    async def publish(
        self,
        body: EventBody,
        *,
        app: str,
        source: str,
        capture_time: datetime | None = None,
    ) -> Envelope:
        """Number, stamp and durably queue one event; returns once it is on disk (not yet at the broker).
        `source` is the camera or controller id; `capture_time` defaults to now."""
        if self._failure is not None:
            raise self._failure
        assert self._outbox is not None, "EventPublisher is used outside its `async with` block"
        now = utc_now()
        stream = f"{app}/{source}"
        seq = self._seqs.get(stream, -1) + 1
        self._seqs[stream] = seq
        envelope = make_envelope(
            body,
            site=self.config.site_id,
            node=self.config.node_id,
            app=app,
            source=source,
            seq=seq,
            capture_time=capture_time or now,
            publish_time=now,
        )
        await self._outbox.put([OutboxItem(body.priority, stream, seq, envelope.topic, envelope.to_json())])
        return envelope

    async def drain(self, timeout: float) -> bool:
        """Wait until every queued event has been acknowledged by the broker; False on timeout."""
        assert self._outbox is not None
        deadline = time.monotonic() + timeout
        while True:
            self._progress.clear()
            await self._outbox.flush()  # the sent marks of the PUBACKs so far
            if not (self._outbox.pending or self._inflight):
                return True
            if self._failure is not None:
                raise self._failure
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(self._progress.wait(), remaining)
            except TimeoutError:
                return False

    @property
    def pending(self) -> int:
        return self._outbox.pending if self._outbox else 0

    @property
    def shed_total(self) -> int:
        return self._outbox.shed_total if self._outbox else 0

    @property
    def streams(self) -> dict[str, int]:
        """Last sequence number assigned per stream."""
        return dict(self._seqs)

    # ------------------------------------------------------------------------------------ internals

    def _presence(self, state: str) -> Envelope:
        return make_envelope(
            NodeStatus(state=state, uptime_s=time.monotonic() - self._started),
            site=self.config.site_id,
            node=self.config.node_id,
            app=NODE_APP,
            source=self.config.node_id,
            seq=None,
            capture_time=utc_now(),
        )

    async def _connection_loop(self, first_attempt: asyncio.Future[None]) -> None:
        def will() -> aiomqtt.Will:
            offline = self._presence("offline")
            return aiomqtt.Will(offline.topic, offline.to_json(), qos=1, retain=True)

        refused = await stay_connected(
            self.config, self.client_id, self._session, first_attempt=first_attempt, will=will, stop=self._stop
        )
        if refused is not None:
            self._failure = refused
            self._progress.set()

    async def _session(self, client: aiomqtt.Client) -> None:
        online = self._presence("online")
        await client.publish(online.topic, online.to_json(), qos=1, retain=True)
        await client.subscribe(replay_topic(self.config.site_id, self.config.node_id), qos=1)
        await run_session_tasks(self._pump(client), self._serve_replays(client), self._stop.wait(),
                                until=asyncio.FIRST_COMPLETED)  # a stop ends the session too
        offline = self._presence("offline")
        await client.publish(offline.topic, offline.to_json(), qos=1, retain=True, timeout=2.0)

    async def _pump(self, client: aiomqtt.Client) -> None:
        """Hands unsent messages to senders, critical first, keeping at most `max_inflight` unacknowledged."""
        outbox = self._outbox
        assert outbox is not None
        window = asyncio.Semaphore(self.config.max_inflight)
        outgoing: asyncio.Queue[PendingMessage] = asyncio.Queue()
        # Long-lived senders rather than a task per message; one more is started whenever more messages are
        # in flight than there are senders, so there are never more than the window has ever needed.
        senders: list[asyncio.Task] = []
        self._inflight.clear()
        outbox.rewind()  # a new connection: everything unsent goes, whatever was handed out before
        try:
            while True:
                await asyncio.sleep(0)  # let ready commits land, so one read picks up all of them
                outbox.changed.clear()
                batch = await outbox.next_batch(self.config.max_inflight, exclude=self._inflight)
                if not batch:
                    await outbox.changed.wait()
                    continue
                for message in batch:
                    await window.acquire()
                    if self._bucket is not None:
                        await self._bucket.take(len(message.payload))
                    self._inflight.add(message.row_id)
                    if len(senders) < len(self._inflight):
                        senders.append(asyncio.create_task(self._sender(client, outgoing, window)))
                    outgoing.put_nowait(message)
        finally:
            for task in senders:
                task.cancel()
            await asyncio.gather(*senders, return_exceptions=True)
            self._inflight.clear()

    async def _sender(self, client: aiomqtt.Client, outgoing: asyncio.Queue[PendingMessage], window: asyncio.Semaphore) -> None:
        """Publishes messages from `outgoing` one at a time, each freeing its place in `window` on PUBACK."""
        outbox = self._outbox
        assert outbox is not None
        while True:
            message = await outgoing.get()
            try:
                await client.publish(message.topic, message.payload, qos=1, retain=message.retain)
            except aiomqtt.MqttError as exc:
                # Not "unsent": paho may still deliver it. It stays unsent in the outbox and goes again.
                log.debug("publish of outbox row %d not confirmed (%s); will resend", message.row_id, exc)
                self._inflight.discard(message.row_id)
                outbox.rewind()
                outbox.changed.set()
            else:
                # From here the outbox keeps the row from being handed out again until its sent mark is committed.
                self._inflight.discard(message.row_id)
                outbox.mark_sent([message.row_id])
                self._progress.set()
            finally:
                window.release()

    async def _serve_replays(self, client: aiomqtt.Client) -> None:
        outbox = self._outbox
        assert outbox is not None
        topic = replay_topic(self.config.site_id, self.config.node_id)
        async for message in client.messages:
            # Only replay requests are subscribed to, but a broker may hand over more than the filter asks for:
            # the embedded amqtt broker was seen delivering retained node status to this session.
            if not message.topic.matches(topic):
                continue
            try:
                request = ReplayRequest.model_validate_json(message.payload)
            except ValidationError as exc:
                log.warning("ignoring malformed replay request on %s: %s", message.topic, exc.errors()[0]["msg"])
                continue
            found = await outbox.requeue(request.stream, request.ranges)
            log.info("replay for %s asked %s of stream %s: %d event(s) requeued",
                     request.requester, request.ranges[:3], request.stream, found)

    async def _heartbeats(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._stop.wait(), self.config.heartbeat_s)
                return
            except TimeoutError:
                pass
            if self._failure is not None:
                return
            status = NodeStatus(
                state="heartbeat",
                uptime_s=time.monotonic() - self._started,
                streams=self.streams,
                outbox_pending=self.pending,
                shed_total=self.shed_total,
            )
            await self.publish(status, app=NODE_APP, source=self.config.node_id)

    async def _shutdown(self) -> None:
        self._stop.set()
        for task in self._tasks:
            try:
                await asyncio.wait_for(task, 5.0)
            except (TimeoutError, asyncio.CancelledError):
                task.cancel()
            except BrokerRefused:
                pass
        if self._outbox is not None:
            await self._outbox.close()


