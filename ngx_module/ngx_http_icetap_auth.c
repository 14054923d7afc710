/*
 * Copyright (C) icetap authors
 *
 * Authentication of the APIs icetap answers itself: the access keys of
 * "icetap_access_key" and "icetap_access_key_file", and AWS SigV4 (header
 * and presigned forms) verified by the core against them, including that
 * the body is the one that was signed.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <icetap/hash.h>
#include <icetap/sigv4.h>

#include "ngx_http_icetap_module.h"


#define NGX_HTTP_ICETAP_KEY_FILE_MAX  (1024 * 1024)


static char *ngx_http_icetap_key_add(ngx_conf_t *cf,
    ngx_http_icetap_main_conf_t *imcf, ngx_str_t *access_key,
    ngx_str_t *secret_key);
static icetap_rc ngx_http_icetap_auth_lookup(void *ctx,
    const char *access_key, char *secret, size_t size);
static char *ngx_http_icetap_auth_cstr(ngx_pool_t *pool, u_char *data,
    size_t len);
static ngx_int_t ngx_http_icetap_auth_fail(icetap_error_t *err,
    ngx_uint_t status, const char *code, const char *msg);


/* derived signing keys: used by the event loop only */
static icetap_sigv4_cache_t  ngx_http_icetap_auth_cache;


/* icetap_access_key AKID SECRET; */

char *
ngx_http_icetap_access_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_str_t  *value;

    value = cf->args->elts;

    return ngx_http_icetap_key_add(cf, conf, &value[1], &value[2]);
}


/*
 * icetap_access_key_file FILE;
 *
 * One "AKID SECRET" pair a line; blank lines and lines starting with "#"
 * are skipped.  The file is read when the configuration is loaded.
 */

char *
ngx_http_icetap_access_key_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    char             *rv;
    u_char           *buf, *p, *end, *eol, *q;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_str_t        *value, name, ak, sk;
    ngx_uint_t        line;
    ngx_file_info_t   fi;

    value = cf->args->elts;
    name = value[1];

    if (ngx_conf_full_name(cf->cycle, &name, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    fd = ngx_open_file(name.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%V\" failed", &name);
        return NGX_CONF_ERROR;
    }

    rv = NGX_CONF_ERROR;
    buf = NULL;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%V\" failed", &name);
        goto done;
    }

    if (ngx_file_size(&fi) > NGX_HTTP_ICETAP_KEY_FILE_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "key file \"%V\" is larger than 1m", &name);
        goto done;
    }

    buf = ngx_pnalloc(cf->temp_pool, (size_t) ngx_file_size(&fi) + 1);
    if (buf == NULL) {
        goto done;
    }

    n = ngx_read_fd(fd, buf, (size_t) ngx_file_size(&fi));
    if (n == -1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_read_fd_n " \"%V\" failed", &name);
        goto done;
    }

    p = buf;
    end = buf + n;
    line = 0;

    while (p < end) {
        line++;

        eol = ngx_strlchr(p, end, '\n');
        if (eol == NULL) {
            eol = end;
        }

        while (p < eol && (*p == ' ' || *p == '\t')) {
            p++;
        }

        q = eol;

        while (q > p && (q[-1] == ' ' || q[-1] == '\t' || q[-1] == '\r')) {
            q--;
        }

        if (p == q || *p == '#') {
            p = eol + 1;
            continue;
        }

        ak.data = p;

        while (p < q && *p != ' ' && *p != '\t') {
            p++;
        }

        ak.len = p - ak.data;

        while (p < q && (*p == ' ' || *p == '\t')) {
            p++;
        }

        sk.data = p;
        sk.len = q - p;

        if (sk.len == 0 || ngx_strlchr(sk.data, q, ' ')
            || ngx_strlchr(sk.data, q, '\t'))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid line %ui in key file \"%V\", "
                               "expected \"ACCESS_KEY_ID SECRET\"",
                               line, &name);
            goto done;
        }

        /* copies: the keys must be NUL-terminated and outlive buf */

        ak.data = (u_char *) ngx_http_icetap_auth_cstr(cf->pool, ak.data,
                                                       ak.len);
        sk.data = (u_char *) ngx_http_icetap_auth_cstr(cf->pool, sk.data,
                                                       sk.len);
        if (ak.data == NULL || sk.data == NULL) {
            goto done;
        }

        if (ngx_http_icetap_key_add(cf, conf, &ak, &sk) != NGX_CONF_OK) {
            goto done;
        }

        p = eol + 1;
    }

    rv = NGX_CONF_OK;

