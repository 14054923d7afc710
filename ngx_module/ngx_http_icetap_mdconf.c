/*
 * Copyright (C) icetap authors
 *
 * The S3 Metadata configuration API on the data plane: requests of a
 * location with "icetap_tap on" to the bucket subresources
 * ?metadataConfiguration, ?metadataJournalTable, ?metadataInventoryTable
 * and ?metadataTable are answered here and never forwarded, so they are
 * never recorded either.
 *
 * The request body is read, the SigV4 signature, the body's checksums and
 * the body are checked on the event loop; the store work (the bucket's
 * existence, the conditional read-modify-write of the configuration
 * document, see include/icetap/mdconf.h) runs as a thread pool task, and
 * the request is resumed when it completes.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <icetap/hash.h>
#include <icetap/mdconf.h>

#include "ngx_http_icetap_module.h"


#define NGX_HTTP_ICETAP_MDCONF_BODY_MAX  (64 * 1024)


typedef struct {
    ngx_http_request_t            *request;
    ngx_http_icetap_store_conf_t  *store;
    icetap_mdconf_req_t            req;
    icetap_buf_t                   out;         /* malloc'ed, a Get's XML */
    icetap_error_t                 err;
    icetap_rc                      rc;
} ngx_http_icetap_mdconf_task_t;


typedef struct {
    ngx_str_t                      name;
    ngx_uint_t                     method;
    icetap_mdconf_op_e             op;
} ngx_http_icetap_mdconf_route_t;


static ngx_int_t ngx_http_icetap_mdconf_route(ngx_http_request_t *r,
    ngx_str_t *bucket, icetap_mdconf_op_e *op);
static void ngx_http_icetap_mdconf_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_icetap_mdconf_read_body(ngx_http_request_t *r,
    ngx_str_t *body);
static ngx_int_t ngx_http_icetap_mdconf_checksums(ngx_http_request_t *r,
    ngx_str_t *body, icetap_error_t *err);
static ngx_int_t ngx_http_icetap_mdconf_post(ngx_http_request_t *r,
    ngx_http_icetap_main_conf_t *imcf, icetap_mdconf_op_e op,
    ngx_str_t *bucket, icetap_mdconf_input_t *in);
#if (NGX_THREADS)
static void ngx_http_icetap_mdconf_thread(void *data, ngx_log_t *log);
static void ngx_http_icetap_mdconf_done(ngx_event_t *ev);
#endif
static ngx_int_t ngx_http_icetap_mdconf_respond(ngx_http_request_t *r,
    ngx_http_icetap_mdconf_task_t *t);
static ngx_int_t ngx_http_icetap_mdconf_error(ngx_http_request_t *r,
    icetap_error_t *err);
static ngx_table_elt_t *ngx_http_icetap_mdconf_header(ngx_http_request_t *r,
    const char *name);


static ngx_http_icetap_mdconf_route_t  ngx_http_icetap_mdconf_routes[] = {
    { ngx_string("metadataConfiguration"), NGX_HTTP_POST,
      ICETAP_MDCONF_CREATE },
    { ngx_string("metadataConfiguration"), NGX_HTTP_GET,
      ICETAP_MDCONF_GET },
    { ngx_string("metadataConfiguration"), NGX_HTTP_DELETE,
      ICETAP_MDCONF_DELETE },
    { ngx_string("metadataJournalTable"), NGX_HTTP_PUT,
      ICETAP_MDCONF_UPDATE_JOURNAL },
    { ngx_string("metadataInventoryTable"), NGX_HTTP_PUT,
      ICETAP_MDCONF_UPDATE_INVENTORY },
    { ngx_string("metadataTable"), NGX_HTTP_POST,
      ICETAP_MDCONF_V1_CREATE },
    { ngx_string("metadataTable"), NGX_HTTP_GET,
      ICETAP_MDCONF_V1_GET },
    { ngx_string("metadataTable"), NGX_HTTP_DELETE,
      ICETAP_MDCONF_V1_DELETE },
    { ngx_null_string, 0, 0 }
};


/*
 * Called by the tap's preaccess handler for every request with a query
 * string: NGX_DECLINED for the requests that are not ours.
 */

