/*
 * Copyright (C) icetap authors
 *
 * The Iceberg REST catalog (include/icetap/api.h) over the catalog in
 * the store (include/icetap/catalog.h), with prefix = the URL-encoded
 * table bucket ARN as S3 Tables has it.
 *
 * A commit writes the new metadata file under a fresh name first and
 * then swaps the table entry with a conditional PUT (If-Match the ETag
 * read): the swap is the commit point, so of concurrent commits exactly
 * one wins.  A loser deletes the file it wrote, re-reads the table and
 * checks the requirements again: when they no longer hold the client
 * gets 409 CommitFailedException and nothing of its attempt remains.
 */


#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include <icetap/api.h>
#include <icetap/catalog.h>
#include <icetap/metadata.h>
#include <icetap/sigv4.h>
#include <icetap/table.h>

#include "icetap_metadata_int.h"
#include "icetap_rest_int.h"


#define ICETAP_REST_MAX_BODY      (16 * 1024 * 1024)
#define ICETAP_REST_MAX_METADATA  (50 * 1024 * 1024)
#define ICETAP_REST_ATTEMPTS      8
#define ICETAP_REST_CACHE_SLOTS   64
#define ICETAP_REST_CACHE_MAX     (4 * 1024 * 1024)
#define ICETAP_REST_KEY_LEN       (3 * ICETAP_CATALOG_NAME_LEN + 64)


typedef struct {
    const icetap_api_request_t   *req;
    icetap_api_response_t        *res;
    icetap_error_t                err;

    char                          bucket[64];
    char                          bucket_arn[256];
    char                         *bucket_policy;
    int                           bucket_aws;

    char                         *segs[8];
    size_t                        nsegs;
    char                         *path;        /* owns segs */
} icetap_rest_t;


/* a table entry as stored, with its ETag */

typedef struct {
    json_t                       *doc;
    icetap_catalog_table_t        t;
    char                          etag[ICETAP_STORE_ETAG_LEN];
    char                          key[ICETAP_REST_KEY_LEN];
} icetap_rest_entry_t;


/* the LoadTable cache: entry key + ETag -> metadata text and parse */

typedef struct {
    char                         *key;
    char                          etag[ICETAP_STORE_ETAG_LEN];
    char                         *text;
    size_t                        len;
    icetap_table_metadata_t      *md;
    uint64_t                      used;
} icetap_rest_slot_t;


static pthread_mutex_t     icetap_rest_lock = PTHREAD_MUTEX_INITIALIZER;
static icetap_rest_slot_t  icetap_rest_cache[ICETAP_REST_CACHE_SLOTS];
static uint64_t            icetap_rest_clock;


static icetap_rc icetap_rest_error(icetap_rest_t *c, int status,
    const char *type, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;


/* responses */

static icetap_rc
icetap_rest_error(icetap_rest_t *c, int status, const char *type,
    const char *fmt, ...)
{
    char       msg[1024], *text;
    json_t    *j;
    va_list    ap;
    icetap_rc  rc;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    c->res->status = status;
    c->res->content_type = "application/json";
    icetap_buf_reset(&c->res->body);

    j = json_pack("{s:{s:s, s:s, s:i}}", "error", "message", msg,
                  "type", type, "code", status);
    if (j == NULL) {
        return ICETAP_ERROR;
    }

    text = json_dumps(j, JSON_COMPACT);
    json_decref(j);

    if (text == NULL) {
        return ICETAP_ERROR;
    }

    rc = icetap_buf_append(&c->res->body, text, strlen(text));
    free(text);

    return rc == ICETAP_OK ? ICETAP_OK : ICETAP_ERROR;
}


/* an error of the core or the store, as the client should see it */

static icetap_rc
icetap_rest_fail(icetap_rest_t *c, icetap_rc rc, const char *what)
{
    switch (rc) {

    case ICETAP_INVALID:
    case ICETAP_UNSUPPORTED:
        return icetap_rest_error(c, 400, "BadRequestException", "%s: %s",
                                 what, c->err.msg);

    case ICETAP_CONFLICT:
        return icetap_rest_error(c, 409, "CommitFailedException", "%s: %s",
                                 what, c->err.msg);

    case ICETAP_AGAIN:
        return icetap_rest_error(c, 503, "SlowDownException",
                                 "%s: the store is busy: %s", what,
                                 c->err.msg);

    default:
        return icetap_rest_error(c, 500, "InternalServerError", "%s: %s",
                                 what, c->err.msg[0] ? c->err.msg
                                                     : icetap_rc_name(rc));
    }
}


static icetap_rc
icetap_rest_json(icetap_rest_t *c, int status, json_t *j)
{
    char       *text;
    icetap_rc   rc;

    if (j == NULL) {
        return icetap_rest_error(c, 500, "InternalServerError",
                                 "out of memory");
    }

    text = json_dumps(j, JSON_COMPACT);
    json_decref(j);

    if (text == NULL) {
        return icetap_rest_error(c, 500, "InternalServerError",
                                 "out of memory");
    }

    c->res->status = status;
    c->res->content_type = "application/json";
    icetap_buf_reset(&c->res->body);

    rc = icetap_buf_append(&c->res->body, text, strlen(text));
    free(text);

    return rc == ICETAP_OK ? ICETAP_OK : ICETAP_ERROR;
}


static icetap_rc
icetap_rest_empty(icetap_rest_t *c, int status)
{
    c->res->status = status;
    icetap_buf_reset(&c->res->body);

    return ICETAP_OK;
}


/* request pieces */

static int
icetap_rest_hex(int ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }

    ch |= 0x20;

    return (ch >= 'a' && ch <= 'f') ? ch - 'a' + 10 : -1;
}


/* percent-decodes in place ("+" stays); 0 on a bad escape */

static int
icetap_rest_unescape(char *s, int plus)
{
    char  *d;
    int    hi, lo;

    for (d = s; *s; s++) {
        if (*s == '%') {
            hi = icetap_rest_hex(s[1]);
            lo = hi < 0 ? -1 : icetap_rest_hex(s[2]);

            if (lo < 0) {
                return 0;
            }

            *d++ = (char) (hi * 16 + lo);
            s += 2;

        } else if (*s == '+' && plus) {
            *d++ = ' ';

        } else {
            *d++ = *s;
        }
    }

    *d = '\0';

    return 1;
}


/* the decoded value of a query argument, icetap_alloc'd; NULL absent */

static char *
icetap_rest_arg(icetap_rest_t *c, const char *name)
{
    char        *v;
    size_t       n, len;
    const char  *p, *e, *q;

    q = c->req->query;
    n = strlen(name);

    for (p = q; p != NULL && *p; p = e ? e + 1 : NULL) {
        e = strchr(p, '&');
        len = e ? (size_t) (e - p) : strlen(p);

        if (len >= n && strncmp(p, name, n) == 0
            && (len == n || p[n] == '='))
        {
            p += n + (len > n);
            len -= n + (len > n);

            v = icetap_strndup(p, len);
            if (v == NULL || !icetap_rest_unescape(v, 1)) {
                icetap_free(v);
                return NULL;
            }

            return v;
        }

        if (e == NULL) {
            break;
        }
    }

    return NULL;
}


static json_t *
icetap_rest_body(icetap_rest_t *c)
{
    json_t        *j;
    json_error_t   je;

    if (c->req->body_len == 0) {
        icetap_rest_error(c, 400, "BadRequestException",
                          "Malformed request: the body is empty");
        return NULL;
    }

    j = json_loadb((const char *) c->req->body, c->req->body_len,
                   JSON_REJECT_DUPLICATES, &je);

    if (j == NULL) {
        icetap_rest_error(c, 400, "BadRequestException",
                          "Malformed request: %s at line %d column %d",
                          je.text, je.line, je.column);
        return NULL;
    }

    if (!json_is_object(j)) {
        json_decref(j);
        icetap_rest_error(c, 400, "BadRequestException",
                          "Malformed request: the body is not a JSON "
                          "object");
        return NULL;
    }

    return j;
}


/* S3 Tables names: a-z 0-9 _, starting and ending with a letter/digit */

static int
icetap_rest_valid_name(const char *s, int ns)
{
    size_t  i, len;

    len = strlen(s);

    if (len < 1 || len > 255 || s[0] == '_' || s[len - 1] == '_'
        || (ns && strncmp(s, "aws", 3) == 0))
    {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')
              || s[i] == '_'))
        {
            return 0;
        }
    }

    return 1;
}


/* an existing name may be an S3 Metadata one ("b_my-bucket") */

static int
icetap_rest_check_ns(icetap_rest_t *c, const char *ns)
{
    if (strchr(ns, '\x1f') != NULL) {
        icetap_rest_error(c, 400, "BadRequestException",
                          "multi-level namespaces are not supported: a "
                          "table bucket has one level");
        return 0;
    }

    if (!icetap_catalog_valid_name(ns)) {
        icetap_rest_error(c, 400, "BadRequestException",
                          "invalid namespace name \"%.300s\"", ns);
        return 0;
    }

    return 1;
}


/* authorization */

static int
icetap_rest_allowed(icetap_rest_t *c, const char *action, const char *arn,
    const char *table_policy)
{
    icetap_rc       rc;
    icetap_error_t  err;

    snprintf(c->res->action, sizeof(c->res->action), "%s", action);
    snprintf(c->res->resource, sizeof(c->res->resource), "%s", arn);

    if (c->req->authorize == NULL) {
        return 1;
    }

    icetap_error_clear(&err);

    rc = c->req->authorize(c->req->authorize_ctx, action, arn,
                           c->bucket_policy, table_policy, &err);
    if (rc == ICETAP_OK) {
        return 1;
    }

    if (err.msg[0]) {
        icetap_rest_error(c, 403, "ForbiddenException", "Access denied: %s",
                          err.msg);

    } else {
        icetap_rest_error(c, 403, "ForbiddenException",
                          "Access denied: %s is not allowed to perform %s "
                          "on %s", c->req->principal ? c->req->principal
                                                     : "an anonymous caller",
                          action, arn);
    }

    return 0;
}


/* the table bucket of the prefix */

