/*
 * Copyright (C) icetap authors
 *
 * Parquet unit tests: Thrift bytes from the spec, RLE/bit-packed levels,
 * round trips of every type, nesting and codec through the writer and
 * the reader, statistics and Iceberg metrics, dictionary fallback, page
 * and row-group limits, the row-group copy path and malformed input.
 */

#include <stdlib.h>
#include <math.h>

#include "tap.h"
#include "icetap_parquet.h"


typedef struct {
    icetap_buf_t  buf;
    int           fail_at;      /* fail the n-th write, 0 never */
    int           writes;
} sink_t;


static icetap_rc
mem_write(void *ctx, const void *p, size_t n, icetap_error_t *err)
{
    sink_t  *s = ctx;

    if (s->fail_at && ++s->writes == s->fail_at) {
        return icetap_error_set(err, ICETAP_IO, "sink full");
    }

    return icetap_buf_append(&s->buf, p, n);
}


static icetap_rc
mem_read(void *ctx, uint64_t off, void *p, size_t n, icetap_error_t *err)
{
    icetap_buf_t  *b = ctx;

    if (off > b->len || n > b->len - off) {
        return icetap_error_set(err, ICETAP_IO, "read past the end");
    }

    memcpy(p, b->data + off, n);

    return ICETAP_OK;
}


/* reads confined to [lo, hi) once hi is set */

typedef struct {
    icetap_buf_t  *buf;
    uint64_t       lo;
    uint64_t       hi;
} window_t;


static icetap_rc
window_read(void *ctx, uint64_t off, void *p, size_t n, icetap_error_t *err)
{
    window_t  *w = ctx;

    if (w->hi && (off < w->lo || off + n > w->hi)) {
        return icetap_error_set(err, ICETAP_IO, "read outside the window");
    }

    return mem_read(w->buf, off, p, n, err);
}


static const uint8_t *
find(const icetap_buf_t *b, const void *needle, size_t n)
{
    size_t  i;

    for (i = 0; i + n <= b->len; i++) {
        if (memcmp(b->data + i, needle, n) == 0) {
            return b->data + i;
        }
    }

    return NULL;
}


static void
test_thrift_bytes(void)
{
    static const uint8_t  page[] = {
        0x15, 0x00, 0x15, 0x30, 0x15, 0x30, 0x2c, 0x15, 0x06, 0x15, 0x00,
        0x15, 0x06, 0x15, 0x06, 0x00, 0x00
    };
    static const uint8_t  el_id[] = {
        0x15, 0x04, 0x25, 0x00, 0x18, 0x02, 0x69, 0x64, 0x55, 0x02, 0x00
    };
    static const uint8_t  el_name[] = {
        0x15, 0x0c, 0x25, 0x02, 0x18, 0x04, 0x6e, 0x61, 0x6d, 0x65, 0x25,
        0x00, 0x35, 0x04, 0x1c, 0x1c, 0x00, 0x00, 0x00
    };
    static const uint8_t  el_ts[] = {
        0x15, 0x04, 0x25, 0x02, 0x18, 0x02, 0x74, 0x73, 0x25, 0x14, 0x35,
        0x06, 0x1c, 0x8c, 0x11, 0x1c, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x00
    };
    size_t               used;
    icetap_buf_t         b;
    icetap_error_t       err;
    icetap_pq_page_t     ph, back;
    icetap_pq_meta_t     m;
    icetap_pq_schema_t  *s;

    memset(&b, 0, sizeof(b));
    memset(&ph, 0, sizeof(ph));
    ph.type = ICETAP_PQ_PAGE_DATA;
    ph.usize = 24;
    ph.csize = 24;
    ph.num_values = 3;
    ph.encoding = ICETAP_PQ_ENC_PLAIN;

    ok(icetap_pq_page_encode(&b, &ph) == ICETAP_OK, "page header encodes");
    ok(b.len == sizeof(page) && memcmp(b.data, page, b.len) == 0,
       "page header bytes match the spec");
    ok(icetap_pq_page_decode(b.data, b.len, &used, &back, &err) == ICETAP_OK
       && used == b.len && back.num_values == 3 && back.usize == 24
       && back.def_encoding == ICETAP_PQ_ENC_RLE,
       "page header decodes");

    s = icetap_pq_schema_new(&err);
    icetap_pq_schema_add(s, ICETAP_PQ_ROOT, 1, "id", 1, ICETAP_PQ_LONG, 0, 0,
                         &err);
    icetap_pq_schema_add(s, ICETAP_PQ_ROOT, 2, "name", 0, ICETAP_PQ_STRING,
                         0, 0, &err);
    icetap_pq_schema_add(s, ICETAP_PQ_ROOT, 3, "ts", 0,
                         ICETAP_PQ_TIMESTAMPTZ, 0, 0, &err);
    ok(icetap_pq_schema_finish(s, &err) == ICETAP_OK, "schema finishes");

    memset(&m, 0, sizeof(m));
    m.schema = s;
    b.len = 0;
    ok(icetap_pq_meta_encode(&m, &b) == ICETAP_OK, "footer encodes");
    ok(find(&b, el_id, sizeof(el_id)) != NULL,
       "SchemaElement id bytes match the spec");
    ok(find(&b, el_name, sizeof(el_name)) != NULL,
       "SchemaElement name (STRING) bytes match the spec");
    ok(find(&b, el_ts, sizeof(el_ts)) != NULL,
       "SchemaElement ts (TIMESTAMP utc MICROS) bytes match the spec");

    icetap_pq_schema_free(s);
    icetap_buf_free(&b);
}


