"""INT8 (QDQ) models on CPUs whose fast 8-bit kernel saturates: the session asks ONNX Runtime for the exact one.

The CPU flags are the one fake here: a test box has the flags it has, and both answers must be checked."""
from __future__ import annotations

import platform
from pathlib import Path

import pytest

from edgesight.core.detect.detector import has_int8_weights, int8_products_saturate, session_options
from edgesight.core.models import MODELS_DIR

x86_only = pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"),
                              reason="only x86-64 has this kernel; elsewhere the check answers False")


def _cpuinfo(tmp_path: Path, flags: str) -> Path:
    path = tmp_path / "cpuinfo"
    path.write_text(f"processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse4_2 {flags}\n\nprocessor\t: 1\n")
    return path


@x86_only
@pytest.mark.parametrize("flags, saturates", [
    ("avx avx2 fma", True),  # AMD Zen 3, Intel Skylake client: 16-bit intermediates
    ("avx2 avx512f avx512bw", True),  # Skylake-SP: AVX-512 without VNNI saturates too
    ("avx2 avx512f avx512_vnni", False),  # Cascade Lake and later, Zen 4
    ("avx2 avx_vnni", False),  # Alder Lake
])
def test_cpus_without_vnni_are_the_ones_that_saturate(tmp_path, flags, saturates) -> None:
    assert int8_products_saturate(_cpuinfo(tmp_path, flags)) is saturates


@x86_only
def test_unreadable_flags_take_the_exact_kernel(tmp_path) -> None:
    assert int8_products_saturate(tmp_path / "missing") is True


def test_the_session_asks_for_the_exact_kernel_where_this_cpu_needs_it() -> None:
    options = session_options()
    if int8_products_saturate():
        assert options.get_session_config_entry("session.x64quantprecision") == "1"
    else:
        with pytest.raises(Exception):  # onnxruntime raises when an entry was never set
            options.get_session_config_entry("session.x64quantprecision")


def test_int8_weights_are_told_apart_from_float_ones() -> None:
    assert has_int8_weights(MODELS_DIR / "inspection_defects.onnx")  # the shipped INT8 copy
    assert not has_int8_weights(MODELS_DIR / "traffic_vehicles.onnx")  # the shipped FP32 export
