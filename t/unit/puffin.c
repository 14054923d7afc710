/*
 * Copyright (C) icetap authors
 *
 * Puffin files and deletion-vector-v1 blobs, against the worked example
 * of the writer spec (section 5.4) and the empty Puffin file of the Java
 * test vectors.
 */


#include <stdlib.h>

#include <icetap/puffin.h>

#include "tap.h"


static const uint8_t  dv_example[] = {
    0x00, 0x00, 0x00, 0x2a,
    0xd1, 0xd3, 0x39, 0x64,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x3a, 0x30, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x04, 0x00,
    0x10, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x03, 0x00, 0x05, 0x00, 0x07, 0x00, 0x09, 0x00,
    0xb3, 0xfb, 0x20, 0xbe
};


static void
test_dv(void)
{
    int                  i;
    uint8_t              copy[sizeof(dv_example)];
    icetap_rc            rc;
    icetap_buf_t         out;
    icetap_error_t       err;
    icetap_roaring64_t  *r, *back;

    memset(&out, 0, sizeof(out));

    r = icetap_roaring64_create();

    for (i = 1; i <= 9; i += 2) {
        icetap_roaring64_add(r, i);
    }

    rc = icetap_dv_encode(r, &out, &err);
    is_int(rc, ICETAP_OK, "encode the DV of {1,3,5,7,9}");
    is_int(out.len, 50, "DV blob is 50 bytes");
    ok(out.len == sizeof(dv_example)
       && memcmp(out.data, dv_example, sizeof(dv_example)) == 0,
       "DV blob byte-identical to the spec's worked example");

    rc = icetap_dv_decode(dv_example, sizeof(dv_example), &back, &err);
    ok(rc == ICETAP_OK && icetap_roaring64_cardinality(back) == 5
       && icetap_roaring64_contains(back, 9)
       && !icetap_roaring64_contains(back, 2), "decode the worked example");
    icetap_roaring64_destroy(back);

    memcpy(copy, dv_example, sizeof(copy));
    copy[40] ^= 1;
    rc = icetap_dv_decode(copy, sizeof(copy), &back, &err);
    ok(rc == ICETAP_INVALID && strstr(err.msg, "CRC") != NULL,
       "flipped bit: %s", err.msg);

    memcpy(copy, dv_example, sizeof(copy));
    copy[3] = 0x2b;
    rc = icetap_dv_decode(copy, sizeof(copy), &back, &err);
    ok(rc == ICETAP_INVALID, "wrong length field: %s", err.msg);

    memcpy(copy, dv_example, sizeof(copy));
    copy[4] = 0xd2;
    rc = icetap_dv_decode(copy, sizeof(copy), &back, &err);
    ok(rc == ICETAP_INVALID, "wrong magic: %s", err.msg);

    rc = icetap_dv_decode(dv_example, 10, &back, &err);
    ok(rc == ICETAP_INVALID, "truncated blob: %s", err.msg);

    /* empty DV: count 0 */

    icetap_roaring64_destroy(r);
    r = icetap_roaring64_create();
    out.len = 0;
    icetap_dv_encode(r, &out, &err);
    ok(out.len == 20 && out.data[3] == 12, "empty DV is length 12 + crc");
    rc = icetap_dv_decode(out.data, out.len, &back, &err);
    ok(rc == ICETAP_OK && icetap_roaring64_cardinality(back) == 0,
       "empty DV decodes");
    icetap_roaring64_destroy(back);

    icetap_roaring64_add(r, 1ULL << 63);
    out.len = 0;
    rc = icetap_dv_encode(r, &out, &err);
    ok(rc == ICETAP_INVALID, "position with the sign bit refused: %s",
       err.msg);

    icetap_roaring64_destroy(r);
    icetap_buf_free(&out);
}


