/*
 * Copyright (C) icetap authors
 *
 * AWS Signature Version 4: signing (Authorization header and presigned
 * query forms) for the S3 client, and verification for the APIs icetap
 * answers itself.
 *
 * Paths and queries are given raw, as on the wire.  With s3 set the
 * canonical URI is the path encoded once (a %XX escape is decoded and
 * re-encoded, never doubled) and not normalised; otherwise dot segments
 * and duplicate slashes are removed and the path is encoded again, as the
 * other AWS services and their SDKs do.
 */

#ifndef ICETAP_SIGV4_H
#define ICETAP_SIGV4_H


#include <time.h>

#include <icetap/core.h>


#define ICETAP_SIGV4_ALGORITHM   "AWS4-HMAC-SHA256"
#define ICETAP_SIGV4_UNSIGNED    "UNSIGNED-PAYLOAD"
#define ICETAP_SIGV4_STREAMING   "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
#define ICETAP_SIGV4_STREAMING_TRAILER                                       \
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
#define ICETAP_SIGV4_STREAMING_UNSIGNED_TRAILER                              \
    "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
#define ICETAP_SIGV4_EMPTY_SHA256                                            \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

#define ICETAP_SIGV4_MAX_SKEW     900       /* seconds */
#define ICETAP_SIGV4_MAX_EXPIRES  604800    /* seven days */
#define ICETAP_SIGV4_CACHE_SIZE   4


typedef struct {
    const char  *name;
    const char  *value;
} icetap_sigv4_header_t;


typedef struct {
    const char  *access_key;
    const char  *secret_key;
    const char  *session_token;     /* optional */
    const char  *region;
    const char  *service;           /* "s3", "s3tables", ... */
} icetap_sigv4_creds_t;


typedef struct {
    const char                   *method;
    const char                   *path;       /* raw, "/" when empty */
    const char                   *query;      /* raw, no "?", may be NULL */
    const icetap_sigv4_header_t  *headers;    /* all are signed */
    size_t                        nheaders;
    const char                   *payload_hash;  /* hex or a constant */
    const char                   *amz_date;   /* "20150830T123600Z" */
    unsigned                      s3:1;
} icetap_sigv4_req_t;


/* derived signing keys, one cache per thread (zero it to initialise) */

typedef struct {
    uint8_t     secret_fp[32];
    char        scope[96];          /* date/region/service */
    uint8_t     key[32];
    unsigned    used;
} icetap_sigv4_cache_entry_t;

typedef struct {
    icetap_sigv4_cache_entry_t  e[ICETAP_SIGV4_CACHE_SIZE];
    unsigned                    clock;
} icetap_sigv4_cache_t;


void icetap_sigv4_amz_date(time_t t, char out[17]);

/* AWS UriEncode: unreserved kept, "/" kept when keep_slash, %XX upper */
icetap_rc icetap_sigv4_uri_encode(icetap_buf_t *b, const char *s,
    size_t len, int keep_slash);

icetap_rc icetap_sigv4_canonical_uri(icetap_buf_t *b, const char *path,
    int s3);
icetap_rc icetap_sigv4_canonical_query(icetap_buf_t *b, const char *query,
    const char *skip);
icetap_rc icetap_sigv4_canonical_request(const icetap_sigv4_req_t *r,
    icetap_buf_t *out, icetap_buf_t *signed_headers, icetap_error_t *err);

/* cache may be NULL; out is 32 bytes */
icetap_rc icetap_sigv4_signing_key(icetap_sigv4_cache_t *cache,
    const char *secret, const char *date, const char *region,
    const char *service, uint8_t *out);

/* hex signature (65 bytes with NUL) of a request */
icetap_rc icetap_sigv4_signature(const icetap_sigv4_creds_t *c,
    const icetap_sigv4_req_t *r, icetap_sigv4_cache_t *cache,
    char *signature, icetap_buf_t *signed_headers, icetap_error_t *err);

/*
 * The Authorization header value.  The request's headers must already
 * hold host and x-amz-date (and x-amz-content-sha256 for S3,
 * x-amz-security-token with a session token).
 */
icetap_rc icetap_sigv4_sign(const icetap_sigv4_creds_t *c,
    const icetap_sigv4_req_t *r, icetap_sigv4_cache_t *cache,
    icetap_buf_t *authorization, icetap_error_t *err);

/*
 * Presigned form: out receives the whole query string to send, r->query
 * followed by the X-Amz-* parameters and X-Amz-Signature.  r->headers are
 * the signed headers (normally just host); r->payload_hash NULL means
 * UNSIGNED-PAYLOAD.
 */
icetap_rc icetap_sigv4_presign(const icetap_sigv4_creds_t *c,
    const icetap_sigv4_req_t *r, unsigned expires,
    icetap_sigv4_cache_t *cache, icetap_buf_t *out, icetap_error_t *err);

/* signature of one aws-chunked chunk (STREAMING-AWS4-HMAC-SHA256-...) */
icetap_rc icetap_sigv4_chunk_signature(const icetap_sigv4_creds_t *c,
    const char *amz_date, const char *prev_signature, const void *data,
    size_t len, icetap_sigv4_cache_t *cache, char *signature,
    icetap_error_t *err);


/* verification */

/*
 * Looks up the secret of an access key id: copies it into secret (size
 * bytes, NUL-terminated) and returns ICETAP_OK, or ICETAP_NOTFOUND.
 */
typedef icetap_rc (*icetap_sigv4_lookup_pt)(void *ctx,
    const char *access_key, char *secret, size_t size);


typedef struct {
    const char                   *method;
    const char                   *path;       /* raw */
    const char                   *query;      /* raw, may be NULL */
    const icetap_sigv4_header_t  *headers;    /* every request header */
    size_t                        nheaders;

    /*
     * Hash of the body when the request carries no x-amz-content-sha256
     * header (non-S3 services sign the body's SHA-256 without sending it);
     * NULL then means the body is empty.
     */
    const char                   *payload_hash;

    time_t                        now;
    unsigned                      s3:1;
    const char                   *service;    /* expected, NULL: any */
    const char                   *region;     /* expected, NULL: any */
} icetap_sigv4_verify_t;


typedef struct {
    char        access_key[128];
    char        region[32];
    char        service[32];
    char        payload_hash[96];   /* as signed: check the body with it */
    char        session_token_present;
    char        presigned;
} icetap_sigv4_result_t;


/*
 * ICETAP_OK when the request is signed by a known key.  Otherwise
 * ICETAP_INVALID (or ICETAP_NOMEM) with err->store_code set to the S3
 * error code (AccessDenied, SignatureDoesNotMatch, InvalidAccessKeyId,
 * AuthorizationHeaderMalformed, AuthorizationQueryParametersError,
 * RequestTimeTooSkewed), err->http_status to 400 or 403, and err->msg
 * saying what was wrong.  An expired presigned URL is AccessDenied with
 * "Request has expired".
 */
icetap_rc icetap_sigv4_verify(const icetap_sigv4_verify_t *v,
    icetap_sigv4_lookup_pt lookup, void *ctx, icetap_sigv4_cache_t *cache,
    icetap_sigv4_result_t *res, icetap_error_t *err);


#endif /* ICETAP_SIGV4_H */
