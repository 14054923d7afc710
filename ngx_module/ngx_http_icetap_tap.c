/*
 * Copyright (C) icetap authors
 *
 * The mutation tap.
 *
 * A preaccess handler classifies each request of a location with
 * "icetap_tap on".  For a mutation it reserves WAL space (or refuses the
 * request with an S3 503 before anything is forwarded) and, for the two
 * operations whose facts are in the request body (PutObjectTagging and
 * DeleteObjects), reads that small body first.
 *
 * The header filter sees the store's answer.  A rejected mutation (non-2xx)
 * releases its reservation and leaves no record.  An accepted one is
 * recorded before the header is passed on.  Where the outcome is only in
 * the body (CopyObject and CompleteMultipartUpload can fail inside a 200,
 * DeleteObjects lists what it deleted), header and body are held in a
 * bounded copy until the body is complete, then recorded, then released.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <icetap/form.h>
#include <icetap/xml.h>

#include "ngx_http_icetap_module.h"


#define NGX_HTTP_ICETAP_RESERVE     (64 * 1024)
#define NGX_HTTP_ICETAP_FORM_WINDOW (64 * 1024)


/* facts taken from request and response headers in one pass each */

typedef struct {
    ngx_str_t             storage_class;
    ngx_str_t             tagging;
    ngx_str_t             tagging_directive;
    ngx_str_t             metadata_directive;
    ngx_str_t             copy_source;
    ngx_str_t             checksum_algorithm;
    ngx_str_t             decoded_length;
    ngx_str_t             authorization;
    ngx_str_t             checksum_header;      /* x-amz-checksum-<alg> */
    ngx_str_t             content_encoding;
    ngx_str_t             content_sha256;
    ngx_array_t           meta;                 /* icetap_kv_t */
} ngx_http_icetap_req_hdrs_t;


typedef struct {
    ngx_str_t             etag;
    ngx_str_t             version_id;
    ngx_str_t             delete_marker;
    ngx_str_t             sse;
    ngx_str_t             sse_customer;
    ngx_str_t             kms_key_id;
    ngx_str_t             bucket_key;
    ngx_str_t             request_id;
    ngx_str_t             copy_source_version_id;
    ngx_str_t             location;
    ngx_str_t             checksum_algorithm;
} ngx_http_icetap_resp_hdrs_t;


typedef struct {
    ngx_str_t             name;
    size_t                offset;
} ngx_http_icetap_hdr_map_t;


/* parse state of the XML bodies we read */

typedef struct {
    ngx_http_request_t   *r;
    ngx_array_t          *recs;                 /* icetap_wal_rec_t */
    icetap_wal_rec_t     *proto;
    icetap_wal_rec_t      cur;
    ngx_uint_t            in_item;
    ngx_uint_t            quiet;
    ngx_str_t             etag;
    ngx_str_t             key;
    ngx_str_t             bucket;
    ngx_str_t             checksum;
    ngx_array_t          *errors;               /* ngx_str_t keys */
    ngx_array_t          *kvs;                  /* icetap_kv_t */
    ngx_str_t             tag_key;
    ngx_str_t             tag_value;
    ngx_uint_t            error;
    ngx_uint_t            failed;
} ngx_http_icetap_xml_ctx_t;


static ngx_int_t ngx_http_icetap_handler(ngx_http_request_t *r);
static ngx_uint_t ngx_http_icetap_classify(ngx_http_request_t *r,
    ngx_http_icetap_ctx_t *ctx, ngx_http_icetap_loc_conf_t *ilcf);
static ngx_int_t ngx_http_icetap_arg(ngx_str_t *args, const char *name,
    ngx_str_t *value);
static void ngx_http_icetap_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_icetap_copy_request_body(ngx_http_request_t *r,
    ngx_http_icetap_ctx_t *ctx);
static void ngx_http_icetap_read_form(ngx_http_request_t *r,
    ngx_http_icetap_ctx_t *ctx);
static ngx_int_t ngx_http_icetap_body_range(ngx_http_request_t *r,
    off_t offset, size_t len, u_char *dst);
static int ngx_http_icetap_form_field(void *data, const char *name,
    const char *value, size_t len);
static void ngx_http_icetap_cleanup(void *data);
static ngx_int_t ngx_http_icetap_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_icetap_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_int_t ngx_http_icetap_hold(ngx_http_request_t *r,
    ngx_http_icetap_ctx_t *ctx, ngx_buf_t *b);
static ngx_int_t ngx_http_icetap_record(ngx_http_request_t *r,
    ngx_http_icetap_ctx_t *ctx);
static ngx_int_t ngx_http_icetap_record_body(ngx_http_request_t *r,
    ngx_http_icetap_ctx_t *ctx, icetap_wal_rec_t *proto, ngx_array_t *recs);
static void ngx_http_icetap_scan_headers(ngx_list_t *headers,
    ngx_http_icetap_hdr_map_t *map, void *out, ngx_array_t *meta,
    ngx_str_t *checksum);
static ngx_int_t ngx_http_icetap_parse_tagging(ngx_pool_t *pool,
    ngx_str_t *s, ngx_array_t *tags);
static void ngx_http_icetap_requester(ngx_http_request_t *r,
    ngx_http_icetap_req_hdrs_t *rq, ngx_str_t *akid);
static ngx_int_t ngx_http_icetap_unescape(ngx_pool_t *pool, u_char *src,
    size_t len, ngx_str_t *dst, ngx_uint_t plus);
static ngx_uint_t ngx_http_icetap_has_header(ngx_http_request_t *r,
    const char *name);
static ngx_int_t ngx_http_icetap_post_key(ngx_http_request_t *r,
    ngx_http_icetap_ctx_t *ctx, ngx_str_t *location, ngx_str_t *key);
static ngx_int_t ngx_http_icetap_form_tags(ngx_http_request_t *r,
    ngx_http_icetap_ctx_t *ctx, ngx_array_t *tags);
static void ngx_http_icetap_upload_created(ngx_http_request_t *r,
    ngx_http_icetap_ctx_t *ctx);
static int ngx_http_icetap_upload_id(void *data, icetap_xml_event_e ev,
    const char **path, int depth, const char *text, size_t len);
static int ngx_http_icetap_xml_handler(void *data, icetap_xml_event_e ev,
    const char **path, int depth, const char *text, size_t len);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


#define REQ(name, field)                                                     \
    { ngx_string(name), offsetof(ngx_http_icetap_req_hdrs_t, field) }

static ngx_http_icetap_hdr_map_t  ngx_http_icetap_req_map[] = {
    REQ("x-amz-storage-class", storage_class),
    REQ("x-amz-tagging", tagging),
    REQ("x-amz-tagging-directive", tagging_directive),
    REQ("x-amz-metadata-directive", metadata_directive),
    REQ("x-amz-copy-source", copy_source),
    REQ("x-amz-sdk-checksum-algorithm", checksum_algorithm),
    REQ("x-amz-checksum-algorithm", checksum_algorithm),
    REQ("x-amz-decoded-content-length", decoded_length),
    REQ("authorization", authorization),
    REQ("content-encoding", content_encoding),
    REQ("x-amz-content-sha256", content_sha256),
    { ngx_null_string, 0 }
};


#define RESP(name, field)                                                    \
    { ngx_string(name), offsetof(ngx_http_icetap_resp_hdrs_t, field) }

static ngx_http_icetap_hdr_map_t  ngx_http_icetap_resp_map[] = {
    RESP("etag", etag),
    RESP("x-amz-version-id", version_id),
    RESP("x-amz-delete-marker", delete_marker),
    RESP("x-amz-server-side-encryption", sse),
    RESP("x-amz-server-side-encryption-customer-algorithm", sse_customer),
    RESP("x-amz-server-side-encryption-aws-kms-key-id", kms_key_id),
    RESP("x-amz-server-side-encryption-bucket-key-enabled", bucket_key),
    RESP("x-amz-request-id", request_id),
    RESP("x-amzn-requestid", request_id),
    RESP("x-amz-copy-source-version-id", copy_source_version_id),
    RESP("location", location),
    { ngx_null_string, 0 }
};


ngx_int_t
ngx_http_icetap_tap_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PREACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_icetap_handler;

    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_icetap_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_icetap_body_filter;

    return NGX_OK;
}


