/* Docker's default bridge inside the guest: bridge berth0 (172.17.0.1/16) and, per container, a veth
 * pair whose peer is the container's eth0. busybox's ip cannot make a veth, so that is netlink. */
#include "agent.h"
#include <arpa/inet.h>
#include <net/if.h>
#include <net/route.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

struct nlreq { struct nlmsghdr h; struct ifinfomsg i; char attrs[512]; };

static struct rtattr *add_attr(struct nlmsghdr *n, int type, const void *data, size_t len) {
  struct rtattr *rta = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));
  rta->rta_type = (unsigned short)type;
  rta->rta_len = (unsigned short)RTA_LENGTH(len);
  if (len) memcpy(RTA_DATA(rta), data, len);
  n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(rta->rta_len);
  return rta;
}

static void end_nest(struct nlmsghdr *n, struct rtattr *nest) {
  nest->rta_len = (unsigned short)((char *)n + NLMSG_ALIGN(n->nlmsg_len) - (char *)nest);
}

/* A veth pair: `host_if` here, `peer_if` in the network namespace of `pid`. */
static int veth_create(const char *host_if, const char *peer_if, pid_t pid) {
  struct nlreq r;
  memset(&r, 0, sizeof r);
  r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
  r.h.nlmsg_type = RTM_NEWLINK;
  r.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
  r.i.ifi_family = AF_UNSPEC;
  add_attr(&r.h, IFLA_IFNAME, host_if, strlen(host_if) + 1);
  struct rtattr *info = add_attr(&r.h, IFLA_LINKINFO, NULL, 0);
  add_attr(&r.h, IFLA_INFO_KIND, "veth", 4);
  struct rtattr *data = add_attr(&r.h, IFLA_INFO_DATA, NULL, 0);
  struct rtattr *peer = add_attr(&r.h, VETH_INFO_PEER, NULL, 0);
  r.h.nlmsg_len += sizeof(struct ifinfomsg); /* the peer's (zeroed) ifinfomsg */
  add_attr(&r.h, IFLA_IFNAME, peer_if, strlen(peer_if) + 1);
  uint32_t ns = (uint32_t)pid;
  add_attr(&r.h, IFLA_NET_NS_PID, &ns, sizeof ns);
  end_nest(&r.h, peer);
  end_nest(&r.h, data);
  end_nest(&r.h, info);
  int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (s < 0) return -1;
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
  int rc = -1;
  if (sendto(s, &r, r.h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) >= 0) {
    char buf[1024];
    ssize_t n = recv(s, buf, sizeof buf, 0);
    struct nlmsghdr *h = (struct nlmsghdr *)buf;
    if (n >= (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) && h->nlmsg_type == NLMSG_ERROR) {
      int e = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
      if (!e) rc = 0; else errno = -e;
    }
  }
  close(s);
  return rc;
}

static int bridge_ready;

/* The container's end goes into its namespace as eth0; ours joins berth0. */
int network_attach(uint32_t cid, pid_t pid, char *err, size_t errcap) {
  if (!bridge_ready) {
    char *add[] = { "ip", "link", "add", "berth0", "type", "bridge", NULL };
    char *addr[] = { "ip", "addr", "add", "172.17.0.1/16", "dev", "berth0", NULL };
    char *up[] = { "ip", "link", "set", "berth0", "up", NULL };
    run_wait(add);
    run_wait(addr);
    if (run_wait(up) != 0) { snprintf(err, errcap, "creating the bridge berth0 failed"); return -1; }
    bridge_ready = 1;
  }
  char host_if[IFNAMSIZ];
  snprintf(host_if, sizeof host_if, "vb%u", cid);
  if (veth_create(host_if, "eth0", pid) < 0) { snprintf(err, errcap, "creating the veth pair: %s", strerror(errno)); return -1; }
  char *master[] = { "ip", "link", "set", host_if, "master", "berth0", "up", NULL };
  if (run_wait(master) != 0) { snprintf(err, errcap, "attaching %s to berth0 failed", host_if); return -1; }
  return 0;
}

/* In the container: eth0 with its address, Docker's MAC for it (02:42 + the IPv4), the default route. */
void network_configure(const char *ip, int prefix, const char *gateway) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "eth0");
  struct in_addr a;
  if (inet_pton(AF_INET, ip, &a) == 1) {
    unsigned char *b = (unsigned char *)&a.s_addr;
    ifr.ifr_hwaddr.sa_family = 1; /* ARPHRD_ETHER */
    unsigned char mac[6] = { 0x02, 0x42, b[0], b[1], b[2], b[3] };
    memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
    ioctl(s, SIOCSIFHWADDR, &ifr);
    struct sockaddr_in *sa = (struct sockaddr_in *)&ifr.ifr_addr;
    memset(&ifr.ifr_addr, 0, sizeof ifr.ifr_addr);
    sa->sin_family = AF_INET;
    sa->sin_addr = a;
    ioctl(s, SIOCSIFADDR, &ifr);
    sa->sin_addr.s_addr = htonl(prefix ? ~0u << (32 - prefix) : 0);
    ioctl(s, SIOCSIFNETMASK, &ifr);
  }
  if (!ioctl(s, SIOCGIFFLAGS, &ifr)) { ifr.ifr_flags |= IFF_UP | IFF_RUNNING; ioctl(s, SIOCSIFFLAGS, &ifr); }
  struct rtentry rt;
  memset(&rt, 0, sizeof rt);
  struct sockaddr_in *dst = (struct sockaddr_in *)&rt.rt_dst, *gw = (struct sockaddr_in *)&rt.rt_gateway, *mask = (struct sockaddr_in *)&rt.rt_genmask;
  dst->sin_family = gw->sin_family = mask->sin_family = AF_INET;
  if (inet_pton(AF_INET, gateway, &gw->sin_addr) == 1) {
    rt.rt_flags = RTF_UP | RTF_GATEWAY;
    ioctl(s, SIOCADDRT, &rt);
  }
  close(s);
}
