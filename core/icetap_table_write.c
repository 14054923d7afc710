/*
 * Copyright (C) icetap authors
 *
 * Writing a table's data files: rows are routed to one Parquet file per
 * partition (a new file once the current one reaches the target size,
 * the least recently used one closed when too many are open), spilled
 * to a temporary file beyond a few MiB and uploaded on close; each
 * closed file becomes a data_file entry with Iceberg metrics.
 */


#include <stdio.h>
#include <string.h>

#include "icetap_table_int.h"


typedef struct {
    icetap_buf_t               pkey;
    icetap_value_t            *pvals;
    uint8_t                   *pmem;
    icetap_pq_writer_t        *pw;
    char                      *path;
    icetap_buf_t               mem;
    FILE                      *spill;
    uint64_t                   last_use;
} icetap_tw_file_t;


struct icetap_table_writer_s {
    icetap_table_t            *t;
    icetap_table_writer_conf_t conf;
    icetap_schema_t           *schema;
    icetap_partition_spec_t    spec;
    icetap_type_t             *ptypes;
    icetap_pq_schema_t        *ps;

    icetap_tw_file_t         **open;
    size_t                     nopen;
    char                      *schema_json;
    icetap_tw_file_t          *cur;

    icetap_table_df_t        **files;
    size_t                     nfiles;
    size_t                     cap;

    int                       *src_col;       /* row(): column per field */
    icetap_value_t            *pv;            /* scratch partition tuple */
    icetap_buf_t               key;

    char                       uuid[37];
    unsigned                   counter;
    uint64_t                   clock;
    icetap_error_t             err;
    icetap_rc                  failed;
};


static icetap_rc
icetap_tw_fail(icetap_table_writer_t *w, icetap_rc rc, const char *msg)
{
    if (w->err.code == ICETAP_OK) {
        icetap_error_set(&w->err, rc, "%s", msg);
    }

    w->failed = rc;

    return rc;
}


/* bounds truncation (Iceberg MetricsModes truncate(16)) */

static size_t
icetap_utf8_next(const uint8_t *p, size_t len, size_t i)
{
    i++;

    while (i < len && (p[i] & 0xc0) == 0x80) {
        i++;
    }

    return i;
}


size_t
icetap_table_truncate_lower(int is_string, const uint8_t *p, size_t len,
    size_t width)
{
    size_t  i, n;

    if (!is_string) {
        return icetap_min(len, width);
    }

    for (i = 0, n = 0; i < len && n < width; n++) {
        i = icetap_utf8_next(p, len, i);
    }

    return i;
}


static size_t
icetap_utf8_put(uint32_t cp, uint8_t *out)
{
    if (cp < 0x80) {
        out[0] = (uint8_t) cp;
        return 1;
    }

    if (cp < 0x800) {
        out[0] = (uint8_t) (0xc0 | (cp >> 6));
        out[1] = (uint8_t) (0x80 | (cp & 0x3f));
        return 2;
    }

    if (cp < 0x10000) {
        out[0] = (uint8_t) (0xe0 | (cp >> 12));
        out[1] = (uint8_t) (0x80 | ((cp >> 6) & 0x3f));
        out[2] = (uint8_t) (0x80 | (cp & 0x3f));
        return 3;
    }

    out[0] = (uint8_t) (0xf0 | (cp >> 18));
    out[1] = (uint8_t) (0x80 | ((cp >> 12) & 0x3f));
    out[2] = (uint8_t) (0x80 | ((cp >> 6) & 0x3f));
    out[3] = (uint8_t) (0x80 | (cp & 0x3f));
    return 4;
}


static uint32_t
icetap_utf8_get(const uint8_t *p, size_t n)
{
    uint32_t  cp;
    size_t    i;

    if (n == 1) {
        return p[0];
    }

    cp = p[0] & (0xff >> (n + 1));

    for (i = 1; i < n; i++) {
        cp = (cp << 6) | (p[i] & 0x3f);
    }

    return cp;
}


