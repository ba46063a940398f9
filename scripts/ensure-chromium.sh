#!/usr/bin/env bash
# Prints the path of a Chromium for the browser tests (make test), installing Debian's when none is found.
#
# Order: $PARLEY_CHROMIUM if set; a chromium on PATH (chromium, chromium-browser, google-chrome-stable,
# google-chrome); otherwise, as root, `apt-get install chromium` (as .ci/run needs on a fresh machine); with
# password-less sudo, the same through sudo; otherwise it stops at once with the one command to run.
# Messages go to stderr; stdout holds only the path. Playwright never downloads a browser of its own here.
set -euo pipefail

if [ -n "${PARLEY_CHROMIUM:-}" ]; then
  if [ -x "$PARLEY_CHROMIUM" ]; then
    echo "$PARLEY_CHROMIUM"
    exit 0
  fi
  echo "PARLEY_CHROMIUM=$PARLEY_CHROMIUM is not an executable file" >&2
  exit 1
fi

find_chromium() {
  local name
  for name in chromium chromium-browser google-chrome-stable google-chrome; do
    if command -v "$name" >/dev/null 2>&1; then
      command -v "$name"
      return 0
    fi
  done
  return 1
}

if found=$(find_chromium); then
  echo "$found"
  exit 0
fi

install() {
  echo "no Chromium found: installing Debian's chromium for the browser tests (${*:+$* }apt-get install chromium)" >&2
  "$@" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  "$@" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >&2
}

if [ "$(id -u)" -eq 0 ]; then
  install
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  install sudo
else
  cat >&2 <<'MSG'
make test drives Debian's Chromium for the browser tests, and none is installed. Run once:

    sudo apt-get install -y chromium

or point PARLEY_CHROMIUM at a Chromium or Chrome binary (make test PARLEY_CHROMIUM=/path/to/chrome).
MSG
  exit 1
fi

if found=$(find_chromium); then
  echo "$found"
  exit 0
fi
echo "apt-get finished but no chromium is on PATH" >&2
exit 1
