/*
 * Copyright (C) icetap authors
 *
 * Table operations on the filesystem store: create, fast and merging
 * appends, overwrite, v2 position deletes and v3 deletion vectors (with
 * merging of an existing DV), row lineage, commits racing from two
 * handles and from two processes, conflicts, expiry, bounds truncation.
 */


#include <unistd.h>
#include <sys/wait.h>

#include <icetap/puffin.h>

#include "tap.h"
#include "table_util.h"


static char            root[256];
static icetap_store_t *store;


static void
conf_init(icetap_table_conf_t *c, const char *name, char *loc, size_t size)
{
    memset(c, 0, sizeof(*c));
    snprintf(loc, size, "file://%s/wh/%s", root, name);
    c->location = loc;
    c->prefix = strstr(loc, "/wh/") + 1;
}


static int
exists(const char *key)
{
    char  path[512];

    snprintf(path, sizeof(path), "%s/%s", root, key);

    return access(path, F_OK) == 0;
}


static int
ids_are(const tt_ids_t *ids, int64_t from, int64_t to, int64_t skip_mod,
    int64_t skip_rem)
{
    size_t   i;
    int64_t  id;

    for (i = 0, id = from; id < to; id++) {
        if (skip_mod && id % skip_mod == skip_rem) {
            continue;
        }

        if (i >= ids->n || ids->ids[i] != id) {
            return 0;
        }

        i++;
    }

    return i == ids->n && ids->bad == 0;
}


/* what icetap_table_files reports */

typedef struct {
    size_t     files;
    int64_t    records;
    uint64_t   deleted;
    int        bounds_ok;
    int        lineage_ok;
    int64_t    min_row_id;
    char       path[3][512];
} files_t;


static icetap_rc
files_cb(void *ctx, const icetap_table_file_t *f)
{
    size_t   i;
    files_t *s = ctx;

    if (s->files < 3) {
        snprintf(s->path[s->files], sizeof(s->path[0]), "%s",
                 f->file->file_path);
    }

    s->files++;
    s->records += f->file->record_count;
    s->deleted += f->ndeleted;

    /* name (id 3) bounds are truncated to 16 characters */

    for (i = 0; i < f->file->nlower_bounds; i++) {
        if (f->file->lower_bounds[i].key == 3
            && f->file->lower_bounds[i].len != 16)
        {
            s->bounds_ok = 0;
        }
    }

    for (i = 0; i < f->file->nupper_bounds; i++) {
        if (f->file->upper_bounds[i].key == 3
            && (f->file->upper_bounds[i].len != 16
                || memcmp(f->file->upper_bounds[i].data, "name-", 5) != 0))
        {
            s->bounds_ok = 0;
        }
    }

    if (f->first_row_id != ICETAP_UNSET) {
        if (s->min_row_id < 0 || f->first_row_id < s->min_row_id) {
            s->min_row_id = f->first_row_id;
        }

    } else {
        s->lineage_ok = 0;
    }

    return ICETAP_OK;
}


static void
list_files(icetap_table_t *t, files_t *s)
{
    icetap_error_t  err;

    memset(s, 0, sizeof(*s));
    s->bounds_ok = 1;
    s->lineage_ok = 1;
    s->min_row_id = -1;

    if (icetap_table_files(t, -1, files_cb, s, &err) != ICETAP_OK) {
        diag("files: %s", err.msg);
        s->files = (size_t) -1;
    }
}


