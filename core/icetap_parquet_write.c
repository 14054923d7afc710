/*
 * Copyright (C) icetap authors
 *
 * Streaming Parquet writer.  Values arrive row by row (or a decoded
 * column per leaf); each leaf keeps its open page (levels plus PLAIN
 * values or dictionary indices) and its finished pages, compressed, for
 * the current row group.  A row group is written out whole, dictionary
 * page first, through the caller's write callback, so memory is bounded
 * by one row group plus the footer metadata.
 */

#include <stdio.h>
#include <string.h>
#include <math.h>

#include "icetap_parquet.h"


#define ICETAP_PQ_CHECK_ROWS    128     /* row-group size check period */

/* statistics ordering of a leaf */
#define ICETAP_PQ_ORD_INT       0       /* signed integers, booleans */
#define ICETAP_PQ_ORD_FLOAT     1
#define ICETAP_PQ_ORD_DOUBLE    2
#define ICETAP_PQ_ORD_BYTES     3       /* unsigned bytewise */
#define ICETAP_PQ_ORD_DECIMAL   4       /* big-endian two's complement */
#define ICETAP_PQ_ORD_NONE      5


typedef struct {
    uint32_t            hash;
    uint32_t            idx;            /* entry + 1, 0 when free */
} icetap_pq_slot_t;


typedef struct {
    int                 node;
    int                 physical;
    int                 width;          /* fixed value size, 0 for arrays */
    int                 max_def;
    int                 max_rep;
    int                 order;
    int                 next_rep;

    /* the open page */
    icetap_buf_t        repb;
    icetap_buf_t        defb;
    size_t              entries;
    icetap_buf_t        plain;
    uint32_t           *idx;
    size_t              nidx;
    size_t              cap_idx;

    /* the chunk's dictionary */
    int                 dict_mode;
    int                 dict_used;
    int                 dict_checked;
    int                 dict_full;
    icetap_buf_t        dict;
    uint32_t           *doff;
    size_t              ndict;
    size_t              cap_dict;
    icetap_pq_slot_t   *slots;
    size_t              nslots;
    size_t              plain_est;

    /* the chunk */
    icetap_buf_t        chunk;
    int64_t             values;
    int64_t             nulls;
    int64_t             nans;
    int64_t             usize;
    uint32_t            encodings;
    int                 has_minmax;
    int64_t             imin;
    int64_t             imax;
    double              dmin;
    double              dmax;
    icetap_buf_t        bmin;
    icetap_buf_t        bmax;

    /* file-level metrics */
    int64_t             m_values;
    int64_t             m_nulls;
    int64_t             m_nans;
    uint64_t            m_size;
    int                 m_has;
    int                 m_unknown;
    icetap_buf_t        m_lower;
    icetap_buf_t        m_upper;
    icetap_buf_t        ice_lower;
    icetap_buf_t        ice_upper;
} icetap_pq_wcol_t;


typedef struct {
    int                 node;
    int                 child;          /* struct: next child node */
    int                 count;          /* fields, elements or map items */
} icetap_pq_frame_t;


struct icetap_pq_writer_s {
    const icetap_pq_schema_t  *schema;
    const icetap_pq_node_t    *nodes;
    icetap_pq_writer_conf_t    conf;
    icetap_pq_write_pt         write;
    void                      *ctx;
    icetap_error_t            *err;
    icetap_rc                  failed;
    int                        closed;

    icetap_pq_wcol_t          *cols;
    size_t                     ncols;
    int                       *next_sib;
    icetap_pq_frame_t          stack[ICETAP_PQ_MAX_LEVEL + 2];
    int                        depth;
    int                        need_flush;
    int                        has_rep;

    uint64_t                   offset;
    int64_t                    rg_rows;
    int64_t                    rows;
    icetap_pq_meta_t           meta;
    int64_t                   *rg_offsets;

    icetap_buf_t               page;
    icetap_buf_t               cbuf;
    icetap_buf_t               hdr;
    icetap_pq_codec_t          codec;
};


