"""The small parts behind the live sources: back-off, latest-frame slot, rate meter, FFmpeg options."""
import os
import random
import threading
import time

import pytest
from edgesight.core.sources.backoff import ReconnectBackoff
from edgesight.core.sources.ffmpeg_options import OPTIONS_VARIABLE, FfmpegCaptureOptions
from edgesight.core.sources.frame_watchdog import FrameWatchdog
from edgesight.core.sources.latest_frame import LatestFrameSlot
from edgesight.core.sources.rate_meter import RateMeter
from hypothesis import given
from hypothesis import strategies as st


@given(
    initial=st.floats(0.01, 5.0),
    cap_factor=st.floats(1.0, 100.0),
    jitter=st.floats(0.0, 0.9),
    seed=st.integers(0, 2**32),
)
def test_backoff_grows_exponentially_up_to_the_cap_with_jitter_below(initial, cap_factor, jitter, seed):
    cap = initial * cap_factor
    backoff = ReconnectBackoff(initial, cap, factor=2.0, jitter=jitter, rng=random.Random(seed))
    base = initial
    for _ in range(2000):  # long enough for 2**failures to overflow a float if it were still computed
        assert base * (1 - jitter) - 1e-9 <= backoff.next_delay() <= base
        base = min(cap, base * 2.0)
    backoff.reset()
    assert initial * (1 - jitter) - 1e-9 <= backoff.next_delay() <= initial


def test_backoff_rejects_nonsense():
    with pytest.raises(ValueError, match="initial"):
        ReconnectBackoff(initial=5.0, cap=1.0)
    with pytest.raises(ValueError, match="jitter"):
        ReconnectBackoff(jitter=1.5)


def test_slot_keeps_the_newest_and_counts_what_it_replaced():
    slot: LatestFrameSlot[int] = LatestFrameSlot()
    for item in range(5):
        slot.put(item)
    assert slot.take() == 4
    assert slot.dropped == 4
    slot.put(5)
    assert slot.take() == 5 and slot.dropped == 4


def test_slot_take_waits_for_a_newer_item_and_close_wakes_it():
    slot: LatestFrameSlot[str] = LatestFrameSlot()
    threading.Timer(0.1, slot.put, args=("late",)).start()
    started = time.monotonic()
    assert slot.take() == "late"
    assert 0.08 < time.monotonic() - started < 1.0
    threading.Timer(0.1, slot.close).start()
    assert slot.take() is None


def test_rate_meter_measures_and_falls_to_zero_when_ticks_stop():
    meter = RateMeter(window=2.0)
    for i in range(50):
        meter.tick(100.0 + i * 0.04)
    assert meter.rate(102.0) == pytest.approx(25.0)
    assert meter.rate(110.0) == 0.0


def test_watchdog_expires_without_feed():
    watchdog = FrameWatchdog(0.1)
    assert not watchdog.expired() and 0 < watchdog.remaining() <= 0.1
    time.sleep(0.12)
    assert watchdog.expired()
    watchdog.feed()
    assert not watchdog.expired()


def test_ffmpeg_options_overlap_when_equal_and_wait_when_different():
    gate = FfmpegCaptureOptions()
    tcp, udp = {"rtsp_transport": "tcp"}, {"rtsp_transport": "udp"}
    seen: list[str] = []

    def open_with(options):
        with gate.applied(options):
            seen.append(os.environ[OPTIONS_VARIABLE])

    with gate.applied(tcp):
        assert os.environ[OPTIONS_VARIABLE] == "rtsp_transport;tcp"
        same = threading.Thread(target=open_with, args=(tcp,))
        same.start()
        same.join(1.0)
        assert seen == ["rtsp_transport;tcp"]  # did not wait for the first one
        other = threading.Thread(target=open_with, args=(udp,))
        other.start()
        other.join(0.2)
        assert other.is_alive() and os.environ[OPTIONS_VARIABLE] == "rtsp_transport;tcp"
    other.join(1.0)
    assert seen == ["rtsp_transport;tcp", "rtsp_transport;udp"]
