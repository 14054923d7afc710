/*
 * Copyright (C) icetap authors
 *
 * S3 store on libcurl: one easy handle (and so one connection cache) per
 * store handle, SigV4 on every request, retries with exponential back-off
 * and jitter on connection errors, 5xx and throttling.
 *
 * Request bodies are always in memory when sent (a whole small object or
 * one multipart part), so every attempt sends the same bytes.  A GET that
 * fails after delivering part of the body resumes with a Range and
 * If-Match on the first attempt's ETag, so the sink never sees a byte
 * twice or bytes of two versions.
 */


#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include <icetap/hash.h>
#include <icetap/sigv4.h>

#include "icetap_store_int.h"
#include "icetap_s3.h"


#define ICETAP_S3_ERRBODY_MAX   65536
#define ICETAP_S3_MIN_PART      (5 * 1024 * 1024)
#define ICETAP_S3_MAX_PARTS     10000
#define ICETAP_S3_DELETE_BATCH  1000


typedef struct {
    icetap_store_t          store;
    CURL                   *curl;
    char                   *base;       /* scheme://host[:port][/bucket] */
    char                   *host;       /* Host header */
    char                   *path;       /* "/bucket" or "" */
    char                   *bucket;
    char                   *region;
    char                   *access_key;
    char                   *secret_key;
    char                   *session_token;
    unsigned                unsigned_payload:1;
    size_t                  threshold;
    size_t                  part_size;
    unsigned                max_retries;
    unsigned                retry_base_ms;
    unsigned                retry_max_ms;
    long                    connect_timeout_ms;
    long                    low_speed_s;
    long                    timeout_ms;
    uint64_t                rng;
    icetap_sigv4_cache_t    cache;
} icetap_store_s3_t;


typedef struct {
    const char              *method;
    const char              *key;           /* NULL: the bucket */
    const char              *query;         /* encoded, may be NULL */
    const char              *hdr[16];       /* extra name, value pairs */
    size_t                   nhdr;
    const uint8_t           *body;
    size_t                   body_len;
    const char              *content_md5;

    /* ranged GET, resumed after a partial transfer */
    unsigned                 ranged:1;
    int64_t                  range_off;
    int64_t                  range_len;     /* -1: to the end */
    int64_t                  delivered;

    icetap_store_sink_pt     sink;          /* 2xx body, else resp */
    void                    *sink_ctx;
    icetap_rc                sink_rc;
    icetap_buf_t            *resp;

    /* response */
    long                     status;
    int                      in_error;
    icetap_buf_t             errbody;
    icetap_store_obj_t      *obj;
    icetap_store_s3_head_t  *vh;            /* version facts, or NULL */
    char                     request_id[96];
    char                     first_etag[ICETAP_STORE_ETAG_LEN];
    int64_t                  content_length;
    int64_t                  range_total;
    int                      got_range;
    size_t                   upload_pos;
} icetap_s3_req_t;


typedef struct {
    char        code[64];
    char        message[256];
    char        request_id[96];
    char        key[256];
} icetap_s3_error_t;


static icetap_rc icetap_s3_get(icetap_store_t *s, const char *key,
    int64_t offset, int64_t length, icetap_store_sink_pt sink, void *ctx,
    icetap_store_obj_t *obj, icetap_error_t *err);
static icetap_rc icetap_s3_put(icetap_store_t *s, const char *key,
    icetap_store_source_t *src, const icetap_store_put_opts_t *opts,
    char *etag, icetap_error_t *err);
static icetap_rc icetap_s3_head(icetap_store_t *s, const char *key,
    icetap_store_obj_t *obj, icetap_error_t *err);
static icetap_rc icetap_s3_list(icetap_store_t *s,
    const icetap_store_list_opts_t *opts, icetap_store_page_pt page,
    void *ctx, icetap_error_t *err);
static icetap_rc icetap_s3_del(icetap_store_t *s, const char *key,
    icetap_error_t *err);
static icetap_rc icetap_s3_del_batch(icetap_store_t *s,
    const char *const *keys, size_t n, icetap_error_t *err);
static void icetap_s3_destroy(icetap_store_t *s);

static icetap_rc icetap_s3_request(icetap_store_s3_t *s3,
    icetap_s3_req_t *req, icetap_error_t *err);
static icetap_rc icetap_s3_attempt(icetap_store_s3_t *s3,
    icetap_s3_req_t *req, CURLcode *cc, icetap_error_t *err);
static icetap_rc icetap_s3_fail(icetap_store_s3_t *s3, icetap_s3_req_t *req,
    icetap_error_t *err);
static void icetap_s3_global_init(void);
static int icetap_s3_version_header(icetap_store_s3_head_t *h,
    const char *name, size_t nlen, const char *v, size_t vlen);
static icetap_rc icetap_s3_query_add(icetap_buf_t *q, const char *name,
    const char *value);


static const icetap_store_ops_t  icetap_store_s3_ops = {
    "s3",
    icetap_s3_get,
    icetap_s3_put,
    icetap_s3_head,
    icetap_s3_list,
    icetap_s3_del,
    icetap_s3_del_batch,
    icetap_s3_destroy
};


static pthread_once_t  icetap_s3_once = PTHREAD_ONCE_INIT;
static CURLcode        icetap_s3_init_rc;


static void
icetap_s3_global_init(void)
{
    icetap_s3_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}


static char *
icetap_s3_strdup(const char *s)
{
    return s ? icetap_strndup(s, strlen(s)) : NULL;
}


icetap_store_t *
icetap_store_s3_create(const icetap_s3_conf_t *conf, icetap_error_t *err)
{
    char               *scheme_end, *hostport, *slash, *endpoint;
    size_t              n;
    icetap_store_s3_t  *s3;

    (void) pthread_once(&icetap_s3_once, icetap_s3_global_init);

    if (icetap_s3_init_rc != CURLE_OK) {
        icetap_error_set(err, ICETAP_ERROR, "curl_global_init failed: %s",
                         curl_easy_strerror(icetap_s3_init_rc));
        return NULL;
    }

    if (conf->bucket == NULL || conf->bucket[0] == '\0'
        || strlen(conf->bucket) > 63 || strchr(conf->bucket, '/') != NULL)
    {
        icetap_error_set(err, ICETAP_INVALID, "bad S3 bucket name \"%s\"",
                         conf->bucket ? conf->bucket : "");
        return NULL;
    }

    if (conf->access_key == NULL || conf->secret_key == NULL) {
        icetap_error_set(err, ICETAP_INVALID, "S3 store for \"%s\" needs "
                         "an access key and a secret key", conf->bucket);
        return NULL;
    }

    if (conf->part_size && conf->part_size < ICETAP_S3_MIN_PART) {
        icetap_error_set(err, ICETAP_INVALID, "S3 part size %zu below the "
                         "5 MiB minimum", conf->part_size);
        return NULL;
    }

    s3 = icetap_calloc(1, sizeof(icetap_store_s3_t));
    if (s3 == NULL) {
        icetap_error_set(err, ICETAP_NOMEM, "no memory for the S3 store");
        return NULL;
    }

    s3->store.ops = &icetap_store_s3_ops;
    s3->region = icetap_s3_strdup(conf->region ? conf->region
                                               : "us-east-1");
    s3->bucket = icetap_s3_strdup(conf->bucket);
    s3->access_key = icetap_s3_strdup(conf->access_key);
    s3->secret_key = icetap_s3_strdup(conf->secret_key);
    s3->session_token = icetap_s3_strdup(conf->session_token);
    s3->unsigned_payload = conf->unsigned_payload;
    s3->part_size = conf->part_size ? conf->part_size : 8 * 1024 * 1024;
    s3->threshold = conf->multipart_threshold ? conf->multipart_threshold
                                              : 16 * 1024 * 1024;
    s3->threshold = icetap_max(s3->threshold, s3->part_size);
    s3->max_retries = conf->max_retries ? conf->max_retries : 4;
    s3->retry_base_ms = conf->retry_base_ms ? conf->retry_base_ms : 100;
    s3->retry_max_ms = conf->retry_max_ms ? conf->retry_max_ms : 5000;
    s3->connect_timeout_ms = conf->connect_timeout_ms
                             ? conf->connect_timeout_ms : 5000;
    s3->low_speed_s = conf->low_speed_timeout_s ? conf->low_speed_timeout_s
                                                : 30;
    s3->timeout_ms = conf->timeout_ms;
    s3->rng = (uint64_t) time(NULL) ^ (uintptr_t) s3 ^ 0x9e3779b97f4a7c15ULL;

    if (conf->endpoint != NULL) {
        endpoint = icetap_s3_strdup(conf->endpoint);

    } else {
        n = strlen(s3->region ? s3->region : "") + 32;
        endpoint = icetap_alloc(n);
        if (endpoint != NULL && s3->region != NULL) {
            snprintf(endpoint, n, "https://s3.%s.amazonaws.com", s3->region);
        }
    }

    s3->curl = curl_easy_init();

    if (endpoint == NULL || s3->region == NULL || s3->bucket == NULL
        || s3->access_key == NULL || s3->secret_key == NULL
        || (conf->session_token && s3->session_token == NULL)
        || s3->curl == NULL)
    {
        icetap_free(endpoint);
        icetap_s3_destroy(&s3->store);
        icetap_error_set(err, ICETAP_NOMEM, "no memory for the S3 store");
        return NULL;
    }

    /* scheme://host[:port][/], then path-style or virtual-hosted */

    scheme_end = strstr(endpoint, "://");

    if (scheme_end == NULL
        || (strncmp(endpoint, "http://", 7) != 0
            && strncmp(endpoint, "https://", 8) != 0))
    {
        icetap_error_set(err, ICETAP_INVALID, "S3 endpoint \"%s\" is not "
                         "http:// or https://", endpoint);
        icetap_free(endpoint);
        icetap_s3_destroy(&s3->store);
        return NULL;
    }

    hostport = scheme_end + 3;
    slash = strchr(hostport, '/');

    if (slash != NULL) {
        if (slash[1] != '\0') {
            icetap_error_set(err, ICETAP_INVALID, "S3 endpoint \"%s\" has a "
                             "path", endpoint);
            icetap_free(endpoint);
            icetap_s3_destroy(&s3->store);
            return NULL;
        }

        *slash = '\0';
    }

    if (*hostport == '\0') {
        icetap_error_set(err, ICETAP_INVALID, "S3 endpoint without a host");
        icetap_free(endpoint);
        icetap_s3_destroy(&s3->store);
        return NULL;
    }

    n = strlen(endpoint) + strlen(s3->bucket) + 8;
    s3->base = icetap_alloc(n);
    s3->host = icetap_alloc(n);
    s3->path = icetap_alloc(n);

    if (s3->base == NULL || s3->host == NULL || s3->path == NULL) {
        icetap_free(endpoint);
        icetap_s3_destroy(&s3->store);
        icetap_error_set(err, ICETAP_NOMEM, "no memory for the S3 store");
        return NULL;
    }

    if (conf->path_style) {
        snprintf(s3->base, n, "%s/%s", endpoint, s3->bucket);
        snprintf(s3->host, n, "%s", hostport);
        snprintf(s3->path, n, "/%s", s3->bucket);

    } else {
        snprintf(s3->base, n, "%.*s%s.%s", (int) (hostport - endpoint),
                 endpoint, s3->bucket, hostport);
        snprintf(s3->host, n, "%s.%s", s3->bucket, hostport);
        s3->path[0] = '\0';
    }

    icetap_free(endpoint);

    return &s3->store;
}