/*
 * The smallest value of at most "width" characters (bytes) that is
 * greater than every value starting with the first "width" of p: the
 * prefix with its last character incremented, carrying leftwards.
 */

size_t
icetap_table_truncate_upper(int is_string, const uint8_t *p, size_t len,
    size_t width, uint8_t *out)
{
    size_t    end, i, start, k;
    uint32_t  cp;

    end = icetap_table_truncate_lower(is_string, p, len, width);

    memcpy(out, p, end);

    if (end == len) {
        return len;
    }

    if (!is_string) {
        for (i = end; i > 0; i--) {
            if (out[i - 1] != 0xff) {
                out[i - 1]++;
                return i;
            }
        }

        return 0;
    }

    while (end > 0) {
        start = end - 1;
        while (start > 0 && (out[start] & 0xc0) == 0x80) {
            start--;
        }

        cp = icetap_utf8_get(out + start, end - start) + 1;

        if (cp >= 0xd800 && cp <= 0xdfff) {
            cp = 0xe000;
        }

        if (cp <= 0x10ffff) {
            k = icetap_utf8_put(cp, out + start);
            return start + k;
        }

        end = start;
    }

    return 0;
}


/* metrics of a closed Parquet file */

icetap_rc
icetap_table_df_from_parquet(icetap_pq_writer_t *pw,
    const icetap_pq_schema_t *ps, const char *path, int32_t spec_id,
    const icetap_value_t *partition, size_t npartition,
    icetap_table_df_t **owner, icetap_error_t *err)
{
    int                      is_str;
    size_t                   nleaves, i, k, nrg, nsz, nv, nb, upos;
    uint8_t                 *ubuf;
    icetap_rc                rc;
    const int64_t           *offs;
    icetap_bound_t          *lower, *upper;
    icetap_metric_t         *sizes, *values, *nulls, *nans;
    icetap_data_file_t       f;
    icetap_pq_metrics_t      m;
    size_t                   nnan;
    const icetap_pq_node_t  *node;

    *owner = NULL;
    nleaves = icetap_pq_schema_leaves(ps);

    sizes = icetap_calloc(nleaves + 1, sizeof(icetap_metric_t));
    values = icetap_calloc(nleaves + 1, sizeof(icetap_metric_t));
    nulls = icetap_calloc(nleaves + 1, sizeof(icetap_metric_t));
    nans = icetap_calloc(nleaves + 1, sizeof(icetap_metric_t));
    lower = icetap_calloc(nleaves + 1, sizeof(icetap_bound_t));
    upper = icetap_calloc(nleaves + 1, sizeof(icetap_bound_t));
    ubuf = NULL;

    rc = ICETAP_NOMEM;

    if (sizes == NULL || values == NULL || nulls == NULL || nans == NULL
        || lower == NULL || upper == NULL)
    {
        goto done;
    }

    /* upper bounds are rebuilt; 4 bytes per character at most */

    ubuf = icetap_alloc(nleaves * 64 + 1);
    if (ubuf == NULL) {
        goto done;
    }

    nsz = nv = nb = nnan = upos = 0;

    for (i = 0; i < nleaves; i++) {
        rc = icetap_pq_writer_metrics(pw, (int) i, &m);
        if (rc != ICETAP_OK) {
            goto done;
        }

        if (m.field_id < 0) {
            continue;
        }

        for (k = 0; k < nsz && sizes[k].key != m.field_id; k++) {
            /* void */
        }

        if (k == nsz) {
            sizes[nsz].key = m.field_id;
            nsz++;
        }

        sizes[k].value += (int64_t) m.column_size;

        /* Java writes no counts or bounds inside lists and maps */

        if (m.in_repeated) {
            continue;
        }

        values[nv].key = m.field_id;
        values[nv].value = m.value_count;
        nulls[nv].key = m.field_id;
        nulls[nv].value = m.null_count;
        nv++;

        if (m.nan_count >= 0) {
            nans[nnan].key = m.field_id;
            nans[nnan].value = m.nan_count;
            nnan++;
        }

        if (!m.has_bounds) {
            continue;
        }

        node = icetap_pq_schema_leaf(ps, (int) i);
        is_str = node->type == ICETAP_PQ_STRING;

        lower[nb].key = m.field_id;
        lower[nb].data = m.lower;
        lower[nb].len = m.lower_len;
        upper[nb].key = m.field_id;
        upper[nb].data = m.upper;
        upper[nb].len = m.upper_len;

        if (is_str || node->type == ICETAP_PQ_BINARY) {
            lower[nb].len = icetap_table_truncate_lower(is_str, m.lower,
                                                        m.lower_len, 16);
            upper[nb].len = icetap_table_truncate_upper(is_str, m.upper,
                                                        m.upper_len, 16,
                                                        ubuf + upos);
            upper[nb].data = ubuf + upos;
            upos += 64;

            if (upper[nb].len == 0) {
                /* no upper bound of 16 characters exists: write none */
                upper[nb].data = NULL;
            }
        }

        nb++;
    }

    /* drop the missing upper bounds */

    for (i = 0, k = 0; i < nb; i++) {
        if (upper[i].data != NULL) {
            upper[k++] = upper[i];
        }
    }

    memset(&f, 0, sizeof(f));
    f.content = ICETAP_CONTENT_DATA;
    f.file_path = path;
    f.file_format = "PARQUET";
    f.partition = partition;
    f.npartition = npartition;
    f.record_count = icetap_pq_writer_rows(pw);
    f.file_size_in_bytes = (int64_t) icetap_pq_writer_size(pw);
    f.column_sizes = sizes;
    f.ncolumn_sizes = nsz;
    f.value_counts = values;
    f.nvalue_counts = nv;
    f.null_value_counts = nulls;
    f.nnull_value_counts = nv;
    f.nan_value_counts = nans;
    f.nnan_value_counts = nnan;
    f.lower_bounds = lower;
    f.nlower_bounds = nb;
    f.upper_bounds = upper;
    f.nupper_bounds = k;
    f.sort_order_id = 0;
    f.first_row_id = ICETAP_UNSET;
    f.content_offset = ICETAP_UNSET;
    f.content_size_in_bytes = ICETAP_UNSET;

    nrg = icetap_pq_writer_row_groups(pw, &offs);
    f.split_offsets = offs;
    f.nsplit_offsets = nrg;

    *owner = icetap_table_df_copy(&f, spec_id);
    rc = *owner ? ICETAP_OK : ICETAP_NOMEM;

done:

    icetap_free(sizes);
    icetap_free(values);
    icetap_free(nulls);
    icetap_free(nans);
    icetap_free(lower);
    icetap_free(upper);
    icetap_free(ubuf);

    if (rc == ICETAP_NOMEM) {
        return icetap_error_set(err, rc, "out of memory");
    }

    return rc;
}


