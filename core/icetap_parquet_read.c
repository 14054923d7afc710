/*
 * Copyright (C) icetap authors
 *
 * Parquet reader: the footer, then one column chunk at a time into a
 * caller-owned icetap_pq_column_t (levels plus the non-null values).
 * Every length and offset read from the file is checked against the
 * bytes actually present before it is used.
 */

#include <string.h>

#include "icetap_parquet.h"


#define ICETAP_PQ_MAX_PAGE          (1 << 30)
#define ICETAP_PQ_MAX_PAGE_VALUES   (1 << 26)


struct icetap_pq_reader_s {
    icetap_pq_read_pt       read;
    void                   *ctx;
    uint64_t                size;
    uint64_t                data_end;       /* where the footer starts */
    icetap_pq_meta_t        meta;
    icetap_buf_t            raw;
    icetap_buf_t            page;
    icetap_buf_t            vbuf;
    icetap_pq_codec_t       codec;
    uint32_t               *tmp;
    size_t                  cap_tmp;
    uint32_t               *tmp2;
    size_t                  cap_tmp2;
    icetap_pq_column_t      dict;
    int                     has_dict;
};


typedef struct {
    icetap_pq_reader_t     *r;
    icetap_pq_column_t     *col;
    const icetap_pq_node_t *node;
    int                     width;          /* fixed width, 0 otherwise */
    icetap_error_t         *err;
} icetap_pq_rctx_t;


static icetap_rc icetap_pq_fixed_width(int physical);
static icetap_rc icetap_pq_reserve(icetap_pq_rctx_t *x,
    icetap_pq_column_t *col, size_t nvals, size_t ndata);
static icetap_rc icetap_pq_tmp(icetap_pq_rctx_t *x, uint32_t **t,
    size_t *cap, size_t n);
static icetap_rc icetap_pq_put_bin(icetap_pq_rctx_t *x,
    icetap_pq_column_t *col, const uint8_t *p, size_t n);
static icetap_rc icetap_pq_plain(icetap_pq_rctx_t *x,
    icetap_pq_column_t *col, const uint8_t *p, size_t len, size_t n);
static icetap_rc icetap_pq_values(icetap_pq_rctx_t *x, int enc,
    const uint8_t *p, size_t len, size_t n);
static icetap_rc icetap_pq_levels_decode(icetap_pq_rctx_t *x,
    const uint8_t *p, size_t len, int max, uint8_t *out, size_t n);
static icetap_rc icetap_pq_data_page(icetap_pq_rctx_t *x,
    const icetap_pq_page_t *ph, const uint8_t *body, int codec);
static icetap_rc icetap_pq_dict_page(icetap_pq_rctx_t *x,
    const icetap_pq_page_t *ph, const uint8_t *body, int codec);


static icetap_rc
icetap_pq_fixed_width(int physical)
{
    switch (physical) {
    case ICETAP_PQ_PHYS_BOOLEAN:
        return 1;
    case ICETAP_PQ_PHYS_INT32:
    case ICETAP_PQ_PHYS_FLOAT:
        return 4;
    case ICETAP_PQ_PHYS_INT64:
    case ICETAP_PQ_PHYS_DOUBLE:
        return 8;
    default:
        return 0;
    }
}


icetap_pq_reader_t *
icetap_pq_reader_open(icetap_pq_read_pt read, void *ctx, uint64_t size,
    icetap_error_t *err)
{
    uint8_t              tail[8], head[4];
    uint32_t             flen;
    icetap_pq_reader_t  *r;

    if (size < 12) {
        icetap_error_set(err, ICETAP_INVALID,
                         "parquet: file of %llu bytes is too small",
                         (unsigned long long) size);
        return NULL;
    }

    r = icetap_calloc(1, sizeof(icetap_pq_reader_t));
    if (r == NULL) {
        icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        return NULL;
    }

    r->read = read;
    r->ctx = ctx;
    r->size = size;

    if (read(ctx, 0, head, 4, err) != ICETAP_OK
        || read(ctx, size - 8, tail, 8, err) != ICETAP_OK)
    {
        goto failed;
    }

    if (memcmp(head, "PAR1", 4) != 0 || memcmp(tail + 4, "PAR1", 4) != 0) {
        if (memcmp(tail + 4, "PARE", 4) == 0) {
            icetap_error_set(err, ICETAP_UNSUPPORTED,
                             "parquet: encrypted footers are not "
                             "supported");
        } else {
            icetap_error_set(err, ICETAP_INVALID,
                             "parquet: not a Parquet file (no PAR1 magic)");
        }

        goto failed;
    }

    flen = icetap_pq_get32(tail);

    if (flen == 0 || (uint64_t) flen > size - 12) {
        icetap_error_set(err, ICETAP_INVALID,
                         "parquet: footer length %u does not fit the file",
                         flen);
        goto failed;
    }

    if (icetap_buf_reserve(&r->raw, flen) != ICETAP_OK) {
        icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        goto failed;
    }

    r->data_end = size - 8 - flen;

    if (read(ctx, r->data_end, r->raw.data, flen, err) != ICETAP_OK) {
        goto failed;
    }

    if (icetap_pq_meta_decode(r->raw.data, flen, &r->meta, err)
        != ICETAP_OK)
    {
        goto failed;
    }

    return r;

failed:

    icetap_pq_reader_free(r);
    return NULL;
}


