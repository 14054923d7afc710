/*
 * Copyright (C) icetap authors
 *
 * Committing file changes (spec sections 4, 5 and 6): fast and merging
 * appends, removal of data files, row deletes as v3 deletion vectors or
 * v2 position-delete files.
 *
 * Manifests of added files are written once and reused by every commit
 * attempt (their entries inherit snapshot id and sequence numbers).
 * Everything that depends on the base metadata -- rewritten manifests,
 * merged deletion vectors, the manifest list -- is written per attempt
 * and deleted when the attempt loses.  Each attempt first checks that
 * the files it removes or deletes rows from are still live in its base:
 * a concurrent removal fails the commit with ICETAP_CONFLICT.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <icetap/puffin.h>

#include "icetap_table_int.h"


typedef struct {
    int                        found;
    int64_t                    records;
    int64_t                    size;
} icetap_tu_rm_t;


typedef struct {
    icetap_roaring64_t        *pos;         /* requested */
    icetap_roaring64_t        *merged;      /* per attempt */
    icetap_table_df_t         *data;        /* the live data file */
    int64_t                    data_seq;
} icetap_tu_rd_t;


typedef struct {
    int32_t                    spec_id;
    icetap_table_mf_t          mf;
} icetap_tu_added_t;


struct icetap_table_update_s {
    icetap_table_t            *t;
    int64_t                    snapshot_id;
    char                       uuid[37];

    icetap_table_df_t        **adds;
    size_t                     nadds;
    size_t                     cadds;
    icetap_tmap_t              removes;     /* path -> icetap_tu_rm_t */
    icetap_tmap_t              rowdels;     /* path -> icetap_tu_rd_t */
    icetap_kvs_t               summary;
    char                      *op;
    int                        merge;
    int64_t                    since_seq;   /* deletes newer: conflict */
    char                      *inherit;     /* summary prefix carried */

    icetap_tu_added_t         *added;       /* manifests of adds */
    size_t                     nadded;
    int                        added_done;

    char                     **files;       /* written by this attempt */
    size_t                     nfiles;
    size_t                     cfiles;
    unsigned                   attempt;
    unsigned                   seq;
    int                        committed;

    /* per attempt */
    icetap_table_mf_t         *out;         /* manifests of the list */
    size_t                     nout;
    size_t                     cout;
    int64_t                    del_files;   /* summary numbers */
    int64_t                    del_records;
    int64_t                    del_size;
    int64_t                    add_del_files;
    int64_t                    add_dvs;
    int64_t                    add_pos;
    int64_t                    rm_del_files;
    int64_t                    rm_dvs;
    int64_t                    rm_pos;
};


static void
icetap_tu_rd_free(void *p)
{
    icetap_tu_rd_t  *rd;

    rd = p;
    icetap_roaring64_destroy(rd->pos);
    icetap_roaring64_destroy(rd->merged);
    icetap_table_df_free(rd->data);
    icetap_free(rd);
}


icetap_rc
icetap_table_update_new(icetap_table_t *t, icetap_table_update_t **out,
    icetap_error_t *err)
{
    icetap_rc               rc;
    icetap_table_update_t  *u;

    *out = NULL;

    if (t->md == NULL) {
        return icetap_error_set(err, ICETAP_INVALID, "table not loaded");
    }

    u = icetap_calloc(1, sizeof(icetap_table_update_t));
    if (u == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    u->t = t;
    u->since_seq = -1;

    rc = icetap_uuid4(u->uuid, err);
    if (rc == ICETAP_OK) {
        rc = icetap_metadata_new_snapshot_id(t->md, &u->snapshot_id, err);
    }

    if (rc != ICETAP_OK) {
        icetap_free(u);
        return rc;
    }

    *out = u;

    return ICETAP_OK;
}


icetap_rc
icetap_table_update_add_file(icetap_table_update_t *u,
    const icetap_data_file_t *f, icetap_error_t *err)
{
    icetap_table_df_t   *df, **na;
    icetap_partition_spec_t  *spec;

    if (f->content != ICETAP_CONTENT_DATA || f->file_path == NULL) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "only data files can be added");
    }

    spec = icetap_metadata_default_spec(u->t->md);
    if (spec == NULL || f->npartition != spec->nfields) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "file %.200s does not match the default "
                                "partition spec", f->file_path);
    }

    if (u->nadds == u->cadds) {
        u->cadds = u->cadds ? u->cadds * 2 : 16;
        na = icetap_realloc(u->adds, u->cadds * sizeof(icetap_table_df_t *));
        if (na == NULL) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }

        u->adds = na;
    }

    df = icetap_table_df_copy(f, spec->spec_id);
    if (df == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    /* added files inherit their row ids (spec 6) */

    df->f.first_row_id = ICETAP_UNSET;
    u->adds[u->nadds++] = df;
    u->added_done = 0;

    return ICETAP_OK;
}


icetap_rc
icetap_table_update_add_files(icetap_table_update_t *u,
    icetap_table_writer_t *w, icetap_error_t *err)
{
    size_t     i, n;
    icetap_rc  rc;

    n = icetap_table_writer_nfiles(w);

    for (i = 0; i < n; i++) {
        rc = icetap_table_update_add_file(u, icetap_table_writer_file(w, i),
                                          err);
        if (rc != ICETAP_OK) {
            return rc;
        }
    }

    return ICETAP_OK;
}