/* output of one file: memory, then a temporary file */

static icetap_rc
icetap_tw_write(void *ctx, const void *data, size_t len, icetap_error_t *err)
{
    icetap_tw_file_t  *f;

    f = ctx;

    if (f->spill == NULL) {
        return icetap_buf_append(&f->mem, data, len) == ICETAP_OK
               ? ICETAP_OK
               : icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    if (fwrite(data, 1, len, f->spill) != len) {
        return icetap_error_sys(err, ICETAP_IO, 0,
                                "write to the spill file failed");
    }

    return ICETAP_OK;
}


typedef struct {
    icetap_tw_file_t  *f;
    size_t             off;
} icetap_tw_src_t;


static icetap_rc
icetap_tw_read(void *ctx, void *buf, size_t size, size_t *n)
{
    icetap_tw_src_t  *s;

    s = ctx;

    if (s->f->spill == NULL) {
        *n = icetap_min(size, s->f->mem.len - s->off);
        memcpy(buf, s->f->mem.data + s->off, *n);
        s->off += *n;
        return ICETAP_OK;
    }

    *n = fread(buf, 1, size, s->f->spill);

    return ferror(s->f->spill) ? ICETAP_IO : ICETAP_OK;
}


static void
icetap_tw_file_free(icetap_tw_file_t *f)
{
    icetap_pq_writer_free(f->pw);
    icetap_buf_free(&f->pkey);
    icetap_buf_free(&f->mem);
    icetap_free(f->pvals);
    icetap_free(f->pmem);
    icetap_free(f->path);

    if (f->spill) {
        fclose(f->spill);
    }

    icetap_free(f);
}


static icetap_rc
icetap_tw_close_file(icetap_table_writer_t *w, size_t i)
{
    char                   *key;
    icetap_rc               rc;
    icetap_tw_src_t         s;
    icetap_tw_file_t       *f;
    icetap_table_df_t      *df, **nf;
    icetap_store_source_t   src;

    f = w->open[i];

    rc = icetap_pq_writer_close(f->pw);
    if (rc != ICETAP_OK) {
        return w->failed = rc;
    }

    rc = icetap_table_df_from_parquet(f->pw, w->ps, f->path,
                                      w->spec.spec_id, f->pvals,
                                      w->spec.nfields, &df, &w->err);
    if (rc != ICETAP_OK) {
        return w->failed = rc;
    }

    key = icetap_table_key(w->t, f->path);
    if (key == NULL) {
        icetap_table_df_free(df);
        return icetap_tw_fail(w, ICETAP_NOMEM, "out of memory");
    }

    if (f->spill && (fflush(f->spill) != 0 || fseek(f->spill, 0, SEEK_SET)))
    {
        icetap_free(key);
        icetap_table_df_free(df);
        return icetap_tw_fail(w, ICETAP_IO, "spill file unreadable");
    }

    s.f = f;
    s.off = 0;
    src.read = icetap_tw_read;
    src.ctx = &s;
    src.size = df->f.file_size_in_bytes;

    rc = icetap_store_put(w->t->store, key, &src, NULL, NULL, &w->err);
    icetap_free(key);

    if (rc != ICETAP_OK) {
        icetap_table_df_free(df);
        return w->failed = rc;
    }

    if (w->nfiles == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 16;
        nf = icetap_realloc(w->files, w->cap * sizeof(icetap_table_df_t *));
        if (nf == NULL) {
            icetap_table_delete_quiet(w->t, df->f.file_path);
            icetap_table_df_free(df);
            return icetap_tw_fail(w, ICETAP_NOMEM, "out of memory");
        }

        w->files = nf;
    }

    w->files[w->nfiles++] = df;

    icetap_tw_file_free(f);
    w->open[i] = w->open[--w->nopen];
    w->open[w->nopen] = NULL;

    return ICETAP_OK;
}


icetap_rc
icetap_table_writer_open(icetap_table_t *t,
    const icetap_table_writer_conf_t *conf, icetap_table_writer_t **out,
    icetap_error_t *err)
{
    size_t                          i, k;
    icetap_rc                       rc;
    icetap_table_writer_t          *w;
    const icetap_schema_t          *schema;
    const icetap_partition_spec_t  *spec;

    *out = NULL;

    schema = icetap_metadata_current_schema(t->md);
    spec = icetap_metadata_default_spec(t->md);

    if (schema == NULL || spec == NULL) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "table has no current schema or spec");
    }

    w = icetap_calloc(1, sizeof(icetap_table_writer_t));
    if (w == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    w->t = t;

    if (conf) {
        w->conf = *conf;
    }

    if (w->conf.target_file_size == 0) {
        w->conf.target_file_size = 128 * 1024 * 1024;
    }

    if (w->conf.row_group_size == 0) {
        w->conf.row_group_size = 8 * 1024 * 1024;
    }

    if (w->conf.max_open_files == 0) {
        w->conf.max_open_files = 32;
    }

    if (w->conf.spill_size == 0) {
        w->conf.spill_size = 4 * 1024 * 1024;
    }

    if (!w->conf.codec_set) {
        w->conf.codec = ICETAP_PQ_ZSTD;
    }

    w->schema = icetap_schema_copy(schema);
    w->open = icetap_calloc(w->conf.max_open_files,
                            sizeof(icetap_tw_file_t *));
    w->schema_json = w->schema ? icetap_schema_to_string(w->schema) : NULL;
    w->ptypes = icetap_calloc(spec->nfields + 1, sizeof(icetap_type_t));
    w->src_col = icetap_calloc(spec->nfields + 1, sizeof(int));
    w->pv = icetap_calloc(spec->nfields + 1, sizeof(icetap_value_t));

    if (w->schema == NULL || w->open == NULL || w->ptypes == NULL
        || w->schema_json == NULL
        || w->src_col == NULL || w->pv == NULL
        || icetap_partition_spec_copy(&w->spec, spec) != ICETAP_OK)
    {
        icetap_table_writer_free(w);
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    rc = icetap_partition_spec_types(&w->spec, w->schema, w->ptypes, err);
    if (rc == ICETAP_OK) {
        rc = icetap_table_pq_schema(w->schema, &w->ps, err);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_uuid4(w->uuid, err);
    }

    if (rc != ICETAP_OK) {
        icetap_table_writer_free(w);
        return rc;
    }

    for (i = 0; i < w->spec.nfields; i++) {
        w->src_col[i] = -1;

        for (k = 0; k < w->schema->root->nfields; k++) {
            if (w->schema->root->fields[k].id == w->spec.fields[i].source_id)
            {
                w->src_col[i] = (int) k;
            }
        }
    }

    *out = w;

    return ICETAP_OK;
}


/* the partition directory: name=value/..., URL-encoded like Java */

static icetap_rc
icetap_tw_dir(icetap_table_writer_t *w, icetap_buf_t *dir)
{
    int         n;
    char        human[256], hex[4];
    size_t      i, k;
    icetap_rc   rc;
    const char *name;

    rc = ICETAP_OK;

    for (i = 0; i < w->spec.nfields && rc == ICETAP_OK; i++) {
        if (w->spec.fields[i].transform.kind == ICETAP_TRANSFORM_VOID) {
            continue;
        }

        name = w->spec.fields[i].name;
        rc = icetap_buf_append(dir, name, strlen(name));
        rc |= icetap_buf_putc(dir, '=');

        n = icetap_transform_human(&w->spec.fields[i].transform, &w->pv[i],
                                   human, sizeof(human));
        n = icetap_min(n, (int) sizeof(human) - 1);

        for (k = 0; k < (size_t) n && rc == ICETAP_OK; k++) {
            uint8_t  c = (uint8_t) human[k];

            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9') || c == '-' || c == '_'
                || c == '.')
            {
                rc = icetap_buf_putc(dir, c);

            } else {
                snprintf(hex, sizeof(hex), "%%%02X", c);
                rc = icetap_buf_append(dir, hex, 3);
            }
        }

        rc |= icetap_buf_putc(dir, '/');
    }

    return rc == ICETAP_OK ? ICETAP_OK : ICETAP_NOMEM;
}


