/*
 * Copyright (C) icetap authors
 *
 * The catalog and the journal writer over a filesystem store: tables
 * created through catalog entries, the pointer swap, batches committed
 * with their cursor, a restarted writer neither losing nor repeating a
 * record, other buckets and older records skipped, bounded metadata.
 */


#include <dirent.h>
#include <fcntl.h>
#include <time.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>

#include <jansson.h>

#include <icetap/journal_writer.h>

#include "tap.h"


static char             root[] = "/tmp/icetap-jw-test-XXXXXX";
static char             wal[300];
static icetap_store_t  *store;


static void
rec_init(icetap_wal_rec_t *rec, const char *bucket, int64_t t, uint64_t seq,
    const char *key)
{
    memset(rec, 0, sizeof(icetap_wal_rec_t));
    rec->op = ICETAP_WAL_OP_PUT;
    rec->flags = ICETAP_WAL_F_SIZE | ICETAP_WAL_F_DM_KNOWN
                 | ICETAP_WAL_F_META | ICETAP_WAL_F_TAGS;
    rec->time_us = t;
    rec->seq = seq;
    rec->size = (int64_t) seq * 10;
    rec->bucket.data = bucket;
    rec->bucket.len = strlen(bucket);
    rec->key.data = key;
    rec->key.len = strlen(key);
    rec->requester.data = "AKID";
    rec->requester.len = 4;
}


/* n records: of "b" at t0 + i, every third of "other", the first older */

static void
write_segment(const char *name, int n, int64_t t0, int seal, int *mine)
{
    int                    fd, i;
    char                   path[400], key[32];
    size_t                 len;
    uint8_t                hdr[ICETAP_WAL_SEG_HDR_SIZE], buf[2048];
    icetap_wal_rec_t       rec;
    icetap_wal_seg_info_t  info;

    snprintf(path, sizeof(path), "%s/%s", wal, name);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    info.version = ICETAP_WAL_SEG_VERSION;
    info.pid = 999999;
    info.created_ms = t0 / 1000;
    info.segno = 1;
    icetap_wal_seg_header(&info, hdr);
    (void) !write(fd, hdr, sizeof(hdr));

    *mine = 0;

    for (i = 0; i < n; i++) {
        snprintf(key, sizeof(key), "%s/k%04d", name, i);

        if (i == 0) {
            rec_init(&rec, "b", t0 - 86400000000LL, i, key);

        } else if (i % 3 == 0) {
            rec_init(&rec, "other", t0 + i, i, key);

        } else {
            rec_init(&rec, "b", t0 + i, i, key);
            (*mine)++;
        }

        len = icetap_wal_frame_encode(&rec, buf);
        (void) !write(fd, buf, len);
    }

    if (seal) {
        memset(&rec, 0, sizeof(rec));
        rec.op = ICETAP_WAL_OP_SEAL;
        len = icetap_wal_frame_encode(&rec, buf);
        (void) !write(fd, buf, len);
    }

    close(fd);
}


/* the live rows: their count, keys sorted, each key once */

static size_t
count_rows(icetap_table_t *t, size_t *dups, int64_t *sizes)
{
    char                    **keys, *k;
    size_t                    n, cap, i;
    icetap_rc                 rc;
    icetap_error_t            err;
    icetap_value_t            v;
    icetap_table_batch_t      b;
    icetap_table_reader_t    *r;

    n = 0;
    cap = 0;
    keys = NULL;
    *dups = 0;
    *sizes = 0;

    if (icetap_table_reader_open(t, -1, &r, &err) != ICETAP_OK) {
        return (size_t) -1;
    }

    while ((rc = icetap_table_reader_next(r, &b, &err)) == ICETAP_OK) {
        for (i = 0; i < b.nrows; i++) {
            if (!b.live[i]
                || icetap_table_batch_value(&b, 2, i, &v, &err) != ICETAP_OK)
            {
                continue;
            }

            k = strndup((const char *) v.v.bin.data, v.v.bin.len);

            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                keys = realloc(keys, cap * sizeof(char *));
            }

            keys[n++] = k;

            if (icetap_table_batch_value(&b, 8, i, &v, &err) == ICETAP_OK
                && !v.is_null)
            {
                *sizes += v.v.l;
            }
        }
    }

    icetap_table_reader_free(r);

    for (i = 0; i < n; i++) {
        size_t  j;

        for (j = i + 1; j < n; j++) {
            if (strcmp(keys[i], keys[j]) == 0) {
                (*dups)++;
            }
        }
    }

    for (i = 0; i < n; i++) {
        free(keys[i]);
    }

    free(keys);

    return rc == ICETAP_EOF ? n : (size_t) -1;
}