static void
test_rle(void)
{
    static const uint8_t  rle_form[] = { 0x02, 0x01, 0x02, 0x00, 0x02, 0x01 };
    static const uint8_t  bp_form[] = { 0x03, 0x05 };
    int             w, good;
    size_t          i, n, used;
    uint8_t         lv[3] = { 1, 0, 1 };
    uint32_t        in[5000], out[5000];
    icetap_buf_t    b;
    icetap_error_t  err;

    memset(&b, 0, sizeof(b));

    ok(icetap_pq_rle_decode(rle_form, sizeof(rle_form), 1, out, 3, &used,
                            &err) == ICETAP_OK
       && out[0] == 1 && out[1] == 0 && out[2] == 1 && used == 6,
       "spec RLE form of [1,0,1] decodes");
    ok(icetap_pq_rle_decode(bp_form, sizeof(bp_form), 1, out, 3, NULL, &err)
       == ICETAP_OK && out[0] == 1 && out[1] == 0 && out[2] == 1,
       "spec bit-packed form of [1,0,1] decodes");
    ok(icetap_pq_rle_encode(&b, lv, NULL, 3, 1) == ICETAP_OK
       && b.len == 2 && memcmp(b.data, bp_form, 2) == 0,
       "[1,0,1] encodes to the spec's bit-packed form");

    good = 1;
    srand(7);

    for (w = 1; w <= 32 && good; w++) {
        n = 100 + rand() % 4900;

        for (i = 0; i < n; i++) {
            /* mixes long runs with noise */
            in[i] = (i / 37) % 3 == 0 ? (uint32_t) (i / 37)
                                      : (uint32_t) rand();
            in[i] &= w == 32 ? 0xffffffffu : (1u << w) - 1;
        }

        b.len = 0;

        if (icetap_pq_rle_encode(&b, NULL, in, n, w) != ICETAP_OK
            || icetap_pq_rle_decode(b.data, b.len, w, out, n, NULL, &err)
               != ICETAP_OK
            || memcmp(in, out, n * 4) != 0)
        {
            diag("width %d n %zu: %s", w, n, err.msg);
            good = 0;
        }
    }

    ok(good, "RLE/bit-packed hybrid round trips widths 1..32");

    ok(icetap_pq_rle_decode(bp_form, 1, 1, out, 3, NULL, &err)
       == ICETAP_INVALID, "truncated bit-packed run is an error: %s",
       err.msg);
    ok(icetap_pq_rle_decode(rle_form, 2, 1, out, 3, NULL, &err)
       == ICETAP_INVALID, "RLE stream too short is an error: %s", err.msg);

    icetap_buf_free(&b);
}


/* a schema with every primitive type, optional, plus nested fields */

enum {
    C_ID, C_B, C_I, C_L, C_F, C_D, C_DEC9, C_DEC18, C_DEC30, C_DATE, C_TIME,
    C_TS, C_TSTZ, C_TSNS, C_S, C_U, C_FX, C_BIN, C_N
};


static icetap_pq_schema_t *
all_types(void)
{
    static const struct {
        const char        *name;
        icetap_pq_type_e   t;
        int32_t            p1, p2;
    } f[C_N] = {
        { "id", ICETAP_PQ_LONG, 0, 0 }, { "b", ICETAP_PQ_BOOLEAN, 0, 0 },
        { "i", ICETAP_PQ_INT, 0, 0 }, { "l", ICETAP_PQ_LONG, 0, 0 },
        { "f", ICETAP_PQ_FLOAT, 0, 0 }, { "d", ICETAP_PQ_DOUBLE, 0, 0 },
        { "dec9", ICETAP_PQ_DECIMAL, 9, 2 },
        { "dec18", ICETAP_PQ_DECIMAL, 18, 3 },
        { "dec30", ICETAP_PQ_DECIMAL, 30, 5 },
        { "date", ICETAP_PQ_DATE, 0, 0 }, { "time", ICETAP_PQ_TIME, 0, 0 },
        { "ts", ICETAP_PQ_TIMESTAMP, 0, 0 },
        { "tstz", ICETAP_PQ_TIMESTAMPTZ, 0, 0 },
        { "tsns", ICETAP_PQ_TIMESTAMP_NS, 0, 0 },
        { "s", ICETAP_PQ_STRING, 0, 0 }, { "u", ICETAP_PQ_UUID, 0, 0 },
        { "fx", ICETAP_PQ_FIXED, 3, 0 }, { "bin", ICETAP_PQ_BINARY, 0, 0 }
    };
    int                  k, h;
    icetap_error_t       err;
    icetap_pq_schema_t  *s;

    s = icetap_pq_schema_new(&err);

    for (k = 0; k < C_N; k++) {
        icetap_pq_schema_add(s, ICETAP_PQ_ROOT, k + 1, f[k].name, k == C_ID,
                             f[k].t, f[k].p1, f[k].p2, &err);
    }

    /* list<optional string> 30/31, map<string, optional long> 32/33/34 */
    h = icetap_pq_schema_add(s, ICETAP_PQ_ROOT, 30, "lst", 0, ICETAP_PQ_LIST,
                             0, 0, &err);
    icetap_pq_schema_add(s, h, 31, "element", 0, ICETAP_PQ_STRING, 0, 0,
                         &err);
    h = icetap_pq_schema_add(s, ICETAP_PQ_ROOT, 32, "m", 0, ICETAP_PQ_MAP, 0,
                             0, &err);
    icetap_pq_schema_add(s, h, 33, "key", 1, ICETAP_PQ_STRING, 0, 0, &err);
    icetap_pq_schema_add(s, h, 34, "value", 0, ICETAP_PQ_LONG, 0, 0, &err);

    if (icetap_pq_schema_finish(s, &err) != ICETAP_OK) {
        diag("schema: %s", err.msg);
    }

    return s;
}


