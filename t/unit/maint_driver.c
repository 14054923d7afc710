/*
 * Copyright (C) icetap authors
 *
 * Tables of the maintenance suites (t/07N-*.t), in the catalog of a
 * state bucket of an S3 store, written through the core:
 *
 *   maint_driver make  ENDPOINT BUCKET TB NS NAME VERSION APPENDS ROWS SORT
 *       a table partitioned by identity(cat) (schema of table_util.h),
 *       APPENDS commits of ROWS rows each, then deletes of every id
 *       divisible by 5 in three commits (DVs in v3, position deletes in
 *       v2); SORT 1 gives it the sort order score DESC NULLS LAST.
 *   maint_driver append ENDPOINT BUCKET TB NS NAME FROM TO
 *   maint_driver delete ENDPOINT BUCKET TB NS NAME MOD
 *       deletes the live ids divisible by MOD, in one commit
 *   maint_driver orphan ENDPOINT BUCKET TB NS NAME FROM TO
 *       writes a data file and never commits it (a failed commit)
 *   maint_driver files ENDPOINT BUCKET TB NS NAME DIR
 *       downloads the live data files into DIR
 *   maint_driver refcheck ENDPOINT BUCKET TB NS NAME
 *       every file a snapshot of the current metadata references
 *       (manifest lists, manifests, data and delete files) exists:
 *       {"checked":N,"missing":[keys]}
 *   maint_driver rewrite ENDPOINT BUCKET TB NS NAME STRATEGY TARGET
 *       runs the core rewrite directly (bench/maintenance)
 *
 * Each prints one JSON object: the table's metadata location, its live
 * ids (read through the core, with "bad" counting rows whose columns
 * differ from what the id implies), the data files with their deleted
 * row counts, snapshot count and, in v3, each live id's _row_id.
 * Without arguments (as t/000-core-unit.t runs it) it skips.
 */


#include <unistd.h>

#include <icetap/catalog.h>
#include <icetap/maintenance.h>

#include "table_util.h"
#include "icetap_table_int.h"


static icetap_store_t          *st;
static icetap_catalog_table_t   entry;
static icetap_catalog_pointer_t cp;
static icetap_table_pointer_t   tp;
static icetap_table_conf_t      tc;


static int
fail(const char *what, const icetap_error_t *err)
{
    fprintf(stderr, "maint_driver: %s: %s\n", what, err->msg);
    return 1;
}


static icetap_rc
open_table(const char *bucket, const char *tb, const char *ns,
    const char *name, int create, icetap_table_t **t, int version,
    int sorted, icetap_error_t *err)
{
    char                      arn[256];
    icetap_rc                 rc;
    icetap_schema_t          *schema;
    icetap_sort_field_t       sf;
    icetap_sort_order_t       so;
    icetap_partition_spec_t   spec;

    if (create) {
        snprintf(arn, sizeof(arn),
                 "arn:aws:s3tables:us-east-1:111122223333:bucket/%s", tb);

        rc = icetap_catalog_ensure_bucket(st, tb, arn, "customer", err);
        if (rc == ICETAP_OK) {
            rc = icetap_catalog_ensure_namespace(st, tb, ns, err);
        }

        if (rc == ICETAP_OK) {
            rc = icetap_catalog_table_init(&entry, bucket, tb, ns, name,
                                           NULL, arn, NULL, err);
        }

    } else {
        rc = icetap_catalog_table_load(st, tb, ns, name, &entry, NULL, err);
    }

    if (rc != ICETAP_OK) {
        return rc;
    }

    cp.store = st;
    cp.entry = &entry;
    tp.load = icetap_catalog_pointer_load;
    tp.swap = icetap_catalog_pointer_swap;
    tp.ctx = &cp;

    memset(&tc, 0, sizeof(tc));
    tc.location = entry.warehouse_location;
    tc.prefix = icetap_catalog_table_prefix(&entry);
    tc.pointer = &tp;
    tc.naming = ICETAP_TABLE_NAMING_CATALOG;
    tc.no_version_hint = 1;
    tc.max_attempts = 30;

    if (!create) {
        return icetap_table_open(st, &tc, t, err);
    }

    schema = tt_schema();
    tt_spec(&spec, 0);

    memset(&sf, 0, sizeof(sf));
    sf.transform = "identity";
    sf.source_id = 5;
    sf.descending = 1;
    sf.nulls_last = 1;

    memset(&so, 0, sizeof(so));
    so.order_id = 1;
    so.fields = &sf;
    so.nfields = 1;

    rc = icetap_table_create(st, &tc, version, schema, &spec,
                             sorted ? &so : NULL, NULL, t, err);

    icetap_schema_free(schema);
    icetap_partition_spec_clear(&spec);

    return rc;
}


