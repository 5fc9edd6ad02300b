/*  test_vlog.c - VERIFY_LOG.log: lines written byte-exact, the strict line
 *  parser, and the backwards search for the last result, including lines
 *  that straddle the reader's 64 KiB chunks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mt5/clock.h"
#include "mt5/error.h"
#include "mt5/vlog.h"

#define T0 "2025-01-02T03:04:05.678Z"
#define T0_MS 1735787045678LL
#define PASS_LINE                                                                                  \
    T0 " INFO verify: RESULT PASS endpoint=tcp://127.0.0.1:5555 rtt_us=812 reply=OK_FROM_MT5"
#define FAIL_LINE T0 " ERROR verify: RESULT FAIL endpoint=tcp://127.0.0.1:5555 error=TIMEOUT"
#define INFO_LINE T0 " INFO verify: sending Hello"

static char s_dir[64];   /* sandbox */
static char s_path[256]; /* <sandbox>/VERIFY_LOG.log */

static int s_setup(void **state)
{
    (void)state;
    snprintf(s_dir, sizeof s_dir, "/tmp/mt5-vlog-XXXXXX");
    if (!mkdtemp(s_dir))
        return -1;
    snprintf(s_path, sizeof s_path, "%s/VERIFY_LOG.log", s_dir);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    unlink(s_path);
    return rmdir(s_dir);
}

static int s_fresh(void **state)
{
    (void)state;
    unlink(s_path);
    return 0;
}

/* ---- file helpers ------------------------------------------------------ */

