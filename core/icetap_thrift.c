/*
 * Copyright (C) icetap authors
 *
 * Thrift compact protocol encoder and decoder (the parts Parquet needs).
 */

#include <string.h>

#include "icetap_thrift.h"


static void icetap_tw_put(icetap_tw_t *tw, const void *p, size_t n);
static icetap_rc icetap_tr_varint(icetap_tr_t *tr, uint64_t *v);


void
icetap_tw_init(icetap_tw_t *tw, icetap_buf_t *buf)
{
    tw->buf = buf;
    tw->depth = 0;
    tw->last[0] = 0;
    tw->rc = ICETAP_OK;
}


static void
icetap_tw_put(icetap_tw_t *tw, const void *p, size_t n)
{
    if (tw->rc == ICETAP_OK) {
        tw->rc = icetap_buf_append(tw->buf, p, n);
    }
}


void
icetap_tw_varint(icetap_tw_t *tw, uint64_t v)
{
    uint8_t  b[10];
    size_t   n;

    n = 0;

    while (v >= 0x80) {
        b[n++] = (uint8_t) (v | 0x80);
        v >>= 7;
    }

    b[n++] = (uint8_t) v;

    icetap_tw_put(tw, b, n);
}


void
icetap_tw_begin(icetap_tw_t *tw)
{
    if (tw->depth + 1 >= ICETAP_THRIFT_DEPTH) {
        tw->rc = ICETAP_INVALID;
        return;
    }

    tw->last[++tw->depth] = 0;
}


void
icetap_tw_end(icetap_tw_t *tw)
{
    uint8_t  stop;

    stop = ICETAP_TT_STOP;
    icetap_tw_put(tw, &stop, 1);

    if (tw->depth > 0) {
        tw->depth--;
    }
}


void
icetap_tw_field(icetap_tw_t *tw, int16_t id, int type)
{
    int      delta;
    uint8_t  b;

    delta = id - tw->last[tw->depth];

    if (delta > 0 && delta <= 15) {
        b = (uint8_t) ((delta << 4) | type);
        icetap_tw_put(tw, &b, 1);

    } else {
        b = (uint8_t) type;
        icetap_tw_put(tw, &b, 1);
        icetap_tw_varint(tw, (uint32_t) ((id << 1) ^ (id >> 15)));
    }

    tw->last[tw->depth] = id;
}


void
icetap_tw_struct(icetap_tw_t *tw, int16_t id)
{
    icetap_tw_field(tw, id, ICETAP_TT_STRUCT);
    icetap_tw_begin(tw);
}


void
icetap_tw_i32(icetap_tw_t *tw, int16_t id, int32_t v)
{
    icetap_tw_field(tw, id, ICETAP_TT_I32);
    icetap_tw_varint(tw, (uint32_t) (((uint32_t) v << 1) ^ (v >> 31)));
}


void
icetap_tw_i64(icetap_tw_t *tw, int16_t id, int64_t v)
{
    icetap_tw_field(tw, id, ICETAP_TT_I64);
    icetap_tw_varint(tw, ((uint64_t) v << 1) ^ (uint64_t) (v >> 63));
}


void
icetap_tw_bool(icetap_tw_t *tw, int16_t id, int v)
{
    icetap_tw_field(tw, id, v ? ICETAP_TT_TRUE : ICETAP_TT_FALSE);
}


void
icetap_tw_bin(icetap_tw_t *tw, int16_t id, const void *p, size_t n)
{
    icetap_tw_field(tw, id, ICETAP_TT_BINARY);
    icetap_tw_elem_bin(tw, p, n);
}


void
icetap_tw_list(icetap_tw_t *tw, int16_t id, int etype, uint32_t n)
{
    icetap_tw_field(tw, id, ICETAP_TT_LIST);
    icetap_tw_list_header(tw, etype, n);
}


void
icetap_tw_list_header(icetap_tw_t *tw, int etype, uint32_t n)
{
    uint8_t  b;

    if (n <= 14) {
        b = (uint8_t) ((n << 4) | etype);
        icetap_tw_put(tw, &b, 1);
        return;
    }

    b = (uint8_t) (0xf0 | etype);
    icetap_tw_put(tw, &b, 1);
    icetap_tw_varint(tw, n);
}


void
icetap_tw_elem_i32(icetap_tw_t *tw, int32_t v)
{
    icetap_tw_varint(tw, (uint32_t) (((uint32_t) v << 1) ^ (v >> 31)));
}


