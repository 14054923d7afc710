/*
 * Copyright (C) icetap authors
 *
 * The live inventory table: backfill, incremental steps from the WAL,
 * the identity index (see include/icetap/inventory.h).
 */


#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include <icetap/inventory.h>


#define ICETAP_INV_INDEX_MAGIC   "ICETAPIX1"
#define ICETAP_INV_PAGE          1000


/*
 * Field ids: the 16 columns take 1..16 in the order of the spec; the
 * maps' key and value fields take 17..20.
 */

static const char  icetap_inventory_schema[] =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"bucket\",\"required\":true,\"type\":\"string\"},"
    "{\"id\":2,\"name\":\"key\",\"required\":true,\"type\":\"string\"},"
    "{\"id\":3,\"name\":\"sequence_number\",\"required\":true,"
    "\"type\":\"string\"},"
    "{\"id\":4,\"name\":\"version_id\",\"required\":false,"
    "\"type\":\"string\"},"
    "{\"id\":5,\"name\":\"is_delete_marker\",\"required\":false,"
    "\"type\":\"boolean\"},"
    "{\"id\":6,\"name\":\"size\",\"required\":false,\"type\":\"long\"},"
    "{\"id\":7,\"name\":\"last_modified_date\",\"required\":false,"
    "\"type\":\"timestamp\"},"
    "{\"id\":8,\"name\":\"e_tag\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":9,\"name\":\"storage_class\",\"required\":false,"
    "\"type\":\"string\"},"
    "{\"id\":10,\"name\":\"is_multipart\",\"required\":false,"
    "\"type\":\"boolean\"},"
    "{\"id\":11,\"name\":\"encryption_status\",\"required\":false,"
    "\"type\":\"string\"},"
    "{\"id\":12,\"name\":\"is_bucket_key_enabled\",\"required\":false,"
    "\"type\":\"boolean\"},"
    "{\"id\":13,\"name\":\"kms_key_arn\",\"required\":false,"
    "\"type\":\"string\"},"
    "{\"id\":14,\"name\":\"checksum_algorithm\",\"required\":false,"
    "\"type\":\"string\"},"
    "{\"id\":15,\"name\":\"object_tags\",\"required\":false,\"type\":"
    "{\"type\":\"map\",\"key-id\":17,\"key\":\"string\",\"value-id\":18,"
    "\"value\":\"string\",\"value-required\":false}},"
    "{\"id\":16,\"name\":\"user_metadata\",\"required\":false,\"type\":"
    "{\"type\":\"map\",\"key-id\":19,\"key\":\"string\",\"value-id\":20,"
    "\"value\":\"string\",\"value-required\":false}}"
    "]}";


/* the index: identity -> (file, position, sequence) */

typedef struct {
    char                      *id;          /* key NUL version */
    size_t                     len;
    uint32_t                   file;
    uint32_t                   marker;
    uint64_t                   pos;
    uint64_t                   seq;
} icetap_inv_entry_t;


typedef struct {
    icetap_inv_entry_t        *slots;
    size_t                     cap;         /* power of two */
    size_t                     n;
    size_t                     used;        /* n + tombstones */
    char                     **files;
    size_t                     nfiles;
    size_t                     cfiles;
} icetap_inv_index_t;


#define ICETAP_INV_TOMB  ((char *) 1)


struct icetap_inventory_s {
    icetap_table_t            *t;
    char                      *wal_dir;
    char                      *bucket;
    size_t                     bucket_len;
    char                      *index_path;
    icetap_store_t            *source;
    icetap_inventory_store_pt  open_store;
    void                      *store_ctx;
    unsigned                   concurrency;
    size_t                     max_records;
    int                      (*cancelled)(void);

    icetap_wal_cursor_t        cursor;
    int64_t                    known_snapshot;
    icetap_inventory_state_e   state;
    unsigned                   loaded:1;

    icetap_inv_index_t         ix;
    int64_t                    ix_snapshot;     /* what ix describes */
    unsigned                   ix_valid:1;

    icetap_store_t            *pool[64];    /* look-up threads' stores */
    unsigned                   npool;
    unsigned                   pool_failed:1;

    char                       drift_pending[64];   /* segment name */
    uint64_t                   drift_pending_size;

    icetap_inventory_stats_t   stats;
};


/* a WAL record kept for folding */

typedef struct {
    char                      *id;
    size_t                     len;
    uint64_t                   seq;
    uint8_t                   *enc;
    size_t                     enc_len;
    unsigned                   op:8;
} icetap_inv_rec_t;


typedef struct {
    icetap_inventory_t        *inv;
    icetap_wal_cursor_t       *next;
    icetap_inv_rec_t          *recs;
    size_t                     n;
    size_t                     cap;
    icetap_error_t            *err;
} icetap_inv_batch_t;


static icetap_rc icetap_inv_sync(icetap_inventory_t *inv,
    icetap_error_t *err);
static icetap_rc icetap_inv_index_rebuild(icetap_inventory_t *inv,
    icetap_error_t *err);
static void icetap_inv_index_save(icetap_inventory_t *inv);
static icetap_rc icetap_inv_index_load(icetap_inventory_t *inv);


const char *
icetap_inventory_schema_json(void)
{
    return icetap_inventory_schema;
}


/* identities */


static int
icetap_inv_null_version(const char *v, size_t len)
{
    return v == NULL || len == 0 || (len == 4 && memcmp(v, "null", 4) == 0);
}


static char *
icetap_inv_id(const char *key, size_t klen, const char *vid, size_t vlen,
    size_t *len)
{
    char  *id;

    if (icetap_inv_null_version(vid, vlen)) {
        vlen = 0;
    }

    id = icetap_alloc(klen + vlen + 2);
    if (id == NULL) {
        return NULL;
    }

    memcpy(id, key, klen);
    id[klen] = '\0';

    if (vlen) {
        memcpy(id + klen + 1, vid, vlen);
    }

    id[klen + 1 + vlen] = '\0';
    *len = klen + 1 + vlen;

    return id;
}


static uint64_t
icetap_inv_hash(const char *p, size_t len)
{
    size_t    i;
    uint64_t  h;

    h = 1469598103934665603ULL;

    for (i = 0; i < len; i++) {
        h ^= (uint8_t) p[i];
        h *= 1099511628211ULL;
    }

    return h;
}


static void
icetap_inv_index_clear(icetap_inv_index_t *ix)
{
    size_t  i;

    for (i = 0; i < ix->cap; i++) {
        if (ix->slots[i].id != NULL && ix->slots[i].id != ICETAP_INV_TOMB) {
            icetap_free(ix->slots[i].id);
        }
    }

    for (i = 0; i < ix->nfiles; i++) {
        icetap_free(ix->files[i]);
    }

    icetap_free(ix->slots);
    icetap_free(ix->files);
    memset(ix, 0, sizeof(icetap_inv_index_t));
}


static icetap_inv_entry_t *
icetap_inv_index_find(icetap_inv_index_t *ix, const char *id, size_t len)
{
    size_t               i, mask;
    icetap_inv_entry_t  *e;

    if (ix->cap == 0) {
        return NULL;
    }

    mask = ix->cap - 1;
    i = icetap_inv_hash(id, len) & mask;

    for ( ;; ) {
        e = &ix->slots[i];

        if (e->id == NULL) {
            return NULL;
        }

        if (e->id != ICETAP_INV_TOMB && e->len == len
            && memcmp(e->id, id, len) == 0)
        {
            return e;
        }

        i = (i + 1) & mask;
    }
}


static icetap_rc
icetap_inv_index_grow(icetap_inv_index_t *ix)
{
    size_t               i, j, cap, mask;
    icetap_inv_entry_t  *slots, *e;

    cap = ix->cap ? ix->cap * 2 : 1024;

    while (ix->n * 2 >= cap) {
        cap *= 2;
    }

    slots = icetap_calloc(cap, sizeof(icetap_inv_entry_t));
    if (slots == NULL) {
        return ICETAP_NOMEM;
    }

    mask = cap - 1;

    for (i = 0; i < ix->cap; i++) {
        e = &ix->slots[i];

        if (e->id == NULL || e->id == ICETAP_INV_TOMB) {
            continue;
        }

        j = icetap_inv_hash(e->id, e->len) & mask;

        while (slots[j].id != NULL) {
            j = (j + 1) & mask;
        }

        slots[j] = *e;
    }

    icetap_free(ix->slots);
    ix->slots = slots;
    ix->cap = cap;
    ix->used = ix->n;

    return ICETAP_OK;
}


/* takes id; replaces an entry of the same identity */

static icetap_rc
icetap_inv_index_put(icetap_inv_index_t *ix, char *id, size_t len,
    uint32_t file, uint64_t pos, uint64_t seq, int marker)
{
    size_t               i, mask;
    icetap_inv_entry_t  *e;

    e = icetap_inv_index_find(ix, id, len);

    if (e != NULL) {
        icetap_free(id);
        e->file = file;
        e->pos = pos;
        e->seq = seq;
        e->marker = marker;
        return ICETAP_OK;
    }

    if ((ix->used + 1) * 4 >= ix->cap * 3) {
        if (icetap_inv_index_grow(ix) != ICETAP_OK) {
            icetap_free(id);
            return ICETAP_NOMEM;
        }
    }

    mask = ix->cap - 1;
    i = icetap_inv_hash(id, len) & mask;

    while (ix->slots[i].id != NULL && ix->slots[i].id != ICETAP_INV_TOMB) {
        i = (i + 1) & mask;
    }

    if (ix->slots[i].id == NULL) {
        ix->used++;
    }

    e = &ix->slots[i];
    e->id = id;
    e->len = len;
    e->file = file;
    e->pos = pos;
    e->seq = seq;
    e->marker = marker;
    ix->n++;

    return ICETAP_OK;
}


static void
icetap_inv_index_del(icetap_inv_index_t *ix, icetap_inv_entry_t *e)
{
    icetap_free(e->id);
    e->id = ICETAP_INV_TOMB;
    ix->n--;
}


static icetap_rc
icetap_inv_index_file(icetap_inv_index_t *ix, const char *path,
    uint32_t *file)
{
    size_t   i;
    void    *p;

    for (i = ix->nfiles; i > 0; i--) {
        if (strcmp(ix->files[i - 1], path) == 0) {
            *file = (uint32_t) (i - 1);
            return ICETAP_OK;
        }
    }

    if (ix->nfiles == ix->cfiles) {
        ix->cfiles = ix->cfiles ? 2 * ix->cfiles : 64;
        p = icetap_realloc(ix->files, ix->cfiles * sizeof(char *));
        if (p == NULL) {
            return ICETAP_NOMEM;
        }

        ix->files = p;
    }

    ix->files[ix->nfiles] = icetap_strndup(path, strlen(path));
    if (ix->files[ix->nfiles] == NULL) {
        return ICETAP_NOMEM;
    }

    *file = (uint32_t) ix->nfiles++;

    return ICETAP_OK;
}


/* opening */


