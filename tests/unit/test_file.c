/*  test_file.c - opening files from outside: regular files only, checks
 *  on the descriptor, clear errors, a missing file told apart; reading a
 *  descriptor whole: to its end whatever size it claims, from its offset,
 *  NULs kept, exactly the limit read and one byte more refused (files and
 *  pipes), a passed deadline, a read error, bad arguments.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "mt5/clock.h"
#include "mt5/error.h"
#include "mt5/file.h"

static void test_file__regular_file_opens_with_its_info(void **state)
{
    (void)state;
    char dir[] = "/tmp/mt5-file-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/a.txt", dir);
    FILE *f = fopen(path, "w");
    fputs("hello\n", f);
    fclose(f);
    chmod(path, 0640);
    int fd = -1;
    mt5_file_info_t info;
    time_t now = time(NULL);
    assert_int_equal(mt5_file_open_regular(&fd, &info, path), MT5_OK);
    assert_false(fcntl(fd, F_GETFL) & O_NONBLOCK); /* opened O_NONBLOCK, handed back blocking */
    assert_int_equal(info.size, 6);
    assert_int_equal(info.mode, 0640);
    assert_true(info.mtime_ms / 1000 >= now - 5 && info.mtime_ms / 1000 <= now + 5);
    char buf[8];
    assert_int_equal(read(fd, buf, sizeof buf), 6);
    close(fd);
    fd = -1;
    assert_int_equal(mt5_file_open_regular(&fd, NULL, path), MT5_OK);
    close(fd);

    /* A directory, a FIFO (must not hang) and a missing file. */
    int untouched = -7;
    assert_int_equal(mt5_file_open_regular(&untouched, &info, dir), MT5_EINVAL);
    char want[128];
    snprintf(want, sizeof want, "%s: not a regular file", dir);
    assert_string_equal(mt5_error_detail(), want);
    char fifo[64];
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(mt5_file_open_regular(&untouched, &info, fifo), MT5_EINVAL);
    char missing[64];
    snprintf(missing, sizeof missing, "%s/missing", dir);
    /* Missing: MT5_ENOTFOUND (was MT5_EIO), so callers need no stat(). */
    assert_int_equal(mt5_file_open_regular(&untouched, &info, missing), MT5_ENOTFOUND);
    snprintf(want, sizeof want, "%s: No such file or directory", missing);
    assert_string_equal(mt5_error_detail(), want);
    /* A regular file used as a directory (ENOTDIR) is missing too. */
    char under[96];
    snprintf(under, sizeof under, "%s/x", path);
    assert_int_equal(mt5_file_open_regular(&untouched, &info, under), MT5_ENOTFOUND);
    snprintf(want, sizeof want, "%s: Not a directory", under);
    assert_string_equal(mt5_error_detail(), want);
    /* Any other failure to open is MT5_EIO: a name longer than NAME_MAX. */
    char longname[400];
    int w = snprintf(longname, sizeof longname, "%s/", dir);
    memset(longname + w, 'n', 300);
    longname[w + 300] = '\0';
    assert_int_equal(mt5_file_open_regular(&untouched, &info, longname), MT5_EIO);
    char want_long[512];
    snprintf(want_long, sizeof want_long, "%s: File name too long", longname);
    assert_string_equal(mt5_error_detail(), want_long);
    assert_int_equal(untouched, -7);
    assert_int_equal(mt5_file_open_regular(&untouched, &info, ""), MT5_EINVAL);
    assert_int_equal(mt5_file_open_regular(NULL, &info, path), MT5_EINVAL);
    unlink(fifo);
    unlink(path);
    rmdir(dir);
}

