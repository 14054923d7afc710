/*
 * Copyright (C) icetap authors
 *
 * SigV4: the AWS Signature Version 4 test-suite vectors (service
 * "service"), the worked examples of the S3 documentation (header,
 * presigned and chunked forms), and verification round trips.
 */


#include <stdlib.h>

#include <icetap/hash.h>
#include <icetap/sigv4.h>

#include "tap.h"


typedef struct {
    const char  *name;
    const char  *method;
    const char  *path;
    const char  *query;
    const char  *hdr[8];        /* name, value pairs after host, date */
    const char  *body;
    const char  *signed_headers;
    const char  *signature;
} vector_t;


#define SUITE_HOST  "example.amazonaws.com"
#define SUITE_DATE  "20150830T123600Z"
#define SUITE_TOKEN                                                          \
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLW" \
    "sKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmG" \
    "deehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvl" \
    "Rd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKm" \
    "lzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
#define UNRESERVED                                                           \
    "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


static const vector_t  suite[] = {
    { "get-vanilla", "GET", "/", NULL, { NULL }, "", "host;x-amz-date",
      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
    { "get-vanilla-query-order-key-case", "GET", "/",
      "Param2=value2&Param1=value1", { NULL }, "", "host;x-amz-date",
      "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500" },
    { "get-vanilla-empty-query-key", "GET", "/", "Param1=value1", { NULL },
      "", "host;x-amz-date",
      "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb" },
    { "get-vanilla-query-unreserved", "GET", "/", UNRESERVED "=" UNRESERVED,
      { NULL }, "", "host;x-amz-date",
      "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197" },
    { "get-vanilla-utf8-query", "GET", "/", "%E1%88%B4=bar", { NULL }, "",
      "host;x-amz-date",
      "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04" },
    { "get-unreserved", "GET", "/" UNRESERVED, NULL, { NULL }, "",
      "host;x-amz-date",
      "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f" },
    { "get-utf8", "GET", "/\xe1\x88\xb4", NULL, { NULL }, "",
      "host;x-amz-date",
      "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85" },
    { "get-header-key-duplicate", "GET", "/", NULL,
      { "My-Header1", "value2", "My-Header1", "value2", "My-Header1",
        "value1" }, "", "host;my-header1;x-amz-date",
      "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea" },
    { "get-header-value-order", "GET", "/", NULL,
      { "My-Header1", "value4", "My-Header1", "value1", "My-Header1",
        "value3", "My-Header1", "value2" }, "",
      "host;my-header1;x-amz-date",
      "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01" },
    { "get-header-value-trim", "GET", "/", NULL,
      { "My-Header1", " value1", "My-Header2", "\"a   b   c\"" }, "",
      "host;my-header1;my-header2;x-amz-date",
      "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736" },
    { "get-relative-relative", "GET", "/example1/example2/../..", NULL,
      { NULL }, "", "host;x-amz-date",
      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
    { "get-slash", "GET", "//", NULL, { NULL }, "", "host;x-amz-date",
      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
    { "get-slash-dot-slash", "GET", "/./", NULL, { NULL }, "",
      "host;x-amz-date",
      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
    { "post-vanilla", "POST", "/", NULL, { NULL }, "", "host;x-amz-date",
      "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b" },
    { "post-header-key-sort", "POST", "/", NULL,
      { "My-Header1", "value1" }, "", "host;my-header1;x-amz-date",
      "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c" },
    { "post-header-value-case", "POST", "/", NULL,
      { "My-Header1", "VALUE1" }, "", "host;my-header1;x-amz-date",
      "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d" },
    { "post-vanilla-query", "POST", "/", "Param1=value1", { NULL }, "",
      "host;x-amz-date",
      "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11" },
    { "post-vanilla-query-nonunreserved", "POST", "/",
      "%40%23%24%25%5E&%2B=%2F%2C%3F%3E%3C%60%22%3B%3A%5C%7C%5D%5B%7B%7D",
      { NULL }, "", "host;x-amz-date",
      "66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e" },
    { "post-sts-header-before", "POST", "/", NULL,
      { "X-Amz-Security-Token", SUITE_TOKEN }, "",
      "host;x-amz-date;x-amz-security-token",
      "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead" },
    { "post-x-www-form-urlencoded", "POST", "/", NULL,
      { "Content-Type", "application/x-www-form-urlencoded" },
      "Param1=value1", "content-type;host;x-amz-date",
      "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a" },
    { "post-x-www-form-urlencoded-parameters", "POST", "/", NULL,
      { "Content-Type", "application/x-www-form-urlencoded; charset=utf8" },
      "Param1=value1", "content-type;host;x-amz-date",
      "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe" },
};


#define S3_HOST    "examplebucket.s3.amazonaws.com"
#define S3_DATE    "20130524T000000Z"
#define S3_KEY     "AKIAIOSFODNN7EXAMPLE"
#define S3_SECRET  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define WELCOME    "Welcome to Amazon S3."


static const vector_t  s3[] = {
    { "S3 GET Object", "GET", "/test.txt", NULL,
      { "Range", "bytes=0-9" }, "",
      "host;range;x-amz-content-sha256;x-amz-date",
      "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41" },
    { "S3 PUT Object", "PUT", "/test%24file.text", NULL,
      { "Date", "Fri, 24 May 2013 00:00:00 GMT",
        "x-amz-storage-class", "REDUCED_REDUNDANCY" }, WELCOME,
      "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
      "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd" },
    { "S3 PUT Object, raw $ in the path", "PUT", "/test$file.text", NULL,
      { "Date", "Fri, 24 May 2013 00:00:00 GMT",
        "x-amz-storage-class", "REDUCED_REDUNDANCY" }, WELCOME,
      "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
      "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd" },
    { "S3 GET Bucket Lifecycle", "GET", "/", "lifecycle", { NULL }, "",
      "host;x-amz-content-sha256;x-amz-date",
      "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543" },
    { "S3 GET Bucket (List Objects)", "GET", "/", "max-keys=2&prefix=J",
      { NULL }, "", "host;x-amz-content-sha256;x-amz-date",
      "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7" },
};


static icetap_sigv4_creds_t  suite_creds = {
    "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL,
    "us-east-1", "service"
};

static icetap_sigv4_creds_t  s3_creds = {
    S3_KEY, S3_SECRET, NULL, "us-east-1", "s3"
};


static icetap_rc
lookup(void *ctx, const char *key, char *secret, size_t size)
{
    if (strcmp(key, S3_KEY) == 0) {
        snprintf(secret, size, "%s", S3_SECRET);
        return ICETAP_OK;
    }

    if (strcmp(key, suite_creds.access_key) == 0) {
        snprintf(secret, size, "%s", suite_creds.secret_key);
        return ICETAP_OK;
    }

    return ICETAP_NOTFOUND;
}


static size_t
build_headers(const vector_t *v, int is_s3, const char *hash,
    icetap_sigv4_header_t *h)
{
    size_t  n, i;

    n = 0;
    h[n].name = "Host";
    h[n++].value = is_s3 ? S3_HOST : SUITE_HOST;
    h[n].name = "X-Amz-Date";
    h[n++].value = is_s3 ? S3_DATE : SUITE_DATE;

    if (is_s3) {
        h[n].name = "x-amz-content-sha256";
        h[n++].value = hash;
    }

    for (i = 0; i < 8 && v->hdr[i] != NULL; i += 2) {
        h[n].name = v->hdr[i];
        h[n++].value = v->hdr[i + 1];
    }

    return n;
}


static void
test_vectors(const vector_t *vs, size_t nv, int is_s3,
    icetap_sigv4_cache_t *cache)
{
    char                    hash[65], want[512];
    size_t                  i;
    icetap_rc               rc;
    icetap_buf_t            auth;
    icetap_error_t          err;
    icetap_sigv4_req_t      r;
    icetap_sigv4_creds_t   *c;
    icetap_sigv4_header_t   h[16], all[17];
    icetap_sigv4_verify_t   v;
    icetap_sigv4_result_t   res;

    c = is_s3 ? &s3_creds : &suite_creds;

    for (i = 0; i < nv; i++) {
        icetap_sha256_hex(vs[i].body, strlen(vs[i].body), hash);

        memset(&r, 0, sizeof(r));
        r.method = vs[i].method;
        r.path = vs[i].path;
        r.query = vs[i].query;
        r.headers = h;
        r.nheaders = build_headers(&vs[i], is_s3, hash, h);
        r.payload_hash = hash;
        r.amz_date = is_s3 ? S3_DATE : SUITE_DATE;
        r.s3 = is_s3;

        memset(&auth, 0, sizeof(auth));
        rc = icetap_sigv4_sign(c, &r, cache, &auth, &err);

        snprintf(want, sizeof(want), "AWS4-HMAC-SHA256 Credential=%s/%.8s/"
                 "%s/%s/aws4_request, SignedHeaders=%s, Signature=%s",
                 c->access_key, r.amz_date, c->region, c->service,
                 vs[i].signed_headers, vs[i].signature);

        ok(rc == ICETAP_OK, "%s: signed", vs[i].name);
        is_str((char *) auth.data, want, "%s: authorization", vs[i].name);

        /* the verifier accepts what was signed, with the body hash */

        memcpy(all, h, r.nheaders * sizeof(icetap_sigv4_header_t));
        all[r.nheaders].name = "Authorization";
        all[r.nheaders].value = (char *) auth.data;

        memset(&v, 0, sizeof(v));
        v.method = r.method;
        v.path = r.path;
        v.query = r.query;
        v.headers = all;
        v.nheaders = r.nheaders + 1;
        v.payload_hash = hash;
        v.now = is_s3 ? 1369353600 + 60 : 1440938160 - 60;
        v.s3 = is_s3;

        rc = icetap_sigv4_verify(&v, lookup, NULL, cache, &res, &err);
        ok(rc == ICETAP_OK && strcmp(res.access_key, c->access_key) == 0,
           "%s: verified (%s)", vs[i].name, err.msg);

        icetap_buf_free(&auth);
    }
}


static void
test_canonical(void)
{
    icetap_buf_t  b;

    memset(&b, 0, sizeof(b));

    icetap_sigv4_canonical_uri(&b, "/example space/", 0);
    is_str((char *) b.data, "/example%20space/", "get-space canonical uri");

    b.len = 0;
    icetap_sigv4_canonical_uri(&b, "//example//", 0);
    is_str((char *) b.data, "/example/", "get-slashes canonical uri");

    b.len = 0;
    icetap_sigv4_canonical_uri(&b, "/./example", 0);
    is_str((char *) b.data, "/example", "get-slash-pointless-dot");

    b.len = 0;
    icetap_sigv4_canonical_uri(&b, "/a%3Ab", 0);
    is_str((char *) b.data, "/a%253Ab", "other services encode twice");

    b.len = 0;
    icetap_sigv4_canonical_uri(&b, "/a%3Ab//c/../d", 1);
    is_str((char *) b.data, "/a%3Ab//c/../d", "S3 encodes once, no "
           "normalisation");

    b.len = 0;
    icetap_sigv4_canonical_uri(&b, "/a b+c%zz", 1);
    is_str((char *) b.data, "/a%20b%2Bc%25zz", "S3 encodes raw bytes");

    b.len = 0;
    icetap_sigv4_canonical_query(&b, "b=2&a=&c&a=1&X-Amz-Signature=x",
                                 "X-Amz-Signature");
    is_str((char *) b.data, "a=&a=1&b=2&c=", "query sorted, skip applied");

    b.len = 0;
    icetap_sigv4_canonical_query(&b, "a-b=1&a=2", NULL);
    is_str((char *) b.data, "a=2&a-b=1", "query sorted by name first");

    icetap_buf_free(&b);
}


static void
test_presign(icetap_sigv4_cache_t *cache)
{
    char                    query[1024];
    icetap_rc               rc;
    icetap_buf_t            out;
    icetap_error_t          err;
    icetap_sigv4_req_t      r;
    icetap_sigv4_header_t   h[1];
    icetap_sigv4_verify_t   v;
    icetap_sigv4_result_t   res;

    h[0].name = "host";
    h[0].value = S3_HOST;

    memset(&r, 0, sizeof(r));
    r.method = "GET";
    r.path = "/test.txt";
    r.headers = h;
    r.nheaders = 1;
    r.amz_date = S3_DATE;
    r.s3 = 1;

    memset(&out, 0, sizeof(out));
    rc = icetap_sigv4_presign(&s3_creds, &r, 86400, cache, &out, &err);
    ok(rc == ICETAP_OK, "presign");
    is_str((char *) out.data,
           "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
           "AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
           "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400"
           "&X-Amz-SignedHeaders=host&X-Amz-Signature="
           "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
           "S3 presigned URL example");

    snprintf(query, sizeof(query), "%s", (char *) out.data);

    memset(&v, 0, sizeof(v));
    v.method = "GET";
    v.path = "/test.txt";
    v.query = query;
    v.headers = h;
    v.nheaders = 1;
    v.now = 1369353600 + 86400;
    v.s3 = 1;

    rc = icetap_sigv4_verify(&v, lookup, NULL, cache, &res, &err);
    ok(rc == ICETAP_OK && res.presigned, "presigned verified at expiry "
       "(%s)", err.msg);
    is_str(res.payload_hash, ICETAP_SIGV4_UNSIGNED, "presigned is unsigned "
           "payload");

    v.now = 1369353600 + 86401;
    rc = icetap_sigv4_verify(&v, lookup, NULL, cache, &res, &err);
    ok(rc == ICETAP_INVALID && strcmp(err.store_code, "AccessDenied") == 0
       && strstr(err.msg, "expired") != NULL, "expired: %s %s",
       err.store_code, err.msg);

    v.now = 1369353600;
    v.path = "/test.txu";
    rc = icetap_sigv4_verify(&v, lookup, NULL, cache, &res, &err);
    is_str(err.store_code, "SignatureDoesNotMatch", "other path refused");

    v.path = "/test.txt";
    query[strlen(query) - 1] ^= 1;
    rc = icetap_sigv4_verify(&v, lookup, NULL, cache, &res, &err);
    is_str(err.store_code, "SignatureDoesNotMatch", "tampered signature");

    snprintf(query, sizeof(query), "X-Amz-Algorithm=AWS4-HMAC-SHA256");
    rc = icetap_sigv4_verify(&v, lookup, NULL, cache, &res, &err);
    ok(rc == ICETAP_INVALID && err.http_status == 400,
       "missing parameters: 400");
    is_str(err.store_code, "AuthorizationQueryParametersError",
           "missing parameters code");

    snprintf(query, sizeof(query), "%s", (char *) out.data);
    memcpy(strstr(query, "Expires=") + 8, "99999", 5);
    rc = icetap_sigv4_verify(&v, lookup, NULL, cache, &res, &err);
    ok(strcmp(err.store_code, "SignatureDoesNotMatch") == 0,
       "changed expiry is part of the signature");

    snprintf(query, sizeof(query), "X-Amz-Algorithm=AWS4-HMAC-SHA256&"
             "X-Amz-Credential=a%%2F20130524%%2Fus-east-1%%2Fs3%%2F"
             "aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=700000"
             "&X-Amz-SignedHeaders=host&X-Amz-Signature=00");
    rc = icetap_sigv4_verify(&v, lookup, NULL, cache, &res, &err);
    is_str(err.store_code, "AuthorizationQueryParametersError",
           "expiry beyond seven days: %s", err.msg);

    icetap_buf_free(&out);
}


static void
test_verify_errors(icetap_sigv4_cache_t *cache)
{
    char                    auth[512];
    icetap_rc               rc;
    icetap_error_t          err;
    icetap_sigv4_header_t   h[4];
    icetap_sigv4_verify_t   v;
    icetap_sigv4_result_t   res;

    h[0].name = "Host";
    h[0].value = SUITE_HOST;
    h[1].name = "X-Amz-Date";
    h[1].value = SUITE_DATE;
    h[2].name = "Authorization";
    h[2].value = auth;

    memset(&v, 0, sizeof(v));
    v.method = "GET";
    v.path = "/";
    v.headers = h;
    v.nheaders = 3;
    v.now = 1440938160;

    snprintf(auth, sizeof(auth), "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"
             "20150830/us-east-1/service/aws4_request, SignedHeaders=host;"
             "x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a"
             "2260956d9b8aae1d763fbf31");

    rc = icetap_sigv4_verify(&v, lookup, NULL, cache, &res, &err);
    ok(rc == ICETAP_OK, "get-vanilla verifies: %s", err.msg);
    is_str(res.service, "service", "service reported");
    is_str(res.region, "us-east-1", "region reported");

    v.service = "s3tables";
    rc = icetap_sigv4_verify(&v, lookup, NULL, cache, &res, &err);
    is_str(err.store_code, "AuthorizationHeaderMalformed",
           "wrong service: %s", err.msg);
    v.service = NULL;

    v.now = 1440938160 + 901;
    rc = icetap_sigv4_verify(&v, lookup, NULL, cache, &res, &err);
    is_str(err.store_code, "RequestTimeTooSkewed", "16 minutes late");
    v.now = 1440938160 - 901;
    rc = icetap_sigv4_verify(&v, lookup, NULL, cache, &res, &err);
    is_str(err.store_code, "RequestTimeTooSkewed", "16 minutes early");
    v.now = 1440938160 + 899;
    rc = icetap_sigv4_verify(&v, lookup, NULL, cache, &res, &err);
    is_int(rc, ICETAP_OK, "14 minutes late is fine");

    v.method = "POST";
    rc = icetap_sigv4_verify(&v, lookup, NULL, cache, &res, &err);
    ok(rc == ICETAP_INVALID && err.http_status == 403, "other method: 403");
    is_str(err.store_code, "SignatureDoesNotMatch", "other method code");
    v.method = "GET";

    v.payload_hash = ICETAP_SIGV4_UNSIGNED;
    rc = icetap_sigv4_verify(&v, lookup, NULL, cache, &res, &err);
    is_str(err.store_code, "SignatureDoesNotMatch", "other body hash");
    v.payload_hash = NULL;

    auth[29] = 'X';
    rc = icetap_sigv4_verify(&v, lookup, NULL, cache, &res, &err);
    is_str(err.store_code, "InvalidAccessKeyId", "unknown key: %s", err.msg);
    auth[29] = 'A';

    h[1].value = "20150831T123600Z";
    rc = icetap_sigv4_verify(&v, lookup, NULL, cache, &res, &err);
    is_str(err.store_code, "AuthorizationHeaderMalformed",
           "scope date differs from x-amz-date");
    h[1].value = "2015-08-30";
    rc = icetap_sigv4_verify(&v, lookup, NULL, cache, &res, &err);
    is_str(err.store_code, "AccessDenied", "bad x-amz-date");
    h[1].value = SUITE_DATE;

    v.nheaders = 1;
    h[1] = h[2];
    v.nheaders = 2;
    rc = icetap_sigv4_verify(&v, lookup, NULL, cache, &res, &err);
    is_str(err.store_code, "AccessDenied", "no x-amz-date: %s", err.msg);
    h[1].name = "X-Amz-Date";
    h[1].value = SUITE_DATE;
    v.nheaders = 3;

    snprintf(auth, sizeof(auth), "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"
             "20150830/us-east-1/service/aws4_request, SignedHeaders="
             "x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a"
             "2260956d9b8aae1d763fbf31");
    rc = icetap_sigv4_verify(&v, lookup, NULL, cache, &res, &err);
    is_str(err.store_code, "AuthorizationHeaderMalformed", "host unsigned");

    snprintf(auth, sizeof(auth), "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"
             "20150830/us-east-1/service/aws4_request, SignedHeaders="
             "x-amz-date;host, Signature=5fa00fa31553b73ebf1942676e86291e837"
             "2ff2a2260956d9b8aae1d763fbf31");
    rc = icetap_sigv4_verify(&v, lookup, NULL, cache, &res, &err);
    is_str(err.store_code, "SignatureDoesNotMatch", "unsorted list");

    snprintf(auth, sizeof(auth), "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"
             "20150830/us-east-1/service/aws4_request, SignedHeaders=host;"
             "my-header;x-amz-date, Signature=5fa00fa31553b73ebf1942676e8629"
             "1e8372ff2a2260956d9b8aae1d763fbf31");
    rc = icetap_sigv4_verify(&v, lookup, NULL, cache, &res, &err);
    is_str(err.store_code, "SignatureDoesNotMatch", "signed header absent");

    snprintf(auth, sizeof(auth), "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"
             "20150830/us-east-1/service, SignedHeaders=host;x-amz-date, "
             "Signature=5fa0");
    rc = icetap_sigv4_verify(&v, lookup, NULL, cache, &res, &err);
    is_str(err.store_code, "AuthorizationHeaderMalformed", "short "
           "credential: %s", err.msg);

    snprintf(auth, sizeof(auth), "AWS AKIDEXAMPLE:c2lnbmF0dXJl");
    rc = icetap_sigv4_verify(&v, lookup, NULL, cache, &res, &err);
    ok(rc == ICETAP_INVALID && err.http_status == 400, "SigV2 refused: %s",
       err.msg);

    snprintf(auth, sizeof(auth), "AWS4-HMAC-SHA256 Garbage");
    rc = icetap_sigv4_verify(&v, lookup, NULL, cache, &res, &err);
    is_str(err.store_code, "AuthorizationHeaderMalformed", "garbage");

    v.nheaders = 2;
    rc = icetap_sigv4_verify(&v, lookup, NULL, cache, &res, &err);
    ok(rc == ICETAP_INVALID && strcmp(err.store_code, "AccessDenied") == 0
       && err.http_status == 403, "anonymous: AccessDenied");
}


static void
test_chunked(icetap_sigv4_cache_t *cache)
{
    char                    seed[65], sig[65], prev[65];
    char                   *data;
    icetap_rc               rc;
    icetap_error_t          err;
    icetap_sigv4_req_t      r;
    icetap_sigv4_header_t   h[7];

    /* "Transferring Payload in Multiple Chunks" in the S3 documentation */

    h[0].name = "Host";
    h[0].value = "s3.amazonaws.com";
    h[1].name = "x-amz-date";
    h[1].value = S3_DATE;
    h[2].name = "x-amz-storage-class";
    h[2].value = "REDUCED_REDUNDANCY";
    h[3].name = "x-amz-content-sha256";
    h[3].value = ICETAP_SIGV4_STREAMING;
    h[4].name = "Content-Encoding";
    h[4].value = "aws-chunked";
    h[5].name = "x-amz-decoded-content-length";
    h[5].value = "66560";
    h[6].name = "Content-Length";
    h[6].value = "66824";

    memset(&r, 0, sizeof(r));
    r.method = "PUT";
    r.path = "/examplebucket/chunkObject.txt";
    r.headers = h;
    r.nheaders = 7;
    r.payload_hash = ICETAP_SIGV4_STREAMING;
    r.amz_date = S3_DATE;
    r.s3 = 1;

    rc = icetap_sigv4_signature(&s3_creds, &r, cache, seed, NULL, &err);
    ok(rc == ICETAP_OK, "seed signature");
    is_str(seed,
           "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
           "streaming seed signature");

    data = malloc(65536);
    memset(data, 'a', 65536);

    icetap_sigv4_chunk_signature(&s3_creds, S3_DATE, seed, data, 65536,
                                 cache, sig, &err);
    is_str(sig,
           "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
           "chunk 1 signature");
    memcpy(prev, sig, 65);

    icetap_sigv4_chunk_signature(&s3_creds, S3_DATE, prev, data, 1024,
                                 cache, sig, &err);
    is_str(sig,
           "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
           "chunk 2 signature");
    memcpy(prev, sig, 65);

    icetap_sigv4_chunk_signature(&s3_creds, S3_DATE, prev, data, 0, cache,
                                 sig, &err);
    is_str(sig,
           "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
           "final chunk signature");

    free(data);
}


static void
test_cache(void)
{
    uint8_t                k1[32], k2[32], k3[32];
    icetap_sigv4_cache_t   cache;

    memset(&cache, 0, sizeof(cache));

    icetap_sigv4_signing_key(NULL, "secret", "20150830", "us-east-1", "s3",
                             k1);
    icetap_sigv4_signing_key(&cache, "secret", "20150830", "us-east-1",
                             "s3", k2);
    icetap_sigv4_signing_key(&cache, "secret", "20150830", "us-east-1",
                             "s3", k3);
    ok(memcmp(k1, k2, 32) == 0 && memcmp(k2, k3, 32) == 0,
       "cached key equals the derived one");

    icetap_sigv4_signing_key(&cache, "secret2", "20150830", "us-east-1",
                             "s3", k2);
    ok(memcmp(k1, k2, 32) != 0, "another secret, another key");

    icetap_sigv4_signing_key(&cache, "secret", "20150831", "us-east-1",
                             "s3", k2);
    ok(memcmp(k1, k2, 32) != 0, "another day, another key");
}


int
main(void)
{
    icetap_sigv4_cache_t  cache;

    memset(&cache, 0, sizeof(cache));

    test_vectors(suite, icetap_nelems(suite), 0, &cache);
    test_vectors(s3, icetap_nelems(s3), 1, &cache);
    test_vectors(s3, icetap_nelems(s3), 1, NULL);
    test_canonical();
    test_presign(&cache);
    test_verify_errors(&cache);
    test_chunked(&cache);
    test_cache();

    return done_testing();
}