static void
test_truncate(void)
{
    size_t   n;
    uint8_t  out[64];

    n = icetap_table_truncate_lower(1, (const uint8_t *) "abcdef", 6, 3);
    is_int(n, 3, "string lower bound: 3 characters");
    n = icetap_table_truncate_upper(1, (const uint8_t *) "abcdef", 6, 3, out);
    ok(n == 3 && memcmp(out, "abd", 3) == 0, "upper bound abc -> abd");
    n = icetap_table_truncate_upper(1, (const uint8_t *) "ab", 2, 3, out);
    ok(n == 2 && memcmp(out, "ab", 2) == 0, "short values stay exact");

    /* "aé€x": 3 characters are 1 + 2 + 3 bytes */

    n = icetap_table_truncate_lower(1,
            (const uint8_t *) "a\xc3\xa9\xe2\x82\xacx", 7, 3);
    is_int(n, 6, "lower bound counts code points, not bytes");
    n = icetap_table_truncate_upper(1,
            (const uint8_t *) "a\xc3\xa9\xe2\x82\xacx", 7, 3, out);
    ok(n == 6 && memcmp(out, "a\xc3\xa9\xe2\x82\xad", 6) == 0,
       "upper bound increments the last code point");
    n = icetap_table_truncate_upper(1,
            (const uint8_t *) "a\xf4\x8f\xbf\xbfz", 6, 2, out);
    ok(n == 1 && out[0] == 'b', "U+10FFFF carries into the previous one");
    n = icetap_table_truncate_upper(1,
            (const uint8_t *) "\xed\x9f\xbfz", 4, 1, out);
    ok(n == 3 && memcmp(out, "\xee\x80\x80", 3) == 0,
       "surrogates are skipped (U+D7FF -> U+E000)");
    n = icetap_table_truncate_upper(0, (const uint8_t *) "\x01\xff\xff\x05",
                                    4, 3, out);
    ok(n == 1 && out[0] == 2, "binary upper bound carries over 0xff");
    n = icetap_table_truncate_upper(0, (const uint8_t *) "\xff\xff\x01", 3,
                                    2, out);
    is_int(n, 0, "no binary upper bound when all bytes are 0xff");
}