icetap_rc
icetap_table_update_remove_file(icetap_table_update_t *u, const char *path,
    icetap_error_t *err)
{
    icetap_tu_rm_t  *rm;

    if (icetap_tmap_get(&u->removes, path)) {
        return ICETAP_OK;
    }

    rm = icetap_calloc(1, sizeof(icetap_tu_rm_t));
    if (rm == NULL || icetap_tmap_put(&u->removes, path, rm) != ICETAP_OK) {
        icetap_free(rm);
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    return ICETAP_OK;
}


static icetap_tu_rd_t *
icetap_tu_rd(icetap_table_update_t *u, const char *path)
{
    icetap_tu_rd_t  *rd;

    rd = icetap_tmap_get(&u->rowdels, path);
    if (rd) {
        return rd;
    }

    rd = icetap_calloc(1, sizeof(icetap_tu_rd_t));
    if (rd == NULL) {
        return NULL;
    }

    rd->pos = icetap_roaring64_create();

    if (rd->pos == NULL
        || icetap_tmap_put(&u->rowdels, path, rd) != ICETAP_OK)
    {
        icetap_tu_rd_free(rd);
        return NULL;
    }

    return rd;
}


icetap_rc
icetap_table_update_delete_rows(icetap_table_update_t *u,
    const char *data_file, const icetap_roaring64_t *positions,
    icetap_error_t *err)
{
    icetap_tu_rd_t  *rd;

    rd = icetap_tu_rd(u, data_file);

    if (rd == NULL || icetap_roaring64_or(rd->pos, positions) != ICETAP_OK) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    return ICETAP_OK;
}


icetap_rc
icetap_table_update_delete_row(icetap_table_update_t *u,
    const char *data_file, uint64_t pos, icetap_error_t *err)
{
    icetap_tu_rd_t  *rd;

    if (pos > (uint64_t) INT64_MAX) {
        return icetap_error_set(err, ICETAP_INVALID, "position too large");
    }

    rd = icetap_tu_rd(u, data_file);

    if (rd == NULL || icetap_roaring64_add(rd->pos, pos) != ICETAP_OK) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    return ICETAP_OK;
}


icetap_rc
icetap_table_update_set(icetap_table_update_t *u, const char *key,
    const char *value, icetap_error_t *err)
{
    if (strcmp(key, "operation") == 0) {
        return icetap_table_update_operation(u, value, err);
    }

    if (icetap_kvs_set(&u->summary, key, value) != ICETAP_OK) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    return ICETAP_OK;
}


icetap_rc
icetap_table_update_operation(icetap_table_update_t *u, const char *op,
    icetap_error_t *err)
{
    char  *s;

    s = NULL;

    if (op) {
        if (strcmp(op, "append") && strcmp(op, "replace")
            && strcmp(op, "overwrite") && strcmp(op, "delete"))
        {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "operation \"%.32s\"", op);
        }

        s = icetap_strndup(op, strlen(op));
        if (s == NULL) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }
    }

    icetap_free(u->op);
    u->op = s;

    return ICETAP_OK;
}


void
icetap_table_update_since(icetap_table_update_t *u, int64_t sequence_number)
{
    u->since_seq = sequence_number;
}


