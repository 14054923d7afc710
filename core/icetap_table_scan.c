/*
 * Copyright (C) icetap authors
 *
 * Reading a table: the live data files of a snapshot with the positions
 * their deletes remove (spec 4.2 delete application), the live rows of
 * those files, and snapshot expiry with removal of the files only
 * expired snapshots referenced.
 */


#include <stdio.h>
#include <string.h>

#include <icetap/puffin.h>

#include "icetap_table_int.h"


/* deletes of one data file: a DV, or position deletes per delete file */

typedef struct icetap_ts_pd_s  icetap_ts_pd_t;

struct icetap_ts_pd_s {
    int64_t                    seq;
    size_t                     source;          /* which delete file */
    icetap_roaring64_t        *pos;
    icetap_ts_pd_t            *next;
};

typedef struct {
    icetap_roaring64_t        *dv;
    int64_t                    dv_seq;
    icetap_ts_pd_t            *pd;
} icetap_ts_del_t;


static void
icetap_ts_del_free(void *p)
{
    icetap_ts_pd_t   *pd, *next;
    icetap_ts_del_t  *d;

    d = p;
    icetap_roaring64_destroy(d->dv);

    for (pd = d->pd; pd; pd = next) {
        next = pd->next;
        icetap_roaring64_destroy(pd->pos);
        icetap_free(pd);
    }

    icetap_free(d);
}


typedef struct {
    icetap_tmap_t              dels;
    int64_t                    seq;
    size_t                     source;
    char                       path[1024];
} icetap_ts_t;


static icetap_ts_del_t *
icetap_ts_del(icetap_ts_t *s, const char *path)
{
    icetap_ts_del_t  *d;

    d = icetap_tmap_get(&s->dels, path);
    if (d) {
        return d;
    }

    d = icetap_calloc(1, sizeof(icetap_ts_del_t));
    if (d == NULL || icetap_tmap_put(&s->dels, path, d) != ICETAP_OK) {
        icetap_free(d);
        return NULL;
    }

    return d;
}


static icetap_rc
icetap_ts_posdel_cb(void *ctx, const char *path, size_t len, int64_t pos)
{
    icetap_ts_t      *s;
    icetap_ts_pd_t   *pd;
    icetap_ts_del_t  *d;

    s = ctx;

    if (len >= sizeof(s->path) || pos < 0) {
        return ICETAP_INVALID;
    }

    memcpy(s->path, path, len);
    s->path[len] = '\0';

    d = icetap_ts_del(s, s->path);
    if (d == NULL) {
        return ICETAP_NOMEM;
    }

    pd = d->pd;

    if (pd == NULL || pd->source != s->source) {
        pd = icetap_calloc(1, sizeof(icetap_ts_pd_t));
        if (pd == NULL) {
            return ICETAP_NOMEM;
        }

        pd->pos = icetap_roaring64_create();
        if (pd->pos == NULL) {
            icetap_free(pd);
            return ICETAP_NOMEM;
        }

        pd->seq = s->seq;
        pd->source = s->source;
        pd->next = d->pd;
        d->pd = pd;
    }

    return icetap_roaring64_add(pd->pos, (uint64_t) pos);
}


/* the manifests' entries with inherited values */


static const icetap_snapshot_t *
icetap_ts_snapshot(icetap_table_t *t, int64_t snapshot_id,
    icetap_error_t *err)
{
    const icetap_snapshot_t  *snap;

    if (snapshot_id < 0) {
        return icetap_metadata_current_snapshot(t->md);
    }

    snap = icetap_metadata_snapshot(t->md, snapshot_id);
    if (snap == NULL) {
        icetap_error_set(err, ICETAP_NOTFOUND, "no snapshot %lld",
                         (long long) snapshot_id);
    }

    return snap;
}


