/*
 * Copyright (C) icetap authors
 *
 * What CreateMultipartUpload said, kept until CompleteMultipartUpload.
 *
 * An object's tags and storage class are given when its multipart upload
 * is created, not when it is completed; CompleteMultipartUpload shows
 * neither.  Without them the journal helper would have to look the tags
 * up after the fact and could see a later tag change.  So the tap keeps
 * the x-amz-tagging and x-amz-storage-class of each CreateMultipartUpload
 * that the store accepted, by upload id, in a shared memory zone all
 * workers see, and the CompleteMultipartUpload record carries them.
 *
 * The zone ("icetap_tap_upload_cache SIZE", default 1m) is a cache: when
 * it is full the least recently created upload is forgotten, and an
 * upload created before a restart, through another gateway or directly
 * at the store is simply not found; its record is then enriched by a
 * lookup as before.  An entry is checked against the bucket and key of
 * the completion, so a reused id never lends another object its tags.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_icetap_module.h"


#define NGX_HTTP_ICETAP_UPLOAD_MAX  4096        /* bytes of an entry */


typedef struct {
    ngx_rbtree_node_t          node;            /* key: crc32 of the id */
    ngx_queue_t                queue;
    uint32_t                   object;          /* crc32 of bucket/key */
    u_short                    id_len;
    u_short                    tagging_len;
    u_short                    class_len;
    u_char                     data[1];         /* id tagging class */
} ngx_http_icetap_upload_t;


typedef struct {
    ngx_rbtree_t               rbtree;
    ngx_rbtree_node_t          sentinel;
    ngx_queue_t                lru;             /* newest first */
} ngx_http_icetap_uploads_sh_t;


typedef struct {
    ngx_http_icetap_uploads_sh_t  *sh;
    ngx_slab_pool_t               *shpool;
} ngx_http_icetap_uploads_t;


static ngx_int_t ngx_http_icetap_uploads_init_zone(ngx_shm_zone_t *zone,
    void *data);
static void ngx_http_icetap_uploads_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static ngx_int_t ngx_http_icetap_upload_cmp(uint32_t hash, ngx_str_t *id,
    ngx_rbtree_node_t *node);
static ngx_http_icetap_upload_t *ngx_http_icetap_upload_find(
    ngx_http_icetap_uploads_t *ctx, uint32_t hash, ngx_str_t *id);
static uint32_t ngx_http_icetap_upload_object(ngx_str_t *bucket,
    ngx_str_t *key);


char *
ngx_http_icetap_upload_cache(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_icetap_main_conf_t *imcf = conf;

    ssize_t     size;
    ngx_str_t  *value;

    if (imcf->uploads_size != NGX_CONF_UNSET_SIZE) {
        return "is duplicate";
    }

    value = cf->args->elts;

    size = ngx_parse_size(&value[1]);

    if (size == NGX_ERROR
        || (size != 0 && size < (ssize_t) (8 * ngx_pagesize)))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid size \"%V\": 0 (off) or at least %uz",
                           &value[1], 8 * ngx_pagesize);
        return NGX_CONF_ERROR;
    }

    imcf->uploads_size = size;

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_icetap_uploads_init(ngx_conf_t *cf,
    ngx_http_icetap_main_conf_t *imcf)
{
    ngx_str_t                   name;
    ngx_http_icetap_uploads_t  *ctx;

    if (imcf->uploads_size == NGX_CONF_UNSET_SIZE) {
        imcf->uploads_size = 1024 * 1024;
    }

    if (!imcf->configured || imcf->uploads_size == 0) {
        return NGX_OK;
    }

    ctx = ngx_pcalloc(cf->pool, sizeof(ngx_http_icetap_uploads_t));
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_str_set(&name, "icetap_uploads");

    imcf->uploads = ngx_shared_memory_add(cf, &name, imcf->uploads_size,
                                          &ngx_http_icetap_module);
    if (imcf->uploads == NULL) {
        return NGX_ERROR;
    }

    imcf->uploads->init = ngx_http_icetap_uploads_init_zone;
    imcf->uploads->data = ctx;

    return NGX_OK;
}


