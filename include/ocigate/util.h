/* SPDX-License-Identifier: Apache-2.0 */
/* Memory helpers and cleanup attributes shared by the library and binaries. */
#ifndef OCIGATE_UTIL_H
#define OCIGATE_UTIL_H

#include <dirent.h>
#include <stdbool.h>
#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Allocation failure in a security boundary ends the process (nothing is
 * exec'd), which is the fail-closed outcome. */
void *og_xmalloc (size_t n);
void *og_xcalloc (size_t nmemb, size_t n);
void *og_xrealloc (void *p, size_t n);
char *og_xstrdup (const char *s);
char *og_xstrndup (const char *s, size_t n);
char *og_xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

void og_freep (void *p);
void og_closep (int *fd);
void og_fclosep (FILE **f);
void og_closedirp (DIR **d);
void og_strvfreep (char ***v);
void og_strv_free (char **v);

#define og_cleanup_free __attribute__ ((cleanup (og_freep)))
#define og_cleanup_close __attribute__ ((cleanup (og_closep)))
#define og_cleanup_file __attribute__ ((cleanup (og_fclosep)))
#define og_cleanup_dir __attribute__ ((cleanup (og_closedirp)))
#define og_cleanup_strv __attribute__ ((cleanup (og_strvfreep)))

/* Hand ownership out of a cleanup variable. */
#define og_steal_pointer(pp)                                                                                           \
  ({                                                                                                                   \
    __typeof__ (*(pp)) _og_tmp = *(pp);                                                                                \
    *(pp) = NULL;                                                                                                      \
    _og_tmp;                                                                                                           \
  })
#define og_steal_fd(fdp)                                                                                               \
  ({                                                                                                                   \
    int _og_fd = *(fdp);                                                                                               \
    *(fdp) = -1;                                                                                                       \
    _og_fd;                                                                                                            \
  })

/* fdopendir(3) that takes fd either way: it is closed when no stream could
 * be made of it, so a caller has one thing to release, the stream. */
DIR *og_fdopendir (int fd);

size_t og_strv_len (char *const *v);
bool og_strv_contains (char *const *v, const char *s);

struct stat;
/* A file whose content decides the boundary (policy, seccomp profile):
 * owned by root (or us) and writable by no one else (a group-writable file
 * is accepted only with group root). */
bool og_file_trusted (const struct stat *st);

/* A whole decimal int64 ("-1", "42"); -1 on anything else. */
int og_parse_int64 (const char *s, int64_t *out);

/* A number as Go's strconv.ParseInt(s, base, 64) reads it (base 0 or 10):
 * an optional sign, then for base 0 the prefixes 0x, 0o, 0b and a leading
 * 0 (octal) and '_' between digits; no space anywhere.  runc reads its
 * integer flags this way, so a reading that differs would judge a value
 * runc does not use. -1 on anything Go refuses. */
int og_go_parse_int (const char *s, int base, int64_t *out);

/* A boolean as Go's strconv.ParseBool reads it: 1 t T TRUE true True,
 * 0 f F FALSE false False; -1 on anything else (runc's boolean flags are
 * read this way: "--help=yes" is no boolean to runc, so none to us). */
int og_go_parse_bool (const char *s, bool *out);

/* A container id runc accepts: its ^[\w+-\.]+$ (RE2: letters, digits, '_',
 * and the range '+' to '.', which is + , - .; '$' is the end of the text, a
 * trailing newline does not match), neither "." nor "..", at most NAME_MAX
 * bytes (it names runc's state directory).  NULL is no id. */
bool og_container_id_valid (const char *id);

/* The same object: device and inode equal. */
bool og_same_file (const struct stat *a, const struct stat *b);
/* Two paths that both stat(2) to the same object (false when either fails). */
bool og_same_file_path (const char *a, const char *b);

/* True when `path` equals `dir` or lies below it (both absolute, normalised). */
bool og_path_under (const char *path, const char *dir);

/* mkdir -p: `path` with `mode`, missing parents with `parents`.  An
 * existing path is success (one syscall when it exists). */
int og_mkdir_p (const char *path, mode_t parents, mode_t mode);

/* realpath(3), as the kernel resolves the path: the path an O_PATH
 * descriptor of it has in /proc/self/fd (three syscalls instead of one
 * readlink per component); realpath(3) itself when /proc cannot say.
 * Caller-owned; NULL with errno set when the path cannot be resolved. */
char *og_realpath (const char *path);

/* Seconds since the epoch as RFC 3339 UTC ("2026-11-27T14:53:50Z"), what
 * gmtime_r + strftime give, without their first-call read of
 * /etc/localtime (seven system calls on every audit record). */
#define OG_UTC_LEN 64
void og_format_utc (int64_t t, char buf[OG_UTC_LEN]);

/* Write all of buf to fd, retrying on EINTR and short writes; -1 + errno. */
int og_write_all (int fd, const void *buf, size_t len);
/* The start of a small file (a cgroup value, a record) into buf,
 * NUL-terminated, not through a symlink.  Returns the length read (> 0),
 * -1 on failure or an empty file. */
ssize_t og_read_short (const char *path, char *buf, size_t size);

/* All of fd up to EOF, at most `max` bytes, into a new NUL-terminated
 * buffer (*out, caller-owned; *len without the NUL).  Reading goes one byte
 * past max, so a file that grows past its bound, or one whose fstat size was
 * the bound and that changed meanwhile, is refused instead of cut short.
 * -1 with errno: EFBIG for more than max bytes, else read(2)'s (EINTR is
 * retried).  errno rather than og_error: each caller names what it read in
 * its own words (the messages are part of the interface). */
int og_read_fd_bounded (int fd, size_t max, char **out, size_t *len);

/* og_realpath that keeps what it resolved: *fd is an O_PATH | O_CLOEXEC
 * descriptor of the object the returned path named when it was read, so a
 * caller judges the path and acts on that very object (a rename afterwards
 * changes neither).  Both caller-owned; NULL (and *fd -1) with errno set. */
char *og_realpath_open (const char *path, int *fd);

/* An absolute path with no empty, . or .. component and no trailing '/'
 * (and not "/" itself): the form a path the engine passes is compared in. */
bool og_path_normalized (const char *p);

#endif
