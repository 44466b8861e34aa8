/* SPDX-License-Identifier: Apache-2.0 */
/* The helpers of lib/util.c that the library, the engine and both binaries
 * share: the bounded read, Go's booleans, runc's container ids, the
 * same-file test and the directory cleanup. */
#include <config.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocigate/util.h"
#include "helpers.h"

/* A descriptor reading `len` bytes of `c` from its start. */
static int
file_of (size_t len, char c)
{
  og_cleanup_free char *data = og_xmalloc (len + 1);
  int fd = memfd_create ("test-util", MFD_CLOEXEC);

  ck_assert_int_ge (fd, 0);
  memset (data, c, len);
  ck_assert_int_eq (og_write_all (fd, data, len), 0);
  ck_assert_int_eq (lseek (fd, 0, SEEK_SET), 0);
  return fd;
}

static size_t
open_fds (void)
{
  og_cleanup_dir DIR *d = opendir ("/proc/self/fd");
  size_t n = 0;

  ck_assert_ptr_nonnull (d);
  while (readdir (d) != NULL)
    n++;
  return n;
}

/* sizes around the bound and around the first buffer (64 KiB) */
static const struct
{
  size_t len, max;
  bool ok;
} bounded[] = {
  { 0, 0, true },
  { 1, 0, false },
  { 0, 10, true },
  { 10, 10, true },
  { 11, 10, false },
  { 9, 10, true },
  { 65535, 65536, true },
  { 65536, 65536, true },
  { 65537, 65536, false },
  { 65537, 1 << 20, true },
  { 300000, 300000, true },
  { 300001, 300000, false },
  { 200000, 1 << 20, true },
};

START_TEST (read_fd_bounded)
{
  og_cleanup_close int fd = file_of (bounded[_i].len, 'x');
  og_cleanup_free char *buf = NULL;
  size_t len = 12345;
  int r;

  errno = 0;
  r = og_read_fd_bounded (fd, bounded[_i].max, &buf, &len);
  if (!bounded[_i].ok)
    {
      ck_assert_int_eq (r, -1);
      ck_assert_int_eq (errno, EFBIG);
      ck_assert_ptr_null (buf);
      return;
    }
  ck_assert_int_eq (r, 0);
  ck_assert_uint_eq (len, bounded[_i].len);
  ck_assert_uint_eq (strlen (buf), len); /* NUL-terminated, nothing but the data */
  for (size_t i = 0; i < len; i++)
    if (buf[i] != 'x')
      ck_abort_msg ("byte %zu is %d", i, buf[i]);
}
END_TEST

/* A pipe hands the data over in pieces: short reads add up. */
START_TEST (read_fd_bounded_short_reads)
{
  og_cleanup_close int rd = -1, wr = -1;
  og_cleanup_free char *buf = NULL;
  int p[2];
  size_t len;

  ck_assert_int_eq (pipe2 (p, O_CLOEXEC), 0);
  rd = p[0], wr = p[1];
  ck_assert_int_eq (og_write_all (wr, "abc", 3), 0);
  ck_assert_int_eq (og_write_all (wr, "defg", 4), 0);
  close (og_steal_fd (&wr));
  ck_assert_int_eq (og_read_fd_bounded (rd, 7, &buf, &len), 0);
  ck_assert_uint_eq (len, 7);
  ck_assert_str_eq (buf, "abcdefg");
}
END_TEST

START_TEST (read_fd_bounded_error)
{
  og_cleanup_free char *buf = NULL;
  size_t len;
  int fd = open ("/dev/null", O_WRONLY | O_CLOEXEC);

  ck_assert_int_ge (fd, 0);
  errno = 0;
  ck_assert_int_eq (og_read_fd_bounded (fd, 100, &buf, &len), -1);
  ck_assert_int_eq (errno, EBADF); /* read(2)'s own errno */
  ck_assert_ptr_null (buf);
  close (fd);
  ck_assert_int_eq (og_read_fd_bounded (-1, 100, &buf, &len), -1);
  ck_assert_int_eq (errno, EBADF);
}
END_TEST

