/*
 * Copyright (C) icetap authors
 *
 * Avro: varints, schema parsing with Iceberg attributes, datum round
 * trips, object container files (both codecs, streaming input, exact
 * header bytes) and rejection of damaged files.
 */


#include <stdlib.h>

#include <icetap/avro.h>

#include "tap.h"


static const char  *all_types_schema =
    "{\"type\":\"record\",\"name\":\"all\",\"namespace\":\"t\",\"fields\":["
    "{\"name\":\"n\",\"type\":\"null\"},"
    "{\"name\":\"b\",\"type\":\"boolean\",\"field-id\":1},"
    "{\"name\":\"i\",\"type\":\"int\",\"field-id\":2},"
    "{\"name\":\"l\",\"type\":\"long\",\"field-id\":3},"
    "{\"name\":\"f\",\"type\":\"float\"},"
    "{\"name\":\"d\",\"type\":\"double\"},"
    "{\"name\":\"by\",\"type\":\"bytes\"},"
    "{\"name\":\"s\",\"type\":\"string\"},"
    "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"color\","
    "\"symbols\":[\"RED\",\"GREEN\"]}},"
    "{\"name\":\"fx\",\"type\":{\"type\":\"fixed\",\"name\":\"f4\","
    "\"size\":4}},"
    "{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":\"long\","
    "\"element-id\":7}},"
    "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"int\","
    "\"key-id\":8,\"value-id\":9}},"
    "{\"name\":\"u\",\"type\":[\"null\",\"string\"],\"default\":null},"
    "{\"name\":\"fx2\",\"type\":\"f4\"},"
    "{\"name\":\"c\",\"type\":\"t.color\"}"
    "]}";


