/*
 * Copyright (C) icetap authors
 *
 * The shared store suite against S3 (moto in t/132-store-s3.t), plus
 * error mapping, addressing, retries and timeouts.  Skipped unless
 * ICETAP_S3_ENDPOINT is set; the retry and timeout checks also need
 * ICETAP_S3_FLAKY_ENDPOINT, a server that answers /<bucket>/flaky-N with
 * 503 SlowDown N times before a 200, /<bucket>/slow after a long sleep,
 * and /<bucket>/broken with a body cut short.  ICETAP_S3_SERIAL_ENDPOINT,
 * a moto serving one request at a time, makes conditional writes atomic
 * there, so two racers must end with exactly one winner.
 */


#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "store_suite.h"


static const char  *endpoint;
static const char  *serial;
static char         bucket[64];


static icetap_store_t *
open_s3_with(const char *ep, const char *b, int path_style)
{
    icetap_error_t    err;
    icetap_s3_conf_t  conf;
    icetap_store_t   *s;

    memset(&conf, 0, sizeof(conf));
    conf.endpoint = ep;
    conf.bucket = b;
    conf.region = "us-east-1";
    conf.access_key = "AKIDICETAPTEST";
    conf.secret_key = "icetap-test-secret";
    conf.path_style = path_style;
    conf.part_size = 5 * 1024 * 1024;
    conf.multipart_threshold = 5 * 1024 * 1024;
    conf.retry_base_ms = 20;
    conf.retry_max_ms = 200;

    s = icetap_store_s3_create(&conf, &err);
    if (s == NULL) {
        diag("s3 store: %s", err.msg);
    }

    return s;
}


static icetap_store_t *
open_s3(void)
{
    return open_s3_with(endpoint, bucket, 1);
}


static icetap_store_t *
open_serial(void)
{
    return open_s3_with(serial, bucket, 1);
}


static void
test_serial_races(void)
{
    icetap_rc           rc;
    icetap_error_t      err;
    icetap_store_t     *s;
    icetap_store_obj_t  obj;

    s = open_serial();
    rc = icetap_store_s3_create_bucket(s, &err);
    is_int(rc, ICETAP_OK, "bucket on the serial server: %s", err.msg);
    icetap_store_destroy(s);

    suite_race(open_serial, "race/serial", NULL, "serial If-None-Match race",
               1);

    s = open_serial();
    rc = icetap_store_head(s, "race/serial", &obj, &err);
    is_int(rc, ICETAP_OK, "serial race winner exists");

    suite_race(open_serial, "race/serial", obj.etag, "serial If-Match race",
               1);

    icetap_store_obj_free(&obj);
    icetap_store_destroy(s);
}


static icetap_rc
fill_q(void *ctx, void *buf, size_t size, size_t *n)
{
    size_t  *left = ctx;

    *n = icetap_min(size, *left);
    memset(buf, 'q', *n);
    *left -= *n;

    return ICETAP_OK;
}


static void
test_conditional_multipart(void)
{
    size_t                   left;
    icetap_rc                rc;
    icetap_error_t           err;
    icetap_store_t          *s;
    icetap_store_obj_t       obj;
    icetap_store_source_t    src;
    icetap_store_put_opts_t  opts;

    s = open_s3();

    memset(&opts, 0, sizeof(opts));
    opts.if_none_match = 1;
    left = 11 * 1024 * 1024;
    src.read = fill_q;
    src.ctx = &left;
    src.size = -1;

    rc = icetap_store_put(s, "dir/a.json", &src, &opts, NULL, &err);
    ok(rc == ICETAP_CONFLICT && err.http_status == 412,
       "multipart If-None-Match on an existing key: %s", err.msg);

    rc = icetap_store_head(s, "dir/a.json", &obj, &err);
    ok(rc == ICETAP_OK && obj.size == 7, "existing object untouched");
    icetap_store_obj_free(&obj);

    left = 11 * 1024 * 1024;
    rc = icetap_store_put(s, "mp/new", &src, &opts, NULL, &err);
    is_int(rc, ICETAP_OK, "multipart If-None-Match on a new key: %s",
           err.msg);

    icetap_store_destroy(s);
}


