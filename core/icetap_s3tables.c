/*
 * Copyright (C) icetap authors
 *
 * The S3 Tables control-plane API (include/icetap/api.h): AWS's paths,
 * JSON and error shapes over the catalog in the store
 * (include/icetap/catalog.h).
 *
 * Every operation parses its input, loads what it acts on, asks
 * req->authorize with the resource policies that apply, and only then
 * writes.  Entries change by conditional PUT (If-None-Match: * to
 * create, If-Match the ETag read to change), so two writers never both
 * win; UpdateTableMetadataLocation compares the versionToken on the
 * entry it swaps.  Tables and buckets of type "aws" (icetap's own
 * metadata tables) are readable and never writable through the API.
 */


#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include <icetap/api.h>
#include <icetap/catalog.h>
#include <icetap/metadata.h>
#include <icetap/policy.h>
#include <icetap/schema.h>
#include <icetap/table.h>

#include "icetap_metadata_int.h"


#define S3T_KEY_LEN          1024
#define S3T_ARN_LEN          2048
#define S3T_MAX_BUCKETS      10
#define S3T_MAX_TAGS         50
#define S3T_MAX_NAMESPACES   10000      /* per table bucket */
#define S3T_MAX_TABLES       10000      /* per table bucket */
#define S3T_RETRIES          8
#define S3T_JOBS_MAX         (1024 * 1024)


typedef struct {
    const icetap_api_request_t  *req;
    icetap_api_response_t       *res;
    icetap_error_t               err;

    char                        *seg[8];      /* the path's segments */
    size_t                       nseg;
    char                        *path;        /* a copy split into seg */
    json_t                      *body;        /* the parsed request body */

    char                         bucket_arn_all[160];
    const void                  *arg;         /* the route's */
} s3t_ctx_t;


/* a table bucket, namespace or table entry as read, with its ETag */

typedef struct {
    char                         key[S3T_KEY_LEN];
    char                         etag[ICETAP_STORE_ETAG_LEN];
    json_t                      *doc;
} s3t_entry_t;


typedef struct {
    char                         name[64];
    char                         arn[S3T_ARN_LEN];
    s3t_entry_t                  e;
} s3t_bucket_t;


typedef struct {
    s3t_bucket_t                 b;
    char                         ns[ICETAP_CATALOG_NAME_LEN];
    char                         name[ICETAP_CATALOG_NAME_LEN];
    s3t_entry_t                  e;
} s3t_table_t;


typedef icetap_rc (*s3t_handler_pt)(s3t_ctx_t *c);

typedef struct {
    const char                  *method;
    const char                  *pattern;   /* "buckets/{arn}/policy" */
    s3t_handler_pt               handler;
    const void                  *arg;
} s3t_route_t;


/*
 * A configuration member of a table bucket or table entry that the API
 * gets, puts and deletes whole: a resource policy, encryption, storage
 * class.
 */

typedef icetap_rc (*s3t_check_pt)(s3t_ctx_t *c, json_t *v);

typedef struct {
    unsigned                     table;       /* of a table, or a bucket */
    const char                  *get;         /* the actions */
    const char                  *put;
    const char                  *del;
    const char                  *member;      /* in the entry */
    const char                  *name;        /* in requests and answers */
    s3t_check_pt                 check;       /* a value put */
    const char                  *def_key;     /* the default answered */
    const char                  *def_value;   /* (none: 404) */
} s3t_member_t;


typedef icetap_rc (*s3t_modify_pt)(s3t_ctx_t *c, json_t *doc, void *arg);


static icetap_rc s3t_error(s3t_ctx_t *c, int status, const char *type,
    const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static icetap_rc s3t_bad(s3t_ctx_t *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static icetap_rc s3t_error_json(icetap_api_response_t *res, int status,
    const char *type, const char *message);
static icetap_rc s3t_reply(s3t_ctx_t *c, int status, json_t *body);
static icetap_rc s3t_store_failed(s3t_ctx_t *c);
static int s3t_match(s3t_ctx_t *c, const char *pattern);
static int s3t_query(s3t_ctx_t *c, const char *name, char *buf,
    size_t size);
static int s3t_query_at(s3t_ctx_t *c, const char *name, int index,
    char *buf, size_t size);
static void s3t_iso8601(int64_t ms, char *buf, size_t size);
static int s3t_valid_bucket_name(const char *name);
static int s3t_valid_name(const char *name, int ns);
static icetap_rc s3t_bucket_arn(s3t_ctx_t *c, const char *arn, char *name,
    size_t size);
static void s3t_format_bucket_arn(s3t_ctx_t *c, const char *name,
    char *arn, size_t size);
static icetap_rc s3t_body(s3t_ctx_t *c, int required);
static const char *s3t_str(json_t *j, const char *name);
static icetap_rc s3t_entry_load(s3t_ctx_t *c, s3t_entry_t *e);
static void s3t_entry_free(s3t_entry_t *e);
static icetap_rc s3t_put_doc(s3t_ctx_t *c, const char *key, json_t *doc,
    const char *if_match, int if_none_match);
static icetap_rc s3t_modify(s3t_ctx_t *c, const char *key,
    s3t_modify_pt fn, void *arg);
static icetap_rc s3t_authorize(s3t_ctx_t *c, const char *action,
    const char *arn, json_t *bucket, json_t *table);
static icetap_rc s3t_load_bucket(s3t_ctx_t *c, const char *arn,
    const char *action, s3t_bucket_t *b);
static icetap_rc s3t_load_table(s3t_ctx_t *c, const char *arn,
    const char *ns, const char *name, const char *action, s3t_table_t *t);
static int s3t_bucket_managed(json_t *doc);
static int s3t_table_managed(s3t_table_t *t);
static icetap_rc s3t_read_only(s3t_ctx_t *c, const char *what);
static icetap_rc s3t_list(s3t_ctx_t *c, const char *prefix,
    const char *delimiter, const char *start_after,
    icetap_rc (*cb)(void *ctx, const char *key), void *ctx);
static icetap_rc s3t_find_table_by_arn(s3t_ctx_t *c, const char *arn,
    s3t_table_t *t, const char *action);
static icetap_rc s3t_tags_check(s3t_ctx_t *c, json_t *tags);
static icetap_rc s3t_purge(s3t_ctx_t *c, const char *loc);
static icetap_rc s3t_encryption_check(s3t_ctx_t *c, json_t *enc);
static icetap_rc s3t_storage_class_check(s3t_ctx_t *c, json_t *sc);

static icetap_rc s3t_create_table_bucket(s3t_ctx_t *c);
static icetap_rc s3t_list_table_buckets(s3t_ctx_t *c);
static icetap_rc s3t_get_table_bucket(s3t_ctx_t *c);
static icetap_rc s3t_delete_table_bucket(s3t_ctx_t *c);
static icetap_rc s3t_create_namespace(s3t_ctx_t *c);
static icetap_rc s3t_list_namespaces(s3t_ctx_t *c);
static icetap_rc s3t_get_namespace(s3t_ctx_t *c);
static icetap_rc s3t_delete_namespace(s3t_ctx_t *c);
static icetap_rc s3t_create_table(s3t_ctx_t *c);
static icetap_rc s3t_list_tables(s3t_ctx_t *c);
static icetap_rc s3t_get_table(s3t_ctx_t *c);
static icetap_rc s3t_get_table_old(s3t_ctx_t *c);
static icetap_rc s3t_delete_table(s3t_ctx_t *c);
static icetap_rc s3t_rename_table(s3t_ctx_t *c);
static icetap_rc s3t_get_metadata_location(s3t_ctx_t *c);
static icetap_rc s3t_update_metadata_location(s3t_ctx_t *c);
static icetap_rc s3t_get_bucket_maintenance(s3t_ctx_t *c);
static icetap_rc s3t_put_bucket_maintenance(s3t_ctx_t *c);
static icetap_rc s3t_get_table_maintenance(s3t_ctx_t *c);
static icetap_rc s3t_put_table_maintenance(s3t_ctx_t *c);
static icetap_rc s3t_get_job_status(s3t_ctx_t *c);
static icetap_rc s3t_get_config(s3t_ctx_t *c);
static icetap_rc s3t_put_config(s3t_ctx_t *c);
static icetap_rc s3t_delete_config(s3t_ctx_t *c);
static icetap_rc s3t_policy_check(s3t_ctx_t *c, json_t *v);
static icetap_rc s3t_get_bucket_metrics(s3t_ctx_t *c);
static icetap_rc s3t_get_record_expiration(s3t_ctx_t *c);
static icetap_rc s3t_put_record_expiration(s3t_ctx_t *c);
static icetap_rc s3t_get_record_expiration_job(s3t_ctx_t *c);
static icetap_rc s3t_put_bucket_metrics(s3t_ctx_t *c);
static icetap_rc s3t_list_tags(s3t_ctx_t *c);
static icetap_rc s3t_tag_resource(s3t_ctx_t *c);
static icetap_rc s3t_untag_resource(s3t_ctx_t *c);


/*
 * "{arn}" is one segment; a table bucket ARN holds a "/" (the decoded
 * path splits it in two), so the matcher joins "...:bucket" with the
 * next segment, and "{res}" also takes a following "table/<id>".
 */

static const s3t_member_t  s3t_bucket_policy = {
    0, "s3tables:GetTableBucketPolicy", "s3tables:PutTableBucketPolicy",
    "s3tables:DeleteTableBucketPolicy", "policy", "resourcePolicy",
    s3t_policy_check, NULL, NULL
};

static const s3t_member_t  s3t_table_policy = {
    1, "s3tables:GetTablePolicy", "s3tables:PutTablePolicy",
    "s3tables:DeleteTablePolicy", "policy", "resourcePolicy",
    s3t_policy_check, NULL, NULL
};

static const s3t_member_t  s3t_bucket_encryption = {
    0, "s3tables:GetTableBucketEncryption",
    "s3tables:PutTableBucketEncryption",
    "s3tables:DeleteTableBucketEncryption", "encryption",
    "encryptionConfiguration", s3t_encryption_check, "sseAlgorithm", "AES256"
};

static const s3t_member_t  s3t_table_encryption = {
    1, "s3tables:GetTableEncryption", NULL, NULL, "encryption",
    "encryptionConfiguration", s3t_encryption_check, "sseAlgorithm", "AES256"
};

static const s3t_member_t  s3t_bucket_storage_class = {
    0, "s3tables:GetTableBucketStorageClass",
    "s3tables:PutTableBucketStorageClass", NULL, "storage_class",
    "storageClassConfiguration", s3t_storage_class_check, "storageClass",
    "STANDARD"
};

static const s3t_member_t  s3t_table_storage_class = {
    1, "s3tables:GetTableStorageClass", NULL, NULL, "storage_class",
    "storageClassConfiguration", s3t_storage_class_check, "storageClass",
    "STANDARD"
};

/* metrics: only deleted as a whole; get and put have their own handlers */

static const s3t_member_t  s3t_bucket_metrics = {
    0, NULL, NULL, "s3tables:DeleteTableBucketMetricsConfiguration",
    "metrics", NULL, NULL, NULL, NULL
};


static const s3t_route_t  s3t_routes[] = {
    { "PUT", "buckets", s3t_create_table_bucket, NULL },
    { "GET", "buckets", s3t_list_table_buckets, NULL },
    { "GET", "buckets/{arn}", s3t_get_table_bucket, NULL },
    { "DELETE", "buckets/{arn}", s3t_delete_table_bucket, NULL },
    { "GET", "buckets/{arn}/maintenance", s3t_get_bucket_maintenance, NULL },
    { "PUT", "buckets/{arn}/maintenance/{}", s3t_put_bucket_maintenance,
      NULL },
    { "GET", "buckets/{arn}/policy", s3t_get_config, &s3t_bucket_policy },
    { "PUT", "buckets/{arn}/policy", s3t_put_config, &s3t_bucket_policy },
    { "DELETE", "buckets/{arn}/policy", s3t_delete_config,
      &s3t_bucket_policy },
    { "GET", "buckets/{arn}/encryption", s3t_get_config,
      &s3t_bucket_encryption },
    { "PUT", "buckets/{arn}/encryption", s3t_put_config,
      &s3t_bucket_encryption },
    { "DELETE", "buckets/{arn}/encryption", s3t_delete_config,
      &s3t_bucket_encryption },
    { "GET", "buckets/{arn}/storage-class", s3t_get_config,
      &s3t_bucket_storage_class },
    { "PUT", "buckets/{arn}/storage-class", s3t_put_config,
      &s3t_bucket_storage_class },
    { "GET", "buckets/{arn}/metrics", s3t_get_bucket_metrics, NULL },
    { "PUT", "buckets/{arn}/metrics", s3t_put_bucket_metrics, NULL },
    { "DELETE", "buckets/{arn}/metrics", s3t_delete_config,
      &s3t_bucket_metrics },
    { "PUT", "namespaces/{arn}", s3t_create_namespace, NULL },
    { "GET", "namespaces/{arn}", s3t_list_namespaces, NULL },
    { "GET", "namespaces/{arn}/{}", s3t_get_namespace, NULL },
    { "DELETE", "namespaces/{arn}/{}", s3t_delete_namespace, NULL },
    { "PUT", "tables/{arn}/{}", s3t_create_table, NULL },
    { "GET", "tables/{arn}", s3t_list_tables, NULL },
    { "GET", "get-table", s3t_get_table, NULL },
    { "GET", "tables/{arn}/{}/{}", s3t_get_table_old, NULL },
    { "DELETE", "tables/{arn}/{}/{}", s3t_delete_table, NULL },
    { "PUT", "tables/{arn}/{}/{}/rename", s3t_rename_table, NULL },
    { "GET", "tables/{arn}/{}/{}/metadata-location",
      s3t_get_metadata_location, NULL },
    { "PUT", "tables/{arn}/{}/{}/metadata-location",
      s3t_update_metadata_location, NULL },
    { "GET", "tables/{arn}/{}/{}/maintenance", s3t_get_table_maintenance,
      NULL },
    { "PUT", "tables/{arn}/{}/{}/maintenance/{}",
      s3t_put_table_maintenance, NULL },
    { "GET", "tables/{arn}/{}/{}/maintenance-job-status",
      s3t_get_job_status, NULL },
    { "GET", "tables/{arn}/{}/{}/policy", s3t_get_config,
      &s3t_table_policy },
    { "PUT", "tables/{arn}/{}/{}/policy", s3t_put_config,
      &s3t_table_policy },
    { "DELETE", "tables/{arn}/{}/{}/policy", s3t_delete_config,
      &s3t_table_policy },
    { "GET", "tables/{arn}/{}/{}/encryption", s3t_get_config,
      &s3t_table_encryption },
    { "GET", "tables/{arn}/{}/{}/storage-class", s3t_get_config,
      &s3t_table_storage_class },
    { "GET", "table-record-expiration", s3t_get_record_expiration, NULL },
    { "PUT", "table-record-expiration", s3t_put_record_expiration, NULL },
    { "GET", "table-record-expiration-job-status",
      s3t_get_record_expiration_job, NULL },
    { "GET", "tag/{res}", s3t_list_tags, NULL },
    { "POST", "tag/{res}", s3t_tag_resource, NULL },
    { "DELETE", "tag/{res}", s3t_untag_resource, NULL },
    { NULL, NULL, NULL, NULL }
};


icetap_rc
icetap_s3tables_handle(const icetap_api_request_t *req,
    icetap_api_response_t *res)
{
    int                 known;
    icetap_rc           rc;
    s3t_ctx_t           c;
    const s3t_route_t  *r;

    memset(&c, 0, sizeof(s3t_ctx_t));
    c.req = req;
    c.res = res;

    snprintf(c.bucket_arn_all, sizeof(c.bucket_arn_all),
             "arn:aws:s3tables:%s:%s:bucket/*", req->region,
             req->account_id);

    known = 0;
    rc = ICETAP_OK;

    for (r = s3t_routes; r->method; r++) {
        if (!s3t_match(&c, r->pattern)) {
            continue;
        }

        known = 1;

        if (strcmp(r->method, req->method) == 0) {
            break;
        }
    }

    if (r->method) {
        c.arg = r->arg;
        rc = r->handler(&c);

    } else if (known) {
        rc = s3t_error(&c, 405, "MethodNotAllowedException",
                       "The method %s is not allowed on this resource.",
                       req->method);

    } else {
        rc = s3t_error(&c, 404, "NotFoundException",
                       "No S3 Tables operation at %s %s.", req->method,
                       req->path);
    }

    if (c.path) {
        free(c.path);
    }

    json_decref(c.body);

    if (rc == ICETAP_OK) {
        return ICETAP_OK;
    }

    /* a failure nothing answered yet */

    if (s3t_error_json(res, 500, "InternalServerErrorException",
                       c.err.msg[0] ? c.err.msg : "internal error")
        != ICETAP_OK)
    {
        return ICETAP_ERROR;
    }

    return ICETAP_OK;
}


/* routing */

static int
s3t_match(s3t_ctx_t *c, const char *pattern)
{
    char        *p, *s, *seg[16];
    size_t       n, i, k, colons;
    const char  *q, *e;

    if (c->path == NULL) {
        c->path = strdup(c->req->path[0] == '/' ? c->req->path + 1
                                                : c->req->path);
        if (c->path == NULL) {
            return 0;
        }

        /* split in place, then glue ARNs back */

        n = 0;
        s = c->path;

        while (s && n < 16) {
            seg[n++] = s;
            p = strchr(s, '/');

            if (p) {
                *p = '\0';
                s = p + 1;

            } else {
                s = NULL;
            }
        }

        if (s != NULL) {
            n = 0;
        }

        /* a trailing slash is no segment */

        if (n && seg[n - 1][0] == '\0') {
            n--;
        }

        for (i = 0, k = 0; i < n; i++) {
            if (k == 8) {
                k = 0;
                break;
            }

            c->seg[k++] = seg[i];

            /*
             * An ARN whose resource was split ("...:bucket" "name"):
             * one with five colons and a resource type of letters.
             */

            colons = 0;

            for (p = seg[i]; *p; p++) {
                colons += (*p == ':');
            }

            p = strrchr(seg[i], ':');

            if (strncmp(seg[i], "arn:", 4) != 0 || colons != 5
                || p[1] == '\0' || strspn(p + 1, "abcdefghijklmnopqrstuvwxyz")
                                    != strlen(p + 1)
                || i + 1 == n)
            {
                continue;
            }

            /* restore the "/" of the ARN: the segments are contiguous */

            seg[i][strlen(seg[i])] = '/';
            i++;

            if (strcmp(c->seg[0], "tag") == 0 && i + 2 < n
                && strcmp(seg[i + 1], "table") == 0)
            {
                seg[i][strlen(seg[i])] = '/';
                seg[i + 1][strlen(seg[i + 1])] = '/';
                i += 2;
            }
        }

        c->nseg = k;
    }

    /* compare with the pattern, segment by segment */

    q = pattern;

    for (i = 0; i < c->nseg; i++) {
        if (*q == '\0') {
            return 0;
        }

        e = strchr(q, '/');
        n = e ? (size_t) (e - q) : strlen(q);

        if (!(q[0] == '{' && q[n - 1] == '}')
            && (strlen(c->seg[i]) != n || strncmp(c->seg[i], q, n) != 0))
        {
            return 0;
        }

        q += n;

        if (*q == '/') {
            q++;
        }
    }

    return *q == '\0' && c->nseg > 0;
}


/* responses */

static icetap_rc
s3t_error(s3t_ctx_t *c, int status, const char *type, const char *fmt, ...)
{
    char     msg[ICETAP_ERR_MSG_LEN];
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    return s3t_error_json(c->res, status, type, msg);
}


static icetap_rc
s3t_bad(s3t_ctx_t *c, const char *fmt, ...)
{
    char     msg[ICETAP_ERR_MSG_LEN];
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    return s3t_error_json(c->res, 400, "BadRequestException", msg);
}


/* restJson1: {"message": ...}, the type in x-amzn-ErrorType */

static icetap_rc
s3t_error_json(icetap_api_response_t *res, int status, const char *type,
    const char *message)
{
    char       *text;
    json_t     *j;
    icetap_rc   rc;

    res->status = status;
    res->content_type = "application/json";
    icetap_buf_reset(&res->body);

    if (icetap_api_response_header(res, "x-amzn-ErrorType", type)
        != ICETAP_OK)
    {
        return ICETAP_ERROR;
    }

    j = json_pack("{s:s}", "message", message);
    text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);

    if (text == NULL) {
        return ICETAP_NOMEM;
    }

    rc = icetap_buf_append(&res->body, text, strlen(text));
    free(text);

    return rc;
}


/* steals body; NULL: no body */

static icetap_rc
s3t_reply(s3t_ctx_t *c, int status, json_t *body)
{
    char       *text;
    icetap_rc   rc;

    c->res->status = status;
    c->res->content_type = "application/json";
    icetap_buf_reset(&c->res->body);

    if (body == NULL) {
        return ICETAP_OK;
    }

    text = json_dumps(body, JSON_COMPACT);
    json_decref(body);

    if (text == NULL) {
        return icetap_error_set(&c->err, ICETAP_NOMEM, "out of memory");
    }

    rc = icetap_buf_append(&c->res->body, text, strlen(text));
    free(text);

    return rc;
}


static icetap_rc
s3t_store_failed(s3t_ctx_t *c)
{
    return s3t_error(c, 500, "InternalServerErrorException",
                     "The catalog could not be read or written: %s",
                     c->err.msg[0] ? c->err.msg : "store failure");
}


/* query parameters: the first value of name, decoded */

static int
s3t_query(s3t_ctx_t *c, const char *name, char *buf, size_t size)
{
    return s3t_query_at(c, name, 0, buf, size);
}


/* 1: the index-th value of name, decoded; 0: none; -1: too long */

static int
s3t_query_at(s3t_ctx_t *c, const char *name, int index, char *buf,
    size_t size)
{
    size_t       n, len;
    const char  *p, *e, *v;
    char         hex[3];

    p = c->req->query;
    len = strlen(name);

    while (p && *p) {
        e = strchr(p, '&');
        if (e == NULL) {
            e = p + strlen(p);
        }

        if ((size_t) (e - p) > len && strncmp(p, name, len) == 0
            && p[len] == '=' && index-- == 0)
        {
            n = 0;

            for (v = p + len + 1; v < e; v++) {
                if (n + 1 >= size) {
                    return -1;
                }

                if (*v == '%' && e - v > 2) {
                    hex[0] = v[1];
                    hex[1] = v[2];
                    hex[2] = '\0';
                    buf[n++] = (char) strtol(hex, NULL, 16);
                    v += 2;

                } else {
                    buf[n++] = (*v == '+') ? ' ' : *v;
                }
            }

            buf[n] = '\0';

            return 1;
        }

        if ((size_t) (e - p) == len && strncmp(p, name, len) == 0
            && index-- == 0)
        {
            buf[0] = '\0';
            return 1;
        }

        p = *e ? e + 1 : e;
    }

    return 0;
}


static void
s3t_iso8601(int64_t ms, char *buf, size_t size)
{
    char       s[32];
    time_t     t;
    struct tm  tm;

    t = (time_t) (ms / 1000);
    gmtime_r(&t, &tm);

    if (strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        s[0] = '\0';
    }

    snprintf(buf, size, "%.24s.%03dZ", s, (int) (ms % 1000));
}


/* names: the rules of s3-tables-buckets-naming.html for new ones */

static int
s3t_valid_bucket_name(const char *name)
{
    size_t  len;

    static const char  *prefixes[] = {
        "xn--", "sthree-", "amzn-s3-demo-", "aws"
    };
    static const char  *suffixes[] = {
        "-s3alias", "--ol-s3", "--x-s3", "--table-s3"
    };

    size_t  i, n;

    if (!icetap_catalog_valid_bucket(name)) {
        return 0;
    }

    len = strlen(name);

    for (i = 0; i < icetap_nelems(prefixes); i++) {
        if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0) {
            return 0;
        }
    }

    for (i = 0; i < icetap_nelems(suffixes); i++) {
        n = strlen(suffixes[i]);

        if (len >= n && strcmp(name + len - n, suffixes[i]) == 0) {
            return 0;
        }
    }

    return 1;
}


