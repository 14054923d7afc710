/*
 * Copyright (C) icetap authors
 *
 * Table helpers: a string hash map, owned copies of data files and
 * manifest-list items, store I/O by table path, Parquet and Puffin
 * readers over store objects.
 */


#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <icetap/puffin.h>

#include "icetap_table_int.h"


/* hash map */

static uint64_t
icetap_tmap_hash(const char *s)
{
    uint64_t  h;

    h = 14695981039346656037ULL;

    while (*s) {
        h ^= (uint8_t) *s++;
        h *= 1099511628211ULL;
    }

    return h;
}


void *
icetap_tmap_get(const icetap_tmap_t *m, const char *key)
{
    size_t  i;

    if (m->cap == 0) {
        return NULL;
    }

    i = icetap_tmap_hash(key) & (m->cap - 1);

    while (m->slots[i].key != NULL) {
        if (strcmp(m->slots[i].key, key) == 0) {
            return m->slots[i].value;
        }

        i = (i + 1) & (m->cap - 1);
    }

    return NULL;
}


static icetap_rc
icetap_tmap_grow(icetap_tmap_t *m)
{
    size_t               cap, i, j;
    icetap_tmap_slot_t  *slots;

    cap = m->cap ? m->cap * 2 : 64;

    slots = icetap_calloc(cap, sizeof(icetap_tmap_slot_t));
    if (slots == NULL) {
        return ICETAP_NOMEM;
    }

    for (i = 0; i < m->cap; i++) {
        if (m->slots[i].key == NULL) {
            continue;
        }

        j = icetap_tmap_hash(m->slots[i].key) & (cap - 1);

        while (slots[j].key != NULL) {
            j = (j + 1) & (cap - 1);
        }

        slots[j] = m->slots[i];
    }

    icetap_free(m->slots);
    m->slots = slots;
    m->cap = cap;

    return ICETAP_OK;
}


icetap_rc
icetap_tmap_put(icetap_tmap_t *m, const char *key, void *value)
{
    size_t  i;

    if ((m->n + 1) * 2 > m->cap && icetap_tmap_grow(m) != ICETAP_OK) {
        return ICETAP_NOMEM;
    }

    i = icetap_tmap_hash(key) & (m->cap - 1);

    while (m->slots[i].key != NULL) {
        if (strcmp(m->slots[i].key, key) == 0) {
            m->slots[i].value = value;
            return ICETAP_OK;
        }

        i = (i + 1) & (m->cap - 1);
    }

    m->slots[i].key = icetap_strndup(key, strlen(key));
    if (m->slots[i].key == NULL) {
        return ICETAP_NOMEM;
    }

    m->slots[i].value = value;
    m->n++;

    return ICETAP_OK;
}


void
icetap_tmap_free(icetap_tmap_t *m, void (*free_value)(void *))
{
    size_t  i;

    for (i = 0; i < m->cap; i++) {
        if (m->slots[i].key != NULL) {
            icetap_free(m->slots[i].key);
            if (free_value) {
                free_value(m->slots[i].value);
            }
        }
    }

    icetap_free(m->slots);
    memset(m, 0, sizeof(icetap_tmap_t));
}


/* owned data files: every array and string in one block */

#define icetap_align8(n)  (((n) + 7) & ~(size_t) 7)


static int
icetap_value_has_bin(const icetap_value_t *v)
{
    if (v->is_null) {
        return 0;
    }

    switch (v->type) {
    case ICETAP_TYPE_STRING:
    case ICETAP_TYPE_BINARY:
    case ICETAP_TYPE_FIXED:
    case ICETAP_TYPE_GEOMETRY:
    case ICETAP_TYPE_GEOGRAPHY:
        return 1;
    default:
        return 0;
    }
}


typedef struct {
    uint8_t  *p;
    size_t    need;
} icetap_bump_t;


