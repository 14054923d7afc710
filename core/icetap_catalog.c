/*
 * Copyright (C) icetap authors
 *
 * Catalog entries in the store and the table pointer over them.
 */


#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <icetap/catalog.h>
#include <icetap/metadata.h>
#include <icetap/table.h>


typedef struct {
    icetap_catalog_table_pt   cb;
    void                     *ctx;
    icetap_store_t           *store;
    icetap_rc                 rc;
    icetap_error_t           *err;
} icetap_catalog_walk_t;


static icetap_rc icetap_catalog_sink(void *ctx, const void *data,
    size_t len);
static icetap_rc icetap_catalog_put_new(icetap_store_t *store,
    const char *key, json_t *doc, icetap_error_t *err);
static char *icetap_catalog_dup(json_t *j, const char *name);
static icetap_rc icetap_catalog_page(void *ctx,
    const icetap_store_page_t *page);


int
icetap_catalog_valid_bucket(const char *name)
{
    size_t  i, len;

    len = strlen(name);

    if (len < 3 || len > 63 || name[0] == '-' || name[len - 1] == '-') {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((name[i] >= 'a' && name[i] <= 'z')
              || (name[i] >= '0' && name[i] <= '9') || name[i] == '-'))
        {
            return 0;
        }
    }

    return 1;
}


/* S3 Metadata namespaces keep the hyphens of bucket names */

int
icetap_catalog_valid_name(const char *name)
{
    size_t  i, len;

    len = strlen(name);

    if (len < 1 || len > 255) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((name[i] >= 'a' && name[i] <= 'z')
              || (name[i] >= '0' && name[i] <= '9')
              || name[i] == '_' || name[i] == '-'))
        {
            return 0;
        }
    }

    return 1;
}


icetap_rc
icetap_catalog_table_key(const char *table_bucket, const char *ns,
    const char *name, char *key, size_t size)
{
    int  n;

    if (!icetap_catalog_valid_bucket(table_bucket)
        || !icetap_catalog_valid_name(ns)
        || !icetap_catalog_valid_name(name))
    {
        return ICETAP_INVALID;
    }

    n = snprintf(key, size, ICETAP_CATALOG_PREFIX "%s/%s/%s.json",
                 table_bucket, ns, name);

    return (n < 0 || (size_t) n >= size) ? ICETAP_INVALID : ICETAP_OK;
}


static icetap_rc
icetap_catalog_sink(void *ctx, const void *data, size_t len)
{
    return icetap_buf_append(ctx, data, len);
}


/* writes doc at key unless something is there already */

static icetap_rc
icetap_catalog_put_new(icetap_store_t *store, const char *key, json_t *doc,
    icetap_error_t *err)
{
    char                    *text;
    icetap_rc                rc;
    icetap_store_obj_t       obj;
    icetap_store_put_opts_t  opts;

    icetap_store_obj_init(&obj);

    rc = icetap_store_head(store, key, &obj, err);
    icetap_store_obj_free(&obj);

    if (rc != ICETAP_NOTFOUND) {
        return rc;
    }

    text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    memset(&opts, 0, sizeof(opts));
    opts.content_type = "application/json";
    opts.if_none_match = 1;

    rc = icetap_store_put_buf(store, key, text, strlen(text), &opts, NULL,
                              err);
    free(text);

    /* another writer created it first: as good */

    if (rc == ICETAP_CONFLICT) {
        icetap_error_clear(err);
        rc = ICETAP_OK;
    }

    return rc;
}


icetap_rc
icetap_catalog_ensure_bucket(icetap_store_t *store, const char *table_bucket,
    const char *arn, const char *type, icetap_error_t *err)
{
    char       key[ICETAP_CATALOG_NAME_LEN + 64];
    json_t    *doc;
    icetap_rc  rc;

    if (!icetap_catalog_valid_bucket(table_bucket)) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "invalid table bucket name \"%s\"",
                                table_bucket);
    }

    snprintf(key, sizeof(key), ICETAP_CATALOG_PREFIX "%s.json",
             table_bucket);

    doc = json_pack("{s:i, s:s, s:s, s:s, s:I}",
                    "format", ICETAP_CATALOG_FORMAT,
                    "name", table_bucket,
                    "arn", arn,
                    "type", type,
                    "created_at_ms", (json_int_t) icetap_table_now_ms());
    if (doc == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    rc = icetap_catalog_put_new(store, key, doc, err);
    json_decref(doc);

    return rc;
}