START_TEST (go_bool)
{
  static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
  static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };
  static const char *const bad[] = { "", "yes", "no", "tRUE", "TRue", "2", " true", "true ", "on", "01", "y" };
  bool b;

  for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
    {
      b = false;
      ck_assert_msg (og_go_parse_bool (yes[i], &b) == 0 && b, "\"%s\" is not true", yes[i]);
    }
  for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
    {
      b = true;
      ck_assert_msg (og_go_parse_bool (no[i], &b) == 0 && !b, "\"%s\" is not false", no[i]);
    }
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      b = true;
      ck_assert_msg (og_go_parse_bool (bad[i], &b) == -1, "\"%s\" read as a boolean", bad[i]);
      ck_assert (b); /* untouched */
    }
  ck_assert_int_eq (og_go_parse_bool (NULL, &b), -1);
}
END_TEST

START_TEST (container_ids)
{
  static const char *const good[] = { "abc", "a-b_c.d", ".a", "...", "-x", "a,b+c", "0", "A9", NULL };
  static const char *const bad[]
      = { "", ".", "..", "a/b", "x\n1", "x\n", "a b", "a:b", "a*b", "a\\b", "\xff", "é", "a\tb", NULL };
  char longest[NAME_MAX + 2];

  for (int i = 0; good[i]; i++)
    ck_assert_msg (og_container_id_valid (good[i]), "refused \"%s\"", good[i]);
  for (int i = 0; bad[i]; i++)
    ck_assert_msg (!og_container_id_valid (bad[i]), "accepted \"%s\"", bad[i]);
  ck_assert (!og_container_id_valid (NULL));
  memset (longest, 'a', NAME_MAX + 1);
  longest[NAME_MAX + 1] = '\0';
  ck_assert (!og_container_id_valid (longest));
  longest[NAME_MAX] = '\0';
  ck_assert (og_container_id_valid (longest));
}
END_TEST

START_TEST (same_file)
{
  const char *dir = th_tmpdir ();
  og_cleanup_free char *a = og_xasprintf ("%s/a", dir), *b = og_xasprintf ("%s/b", dir);
  og_cleanup_free char *hard = og_xasprintf ("%s/hard", dir), *sym = og_xasprintf ("%s/sym", dir);
  og_cleanup_free char *missing = og_xasprintf ("%s/missing", dir);
  struct stat sa, sb, sl;

  close (open (a, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  close (open (b, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  ck_assert_int_eq (link (a, hard), 0);
  ck_assert_int_eq (symlink (a, sym), 0);
  ck_assert_int_eq (stat (a, &sa), 0);
  ck_assert_int_eq (stat (b, &sb), 0);
  ck_assert_int_eq (stat (hard, &sl), 0);
  ck_assert (og_same_file (&sa, &sl));
  ck_assert (!og_same_file (&sa, &sb));
  ck_assert (og_same_file_path (a, hard));
  ck_assert (og_same_file_path (sym, a)); /* stat(2): the link is followed */
  ck_assert (!og_same_file_path (a, b));
  ck_assert (!og_same_file_path (a, missing));
  ck_assert (!og_same_file_path (missing, missing));
  th_cleanup ();
}
END_TEST

START_TEST (fdopendir_owns_the_fd)
{
  size_t before = open_fds ();
  int fd = open ("/proc/self/status", O_RDONLY | O_CLOEXEC);

  ck_assert_int_ge (fd, 0);
  /* not a directory: no stream, and the fd is closed all the same */
  errno = 0;
  ck_assert_ptr_null (og_fdopendir (fd));
  ck_assert_int_eq (errno, ENOTDIR);
  ck_assert_int_eq (fcntl (fd, F_GETFD), -1);
  ck_assert_ptr_null (og_fdopendir (-1));
  {
    og_cleanup_dir DIR *d = og_fdopendir (open ("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ck_assert_ptr_nonnull (d);
    ck_assert_uint_eq (open_fds (), before + 1);
  }
  ck_assert_uint_eq (open_fds (), before); /* the cleanup closed the stream */
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("util");
  TCase *tc = tcase_create ("core");

  tcase_add_loop_test (tc, read_fd_bounded, 0, sizeof bounded / sizeof bounded[0]);
  tcase_add_test (tc, read_fd_bounded_short_reads);
  tcase_add_test (tc, read_fd_bounded_error);
  tcase_add_test (tc, go_bool);
  tcase_add_test (tc, container_ids);
  tcase_add_test (tc, same_file);
  tcase_add_test (tc, fdopendir_owns_the_fd);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return th_run (suite ());
}
