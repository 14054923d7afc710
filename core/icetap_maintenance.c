/*
 * Copyright (C) icetap authors
 *
 * Snapshot expiry from the metadata and the removal of unreferenced
 * files (icetap/maintenance.h).
 *
 * An object is deleted only after three things: it was unreferenced
 * when a pass marked it (its last modification then at least
 * unreferenced_ms old, which keeps the files of a commit in flight), it
 * stayed marked noncurrent_ms, and the metadata reloaded right before
 * the deletion still does not reference it.  The pointer and hint
 * objects are never candidates.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <icetap/maintenance.h>

#include "icetap_table_int.h"


typedef struct {
    int64_t              older_than;
    int64_t              min_keep;
    int64_t              now;
    size_t               expired;
} icetap_mt_expire_t;


static icetap_rc
icetap_mt_expire_apply(void *ctx, icetap_table_t *t,
    icetap_table_metadata_t *md, icetap_error_t *err)
{
    size_t               n;
    icetap_rc            rc;
    icetap_snapshot_t   *removed;
    icetap_mt_expire_t  *x;

    x = ctx;
    removed = NULL;
    n = 0;

    rc = icetap_metadata_expire_snapshots(md, x->older_than, x->min_keep,
                                          x->now, &removed, &n, err);
    icetap_snapshots_free(removed, n);

    if (rc == ICETAP_OK && n == 0) {
        /* nothing to commit */
        x->expired = 0;
        return icetap_error_set(err, ICETAP_EOF, "nothing expired");
    }

    x->expired = n;

    return rc;
}


icetap_rc
icetap_table_expire_snapshots(icetap_table_t *t, int64_t older_than_ms,
    int64_t min_keep, size_t *expired, icetap_error_t *err)
{
    icetap_rc           rc;
    icetap_mt_expire_t  x;

    *expired = 0;

    x.older_than = older_than_ms;
    x.min_keep = min_keep < 1 ? 1 : min_keep;
    x.now = older_than_ms > icetap_table_now_ms() ? older_than_ms
                                                   : icetap_table_now_ms();
    x.expired = 0;

    rc = icetap_table_commit(t, icetap_mt_expire_apply, &x, err);

    if (rc == ICETAP_EOF) {
        icetap_error_clear(err);
        return ICETAP_OK;
    }

    if (rc == ICETAP_OK) {
        *expired = x.expired;
    }

    return rc;
}


/* the set of store keys the table's metadata references */

static icetap_rc
icetap_mt_ref(icetap_table_t *t, icetap_tmap_t *refs, const char *path)
{
    char       *key;
    icetap_rc   rc;

    if (path == NULL) {
        return ICETAP_OK;
    }

    key = icetap_table_key(t, path);
    if (key == NULL) {
        /* outside the location: not ours to delete anyway */
        return ICETAP_OK;
    }

    rc = icetap_tmap_put(refs, key, refs);
    icetap_free(key);

    return rc;
}


