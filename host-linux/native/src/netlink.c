/* Links, addresses and routes through rtnetlink (NETLINK_ROUTE), without libnl or `ip` processes.
 *
 * Every call takes the network namespace it works in as its first argument: an fd of a netns
 * (/proc/<pid>/ns/net) or null for the daemon's own. A netlink socket belongs to the namespace it
 * was created in, so for another namespace a short-lived thread setns()es into it, opens the socket
 * and exits: CLONE_NEWNET changes only the calling thread, and the daemon's main thread (where
 * N-API runs) never leaves its namespace. Requests then go through that socket from the main thread. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "args.h"
#include "berth.h"
#include "errors.h"

#define NL_BUFSIZE 8192

typedef struct {
  union {
    struct nlmsghdr h;
    char buf[NL_BUFSIZE];
  };
} nl_msg;

/* The kernel's text for the last failed request on this thread, or "". */
static _Thread_local char ack_message[200];

/* --- sockets -------------------------------------------------------------------------------- */

struct ns_socket_job {
  int netns_fd;
  int result; /* fd, or -errno */
};

static int open_route_socket(void) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return -errno;
  /* Extended acks carry the kernel's reason for an EINVAL ("MTU greater than device maximum");
   * capped acks leave out the echoed request. Both are optional: older kernels just lack the text. */
  int on = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof on);
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof on);
  /* The kernel answers at once; a reply that never comes must not hang the daemon's main thread. */
  struct timeval timeout = {.tv_sec = 10};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  struct sockaddr_nl local = {.nl_family = AF_NETLINK};
  if (bind(fd, (struct sockaddr *)&local, sizeof local) != 0) {
    int err = errno;
    close(fd);
    return -err;
  }
  return fd;
}

static void *ns_socket_thread(void *arg) {
  struct ns_socket_job *job = arg;
  if (setns(job->netns_fd, CLONE_NEWNET) != 0)
    job->result = -errno;
  else
    job->result = open_route_socket();
  return NULL;
}

/* A NETLINK_ROUTE socket in the namespace `netns_fd` (-1: the caller's); fd or -errno. */
static int route_socket(int netns_fd) {
  ack_message[0] = '\0';
  if (netns_fd < 0) return open_route_socket();
  struct ns_socket_job job = {.netns_fd = netns_fd, .result = -EINVAL};
  pthread_t thread;
  int err = pthread_create(&thread, NULL, ns_socket_thread, &job);
  if (err != 0) return -err;
  pthread_join(thread, NULL);
  return job.result;
}

/* --- messages ------------------------------------------------------------------------------- */

static void *msg_init(nl_msg *m, uint16_t type, uint16_t flags, size_t header) {
  memset(m->buf, 0, NLMSG_SPACE(header));
  m->h.nlmsg_len = NLMSG_LENGTH(header);
  m->h.nlmsg_type = type;
  m->h.nlmsg_flags = NLM_F_REQUEST | flags;
  return NLMSG_DATA(&m->h);
}

static struct rtattr *attr_put(nl_msg *m, unsigned short type, const void *data, size_t len) {
  size_t at = NLMSG_ALIGN(m->h.nlmsg_len);
  if (at + RTA_SPACE(len) > sizeof m->buf) return NULL; /* requests here are far smaller */
  struct rtattr *rta = (struct rtattr *)(m->buf + at);
  rta->rta_type = type;
  rta->rta_len = RTA_LENGTH(len);
  if (len) memcpy(RTA_DATA(rta), data, len);
  m->h.nlmsg_len = at + RTA_SPACE(len);
  return rta;
}

static void msg_append(nl_msg *m, const void *data, size_t len) {
  size_t at = NLMSG_ALIGN(m->h.nlmsg_len);
  memcpy(m->buf + at, data, len);
  m->h.nlmsg_len = (uint32_t)(at + NLMSG_ALIGN(len));
}

static void attr_u32(nl_msg *m, unsigned short type, uint32_t v) { attr_put(m, type, &v, sizeof v); }
static void attr_str(nl_msg *m, unsigned short type, const char *s) { attr_put(m, type, s, strlen(s) + 1); }
static struct rtattr *nest_begin(nl_msg *m, unsigned short type) { return attr_put(m, type, NULL, 0); }
static void nest_end(nl_msg *m, struct rtattr *nest) {
  nest->rta_len = (unsigned short)(m->buf + m->h.nlmsg_len - (char *)nest);
}

/* An error reply's errno, keeping its extended-ack text in ack_message. */
static int ack_error(struct nlmsghdr *h) {
  struct nlmsgerr *e = NLMSG_DATA(h);
  ack_message[0] = '\0';
  if (e->error == 0 || !(h->nlmsg_flags & NLM_F_ACK_TLVS)) return e->error;
  size_t offset = sizeof *e;
  if (!(h->nlmsg_flags & NLM_F_CAPPED)) offset += e->msg.nlmsg_len - sizeof e->msg;
  if (NLMSG_LENGTH(offset) > h->nlmsg_len) return e->error;
  int len = (int)(h->nlmsg_len - NLMSG_LENGTH(offset));
  struct nlattr *a = (struct nlattr *)((char *)e + NLA_ALIGN(offset));
  while (len >= (int)sizeof *a && a->nla_len >= sizeof *a && a->nla_len <= len) {
    if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
      int text = a->nla_len - (int)NLA_HDRLEN;
      snprintf(ack_message, sizeof ack_message, "%.*s", text, (char *)a + NLA_HDRLEN);
      break;
    }
    len -= NLA_ALIGN(a->nla_len);
    a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
  }
  return e->error;
}

/* berth_throw_errno, with the kernel's reason when it gave one:
 * "EINVAL: invalid argument, setting link mtu 'eth0' (MTU greater than device maximum)". */
static void throw_netlink(napi_env env, int err, const char *what, const char *name) {
  berth_throw_errno(env, err, what, name);
  size_t len = strnlen(ack_message, sizeof ack_message);
  while (len > 0 && (ack_message[len - 1] == '\n' || ack_message[len - 1] == '\0')) ack_message[--len] = '\0';
  if (len == 0) return;
  napi_value error, message;
  if (napi_get_and_clear_last_exception(env, &error) != napi_ok) return;
  char text[4096];
  size_t got = 0;
  if (napi_get_named_property(env, error, "message", &message) == napi_ok &&
      napi_get_value_string_utf8(env, message, text, sizeof text - sizeof ack_message - 4, &got) == napi_ok) {
    snprintf(text + got, sizeof text - got, " (%s)", ack_message);
    if (napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message) == napi_ok)
      napi_set_named_property(env, error, "message", message);
  }
  ack_message[0] = '\0';
  napi_throw(env, error);
}

typedef int (*reply_fn)(struct nlmsghdr *h, void *ctx);

/* Sends `m` and reads the replies until its acknowledgement (or, for a dump, its end), calling
 * `each` (may be NULL) for every reply that is neither; 0 or -errno. (NLM_F_DUMP's bits overlap
 * NLM_F_EXCL's, so whether `m` is a dump is said, not read from its flags.) */