static void
test_puffin(void)
{
    size_t                   need;
    int32_t                  field;
    int64_t                  off, len, off2, len2;
    icetap_rc                rc;
    const char              *props[2];
    icetap_buf_t             file;
    icetap_error_t           err;
    icetap_roaring64_t      *r, *back;
    icetap_puffin_footer_t   f;
    icetap_puffin_writer_t  *w;

    static const char  empty[] =
        "PFA1" "PFA1" "{\"blobs\":[]}" "\x0c\0\0\0" "\0\0\0\0" "PFA1";

    memset(&file, 0, sizeof(file));

    w = icetap_puffin_writer_create(NULL);
    rc = icetap_puffin_finish(w, &file, &err);
    icetap_puffin_writer_destroy(w);
    ok(rc == ICETAP_OK && file.len == sizeof(empty) - 1
       && memcmp(file.data, empty, file.len) == 0,
       "empty puffin file as in the Java test vector");

    rc = icetap_puffin_read_footer(file.data, file.len, file.len, &f, NULL,
                                   &err);
    ok(rc == ICETAP_OK && f.nblobs == 0, "empty file footer reads");
    icetap_puffin_footer_free(&f);

    /* one DV, as the spec shows: offset 4, length 50 */

    r = icetap_roaring64_create();
    icetap_roaring64_add(r, 1);
    icetap_roaring64_add(r, 3);
    icetap_roaring64_add(r, 5);
    icetap_roaring64_add(r, 7);
    icetap_roaring64_add(r, 9);

    w = icetap_puffin_writer_create("icetap 0.1");
    rc = icetap_puffin_add_dv(w, "s3://b/t/data/00000-0-a.parquet", r, &off,
                              &len, &err);
    ok(rc == ICETAP_OK && off == 4 && len == 50, "DV at offset 4, length "
       "50");

    /* a second DV and a blob of another type share the file */

    icetap_roaring64_add_range(r, 100, 5000);
    rc = icetap_puffin_add_dv(w, "s3://b/t/data/00001-0-b.parquet", r, &off2,
                              &len2, &err);
    ok(rc == ICETAP_OK && off2 == 54, "second DV follows the first");

    field = 1;
    props[0] = "ndv";
    props[1] = "3";
    rc = icetap_puffin_add_blob(w, "apache-datasketches-theta-v1", &field,
                                1, 77, 3, "xyz", 3, props, 1, NULL, NULL,
                                &err);
    is_int(rc, ICETAP_OK, "other blob type");

    file.len = 0;
    rc = icetap_puffin_finish(w, &file, &err);
    icetap_puffin_writer_destroy(w);
    is_int(rc, ICETAP_OK, "finish");
    ok(memcmp(file.data, "PFA1", 4) == 0
       && memcmp(file.data + file.len - 4, "PFA1", 4) == 0, "magics");
    ok(memcmp(file.data + 4, dv_example, 50) == 0, "first blob is the "
       "example DV");

    {
        const char  *want = "{\"blobs\":[{\"type\":\"deletion-vector-v1\","
            "\"fields\":[2147483645],\"snapshot-id\":-1,"
            "\"sequence-number\":-1,\"offset\":4,\"length\":50,"
            "\"properties\":{\"referenced-data-file\":"
            "\"s3://b/t/data/00000-0-a.parquet\",\"cardinality\":\"5\"}}";

        ok(memmem(file.data, file.len, want, strlen(want)) != NULL,
           "footer JSON as Java writes it");
    }

    /* read back from a short tail: asks for more */

    rc = icetap_puffin_read_footer(file.data + file.len - 16, 16, file.len,
                                   &f, &need, &err);
    ok(rc == ICETAP_AGAIN && need > 16 && need < file.len,
       "short tail asks for %zu bytes", need);

    rc = icetap_puffin_read_footer(file.data + file.len - need, need,
                                   file.len, &f, NULL, &err);
    is_int(rc, ICETAP_OK, "footer from the tail: %s", err.msg);
    is_int(f.nblobs, 3, "three blobs");
    is_str(f.blobs[0].type, ICETAP_PUFFIN_DV_TYPE, "blob type");
    ok(f.blobs[0].nfields == 1 && f.blobs[0].fields[0] == 2147483645,
       "fields [_pos]");
    ok(f.blobs[0].snapshot_id == -1 && f.blobs[0].sequence_number == -1,
       "snapshot and sequence -1");
    is_str(icetap_puffin_blob_prop(&f.blobs[1], "referenced-data-file"),
           "s3://b/t/data/00001-0-b.parquet", "referenced-data-file");
    is_str(icetap_puffin_blob_prop(&f.blobs[1], "cardinality"), "4905",
           "cardinality");
    ok(f.blobs[0].compression_codec == NULL, "no compression codec");
    is_str(f.props[0].value, "icetap 0.1", "created-by");
    ok(f.blobs[2].snapshot_id == 77 && f.blobs[2].length == 3,
       "other blob metadata");

    rc = icetap_dv_decode(file.data + f.blobs[1].offset, f.blobs[1].length,
                          &back, &err);
    ok(rc == ICETAP_OK && icetap_roaring64_cardinality(back) == 4905,
       "second DV decodes from the file");
    icetap_roaring64_destroy(back);
    icetap_puffin_footer_free(&f);

    /* damage */

    file.data[file.len - 1] = 'X';
    rc = icetap_puffin_read_footer(file.data, file.len, file.len, &f, NULL,
                                   &err);
    ok(rc == ICETAP_INVALID, "bad trailing magic: %s", err.msg);
    file.data[file.len - 1] = '1';

    file.data[file.len - 8] = 1;
    rc = icetap_puffin_read_footer(file.data, file.len, file.len, &f, NULL,
                                   &err);
    ok(rc == ICETAP_UNSUPPORTED, "compressed footer: %s", err.msg);
    file.data[file.len - 8] = 0;

    need = file.data[file.len - 11];
    file.data[file.len - 11] = 0x7f;
    rc = icetap_puffin_read_footer(file.data, file.len, file.len, &f, NULL,
                                   &err);
    ok(rc == ICETAP_INVALID, "footer longer than the file: %s", err.msg);
    file.data[file.len - 11] = (uint8_t) need;

    rc = icetap_puffin_read_footer(file.data, file.len, file.len, &f, NULL,
                                   &err);
    ok(rc == ICETAP_OK, "repaired file reads");
    icetap_puffin_footer_free(&f);

    {
        char    *p;
        size_t   plen = 0;

        p = memmem(file.data, file.len, "\"offset\":54", 11);
        if (p != NULL) {
            memcpy(p, "\"offset\":99", 11);
            plen = 1;
        }

        rc = icetap_puffin_read_footer(file.data, file.len, file.len, &f,
                                       NULL, &err);
        ok(plen && rc == ICETAP_INVALID, "blob outside the file: %s",
           err.msg);
    }

    icetap_roaring64_destroy(r);
    icetap_buf_free(&file);
}


int
main(void)
{
    test_dv();
    test_puffin();

    return done_testing();
}