static void
test_v2(void)
{
    char                      loc[300], hint[300], buf[64];
    FILE                     *fp;
    int64_t                   sid;
    files_t                   fs;
    tt_ids_t                  ids;
    icetap_rc                 rc;
    icetap_error_t            err;
    icetap_schema_t          *schema;
    icetap_table_t           *t, *t2;
    icetap_table_conf_t       c;
    icetap_table_update_t    *u;
    icetap_roaring64_t       *pos;
    icetap_partition_spec_t   spec;
    icetap_table_writer_conf_t  wc;

    conf_init(&c, "v2", loc, sizeof(loc));
    schema = tt_schema();
    tt_spec(&spec, 0);

    rc = icetap_table_create(store, &c, 2, schema, &spec, NULL, NULL, &t,
                             &err);
    is_int(rc, ICETAP_OK, "create v2 table: %s", err.msg);
    ok(exists("wh/v2/metadata/v1.metadata.json"), "v1.metadata.json");
    ok(exists("wh/v2/metadata/metadata-location.text"), "pointer object");

    rc = icetap_table_create(store, &c, 2, schema, &spec, NULL, NULL, &t2,
                             &err);
    is_int(rc, ICETAP_CONFLICT, "creating it again: %s", err.msg);

    /* append 0..300 in three partitions, small files to roll over */

    rc = icetap_table_update_new(t, &u, &err);
    memset(&wc, 0, sizeof(wc));
    wc.target_file_rows = 40;
    wc.row_group_size = 1024;
    wc.codec_set = 1;
    wc.codec = ICETAP_PQ_SNAPPY;

    rc = tt_write(t, u, 0, 300, &wc, &err);
    is_int(rc, ICETAP_OK, "write 300 rows: %s", err.msg);
    rc = icetap_table_update_commit(u, &sid, &err);
    is_int(rc, ICETAP_OK, "fast append: %s", err.msg);
    icetap_table_update_free(u);

    list_files(t, &fs);
    is_int(fs.files, 9, "files rolled over at 40 rows: 3 per partition");
    is_int(fs.records, 300, "300 records in the manifests");
    ok(fs.bounds_ok, "string bounds truncated to 16 characters");
    ok(!fs.lineage_ok, "no row lineage in v2");

    rc = tt_read(t, -1, &ids, &err);
    ok(rc == ICETAP_OK && ids_are(&ids, 0, 300, 0, 0),
       "read back ids 0..299 with their values: %s", err.msg);
    free(ids.ids);

    snprintf(hint, sizeof(hint), "%s/wh/v2/metadata/version-hint.text", root);
    fp = fopen(hint, "r");
    ok(fp && fgets(buf, sizeof(buf), fp) && strcmp(buf, "2") == 0,
       "version-hint.text says 2");
    if (fp) {
        fclose(fp);
    }

    /* a second append, then position deletes */

    rc = tt_append(t, 300, 400, 0, &err);
    is_int(rc, ICETAP_OK, "second append: %s", err.msg);

    list_files(t, &fs);

    rc = icetap_table_update_new(t, &u, &err);
    pos = icetap_roaring64_create();
    icetap_roaring64_add(pos, 0);
    icetap_roaring64_add(pos, 2);
    icetap_table_update_delete_rows(u, fs.path[0], pos, &err);
    icetap_table_update_delete_row(u, fs.path[1], 1, &err);
    rc = icetap_table_update_commit(u, NULL, &err);
    is_int(rc, ICETAP_OK, "v2 position deletes: %s", err.msg);
    icetap_table_update_free(u);
    icetap_roaring64_destroy(pos);

    is_str(icetap_kvs_get(&icetap_metadata_current_snapshot(
                              icetap_table_metadata(t))->summary,
                          "operation"), "delete", "operation delete");

    list_files(t, &fs);
    is_int(fs.deleted, 3, "three positions deleted");

    rc = tt_read(t, -1, &ids, &err);
    ok(rc == ICETAP_OK && ids.n == 397, "397 live rows (%zu): %s", ids.n,
       err.msg);
    free(ids.ids);

    rc = tt_read(t, sid, &ids, &err);
    ok(rc == ICETAP_OK && ids_are(&ids, 0, 300, 0, 0),
       "time travel to the first snapshot");
    free(ids.ids);

    /* overwrite: remove the file with deletes, add rows 1000..1010 */

    rc = icetap_table_update_new(t, &u, &err);
    icetap_table_update_remove_file(u, fs.path[0], &err);
    tt_write(t, u, 1000, 1010, NULL, &err);
    rc = icetap_table_update_commit(u, NULL, &err);
    is_int(rc, ICETAP_OK, "overwrite: %s", err.msg);
    icetap_table_update_free(u);

    is_str(icetap_kvs_get(&icetap_metadata_current_snapshot(
                              icetap_table_metadata(t))->summary,
                          "operation"), "overwrite", "operation overwrite");

    list_files(t, &fs);
    is_int(fs.deleted, 1, "its position deletes went with the file");

    /* a stale handle removing the same file conflicts for good */

    rc = icetap_table_open(store, &c, &t2, &err);
    is_int(rc, ICETAP_OK, "second handle: %s", err.msg);

    rc = icetap_table_update_new(t2, &u, &err);
    icetap_table_update_remove_file(u, fs.path[1], &err);
    rc = icetap_table_update_commit(u, NULL, &err);
    is_int(rc, ICETAP_OK, "handle 2 removes a file: %s", err.msg);
    icetap_table_update_free(u);

    rc = icetap_table_update_new(t, &u, &err);
    icetap_table_update_remove_file(u, fs.path[1], &err);
    rc = icetap_table_update_commit(u, NULL, &err);
    is_int(rc, ICETAP_CONFLICT, "handle 1 removing it too: %s", err.msg);
    icetap_table_update_free(u);

    rc = icetap_table_update_new(t, &u, &err);
    icetap_table_update_delete_row(u, fs.path[1], 5, &err);
    rc = icetap_table_update_commit(u, NULL, &err);
    is_int(rc, ICETAP_CONFLICT, "deleting rows of a removed file: %s",
           err.msg);
    icetap_table_update_free(u);

    icetap_table_close(t2);
    icetap_table_close(t);
    icetap_schema_free(schema);
    icetap_partition_spec_clear(&spec);
}


/* the manifests of the current snapshot: counts of kinds */