static int64_t
val(int row, int col)
{
    return (int64_t) (row * 7919 + col * 104729) % 100000 - 50000;
}


static int
is_null(int row, int col)
{
    return col != C_ID && (row + col) % 5 == 0;
}


static icetap_rc
write_row(icetap_pq_writer_t *w, int r)
{
    int      k;
    char     str[64];
    uint8_t  u[16];
    int64_t  v;

    for (k = 0; k < C_N; k++) {
        v = val(r, k);

        if (is_null(r, k)) {
            icetap_pq_null(w);
            continue;
        }

        switch (k) {
        case C_B:
            icetap_pq_bool(w, v & 1);
            break;
        case C_F:
            icetap_pq_float(w, r % 17 == 3 ? NAN : (float) v / 4);
            break;
        case C_D:
            icetap_pq_double(w, (double) v / 8);
            break;
        case C_I:
        case C_DATE:
        case C_DEC9:
            icetap_pq_int32(w, (int32_t) v);
            break;
        case C_S:
            snprintf(str, sizeof(str), "s%lld", (long long) (v % 50));
            icetap_pq_str(w, str);
            break;
        case C_U:
            memset(u, (int) (v & 0xff), 16);
            icetap_pq_bytes(w, u, 16);
            break;
        case C_FX:
            memset(u, (int) (v & 0xff), 3);
            icetap_pq_bytes(w, u, 3);
            break;
        case C_BIN:
            memset(u, (int) (v & 0xff), 16);
            icetap_pq_bytes(w, u, (size_t) (r % 9));
            break;
        default:
            icetap_pq_int64(w, k == C_ID ? r : v * 1000003);
        }
    }

    /* lst: null, [], ["x", null], ["a".."c"] */
    switch (r % 4) {
    case 0:
        icetap_pq_null(w);
        break;
    case 1:
        icetap_pq_begin(w);
        icetap_pq_end(w);
        break;
    case 2:
        icetap_pq_begin(w);
        icetap_pq_str(w, "x");
        icetap_pq_null(w);
        icetap_pq_end(w);
        break;
    default:
        icetap_pq_begin(w);
        icetap_pq_str(w, "a");
        icetap_pq_str(w, "b");
        icetap_pq_str(w, "c");
        icetap_pq_end(w);
    }

    /* m: {k1: r, k2: null} / null / {} */
    switch (r % 3) {
    case 0:
        icetap_pq_begin(w);
        icetap_pq_str(w, "k1");
        icetap_pq_int64(w, r);
        icetap_pq_str(w, "k2");
        icetap_pq_null(w);
        icetap_pq_end(w);
        break;
    case 1:
        icetap_pq_null(w);
        break;
    default:
        icetap_pq_begin(w);
        icetap_pq_end(w);
    }

    return icetap_pq_end_row(w);
}


static int
write_file(icetap_pq_schema_t *s, icetap_pq_writer_conf_t *conf, int rows,
    sink_t *out, icetap_pq_writer_t **keep)
{
    int                    r;
    icetap_pq_writer_t    *w;
    static icetap_error_t  err;     /* outlives a kept writer */

    memset(out, 0, sizeof(*out));

    w = icetap_pq_writer_open(s, conf, mem_write, out, &err);
    if (w == NULL) {
        diag("open: %s", err.msg);
        return 0;
    }

    for (r = 0; r < rows; r++) {
        if (write_row(w, r) != ICETAP_OK) {
            diag("row %d: %s", r, err.msg);
            icetap_pq_writer_free(w);
            return 0;
        }
    }

    if (icetap_pq_writer_close(w) != ICETAP_OK) {
        diag("close: %s", err.msg);
        icetap_pq_writer_free(w);
        return 0;
    }

    if (keep) {
        *keep = w;
    } else {
        icetap_pq_writer_free(w);
    }

    return 1;
}


/* checks every flat column of every row group against val()/is_null() */

