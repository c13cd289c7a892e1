/*
 * The hello-world image's program: berth's counterpart of Docker's hello-world. No libc, so the static binary
 * is a few KB: it writes its message with one raw write(2) and leaves with exit(2).
 * Build: gcc -static -nostdlib -ffreestanding -Os [-m32] -DHELLO_ARCH='"amd64"' hello.c
 */

#ifndef HELLO_ARCH
#define HELLO_ARCH "unknown"
#endif

static const char message[] =
  "\n"
  "Hello from berth!\n"
  "This message shows that your installation appears to be working correctly.\n"
  "\n"
  "To generate this message, berth took the following steps:\n"
  " 1. The berth client contacted the berth daemon (berthd) through the Docker\n"
  "    Engine API on its unix socket.\n"
  " 2. The berth daemon found the \"hello-world\" image in its image store, or\n"
  "    pulled it from a registry (when Docker Hub cannot be reached, it uses the\n"
  "    copy berth built at set-up).\n"
  "    (" HELLO_ARCH ")\n"
  " 3. The berth daemon created a new container from that image, which runs the\n"
  "    executable that produced the output you are currently reading.\n"
  " 4. The berth daemon streamed that output to the berth client, which sent it\n"
  "    to your terminal.\n"
  "\n"
  "To try something more ambitious, you can run a busybox shell with:\n"
  " $ berth run -it busybox sh\n"
  "\n"
  "berth speaks the Docker Engine API, so the docker CLI works with it too:\n"
  " $ DOCKER_HOST=unix:///run/berth/berth.sock docker run hello-world\n"
  "\n"
  "And WebAssembly images run the same way:\n"
  " $ berth run hello-wasm\n"
  "\n";

#if defined(__x86_64__)
static long sys_write(long fd, const void *buf, long len) {
  long ret;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(1), "D"(fd), "S"(buf), "d"(len) : "rcx", "r11", "memory");
  return ret;
}
static void __attribute__((noreturn)) sys_exit(long code) {
  __asm__ volatile("syscall" : : "a"(231), "D"(code) : "rcx", "r11", "memory"); /* exit_group */
  for (;;) {}
}
#elif defined(__i386__)
static long sys_write(long fd, const void *buf, long len) {
  long ret;
  __asm__ volatile("int $0x80" : "=a"(ret) : "a"(4), "b"(fd), "c"(buf), "d"(len) : "memory");
  return ret;
}
static void __attribute__((noreturn)) sys_exit(long code) {
  __asm__ volatile("int $0x80" : : "a"(252), "b"(code) : "memory"); /* exit_group */
  for (;;) {}
}
#else
#error "hello.c knows the system calls of x86_64 and i386 only"
#endif

void __attribute__((noreturn)) _start(void) {
  const char *p = message;
  long left = sizeof(message) - 1;
  /* A pipe may take less than all at once; a closed stdout ends the program with an error. */
  while (left > 0) {
    long n = sys_write(1, p, left);
    if (n == -4 /* EINTR */) continue;
    if (n <= 0) sys_exit(1);
    p += n;
    left -= n;
  }
  sys_exit(0);
}