void
icetap_pq_reader_free(icetap_pq_reader_t *r)
{
    if (r == NULL) {
        return;
    }

    icetap_pq_meta_free(&r->meta);
    icetap_pq_schema_free(r->meta.schema);
    icetap_buf_free(&r->raw);
    icetap_buf_free(&r->page);
    icetap_buf_free(&r->vbuf);
    icetap_pq_codec_free(&r->codec);
    icetap_pq_column_free(&r->dict);
    icetap_free(r->tmp);
    icetap_free(r->tmp2);
    icetap_free(r);
}


const icetap_pq_schema_t *
icetap_pq_reader_schema(const icetap_pq_reader_t *r)
{
    return r->meta.schema;
}


int64_t
icetap_pq_reader_rows(const icetap_pq_reader_t *r)
{
    return r->meta.num_rows;
}


int
icetap_pq_reader_row_groups(const icetap_pq_reader_t *r)
{
    return (int) r->meta.nrgs;
}


int64_t
icetap_pq_reader_row_group_rows(const icetap_pq_reader_t *r, int rg)
{
    if (rg < 0 || (size_t) rg >= r->meta.nrgs) {
        return -1;
    }

    return r->meta.rgs[rg].num_rows;
}


/* from the first page of the first chunk to the end of the last one */

icetap_rc
icetap_pq_reader_row_group_span(const icetap_pq_reader_t *r, int rg,
    uint64_t *off, uint64_t *len)
{
    size_t                    i;
    int64_t                   start, lo, hi;
    const icetap_pq_chunk_t  *c;

    if (rg < 0 || (size_t) rg >= r->meta.nrgs
        || r->meta.schema->nleaves == 0)
    {
        return ICETAP_INVALID;
    }

    lo = INT64_MAX;
    hi = 0;

    for (i = 0; i < r->meta.schema->nleaves; i++) {
        c = &r->meta.rgs[rg].chunks[i];

        start = c->dict_page_offset > 0
                && c->dict_page_offset < c->data_page_offset
                ? c->dict_page_offset : c->data_page_offset;

        if (start < 4 || c->total_compressed <= 0
            || (uint64_t) start > r->data_end
            || (uint64_t) c->total_compressed > r->data_end - (uint64_t) start)
        {
            return ICETAP_INVALID;
        }

        lo = icetap_min(lo, start);
        hi = icetap_max(hi, start + c->total_compressed);
    }

    *off = (uint64_t) lo;
    *len = (uint64_t) (hi - lo);

    return ICETAP_OK;
}


const char *
icetap_pq_reader_kv(const icetap_pq_reader_t *r, const char *key)
{
    size_t  i;

    for (i = 0; i + 1 < r->meta.nkv; i += 2) {
        if (strcmp(r->meta.kv[i], key) == 0) {
            return r->meta.kv[i + 1] ? r->meta.kv[i + 1] : "";
        }
    }

    return NULL;
}


void
icetap_pq_column_free(icetap_pq_column_t *col)
{
    icetap_free(col->rep);
    icetap_free(col->def);
    icetap_free(col->values);
    icetap_free(col->offsets);
    icetap_free(col->data);
    memset(col, 0, sizeof(*col));
}


static icetap_rc
icetap_pq_grow(void **p, size_t *cap, size_t need, size_t elem)
{
    size_t  ncap;
    void   *np;

    if (need <= *cap && *p) {
        return ICETAP_OK;
    }

    ncap = *cap ? *cap : 64;

    while (ncap < need) {
        if (ncap > SIZE_MAX / 4 / elem) {
            return ICETAP_NOMEM;
        }

        ncap *= 2;
    }

    np = icetap_realloc(*p, ncap * elem);
    if (np == NULL) {
        return ICETAP_NOMEM;
    }

    *p = np;
    *cap = ncap;

    return ICETAP_OK;
}


