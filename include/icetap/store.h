/*
 * Copyright (C) icetap authors
 *
 * Object store interface: one small vtable with a local-filesystem
 * implementation (tests, single host) and an S3 implementation (libcurl).
 *
 * A handle is bound to one bucket (S3) or one root directory (fs) and is
 * used by one thread at a time; open one handle per thread.  Keys are object
 * keys relative to that bucket or root.
 *
 * ETags are kept exactly as the store reports them (S3: with the quotes),
 * so a value from head/put can be passed back as if_match unchanged.
 */

#ifndef ICETAP_STORE_H
#define ICETAP_STORE_H


#include <icetap/core.h>


#define ICETAP_STORE_ETAG_LEN  128


typedef struct icetap_store_s  icetap_store_t;


typedef struct {
    char       *name;
    char       *value;
} icetap_store_kv_t;


/*
 * What head (and get) report about an object.  They initialise it, so
 * free it with icetap_store_obj_free after each use.
 */

typedef struct {
    int64_t         size;
    int64_t         last_modified;          /* unix seconds, 0 unknown */
    char            etag[ICETAP_STORE_ETAG_LEN];
    char           *content_type;
    icetap_store_kv_t  *meta;               /* user metadata, names lower */
    size_t          nmeta;
} icetap_store_obj_t;


typedef struct {
    const char               *content_type;
    const icetap_store_kv_t  *meta;
    size_t                    nmeta;

    /* conditional put: ICETAP_CONFLICT when the condition fails */
    const char         *if_match;           /* ETag the object must have */
    unsigned            if_none_match:1;    /* create only if absent */
} icetap_store_put_opts_t;


typedef struct {
    const char         *prefix;
    const char         *delimiter;
    const char         *continuation;       /* resume from a page's token */
    const char         *start_after;
    unsigned            max_keys;           /* per page, 0: store default */
} icetap_store_list_opts_t;


typedef struct {
    const char         *key;
    int64_t             size;
    int64_t             last_modified;
    const char         *etag;
} icetap_store_entry_t;


typedef struct {
    const icetap_store_entry_t  *entries;
    size_t                       nentries;
    const char *const           *prefixes;  /* common prefixes */
    size_t                       nprefixes;
    const char                  *next;      /* continuation, NULL at end */
} icetap_store_page_t;


/*
 * Callbacks.  A sink gets the object body in order; returning anything but
 * ICETAP_OK aborts the transfer with that code.  A source fills buf with up
 * to size bytes and sets *n; *n == 0 means end of data.  It is read once:
 * the S3 store buffers one request body (a part, at most part_size, or a
 * whole object below multipart_threshold) so that it can retry.  A page
 * callback returning ICETAP_EOF stops the listing early with ICETAP_OK.
 */

typedef icetap_rc (*icetap_store_sink_pt)(void *ctx, const void *data,
    size_t len);
typedef icetap_rc (*icetap_store_source_pt)(void *ctx, void *buf,
    size_t size, size_t *n);
typedef icetap_rc (*icetap_store_page_pt)(void *ctx,
    const icetap_store_page_t *page);


typedef struct {
    icetap_store_source_pt   read;
    void                    *ctx;
    int64_t                  size;          /* -1 when unknown */
} icetap_store_source_t;


typedef struct {
    const char  *name;                      /* "fs", "s3" */

    icetap_rc  (*get)(icetap_store_t *s, const char *key, int64_t offset,
                      int64_t length, icetap_store_sink_pt sink, void *ctx,
                      icetap_store_obj_t *obj, icetap_error_t *err);
    icetap_rc  (*put)(icetap_store_t *s, const char *key,
                      icetap_store_source_t *src,
                      const icetap_store_put_opts_t *opts, char *etag,
                      icetap_error_t *err);
    icetap_rc  (*head)(icetap_store_t *s, const char *key,
                       icetap_store_obj_t *obj, icetap_error_t *err);
    icetap_rc  (*list)(icetap_store_t *s,
                       const icetap_store_list_opts_t *opts,
                       icetap_store_page_pt page, void *ctx,
                       icetap_error_t *err);
    icetap_rc  (*del)(icetap_store_t *s, const char *key,
                      icetap_error_t *err);
    icetap_rc  (*del_batch)(icetap_store_t *s, const char *const *keys,
                            size_t n, icetap_error_t *err);
    void       (*destroy)(icetap_store_t *s);
} icetap_store_ops_t;


struct icetap_store_s {
    const icetap_store_ops_t  *ops;
};


/*
 * get: length -1 reads to the end; a range past the end of the object is
 * ICETAP_INVALID.  A missing key is ICETAP_NOTFOUND.  obj may be NULL.
 */
icetap_rc icetap_store_get(icetap_store_t *s, const char *key,
    int64_t offset, int64_t length, icetap_store_sink_pt sink, void *ctx,
    icetap_store_obj_t *obj, icetap_error_t *err);
icetap_rc icetap_store_get_buf(icetap_store_t *s, const char *key,
    icetap_buf_t *out, icetap_error_t *err);