static icetap_rc
icetap_mt_ref_stats(icetap_table_t *t, icetap_tmap_t *refs, json_t *a)
{
    size_t      i;
    json_t     *p;
    icetap_rc   rc;

    if (!json_is_array(a)) {
        return ICETAP_OK;
    }

    for (i = 0; i < json_array_size(a); i++) {
        p = json_object_get(json_array_get(a, i), "statistics-path");

        if (json_is_string(p)) {
            rc = icetap_mt_ref(t, refs, json_string_value(p));
            if (rc != ICETAP_OK) {
                return rc;
            }
        }
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_mt_refs(icetap_table_t *t, icetap_tmap_t *refs, icetap_error_t *err)
{
    size_t                    i, k, nmfs;
    icetap_rc                 rc;
    icetap_table_mr_t         mr;
    icetap_table_mf_t        *mfs;
    icetap_manifest_entry_t   e;
    icetap_tmap_t             seen;
    const icetap_table_metadata_t *md;

    rc = icetap_table_refresh(t, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    md = t->md;
    memset(&seen, 0, sizeof(seen));

    rc = icetap_mt_ref(t, refs, t->md_location);

    for (i = 0; rc == ICETAP_OK && i < md->nmetadata_log; i++) {
        rc = icetap_mt_ref(t, refs, md->metadata_log[i].file);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_mt_ref_stats(t, refs, md->statistics);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_mt_ref_stats(t, refs, md->partition_statistics);
    }

    if (rc == ICETAP_NOMEM) {
        return icetap_error_set(err, rc, "out of memory");
    }

    for (i = 0; i < md->nsnapshots; i++) {
        rc = icetap_mt_ref(t, refs, md->snapshots[i].manifest_list);
        if (rc != ICETAP_OK) {
            break;
        }

        rc = icetap_table_read_list(t, &md->snapshots[i], &mfs, &nmfs, err);
        if (rc != ICETAP_OK) {
            break;
        }

        for (k = 0; k < nmfs && rc == ICETAP_OK; k++) {
            rc = icetap_mt_ref(t, refs, mfs[k].mf.manifest_path);

            if (rc != ICETAP_OK
                || icetap_tmap_get(&seen, mfs[k].mf.manifest_path))
            {
                continue;
            }

            rc = icetap_tmap_put(&seen, mfs[k].mf.manifest_path, &seen);
            if (rc != ICETAP_OK) {
                break;
            }

            rc = icetap_table_mr_open(t, &mfs[k].mf, &mr, err);
            if (rc != ICETAP_OK) {
                break;
            }

            /* deleted entries too: an older snapshot may still need them */

            for ( ;; ) {
                rc = icetap_table_mr_next(&mr, &e, err);
                if (rc != ICETAP_OK) {
                    break;
                }

                rc = icetap_mt_ref(t, refs, e.file.file_path);
                if (rc != ICETAP_OK) {
                    break;
                }
            }

            icetap_table_mr_close(&mr);

            if (rc == ICETAP_EOF) {
                rc = ICETAP_OK;
            }
        }

        icetap_table_mfs_free(mfs, nmfs);

        if (rc != ICETAP_OK) {
            break;
        }
    }

    icetap_tmap_free(&seen, NULL);

    if (rc == ICETAP_NOMEM) {
        icetap_error_set(err, rc, "out of memory");
    }

    return rc;
}


typedef struct {
    icetap_table_t                      *t;
    const icetap_unreferenced_conf_t    *conf;
    icetap_unreferenced_result_t        *res;
    icetap_tmap_t                       *refs;
    json_t                              *marks;     /* old: key -> ms */
    json_t                              *keep;      /* new marks */
    json_t                              *doomed;    /* keys to delete */
    const char                          *hint;
} icetap_mt_scan_t;


static icetap_rc
icetap_mt_scan_page(void *ctx, const icetap_store_page_t *page)
{
    size_t             i;
    json_t            *m;
    int64_t            marked, age;
    const char        *key;
    icetap_mt_scan_t  *s;

    s = ctx;

    for (i = 0; i < page->nentries; i++) {
        key = page->entries[i].key;
        s->res->objects++;

        if (strcmp(key, s->t->pointer_key) == 0
            || strcmp(key, s->hint) == 0
            || icetap_tmap_get(s->refs, key))
        {
            s->res->referenced++;
            continue;
        }

        m = json_object_get(s->marks, key);

        if (json_is_integer(m)) {
            marked = json_integer_value(m);

            if (s->conf->now_ms - marked >= s->conf->noncurrent_ms) {
                if (json_array_append_new(s->doomed, json_string(key))) {
                    return ICETAP_NOMEM;
                }

            } else {
                s->res->pending++;
            }

            if (json_object_set(s->keep, key, m)) {
                return ICETAP_NOMEM;
            }

            continue;
        }

        age = page->entries[i].last_modified > 0
              ? s->conf->now_ms - page->entries[i].last_modified * 1000
              : 0;

        if (age >= s->conf->unreferenced_ms) {
            if (json_object_set_new(s->keep, key,
                                    json_integer(s->conf->now_ms)))
            {
                return ICETAP_NOMEM;
            }

            s->res->marked++;
            s->res->pending++;
        }
    }

    return ICETAP_OK;
}


icetap_rc
icetap_table_remove_unreferenced(icetap_table_t *t,
    const icetap_unreferenced_conf_t *conf,
    icetap_unreferenced_result_t *res, icetap_error_t *err)
{
    char                      *prefix, *hint, *text;
    size_t                     i, pl;
    json_t                    *doc;
    icetap_rc                  rc;
    icetap_buf_t               buf;
    icetap_tmap_t              refs;
    icetap_mt_scan_t           s;
    json_error_t               jerr;
    const char                *key;
    icetap_store_list_opts_t   opts;

    memset(res, 0, sizeof(icetap_unreferenced_result_t));
    memset(&refs, 0, sizeof(refs));
    memset(&buf, 0, sizeof(buf));
    memset(&s, 0, sizeof(s));

    pl = strlen(t->prefix);
    prefix = icetap_alloc(pl + 2);
    hint = icetap_alloc(pl + sizeof(ICETAP_TABLE_HINT_KEY) + 2);

    s.marks = NULL;
    s.keep = json_object();
    s.doomed = json_array();

    if (prefix == NULL || hint == NULL || s.keep == NULL
        || s.doomed == NULL)
    {
        rc = icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        goto done;
    }

    sprintf(prefix, "%s%s", t->prefix, pl ? "/" : "");
    sprintf(hint, "%s" ICETAP_TABLE_HINT_KEY, prefix);

    /* the marks of earlier passes */

    rc = icetap_store_get_buf(t->store, conf->marks_key, &buf, err);

    if (rc == ICETAP_NOTFOUND) {
        icetap_error_clear(err);
        s.marks = json_object();

    } else if (rc == ICETAP_OK) {
        doc = json_loadb((const char *) buf.data, buf.len, 0, &jerr);
        s.marks = json_incref(json_object_get(doc, "noncurrent"));
        json_decref(doc);

        if (!json_is_object(s.marks)) {
            json_decref(s.marks);
            s.marks = json_object();
        }

    } else {
        goto done;
    }

    rc = icetap_mt_refs(t, &refs, err);
    if (rc != ICETAP_OK) {
        goto done;
    }

    s.t = t;
    s.conf = conf;
    s.res = res;
    s.refs = &refs;
    s.hint = hint;

    memset(&opts, 0, sizeof(opts));
    opts.prefix = prefix;

    rc = icetap_store_list(t->store, &opts, icetap_mt_scan_page, &s, err);
    if (rc == ICETAP_NOMEM) {
        icetap_error_set(err, rc, "out of memory");
    }

    if (rc != ICETAP_OK) {
        goto done;
    }

    /* the last look: what the metadata references now stays */

    if (json_array_size(s.doomed)) {
        icetap_tmap_free(&refs, NULL);
        memset(&refs, 0, sizeof(refs));

        rc = icetap_mt_refs(t, &refs, err);
        if (rc != ICETAP_OK) {
            goto done;
        }
    }

    for (i = 0; i < json_array_size(s.doomed); i++) {
        key = json_string_value(json_array_get(s.doomed, i));

        if (icetap_tmap_get(&refs, key)) {
            json_object_del(s.keep, key);
            continue;
        }

        rc = icetap_store_delete(t->store, key, err);
        if (rc != ICETAP_OK) {
            goto done;
        }

        json_object_del(s.keep, key);
        res->deleted++;
    }

    doc = json_pack("{s:i, s:O, s:I}", "format", 1, "noncurrent", s.keep,
                    "updated_at_ms", (json_int_t) conf->now_ms);
    text = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(doc);

    if (text == NULL) {
        rc = icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        goto done;
    }

    rc = icetap_store_put_buf(t->store, conf->marks_key, text, strlen(text),
                              NULL, NULL, err);
    free(text);

done:

    icetap_tmap_free(&refs, NULL);
    icetap_buf_free(&buf);
    json_decref(s.marks);
    json_decref(s.keep);
    json_decref(s.doomed);
    icetap_free(prefix);
    icetap_free(hint);

    return rc;
}
