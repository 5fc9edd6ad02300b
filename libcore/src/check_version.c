/*  check_version.c - the version kind: a version printed by a command, or
 *  known to pkg-config, compared with the one a manifest wants
 *  ("libzmq 4.3.4 satisfies >= 4.0").
 *
 *  The command runs through check_spawn like the command kind's (no shell,
 *  in the root, stopped at the deadline). The version is the first group
 *  (or match) of `capture`, else the first dotted number anywhere in
 *  stdout, then stderr: "Python 3.11.2" gives 3.11.2. Versions compare as
 *  versions (mt5_version_compare), never as strings or floats.
 */
#include <string.h>

#include "check_impl.h"
#include "check_spawn.h"
#include "mt5/error.h"
#include "mt5/regex.h"

#define S_DEFAULT_CAPTURE "[0-9]+(?:\\.[0-9]+)*"
#define S_VERSION_MAX 64 /* longer captured text is no version */

int mt5_check_version_run(mt5_check_result_t *out, const mt5_check_t *check,
                          const mt5_check_ctx_t *ctx)
{
    const mt5_check_version_t *v = &check->u.version;
    mt5_regex_t *re = NULL;
    mt5_spawn_result_t res;
    memset(&res, 0, sizeof res);
    int order = 0;

    const char *pkg_argv[3] = {"pkg-config", "--modversion", v->pkg_config};
    const char *const *argv = v->pkg_config ? pkg_argv : (const char *const *)v->argv.items;
    size_t argc = v->pkg_config ? 3 : v->argv.count;
    if ((v->pkg_config != NULL) == (v->argv.count > 0)) {
        check_verdict(out, MT5_STATUS_ERROR,
                      "a version check needs exactly one of argv and "
                      "pkg_config");
        goto done;
    }
    if (v->pkg_config && (v->pkg_config[0] == '-' || v->pkg_config[0] == '\0')) {
        /* pkg-config would take it for an option. */
        check_verdict(out, MT5_STATUS_ERROR, "'%s' is not a pkg-config module name", v->pkg_config);
        goto done;
    }
    if (!v->want || mt5_version_compare(&order, v->want, v->want) != MT5_OK) {
        check_verdict(out, MT5_STATUS_ERROR, "want '%s' is not a version", v->want ? v->want : "");
        goto done;
    }
    const char *pattern = v->capture ? v->capture : S_DEFAULT_CAPTURE;
    if (mt5_regex_new(&re, pattern, MT5_REGEX_MULTILINE) != MT5_OK) {
        check_verdict(out, MT5_STATUS_ERROR, "capture /%s/ does not compile: %s", pattern,
                      mt5_error_detail());
        goto done;
    }
    char cmd[128];
    mt5_spawn_display(cmd, sizeof cmd, argv, argc);
    const mt5_spawn_options opts = {.argv = argv, .argc = argc};
    if (!check_spawn(out, &res, check, ctx, &opts))
        goto done;
    if (res.exit_code != 0) {
        check_verdict(out, MT5_STATUS_FAIL, "'%s' failed with exit code %d", cmd, res.exit_code);
        check_spawn_tail(out, &res, MT5_STREAM_BOTH);
        goto done;
    }

    mt5_spawn_hit_t hit;
    int rc = check_spawn_search(&hit, re, &res, MT5_STREAM_BOTH, false);
    if (rc == MT5_ENOTFOUND) {
        check_verdict(out, MT5_STATUS_FAIL, "no version in the output of '%s'", cmd);
        check_spawn_tail(out, &res, MT5_STREAM_BOTH);
        goto done;
    }
    if (rc != MT5_OK) {
        check_verdict(out, MT5_STATUS_ERROR, "capture /%s/: %s", pattern, mt5_error_detail());
        check_spawn_tail(out, &res, MT5_STREAM_BOTH);
        goto done;
    }
    check_spawn_line(out, &hit);
    char found_text[S_VERSION_MAX];
    if (!check_spawn_hit_text(found_text, sizeof found_text, &hit) ||
        mt5_version_compare(&order, found_text, v->want) != MT5_OK) {
        check_verdict(out, MT5_STATUS_FAIL, "no version in the output of '%s' ('%s' is not one)",
                      cmd, found_text);
        goto done;
    }
    bool holds = mt5_cmp_holds(v->op, order);
    const char *verb = holds ? "satisfies" : "does not satisfy";
    mt5_status status = holds ? MT5_STATUS_PASS : MT5_STATUS_FAIL;
    if (v->pkg_config)
        check_verdict(out, status, "%s %s %s %s %s", v->pkg_config, found_text, verb,
                      mt5_cmp_name(v->op), v->want);
    else
        check_verdict(out, status, "'%s' reports %s, which %s %s %s", cmd, found_text, verb,
                      mt5_cmp_name(v->op), v->want);

done:
    mt5_regex_destroy(&re);
    mt5_spawn_free(&res);
    return MT5_OK;
}
