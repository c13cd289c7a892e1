#!/usr/bin/env bash
# Builds berth's native addon (host-linux/native) with the node-gyp that ships inside npm, against
# the Node headers already on the machine (npm's `nodedir`), so it needs no network.
set -euo pipefail
cd "$(dirname "$0")/../host-linux/native"
npm_dir="$(dirname "$(readlink -f "$(command -v npm)")")/.."
gyp="$npm_dir/node_modules/node-gyp/bin/node-gyp.js"
[ -f "$gyp" ] || gyp="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
nodedir="${npm_config_nodedir:-$(npm config get nodedir 2>/dev/null || true)}"
if [ -z "$nodedir" ] || [ "$nodedir" = "undefined" ] || [ "$nodedir" = "null" ]; then
  # Debian's nodejs-dev and the official tarballs both put node_api.h under <prefix>/include/node.
  nodedir="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
fi
exec node "$gyp" rebuild --nodedir="$nodedir" "$@"