static int
check_file(icetap_buf_t *file, int rows, const char *label)
{
    int                  rg, k, row, base, good;
    size_t               e, v;
    int64_t              x;
    icetap_error_t       err;
    icetap_pq_reader_t  *r;
    icetap_pq_column_t   col;

    memset(&col, 0, sizeof(col));
    r = icetap_pq_reader_open(mem_read, file, file->len, &err);

    if (r == NULL) {
        diag("%s: open: %s", label, err.msg);
        return 0;
    }

    good = icetap_pq_reader_rows(r) == rows;
    base = 0;

    for (rg = 0; good && rg < icetap_pq_reader_row_groups(r); rg++) {
        for (k = 0; good && k < C_N; k++) {
            if (icetap_pq_read_column(r, rg, k, &col, &err) != ICETAP_OK) {
                diag("%s: rg %d col %d: %s", label, rg, k, err.msg);
                good = 0;
                break;
            }

            v = 0;

            for (e = 0; e < col.num_entries; e++) {
                row = base + (int) e;
                x = val(row, k);

                if ((k != C_ID && (col.def[e] == 0) != is_null(row, k))
                    || col.rep[e] != 0)
                {
                    diag("%s: row %d col %d: level %d", label, row, k,
                         col.def[e]);
                    good = 0;
                    break;
                }

                if (is_null(row, k)) {
                    continue;
                }

                switch (k) {
                case C_ID:
                    good = ((int64_t *) col.values)[v] == row;
                    break;
                case C_B:
                    good = ((uint8_t *) col.values)[v] == (x & 1);
                    break;
                case C_F:
                    good = row % 17 == 3
                           ? isnan(((float *) col.values)[v])
                           : ((float *) col.values)[v] == (float) x / 4;
                    break;
                case C_D:
                    good = ((double *) col.values)[v] == (double) x / 8;
                    break;
                case C_I:
                case C_DATE:
                case C_DEC9:
                    good = ((int32_t *) col.values)[v] == x;
                    break;
                case C_S:
                case C_U:
                case C_FX:
                case C_BIN:
                    good = col.offsets[v + 1] - col.offsets[v]
                           == (k == C_U ? 16 : k == C_FX ? 3
                               : k == C_BIN ? (uint32_t) (row % 9)
                               : col.offsets[v + 1] - col.offsets[v]);
                    break;
                case C_DEC30:
                    good = col.offsets[v + 1] - col.offsets[v] == 13
                           && (int8_t) col.data[col.offsets[v]]
                              == (x < 0 ? -1 : 0);
                    break;
                default:
                    good = ((int64_t *) col.values)[v] == x * 1000003;
                }

                if (!good) {
                    diag("%s: row %d col %d differs", label, row, k);
                    break;
                }

                v++;
            }

            good = good && v == col.num_values;
        }

        base += (int) icetap_pq_reader_row_group_rows(r, rg);
    }

    icetap_pq_column_free(&col);
    icetap_pq_reader_free(r);

    return good;
}


static void
test_round_trip(void)
{
    static const int     codecs[] = {
        ICETAP_PQ_UNCOMPRESSED, ICETAP_PQ_SNAPPY, ICETAP_PQ_GZIP,
        ICETAP_PQ_ZSTD
    };
    int                      c;
    sink_t                   out;
    icetap_pq_schema_t      *s;
    icetap_pq_writer_conf_t  conf;

    s = all_types();

    for (c = 0; c < 4; c++) {
        icetap_pq_writer_conf_init(&conf);
        conf.codec = codecs[c];
        ok(write_file(s, &conf, 1000, &out, NULL)
           && check_file(&out.buf, 1000, icetap_pq_codec_name(codecs[c])),
           "every type round trips with %s", icetap_pq_codec_name(codecs[c]));
        icetap_buf_free(&out.buf);
    }

    icetap_pq_writer_conf_init(&conf);
    conf.no_dictionary = 1;
    conf.page_size = 512;
    conf.row_group_size = 8192;
    ok(write_file(s, &conf, 3000, &out, NULL)
       && check_file(&out.buf, 3000, "plain, small pages and row groups"),
       "round trip with PLAIN only, small pages and row groups");
    icetap_buf_free(&out.buf);

    icetap_pq_schema_free(s);
}


static void
test_levels(void)
{
    static const uint8_t  key_rep[] = { 0, 1, 0, 0, 0, 1 };
    static const uint8_t  key_def[] = { 2, 2, 0, 1, 2, 2 };
    static const uint8_t  val_def[] = { 3, 2, 0, 1, 3, 2 };
    static const uint8_t  el_rep[] = { 0, 0, 0, 1, 0, 1, 1 };
    static const uint8_t  el_def[] = { 0, 1, 3, 2, 3, 3, 3 };
    int                  lk, lv, le;
    sink_t               out;
    icetap_error_t       err;
    icetap_pq_reader_t  *r;
    icetap_pq_column_t   ck, cv, ce;
    icetap_pq_schema_t  *s;

    s = all_types();
    ok(write_file(s, NULL, 4, &out, NULL), "nested rows written");

    r = icetap_pq_reader_open(mem_read, &out.buf, out.buf.len, &err);
    memset(&ck, 0, sizeof(ck));
    memset(&cv, 0, sizeof(cv));
    memset(&ce, 0, sizeof(ce));

    le = icetap_pq_schema_leaf_by_id(icetap_pq_reader_schema(r), 31);
    lk = icetap_pq_schema_leaf_by_id(icetap_pq_reader_schema(r), 33);
    lv = icetap_pq_schema_leaf_by_id(icetap_pq_reader_schema(r), 34);

    ok(icetap_pq_read_column(r, 0, le, &ce, &err) == ICETAP_OK
       && ce.num_entries == sizeof(el_rep)
       && memcmp(ce.rep, el_rep, sizeof(el_rep)) == 0
       && memcmp(ce.def, el_def, sizeof(el_def)) == 0 && ce.num_values == 4,
       "list levels: null, [], [x, null], [a, b, c]");

    /* rows 0..3: {k1: 0, k2: null}, null, {}, {k1: 3, k2: null} */
    ok(icetap_pq_read_column(r, 0, lk, &ck, &err) == ICETAP_OK
       && ck.num_entries == 6 && memcmp(ck.rep, key_rep, 6) == 0
       && memcmp(ck.def, key_def, 6) == 0,
       "map key levels match the spec table");
    ok(icetap_pq_read_column(r, 0, lv, &cv, &err) == ICETAP_OK
       && memcmp(cv.rep, key_rep, 6) == 0 && memcmp(cv.def, val_def, 6) == 0
       && cv.num_values == 2 && ((int64_t *) cv.values)[1] == 3,
       "map value levels match the spec table");

    icetap_pq_column_free(&ck);
    icetap_pq_column_free(&cv);
    icetap_pq_column_free(&ce);
    icetap_pq_reader_free(r);
    icetap_buf_free(&out.buf);
    icetap_pq_schema_free(s);
}