static void
test_errors(void)
{
    icetap_rc           rc;
    icetap_buf_t        buf;
    icetap_error_t      err;
    icetap_store_t     *s;
    icetap_s3_conf_t    conf;
    icetap_store_obj_t  obj;

    memset(&buf, 0, sizeof(buf));
    s = open_s3();

    rc = icetap_store_get_buf(s, "no/such/key", &buf, &err);
    is_int(rc, ICETAP_NOTFOUND, "missing key: %s", err.msg);
    is_str(err.store_code, "NoSuchKey", "store code NoSuchKey");
    is_int(err.http_status, 404, "http status 404");
    ok(err.request_id[0] != '\0', "request id kept (%s)", err.request_id);

    rc = icetap_store_head(s, "no/such/key", &obj, &err);
    ok(rc == ICETAP_NOTFOUND && err.http_status == 404, "head of a missing "
       "key: %s", err.msg);

    icetap_store_destroy(s);

    s = open_s3_with(endpoint, "icetap-no-such-bucket", 1);
    rc = icetap_store_get_buf(s, "k", &buf, &err);
    is_int(rc, ICETAP_NOTFOUND, "missing bucket: %s", err.msg);
    is_str(err.store_code, "NoSuchBucket", "store code NoSuchBucket");
    rc = icetap_store_put_buf(s, "k", "x", 1, NULL, NULL, &err);
    ok(rc == ICETAP_NOTFOUND && strcmp(err.store_code, "NoSuchBucket") == 0,
       "put into a missing bucket: %s", err.msg);
    icetap_store_destroy(s);

    /* configuration errors */

    memset(&conf, 0, sizeof(conf));
    conf.bucket = "b";
    conf.endpoint = "ftp://x";
    conf.access_key = "a";
    conf.secret_key = "s";
    s = icetap_store_s3_create(&conf, &err);
    ok(s == NULL && err.code == ICETAP_INVALID, "bad endpoint: %s",
       err.msg);

    conf.endpoint = "http://127.0.0.1:1";
    conf.part_size = 1024;
    s = icetap_store_s3_create(&conf, &err);
    ok(s == NULL && err.code == ICETAP_INVALID, "tiny part size: %s",
       err.msg);

    /* connection refused: retried, then an I/O error */

    conf.part_size = 0;
    conf.path_style = 1;
    conf.max_retries = 2;
    conf.retry_base_ms = 10;
    s = icetap_store_s3_create(&conf, &err);
    rc = icetap_store_get_buf(s, "k", &buf, &err);
    ok(rc == ICETAP_IO && strstr(err.msg, "attempt 3 of 3") != NULL,
       "connection refused after 3 attempts: %s", err.msg);
    icetap_store_destroy(s);

    icetap_buf_free(&buf);
}


static void
test_virtual_hosted(void)
{
    char             ep[256];
    const char      *port;
    icetap_rc        rc;
    icetap_buf_t     buf;
    icetap_error_t   err;
    icetap_store_t  *s;

    /* bucket.localhost resolves to the loopback address */

    port = strrchr(endpoint, ':');
    snprintf(ep, sizeof(ep), "http://localhost%s", port);

    memset(&buf, 0, sizeof(buf));
    s = open_s3_with(ep, bucket, 0);

    rc = icetap_store_put_buf(s, "vhost/a b+c.txt", "virtual", 7, NULL, NULL,
                              &err);
    is_int(rc, ICETAP_OK, "virtual-hosted put: %s", err.msg);
    icetap_store_destroy(s);

    s = open_s3();
    rc = icetap_store_get_buf(s, "vhost/a b+c.txt", &buf, &err);
    ok(rc == ICETAP_OK && buf.len == 7 && memcmp(buf.data, "virtual", 7) == 0,
       "path-style get sees the virtual-hosted put: %s", err.msg);
    icetap_store_destroy(s);

    icetap_buf_free(&buf);
}


