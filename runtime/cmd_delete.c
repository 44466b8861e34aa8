/* SPDX-License-Identifier: Apache-2.0 */
/* delete: runc removes the container; ours is to release the staged
 * rootfs, binds and id range once it is gone. */
#include <config.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ocigate.h"
#include "userns.h"

int
ocigate_cmd_delete (struct ocigate_run *r, const char *runtime, int *status, struct og_error *err)
{
  struct ocigate_userns u;
  struct og_error ignored = { 0 };
  int ws = 1;
  pid_t pid;

  if (r->cl.id == NULL || !og_container_id_valid (r->cl.id)
      || !ocigate_userns_lookup (r->cl.state_dir, r->cl.root, r->cl.id, &u))
    return 0; /* nothing of ours: plain exec */
  r->cl.argv[0] = (char *)runtime;
  pid = fork ();
  if (pid == 0)
    {
      execv (runtime, r->cl.argv);
      _exit (127);
    }
  if (pid < 0 || waitpid (pid, &ws, 0) < 0)
    {
      ocigate_userns_free (&u);
      return og_error_set (err, 0, "cannot run the runtime for delete");
    }
  /* runc's verdict stands; ours is only to clean up once it is gone (and
   * not while a create of the same id is still running) */
  if (!ocigate_userns_in_use (r->cl.root, r->cl.id, &u) && ocigate_userns_release (&u, &ignored) < 0)
    ocigate_report_error (&r->cl, ignored.msg);
  og_error_clear (&ignored);
  ocigate_userns_free (&u);
  *status = WIFEXITED (ws) ? WEXITSTATUS (ws) : 128 + (WIFSIGNALED (ws) ? WTERMSIG (ws) : 0);
  return 1;
}
