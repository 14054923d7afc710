/*
 * Copyright (C) icetap authors
 *
 * Partition transforms, the bucket hash (the spec's murmur3 vectors) and
 * single-value serialization.
 */


#include <math.h>
#include <stdlib.h>

#include <icetap/transform.h>

#include "tap.h"


static icetap_value_t
val_int(icetap_type_id_t type, int64_t x)
{
    icetap_value_t  v;

    memset(&v, 0, sizeof(v));
    v.type = type;

    if (type == ICETAP_TYPE_INT || type == ICETAP_TYPE_DATE) {
        v.v.i = (int32_t) x;

    } else {
        v.v.l = x;
    }

    return v;
}


static icetap_value_t
val_bin(icetap_type_id_t type, const void *p, size_t len)
{
    icetap_value_t  v;

    memset(&v, 0, sizeof(v));
    v.type = type;
    v.v.bin.data = p;
    v.v.bin.len = len;

    return v;
}


static int32_t
hash_of(const icetap_value_t *v)
{
    int32_t         h;
    icetap_error_t  err;

    if (icetap_value_hash(v, &h, &err) != ICETAP_OK) {
        diag("hash: %s", err.msg);
        return 0;
    }

    return h;
}


static void
test_murmur3(void)
{
    static const uint8_t  b4[] = { 0, 1, 2, 3 };
    static const uint8_t  uuid[16] = {
        0xf7, 0x9c, 0x3e, 0x09, 0x67, 0x7c, 0x4b, 0xbd,
        0xa4, 0x79, 0x3f, 0x34, 0x9c, 0xb7, 0x85, 0xe7
    };

    icetap_value_t  v;

    v = val_int(ICETAP_TYPE_INT, 34);
    is_int(hash_of(&v), 2017239379, "bucket hash int 34");

    v = val_int(ICETAP_TYPE_LONG, 34);
    is_int(hash_of(&v), 2017239379, "bucket hash long 34");

    v = val_int(ICETAP_TYPE_DATE, 17486);
    is_int(hash_of(&v), -653330422, "bucket hash date 2017-11-16");

    v = val_int(ICETAP_TYPE_TIME, 81068000000LL);
    is_int(hash_of(&v), -662762989, "bucket hash time 22:31:08");

    v = val_int(ICETAP_TYPE_TIMESTAMP, 1510871468000000LL);
    is_int(hash_of(&v), -2047944441, "bucket hash timestamp");

    v = val_int(ICETAP_TYPE_TIMESTAMPTZ, 1510871468000001LL);
    is_int(hash_of(&v), -1207196810, "bucket hash timestamptz + 1us");

    v = val_int(ICETAP_TYPE_TIMESTAMP_NS, 1510871468000001000LL);
    is_int(hash_of(&v), -1207196810, "bucket hash timestamp_ns as micros");

    v = val_bin(ICETAP_TYPE_STRING, "iceberg", 7);
    is_int(hash_of(&v), 1210000089, "bucket hash string iceberg");

    memset(&v, 0, sizeof(v));
    v.type = ICETAP_TYPE_UUID;
    memcpy(v.v.uuid, uuid, 16);
    is_int(hash_of(&v), 1488055340, "bucket hash uuid");

    v = val_bin(ICETAP_TYPE_BINARY, b4, 4);
    is_int(hash_of(&v), -188683207, "bucket hash binary 00010203");

    v = val_bin(ICETAP_TYPE_FIXED, b4, 4);
    is_int(hash_of(&v), -188683207, "bucket hash fixed 00010203");

    icetap_decimal_from_int64(&v, 1420);
    is_int(v.v.dec.len, 2, "decimal 14.20 is two bytes");
    ok(v.v.dec.bytes[0] == 0x05 && v.v.dec.bytes[1] == 0x8c,
       "decimal 14.20 unscaled bytes 05 8c");
    is_int(hash_of(&v), -500754589, "bucket hash decimal 14.20");

    is_int(icetap_murmur3_32("", 0, 0), 0, "murmur3 of nothing");
    is_int(icetap_murmur3_32("abc", 3, 0), 0xb3dd93faU,
           "murmur3 tail of 3 bytes");

    memset(&v, 0, sizeof(v));
    v.type = ICETAP_TYPE_DOUBLE;
    {
        int32_t         h;
        icetap_error_t  err;

        ok(icetap_value_hash(&v, &h, &err) == ICETAP_INVALID,
           "doubles cannot be bucketed: %s", err.msg);
    }
}


static void
test_parse(void)
{
    char                buf[64];
    icetap_error_t      err;
    icetap_transform_t  t;

    static const char  *good[] = {
        "identity", "bucket[16]", "truncate[10]", "year", "month", "day",
        "hour", "void", NULL
    };

    static const char  *bad[] = {
        "bucket", "bucket[]", "bucket[0]", "bucket[-1]", "bucket[4]x",
        "truncate[x]", "Day", "", "bucket[ 4]", NULL
    };

    const char  **s;

    for (s = good; *s; s++) {
        ok(icetap_transform_parse(*s, &t, &err) == ICETAP_OK
           && icetap_transform_format(&t, buf, sizeof(buf)) > 0
           && strcmp(buf, *s) == 0, "transform %s round trips", *s);
    }

    for (s = bad; *s; s++) {
        ok(icetap_transform_parse(*s, &t, &err) == ICETAP_INVALID,
           "transform \"%s\" rejected: %s", *s, err.msg);
    }
}


static void
apply(const char *ts, const icetap_value_t *in, icetap_value_t *out)
{
    icetap_error_t      err;
    icetap_transform_t  t;

    memset(out, 0, sizeof(*out));

    if (icetap_transform_parse(ts, &t, &err) != ICETAP_OK
        || icetap_transform_apply(&t, in, out, &err) != ICETAP_OK)
    {
        diag("%s: %s", ts, err.msg);
    }
}


static void
human(const char *ts, const icetap_value_t *v, char *buf, size_t size)
{
    icetap_error_t      err;
    icetap_transform_t  t;

    icetap_transform_parse(ts, &t, &err);
    icetap_transform_human(&t, v, buf, size);
}


static void
test_apply(void)
{
    char            buf[64];
    int64_t         u;
    icetap_value_t  in, out;

    static const char  utf8[] = "\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80!";

    in = val_int(ICETAP_TYPE_TIMESTAMP, 1510871468000000LL);

    apply("day", &in, &out);
    is_int(out.type, ICETAP_TYPE_DATE, "day gives a date");
    is_int(out.v.i, 17486, "day(2017-11-16T22:31:08)");
    human("day", &out, buf, sizeof(buf));
    is_str(buf, "2017-11-16", "day human string");

    apply("year", &in, &out);
    is_int(out.v.i, 47, "year(2017-11-16T22:31:08)");
    human("year", &out, buf, sizeof(buf));
    is_str(buf, "2017", "year human string");

    apply("month", &in, &out);
    is_int(out.v.i, 574, "month(2017-11-16T22:31:08)");
    human("month", &out, buf, sizeof(buf));
    is_str(buf, "2017-11", "month human string");

    apply("hour", &in, &out);
    is_int(out.v.i, 419686, "hour(2017-11-16T22:31:08)");
    human("hour", &out, buf, sizeof(buf));
    is_str(buf, "2017-11-16-22", "hour human string");

    in = val_int(ICETAP_TYPE_TIMESTAMPTZ_NS, 1510871468123456789LL);
    apply("day", &in, &out);
    is_int(out.v.i, 17486, "day of a timestamptz_ns");

    /* floor semantics before the epoch */

    in = val_int(ICETAP_TYPE_TIMESTAMP, -1);
    apply("day", &in, &out);
    is_int(out.v.i, -1, "day(-1us) = -1");
    apply("hour", &in, &out);
    is_int(out.v.i, -1, "hour(-1us) = -1");
    apply("month", &in, &out);
    is_int(out.v.i, -1, "month(-1us) = -1");
    human("month", &out, buf, sizeof(buf));
    is_str(buf, "1969-12", "month -1 is 1969-12");
    apply("year", &in, &out);
    is_int(out.v.i, -1, "year(-1us) = -1");

    in = val_int(ICETAP_TYPE_TIMESTAMP_NS, -1);
    apply("day", &in, &out);
    is_int(out.v.i, -1, "day(-1ns) = -1");

    in = val_int(ICETAP_TYPE_DATE, -365);
    apply("year", &in, &out);
    is_int(out.v.i, -1, "year(1969-01-01) = -1");
    in = val_int(ICETAP_TYPE_DATE, -366);
    apply("year", &in, &out);
    is_int(out.v.i, -2, "year(1968-12-31) = -2");
    apply("month", &in, &out);
    is_int(out.v.i, -13, "month(1968-12-31) = -13");

    is_int(icetap_days_from_civil(2017, 11, 16), 17486, "days from civil");
    is_int(icetap_days_from_civil(1970, 1, 1), 0, "epoch day");
    is_int(icetap_days_from_civil(2000, 3, 1), 11017, "2000-03-01");
    is_int(icetap_days_from_civil(1900, 3, 1), -25508, "1900-03-01");

    /* truncate */

    in = val_int(ICETAP_TYPE_INT, 1);
    apply("truncate[10]", &in, &out);
    is_int(out.v.i, 0, "truncate[10](1) = 0");

    in = val_int(ICETAP_TYPE_INT, -1);
    apply("truncate[10]", &in, &out);
    is_int(out.v.i, -10, "truncate[10](-1) = -10");

    in = val_int(ICETAP_TYPE_LONG, -10);
    apply("truncate[10]", &in, &out);
    is_int(out.v.l, -10, "truncate[10](-10L) = -10");

    in = val_int(ICETAP_TYPE_LONG, 12345678901LL);
    apply("truncate[1000]", &in, &out);
    is_int(out.v.l, 12345678000LL, "truncate[1000] on a long");

    icetap_decimal_from_int64(&in, 1065);
    apply("truncate[50]", &in, &out);
    ok(icetap_decimal_to_int64(&out, &u) == ICETAP_OK && u == 1050,
       "truncate[50](10.65) = 10.50");

    icetap_decimal_from_int64(&in, -1065);
    apply("truncate[50]", &in, &out);
    ok(icetap_decimal_to_int64(&out, &u) == ICETAP_OK && u == -1100,
       "truncate[50](-10.65) = -11.00");

    in = val_bin(ICETAP_TYPE_STRING, "iceberg", 7);
    apply("truncate[3]", &in, &out);
    ok(out.v.bin.len == 3 && memcmp(out.v.bin.data, "ice", 3) == 0,
       "truncate[3](iceberg) = ice");

    in = val_bin(ICETAP_TYPE_STRING, utf8, sizeof(utf8) - 1);
    apply("truncate[5]", &in, &out);
    is_int(out.v.bin.len, 10, "truncate counts code points, not bytes");
    apply("truncate[100]", &in, &out);
    is_int(out.v.bin.len, sizeof(utf8) - 1, "short strings stay whole");

    in = val_bin(ICETAP_TYPE_BINARY, "\x01\x02\x03", 3);
    apply("truncate[2]", &in, &out);
    is_int(out.v.bin.len, 2, "truncate[2] on binary");

    /* bucket, identity, void, nulls */

    in = val_int(ICETAP_TYPE_INT, 34);
    apply("bucket[100]", &in, &out);
    is_int(out.v.i, 2017239379 % 100, "bucket[100](34)");

    in = val_bin(ICETAP_TYPE_STRING, "iceberg", 7);
    apply("bucket[16]", &in, &out);
    is_int(out.v.i, 1210000089 % 16, "bucket[16](iceberg)");

    in = val_int(ICETAP_TYPE_DATE, 17486);
    apply("bucket[7]", &in, &out);
    is_int(out.v.i, (-653330422 & 0x7fffffff) % 7,
           "bucket of a negative hash masks the sign");

    in = val_int(ICETAP_TYPE_LONG, 42);
    apply("identity", &in, &out);
    ok(out.type == ICETAP_TYPE_LONG && out.v.l == 42, "identity");

    apply("void", &in, &out);
    ok(out.is_null, "void gives null");

    in.is_null = 1;
    apply("bucket[4]", &in, &out);
    ok(out.is_null && out.type == ICETAP_TYPE_INT, "bucket(null) = null");
}


static void
test_result_types(void)
{
    icetap_type_t       src, res;
    icetap_error_t      err;
    icetap_transform_t  t;

    memset(&src, 0, sizeof(src));

    src.id = ICETAP_TYPE_TIMESTAMPTZ;
    icetap_transform_parse("day", &t, &err);
    ok(icetap_transform_result_type(&t, &src, &res, &err) == ICETAP_OK
       && res.id == ICETAP_TYPE_DATE, "day(timestamptz) -> date");

    icetap_transform_parse("hour", &t, &err);
    src.id = ICETAP_TYPE_DATE;
    ok(icetap_transform_result_type(&t, &src, &res, &err) == ICETAP_INVALID,
       "hour(date) rejected: %s", err.msg);

    icetap_transform_parse("bucket[8]", &t, &err);
    src.id = ICETAP_TYPE_UUID;
    ok(icetap_transform_result_type(&t, &src, &res, &err) == ICETAP_OK
       && res.id == ICETAP_TYPE_INT, "bucket(uuid) -> int");

    src.id = ICETAP_TYPE_FLOAT;
    ok(icetap_transform_result_type(&t, &src, &res, &err) == ICETAP_INVALID,
       "bucket(float) rejected");

    icetap_transform_parse("truncate[4]", &t, &err);
    src.id = ICETAP_TYPE_DECIMAL;
    src.precision = 9;
    src.scale = 2;
    ok(icetap_transform_result_type(&t, &src, &res, &err) == ICETAP_OK
       && res.id == ICETAP_TYPE_DECIMAL && res.precision == 9
       && res.scale == 2, "truncate(decimal(9,2)) -> decimal(9,2)");

    src.id = ICETAP_TYPE_DATE;
    ok(icetap_transform_result_type(&t, &src, &res, &err) == ICETAP_INVALID,
       "truncate(date) rejected");

    icetap_transform_parse("identity", &t, &err);
    src.id = ICETAP_TYPE_STRUCT;
    ok(icetap_transform_result_type(&t, &src, &res, &err) == ICETAP_INVALID,
       "identity(struct) rejected");
}


static void
round_trip(const icetap_value_t *v, const char *hex, const char *what)
{
    char            got[80];
    size_t          i;
    icetap_buf_t    b;
    icetap_value_t  back;
    icetap_error_t  err;

    memset(&b, 0, sizeof(b));

    if (icetap_value_serialize(v, &b, &err) != ICETAP_OK) {
        ok(0, "%s: serialize: %s", what, err.msg);
        return;
    }

    for (i = 0; i < b.len && i < 39; i++) {
        snprintf(got + 2 * i, 3, "%02x", b.data[i]);
    }

    got[2 * i] = '\0';

    is_str(got, hex, "%s serializes", what);

    ok(icetap_value_deserialize(v->type, b.data, b.len, &back, &err)
       == ICETAP_OK && icetap_value_compare(v, &back) == 0,
       "%s round trips", what);

    icetap_buf_free(&b);
}


static void
test_serialize(void)
{
    icetap_value_t  v, w;
    icetap_error_t  err;

    static const uint8_t  four[4] = { 0x4e, 0x44, 0x00, 0x00 };

    memset(&v, 0, sizeof(v));
    v.type = ICETAP_TYPE_BOOLEAN;
    v.v.b = 1;
    round_trip(&v, "01", "boolean true");

    v = val_int(ICETAP_TYPE_DATE, 17486);
    round_trip(&v, "4e440000", "date 17486");

    v = val_int(ICETAP_TYPE_INT, -2);
    round_trip(&v, "feffffff", "int -2");

    v = val_int(ICETAP_TYPE_LONG, 1);
    round_trip(&v, "0100000000000000", "long 1");

    v = val_int(ICETAP_TYPE_TIMESTAMPTZ, 1510871468000000LL);
    round_trip(&v, "00c3262d215e0500", "timestamptz");

    memset(&v, 0, sizeof(v));
    v.type = ICETAP_TYPE_FLOAT;
    v.v.f = 1.0f;
    round_trip(&v, "0000803f", "float 1.0");

    v.type = ICETAP_TYPE_DOUBLE;
    v.v.d = -2.5;
    round_trip(&v, "00000000000004c0", "double -2.5");

    v = val_bin(ICETAP_TYPE_STRING, "abc", 3);
    round_trip(&v, "616263", "string abc");

    v = val_bin(ICETAP_TYPE_BINARY, "", 0);
    round_trip(&v, "", "empty binary");

    icetap_decimal_from_int64(&v, 1420);
    round_trip(&v, "058c", "decimal 14.20");

    icetap_decimal_from_int64(&v, -1);
    round_trip(&v, "ff", "decimal -0.01");

    icetap_decimal_from_int64(&v, 128);
    round_trip(&v, "0080", "decimal 128 keeps a sign byte");

    icetap_decimal_from_int64(&v, 0);
    round_trip(&v, "00", "decimal zero is one byte");

    icetap_decimal_from_int64(&v, INT64_MIN);
    round_trip(&v, "8000000000000000", "decimal INT64_MIN");

    memset(&v, 0, sizeof(v));
    v.type = ICETAP_TYPE_UUID;
    memset(v.v.uuid, 0xab, 16);
    round_trip(&v, "abababababababababababababababab", "uuid");

    /* promotion: old 4-byte bounds decode on wider columns */

    ok(icetap_value_deserialize(ICETAP_TYPE_LONG, four, 4, &w, &err)
       == ICETAP_OK && w.v.l == 17486, "4-byte bound on a long column");

    ok(icetap_value_deserialize(ICETAP_TYPE_TIMESTAMP, four, 4, &w, &err)
       == ICETAP_OK && w.v.l == 17486LL * 86400000000LL,
       "date bound on a timestamp column is widened to micros");

    ok(icetap_value_deserialize(ICETAP_TYPE_DOUBLE, (uint8_t *) "\0\0\x80?",
                                4, &w, &err) == ICETAP_OK && w.v.d == 1.0,
       "float bound on a double column");

    ok(icetap_value_deserialize(ICETAP_TYPE_INT, four, 3, &w, &err)
       == ICETAP_INVALID, "3-byte int rejected: %s", err.msg);

    ok(icetap_value_deserialize(ICETAP_TYPE_UUID, four, 4, &w, &err)
       == ICETAP_INVALID, "4-byte uuid rejected");

    ok(icetap_value_deserialize(ICETAP_TYPE_STRUCT, four, 4, &w, &err)
       == ICETAP_UNSUPPORTED, "struct has no single value");

    v.is_null = 1;
    ok(icetap_value_serialize(&v, NULL, &err) == ICETAP_INVALID,
       "null has no binary form");
}


static void
test_compare(void)
{
    icetap_value_t  a, b;

    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    a.type = b.type = ICETAP_TYPE_DOUBLE;
    a.v.d = -0.0;
    b.v.d = 0.0;
    ok(icetap_value_compare(&a, &b) < 0, "-0.0 sorts before +0.0");
    ok(icetap_value_compare(&b, &a) > 0, "+0.0 sorts after -0.0");

    a = val_bin(ICETAP_TYPE_STRING, "\xc3\xa9", 2);
    b = val_bin(ICETAP_TYPE_STRING, "z", 1);
    ok(icetap_value_compare(&a, &b) > 0, "strings compare unsigned");

    a = val_bin(ICETAP_TYPE_STRING, "ab", 2);
    b = val_bin(ICETAP_TYPE_STRING, "abc", 3);
    ok(icetap_value_compare(&a, &b) < 0, "a prefix sorts first");

    icetap_decimal_from_int64(&a, -300);
    icetap_decimal_from_int64(&b, 2);
    ok(icetap_value_compare(&a, &b) < 0, "decimals compare by value");

    a = val_int(ICETAP_TYPE_LONG, -5);
    b = val_int(ICETAP_TYPE_LONG, 3);
    ok(icetap_value_compare(&a, &b) < 0, "longs compare signed");
}


int
main(void)
{
    test_murmur3();
    test_parse();
    test_apply();
    test_result_types();
    test_serialize();
    test_compare();

    return done_testing();
}