static int
s3t_valid_name(const char *name, int ns)
{
    size_t  i, len;

    len = strlen(name);

    if (len < 1 || len > 255) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((name[i] >= 'a' && name[i] <= 'z')
              || (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
        {
            return 0;
        }
    }

    if (name[0] == '_' || name[len - 1] == '_') {
        return 0;
    }

    return !(ns && strncmp(name, "aws", 3) == 0);
}


/*
 * "arn:aws:s3tables:REGION:ACCOUNT:bucket/NAME" of this gateway:
 * ICETAP_OK with the name; a malformed ARN is answered 400, one of
 * another region or account 404 (no such bucket here).
 */

static icetap_rc
s3t_bucket_arn(s3t_ctx_t *c, const char *arn, char *name, size_t size)
{
    size_t       n;
    const char  *p;
    char         prefix[160];

    if (strncmp(arn, "arn:aws", 7) != 0 || strlen(arn) > S3T_ARN_LEN) {
        s3t_bad(c, "Invalid table bucket ARN \"%.200s\".", arn);
        return ICETAP_INVALID;
    }

    p = strstr(arn, ":bucket/");

    if (p == NULL || strchr(p + 8, '/') != NULL
        || strncmp(strchr(arn + 4, ':'), ":s3tables:", 10) != 0)
    {
        s3t_bad(c, "Invalid table bucket ARN \"%.200s\".", arn);
        return ICETAP_INVALID;
    }

    p += 8;
    n = strlen(p);

    if (n < 3 || n > 63 || n >= size
        || !icetap_catalog_valid_bucket(p))
    {
        s3t_bad(c, "Invalid table bucket ARN \"%.200s\".", arn);
        return ICETAP_INVALID;
    }

    snprintf(prefix, sizeof(prefix), "arn:aws:s3tables:%s:%s:bucket/",
             c->req->region, c->req->account_id);

    if ((size_t) (p - arn) != strlen(prefix)
        || strncmp(arn, prefix, p - arn) != 0)
    {
        s3t_error(c, 404, "NotFoundException",
                  "The specified table bucket does not exist here.");
        return ICETAP_NOTFOUND;
    }

    memcpy(name, p, n + 1);

    return ICETAP_OK;
}


static void
s3t_format_bucket_arn(s3t_ctx_t *c, const char *name, char *arn,
    size_t size)
{
    snprintf(arn, size, "arn:aws:s3tables:%s:%s:bucket/%s", c->req->region,
             c->req->account_id, name);
}


/* the request body: a JSON object; 400 when required and absent */

static icetap_rc
s3t_body(s3t_ctx_t *c, int required)
{
    json_error_t  je;

    if (c->req->body_len == 0) {
        if (required) {
            s3t_bad(c, "The request body is missing.");
            return ICETAP_INVALID;
        }

        c->body = json_object();
        return c->body ? ICETAP_OK : ICETAP_NOMEM;
    }

    c->body = json_loadb((const char *) c->req->body, c->req->body_len,
                         JSON_REJECT_DUPLICATES, &je);

    if (c->body == NULL || !json_is_object(c->body)) {
        s3t_bad(c, "The request body is not a valid JSON object: %s",
                c->body ? "not an object" : je.text);
        return ICETAP_INVALID;
    }

    return ICETAP_OK;
}


static const char *
s3t_str(json_t *j, const char *name)
{
    return json_string_value(json_object_get(j, name));
}


/* a member by its wire name ("source-id"), else its model name */

static json_t *
s3t_member(json_t *j, const char *wire, const char *model)
{
    json_t  *v;

    v = json_object_get(j, wire);

    return v ? v : json_object_get(j, model);
}


/* store entries */

static icetap_rc
s3t_sink(void *ctx, const void *data, size_t len)
{
    return icetap_buf_append(ctx, data, len);
}


static icetap_rc
s3t_entry_load(s3t_ctx_t *c, s3t_entry_t *e)
{
    icetap_rc           rc;
    icetap_buf_t        b;
    icetap_store_obj_t  obj;

    memset(&b, 0, sizeof(b));
    icetap_store_obj_init(&obj);

    json_decref(e->doc);
    e->doc = NULL;

    rc = icetap_store_get(c->req->store, e->key, 0, -1, s3t_sink, &b, &obj,
                          &c->err);

    if (rc == ICETAP_OK) {
        snprintf(e->etag, sizeof(e->etag), "%s", obj.etag);
        e->doc = json_loadb((const char *) b.data, b.len, 0, NULL);

        if (e->doc == NULL || !json_is_object(e->doc)) {
            json_decref(e->doc);
            e->doc = NULL;
            rc = icetap_error_set(&c->err, ICETAP_INVALID, "catalog entry "
                                  "%s is not JSON", e->key);
        }
    }

    icetap_store_obj_free(&obj);
    icetap_buf_free(&b);

    return rc;
}


static void
s3t_entry_free(s3t_entry_t *e)
{
    json_decref(e->doc);
    e->doc = NULL;
}


static icetap_rc
s3t_put_doc(s3t_ctx_t *c, const char *key, json_t *doc, const char *if_match,
    int if_none_match)
{
    char                    *text;
    icetap_rc                rc;
    icetap_store_put_opts_t  opts;

    text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL) {
        return icetap_error_set(&c->err, ICETAP_NOMEM, "out of memory");
    }

    memset(&opts, 0, sizeof(opts));
    opts.content_type = "application/json";
    opts.if_match = if_match;
    opts.if_none_match = if_none_match ? 1 : 0;

    rc = icetap_store_put_buf(c->req->store, key, text, strlen(text), &opts,
                              NULL, &c->err);
    free(text);

    return rc;
}


/*
 * Read, change with fn, write back If-Match; a lost race reads again.
 * ICETAP_NOTFOUND when the entry is gone; fn's own failure as it is.
 */

static icetap_rc
s3t_modify(s3t_ctx_t *c, const char *key, s3t_modify_pt fn, void *arg)
{
    int          i;
    icetap_rc    rc;
    s3t_entry_t  e;

    memset(&e, 0, sizeof(e));
    snprintf(e.key, sizeof(e.key), "%s", key);

    rc = ICETAP_CONFLICT;

    for (i = 0; i < S3T_RETRIES; i++) {
        rc = s3t_entry_load(c, &e);
        if (rc != ICETAP_OK) {
            break;
        }

        rc = fn(c, e.doc, arg);
        if (rc != ICETAP_OK) {
            break;
        }

        rc = s3t_put_doc(c, key, e.doc, e.etag, 0);
        if (rc != ICETAP_CONFLICT) {
            break;
        }
    }

    s3t_entry_free(&e);

    return rc;
}


/* authorization: ICETAP_OK, or answered 403 */

static icetap_rc
s3t_authorize(s3t_ctx_t *c, const char *action, const char *arn,
    json_t *bucket, json_t *table)
{
    icetap_rc       rc;
    icetap_error_t  err;

    snprintf(c->res->action, sizeof(c->res->action), "%s", action);
    snprintf(c->res->resource, sizeof(c->res->resource), "%s", arn);

    if (c->req->authorize == NULL) {
        return ICETAP_OK;
    }

    memset(&err, 0, sizeof(err));

    rc = c->req->authorize(c->req->authorize_ctx, action, arn,
                           bucket ? s3t_str(bucket, "policy") : NULL,
                           table ? s3t_str(table, "policy") : NULL, &err);

    if (rc == ICETAP_OK) {
        return ICETAP_OK;
    }

    s3t_error(c, 403, "AccessDeniedException", "%s",
              err.msg[0] ? err.msg : "Access denied.");

    return ICETAP_UNSUPPORTED;
}


/*
 * The table bucket of an ARN, authorized for action.  ICETAP_OK, or
 * answered (400 bad ARN, 403, 404) with another code.  An absent bucket
 * is authorized without policies first, so that who may not ask does
 * not learn whether it exists.
 */

static icetap_rc
s3t_load_bucket(s3t_ctx_t *c, const char *arn, const char *action,
    s3t_bucket_t *b)
{
    icetap_rc  rc;

    rc = s3t_bucket_arn(c, arn, b->name, sizeof(b->name));
    if (rc != ICETAP_OK) {
        return rc;
    }

    s3t_format_bucket_arn(c, b->name, b->arn, sizeof(b->arn));
    snprintf(b->e.key, sizeof(b->e.key), ICETAP_CATALOG_PREFIX "%s.json",
             b->name);

    rc = s3t_entry_load(c, &b->e);

    if (rc == ICETAP_NOTFOUND) {
        if (action && s3t_authorize(c, action, b->arn, NULL, NULL)
                      != ICETAP_OK)
        {
            return ICETAP_UNSUPPORTED;
        }

        s3t_error(c, 404, "NotFoundException",
                  "The specified table bucket does not exist.");
        return ICETAP_NOTFOUND;
    }

    if (rc != ICETAP_OK) {
        s3t_store_failed(c);
        return rc;
    }

    if (action && s3t_authorize(c, action, b->arn, b->e.doc, NULL)
                  != ICETAP_OK)
    {
        return ICETAP_UNSUPPORTED;
    }

    return ICETAP_OK;
}


