#!/usr/bin/env bash
# Builds berth's v86 guest from Debian packages: the i386 686 kernel, busybox-static:i386, the modules
# containers need, the guest agent (static i386 C), an initramfs (cpio newc + gzip), SeaBIOS, and a saved state
# of the booted guest (make-snapshot.ts; BERTH_GUEST_SNAPSHOT=0 skips it). Outputs under build/guest/ (never
# committed). Idempotent: downloads are cached in build/cache/guest/, and nothing is rebuilt when no input changed.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=build/guest
CACHE=build/cache/guest
HERE=host-browser/guest
mkdir -p "$OUT" "$CACHE"

# The newest 686 (non-PAE: v86 has no PAE) kernel the archive offers.
KPKG=$(apt-cache search --names-only '^linux-image-[0-9.]+-[0-9]+-686-unsigned$' | awk '{print $1}' | sort -V | tail -n 1)
[ -n "$KPKG" ] || { echo "guest: no linux-image-*-686-unsigned in the apt index (is i386 a foreign architecture? run apt-get update)" >&2; exit 1; }
fetch() { # package -> the .deb in the cache
  local deb
  deb=$(ls "$CACHE"/"${1%%:*}"_*_i386.deb 2>/dev/null | head -n 1 || true)
  if [ -z "$deb" ]; then
    (cd "$CACHE" && apt-get download "$1" >/dev/null 2>&1) || { echo "guest: apt-get download $1 failed" >&2; exit 1; }
    deb=$(ls "$CACHE"/"${1%%:*}"_*_i386.deb | head -n 1)
  fi
  echo "$deb"
}
KDEB=$(fetch "$KPKG:i386")
BDEB=$(fetch busybox-static:i386)

# Everything the kernel, initramfs and BIOS files come from: unchanged inputs, nothing to rebuild.
STAMP=$( (cat "$HERE/build.sh" "$HERE/init" "$HERE"/agent/*.c "$HERE"/agent/*.h host-linux/runtime/init/*.c; echo "$KDEB $BDEB"; \
  sha256sum /usr/share/seabios/bios.bin /usr/share/seabios/vgabios-stdvga.bin) | sha256sum | cut -d' ' -f1)
if [ "$(cat "$OUT/.inputs" 2>/dev/null)" = "$STAMP" ] && [ -f "$OUT/initrd.gz" ] && [ -f "$OUT/vmlinuz" ]; then
  echo "guest: build/guest is up to date"
  SKIP_BUILD=1
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
if [ "${SKIP_BUILD:-0}" = 0 ]; then
  dpkg -x "$KDEB" "$WORK/k"
  dpkg -x "$BDEB" "$WORK/b"
  KVER=$(ls "$WORK/k/lib/modules")
  cp "$WORK/k/boot/vmlinuz-$KVER" "$OUT/vmlinuz"

  # The initramfs tree: busybox and its applets, the modules in load order, /init, the agent.
  R=$WORK/root
  mkdir -p "$R"/{bin,sbin,etc,proc,sys,dev,run,tmp,newroot,mnt/host,lib/modules}
  cp "$WORK/b/bin/busybox" "$R/bin/busybox"
  for a in $("$WORK/b/bin/busybox" --list); do [ "$a" = busybox ] || ln -s busybox "$R/bin/$a"; done
  # virtio + 9p for the host share, overlay for the rootfs, veth/bridge for container networks.
  MODS=(drivers/virtio/virtio drivers/virtio/virtio_ring drivers/virtio/virtio_pci_legacy_dev
        drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci fs/netfs/netfs fs/fscache/fscache
        net/9p/9pnet net/9p/9pnet_virtio fs/9p/9p fs/overlayfs/overlay drivers/net/veth net/llc/llc
        net/802/stp net/bridge/bridge)
  : > "$R/lib/modules/order"
  for m in "${MODS[@]}"; do
    src=$WORK/k/lib/modules/$KVER/kernel/$m.ko
    [ -f "$src" ] || src=$(ls "$src".* 2>/dev/null | head -n 1)
    [ -f "$src" ] || { echo "guest: module $m is not in $KPKG" >&2; exit 1; }
    cp "$src" "$R/lib/modules/$(basename "$m").ko"
    basename "$m" >> "$R/lib/modules/order"
  done
  echo "root:x:0:0:root:/:/bin/sh" > "$R/etc/passwd"
  echo "root:x:0:" > "$R/etc/group"
  install -m 0755 "$HERE/init" "$R/init"
  gcc -m32 -static -Os -s -Wall -Wextra -Werror -o "$R/sbin/berth-agent" "$HERE"/agent/*.c
  # docker run --init: the Linux host's berth-init, built for the guest
  gcc -m32 -static -Os -s -o "$R/sbin/berth-init" host-linux/runtime/init/*.c

  # cpio newc wants relative names; busybox (host or guest copy: both are static) writes it.
  CPIO=busybox
  command -v busybox >/dev/null || CPIO=$WORK/b/bin/busybox
  (cd "$R" && find . -mindepth 1 | sort | "$CPIO" cpio -o -H newc -R 0:0 2>/dev/null) | gzip -9 > "$OUT/initrd.gz.tmp"
  mv "$OUT/initrd.gz.tmp" "$OUT/initrd.gz"

  cp /usr/share/seabios/bios.bin "$OUT/bios.bin"
  cp /usr/share/seabios/vgabios-stdvga.bin "$OUT/vgabios.bin"
  echo "$STAMP" > "$OUT/.inputs"
  cat > "$OUT/guest.json" <<JSON
{"kernel":"$KVER","kernelPackage":"$KPKG","busybox":"$(basename "$BDEB")","files":["bios.bin","vgabios.bin","vmlinuz","initrd.gz"]}
JSON
fi
echo "guest: $(basename "$KDEB"), $(basename "$BDEB")"
for f in bios.bin vgabios.bin vmlinuz initrd.gz; do printf '  %-12s %8d KiB\n' "$f" $(( $(stat -c %s "$OUT/$f") / 1024 )); done

# The state a page restores instead of booting (with the built-in linux/386 layers inside); redone only when the
# guest or v86 changed. Needs the npm dependencies (v86, tsx); the set-up installs them before this runs.
if [ -f node_modules/v86/build/v86.wasm ] && [ "${BERTH_GUEST_SNAPSHOT:-1}" = 1 ]; then
  node --import tsx "$HERE/make-snapshot.ts" --guest "$OUT" --images build/images
fi
