/*
 * Copyright (C) icetap authors
 *
 * The control-plane APIs icetap answers itself (the S3 Tables API and
 * the Iceberg REST catalog) as plain functions of a request: the nginx
 * glue reads the body, verifies the signature, and runs the handler on
 * a thread pool thread with that thread's store handle; the handler
 * routes, authorizes, does its store I/O and fills the response.  The
 * handlers never see nginx, so unit tests and the CLI can call them.
 *
 * Authorization: once a handler knows the action ("s3tables:GetTable")
 * and the resource ARN it acts on, it calls req->authorize with them
 * and the resource policies that apply (the table bucket's and the
 * table's, JSON as stored by PutTableBucketPolicy/PutTablePolicy, NULL
 * when none).  ICETAP_OK allows; anything else denies, and the handler
 * answers with its protocol's access-denied error and does nothing.
 */

#ifndef ICETAP_API_H
#define ICETAP_API_H


#include <icetap/core.h>
#include <icetap/store.h>


typedef icetap_rc (*icetap_api_authorize_pt)(void *ctx, const char *action,
    const char *resource_arn, const char *bucket_policy,
    const char *table_policy, icetap_error_t *err);


typedef struct {
    const char               *method;        /* "GET", "PUT", ... */
    const char               *path;          /* decoded, no query */
    const char               *query;         /* raw, no "?"; NULL: none */
    const uint8_t            *body;
    size_t                    body_len;

    const char               *principal;     /* access key; NULL: anon */
    const char               *account_id;    /* for ARNs */
    const char               *region;        /* for ARNs */

    icetap_store_t           *store;         /* the state bucket */
    const char               *state_bucket;
    const char               *endpoint;      /* the gateway's S3 endpoint
                                                for clients, e.g.
                                                "http://host:8080" */

    icetap_api_authorize_pt   authorize;     /* NULL: allow everything */
    void                     *authorize_ctx;

    int64_t                   now_ms;
} icetap_api_request_t;


#define ICETAP_API_MAX_HEADERS  4

typedef struct {
    int                       status;        /* HTTP status */
    const char               *content_type;  /* static string */
    icetap_buf_t              body;
    size_t                    nheaders;
    struct {
        char                  name[64];
        char                  value[256];
    }                         headers[ICETAP_API_MAX_HEADERS];

    /* for the decision log line: what was asked, of what */
    char                      action[64];
    char                      resource[512];
} icetap_api_response_t;


void icetap_api_response_init(icetap_api_response_t *res);
void icetap_api_response_free(icetap_api_response_t *res);
icetap_rc icetap_api_response_header(icetap_api_response_t *res,
    const char *name, const char *value);


/*
 * The S3 Tables control-plane API (paths and JSON as AWS) and the
 * Iceberg REST catalog (path relative to the mount point, starting
 * "/v1/").  Both always produce a response in their own error shape;
 * ICETAP_ERROR only when even that failed (out of memory).
 */
icetap_rc icetap_s3tables_handle(const icetap_api_request_t *req,
    icetap_api_response_t *res);
icetap_rc icetap_iceberg_rest_handle(const icetap_api_request_t *req,
    icetap_api_response_t *res);


#endif /* ICETAP_API_H */