static size_t
count_files(const char *sub, const char *suffix)
{
    char            path[600];
    size_t          n, sl, el;
    DIR            *d;
    struct dirent  *e;

    snprintf(path, sizeof(path), "%s/%s", root, sub);
    d = opendir(path);
    n = 0;

    if (d == NULL) {
        return 0;
    }

    sl = strlen(suffix);

    while ((e = readdir(d)) != NULL) {
        el = strlen(e->d_name);
        n += el > sl && strcmp(e->d_name + el - sl, suffix) == 0;
    }

    closedir(d);

    return n;
}


static void
jt_conf(icetap_journal_table_conf_t *c, const char *arn)
{
    memset(c, 0, sizeof(*c));
    c->state_bucket = "state";
    c->table_bucket = "aws-s3";
    c->bucket_arn = "arn:aws:s3tables:us-east-1:111122223333:bucket/aws-s3";
    c->namespace = "b_b";
    c->name = "journal";
    c->arn = arn;
}


static void
test_catalog(void)
{
    char                     key[300], *loc;
    icetap_rc                rc;
    icetap_error_t           err;
    icetap_catalog_table_t   e, cur;
    icetap_catalog_pointer_t cp;

    ok(icetap_catalog_valid_bucket("aws-s3"), "aws-s3 is a bucket name");
    ok(!icetap_catalog_valid_bucket("Aws_s3"), "Aws_s3 is not");
    ok(icetap_catalog_valid_name("b_my-bucket"), "namespaces keep hyphens");
    ok(!icetap_catalog_valid_name("a/b") && !icetap_catalog_valid_name("a.b"),
       "no slash, no dot");
    ok(icetap_catalog_table_key("aws-s3", "ns", "t", key, sizeof(key))
       == ICETAP_OK && strcmp(key, "icetap/catalog/aws-s3/ns/t.json") == 0,
       "table key %s", key);

    rc = icetap_catalog_table_init(&e, "state", "aws-s3", "ns", "t",
                                   "arn:aws:s3tables:r:a:bucket/aws-s3/table/"
                                   "1234-abcd", NULL, NULL, &err);
    is_int(rc, ICETAP_OK, "init entry: %s", err.msg);
    is_str(e.table_id, "1234-abcd", "id from the ARN");
    is_str(e.warehouse_location, "s3://state/icetap/warehouse/aws-s3/"
           "1234-abcd", "warehouse location");
    is_str(icetap_catalog_table_prefix(&e), "icetap/warehouse/aws-s3/"
           "1234-abcd", "its prefix");

    cp.store = store;
    cp.entry = &e;

    rc = icetap_catalog_pointer_load(&cp, &loc, &err);
    is_int(rc, ICETAP_NOTFOUND, "no entry yet");

    rc = icetap_catalog_pointer_swap(&cp, NULL, "s3://state/m1", &err);
    is_int(rc, ICETAP_OK, "create: %s", err.msg);
    rc = icetap_catalog_pointer_swap(&cp, NULL, "s3://state/m1b", &err);
    is_int(rc, ICETAP_CONFLICT, "create again conflicts");
    rc = icetap_catalog_pointer_swap(&cp, "s3://state/m1", "s3://state/m2",
                                     &err);
    is_int(rc, ICETAP_OK, "swap m1 -> m2: %s", err.msg);
    rc = icetap_catalog_pointer_swap(&cp, "s3://state/m1", "s3://state/m3",
                                     &err);
    is_int(rc, ICETAP_CONFLICT, "a stale swap conflicts");

    rc = icetap_catalog_table_load(store, "aws-s3", "ns", "t", &cur, NULL,
                                   &err);
    ok(rc == ICETAP_OK && strcmp(cur.metadata_location, "s3://state/m2") == 0
       && strcmp(cur.version_token, "2") == 0, "entry: m2, version 2");
    if (rc == ICETAP_OK) {
        icetap_catalog_table_free(&cur);
    }

    icetap_catalog_table_free(&e);
}


