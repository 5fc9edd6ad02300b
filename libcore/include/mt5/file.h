/*  mt5/file.h - opening and reading files from outside, safely.
 *
 *  Key files, logs, configuration and checked deliverables all come from
 *  paths someone else chose. Opening one must not hang on a FIFO or a
 *  device, and what is checked (type, size, mode) must be the file that is
 *  then read, so the checks are made on the open descriptor, never on the
 *  path. Reading one whole is bounded in size (and, for checks, in time),
 *  never by trusting the size the file claims.
 */
#ifndef MT5_FILE_H
#define MT5_FILE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t size;    /* bytes */
    unsigned mode;    /* permission bits (st_mode & 07777) */
    int64_t mtime_ms; /* last modification, Unix ms */
} mt5_file_info_t;

/*  Open `path` read-only (close-on-exec, without blocking on a FIFO) and
 *  check that it is a regular file. On MT5_OK, *fd is an open descriptor
 *  (caller owns, close with close(2)) in blocking mode and *info (may be
 *  NULL) describes it. Errors, each with the detail "<path>: <reason>":
 *  MT5_ENOTFOUND (the file, or a directory on its path, does not exist:
 *  ENOENT or ENOTDIR, "No such file or directory" / "Not a directory"),
 *  MT5_EIO (cannot open, stat or make blocking for any other reason),
 *  MT5_EINVAL (not a regular file: "<path>: not a regular file"; also no
 *  path or no fd, detail "no file name"). Out-params are written only on
 *  MT5_OK. */
int mt5_file_open_regular(int *fd, mt5_file_info_t *info, const char *path);

/*  Read `fd` from its current offset to its end, at most `max` bytes,
 *  in blocks of at most 1 MiB. The size the file claims is not trusted
 *  (it may grow while read; /proc files say 0) but a regular file already
 *  longer than `max` is refused before anything is read. When
 *  `deadline_us` is not 0 it is a mt5_clock_mono_us() value, checked
 *  before every read. On MT5_OK *buf holds the bytes followed by a NUL
 *  (caller owns, free with free(); the bytes may hold NULs of their own)
 *  and *len their number, the added NUL not counted. Errors, with a
 *  detail that does not name the file (callers add it): MT5_ETOOLARGE
 *  ("larger than <max> bytes"), MT5_ETIMEOUT (the deadline passed),
 *  MT5_EIO (read(2) failed: strerror), MT5_ENOMEM, MT5_EINVAL (no buf or
 *  len, fd < 0). EINTR is retried. `fd` is not closed. Out-params are
 *  written only on MT5_OK. */
int mt5_file_read_all(char **buf, size_t *len, int fd, size_t max, int64_t deadline_us);

#endif
