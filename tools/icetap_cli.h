/*
 * Copyright (C) icetap authors
 *
 * The subcommands of the icetap command-line inspector.
 */

#ifndef ICETAP_CLI_H
#define ICETAP_CLI_H


#include <stdio.h>


/* icetap_table.c: "icetap table ..." and "icetap journal ..." */
int icetap_cli_table(int argc, char **argv);
int icetap_cli_journal(int argc, char **argv);
void icetap_cli_table_usage(FILE *f);

/* icetap_inventory.c: "icetap inventory status" */
int icetap_cli_inventory(int argc, char **argv);
void icetap_cli_inventory_usage(FILE *f);


#endif /* ICETAP_CLI_H */
