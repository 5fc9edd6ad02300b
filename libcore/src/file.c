/*  file.c - open a regular file for reading, with the checks made on the
 *  descriptor, and read a descriptor whole within a size limit and a
 *  deadline (see mt5/file.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mt5/clock.h"
#include "mt5/error.h"
#include "mt5/file.h"

#define S_BLOCK (1024u * 1024u) /* bytes per read(2): the deadline is checked between */
#define S_FIRST 4096u           /* first buffer when the size is unknown (pipes, /proc) */

int mt5_file_open_regular(int *fd, mt5_file_info_t *info, const char *path)
{
    if (!fd || !path || !*path)
        return mt5_error_set(MT5_EINVAL, "no file name");
    /* O_NONBLOCK so that opening a FIFO with no writer returns at once; it
     * is refused just below, and cleared for regular files. */
    int f = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (f < 0) {
        /* A missing file is an answer, not a failure: callers that treat
         * "absent" differently need not stat() the path again. */
        int code = errno == ENOENT || errno == ENOTDIR ? MT5_ENOTFOUND : MT5_EIO;
        return mt5_error_set(code, "%s: %s", path, strerror(errno));
    }
    struct stat st;
    if (fstat(f, &st) != 0) {
        int saved = errno;
        close(f);
        return mt5_error_set(MT5_EIO, "%s: %s", path, strerror(saved));
    }
    if (!S_ISREG(st.st_mode)) {
        close(f);
        return mt5_error_set(MT5_EINVAL, "%s: not a regular file", path);
    }
    /* file.h promises a blocking descriptor, and the flag travels with it
     * (to a child, to stdio): failing to clear it is an error. */
    int flags = fcntl(f, F_GETFL);
    if (flags < 0 || fcntl(f, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        int saved = errno;
        close(f);
        return mt5_error_set(MT5_EIO, "%s: %s", path, strerror(saved));
    }
    if (info) {
        info->size = (uint64_t)st.st_size;
        info->mode = (unsigned)(st.st_mode & 07777);
        info->mtime_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
    }
    *fd = f;
    return MT5_OK;
}

int mt5_file_read_all(char **buf, size_t *len, int fd, size_t max, int64_t deadline_us)
{
    if (!buf || !len || fd < 0)
        return mt5_error_set(MT5_EINVAL, "read: no buffer or no file");
    if (max > SIZE_MAX / 2)
        max = SIZE_MAX / 2; /* so that max + 1 and the doubling below cannot wrap */
    /* A regular file's size is a hint for the first buffer and an early
     * refusal; the reading itself goes to the end whatever it claimed. */
    size_t hint = 0;
    struct stat st;
    off_t at = lseek(fd, 0, SEEK_CUR);
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && at >= 0 && st.st_size > at) {
        uint64_t rest = (uint64_t)(st.st_size - at);
        if (rest > max)
            return mt5_error_set(MT5_ETOOLARGE, "larger than %zu bytes", max);
        hint = (size_t)rest;
    }
    /* cap is the room for bytes; one more is allocated for the NUL. Having
     * filled max + 1 bytes proves the file is too large. */
    size_t limit = max + 1, used = 0;
    size_t cap = hint + 1 > S_FIRST ? hint + 1 : S_FIRST;
    if (cap > limit)
        cap = limit;
    char *b = malloc(cap + 1);
    if (!b)
        return mt5_error_set(MT5_ENOMEM, "out of memory");
    int rc = MT5_OK;
    for (;;) {
        if (used == cap) {
            if (cap >= limit) {
                rc = mt5_error_set(MT5_ETOOLARGE, "larger than %zu bytes", max);
                break;
            }
            size_t ncap = cap > limit / 2 ? limit : cap * 2;
            char *nb = realloc(b, ncap + 1);
            if (!nb) {
                rc = mt5_error_set(MT5_ENOMEM, "out of memory");
                break;
            }
            b = nb;
            cap = ncap;
        }
        if (deadline_us != 0 && mt5_clock_mono_us() >= deadline_us) {
            rc = mt5_error_set(MT5_ETIMEOUT, "the deadline passed while reading");
            break;
        }
        size_t want = cap - used < S_BLOCK ? cap - used : S_BLOCK;
        ssize_t n = read(fd, b + used, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = mt5_error_set(MT5_EIO, "%s", strerror(errno));
            break;
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    if (rc != MT5_OK) {
        free(b);
        return rc;
    }
    b[used] = '\0';
    *buf = b;
    *len = used;
    return MT5_OK;
}
