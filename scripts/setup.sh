#!/usr/bin/env bash
# Installs every Debian and npm dependency the build and the tests need.
# Idempotent: when everything is already there it touches neither apt nor the
# npm registry, so scripts/test.sh can call it on every run.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Debian packages. --no-install-recommends matters: libasio-dev recommends
# ~175 MB of Boost that nothing here uses. libwebsocketpp-dev is for the
# integration tests only (their WebSocket client); libssl-dev gives the
# library libcrypto (SHA-1 of the WebSocket handshake).
APT_PACKAGES=(
  build-essential cmake pkg-config git
  libasio-dev libwebsocketpp-dev rapidjson-dev catch2 zlib1g-dev libssl-dev
  nodejs npm
  # Real clients in the interop tests: Debian's Python client (requests and
  # websocket-client give it polling and WebSocket) and a browser.
  python3-socketio python3-requests python3-websocket chromium
  # The Redis adapter (hiredis, msgpack-cxx) and its cluster tests and example
  # (a real redis-server, nginx in front of the nodes).
  redis-server nginx libhiredis-dev libmsgpack-cxx-dev
)

# Folders (relative to the repository root) whose committed package-lock.json
# is installed with `npm ci`. Add a folder here when its tests need node_modules.
NPM_FOLDERS=(
  tests/interop
  tests/interop/browser
  examples/chat
  examples/notifications
  tests/cluster
)

log() { printf 'setup: %s\n' "$*" >&2; }

# Root (CI, these machines) runs apt directly; anyone else goes through sudo.
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
else
  as_root=(sudo)
fi

is_installed() {
  # NodeSource's nodejs package bundles npm and conflicts with Debian's npm
  # package, so a working command counts as installed for these two.
  case "$1" in
    nodejs) command -v node >/dev/null 2>&1 && return 0 ;;
    npm) command -v npm >/dev/null 2>&1 && return 0 ;;
  esac
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  is_installed "$pkg" || missing+=("$pkg")
done

if [ "${#missing[@]}" -eq 0 ]; then
  log "Debian packages: all ${#APT_PACKAGES[@]} already installed"
else
  log "Debian packages missing: ${missing[*]}"
  log "running apt-get update"
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  log "installing: ${missing[*]}"
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

# `npm ci` wipes and reinstalls node_modules every time. A stamp holding the
# lockfile's checksum lets a re-run skip it while the lockfile is unchanged.
for folder in "${NPM_FOLDERS[@]}"; do
  dir="$repo_root/$folder"
  if [ ! -f "$dir/package-lock.json" ]; then
    log "error: $folder is listed in NPM_FOLDERS but has no package-lock.json"
    exit 1
  fi
  stamp="$dir/node_modules/.setup-stamp"
  want="$(cat "$dir/package.json" "$dir/package-lock.json" | sha256sum | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    log "npm: $folder is up to date"
    continue
  fi
  log "npm: npm ci in $folder"
  (cd "$dir" && npm ci --no-audit --no-fund >&2)
  printf '%s\n' "$want" >"$stamp"
done

log "done"
