#!/usr/bin/env bash
# Install headless Chromium + chromedriver (Debian packages) for the dashboard browser tests.
# Idempotent: does nothing when both are already on PATH. Exit 0 = ready; exit 3 = cannot install
# here (the message says why, on one line starting with "SKIPPED:").
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }

if have chromium && have chromedriver; then
  echo "browser: $(chromium --version 2>/dev/null | head -1); $(chromedriver --version 2>/dev/null | head -1)"
  exit 0
fi

if ! have apt-get; then
  echo "SKIPPED: chromium/chromedriver missing and apt-get is not available on this machine" >&2
  exit 3
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if have sudo && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "SKIPPED: chromium/chromedriver missing and installing them needs root (run: sudo $0)" >&2
    exit 3
  fi
fi

export DEBIAN_FRONTEND=noninteractive
APT_OPTS=(-y -q -o DPkg::Lock::Timeout=300 --no-install-recommends)
if ! $SUDO apt-get -q -o DPkg::Lock::Timeout=300 update >/dev/null; then
  echo "SKIPPED: apt-get update failed (no Debian mirror reachable?)" >&2
  exit 3
fi
if ! $SUDO apt-get install "${APT_OPTS[@]}" chromium chromium-driver >/dev/null; then
  echo "SKIPPED: apt-get install chromium chromium-driver failed" >&2
  exit 3
fi
echo "browser: $(chromium --version 2>/dev/null | head -1); $(chromedriver --version 2>/dev/null | head -1)"