static int exchange(int fd, nl_msg *m, bool dump, reply_fn each, void *ctx) {
  static uint32_t seq;
  m->h.nlmsg_seq = ++seq;
  m->h.nlmsg_flags |= dump ? NLM_F_DUMP : NLM_F_ACK;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(fd, m->buf, m->h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) return -errno;
  /* A link's message carries its statistics and more, and dumps pack many: room for large ones. */
  enum { REPLY_SIZE = 32768 };
  char *reply = malloc(REPLY_SIZE);
  if (reply == NULL) return -ENOMEM;
  int result = 0;
  for (;;) {
    ssize_t n = recv(fd, reply, REPLY_SIZE, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      result = errno == EAGAIN ? -ETIMEDOUT : -errno;
      break;
    }
    int len = (int)n;
    for (struct nlmsghdr *h = (struct nlmsghdr *)reply; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_seq != m->h.nlmsg_seq) continue;
      if (h->nlmsg_type == NLMSG_DONE) goto done;
      if (h->nlmsg_type == NLMSG_ERROR) {
        int err = ack_error(h);
        if (result == 0) result = err;
        goto done;
      }
      /* After a failed callback keep reading, so the socket is left at a message boundary. */
      if (each != NULL && result == 0) result = each(h, ctx);
    }
  }
done:
  free(reply);
  return result;
}

static int transact(int fd, nl_msg *m) { return exchange(fd, m, false, NULL, NULL); }

/* --- links ---------------------------------------------------------------------------------- */

struct link_info {
  int index;
  unsigned flags;
  uint32_t mtu;
  uint32_t master;
  unsigned char mac[6];
  int mac_len;
  char name[IFNAMSIZ];
  /* IFLA_INFO_KIND: "bridge", "veth", ...; "" for a link without one (lo, most physical NICs). */
  char kind[32];
};

/* Copies a string attribute, NUL-terminated and cut to `size`. */
static void attr_copy_str(struct rtattr *a, char *out, size_t size) {
  snprintf(out, size, "%.*s", (int)strnlen(RTA_DATA(a), RTA_PAYLOAD(a)), (const char *)RTA_DATA(a));
}

static void parse_link(struct nlmsghdr *h, struct link_info *out) {
  struct ifinfomsg *got = NLMSG_DATA(h);
  memset(out, 0, sizeof *out);
  out->index = got->ifi_index;
  out->flags = got->ifi_flags;
  int len = (int)IFLA_PAYLOAD(h);
  for (struct rtattr *a = IFLA_RTA(got); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    if (a->rta_type == IFLA_MTU) memcpy(&out->mtu, RTA_DATA(a), sizeof out->mtu);
    if (a->rta_type == IFLA_MASTER) memcpy(&out->master, RTA_DATA(a), sizeof out->master);
    if (a->rta_type == IFLA_IFNAME) attr_copy_str(a, out->name, sizeof out->name);
    if (a->rta_type == IFLA_ADDRESS && RTA_PAYLOAD(a) <= sizeof out->mac) {
      out->mac_len = (int)RTA_PAYLOAD(a);
      memcpy(out->mac, RTA_DATA(a), (size_t)out->mac_len);
    }
    if (a->rta_type == IFLA_LINKINFO) {
      int info_len = (int)RTA_PAYLOAD(a);
      for (struct rtattr *i = RTA_DATA(a); RTA_OK(i, info_len); i = RTA_NEXT(i, info_len))
        if (i->rta_type == IFLA_INFO_KIND) attr_copy_str(i, out->kind, sizeof out->kind);
    }
  }
}

static int read_link(struct nlmsghdr *h, void *ctx) {
  if (h->nlmsg_type == RTM_NEWLINK) parse_link(h, ctx);
  return 0;
}

/* The link called `name` in the socket's namespace; 0 or -errno (-ENODEV when there is none). */
static int get_link(int fd, const char *name, struct link_info *out) {
  nl_msg m;
  struct ifinfomsg *ifi = msg_init(&m, RTM_GETLINK, 0, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  attr_str(&m, IFLA_IFNAME, name);
  memset(out, 0, sizeof *out);
  int err = exchange(fd, &m, false, read_link, out);
  return err < 0 ? err : out->index > 0 ? 0 : -ENODEV;
}

static int link_index(int fd, const char *name) {
  struct link_info info;
  int err = get_link(fd, name, &info);
  return err < 0 ? err : info.index;
}

/* --- arguments ------------------------------------------------------------------------------ */

/* The namespace argument: a netns fd, or null/undefined for the daemon's own (-1). */
static bool arg_netns(napi_env env, napi_value value, int *out) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok) return false;
  if (type == napi_null || type == napi_undefined) {
    *out = -1;
    return true;
  }
  uint32_t fd;
  if (!berth_arg_uint32(env, value, "netns", &fd)) return false;
  *out = (int)fd;
  return true;
}

/* A link name: at most IFNAMSIZ-1 bytes, which the kernel would otherwise refuse with a bare EINVAL. */
static bool arg_ifname(napi_env env, napi_value value, const char *what, char out[IFNAMSIZ]) {
  char *s;
  if (!berth_arg_string(env, value, what, &s)) return false;
  size_t len = strlen(s);
  /* The kernel's dev_valid_name: no '/', ':' or white space, and not "." or "..". */
  bool valid = len > 0 && len < IFNAMSIZ && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
  for (const char *c = s; valid && *c; c++) valid = *c != '/' && *c != ':' && !isspace((unsigned char)*c);
  if (!valid) {
    char message[160];
    snprintf(message, sizeof message, "invalid link name \"%.40s\": 1 to %d characters, no '/', ':' or spaces", s, IFNAMSIZ - 1);
    free(s);
    berth_throw_type(env, message);
    return false;
  }
  memcpy(out, s, len + 1);
  free(s);
  return true;
}

/* An IPv4 address with an optional prefix length ("10.0.0.1/24"; a bare address is /32). */
static bool arg_cidr(napi_env env, napi_value value, const char *what, struct in_addr *addr, unsigned *prefix) {
  char *s;
  if (!berth_arg_string(env, value, what, &s)) return false;
  char *slash = strchr(s, '/');
  bool ok = true;
  *prefix = 32;
  if (slash != NULL) {
    *slash = '\0';
    char *end;
    unsigned long p = strtoul(slash + 1, &end, 10);
    ok = slash[1] != '\0' && *end == '\0' && p <= 32;
    *prefix = (unsigned)p;
  }
  if (ok) ok = inet_pton(AF_INET, s, addr) == 1;
  if (!ok) {
    if (slash != NULL) *slash = '/';
    char message[160];
    snprintf(message, sizeof message, "invalid IPv4 address \"%.60s\" for %s: expected a.b.c.d or a.b.c.d/len", s, what);
    berth_throw_type(env, message);
  }
  free(s);
  return ok;
}

static bool arg_ipv4(napi_env env, napi_value value, const char *what, struct in_addr *addr) {
  unsigned prefix;
  if (!arg_cidr(env, value, what, addr, &prefix)) return false;
  if (prefix != 32) {
    berth_throw_type(env, "a gateway is an address, not a subnet");
    return false;
  }
  return true;
}