static icetap_rc
icetap_rest_bucket(icetap_rest_t *c, const char *arn, int status_missing)
{
    char          key[ICETAP_CATALOG_NAME_LEN + 64];
    json_t       *j;
    size_t        i, len;
    icetap_rc     rc;
    const char   *p, *q, *name, *s;
    icetap_buf_t  b;

    /* arn:aws[-a-z0-9]*:s3tables:<region>:<account12>:bucket/<name> */

    p = arn;

    if (strncmp(p, "arn:aws", 7) != 0) {
        goto bad;
    }

    p = strchr(p + 4, ':');
    if (p == NULL || strncmp(p, ":s3tables:", 10) != 0) {
        goto bad;
    }

    p += 10;
    q = strchr(p, ':');
    if (q == NULL) {
        goto bad;
    }

    for (p = q + 1, i = 0; p[i] >= '0' && p[i] <= '9'; i++) {
        /* the account */
    }

    if (i != 12 || strncmp(p + 12, ":bucket/", 8) != 0) {
        goto bad;
    }

    name = p + 20;
    len = strlen(name);

    if (len >= sizeof(c->bucket) || !icetap_catalog_valid_bucket(name)
        || strlen(arn) >= sizeof(c->bucket_arn))
    {
        goto bad;
    }

    memcpy(c->bucket, name, len + 1);
    snprintf(c->bucket_arn, sizeof(c->bucket_arn), "%s", arn);
    snprintf(key, sizeof(key), ICETAP_CATALOG_PREFIX "%s.json", name);

    memset(&b, 0, sizeof(b));
    rc = icetap_store_get_buf(c->req->store, key, &b, &c->err);

    if (rc == ICETAP_NOTFOUND) {
        icetap_buf_free(&b);
        goto missing;
    }

    if (rc != ICETAP_OK) {
        icetap_buf_free(&b);
        icetap_rest_fail(c, rc, "reading the table bucket");
        return rc;
    }

    j = json_loadb((const char *) b.data, b.len, 0, NULL);
    icetap_buf_free(&b);

    s = json_string_value(json_object_get(j, "arn"));

    if (s == NULL || strcmp(s, arn) != 0) {
        json_decref(j);
        goto missing;
    }

    s = json_string_value(json_object_get(j, "type"));
    c->bucket_aws = s != NULL && strcmp(s, "aws") == 0;

    s = json_string_value(json_object_get(j, "policy"));
    if (s != NULL) {
        c->bucket_policy = icetap_strndup(s, strlen(s));
    }

    json_decref(j);

    return ICETAP_OK;

bad:

    icetap_rest_error(c, 400, "BadRequestException",
                      "invalid table bucket ARN \"%.300s\": expected "
                      "arn:aws:s3tables:<region>:<account>:bucket/<name>",
                      arn);
    return ICETAP_INVALID;

missing:

    icetap_rest_error(c, status_missing, "NoSuchWarehouseException",
                      "The specified table bucket does not exist: %.300s",
                      arn);
    return ICETAP_NOTFOUND;
}


static char *
icetap_rest_encode(const char *s)
{
    char          *out;
    icetap_buf_t   b;

    memset(&b, 0, sizeof(b));

    if (icetap_sigv4_uri_encode(&b, s, strlen(s), 0) != ICETAP_OK
        || icetap_buf_putc(&b, '\0') != ICETAP_OK)
    {
        icetap_buf_free(&b);
        return NULL;
    }

    out = (char *) b.data;

    return out;
}


/* GET /v1/config */

static icetap_rc
icetap_rest_config(icetap_rest_t *c)
{
    char       *wh, *prefix;
    json_t     *j;
    icetap_rc   rc;

    wh = icetap_rest_arg(c, "warehouse");

    if (wh == NULL) {
        return icetap_rest_json(c, 200, json_pack("{s:{}, s:{}}",
                                                  "defaults", "overrides"));
    }

    rc = icetap_rest_bucket(c, wh, 404);
    icetap_free(wh);

    if (rc != ICETAP_OK) {
        return ICETAP_OK;
    }

    if (!icetap_rest_allowed(c, "s3tables:GetTableBucket", c->bucket_arn,
                             NULL))
    {
        return ICETAP_OK;
    }

    prefix = icetap_rest_encode(c->bucket_arn);
    if (prefix == NULL) {
        return icetap_rest_error(c, 500, "InternalServerError",
                                 "out of memory");
    }

    j = json_pack("{s:{}, s:{s:s}}", "defaults", "overrides", "prefix",
                  prefix);
    icetap_free(prefix);

    return icetap_rest_json(c, 200, j);
}


/* store helpers */

static icetap_rc
icetap_rest_list_names(icetap_rest_t *c, const char *prefix,
    json_t *names);


typedef struct {
    json_t      *names;
    size_t       plen;
} icetap_rest_names_t;


static icetap_rc
icetap_rest_names_page(void *ctx, const icetap_store_page_t *page)
{
    size_t                i, len;
    const char           *k;
    icetap_rest_names_t  *n = ctx;

    for (i = 0; i < page->nentries; i++) {
        k = page->entries[i].key + n->plen;
        len = strlen(k);

        if (len > 5 && strcmp(k + len - 5, ".json") == 0
            && strchr(k, '/') == NULL)
        {
            if (json_array_append_new(n->names,
                                      json_stringn(k, len - 5)) != 0)
            {
                return ICETAP_NOMEM;
            }
        }
    }

    return ICETAP_OK;
}


/* the names of the "<name>.json" objects right under prefix */

static icetap_rc
icetap_rest_list_names(icetap_rest_t *c, const char *prefix, json_t *names)
{
    icetap_rest_names_t       n;
    icetap_store_list_opts_t  opts;

    memset(&opts, 0, sizeof(opts));
    opts.prefix = prefix;
    opts.delimiter = "/";

    n.names = names;
    n.plen = strlen(prefix);

    return icetap_store_list(c->req->store, &opts, icetap_rest_names_page,
                             &n, &c->err);
}


