/* SPDX-License-Identifier: Apache-2.0 */
/* createRuntime: the interfaces in the container's network namespace, as
 * the kernel lists them over rtnetlink from inside it.  A namespace the
 * config makes new holds lo and what linux.netDevices moves in, nothing
 * else: an interface moved from the host (or a namespace swapped for one
 * that has interfaces) would give the container a network the engine did
 * not set up.  (Engines add their veth after createRuntime, in prestart
 * or from outside after create, so none is expected yet.)
 *
 * The socket is opened by a child that entered the namespace, so the hook
 * itself never leaves the host's. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ocigate/util.h"
#include "verify.h"

#define MAX_NAMES_BYTES 65536

static int
link_cb (const struct nlmsghdr *nlh, void *data)
{
  struct nlattr *attr;
  int *out = data;

  mnl_attr_for_each (attr, nlh, sizeof (struct ifinfomsg)) if (mnl_attr_get_type (attr) == IFLA_IFNAME
                                                               && mnl_attr_validate (attr, MNL_TYPE_NUL_STRING) >= 0)
  {
    const char *name = mnl_attr_get_str (attr);
    if (og_write_all (*out, name, strlen (name)) < 0 || og_write_all (*out, "\n", 1) < 0)
      return MNL_CB_ERROR;
  }
  return MNL_CB_OK;
}

/* In the child: list the links of the current network namespace to fd. */
static int
dump_links (int fd)
{
  char buf[32768]; /* at least a page, as libmnl advises; fixed: no VLA */
  struct mnl_socket *nl = mnl_socket_open (NETLINK_ROUTE);
  struct nlmsghdr *nlh;
  struct rtgenmsg *rt;
  unsigned seq = (unsigned)time (NULL), portid;
  ssize_t n;
  int r = MNL_CB_OK;

  if (nl == NULL || mnl_socket_bind (nl, 0, MNL_SOCKET_AUTOPID) < 0)
    return -1;
  portid = mnl_socket_get_portid (nl);
  nlh = mnl_nlmsg_put_header (buf);
  nlh->nlmsg_type = RTM_GETLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = seq;
  rt = mnl_nlmsg_put_extra_header (nlh, sizeof *rt);
  rt->rtgen_family = AF_PACKET;
  if (mnl_socket_sendto (nl, nlh, nlh->nlmsg_len) < 0)
    return -1;
  while (r > MNL_CB_STOP && (n = mnl_socket_recvfrom (nl, buf, sizeof buf)) > 0)
    r = mnl_cb_run (buf, (size_t)n, seq, portid, link_cb, &fd);
  mnl_socket_close (nl);
  return r == MNL_CB_STOP ? 0 : -1;
}

/* What the child wrote, at most MAX_NAMES_BYTES (caller-owned). */
static char *
read_names (int fd, size_t *len)
{
  char *names = og_xmalloc (MAX_NAMES_BYTES + 1);

  *len = 0;
  for (;;)
    {
      ssize_t r = read (fd, names + *len, MAX_NAMES_BYTES - *len);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0 || (*len += (size_t)r) == MAX_NAMES_BYTES)
        break;
    }
  names[*len] = '\0';
  return names;
}

/* The names, one a line (caller-owned), or NULL with err. */
static char *
links_of (const struct verify_proc *p, struct og_error *err)
{
  og_cleanup_close int ns = openat (p->dir, "ns/net", O_RDONLY | O_CLOEXEC);
  og_cleanup_free char *names = NULL;
  int fds[2], status;
  size_t len;
  pid_t child;

  if (ns < 0)
    return og_error_set (err, errno, "cannot open the network namespace of process %d", (int)p->pid), NULL;
  if (pipe2 (fds, O_CLOEXEC) < 0)
    return og_error_set (err, errno, "pipe"), NULL;
  child = fork ();
  if (child == 0)
    {
      close (fds[0]);
      _exit (setns (ns, CLONE_NEWNET) < 0 || dump_links (fds[1]) < 0 ? 1 : 0);
    }
  close (fds[1]);
  if (child < 0)
    {
      close (fds[0]);
      return og_error_set (err, errno, "fork"), NULL;
    }
  names = read_names (fds[0], &len);
  close (fds[0]);
  /* a list that does not fit is no container's: the child is stopped */
  if (len == MAX_NAMES_BYTES)
    kill (child, SIGKILL);
  while (waitpid (child, &status, 0) < 0 && errno == EINTR)
    ;
  if (len == MAX_NAMES_BYTES)
    return og_error_set (err, 0, "the network namespace of process %d lists more than %d bytes of interfaces",
                         (int)p->pid, MAX_NAMES_BYTES),
           NULL;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return og_error_set (err, 0, "cannot list the interfaces in the network namespace of process %d", (int)p->pid),
           NULL;
  return og_steal_pointer (&names);
}

static bool
allowed (const struct verify_expect *e, const char *name)
{
  if (strcmp (name, "lo") == 0)
    return true;
  for (size_t i = 0; i < e->n_net_allow; i++)
    if (strcmp (e->net_allow[i], name) == 0)
      return true;
  return false;
}

void
verify_check_netlink (const struct verify_expect *e, const struct verify_proc *p, struct verify_result *r)
{
  og_cleanup_free char *names = NULL;
  struct og_error err = { 0 };
  char *save = NULL;

  if (!e->net_only_lo)
    return;
  names = links_of (p, &err);
  if (names == NULL)
    {
      verify_mismatch (r, "%s", err.msg);
      og_error_clear (&err);
      return;
    }
  for (char *n = strtok_r (names, "\n", &save); n; n = strtok_r (NULL, "\n", &save))
    if (!allowed (e, n))
      verify_mismatch (r, "interface %s is in the container's new network namespace (only lo belongs there)", n);
}
