"""How every EdgeSight MQTT client connects: one place that turns `BusConfig` into an `aiomqtt.Client` and
sorts connection failures into the ones a retry can fix (broker down, network cut) and the ones it cannot
(wrong password, untrusted certificate), which must surface instead of hiding in a reconnect loop."""
from __future__ import annotations

import asyncio
import logging
import random
import ssl
from collections.abc import Awaitable, Callable

import aiomqtt
from aiomqtt.exceptions import MqttConnectError
import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from .config import BusConfig

log = logging.getLogger(__name__)

# CONNACK reason codes (MQTT 5) and return codes (3.1.1) that retrying cannot fix.
_REFUSALS_V5 = {133, 134, 135, 138, 140}
_REFUSALS_V311 = {2, 4, 5}


class BrokerRefused(RuntimeError):
    """The broker will not accept this client as configured (credentials, certificate, client id)."""


def broker_label(config: BusConfig) -> str:
    return config.broker_url or f"embedded broker mqtt://127.0.0.1:{config.port}"


def protocol_of(config: BusConfig) -> aiomqtt.ProtocolVersion:
    # The embedded broker (amqtt) speaks MQTT 3.1.1 only.
    if config.broker_url is None or config.protocol == "3.1.1":
        return aiomqtt.ProtocolVersion.V311
    return aiomqtt.ProtocolVersion.V5


def tls_context(config: BusConfig) -> ssl.SSLContext | None:
    tls = config.tls
    if tls is None:
        return None
    for name, path in (("ca_file", tls.ca_file), ("cert_file", tls.cert_file), ("key_file", tls.key_file)):
        if path is not None and not path.is_file():
            raise BrokerRefused(f"bus.tls.{name} {path} does not exist; fix the path in the site config")
    try:
        context = ssl.create_default_context(cafile=str(tls.ca_file))
        if tls.cert_file is not None:
            context.load_cert_chain(str(tls.cert_file), str(tls.key_file))
    except ssl.SSLError as exc:
        raise BrokerRefused(f"bus.tls: cannot load the certificates ({exc.reason or exc}); check the PEM files") from None
    context.check_hostname = tls.check_hostname
    return context


def make_client(
    config: BusConfig,
    client_id: str,
    *,
    persistent: bool,
    will: aiomqtt.Will | None = None,
) -> aiomqtt.Client:
    """A client for one connection attempt. `persistent` keeps the broker-side session (subscriptions and
    queued QoS 1 messages) across disconnects: MQTT 5 clean start off with a session expiry, or 3.1.1
    clean session off."""
    protocol = protocol_of(config)
    v5 = protocol == aiomqtt.ProtocolVersion.V5
    properties = None
    if v5:
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = config.session_expiry_s if persistent else 0
    client = aiomqtt.Client(
        config.host,
        config.port,
        username=config.username,
        password=config.password,
        identifier=client_id,
        protocol=protocol,
        will=will,
        clean_session=None if v5 else not persistent,
        clean_start=(not persistent) if v5 else paho.MQTT_CLEAN_START_FIRST_ONLY,
        properties=properties,
        keepalive=config.keepalive_s,
        timeout=config.publish_timeout_s,
        max_inflight_messages=config.max_inflight,
        tls_context=tls_context(config),
    )
    # aiomqtt warns past 10 pending calls; our window is deliberately larger.
    client.pending_calls_threshold = config.max_inflight + 16
    return client


def refusal(config: BusConfig, client_id: str, error: aiomqtt.MqttError) -> BrokerRefused | None:
    """The error as a `BrokerRefused` when retrying cannot help, else None (a transient failure)."""
    where = broker_label(config)
    if isinstance(error, MqttConnectError):
        rc = error.rc
        code = rc.value if hasattr(rc, "value") else rc
        fatal = code in (_REFUSALS_V5 if protocol_of(config) == aiomqtt.ProtocolVersion.V5 else _REFUSALS_V311)
        if fatal:
            return BrokerRefused(
                f"{where} refused client {client_id!r}: {error}; "
                "check bus.username/bus.password and the broker's password file and ACL"
            )
        return None
    text = str(error)
    # aiomqtt flattens the ssl exception into its message; these markers come from OpenSSL.
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        return BrokerRefused(f"{where}: the broker's certificate is not trusted ({text}); check bus.tls.ca_file")
    if "SSL" in text or "alert" in text:
        return BrokerRefused(f"{where}: TLS handshake failed ({text}); check bus.tls certificates and key")
    return None