static bool is_nullish(napi_env env, napi_value value) {
  napi_valuetype type;
  return napi_typeof(env, value, &type) == napi_ok && (type == napi_null || type == napi_undefined);
}

/* The (netns, name, ...) arguments most calls start with; `n` is how many the call takes. */
static bool link_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv, int *netns, char name[IFNAMSIZ]) {
  return berth_args(env, info, n, argv) && arg_netns(env, argv[0], netns) && arg_ifname(env, argv[1], "name", name);
}

/* Opens the socket for `netns`, throwing on failure (-1). */
static int open_or_throw(napi_env env, int netns, const char *what, const char *name) {
  int fd = route_socket(netns);
  if (fd < 0) throw_netlink(env, -fd, what, name);
  return fd;
}

/* Resolves `name` in the socket's namespace, throwing "ENODEV: no such device, <what> '<name>'". */
static int index_or_throw(napi_env env, int fd, const char *name, const char *what) {
  int index = link_index(fd, name);
  if (index < 0) throw_netlink(env, -index, what, name);
  return index;
}

/* Starts a request creating the link `name` of `kind` (mtu 0: the kernel's default); returns its
 * IFLA_LINKINFO nest, open for the kind's own data. */
static struct rtattr *new_link(nl_msg *m, const char *name, uint32_t mtu, const char *kind) {
  struct ifinfomsg *ifi = msg_init(m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  attr_str(m, IFLA_IFNAME, name);
  if (mtu) attr_u32(m, IFLA_MTU, mtu);
  struct rtattr *linkinfo = nest_begin(m, IFLA_LINKINFO);
  attr_str(m, IFLA_INFO_KIND, kind);
  return linkinfo;
}

/* A socket in `netns` and the index of `name` there: the fd, or -1 after throwing. */
static int open_link(napi_env env, int netns, const char *name, const char *what, int *index) {
  int fd = open_or_throw(env, netns, what, name);
  if (fd < 0) return -1;
  *index = index_or_throw(env, fd, name, what);
  if (*index >= 0) return fd;
  close(fd);
  return -1;
}

/* Sends the request, closes the socket and throws when the kernel refused. */
static napi_value finish(napi_env env, int fd, nl_msg *m, const char *what, const char *name) {
  int err = transact(fd, m);
  close(fd);
  if (err < 0) throw_netlink(env, -err, what, name);
  return NULL;
}

/* --- exported calls ------------------------------------------------------------------------- */

/* netlinkCreateBridge(netns, name, mtu) */
napi_value berth_netlink_create_bridge(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int netns;
  char name[IFNAMSIZ];
  uint32_t mtu;
  if (!link_args(env, info, 3, argv, &netns, name) ||
      !berth_arg_uint32(env, argv[2], "mtu", &mtu))
    return NULL;
  int fd = open_or_throw(env, netns, "creating bridge", name);
  if (fd < 0) return NULL;
  nl_msg m;
  nest_end(&m, new_link(&m, name, mtu, "bridge"));
  return finish(env, fd, &m, "creating bridge", name);
}

/* netlinkCreateVeth(netns, name, peerName, mtu, peerNetns): the peer is created directly in
 * `peerNetns` (an fd, or null for the same namespace), so it never shows up in the daemon's. */
napi_value berth_netlink_create_veth(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  int netns, peer_netns;
  char name[IFNAMSIZ], peer[IFNAMSIZ];
  uint32_t mtu;
  if (!link_args(env, info, 5, argv, &netns, name) ||
      !arg_ifname(env, argv[2], "peerName", peer) || !berth_arg_uint32(env, argv[3], "mtu", &mtu) ||
      !arg_netns(env, argv[4], &peer_netns))
    return NULL;
  int fd = open_or_throw(env, netns, "creating veth", name);
  if (fd < 0) return NULL;
  nl_msg m;
  struct rtattr *linkinfo = new_link(&m, name, mtu, "veth");
  struct rtattr *data = nest_begin(&m, IFLA_INFO_DATA);
  struct rtattr *peer_info = nest_begin(&m, VETH_INFO_PEER);
  /* The peer's attributes follow its own ifinfomsg inside the nest. */
  struct ifinfomsg peer_ifi = {.ifi_family = AF_UNSPEC};
  msg_append(&m, &peer_ifi, sizeof peer_ifi);
  attr_str(&m, IFLA_IFNAME, peer);
  if (mtu) attr_u32(&m, IFLA_MTU, mtu);
  if (peer_netns >= 0) attr_u32(&m, IFLA_NET_NS_FD, (uint32_t)peer_netns);
  nest_end(&m, peer_info);
  nest_end(&m, data);
  nest_end(&m, linkinfo);
  return finish(env, fd, &m, "creating veth", name);
}

/* Changes one link with RTM_NEWLINK; `setup` adds what changes. */
static napi_value modify_link(napi_env env, int netns, const char *name, const char *what,
                              void (*setup)(nl_msg *m, struct ifinfomsg *ifi, const void *ctx), const void *ctx) {
  int index;
  int fd = open_link(env, netns, name, what, &index);
  if (fd < 0) return NULL;
  nl_msg m;
  struct ifinfomsg *ifi = msg_init(&m, RTM_NEWLINK, 0, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  setup(&m, ifi, ctx);
  return finish(env, fd, &m, what, name);
}

struct u32_attr {
  unsigned short type;
  uint32_t value;
};
static void setup_u32(nl_msg *m, struct ifinfomsg *ifi, const void *ctx) {
  (void)ifi;
  const struct u32_attr *attr = ctx;
  attr_u32(m, attr->type, attr->value);
}
static void setup_name(nl_msg *m, struct ifinfomsg *ifi, const void *ctx) {
  (void)ifi;
  attr_str(m, IFLA_IFNAME, ctx);
}
static void setup_up(nl_msg *m, struct ifinfomsg *ifi, const void *ctx) {
  (void)m;
  ifi->ifi_change = IFF_UP;
  ifi->ifi_flags = *(const bool *)ctx ? IFF_UP : 0;
}
static void setup_master(nl_msg *m, struct ifinfomsg *ifi, const void *ctx) {
  (void)ifi;
  attr_u32(m, IFLA_MASTER, *(const uint32_t *)ctx);
}

/* Sets one 32-bit attribute of a link: (netns, name, value). */
static napi_value set_link_u32(napi_env env, napi_callback_info info, unsigned short type, const char *arg,
                               const char *what) {
  napi_value argv[3];
  int netns;
  char name[IFNAMSIZ];
  struct u32_attr attr = {.type = type};
  if (!link_args(env, info, 3, argv, &netns, name) || !berth_arg_uint32(env, argv[2], arg, &attr.value)) return NULL;
  return modify_link(env, netns, name, what, setup_u32, &attr);
}

/* netlinkSetLinkNetns(netns, name, targetNetns) */
napi_value berth_netlink_set_link_netns(napi_env env, napi_callback_info info) {
  return set_link_u32(env, info, IFLA_NET_NS_FD, "targetNetns", "moving link to netns");
}

/* netlinkRenameLink(netns, name, newName): the link must be down. */
napi_value berth_netlink_rename_link(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int netns;
  char name[IFNAMSIZ], new_name[IFNAMSIZ];
  if (!link_args(env, info, 3, argv, &netns, name) ||
      !arg_ifname(env, argv[2], "newName", new_name))
    return NULL;
  return modify_link(env, netns, name, "renaming link", setup_name, new_name);
}

/* netlinkSetLinkUp(netns, name, up) */
napi_value berth_netlink_set_link_up(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int netns;
  char name[IFNAMSIZ];
  bool up;
  if (!link_args(env, info, 3, argv, &netns, name)) return NULL;
  if (napi_get_value_bool(env, argv[2], &up) != napi_ok) {
    berth_throw_type(env, "the \"up\" argument must be a boolean");
    return NULL;
  }
  return modify_link(env, netns, name, up ? "setting link up" : "setting link down", setup_up, &up);
}

/* netlinkSetLinkMaster(netns, name, master): master null detaches the link from its bridge. */
napi_value berth_netlink_set_link_master(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int netns;
  char name[IFNAMSIZ], master[IFNAMSIZ];
  if (!link_args(env, info, 3, argv, &netns, name)) return NULL;
  uint32_t master_index = 0;
  if (!is_nullish(env, argv[2])) {
    if (!arg_ifname(env, argv[2], "master", master)) return NULL;
    int fd = open_or_throw(env, netns, "setting link master", master);
    if (fd < 0) return NULL;
    int index = index_or_throw(env, fd, master, "setting link master");
    close(fd);
    if (index < 0) return NULL;
    master_index = (uint32_t)index;
  }
  return modify_link(env, netns, name, "setting link master", setup_master, &master_index);
}

/* netlinkSetLinkMtu(netns, name, mtu) */
napi_value berth_netlink_set_link_mtu(napi_env env, napi_callback_info info) {
  return set_link_u32(env, info, IFLA_MTU, "mtu", "setting link mtu");
}

/* netlinkDeleteLink(netns, name): deleting one end of a veth pair deletes both. */
napi_value berth_netlink_delete_link(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int netns;
  char name[IFNAMSIZ];
  if (!link_args(env, info, 2, argv, &netns, name)) return NULL;
  int index;
  int fd = open_link(env, netns, name, "deleting link", &index);
  if (fd < 0) return NULL;
  nl_msg m;
  struct ifinfomsg *ifi = msg_init(&m, RTM_DELLINK, 0, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  return finish(env, fd, &m, "deleting link", name);
}

/* A link as JavaScript sees it: { name, index, kind, mac, mtu, up, master }; false after throwing. */
static bool link_object(napi_env env, const struct link_info *link, napi_value *out) {
  char mac[3 * sizeof link->mac + 1] = "";
  for (int i = 0; i < link->mac_len; i++) sprintf(mac + 3 * i, "%02x:", link->mac[i]);
  if (link->mac_len > 0) mac[3 * link->mac_len - 1] = '\0';
  napi_value result, v;
  return napi_create_object(env, &result) == napi_ok &&
         napi_create_string_utf8(env, link->name, NAPI_AUTO_LENGTH, &v) == napi_ok &&
         napi_set_named_property(env, result, "name", v) == napi_ok &&
         napi_create_int32(env, link->index, &v) == napi_ok &&
         napi_set_named_property(env, result, "index", v) == napi_ok &&
         napi_create_string_utf8(env, link->kind, NAPI_AUTO_LENGTH, &v) == napi_ok &&
         napi_set_named_property(env, result, "kind", v) == napi_ok &&
         napi_create_string_utf8(env, mac, NAPI_AUTO_LENGTH, &v) == napi_ok &&
         napi_set_named_property(env, result, "mac", v) == napi_ok &&
         napi_create_uint32(env, link->mtu, &v) == napi_ok &&
         napi_set_named_property(env, result, "mtu", v) == napi_ok &&
         napi_get_boolean(env, (link->flags & IFF_UP) != 0, &v) == napi_ok &&
         napi_set_named_property(env, result, "up", v) == napi_ok &&
         napi_create_uint32(env, link->master, &v) == napi_ok &&
         napi_set_named_property(env, result, "master", v) == napi_ok && (*out = result, true);
}

/* netlinkLink(netns, name): { name, index, kind, mac, mtu, up, master } (master: the bridge's index or 0). */
napi_value berth_netlink_link(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int netns;
  char name[IFNAMSIZ];
  if (!link_args(env, info, 2, argv, &netns, name)) return NULL;
  int fd = open_or_throw(env, netns, "reading link", name);
  if (fd < 0) return NULL;
  struct link_info link;
  int err = get_link(fd, name, &link);
  close(fd);
  if (err < 0) {
    throw_netlink(env, -err, "reading link", name);
    return NULL;
  }
  napi_value result;
  BERTH_CALL(env, link_object(env, &link, &result) ? napi_ok : napi_generic_failure);
  return result;
}

/* netlinkAddAddress(netns, name, cidr): e.g. "172.18.0.2/16", with the subnet's broadcast address. */
napi_value berth_netlink_add_address(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int netns;
  char name[IFNAMSIZ];
  struct in_addr addr;
  unsigned prefix;
  if (!link_args(env, info, 3, argv, &netns, name) ||
      !arg_cidr(env, argv[2], "address", &addr, &prefix))
    return NULL;
  int index;
  int fd = open_link(env, netns, name, "adding address", &index);
  if (fd < 0) return NULL;
  nl_msg m;
  struct ifaddrmsg *ifa = msg_init(&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof *ifa);
  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = (unsigned char)prefix;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = (unsigned)index;
  attr_put(&m, IFA_LOCAL, &addr, sizeof addr);
  attr_put(&m, IFA_ADDRESS, &addr, sizeof addr);
  if (prefix < 31) {
    uint32_t host_mask = prefix == 0 ? 0xffffffffu : (1u << (32 - prefix)) - 1;
    struct in_addr broadcast = {.s_addr = addr.s_addr | htonl(host_mask)};
    attr_put(&m, IFA_BROADCAST, &broadcast, sizeof broadcast);
  }
  return finish(env, fd, &m, "adding address", name);
}

/* A route's type by the name `ip route` gives it; false after throwing. */
static bool arg_route_type(napi_env env, napi_value value, unsigned char *out) {
  static const struct { const char *name; unsigned char type; } types[] = {
      {"unicast", RTN_UNICAST}, {"prohibit", RTN_PROHIBIT}, {"blackhole", RTN_BLACKHOLE}, {"unreachable", RTN_UNREACHABLE}};
  char *s;
  if (!berth_arg_string(env, value, "type", &s)) return false;
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    if (strcmp(s, types[i].name) == 0) {
      free(s);
      *out = types[i].type;
      return true;
    }
  free(s);
  berth_throw_type(env, "a route's type must be unicast, prohibit, blackhole or unreachable");
  return false;
}

/* The optional { table, type } of a route call (absent: main, unicast); false after throwing. */
static bool arg_route_options(napi_env env, napi_value value, uint32_t *table, unsigned char *type) {
  *table = RT_TABLE_MAIN;
  *type = RTN_UNICAST;
  if (is_nullish(env, value)) return true;
  napi_value v;
  bool has = false;
  if (napi_has_named_property(env, value, "table", &has) == napi_ok && has &&
      napi_get_named_property(env, value, "table", &v) == napi_ok && !is_nullish(env, v) &&
      !berth_arg_uint32(env, v, "table", table))
    return false;
  if (*table == 0) {
    berth_throw_type(env, "a route's table is 1 to 2^32-1");
    return false;
  }
  if (napi_has_named_property(env, value, "type", &has) == napi_ok && has &&
      napi_get_named_property(env, value, "type", &v) == napi_ok && !is_nullish(env, v) &&
      !arg_route_type(env, v, type))
    return false;
  return true;
}

/* Up to `max` arguments, at least `min`; the missing ones are undefined. */
static bool optional_args(napi_env env, napi_callback_info info, size_t min, size_t max, napi_value *argv) {
  size_t argc = max;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return false;
  if (argc < min) {
    char message[128];
    snprintf(message, sizeof message, "expected at least %zu arguments, got %zu", min, argc);
    berth_throw_type(env, message);
    return false;
  }
  return true;
}

/* "default" or "10.0.0.0/24": how errors name a route. */
static void route_target(char *out, size_t size, struct in_addr dst, unsigned dst_len) {
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &dst, text, sizeof text);
  if (dst_len == 0)
    snprintf(out, size, "default");
  else
    snprintf(out, size, "%s/%u", text, dst_len);
}

/* Starts a route request for `table` (tables above 255 only fit RTA_TABLE). */
static struct rtmsg *route_msg(nl_msg *m, uint16_t type, uint16_t flags, struct in_addr dst, unsigned dst_len, uint32_t table) {
  struct rtmsg *rt = msg_init(m, type, flags, sizeof *rt);
  rt->rtm_family = AF_INET;
  rt->rtm_dst_len = (unsigned char)dst_len;
  rt->rtm_table = table < 256 ? (unsigned char)table : RT_TABLE_UNSPEC;
  if (table >= 256) attr_u32(m, RTA_TABLE, table);
  if (dst_len) attr_put(m, RTA_DST, &dst, sizeof dst);
  return rt;
}

/* netlinkAddRoute(netns, destination, gateway, link, options?): destination null is the default
 * route; gateway null makes a route straight out of `link`; link null lets the kernel find it by
 * gateway. options.table (default main) and options.type (default unicast; prohibit, blackhole and
 * unreachable routes take neither gateway nor link). */
napi_value berth_netlink_add_route(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!optional_args(env, info, 4, 5, argv)) return NULL;
  int netns;
  struct in_addr dst = {0}, gateway = {0};
  unsigned dst_len = 0;
  bool has_gateway = !is_nullish(env, argv[2]), has_link = !is_nullish(env, argv[3]);
  char link[IFNAMSIZ] = "";
  uint32_t table;
  unsigned char type;
  if (!arg_netns(env, argv[0], &netns)) return NULL;
  if (!is_nullish(env, argv[1]) && !arg_cidr(env, argv[1], "destination", &dst, &dst_len)) return NULL;
  if (has_gateway && !arg_ipv4(env, argv[2], "gateway", &gateway)) return NULL;
  if (has_link && !arg_ifname(env, argv[3], "link", link)) return NULL;
  if (!arg_route_options(env, argv[4], &table, &type)) return NULL;
  if (type == RTN_UNICAST && !has_gateway && !has_link) {
    berth_throw_type(env, "a route needs a gateway or a link");
    return NULL;
  }
  if (type != RTN_UNICAST && (has_gateway || has_link)) {
    berth_throw_type(env, "a prohibit, blackhole or unreachable route has no gateway or link");
    return NULL;
  }
  char what_target[64];
  route_target(what_target, sizeof what_target, dst, dst_len);
  int fd = open_or_throw(env, netns, "adding route", what_target);
  if (fd < 0) return NULL;
  int index = 0;
  if (has_link) {
    index = index_or_throw(env, fd, link, "adding route");
    if (index < 0) {
      close(fd);
      return NULL;
    }
  }
  nl_msg m;
  struct rtmsg *rt = route_msg(&m, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, dst, dst_len, table);
  rt->rtm_protocol = RTPROT_BOOT;
  rt->rtm_scope = type == RTN_UNICAST && !has_gateway ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
  rt->rtm_type = type;
  if (has_gateway) attr_put(&m, RTA_GATEWAY, &gateway, sizeof gateway);
  if (has_link) attr_u32(&m, RTA_OIF, (uint32_t)index);
  return finish(env, fd, &m, "adding route", what_target);
}

/* netlinkDeleteRoute(netns, destination, options?): the route to `destination` (null: default) in
 * options.table (default main) of options.type (default: any). */
napi_value berth_netlink_delete_route(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!optional_args(env, info, 2, 3, argv)) return NULL;
  int netns;
  struct in_addr dst = {0};
  unsigned dst_len = 0;
  uint32_t table;
  unsigned char type;
  if (!arg_netns(env, argv[0], &netns)) return NULL;
  if (!is_nullish(env, argv[1]) && !arg_cidr(env, argv[1], "destination", &dst, &dst_len)) return NULL;
  if (!arg_route_options(env, argv[2], &table, &type)) return NULL;
  bool any_type = true;
  if (!is_nullish(env, argv[2])) {
    bool has = false;
    napi_has_named_property(env, argv[2], "type", &has);
    any_type = !has;
  }
  char what_target[64];
  route_target(what_target, sizeof what_target, dst, dst_len);
  int fd = open_or_throw(env, netns, "deleting route", what_target);
  if (fd < 0) return NULL;
  nl_msg m;
  struct rtmsg *rt = route_msg(&m, RTM_DELROUTE, 0, dst, dst_len, table);
  rt->rtm_scope = RT_SCOPE_NOWHERE; /* any scope, protocol and type unless said */
  rt->rtm_type = any_type ? RTN_UNSPEC : type;
  return finish(env, fd, &m, "deleting route", what_target);
}

