/*
 * Copyright (C) icetap authors
 *
 * "icetap_tables_api": a location that answers the S3 Tables
 * control-plane API and, under "/iceberg/", the Iceberg REST catalog
 * itself (include/icetap/api.h).
 *
 * The body is read whole and the SigV4 signature checked on the event
 * loop; the handler runs as a thread pool task with the thread's store
 * handle, asks ngx_http_icetap_tables_authorize() before it acts, and the
 * request resumes to send what the handler answered and to log every
 * authorization decision taken on its behalf.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <icetap/api.h>
#include <icetap/policy.h>

#include "ngx_http_icetap_module.h"


#define NGX_HTTP_ICETAP_TABLES_DECISIONS  8


struct ngx_http_icetap_tables_conf_s {
    ngx_flag_t                     enable;
    size_t                         body_limit;
    ngx_str_t                      endpoint;     /* NUL-terminated */
    ngx_array_t                   *rules;        /* icetap_policy_rule_t */
    icetap_policy_t                policy;
};


typedef struct {
    char                           action[64];
    char                           resource[512];
    icetap_policy_decision_t       d;
} ngx_http_icetap_tables_decision_t;


typedef struct {
    ngx_http_request_t            *request;
    ngx_http_icetap_store_conf_t  *store;
    ngx_http_icetap_tables_conf_t *conf;
    ngx_uint_t                     iceberg;      /* unsigned:1 */

    icetap_api_request_t           req;
    icetap_api_response_t          res;
    icetap_rc                      rc;
    icetap_error_t                 err;

    ngx_uint_t                     ndecisions;
    ngx_uint_t                     lost;         /* decisions not kept */
    ngx_http_icetap_tables_decision_t
                                   decisions[NGX_HTTP_ICETAP_TABLES_DECISIONS];
} ngx_http_icetap_tables_task_t;


static ngx_int_t ngx_http_icetap_tables_handler(ngx_http_request_t *r);
static void ngx_http_icetap_tables_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_icetap_tables_read_body(ngx_http_request_t *r,
    ngx_str_t *body);
static const char *ngx_http_icetap_tables_service(ngx_http_request_t *r,
    ngx_uint_t *anonymous);
static ngx_int_t ngx_http_icetap_tables_path(ngx_http_request_t *r,
    ngx_str_t *path, ngx_str_t *query);
static ngx_int_t ngx_http_icetap_tables_endpoint(ngx_http_request_t *r,
    ngx_http_icetap_tables_conf_t *tcf, ngx_str_t *endpoint);
static char *ngx_http_icetap_tables_cstr(ngx_pool_t *pool, u_char *data,
    size_t len);
#if (NGX_THREADS)
static void ngx_http_icetap_tables_thread(void *data, ngx_log_t *log);
static void ngx_http_icetap_tables_done(ngx_event_t *ev);
#endif
static icetap_rc ngx_http_icetap_tables_authorize(void *ctx,
    const char *action, const char *resource_arn, const char *bucket_policy,
    const char *table_policy, icetap_error_t *err);
static void ngx_http_icetap_tables_log(ngx_http_request_t *r,
    ngx_http_icetap_tables_task_t *t);
static ngx_int_t ngx_http_icetap_tables_respond(ngx_http_request_t *r,
    ngx_http_icetap_tables_task_t *t);
static ngx_int_t ngx_http_icetap_tables_error(ngx_http_request_t *r,
    ngx_uint_t iceberg, ngx_uint_t status, const char *type,
    const char *message);
static ngx_int_t ngx_http_icetap_tables_send(ngx_http_request_t *r,
    ngx_uint_t status, const char *content_type, u_char *body, size_t len);
static ngx_http_icetap_tables_conf_t *ngx_http_icetap_tables_conf(
    ngx_conf_t *cf, ngx_http_icetap_loc_conf_t *ilcf);
static u_char *ngx_http_icetap_tables_json_escape(u_char *dst,
    const char *src);


/*
 * icetap_tables_api;
 */

