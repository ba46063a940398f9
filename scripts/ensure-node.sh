#!/usr/bin/env bash
# Prints the path of a Node.js (18 or newer) for the playground's JavaScript unit tests (make test runs
# `node --test chat-service/src/test/js/*.test.js`: no browser, no npm packages), installing Debian's when none is found.
#
# Order: $PARLEY_NODE if set; a node on PATH (node, nodejs) of version 18 or newer; otherwise, as root,
# `apt-get install nodejs` (as .ci/run needs on a fresh machine); with password-less sudo, the same through sudo;
# otherwise it stops at once with the one command to run. Messages go to stderr; stdout holds only the path.
set -euo pipefail

major() {
  local v
  v=$("$1" --version 2>/dev/null) || return 1
  v=${v#v}
  v=${v%%.*}
  [[ "$v" =~ ^[0-9]+$ ]] && echo "$v"
}

usable() {
  local m
  m=$(major "$1") || return 1
  [ "$m" -ge 18 ]
}

if [ -n "${PARLEY_NODE:-}" ]; then
  if [ -x "$PARLEY_NODE" ] && usable "$PARLEY_NODE"; then
    echo "$PARLEY_NODE"
    exit 0
  fi
  echo "PARLEY_NODE=$PARLEY_NODE is not an executable Node.js 18 or newer" >&2
  exit 1
fi

find_node() {
  local name
  for name in node nodejs; do
    if command -v "$name" >/dev/null 2>&1 && usable "$(command -v "$name")"; then
      command -v "$name"
      return 0
    fi
  done
  return 1
}

if found=$(find_node); then
  echo "$found"
  exit 0
fi

install() {
  echo "no Node.js 18+ found: installing Debian's nodejs for the JavaScript unit tests (${*:+$* }apt-get install nodejs)" >&2
  "$@" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  "$@" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs >&2
}

if [ "$(id -u)" -eq 0 ]; then
  install
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  install sudo
else
  cat >&2 <<'MSG'
make test runs the playground's JavaScript unit tests with Node.js 18 or newer, and none is installed. Run once:

    sudo apt-get install -y nodejs

or point PARLEY_NODE at a node binary (make test PARLEY_NODE=/path/to/node).
MSG
  exit 1
fi

if found=$(find_node); then
  echo "$found"
  exit 0
fi
echo "apt-get finished but no Node.js 18 or newer is on PATH" >&2
exit 1
