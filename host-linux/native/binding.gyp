{
  "targets": [
    {
      "target_name": "berth_native",
      "sources": ["src/binding.c", "src/errors.c", "src/args.c", "src/mknod.c", "src/xattr.c", "src/mount.c", "src/bpf-devices.c", "src/memory.c", "src/v8-memory.cc", "src/netlink.c"],
      "cflags": ["-Wall", "-Wextra", "-Werror", "-O2"],
      "cflags_c": ["-std=gnu11"],
      "defines": ["_GNU_SOURCE", "NAPI_VERSION=8"]
    }
  ]
}
