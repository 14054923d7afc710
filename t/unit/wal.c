/*
 * Copyright (C) icetap authors
 *
 * WAL record encoding, segment reading, torn tails and CRC damage.
 */


#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>

#include <icetap/wal.h>

#include "tap.h"


#define S(lit)  { lit, sizeof(lit) - 1 }


static char  dir[] = "/tmp/icetap-wal-test-XXXXXX";


static void
make_rec(icetap_wal_rec_t *rec, icetap_kv_t *tags, icetap_kv_t *meta, int i)
{
    static char  keys[64][32];

    memset(rec, 0, sizeof(icetap_wal_rec_t));

    snprintf(keys[i % 64], sizeof(keys[0]), "key/%d \xc3\xa9", i);

    rec->op = ICETAP_WAL_OP_PUT;
    rec->flags = ICETAP_WAL_F_SIZE | ICETAP_WAL_F_TAGS | ICETAP_WAL_F_META;
    rec->time_us = 1700000000000000LL + i;
    rec->seq = 42 + i;
    rec->size = 1000 + i;
    rec->status = 200;
    rec->bucket.data = "bucket";
    rec->bucket.len = 6;
    rec->key.data = keys[i % 64];
    rec->key.len = strlen(keys[i % 64]);
    rec->etag.data = "\"abc\"";
    rec->etag.len = 5;
    rec->version_id.data = "";          /* present but empty */
    rec->version_id.len = 0;
    rec->tags = tags;
    rec->ntags = 2;
    rec->meta = meta;
    rec->nmeta = 1;
}


static size_t
write_segment(const char *path, int nrec, int seal)
{
    int                    fd, i;
    size_t                 off, n;
    uint8_t                hdr[ICETAP_WAL_SEG_HDR_SIZE], buf[4096];
    icetap_kv_t            tags[2] = { { S("a"), S("1") }, { S("b"), S("") } };
    icetap_kv_t            meta[1] = { { S("owner"), S("me") } };
    icetap_wal_rec_t       rec;
    icetap_wal_seg_info_t  info = { ICETAP_WAL_SEG_VERSION, 77, 1234, 1 };

    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    icetap_wal_seg_header(&info, hdr);
    (void) !write(fd, hdr, sizeof(hdr));
    off = sizeof(hdr);

    for (i = 0; i < nrec; i++) {
        make_rec(&rec, tags, meta, i);
        n = icetap_wal_frame_encode(&rec, buf);
        (void) !write(fd, buf, n);
        off += n;
    }

    if (seal) {
        memset(&rec, 0, sizeof(rec));
        rec.op = ICETAP_WAL_OP_SEAL;
        n = icetap_wal_frame_encode(&rec, buf);
        (void) !write(fd, buf, n);
        off += n;
    }

    close(fd);

    return off;
}


static int
count(const char *path, icetap_wal_end_e *end, uint64_t *bad,
    uint64_t *torn)
{
    int                   n;
    icetap_error_t        err;
    icetap_wal_rec_t      rec;
    icetap_wal_reader_t  *r;

    if (icetap_wal_reader_open(path, &r, &err) != ICETAP_OK) {
        diag("open: %s", err.msg);
        return -1;
    }

    n = 0;

    while (icetap_wal_reader_next(r, &rec, NULL, NULL, &err) == ICETAP_OK) {
        n++;
        icetap_wal_rec_free(&rec);
    }

    *end = icetap_wal_reader_end(r, bad, torn);
    icetap_wal_reader_close(r);

    return n;
}


static void
test_roundtrip(void)
{
    size_t            n;
    uint8_t           buf[4096];
    icetap_kv_t       tags[2] = { { S("a"), S("1") }, { S("b"), S("") } };
    icetap_kv_t       meta[1] = { { S("owner"), S("me") } };
    icetap_error_t    err;
    icetap_wal_rec_t  rec, out;

    make_rec(&rec, tags, meta, 3);

    n = icetap_wal_rec_encode(&rec, buf);
    is_int(n, icetap_wal_rec_size(&rec), "encoded size matches the estimate");

    ok(icetap_wal_rec_decode(buf, n, &out, &err) == ICETAP_OK, "decodes");
    is_int(out.op, ICETAP_WAL_OP_PUT, "op");
    is_int(out.flags, rec.flags, "flags");
    is_int(out.time_us, rec.time_us, "time");
    is_int(out.seq, 45, "seq");
    is_int(out.size, 1003, "size");
    is_int(out.status, 200, "status");
    ok(out.key.len == rec.key.len
       && memcmp(out.key.data, rec.key.data, rec.key.len) == 0, "key");
    ok(out.version_id.data != NULL && out.version_id.len == 0,
       "empty but present version id survives");
    ok(out.kms_key_arn.data == NULL, "absent string stays absent");
    is_int(out.ntags, 2, "two tags");
    ok(out.tags[1].key.len == 1 && out.tags[1].value.len == 0,
       "empty tag value");
    is_int(out.nmeta, 1, "one metadata entry");
    ok(memcmp(out.meta[0].value.data, "me", 2) == 0, "metadata value");
    icetap_wal_rec_free(&out);

    /* an unknown field from a newer writer is skipped */

    buf[n] = 99;
    buf[n + 1] = 3;
    memcpy(buf + n + 2, "xyz", 3);
    ok(icetap_wal_rec_decode(buf, n + 5, &out, &err) == ICETAP_OK,
       "unknown field skipped");
    icetap_wal_rec_free(&out);

    /* truncated payloads are errors, never crashes */

    ok(icetap_wal_rec_decode(buf, n - 1, &out, &err) == ICETAP_INVALID,
       "truncated record is invalid: %s", err.msg);
    ok(icetap_wal_rec_decode(buf, 0, &out, &err) == ICETAP_INVALID,
       "empty record is invalid");
}


