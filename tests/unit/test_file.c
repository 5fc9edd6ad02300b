/*  test_file.c - opening files from outside: regular files only, checks
 *  on the descriptor, clear errors.
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
    assert_int_equal(mt5_file_open_regular(&untouched, &info, missing), MT5_EIO);
    snprintf(want, sizeof want, "%s: No such file or directory", missing);
    assert_string_equal(mt5_error_detail(), want);
    assert_int_equal(untouched, -7);
    assert_int_equal(mt5_file_open_regular(&untouched, &info, ""), MT5_EINVAL);
    assert_int_equal(mt5_file_open_regular(NULL, &info, path), MT5_EINVAL);
    unlink(fifo);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file__regular_file_opens_with_its_info),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