static icetap_rc
s3t_load_table(s3t_ctx_t *c, const char *arn, const char *ns,
    const char *name, const char *action, s3t_table_t *t)
{
    icetap_rc    rc;
    const char  *tarn;

    rc = s3t_load_bucket(c, arn, NULL, &t->b);

    if (rc != ICETAP_OK && (rc != ICETAP_NOTFOUND || t->b.arn[0] == '\0')) {
        /* answered: a bad ARN, or one of another region or account */
        return rc;
    }

    if (!icetap_catalog_valid_name(ns) || !icetap_catalog_valid_name(name)) {
        s3t_bad(c, "Invalid namespace or table name.");
        return ICETAP_INVALID;
    }

    snprintf(t->ns, sizeof(t->ns), "%s", ns);
    snprintf(t->name, sizeof(t->name), "%s", name);

    if (rc == ICETAP_OK) {
        snprintf(t->e.key, sizeof(t->e.key),
                 ICETAP_CATALOG_PREFIX "%s/%s/%s.json", t->b.name, ns, name);

        rc = s3t_entry_load(c, &t->e);

        if (rc != ICETAP_OK && rc != ICETAP_NOTFOUND) {
            s3t_store_failed(c);
            return rc;
        }
    }

    if (rc == ICETAP_NOTFOUND) {
        /* authorized on the table ARNs of the bucket: nothing else known */

        snprintf(c->res->resource, sizeof(c->res->resource),
                 "%.400s/table/*", t->b.arn);

        if (s3t_authorize(c, action, c->res->resource, t->b.e.doc, NULL)
            != ICETAP_OK)
        {
            return ICETAP_UNSUPPORTED;
        }

        s3t_error(c, 404, "NotFoundException",
                  t->b.e.doc ? "The specified table does not exist."
                             : "The specified table bucket does not exist.");
        return ICETAP_NOTFOUND;
    }

    tarn = s3t_str(t->e.doc, "arn");

    if (tarn == NULL) {
        icetap_error_set(&c->err, ICETAP_INVALID, "table entry %s has no "
                         "ARN", t->e.key);
        s3t_store_failed(c);
        return ICETAP_INVALID;
    }

    if (s3t_authorize(c, action, tarn, t->b.e.doc, t->e.doc) != ICETAP_OK) {
        return ICETAP_UNSUPPORTED;
    }

    return ICETAP_OK;
}


static void
s3t_table_free(s3t_table_t *t)
{
    s3t_entry_free(&t->b.e);
    s3t_entry_free(&t->e);
}


static int
s3t_bucket_managed(json_t *doc)
{
    const char  *type;

    type = s3t_str(doc, "type");

    return type != NULL && strcmp(type, "aws") == 0;
}


static int
s3t_table_managed(s3t_table_t *t)
{
    return s3t_bucket_managed(t->b.e.doc)
           || json_object_get(t->e.doc, "managed_by") != NULL;
}


static icetap_rc
s3t_read_only(s3t_ctx_t *c, const char *what)
{
    return s3t_error(c, 403, "AccessDeniedException",
                     "The %s is managed by icetap and cannot be changed "
                     "through the API.", what);
}


/* every key under prefix in order, after start_after */

typedef struct {
    s3t_ctx_t                   *c;
    const char                  *delimiter;
    icetap_rc                  (*cb)(void *ctx, const char *key);
    void                        *ctx;
    icetap_rc                    rc;
} s3t_walk_t;


static icetap_rc
s3t_walk_page(void *ctx, const icetap_store_page_t *page)
{
    size_t       i;
    s3t_walk_t  *w = ctx;

    for (i = 0; i < page->nentries; i++) {
        w->rc = w->cb(w->ctx, page->entries[i].key);

        if (w->rc == ICETAP_EOF) {
            return ICETAP_EOF;
        }

        if (w->rc != ICETAP_OK) {
            return w->rc;
        }
    }

    return ICETAP_OK;
}


static icetap_rc
s3t_list(s3t_ctx_t *c, const char *prefix, const char *delimiter,
    const char *start_after, icetap_rc (*cb)(void *ctx, const char *key),
    void *ctx)
{
    icetap_rc                 rc;
    s3t_walk_t                w;
    icetap_store_list_opts_t  opts;

    memset(&opts, 0, sizeof(opts));
    opts.prefix = prefix;
    opts.delimiter = delimiter;
    opts.start_after = start_after;

    w.c = c;
    w.delimiter = delimiter;
    w.cb = cb;
    w.ctx = ctx;
    w.rc = ICETAP_OK;

    rc = icetap_store_list(c->req->store, &opts, s3t_walk_page, &w, &c->err);

    if (rc == ICETAP_OK && w.rc != ICETAP_OK && w.rc != ICETAP_EOF) {
        rc = w.rc;
    }

    return rc;
}


static icetap_rc
s3t_any_cb(void *ctx, const char *key)
{
    *(int *) ctx = 1;

    return ICETAP_EOF;
}


/* entries of a level of the catalog, up to a limit */

typedef struct {
    size_t                       n;
    size_t                       limit;
    size_t                       base_len;
    size_t                       slashes;     /* in the key after base */
} s3t_count_t;


static icetap_rc
s3t_count_cb(void *ctx, const char *key)
{
    size_t        len, k;
    const char   *p;
    s3t_count_t  *cn = ctx;

    p = key + cn->base_len;
    len = strlen(p);

    for (k = 0; *p; p++) {
        k += (*p == '/');
    }

    if (k == cn->slashes && len > 5
        && strcmp(key + cn->base_len + len - 5, ".json") == 0)
    {
        cn->n++;
    }

    return cn->n >= cn->limit ? ICETAP_EOF : ICETAP_OK;
}


/*
 * The quotas of a table bucket: ICETAP_OK while below, else answered.
 * slashes 0 counts namespaces, 1 tables.
 */

static icetap_rc
s3t_quota(s3t_ctx_t *c, const char *bucket, size_t slashes, size_t limit,
    const char *what)
{
    char         base[S3T_KEY_LEN];
    icetap_rc    rc;
    s3t_count_t  cn;

    snprintf(base, sizeof(base), ICETAP_CATALOG_PREFIX "%s/", bucket);

    cn.n = 0;
    cn.limit = limit;
    cn.base_len = strlen(base);
    cn.slashes = slashes;

    rc = s3t_list(c, base, slashes ? NULL : "/", NULL, s3t_count_cb, &cn);

    if (rc != ICETAP_OK) {
        s3t_store_failed(c);
        return rc;
    }

    if (cn.n >= limit) {
        s3t_bad(c, "The quota of %zu %s per table bucket is reached.", limit,
                what);
        return ICETAP_FULL;
    }

    return ICETAP_OK;
}


/* whether any key lies under prefix: ICETAP_OK with *any set */

static icetap_rc
s3t_any(s3t_ctx_t *c, const char *prefix, int *any)
{
    *any = 0;

    return s3t_list(c, prefix, NULL, NULL, s3t_any_cb, any);
}


/* input checks shared by several operations */

static icetap_rc
s3t_tags_check(s3t_ctx_t *c, json_t *tags)
{
    const char  *k;
    json_t      *v;

    if (!json_is_object(tags)) {
        s3t_bad(c, "tags must be a map of strings.");
        return ICETAP_INVALID;
    }

    if (json_object_size(tags) > S3T_MAX_TAGS) {
        s3t_bad(c, "A resource can have at most %d tags.", S3T_MAX_TAGS);
        return ICETAP_INVALID;
    }

    json_object_foreach(tags, k, v) {
        if (strlen(k) < 1 || strlen(k) > 128 || !json_is_string(v)
            || strlen(json_string_value(v)) > 256)
        {
            s3t_bad(c, "Invalid tag \"%.128s\": keys are 1 to 128 "
                    "characters, values strings of at most 256.", k);
            return ICETAP_INVALID;
        }
    }

    return ICETAP_OK;
}


static icetap_rc
s3t_encryption_check(s3t_ctx_t *c, json_t *enc)
{
    size_t       n;
    const char  *alg, *key;

    alg = s3t_str(enc, "sseAlgorithm");
    key = s3t_str(enc, "kmsKeyArn");

    if (!json_is_object(enc) || alg == NULL
        || (json_object_get(enc, "kmsKeyArn") && key == NULL))
    {
        s3t_bad(c, "encryptionConfiguration needs an sseAlgorithm.");
        return ICETAP_INVALID;
    }

    if (strcmp(alg, "AES256") == 0) {
        if (key) {
            s3t_bad(c, "kmsKeyArn is only allowed with aws:kms.");
            return ICETAP_INVALID;
        }

        return ICETAP_OK;
    }

    if (strcmp(alg, "aws:kms") != 0) {
        s3t_bad(c, "sseAlgorithm must be AES256 or aws:kms.");
        return ICETAP_INVALID;
    }

    n = key ? strlen(key) : 0;

    if (n == 0 || n > 2048 || strncmp(key, "arn:aws", 7) != 0
        || strstr(key, ":kms:") == NULL || strstr(key, ":key/") == NULL)
    {
        s3t_bad(c, "aws:kms needs a kmsKeyArn of the form "
                "arn:aws:kms:REGION:ACCOUNT:key/ID.");
        return ICETAP_INVALID;
    }

    return ICETAP_OK;
}


static icetap_rc
s3t_storage_class_check(s3t_ctx_t *c, json_t *sc)
{
    const char  *cls;

    cls = s3t_str(sc, "storageClass");

    if (!json_is_object(sc) || cls == NULL
        || (strcmp(cls, "STANDARD") != 0
            && strcmp(cls, "INTELLIGENT_TIERING") != 0))
    {
        s3t_bad(c, "storageClass must be STANDARD or INTELLIGENT_TIERING.");
        return ICETAP_INVALID;
    }

    return ICETAP_OK;
}


/* table buckets */

static json_t *
s3t_bucket_json(s3t_ctx_t *c, json_t *doc)
{
    char         ts[40];
    json_t      *j;
    const char  *id;

    s3t_iso8601(json_integer_value(json_object_get(doc, "created_at_ms")),
                ts, sizeof(ts));

    j = json_pack("{s:s?, s:s?, s:s, s:s, s:s}",
                  "arn", s3t_str(doc, "arn"),
                  "name", s3t_str(doc, "name"),
                  "ownerAccountId", c->req->account_id,
                  "createdAt", ts,
                  "type", s3t_bucket_managed(doc) ? "aws" : "customer");

    id = s3t_str(doc, "table_bucket_id");

    if (j && id) {
        json_object_set_new(j, "tableBucketId", json_string(id));
    }

    return j;
}


typedef struct {
    s3t_ctx_t                   *c;
    const char                  *base;
    const char                  *type;
    json_t                      *out;
    size_t                       max;
    size_t                       n;
    char                         last[ICETAP_CATALOG_NAME_LEN * 2 + 2];
    int                          more;
    int                          count_only;
} s3t_page_t;


static icetap_rc
s3t_bucket_cb(void *ctx, const char *key)
{
    size_t        len;
    icetap_rc     rc;
    s3t_page_t   *pg = ctx;
    s3t_entry_t   e;
    char          name[64];

    key += strlen(ICETAP_CATALOG_PREFIX);
    len = strlen(key);

    if (len < 6 || len - 5 >= sizeof(name) || strchr(key, '/') != NULL
        || strcmp(key + len - 5, ".json") != 0)
    {
        return ICETAP_OK;
    }

    memcpy(name, key, len - 5);
    name[len - 5] = '\0';

    if (pg->count_only) {
        pg->n += (strncmp(name, "aws", 3) != 0);
        return ICETAP_OK;
    }

    memset(&e, 0, sizeof(e));
    snprintf(e.key, sizeof(e.key), ICETAP_CATALOG_PREFIX "%s", key);

    rc = s3t_entry_load(pg->c, &e);

    if (rc == ICETAP_NOTFOUND || rc == ICETAP_INVALID) {
        return ICETAP_OK;
    }

    if (rc != ICETAP_OK) {
        return rc;
    }

    if (pg->type
        && strcmp(pg->type, s3t_bucket_managed(e.doc) ? "aws" : "customer")
           != 0)
    {
        s3t_entry_free(&e);
        return ICETAP_OK;
    }

    if (pg->n == pg->max) {
        s3t_entry_free(&e);
        pg->more = 1;
        return ICETAP_EOF;
    }

    json_array_append_new(pg->out, s3t_bucket_json(pg->c, e.doc));
    s3t_entry_free(&e);

    snprintf(pg->last, sizeof(pg->last), "%s", name);
    pg->n++;

    return ICETAP_OK;
}


/* maxBuckets & co: 1..1000, default 1000 */

static icetap_rc
s3t_page_size(s3t_ctx_t *c, const char *name, size_t *max)
{
    long   v;
    char   buf[32], *end;
    int    got;

    *max = 1000;

    got = s3t_query(c, name, buf, sizeof(buf));

    if (got == 0) {
        return ICETAP_OK;
    }

    v = (got > 0) ? strtol(buf, &end, 10) : 0;

    if (got < 0 || buf[0] == '\0' || *end != '\0' || v < 1 || v > 1000) {
        s3t_bad(c, "%s must be an integer from 1 to 1000.", name);
        return ICETAP_INVALID;
    }

    *max = (size_t) v;

    return ICETAP_OK;
}


