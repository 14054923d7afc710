/*
 * Copyright (C) icetap authors
 *
 * icetap: the operator's command-line inspector.
 *
 *     icetap wal dump DIR      records of every segment as JSON lines
 *     icetap wal check DIR     per-segment health: records, torn tails,
 *                              CRC errors (never fails on damage)
 *     icetap table list        the tables of the catalog
 *     icetap table cat ...     the live rows of a table (icetap_table.c)
 *     icetap journal status DIR    the journal helper's lag
 *     icetap status DIR [--prometheus]
 *                              every helper's report (include/icetap/status.h)
 *     icetap inventory status DIR  the inventory helper's state
 *                                  (icetap_inventory.c)
 */


#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <icetap/status.h>
#include <icetap/wal.h>

#include "icetap_cli.h"


static int icetap_cli_wal(int argc, char **argv);
static int icetap_cli_status(int argc, char **argv);
static int icetap_cli_wal_walk(const char *dir, int dump);
static void icetap_cli_usage(FILE *f);


int
main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "wal") == 0) {
        return icetap_cli_wal(argc - 2, argv + 2);
    }

    if (argc >= 2 && strcmp(argv[1], "table") == 0) {
        return icetap_cli_table(argc - 2, argv + 2);
    }

    if (argc >= 2 && strcmp(argv[1], "journal") == 0) {
        return icetap_cli_journal(argc - 2, argv + 2);
    }

    if (argc >= 2 && strcmp(argv[1], "status") == 0) {
        return icetap_cli_status(argc - 2, argv + 2);
    }

    if (argc >= 2 && strcmp(argv[1], "inventory") == 0) {
        return icetap_cli_inventory(argc - 2, argv + 2);
    }

    if (argc >= 2 && (strcmp(argv[1], "-h") == 0
                      || strcmp(argv[1], "--help") == 0
                      || strcmp(argv[1], "help") == 0))
    {
        icetap_cli_usage(stdout);
        return 0;
    }

    icetap_cli_usage(stderr);

    return 2;
}


static void
icetap_cli_usage(FILE *f)
{
    fprintf(f,
        "usage: icetap wal dump DIR    print WAL records as JSON lines\n"
        "       icetap wal check DIR   report torn tails and CRC errors\n"
        "       icetap status WAL_DIR [--prometheus]\n"
        "                              every helper's report, JSON or "
        "Prometheus text\n");
    icetap_cli_table_usage(f);
    icetap_cli_inventory_usage(f);
}


static int
icetap_cli_wal(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[0], "dump") == 0) {
        return icetap_cli_wal_walk(argv[1], 1);
    }

    if (argc == 2 && strcmp(argv[0], "check") == 0) {
        return icetap_cli_wal_walk(argv[1], 0);
    }

    icetap_cli_usage(stderr);

    return 2;
}


static const char *
icetap_cli_end_name(icetap_wal_end_e end)
{
    switch (end) {
    case ICETAP_WAL_END_CLEAN:   return "open";
    case ICETAP_WAL_END_SEALED:  return "sealed";
    case ICETAP_WAL_END_TORN:    return "torn";
    case ICETAP_WAL_END_CORRUPT: return "corrupt";
    }

    return "unknown";
}


static int
icetap_cli_wal_walk(const char *dir, int dump)
{
    int                   status;
    char                **names, path[4096], *line;
    size_t                n, i;
    uint64_t              off, records, bad, torn_at, total, damaged;
    icetap_rc             rc;
    icetap_error_t        err;
    icetap_wal_end_e      end;
    icetap_wal_rec_t      rec;
    icetap_wal_reader_t  *r;

    if (icetap_wal_list(dir, &names, &n, &err) != ICETAP_OK) {
        fprintf(stderr, "icetap: %s\n", err.msg);
        return 1;
    }

    status = 0;
    total = 0;
    damaged = 0;

    for (i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);

        if (icetap_wal_reader_open(path, &r, &err) != ICETAP_OK) {
            fprintf(dump ? stderr : stdout, "%s: unreadable: %s\n",
                    names[i], err.msg);
            damaged++;
            continue;
        }

        records = 0;

        for ( ;; ) {
            rc = icetap_wal_reader_next(r, &rec, &off, NULL, &err);

            if (rc == ICETAP_EOF) {
                break;
            }

            if (rc != ICETAP_OK) {
                fprintf(stderr, "icetap: %s: %s\n", names[i], err.msg);
                status = 1;
                break;
            }

            records++;

            if (dump) {
                line = icetap_wal_rec_json(&rec, names[i], off);
                if (line == NULL) {
                    icetap_wal_rec_free(&rec);
                    fprintf(stderr, "icetap: out of memory\n");
                    status = 1;
                    break;
                }

                puts(line);
                free(line);
            }

            icetap_wal_rec_free(&rec);
        }

        end = icetap_wal_reader_end(r, &bad, &torn_at);
        total += records;

        if (end == ICETAP_WAL_END_TORN || end == ICETAP_WAL_END_CORRUPT) {
            damaged++;
        }

        if (!dump) {
            printf("%s: pid %d, %" PRIu64 " records, %s", names[i],
                   (int) icetap_wal_reader_info(r)->pid, records,
                   icetap_cli_end_name(end));

            if (bad) {
                printf(", %" PRIu64 " bad frames skipped", bad);
            }

            if (end == ICETAP_WAL_END_TORN) {
                printf(", torn tail at offset %" PRIu64, torn_at);
            }

            printf("\n");
        }

        icetap_wal_reader_close(r);
    }

    if (!dump) {
        printf("total: %zu segments, %" PRIu64 " records, %" PRIu64
               " damaged\n", n, total, damaged);
    }

    icetap_wal_free_list(names, n);

    return status;
}


static int
icetap_cli_status(int argc, char **argv)
{
    icetap_rc               rc;
    icetap_buf_t            out;
    struct timespec         ts;
    icetap_error_t          err;
    icetap_status_format_e  fmt;

    if (argc == 1) {
        fmt = ICETAP_STATUS_JSON;

    } else if (argc == 2 && strcmp(argv[1], "--prometheus") == 0) {
        fmt = ICETAP_STATUS_PROMETHEUS;

    } else {
        icetap_cli_usage(stderr);
        return 2;
    }

    clock_gettime(CLOCK_REALTIME, &ts);
    memset(&out, 0, sizeof(out));

    rc = icetap_status_render(argv[0], fmt,
                              (int64_t) ts.tv_sec * 1000
                              + ts.tv_nsec / 1000000, &out, &err);
    if (rc != ICETAP_OK) {
        fprintf(stderr, "icetap status: %s\n", err.msg);
        icetap_buf_free(&out);
        return 1;
    }

    fwrite(out.data, 1, out.len, stdout);
    icetap_buf_free(&out);

    return 0;
}
