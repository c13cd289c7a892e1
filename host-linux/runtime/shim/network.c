/* A new network namespace starts with `lo` down; bring it up with an ioctl (no `ip`). The kernel assigns
 * 127.0.0.1 and ::1 when it comes up. */
#include "shim.h"

#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int loopback_up(void) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return err_errno("bringing up lo: socket");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  int rc = 0;
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
    rc = err_errno("bringing up lo: SIOCGIFFLAGS");
  } else if (!(ifr.ifr_flags & IFF_UP)) {
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0) rc = err_errno("bringing up lo: SIOCSIFFLAGS");
  }
  close(fd);
  return rc;
}
