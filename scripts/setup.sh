#!/usr/bin/env bash
# Sets berth up on a fresh Debian 12 machine (as root) and starts it:
#   Debian packages -> npm dependencies -> bundles and the native addon -> built-in images -> berthd.
# Idempotent: run it again after pulling changes. Flags:
#   --no-start   set up only, do not (re)start the daemon
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
START=1
for a in "$@"; do
  case "$a" in
    --no-start) START=0 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "setup: unknown option $a (try --help)" >&2; exit 2 ;;
  esac
done

step() { printf '\n==> %s\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
  echo "setup: berth runs real containers and must be set up as root (try: sudo $0)" >&2
  exit 1
fi

# Debian packages: build tools for the native addon and the C runtime (berth-shim links json-c and libseccomp), the
# built-in images' sources, and the real peers the tests and benchmarks compare against (dockerd, the CNCF registry,
# skopeo, umoci, runc, podman — podman only ever run with --network none: its default network writes firewall rules);
# seabios is the browser guest's BIOS and chromium runs the playground's browser tests; clang, lld and wasi-libc build
# the WASI test module (test/fixtures/wasi/probe.c).
PKGS=(build-essential python3 pkg-config gcc-multilib libjson-c-dev libseccomp-dev zstd busybox-static jq socat
      apache2-utils iproute2 procps util-linux openssl docker.io docker-registry skopeo umoci runc podman
      seabios chromium clang lld wasi-libc libclang-rt-14-dev-wasm32)
missing=()
for p in "${PKGS[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
if ! dpkg --print-foreign-architectures | grep -qx i386; then
  dpkg --add-architecture i386   # busybox-static:i386 for the browser guest's linux/386 images (downloaded, never installed)
  need_update=1
fi
if [ ${#missing[@]} -gt 0 ] || [ "${need_update:-0}" = 1 ]; then
  step "Installing Debian packages: ${missing[*]:-(none)}"
  # A mirror mid-sync can fail one index; the rest is still usable, so do not stop here.
  apt-get update -q || echo "setup: apt-get update reported errors; continuing with the indexes it got" >&2
  if [ ${#missing[@]} -gt 0 ]; then
    # Packages such as docker.io would start their services on install; dockerd's default network setup writes host
    # firewall rules, which berth must never cause. policy-rc.d keeps services from starting during the install.
    created_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; created_policy=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
    [ "$created_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  fi
fi

step "Installing npm dependencies"
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi

step "Building berth (bundles, native addon, container runtime)"
npm run build
bash scripts/build-native.sh
bash scripts/build-runtime.sh

step "Preparing the built-in images (busybox, hello-world, hello-wasm)"
node --import tsx host-linux/builtin/make-images.ts --out build/images

step "Building the browser guest (v86)"
bash host-browser/guest/build.sh

step "Building the playground (build/playground)"
node scripts/build-playground.mjs

if [ "$START" = 1 ]; then
  step "Starting berthd"
  mkdir -p /var/log/berth /run/berth
  if [ -f /run/berth/berthd.pid ] && kill -0 "$(cat /run/berth/berthd.pid)" 2>/dev/null; then
    kill "$(cat /run/berth/berthd.pid)"; for _ in $(seq 150); do kill -0 "$(cat /run/berth/berthd.pid 2>/dev/null)" 2>/dev/null || break; sleep 0.1; done
  fi
  nohup node "$ROOT/dist/berthd.mjs" >>/var/log/berth/berthd.log 2>&1 &
  # The socket file may still be the previous daemon's: wait until the new one answers, not until the file exists.
  up=0
  for _ in $(seq 60); do
    if node dist/berth.mjs version >/dev/null 2>&1; then up=1; break; fi
    kill -0 $! 2>/dev/null || break
    sleep 0.5
  done
  if [ "$up" != 1 ]; then
    echo "setup: berthd did not come up; see /var/log/berth/berthd.log" >&2; tail -n 20 /var/log/berth/berthd.log >&2; exit 1
  fi

  step "Starting the playground"
  PLAYGROUND_PORT=${BERTH_PLAYGROUND_PORT:-8086}
  PLAYGROUND_URL="http://127.0.0.1:$PLAYGROUND_PORT/"
  if [ -f /run/berth/playground.pid ] && kill -0 "$(cat /run/berth/playground.pid)" 2>/dev/null; then
    kill "$(cat /run/berth/playground.pid)"; for _ in $(seq 50); do kill -0 "$(cat /run/berth/playground.pid 2>/dev/null)" 2>/dev/null || break; sleep 0.1; done
  fi
  nohup node "$ROOT/dist/berth.mjs" playground --host 127.0.0.1 --port "$PLAYGROUND_PORT" >>/var/log/berth/playground.log 2>&1 &
  echo $! > /run/berth/playground.pid
  playground_up() { kill -0 "$(cat /run/berth/playground.pid)" 2>/dev/null && node -e "fetch('$PLAYGROUND_URL').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; }
  for _ in $(seq 50); do playground_up && break; sleep 0.1; done
  if ! playground_up; then
    # berthd is up; a playground that could not start (port taken) is reported, not fatal.
    echo "setup: the playground did not come up on $PLAYGROUND_URL (set BERTH_PLAYGROUND_PORT to use another port); see /var/log/berth/playground.log" >&2
    tail -n 5 /var/log/berth/playground.log >&2
    PLAYGROUND_URL="(not running, see /var/log/berth/playground.log)"
  fi
  cat <<MSG

berth is running.
  daemon:      unix:///run/berth/berth.sock (log: /var/log/berth/berthd.log)
  playground:  $PLAYGROUND_URL (log: /var/log/berth/playground.log)
  try:         npx berth images
               DOCKER_HOST=unix:///run/berth/berth.sock docker images
MSG
fi