static icetap_rc
icetap_tw_new_file(icetap_table_writer_t *w, icetap_tw_file_t **out)
{
    size_t                    i, need;
    uint8_t                  *p;
    icetap_rc                 rc;
    icetap_buf_t              dir;
    icetap_tw_file_t         *f;
    icetap_pq_writer_conf_t   pc;

    if (w->nopen == w->conf.max_open_files) {
        size_t  lru = 0;

        for (i = 1; i < w->nopen; i++) {
            if (w->open[i]->last_use < w->open[lru]->last_use) {
                lru = i;
            }
        }

        rc = icetap_tw_close_file(w, lru);
        if (rc != ICETAP_OK) {
            return rc;
        }
    }

    f = icetap_calloc(1, sizeof(icetap_tw_file_t));
    if (f == NULL) {
        return icetap_tw_fail(w, ICETAP_NOMEM, "out of memory");
    }

    /* own the partition tuple: strings point into pmem */

    need = 1;
    for (i = 0; i < w->spec.nfields; i++) {
        if (!w->pv[i].is_null
            && (w->pv[i].type == ICETAP_TYPE_STRING
                || w->pv[i].type == ICETAP_TYPE_BINARY
                || w->pv[i].type == ICETAP_TYPE_FIXED))
        {
            need += w->pv[i].v.bin.len;
        }
    }

    f->pvals = icetap_calloc(w->spec.nfields + 1, sizeof(icetap_value_t));
    f->pmem = icetap_alloc(need);

    if (f->pvals == NULL || f->pmem == NULL
        || icetap_buf_append(&f->pkey, w->key.data, w->key.len) != ICETAP_OK)
    {
        icetap_tw_file_free(f);
        return icetap_tw_fail(w, ICETAP_NOMEM, "out of memory");
    }

    p = f->pmem;

    for (i = 0; i < w->spec.nfields; i++) {
        f->pvals[i] = w->pv[i];

        if (!w->pv[i].is_null
            && (w->pv[i].type == ICETAP_TYPE_STRING
                || w->pv[i].type == ICETAP_TYPE_BINARY
                || w->pv[i].type == ICETAP_TYPE_FIXED))
        {
            memcpy(p, w->pv[i].v.bin.data, w->pv[i].v.bin.len);
            f->pvals[i].v.bin.data = p;
            p += w->pv[i].v.bin.len;
        }
    }

    memset(&dir, 0, sizeof(dir));

    if (icetap_tw_dir(w, &dir) != ICETAP_OK
        || icetap_buf_putc(&dir, '\0') != ICETAP_OK)
    {
        icetap_buf_free(&dir);
        icetap_tw_file_free(f);
        return icetap_tw_fail(w, ICETAP_NOMEM, "out of memory");
    }

    f->path = icetap_table_path(w->t, "data/%s00000-%u-%s-%05u.parquet",
                                (const char *) dir.data, w->counter,
                                w->uuid, w->counter);
    w->counter++;
    icetap_buf_free(&dir);

    if (f->path == NULL) {
        icetap_tw_file_free(f);
        return icetap_tw_fail(w, ICETAP_NOMEM, "out of memory");
    }

    icetap_pq_writer_conf_init(&pc);
    pc.codec = w->conf.codec;
    pc.row_group_size = w->conf.row_group_size;
    pc.page_size = w->conf.page_size;

    f->pw = icetap_pq_writer_open(w->ps, &pc, icetap_tw_write, f, &w->err);
    if (f->pw == NULL) {
        icetap_tw_file_free(f);
        return w->failed = w->err.code ? w->err.code : ICETAP_ERROR;
    }

    if (icetap_pq_writer_kv(f->pw, "iceberg.schema", w->schema_json)
        != ICETAP_OK)
    {
        icetap_tw_file_free(f);
        return icetap_tw_fail(w, ICETAP_NOMEM, "out of memory");
    }

    w->open[w->nopen++] = f;
    *out = f;

    return ICETAP_OK;
}


