/*  cli.h - the command line every gate binary shares.
 *
 *  gate1 and the auditors (audit-task-004, audit-task-106,
 *  audit-current-task) differ only in where their manifest comes from; the
 *  run options, the outputs and the exit codes are this one module
 *  (docs/tools/gate1.md).
 */
#ifndef MT5_GATE_CLI_H
#define MT5_GATE_CLI_H

/* Exit codes of every gate binary. */
enum {
    MT5_EXIT_PASS = 0,    /* every selected check passed (or was waived or skipped) */
    MT5_EXIT_FAIL = 1,    /* a check failed or could not run */
    MT5_EXIT_USAGE = 2,   /* the command line or the manifest is wrong */
    MT5_EXIT_INTERNAL = 3 /* the tool itself failed (memory, writing a report) */
};

/* `gate1 run|list|validate MANIFEST ...`. */
int mt5_cli_gate1(int argc, char **argv);

/* An auditor whose manifest is `manifest` (a file name looked up in the
 * gates directories), run with gate1's run options. */
int mt5_cli_auditor(int argc, char **argv, const char *prog, const char *manifest);

/* audit-current-task: --task, else $MT5_TASK, else the highest-numbered
 * TASK_* folder under <root>/docs/archive/tasks picks the manifest. */
int mt5_cli_current_task(int argc, char **argv);

#endif