static void
count_manifests(icetap_table_t *t, size_t *data, size_t *deletes)
{
    size_t                   n;
    icetap_buf_t             b;
    icetap_error_t           err;
    icetap_manifest_file_t   mf;
    icetap_manifest_list_reader_t  *r;
    const icetap_snapshot_t *snap;
    char                    *key;

    *data = *deletes = 0;
    snap = icetap_metadata_current_snapshot(icetap_table_metadata(t));
    memset(&b, 0, sizeof(b));
    key = icetap_table_key(t, snap->manifest_list);

    if (icetap_store_get_buf(store, key, &b, &err) != ICETAP_OK
        || icetap_manifest_list_reader_create_mem(b.data, b.len, &r, &err)
           != ICETAP_OK)
    {
        free(key);
        icetap_buf_free(&b);
        return;
    }

    for (n = 0; icetap_manifest_list_reader_next(r, &mf, &err) == ICETAP_OK;
         n++)
    {
        if (mf.content == ICETAP_MANIFEST_DATA) {
            (*data)++;

        } else {
            (*deletes)++;
        }
    }

    icetap_manifest_list_reader_destroy(r);
    icetap_buf_free(&b);
    free(key);
}


static void
test_v3(void)
{
    char                      loc[300];
    size_t                    nd, ndel;
    files_t                   fs;
    tt_ids_t                  ids;
    icetap_rc                 rc;
    icetap_error_t            err;
    icetap_schema_t          *schema;
    icetap_table_t           *t;
    icetap_table_conf_t       c;
    icetap_table_update_t    *u;
    icetap_partition_spec_t   spec;
    const icetap_table_metadata_t  *md;
    const icetap_snapshot_t  *snap;

    conf_init(&c, "v3", loc, sizeof(loc));
    c.naming = ICETAP_TABLE_NAMING_CATALOG;
    schema = tt_schema();
    tt_spec(&spec, 1);

    rc = icetap_table_create(store, &c, 3, schema, &spec, NULL, NULL, &t,
                             &err);
    is_int(rc, ICETAP_OK, "create v3 table, catalog naming: %s", err.msg);
    ok(strstr(icetap_table_metadata_location(t), "/00001-") != NULL,
       "metadata file named 00001-<uuid>");
    ok(!exists("wh/v3/metadata/version-hint.text"),
       "no version hint with catalog naming");

    rc = tt_append(t, 0, 120, 0, &err);
    is_int(rc, ICETAP_OK, "append 120 rows: %s", err.msg);
    rc = tt_append(t, 120, 200, 0, &err);
    is_int(rc, ICETAP_OK, "append 80 rows: %s", err.msg);

    md = icetap_table_metadata(t);
    snap = icetap_metadata_current_snapshot(md);
    is_int(md->next_row_id, 200, "next-row-id 200");
    is_int(snap->first_row_id, 120, "second snapshot first-row-id 120");
    is_int(snap->added_rows, 80, "added-rows 80");

    list_files(t, &fs);
    ok(fs.lineage_ok && fs.min_row_id == 0,
       "every data file has an inherited first_row_id from 0");

    /* a DV, then more deletes on the same file: the DVs merge */

    rc = icetap_table_update_new(t, &u, &err);
    icetap_table_update_delete_row(u, fs.path[0], 0, &err);
    icetap_table_update_delete_row(u, fs.path[0], 3, &err);
    rc = icetap_table_update_commit(u, NULL, &err);
    is_int(rc, ICETAP_OK, "deletion vector: %s", err.msg);
    icetap_table_update_free(u);

    rc = icetap_table_update_new(t, &u, &err);
    icetap_table_update_delete_row(u, fs.path[0], 1, &err);
    icetap_table_update_delete_row(u, fs.path[0], 3, &err);
    icetap_table_update_delete_row(u, fs.path[1], 0, &err);
    rc = icetap_table_update_commit(u, NULL, &err);
    is_int(rc, ICETAP_OK, "deletes on top of the DV: %s", err.msg);
    icetap_table_update_free(u);

    md = icetap_table_metadata(t);
    snap = icetap_metadata_current_snapshot(md);
    is_str(icetap_kvs_get(&snap->summary, "added-dvs"), "2", "added-dvs 2");
    is_str(icetap_kvs_get(&snap->summary, "removed-dvs"), "1",
           "removed-dvs 1 (the old DV)");
    is_str(icetap_kvs_get(&snap->summary, "total-position-deletes"), "4",
           "total-position-deletes 4 = {0,1,3} + {0}");

    list_files(t, &fs);
    is_int(fs.deleted, 4, "4 deleted positions apply");

    count_manifests(t, &nd, &ndel);
    ok(nd >= 1 && ndel == 2,
       "delete manifests: the new one and the rewritten old one (%zu)",
       ndel);

    rc = tt_read(t, -1, &ids, &err);
    ok(rc == ICETAP_OK && ids.n == 196, "196 live rows (%zu): %s", ids.n,
       err.msg);
    free(ids.ids);

    is_int(icetap_table_metadata(t)->next_row_id, 200,
           "deletes use no row ids");

    rc = icetap_table_update_new(t, &u, &err);
    icetap_table_update_delete_row(u, fs.path[2], 1000000, &err);
    rc = icetap_table_update_commit(u, NULL, &err);
    is_int(rc, ICETAP_INVALID, "a position past the file's rows: %s",
           err.msg);
    icetap_table_update_free(u);

    icetap_table_close(t);
    icetap_schema_free(schema);
    icetap_partition_spec_clear(&spec);
}