icetap_rc
icetap_inventory_open(icetap_table_t *t, const icetap_inventory_conf_t *conf,
    icetap_inventory_t **out, icetap_error_t *err)
{
    icetap_inventory_t  *inv;

    *out = NULL;

    inv = icetap_calloc(1, sizeof(icetap_inventory_t));
    if (inv == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    inv->t = t;
    inv->wal_dir = icetap_strndup(conf->wal_dir, strlen(conf->wal_dir));
    inv->bucket = icetap_strndup(conf->bucket, strlen(conf->bucket));
    inv->bucket_len = strlen(conf->bucket);
    inv->index_path = conf->index_path
                      ? icetap_strndup(conf->index_path,
                                       strlen(conf->index_path))
                      : NULL;
    inv->source = conf->source;
    inv->open_store = conf->open_store;
    inv->store_ctx = conf->store_ctx;
    inv->concurrency = conf->concurrency ? conf->concurrency : 8;
    inv->max_records = conf->max_records ? conf->max_records : 100000;
    inv->cancelled = conf->cancelled;
    inv->known_snapshot = ICETAP_NO_SNAPSHOT;
    inv->ix_snapshot = ICETAP_NO_SNAPSHOT;

    if (inv->wal_dir == NULL || inv->bucket == NULL
        || (conf->index_path != NULL && inv->index_path == NULL))
    {
        icetap_inventory_free(inv);
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    *out = inv;

    return ICETAP_OK;
}


void
icetap_inventory_free(icetap_inventory_t *inv)
{
    unsigned  i;

    if (inv == NULL) {
        return;
    }

    for (i = 1; i < inv->npool; i++) {
        icetap_store_destroy(inv->pool[i]);
    }

    icetap_inv_index_clear(&inv->ix);
    icetap_wal_cursor_free(&inv->cursor);
    icetap_free(inv->wal_dir);
    icetap_free(inv->bucket);
    icetap_free(inv->index_path);
    icetap_free(inv);
}


const icetap_wal_cursor_t *
icetap_inventory_cursor(const icetap_inventory_t *inv)
{
    return &inv->cursor;
}


const icetap_inventory_stats_t *
icetap_inventory_stats(const icetap_inventory_t *inv)
{
    return &inv->stats;
}


static const char *
icetap_inv_summary(const icetap_table_metadata_t *md,
    const icetap_snapshot_t *snap, const char *key)
{
    size_t       n;
    const char  *s;

    for (n = 0; snap != NULL && n <= md->nsnapshots; n++) {
        s = icetap_kvs_get(&snap->summary, key);

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


icetap_rc
icetap_inventory_journal_cursor(icetap_table_t *journal,
    icetap_wal_cursor_t *c, icetap_error_t *err)
{
    icetap_rc                       rc;
    const char                     *s;
    icetap_snapshot_t              *snap;
    const icetap_table_metadata_t  *md;

    memset(c, 0, sizeof(icetap_wal_cursor_t));

    rc = icetap_table_refresh(journal, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    md = icetap_table_metadata(journal);
    snap = icetap_metadata_current_snapshot(md);
    s = icetap_inv_summary(md, snap, ICETAP_JOURNAL_CURSOR_KEY);

    if (s == NULL) {
        return ICETAP_OK;
    }

    return icetap_wal_cursor_parse(s, c, err);
}


/* the table's cursor and state, the index of its current snapshot */

static icetap_rc
icetap_inv_sync(icetap_inventory_t *inv, icetap_error_t *err)
{
    int64_t                         id;
    icetap_rc                       rc;
    const char                     *s;
    icetap_snapshot_t              *snap;
    const icetap_table_metadata_t  *md;

    rc = icetap_table_refresh(inv->t, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    md = icetap_table_metadata(inv->t);
    snap = icetap_metadata_current_snapshot(md);
    id = snap ? snap->snapshot_id : ICETAP_NO_SNAPSHOT;

    if (inv->loaded && id == inv->known_snapshot) {
        return ICETAP_OK;
    }

    icetap_wal_cursor_free(&inv->cursor);

    s = icetap_inv_summary(md, snap, ICETAP_JOURNAL_CURSOR_KEY);

    if (s != NULL) {
        rc = icetap_wal_cursor_parse(s, &inv->cursor, err);
        if (rc != ICETAP_OK) {
            return rc;
        }
    }

    s = icetap_inv_summary(md, snap, ICETAP_INVENTORY_STATE_KEY);

    if (snap == NULL) {
        inv->state = ICETAP_INVENTORY_NEW;

    } else if (s != NULL && strcmp(s, "active") == 0) {
        inv->state = ICETAP_INVENTORY_ACTIVE;

    } else {
        inv->state = ICETAP_INVENTORY_BACKFILLING;
    }

    inv->known_snapshot = id;
    inv->loaded = 1;

    return ICETAP_OK;
}


icetap_rc
icetap_inventory_state(icetap_inventory_t *inv,
    icetap_inventory_state_e *state, icetap_error_t *err)
{
    icetap_rc  rc;

    rc = icetap_inv_sync(inv, err);
    *state = inv->state;

    return rc;
}


static icetap_rc
icetap_inv_commit(icetap_inventory_t *inv, icetap_table_update_t *u,
    const icetap_wal_cursor_t *cursor, const char *state, int64_t *sid,
    icetap_error_t *err)
{
    char       *cur;
    icetap_rc   rc;

    cur = icetap_wal_cursor_format(cursor);
    if (cur == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    rc = icetap_table_update_set(u, ICETAP_JOURNAL_CURSOR_KEY, cur, err);

    if (rc == ICETAP_OK) {
        rc = icetap_table_update_set(u, ICETAP_INVENTORY_STATE_KEY, state,
                                     err);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_table_update_commit(u, sid, err);
    }

    free(cur);

    if (rc != ICETAP_OK) {
        /* the next call takes cursor and index from what is current */
        inv->loaded = 0;
        inv->ix_valid = 0;
        return rc;
    }

    inv->stats.commits++;
    inv->stats.last_commit_ms = icetap_table_now_ms();
    inv->stats.snapshot_id = *sid;
    inv->known_snapshot = *sid;

    return ICETAP_OK;
}


static icetap_rc
icetap_inv_cursor_copy(const icetap_wal_cursor_t *from,
    icetap_wal_cursor_t *to)
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


icetap_rc
icetap_inventory_start(icetap_inventory_t *inv,
    const icetap_wal_cursor_t *from, icetap_error_t *err)
{
    int64_t                 sid;
    icetap_rc               rc;
    icetap_table_update_t  *u;

    rc = icetap_inv_sync(inv, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (inv->state != ICETAP_INVENTORY_NEW) {
        return ICETAP_OK;
    }

    rc = icetap_table_update_new(inv->t, &u, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    rc = icetap_table_update_operation(u, "append", err);

    if (rc == ICETAP_OK) {
        rc = icetap_inv_commit(inv, u, from, "backfilling", &sid, err);
    }

    icetap_table_update_free(u);

    if (rc != ICETAP_OK) {
        return rc;
    }

    icetap_wal_cursor_free(&inv->cursor);

    if (icetap_inv_cursor_copy(from, &inv->cursor) != ICETAP_OK) {
        inv->loaded = 0;
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    inv->state = ICETAP_INVENTORY_BACKFILLING;

    return ICETAP_OK;
}


/* rows */


static icetap_rc
icetap_inv_str_col(icetap_pq_writer_t *pw, const icetap_jstr_t *s)
{
    if (s->null) {
        return icetap_pq_null(pw);
    }

    return icetap_pq_bytes(pw, s->s.data ? s->s.data : "", s->s.len);
}


static icetap_rc
icetap_inv_map_col(icetap_pq_writer_t *pw, const icetap_jmap_t *m)
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


#define icetap_inv_bool_col(pw, b)                                           \
    ((b)->null ? icetap_pq_null(pw) : icetap_pq_bool(pw, (b)->v))

#define icetap_inv_long_col(pw, l)                                           \
    ((l)->null ? icetap_pq_null(pw) : icetap_pq_int64(pw, (l)->v))


static icetap_rc
icetap_inv_write_row(icetap_table_writer_t *w, icetap_journal_row_t *row,
    icetap_error_t *err)
{
    icetap_rc            rc;
    icetap_pq_writer_t  *pw;

    if (icetap_inv_null_version(row->version_id.s.data,
                                row->version_id.s.len))
    {
        row->version_id.null = 1;
    }

    rc = icetap_table_writer_begin(w, NULL, &pw);

    if (rc == ICETAP_OK) {
        rc = icetap_pq_bytes(pw, row->bucket.data, row->bucket.len);
    }

#define next(call)  if (rc == ICETAP_OK) { rc = (call); }

    next(icetap_pq_bytes(pw, row->key.data, row->key.len));
    next(icetap_pq_str(pw, row->sequence_number));
    next(icetap_inv_str_col(pw, &row->version_id));
    next(icetap_inv_bool_col(pw, &row->is_delete_marker));
    next(icetap_inv_long_col(pw, &row->size));
    next(icetap_inv_long_col(pw, &row->last_modified_us));
    next(icetap_inv_str_col(pw, &row->e_tag));
    next(icetap_inv_str_col(pw, &row->storage_class));
    next(icetap_inv_bool_col(pw, &row->is_multipart));
    next(icetap_inv_str_col(pw, &row->encryption_status));
    next(icetap_inv_bool_col(pw, &row->is_bucket_key_enabled));
    next(icetap_inv_str_col(pw, &row->kms_key_arn));
    next(icetap_inv_str_col(pw, &row->checksum_algorithm));
    next(icetap_inv_map_col(pw, &row->object_tags));
    next(icetap_inv_map_col(pw, &row->user_metadata));
    next(icetap_table_writer_end(w));

#undef next

    if (rc != ICETAP_OK) {
        *err = *icetap_table_writer_error(w);
        if (err->code == ICETAP_OK) {
            icetap_error_set(err, rc, "writing an inventory row failed");
        }
    }

    return rc;
}


static icetap_rc
icetap_inv_writer(icetap_inventory_t *inv, icetap_table_writer_t **w,
    icetap_error_t *err)
{
    icetap_table_writer_conf_t  wc;

    memset(&wc, 0, sizeof(wc));
    wc.target_file_size = (size_t) 1 << 40;

    return icetap_table_writer_open(inv->t, &wc, w, err);
}


/* the backfill */


typedef struct {
    const icetap_store_version_t  *v;
    icetap_journal_lookup_t        lk;
    icetap_rc                      rc;
    icetap_error_t                 err;
} icetap_inv_item_t;


typedef struct {
    icetap_inventory_t            *inv;
    icetap_store_t                *store;
    icetap_inv_item_t             *items;
    size_t                         n;
    size_t                         from;
    size_t                         step;
} icetap_inv_worker_t;


typedef struct {
    icetap_inventory_t            *inv;
    icetap_table_writer_t         *w;
    icetap_store_t               **stores;
    unsigned                       nstores;
    icetap_inv_item_t             *items;
    size_t                         cap;
    uint64_t                       rows;
    icetap_error_t                *err;
} icetap_inv_backfill_t;


static void
icetap_inv_version_rec(icetap_inventory_t *inv,
    const icetap_store_version_t *v, icetap_wal_rec_t *rec)
{
    memset(rec, 0, sizeof(icetap_wal_rec_t));

    rec->op = v->delete_marker ? ICETAP_WAL_OP_DELETE : ICETAP_WAL_OP_PUT;
    rec->flags = v->delete_marker
                 ? (ICETAP_WAL_F_DM_KNOWN | ICETAP_WAL_F_DELETE_MARKER)
                 : ICETAP_WAL_F_ENRICH;
    rec->time_us = v->last_modified_ms * 1000;
    rec->seq = (uint64_t) v->last_modified_ms * 1000;
    rec->bucket.data = inv->bucket;
    rec->bucket.len = inv->bucket_len;
    rec->key.data = v->key;
    rec->key.len = strlen(v->key);

    if (v->version_id != NULL) {
        rec->version_id.data = v->version_id;
        rec->version_id.len = strlen(v->version_id);
    }

    if (v->etag != NULL) {
        rec->etag.data = v->etag;
        rec->etag.len = strlen(v->etag);
    }
}


static void *
icetap_inv_worker(void *arg)
{
    size_t                i;
    icetap_wal_rec_t      rec;
    icetap_inv_item_t    *it;
    icetap_inv_worker_t  *wk = arg;

    for (i = wk->from; i < wk->n; i += wk->step) {
        it = &wk->items[i];

        if (it->v->delete_marker) {
            continue;
        }

        icetap_inv_version_rec(wk->inv, it->v, &rec);
        it->rc = icetap_journal_lookup(wk->store, &rec, &it->lk, &it->err);
    }

    return NULL;
}


static icetap_rc
icetap_inv_backfill_page(void *ctx, const icetap_store_version_t *v,
    size_t n)
{
    size_t                  i;
    unsigned                k, nt;
    icetap_rc               rc;
    pthread_t               th[64];
    icetap_wal_rec_t        rec;
    icetap_inv_worker_t     wk[64];
    icetap_journal_row_t    row;
    icetap_inv_backfill_t  *b = ctx;

    if (b->inv->cancelled != NULL && b->inv->cancelled()) {
        return icetap_error_set(b->err, ICETAP_AGAIN, "backfill stopped");
    }

    if (n > b->cap) {
        icetap_free(b->items);
        b->items = icetap_calloc(n, sizeof(icetap_inv_item_t));
        if (b->items == NULL) {
            b->cap = 0;
            return icetap_error_set(b->err, ICETAP_NOMEM, "out of memory");
        }

        b->cap = n;
    }

    memset(b->items, 0, n * sizeof(icetap_inv_item_t));

    for (i = 0; i < n; i++) {
        b->items[i].v = &v[i];
    }

    nt = b->nstores;

    for (k = 0; k < nt; k++) {
        wk[k].inv = b->inv;
        wk[k].store = b->stores[k];
        wk[k].items = b->items;
        wk[k].n = n;
        wk[k].from = k;
        wk[k].step = nt;
    }

    for (k = 1; k < nt; k++) {
        if (pthread_create(&th[k], NULL, icetap_inv_worker, &wk[k]) != 0) {
            /* this one's share is done by the caller's thread */
            wk[k].step = 0;
        }
    }

    (void) icetap_inv_worker(&wk[0]);

    for (k = 1; k < nt; k++) {
        if (wk[k].step == 0) {
            wk[k].step = nt;
            (void) icetap_inv_worker(&wk[k]);

        } else {
            (void) pthread_join(th[k], NULL);
        }
    }

    rc = ICETAP_OK;

    for (i = 0; i < n; i++) {
        if (rc == ICETAP_OK && b->items[i].rc != ICETAP_OK) {
            rc = b->items[i].rc;
            *b->err = b->items[i].err;
        }

        if (rc == ICETAP_OK
            && (v[i].delete_marker || b->items[i].lk.e.found))
        {
            icetap_inv_version_rec(b->inv, &v[i], &rec);

            rc = icetap_journal_row(&rec, v[i].delete_marker
                                          ? NULL : &b->items[i].lk.e,
                                    &row, b->err);

            if (rc == ICETAP_OK && v[i].delete_marker) {
                row.last_modified_us.null = 0;
                row.last_modified_us.v = v[i].last_modified_ms * 1000;
            }

            if (rc == ICETAP_OK) {
                rc = icetap_inv_write_row(b->w, &row, b->err);
            }

            b->rows += (rc == ICETAP_OK);
        }

        icetap_journal_lookup_free(&b->items[i].lk);
    }

    b->inv->stats.lookups += n;

    return rc;
}


icetap_rc
icetap_inventory_backfill(icetap_inventory_t *inv, icetap_error_t *err)
{
    int64_t                 sid;
    unsigned                k;
    icetap_rc               rc;
    icetap_store_t         *stores[64];
    icetap_table_update_t  *u;
    icetap_inv_backfill_t   b;

    rc = icetap_inv_sync(inv, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (inv->state != ICETAP_INVENTORY_BACKFILLING) {
        return ICETAP_OK;
    }

    memset(&b, 0, sizeof(b));
    b.inv = inv;
    b.err = err;
    b.stores = stores;

    stores[0] = inv->source;
    b.nstores = 1;

    for (k = 1; inv->open_store != NULL && k < inv->concurrency && k < 64;
         k++)
    {
        stores[k] = inv->open_store(inv->store_ctx, err);
        if (stores[k] == NULL) {
            break;
        }

        b.nstores++;
    }

    icetap_error_clear(err);

    rc = icetap_inv_writer(inv, &b.w, err);

    if (rc == ICETAP_OK) {
        rc = icetap_store_s3_list_versions(inv->source, NULL,
                                           ICETAP_INV_PAGE,
                                           icetap_inv_backfill_page, &b,
                                           err);
    }

    for (k = 1; k < b.nstores; k++) {
        icetap_store_destroy(stores[k]);
    }

    icetap_free(b.items);

    if (rc == ICETAP_OK) {
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

        return rc;
    }

    u = NULL;
    rc = icetap_table_update_new(inv->t, &u, err);

    if (rc == ICETAP_OK) {
        rc = icetap_table_update_add_files(u, b.w, err);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_table_update_operation(u, "append", err);
    }

    if (rc == ICETAP_OK) {
        inv->stats.bytes_written += icetap_table_writer_bytes(b.w);
        rc = icetap_inv_commit(inv, u, &inv->cursor, "active", &sid, err);
    }

    if (u != NULL) {
        icetap_table_update_free(u);

    } else {
        icetap_table_writer_abort(b.w);
    }

    icetap_table_writer_free(b.w);

    if (rc != ICETAP_OK) {
        return rc;
    }

    inv->state = ICETAP_INVENTORY_ACTIVE;
    inv->stats.backfilled = b.rows;
    inv->ix_valid = 0;

    return ICETAP_OK;
}


/* the index from the table, or from its file */


static icetap_rc
icetap_inv_value_str(const icetap_table_batch_t *b, int32_t id, size_t row,
    const char **p, size_t *len, icetap_error_t *err)
{
    icetap_rc       rc;
    icetap_value_t  v;

    rc = icetap_table_batch_value(b, id, row, &v, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (v.is_null) {
        *p = NULL;
        *len = 0;
        return ICETAP_OK;
    }

    *p = (const char *) v.v.bin.data;
    *len = v.v.bin.len;

    return ICETAP_OK;
}


static icetap_rc
icetap_inv_index_rebuild(icetap_inventory_t *inv, icetap_error_t *err)
{
    char                   *id, seqs[17];
    size_t                  r, klen, vlen, slen;
    uint32_t                file;
    uint64_t                seq;
    icetap_rc               rc;
    const char             *k, *vid, *s;
    icetap_value_t          dm;
    icetap_table_batch_t    b;
    icetap_table_reader_t  *rd;

    icetap_inv_index_clear(&inv->ix);
    inv->ix_valid = 0;

    if (inv->known_snapshot == ICETAP_NO_SNAPSHOT) {
        inv->ix_snapshot = ICETAP_NO_SNAPSHOT;
        inv->ix_valid = 1;
        return ICETAP_OK;
    }

    rc = icetap_table_reader_open(inv->t, inv->known_snapshot, &rd, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    for ( ;; ) {
        rc = icetap_table_reader_next(rd, &b, err);

        if (rc == ICETAP_EOF) {
            rc = ICETAP_OK;
            break;
        }

        if (rc != ICETAP_OK) {
            break;
        }

        if (b.nlive == 0) {
            continue;
        }

        rc = icetap_inv_index_file(&inv->ix, b.file_path, &file);

        for (r = 0; rc == ICETAP_OK && r < b.nrows; r++) {
            if (!b.live[r]) {
                continue;
            }

            rc = icetap_inv_value_str(&b, 2, r, &k, &klen, err);

            if (rc == ICETAP_OK) {
                rc = icetap_inv_value_str(&b, 4, r, &vid, &vlen, err);
            }

            if (rc == ICETAP_OK) {
                rc = icetap_inv_value_str(&b, 3, r, &s, &slen, err);
            }

            if (rc == ICETAP_OK) {
                rc = icetap_table_batch_value(&b, 5, r, &dm, err);
            }

            if (rc != ICETAP_OK) {
                break;
            }

            seq = 0;

            if (s != NULL && slen < sizeof(seqs)) {
                memcpy(seqs, s, slen);
                seqs[slen] = '\0';
                seq = strtoull(seqs, NULL, 16);
            }

            id = icetap_inv_id(k ? k : "", klen, vid, vlen, &klen);

            if (id == NULL
                || icetap_inv_index_put(&inv->ix, id, klen, file,
                                        b.first_pos + r, seq,
                                        !dm.is_null && dm.v.b)
                   != ICETAP_OK)
            {
                rc = icetap_error_set(err, ICETAP_NOMEM, "out of memory");
            }
        }

        if (rc != ICETAP_OK) {
            break;
        }
    }

    icetap_table_reader_free(rd);

    if (rc != ICETAP_OK) {
        icetap_inv_index_clear(&inv->ix);
        return rc;
    }

    inv->ix_snapshot = inv->known_snapshot;
    inv->ix_valid = 1;
    inv->stats.index_rebuilds++;

    icetap_inv_index_save(inv);

    return ICETAP_OK;
}


/*
 * The file: magic, snapshot id, the file paths, the entries; a trailer
 * with the entry count guards against a torn file.  It is written to a
 * temporary name and renamed.
 */

static int
icetap_inv_put(FILE *f, const void *p, size_t n)
{
    return fwrite(p, 1, n, f) == n;
}


static void
icetap_inv_index_save(icetap_inventory_t *inv)
{
    int                  ok;
    FILE                *f;
    size_t               i;
    uint64_t             v;
    icetap_inv_entry_t  *e;
    char                 tmp[4096];

    if (inv->index_path == NULL || !inv->ix_valid) {
        return;
    }

    snprintf(tmp, sizeof(tmp), "%s.%d.tmp", inv->index_path, (int) getpid());

    f = fopen(tmp, "wb");
    if (f == NULL) {
        return;
    }

    ok = icetap_inv_put(f, ICETAP_INV_INDEX_MAGIC, 9)
         && icetap_inv_put(f, &inv->ix_snapshot, 8);

    v = inv->ix.nfiles;
    ok = ok && icetap_inv_put(f, &v, 8);

    for (i = 0; ok && i < inv->ix.nfiles; i++) {
        v = strlen(inv->ix.files[i]);
        ok = icetap_inv_put(f, &v, 8)
             && icetap_inv_put(f, inv->ix.files[i], v);
    }

    v = inv->ix.n;
    ok = ok && icetap_inv_put(f, &v, 8);

    for (i = 0; ok && i < inv->ix.cap; i++) {
        e = &inv->ix.slots[i];

        if (e->id == NULL || e->id == ICETAP_INV_TOMB) {
            continue;
        }

        v = e->len;
        ok = icetap_inv_put(f, &v, 8) && icetap_inv_put(f, e->id, e->len)
             && icetap_inv_put(f, &e->file, 4)
             && icetap_inv_put(f, &e->marker, 4)
             && icetap_inv_put(f, &e->pos, 8)
             && icetap_inv_put(f, &e->seq, 8);
    }

    v = inv->ix.n;
    ok = ok && icetap_inv_put(f, &v, 8);

    if (fclose(f) != 0 || !ok || rename(tmp, inv->index_path) != 0) {
        (void) unlink(tmp);
    }
}


static int
icetap_inv_get(FILE *f, void *p, size_t n)
{
    return fread(p, 1, n, f) == n;
}


/* ICETAP_OK when the file describes the current snapshot */

static icetap_rc
icetap_inv_index_load(icetap_inventory_t *inv)
{
    int       ok;
    char      magic[9], *s;
    FILE     *f;
    int64_t   sid;
    uint32_t  file, marker;
    uint64_t  n, i, len, pos, seq, count;

    if (inv->index_path == NULL) {
        return ICETAP_NOTFOUND;
    }

    f = fopen(inv->index_path, "rb");
    if (f == NULL) {
        return ICETAP_NOTFOUND;
    }

    icetap_inv_index_clear(&inv->ix);
    inv->ix_valid = 0;

    ok = icetap_inv_get(f, magic, 9)
         && memcmp(magic, ICETAP_INV_INDEX_MAGIC, 9) == 0
         && icetap_inv_get(f, &sid, 8)
         && sid == inv->known_snapshot
         && icetap_inv_get(f, &n, 8);

    for (i = 0; ok && i < n; i++) {
        ok = icetap_inv_get(f, &len, 8) && len < 65536;
        s = ok ? icetap_alloc(len + 1) : NULL;
        ok = s != NULL && icetap_inv_get(f, s, len);

        if (ok) {
            s[len] = '\0';
            ok = icetap_inv_index_file(&inv->ix, s, &file) == ICETAP_OK
                 && file == i;
        }

        icetap_free(s);
    }

    ok = ok && icetap_inv_get(f, &count, 8);

    for (i = 0; ok && i < count; i++) {
        ok = icetap_inv_get(f, &len, 8) && len < 65536;
        s = ok ? icetap_alloc(len + 1) : NULL;
        ok = s != NULL && icetap_inv_get(f, s, len)
             && icetap_inv_get(f, &file, 4) && file < n
             && icetap_inv_get(f, &marker, 4)
             && icetap_inv_get(f, &pos, 8)
             && icetap_inv_get(f, &seq, 8);

        if (!ok) {
            icetap_free(s);
            break;
        }

        ok = icetap_inv_index_put(&inv->ix, s, len, file, pos, seq,
                                  marker != 0)
             == ICETAP_OK;
    }

    ok = ok && icetap_inv_get(f, &n, 8) && n == count
         && inv->ix.n == count;

    fclose(f);

    if (!ok) {
        icetap_inv_index_clear(&inv->ix);
        return ICETAP_NOTFOUND;
    }

    inv->ix_snapshot = sid;
    inv->ix_valid = 1;
    inv->stats.index_loads++;

    return ICETAP_OK;
}


static void icetap_inv_index_stats(icetap_inventory_t *inv);


static icetap_rc
icetap_inv_index_ready(icetap_inventory_t *inv, icetap_error_t *err)
{
    icetap_rc  rc;

    if (inv->ix_valid && inv->ix_snapshot == inv->known_snapshot) {
        return ICETAP_OK;
    }

    rc = icetap_inv_index_load(inv);

    if (rc != ICETAP_OK) {
        rc = icetap_inv_index_rebuild(inv, err);
    }

    if (rc == ICETAP_OK) {
        icetap_inv_index_stats(inv);
    }

    return rc;
}


static void
icetap_inv_index_stats(icetap_inventory_t *inv)
{
    size_t    i, n;
    uint8_t  *seen;

    inv->stats.live_rows = inv->ix.n;
    inv->stats.files = 0;

    if (inv->ix.nfiles == 0) {
        return;
    }

    seen = icetap_calloc(inv->ix.nfiles, 1);
    if (seen == NULL) {
        return;
    }

    n = 0;

    for (i = 0; i < inv->ix.cap; i++) {
        if (inv->ix.slots[i].id != NULL
            && inv->ix.slots[i].id != ICETAP_INV_TOMB
            && !seen[inv->ix.slots[i].file])
        {
            seen[inv->ix.slots[i].file] = 1;
            n++;
        }
    }

    icetap_free(seen);
    inv->stats.files = n;
}


/* incremental steps */


static int
icetap_inv_relevant(icetap_inventory_t *inv, const icetap_wal_rec_t *rec)
{
    return rec->bucket.len == inv->bucket_len
           && memcmp(rec->bucket.data, inv->bucket, inv->bucket_len) == 0
           && icetap_wal_record_type(rec->op) != NULL
           && rec->key.data != NULL;
}


static icetap_rc
icetap_inv_record(void *ctx, const icetap_wal_rec_t *rec,
    const char *segment, uint64_t next)
{
    void                *p;
    icetap_inv_rec_t    *r;
    icetap_inv_batch_t  *b = ctx;

    if (icetap_wal_cursor_set(b->next, segment, next) != ICETAP_OK) {
        return icetap_error_set(b->err, ICETAP_NOMEM, "out of memory");
    }

    if (!icetap_inv_relevant(b->inv, rec)) {
        return ICETAP_OK;
    }

    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 256;
        p = icetap_realloc(b->recs, b->cap * sizeof(icetap_inv_rec_t));
        if (p == NULL) {
            return icetap_error_set(b->err, ICETAP_NOMEM, "out of memory");
        }

        b->recs = p;
    }

    r = &b->recs[b->n];
    memset(r, 0, sizeof(icetap_inv_rec_t));

    r->id = icetap_inv_id(rec->key.data, rec->key.len, rec->version_id.data,
                          rec->version_id.len, &r->len);
    r->seq = rec->seq;
    r->op = rec->op;
    r->enc_len = icetap_wal_rec_size(rec);
    r->enc = icetap_alloc(r->enc_len ? r->enc_len : 1);

    if (r->id == NULL || r->enc == NULL) {
        icetap_free(r->id);
        icetap_free(r->enc);
        return icetap_error_set(b->err, ICETAP_NOMEM, "out of memory");
    }

    r->enc_len = icetap_wal_rec_encode(rec, r->enc);
    b->n++;

    return ICETAP_OK;
}


/*
 * A tag change without a version id (a store that does not report
 * x-amz-version-id on PutObjectTagging) changed the version that was
 * current then: the one the key's latest earlier put of the batch made;
 * else the current one by a HEAD, unless a later put of the batch made
 * that one, in which case the newest version the listing shows that no
 * later put of the batch made.  A bucket that was never versioned has
 * no version ids: nothing to resolve.
 */

static int
icetap_inv_creates(unsigned op)
{
    return op == ICETAP_WAL_OP_PUT || op == ICETAP_WAL_OP_COPY
           || op == ICETAP_WAL_OP_COMPLETE_MPU || op == ICETAP_WAL_OP_POST;
}


typedef struct {
    const char                *key;
    icetap_inv_rec_t          *recs;        /* the key's, later puts */
    size_t                     n;
    uint64_t                   seq;
    char                      *found;
} icetap_inv_latest_t;


static int
icetap_inv_made_later(icetap_inv_rec_t *recs, size_t n, uint64_t seq,
    const char *vid)
{
    size_t       i, klen;
    const char  *v;

    for (i = 0; i < n; i++) {
        if (!icetap_inv_creates(recs[i].op) || recs[i].seq <= seq) {
            continue;
        }

        klen = strlen(recs[i].id);
        v = recs[i].id + klen + 1;

        if (strcmp(v, vid) == 0) {
            return 1;
        }
    }

    return 0;
}


static icetap_rc
icetap_inv_latest_page(void *ctx, const icetap_store_version_t *v, size_t n)
{
    size_t                i;
    icetap_inv_latest_t  *l = ctx;

    for (i = 0; i < n; i++) {
        if (strcmp(v[i].key, l->key) != 0) {
            if (strcmp(v[i].key, l->key) > 0) {
                return ICETAP_EOF;
            }

            continue;
        }

        if (v[i].delete_marker || v[i].version_id == NULL
            || icetap_inv_made_later(l->recs, l->n, l->seq, v[i].version_id))
        {
            continue;
        }

        l->found = icetap_strndup(v[i].version_id, strlen(v[i].version_id));

        return l->found ? ICETAP_EOF : ICETAP_NOMEM;
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_inv_resolve(icetap_inventory_t *inv, icetap_inv_rec_t *recs,
    size_t n, size_t t, icetap_error_t *err)
{
    char                    key[1025 * 3], *id, *vid;
    size_t                  i, len, best;
    uint8_t                *enc;
    icetap_rc               rc;
    icetap_inv_rec_t       *r;
    icetap_wal_rec_t        rec;
    icetap_inv_latest_t     l;
    icetap_store_s3_head_t  h;

    r = &recs[t];

    if ((r->op != ICETAP_WAL_OP_PUT_TAGGING
         && r->op != ICETAP_WAL_OP_DELETE_TAGGING)
        || r->id[r->len - 1] != '\0' || r->len > sizeof(key))
    {
        return ICETAP_OK;
    }

    memcpy(key, r->id, r->len);
    vid = NULL;
    best = n;

    for (i = 0; i < n; i++) {
        if (icetap_inv_creates(recs[i].op) && recs[i].seq < r->seq
            && recs[i].id[recs[i].len - 1] != '\0'
            && (best == n || recs[i].seq > recs[best].seq))
        {
            best = i;
        }
    }

    if (best < n) {
        vid = icetap_strndup(recs[best].id + r->len,
                             recs[best].len - r->len);
        if (vid == NULL) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }

    } else {
        memset(&h, 0, sizeof(h));

        rc = icetap_store_s3_head_version(inv->source, key, NULL, &h, err);
        inv->stats.lookups++;

        if (rc != ICETAP_OK) {
            icetap_store_s3_head_free(&h);

            if (rc == ICETAP_NOTFOUND
                || (err->http_status >= 400 && err->http_status < 500
                    && err->http_status != 429))
            {
                /* gone: nothing to apply it to */
                icetap_error_clear(err);
                return ICETAP_OK;
            }

            return rc;
        }

        if (icetap_inv_null_version(h.version_id, strlen(h.version_id))) {
            icetap_store_s3_head_free(&h);
            return ICETAP_OK;
        }

        if (!icetap_inv_made_later(recs, n, r->seq, h.version_id)) {
            vid = icetap_strndup(h.version_id, strlen(h.version_id));
            icetap_store_s3_head_free(&h);

            if (vid == NULL) {
                return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
            }

        } else {
            icetap_store_s3_head_free(&h);

            memset(&l, 0, sizeof(l));
            l.key = key;
            l.recs = recs;
            l.n = n;
            l.seq = r->seq;

            rc = icetap_store_s3_list_versions(inv->source, key, 0,
                                               icetap_inv_latest_page, &l,
                                               err);
            inv->stats.lookups++;

            if (rc != ICETAP_OK) {
                icetap_free(l.found);
                return rc;
            }

            if (l.found == NULL) {
                return ICETAP_OK;
            }

            vid = l.found;
        }
    }

    rc = icetap_wal_rec_decode(r->enc, r->enc_len, &rec, err);
    if (rc != ICETAP_OK) {
        icetap_free(vid);
        return rc;
    }

    rec.version_id.data = vid;
    rec.version_id.len = strlen(vid);

    id = icetap_inv_id(rec.key.data, rec.key.len, rec.version_id.data,
                       rec.version_id.len, &len);
    enc = icetap_alloc(icetap_wal_rec_size(&rec) + 1);

    if (id == NULL || enc == NULL) {
        icetap_free(id);
        icetap_free(enc);
        icetap_free(vid);
        icetap_wal_rec_free(&rec);
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    icetap_free(r->id);
    icetap_free(r->enc);
    r->id = id;
    r->len = len;
    r->enc = enc;
    r->enc_len = icetap_wal_rec_encode(&rec, enc);

    icetap_free(vid);
    icetap_wal_rec_free(&rec);

    return ICETAP_OK;
}


static int
icetap_inv_rec_cmp(const void *a, const void *b)
{
    int                      c;
    size_t                   n;
    const icetap_inv_rec_t  *x = a, *y = b;

    n = x->len < y->len ? x->len : y->len;
    c = memcmp(x->id, y->id, n);

    if (c != 0) {
        return c;
    }

    if (x->len != y->len) {
        return x->len < y->len ? -1 : 1;
    }

    if (x->seq != y->seq) {
        return x->seq < y->seq ? -1 : 1;
    }

    return 0;
}


/* what one identity becomes after its records */

typedef struct {
    icetap_inv_rec_t        *src;           /* the record of the new row */
    icetap_inv_entry_t      *old;           /* its row now, NULL: none */
    unsigned                 exists:1;
    unsigned                 marker:1;
} icetap_inv_fold_t;


static icetap_rc
icetap_inv_fold(icetap_inventory_t *inv, icetap_inv_rec_t *r, size_t n,
    icetap_inv_fold_t *f, icetap_error_t *err)
{
    size_t            i;
    icetap_rc         rc;
    const char       *rt;
    icetap_wal_rec_t  rec;

    memset(f, 0, sizeof(icetap_inv_fold_t));

    f->old = icetap_inv_index_find(&inv->ix, r[0].id, r[0].len);
    f->exists = (f->old != NULL);
    f->marker = f->old ? f->old->marker : 0;

    for (i = 0; i < n; i++) {
        if (f->old != NULL && r[i].seq < f->old->seq) {
            /* older than the row: already reflected */
            continue;
        }

        rc = icetap_wal_rec_decode(r[i].enc, r[i].enc_len, &rec, err);
        if (rc != ICETAP_OK) {
            return rc;
        }

        rt = icetap_wal_record_type(rec.op);

        if (rt[0] != 'D') {
            f->exists = 1;
            f->marker = 0;
            f->src = &r[i];

        } else if ((rec.flags & ICETAP_WAL_F_DM_KNOWN)
                   && (rec.flags & ICETAP_WAL_F_DELETE_MARKER))
        {
            /*
             * A delete marker made (the tap flags only those; a marker
             * deleted by its version id is a delete of that version);
             * replayed over a backfill that listed it, the same row.
             */
            f->exists = 1;
            f->marker = 1;
            f->src = &r[i];

        } else {
            f->exists = 0;
        }

        icetap_wal_rec_free(&rec);
        inv->stats.applied++;
    }

    return ICETAP_OK;
}


typedef struct {
    char                    *id;
    size_t                   len;
    uint64_t                 seq;
    unsigned                 marker:1;
} icetap_inv_new_t;


static icetap_rc
icetap_inv_positions(icetap_inventory_t *inv, icetap_table_update_t *u,
    icetap_inv_entry_t **olds, size_t nold, icetap_error_t *err)
{
    size_t               i, j;
    uint32_t             file;
    icetap_rc            rc;
    icetap_roaring64_t  *rb;

    rc = ICETAP_OK;

    for (i = 0; rc == ICETAP_OK && i < nold; i++) {
        if (olds[i] == NULL) {
            continue;
        }

        file = olds[i]->file;
        rb = icetap_roaring64_create();
        if (rb == NULL) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }

        for (j = i; j < nold; j++) {
            if (olds[j] != NULL && olds[j]->file == file) {
                if (icetap_roaring64_add(rb, olds[j]->pos) != ICETAP_OK) {
                    rc = icetap_error_set(err, ICETAP_NOMEM,
                                          "out of memory");
                    break;
                }

                if (j != i) {
                    olds[j] = NULL;
                }
            }
        }

        if (rc == ICETAP_OK) {
            rc = icetap_table_update_delete_rows(u, inv->ix.files[file], rb,
                                                 err);
        }

        icetap_roaring64_destroy(rb);
    }

    return rc;
}


typedef struct {
    icetap_inv_fold_t          f;
    icetap_wal_rec_t           rec;
    icetap_journal_lookup_t    lk;
    icetap_rc                  rc;
    icetap_error_t             err;
    unsigned                   decoded:1;
    unsigned                   lookup:1;
} icetap_inv_act_t;


typedef struct {
    icetap_store_t            *store;
    icetap_inv_act_t          *acts;
    size_t                     n;
    size_t                     from;
    size_t                     step;
} icetap_inv_looker_t;


static void *
icetap_inv_looker(void *arg)
{
    size_t                i;
    icetap_inv_act_t     *a;
    icetap_inv_looker_t  *l = arg;

    for (i = l->from; i < l->n; i += l->step) {
        a = &l->acts[i];

        if (a->lookup) {
            a->rc = icetap_journal_lookup(l->store, &a->rec, &a->lk, &a->err);
        }
    }

    return NULL;
}


/* the store handles of the look-up threads, opened once */

static unsigned
icetap_inv_pool(icetap_inventory_t *inv)
{
    icetap_error_t  err;

    if (inv->npool == 0) {
        inv->pool[0] = inv->source;
        inv->npool = 1;
    }

    while (inv->open_store != NULL && inv->npool < inv->concurrency
           && inv->npool < 64 && !inv->pool_failed)
    {
        inv->pool[inv->npool] = inv->open_store(inv->store_ctx, &err);

        if (inv->pool[inv->npool] == NULL) {
            inv->pool_failed = 1;
            break;
        }

        inv->npool++;
    }

    return inv->npool;
}


static icetap_rc
icetap_inv_lookups(icetap_inventory_t *inv, icetap_inv_act_t *acts,
    size_t n, icetap_error_t *err)
{
    size_t               i, need;
    unsigned             k, nt;
    pthread_t            th[64];
    icetap_inv_looker_t  lk[64];

    need = 0;

    for (i = 0; i < n; i++) {
        need += acts[i].lookup;
    }

    if (need == 0) {
        return ICETAP_OK;
    }

    nt = icetap_inv_pool(inv);

    if (nt > need) {
        nt = (unsigned) need;
    }

    for (k = 0; k < nt; k++) {
        lk[k].store = inv->pool[k];
        lk[k].acts = acts;
        lk[k].n = n;
        lk[k].from = k;
        lk[k].step = nt;
    }

    for (k = 1; k < nt; k++) {
        if (pthread_create(&th[k], NULL, icetap_inv_looker, &lk[k]) != 0) {
            lk[k].step = 0;
        }
    }

    (void) icetap_inv_looker(&lk[0]);

    for (k = 1; k < nt; k++) {
        if (lk[k].step == 0) {
            lk[k].step = nt;
            (void) icetap_inv_looker(&lk[k]);

        } else {
            (void) pthread_join(th[k], NULL);
        }
    }

    inv->stats.lookups += need;

    for (i = 0; i < n; i++) {
        if (acts[i].lookup && acts[i].rc != ICETAP_OK) {
            *err = acts[i].err;
            return acts[i].rc;
        }
    }

    return ICETAP_OK;
}


icetap_rc
icetap_inventory_step(icetap_inventory_t *inv, size_t *applied, int *more,
    icetap_error_t *err)
{
    char                   *id;
    size_t                  i, j, k, klen, nnew, nold, nacts;
    int64_t                 sid;
    uint32_t                file;
    icetap_rc               rc;
    const char             *path;
    icetap_inv_act_t       *acts, *a;
    icetap_inv_fold_t       f;
    icetap_inv_new_t       *news;
    icetap_inv_batch_t      b;
    icetap_inv_entry_t    **olds, **tmp_olds;
    icetap_wal_cursor_t     next;
    icetap_journal_row_t    row;
    icetap_table_writer_t  *w;
    icetap_table_update_t  *u;

    *applied = 0;
    acts = NULL;
    nacts = 0;
    *more = 0;

    rc = icetap_inv_sync(inv, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (inv->state != ICETAP_INVENTORY_ACTIVE) {
        return ICETAP_OK;
    }

    rc = icetap_inv_index_ready(inv, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (icetap_inv_cursor_copy(&inv->cursor, &next) != ICETAP_OK) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    memset(&b, 0, sizeof(b));
    b.inv = inv;
    b.next = &next;
    b.err = err;

    rc = icetap_wal_read_batch(inv->wal_dir, &inv->cursor, inv->max_records,
                               icetap_inv_record, &b, more, err);

    news = NULL;
    olds = NULL;
    w = NULL;
    u = NULL;
    nnew = 0;
    nold = 0;

    if (rc != ICETAP_OK) {
        goto done;
    }

    if (b.n == 0) {
        /* nothing of this bucket: the cursor moves on in memory only */
        icetap_wal_cursor_free(&inv->cursor);
        inv->cursor = next;
        memset(&next, 0, sizeof(next));
        goto done;
    }

    /* the records of a key are together: "key\0" starts their ids */

    qsort(b.recs, b.n, sizeof(icetap_inv_rec_t), icetap_inv_rec_cmp);

    for (i = 0; rc == ICETAP_OK && i < b.n; i = j) {
        klen = strlen(b.recs[i].id) + 1;

        for (j = i + 1; j < b.n; j++) {
            if (b.recs[j].len < klen
                || memcmp(b.recs[j].id, b.recs[i].id, klen) != 0)
            {
                break;
            }
        }

        for (k = i; rc == ICETAP_OK && k < j; k++) {
            rc = icetap_inv_resolve(inv, &b.recs[i], j - i, k - i, err);
        }
    }

    if (rc != ICETAP_OK) {
        goto done;
    }

    qsort(b.recs, b.n, sizeof(icetap_inv_rec_t), icetap_inv_rec_cmp);

    news = icetap_calloc(b.n, sizeof(icetap_inv_new_t));
    olds = icetap_calloc(b.n, sizeof(icetap_inv_entry_t *));

    if (news == NULL || olds == NULL) {
        rc = icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        goto done;
    }

    /* what each identity becomes */

    acts = icetap_calloc(b.n, sizeof(icetap_inv_act_t));
    if (acts == NULL) {
        rc = icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        goto done;
    }

    for (i = 0; rc == ICETAP_OK && i < b.n; i = j) {
        for (j = i + 1; j < b.n; j++) {
            if (b.recs[j].len != b.recs[i].len
                || memcmp(b.recs[j].id, b.recs[i].id, b.recs[i].len) != 0)
            {
                break;
            }
        }

        *applied += j - i;

        rc = icetap_inv_fold(inv, &b.recs[i], j - i, &f, err);
        if (rc != ICETAP_OK) {
            break;
        }

        if (f.src == NULL && f.exists) {
            /* nothing newer than the row */
            continue;
        }

        a = &acts[nacts++];
        a->f = f;

        if (f.exists) {
            rc = icetap_wal_rec_decode(f.src->enc, f.src->enc_len, &a->rec,
                                       err);
            if (rc != ICETAP_OK) {
                nacts--;
                break;
            }

            a->decoded = 1;

            if (!f.marker) {
                /* the version as it is now: tags, metadata, class */
                a->rec.flags |= ICETAP_WAL_F_ENRICH;
                a->rec.flags &= ~ICETAP_WAL_F_TAGS;
                a->lookup = 1;
            }
        }
    }

    /* the look-ups, by the backfill's number of threads */

    if (rc == ICETAP_OK) {
        rc = icetap_inv_lookups(inv, acts, nacts, err);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_inv_writer(inv, &w, err);
    }

    for (i = 0; rc == ICETAP_OK && i < nacts; i++) {
        a = &acts[i];

        if (a->lookup && !a->lk.e.found) {
            /* gone since: its delete comes later */
            a->f.exists = 0;
        }

        if (a->f.exists) {
            rc = icetap_journal_row(&a->rec, a->f.marker ? NULL : &a->lk.e,
                                    &row, err);

            if (rc == ICETAP_OK && a->f.marker) {
                row.last_modified_us.null = 0;
                row.last_modified_us.v =
                    (a->rec.flags & ICETAP_WAL_F_LAST_MODIFIED)
                    ? a->rec.last_modified_us : a->rec.time_us;

            } else if (rc == ICETAP_OK) {
                /* the version as the store describes it now */
                row.size.v = a->lk.e.size;
                row.last_modified_us.null = (a->lk.e.last_modified_us == 0);
                row.last_modified_us.v = a->lk.e.last_modified_us;
                row.e_tag.null = (a->lk.e.etag.data == NULL);
                row.e_tag.s = a->lk.e.etag;
                row.storage_class.null = (a->lk.e.storage_class.data == NULL);
                row.storage_class.s = a->lk.e.storage_class;
            }

            if (rc == ICETAP_OK) {
                rc = icetap_inv_write_row(w, &row, err);
            }

            if (rc == ICETAP_OK) {
                news[nnew].id = a->f.src->id;
                news[nnew].len = a->f.src->len;
                news[nnew].seq = a->f.src->seq;
                news[nnew].marker = a->f.marker;
                nnew++;
            }
        }

        if (rc == ICETAP_OK && a->f.old != NULL) {
            olds[nold++] = a->f.old;
        }
    }

    if (rc == ICETAP_OK) {
        rc = icetap_table_writer_close(w);
        if (rc != ICETAP_OK) {
            *err = *icetap_table_writer_error(w);
        }
    }

    if (rc != ICETAP_OK) {
        goto done;
    }

    if (nnew == 0 && nold == 0) {
        /* all of it already reflected: the cursor moves on in memory */
        icetap_wal_cursor_free(&inv->cursor);
        inv->cursor = next;
        memset(&next, 0, sizeof(next));
        goto done;
    }

    rc = icetap_table_update_new(inv->t, &u, err);

    if (rc == ICETAP_OK && nnew) {
        rc = icetap_table_update_add_files(u, w, err);
    }

    tmp_olds = NULL;

    if (rc == ICETAP_OK && nold) {
        tmp_olds = icetap_alloc(nold * sizeof(icetap_inv_entry_t *));

        if (tmp_olds == NULL) {
            rc = icetap_error_set(err, ICETAP_NOMEM, "out of memory");

        } else {
            memcpy(tmp_olds, olds, nold * sizeof(icetap_inv_entry_t *));
            rc = icetap_inv_positions(inv, u, tmp_olds, nold, err);
            icetap_free(tmp_olds);
        }
    }

    if (rc == ICETAP_OK) {
        rc = icetap_inv_commit(inv, u, &next, "active", &sid, err);
    }

    if (rc != ICETAP_OK) {
        goto done;
    }

    inv->stats.bytes_written += icetap_table_writer_bytes(w);
    inv->stats.rows_added += nnew;
    inv->stats.rows_deleted += nold;

    /* the index follows the commit */

    for (i = 0; i < nold; i++) {
        icetap_inv_index_del(&inv->ix, olds[i]);
    }

    if (nnew && icetap_table_writer_nfiles(w) == 1) {
        path = icetap_table_writer_file(w, 0)->file_path;

        if (icetap_inv_index_file(&inv->ix, path, &file) != ICETAP_OK) {
            inv->ix_valid = 0;
        }

        for (i = 0; inv->ix_valid && i < nnew; i++) {
            id = icetap_alloc(news[i].len + 1);

            if (id == NULL) {
                inv->ix_valid = 0;
                break;
            }

            memcpy(id, news[i].id, news[i].len + 1);

            if (icetap_inv_index_put(&inv->ix, id, news[i].len, file, i,
                                     news[i].seq, news[i].marker)
                != ICETAP_OK)
            {
                inv->ix_valid = 0;
            }
        }

    } else if (nnew) {
        inv->ix_valid = 0;
    }

    inv->ix_snapshot = sid;
    icetap_inv_index_save(inv);
    icetap_inv_index_stats(inv);

    icetap_wal_cursor_free(&inv->cursor);
    inv->cursor = next;
    memset(&next, 0, sizeof(next));

done:

    if (u != NULL) {
        icetap_table_update_free(u);

    } else if (w != NULL) {
        icetap_table_writer_abort(w);
    }

    if (w != NULL) {
        icetap_table_writer_free(w);
    }

    for (i = 0; i < nacts; i++) {
        icetap_journal_lookup_free(&acts[i].lk);

        if (acts[i].decoded) {
            icetap_wal_rec_free(&acts[i].rec);
        }
    }

    icetap_free(acts);

    for (i = 0; i < b.n; i++) {
        icetap_free(b.recs[i].id);
        icetap_free(b.recs[i].enc);
    }

    icetap_free(b.recs);
    icetap_free(news);
    icetap_free(olds);
    icetap_wal_cursor_free(&next);

    return rc;
}


/* the lag */

typedef struct {
    icetap_inventory_t        *inv;
    uint64_t                   n;
} icetap_inv_count_t;


static icetap_rc
icetap_inv_count(void *ctx, const icetap_wal_rec_t *rec, const char *segment,
    uint64_t next)
{
    icetap_inv_count_t  *c = ctx;

    c->n += icetap_inv_relevant(c->inv, rec);

    return ICETAP_OK;
}


icetap_rc
icetap_inventory_lag(icetap_inventory_t *inv, uint64_t max,
    uint64_t *records, icetap_error_t *err)
{
    int                  more;
    icetap_rc            rc;
    icetap_inv_count_t   c;

    c.inv = inv;
    c.n = 0;

    rc = icetap_wal_read_batch(inv->wal_dir, &inv->cursor, max,
                               icetap_inv_count, &c, &more, err);

    *records = c.n;

    return rc;
}


/*
 * Rewrite: the live rows of the current snapshot into new files that
 * replace every data file (and with them their deletes), in one
 * "replace" commit that carries the cursor on.
 */


typedef struct {
    int                        kleaf;
    int                        vleaf;
    int                        kdef;        /* a key is present */
    int                        vdef;        /* a value is present */
    size_t                    *start;       /* row -> first entry */
    int64_t                   *kv;          /* entry -> key value index */
    int64_t                   *vv;          /* entry -> value index, -1 */
} icetap_inv_map_t;


static void
icetap_inv_map_free(icetap_inv_map_t *m)
{
    icetap_free(m->start);
    icetap_free(m->kv);
    icetap_free(m->vv);
    memset(m, 0, sizeof(icetap_inv_map_t));
}


static icetap_rc
icetap_inv_map_init(icetap_inv_map_t *m, const icetap_table_batch_t *b,
    int32_t kid, int32_t vid, icetap_error_t *err)
{
    size_t                     e, r;
    int64_t                    nk, nv;
    const icetap_pq_column_t  *kc, *vc;

    memset(m, 0, sizeof(icetap_inv_map_t));

    m->kleaf = icetap_pq_schema_leaf_by_id(b->schema, kid);
    m->vleaf = icetap_pq_schema_leaf_by_id(b->schema, vid);

    if (m->kleaf < 0 || m->vleaf < 0) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "no map columns %d/%d in %.200s", (int) kid,
                                (int) vid, b->file_path);
    }

    m->kdef = icetap_pq_schema_leaf(b->schema, m->kleaf)->max_def;
    m->vdef = icetap_pq_schema_leaf(b->schema, m->vleaf)->max_def;

    kc = &b->cols[m->kleaf];
    vc = &b->cols[m->vleaf];

    if (kc->num_entries != vc->num_entries) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "map columns of %.200s disagree",
                                b->file_path);
    }

    m->start = icetap_calloc(b->nrows + 1, sizeof(size_t));
    m->kv = icetap_calloc(kc->num_entries + 1, sizeof(int64_t));
    m->vv = icetap_calloc(kc->num_entries + 1, sizeof(int64_t));

    if (m->start == NULL || m->kv == NULL || m->vv == NULL) {
        icetap_inv_map_free(m);
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    r = 0;
    nk = 0;
    nv = 0;

    for (e = 0; e < kc->num_entries; e++) {
        if ((kc->rep == NULL || kc->rep[e] == 0) && e > 0) {
            r++;

            if (r >= b->nrows) {
                icetap_inv_map_free(m);
                return icetap_error_set(err, ICETAP_INVALID,
                                        "map levels of %.200s",
                                        b->file_path);
            }

            m->start[r] = e;
        }

        m->kv[e] = (kc->def && kc->def[e] >= m->kdef) ? nk++ : -1;
        m->vv[e] = (vc->def && vc->def[e] >= m->vdef) ? nv++ : -1;
    }

    for (r = r + 1; r <= b->nrows; r++) {
        m->start[r] = kc->num_entries;
    }

    return ICETAP_OK;
}


/* the map of a row: kv gets n pairs pointing into the batch */

static icetap_rc
icetap_inv_map_row(const icetap_inv_map_t *m, const icetap_table_batch_t *b,
    size_t row, icetap_jmap_t *out, icetap_kv_t **kv, size_t *cap,
    icetap_error_t *err)
{
    size_t                     e, n;
    void                      *p;
    const icetap_pq_column_t  *kc, *vc;

    kc = &b->cols[m->kleaf];
    vc = &b->cols[m->vleaf];

    memset(out, 0, sizeof(icetap_jmap_t));

    e = m->start[row];

    if (m->kv[e] < 0) {
        /* one entry without a key: an empty map, or none (NULL) */
        out->null = (kc->def == NULL || kc->def[e] < m->kdef - 1);
        return ICETAP_OK;
    }

    n = m->start[row + 1] - e;

    if (n > *cap) {
        p = icetap_realloc(*kv, n * sizeof(icetap_kv_t));
        if (p == NULL) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }

        *kv = p;
        *cap = n;
    }

    for (out->n = 0; out->n < n; out->n++, e++) {
        (*kv)[out->n].key.data = (const char *) kc->data
                                 + kc->offsets[m->kv[e]];
        (*kv)[out->n].key.len = kc->offsets[m->kv[e] + 1]
                                - kc->offsets[m->kv[e]];

        if (m->vv[e] < 0) {
            (*kv)[out->n].value.data = "";
            (*kv)[out->n].value.len = 0;

        } else {
            (*kv)[out->n].value.data = (const char *) vc->data
                                       + vc->offsets[m->vv[e]];
            (*kv)[out->n].value.len = vc->offsets[m->vv[e] + 1]
                                      - vc->offsets[m->vv[e]];
        }
    }

    out->kv = *kv;

    return ICETAP_OK;
}


static icetap_rc
icetap_inv_col_str(const icetap_table_batch_t *b, int32_t id, size_t row,
    icetap_jstr_t *s, icetap_error_t *err)
{
    icetap_rc       rc;
    icetap_value_t  v;

    rc = icetap_table_batch_value(b, id, row, &v, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    s->null = v.is_null;
    s->s.data = v.is_null ? NULL : (const char *) v.v.bin.data;
    s->s.len = v.is_null ? 0 : v.v.bin.len;

    return ICETAP_OK;
}


static icetap_rc
icetap_inv_col_long(const icetap_table_batch_t *b, int32_t id, size_t row,
    icetap_jlong_t *l, icetap_error_t *err)
{
    icetap_rc       rc;
    icetap_value_t  v;

    rc = icetap_table_batch_value(b, id, row, &v, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    l->null = v.is_null;
    l->v = v.is_null ? 0 : v.v.l;

    return ICETAP_OK;
}


static icetap_rc
icetap_inv_col_bool(const icetap_table_batch_t *b, int32_t id, size_t row,
    icetap_jbool_t *o, icetap_error_t *err)
{
    icetap_rc       rc;
    icetap_value_t  v;

    rc = icetap_table_batch_value(b, id, row, &v, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    o->null = v.is_null;
    o->v = v.is_null ? 0 : (v.v.b != 0);

    return ICETAP_OK;
}


static icetap_rc
icetap_inv_batch_row(const icetap_table_batch_t *b, size_t r,
    const icetap_inv_map_t *tags, const icetap_inv_map_t *meta,
    icetap_journal_row_t *row, icetap_kv_t **tkv, size_t *tcap,
    icetap_kv_t **mkv, size_t *mcap, icetap_error_t *err)
{
    icetap_rc      rc;
    icetap_jstr_t  s;

    memset(row, 0, sizeof(icetap_journal_row_t));

    rc = icetap_inv_col_str(b, 1, r, &s, err);
    row->bucket = s.s;

#define next(call)  if (rc == ICETAP_OK) { rc = (call); }

    next(icetap_inv_col_str(b, 2, r, &s, err));

    if (rc == ICETAP_OK) {
        row->key = s.s;
    }

    next(icetap_inv_col_str(b, 3, r, &s, err));

    if (rc == ICETAP_OK) {
        snprintf(row->sequence_number, sizeof(row->sequence_number),
                 "%.*s", (int) s.s.len, s.s.data ? s.s.data : "");
    }

    next(icetap_inv_col_str(b, 4, r, &row->version_id, err));
    next(icetap_inv_col_bool(b, 5, r, &row->is_delete_marker, err));
    next(icetap_inv_col_long(b, 6, r, &row->size, err));
    next(icetap_inv_col_long(b, 7, r, &row->last_modified_us, err));
    next(icetap_inv_col_str(b, 8, r, &row->e_tag, err));
    next(icetap_inv_col_str(b, 9, r, &row->storage_class, err));
    next(icetap_inv_col_bool(b, 10, r, &row->is_multipart, err));
    next(icetap_inv_col_str(b, 11, r, &row->encryption_status, err));
    next(icetap_inv_col_bool(b, 12, r, &row->is_bucket_key_enabled, err));
    next(icetap_inv_col_str(b, 13, r, &row->kms_key_arn, err));
    next(icetap_inv_col_str(b, 14, r, &row->checksum_algorithm, err));
    next(icetap_inv_map_row(tags, b, r, &row->object_tags, tkv, tcap, err));
    next(icetap_inv_map_row(meta, b, r, &row->user_metadata, mkv, mcap,
                            err));

#undef next

    if (rc == ICETAP_OK && row->bucket.data == NULL) {
        rc = icetap_error_set(err, ICETAP_INVALID, "a row without bucket");
    }

    return rc;
}


typedef struct {
    char                     **paths;
    size_t                     n;
    size_t                     cap;
    uint64_t                   rows;
    uint64_t                   deleted;
} icetap_inv_files_t;


static icetap_rc
icetap_inv_file(void *ctx, const icetap_table_file_t *f)
{
    void                *p;
    icetap_inv_files_t  *fs = ctx;

    if (fs->n == fs->cap) {
        fs->cap = fs->cap ? 2 * fs->cap : 64;
        p = icetap_realloc(fs->paths, fs->cap * sizeof(char *));
        if (p == NULL) {
            return ICETAP_NOMEM;
        }

        fs->paths = p;
    }

    fs->paths[fs->n] = icetap_strndup(f->file->file_path,
                                      strlen(f->file->file_path));
    if (fs->paths[fs->n] == NULL) {
        return ICETAP_NOMEM;
    }

    fs->n++;
    fs->rows += f->file->record_count;
    fs->deleted += f->ndeleted;

    return ICETAP_OK;
}


static void
icetap_inv_files_free(icetap_inv_files_t *fs)
{
    size_t  i;

    for (i = 0; i < fs->n; i++) {
        icetap_free(fs->paths[i]);
    }

    icetap_free(fs->paths);
}


icetap_rc
icetap_inventory_rewrite(icetap_inventory_t *inv, size_t max_files,
    int *rewritten, icetap_error_t *err)
{
    size_t                  r, i, tcap, mcap;
    int64_t                 sid;
    icetap_rc               rc;
    icetap_kv_t            *tkv, *mkv;
    icetap_inv_map_t        tags, meta;
    icetap_inv_files_t      fs;
    icetap_journal_row_t    row;
    icetap_table_batch_t    b;
    icetap_table_reader_t  *rd;
    icetap_table_writer_t  *w;
    icetap_table_update_t  *u;

    *rewritten = 0;

    rc = icetap_inv_sync(inv, err);
    if (rc != ICETAP_OK || inv->state != ICETAP_INVENTORY_ACTIVE
        || inv->known_snapshot == ICETAP_NO_SNAPSHOT)
    {
        return rc;
    }

    memset(&fs, 0, sizeof(fs));

    rc = icetap_table_files(inv->t, inv->known_snapshot, icetap_inv_file,
                            &fs, err);
    if (rc != ICETAP_OK) {
        icetap_inv_files_free(&fs);
        return rc;
    }

    /* bounded: at most max_files files, deleted rows fewer than live */

    if (fs.n <= max_files && fs.deleted * 2 <= fs.rows) {
        icetap_inv_files_free(&fs);
        return ICETAP_OK;
    }

    rc = icetap_inv_writer(inv, &w, err);
    if (rc != ICETAP_OK) {
        icetap_inv_files_free(&fs);
        return rc;
    }

    rc = icetap_table_reader_open(inv->t, inv->known_snapshot, &rd, err);
    if (rc != ICETAP_OK) {
        icetap_table_writer_free(w);
        icetap_inv_files_free(&fs);
        return rc;
    }

    tkv = NULL;
    mkv = NULL;
    tcap = 0;
    mcap = 0;

    for ( ;; ) {
        rc = icetap_table_reader_next(rd, &b, err);

        if (rc == ICETAP_EOF) {
            rc = ICETAP_OK;
            break;
        }

        if (rc != ICETAP_OK) {
            break;
        }

        if (b.nlive == 0) {
            continue;
        }

        rc = icetap_inv_map_init(&tags, &b, 17, 18, err);

        if (rc == ICETAP_OK) {
            rc = icetap_inv_map_init(&meta, &b, 19, 20, err);
            if (rc != ICETAP_OK) {
                icetap_inv_map_free(&tags);
            }
        }

        for (r = 0; rc == ICETAP_OK && r < b.nrows; r++) {
            if (!b.live[r]) {
                continue;
            }

            rc = icetap_inv_batch_row(&b, r, &tags, &meta, &row, &tkv,
                                      &tcap, &mkv, &mcap, err);

            if (rc == ICETAP_OK) {
                rc = icetap_inv_write_row(w, &row, err);
            }
        }

        if (tags.start != NULL) {
            icetap_inv_map_free(&tags);
            icetap_inv_map_free(&meta);
        }

        if (rc != ICETAP_OK) {
            break;
        }
    }

    icetap_table_reader_free(rd);
    icetap_free(tkv);
    icetap_free(mkv);

    if (rc == ICETAP_OK) {
        rc = icetap_table_writer_close(w);
        if (rc != ICETAP_OK) {
            *err = *icetap_table_writer_error(w);
        }
    }

    u = NULL;

    if (rc == ICETAP_OK) {
        rc = icetap_table_update_new(inv->t, &u, err);
    }

    for (i = 0; rc == ICETAP_OK && i < fs.n; i++) {
        rc = icetap_table_update_remove_file(u, fs.paths[i], err);
    }

    if (rc == ICETAP_OK && icetap_table_writer_nfiles(w)) {
        rc = icetap_table_update_add_files(u, w, err);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_table_update_operation(u, "replace", err);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_inv_commit(inv, u, &inv->cursor, "active", &sid, err);
    }

    if (u != NULL) {
        icetap_table_update_free(u);

    } else {
        icetap_table_writer_abort(w);
    }

    icetap_table_writer_free(w);
    icetap_inv_files_free(&fs);

    if (rc != ICETAP_OK) {
        return rc;
    }

    inv->stats.rewrites++;
    inv->ix_valid = 0;
    *rewritten = 1;

    /* the index of the new files, at once */

    rc = icetap_inv_index_rebuild(inv, err);

    if (rc == ICETAP_OK) {
        icetap_inv_index_stats(inv);
    }

    return rc;
}


/*
 * Drift reconciliation.  The rows of the current snapshot (after the
 * caller applied the WAL) are compared with a listing of the bucket; a
 * key that WAL records after the cursor touch (a change through the
 * gateway not applied yet, or made during the listing) is left out.
 * What differs was done behind the gateway's back: it becomes WAL
 * records without requester, in a sealed segment of this process
 * ("<ms>-<pid>-9NNNNN.wal", written under a temporary name and renamed),
 * which the journal turns into rows and this inventory applies like any
 * other.  Until the inventory has consumed such a segment, no new
 * reconciliation runs, so a drift is reported once.
 */


#define ICETAP_INV_DRIFT_SEGNO   900000


typedef struct {
    char                      *id;
    size_t                     len;
    char                      *etag;
    int64_t                    size;
    unsigned                   marker:1;
    unsigned                   seen:1;
} icetap_inv_have_t;


typedef struct {
    icetap_inventory_t        *inv;
    icetap_inv_have_t         *have;        /* sorted by id */
    size_t                     nhave;
    icetap_wal_rec_t          *out;         /* drift records */
    uint8_t                   *kind;        /* 'a'dded, 'c'hanged, 'r' */
    size_t                     nout;
    size_t                     cout;
    icetap_inventory_drift_t  *d;
    icetap_error_t            *err;
} icetap_inv_drift_ctx_t;


static int
icetap_inv_have_cmp(const void *a, const void *b)
{
    size_t                    n;
    int                       c;
    const icetap_inv_have_t  *x = a, *y = b;

    n = x->len < y->len ? x->len : y->len;
    c = memcmp(x->id, y->id, n);

    if (c != 0) {
        return c;
    }

    return x->len == y->len ? 0 : (x->len < y->len ? -1 : 1);
}


static char *
icetap_inv_dup(const char *p, size_t n)
{
    return icetap_strndup(p ? p : "", p ? n : 0);
}


static icetap_rc
icetap_inv_drift_have(icetap_inv_drift_ctx_t *x, icetap_error_t *err)
{
    size_t                  r, cap, klen, vlen;
    void                   *p;
    icetap_rc               rc;
    const char             *k, *vid;
    icetap_value_t          dm, sz, et;
    icetap_inv_have_t      *h;
    icetap_table_batch_t    b;
    icetap_table_reader_t  *rd;

    cap = 0;

    if (x->inv->known_snapshot == ICETAP_NO_SNAPSHOT) {
        return ICETAP_OK;
    }

    rc = icetap_table_reader_open(x->inv->t, x->inv->known_snapshot, &rd,
                                  err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    for ( ;; ) {
        rc = icetap_table_reader_next(rd, &b, err);

        if (rc == ICETAP_EOF) {
            rc = ICETAP_OK;
            break;
        }

        for (r = 0; rc == ICETAP_OK && r < b.nrows; r++) {
            if (!b.live[r]) {
                continue;
            }

            rc = icetap_inv_value_str(&b, 2, r, &k, &klen, err);

            if (rc == ICETAP_OK) {
                rc = icetap_inv_value_str(&b, 4, r, &vid, &vlen, err);
            }

            if (rc == ICETAP_OK) {
                rc = icetap_table_batch_value(&b, 5, r, &dm, err);
            }

            if (rc == ICETAP_OK) {
                rc = icetap_table_batch_value(&b, 6, r, &sz, err);
            }

            if (rc == ICETAP_OK) {
                rc = icetap_table_batch_value(&b, 8, r, &et, err);
            }

            if (rc != ICETAP_OK) {
                break;
            }

            if (x->nhave == cap) {
                cap = cap ? 2 * cap : 1024;
                p = icetap_realloc(x->have, cap * sizeof(icetap_inv_have_t));
                if (p == NULL) {
                    rc = icetap_error_set(err, ICETAP_NOMEM, "out of memory");
                    break;
                }

                x->have = p;
            }

            h = &x->have[x->nhave];
            memset(h, 0, sizeof(icetap_inv_have_t));

            h->id = icetap_inv_id(k ? k : "", klen, vid, vlen, &h->len);
            h->etag = et.is_null ? NULL
                      : icetap_inv_dup((const char *) et.v.bin.data,
                                       et.v.bin.len);
            h->size = sz.is_null ? 0 : sz.v.l;
            h->marker = !dm.is_null && dm.v.b;

            if (h->id == NULL || (!et.is_null && h->etag == NULL)) {
                icetap_free(h->id);
                icetap_free(h->etag);
                rc = icetap_error_set(err, ICETAP_NOMEM, "out of memory");
                break;
            }

            x->nhave++;
        }

        if (rc != ICETAP_OK) {
            break;
        }
    }

    icetap_table_reader_free(rd);

    if (rc == ICETAP_OK && x->nhave) {
        qsort(x->have, x->nhave, sizeof(icetap_inv_have_t),
              icetap_inv_have_cmp);
    }

    return rc;
}


static icetap_rc
icetap_inv_drift_add(icetap_inv_drift_ctx_t *x, int kind, unsigned op,
    uint32_t flags, const char *key, const char *vid, const char *etag)
{
    void              *p;
    int64_t            now;
    icetap_wal_rec_t  *rec;

    if (x->nout == x->cout) {
        p = icetap_realloc(x->kind, (x->cout ? 2 * x->cout : 64));
        if (p == NULL) {
            return ICETAP_NOMEM;
        }

        x->kind = p;

        p = icetap_realloc(x->out, (x->cout ? 2 * x->cout : 64)
                                   * sizeof(icetap_wal_rec_t));
        if (p == NULL) {
            return ICETAP_NOMEM;
        }

        x->out = p;
        x->cout = x->cout ? 2 * x->cout : 64;
    }

    x->kind[x->nout] = (uint8_t) kind;

    rec = &x->out[x->nout];
    memset(rec, 0, sizeof(icetap_wal_rec_t));

    now = icetap_table_now_ms() * 1000;

    rec->op = op;
    rec->flags = flags;
    rec->time_us = now;
    rec->seq = (uint64_t) now + x->nout;
    rec->bucket.data = x->inv->bucket;
    rec->bucket.len = x->inv->bucket_len;
    rec->key.data = icetap_inv_dup(key, strlen(key));
    rec->key.len = strlen(key);

    if (vid != NULL && !icetap_inv_null_version(vid, strlen(vid))) {
        rec->version_id.data = icetap_inv_dup(vid, strlen(vid));
        rec->version_id.len = strlen(vid);
    }

    if (etag != NULL) {
        rec->etag.data = icetap_inv_dup(etag, strlen(etag));
        rec->etag.len = strlen(etag);
    }

    if (rec->key.data == NULL) {
        return ICETAP_NOMEM;
    }

    x->nout++;

    return ICETAP_OK;
}


static icetap_rc
icetap_inv_drift_page(void *ctx, const icetap_store_version_t *v, size_t n)
{
    int                      kind;
    size_t                   i;
    icetap_rc                rc;
    icetap_inv_have_t        key, *h;
    icetap_inv_drift_ctx_t  *x = ctx;

    for (i = 0; i < n; i++) {
        key.id = icetap_inv_id(v[i].key, strlen(v[i].key), v[i].version_id,
                               v[i].version_id ? strlen(v[i].version_id) : 0,
                               &key.len);
        if (key.id == NULL) {
            return ICETAP_NOMEM;
        }

        h = x->nhave ? bsearch(&key, x->have, x->nhave,
                               sizeof(icetap_inv_have_t), icetap_inv_have_cmp)
                     : NULL;
        icetap_free(key.id);

        kind = 'a';

        if (h != NULL) {
            h->seen = 1;

            if (h->marker == v[i].delete_marker
                && (v[i].delete_marker
                    || (h->size == v[i].size && h->etag != NULL
                        && v[i].etag != NULL
                        && strcmp(h->etag, v[i].etag) == 0)))
            {
                continue;
            }

            kind = 'c';
        }

        if (v[i].delete_marker) {
            rc = icetap_inv_drift_add(x, kind, ICETAP_WAL_OP_DELETE,
                                      ICETAP_WAL_F_DM_KNOWN
                                      | ICETAP_WAL_F_DELETE_MARKER
                                      | ICETAP_WAL_F_LAST_MODIFIED,
                                      v[i].key, v[i].version_id, NULL);

            if (rc == ICETAP_OK) {
                /* the store's time of the marker */
                x->out[x->nout - 1].last_modified_us =
                    v[i].last_modified_ms * 1000;
            }

        } else {
            rc = icetap_inv_drift_add(x, kind, ICETAP_WAL_OP_PUT,
                                      ICETAP_WAL_F_ENRICH, v[i].key,
                                      v[i].version_id, v[i].etag);
        }

        if (rc != ICETAP_OK) {
            return rc;
        }
    }

    return ICETAP_OK;
}


/* keys of the bucket's WAL records after the cursor */

typedef struct {
    icetap_inventory_t        *inv;
    icetap_inv_index_t         keys;
} icetap_inv_busy_t;


static icetap_rc
icetap_inv_busy(void *ctx, const icetap_wal_rec_t *rec, const char *segment,
    uint64_t next)
{
    char               *id;
    size_t              len;
    icetap_inv_busy_t  *b = ctx;

    if (!icetap_inv_relevant(b->inv, rec)) {
        return ICETAP_OK;
    }

    id = icetap_inv_id(rec->key.data, rec->key.len, NULL, 0, &len);
    if (id == NULL) {
        return ICETAP_NOMEM;
    }

    return icetap_inv_index_put(&b->keys, id, len, 0, 0, 0, 0);
}


static icetap_rc
icetap_inv_drift_write(icetap_inventory_t *inv, icetap_wal_rec_t *recs,
    size_t n, char *name, size_t size, uint64_t *bytes, icetap_error_t *err)
{
    int                     fd, ok;
    char                    tmp[4096], path[4096];
    size_t                  i, len, total;
    uint8_t                *buf;
    int64_t                 now;
    icetap_wal_rec_t        seal;
    icetap_wal_seg_info_t   info;
    static unsigned         segno;

    memset(&seal, 0, sizeof(seal));
    seal.op = ICETAP_WAL_OP_SEAL;

    total = ICETAP_WAL_SEG_HDR_SIZE + ICETAP_WAL_FRAME_HDR
            + icetap_wal_rec_size(&seal);

    for (i = 0; i < n; i++) {
        total += ICETAP_WAL_FRAME_HDR + icetap_wal_rec_size(&recs[i]);
    }

    buf = icetap_calloc(1, total);
    if (buf == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    now = icetap_table_now_ms();

    memset(&info, 0, sizeof(info));
    info.version = ICETAP_WAL_SEG_VERSION;
    info.pid = (int32_t) getpid();
    info.created_ms = now;
    info.segno = ICETAP_INV_DRIFT_SEGNO + (segno++ % 99999);

    icetap_wal_seg_header(&info, buf);
    len = ICETAP_WAL_SEG_HDR_SIZE;

    for (i = 0; i < n; i++) {
        len += icetap_wal_frame_encode(&recs[i], buf + len);
    }

    /* a reader's cursor ends after the last record, before the seal */
    *bytes = len;

    len += icetap_wal_frame_encode(&seal, buf + len);

    snprintf(name, size, "%013" PRId64 "-%d-%06u.wal", now, (int) info.pid,
             (unsigned) info.segno);
    snprintf(path, sizeof(path), "%s/%s", inv->wal_dir, name);
    snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", inv->wal_dir, name);

    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd == -1) {
        icetap_free(buf);
        return icetap_error_sys(err, ICETAP_IO, errno, "open(\"%s\")", tmp);
    }

    ok = write(fd, buf, len) == (ssize_t) len && fsync(fd) == 0;
    ok = (close(fd) == 0) && ok;
    icetap_free(buf);

    if (!ok || rename(tmp, path) != 0) {
        (void) unlink(tmp);
        return icetap_error_sys(err, ICETAP_IO, errno,
                                "writing \"%s\" failed", path);
    }

    fd = open(inv->wal_dir, O_RDONLY);
    if (fd != -1) {
        (void) fsync(fd);
        (void) close(fd);
    }

    return ICETAP_OK;
}


icetap_rc
icetap_inventory_reconcile(icetap_inventory_t *inv, unsigned grace_ms,
    icetap_inventory_drift_t *d, icetap_error_t *err)
{
    int                     more;
    char                   *id;
    size_t                  i, n, len;
    uint64_t                bytes;
    icetap_rc               rc;
    const char             *vid;
    icetap_inv_busy_t       busy;
    icetap_inv_have_t      *h;
    icetap_inv_drift_ctx_t  x;

    memset(d, 0, sizeof(icetap_inventory_drift_t));

    rc = icetap_inv_sync(inv, err);
    if (rc != ICETAP_OK || inv->state != ICETAP_INVENTORY_ACTIVE) {
        d->postponed = (rc == ICETAP_OK);
        return rc;
    }

    /* the drift reported last time must be applied first */

    if (inv->drift_pending[0] != '\0') {
        if (icetap_wal_cursor_get(&inv->cursor, inv->drift_pending)
            < inv->drift_pending_size)
        {
            d->postponed = 1;
            return ICETAP_OK;
        }

        inv->drift_pending[0] = '\0';
    }

    memset(&x, 0, sizeof(x));
    x.inv = inv;
    x.d = d;
    x.err = err;

    rc = icetap_inv_drift_have(&x, err);

    if (rc == ICETAP_OK) {
        rc = icetap_store_s3_list_versions(inv->source, NULL, ICETAP_INV_PAGE,
                                           icetap_inv_drift_page, &x, err);
    }

    for (i = 0; rc == ICETAP_OK && i < x.nhave; i++) {
        h = &x.have[i];

        if (h->seen) {
            continue;
        }

        len = strlen(h->id);
        vid = (h->len > len + 1) ? h->id + len + 1 : NULL;

        if (icetap_inv_drift_add(&x, 'r', ICETAP_WAL_OP_DELETE, 0, h->id, vid,
                                 NULL)
            != ICETAP_OK)
        {
            rc = icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }
    }

    /* changes through the gateway meanwhile are not drift */

    memset(&busy, 0, sizeof(busy));
    busy.inv = inv;

    if (rc == ICETAP_OK && x.nout) {
        if (grace_ms) {
            usleep(grace_ms * 1000);
        }

        rc = icetap_wal_read_batch(inv->wal_dir, &inv->cursor, (size_t) -1,
                                   icetap_inv_busy, &busy, &more, err);
    }

    n = 0;

    for (i = 0; i < x.nout; i++) {
        id = NULL;

        if (rc == ICETAP_OK) {
            id = icetap_inv_id(x.out[i].key.data, x.out[i].key.len, NULL, 0,
                               &len);
            if (id == NULL) {
                rc = icetap_error_set(err, ICETAP_NOMEM, "out of memory");
            }
        }

        if (rc == ICETAP_OK
            && icetap_inv_index_find(&busy.keys, id, len) == NULL)
        {
            d->added += (x.kind[i] == 'a');
            d->changed += (x.kind[i] == 'c');
            d->removed += (x.kind[i] == 'r');
            x.out[n++] = x.out[i];

        } else {
            d->skipped += (rc == ICETAP_OK);
            icetap_free((char *) x.out[i].key.data);
            icetap_free((char *) x.out[i].version_id.data);
            icetap_free((char *) x.out[i].etag.data);
        }

        icetap_free(id);
    }

    if (rc == ICETAP_OK && n) {
        rc = icetap_inv_drift_write(inv, x.out, n, inv->drift_pending,
                                    sizeof(inv->drift_pending), &bytes, err);

        if (rc == ICETAP_OK) {
            inv->drift_pending_size = bytes;
            memcpy(d->segment, inv->drift_pending, sizeof(d->segment));

        } else {
            inv->drift_pending[0] = '\0';
        }
    }

    d->emitted = (rc == ICETAP_OK) ? n : 0;

    if (rc == ICETAP_OK) {
        inv->stats.drift_added += d->added;
        inv->stats.drift_changed += d->changed;
        inv->stats.drift_removed += d->removed;
        inv->stats.drift_skipped += d->skipped;
        inv->stats.reconciliations++;
        inv->stats.last_reconcile_ms = icetap_table_now_ms();
    }

    for (i = 0; i < n; i++) {
        icetap_free((char *) x.out[i].key.data);
        icetap_free((char *) x.out[i].version_id.data);
        icetap_free((char *) x.out[i].etag.data);
    }

    for (i = 0; i < x.nhave; i++) {
        icetap_free(x.have[i].id);
        icetap_free(x.have[i].etag);
    }

    icetap_free(x.have);
    icetap_free(x.out);
    icetap_free(x.kind);
    icetap_inv_index_clear(&busy.keys);

    return rc;
}
