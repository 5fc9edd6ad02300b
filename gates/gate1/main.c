/*  gate1 - run, list and validate gate manifests (docs/tools/gate1.md). */
#include "cli.h"

int main(int argc, char **argv)
{
    return mt5_cli_gate1(argc, argv);
}