static void
icetap_s3_destroy(icetap_store_t *s)
{
    icetap_store_s3_t  *s3 = (icetap_store_s3_t *) s;

    if (s3->curl != NULL) {
        curl_easy_cleanup(s3->curl);
    }

    if (s3->secret_key != NULL) {
        memset(s3->secret_key, 0, strlen(s3->secret_key));
    }

    icetap_free(s3->base);
    icetap_free(s3->host);
    icetap_free(s3->path);
    icetap_free(s3->bucket);
    icetap_free(s3->region);
    icetap_free(s3->access_key);
    icetap_free(s3->secret_key);
    icetap_free(s3->session_token);
    memset(&s3->cache, 0, sizeof(s3->cache));
    icetap_free(s3);
}


/* curl callbacks */


static size_t
icetap_s3_header_cb(char *line, size_t size, size_t nitems, void *data)
{
    size_t               len, nlen, vlen;
    char                *colon, *v;
    int64_t              total;
    icetap_s3_req_t     *req = data;
    icetap_store_obj_t  *obj = req->obj;

    len = size * nitems;

    if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        /* a new response (after 100 Continue or a redirect) */

        colon = memchr(line, ' ', len);
        req->status = colon ? strtol(colon + 1, NULL, 10) : 0;
        req->in_error = req->status < 200 || req->status > 299;

        if (obj != NULL) {
            icetap_store_obj_free(obj);
        }

        req->request_id[0] = '\0';
        req->content_length = -1;
        req->got_range = 0;

        return len;
    }

    colon = memchr(line, ':', len);
    if (colon == NULL) {
        return len;
    }

    nlen = colon - line;
    v = colon + 1;
    vlen = len - nlen - 1;

    while (vlen > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        vlen--;
    }

    while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n'
                        || v[vlen - 1] == ' '))
    {
        vlen--;
    }

#define is_header(name)                                                      \
    (nlen == sizeof(name) - 1 && strncasecmp(line, name, nlen) == 0)

    if (is_header("x-amz-request-id")) {
        snprintf(req->request_id, sizeof(req->request_id), "%.*s",
                 (int) vlen, v);

    } else if (is_header("content-length")) {
        req->content_length = strtoll(v, NULL, 10);

    } else if (is_header("content-range")) {
        /* bytes a-b/total */

        colon = memchr(v, '/', vlen);

        if (colon != NULL) {
            total = strtoll(colon + 1, NULL, 10);
            req->range_total = total;
            req->got_range = 1;
        }

    } else if (req->vh != NULL && nlen > 6
               && strncasecmp(line, "x-amz-", 6) == 0
               && icetap_s3_version_header(req->vh, line + 6, nlen - 6, v,
                                           vlen))
    {
        /* kept in req->vh */

    } else if (obj == NULL) {
        /* nothing else is kept */

    } else if (is_header("etag")) {
        snprintf(obj->etag, sizeof(obj->etag), "%.*s", (int) vlen, v);

        if (req->first_etag[0] == '\0' && !req->in_error) {
            snprintf(req->first_etag, sizeof(req->first_etag), "%s",
                     obj->etag);
        }

    } else if (is_header("last-modified")) {
        char  tmp[64];

        snprintf(tmp, sizeof(tmp), "%.*s", (int) vlen, v);
        obj->last_modified = curl_getdate(tmp, NULL);

    } else if (is_header("content-type")) {
        icetap_free(obj->content_type);
        obj->content_type = icetap_strndup(v, vlen);

    } else if (nlen > 11 && strncasecmp(line, "x-amz-meta-", 11) == 0) {
        if (icetap_store_obj_add_meta(obj, line + 11, nlen - 11, v, vlen)
            != ICETAP_OK)
        {
            return 0;
        }
    }

#undef is_header

    return len;
}


static size_t
icetap_s3_write_cb(char *data, size_t size, size_t nmemb, void *ctx)
{
    size_t            len;
    icetap_rc         rc;
    icetap_s3_req_t  *req = ctx;

    len = size * nmemb;

    if (req->in_error) {
        if (req->errbody.len < ICETAP_S3_ERRBODY_MAX) {
            (void) icetap_buf_append(&req->errbody, data,
                    icetap_min(len, ICETAP_S3_ERRBODY_MAX - req->errbody.len));
        }

        return len;
    }

    if (req->sink != NULL) {
        rc = req->sink(req->sink_ctx, data, len);
        if (rc != ICETAP_OK) {
            req->sink_rc = rc;
            return 0;
        }

        req->delivered += len;

        return len;
    }

    if (req->resp != NULL
        && icetap_buf_append(req->resp, data, len) != ICETAP_OK)
    {
        req->sink_rc = ICETAP_NOMEM;
        return 0;
    }

    return len;
}


static size_t
icetap_s3_read_cb(char *buf, size_t size, size_t nitems, void *ctx)
{
    size_t            n;
    icetap_s3_req_t  *req = ctx;

    n = icetap_min(size * nitems, req->body_len - req->upload_pos);
    memcpy(buf, req->body + req->upload_pos, n);
    req->upload_pos += n;

    return n;
}


