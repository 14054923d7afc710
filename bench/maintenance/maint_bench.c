/*
 * Copyright (C) icetap authors
 *
 * bench/maintenance: the compaction core on a table in a local directory
 * (the fs store, so the figures are the rewrite's, not a store's).
 *
 *   maint_bench make ROOT NAME MIB FILES   an unpartitioned v2 table of
 *       FILES appends adding MIB MiB of Parquet in all (synthetic rows:
 *       id, a string, a timestamp, a double, a random long), no deletes;
 *       prints {"files":[local paths], "bytes":N, "rows":N}
 *   maint_bench rewrite ROOT NAME binpack|sort
 *       compacts every file (sort: by the random long, ascending) and
 *       prints {"seconds":S, "bytes_read":N, "bytes_written":N,
 *       "row_groups_copied":N, "runs":N, "rows":N, "vmhwm_kib":N}
 *
 * The rewrite is single-threaded: MB/s per core is bytes_read / seconds.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <icetap/maintenance.h>
#include <icetap/store.h>


#define NCOLS  5


static const char  *schema_json =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"name\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":3,\"name\":\"ts\",\"required\":false,\"type\":\"timestamptz\"},"
    "{\"id\":4,\"name\":\"score\",\"required\":false,\"type\":\"double\"},"
    "{\"id\":5,\"name\":\"k\",\"required\":true,\"type\":\"long\"}"
    "]}";


static int
fail(const char *what, const icetap_error_t *err)
{
    fprintf(stderr, "maint_bench: %s: %s\n", what, err ? err->msg : "");
    return 1;
}


static uint64_t
mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}


static long
vmhwm(void)
{
    char   line[256];
    long   v;
    FILE  *f;

    v = -1;
    f = fopen("/proc/self/status", "r");

    while (f && fgets(line, sizeof(line), f)) {
        if (strncmp(line, "VmHWM:", 6) == 0) {
            v = atol(line + 6);
        }
    }

    if (f) {
        fclose(f);
    }

    return v;
}


static double
now_s(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}


typedef struct {
    const char  *root;
    int          first;
    uint64_t     bytes;
    int64_t      rows;
} list_t;


static icetap_rc
list_cb(void *ctx, const icetap_table_file_t *f)
{
    list_t  *l = ctx;

    printf("%s\"%s\"", l->first ? "" : ",",
           f->file->file_path + strlen("file://"));
    l->first = 0;
    l->bytes += (uint64_t) f->file->file_size_in_bytes;
    l->rows += f->file->record_count;

    return ICETAP_OK;
}


int
main(int argc, char **argv)
{
    char                      location[2048], name[64];
    int                       i, nfiles;
    json_t                   *j;
    double                    t0;
    int64_t                   id, mib, per;
    uint64_t                  h;
    list_t                    l;
    icetap_rc                 rc;
    icetap_value_t            v[NCOLS];
    icetap_error_t            err;
    icetap_store_t           *s;
    icetap_table_t           *t;
    icetap_schema_t          *schema;
    icetap_table_conf_t       tc;
    icetap_rewrite_conf_t     rwc;
    icetap_table_update_t    *u;
    icetap_table_writer_t    *w;
    icetap_rewrite_result_t   res;
    icetap_partition_spec_t   spec;
    const char               *sortcol[1] = { "k" };

    if (argc < 5) {
        fprintf(stderr, "usage: see bench/maintenance/maint_bench.c\n");
        return 2;
    }

    s = icetap_store_fs_create(argv[2], &err);
    if (s == NULL) {
        return fail("fs store", &err);
    }

    snprintf(location, sizeof(location), "file://%s/%s", argv[2], argv[3]);

    memset(&tc, 0, sizeof(tc));
    tc.location = location;
    tc.prefix = argv[3];

    if (strcmp(argv[1], "make") == 0 && argc == 6) {
        mib = atoll(argv[4]);
        nfiles = atoi(argv[5]);

        j = json_loads(schema_json, 0, NULL);
        if (j == NULL || icetap_schema_from_json(j, &schema, &err)
                         != ICETAP_OK)
        {
            return fail("schema", &err);
        }

        json_decref(j);
        memset(&spec, 0, sizeof(spec));

        if (icetap_table_create(s, &tc, 2, schema, &spec, NULL, NULL, &t,
                                &err) != ICETAP_OK)
        {
            return fail("create", &err);
        }

        /* about 40 bytes of Parquet per row */
        per = mib * 1024 * 1024 / 40 / nfiles;
        id = 0;

        for (i = 0; i < nfiles; i++) {
            if (icetap_table_update_new(t, &u, &err) != ICETAP_OK
                || icetap_table_writer_open(t, NULL, &w, &err) != ICETAP_OK)
            {
                return fail("writer", &err);
            }

            for (rc = ICETAP_OK; rc == ICETAP_OK && id < per * (i + 1);
                 id++)
            {
                h = mix64((uint64_t) id);
                memset(v, 0, sizeof(v));
                snprintf(name, sizeof(name), "object-%016llx",
                         (unsigned long long) (h >> 20));

                v[0].type = ICETAP_TYPE_LONG;
                v[0].v.l = id;
                v[1].type = ICETAP_TYPE_STRING;
                v[1].v.bin.data = (const uint8_t *) name;
                v[1].v.bin.len = strlen(name);
                v[2].type = ICETAP_TYPE_TIMESTAMPTZ;
                v[2].v.l = 1700000000000000LL + id * 1000;
                v[3].type = ICETAP_TYPE_DOUBLE;
                v[3].v.d = (double) (h % 100000) / 7.0;
                v[4].type = ICETAP_TYPE_LONG;
                v[4].v.l = (int64_t) (h >> 1);

                rc = icetap_table_writer_row(w, v, NCOLS);
            }

            if (rc != ICETAP_OK || icetap_table_writer_close(w) != ICETAP_OK)
            {
                return fail("write", icetap_table_writer_error(w));
            }

            if (icetap_table_update_add_files(u, w, &err) != ICETAP_OK
                || icetap_table_update_commit(u, NULL, &err) != ICETAP_OK)
            {
                return fail("commit", &err);
            }

            icetap_table_writer_free(w);
            icetap_table_update_free(u);
        }

        memset(&l, 0, sizeof(l));
        l.first = 1;
        printf("{\"files\":[");

        if (icetap_table_files(t, -1, list_cb, &l, &err) != ICETAP_OK) {
            return fail("files", &err);
        }

        printf("],\"bytes\":%llu,\"rows\":%lld}\n",
               (unsigned long long) l.bytes, (long long) l.rows);

        icetap_table_close(t);
        icetap_store_destroy(s);

        return 0;
    }

    if (strcmp(argv[1], "rewrite") != 0) {
        return fail("bad arguments", NULL);
    }

    if (icetap_table_open(s, &tc, &t, &err) != ICETAP_OK) {
        return fail("open", &err);
    }

    memset(&rwc, 0, sizeof(rwc));
    rwc.strategy = strcmp(argv[4], "sort") == 0 ? ICETAP_REWRITE_SORT
                                                : ICETAP_REWRITE_BINPACK;

    if (rwc.strategy == ICETAP_REWRITE_SORT) {
        rwc.columns = sortcol;
        rwc.ncolumns = 1;
    }

    if (getenv("MAINT_MEMORY_MIB")) {
        rwc.memory = (size_t) atoll(getenv("MAINT_MEMORY_MIB")) << 20;
    }

    t0 = now_s();

    if (icetap_table_rewrite(t, &rwc, &res, &err) != ICETAP_OK) {
        return fail("rewrite", &err);
    }

    printf("{\"seconds\":%.3f,\"bytes_read\":%llu,\"bytes_written\":%llu,"
           "\"row_groups_copied\":%zu,\"runs\":%zu,\"rows\":%lld,"
           "\"files_added\":%zu,\"vmhwm_kib\":%ld}\n",
           now_s() - t0, (unsigned long long) res.bytes_read,
           (unsigned long long) res.bytes_written, res.row_groups_copied,
           res.runs, (long long) res.rows, res.files_added, vmhwm());

    icetap_table_close(t);
    icetap_store_destroy(s);

    return 0;
}