static icetap_rc
icetap_pq_reserve(icetap_pq_rctx_t *x, icetap_pq_column_t *col,
    size_t nvals, size_t ndata)
{
    size_t  w, need;

    w = icetap_pq_fixed_width(col->physical);
    need = col->num_values + nvals;

    if (w) {
        if (need > SIZE_MAX / 16
            || icetap_pq_grow(&col->values, &col->cap_values, need * w, 1)
               != ICETAP_OK)
        {
            goto nomem;
        }

        return ICETAP_OK;
    }

    if (icetap_pq_grow((void **) &col->offsets, &col->cap_offsets, need + 1,
                       sizeof(uint32_t))
        != ICETAP_OK)
    {
        goto nomem;
    }

    if (col->data_len + ndata > UINT32_MAX) {
        return icetap_error_set(x->err, ICETAP_UNSUPPORTED,
                                "parquet: column chunk holds more than "
                                "4 GiB of values");
    }

    if (icetap_pq_grow((void **) &col->data, &col->cap_data,
                       col->data_len + ndata + 1, 1)
        != ICETAP_OK)
    {
        goto nomem;
    }

    return ICETAP_OK;

nomem:

    return icetap_error_set(x->err, ICETAP_NOMEM, "out of memory");
}


static icetap_rc
icetap_pq_tmp(icetap_pq_rctx_t *x, uint32_t **t, size_t *cap, size_t n)
{
    if (icetap_pq_grow((void **) t, cap, n + 1, sizeof(uint32_t))
        != ICETAP_OK)
    {
        return icetap_error_set(x->err, ICETAP_NOMEM, "out of memory");
    }

    return ICETAP_OK;
}


/* appends one byte-array-like value; reserve() must have made room */

static icetap_rc
icetap_pq_put_bin(icetap_pq_rctx_t *x, icetap_pq_column_t *col,
    const uint8_t *p, size_t n)
{
    if (icetap_pq_reserve(x, col, 1, n) != ICETAP_OK) {
        return ICETAP_ERROR;
    }

    if (col->num_values == 0) {
        col->offsets[0] = (uint32_t) col->data_len;
    }

    memcpy(col->data + col->data_len, p, n);
    col->data_len += n;
    col->num_values++;
    col->offsets[col->num_values] = (uint32_t) col->data_len;

    return ICETAP_OK;
}


static icetap_rc
icetap_pq_short(icetap_pq_rctx_t *x, const char *enc)
{
    return icetap_error_set(x->err, ICETAP_INVALID,
                            "parquet: %s values of column \"%s\" are "
                            "truncated", enc, x->node->name);
}