/* deletes the live ids divisible by mod (ids in [lo, hi)) in one commit */

static icetap_rc
delete_mod(icetap_table_t *t, int64_t mod, int64_t lo, int64_t hi,
    icetap_error_t *err)
{
    size_t                  i, n;
    icetap_rc               rc;
    icetap_value_t          v;
    icetap_table_batch_t    b;
    icetap_table_reader_t  *r;
    icetap_table_update_t  *u;

    rc = icetap_table_update_new(t, &u, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    rc = icetap_table_reader_open(t, -1, &r, err);
    if (rc != ICETAP_OK) {
        icetap_table_update_free(u);
        return rc;
    }

    n = 0;

    while ((rc = icetap_table_reader_next(r, &b, err)) == ICETAP_OK) {
        for (i = 0; i < b.nrows && rc == ICETAP_OK; i++) {
            if (!b.live[i]
                || icetap_table_batch_value(&b, 1, i, &v, err) != ICETAP_OK
                || v.v.l % mod != 0 || v.v.l < lo || v.v.l >= hi)
            {
                continue;
            }

            rc = icetap_table_update_delete_row(u, b.file_path,
                                                (uint64_t) (b.first_pos
                                                            + (int64_t) i),
                                                err);
            n++;
        }

        if (rc != ICETAP_OK) {
            break;
        }
    }

    icetap_table_reader_free(r);

    if (rc == ICETAP_EOF) {
        rc = n ? icetap_table_update_commit(u, NULL, err) : ICETAP_OK;
    }

    icetap_table_update_free(u);

    return rc;
}


typedef struct {
    char                   *path;
    int64_t                 first_row_id;
} frid_t;


static frid_t  frids[100000];
static size_t  nfrids;


typedef struct {
    FILE                   *out;
    const char             *dir;
    int                     first;
    icetap_rc               rc;
    icetap_error_t         *err;
} files_t;


static icetap_rc
file_cb(void *ctx, const icetap_table_file_t *f)
{
    char         local[1024], *key;
    const char  *base;
    FILE        *fp;
    files_t     *fs;
    icetap_buf_t buf;

    fs = ctx;

    fprintf(fs->out, "%s{\"path\":\"%s\",\"records\":%lld,\"size\":%lld,"
            "\"deleted\":%llu,\"first_row_id\":%lld}",
            fs->first ? "" : ",", f->file->file_path,
            (long long) f->file->record_count,
            (long long) f->file->file_size_in_bytes,
            (unsigned long long) f->ndeleted,
            (long long) f->first_row_id);
    fs->first = 0;

    if (nfrids < sizeof(frids) / sizeof(frids[0])) {
        frids[nfrids].path = strdup(f->file->file_path);
        frids[nfrids].first_row_id = f->first_row_id;
        nfrids++;
    }

    if (fs->dir == NULL) {
        return ICETAP_OK;
    }

    base = strrchr(f->file->file_path, '/');
    base = base ? base + 1 : f->file->file_path;
    snprintf(local, sizeof(local), "%s/%s", fs->dir, base);

    key = strstr(f->file->file_path, "icetap/warehouse/");
    if (key == NULL) {
        return ICETAP_INVALID;
    }

    memset(&buf, 0, sizeof(buf));

    if (icetap_store_get_buf(st, key, &buf, fs->err) != ICETAP_OK) {
        return fs->err->code;
    }

    fp = fopen(local, "wb");
    if (fp == NULL || fwrite(buf.data, 1, buf.len, fp) != buf.len) {
        if (fp) {
            fclose(fp);
        }

        icetap_buf_free(&buf);
        return ICETAP_IO;
    }

    fclose(fp);
    icetap_buf_free(&buf);

    return ICETAP_OK;
}


static int
check_key(icetap_table_t *t, const char *path, size_t *checked, int *first)
{
    char                *key;
    icetap_rc            rc;
    icetap_error_t       err;
    icetap_store_obj_t   obj;

    key = icetap_table_key(t, path);
    if (key == NULL) {
        return 0;
    }

    icetap_store_obj_init(&obj);
    rc = icetap_store_head(st, key, &obj, &err);
    icetap_store_obj_free(&obj);
    (*checked)++;

    if (rc != ICETAP_OK) {
        printf("%s\"%s\"", *first ? "" : ",", key);
        *first = 0;
    }

    free(key);

    return rc == ICETAP_OK || rc == ICETAP_NOTFOUND ? 0 : -1;
}


static int
refcheck(icetap_table_t *t)
{
    int                       first;
    size_t                    i, k, nmfs, checked;
    icetap_rc                 rc;
    icetap_error_t            err;
    icetap_table_mr_t         mr;
    icetap_table_mf_t        *mfs;
    icetap_manifest_entry_t   e;
    const icetap_table_metadata_t *md;

    if (icetap_table_refresh(t, &err) != ICETAP_OK) {
        return fail("refresh", &err);
    }

    md = icetap_table_metadata(t);
    checked = 0;
    first = 1;

    printf("{\"snapshots\":%zu,\"missing\":[", md->nsnapshots);

    for (i = 0; i < md->nsnapshots; i++) {
        check_key(t, md->snapshots[i].manifest_list, &checked, &first);

        if (icetap_table_read_list(t, &md->snapshots[i], &mfs, &nmfs, &err)
            != ICETAP_OK)
        {
            continue;
        }

        for (k = 0; k < nmfs; k++) {
            check_key(t, mfs[k].mf.manifest_path, &checked, &first);

            if (icetap_table_mr_open(t, &mfs[k].mf, &mr, &err) != ICETAP_OK)
            {
                continue;
            }

            while ((rc = icetap_table_mr_next(&mr, &e, &err)) == ICETAP_OK) {
                if (e.status != ICETAP_STATUS_DELETED) {
                    check_key(t, e.file.file_path, &checked, &first);
                }
            }

            icetap_table_mr_close(&mr);
        }

        icetap_table_mfs_free(mfs, nmfs);
    }

    printf("],\"checked\":%zu}\n", checked);

    return 0;
}


/* the summary: live ids with their row ids, files, snapshots */

static int
report(icetap_table_t *t, const char *dir, const char *extra)
{
    int                      first;
    size_t                   i, k, bad, live;
    icetap_rc                rc;
    icetap_value_t           v, rid;
    files_t                  fs;
    icetap_error_t           err;
    icetap_table_batch_t     b;
    icetap_table_reader_t   *r;
    const icetap_table_metadata_t *md;

    if (icetap_table_refresh(t, &err) != ICETAP_OK) {
        return fail("refresh", &err);
    }

    md = icetap_table_metadata(t);

    printf("{\"metadata_location\":\"%s\",\"snapshots\":%zu,"
           "\"format\":%d,\"table_id\":\"%s\",\"warehouse\":\"%s\"%s%s,"
           "\"files\":[", icetap_table_metadata_location(t),
           md->nsnapshots, md->format_version, entry.table_id,
           entry.warehouse_location, extra ? "," : "", extra ? extra : "");

    memset(&fs, 0, sizeof(fs));
    fs.out = stdout;
    fs.dir = dir;
    fs.first = 1;
    fs.err = &err;

    rc = icetap_table_files(t, -1, file_cb, &fs, &err);
    if (rc != ICETAP_OK) {
        printf("]}\n");
        return fail("files", &err);
    }

    printf("],\"live\":[");

    rc = icetap_table_reader_open(t, -1, &r, &err);
    if (rc != ICETAP_OK) {
        printf("]}\n");
        return fail("reader", &err);
    }

    first = 1;
    bad = 0;
    live = 0;

    while ((rc = icetap_table_reader_next(r, &b, &err)) == ICETAP_OK) {
        for (i = 0; i < b.nrows; i++) {
            if (!b.live[i]) {
                continue;
            }

            if (icetap_table_batch_value(&b, 1, i, &v, &err) != ICETAP_OK) {
                bad++;
                continue;
            }

            /* stored _row_id of rewritten files, else inherited */

            if (icetap_table_batch_value(&b, 2147483540, i, &rid, &err)
                != ICETAP_OK || rid.is_null)
            {
                rid.v.l = -1;

                for (k = 0; k < nfrids; k++) {
                    if (strcmp(frids[k].path, b.file_path) == 0
                        && frids[k].first_row_id >= 0)
                    {
                        rid.v.l = frids[k].first_row_id + b.first_pos
                                  + (int64_t) i;
                    }
                }
            }

            printf("%s[%lld,%lld]", first ? "" : ",", (long long) v.v.l,
                   (long long) rid.v.l);
            first = 0;
            live++;
        }
    }

    icetap_table_reader_free(r);
    printf("],\"nlive\":%zu,\"bad\":%zu}\n", live, bad);

    if (rc != ICETAP_EOF) {
        return fail("read", &err);
    }

    return 0;
}


int
main(int argc, char **argv)
{
    int                      rc, i, n, rows, version, sorted;
    char                     extra[512], name[96], *key;
    size_t                   k;
    int64_t                  from, to, id;
    icetap_value_t           v[TT_NCOLS];
    icetap_table_writer_t   *w;
    icetap_error_t           err;
    icetap_table_t          *t;
    icetap_s3_conf_t         sc;
    icetap_rewrite_conf_t    rwc;
    icetap_rewrite_result_t  res;

    if (argc < 2) {
        printf("1..0 # SKIP driver for t/07N-maintenance*.t\n");
        return 0;
    }

    if (argc < 7) {
        fprintf(stderr, "usage: see the header of t/unit/maint_driver.c\n");
        return 2;
    }

    memset(&sc, 0, sizeof(sc));
    sc.endpoint = argv[2];
    sc.bucket = argv[3];
    sc.access_key = "AKIAIOSFODNN7EXAMPLE";
    sc.secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    sc.path_style = 1;

    st = icetap_store_s3_create(&sc, &err);
    if (st == NULL) {
        return fail("s3 store", &err);
    }

    if (strcmp(argv[1], "make") == 0 && argc == 11) {
        if (icetap_store_s3_create_bucket(st, &err) != ICETAP_OK) {
            return fail("bucket", &err);
        }

        version = atoi(argv[7]);
        n = atoi(argv[8]);
        rows = atoi(argv[9]);
        sorted = atoi(argv[10]);

        if (open_table(argv[3], argv[4], argv[5], argv[6], 1, &t, version,
                       sorted, &err) != ICETAP_OK)
        {
            return fail("create", &err);
        }

        for (i = 0; i < n; i++) {
            if (tt_append(t, (int64_t) i * rows, (int64_t) (i + 1) * rows,
                          0, &err) != ICETAP_OK)
            {
                return fail("append", &err);
            }
        }

        /* deletes in three commits, over thirds of the ids */

        for (i = 0; i < 3; i++) {
            if (delete_mod(t, 5, (int64_t) n * rows * i / 3,
                           (int64_t) n * rows * (i + 1) / 3, &err)
                != ICETAP_OK)
            {
                return fail("delete", &err);
            }
        }

        rc = report(t, NULL, NULL);

    } else if (strcmp(argv[1], "append") == 0 && argc == 9) {
        if (open_table(argv[3], argv[4], argv[5], argv[6], 0, &t, 0, 0,
                       &err) != ICETAP_OK
            || tt_append(t, atoll(argv[7]), atoll(argv[8]), 0, &err)
               != ICETAP_OK)
        {
            return fail("append", &err);
        }

        rc = report(t, NULL, NULL);

    } else if (strcmp(argv[1], "delete") == 0 && argc == 8) {
        if (open_table(argv[3], argv[4], argv[5], argv[6], 0, &t, 0, 0,
                       &err) != ICETAP_OK)
        {
            return fail("open", &err);
        }

        /* a concurrent rewrite may remove a file: read again, retry */

        for (i = 0; i < 20; i++) {
            rc = delete_mod(t, atoll(argv[7]), 0, INT64_MAX, &err);

            if (rc != ICETAP_CONFLICT
                || icetap_table_refresh(t, &err) != ICETAP_OK)
            {
                break;
            }

            usleep(100000);
        }

        if (rc != ICETAP_OK) {
            return fail("delete", &err);
        }

        rc = report(t, NULL, NULL);

    } else if (strcmp(argv[1], "orphan") == 0 && argc == 9) {
        if (open_table(argv[3], argv[4], argv[5], argv[6], 0, &t, 0, 0,
                       &err) != ICETAP_OK
            || icetap_table_writer_open(t, NULL, &w, &err) != ICETAP_OK)
        {
            return fail("orphan", &err);
        }

        from = atoll(argv[7]);
        to = atoll(argv[8]);

        /* written and uploaded, never committed: the process "died" */

        for (id = from; id < to; id++) {
            tt_row(id, v, name, sizeof(name));

            if (icetap_table_writer_row(w, v, TT_NCOLS) != ICETAP_OK) {
                return fail("orphan write", icetap_table_writer_error(w));
            }
        }

        if (icetap_table_writer_close(w) != ICETAP_OK) {
            return fail("orphan write", icetap_table_writer_error(w));
        }

        printf("{\"orphans\":[");

        for (k = 0; k < icetap_table_writer_nfiles(w); k++) {
            key = icetap_table_key(t,
                                   icetap_table_writer_file(w, k)->file_path);
            printf("%s\"%s\"", k ? "," : "", key ? key : "");
            free(key);
        }

        printf("]}\n");
        icetap_table_writer_free(w);
        rc = 0;

    } else if (strcmp(argv[1], "files") == 0 && argc == 8) {
        if (open_table(argv[3], argv[4], argv[5], argv[6], 0, &t, 0, 0,
                       &err) != ICETAP_OK)
        {
            return fail("open", &err);
        }

        rc = report(t, argv[7], NULL);

    } else if (strcmp(argv[1], "refcheck") == 0 && argc == 7) {
        if (open_table(argv[3], argv[4], argv[5], argv[6], 0, &t, 0, 0,
                       &err) != ICETAP_OK)
        {
            return fail("open", &err);
        }

        rc = refcheck(t);

    } else if (strcmp(argv[1], "rewrite") == 0 && argc == 9) {
        if (open_table(argv[3], argv[4], argv[5], argv[6], 0, &t, 0, 0,
                       &err) != ICETAP_OK)
        {
            return fail("open", &err);
        }

        memset(&rwc, 0, sizeof(rwc));
        rwc.strategy = strcmp(argv[7], "sort") == 0 ? ICETAP_REWRITE_SORT
                       : strcmp(argv[7], "z-order") == 0
                         ? ICETAP_REWRITE_ZORDER : ICETAP_REWRITE_BINPACK;
        rwc.target_file_size = (size_t) atoll(argv[8]);

        if (getenv("MAINT_MEMORY")) {
            rwc.memory = (size_t) atoll(getenv("MAINT_MEMORY"));
        }

        if (getenv("MAINT_ROW_GROUP")) {
            rwc.row_group_size = (size_t) atoll(getenv("MAINT_ROW_GROUP"));
        }

        if (icetap_table_rewrite(t, &rwc, &res, &err) != ICETAP_OK) {
            return fail("rewrite", &err);
        }

        snprintf(extra, sizeof(extra),
                 "\"rewrite\":{\"files_rewritten\":%zu,\"files_added\":%zu,"
                 "\"row_groups_copied\":%zu,\"runs\":%zu,\"rows\":%lld,"
                 "\"bytes_read\":%llu,\"bytes_written\":%llu}",
                 res.files_rewritten, res.files_added,
                 res.row_groups_copied, res.runs, (long long) res.rows,
                 (unsigned long long) res.bytes_read,
                 (unsigned long long) res.bytes_written);

        rc = report(t, NULL, extra);

    } else {
        fprintf(stderr, "maint_driver: bad arguments\n");
        return 2;
    }

    icetap_table_close(t);
    icetap_store_destroy(st);

    return rc;
}