static void
test_merge_and_expire(void)
{
    int                       i;
    char                      loc[300], path[600];
    size_t                    nd, ndel, before;
    files_t                   fs;
    tt_ids_t                  ids;
    icetap_rc                 rc;
    icetap_error_t            err;
    icetap_schema_t          *schema;
    icetap_table_t           *t;
    icetap_table_conf_t       c;
    icetap_table_update_t    *u;
    icetap_partition_spec_t   spec;
    icetap_table_expired_t    ex;

    conf_init(&c, "merge", loc, sizeof(loc));
    c.merge_min_count = 3;
    schema = tt_schema();
    tt_spec(&spec, 0);

    rc = icetap_table_create(store, &c, 3, schema, &spec, NULL, NULL, &t,
                             &err);
    is_int(rc, ICETAP_OK, "create: %s", err.msg);

    for (i = 0; i < 8; i++) {
        rc = tt_append(t, i * 10, i * 10 + 10, 1, &err);
        if (rc != ICETAP_OK) {
            break;
        }
    }

    is_int(rc, ICETAP_OK, "8 merging appends: %s", err.msg);
    count_manifests(t, &nd, &ndel);
    ok(nd <= 4, "manifest count stays bounded (%zu data manifests)", nd);

    rc = tt_read(t, -1, &ids, &err);
    ok(rc == ICETAP_OK && ids_are(&ids, 0, 80, 0, 0), "all 80 rows");
    free(ids.ids);

    list_files(t, &fs);
    ok(fs.lineage_ok, "merged entries keep their first_row_id");

    /* overwrite one file, then expire all but the current snapshot */

    snprintf(path, sizeof(path), "%s", fs.path[0]);
    rc = icetap_table_update_new(t, &u, &err);
    icetap_table_update_remove_file(u, path, &err);
    rc = icetap_table_update_commit(u, NULL, &err);
    is_int(rc, ICETAP_OK, "remove one file: %s", err.msg);
    icetap_table_update_free(u);

    ok(exists(path + strlen("file://") + strlen(root) + 1),
       "removed file still there before expiry");

    rc = tt_read(t, -1, &ids, &err);
    before = ids.n;
    ok(rc == ICETAP_OK && before < 80, "%zu rows after the removal", before);
    free(ids.ids);

    rc = icetap_table_expire(t, icetap_table_now_ms() + 1, 1, 3, &ex, &err);
    is_int(rc, ICETAP_OK, "expire: %s", err.msg);
    is_int(ex.snapshots, 8, "8 snapshots expired");
    is_int(ex.data_files, 1, "the removed data file deleted");
    is_int(ex.manifest_lists, 8, "their manifest lists deleted");
    ok(ex.manifests > 0, "%zu manifests deleted", ex.manifests);
    ok(ex.metadata_files > 0, "%zu old metadata files deleted",
       ex.metadata_files);
    ok(!exists(path + strlen("file://") + strlen(root) + 1),
       "the removed data file is gone");
    is_int(icetap_table_metadata(t)->nsnapshots, 1, "one snapshot left");
    is_int(icetap_table_metadata(t)->nmetadata_log, 3,
           "metadata log kept to 3");

    rc = tt_read(t, -1, &ids, &err);
    ok(rc == ICETAP_OK && ids.n == before,
       "current rows still readable after expiry: %s", err.msg);
    free(ids.ids);

    icetap_table_close(t);
    icetap_schema_free(schema);
    icetap_partition_spec_clear(&spec);
}