icetap_rc
icetap_table_update_inherit(icetap_table_update_t *u, const char *prefix,
    icetap_error_t *err)
{
    icetap_free(u->inherit);

    u->inherit = icetap_strndup(prefix, strlen(prefix));
    if (u->inherit == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    return ICETAP_OK;
}


void
icetap_table_update_merge(icetap_table_update_t *u, int merge)
{
    u->merge = merge;
}


/* files of this update: deleted unless committed */

static icetap_rc
icetap_tu_track(icetap_table_update_t *u, const char *path)
{
    char  **nf, *p;

    if (u->nfiles == u->cfiles) {
        u->cfiles = u->cfiles ? u->cfiles * 2 : 16;
        nf = icetap_realloc(u->files, u->cfiles * sizeof(char *));
        if (nf == NULL) {
            return ICETAP_NOMEM;
        }

        u->files = nf;
    }

    p = icetap_strndup(path, strlen(path));
    if (p == NULL) {
        return ICETAP_NOMEM;
    }

    u->files[u->nfiles++] = p;

    return ICETAP_OK;
}


static icetap_rc
icetap_tu_out(icetap_table_update_t *u, const icetap_manifest_file_t *mf)
{
    icetap_table_mf_t  *no;

    if (u->nout == u->cout) {
        u->cout = u->cout ? u->cout * 2 : 16;
        no = icetap_realloc(u->out, u->cout * sizeof(icetap_table_mf_t));
        if (no == NULL) {
            return ICETAP_NOMEM;
        }

        u->out = no;
    }

    if (icetap_table_mf_copy(&u->out[u->nout], mf) != ICETAP_OK) {
        return ICETAP_NOMEM;
    }

    u->nout++;

    return ICETAP_OK;
}


/* a manifest being written into memory */

typedef struct {
    icetap_manifest_writer_t  *w;
    icetap_buf_t               buf;
    char                      *path;
} icetap_tu_mw_t;


static icetap_rc
icetap_tu_mw_open(icetap_table_update_t *u, icetap_table_metadata_t *md,
    int32_t spec_id, int content, icetap_tu_mw_t *mw, icetap_error_t *err)
{
    icetap_rc                       rc;
    icetap_manifest_writer_conf_t   c;

    memset(mw, 0, sizeof(icetap_tu_mw_t));
    memset(&c, 0, sizeof(c));

    c.format_version = md->format_version;
    c.content = content;
    c.schema = icetap_metadata_current_schema(md);
    c.spec = icetap_metadata_spec(md, spec_id);
    c.snapshot_id = u->snapshot_id;
    c.codec = ICETAP_AVRO_CODEC_NULL;
    c.write = icetap_avro_write_buf;
    c.ctx = &mw->buf;

    if (c.spec == NULL) {
        return icetap_error_set(err, ICETAP_CONFLICT,
                                "partition spec %d is gone", (int) spec_id);
    }

    mw->path = icetap_table_path(u->t, "metadata/%s-m%u.avro", u->uuid,
                                 u->seq++);
    if (mw->path == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    rc = icetap_manifest_writer_create(&c, &mw->w, err);
    if (rc != ICETAP_OK) {
        icetap_free(mw->path);
        mw->path = NULL;
    }

    return rc;
}


static void
icetap_tu_mw_free(icetap_tu_mw_t *mw)
{
    icetap_manifest_writer_destroy(mw->w);
    icetap_buf_free(&mw->buf);
    icetap_free(mw->path);
    memset(mw, 0, sizeof(icetap_tu_mw_t));
}


/* finish, upload; the manifest-list item into *mf (copied) */

static icetap_rc
icetap_tu_mw_finish(icetap_table_update_t *u, icetap_tu_mw_t *mw,
    icetap_table_mf_t *out, icetap_error_t *err)
{
    icetap_rc               rc;
    icetap_manifest_file_t  mf;

    rc = icetap_manifest_writer_finish(mw->w, mw->path, &mf, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    /* manifests of added files (out != NULL) outlive lost attempts */

    if (out == NULL && icetap_tu_track(u, mw->path) != ICETAP_OK) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    rc = icetap_table_put(u->t, mw->path, mw->buf.data, mw->buf.len, 1, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (out) {
        if (icetap_table_mf_copy(out, &mf) != ICETAP_OK) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }

        return ICETAP_OK;
    }

    if (icetap_tu_out(u, &mf) != ICETAP_OK) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    return ICETAP_OK;
}


/* manifests of the added files, one per spec, written once */

static icetap_rc
icetap_tu_write_added(icetap_table_update_t *u, icetap_table_metadata_t *md,
    icetap_error_t *err)
{
    size_t                    i, k;
    int32_t                   spec;
    icetap_rc                 rc;
    icetap_tu_mw_t            mw;
    icetap_tu_added_t        *na;
    icetap_manifest_entry_t   e;

    if (u->added_done) {
        return ICETAP_OK;
    }

    for (i = 0; i < u->nadded; i++) {
        icetap_table_delete_quiet(u->t, u->added[i].mf.mf.manifest_path);
        icetap_table_mf_clear(&u->added[i].mf);
    }

    u->nadded = 0;

    for (i = 0; i < u->nadds; i++) {
        spec = u->adds[i]->spec_id;

        for (k = 0; k < u->nadded && u->added[k].spec_id != spec; k++) {
            /* void */
        }

        if (k < u->nadded) {
            continue;
        }

        rc = icetap_tu_mw_open(u, md, spec, ICETAP_MANIFEST_DATA, &mw, err);
        if (rc != ICETAP_OK) {
            return rc;
        }

        for (k = i; k < u->nadds && rc == ICETAP_OK; k++) {
            if (u->adds[k]->spec_id != spec) {
                continue;
            }

            memset(&e, 0, sizeof(e));
            e.status = ICETAP_STATUS_ADDED;
            e.snapshot_id = u->snapshot_id;
            e.sequence_number = ICETAP_UNSET;
            e.file_sequence_number = ICETAP_UNSET;
            e.file = u->adds[k]->f;

            if (md->format_version < 3) {
                e.file.first_row_id = ICETAP_UNSET;
                e.file.content_offset = ICETAP_UNSET;
                e.file.content_size_in_bytes = ICETAP_UNSET;
            }

            rc = icetap_manifest_writer_add(mw.w, &e, err);
        }

        na = icetap_realloc(u->added,
                            (u->nadded + 1) * sizeof(icetap_tu_added_t));
        if (na == NULL && rc == ICETAP_OK) {
            rc = icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }

        if (na) {
            u->added = na;
        }

        if (rc == ICETAP_OK) {
            memset(&na[u->nadded], 0, sizeof(icetap_tu_added_t));
            na[u->nadded].spec_id = spec;
            rc = icetap_tu_mw_finish(u, &mw, &na[u->nadded].mf, err);
            if (rc == ICETAP_OK) {
                u->nadded++;
            }
        }

        icetap_tu_mw_free(&mw);

        if (rc != ICETAP_OK) {
            return rc;
        }
    }

    u->added_done = 1;

    return ICETAP_OK;
}


/* reading a manifest of the base */


static int
icetap_tu_live(const icetap_manifest_entry_t *e)
{
    return e->status != ICETAP_STATUS_DELETED;
}


/* is this delete entry one that goes with the files we change? */

static int
icetap_tu_del_affected(icetap_table_update_t *u,
    const icetap_manifest_entry_t *e, int v3)
{
    const char  *ref;

    ref = e->file.referenced_data_file;

    if (e->file.content != ICETAP_CONTENT_POS_DELETES || ref == NULL) {
        return 0;
    }

    if (icetap_tmap_get(&u->removes, ref)) {
        return 1;
    }

    /* v3 keeps one DV per file: the old one is folded into the new */

    return v3 && icetap_tmap_get(&u->rowdels, ref) != NULL;
}


static icetap_rc
icetap_tu_posdel_cb(void *ctx, const char *path, size_t len, int64_t pos)
{
    char            buf[1024];
    icetap_tu_rd_t *rd;
    icetap_table_update_t  *u;

    u = ctx;

    if (len >= sizeof(buf) || pos < 0) {
        return ICETAP_OK;
    }

    memcpy(buf, path, len);
    buf[len] = '\0';

    rd = icetap_tmap_get(&u->rowdels, buf);
    if (rd == NULL || rd->merged == NULL) {
        return ICETAP_OK;
    }

    return icetap_roaring64_add(rd->merged, (uint64_t) pos);
}


/*
 * Pass 1 over the base: find the files we remove or delete rows from,
 * check they are live, collect old deletion vectors to merge, and mark
 * the manifests that must be rewritten.
 */

static icetap_rc
icetap_tu_scan(icetap_table_update_t *u, icetap_table_metadata_t *md,
    icetap_table_mf_t *base, size_t nbase, uint8_t *rewrite,
    icetap_error_t *err)
{
    int                       v3;
    size_t                    i;
    uint64_t                  max;
    icetap_rc                 rc;
    icetap_tu_rm_t           *rm;
    icetap_tu_rd_t           *rd;
    icetap_table_mr_t            mr;
    icetap_roaring64_t       *old;
    icetap_manifest_entry_t   e;

    v3 = md->format_version >= 3;

    for (i = 0; i < nbase; i++) {
        rc = icetap_table_mr_open(u->t, &base[i].mf, &mr, err);
        if (rc != ICETAP_OK) {
            return rc;
        }

        for ( ;; ) {
            rc = icetap_table_mr_next(&mr, &e, err);
            if (rc != ICETAP_OK) {
                break;
            }

            if (!icetap_tu_live(&e)) {
                continue;
            }

            if (e.file.content == ICETAP_CONTENT_DATA) {
                rm = icetap_tmap_get(&u->removes, e.file.file_path);
                if (rm) {
                    rm->found = 1;
                    rm->records = e.file.record_count;
                    rm->size = e.file.file_size_in_bytes;
                    rewrite[i] = 1;
                }

                rd = icetap_tmap_get(&u->rowdels, e.file.file_path);
                if (rd && rd->data == NULL) {
                    rd->data = icetap_table_df_copy(&e.file,
                                                    base[i].mf
                                                    .partition_spec_id);
                    if (rd->data == NULL) {
                        rc = icetap_error_set(err, ICETAP_NOMEM,
                                              "out of memory");
                        break;
                    }

                    rd->data_seq = e.sequence_number;
                }

                continue;
            }

            if (u->since_seq >= 0 && u->removes.n
                && e.sequence_number > u->since_seq
                && (e.file.referenced_data_file == NULL
                    || icetap_tmap_get(&u->removes,
                                       e.file.referenced_data_file)))
            {
                rc = icetap_error_set(err, ICETAP_CONFLICT,
                                      "rows of a data file to remove were "
                                      "deleted by a concurrent commit (%.300s)",
                                      e.file.file_path);
                break;
            }

            if (icetap_tu_del_affected(u, &e, v3)) {
                rewrite[i] = 1;
            }

            if (!v3 || e.file.content != ICETAP_CONTENT_POS_DELETES) {
                continue;
            }

            /* fold existing deletes of the files we delete rows from */

            if (e.file.referenced_data_file) {
                rd = icetap_tmap_get(&u->rowdels,
                                     e.file.referenced_data_file);
                if (rd == NULL) {
                    continue;
                }

                if (e.file.content_offset != ICETAP_UNSET) {
                    rc = icetap_table_read_dv(u->t, e.file.file_path,
                                              e.file.content_offset,
                                              e.file.content_size_in_bytes,
                                              &old, err);
                    if (rc == ICETAP_OK) {
                        rc = icetap_roaring64_or(rd->merged, old);
                        icetap_roaring64_destroy(old);
                    }

                } else {
                    rc = icetap_table_read_posdel(u->t, e.file.file_path,
                                                  e.file.file_size_in_bytes,
                                                  icetap_tu_posdel_cb, u,
                                                  err);
                }

            } else if (u->rowdels.n) {
                /* a v2 position-delete file of many data files */
                rc = icetap_table_read_posdel(u->t, e.file.file_path,
                                              e.file.file_size_in_bytes,
                                              icetap_tu_posdel_cb, u, err);
            }

            if (rc != ICETAP_OK) {
                break;
            }
        }

        icetap_table_mr_close(&mr);

        if (rc != ICETAP_EOF) {
            return rc;
        }
    }

    for (i = 0; i < u->removes.cap; i++) {
        rm = u->removes.slots[i].value;

        if (u->removes.slots[i].key && !rm->found) {
            return icetap_error_set(err, ICETAP_CONFLICT,
                                    "data file %.300s to remove is not live "
                                    "(removed by a concurrent commit?)",
                                    u->removes.slots[i].key);
        }
    }

    for (i = 0; i < u->rowdels.cap; i++) {
        rd = u->rowdels.slots[i].value;

        if (u->rowdels.slots[i].key == NULL) {
            continue;
        }

        if (rd->data == NULL) {
            return icetap_error_set(err, ICETAP_CONFLICT,
                                    "data file %.300s to delete rows from "
                                    "is not live",
                                    u->rowdels.slots[i].key);
        }

        if (icetap_roaring64_max(rd->pos, &max)
            && max >= (uint64_t) rd->data->f.record_count)
        {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "position %llu is beyond the %lld rows "
                                    "of %.300s", (unsigned long long) max,
                                    (long long) rd->data->f.record_count,
                                    u->rowdels.slots[i].key);
        }

        if (icetap_tmap_get(&u->removes, u->rowdels.slots[i].key)) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "data file %.300s is both removed and "
                                    "row-deleted", u->rowdels.slots[i].key);
        }
    }

    return ICETAP_OK;
}


