/* SPDX-License-Identifier: Apache-2.0 */
/*
 * runc-replacement mode.  Docker reserves the runtime name "runc", so with
 * ocigate only registered as default-runtime, `docker run --runtime=runc`
 * bypasses it.  Installing ocigate in runc's place closes that: the real
 * runc is diverted (dpkg-divert, so package upgrades land in runc.real) and
 * runc becomes a symlink to ocigate, which then execs runc.real.
 */
#include <config.h>
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ocigate/util.h"
#include "install.h"

extern char **environ;

static int
run (char *const argv[], struct og_error *err)
{
  pid_t pid;
  int status, r;

  r = posix_spawnp (&pid, argv[0], NULL, NULL, argv, environ);
  if (r != 0)
    return og_error_set (err, r, "cannot run %s", argv[0]);
  if (waitpid (pid, &status, 0) < 0)
    return og_error_set (err, errno, "waitpid %s", argv[0]);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return og_error_set (err, 0, "%s failed (status %d)", argv[0], status);
  return 0;
}

static bool
have_dpkg_divert (void)
{
  return access ("/usr/bin/dpkg-divert", X_OK) == 0 || access ("/usr/sbin/dpkg-divert", X_OK) == 0;
}

int
ocigate_install_as_runc (const char *runc, const char *ocigate, struct og_error *err)
{
  og_cleanup_free char *real = og_xasprintf ("%s.real", runc);
  struct stat st;

  if (access (ocigate, X_OK) != 0)
    return og_error_set (err, errno, "ocigate binary %s", ocigate);
  if (og_same_file_path (runc, ocigate))
    return og_error_set (err, 0, "%s is already ocigate", runc);
  if (stat (runc, &st) != 0 || !S_ISREG (st.st_mode))
    return og_error_set (err, errno, "%s is not the runc binary", runc);
  if (access (real, F_OK) == 0)
    return og_error_set (err, 0, "%s already exists; refusing to overwrite it", real);
  if (have_dpkg_divert ())
    {
      char *const argv[] = { (char *)"dpkg-divert",
                             (char *)"--local",
                             (char *)"--rename",
                             (char *)"--divert",
                             real,
                             (char *)"--add",
                             (char *)runc,
                             NULL };
      if (run (argv, err) < 0)
        return -1;
    }
  else if (rename (runc, real) < 0)
    return og_error_set (err, errno, "cannot move %s to %s", runc, real);
  if (symlink (ocigate, runc) < 0)
    {
      int saved = errno;
      ocigate_uninstall_as_runc (runc, ocigate, NULL);
      return og_error_set (err, saved, "cannot link %s to %s", runc, ocigate);
    }
  return 0;
}

int
ocigate_uninstall_as_runc (const char *runc, const char *ocigate, struct og_error *err)
{
  og_cleanup_free char *real = og_xasprintf ("%s.real", runc);
  struct stat st;

  if (lstat (real, &st) != 0)
    return og_error_set (err, errno, "%s", real);
  if (lstat (runc, &st) == 0)
    {
      if (!og_same_file_path (runc, ocigate) && !S_ISLNK (st.st_mode))
        return og_error_set (err, 0, "%s is not ocigate; refusing to remove it", runc);
      if (unlink (runc) < 0)
        return og_error_set (err, errno, "cannot remove %s", runc);
    }
  if (have_dpkg_divert ())
    {
      char *const argv[] = { (char *)"dpkg-divert",
                             (char *)"--local",
                             (char *)"--rename",
                             (char *)"--divert",
                             real,
                             (char *)"--remove",
                             (char *)runc,
                             NULL };
      return run (argv, err);
    }
  if (rename (real, runc) < 0)
    return og_error_set (err, errno, "cannot move %s back to %s", real, runc);
  return 0;
}