static void *
icetap_bump(icetap_bump_t *b, const void *src, size_t len)
{
    void  *r;

    if (b->p == NULL) {
        b->need += icetap_align8(len + 1);
        return NULL;
    }

    r = b->p;
    if (src && len) {
        memcpy(r, src, len);
    }

    b->p[len] = '\0';
    b->p += icetap_align8(len + 1);

    return r;
}


static void
icetap_df_layout(icetap_bump_t *b, icetap_data_file_t *d,
    const icetap_data_file_t *f)
{
    size_t           i;
    icetap_bound_t  *bd;
    icetap_value_t  *pv;

    d->file_path = icetap_bump(b, f->file_path, strlen(f->file_path));
    d->file_format = icetap_bump(b, f->file_format, strlen(f->file_format));

    pv = icetap_bump(b, f->partition,
                     f->npartition * sizeof(icetap_value_t));
    d->partition = pv;

    for (i = 0; i < f->npartition; i++) {
        if (icetap_value_has_bin(&f->partition[i])) {
            const uint8_t  *data;

            data = icetap_bump(b, f->partition[i].v.bin.data,
                               f->partition[i].v.bin.len);
            if (pv) {
                pv[i].v.bin.data = data;
            }
        }
    }

#define icetap_df_arr(field, n, type)                                        \
    d->field = f->field ? icetap_bump(b, f->field, (n) * sizeof(type)) : NULL

    icetap_df_arr(column_sizes, f->ncolumn_sizes, icetap_metric_t);
    icetap_df_arr(value_counts, f->nvalue_counts, icetap_metric_t);
    icetap_df_arr(null_value_counts, f->nnull_value_counts, icetap_metric_t);
    icetap_df_arr(nan_value_counts, f->nnan_value_counts, icetap_metric_t);
    icetap_df_arr(split_offsets, f->nsplit_offsets, int64_t);
    icetap_df_arr(equality_ids, f->nequality_ids, int32_t);

    d->key_metadata = f->key_metadata
                      ? icetap_bump(b, f->key_metadata, f->key_metadata_len)
                      : NULL;
    d->referenced_data_file = f->referenced_data_file
                              ? icetap_bump(b, f->referenced_data_file,
                                            strlen(f->referenced_data_file))
                              : NULL;

    bd = f->lower_bounds ? icetap_bump(b, f->lower_bounds,
                                       f->nlower_bounds
                                       * sizeof(icetap_bound_t))
                         : NULL;
    d->lower_bounds = bd;

    for (i = 0; f->lower_bounds && i < f->nlower_bounds; i++) {
        const uint8_t  *data;

        data = icetap_bump(b, f->lower_bounds[i].data,
                           f->lower_bounds[i].len);
        if (bd) {
            bd[i].data = data;
        }
    }

    bd = f->upper_bounds ? icetap_bump(b, f->upper_bounds,
                                       f->nupper_bounds
                                       * sizeof(icetap_bound_t))
                         : NULL;
    d->upper_bounds = bd;

    for (i = 0; f->upper_bounds && i < f->nupper_bounds; i++) {
        const uint8_t  *data;

        data = icetap_bump(b, f->upper_bounds[i].data,
                           f->upper_bounds[i].len);
        if (bd) {
            bd[i].data = data;
        }
    }
}


icetap_table_df_t *
icetap_table_df_copy(const icetap_data_file_t *f, int32_t spec_id)
{
    icetap_bump_t       b;
    icetap_table_df_t  *df;

    df = icetap_calloc(1, sizeof(icetap_table_df_t));
    if (df == NULL) {
        return NULL;
    }

    df->f = *f;
    df->spec_id = spec_id;

    b.p = NULL;
    b.need = 0;
    icetap_df_layout(&b, &df->f, f);

    df->mem = icetap_alloc(b.need + 8);
    if (df->mem == NULL) {
        icetap_free(df);
        return NULL;
    }

    df->f = *f;
    b.p = df->mem;
    icetap_df_layout(&b, &df->f, f);

    return df;
}


const icetap_data_file_t *
icetap_table_df(const icetap_table_df_t *df)
{
    return &df->f;
}