static icetap_rc
icetap_rest_any_page(void *ctx, const icetap_store_page_t *page)
{
    if (page->nentries > 0 || page->nprefixes > 0) {
        *(int *) ctx = 1;
        return ICETAP_EOF;
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_rest_ns_key(icetap_rest_t *c, const char *ns, char *key, size_t size)
{
    snprintf(key, size, ICETAP_CATALOG_PREFIX "%s/%s.json", c->bucket, ns);

    return ICETAP_OK;
}


/* reads a namespace entry: ICETAP_NOTFOUND answered as 404 */

static icetap_rc
icetap_rest_ns_load(icetap_rest_t *c, const char *ns, json_t **doc,
    char *etag)
{
    char                key[ICETAP_REST_KEY_LEN];
    icetap_rc           rc;
    icetap_buf_t        b;
    icetap_store_obj_t  obj;

    *doc = NULL;

    if (!icetap_rest_check_ns(c, ns)) {
        return ICETAP_INVALID;
    }

    icetap_rest_ns_key(c, ns, key, sizeof(key));
    memset(&b, 0, sizeof(b));
    icetap_store_obj_init(&obj);

    rc = icetap_store_get(c->req->store, key, 0, -1,
                          (icetap_store_sink_pt) icetap_buf_append, &b,
                          &obj, &c->err);

    if (rc == ICETAP_OK) {
        if (etag) {
            snprintf(etag, ICETAP_STORE_ETAG_LEN, "%s", obj.etag);
        }

        *doc = json_loadb((const char *) b.data, b.len, 0, NULL);

        if (*doc == NULL || !json_is_object(*doc)) {
            json_decref(*doc);
            *doc = NULL;
            icetap_error_set(&c->err, ICETAP_INVALID,
                             "the namespace entry is not JSON");
            rc = ICETAP_IO;
        }
    }

    icetap_store_obj_free(&obj);
    icetap_buf_free(&b);

    if (rc == ICETAP_NOTFOUND) {
        icetap_rest_error(c, 404, "NoSuchNamespaceException",
                          "Namespace does not exist: %.300s", ns);

    } else if (rc != ICETAP_OK) {
        icetap_rest_fail(c, rc, "reading the namespace");
    }

    return rc;
}


static icetap_rc
icetap_rest_put_json(icetap_rest_t *c, const char *key, json_t *doc,
    int if_none_match, const char *if_match, char *etag)
{
    char                     *text;
    icetap_rc                 rc;
    icetap_store_put_opts_t   opts;

    text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL) {
        return icetap_error_set(&c->err, ICETAP_NOMEM, "out of memory");
    }

    memset(&opts, 0, sizeof(opts));
    opts.content_type = "application/json";
    opts.if_none_match = if_none_match ? 1 : 0;
    opts.if_match = if_match;

    rc = icetap_store_put_buf(c->req->store, key, text, strlen(text), &opts,
                              etag, &c->err);
    free(text);

    return rc;
}


/* namespaces */

static icetap_rc
icetap_rest_ns_list(icetap_rest_t *c)
{
    char        prefix[ICETAP_REST_KEY_LEN], *parent, *token, *size;
    size_t      i, start, n, limit;
    json_t     *names, *out, *list;
    icetap_rc   rc;

    if (!icetap_rest_allowed(c, "s3tables:ListNamespaces", c->bucket_arn,
                             NULL))
    {
        return ICETAP_OK;
    }

    parent = icetap_rest_arg(c, "parent");

    if (parent != NULL && parent[0] == '\0') {
        icetap_free(parent);
        parent = NULL;
    }

    if (parent != NULL) {
        /* one level: a namespace has no children */

        rc = icetap_rest_ns_load(c, parent, &out, NULL);
        icetap_free(parent);

        if (rc != ICETAP_OK) {
            return ICETAP_OK;
        }

        json_decref(out);

        return icetap_rest_json(c, 200, json_pack("{s:[]}", "namespaces"));
    }

    names = json_array();
    if (names == NULL) {
        return icetap_rest_error(c, 500, "InternalServerError",
                                 "out of memory");
    }

    snprintf(prefix, sizeof(prefix), ICETAP_CATALOG_PREFIX "%s/",
             c->bucket);

    rc = icetap_rest_list_names(c, prefix, names);
    if (rc != ICETAP_OK) {
        json_decref(names);
        return icetap_rest_fail(c, rc, "listing namespaces");
    }

    token = icetap_rest_arg(c, "pageToken");
    size = icetap_rest_arg(c, "pageSize");
    limit = size ? (size_t) strtoul(size, NULL, 10) : 0;
    icetap_free(size);

    if (limit == 0) {
        limit = (size_t) -1;
    }

    n = json_array_size(names);
    start = 0;

    if (token != NULL && token[0] != '\0') {
        while (start < n && strcmp(json_string_value(json_array_get(names,
                                                                  start)),
                                   token) <= 0)
        {
            start++;
        }
    }

    icetap_free(token);

    out = json_object();
    list = json_array();

    if (out == NULL || list == NULL
        || json_object_set_new(out, "namespaces", list) != 0)
    {
        json_decref(names);
        json_decref(out);
        return icetap_rest_error(c, 500, "InternalServerError",
                                 "out of memory");
    }

    for (i = start; i < n && i - start < limit; i++) {
        json_array_append_new(list, json_pack("[O]",
                                              json_array_get(names, i)));
    }

    if (i < n) {
        json_object_set(out, "next-page-token",
                        json_array_get(names, i - 1));
    }

    json_decref(names);

    return icetap_rest_json(c, 200, out);
}


static icetap_rc
icetap_rest_ns_create(icetap_rest_t *c)
{
    char        key[ICETAP_REST_KEY_LEN];
    json_t     *body, *ns, *props, *v, *doc;
    icetap_rc   rc;
    const char *name, *k;

    body = icetap_rest_body(c);
    if (body == NULL) {
        return ICETAP_OK;
    }

    ns = json_object_get(body, "namespace");
    props = json_object_get(body, "properties");

    if (!json_is_array(ns) || json_array_size(ns) == 0
        || !json_is_string(json_array_get(ns, 0)))
    {
        rc = icetap_rest_error(c, 400, "BadRequestException",
                               "Malformed request: \"namespace\" must be "
                               "a non-empty array of strings");
        json_decref(body);
        return rc;
    }

    if (json_array_size(ns) != 1) {
        rc = icetap_rest_error(c, 400, "BadRequestException",
                               "multi-level namespaces are not "
                               "supported: a table bucket has one level");
        json_decref(body);
        return rc;
    }

    if (props != NULL && !json_is_null(props)) {
        if (!json_is_object(props)) {
            rc = icetap_rest_error(c, 400, "BadRequestException",
                                   "Malformed request: \"properties\" "
                                   "must be an object");
            json_decref(body);
            return rc;
        }

        json_object_foreach(props, k, v) {
            if (!json_is_string(v)) {
                rc = icetap_rest_error(c, 400, "BadRequestException",
                                       "Malformed request: property "
                                       "\"%.64s\" is not a string", k);
                json_decref(body);
                return rc;
            }
        }

    } else {
        props = NULL;
    }

    name = json_string_value(json_array_get(ns, 0));

    if (!icetap_rest_valid_name(name, 1)) {
        rc = icetap_rest_error(c, 400, "BadRequestException",
                               "invalid namespace name \"%.300s\": 1 to 255 "
                               "of a-z, 0-9 and _, starting and ending with "
                               "a letter or digit, not starting with "
                               "\"aws\"", name);
        json_decref(body);
        return rc;
    }

    if (!icetap_rest_allowed(c, "s3tables:CreateNamespace", c->bucket_arn,
                             NULL))
    {
        json_decref(body);
        return ICETAP_OK;
    }

    if (c->bucket_aws) {
        rc = icetap_rest_error(c, 403, "ForbiddenException",
                               "the table bucket %s is managed by icetap "
                               "and read-only", c->bucket);
        json_decref(body);
        return rc;
    }

    doc = json_pack("{s:i, s:s, s:s, s:I, s:s*}",
                    "format", ICETAP_CATALOG_FORMAT,
                    "table_bucket", c->bucket,
                    "name", name,
                    "created_at_ms", (json_int_t) c->req->now_ms,
                    "created_by", c->req->account_id);

    if (doc == NULL
        || (props && json_object_set(doc, "properties", props) != 0))
    {
        json_decref(doc);
        rc = icetap_rest_error(c, 500, "InternalServerError",
                               "out of memory");
        json_decref(body);
        return rc;
    }

    icetap_rest_ns_key(c, name, key, sizeof(key));
    rc = icetap_rest_put_json(c, key, doc, 1, NULL, NULL);
    json_decref(doc);

    if (rc == ICETAP_CONFLICT) {
        rc = icetap_rest_error(c, 409, "AlreadyExistsException",
                               "Namespace already exists: %s", name);

    } else if (rc != ICETAP_OK) {
        rc = icetap_rest_fail(c, rc, "creating the namespace");

    } else {
        rc = icetap_rest_json(c, 200,
                              json_pack("{s:[s], s:o}", "namespace", name,
                                        "properties",
                                        props ? json_incref(props)
                                              : json_object()));
    }

    json_decref(body);

    return rc;
}


static icetap_rc
icetap_rest_ns_get(icetap_rest_t *c, const char *ns, int head)
{
    json_t     *doc, *props;
    icetap_rc   rc;

    if (!icetap_rest_check_ns(c, ns)) {
        return ICETAP_OK;
    }

    if (!icetap_rest_allowed(c, "s3tables:GetNamespace", c->bucket_arn,
                             NULL))
    {
        return ICETAP_OK;
    }

    rc = icetap_rest_ns_load(c, ns, &doc, NULL);
    if (rc != ICETAP_OK) {
        if (head) {
            icetap_buf_reset(&c->res->body);
        }

        return ICETAP_OK;
    }

    if (head) {
        json_decref(doc);
        return icetap_rest_empty(c, 204);
    }

    props = json_object_get(doc, "properties");

    rc = icetap_rest_json(c, 200, json_pack("{s:[s], s:o}",
                                            "namespace", ns, "properties",
                                            json_is_object(props)
                                            ? json_incref(props)
                                            : json_object()));
    json_decref(doc);

    return rc;
}


static icetap_rc
icetap_rest_ns_delete(icetap_rest_t *c, const char *ns)
{
    int                       any;
    char                      key[ICETAP_REST_KEY_LEN];
    json_t                   *doc;
    icetap_rc                 rc;
    icetap_store_list_opts_t  opts;

    if (!icetap_rest_check_ns(c, ns)) {
        return ICETAP_OK;
    }

    if (!icetap_rest_allowed(c, "s3tables:DeleteNamespace", c->bucket_arn,
                             NULL))
    {
        return ICETAP_OK;
    }

    if (c->bucket_aws) {
        return icetap_rest_error(c, 403, "ForbiddenException",
                                 "the table bucket %s is managed by icetap "
                                 "and read-only", c->bucket);
    }

    rc = icetap_rest_ns_load(c, ns, &doc, NULL);
    if (rc != ICETAP_OK) {
        return ICETAP_OK;
    }

    json_decref(doc);

    snprintf(key, sizeof(key), ICETAP_CATALOG_PREFIX "%s/%s/", c->bucket,
             ns);

    memset(&opts, 0, sizeof(opts));
    opts.prefix = key;
    opts.max_keys = 1;
    any = 0;

    rc = icetap_store_list(c->req->store, &opts, icetap_rest_any_page, &any,
                           &c->err);
    if (rc != ICETAP_OK) {
        return icetap_rest_fail(c, rc, "listing the namespace's tables");
    }

    if (any) {
        return icetap_rest_error(c, 409, "NamespaceNotEmptyException",
                                 "Namespace %s is not empty", ns);
    }

    icetap_rest_ns_key(c, ns, key, sizeof(key));

    rc = icetap_store_delete(c->req->store, key, &c->err);
    if (rc != ICETAP_OK) {
        return icetap_rest_fail(c, rc, "deleting the namespace");
    }

    return icetap_rest_empty(c, 204);
}


static icetap_rc
icetap_rest_ns_props(icetap_rest_t *c, const char *ns)
{
    int         attempt;
    char        key[ICETAP_REST_KEY_LEN], etag[ICETAP_STORE_ETAG_LEN];
    size_t      i;
    json_t     *body, *rem, *upd, *doc, *props, *v, *updated, *removed;
    json_t     *missing;
    icetap_rc   rc;
    const char *k;

    if (!icetap_rest_check_ns(c, ns)) {
        return ICETAP_OK;
    }

    body = icetap_rest_body(c);
    if (body == NULL) {
        return ICETAP_OK;
    }

    rem = json_object_get(body, "removals");
    upd = json_object_get(body, "updates");

    if ((rem != NULL && !json_is_array(rem))
        || (upd != NULL && !json_is_object(upd)))
    {
        rc = icetap_rest_error(c, 400, "BadRequestException",
                               "Malformed request: \"removals\" must be "
                               "an array and \"updates\" an object");
        json_decref(body);
        return rc;
    }

    json_array_foreach(rem, i, v) {
        if (!json_is_string(v)) {
            rc = icetap_rest_error(c, 400, "BadRequestException",
                                   "Malformed request: \"removals\" must "
                                   "hold strings");
            json_decref(body);
            return rc;
        }

        if (json_object_get(upd, json_string_value(v)) != NULL) {
            rc = icetap_rest_error(c, 422, "UnprocessableEntityException",
                                   "Duplicate key to update and remove: "
                                   "%.64s", json_string_value(v));
            json_decref(body);
            return rc;
        }
    }

    json_object_foreach(upd, k, v) {
        if (!json_is_string(v)) {
            rc = icetap_rest_error(c, 400, "BadRequestException",
                                   "Malformed request: property "
                                   "\"%.64s\" is not a string", k);
            json_decref(body);
            return rc;
        }
    }

    if (!icetap_rest_allowed(c, "s3tables:UpdateNamespaceProperties",
                             c->bucket_arn, NULL))
    {
        json_decref(body);
        return ICETAP_OK;
    }

    if (c->bucket_aws) {
        rc = icetap_rest_error(c, 403, "ForbiddenException",
                               "the table bucket %s is managed by icetap "
                               "and read-only", c->bucket);
        json_decref(body);
        return rc;
    }

    icetap_rest_ns_key(c, ns, key, sizeof(key));

    for (attempt = 0; attempt < ICETAP_REST_ATTEMPTS; attempt++) {
        rc = icetap_rest_ns_load(c, ns, &doc, etag);
        if (rc != ICETAP_OK) {
            json_decref(body);
            return ICETAP_OK;
        }

        props = json_object_get(doc, "properties");

        if (!json_is_object(props)) {
            props = json_object();
            json_object_set_new(doc, "properties", props);
        }

        updated = json_array();
        removed = json_array();
        missing = json_array();

        json_array_foreach(rem, i, v) {
            if (json_object_get(props, json_string_value(v)) != NULL) {
                json_object_del(props, json_string_value(v));
                json_array_append(removed, v);

            } else {
                json_array_append(missing, v);
            }
        }

        json_object_foreach(upd, k, v) {
            json_object_set(props, k, v);
            json_array_append_new(updated, json_string(k));
        }

        rc = icetap_rest_put_json(c, key, doc, 0, etag, NULL);
        json_decref(doc);

        if (rc == ICETAP_OK) {
            json_decref(body);
            return icetap_rest_json(c, 200,
                                    json_pack("{s:o, s:o, s:o}",
                                              "updated", updated,
                                              "removed", removed,
                                              "missing", missing));
        }

        json_decref(updated);
        json_decref(removed);
        json_decref(missing);

        if (rc != ICETAP_CONFLICT) {
            break;
        }
    }

    json_decref(body);

    if (rc == ICETAP_CONFLICT) {
        return icetap_rest_error(c, 409, "CommitFailedException",
                                 "the namespace kept changing, retry");
    }

    return icetap_rest_fail(c, rc, "updating namespace properties");
}


/* tables */

static void
icetap_rest_entry_free(icetap_rest_entry_t *e)
{
    json_decref(e->doc);
    e->doc = NULL;

    if (e->t.table_bucket) {
        icetap_catalog_table_free(&e->t);
    }
}


/*
 * Reads a table entry; with "answer" set, a missing one is answered 404
 * with the exception the client needs (no such namespace or no such
 * table) -- unless answer names an action the caller may not perform on
 * the tables of the bucket, which is answered 403 so that existence is
 * not revealed to whom may not know it.
 */

static icetap_rc
icetap_rest_entry_load(icetap_rest_t *c, const char *ns, const char *name,
    icetap_rest_entry_t *e, const char *answer)
{
    char  any[300];

    json_t              *doc;
    icetap_rc            rc;
    icetap_buf_t         b;
    icetap_store_obj_t   obj;

    memset(e, 0, sizeof(icetap_rest_entry_t));

    if (icetap_catalog_table_key(c->bucket, ns, name, e->key,
                                 sizeof(e->key)) != ICETAP_OK)
    {
        if (answer) {
            icetap_rest_error(c, 400, "BadRequestException",
                              "invalid table name \"%.300s\".\"%.300s\"",
                              ns, name);
        }

        return ICETAP_INVALID;
    }

    memset(&b, 0, sizeof(b));
    icetap_store_obj_init(&obj);

    rc = icetap_store_get(c->req->store, e->key, 0, -1,
                          (icetap_store_sink_pt) icetap_buf_append, &b,
                          &obj, &c->err);

    if (rc == ICETAP_OK) {
        snprintf(e->etag, sizeof(e->etag), "%s", obj.etag);
        rc = icetap_catalog_table_from_json((const char *) b.data, b.len,
                                            &e->t, &c->err);
        if (rc == ICETAP_OK) {
            e->doc = json_loadb((const char *) b.data, b.len, 0, NULL);
            if (e->doc == NULL) {
                rc = icetap_error_set(&c->err, ICETAP_INVALID,
                                      "table entry is not JSON");
            }
        }

        if (rc == ICETAP_INVALID) {
            rc = ICETAP_IO;
        }
    }

    icetap_store_obj_free(&obj);
    icetap_buf_free(&b);

    if (rc == ICETAP_NOTFOUND && answer) {
        snprintf(any, sizeof(any), "%s/table/*", c->bucket_arn);

        if (answer[0] != '\0' && !icetap_rest_allowed(c, answer, any, NULL))
        {
            icetap_rest_entry_free(e);
            return rc;
        }

        if (icetap_rest_ns_load(c, ns, &doc, NULL) == ICETAP_OK) {
            json_decref(doc);
            icetap_rest_error(c, 404, "NoSuchTableException",
                              "Table does not exist: %s.%s", ns, name);
        }

    } else if (rc != ICETAP_OK && answer) {
        icetap_rest_fail(c, rc, "reading the table entry");
    }

    if (rc != ICETAP_OK) {
        icetap_rest_entry_free(e);
    }

    return rc;
}


static const char *
icetap_rest_policy(const icetap_rest_entry_t *e)
{
    return json_string_value(json_object_get(e->doc, "policy"));
}


/* the store key of an s3:// location in the state bucket; NULL: other */

static const char *
icetap_rest_location_key(icetap_rest_t *c, const char *loc)
{
    size_t  n;

    n = strlen(c->req->state_bucket);

    if (strncmp(loc, "s3://", 5) != 0
        || strncmp(loc + 5, c->req->state_bucket, n) != 0
        || loc[5 + n] != '/')
    {
        return NULL;
    }

    return loc + 6 + n;
}


/* cache */

static void
icetap_rest_slot_clear(icetap_rest_slot_t *s)
{
    icetap_free(s->key);
    icetap_free(s->text);
    icetap_metadata_free(s->md);
    memset(s, 0, sizeof(icetap_rest_slot_t));
}


/* copies of the cached text and metadata when (key, etag) is cached */

static int
icetap_rest_cache_get(const char *key, const char *etag, char **text,
    size_t *len, icetap_table_metadata_t **md)
{
    int                  hit;
    size_t               i;
    icetap_rest_slot_t  *s;

    hit = 0;

    pthread_mutex_lock(&icetap_rest_lock);

    for (i = 0; i < ICETAP_REST_CACHE_SLOTS; i++) {
        s = &icetap_rest_cache[i];

        if (s->key == NULL || strcmp(s->key, key) != 0
            || strcmp(s->etag, etag) != 0)
        {
            continue;
        }

        s->used = ++icetap_rest_clock;

        if (text) {
            *text = icetap_strndup(s->text, s->len);
            *len = s->len;
        }

        if (md) {
            *md = icetap_metadata_copy(s->md);
        }

        hit = (text == NULL || *text != NULL) && (md == NULL || *md != NULL);
        break;
    }

    pthread_mutex_unlock(&icetap_rest_lock);

    if (!hit) {
        if (text && *text) {
            icetap_free(*text);
            *text = NULL;
        }

        if (md && *md) {
            icetap_metadata_free(*md);
            *md = NULL;
        }
    }

    return hit;
}


static void
icetap_rest_cache_put(const char *key, const char *etag, const char *text,
    size_t len, const icetap_table_metadata_t *md)
{
    size_t               i;
    icetap_rest_slot_t  *s, *victim;

    /* big metadata is not kept: the cache stays within a few 100 MB */

    if (len > ICETAP_REST_CACHE_MAX) {
        return;
    }

    pthread_mutex_lock(&icetap_rest_lock);

    victim = &icetap_rest_cache[0];

    for (i = 0; i < ICETAP_REST_CACHE_SLOTS; i++) {
        s = &icetap_rest_cache[i];

        if (s->key != NULL && strcmp(s->key, key) == 0) {
            victim = s;
            break;
        }

        if (s->used < victim->used) {
            victim = s;
        }
    }

    icetap_rest_slot_clear(victim);

    victim->key = icetap_strndup(key, strlen(key));
    victim->text = icetap_strndup(text, len);
    victim->md = icetap_metadata_copy(md);
    victim->len = len;
    victim->used = ++icetap_rest_clock;
    snprintf(victim->etag, sizeof(victim->etag), "%s", etag);

    if (victim->key == NULL || victim->text == NULL || victim->md == NULL) {
        icetap_rest_slot_clear(victim);
    }

    pthread_mutex_unlock(&icetap_rest_lock);
}


/* the current metadata of an entry: text and parse, through the cache */

static icetap_rc
icetap_rest_metadata(icetap_rest_t *c, icetap_rest_entry_t *e, char **text,
    size_t *len, icetap_table_metadata_t **md)
{
    const char    *key;
    icetap_rc      rc;
    icetap_buf_t   b;

    *text = NULL;
    *md = NULL;

    if (e->t.metadata_location == NULL) {
        icetap_rest_error(c, 400, "BadRequestException",
                          "table %s.%s has no metadata location yet",
                          e->t.namespace, e->t.name);
        return ICETAP_INVALID;
    }

    if (icetap_rest_cache_get(e->key, e->etag, text, len, md)) {
        return ICETAP_OK;
    }

    key = icetap_rest_location_key(c, e->t.metadata_location);

    if (key == NULL) {
        icetap_rest_error(c, 500, "InternalServerError",
                          "metadata location %.300s is outside the store",
                          e->t.metadata_location);
        return ICETAP_INVALID;
    }

    memset(&b, 0, sizeof(b));

    rc = icetap_store_get_buf(c->req->store, key, &b, &c->err);
    if (rc == ICETAP_OK) {
        rc = icetap_metadata_parse((const char *) b.data, b.len, md,
                                   &c->err);
    }

    if (rc != ICETAP_OK) {
        icetap_buf_free(&b);
        icetap_rest_fail(c, rc == ICETAP_INVALID ? ICETAP_IO : rc,
                         "reading the table metadata");
        return rc;
    }

    *text = (char *) b.data;
    *len = b.len;

    icetap_rest_cache_put(e->key, e->etag, *text, *len, *md);

    return ICETAP_OK;
}


/* {"metadata-location": ..., "metadata": <text>, "config": {...}} */

static icetap_rc
icetap_rest_load_result(icetap_rest_t *c, const char *location,
    const char *text, size_t len, int config)
{
    char          *loc, *conf;
    json_t        *cj;
    icetap_rc      rc;
    icetap_buf_t  *b;

    b = &c->res->body;
    icetap_buf_reset(b);

    cj = json_string(location);
    loc = cj ? json_dumps(cj, JSON_ENCODE_ANY) : NULL;
    json_decref(cj);
    conf = NULL;

    if (config) {
        cj = json_object();

        if (cj != NULL && c->req->endpoint != NULL) {
            json_object_set_new(cj, "s3.endpoint",
                                json_string(c->req->endpoint));
            json_object_set_new(cj, "s3.path-style-access",
                                json_string("true"));
        }

        if (cj != NULL && c->req->region != NULL) {
            json_object_set_new(cj, "client.region",
                                json_string(c->req->region));
            json_object_set_new(cj, "s3.region",
                                json_string(c->req->region));
            json_object_set_new(cj, "region", json_string(c->req->region));
        }

        conf = cj ? json_dumps(cj, JSON_COMPACT) : NULL;
        json_decref(cj);
    }

    if (loc == NULL || (config && conf == NULL)) {
        free(loc);
        free(conf);
        return icetap_rest_error(c, 500, "InternalServerError",
                                 "out of memory");
    }

    rc = icetap_buf_append(b, "{\"metadata-location\":", 21);
    if (rc == ICETAP_OK) {
        rc = icetap_buf_append(b, loc, strlen(loc));
    }

    if (rc == ICETAP_OK) {
        rc = icetap_buf_append(b, ",\"metadata\":", 12);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_buf_append(b, text, len);
    }

    if (rc == ICETAP_OK && config) {
        rc = icetap_buf_append(b, ",\"config\":", 10);
        if (rc == ICETAP_OK) {
            rc = icetap_buf_append(b, conf, strlen(conf));
        }
    }

    if (rc == ICETAP_OK) {
        rc = icetap_buf_putc(b, '}');
    }

    free(loc);
    free(conf);

    if (rc != ICETAP_OK) {
        return icetap_rest_error(c, 500, "InternalServerError",
                                 "out of memory");
    }

    c->res->status = 200;
    c->res->content_type = "application/json";

    return ICETAP_OK;
}


static icetap_rc
icetap_rest_tables_list(icetap_rest_t *c, const char *ns)
{
    char        prefix[ICETAP_REST_KEY_LEN], *token, *size;
    size_t      i, n, start, limit;
    json_t     *doc, *names, *out, *ids;
    icetap_rc   rc;

    if (!icetap_rest_check_ns(c, ns)) {
        return ICETAP_OK;
    }

    if (!icetap_rest_allowed(c, "s3tables:ListTables", c->bucket_arn, NULL))
    {
        return ICETAP_OK;
    }

    rc = icetap_rest_ns_load(c, ns, &doc, NULL);
    if (rc != ICETAP_OK) {
        return ICETAP_OK;
    }

    json_decref(doc);

    names = json_array();
    if (names == NULL) {
        return icetap_rest_error(c, 500, "InternalServerError",
                                 "out of memory");
    }

    snprintf(prefix, sizeof(prefix), ICETAP_CATALOG_PREFIX "%s/%s/",
             c->bucket, ns);

    rc = icetap_rest_list_names(c, prefix, names);
    if (rc != ICETAP_OK) {
        json_decref(names);
        return icetap_rest_fail(c, rc, "listing tables");
    }

    token = icetap_rest_arg(c, "pageToken");
    size = icetap_rest_arg(c, "pageSize");
    limit = size ? (size_t) strtoul(size, NULL, 10) : 0;
    icetap_free(size);

    if (limit == 0) {
        limit = (size_t) -1;
    }

    n = json_array_size(names);
    start = 0;

    if (token != NULL && token[0] != '\0') {
        while (start < n && strcmp(json_string_value(json_array_get(names,
                                                                  start)),
                                   token) <= 0)
        {
            start++;
        }
    }

    icetap_free(token);

    ids = json_array();
    out = json_pack("{s:o}", "identifiers", ids);

    if (out == NULL) {
        json_decref(names);
        return icetap_rest_error(c, 500, "InternalServerError",
                                 "out of memory");
    }

    for (i = start; i < n && i - start < limit; i++) {
        json_array_append_new(ids, json_pack("{s:[s], s:O}",
                                             "namespace", ns, "name",
                                             json_array_get(names, i)));
    }

    if (i < n) {
        json_object_set(out, "next-page-token",
                        json_array_get(names, i - 1));
    }

    json_decref(names);

    return icetap_rest_json(c, 200, out);
}


/* the next metadata file name after "previous" */

static char *
icetap_rest_md_name(const char *location, const char *previous,
    icetap_error_t *err)
{
    char         uuid[37], *out;
    size_t       len;
    long long    v;
    const char  *base;

    v = -1;

    if (previous != NULL) {
        base = strrchr(previous, '/');
        base = base ? base + 1 : previous;
        v = strtoll(base, NULL, 10);
    }

    if (icetap_uuid4(uuid, err) != ICETAP_OK) {
        return NULL;
    }

    len = strlen(location) + 80;
    out = icetap_alloc(len);

    if (out != NULL) {
        snprintf(out, len, "%s/metadata/%05lld-%s.metadata.json", location,
                 v + 1, uuid);
    }

    return out;
}


/* writes md under a fresh name; *loc the new location */

static icetap_rc
icetap_rest_write_md(icetap_rest_t *c, const icetap_table_metadata_t *md,
    const char *previous, char **loc, char **text, size_t *len)
{
    char                     *json, *l;
    icetap_rc                 rc;
    const char               *key;
    icetap_store_put_opts_t   opts;

    *loc = NULL;

    json = icetap_metadata_serialize(md, 0);
    if (json == NULL) {
        return icetap_error_set(&c->err, ICETAP_NOMEM, "out of memory");
    }

    if (strlen(json) > ICETAP_REST_MAX_METADATA) {
        icetap_free(json);
        return icetap_error_set(&c->err, ICETAP_INVALID,
                                "the table metadata would exceed 50 MB");
    }

    l = icetap_rest_md_name(md->location, previous, &c->err);
    if (l == NULL) {
        icetap_free(json);
        return icetap_error_set(&c->err, ICETAP_NOMEM, "out of memory");
    }

    key = icetap_rest_location_key(c, l);

    if (key == NULL) {
        icetap_free(json);
        icetap_free(l);
        return icetap_error_set(&c->err, ICETAP_INVALID,
                                "the table location is outside the store");
    }

    memset(&opts, 0, sizeof(opts));
    opts.content_type = "application/json";
    opts.if_none_match = 1;

    rc = icetap_store_put_buf(c->req->store, key, json, strlen(json), &opts,
                              NULL, &c->err);
    if (rc != ICETAP_OK) {
        icetap_free(json);
        icetap_free(l);
        return rc;
    }

    *loc = l;
    *text = json;
    *len = strlen(json);

    return ICETAP_OK;
}


static void
icetap_rest_delete_location(icetap_rest_t *c, const char *loc)
{
    const char      *key;
    icetap_error_t   err;

    key = icetap_rest_location_key(c, loc);

    if (key != NULL) {
        (void) icetap_store_delete(c->req->store, key, &err);
    }
}


/* properties of CreateTableRequest; "format-version" is not kept */

static icetap_rc
icetap_rest_props(icetap_rest_t *c, const json_t *j, icetap_kvs_t *props,
    int *format_version)
{
    char        *end;
    long         v;
    json_t      *val;
    const char  *k, *s;

    memset(props, 0, sizeof(icetap_kvs_t));

    if (j == NULL || json_is_null(j)) {
        return ICETAP_OK;
    }

    if (!json_is_object(j)) {
        icetap_rest_error(c, 400, "BadRequestException",
                          "Malformed request: \"properties\" must be an "
                          "object");
        return ICETAP_INVALID;
    }

    json_object_foreach((json_t *) j, k, val) {
        s = json_string_value(val);

        if (s == NULL) {
            icetap_kvs_free(props);
            icetap_rest_error(c, 400, "BadRequestException",
                              "Malformed request: property \"%.64s\" is not "
                              "a string", k);
            return ICETAP_INVALID;
        }

        if (strcmp(k, "format-version") == 0) {
            v = strtol(s, &end, 10);

            if (*end != '\0' || (v != 2 && v != 3)) {
                icetap_kvs_free(props);
                icetap_rest_error(c, 400, "BadRequestException",
                                  "unsupported format-version \"%.16s\" "
                                  "(2 and 3 are)", s);
                return ICETAP_INVALID;
            }

            *format_version = (int) v;
            continue;
        }

        if (icetap_kvs_set(props, k, s) != ICETAP_OK) {
            icetap_kvs_free(props);
            icetap_rest_error(c, 500, "InternalServerError",
                              "out of memory");
            return ICETAP_NOMEM;
        }
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_rest_table_create(icetap_rest_t *c, const char *ns)
{
    int                       fv, have_spec, have_order;
    char                     *loc, *text, etag[ICETAP_STORE_ETAG_LEN];
    char                      key[ICETAP_REST_KEY_LEN];
    size_t                    len;
    json_t                   *body, *doc, *j;
    icetap_rc                 rc;
    const char               *name, *location;
    icetap_buf_t              b;
    icetap_kvs_t              props;
    icetap_schema_t          *schema;
    icetap_sort_order_t       order;
    icetap_catalog_table_t    t;
    icetap_partition_spec_t   spec;
    icetap_table_metadata_t  *md;

    if (!icetap_rest_check_ns(c, ns)) {
        return ICETAP_OK;
    }

    body = icetap_rest_body(c);
    if (body == NULL) {
        return ICETAP_OK;
    }

    icetap_rest_kebab(body);

    name = json_string_value(json_object_get(body, "name"));

    if (name == NULL || !json_is_object(json_object_get(body, "schema"))) {
        rc = icetap_rest_error(c, 400, "BadRequestException",
                               "Malformed request: \"name\" and "
                               "\"schema\" are required");
        json_decref(body);
        return rc;
    }

    if (!icetap_rest_valid_name(name, 0)) {
        rc = icetap_rest_error(c, 400, "BadRequestException",
                               "invalid table name \"%.300s\": 1 to 255 of "
                               "a-z, 0-9 and _, starting and ending with a "
                               "letter or digit", name);
        json_decref(body);
        return rc;
    }

    if (json_is_true(json_object_get(body, "stage-create"))) {
        rc = icetap_rest_error(c, 400, "BadRequestException",
                               "stage-create is not supported: create "
                               "the table, then commit to it");
        json_decref(body);
        return rc;
    }

    if (!icetap_rest_allowed(c, "s3tables:CreateTable", c->bucket_arn,
                             NULL))
    {
        json_decref(body);
        return ICETAP_OK;
    }

    if (c->bucket_aws) {
        rc = icetap_rest_error(c, 403, "ForbiddenException",
                               "the table bucket %s is managed by icetap "
                               "and read-only", c->bucket);
        json_decref(body);
        return rc;
    }

    rc = icetap_rest_ns_load(c, ns, &doc, NULL);
    if (rc != ICETAP_OK) {
        json_decref(body);
        return ICETAP_OK;
    }

    json_decref(doc);

    fv = 2;

    rc = icetap_rest_props(c, json_object_get(body, "properties"), &props,
                           &fv);
    if (rc != ICETAP_OK) {
        json_decref(body);
        return ICETAP_OK;
    }

    schema = NULL;
    have_spec = 0;
    have_order = 0;
    md = NULL;
    loc = NULL;
    text = NULL;
    memset(&t, 0, sizeof(t));

    rc = icetap_schema_from_json(json_object_get(body, "schema"), &schema,
                                 &c->err);

    j = json_object_get(body, "partition-spec");
    icetap_rest_spec_defaults(j);

    if (rc == ICETAP_OK && json_is_object(j)) {
        rc = icetap_partition_spec_from_json(j, &spec, &c->err);
        have_spec = rc == ICETAP_OK;
    }

    j = json_object_get(body, "write-order");

    if (json_is_object(j) && json_object_get(j, "order-id") == NULL) {
        json_object_set_new(j, "order-id", json_integer(0));
    }

    if (rc == ICETAP_OK && json_is_object(j)) {
        rc = icetap_md_sort_order_from_json(j, &order, &c->err);
        have_order = rc == ICETAP_OK;
    }

    if (rc == ICETAP_OK) {
        rc = icetap_catalog_table_init(&t, c->req->state_bucket, c->bucket,
                                       ns, name, NULL, c->bucket_arn, NULL,
                                       &c->err);
    }

    location = t.warehouse_location;

    if (rc == ICETAP_OK) {
        j = json_object_get(body, "location");

        if (json_is_string(j)) {
            location = json_string_value(j);

            if (!icetap_rest_under(location, t.warehouse_location)) {
                rc = icetap_error_set(&c->err, ICETAP_INVALID,
                                      "location \"%.200s\" is outside the "
                                      "table's warehouse location %.200s",
                                      location, t.warehouse_location);
            }
        }
    }

    if (rc == ICETAP_OK
        && !icetap_rest_allowed(c, "s3tables:PutTableData", t.arn, NULL))
    {
        rc = ICETAP_EOF;
    }

    if (rc == ICETAP_OK) {
        rc = icetap_metadata_create(fv, NULL, location, schema,
                                    have_spec ? &spec : NULL,
                                    have_order ? &order : NULL, &props,
                                    c->req->now_ms, &md, &c->err);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_rest_write_md(c, md, NULL, &loc, &text, &len);
    }

    if (rc == ICETAP_OK) {
        t.metadata_location = loc;
        t.version_token = icetap_strndup("1", 1);
        memset(&b, 0, sizeof(b));

        rc = icetap_catalog_table_to_json(&t, &b, &c->err);

        if (rc == ICETAP_OK) {
            doc = json_loadb((const char *) b.data, b.len, 0, NULL);

            if (doc == NULL) {
                rc = icetap_error_set(&c->err, ICETAP_NOMEM,
                                      "out of memory");

            } else {
                json_object_set_new(doc, "created_by",
                                    json_string(c->req->account_id
                                                ? c->req->account_id : ""));

                rc = icetap_catalog_table_key(c->bucket, ns, name, key,
                                              sizeof(key));
            }

            if (rc == ICETAP_OK && doc != NULL) {
                rc = icetap_rest_put_json(c, key, doc, 1, NULL, etag);
            }

            if (rc == ICETAP_OK) {
                icetap_rest_cache_put(key, etag, text, len, md);
            }

            json_decref(doc);
        }

        icetap_buf_free(&b);
    }

    if (rc == ICETAP_EOF) {
        rc = ICETAP_OK;

    } else if (rc == ICETAP_CONFLICT) {
        icetap_rest_delete_location(c, loc);
        rc = icetap_rest_error(c, 409, "AlreadyExistsException",
                               "Table already exists: %s.%s", ns, name);

    } else if (rc != ICETAP_OK) {
        if (loc != NULL) {
            icetap_rest_delete_location(c, loc);
        }

        rc = icetap_rest_fail(c, rc, "creating the table");

    } else {
        rc = icetap_rest_load_result(c, loc, text, len, 1);
    }

    icetap_free(text);
    icetap_metadata_free(md);
    icetap_schema_free(schema);

    if (have_spec) {
        icetap_partition_spec_clear(&spec);
    }

    if (have_order) {
        icetap_md_sort_order_clear(&order);
    }

    if (t.table_bucket) {
        icetap_catalog_table_free(&t);
    }

    icetap_kvs_free(&props);
    json_decref(body);

    return rc;
}


/* "snapshots=refs": only the snapshots a branch or tag points at */

static icetap_rc
icetap_rest_refs_only(icetap_rest_t *c, char **text, size_t *len)
{
    char         *mode, *out;
    size_t        i;
    json_t       *j, *snaps, *refs, *s, *r;
    const char   *name;
    json_int_t    id;
    int           keep;

    mode = icetap_rest_arg(c, "snapshots");

    if (mode == NULL || strcmp(mode, "all") == 0) {
        icetap_free(mode);
        return ICETAP_OK;
    }

    if (strcmp(mode, "refs") != 0) {
        icetap_free(mode);
        icetap_free(*text);
        *text = NULL;
        icetap_rest_error(c, 400, "BadRequestException",
                          "snapshots must be \"all\" or \"refs\"");
        return ICETAP_INVALID;
    }

    icetap_free(mode);

    j = json_loadb(*text, *len, 0, NULL);
    snaps = json_object_get(j, "snapshots");
    refs = json_object_get(j, "refs");

    for (i = json_array_size(snaps); i > 0; i--) {
        s = json_array_get(snaps, i - 1);
        id = json_integer_value(json_object_get(s, "snapshot-id"));
        keep = 0;

        json_object_foreach(refs, name, r) {
            if (json_integer_value(json_object_get(r, "snapshot-id")) == id) {
                keep = 1;
            }
        }

        if (!keep) {
            json_array_remove(snaps, i - 1);
        }
    }

    out = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);

    if (out == NULL) {
        icetap_free(*text);
        *text = NULL;
        icetap_rest_error(c, 500, "InternalServerError", "out of memory");
        return ICETAP_NOMEM;
    }

    icetap_free(*text);
    *len = strlen(out);
    *text = icetap_strndup(out, *len);
    free(out);

    return *text ? ICETAP_OK : ICETAP_NOMEM;
}


static icetap_rc
icetap_rest_table_load(icetap_rest_t *c, const char *ns, const char *name,
    int head)
{
    char                     *text;
    size_t                    len;
    icetap_rc                 rc;
    icetap_rest_entry_t       e;
    icetap_table_metadata_t  *md;

    if (!icetap_rest_check_ns(c, ns)) {
        return ICETAP_OK;
    }

    rc = icetap_rest_entry_load(c, ns, name, &e,
                                head ? "s3tables:GetTable"
                                     : "s3tables:GetTableMetadataLocation");
    if (rc != ICETAP_OK) {
        if (head) {
            icetap_buf_reset(&c->res->body);
        }

        return ICETAP_OK;
    }

    if (head) {
        if (icetap_rest_allowed(c, "s3tables:GetTable", e.t.arn,
                                icetap_rest_policy(&e)))
        {
            icetap_rest_empty(c, 204);

        } else {
            icetap_buf_reset(&c->res->body);
        }

        icetap_rest_entry_free(&e);
        return ICETAP_OK;
    }

    if (!icetap_rest_allowed(c, "s3tables:GetTableMetadataLocation", e.t.arn,
                             icetap_rest_policy(&e))
        || !icetap_rest_allowed(c, "s3tables:GetTableData", e.t.arn,
                                icetap_rest_policy(&e)))
    {
        icetap_rest_entry_free(&e);
        return ICETAP_OK;
    }

    rc = icetap_rest_metadata(c, &e, &text, &len, &md);

    if (rc == ICETAP_OK) {
        rc = icetap_rest_refs_only(c, &text, &len);

        if (rc == ICETAP_OK) {
            rc = icetap_rest_load_result(c, e.t.metadata_location, text, len,
                                         1);
        }

        icetap_free(text);
        icetap_metadata_free(md);
    }

    icetap_rest_entry_free(&e);

    return rc == ICETAP_ERROR ? ICETAP_ERROR : ICETAP_OK;
}


/*
 * One table change of a commit: requirements and updates of "change"
 * against the current table, the new metadata written, the entry
 * swapped.  Lost swaps are retried on the fresh table while the
 * requirements still hold.  On success loc, text and len describe the
 * new metadata; otherwise the response holds the error.
 */

static icetap_rc
icetap_rest_commit_one(icetap_rest_t *c, const char *ns, const char *name,
    const json_t *change, char **loc, char **text, size_t *len)
{
    int                       attempt;
    char                     *l, *t, tok[32], etag[ICETAP_STORE_ETAG_LEN];
    size_t                    n;
    int64_t                   version, prev_ms;
    json_t                   *reqs, *upds;
    icetap_rc                 rc;
    icetap_rest_entry_t       e;
    icetap_table_metadata_t  *md;

    *loc = NULL;
    *text = NULL;

    reqs = json_object_get(change, "requirements");
    upds = json_object_get(change, "updates");

    if (!json_is_array(reqs) || !json_is_array(upds)) {
        icetap_rest_error(c, 400, "BadRequestException",
                          "Malformed request: \"requirements\" and "
                          "\"updates\" must be arrays");
        return ICETAP_INVALID;
    }

    for (attempt = 1; attempt <= ICETAP_REST_ATTEMPTS; attempt++) {
        rc = icetap_rest_entry_load(c, ns, name, &e,
                                    "s3tables:UpdateTableMetadataLocation");
        if (rc != ICETAP_OK) {
            return rc;
        }

        if (attempt == 1
            && (!icetap_rest_allowed(c, "s3tables:UpdateTableMetadataLocation",
                                     e.t.arn, icetap_rest_policy(&e))
                || !icetap_rest_allowed(c, "s3tables:PutTableData", e.t.arn,
                                        icetap_rest_policy(&e))
                || !icetap_rest_allowed(c, "s3tables:GetTableData", e.t.arn,
                                        icetap_rest_policy(&e))))
        {
            icetap_rest_entry_free(&e);
            return ICETAP_ERROR;
        }

        if (e.t.managed_by != NULL || c->bucket_aws) {
            icetap_rest_error(c, 403, "ForbiddenException",
                              "table %s.%s is managed by %s and read-only",
                              ns, name, e.t.managed_by ? e.t.managed_by
                                                       : "icetap");
            icetap_rest_entry_free(&e);
            return ICETAP_ERROR;
        }

        rc = icetap_rest_metadata(c, &e, &t, &n, &md);
        if (rc != ICETAP_OK) {
            icetap_rest_entry_free(&e);
            return rc;
        }

        icetap_free(t);

        rc = icetap_rest_check_requirements(md, reqs, &c->err);

        if (rc == ICETAP_OK && json_array_size(upds) == 0) {
            /* nothing to change: the table as it is */

            icetap_metadata_free(md);
            rc = icetap_rest_metadata(c, &e, text, len, &md);
            if (rc == ICETAP_OK) {
                *loc = icetap_strndup(e.t.metadata_location,
                                      strlen(e.t.metadata_location));
            }

            icetap_metadata_free(md);
            icetap_rest_entry_free(&e);

            return rc;
        }

        prev_ms = md->last_updated_ms;

        if (rc == ICETAP_OK) {
            rc = icetap_rest_apply_updates(&md, upds,
                                           e.t.warehouse_location,
                                           c->req->now_ms, &c->err);
        }

        if (rc == ICETAP_OK) {
            rc = icetap_metadata_add_log_entry(md, e.t.metadata_location,
                                               prev_ms, 100, &c->err);
        }

        if (rc == ICETAP_OK) {
            rc = icetap_rest_write_md(c, md, e.t.metadata_location, &l, &t,
                                      &n);
        }

        if (rc != ICETAP_OK) {
            icetap_metadata_free(md);
            icetap_rest_entry_free(&e);

            if (rc == ICETAP_CONFLICT) {
                icetap_rest_error(c, 409, "CommitFailedException", "%s",
                                  c->err.msg);

            } else {
                icetap_rest_fail(c, rc, "commit");
            }

            return rc;
        }

        /* the swap: the entry changes only if nobody changed it since */

        version = e.t.version_token ? strtoll(e.t.version_token, NULL, 10)
                                    : 0;
        snprintf(tok, sizeof(tok), "%" PRId64, version + 1);

        json_object_set_new(e.doc, "metadata_location", json_string(l));
        json_object_set_new(e.doc, "version_token", json_string(tok));
        json_object_set_new(e.doc, "updated_at_ms",
                            json_integer(c->req->now_ms));

        rc = icetap_rest_put_json(c, e.key, e.doc, 0, e.etag, etag);

        if (rc == ICETAP_OK) {
            icetap_rest_cache_put(e.key, etag, t, n, md);
            icetap_metadata_free(md);
            icetap_rest_entry_free(&e);

            *loc = l;
            *text = t;
            *len = n;

            return ICETAP_OK;
        }

        icetap_metadata_free(md);
        icetap_rest_entry_free(&e);
        icetap_free(t);

        if (rc != ICETAP_CONFLICT) {
            /* the outcome is unknown: the file may be current, keep it */

            icetap_rest_error(c, 500, "CommitStateUnknownException",
                              "the commit may or may not have happened: %s",
                              c->err.msg);
            icetap_free(l);
            return rc;
        }

        /* lost the race: nothing of this attempt stays */

        icetap_rest_delete_location(c, l);
        icetap_free(l);
    }

    icetap_rest_error(c, 409, "CommitFailedException",
                      "Commit failed: the table kept changing during %d "
                      "attempts", ICETAP_REST_ATTEMPTS);

    return ICETAP_CONFLICT;
}


static icetap_rc
icetap_rest_table_commit(icetap_rest_t *c, const char *ns, const char *name)
{
    char        *loc, *text;
    size_t       len;
    json_t      *body;
    icetap_rc    rc;

    if (!icetap_rest_check_ns(c, ns)) {
        return ICETAP_OK;
    }

    body = icetap_rest_body(c);
    if (body == NULL) {
        return ICETAP_OK;
    }

    icetap_rest_kebab(body);

    rc = icetap_rest_commit_one(c, ns, name, body, &loc, &text, &len);

    if (rc == ICETAP_OK) {
        icetap_rest_load_result(c, loc, text, len, 0);
        icetap_free(loc);
        icetap_free(text);
    }

    json_decref(body);

    return ICETAP_OK;
}


/* POST /v1/{prefix}/transactions/commit: one table change at a time */

static icetap_rc
icetap_rest_transaction(icetap_rest_t *c)
{
    char         *loc, *text;
    size_t        len;
    json_t       *body, *changes, *ch, *id, *nsj;
    icetap_rc     rc;
    const char   *ns, *name;

    body = icetap_rest_body(c);
    if (body == NULL) {
        return ICETAP_OK;
    }

    icetap_rest_kebab(body);

    changes = json_object_get(body, "table-changes");

    if (!json_is_array(changes) || json_array_size(changes) == 0) {
        rc = icetap_rest_error(c, 400, "BadRequestException",
                               "Malformed request: \"table-changes\" "
                               "must be a non-empty array");
        json_decref(body);
        return rc;
    }

    if (json_array_size(changes) > 1) {
        rc = icetap_rest_error(c, 406, "UnsupportedOperationException",
                               "multi-table transactions are not "
                               "supported: commit one table at a time");
        json_decref(body);
        return rc;
    }

    ch = json_array_get(changes, 0);
    id = json_object_get(ch, "identifier");
    nsj = json_object_get(id, "namespace");
    ns = json_string_value(json_array_get(nsj, 0));
    name = json_string_value(json_object_get(id, "name"));

    if (ns == NULL || name == NULL || json_array_size(nsj) != 1) {
        rc = icetap_rest_error(c, 400, "BadRequestException",
                               "Malformed request: a table change needs "
                               "an \"identifier\" with a one-level "
                               "namespace and a name");
        json_decref(body);
        return rc;
    }

    if (!icetap_rest_check_ns(c, ns)) {
        json_decref(body);
        return ICETAP_OK;
    }

    rc = icetap_rest_commit_one(c, ns, name, ch, &loc, &text, &len);

    if (rc == ICETAP_OK) {
        icetap_free(loc);
        icetap_free(text);
        icetap_rest_empty(c, 204);
    }

    json_decref(body);

    return ICETAP_OK;
}


typedef struct {
    icetap_rest_t     *c;
    char             **keys;
    size_t             n;
    size_t             cap;
} icetap_rest_purge_t;


static icetap_rc
icetap_rest_purge_page(void *ctx, const icetap_store_page_t *page)
{
    char                **k;
    size_t                i;
    icetap_rest_purge_t  *p = ctx;

    for (i = 0; i < page->nentries; i++) {
        if (p->n == p->cap) {
            p->cap = p->cap ? 2 * p->cap : 256;
            k = icetap_realloc(p->keys, p->cap * sizeof(char *));
            if (k == NULL) {
                return ICETAP_NOMEM;
            }

            p->keys = k;
        }

        p->keys[p->n] = icetap_strndup(page->entries[i].key,
                                       strlen(page->entries[i].key));
        if (p->keys[p->n] == NULL) {
            return ICETAP_NOMEM;
        }

        p->n++;
    }

    return ICETAP_OK;
}


/* deletes every object under the table's location */

static icetap_rc
icetap_rest_purge(icetap_rest_t *c, const char *location)
{
    char                      prefix[1024];
    size_t                    i, n;
    icetap_rc                 rc;
    const char               *key;
    icetap_rest_purge_t       p;
    icetap_store_list_opts_t  opts;

    key = icetap_rest_location_key(c, location);

    if (key == NULL || key[0] == '\0'
        || strlen(key) + 2 > sizeof(prefix))
    {
        return ICETAP_OK;
    }

    snprintf(prefix, sizeof(prefix), "%s/", key);

    memset(&opts, 0, sizeof(opts));
    opts.prefix = prefix;
    memset(&p, 0, sizeof(p));
    p.c = c;

    rc = icetap_store_list(c->req->store, &opts, icetap_rest_purge_page, &p,
                           &c->err);

    for (i = 0; rc == ICETAP_OK && i < p.n; i += n) {
        n = icetap_min(p.n - i, 1000);
        rc = icetap_store_delete_batch(c->req->store,
                                       (const char *const *) p.keys + i, n,
                                       &c->err);
    }

    for (i = 0; i < p.n; i++) {
        icetap_free(p.keys[i]);
    }

    icetap_free(p.keys);

    return rc;
}


static icetap_rc
icetap_rest_table_drop(icetap_rest_t *c, const char *ns, const char *name)
{
    char                 *purge;
    int                   purge_on;
    icetap_rc             rc;
    icetap_rest_entry_t   e;

    if (!icetap_rest_check_ns(c, ns)) {
        return ICETAP_OK;
    }

    purge = icetap_rest_arg(c, "purgeRequested");
    purge_on = purge != NULL && strcasecmp(purge, "true") == 0;
    icetap_free(purge);

    rc = icetap_rest_entry_load(c, ns, name, &e, "s3tables:DeleteTable");
    if (rc != ICETAP_OK) {
        return ICETAP_OK;
    }

    if (!icetap_rest_allowed(c, "s3tables:DeleteTable", e.t.arn,
                             icetap_rest_policy(&e)))
    {
        icetap_rest_entry_free(&e);
        return ICETAP_OK;
    }

    if (e.t.managed_by != NULL || c->bucket_aws) {
        icetap_rest_error(c, 403, "ForbiddenException",
                          "table %s.%s is managed by %s and cannot be "
                          "dropped", ns, name,
                          e.t.managed_by ? e.t.managed_by : "icetap");
        icetap_rest_entry_free(&e);
        return ICETAP_OK;
    }

    if (!purge_on) {
        icetap_rest_entry_free(&e);
        return icetap_rest_error(c, 400, "BadRequestException",
                                 "DropTable operation failed. S3 Tables "
                                 "only supports dropping tables with purge "
                                 "enabled.");
    }

    /* the entry goes first: that is the drop; the files follow it */

    rc = icetap_store_delete(c->req->store, e.key, &c->err);

    if (rc == ICETAP_OK) {
        rc = icetap_rest_purge(c, e.t.warehouse_location);

        if (rc == ICETAP_OK && e.t.metadata_location != NULL
            && strncmp(e.t.metadata_location, e.t.warehouse_location,
                       strlen(e.t.warehouse_location)) != 0)
        {
            icetap_rest_delete_location(c, e.t.metadata_location);
        }

        /* files left behind are unreferenced: maintenance removes them */

        rc = icetap_rest_empty(c, 204);

    } else {
        icetap_rest_fail(c, rc, "dropping the table");
    }

    icetap_rest_entry_free(&e);

    return ICETAP_OK;
}


static int
icetap_rest_ident(const json_t *j, const char **ns, const char **name)
{
    json_t  *nsj;

    nsj = json_object_get(j, "namespace");
    *ns = json_string_value(json_array_get(nsj, 0));
    *name = json_string_value(json_object_get(j, "name"));

    return *ns != NULL && *name != NULL && json_array_size(nsj) == 1;
}


static icetap_rc
icetap_rest_table_rename(icetap_rest_t *c)
{
    int                   i;
    char                  key[ICETAP_REST_KEY_LEN];
    char                  etag[ICETAP_STORE_ETAG_LEN];
    char                  prev[ICETAP_STORE_ETAG_LEN];
    json_t               *body, *doc;
    icetap_rc             rc;
    const char           *sns, *sname, *dns, *dname;
    icetap_rest_entry_t   e, again;

    body = icetap_rest_body(c);
    if (body == NULL) {
        return ICETAP_OK;
    }

    if (!icetap_rest_ident(json_object_get(body, "source"), &sns, &sname)
        || !icetap_rest_ident(json_object_get(body, "destination"), &dns,
                              &dname))
    {
        rc = icetap_rest_error(c, 400, "BadRequestException",
                               "Malformed request: \"source\" and "
                               "\"destination\" need a one-level "
                               "\"namespace\" and a \"name\"");
        json_decref(body);
        return rc;
    }

    if (!icetap_rest_check_ns(c, sns) || !icetap_rest_check_ns(c, dns)) {
        json_decref(body);
        return ICETAP_OK;
    }

    if (!icetap_rest_valid_name(dname, 0)) {
        rc = icetap_rest_error(c, 400, "BadRequestException",
                               "invalid table name \"%.300s\"", dname);
        json_decref(body);
        return rc;
    }

    rc = icetap_rest_entry_load(c, sns, sname, &e, "s3tables:RenameTable");
    if (rc != ICETAP_OK) {
        json_decref(body);
        return ICETAP_OK;
    }

    if (!icetap_rest_allowed(c, "s3tables:RenameTable", e.t.arn,
                             icetap_rest_policy(&e)))
    {
        goto done;
    }

    if (e.t.managed_by != NULL || c->bucket_aws) {
        icetap_rest_error(c, 403, "ForbiddenException",
                          "table %s.%s is managed by %s and cannot be "
                          "renamed", sns, sname,
                          e.t.managed_by ? e.t.managed_by : "icetap");
        goto done;
    }

    rc = icetap_rest_ns_load(c, dns, &doc, NULL);
    if (rc != ICETAP_OK) {
        goto done;
    }

    json_decref(doc);

    if (icetap_catalog_table_key(c->bucket, dns, dname, key, sizeof(key))
        != ICETAP_OK)
    {
        icetap_rest_error(c, 400, "BadRequestException",
                          "invalid table name");
        goto done;
    }

    json_object_set_new(e.doc, "namespace", json_string(dns));
    json_object_set_new(e.doc, "name", json_string(dname));
    json_object_set_new(e.doc, "updated_at_ms",
                        json_integer(c->req->now_ms));

    rc = icetap_rest_put_json(c, key, e.doc, 1, NULL, etag);

    if (rc == ICETAP_CONFLICT) {
        icetap_rest_error(c, 409, "AlreadyExistsException",
                          "Table already exists: %s.%s", dns, dname);
        goto done;
    }

    if (rc != ICETAP_OK) {
        icetap_rest_fail(c, rc, "renaming the table");
        goto done;
    }

    /*
     * A commit to the source between our read and the delete would be
     * lost: carry changes over until the source is unchanged, then
     * delete it.
     */

    for (i = 0; i < ICETAP_REST_ATTEMPTS; i++) {
        if (icetap_rest_entry_load(c, sns, sname, &again, NULL) != ICETAP_OK) {
            break;
        }

        if (strcmp(again.etag, e.etag) == 0) {
            icetap_rest_entry_free(&again);
            break;
        }

        snprintf(e.etag, sizeof(e.etag), "%s", again.etag);
        json_object_set_new(again.doc, "namespace", json_string(dns));
        json_object_set_new(again.doc, "name", json_string(dname));

        memcpy(prev, etag, sizeof(prev));
        (void) icetap_rest_put_json(c, key, again.doc, 0, prev, etag);
        icetap_rest_entry_free(&again);
    }

    rc = icetap_store_delete(c->req->store, e.key, &c->err);

    if (rc != ICETAP_OK) {
        icetap_rest_fail(c, rc, "removing the renamed table's old entry");
        goto done;
    }

    icetap_rest_empty(c, 204);

done:

    icetap_rest_entry_free(&e);
    json_decref(body);

    return ICETAP_OK;
}


static icetap_rc
icetap_rest_table_register(icetap_rest_t *c, const char *ns)
{
    int                       overwrite;
    char                      key[ICETAP_REST_KEY_LEN];
    char                      etag[ICETAP_STORE_ETAG_LEN];
    size_t                    len;
    json_t                   *body, *doc;
    icetap_rc                 rc;
    const char               *name, *mloc, *mkey;
    icetap_buf_t              b, eb;
    icetap_rest_entry_t       old;
    icetap_catalog_table_t    t;
    icetap_table_metadata_t  *md;

    if (!icetap_rest_check_ns(c, ns)) {
        return ICETAP_OK;
    }

    body = icetap_rest_body(c);
    if (body == NULL) {
        return ICETAP_OK;
    }

    name = json_string_value(json_object_get(body, "name"));
    mloc = json_string_value(json_object_get(body, "metadata-location"));
    overwrite = json_is_true(json_object_get(body, "overwrite"));

    if (name == NULL || mloc == NULL) {
        rc = icetap_rest_error(c, 400, "BadRequestException",
                               "Malformed request: \"name\" and "
                               "\"metadata-location\" are required");
        json_decref(body);
        return rc;
    }

    if (!icetap_rest_valid_name(name, 0)) {
        rc = icetap_rest_error(c, 400, "BadRequestException",
                               "invalid table name \"%.300s\"", name);
        json_decref(body);
        return rc;
    }

    mkey = icetap_rest_location_key(c, mloc);
    len = strlen(mloc);

    if (mkey == NULL || len < 14
        || strcmp(mloc + len - 14, ".metadata.json") != 0)
    {
        rc = icetap_rest_error(c, 400, "BadRequestException",
                               "metadata-location \"%.300s\" must be a "
                               "*.metadata.json file in s3://%s/", mloc,
                               c->req->state_bucket);
        json_decref(body);
        return rc;
    }

    if (!icetap_rest_allowed(c, "s3tables:CreateTable", c->bucket_arn,
                             NULL))
    {
        json_decref(body);
        return ICETAP_OK;
    }

    if (c->bucket_aws) {
        rc = icetap_rest_error(c, 403, "ForbiddenException",
                               "the table bucket %s is managed by icetap "
                               "and read-only", c->bucket);
        json_decref(body);
        return rc;
    }

    rc = icetap_rest_ns_load(c, ns, &doc, NULL);
    if (rc != ICETAP_OK) {
        json_decref(body);
        return ICETAP_OK;
    }

    json_decref(doc);

    memset(&b, 0, sizeof(b));
    md = NULL;

    rc = icetap_store_get_buf(c->req->store, mkey, &b, &c->err);
    if (rc == ICETAP_OK) {
        rc = icetap_metadata_parse((const char *) b.data, b.len, &md,
                                   &c->err);
    }

    icetap_buf_free(&b);

    if (rc == ICETAP_NOTFOUND) {
        rc = icetap_rest_error(c, 400, "BadRequestException",
                               "metadata file %.300s does not exist",
                               mloc);
        json_decref(body);
        return rc;
    }

    if (rc != ICETAP_OK) {
        rc = icetap_rest_fail(c, rc, "reading the metadata to register");
        json_decref(body);
        return rc;
    }

    if (icetap_rest_location_key(c, md->location) == NULL) {
        icetap_metadata_free(md);
        rc = icetap_rest_error(c, 400, "BadRequestException",
                               "the table location of %.300s is outside "
                               "s3://%s/", mloc, c->req->state_bucket);
        json_decref(body);
        return rc;
    }

    memset(&old, 0, sizeof(old));

    if (overwrite
        && icetap_rest_entry_load(c, ns, name, &old, NULL) == ICETAP_OK
        && (old.t.managed_by != NULL))
    {
        icetap_rest_entry_free(&old);
        icetap_metadata_free(md);
        rc = icetap_rest_error(c, 403, "ForbiddenException",
                               "table %s.%s is managed and read-only",
                               ns, name);
        json_decref(body);
        return rc;
    }

    rc = icetap_catalog_table_init(&t, c->req->state_bucket, c->bucket, ns,
                                   name, old.doc ? old.t.arn : NULL,
                                   c->bucket_arn, NULL, &c->err);

    doc = NULL;
    memset(&eb, 0, sizeof(eb));

    if (rc == ICETAP_OK) {
        icetap_free(t.warehouse_location);
        t.warehouse_location = icetap_strndup(md->location,
                                              strlen(md->location));
        t.metadata_location = icetap_strndup(mloc, len);
        t.version_token = icetap_strndup("1", 1);

        rc = icetap_catalog_table_to_json(&t, &eb, &c->err);
    }

    if (rc == ICETAP_OK) {
        doc = json_loadb((const char *) eb.data, eb.len, 0, NULL);
        rc = icetap_catalog_table_key(c->bucket, ns, name, key, sizeof(key));
    }

    if (rc == ICETAP_OK && doc != NULL) {
        rc = icetap_rest_put_json(c, key, doc, old.doc == NULL,
                                  old.doc ? old.etag : NULL, etag);
    }

    if (rc == ICETAP_CONFLICT) {
        icetap_rest_error(c, 409, "AlreadyExistsException",
                          "Table already exists: %s.%s", ns, name);

    } else if (rc != ICETAP_OK || doc == NULL) {
        icetap_rest_fail(c, rc, "registering the table");

    } else {
        icetap_rest_entry_free(&old);
        icetap_rest_entry_load(c, ns, name, &old, NULL);

        if (old.doc != NULL) {
            char    *text;
            size_t   tlen;
            icetap_table_metadata_t  *m2;

            if (icetap_rest_metadata(c, &old, &text, &tlen, &m2)
                == ICETAP_OK)
            {
                icetap_rest_load_result(c, mloc, text, tlen, 1);
                icetap_free(text);
                icetap_metadata_free(m2);
            }
        }
    }

    json_decref(doc);
    icetap_buf_free(&eb);

    if (t.table_bucket) {
        icetap_catalog_table_free(&t);
    }

    icetap_rest_entry_free(&old);
    icetap_metadata_free(md);
    json_decref(body);

    return ICETAP_OK;
}


/* POST .../tables/{table}/metrics: reports are accepted and dropped */

static icetap_rc
icetap_rest_metrics(icetap_rest_t *c, const char *ns, const char *name)
{
    json_t               *body;
    icetap_rest_entry_t   e;

    body = icetap_rest_body(c);
    if (body == NULL) {
        return ICETAP_OK;
    }

    json_decref(body);

    if (icetap_rest_entry_load(c, ns, name, &e, "") != ICETAP_OK) {
        return ICETAP_OK;
    }

    icetap_rest_entry_free(&e);

    return icetap_rest_empty(c, 204);
}


/* routing */

static int
icetap_rest_split(icetap_rest_t *c, const char *rest)
{
    char  *p, *s;

    c->path = icetap_strndup(rest, strlen(rest));
    if (c->path == NULL) {
        return 0;
    }

    c->nsegs = 0;

    for (p = c->path; p != NULL && *p; p = s) {
        s = strchr(p, '/');

        if (s != NULL) {
            *s++ = '\0';
        }

        if (c->nsegs == icetap_nelems(c->segs)) {
            return 0;
        }

        c->segs[c->nsegs++] = p;
    }

    return 1;
}


static int
icetap_rest_is(icetap_rest_t *c, const char *method, size_t n, ...)
{
    size_t       i;
    va_list      ap;
    const char  *s;

    if (c->nsegs != n || strcmp(c->req->method, method) != 0) {
        return 0;
    }

    va_start(ap, n);

    for (i = 0; i < n; i++) {
        s = va_arg(ap, const char *);

        if (s != NULL && strcmp(c->segs[i], s) != 0) {
            va_end(ap);
            return 0;
        }
    }

    va_end(ap);

    return 1;
}


static icetap_rc
icetap_rest_route(icetap_rest_t *c, const char *rest)
{
    const char  *m;

    if (!icetap_rest_split(c, rest)) {
        return icetap_rest_error(c, 400, "BadRequestException",
                                 "No route for request: %s %s",
                                 c->req->method, c->req->path);
    }

    m = c->req->method;

    if (icetap_rest_is(c, "GET", 1, "namespaces")) {
        return icetap_rest_ns_list(c);
    }

    if (icetap_rest_is(c, "POST", 1, "namespaces")) {
        return icetap_rest_ns_create(c);
    }

    if (c->nsegs == 2 && strcmp(c->segs[0], "namespaces") == 0) {
        if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0) {
            return icetap_rest_ns_get(c, c->segs[1], m[0] == 'H');
        }

        if (strcmp(m, "DELETE") == 0) {
            return icetap_rest_ns_delete(c, c->segs[1]);
        }
    }

    if (icetap_rest_is(c, "POST", 3, "namespaces", NULL, "properties")) {
        return icetap_rest_ns_props(c, c->segs[1]);
    }

    if (icetap_rest_is(c, "GET", 3, "namespaces", NULL, "tables")) {
        return icetap_rest_tables_list(c, c->segs[1]);
    }

    if (icetap_rest_is(c, "POST", 3, "namespaces", NULL, "tables")) {
        return icetap_rest_table_create(c, c->segs[1]);
    }

    if (icetap_rest_is(c, "POST", 3, "namespaces", NULL, "register")) {
        return icetap_rest_table_register(c, c->segs[1]);
    }

    if (c->nsegs == 4 && strcmp(c->segs[0], "namespaces") == 0
        && strcmp(c->segs[2], "tables") == 0)
    {
        if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0) {
            return icetap_rest_table_load(c, c->segs[1], c->segs[3],
                                          m[0] == 'H');
        }

        if (strcmp(m, "POST") == 0) {
            return icetap_rest_table_commit(c, c->segs[1], c->segs[3]);
        }

        if (strcmp(m, "DELETE") == 0) {
            return icetap_rest_table_drop(c, c->segs[1], c->segs[3]);
        }
    }

    if (icetap_rest_is(c, "POST", 5, "namespaces", NULL, "tables", NULL,
                       "metrics"))
    {
        return icetap_rest_metrics(c, c->segs[1], c->segs[3]);
    }

    if (icetap_rest_is(c, "POST", 2, "tables", "rename")) {
        return icetap_rest_table_rename(c);
    }

    if (icetap_rest_is(c, "POST", 2, "transactions", "commit")) {
        return icetap_rest_transaction(c);
    }

    if (c->nsegs >= 3 && strcmp(c->segs[0], "namespaces") == 0
        && strcmp(c->segs[2], "views") == 0)
    {
        return icetap_rest_error(c, 404, "UnknownOperationException",
                                 "views are not supported");
    }

    return icetap_rest_error(c, 400, "BadRequestException",
                             "No route for request: %s %s", m,
                             c->req->path);
}