async def check_tls(config: BusConfig) -> None:
    """Raise `BrokerRefused` if the broker rejects our TLS set-up. Needed because with TLS 1.3 the broker
    rejects a missing or unknown client certificate only after the handshake, which paho logs and aiomqtt
    reports as a CONNACK timeout. We send DISCONNECT as the first packet: a broker that accepted the
    certificate closes the connection at once, one that did not sends a TLS alert. When our DISCONNECT
    crosses the alert, the broker answers with a reset that discards the alert; a second probe that sends
    nothing then waits briefly for the alert alone."""
    context = tls_context(config)
    if context is None:
        return
    if await _tls_probe(config, context, send_disconnect=True) == "reset":
        await _tls_probe(config, context, send_disconnect=False)


async def _tls_probe(config: BusConfig, context: ssl.SSLContext, send_disconnect: bool) -> str:
    where = broker_label(config)
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(config.host, config.port, ssl=context, server_hostname=config.host),
            config.publish_timeout_s,
        )
    except ssl.SSLCertVerificationError as exc:
        raise BrokerRefused(f"{where}: the broker's certificate is not trusted ({exc.verify_message}); "
                            "check bus.tls.ca_file and the broker certificate's host name") from None
    except ssl.SSLError as exc:
        raise BrokerRefused(f"{where}: TLS handshake failed ({exc.reason or exc}); check bus.tls") from None
    except (OSError, TimeoutError) as exc:
        raise aiomqtt.MqttError(str(exc) or type(exc).__name__) from None
    try:
        if send_disconnect:
            writer.write(b"\xe0\x00")
        await asyncio.wait_for(reader.read(1), config.publish_timeout_s if send_disconnect else 1.0)
    except ssl.SSLError as exc:
        raise BrokerRefused(f"{where} rejected our TLS client certificate ({exc.reason or exc}); "
                            "set bus.tls.cert_file/key_file to a certificate the broker's CA signed") from None
    except ConnectionResetError:
        return "reset"
    except (OSError, TimeoutError):
        pass  # not a TLS verdict; the MQTT connection that follows reports real trouble
    finally:
        writer.close()
    return "clean"


async def run_session_tasks(*coros: Awaitable[object], until: str = asyncio.FIRST_EXCEPTION) -> None:
    """Run a connection's tasks side by side until the first one fails (or, with `until=FIRST_COMPLETED`,
    ends); cancel the rest and re-raise that failure, so a broken connection tears its whole session down."""
    tasks = [asyncio.ensure_future(coro) for coro in coros]
    try:
        done, _ = await asyncio.wait(tasks, return_when=until)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]


async def stay_connected(
    config: BusConfig,
    client_id: str,
    session: Callable[[aiomqtt.Client], Awaitable[None]],
    *,
    first_attempt: asyncio.Future[None],
    will: Callable[[], aiomqtt.Will] | None = None,
    stop: asyncio.Event | None = None,
) -> BrokerRefused | None:
    """Connect with a persistent session and run `session(client)` until the connection breaks; then back
    off (doubling from reconnect_min_s to reconnect_max_s, jittered) and again, until `stop` is set.
    `first_attempt` resolves after the first try; it fails only on a refusal. Returns the refusal that
    ended the loop, or None when stopped."""
    delay = config.reconnect_min_s
    stop = stop or asyncio.Event()
    where = broker_label(config)
    while not stop.is_set():
        try:
            await check_tls(config)
            async with make_client(config, client_id, persistent=True, will=will() if will else None) as client:
                if not first_attempt.done():
                    first_attempt.set_result(None)
                delay = config.reconnect_min_s
                log.info("%s connected to %s", client_id, where)
                await session(client)
        except aiomqtt.MqttError as exc:
            refused = refusal(config, client_id, exc)
            if refused is None:
                log.warning("%s: %s unavailable (%s); retrying in %.1f s", client_id, where, exc, delay)
        except BrokerRefused as exc:
            refused = exc
        else:
            refused = None
        if refused is not None:
            log.error("%s", refused)
            if not first_attempt.done():
                first_attempt.set_exception(refused)
            return refused
        if not first_attempt.done():
            first_attempt.set_result(None)
        try:
            await asyncio.wait_for(stop.wait(), delay * random.uniform(0.8, 1.2))
        except TimeoutError:
            delay = min(delay * 2, config.reconnect_max_s)
    return None
