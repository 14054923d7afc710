/*
 * Copyright (C) icetap authors
 *
 * "icetap inventory status WAL_DIR": what the inventory helper reported
 * in "<WAL dir>/inventory.json", one line per bucket.
 */


#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include <icetap/table.h>

#include "icetap_cli.h"


#define icetap_cli_int(o, name)                                              \
    ((int64_t) json_integer_value(json_object_get(o, name)))


void
icetap_cli_inventory_usage(FILE *f)
{
    fprintf(f, "       icetap inventory status WAL_DIR\n");
}


int
icetap_cli_inventory(int argc, char **argv)
{
    char          path[4096];
    size_t        i;
    json_t       *doc, *t;
    const char   *e;
    json_error_t  je;

    if (argc != 2 || strcmp(argv[0], "status") != 0) {
        fprintf(stderr, "usage:");
        icetap_cli_inventory_usage(stderr);
        return 2;
    }

    snprintf(path, sizeof(path), "%s/inventory.json", argv[1]);

    doc = json_load_file(path, 0, &je);
    if (doc == NULL) {
        fprintf(stderr, "icetap: %s: %s\n", path, je.text);
        return 1;
    }

    printf("inventory helper pid %d, updated %" PRId64 " ms ago\n",
           (int) icetap_cli_int(doc, "pid"),
           icetap_table_now_ms() - icetap_cli_int(doc, "updated_ms"));

    json_array_foreach(json_object_get(doc, "tables"), i, t) {
        e = json_string_value(json_object_get(t, "error"));

        printf("%s\t%s\t%" PRId64 " records behind, refreshed %" PRId64
               " ms ago, %" PRId64 " rows, %" PRId64 " files, %" PRId64
               " commits, drift %" PRId64 " added %" PRId64 " changed %"
               PRId64 " removed%s%s\n",
               json_string_value(json_object_get(t, "bucket")),
               json_string_value(json_object_get(t, "status")),
               icetap_cli_int(t, "records_behind"),
               icetap_cli_int(t, "last_refresh_ms")
               ? icetap_table_now_ms() - icetap_cli_int(t, "last_refresh_ms")
               : -1,
               icetap_cli_int(t, "rows"), icetap_cli_int(t, "files"),
               icetap_cli_int(t, "commits"),
               icetap_cli_int(t, "drift_added"),
               icetap_cli_int(t, "drift_changed"),
               icetap_cli_int(t, "drift_removed"),
               e && e[0] ? ", error: " : "", e ? e : "");
    }

    json_decref(doc);

    return 0;
}
