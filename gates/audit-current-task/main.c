/*  audit-current-task - the Gate-1 auditor of the task being worked on
 *  (seed 000's scripts/audit_current_task.py): the task picks the manifest
 *  (docs/tools/audit-current-task.md).
 */
#include "cli.h"

int main(int argc, char **argv)
{
    return mt5_cli_current_task(argc, argv);
}