static void
test_metrics(void)
{
    int                  k;
    sink_t               out;
    int32_t              i32;
    int64_t              i64;
    const int64_t       *offs;
    icetap_pq_writer_t  *w;
    icetap_pq_metrics_t  m;
    icetap_pq_schema_t  *s;
    icetap_pq_writer_conf_t  conf;

    s = all_types();
    icetap_pq_writer_conf_init(&conf);
    conf.row_group_size = 4096;

    if (!write_file(s, &conf, 2000, &out, &w)) {
        ok(0, "metrics file written");
        return;
    }

    ok(icetap_pq_writer_row_groups(w, &offs) > 1 && offs[0] == 4,
       "small row_group_size gives several row groups");

    ok(icetap_pq_writer_metrics(w, C_ID, &m) == ICETAP_OK
       && m.field_id == 1 && m.value_count == 2000 && m.null_count == 0
       && m.has_bounds && m.lower_len == 8 && m.upper_len == 8,
       "id metrics: counts and 8-byte bounds");
    memcpy(&i64, m.lower, 8);
    k = (i64 == 0);
    memcpy(&i64, m.upper, 8);
    ok(k && i64 == 1999, "id bounds are 0 and 1999");

    ok(icetap_pq_writer_metrics(w, C_I, &m) == ICETAP_OK
       && m.null_count == 400 && m.value_count == 2000 && m.lower_len == 4,
       "int metrics count nulls");
    memcpy(&i32, m.lower, 4);
    ok(i32 >= -50000 && i32 < 0, "int lower bound is negative (%d)", i32);

    ok(icetap_pq_writer_metrics(w, C_F, &m) == ICETAP_OK && m.nan_count > 0
       && m.has_bounds && m.lower_len == 4,
       "float metrics count NaNs and keep them out of bounds");

    ok(icetap_pq_writer_metrics(w, C_DEC9, &m) == ICETAP_OK && m.has_bounds
       && m.lower_len <= 4 && (m.lower[0] & 0x80)
       && !(m.upper[0] & 0x80),
       "decimal bounds are minimal big-endian two's complement");

    ok(icetap_pq_writer_metrics(w, C_S, &m) == ICETAP_OK && m.has_bounds
       && m.lower_len >= 2 && m.lower[0] == 's',
       "string bounds are raw UTF-8");

    ok(icetap_pq_writer_metrics(w, C_N + 1, &m) == ICETAP_OK
       && m.in_repeated && m.field_id == 33,
       "map key metrics are marked as repeated");

    ok(icetap_pq_writer_metrics(w, 99, &m) == ICETAP_INVALID,
       "metrics of a missing leaf are an error");

    icetap_pq_writer_free(w);
    icetap_buf_free(&out.buf);
    icetap_pq_schema_free(s);
}


/* page encodings of one column chunk, walked from the footer */

static int
page_encodings(icetap_buf_t *file, int leaf, uint32_t *encs, int *pages)
{
    size_t              used;
    uint32_t            flen;
    const uint8_t      *p, *end;
    icetap_error_t      err;
    icetap_pq_meta_t    m;
    icetap_pq_page_t    ph;
    icetap_pq_chunk_t  *c;

    flen = icetap_pq_get32(file->data + file->len - 8);

    if (icetap_pq_meta_decode(file->data + file->len - 8 - flen, flen, &m,
                              &err) != ICETAP_OK)
    {
        diag("footer: %s", err.msg);
        return 0;
    }

    c = &m.rgs[0].chunks[leaf];
    p = file->data + (c->dict_page_offset >= 0 ? c->dict_page_offset
                                               : c->data_page_offset);
    end = p + c->total_compressed;
    *encs = 0;
    *pages = 0;

    while (p < end) {
        if (icetap_pq_page_decode(p, end - p, &used, &ph, &err) != ICETAP_OK)
        {
            break;
        }

        if (ph.type == ICETAP_PQ_PAGE_DATA) {
            *encs |= 1u << ph.encoding;
            (*pages)++;
        }

        p += used + ph.csize;
    }

    icetap_pq_meta_free(&m);
    icetap_pq_schema_free(m.schema);

    return p == end;
}