static icetap_rc
s3t_create_table_bucket(s3t_ctx_t *c)
{
    char          arn[S3T_ARN_LEN], key[S3T_KEY_LEN], id[37];
    json_t       *doc, *enc, *sc, *tags;
    icetap_rc     rc;
    const char   *name;
    s3t_page_t    pg;

    if (s3t_body(c, 1) != ICETAP_OK) {
        return ICETAP_OK;
    }

    name = s3t_str(c->body, "name");
    enc = json_object_get(c->body, "encryptionConfiguration");
    sc = json_object_get(c->body, "storageClassConfiguration");
    tags = json_object_get(c->body, "tags");

    if (name == NULL) {
        return s3t_bad(c, "name is required.");
    }

    if (!s3t_valid_bucket_name(name)) {
        return s3t_bad(c, "Invalid table bucket name \"%.100s\": 3 to 63 "
                       "lowercase letters, digits and hyphens, beginning "
                       "and ending with a letter or digit, without the "
                       "reserved prefixes and suffixes.", name);
    }

    if ((enc && s3t_encryption_check(c, enc) != ICETAP_OK)
        || (sc && s3t_storage_class_check(c, sc) != ICETAP_OK)
        || (tags && s3t_tags_check(c, tags) != ICETAP_OK))
    {
        return ICETAP_OK;
    }

    s3t_format_bucket_arn(c, name, arn, sizeof(arn));

    if (s3t_authorize(c, "s3tables:CreateTableBucket", arn, NULL, NULL)
        != ICETAP_OK
        || (enc && s3t_authorize(c, "s3tables:PutTableBucketEncryption", arn,
                                 NULL, NULL) != ICETAP_OK)
        || (sc && s3t_authorize(c, "s3tables:PutTableBucketStorageClass",
                                arn, NULL, NULL) != ICETAP_OK)
        || (tags && s3t_authorize(c, "s3tables:TagResource", arn, NULL, NULL)
                    != ICETAP_OK))
    {
        return ICETAP_OK;
    }

    /* the quota: table buckets of this account and region */

    memset(&pg, 0, sizeof(pg));
    pg.c = c;
    pg.count_only = 1;

    rc = s3t_list(c, ICETAP_CATALOG_PREFIX, "/", NULL, s3t_bucket_cb, &pg);
    if (rc != ICETAP_OK) {
        return s3t_store_failed(c);
    }

    if (pg.n >= S3T_MAX_BUCKETS) {
        return s3t_bad(c, "The quota of %d table buckets is reached.",
                       S3T_MAX_BUCKETS);
    }

    rc = icetap_uuid4(id, &c->err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    doc = json_pack("{s:i, s:s, s:s, s:s, s:I, s:s}",
                    "format", ICETAP_CATALOG_FORMAT,
                    "name", name,
                    "arn", arn,
                    "type", "customer",
                    "created_at_ms", (json_int_t) c->req->now_ms,
                    "table_bucket_id", id);
    if (doc == NULL) {
        return icetap_error_set(&c->err, ICETAP_NOMEM, "out of memory");
    }

    if (enc) {
        json_object_set(doc, "encryption", enc);
    }

    if (sc) {
        json_object_set(doc, "storage_class", sc);
    }

    if (tags) {
        json_object_set(doc, "tags", tags);
    }

    snprintf(key, sizeof(key), ICETAP_CATALOG_PREFIX "%s.json", name);

    rc = s3t_put_doc(c, key, doc, NULL, 1);
    json_decref(doc);

    if (rc == ICETAP_CONFLICT) {
        return s3t_error(c, 409, "ConflictException",
                         "The table bucket \"%s\" already exists.", name);
    }

    if (rc != ICETAP_OK) {
        return s3t_store_failed(c);
    }

    return s3t_reply(c, 200, json_pack("{s:s}", "arn", arn));
}


static icetap_rc
s3t_list_table_buckets(s3t_ctx_t *c)
{
    int          got;
    char         prefix[80], token[80], type[16], start[S3T_KEY_LEN];
    char         base[S3T_KEY_LEN];
    json_t      *out;
    icetap_rc    rc;
    s3t_page_t   pg;

    memset(&pg, 0, sizeof(pg));

    got = s3t_query(c, "prefix", prefix, sizeof(prefix));

    if (got < 0 || (got && (prefix[0] == '\0' || strlen(prefix) > 63))) {
        return s3t_bad(c, "prefix must be 1 to 63 characters.");
    }

    if (!got) {
        prefix[0] = '\0';
    }

    got = s3t_query(c, "continuationToken", token, sizeof(token));

    if (got < 0 || (got && !icetap_catalog_valid_bucket(token))) {
        return s3t_bad(c, "Invalid continuationToken.");
    }

    start[0] = '\0';

    if (got) {
        snprintf(start, sizeof(start), ICETAP_CATALOG_PREFIX "%s.json",
                 token);
    }

    got = s3t_query(c, "type", type, sizeof(type));

    if (got < 0 || (got && strcmp(type, "aws") != 0
                    && strcmp(type, "customer") != 0))
    {
        return s3t_bad(c, "type must be customer or aws.");
    }

    pg.type = got ? type : NULL;

    if (s3t_page_size(c, "maxBuckets", &pg.max) != ICETAP_OK) {
        return ICETAP_OK;
    }

    if (s3t_authorize(c, "s3tables:ListTableBuckets", c->bucket_arn_all,
                      NULL, NULL)
        != ICETAP_OK)
    {
        return ICETAP_OK;
    }

    out = json_array();
    if (out == NULL) {
        return icetap_error_set(&c->err, ICETAP_NOMEM, "out of memory");
    }

    pg.c = c;
    pg.out = out;

    snprintf(base, sizeof(base), ICETAP_CATALOG_PREFIX "%s", prefix);

    rc = s3t_list(c, base, "/", start[0] ? start : NULL, s3t_bucket_cb,
                  &pg);

    if (rc != ICETAP_OK) {
        json_decref(out);
        return s3t_store_failed(c);
    }

    return s3t_reply(c, 200, json_pack("{s:o, s:s?}", "tableBuckets", out,
                                       "continuationToken",
                                       pg.more ? pg.last : NULL));
}


static icetap_rc
s3t_get_table_bucket(s3t_ctx_t *c)
{
    icetap_rc     rc;
    s3t_bucket_t  b;

    memset(&b, 0, sizeof(b));

    if (s3t_load_bucket(c, c->seg[1], "s3tables:GetTableBucket", &b)
        != ICETAP_OK)
    {
        s3t_entry_free(&b.e);
        return ICETAP_OK;
    }

    rc = s3t_reply(c, 200, s3t_bucket_json(c, b.e.doc));
    s3t_entry_free(&b.e);

    return rc;
}


static icetap_rc
s3t_delete_table_bucket(s3t_ctx_t *c)
{
    int           any;
    char          prefix[S3T_KEY_LEN];
    icetap_rc     rc;
    s3t_bucket_t  b;

    memset(&b, 0, sizeof(b));

    if (s3t_load_bucket(c, c->seg[1], "s3tables:DeleteTableBucket", &b)
        != ICETAP_OK)
    {
        s3t_entry_free(&b.e);
        return ICETAP_OK;
    }

    if (s3t_bucket_managed(b.e.doc)) {
        s3t_entry_free(&b.e);
        return s3t_read_only(c, "table bucket");
    }

    snprintf(prefix, sizeof(prefix), ICETAP_CATALOG_PREFIX "%s/", b.name);

    rc = s3t_any(c, prefix, &any);

    if (rc == ICETAP_OK && any) {
        s3t_entry_free(&b.e);
        return s3t_error(c, 409, "ConflictException",
                         "The table bucket \"%s\" is not empty: delete its "
                         "namespaces and tables first.", b.name);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_store_delete(c->req->store, b.e.key, &c->err);
    }

    /* a namespace created meanwhile: the bucket comes back */

    if (rc == ICETAP_OK) {
        rc = s3t_any(c, prefix, &any);

        if (rc == ICETAP_OK && any) {
            rc = s3t_put_doc(c, b.e.key, b.e.doc, NULL, 1);
            rc = (rc == ICETAP_CONFLICT) ? ICETAP_OK : rc;

            if (rc == ICETAP_OK) {
                s3t_entry_free(&b.e);
                return s3t_error(c, 409, "ConflictException",
                                 "The table bucket is not empty: a "
                                 "namespace was created meanwhile.");
            }
        }
    }

    s3t_entry_free(&b.e);

    if (rc != ICETAP_OK) {
        return s3t_store_failed(c);
    }

    return s3t_reply(c, 204, NULL);
}


/* namespaces */

static json_t *
s3t_namespace_json(s3t_ctx_t *c, json_t *ns, json_t *bucket)
{
    char         ts[40];
    json_t      *j;
    const char  *id;

    s3t_iso8601(json_integer_value(json_object_get(ns, "created_at_ms")),
                ts, sizeof(ts));

    j = json_pack("{s:[s?], s:s, s:s, s:s}",
                  "namespace", s3t_str(ns, "name"),
                  "createdAt", ts,
                  "createdBy", c->req->account_id,
                  "ownerAccountId", c->req->account_id);

    id = s3t_str(ns, "namespace_id");

    if (j && id) {
        json_object_set_new(j, "namespaceId", json_string(id));
    }

    id = bucket ? s3t_str(bucket, "table_bucket_id") : NULL;

    if (j && id) {
        json_object_set_new(j, "tableBucketId", json_string(id));
    }

    return j;
}


static icetap_rc
s3t_create_namespace(s3t_ctx_t *c)
{
    char          key[S3T_KEY_LEN], id[37];
    json_t       *list, *doc;
    icetap_rc     rc;
    const char   *ns;
    s3t_bucket_t  b;

    if (s3t_body(c, 1) != ICETAP_OK) {
        return ICETAP_OK;
    }

    list = json_object_get(c->body, "namespace");

    if (!json_is_array(list) || json_array_size(list) != 1
        || !json_is_string(json_array_get(list, 0)))
    {
        return s3t_bad(c, "namespace must be a list of one name.");
    }

    ns = json_string_value(json_array_get(list, 0));

    if (!s3t_valid_name(ns, 1)) {
        return s3t_bad(c, "Invalid namespace name \"%.100s\": 1 to 255 "
                       "lowercase letters, digits and underscores, "
                       "beginning and ending with a letter or digit, not "
                       "beginning with \"aws\".", ns);
    }

    memset(&b, 0, sizeof(b));

    if (s3t_load_bucket(c, c->seg[1], "s3tables:CreateNamespace", &b)
        != ICETAP_OK)
    {
        s3t_entry_free(&b.e);
        return ICETAP_OK;
    }

    if (s3t_bucket_managed(b.e.doc)) {
        s3t_entry_free(&b.e);
        return s3t_read_only(c, "table bucket");
    }

    if (s3t_quota(c, b.name, 0, S3T_MAX_NAMESPACES, "namespaces")
        != ICETAP_OK)
    {
        s3t_entry_free(&b.e);
        return ICETAP_OK;
    }

    rc = icetap_uuid4(id, &c->err);

    doc = (rc != ICETAP_OK) ? NULL
          : json_pack("{s:i, s:s, s:s, s:I, s:s}",
                      "format", ICETAP_CATALOG_FORMAT,
                      "table_bucket", b.name,
                      "name", ns,
                      "created_at_ms", (json_int_t) c->req->now_ms,
                      "namespace_id", id);

    if (doc == NULL) {
        s3t_entry_free(&b.e);
        return icetap_error_set(&c->err, ICETAP_NOMEM, "out of memory");
    }

    snprintf(key, sizeof(key), ICETAP_CATALOG_PREFIX "%s/%s.json", b.name,
             ns);

    rc = s3t_put_doc(c, key, doc, NULL, 1);
    json_decref(doc);

    if (rc == ICETAP_OK) {
        /* a DeleteTableBucket that ran meanwhile: see there */

        rc = s3t_entry_load(c, &b.e);

        if (rc == ICETAP_NOTFOUND) {
            rc = icetap_store_delete(c->req->store, key, &c->err);

            if (rc == ICETAP_OK) {
                rc = s3t_error(c, 404, "NotFoundException",
                               "The table bucket was deleted meanwhile.");
                s3t_entry_free(&b.e);
                return rc;
            }
        }
    }

    if (rc == ICETAP_CONFLICT) {
        rc = s3t_error(c, 409, "ConflictException",
                       "The namespace \"%s\" already exists.", ns);

    } else if (rc != ICETAP_OK) {
        rc = s3t_store_failed(c);

    } else {
        rc = s3t_reply(c, 200, json_pack("{s:s, s:[s]}", "tableBucketARN",
                                         b.arn, "namespace", ns));
    }

    s3t_entry_free(&b.e);

    return rc;
}


typedef struct {
    s3t_page_t                   pg;
    json_t                      *bucket;
    size_t                       base_len;
} s3t_ns_page_t;


static icetap_rc
s3t_namespace_cb(void *ctx, const char *key)
{
    size_t          len;
    icetap_rc       rc;
    s3t_entry_t     e;
    s3t_ns_page_t  *np = ctx;

    key += np->base_len;
    len = strlen(key);

    if (len < 6 || len - 5 >= ICETAP_CATALOG_NAME_LEN
        || strchr(key, '/') != NULL || strcmp(key + len - 5, ".json") != 0)
    {
        return ICETAP_OK;
    }

    if (np->pg.n == np->pg.max) {
        np->pg.more = 1;
        return ICETAP_EOF;
    }

    memset(&e, 0, sizeof(e));
    snprintf(e.key, sizeof(e.key), "%.*s%s", (int) np->base_len,
             key - np->base_len, key);

    rc = s3t_entry_load(np->pg.c, &e);

    if (rc == ICETAP_NOTFOUND || rc == ICETAP_INVALID) {
        return ICETAP_OK;
    }

    if (rc != ICETAP_OK) {
        return rc;
    }

    json_array_append_new(np->pg.out,
                          s3t_namespace_json(np->pg.c, e.doc, np->bucket));
    s3t_entry_free(&e);

    snprintf(np->pg.last, sizeof(np->pg.last), "%.*s", (int) (len - 5),
             key);
    np->pg.n++;

    return ICETAP_OK;
}


static icetap_rc
s3t_list_namespaces(s3t_ctx_t *c)
{
    int            got;
    char           prefix[ICETAP_CATALOG_NAME_LEN];
    char           token[ICETAP_CATALOG_NAME_LEN];
    char           base[S3T_KEY_LEN], start[2 * S3T_KEY_LEN];
    json_t        *out;
    icetap_rc      rc;
    s3t_bucket_t   b;
    s3t_ns_page_t  np;

    memset(&np, 0, sizeof(np));
    memset(&b, 0, sizeof(b));

    got = s3t_query(c, "prefix", prefix, sizeof(prefix));

    if (got < 0 || (got && prefix[0] == '\0')) {
        return s3t_bad(c, "prefix must be 1 to 255 characters.");
    }

    if (!got) {
        prefix[0] = '\0';
    }

    got = s3t_query(c, "continuationToken", token, sizeof(token));

    if (got < 0 || (got && !icetap_catalog_valid_name(token))) {
        return s3t_bad(c, "Invalid continuationToken.");
    }

    if (!got) {
        token[0] = '\0';
    }

    if (s3t_page_size(c, "maxNamespaces", &np.pg.max) != ICETAP_OK) {
        return ICETAP_OK;
    }

    if (s3t_load_bucket(c, c->seg[1], "s3tables:ListNamespaces", &b)
        != ICETAP_OK)
    {
        s3t_entry_free(&b.e);
        return ICETAP_OK;
    }

    out = json_array();
    if (out == NULL) {
        s3t_entry_free(&b.e);
        return icetap_error_set(&c->err, ICETAP_NOMEM, "out of memory");
    }

    snprintf(base, sizeof(base), ICETAP_CATALOG_PREFIX "%s/", b.name);
    snprintf(start, sizeof(start), "%s%s.json", base, token);

    np.pg.c = c;
    np.pg.out = out;
    np.bucket = b.e.doc;
    np.base_len = strlen(base);

    snprintf(base + np.base_len, sizeof(base) - np.base_len, "%s", prefix);

    rc = s3t_list(c, base, "/", token[0] ? start : NULL, s3t_namespace_cb,
                  &np);

    s3t_entry_free(&b.e);

    if (rc != ICETAP_OK) {
        json_decref(out);
        return s3t_store_failed(c);
    }

    return s3t_reply(c, 200, json_pack("{s:o, s:s?}", "namespaces", out,
                                       "continuationToken",
                                       np.pg.more ? np.pg.last : NULL));
}


/* the namespace entry of c->seg[2] in b: ICETAP_OK or answered */

static icetap_rc
s3t_load_namespace(s3t_ctx_t *c, s3t_bucket_t *b, const char *ns,
    s3t_entry_t *e)
{
    icetap_rc  rc;

    if (!icetap_catalog_valid_name(ns)) {
        s3t_bad(c, "Invalid namespace name \"%.100s\".", ns);
        return ICETAP_INVALID;
    }

    snprintf(e->key, sizeof(e->key), ICETAP_CATALOG_PREFIX "%s/%s.json",
             b->name, ns);

    rc = s3t_entry_load(c, e);

    if (rc == ICETAP_NOTFOUND) {
        s3t_error(c, 404, "NotFoundException",
                  "The specified namespace does not exist.");

    } else if (rc != ICETAP_OK) {
        s3t_store_failed(c);
    }

    return rc;
}


static icetap_rc
s3t_get_namespace(s3t_ctx_t *c)
{
    icetap_rc     rc;
    s3t_entry_t   e;
    s3t_bucket_t  b;

    memset(&b, 0, sizeof(b));
    memset(&e, 0, sizeof(e));

    rc = s3t_load_bucket(c, c->seg[1], "s3tables:GetNamespace", &b);

    if (rc == ICETAP_OK) {
        rc = s3t_load_namespace(c, &b, c->seg[2], &e);
    }

    if (rc == ICETAP_OK) {
        s3t_reply(c, 200, s3t_namespace_json(c, e.doc, b.e.doc));
    }

    s3t_entry_free(&e);
    s3t_entry_free(&b.e);

    return ICETAP_OK;
}


static icetap_rc
s3t_delete_namespace(s3t_ctx_t *c)
{
    int           any;
    char          prefix[S3T_KEY_LEN];
    icetap_rc     rc;
    s3t_entry_t   e;
    s3t_bucket_t  b;

    memset(&b, 0, sizeof(b));
    memset(&e, 0, sizeof(e));

    rc = s3t_load_bucket(c, c->seg[1], "s3tables:DeleteNamespace", &b);

    if (rc == ICETAP_OK && s3t_bucket_managed(b.e.doc)) {
        s3t_read_only(c, "table bucket");
        rc = ICETAP_UNSUPPORTED;
    }

    if (rc == ICETAP_OK) {
        rc = s3t_load_namespace(c, &b, c->seg[2], &e);
    }

    if (rc == ICETAP_OK) {
        snprintf(prefix, sizeof(prefix), ICETAP_CATALOG_PREFIX "%s/%s/",
                 b.name, c->seg[2]);

        rc = s3t_any(c, prefix, &any);

        if (rc == ICETAP_OK && any) {
            s3t_error(c, 409, "ConflictException",
                      "The namespace \"%s\" is not empty: delete its "
                      "tables first.", c->seg[2]);

        } else if (rc == ICETAP_OK) {
            rc = icetap_store_delete(c->req->store, e.key, &c->err);

            /* a table created meanwhile: the namespace comes back */

            if (rc == ICETAP_OK) {
                rc = s3t_any(c, prefix, &any);
            }

            if (rc == ICETAP_OK && any) {
                rc = s3t_put_doc(c, e.key, e.doc, NULL, 1);
                rc = (rc == ICETAP_CONFLICT) ? ICETAP_OK : rc;

                if (rc == ICETAP_OK) {
                    s3t_error(c, 409, "ConflictException",
                              "The namespace \"%s\" is not empty: a table "
                              "was created meanwhile.", c->seg[2]);
                }

            } else if (rc == ICETAP_OK) {
                s3t_reply(c, 204, NULL);
            }
        }

        if (rc != ICETAP_OK) {
            s3t_store_failed(c);
        }
    }

    s3t_entry_free(&e);
    s3t_entry_free(&b.e);

    return ICETAP_OK;
}


/* tables */

static json_t *
s3t_table_json(s3t_ctx_t *c, json_t *t, json_t *bucket, int full)
{
    char         created[40], modified[40];
    json_t      *j;
    const char  *v;

    s3t_iso8601(json_integer_value(json_object_get(t, "created_at_ms")),
                created, sizeof(created));
    s3t_iso8601(json_integer_value(json_object_get(t, "updated_at_ms")),
                modified, sizeof(modified));

    j = json_pack("{s:[s?], s:s?, s:s, s:s?, s:s, s:s}",
                  "namespace", s3t_str(t, "namespace"),
                  "name", s3t_str(t, "name"),
                  "type", (s3t_bucket_managed(bucket)
                           || json_object_get(t, "managed_by"))
                          ? "aws" : "customer",
                  "tableARN", s3t_str(t, "arn"),
                  "createdAt", created,
                  "modifiedAt", modified);
    if (j == NULL) {
        return NULL;
    }

    v = s3t_str(t, "managed_by");

    if (v) {
        json_object_set_new(j, "managedByService", json_string(v));
    }

    v = s3t_str(bucket, "table_bucket_id");

    if (v) {
        json_object_set_new(j, "tableBucketId", json_string(v));
    }

    if (!full) {
        return j;
    }

    json_object_set_new(j, "versionToken",
                        json_string(s3t_str(t, "version_token")
                                    ? s3t_str(t, "version_token") : "0"));
    json_object_set_new(j, "warehouseLocation",
                        json_string(s3t_str(t, "warehouse_location")));
    json_object_set_new(j, "createdBy", json_string(c->req->account_id));
    json_object_set_new(j, "modifiedBy", json_string(c->req->account_id));
    json_object_set_new(j, "ownerAccountId",
                        json_string(c->req->account_id));
    json_object_set_new(j, "format", json_string("ICEBERG"));

    v = s3t_str(t, "metadata_location");

    if (v) {
        json_object_set_new(j, "metadataLocation", json_string(v));
    }

    return j;
}


/*
 * CreateTable's "metadata": {"iceberg": {"schema" | "schemaV2",
 * "partitionSpec", "writeOrder", "properties"}} in Iceberg's own JSON
 * forms.  Answered 400 on anything malformed.
 */

typedef struct {
    icetap_schema_t             *schema;
    icetap_partition_spec_t      spec;
    icetap_sort_order_t          order;
    int                          has_spec;
    int                          has_order;
    icetap_kvs_t                 props;
} s3t_create_t;


static void
s3t_create_free(s3t_create_t *cr)
{
    icetap_schema_free(cr->schema);
    icetap_partition_spec_clear(&cr->spec);

    if (cr->has_order) {
        icetap_md_sort_order_clear(&cr->order);
    }

    icetap_kvs_free(&cr->props);
}


static icetap_rc
s3t_convert_schema(s3t_ctx_t *c, json_t *ice, s3t_create_t *cr)
{
    int          id, used[4096];
    size_t       i;
    json_t      *src, *v2, *fields, *f, *out, *of, *type, *req;
    icetap_rc    rc;
    const char  *name;

    src = json_object_get(ice, "schema");
    v2 = json_object_get(ice, "schemaV2");

    if ((src == NULL) == (v2 == NULL)) {
        s3t_bad(c, "metadata.iceberg needs exactly one of schema and "
                "schemaV2.");
        return ICETAP_INVALID;
    }

    fields = json_object_get(src ? src : v2, "fields");

    if (!json_is_array(fields) || json_array_size(fields) == 0
        || json_array_size(fields) >= 4096)
    {
        s3t_bad(c, "The schema needs a list of fields.");
        return ICETAP_INVALID;
    }

    out = json_pack("{s:s, s:i, s:[]}", "type", "struct", "schema-id",
                    v2 ? (int) json_integer_value(s3t_member(v2,
                                                     "schema-id", "schemaId"))
                       : 0,
                    "fields");
    if (out == NULL) {
        return icetap_error_set(&c->err, ICETAP_NOMEM, "out of memory");
    }

    if (v2 && s3t_member(v2, "identifier-field-ids", "identifierFieldIds"))
    {
        json_object_set(out, "identifier-field-ids",
                        s3t_member(v2, "identifier-field-ids",
                                   "identifierFieldIds"));
    }

    /* ids: as given; in "schema" missing ones are assigned in order */

    memset(used, 0, sizeof(used));

    json_array_foreach(fields, i, f) {
        id = (int) json_integer_value(json_object_get(f, "id"));

        if (id > 0 && id < 4096) {
            used[id] = 1;
        }
    }

    id = 1;

    json_array_foreach(fields, i, f) {
        name = s3t_str(f, "name");
        type = json_object_get(f, "type");
        req = json_object_get(f, "required");

        if (!json_is_object(f) || name == NULL || type == NULL
            || (src && !json_is_string(type))
            || (req && !json_is_boolean(req))
            || (json_object_get(f, "id")
                && !json_is_integer(json_object_get(f, "id")))
            || (v2 && (!json_is_integer(json_object_get(f, "id"))
                       || req == NULL)))
        {
            json_decref(out);
            s3t_bad(c, "Schema field %d is malformed: it needs a name, a "
                    "type%s.", (int) i,
                    v2 ? ", an id and required" : "");
            return ICETAP_INVALID;
        }

        of = json_pack("{s:O?, s:s, s:O, s:b}",
                       "id", json_object_get(f, "id"),
                       "name", name,
                       "type", type,
                       "required", req ? json_is_true(req) : 0);
        if (of == NULL) {
            json_decref(out);
            return icetap_error_set(&c->err, ICETAP_NOMEM, "out of memory");
        }

        if (json_object_get(f, "id") == NULL) {
            while (id < 4096 && used[id]) {
                id++;
            }

            used[id] = 1;
            json_object_set_new(of, "id", json_integer(id));
        }

        if (json_object_get(f, "doc")) {
            json_object_set(of, "doc", json_object_get(f, "doc"));
        }

        json_array_append_new(json_object_get(out, "fields"), of);
    }

    rc = icetap_schema_from_json(out, &cr->schema, &c->err);
    json_decref(out);

    if (rc != ICETAP_OK) {
        s3t_bad(c, "Invalid schema: %s", c->err.msg);
        return ICETAP_INVALID;
    }

    return ICETAP_OK;
}


static icetap_rc
s3t_convert_metadata(s3t_ctx_t *c, json_t *md, s3t_create_t *cr)
{
    size_t       i;
    json_t      *ice, *ps, *wo, *props, *f, *o, *of, *v;
    icetap_rc    rc;
    const char  *k, *dir, *nulls;

    ice = json_object_get(md, "iceberg");

    if (!json_is_object(md) || json_object_size(md) != 1
        || !json_is_object(ice))
    {
        s3t_bad(c, "metadata must be {\"iceberg\": {...}}.");
        return ICETAP_INVALID;
    }

    if (s3t_convert_schema(c, ice, cr) != ICETAP_OK) {
        return ICETAP_INVALID;
    }

    ps = json_object_get(ice, "partitionSpec");

    if (ps) {
        if (!json_is_object(ps)
            || !json_is_array(json_object_get(ps, "fields")))
        {
            s3t_bad(c, "partitionSpec needs a list of fields.");
            return ICETAP_INVALID;
        }

        cr->has_spec = 1;
        cr->spec.spec_id = (int32_t) json_integer_value(
                                         s3t_member(ps, "spec-id", "specId"));

        json_array_foreach(json_object_get(ps, "fields"), i, f) {
            if (s3t_str(f, "name") == NULL || s3t_str(f, "transform") == NULL
                || !json_is_integer(s3t_member(f, "source-id", "sourceId")))
            {
                s3t_bad(c, "Partition field %d needs sourceId, transform "
                        "and name.", (int) i);
                return ICETAP_INVALID;
            }

            if (icetap_schema_find_field(cr->schema,
                    (int32_t) json_integer_value(s3t_member(f, "source-id",
                                                            "sourceId")))
                == NULL)
            {
                s3t_bad(c, "Partition field %d: no column with sourceId "
                        "%d.", (int) i,
                        (int) json_integer_value(s3t_member(f, "source-id",
                                                            "sourceId")));
                return ICETAP_INVALID;
            }

            rc = icetap_partition_spec_add_field(&cr->spec,
                     s3t_str(f, "name"), s3t_str(f, "transform"),
                     (int32_t) json_integer_value(s3t_member(f, "source-id",
                                                             "sourceId")),
                     (int32_t) json_integer_value(s3t_member(f, "field-id",
                                                             "fieldId")),
                     &c->err);
            if (rc != ICETAP_OK) {
                s3t_bad(c, "Invalid partition field %d: %s", (int) i,
                        c->err.msg);
                return ICETAP_INVALID;
            }
        }
    }

    wo = json_object_get(ice, "writeOrder");

    if (wo) {
        if (!json_is_object(wo)
            || !json_is_array(json_object_get(wo, "fields")))
        {
            s3t_bad(c, "writeOrder needs a list of fields.");
            return ICETAP_INVALID;
        }

        o = json_pack("{s:i, s:[]}", "order-id",
                      s3t_member(wo, "order-id", "orderId")
                      ? (int) json_integer_value(s3t_member(wo, "order-id",
                                                            "orderId"))
                      : 1,
                      "fields");
        if (o == NULL) {
            return icetap_error_set(&c->err, ICETAP_NOMEM, "out of memory");
        }

        json_array_foreach(json_object_get(wo, "fields"), i, f) {
            dir = s3t_str(f, "direction");
            nulls = json_string_value(s3t_member(f, "null-order",
                                                 "nullOrder"));

            if (s3t_str(f, "transform") == NULL
                || !json_is_integer(s3t_member(f, "source-id", "sourceId"))
                || dir == NULL || nulls == NULL
                || (strcmp(dir, "asc") != 0 && strcmp(dir, "desc") != 0)
                || (strcmp(nulls, "nulls-first") != 0
                    && strcmp(nulls, "nulls-last") != 0))
            {
                json_decref(o);
                s3t_bad(c, "Sort field %d needs sourceId, transform, "
                        "direction (asc, desc) and nullOrder (nulls-first, "
                        "nulls-last).", (int) i);
                return ICETAP_INVALID;
            }

            of = json_pack("{s:s, s:O, s:s, s:s}",
                           "transform", s3t_str(f, "transform"),
                           "source-id",
                           s3t_member(f, "source-id", "sourceId"),
                           "direction", dir,
                           "null-order", nulls);
            json_array_append_new(json_object_get(o, "fields"), of);
        }

        rc = icetap_md_sort_order_from_json(o, &cr->order, &c->err);
        json_decref(o);

        if (rc != ICETAP_OK) {
            s3t_bad(c, "Invalid writeOrder: %s", c->err.msg);
            return ICETAP_INVALID;
        }

        cr->has_order = 1;
    }

    props = json_object_get(ice, "properties");

    if (props) {
        if (!json_is_object(props)) {
            s3t_bad(c, "properties must be a map of strings.");
            return ICETAP_INVALID;
        }

        json_object_foreach(props, k, v) {
            if (!json_is_string(v)) {
                s3t_bad(c, "Property \"%.100s\" is not a string.", k);
                return ICETAP_INVALID;
            }

            if (icetap_kvs_set(&cr->props, k, json_string_value(v))
                != ICETAP_OK)
            {
                return icetap_error_set(&c->err, ICETAP_NOMEM,
                                        "out of memory");
            }
        }
    }

    return ICETAP_OK;
}


static icetap_rc
s3t_create_table(s3t_ctx_t *c)
{
    char                       key[S3T_KEY_LEN];
    json_t                    *md, *enc, *sc, *tags, *extra;
    icetap_rc                  rc;
    const char                *name, *format;
    s3t_entry_t                ns, cur;
    s3t_bucket_t               b;
    s3t_create_t               cr;
    icetap_buf_t               text;
    icetap_table_t            *tbl;
    icetap_table_conf_t        tc;
    icetap_table_pointer_t     ptr;
    icetap_catalog_table_t     entry;
    icetap_catalog_pointer_t   cp;
    icetap_store_put_opts_t    opts;

    memset(&cr, 0, sizeof(cr));
    memset(&b, 0, sizeof(b));
    memset(&ns, 0, sizeof(ns));
    memset(&cur, 0, sizeof(cur));
    memset(&entry, 0, sizeof(entry));
    memset(&text, 0, sizeof(text));

    if (s3t_body(c, 1) != ICETAP_OK) {
        return ICETAP_OK;
    }

    name = s3t_str(c->body, "name");
    format = s3t_str(c->body, "format");
    md = json_object_get(c->body, "metadata");
    enc = json_object_get(c->body, "encryptionConfiguration");
    sc = json_object_get(c->body, "storageClassConfiguration");
    tags = json_object_get(c->body, "tags");

    if (name == NULL || format == NULL) {
        return s3t_bad(c, "name and format are required.");
    }

    if (strcmp(format, "ICEBERG") != 0) {
        return s3t_bad(c, "format must be ICEBERG.");
    }

    if (!s3t_valid_name(name, 0)) {
        return s3t_bad(c, "Invalid table name \"%.100s\": 1 to 255 "
                       "lowercase letters, digits and underscores, "
                       "beginning and ending with a letter or digit.",
                       name);
    }

    if ((enc && s3t_encryption_check(c, enc) != ICETAP_OK)
        || (sc && s3t_storage_class_check(c, sc) != ICETAP_OK)
        || (tags && s3t_tags_check(c, tags) != ICETAP_OK))
    {
        return ICETAP_OK;
    }

    if (md && s3t_convert_metadata(c, md, &cr) != ICETAP_OK) {
        s3t_create_free(&cr);
        return c->res->status == 400 ? ICETAP_OK : ICETAP_ERROR;
    }

    rc = s3t_load_bucket(c, c->seg[1], "s3tables:CreateTable", &b);

    if (rc == ICETAP_OK
        && ((md && s3t_authorize(c, "s3tables:PutTableData", b.arn,
                                 b.e.doc, NULL) != ICETAP_OK)
            || (enc && s3t_authorize(c, "s3tables:PutTableEncryption",
                                     b.arn, b.e.doc, NULL) != ICETAP_OK)
            || (sc && s3t_authorize(c, "s3tables:PutTableStorageClass",
                                    b.arn, b.e.doc, NULL) != ICETAP_OK)
            || (tags && s3t_authorize(c, "s3tables:TagResource", b.arn,
                                      b.e.doc, NULL) != ICETAP_OK)))
    {
        rc = ICETAP_UNSUPPORTED;
    }

    if (rc == ICETAP_OK && s3t_bucket_managed(b.e.doc)) {
        s3t_read_only(c, "table bucket");
        rc = ICETAP_UNSUPPORTED;
    }

    if (rc == ICETAP_OK) {
        rc = s3t_load_namespace(c, &b, c->seg[2], &ns);
    }

    if (rc == ICETAP_OK) {
        rc = s3t_quota(c, b.name, 1, S3T_MAX_TABLES, "tables");
    }

    if (rc != ICETAP_OK) {
        goto done;
    }

    /* a name taken is refused before anything is written */

    snprintf(cur.key, sizeof(cur.key), ICETAP_CATALOG_PREFIX "%s/%s/%s.json",
             b.name, c->seg[2], name);

    rc = s3t_entry_load(c, &cur);

    if (rc == ICETAP_OK) {
        s3t_error(c, 409, "ConflictException",
                  "The table \"%s\" already exists.", name);
        goto done;
    }

    if (rc != ICETAP_NOTFOUND) {
        s3t_store_failed(c);
        goto done;
    }

    rc = icetap_catalog_table_init(&entry, c->req->state_bucket, b.name,
                                   c->seg[2], name, NULL, b.arn, NULL,
                                   &c->err);
    if (rc != ICETAP_OK) {
        goto done;
    }

    /* what the table keeps of the bucket's defaults and the request */

    if (enc == NULL) {
        enc = json_object_get(b.e.doc, "encryption");
    }

    if (sc == NULL) {
        sc = json_object_get(b.e.doc, "storage_class");
    }

    extra = json_object();

    if (extra == NULL
        || json_object_set_new(extra, "encryption",
                               enc ? json_deep_copy(enc)
                                   : json_pack("{s:s}", "sseAlgorithm",
                                               "AES256"))
           != 0
        || json_object_set_new(extra, "storage_class",
                               sc ? json_deep_copy(sc)
                                  : json_pack("{s:s}", "storageClass",
                                              "STANDARD"))
           != 0
        || json_object_set_new(extra, "tags",
                               tags ? json_deep_copy(tags) : json_object())
           != 0)
    {
        json_decref(extra);
        rc = icetap_error_set(&c->err, ICETAP_NOMEM, "out of memory");
        goto done;
    }

    entry.extra = extra;

    if (md) {
        /* the first metadata file, then the entry pointing at it */

        cp.store = c->req->store;
        cp.entry = &entry;
        ptr.load = icetap_catalog_pointer_load;
        ptr.swap = icetap_catalog_pointer_swap;
        ptr.ctx = &cp;

        memset(&tc, 0, sizeof(tc));
        tc.location = entry.warehouse_location;
        tc.prefix = icetap_catalog_table_prefix(&entry);
        tc.pointer = &ptr;
        tc.naming = ICETAP_TABLE_NAMING_CATALOG;
        tc.no_version_hint = 1;
        tc.max_attempts = 1;

        rc = icetap_table_create(c->req->store, &tc, 2, cr.schema,
                                 cr.has_spec ? &cr.spec : NULL,
                                 cr.has_order ? &cr.order : NULL,
                                 &cr.props, &tbl, &c->err);

        if (rc == ICETAP_OK) {
            icetap_table_close(tbl);
        }

        if (rc == ICETAP_INVALID || rc == ICETAP_UNSUPPORTED) {
            s3t_bad(c, "Invalid table metadata: %s", c->err.msg);
            goto done;
        }

    } else {
        entry.version_token = icetap_strndup("1", 1);

        rc = entry.version_token
             ? icetap_catalog_table_to_json(&entry, &text, &c->err)
             : icetap_error_set(&c->err, ICETAP_NOMEM, "out of memory");

        if (rc == ICETAP_OK) {
            memset(&opts, 0, sizeof(opts));
            opts.content_type = "application/json";
            opts.if_none_match = 1;

            rc = icetap_store_put_buf(c->req->store, cur.key, text.data,
                                      text.len, &opts, NULL, &c->err);
        }
    }

    if (rc == ICETAP_CONFLICT) {
        s3t_error(c, 409, "ConflictException",
                  "The table \"%s\" already exists.", name);
        goto done;
    }

    if (rc != ICETAP_OK) {
        s3t_store_failed(c);
        goto done;
    }

    /*
     * A DeleteNamespace that ran meanwhile saw no table, or sees this one
     * and puts its namespace back: a table never stays without one.
     */

    rc = s3t_entry_load(c, &ns);

    if (rc == ICETAP_NOTFOUND) {
        if (icetap_store_delete(c->req->store, cur.key, &c->err) != ICETAP_OK
            || s3t_purge(c, entry.warehouse_location) != ICETAP_OK)
        {
            s3t_store_failed(c);
            goto done;
        }

        s3t_error(c, 404, "NotFoundException",
                  "The namespace was deleted meanwhile.");
        goto done;
    }

    snprintf(key, sizeof(key), "%s", entry.arn);

    s3t_reply(c, 200, json_pack("{s:s, s:s}", "tableARN", key,
                                "versionToken", "1"));

done:

    icetap_buf_free(&text);
    icetap_catalog_table_free(&entry);
    s3t_entry_free(&cur);
    s3t_entry_free(&ns);
    s3t_entry_free(&b.e);
    s3t_create_free(&cr);

    return ICETAP_OK;
}


typedef struct {
    s3t_page_t                   pg;
    json_t                      *bucket;
    size_t                       base_len;
    const char                  *prefix;      /* of table names */
    const char                  *table_id;    /* find by id */
    s3t_entry_t                 *found;
} s3t_tables_page_t;


static icetap_rc
s3t_table_cb(void *ctx, const char *key)
{
    size_t              len;
    icetap_rc           rc;
    const char         *rel, *slash, *id;
    s3t_entry_t         e;
    s3t_tables_page_t  *tp = ctx;

    rel = key + tp->base_len;
    len = strlen(rel);
    slash = strchr(rel, '/');

    /* tables only: <namespace>/<table>.json */

    if (slash == NULL || strchr(slash + 1, '/') != NULL || len < 8
        || strcmp(rel + len - 5, ".json") != 0)
    {
        return ICETAP_OK;
    }

    if (tp->prefix && strncmp(slash + 1, tp->prefix, strlen(tp->prefix))
                      != 0)
    {
        return ICETAP_OK;
    }

    if (tp->table_id == NULL && tp->pg.n == tp->pg.max) {
        tp->pg.more = 1;
        return ICETAP_EOF;
    }

    memset(&e, 0, sizeof(e));
    snprintf(e.key, sizeof(e.key), "%s", key);

    rc = s3t_entry_load(tp->pg.c, &e);

    if (rc == ICETAP_NOTFOUND || rc == ICETAP_INVALID) {
        return ICETAP_OK;
    }

    if (rc != ICETAP_OK) {
        return rc;
    }

    if (tp->table_id) {
        id = s3t_str(e.doc, "table_id");

        if (id && strcmp(id, tp->table_id) == 0) {
            *tp->found = e;
            return ICETAP_EOF;
        }

        s3t_entry_free(&e);
        return ICETAP_OK;
    }

    json_array_append_new(tp->pg.out,
                          s3t_table_json(tp->pg.c, e.doc, tp->bucket, 0));
    s3t_entry_free(&e);

    snprintf(tp->pg.last, sizeof(tp->pg.last), "%.*s", (int) (len - 5),
             rel);
    tp->pg.n++;

    return ICETAP_OK;
}


static icetap_rc
s3t_list_tables(s3t_ctx_t *c)
{
    int                got;
    char               ns[ICETAP_CATALOG_NAME_LEN];
    char               prefix[ICETAP_CATALOG_NAME_LEN];
    char               token[2 * ICETAP_CATALOG_NAME_LEN + 2], *slash;
    char               base[S3T_KEY_LEN], start[2 * S3T_KEY_LEN];
    json_t            *out;
    icetap_rc          rc;
    s3t_bucket_t       b;
    s3t_tables_page_t  tp;

    memset(&tp, 0, sizeof(tp));
    memset(&b, 0, sizeof(b));

    got = s3t_query(c, "namespace", ns, sizeof(ns));

    if (got < 0 || (got && !icetap_catalog_valid_name(ns))) {
        return s3t_bad(c, "Invalid namespace.");
    }

    if (!got) {
        ns[0] = '\0';
    }

    got = s3t_query(c, "prefix", prefix, sizeof(prefix));

    if (got < 0 || (got && prefix[0] == '\0')) {
        return s3t_bad(c, "prefix must be 1 to 255 characters.");
    }

    tp.prefix = got ? prefix : NULL;

    got = s3t_query(c, "continuationToken", token, sizeof(token));
    slash = (got > 0) ? strchr(token, '/') : NULL;

    if (got < 0 || (got && slash == NULL)) {
        return s3t_bad(c, "Invalid continuationToken.");
    }

    if (slash) {
        *slash = '\0';

        if (!icetap_catalog_valid_name(token)
            || !icetap_catalog_valid_name(slash + 1))
        {
            return s3t_bad(c, "Invalid continuationToken.");
        }

        *slash = '/';
    }

    if (s3t_page_size(c, "maxTables", &tp.pg.max) != ICETAP_OK) {
        return ICETAP_OK;
    }

    if (s3t_load_bucket(c, c->seg[1], "s3tables:ListTables", &b)
        != ICETAP_OK)
    {
        s3t_entry_free(&b.e);
        return ICETAP_OK;
    }

    out = json_array();
    if (out == NULL) {
        s3t_entry_free(&b.e);
        return icetap_error_set(&c->err, ICETAP_NOMEM, "out of memory");
    }

    snprintf(base, sizeof(base), ICETAP_CATALOG_PREFIX "%s/", b.name);

    tp.pg.c = c;
    tp.pg.out = out;
    tp.bucket = b.e.doc;
    tp.base_len = strlen(base);

    snprintf(start, sizeof(start), "%s%s.json", base, token);

    if (ns[0]) {
        snprintf(base + tp.base_len, sizeof(base) - tp.base_len, "%s/%s",
                 ns, tp.prefix ? tp.prefix : "");
    }

    rc = s3t_list(c, base, NULL, slash ? start : NULL, s3t_table_cb, &tp);

    s3t_entry_free(&b.e);

    if (rc != ICETAP_OK) {
        json_decref(out);
        return s3t_store_failed(c);
    }

    return s3t_reply(c, 200, json_pack("{s:o, s:s?}", "tables", out,
                                       "continuationToken",
                                       tp.pg.more ? tp.pg.last : NULL));
}


/*
 * A table by its ARN ("<bucket ARN>/table/<id>"), authorized for action:
 * ICETAP_OK or answered.
 */

static icetap_rc
s3t_find_table_by_arn(s3t_ctx_t *c, const char *arn, s3t_table_t *t,
    const char *action)
{
    char               barn[S3T_ARN_LEN], base[S3T_KEY_LEN];
    const char        *p, *rel;
    icetap_rc          rc;
    s3t_entry_t        found;
    s3t_tables_page_t  tp;

    p = strstr(arn, "/table/");

    if (p == NULL || (size_t) (p - arn) >= sizeof(barn) || p[7] == '\0'
        || strlen(p + 7) > 255 || strchr(p + 7, '/') != NULL)
    {
        s3t_bad(c, "Invalid table ARN \"%.200s\".", arn);
        return ICETAP_INVALID;
    }

    memcpy(barn, arn, p - arn);
    barn[p - arn] = '\0';

    rc = s3t_load_bucket(c, barn, NULL, &t->b);

    if (rc == ICETAP_NOTFOUND) {
        /* answered 404 already; authorization comes first */

        if (s3t_authorize(c, action, arn, NULL, NULL) == ICETAP_OK) {
            s3t_error(c, 404, "NotFoundException",
                      "The specified table does not exist.");
        }

        return rc;
    }

    if (rc != ICETAP_OK) {
        return rc;
    }

    memset(&found, 0, sizeof(found));
    memset(&tp, 0, sizeof(tp));

    snprintf(base, sizeof(base), ICETAP_CATALOG_PREFIX "%s/", t->b.name);

    tp.pg.c = c;
    tp.base_len = strlen(base);
    tp.table_id = p + 7;
    tp.found = &found;

    rc = s3t_list(c, base, NULL, NULL, s3t_table_cb, &tp);

    if (rc != ICETAP_OK) {
        s3t_entry_free(&found);
        s3t_store_failed(c);
        return rc;
    }

    if (found.doc == NULL
        || s3t_str(found.doc, "arn") == NULL
        || strcmp(s3t_str(found.doc, "arn"), arn) != 0)
    {
        s3t_entry_free(&found);

        if (s3t_authorize(c, action, arn, t->b.e.doc, NULL) != ICETAP_OK) {
            return ICETAP_UNSUPPORTED;
        }

        s3t_error(c, 404, "NotFoundException",
                  "The specified table does not exist.");
        return ICETAP_NOTFOUND;
    }

    t->e = found;

    rel = found.key + tp.base_len;
    p = strchr(rel, '/');

    snprintf(t->ns, sizeof(t->ns), "%.*s", (int) (p - rel), rel);
    snprintf(t->name, sizeof(t->name), "%.*s", (int) (strlen(p + 1) - 5),
             p + 1);

    if (s3t_authorize(c, action, arn, t->b.e.doc, t->e.doc) != ICETAP_OK) {
        return ICETAP_UNSUPPORTED;
    }

    return ICETAP_OK;
}


static icetap_rc
s3t_get_table(s3t_ctx_t *c)
{
    int          a, n, m;
    char         arn[S3T_ARN_LEN], ns[ICETAP_CATALOG_NAME_LEN];
    char         name[ICETAP_CATALOG_NAME_LEN], tarn[S3T_ARN_LEN];
    icetap_rc    rc;
    s3t_table_t  t;

    memset(&t, 0, sizeof(t));

    a = s3t_query(c, "tableArn", tarn, sizeof(tarn));
    m = s3t_query(c, "tableBucketARN", arn, sizeof(arn));
    n = s3t_query(c, "namespace", ns, sizeof(ns));
    n = (n > 0) ? s3t_query(c, "name", name, sizeof(name)) : n;

    if (a < 0 || m < 0 || n < 0) {
        return s3t_bad(c, "A parameter is too long.");
    }

    if (a > 0 && (m || n)) {
        return s3t_bad(c, "Give either tableArn or tableBucketARN, "
                       "namespace and name.");
    }

    if (a > 0) {
        rc = s3t_find_table_by_arn(c, tarn, &t, "s3tables:GetTable");

    } else if (m > 0 && n > 0) {
        rc = s3t_load_table(c, arn, ns, name, "s3tables:GetTable", &t);

    } else {
        return s3t_bad(c, "Give either tableArn or tableBucketARN, "
                       "namespace and name.");
    }

    if (rc == ICETAP_OK) {
        s3t_reply(c, 200, s3t_table_json(c, t.e.doc, t.b.e.doc, 1));
    }

    s3t_table_free(&t);

    return ICETAP_OK;
}


/* GET /tables/{arn}/{namespace}/{name}: GetTable before 2025-06 */

static icetap_rc
s3t_get_table_old(s3t_ctx_t *c)
{
    s3t_table_t  t;

    memset(&t, 0, sizeof(t));

    if (s3t_load_table(c, c->seg[1], c->seg[2], c->seg[3],
                       "s3tables:GetTable", &t)
        == ICETAP_OK)
    {
        s3t_reply(c, 200, s3t_table_json(c, t.e.doc, t.b.e.doc, 1));
    }

    s3t_table_free(&t);

    return ICETAP_OK;
}


/* the table of the path, authorized; 403 for writes to a managed one */

static icetap_rc
s3t_path_table(s3t_ctx_t *c, const char *action, int write, s3t_table_t *t)
{
    icetap_rc  rc;

    memset(t, 0, sizeof(s3t_table_t));

    rc = s3t_load_table(c, c->seg[1], c->seg[2], c->seg[3], action, t);

    if (rc == ICETAP_OK && write && s3t_table_managed(t)) {
        s3t_read_only(c, "table");
        rc = ICETAP_UNSUPPORTED;
    }

    return rc;
}


static icetap_rc
s3t_purge_cb(void *ctx, const char *key)
{
    s3t_ctx_t  *c = ctx;

    return icetap_store_delete(c->req->store, key, &c->err);
}


/* the table's objects: data, manifests, metadata files */

static icetap_rc
s3t_purge(s3t_ctx_t *c, const char *loc)
{
    char          prefix[S3T_KEY_LEN];
    const char   *p;

    if (loc == NULL || strncmp(loc, "s3://", 5) != 0
        || (p = strchr(loc + 5, '/')) == NULL || p[1] == '\0')
    {
        return ICETAP_OK;
    }

    snprintf(prefix, sizeof(prefix), "%s/", p + 1);

    return s3t_list(c, prefix, NULL, NULL, s3t_purge_cb, c);
}


static icetap_rc
s3t_token_check(s3t_ctx_t *c, json_t *t, const char *token)
{
    const char  *cur;

    cur = s3t_str(t, "version_token");

    if (token && (cur == NULL || strcmp(cur, token) != 0)) {
        s3t_error(c, 409, "ConflictException",
                  "The versionToken does not match the table's current "
                  "one.");
        return ICETAP_CONFLICT;
    }

    return ICETAP_OK;
}


static icetap_rc
s3t_delete_table(s3t_ctx_t *c)
{
    int          got;
    char         token[2100], key[S3T_KEY_LEN];
    icetap_rc    rc;
    s3t_table_t  t;

    got = s3t_query(c, "versionToken", token, sizeof(token));

    if (got < 0 || (got && token[0] == '\0')) {
        return s3t_bad(c, "versionToken must be 1 to 2048 characters.");
    }

    if (s3t_path_table(c, "s3tables:DeleteTable", 1, &t) != ICETAP_OK
        || s3t_token_check(c, t.e.doc, got ? token : NULL) != ICETAP_OK)
    {
        s3t_table_free(&t);
        return ICETAP_OK;
    }

    /* the entry goes first: from then on the table does not exist */

    rc = icetap_store_delete(c->req->store, t.e.key, &c->err);

    if (rc == ICETAP_OK) {
        rc = s3t_purge(c, s3t_str(t.e.doc, "warehouse_location"));
    }

    if (rc == ICETAP_OK && s3t_str(t.e.doc, "table_id")) {
        snprintf(key, sizeof(key), ICETAP_CATALOG_JOBS "%s.json",
                 s3t_str(t.e.doc, "table_id"));
        rc = icetap_store_delete(c->req->store, key, &c->err);
    }

    if (rc == ICETAP_OK) {
        s3t_reply(c, 204, NULL);

    } else {
        s3t_store_failed(c);
    }

    s3t_table_free(&t);

    return ICETAP_OK;
}


static icetap_rc
s3t_rename_table(s3t_ctx_t *c)
{
    char          key[S3T_KEY_LEN], next[32];
    json_t       *orig, *fence;
    icetap_rc     rc;
    const char   *new_ns, *new_name, *token;
    s3t_entry_t   dst;
    s3t_table_t   t;

    if (s3t_body(c, 1) != ICETAP_OK) {
        return ICETAP_OK;
    }

    new_ns = s3t_str(c->body, "newNamespaceName");
    new_name = s3t_str(c->body, "newName");
    token = s3t_str(c->body, "versionToken");

    if ((json_object_get(c->body, "newNamespaceName") && new_ns == NULL)
        || (json_object_get(c->body, "newName") && new_name == NULL)
        || (json_object_get(c->body, "versionToken") && token == NULL))
    {
        return s3t_bad(c, "newNamespaceName, newName and versionToken must "
                       "be strings.");
    }

    if (new_ns == NULL && new_name == NULL) {
        return s3t_bad(c, "Give newNamespaceName, newName or both.");
    }

    if ((new_name && !s3t_valid_name(new_name, 0))
        || (new_ns && !icetap_catalog_valid_name(new_ns)))
    {
        return s3t_bad(c, "Invalid new namespace or table name.");
    }

    if (s3t_path_table(c, "s3tables:RenameTable", 1, &t) != ICETAP_OK
        || s3t_token_check(c, t.e.doc, token) != ICETAP_OK)
    {
        s3t_table_free(&t);
        return ICETAP_OK;
    }

    if (new_ns == NULL) {
        new_ns = t.ns;
    }

    if (new_name == NULL) {
        new_name = t.name;
    }

    memset(&dst, 0, sizeof(dst));

    if (s3t_load_namespace(c, &t.b, new_ns, &dst) != ICETAP_OK) {
        s3t_entry_free(&dst);
        s3t_table_free(&t);
        return ICETAP_OK;
    }

    s3t_entry_free(&dst);

    snprintf(key, sizeof(key), ICETAP_CATALOG_PREFIX "%s/%s/%s.json",
             t.b.name, new_ns, new_name);

    if (strcmp(key, t.e.key) == 0) {
        s3t_table_free(&t);
        return s3t_reply(c, 204, NULL);
    }

    /*
     * The entry moves.  First the old one is fenced (If-Match what was
     * read): its version token changes, so an UpdateTableMetadataLocation
     * racing with the rename fails instead of landing on an entry about
     * to go.  Then the entry is created under the new name (never over
     * another table) and removed under the old one; if the new name is
     * taken, the old entry is put back as it was.  The table id, ARN and
     * location stay.
     */

    orig = json_deep_copy(t.e.doc);
    fence = json_deep_copy(t.e.doc);

    if (orig == NULL || fence == NULL) {
        json_decref(orig);
        json_decref(fence);
        s3t_table_free(&t);
        return icetap_error_set(&c->err, ICETAP_NOMEM, "out of memory");
    }

    snprintf(next, sizeof(next), "%" PRId64,
             (int64_t) strtoll(s3t_str(t.e.doc, "version_token")
                               ? s3t_str(t.e.doc, "version_token") : "0",
                               NULL, 10) + 1);

    json_object_set_new(fence, "version_token", json_string(next));
    json_object_set_new(fence, "renamed_to", json_pack("[s, s]", new_ns,
                                                       new_name));

    rc = s3t_put_doc(c, t.e.key, fence, t.e.etag, 0);

    if (rc == ICETAP_CONFLICT) {
        s3t_error(c, 409, "ConflictException",
                  "The table was changed while it was being renamed.");
        goto done;
    }

    if (rc != ICETAP_OK
        || s3t_entry_load(c, &t.e) != ICETAP_OK)
    {
        s3t_store_failed(c);
        goto done;
    }

    json_object_del(t.e.doc, "renamed_to");
    json_object_set_new(t.e.doc, "namespace", json_string(new_ns));
    json_object_set_new(t.e.doc, "name", json_string(new_name));
    json_object_set_new(t.e.doc, "updated_at_ms",
                        json_integer(c->req->now_ms));

    rc = s3t_put_doc(c, key, t.e.doc, NULL, 1);

    if (rc == ICETAP_CONFLICT) {
        /* the name is taken: the old entry as it was */

        if (s3t_put_doc(c, t.e.key, orig, t.e.etag, 0) != ICETAP_OK) {
            s3t_store_failed(c);
            goto done;
        }

        s3t_error(c, 409, "ConflictException",
                  "A table \"%s\" already exists in namespace \"%s\".",
                  new_name, new_ns);

    } else if (rc == ICETAP_OK
               && icetap_store_delete(c->req->store, t.e.key, &c->err)
                  == ICETAP_OK)
    {
        s3t_reply(c, 204, NULL);

    } else {
        s3t_store_failed(c);
    }

done:

    json_decref(orig);
    json_decref(fence);
    s3t_table_free(&t);

    return ICETAP_OK;
}


static icetap_rc
s3t_get_metadata_location(s3t_ctx_t *c)
{
    s3t_table_t  t;

    if (s3t_path_table(c, "s3tables:GetTableMetadataLocation", 0, &t)
        == ICETAP_OK)
    {
        s3t_reply(c, 200, json_pack("{s:s, s:s?, s:s?}",
                                    "versionToken",
                                    s3t_str(t.e.doc, "version_token")
                                    ? s3t_str(t.e.doc, "version_token")
                                    : "0",
                                    "metadataLocation",
                                    s3t_str(t.e.doc, "metadata_location"),
                                    "warehouseLocation",
                                    s3t_str(t.e.doc,
                                            "warehouse_location")));
    }

    s3t_table_free(&t);

    return ICETAP_OK;
}


typedef struct {
    const char                  *token;
    const char                  *location;
    char                         next[32];
} s3t_swap_t;


static icetap_rc
s3t_swap_fn(s3t_ctx_t *c, json_t *doc, void *arg)
{
    int64_t      v;
    s3t_swap_t  *sw = arg;
    const char  *cur;

    cur = s3t_str(doc, "version_token");

    if (cur == NULL || strcmp(cur, sw->token) != 0
        || json_object_get(doc, "renamed_to") != NULL)
    {
        return ICETAP_CONFLICT;
    }

    v = strtoll(cur, NULL, 10);
    snprintf(sw->next, sizeof(sw->next), "%" PRId64, v + 1);

    if (json_object_set_new(doc, "metadata_location",
                            json_string(sw->location)) != 0
        || json_object_set_new(doc, "version_token",
                               json_string(sw->next)) != 0
        || json_object_set_new(doc, "updated_at_ms",
                               json_integer(c->req->now_ms)) != 0)
    {
        return icetap_error_set(&c->err, ICETAP_NOMEM, "out of memory");
    }

    return ICETAP_OK;
}


static icetap_rc
s3t_update_metadata_location(s3t_ctx_t *c)
{
    size_t        n, w;
    icetap_rc     rc;
    s3t_swap_t    sw;
    s3t_table_t   t;
    const char   *wh;

    if (s3t_body(c, 1) != ICETAP_OK) {
        return ICETAP_OK;
    }

    sw.token = s3t_str(c->body, "versionToken");
    sw.location = s3t_str(c->body, "metadataLocation");

    if (sw.token == NULL || sw.location == NULL || sw.token[0] == '\0'
        || strlen(sw.token) > 2048 || strlen(sw.location) > 2048)
    {
        return s3t_bad(c, "versionToken and metadataLocation are required "
                       "strings of 1 to 2048 characters.");
    }

    if (s3t_path_table(c, "s3tables:UpdateTableMetadataLocation", 1, &t)
        != ICETAP_OK)
    {
        s3t_table_free(&t);
        return ICETAP_OK;
    }

    wh = s3t_str(t.e.doc, "warehouse_location");
    w = wh ? strlen(wh) : 0;
    n = strlen(sw.location);

    if (w == 0 || n <= w + 1 || strncmp(sw.location, wh, w) != 0
        || sw.location[w] != '/'
        || !((n > 14 && strcmp(sw.location + n - 14, ".metadata.json")
                        == 0)
             || (n > 17 && strcmp(sw.location + n - 17,
                                  ".metadata.json.gz") == 0)))
    {
        s3t_table_free(&t);
        return s3t_bad(c, "metadataLocation must lie under the table's "
                       "warehouseLocation and end with .metadata.json.");
    }

    rc = s3t_modify(c, t.e.key, s3t_swap_fn, &sw);

    if (rc == ICETAP_CONFLICT) {
        s3t_error(c, 409, "ConflictException",
                  "The versionToken does not match the table's current "
                  "one: another writer updated the table.");

    } else if (rc == ICETAP_NOTFOUND) {
        s3t_error(c, 404, "NotFoundException",
                  "The specified table does not exist.");

    } else if (rc != ICETAP_OK) {
        s3t_store_failed(c);

    } else {
        s3t_reply(c, 200, json_pack("{s:s, s:s?, s:[s], s:s, s:s}",
                                    "name", t.name,
                                    "tableARN", s3t_str(t.e.doc, "arn"),
                                    "namespace", t.ns,
                                    "versionToken", sw.next,
                                    "metadataLocation", sw.location));
    }

    s3t_table_free(&t);

    return ICETAP_OK;
}


/* maintenance configuration */

typedef struct {
    const char                  *type;
    const char                  *field;
    json_int_t                   def;
    json_int_t                   min;
    json_int_t                   max;
} s3t_setting_t;


static const s3t_setting_t  s3t_settings[] = {
    { "icebergCompaction", "targetFileSizeMB", 512, 64, 512 },
    { "icebergSnapshotManagement", "minSnapshotsToKeep", 1, 1, 2147483647 },
    { "icebergSnapshotManagement", "maxSnapshotAgeHours", 120, 1,
      2147483647 },
    { "icebergUnreferencedFileRemoval", "unreferencedDays", 3, 1,
      2147483647 },
    { "icebergUnreferencedFileRemoval", "nonCurrentDays", 10, 1,
      2147483647 },
    { NULL, NULL, 0, 0, 0 }
};


/* a type's value with every default filled in */

static json_t *
s3t_maintenance_default(const char *type)
{
    json_t               *v, *s;
    const s3t_setting_t  *st;

    s = json_object();

    for (st = s3t_settings; s && st->type; st++) {
        if (strcmp(st->type, type) == 0) {
            json_object_set_new(s, st->field, json_integer(st->def));
        }
    }

    if (s && strcmp(type, "icebergCompaction") == 0) {
        json_object_set_new(s, "strategy", json_string("auto"));
    }

    v = json_pack("{s:s, s:{s:o}}", "status", "enabled", "settings", type,
                  s);

    return v;
}


/*
 * The normalized value of a Put*MaintenanceConfiguration: ICETAP_OK
 * with *out, or answered 400.
 */

static icetap_rc
s3t_maintenance_value(s3t_ctx_t *c, const char *type, json_t *value,
    json_t **out)
{
    int                   found;
    json_t               *v, *settings, *s, *given, *f;
    const char           *status, *k, *strategy;
    json_int_t            n;
    const s3t_setting_t  *st;

    status = s3t_str(value, "status");
    settings = json_object_get(value, "settings");

    if (!json_is_object(value)
        || (json_object_get(value, "status") && status == NULL)
        || (status && strcmp(status, "enabled") != 0
            && strcmp(status, "disabled") != 0))
    {
        s3t_bad(c, "value.status must be enabled or disabled.");
        return ICETAP_INVALID;
    }

    given = NULL;

    if (settings) {
        given = json_object_get(settings, type);

        if (!json_is_object(settings) || json_object_size(settings) != 1
            || !json_is_object(given))
        {
            s3t_bad(c, "value.settings must hold exactly the member "
                    "\"%s\".", type);
            return ICETAP_INVALID;
        }
    }

    v = s3t_maintenance_default(type);
    if (v == NULL) {
        icetap_error_set(&c->err, ICETAP_NOMEM, "out of memory");
        return ICETAP_NOMEM;
    }

    if (status) {
        json_object_set_new(v, "status", json_string(status));
    }

    s = json_object_get(json_object_get(v, "settings"), type);

    json_object_foreach(given, k, f) {
        found = 0;

        for (st = s3t_settings; st->type; st++) {
            if (strcmp(st->type, type) != 0 || strcmp(st->field, k) != 0) {
                continue;
            }

            found = 1;
            n = json_integer_value(f);

            if (!json_is_integer(f) || n < st->min || n > st->max) {
                json_decref(v);
                s3t_bad(c, "%s must be an integer from %lld to %lld.", k,
                        (long long) st->min, (long long) st->max);
                return ICETAP_INVALID;
            }

            json_object_set(s, k, f);
        }

        if (strcmp(type, "icebergCompaction") == 0
            && strcmp(k, "strategy") == 0)
        {
            found = 1;
            strategy = json_string_value(f);

            if (strategy == NULL
                || (strcmp(strategy, "auto") != 0
                    && strcmp(strategy, "binpack") != 0
                    && strcmp(strategy, "sort") != 0
                    && strcmp(strategy, "z-order") != 0))
            {
                json_decref(v);
                s3t_bad(c, "strategy must be auto, binpack, sort or "
                        "z-order.");
                return ICETAP_INVALID;
            }

            json_object_set(s, k, f);
        }

        if (!found) {
            json_decref(v);
            s3t_bad(c, "Unknown setting \"%.100s\" of %s.", k, type);
            return ICETAP_INVALID;
        }
    }

    *out = v;

    return ICETAP_OK;
}


/* the configuration map of a bucket or table: stored over defaults */

static json_t *
s3t_maintenance_map(json_t *doc, const char *const *types, size_t n)
{
    size_t   i;
    json_t  *map, *stored, *v;

    map = json_object();
    stored = json_object_get(doc, "maintenance");

    for (i = 0; map && i < n; i++) {
        v = json_object_get(stored, types[i]);

        json_object_set_new(map, types[i],
                            json_is_object(v)
                            ? json_deep_copy(v)
                            : s3t_maintenance_default(types[i]));
    }

    return map;
}


static const char  *s3t_bucket_types[] = {
    "icebergUnreferencedFileRemoval"
};

static const char  *s3t_table_types[] = {
    "icebergCompaction", "icebergSnapshotManagement"
};


typedef struct {
    const char                  *member;
    const char                  *type;      /* under "maintenance" */
    json_t                      *value;     /* NULL: remove */
} s3t_set_t;


static icetap_rc
s3t_set_fn(s3t_ctx_t *c, json_t *doc, void *arg)
{
    json_t     *m;
    s3t_set_t  *set = arg;

    if (set->type) {
        m = json_object_get(doc, set->member);

        if (!json_is_object(m)) {
            m = json_object();

            if (m == NULL
                || json_object_set_new(doc, set->member, m) != 0)
            {
                return icetap_error_set(&c->err, ICETAP_NOMEM,
                                        "out of memory");
            }
        }

        return json_object_set(m, set->type, set->value) == 0
               ? ICETAP_OK
               : icetap_error_set(&c->err, ICETAP_NOMEM, "out of memory");
    }

    if (set->value == NULL) {
        json_object_del(doc, set->member);
        return ICETAP_OK;
    }

    return json_object_set(doc, set->member, set->value) == 0
           ? ICETAP_OK
           : icetap_error_set(&c->err, ICETAP_NOMEM, "out of memory");
}


/* writes set into the entry at key, answering status or the failure */

static icetap_rc
s3t_set(s3t_ctx_t *c, const char *key, s3t_set_t *set, int status)
{
    icetap_rc  rc;

    rc = s3t_modify(c, key, s3t_set_fn, set);

    if (rc == ICETAP_NOTFOUND) {
        return s3t_error(c, 404, "NotFoundException",
                         "The resource was deleted meanwhile.");
    }

    if (rc == ICETAP_CONFLICT) {
        return s3t_error(c, 409, "ConflictException",
                         "The resource is being changed by other writers; "
                         "retry.");
    }

    if (rc != ICETAP_OK) {
        return s3t_store_failed(c);
    }

    return s3t_reply(c, status, NULL);
}


static icetap_rc
s3t_get_bucket_maintenance(s3t_ctx_t *c)
{
    s3t_bucket_t  b;

    memset(&b, 0, sizeof(b));

    if (s3t_load_bucket(c, c->seg[1],
                        "s3tables:GetTableBucketMaintenanceConfiguration",
                        &b)
        == ICETAP_OK)
    {
        s3t_reply(c, 200, json_pack("{s:s, s:o}", "tableBucketARN", b.arn,
                                    "configuration",
                                    s3t_maintenance_map(b.e.doc,
                                        s3t_bucket_types,
                                        icetap_nelems(s3t_bucket_types))));
    }

    s3t_entry_free(&b.e);

    return ICETAP_OK;
}


static icetap_rc
s3t_put_bucket_maintenance(s3t_ctx_t *c)
{
    json_t        *v;
    s3t_set_t      set;
    s3t_bucket_t   b;

    if (strcmp(c->seg[3], "icebergUnreferencedFileRemoval") != 0) {
        return s3t_bad(c, "Invalid maintenance type \"%.100s\" for a table "
                       "bucket: only icebergUnreferencedFileRemoval.",
                       c->seg[3]);
    }

    if (s3t_body(c, 1) != ICETAP_OK
        || s3t_maintenance_value(c, c->seg[3],
                                 json_object_get(c->body, "value"), &v)
           != ICETAP_OK)
    {
        return ICETAP_OK;
    }

    memset(&b, 0, sizeof(b));

    if (s3t_load_bucket(c, c->seg[1],
                        "s3tables:PutTableBucketMaintenanceConfiguration",
                        &b)
        != ICETAP_OK)
    {

    } else if (s3t_bucket_managed(b.e.doc)) {
        s3t_read_only(c, "table bucket");

    } else {
        set.member = "maintenance";
        set.type = c->seg[3];
        set.value = v;
        s3t_set(c, b.e.key, &set, 204);
    }

    json_decref(v);
    s3t_entry_free(&b.e);

    return ICETAP_OK;
}


static icetap_rc
s3t_get_table_maintenance(s3t_ctx_t *c)
{
    s3t_table_t  t;

    if (s3t_path_table(c, "s3tables:GetTableMaintenanceConfiguration", 0,
                       &t)
        == ICETAP_OK)
    {
        s3t_reply(c, 200, json_pack("{s:s?, s:o}", "tableARN",
                                    s3t_str(t.e.doc, "arn"),
                                    "configuration",
                                    s3t_maintenance_map(t.e.doc,
                                        s3t_table_types,
                                        icetap_nelems(s3t_table_types))));
    }

    s3t_table_free(&t);

    return ICETAP_OK;
}


static icetap_rc
s3t_put_table_maintenance(s3t_ctx_t *c)
{
    json_t       *v;
    s3t_set_t     set;
    s3t_table_t   t;

    if (strcmp(c->seg[5], "icebergCompaction") != 0
        && strcmp(c->seg[5], "icebergSnapshotManagement") != 0)
    {
        return s3t_bad(c, "Invalid maintenance type \"%.100s\" for a "
                       "table: icebergCompaction or "
                       "icebergSnapshotManagement.", c->seg[5]);
    }

    if (s3t_body(c, 1) != ICETAP_OK
        || s3t_maintenance_value(c, c->seg[5],
                                 json_object_get(c->body, "value"), &v)
           != ICETAP_OK)
    {
        return ICETAP_OK;
    }

    if (s3t_path_table(c, "s3tables:PutTableMaintenanceConfiguration", 1,
                       &t)
        == ICETAP_OK)
    {
        set.member = "maintenance";
        set.type = c->seg[5];
        set.value = v;
        s3t_set(c, t.e.key, &set, 204);
    }

    json_decref(v);
    s3t_table_free(&t);

    return ICETAP_OK;
}


/*
 * Job status: written by the maintenance plugin under the table id;
 * a job without a record is Disabled when configured so, else
 * Not_Yet_Run.
 */

static icetap_rc
s3t_get_job_status(s3t_ctx_t *c)
{
    size_t        i;
    json_t       *out, *job, *v, *conf;
    icetap_rc     rc;
    s3t_entry_t   e;
    s3t_table_t   t;
    const char   *st, *type;

    static const char  *types[] = {
        "icebergCompaction", "icebergSnapshotManagement",
        "icebergUnreferencedFileRemoval"
    };

    if (s3t_path_table(c, "s3tables:GetTableMaintenanceJobStatus", 0, &t)
        != ICETAP_OK)
    {
        s3t_table_free(&t);
        return ICETAP_OK;
    }

    memset(&e, 0, sizeof(e));
    snprintf(e.key, sizeof(e.key), ICETAP_CATALOG_JOBS "%s.json",
             s3t_str(t.e.doc, "table_id") ? s3t_str(t.e.doc, "table_id")
                                          : "-");

    rc = s3t_entry_load(c, &e);

    if (rc != ICETAP_OK && rc != ICETAP_NOTFOUND && rc != ICETAP_INVALID) {
        s3t_table_free(&t);
        return s3t_store_failed(c);
    }

    out = json_object();

    for (i = 0; out && i < icetap_nelems(types); i++) {
        type = types[i];
        job = json_object_get(e.doc, type);
        st = s3t_str(job, "status");

        if (st) {
            v = json_pack("{s:s}", "status", st);

            if (v && s3t_str(job, "lastRunTimestamp")) {
                json_object_set(v, "lastRunTimestamp",
                                json_object_get(job, "lastRunTimestamp"));
            }

            if (v && s3t_str(job, "failureMessage")) {
                json_object_set(v, "failureMessage",
                                json_object_get(job, "failureMessage"));
            }

        } else {
            conf = json_object_get(json_object_get(i < 2 ? t.e.doc
                                                         : t.b.e.doc,
                                                   "maintenance"),
                                   type);
            st = s3t_str(conf, "status");

            v = json_pack("{s:s}", "status",
                          (st && strcmp(st, "disabled") == 0)
                          ? "Disabled" : "Not_Yet_Run");
        }

        json_object_set_new(out, type, v);
    }

    s3t_reply(c, 200, json_pack("{s:s?, s:o}", "tableARN",
                                s3t_str(t.e.doc, "arn"), "status", out));

    s3t_entry_free(&e);
    s3t_table_free(&t);

    return ICETAP_OK;
}


/* resource policies */

/* a resource policy: a JSON document in a string, checked whole */

static icetap_rc
s3t_policy_check(s3t_ctx_t *c, json_t *v)
{
    icetap_rc  rc;

    if (!json_is_string(v)) {
        return s3t_bad(c, "resourcePolicy must be a string.");
    }

    rc = icetap_policy_validate(json_string_value(v), json_string_length(v),
                                &c->err);

    if (rc != ICETAP_OK) {
        s3t_bad(c, "Invalid resourcePolicy: %s", c->err.msg);
        return ICETAP_INVALID;
    }

    return ICETAP_OK;
}


/*
 * The entry that holds the member: the table bucket or table of the
 * path, loaded for "action"; NULL when it cannot be (the answer is set).
 */

static s3t_entry_t *
s3t_config_owner(s3t_ctx_t *c, const s3t_member_t *m, const char *action,
    int write, s3t_table_t *t)
{
    memset(t, 0, sizeof(s3t_table_t));

    if (m->table) {
        return s3t_path_table(c, action, write, t) == ICETAP_OK ? &t->e
                                                                : NULL;
    }

    if (s3t_load_bucket(c, c->seg[1], action, &t->b) != ICETAP_OK) {
        return NULL;
    }

    if (write && s3t_bucket_managed(t->b.e.doc)) {
        s3t_read_only(c, "table bucket");
        return NULL;
    }

    return &t->b.e;
}


static icetap_rc
s3t_get_config(s3t_ctx_t *c)
{
    json_t              *v;
    s3t_entry_t         *e;
    s3t_table_t          t;
    const s3t_member_t  *m = c->arg;

    e = s3t_config_owner(c, m, m->get, 0, &t);

    if (e != NULL) {
        v = json_object_get(e->doc, m->member);

        if (m->def_key) {
            /* encryption and storage class: kept, reported, not applied */

            s3t_reply(c, 200, json_pack("{s:O}", m->name,
                                        json_is_object(v)
                                        ? v
                                        : json_pack("{s:s}", m->def_key,
                                                    m->def_value)));

        } else if (json_is_string(v)) {
            s3t_reply(c, 200, json_pack("{s:O}", m->name, v));

        } else {
            s3t_error(c, 404, "NotFoundException",
                      "The %s has no resource policy.",
                      m->table ? "table" : "table bucket");
        }
    }

    s3t_table_free(&t);

    return ICETAP_OK;
}


/* Put and Delete of a member: value NULL deletes */

static icetap_rc
s3t_set_config(s3t_ctx_t *c, const char *action, json_t *value, int status)
{
    s3t_set_t            set;
    s3t_entry_t         *e;
    s3t_table_t          t;
    const s3t_member_t  *m = c->arg;

    e = s3t_config_owner(c, m, action, 1, &t);

    if (e != NULL) {
        set.member = m->member;
        set.type = NULL;
        set.value = value;
        s3t_set(c, e->key, &set, status);
    }

    s3t_table_free(&t);

    return ICETAP_OK;
}


static icetap_rc
s3t_put_config(s3t_ctx_t *c)
{
    json_t              *v;
    const s3t_member_t  *m = c->arg;

    if (s3t_body(c, 1) != ICETAP_OK) {
        return ICETAP_OK;
    }

    v = json_object_get(c->body, m->name);

    if (v == NULL || json_is_null(v)) {
        return s3t_bad(c, "%s is required.", m->name);
    }

    if (m->check(c, v) != ICETAP_OK) {
        return ICETAP_OK;
    }

    return s3t_set_config(c, m->put, v, 200);
}


static icetap_rc
s3t_delete_config(s3t_ctx_t *c)
{
    const s3t_member_t  *m = c->arg;

    return s3t_set_config(c, m->del, NULL, 204);
}


/*
 * Metrics configuration: recorded (an id while enabled) and reported;
 * icetap publishes no CloudWatch metrics.
 */

static icetap_rc
s3t_get_bucket_metrics(s3t_ctx_t *c)
{
    const char    *id;
    s3t_bucket_t   b;

    memset(&b, 0, sizeof(b));

    if (s3t_load_bucket(c, c->seg[1],
                        "s3tables:GetTableBucketMetricsConfiguration", &b)
        == ICETAP_OK)
    {
        id = s3t_str(json_object_get(b.e.doc, "metrics"), "id");

        if (id) {
            s3t_reply(c, 200, json_pack("{s:s, s:s}", "tableBucketARN",
                                        b.arn, "id", id));

        } else {
            s3t_error(c, 404, "NotFoundException",
                      "The table bucket has no metrics configuration.");
        }
    }

    s3t_entry_free(&b.e);

    return ICETAP_OK;
}


static icetap_rc
s3t_metrics_fn(s3t_ctx_t *c, json_t *doc, void *arg)
{
    json_t  *m;

    m = json_object_get(doc, "metrics");

    if (s3t_str(m, "id")) {
        return ICETAP_OK;
    }

    return json_object_set_new(doc, "metrics",
                               json_pack("{s:s}", "id", (char *) arg)) == 0
           ? ICETAP_OK
           : icetap_error_set(&c->err, ICETAP_NOMEM, "out of memory");
}


static icetap_rc
s3t_put_bucket_metrics(s3t_ctx_t *c)
{
    char          id[37];
    icetap_rc     rc;
    s3t_bucket_t  b;

    memset(&b, 0, sizeof(b));

    if (s3t_load_bucket(c, c->seg[1],
                        "s3tables:PutTableBucketMetricsConfiguration", &b)
        != ICETAP_OK)
    {

    } else if (s3t_bucket_managed(b.e.doc)) {
        s3t_read_only(c, "table bucket");

    } else if (icetap_uuid4(id, &c->err) != ICETAP_OK) {
        s3t_store_failed(c);

    } else {
        /* an id kept while enabled: putting it again changes nothing */

        rc = s3t_modify(c, b.e.key, s3t_metrics_fn, id);

        if (rc == ICETAP_OK) {
            s3t_reply(c, 204, NULL);

        } else if (rc == ICETAP_NOTFOUND) {
            s3t_error(c, 404, "NotFoundException",
                      "The table bucket was deleted meanwhile.");

        } else {
            s3t_store_failed(c);
        }
    }

    s3t_entry_free(&b.e);

    return ICETAP_OK;
}


/*
 * Record expiration exists only for some of AWS's own tables (Storage
 * Lens, SageMaker); every other table answers 405, as S3 Tables does.
 * The journal's records expire by its S3 Metadata configuration.
 */

static icetap_rc
s3t_record_expiration(s3t_ctx_t *c, const char *action)
{
    char         arn[S3T_ARN_LEN];
    int          got;
    s3t_table_t  t;

    memset(&t, 0, sizeof(t));

    got = s3t_query(c, "tableArn", arn, sizeof(arn));

    if (got <= 0 || arn[0] == '\0') {
        return s3t_bad(c, "tableArn is required.");
    }

    if (s3t_find_table_by_arn(c, arn, &t, action) == ICETAP_OK) {
        s3t_error(c, 405, "MethodNotAllowedException",
                  "Record expiration is not supported for this table.");
    }

    s3t_table_free(&t);

    return ICETAP_OK;
}


static icetap_rc
s3t_get_record_expiration(s3t_ctx_t *c)
{
    return s3t_record_expiration(c,
               "s3tables:GetTableRecordExpirationConfiguration");
}


static icetap_rc
s3t_put_record_expiration(s3t_ctx_t *c)
{
    return s3t_record_expiration(c,
               "s3tables:PutTableRecordExpirationConfiguration");
}


static icetap_rc
s3t_get_record_expiration_job(s3t_ctx_t *c)
{
    return s3t_record_expiration(c,
               "s3tables:GetTableRecordExpirationJobStatus");
}


/* tags of a table bucket or table, by ARN */

static icetap_rc
s3t_tag_target(s3t_ctx_t *c, const char *action, int write, s3t_table_t *t,
    s3t_entry_t **e)
{
    icetap_rc    rc;
    const char  *arn;

    memset(t, 0, sizeof(s3t_table_t));
    arn = c->seg[1];

    if (strstr(arn, "/table/")) {
        rc = s3t_find_table_by_arn(c, arn, t, action);
        *e = &t->e;

        if (rc == ICETAP_OK && write && s3t_table_managed(t)) {
            s3t_read_only(c, "table");
            rc = ICETAP_UNSUPPORTED;
        }

        return rc;
    }

    rc = s3t_load_bucket(c, arn, action, &t->b);
    *e = &t->b.e;

    if (rc == ICETAP_OK && write && s3t_bucket_managed(t->b.e.doc)) {
        s3t_read_only(c, "table bucket");
        rc = ICETAP_UNSUPPORTED;
    }

    return rc;
}


static icetap_rc
s3t_list_tags(s3t_ctx_t *c)
{
    json_t       *tags;
    s3t_entry_t  *e;
    s3t_table_t   t;

    if (s3t_tag_target(c, "s3tables:ListTagsForResource", 0, &t, &e)
        == ICETAP_OK)
    {
        tags = json_object_get(e->doc, "tags");

        s3t_reply(c, 200, json_pack("{s:o}", "tags",
                                    json_is_object(tags)
                                    ? json_deep_copy(tags)
                                    : json_object()));
    }

    s3t_table_free(&t);

    return ICETAP_OK;
}


typedef struct {
    json_t                      *add;
    s3t_ctx_t                   *c;
    int                          untag;
} s3t_tagging_t;


static icetap_rc
s3t_tags_fn(s3t_ctx_t *c, json_t *doc, void *arg)
{
    int             i;
    char            key[160];
    json_t         *tags;
    s3t_tagging_t  *tg = arg;

    tags = json_object_get(doc, "tags");

    if (!json_is_object(tags)) {
        tags = json_object();

        if (tags == NULL || json_object_set_new(doc, "tags", tags) != 0) {
            return icetap_error_set(&c->err, ICETAP_NOMEM, "out of memory");
        }
    }

    if (tg->untag) {
        for (i = 0; s3t_query_at(c, "tagKeys", i, key, sizeof(key)) > 0;
             i++)
        {
            json_object_del(tags, key);
        }

        return ICETAP_OK;
    }

    if (json_object_update(tags, tg->add) != 0) {
        return icetap_error_set(&c->err, ICETAP_NOMEM, "out of memory");
    }

    if (json_object_size(tags) > S3T_MAX_TAGS) {
        return ICETAP_FULL;
    }

    return ICETAP_OK;
}


static icetap_rc
s3t_tagging(s3t_ctx_t *c, const char *action, s3t_tagging_t *tg,
    int status)
{
    icetap_rc     rc;
    s3t_entry_t  *e;
    s3t_table_t   t;

    if (s3t_tag_target(c, action, 1, &t, &e) == ICETAP_OK) {
        rc = s3t_modify(c, e->key, s3t_tags_fn, tg);

        if (rc == ICETAP_FULL) {
            s3t_bad(c, "A resource can have at most %d tags.",
                    S3T_MAX_TAGS);

        } else if (rc == ICETAP_NOTFOUND) {
            s3t_error(c, 404, "NotFoundException",
                      "The resource was deleted meanwhile.");

        } else if (rc != ICETAP_OK) {
            s3t_store_failed(c);

        } else {
            s3t_reply(c, status, NULL);
        }
    }

    s3t_table_free(&t);

    return ICETAP_OK;
}


static icetap_rc
s3t_tag_resource(s3t_ctx_t *c)
{
    json_t         *tags;
    s3t_tagging_t   tg;

    if (s3t_body(c, 1) != ICETAP_OK) {
        return ICETAP_OK;
    }

    tags = json_object_get(c->body, "tags");

    if (tags == NULL) {
        return s3t_bad(c, "tags is required.");
    }

    if (s3t_tags_check(c, tags) != ICETAP_OK) {
        return ICETAP_OK;
    }

    tg.add = tags;
    tg.c = c;
    tg.untag = 0;

    return s3t_tagging(c, "s3tables:TagResource", &tg, 200);
}


static icetap_rc
s3t_untag_resource(s3t_ctx_t *c)
{
    int             i, got;
    char            key[160];
    s3t_tagging_t   tg;

    for (i = 0; ; i++) {
        got = s3t_query_at(c, "tagKeys", i, key, sizeof(key));

        if (got == 0) {
            break;
        }

        if (got < 0 || key[0] == '\0' || strlen(key) > 128) {
            return s3t_bad(c, "tagKeys must be 1 to 128 characters.");
        }
    }

    if (i == 0) {
        return s3t_bad(c, "tagKeys is required.");
    }

    tg.add = NULL;
    tg.c = c;
    tg.untag = 1;

    return s3t_tagging(c, "s3tables:UntagResource", &tg, 204);
}