static ngx_int_t
ngx_http_icetap_handler(ngx_http_request_t *r)
{
    u_char                      *p, msg[256];
    size_t                       reserve;
    ngx_int_t                    rc;
    ngx_uint_t                   op;
    ngx_pool_cleanup_t          *cln;
    ngx_http_icetap_ctx_t       *ctx;
    ngx_http_icetap_loc_conf_t  *ilcf;

    if (r->args.len) {
        /* the metadata configuration API, answered by icetap itself */

        rc = ngx_http_icetap_mdconf_handler(r);
        if (rc != NGX_DECLINED) {
            return rc;
        }
    }

    /* reads cost one test */

    if (!(r->method & (NGX_HTTP_PUT|NGX_HTTP_POST|NGX_HTTP_DELETE))) {
        return NGX_DECLINED;
    }

    ilcf = ngx_http_get_module_loc_conf(r, ngx_http_icetap_module);

    if (!ilcf->tap || r != r->main) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_icetap_module);

    if (ctx) {
        /* back after reading the request body */
        return ctx->status;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_icetap_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    op = ngx_http_icetap_classify(r, ctx, ilcf);

    if (op == ICETAP_WAL_OP_NONE) {
        if (ctx->mpu_create || ctx->mpu_abort) {
            /* not a mutation yet: only remembered for its completion */
            ctx->status = NGX_DECLINED;
            ngx_http_set_ctx(r, ctx, ngx_http_icetap_module);
        }

        return NGX_DECLINED;
    }

    ctx->op = op;
    ctx->status = NGX_DECLINED;

    /*
     * One response of DeleteObjects yields a record per key: reserve for
     * the largest body we accept; everything else yields one record whose
     * size is bounded by the request headers.
     */

    reserve = NGX_HTTP_ICETAP_RESERVE;

    if (op == ICETAP_WAL_OP_DELETE_MULTI) {
        reserve += 2 * ilcf->body_limit;
    }

    if (ngx_http_icetap_wal_reserve(r, reserve) != NGX_OK) {
        p = ngx_snprintf(msg, sizeof(msg) - 1,
                         "icetap cannot record mutations right now (%s); "
                         "the request was not forwarded, retry later",
                         ngx_http_icetap_wal_failure());
        *p = '\0';

        rc = ngx_http_icetap_s3_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                      "ServiceUnavailable", (char *) msg);
        ngx_http_finalize_request(r, rc);
        return NGX_DONE;
    }

    ctx->reserved = reserve;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        ngx_http_icetap_wal_release(reserve);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_icetap_cleanup;
    cln->data = ctx;

    ngx_http_set_ctx(r, ctx, ngx_http_icetap_module);

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "icetap: %s bucket:\"%V\" key:\"%V\" reserved:%uz",
                   icetap_wal_op_name(op), &ctx->bucket, &ctx->key, reserve);

    if (op != ICETAP_WAL_OP_PUT_TAGGING && op != ICETAP_WAL_OP_DELETE_MULTI
        && op != ICETAP_WAL_OP_POST)
    {
        return NGX_DECLINED;
    }

    ctx->status = NGX_DONE;

    rc = ngx_http_read_client_request_body(r, ngx_http_icetap_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    ngx_http_finalize_request(r, NGX_DONE);

    return NGX_DONE;
}


static void
ngx_http_icetap_body_handler(ngx_http_request_t *r)
{
    ngx_http_icetap_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_icetap_module);

    if (ctx->op == ICETAP_WAL_OP_POST) {
        /*
         * The upload itself is in the body (spooled to a temporary file
         * when large): only the fields before the file and the closing
         * delimiter are read.  A form we cannot read is still forwarded;
         * the store judges it, and the record asks for enrichment.
         */
        ngx_http_icetap_read_form(r, ctx);

    } else if (ngx_http_icetap_copy_request_body(r, ctx) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ctx->status = NGX_DECLINED;
    ctx->body_read = 1;

    r->preserve_body = 1;

    r->write_event_handler = ngx_http_core_run_phases;
    ngx_http_core_run_phases(r);
}


static ngx_int_t
ngx_http_icetap_copy_request_body(ngx_http_request_t *r,
    ngx_http_icetap_ctx_t *ctx)
{
    off_t         len;
    u_char       *p;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        ngx_str_set(&ctx->request_body, "");
        return NGX_OK;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        len += ngx_buf_size(cl->buf);
    }

    if (len > (off_t) (16 * 1024 * 1024)) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "icetap: request body of %O bytes is too large to "
                      "parse", len);
        return NGX_ERROR;
    }

    p = ngx_pnalloc(r->pool, len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ctx->request_body.data = p;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (ngx_buf_in_memory(b)) {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
            continue;
        }

        if (b->in_file) {
            /* a small body spilled to its temporary file: read it back */
            n = ngx_read_file(b->file, p, b->file_last - b->file_pos,
                              b->file_pos);
            if (n != b->file_last - b->file_pos) {
                return NGX_ERROR;
            }

            p += n;
        }
    }

    ctx->request_body.len = p - ctx->request_body.data;

    return NGX_OK;
}


static void
ngx_http_icetap_read_form(ngx_http_request_t *r, ngx_http_icetap_ctx_t *ctx)
{
    off_t               total, tail_off;
    size_t              head_len, tail_len, end;
    u_char             *head, *tail, *p, *q;
    ngx_str_t          *ct;
    ngx_buf_t          *b;
    ngx_chain_t        *cl;
    icetap_error_t      err;
    icetap_form_file_t  file;
    char                boundary[80];

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return;
    }

    total = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;
        total += b->in_file ? b->file_last - b->file_pos : b->last - b->pos;
    }

    ct = &r->headers_in.content_type->value;

    if (icetap_form_boundary((char *) ct->data, ct->len, boundary,
                             sizeof(boundary), &err)
        != ICETAP_OK)
    {
        goto unreadable;
    }

    ctx->form_meta = ngx_array_create(r->pool, 4, sizeof(icetap_kv_t));
    if (ctx->form_meta == NULL) {
        return;
    }

    head_len = (size_t) ngx_min(total, NGX_HTTP_ICETAP_FORM_WINDOW);

    head = ngx_pnalloc(r->pool, head_len);
    if (head == NULL) {
        return;
    }

    if (ngx_http_icetap_body_range(r, 0, head_len, head) != NGX_OK) {
        return;
    }

    if (icetap_form_parse((char *) head, head_len, boundary,
                          ngx_http_icetap_form_field, ctx, &file, &err)
        != ICETAP_OK)
    {
        goto unreadable;
    }

    tail_len = (size_t) ngx_min(total, NGX_HTTP_ICETAP_FORM_WINDOW);
    tail_off = total - tail_len;

    tail = ngx_pnalloc(r->pool, tail_len);
    if (tail == NULL) {
        return;
    }

    if (ngx_http_icetap_body_range(r, tail_off, tail_len, tail) != NGX_OK) {
        return;
    }

    if (icetap_form_file_end((char *) tail, tail_len, total,
                             file.file_offset, boundary, &end, &err)
        != ICETAP_OK)
    {
        goto unreadable;
    }

    if (ctx->form_key.len == 0) {
        return;
    }

    ctx->form_size = end - file.file_offset;

    /* S3 replaces ${filename} in the key with the uploaded file's name */

    p = ngx_strlcasestrn(ctx->form_key.data,
                         ctx->form_key.data + ctx->form_key.len,
                         (u_char *) "${filename}", 11 - 1);

    if (p) {
        q = ngx_pnalloc(r->pool, ctx->form_key.len - 11
                                 + ngx_strlen(file.filename));
        if (q == NULL) {
            return;
        }

        end = p - ctx->form_key.data;
        p = ngx_cpymem(q, ctx->form_key.data, end);
        p = ngx_cpymem(p, file.filename, ngx_strlen(file.filename));
        p = ngx_cpymem(p, ctx->form_key.data + end + 11,
                       ctx->form_key.len - end - 11);

        ctx->form_key.data = q;
        ctx->form_key.len = p - q;
    }

    ctx->form_ok = 1;

    return;

unreadable:

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "icetap: POST upload form to bucket \"%V\" not read: %s",
                  &ctx->bucket, err.msg);
}


static int
ngx_http_icetap_form_field(void *data, const char *name, const char *value,
    size_t len)
{
    ngx_http_icetap_ctx_t  *ctx = data;

    size_t        n;
    u_char       *p, *q;
    ngx_str_t    *dst;
    icetap_kv_t  *kv;

    n = ngx_strlen(name);
    dst = NULL;

    if (n > 11 && ngx_strncasecmp((u_char *) name, (u_char *) "x-amz-meta-",
                                  11) == 0)
    {
        kv = ngx_array_push(ctx->form_meta);
        if (kv == NULL) {
            return 1;
        }

        p = ngx_pnalloc(ctx->form_meta->pool, n - 11 + len);
        if (p == NULL) {
            return 1;
        }

        ngx_strlow(p, (u_char *) name + 11, n - 11);
        ngx_memcpy(p + n - 11, value, len);

        kv->key.data = (char *) p;
        kv->key.len = n - 11;
        kv->value.data = (char *) p + n - 11;
        kv->value.len = len;

        return 0;
    }

    if (ngx_strcasecmp((u_char *) name, (u_char *) "key") == 0) {
        dst = &ctx->form_key;

    } else if (ngx_strcasecmp((u_char *) name,
                              (u_char *) "x-amz-storage-class") == 0)
    {
        dst = &ctx->form_storage_class;

    } else if (ngx_strcasecmp((u_char *) name, (u_char *) "tagging") == 0) {
        dst = &ctx->form_tagging;

    } else if (ngx_strcasecmp((u_char *) name,
                              (u_char *) "x-amz-credential") == 0)
    {
        q = ngx_strlchr((u_char *) value, (u_char *) value + len, '/');
        if (q) {
            len = q - (u_char *) value;
        }

        dst = &ctx->form_requester;

    } else if (ngx_strcasecmp((u_char *) name,
                              (u_char *) "AWSAccessKeyId") == 0)
    {
        dst = &ctx->form_requester;
    }

    if (dst == NULL) {
        return 0;
    }

    dst->data = ngx_pnalloc(ctx->form_meta->pool, len);
    if (dst->data == NULL) {
        return 1;
    }

    ngx_memcpy(dst->data, value, len);
    dst->len = len;

    return 0;
}