static char *s_slurp(size_t *len)
{
    FILE *f = fopen(s_path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static FILE *s_create(void)
{
    FILE *f = fopen(s_path, "wb");
    assert_non_null(f);
    return f;
}

/* Append bytes; return the offset they start at. */
static long s_add(FILE *f, const void *data, size_t len)
{
    long at = ftell(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    return at;
}

static long s_line(FILE *f, const char *line)
{
    long at = s_add(f, line, strlen(line));
    s_add(f, "\n", 1);
    return at;
}

/* Non-result log lines, `total` bytes in all (total >= 0). */
static void s_pad(FILE *f, size_t total)
{
    static const char info[] = T0 " DEBUG pad: ";
    char line[128];
    while (total > 0) {
        size_t n = total > 100 ? 100 : total;
        if (total - n > 0 && total - n < sizeof info + 1)
            n = total - (sizeof info + 1); /* leave room for a whole last line */
        if (n >= sizeof info) {
            memcpy(line, info, sizeof info - 1);
            memset(line + sizeof info - 1, 'p', n - sizeof info);
        } else {
            memset(line, '.', n - 1); /* too short to be a log line: skipped all the same */
        }
        line[n - 1] = '\n';
        s_add(f, line, n);
        total -= n;
    }
}

/* ---- writer ------------------------------------------------------------ */

/* Check one written line: a current time, then exactly `rest`. */
static void s_expect_line(const char *line, size_t len, const char *rest, int64_t t_before)
{
    int64_t t;
    assert_true(len > MT5_ISO_TIME_LEN);
    assert_int_equal(mt5_clock_parse_iso(&t, line, MT5_ISO_TIME_LEN), MT5_OK);
    int64_t now = mt5_clock_wall_ms();
    assert_true(t >= t_before && t <= now);
    assert_true(now - t < 1000);
    assert_int_equal(len - MT5_ISO_TIME_LEN, strlen(rest));
    assert_memory_equal(line + MT5_ISO_TIME_LEN, rest, strlen(rest));
}

static void test_vlog__writer_lines_read_back_exactly(void **state)
{
    (void)state;
    int64_t before = mt5_clock_wall_ms();
    mt5_vlog_t *log = mt5_vlog_open(s_path);
    assert_non_null(log);
    assert_int_equal(mt5_vlog_write(log, "INFO", "client", "connecting to %s (try %d)",
                                    "tcp://127.0.0.1:5555", 1),
                     MT5_OK);
    assert_int_equal(mt5_vlog_write(log, "DEBUG", "a", "%s", ""), MT5_OK);
    assert_int_equal(mt5_vlog_pass(log, "verify", "tcp://127.0.0.1:5555", 812, "OK_FROM_MT5"),
                     MT5_OK);
    assert_int_equal(mt5_vlog_fail(log, "verify", "inproc://gw", "BAD_REPLY", "Hi\n", 3), MT5_OK);
    assert_int_equal(mt5_vlog_fail(log, "v", "tcp://h:1", "TIMEOUT", NULL, 0), MT5_OK);
    assert_int_equal(mt5_vlog_write(log, "WARN", "x:y", "w"), MT5_OK);
    assert_int_equal(mt5_vlog_write(log, "ERROR", "e", "%d%%", 5), MT5_OK);
    mt5_vlog_destroy(&log);
    assert_null(log);
    mt5_vlog_destroy(&log);
    mt5_vlog_destroy(NULL);

    static const char *const rest[] = {
        " INFO client: connecting to tcp://127.0.0.1:5555 (try 1)",
        " DEBUG a: ",
        " INFO verify: RESULT PASS endpoint=tcp://127.0.0.1:5555 rtt_us=812 reply=OK_FROM_MT5",
        " ERROR verify: RESULT FAIL endpoint=inproc://gw error=BAD_REPLY reply=Hi\\n",
        " ERROR v: RESULT FAIL endpoint=tcp://h:1 error=TIMEOUT",
        " WARN x:y: w",
        " ERROR e: 5%",
    };
    size_t len;
    char *text = s_slurp(&len);
    const char *p = text;
    for (size_t i = 0; i < sizeof rest / sizeof rest[0]; i++) {
        const char *nl = memchr(p, '\n', len - (size_t)(p - text));
        assert_non_null(nl);
        s_expect_line(p, (size_t)(nl - p), rest[i], before);
        p = nl + 1;
    }
    assert_ptr_equal(p, text + len);
    free(text);
}

static void test_vlog__writer_appends_and_creates_0644(void **state)
{
    (void)state;
    FILE *f = s_create();
    s_line(f, "older line");
    fclose(f);
    mode_t old = umask(022);
    mt5_vlog_t *log = mt5_vlog_open(s_path);
    assert_non_null(log);
    assert_int_equal(mt5_vlog_write(log, "INFO", "c", "new"), MT5_OK);
    mt5_vlog_destroy(&log);
    size_t len;
    char *text = s_slurp(&len);
    assert_memory_equal(text, "older line\n", 11);
    assert_string_equal(text + 11 + MT5_ISO_TIME_LEN, " INFO c: new\n");
    free(text);

    unlink(s_path);
    log = mt5_vlog_open(s_path);
    umask(old);
    assert_non_null(log);
    struct stat st;
    assert_int_equal(stat(s_path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    mt5_vlog_destroy(&log);
}

static void test_vlog__writer_escapes_messages(void **state)
{
    (void)state;
    static const struct {
        const char *msg;
        const char *escaped;
    } cases[] = {
        {"two\nlines", "two\\nlines"},
        {"cr\rlf\r\n", "cr\\rlf\\r\\n"},
        {"tab\there", "tab\\there"},
        {"bell\a esc\x1b del\x7f", "bell\\x07 esc\\x1b del\\x7f"},
        {"back\\slash", "back\\\\slash"},
        {"caf\xc3\xa9 \xff", "caf\xc3\xa9 \xff"}, /* messages keep bytes >= 0x80 */
        {"RESULT PASS forged\n2025-01-01T00:00:00.000Z INFO x: y",
         "RESULT PASS forged\\n2025-01-01T00:00:00.000Z INFO x: y"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        s_fresh(NULL);
        int64_t before = mt5_clock_wall_ms();
        mt5_vlog_t *log = mt5_vlog_open(s_path);
        assert_int_equal(mt5_vlog_write(log, "INFO", "c", "%s", cases[i].msg), MT5_OK);
        mt5_vlog_destroy(&log);
        char want[256];
        snprintf(want, sizeof want, " INFO c: %s\n", cases[i].escaped);
        size_t len;
        char *text = s_slurp(&len);
        s_expect_line(text, len, want, before);
        free(text);
    }
}

static void test_vlog__fail_reply_is_escaped_and_cut_at_64_bytes(void **state)
{
    (void)state;
    /* a, space, b, backslash, 0x7e, 0x7f, 0x80, 0x81, then 'z' up to 100 bytes */
    unsigned char reply[100] = {'a', ' ', 'b', '\\', 0x7e, 0x7f, 0x80, 0x81};
    memset(reply + 8, 'z', sizeof reply - 8);
    mt5_vlog_t *log = mt5_vlog_open(s_path);
    assert_int_equal(mt5_vlog_fail(log, "verify", "tcp://h:1", "BAD_REPLY", reply, sizeof reply),
                     MT5_OK);
    assert_int_equal(mt5_vlog_pass(log, "verify", "tcp://h:1", 0, "\x01OK \xc3\xa9"), MT5_OK);
    mt5_vlog_destroy(&log);
    char want[512];
    int n = snprintf(want, sizeof want,
                     " ERROR verify: RESULT FAIL endpoint=tcp://h:1 error=BAD_REPLY "
                     "reply=a b\\\\~\\x7f\\x80\\x81");
    memset(want + n, 'z', 56);
    snprintf(want + n + 56, sizeof want - (size_t)n - 56, "\n");
    size_t len;
    char *text = s_slurp(&len);
    char *nl = strchr(text, '\n');
    s_expect_line(text, (size_t)(nl - text) + 1, want, 0);
    s_expect_line(nl + 1, len - (size_t)(nl + 1 - text),
                  " INFO verify: RESULT PASS endpoint=tcp://h:1 rtt_us=0 "
                  "reply=\\x01OK \\xc3\\xa9\n",
                  0);
    free(text);
}

static void test_vlog__long_messages_are_cut_to_one_line(void **state)
{
    (void)state;
    char *msg = malloc(10001);
    assert_non_null(msg);
    /* Plain bytes: the line is exactly MT5_VLOG_LINE_MAX with its '\n'. */
    memset(msg, 'm', 10000);
    msg[10000] = '\0';
    mt5_vlog_t *log = mt5_vlog_open(s_path);
    assert_int_equal(mt5_vlog_write(log, "INFO", "c", "%s", msg), MT5_OK);
    /* Escapes are never split: 4095 - 33 = 4062 content bytes hold 2031 "\n". */
    memset(msg, '\n', 10000);
    assert_int_equal(mt5_vlog_write(log, "INFO", "c", "%s", msg), MT5_OK);
    memset(msg, '\x01', 10000); /* 4062 = 1015 * 4 + 2: two bytes stay unused */
    assert_int_equal(mt5_vlog_write(log, "INFO", "c", "%s", msg), MT5_OK);
    /* Nor is a UTF-8 sequence: 4062 = 1354 * 3, so start one byte off. */
    msg[0] = 'x';
    for (int i = 1; i + 3 <= 10000; i += 3)
        memcpy(msg + i, "\xe2\x82\xac", 3);
    msg[9999] = '\0';
    assert_int_equal(mt5_vlog_write(log, "INFO", "c", "%s", msg), MT5_OK);
    mt5_vlog_destroy(&log);
    free(msg);

    size_t len;
    char *text = s_slurp(&len);
    const size_t lens[] = {4096, 4096, 4094, 4094};
    const char *p = text;
    for (int i = 0; i < 4; i++) {
        const char *nl = memchr(p, '\n', len - (size_t)(p - text));
        assert_non_null(nl);
        assert_int_equal((size_t)(nl - p) + 1, lens[i]);
        mt5_vlog_entry_t e;
        assert_int_equal(mt5_vlog_parse_line(&e, p, (size_t)(nl - p)), MT5_OK);
        p = nl + 1;
    }
    assert_ptr_equal(p, text + len);
    /* The cut line ends with a whole escape and a whole character. */
    assert_memory_equal(text + 4096 + 4095 - 4, "\\n\\n", 4);
    assert_memory_equal(text + 3 * 4096 - 2 + 4093 - 3, "\xe2\x82\xac", 3);
    free(text);
}

static void test_vlog__writer_refuses_bad_arguments(void **state)
{
    (void)state;
    mt5_vlog_t *log = mt5_vlog_open(s_path);
    assert_non_null(log);
    char c64[65];
    memset(c64, 'c', 64);
    c64[64] = '\0';
    char e256[257];
    memcpy(e256, "tcp://", 6);
    memset(e256 + 6, 'h', 250);
    e256[256] = '\0';

    assert_int_equal(mt5_vlog_write(NULL, "INFO", "c", "m"), MT5_EINVAL);
    assert_int_equal(mt5_vlog_write(log, "INFO", "c", NULL), MT5_EINVAL);
    assert_int_equal(mt5_vlog_write(log, "info", "c", "m"), MT5_EINVAL);
    assert_string_equal(mt5_error_detail(), "log level 'info' is not DEBUG, INFO, WARN or ERROR");
    assert_int_equal(mt5_vlog_write(log, NULL, "c", "m"), MT5_EINVAL);
    assert_int_equal(mt5_vlog_write(log, "FATAL", "c", "m"), MT5_EINVAL);
    assert_int_equal(mt5_vlog_write(log, "INFO", "two words", "m"), MT5_EINVAL);
    assert_string_equal(mt5_error_detail(),
                        "log component must be 1 to 63 visible ASCII characters");
    assert_int_equal(mt5_vlog_write(log, "INFO", "", "m"), MT5_EINVAL);
    assert_int_equal(mt5_vlog_write(log, "INFO", NULL, "m"), MT5_EINVAL);
    assert_int_equal(mt5_vlog_write(log, "INFO", c64, "m"), MT5_EINVAL);
    assert_int_equal(mt5_vlog_write(log, "INFO", "tab\t", "m"), MT5_EINVAL);
    assert_int_equal(mt5_vlog_pass(NULL, "c", "tcp://h:1", 1, "OK"), MT5_EINVAL);
    assert_int_equal(mt5_vlog_pass(log, "c", "tcp://h:1", 1, NULL), MT5_EINVAL);
    assert_int_equal(mt5_vlog_pass(log, "c", "tcp://h:1", -1, "OK"), MT5_EINVAL);
    assert_string_equal(mt5_error_detail(), "round trip time -1 us is negative");
    assert_int_equal(mt5_vlog_pass(log, "c", "tcp://h 1", 1, "OK"), MT5_EINVAL);
    assert_string_equal(mt5_error_detail(),
                        "result endpoint must be 1 to 255 visible ASCII characters");
    assert_int_equal(mt5_vlog_pass(log, "c", "", 1, "OK"), MT5_EINVAL);
    assert_int_equal(mt5_vlog_pass(log, "c", e256, 1, "OK"), MT5_EINVAL);
    assert_int_equal(mt5_vlog_pass(log, "c c", "tcp://h:1", 1, "OK"), MT5_EINVAL);
    assert_int_equal(mt5_vlog_fail(NULL, "c", "tcp://h:1", "TIMEOUT", NULL, 0), MT5_EINVAL);
    assert_int_equal(mt5_vlog_fail(log, "c", NULL, "TIMEOUT", NULL, 0), MT5_EINVAL);
    assert_int_equal(mt5_vlog_fail(log, "c", "tcp://h:1", "timeout", NULL, 0), MT5_EINVAL);
    assert_string_equal(mt5_error_detail(), "result error must be 1 to 31 of [A-Z_]");
    assert_int_equal(mt5_vlog_fail(log, "c", "tcp://h:1", "", NULL, 0), MT5_EINVAL);
    assert_int_equal(mt5_vlog_fail(log, "c", "tcp://h:1", NULL, NULL, 0), MT5_EINVAL);
    assert_int_equal(
        mt5_vlog_fail(log, "c", "tcp://h:1", "ABCDEFGHIJKLMNOPQRSTUVWXYZ_ABCD", NULL, 0),
        MT5_OK); /* 31 characters: the limit */
    assert_int_equal(
        mt5_vlog_fail(log, "c", "tcp://h:1", "ABCDEFGHIJKLMNOPQRSTUVWXYZ_ABCDE", NULL, 0),
        MT5_EINVAL);
    assert_int_equal(mt5_vlog_fail(log, "", "tcp://h:1", "TIMEOUT", NULL, 0), MT5_EINVAL);
    mt5_vlog_destroy(&log);
    /* Only the one good call wrote anything. */
    size_t len;
    char *text = s_slurp(&len);
    s_expect_line(text, len,
                  " ERROR c: RESULT FAIL endpoint=tcp://h:1 "
                  "error=ABCDEFGHIJKLMNOPQRSTUVWXYZ_ABCD\n",
                  0);
    free(text);
}

static void test_vlog__open_and_write_failures(void **state)
{
    (void)state;
    char path[300], want[400];
    snprintf(path, sizeof path, "%s/no/such/dir.log", s_dir);
    assert_null(mt5_vlog_open(path));
    snprintf(want, sizeof want, "%s: No such file or directory", path);
    assert_string_equal(mt5_error_detail(), want);
    assert_null(mt5_vlog_open(NULL));
    assert_string_equal(mt5_error_detail(), "no log file name");
    assert_null(mt5_vlog_open(""));

    /* /dev/full accepts the open and refuses every write. */
    mt5_vlog_t *log = mt5_vlog_open("/dev/full");
    if (!log)
        skip();
    assert_int_equal(mt5_vlog_write(log, "INFO", "c", "m"), MT5_EIO);
    assert_string_equal(mt5_error_detail(), "cannot append to the log: No space left on device");
    mt5_vlog_destroy(&log);
}

/* ---- parser ------------------------------------------------------------ */

static void test_vlog__parse_good_lines(void **state)
{
    (void)state;
    static const struct {
        const char *line;
        const char *level, *component;
        bool is_result, pass;
        const char *endpoint;
        int64_t rtt_us;
        const char *error, *reply;
    } cases[] = {
        {PASS_LINE, "INFO", "verify", true, true, "tcp://127.0.0.1:5555", 812, "", "OK_FROM_MT5"},
        {FAIL_LINE, "ERROR", "verify", true, false, "tcp://127.0.0.1:5555", -1, "TIMEOUT", ""},
        {INFO_LINE, "INFO", "verify", false, false, "", -1, "", ""},
        {T0 " WARN c: ", "WARN", "c", false, false, "", -1, "", ""},
        {T0 " DEBUG a:b:  two  spaces ", "DEBUG", "a:b", false, false, "", -1, "", ""},
        {T0 " INFO c: RESULTS are in", "INFO", "c", false, false, "", -1, "", ""},
        {T0 " INFO c: result PASS endpoint=x", "INFO", "c", false, false, "", -1, "", ""},
        {T0 " INFO c: RESULT PASS endpoint=e rtt_us=0 reply=", "INFO", "c", true, true, "e", 0, "",
         ""},
        {T0 " INFO c: RESULT PASS endpoint=e rtt_us=999999999999999999 reply=a b  c", "INFO", "c",
         true, true, "e", 999999999999999999LL, "", "a b  c"},
        {T0 " ERROR c: RESULT FAIL endpoint=ipc:///x error=BAD_REPLY reply=\\x00garbage\\n",
         "ERROR", "c", true, false, "ipc:///x", -1, "BAD_REPLY", "\\x00garbage\\n"},
        {T0 " ERROR c: RESULT FAIL endpoint=e error=REFUSED reply=", "ERROR", "c", true, false, "e",
         -1, "REFUSED", ""},
        {FAIL_LINE "\r", "ERROR", "verify", true, false, "tcp://127.0.0.1:5555", -1, "TIMEOUT", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mt5_vlog_entry_t e;
        memset(&e, 0x5A, sizeof e);
        int rc = mt5_vlog_parse_line(&e, cases[i].line, strlen(cases[i].line));
        if (rc != MT5_OK)
            fail_msg("case %zu: %s", i, mt5_error_detail());
        assert_int_equal(e.time_ms, T0_MS);
        assert_string_equal(e.level, cases[i].level);
        assert_string_equal(e.component, cases[i].component);
        assert_int_equal(e.is_result, cases[i].is_result);
        assert_int_equal(e.pass, cases[i].pass);
        assert_string_equal(e.endpoint, cases[i].endpoint);
        assert_int_equal(e.rtt_us, cases[i].rtt_us);
        assert_string_equal(e.error, cases[i].error);
        assert_string_equal(e.reply, cases[i].reply);
        assert_int_equal(e.offset, 0);
    }
}

static void test_vlog__parse_keeps_fields_within_bounds(void **state)
{
    (void)state;
    char line[MT5_VLOG_LINE_MAX + 2];
    mt5_vlog_entry_t e;
    /* A reply longer than the field is kept cut to 4 * MT5_VLOG_REPLY_MAX bytes. */
    int n = snprintf(line, sizeof line, T0 " ERROR c: RESULT FAIL endpoint=e error=X reply=");
    memset(line + n, 'r', 300);
    assert_int_equal(mt5_vlog_parse_line(&e, line, (size_t)n + 300), MT5_OK);
    assert_int_equal(strlen(e.reply), 256);
    /* The longest line is MT5_VLOG_LINE_MAX bytes (plus an ignored '\r'). */
    memset(line + n, 'r', sizeof line - (size_t)n);
    line[MT5_VLOG_LINE_MAX] = '\r';
    assert_int_equal(mt5_vlog_parse_line(&e, line, MT5_VLOG_LINE_MAX), MT5_OK);
    assert_int_equal(mt5_vlog_parse_line(&e, line, MT5_VLOG_LINE_MAX + 1), MT5_OK);
    line[MT5_VLOG_LINE_MAX] = 'r';
    assert_int_equal(mt5_vlog_parse_line(&e, line, MT5_VLOG_LINE_MAX + 1), MT5_EPARSE);
    assert_string_equal(mt5_error_detail(), "not a log line: longer than 4096 bytes");
    /* 63-character component and 255-character endpoint fit; one more does not. */
    char comp[64], ep[256];
    memset(comp, 'k', 63);
    comp[63] = '\0';
    memset(ep, 'h', 255);
    ep[255] = '\0';
    n = snprintf(line, sizeof line, T0 " INFO %s: RESULT PASS endpoint=%s rtt_us=1 reply=OK", comp,
                 ep);
    assert_int_equal(mt5_vlog_parse_line(&e, line, (size_t)n), MT5_OK);
    assert_string_equal(e.component, comp);
    assert_string_equal(e.endpoint, ep);
    n = snprintf(line, sizeof line, T0 " INFO %sk: m", comp);
    assert_int_equal(mt5_vlog_parse_line(&e, line, (size_t)n), MT5_EPARSE);
    n = snprintf(line, sizeof line, T0 " INFO c: RESULT PASS endpoint=%sh rtt_us=1 reply=OK", ep);
    assert_int_equal(mt5_vlog_parse_line(&e, line, (size_t)n), MT5_EPARSE);
}

static void test_vlog__parse_bad_lines(void **state)
{
    (void)state;
    static const struct {
        const char *line;
        const char *detail; /* after "not a log line: " */
    } cases[] = {
        {"", "does not start with YYYY-MM-DDTHH:MM:SS.mmmZ and a space"},
        {T0, "does not start with YYYY-MM-DDTHH:MM:SS.mmmZ and a space"},
        {T0 "INFO c: m", "does not start with YYYY-MM-DDTHH:MM:SS.mmmZ and a space"},
        {"2025-01-02 03:04:05.678Z INFO c: m",
         "does not start with YYYY-MM-DDTHH:MM:SS.mmmZ and a space"},
        {"2025-02-30T03:04:05.678Z INFO c: m",
         "does not start with YYYY-MM-DDTHH:MM:SS.mmmZ and a space"},
        {"2025-01-02T03:04:05Z INFO c: m",
         "does not start with YYYY-MM-DDTHH:MM:SS.mmmZ and a space"},
        {T0 " INFO", "level is not DEBUG, INFO, WARN or ERROR"},
        {T0 " info c: m", "level is not DEBUG, INFO, WARN or ERROR"},
        {T0 "  INFO c: m", "level is not DEBUG, INFO, WARN or ERROR"},
        {T0 " NOTICE c: m", "level is not DEBUG, INFO, WARN or ERROR"},
        {T0 " INFO c m", "component is not 1 to 63 characters followed by ': '"},
        {T0 " INFO c:", "component is not 1 to 63 characters followed by ': '"},
        {T0 " INFO : m", "component is not 1 to 63 characters followed by ': '"},
        {T0 " INFO  c: m", "component is not 1 to 63 characters followed by ': '"},
        {T0 " INFO c: tab\there", "control character"},
        {T0 " INFO c: nul\0", "control character"},
        {T0 " INFO c: RESULT", "RESULT without a verdict"},
        {T0 " INFO c: RESULT ", "RESULT is not followed by 'PASS endpoint=' or 'FAIL endpoint='"},
        {T0 " INFO c: RESULT OK endpoint=e",
         "RESULT is not followed by 'PASS endpoint=' or 'FAIL endpoint='"},
        {T0 " INFO c: RESULT pass endpoint=e rtt_us=1 reply=OK",
         "RESULT is not followed by 'PASS endpoint=' or 'FAIL endpoint='"},
        {T0 " INFO c: RESULT PASS endpoint= rtt_us=1 reply=OK",
         "RESULT endpoint is empty, longer than 255 bytes or last"},
        {T0 " INFO c: RESULT PASS endpoint=e",
         "RESULT endpoint is empty, longer than 255 bytes or last"},
        {T0 " INFO c: RESULT PASS endpoint=e reply=OK", "RESULT PASS without rtt_us="},
        {T0 " INFO c: RESULT PASS endpoint=e rtt_us= reply=OK",
         "RESULT PASS rtt_us is not a number"},
        {T0 " INFO c: RESULT PASS endpoint=e rtt_us=-5 reply=OK",
         "RESULT PASS rtt_us is not a number"},
        {T0 " INFO c: RESULT PASS endpoint=e rtt_us=1234567890123456789 reply=OK",
         "RESULT PASS rtt_us has more than 18 digits"},
        {T0 " INFO c: RESULT PASS endpoint=e rtt_us=12", "RESULT PASS without reply="},
        {T0 " INFO c: RESULT PASS endpoint=e rtt_us=12x reply=OK", "RESULT PASS without reply="},
        {T0 " INFO c: RESULT PASS endpoint=e rtt_us=12  reply=OK", "RESULT PASS without reply="},
        {T0 " ERROR c: RESULT FAIL endpoint=e reply=x", "RESULT FAIL without error="},
        {T0 " ERROR c: RESULT FAIL endpoint=e error=",
         "RESULT FAIL error is not 1 to 31 of [A-Z_]"},
        {T0 " ERROR c: RESULT FAIL endpoint=e error=timeout",
         "RESULT FAIL error is not 1 to 31 of [A-Z_]"},
        {T0 " ERROR c: RESULT FAIL endpoint=e error=ABCDEFGHIJKLMNOPQRSTUVWXYZ_ABCDE",
         "RESULT FAIL error is not 1 to 31 of [A-Z_]"},
        {T0 " ERROR c: RESULT FAIL endpoint=e error=TIMEOUT extra",
         "RESULT FAIL error is followed by something other than reply="},
        {T0 " ERROR c: RESULT FAIL endpoint=e error=TIME0UT",
         "RESULT FAIL error is followed by something other than reply="},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mt5_vlog_entry_t e;
        memset(&e, 0x5A, sizeof e);
        mt5_vlog_entry_t before = e;
        /* The embedded-NUL case passes its NUL too. */
        size_t len = strlen(cases[i].line);
        if (strstr(cases[i].line, "nul"))
            len += 1;
        char want[256];
        snprintf(want, sizeof want, "not a log line: %s", cases[i].detail);
        int rc = mt5_vlog_parse_line(&e, cases[i].line, len);
        if (rc != MT5_EPARSE || strcmp(mt5_error_detail(), want) != 0)
            fail_msg("case %zu: got %d [%s], want [%s]", i, rc, mt5_error_detail(), want);
        assert_memory_equal(&e, &before, sizeof e);
    }
    mt5_vlog_entry_t e;
    assert_int_equal(mt5_vlog_parse_line(NULL, "x", 1), MT5_EPARSE);
    assert_int_equal(mt5_vlog_parse_line(&e, NULL, 0), MT5_EPARSE);
}

/* ---- last result ------------------------------------------------------- */

static int s_last(mt5_vlog_entry_t *e, uint64_t since)
{
    memset(e, 0x5A, sizeof *e);
    return mt5_vlog_last_result(e, s_path, since);
}

static void test_vlog__last_result_is_the_last_line_that_says_so(void **state)
{
    (void)state;
    mt5_vlog_entry_t e;
    /* PASS then FAIL: the later FAIL decides. */
    FILE *f = s_create();
    s_line(f, INFO_LINE);
    s_line(f, PASS_LINE);
    long fail_at = s_line(f, FAIL_LINE);
    fclose(f);
    assert_int_equal(s_last(&e, 0), MT5_OK);
    assert_true(e.is_result);
    assert_false(e.pass);
    assert_string_equal(e.error, "TIMEOUT");
    assert_int_equal(e.offset, fail_at);
    assert_int_equal(e.time_ms, T0_MS);

    /* FAIL then PASS, then chatter that is not a result. */
    f = s_create();
    s_line(f, FAIL_LINE);
    long pass_at = s_line(f, PASS_LINE);
    s_line(f, INFO_LINE);
    s_line(f, T0 " INFO verify: RESULT MAYBE"); /* malformed: skipped */
    s_line(f, INFO_LINE);
    fclose(f);
    assert_int_equal(s_last(&e, 0), MT5_OK);
    assert_true(e.pass);
    assert_int_equal(e.rtt_us, 812);
    assert_string_equal(e.reply, "OK_FROM_MT5");
    assert_string_equal(e.endpoint, "tcp://127.0.0.1:5555");
    assert_int_equal(e.offset, pass_at);
}

static void test_vlog__last_result_reads_what_the_writer_wrote(void **state)
{
    (void)state;
    mt5_vlog_t *log = mt5_vlog_open(s_path);
    assert_int_equal(mt5_vlog_pass(log, "verify", "tcp://h:1", 5, "OK_FROM_MT5"), MT5_OK);
    assert_int_equal(mt5_vlog_fail(log, "verify", "tcp://h:2", "REFUSED", "\0\1", 2), MT5_OK);
    assert_int_equal(mt5_vlog_write(log, "INFO", "verify", "done\nRESULT PASS fake"), MT5_OK);
    mt5_vlog_destroy(&log);
    mt5_vlog_entry_t e;
    assert_int_equal(s_last(&e, 0), MT5_OK);
    assert_false(e.pass);
    assert_string_equal(e.endpoint, "tcp://h:2");
    assert_string_equal(e.error, "REFUSED");
    assert_string_equal(e.reply, "\\x00\\x01");
}

static void test_vlog__last_result_reads_back_the_longest_reply_whole(void **state)
{
    (void)state;
    /* Every kept byte escapes to 4 characters: the field holds them all. */
    static const unsigned char bytes[] = {0x01, 0xff};
    static const char *const escapes[] = {"\\x01", "\\xff"};
    for (size_t i = 0; i < sizeof bytes; i++) {
        unsigned char reply[MT5_VLOG_REPLY_MAX];
        memset(reply, bytes[i], sizeof reply);
        char want[4 * MT5_VLOG_REPLY_MAX + 1];
        for (size_t j = 0; j < MT5_VLOG_REPLY_MAX; j++)
            memcpy(want + 4 * j, escapes[i], 5);
        unlink(s_path);
        mt5_vlog_t *log = mt5_vlog_open(s_path);
        assert_non_null(log);
        assert_int_equal(
            mt5_vlog_fail(log, "verify", "tcp://h:1", "BAD_REPLY", reply, sizeof reply), MT5_OK);
        mt5_vlog_destroy(&log);
        mt5_vlog_entry_t e;
        assert_int_equal(s_last(&e, 0), MT5_OK);
        assert_string_equal(e.error, "BAD_REPLY");
        assert_int_equal(strlen(e.reply), 4 * MT5_VLOG_REPLY_MAX);
        assert_string_equal(e.reply, want);
    }
}

static void test_vlog__last_result_across_the_chunk_boundary(void **state)
{
    (void)state;
    /* The result line R (and its '\n') has k bytes after the start of the
     * last 64 KiB chunk, for every k from 0 (R wholly in the earlier chunk)
     * to |R|+1 (R starts exactly on the boundary). An earlier PASS must
     * never be picked instead. */
    const size_t rlen = strlen(FAIL_LINE) + 1;
    for (size_t k = 0; k <= rlen; k++) {
        FILE *f = s_create();
        s_line(f, PASS_LINE);
        s_pad(f, 3000);
        long at = s_line(f, FAIL_LINE);
        s_pad(f, 65536 - k);
        long size = ftell(f);
        fclose(f);
        assert_int_equal(size - 65536, at + (long)rlen - (long)k);
        mt5_vlog_entry_t e;
        if (s_last(&e, 0) != MT5_OK || e.offset != (uint64_t)at || e.pass)
            fail_msg("k=%zu: found offset %llu pass %d, want %ld FAIL", k,
                     (unsigned long long)e.offset, e.pass, at);
    }
}

static void test_vlog__last_result_ignores_line_tails_at_the_boundary(void **state)
{
    (void)state;
    /* A line "junk" + FAIL_LINE split just before FAIL_LINE: the part in
     * the last chunk looks like a result line but does not start a line. */
    FILE *f = s_create();
    long pass_at = s_line(f, PASS_LINE);
    s_pad(f, 3000);
    s_add(f, "junk ", 5);
    s_line(f, FAIL_LINE);
    s_pad(f, 65536 - strlen(FAIL_LINE) - 1);
    fclose(f);
    mt5_vlog_entry_t e;
    assert_int_equal(s_last(&e, 0), MT5_OK);
    assert_int_equal(e.offset, pass_at);
    assert_true(e.pass);
}

static void test_vlog__last_result_of_longest_line_across_boundary(void **state)
{
    (void)state;
    /* A FAIL line of exactly MT5_VLOG_LINE_MAX bytes plus "\r\n", split by
     * the boundary or starting right on it, is found; one byte longer and
     * it is skipped. */
    char line[MT5_VLOG_LINE_MAX + 3];
    int n = snprintf(line, sizeof line, FAIL_LINE " reply=");
    for (int run = 0; run < 4; run++) {
        int extra = run & 1;
        bool on_boundary = run >= 2;
        memset(line + n, 'r', (size_t)(MT5_VLOG_LINE_MAX + extra - n));
        memcpy(line + MT5_VLOG_LINE_MAX + extra, "\r\n", 2);
        size_t len = MT5_VLOG_LINE_MAX + (size_t)extra + 2;
        FILE *f = s_create();
        long pass_at = s_line(f, PASS_LINE);
        s_pad(f, 70000);
        long at = s_add(f, line, len);
        s_pad(f, 65536 - (on_boundary ? len : len / 2));
        fclose(f);
        mt5_vlog_entry_t e;
        assert_int_equal(s_last(&e, 0), MT5_OK);
        assert_int_equal(e.offset, extra ? pass_at : at);
        assert_int_equal(e.pass, extra == 1);
        if (!extra)
            assert_int_equal(strlen(e.reply), 256);
    }
}

static void test_vlog__last_result_skips_overlong_lines(void **state)
{
    (void)state;
    /* A line far longer than a chunk whose tail looks like a FAIL line:
     * the tail is not at a line start, so the PASS before it wins. The
     * same for a line longer than MT5_VLOG_LINE_MAX inside one chunk, and
     * for one spanning three chunks with no end. */
    static const size_t junk[] = {5000, 65536 - 20, 65536 + 100, 200000};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        char *x = malloc(junk[i]);
        assert_non_null(x);
        memset(x, 'x', junk[i]);
        FILE *f = s_create();
        long pass_at = s_line(f, PASS_LINE);
        s_add(f, x, junk[i]);
        s_line(f, FAIL_LINE);
        s_line(f, INFO_LINE);
        fclose(f);
        mt5_vlog_entry_t e;
        assert_int_equal(s_last(&e, 0), MT5_OK);
        assert_int_equal(e.offset, pass_at);
        assert_true(e.pass);

        /* No newline at all after the PASS: still only the PASS. */
        f = s_create();
        s_line(f, PASS_LINE);
        s_add(f, x, junk[i]);
        s_add(f, FAIL_LINE, strlen(FAIL_LINE));
        fclose(f);
        assert_int_equal(s_last(&e, 0), MT5_OK);
        assert_int_equal(e.offset, pass_at);
        free(x);
    }
}

static void test_vlog__last_result_skips_the_start_of_an_overlong_line(void **state)
{
    (void)state;
    /* A FAIL line whose reply runs over 64 KiB: its first kilobyte, alone
     * in the earlier chunk, would parse as a result, but the line is too
     * long to be a log line. */
    const size_t len = 65536 + 1000;
    char *line = malloc(len);
    assert_non_null(line);
    int n = snprintf(line, len, FAIL_LINE " reply=");
    memset(line + n, 'r', len - (size_t)n);
    FILE *f = s_create();
    long pass_at = s_line(f, PASS_LINE);
    s_pad(f, 100000);
    s_add(f, line, len);
    s_add(f, "\n", 1);
    s_line(f, INFO_LINE);
    fclose(f);
    free(line);
    mt5_vlog_entry_t e;
    assert_int_equal(s_last(&e, 0), MT5_OK);
    assert_int_equal(e.offset, pass_at);
    assert_true(e.pass);
}

static void test_vlog__last_result_in_5_mb_with_result_at_top(void **state)
{
    (void)state;
    FILE *f = s_create();
    long at = s_line(f, PASS_LINE);
    s_pad(f, 5 * 1024 * 1024);
    fclose(f);
    mt5_vlog_entry_t e;
    assert_int_equal(s_last(&e, 0), MT5_OK);
    assert_int_equal(e.offset, at);
    assert_true(e.pass);
    /* Starting one byte later excludes it. */
    assert_int_equal(s_last(&e, 1), MT5_ENOTFOUND);
}

static void test_vlog__last_result_since(void **state)
{
    (void)state;
    FILE *f = s_create();
    s_line(f, PASS_LINE);
    long fail_at = s_line(f, FAIL_LINE);
    s_pad(f, 100000);
    long pass_at = s_line(f, PASS_LINE);
    s_pad(f, 200000);
    long size = ftell(f);
    fclose(f);
    mt5_vlog_entry_t e;
    static const struct {
        long since;
        int rc;
        long offset;
    } cases[] = {{0, MT5_OK, -1}, {1, MT5_OK, -1}, {-1, MT5_OK, -1}, {-2, MT5_ENOTFOUND, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long since = cases[i].since == -1   ? pass_at
                     : cases[i].since == -2 ? pass_at + 1
                                            : cases[i].since;
        assert_int_equal(s_last(&e, (uint64_t)since), cases[i].rc);
        if (cases[i].rc == MT5_OK)
            assert_int_equal(e.offset, pass_at);
    }
    assert_int_equal(s_last(&e, (uint64_t)size), MT5_ENOTFOUND);
    assert_int_equal(s_last(&e, (uint64_t)size + 100), MT5_ENOTFOUND);
    char want[300];
    snprintf(want, sizeof want, "%s: no RESULT line", s_path);
    assert_string_equal(mt5_error_detail(), want);

    /* Without the later PASS, since picks between the first two. */
    f = s_create();
    long pass0 = s_line(f, PASS_LINE);
    fail_at = s_line(f, FAIL_LINE);
    s_pad(f, 100000);
    fclose(f);
    assert_int_equal(s_last(&e, (uint64_t)fail_at), MT5_OK);
    assert_int_equal(e.offset, fail_at);
    assert_int_equal(s_last(&e, (uint64_t)pass0 + 1), MT5_OK);
    assert_int_equal(e.offset, fail_at);
    assert_int_equal(s_last(&e, (uint64_t)fail_at + 1), MT5_ENOTFOUND);
}

static void test_vlog__last_result_with_crlf_and_no_final_newline(void **state)
{
    (void)state;
    mt5_vlog_entry_t e;
    FILE *f = s_create();
    s_add(f, PASS_LINE "\r\n", strlen(PASS_LINE) + 2);
    long at = s_add(f, FAIL_LINE " reply=x y\r\n", strlen(FAIL_LINE) + 12);
    s_add(f, INFO_LINE "\r\n", strlen(INFO_LINE) + 2);
    fclose(f);
    assert_int_equal(s_last(&e, 0), MT5_OK);
    assert_int_equal(e.offset, at);
    assert_string_equal(e.reply, "x y");

    f = s_create();
    s_line(f, FAIL_LINE);
    at = s_add(f, PASS_LINE, strlen(PASS_LINE));
    fclose(f);
    assert_int_equal(s_last(&e, 0), MT5_OK);
    assert_int_equal(e.offset, at);
    assert_string_equal(e.reply, "OK_FROM_MT5");

    /* A file that is one result line, nothing else. */
    f = s_create();
    s_add(f, FAIL_LINE, strlen(FAIL_LINE));
    fclose(f);
    assert_int_equal(s_last(&e, 0), MT5_OK);
    assert_int_equal(e.offset, 0);
}

static void test_vlog__last_result_survives_garbage(void **state)
{
    (void)state;
    unsigned char junk[4096];
    unsigned int seed = 12345;
    for (size_t i = 0; i < sizeof junk; i++) {
        seed = seed * 1103515245u + 12345u;
        junk[i] = (unsigned char)(seed >> 16);
    }
    FILE *f = s_create();
    s_line(f, FAIL_LINE);
    long at = s_line(f, PASS_LINE);
    s_add(f, junk, sizeof junk);
    s_add(f, "\n", 1);
    /* A result line with a NUL in it and one with a raw tab: not results. */
    s_add(f, FAIL_LINE "\0\n", strlen(FAIL_LINE) + 2);
    s_add(f, T0 " ERROR verify: RESULT FAIL endpoint=e\terror=TIMEOUT\n",
          strlen(T0 " ERROR verify: RESULT FAIL endpoint=e\terror=TIMEOUT\n"));
    s_add(f, "\0\0\0\n\n\n\xff\xfe", 8);
    fclose(f);
    mt5_vlog_entry_t e;
    assert_int_equal(s_last(&e, 0), MT5_OK);
    assert_int_equal(e.offset, at);
    assert_true(e.pass);
}

static void test_vlog__last_result_not_found_and_unreadable(void **state)
{
    (void)state;
    mt5_vlog_entry_t e, before;
    char want[300];
    FILE *f = s_create();
    fclose(f);
    memset(&before, 0x5A, sizeof before);
    assert_int_equal(s_last(&e, 0), MT5_ENOTFOUND);
    assert_memory_equal(&e, &before, sizeof e);

    f = s_create();
    s_line(f, INFO_LINE);
    s_line(f, "free-form seed log: OK_FROM_MT5");
    fclose(f);
    assert_int_equal(s_last(&e, 0), MT5_ENOTFOUND);
    snprintf(want, sizeof want, "%s: no RESULT line", s_path);
    assert_string_equal(mt5_error_detail(), want);
    assert_memory_equal(&e, &before, sizeof e);

    unlink(s_path);
    assert_int_equal(s_last(&e, 0), MT5_EIO);
    snprintf(want, sizeof want, "%s: No such file or directory", s_path);
    assert_string_equal(mt5_error_detail(), want);

    assert_int_equal(mt5_vlog_last_result(&e, s_dir, 0), MT5_EIO);
    snprintf(want, sizeof want, "%s: not a regular file", s_dir);
    assert_string_equal(mt5_error_detail(), want);
    assert_memory_equal(&e, &before, sizeof e);

    assert_int_equal(mt5_vlog_last_result(NULL, s_path, 0), MT5_EINVAL);
    assert_int_equal(mt5_vlog_last_result(&e, NULL, 0), MT5_EINVAL);
}

static void test_vlog__escape_shows_replies_safely(void **state)
{
    (void)state;
    char out[16];
    assert_int_equal(mt5_vlog_escape(out, sizeof out, "OK_FROM_MT5", 11), 11);
    assert_string_equal(out, "OK_FROM_MT5");
    /* 14 bytes of escapes fit in 15; the 4 of \xff would not, so it stops. */
    assert_int_equal(mt5_vlog_escape(out, sizeof out, "a\\b\n\r\t\x01\xff", 8), 14);
    assert_string_equal(out, "a\\\\b\\n\\r\\t\\x01");
    /* 5 bytes of room: "ab" and "\n" fit, "\x00" does not start. */
    char small[6];
    assert_int_equal(mt5_vlog_escape(small, sizeof small, "ab\n\x00", 4), 4);
    assert_string_equal(small, "ab\\n");
    assert_int_equal(mt5_vlog_escape(small, sizeof small, NULL, 3), 0);
    assert_string_equal(small, "");
    assert_int_equal(mt5_vlog_escape(small, 0, "x", 1), 0);
    assert_int_equal(mt5_vlog_escape(NULL, 4, "x", 1), 0);
}

/* The descriptor form: same answer as the path form, the offset left
 * alone, and a deadline that has passed stops it before it reads. */
static void test_vlog__last_result_fd_and_deadline(void **state)
{
    (void)state;
    FILE *f = s_create();
    fprintf(f, "%s\n%s\n%s\n", PASS_LINE, INFO_LINE, FAIL_LINE);
    fclose(f);
    int fd = open(s_path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    mt5_vlog_entry_t by_path, by_fd;
    assert_int_equal(mt5_vlog_last_result(&by_path, s_path, 0), MT5_OK);
    assert_int_equal(mt5_vlog_last_result_fd(&by_fd, fd, (uint64_t)st.st_size, 0, 0, "log"),
                     MT5_OK);
    assert_memory_equal(&by_path, &by_fd, sizeof by_fd);
    assert_false(by_fd.pass);
    assert_int_equal(lseek(fd, 0, SEEK_CUR), 0);

    mt5_vlog_entry_t untouched;
    memset(&untouched, 0x5a, sizeof untouched);
    mt5_vlog_entry_t e = untouched;
    assert_int_equal(
        mt5_vlog_last_result_fd(&e, fd, (uint64_t)st.st_size, 0, mt5_clock_mono_us() - 1, "log"),
        MT5_ETIMEOUT);
    assert_string_equal(mt5_error_detail(), "log: no RESULT line found before the deadline");
    assert_memory_equal(&e, &untouched, sizeof e);
    assert_int_equal(mt5_vlog_last_result_fd(&e, -1, 1, 0, 0, "log"), MT5_EINVAL);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vlog__escape_shows_replies_safely),
        cmocka_unit_test_setup(test_vlog__writer_lines_read_back_exactly, s_fresh),
        cmocka_unit_test_setup(test_vlog__writer_appends_and_creates_0644, s_fresh),
        cmocka_unit_test_setup(test_vlog__writer_escapes_messages, s_fresh),
        cmocka_unit_test_setup(test_vlog__fail_reply_is_escaped_and_cut_at_64_bytes, s_fresh),
        cmocka_unit_test_setup(test_vlog__long_messages_are_cut_to_one_line, s_fresh),
        cmocka_unit_test_setup(test_vlog__writer_refuses_bad_arguments, s_fresh),
        cmocka_unit_test_setup(test_vlog__open_and_write_failures, s_fresh),
        cmocka_unit_test(test_vlog__parse_good_lines),
        cmocka_unit_test(test_vlog__parse_keeps_fields_within_bounds),
        cmocka_unit_test(test_vlog__parse_bad_lines),
        cmocka_unit_test(test_vlog__last_result_is_the_last_line_that_says_so),
        cmocka_unit_test_setup(test_vlog__last_result_reads_what_the_writer_wrote, s_fresh),
        cmocka_unit_test_setup(test_vlog__last_result_reads_back_the_longest_reply_whole, s_fresh),
        cmocka_unit_test(test_vlog__last_result_across_the_chunk_boundary),
        cmocka_unit_test(test_vlog__last_result_ignores_line_tails_at_the_boundary),
        cmocka_unit_test(test_vlog__last_result_of_longest_line_across_boundary),
        cmocka_unit_test(test_vlog__last_result_skips_overlong_lines),
        cmocka_unit_test(test_vlog__last_result_skips_the_start_of_an_overlong_line),
        cmocka_unit_test(test_vlog__last_result_in_5_mb_with_result_at_top),
        cmocka_unit_test(test_vlog__last_result_since),
        cmocka_unit_test(test_vlog__last_result_with_crlf_and_no_final_newline),
        cmocka_unit_test(test_vlog__last_result_survives_garbage),
        cmocka_unit_test(test_vlog__last_result_not_found_and_unreadable),
        cmocka_unit_test(test_vlog__last_result_fd_and_deadline),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
