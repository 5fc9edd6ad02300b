/*  audit-task-004 - the Gate-1 auditor of TASK #004, declared in
 *  gates/task-004.yaml (docs/tools/audit-task-004.md).
 */
#include "cli.h"

int main(int argc, char **argv)
{
    return mt5_cli_auditor(argc, argv, "audit-task-004", "task-004.yaml");
}
