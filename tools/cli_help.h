/*
 * What `runt help`, `runt COMMAND --help` and `runt COMMAND -h` print: every
 * flag of every command with what it does.
 */
#ifndef RUNT_CLI_HELP_H
#define RUNT_CLI_HELP_H

/* The overview (command NULL) or one command's help; NULL for an unknown
 * command. */
const char *runt_cli_help_text(const char *command);

#endif /* RUNT_CLI_HELP_H */