struct route_list {
  napi_env env;
  napi_value array;
  uint32_t count;
};

static const char *route_type_name(unsigned char type) {
  switch (type) {
    case RTN_UNICAST: return "unicast";
    case RTN_LOCAL: return "local";
    case RTN_BROADCAST: return "broadcast";
    case RTN_ANYCAST: return "anycast";
    case RTN_MULTICAST: return "multicast";
    case RTN_BLACKHOLE: return "blackhole";
    case RTN_UNREACHABLE: return "unreachable";
    case RTN_PROHIBIT: return "prohibit";
    default: return "other";
  }
}

static int set_string_property(napi_env env, napi_value obj, const char *key, const char *value) {
  napi_value v;
  if (napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &v) != napi_ok) return -EINVAL;
  return napi_set_named_property(env, obj, key, v) == napi_ok ? 0 : -EINVAL;
}

static int add_route(struct nlmsghdr *h, void *ctx) {
  struct route_list *list = ctx;
  napi_env env = list->env;
  if (h->nlmsg_type != RTM_NEWROUTE) return 0;
  struct rtmsg *rt = NLMSG_DATA(h);
  if (rt->rtm_family != AF_INET) return 0;
  uint32_t table = rt->rtm_table, oif = 0;
  struct in_addr dst = {0}, gateway = {0}, source = {0};
  bool has_gateway = false, has_source = false;
  int len = (int)RTM_PAYLOAD(h);
  for (struct rtattr *a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    if (a->rta_type == RTA_TABLE) memcpy(&table, RTA_DATA(a), sizeof table);
    if (a->rta_type == RTA_OIF) memcpy(&oif, RTA_DATA(a), sizeof oif);
    if (a->rta_type == RTA_DST) memcpy(&dst, RTA_DATA(a), sizeof dst);
    if (a->rta_type == RTA_GATEWAY) {
      memcpy(&gateway, RTA_DATA(a), sizeof gateway);
      has_gateway = true;
    }
    if (a->rta_type == RTA_PREFSRC) {
      memcpy(&source, RTA_DATA(a), sizeof source);
      has_source = true;
    }
  }
  char text[INET_ADDRSTRLEN + 8];
  napi_value route, v;
  if (napi_create_object(env, &route) != napi_ok) return -EINVAL;
  inet_ntop(AF_INET, &dst, text, INET_ADDRSTRLEN);
  snprintf(text + strlen(text), 8, "/%u", (unsigned)rt->rtm_dst_len);
  if (set_string_property(env, route, "destination", text) < 0) return -EINVAL;
  if (has_gateway) {
    inet_ntop(AF_INET, &gateway, text, INET_ADDRSTRLEN);
    if (set_string_property(env, route, "gateway", text) < 0) return -EINVAL;
  }
  if (has_source) {
    inet_ntop(AF_INET, &source, text, INET_ADDRSTRLEN);
    if (set_string_property(env, route, "source", text) < 0) return -EINVAL;
  }
  if (napi_create_uint32(env, oif, &v) != napi_ok || napi_set_named_property(env, route, "linkIndex", v) != napi_ok)
    return -EINVAL;
  if (napi_create_uint32(env, table, &v) != napi_ok || napi_set_named_property(env, route, "table", v) != napi_ok)
    return -EINVAL;
  if (set_string_property(env, route, "type", route_type_name(rt->rtm_type)) < 0) return -EINVAL;
  if (napi_set_element(env, list->array, list->count++, route) != napi_ok) return -EINVAL;
  return 0;
}