void
icetap_table_df_free(icetap_table_df_t *df)
{
    if (df) {
        icetap_free(df->mem);
        icetap_free(df);
    }
}


/* manifest-list items */

icetap_rc
icetap_table_mf_copy(icetap_table_mf_t *dst,
    const icetap_manifest_file_t *src)
{
    size_t                   i, need;
    uint8_t                 *p;
    icetap_field_summary_t  *ps;

    need = icetap_align8(strlen(src->manifest_path) + 1)
           + icetap_align8(src->key_metadata_len + 1)
           + src->npartitions * sizeof(icetap_field_summary_t);

    for (i = 0; src->partitions && i < src->npartitions; i++) {
        need += icetap_align8(src->partitions[i].lower_len + 1)
                + icetap_align8(src->partitions[i].upper_len + 1);
    }

    dst->mf = *src;
    dst->mem = icetap_alloc(need + 8);
    if (dst->mem == NULL) {
        return ICETAP_NOMEM;
    }

    p = dst->mem;
    ps = NULL;

    if (src->partitions) {
        ps = (icetap_field_summary_t *) p;
        memcpy(ps, src->partitions,
               src->npartitions * sizeof(icetap_field_summary_t));
        p += src->npartitions * sizeof(icetap_field_summary_t);
    }

    memcpy(p, src->manifest_path, strlen(src->manifest_path) + 1);
    dst->mf.manifest_path = (char *) p;
    p += icetap_align8(strlen(src->manifest_path) + 1);

    if (src->key_metadata) {
        memcpy(p, src->key_metadata, src->key_metadata_len);
        dst->mf.key_metadata = p;
        p += icetap_align8(src->key_metadata_len + 1);
    }

    for (i = 0; ps && i < src->npartitions; i++) {
        if (ps[i].lower) {
            memcpy(p, ps[i].lower, ps[i].lower_len);
            ps[i].lower = p;
            p += icetap_align8(ps[i].lower_len + 1);
        }

        if (ps[i].upper) {
            memcpy(p, ps[i].upper, ps[i].upper_len);
            ps[i].upper = p;
            p += icetap_align8(ps[i].upper_len + 1);
        }
    }

    dst->mf.partitions = ps;

    return ICETAP_OK;
}


void
icetap_table_mf_clear(icetap_table_mf_t *m)
{
    icetap_free(m->mem);
    m->mem = NULL;
}


void
icetap_table_mfs_free(icetap_table_mf_t *mfs, size_t n)
{
    size_t  i;

    for (i = 0; mfs && i < n; i++) {
        icetap_table_mf_clear(&mfs[i]);
    }

    icetap_free(mfs);
}


icetap_rc
icetap_table_read_list(icetap_table_t *t, const icetap_snapshot_t *snap,
    icetap_table_mf_t **mfs, size_t *n, icetap_error_t *err)
{
    size_t                          cap;
    icetap_rc                       rc;
    icetap_buf_t                    buf;
    icetap_table_mf_t              *a, *na;
    icetap_manifest_file_t          mf;
    icetap_manifest_list_reader_t  *r;

    *mfs = NULL;
    *n = 0;

    if (snap == NULL) {
        return ICETAP_OK;
    }

    memset(&buf, 0, sizeof(buf));

    rc = icetap_table_get(t, snap->manifest_list, &buf, err);
    if (rc != ICETAP_OK) {
        icetap_buf_free(&buf);
        return rc;
    }

    rc = icetap_manifest_list_reader_create_mem(buf.data, buf.len, &r, err);
    if (rc != ICETAP_OK) {
        icetap_buf_free(&buf);
        return rc;
    }

    a = NULL;
    cap = 0;

    for ( ;; ) {
        rc = icetap_manifest_list_reader_next(r, &mf, err);
        if (rc == ICETAP_EOF) {
            rc = ICETAP_OK;
            break;
        }

        if (rc != ICETAP_OK) {
            break;
        }

        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            na = icetap_realloc(a, cap * sizeof(icetap_table_mf_t));
            if (na == NULL) {
                rc = icetap_error_set(err, ICETAP_NOMEM, "out of memory");
                break;
            }

            a = na;
        }

        if (icetap_table_mf_copy(&a[*n], &mf) != ICETAP_OK) {
            rc = icetap_error_set(err, ICETAP_NOMEM, "out of memory");
            break;
        }

        (*n)++;
    }

    icetap_manifest_list_reader_destroy(r);
    icetap_buf_free(&buf);

    if (rc != ICETAP_OK) {
        icetap_table_mfs_free(a, *n);
        *n = 0;
        return rc;
    }

    *mfs = a;

    return ICETAP_OK;
}