char *
ngx_http_icetap_tables_api(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_icetap_loc_conf_t  *ilcf = conf;

    ngx_http_core_loc_conf_t       *clcf;
    ngx_http_icetap_tables_conf_t  *tcf;

    tcf = ngx_http_icetap_tables_conf(cf, ilcf);
    if (tcf == NULL) {
        return NGX_CONF_ERROR;
    }

    if (tcf->enable != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    tcf->enable = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_icetap_tables_handler;

    return NGX_CONF_OK;
}


/*
 * icetap_tables_api_body_limit SIZE;
 */

char *
ngx_http_icetap_tables_body_limit(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_icetap_loc_conf_t  *ilcf = conf;

    ssize_t                         size;
    ngx_str_t                      *value;
    ngx_http_icetap_tables_conf_t  *tcf;

    tcf = ngx_http_icetap_tables_conf(cf, ilcf);
    if (tcf == NULL) {
        return NGX_CONF_ERROR;
    }

    if (tcf->body_limit != NGX_CONF_UNSET_SIZE) {
        return "is duplicate";
    }

    value = cf->args->elts;

    size = ngx_parse_size(&value[1]);

    if (size == NGX_ERROR || size <= 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid body limit \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    tcf->body_limit = (size_t) size;

    return NGX_CONF_OK;
}


/*
 * icetap_tables_s3_endpoint URL;
 */

char *
ngx_http_icetap_tables_s3_endpoint(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_icetap_loc_conf_t  *ilcf = conf;

    ngx_str_t                      *value;
    ngx_http_icetap_tables_conf_t  *tcf;

    tcf = ngx_http_icetap_tables_conf(cf, ilcf);
    if (tcf == NULL) {
        return NGX_CONF_ERROR;
    }

    if (tcf->endpoint.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if ((ngx_strncmp(value[1].data, "http://", 7) != 0
         || value[1].len == 7)
        && (ngx_strncmp(value[1].data, "https://", 8) != 0
            || value[1].len == 8))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid endpoint \"%V\", expected "
                           "\"http://HOST[:PORT]\" or "
                           "\"https://HOST[:PORT]\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    tcf->endpoint = value[1];

    /* without a trailing slash: clients append "/bucket/key" */

    while (tcf->endpoint.data[tcf->endpoint.len - 1] == '/') {
        tcf->endpoint.len--;
        tcf->endpoint.data[tcf->endpoint.len] = '\0';
    }

    return NGX_CONF_OK;
}


/*
 * icetap_policy allow|deny PRINCIPAL ACTION RESOURCE;
 *
 * PRINCIPAL is "*" (anybody, anonymous included) or an access key id;
 * ACTION a pattern like "s3tables:*" or "s3tables:Get*"; RESOURCE an ARN
 * pattern ("*" for all).
 */

char *
ngx_http_icetap_tables_policy(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_icetap_loc_conf_t  *ilcf = conf;

    ngx_str_t                      *value;
    icetap_policy_rule_t           *rule;
    ngx_http_icetap_tables_conf_t  *tcf;

    tcf = ngx_http_icetap_tables_conf(cf, ilcf);
    if (tcf == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    if (tcf->rules == NULL) {
        tcf->rules = ngx_array_create(cf->pool, 4,
                                      sizeof(icetap_policy_rule_t));
        if (tcf->rules == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    rule = ngx_array_push(tcf->rules);
    if (rule == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_strcmp(value[1].data, "allow") == 0) {
        rule->effect = ICETAP_POLICY_ALLOW;

    } else if (ngx_strcmp(value[1].data, "deny") == 0) {
        rule->effect = ICETAP_POLICY_DENY;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid effect \"%V\", expected \"allow\" or "
                           "\"deny\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (value[2].len == 0 || value[4].len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "empty principal or resource in "
                           "\"icetap_policy\"");
        return NGX_CONF_ERROR;
    }

    if (!icetap_policy_valid_action((char *) value[3].data)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid action \"%V\", expected \"*\" or "
                           "\"service:Action\" like \"s3tables:Get*\"",
                           &value[3]);
        return NGX_CONF_ERROR;
    }

    rule->principal = (char *) value[2].data;
    rule->action = (char *) value[3].data;
    rule->resource = (char *) value[4].data;

    return NGX_CONF_OK;
}


static ngx_http_icetap_tables_conf_t *
ngx_http_icetap_tables_conf(ngx_conf_t *cf, ngx_http_icetap_loc_conf_t *ilcf)
{
    ngx_http_icetap_tables_conf_t  *tcf;

    if (ilcf->tables) {
        return ilcf->tables;
    }

    tcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_icetap_tables_conf_t));
    if (tcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     tcf->endpoint = { 0, NULL };
     *     tcf->rules = NULL;
     */

    tcf->enable = NGX_CONF_UNSET;
    tcf->body_limit = NGX_CONF_UNSET_SIZE;

    ilcf->tables = tcf;

    return tcf;
}


char *
ngx_http_icetap_tables_merge(ngx_conf_t *cf, ngx_http_icetap_loc_conf_t *prev,
    ngx_http_icetap_loc_conf_t *conf)
{
    ngx_http_icetap_tables_conf_t  *p, *c;
    ngx_http_icetap_main_conf_t    *imcf;

    if (conf->tables == NULL && prev->tables == NULL) {
        return NGX_CONF_OK;
    }

    c = ngx_http_icetap_tables_conf(cf, conf);
    if (c == NULL) {
        return NGX_CONF_ERROR;
    }

    p = prev->tables;

    if (p) {
        ngx_conf_merge_size_value(c->body_limit, p->body_limit,
                                  1024 * 1024);
        ngx_conf_merge_str_value(c->endpoint, p->endpoint, "");

        if (c->rules == NULL) {
            c->rules = p->rules;
        }

    } else {
        ngx_conf_init_size_value(c->body_limit, 1024 * 1024);

        if (c->endpoint.data == NULL) {
            ngx_str_set(&c->endpoint, "");
        }
    }

    /* "icetap_tables_api" belongs to its location only */

    if (c->enable == NGX_CONF_UNSET) {
        c->enable = 0;
    }

    imcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_icetap_module);

    c->policy.rules = c->rules ? c->rules->elts : NULL;
    c->policy.nrules = c->rules ? c->rules->nelts : 0;
    c->policy.account_id = (char *) imcf->account_id.data;

    if (!c->enable) {
        return NGX_CONF_OK;
    }

    if (imcf->store == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"icetap_tables_api\" requires \"icetap_store\" "
                           "in the http block");
        return NGX_CONF_ERROR;
    }

#if !(NGX_THREADS)
    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"icetap_tables_api\" requires nginx built with "
                       "threads");
    return NGX_CONF_ERROR;
#else
    return NGX_CONF_OK;
#endif
}