/* copies [offset, offset + len) of the read request body into dst */

static ngx_int_t
ngx_http_icetap_body_range(ngx_http_request_t *r, off_t offset, size_t len,
    u_char *dst)
{
    off_t         pos, size, from, n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    pos = 0;

    for (cl = r->request_body->bufs; cl && len; cl = cl->next) {
        b = cl->buf;
        size = b->in_file ? b->file_last - b->file_pos : b->last - b->pos;

        if (offset >= pos + size) {
            pos += size;
            continue;
        }

        from = offset - pos;
        n = ngx_min((off_t) len, size - from);

        if (b->in_file) {
            if (ngx_read_file(b->file, dst, n, b->file_pos + from) != n) {
                return NGX_ERROR;
            }

        } else {
            ngx_memcpy(dst, b->pos + from, n);
        }

        dst += n;
        len -= n;
        offset += n;
        pos += size;
    }

    return len ? NGX_ERROR : NGX_OK;
}


static void
ngx_http_icetap_cleanup(void *data)
{
    ngx_http_icetap_ctx_t  *ctx = data;

    if (ctx->reserved) {
        ngx_http_icetap_wal_release(ctx->reserved);
        ctx->reserved = 0;
    }
}


/*
 * Decides whether a request is a tapped mutation and finds its bucket and
 * key.  The key comes from the raw request URI (r->uri is normalised: it
 * merges slashes and resolves "..", which S3 keys may contain).
 */

static ngx_uint_t
ngx_http_icetap_classify(ngx_http_request_t *r, ngx_http_icetap_ctx_t *ctx,
    ngx_http_icetap_loc_conf_t *ilcf)
{
    u_char      *p, *end, *q, *slash;
    ngx_str_t    path, host, *sfx, arg, args, value;
    ngx_uint_t   i, only_object_args;

    if (r->method != NGX_HTTP_PUT && r->method != NGX_HTTP_POST
        && r->method != NGX_HTTP_DELETE)
    {
        return ICETAP_WAL_OP_NONE;
    }

    p = r->unparsed_uri.data;
    end = p + r->unparsed_uri.len;

    q = ngx_strlchr(p, end, '?');
    if (q) {
        end = q;
    }

    if (ngx_http_icetap_unescape(r->pool, p, end - p, &path, 0) != NGX_OK
        || path.len == 0 || path.data[0] != '/')
    {
        return ICETAP_WAL_OP_NONE;
    }

    path.data++;
    path.len--;

    /* virtual-hosted: <bucket>.<suffix> */

    host = r->headers_in.server;

    if (ilcf->vhost_suffixes && host.len) {
        sfx = ilcf->vhost_suffixes->elts;

        for (i = 0; i < ilcf->vhost_suffixes->nelts; i++) {
            if (host.len > sfx[i].len + 1
                && host.data[host.len - sfx[i].len - 1] == '.'
                && ngx_strncasecmp(host.data + host.len - sfx[i].len,
                                   sfx[i].data, sfx[i].len) == 0)
            {
                ctx->bucket.data = host.data;
                ctx->bucket.len = host.len - sfx[i].len - 1;
                ctx->key = path;
                ctx->vhost = 1;
                break;
            }
        }
    }

    if (!ctx->vhost) {
        slash = ngx_strlchr(path.data, path.data + path.len, '/');

        if (slash == NULL) {
            ctx->bucket = path;
            ngx_str_null(&ctx->key);

        } else {
            ctx->bucket.data = path.data;
            ctx->bucket.len = slash - path.data;
            ctx->key.data = slash + 1;
            ctx->key.len = path.data + path.len - slash - 1;
        }
    }

    if (ctx->bucket.len == 0) {
        return ICETAP_WAL_OP_NONE;
    }

    /*
     * Object writes carry no subresource: only versionId, x-id and the
     * X-Amz-* parameters of presigned URLs may appear.  Any other
     * parameter names an operation we do not record (acl, retention, ...).
     */

    args = r->args;
    only_object_args = 1;

    p = args.data;
    end = p + args.len;

    while (p < end) {
        q = ngx_strlchr(p, end, '&');
        if (q == NULL) {
            q = end;
        }

        arg.data = p;
        arg.len = q - p;

        p = ngx_strlchr(arg.data, arg.data + arg.len, '=');
        if (p) {
            arg.len = p - arg.data;
        }

        if (arg.len == 0
            || (arg.len == 9 && ngx_strncmp(arg.data, "versionId", 9) == 0)
            || (arg.len == 4 && ngx_strncmp(arg.data, "x-id", 4) == 0)
            || (arg.len > 6 && ngx_strncasecmp(arg.data, (u_char *) "x-amz-",
                                               6) == 0)
            || (arg.len == 14
                && ngx_strncmp(arg.data, "AWSAccessKeyId", 14) == 0)
            || (arg.len == 9 && ngx_strncmp(arg.data, "Signature", 9) == 0)
            || (arg.len == 7 && ngx_strncmp(arg.data, "Expires", 7) == 0))
        {
            p = q + 1;
            continue;
        }

        only_object_args = 0;
        p = q + 1;
    }

    if (ngx_http_icetap_arg(&args, "versionId", &value) == NGX_OK) {
        if (ngx_http_icetap_unescape(r->pool, value.data, value.len,
                                     &ctx->version_id, 0)
            != NGX_OK)
        {
            return ICETAP_WAL_OP_NONE;
        }
    }

    if (ngx_http_icetap_arg(&args, "uploadId", &value) == NGX_OK) {
        if (ngx_http_icetap_unescape(r->pool, value.data, value.len,
                                     &ctx->upload_id, 0)
            != NGX_OK)
        {
            return ICETAP_WAL_OP_NONE;
        }
    }

    switch (r->method) {

    case NGX_HTTP_PUT:
        if (ctx->key.len == 0) {
            return ICETAP_WAL_OP_NONE;
        }

        if (only_object_args) {
            return ngx_http_icetap_has_header(r, "x-amz-copy-source")
                   ? ICETAP_WAL_OP_COPY : ICETAP_WAL_OP_PUT;
        }

        if (ngx_http_icetap_arg(&args, "tagging", &value) == NGX_OK
            && ngx_http_icetap_arg(&args, "uploadId", &value) != NGX_OK)
        {
            return ICETAP_WAL_OP_PUT_TAGGING;
        }

        return ICETAP_WAL_OP_NONE;

    case NGX_HTTP_POST:
        if (ctx->key.len && ctx->upload_id.len
            && ngx_http_icetap_arg(&args, "partNumber", &value) != NGX_OK)
        {
            return ICETAP_WAL_OP_COMPLETE_MPU;
        }

        if (ctx->key.len == 0
            && ngx_http_icetap_arg(&args, "delete", &value) == NGX_OK)
        {
            return ICETAP_WAL_OP_DELETE_MULTI;
        }

        if (ctx->key.len && ctx->upload_id.len == 0
            && ngx_http_icetap_arg(&args, "uploads", &value) == NGX_OK)
        {
            ctx->mpu_create = 1;
            return ICETAP_WAL_OP_NONE;
        }

        if (ctx->key.len == 0 && only_object_args
            && r->headers_in.content_type
            && r->headers_in.content_type->value.len >= 19
            && ngx_strncasecmp(r->headers_in.content_type->value.data,
                               (u_char *) "multipart/form-data", 19) == 0)
        {
            return ICETAP_WAL_OP_POST;
        }

        return ICETAP_WAL_OP_NONE;

    default: /* NGX_HTTP_DELETE */
        if (ctx->key.len == 0) {
            return ICETAP_WAL_OP_NONE;
        }

        if (only_object_args) {
            return ICETAP_WAL_OP_DELETE;
        }

        if (ngx_http_icetap_arg(&args, "tagging", &value) == NGX_OK
            && ngx_http_icetap_arg(&args, "uploadId", &value) != NGX_OK)
        {
            return ICETAP_WAL_OP_DELETE_TAGGING;
        }

        if (ctx->upload_id.len) {
            ctx->mpu_abort = 1;
        }

        return ICETAP_WAL_OP_NONE;
    }
}


/* finds a query parameter by exact name; value is raw (escaped) */

