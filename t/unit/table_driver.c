/*
 * Copyright (C) icetap authors
 *
 * Writes whole tables for the cross-reader suites (t/14N-*.t) and prints
 * the ids that must be live, from the driver's own bookkeeping:
 *
 *   table_driver v2 s3 ENDPOINT BUCKET PREFIX
 *   table_driver v3 fs ROOT PREFIX
 *
 * v2: appends, v2 position deletes, an overwrite (a file removed, rows
 * added) and a second round of deletes.  v3: appends, deletion vectors,
 * more deletes merged into an existing DV, an overwrite.  Output: one
 * JSON object {"location", "live": [ids], "deleted": [ids]}.  Without
 * arguments (as t/000-core-unit.t runs it) it skips.
 */


#include <unistd.h>

#include "table_util.h"


typedef struct {
    int64_t               *ids;         /* by id: 1 written, 0 not */
    size_t                 n;
} live_t;


/* the file and position of a row, found by reading the table */

static icetap_rc
find_id(icetap_table_t *t, int64_t id, char *path, size_t size,
    int64_t *pos, icetap_error_t *err)
{
    size_t                  i;
    icetap_rc               rc;
    icetap_value_t          v;
    icetap_table_batch_t    b;
    icetap_table_reader_t  *r;

    rc = icetap_table_reader_open(t, -1, &r, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    while ((rc = icetap_table_reader_next(r, &b, err)) == ICETAP_OK) {
        for (i = 0; i < b.nrows; i++) {
            if (icetap_table_batch_value(&b, 1, i, &v, err) == ICETAP_OK
                && v.v.l == id && b.live[i])
            {
                snprintf(path, size, "%s", b.file_path);
                *pos = b.first_pos + (int64_t) i;
                icetap_table_reader_free(r);
                return ICETAP_OK;
            }
        }
    }

    icetap_table_reader_free(r);

    return rc == ICETAP_EOF ? ICETAP_NOTFOUND : rc;
}


/* every id stored in one data file, live or not */

static icetap_rc
file_ids(icetap_table_t *t, const char *path, live_t *lv, int64_t mark,
    icetap_error_t *err)
{
    size_t                  i;
    icetap_rc               rc;
    icetap_value_t          v;
    icetap_table_batch_t    b;
    icetap_table_reader_t  *r;

    rc = icetap_table_reader_open(t, -1, &r, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    while ((rc = icetap_table_reader_next(r, &b, err)) == ICETAP_OK) {
        if (strcmp(b.file_path, path) != 0) {
            continue;
        }

        for (i = 0; i < b.nrows; i++) {
            if (icetap_table_batch_value(&b, 1, i, &v, err) == ICETAP_OK
                && (size_t) v.v.l < lv->n && lv->ids[v.v.l] == 1)
            {
                lv->ids[v.v.l] = mark;
            }
        }
    }

    icetap_table_reader_free(r);

    return rc == ICETAP_EOF ? ICETAP_OK : rc;
}


static int
fail(const char *what, icetap_error_t *err)
{
    fprintf(stderr, "table_driver: %s: %s\n", what, err->msg);
    return 1;
}


static int
delete_ids(icetap_table_t *t, const int64_t *del, size_t n, live_t *lv,
    icetap_error_t *err)
{
    char                    path[1024];
    size_t                  i;
    int64_t                 pos;
    icetap_table_update_t  *u;

    if (icetap_table_update_new(t, &u, err) != ICETAP_OK) {
        return fail("update", err);
    }

    for (i = 0; i < n; i++) {
        if (find_id(t, del[i], path, sizeof(path), &pos, err) != ICETAP_OK
            || icetap_table_update_delete_row(u, path, (uint64_t) pos, err)
               != ICETAP_OK)
        {
            icetap_table_update_free(u);
            return fail("find row", err);
        }

        lv->ids[del[i]] = -1;
    }

    if (icetap_table_update_commit(u, NULL, err) != ICETAP_OK) {
        icetap_table_update_free(u);
        return fail("delete commit", err);
    }

    icetap_table_update_free(u);

    return 0;
}


static int
scenario(icetap_store_t *s, const char *location, const char *prefix,
    int version)
{
    char                        path[1024];
    size_t                      i;
    int64_t                     pos;
    live_t                      lv;
    icetap_error_t              err;
    icetap_schema_t            *schema;
    icetap_table_t             *t;
    icetap_table_conf_t         c;
    icetap_table_update_t      *u;
    icetap_partition_spec_t     spec;
    icetap_table_writer_conf_t  wc;

    static const int64_t  del1[] = { 0, 5, 17, 42, 43, 44, 299, 350 };
    static const int64_t  del2[] = { 6, 18, 45, 1003 };

    memset(&c, 0, sizeof(c));
    c.location = location;
    c.prefix = prefix;
    schema = tt_schema();
    tt_spec(&spec, version >= 3);

    lv.n = 2000;
    lv.ids = calloc(lv.n, sizeof(int64_t));

    if (icetap_table_create(s, &c, version, schema, &spec, NULL, NULL, &t,
                            &err)
        != ICETAP_OK)
    {
        return fail("create", &err);
    }

    /* two appends; the first rolls files every 40 rows */

    memset(&wc, 0, sizeof(wc));
    wc.target_file_rows = 40;
    wc.codec_set = 1;
    wc.codec = version >= 3 ? ICETAP_PQ_ZSTD : ICETAP_PQ_SNAPPY;

    icetap_table_update_new(t, &u, &err);
    if (tt_write(t, u, 0, 300, &wc, &err) != ICETAP_OK
        || icetap_table_update_commit(u, NULL, &err) != ICETAP_OK)
    {
        return fail("append 1", &err);
    }

    icetap_table_update_free(u);

    if (tt_append(t, 300, 400, 0, &err) != ICETAP_OK) {
        return fail("append 2", &err);
    }

    for (i = 0; i < 400; i++) {
        lv.ids[i] = 1;
    }

    if (delete_ids(t, del1, icetap_nelems(del1), &lv, &err)) {
        return 1;
    }

    /* overwrite: the file holding id 100 goes, ids 1000..1019 come */

    if (find_id(t, 100, path, sizeof(path), &pos, &err) != ICETAP_OK
        || file_ids(t, path, &lv, -2, &err) != ICETAP_OK)
    {
        return fail("find file", &err);
    }

    icetap_table_update_new(t, &u, &err);
    icetap_table_update_remove_file(u, path, &err);

    if (tt_write(t, u, 1000, 1020, NULL, &err) != ICETAP_OK
        || icetap_table_update_commit(u, NULL, &err) != ICETAP_OK)
    {
        return fail("overwrite", &err);
    }

    icetap_table_update_free(u);

    for (i = 1000; i < 1020; i++) {
        lv.ids[i] = 1;
    }

    /* deletes again, some in files that already have deletes */

    if (delete_ids(t, del2, icetap_nelems(del2), &lv, &err)) {
        return 1;
    }

    printf("{\"location\":\"%s\",\"metadata\":\"%s\",\"live\":[", location,
           icetap_table_metadata_location(t));

    for (i = 0, pos = 0; i < lv.n; i++) {
        if (lv.ids[i] == 1) {
            printf("%s%zu", pos++ ? "," : "", i);
        }
    }

    printf("],\"deleted\":[");

    for (i = 0, pos = 0; i < lv.n; i++) {
        if (lv.ids[i] < 0) {
            printf("%s%zu", pos++ ? "," : "", i);
        }
    }

    printf("]}\n");

    free(lv.ids);
    icetap_table_close(t);
    icetap_schema_free(schema);
    icetap_partition_spec_clear(&spec);

    return 0;
}


int
main(int argc, char **argv)
{
    int                rc;
    char               location[1024];
    icetap_error_t     err;
    icetap_store_t    *s;
    icetap_s3_conf_t   sc;

    if (argc < 2) {
        printf("1..0 # SKIP driver for t/14N-table-*.t\n");
        return 0;
    }

    if (argc == 6 && strcmp(argv[2], "s3") == 0) {
        memset(&sc, 0, sizeof(sc));
        sc.endpoint = argv[3];
        sc.bucket = argv[4];
        sc.access_key = "AKIAIOSFODNN7EXAMPLE";
        sc.secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        sc.path_style = 1;

        s = icetap_store_s3_create(&sc, &err);
        if (s == NULL || icetap_store_s3_create_bucket(s, &err) != ICETAP_OK)
        {
            return fail("s3 store", &err);
        }

        snprintf(location, sizeof(location), "s3://%s/%s", argv[4],
                 argv[5]);
        rc = scenario(s, location, argv[5], argv[1][1] - '0');

    } else if (argc == 5 && strcmp(argv[2], "fs") == 0) {
        s = icetap_store_fs_create(argv[3], &err);
        if (s == NULL) {
            return fail("fs store", &err);
        }

        snprintf(location, sizeof(location), "file://%s/%s", argv[3],
                 argv[4]);
        rc = scenario(s, location, argv[4], argv[1][1] - '0');

    } else {
        fprintf(stderr, "usage: table_driver v2|v3 s3 ENDPOINT BUCKET "
                "PREFIX | fs ROOT PREFIX\n");
        return 2;
    }

    icetap_store_destroy(s);

    return rc;
}