icetap_rc
icetap_table_writer_begin(icetap_table_writer_t *w,
    const icetap_value_t *src, icetap_pq_writer_t **pw)
{
    size_t             i;
    icetap_rc          rc;
    icetap_tw_file_t  *f;

    *pw = NULL;

    if (w->failed) {
        return w->failed;
    }

    if (w->cur) {
        return icetap_tw_fail(w, ICETAP_INVALID, "row begun twice");
    }

    for (i = 0; i < w->spec.nfields; i++) {
        rc = icetap_transform_apply(&w->spec.fields[i].transform, &src[i],
                                    &w->pv[i], &w->err);
        if (rc != ICETAP_OK) {
            return w->failed = rc;
        }
    }

    if (icetap_table_partition_key(w->pv, w->spec.nfields, w->spec.spec_id,
                                   &w->key)
        != ICETAP_OK)
    {
        return icetap_tw_fail(w, ICETAP_NOMEM, "out of memory");
    }

    f = NULL;

    for (i = 0; i < w->nopen; i++) {
        if (w->open[i]->pkey.len == w->key.len
            && memcmp(w->open[i]->pkey.data, w->key.data, w->key.len) == 0)
        {
            f = w->open[i];
            break;
        }
    }

    /* roll over once the file reached its target size */

    if (f && (icetap_pq_writer_size(f->pw) >= w->conf.target_file_size
              || (w->conf.target_file_rows > 0
                  && icetap_pq_writer_rows(f->pw)
                     >= w->conf.target_file_rows)))
    {
        rc = icetap_tw_close_file(w, i);
        if (rc != ICETAP_OK) {
            return rc;
        }

        f = NULL;
    }

    if (f == NULL) {
        rc = icetap_tw_new_file(w, &f);
        if (rc != ICETAP_OK) {
            return rc;
        }
    }

    /* beyond the spill size the file goes to a temporary file */

    if (f->spill == NULL && f->mem.len > w->conf.spill_size) {
        f->spill = tmpfile();
        if (f->spill == NULL
            || fwrite(f->mem.data, 1, f->mem.len, f->spill) != f->mem.len)
        {
            return icetap_tw_fail(w, ICETAP_IO,
                                  "cannot spill a data file to a "
                                  "temporary file");
        }

        icetap_buf_free(&f->mem);
    }

    f->last_use = ++w->clock;
    w->cur = f;
    *pw = f->pw;

    return ICETAP_OK;
}