/* pass 2: rewrite a manifest, marking what we remove as DELETED */

static icetap_rc
icetap_tu_rewrite(icetap_table_update_t *u, icetap_table_metadata_t *md,
    const icetap_manifest_file_t *mf, icetap_error_t *err)
{
    int                       v3, gone;
    icetap_rc                 rc;
    icetap_table_mr_t            mr;
    icetap_tu_mw_t            mw;
    icetap_manifest_entry_t   e;

    v3 = md->format_version >= 3;

    rc = icetap_table_mr_open(u->t, mf, &mr, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    rc = icetap_tu_mw_open(u, md, mf->partition_spec_id, mf->content, &mw,
                           err);
    if (rc != ICETAP_OK) {
        icetap_table_mr_close(&mr);
        return rc;
    }

    for ( ;; ) {
        rc = icetap_table_mr_next(&mr, &e, err);
        if (rc != ICETAP_OK) {
            break;
        }

        if (!icetap_tu_live(&e)) {
            continue;
        }

        if (e.file.content == ICETAP_CONTENT_DATA) {
            gone = icetap_tmap_get(&u->removes, e.file.file_path) != NULL;

        } else {
            gone = icetap_tu_del_affected(u, &e, v3);

            if (gone) {
                u->rm_del_files++;
                u->rm_pos += e.file.record_count;
                u->rm_dvs += e.file.content_offset != ICETAP_UNSET;
            }
        }

        if (gone) {
            e.status = ICETAP_STATUS_DELETED;
            e.snapshot_id = u->snapshot_id;

        } else {
            e.status = ICETAP_STATUS_EXISTING;
        }

        if (!v3) {
            e.file.first_row_id = ICETAP_UNSET;
        }

        rc = icetap_manifest_writer_add(mw.w, &e, err);
        if (rc != ICETAP_OK) {
            break;
        }
    }

    icetap_table_mr_close(&mr);

    if (rc == ICETAP_EOF) {
        rc = icetap_tu_mw_finish(u, &mw, NULL, err);
    }

    icetap_tu_mw_free(&mw);

    return rc;
}


/* merging append: small data manifests of a spec become one */

static icetap_rc
icetap_tu_merge(icetap_table_update_t *u, icetap_table_metadata_t *md,
    icetap_table_mf_t *base, size_t nbase, uint8_t *skip,
    icetap_error_t *err)
{
    int        open;
    size_t     i, k, count;
    int32_t    spec;
    icetap_rc  rc;
    icetap_table_mr_t            mr;
    icetap_tu_mw_t            mw;
    icetap_manifest_entry_t   e;

    for (i = 0; i < nbase; i++) {
        if (skip[i] || base[i].mf.content != ICETAP_MANIFEST_DATA) {
            continue;
        }

        spec = base[i].mf.partition_spec_id;
        count = 0;

        for (k = 0; k < nbase; k++) {
            if (!skip[k] && base[k].mf.content == ICETAP_MANIFEST_DATA
                && base[k].mf.partition_spec_id == spec)
            {
                count++;
            }
        }

        for (k = 0; k < u->nout; k++) {
            if (u->out[k].mf.content == ICETAP_MANIFEST_DATA
                && u->out[k].mf.partition_spec_id == spec)
            {
                count++;
            }
        }

        if (count <= u->t->merge_min_count) {
            continue;
        }

        open = 0;
        rc = ICETAP_OK;

        for (k = i; k < nbase; k++) {
            if (skip[k] || base[k].mf.content != ICETAP_MANIFEST_DATA
                || base[k].mf.partition_spec_id != spec
                || (size_t) base[k].mf.manifest_length
                   >= u->t->merge_target_size)
            {
                continue;
            }

            if (!open) {
                rc = icetap_tu_mw_open(u, md, spec, ICETAP_MANIFEST_DATA,
                                       &mw, err);
                if (rc != ICETAP_OK) {
                    return rc;
                }

                open = 1;
            }

            skip[k] = 2;

            rc = icetap_table_mr_open(u->t, &base[k].mf, &mr, err);
            if (rc != ICETAP_OK) {
                break;
            }

            for ( ;; ) {
                rc = icetap_table_mr_next(&mr, &e, err);
                if (rc != ICETAP_OK) {
                    break;
                }

                if (!icetap_tu_live(&e)) {
                    continue;
                }

                e.status = ICETAP_STATUS_EXISTING;

                rc = icetap_manifest_writer_add(mw.w, &e, err);
                if (rc != ICETAP_OK) {
                    break;
                }
            }

            icetap_table_mr_close(&mr);

            if (rc != ICETAP_EOF) {
                break;
            }

            rc = ICETAP_OK;
        }

        if (open) {
            if (rc == ICETAP_OK) {
                rc = icetap_tu_mw_finish(u, &mw, NULL, err);
            }

            icetap_tu_mw_free(&mw);
        }

        if (rc != ICETAP_OK) {
            return rc;
        }
    }

    return ICETAP_OK;
}


/* v3: one Puffin file with a DV per data file, and its manifests */

static icetap_rc
icetap_tu_write_dvs(icetap_table_update_t *u, icetap_table_metadata_t *md,
    icetap_error_t *err)
{
    char                     *path;
    size_t                    i, k, n;
    int64_t                  *offs, *lens;
    icetap_rc                 rc;
    icetap_buf_t              file;
    icetap_tu_rd_t           *rd, **rds;
    icetap_tu_mw_t            mw;
    icetap_manifest_entry_t   e;
    icetap_puffin_writer_t   *pw;

    n = u->rowdels.n;
    rds = icetap_calloc(n + 1, sizeof(icetap_tu_rd_t *));
    offs = icetap_calloc(n + 1, sizeof(int64_t));
    lens = icetap_calloc(n + 1, sizeof(int64_t));
    pw = icetap_puffin_writer_create("icetap");
    path = icetap_table_path(u->t, "data/%s-%u-deletes.puffin", u->uuid,
                             u->attempt);
    memset(&file, 0, sizeof(file));

    rc = ICETAP_OK;

    if (rds == NULL || offs == NULL || lens == NULL || pw == NULL
        || path == NULL)
    {
        rc = icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        goto done;
    }

    for (i = 0, k = 0; i < u->rowdels.cap; i++) {
        if (u->rowdels.slots[i].key) {
            rds[k++] = u->rowdels.slots[i].value;
        }
    }

    for (i = 0; i < n && rc == ICETAP_OK; i++) {
        rc = icetap_puffin_add_dv(pw, rds[i]->data->f.file_path,
                                  rds[i]->merged, &offs[i], &lens[i], err);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_puffin_finish(pw, &file, err);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_tu_track(u, path) == ICETAP_OK
             ? icetap_table_put(u->t, path, file.data, file.len, 1, err)
             : icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    /* one delete manifest per spec of the data files */

    for (i = 0; i < n && rc == ICETAP_OK; i++) {
        if (rds[i] == NULL) {
            continue;
        }

        rc = icetap_tu_mw_open(u, md, rds[i]->data->spec_id,
                               ICETAP_MANIFEST_DELETES, &mw, err);

        for (k = i; k < n && rc == ICETAP_OK; k++) {
            rd = rds[k];

            if (rd == NULL || rd->data->spec_id != rds[i]->data->spec_id) {
                continue;
            }

            memset(&e, 0, sizeof(e));
            e.status = ICETAP_STATUS_ADDED;
            e.snapshot_id = u->snapshot_id;
            e.sequence_number = ICETAP_UNSET;
            e.file_sequence_number = ICETAP_UNSET;
            e.file.content = ICETAP_CONTENT_POS_DELETES;
            e.file.file_path = path;
            e.file.file_format = "PUFFIN";
            e.file.partition = rd->data->f.partition;
            e.file.npartition = rd->data->f.npartition;
            e.file.record_count =
                (int64_t) icetap_roaring64_cardinality(rd->merged);
            e.file.file_size_in_bytes = (int64_t) file.len;
            e.file.sort_order_id = ICETAP_UNSET;
            e.file.first_row_id = ICETAP_UNSET;
            e.file.referenced_data_file = rd->data->f.file_path;
            e.file.content_offset = offs[k];
            e.file.content_size_in_bytes = lens[k];

            rc = icetap_manifest_writer_add(mw.w, &e, err);

            u->add_del_files++;
            u->add_dvs++;
            u->add_pos += e.file.record_count;
            rds[k] = k == i ? rd : NULL;
        }

        if (rc == ICETAP_OK) {
            rc = icetap_tu_mw_finish(u, &mw, NULL, err);
        }

        icetap_tu_mw_free(&mw);
        rds[i] = NULL;
    }

done:

    icetap_free(rds);
    icetap_free(offs);
    icetap_free(lens);
    icetap_free(path);
    icetap_buf_free(&file);
    icetap_puffin_writer_destroy(pw);

    return rc;
}


/* v2: a position-delete Parquet file per partition of the data files */

typedef struct {
    const char                *path;
    uint64_t                   pos;
} icetap_tu_pd_t;


static int
icetap_tu_rd_cmp(const void *a, const void *b)
{
    const icetap_tu_rd_t  *x = *(icetap_tu_rd_t *const *) a;
    const icetap_tu_rd_t  *y = *(icetap_tu_rd_t *const *) b;

    return strcmp(x->data->f.file_path, y->data->f.file_path);
}


typedef struct {
    icetap_pq_writer_t        *pw;
    const char                *path;
    icetap_rc                  rc;
} icetap_tu_pdw_t;


static icetap_rc
icetap_tu_pd_row(void *ctx, uint64_t pos)
{
    icetap_rc         rc;
    icetap_tu_pdw_t  *p;

    p = ctx;

    rc = icetap_pq_str(p->pw, p->path);
    if (rc == ICETAP_OK) {
        rc = icetap_pq_int64(p->pw, (int64_t) pos);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_pq_end_row(p->pw);
    }

    return rc;
}


static icetap_rc
icetap_tu_write_posdels(icetap_table_update_t *u,
    icetap_table_metadata_t *md, icetap_error_t *err)
{
    int                       one;
    char                     *path;
    size_t                    i, k, n;
    icetap_rc                 rc;
    icetap_buf_t              file, ki, kk;
    icetap_tu_rd_t          **rds;
    icetap_tu_mw_t            mw;
    icetap_tu_pdw_t           p;
    icetap_pq_schema_t       *ps;
    icetap_manifest_entry_t   e;
    icetap_pq_writer_conf_t   pc;

    n = u->rowdels.n;
    rds = icetap_calloc(n + 1, sizeof(icetap_tu_rd_t *));
    ps = icetap_pq_schema_new(err);
    memset(&file, 0, sizeof(file));
    memset(&ki, 0, sizeof(ki));
    memset(&kk, 0, sizeof(kk));
    memset(&mw, 0, sizeof(mw));

    if (rds == NULL || ps == NULL) {
        icetap_free(rds);
        icetap_pq_schema_free(ps);
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    icetap_pq_schema_add(ps, ICETAP_PQ_ROOT, 2147483546, "file_path", 1,
                         ICETAP_PQ_STRING, 0, 0, err);
    icetap_pq_schema_add(ps, ICETAP_PQ_ROOT, 2147483545, "pos", 1,
                         ICETAP_PQ_LONG, 0, 0, err);

    rc = icetap_pq_schema_finish(ps, err);

    for (i = 0, k = 0; i < u->rowdels.cap; i++) {
        if (u->rowdels.slots[i].key) {
            rds[k++] = u->rowdels.slots[i].value;
        }
    }

    /* sorted by file_path, as the spec requires */

    qsort(rds, n, sizeof(icetap_tu_rd_t *), icetap_tu_rd_cmp);

    for (i = 0; i < n && rc == ICETAP_OK; i++) {
        if (rds[i] == NULL) {
            continue;
        }

        rc = icetap_table_partition_key(rds[i]->data->f.partition,
                                        rds[i]->data->f.npartition,
                                        rds[i]->data->spec_id, &ki);
        if (rc != ICETAP_OK) {
            break;
        }

        path = icetap_table_path(u->t, "data/%s-%u-%05u-deletes.parquet",
                                 u->uuid, u->attempt, u->seq++);
        if (path == NULL || icetap_tu_track(u, path) != ICETAP_OK) {
            icetap_free(path);
            rc = icetap_error_set(err, ICETAP_NOMEM, "out of memory");
            break;
        }

        icetap_pq_writer_conf_init(&pc);
        file.len = 0;
        p.pw = icetap_pq_writer_open(ps, &pc, icetap_avro_write_buf, &file,
                                     err);
        if (p.pw == NULL) {
            icetap_free(path);
            rc = err ? err->code : ICETAP_ERROR;
            break;
        }

        one = 1;

        for (k = i; k < n && rc == ICETAP_OK; k++) {
            if (rds[k] == NULL) {
                continue;
            }

            rc = icetap_table_partition_key(rds[k]->data->f.partition,
                                            rds[k]->data->f.npartition,
                                            rds[k]->data->spec_id, &kk);
            if (rc != ICETAP_OK || kk.len != ki.len
                || memcmp(kk.data, ki.data, ki.len) != 0)
            {
                continue;
            }

            if (k != i) {
                one = 0;
            }

            p.path = rds[k]->data->f.file_path;
            rc = icetap_roaring64_iterate(rds[k]->merged, icetap_tu_pd_row,
                                          &p);
            u->add_pos += (int64_t)
                          icetap_roaring64_cardinality(rds[k]->merged);

            if (k != i) {
                rds[k] = NULL;
            }
        }

        if (rc == ICETAP_OK) {
            rc = icetap_pq_writer_close(p.pw);
        }

        if (rc == ICETAP_OK) {
            rc = icetap_table_put(u->t, path, file.data, file.len, 1, err);
        }

        if (rc == ICETAP_OK) {
            rc = icetap_tu_mw_open(u, md, rds[i]->data->spec_id,
                                   ICETAP_MANIFEST_DELETES, &mw, err);
        }

        if (rc == ICETAP_OK) {
            memset(&e, 0, sizeof(e));
            e.status = ICETAP_STATUS_ADDED;
            e.snapshot_id = u->snapshot_id;
            e.sequence_number = ICETAP_UNSET;
            e.file_sequence_number = ICETAP_UNSET;
            e.file.content = ICETAP_CONTENT_POS_DELETES;
            e.file.file_path = path;
            e.file.file_format = "PARQUET";
            e.file.partition = rds[i]->data->f.partition;
            e.file.npartition = rds[i]->data->f.npartition;
            e.file.record_count = icetap_pq_writer_rows(p.pw);
            e.file.file_size_in_bytes = (int64_t) file.len;
            e.file.sort_order_id = ICETAP_UNSET;
            e.file.first_row_id = ICETAP_UNSET;
            e.file.referenced_data_file = one ? rds[i]->data->f.file_path
                                              : NULL;
            e.file.content_offset = ICETAP_UNSET;
            e.file.content_size_in_bytes = ICETAP_UNSET;

            rc = icetap_manifest_writer_add(mw.w, &e, err);
            u->add_del_files++;
        }

        if (rc == ICETAP_OK) {
            rc = icetap_tu_mw_finish(u, &mw, NULL, err);
        }

        if (rc == ICETAP_NOMEM && err && err->code == ICETAP_OK) {
            icetap_error_set(err, rc, "out of memory");
        }

        icetap_tu_mw_free(&mw);
        icetap_pq_writer_free(p.pw);
        icetap_free(path);
        rds[i] = NULL;
    }

    icetap_free(rds);
    icetap_pq_schema_free(ps);
    icetap_buf_free(&file);
    icetap_buf_free(&ki);
    icetap_buf_free(&kk);

    return rc;
}


/* summary: Java's keys, totals carried forward from the parent */

static int64_t
icetap_tu_total(const icetap_snapshot_t *parent, const char *key)
{
    const char  *s;

    if (parent == NULL) {
        return 0;
    }

    s = icetap_kvs_get(&parent->summary, key);

    return s ? strtoll(s, NULL, 10) : 0;
}


static icetap_rc
icetap_tu_put(icetap_kvs_t *m, const char *key, int64_t v, int always)
{
    char  num[24];

    if (v == 0 && !always) {
        return ICETAP_OK;
    }

    snprintf(num, sizeof(num), "%lld", (long long) v);

    return icetap_kvs_set(m, key, num);
}


static icetap_rc
icetap_tu_summary(icetap_table_update_t *u, const icetap_snapshot_t *parent,
    icetap_snapshot_t *snap)
{
    size_t         i;
    int64_t        add_records, add_size;
    icetap_rc      rc;
    const char    *op;
    icetap_kvs_t  *m;

    m = &snap->summary;
    add_records = add_size = 0;

    for (i = 0; i < u->nadds; i++) {
        add_records += u->adds[i]->f.record_count;
        add_size += u->adds[i]->f.file_size_in_bytes;
    }

    op = u->op;

    if (op == NULL) {
        if (u->del_files == 0 && u->rowdels.n == 0) {
            op = "append";

        } else if (u->nadds == 0) {
            op = "delete";

        } else {
            op = "overwrite";
        }
    }

    rc = icetap_kvs_set(m, "operation", op);
    rc |= icetap_tu_put(m, "added-data-files", (int64_t) u->nadds, 0);
    rc |= icetap_tu_put(m, "deleted-data-files", u->del_files, 0);
    rc |= icetap_tu_put(m, "added-delete-files", u->add_del_files, 0);
    rc |= icetap_tu_put(m, "removed-delete-files", u->rm_del_files, 0);
    rc |= icetap_tu_put(m, "added-dvs", u->add_dvs, 0);
    rc |= icetap_tu_put(m, "removed-dvs", u->rm_dvs, 0);
    rc |= icetap_tu_put(m, "added-position-delete-files",
                        u->add_del_files - u->add_dvs, 0);
    rc |= icetap_tu_put(m, "added-records", add_records, 0);
    rc |= icetap_tu_put(m, "deleted-records", u->del_records, 0);
    rc |= icetap_tu_put(m, "added-files-size", add_size, 0);
    rc |= icetap_tu_put(m, "removed-files-size", u->del_size, 0);
    rc |= icetap_tu_put(m, "added-position-deletes", u->add_pos, 0);
    rc |= icetap_tu_put(m, "removed-position-deletes", u->rm_pos, 0);

    rc |= icetap_tu_put(m, "total-records",
                        icetap_tu_total(parent, "total-records")
                        + add_records - u->del_records, 1);
    rc |= icetap_tu_put(m, "total-files-size",
                        icetap_tu_total(parent, "total-files-size")
                        + add_size - u->del_size, 1);
    rc |= icetap_tu_put(m, "total-data-files",
                        icetap_tu_total(parent, "total-data-files")
                        + (int64_t) u->nadds - u->del_files, 1);
    rc |= icetap_tu_put(m, "total-delete-files",
                        icetap_tu_total(parent, "total-delete-files")
                        + u->add_del_files - u->rm_del_files, 1);
    rc |= icetap_tu_put(m, "total-position-deletes",
                        icetap_tu_total(parent, "total-position-deletes")
                        + u->add_pos - u->rm_pos, 1);
    rc |= icetap_tu_put(m, "total-equality-deletes",
                        icetap_tu_total(parent, "total-equality-deletes"),
                        1);

    /* the parent's properties of a prefix, kept by a rewrite */

    for (i = 0; u->inherit && parent && i < parent->summary.n; i++) {
        if (strncmp(parent->summary.items[i].key, u->inherit,
                    strlen(u->inherit)) == 0
            && icetap_kvs_get(&u->summary, parent->summary.items[i].key)
               == NULL)
        {
            rc |= icetap_kvs_set(m, parent->summary.items[i].key,
                                 parent->summary.items[i].value);
        }
    }

    for (i = 0; i < u->summary.n; i++) {
        rc |= icetap_kvs_set(m, u->summary.items[i].key,
                             u->summary.items[i].value);
    }

    return rc == ICETAP_OK ? ICETAP_OK : ICETAP_NOMEM;
}


static void
icetap_tu_reset_attempt(icetap_table_update_t *u)
{
    size_t           i;
    icetap_tu_rd_t  *rd;

    icetap_table_mfs_free(u->out, u->nout);
    u->out = NULL;
    u->nout = u->cout = 0;

    for (i = 0; i < u->rowdels.cap; i++) {
        rd = u->rowdels.slots[i].value;

        if (u->rowdels.slots[i].key) {
            icetap_roaring64_destroy(rd->merged);
            icetap_table_df_free(rd->data);
            rd->merged = NULL;
            rd->data = NULL;
        }
    }

    for (i = 0; i < u->removes.cap; i++) {
        if (u->removes.slots[i].key) {
            memset(u->removes.slots[i].value, 0, sizeof(icetap_tu_rm_t));
        }
    }

    u->del_files = u->del_records = u->del_size = 0;
    u->add_del_files = u->add_dvs = u->add_pos = 0;
    u->rm_del_files = u->rm_dvs = u->rm_pos = 0;
}


static void
icetap_tu_abort(void *ctx, icetap_table_t *t)
{
    size_t                  i;
    icetap_table_update_t  *u;

    u = ctx;

    for (i = 0; i < u->nfiles; i++) {
        icetap_table_delete_quiet(t, u->files[i]);
        icetap_free(u->files[i]);
    }

    u->nfiles = 0;
    icetap_tu_reset_attempt(u);
}


static icetap_rc
icetap_tu_apply(void *ctx, icetap_table_t *t, icetap_table_metadata_t *md,
    icetap_error_t *err)
{
    size_t                              i;
    int64_t                             added_rows;
    uint8_t                            *flags;
    icetap_rc                           rc;
    icetap_buf_t                        list;
    icetap_snapshot_t                   snap, *parent;
    icetap_tu_rd_t                     *rd;
    icetap_tu_rm_t                     *rm;
    icetap_table_mf_t                  *base;
    size_t                              nbase;
    icetap_table_update_t              *u;
    icetap_manifest_list_writer_t      *lw;
    icetap_manifest_list_writer_conf_t  lc;

    u = ctx;
    u->attempt++;
    icetap_tu_reset_attempt(u);

    if (icetap_metadata_snapshot(md, u->snapshot_id) != NULL) {
        return icetap_error_set(err, ICETAP_CONFLICT,
                                "snapshot id %lld already taken",
                                (long long) u->snapshot_id);
    }

    parent = icetap_metadata_current_snapshot(md);

    rc = icetap_table_read_list(t, parent, &base, &nbase, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    flags = icetap_calloc(nbase + 1, 1);
    memset(&list, 0, sizeof(list));
    memset(&snap, 0, sizeof(snap));
    lw = NULL;

    if (flags == NULL) {
        rc = icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        goto done;
    }

    for (i = 0; i < u->rowdels.cap; i++) {
        rd = u->rowdels.slots[i].value;

        if (u->rowdels.slots[i].key) {
            rd->merged = icetap_roaring64_create();
            if (rd->merged == NULL
                || icetap_roaring64_or(rd->merged, rd->pos) != ICETAP_OK)
            {
                rc = icetap_error_set(err, ICETAP_NOMEM, "out of memory");
                goto done;
            }
        }
    }

    if (u->removes.n || u->rowdels.n) {
        rc = icetap_tu_scan(u, md, base, nbase, flags, err);
        if (rc != ICETAP_OK) {
            goto done;
        }
    }

    for (i = 0; i < u->removes.cap; i++) {
        rm = u->removes.slots[i].value;

        if (u->removes.slots[i].key) {
            u->del_files++;
            u->del_records += rm->records;
            u->del_size += rm->size;
        }
    }

    /* new manifests first, then the kept ones of the parent */

    rc = icetap_tu_write_added(u, md, err);
    if (rc != ICETAP_OK) {
        goto done;
    }

    for (i = 0; i < u->nadded; i++) {
        if (icetap_tu_out(u, &u->added[i].mf.mf) != ICETAP_OK) {
            rc = icetap_error_set(err, ICETAP_NOMEM, "out of memory");
            goto done;
        }
    }

    if (u->rowdels.n) {
        rc = md->format_version >= 3 ? icetap_tu_write_dvs(u, md, err)
                                     : icetap_tu_write_posdels(u, md, err);
        if (rc != ICETAP_OK) {
            goto done;
        }
    }

    for (i = 0; i < nbase; i++) {
        if (flags[i]) {
            rc = icetap_tu_rewrite(u, md, &base[i].mf, err);
            if (rc != ICETAP_OK) {
                goto done;
            }
        }
    }

    /* manifests with nothing live left are dropped (Java does the same) */

    for (i = 0; i < nbase; i++) {
        if (!flags[i] && base[i].mf.added_files_count == 0
            && base[i].mf.existing_files_count == 0)
        {
            flags[i] = 3;
        }
    }

    if (u->merge) {
        rc = icetap_tu_merge(u, md, base, nbase, flags, err);
        if (rc != ICETAP_OK) {
            goto done;
        }
    }

    rc = icetap_metadata_snapshot_begin(md, NULL, &snap, err);
    if (rc != ICETAP_OK) {
        goto done;
    }

    snap.snapshot_id = u->snapshot_id;
    snap.timestamp_ms = icetap_table_now_ms();
    snap.manifest_list = icetap_table_path(t, "metadata/snap-%lld-%u-%s.avro",
                                           (long long) u->snapshot_id,
                                           u->attempt, u->uuid);
    if (snap.manifest_list == NULL
        || icetap_tu_track(u, snap.manifest_list) != ICETAP_OK)
    {
        rc = icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        goto done;
    }

    memset(&lc, 0, sizeof(lc));
    lc.format_version = md->format_version;
    lc.snapshot_id = snap.snapshot_id;
    lc.parent_snapshot_id = snap.parent_id;
    lc.sequence_number = snap.sequence_number;
    lc.first_row_id = snap.first_row_id;
    lc.codec = ICETAP_AVRO_CODEC_NULL;
    lc.write = icetap_avro_write_buf;
    lc.ctx = &list;

    rc = icetap_manifest_list_writer_create(&lc, &lw, err);

    for (i = 0; i < u->nout && rc == ICETAP_OK; i++) {
        rc = icetap_manifest_list_writer_add(lw, &u->out[i].mf, err);
    }

    for (i = 0; i < nbase && rc == ICETAP_OK; i++) {
        if (!flags[i]) {
            rc = icetap_manifest_list_writer_add(lw, &base[i].mf, err);
        }
    }

    if (rc == ICETAP_OK) {
        rc = icetap_manifest_list_writer_finish(lw, &added_rows, err);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_table_put(t, snap.manifest_list, list.data, list.len, 1,
                              err);
    }

    if (rc != ICETAP_OK) {
        goto done;
    }

    if (md->format_version >= 3) {
        snap.added_rows = added_rows;
    }

    if (icetap_tu_summary(u, parent, &snap) != ICETAP_OK) {
        rc = icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        goto done;
    }

    rc = icetap_metadata_add_snapshot(md, &snap, NULL, err);

done:

    icetap_snapshot_clear(&snap);
    icetap_manifest_list_writer_destroy(lw);
    icetap_buf_free(&list);
    icetap_free(flags);
    icetap_table_mfs_free(base, nbase);

    return rc;
}


icetap_rc
icetap_table_update_commit(icetap_table_update_t *u, int64_t *snapshot_id,
    icetap_error_t *err)
{
    size_t     i;
    icetap_rc  rc;

    if (u->committed) {
        return icetap_error_set(err, ICETAP_INVALID, "update committed");
    }

    rc = icetap_table_commit_ex(u->t, icetap_tu_apply, icetap_tu_abort, u,
                                err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    u->committed = 1;

    for (i = 0; i < u->nfiles; i++) {
        icetap_free(u->files[i]);
    }

    u->nfiles = 0;

    if (snapshot_id) {
        *snapshot_id = u->snapshot_id;
    }

    return ICETAP_OK;
}


void
icetap_table_update_free(icetap_table_update_t *u)
{
    size_t  i;

    if (u == NULL) {
        return;
    }

    for (i = 0; i < u->nfiles; i++) {
        icetap_table_delete_quiet(u->t, u->files[i]);
        icetap_free(u->files[i]);
    }

    for (i = 0; i < u->nadded; i++) {
        if (!u->committed) {
            icetap_table_delete_quiet(u->t, u->added[i].mf.mf.manifest_path);
        }

        icetap_table_mf_clear(&u->added[i].mf);
    }

    for (i = 0; i < u->nadds; i++) {
        icetap_table_df_free(u->adds[i]);
    }

    icetap_tu_reset_attempt(u);
    icetap_free(u->files);
    icetap_free(u->added);
    icetap_free(u->adds);
    icetap_tmap_free(&u->removes, icetap_free);
    icetap_tmap_free(&u->rowdels, icetap_tu_rd_free);
    icetap_kvs_free(&u->summary);
    icetap_free(u->op);
    icetap_free(u->inherit);
    icetap_free(u);
}
