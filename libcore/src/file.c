/*  file.c - open a regular file for reading, with the checks made on the
 *  descriptor (see mt5/file.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mt5/error.h"
#include "mt5/file.h"

int mt5_file_open_regular(int *fd, mt5_file_info_t *info, const char *path)
{
    if (!fd || !path || !*path)
        return mt5_error_set(MT5_EINVAL, "no file name");
    /* O_NONBLOCK so that opening a FIFO with no writer returns at once; it
     * is refused just below, and cleared for regular files. */
    int f = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (f < 0)
        return mt5_error_set(MT5_EIO, "%s: %s", path, strerror(errno));
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
