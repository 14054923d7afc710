/*
 * Copyright (C) icetap authors
 *
 * Verifies requests signed by botocore (t/130-sigv4-botocore.t writes
 * them to the file named by ICETAP_SIGV4_CASES) and checks each verdict:
 * "ok", or the S3 error code a tampered request must get.  Skipped when
 * the variable is not set.  Case file, one tab-separated record a line:
 *
 *   key     ACCESS_KEY  SECRET
 *   case    NAME  EXPECT  S3  NOW
 *   method  GET
 *   path    /raw/path
 *   query   raw&query
 *   header  Name  Value
 *   payload HASH            (body hash when no x-amz-content-sha256)
 *   end
 */


#include <stdlib.h>

#include <icetap/sigv4.h>

#include "tap.h"


#define MAX_KEYS     8
#define MAX_HEADERS  32


typedef struct {
    char    *id[MAX_KEYS];
    char    *secret[MAX_KEYS];
    int      n;
} keys_t;


static icetap_rc
lookup(void *ctx, const char *access_key, char *secret, size_t size)
{
    int      i;
    keys_t  *k = ctx;

    for (i = 0; i < k->n; i++) {
        if (strcmp(k->id[i], access_key) == 0) {
            snprintf(secret, size, "%s", k->secret[i]);
            return ICETAP_OK;
        }
    }

    return ICETAP_NOTFOUND;
}


static char *
field(char **p)
{
    char  *s, *t;

    s = *p;
    if (s == NULL) {
        return "";
    }

    t = strchr(s, '\t');

    if (t != NULL) {
        *t = '\0';
        *p = t + 1;

    } else {
        *p = NULL;
    }

    return s;
}


int
main(void)
{
    int                     s3;
    char                   *line, *p, *name, *expect, *kind;
    char                   *method, *path, *query, *payload;
    char                   *hname[MAX_HEADERS], *hvalue[MAX_HEADERS];
    FILE                   *f;
    size_t                  cap, nh, i;
    long long               now;
    ssize_t                 len;
    keys_t                  keys;
    icetap_rc               rc;
    const char             *file;
    icetap_error_t          err;
    icetap_sigv4_cache_t    cache;
    icetap_sigv4_header_t   h[MAX_HEADERS];
    icetap_sigv4_verify_t   v;
    icetap_sigv4_result_t   res;

    file = getenv("ICETAP_SIGV4_CASES");

    if (file == NULL || file[0] == '\0') {
        printf("1..0 # SKIP ICETAP_SIGV4_CASES not set\n");
        return 0;
    }

    f = fopen(file, "r");
    if (f == NULL) {
        perror(file);
        return 2;
    }

    memset(&keys, 0, sizeof(keys));
    memset(&cache, 0, sizeof(cache));
    line = NULL;
    cap = 0;
    nh = 0;
    s3 = 0;
    now = 0;
    name = expect = method = path = query = payload = NULL;

    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] == '\n') {
            line[--len] = '\0';
        }

        p = line;
        kind = field(&p);

        if (strcmp(kind, "key") == 0 && keys.n < MAX_KEYS) {
            keys.id[keys.n] = strdup(field(&p));
            keys.secret[keys.n] = strdup(field(&p));
            keys.n++;

        } else if (strcmp(kind, "case") == 0) {
            name = strdup(field(&p));
            expect = strdup(field(&p));
            s3 = atoi(field(&p));
            now = atoll(field(&p));
            method = path = query = payload = NULL;
            nh = 0;

        } else if (strcmp(kind, "method") == 0) {
            method = strdup(field(&p));

        } else if (strcmp(kind, "path") == 0) {
            path = strdup(field(&p));

        } else if (strcmp(kind, "query") == 0) {
            query = strdup(field(&p));

        } else if (strcmp(kind, "payload") == 0) {
            payload = strdup(field(&p));

        } else if (strcmp(kind, "header") == 0 && nh < MAX_HEADERS) {
            hname[nh] = strdup(field(&p));
            hvalue[nh] = strdup(field(&p));
            nh++;

        } else if (strcmp(kind, "end") == 0 && name != NULL) {
            for (i = 0; i < nh; i++) {
                h[i].name = hname[i];
                h[i].value = hvalue[i];
            }

            memset(&v, 0, sizeof(v));
            v.method = method;
            v.path = path;
            v.query = query;
            v.headers = h;
            v.nheaders = nh;
            v.payload_hash = payload;
            v.now = (time_t) now;
            v.s3 = s3;

            rc = icetap_sigv4_verify(&v, lookup, &keys, &cache, &res, &err);

            if (strcmp(expect, "ok") == 0) {
                ok(rc == ICETAP_OK, "%s: accepted (%s%s%s)", name,
                   rc == ICETAP_OK ? res.access_key : err.store_code,
                   rc == ICETAP_OK ? "" : ": ",
                   rc == ICETAP_OK ? "" : err.msg);

            } else {
                ok(rc == ICETAP_INVALID && strcmp(err.store_code, expect) == 0,
                   "%s: refused with %s (%s: %s)", name, expect,
                   err.store_code, err.msg);
            }

            for (i = 0; i < nh; i++) {
                free(hname[i]);
                free(hvalue[i]);
            }

            free(name);
            free(expect);
            free(method);
            free(path);
            free(query);
            free(payload);
            name = NULL;
            nh = 0;
        }
    }

    fclose(f);
    free(line);

    for (i = 0; i < (size_t) keys.n; i++) {
        free(keys.id[i]);
        free(keys.secret[i]);
    }

    return done_testing();
}