ngx_int_t
ngx_http_icetap_mdconf_handler(ngx_http_request_t *r)
{
    ngx_int_t                    rc;
    ngx_http_icetap_loc_conf_t  *ilcf;

    if (r != r->main
        || ngx_strlcasestrn(r->args.data, r->args.data + r->args.len,
                            (u_char *) "metadata", 8 - 1)
           == NULL)
    {
        return NGX_DECLINED;
    }

    ilcf = ngx_http_get_module_loc_conf(r, ngx_http_icetap_module);

    if (!ilcf->tap) {
        return NGX_DECLINED;
    }

    rc = ngx_http_icetap_mdconf_route(r, NULL, NULL);

    if (rc == NGX_DECLINED) {
        return NGX_DECLINED;
    }

    /* ours: read the (small) body, then everything else */

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_icetap_mdconf_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    ngx_http_finalize_request(r, NGX_DONE);

    return NGX_DONE;
}


/*
 * NGX_DECLINED: not a configuration request.  NGX_OK: one, with bucket
 * and op set when asked; NGX_ERROR: one that cannot be served (a method
 * the subresource lacks, a bad bucket), with op set to -1.
 */

static ngx_int_t
ngx_http_icetap_mdconf_route(ngx_http_request_t *r, ngx_str_t *bucket,
    icetap_mdconf_op_e *op)
{
    u_char                          *p, *end, *q, *eq, *slash;
    ngx_str_t                        path, host, name, b, *sfx;
    ngx_uint_t                       i, found, vhost;
    ngx_http_icetap_loc_conf_t      *ilcf;
    ngx_http_icetap_mdconf_route_t  *rt;

    /* exactly one configuration subresource among the parameters */

    found = 0;
    rt = NULL;
    ngx_str_null(&name);

    p = r->args.data;
    end = p + r->args.len;

    while (p < end) {
        q = ngx_strlchr(p, end, '&');
        if (q == NULL) {
            q = end;
        }

        eq = ngx_strlchr(p, q, '=');

        name.data = p;
        name.len = (eq ? eq : q) - p;

        for (i = 0; ngx_http_icetap_mdconf_routes[i].name.len; i++) {
            if (name.len == ngx_http_icetap_mdconf_routes[i].name.len
                && ngx_strncmp(name.data,
                               ngx_http_icetap_mdconf_routes[i].name.data,
                               name.len) == 0)
            {
                if (rt == NULL
                    || rt->name.len != name.len
                    || ngx_strncmp(rt->name.data, name.data, name.len) != 0)
                {
                    found++;
                }

                rt = &ngx_http_icetap_mdconf_routes[i];
                break;
            }
        }

        p = q + 1;
    }

    if (found != 1) {
        return NGX_DECLINED;
    }

    /* the bucket: virtual-hosted, else the first path segment */

    p = r->unparsed_uri.data;
    end = p + r->unparsed_uri.len;

    q = ngx_strlchr(p, end, '?');
    if (q) {
        end = q;
    }

    if (p == end || *p != '/') {
        return NGX_DECLINED;
    }

    path.data = p + 1;
    path.len = end - p - 1;

    ilcf = ngx_http_get_module_loc_conf(r, ngx_http_icetap_module);
    host = r->headers_in.server;
    vhost = 0;
    ngx_str_null(&b);

    if (ilcf->vhost_suffixes && host.len) {
        sfx = ilcf->vhost_suffixes->elts;

        for (i = 0; i < ilcf->vhost_suffixes->nelts; i++) {
            if (host.len > sfx[i].len + 1
                && host.data[host.len - sfx[i].len - 1] == '.'
                && ngx_strncasecmp(host.data + host.len - sfx[i].len,
                                   sfx[i].data, sfx[i].len) == 0)
            {
                b.data = host.data;
                b.len = host.len - sfx[i].len - 1;
                vhost = 1;
                break;
            }
        }
    }

    if (vhost) {
        if (path.len != 0) {
            /* an object's subresource: not a configuration request */
            return NGX_DECLINED;
        }

    } else {
        slash = ngx_strlchr(path.data, path.data + path.len, '/');

        if (slash && slash != path.data + path.len - 1) {
            return NGX_DECLINED;
        }

        b.data = path.data;
        b.len = slash ? (size_t) (slash - path.data) : path.len;

        if (b.len == 0) {
            return NGX_DECLINED;
        }
    }

    if (bucket == NULL) {
        return NGX_OK;
    }

    *bucket = b;
    *op = (icetap_mdconf_op_e) -1;

    /* the operation: the subresource with this method */

    for (i = 0; ngx_http_icetap_mdconf_routes[i].name.len; i++) {
        if (ngx_http_icetap_mdconf_routes[i].name.data == rt->name.data
            && ngx_http_icetap_mdconf_routes[i].method == r->method)
        {
            *op = ngx_http_icetap_mdconf_routes[i].op;
            break;
        }
    }

    if (ngx_http_icetap_mdconf_routes[i].name.len == 0) {
        return NGX_ERROR;
    }

    /* general purpose bucket names */

    if (b.len < 3 || b.len > 63) {
        return NGX_ERROR;
    }

    for (i = 0; i < b.len; i++) {
        if (!((b.data[i] >= 'a' && b.data[i] <= 'z')
              || (b.data[i] >= '0' && b.data[i] <= '9')
              || b.data[i] == '.' || b.data[i] == '-'))
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static void
ngx_http_icetap_mdconf_body(ngx_http_request_t *r)
{
    ngx_int_t                     rc;
    ngx_str_t                     body, bucket;
    icetap_error_t                err;
    ngx_table_elt_t              *h;
    icetap_mdconf_op_e            op;
    icetap_sigv4_result_t         res;
    icetap_mdconf_input_t         in;
    ngx_http_icetap_main_conf_t  *imcf;

    /* nothing may run the phases again for this request */

    r->write_event_handler = ngx_http_request_empty_handler;

    imcf = ngx_http_get_module_main_conf(r, ngx_http_icetap_module);

    rc = ngx_http_icetap_mdconf_read_body(r, &body);

    if (rc == NGX_ERROR) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (rc == NGX_DECLINED) {
        rc = ngx_http_icetap_s3_error(r, NGX_HTTP_BAD_REQUEST,
                                      "MaxMessageLengthExceeded",
                                      "Your request was too big.");
        ngx_http_finalize_request(r, rc);
        return;
    }

    /* who is asking comes first, as on S3 */

    rc = ngx_http_icetap_auth_verify(r, "s3", &body, &res, &err);

    if (rc == NGX_ERROR) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (rc == NGX_DECLINED) {
        ngx_http_finalize_request(r, ngx_http_icetap_mdconf_error(r, &err));
        return;
    }

    if (ngx_http_icetap_mdconf_route(r, &bucket, &op) != NGX_OK) {

        if ((int) op == -1 && bucket.len) {
            rc = ngx_http_icetap_s3_error(r, NGX_HTTP_NOT_ALLOWED,
                                          "MethodNotAllowed",
                                          "The specified method is not "
                                          "allowed against this resource.");
        } else {
            rc = ngx_http_icetap_s3_error(r, NGX_HTTP_BAD_REQUEST,
                                          "InvalidBucketName",
                                          "The specified bucket is not "
                                          "valid.");
        }

        ngx_http_finalize_request(r, rc);
        return;
    }

    h = ngx_http_icetap_mdconf_header(r, "x-amz-expected-bucket-owner");

    if (h && (h->value.len != imcf->account_id.len
              || ngx_strncmp(h->value.data, imcf->account_id.data,
                             h->value.len) != 0))
    {
        rc = ngx_http_icetap_s3_error(r, NGX_HTTP_FORBIDDEN, "AccessDenied",
                                      "Access Denied");
        ngx_http_finalize_request(r, rc);
        return;
    }

    rc = ngx_http_icetap_mdconf_checksums(r, &body, &err);

    if (rc == NGX_ERROR) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (rc == NGX_DECLINED) {
        ngx_http_finalize_request(r, ngx_http_icetap_mdconf_error(r, &err));
        return;
    }

    if (icetap_mdconf_parse(op, (char *) body.data, body.len, &in, &err)
        != ICETAP_OK)
    {
        ngx_http_finalize_request(r, ngx_http_icetap_mdconf_error(r, &err));
        return;
    }

    if (imcf->store == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "icetap: the metadata configuration API needs "
                      "\"icetap_store\"");

        rc = ngx_http_icetap_s3_error(r, NGX_HTTP_NOT_IMPLEMENTED,
                                      "NotImplemented", "This gateway has "
                                      "no store for metadata "
                                      "configurations.");
        ngx_http_finalize_request(r, rc);
        return;
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "icetap: metadata configuration op:%d bucket:\"%V\" "
                   "key:\"%s\"", (int) op, &bucket, res.access_key);

    rc = ngx_http_icetap_mdconf_post(r, imcf, op, &bucket, &in);

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }
}