/* store I/O by table path */

char *
icetap_table_key(const icetap_table_t *t, const char *path)
{
    size_t   ll, pl;
    char    *key;

    ll = strlen(t->location);

    if (strncmp(path, t->location, ll) != 0 || path[ll] != '/') {
        return NULL;
    }

    path += ll + 1;
    pl = strlen(t->prefix);

    key = icetap_alloc(pl + strlen(path) + 2);
    if (key == NULL) {
        return NULL;
    }

    if (pl) {
        memcpy(key, t->prefix, pl);
        key[pl] = '/';
        strcpy(key + pl + 1, path);

    } else {
        strcpy(key, path);
    }

    return key;
}


static icetap_rc
icetap_table_key_of(const icetap_table_t *t, const char *path, char **key,
    icetap_error_t *err)
{
    *key = icetap_table_key(t, path);

    if (*key == NULL) {
        return icetap_error_set(err, ICETAP_UNSUPPORTED,
                                "path %.200s is outside the table location "
                                "%.200s", path, t->location);
    }

    return ICETAP_OK;
}


icetap_rc
icetap_table_get(icetap_table_t *t, const char *path, icetap_buf_t *out,
    icetap_error_t *err)
{
    char      *key;
    icetap_rc  rc;

    rc = icetap_table_key_of(t, path, &key, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    rc = icetap_store_get_buf(t->store, key, out, err);
    icetap_free(key);

    return rc;
}


icetap_rc
icetap_table_put(icetap_table_t *t, const char *path, const void *data,
    size_t len, int if_none_match, icetap_error_t *err)
{
    char                     *key;
    icetap_rc                 rc;
    icetap_store_put_opts_t   opts;

    rc = icetap_table_key_of(t, path, &key, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    memset(&opts, 0, sizeof(opts));
    opts.if_none_match = if_none_match ? 1 : 0;

    rc = icetap_store_put_buf(t->store, key, data, len, &opts, NULL, err);
    icetap_free(key);

    return rc;
}


void
icetap_table_delete_quiet(icetap_table_t *t, const char *path)
{
    char            *key;
    icetap_error_t   err;

    key = icetap_table_key(t, path);
    if (key) {
        (void) icetap_store_delete(t->store, key, &err);
        icetap_free(key);
    }
}


char *
icetap_table_path(const icetap_table_t *t, const char *fmt, ...)
{
    int       n;
    char     *s;
    size_t    ll;
    va_list   ap;

    ll = strlen(t->location);

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);

    if (n < 0) {
        return NULL;
    }

    s = icetap_alloc(ll + (size_t) n + 2);
    if (s == NULL) {
        return NULL;
    }

    memcpy(s, t->location, ll);
    s[ll] = '/';

    va_start(ap, fmt);
    vsnprintf(s + ll + 1, (size_t) n + 1, fmt, ap);
    va_end(ap);

    return s;
}


icetap_rc
icetap_table_partition_key(const icetap_value_t *pv, size_t n,
    int32_t spec_id, icetap_buf_t *out)
{
    size_t     i;
    uint8_t    hdr[5];
    uint32_t   len;
    icetap_rc  rc;

    out->len = 0;
    memcpy(hdr, &spec_id, 4);
    rc = icetap_buf_append(out, hdr, 4);

    for (i = 0; i < n && rc == ICETAP_OK; i++) {
        if (pv[i].is_null) {
            rc = icetap_buf_putc(out, 0);
            continue;
        }

        len = (uint32_t) out->len;
        rc = icetap_buf_putc(out, 1);
        rc |= icetap_buf_append(out, "\0\0\0\0", 4);

        if (rc == ICETAP_OK) {
            rc = icetap_value_serialize(&pv[i], out, NULL);
        }

        if (rc == ICETAP_OK) {
            uint32_t  vlen = (uint32_t) (out->len - len - 5);

            memcpy(out->data + len + 1, &vlen, 4);
        }
    }

    return rc == ICETAP_OK ? ICETAP_OK : ICETAP_NOMEM;
}


/* ranged reads */

typedef struct {
    uint8_t   *buf;
    size_t     len;
    size_t     got;
} icetap_table_sink_t;


static icetap_rc
icetap_table_range_sink(void *ctx, const void *data, size_t len)
{
    icetap_table_sink_t  *s;

    s = ctx;

    if (len > s->len - s->got) {
        return ICETAP_INVALID;
    }

    memcpy(s->buf + s->got, data, len);
    s->got += len;

    return ICETAP_OK;
}


static icetap_rc
icetap_table_read_range(icetap_table_t *t, const char *key, uint64_t off,
    void *buf, size_t len, icetap_error_t *err)
{
    icetap_rc             rc;
    icetap_table_sink_t   s;

    s.buf = buf;
    s.len = len;
    s.got = 0;

    rc = icetap_store_get(t->store, key, (int64_t) off, (int64_t) len,
                          icetap_table_range_sink, &s, NULL, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (s.got != len) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "short read of %.200s: %zu of %zu bytes",
                                key, s.got, len);
    }

    return ICETAP_OK;
}