/* netlinkListRoutes(netns): the IPv4 routes of every table, as `ip -4 route show table all` has them. */
napi_value berth_netlink_list_routes(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!berth_args(env, info, 1, argv)) return NULL;
  int netns;
  if (!arg_netns(env, argv[0], &netns)) return NULL;
  int fd = open_or_throw(env, netns, "listing routes", NULL);
  if (fd < 0) return NULL;
  struct route_list list = {.env = env, .count = 0};
  if (napi_create_array(env, &list.array) != napi_ok) {
    close(fd);
    return NULL;
  }
  nl_msg m;
  struct rtmsg *rt = msg_init(&m, RTM_GETROUTE, 0, sizeof *rt);
  rt->rtm_family = AF_INET;
  int err = exchange(fd, &m, true, add_route, &list);
  close(fd);
  if (err < 0) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending) throw_netlink(env, -err, "listing routes", NULL);
    return NULL;
  }
  return list.array;
}

/* --- dumps: links and addresses -------------------------------------------------------------- */

struct object_list {
  napi_env env;
  napi_value array;
  uint32_t count;
};

static int push(struct object_list *list, napi_value value) {
  return napi_set_element(list->env, list->array, list->count++, value) == napi_ok ? 0 : -EINVAL;
}

/* Runs a dump request, collecting what `each` makes into an array; NULL after throwing. */
static napi_value dump_list(napi_env env, int netns, nl_msg *m, reply_fn each, const char *what) {
  int fd = open_or_throw(env, netns, what, NULL);
  if (fd < 0) return NULL;
  struct object_list list = {.env = env, .count = 0};
  if (napi_create_array(env, &list.array) != napi_ok) {
    close(fd);
    return NULL;
  }
  int err = exchange(fd, m, true, each, &list);
  close(fd);
  if (err < 0) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending) throw_netlink(env, -err, what, NULL);
    return NULL;
  }
  return list.array;
}