/* A sandbox file holding `len` bytes of `data`; returns an fd open on it. */
static int s_file_with(char *path, size_t size, const char *dir, const void *data, size_t len)
{
    snprintf(path, size, "%s/data", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
    fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    return fd;
}

static void test_file__read_all_reads_to_the_end(void **state)
{
    (void)state;
    char dir[] = "/tmp/mt5-file-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    /* NULs are kept and counted; a NUL is added after the last byte. */
    int fd = s_file_with(path, sizeof path, dir, "ab\0cd\n", 6);
    char *buf = NULL;
    size_t len = 99;
    assert_int_equal(mt5_file_read_all(&buf, &len, fd, 100, 0), MT5_OK);
    assert_int_equal(len, 6);
    assert_memory_equal(buf, "ab\0cd\n", 7);
    free(buf);
    /* From the descriptor's offset, not from the start. */
    assert_int_equal(lseek(fd, 3, SEEK_SET), 3);
    assert_int_equal(mt5_file_read_all(&buf, &len, fd, 3, 0), MT5_OK);
    assert_int_equal(len, 3);
    assert_string_equal(buf, "cd\n");
    free(buf);
    /* At the end: empty, still NUL-terminated. */
    assert_int_equal(mt5_file_read_all(&buf, &len, fd, 0, 0), MT5_OK);
    assert_int_equal(len, 0);
    assert_string_equal(buf, "");
    free(buf);
    close(fd);
    /* A deadline in the future does not get in the way. */
    fd = s_file_with(path, sizeof path, dir, "xyz", 3);
    assert_int_equal(mt5_file_read_all(&buf, &len, fd, 3, mt5_clock_mono_us() + 10000000), MT5_OK);
    assert_string_equal(buf, "xyz");
    free(buf);
    close(fd);
    /* A file that says it is empty (/proc) is read to its end all the same. */
    fd = open("/proc/self/status", O_RDONLY);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(st.st_size, 0);
    assert_int_equal(mt5_file_read_all(&buf, &len, fd, 1 << 20, 0), MT5_OK);
    assert_true(len > 100);
    assert_int_equal(strncmp(buf, "Name:", 5), 0);
    assert_int_equal(strlen(buf), len);
    free(buf);
    close(fd);
    unlink(path);
    rmdir(dir);
}

/* Exactly `max` bytes are read; one more is MT5_ETOOLARGE, from a file
 * (refused on its size) and from a pipe (refused once read). */
static void test_file__read_all_limit_is_exact(void **state)
{
    (void)state;
    char dir[] = "/tmp/mt5-file-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    enum { N = 10000 }; /* past the first buffer, so it grows */
    char *data = malloc(N + 1);
    assert_non_null(data);
    for (size_t i = 0; i < N + 1; i++)
        data[i] = (char)('a' + i % 26);
    int fd = s_file_with(path, sizeof path, dir, data, N);
    char *buf = (char *)0x1;
    size_t len = 77;
    assert_int_equal(mt5_file_read_all(&buf, &len, fd, N - 1, 0), MT5_ETOOLARGE);
    assert_string_equal(mt5_error_detail(), "larger than 9999 bytes");
    assert_ptr_equal(buf, (char *)0x1);
    assert_int_equal(len, 77);
    assert_int_equal(mt5_file_read_all(&buf, &len, fd, N, 0), MT5_OK);
    assert_int_equal(len, N);
    assert_memory_equal(buf, data, N);
    assert_int_equal(buf[N], '\0');
    free(buf);
    close(fd);

    for (int extra = 0; extra <= 1; extra++) {
        int p[2];
        assert_int_equal(pipe(p), 0);
        /* A pipe holds 64 KiB by default: enough for N + 1 bytes. */
        assert_int_equal(write(p[1], data, N + (size_t)extra), N + extra);
        close(p[1]);
        buf = (char *)0x1;
        int rc = mt5_file_read_all(&buf, &len, p[0], N, 0);
        close(p[0]);
        if (extra) {
            assert_int_equal(rc, MT5_ETOOLARGE);
            assert_string_equal(mt5_error_detail(), "larger than 10000 bytes");
            assert_ptr_equal(buf, (char *)0x1);
        } else {
            assert_int_equal(rc, MT5_OK);
            assert_int_equal(len, N);
            assert_memory_equal(buf, data, N);
            free(buf);
        }
    }
    free(data);
    unlink(path);
    rmdir(dir);
}

static void test_file__read_all_errors(void **state)
{
    (void)state;
    char dir[] = "/tmp/mt5-file-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    int fd = s_file_with(path, sizeof path, dir, "abc", 3);
    char *buf = (char *)0x1;
    size_t len = 77;
    /* A deadline that has passed: nothing is read. */
    assert_int_equal(mt5_file_read_all(&buf, &len, fd, 100, mt5_clock_mono_us() - 1), MT5_ETIMEOUT);
    assert_string_equal(mt5_error_detail(), "the deadline passed while reading");
    assert_int_equal(lseek(fd, 0, SEEK_CUR), 0);
    /* Bad arguments. */
    assert_int_equal(mt5_file_read_all(NULL, &len, fd, 100, 0), MT5_EINVAL);
    assert_int_equal(mt5_file_read_all(&buf, NULL, fd, 100, 0), MT5_EINVAL);
    assert_int_equal(mt5_file_read_all(&buf, &len, -1, 100, 0), MT5_EINVAL);
    assert_string_equal(mt5_error_detail(), "read: no buffer or no file");
    close(fd);
    /* read(2) fails: a directory opened for reading. */
    fd = open(dir, O_RDONLY | O_DIRECTORY);
    assert_true(fd >= 0);
    assert_int_equal(mt5_file_read_all(&buf, &len, fd, 100, 0), MT5_EIO);
    assert_string_equal(mt5_error_detail(), "Is a directory");
    close(fd);
    assert_ptr_equal(buf, (char *)0x1);
    assert_int_equal(len, 77);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file__regular_file_opens_with_its_info),
        cmocka_unit_test(test_file__read_all_reads_to_the_end),
        cmocka_unit_test(test_file__read_all_limit_is_exact),
        cmocka_unit_test(test_file__read_all_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