static ngx_int_t
ngx_http_icetap_arg(ngx_str_t *args, const char *name, ngx_str_t *value)
{
    size_t   len;
    u_char  *p, *end, *q, *eq;

    if (args->len == 0) {
        return NGX_DECLINED;
    }

    len = ngx_strlen(name);
    p = args->data;
    end = p + args->len;

    while (p < end) {
        q = ngx_strlchr(p, end, '&');
        if (q == NULL) {
            q = end;
        }

        eq = ngx_strlchr(p, q, '=');

        if ((size_t) ((eq ? eq : q) - p) == len
            && ngx_strncmp(p, name, len) == 0)
        {
            if (eq) {
                value->data = eq + 1;
                value->len = q - eq - 1;

            } else {
                ngx_str_set(value, "");
            }

            return NGX_OK;
        }

        p = q + 1;
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_icetap_header_filter(ngx_http_request_t *r)
{
    ngx_uint_t              status;
    ngx_http_icetap_ctx_t  *ctx;

    if (r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_icetap_module);

    if (ctx && (ctx->mpu_create || ctx->mpu_abort) && !ctx->done) {
        status = r->headers_out.status;
        ctx->done = 1;

        if (ctx->mpu_abort) {
            if (status >= 200 && status < 300) {
                ngx_http_icetap_upload_forget(r, &ctx->upload_id);
            }

            return ngx_http_next_header_filter(r);
        }

        if (status != NGX_HTTP_OK || r->header_only) {
            return ngx_http_next_header_filter(r);
        }

        /* the upload id is in the body: hold it (it is small) */

        ctx->done = 0;
        ctx->hold = 1;
        r->main_filter_need_in_memory = 1;
        r->allow_ranges = 0;
        return NGX_OK;
    }

    if (ctx == NULL || ctx->op == ICETAP_WAL_OP_NONE || ctx->done
        || ctx->reserved == 0)
    {
        return ngx_http_next_header_filter(r);
    }

    status = r->headers_out.status;

    /* a copy of a copy-in-place with a redirect is still a POST upload */

    if ((status < 200 || status >= 300)
        && !(ctx->op == ICETAP_WAL_OP_POST && status == NGX_HTTP_SEE_OTHER))
    {
        /* the store rejected the mutation: nothing to record */
        ctx->done = 1;
        return ngx_http_next_header_filter(r);
    }

    switch (ctx->op) {

    case ICETAP_WAL_OP_COPY:
    case ICETAP_WAL_OP_COMPLETE_MPU:
    case ICETAP_WAL_OP_DELETE_MULTI:
        ctx->hold = 1;
        break;

    case ICETAP_WAL_OP_POST:
        ctx->hold = (status == NGX_HTTP_CREATED);
        break;

    default:
        ctx->hold = 0;
    }

    if (ctx->hold && !r->header_only) {
        r->main_filter_need_in_memory = 1;
        r->allow_ranges = 0;
        return NGX_OK;
    }

    ctx->hold = 0;
    ctx->done = 1;

    if (ngx_http_icetap_record(r, ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
ngx_http_icetap_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_int_t               rc;
    ngx_uint_t              last;
    ngx_buf_t              *b;
    ngx_chain_t            *cl, out;
    ngx_http_icetap_ctx_t  *ctx;

    if (r != r->main) {
        return ngx_http_next_body_filter(r, in);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_icetap_module);

    if (ctx == NULL || !ctx->hold) {
        return ngx_http_next_body_filter(r, in);
    }

    last = 0;

    for (cl = in; cl; cl = cl->next) {
        if (ngx_http_icetap_hold(r, ctx, cl->buf) != NGX_OK) {
            ctx->hold = 0;
            ctx->done = 1;

            /* nothing was sent yet: the client gets a retryable 502 */
            return ngx_http_filter_finalize_request(r,
                                                    &ngx_http_icetap_module,
                                                    NGX_HTTP_BAD_GATEWAY);
        }

        if (cl->buf->last_buf || cl->buf->last_in_chain) {
            last = 1;
        }
    }

    if (!last) {
        return NGX_OK;
    }

    ctx->hold = 0;
    ctx->done = 1;

    if (ctx->body == NULL) {
        ctx->body = ngx_calloc_buf(r->pool);
        if (ctx->body == NULL) {
            return NGX_ERROR;
        }
    }

    if (ctx->mpu_create) {
        ngx_http_icetap_upload_created(r, ctx);

    } else if (ngx_http_icetap_record(r, ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    rc = ngx_http_next_header_filter(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ctx->body;
    b->memory = (b->pos != b->last);
    b->last_buf = 1;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_next_body_filter(r, &out);
}


/* copies a buffer of the held response body, bounded by the body limit */

static ngx_int_t
ngx_http_icetap_hold(ngx_http_request_t *r, ngx_http_icetap_ctx_t *ctx,
    ngx_buf_t *b)
{
    off_t                        size;
    size_t                       have, cap;
    ssize_t                      n;
    ngx_buf_t                   *nb;
    ngx_http_icetap_loc_conf_t  *ilcf;

    size = ngx_buf_size(b);

    if (size == 0) {
        return NGX_OK;
    }

    ilcf = ngx_http_get_module_loc_conf(r, ngx_http_icetap_module);

    have = ctx->body ? (size_t) (ctx->body->last - ctx->body->pos) : 0;

    if (have + size > ilcf->body_limit) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "icetap: %s response body from the store exceeds "
                      "icetap_tap_body_limit %uz; answering 502",
                      icetap_wal_op_name(ctx->op), ilcf->body_limit);
        return NGX_ERROR;
    }

    if (ctx->body == NULL || (size_t) (ctx->body->end - ctx->body->last)
                             < (size_t) size)
    {
        cap = ngx_max(2 * (have + size), 4096);
        cap = ngx_min(cap, ilcf->body_limit);

        nb = ngx_create_temp_buf(r->pool, cap);
        if (nb == NULL) {
            return NGX_ERROR;
        }

        if (have) {
            nb->last = ngx_cpymem(nb->pos, ctx->body->pos, have);
        }

        ctx->body = nb;
    }

    if (ngx_buf_in_memory(b)) {
        ctx->body->last = ngx_cpymem(ctx->body->last, b->pos, size);
        b->pos = b->last;

    } else {
        n = ngx_read_file(b->file, ctx->body->last, size, b->file_pos);
        if (n != size) {
            return NGX_ERROR;
        }

        ctx->body->last += n;
    }

    if (b->in_file) {
        b->file_pos = b->file_last;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_icetap_record(ngx_http_request_t *r, ngx_http_icetap_ctx_t *ctx)
{
    ngx_int_t                     rc;
    ngx_str_t                     s, v;
    ngx_uint_t                    i;
    ngx_time_t                   *tp;
    ngx_array_t                   recs, tags;
    icetap_wal_rec_t             *rec, proto;
    ngx_http_icetap_req_hdrs_t    rq;
    ngx_http_icetap_resp_hdrs_t   rs;

    ngx_memzero(&rq, sizeof(rq));
    ngx_memzero(&rs, sizeof(rs));

    if (ngx_array_init(&rq.meta, r->pool, 4, sizeof(icetap_kv_t)) != NGX_OK
        || ngx_array_init(&recs, r->pool, 1, sizeof(icetap_wal_rec_t))
           != NGX_OK
        || ngx_array_init(&tags, r->pool, 4, sizeof(icetap_kv_t)) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_icetap_scan_headers(&r->headers_in.headers,
                                 ngx_http_icetap_req_map, &rq, &rq.meta,
                                 &rq.checksum_header);
    ngx_http_icetap_scan_headers(&r->headers_out.headers,
                                 ngx_http_icetap_resp_map, &rs, NULL,
                                 &rs.checksum_algorithm);

    /* the record every operation starts from */

    ngx_memzero(&proto, sizeof(icetap_wal_rec_t));

    tp = ngx_timeofday();

    proto.op = (uint8_t) ctx->op;
    proto.time_us = (int64_t) tp->sec * 1000000 + (int64_t) tp->msec * 1000;
    proto.status = (int) r->headers_out.status;
    proto.bucket.data = (char *) ctx->bucket.data;
    proto.bucket.len = ctx->bucket.len;
    proto.key.data = (char *) ctx->key.data;
    proto.key.len = ctx->key.len;
    proto.source_ip.data = (char *) r->connection->addr_text.data;
    proto.source_ip.len = r->connection->addr_text.len;

    if (ctx->vhost) {
        proto.flags |= ICETAP_WAL_F_VHOST;
    }

    if (rs.request_id.len) {
        proto.request_id.data = (char *) rs.request_id.data;
        proto.request_id.len = rs.request_id.len;
    }

    ngx_http_icetap_requester(r, &rq, &s);

    if (s.len) {
        proto.requester.data = (char *) s.data;
        proto.requester.len = s.len;
    }

    if (rs.sse_customer.len) {
        proto.encryption.data = "SSE-C";

    } else if (rs.sse.len == 6
               && ngx_strncasecmp(rs.sse.data, (u_char *) "AES256", 6) == 0)
    {
        proto.encryption.data = "SSE-S3";

    } else if (rs.sse.len == 12
               && ngx_strncasecmp(rs.sse.data, (u_char *) "aws:kms:dsse", 12)
                  == 0)
    {
        proto.encryption.data = "DSSE-KMS";

    } else if (rs.sse.len == 7
               && ngx_strncasecmp(rs.sse.data, (u_char *) "aws:kms", 7) == 0)
    {
        proto.encryption.data = "SSE-KMS";
    }

    if (proto.encryption.data) {
        proto.encryption.len = ngx_strlen(proto.encryption.data);
    }

    if (rs.kms_key_id.len) {
        proto.kms_key_arn.data = (char *) rs.kms_key_id.data;
        proto.kms_key_arn.len = rs.kms_key_id.len;
    }

    if (rs.bucket_key.len == 4
        && ngx_strncasecmp(rs.bucket_key.data, (u_char *) "true", 4) == 0)
    {
        proto.flags |= ICETAP_WAL_F_BUCKET_KEY;
    }

    if (rq.checksum_algorithm.len) {
        v = rq.checksum_algorithm;

    } else if (rq.checksum_header.len) {
        v = rq.checksum_header;

    } else {
        v = rs.checksum_algorithm;
    }

    if (v.len && icetap_wal_record_type(ctx->op)[0] == 'C') {
        /* an object's checksum: deletes and tag requests only sum bodies */
        s.data = ngx_pnalloc(r->pool, v.len);
        if (s.data == NULL) {
            return NGX_ERROR;
        }

        for (i = 0; i < v.len; i++) {
            s.data[i] = ngx_toupper(v.data[i]);
        }
        proto.checksum_algorithm.data = (char *) s.data;
        proto.checksum_algorithm.len = v.len;
    }

    if (rs.version_id.len) {
        proto.version_id.data = (char *) rs.version_id.data;
        proto.version_id.len = rs.version_id.len;
    }

    if (rs.etag.len) {
        proto.etag.data = (char *) rs.etag.data;
        proto.etag.len = rs.etag.len;
    }

    switch (ctx->op) {

    case ICETAP_WAL_OP_PUT:
        proto.flags |= ICETAP_WAL_F_SIZE | ICETAP_WAL_F_TAGS
                       | ICETAP_WAL_F_META | ICETAP_WAL_F_DM_KNOWN
                       | ICETAP_WAL_F_STORAGE_CLASS
                       | ICETAP_WAL_F_LAST_MODIFIED;

        if (rq.decoded_length.len) {
            proto.size = ngx_atoof(rq.decoded_length.data,
                                   rq.decoded_length.len);

        } else if ((rq.content_encoding.len >= 11
                    && ngx_strlcasestrn(rq.content_encoding.data,
                                    rq.content_encoding.data
                                    + rq.content_encoding.len,
                                        (u_char *) "aws-chunked", 11 - 1))
                   || (rq.content_sha256.len > 10
                       && ngx_strncmp(rq.content_sha256.data, "STREAMING-",
                                      10) == 0))
        {
            /* the body carries chunk framing, the object does not */
            proto.size = -1;

        } else {
            proto.size = r->headers_in.content_length_n;
        }

        if (proto.size < 0) {
            /* no declared length of the object's bytes */
            proto.flags &= ~ICETAP_WAL_F_SIZE;
            proto.flags |= ICETAP_WAL_F_ENRICH;
            proto.size = 0;
        }

        if (rq.tagging.len
            && ngx_http_icetap_parse_tagging(r->pool, &rq.tagging, &tags)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        proto.last_modified_us = proto.time_us;
        break;

    case ICETAP_WAL_OP_COPY:
        proto.flags |= ICETAP_WAL_F_DM_KNOWN | ICETAP_WAL_F_STORAGE_CLASS
                       | ICETAP_WAL_F_ENRICH;

        if (rq.metadata_directive.len == 7
            && ngx_strncasecmp(rq.metadata_directive.data,
                               (u_char *) "REPLACE", 7) == 0)
        {
            proto.flags |= ICETAP_WAL_F_META;

        } else {
            rq.meta.nelts = 0;
        }

        if (rq.tagging_directive.len == 7
            && ngx_strncasecmp(rq.tagging_directive.data,
                               (u_char *) "REPLACE", 7) == 0)
        {
            proto.flags |= ICETAP_WAL_F_TAGS;

            if (rq.tagging.len
                && ngx_http_icetap_parse_tagging(r->pool, &rq.tagging, &tags)
                   != NGX_OK)
            {
                return NGX_ERROR;
            }
        }

        if (rq.copy_source.len) {
            s = rq.copy_source;

            if (s.len && s.data[0] == '/') {
                s.data++;
                s.len--;
            }

            v.data = ngx_strlchr(s.data, s.data + s.len, '?');

            if (v.data) {
                v.len = s.data + s.len - v.data - 1;
                v.data++;
                s.len = v.data - 1 - s.data;

                if (v.len > 10 && ngx_strncmp(v.data, "versionId=", 10) == 0) {
                    if (ngx_http_icetap_unescape(r->pool, v.data + 10,
                                                 v.len - 10, &v, 0)
                        != NGX_OK)
                    {
                        return NGX_ERROR;
                    }

                    proto.src_version_id.data = (char *) v.data;
                    proto.src_version_id.len = v.len;
                }
            }

            if (ngx_http_icetap_unescape(r->pool, s.data, s.len, &s, 0)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            v.data = ngx_strlchr(s.data, s.data + s.len, '/');

            if (v.data) {
                proto.src_bucket.data = (char *) s.data;
                proto.src_bucket.len = v.data - s.data;
                proto.src_key.data = (char *) v.data + 1;
                proto.src_key.len = s.data + s.len - v.data - 1;
            }
        }

        if (rs.copy_source_version_id.len) {
            proto.src_version_id.data = (char *) rs.copy_source_version_id.data;
            proto.src_version_id.len = rs.copy_source_version_id.len;
        }

        break;

    case ICETAP_WAL_OP_COMPLETE_MPU:
        proto.flags |= ICETAP_WAL_F_DM_KNOWN | ICETAP_WAL_F_MULTIPART
                       | ICETAP_WAL_F_ENRICH;
        proto.upload_id.data = (char *) ctx->upload_id.data;
        proto.upload_id.len = ctx->upload_id.len;
        rq.meta.nelts = 0;

        /* the tags and storage class its creation gave, when known */

        if (ngx_http_icetap_upload_take(r, &ctx->bucket, &ctx->key,
                                        &ctx->upload_id, &s, &v)
            == NGX_OK)
        {
            if (ngx_http_icetap_parse_tagging(r->pool, &s, &tags) != NGX_OK)
            {
                return NGX_ERROR;
            }

            rq.storage_class = v;
            proto.flags |= ICETAP_WAL_F_TAGS | ICETAP_WAL_F_STORAGE_CLASS;
        }

        break;

    case ICETAP_WAL_OP_POST:
        proto.flags |= ICETAP_WAL_F_DM_KNOWN;
        rq.meta.nelts = 0;

        if (ctx->form_ok) {
            proto.flags |= ICETAP_WAL_F_SIZE | ICETAP_WAL_F_META
                           | ICETAP_WAL_F_TAGS | ICETAP_WAL_F_STORAGE_CLASS
                           | ICETAP_WAL_F_LAST_MODIFIED;
            proto.key.data = (char *) ctx->form_key.data;
            proto.key.len = ctx->form_key.len;
            proto.size = ctx->form_size;
            proto.last_modified_us = proto.time_us;
            rq.storage_class = ctx->form_storage_class;
            rq.meta = *ctx->form_meta;

            if (ctx->form_requester.len) {
                proto.requester.data = (char *) ctx->form_requester.data;
                proto.requester.len = ctx->form_requester.len;
            }

            if (ctx->form_tagging.len
                && ngx_http_icetap_form_tags(r, ctx, &tags) != NGX_OK)
            {
                proto.flags &= ~ICETAP_WAL_F_TAGS;
                proto.flags |= ICETAP_WAL_F_ENRICH;
            }

            break;
        }

        proto.flags |= ICETAP_WAL_F_ENRICH;

        if (ngx_http_icetap_post_key(r, ctx, &rs.location, &s) != NGX_OK) {
            return NGX_ERROR;
        }

        proto.key.data = (char *) s.data;
        proto.key.len = s.len;
        break;

    case ICETAP_WAL_OP_DELETE:
        rq.meta.nelts = 0;
        proto.etag.data = NULL;
        proto.etag.len = 0;

        if (ctx->version_id.len) {
            /* a version removed for good, maybe a delete marker */
            proto.version_id.data = (char *) ctx->version_id.data;
            proto.version_id.len = ctx->version_id.len;

        } else if (rs.delete_marker.len == 4
                   && ngx_strncasecmp(rs.delete_marker.data,
                                      (u_char *) "true", 4) == 0)
        {
            proto.flags |= ICETAP_WAL_F_DM_KNOWN | ICETAP_WAL_F_DELETE_MARKER
                           | ICETAP_WAL_F_SIZE;
            proto.size = 0;

        } else {
            proto.version_id.data = NULL;
            proto.version_id.len = 0;
        }

        break;

    case ICETAP_WAL_OP_PUT_TAGGING:
    case ICETAP_WAL_OP_DELETE_TAGGING:
        rq.meta.nelts = 0;
        proto.etag.data = NULL;
        proto.etag.len = 0;
        proto.flags |= ICETAP_WAL_F_TAGS | ICETAP_WAL_F_DM_KNOWN;

        if (proto.version_id.data == NULL && ctx->version_id.len) {
            proto.version_id.data = (char *) ctx->version_id.data;
            proto.version_id.len = ctx->version_id.len;
        }

        break;

    default: /* ICETAP_WAL_OP_DELETE_MULTI */
        rq.meta.nelts = 0;
        proto.etag.data = NULL;
        proto.etag.len = 0;
        proto.version_id.data = NULL;
        proto.version_id.len = 0;
        break;
    }

    if (proto.flags & ICETAP_WAL_F_STORAGE_CLASS) {
        if (rq.storage_class.len) {
            proto.storage_class.data = (char *) rq.storage_class.data;
            proto.storage_class.len = rq.storage_class.len;

        } else {
            proto.storage_class.data = "STANDARD";
            proto.storage_class.len = 8;
        }
    }

    proto.meta = rq.meta.elts;
    proto.nmeta = rq.meta.nelts;
    proto.tags = tags.elts;
    proto.ntags = tags.nelts;

    if (ctx->op == ICETAP_WAL_OP_PUT_TAGGING
        || ctx->op == ICETAP_WAL_OP_DELETE_MULTI
        || ctx->body != NULL)
    {
        rc = ngx_http_icetap_record_body(r, ctx, &proto, &recs);
        if (rc == NGX_DECLINED) {
            /* an error inside a 200: the store did not do it */
            return NGX_OK;
        }

        if (rc != NGX_OK) {
            return NGX_ERROR;
        }

    } else {
        rec = ngx_array_push(&recs);
        if (rec == NULL) {
            return NGX_ERROR;
        }

        *rec = proto;
    }

    if (recs.nelts == 0) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "icetap: %s on bucket \"%V\" was accepted but its "
                      "response names no object; nothing recorded",
                      icetap_wal_op_name(ctx->op), &ctx->bucket);
        ngx_http_icetap_wal_release(ctx->reserved);
        ctx->reserved = 0;
        return NGX_OK;
    }

    rc = ngx_http_icetap_wal_append(r, recs.elts, recs.nelts, ctx->reserved);
    ctx->reserved = 0;

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "icetap: recorded %ui %s record(s) for \"%V\"",
                   recs.nelts, icetap_wal_op_name(ctx->op), &ctx->bucket);

    return NGX_OK;
}


/*
 * Records whose facts are in a body: the held response (CopyObject,
 * CompleteMultipartUpload, DeleteObjects, POST with status 201) or the
 * request (PutObjectTagging; DeleteObjects in quiet mode).  Returns
 * NGX_DECLINED for an error document inside a 200.
 */

static ngx_int_t
ngx_http_icetap_record_body(ngx_http_request_t *r, ngx_http_icetap_ctx_t *ctx,
    icetap_wal_rec_t *proto, ngx_array_t *recs)
{
    ngx_str_t                   *e, doc;
    ngx_uint_t                   i, j, n, failed;
    icetap_rc                    rc;
    ngx_array_t                 *requested;
    icetap_error_t               err;
    icetap_wal_rec_t            *rec, *d;
    ngx_http_icetap_xml_ctx_t    x;

    ngx_memzero(&x, sizeof(x));

    requested = NULL;

    x.r = r;
    x.recs = recs;
    x.proto = proto;

    x.errors = ngx_array_create(r->pool, 4, sizeof(ngx_str_t));
    x.kvs = ngx_array_create(r->pool, 4, sizeof(icetap_kv_t));

    if (x.errors == NULL || x.kvs == NULL) {
        return NGX_ERROR;
    }

    if (ctx->op == ICETAP_WAL_OP_PUT_TAGGING) {
        doc = ctx->request_body;

    } else {
        doc.data = ctx->body ? ctx->body->pos : NULL;
        doc.len = ctx->body ? (size_t) (ctx->body->last - ctx->body->pos) : 0;
    }

    if (ctx->op == ICETAP_WAL_OP_DELETE_MULTI) {

        /* the request says whether the answer is quiet and what was asked */

        requested = ngx_array_create(r->pool, 8, sizeof(icetap_wal_rec_t));
        if (requested == NULL) {
            return NGX_ERROR;
        }

        x.recs = requested;

        rc = icetap_xml_walk((char *) ctx->request_body.data,
                             ctx->request_body.len,
                             ngx_http_icetap_xml_handler, &x, &err);

        if (rc != ICETAP_OK || x.failed) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "icetap: cannot read the DeleteObjects request "
                          "of bucket \"%V\": %s", &ctx->bucket,
                          rc != ICETAP_OK ? err.msg : "out of memory");
            return NGX_ERROR;
        }

        x.recs = recs;
        x.in_item = 0;
    }

    if (doc.len == 0 && ctx->op != ICETAP_WAL_OP_DELETE_MULTI) {
        /* an accepted mutation with no document to refine it */
        rec = ngx_array_push(recs);
        if (rec == NULL) {
            return NGX_ERROR;
        }

        *rec = *proto;
        return NGX_OK;
    }

    if (doc.len) {
        rc = icetap_xml_walk((char *) doc.data, doc.len,
                             ngx_http_icetap_xml_handler, &x, &err);

        if (rc != ICETAP_OK || x.failed) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "icetap: cannot read the %s %s of bucket \"%V\": "
                          "%s", icetap_wal_op_name(ctx->op),
                          ctx->op == ICETAP_WAL_OP_PUT_TAGGING
                          ? "request" : "response",
                          &ctx->bucket, rc != ICETAP_OK ? err.msg
                                                        : "out of memory");

            if (ctx->op == ICETAP_WAL_OP_DELETE_MULTI) {
                /* which keys went is unknown: the client must not
                 * believe the deletes happened unrecorded */
                return NGX_ERROR;
            }

            /*
             * The status said success: record what the headers tell and
             * leave the rest to the helper's lookup.
             */

            rec = ngx_array_push(recs);
            if (rec == NULL) {
                return NGX_ERROR;
            }

            *rec = *proto;
            rec->flags &= ~ICETAP_WAL_F_TAGS;
            rec->flags |= ICETAP_WAL_F_ENRICH;
            return NGX_OK;
        }
    }

    if (x.error) {
        return NGX_DECLINED;
    }

    switch (ctx->op) {

    case ICETAP_WAL_OP_DELETE_MULTI:
        if (!x.quiet || requested == NULL) {
            break;
        }

        /*
         * Quiet mode lists only failures: the request body names what
         * was deleted.  Whether a delete marker was made is not said.
         */

        e = x.errors->elts;
        rec = requested->elts;
        n = recs->nelts;

        for (i = 0; i < requested->nelts; i++) {

            /* some stores list what they deleted even when asked not to */

            failed = 0;

            for (j = 0; j < n; j++) {
                d = (icetap_wal_rec_t *) recs->elts + j;

                if (d->key.len == rec[i].key.len
                    && ngx_memcmp(d->key.data, rec[i].key.data, d->key.len)
                       == 0)
                {
                    failed = 1;
                    break;
                }
            }

            for (j = 0; j < x.errors->nelts; j++) {
                if (e[j].len == rec[i].key.len
                    && ngx_memcmp(e[j].data, rec[i].key.data, e[j].len) == 0)
                {
                    failed = 1;
                    break;
                }
            }

            if (!failed) {
                d = ngx_array_push(recs);
                if (d == NULL) {
                    return NGX_ERROR;
                }

                *d = rec[i];

                if (d->version_id.data == NULL) {
                    d->flags |= ICETAP_WAL_F_ENRICH;
                }
            }
        }

        break;

    case ICETAP_WAL_OP_PUT_TAGGING:
        rec = ngx_array_push(recs);
        if (rec == NULL) {
            return NGX_ERROR;
        }

        *rec = *proto;
        rec->tags = x.kvs->elts;
        rec->ntags = x.kvs->nelts;
        break;

    default: /* COPY, COMPLETE_MPU, POST */
        rec = ngx_array_push(recs);
        if (rec == NULL) {
            return NGX_ERROR;
        }

        *rec = *proto;

        if (x.etag.len) {
            rec->etag.data = (char *) x.etag.data;
            rec->etag.len = x.etag.len;
        }

        if (ctx->op == ICETAP_WAL_OP_POST && x.key.len && !ctx->form_ok) {
            rec->key.data = (char *) x.key.data;
            rec->key.len = x.key.len;
        }

        if (x.checksum.len && rec->checksum_algorithm.data == NULL) {
            rec->checksum_algorithm.data = (char *) x.checksum.data;
            rec->checksum_algorithm.len = x.checksum.len;
        }

        break;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_icetap_xml_str(ngx_http_icetap_xml_ctx_t *x, const char *text,
    size_t len, ngx_str_t *out)
{
    out->data = ngx_pnalloc(x->r->pool, len);
    if (out->data == NULL && len) {
        x->failed = 1;
        return NGX_ERROR;
    }

    ngx_memcpy(out->data, text, len);
    out->len = len;

    return NGX_OK;
}


#define ngx_http_icetap_is(s, lit)                                           \
    (ngx_strcmp((u_char *) (s), (u_char *) lit) == 0)


static int
ngx_http_icetap_xml_handler(void *data, icetap_xml_event_e ev,
    const char **path, int depth, const char *text, size_t len)
{
    ngx_http_icetap_xml_ctx_t  *x = data;

    ngx_str_t          s, *e;
    icetap_kv_t       *kv;
    const char        *name;
    icetap_wal_rec_t  *rec;

    name = path[depth - 1];

    if (depth == 1) {
        if (ev == ICETAP_XML_START && ngx_http_icetap_is(name, "Error")) {
            x->error = 1;
        }

        return 0;
    }

    /* DeleteResult/Deleted, DeleteResult/Error, Delete/Object, Tag */

    if (depth == 2) {
        if (ev == ICETAP_XML_START) {
            if (ngx_http_icetap_is(name, "Deleted")
                || ngx_http_icetap_is(name, "Object"))
            {
                x->in_item = 1;
                x->cur = *x->proto;
                x->cur.key.data = NULL;
                x->cur.key.len = 0;

            } else if (ngx_http_icetap_is(path[0], "DeleteResult")
                       && ngx_http_icetap_is(name, "Error"))
            {
                x->in_item = 2;
                ngx_str_null(&x->key);
            }

            return 0;
        }

        if (x->in_item == 1 && x->cur.key.data) {
            rec = ngx_array_push(x->recs);
            if (rec == NULL) {
                x->failed = 1;
                return 1;
            }

            *rec = x->cur;

        } else if (x->in_item == 2 && x->key.data) {
            e = ngx_array_push(x->errors);
            if (e == NULL) {
                x->failed = 1;
                return 1;
            }

            *e = x->key;
        }

        if (ev == ICETAP_XML_END) {
            if (ngx_http_icetap_is(name, "Quiet")
                && len == 4 && ngx_strncasecmp((u_char *) text,
                                               (u_char *) "true", 4) == 0)
            {
                x->quiet = 1;
            }

            if (ngx_http_icetap_is(name, "ETag")) {
                (void) ngx_http_icetap_xml_str(x, text, len, &x->etag);

            } else if (ngx_http_icetap_is(name, "Key")) {
                (void) ngx_http_icetap_xml_str(x, text, len, &x->key);

            } else if (len && ngx_strncmp(name, "Checksum", 8) == 0
                       && !ngx_http_icetap_is(name, "ChecksumType"))
            {
                s.data = (u_char *) name + 8;
                s.len = ngx_strlen(name + 8);
                (void) ngx_http_icetap_xml_str(x, (char *) s.data, s.len,
                                               &x->checksum);
            }
        }

        x->in_item = 0;
        return x->failed;
    }

    if (ev != ICETAP_XML_END) {
        return 0;
    }

    /* Tagging/TagSet/Tag/{Key,Value} */

    if (depth == 4 && ngx_http_icetap_is(path[2], "Tag")) {
        if (ngx_http_icetap_is(name, "Key")) {
            kv = ngx_array_push(x->kvs);
            if (kv == NULL) {
                x->failed = 1;
                return 1;
            }

            ngx_memzero(kv, sizeof(icetap_kv_t));

            if (ngx_http_icetap_xml_str(x, text, len, &s) != NGX_OK) {
                return 1;
            }

            kv->key.data = (char *) s.data;
            kv->key.len = s.len;
            kv->value.data = "";

        } else if (ngx_http_icetap_is(name, "Value") && x->kvs->nelts) {
            kv = (icetap_kv_t *) x->kvs->elts + x->kvs->nelts - 1;

            if (ngx_http_icetap_xml_str(x, text, len, &s) != NGX_OK) {
                return 1;
            }

            kv->value.data = (char *) s.data;
            kv->value.len = s.len;
        }

        return 0;
    }

    if (depth != 3) {
        return 0;
    }

    if (x->in_item == 2) {
        if (ngx_http_icetap_is(name, "Key")) {
            (void) ngx_http_icetap_xml_str(x, text, len, &x->key);
        }

        return x->failed;
    }

    if (x->in_item != 1) {
        return 0;
    }

    if (ngx_http_icetap_xml_str(x, text, len, &s) != NGX_OK) {
        return 1;
    }

    if (ngx_http_icetap_is(name, "Key")) {
        x->cur.key.data = (char *) s.data;
        x->cur.key.len = s.len;

    } else if (ngx_http_icetap_is(name, "VersionId")) {
        /* a named version was removed for good */
        x->cur.version_id.data = (char *) s.data;
        x->cur.version_id.len = s.len;

    } else if (ngx_http_icetap_is(name, "DeleteMarker")) {
        if (s.len == 4 && ngx_strncasecmp(s.data, (u_char *) "true", 4) == 0
            && x->cur.version_id.data == NULL)
        {
            x->cur.flags |= ICETAP_WAL_F_DM_KNOWN
                            | ICETAP_WAL_F_DELETE_MARKER | ICETAP_WAL_F_SIZE;
            x->cur.size = 0;
        }

    } else if (ngx_http_icetap_is(name, "DeleteMarkerVersionId")) {
        if (x->cur.version_id.data == NULL) {
            x->cur.version_id.data = (char *) s.data;
            x->cur.version_id.len = s.len;
            x->cur.flags |= ICETAP_WAL_F_DM_KNOWN
                            | ICETAP_WAL_F_DELETE_MARKER | ICETAP_WAL_F_SIZE;
            x->cur.size = 0;
        }
    }

    return 0;
}


static void
ngx_http_icetap_scan_headers(ngx_list_t *headers,
    ngx_http_icetap_hdr_map_t *map, void *out, ngx_array_t *meta,
    ngx_str_t *checksum)
{
    ngx_str_t         *dst, v;
    ngx_uint_t         i, j;
    icetap_kv_t       *kv;
    ngx_list_part_t   *part;
    ngx_table_elt_t   *h;

    part = &headers->part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].hash == 0 || h[i].key.len < 4) {
            continue;
        }

        /* every name we look for starts with a, c, e, l or x */

        switch (h[i].key.data[0] | 0x20) {
        case 'a':
        case 'c':
        case 'e':
        case 'l':
        case 'x':
            break;
        default:
            continue;
        }

        if (meta && h[i].key.len > 11
            && ngx_strncasecmp(h[i].key.data, (u_char *) "x-amz-meta-", 11)
               == 0)
        {
            kv = ngx_array_push(meta);
            if (kv == NULL) {
                continue;
            }

            /* S3 stores metadata names in lower case */
            if (h[i].lowcase_key) {
                kv->key.data = (char *) h[i].lowcase_key + 11;

            } else {
                kv->key.data = (char *) h[i].key.data + 11;
            }

            kv->key.len = h[i].key.len - 11;
            kv->value.data = (char *) h[i].value.data;
            kv->value.len = h[i].value.len;
            continue;
        }

        /* x-amz-checksum-crc32: ..., or x-amz-trailer: x-amz-checksum-... */

        if (h[i].key.len > 15
            && ngx_strncasecmp(h[i].key.data, (u_char *) "x-amz-checksum-",
                               15) == 0)
        {
            v.data = h[i].key.data + 15;
            v.len = h[i].key.len - 15;

            if (!(v.len == 4
                  && ngx_strncasecmp(v.data, (u_char *) "type", 4) == 0)
                && !(v.len == 4
                     && ngx_strncasecmp(v.data, (u_char *) "mode", 4) == 0)
                && !(v.len == 9
                     && ngx_strncasecmp(v.data, (u_char *) "algorithm", 9)
                        == 0))
            {
                *checksum = v;
                continue;
            }
        }

        if (h[i].key.len == 13
            && ngx_strncasecmp(h[i].key.data, (u_char *) "x-amz-trailer", 13)
               == 0
            && h[i].value.len > 15
            && ngx_strncasecmp(h[i].value.data, (u_char *) "x-amz-checksum-",
                               15) == 0)
        {
            checksum->data = h[i].value.data + 15;
            checksum->len = h[i].value.len - 15;
            continue;
        }

        for (j = 0; map[j].name.len; j++) {
            if (map[j].name.len == h[i].key.len
                && ngx_strncasecmp(map[j].name.data, h[i].key.data,
                                   h[i].key.len) == 0)
            {
                dst = (ngx_str_t *) ((u_char *) out + map[j].offset);

                if (dst->len == 0) {
                    *dst = h[i].value;
                }

                break;
            }
        }
    }
}


/* the <Tagging> document of a POST form's "tagging" field */

static ngx_int_t
ngx_http_icetap_form_tags(ngx_http_request_t *r, ngx_http_icetap_ctx_t *ctx,
    ngx_array_t *tags)
{
    icetap_rc                   rc;
    icetap_error_t              err;
    icetap_wal_rec_t            proto;
    ngx_http_icetap_xml_ctx_t   x;

    ngx_memzero(&x, sizeof(x));
    ngx_memzero(&proto, sizeof(proto));

    x.r = r;
    x.proto = &proto;
    x.kvs = tags;

    x.recs = ngx_array_create(r->pool, 1, sizeof(icetap_wal_rec_t));
    x.errors = ngx_array_create(r->pool, 1, sizeof(ngx_str_t));

    if (x.recs == NULL || x.errors == NULL) {
        return NGX_ERROR;
    }

    rc = icetap_xml_walk((char *) ctx->form_tagging.data,
                         ctx->form_tagging.len, ngx_http_icetap_xml_handler,
                         &x, &err);

    if (rc != ICETAP_OK || x.failed) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "icetap: POST upload \"tagging\" field not read: %s",
                      rc != ICETAP_OK ? err.msg : "out of memory");
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* an accepted CreateMultipartUpload: remember its tags by upload id */

static void
ngx_http_icetap_upload_created(ngx_http_request_t *r,
    ngx_http_icetap_ctx_t *ctx)
{
    ngx_str_t                   id;
    icetap_error_t              err;
    ngx_http_icetap_req_hdrs_t  rq;

    ngx_memzero(&rq, sizeof(rq));

    if (ctx->body == NULL || ctx->body->last == ctx->body->pos) {
        return;
    }

    /* the walk stops at the id, which the handler copies to the pool */

    id.data = (u_char *) r->pool;
    id.len = 0;

    (void) icetap_xml_walk((char *) ctx->body->pos,
                           ctx->body->last - ctx->body->pos,
                           ngx_http_icetap_upload_id, &id, &err);

    if (id.len == 0) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "icetap: CreateMultipartUpload without an upload id");
        return;
    }

    ngx_http_icetap_scan_headers(&r->headers_in.headers,
                                 ngx_http_icetap_req_map, &rq, NULL,
                                 &rq.checksum_header);

    ngx_http_icetap_upload_remember(r, &ctx->bucket, &ctx->key, &id,
                                    &rq.tagging, &rq.storage_class);
}