static void
test_dictionary(void)
{
    int                      r, pages, walked;
    char                     str[32];
    sink_t                   out;
    uint32_t                 encs;
    icetap_error_t           err;
    icetap_pq_schema_t      *s;
    icetap_pq_writer_t      *w;
    icetap_pq_reader_t      *rd;
    icetap_pq_column_t       col;
    icetap_pq_writer_conf_t  conf;

    s = icetap_pq_schema_new(&err);
    icetap_pq_schema_add(s, ICETAP_PQ_ROOT, 1, "low", 1, ICETAP_PQ_STRING, 0,
                         0, &err);
    icetap_pq_schema_add(s, ICETAP_PQ_ROOT, 2, "grow", 1, ICETAP_PQ_STRING,
                         0, 0, &err);
    icetap_pq_schema_finish(s, &err);

    icetap_pq_writer_conf_init(&conf);
    conf.dict_size = 2048;
    conf.page_size = 1024;
    memset(&out, 0, sizeof(out));
    w = icetap_pq_writer_open(s, &conf, mem_write, &out, &err);

    /* "grow" starts repetitive, then every value is new */

    for (r = 0; r < 5000; r++) {
        snprintf(str, sizeof(str), "v%d", r % 3);
        icetap_pq_str(w, str);
        snprintf(str, sizeof(str), "value-%d", r < 2000 ? r % 4 : r);
        icetap_pq_str(w, str);
        icetap_pq_end_row(w);
    }

    ok(icetap_pq_writer_close(w) == ICETAP_OK, "dictionary file written");

    walked = page_encodings(&out.buf, 0, &encs, &pages);
    ok(walked && encs == 1u << ICETAP_PQ_ENC_RLE_DICTIONARY && pages >= 1,
       "low-cardinality column stays dictionary-encoded (%d pages)", pages);
    walked = page_encodings(&out.buf, 1, &encs, &pages);
    ok(walked && (encs & (1u << ICETAP_PQ_ENC_RLE_DICTIONARY))
       && (encs & (1u << ICETAP_PQ_ENC_PLAIN)) && pages > 2,
       "growing dictionary falls back to PLAIN pages (%d pages)", pages);

    rd = icetap_pq_reader_open(mem_read, &out.buf, out.buf.len, &err);
    memset(&col, 0, sizeof(col));

    ok(rd && icetap_pq_read_column(rd, 0, 1, &col, &err) == ICETAP_OK
       && col.num_values == 5000
       && col.offsets[4001] - col.offsets[4000] == 10
       && memcmp(col.data + col.offsets[4000], "value-4000", 10) == 0
       && memcmp(col.data + col.offsets[7], "value-3", 7) == 0,
       "mixed dictionary and PLAIN pages read back");

    icetap_pq_column_free(&col);
    icetap_pq_reader_free(rd);
    icetap_pq_writer_free(w);
    icetap_buf_free(&out.buf);
    icetap_pq_schema_free(s);
}