icetap_rc
icetap_table_read_dv(icetap_table_t *t, const char *puffin, int64_t offset,
    int64_t length, icetap_roaring64_t **pos, icetap_error_t *err)
{
    char      *key;
    uint8_t   *blob;
    icetap_rc  rc;

    *pos = NULL;

    if (offset < 0 || length < 12 || length > (1LL << 31)) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "deletion vector in %.200s: bad offset or "
                                "size", puffin);
    }

    rc = icetap_table_key_of(t, puffin, &key, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    blob = icetap_alloc((size_t) length);
    if (blob == NULL) {
        icetap_free(key);
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    rc = icetap_table_read_range(t, key, (uint64_t) offset, blob,
                                 (size_t) length, err);
    if (rc == ICETAP_OK) {
        rc = icetap_dv_decode(blob, (size_t) length, pos, err);
    }

    icetap_free(blob);
    icetap_free(key);

    return rc;
}


/* Parquet over a store object; the last 64 KiB are read once */

#define ICETAP_TABLE_TAIL  65536


static icetap_rc
icetap_table_pq_read(void *ctx, uint64_t off, void *buf, size_t len,
    icetap_error_t *err)
{
    icetap_table_pqsrc_t  *src;

    src = ctx;

    if (off >= src->cache_off && off + len <= src->cache_off + src->cache.len)
    {
        memcpy(buf, src->cache.data + (off - src->cache_off), len);
        return ICETAP_OK;
    }

    return icetap_table_read_range(src->t, src->key, off, buf, len, err);
}


icetap_rc
icetap_table_pq_open(icetap_table_t *t, const char *path, int64_t size,
    icetap_table_pqsrc_t *src, icetap_pq_reader_t **r, icetap_error_t *err)
{
    size_t              tail;
    icetap_rc           rc;
    icetap_store_obj_t  obj;

    memset(src, 0, sizeof(icetap_table_pqsrc_t));
    *r = NULL;
    src->t = t;

    rc = icetap_table_key_of(t, path, &src->key, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (size < 0) {
        rc = icetap_store_head(t->store, src->key, &obj, err);
        if (rc != ICETAP_OK) {
            icetap_table_pq_close(src, NULL);
            return rc;
        }

        size = obj.size;
        icetap_store_obj_free(&obj);
    }

    src->size = (uint64_t) size;
    tail = (size_t) icetap_min((uint64_t) ICETAP_TABLE_TAIL, src->size);

    if (icetap_buf_reserve(&src->cache, tail) != ICETAP_OK) {
        icetap_table_pq_close(src, NULL);
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    src->cache_off = src->size - tail;

    rc = icetap_table_read_range(t, src->key, src->cache_off,
                                 src->cache.data, tail, err);
    if (rc != ICETAP_OK) {
        icetap_table_pq_close(src, NULL);
        return rc;
    }

    src->cache.len = tail;

    *r = icetap_pq_reader_open(icetap_table_pq_read, src, src->size, err);
    if (*r == NULL) {
        icetap_table_pq_close(src, NULL);
        return err ? err->code : ICETAP_ERROR;
    }

    return ICETAP_OK;
}


/*
 * A reader of every column fetches a row group in one ranged GET instead
 * of one per column chunk; larger row groups are read chunk by chunk so
 * that memory stays bounded.
 */

#define ICETAP_TABLE_PREFETCH  (32 * 1024 * 1024)


icetap_rc
icetap_table_pq_prefetch(icetap_table_pqsrc_t *src, icetap_pq_reader_t *r,
    int rg, icetap_error_t *err)
{
    uint64_t   off, len;
    icetap_rc  rc;

    if (icetap_pq_reader_row_group_span(r, rg, &off, &len) != ICETAP_OK
        || len > ICETAP_TABLE_PREFETCH)
    {
        /* the column reads report a bad chunk with its name */
        return ICETAP_OK;
    }

    src->cache.len = 0;
    src->cache_off = 0;

    if (icetap_buf_reserve(&src->cache, (size_t) len) != ICETAP_OK) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    rc = icetap_table_read_range(src->t, src->key, off, src->cache.data,
                                 (size_t) len, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    src->cache.len = (size_t) len;
    src->cache_off = off;

    return ICETAP_OK;
}


void
icetap_table_pq_close(icetap_table_pqsrc_t *src, icetap_pq_reader_t *r)
{
    icetap_pq_reader_free(r);
    icetap_buf_free(&src->cache);
    icetap_free(src->key);
    src->key = NULL;
}


icetap_rc
icetap_table_read_posdel(icetap_table_t *t, const char *path, int64_t size,
    icetap_table_posdel_pt cb, void *ctx, icetap_error_t *err)
{
    int                        rg, nrg, lp, lpos;
    size_t                     i;
    int64_t                   *pos;
    icetap_rc                  rc;
    icetap_pq_reader_t        *r;
    icetap_pq_column_t         cp, cpos;
    icetap_table_pqsrc_t       src;
    const icetap_pq_schema_t  *s;

    rc = icetap_table_pq_open(t, path, size, &src, &r, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    s = icetap_pq_reader_schema(r);
    lp = icetap_pq_schema_leaf_by_id(s, 2147483546);
    lpos = icetap_pq_schema_leaf_by_id(s, 2147483545);

    if (lp < 0 || lpos < 0) {
        icetap_table_pq_close(&src, r);
        return icetap_error_set(err, ICETAP_INVALID,
                                "position delete file %.200s lacks the "
                                "file_path/pos columns", path);
    }

    memset(&cp, 0, sizeof(cp));
    memset(&cpos, 0, sizeof(cpos));
    nrg = icetap_pq_reader_row_groups(r);

    for (rg = 0; rg < nrg && rc == ICETAP_OK; rg++) {
        rc = icetap_pq_read_column(r, rg, lp, &cp, err);
        if (rc == ICETAP_OK) {
            rc = icetap_pq_read_column(r, rg, lpos, &cpos, err);
        }

        if (rc != ICETAP_OK) {
            break;
        }

        if (cp.num_values != cpos.num_values
            || cp.num_values != cp.num_entries
            || cpos.physical != ICETAP_PQ_PHYS_INT64
            || cp.physical != ICETAP_PQ_PHYS_BYTE_ARRAY)
        {
            rc = icetap_error_set(err, ICETAP_INVALID,
                                  "position delete file %.200s has nulls "
                                  "or wrong types", path);
            break;
        }

        pos = cpos.values;

        for (i = 0; i < cp.num_values && rc == ICETAP_OK; i++) {
            rc = cb(ctx, (const char *) cp.data + cp.offsets[i],
                    cp.offsets[i + 1] - cp.offsets[i], pos[i]);
        }

        if (rc == ICETAP_NOMEM) {
            rc = icetap_error_set(err, rc, "out of memory");
        }
    }

    icetap_pq_column_free(&cp);
    icetap_pq_column_free(&cpos);
    icetap_table_pq_close(&src, r);

    return rc;
}


/* Iceberg schema -> Parquet schema */

static int
icetap_table_pq_add(icetap_pq_schema_t *ps, int parent, int32_t id,
    const char *name, int required, const icetap_type_t *type,
    icetap_error_t *err)
{
    int     h, c;
    size_t  i;

    switch (type->id) {

    case ICETAP_TYPE_STRUCT:
        h = icetap_pq_schema_add(ps, parent, id, name, required,
                                 ICETAP_PQ_STRUCT, 0, 0, err);
        for (i = 0; h >= 0 && i < type->nfields; i++) {
            c = icetap_table_pq_add(ps, h, type->fields[i].id,
                                    type->fields[i].name,
                                    type->fields[i].required,
                                    type->fields[i].type, err);
            if (c < 0) {
                return c;
            }
        }

        return h;

    case ICETAP_TYPE_LIST:
        h = icetap_pq_schema_add(ps, parent, id, name, required,
                                 ICETAP_PQ_LIST, 0, 0, err);
        if (h < 0) {
            return h;
        }

        c = icetap_table_pq_add(ps, h, type->element_id, "element",
                                type->element_required, type->element, err);
        return c < 0 ? c : h;

    case ICETAP_TYPE_MAP:
        h = icetap_pq_schema_add(ps, parent, id, name, required,
                                 ICETAP_PQ_MAP, 0, 0, err);
        if (h < 0) {
            return h;
        }

        c = icetap_table_pq_add(ps, h, type->key_id, "key", 1, type->key,
                                err);
        if (c >= 0) {
            c = icetap_table_pq_add(ps, h, type->value_id, "value",
                                    type->value_required, type->value, err);
        }

        return c < 0 ? c : h;

    case ICETAP_TYPE_DECIMAL:
        return icetap_pq_schema_add(ps, parent, id, name, required,
                                    ICETAP_PQ_DECIMAL, type->precision,
                                    type->scale, err);

    case ICETAP_TYPE_FIXED:
        return icetap_pq_schema_add(ps, parent, id, name, required,
                                    ICETAP_PQ_FIXED, type->length, 0, err);

    case ICETAP_TYPE_UNKNOWN:
    case ICETAP_TYPE_VARIANT:
    case ICETAP_TYPE_GEOMETRY:
    case ICETAP_TYPE_GEOGRAPHY:
        return icetap_error_set(err, ICETAP_UNSUPPORTED,
                                "column %s: type not supported by the "
                                "table writer", name);

    default:
        /* the Parquet type enum follows icetap_type_id_t for primitives */
        return icetap_pq_schema_add(ps, parent, id, name, required,
                                    (icetap_pq_type_e) type->id, 0, 0, err);
    }
}


icetap_rc
icetap_table_pq_schema(const icetap_schema_t *schema,
    icetap_pq_schema_t **out, icetap_error_t *err)
{
    return icetap_table_pq_schema_ex(schema, 0, out, err);
}


icetap_rc
icetap_table_pq_schema_ex(const icetap_schema_t *schema, int lineage,
    icetap_pq_schema_t **out, icetap_error_t *err)
{
    int                  h;
    size_t               i;
    icetap_rc            rc;
    icetap_pq_schema_t  *ps;
    const icetap_type_t *root;

    *out = NULL;

    ps = icetap_pq_schema_new(err);
    if (ps == NULL) {
        return err ? err->code : ICETAP_NOMEM;
    }

    root = schema->root;

    for (i = 0; i < root->nfields; i++) {
        h = icetap_table_pq_add(ps, ICETAP_PQ_ROOT, root->fields[i].id,
                                root->fields[i].name,
                                root->fields[i].required,
                                root->fields[i].type, err);
        if (h < 0) {
            icetap_pq_schema_free(ps);
            return (icetap_rc) h;
        }
    }

    /* v3 row lineage columns of rewritten rows (spec section 6) */

    if (lineage
        && (icetap_pq_schema_add(ps, ICETAP_PQ_ROOT, ICETAP_FIELD_ROW_ID,
                                 "_row_id", 0, ICETAP_PQ_LONG, 0, 0, err) < 0
            || icetap_pq_schema_add(ps, ICETAP_PQ_ROOT,
                                    ICETAP_FIELD_LAST_UPDATED_SEQ,
                                    "_last_updated_sequence_number", 0,
                                    ICETAP_PQ_LONG, 0, 0, err) < 0))
    {
        icetap_pq_schema_free(ps);
        return err ? err->code : ICETAP_NOMEM;
    }

    rc = icetap_pq_schema_finish(ps, err);
    if (rc != ICETAP_OK) {
        icetap_pq_schema_free(ps);
        return rc;
    }

    *out = ps;

    return ICETAP_OK;
}


void
icetap_table_sleep_ms(unsigned ms)
{
    struct timespec  ts;

    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long) (ms % 1000) * 1000000L;

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        /* void */
    }
}


int64_t
icetap_table_now_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_REALTIME, &ts);

    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


/*
 * A manifest's entries with the values they inherit from their manifest
 * file filled in: snapshot id, data and file sequence numbers, and v3
 * first row ids (spec sections 4 and 6).
 */

icetap_rc
icetap_table_mr_open(icetap_table_t *t, const icetap_manifest_file_t *mf,
    icetap_table_mr_t *mr, icetap_error_t *err)
{
    icetap_rc  rc;

    memset(mr, 0, sizeof(icetap_table_mr_t));
    mr->mf = mf;
    mr->next_row_id = mf->first_row_id;

    rc = icetap_table_get(t, mf->manifest_path, &mr->buf, err);
    if (rc == ICETAP_OK) {
        rc = icetap_manifest_reader_create_mem(mr->buf.data, mr->buf.len,
                                               &mr->r, err);
    }

    if (rc != ICETAP_OK) {
        icetap_buf_free(&mr->buf);
    }

    return rc;
}


icetap_rc
icetap_table_mr_next(icetap_table_mr_t *mr, icetap_manifest_entry_t *e,
    icetap_error_t *err)
{
    icetap_rc  rc;

    rc = icetap_manifest_reader_next(mr->r, e, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (e->snapshot_id == ICETAP_UNSET) {
        e->snapshot_id = mr->mf->added_snapshot_id;
    }

    if (e->sequence_number == ICETAP_UNSET) {
        e->sequence_number = mr->mf->sequence_number;
    }

    if (e->file_sequence_number == ICETAP_UNSET) {
        e->file_sequence_number = mr->mf->sequence_number;
    }

    if (mr->mf->content == ICETAP_MANIFEST_DATA
        && e->file.first_row_id == ICETAP_UNSET
        && mr->next_row_id != ICETAP_UNSET)
    {
        e->file.first_row_id = mr->next_row_id;
        mr->next_row_id += e->file.record_count;
    }

    return ICETAP_OK;
}


void
icetap_table_mr_close(icetap_table_mr_t *mr)
{
    icetap_manifest_reader_destroy(mr->r);
    icetap_buf_free(&mr->buf);
}