done:

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_ALERT, cf, ngx_errno,
                           ngx_close_file_n " \"%V\" failed", &name);
    }

    return rv;
}


/* icetap_account_id 123456789012; */

char *
ngx_http_icetap_account_id(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_icetap_main_conf_t  *imcf = conf;

    ngx_str_t   *value;
    ngx_uint_t   i;

    if (imcf->account_id.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (i = 0; i < value[1].len; i++) {
        if (value[1].data[i] < '0' || value[1].data[i] > '9') {
            break;
        }
    }

    if (value[1].len != 12 || i != 12) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid account id \"%V\", expected 12 digits",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    imcf->account_id = value[1];

    return NGX_CONF_OK;
}


static char *
ngx_http_icetap_key_add(ngx_conf_t *cf, ngx_http_icetap_main_conf_t *imcf,
    ngx_str_t *access_key, ngx_str_t *secret_key)
{
    ngx_uint_t              i;
    ngx_http_icetap_key_t  *key;

    if (access_key->len < 3 || access_key->len > 127) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid access key id \"%V\"", access_key);
        return NGX_CONF_ERROR;
    }

    for (i = 0; i < access_key->len; i++) {
        if (!isalnum(access_key->data[i])) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid access key id \"%V\": letters and "
                               "digits only", access_key);
            return NGX_CONF_ERROR;
        }
    }

    if (secret_key->len == 0 || secret_key->len > 255) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid secret key for \"%V\"", access_key);
        return NGX_CONF_ERROR;
    }

    if (imcf->keys == NULL) {
        imcf->keys = ngx_array_create(cf->pool, 4,
                                      sizeof(ngx_http_icetap_key_t));
        if (imcf->keys == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    key = imcf->keys->elts;

    for (i = 0; i < imcf->keys->nelts; i++) {
        if (key[i].access_key.len == access_key->len
            && ngx_strncmp(key[i].access_key.data, access_key->data,
                           access_key->len) == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate access key id \"%V\"", access_key);
            return NGX_CONF_ERROR;
        }
    }

    key = ngx_array_push(imcf->keys);
    if (key == NULL) {
        return NGX_CONF_ERROR;
    }

    key->access_key = *access_key;
    key->secret_key = *secret_key;

    return NGX_CONF_OK;
}


static icetap_rc
ngx_http_icetap_auth_lookup(void *ctx, const char *access_key, char *secret,
    size_t size)
{
    ngx_http_icetap_main_conf_t  *imcf = ctx;

    size_t                  len;
    ngx_uint_t              i;
    ngx_http_icetap_key_t  *key;

    if (imcf->keys == NULL) {
        return ICETAP_NOTFOUND;
    }

    len = ngx_strlen(access_key);
    key = imcf->keys->elts;

    for (i = 0; i < imcf->keys->nelts; i++) {
        if (key[i].access_key.len == len
            && ngx_strncmp(key[i].access_key.data, access_key, len) == 0
            && key[i].secret_key.len < size)
        {
            ngx_memcpy(secret, key[i].secret_key.data,
                       key[i].secret_key.len + 1);
            return ICETAP_OK;
        }
    }

    return ICETAP_NOTFOUND;
}


