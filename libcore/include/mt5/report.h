/*  mt5/report.h - a gate run written for people and for machines.
 *
 *  One run, five forms: the text summary (seed 003's AUDIT SUMMARY: totals,
 *  pass rate, a line per phase, then each failed check with its reason and
 *  fix hint), JSON (the schema in docs/report-schema.md), JUnit XML (one
 *  testcase per check, the phase as classname), TAP version 13 and
 *  Markdown. Every writer escapes for its format and replaces bytes that
 *  are not valid UTF-8, so a binary file's evidence cannot break a report.
 */
#ifndef MT5_REPORT_H
#define MT5_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "mt5/gate.h"

typedef enum {
    MT5_REPORT_TEXT = 0,
    MT5_REPORT_JSON,
    MT5_REPORT_JUNIT,
    MT5_REPORT_TAP,
    MT5_REPORT_MARKDOWN
} mt5_report_format;

/* MT5_OK and *out for "text", "json", "junit", "tap", "markdown";
 * MT5_ENOTFOUND otherwise. */
int mt5_report_format_parse(mt5_report_format *out, const char *name);
/* "text", "json", ...; NULL for an out-of-range format. */
const char *mt5_report_format_name(mt5_report_format format);

typedef struct {
    int version;          /* MT5_REPORT_OPTIONS_VERSION */
    bool color;           /* text only: ANSI colours (the caller decides: a tty and no NO_COLOR) */
    const char *tool;     /* "gate1 0.1.0" */
    const char *hostname; /* JUnit; NULL = gethostname() */
} mt5_report_options;

#define MT5_REPORT_OPTIONS_VERSION 1
#define MT5_REPORT_OPTIONS_INIT                                                                    \
    {                                                                                              \
        MT5_REPORT_OPTIONS_VERSION, false, NULL, NULL                                              \
    }

/*  Write `run` to `out` in `format`. Only selected checks appear. Returns
 *  MT5_OK, or MT5_EIO when writing failed (detail names the errno). */
int mt5_report_write(FILE *out, const mt5_gate_run_t *run, mt5_report_format format,
                     const mt5_report_options *options);

#endif