static int add_link(struct nlmsghdr *h, void *ctx) {
  struct object_list *list = ctx;
  if (h->nlmsg_type != RTM_NEWLINK) return 0;
  struct link_info link;
  parse_link(h, &link);
  napi_value object;
  return link_object(list->env, &link, &object) ? push(list, object) : -EINVAL;
}

/* netlinkListLinks(netns): every link of the namespace, as netlinkLink describes one. */
napi_value berth_netlink_list_links(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int netns;
  if (!berth_args(env, info, 1, argv) || !arg_netns(env, argv[0], &netns)) return NULL;
  nl_msg m;
  struct ifinfomsg *ifi = msg_init(&m, RTM_GETLINK, 0, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  /* Statistics and VF data are most of a link's message and of no use here. */
  attr_u32(&m, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  return dump_list(env, netns, &m, add_link, "listing links");
}

static int add_address(struct nlmsghdr *h, void *ctx) {
  struct object_list *list = ctx;
  if (h->nlmsg_type != RTM_NEWADDR) return 0;
  struct ifaddrmsg *ifa = NLMSG_DATA(h);
  if (ifa->ifa_family != AF_INET) return 0;
  struct in_addr local = {0};
  bool has_local = false;
  int len = (int)IFA_PAYLOAD(h);
  for (struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    /* IFA_LOCAL is the interface's own address; IFA_ADDRESS differs from it only on point-to-point links. */
    if (a->rta_type == IFA_LOCAL || (a->rta_type == IFA_ADDRESS && !has_local)) {
      memcpy(&local, RTA_DATA(a), sizeof local);
      has_local = a->rta_type == IFA_LOCAL;
    }
  }
  char text[INET_ADDRSTRLEN + 8];
  inet_ntop(AF_INET, &local, text, INET_ADDRSTRLEN);
  snprintf(text + strlen(text), 8, "/%u", (unsigned)ifa->ifa_prefixlen);
  napi_value object, v;
  if (napi_create_object(list->env, &object) != napi_ok ||
      napi_create_uint32(list->env, ifa->ifa_index, &v) != napi_ok ||
      napi_set_named_property(list->env, object, "linkIndex", v) != napi_ok ||
      set_string_property(list->env, object, "address", text) < 0)
    return -EINVAL;
  return push(list, object);
}

/* netlinkListAddresses(netns): the IPv4 addresses, { linkIndex, address: "172.18.0.1/16" }. */
napi_value berth_netlink_list_addresses(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int netns;
  if (!berth_args(env, info, 1, argv) || !arg_netns(env, argv[0], &netns)) return NULL;
  nl_msg m;
  struct ifaddrmsg *ifa = msg_init(&m, RTM_GETADDR, 0, sizeof *ifa);
  ifa->ifa_family = AF_INET;
  return dump_list(env, netns, &m, add_address, "listing addresses");
}

/* --- MAC addresses --------------------------------------------------------------------------- */

/* "02:42:ac:11:00:02" into 6 bytes; false after throwing. */
static bool arg_mac(napi_env env, napi_value value, const char *what, unsigned char mac[6]) {
  char *s;
  if (!berth_arg_string(env, value, what, &s)) return false;
  unsigned v[6];
  int end = 0;
  bool ok = strlen(s) == 17 &&
            sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &end) == 6 && end == 17;
  for (int i = 0; ok && i < 17; i++) ok = i % 3 == 2 ? s[i] == ':' : isxdigit((unsigned char)s[i]);
  if (!ok) {
    char message[160];
    snprintf(message, sizeof message, "invalid MAC address \"%.40s\" for %s: expected six hex pairs, aa:bb:cc:dd:ee:ff", s, what);
    free(s);
    berth_throw_type(env, message);
    return false;
  }
  free(s);
  for (int i = 0; i < 6; i++) mac[i] = (unsigned char)v[i];
  return true;
}

static void setup_mac(nl_msg *m, struct ifinfomsg *ifi, const void *ctx) {
  (void)ifi;
  attr_put(m, IFLA_ADDRESS, ctx, 6);
}

/* netlinkSetLinkAddress(netns, name, mac): a MAC set this way is kept (a bridge no longer takes its
 * lowest port's). */
napi_value berth_netlink_set_link_address(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int netns;
  char name[IFNAMSIZ];
  unsigned char mac[6];
  if (!link_args(env, info, 3, argv, &netns, name) || !arg_mac(env, argv[2], "mac", mac)) return NULL;
  return modify_link(env, netns, name, "setting link address", setup_mac, mac);
}

/* --- policy routing rules -------------------------------------------------------------------- */

static const struct {
  const char *name;
  unsigned char action;
} rule_actions[] = {
    {"lookup", FR_ACT_TO_TBL}, {"prohibit", FR_ACT_PROHIBIT}, {"unreachable", FR_ACT_UNREACHABLE},
    {"blackhole", FR_ACT_BLACKHOLE}, {"goto", FR_ACT_GOTO}, {"nop", FR_ACT_NOP},
};

static const char *rule_action_name(unsigned char action) {
  for (size_t i = 0; i < sizeof rule_actions / sizeof rule_actions[0]; i++)
    if (rule_actions[i].action == action) return rule_actions[i].name;
  return "other";
}

/* A rule request: (netns, priority, action, table, iif, destination) as `ip rule` spells them:
 * "pref <priority> [iif <iif>] [to <destination>] lookup <table> | prohibit". */
static napi_value rule_call(napi_env env, napi_callback_info info, uint16_t type, const char *what) {
  napi_value argv[6];
  int netns;
  uint32_t priority, table;
  char *action_name, iif[IFNAMSIZ] = "";
  struct in_addr dst = {0};
  unsigned dst_len = 0;
  if (!berth_args(env, info, 6, argv) || !arg_netns(env, argv[0], &netns) ||
      !berth_arg_uint32(env, argv[1], "priority", &priority) ||
      !berth_arg_string(env, argv[2], "action", &action_name))
    return NULL;
  int action = -1;
  for (size_t i = 0; i < sizeof rule_actions / sizeof rule_actions[0]; i++)
    if (strcmp(action_name, rule_actions[i].name) == 0 && rule_actions[i].action != FR_ACT_GOTO) action = rule_actions[i].action;
  free(action_name);
  if (action < 0) {
    berth_throw_type(env, "a rule's action must be lookup, prohibit, unreachable, blackhole or nop");
    return NULL;
  }
  if (!berth_arg_uint32(env, argv[3], "table", &table)) return NULL;
  if (action == FR_ACT_TO_TBL && table == 0) {
    berth_throw_type(env, "a lookup rule needs a table");
    return NULL;
  }
  if (!is_nullish(env, argv[4]) && !arg_ifname(env, argv[4], "iif", iif)) return NULL;
  if (!is_nullish(env, argv[5]) && !arg_cidr(env, argv[5], "destination", &dst, &dst_len)) return NULL;
  char target[64];
  snprintf(target, sizeof target, "pref %u", priority);
  int fd = open_or_throw(env, netns, what, target);
  if (fd < 0) return NULL;
  nl_msg m;
  struct fib_rule_hdr *rule = msg_init(&m, type, type == RTM_NEWRULE ? NLM_F_CREATE | NLM_F_EXCL : 0, sizeof *rule);
  rule->family = AF_INET;
  rule->action = (unsigned char)action;
  rule->dst_len = (unsigned char)dst_len;
  rule->table = table < 256 ? (unsigned char)table : RT_TABLE_UNSPEC;
  attr_u32(&m, FRA_PRIORITY, priority);
  if (table >= 256) attr_u32(&m, FRA_TABLE, table);
  if (iif[0]) attr_str(&m, FRA_IIFNAME, iif);
  if (dst_len) attr_put(&m, FRA_DST, &dst, sizeof dst);
  return finish(env, fd, &m, what, target);
}

/* netlinkAddRule(netns, priority, action, table, iif, destination) */
napi_value berth_netlink_add_rule(napi_env env, napi_callback_info info) {
  return rule_call(env, info, RTM_NEWRULE, "creating rule");
}

/* netlinkDeleteRule(netns, priority, action, table, iif, destination): the rule matching all of them. */
napi_value berth_netlink_delete_rule(napi_env env, napi_callback_info info) {
  return rule_call(env, info, RTM_DELRULE, "deleting rule");
}

static int add_rule(struct nlmsghdr *h, void *ctx) {
  struct object_list *list = ctx;
  napi_env env = list->env;
  if (h->nlmsg_type != RTM_NEWRULE) return 0;
  struct fib_rule_hdr *rule = NLMSG_DATA(h);
  if (rule->family != AF_INET) return 0;
  uint32_t priority = 0, table = rule->table;
  char iif[IFNAMSIZ] = "";
  struct in_addr dst = {0};
  int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof *rule));
  for (struct rtattr *a = (struct rtattr *)((char *)rule + NLMSG_ALIGN(sizeof *rule)); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    if (a->rta_type == FRA_PRIORITY) memcpy(&priority, RTA_DATA(a), sizeof priority);
    if (a->rta_type == FRA_TABLE) memcpy(&table, RTA_DATA(a), sizeof table);
    if (a->rta_type == FRA_IIFNAME) attr_copy_str(a, iif, sizeof iif);
    if (a->rta_type == FRA_DST) memcpy(&dst, RTA_DATA(a), sizeof dst);
  }
  napi_value object, v;
  if (napi_create_object(env, &object) != napi_ok ||
      napi_create_uint32(env, priority, &v) != napi_ok || napi_set_named_property(env, object, "priority", v) != napi_ok ||
      set_string_property(env, object, "action", rule_action_name(rule->action)) < 0 ||
      napi_create_uint32(env, table, &v) != napi_ok || napi_set_named_property(env, object, "table", v) != napi_ok)
    return -EINVAL;
  if (iif[0] && set_string_property(env, object, "iif", iif) < 0) return -EINVAL;
  if (rule->dst_len) {
    char text[INET_ADDRSTRLEN + 8];
    inet_ntop(AF_INET, &dst, text, INET_ADDRSTRLEN);
    snprintf(text + strlen(text), 8, "/%u", (unsigned)rule->dst_len);
    if (set_string_property(env, object, "destination", text) < 0) return -EINVAL;
  }
  return push(list, object);
}