static ngx_int_t
ngx_http_icetap_uploads_init_zone(ngx_shm_zone_t *zone, void *data)
{
    ngx_http_icetap_uploads_t  *octx = data;

    ngx_http_icetap_uploads_t  *ctx;

    ctx = zone->data;

    if (octx) {
        /* reload: the uploads under way stay known */
        ctx->sh = octx->sh;
        ctx->shpool = octx->shpool;
        return NGX_OK;
    }

    ctx->shpool = (ngx_slab_pool_t *) zone->shm.addr;

    if (zone->shm.exists) {
        ctx->sh = ctx->shpool->data;
        return NGX_OK;
    }

    ctx->sh = ngx_slab_alloc(ctx->shpool,
                             sizeof(ngx_http_icetap_uploads_sh_t));
    if (ctx->sh == NULL) {
        return NGX_ERROR;
    }

    ctx->shpool->data = ctx->sh;

    ngx_rbtree_init(&ctx->sh->rbtree, &ctx->sh->sentinel,
                    ngx_http_icetap_uploads_insert);
    ngx_queue_init(&ctx->sh->lru);

    ctx->shpool->log_nomem = 0;

    return NGX_OK;
}


static void
ngx_http_icetap_uploads_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_str_t                  id;
    ngx_rbtree_node_t        **p;
    ngx_http_icetap_upload_t  *u;

    u = (ngx_http_icetap_upload_t *) node;
    id.data = u->data;
    id.len = u->id_len;

    for ( ;; ) {

        /* ordered by the hash, then by the id itself */

        p = (ngx_http_icetap_upload_cmp(node->key, &id, temp) < 0)
            ? &temp->left : &temp->right;

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


static ngx_int_t
ngx_http_icetap_upload_cmp(uint32_t hash, ngx_str_t *id,
    ngx_rbtree_node_t *node)
{
    ngx_int_t                  rc;
    ngx_http_icetap_upload_t  *u;

    if (hash != node->key) {
        return (hash < node->key) ? -1 : 1;
    }

    u = (ngx_http_icetap_upload_t *) node;

    rc = ngx_memn2cmp(id->data, u->data, id->len, u->id_len);

    return rc;
}


/*
 * Remembers an accepted CreateMultipartUpload.  Failures only cost the
 * lookup later, so they are not errors of the request.
 */

void
ngx_http_icetap_upload_remember(ngx_http_request_t *r, ngx_str_t *bucket,
    ngx_str_t *key, ngx_str_t *id, ngx_str_t *tagging,
    ngx_str_t *storage_class)
{
    size_t                        size;
    uint32_t                      hash;
    ngx_queue_t                  *q;
    ngx_http_icetap_upload_t     *u;
    ngx_http_icetap_uploads_t    *ctx;
    ngx_http_icetap_main_conf_t  *imcf;

    imcf = ngx_http_get_module_main_conf(r, ngx_http_icetap_module);

    if (imcf->uploads == NULL || id->len == 0) {
        return;
    }

    size = offsetof(ngx_http_icetap_upload_t, data)
           + id->len + tagging->len + storage_class->len;

    if (size > NGX_HTTP_ICETAP_UPLOAD_MAX) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "icetap: upload \"%V\" too large to remember", id);
        return;
    }

    ctx = imcf->uploads->data;
    hash = ngx_crc32_short(id->data, id->len);

    ngx_shmtx_lock(&ctx->shpool->mutex);

    u = ngx_http_icetap_upload_find(ctx, hash, id);

    if (u) {
        /* the same id again: the newer creation wins */
        ngx_rbtree_delete(&ctx->sh->rbtree, &u->node);
        ngx_queue_remove(&u->queue);
        ngx_slab_free_locked(ctx->shpool, u);
    }

    for ( ;; ) {
        u = ngx_slab_alloc_locked(ctx->shpool, size);
        if (u) {
            break;
        }

        if (ngx_queue_empty(&ctx->sh->lru)) {
            ngx_shmtx_unlock(&ctx->shpool->mutex);
            return;
        }

        /* full: forget the oldest upload */

        q = ngx_queue_last(&ctx->sh->lru);
        u = ngx_queue_data(q, ngx_http_icetap_upload_t, queue);

        ngx_rbtree_delete(&ctx->sh->rbtree, &u->node);
        ngx_queue_remove(q);
        ngx_slab_free_locked(ctx->shpool, u);
    }

    u->node.key = hash;
    u->object = ngx_http_icetap_upload_object(bucket, key);
    u->id_len = (u_short) id->len;
    u->tagging_len = (u_short) tagging->len;
    u->class_len = (u_short) storage_class->len;

    ngx_memcpy(ngx_cpymem(ngx_cpymem(u->data, id->data, id->len),
                          tagging->data, tagging->len),
               storage_class->data, storage_class->len);

    ngx_rbtree_insert(&ctx->sh->rbtree, &u->node);
    ngx_queue_insert_head(&ctx->sh->lru, &u->queue);

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "icetap: upload \"%V\" of \"%V\" tagging:\"%V\" "
                   "remembered", id, key, tagging);
}