/* two handles: in every round both commit from the same base */

/* the writer's byte count: closed files plus what open files flushed */

static void
test_writer_bytes(void)
{
    char                        loc[300], name[96];
    size_t                      i;
    int64_t                     id;
    uint64_t                    before, sum;
    icetap_error_t              err;
    icetap_value_t              v[TT_NCOLS];
    icetap_schema_t            *schema;
    icetap_table_t             *t;
    icetap_table_conf_t         c;
    icetap_table_writer_t      *w;
    icetap_partition_spec_t     spec;
    icetap_table_writer_conf_t  wc;

    conf_init(&c, "bytes", loc, sizeof(loc));
    schema = tt_schema();
    tt_spec(&spec, 0);

    if (icetap_table_create(store, &c, 2, schema, &spec, NULL, NULL, &t,
                            &err)
        != ICETAP_OK)
    {
        ok(0, "create: %s", err.msg);
        return;
    }

    memset(&wc, 0, sizeof(wc));
    wc.row_group_size = 1024;
    wc.target_file_rows = 2000;

    icetap_table_writer_open(t, &wc, &w, &err);
    is_int(icetap_table_writer_bytes(w), 0, "nothing written: 0 bytes");

    /* 1100 rows per partition: a row group flushed in each open file */

    for (id = 0; id < 3300; id++) {
        tt_row(id, v, name, sizeof(name));
        icetap_table_writer_row(w, v, TT_NCOLS);
    }

    before = icetap_table_writer_bytes(w);
    ok(icetap_table_writer_nfiles(w) == 0 && before > 3 * 1024,
       "three open files count their flushed row groups (%llu bytes)",
       (unsigned long long) before);

    for (id = 3300; id < 9000; id++) {
        tt_row(id, v, name, sizeof(name));
        icetap_table_writer_row(w, v, TT_NCOLS);
    }

    ok(icetap_table_writer_nfiles(w) > 0
       && icetap_table_writer_bytes(w) > before,
       "rolled files and open ones both count");

    icetap_table_writer_close(w);

    sum = 0;
    for (i = 0; i < icetap_table_writer_nfiles(w); i++) {
        sum += (uint64_t) icetap_table_writer_file(w, i)->file_size_in_bytes;
    }

    ok(sum > 0 && icetap_table_writer_bytes(w) == sum,
       "after close: the sum of the file sizes (%llu)",
       (unsigned long long) sum);

    icetap_table_writer_abort(w);
    icetap_table_writer_free(w);
    icetap_partition_spec_clear(&spec);
    icetap_schema_free(schema);
    icetap_table_close(t);
}


