/*  mt5/file.h - opening files from outside for reading, safely.
 *
 *  Key files, logs, configuration and checked deliverables all come from
 *  paths someone else chose. Opening one must not hang on a FIFO or a
 *  device, and what is checked (type, size, mode) must be the file that is
 *  then read, so the checks are made on the open descriptor, never on the
 *  path.
 */
#ifndef MT5_FILE_H
#define MT5_FILE_H

#include <stdint.h>

typedef struct {
    uint64_t size;    /* bytes */
    unsigned mode;    /* permission bits (st_mode & 07777) */
    int64_t mtime_ms; /* last modification, Unix ms */
} mt5_file_info_t;

/*  Open `path` read-only (close-on-exec, without blocking on a FIFO) and
 *  check that it is a regular file. On MT5_OK, *fd is an open descriptor
 *  (caller owns, close with close(2)) in blocking mode and *info (may be
 *  NULL) describes it. Errors: MT5_EIO (cannot open, stat or make blocking: detail
 *  "<path>: <reason>"), MT5_EINVAL (not a regular file: detail
 *  "<path>: not a regular file"). Out-params are written only on MT5_OK. */
int mt5_file_open_regular(int *fd, mt5_file_info_t *info, const char *path);

#endif
