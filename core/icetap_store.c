/*
 * Copyright (C) icetap authors
 *
 * Store-independent wrappers around the store vtable.
 */


#include <string.h>
#include <strings.h>

#include "icetap_store_int.h"


typedef struct {
    const uint8_t  *data;
    size_t          len;
    size_t          pos;
} icetap_store_mem_src_t;


static icetap_rc icetap_store_buf_sink(void *ctx, const void *data,
    size_t len);
static icetap_rc icetap_store_mem_read(void *ctx, void *buf, size_t size,
    size_t *n);
static icetap_rc icetap_store_check_key(const char *key,
    icetap_error_t *err);


static icetap_rc
icetap_store_check_key(const char *key, icetap_error_t *err)
{
    size_t  len;

    if (key == NULL || key[0] == '\0') {
        return icetap_error_set(err, ICETAP_INVALID, "empty object key");
    }

    len = strlen(key);

    if (len > 1024) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "object key longer than 1024 bytes");
    }

    return ICETAP_OK;
}


icetap_rc
icetap_store_get(icetap_store_t *s, const char *key, int64_t offset,
    int64_t length, icetap_store_sink_pt sink, void *ctx,
    icetap_store_obj_t *obj, icetap_error_t *err)
{
    icetap_rc  rc;

    icetap_error_clear(err);

    rc = icetap_store_check_key(key, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (offset < 0 || length < -1) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "bad range %lld+%lld for \"%s\"",
                                (long long) offset, (long long) length, key);
    }

    return s->ops->get(s, key, offset, length, sink, ctx, obj, err);
}


static icetap_rc
icetap_store_buf_sink(void *ctx, const void *data, size_t len)
{
    return icetap_buf_append(ctx, data, len);
}


icetap_rc
icetap_store_get_buf(icetap_store_t *s, const char *key, icetap_buf_t *out,
    icetap_error_t *err)
{
    icetap_rc  rc;

    out->len = 0;

    rc = icetap_store_get(s, key, 0, -1, icetap_store_buf_sink, out, NULL,
                          err);
    if (rc == ICETAP_NOMEM) {
        icetap_error_set(err, rc, "no memory reading \"%s\"", key);
    }

    return rc;
}


icetap_rc
icetap_store_put(icetap_store_t *s, const char *key,
    icetap_store_source_t *src, const icetap_store_put_opts_t *opts,
    char *etag, icetap_error_t *err)
{
    icetap_rc                rc;
    icetap_store_put_opts_t  none;

    icetap_error_clear(err);

    rc = icetap_store_check_key(key, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (opts == NULL) {
        memset(&none, 0, sizeof(none));
        opts = &none;
    }

    if (opts->if_match != NULL && opts->if_none_match) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "put of \"%s\": If-Match and If-None-Match "
                                "together", key);
    }

    if (etag != NULL) {
        etag[0] = '\0';
    }

    return s->ops->put(s, key, src, opts, etag, err);
}


static icetap_rc
icetap_store_mem_read(void *ctx, void *buf, size_t size, size_t *n)
{
    icetap_store_mem_src_t  *m = ctx;

    *n = icetap_min(size, m->len - m->pos);
    memcpy(buf, m->data + m->pos, *n);
    m->pos += *n;

    return ICETAP_OK;
}


icetap_rc
icetap_store_put_buf(icetap_store_t *s, const char *key, const void *data,
    size_t len, const icetap_store_put_opts_t *opts, char *etag,
    icetap_error_t *err)
{
    icetap_store_source_t   src;
    icetap_store_mem_src_t  m;

    m.data = data;
    m.len = len;
    m.pos = 0;

    src.read = icetap_store_mem_read;
    src.ctx = &m;
    src.size = (int64_t) len;

    return icetap_store_put(s, key, &src, opts, etag, err);
}


icetap_rc
icetap_store_head(icetap_store_t *s, const char *key,
    icetap_store_obj_t *obj, icetap_error_t *err)
{
    icetap_rc  rc;

    icetap_error_clear(err);

    rc = icetap_store_check_key(key, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    return s->ops->head(s, key, obj, err);
}


icetap_rc
icetap_store_list(icetap_store_t *s, const icetap_store_list_opts_t *opts,
    icetap_store_page_pt page, void *ctx, icetap_error_t *err)
{
    icetap_store_list_opts_t  none;

    icetap_error_clear(err);

    if (opts == NULL) {
        memset(&none, 0, sizeof(none));
        opts = &none;
    }

    return s->ops->list(s, opts, page, ctx, err);
}


icetap_rc
icetap_store_delete(icetap_store_t *s, const char *key, icetap_error_t *err)
{
    icetap_rc  rc;

    icetap_error_clear(err);

    rc = icetap_store_check_key(key, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    return s->ops->del(s, key, err);
}


icetap_rc
icetap_store_delete_batch(icetap_store_t *s, const char *const *keys,
    size_t n, icetap_error_t *err)
{
    size_t     i;
    icetap_rc  rc;

    icetap_error_clear(err);

    for (i = 0; i < n; i++) {
        rc = icetap_store_check_key(keys[i], err);
        if (rc != ICETAP_OK) {
            return rc;
        }
    }

    if (n == 0) {
        return ICETAP_OK;
    }

    return s->ops->del_batch(s, keys, n, err);
}


void
icetap_store_destroy(icetap_store_t *s)
{
    if (s != NULL) {
        s->ops->destroy(s);
    }
}


void
icetap_store_obj_init(icetap_store_obj_t *obj)
{
    memset(obj, 0, sizeof(icetap_store_obj_t));
    obj->size = -1;
}


void
icetap_store_obj_free(icetap_store_obj_t *obj)
{
    size_t  i;

    for (i = 0; i < obj->nmeta; i++) {
        icetap_free(obj->meta[i].name);
        icetap_free(obj->meta[i].value);
    }

    icetap_free(obj->meta);
    icetap_free(obj->content_type);

    icetap_store_obj_init(obj);
}


const char *
icetap_store_obj_meta(const icetap_store_obj_t *obj, const char *name)
{
    size_t  i;

    for (i = 0; i < obj->nmeta; i++) {
        if (strcasecmp(obj->meta[i].name, name) == 0) {
            return obj->meta[i].value;
        }
    }

    return NULL;
}


icetap_rc
icetap_store_obj_add_meta(icetap_store_obj_t *obj, const char *name,
    size_t name_len, const char *value, size_t value_len)
{
    size_t        i;
    icetap_store_kv_t  *kv;

    kv = icetap_realloc(obj->meta,
                        (obj->nmeta + 1) * sizeof(icetap_store_kv_t));
    if (kv == NULL) {
        return ICETAP_NOMEM;
    }

    obj->meta = kv;
    kv = &obj->meta[obj->nmeta];

    kv->name = icetap_strndup(name, name_len);
    kv->value = icetap_strndup(value, value_len);

    if (kv->name == NULL || kv->value == NULL) {
        icetap_free(kv->name);
        icetap_free(kv->value);
        return ICETAP_NOMEM;
    }

    for (i = 0; i < name_len; i++) {
        if (kv->name[i] >= 'A' && kv->name[i] <= 'Z') {
            kv->name[i] += 'a' - 'A';
        }
    }

    obj->nmeta++;

    return ICETAP_OK;
}