static ngx_int_t
ngx_http_icetap_tables_handler(ngx_http_request_t *r)
{
    ngx_int_t                    rc;
    ngx_uint_t                   iceberg;
    ngx_http_icetap_loc_conf_t  *ilcf;

    ilcf = ngx_http_get_module_loc_conf(r, ngx_http_icetap_module);

    if (r != r->main || ilcf->tables == NULL || !ilcf->tables->enable) {
        return NGX_DECLINED;
    }

    if (r->headers_in.content_length_n > (off_t) ilcf->tables->body_limit) {
        iceberg = (ngx_strlcasestrn(r->uri.data, r->uri.data + r->uri.len,
                                    (u_char *) "/iceberg/", 9 - 1)
                   != NULL);

        return ngx_http_icetap_tables_error(r, iceberg,
                                            NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                            "BadRequestException",
                                            "The request body is too "
                                            "large.");
    }

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_icetap_tables_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_icetap_tables_body(ngx_http_request_t *r)
{
    ngx_int_t                       rc;
    ngx_str_t                       body, path, query, endpoint;
    ngx_uint_t                      anonymous;
    ngx_time_t                     *tp;
    const char                     *service;
    icetap_error_t                  err;
    ngx_thread_task_t              *task;
    icetap_sigv4_result_t           res;
    ngx_http_icetap_loc_conf_t     *ilcf;
    ngx_http_icetap_main_conf_t    *imcf;
    ngx_http_icetap_tables_task_t  *t;

    imcf = ngx_http_get_module_main_conf(r, ngx_http_icetap_module);
    ilcf = ngx_http_get_module_loc_conf(r, ngx_http_icetap_module);

    if (ngx_http_icetap_tables_path(r, &path, &query) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    task = ngx_thread_task_alloc(r->pool,
                                 sizeof(ngx_http_icetap_tables_task_t));
    if (task == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    t = task->ctx;
    t->request = r;
    t->store = imcf->store;
    t->conf = ilcf->tables;
    t->iceberg = (path.len >= 8
                  && ngx_strncmp(path.data, "/iceberg", 8) == 0
                  && (path.len == 8 || path.data[8] == '/'));

    if (path.len == 0 || ngx_strlen(path.data) != path.len) {
        rc = ngx_http_icetap_tables_error(r, t->iceberg, NGX_HTTP_BAD_REQUEST,
                                          "BadRequestException",
                                          "The request path is invalid.");
        ngx_http_finalize_request(r, rc);
        return;
    }

    rc = ngx_http_icetap_tables_read_body(r, &body);

    if (rc == NGX_ERROR) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (rc == NGX_DECLINED) {
        rc = ngx_http_icetap_tables_error(r, t->iceberg,
                                          NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                          "BadRequestException",
                                          "The request body is too large.");
        ngx_http_finalize_request(r, rc);
        return;
    }

    /* who is asking: a signed request, or nobody */

    service = ngx_http_icetap_tables_service(r, &anonymous);

    if (anonymous) {
        t->req.principal = NULL;

    } else {
        rc = ngx_http_icetap_auth_verify(r, service, &body, &res, &err);

        if (rc == NGX_ERROR) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        if (rc == NGX_DECLINED) {
            if (err.http_status == NGX_HTTP_FORBIDDEN) {
                rc = ngx_http_icetap_tables_error(r, t->iceberg,
                                                  NGX_HTTP_FORBIDDEN,
                                                  "ForbiddenException",
                                                  err.msg);
            } else {
                rc = ngx_http_icetap_tables_error(r, t->iceberg,
                                                  NGX_HTTP_BAD_REQUEST,
                                                  "BadRequestException",
                                                  err.msg);
            }

            ngx_http_finalize_request(r, rc);
            return;
        }

        t->req.principal = ngx_http_icetap_tables_cstr(r->pool,
                               (u_char *) res.access_key,
                               ngx_strlen(res.access_key));
        if (t->req.principal == NULL) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }
    }

    if (ngx_http_icetap_tables_endpoint(r, t->conf, &endpoint) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    /*
     * The thread reads only what is set here (pool memory that nothing
     * changes or frees while the request is blocked) and writes only t.
     */

    t->req.method = ngx_http_icetap_tables_cstr(r->pool, r->method_name.data,
                                                r->method_name.len);
    if (t->req.method == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (t->iceberg) {
        t->req.path = path.len == 8 ? "/" : (char *) path.data + 8;

    } else {
        t->req.path = (char *) path.data;
    }

    t->req.query = query.data ? (char *) query.data : NULL;
    t->req.body = body.data;
    t->req.body_len = body.len;
    t->req.account_id = (char *) imcf->account_id.data;
    t->req.region = (char *) imcf->region.data;
    t->req.state_bucket = (char *) imcf->store->bucket.data;
    t->req.endpoint = (char *) endpoint.data;
    t->req.authorize = ngx_http_icetap_tables_authorize;
    t->req.authorize_ctx = t;

    tp = ngx_timeofday();
    t->req.now_ms = (int64_t) tp->sec * 1000 + tp->msec;

    icetap_api_response_init(&t->res);

#if (NGX_THREADS)
    task->handler = ngx_http_icetap_tables_thread;
    task->event.data = t;
    task->event.handler = ngx_http_icetap_tables_done;

    /* nothing may run the phases again for this request */

    r->write_event_handler = ngx_http_request_empty_handler;

    if (ngx_thread_task_post(imcf->store->thread_pool, task) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    r->main->blocked++;
    r->aio = 1;
#else
    ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
#endif
}


/* NGX_DECLINED: larger than the limit */

static ngx_int_t
ngx_http_icetap_tables_read_body(ngx_http_request_t *r, ngx_str_t *body)
{
    u_char                      *p;
    size_t                       len;
    ssize_t                      n;
    ngx_buf_t                   *b;
    ngx_chain_t                 *cl;
    ngx_http_icetap_loc_conf_t  *ilcf;

    ilcf = ngx_http_get_module_loc_conf(r, ngx_http_icetap_module);

    body->data = (u_char *) "";
    body->len = 0;

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;
        len += b->in_file ? (size_t) (b->file_last - b->file_pos)
                          : (size_t) (b->last - b->pos);
    }

    if (len > ilcf->tables->body_limit) {
        return NGX_DECLINED;
    }

    p = ngx_pnalloc(r->pool, len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    body->data = p;
    body->len = len;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (!b->in_file) {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
            continue;
        }

        /* a body larger than client_body_buffer_size: a temporary file */

        n = ngx_read_file(b->file, p, b->file_last - b->file_pos,
                          b->file_pos);

        if (n != b->file_last - b->file_pos) {
            return NGX_ERROR;
        }

        p += n;
    }

    *p = '\0';

    return NGX_OK;
}


/*
 * The signing name of the request's credential scope: "s3" when the
 * client signed as S3, else "s3tables" (the verification reports any
 * other).  anonymous: neither a SigV4 Authorization header nor a
 * presigned query.
 */

static const char *
ngx_http_icetap_tables_service(ngx_http_request_t *r, ngx_uint_t *anonymous)
{
    u_char           *start, *end;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    start = NULL;
    end = NULL;

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        h = part->elts;

        for (i = 0; i < part->nelts; i++) {
            /* other schemes (a bearer token) are nobody's signature */

            if (h[i].key.len == 13
                && ngx_strncasecmp(h[i].key.data, (u_char *) "authorization",
                                   13) == 0
                && h[i].value.len > 5
                && ngx_strncmp(h[i].value.data, "AWS4-", 5) == 0)
            {
                start = h[i].value.data;
                end = start + h[i].value.len;
            }
        }
    }

    if (start == NULL
        && r->args.len
        && (ngx_strlcasestrn(r->args.data, r->args.data + r->args.len,
                             (u_char *) "X-Amz-Algorithm=", 16 - 1)
            || ngx_strlcasestrn(r->args.data, r->args.data + r->args.len,
                                (u_char *) "X-Amz-Signature=", 16 - 1)
            || ngx_strlcasestrn(r->args.data, r->args.data + r->args.len,
                                (u_char *) "X-Amz-Credential=", 17 - 1)))
    {
        start = r->args.data;
        end = start + r->args.len;
    }

    *anonymous = (start == NULL);

    if (start == NULL) {
        return "s3tables";
    }

    if (ngx_strlcasestrn(start, end, (u_char *) "/s3/aws4_request", 16 - 1)
        || ngx_strlcasestrn(start, end, (u_char *) "%2Fs3%2Faws4_request",
                            20 - 1))
    {
        return "s3";
    }

    return "s3tables";
}


/*
 * The decoded path (less the location's prefix, so that a location
 * "/tables/" serves "/tables/buckets" as "/buckets") and the raw query,
 * both NUL-terminated.
 */

static ngx_int_t
ngx_http_icetap_tables_path(ngx_http_request_t *r, ngx_str_t *path,
    ngx_str_t *query)
{
    u_char                    *p, *q, *dst, *src, *end;
    size_t                     skip;
    ngx_http_core_loc_conf_t  *clcf;

    p = r->unparsed_uri.data;
    end = p + r->unparsed_uri.len;

    q = ngx_strlchr(p, end, '?');

    ngx_str_null(query);

    if (q) {
        query->len = end - q - 1;
        query->data = ngx_pnalloc(r->pool, query->len + 1);
        if (query->data == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(query->data, q + 1, query->len);
        query->data[query->len] = '\0';

        end = q;
    }

    dst = ngx_pnalloc(r->pool, end - p + 1);
    if (dst == NULL) {
        return NGX_ERROR;
    }

    path->data = dst;
    src = p;

    ngx_unescape_uri(&dst, &src, end - p, 0);

    *dst = '\0';
    path->len = dst - path->data;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    skip = clcf->name.len;

    if (skip && clcf->name.data[skip - 1] == '/') {
        skip--;
    }

    if (skip
#if (NGX_PCRE)
        && clcf->regex == NULL
#endif
        && !clcf->named
        && path->len > skip
        && path->data[skip] == '/'
        && ngx_strncmp(path->data, clcf->name.data, skip) == 0)
    {
        path->data += skip;
        path->len -= skip;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_icetap_tables_endpoint(ngx_http_request_t *r,
    ngx_http_icetap_tables_conf_t *tcf, ngx_str_t *endpoint)
{
    u_char     *p;
    ngx_str_t   host, scheme;

    if (tcf->endpoint.len) {
        *endpoint = tcf->endpoint;
        return NGX_OK;
    }

    if (r->headers_in.host) {
        host = r->headers_in.host->value;

    } else {
        host = r->headers_in.server;
    }

#if (NGX_HTTP_SSL)
    if (r->connection->ssl) {
        ngx_str_set(&scheme, "https://");
    } else
#endif
    {
        ngx_str_set(&scheme, "http://");
    }

    p = ngx_pnalloc(r->pool, scheme.len + host.len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    endpoint->data = p;
    p = ngx_cpymem(p, scheme.data, scheme.len);
    p = ngx_cpymem(p, host.data, host.len);
    *p = '\0';
    endpoint->len = p - endpoint->data;

    return NGX_OK;
}


#if (NGX_THREADS)

static void
ngx_http_icetap_tables_thread(void *data, ngx_log_t *log)
{
    ngx_http_icetap_tables_task_t  *t = data;

    t->req.store = ngx_http_icetap_store_get(t->store, &t->err);

    if (t->req.store == NULL) {
        t->rc = ICETAP_ERROR;
        return;
    }

    t->req.state_bucket = (char *) t->store->bucket.data;

    if (t->iceberg) {
        t->rc = icetap_iceberg_rest_handle(&t->req, &t->res);

    } else {
        t->rc = icetap_s3tables_handle(&t->req, &t->res);
    }
}


static void
ngx_http_icetap_tables_done(ngx_event_t *ev)
{
    ngx_http_icetap_tables_task_t  *t = ev->data;

    ngx_int_t            rc;
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    r = t->request;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    r->main->blocked--;
    r->aio = 0;

    ngx_http_icetap_tables_log(r, t);

    if (c->error) {
        /* the client went away (or the request was terminated) meanwhile */
        rc = NGX_HTTP_CLIENT_CLOSED_REQUEST;

    } else {
        rc = ngx_http_icetap_tables_respond(r, t);
    }

    icetap_api_response_free(&t->res);

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}

#endif


/*
 * Runs on the thread pool thread: the decision is kept in the task and
 * logged by the event loop when the request resumes.
 */

static icetap_rc
ngx_http_icetap_tables_authorize(void *ctx, const char *action,
    const char *resource_arn, const char *bucket_policy,
    const char *table_policy, icetap_error_t *err)
{
    ngx_http_icetap_tables_task_t  *t = ctx;

    icetap_rc                           rc;
    icetap_policy_decision_t            d;
    ngx_http_icetap_tables_decision_t  *k;

    rc = icetap_policy_evaluate(&t->conf->policy, t->req.principal, action,
                                resource_arn, bucket_policy, table_policy,
                                &d, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (t->ndecisions < NGX_HTTP_ICETAP_TABLES_DECISIONS) {
        k = &t->decisions[t->ndecisions++];

        ngx_cpystrn((u_char *) k->action, (u_char *) action,
                    sizeof(k->action));
        ngx_cpystrn((u_char *) k->resource, (u_char *) resource_arn,
                    sizeof(k->resource));
        k->d = d;

    } else {
        t->lost++;
    }

    if (d.outcome == ICETAP_POLICY_ALLOWED) {
        return ICETAP_OK;
    }

    if (err) {
        ngx_memzero(err, sizeof(icetap_error_t));
        err->code = ICETAP_INVALID;
        err->http_status = NGX_HTTP_FORBIDDEN;
        ngx_cpystrn((u_char *) err->store_code,
                    (u_char *) "AccessDeniedException",
                    sizeof(err->store_code));
        ngx_snprintf((u_char *) err->msg, sizeof(err->msg) - 1,
                     "%s is not authorized to perform %s on %s%Z",
                     t->req.principal ? t->req.principal : "anonymous",
                     action, resource_arn);
    }

    return ICETAP_INVALID;
}


static void
ngx_http_icetap_tables_log(ngx_http_request_t *r,
    ngx_http_icetap_tables_task_t *t)
{
    ngx_uint_t                          i;
    const char                         *outcome;
    ngx_http_icetap_tables_decision_t  *k;

    for (i = 0; i < t->ndecisions; i++) {
        k = &t->decisions[i];

        switch (k->d.outcome) {

        case ICETAP_POLICY_ALLOWED:
            outcome = "allowed";
            break;

        case ICETAP_POLICY_EXPLICIT_DENY:
            outcome = "denied";
            break;

        default:
            outcome = "denied implicitly";
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "icetap: authorization: principal \"%s\" action "
                      "\"%s\" resource \"%s\": %s%s%s",
                      t->req.principal ? t->req.principal : "anonymous",
                      k->action, k->resource, outcome,
                      k->d.source ? " by " : "",
                      k->d.source ? k->d.source : "");
    }

    if (t->lost) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "icetap: authorization: %ui more decisions not logged",
                      t->lost);
    }
}


static ngx_int_t
ngx_http_icetap_tables_respond(ngx_http_request_t *r,
    ngx_http_icetap_tables_task_t *t)
{
    size_t            i;
    ngx_table_elt_t  *h;

    if (t->rc != ICETAP_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "icetap: %s request failed: %s",
                      t->iceberg ? "Iceberg REST" : "S3 Tables",
                      t->err.msg[0] ? t->err.msg : "out of memory");

        return ngx_http_icetap_tables_error(r, t->iceberg,
                                            NGX_HTTP_SERVICE_UNAVAILABLE,
                                            t->iceberg
                                            ? "ServiceUnavailableException"
                                            : "InternalServerErrorException",
                                            "The catalog is unavailable; "
                                            "retry later.");
    }

    if (t->res.status >= NGX_HTTP_INTERNAL_SERVER_ERROR) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "icetap: %s request answered %d: %*s",
                      t->iceberg ? "Iceberg REST" : "S3 Tables",
                      t->res.status, t->res.body.len > 512 ? (size_t) 512
                                                           : t->res.body.len,
                      t->res.body.data);
    }

    for (i = 0; i < t->res.nheaders; i++) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = 1;
        h->key.len = ngx_strlen(t->res.headers[i].name);
        h->key.data = (u_char *) ngx_http_icetap_tables_cstr(r->pool,
                                     (u_char *) t->res.headers[i].name,
                                     h->key.len);
        h->value.len = ngx_strlen(t->res.headers[i].value);
        h->value.data = (u_char *) ngx_http_icetap_tables_cstr(r->pool,
                                       (u_char *) t->res.headers[i].value,
                                       h->value.len);

        if (h->key.data == NULL || h->value.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    return ngx_http_icetap_tables_send(r, t->res.status,
                                       t->res.content_type,
                                       t->res.body.data, t->res.body.len);
}


/*
 * An error in the protocol's own shape: S3 Tables (restJson1) a body
 * {"message": ...} with the type in x-amzn-ErrorType; the Iceberg REST
 * catalog its ErrorModel.
 */

static ngx_int_t
ngx_http_icetap_tables_error(ngx_http_request_t *r, ngx_uint_t iceberg,
    ngx_uint_t status, const char *type, const char *message)
{
    u_char           *body, *p;
    size_t            len;
    ngx_table_elt_t  *h;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = sizeof("{\"error\":{\"message\":\"\",\"type\":\"\","
                 "\"code\":000}}") + 6 * ngx_strlen(message)
          + ngx_strlen(type);

    body = ngx_pnalloc(r->pool, len);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (iceberg) {
        p = ngx_cpymem(body, "{\"error\":{\"message\":\"",
                       sizeof("{\"error\":{\"message\":\"") - 1);
        p = ngx_http_icetap_tables_json_escape(p, message);
        p = ngx_sprintf(p, "\",\"type\":\"%s\",\"code\":%ui}}", type,
                        status);

    } else {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "x-amzn-ErrorType");
        h->value.data = (u_char *) type;
        h->value.len = ngx_strlen(type);

        p = ngx_cpymem(body, "{\"message\":\"",
                       sizeof("{\"message\":\"") - 1);
        p = ngx_http_icetap_tables_json_escape(p, message);
        p = ngx_cpymem(p, "\"}", 2);
    }

    return ngx_http_icetap_tables_send(r, status, "application/json", body,
                                       p - body);
}


static ngx_int_t
ngx_http_icetap_tables_send(ngx_http_request_t *r, ngx_uint_t status,
    const char *content_type, u_char *data, size_t len)
{
    u_char           *p;
    ngx_int_t         rc;
    ngx_buf_t        *b;
    ngx_chain_t       out;
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_pnalloc(r->pool, 16);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "x-amzn-RequestId");
    h->value.data = p;
    h->value.len = ngx_sprintf(p, "%08xD%08xD", (uint32_t) ngx_random(),
                               (uint32_t) r->connection->number) - p;

    r->headers_out.status = status;
    r->headers_out.content_length_n = len;

    if (len && content_type) {
        r->headers_out.content_type.data = (u_char *) content_type;
        r->headers_out.content_type.len = ngx_strlen(content_type);
        r->headers_out.content_type_len = r->headers_out.content_type.len;
    }

    if (len == 0 || r->method == NGX_HTTP_HEAD) {
        r->header_only = 1;
        return ngx_http_send_header(r);
    }

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_cpymem(b->pos, data, len);
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


/* dst has room for 6 bytes per byte of src */

static u_char *
ngx_http_icetap_tables_json_escape(u_char *dst, const char *src)
{
    u_char  c;

    while (*src) {
        c = (u_char) *src++;

        switch (c) {

        case '"':
        case '\\':
            *dst++ = '\\';
            *dst++ = c;
            break;

        case '\n':
            *dst++ = '\\';
            *dst++ = 'n';
            break;

        default:
            if (c < 0x20) {
                dst = ngx_sprintf(dst, "\\u%04xd", (ngx_uint_t) c);

            } else {
                *dst++ = c;
            }
        }
    }

    return dst;
}


static char *
ngx_http_icetap_tables_cstr(ngx_pool_t *pool, u_char *data, size_t len)
{
    u_char  *p;

    p = ngx_pnalloc(pool, len + 1);
    if (p == NULL) {
        return NULL;
    }

    ngx_memcpy(p, data, len);
    p[len] = '\0';

    return (char *) p;
}