typedef struct {
    size_t  n;
    int     journal;
} tables_t;


static icetap_rc
on_table(void *ctx, const icetap_catalog_table_t *t)
{
    tables_t  *x = ctx;

    x->n++;
    x->journal += strcmp(t->name, "journal") == 0;

    return ICETAP_OK;
}


static void
test_writer(void)
{
    int                           mine1, mine2, more, i, m;
    char                          name[400];
    size_t                        rows, dups, total, expect;
    int64_t                       t0, sizes;
    tables_t                      tl;
    icetap_rc                     rc;
    const char                   *s;
    icetap_error_t                err;
    icetap_snapshot_t            *snap;
    icetap_wal_cursor_t           c;
    icetap_journal_table_t       *jt, *jt2;
    icetap_journal_writer_t      *jw, *jw2;
    icetap_journal_table_conf_t   tc;
    icetap_journal_writer_conf_t  wc;

    t0 = 1790000000000000LL;

    jt_conf(&tc, "arn:aws:s3tables:us-east-1:111122223333:bucket/aws-s3/"
            "table/0000-1111");

    rc = icetap_journal_table_open(store, &tc, 0, &jt, &err);
    is_int(rc, ICETAP_NOTFOUND, "no table without create");

    rc = icetap_journal_table_open(store, &tc, 1, &jt, &err);
    is_int(rc, ICETAP_OK, "create the journal table: %s", err.msg);
    if (rc != ICETAP_OK) {
        return;
    }

    ok(jt->created, "created by this call");
    is_int(icetap_table_metadata(jt->table)->format_version, 3, "v3");
    is_str(icetap_table_metadata(jt->table)->specs[0].fields[0].transform_str,
           "day", "partitioned by day(record_timestamp)");

    rc = icetap_journal_table_open(store, &tc, 1, &jt2, &err);
    ok(rc == ICETAP_OK && !jt2->created, "opening it again finds it");
    icetap_journal_table_close(jt2);

    tc.arn = "arn:aws:s3tables:us-east-1:111122223333:bucket/aws-s3/"
             "table/2222";
    rc = icetap_journal_table_open(store, &tc, 1, &jt2, &err);
    is_int(rc, ICETAP_CONFLICT, "another ARN: the table already exists");
    tc.arn = NULL;

    memset(&tl, 0, sizeof(tl));
    rc = icetap_catalog_tables(store, NULL, on_table, &tl, &err);
    ok(rc == ICETAP_OK && tl.n == 2 && tl.journal == 1,
       "catalog lists both tables (%zu): %s", tl.n, err.msg);

    write_segment("100-1-1.wal", 40, t0, 1, &mine1);
    write_segment("200-1-2.wal", 25, t0 + 1000, 0, &mine2);

    memset(&wc, 0, sizeof(wc));
    wc.wal_dir = wal;
    wc.bucket = "b";
    wc.enabled_at_us = t0 - 1000;
    wc.max_records = 50;

    rc = icetap_journal_writer_open(jt->table, &wc, &jw, &err);
    is_int(rc, ICETAP_OK, "writer");

    rc = icetap_journal_writer_step(jw, &rows, &more, &err);
    is_int(rc, ICETAP_OK, "first step: %s", err.msg);
    ok(more, "records remain after 50");

    total = rows;
    rc = icetap_journal_writer_step(jw, &rows, &more, &err);
    is_int(rc, ICETAP_OK, "second step: %s", err.msg);
    ok(!more, "all read");
    total += rows;
    expect = mine1 + mine2;
    is_int(total, expect, "rows of bucket b after enabling only");

    snap = icetap_metadata_current_snapshot(icetap_table_metadata(jt->table));
    s = snap ? icetap_kvs_get(&snap->summary, ICETAP_JOURNAL_CURSOR_KEY)
             : NULL;
    ok(s && strstr(s, "100-1-1.wal") && strstr(s, "200-1-2.wal"),
       "cursor in the snapshot summary: %s", s ? s : "none");

    is_int(count_rows(jt->table, &dups, &sizes), expect, "rows read back");
    is_int(dups, 0, "no key twice");

    /* a restarted writer starts from the table's cursor */

    icetap_journal_writer_free(jw);
    rc = icetap_journal_writer_open(jt->table, &wc, &jw, &err);
    rc = icetap_journal_writer_step(jw, &rows, &more, &err);
    ok(rc == ICETAP_OK && rows == 0, "restart: nothing again (%zu)", rows);

    /* a second handle on the table: also nothing twice */

    rc = icetap_journal_table_open(store, &tc, 0, &jt2, &err);
    rc = icetap_journal_writer_open(jt2->table, &wc, &jw2, &err);

    write_segment("300-1-3.wal", 10, t0 + 2000, 1, &m);

    rc = icetap_journal_writer_step(jw, &rows, &more, &err);
    ok(rc == ICETAP_OK && rows == (size_t) m, "new segment: %d rows", m);
    rc = icetap_journal_writer_step(jw2, &rows, &more, &err);
    ok(rc == ICETAP_OK && rows == 0, "the other handle sees them committed");
    expect += m;

    is_int(count_rows(jt->table, &dups, &sizes), expect, "rows now");
    is_int(dups, 0, "still none twice");

    icetap_journal_writer_free(jw2);
    icetap_journal_table_close(jt2);

    /* lag: records after the cursor */

    write_segment("400-1-4.wal", 7, t0 + 3000, 0, &m);
    {
        uint64_t  nrec;
        int64_t   oldest;

        rc = icetap_journal_writer_lag(jw, 1000, &nrec, &oldest, &err);
        ok(rc == ICETAP_OK && nrec == (uint64_t) m && oldest == t0 + 3001,
           "lag: %d records, oldest at t0 + 3001", m);
    }

    /* segments consumed by every table: here the one table's cursor */

    {
        char                       **names, **cons;
        size_t                       n, nc;
        icetap_wal_cursor_t          min;
        const icetap_wal_cursor_t   *cs[1];

        icetap_wal_list(wal, &names, &n, &err);
        cs[0] = icetap_journal_writer_cursor(jw);

        ok(icetap_journal_cursor_min(cs, 1, names, n, &min) == ICETAP_OK,
           "min cursor");
        ok(icetap_wal_consumed(wal, &min, &cons, &nc, &err) == ICETAP_OK
           && nc == 3, "three segments consumed, not the unread one");
        icetap_wal_free_list(cons, nc);
        icetap_wal_cursor_free(&min);

        ok(icetap_journal_cursor_min(NULL, 0, names, n, &min) == ICETAP_OK
           && icetap_wal_consumed(wal, &min, &cons, &nc, &err) == ICETAP_OK
           && nc == 4, "no table: every finished segment is consumed");
        icetap_wal_free_list(cons, nc);
        icetap_wal_cursor_free(&min);

        icetap_wal_free_list(names, n);
    }

    /* deleted segments leave the cursor */

    snprintf(name, sizeof(name), "%s/100-1-1.wal", wal);
    unlink(name);

    rc = icetap_journal_writer_step(jw, &rows, &more, &err);
    ok(rc == ICETAP_OK && rows == (size_t) m, "the last segment's rows");
    expect += m;

    memset(&c, 0, sizeof(c));
    snap = icetap_metadata_current_snapshot(icetap_table_metadata(jt->table));
    s = icetap_kvs_get(&snap->summary, ICETAP_JOURNAL_CURSOR_KEY);
    ok(s && strstr(s, "100-1-1.wal") == NULL && strstr(s, "400-1-4.wal"),
       "a removed segment leaves the cursor");

    /* many commits: metadata stays bounded */

    for (i = 0; i < 12; i++) {
        snprintf(name, sizeof(name), "5%02d-1-1.wal", i);
        write_segment(name, 4, t0 + 5000 + i * 10, 1, &m);

        rc = icetap_journal_writer_step(jw, &rows, &more, &err);
        if (rc != ICETAP_OK || rows != (size_t) m) {
            break;
        }

        expect += m;
    }

    ok(i == 12, "12 more commits: %s", err.msg);
    is_int(count_rows(jt->table, &dups, &sizes), expect, "all rows");
    is_int(dups, 0, "none twice");

    snprintf(name, sizeof(name), "%s/metadata",
             icetap_catalog_table_prefix(&jt->entry));
    ok(count_files(name, ".metadata.json") <= 11,
       "old metadata files removed (%zu left)",
       count_files(name, ".metadata.json"));

    /* record expiration: whole days, the cursor carried on */

    {
        size_t    nf;
        uint64_t  nr;

        rc = icetap_journal_expire_records(jt->table, t0, &nf, &nr, &err);
        ok(rc == ICETAP_OK && nf == 0, "nothing expires before its day ends");

        rc = icetap_journal_expire_records(jt->table, t0 + 86400000000LL,
                                           &nf, &nr, &err);
        ok(rc == ICETAP_OK && nr == expect && nf > 0,
           "a day later every row expires: %zu files: %s", nf, err.msg);
        is_int(count_rows(jt->table, &dups, &sizes), 0, "no rows left");

        write_segment("600-1-1.wal", 4, t0 + 90000, 1, &m);
        rc = icetap_journal_writer_step(jw, &rows, &more, &err);
        ok(rc == ICETAP_OK && rows == (size_t) m,
           "after expiry only the new segment's %d rows", m);
        expect = m;
    }

    {
        icetap_table_expired_t  ex;

        rc = icetap_table_expire(jt->table, icetap_table_now_ms() + 1000, 1,
                                 0, &ex, &err);
        ok(rc == ICETAP_OK && ex.snapshots > 0, "expire all but one: %zu",
           ex.snapshots);
        is_int(icetap_table_metadata(jt->table)->nsnapshots, 1,
               "one snapshot kept");
        is_int(count_rows(jt->table, &dups, &sizes), expect,
               "rows unchanged by expiry");
    }

    icetap_wal_cursor_free(&c);
    icetap_journal_writer_free(jw);
    icetap_journal_table_close(jt);
}


int
main(void)
{
    char            cmd[400];
    icetap_error_t  err;

    if (mkdtemp(root) == NULL) {
        printf("Bail out! mkdtemp\n");
        return 1;
    }

    snprintf(wal, sizeof(wal), "%s/wal", root);
    mkdir(wal, 0700);

    store = icetap_store_fs_create(root, &err);
    if (store == NULL) {
        printf("Bail out! %s\n", err.msg);
        return 1;
    }

    test_catalog();
    test_writer();

    icetap_store_destroy(store);

    snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
    (void) !system(cmd);

    return done_testing();
}
