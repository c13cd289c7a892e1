{
  "targets": [
    {
      "target_name": "berth_native",
      "sources": ["src/binding.c", "src/errors.c", "src/args.c", "src/mknod.c", "src/xattr.c", "src/mount.c", "src/bpf-devices.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-O2"],
      "defines": ["_GNU_SOURCE", "NAPI_VERSION=8"]
    }
  ]
}