static void
test_varint(void)
{
    size_t          i;
    int64_t         v;
    icetap_buf_t    b;
    const uint8_t  *p;

    static const struct {
        int64_t      v;
        const char  *bytes;
        size_t       len;
    } vec[] = {
        { 0, "\x00", 1 },
        { -1, "\x01", 1 },
        { 1, "\x02", 1 },
        { 63, "\x7e", 1 },
        { -64, "\x7f", 1 },
        { 64, "\x80\x01", 2 },
        { INT64_MAX, "\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10 },
        { INT64_MIN, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10 }
    };

    memset(&b, 0, sizeof(b));

    for (i = 0; i < icetap_nelems(vec); i++) {
        icetap_buf_reset(&b);
        icetap_avro_put_long(&b, vec[i].v);

        ok(b.len == vec[i].len && memcmp(b.data, vec[i].bytes, b.len) == 0,
           "zigzag varint of %lld", (long long) vec[i].v);

        p = b.data;
        ok(icetap_avro_get_long(&p, b.data + b.len, &v) == ICETAP_OK
           && v == vec[i].v && p == b.data + b.len,
           "varint %lld decodes", (long long) vec[i].v);
    }

    p = (const uint8_t *) "\x80\x80";
    ok(icetap_avro_get_long(&p, p + 2, &v) == ICETAP_EOF,
       "truncated varint");

    p = (const uint8_t *) "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02";
    ok(icetap_avro_get_long(&p, p + 10, &v) == ICETAP_INVALID,
       "varint beyond 64 bits rejected");

    icetap_buf_free(&b);
}


static void
test_schema(void)
{
    icetap_error_t              err;
    icetap_avro_schema_t       *s;
    const icetap_avro_node_t   *root, *t;
    const icetap_avro_field_t  *f;

    static const char  *bad[] = {
        "{\"type\":\"record\",\"name\":\"x\"}",
        "{\"type\":\"record\",\"fields\":[]}",
        "{\"type\":\"wat\"}",
        "\"nosuchtype\"",
        "[]",
        "[\"null\",[\"int\"]]",
        "{\"type\":\"fixed\",\"name\":\"f\"}",
        "{\"type\":\"enum\",\"name\":\"e\",\"symbols\":[]}",
        "{\"type\":\"array\"}",
        "{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\","
        "\"type\":\"int\"},{\"name\":\"a\",\"type\":\"int\"}]}",
        "{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\","
        "\"type\":{\"type\":\"record\",\"name\":\"r\",\"fields\":[]}}]}",
        "{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\","
        "\"type\":\"int\",\"field-id\":\"1\"}]}",
        "{\"type\":",
        "42",
        NULL
    };

    const char  **b;

    ok(icetap_avro_schema_parse(all_types_schema, strlen(all_types_schema),
                                &s, &err) == ICETAP_OK, "schema parses");
    if (s == NULL) {
        diag("%s", err.msg);
        return;
    }

    root = icetap_avro_schema_root(s);
    is_str(root->name, "t.all", "record full name uses the namespace");
    is_int(root->nfields, 15, "15 fields");

    f = icetap_avro_field(root, "l");
    ok(f && f->field_id == 3 && f->type->type == ICETAP_AVRO_LONG,
       "field-id attribute parsed");

    f = icetap_avro_field(root, "f");
    ok(f && f->field_id == ICETAP_AVRO_NO_ID, "absent field-id is NO_ID");

    f = icetap_avro_field(root, "a");
    ok(f && f->type->element_id == 7, "element-id parsed");

    f = icetap_avro_field(root, "m");
    ok(f && f->type->key_id == 8 && f->type->value_id == 9,
       "key-id and value-id parsed");

    f = icetap_avro_field(root, "u");
    t = icetap_avro_unwrap(f->type);
    ok(t->type == ICETAP_AVRO_STRING, "optional union unwraps");

    f = icetap_avro_field(root, "c");
    ok(f && f->type->type == ICETAP_AVRO_ENUM && f->type->nsymbols == 2,
       "named reference resolves to the enum");

    f = icetap_avro_field(root, "fx2");
    ok(f && f->type->type == ICETAP_AVRO_FIXED && f->type->size == 4,
       "reference within the namespace resolves");

    icetap_avro_schema_free(s);

    for (b = bad; *b; b++) {
        s = NULL;
        ok(icetap_avro_schema_parse(*b, strlen(*b), &s, &err)
           == ICETAP_INVALID && s == NULL,
           "bad schema rejected: %s", err.msg);
    }

    /* a recursive record parses; a datum with no end is cut off */

    {
        const char           *rec;
        const uint8_t        *p;
        icetap_avro_arena_t  *a;
        icetap_avro_value_t   v;

        rec = "{\"type\":\"record\",\"name\":\"loop\",\"fields\":["
              "{\"name\":\"next\",\"type\":\"loop\"}]}";

        ok(icetap_avro_schema_parse(rec, strlen(rec), &s, &err) == ICETAP_OK,
           "self-referencing record parses");

        a = icetap_avro_arena_create(0);
        p = (const uint8_t *) "";
        ok(icetap_avro_decode(icetap_avro_schema_root(s), &p, p, a, &v, &err)
           == ICETAP_INVALID, "endless recursion stopped: %s", err.msg);

        icetap_avro_arena_destroy(a);
        icetap_avro_schema_free(s);
    }
}


static void
build_all(icetap_avro_arena_t *a, icetap_avro_value_t *v, int64_t seed)
{
    icetap_avro_value_t  *f, *items, *vals;

    static const uint8_t  fx[4] = { 0xde, 0xad, 0xbe, 0xef };

    f = icetap_avro_set_record(a, v, 15);

    icetap_avro_set_null(&f[0]);
    icetap_avro_set_boolean(&f[1], (int) (seed & 1));
    icetap_avro_set_int(&f[2], (int32_t) -seed);
    icetap_avro_set_long(&f[3], INT64_MIN + seed);
    icetap_avro_set_float(&f[4], 1.5f);
    icetap_avro_set_double(&f[5], -0.25 * (double) seed);
    icetap_avro_set_bytes(&f[6], ICETAP_AVRO_BYTES, "\0\1\2", 3);
    icetap_avro_set_string(&f[7], "h\xc3\xa9llo");
    f[8].type = ICETAP_AVRO_ENUM;
    f[8].v.i = 1;
    icetap_avro_set_bytes(&f[9], ICETAP_AVRO_FIXED, fx, 4);

    items = icetap_avro_set_array(a, &f[10], 3);
    icetap_avro_set_long(&items[0], 1);
    icetap_avro_set_long(&items[1], 1LL << 60);
    icetap_avro_set_long(&items[2], -seed);

    vals = icetap_avro_set_map(a, &f[11], 2);
    icetap_avro_set_string(&f[11].v.map.keys[0], "k1");
    icetap_avro_set_int(&vals[0], 10);
    icetap_avro_set_string(&f[11].v.map.keys[1], "k2");
    icetap_avro_set_int(&vals[1], -20);

    if (seed % 2) {
        icetap_avro_set_null(&f[12]);

    } else {
        icetap_avro_set_string(icetap_avro_set_union(a, &f[12], 1), "opt");
    }

    icetap_avro_set_bytes(&f[13], ICETAP_AVRO_FIXED, fx, 4);
    f[14].type = ICETAP_AVRO_ENUM;
    f[14].v.i = 0;
}


static int
check_all(const icetap_avro_value_t *v, int64_t seed)
{
    const icetap_avro_value_t  *f, *u;

    if (v->type != ICETAP_AVRO_RECORD || v->v.list.n != 15) {
        return 0;
    }

    f = v->v.list.items;
    u = f[12].v.u.value;

    return f[0].type == ICETAP_AVRO_NULL
           && f[1].v.b == (int) (seed & 1)
           && f[2].v.i == (int32_t) -seed
           && f[3].v.l == INT64_MIN + seed
           && f[4].v.f == 1.5f
           && f[5].v.d == -0.25 * (double) seed
           && f[6].v.bytes.len == 3
           && memcmp(f[6].v.bytes.data, "\0\1\2", 3) == 0
           && strcmp((const char *) f[7].v.bytes.data, "h\xc3\xa9llo") == 0
           && f[8].v.i == 1
           && memcmp(f[9].v.bytes.data, "\xde\xad\xbe\xef", 4) == 0
           && f[10].v.list.n == 3
           && f[10].v.list.items[1].v.l == (1LL << 60)
           && f[10].v.list.items[2].v.l == -seed
           && f[11].v.map.n == 2
           && strcmp((const char *) f[11].v.map.keys[1].v.bytes.data,
                     "k2") == 0
           && f[11].v.map.vals[1].v.i == -20
           && f[12].type == ICETAP_AVRO_UNION
           && ((seed % 2) ? (f[12].v.u.branch == 0
                             && u->type == ICETAP_AVRO_NULL)
                          : (f[12].v.u.branch == 1
                             && strcmp((const char *) u->v.bytes.data,
                                       "opt") == 0))
           && f[13].v.bytes.len == 4
           && f[14].v.i == 0;
}


static void
test_datum(void)
{
    size_t                     cut;
    icetap_rc                  rc;
    icetap_buf_t               b;
    const uint8_t             *p;
    icetap_error_t             err;
    icetap_avro_arena_t       *a;
    icetap_avro_value_t        v, back;
    icetap_avro_schema_t      *s;
    const icetap_avro_node_t  *root;

    icetap_avro_schema_parse(all_types_schema, strlen(all_types_schema), &s,
                             &err);
    root = icetap_avro_schema_root(s);
    a = icetap_avro_arena_create(256);
    memset(&b, 0, sizeof(b));

    build_all(a, &v, 6);

    ok(icetap_avro_encode(root, &v, &b, &err) == ICETAP_OK,
       "datum with every type encodes");

    p = b.data;
    ok(icetap_avro_decode(root, &p, b.data + b.len, a, &back, &err)
       == ICETAP_OK && p == b.data + b.len, "and decodes in full");
    ok(check_all(&back, 6), "every value survives");

    /* every truncation fails cleanly */

    rc = ICETAP_INVALID;

    for (cut = 0; cut < b.len; cut++) {
        p = b.data;
        rc = icetap_avro_decode(root, &p, b.data + cut, a, &back, &err);
        if (rc != ICETAP_INVALID) {
            break;
        }
    }

    ok(rc == ICETAP_INVALID, "each of %zu truncations rejected", b.len);

    /* type mismatches */

    icetap_avro_set_string(&v.v.list.items[3], "not a long");
    icetap_buf_reset(&b);
    ok(icetap_avro_encode(root, &v, &b, &err) == ICETAP_INVALID
       && b.len == 0, "string for a long rejected: %s", err.msg);

    build_all(a, &v, 6);
    v.v.list.items[9].v.bytes.len = 3;
    ok(icetap_avro_encode(root, &v, &b, &err) == ICETAP_INVALID,
       "short fixed rejected: %s", err.msg);

    build_all(a, &v, 6);
    v.v.list.n = 14;
    ok(icetap_avro_encode(root, &v, &b, &err) == ICETAP_INVALID,
       "record with a missing field rejected");

    build_all(a, &v, 6);
    icetap_avro_set_long(&v.v.list.items[12], 5);
    ok(icetap_avro_encode(root, &v, &b, &err) == ICETAP_INVALID,
       "value with no matching union branch rejected: %s", err.msg);

    /* bad union index and boolean byte */

    {
        icetap_avro_schema_t  *us;
        const char            *u = "[\"null\",\"boolean\"]";

        icetap_avro_schema_parse(u, strlen(u), &us, &err);

        p = (const uint8_t *) "\x04";
        ok(icetap_avro_decode(icetap_avro_schema_root(us), &p, p + 1, a,
                              &back, &err) == ICETAP_INVALID,
           "union branch 2 of 2 rejected: %s", err.msg);

        p = (const uint8_t *) "\x02\x07";
        ok(icetap_avro_decode(icetap_avro_schema_root(us), &p, p + 2, a,
                              &back, &err) == ICETAP_INVALID,
           "boolean byte 7 rejected: %s", err.msg);

        icetap_avro_schema_free(us);
    }

    /* an array of nulls claiming 2^40 items */

    {
        icetap_avro_schema_t  *ns;
        const char            *n = "{\"type\":\"array\",\"items\":\"null\"}";

        icetap_buf_reset(&b);
        icetap_avro_put_long(&b, 1LL << 40);
        icetap_buf_putc(&b, 0);

        icetap_avro_schema_parse(n, strlen(n), &ns, &err);
        p = b.data;
        ok(icetap_avro_decode(icetap_avro_schema_root(ns), &p, b.data + b.len,
                              a, &back, &err) == ICETAP_INVALID,
           "huge array of nulls rejected: %s", err.msg);
        icetap_avro_schema_free(ns);
    }

    icetap_buf_free(&b);
    icetap_avro_arena_destroy(a);
    icetap_avro_schema_free(s);
}


typedef struct {
    const uint8_t  *p;
    size_t          len;
    size_t          pos;
    size_t          step;
} slow_in_t;


static icetap_rc
slow_read(void *ctx, void *buf, size_t len, size_t *got, icetap_error_t *err)
{
    slow_in_t  *in;

    in = ctx;
    *got = icetap_min(icetap_min(len, in->step), in->len - in->pos);
    memcpy(buf, in->p + in->pos, *got);
    in->pos += *got;

    return ICETAP_OK;
}


static int
write_file(icetap_avro_codec_t codec, size_t block, int n, icetap_buf_t *out)
{
    int                        i;
    icetap_error_t             err;
    icetap_avro_arena_t       *a;
    icetap_avro_value_t        v;
    icetap_avro_writer_t      *w;
    icetap_avro_writer_conf_t  conf;

    icetap_avro_meta_t  meta[] = {
        { "format-version", "2", 1 },
        { "bin", "\0\xff", 2 }
    };

    memset(&conf, 0, sizeof(conf));
    conf.schema_json = all_types_schema;
    conf.codec = codec;
    conf.meta = meta;
    conf.nmeta = 2;
    conf.block_size = block;
    conf.write = icetap_avro_write_buf;
    conf.ctx = out;

    if (icetap_avro_writer_create(&conf, &w, &err) != ICETAP_OK) {
        diag("%s", err.msg);
        return -1;
    }

    a = icetap_avro_arena_create(0);

    for (i = 0; i < n; i++) {
        icetap_avro_arena_reset(a);
        build_all(a, &v, i);

        if (icetap_avro_writer_append(w, &v, &err) != ICETAP_OK) {
            diag("%s", err.msg);
            break;
        }
    }

    if (icetap_avro_writer_finish(w, &err) != ICETAP_OK) {
        diag("%s", err.msg);
    }

    ok(icetap_avro_writer_offset(w) == out->len
       && icetap_avro_writer_count(w) == (uint64_t) n,
       "writer counts %d objects and %zu bytes", n, out->len);

    icetap_avro_writer_destroy(w);
    icetap_avro_arena_destroy(a);

    return i;
}


static int
read_all(icetap_avro_reader_t *r, int n, const char *what)
{
    int                   i, good;
    size_t                len;
    icetap_rc             rc;
    const char           *m;
    icetap_error_t        err;
    icetap_avro_arena_t  *a;
    icetap_avro_value_t   v;

    a = icetap_avro_arena_create(0);
    good = 1;

    for (i = 0; ; i++) {
        icetap_avro_arena_reset(a);

        rc = icetap_avro_reader_next(r, a, &v, &err);
        if (rc != ICETAP_OK) {
            break;
        }

        if (!check_all(&v, i)) {
            good = 0;
        }
    }

    ok(rc == ICETAP_EOF, "%s: ends with EOF", what);
    if (rc != ICETAP_EOF) {
        diag("%s", err.msg);
    }

    ok(good && i == n, "%s: %d of %d objects read back", what, i, n);

    m = icetap_avro_reader_meta(r, "avro.schema", &len);
    ok(m && len == strlen(all_types_schema)
       && memcmp(m, all_types_schema, len) == 0,
       "%s: schema in the header is verbatim", what);

    m = icetap_avro_reader_meta(r, "bin", &len);
    ok(m && len == 2 && memcmp(m, "\0\xff", 2) == 0,
       "%s: binary header value intact", what);

    m = icetap_avro_reader_meta(r, "format-version", NULL);
    is_str(m, "2", "%s: format-version header", what);

    icetap_avro_arena_destroy(a);

    return i;
}


static void
test_file(void)
{
    size_t                 cut;
    icetap_rc              rc;
    slow_in_t              in;
    icetap_buf_t           f, d;
    icetap_error_t         err;
    icetap_avro_reader_t  *r;

    memset(&f, 0, sizeof(f));
    memset(&d, 0, sizeof(d));

    /* null codec, many small blocks, read from memory and from a stream */

    write_file(ICETAP_AVRO_CODEC_NULL, 200, 50, &f);

    ok(icetap_avro_reader_create_mem(f.data, f.len, &r, &err) == ICETAP_OK,
       "null-codec file opens");
    read_all(r, 50, "null codec");
    ok(icetap_avro_reader_blocks(r) > 5, "several blocks were written (%d)",
       (int) icetap_avro_reader_blocks(r));
    icetap_avro_reader_destroy(r);

    in.p = f.data;
    in.len = f.len;
    in.pos = 0;
    in.step = 7;

    ok(icetap_avro_reader_create(slow_read, &in, &r, &err) == ICETAP_OK,
       "stream reader opens with 7-byte reads");
    read_all(r, 50, "7-byte stream");
    icetap_avro_reader_destroy(r);

    /* deflate, one big block and many small ones */

    write_file(ICETAP_AVRO_CODEC_DEFLATE, 0, 300, &d);
    ok(d.len < f.len, "deflate file (%zu bytes for 300) is smaller than the "
       "null one (%zu for 50)", d.len, f.len);

    ok(icetap_avro_reader_create_mem(d.data, d.len, &r, &err) == ICETAP_OK
       && icetap_avro_reader_codec(r) == ICETAP_AVRO_CODEC_DEFLATE,
       "deflate file opens");
    read_all(r, 300, "deflate");
    icetap_avro_reader_destroy(r);

    icetap_buf_reset(&d);
    write_file(ICETAP_AVRO_CODEC_DEFLATE, 100, 40, &d);

    in.p = d.data;
    in.len = d.len;
    in.pos = 0;
    in.step = 3;

    ok(icetap_avro_reader_create(slow_read, &in, &r, &err) == ICETAP_OK,
       "small deflate blocks stream");
    read_all(r, 40, "small deflate blocks");
    icetap_avro_reader_destroy(r);

    /* every truncation of a file is an error, never a crash */

    rc = ICETAP_INVALID;

    for (cut = 0; cut < d.len; cut++) {
        r = NULL;
        rc = icetap_avro_reader_create_mem(d.data, cut, &r, &err);

        if (rc == ICETAP_OK) {
            icetap_avro_arena_t  *a;
            icetap_avro_value_t   v;

            a = icetap_avro_arena_create(0);

            do {
                icetap_avro_arena_reset(a);
                rc = icetap_avro_reader_next(r, a, &v, &err);
            } while (rc == ICETAP_OK);

            icetap_avro_arena_destroy(a);
            icetap_avro_reader_destroy(r);

            /* a cut exactly between blocks is a shorter valid file */
            if (rc == ICETAP_EOF) {
                continue;
            }
        }

        if (rc != ICETAP_INVALID) {
            break;
        }
    }

    ok(rc == ICETAP_INVALID || rc == ICETAP_EOF,
       "all %zu truncations fail cleanly", d.len);

    /* a damaged sync marker */

    f.data[f.len - 1] ^= 0x55;
    icetap_avro_reader_create_mem(f.data, f.len, &r, &err);
    {
        icetap_avro_arena_t  *a;
        icetap_avro_value_t   v;

        a = icetap_avro_arena_create(0);

        do {
            rc = icetap_avro_reader_next(r, a, &v, &err);
        } while (rc == ICETAP_OK);

        ok(rc == ICETAP_INVALID, "bad sync marker found: %s", err.msg);

        icetap_avro_arena_destroy(a);
    }
    icetap_avro_reader_destroy(r);

    ok(icetap_avro_reader_create_mem("Obj\x02", 4, &r, &err)
       == ICETAP_INVALID, "wrong magic rejected: %s", err.msg);

    icetap_buf_free(&f);
    icetap_buf_free(&d);
}


static void
test_exact_bytes(void)
{
    icetap_buf_t               f;
    icetap_error_t             err;
    icetap_avro_value_t        v;
    icetap_avro_writer_t      *w;
    icetap_avro_reader_t      *r;
    icetap_avro_writer_conf_t  conf;

    static const uint8_t  sync[16] = {
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    };

    static const uint8_t  expect[] =
        "Obj\x01"
        "\x06"
        "\x16" "avro.schema" "\x0c" "\"long\""
        "\x14" "avro.codec" "\x08" "null"
        "\x02" "k" "\x02" "v"
        "\x00"
        "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
        "\x04" "\x06" "\x54" "\x80\x01"
        "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f";

    icetap_avro_meta_t  meta = { "k", "v", 1 };

    memset(&f, 0, sizeof(f));
    memset(&conf, 0, sizeof(conf));
    conf.schema_json = "\"long\"";
    conf.meta = &meta;
    conf.nmeta = 1;
    conf.sync = sync;
    conf.write = icetap_avro_write_buf;
    conf.ctx = &f;

    icetap_avro_writer_create(&conf, &w, &err);
    icetap_avro_set_long(&v, 42);
    icetap_avro_writer_append(w, &v, &err);
    icetap_avro_set_long(&v, 64);
    icetap_avro_writer_append(w, &v, &err);
    icetap_avro_writer_finish(w, &err);
    icetap_avro_writer_destroy(w);

    ok(f.len == sizeof(expect) - 1 && memcmp(f.data, expect, f.len) == 0,
       "container bytes exactly as the Avro spec lays them out");

    conf.codec = 7;
    ok(icetap_avro_writer_create(&conf, &w, &err) == ICETAP_UNSUPPORTED,
       "unknown codec refused");

    conf.codec = ICETAP_AVRO_CODEC_NULL;
    meta.key = "avro.codec";
    ok(icetap_avro_writer_create(&conf, &w, &err) == ICETAP_INVALID,
       "reserved header key refused: %s", err.msg);

    conf.schema_json = "{bad";
    ok(icetap_avro_writer_create(&conf, &w, &err) == ICETAP_INVALID,
       "bad schema refused: %s", err.msg);

    /* an unknown codec in a file */

    {
        icetap_buf_t  h;

        memset(&h, 0, sizeof(h));
        icetap_buf_append(&h, "Obj\x01\x04", 5);
        icetap_avro_put_bytes(&h, "avro.schema", 11);
        icetap_avro_put_bytes(&h, "\"int\"", 5);
        icetap_avro_put_bytes(&h, "avro.codec", 10);
        icetap_avro_put_bytes(&h, "snappy", 6);
        icetap_buf_putc(&h, 0);
        icetap_buf_append(&h, sync, 16);

        ok(icetap_avro_reader_create_mem(h.data, h.len, &r, &err)
           == ICETAP_UNSUPPORTED, "snappy files: %s", err.msg);

        icetap_buf_free(&h);
    }

    icetap_buf_free(&f);
}


int
main(void)
{
    test_varint();
    test_schema();
    test_datum();
    test_file();
    test_exact_bytes();

    return done_testing();
}