static void
test_segments(void)
{
    int               fd, n;
    char              path[256];
    size_t            size;
    uint8_t           zeros[1000], byte;
    uint64_t          bad, torn;
    icetap_wal_end_e  end;

    snprintf(path, sizeof(path), "%s/a.wal", dir);

    size = write_segment(path, 10, 0);
    n = count(path, &end, &bad, &torn);
    is_int(n, 10, "10 records read from an open segment");
    is_int(end, ICETAP_WAL_END_CLEAN, "open segment ends clean");

    write_segment(path, 10, 1);
    n = count(path, &end, &bad, &torn);
    is_int(n, 10, "10 records before the seal");
    is_int(end, ICETAP_WAL_END_SEALED, "sealed segment");

    /* preallocated zeros after the last frame are a clean end */

    size = write_segment(path, 5, 0);
    memset(zeros, 0, sizeof(zeros));
    fd = open(path, O_WRONLY | O_APPEND);
    (void) !write(fd, zeros, sizeof(zeros));
    close(fd);
    n = count(path, &end, &bad, &torn);
    is_int(n, 5, "zeros after frames are not records");
    is_int(end, ICETAP_WAL_END_CLEAN, "zeros are a clean end");

    /* a torn tail: the last frame cut short */

    size = write_segment(path, 5, 0);
    (void) !truncate(path, size - 7);
    n = count(path, &end, &bad, &torn);
    is_int(n, 4, "records before a torn tail survive");
    is_int(end, ICETAP_WAL_END_TORN, "torn tail reported");
    ok(torn > ICETAP_WAL_SEG_HDR_SIZE && torn < size - 7,
       "torn offset inside the file");

    /* a flipped byte in the middle: skipped and counted */

    size = write_segment(path, 6, 1);
    fd = open(path, O_RDWR);
    (void) !pread(fd, &byte, 1, ICETAP_WAL_SEG_HDR_SIZE + 30);
    byte ^= 0x55;
    (void) !pwrite(fd, &byte, 1, ICETAP_WAL_SEG_HDR_SIZE + 30);
    close(fd);
    n = count(path, &end, &bad, &torn);
    is_int(n, 5, "one damaged record skipped, the others read");
    is_int(bad, 1, "one bad frame counted");
    is_int(end, ICETAP_WAL_END_CORRUPT, "damage reported");

    /* not a segment */

    fd = open(path, O_WRONLY | O_TRUNC);
    (void) !write(fd, "hello world, this is not a WAL segment at all......"
                  "...............", 66);
    close(fd);
    n = count(path, &end, &bad, &torn);
    is_int(n, -1, "a file that is not a segment is refused");

    unlink(path);
}


static void
test_list(void)
{
    int              fd;
    char             path[256], **names;
    size_t           n;
    icetap_error_t   err;

    snprintf(path, sizeof(path), "%s/0002-1-000001.wal", dir);
    fd = open(path, O_WRONLY | O_CREAT, 0600);
    close(fd);
    snprintf(path, sizeof(path), "%s/0001-1-000001.wal", dir);
    fd = open(path, O_WRONLY | O_CREAT, 0600);
    close(fd);
    snprintf(path, sizeof(path), "%s/other.txt", dir);
    fd = open(path, O_WRONLY | O_CREAT, 0600);
    close(fd);

    ok(icetap_wal_list(dir, &names, &n, &err) == ICETAP_OK, "list");
    is_int(n, 2, "only .wal files listed");
    if (n == 2) {
        is_str(names[0], "0001-1-000001.wal", "sorted by name");
    }
    icetap_wal_free_list(names, n);

    ok(icetap_wal_list("/nonexistent/icetap", &names, &n, &err)
       == ICETAP_NOTFOUND, "missing directory: %s", err.msg);

    unlink(path);
    snprintf(path, sizeof(path), "%s/0002-1-000001.wal", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/0001-1-000001.wal", dir);
    unlink(path);
}


static void
test_json(void)
{
    char              *j;
    icetap_kv_t        tags[2] = { { S("a"), S("1") }, { S("b"), S("") } };
    icetap_kv_t        meta[1] = { { S("owner"), S("me") } };
    icetap_wal_rec_t   rec;

    make_rec(&rec, tags, meta, 1);
    rec.flags |= ICETAP_WAL_F_DM_KNOWN;

    j = icetap_wal_rec_json(&rec, "f.wal", 64);
    ok(j != NULL, "json");
    ok(j && strstr(j, "\"record_type\":\"CREATE\""), "record type");
    ok(j && strstr(j, "\"object_tags\":{\"a\":\"1\",\"b\":\"\"}"), "tags map");
    ok(j && strstr(j, "\"is_delete_marker\":false"), "delete marker false");
    ok(j && strstr(j, "\"sequence_number\":\"000000000000002b\""),
       "sequence number is fixed-width hex");
    free(j);
}


int
main(void)
{
    if (mkdtemp(dir) == NULL) {
        printf("Bail out! mkdtemp\n");
        return 1;
    }

    test_roundtrip();
    test_segments();
    test_list();
    test_json();

    rmdir(dir);

    return done_testing();
}