/* NGX_DECLINED: too large or spooled to a file */

static ngx_int_t
ngx_http_icetap_mdconf_read_body(ngx_http_request_t *r, ngx_str_t *body)
{
    u_char       *p;
    size_t        len;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    ngx_str_set(body, "");

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (b->in_file) {
            return NGX_DECLINED;
        }

        len += b->last - b->pos;
    }

    if (len > NGX_HTTP_ICETAP_MDCONF_BODY_MAX) {
        return NGX_DECLINED;
    }

    p = ngx_pnalloc(r->pool, len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    body->data = p;
    body->len = len;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        p = ngx_cpymem(p, cl->buf->pos, cl->buf->last - cl->buf->pos);
    }

    *p = '\0';

    return NGX_OK;
}


/*
 * Content-MD5 and the flexible checksums boto3 sends (x-amz-checksum-*):
 * a body that does not match them is refused with BadDigest.  Algorithms
 * the core lacks are not checked.
 */

static ngx_int_t
ngx_http_icetap_mdconf_checksums(ngx_http_request_t *r, ngx_str_t *body,
    icetap_error_t *err)
{
    char              expect[64];
    size_t            n;
    uint8_t           digest[ICETAP_SHA256_LEN];
    uint32_t          crc;
    ngx_uint_t        i;
    ngx_table_elt_t  *h;

    static const char  *names[] = {
        "content-md5", "x-amz-checksum-crc32", "x-amz-checksum-crc32c",
        "x-amz-checksum-sha256"
    };

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {

        h = ngx_http_icetap_mdconf_header(r, names[i]);
        if (h == NULL) {
            continue;
        }

        switch (i) {

        case 0:
            if (icetap_md5(body->data, body->len, digest) != ICETAP_OK) {
                return NGX_ERROR;
            }

            n = icetap_base64_encode(digest, ICETAP_MD5_LEN, expect);
            break;

        case 1:
        case 2:
            crc = (i == 1) ? icetap_crc32(0, body->data, body->len)
                           : icetap_crc32c(0, body->data, body->len);

            digest[0] = (uint8_t) (crc >> 24);
            digest[1] = (uint8_t) (crc >> 16);
            digest[2] = (uint8_t) (crc >> 8);
            digest[3] = (uint8_t) crc;

            n = icetap_base64_encode(digest, 4, expect);
            break;

        default:
            if (icetap_sha256(body->data, body->len, digest) != ICETAP_OK) {
                return NGX_ERROR;
            }

            n = icetap_base64_encode(digest, ICETAP_SHA256_LEN, expect);
        }

        if (h->value.len != n
            || ngx_strncmp(h->value.data, expect, n) != 0)
        {
            ngx_memzero(err, sizeof(icetap_error_t));

            err->http_status = NGX_HTTP_BAD_REQUEST;
            ngx_cpystrn((u_char *) err->store_code, (u_char *) "BadDigest",
                        sizeof(err->store_code));
            ngx_snprintf((u_char *) err->msg, sizeof(err->msg) - 1,
                         "The %s you specified did not match what we "
                         "received.%Z", i ? "checksum" : "Content-MD5");

            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_icetap_mdconf_post(ngx_http_request_t *r,
    ngx_http_icetap_main_conf_t *imcf, icetap_mdconf_op_e op,
    ngx_str_t *bucket, icetap_mdconf_input_t *in)
{
#if (NGX_THREADS)

    u_char                         *p;
    ngx_time_t                     *tp;
    ngx_thread_task_t              *task;
    ngx_http_icetap_mdconf_task_t  *t;

    task = ngx_thread_task_alloc(r->pool,
                                 sizeof(ngx_http_icetap_mdconf_task_t));
    if (task == NULL) {
        return NGX_ERROR;
    }

    t = task->ctx;

    p = ngx_pnalloc(r->pool, bucket->len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, bucket->data, bucket->len);
    p[bucket->len] = '\0';

    /*
     * The thread reads only what is set here (pool memory that nothing
     * changes or frees while the request is blocked) and writes only t.
     */

    t->request = r;
    t->store = imcf->store;
    t->req.op = op;
    t->req.bucket = (char *) p;
    t->req.region = (char *) imcf->region.data;
    t->req.account_id = (char *) imcf->account_id.data;
    /*
     * Journaling starts now: on the clock the tap stamps WAL records
     * with (nginx's cached time), so that a mutation answered after this
     * one is never older than enabled_at_us.
     */

    tp = ngx_timeofday();
    t->req.now_us = (int64_t) tp->sec * 1000000 + (int64_t) tp->msec * 1000;
    t->req.in = *in;

    task->handler = ngx_http_icetap_mdconf_thread;
    task->event.data = t;
    task->event.handler = ngx_http_icetap_mdconf_done;

    if (ngx_thread_task_post(imcf->store->thread_pool, task) != NGX_OK) {
        return NGX_ERROR;
    }

    r->main->blocked++;
    r->aio = 1;

    return NGX_OK;

#else

    return NGX_ERROR;

#endif
}


#if (NGX_THREADS)

static void
ngx_http_icetap_mdconf_thread(void *data, ngx_log_t *log)
{
    ngx_http_icetap_mdconf_task_t  *t = data;

    icetap_store_t  *catalog, *bucket;

    catalog = ngx_http_icetap_store_get(t->store, &t->err);

    if (catalog == NULL) {
        t->rc = ICETAP_ERROR;
        return;
    }

    bucket = ngx_http_icetap_store_open(t->store, t->req.bucket, &t->err);

    if (bucket == NULL) {
        t->rc = ICETAP_ERROR;
        return;
    }

    t->rc = icetap_mdconf_execute(catalog, bucket, &t->req, &t->out,
                                  &t->err);

    ngx_http_icetap_store_close(bucket);
}


static void
ngx_http_icetap_mdconf_done(ngx_event_t *ev)
{
    ngx_http_icetap_mdconf_task_t  *t = ev->data;

    ngx_int_t            rc;
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    r = t->request;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    r->main->blocked--;
    r->aio = 0;

    if (c->error) {
        /* the client went away (or the request was terminated) meanwhile */
        rc = NGX_HTTP_CLIENT_CLOSED_REQUEST;

    } else {
        rc = ngx_http_icetap_mdconf_respond(r, t);
    }

    icetap_buf_free(&t->out);

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}

#endif


static ngx_int_t
ngx_http_icetap_mdconf_respond(ngx_http_request_t *r,
    ngx_http_icetap_mdconf_task_t *t)
{
    u_char           *p;
    ngx_int_t         rc;
    ngx_buf_t        *b;
    ngx_chain_t       out;
    ngx_table_elt_t  *h;

    if (t->rc != ICETAP_OK) {
        if (t->err.http_status == 0) {
            /* the store could not be reached at all */
            t->err.http_status = NGX_HTTP_SERVICE_UNAVAILABLE;
            ngx_cpystrn((u_char *) t->err.store_code,
                        (u_char *) "ServiceUnavailable",
                        sizeof(t->err.store_code));
        }

        if (t->err.http_status >= NGX_HTTP_INTERNAL_SERVER_ERROR) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "icetap: metadata configuration of bucket "
                          "\"%s\" failed: %s", t->req.bucket, t->err.msg);
        }

        return ngx_http_icetap_mdconf_error(r, &t->err);
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "icetap: metadata configuration of bucket \"%s\": %V done",
                  t->req.bucket, &r->method_name);

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_pnalloc(r->pool, 16);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "x-amz-request-id");
    h->value.data = p;
    h->value.len = ngx_sprintf(p, "%08xD%08xD", (uint32_t) ngx_random(),
                               (uint32_t) r->connection->number) - p;

    if (t->req.op == ICETAP_MDCONF_DELETE
        || t->req.op == ICETAP_MDCONF_V1_DELETE)
    {
        r->headers_out.status = NGX_HTTP_NO_CONTENT;
        r->header_only = 1;
        return ngx_http_send_header(r);
    }

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = t->out.len;

    if (t->out.len == 0) {
        r->header_only = 1;
        return ngx_http_send_header(r);
    }

    ngx_str_set(&r->headers_out.content_type, "application/xml");
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    b = ngx_create_temp_buf(r->pool, t->out.len);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_cpymem(b->pos, t->out.data, t->out.len);
    b->last_buf = 1;
    b->last_in_chain = 1;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static ngx_int_t
ngx_http_icetap_mdconf_error(ngx_http_request_t *r, icetap_error_t *err)
{
    return ngx_http_icetap_s3_error(r, err->http_status ? err->http_status
                                                        : 500,
                                    err->store_code[0] ? err->store_code
                                                       : "InternalError",
                                    err->msg);
}


static ngx_table_elt_t *
ngx_http_icetap_mdconf_header(ngx_http_request_t *r, const char *name)
{
    size_t            len;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    len = ngx_strlen(name);

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        h = part->elts;

        for (i = 0; i < part->nelts; i++) {
            if (h[i].key.len == len
                && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
            {
                return &h[i];
            }
        }
    }

    return NULL;
}