static icetap_rc
icetap_pq_plain(icetap_pq_rctx_t *x, icetap_pq_column_t *col,
    const uint8_t *p, size_t len, size_t n)
{
    size_t          i, w, l;
    uint8_t        *out;
    const uint8_t  *end;

    end = p + len;
    w = icetap_pq_fixed_width(col->physical);

    if (col->physical == ICETAP_PQ_PHYS_BOOLEAN) {
        if ((n + 7) / 8 > len) {
            return icetap_pq_short(x, "PLAIN");
        }

        if (icetap_pq_reserve(x, col, n, 0) != ICETAP_OK) {
            return ICETAP_ERROR;
        }

        out = (uint8_t *) col->values + col->num_values;

        for (i = 0; i < n; i++) {
            out[i] = (p[i / 8] >> (i % 8)) & 1;
        }

        col->num_values += n;
        return ICETAP_OK;
    }

    if (w) {
        if (n > len / w) {
            return icetap_pq_short(x, "PLAIN");
        }

        if (icetap_pq_reserve(x, col, n, 0) != ICETAP_OK) {
            return ICETAP_ERROR;
        }

        memcpy((uint8_t *) col->values + col->num_values * w, p, n * w);
        col->num_values += n;
        return ICETAP_OK;
    }

    if (col->physical == ICETAP_PQ_PHYS_BYTE_ARRAY) {
        /* two passes: check and size, then copy */

        l = 0;

        for (i = 0; i < n; i++) {
            if (end - p < 4) {
                return icetap_pq_short(x, "PLAIN");
            }

            w = icetap_pq_get32(p);

            if (w > (size_t) (end - p - 4)) {
                return icetap_pq_short(x, "PLAIN");
            }

            p += 4 + w;
            l += w;
        }

        p = end - len;

        if (icetap_pq_reserve(x, col, n, l) != ICETAP_OK) {
            return ICETAP_ERROR;
        }

        for (i = 0; i < n; i++) {
            w = icetap_pq_get32(p);

            if (icetap_pq_put_bin(x, col, p + 4, w) != ICETAP_OK) {
                return ICETAP_ERROR;
            }

            p += 4 + w;
        }

        return ICETAP_OK;
    }

    w = col->physical == ICETAP_PQ_PHYS_INT96 ? 12
                                              : (size_t) x->node->type_length;

    if (n > len / w) {
        return icetap_pq_short(x, "PLAIN");
    }

    if (icetap_pq_reserve(x, col, n, n * w) != ICETAP_OK) {
        return ICETAP_ERROR;
    }

    for (i = 0; i < n; i++) {
        if (icetap_pq_put_bin(x, col, p + i * w, w) != ICETAP_OK) {
            return ICETAP_ERROR;
        }
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_pq_dict_values(icetap_pq_rctx_t *x, const uint8_t *p, size_t len,
    size_t n)
{
    int                  bw;
    size_t               i, w, total;
    uint8_t             *out;
    uint32_t            *idx, e;
    icetap_pq_reader_t  *r;
    icetap_pq_column_t  *d, *col;

    r = x->r;
    d = &r->dict;
    col = x->col;

    if (!r->has_dict) {
        return icetap_error_set(x->err, ICETAP_INVALID,
                                "parquet: column \"%s\" uses a dictionary "
                                "but has no dictionary page", x->node->name);
    }

    if (n == 0) {
        return ICETAP_OK;
    }

    if (len < 1) {
        return icetap_pq_short(x, "RLE_DICTIONARY");
    }

    bw = p[0];

    if (icetap_pq_tmp(x, &r->tmp, &r->cap_tmp, n) != ICETAP_OK
        || icetap_pq_rle_decode(p + 1, len - 1, bw, r->tmp, n, NULL, x->err)
           != ICETAP_OK)
    {
        return ICETAP_ERROR;
    }

    idx = r->tmp;
    w = icetap_pq_fixed_width(col->physical);
    total = 0;

    for (i = 0; i < n; i++) {
        if (idx[i] >= d->num_values) {
            return icetap_error_set(x->err, ICETAP_INVALID,
                                    "parquet: dictionary index %u out of "
                                    "%zu in column \"%s\"", idx[i],
                                    d->num_values, x->node->name);
        }

        if (!w) {
            total += d->offsets[idx[i] + 1] - d->offsets[idx[i]];
        }
    }

    if (icetap_pq_reserve(x, col, n, total) != ICETAP_OK) {
        return ICETAP_ERROR;
    }

    if (w == 4) {
        uint32_t        *o4 = (uint32_t *) col->values + col->num_values;
        const uint32_t  *d4 = d->values;

        for (i = 0; i < n; i++) {
            o4[i] = d4[idx[i]];
        }

    } else if (w == 8) {
        uint64_t        *o8 = (uint64_t *) col->values + col->num_values;
        const uint64_t  *d8 = d->values;

        for (i = 0; i < n; i++) {
            o8[i] = d8[idx[i]];
        }

    } else if (w == 1) {
        out = (uint8_t *) col->values + col->num_values;

        for (i = 0; i < n; i++) {
            out[i] = ((uint8_t *) d->values)[idx[i]];
        }

    } else {
        if (col->num_values == 0) {
            col->offsets[0] = (uint32_t) col->data_len;
        }

        for (i = 0; i < n; i++) {
            e = idx[i];
            w = d->offsets[e + 1] - d->offsets[e];
            memcpy(col->data + col->data_len, d->data + d->offsets[e], w);
            col->data_len += w;
            col->offsets[col->num_values + i + 1] = (uint32_t) col->data_len;
        }

        w = 0;
    }

    col->num_values += n;

    return ICETAP_OK;
}


static icetap_rc
icetap_pq_values(icetap_pq_rctx_t *x, int enc, const uint8_t *p, size_t len,
    size_t n)
{
    size_t               i, k, w, used, total, pl;
    uint8_t             *out;
    uint32_t            *lens, *pre;
    icetap_pq_reader_t  *r;
    icetap_pq_column_t  *col;
    icetap_buf_t        *prev;

    r = x->r;
    col = x->col;
    w = icetap_pq_fixed_width(col->physical);

    switch (enc) {

    case ICETAP_PQ_ENC_PLAIN:
        return icetap_pq_plain(x, col, p, len, n);

    case ICETAP_PQ_ENC_PLAIN_DICTIONARY:
    case ICETAP_PQ_ENC_RLE_DICTIONARY:
        return icetap_pq_dict_values(x, p, len, n);

    case ICETAP_PQ_ENC_RLE:
        if (col->physical != ICETAP_PQ_PHYS_BOOLEAN) {
            break;
        }

        if (len < 4 || icetap_pq_get32(p) > len - 4) {
            return icetap_pq_short(x, "RLE");
        }

        if (icetap_pq_tmp(x, &r->tmp, &r->cap_tmp, n) != ICETAP_OK
            || icetap_pq_rle_decode(p + 4, icetap_pq_get32(p), 1, r->tmp, n,
                                    NULL, x->err)
               != ICETAP_OK
            || icetap_pq_reserve(x, col, n, 0) != ICETAP_OK)
        {
            return ICETAP_ERROR;
        }

        out = (uint8_t *) col->values + col->num_values;

        for (i = 0; i < n; i++) {
            out[i] = (uint8_t) r->tmp[i];
        }

        col->num_values += n;
        return ICETAP_OK;

    case ICETAP_PQ_ENC_DELTA_BINARY:
        if (col->physical != ICETAP_PQ_PHYS_INT32
            && col->physical != ICETAP_PQ_PHYS_INT64)
        {
            break;
        }

        if (icetap_pq_reserve(x, col, n, 0) != ICETAP_OK
            || icetap_pq_delta_decode(p, len,
                                      col->physical == ICETAP_PQ_PHYS_INT64,
                                      (uint8_t *) col->values
                                      + col->num_values * w,
                                      n, NULL, x->err)
               != ICETAP_OK)
        {
            return ICETAP_ERROR;
        }

        col->num_values += n;
        return ICETAP_OK;

    case ICETAP_PQ_ENC_DELTA_LENGTH:
        if (col->physical != ICETAP_PQ_PHYS_BYTE_ARRAY) {
            break;
        }

        if (icetap_pq_tmp(x, &r->tmp, &r->cap_tmp, n) != ICETAP_OK
            || icetap_pq_delta_decode(p, len, 0, r->tmp, n, &used, x->err)
               != ICETAP_OK)
        {
            return ICETAP_ERROR;
        }

        lens = r->tmp;
        total = 0;

        for (i = 0; i < n; i++) {
            if ((int32_t) lens[i] < 0 || lens[i] > len) {
                return icetap_pq_short(x, "DELTA_LENGTH_BYTE_ARRAY");
            }

            total += lens[i];
        }

        if (total > len - used) {
            return icetap_pq_short(x, "DELTA_LENGTH_BYTE_ARRAY");
        }

        if (icetap_pq_reserve(x, col, n, total) != ICETAP_OK) {
            return ICETAP_ERROR;
        }

        p += used;

        for (i = 0; i < n; i++) {
            if (icetap_pq_put_bin(x, col, p, lens[i]) != ICETAP_OK) {
                return ICETAP_ERROR;
            }

            p += lens[i];
        }

        return ICETAP_OK;

    case ICETAP_PQ_ENC_DELTA_BYTE_ARRAY:
        if (col->physical != ICETAP_PQ_PHYS_BYTE_ARRAY
            && col->physical != ICETAP_PQ_PHYS_FLBA)
        {
            break;
        }

        if (icetap_pq_tmp(x, &r->tmp, &r->cap_tmp, n) != ICETAP_OK
            || icetap_pq_tmp(x, &r->tmp2, &r->cap_tmp2, n) != ICETAP_OK
            || icetap_pq_delta_decode(p, len, 0, r->tmp2, n, &used, x->err)
               != ICETAP_OK)
        {
            return ICETAP_ERROR;
        }

        pre = r->tmp2;
        p += used;
        len -= used;

        if (icetap_pq_delta_decode(p, len, 0, r->tmp, n, &used, x->err)
            != ICETAP_OK)
        {
            return ICETAP_ERROR;
        }

        lens = r->tmp;
        p += used;
        len -= used;
        prev = &r->vbuf;
        prev->len = 0;

        for (i = 0; i < n; i++) {
            pl = pre[i];

            if ((int32_t) pl < 0 || pl > prev->len || lens[i] > len) {
                return icetap_pq_short(x, "DELTA_BYTE_ARRAY");
            }

            prev->len = pl;

            if (icetap_buf_append(prev, p, lens[i]) != ICETAP_OK) {
                return icetap_error_set(x->err, ICETAP_NOMEM,
                                        "out of memory");
            }

            p += lens[i];
            len -= lens[i];

            if (col->physical == ICETAP_PQ_PHYS_FLBA
                && prev->len != (size_t) x->node->type_length)
            {
                return icetap_pq_short(x, "DELTA_BYTE_ARRAY");
            }

            if (icetap_pq_put_bin(x, col, prev->data, prev->len)
                != ICETAP_OK)
            {
                return ICETAP_ERROR;
            }
        }

        return ICETAP_OK;

    case ICETAP_PQ_ENC_BYTE_STREAM_SPLIT:
        if (col->physical == ICETAP_PQ_PHYS_BOOLEAN
            || col->physical == ICETAP_PQ_PHYS_BYTE_ARRAY
            || col->physical == ICETAP_PQ_PHYS_INT96)
        {
            break;
        }

        k = w ? w : (size_t) x->node->type_length;

        if (n > len / k) {
            return icetap_pq_short(x, "BYTE_STREAM_SPLIT");
        }

        if (w) {
            if (icetap_pq_reserve(x, col, n, 0) != ICETAP_OK) {
                return ICETAP_ERROR;
            }

            out = (uint8_t *) col->values + col->num_values * w;

            for (i = 0; i < n; i++) {
                for (used = 0; used < k; used++) {
                    out[i * k + used] = p[used * n + i];
                }
            }

            col->num_values += n;
            return ICETAP_OK;
        }

        prev = &r->vbuf;
        prev->len = 0;

        if (icetap_buf_reserve(prev, k) != ICETAP_OK
            || icetap_pq_reserve(x, col, n, n * k) != ICETAP_OK)
        {
            return icetap_error_set(x->err, ICETAP_NOMEM, "out of memory");
        }

        for (i = 0; i < n; i++) {
            for (used = 0; used < k; used++) {
                prev->data[used] = p[used * n + i];
            }

            if (icetap_pq_put_bin(x, col, prev->data, k) != ICETAP_OK) {
                return ICETAP_ERROR;
            }
        }

        return ICETAP_OK;

    default:
        break;
    }

    return icetap_error_set(x->err, ICETAP_UNSUPPORTED,
                            "parquet: encoding %s (%d) is not supported for "
                            "column \"%s\"", icetap_pq_encoding_name(enc),
                            enc, x->node->name);
}


static icetap_rc
icetap_pq_levels_decode(icetap_pq_rctx_t *x, const uint8_t *p, size_t len,
    int max, uint8_t *out, size_t n)
{
    size_t               i;
    icetap_pq_reader_t  *r;

    r = x->r;

    if (icetap_pq_tmp(x, &r->tmp, &r->cap_tmp, n) != ICETAP_OK
        || icetap_pq_rle_decode(p, len, icetap_pq_bit_width(max), r->tmp, n,
                                NULL, x->err)
           != ICETAP_OK)
    {
        return ICETAP_ERROR;
    }

    for (i = 0; i < n; i++) {
        if (r->tmp[i] > (uint32_t) max) {
            return icetap_error_set(x->err, ICETAP_INVALID,
                                    "parquet: level %u above maximum %d in "
                                    "column \"%s\"", r->tmp[i], max,
                                    x->node->name);
        }

        out[i] = (uint8_t) r->tmp[i];
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_pq_dict_page(icetap_pq_rctx_t *x, const icetap_pq_page_t *ph,
    const uint8_t *body, int codec)
{
    icetap_pq_reader_t  *r;
    icetap_pq_column_t  *d;

    r = x->r;

    if (r->has_dict) {
        return icetap_error_set(x->err, ICETAP_INVALID,
                                "parquet: column \"%s\" has two dictionary "
                                "pages", x->node->name);
    }

    if (ph->encoding != ICETAP_PQ_ENC_PLAIN
        && ph->encoding != ICETAP_PQ_ENC_PLAIN_DICTIONARY)
    {
        return icetap_error_set(x->err, ICETAP_UNSUPPORTED,
                                "parquet: dictionary encoding %s",
                                icetap_pq_encoding_name(ph->encoding));
    }

    if (icetap_buf_reserve(&r->page, (size_t) ph->usize + 1) != ICETAP_OK) {
        return icetap_error_set(x->err, ICETAP_NOMEM, "out of memory");
    }

    if (icetap_pq_decompress(&r->codec, codec, body, ph->csize,
                             r->page.data, ph->usize, x->err)
        != ICETAP_OK)
    {
        return ICETAP_ERROR;
    }

    d = &r->dict;
    d->physical = x->col->physical;
    d->num_values = 0;
    d->data_len = 0;

    if (icetap_pq_plain(x, d, r->page.data, ph->usize, ph->num_values)
        != ICETAP_OK)
    {
        return ICETAP_ERROR;
    }

    r->has_dict = 1;

    return ICETAP_OK;
}


static icetap_rc
icetap_pq_data_page(icetap_pq_rctx_t *x, const icetap_pq_page_t *ph,
    const uint8_t *body, int codec)
{
    int                      max_def, max_rep;
    size_t                   n, i, nn, off, rl, dl;
    const uint8_t           *p, *vals;
    icetap_pq_reader_t      *r;
    icetap_pq_column_t      *col;
    const icetap_pq_node_t  *node;

    r = x->r;
    col = x->col;
    node = x->node;
    max_def = node->max_def;
    max_rep = node->max_rep;
    n = (size_t) ph->num_values;

    if (icetap_buf_reserve(&r->page, (size_t) ph->usize + 1) != ICETAP_OK) {
        return icetap_error_set(x->err, ICETAP_NOMEM, "out of memory");
    }

    if (icetap_pq_grow((void **) &col->rep, &col->cap_entries,
                       col->num_entries + n + 1, 1)
        != ICETAP_OK
        || icetap_pq_grow((void **) &col->def, &col->cap_def,
                          col->num_entries + n + 1, 1)
           != ICETAP_OK)
    {
        return icetap_error_set(x->err, ICETAP_NOMEM, "out of memory");
    }

    if (ph->type == ICETAP_PQ_PAGE_DATA) {
        if ((max_rep && ph->rep_encoding != ICETAP_PQ_ENC_RLE)
            || (max_def && ph->def_encoding != ICETAP_PQ_ENC_RLE))
        {
            return icetap_error_set(x->err, ICETAP_UNSUPPORTED,
                                    "parquet: level encoding %s in column "
                                    "\"%s\"", icetap_pq_encoding_name(
                                        max_def && ph->def_encoding
                                        != ICETAP_PQ_ENC_RLE
                                        ? ph->def_encoding
                                        : ph->rep_encoding),
                                    node->name);
        }

        if (icetap_pq_decompress(&r->codec, codec, body, ph->csize,
                                 r->page.data, ph->usize, x->err)
            != ICETAP_OK)
        {
            return ICETAP_ERROR;
        }

        p = r->page.data;
        off = 0;

        if (max_rep) {
            if (ph->usize - off < 4
                || icetap_pq_get32(p + off) > ph->usize - off - 4)
            {
                return icetap_pq_short(x, "repetition level");
            }

            rl = icetap_pq_get32(p + off);

            if (icetap_pq_levels_decode(x, p + off + 4, rl, max_rep,
                                        col->rep + col->num_entries, n)
                != ICETAP_OK)
            {
                return ICETAP_ERROR;
            }

            off += 4 + rl;
        }

        if (max_def) {
            if (ph->usize - off < 4
                || icetap_pq_get32(p + off) > ph->usize - off - 4)
            {
                return icetap_pq_short(x, "definition level");
            }

            dl = icetap_pq_get32(p + off);

            if (icetap_pq_levels_decode(x, p + off + 4, dl, max_def,
                                        col->def + col->num_entries, n)
                != ICETAP_OK)
            {
                return ICETAP_ERROR;
            }

            off += 4 + dl;
        }

        vals = p + off;
        dl = ph->usize - off;

    } else {
        rl = (size_t) ph->rep_len;
        dl = (size_t) ph->def_len;

        if (rl + dl > (size_t) ph->csize || rl + dl > (size_t) ph->usize) {
            return icetap_pq_short(x, "DATA_PAGE_V2 level");
        }

        if (max_rep
            && icetap_pq_levels_decode(x, body, rl, max_rep,
                                       col->rep + col->num_entries, n)
               != ICETAP_OK)
        {
            return ICETAP_ERROR;
        }

        if (max_def
            && icetap_pq_levels_decode(x, body + rl, dl, max_def,
                                       col->def + col->num_entries, n)
               != ICETAP_OK)
        {
            return ICETAP_ERROR;
        }

        if (ph->is_compressed) {
            if (icetap_pq_decompress(&r->codec, codec, body + rl + dl,
                                     ph->csize - rl - dl, r->page.data,
                                     ph->usize - rl - dl, x->err)
                != ICETAP_OK)
            {
                return ICETAP_ERROR;
            }

        } else {
            if (ph->csize != ph->usize) {
                return icetap_pq_short(x, "DATA_PAGE_V2");
            }

            memcpy(r->page.data, body + rl + dl, ph->usize - rl - dl);
        }

        vals = r->page.data;
        dl = ph->usize - rl - dl;
    }

    nn = n;

    if (max_def) {
        nn = 0;

        for (i = 0; i < n; i++) {
            nn += col->def[col->num_entries + i] == max_def;
        }
    }

    if (max_rep == 0) {
        memset(col->rep + col->num_entries, 0, n);
    }

    if (max_def == 0) {
        memset(col->def + col->num_entries, 0, n);
    }

    if (icetap_pq_values(x, ph->encoding, vals, dl, nn) != ICETAP_OK) {
        return ICETAP_ERROR;
    }

    col->num_entries += n;

    return ICETAP_OK;
}


icetap_rc
icetap_pq_read_column(icetap_pq_reader_t *r, int rg, int leaf,
    icetap_pq_column_t *col, icetap_error_t *err)
{
    int64_t                  start, len;
    size_t                   used;
    const uint8_t           *p, *end;
    icetap_pq_page_t         ph;
    icetap_pq_rctx_t         x;
    const icetap_pq_chunk_t *c;
    const icetap_pq_schema_t *s;

    s = r->meta.schema;

    if (rg < 0 || (size_t) rg >= r->meta.nrgs || leaf < 0
        || (size_t) leaf >= s->nleaves)
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "parquet: no column %d in row group %d",
                                leaf, rg);
    }

    c = &r->meta.rgs[rg].chunks[leaf];

    x.r = r;
    x.col = col;
    x.node = &s->nodes[s->leaves[leaf]];
    x.err = err;

    if (c->codec != ICETAP_PQ_UNCOMPRESSED && c->codec != ICETAP_PQ_SNAPPY
        && c->codec != ICETAP_PQ_GZIP && c->codec != ICETAP_PQ_ZSTD)
    {
        return icetap_error_set(err, ICETAP_UNSUPPORTED,
                                "parquet: codec %s (%d) of column \"%s\" is "
                                "not supported",
                                icetap_pq_codec_name(c->codec), c->codec,
                                x.node->name);
    }

    start = c->dict_page_offset > 0 && c->dict_page_offset
                                       < c->data_page_offset
            ? c->dict_page_offset : c->data_page_offset;
    len = c->total_compressed;

    if (start < 4 || len <= 0 || (uint64_t) start > r->data_end
        || (uint64_t) len > r->data_end - (uint64_t) start)
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "parquet: column \"%s\" of row group %d "
                                "lies outside the file", x.node->name, rg);
    }

    r->raw.len = 0;

    if (icetap_buf_reserve(&r->raw, (size_t) len) != ICETAP_OK) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    if (r->read(r->ctx, (uint64_t) start, r->raw.data, (size_t) len, err)
        != ICETAP_OK)
    {
        return err ? err->code : ICETAP_IO;
    }

    col->leaf = leaf;
    col->physical = x.node->physical;
    col->num_entries = 0;
    col->num_values = 0;
    col->data_len = 0;
    r->has_dict = 0;

    p = r->raw.data;
    end = p + len;

    while (p < end && col->num_entries < (size_t) c->num_values) {
        if (icetap_pq_page_decode(p, end - p, &used, &ph, err) != ICETAP_OK)
        {
            return ICETAP_INVALID;
        }

        p += used;

        if ((size_t) ph.csize > (size_t) (end - p)) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "parquet: page of column \"%s\" runs "
                                    "past its chunk", x.node->name);
        }

        /* bounds no real writer comes near; they keep a forged header
         * from asking for gigabytes */

        if (ph.usize > ICETAP_PQ_MAX_PAGE
            || ph.num_values > ICETAP_PQ_MAX_PAGE_VALUES)
        {
            return icetap_error_set(err, ICETAP_UNSUPPORTED,
                                    "parquet: page of %d bytes, %d values "
                                    "in column \"%s\" is too large",
                                    (int) ph.usize, (int) ph.num_values,
                                    x.node->name);
        }

        switch (ph.type) {

        case ICETAP_PQ_PAGE_DICT:
            if (icetap_pq_dict_page(&x, &ph, p, c->codec) != ICETAP_OK) {
                return err ? err->code : ICETAP_ERROR;
            }
            break;

        case ICETAP_PQ_PAGE_DATA:
        case ICETAP_PQ_PAGE_DATA_V2:
            if (icetap_pq_data_page(&x, &ph, p, c->codec) != ICETAP_OK) {
                return err ? err->code : ICETAP_ERROR;
            }
            break;

        default:
            break;
        }

        p += ph.csize;
    }

    if (col->num_entries != (size_t) c->num_values) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "parquet: column \"%s\" of row group %d has "
                                "%zu of %lld values", x.node->name, rg,
                                col->num_entries,
                                (long long) c->num_values);
    }

    return ICETAP_OK;
}


icetap_rc
icetap_pq_writer_append(icetap_pq_writer_t *w, icetap_pq_reader_t *r)
{
    return icetap_pq_writer_append_raw(w, r->read, r->ctx, &r->meta,
                                       r->data_end);
}