static void
test_flaky(const char *flaky)
{
    time_t            t0;
    icetap_rc         rc;
    icetap_buf_t      buf;
    icetap_error_t    err;
    icetap_store_t   *s;
    icetap_s3_conf_t  conf;

    memset(&buf, 0, sizeof(buf));
    memset(&conf, 0, sizeof(conf));
    conf.endpoint = flaky;
    conf.bucket = "flaky";
    conf.access_key = "a";
    conf.secret_key = "s";
    conf.path_style = 1;
    conf.max_retries = 3;
    conf.retry_base_ms = 20;
    conf.retry_max_ms = 100;
    conf.low_speed_timeout_s = 1;

    s = icetap_store_s3_create(&conf, &err);

    rc = icetap_store_get_buf(s, "flaky-2", &buf, &err);
    ok(rc == ICETAP_OK && buf.len == 9 && memcmp(buf.data, "attempt 3", 9)
       == 0, "two 503 SlowDown, then 200 on the third attempt: %s",
       err.msg);

    rc = icetap_store_get_buf(s, "flaky-9", &buf, &err);
    is_int(rc, ICETAP_AGAIN, "always SlowDown: retryable error");
    is_str(err.store_code, "SlowDown", "SlowDown store code");
    is_int(err.http_status, 503, "status 503");

    rc = icetap_store_get_buf(s, "broken", &buf, &err);
    ok(rc == ICETAP_OK && buf.len == 20
       && memcmp(buf.data, "0123456789abcdefghij", 20) == 0,
       "body cut short: resumed with a Range, same bytes: %s", err.msg);

    icetap_store_destroy(s);

    conf.max_retries = 1;
    s = icetap_store_s3_create(&conf, &err);

    t0 = time(NULL);
    rc = icetap_store_get_buf(s, "slow", &buf, &err);
    ok(rc == ICETAP_IO && time(NULL) - t0 < 8, "stalled server times out "
       "(%s)", err.msg);

    icetap_store_destroy(s);
    icetap_buf_free(&buf);
}


int
main(void)
{
    icetap_rc        rc;
    const char      *flaky;
    icetap_error_t   err;
    icetap_store_t  *s;

    endpoint = getenv("ICETAP_S3_ENDPOINT");
    flaky = getenv("ICETAP_S3_FLAKY_ENDPOINT");
    serial = getenv("ICETAP_S3_SERIAL_ENDPOINT");

    if (endpoint == NULL || endpoint[0] == '\0') {
        printf("1..0 # SKIP ICETAP_S3_ENDPOINT not set\n");
        return 0;
    }

    snprintf(bucket, sizeof(bucket), "icetap-test-%ld-%ld", (long) getpid(),
             (long) time(NULL));

    s = open_s3();
    rc = icetap_store_s3_create_bucket(s, &err);
    is_int(rc, ICETAP_OK, "create bucket %s: %s", bucket, err.msg);
    rc = icetap_store_s3_create_bucket(s, &err);
    is_int(rc, ICETAP_OK, "creating it again is fine: %s", err.msg);
    icetap_store_destroy(s);

    /* moto's threaded server checks conditions, then writes: not atomic */

    suite_run(open_s3, 12 * 1024 * 1024 + 12345, 0);

    /* 12 MiB in 5 MiB parts: the ETag of a three-part upload */

    {
        icetap_store_obj_t  obj;

        s = open_s3();
        rc = icetap_store_head(s, "big/stream", &obj, &err);
        ok(rc == ICETAP_OK && strstr(obj.etag, "-3\"") != NULL,
           "streamed object went up in three parts (ETag %s)", obj.etag);
        icetap_store_obj_free(&obj);
        icetap_store_destroy(s);
    }

    if (serial != NULL && serial[0] != '\0') {
        test_serial_races();
    }

    test_conditional_multipart();
    test_errors();
    test_virtual_hosted();

    if (flaky != NULL && flaky[0] != '\0') {
        test_flaky(flaky);
    }

    return done_testing();
}