void
icetap_tw_elem_bin(icetap_tw_t *tw, const void *p, size_t n)
{
    icetap_tw_varint(tw, n);
    icetap_tw_put(tw, p, n);
}


void
icetap_tr_init(icetap_tr_t *tr, const void *p, size_t n, const char *what,
    icetap_error_t *err)
{
    tr->p = p;
    tr->end = tr->p + n;
    tr->depth = 0;
    tr->last[0] = 0;
    tr->err = err;
    tr->what = what;
}


icetap_rc
icetap_tr_fail(icetap_tr_t *tr, const char *why)
{
    return icetap_error_set(tr->err, ICETAP_INVALID,
                            "parquet: malformed %s: %s", tr->what, why);
}


static icetap_rc
icetap_tr_varint(icetap_tr_t *tr, uint64_t *v)
{
    int       shift;
    uint8_t   b;
    uint64_t  r;

    r = 0;

    for (shift = 0; shift < 64; shift += 7) {
        if (tr->p >= tr->end) {
            return icetap_tr_fail(tr, "truncated varint");
        }

        b = *tr->p++;
        r |= (uint64_t) (b & 0x7f) << shift;

        if (!(b & 0x80)) {
            *v = r;
            return ICETAP_OK;
        }
    }

    return icetap_tr_fail(tr, "varint too long");
}


icetap_rc
icetap_tr_begin(icetap_tr_t *tr)
{
    if (tr->depth + 1 >= ICETAP_THRIFT_DEPTH) {
        return icetap_tr_fail(tr, "structs nested too deeply");
    }

    tr->last[++tr->depth] = 0;

    return ICETAP_OK;
}


void
icetap_tr_end(icetap_tr_t *tr)
{
    if (tr->depth > 0) {
        tr->depth--;
    }
}


icetap_rc
icetap_tr_field(icetap_tr_t *tr, int16_t *id, int *type)
{
    uint8_t   b;
    uint64_t  v;

    if (tr->p >= tr->end) {
        return icetap_tr_fail(tr, "truncated struct");
    }

    b = *tr->p++;

    if (b == ICETAP_TT_STOP) {
        *type = ICETAP_TT_STOP;
        *id = 0;
        return ICETAP_OK;
    }

    *type = b & 0x0f;

    if (*type > ICETAP_TT_STRUCT) {
        return icetap_tr_fail(tr, "unknown field type");
    }

    if (b >> 4) {
        *id = (int16_t) (tr->last[tr->depth] + (b >> 4));

    } else {
        if (icetap_tr_varint(tr, &v) != ICETAP_OK) {
            return ICETAP_INVALID;
        }

        *id = (int16_t) ((int32_t) (v >> 1) ^ -(int32_t) (v & 1));
    }

    tr->last[tr->depth] = *id;

    return ICETAP_OK;
}


icetap_rc
icetap_tr_i64(icetap_tr_t *tr, int type, int64_t *v)
{
    uint64_t  u;

    if (type == ICETAP_TT_I8) {
        if (tr->p >= tr->end) {
            return icetap_tr_fail(tr, "truncated i8");
        }

        *v = (int8_t) *tr->p++;
        return ICETAP_OK;
    }

    if (type != ICETAP_TT_I16 && type != ICETAP_TT_I32
        && type != ICETAP_TT_I64)
    {
        return icetap_tr_fail(tr, "integer field has another type");
    }

    if (icetap_tr_varint(tr, &u) != ICETAP_OK) {
        return ICETAP_INVALID;
    }

    *v = (int64_t) (u >> 1) ^ -(int64_t) (u & 1);

    return ICETAP_OK;
}


icetap_rc
icetap_tr_i32(icetap_tr_t *tr, int type, int32_t *v)
{
    int64_t  w;

    if (type == ICETAP_TT_I64) {
        return icetap_tr_fail(tr, "i64 where i32 expected");
    }

    if (icetap_tr_i64(tr, type, &w) != ICETAP_OK) {
        return ICETAP_INVALID;
    }

    if (w < INT32_MIN || w > INT32_MAX) {
        return icetap_tr_fail(tr, "i32 out of range");
    }

    *v = (int32_t) w;

    return ICETAP_OK;
}


