/*
 * Copyright (C) icetap authors
 *
 * Journal rows and their NULL rules; the WAL cursor; batches of records
 * and which segments are consumed.
 */


#include <fcntl.h>
#include <time.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>

#include <jansson.h>

#include <icetap/journal.h>

#include "tap.h"


#define S(lit)  { lit, sizeof(lit) - 1 }


static char  dir[] = "/tmp/icetap-journal-test-XXXXXX";


static void
base(icetap_wal_rec_t *rec, int op)
{
    memset(rec, 0, sizeof(icetap_wal_rec_t));
    rec->op = op;
    rec->time_us = 1700000000123456LL;
    rec->seq = 0xabc;
    rec->bucket.data = "b";
    rec->bucket.len = 1;
    rec->key.data = "k";
    rec->key.len = 1;
    rec->requester.data = "AKID";
    rec->requester.len = 4;
}


static void
test_rows(void)
{
    icetap_kv_t              tags[1] = { { S("t"), S("1") } };
    icetap_kv_t              etags[1] = { { S("e"), S("2") } };
    icetap_error_t           err;
    icetap_wal_rec_t         rec;
    icetap_journal_row_t     row;
    icetap_journal_enrich_t  e;

    /* a PUT: everything from the wire */

    base(&rec, ICETAP_WAL_OP_PUT);
    rec.flags = ICETAP_WAL_F_SIZE | ICETAP_WAL_F_TAGS | ICETAP_WAL_F_META
                | ICETAP_WAL_F_DM_KNOWN | ICETAP_WAL_F_STORAGE_CLASS
                | ICETAP_WAL_F_LAST_MODIFIED;
    rec.size = 5;
    rec.last_modified_us = rec.time_us;
    rec.etag.data = "\"e\"";
    rec.etag.len = 3;
    rec.storage_class.data = "STANDARD";
    rec.storage_class.len = 8;
    rec.tags = tags;
    rec.ntags = 1;

    ok(!icetap_journal_needs_lookup(&rec), "a put needs no lookup");
    ok(icetap_journal_row(&rec, NULL, &row, &err) == ICETAP_OK, "put row");
    is_str(row.record_type, "CREATE", "CREATE");
    is_str(row.sequence_number, "0000000000000abc", "sequence number");
    ok(!row.is_delete_marker.null && !row.is_delete_marker.v,
       "is_delete_marker FALSE");
    ok(!row.size.null && row.size.v == 5, "size");
    ok(!row.user_metadata.null && row.user_metadata.n == 0,
       "no metadata is {} not NULL");
    ok(!row.object_tags.null && row.object_tags.n == 1, "tags");
    ok(!row.is_multipart.null && !row.is_multipart.v, "not multipart");
    ok(row.encryption_status.null, "unencrypted is NULL");
    ok(row.version_id.null, "unversioned: version NULL");
    ok(!row.requester.null, "requester kept");

    /* a permanent delete: only the required columns and the version */

    base(&rec, ICETAP_WAL_OP_DELETE);
    rec.version_id.data = "v1";
    rec.version_id.len = 2;
    ok(icetap_journal_row(&rec, NULL, &row, &err) == ICETAP_OK, "delete row");
    is_str(row.record_type, "DELETE", "DELETE");
    ok(row.is_delete_marker.null, "permanent delete: is_delete_marker NULL");
    ok(row.size.null && row.e_tag.null && row.object_tags.null
       && row.user_metadata.null && row.is_multipart.null
       && row.storage_class.null, "object columns NULL");
    ok(!row.version_id.null, "version kept");
    ok(!row.requester.null, "who deleted it is kept");

    /* a delete marker */

    base(&rec, ICETAP_WAL_OP_DELETE_MULTI);
    rec.flags = ICETAP_WAL_F_DM_KNOWN | ICETAP_WAL_F_DELETE_MARKER
                | ICETAP_WAL_F_SIZE;
    ok(icetap_journal_row(&rec, NULL, &row, &err) == ICETAP_OK, "marker row");
    ok(!row.is_delete_marker.null && row.is_delete_marker.v, "marker TRUE");
    ok(!row.size.null && row.size.v == 0, "size 0");

    /* a copy: the lookup completes it, the wire wins where it spoke */

    base(&rec, ICETAP_WAL_OP_COPY);
    rec.flags = ICETAP_WAL_F_ENRICH | ICETAP_WAL_F_DM_KNOWN
                | ICETAP_WAL_F_STORAGE_CLASS;
    rec.storage_class.data = "STANDARD";
    rec.storage_class.len = 8;
    ok(icetap_journal_needs_lookup(&rec), "a copy needs a lookup");

    memset(&e, 0, sizeof(e));
    e.found = 1;
    e.size = 99;
    e.has_tags = 1;
    e.has_meta = 1;
    e.tags = etags;
    e.ntags = 1;
    e.storage_class.data = "GLACIER";
    e.storage_class.len = 7;
    e.etag.data = "\"x\"";
    e.etag.len = 3;
    e.last_modified_us = 42;

    ok(icetap_journal_row(&rec, &e, &row, &err) == ICETAP_OK, "copy row");
    ok(!row.size.null && row.size.v == 99, "size from the lookup");
    ok(row.object_tags.n == 1 && row.object_tags.kv == etags,
       "tags from the lookup");
    ok(!row.user_metadata.null && row.user_metadata.n == 0,
       "empty metadata from the lookup is {}");
    ok(row.storage_class.s.len == 8, "storage class from the request wins");
    ok(row.last_modified_us.v == 42, "last modified from the lookup");

    e.found = 0;
    ok(icetap_journal_row(&rec, &e, &row, &err) == ICETAP_OK,
       "copy of a version already gone");
    ok(row.size.null && row.object_tags.null && row.user_metadata.null,
       "gone: the object columns stay NULL");

    /* tagging rows are looked up too */

    base(&rec, ICETAP_WAL_OP_PUT_TAGGING);
    ok(icetap_journal_needs_lookup(&rec), "tagging needs a lookup");

    base(&rec, ICETAP_WAL_OP_SEAL);
    ok(icetap_journal_row(&rec, NULL, &row, &err) == ICETAP_INVALID,
       "a seal is not a row: %s", err.msg);

    /* the schema is valid JSON with 21 columns */

    {
        json_t        *j;
        json_error_t   je;

        j = json_loads(icetap_journal_schema_json(), 0, &je);
        ok(j != NULL, "schema parses");
        is_int(json_array_size(json_object_get(j, "fields")), 21,
               "21 columns");
        json_decref(j);
    }
}