static void
test_copy_and_columns(void)
{
    int                  k, rg;
    size_t               n;
    sink_t               a, b, cat, re;
    icetap_error_t       err;
    icetap_pq_schema_t  *s;
    icetap_pq_writer_t  *w;
    icetap_pq_reader_t  *ra, *rb;
    icetap_pq_column_t   cols[C_N + 3];
    icetap_pq_writer_conf_t  conf;

    s = all_types();
    icetap_pq_writer_conf_init(&conf);
    conf.codec = ICETAP_PQ_SNAPPY;

    write_file(s, NULL, 700, &a, NULL);
    write_file(s, &conf, 700, &b, NULL);

    ra = icetap_pq_reader_open(mem_read, &a.buf, a.buf.len, &err);
    rb = icetap_pq_reader_open(mem_read, &b.buf, b.buf.len, &err);
    memset(&cat, 0, sizeof(cat));

    w = icetap_pq_writer_open(s, NULL, mem_write, &cat, &err);
    ok(w && icetap_pq_writer_append(w, ra) == ICETAP_OK
       && icetap_pq_writer_append(w, rb) == ICETAP_OK
       && icetap_pq_writer_close(w) == ICETAP_OK
       && icetap_pq_writer_rows(w) == 1400,
       "row groups of two files appended without decoding");
    icetap_pq_writer_free(w);

    /* both halves decode: each is rows 0..699 */
    {
        icetap_pq_reader_t  *rc;
        icetap_pq_column_t   col;

        memset(&col, 0, sizeof(col));
        rc = icetap_pq_reader_open(mem_read, &cat.buf, cat.buf.len, &err);
        ok(rc && icetap_pq_reader_row_groups(rc) == 2
           && icetap_pq_read_column(rc, 1, C_S, &col, &err) == ICETAP_OK
           && col.num_entries == 700
           && icetap_pq_read_column(rc, 1, C_ID, &col, &err) == ICETAP_OK
           && ((int64_t *) col.values)[699] == 699,
           "appended row groups read back at their new offsets");
        icetap_pq_column_free(&col);
        icetap_pq_reader_free(rc);
    }

    /* a row group's span holds all its chunks: one ranged read */
    {
        int                  good;
        uint64_t             off0, len0, off1, len1;
        window_t             win;
        icetap_pq_reader_t  *rc;
        icetap_pq_column_t   col;

        memset(&col, 0, sizeof(col));
        win.buf = &cat.buf;
        win.lo = win.hi = 0;
        rc = icetap_pq_reader_open(window_read, &win, cat.buf.len, &err);

        ok(rc
           && icetap_pq_reader_row_group_span(rc, 0, &off0, &len0)
              == ICETAP_OK
           && icetap_pq_reader_row_group_span(rc, 1, &off1, &len1)
              == ICETAP_OK
           && off0 == 4 && off1 == off0 + len0
           && off1 + len1 < cat.buf.len - 8,
           "row group spans: from the magic, adjacent, before the footer");
        ok(rc && icetap_pq_reader_row_group_span(rc, 2, &off0, &len0)
                 == ICETAP_INVALID,
           "no span for a row group that does not exist");

        good = rc != NULL;

        for (rg = 0; good && rg < 2; rg++) {
            icetap_pq_reader_row_group_span(rc, rg, &win.lo, &win.hi);
            win.hi += win.lo;

            for (k = 0; good && k < (int) icetap_pq_schema_leaves(
                                    icetap_pq_reader_schema(rc)); k++)
            {
                good = icetap_pq_read_column(rc, rg, k, &col, &err)
                       == ICETAP_OK;
            }
        }

        ok(good, "every column chunk is read inside its row group's "
           "span: %s", good ? "" : err.msg);

        win.lo = 0;
        win.hi = 4;
        ok(rc && icetap_pq_read_column(rc, 1, C_ID, &col, &err)
                 == ICETAP_IO,
           "the window check bites outside the span");

        icetap_pq_column_free(&col);
        icetap_pq_reader_free(rc);
    }

    /* decode every column and re-encode through the column API */

    memset(cols, 0, sizeof(cols));
    memset(&re, 0, sizeof(re));
    n = icetap_pq_schema_leaves(icetap_pq_reader_schema(ra));
    w = icetap_pq_writer_open(icetap_pq_reader_schema(ra), NULL, mem_write,
                              &re, &err);

    for (rg = 0; rg < icetap_pq_reader_row_groups(ra); rg++) {
        for (k = 0; k < (int) n; k++) {
            icetap_pq_read_column(ra, rg, k, &cols[k], &err);
        }

        icetap_pq_writer_columns(w, cols, n,
                                 icetap_pq_reader_row_group_rows(ra, rg));
    }

    ok(icetap_pq_writer_close(w) == ICETAP_OK
       && check_file(&re.buf, 700, "column re-encode"),
       "decoded columns re-encode to the same values");
    icetap_pq_writer_free(w);

    w = icetap_pq_writer_open(icetap_pq_reader_schema(ra), NULL, mem_write,
                              &re, &err);
    ok(icetap_pq_writer_columns(w, cols, n, 699) == ICETAP_INVALID,
       "column API checks the row count: %s", err.msg);
    icetap_pq_writer_free(w);

    for (k = 0; k < (int) n; k++) {
        icetap_pq_column_free(&cols[k]);
    }

    icetap_pq_reader_free(ra);
    icetap_pq_reader_free(rb);
    icetap_buf_free(&a.buf);
    icetap_buf_free(&b.buf);
    icetap_buf_free(&cat.buf);
    icetap_buf_free(&re.buf);
    icetap_pq_schema_free(s);
}


