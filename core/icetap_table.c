/*
 * Copyright (C) icetap authors
 *
 * Table handle and the commit primitive: a new metadata file is written
 * under a name nobody else can take (create-if-absent), then the pointer
 * is swapped from the metadata the change was built on to the new file.
 * Losing the swap means another writer committed first: the new file is
 * deleted, the metadata reloaded and the change applied again.  The
 * pointer moves in one conditional write, so readers see either the old
 * or the new metadata, never a mix.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "icetap_table_int.h"


#define ICETAP_TABLE_NAME_TRIES  16


/* the default pointer: an object holding the metadata location */

typedef struct {
    icetap_buf_t  *buf;
    size_t         max;
} icetap_table_small_t;


static icetap_rc
icetap_table_small_sink(void *ctx, const void *data, size_t len)
{
    icetap_table_small_t  *s;

    s = ctx;

    if (s->buf->len + len > s->max) {
        return ICETAP_INVALID;
    }

    return icetap_buf_append(s->buf, data, len);
}


static icetap_rc
icetap_table_pointer_read(icetap_table_store_pointer_t *p, char **location,
    char *etag, icetap_error_t *err)
{
    icetap_rc              rc;
    icetap_buf_t           buf;
    icetap_store_obj_t     obj;
    icetap_table_small_t   s;

    *location = NULL;
    memset(&buf, 0, sizeof(buf));
    s.buf = &buf;
    s.max = 64 * 1024;

    rc = icetap_store_get(p->store, p->key, 0, -1, icetap_table_small_sink,
                          &s, &obj, err);
    if (rc != ICETAP_OK) {
        icetap_buf_free(&buf);
        if (rc == ICETAP_INVALID) {
            return icetap_error_set(err, rc, "table pointer %.200s is too "
                                    "large", p->key);
        }

        return rc;
    }

    if (etag) {
        memcpy(etag, obj.etag, ICETAP_STORE_ETAG_LEN);
    }

    icetap_store_obj_free(&obj);

    while (buf.len && (buf.data[buf.len - 1] == '\n'
                       || buf.data[buf.len - 1] == '\r'
                       || buf.data[buf.len - 1] == ' '))
    {
        buf.len--;
    }

    if (buf.len == 0) {
        icetap_buf_free(&buf);
        return icetap_error_set(err, ICETAP_INVALID,
                                "table pointer %.200s is empty", p->key);
    }

    *location = icetap_strndup((const char *) buf.data, buf.len);
    icetap_buf_free(&buf);

    if (*location == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    return ICETAP_OK;
}


icetap_rc
icetap_table_store_pointer_load(void *ctx, char **location,
    icetap_error_t *err)
{
    return icetap_table_pointer_read(ctx, location, NULL, err);
}


icetap_rc
icetap_table_store_pointer_swap(void *ctx, const char *expected,
    const char *location, icetap_error_t *err)
{
    char                          *cur;
    char                           etag[ICETAP_STORE_ETAG_LEN];
    icetap_rc                      rc;
    icetap_store_put_opts_t        opts;
    icetap_table_store_pointer_t  *p;

    p = ctx;
    memset(&opts, 0, sizeof(opts));
    opts.content_type = "text/plain";

    if (expected == NULL) {
        opts.if_none_match = 1;

    } else {
        rc = icetap_table_pointer_read(p, &cur, etag, err);
        if (rc == ICETAP_NOTFOUND) {
            return icetap_error_set(err, ICETAP_CONFLICT,
                                    "table pointer %.200s is gone", p->key);
        }

        if (rc != ICETAP_OK) {
            return rc;
        }

        if (strcmp(cur, expected) != 0) {
            icetap_free(cur);
            return icetap_error_set(err, ICETAP_CONFLICT,
                                    "table moved on to another metadata "
                                    "file");
        }

        icetap_free(cur);
        opts.if_match = etag;
    }

    /* the ETag condition makes this the compare-and-swap */

    rc = icetap_store_put_buf(p->store, p->key, location, strlen(location),
                              &opts, NULL, err);
    if (rc == ICETAP_NOTFOUND) {
        rc = icetap_error_set(err, ICETAP_CONFLICT,
                              "table pointer %.200s is gone", p->key);
    }

    return rc;
}


/* handle */

static icetap_rc
icetap_table_new(icetap_store_t *store, const icetap_table_conf_t *conf,
    icetap_table_t **out, icetap_error_t *err)
{
    size_t           ll, pl;
    icetap_table_t  *t;

    *out = NULL;

    if (conf->location == NULL || conf->prefix == NULL) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "table needs a location and a store prefix");
    }

    ll = strlen(conf->location);
    pl = strlen(conf->prefix);

    while (ll && conf->location[ll - 1] == '/') {
        ll--;
    }

    while (pl && conf->prefix[pl - 1] == '/') {
        pl--;
    }

    if (ll == 0 || strstr(conf->location, "://") == NULL) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "table location \"%.200s\" is not a URI",
                                conf->location);
    }

    t = icetap_calloc(1, sizeof(icetap_table_t));
    if (t == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    t->store = store;
    t->location = icetap_strndup(conf->location, ll);
    t->prefix = icetap_strndup(conf->prefix, pl);
    t->naming = conf->naming;
    t->no_hint = conf->no_version_hint;
    t->max_attempts = conf->max_attempts ? conf->max_attempts : 10;
    t->retry_base_ms = conf->retry_base_ms ? conf->retry_base_ms : 10;
    t->retry_max_ms = conf->retry_max_ms ? conf->retry_max_ms : 1000;
    t->merge_min_count = conf->merge_min_count ? conf->merge_min_count
                                               : 100;
    t->merge_target_size = conf->merge_target_size
                           ? conf->merge_target_size : 8 * 1024 * 1024;

    t->pointer_key = icetap_alloc(pl + sizeof(ICETAP_TABLE_POINTER_KEY) + 1);

    if (t->location == NULL || t->prefix == NULL || t->pointer_key == NULL) {
        icetap_table_close(t);
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    sprintf(t->pointer_key, "%s%s" ICETAP_TABLE_POINTER_KEY, t->prefix,
            pl ? "/" : "");

    if (conf->pointer) {
        t->pointer = *conf->pointer;

    } else {
        t->store_pointer.store = store;
        t->store_pointer.key = t->pointer_key;
        t->pointer.load = icetap_table_store_pointer_load;
        t->pointer.swap = icetap_table_store_pointer_swap;
        t->pointer.ctx = &t->store_pointer;
    }

    *out = t;

    return ICETAP_OK;
}


void
icetap_table_close(icetap_table_t *t)
{
    if (t == NULL) {
        return;
    }

    icetap_metadata_free(t->md);
    icetap_free(t->md_location);
    icetap_free(t->pointer_key);
    icetap_free(t->location);
    icetap_free(t->prefix);
    icetap_free(t);
}


static icetap_rc
icetap_table_load(icetap_table_t *t, const char *location,
    icetap_table_metadata_t **md, icetap_error_t *err)
{
    icetap_rc     rc;
    icetap_buf_t  buf;

    memset(&buf, 0, sizeof(buf));

    rc = icetap_table_get(t, location, &buf, err);
    if (rc == ICETAP_OK) {
        rc = icetap_metadata_parse((const char *) buf.data, buf.len, md, err);
    }

    icetap_buf_free(&buf);

    return rc;
}


icetap_rc
icetap_table_refresh(icetap_table_t *t, icetap_error_t *err)
{
    char                     *loc;
    icetap_rc                 rc;
    icetap_table_metadata_t  *md;

    rc = t->pointer.load(t->pointer.ctx, &loc, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (t->md_location && strcmp(loc, t->md_location) == 0) {
        icetap_free(loc);
        return ICETAP_OK;
    }

    rc = icetap_table_load(t, loc, &md, err);
    if (rc != ICETAP_OK) {
        icetap_free(loc);
        return rc;
    }

    icetap_metadata_free(t->md);
    icetap_free(t->md_location);
    t->md = md;
    t->md_location = loc;

    return ICETAP_OK;
}


icetap_rc
icetap_table_open(icetap_store_t *store, const icetap_table_conf_t *conf,
    icetap_table_t **out, icetap_error_t *err)
{
    icetap_rc        rc;
    icetap_table_t  *t;

    rc = icetap_table_new(store, conf, &t, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    rc = icetap_table_refresh(t, err);
    if (rc != ICETAP_OK) {
        icetap_table_close(t);
        return rc;
    }

    *out = t;

    return ICETAP_OK;
}


const icetap_table_metadata_t *
icetap_table_metadata(const icetap_table_t *t)
{
    return t->md;
}


const char *
icetap_table_metadata_location(const icetap_table_t *t)
{
    return t->md_location;
}


icetap_store_t *
icetap_table_store(const icetap_table_t *t)
{
    return t->store;
}


const icetap_table_stats_t *
icetap_table_stats(const icetap_table_t *t)
{
    return &t->stats;
}


/* metadata file names */

static int64_t
icetap_table_version_of(const char *location)
{
    const char  *base;
    char        *end;
    long long    v;

    if (location == NULL) {
        return 0;
    }

    base = strrchr(location, '/');
    base = base ? base + 1 : location;

    if (*base == 'v') {
        base++;
    }

    v = strtoll(base, &end, 10);
    if (end == base || v < 0 || (*end != '.' && *end != '-')) {
        return -1;
    }

    return v;
}


static int64_t
icetap_table_property_int(const icetap_table_metadata_t *md,
    const char *key, int64_t def)
{
    char        *end;
    long long    v;
    const char  *s;

    s = icetap_kvs_get(&md->properties, key);
    if (s == NULL || *s == '\0') {
        return def;
    }

    v = strtoll(s, &end, 10);

    return *end == '\0' && v >= 0 ? v : def;
}


/*
 * The pointer is the commit; the hint only helps file-based readers
 * (icebird, DuckDB) find the newest version.  It only ever moves
 * forward: a slow writer of an older version does not overwrite it.
 */

static void
icetap_table_write_hint(icetap_table_t *t, int64_t version)
{
    int                       i;
    char                     *key, *cur, num[24];
    char                      etag[ICETAP_STORE_ETAG_LEN];
    size_t                    pl;
    icetap_rc                 rc;
    icetap_error_t            err;
    icetap_store_put_opts_t   opts;
    icetap_table_store_pointer_t  p;

    pl = strlen(t->prefix);
    key = icetap_alloc(pl + sizeof(ICETAP_TABLE_HINT_KEY) + 1);
    if (key == NULL) {
        return;
    }

    sprintf(key, "%s%s" ICETAP_TABLE_HINT_KEY, t->prefix, pl ? "/" : "");
    p.store = t->store;
    p.key = key;
    snprintf(num, sizeof(num), "%lld", (long long) version);

    for (i = 0; i < 5; i++) {
        memset(&opts, 0, sizeof(opts));
        opts.content_type = "text/plain";

        rc = icetap_table_pointer_read(&p, &cur, etag, &err);

        if (rc == ICETAP_NOTFOUND) {
            opts.if_none_match = 1;

        } else if (rc == ICETAP_OK) {
            if (strtoll(cur, NULL, 10) >= version) {
                icetap_free(cur);
                break;
            }

            icetap_free(cur);
            opts.if_match = etag;

        } else if (rc != ICETAP_INVALID) {
            break;
        }

        rc = icetap_store_put_buf(t->store, key, num, strlen(num), &opts,
                                  NULL, &err);
        if (rc != ICETAP_CONFLICT && rc != ICETAP_NOTFOUND) {
            break;
        }
    }

    icetap_free(key);
}


/*
 * Writes md as the next metadata file: v<N>.metadata.json (create if
 * absent; a name left by a crashed or racing writer is skipped) or
 * <NNNNN>-<uuid>.metadata.json.
 */

static icetap_rc
icetap_table_write_md(icetap_table_t *t, icetap_table_metadata_t *md,
    const char *previous, char **location, int64_t *version,
    icetap_error_t *err)
{
    int        i;
    char      *json, *loc, uuid[37];
    int64_t    v;
    icetap_rc  rc;

    *location = NULL;

    v = icetap_table_version_of(previous);
    if (v < 0) {
        v = (int64_t) md->nmetadata_log;
    }

    json = icetap_metadata_serialize(md, 0);
    if (json == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    rc = ICETAP_CONFLICT;

    for (i = 0; i < ICETAP_TABLE_NAME_TRIES; i++) {
        v++;

        if (t->naming == ICETAP_TABLE_NAMING_HADOOP) {
            loc = icetap_table_path(t, "metadata/v%lld.metadata.json",
                                    (long long) v);

        } else {
            rc = icetap_uuid4(uuid, err);
            if (rc != ICETAP_OK) {
                break;
            }

            loc = icetap_table_path(t, "metadata/%05lld-%s.metadata.json",
                                    (long long) v, uuid);
        }

        if (loc == NULL) {
            rc = icetap_error_set(err, ICETAP_NOMEM, "out of memory");
            break;
        }

        rc = icetap_table_put(t, loc, json, strlen(json), 1, err);
        if (rc == ICETAP_OK) {
            *location = loc;
            *version = v;
            break;
        }

        icetap_free(loc);

        if (rc != ICETAP_CONFLICT) {
            break;
        }
    }

    icetap_free(json);

    return rc;
}


static unsigned
icetap_table_backoff(icetap_table_t *t, unsigned attempt)
{
    unsigned  ms, cap;
    uint32_t  r;

    ms = t->retry_base_ms;
    cap = t->retry_max_ms;

    while (attempt-- > 1 && ms < cap) {
        ms *= 2;
    }

    ms = icetap_min(ms, cap);

    /* full jitter keeps racing writers from retrying in lockstep */

    r = (uint32_t) rand();

    return ms / 2 + (ms ? r % (ms / 2 + 1) : 0);
}


icetap_rc
icetap_table_commit_ex(icetap_table_t *t, icetap_table_apply_pt apply,
    icetap_table_abort_pt abort_cb, void *ctx, icetap_error_t *err)
{
    char                     *loc, *cur;
    size_t                    i, j, max;
    int64_t                   version, now;
    unsigned                  attempt;
    icetap_rc                 rc;
    icetap_table_metadata_t  *md, *base;

    rc = ICETAP_CONFLICT;
    loc = NULL;
    md = NULL;
    base = NULL;
    version = 0;

    if (t->md == NULL) {
        return icetap_error_set(err, ICETAP_INVALID, "table not loaded");
    }

    for (attempt = 1; attempt <= t->max_attempts; attempt++) {
        t->stats.attempts++;
        base = t->md;

        md = icetap_metadata_copy(base);
        if (md == NULL) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }

        rc = apply(ctx, t, md, err);
        if (rc != ICETAP_OK) {
            icetap_metadata_free(md);
            if (abort_cb) {
                abort_cb(ctx, t);
            }

            return rc;
        }

        now = icetap_table_now_ms();
        md->last_updated_ms = icetap_max(now, md->last_updated_ms);
        max = (size_t) icetap_table_property_int(md,
                             "write.metadata.previous-versions-max", 100);

        rc = icetap_metadata_add_log_entry(md, t->md_location,
                                           base->last_updated_ms,
                                           icetap_max(max, 1), err);
        if (rc == ICETAP_OK) {
            rc = icetap_table_write_md(t, md, t->md_location, &loc, &version,
                                       err);
        }

        if (rc != ICETAP_OK) {
            icetap_metadata_free(md);
            if (abort_cb) {
                abort_cb(ctx, t);
            }

            return rc;
        }

        rc = t->pointer.swap(t->pointer.ctx, t->md_location, loc, err);

        if (rc != ICETAP_OK && rc != ICETAP_CONFLICT) {
            /* the swap may have happened before the error: look */

            if (t->pointer.load(t->pointer.ctx, &cur, NULL) == ICETAP_OK) {
                if (strcmp(cur, loc) == 0) {
                    rc = ICETAP_OK;
                    icetap_error_clear(err);
                }

                icetap_free(cur);

            } else {
                /* unknown outcome: keep the file, it may be current */
                icetap_metadata_free(md);
                icetap_free(loc);
                return rc;
            }
        }

        if (rc == ICETAP_OK) {
            break;
        }

        /* lost: nothing of this attempt may stay behind */

        icetap_table_delete_quiet(t, loc);
        icetap_free(loc);
        icetap_metadata_free(md);

        if (abort_cb) {
            abort_cb(ctx, t);
        }

        if (rc != ICETAP_CONFLICT) {
            return rc;
        }

        t->stats.conflicts++;

        if (attempt == t->max_attempts) {
            break;
        }

        icetap_table_sleep_ms(icetap_table_backoff(t, attempt));

        rc = icetap_table_refresh(t, err);
        if (rc != ICETAP_OK) {
            return rc;
        }
    }

    if (rc != ICETAP_OK || md == NULL || base == NULL) {
        return icetap_error_set(err, ICETAP_CONFLICT,
                                "commit lost %u races in a row, giving up",
                                t->max_attempts);
    }

    t->stats.commits++;

    /* metadata files that fell out of the log */

    if (t->md_location
        && strcmp(icetap_kvs_get(&md->properties,
                        "write.metadata.delete-after-commit.enabled")
                  ? icetap_kvs_get(&md->properties,
                        "write.metadata.delete-after-commit.enabled")
                  : "false", "true") == 0)
    {
        for (i = 0; i < base->nmetadata_log; i++) {
            for (j = 0; j < md->nmetadata_log; j++) {
                if (strcmp(base->metadata_log[i].file,
                           md->metadata_log[j].file) == 0)
                {
                    break;
                }
            }

            if (j == md->nmetadata_log) {
                icetap_table_delete_quiet(t, base->metadata_log[i].file);
            }
        }
    }

    icetap_metadata_free(t->md);
    icetap_free(t->md_location);
    t->md = md;
    t->md_location = loc;

    if (t->naming == ICETAP_TABLE_NAMING_HADOOP && !t->no_hint) {
        icetap_table_write_hint(t, version);
    }

    return ICETAP_OK;
}


icetap_rc
icetap_table_commit(icetap_table_t *t, icetap_table_apply_pt apply,
    void *ctx, icetap_error_t *err)
{
    return icetap_table_commit_ex(t, apply, NULL, ctx, err);
}


/* create */

icetap_rc
icetap_table_create(icetap_store_t *store, const icetap_table_conf_t *conf,
    int format_version, const icetap_schema_t *schema,
    const icetap_partition_spec_t *spec, const icetap_sort_order_t *order,
    const icetap_kvs_t *properties, icetap_table_t **out,
    icetap_error_t *err)
{
    char                     *loc;
    int64_t                   version;
    icetap_rc                 rc;
    icetap_table_t           *t;
    icetap_table_metadata_t  *md;

    *out = NULL;

    rc = icetap_table_new(store, conf, &t, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    rc = icetap_metadata_create(format_version, NULL, t->location, schema,
                                spec, order, properties,
                                icetap_table_now_ms(), &md, err);
    if (rc != ICETAP_OK) {
        icetap_table_close(t);
        return rc;
    }

    rc = icetap_table_write_md(t, md, NULL, &loc, &version, err);
    if (rc != ICETAP_OK) {
        icetap_metadata_free(md);
        icetap_table_close(t);
        return rc;
    }

    rc = t->pointer.swap(t->pointer.ctx, NULL, loc, err);
    if (rc != ICETAP_OK) {
        if (rc == ICETAP_CONFLICT) {
            icetap_table_delete_quiet(t, loc);
            icetap_error_set(err, rc, "table %.200s already exists",
                             t->location);
        }

        icetap_free(loc);
        icetap_metadata_free(md);
        icetap_table_close(t);
        return rc;
    }

    t->md = md;
    t->md_location = loc;
    t->stats.commits++;

    if (t->naming == ICETAP_TABLE_NAMING_HADOOP && !t->no_hint) {
        icetap_table_write_hint(t, version);
    }

    *out = t;

    return ICETAP_OK;
}