static void
test_cursor(void)
{
    char                 *s;
    icetap_error_t        err;
    icetap_wal_cursor_t   c, d;

    memset(&c, 0, sizeof(c));
    ok(icetap_wal_cursor_set(&c, "b.wal", 100) == ICETAP_OK, "set");
    ok(icetap_wal_cursor_set(&c, "a.wal", 64) == ICETAP_OK, "set");
    ok(icetap_wal_cursor_set(&c, "b.wal", 200) == ICETAP_OK, "update");
    is_int(icetap_wal_cursor_get(&c, "b.wal"), 200, "get");
    is_int(icetap_wal_cursor_get(&c, "none.wal"), 0, "unknown is 0");

    s = icetap_wal_cursor_format(&c);
    is_str(s, "{\"segments\":{\"a.wal\":64,\"b.wal\":200}}", "format");

    ok(icetap_wal_cursor_parse(s, &d, &err) == ICETAP_OK, "parse");
    is_int(d.n, 2, "two segments");
    is_int(icetap_wal_cursor_get(&d, "a.wal"), 64, "round trip");
    free(s);

    icetap_wal_cursor_free(&c);
    icetap_wal_cursor_free(&d);

    ok(icetap_wal_cursor_parse("{\"segments\":{\"a\":-1}}", &d, &err)
       == ICETAP_INVALID, "negative offset: %s", err.msg);
    ok(icetap_wal_cursor_parse("nope", &d, &err) == ICETAP_INVALID,
       "garbage: %s", err.msg);
    ok(icetap_wal_cursor_parse("{}", &d, &err) == ICETAP_INVALID,
       "no segments: %s", err.msg);
}