/* netlinkListRules(netns): the IPv4 rules, as `ip rule` lists them. */
napi_value berth_netlink_list_rules(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int netns;
  if (!berth_args(env, info, 1, argv) || !arg_netns(env, argv[0], &netns)) return NULL;
  nl_msg m;
  struct fib_rule_hdr *rule = msg_init(&m, RTM_GETRULE, 0, sizeof *rule);
  rule->family = AF_INET;
  return dump_list(env, netns, &m, add_rule, "listing rules");
}

/* --- endpoints ------------------------------------------------------------------------------- */

/* netlinkJoinEndpoint(netns, bridge, hostName, peerNetns, peerName, peerMac, mtu, address, gateway):
 * a container's interface in one go, as a container start wants it fast: the veth pair is made
 * with its host end on `bridge` and up and its peer created directly in `peerNetns` under its final
 * name and MAC (one request); then there, the peer up, `address` (CIDR, with broadcast) and, unless
 * `gateway` is null, the default route through it. One socket per namespace. On failure the host
 * end is deleted (taking the peer with it) and nothing is left. */
napi_value berth_netlink_join_endpoint(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  int netns, peer_netns;
  char bridge[IFNAMSIZ], host[IFNAMSIZ], peer[IFNAMSIZ];
  unsigned char mac[6];
  uint32_t mtu;
  struct in_addr addr, gateway = {0};
  unsigned prefix;
  if (!berth_args(env, info, 9, argv) || !arg_netns(env, argv[0], &netns) ||
      !arg_ifname(env, argv[1], "bridge", bridge) || !arg_ifname(env, argv[2], "hostName", host) ||
      !arg_netns(env, argv[3], &peer_netns) || !arg_ifname(env, argv[4], "peerName", peer) ||
      !arg_mac(env, argv[5], "peerMac", mac) || !berth_arg_uint32(env, argv[6], "mtu", &mtu) ||
      !arg_cidr(env, argv[7], "address", &addr, &prefix))
    return NULL;
  bool has_gateway = !is_nullish(env, argv[8]);
  if (has_gateway && !arg_ipv4(env, argv[8], "gateway", &gateway)) return NULL;
  if (peer_netns < 0) {
    berth_throw_type(env, "an endpoint's peer namespace must be a netns fd");
    return NULL;
  }
  int bridge_index;
  int fd = open_link(env, netns, bridge, "joining bridge", &bridge_index);
  if (fd < 0) return NULL;

  nl_msg m;
  struct rtattr *linkinfo = new_link(&m, host, mtu, "veth");
  struct ifinfomsg *ifi = NLMSG_DATA(&m.h);
  ifi->ifi_change = IFF_UP;
  ifi->ifi_flags = IFF_UP;
  struct rtattr *data = nest_begin(&m, IFLA_INFO_DATA);
  struct rtattr *peer_info = nest_begin(&m, VETH_INFO_PEER);
  /* The peer cannot be brought up here: veth opens it before it knows its other end (ENOTCONN). */
  struct ifinfomsg peer_ifi = {.ifi_family = AF_UNSPEC};
  msg_append(&m, &peer_ifi, sizeof peer_ifi);
  attr_str(&m, IFLA_IFNAME, peer);
  attr_put(&m, IFLA_ADDRESS, mac, sizeof mac);
  if (mtu) attr_u32(&m, IFLA_MTU, mtu);
  attr_u32(&m, IFLA_NET_NS_FD, (uint32_t)peer_netns);
  nest_end(&m, peer_info);
  nest_end(&m, data);
  nest_end(&m, linkinfo);
  /* IFLA_MASTER goes outside IFLA_LINKINFO: the kernel enslaves the new link once it exists. */
  attr_u32(&m, IFLA_MASTER, (uint32_t)bridge_index);
  int err = transact(fd, &m);
  if (err < 0) {
    close(fd);
    throw_netlink(env, -err, "creating veth", host);
    return NULL;
  }

  const char *what = "opening netns for", *name = peer;
  int peer_fd = route_socket(peer_netns);
  err = peer_fd;
  if (peer_fd >= 0) {
    what = "setting link up";
    err = link_index(peer_fd, peer);
  }
  int peer_index = err;
  if (err >= 0) {
    struct ifinfomsg *up = msg_init(&m, RTM_NEWLINK, 0, sizeof *up);
    up->ifi_family = AF_UNSPEC;
    up->ifi_index = peer_index;
    up->ifi_change = IFF_UP;
    up->ifi_flags = IFF_UP;
    err = transact(peer_fd, &m);
  }
  if (err >= 0) {
    what = "adding address";
    struct ifaddrmsg *ifa = msg_init(&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof *ifa);
    ifa->ifa_family = AF_INET;
    ifa->ifa_prefixlen = (unsigned char)prefix;
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    ifa->ifa_index = (unsigned)peer_index;
    attr_put(&m, IFA_LOCAL, &addr, sizeof addr);
    attr_put(&m, IFA_ADDRESS, &addr, sizeof addr);
    if (prefix < 31) {
      uint32_t host_mask = prefix == 0 ? 0xffffffffu : (1u << (32 - prefix)) - 1;
      struct in_addr broadcast = {.s_addr = addr.s_addr | htonl(host_mask)};
      attr_put(&m, IFA_BROADCAST, &broadcast, sizeof broadcast);
    }
    err = transact(peer_fd, &m);
  }
  if (err >= 0 && has_gateway) {
    what = "adding route";
    name = "default";
    struct rtmsg *rt = route_msg(&m, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, (struct in_addr){0}, 0, RT_TABLE_MAIN);
    rt->rtm_protocol = RTPROT_BOOT;
    rt->rtm_scope = RT_SCOPE_UNIVERSE;
    rt->rtm_type = RTN_UNICAST;
    attr_put(&m, RTA_GATEWAY, &gateway, sizeof gateway);
    err = transact(peer_fd, &m);
  }
  if (peer_fd >= 0) close(peer_fd);
  if (err < 0) {
    /* Keep the kernel's reason across the clean-up's own request. */
    char reason[sizeof ack_message];
    memcpy(reason, ack_message, sizeof reason);
    struct ifinfomsg *del = msg_init(&m, RTM_DELLINK, 0, sizeof *del);
    del->ifi_family = AF_UNSPEC;
    attr_str(&m, IFLA_IFNAME, host);
    transact(fd, &m);
    memcpy(ack_message, reason, sizeof reason);
  }
  close(fd);
  if (err < 0) throw_netlink(env, -err, what, name);
  return NULL;
}