icetap_rc
icetap_table_writer_end(icetap_table_writer_t *w)
{
    icetap_rc  rc;

    if (w->failed) {
        return w->failed;
    }

    if (w->cur == NULL) {
        return icetap_tw_fail(w, ICETAP_INVALID, "no row begun");
    }

    rc = icetap_pq_end_row(w->cur->pw);
    w->cur = NULL;

    if (rc != ICETAP_OK) {
        return w->failed = rc;
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_tw_value(icetap_pq_writer_t *pw, const icetap_value_t *v)
{
    if (v->is_null) {
        return icetap_pq_null(pw);
    }

    switch (v->type) {
    case ICETAP_TYPE_BOOLEAN:
        return icetap_pq_bool(pw, v->v.b);
    case ICETAP_TYPE_INT:
    case ICETAP_TYPE_DATE:
        return icetap_pq_int32(pw, v->v.i);
    case ICETAP_TYPE_LONG:
    case ICETAP_TYPE_TIME:
    case ICETAP_TYPE_TIMESTAMP:
    case ICETAP_TYPE_TIMESTAMPTZ:
    case ICETAP_TYPE_TIMESTAMP_NS:
    case ICETAP_TYPE_TIMESTAMPTZ_NS:
        return icetap_pq_int64(pw, v->v.l);
    case ICETAP_TYPE_FLOAT:
        return icetap_pq_float(pw, v->v.f);
    case ICETAP_TYPE_DOUBLE:
        return icetap_pq_double(pw, v->v.d);
    case ICETAP_TYPE_UUID:
        return icetap_pq_bytes(pw, v->v.uuid, 16);
    case ICETAP_TYPE_DECIMAL:
        return icetap_pq_bytes(pw, v->v.dec.bytes, v->v.dec.len);
    case ICETAP_TYPE_STRING:
    case ICETAP_TYPE_BINARY:
    case ICETAP_TYPE_FIXED:
        return icetap_pq_bytes(pw, v->v.bin.data, v->v.bin.len);
    default:
        return ICETAP_UNSUPPORTED;
    }
}


icetap_rc
icetap_table_writer_row(icetap_table_writer_t *w, const icetap_value_t *values,
    size_t n)
{
    size_t               i;
    icetap_rc            rc;
    icetap_value_t       src[16], *sv;
    icetap_pq_writer_t  *pw;

    if (w->failed) {
        return w->failed;
    }

    memset(src, 0, sizeof(src));

    if (n != w->schema->root->nfields) {
        return icetap_tw_fail(w, ICETAP_INVALID,
                              "row has another number of columns than the "
                              "table");
    }

    sv = w->spec.nfields <= 16
         ? src : icetap_calloc(w->spec.nfields, sizeof(icetap_value_t));
    if (sv == NULL) {
        return icetap_tw_fail(w, ICETAP_NOMEM, "out of memory");
    }

    for (i = 0; i < w->spec.nfields; i++) {
        if (w->src_col[i] < 0) {
            if (sv != src) {
                icetap_free(sv);
            }

            return icetap_tw_fail(w, ICETAP_UNSUPPORTED,
                                  "partition source is not a top-level "
                                  "column: use begin/end");
        }

        sv[i] = values[w->src_col[i]];
    }

    rc = icetap_table_writer_begin(w, sv, &pw);

    if (sv != src) {
        icetap_free(sv);
    }

    if (rc != ICETAP_OK) {
        return rc;
    }

    for (i = 0; i < n; i++) {
        rc = icetap_tw_value(pw, &values[i]);
        if (rc != ICETAP_OK) {
            w->cur = NULL;
            if (rc == ICETAP_UNSUPPORTED) {
                return icetap_tw_fail(w, rc, "row() takes primitive values "
                                      "only");
            }

            return w->failed = rc;
        }
    }

    return icetap_table_writer_end(w);
}


icetap_rc
icetap_table_writer_close(icetap_table_writer_t *w)
{
    icetap_rc  rc;

    if (w->failed) {
        return w->failed;
    }

    while (w->nopen) {
        rc = icetap_tw_close_file(w, w->nopen - 1);
        if (rc != ICETAP_OK) {
            return rc;
        }
    }

    return ICETAP_OK;
}


uint64_t
icetap_table_writer_bytes(const icetap_table_writer_t *w)
{
    size_t    i;
    uint64_t  n;

    n = 0;

    for (i = 0; i < w->nfiles; i++) {
        n += (uint64_t) w->files[i]->f.file_size_in_bytes;
    }

    for (i = 0; i < w->nopen; i++) {
        n += icetap_pq_writer_size(w->open[i]->pw);
    }

    return n;
}


size_t
icetap_table_writer_nfiles(const icetap_table_writer_t *w)
{
    return w->nfiles;
}


const icetap_data_file_t *
icetap_table_writer_file(const icetap_table_writer_t *w, size_t i)
{
    return i < w->nfiles ? &w->files[i]->f : NULL;
}


void
icetap_table_writer_abort(icetap_table_writer_t *w)
{
    size_t  i;

    for (i = 0; i < w->nfiles; i++) {
        icetap_table_delete_quiet(w->t, w->files[i]->f.file_path);
    }
}


const icetap_error_t *
icetap_table_writer_error(const icetap_table_writer_t *w)
{
    return &w->err;
}


void
icetap_table_writer_free(icetap_table_writer_t *w)
{
    size_t  i;

    if (w == NULL) {
        return;
    }

    for (i = 0; w->open && i < w->nopen; i++) {
        icetap_tw_file_free(w->open[i]);
    }

    for (i = 0; i < w->nfiles; i++) {
        icetap_table_df_free(w->files[i]);
    }

    icetap_free(w->files);
    icetap_free(w->open);
    icetap_free(w->schema_json);
    icetap_schema_free(w->schema);
    icetap_partition_spec_clear(&w->spec);
    icetap_free(w->ptypes);
    icetap_free(w->src_col);
    icetap_free(w->pv);
    icetap_buf_free(&w->key);
    icetap_pq_schema_free(w->ps);
    icetap_free(w);
}