icetap_rc
icetap_table_files(icetap_table_t *t, int64_t snapshot_id,
    icetap_table_file_pt cb, void *ctx, icetap_error_t *err)
{
    size_t                    i, nmfs;
    icetap_rc                 rc;
    icetap_ts_t               s;
    icetap_ts_pd_t           *pd;
    icetap_table_mr_t            mr;
    icetap_ts_del_t          *d;
    icetap_table_mf_t        *mfs;
    icetap_roaring64_t       *tmp;
    icetap_table_file_t       tf;
    icetap_manifest_entry_t   e;
    const icetap_snapshot_t  *snap;

    if (t->md == NULL) {
        return icetap_error_set(err, ICETAP_INVALID, "table not loaded");
    }

    snap = icetap_ts_snapshot(t, snapshot_id, err);
    if (snap == NULL) {
        return snapshot_id < 0 ? ICETAP_OK : ICETAP_NOTFOUND;
    }

    rc = icetap_table_read_list(t, snap, &mfs, &nmfs, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    memset(&s, 0, sizeof(s));
    tmp = NULL;

    /* deletes first: they are applied as each data file is listed */

    for (i = 0; i < nmfs && rc == ICETAP_OK; i++) {
        if (mfs[i].mf.content != ICETAP_MANIFEST_DELETES) {
            continue;
        }

        rc = icetap_table_mr_open(t, &mfs[i].mf, &mr, err);
        if (rc != ICETAP_OK) {
            break;
        }

        for ( ;; ) {
            rc = icetap_table_mr_next(&mr, &e, err);
            if (rc != ICETAP_OK) {
                break;
            }

            if (e.status == ICETAP_STATUS_DELETED) {
                continue;
            }

            if (e.file.content == ICETAP_CONTENT_EQ_DELETES) {
                rc = icetap_error_set(err, ICETAP_UNSUPPORTED,
                                      "equality delete file %.200s",
                                      e.file.file_path);
                break;
            }

            if (e.file.content_offset != ICETAP_UNSET
                && e.file.referenced_data_file)
            {
                d = icetap_ts_del(&s, e.file.referenced_data_file);
                if (d == NULL) {
                    rc = icetap_error_set(err, ICETAP_NOMEM,
                                          "out of memory");
                    break;
                }

                icetap_roaring64_destroy(d->dv);
                d->dv = NULL;
                d->dv_seq = e.sequence_number;

                rc = icetap_table_read_dv(t, e.file.file_path,
                                          e.file.content_offset,
                                          e.file.content_size_in_bytes,
                                          &d->dv, err);
                if (rc != ICETAP_OK) {
                    break;
                }

                continue;
            }

            s.seq = e.sequence_number;
            s.source++;

            rc = icetap_table_read_posdel(t, e.file.file_path,
                                          e.file.file_size_in_bytes,
                                          icetap_ts_posdel_cb, &s, err);
            if (rc != ICETAP_OK) {
                if (err && err->code == ICETAP_OK) {
                    icetap_error_set(err, rc, "position delete file "
                                     "%.200s", e.file.file_path);
                }

                break;
            }
        }

        icetap_table_mr_close(&mr);

        if (rc == ICETAP_EOF) {
            rc = ICETAP_OK;
        }
    }

    for (i = 0; i < nmfs && rc == ICETAP_OK; i++) {
        if (mfs[i].mf.content != ICETAP_MANIFEST_DATA) {
            continue;
        }

        rc = icetap_table_mr_open(t, &mfs[i].mf, &mr, err);
        if (rc != ICETAP_OK) {
            break;
        }

        for ( ;; ) {
            rc = icetap_table_mr_next(&mr, &e, err);
            if (rc != ICETAP_OK) {
                break;
            }

            if (e.status == ICETAP_STATUS_DELETED) {
                continue;
            }

            memset(&tf, 0, sizeof(tf));
            tf.file = &e.file;
            tf.spec_id = mfs[i].mf.partition_spec_id;
            tf.sequence_number = e.sequence_number;
            tf.snapshot_id = e.snapshot_id;
            tf.first_row_id = t->md->format_version >= 3
                              ? e.file.first_row_id : ICETAP_UNSET;

            d = icetap_tmap_get(&s.dels, e.file.file_path);

            if (d && d->dv && d->dv_seq >= e.sequence_number) {
                tf.deleted = d->dv;

            } else if (d) {
                icetap_roaring64_destroy(tmp);
                tmp = icetap_roaring64_create();
                if (tmp == NULL) {
                    rc = icetap_error_set(err, ICETAP_NOMEM,
                                          "out of memory");
                    break;
                }

                for (pd = d->pd; pd; pd = pd->next) {
                    if (pd->seq >= e.sequence_number
                        && icetap_roaring64_or(tmp, pd->pos) != ICETAP_OK)
                    {
                        rc = ICETAP_NOMEM;
                    }
                }

                if (rc != ICETAP_OK) {
                    rc = icetap_error_set(err, rc, "out of memory");
                    break;
                }

                tf.deleted = tmp;
            }

            if (tf.deleted) {
                tf.ndeleted = icetap_roaring64_cardinality(tf.deleted);
                if (tf.ndeleted == 0) {
                    tf.deleted = NULL;
                }
            }

            rc = cb(ctx, &tf);
            if (rc != ICETAP_OK) {
                break;
            }
        }

        icetap_table_mr_close(&mr);

        if (rc == ICETAP_EOF) {
            rc = ICETAP_OK;
        }
    }

    icetap_roaring64_destroy(tmp);
    icetap_tmap_free(&s.dels, icetap_ts_del_free);
    icetap_table_mfs_free(mfs, nmfs);

    return rc;
}


/* the row reader */

typedef struct {
    icetap_table_df_t         *df;
    icetap_roaring64_t        *deleted;
} icetap_ts_file_t;


struct icetap_table_reader_s {
    icetap_table_t            *t;
    icetap_ts_file_t          *files;
    size_t                     nfiles;
    size_t                     cap;

    size_t                     cur;
    int                        rg;
    int64_t                    pos;
    icetap_pq_reader_t        *pr;
    icetap_table_pqsrc_t       src;

    icetap_pq_column_t        *cols;
    size_t                     ncols;
    int64_t                  **vidx;
    uint8_t                   *live;
    size_t                     cap_rows;
};


static icetap_rc
icetap_ts_collect(void *ctx, const icetap_table_file_t *f)
{
    icetap_ts_file_t       *nf, *x;
    icetap_table_reader_t  *r;

    r = ctx;

    if (r->nfiles == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        nf = icetap_realloc(r->files, r->cap * sizeof(icetap_ts_file_t));
        if (nf == NULL) {
            return ICETAP_NOMEM;
        }

        r->files = nf;
    }

    x = &r->files[r->nfiles];
    memset(x, 0, sizeof(icetap_ts_file_t));

    x->df = icetap_table_df_copy(f->file, f->spec_id);
    if (x->df == NULL) {
        return ICETAP_NOMEM;
    }

    if (f->deleted) {
        x->deleted = icetap_roaring64_create();
        if (x->deleted == NULL
            || icetap_roaring64_or(x->deleted, f->deleted) != ICETAP_OK)
        {
            icetap_roaring64_destroy(x->deleted);
            icetap_table_df_free(x->df);
            return ICETAP_NOMEM;
        }
    }

    r->nfiles++;

    return ICETAP_OK;
}


icetap_rc
icetap_table_reader_open(icetap_table_t *t, int64_t snapshot_id,
    icetap_table_reader_t **out, icetap_error_t *err)
{
    icetap_rc               rc;
    icetap_table_reader_t  *r;

    *out = NULL;

    r = icetap_calloc(1, sizeof(icetap_table_reader_t));
    if (r == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    r->t = t;

    rc = icetap_table_files(t, snapshot_id, icetap_ts_collect, r, err);
    if (rc != ICETAP_OK) {
        if (rc == ICETAP_NOMEM) {
            icetap_error_set(err, rc, "out of memory");
        }

        icetap_table_reader_free(r);
        return rc;
    }

    *out = r;

    return ICETAP_OK;
}


static void
icetap_ts_close_file(icetap_table_reader_t *r)
{
    size_t  i;

    if (r->pr == NULL) {
        return;
    }

    for (i = 0; i < r->ncols; i++) {
        icetap_pq_column_free(&r->cols[i]);
        icetap_free(r->vidx[i]);
    }

    icetap_free(r->cols);
    icetap_free(r->vidx);
    r->cols = NULL;
    r->vidx = NULL;
    r->ncols = 0;

    icetap_table_pq_close(&r->src, r->pr);
    r->pr = NULL;
}


icetap_rc
icetap_table_reader_next(icetap_table_reader_t *r, icetap_table_batch_t *b,
    icetap_error_t *err)
{
    size_t                     i, k, n, v;
    uint8_t                   *nl;
    icetap_rc                  rc;
    icetap_ts_file_t          *f;
    const icetap_pq_node_t    *node;
    const icetap_pq_schema_t  *s;

    memset(b, 0, sizeof(icetap_table_batch_t));

    for ( ;; ) {
        if (r->cur >= r->nfiles) {
            return ICETAP_EOF;
        }

        f = &r->files[r->cur];

        if (r->pr == NULL) {
            rc = icetap_table_pq_open(r->t, f->df->f.file_path,
                                      f->df->f.file_size_in_bytes, &r->src,
                                      &r->pr, err);
            if (rc != ICETAP_OK) {
                return rc;
            }

            s = icetap_pq_reader_schema(r->pr);
            r->ncols = icetap_pq_schema_leaves(s);
            r->cols = icetap_calloc(r->ncols + 1, sizeof(icetap_pq_column_t));
            r->vidx = icetap_calloc(r->ncols + 1, sizeof(int64_t *));
            r->rg = 0;
            r->pos = 0;

            if (r->cols == NULL || r->vidx == NULL) {
                return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
            }
        }

        if (r->rg < icetap_pq_reader_row_groups(r->pr)) {
            break;
        }

        icetap_ts_close_file(r);
        r->cur++;
    }

    s = icetap_pq_reader_schema(r->pr);
    n = (size_t) icetap_pq_reader_row_group_rows(r->pr, r->rg);

    if (n > r->cap_rows) {
        nl = icetap_realloc(r->live, n);
        if (nl == NULL) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }

        r->live = nl;
        r->cap_rows = n;
    }

    b->nlive = 0;

    for (i = 0; i < n; i++) {
        r->live[i] = f->deleted == NULL
                     || !icetap_roaring64_contains(f->deleted,
                                                   (uint64_t) r->pos + i);
        b->nlive += r->live[i];
    }

    rc = icetap_table_pq_prefetch(&r->src, r->pr, r->rg, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    for (k = 0; k < r->ncols; k++) {
        rc = icetap_pq_read_column(r->pr, r->rg, (int) k, &r->cols[k], err);
        if (rc != ICETAP_OK) {
            return rc;
        }

        node = icetap_pq_schema_leaf(s, (int) k);
        icetap_free(r->vidx[k]);
        r->vidx[k] = NULL;

        if (node->max_rep > 0 || r->cols[k].num_entries != n) {
            continue;
        }

        r->vidx[k] = icetap_alloc((n + 1) * sizeof(int64_t));
        if (r->vidx[k] == NULL) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }

        for (i = 0, v = 0; i < n; i++) {
            if (node->max_def == 0 || r->cols[k].def[i] == node->max_def) {
                r->vidx[k][i] = (int64_t) v++;

            } else {
                r->vidx[k][i] = -1;
            }
        }
    }

    b->file_path = f->df->f.file_path;
    b->schema = s;
    b->first_pos = r->pos;
    b->nrows = n;
    b->live = r->live;
    b->cols = r->cols;
    b->ncols = r->ncols;
    b->vidx = (const int64_t **) r->vidx;

    r->pos += (int64_t) n;
    r->rg++;

    return ICETAP_OK;
}


void
icetap_table_reader_free(icetap_table_reader_t *r)
{
    size_t  i;

    if (r == NULL) {
        return;
    }

    icetap_ts_close_file(r);

    for (i = 0; i < r->nfiles; i++) {
        icetap_table_df_free(r->files[i].df);
        icetap_roaring64_destroy(r->files[i].deleted);
    }

    icetap_free(r->files);
    icetap_free(r->live);
    icetap_free(r);
}


icetap_rc
icetap_table_batch_value(const icetap_table_batch_t *b, int32_t field_id,
    size_t row, icetap_value_t *v, icetap_error_t *err)
{
    int                        leaf;
    int64_t                    idx, l;
    int32_t                    i32;
    size_t                     len;
    const uint8_t             *p;
    const icetap_pq_node_t    *node;
    const icetap_pq_column_t  *c;

    memset(v, 0, sizeof(icetap_value_t));

    leaf = icetap_pq_schema_leaf_by_id(b->schema, field_id);

    if (leaf < 0 || row >= b->nrows) {
        return icetap_error_set(err, ICETAP_NOTFOUND,
                                "no column %d in %.200s", (int) field_id,
                                b->file_path);
    }

    if (b->vidx[leaf] == NULL) {
        return icetap_error_set(err, ICETAP_UNSUPPORTED,
                                "column %d is inside a list or map",
                                (int) field_id);
    }

    node = icetap_pq_schema_leaf(b->schema, leaf);
    c = &b->cols[leaf];
    idx = b->vidx[leaf][row];
    v->type = (icetap_type_id_t) node->type;

    if (idx < 0) {
        v->is_null = 1;
        return ICETAP_OK;
    }

    p = NULL;
    len = 0;

    if (c->offsets) {
        p = c->data + c->offsets[idx];
        len = c->offsets[idx + 1] - c->offsets[idx];
    }

    switch (node->type) {

    case ICETAP_PQ_BOOLEAN:
        v->v.b = ((const uint8_t *) c->values)[idx] != 0;
        return ICETAP_OK;

    case ICETAP_PQ_INT:
    case ICETAP_PQ_DATE:
        v->v.i = ((const int32_t *) c->values)[idx];
        return ICETAP_OK;

    case ICETAP_PQ_LONG:
    case ICETAP_PQ_TIME:
    case ICETAP_PQ_TIMESTAMP:
    case ICETAP_PQ_TIMESTAMPTZ:
    case ICETAP_PQ_TIMESTAMP_NS:
    case ICETAP_PQ_TIMESTAMPTZ_NS:
        v->v.l = ((const int64_t *) c->values)[idx];
        return ICETAP_OK;

    case ICETAP_PQ_FLOAT:
        v->v.f = ((const float *) c->values)[idx];
        return ICETAP_OK;

    case ICETAP_PQ_DOUBLE:
        v->v.d = ((const double *) c->values)[idx];
        return ICETAP_OK;

    case ICETAP_PQ_STRING:
    case ICETAP_PQ_BINARY:
    case ICETAP_PQ_FIXED:
        v->v.bin.data = p;
        v->v.bin.len = len;
        return ICETAP_OK;

    case ICETAP_PQ_UUID:
        if (len != 16) {
            break;
        }

        memcpy(v->v.uuid, p, 16);
        return ICETAP_OK;

    case ICETAP_PQ_DECIMAL:
        if (c->physical == ICETAP_PQ_PHYS_INT32) {
            i32 = ((const int32_t *) c->values)[idx];
            icetap_decimal_from_int64(v, i32);
            return ICETAP_OK;
        }

        if (c->physical == ICETAP_PQ_PHYS_INT64) {
            l = ((const int64_t *) c->values)[idx];
            icetap_decimal_from_int64(v, l);
            return ICETAP_OK;
        }

        if (len == 0 || len > 16) {
            break;
        }

        v->type = ICETAP_TYPE_DECIMAL;
        memcpy(v->v.dec.bytes, p, len);
        v->v.dec.len = len;
        return ICETAP_OK;

    default:
        break;
    }

    return icetap_error_set(err, ICETAP_UNSUPPORTED,
                            "column %d: value of Parquet type %d",
                            (int) field_id, (int) node->type);
}


/* expiry */

typedef struct {
    int64_t                    older_than;
    int64_t                    retain_last;
    size_t                     keep_metadata;
    icetap_snapshot_t         *removed;
    size_t                     nremoved;
    char                     **dropped;         /* metadata files */
    size_t                     ndropped;
} icetap_ts_expire_t;


static void
icetap_ts_expire_reset(icetap_ts_expire_t *x)
{
    size_t  i;

    icetap_snapshots_free(x->removed, x->nremoved);
    x->removed = NULL;
    x->nremoved = 0;

    for (i = 0; i < x->ndropped; i++) {
        icetap_free(x->dropped[i]);
    }

    icetap_free(x->dropped);
    x->dropped = NULL;
    x->ndropped = 0;
}


static void
icetap_ts_expire_abort(void *ctx, icetap_table_t *t)
{
    icetap_ts_expire_reset(ctx);
}


static icetap_rc
icetap_ts_expire_apply(void *ctx, icetap_table_t *t,
    icetap_table_metadata_t *md, icetap_error_t *err)
{
    size_t               drop, i;
    icetap_rc            rc;
    icetap_ts_expire_t  *x;

    x = ctx;
    icetap_ts_expire_reset(x);

    rc = icetap_metadata_expire_snapshots(md, x->older_than, x->retain_last,
                                          icetap_table_now_ms(), &x->removed,
                                          &x->nremoved, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    /* the commit appends the current file to the log: leave room */

    if (x->keep_metadata && md->nmetadata_log + 1 > x->keep_metadata) {
        drop = md->nmetadata_log + 1 - x->keep_metadata;

        x->dropped = icetap_calloc(drop, sizeof(char *));
        if (x->dropped == NULL) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }

        for (i = 0; i < drop; i++) {
            x->dropped[i] = md->metadata_log[i].file;
            json_decref(md->metadata_log[i].extra);
        }

        x->ndropped = drop;
        memmove(md->metadata_log, md->metadata_log + drop,
                (md->nmetadata_log - drop) * sizeof(icetap_metadata_log_t));
        md->nmetadata_log -= drop;
    }

    return ICETAP_OK;
}


/* what the retained snapshots reach: manifests and live files */

static icetap_rc
icetap_ts_reachable(icetap_table_t *t, icetap_tmap_t *manifests,
    icetap_tmap_t *files, icetap_error_t *err)
{
    size_t                    i, k, nmfs;
    icetap_rc                 rc;
    icetap_table_mr_t            mr;
    icetap_table_mf_t        *mfs;
    icetap_manifest_entry_t   e;

    for (i = 0; i < t->md->nsnapshots; i++) {
        rc = icetap_table_read_list(t, &t->md->snapshots[i], &mfs, &nmfs,
                                    err);
        if (rc != ICETAP_OK) {
            return rc;
        }

        for (k = 0; k < nmfs; k++) {
            if (icetap_tmap_get(manifests, mfs[k].mf.manifest_path)) {
                continue;
            }

            rc = icetap_tmap_put(manifests, mfs[k].mf.manifest_path,
                                 manifests);
            if (rc != ICETAP_OK) {
                break;
            }

            rc = icetap_table_mr_open(t, &mfs[k].mf, &mr, err);
            if (rc != ICETAP_OK) {
                break;
            }

            for ( ;; ) {
                rc = icetap_table_mr_next(&mr, &e, err);
                if (rc != ICETAP_OK) {
                    break;
                }

                if (e.status != ICETAP_STATUS_DELETED) {
                    rc = icetap_tmap_put(files, e.file.file_path, files);
                    if (rc != ICETAP_OK) {
                        break;
                    }
                }
            }

            icetap_table_mr_close(&mr);

            if (rc != ICETAP_EOF) {
                break;
            }

            rc = ICETAP_OK;
        }

        icetap_table_mfs_free(mfs, nmfs);

        if (rc != ICETAP_OK) {
            if (rc == ICETAP_NOMEM) {
                icetap_error_set(err, rc, "out of memory");
            }

            return rc;
        }
    }

    return ICETAP_OK;
}


icetap_rc
icetap_table_expire(icetap_table_t *t, int64_t older_than_ms,
    int64_t retain_last, size_t keep_metadata, icetap_table_expired_t *res,
    icetap_error_t *err)
{
    size_t                    i, k, nmfs;
    icetap_rc                 rc;
    icetap_tmap_t             manifests, files, gone;
    icetap_table_mr_t            mr;
    icetap_table_mf_t        *mfs;
    icetap_ts_expire_t        x;
    icetap_manifest_entry_t   e;

    memset(res, 0, sizeof(icetap_table_expired_t));
    memset(&x, 0, sizeof(x));

    x.older_than = older_than_ms;
    x.retain_last = retain_last;
    x.keep_metadata = keep_metadata;

    rc = icetap_table_commit_ex(t, icetap_ts_expire_apply,
                                icetap_ts_expire_abort, &x, err);
    if (rc != ICETAP_OK) {
        icetap_ts_expire_reset(&x);
        return rc;
    }

    res->snapshots = x.nremoved;

    for (i = 0; i < x.ndropped; i++) {
        icetap_table_delete_quiet(t, x.dropped[i]);
        res->metadata_files++;
    }

    memset(&manifests, 0, sizeof(manifests));
    memset(&files, 0, sizeof(files));
    memset(&gone, 0, sizeof(gone));

    /*
     * Deleting is safe only for what no retained snapshot reaches: a
     * concurrent commit builds on the current snapshot, which is kept.
     */

    if (x.nremoved) {
        rc = icetap_ts_reachable(t, &manifests, &files, err);
    }

    for (i = 0; i < x.nremoved && rc == ICETAP_OK; i++) {
        rc = icetap_table_read_list(t, &x.removed[i], &mfs, &nmfs, err);
        if (rc == ICETAP_NOTFOUND) {
            rc = ICETAP_OK;
            icetap_error_clear(err);
            continue;
        }

        if (rc != ICETAP_OK) {
            break;
        }

        for (k = 0; k < nmfs && rc == ICETAP_OK; k++) {
            if (icetap_tmap_get(&manifests, mfs[k].mf.manifest_path)
                || icetap_tmap_get(&gone, mfs[k].mf.manifest_path))
            {
                continue;
            }

            rc = icetap_table_mr_open(t, &mfs[k].mf, &mr, err);
            if (rc != ICETAP_OK) {
                break;
            }

            for ( ;; ) {
                rc = icetap_table_mr_next(&mr, &e, err);
                if (rc != ICETAP_OK) {
                    break;
                }

                if (icetap_tmap_get(&files, e.file.file_path)
                    || icetap_tmap_get(&gone, e.file.file_path))
                {
                    continue;
                }

                rc = icetap_tmap_put(&gone, e.file.file_path, &gone);
                if (rc != ICETAP_OK) {
                    break;
                }

                icetap_table_delete_quiet(t, e.file.file_path);

                if (e.file.content == ICETAP_CONTENT_DATA) {
                    res->data_files++;

                } else {
                    res->delete_files++;
                }
            }

            icetap_table_mr_close(&mr);

            if (rc != ICETAP_EOF) {
                break;
            }

            rc = icetap_tmap_put(&gone, mfs[k].mf.manifest_path, &gone);
            icetap_table_delete_quiet(t, mfs[k].mf.manifest_path);
            res->manifests++;
        }

        icetap_table_mfs_free(mfs, nmfs);

        if (rc == ICETAP_OK) {
            icetap_table_delete_quiet(t, x.removed[i].manifest_list);
            res->manifest_lists++;
        }
    }

    if (rc == ICETAP_NOMEM) {
        icetap_error_set(err, rc, "out of memory");
    }

    icetap_tmap_free(&manifests, NULL);
    icetap_tmap_free(&files, NULL);
    icetap_tmap_free(&gone, NULL);
    icetap_ts_expire_reset(&x);

    return rc;
}
