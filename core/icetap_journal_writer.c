/*
 * Copyright (C) icetap authors
 *
 * The journal writer: metadata tables through the catalog, lookups of
 * what records lack, batches of rows committed with their WAL cursor.
 */


#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <icetap/journal_writer.h>


#define ICETAP_JW_MAX_RECORDS   100000


struct icetap_journal_writer_s {
    icetap_table_t                *t;
    char                          *wal_dir;
    char                          *bucket;
    size_t                         bucket_len;
    int64_t                        enabled_at_us;
    size_t                         max_records;
    icetap_store_t                *source;
    icetap_store_t               **lookup_stores;
    size_t                         nlookup_stores;
    icetap_table_writer_conf_t     wconf;
    unsigned                       has_wconf:1;

    icetap_wal_cursor_t            cursor;
    int64_t                        known_snapshot;
    unsigned                       loaded:1;
    icetap_journal_stats_t         stats;
};


/* a lookup done ahead of the batch, on one of several threads */

typedef struct {
    char                          *segment;
    uint64_t                       next;
    icetap_wal_rec_t               rec;         /* what a lookup reads */
    char                          *buf;         /* owns rec's strings */
    icetap_journal_lookup_t        lk;
    icetap_rc                      rc;
    icetap_error_t                 err;
} icetap_jw_prefetch_t;


typedef struct {
    icetap_journal_writer_t       *jw;
    icetap_jw_prefetch_t          *v;
    size_t                         n;
    size_t                         cap;
    size_t                         taken;       /* atomic */
    size_t                         used;        /* by the batch */
    int                            failed;
} icetap_jw_prefetches_t;


typedef struct {
    icetap_jw_prefetches_t        *p;
    icetap_store_t                *store;
} icetap_jw_lookup_worker_t;


typedef struct {
    icetap_journal_writer_t       *jw;
    icetap_wal_cursor_t           *next;
    icetap_table_writer_t         *w;
    size_t                         rows;
    icetap_error_t                *err;
    icetap_jw_prefetches_t        *pf;

    /* lag */
    uint64_t                       records;
    uint64_t                       max;
    int64_t                        oldest_us;
} icetap_jw_batch_t;


static void icetap_jw_prefetch(icetap_journal_writer_t *jw,
    icetap_jw_prefetches_t *p);
static void icetap_jw_prefetch_free(icetap_jw_prefetches_t *p);
static icetap_rc icetap_jw_sync(icetap_journal_writer_t *jw,
    icetap_error_t *err);
static const char *icetap_jw_cursor_of(const icetap_table_metadata_t *md,
    const icetap_snapshot_t *snap);
static int icetap_jw_relevant(icetap_journal_writer_t *jw,
    const icetap_wal_rec_t *rec);
static icetap_rc icetap_jw_record(void *ctx, const icetap_wal_rec_t *rec,
    const char *segment, uint64_t next);
static icetap_rc icetap_jw_write_row(icetap_pq_writer_t *pw,
    const icetap_journal_row_t *row);
static icetap_rc icetap_jw_unknown(icetap_journal_writer_t *jw,
    const char *cur, int64_t *sid);
static icetap_rc icetap_jw_count(void *ctx, const icetap_wal_rec_t *rec,
    const char *segment, uint64_t next);
static icetap_rc icetap_jw_prune(icetap_wal_cursor_t *c, const char *dir,
    icetap_error_t *err);
static icetap_rc icetap_jw_cursor_copy(const icetap_wal_cursor_t *from,
    icetap_wal_cursor_t *to);


/* tables */


