#!/usr/bin/env bash
# EdgeSight quick start. Two commands on a fresh machine with Python 3.11+:
#   ./quickstart.sh demo    set up .venv and run the demo on bundled video (embedded broker, SQLite)
#   ./quickstart.sh test    set up .venv with the test tools and run the whole test suite
# Extra arguments go to the demo or to pytest (e.g. ./quickstart.sh test -m "not slow" for the fast set).
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
VENV=${EDGESIGHT_VENV:-.venv}

need_python() {
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || {
    echo "error: EdgeSight needs Python 3.11 or newer as '$PYTHON' (set PYTHON=/path/to/python3.11)" >&2; exit 2; }
}

venv() {
  need_python
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  echo "installing EdgeSight with extras [$1] into $VENV (log: $VENV/install.log) ..."
  # setuptools' build warnings are noise for a user; the log keeps them, and a failure shows them.
  { "$VENV/bin/python" -m pip install -q --upgrade pip && "$VENV/bin/python" -m pip install -q -e ".[$1]"; } \
    >"$VENV/install.log" 2>&1 || { cat "$VENV/install.log"; echo "error: installation failed (above)" >&2; exit 2; }
}

# System packages the tests drive as real servers: Mosquitto (broker), GStreamer's RTSP server (camera),
# Chromium (dashboard pages). Installed with apt when we are root on Debian/Ubuntu; otherwise the tests that
# need a missing one are skipped and say which package to install.
APT_PACKAGES=(mosquitto openssl gir1.2-gst-rtsp-server-1.0 gstreamer1.0-rtsp python3-gi gstreamer1.0-plugins-base
  gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
  gstreamer1.0-tools chromium chromium-driver)

system_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "warning: missing system packages (tests needing them will be skipped): ${missing[*]}" >&2
  fi
}

case "${1:-}" in
  demo)
    shift
    venv "sim"
    exec "$VENV/bin/edgesight" demo "$@"
    ;;
  test)
    shift
    system_packages
    venv "test,sim,postgres"
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  *)
    sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