icetap_rc
icetap_catalog_ensure_namespace(icetap_store_t *store,
    const char *table_bucket, const char *ns, icetap_error_t *err)
{
    char       key[2 * ICETAP_CATALOG_NAME_LEN + 64];
    json_t    *doc;
    icetap_rc  rc;

    if (!icetap_catalog_valid_bucket(table_bucket)
        || !icetap_catalog_valid_name(ns))
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "invalid namespace \"%s\" or table bucket "
                                "\"%s\"", ns, table_bucket);
    }

    snprintf(key, sizeof(key), ICETAP_CATALOG_PREFIX "%s/%s.json",
             table_bucket, ns);

    doc = json_pack("{s:i, s:s, s:s, s:I}",
                    "format", ICETAP_CATALOG_FORMAT,
                    "table_bucket", table_bucket,
                    "name", ns,
                    "created_at_ms", (json_int_t) icetap_table_now_ms());
    if (doc == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    rc = icetap_catalog_put_new(store, key, doc, err);
    json_decref(doc);

    return rc;
}


static char *
icetap_catalog_dup(json_t *j, const char *name)
{
    const char  *s;

    s = json_string_value(json_object_get(j, name));

    return s ? icetap_strndup(s, strlen(s)) : NULL;
}


icetap_rc
icetap_catalog_table_from_json(const char *doc, size_t len,
    icetap_catalog_table_t *t, icetap_error_t *err)
{
    size_t         i;
    json_t        *j;
    json_error_t   je;

    static const char  *known[] = {
        "format", "table_bucket", "namespace", "name", "table_id", "arn",
        "warehouse_location", "metadata_location", "version_token",
        "managed_by", "created_at_ms", "updated_at_ms"
    };

    memset(t, 0, sizeof(icetap_catalog_table_t));

    j = json_loadb(doc, len, 0, &je);
    if (j == NULL) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "catalog entry: %s at line %d", je.text,
                                je.line);
    }

    t->table_bucket = icetap_catalog_dup(j, "table_bucket");
    t->namespace = icetap_catalog_dup(j, "namespace");
    t->name = icetap_catalog_dup(j, "name");
    t->table_id = icetap_catalog_dup(j, "table_id");
    t->arn = icetap_catalog_dup(j, "arn");
    t->warehouse_location = icetap_catalog_dup(j, "warehouse_location");
    t->metadata_location = icetap_catalog_dup(j, "metadata_location");
    t->version_token = icetap_catalog_dup(j, "version_token");
    t->managed_by = icetap_catalog_dup(j, "managed_by");
    t->created_at_ms = json_integer_value(json_object_get(j,
                                                          "created_at_ms"));
    t->updated_at_ms = json_integer_value(json_object_get(j,
                                                          "updated_at_ms"));

    for (i = 0; i < icetap_nelems(known); i++) {
        json_object_del(j, known[i]);
    }

    if (json_object_size(j) > 0) {
        t->extra = j;

    } else {
        json_decref(j);
    }

    if (t->table_bucket == NULL || t->namespace == NULL || t->name == NULL
        || t->table_id == NULL || t->arn == NULL
        || t->warehouse_location == NULL
        || strncmp(t->warehouse_location, "s3://", 5) != 0
        || strchr(t->warehouse_location + 5, '/') == NULL)
    {
        icetap_catalog_table_free(t);
        return icetap_error_set(err, ICETAP_INVALID,
                                "catalog entry: a member is missing or "
                                "invalid");
    }

    return ICETAP_OK;
}