icetap_rc
icetap_tr_bin(icetap_tr_t *tr, int type, const uint8_t **p, uint32_t *n)
{
    uint64_t  len;

    if (type != ICETAP_TT_BINARY) {
        return icetap_tr_fail(tr, "binary field has another type");
    }

    if (icetap_tr_varint(tr, &len) != ICETAP_OK) {
        return ICETAP_INVALID;
    }

    if (len > (uint64_t) (tr->end - tr->p)) {
        return icetap_tr_fail(tr, "binary runs past the end");
    }

    *p = tr->p;
    *n = (uint32_t) len;
    tr->p += len;

    return ICETAP_OK;
}


icetap_rc
icetap_tr_list(icetap_tr_t *tr, int type, int *etype, uint32_t *n)
{
    uint8_t   b;
    uint64_t  v;

    if (type != ICETAP_TT_LIST && type != ICETAP_TT_SET) {
        return icetap_tr_fail(tr, "list field has another type");
    }

    if (tr->p >= tr->end) {
        return icetap_tr_fail(tr, "truncated list");
    }

    b = *tr->p++;
    *etype = b & 0x0f;

    if ((b >> 4) != 15) {
        *n = b >> 4;

    } else {
        if (icetap_tr_varint(tr, &v) != ICETAP_OK) {
            return ICETAP_INVALID;
        }

        /* every element takes at least one byte (bools in lists, too) */

        if (v > (uint64_t) (tr->end - tr->p)) {
            return icetap_tr_fail(tr, "list longer than its data");
        }

        *n = (uint32_t) v;
    }

    if (*n > (size_t) (tr->end - tr->p)) {
        return icetap_tr_fail(tr, "list longer than its data");
    }

    return ICETAP_OK;
}


icetap_rc
icetap_tr_skip(icetap_tr_t *tr, int type)
{
    int            etype, ktype, vtype, ft;
    int16_t        id;
    int64_t        iv;
    uint32_t       n, i, bn;
    uint64_t       mn;
    const uint8_t  *bp;

    switch (type) {

    case ICETAP_TT_TRUE:
    case ICETAP_TT_FALSE:
        return ICETAP_OK;

    case ICETAP_TT_I8:
    case ICETAP_TT_I16:
    case ICETAP_TT_I32:
    case ICETAP_TT_I64:
        return icetap_tr_i64(tr, type, &iv);

    case ICETAP_TT_DOUBLE:
        if (tr->end - tr->p < 8) {
            return icetap_tr_fail(tr, "truncated double");
        }

        tr->p += 8;
        return ICETAP_OK;

    case ICETAP_TT_BINARY:
        return icetap_tr_bin(tr, type, &bp, &bn);

    case ICETAP_TT_LIST:
    case ICETAP_TT_SET:
        if (icetap_tr_list(tr, type, &etype, &n) != ICETAP_OK) {
            return ICETAP_INVALID;
        }

        for (i = 0; i < n; i++) {
            if (etype == ICETAP_TT_TRUE || etype == ICETAP_TT_FALSE) {
                if (tr->p >= tr->end) {
                    return icetap_tr_fail(tr, "truncated bool");
                }

                tr->p++;
                continue;
            }

            if (icetap_tr_skip(tr, etype) != ICETAP_OK) {
                return ICETAP_INVALID;
            }
        }

        return ICETAP_OK;

    case ICETAP_TT_MAP:
        if (icetap_tr_varint(tr, &mn) != ICETAP_OK) {
            return ICETAP_INVALID;
        }

        if (mn == 0) {
            return ICETAP_OK;
        }

        if (tr->p >= tr->end || mn > (uint64_t) (tr->end - tr->p)) {
            return icetap_tr_fail(tr, "map longer than its data");
        }

        ktype = *tr->p >> 4;
        vtype = *tr->p & 0x0f;
        tr->p++;

        for (i = 0; i < mn; i++) {
            if (icetap_tr_skip(tr, ktype) != ICETAP_OK
                || icetap_tr_skip(tr, vtype) != ICETAP_OK)
            {
                return ICETAP_INVALID;
            }
        }

        return ICETAP_OK;

    case ICETAP_TT_STRUCT:
        if (icetap_tr_begin(tr) != ICETAP_OK) {
            return ICETAP_INVALID;
        }

        for ( ;; ) {
            if (icetap_tr_field(tr, &id, &ft) != ICETAP_OK) {
                return ICETAP_INVALID;
            }

            if (ft == ICETAP_TT_STOP) {
                break;
            }

            if (icetap_tr_skip(tr, ft) != ICETAP_OK) {
                return ICETAP_INVALID;
            }
        }

        icetap_tr_end(tr);
        return ICETAP_OK;

    default:
        return icetap_tr_fail(tr, "unknown type to skip");
    }
}
