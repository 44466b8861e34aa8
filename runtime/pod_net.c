/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A pod's network, moved into a network namespace its user namespace owns.
 * CNI configures the pod's interfaces in a namespace of the host's user
 * namespace (pod.c says what runc cannot do from a user namespace of its
 * own there).  For the sandbox, ocigate makes the pod's user namespace and a
 * network namespace owned by it (userns.c); just before runc starts the
 * sandbox, every interface but lo moves there with its addresses and routes
 * (rtnetlink through libmnl), and the new namespace replaces CNI's at the
 * path containerd keeps, so CNI's DEL, port-forward and containerd's own
 * removal act on the pod's real network.
 * Not carried over: sysctls and firewall rules CNI set inside the
 * namespace, neighbour entries, policy routing rules, addresses on lo, IPv6
 * addresses the kernel makes itself (link-local, autoconfigured) and
 * routes it learned from router advertisements: they come back by
 * themselves or not at all.  Links the pod's namespace has already by
 * name (the kernel's fallback tunnel devices) stay: it has its own.
 * A route that cannot be made again without
 * them (its source an address of lo) fails the create, and whatever had
 * moved goes back to CNI's namespace as it was.
 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ocigate/util.h"
#include "pod.h"

enum
{
  POD_BUF_SIZE = 32768, /* at least a page, as libmnl advises */
  POD_MAX_LINKS = 64,
  POD_MAX_MSGS = 1024, /* addresses and routes each: a pod has a handful */
};

struct link
{
  int index, new_index;
  unsigned flags;
  char name[IFNAMSIZ];
};

/* What moves: the links, and copies of the kernel's address and route
 * messages, replayed in the new namespace. */
struct pod_net
{
  struct link links[POD_MAX_LINKS];
  size_t n_links;
  struct nlmsghdr *addrs[POD_MAX_MSGS], *routes[POD_MAX_MSGS];
  size_t n_addrs, n_routes;
  bool overflow;
};

static void
pod_net_free (struct pod_net *p)
{
  for (size_t i = 0; i < p->n_addrs; i++)
    free (p->addrs[i]);
  for (size_t i = 0; i < p->n_routes; i++)
    free (p->routes[i]);
}

struct nl
{
  struct mnl_socket *sock;
  unsigned seq, portid;
};

static void
nl_close (struct nl *n)
{
  if (n->sock)
    mnl_socket_close (n->sock);
  n->sock = NULL;
}

/* A route socket in the network namespace `ns`; we return to `home`. */
static int
nl_open_in (struct nl *n, int ns, int home, struct og_error *err)
{
  int saved = 0;

  if (setns (ns, CLONE_NEWNET) < 0)
    return og_error_set (err, errno, "cannot enter the pod's network namespace");
  n->sock = mnl_socket_open (NETLINK_ROUTE);
  if (n->sock == NULL || mnl_socket_bind (n->sock, 0, MNL_SOCKET_AUTOPID) < 0)
    saved = errno ? errno : EIO;
  if (setns (home, CLONE_NEWNET) < 0)
    return og_error_set (err, errno, "cannot return to the host's network namespace");
  if (saved)
    return og_error_set (err, saved, "cannot open a route netlink socket in the pod's network namespace");
  n->portid = mnl_socket_get_portid (n->sock);
  n->seq = (unsigned)time (NULL);
  return 0;
}

/* Send the request in buf and run cb over the answer until the kernel's
 * done (a dump) or its ack; 0, or -1 with errno. */
static int
nl_talk (struct nl *n, char *buf, mnl_cb_t cb, void *data)
{
  struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
  int r = MNL_CB_OK;
  ssize_t got;

  nlh->nlmsg_seq = ++n->seq;
  if (mnl_socket_sendto (n->sock, nlh, nlh->nlmsg_len) < 0)
    return -1;
  while (r > MNL_CB_STOP && (got = mnl_socket_recvfrom (n->sock, buf, POD_BUF_SIZE)) > 0)
    r = mnl_cb_run (buf, (size_t)got, n->seq, n->portid, cb, data);
  if (r == MNL_CB_ERROR || got <= 0)
    {
      if (errno == 0)
        errno = EIO;
      return -1;
    }
  return 0;
}

static struct nlmsghdr *
request (char *buf, uint16_t type, uint16_t flags)
{
  struct nlmsghdr *nlh = mnl_nlmsg_put_header (buf);

  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST | flags;
  return nlh;
}

static int
dump (struct nl *n, uint16_t type, mnl_cb_t cb, void *data)
{
  static char buf[POD_BUF_SIZE];
  struct nlmsghdr *nlh = request (buf, type, NLM_F_DUMP);
  struct rtgenmsg *g = mnl_nlmsg_put_extra_header (nlh, sizeof *g);

  g->rtgen_family = AF_UNSPEC;
  return nl_talk (n, buf, cb, data);
}

static const struct link *
link_of (const struct pod_net *p, int index)
{
  for (size_t i = 0; i < p->n_links; i++)
    if (p->links[i].index == index)
      return &p->links[i];
  return NULL;
}

static int
link_cb (const struct nlmsghdr *nlh, void *data)
{
  const struct ifinfomsg *ifi = mnl_nlmsg_get_payload (nlh);
  struct pod_net *p = data;
  struct nlattr *a;
  struct link *l;

  if (nlh->nlmsg_type != RTM_NEWLINK || (ifi->ifi_flags & IFF_LOOPBACK))
    return MNL_CB_OK;
  if (p->n_links == POD_MAX_LINKS)
    {
      p->overflow = true;
      return MNL_CB_OK;
    }
  l = &p->links[p->n_links];
  memset (l, 0, sizeof *l);
  l->index = ifi->ifi_index;
  l->flags = ifi->ifi_flags;
  mnl_attr_for_each (a, nlh, sizeof *ifi) if (mnl_attr_get_type (a) == IFLA_IFNAME
                                              && mnl_attr_validate (a, MNL_TYPE_NUL_STRING) >= 0)
      snprintf (l->name, sizeof l->name, "%s", mnl_attr_get_str (a));
  if (l->name[0])
    p->n_links++;
  return MNL_CB_OK;
}

static void
keep (struct pod_net *p, struct nlmsghdr **v, size_t *n, const struct nlmsghdr *nlh)
{
  if (*n == POD_MAX_MSGS)
    {
      p->overflow = true;
      return;
    }
  v[*n] = og_xmalloc (nlh->nlmsg_len);
  memcpy (v[*n], nlh, nlh->nlmsg_len);
  (*n)++;
}

/* Addresses of the moving links; IPv6 link-local ones the kernel makes
 * again itself. */
static int
addr_cb (const struct nlmsghdr *nlh, void *data)
{
  const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload (nlh);
  struct pod_net *p = data;

  if (nlh->nlmsg_type != RTM_NEWADDR || link_of (p, (int)ifa->ifa_index) == NULL)
    return MNL_CB_OK;
  if (ifa->ifa_family == AF_INET6 && ifa->ifa_scope == RT_SCOPE_LINK)
    return MNL_CB_OK;
  keep (p, p->addrs, &p->n_addrs, nlh);
  return MNL_CB_OK;
}

/* The route's output interface; 0: none (or several: multipath). */
static int
route_oif (const struct nlmsghdr *nlh, bool *multipath)
{
  struct nlattr *a;
  int oif = 0;

  mnl_attr_for_each (a, nlh, sizeof (struct rtmsg))
  {
    if (mnl_attr_get_type (a) == RTA_OIF && mnl_attr_validate (a, MNL_TYPE_U32) >= 0)
      oif = (int)mnl_attr_get_u32 (a);
    else if (mnl_attr_get_type (a) == RTA_MULTIPATH)
      *multipath = true;
  }
  return oif;
}

/* Routes through the moving links that nobody else makes again: not the
 * kernel's own (an address's prefix, the local table), not learned from
 * router advertisements. */
static int
route_cb (const struct nlmsghdr *nlh, void *data)
{
  const struct rtmsg *rt = mnl_nlmsg_get_payload (nlh);
  struct pod_net *p = data;
  bool multipath = false;
  int oif;

  if (nlh->nlmsg_type != RTM_NEWROUTE || rt->rtm_table == RT_TABLE_LOCAL || rt->rtm_protocol == RTPROT_KERNEL
      || rt->rtm_protocol == RTPROT_RA || rt->rtm_type != RTN_UNICAST)
    return MNL_CB_OK;
  oif = route_oif (nlh, &multipath);
  if (multipath)
    p->overflow = true; /* cannot be carried faithfully: refuse rather than half */
  if (oif && link_of (p, oif))
    keep (p, p->routes, &p->n_routes, nlh);
  return MNL_CB_OK;
}

static int
ack_cb (const struct nlmsghdr *nlh, void *data)
{
  (void)nlh;
  (void)data;
  return MNL_CB_OK;
}

static int
move_link (struct nl *from, const struct link *l, int to, struct og_error *err)
{
  static char buf[POD_BUF_SIZE];
  struct nlmsghdr *nlh = request (buf, RTM_NEWLINK, NLM_F_ACK);
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header (nlh, sizeof *ifi);

  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = l->index;
  mnl_attr_put_u32 (nlh, IFLA_NET_NS_FD, (uint32_t)to);
  if (nl_talk (from, buf, ack_cb, NULL) < 0)
    return og_error_set (err, errno, "cannot move the pod's interface %s into the pod's network namespace", l->name);
  return 0;
}

static int
set_up (struct nl *n, int index, const char *name, struct og_error *err)
{
  static char buf[POD_BUF_SIZE];
  struct nlmsghdr *nlh = request (buf, RTM_NEWLINK, NLM_F_ACK);
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header (nlh, sizeof *ifi);

  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  ifi->ifi_change = IFF_UP;
  ifi->ifi_flags = IFF_UP;
  if (nl_talk (n, buf, ack_cb, NULL) < 0)
    return og_error_set (err, errno, "cannot bring up %s in the pod's network namespace", name);
  return 0;
}

/* The moved links' indexes in the new namespace, by name. */
static int
renumber (struct nl *to, struct pod_net *p, struct og_error *err)
{
  struct pod_net *now = og_xmalloc (sizeof *now);
  int r = 0;

  memset (now, 0, sizeof *now);
  if (dump (to, RTM_GETLINK, link_cb, now) < 0)
    r = og_error_set (err, errno, "cannot list the links of the pod's network namespace");
  for (size_t i = 0; r == 0 && i < p->n_links; i++)
    {
      for (size_t j = 0; j < now->n_links && !p->links[i].new_index; j++)
        if (strcmp (now->links[j].name, p->links[i].name) == 0)
          p->links[i].new_index = now->links[j].index;
      if (!p->links[i].new_index)
        r = og_error_set (err, 0, "the pod's interface %s is missing after the move", p->links[i].name);
    }
  free (now);
  return r;
}

static int
new_index (const struct pod_net *p, int old)
{
  const struct link *l = link_of (p, old);
  return l ? l->new_index : 0;
}

/* The kernel's RTM_NEWADDR, replayed on the link's new index; IPv6 without
 * duplicate address detection (the address was in use a moment ago). */
static int
add_address (struct nl *to, const struct pod_net *p, const struct nlmsghdr *old, struct og_error *err)
{
  static char buf[POD_BUF_SIZE];
  const struct ifaddrmsg *o = mnl_nlmsg_get_payload (old);
  struct nlmsghdr *nlh = request (buf, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header (nlh, sizeof *ifa);
  struct nlattr *a;

  *ifa = *o;
  ifa->ifa_index = (unsigned)new_index (p, (int)o->ifa_index);
  if (o->ifa_family == AF_INET6)
    ifa->ifa_flags |= IFA_F_NODAD;
  mnl_attr_for_each (a, old, sizeof *o)
  {
    uint16_t t = mnl_attr_get_type (a);
    if (t == IFA_ADDRESS || t == IFA_LOCAL || t == IFA_BROADCAST || t == IFA_LABEL)
      mnl_attr_put (nlh, t, mnl_attr_get_payload_len (a), mnl_attr_get_payload (a));
  }
  if (nl_talk (to, buf, ack_cb, NULL) < 0)
    return og_error_set (err, errno, "cannot give the pod's interface %s its address again",
                         link_of (p, (int)o->ifa_index)->name);
  return 0;
}

static bool
has_gateway (const struct nlmsghdr *nlh)
{
  struct nlattr *a;

  mnl_attr_for_each (a, nlh, sizeof (struct rtmsg)) if (mnl_attr_get_type (a) == RTA_GATEWAY
                                                        || mnl_attr_get_type (a) == RTA_VIA) return true;
  return false;
}

static int
add_route (struct nl *to, const struct pod_net *p, const struct nlmsghdr *old, struct og_error *err)
{
  static const uint16_t carried[]
      = { RTA_DST, RTA_SRC, RTA_GATEWAY, RTA_PRIORITY, RTA_PREFSRC, RTA_TABLE, RTA_METRICS, RTA_PREF, RTA_VIA };
  static char buf[POD_BUF_SIZE];
  const struct rtmsg *o = mnl_nlmsg_get_payload (old);
  struct nlmsghdr *nlh = request (buf, RTM_NEWROUTE, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  struct rtmsg *rt = mnl_nlmsg_put_extra_header (nlh, sizeof *rt);
  struct nlattr *a;
  bool multipath = false;
  int oif = route_oif (old, &multipath);

  *rt = *o;
  /* RTNH_F_LINKDOWN and friends are the kernel's to say; "onlink" (a
   * gateway outside the link's prefixes) was CNI's */
  rt->rtm_flags = o->rtm_flags & RTNH_F_ONLINK;
  mnl_attr_put_u32 (nlh, RTA_OIF, (uint32_t)new_index (p, oif));
  mnl_attr_for_each (a, old, sizeof *o)
  {
    uint16_t t = mnl_attr_get_type (a);
    for (size_t i = 0; i < sizeof carried / sizeof carried[0]; i++)
      if (t == carried[i])
        mnl_attr_put (nlh, t, mnl_attr_get_payload_len (a), mnl_attr_get_payload (a));
  }
  if (nl_talk (to, buf, ack_cb, NULL) < 0)
    return og_error_set (err, errno, "cannot give the pod's interface %s its route again", link_of (p, oif)->name);
  return 0;
}

/* In the new namespace: lo and the links up (as they were), their
 * addresses, then routes without a gateway before those through one. */
static int
configure (struct nl *to, struct pod_net *p, struct og_error *err)
{
  if (renumber (to, p, err) < 0 || set_up (to, 1, "lo", err) < 0)
    return -1;
  for (size_t i = 0; i < p->n_links; i++)
    if ((p->links[i].flags & IFF_UP) && set_up (to, p->links[i].new_index, p->links[i].name, err) < 0)
      return -1;
  for (size_t i = 0; i < p->n_addrs; i++)
    if (add_address (to, p, p->addrs[i], err) < 0)
      return -1;
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < p->n_routes; i++)
      if (has_gateway (p->routes[i]) == (pass == 1) && add_route (to, p, p->routes[i], err) < 0)
        return -1;
  return 0;
}

/* Links `to` has already by name stay: the kernel makes its fallback
 * tunnel devices (tunl0 where ipip is loaded, as for Calico's IPIP mode;
 * sit0, ip6tnl0, gre0...) in every namespace, and will not move one
 * (netns-local); the pod's namespace has its own. */
static int
drop_present (struct nl *to, struct pod_net *p, struct og_error *err)
{
  struct pod_net *there = og_xmalloc (sizeof *there);
  size_t kept = 0;

  memset (there, 0, sizeof *there);
  if (dump (to, RTM_GETLINK, link_cb, there) < 0)
    {
      free (there);
      return og_error_set (err, errno, "cannot list the links of the pod's network namespace");
    }
  for (size_t i = 0; i < p->n_links; i++)
    {
      bool present = false;
      for (size_t j = 0; j < there->n_links && !present; j++)
        present = strcmp (there->links[j].name, p->links[i].name) == 0;
      if (!present)
        p->links[kept++] = p->links[i];
    }
  p->n_links = kept;
  free (there);
  return 0;
}

static int
read_pod_net (struct nl *from, struct nl *to, struct pod_net *p, struct og_error *err)
{
  if (dump (from, RTM_GETLINK, link_cb, p) < 0)
    return og_error_set (err, errno, "cannot read the pod's network configuration");
  if (drop_present (to, p, err) < 0)
    return -1;
  if (dump (from, RTM_GETADDR, addr_cb, p) < 0 || dump (from, RTM_GETROUTE, route_cb, p) < 0)
    return og_error_set (err, errno, "cannot read the pod's network configuration");
  if (p->overflow)
    return og_error_set (err, 0,
                         "the pod's network cannot be carried over: more than %d interfaces or %d addresses or "
                         "routes, or a multipath route",
                         POD_MAX_LINKS, POD_MAX_MSGS);
  return 0;
}

static void close_nl_pair (struct nl (*pair)[2])
{
  nl_close (&(*pair)[0]);
  nl_close (&(*pair)[1]);
}

/* A failure after links moved: the first n go back from `to` into `from`
 * (found by name there: `to` numbered them), with their addresses and
 * routes, so a failed create leaves CNI's namespace as it was. */
static int move_back (struct nl (*nl)[2], struct pod_net *p, size_t n, int from, struct og_error *err)
{
  struct pod_net *now = og_xmalloc (sizeof *now);
  size_t moved = p->n_links;
  int r = 0;

  memset (now, 0, sizeof *now);
  if (dump (&(*nl)[1], RTM_GETLINK, link_cb, now) < 0)
    r = og_error_set (err, errno, "cannot list the links of the pod's network namespace");
  for (size_t i = 0; r == 0 && i < n; i++)
    for (size_t j = 0; j < now->n_links; j++)
      if (strcmp (now->links[j].name, p->links[i].name) == 0)
        r = move_link (&(*nl)[1], &now->links[j], from, err);
  free (now);
  /* only what went back is configured again there */
  p->n_links = n;
  if (r == 0)
    r = configure (&(*nl)[0], p, err);
  p->n_links = moved;
  return r;
}

int
ocigate_pod_net_move (int from, int to, bool *moved, struct og_error *err)
{
  __attribute__ ((cleanup (close_nl_pair))) struct nl nl[2] = { { 0 } };
  og_cleanup_close int home = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  struct pod_net *p = og_xmalloc (sizeof *p);
  size_t n = 0;
  int r = -1;

  *moved = false;
  memset (p, 0, sizeof *p);
  if (home < 0)
    og_error_set (err, errno, "cannot open /proc/self/ns/net");
  else if (nl_open_in (&nl[0], from, home, err) == 0 && nl_open_in (&nl[1], to, home, err) == 0
           && read_pod_net (&nl[0], &nl[1], p, err) == 0)
    {
      r = 0;
      for (; r == 0 && n < p->n_links; n += r == 0)
        r = move_link (&nl[0], &p->links[n], to, err);
      if (r == 0)
        r = configure (&nl[1], p, err);
      if (r < 0 && n > 0)
        {
          struct og_error back = { 0 };
          if (move_back (&nl, p, n, from, &back) < 0)
            {
              og_cleanup_free char *first = og_steal_pointer (&err->msg);
              *moved = true;
              og_error_set (err, 0, "%s; the interfaces moved cannot go back: %s", first, back.msg);
            }
          og_error_clear (&back);
        }
    }
  pod_net_free (p);
  free (p);
  return r;
}

int
ocigate_pod_net_replace (const char *path, int from, int to, bool *replaced, struct og_error *err)
{
  struct stat at, cni;
  char self[64];

  *replaced = false;
  /* only CNI's namespace file as containerd mounted it: a /proc/<pid>/ns
   * path (or anything else) is left alone */
  if (strncmp (path, "/proc/", 6) == 0 || lstat (path, &at) < 0 || !S_ISREG (at.st_mode) || fstat (from, &cni) < 0
      || !og_same_file (&at, &cni))
    return 0;
  if (umount2 (path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
    return og_error_set (err, errno, "cannot unmount the network namespace at %s", path);
  snprintf (self, sizeof self, "/proc/self/fd/%d", to);
  if (mount (self, path, NULL, MS_BIND, NULL) == 0)
    {
      *replaced = true;
      return 0;
    }
  og_error_set (err, errno, "cannot mount the network namespace at %s", path);
  /* the one that was there, back (best effort: the create fails anyway) */
  snprintf (self, sizeof self, "/proc/self/fd/%d", from);
  mount (self, path, NULL, MS_BIND, NULL);
  return -1;
}