icetap_rc
icetap_catalog_table_to_json(const icetap_catalog_table_t *t,
    icetap_buf_t *out, icetap_error_t *err)
{
    char       *text;
    json_t     *j;
    icetap_rc   rc;

    j = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}",
                  "format", ICETAP_CATALOG_FORMAT,
                  "table_bucket", t->table_bucket,
                  "namespace", t->namespace,
                  "name", t->name,
                  "table_id", t->table_id,
                  "arn", t->arn,
                  "warehouse_location", t->warehouse_location,
                  "created_at_ms", (json_int_t) t->created_at_ms,
                  "updated_at_ms", (json_int_t) t->updated_at_ms);
    if (j == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    if (t->extra && json_object_update_missing(j, t->extra) != 0) {
        json_decref(j);
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    if ((t->metadata_location
         && json_object_set_new(j, "metadata_location",
                                json_string(t->metadata_location)) != 0)
        || (t->version_token
            && json_object_set_new(j, "version_token",
                                   json_string(t->version_token)) != 0)
        || (t->managed_by
            && json_object_set_new(j, "managed_by",
                                   json_string(t->managed_by)) != 0))
    {
        json_decref(j);
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(j);

    if (text == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    rc = icetap_buf_append(out, text, strlen(text));
    free(text);

    if (rc != ICETAP_OK) {
        return icetap_error_set(err, rc, "out of memory");
    }

    return ICETAP_OK;
}


void
icetap_catalog_table_free(icetap_catalog_table_t *t)
{
    icetap_free(t->table_bucket);
    icetap_free(t->namespace);
    icetap_free(t->name);
    icetap_free(t->table_id);
    icetap_free(t->arn);
    icetap_free(t->warehouse_location);
    icetap_free(t->metadata_location);
    icetap_free(t->version_token);
    icetap_free(t->managed_by);
    json_decref(t->extra);
    memset(t, 0, sizeof(icetap_catalog_table_t));
}


icetap_rc
icetap_catalog_table_load(icetap_store_t *store, const char *table_bucket,
    const char *ns, const char *name, icetap_catalog_table_t *t, char *etag,
    icetap_error_t *err)
{
    char                key[3 * ICETAP_CATALOG_NAME_LEN + 64];
    icetap_rc           rc;
    icetap_buf_t        b;
    icetap_store_obj_t  obj;

    if (icetap_catalog_table_key(table_bucket, ns, name, key, sizeof(key))
        != ICETAP_OK)
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "invalid table name \"%s\".\"%s\".\"%s\"",
                                table_bucket, ns, name);
    }

    memset(&b, 0, sizeof(b));
    icetap_store_obj_init(&obj);

    rc = icetap_store_get(store, key, 0, -1, icetap_catalog_sink, &b, &obj,
                          err);

    if (rc == ICETAP_OK) {
        if (etag) {
            snprintf(etag, ICETAP_STORE_ETAG_LEN, "%s", obj.etag);
        }

        rc = icetap_catalog_table_from_json((char *) b.data, b.len, t, err);
    }

    icetap_store_obj_free(&obj);
    icetap_buf_free(&b);

    return rc;
}


icetap_rc
icetap_catalog_table_init(icetap_catalog_table_t *t, const char *state_bucket,
    const char *table_bucket, const char *ns, const char *name,
    const char *arn, const char *bucket_arn, const char *managed_by,
    icetap_error_t *err)
{
    char        id[65], *s;
    size_t      len;
    icetap_rc   rc;
    const char *p;

    memset(t, 0, sizeof(icetap_catalog_table_t));

    if (!icetap_catalog_valid_bucket(table_bucket)
        || !icetap_catalog_valid_name(ns)
        || !icetap_catalog_valid_name(name))
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "invalid table name \"%s\".\"%s\".\"%s\"",
                                table_bucket, ns, name);
    }

    if (arn != NULL && arn[0] != '\0') {
        p = strrchr(arn, '/');

        if (p == NULL || p[1] == '\0' || strlen(p + 1) > 64
            || strchr(p + 1, '.') != NULL)
        {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "invalid table ARN \"%s\"", arn);
        }

        snprintf(id, sizeof(id), "%s", p + 1);

    } else {
        rc = icetap_uuid4(id, err);
        if (rc != ICETAP_OK) {
            return rc;
        }
    }

    t->table_bucket = icetap_strndup(table_bucket, strlen(table_bucket));
    t->namespace = icetap_strndup(ns, strlen(ns));
    t->name = icetap_strndup(name, strlen(name));
    t->table_id = icetap_strndup(id, strlen(id));
    t->managed_by = managed_by ? icetap_strndup(managed_by,
                                                strlen(managed_by))
                               : NULL;

    if (arn != NULL && arn[0] != '\0') {
        t->arn = icetap_strndup(arn, strlen(arn));

    } else {
        len = strlen(bucket_arn) + strlen(id) + 8;
        t->arn = icetap_alloc(len);
        if (t->arn) {
            snprintf(t->arn, len, "%s/table/%s", bucket_arn, id);
        }
    }

    len = strlen(state_bucket) + strlen(table_bucket) + strlen(id) + 64;
    s = icetap_alloc(len);
    if (s) {
        snprintf(s, len, "s3://%s/" ICETAP_CATALOG_WAREHOUSE "%s/%s",
                 state_bucket, table_bucket, id);
    }

    t->warehouse_location = s;
    t->created_at_ms = icetap_table_now_ms();
    t->updated_at_ms = t->created_at_ms;

    if (t->table_bucket == NULL || t->namespace == NULL || t->name == NULL
        || t->table_id == NULL || t->arn == NULL || s == NULL
        || (managed_by && t->managed_by == NULL))
    {
        icetap_catalog_table_free(t);
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    return ICETAP_OK;
}