/* put: etag (ICETAP_STORE_ETAG_LEN bytes) may be NULL, opts may be NULL */
icetap_rc icetap_store_put(icetap_store_t *s, const char *key,
    icetap_store_source_t *src, const icetap_store_put_opts_t *opts,
    char *etag, icetap_error_t *err);
icetap_rc icetap_store_put_buf(icetap_store_t *s, const char *key,
    const void *data, size_t len, const icetap_store_put_opts_t *opts,
    char *etag, icetap_error_t *err);

icetap_rc icetap_store_head(icetap_store_t *s, const char *key,
    icetap_store_obj_t *obj, icetap_error_t *err);

/* calls page for every page in key order; opts may be NULL */
icetap_rc icetap_store_list(icetap_store_t *s,
    const icetap_store_list_opts_t *opts, icetap_store_page_pt page,
    void *ctx, icetap_error_t *err);

/* deleting a missing key succeeds, as on S3 */
icetap_rc icetap_store_delete(icetap_store_t *s, const char *key,
    icetap_error_t *err);
icetap_rc icetap_store_delete_batch(icetap_store_t *s,
    const char *const *keys, size_t n, icetap_error_t *err);

void icetap_store_destroy(icetap_store_t *s);

void icetap_store_obj_init(icetap_store_obj_t *obj);
void icetap_store_obj_free(icetap_store_obj_t *obj);
const char *icetap_store_obj_meta(const icetap_store_obj_t *obj,
    const char *name);


/* local filesystem store rooted at an existing directory */

icetap_store_t *icetap_store_fs_create(const char *root,
    icetap_error_t *err);


/* S3 store */

typedef struct {
    const char  *endpoint;          /* "http://127.0.0.1:9000", NULL: AWS */
    const char  *region;            /* NULL: "us-east-1" */
    const char  *bucket;
    const char  *access_key;
    const char  *secret_key;
    const char  *session_token;     /* optional */
    unsigned     path_style:1;      /* else virtual-hosted */
    unsigned     unsigned_payload:1;  /* UNSIGNED-PAYLOAD for bodies */

    size_t       multipart_threshold;   /* 0: 16 MiB */
    size_t       part_size;             /* 0: 8 MiB, at least 5 MiB */
    unsigned     max_retries;           /* 0: 4; attempts = retries + 1 */
    unsigned     retry_base_ms;         /* 0: 100 */
    unsigned     retry_max_ms;          /* 0: 5000 */
    long         connect_timeout_ms;    /* 0: 5000 */
    long         low_speed_timeout_s;   /* 0: 30, below 1 byte/s aborts */
    long         timeout_ms;            /* whole request, 0: none */
} icetap_s3_conf_t;


icetap_store_t *icetap_store_s3_create(const icetap_s3_conf_t *conf,
    icetap_error_t *err);

/* CreateBucket for the handle's bucket; an owned existing one is OK */
icetap_rc icetap_store_s3_create_bucket(icetap_store_t *s,
    icetap_error_t *err);

/*
 * HEAD of one version of an object (version_id NULL or "": the current
 * one), with the object facts S3 Metadata records.  A delete marker is
 * ICETAP_NOTFOUND with h->delete_marker set.
 */

typedef struct {
    icetap_store_obj_t   obj;
    char                 version_id[256];
    char                 storage_class[32];     /* "" when not sent */
    char                 encryption[32];        /* header value, "" none */
    char                 sse_customer[32];      /* SSE-C algorithm */
    char                 kms_key_arn[512];
    char                 checksum_algorithm[16];    /* CRC32, SHA256... */
    int64_t              parts;                 /* x-amz-mp-parts-count */
    unsigned             bucket_key:1;
    unsigned             delete_marker:1;
} icetap_store_s3_head_t;

icetap_rc icetap_store_s3_head_version(icetap_store_t *s, const char *key,
    const char *version_id, icetap_store_s3_head_t *h, icetap_error_t *err);
void icetap_store_s3_head_free(icetap_store_s3_head_t *h);

/* GetObjectTagging of a version: *tags (free with _kv_free) and *n */
icetap_rc icetap_store_s3_tagging(icetap_store_t *s, const char *key,
    const char *version_id, icetap_store_kv_t **tags, size_t *n,
    icetap_error_t *err);
void icetap_store_kv_free(icetap_store_kv_t *kv, size_t n);


/*
 * ListObjectVersions: every version and delete marker in key order, one
 * page at a time (max_keys per page, 0: the store's default).  Entries
 * of a page live during the callback only; ICETAP_EOF from it stops.
 */

typedef struct {
    const char          *key;
    const char          *version_id;
    const char          *etag;                  /* NULL for markers */
    const char          *storage_class;         /* NULL for markers */
    int64_t              size;
    int64_t              last_modified_ms;
    unsigned             delete_marker:1;
    unsigned             latest:1;
} icetap_store_version_t;

typedef icetap_rc (*icetap_store_versions_pt)(void *ctx,
    const icetap_store_version_t *v, size_t n);

icetap_rc icetap_store_s3_list_versions(icetap_store_t *s,
    const char *prefix, unsigned max_keys, icetap_store_versions_pt page,
    void *ctx, icetap_error_t *err);


#endif /* ICETAP_STORE_H */