typedef struct {
    int                   n;
    icetap_wal_cursor_t  *c;
} collect_t;


static icetap_rc
collect(void *ctx, const icetap_wal_rec_t *rec, const char *seg,
    uint64_t next)
{
    collect_t  *x = ctx;

    x->n++;

    return icetap_wal_cursor_set(x->c, seg, next);
}


static void
write_segment(const char *name, int pid, int nrec, int seal)
{
    struct timespec        ts;

    int                    fd, i;
    char                   path[256];
    size_t                 n;
    uint8_t                hdr[ICETAP_WAL_SEG_HDR_SIZE], buf[1024];
    icetap_wal_rec_t       rec;
    icetap_wal_seg_info_t  info;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    info.version = ICETAP_WAL_SEG_VERSION;
    info.pid = pid;
    clock_gettime(CLOCK_REALTIME, &ts);
    info.created_ms = (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    info.segno = 1;
    icetap_wal_seg_header(&info, hdr);
    (void) !write(fd, hdr, sizeof(hdr));

    for (i = 0; i < nrec; i++) {
        base(&rec, ICETAP_WAL_OP_PUT);
        rec.seq = i;
        n = icetap_wal_frame_encode(&rec, buf);
        (void) !write(fd, buf, n);
    }

    if (seal) {
        memset(&rec, 0, sizeof(rec));
        rec.op = ICETAP_WAL_OP_SEAL;
        n = icetap_wal_frame_encode(&rec, buf);
        (void) !write(fd, buf, n);
    }

    close(fd);
}


static void
test_batches(void)
{
    int                   more;
    char                **names;
    size_t                n, i;
    collect_t             x;
    icetap_error_t        err;
    icetap_wal_cursor_t   c;

    /* a sealed segment, a dead writer's, a live writer's (this process) */

    write_segment("1-sealed.wal", 999999, 5, 1);
    write_segment("2-dead.wal", 999998, 3, 0);
    write_segment("3-live.wal", (int) getpid(), 4, 0);

    memset(&c, 0, sizeof(c));
    x.n = 0;
    x.c = &c;

    ok(icetap_wal_read_batch(dir, &c, 7, collect, &x, &more, &err)
       == ICETAP_OK, "first batch");
    is_int(x.n, 7, "seven records");
    ok(more, "more remain");

    x.n = 0;
    ok(icetap_wal_read_batch(dir, &c, 100, collect, &x, &more, &err)
       == ICETAP_OK, "second batch");
    is_int(x.n, 5, "the other five, none twice");
    ok(!more, "nothing more");

    x.n = 0;
    ok(icetap_wal_read_batch(dir, &c, 100, collect, &x, &more, &err)
       == ICETAP_OK && x.n == 0, "nothing new after the cursor");

    ok(icetap_wal_consumed(dir, &c, &names, &n, &err) == ICETAP_OK,
       "consumed");
    is_int(n, 2, "the sealed and the dead writer's segments");
    if (n == 2) {
        is_str(names[0], "1-sealed.wal", "sealed");
        is_str(names[1], "2-dead.wal", "dead writer");
    }
    icetap_wal_free_list(names, n);

    /* a cursor short of the end keeps the segment */

    icetap_wal_cursor_set(&c, "1-sealed.wal", ICETAP_WAL_SEG_HDR_SIZE);
    ok(icetap_wal_consumed(dir, &c, &names, &n, &err) == ICETAP_OK
       && n == 1, "an unconsumed sealed segment is kept");
    icetap_wal_free_list(names, n);

    icetap_wal_cursor_free(&c);

    for (i = 0; i < 3; i++) {
        static const char  *f[] = { "1-sealed.wal", "2-dead.wal",
                                    "3-live.wal" };
        char                path[256];

        snprintf(path, sizeof(path), "%s/%s", dir, f[i]);
        unlink(path);
    }
}


int
main(void)
{
    if (mkdtemp(dir) == NULL) {
        printf("Bail out! mkdtemp\n");
        return 1;
    }

    test_rows();
    test_cursor();
    test_batches();

    rmdir(dir);

    return done_testing();
}