/* id->data holds the pool until the upload id is found */

static int
ngx_http_icetap_upload_id(void *data, icetap_xml_event_e ev,
    const char **path, int depth, const char *text, size_t len)
{
    ngx_str_t  *id = data;

    u_char      *p;
    ngx_pool_t  *pool;

    if (ev != ICETAP_XML_END || depth != 2 || len == 0
        || ngx_strcmp(path[0], "InitiateMultipartUploadResult") != 0
        || ngx_strcmp(path[1], "UploadId") != 0)
    {
        return 0;
    }

    pool = (ngx_pool_t *) id->data;

    p = ngx_pnalloc(pool, len);
    if (p == NULL) {
        return 1;
    }

    ngx_memcpy(p, text, len);
    id->data = p;
    id->len = len;

    return 1;                           /* found: stop the walk */
}


/* "k1=v1&k2=v2", form-encoded, as x-amz-tagging carries a tag set */

static ngx_int_t
ngx_http_icetap_parse_tagging(ngx_pool_t *pool, ngx_str_t *s,
    ngx_array_t *tags)
{
    u_char       *p, *end, *q, *eq;
    ngx_str_t     k, v;
    icetap_kv_t  *kv;

    p = s->data;
    end = p + s->len;

    while (p < end) {
        q = ngx_strlchr(p, end, '&');
        if (q == NULL) {
            q = end;
        }

        if (q > p) {
            eq = ngx_strlchr(p, q, '=');

            if (ngx_http_icetap_unescape(pool, p, (eq ? eq : q) - p, &k, 1)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            if (eq) {
                if (ngx_http_icetap_unescape(pool, eq + 1, q - eq - 1, &v, 1)
                    != NGX_OK)
                {
                    return NGX_ERROR;
                }

            } else {
                ngx_str_set(&v, "");
            }

            kv = ngx_array_push(tags);
            if (kv == NULL) {
                return NGX_ERROR;
            }

            kv->key.data = (char *) k.data;
            kv->key.len = k.len;
            kv->value.data = (char *) v.data;
            kv->value.len = v.len;
        }

        p = q + 1;
    }

    return NGX_OK;
}


/* the access key id of a SigV4 or SigV2 request, header or query form */

static void
ngx_http_icetap_requester(ngx_http_request_t *r,
    ngx_http_icetap_req_hdrs_t *rq, ngx_str_t *akid)
{
    u_char     *p, *end, *q;
    ngx_str_t   v;

    ngx_str_null(akid);

    if (rq->authorization.len) {
        p = rq->authorization.data;
        end = p + rq->authorization.len;

        /* "AWS4-HMAC-SHA256 Credential=AKID/...": the usual place first */

        if (end - p > 28
            && ngx_strncmp(p, "AWS4-HMAC-SHA256 Credential=", 28) == 0)
        {
            q = p + 17;

        } else {
            q = ngx_strlcasestrn(p, end, (u_char *) "Credential=", 11 - 1);
        }

        if (q) {
            p = q + 11;
            q = ngx_strlchr(p, end, '/');

            if (q) {
                akid->data = p;
                akid->len = q - p;
            }

            return;
        }

        if (end - p > 4 && ngx_strncmp(p, "AWS ", 4) == 0) {
            p += 4;
            q = ngx_strlchr(p, end, ':');

            if (q) {
                akid->data = p;
                akid->len = q - p;
            }
        }

        return;
    }

    if (ngx_http_icetap_arg(&r->args, "X-Amz-Credential", &v) == NGX_OK) {
        if (ngx_http_icetap_unescape(r->pool, v.data, v.len, &v, 0)
            != NGX_OK)
        {
            return;
        }

        q = ngx_strlchr(v.data, v.data + v.len, '/');

        if (q) {
            akid->data = v.data;
            akid->len = q - v.data;
        }

        return;
    }

    if (ngx_http_icetap_arg(&r->args, "AWSAccessKeyId", &v) == NGX_OK) {
        (void) ngx_http_icetap_unescape(r->pool, v.data, v.len, akid, 0);
    }
}


static ngx_uint_t
ngx_http_icetap_has_header(ngx_http_request_t *r, const char *name)
{
    size_t            len;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    len = ngx_strlen(name);
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return 0;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            return 1;
        }
    }
}


