#!/usr/bin/env bash
# Install what the tests need on a fresh Debian machine: Debian's Chromium (Playwright drives it;
# no browser is ever downloaded), Xvfb and the X libraries Qt's window needs, LibreOffice Calc
# (the exports are opened in it), nginx (the hub behind a reverse proxy), then RHI Desk with its test extras. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  chromium xvfb xauth iproute2 fonts-dejavu-core python3-venv poppler-utils \
  libegl1 libgl1 libnss3 libasound2 libxkbfile1 libxcomposite1 libxdamage1 libxrandr2 libxtst6 \
  libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 \
  libxcb-xinerama0 libxcb-xkb1 libxcb-shape0 libxcb-randr0 libreoffice-calc-nogui nginx-light >/dev/null
python3 -m pip install -q --disable-pip-version-check -e '.[test,package]'
