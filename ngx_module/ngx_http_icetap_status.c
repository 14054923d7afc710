/*
 * Copyright (C) icetap authors
 *
 * "icetap_status": a location answering with icetap's status document
 * (include/icetap/status.h): JSON by default, Prometheus text with
 * ?format=prometheus.  The reports are files of the WAL directory; they
 * are read and rendered on the thread pool, so a slow disk never holds
 * the event loop.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <icetap/status.h>

#include "ngx_http_icetap_module.h"


typedef struct {
    ngx_http_request_t            *r;
    char                          *dir;
    icetap_status_format_e         format;
    icetap_buf_t                   out;
    icetap_error_t                 err;
    icetap_rc                      rc;
} ngx_http_icetap_status_task_t;


static ngx_int_t ngx_http_icetap_status_handler(ngx_http_request_t *r);
static void ngx_http_icetap_status_cleanup(void *data);
#if (NGX_THREADS)
static void ngx_http_icetap_status_thread(void *data, ngx_log_t *log);
static void ngx_http_icetap_status_done(ngx_event_t *ev);
#endif
static void ngx_http_icetap_status_send(ngx_http_icetap_status_task_t *t);


char *
ngx_http_icetap_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t     *clcf;
    ngx_http_icetap_main_conf_t  *imcf;

    imcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_icetap_module);
    imcf->status_used = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_icetap_status_handler;

    return NGX_CONF_OK;
}


/*
 * The helpers' reports (journal.json, inventory.json, cursors, ...) are
 * files of the WAL directory "dir", replaced whole: written to a
 * temporary file of the same directory, then renamed over the report,
 * so a reader sees the old report or the new one, never a part.  On
 * failure, *failed names the call that failed and ngx_errno tells why.
 */

ngx_int_t
ngx_http_icetap_report_write(ngx_str_t *dir, const char *name,
    const char *text, size_t len, const char **failed)
{
    ssize_t    n;
    ngx_fd_t   fd;
    ngx_err_t  err;
    u_char     tmp[NGX_MAX_PATH], path[NGX_MAX_PATH];

    *ngx_snprintf(tmp, NGX_MAX_PATH - 1, "%V/.%s.%P", dir, name,
                  ngx_pid) = '\0';
    *ngx_snprintf(path, NGX_MAX_PATH - 1, "%V/%s", dir, name) = '\0';

    fd = ngx_open_file(tmp, NGX_FILE_WRONLY, NGX_FILE_TRUNCATE,
                       NGX_FILE_DEFAULT_ACCESS);

    if (fd == NGX_INVALID_FILE) {
        *failed = "open";
        return NGX_ERROR;
    }

    n = write(fd, text, len);
    err = ngx_errno;

    ngx_close_file(fd);

    if (n != (ssize_t) len) {
        *failed = "write";
        err = (n == -1) ? err : NGX_ENOSPC;
        goto failed;
    }

    if (ngx_rename_file(tmp, path) == NGX_FILE_ERROR) {
        *failed = "rename";
        err = ngx_errno;
        goto failed;
    }

    return NGX_OK;

failed:

    (void) ngx_delete_file(tmp);
    ngx_set_errno(err);

    return NGX_ERROR;
}


/* a JSON document as one line */

ngx_int_t
ngx_http_icetap_report_json(ngx_str_t *dir, const char *name, json_t *doc,
    const char **failed)
{
    char       *text;
    size_t      len;
    ngx_int_t   rc;

    text = json_dumps(doc, JSON_COMPACT);
    if (text == NULL) {
        *failed = "json_dumps";
        ngx_set_errno(NGX_ENOMEM);
        return NGX_ERROR;
    }

    len = ngx_strlen(text);
    text[len++] = '\n';             /* json_dumps() left room: it was NUL */

    rc = ngx_http_icetap_report_write(dir, name, text, len, failed);

    free(text);

    return rc;
}


