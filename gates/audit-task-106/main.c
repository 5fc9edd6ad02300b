/*  audit-task-106 - the Gate-1 auditor of TASK #106, declared in
 *  gates/task-106.yaml (docs/tools/audit-task-106.md).
 */
#include "cli.h"

int main(int argc, char **argv)
{
    return mt5_cli_auditor(argc, argv, "audit-task-106", "task-106.yaml");
}