icetap_rc
icetap_iceberg_rest_handle(const icetap_api_request_t *req,
    icetap_api_response_t *res)
{
    char           *path, *arn, *slash;
    size_t          n;
    icetap_rc       rc;
    icetap_rest_t   c;

    memset(&c, 0, sizeof(c));
    c.req = req;
    c.res = res;

    res->content_type = "application/json";

    if (req->body_len > ICETAP_REST_MAX_BODY) {
        return icetap_rest_error(&c, 413, "BadRequestException",
                                 "the request body of %zu bytes exceeds the "
                                 "limit of %d bytes", req->body_len,
                                 ICETAP_REST_MAX_BODY);
    }

    /* the path may arrive decoded or not: decode what is left */

    path = icetap_strndup(req->path, strlen(req->path));
    if (path == NULL) {
        return ICETAP_ERROR;
    }

    if (!icetap_rest_unescape(path, 0)) {
        rc = icetap_rest_error(&c, 400, "BadRequestException",
                               "bad percent-encoding in the path");
        icetap_free(path);
        return rc;
    }

    if (strcmp(path, "/v1/config") == 0) {
        rc = strcmp(req->method, "GET") == 0
             ? icetap_rest_config(&c)
             : icetap_rest_error(&c, 405, "BadRequestException",
                                 "%s is not allowed on /v1/config",
                                 req->method);
        goto done;
    }

    if (strncmp(path, "/v1/", 4) != 0) {
        rc = icetap_rest_error(&c, 400, "BadRequestException",
                               "No route for request: %s %s", req->method,
                               req->path);
        goto done;
    }

    /* the prefix: a table bucket ARN, whose one "/" precedes the name */

    arn = path + 4;
    slash = strstr(arn, ":bucket/");
    slash = slash ? strchr(slash + 8, '/') : strchr(arn, '/');

    if (slash == NULL) {
        rc = icetap_rest_error(&c, 400, "BadRequestException",
                               "No route for request: %s %s", req->method,
                               req->path);
        goto done;
    }

    *slash = '\0';
    n = strlen(arn);
    (void) n;

    rc = icetap_rest_bucket(&c, arn, 404);
    if (rc == ICETAP_OK) {
        rc = icetap_rest_route(&c, slash + 1);

    } else {
        rc = ICETAP_OK;
    }

done:

    if (strcmp(req->method, "HEAD") == 0) {
        icetap_buf_reset(&res->body);
    }

    icetap_free(path);
    icetap_free(c.path);
    icetap_free(c.bucket_policy);

    return rc == ICETAP_ERROR ? ICETAP_ERROR : ICETAP_OK;
}