ngx_int_t
ngx_http_icetap_auth_verify(ngx_http_request_t *r, const char *service,
    ngx_str_t *body, icetap_sigv4_result_t *res, icetap_error_t *err)
{
    u_char                       *q;
    char                          hash[ICETAP_SHA256_HEX_LEN + 1];
    ngx_uint_t                    i, n;
    icetap_rc                     rc;
    ngx_list_part_t              *part;
    ngx_table_elt_t              *h;
    icetap_sigv4_header_t        *hdrs;
    icetap_sigv4_verify_t         v;
    ngx_http_icetap_main_conf_t  *imcf;

    imcf = ngx_http_get_module_main_conf(r, ngx_http_icetap_module);

    ngx_memzero(&v, sizeof(icetap_sigv4_verify_t));

    /* the core wants C strings: every request header, the raw target */

    n = 0;

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        n += part->nelts;
    }

    hdrs = ngx_palloc(r->pool, (n + 1) * sizeof(icetap_sigv4_header_t));
    if (hdrs == NULL) {
        return NGX_ERROR;
    }

    n = 0;

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        h = part->elts;

        for (i = 0; i < part->nelts; i++) {
            hdrs[n].name = ngx_http_icetap_auth_cstr(r->pool, h[i].key.data,
                                                     h[i].key.len);
            hdrs[n].value = ngx_http_icetap_auth_cstr(r->pool,
                                                      h[i].value.data,
                                                      h[i].value.len);
            if (hdrs[n].name == NULL || hdrs[n].value == NULL) {
                return NGX_ERROR;
            }

            n++;
        }
    }

    v.headers = hdrs;
    v.nheaders = n;

    v.method = ngx_http_icetap_auth_cstr(r->pool, r->method_name.data,
                                         r->method_name.len);

    q = ngx_strlchr(r->unparsed_uri.data,
                    r->unparsed_uri.data + r->unparsed_uri.len, '?');

    if (q) {
        v.path = ngx_http_icetap_auth_cstr(r->pool, r->unparsed_uri.data,
                                           q - r->unparsed_uri.data);
        v.query = ngx_http_icetap_auth_cstr(r->pool, q + 1,
                                            r->unparsed_uri.data
                                            + r->unparsed_uri.len - q - 1);
        if (v.query == NULL) {
            return NGX_ERROR;
        }

    } else {
        v.path = ngx_http_icetap_auth_cstr(r->pool, r->unparsed_uri.data,
                                           r->unparsed_uri.len);
    }

    if (v.method == NULL || v.path == NULL) {
        return NGX_ERROR;
    }

    if (icetap_sha256_hex(body->data, body->len, hash) != ICETAP_OK) {
        return NGX_ERROR;
    }

    v.payload_hash = hash;
    v.now = ngx_time();
    v.s3 = (ngx_strcmp(service, "s3") == 0);
    v.service = service;
    v.region = (char *) imcf->region.data;

    rc = icetap_sigv4_verify(&v, ngx_http_icetap_auth_lookup, imcf,
                             &ngx_http_icetap_auth_cache, res, err);

    if (rc == ICETAP_NOMEM) {
        return NGX_ERROR;
    }

    if (rc != ICETAP_OK) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "icetap: request refused: %s %s", err->store_code,
                      err->msg);
        return NGX_DECLINED;
    }

    /* the body must be the one signed */

    if (ngx_strcmp(res->payload_hash, ICETAP_SIGV4_UNSIGNED) == 0) {
        return NGX_OK;
    }

    if (ngx_strncmp(res->payload_hash, "STREAMING-", 10) == 0) {
        return ngx_http_icetap_auth_fail(err, NGX_HTTP_BAD_REQUEST,
                                         "InvalidRequest", "aws-chunked "
                                         "payloads are not accepted by this "
                                         "API");
    }

    if (ngx_strcasecmp((u_char *) res->payload_hash, (u_char *) hash) != 0) {
        return ngx_http_icetap_auth_fail(err, NGX_HTTP_BAD_REQUEST,
                                         "XAmzContentSHA256Mismatch",
                                         "The provided 'x-amz-content-sha256'"
                                         " header does not match what was "
                                         "computed.");
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_icetap_auth_fail(icetap_error_t *err, ngx_uint_t status,
    const char *code, const char *msg)
{
    ngx_memzero(err, sizeof(icetap_error_t));

    err->code = ICETAP_INVALID;
    err->http_status = (int) status;
    ngx_cpystrn((u_char *) err->store_code, (u_char *) code,
                sizeof(err->store_code));
    ngx_cpystrn((u_char *) err->msg, (u_char *) msg, sizeof(err->msg));

    return NGX_DECLINED;
}


static char *
ngx_http_icetap_auth_cstr(ngx_pool_t *pool, u_char *data, size_t len)
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