/*
 * The key of a POST upload answered with 204 or 303: from the Location
 * header, which is the object's URL (204) or the redirect target with
 * bucket, key and etag in its query (303).
 */

static ngx_int_t
ngx_http_icetap_post_key(ngx_http_request_t *r, ngx_http_icetap_ctx_t *ctx,
    ngx_str_t *location, ngx_str_t *key)
{
    u_char     *p, *end, *q;
    ngx_str_t   query, v;

    ngx_str_null(key);

    p = location->data;
    end = p + location->len;

    if (p == end) {
        return NGX_OK;
    }

    q = ngx_strlchr(p, end, '?');

    if (r->headers_out.status == NGX_HTTP_SEE_OTHER) {
        if (q == NULL) {
            return NGX_OK;
        }

        query.data = q + 1;
        query.len = end - q - 1;

        if (ngx_http_icetap_arg(&query, "key", &v) == NGX_OK) {
            return ngx_http_icetap_unescape(r->pool, v.data, v.len, key, 1);
        }

        return NGX_OK;
    }

    if (q) {
        end = q;
    }

    /* skip "scheme://host" */

    q = ngx_strlcasestrn(p, end, (u_char *) "://", 3 - 1);

    if (q) {
        p = ngx_strlchr(q + 3, end, '/');
        if (p == NULL) {
            return NGX_OK;
        }
    }

    if (p < end && *p == '/') {
        p++;
    }

    if (!ctx->vhost) {
        p = ngx_strlchr(p, end, '/');
        if (p == NULL) {
            return NGX_OK;
        }

        p++;
    }

    return ngx_http_icetap_unescape(r->pool, p, end - p, key, 0);
}