/*
 * Takes (finds and forgets) the upload completed by this request:
 * NGX_OK with tagging and storage_class copied to the request's pool,
 * NGX_DECLINED when it is not known for this bucket and key.
 */

ngx_int_t
ngx_http_icetap_upload_take(ngx_http_request_t *r, ngx_str_t *bucket,
    ngx_str_t *key, ngx_str_t *id, ngx_str_t *tagging,
    ngx_str_t *storage_class)
{
    u_char                       *p;
    uint32_t                      hash;
    ngx_http_icetap_upload_t     *u;
    ngx_http_icetap_uploads_t    *ctx;
    ngx_http_icetap_main_conf_t  *imcf;

    imcf = ngx_http_get_module_main_conf(r, ngx_http_icetap_module);

    if (imcf->uploads == NULL || id->len == 0) {
        return NGX_DECLINED;
    }

    ctx = imcf->uploads->data;
    hash = ngx_crc32_short(id->data, id->len);

    ngx_shmtx_lock(&ctx->shpool->mutex);

    u = ngx_http_icetap_upload_find(ctx, hash, id);

    if (u == NULL || u->object != ngx_http_icetap_upload_object(bucket, key))
    {
        ngx_shmtx_unlock(&ctx->shpool->mutex);
        return NGX_DECLINED;
    }

    p = ngx_pnalloc(r->pool, u->tagging_len + u->class_len + 1);
    if (p == NULL) {
        ngx_shmtx_unlock(&ctx->shpool->mutex);
        return NGX_DECLINED;
    }

    tagging->data = p;
    tagging->len = u->tagging_len;
    storage_class->data = p + u->tagging_len;
    storage_class->len = u->class_len;

    ngx_memcpy(p, u->data + u->id_len, u->tagging_len + u->class_len);

    ngx_rbtree_delete(&ctx->sh->rbtree, &u->node);
    ngx_queue_remove(&u->queue);
    ngx_slab_free_locked(ctx->shpool, u);

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    return NGX_OK;
}


/* forgets an upload (AbortMultipartUpload) */

void
ngx_http_icetap_upload_forget(ngx_http_request_t *r, ngx_str_t *id)
{
    uint32_t                      hash;
    ngx_http_icetap_upload_t     *u;
    ngx_http_icetap_uploads_t    *ctx;
    ngx_http_icetap_main_conf_t  *imcf;

    imcf = ngx_http_get_module_main_conf(r, ngx_http_icetap_module);

    if (imcf->uploads == NULL || id->len == 0) {
        return;
    }

    ctx = imcf->uploads->data;
    hash = ngx_crc32_short(id->data, id->len);

    ngx_shmtx_lock(&ctx->shpool->mutex);

    u = ngx_http_icetap_upload_find(ctx, hash, id);

    if (u) {
        ngx_rbtree_delete(&ctx->sh->rbtree, &u->node);
        ngx_queue_remove(&u->queue);
        ngx_slab_free_locked(ctx->shpool, u);
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);
}


static ngx_http_icetap_upload_t *
ngx_http_icetap_upload_find(ngx_http_icetap_uploads_t *ctx, uint32_t hash,
    ngx_str_t *id)
{
    ngx_int_t           rc;
    ngx_rbtree_node_t  *node, *sentinel;

    node = ctx->sh->rbtree.root;
    sentinel = ctx->sh->rbtree.sentinel;

    while (node != sentinel) {
        rc = ngx_http_icetap_upload_cmp(hash, id, node);

        if (rc == 0) {
            return (ngx_http_icetap_upload_t *) node;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


static uint32_t
ngx_http_icetap_upload_object(ngx_str_t *bucket, ngx_str_t *key)
{
    uint32_t  crc;

    ngx_crc32_init(crc);
    ngx_crc32_update(&crc, bucket->data, bucket->len);
    ngx_crc32_update(&crc, (u_char *) "/", 1);
    ngx_crc32_update(&crc, key->data, key->len);
    ngx_crc32_final(crc);

    return crc;
}
