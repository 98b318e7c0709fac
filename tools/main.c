#include <stdio.h>

#include "cli.h"

int main(int argc, char **argv) { return runt_cli_main(argc, argv, stdout, stderr); }