static ngx_int_t
ngx_http_icetap_status_handler(ngx_http_request_t *r)
{
    ngx_int_t                       rc;
    ngx_str_t                       fmt;
    ngx_pool_cleanup_t             *cln;
    ngx_http_icetap_main_conf_t    *imcf;
    ngx_http_icetap_status_task_t  *t;
#if (NGX_THREADS)
    ngx_thread_task_t              *task;
#endif

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    imcf = ngx_http_get_module_main_conf(r, ngx_http_icetap_module);

#if (NGX_THREADS)
    task = ngx_thread_task_alloc(r->pool,
                                 sizeof(ngx_http_icetap_status_task_t));
    if (task == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    t = task->ctx;
#else
    t = ngx_pcalloc(r->pool, sizeof(ngx_http_icetap_status_task_t));
    if (t == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
#endif

    t->r = r;
    t->dir = (char *) imcf->dir.data;           /* NUL-terminated */
    t->format = ICETAP_STATUS_JSON;

    if (ngx_http_arg(r, (u_char *) "format", 6, &fmt) == NGX_OK) {
        if (fmt.len == 10
            && ngx_strncmp(fmt.data, "prometheus", 10) == 0)
        {
            t->format = ICETAP_STATUS_PROMETHEUS;

        } else if (!(fmt.len == 4 && ngx_strncmp(fmt.data, "json", 4) == 0))
        {
            return NGX_HTTP_BAD_REQUEST;
        }
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_icetap_status_cleanup;
    cln->data = t;

#if (NGX_THREADS)
    task->handler = ngx_http_icetap_status_thread;
    task->event.data = t;
    task->event.handler = ngx_http_icetap_status_done;

    if (ngx_thread_task_post(imcf->thread_pool, task) != NGX_OK) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    /* the request (and t in its pool) lives until the task is done */

    r->main->blocked++;
    r->aio = 1;
    r->main->count++;

    return NGX_DONE;
#else
    t->rc = icetap_status_render(t->dir, t->format,
                                 (int64_t) ngx_time() * 1000, &t->out,
                                 &t->err);
    r->main->count++;
    ngx_http_icetap_status_send(t);

    return NGX_DONE;
#endif
}


static void
ngx_http_icetap_status_cleanup(void *data)
{
    ngx_http_icetap_status_task_t  *t = data;

    icetap_buf_free(&t->out);
}


#if (NGX_THREADS)

static void
ngx_http_icetap_status_thread(void *data, ngx_log_t *log)
{
    ngx_http_icetap_status_task_t  *t = data;

    struct timeval  tv;

    ngx_gettimeofday(&tv);

    t->rc = icetap_status_render(t->dir, t->format,
                                 (int64_t) tv.tv_sec * 1000
                                 + tv.tv_usec / 1000,
                                 &t->out, &t->err);
}


static void
ngx_http_icetap_status_done(ngx_event_t *ev)
{
    ngx_http_icetap_status_task_t  *t = ev->data;

    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    r = t->r;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    r->main->blocked--;
    r->aio = 0;

    if (c->error) {
        /* the client went away meanwhile */
        ngx_http_finalize_request(r, NGX_HTTP_CLIENT_CLOSED_REQUEST);

    } else {
        ngx_http_icetap_status_send(t);
    }

    ngx_http_run_posted_requests(c);
}

#endif


static void
ngx_http_icetap_status_send(ngx_http_icetap_status_task_t *t)
{
    ngx_int_t            rc;
    ngx_buf_t           *b;
    ngx_chain_t          out;
    ngx_http_request_t  *r = t->r;

    if (t->rc != ICETAP_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "icetap status: %s", t->err.msg);
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = t->out.len;

    if (t->format == ICETAP_STATUS_PROMETHEUS) {
        ngx_str_set(&r->headers_out.content_type,
                    "text/plain; version=0.0.4; charset=utf-8");

    } else {
        ngx_str_set(&r->headers_out.content_type, "application/json");
    }

    r->headers_out.content_type_len = r->headers_out.content_type.len;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    b = ngx_create_temp_buf(r->pool, t->out.len ? t->out.len : 1);
    if (b == NULL) {
        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }

    b->last = ngx_cpymem(b->pos, t->out.data, t->out.len);
    b->last_buf = 1;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    ngx_http_finalize_request(r, ngx_http_output_filter(r, &out));
}