/* percent-decoding into pool memory; plus != 0 also maps '+' to ' ' */

static ngx_int_t
ngx_http_icetap_unescape(ngx_pool_t *pool, u_char *src, size_t len,
    ngx_str_t *dst, ngx_uint_t plus)
{
    u_char  *p, c, h, l;
    size_t   i;

    if (ngx_strlchr(src, src + len, '%') == NULL
        && (!plus || ngx_strlchr(src, src + len, '+') == NULL))
    {
        /* nothing to decode: the common case costs no copy */
        dst->data = src;
        dst->len = len;
        return NGX_OK;
    }

    p = ngx_pnalloc(pool, len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    dst->data = p;

    for (i = 0; i < len; i++) {
        c = src[i];

        if (c == '+' && plus) {
            *p++ = ' ';
            continue;
        }

        if (c == '%' && i + 2 < len) {
            h = src[i + 1] | 0x20;
            l = src[i + 2] | 0x20;

            if (((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f'))
                && ((l >= '0' && l <= '9') || (l >= 'a' && l <= 'f')))
            {
                h = (h <= '9') ? h - '0' : h - 'a' + 10;
                l = (l <= '9') ? l - '0' : l - 'a' + 10;
                *p++ = (u_char) (h << 4 | l);
                i += 2;
                continue;
            }
        }

        *p++ = c;
    }

    *p = '\0';
    dst->len = p - dst->data;

    return NGX_OK;
}