static void
test_races(void)
{
    int                       r, status;
    char                      loc[300];
    pid_t                     pid;
    tt_ids_t                  ids;
    icetap_rc                 rc1, rc2;
    icetap_error_t            err;
    icetap_schema_t          *schema;
    icetap_table_t           *t1, *t2;
    icetap_table_conf_t       c;
    icetap_partition_spec_t   spec;
    icetap_table_update_t    *u1, *u2;

    conf_init(&c, "race", loc, sizeof(loc));
    c.retry_base_ms = 1;
    schema = tt_schema();
    tt_spec(&spec, 0);

    icetap_table_create(store, &c, 2, schema, &spec, NULL, NULL, &t1, &err);
    icetap_table_open(store, &c, &t2, &err);

    for (r = 0; r < 4; r++) {
        icetap_table_refresh(t1, &err);
        icetap_table_refresh(t2, &err);

        icetap_table_update_new(t1, &u1, &err);
        icetap_table_update_new(t2, &u2, &err);
        tt_write(t1, u1, r * 100, r * 100 + 10, NULL, &err);
        tt_write(t2, u2, r * 100 + 50, r * 100 + 60, NULL, &err);

        rc1 = icetap_table_update_commit(u1, NULL, &err);
        rc2 = icetap_table_update_commit(u2, NULL, &err);
        ok(rc1 == ICETAP_OK && rc2 == ICETAP_OK,
           "round %d: both commits land", r);

        icetap_table_update_free(u1);
        icetap_table_update_free(u2);
    }

    is_int(icetap_table_stats(t2)->conflicts, 4,
           "the second handle lost once per round and retried");
    is_int(icetap_table_stats(t1)->conflicts, 0,
           "the first handle never lost");

    icetap_table_refresh(t1, &err);
    is_int(icetap_table_metadata(t1)->nsnapshots, 8,
           "all 8 commits are in the history");

    rc1 = tt_read(t1, -1, &ids, &err);
    ok(rc1 == ICETAP_OK && ids.n == 80, "80 rows from both writers");
    free(ids.ids);

    /* two processes, 6 commits each, all at once */

    pid = fork();
    if (pid == 0) {
        icetap_store_t  *s;
        icetap_table_t  *t;

        srand((unsigned) getpid());
        s = icetap_store_fs_create(root, &err);
        if (icetap_table_open(s, &c, &t, &err) != ICETAP_OK) {
            _exit(2);
        }

        for (r = 0; r < 6; r++) {
            if (tt_append(t, 10000 + r * 10, 10000 + r * 10 + 10, 0, &err)
                != ICETAP_OK)
            {
                _exit(1);
            }
        }

        icetap_table_close(t);
        icetap_store_destroy(s);
        _exit(0);
    }

    for (r = 0; r < 6; r++) {
        rc1 = tt_append(t2, 20000 + r * 10, 20000 + r * 10 + 10, 0, &err);
        if (rc1 != ICETAP_OK) {
            break;
        }
    }

    waitpid(pid, &status, 0);
    ok(rc1 == ICETAP_OK && WIFEXITED(status) && WEXITSTATUS(status) == 0,
       "two processes committed 6 times each: %s", err.msg);

    icetap_table_refresh(t1, &err);
    is_int(icetap_table_metadata(t1)->nsnapshots, 20, "20 snapshots");

    rc1 = tt_read(t1, -1, &ids, &err);
    ok(rc1 == ICETAP_OK && ids.n == 200, "200 rows, none lost (%zu)",
       ids.n);
    free(ids.ids);

    icetap_table_close(t1);
    icetap_table_close(t2);
    icetap_schema_free(schema);
    icetap_partition_spec_clear(&spec);
}


int
main(void)
{
    char             cmd[300];
    const char      *tmp;
    icetap_error_t   err;

    tmp = getenv("TMPDIR");
    snprintf(root, sizeof(root), "%s/icetap-table-XXXXXX",
             tmp ? tmp : "/tmp");

    if (mkdtemp(root) == NULL) {
        printf("1..0 # SKIP cannot create a temporary directory\n");
        return 0;
    }

    store = icetap_store_fs_create(root, &err);
    if (store == NULL) {
        printf("1..0 # SKIP fs store: %s\n", err.msg);
        return 0;
    }

    test_truncate();
    test_v2();
    test_v3();
    test_merge_and_expire();
    test_writer_bytes();
    test_races();

    icetap_store_destroy(store);

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    if (getenv("ICETAP_KEEP") == NULL && system(cmd) != 0) {
        diag("could not remove %s", root);
    }

    return done_testing();
}