static void
test_bad_input(void)
{
    int                  i, crashes, k;
    size_t               n;
    sink_t               out, o2;
    uint32_t             flen;
    icetap_buf_t         bad;
    icetap_error_t       err;
    icetap_pq_schema_t  *s, *s2;
    icetap_pq_writer_t  *w;
    icetap_pq_reader_t  *r;
    icetap_pq_column_t   col;

    s = all_types();
    write_file(s, NULL, 50, &out, NULL);
    memset(&bad, 0, sizeof(bad));
    memset(&col, 0, sizeof(col));

    icetap_buf_append(&bad, "PAR1xxxxPAR2", 12);
    ok(icetap_pq_reader_open(mem_read, &bad, bad.len, &err) == NULL
       && err.code == ICETAP_INVALID && strstr(err.msg, "magic"),
       "wrong magic: %s", err.msg);

    bad.len = 0;
    icetap_buf_append(&bad, out.buf.data, out.buf.len);
    bad.data[bad.len - 6] = 0x7f;
    ok(icetap_pq_reader_open(mem_read, &bad, bad.len, &err) == NULL
       && strstr(err.msg, "footer length"),
       "footer length past the start: %s", err.msg);

    ok(icetap_pq_reader_open(mem_read, &bad, 8, &err) == NULL,
       "tiny file: %s", err.msg);

    /* an LZ4 chunk: re-encode the footer with column 0's codec changed */
    flen = icetap_pq_get32(out.buf.data + out.buf.len - 8);
    bad.len = 0;
    icetap_buf_append(&bad, out.buf.data, out.buf.len - 8 - flen);
    {
        uint8_t           tail[8];
        icetap_pq_meta_t  m;

        icetap_pq_meta_decode(out.buf.data + out.buf.len - 8 - flen, flen,
                              &m, &err);
        m.rgs[0].chunks[0].codec = 5;
        n = bad.len;
        icetap_pq_meta_encode(&m, &bad);
        icetap_pq_le32(tail, (uint32_t) (bad.len - n));
        memcpy(tail + 4, "PAR1", 4);
        icetap_buf_append(&bad, tail, 8);
        icetap_pq_meta_free(&m);
        icetap_pq_schema_free(m.schema);
    }

    r = icetap_pq_reader_open(mem_read, &bad, bad.len, &err);
    ok(r && icetap_pq_read_column(r, 0, 0, &col, &err) == ICETAP_UNSUPPORTED
       && strstr(err.msg, "LZ4"),
       "unsupported codec is named: %s", err.msg);
    icetap_pq_reader_free(r);

    /* flipped bytes anywhere: an error or a clean read, never a crash */
    srand(11);
    crashes = 0;

    for (i = 0; i < 3000; i++) {
        bad.len = 0;
        icetap_buf_append(&bad, out.buf.data, out.buf.len);

        for (k = 0; k < 1 + i % 4; k++) {
            bad.data[rand() % bad.len] ^= (uint8_t) (1 + rand() % 255);
        }

        r = icetap_pq_reader_open(mem_read, &bad, bad.len, &err);
        if (r == NULL) {
            crashes += err.msg[0] == '\0';
            continue;
        }

        n = icetap_pq_schema_leaves(icetap_pq_reader_schema(r));

        for (k = 0; k < (int) n; k++) {
            if (icetap_pq_read_column(r, 0, k, &col, &err) != ICETAP_OK) {
                crashes += err.msg[0] == '\0';
            }
        }

        icetap_pq_reader_free(r);
        err.msg[0] = '\0';
    }

    ok(crashes == 0, "3000 corrupted files give errors with messages");

    /* truncated anywhere */
    crashes = 0;

    for (n = 0; n < out.buf.len; n += 7) {
        r = icetap_pq_reader_open(mem_read, &out.buf, n, &err);
        crashes += r != NULL;
        icetap_pq_reader_free(r);
    }

    ok(crashes == 0, "every truncation is refused");

    /* writer misuse */
    memset(&o2, 0, sizeof(o2));
    w = icetap_pq_writer_open(s, NULL, mem_write, &o2, &err);
    ok(icetap_pq_null(w) == ICETAP_INVALID && strstr(err.msg, "required"),
       "null in a required field: %s", err.msg);
    icetap_pq_writer_free(w);

    w = icetap_pq_writer_open(s, NULL, mem_write, &o2, &err);
    icetap_pq_int64(w, 1);
    ok(icetap_pq_str(w, "x") == ICETAP_INVALID && strstr(err.msg, "\"b\""),
       "string into a boolean field: %s", err.msg);
    ok(icetap_pq_end_row(w) == ICETAP_INVALID,
       "the writer stays failed after an error");
    icetap_pq_writer_free(w);

    w = icetap_pq_writer_open(s, NULL, mem_write, &o2, &err);
    ok(icetap_pq_end_row(w) == ICETAP_INVALID && strstr(err.msg, "0 of"),
       "short row: %s", err.msg);
    icetap_pq_writer_free(w);

    w = icetap_pq_writer_open(s, NULL, mem_write, &o2, &err);
    icetap_pq_int64(w, 1);
    for (k = 1; k < C_N; k++) {
        icetap_pq_null(w);
    }
    icetap_pq_begin(w);
    icetap_pq_end(w);
    icetap_pq_begin(w);
    icetap_pq_str(w, "k");
    ok(icetap_pq_end(w) == ICETAP_INVALID && strstr(err.msg, "without"),
       "map key without value: %s", err.msg);
    icetap_pq_writer_free(w);

    o2.fail_at = 2;
    o2.writes = 0;
    w = icetap_pq_writer_open(s, NULL, mem_write, &o2, &err);
    write_row(w, 1);
    ok(icetap_pq_writer_close(w) == ICETAP_IO && strstr(err.msg, "sink"),
       "a failing write callback fails the close: %s", err.msg);
    icetap_pq_writer_free(w);

    /* schema errors */
    s2 = icetap_pq_schema_new(&err);
    ok(icetap_pq_schema_add(s2, ICETAP_PQ_ROOT, 1, "d", 0,
                            ICETAP_PQ_DECIMAL, 40, 2, &err) >= 0
       && icetap_pq_schema_finish(s2, &err) == ICETAP_INVALID
       && strstr(err.msg, "decimal(40,2)"), "bad decimal: %s", err.msg);
    icetap_pq_schema_free(s2);

    s2 = icetap_pq_schema_new(&err);
    k = icetap_pq_schema_add(s2, ICETAP_PQ_ROOT, 1, "m", 0, ICETAP_PQ_MAP, 0,
                             0, &err);
    ok(icetap_pq_schema_add(s2, k, 2, "key", 0, ICETAP_PQ_STRING, 0, 0, &err)
       == ICETAP_INVALID && strstr(err.msg, "required"),
       "optional map key: %s", err.msg);
    ok(icetap_pq_schema_finish(s2, &err) == ICETAP_INVALID
       && strstr(err.msg, "lacks"), "map without key and value: %s",
       err.msg);
    icetap_pq_schema_free(s2);

    icetap_pq_column_free(&col);
    icetap_buf_free(&bad);
    icetap_buf_free(&out.buf);
    icetap_buf_free(&o2.buf);
    icetap_pq_schema_free(s);
}


int
main(void)
{
    test_thrift_bytes();
    test_rle();
    test_round_trip();
    test_levels();
    test_metrics();
    test_dictionary();
    test_copy_and_columns();
    test_bad_input();

    return done_testing();
}