static icetap_rc
icetap_s3_attempt(icetap_store_s3_t *s3, icetap_s3_req_t *req, CURLcode *cc,
    icetap_error_t *err)
{
    char                    date[17], hash[65], range[64];
    char                   *url, *line;
    size_t                  i, n, ulen;
    icetap_rc               rc;
    icetap_buf_t            path, auth;
    icetap_sigv4_req_t      sr;
    icetap_sigv4_creds_t    creds;
    icetap_sigv4_header_t   h[24];
    struct curl_slist      *list, *nl;

    memset(&path, 0, sizeof(path));
    memset(&auth, 0, sizeof(auth));
    list = NULL;
    url = NULL;
    rc = ICETAP_NOMEM;

    /* canonical path = wire path: the key encoded once */

    if (icetap_buf_append(&path, s3->path, strlen(s3->path)) != ICETAP_OK
        || icetap_buf_putc(&path, '/') != ICETAP_OK
        || (req->key != NULL
            && icetap_sigv4_uri_encode(&path, req->key, strlen(req->key), 1)
               != ICETAP_OK)
        || icetap_buf_putc(&path, '\0') != ICETAP_OK)
    {
        goto failed;
    }

    ulen = strlen(s3->base) + path.len + (req->query ? strlen(req->query)
                                                     : 0) + 4;
    url = icetap_alloc(ulen);
    if (url == NULL) {
        goto failed;
    }

    snprintf(url, ulen, "%s%s%s%s", s3->base,
             (char *) path.data + strlen(s3->path),
             req->query ? "?" : "", req->query ? req->query : "");

    icetap_sigv4_amz_date(time(NULL), date);

    if (req->body_len > 0 && !s3->unsigned_payload) {
        if (icetap_sha256_hex(req->body, req->body_len, hash) != ICETAP_OK) {
            rc = ICETAP_ERROR;
            goto failed;
        }

    } else {
        snprintf(hash, sizeof(hash), "%s", req->body_len
                 ? ICETAP_SIGV4_UNSIGNED : ICETAP_SIGV4_EMPTY_SHA256);
    }

    n = 0;
    h[n].name = "host";
    h[n++].value = s3->host;
    h[n].name = "x-amz-date";
    h[n++].value = date;
    h[n].name = "x-amz-content-sha256";
    h[n++].value = hash;

    if (s3->session_token != NULL) {
        h[n].name = "x-amz-security-token";
        h[n++].value = s3->session_token;
    }

    if (req->content_md5 != NULL) {
        h[n].name = "content-md5";
        h[n++].value = req->content_md5;
    }

    if (req->ranged || req->delivered > 0) {
        if (req->range_len < 0) {
            snprintf(range, sizeof(range), "bytes=%" PRId64 "-",
                     req->range_off + req->delivered);

        } else {
            snprintf(range, sizeof(range), "bytes=%" PRId64 "-%" PRId64,
                     req->range_off + req->delivered,
                     req->range_off + req->range_len - 1);
        }

        h[n].name = "range";
        h[n++].value = range;
    }

    if (req->delivered > 0 && req->first_etag[0] != '\0') {
        h[n].name = "if-match";
        h[n++].value = req->first_etag;
    }

    for (i = 0; i < req->nhdr; i++) {
        h[n].name = req->hdr[2 * i];
        h[n++].value = req->hdr[2 * i + 1];
    }

    creds.access_key = s3->access_key;
    creds.secret_key = s3->secret_key;
    creds.session_token = s3->session_token;
    creds.region = s3->region;
    creds.service = "s3";

    memset(&sr, 0, sizeof(sr));
    sr.method = req->method;
    sr.path = (char *) path.data;
    sr.query = req->query;
    sr.headers = h;
    sr.nheaders = n;
    sr.payload_hash = hash;
    sr.amz_date = date;
    sr.s3 = 1;

    if (icetap_buf_append(&auth, "Authorization: ", 15) != ICETAP_OK) {
        goto failed;
    }

    rc = icetap_sigv4_sign(&creds, &sr, &s3->cache, &auth, err);
    if (rc != ICETAP_OK) {
        goto failed;
    }

    if (icetap_buf_putc(&auth, '\0') != ICETAP_OK) {
        rc = ICETAP_NOMEM;
        goto failed;
    }

    rc = ICETAP_NOMEM;

    for (i = 0; i < n; i++) {
        size_t  ll = strlen(h[i].name) + strlen(h[i].value) + 3;

        line = icetap_alloc(ll);
        if (line == NULL) {
            goto failed;
        }

        snprintf(line, ll, "%s: %s", h[i].name, h[i].value);
        nl = curl_slist_append(list, line);
        icetap_free(line);

        if (nl == NULL) {
            goto failed;
        }

        list = nl;
    }

    nl = curl_slist_append(list, (char *) auth.data);
    if (nl == NULL) {
        goto failed;
    }

    list = nl;

    /* no 100-continue round trip, no default content type */

    if ((nl = curl_slist_append(list, "Expect:")) == NULL) {
        goto failed;
    }

    list = nl;

    if (strcmp(req->method, "POST") == 0) {
        if ((nl = curl_slist_append(list, "Content-Type:")) == NULL) {
            goto failed;
        }

        list = nl;
    }

    curl_easy_reset(s3->curl);
    curl_easy_setopt(s3->curl, CURLOPT_URL, url);
    curl_easy_setopt(s3->curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(s3->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(s3->curl, CURLOPT_CONNECTTIMEOUT_MS,
                     s3->connect_timeout_ms);
    curl_easy_setopt(s3->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(s3->curl, CURLOPT_LOW_SPEED_TIME, s3->low_speed_s);

    if (s3->timeout_ms) {
        curl_easy_setopt(s3->curl, CURLOPT_TIMEOUT_MS, s3->timeout_ms);
    }

    curl_easy_setopt(s3->curl, CURLOPT_HEADERFUNCTION, icetap_s3_header_cb);
    curl_easy_setopt(s3->curl, CURLOPT_HEADERDATA, req);
    curl_easy_setopt(s3->curl, CURLOPT_WRITEFUNCTION, icetap_s3_write_cb);
    curl_easy_setopt(s3->curl, CURLOPT_WRITEDATA, req);

    if (strcmp(req->method, "HEAD") == 0) {
        curl_easy_setopt(s3->curl, CURLOPT_NOBODY, 1L);

    } else if (strcmp(req->method, "PUT") == 0) {
        req->upload_pos = 0;
        curl_easy_setopt(s3->curl, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(s3->curl, CURLOPT_READFUNCTION, icetap_s3_read_cb);
        curl_easy_setopt(s3->curl, CURLOPT_READDATA, req);
        curl_easy_setopt(s3->curl, CURLOPT_INFILESIZE_LARGE,
                         (curl_off_t) req->body_len);

    } else if (strcmp(req->method, "POST") == 0) {
        curl_easy_setopt(s3->curl, CURLOPT_POST, 1L);
        curl_easy_setopt(s3->curl, CURLOPT_POSTFIELDS,
                         req->body ? (const char *) req->body : "");
        curl_easy_setopt(s3->curl, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t) req->body_len);

    } else if (strcmp(req->method, "GET") != 0) {
        curl_easy_setopt(s3->curl, CURLOPT_CUSTOMREQUEST, req->method);
    }

    req->status = 0;
    req->in_error = 0;
    req->errbody.len = 0;
    req->sink_rc = ICETAP_OK;

    *cc = curl_easy_perform(s3->curl);

    curl_easy_getinfo(s3->curl, CURLINFO_RESPONSE_CODE, &req->status);

    rc = ICETAP_OK;

failed:

    if (rc == ICETAP_NOMEM) {
        icetap_error_set(err, rc, "no memory for an S3 request");
    }

    curl_slist_free_all(list);
    icetap_free(url);
    icetap_buf_free(&path);
    icetap_buf_free(&auth);

    return rc;
}


static icetap_rc
icetap_s3_error_xml(void *ctx, const char **path, int depth,
    const char *text, size_t len)
{
    icetap_s3_error_t  *e = ctx;

    if (depth < 2) {
        return ICETAP_OK;
    }

    /* <Error><Code> or, in a batch delete, <DeleteResult><Error><Code> */

    if (strcmp(path[depth - 2], "Error") != 0) {
        return ICETAP_OK;
    }

    if (strcmp(path[depth - 1], "Code") == 0 && e->code[0] == '\0') {
        snprintf(e->code, sizeof(e->code), "%.*s", (int) len, text);

    } else if (strcmp(path[depth - 1], "Message") == 0
               && e->message[0] == '\0')
    {
        snprintf(e->message, sizeof(e->message), "%.*s", (int) len, text);

    } else if (strcmp(path[depth - 1], "RequestId") == 0) {
        snprintf(e->request_id, sizeof(e->request_id), "%.*s", (int) len,
                 text);

    } else if (strcmp(path[depth - 1], "Key") == 0 && e->key[0] == '\0') {
        snprintf(e->key, sizeof(e->key), "%.*s", (int) len, text);
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_s3_code_rc(long status, const char *code)
{
    if (strcmp(code, "NoSuchKey") == 0 || strcmp(code, "NoSuchBucket") == 0
        || strcmp(code, "NoSuchUpload") == 0 || status == 404)
    {
        return ICETAP_NOTFOUND;
    }

    if (status == 412 || status == 409
        || strcmp(code, "PreconditionFailed") == 0
        || strcmp(code, "ConditionalRequestConflict") == 0)
    {
        return ICETAP_CONFLICT;
    }

    if (status == 503 || status == 429 || status >= 500
        || strcmp(code, "SlowDown") == 0 || strcmp(code, "Throttling") == 0
        || strcmp(code, "RequestTimeout") == 0
        || strcmp(code, "InternalError") == 0)
    {
        return ICETAP_AGAIN;
    }

    if (status == 400 || status == 416 || status == 411) {
        return ICETAP_INVALID;
    }

    return ICETAP_ERROR;
}


static icetap_rc
icetap_s3_fail(icetap_store_s3_t *s3, icetap_s3_req_t *req,
    icetap_error_t *err)
{
    icetap_rc          rc;
    icetap_s3_error_t  e;

    memset(&e, 0, sizeof(e));

    if (req->errbody.len > 0) {
        (void) icetap_s3_xml_parse((char *) req->errbody.data,
                                   req->errbody.len, icetap_s3_error_xml, &e,
                                   NULL, 0, NULL);
    }

    if (e.code[0] == '\0') {
        /* HEAD responses carry no body */

        snprintf(e.code, sizeof(e.code), "%s",
                 req->status == 404 ? (req->key ? "NoSuchKey"
                                                : "NoSuchBucket")
                 : req->status == 412 ? "PreconditionFailed"
                 : req->status == 403 ? "AccessDenied"
                 : req->status == 503 ? "ServiceUnavailable"
                 : "UnknownError");
    }

    rc = icetap_s3_code_rc(req->status, e.code);

    icetap_error_set(err, rc, "%s s3://%s/%s: %ld %s%s%s", req->method,
                     s3->bucket, req->key ? req->key : "", req->status,
                     e.code, e.message[0] ? ": " : "", e.message);

    if (err != NULL) {
        err->http_status = (int) req->status;
        snprintf(err->store_code, sizeof(err->store_code), "%s", e.code);
        snprintf(err->request_id, sizeof(err->request_id), "%s",
                 req->request_id[0] ? req->request_id : e.request_id);
    }

    return rc;
}


static void
icetap_s3_backoff(icetap_store_s3_t *s3, unsigned attempt)
{
    uint64_t         ms, half;
    struct timespec  ts;

    ms = (uint64_t) s3->retry_base_ms << icetap_min(attempt, 20);
    ms = icetap_min(ms, s3->retry_max_ms);

    /* "equal jitter": at least half the delay, at random up to all of it */

    s3->rng ^= s3->rng << 13;
    s3->rng ^= s3->rng >> 7;
    s3->rng ^= s3->rng << 17;

    half = ms / 2;
    ms = half + (half ? s3->rng % (half + 1) : 0);

    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long) (ms % 1000) * 1000000;

    while (nanosleep(&ts, &ts) != 0) {
        /* interrupted: sleep the rest */
    }
}


static icetap_rc
icetap_s3_request(icetap_store_s3_t *s3, icetap_s3_req_t *req,
    icetap_error_t *err)
{
    int        retryable;
    unsigned   attempt;
    CURLcode   cc;
    icetap_rc  rc;

    req->content_length = -1;
    req->range_total = -1;

    for (attempt = 0; ; attempt++) {
        cc = CURLE_OK;

        rc = icetap_s3_attempt(s3, req, &cc, err);
        if (rc != ICETAP_OK) {
            break;
        }

        if (cc == CURLE_WRITE_ERROR && req->sink_rc != ICETAP_OK) {
            rc = req->sink_rc;

            if (err != NULL && err->code == ICETAP_OK) {
                icetap_error_set(err, rc, "%s s3://%s/%s: aborted by the "
                                 "consumer", req->method, s3->bucket,
                                 req->key ? req->key : "");
            }

            break;
        }

        if (cc != CURLE_OK) {
            retryable = cc != CURLE_URL_MALFORMAT
                        && cc != CURLE_UNSUPPORTED_PROTOCOL
                        && cc != CURLE_OUT_OF_MEMORY;

            rc = icetap_error_set(err, cc == CURLE_OUT_OF_MEMORY
                                  ? ICETAP_NOMEM : ICETAP_IO,
                                  "%s s3://%s/%s: %s (attempt %u of %u)",
                                  req->method, s3->bucket,
                                  req->key ? req->key : "",
                                  curl_easy_strerror(cc), attempt + 1,
                                  s3->max_retries + 1);

        } else if (req->status >= 200 && req->status < 300
                   && !req->in_error)
        {
            return ICETAP_OK;

        } else {
            rc = icetap_s3_fail(s3, req, err);
            retryable = rc == ICETAP_AGAIN;

            /* a resumed GET whose object changed cannot go on */

            if (req->delivered > 0 && req->status == 412) {
                rc = icetap_error_set(err, ICETAP_CONFLICT,
                                      "GET s3://%s/%s: the object changed "
                                      "while being read", s3->bucket,
                                      req->key);
                retryable = 0;
            }
        }

        if (!retryable || attempt >= s3->max_retries) {
            break;
        }

        icetap_s3_backoff(s3, attempt);
    }

    /* what an error response said about "the object" is not kept */

    if (req->obj != NULL) {
        icetap_store_obj_free(req->obj);
    }

    return rc;
}


/* operations */


static icetap_rc
icetap_s3_get(icetap_store_t *s, const char *key, int64_t offset,
    int64_t length, icetap_store_sink_pt sink, void *ctx,
    icetap_store_obj_t *obj, icetap_error_t *err)
{
    icetap_rc           rc;
    icetap_s3_req_t     req;
    icetap_store_obj_t  local;
    icetap_store_s3_t  *s3 = (icetap_store_s3_t *) s;

    if (length == 0) {
        /* S3 cannot express an empty range */

        rc = icetap_s3_head(s, key, obj ? obj : &local, err);

        if (rc == ICETAP_OK && offset >= (obj ? obj : &local)->size) {
            rc = icetap_error_set(err, ICETAP_INVALID, "range %" PRId64
                                  "+0 outside \"%s\"", offset, key);
        }

        if (obj == NULL) {
            icetap_store_obj_free(&local);
        }

        return rc;
    }

    memset(&req, 0, sizeof(req));
    icetap_store_obj_init(&local);

    req.method = "GET";
    req.key = key;
    req.sink = sink;
    req.sink_ctx = ctx;
    req.obj = obj ? obj : &local;
    req.ranged = offset != 0 || length != -1;
    req.range_off = offset;
    req.range_len = length;

    icetap_store_obj_init(req.obj);

    rc = icetap_s3_request(s3, &req, err);

    if (rc == ICETAP_OK) {
        if (req.got_range) {
            req.obj->size = req.range_total;

        } else if (req.ranged && req.delivered == 0 && offset != 0) {
            rc = icetap_error_set(err, ICETAP_IO, "GET s3://%s/%s: the "
                                  "store ignored the Range header",
                                  s3->bucket, key);

        } else {
            req.obj->size = req.content_length;
        }
    }

    icetap_buf_free(&req.errbody);
    icetap_store_obj_free(&local);

    return rc;
}


static icetap_rc
icetap_s3_head(icetap_store_t *s, const char *key, icetap_store_obj_t *obj,
    icetap_error_t *err)
{
    icetap_rc           rc;
    icetap_s3_req_t     req;
    icetap_store_s3_t  *s3 = (icetap_store_s3_t *) s;

    memset(&req, 0, sizeof(req));
    req.method = "HEAD";
    req.key = key;
    req.obj = obj;

    icetap_store_obj_init(obj);

    rc = icetap_s3_request(s3, &req, err);

    if (rc == ICETAP_OK) {
        obj->size = req.content_length;
    }

    icetap_buf_free(&req.errbody);

    return rc;
}


/* put */


typedef struct {
    char        etag[ICETAP_STORE_ETAG_LEN];
    char        upload_id[1024];
    int         error;
    char        code[64];
} icetap_s3_mpu_xml_t;


static icetap_rc
icetap_s3_mpu_xml(void *ctx, const char **path, int depth, const char *text,
    size_t len)
{
    icetap_s3_mpu_xml_t  *m = ctx;

    if (depth == 2 && strcmp(path[1], "UploadId") == 0) {
        snprintf(m->upload_id, sizeof(m->upload_id), "%.*s", (int) len,
                 text);

    } else if (depth == 2 && strcmp(path[1], "ETag") == 0) {
        snprintf(m->etag, sizeof(m->etag), "%.*s", (int) len, text);

    } else if (depth == 2 && strcmp(path[0], "Error") == 0
               && strcmp(path[1], "Code") == 0)
    {
        m->error = 1;
        snprintf(m->code, sizeof(m->code), "%.*s", (int) len, text);
    }

    return ICETAP_OK;
}


static size_t
icetap_s3_put_headers(const icetap_store_put_opts_t *opts, int conditions,
    const char **hdr, size_t max, icetap_buf_t *names)
{
    size_t  i, n, off;

    n = 0;

    if (opts->content_type != NULL) {
        hdr[2 * n] = "content-type";
        hdr[2 * n++ + 1] = opts->content_type;
    }

    if (conditions && opts->if_none_match) {
        hdr[2 * n] = "if-none-match";
        hdr[2 * n++ + 1] = "*";
    }

    if (conditions && opts->if_match != NULL) {
        hdr[2 * n] = "if-match";
        hdr[2 * n++ + 1] = opts->if_match;
    }

    /* x-amz-meta-<name>: names are built in one buffer, then pointed to */

    names->len = 0;

    for (i = 0; i < opts->nmeta && n < max; i++) {
        if (icetap_buf_append(names, "x-amz-meta-", 11) != ICETAP_OK
            || icetap_buf_append(names, opts->meta[i].name,
                                 strlen(opts->meta[i].name) + 1)
               != ICETAP_OK)
        {
            return (size_t) -1;
        }
    }

    off = 0;

    for (i = 0; i < opts->nmeta && n < max; i++) {
        hdr[2 * n] = (char *) names->data + off;
        hdr[2 * n++ + 1] = opts->meta[i].value;
        off += strlen((char *) names->data + off) + 1;
    }

    return i < opts->nmeta ? (size_t) -1 : n;
}


static icetap_rc
icetap_s3_fill(icetap_store_source_t *src, uint8_t *buf, size_t size,
    size_t *n, int *eof, const char *key, icetap_error_t *err)
{
    size_t     got;
    icetap_rc  rc;

    *n = 0;

    while (*n < size) {
        got = 0;

        rc = src->read(src->ctx, buf + *n, size - *n, &got);
        if (rc != ICETAP_OK) {
            if (err != NULL && err->code == ICETAP_OK) {
                icetap_error_set(err, rc, "source of \"%s\" failed", key);
            }

            return rc;
        }

        if (got == 0) {
            *eof = 1;
            break;
        }

        *n += got;
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_s3_put_part(icetap_store_s3_t *s3, const char *key,
    const char *upload_id, size_t number, const uint8_t *data, size_t len,
    char *etag, icetap_error_t *err)
{
    char                num[16];
    icetap_rc           rc;
    icetap_buf_t        q;
    icetap_s3_req_t     req;
    icetap_store_obj_t  obj;

    memset(&q, 0, sizeof(q));
    icetap_store_obj_init(&obj);
    snprintf(num, sizeof(num), "%zu", number);

    if (icetap_s3_query_add(&q, "partNumber", num) != ICETAP_OK
        || icetap_s3_query_add(&q, "uploadId", upload_id) != ICETAP_OK
        || icetap_buf_putc(&q, '\0') != ICETAP_OK)
    {
        icetap_buf_free(&q);
        return icetap_error_set(err, ICETAP_NOMEM, "no memory");
    }

    memset(&req, 0, sizeof(req));
    req.method = "PUT";
    req.key = key;
    req.query = (char *) q.data;
    req.body = data;
    req.body_len = len;
    req.obj = &obj;

    rc = icetap_s3_request(s3, &req, err);

    if (rc == ICETAP_OK) {
        if (obj.etag[0] == '\0') {
            rc = icetap_error_set(err, ICETAP_IO, "UploadPart %zu of \"%s\" "
                                  "returned no ETag", number, key);
        }

        snprintf(etag, ICETAP_STORE_ETAG_LEN, "%s", obj.etag);
    }

    icetap_buf_free(&req.errbody);
    icetap_buf_free(&q);
    icetap_store_obj_free(&obj);

    return rc;
}


static void
icetap_s3_abort(icetap_store_s3_t *s3, const char *key,
    const char *upload_id)
{
    icetap_buf_t     q;
    icetap_error_t   err;
    icetap_s3_req_t  req;

    memset(&q, 0, sizeof(q));

    if (icetap_s3_query_add(&q, "uploadId", upload_id) != ICETAP_OK
        || icetap_buf_putc(&q, '\0') != ICETAP_OK)
    {
        icetap_buf_free(&q);
        return;
    }

    memset(&req, 0, sizeof(req));
    req.method = "DELETE";
    req.key = key;
    req.query = (char *) q.data;

    /* best effort: a lifecycle rule cleans up what this misses */

    (void) icetap_s3_request(s3, &req, &err);

    icetap_buf_free(&req.errbody);
    icetap_buf_free(&q);
}


static icetap_rc
icetap_s3_put(icetap_store_t *s, const char *key, icetap_store_source_t *src,
    const icetap_store_put_opts_t *opts, char *etag, icetap_error_t *err)
{
    int                   eof;
    char                  num[24];
    size_t                n, got, cap, nparts, len, i;
    uint8_t              *buf;
    icetap_rc             rc;
    icetap_buf_t          resp, names, xml, q;
    icetap_s3_req_t       req;
    icetap_store_obj_t    obj;
    icetap_s3_mpu_xml_t   m;
    icetap_store_s3_t    *s3 = (icetap_store_s3_t *) s;
    char                (*etags)[ICETAP_STORE_ETAG_LEN], (*ne)[128];

    memset(&resp, 0, sizeof(resp));
    memset(&names, 0, sizeof(names));
    memset(&xml, 0, sizeof(xml));
    memset(&q, 0, sizeof(q));
    memset(&m, 0, sizeof(m));
    icetap_store_obj_init(&obj);
    etags = NULL;
    nparts = 0;
    eof = 0;

    /*
     * Up to threshold + 1 bytes: a source that ends within the threshold
     * is one PUT, anything longer a multipart upload whose parts are cut
     * from the same buffer.
     */

    cap = s3->threshold + 1;

    if (src->size >= 0 && (uint64_t) src->size < s3->threshold) {
        cap = (size_t) src->size + 1;
    }

    buf = icetap_alloc(cap);
    if (buf == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "no memory for a %zu "
                                "byte upload buffer", cap);
    }

    rc = icetap_s3_fill(src, buf, cap, &n, &eof, key, err);
    if (rc != ICETAP_OK) {
        goto done;
    }

    memset(&req, 0, sizeof(req));
    req.key = key;

    if (eof && n <= s3->threshold) {
        req.method = "PUT";
        req.body = buf;
        req.body_len = n;
        req.obj = &obj;
        req.nhdr = icetap_s3_put_headers(opts, 1, req.hdr, 8, &names);

        if (req.nhdr == (size_t) -1) {
            rc = icetap_error_set(err, ICETAP_INVALID, "too much metadata "
                                  "on \"%s\"", key);
            goto done;
        }

        rc = icetap_s3_request(s3, &req, err);
        icetap_buf_free(&req.errbody);

        if (rc == ICETAP_OK && etag != NULL) {
            snprintf(etag, ICETAP_STORE_ETAG_LEN, "%s", obj.etag);
        }

        goto done;
    }

    if (cap < s3->threshold + 1) {
        /* the source is longer than it said: grow to the full buffer */

        uint8_t  *nb = icetap_realloc(buf, s3->threshold + 1);

        if (nb == NULL) {
            rc = icetap_error_set(err, ICETAP_NOMEM, "no memory");
            goto done;
        }

        buf = nb;
        cap = s3->threshold + 1;
    }

    /* multipart: metadata on the creation, conditions on the completion */

    req.method = "POST";
    req.query = "uploads";
    req.resp = &resp;
    req.nhdr = icetap_s3_put_headers(opts, 0, req.hdr, 8, &names);

    if (req.nhdr == (size_t) -1) {
        rc = icetap_error_set(err, ICETAP_INVALID, "too much metadata on "
                              "\"%s\"", key);
        goto done;
    }

    rc = icetap_s3_request(s3, &req, err);
    icetap_buf_free(&req.errbody);

    if (rc != ICETAP_OK) {
        goto done;
    }

    if (icetap_s3_xml_parse((char *) resp.data, resp.len, icetap_s3_mpu_xml,
                            &m, NULL, 0, err) != ICETAP_OK
        || m.upload_id[0] == '\0')
    {
        rc = icetap_error_set(err, ICETAP_IO, "CreateMultipartUpload of "
                              "\"%s\" returned no UploadId", key);
        m.upload_id[0] = '\0';
        goto done;
    }

    for ( ;; ) {
        if (!eof && n < s3->part_size + 1) {
            rc = icetap_s3_fill(src, buf + n, cap - n, &got, &eof, key, err);
            if (rc != ICETAP_OK) {
                goto done;
            }

            n += got;
        }

        if (n == 0) {
            break;
        }

        len = (eof && n <= s3->part_size) ? n : s3->part_size;

        if (nparts == ICETAP_S3_MAX_PARTS) {
            rc = icetap_error_set(err, ICETAP_INVALID, "\"%s\" needs more "
                                  "than %d parts of %zu bytes", key,
                                  ICETAP_S3_MAX_PARTS, s3->part_size);
            goto done;
        }

        ne = icetap_realloc(etags, (nparts + 1) * sizeof(*etags));
        if (ne == NULL) {
            rc = icetap_error_set(err, ICETAP_NOMEM, "no memory");
            goto done;
        }

        etags = ne;

        rc = icetap_s3_put_part(s3, key, m.upload_id, nparts + 1, buf, len,
                                etags[nparts], err);
        if (rc != ICETAP_OK) {
            goto done;
        }

        nparts++;
        memmove(buf, buf + len, n - len);
        n -= len;

        if (eof && n == 0) {
            break;
        }
    }

    if (icetap_buf_append(&xml, "<CompleteMultipartUpload>", 25)
        != ICETAP_OK)
    {
        rc = icetap_error_set(err, ICETAP_NOMEM, "no memory");
        goto done;
    }

    for (i = 0; i < nparts; i++) {
        snprintf(num, sizeof(num), "%u", (unsigned) (i + 1));

        if (icetap_buf_append(&xml, "<Part><PartNumber>", 18) != ICETAP_OK
            || icetap_buf_append(&xml, num, strlen(num)) != ICETAP_OK
            || icetap_buf_append(&xml, "</PartNumber><ETag>", 19)
               != ICETAP_OK
            || icetap_s3_xml_escape(&xml, etags[i]) != ICETAP_OK
            || icetap_buf_append(&xml, "</ETag></Part>", 14) != ICETAP_OK)
        {
            rc = icetap_error_set(err, ICETAP_NOMEM, "no memory");
            goto done;
        }
    }

    if (icetap_buf_append(&xml, "</CompleteMultipartUpload>", 26)
        != ICETAP_OK
        || icetap_s3_query_add(&q, "uploadId", m.upload_id) != ICETAP_OK
        || icetap_buf_putc(&q, '\0') != ICETAP_OK)
    {
        rc = icetap_error_set(err, ICETAP_NOMEM, "no memory");
        goto done;
    }

    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.key = key;
    req.query = (char *) q.data;
    req.body = xml.data;
    req.body_len = xml.len;
    req.resp = &resp;
    req.nhdr = icetap_s3_put_headers(opts, 1, req.hdr, 8, &names);
    resp.len = 0;

    /* only the conditions: metadata went with the creation */

    req.nhdr -= opts->nmeta + (opts->content_type != NULL);
    if (opts->content_type != NULL) {
        memmove(req.hdr, req.hdr + 2, 2 * req.nhdr * sizeof(char *));
    }

    rc = icetap_s3_request(s3, &req, err);
    icetap_buf_free(&req.errbody);

    if (rc != ICETAP_OK) {
        goto done;
    }

    /* a 200 can still carry an <Error> */

    memset(m.etag, 0, sizeof(m.etag));

    if (icetap_s3_xml_parse((char *) resp.data, resp.len, icetap_s3_mpu_xml,
                            &m, NULL, 0, err) != ICETAP_OK
        || m.error)
    {
        rc = icetap_error_set(err, ICETAP_IO, "CompleteMultipartUpload of "
                              "\"%s\" failed: %s", key,
                              m.error ? m.code : "unreadable response");
        if (err != NULL && m.error) {
            snprintf(err->store_code, sizeof(err->store_code), "%s", m.code);
        }

        goto done;
    }

    if (etag != NULL) {
        snprintf(etag, ICETAP_STORE_ETAG_LEN, "%s", m.etag);
    }

    m.upload_id[0] = '\0';
    rc = ICETAP_OK;

done:

    if (rc != ICETAP_OK && m.upload_id[0] != '\0') {
        icetap_s3_abort(s3, key, m.upload_id);
    }

    icetap_free(buf);
    icetap_free(etags);
    icetap_buf_free(&resp);
    icetap_buf_free(&names);
    icetap_buf_free(&xml);
    icetap_buf_free(&q);
    icetap_store_obj_free(&obj);

    return rc;
}


/* list */


typedef struct {
    icetap_store_entry_t   *entries;
    size_t                  nentries;
    size_t                  cap;
    char                  **prefixes;
    size_t                  nprefixes;
    size_t                  pcap;
    char                   *next;
    int                     truncated;
    icetap_rc               rc;
} icetap_s3_list_xml_t;


static icetap_rc
icetap_s3_list_xml(void *ctx, const char **path, int depth, const char *text,
    size_t len)
{
    void                   *p;
    icetap_s3_list_xml_t   *l = ctx;
    icetap_store_entry_t   *e;

    if (depth == 2 && strcmp(path[1], "IsTruncated") == 0) {
        l->truncated = len == 4 && strncmp(text, "true", 4) == 0;
        return ICETAP_OK;
    }

    if (depth == 2 && strcmp(path[1], "NextContinuationToken") == 0) {
        icetap_free(l->next);
        l->next = icetap_strndup(text, len);
        return l->next ? ICETAP_OK : ICETAP_NOMEM;
    }

    if (depth == 3 && strcmp(path[1], "CommonPrefixes") == 0
        && strcmp(path[2], "Prefix") == 0)
    {
        if (l->nprefixes == l->pcap) {
            l->pcap = l->pcap ? 2 * l->pcap : 64;
            p = icetap_realloc(l->prefixes, l->pcap * sizeof(char *));
            if (p == NULL) {
                return ICETAP_NOMEM;
            }

            l->prefixes = p;
        }

        l->prefixes[l->nprefixes] = icetap_strndup(text, len);
        if (l->prefixes[l->nprefixes] == NULL) {
            return ICETAP_NOMEM;
        }

        l->nprefixes++;

        return ICETAP_OK;
    }

    if (depth == 2 && strcmp(path[1], "Contents") == 0) {
        /* the entry was filled by its children; close it */

        l->nentries++;
        return ICETAP_OK;
    }

    if (depth != 3 || strcmp(path[1], "Contents") != 0) {
        return ICETAP_OK;
    }

    if (l->nentries == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 256;
        p = icetap_realloc(l->entries, l->cap * sizeof(icetap_store_entry_t));
        if (p == NULL) {
            return ICETAP_NOMEM;
        }

        l->entries = p;
        memset(&l->entries[l->nentries], 0,
               (l->cap - l->nentries) * sizeof(icetap_store_entry_t));
    }

    e = &l->entries[l->nentries];

    if (strcmp(path[2], "Key") == 0) {
        icetap_free((char *) e->key);
        e->key = icetap_strndup(text, len);
        return e->key ? ICETAP_OK : ICETAP_NOMEM;
    }

    if (strcmp(path[2], "ETag") == 0) {
        icetap_free((char *) e->etag);
        e->etag = icetap_strndup(text, len);
        return e->etag ? ICETAP_OK : ICETAP_NOMEM;
    }

    if (strcmp(path[2], "Size") == 0) {
        e->size = strtoll(text, NULL, 10);

    } else if (strcmp(path[2], "LastModified") == 0) {
        e->last_modified = icetap_s3_parse_iso8601(text, len);
    }

    return ICETAP_OK;
}


static void
icetap_s3_list_reset(icetap_s3_list_xml_t *l)
{
    size_t  i;

    for (i = 0; i < l->cap; i++) {
        icetap_free((char *) l->entries[i].key);
        icetap_free((char *) l->entries[i].etag);
    }

    if (l->cap) {
        memset(l->entries, 0, l->cap * sizeof(icetap_store_entry_t));
    }

    l->nentries = 0;

    for (i = 0; i < l->nprefixes; i++) {
        icetap_free(l->prefixes[i]);
    }

    l->nprefixes = 0;
    l->truncated = 0;
}


static icetap_rc
icetap_s3_query_add(icetap_buf_t *q, const char *name, const char *value)
{
    if ((q->len && icetap_buf_putc(q, '&') != ICETAP_OK)
        || icetap_buf_append(q, name, strlen(name)) != ICETAP_OK
        || icetap_buf_putc(q, '=') != ICETAP_OK
        || icetap_sigv4_uri_encode(q, value, strlen(value), 0) != ICETAP_OK)
    {
        return ICETAP_NOMEM;
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_s3_list(icetap_store_t *s, const icetap_store_list_opts_t *opts,
    icetap_store_page_pt page_cb, void *ctx, icetap_error_t *err)
{
    int                    first;
    char                   num[16], *token;
    icetap_rc              rc;
    icetap_buf_t           q, resp;
    icetap_s3_req_t        req;
    icetap_store_page_t    page;
    icetap_s3_list_xml_t   l;
    icetap_store_s3_t     *s3 = (icetap_store_s3_t *) s;

    memset(&l, 0, sizeof(l));
    memset(&q, 0, sizeof(q));
    memset(&resp, 0, sizeof(resp));

    token = opts->continuation ? icetap_s3_strdup(opts->continuation) : NULL;
    first = 1;

    if (opts->continuation != NULL && token == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "no memory");
    }

    for ( ;; ) {
        q.len = 0;
        resp.len = 0;
        rc = ICETAP_NOMEM;

        /* parameters in the order they sort: the URL is then canonical */

        if ((token != NULL
             && icetap_s3_query_add(&q, "continuation-token", token)
                != ICETAP_OK)
            || (opts->delimiter != NULL
                && icetap_s3_query_add(&q, "delimiter", opts->delimiter)
                   != ICETAP_OK)
            || icetap_s3_query_add(&q, "list-type", "2") != ICETAP_OK)
        {
            goto done;
        }

        if (opts->max_keys) {
            snprintf(num, sizeof(num), "%u", opts->max_keys);

            if (icetap_s3_query_add(&q, "max-keys", num) != ICETAP_OK) {
                goto done;
            }
        }

        if ((opts->prefix != NULL
             && icetap_s3_query_add(&q, "prefix", opts->prefix) != ICETAP_OK)
            || (first && opts->start_after != NULL && token == NULL
                && icetap_s3_query_add(&q, "start-after", opts->start_after)
                   != ICETAP_OK)
            || icetap_buf_putc(&q, '\0') != ICETAP_OK)
        {
            goto done;
        }

        memset(&req, 0, sizeof(req));
        req.method = "GET";
        req.query = (char *) q.data;
        req.resp = &resp;

        rc = icetap_s3_request(s3, &req, err);
        icetap_buf_free(&req.errbody);

        if (rc != ICETAP_OK) {
            goto done;
        }

        icetap_s3_list_reset(&l);

        rc = icetap_s3_xml_parse((char *) resp.data, resp.len,
                                 icetap_s3_list_xml, &l, NULL, 0, err);
        if (rc != ICETAP_OK) {
            goto done;
        }

        icetap_free(token);
        token = NULL;

        if (l.truncated) {
            if (l.next == NULL) {
                rc = icetap_error_set(err, ICETAP_IO, "truncated listing of "
                                      "s3://%s without a continuation "
                                      "token", s3->bucket);
                goto done;
            }

            token = l.next;
            l.next = NULL;
        }

        page.entries = l.entries;
        page.nentries = l.nentries;
        page.prefixes = (const char *const *) l.prefixes;
        page.nprefixes = l.nprefixes;
        page.next = token;

        rc = page_cb(ctx, &page);

        if (rc == ICETAP_EOF) {
            rc = ICETAP_OK;
            break;
        }

        if (rc != ICETAP_OK) {
            if (err != NULL && err->code == ICETAP_OK) {
                icetap_error_set(err, rc, "listing aborted by the consumer");
            }

            break;
        }

        if (token == NULL) {
            break;
        }

        first = 0;
    }

done:

    if (l.cap || l.nprefixes) {
        icetap_s3_list_reset(&l);
    }

    icetap_free(l.entries);
    icetap_free(l.prefixes);
    icetap_free(l.next);
    icetap_free(token);
    icetap_buf_free(&q);
    icetap_buf_free(&resp);

    return rc;
}


/* delete */


static icetap_rc
icetap_s3_del(icetap_store_t *s, const char *key, icetap_error_t *err)
{
    icetap_rc           rc;
    icetap_s3_req_t     req;
    icetap_store_s3_t  *s3 = (icetap_store_s3_t *) s;

    memset(&req, 0, sizeof(req));
    req.method = "DELETE";
    req.key = key;

    rc = icetap_s3_request(s3, &req, err);
    icetap_buf_free(&req.errbody);

    return rc;
}


static icetap_rc
icetap_s3_del_batch(icetap_store_t *s, const char *const *keys, size_t n,
    icetap_error_t *err)
{
    char                md5b64[32];
    size_t              i, end;
    uint8_t             md5[16];
    icetap_rc           rc;
    icetap_buf_t        body, resp;
    icetap_s3_req_t     req;
    icetap_s3_error_t   e;
    icetap_store_s3_t  *s3 = (icetap_store_s3_t *) s;

    memset(&body, 0, sizeof(body));
    memset(&resp, 0, sizeof(resp));
    rc = ICETAP_OK;

    for (i = 0; i < n; i = end) {
        end = icetap_min(n, i + ICETAP_S3_DELETE_BATCH);
        body.len = 0;
        resp.len = 0;

        if (icetap_buf_append(&body, "<Delete><Quiet>true</Quiet>", 27)
            != ICETAP_OK)
        {
            rc = ICETAP_NOMEM;
            break;
        }

        for ( /* void */ ; i < end; i++) {
            if (icetap_buf_append(&body, "<Object><Key>", 13) != ICETAP_OK
                || icetap_s3_xml_escape(&body, keys[i]) != ICETAP_OK
                || icetap_buf_append(&body, "</Key></Object>", 15)
                   != ICETAP_OK)
            {
                rc = ICETAP_NOMEM;
                break;
            }
        }

        if (rc != ICETAP_OK
            || icetap_buf_append(&body, "</Delete>", 9) != ICETAP_OK)
        {
            rc = ICETAP_NOMEM;
            break;
        }

        icetap_md5(body.data, body.len, md5);
        icetap_base64_encode(md5, 16, md5b64);

        memset(&req, 0, sizeof(req));
        req.method = "POST";
        req.query = "delete";
        req.body = body.data;
        req.body_len = body.len;
        req.content_md5 = md5b64;
        req.resp = &resp;

        rc = icetap_s3_request(s3, &req, err);
        icetap_buf_free(&req.errbody);

        if (rc != ICETAP_OK) {
            break;
        }

        /* quiet mode: only failures are listed */

        memset(&e, 0, sizeof(e));

        rc = icetap_s3_xml_parse((char *) resp.data, resp.len,
                                 icetap_s3_error_xml, &e, NULL, 0, err);
        if (rc != ICETAP_OK) {
            break;
        }

        if (e.code[0] != '\0') {
            rc = icetap_error_set(err, ICETAP_IO, "batch delete in s3://%s: "
                                  "\"%s\": %s: %s", s3->bucket, e.key,
                                  e.code, e.message);
            if (err != NULL) {
                snprintf(err->store_code, sizeof(err->store_code), "%s",
                         e.code);
            }

            break;
        }
    }

    if (rc == ICETAP_NOMEM && err != NULL && err->code == ICETAP_OK) {
        icetap_error_set(err, rc, "no memory");
    }

    icetap_buf_free(&body);
    icetap_buf_free(&resp);

    return rc;
}


icetap_rc
icetap_store_s3_create_bucket(icetap_store_t *s, icetap_error_t *err)
{
    char                body[256];
    icetap_rc           rc;
    icetap_s3_req_t     req;
    icetap_store_s3_t  *s3 = (icetap_store_s3_t *) s;

    if (s->ops != &icetap_store_s3_ops) {
        return icetap_error_set(err, ICETAP_INVALID, "not an S3 store");
    }

    memset(&req, 0, sizeof(req));
    req.method = "PUT";

    if (strcmp(s3->region, "us-east-1") != 0) {
        snprintf(body, sizeof(body), "<CreateBucketConfiguration>"
                 "<LocationConstraint>%s</LocationConstraint>"
                 "</CreateBucketConfiguration>", s3->region);
        req.body = (uint8_t *) body;
        req.body_len = strlen(body);
    }

    rc = icetap_s3_request(s3, &req, err);
    icetap_buf_free(&req.errbody);

    if (rc != ICETAP_OK && err != NULL
        && strcmp(err->store_code, "BucketAlreadyOwnedByYou") == 0)
    {
        icetap_error_clear(err);
        rc = ICETAP_OK;
    }

    return rc;
}


/* versions: HEAD ?versionId= and GetObjectTagging */


static int
icetap_s3_version_header(icetap_store_s3_head_t *h, const char *name,
    size_t nlen, const char *v, size_t vlen)
{
    char  *p;

#define is_amz(n)                                                            \
    (nlen == sizeof(n) - 1 && strncasecmp(name, n, nlen) == 0)
#define keep(field)                                                          \
    snprintf(h->field, sizeof(h->field), "%.*s", (int) vlen, v)

    if (is_amz("version-id")) {
        keep(version_id);

    } else if (is_amz("storage-class")) {
        keep(storage_class);

    } else if (is_amz("server-side-encryption")) {
        keep(encryption);

    } else if (is_amz("server-side-encryption-customer-algorithm")) {
        keep(sse_customer);

    } else if (is_amz("server-side-encryption-aws-kms-key-id")) {
        keep(kms_key_arn);

    } else if (is_amz("server-side-encryption-bucket-key-enabled")) {
        h->bucket_key = vlen == 4 && strncasecmp(v, "true", 4) == 0;

    } else if (is_amz("delete-marker")) {
        h->delete_marker = vlen == 4 && strncasecmp(v, "true", 4) == 0;

    } else if (is_amz("mp-parts-count")) {
        h->parts = strtoll(v, NULL, 10);

    } else if (nlen > 9 && strncasecmp(name, "checksum-", 9) == 0
               && !(nlen == 13 && strncasecmp(name + 9, "type", 4) == 0))
    {
        /* x-amz-checksum-crc32c: ...; the algorithm is the suffix */

        snprintf(h->checksum_algorithm, sizeof(h->checksum_algorithm),
                 "%.*s", (int) (nlen - 9), name + 9);

        for (p = h->checksum_algorithm; *p; p++) {
            *p = (char) toupper((unsigned char) *p);
        }

    } else {
        return 0;
    }

#undef is_amz
#undef keep

    return 1;
}


icetap_rc
icetap_store_s3_head_version(icetap_store_t *s, const char *key,
    const char *version_id, icetap_store_s3_head_t *h, icetap_error_t *err)
{
    icetap_rc           rc;
    icetap_buf_t        q;
    icetap_s3_req_t     req;
    icetap_store_s3_t  *s3 = (icetap_store_s3_t *) s;

    if (s->ops != &icetap_store_s3_ops) {
        return icetap_error_set(err, ICETAP_UNSUPPORTED,
                                "version HEAD needs an S3 store");
    }

    memset(h, 0, sizeof(icetap_store_s3_head_t));
    memset(&q, 0, sizeof(q));
    icetap_store_obj_init(&h->obj);

    if (version_id != NULL && version_id[0] != '\0'
        && (icetap_s3_query_add(&q, "versionId", version_id) != ICETAP_OK
            || icetap_buf_putc(&q, '\0') != ICETAP_OK))
    {
        icetap_buf_free(&q);
        return icetap_error_set(err, ICETAP_NOMEM, "no memory");
    }

    memset(&req, 0, sizeof(req));
    req.method = "HEAD";
    req.key = key;
    req.query = (char *) q.data;
    req.obj = &h->obj;
    req.vh = h;

    /* the checksum headers come only when asked for */
    req.hdr[0] = "x-amz-checksum-mode";
    req.hdr[1] = "ENABLED";
    req.nhdr = 1;

    rc = icetap_s3_request(s3, &req, err);

    if (rc == ICETAP_OK) {
        h->obj.size = req.content_length;

    } else if (req.status == 405 && h->delete_marker) {
        /* HEAD of a delete marker by version id */
        rc = icetap_error_set(err, ICETAP_NOTFOUND, "HEAD s3://%s/%s: a "
                              "delete marker", s3->bucket, key);
    }

    icetap_buf_free(&req.errbody);
    icetap_buf_free(&q);

    return rc;
}


void
icetap_store_s3_head_free(icetap_store_s3_head_t *h)
{
    icetap_store_obj_free(&h->obj);
}


typedef struct {
    icetap_store_kv_t      *kv;
    size_t                  n;
    size_t                  cap;
    char                   *key;
    int                     has_key;
} icetap_s3_tags_xml_t;


static icetap_rc
icetap_s3_tags_xml(void *ctx, const char **path, int depth, const char *text,
    size_t len)
{
    size_t                  cap;
    icetap_store_kv_t      *kv;
    icetap_s3_tags_xml_t   *x = ctx;

    if (depth != 4 || strcmp(path[1], "TagSet") != 0
        || strcmp(path[2], "Tag") != 0)
    {
        return ICETAP_OK;
    }

    if (strcmp(path[3], "Key") == 0) {
        icetap_free(x->key);
        x->key = icetap_strndup(text ? text : "", text ? len : 0);
        x->has_key = 1;
        return x->key ? ICETAP_OK : ICETAP_NOMEM;
    }

    if (strcmp(path[3], "Value") != 0 || !x->has_key) {
        return ICETAP_OK;
    }

    if (x->n == x->cap) {
        cap = x->cap ? 2 * x->cap : 8;
        kv = icetap_realloc(x->kv, cap * sizeof(icetap_store_kv_t));
        if (kv == NULL) {
            return ICETAP_NOMEM;
        }

        x->kv = kv;
        x->cap = cap;
    }

    x->kv[x->n].name = x->key;
    x->kv[x->n].value = icetap_strndup(text ? text : "", text ? len : 0);
    x->key = NULL;
    x->has_key = 0;

    if (x->kv[x->n].value == NULL) {
        icetap_free(x->kv[x->n].name);
        return ICETAP_NOMEM;
    }

    x->n++;

    return ICETAP_OK;
}


icetap_rc
icetap_store_s3_tagging(icetap_store_t *s, const char *key,
    const char *version_id, icetap_store_kv_t **tags, size_t *n,
    icetap_error_t *err)
{
    icetap_rc              rc;
    icetap_buf_t           q, resp;
    icetap_s3_req_t        req;
    icetap_s3_tags_xml_t   x;
    icetap_store_s3_t     *s3 = (icetap_store_s3_t *) s;

    *tags = NULL;
    *n = 0;

    if (s->ops != &icetap_store_s3_ops) {
        return icetap_error_set(err, ICETAP_UNSUPPORTED,
                                "GetObjectTagging needs an S3 store");
    }

    memset(&q, 0, sizeof(q));
    memset(&resp, 0, sizeof(resp));
    memset(&x, 0, sizeof(x));

    if (icetap_buf_append(&q, "tagging=", 8) != ICETAP_OK
        || (version_id != NULL && version_id[0] != '\0'
            && icetap_s3_query_add(&q, "versionId", version_id)
               != ICETAP_OK)
        || icetap_buf_putc(&q, '\0') != ICETAP_OK)
    {
        icetap_buf_free(&q);
        return icetap_error_set(err, ICETAP_NOMEM, "no memory");
    }

    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.key = key;
    req.query = (char *) q.data;
    req.resp = &resp;

    rc = icetap_s3_request(s3, &req, err);
    icetap_buf_free(&req.errbody);

    if (rc == ICETAP_OK) {
        rc = icetap_s3_xml_parse((char *) resp.data, resp.len,
                                 icetap_s3_tags_xml, &x, NULL, 0, err);
    }

    icetap_free(x.key);
    icetap_buf_free(&q);
    icetap_buf_free(&resp);

    if (rc != ICETAP_OK) {
        icetap_store_kv_free(x.kv, x.n);
        return rc;
    }

    *tags = x.kv;
    *n = x.n;

    return ICETAP_OK;
}


void
icetap_store_kv_free(icetap_store_kv_t *kv, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        icetap_free(kv[i].name);
        icetap_free(kv[i].value);
    }

    icetap_free(kv);
}


/* ListObjectVersions */


typedef struct {
    icetap_store_version_t  *v;
    size_t                   n;
    size_t                   cap;
    char                    *next_key;
    char                    *next_vid;
    int                      truncated;
} icetap_s3_versions_xml_t;


static void
icetap_s3_versions_reset(icetap_s3_versions_xml_t *x)
{
    size_t  i;

    for (i = 0; i < x->n; i++) {
        icetap_free((char *) x->v[i].key);
        icetap_free((char *) x->v[i].version_id);
        icetap_free((char *) x->v[i].etag);
        icetap_free((char *) x->v[i].storage_class);
    }

    if (x->cap) {
        memset(x->v, 0, x->cap * sizeof(icetap_store_version_t));
    }

    x->n = 0;
    x->truncated = 0;
}


static icetap_rc
icetap_s3_versions_str(const char **to, const char *text, size_t len)
{
    icetap_free((char *) *to);
    *to = icetap_strndup(text ? text : "", text ? len : 0);

    return *to ? ICETAP_OK : ICETAP_NOMEM;
}


static icetap_rc
icetap_s3_versions_xml(void *ctx, const char **path, int depth,
    const char *text, size_t len)
{
    int                        marker;
    void                      *p;
    char                     **to;
    icetap_store_version_t    *v;
    icetap_s3_versions_xml_t  *x = ctx;

    if (depth == 2) {
        if (strcmp(path[1], "IsTruncated") == 0) {
            x->truncated = len == 4 && strncmp(text, "true", 4) == 0;
            return ICETAP_OK;
        }

        to = NULL;

        if (strcmp(path[1], "NextKeyMarker") == 0) {
            to = &x->next_key;

        } else if (strcmp(path[1], "NextVersionIdMarker") == 0) {
            to = &x->next_vid;
        }

        if (to != NULL) {
            return icetap_s3_versions_str((const char **) to, text, len);
        }

        if (strcmp(path[1], "Version") == 0
            || strcmp(path[1], "DeleteMarker") == 0)
        {
            if (x->n < x->cap && x->v[x->n].key != NULL) {
                x->v[x->n].delete_marker =
                    (strcmp(path[1], "DeleteMarker") == 0);
                x->n++;
            }
        }

        return ICETAP_OK;
    }

    if (depth != 3) {
        return ICETAP_OK;
    }

    marker = strcmp(path[1], "DeleteMarker") == 0;

    if (!marker && strcmp(path[1], "Version") != 0) {
        return ICETAP_OK;
    }

    if (x->n == x->cap) {
        x->cap = x->cap ? 2 * x->cap : 256;
        p = icetap_realloc(x->v, x->cap * sizeof(icetap_store_version_t));
        if (p == NULL) {
            return ICETAP_NOMEM;
        }

        x->v = p;
        memset(&x->v[x->n], 0,
               (x->cap - x->n) * sizeof(icetap_store_version_t));
    }

    v = &x->v[x->n];

    if (strcmp(path[2], "Key") == 0) {
        return icetap_s3_versions_str(&v->key, text, len);
    }

    if (strcmp(path[2], "VersionId") == 0) {
        return icetap_s3_versions_str(&v->version_id, text, len);
    }

    if (strcmp(path[2], "ETag") == 0) {
        return icetap_s3_versions_str(&v->etag, text, len);
    }

    if (strcmp(path[2], "StorageClass") == 0) {
        return icetap_s3_versions_str(&v->storage_class, text, len);
    }

    if (strcmp(path[2], "Size") == 0) {
        v->size = strtoll(text ? text : "0", NULL, 10);

    } else if (strcmp(path[2], "LastModified") == 0) {
        v->last_modified_ms = icetap_s3_parse_iso8601(text, len) * 1000;

    } else if (strcmp(path[2], "IsLatest") == 0) {
        v->latest = len == 4 && strncmp(text, "true", 4) == 0;
    }

    return ICETAP_OK;
}


icetap_rc
icetap_store_s3_list_versions(icetap_store_t *s, const char *prefix,
    unsigned max_keys, icetap_store_versions_pt page, void *ctx,
    icetap_error_t *err)
{
    char                      num[16], *km, *vm;
    icetap_rc                 rc;
    icetap_buf_t              q, resp;
    icetap_s3_req_t           req;
    icetap_store_s3_t        *s3 = (icetap_store_s3_t *) s;
    icetap_s3_versions_xml_t  x;

    if (s->ops != &icetap_store_s3_ops) {
        return icetap_error_set(err, ICETAP_UNSUPPORTED,
                                "ListObjectVersions needs an S3 store");
    }

    memset(&x, 0, sizeof(x));
    km = NULL;
    vm = NULL;
    rc = ICETAP_OK;
    icetap_error_clear(err);

    for ( ;; ) {
        memset(&q, 0, sizeof(q));
        memset(&resp, 0, sizeof(resp));

        /* parameters in the order they sort: the URL is then canonical */

        num[0] = '\0';

        if (max_keys) {
            snprintf(num, sizeof(num), "%u", max_keys);
        }

        if ((km != NULL
             && icetap_s3_query_add(&q, "key-marker", km) != ICETAP_OK)
            || (num[0]
                && icetap_s3_query_add(&q, "max-keys", num) != ICETAP_OK)
            || (prefix != NULL && prefix[0] != '\0'
                && icetap_s3_query_add(&q, "prefix", prefix) != ICETAP_OK)
            || (vm != NULL
                && icetap_s3_query_add(&q, "version-id-marker", vm)
                   != ICETAP_OK)
            || (q.len && icetap_buf_putc(&q, '&') != ICETAP_OK)
            || icetap_buf_append(&q, "versions=", 9) != ICETAP_OK
            || icetap_buf_putc(&q, '\0') != ICETAP_OK)
        {
            rc = icetap_error_set(err, ICETAP_NOMEM, "no memory");
            break;
        }

        memset(&req, 0, sizeof(req));
        req.method = "GET";
        req.query = (char *) q.data;
        req.resp = &resp;

        rc = icetap_s3_request(s3, &req, err);
        icetap_buf_free(&req.errbody);
        icetap_buf_free(&q);

        if (rc == ICETAP_OK) {
            icetap_s3_versions_reset(&x);
            icetap_free(x.next_key);
            icetap_free(x.next_vid);
            x.next_key = NULL;
            x.next_vid = NULL;

            rc = icetap_s3_xml_parse((char *) resp.data, resp.len,
                                     icetap_s3_versions_xml, &x, NULL, 0,
                                     err);
        }

        icetap_buf_free(&resp);

        if (rc != ICETAP_OK) {
            break;
        }

        rc = page(ctx, x.v, x.n);

        if (rc == ICETAP_EOF) {
            rc = ICETAP_OK;
            break;
        }

        if (rc != ICETAP_OK) {
            if (err != NULL && err->code == ICETAP_OK) {
                /* the callback said nothing itself */
                icetap_error_set(err, rc, "listing versions stopped");
            }

            break;
        }

        if (!x.truncated || x.next_key == NULL) {
            break;
        }

        icetap_free(km);
        icetap_free(vm);
        km = x.next_key;
        vm = x.next_vid;
        x.next_key = NULL;
        x.next_vid = NULL;
    }

    icetap_s3_versions_reset(&x);
    icetap_free(x.v);
    icetap_free(x.next_key);
    icetap_free(x.next_vid);
    icetap_free(km);
    icetap_free(vm);

    return rc;
}
