#!/usr/bin/env bash
# Builds the container runtime's C programs:
#   host-linux/runtime/build/berth-shim  (host-linux/runtime/shim/*.c; libjson-c and libseccomp, linked dynamically)
#   host-linux/runtime/build/berth-init  (host-linux/runtime/init/*.c; static, so it runs in any image)
# Debian packages: gcc, libjson-c-dev, libseccomp-dev (and libc6-dev for the static libc).
set -euo pipefail
cd "$(dirname "$0")/../host-linux/runtime"
CC="${CC:-gcc}"
CFLAGS=(-O2 -Wall -Wextra -Werror -std=gnu11 -D_FORTIFY_SOURCE=2 -fstack-protector-strong)
mkdir -p build
for pkg in json-c libseccomp; do
  pkg-config --exists "$pkg" 2>/dev/null || [ -f "/usr/include/$([ "$pkg" = json-c ] && echo json-c/json.h || echo seccomp.h)" ] || {
    echo "build-runtime: $pkg headers are missing (apt-get install libjson-c-dev libseccomp-dev)" >&2; exit 1; }
done
json_cflags=$(pkg-config --cflags json-c 2>/dev/null || echo -I/usr/include/json-c)
json_libs=$(pkg-config --libs json-c 2>/dev/null || echo -ljson-c)
seccomp_libs=$(pkg-config --libs libseccomp 2>/dev/null || echo -lseccomp)
# shellcheck disable=SC2086
"$CC" "${CFLAGS[@]}" $json_cflags -o build/berth-shim.tmp shim/*.c $json_libs $seccomp_libs
mv build/berth-shim.tmp build/berth-shim
"$CC" "${CFLAGS[@]}" -static -s -o build/berth-init.tmp init/*.c
mv build/berth-init.tmp build/berth-init
echo "built $(pwd)/build/berth-shim and $(pwd)/build/berth-init"