static icetap_rc icetap_pq_fail(icetap_pq_writer_t *w, icetap_rc rc,
    const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static icetap_rc icetap_pq_out(icetap_pq_writer_t *w, const void *p,
    size_t n);
static void icetap_pq_col_reset_chunk(icetap_pq_writer_t *w,
    icetap_pq_wcol_t *c);
static icetap_rc icetap_pq_levels(icetap_pq_writer_t *w,
    icetap_pq_wcol_t *c, int rep, int def);
static icetap_rc icetap_pq_value(icetap_pq_writer_t *w, icetap_pq_wcol_t *c,
    const uint8_t *p, size_t n);
static icetap_rc icetap_pq_dict_grow(icetap_pq_writer_t *w,
    icetap_pq_wcol_t *c);
static void icetap_pq_stats_update(icetap_pq_wcol_t *c, const uint8_t *p,
    size_t n);
static icetap_rc icetap_pq_flush_page(icetap_pq_writer_t *w,
    icetap_pq_wcol_t *c);
static icetap_rc icetap_pq_flush_rg(icetap_pq_writer_t *w);
static icetap_rc icetap_pq_write_chunk(icetap_pq_writer_t *w,
    icetap_pq_wcol_t *c, icetap_pq_chunk_t *meta);
static int icetap_pq_stat_cmp(int order, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen);
static icetap_rc icetap_pq_metrics_merge(icetap_pq_wcol_t *c,
    const icetap_pq_chunk_t *meta);
static icetap_rc icetap_pq_enter(icetap_pq_writer_t *w, int *field);
static void icetap_pq_advance(icetap_pq_writer_t *w);
static icetap_rc icetap_pq_leaf(icetap_pq_writer_t *w, int *field,
    icetap_pq_wcol_t **col, const char *what);
static icetap_rc icetap_pq_subtree_nulls(icetap_pq_writer_t *w,
    const icetap_pq_node_t *n, int def);
static int icetap_pq_order(const icetap_pq_node_t *n);


static icetap_rc
icetap_pq_fail(icetap_pq_writer_t *w, icetap_rc rc, const char *fmt, ...)
{
    va_list  ap;

    if (w->err) {
        w->err->code = rc;
        w->err->sys_errno = 0;
        va_start(ap, fmt);
        vsnprintf(w->err->msg, sizeof(w->err->msg), fmt, ap);
        va_end(ap);
    }

    w->failed = rc;

    return rc;
}


static icetap_rc
icetap_pq_out(icetap_pq_writer_t *w, const void *p, size_t n)
{
    icetap_rc  rc;

    if (n == 0) {
        return ICETAP_OK;
    }

    rc = w->write(w->ctx, p, n, w->err);

    if (rc != ICETAP_OK) {
        w->failed = rc;
        return rc;
    }

    w->offset += n;

    return ICETAP_OK;
}


void
icetap_pq_writer_conf_init(icetap_pq_writer_conf_t *conf)
{
    memset(conf, 0, sizeof(*conf));
    conf->codec = ICETAP_PQ_ZSTD;
}


static int
icetap_pq_order(const icetap_pq_node_t *n)
{
    switch (n->physical) {

    case ICETAP_PQ_PHYS_BOOLEAN:
    case ICETAP_PQ_PHYS_INT32:
    case ICETAP_PQ_PHYS_INT64:
        if (n->logical == ICETAP_PQ_LT_INTEGER && !n->lt_signed) {
            return ICETAP_PQ_ORD_NONE;
        }

        return ICETAP_PQ_ORD_INT;

    case ICETAP_PQ_PHYS_FLOAT:
        return ICETAP_PQ_ORD_FLOAT;

    case ICETAP_PQ_PHYS_DOUBLE:
        return ICETAP_PQ_ORD_DOUBLE;

    case ICETAP_PQ_PHYS_BYTE_ARRAY:
    case ICETAP_PQ_PHYS_FLBA:
        if (n->type == ICETAP_PQ_DECIMAL) {
            return ICETAP_PQ_ORD_DECIMAL;
        }

        return ICETAP_PQ_ORD_BYTES;

    default:
        return ICETAP_PQ_ORD_NONE;
    }
}


icetap_pq_writer_t *
icetap_pq_writer_open(const icetap_pq_schema_t *s,
    const icetap_pq_writer_conf_t *conf, icetap_pq_write_pt write,
    void *ctx, icetap_error_t *err)
{
    size_t                   i, j;
    icetap_pq_writer_t      *w;
    icetap_pq_wcol_t        *c;
    const icetap_pq_node_t  *n;

    if (!s->finished) {
        icetap_error_set(err, ICETAP_INVALID,
                         "parquet: schema is not finished");
        return NULL;
    }

    w = icetap_calloc(1, sizeof(icetap_pq_writer_t));
    if (w == NULL) {
        icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        return NULL;
    }

    w->schema = s;
    w->nodes = s->nodes;
    w->write = write;
    w->ctx = ctx;
    w->err = err;

    if (conf) {
        w->conf = *conf;
    } else {
        icetap_pq_writer_conf_init(&w->conf);
    }

    if (w->conf.codec != ICETAP_PQ_UNCOMPRESSED
        && w->conf.codec != ICETAP_PQ_SNAPPY
        && w->conf.codec != ICETAP_PQ_GZIP && w->conf.codec != ICETAP_PQ_ZSTD)
    {
        icetap_error_set(err, ICETAP_UNSUPPORTED,
                         "parquet: cannot write codec %s",
                         icetap_pq_codec_name(w->conf.codec));
        icetap_free(w);
        return NULL;
    }

    if (w->conf.page_size == 0) {
        w->conf.page_size = 1024 * 1024;
    }

    if (w->conf.row_group_size == 0) {
        w->conf.row_group_size = 128 * 1024 * 1024;
    }

    if (w->conf.dict_size == 0) {
        w->conf.dict_size = 1024 * 1024;
    }

    w->ncols = s->nleaves;
    w->cols = icetap_calloc(w->ncols, sizeof(icetap_pq_wcol_t));
    w->next_sib = icetap_calloc(s->nnodes, sizeof(int));

    if (w->cols == NULL || w->next_sib == NULL) {
        goto nomem;
    }

    /* next sibling = first index after the subtree */

    for (i = s->nnodes; i-- > 0; ) {
        n = &s->nodes[i];
        j = i + 1;

        if (n->physical < 0) {
            for (int k = 0; k < n->num_children; k++) {
                j = w->next_sib[j];
            }
        }

        w->next_sib[i] = (int) j;
    }

    for (i = 0; i < w->ncols; i++) {
        c = &w->cols[i];
        n = &s->nodes[s->leaves[i]];

        c->node = s->leaves[i];
        c->physical = n->physical;
        c->max_def = n->max_def;
        c->max_rep = n->max_rep;
        c->order = icetap_pq_order(n);
        c->m_nans = (n->physical == ICETAP_PQ_PHYS_FLOAT
                     || n->physical == ICETAP_PQ_PHYS_DOUBLE) ? 0 : -1;

        switch (n->physical) {
        case ICETAP_PQ_PHYS_INT32:
        case ICETAP_PQ_PHYS_FLOAT:
            c->width = 4;
            break;
        case ICETAP_PQ_PHYS_INT64:
        case ICETAP_PQ_PHYS_DOUBLE:
            c->width = 8;
            break;
        case ICETAP_PQ_PHYS_INT96:
            c->width = 12;
            break;
        case ICETAP_PQ_PHYS_FLBA:
            c->width = n->type_length;
            break;
        default:
            c->width = 0;
        }

        if (n->max_rep > 0) {
            w->has_rep = 1;
        }

        icetap_pq_col_reset_chunk(w, c);
    }

    w->meta.schema = (icetap_pq_schema_t *) s;
    w->meta.column_orders = 1;

    w->meta.created_by = icetap_strndup(
        w->conf.created_by ? w->conf.created_by
                           : "icetap version 0.1.0 (build 0)",
        strlen(w->conf.created_by ? w->conf.created_by
                                  : "icetap version 0.1.0 (build 0)"));
    if (w->meta.created_by == NULL) {
        goto nomem;
    }

    w->conf.created_by = NULL;
    w->stack[0].node = 0;
    w->stack[0].child = 1;
    w->stack[0].count = 0;
    w->depth = 1;

    if (icetap_pq_out(w, "PAR1", 4) != ICETAP_OK) {
        icetap_pq_writer_free(w);
        return NULL;
    }

    return w;

nomem:

    icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    icetap_pq_writer_free(w);
    return NULL;
}


icetap_rc
icetap_pq_writer_kv(icetap_pq_writer_t *w, const char *key,
    const char *value)
{
    char  **kv;

    kv = icetap_realloc(w->meta.kv, (w->meta.nkv + 2) * sizeof(char *));
    if (kv == NULL) {
        return icetap_pq_fail(w, ICETAP_NOMEM, "out of memory");
    }

    w->meta.kv = kv;
    kv[w->meta.nkv] = icetap_strndup(key, strlen(key));
    kv[w->meta.nkv + 1] = value ? icetap_strndup(value, strlen(value))
                                : NULL;

    if (kv[w->meta.nkv] == NULL || (value && kv[w->meta.nkv + 1] == NULL)) {
        icetap_free(kv[w->meta.nkv]);
        icetap_free(kv[w->meta.nkv + 1]);
        return icetap_pq_fail(w, ICETAP_NOMEM, "out of memory");
    }

    w->meta.nkv += 2;

    return ICETAP_OK;
}


static void
icetap_pq_col_reset_chunk(icetap_pq_writer_t *w, icetap_pq_wcol_t *c)
{
    c->dict_mode = !w->conf.no_dictionary
                   && c->physical != ICETAP_PQ_PHYS_BOOLEAN;
    c->dict_used = 0;
    c->dict_checked = 0;
    c->dict_full = 0;
    c->dict.len = 0;
    c->ndict = 0;
    c->plain_est = 0;

    if (c->slots && c->nslots) {
        memset(c->slots, 0, c->nslots * sizeof(icetap_pq_slot_t));
    }

    c->chunk.len = 0;
    c->values = 0;
    c->nulls = 0;
    c->nans = 0;
    c->usize = 0;
    c->encodings = 0;
    c->has_minmax = 0;
    c->bmin.len = 0;
    c->bmax.len = 0;
}


/* levels and values of one leaf */


static icetap_rc
icetap_pq_levels(icetap_pq_writer_t *w, icetap_pq_wcol_t *c, int rep,
    int def)
{
    if (c->max_rep) {
        if (icetap_buf_putc(&c->repb, (uint8_t) rep) != ICETAP_OK) {
            return icetap_pq_fail(w, ICETAP_NOMEM, "out of memory");
        }
    }

    if (c->max_def) {
        if (icetap_buf_putc(&c->defb, (uint8_t) def) != ICETAP_OK) {
            return icetap_pq_fail(w, ICETAP_NOMEM, "out of memory");
        }
    }

    c->entries++;
    c->values++;

    if (def < c->max_def) {
        c->nulls++;
    }

    return ICETAP_OK;
}


static inline uint32_t
icetap_pq_hash(const uint8_t *p, size_t n)
{
    uint64_t  h, k;

    h = 0x9e3779b97f4a7c15ULL ^ (n * 0xff51afd7ed558ccdULL);

    while (n >= 8) {
        memcpy(&k, p, 8);
        h = (h ^ k) * 0xc4ceb9fe1a85ec53ULL;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }

    if (n) {
        k = 0;
        memcpy(&k, p, n);
        h = (h ^ k) * 0xc4ceb9fe1a85ec53ULL;
    }

    h ^= h >> 32;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 29;

    return (uint32_t) h;
}


static icetap_rc
icetap_pq_dict_grow(icetap_pq_writer_t *w, icetap_pq_wcol_t *c)
{
    size_t             i, ns, mask, j;
    uint32_t           h;
    uint32_t          *doff;
    icetap_pq_slot_t  *slots;

    if (c->ndict == c->cap_dict) {
        c->cap_dict = c->cap_dict ? c->cap_dict * 2 : 256;
        doff = icetap_realloc(c->doff, c->cap_dict * sizeof(uint32_t));
        if (doff == NULL) {
            return icetap_pq_fail(w, ICETAP_NOMEM, "out of memory");
        }

        c->doff = doff;
    }

    if ((c->ndict + 1) * 2 <= c->nslots) {
        return ICETAP_OK;
    }

    ns = c->nslots ? c->nslots * 2 : 1024;
    slots = icetap_calloc(ns, sizeof(icetap_pq_slot_t));
    if (slots == NULL) {
        return icetap_pq_fail(w, ICETAP_NOMEM, "out of memory");
    }

    mask = ns - 1;

    for (i = 0; i < c->nslots; i++) {
        if (c->slots[i].idx == 0) {
            continue;
        }

        h = c->slots[i].hash;

        for (j = h & mask; slots[j].idx; j = (j + 1) & mask) {
            /* void */
        }

        slots[j] = c->slots[i];
    }

    icetap_free(c->slots);
    c->slots = slots;
    c->nslots = ns;

    return ICETAP_OK;
}


static int
icetap_pq_dec_cmp(const uint8_t *a, const uint8_t *b, size_t n)
{
    if (n == 0) {
        return 0;
    }

    if ((int8_t) a[0] != (int8_t) b[0]) {
        return (int8_t) a[0] < (int8_t) b[0] ? -1 : 1;
    }

    return memcmp(a + 1, b + 1, n - 1);
}


static int
icetap_pq_bytes_cmp(const uint8_t *a, size_t alen, const uint8_t *b,
    size_t blen)
{
    int  r;

    r = alen && blen ? memcmp(a, b, icetap_min(alen, blen)) : 0;

    if (r != 0) {
        return r;
    }

    return alen < blen ? -1 : alen > blen;
}


static void
icetap_pq_stats_update(icetap_pq_wcol_t *c, const uint8_t *p, size_t n)
{
    int32_t  i32;
    int64_t  i64;
    float    f;
    double   d;

    switch (c->order) {

    case ICETAP_PQ_ORD_INT:
        if (c->width == 4) {
            memcpy(&i32, p, 4);
            i64 = i32;
        } else if (c->width == 8) {
            memcpy(&i64, p, 8);
        } else {
            i64 = p[0];
        }

        if (!c->has_minmax) {
            c->imin = c->imax = i64;
            c->has_minmax = 1;
        } else if (i64 < c->imin) {
            c->imin = i64;
        } else if (i64 > c->imax) {
            c->imax = i64;
        }

        return;

    case ICETAP_PQ_ORD_FLOAT:
    case ICETAP_PQ_ORD_DOUBLE:
        if (c->order == ICETAP_PQ_ORD_FLOAT) {
            memcpy(&f, p, 4);
            d = f;
        } else {
            memcpy(&d, p, 8);
        }

        if (isnan(d)) {
            c->nans++;
            return;
        }

        if (!c->has_minmax) {
            c->dmin = c->dmax = d;
            c->has_minmax = 1;
        } else if (d < c->dmin) {
            c->dmin = d;
        } else if (d > c->dmax) {
            c->dmax = d;
        }

        return;

    case ICETAP_PQ_ORD_BYTES:
    case ICETAP_PQ_ORD_DECIMAL:
        if (!c->has_minmax) {
            c->bmin.len = 0;
            c->bmax.len = 0;

            if (icetap_buf_append(&c->bmin, p, n) != ICETAP_OK
                || icetap_buf_append(&c->bmax, p, n) != ICETAP_OK)
            {
                return;
            }

            c->has_minmax = 1;
            return;
        }

        if (c->order == ICETAP_PQ_ORD_DECIMAL
            ? icetap_pq_dec_cmp(p, c->bmin.data, n) < 0
            : icetap_pq_bytes_cmp(p, n, c->bmin.data, c->bmin.len) < 0)
        {
            c->bmin.len = 0;

            if (icetap_buf_append(&c->bmin, p, n) != ICETAP_OK) {
                c->has_minmax = 0;
            }

        } else if (c->order == ICETAP_PQ_ORD_DECIMAL
                   ? icetap_pq_dec_cmp(p, c->bmax.data, n) > 0
                   : icetap_pq_bytes_cmp(p, n, c->bmax.data, c->bmax.len)
                     > 0)
        {
            c->bmax.len = 0;

            if (icetap_buf_append(&c->bmax, p, n) != ICETAP_OK) {
                c->has_minmax = 0;
            }
        }

        return;

    default:
        return;
    }
}


/*
 * One non-null value, given in PLAIN form without a length prefix.  In
 * dictionary mode only values new to the dictionary update the
 * statistics: the others were seen before in this chunk.
 */

static icetap_rc
icetap_pq_value(icetap_pq_writer_t *w, icetap_pq_wcol_t *c, const uint8_t *p,
    size_t n)
{
    size_t             j, mask, prefix;
    uint8_t            len[4];
    uint32_t           h, e, off;
    uint32_t          *idx;
    icetap_pq_slot_t  *s;

    prefix = c->physical == ICETAP_PQ_PHYS_BYTE_ARRAY ? 4 : 0;

    if (c->dict_mode) {
        if (c->nslots == 0 && icetap_pq_dict_grow(w, c) != ICETAP_OK) {
            return w->failed;
        }

        h = icetap_pq_hash(p, n);
        mask = c->nslots - 1;

        for (j = h & mask; ; j = (j + 1) & mask) {
            s = &c->slots[j];

            if (s->idx == 0) {
                break;
            }

            if (s->hash == h) {
                e = s->idx - 1;
                off = c->doff[e];

                if ((prefix ? icetap_pq_get32(c->dict.data + off - 4)
                            : (uint32_t) c->width) == n
                    && memcmp(c->dict.data + off, p, n) == 0)
                {
                    goto found;
                }
            }
        }

        /* a new entry */

        if (c->ndict + 1 > c->nslots / 2 || c->ndict == c->cap_dict) {
            if (icetap_pq_dict_grow(w, c) != ICETAP_OK) {
                return w->failed;
            }

            mask = c->nslots - 1;

            for (j = h & mask; c->slots[j].idx; j = (j + 1) & mask) {
                /* void */
            }

            s = &c->slots[j];
        }

        if (prefix) {
            icetap_pq_le32(len, (uint32_t) n);

            if (icetap_buf_append(&c->dict, len, 4) != ICETAP_OK) {
                return icetap_pq_fail(w, ICETAP_NOMEM, "out of memory");
            }
        }

        off = (uint32_t) c->dict.len;

        if (icetap_buf_append(&c->dict, p, n) != ICETAP_OK) {
            return icetap_pq_fail(w, ICETAP_NOMEM, "out of memory");
        }

        e = (uint32_t) c->ndict++;
        c->doff[e] = off;
        s->hash = h;
        s->idx = e + 1;

        icetap_pq_stats_update(c, p, n);

        if (c->dict.len > w->conf.dict_size) {
            c->dict_full = 1;
            w->need_flush = 1;
        }

    found:

        if (c->nidx == c->cap_idx) {
            c->cap_idx = c->cap_idx ? c->cap_idx * 2 : 1024;
            idx = icetap_realloc(c->idx, c->cap_idx * sizeof(uint32_t));
            if (idx == NULL) {
                return icetap_pq_fail(w, ICETAP_NOMEM, "out of memory");
            }

            c->idx = idx;
        }

        c->idx[c->nidx++] = e;
        c->plain_est += n + prefix;

        /* mostly distinct values: stop paying for the dictionary early */

        if (c->nidx == 4096 && !c->dict_checked && c->ndict * 4 > c->nidx * 3)
        {
            c->dict_full = 1;
            w->need_flush = 1;
        }

        if (c->nidx * 2 > w->conf.page_size) {
            w->need_flush = 1;
        }

        return ICETAP_OK;
    }

    if (icetap_buf_reserve(&c->plain, n + 4) != ICETAP_OK) {
        return icetap_pq_fail(w, ICETAP_NOMEM, "out of memory");
    }

    if (prefix) {
        icetap_pq_le32(c->plain.data + c->plain.len, (uint32_t) n);
        c->plain.len += 4;
    }

    memcpy(c->plain.data + c->plain.len, p, n);
    c->plain.len += n;

    icetap_pq_stats_update(c, p, n);

    if (c->plain.len > w->conf.page_size) {
        w->need_flush = 1;
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_pq_flush_page(icetap_pq_writer_t *w, icetap_pq_wcol_t *c)
{
    int               bw, enc;
    size_t            at, i, nvals;
    uint8_t           byte;
    icetap_buf_t     *body, *comp;
    icetap_pq_page_t  ph;

    bw = 0;
    body = &w->page;
    body->len = 0;

    if (c->max_rep) {
        at = body->len;

        if (icetap_buf_reserve(body, 4) != ICETAP_OK) {
            goto nomem;
        }

        body->len += 4;

        if (icetap_pq_rle_encode(body, c->repb.data, NULL, c->entries,
                                 icetap_pq_bit_width(c->max_rep))
            != ICETAP_OK)
        {
            goto nomem;
        }

        icetap_pq_le32(body->data + at, (uint32_t) (body->len - at - 4));
    }

    if (c->max_def) {
        at = body->len;

        if (icetap_buf_reserve(body, 4) != ICETAP_OK) {
            goto nomem;
        }

        body->len += 4;

        if (icetap_pq_rle_encode(body, c->defb.data, NULL, c->entries,
                                 icetap_pq_bit_width(c->max_def))
            != ICETAP_OK)
        {
            goto nomem;
        }

        icetap_pq_le32(body->data + at, (uint32_t) (body->len - at - 4));
    }

    if (c->dict_mode) {
        enc = ICETAP_PQ_ENC_RLE_DICTIONARY;
        bw = icetap_pq_bit_width(c->ndict ? (uint32_t) c->ndict - 1 : 0);
        bw = bw ? bw : 1;
        byte = (uint8_t) bw;

        if (icetap_buf_putc(body, byte) != ICETAP_OK
            || icetap_pq_rle_encode(body, NULL, c->idx, c->nidx, bw)
               != ICETAP_OK)
        {
            goto nomem;
        }

        c->dict_used = 1;

    } else if (c->physical == ICETAP_PQ_PHYS_BOOLEAN) {
        enc = ICETAP_PQ_ENC_PLAIN;
        nvals = c->plain.len;

        if (icetap_buf_reserve(body, (nvals + 7) / 8) != ICETAP_OK) {
            goto nomem;
        }

        memset(body->data + body->len, 0, (nvals + 7) / 8);

        for (i = 0; i < nvals; i++) {
            if (c->plain.data[i]) {
                body->data[body->len + i / 8] |= (uint8_t) (1 << (i % 8));
            }
        }

        body->len += (nvals + 7) / 8;

    } else {
        enc = ICETAP_PQ_ENC_PLAIN;

        if (icetap_buf_append(body, c->plain.data, c->plain.len)
            != ICETAP_OK)
        {
            goto nomem;
        }
    }

    if (w->conf.codec == ICETAP_PQ_UNCOMPRESSED) {
        comp = body;

    } else {
        comp = &w->cbuf;
        comp->len = 0;

        if (icetap_pq_compress(&w->codec, w->conf.codec, w->conf.level,
                               body->data, body->len, comp, w->err)
            != ICETAP_OK)
        {
            w->failed = w->err ? w->err->code : ICETAP_ERROR;
            return w->failed;
        }
    }

    if (body->len > INT32_MAX || comp->len > INT32_MAX
        || c->entries > INT32_MAX)
    {
        return icetap_pq_fail(w, ICETAP_INVALID,
                              "parquet: page larger than 2 GiB");
    }

    memset(&ph, 0, sizeof(ph));
    ph.type = ICETAP_PQ_PAGE_DATA;
    ph.usize = (int32_t) body->len;
    ph.csize = (int32_t) comp->len;
    ph.num_values = (int32_t) c->entries;
    ph.encoding = enc;

    at = c->chunk.len;

    if (icetap_pq_page_encode(&c->chunk, &ph) != ICETAP_OK
        || icetap_buf_append(&c->chunk, comp->data, comp->len) != ICETAP_OK)
    {
        goto nomem;
    }

    c->usize += (c->chunk.len - at - comp->len) + body->len;
    c->encodings |= (1u << enc) | (1u << ICETAP_PQ_ENC_RLE);

    /* fall back to PLAIN when the dictionary does not pay off */

    if (c->dict_mode) {
        if (c->dict_full
            || (!c->dict_checked && c->nidx
                && c->dict.len + c->nidx * bw / 8 >= c->plain_est))
        {
            c->dict_mode = 0;
            c->dict_full = 0;
        }

        c->dict_checked = 1;
    }

    c->repb.len = 0;
    c->defb.len = 0;
    c->entries = 0;
    c->plain.len = 0;
    c->nidx = 0;

    return ICETAP_OK;

nomem:

    return icetap_pq_fail(w, ICETAP_NOMEM, "out of memory");
}


static void
icetap_pq_put_le64(uint8_t *p, uint64_t v)
{
    int  i;

    for (i = 0; i < 8; i++) {
        p[i] = (uint8_t) (v >> (8 * i));
    }
}


static icetap_rc
icetap_pq_chunk_stats(icetap_pq_wcol_t *c, icetap_pq_chunk_t *m)
{
    uint8_t  b[8];
    int32_t  i32;
    float    f;
    double   d;
    size_t   n;

    m->null_count = c->nulls;

    if (!c->has_minmax) {
        return ICETAP_OK;
    }

    switch (c->order) {

    case ICETAP_PQ_ORD_INT:
        n = c->width ? (size_t) c->width : 1;

        if (n == 4) {
            i32 = (int32_t) c->imin;
            memcpy(b, &i32, 4);
        } else if (n == 8) {
            icetap_pq_put_le64(b, (uint64_t) c->imin);
        } else {
            b[0] = (uint8_t) c->imin;
        }

        m->min = icetap_alloc(8);
        if (m->min == NULL) {
            return ICETAP_NOMEM;
        }

        memcpy(m->min, b, n);

        if (n == 4) {
            i32 = (int32_t) c->imax;
            memcpy(b, &i32, 4);
        } else if (n == 8) {
            icetap_pq_put_le64(b, (uint64_t) c->imax);
        } else {
            b[0] = (uint8_t) c->imax;
        }

        m->max = icetap_alloc(8);
        if (m->max == NULL) {
            return ICETAP_NOMEM;
        }

        memcpy(m->max, b, n);
        m->min_len = m->max_len = (uint32_t) n;
        break;

    case ICETAP_PQ_ORD_FLOAT:
    case ICETAP_PQ_ORD_DOUBLE:
        m->min = icetap_alloc(8);
        m->max = icetap_alloc(8);
        if (m->min == NULL || m->max == NULL) {
            return ICETAP_NOMEM;
        }

        /* zeros widen to -0.0 and +0.0 as the format asks */

        d = c->dmin == 0 ? -0.0 : c->dmin;

        if (c->order == ICETAP_PQ_ORD_FLOAT) {
            f = (float) d;
            memcpy(m->min, &f, 4);
        } else {
            memcpy(m->min, &d, 8);
        }

        d = c->dmax == 0 ? 0.0 : c->dmax;

        if (c->order == ICETAP_PQ_ORD_FLOAT) {
            f = (float) d;
            memcpy(m->max, &f, 4);
        } else {
            memcpy(m->max, &d, 8);
        }

        m->min_len = m->max_len = c->order == ICETAP_PQ_ORD_FLOAT ? 4 : 8;
        break;

    case ICETAP_PQ_ORD_BYTES:
    case ICETAP_PQ_ORD_DECIMAL:
        m->min = icetap_alloc(c->bmin.len + 1);
        m->max = icetap_alloc(c->bmax.len + 1);
        if (m->min == NULL || m->max == NULL) {
            return ICETAP_NOMEM;
        }

        if (c->bmin.len) {
            memcpy(m->min, c->bmin.data, c->bmin.len);
        }

        if (c->bmax.len) {
            memcpy(m->max, c->bmax.data, c->bmax.len);
        }

        m->min_len = (uint32_t) c->bmin.len;
        m->max_len = (uint32_t) c->bmax.len;
        break;

    default:
        return ICETAP_OK;
    }

    m->has_min = 1;
    m->has_max = 1;

    return ICETAP_OK;
}


static icetap_rc
icetap_pq_write_chunk(icetap_pq_writer_t *w, icetap_pq_wcol_t *c,
    icetap_pq_chunk_t *m)
{
    size_t            hlen;
    icetap_buf_t     *comp;
    icetap_pq_page_t  ph;

    m->physical = c->physical;
    m->codec = w->conf.codec;
    m->num_values = c->values;
    m->dict_page_offset = -1;
    m->total_uncompressed = c->usize;
    m->total_compressed = (int64_t) c->chunk.len;
    m->encodings = c->encodings;

    if (c->dict_used) {
        if (w->conf.codec == ICETAP_PQ_UNCOMPRESSED) {
            comp = &c->dict;

        } else {
            comp = &w->cbuf;
            comp->len = 0;

            if (icetap_pq_compress(&w->codec, w->conf.codec, w->conf.level,
                                   c->dict.data, c->dict.len, comp, w->err)
                != ICETAP_OK)
            {
                w->failed = w->err ? w->err->code : ICETAP_ERROR;
                return w->failed;
            }
        }

        if (comp->len > INT32_MAX || c->dict.len > INT32_MAX) {
            return icetap_pq_fail(w, ICETAP_INVALID,
                                  "parquet: dictionary larger than 2 GiB");
        }

        memset(&ph, 0, sizeof(ph));
        ph.type = ICETAP_PQ_PAGE_DICT;
        ph.usize = (int32_t) c->dict.len;
        ph.csize = (int32_t) comp->len;
        ph.num_values = (int32_t) c->ndict;

        w->hdr.len = 0;

        if (icetap_pq_page_encode(&w->hdr, &ph) != ICETAP_OK) {
            return icetap_pq_fail(w, ICETAP_NOMEM, "out of memory");
        }

        hlen = w->hdr.len;
        m->dict_page_offset = (int64_t) w->offset;

        if (icetap_pq_out(w, w->hdr.data, hlen) != ICETAP_OK
            || icetap_pq_out(w, comp->data, comp->len) != ICETAP_OK)
        {
            return w->failed;
        }

        m->total_uncompressed += hlen + c->dict.len;
        m->total_compressed += hlen + comp->len;
        m->encodings |= 1u << ICETAP_PQ_ENC_PLAIN;
    }

    m->data_page_offset = (int64_t) w->offset;

    if (icetap_pq_out(w, c->chunk.data, c->chunk.len) != ICETAP_OK) {
        return w->failed;
    }

    if (icetap_pq_chunk_stats(c, m) != ICETAP_OK) {
        return icetap_pq_fail(w, ICETAP_NOMEM, "out of memory");
    }

    c->m_nans += c->m_nans >= 0 ? c->nans : 0;

    if (icetap_pq_metrics_merge(c, m) != ICETAP_OK) {
        return icetap_pq_fail(w, ICETAP_NOMEM, "out of memory");
    }

    return ICETAP_OK;
}


static int
icetap_pq_stat_cmp(int order, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen)
{
    int32_t  ia, ib;
    int64_t  la, lb;
    float    fa, fb;
    double   da, db;

    switch (order) {

    case ICETAP_PQ_ORD_INT:
        if (alen == 4 && blen == 4) {
            memcpy(&ia, a, 4);
            memcpy(&ib, b, 4);
            return ia < ib ? -1 : ia > ib;
        }

        if (alen == 8 && blen == 8) {
            memcpy(&la, a, 8);
            memcpy(&lb, b, 8);
            return la < lb ? -1 : la > lb;
        }

        return a[0] < b[0] ? -1 : a[0] > b[0];

    case ICETAP_PQ_ORD_FLOAT:
        memcpy(&fa, a, 4);
        memcpy(&fb, b, 4);
        return fa < fb ? -1 : fa > fb;

    case ICETAP_PQ_ORD_DOUBLE:
        memcpy(&da, a, 8);
        memcpy(&db, b, 8);
        return da < db ? -1 : da > db;

    case ICETAP_PQ_ORD_DECIMAL:
        if (alen == blen) {
            return icetap_pq_dec_cmp(a, b, alen);
        }

        return 0;

    default:
        return icetap_pq_bytes_cmp(a, alen, b, blen);
    }
}


static icetap_rc
icetap_pq_metrics_merge(icetap_pq_wcol_t *c, const icetap_pq_chunk_t *m)
{
    int  fixed;

    c->m_values += m->num_values;
    c->m_size += (uint64_t) m->total_compressed;

    if (m->null_count >= 0 && c->m_nulls >= 0) {
        c->m_nulls += m->null_count;
    } else {
        c->m_nulls = -1;
    }

    if (!m->has_min || !m->has_max || c->order == ICETAP_PQ_ORD_NONE) {
        if (m->num_values > (m->null_count >= 0 ? m->null_count : 0)) {
            c->m_unknown = 1;
        }

        return ICETAP_OK;
    }

    fixed = c->order != ICETAP_PQ_ORD_BYTES
            && c->order != ICETAP_PQ_ORD_DECIMAL;

    if (fixed && (m->min_len != (uint32_t) (c->width ? c->width : 1)
                  || m->max_len != m->min_len))
    {
        c->m_unknown = 1;
        return ICETAP_OK;
    }

    if (!c->m_has
        || icetap_pq_stat_cmp(c->order, m->min, m->min_len, c->m_lower.data,
                              c->m_lower.len) < 0)
    {
        c->m_lower.len = 0;

        if (icetap_buf_append(&c->m_lower, m->min, m->min_len) != ICETAP_OK)
        {
            return ICETAP_NOMEM;
        }
    }

    if (!c->m_has
        || icetap_pq_stat_cmp(c->order, m->max, m->max_len, c->m_upper.data,
                              c->m_upper.len) > 0)
    {
        c->m_upper.len = 0;

        if (icetap_buf_append(&c->m_upper, m->max, m->max_len) != ICETAP_OK)
        {
            return ICETAP_NOMEM;
        }
    }

    c->m_has = 1;

    return ICETAP_OK;
}


static icetap_rc
icetap_pq_flush_rg(icetap_pq_writer_t *w)
{
    size_t             i;
    int64_t           *offs;
    icetap_pq_rg_t    *rg;
    icetap_pq_wcol_t  *c;

    if (w->rg_rows == 0) {
        return ICETAP_OK;
    }

    for (i = 0; i < w->ncols; i++) {
        c = &w->cols[i];

        if ((c->entries > 0 || c->chunk.len == 0)
            && icetap_pq_flush_page(w, c) != ICETAP_OK)
        {
            return w->failed;
        }
    }

    if (icetap_pq_meta_add_rg(&w->meta, &rg) != ICETAP_OK) {
        return icetap_pq_fail(w, ICETAP_NOMEM, "out of memory");
    }

    offs = icetap_realloc(w->rg_offsets, w->meta.nrgs * sizeof(int64_t));
    if (offs == NULL) {
        w->meta.nrgs--;
        return icetap_pq_fail(w, ICETAP_NOMEM, "out of memory");
    }

    w->rg_offsets = offs;

    rg->chunks = icetap_calloc(w->ncols, sizeof(icetap_pq_chunk_t));
    if (rg->chunks == NULL) {
        w->meta.nrgs--;
        return icetap_pq_fail(w, ICETAP_NOMEM, "out of memory");
    }

    rg->file_offset = (int64_t) w->offset;
    rg->num_rows = w->rg_rows;
    w->rg_offsets[w->meta.nrgs - 1] = rg->file_offset;

    for (i = 0; i < w->ncols; i++) {
        c = &w->cols[i];

        if (icetap_pq_write_chunk(w, c, &rg->chunks[i]) != ICETAP_OK) {
            return w->failed;
        }

        rg->total_byte_size += rg->chunks[i].total_uncompressed;
        rg->total_compressed += rg->chunks[i].total_compressed;

        icetap_pq_col_reset_chunk(w, c);
    }

    w->meta.num_rows += w->rg_rows;
    w->rg_rows = 0;

    return ICETAP_OK;
}


icetap_rc
icetap_pq_writer_flush(icetap_pq_writer_t *w)
{
    if (w->failed) {
        return w->failed;
    }

    if (w->depth != 1 || w->stack[0].count != 0) {
        return icetap_pq_fail(w, ICETAP_INVALID,
                              "parquet: flush inside an unfinished row");
    }

    return icetap_pq_flush_rg(w);
}


static icetap_rc
icetap_pq_row_done(icetap_pq_writer_t *w)
{
    size_t             i;
    size_t             total;
    icetap_pq_wcol_t  *c;

    w->rg_rows++;
    w->rows++;

    if (w->has_rep) {
        for (i = 0; i < w->ncols; i++) {
            w->cols[i].next_rep = 0;
        }
    }

    if (w->need_flush) {
        w->need_flush = 0;

        for (i = 0; i < w->ncols; i++) {
            c = &w->cols[i];

            if (c->dict_full || c->plain.len > w->conf.page_size
                || c->nidx * 2 > w->conf.page_size)
            {
                if (icetap_pq_flush_page(w, c) != ICETAP_OK) {
                    return w->failed;
                }
            }
        }
    }

    if (w->rg_rows % ICETAP_PQ_CHECK_ROWS == 0) {
        total = 0;

        for (i = 0; i < w->ncols; i++) {
            c = &w->cols[i];
            total += c->chunk.len + c->plain.len + c->nidx * 2 + c->dict.len
                     + c->entries / 2;
        }

        if (total >= w->conf.row_group_size) {
            return icetap_pq_flush_rg(w);
        }
    }

    return ICETAP_OK;
}


/* the row API: a cursor over the schema tree */


static icetap_rc
icetap_pq_enter(icetap_pq_writer_t *w, int *field)
{
    int                      i, rep;
    icetap_pq_frame_t       *f;
    const icetap_pq_node_t  *n, *r;

    if (w->failed) {
        return w->failed;
    }

    if (w->closed) {
        return icetap_pq_fail(w, ICETAP_INVALID, "parquet: writer closed");
    }

    f = &w->stack[w->depth - 1];
    n = &w->nodes[f->node];

    if (n->type == ICETAP_PQ_LIST || n->type == ICETAP_PQ_MAP) {
        r = &w->nodes[f->node + 1];

        /* a later element continues the list at the repeated level */

        if (f->count > 0
            && (n->type == ICETAP_PQ_LIST || (f->count & 1) == 0))
        {
            rep = r->max_rep;

            for (i = r->first_leaf; i < r->end_leaf; i++) {
                w->cols[i].next_rep = rep;
            }
        }

        if (n->type == ICETAP_PQ_LIST) {
            *field = f->node + 2;

        } else {
            *field = (f->count & 1) ? w->next_sib[f->node + 2]
                                    : f->node + 2;
        }

        return ICETAP_OK;
    }

    if (f->count >= n->num_children) {
        return icetap_pq_fail(w, ICETAP_INVALID,
                              "parquet: too many values for %s \"%s\"",
                              f->node ? "struct" : "row", n->name);
    }

    *field = f->child;

    return ICETAP_OK;
}


static void
icetap_pq_advance(icetap_pq_writer_t *w)
{
    icetap_pq_frame_t  *f;

    f = &w->stack[w->depth - 1];
    f->count++;

    if (w->nodes[f->node].type == ICETAP_PQ_STRUCT || f->node == 0) {
        f->child = w->next_sib[f->child];
    }
}


static icetap_rc
icetap_pq_leaf(icetap_pq_writer_t *w, int *field, icetap_pq_wcol_t **col,
    const char *what)
{
    const icetap_pq_node_t  *n;

    if (icetap_pq_enter(w, field) != ICETAP_OK) {
        return w->failed;
    }

    n = &w->nodes[*field];

    if (n->leaf < 0) {
        return icetap_pq_fail(w, ICETAP_INVALID,
                              "parquet: field \"%s\" is a group, not %s",
                              n->name, what);
    }

    *col = &w->cols[n->leaf];

    return icetap_pq_levels(w, *col, (*col)->next_rep, n->max_def);
}


static icetap_rc
icetap_pq_subtree_nulls(icetap_pq_writer_t *w, const icetap_pq_node_t *n,
    int def)
{
    int                i;
    icetap_pq_wcol_t  *c;

    for (i = n->first_leaf; i < n->end_leaf; i++) {
        c = &w->cols[i];

        if (icetap_pq_levels(w, c, c->next_rep, def) != ICETAP_OK) {
            return w->failed;
        }
    }

    return ICETAP_OK;
}


icetap_rc
icetap_pq_null(icetap_pq_writer_t *w)
{
    int                      field;
    const icetap_pq_node_t  *n;

    if (icetap_pq_enter(w, &field) != ICETAP_OK) {
        return w->failed;
    }

    n = &w->nodes[field];

    if (n->repetition != ICETAP_PQ_OPTIONAL) {
        return icetap_pq_fail(w, ICETAP_INVALID,
                              "parquet: field \"%s\" is required, got null",
                              n->name);
    }

    if (icetap_pq_subtree_nulls(w, n, n->max_def - 1) != ICETAP_OK) {
        return w->failed;
    }

    icetap_pq_advance(w);

    return ICETAP_OK;
}


static icetap_rc
icetap_pq_type_error(icetap_pq_writer_t *w, int field, const char *what)
{
    return icetap_pq_fail(w, ICETAP_INVALID,
                          "parquet: field \"%s\" cannot take %s",
                          w->nodes[field].name, what);
}


icetap_rc
icetap_pq_bool(icetap_pq_writer_t *w, int v)
{
    int                field;
    uint8_t            b;
    icetap_pq_wcol_t  *c;

    if (icetap_pq_leaf(w, &field, &c, "a boolean") != ICETAP_OK) {
        return w->failed;
    }

    if (c->physical != ICETAP_PQ_PHYS_BOOLEAN) {
        return icetap_pq_type_error(w, field, "a boolean");
    }

    b = v ? 1 : 0;

    if (icetap_buf_putc(&c->plain, b) != ICETAP_OK) {
        return icetap_pq_fail(w, ICETAP_NOMEM, "out of memory");
    }

    icetap_pq_stats_update(c, &b, 1);

    if (c->plain.len > w->conf.page_size * 8) {
        w->need_flush = 1;
    }

    icetap_pq_advance(w);

    return ICETAP_OK;
}


/* sign-extends a big-endian two's complement value to a fixed width */

static icetap_rc
icetap_pq_decimal_bytes(icetap_pq_writer_t *w, int field, const uint8_t *p,
    size_t n, uint8_t *out, size_t width)
{
    size_t   i, skip;
    uint8_t  sign;

    sign = n && (p[0] & 0x80) ? 0xff : 0x00;

    if (n > width) {
        skip = n - width;

        for (i = 0; i < skip; i++) {
            if (p[i] != sign) {
                return icetap_pq_fail(w, ICETAP_INVALID,
                                      "parquet: decimal for \"%s\" does not "
                                      "fit %zu bytes", w->nodes[field].name,
                                      width);
            }
        }

        if (((p[skip] & 0x80) ? 0xff : 0x00) != sign) {
            return icetap_pq_fail(w, ICETAP_INVALID,
                                  "parquet: decimal for \"%s\" does not fit "
                                  "%zu bytes", w->nodes[field].name, width);
        }

        memcpy(out, p + skip, width);
        return ICETAP_OK;
    }

    memset(out, sign, width - n);
    memcpy(out + width - n, p, n);

    return ICETAP_OK;
}


icetap_rc
icetap_pq_int32(icetap_pq_writer_t *w, int32_t v)
{
    return icetap_pq_int64(w, v);
}


icetap_rc
icetap_pq_int64(icetap_pq_writer_t *w, int64_t v)
{
    int                      field, i;
    int32_t                  i32;
    uint8_t                  be[8], buf[64];
    icetap_pq_wcol_t        *c;
    const icetap_pq_node_t  *n;

    if (icetap_pq_leaf(w, &field, &c, "an integer") != ICETAP_OK) {
        return w->failed;
    }

    n = &w->nodes[field];

    switch (c->physical) {

    case ICETAP_PQ_PHYS_INT64:
        if (icetap_pq_value(w, c, (uint8_t *) &v, 8) != ICETAP_OK) {
            return w->failed;
        }
        break;

    case ICETAP_PQ_PHYS_INT32:
        if (v < INT32_MIN || v > INT32_MAX) {
            return icetap_pq_fail(w, ICETAP_INVALID,
                                  "parquet: value %lld out of range for "
                                  "\"%s\"", (long long) v, n->name);
        }

        i32 = (int32_t) v;

        if (icetap_pq_value(w, c, (uint8_t *) &i32, 4) != ICETAP_OK) {
            return w->failed;
        }
        break;

    case ICETAP_PQ_PHYS_FLBA:
        if (n->type != ICETAP_PQ_DECIMAL || c->width > (int) sizeof(buf)) {
            return icetap_pq_type_error(w, field, "an integer");
        }

        for (i = 0; i < 8; i++) {
            be[i] = (uint8_t) ((uint64_t) v >> (56 - 8 * i));
        }

        if (icetap_pq_decimal_bytes(w, field, be, 8, buf, c->width)
            != ICETAP_OK
            || icetap_pq_value(w, c, buf, c->width) != ICETAP_OK)
        {
            return w->failed;
        }
        break;

    default:
        return icetap_pq_type_error(w, field, "an integer");
    }

    icetap_pq_advance(w);

    return ICETAP_OK;
}


icetap_rc
icetap_pq_float(icetap_pq_writer_t *w, float v)
{
    int                field;
    double             d;
    icetap_pq_wcol_t  *c;

    if (icetap_pq_leaf(w, &field, &c, "a float") != ICETAP_OK) {
        return w->failed;
    }

    if (c->physical == ICETAP_PQ_PHYS_DOUBLE) {
        d = v;

        if (icetap_pq_value(w, c, (uint8_t *) &d, 8) != ICETAP_OK) {
            return w->failed;
        }

    } else if (c->physical == ICETAP_PQ_PHYS_FLOAT) {
        if (icetap_pq_value(w, c, (uint8_t *) &v, 4) != ICETAP_OK) {
            return w->failed;
        }

    } else {
        return icetap_pq_type_error(w, field, "a float");
    }

    icetap_pq_advance(w);

    return ICETAP_OK;
}


icetap_rc
icetap_pq_double(icetap_pq_writer_t *w, double v)
{
    int                field;
    icetap_pq_wcol_t  *c;

    if (icetap_pq_leaf(w, &field, &c, "a double") != ICETAP_OK) {
        return w->failed;
    }

    if (c->physical != ICETAP_PQ_PHYS_DOUBLE) {
        return icetap_pq_type_error(w, field, "a double");
    }

    if (icetap_pq_value(w, c, (uint8_t *) &v, 8) != ICETAP_OK) {
        return w->failed;
    }

    icetap_pq_advance(w);

    return ICETAP_OK;
}


icetap_rc
icetap_pq_bytes(icetap_pq_writer_t *w, const void *p, size_t n)
{
    int                      field;
    size_t                   i;
    int32_t                  i32;
    int64_t                  i64;
    uint64_t                 u;
    uint8_t                  buf[64];
    icetap_pq_wcol_t        *c;
    const icetap_pq_node_t  *node;

    if (icetap_pq_leaf(w, &field, &c, "bytes") != ICETAP_OK) {
        return w->failed;
    }

    node = &w->nodes[field];

    switch (c->physical) {

    case ICETAP_PQ_PHYS_BYTE_ARRAY:
        if (n > INT32_MAX) {
            return icetap_pq_fail(w, ICETAP_INVALID,
                                  "parquet: value for \"%s\" over 2 GiB",
                                  node->name);
        }

        if (icetap_pq_value(w, c, p, n) != ICETAP_OK) {
            return w->failed;
        }
        break;

    case ICETAP_PQ_PHYS_FLBA:
        if (node->type == ICETAP_PQ_DECIMAL
            && c->width <= (int) sizeof(buf))
        {
            if (icetap_pq_decimal_bytes(w, field, p, n, buf, c->width)
                != ICETAP_OK
                || icetap_pq_value(w, c, buf, c->width) != ICETAP_OK)
            {
                return w->failed;
            }

            break;
        }

        if (n != (size_t) c->width) {
            return icetap_pq_fail(w, ICETAP_INVALID,
                                  "parquet: field \"%s\" takes %d bytes, "
                                  "got %zu", node->name, c->width, n);
        }

        if (icetap_pq_value(w, c, p, n) != ICETAP_OK) {
            return w->failed;
        }
        break;

    case ICETAP_PQ_PHYS_INT32:
    case ICETAP_PQ_PHYS_INT64:
        if (node->type == ICETAP_PQ_DECIMAL && n > 0) {
            if (icetap_pq_decimal_bytes(w, field, p, n, buf, 8)
                != ICETAP_OK)
            {
                return w->failed;
            }

            u = 0;

            for (i = 0; i < 8; i++) {
                u = (u << 8) | buf[i];
            }

            i64 = (int64_t) u;

            if (c->physical == ICETAP_PQ_PHYS_INT64) {
                if (icetap_pq_value(w, c, (uint8_t *) &i64, 8) != ICETAP_OK)
                {
                    return w->failed;
                }

                break;
            }

            if (i64 < INT32_MIN || i64 > INT32_MAX) {
                return icetap_pq_fail(w, ICETAP_INVALID,
                                      "parquet: decimal out of range for "
                                      "\"%s\"", node->name);
            }

            i32 = (int32_t) i64;

            if (icetap_pq_value(w, c, (uint8_t *) &i32, 4) != ICETAP_OK) {
                return w->failed;
            }

            break;
        }

        /* fall through */

    default:
        return icetap_pq_type_error(w, field, "bytes");
    }

    icetap_pq_advance(w);

    return ICETAP_OK;
}


icetap_rc
icetap_pq_str(icetap_pq_writer_t *w, const char *s)
{
    return icetap_pq_bytes(w, s, strlen(s));
}


icetap_rc
icetap_pq_begin(icetap_pq_writer_t *w)
{
    int                      field;
    const icetap_pq_node_t  *n, *r;

    if (icetap_pq_enter(w, &field) != ICETAP_OK) {
        return w->failed;
    }

    n = &w->nodes[field];

    if (n->leaf >= 0) {
        return icetap_pq_fail(w, ICETAP_INVALID,
                              "parquet: field \"%s\" is not a struct, list "
                              "or map", n->name);
    }

    if (n->type == ICETAP_PQ_LIST || n->type == ICETAP_PQ_MAP) {
        r = &w->nodes[field + 1];

        if (r->repetition != ICETAP_PQ_REPEATED || r->leaf >= 0
            || r->num_children != (n->type == ICETAP_PQ_LIST ? 1 : 2))
        {
            return icetap_pq_fail(w, ICETAP_UNSUPPORTED,
                                  "parquet: %s \"%s\" is not in the "
                                  "3-level form", n->type == ICETAP_PQ_LIST
                                  ? "list" : "map", n->name);
        }
    }

    if (w->depth >= ICETAP_PQ_MAX_LEVEL + 1) {
        return icetap_pq_fail(w, ICETAP_INVALID,
                              "parquet: values nested too deeply");
    }

    w->stack[w->depth].node = field;
    w->stack[w->depth].child = field + 1;
    w->stack[w->depth].count = 0;
    w->depth++;

    return ICETAP_OK;
}


icetap_rc
icetap_pq_end(icetap_pq_writer_t *w)
{
    icetap_pq_frame_t       *f;
    const icetap_pq_node_t  *n;

    if (w->failed) {
        return w->failed;
    }

    if (w->depth <= 1) {
        return icetap_pq_fail(w, ICETAP_INVALID,
                              "parquet: end without begin");
    }

    f = &w->stack[w->depth - 1];
    n = &w->nodes[f->node];

    if (n->type == ICETAP_PQ_LIST || n->type == ICETAP_PQ_MAP) {
        if (n->type == ICETAP_PQ_MAP && (f->count & 1)) {
            return icetap_pq_fail(w, ICETAP_INVALID,
                                  "parquet: map \"%s\" has a key without "
                                  "a value", n->name);
        }

        /* an empty list or map is one entry at the group's level */

        if (f->count == 0
            && icetap_pq_subtree_nulls(w, n, n->max_def) != ICETAP_OK)
        {
            return w->failed;
        }

    } else if (f->count != n->num_children) {
        return icetap_pq_fail(w, ICETAP_INVALID,
                              "parquet: struct \"%s\" got %d of %d fields",
                              n->name, f->count, n->num_children);
    }

    w->depth--;
    icetap_pq_advance(w);

    return ICETAP_OK;
}


icetap_rc
icetap_pq_end_row(icetap_pq_writer_t *w)
{
    if (w->failed) {
        return w->failed;
    }

    if (w->depth != 1 || w->stack[0].count != w->nodes[0].num_children) {
        return icetap_pq_fail(w, ICETAP_INVALID,
                              "parquet: row ended with %d of %d columns%s",
                              w->stack[0].count, w->nodes[0].num_children,
                              w->depth != 1 ? " inside a group" : "");
    }

    w->stack[0].count = 0;
    w->stack[0].child = 1;

    return icetap_pq_row_done(w);
}


/* column-level writing */


icetap_rc
icetap_pq_writer_columns(icetap_pq_writer_t *w, const icetap_pq_column_t *cols,
    size_t ncols, int64_t nrows)
{
    int                      def, rep, width;
    size_t                   i, e, v;
    int64_t                  rows;
    const uint8_t           *p;
    icetap_pq_wcol_t        *c;
    const icetap_pq_column_t *in;
    const icetap_pq_node_t  *n;

    if (icetap_pq_writer_flush(w) != ICETAP_OK) {
        return w->failed;
    }

    if (ncols != w->ncols) {
        return icetap_pq_fail(w, ICETAP_INVALID,
                              "parquet: %zu columns for a schema of %zu",
                              ncols, w->ncols);
    }

    for (i = 0; i < ncols; i++) {
        in = &cols[i];
        c = &w->cols[i];
        n = &w->nodes[c->node];
        width = c->width;

        if (in->physical != c->physical
            || (c->max_rep && in->rep == NULL && in->num_entries)
            || (c->max_def && in->def == NULL && in->num_entries))
        {
            return icetap_pq_fail(w, ICETAP_INVALID,
                                  "parquet: column %zu (\"%s\") does not "
                                  "match the schema", i, n->name);
        }

        rows = 0;
        v = 0;

        for (e = 0; e < in->num_entries; e++) {
            rep = c->max_rep ? in->rep[e] : 0;
            def = c->max_def ? in->def[e] : 0;

            if (rep > c->max_rep || def > c->max_def) {
                return icetap_pq_fail(w, ICETAP_INVALID,
                                      "parquet: column \"%s\" has a level "
                                      "above its maximum", n->name);
            }

            if (rep == 0) {
                rows++;

                if (w->need_flush && e > 0) {
                    w->need_flush = 0;

                    if ((c->dict_full || c->plain.len > w->conf.page_size
                         || c->nidx * 2 > w->conf.page_size)
                        && icetap_pq_flush_page(w, c) != ICETAP_OK)
                    {
                        return w->failed;
                    }
                }
            }

            if (icetap_pq_levels(w, c, rep, def) != ICETAP_OK) {
                return w->failed;
            }

            if (def < c->max_def) {
                continue;
            }

            if (v >= in->num_values) {
                return icetap_pq_fail(w, ICETAP_INVALID,
                                      "parquet: column \"%s\" has fewer "
                                      "values than levels", n->name);
            }

            switch (c->physical) {

            case ICETAP_PQ_PHYS_BOOLEAN:
                if (icetap_buf_putc(&c->plain,
                                    ((uint8_t *) in->values)[v] ? 1 : 0)
                    != ICETAP_OK)
                {
                    return icetap_pq_fail(w, ICETAP_NOMEM, "out of memory");
                }

                icetap_pq_stats_update(c, &c->plain.data[c->plain.len - 1],
                                       1);
                if (c->plain.len > w->conf.page_size * 8) {
                    w->need_flush = 1;
                }
                break;

            case ICETAP_PQ_PHYS_BYTE_ARRAY:
            case ICETAP_PQ_PHYS_FLBA:
            case ICETAP_PQ_PHYS_INT96:
                p = in->data + in->offsets[v];

                if (icetap_pq_value(w, c, p,
                                    in->offsets[v + 1] - in->offsets[v])
                    != ICETAP_OK)
                {
                    return w->failed;
                }
                break;

            default:
                p = (const uint8_t *) in->values + v * width;

                if (icetap_pq_value(w, c, p, width) != ICETAP_OK) {
                    return w->failed;
                }
            }

            v++;
        }

        if (rows != nrows) {
            return icetap_pq_fail(w, ICETAP_INVALID,
                                  "parquet: column \"%s\" holds %lld rows, "
                                  "expected %lld", n->name, (long long) rows,
                                  (long long) nrows);
        }
    }

    w->rg_rows = nrows;
    w->rows += nrows;

    return icetap_pq_flush_rg(w);
}


icetap_rc
icetap_pq_writer_close(icetap_pq_writer_t *w)
{
    uint8_t       tail[8];
    icetap_buf_t  foot;

    if (w->failed) {
        return w->failed;
    }

    if (w->closed) {
        return ICETAP_OK;
    }

    if (icetap_pq_writer_flush(w) != ICETAP_OK) {
        return w->failed;
    }

    memset(&foot, 0, sizeof(foot));

    if (icetap_pq_meta_encode(&w->meta, &foot) != ICETAP_OK) {
        icetap_buf_free(&foot);
        return icetap_pq_fail(w, ICETAP_NOMEM, "out of memory");
    }

    icetap_pq_le32(tail, (uint32_t) foot.len);
    memcpy(tail + 4, "PAR1", 4);

    if (icetap_pq_out(w, foot.data, foot.len) != ICETAP_OK
        || icetap_pq_out(w, tail, 8) != ICETAP_OK)
    {
        icetap_buf_free(&foot);
        return w->failed;
    }

    icetap_buf_free(&foot);
    w->closed = 1;

    return ICETAP_OK;
}


void
icetap_pq_writer_free(icetap_pq_writer_t *w)
{
    size_t             i;
    icetap_pq_wcol_t  *c;

    if (w == NULL) {
        return;
    }

    for (i = 0; w->cols && i < w->ncols; i++) {
        c = &w->cols[i];
        icetap_buf_free(&c->repb);
        icetap_buf_free(&c->defb);
        icetap_buf_free(&c->plain);
        icetap_buf_free(&c->dict);
        icetap_buf_free(&c->chunk);
        icetap_buf_free(&c->bmin);
        icetap_buf_free(&c->bmax);
        icetap_buf_free(&c->m_lower);
        icetap_buf_free(&c->m_upper);
        icetap_buf_free(&c->ice_lower);
        icetap_buf_free(&c->ice_upper);
        icetap_free(c->idx);
        icetap_free(c->doff);
        icetap_free(c->slots);
    }

    icetap_pq_meta_free(&w->meta);
    icetap_pq_codec_free(&w->codec);
    icetap_buf_free(&w->page);
    icetap_buf_free(&w->cbuf);
    icetap_buf_free(&w->hdr);
    icetap_free(w->cols);
    icetap_free(w->next_sib);
    icetap_free(w->rg_offsets);
    icetap_free(w);
}


int64_t
icetap_pq_writer_rows(const icetap_pq_writer_t *w)
{
    return w->rows;
}


uint64_t
icetap_pq_writer_size(const icetap_pq_writer_t *w)
{
    return w->offset;
}


size_t
icetap_pq_writer_row_groups(const icetap_pq_writer_t *w,
    const int64_t **offsets)
{
    *offsets = w->rg_offsets;
    return w->meta.nrgs;
}


/* Iceberg single-value form: decimals become minimal big-endian */

static icetap_rc
icetap_pq_ice_bound(const icetap_pq_wcol_t *c, const icetap_pq_node_t *n,
    const icetap_buf_t *stat, icetap_buf_t *out)
{
    int       i, len;
    int64_t   v;
    int32_t   v32;
    uint8_t   be[64];
    size_t    skip;

    out->len = 0;

    if (n->type != ICETAP_PQ_DECIMAL) {
        return icetap_buf_append(out, stat->data, stat->len);
    }

    if (c->physical == ICETAP_PQ_PHYS_INT32
        || c->physical == ICETAP_PQ_PHYS_INT64)
    {
        if (c->physical == ICETAP_PQ_PHYS_INT32) {
            memcpy(&v32, stat->data, 4);
            v = v32;
        } else {
            memcpy(&v, stat->data, 8);
        }

        for (i = 0; i < 8; i++) {
            be[i] = (uint8_t) ((uint64_t) v >> (56 - 8 * i));
        }

        len = 8;

    } else {
        len = (int) icetap_min(stat->len, sizeof(be));
        memcpy(be, stat->data, len);
    }

    for (skip = 0; skip + 1 < (size_t) len; skip++) {
        if (!((be[skip] == 0x00 && !(be[skip + 1] & 0x80))
              || (be[skip] == 0xff && (be[skip + 1] & 0x80))))
        {
            break;
        }
    }

    return icetap_buf_append(out, be + skip, len - skip);
}


icetap_rc
icetap_pq_writer_metrics(icetap_pq_writer_t *w, int leaf,
    icetap_pq_metrics_t *m)
{
    int                      i;
    icetap_pq_wcol_t        *c;
    const icetap_pq_node_t  *n;

    if (leaf < 0 || (size_t) leaf >= w->ncols) {
        return icetap_error_set(w->err, ICETAP_INVALID,
                                "parquet: no leaf column %d", leaf);
    }

    c = &w->cols[leaf];
    n = &w->nodes[c->node];

    memset(m, 0, sizeof(*m));
    m->field_id = n->field_id;
    m->leaf = leaf;
    m->column_size = c->m_size;
    m->value_count = c->m_values;
    m->null_count = c->m_nulls;
    m->nan_count = c->m_nans;

    for (i = n->parent; i > 0; i = w->nodes[i].parent) {
        if (w->nodes[i].repetition == ICETAP_PQ_REPEATED) {
            m->in_repeated = 1;
        }
    }

    if (c->m_has && !c->m_unknown) {
        if (icetap_pq_ice_bound(c, n, &c->m_lower, &c->ice_lower)
            != ICETAP_OK
            || icetap_pq_ice_bound(c, n, &c->m_upper, &c->ice_upper)
               != ICETAP_OK)
        {
            return icetap_error_set(w->err, ICETAP_NOMEM, "out of memory");
        }

        m->has_bounds = 1;
        m->lower = c->ice_lower.data;
        m->lower_len = c->ice_lower.len;
        m->upper = c->ice_upper.data;
        m->upper_len = c->ice_upper.len;
    }

    return ICETAP_OK;
}


/* the row-group copy path */


icetap_rc
icetap_pq_writer_append_raw(icetap_pq_writer_t *w, icetap_pq_read_pt read,
    void *ctx, const icetap_pq_meta_t *src, uint64_t limit)
{
    char               why[128];
    size_t             i, j, n;
    int64_t            start, end, cs, delta, *offs;
    uint64_t           pos;
    icetap_pq_rg_t    *rg;
    icetap_pq_wcol_t  *c;
    icetap_pq_chunk_t *sc, *dc;
    const icetap_pq_rg_t *srg;

    if (icetap_pq_writer_flush(w) != ICETAP_OK) {
        return w->failed;
    }

    if (!icetap_pq_schema_equal(w->schema, src->schema, why, sizeof(why))) {
        return icetap_pq_fail(w, ICETAP_INVALID,
                              "parquet: cannot append row groups of another "
                              "schema: %s", why);
    }

    for (i = 0; i < src->nrgs; i++) {
        srg = &src->rgs[i];
        start = INT64_MAX;
        end = 0;

        for (j = 0; j < w->ncols; j++) {
            sc = &srg->chunks[j];
            cs = sc->dict_page_offset >= 0
                 && sc->dict_page_offset < sc->data_page_offset
                 ? sc->dict_page_offset : sc->data_page_offset;
            start = icetap_min(start, cs);

            if (sc->total_compressed > INT64_MAX - cs) {
                return icetap_pq_fail(w, ICETAP_INVALID,
                                      "parquet: bad column chunk size");
            }

            end = icetap_max(end, cs + sc->total_compressed);
        }

        if (start < 4 || end > (int64_t) limit || start >= end) {
            return icetap_pq_fail(w, ICETAP_INVALID,
                                  "parquet: row group %zu lies outside the "
                                  "file", i);
        }

        delta = (int64_t) w->offset - start;

        /* copy the bytes in bounded pieces */

        for (pos = (uint64_t) start; pos < (uint64_t) end; pos += n) {
            n = icetap_min((uint64_t) end - pos, 1024 * 1024);

            if (icetap_buf_reserve(&w->cbuf, n) != ICETAP_OK) {
                return icetap_pq_fail(w, ICETAP_NOMEM, "out of memory");
            }

            if (read(ctx, pos, w->cbuf.data, n, w->err) != ICETAP_OK) {
                w->failed = w->err ? w->err->code : ICETAP_IO;
                return w->failed;
            }

            if (icetap_pq_out(w, w->cbuf.data, n) != ICETAP_OK) {
                return w->failed;
            }
        }

        if (icetap_pq_meta_add_rg(&w->meta, &rg) != ICETAP_OK) {
            return icetap_pq_fail(w, ICETAP_NOMEM, "out of memory");
        }

        offs = icetap_realloc(w->rg_offsets, w->meta.nrgs * sizeof(int64_t));
        rg->chunks = icetap_calloc(w->ncols, sizeof(icetap_pq_chunk_t));

        if (offs) {
            w->rg_offsets = offs;
        }

        if (offs == NULL || rg->chunks == NULL) {
            icetap_free(rg->chunks);
            w->meta.nrgs--;
            return icetap_pq_fail(w, ICETAP_NOMEM, "out of memory");
        }

        rg->num_rows = srg->num_rows;
        rg->total_byte_size = srg->total_byte_size;
        rg->total_compressed = end - start;
        rg->file_offset = start + delta;
        w->rg_offsets[w->meta.nrgs - 1] = rg->file_offset;

        for (j = 0; j < w->ncols; j++) {
            sc = &srg->chunks[j];
            dc = &rg->chunks[j];
            *dc = *sc;
            dc->min = NULL;
            dc->max = NULL;
            dc->data_page_offset += delta;

            if (dc->dict_page_offset >= 0) {
                dc->dict_page_offset += delta;
            }

            if (sc->has_min) {
                dc->min = icetap_alloc(sc->min_len + 1);
                if (dc->min == NULL) {
                    return icetap_pq_fail(w, ICETAP_NOMEM, "out of memory");
                }
                memcpy(dc->min, sc->min, sc->min_len);
            }

            if (sc->has_max) {
                dc->max = icetap_alloc(sc->max_len + 1);
                if (dc->max == NULL) {
                    return icetap_pq_fail(w, ICETAP_NOMEM, "out of memory");
                }
                memcpy(dc->max, sc->max, sc->max_len);
            }

            c = &w->cols[j];

            /* NaN counts of foreign chunks are unknown */
            if (c->m_nans >= 0) {
                c->m_nans = -1;
            }

            if (icetap_pq_metrics_merge(c, dc) != ICETAP_OK) {
                return icetap_pq_fail(w, ICETAP_NOMEM, "out of memory");
            }
        }

        w->meta.num_rows += srg->num_rows;
        w->rows += srg->num_rows;
    }

    return ICETAP_OK;
}
