#!/usr/bin/env bash
# Installs the Debian/Ubuntu system libraries Glassroom needs, only those missing.
# PortAudio is the audio interface layer; jackd2 runs the audio tests on a dummy
# driver; the libxcb/EGL/fontconfig/dbus set is what Qt's xcb and offscreen
# platforms load; xvfb and xauth let a screenshot be taken without a screen.
set -eu
pkgs="libportaudio2 jackd2 libegl1 libgl1 libglib2.0-0 libxkbcommon0 libxkbcommon-x11-0
libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0
libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libfontconfig1 libdbus-1-3 xvfb xauth"
[ "${1:-}" = "--python" ] && pkgs="python3-venv"

missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "glassroom: missing system packages:$missing (no apt-get here; install them by hand)" >&2
    exit 1
fi
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "glassroom: installing system packages:$missing"
export DEBIAN_FRONTEND=noninteractive
# jackd2 asks whether to enable real-time priority; answer no without a prompt.
echo "jackd2 jackd/tweak_rt_limits boolean false" | $sudo debconf-set-selections 2>/dev/null || true
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing
