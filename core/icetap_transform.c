/*
 * Copyright (C) icetap authors
 */


#include <math.h>
#include <stdio.h>
#include <string.h>

#include <icetap/transform.h>


#define ICETAP_US_PER_DAY   86400000000LL
#define ICETAP_US_PER_HOUR  3600000000LL


typedef __int128  icetap_i128_t;


static int64_t icetap_floor_div(int64_t a, int64_t b);
static icetap_rc icetap_decimal_get(const icetap_value_t *v,
    icetap_i128_t *out);
static void icetap_decimal_set(icetap_value_t *v, icetap_i128_t x);
static icetap_rc icetap_time_parts(const icetap_value_t *in, int64_t *days,
    int64_t *hours, icetap_error_t *err);


static uint32_t
icetap_rotl32(uint32_t x, int r)
{
    return (x << r) | (x >> (32 - r));
}


uint32_t
icetap_murmur3_32(const void *data, size_t len, uint32_t seed)
{
    size_t          i, nblocks;
    uint32_t        h, k;
    const uint8_t  *p, *tail;

    p = data;
    h = seed;
    nblocks = len / 4;

    for (i = 0; i < nblocks; i++) {
        k = (uint32_t) p[4 * i] | (uint32_t) p[4 * i + 1] << 8
            | (uint32_t) p[4 * i + 2] << 16 | (uint32_t) p[4 * i + 3] << 24;

        k *= 0xcc9e2d51;
        k = icetap_rotl32(k, 15);
        k *= 0x1b873593;

        h ^= k;
        h = icetap_rotl32(h, 13);
        h = h * 5 + 0xe6546b64;
    }

    tail = p + nblocks * 4;
    k = 0;

    switch (len & 3) {
    case 3:
        k ^= (uint32_t) tail[2] << 16;
        /* fall through */
    case 2:
        k ^= (uint32_t) tail[1] << 8;
        /* fall through */
    case 1:
        k ^= tail[0];
        k *= 0xcc9e2d51;
        k = icetap_rotl32(k, 15);
        k *= 0x1b873593;
        h ^= k;
    }

    h ^= (uint32_t) len;
    h ^= h >> 16;
    h *= 0x85ebca6b;
    h ^= h >> 13;
    h *= 0xc2b2ae35;
    h ^= h >> 16;

    return h;
}


static void
icetap_put_le(uint8_t *p, uint64_t v, int n)
{
    int  i;

    for (i = 0; i < n; i++) {
        p[i] = (uint8_t) (v >> (8 * i));
    }
}


static uint64_t
icetap_get_le(const uint8_t *p, int n)
{
    int       i;
    uint64_t  v;

    v = 0;

    for (i = 0; i < n; i++) {
        v |= (uint64_t) p[i] << (8 * i);
    }

    return v;
}


static int64_t
icetap_floor_div(int64_t a, int64_t b)
{
    int64_t  q;

    q = a / b;

    if ((a % b != 0) && ((a < 0) != (b < 0))) {
        q--;
    }

    return q;
}


icetap_rc
icetap_value_hash(const icetap_value_t *v, int32_t *hash, icetap_error_t *err)
{
    int64_t  l;
    uint8_t  b[8];

    switch (v->type) {

    case ICETAP_TYPE_INT:
    case ICETAP_TYPE_DATE:
        /* Java hashes every integer-like value as a long */
        l = v->v.i;
        break;

    case ICETAP_TYPE_LONG:
    case ICETAP_TYPE_TIME:
    case ICETAP_TYPE_TIMESTAMP:
    case ICETAP_TYPE_TIMESTAMPTZ:
        l = v->v.l;
        break;

    case ICETAP_TYPE_TIMESTAMP_NS:
    case ICETAP_TYPE_TIMESTAMPTZ_NS:
        l = icetap_floor_div(v->v.l, 1000);
        break;

    case ICETAP_TYPE_STRING:
    case ICETAP_TYPE_BINARY:
    case ICETAP_TYPE_FIXED:
        *hash = (int32_t) icetap_murmur3_32(v->v.bin.data, v->v.bin.len, 0);
        return ICETAP_OK;

    case ICETAP_TYPE_UUID:
        *hash = (int32_t) icetap_murmur3_32(v->v.uuid, 16, 0);
        return ICETAP_OK;

    case ICETAP_TYPE_DECIMAL:
        if (v->v.dec.len < 1 || v->v.dec.len > 16) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "decimal of %zu bytes", v->v.dec.len);
        }

        *hash = (int32_t) icetap_murmur3_32(v->v.dec.bytes, v->v.dec.len, 0);
        return ICETAP_OK;

    default:
        return icetap_error_set(err, ICETAP_INVALID,
                                "values of type %d cannot be bucketed",
                                (int) v->type);
    }

    icetap_put_le(b, (uint64_t) l, 8);

    *hash = (int32_t) icetap_murmur3_32(b, 8, 0);

    return ICETAP_OK;
}


icetap_rc
icetap_transform_parse(const char *s, icetap_transform_t *t,
    icetap_error_t *err)
{
    int          n, p;
    const char  *arg;

    static const struct {
        const char               *name;
        icetap_transform_kind_t   kind;
    } plain[] = {
        { "identity", ICETAP_TRANSFORM_IDENTITY },
        { "year", ICETAP_TRANSFORM_YEAR },
        { "month", ICETAP_TRANSFORM_MONTH },
        { "day", ICETAP_TRANSFORM_DAY },
        { "hour", ICETAP_TRANSFORM_HOUR },
        { "void", ICETAP_TRANSFORM_VOID }
    };

    memset(t, 0, sizeof(icetap_transform_t));

    for (n = 0; n < (int) icetap_nelems(plain); n++) {
        if (strcmp(s, plain[n].name) == 0) {
            t->kind = plain[n].kind;
            return ICETAP_OK;
        }
    }

    if (strncmp(s, "bucket[", 7) == 0) {
        t->kind = ICETAP_TRANSFORM_BUCKET;
        arg = s + 7;

    } else if (strncmp(s, "truncate[", 9) == 0) {
        t->kind = ICETAP_TRANSFORM_TRUNCATE;
        arg = s + 9;

    } else {
        return icetap_error_set(err, ICETAP_INVALID,
                                "unknown partition transform \"%.64s\"", s);
    }

    n = 0;

    if (sscanf(arg, "%d]%n", &p, &n) != 1 || n == 0 || arg[n] != '\0'
        || arg[0] < '0' || arg[0] > '9' || p <= 0)
    {
        t->kind = 0;
        return icetap_error_set(err, ICETAP_INVALID,
                                "bad width in partition transform "
                                "\"%.64s\"", s);
    }

    t->param = p;

    return ICETAP_OK;
}


int
icetap_transform_format(const icetap_transform_t *t, char *buf, size_t size)
{
    switch (t->kind) {
    case ICETAP_TRANSFORM_IDENTITY:
        return snprintf(buf, size, "identity");
    case ICETAP_TRANSFORM_BUCKET:
        return snprintf(buf, size, "bucket[%d]", (int) t->param);
    case ICETAP_TRANSFORM_TRUNCATE:
        return snprintf(buf, size, "truncate[%d]", (int) t->param);
    case ICETAP_TRANSFORM_YEAR:
        return snprintf(buf, size, "year");
    case ICETAP_TRANSFORM_MONTH:
        return snprintf(buf, size, "month");
    case ICETAP_TRANSFORM_DAY:
        return snprintf(buf, size, "day");
    case ICETAP_TRANSFORM_HOUR:
        return snprintf(buf, size, "hour");
    case ICETAP_TRANSFORM_VOID:
        return snprintf(buf, size, "void");
    }

    return snprintf(buf, size, "invalid");
}


static int
icetap_is_timestamp(icetap_type_id_t id)
{
    return id == ICETAP_TYPE_TIMESTAMP || id == ICETAP_TYPE_TIMESTAMPTZ
           || id == ICETAP_TYPE_TIMESTAMP_NS
           || id == ICETAP_TYPE_TIMESTAMPTZ_NS;
}


icetap_rc
icetap_transform_result_type(const icetap_transform_t *t,
    const icetap_type_t *source, icetap_type_t *result, icetap_error_t *err)
{
    int               ok;
    char              tn[64], sn[64];
    icetap_type_id_t  id, res;

    id = source->id;
    res = id;

    switch (t->kind) {

    case ICETAP_TRANSFORM_IDENTITY:
        ok = icetap_type_is_primitive(id) && id != ICETAP_TYPE_GEOMETRY
             && id != ICETAP_TYPE_GEOGRAPHY && id != ICETAP_TYPE_VARIANT
             && id != ICETAP_TYPE_UNKNOWN;
        break;

    case ICETAP_TRANSFORM_BUCKET:
        ok = id == ICETAP_TYPE_INT || id == ICETAP_TYPE_LONG
             || id == ICETAP_TYPE_DECIMAL || id == ICETAP_TYPE_DATE
             || id == ICETAP_TYPE_TIME || icetap_is_timestamp(id)
             || id == ICETAP_TYPE_STRING || id == ICETAP_TYPE_UUID
             || id == ICETAP_TYPE_FIXED || id == ICETAP_TYPE_BINARY;
        res = ICETAP_TYPE_INT;
        break;

    case ICETAP_TRANSFORM_TRUNCATE:
        ok = id == ICETAP_TYPE_INT || id == ICETAP_TYPE_LONG
             || id == ICETAP_TYPE_DECIMAL || id == ICETAP_TYPE_STRING
             || id == ICETAP_TYPE_BINARY;
        break;

    case ICETAP_TRANSFORM_YEAR:
    case ICETAP_TRANSFORM_MONTH:
        ok = id == ICETAP_TYPE_DATE || icetap_is_timestamp(id);
        res = ICETAP_TYPE_INT;
        break;

    case ICETAP_TRANSFORM_DAY:
        ok = id == ICETAP_TYPE_DATE || icetap_is_timestamp(id);
        res = ICETAP_TYPE_DATE;
        break;

    case ICETAP_TRANSFORM_HOUR:
        ok = icetap_is_timestamp(id);
        res = ICETAP_TYPE_INT;
        break;

    case ICETAP_TRANSFORM_VOID:
        ok = 1;
        break;

    default:
        ok = 0;
    }

    if (!ok) {
        icetap_transform_format(t, tn, sizeof(tn));
        icetap_type_format(source, sn, sizeof(sn));

        return icetap_error_set(err, ICETAP_INVALID,
                                "transform %s does not apply to type %s",
                                tn, sn);
    }

    memset(result, 0, sizeof(icetap_type_t));
    result->id = res;

    if (res == id) {
        result->precision = source->precision;
        result->scale = source->scale;
        result->length = source->length;
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_decimal_get(const icetap_value_t *v, icetap_i128_t *out)
{
    size_t             i;
    unsigned __int128  u;

    if (v->v.dec.len < 1 || v->v.dec.len > 16) {
        return ICETAP_INVALID;
    }

    u = (v->v.dec.bytes[0] & 0x80) ? ~(unsigned __int128) 0 : 0;

    for (i = 0; i < v->v.dec.len; i++) {
        u = (u << 8) | v->v.dec.bytes[i];
    }

    *out = (icetap_i128_t) u;

    return ICETAP_OK;
}


static void
icetap_decimal_set(icetap_value_t *v, icetap_i128_t x)
{
    int                i, n;
    uint8_t            b[16];
    unsigned __int128  u;

    u = (unsigned __int128) x;

    for (i = 15; i >= 0; i--) {
        b[i] = (uint8_t) u;
        u >>= 8;
    }

    /* drop leading bytes that only repeat the sign of the next one */

    n = 0;

    while (n < 15
           && ((b[n] == 0x00 && !(b[n + 1] & 0x80))
               || (b[n] == 0xff && (b[n + 1] & 0x80))))
    {
        n++;
    }

    v->type = ICETAP_TYPE_DECIMAL;
    v->is_null = 0;
    v->v.dec.len = 16 - n;
    memcpy(v->v.dec.bytes, b + n, 16 - n);
}


void
icetap_decimal_from_int64(icetap_value_t *v, int64_t unscaled)
{
    icetap_decimal_set(v, unscaled);
}


icetap_rc
icetap_decimal_to_int64(const icetap_value_t *v, int64_t *out)
{
    icetap_i128_t  x;

    if (icetap_decimal_get(v, &x) != ICETAP_OK
        || x < INT64_MIN || x > INT64_MAX)
    {
        return ICETAP_INVALID;
    }

    *out = (int64_t) x;

    return ICETAP_OK;
}


int32_t
icetap_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t   era;
    unsigned  yoe, doy, doe;

    /* proleptic Gregorian, years counted from March to put Feb 29 last */

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned) (y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return (int32_t) (era * 146097 + (int64_t) doe - 719468);
}


void
icetap_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t   era, z;
    unsigned  doe, yoe, doy, mp;

    z = days + 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned) (z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;

    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t) yoe + era * 400 + (*m <= 2);
}


static icetap_rc
icetap_time_parts(const icetap_value_t *in, int64_t *days, int64_t *hours,
    icetap_error_t *err)
{
    int64_t  us;

    switch (in->type) {

    case ICETAP_TYPE_DATE:
        *days = in->v.i;
        *hours = 0;
        return ICETAP_OK;

    case ICETAP_TYPE_TIMESTAMP:
    case ICETAP_TYPE_TIMESTAMPTZ:
        us = in->v.l;
        break;

    case ICETAP_TYPE_TIMESTAMP_NS:
    case ICETAP_TYPE_TIMESTAMPTZ_NS:
        us = icetap_floor_div(in->v.l, 1000);
        break;

    default:
        return icetap_error_set(err, ICETAP_INVALID,
                                "time transform on a value of type %d",
                                (int) in->type);
    }

    *days = icetap_floor_div(us, ICETAP_US_PER_DAY);
    *hours = icetap_floor_div(us, ICETAP_US_PER_HOUR);

    return ICETAP_OK;
}


static size_t
icetap_utf8_prefix(const uint8_t *p, size_t len, int32_t chars)
{
    size_t  i;

    /* count code points by their lead bytes */

    for (i = 0; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            if (chars == 0) {
                return i;
            }

            chars--;
        }
    }

    return len;
}


icetap_rc
icetap_transform_apply(const icetap_transform_t *t, const icetap_value_t *in,
    icetap_value_t *out, icetap_error_t *err)
{
    int64_t        days, hours, y, w, l;
    int32_t        h;
    unsigned       m, d;
    icetap_rc      rc;
    icetap_i128_t  x, w128, r128;

    if (in->is_null || t->kind == ICETAP_TRANSFORM_VOID) {
        memset(out, 0, sizeof(icetap_value_t));
        out->type = in->type;
        out->is_null = 1;

        if (t->kind == ICETAP_TRANSFORM_BUCKET
            || t->kind == ICETAP_TRANSFORM_YEAR
            || t->kind == ICETAP_TRANSFORM_MONTH
            || t->kind == ICETAP_TRANSFORM_HOUR)
        {
            out->type = ICETAP_TYPE_INT;

        } else if (t->kind == ICETAP_TRANSFORM_DAY) {
            out->type = ICETAP_TYPE_DATE;
        }

        return ICETAP_OK;
    }

    memset(out, 0, sizeof(icetap_value_t));
    days = 0;
    hours = 0;

    switch (t->kind) {

    case ICETAP_TRANSFORM_IDENTITY:
        *out = *in;
        return ICETAP_OK;

    case ICETAP_TRANSFORM_BUCKET:
        rc = icetap_value_hash(in, &h, err);
        if (rc != ICETAP_OK) {
            return rc;
        }

        out->type = ICETAP_TYPE_INT;
        out->v.i = (int32_t) ((uint32_t) (h & 0x7fffffff)
                              % (uint32_t) t->param);
        return ICETAP_OK;

    case ICETAP_TRANSFORM_TRUNCATE:
        *out = *in;
        w = t->param;

        switch (in->type) {

        case ICETAP_TYPE_INT:
            /* wraps like Java's int arithmetic near INT32_MIN */
            l = (int64_t) in->v.i - ((((int64_t) in->v.i % w) + w) % w);
            out->v.i = (int32_t) (uint32_t) (uint64_t) l;
            return ICETAP_OK;

        case ICETAP_TYPE_LONG:
            l = ((in->v.l % w) + w) % w;
            out->v.l = (int64_t) ((uint64_t) in->v.l - (uint64_t) l);
            return ICETAP_OK;

        case ICETAP_TYPE_DECIMAL:
            if (icetap_decimal_get(in, &x) != ICETAP_OK) {
                return icetap_error_set(err, ICETAP_INVALID,
                                        "malformed decimal value");
            }

            w128 = w;
            r128 = ((x % w128) + w128) % w128;
            icetap_decimal_set(out, x - r128);
            return ICETAP_OK;

        case ICETAP_TYPE_STRING:
            out->v.bin.len = icetap_utf8_prefix(in->v.bin.data,
                                                in->v.bin.len, t->param);
            return ICETAP_OK;

        case ICETAP_TYPE_BINARY:
            out->v.bin.len = icetap_min(in->v.bin.len, (size_t) t->param);
            return ICETAP_OK;

        default:
            return icetap_error_set(err, ICETAP_INVALID,
                                    "truncate on a value of type %d",
                                    (int) in->type);
        }

    case ICETAP_TRANSFORM_YEAR:
    case ICETAP_TRANSFORM_MONTH:
    case ICETAP_TRANSFORM_DAY:
    case ICETAP_TRANSFORM_HOUR:
        if (t->kind == ICETAP_TRANSFORM_HOUR && in->type == ICETAP_TYPE_DATE) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "hour transform on a date");
        }

        rc = icetap_time_parts(in, &days, &hours, err);
        if (rc != ICETAP_OK) {
            return rc;
        }

        icetap_civil_from_days(days, &y, &m, &d);
        out->type = ICETAP_TYPE_INT;

        if (t->kind == ICETAP_TRANSFORM_YEAR) {
            out->v.i = (int32_t) (y - 1970);

        } else if (t->kind == ICETAP_TRANSFORM_MONTH) {
            out->v.i = (int32_t) ((y - 1970) * 12 + (m - 1));

        } else if (t->kind == ICETAP_TRANSFORM_DAY) {
            out->type = ICETAP_TYPE_DATE;
            out->v.i = (int32_t) days;

        } else {
            out->v.i = (int32_t) hours;
        }

        return ICETAP_OK;

    default:
        return icetap_error_set(err, ICETAP_INVALID,
                                "invalid transform kind %d", (int) t->kind);
    }
}


int
icetap_transform_human(const icetap_transform_t *t, const icetap_value_t *v,
    char *buf, size_t size)
{
    int64_t         y, q;
    size_t          i, n;
    unsigned        m, d;
    const uint8_t  *p;

    if (v->is_null) {
        return snprintf(buf, size, "null");
    }

    switch (t->kind) {

    case ICETAP_TRANSFORM_YEAR:
        return snprintf(buf, size, "%04lld", (long long) (1970 + v->v.i));

    case ICETAP_TRANSFORM_MONTH:
        y = 1970 + icetap_floor_div(v->v.i, 12);
        q = v->v.i - icetap_floor_div(v->v.i, 12) * 12;
        return snprintf(buf, size, "%04lld-%02d", (long long) y,
                        (int) q + 1);

    case ICETAP_TRANSFORM_HOUR:
        icetap_civil_from_days(icetap_floor_div(v->v.i, 24), &y, &m, &d);
        q = v->v.i - icetap_floor_div(v->v.i, 24) * 24;
        return snprintf(buf, size, "%04lld-%02u-%02u-%02d", (long long) y,
                        m, d, (int) q);

    default:
        break;
    }

    switch (v->type) {

    case ICETAP_TYPE_DATE:
        icetap_civil_from_days(v->v.i, &y, &m, &d);
        return snprintf(buf, size, "%04lld-%02u-%02u", (long long) y, m, d);

    case ICETAP_TYPE_BOOLEAN:
        return snprintf(buf, size, "%s", v->v.b ? "true" : "false");

    case ICETAP_TYPE_INT:
        return snprintf(buf, size, "%d", (int) v->v.i);

    case ICETAP_TYPE_LONG:
    case ICETAP_TYPE_TIME:
    case ICETAP_TYPE_TIMESTAMP:
    case ICETAP_TYPE_TIMESTAMPTZ:
    case ICETAP_TYPE_TIMESTAMP_NS:
    case ICETAP_TYPE_TIMESTAMPTZ_NS:
        return snprintf(buf, size, "%lld", (long long) v->v.l);

    case ICETAP_TYPE_FLOAT:
        return snprintf(buf, size, "%.9g", (double) v->v.f);

    case ICETAP_TYPE_DOUBLE:
        return snprintf(buf, size, "%.17g", v->v.d);

    case ICETAP_TYPE_STRING:
        return snprintf(buf, size, "%.*s", (int) v->v.bin.len,
                        (const char *) v->v.bin.data);

    default:
        break;
    }

    /* binary, fixed, uuid, decimal: lowercase hex of the serialized bytes */

    if (v->type == ICETAP_TYPE_UUID) {
        p = v->v.uuid;
        n = 16;

    } else if (v->type == ICETAP_TYPE_DECIMAL) {
        p = v->v.dec.bytes;
        n = v->v.dec.len;

    } else {
        p = v->v.bin.data;
        n = v->v.bin.len;
    }

    for (i = 0; i < n && 2 * i + 2 < size; i++) {
        snprintf(buf + 2 * i, 3, "%02x", p[i]);
    }

    if (size) {
        buf[icetap_min(2 * n, size - 1)] = '\0';
    }

    return (int) (2 * n);
}


icetap_rc
icetap_value_serialize(const icetap_value_t *v, icetap_buf_t *out,
    icetap_error_t *err)
{
    uint8_t   b[8];
    uint32_t  u32;
    uint64_t  u64;

    if (v->is_null) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "a null value has no binary form");
    }

    switch (v->type) {

    case ICETAP_TYPE_BOOLEAN:
        b[0] = v->v.b ? 1 : 0;
        return icetap_buf_append(out, b, 1);

    case ICETAP_TYPE_INT:
    case ICETAP_TYPE_DATE:
        icetap_put_le(b, (uint32_t) v->v.i, 4);
        return icetap_buf_append(out, b, 4);

    case ICETAP_TYPE_FLOAT:
        memcpy(&u32, &v->v.f, 4);
        icetap_put_le(b, u32, 4);
        return icetap_buf_append(out, b, 4);

    case ICETAP_TYPE_LONG:
    case ICETAP_TYPE_TIME:
    case ICETAP_TYPE_TIMESTAMP:
    case ICETAP_TYPE_TIMESTAMPTZ:
    case ICETAP_TYPE_TIMESTAMP_NS:
    case ICETAP_TYPE_TIMESTAMPTZ_NS:
        icetap_put_le(b, (uint64_t) v->v.l, 8);
        return icetap_buf_append(out, b, 8);

    case ICETAP_TYPE_DOUBLE:
        memcpy(&u64, &v->v.d, 8);
        icetap_put_le(b, u64, 8);
        return icetap_buf_append(out, b, 8);

    case ICETAP_TYPE_STRING:
    case ICETAP_TYPE_BINARY:
    case ICETAP_TYPE_FIXED:
    case ICETAP_TYPE_GEOMETRY:
    case ICETAP_TYPE_GEOGRAPHY:
        return icetap_buf_append(out, v->v.bin.data, v->v.bin.len);

    case ICETAP_TYPE_UUID:
        return icetap_buf_append(out, v->v.uuid, 16);

    case ICETAP_TYPE_DECIMAL:
        if (v->v.dec.len < 1 || v->v.dec.len > 16) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "decimal of %zu bytes", v->v.dec.len);
        }

        return icetap_buf_append(out, v->v.dec.bytes, v->v.dec.len);

    default:
        return icetap_error_set(err, ICETAP_UNSUPPORTED,
                                "values of type %d have no single-value "
                                "binary form", (int) v->type);
    }
}


icetap_rc
icetap_value_deserialize(icetap_type_id_t type, const uint8_t *p, size_t len,
    icetap_value_t *v, icetap_error_t *err)
{
    uint32_t  u32;
    uint64_t  u64;
    float     f;

    memset(v, 0, sizeof(icetap_value_t));
    v->type = type;

    switch (type) {

    case ICETAP_TYPE_BOOLEAN:
        if (len != 1) {
            break;
        }

        v->v.b = p[0] != 0;
        return ICETAP_OK;

    case ICETAP_TYPE_INT:
    case ICETAP_TYPE_DATE:
        if (len != 4) {
            break;
        }

        v->v.i = (int32_t) (uint32_t) icetap_get_le(p, 4);
        return ICETAP_OK;

    case ICETAP_TYPE_FLOAT:
        if (len != 4) {
            break;
        }

        u32 = (uint32_t) icetap_get_le(p, 4);
        memcpy(&v->v.f, &u32, 4);
        return ICETAP_OK;

    case ICETAP_TYPE_LONG:
    case ICETAP_TYPE_TIME:
    case ICETAP_TYPE_TIMESTAMP:
    case ICETAP_TYPE_TIMESTAMPTZ:
    case ICETAP_TYPE_TIMESTAMP_NS:
    case ICETAP_TYPE_TIMESTAMPTZ_NS:
        if (len == 8) {
            v->v.l = (int64_t) icetap_get_le(p, 8);
            return ICETAP_OK;
        }

        if (len != 4 || type == ICETAP_TYPE_TIME) {
            break;
        }

        /* written before a promotion: int -> long or date -> timestamp */

        v->v.l = (int32_t) (uint32_t) icetap_get_le(p, 4);

        if (type == ICETAP_TYPE_TIMESTAMP || type == ICETAP_TYPE_TIMESTAMPTZ) {
            v->v.l *= ICETAP_US_PER_DAY;

        } else if (type != ICETAP_TYPE_LONG) {
            v->v.l *= ICETAP_US_PER_DAY * 1000;
        }

        return ICETAP_OK;

    case ICETAP_TYPE_DOUBLE:
        if (len == 8) {
            u64 = icetap_get_le(p, 8);
            memcpy(&v->v.d, &u64, 8);
            return ICETAP_OK;
        }

        if (len != 4) {
            break;
        }

        u32 = (uint32_t) icetap_get_le(p, 4);
        memcpy(&f, &u32, 4);
        v->v.d = f;
        return ICETAP_OK;

    case ICETAP_TYPE_STRING:
    case ICETAP_TYPE_BINARY:
    case ICETAP_TYPE_FIXED:
    case ICETAP_TYPE_GEOMETRY:
    case ICETAP_TYPE_GEOGRAPHY:
        v->v.bin.data = p;
        v->v.bin.len = len;
        return ICETAP_OK;

    case ICETAP_TYPE_UUID:
        if (len != 16) {
            break;
        }

        memcpy(v->v.uuid, p, 16);
        return ICETAP_OK;

    case ICETAP_TYPE_DECIMAL:
        if (len < 1 || len > 16) {
            break;
        }

        memcpy(v->v.dec.bytes, p, len);
        v->v.dec.len = len;
        return ICETAP_OK;

    default:
        return icetap_error_set(err, ICETAP_UNSUPPORTED,
                                "values of type %d have no single-value "
                                "binary form", (int) type);
    }

    return icetap_error_set(err, ICETAP_INVALID,
                            "a %zu-byte single value does not fit type %d",
                            len, (int) type);
}


static int
icetap_bytes_compare(const uint8_t *a, size_t alen, const uint8_t *b,
    size_t blen)
{
    int  c;

    c = (alen && blen) ? memcmp(a, b, icetap_min(alen, blen)) : 0;

    if (c != 0) {
        return c;
    }

    return (alen > blen) - (alen < blen);
}


static int
icetap_double_compare(double a, double b)
{
    if (a < b) {
        return -1;
    }

    if (a > b) {
        return 1;
    }

    /* equal, or zeros of different sign: -0.0 sorts first */

    return (!signbit(b) && signbit(a)) ? -1 : (signbit(b) && !signbit(a));
}


int
icetap_value_compare(const icetap_value_t *a, const icetap_value_t *b)
{
    icetap_i128_t  x, y;

    switch (a->type) {

    case ICETAP_TYPE_BOOLEAN:
        return (a->v.b != 0) - (b->v.b != 0);

    case ICETAP_TYPE_INT:
    case ICETAP_TYPE_DATE:
        return (a->v.i > b->v.i) - (a->v.i < b->v.i);

    case ICETAP_TYPE_FLOAT:
        return icetap_double_compare(a->v.f, b->v.f);

    case ICETAP_TYPE_DOUBLE:
        return icetap_double_compare(a->v.d, b->v.d);

    case ICETAP_TYPE_UUID:
        return memcmp(a->v.uuid, b->v.uuid, 16);

    case ICETAP_TYPE_DECIMAL:
        if (icetap_decimal_get(a, &x) != ICETAP_OK
            || icetap_decimal_get(b, &y) != ICETAP_OK)
        {
            return 0;
        }

        return (x > y) - (x < y);

    case ICETAP_TYPE_STRING:
    case ICETAP_TYPE_BINARY:
    case ICETAP_TYPE_FIXED:
    case ICETAP_TYPE_GEOMETRY:
    case ICETAP_TYPE_GEOGRAPHY:
        return icetap_bytes_compare(a->v.bin.data, a->v.bin.len,
                                    b->v.bin.data, b->v.bin.len);

    default:
        return (a->v.l > b->v.l) - (a->v.l < b->v.l);
    }
}