icetap_rc
icetap_journal_table_open(icetap_store_t *store,
    const icetap_journal_table_conf_t *conf, int create,
    icetap_journal_table_t **out, icetap_error_t *err)
{
    json_t                   *j;
    icetap_rc                 rc;
    icetap_kvs_t              props;
    icetap_schema_t          *schema;
    icetap_table_conf_t       tc;
    icetap_journal_table_t   *jt;
    icetap_partition_spec_t   spec;

    *out = NULL;

    jt = icetap_calloc(1, sizeof(icetap_journal_table_t));
    if (jt == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    rc = icetap_catalog_table_load(store, conf->table_bucket, conf->namespace,
                                   conf->name, &jt->entry, NULL, err);

    if (rc == ICETAP_OK && conf->arn != NULL && conf->arn[0] != '\0'
        && strcmp(jt->entry.arn, conf->arn) != 0)
    {
        icetap_journal_table_close(jt);
        return icetap_error_set(err, ICETAP_CONFLICT,
                                "table \"%s\".\"%s\".\"%s\" exists with "
                                "another ARN", conf->table_bucket,
                                conf->namespace, conf->name);
    }

    if (rc == ICETAP_NOTFOUND && create) {
        rc = icetap_catalog_table_init(&jt->entry, conf->state_bucket,
                                       conf->table_bucket, conf->namespace,
                                       conf->name, conf->arn,
                                       conf->bucket_arn,
                                       conf->managed_by
                                       ? conf->managed_by
                                       : ICETAP_JOURNAL_MANAGED_BY, err);

        if (rc == ICETAP_OK) {
            rc = icetap_catalog_ensure_bucket(store, conf->table_bucket,
                                              conf->bucket_arn,
                                              conf->bucket_type
                                              ? conf->bucket_type : "aws",
                                              err);
        }

        if (rc == ICETAP_OK) {
            rc = icetap_catalog_ensure_namespace(store, conf->table_bucket,
                                                 conf->namespace, err);
        }

        if (rc != ICETAP_OK) {
            icetap_journal_table_close(jt);
            return rc;
        }

        jt->created = 1;

    } else if (rc != ICETAP_OK) {
        icetap_journal_table_close(jt);
        return rc;
    }

    jt->cp.store = store;
    jt->cp.entry = &jt->entry;
    jt->pointer.load = icetap_catalog_pointer_load;
    jt->pointer.swap = icetap_catalog_pointer_swap;
    jt->pointer.ctx = &jt->cp;

    memset(&tc, 0, sizeof(tc));
    tc.location = jt->entry.warehouse_location;
    tc.prefix = icetap_catalog_table_prefix(&jt->entry);
    tc.pointer = &jt->pointer;
    tc.naming = ICETAP_TABLE_NAMING_CATALOG;
    tc.no_version_hint = 1;

    /* a lost race is never retried on newer metadata: see the header */
    tc.max_attempts = 1;

    if (!jt->created) {
        rc = icetap_table_open(store, &tc, &jt->table, err);
        if (rc != ICETAP_OK) {
            icetap_journal_table_close(jt);
            return rc;
        }

        *out = jt;
        return ICETAP_OK;
    }

    j = json_loads(conf->schema_json ? conf->schema_json
                                     : icetap_journal_schema_json(), 0, NULL);
    schema = NULL;

    if (j == NULL || icetap_schema_from_json(j, &schema, err) != ICETAP_OK) {
        json_decref(j);
        icetap_journal_table_close(jt);
        return icetap_error_set(err, ICETAP_ERROR, "bad journal schema");
    }

    json_decref(j);

    memset(&spec, 0, sizeof(spec));
    memset(&props, 0, sizeof(props));

    rc = conf->unpartitioned
         ? ICETAP_OK
         : icetap_partition_spec_add_field(&spec, "record_timestamp_day",
                                           "day", 5, 0, err);

    if (rc == ICETAP_OK
        && (icetap_kvs_set(&props, "write.metadata.delete-after-commit"
                           ".enabled", "true") != ICETAP_OK
            || icetap_kvs_set(&props, "write.metadata.previous-versions-max",
                              "10") != ICETAP_OK
            || icetap_kvs_set(&props, "write.parquet.compression-codec",
                              "zstd") != ICETAP_OK
            || icetap_kvs_set(&props, "icetap.managed-by",
                              conf->managed_by ? conf->managed_by
                                  : ICETAP_JOURNAL_MANAGED_BY)
               != ICETAP_OK))
    {
        rc = icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    if (rc == ICETAP_OK) {
        rc = icetap_table_create(store, &tc,
                                 conf->format_version ? conf->format_version
                                                      : 3,
                                 schema, &spec, NULL, &props, &jt->table,
                                 err);
    }

    icetap_schema_free(schema);
    icetap_partition_spec_clear(&spec);
    icetap_kvs_free(&props);

    if (rc == ICETAP_CONFLICT) {
        /* created meanwhile by another writer: open what won */

        icetap_journal_table_close(jt);
        return icetap_journal_table_open(store, conf, 0, out, err);
    }

    if (rc != ICETAP_OK) {
        icetap_journal_table_close(jt);
        return rc;
    }

    *out = jt;

    return ICETAP_OK;
}


void
icetap_journal_table_close(icetap_journal_table_t *jt)
{
    if (jt == NULL) {
        return;
    }

    if (jt->table) {
        icetap_table_close(jt->table);
    }

    icetap_catalog_table_free(&jt->entry);
    icetap_free(jt);
}


/* lookups */


static icetap_str_t
icetap_jw_str(const char *s)
{
    icetap_str_t  r;

    r.data = (s && s[0]) ? s : NULL;
    r.len = r.data ? strlen(s) : 0;

    return r;
}


icetap_rc
icetap_journal_lookup(icetap_store_t *source, const icetap_wal_rec_t *rec,
    icetap_journal_lookup_t *lk, icetap_error_t *err)
{
    char                     key[1025 * 3], vid[256];
    size_t                   i;
    icetap_rc                rc;
    const char              *enc;
    icetap_store_kv_t       *tags;
    icetap_store_s3_head_t  *h;

    memset(lk, 0, sizeof(icetap_journal_lookup_t));

    if (rec->key.len >= sizeof(key) || rec->version_id.len >= sizeof(vid)) {
        return icetap_error_set(err, ICETAP_INVALID, "key too long");
    }

    memcpy(key, rec->key.data, rec->key.len);
    key[rec->key.len] = '\0';
    snprintf(vid, sizeof(vid), "%.*s", (int) rec->version_id.len,
             rec->version_id.data ? rec->version_id.data : "");

    if (strcmp(vid, "null") == 0) {
        /* the null version: the current one, checked by its ETag */
        vid[0] = '\0';
    }

    h = icetap_calloc(1, sizeof(icetap_store_s3_head_t));
    if (h == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    lk->head = h;

    rc = icetap_store_s3_head_version(source, key, vid, h, err);

    /*
     * Gone, or refused for good (a 4xx): the columns stay NULL rather
     * than the journal stopping; other failures are retried.
     */

    if (rc == ICETAP_NOTFOUND
        || (rc != ICETAP_OK && err != NULL && err->http_status >= 400
            && err->http_status < 500 && err->http_status != 429))
    {
        icetap_error_clear(err);
        return ICETAP_OK;               /* e.found = 0 */
    }

    if (rc != ICETAP_OK) {
        return rc;
    }

    /* without a version id, an object with another ETag is another one */

    if (vid[0] == '\0' && rec->etag.data != NULL
        && (strlen(h->obj.etag) != rec->etag.len
            || memcmp(h->obj.etag, rec->etag.data, rec->etag.len) != 0))
    {
        return ICETAP_OK;
    }

    if (!(rec->flags & ICETAP_WAL_F_TAGS)) {
        rc = icetap_store_s3_tagging(source, key, vid, &tags, &lk->ntags,
                                     err);

        if (rc == ICETAP_NOTFOUND
            || (rc != ICETAP_OK && err != NULL && err->http_status >= 400
                && err->http_status < 500 && err->http_status != 429))
        {
            /* deleted between the two requests */
            icetap_error_clear(err);
            return ICETAP_OK;
        }

        if (rc != ICETAP_OK) {
            return rc;
        }

        lk->tags = tags;
        lk->e.has_tags = 1;
    }

    lk->kv = icetap_calloc(lk->ntags + h->obj.nmeta + 1, sizeof(icetap_kv_t));
    if (lk->kv == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    tags = lk->tags;

    for (i = 0; i < lk->ntags; i++) {
        lk->kv[i].key.data = tags[i].name;
        lk->kv[i].key.len = strlen(tags[i].name);
        lk->kv[i].value.data = tags[i].value;
        lk->kv[i].value.len = strlen(tags[i].value);
    }

    for (i = 0; i < h->obj.nmeta; i++) {
        lk->kv[lk->ntags + i].key.data = h->obj.meta[i].name;
        lk->kv[lk->ntags + i].key.len = strlen(h->obj.meta[i].name);
        lk->kv[lk->ntags + i].value.data = h->obj.meta[i].value;
        lk->kv[lk->ntags + i].value.len = strlen(h->obj.meta[i].value);
    }

    lk->e.found = 1;
    lk->e.ntags = lk->ntags;
    lk->e.tags = lk->kv;
    lk->e.has_meta = 1;
    lk->e.nmeta = h->obj.nmeta;
    lk->e.meta = lk->kv + lk->ntags;

    lk->e.size = h->obj.size;
    lk->e.last_modified_us = h->obj.last_modified * 1000000;
    lk->e.etag = icetap_jw_str(h->obj.etag);
    lk->e.storage_class = icetap_jw_str(h->storage_class[0]
                                        ? h->storage_class : "STANDARD");
    lk->e.multipart = h->parts > 0 || strchr(h->obj.etag, '-') != NULL;
    lk->e.bucket_key = h->bucket_key;
    lk->e.kms_key_arn = icetap_jw_str(h->kms_key_arn);
    lk->e.checksum_algorithm = icetap_jw_str(h->checksum_algorithm);

    enc = NULL;

    if (h->sse_customer[0]) {
        enc = "SSE-C";

    } else if (strcmp(h->encryption, "AES256") == 0) {
        enc = "SSE-S3";

    } else if (strcmp(h->encryption, "aws:kms") == 0) {
        enc = "SSE-KMS";

    } else if (strcmp(h->encryption, "aws:kms:dsse") == 0) {
        enc = "DSSE-KMS";
    }

    lk->e.encryption = icetap_jw_str(enc);

    return ICETAP_OK;
}


void
icetap_journal_lookup_free(icetap_journal_lookup_t *lk)
{
    if (lk->head) {
        icetap_store_s3_head_free(lk->head);
        icetap_free(lk->head);
    }

    if (lk->tags) {
        icetap_store_kv_free(lk->tags, lk->ntags);
    }

    icetap_free(lk->kv);
    memset(lk, 0, sizeof(icetap_journal_lookup_t));
}


/* the writer */


icetap_rc
icetap_journal_writer_open(icetap_table_t *t,
    const icetap_journal_writer_conf_t *conf, icetap_journal_writer_t **out,
    icetap_error_t *err)
{
    icetap_journal_writer_t  *jw;

    jw = icetap_calloc(1, sizeof(icetap_journal_writer_t));
    if (jw == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    jw->t = t;
    jw->wal_dir = icetap_strndup(conf->wal_dir, strlen(conf->wal_dir));
    jw->bucket = icetap_strndup(conf->bucket, strlen(conf->bucket));
    jw->bucket_len = strlen(conf->bucket);
    jw->enabled_at_us = conf->enabled_at_us;
    jw->max_records = conf->max_records ? conf->max_records
                                        : ICETAP_JW_MAX_RECORDS;
    jw->source = conf->source;
    jw->nlookup_stores = conf->source ? conf->nlookup_stores : 0;

    if (jw->nlookup_stores) {
        /* the handles, not the caller's array, which may move */
        jw->lookup_stores = icetap_calloc(jw->nlookup_stores,
                                          sizeof(icetap_store_t *));
        if (jw->lookup_stores == NULL) {
            icetap_journal_writer_free(jw);
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }

        memcpy(jw->lookup_stores, conf->lookup_stores,
               jw->nlookup_stores * sizeof(icetap_store_t *));
    }
    jw->known_snapshot = ICETAP_NO_SNAPSHOT;

    if (conf->writer) {
        jw->wconf = *conf->writer;
        jw->has_wconf = 1;
    }

    if (jw->wal_dir == NULL || jw->bucket == NULL) {
        icetap_journal_writer_free(jw);
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    *out = jw;

    return ICETAP_OK;
}


void
icetap_journal_writer_free(icetap_journal_writer_t *jw)
{
    if (jw == NULL) {
        return;
    }

    icetap_wal_cursor_free(&jw->cursor);
    icetap_free(jw->lookup_stores);
    icetap_free(jw->wal_dir);
    icetap_free(jw->bucket);
    icetap_free(jw);
}


const icetap_wal_cursor_t *
icetap_journal_writer_cursor(const icetap_journal_writer_t *jw)
{
    return &jw->cursor;
}


const icetap_journal_stats_t *
icetap_journal_writer_stats(const icetap_journal_writer_t *jw)
{
    return &jw->stats;
}


/*
 * The cursor follows the table: when the current snapshot is not the one
 * this writer last saw, its cursor is taken from that snapshot's summary.
 */

static icetap_rc
icetap_jw_sync(icetap_journal_writer_t *jw, icetap_error_t *err)
{
    int64_t                         id;
    icetap_rc                       rc;
    const char                     *s;
    icetap_snapshot_t              *snap;
    const icetap_table_metadata_t  *md;

    rc = icetap_table_refresh(jw->t, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    md = icetap_table_metadata(jw->t);
    snap = icetap_metadata_current_snapshot(md);
    id = snap ? snap->snapshot_id : ICETAP_NO_SNAPSHOT;

    if (jw->loaded && id == jw->known_snapshot) {
        return ICETAP_OK;
    }

    icetap_wal_cursor_free(&jw->cursor);

    s = icetap_jw_cursor_of(md, snap);

    if (s != NULL) {
        rc = icetap_wal_cursor_parse(s, &jw->cursor, err);
        if (rc != ICETAP_OK) {
            return rc;
        }
    }

    jw->known_snapshot = id;
    jw->loaded = 1;

    return ICETAP_OK;
}


/* the cursor of a snapshot, or of its newest ancestor that has one */

static const char *
icetap_jw_cursor_of(const icetap_table_metadata_t *md,
    const icetap_snapshot_t *snap)
{
    size_t       n;
    const char  *s;

    for (n = 0; snap != NULL && n <= md->nsnapshots; n++) {
        s = icetap_kvs_get(&snap->summary, ICETAP_JOURNAL_CURSOR_KEY);

        if (s != NULL) {
            return s;
        }

        if (snap->parent_id == ICETAP_NO_SNAPSHOT) {
            break;
        }

        snap = icetap_metadata_snapshot(md, snap->parent_id);
    }

    return NULL;
}


static int
icetap_jw_relevant(icetap_journal_writer_t *jw, const icetap_wal_rec_t *rec)
{
    return rec->bucket.len == jw->bucket_len
           && memcmp(rec->bucket.data, jw->bucket, jw->bucket_len) == 0
           && rec->time_us >= jw->enabled_at_us
           && icetap_wal_record_type(rec->op) != NULL;
}


static icetap_rc
icetap_jw_record(void *ctx, const icetap_wal_rec_t *rec, const char *segment,
    uint64_t next)
{
    icetap_rc                 rc;
    icetap_value_t            ts;
    icetap_jw_batch_t        *b = ctx;
    icetap_pq_writer_t       *pw;
    icetap_journal_row_t      row;
    icetap_journal_writer_t  *jw = b->jw;
    icetap_journal_lookup_t   lk;
    icetap_jw_prefetch_t     *pf;
    const icetap_journal_enrich_t  *e;

    if (icetap_wal_cursor_set(b->next, segment, next) != ICETAP_OK) {
        return icetap_error_set(b->err, ICETAP_NOMEM, "out of memory");
    }

    if (!icetap_jw_relevant(jw, rec)) {
        jw->stats.skipped++;
        return ICETAP_OK;
    }

    memset(&lk, 0, sizeof(lk));
    e = NULL;

    if (jw->source != NULL && icetap_journal_needs_lookup(rec)) {
        pf = NULL;

        if (b->pf != NULL && b->pf->used < b->pf->n) {
            /* the batch meets its records in the order they were read */
            pf = &b->pf->v[b->pf->used];

            if (pf->next == next && pf->rec.seq == rec->seq
                && strcmp(pf->segment, segment) == 0)
            {
                b->pf->used++;

            } else {
                pf = NULL;
            }
        }

        if (pf != NULL && pf->rc == ICETAP_OK) {
            /* moved: its storage is freed with lk */
            lk = pf->lk;
            memset(&pf->lk, 0, sizeof(icetap_journal_lookup_t));
            rc = ICETAP_OK;

        } else {
            /* not looked up ahead, or it failed there: now, here */
            rc = icetap_journal_lookup(jw->source, rec, &lk, b->err);
        }

        if (rc != ICETAP_OK) {
            icetap_journal_lookup_free(&lk);
            return rc;
        }

        jw->stats.lookups++;
        jw->stats.gone += !lk.e.found;
        e = &lk.e;
    }

    rc = icetap_journal_row(rec, e, &row, b->err);

    if (rc == ICETAP_OK && b->w == NULL) {
        rc = icetap_table_writer_open(jw->t,
                                      jw->has_wconf ? &jw->wconf : NULL,
                                      &b->w, b->err);
    }

    if (rc == ICETAP_OK) {
        memset(&ts, 0, sizeof(ts));
        ts.type = ICETAP_TYPE_TIMESTAMP;
        ts.v.l = row.record_timestamp_us;

        rc = icetap_table_writer_begin(b->w, &ts, &pw);

        if (rc == ICETAP_OK) {
            rc = icetap_jw_write_row(pw, &row);
        }

        if (rc == ICETAP_OK) {
            rc = icetap_table_writer_end(b->w);
        }

        if (rc != ICETAP_OK) {
            *b->err = *icetap_table_writer_error(b->w);
            if (b->err->code == ICETAP_OK) {
                icetap_error_set(b->err, rc, "writing a journal row failed");
            }
        }
    }

    icetap_journal_lookup_free(&lk);

    if (rc == ICETAP_OK) {
        b->rows++;
    }

    return rc;
}


/*
 * Lookups ahead of a batch.  One HEAD (and GetObjectTagging) per copy,
 * completed upload or tag change would bound a step by the store's
 * latency, so the records of the coming batch that need one are read
 * first and looked up on nlookup_stores threads, each with its own
 * store handle; the batch then takes the results in order.  A record
 * not looked up ahead (the WAL grew meanwhile) or whose lookup failed
 * there is looked up by the batch itself, as before.
 */

static icetap_rc
icetap_jw_collect(void *ctx, const icetap_wal_rec_t *rec, const char *segment,
    uint64_t next)
{
    icetap_jw_prefetches_t  *p = ctx;

    char                  *q;
    size_t                 cap;
    icetap_jw_prefetch_t  *v, *it;

    if (!icetap_jw_relevant(p->jw, rec) || !icetap_journal_needs_lookup(rec))
    {
        return ICETAP_OK;
    }

    if (p->n == p->cap) {
        cap = p->cap ? 2 * p->cap : 256;
        v = icetap_realloc(p->v, cap * sizeof(icetap_jw_prefetch_t));
        if (v == NULL) {
            p->failed = 1;
            return ICETAP_NOMEM;
        }

        p->v = v;
        p->cap = cap;
    }

    it = &p->v[p->n];
    memset(it, 0, sizeof(icetap_jw_prefetch_t));

    it->segment = icetap_strndup(segment, strlen(segment));
    it->buf = icetap_alloc(rec->key.len + rec->version_id.len
                           + rec->etag.len + rec->bucket.len + 1);

    if (it->segment == NULL || it->buf == NULL) {
        icetap_free(it->segment);
        icetap_free(it->buf);
        p->failed = 1;
        return ICETAP_NOMEM;
    }

    it->next = next;
    it->rec.op = rec->op;
    it->rec.flags = rec->flags;
    it->rec.seq = rec->seq;
    it->rc = ICETAP_AGAIN;

    q = it->buf;

#define icetap_jw_copy_str(f)                                                \
    if (rec->f.data) {                                                       \
        memcpy(q, rec->f.data, rec->f.len);                                  \
        it->rec.f.data = q;                                                  \
        it->rec.f.len = rec->f.len;                                          \
        q += rec->f.len;                                                     \
    }

    icetap_jw_copy_str(bucket);
    icetap_jw_copy_str(key);
    icetap_jw_copy_str(version_id);
    icetap_jw_copy_str(etag);

#undef icetap_jw_copy_str

    p->n++;

    return ICETAP_OK;
}


static void *
icetap_jw_lookup_thread(void *arg)
{
    icetap_jw_lookup_worker_t  *w = arg;

    size_t                 i;
    icetap_jw_prefetch_t  *it;

    for ( ;; ) {
        i = __atomic_fetch_add(&w->p->taken, 1, __ATOMIC_RELAXED);

        if (i >= w->p->n) {
            return NULL;
        }

        it = &w->p->v[i];
        it->rc = icetap_journal_lookup(w->store, &it->rec, &it->lk, &it->err);

        if (it->rc != ICETAP_OK) {
            icetap_journal_lookup_free(&it->lk);
        }
    }
}


static void
icetap_jw_prefetch(icetap_journal_writer_t *jw, icetap_jw_prefetches_t *p)
{
    int                         more;
    size_t                      i, n;
    pthread_t                   tids[64];
    icetap_error_t              err;
    icetap_jw_lookup_worker_t   ws[64];

    if (icetap_wal_read_batch(jw->wal_dir, &jw->cursor, jw->max_records,
                              icetap_jw_collect, p, &more, &err)
        != ICETAP_OK
        && p->failed)
    {
        /* out of memory: what was collected is still worth looking up */
    }

    if (p->n == 0) {
        return;
    }

    n = icetap_min(jw->nlookup_stores, icetap_nelems(tids));
    n = icetap_min(n, p->n);

    for (i = 0; i < n; i++) {
        ws[i].p = p;
        ws[i].store = jw->lookup_stores[i];
    }

    /* this thread is worker 0; a thread that cannot start is left out */

    for (i = 1; i < n; i++) {
        if (pthread_create(&tids[i], NULL, icetap_jw_lookup_thread, &ws[i])
            != 0)
        {
            break;
        }
    }

    n = i;

    icetap_jw_lookup_thread(&ws[0]);

    for (i = 1; i < n; i++) {
        pthread_join(tids[i], NULL);
    }

    jw->stats.lookups_ahead += p->n;
}


static void
icetap_jw_prefetch_free(icetap_jw_prefetches_t *p)
{
    size_t  i;

    for (i = 0; i < p->n; i++) {
        icetap_journal_lookup_free(&p->v[i].lk);
        icetap_free(p->v[i].segment);
        icetap_free(p->v[i].buf);
    }

    icetap_free(p->v);
    memset(p, 0, sizeof(icetap_jw_prefetches_t));
}


static icetap_rc
icetap_jw_str_col(icetap_pq_writer_t *pw, const icetap_jstr_t *s)
{
    if (s->null) {
        return icetap_pq_null(pw);
    }

    return icetap_pq_bytes(pw, s->s.data ? s->s.data : "", s->s.len);
}


static icetap_rc
icetap_jw_map_col(icetap_pq_writer_t *pw, const icetap_jmap_t *m)
{
    size_t     i;
    icetap_rc  rc;

    if (m->null) {
        return icetap_pq_null(pw);
    }

    rc = icetap_pq_begin(pw);

    for (i = 0; rc == ICETAP_OK && i < m->n; i++) {
        rc = icetap_pq_bytes(pw, m->kv[i].key.data ? m->kv[i].key.data : "",
                             m->kv[i].key.len);

        if (rc == ICETAP_OK) {
            rc = icetap_pq_bytes(pw, m->kv[i].value.data
                                     ? m->kv[i].value.data : "",
                                 m->kv[i].value.len);
        }
    }

    return rc == ICETAP_OK ? icetap_pq_end(pw) : rc;
}


#define icetap_jw_bool_col(pw, b)                                            \
    ((b)->null ? icetap_pq_null(pw) : icetap_pq_bool(pw, (b)->v))

#define icetap_jw_long_col(pw, l)                                            \
    ((l)->null ? icetap_pq_null(pw) : icetap_pq_int64(pw, (l)->v))


static icetap_rc
icetap_jw_write_row(icetap_pq_writer_t *pw, const icetap_journal_row_t *row)
{
    icetap_rc  rc;

    rc = icetap_pq_bytes(pw, row->bucket.data, row->bucket.len);

#define next(call)  if (rc == ICETAP_OK) { rc = (call); }

    next(icetap_pq_bytes(pw, row->key.data, row->key.len));
    next(icetap_pq_str(pw, row->sequence_number));
    next(icetap_pq_str(pw, row->record_type));
    next(icetap_pq_int64(pw, row->record_timestamp_us));
    next(icetap_jw_str_col(pw, &row->version_id));
    next(icetap_jw_bool_col(pw, &row->is_delete_marker));
    next(icetap_jw_long_col(pw, &row->size));
    next(icetap_jw_long_col(pw, &row->last_modified_us));
    next(icetap_jw_str_col(pw, &row->e_tag));
    next(icetap_jw_str_col(pw, &row->storage_class));
    next(icetap_jw_bool_col(pw, &row->is_multipart));
    next(icetap_jw_str_col(pw, &row->encryption_status));
    next(icetap_jw_bool_col(pw, &row->is_bucket_key_enabled));
    next(icetap_jw_str_col(pw, &row->kms_key_arn));
    next(icetap_jw_str_col(pw, &row->checksum_algorithm));
    next(icetap_jw_map_col(pw, &row->object_tags));
    next(icetap_jw_map_col(pw, &row->user_metadata));
    next(icetap_jw_str_col(pw, &row->requester));
    next(icetap_jw_str_col(pw, &row->source_ip_address));
    next(icetap_jw_str_col(pw, &row->request_id));

#undef next

    return rc;
}


static icetap_rc
icetap_jw_cursor_copy(const icetap_wal_cursor_t *from, icetap_wal_cursor_t *to)
{
    size_t  i;

    memset(to, 0, sizeof(icetap_wal_cursor_t));

    for (i = 0; i < from->n; i++) {
        if (icetap_wal_cursor_set(to, from->pos[i].name, from->pos[i].offset)
            != ICETAP_OK)
        {
            icetap_wal_cursor_free(to);
            return ICETAP_NOMEM;
        }
    }

    return ICETAP_OK;
}


/* positions of segments that are gone are dropped: the cursor stays small */

static icetap_rc
icetap_jw_prune(icetap_wal_cursor_t *c, const char *dir, icetap_error_t *err)
{
    char      **names;
    size_t      n, i, j, k;
    int         found;
    icetap_rc   rc;

    rc = icetap_wal_list(dir, &names, &n, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    k = 0;

    for (i = 0; i < c->n; i++) {
        found = 0;

        for (j = 0; j < n; j++) {
            if (strcmp(names[j], c->pos[i].name) == 0) {
                found = 1;
                break;
            }
        }

        if (found) {
            c->pos[k++] = c->pos[i];

        } else {
            icetap_free(c->pos[i].name);
        }
    }

    c->n = k;

    icetap_wal_free_list(names, n);

    return ICETAP_OK;
}


icetap_rc
icetap_journal_writer_step(icetap_journal_writer_t *jw, size_t *rows,
    int *more, icetap_error_t *err)
{
    char                   *cur;
    int64_t                 sid;
    icetap_rc               rc;
    icetap_jw_batch_t       b;
    icetap_wal_cursor_t     next;
    icetap_table_update_t  *u;
    icetap_jw_prefetches_t  pf;

    *rows = 0;
    *more = 0;

    rc = icetap_jw_sync(jw, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (icetap_jw_cursor_copy(&jw->cursor, &next) != ICETAP_OK) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    memset(&b, 0, sizeof(b));
    b.jw = jw;
    b.next = &next;
    b.err = err;

    memset(&pf, 0, sizeof(pf));
    pf.jw = jw;

    if (jw->nlookup_stores) {
        icetap_jw_prefetch(jw, &pf);
        b.pf = &pf;
    }

    rc = icetap_wal_read_batch(jw->wal_dir, &jw->cursor, jw->max_records,
                               icetap_jw_record, &b, more, err);

    icetap_jw_prefetch_free(&pf);

    if (rc == ICETAP_OK) {
        rc = icetap_jw_prune(&next, jw->wal_dir, err);
    }

    if (rc == ICETAP_OK && b.w != NULL) {
        rc = icetap_table_writer_close(b.w);
        if (rc != ICETAP_OK) {
            *err = *icetap_table_writer_error(b.w);
        }
    }

    if (rc != ICETAP_OK) {
        if (b.w) {
            icetap_table_writer_abort(b.w);
            icetap_table_writer_free(b.w);
        }

        icetap_wal_cursor_free(&next);
        return rc;
    }

    if (b.w == NULL) {
        /* nothing of this bucket: the cursor moves on in memory only */

        icetap_wal_cursor_free(&jw->cursor);
        jw->cursor = next;
        return ICETAP_OK;
    }

    cur = icetap_wal_cursor_format(&next);
    u = NULL;

    rc = cur ? icetap_table_update_new(jw->t, &u, err)
             : icetap_error_set(err, ICETAP_NOMEM, "out of memory");

    if (rc == ICETAP_OK) {
        icetap_table_update_merge(u, 1);
        rc = icetap_table_update_add_files(u, b.w, err);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_table_update_set(u, ICETAP_JOURNAL_CURSOR_KEY, cur, err);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_table_update_commit(u, &sid, err);

        if (rc != ICETAP_OK && rc != ICETAP_CONFLICT
            && icetap_jw_unknown(jw, cur, &sid) != ICETAP_CONFLICT)
        {
            /*
             * The swap may have happened, or did: freeing the update
             * would delete files the table may reference.  It is left
             * allocated, a rare leak rather than a broken table.
             */

            if (sid != ICETAP_NO_SNAPSHOT) {
                icetap_error_clear(err);
                rc = ICETAP_OK;
            }

            u = NULL;
            b.w = NULL;
        }
    }

    free(cur);

    if (b.w == NULL) {
        /* left with its update */

    } else if (u != NULL) {
        /* deletes the files of an update that did not commit */
        icetap_table_update_free(u);

    } else {
        icetap_table_writer_abort(b.w);
    }

    if (b.w != NULL) {
        icetap_table_writer_free(b.w);
    }

    if (rc != ICETAP_OK) {
        icetap_wal_cursor_free(&next);

        /* the next step takes the cursor from whatever is current */
        jw->loaded = 0;
        jw->stats.conflicts += (rc == ICETAP_CONFLICT);

        return rc;
    }

    icetap_wal_cursor_free(&jw->cursor);
    jw->cursor = next;
    jw->known_snapshot = sid;

    jw->stats.commits++;
    jw->stats.rows += b.rows;
    jw->stats.last_commit_ms = icetap_table_now_ms();
    jw->stats.snapshot_id = sid;

    *rows = b.rows;

    return ICETAP_OK;
}


/*
 * After a commit failed with an I/O error: ICETAP_CONFLICT when it
 * certainly did not happen (the table is readable and its cursor is not
 * ours), else ICETAP_OK with *sid the snapshot when it did happen, or
 * ICETAP_NO_SNAPSHOT when nobody can tell.
 */

static icetap_rc
icetap_jw_unknown(icetap_journal_writer_t *jw, const char *cur, int64_t *sid)
{
    const char         *s;
    icetap_error_t      e;
    icetap_snapshot_t  *snap;

    *sid = ICETAP_NO_SNAPSHOT;

    if (icetap_table_refresh(jw->t, &e) != ICETAP_OK) {
        return ICETAP_OK;
    }

    snap = icetap_metadata_current_snapshot(icetap_table_metadata(jw->t));
    s = icetap_jw_cursor_of(icetap_table_metadata(jw->t), snap);

    if (s == NULL || strcmp(s, cur) != 0) {
        return ICETAP_CONFLICT;
    }

    *sid = snap->snapshot_id;

    return ICETAP_OK;
}


static icetap_rc
icetap_jw_count(void *ctx, const icetap_wal_rec_t *rec, const char *segment,
    uint64_t next)
{
    icetap_jw_batch_t  *b = ctx;

    if (!icetap_jw_relevant(b->jw, rec)) {
        return ICETAP_OK;
    }

    if (b->oldest_us == 0 || rec->time_us < b->oldest_us) {
        b->oldest_us = rec->time_us;
    }

    b->records++;

    return ICETAP_OK;
}


icetap_rc
icetap_journal_writer_lag(icetap_journal_writer_t *jw, uint64_t max,
    uint64_t *records, int64_t *oldest_us, icetap_error_t *err)
{
    int                 more;
    icetap_rc           rc;
    icetap_jw_batch_t   b;

    memset(&b, 0, sizeof(b));
    b.jw = jw;

    rc = icetap_wal_read_batch(jw->wal_dir, &jw->cursor, max, icetap_jw_count,
                               &b, &more, err);

    *records = b.records;
    *oldest_us = b.oldest_us;

    return rc;
}


icetap_rc
icetap_journal_cursor_min(const icetap_wal_cursor_t *const *c, size_t n,
    char **names, size_t nnames, icetap_wal_cursor_t *min)
{
    size_t    i, k;
    uint64_t  off, o;

    memset(min, 0, sizeof(icetap_wal_cursor_t));

    for (i = 0; i < nnames; i++) {
        off = UINT64_MAX;

        for (k = 0; k < n; k++) {
            o = icetap_wal_cursor_get(c[k], names[i]);
            off = o < off ? o : off;
        }

        if (icetap_wal_cursor_set(min, names[i], off) != ICETAP_OK) {
            icetap_wal_cursor_free(min);
            return ICETAP_NOMEM;
        }
    }

    return ICETAP_OK;
}


/* record expiration */


typedef struct {
    int32_t                   cutoff_day;
    char                    **paths;
    size_t                    n;
    size_t                    cap;
    uint64_t                  rows;
} icetap_jw_expire_t;


static icetap_rc
icetap_jw_expire_file(void *ctx, const icetap_table_file_t *f)
{
    char                **p;
    size_t                cap;
    icetap_jw_expire_t   *x = ctx;
    const icetap_value_t *day;

    if (f->file->content != 0 || f->file->npartition != 1) {
        return ICETAP_OK;
    }

    day = &f->file->partition[0];

    if (day->is_null || day->v.i >= x->cutoff_day) {
        return ICETAP_OK;
    }

    if (x->n == x->cap) {
        cap = x->cap ? 2 * x->cap : 16;
        p = icetap_realloc(x->paths, cap * sizeof(char *));
        if (p == NULL) {
            return ICETAP_NOMEM;
        }

        x->paths = p;
        x->cap = cap;
    }

    x->paths[x->n] = icetap_strndup(f->file->file_path,
                                    strlen(f->file->file_path));
    if (x->paths[x->n] == NULL) {
        return ICETAP_NOMEM;
    }

    x->n++;
    x->rows += (uint64_t) f->file->record_count - f->ndeleted;

    return ICETAP_OK;
}


icetap_rc
icetap_journal_expire_records(icetap_table_t *t, int64_t cutoff_us,
    size_t *files, uint64_t *rows, icetap_error_t *err)
{
    size_t                          i;
    int64_t                         day;
    icetap_rc                       rc;
    const char                     *cur;
    icetap_jw_expire_t              x;
    icetap_snapshot_t              *snap;
    icetap_table_update_t          *u;
    const icetap_table_metadata_t  *md;

    *files = 0;
    *rows = 0;

    rc = icetap_table_refresh(t, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    md = icetap_table_metadata(t);
    snap = icetap_metadata_current_snapshot(md);

    if (snap == NULL || md->nspecs == 0
        || md->specs[0].nfields != 1
        || md->specs[0].fields[0].transform.kind != ICETAP_TRANSFORM_DAY)
    {
        return ICETAP_OK;
    }

    day = cutoff_us / 86400000000LL - (cutoff_us < 0);

    memset(&x, 0, sizeof(x));
    x.cutoff_day = (int32_t) day;

    rc = icetap_table_files(t, -1, icetap_jw_expire_file, &x, err);

    u = NULL;

    if (rc == ICETAP_OK && x.n > 0) {
        rc = icetap_table_update_new(t, &u, err);
    }

    for (i = 0; rc == ICETAP_OK && i < x.n; i++) {
        rc = icetap_table_update_remove_file(u, x.paths[i], err);
    }

    /* the WAL position stays what it was */

    cur = icetap_jw_cursor_of(md, snap);

    if (rc == ICETAP_OK && u != NULL && cur != NULL) {
        rc = icetap_table_update_set(u, ICETAP_JOURNAL_CURSOR_KEY, cur, err);
    }

    if (rc == ICETAP_OK && u != NULL) {
        rc = icetap_table_update_operation(u, "delete", err);
    }

    if (rc == ICETAP_OK && u != NULL) {
        rc = icetap_table_update_commit(u, NULL, err);
    }

    icetap_table_update_free(u);

    if (rc == ICETAP_OK) {
        *files = x.n;
        *rows = x.rows;
    }

    for (i = 0; i < x.n; i++) {
        icetap_free(x.paths[i]);
    }

    icetap_free(x.paths);

    return rc;
}