const char *
icetap_catalog_table_prefix(const icetap_catalog_table_t *t)
{
    const char  *p;

    p = strchr(t->warehouse_location + 5, '/');

    return p ? p + 1 : "";
}


icetap_rc
icetap_catalog_pointer_load(void *ctx, char **location, icetap_error_t *err)
{
    icetap_rc                  rc;
    icetap_catalog_table_t     t;
    icetap_catalog_pointer_t  *cp = ctx;

    rc = icetap_catalog_table_load(cp->store, cp->entry->table_bucket,
                                   cp->entry->namespace, cp->entry->name,
                                   &t, NULL, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (t.metadata_location == NULL
        || strcmp(t.table_id, cp->entry->table_id) != 0)
    {
        icetap_catalog_table_free(&t);
        return icetap_error_set(err, ICETAP_NOTFOUND,
                                "table \"%s\".\"%s\".\"%s\" has no metadata "
                                "of table id %s", cp->entry->table_bucket,
                                cp->entry->namespace, cp->entry->name,
                                cp->entry->table_id);
    }

    *location = t.metadata_location;
    t.metadata_location = NULL;

    icetap_catalog_table_free(&t);

    return ICETAP_OK;
}


/*
 * The entry is read, checked and written back If-Match the ETag read: a
 * writer that swapped in between makes the PUT fail, never both win.
 * The members the entry read has beyond the catalog's own (those of the
 * S3 Tables API: maintenance, policy, tags...) are kept in its "extra"
 * and written back with it.
 */

icetap_rc
icetap_catalog_pointer_swap(void *ctx, const char *expected,
    const char *location, icetap_error_t *err)
{
    char                       key[3 * ICETAP_CATALOG_NAME_LEN + 64];
    char                       etag[ICETAP_STORE_ETAG_LEN], token[32];
    int64_t                    version;
    icetap_rc                  rc;
    icetap_buf_t               b, raw;
    icetap_store_obj_t         obj;
    icetap_catalog_table_t     cur, *e;
    icetap_store_put_opts_t    opts;
    icetap_catalog_pointer_t  *cp = ctx;

    e = cp->entry;

    if (icetap_catalog_table_key(e->table_bucket, e->namespace, e->name,
                                 key, sizeof(key)) != ICETAP_OK)
    {
        return icetap_error_set(err, ICETAP_INVALID, "invalid table name");
    }

    memset(&opts, 0, sizeof(opts));
    opts.content_type = "application/json";
    memset(&b, 0, sizeof(b));
    memset(&raw, 0, sizeof(raw));

    if (expected == NULL) {
        /* a new table: the entry must not exist */

        cur = *e;
        cur.metadata_location = (char *) location;
        cur.version_token = "1";
        cur.updated_at_ms = icetap_table_now_ms();
        opts.if_none_match = 1;

        rc = icetap_catalog_table_to_json(&cur, &b, err);

    } else {
        icetap_store_obj_init(&obj);

        rc = icetap_store_get(cp->store, key, 0, -1, icetap_catalog_sink,
                              &raw, &obj, err);
        if (rc == ICETAP_OK) {
            snprintf(etag, ICETAP_STORE_ETAG_LEN, "%s", obj.etag);
            rc = icetap_catalog_table_from_json((char *) raw.data, raw.len,
                                                &cur, err);
        }

        icetap_store_obj_free(&obj);

        if (rc != ICETAP_OK) {
            icetap_buf_free(&raw);
        }

        if (rc == ICETAP_NOTFOUND) {
            return icetap_error_set(err, ICETAP_CONFLICT,
                                    "table \"%s\" was dropped", e->name);
        }

        if (rc != ICETAP_OK) {
            return rc;
        }

        /* "renamed_to": the S3 Tables API is moving the entry */

        if (cur.metadata_location == NULL
            || strcmp(cur.metadata_location, expected) != 0
            || strcmp(cur.table_id, e->table_id) != 0
            || (cur.extra && json_object_get(cur.extra, "renamed_to")))
        {
            icetap_catalog_table_free(&cur);
            icetap_buf_free(&raw);
            return icetap_error_set(err, ICETAP_CONFLICT,
                                    "table \"%s\" was changed by another "
                                    "writer", e->name);
        }

        version = cur.version_token ? strtoll(cur.version_token, NULL, 10)
                                    : 0;
        snprintf(token, sizeof(token), "%" PRId64, version + 1);

        icetap_free(cur.metadata_location);
        icetap_free(cur.version_token);
        cur.metadata_location = icetap_strndup(location, strlen(location));
        cur.version_token = icetap_strndup(token, strlen(token));
        cur.updated_at_ms = icetap_table_now_ms();

        if (cur.metadata_location == NULL || cur.version_token == NULL) {
            rc = icetap_error_set(err, ICETAP_NOMEM, "out of memory");

        } else {
            rc = icetap_catalog_table_to_json(&cur, &b, err);
        }

        icetap_buf_free(&raw);
        icetap_catalog_table_free(&cur);
        opts.if_match = etag;
    }

    if (rc == ICETAP_OK) {
        rc = icetap_store_put_buf(cp->store, key, b.data, b.len, &opts, NULL,
                                  err);
    }

    icetap_buf_free(&b);

    if (rc != ICETAP_CONFLICT) {
        return rc;
    }

    /*
     * A PUT retried after its response was lost fails its own condition:
     * the swap happened when the entry now holds our location.
     */

    if (icetap_catalog_table_load(cp->store, e->table_bucket, e->namespace,
                                  e->name, &cur, NULL, NULL)
        == ICETAP_OK)
    {
        if (cur.metadata_location != NULL
            && strcmp(cur.metadata_location, location) == 0)
        {
            icetap_error_clear(err);
            rc = ICETAP_OK;
        }

        icetap_catalog_table_free(&cur);
    }

    return rc;
}


static icetap_rc
icetap_catalog_page(void *ctx, const icetap_store_page_t *page)
{
    size_t                   i, len, slashes;
    icetap_rc                rc;
    const char              *k, *p;
    icetap_buf_t             b;
    icetap_catalog_table_t   t;
    icetap_catalog_walk_t   *w = ctx;

    for (i = 0; i < page->nentries; i++) {
        k = page->entries[i].key + sizeof(ICETAP_CATALOG_PREFIX) - 1;
        len = strlen(k);
        slashes = 0;

        for (p = k; *p; p++) {
            slashes += (*p == '/');
        }

        /* tables only: <bucket>/<namespace>/<table>.json */

        if (slashes != 2 || len < 5 || strcmp(k + len - 5, ".json") != 0) {
            continue;
        }

        memset(&b, 0, sizeof(b));

        rc = icetap_store_get(w->store, page->entries[i].key, 0, -1,
                              icetap_catalog_sink, &b, NULL, w->err);

        if (rc == ICETAP_NOTFOUND) {
            icetap_buf_free(&b);
            continue;
        }

        if (rc == ICETAP_OK) {
            rc = icetap_catalog_table_from_json((char *) b.data, b.len, &t,
                                                w->err);
        }

        icetap_buf_free(&b);

        if (rc == ICETAP_INVALID) {
            continue;
        }

        if (rc != ICETAP_OK) {
            w->rc = rc;
            return rc;
        }

        rc = w->cb(w->ctx, &t);
        icetap_catalog_table_free(&t);

        if (rc != ICETAP_OK) {
            w->rc = rc;
            return rc;
        }
    }

    return ICETAP_OK;
}


icetap_rc
icetap_catalog_tables(icetap_store_t *store, const char *table_bucket,
    icetap_catalog_table_pt cb, void *ctx, icetap_error_t *err)
{
    char                      prefix[ICETAP_CATALOG_NAME_LEN + 32];
    icetap_rc                 rc;
    icetap_catalog_walk_t     w;
    icetap_store_list_opts_t  opts;

    if (table_bucket != NULL) {
        snprintf(prefix, sizeof(prefix), ICETAP_CATALOG_PREFIX "%s/",
                 table_bucket);

    } else {
        snprintf(prefix, sizeof(prefix), ICETAP_CATALOG_PREFIX);
    }

    memset(&opts, 0, sizeof(opts));
    opts.prefix = prefix;

    w.cb = cb;
    w.ctx = ctx;
    w.store = store;
    w.rc = ICETAP_OK;
    w.err = err;

    rc = icetap_store_list(store, &opts, icetap_catalog_page, &w, err);

    return w.rc != ICETAP_OK ? w.rc : rc;
}
