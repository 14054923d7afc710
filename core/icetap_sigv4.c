/*
 * Copyright (C) icetap authors
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include <icetap/hash.h>
#include <icetap/sigv4.h>


typedef struct {
    size_t      k;
    size_t      klen;
    size_t      v;
    size_t      vlen;
} icetap_sigv4_param_t;


typedef struct {
    const icetap_sigv4_header_t  *h;
    size_t                        index;
} icetap_sigv4_hdr_ref_t;


typedef struct {
    const char  *start;
    size_t       len;
} icetap_sigv4_str_t;


static int icetap_sigv4_unreserved(unsigned char c);
static size_t icetap_sigv4_decode(const char *s, size_t len, char *out);
static int icetap_sigv4_hdr_cmp(const void *a, const void *b);
static icetap_rc icetap_sigv4_canonical_headers(icetap_buf_t *b,
    icetap_buf_t *signed_headers, const icetap_sigv4_header_t *h,
    size_t n);
static icetap_rc icetap_sigv4_canonical(const icetap_sigv4_req_t *r,
    const char *skip, icetap_buf_t *out, icetap_buf_t *signed_headers);
static icetap_rc icetap_sigv4_compute(const icetap_sigv4_creds_t *c,
    const icetap_sigv4_req_t *r, const char *skip,
    icetap_sigv4_cache_t *cache, char *signature,
    icetap_buf_t *signed_headers, icetap_error_t *err);
static icetap_rc icetap_sigv4_fail(icetap_error_t *err, int status,
    const char *code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static int icetap_sigv4_parse_date(const char *s, time_t *t);
static const char *icetap_sigv4_header(const icetap_sigv4_verify_t *v,
    const char *name);
static int icetap_sigv4_query_param(const char *query, const char *name,
    char *out, size_t size);


#define icetap_sigv4_lit(b, s)  icetap_buf_append(b, s, sizeof(s) - 1)


static const char  icetap_sigv4_hex[] = "0123456789ABCDEF";


void
icetap_sigv4_amz_date(time_t t, char out[17])
{
    struct tm  tm;

    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}


static int
icetap_sigv4_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'
           || c == '~';
}


icetap_rc
icetap_sigv4_uri_encode(icetap_buf_t *b, const char *s, size_t len,
    int keep_slash)
{
    size_t         i;
    unsigned char  c;

    if (icetap_buf_reserve(b, 3 * len + 1) != ICETAP_OK) {
        return ICETAP_NOMEM;
    }

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        if (icetap_sigv4_unreserved(c) || (c == '/' && keep_slash)) {
            b->data[b->len++] = c;
            continue;
        }

        b->data[b->len++] = '%';
        b->data[b->len++] = icetap_sigv4_hex[c >> 4];
        b->data[b->len++] = icetap_sigv4_hex[c & 0xf];
    }

    b->data[b->len] = '\0';

    return ICETAP_OK;
}


static int
icetap_sigv4_hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }

    return -1;
}


/* %XX escapes to bytes; a "%" not followed by two hex digits stays */

static size_t
icetap_sigv4_decode(const char *s, size_t len, char *out)
{
    int     h, l;
    size_t  i, n;

    n = 0;

    for (i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len) {
            h = icetap_sigv4_hexval(s[i + 1]);
            l = icetap_sigv4_hexval(s[i + 2]);

            if (h >= 0 && l >= 0) {
                out[n++] = (char) (h << 4 | l);
                i += 2;
                continue;
            }
        }

        out[n++] = s[i];
    }

    return n;
}


icetap_rc
icetap_sigv4_canonical_uri(icetap_buf_t *b, const char *path, int s3)
{
    char       *tmp;
    size_t      len, n, i, seg, *stack, depth;
    icetap_rc   rc;
    const char *p, *start;

    if (path == NULL || path[0] == '\0') {
        path = "/";
    }

    len = strlen(path);

    tmp = icetap_alloc(len + 2);
    if (tmp == NULL) {
        return ICETAP_NOMEM;
    }

    if (s3) {
        n = icetap_sigv4_decode(path, len, tmp);
        rc = icetap_sigv4_uri_encode(b, tmp, n, 1);
        icetap_free(tmp);
        return rc;
    }

    /* remove empty and dot segments, keeping a trailing slash */

    stack = icetap_alloc((len + 1) * sizeof(size_t));
    if (stack == NULL) {
        icetap_free(tmp);
        return ICETAP_NOMEM;
    }

    n = 0;
    depth = 0;
    start = path;

    for (p = path; ; p++) {
        if (*p != '/' && *p != '\0') {
            continue;
        }

        seg = p - start;

        if (seg == 0 || (seg == 1 && start[0] == '.')) {
            /* nothing */

        } else if (seg == 2 && start[0] == '.' && start[1] == '.') {
            if (depth > 0) {
                n = stack[--depth];
            }

        } else {
            stack[depth++] = n;
            tmp[n++] = '/';

            for (i = 0; i < seg; i++) {
                tmp[n++] = start[i];
            }
        }

        if (*p == '\0') {
            break;
        }

        start = p + 1;
    }

    if (n == 0 || (path[len - 1] == '/')) {
        tmp[n++] = '/';
    }

    rc = icetap_sigv4_uri_encode(b, tmp, n, 1);

    icetap_free(stack);
    icetap_free(tmp);

    return rc;
}


static int
icetap_sigv4_param_cmp_buf(const icetap_sigv4_param_t *x,
    const icetap_sigv4_param_t *y, const uint8_t *d)
{
    int  c;

    c = memcmp(d + x->k, d + y->k, icetap_min(x->klen, y->klen));
    if (c != 0 || x->klen != y->klen) {
        return c ? c : (x->klen < y->klen ? -1 : 1);
    }

    c = memcmp(d + x->v, d + y->v, icetap_min(x->vlen, y->vlen));
    if (c != 0 || x->vlen != y->vlen) {
        return c ? c : (x->vlen < y->vlen ? -1 : 1);
    }

    return 0;
}


icetap_rc
icetap_sigv4_canonical_query(icetap_buf_t *b, const char *query,
    const char *skip)
{
    char                  *dec;
    size_t                 i, j, n, cap, len, nlen, dlen;
    icetap_rc              rc;
    const char            *p, *end, *eq, *amp;
    icetap_buf_t           enc;
    icetap_sigv4_param_t  *params, *np, t;

    if (query == NULL || query[0] == '\0') {
        if (icetap_buf_reserve(b, 1) != ICETAP_OK) {
            return ICETAP_NOMEM;
        }

        b->data[b->len] = '\0';

        return ICETAP_OK;
    }

    len = strlen(query);
    memset(&enc, 0, sizeof(enc));
    params = NULL;
    n = 0;
    cap = 0;

    dec = icetap_alloc(len + 1);
    if (dec == NULL) {
        return ICETAP_NOMEM;
    }

    rc = ICETAP_OK;
    end = query + len;

    for (p = query; p < end; p = amp + 1) {
        amp = memchr(p, '&', end - p);
        if (amp == NULL) {
            amp = end;
        }

        if (amp == p) {
            continue;
        }

        eq = memchr(p, '=', amp - p);
        nlen = (eq ? eq : amp) - p;

        dlen = icetap_sigv4_decode(p, nlen, dec);

        if (skip != NULL && dlen == strlen(skip)
            && memcmp(dec, skip, dlen) == 0)
        {
            continue;
        }

        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            np = icetap_realloc(params, cap * sizeof(icetap_sigv4_param_t));
            if (np == NULL) {
                rc = ICETAP_NOMEM;
                goto done;
            }

            params = np;
        }

        params[n].k = enc.len;
        if (icetap_sigv4_uri_encode(&enc, dec, dlen, 0) != ICETAP_OK) {
            rc = ICETAP_NOMEM;
            goto done;
        }

        params[n].klen = enc.len - params[n].k;

        dlen = eq ? icetap_sigv4_decode(eq + 1, amp - eq - 1, dec) : 0;

        params[n].v = enc.len;
        if (icetap_sigv4_uri_encode(&enc, dec, dlen, 0) != ICETAP_OK) {
            rc = ICETAP_NOMEM;
            goto done;
        }

        params[n].vlen = enc.len - params[n].v;
        n++;
    }

    /* insertion sort: queries are short, and this needs no global */

    for (i = 1; i < n; i++) {
        t = params[i];

        for (j = i; j > 0
             && icetap_sigv4_param_cmp_buf(&params[j - 1], &t, enc.data) > 0;
             j--)
        {
            params[j] = params[j - 1];
        }

        params[j] = t;
    }

    for (i = 0; i < n; i++) {
        if ((i && icetap_buf_putc(b, '&') != ICETAP_OK)
            || icetap_buf_append(b, enc.data + params[i].k, params[i].klen)
               != ICETAP_OK
            || icetap_buf_putc(b, '=') != ICETAP_OK
            || icetap_buf_append(b, enc.data + params[i].v, params[i].vlen)
               != ICETAP_OK)
        {
            rc = ICETAP_NOMEM;
            goto done;
        }
    }

    if (icetap_buf_reserve(b, 1) != ICETAP_OK) {
        rc = ICETAP_NOMEM;
        goto done;
    }

    b->data[b->len] = '\0';

done:

    icetap_free(dec);
    icetap_free(params);
    icetap_buf_free(&enc);

    return rc;
}


static int
icetap_sigv4_hdr_cmp(const void *a, const void *b)
{
    int                            c;
    const icetap_sigv4_hdr_ref_t  *x = a, *y = b;

    c = strcasecmp(x->h->name, y->h->name);
    if (c != 0) {
        return c;
    }

    return x->index < y->index ? -1 : (x->index > y->index);
}


static icetap_rc
icetap_sigv4_canonical_headers(icetap_buf_t *b, icetap_buf_t *signed_headers,
    const icetap_sigv4_header_t *h, size_t n)
{
    char                     c;
    size_t                   i, k;
    icetap_rc                rc;
    const char              *v, *e;
    icetap_sigv4_hdr_ref_t  *refs;

    refs = icetap_alloc((n ? n : 1) * sizeof(icetap_sigv4_hdr_ref_t));
    if (refs == NULL) {
        return ICETAP_NOMEM;
    }

    for (i = 0; i < n; i++) {
        refs[i].h = &h[i];
        refs[i].index = i;
    }

    qsort(refs, n, sizeof(icetap_sigv4_hdr_ref_t), icetap_sigv4_hdr_cmp);

    rc = ICETAP_OK;

    for (i = 0; i < n; i++) {
        if (i == 0 || strcasecmp(refs[i].h->name, refs[i - 1].h->name) != 0)
        {
            if (i != 0) {
                rc |= icetap_buf_putc(b, '\n');
                rc |= icetap_buf_putc(signed_headers, ';');
            }

            for (k = 0; refs[i].h->name[k] != '\0'; k++) {
                c = refs[i].h->name[k];

                if (c >= 'A' && c <= 'Z') {
                    c += 'a' - 'A';
                }

                rc |= icetap_buf_putc(b, c);
                rc |= icetap_buf_putc(signed_headers, c);
            }

            rc |= icetap_buf_putc(b, ':');

        } else {
            rc |= icetap_buf_putc(b, ',');
        }

        /* trim, and fold runs of white space into one space */

        v = refs[i].h->value ? refs[i].h->value : "";
        e = v + strlen(v);

        while (v < e && (*v == ' ' || *v == '\t')) {
            v++;
        }

        while (e > v && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n'
                         || e[-1] == '\r'))
        {
            e--;
        }

        for ( /* void */ ; v < e; v++) {
            if (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r') {
                if (v[-1] == ' ' || v[-1] == '\t' || v[-1] == '\n'
                    || v[-1] == '\r')
                {
                    continue;
                }

                rc |= icetap_buf_putc(b, ' ');
                continue;
            }

            rc |= icetap_buf_putc(b, *v);
        }
    }

    rc |= icetap_buf_putc(b, '\n');

    icetap_free(refs);

    return rc != ICETAP_OK ? ICETAP_NOMEM : ICETAP_OK;
}


static icetap_rc
icetap_sigv4_canonical(const icetap_sigv4_req_t *r, const char *skip,
    icetap_buf_t *out, icetap_buf_t *signed_headers)
{
    const char  *payload;

    payload = r->payload_hash ? r->payload_hash : ICETAP_SIGV4_EMPTY_SHA256;

    if (icetap_buf_append(out, r->method, strlen(r->method)) != ICETAP_OK
        || icetap_buf_putc(out, '\n') != ICETAP_OK
        || icetap_sigv4_canonical_uri(out, r->path, r->s3) != ICETAP_OK
        || icetap_buf_putc(out, '\n') != ICETAP_OK
        || icetap_sigv4_canonical_query(out, r->query, skip) != ICETAP_OK
        || icetap_buf_putc(out, '\n') != ICETAP_OK
        || icetap_sigv4_canonical_headers(out, signed_headers, r->headers,
                                          r->nheaders) != ICETAP_OK
        || icetap_buf_putc(out, '\n') != ICETAP_OK
        || icetap_buf_append(out, signed_headers->data, signed_headers->len)
           != ICETAP_OK
        || icetap_buf_putc(out, '\n') != ICETAP_OK
        || icetap_buf_append(out, payload, strlen(payload)) != ICETAP_OK
        || icetap_buf_reserve(out, 1) != ICETAP_OK
        || icetap_buf_reserve(signed_headers, 1) != ICETAP_OK)
    {
        return ICETAP_NOMEM;
    }

    out->data[out->len] = '\0';
    signed_headers->data[signed_headers->len] = '\0';

    return ICETAP_OK;
}


icetap_rc
icetap_sigv4_canonical_request(const icetap_sigv4_req_t *r,
    icetap_buf_t *out, icetap_buf_t *signed_headers, icetap_error_t *err)
{
    icetap_rc     rc;
    icetap_buf_t  sh;

    memset(&sh, 0, sizeof(sh));

    rc = icetap_sigv4_canonical(r, NULL, out,
                                signed_headers ? signed_headers : &sh);
    icetap_buf_free(&sh);

    if (rc != ICETAP_OK) {
        return icetap_error_set(err, rc, "no memory for a canonical "
                                "request");
    }

    return ICETAP_OK;
}


icetap_rc
icetap_sigv4_signing_key(icetap_sigv4_cache_t *cache, const char *secret,
    const char *date, const char *region, const char *service,
    uint8_t *out)
{
    int                          n;
    char                         scope[96], *k;
    size_t                       i, slen, victim;
    uint8_t                      fp[32], kdate[32], kregion[32];
    uint8_t                      kservice[32];
    icetap_sigv4_cache_entry_t  *e;

    n = snprintf(scope, sizeof(scope), "%.8s/%s/%s", date, region, service);
    if (n < 0 || n >= (int) sizeof(scope)) {
        return ICETAP_INVALID;
    }

    slen = strlen(secret);

    if (cache != NULL) {
        if (icetap_sha256(secret, slen, fp) != ICETAP_OK) {
            return ICETAP_ERROR;
        }

        victim = 0;

        for (i = 0; i < ICETAP_SIGV4_CACHE_SIZE; i++) {
            e = &cache->e[i];

            if (e->used && strcmp(e->scope, scope) == 0
                && memcmp(e->secret_fp, fp, 32) == 0)
            {
                e->used = ++cache->clock;
                memcpy(out, e->key, 32);
                return ICETAP_OK;
            }

            if (e->used < cache->e[victim].used) {
                victim = i;
            }
        }
    }

    k = icetap_alloc(slen + 5);
    if (k == NULL) {
        return ICETAP_NOMEM;
    }

    memcpy(k, "AWS4", 4);
    memcpy(k + 4, secret, slen);

    if (icetap_hmac_sha256(k, slen + 4, date, 8, kdate) != ICETAP_OK
        || icetap_hmac_sha256(kdate, 32, region, strlen(region), kregion)
           != ICETAP_OK
        || icetap_hmac_sha256(kregion, 32, service, strlen(service),
                              kservice) != ICETAP_OK
        || icetap_hmac_sha256(kservice, 32, "aws4_request", 12, out)
           != ICETAP_OK)
    {
        OPENSSL_cleanse(k, slen + 4);
        icetap_free(k);
        return ICETAP_ERROR;
    }

    OPENSSL_cleanse(k, slen + 4);
    icetap_free(k);

    if (cache != NULL) {
        e = &cache->e[victim];
        memcpy(e->secret_fp, fp, 32);
        memcpy(e->scope, scope, sizeof(scope));
        memcpy(e->key, out, 32);
        e->used = ++cache->clock;
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_sigv4_compute(const icetap_sigv4_creds_t *c,
    const icetap_sigv4_req_t *r, const char *skip,
    icetap_sigv4_cache_t *cache, char *signature,
    icetap_buf_t *signed_headers, icetap_error_t *err)
{
    char          hash[65];
    uint8_t       key[32], sig[32];
    icetap_rc     rc;
    icetap_buf_t  creq, sts, sh;

    if (r->amz_date == NULL || strlen(r->amz_date) != 16) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "bad x-amz-date \"%s\"",
                                r->amz_date ? r->amz_date : "");
    }

    memset(&creq, 0, sizeof(creq));
    memset(&sts, 0, sizeof(sts));
    memset(&sh, 0, sizeof(sh));

    if (signed_headers == NULL) {
        signed_headers = &sh;
    }

    rc = icetap_sigv4_canonical(r, skip, &creq, signed_headers);
    if (rc != ICETAP_OK) {
        icetap_error_set(err, rc, "no memory for a canonical request");
        goto done;
    }

    rc = icetap_sha256_hex(creq.data, creq.len, hash);
    if (rc != ICETAP_OK) {
        icetap_error_set(err, rc, "sha256 failed");
        goto done;
    }

    if (icetap_buf_reserve(&sts, 256) != ICETAP_OK) {
        rc = icetap_error_set(err, ICETAP_NOMEM, "no memory");
        goto done;
    }

    sts.len = snprintf((char *) sts.data, sts.cap,
                       ICETAP_SIGV4_ALGORITHM "\n%s\n%.8s/%s/%s/aws4_request"
                       "\n%s", r->amz_date, r->amz_date, c->region,
                       c->service, hash);

    if (sts.len >= sts.cap) {
        rc = icetap_error_set(err, ICETAP_INVALID, "region or service name "
                              "too long");
        goto done;
    }

    rc = icetap_sigv4_signing_key(cache, c->secret_key, r->amz_date,
                                  c->region, c->service, key);
    if (rc != ICETAP_OK) {
        icetap_error_set(err, rc, "cannot derive a signing key");
        goto done;
    }

    rc = icetap_hmac_sha256(key, 32, sts.data, sts.len, sig);
    if (rc != ICETAP_OK) {
        icetap_error_set(err, rc, "hmac failed");
        goto done;
    }

    icetap_hex_encode(sig, 32, signature);

done:

    OPENSSL_cleanse(key, sizeof(key));
    icetap_buf_free(&creq);
    icetap_buf_free(&sts);
    icetap_buf_free(&sh);

    return rc;
}


icetap_rc
icetap_sigv4_signature(const icetap_sigv4_creds_t *c,
    const icetap_sigv4_req_t *r, icetap_sigv4_cache_t *cache,
    char *signature, icetap_buf_t *signed_headers, icetap_error_t *err)
{
    return icetap_sigv4_compute(c, r, NULL, cache, signature, signed_headers,
                                err);
}


icetap_rc
icetap_sigv4_sign(const icetap_sigv4_creds_t *c, const icetap_sigv4_req_t *r,
    icetap_sigv4_cache_t *cache, icetap_buf_t *authorization,
    icetap_error_t *err)
{
    int           n;
    char          sig[65];
    size_t        need;
    icetap_rc     rc;
    icetap_buf_t  sh;

    memset(&sh, 0, sizeof(sh));

    rc = icetap_sigv4_compute(c, r, NULL, cache, sig, &sh, err);
    if (rc != ICETAP_OK) {
        icetap_buf_free(&sh);
        return rc;
    }

    need = strlen(c->access_key) + strlen(c->region) + strlen(c->service)
           + sh.len + 256;

    if (icetap_buf_reserve(authorization, need) != ICETAP_OK) {
        icetap_buf_free(&sh);
        return icetap_error_set(err, ICETAP_NOMEM, "no memory");
    }

    n = snprintf((char *) authorization->data + authorization->len, need,
                 ICETAP_SIGV4_ALGORITHM " Credential=%s/%.8s/%s/%s/"
                 "aws4_request, SignedHeaders=%s, Signature=%s",
                 c->access_key, r->amz_date, c->region, c->service,
                 (char *) sh.data, sig);

    authorization->len += n;
    icetap_buf_free(&sh);

    return ICETAP_OK;
}


icetap_rc
icetap_sigv4_presign(const icetap_sigv4_creds_t *c,
    const icetap_sigv4_req_t *r, unsigned expires,
    icetap_sigv4_cache_t *cache, icetap_buf_t *out, icetap_error_t *err)
{
    char                 sig[65], num[16], cred[256];
    size_t               start;
    icetap_rc            rc;
    icetap_buf_t         sh, q;
    icetap_sigv4_req_t   pr;

    if (expires == 0 || expires > ICETAP_SIGV4_MAX_EXPIRES) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "presign expiry %u outside 1..%d", expires,
                                ICETAP_SIGV4_MAX_EXPIRES);
    }

    if (r->amz_date == NULL || strlen(r->amz_date) != 16) {
        return icetap_error_set(err, ICETAP_INVALID, "bad x-amz-date");
    }

    if (snprintf(cred, sizeof(cred), "%s/%.8s/%s/%s/aws4_request",
                 c->access_key, r->amz_date, c->region, c->service)
        >= (int) sizeof(cred))
    {
        return icetap_error_set(err, ICETAP_INVALID, "credential too long");
    }

    memset(&sh, 0, sizeof(sh));
    memset(&q, 0, sizeof(q));

    /* the signed header names first: they are part of the query */

    rc = ICETAP_NOMEM;

    {
        icetap_buf_t  dummy;

        memset(&dummy, 0, sizeof(dummy));
        rc = icetap_sigv4_canonical_headers(&dummy, &sh, r->headers,
                                            r->nheaders);
        icetap_buf_free(&dummy);

        if (rc != ICETAP_OK) {
            goto failed;
        }

        rc = ICETAP_NOMEM;
    }

    if (r->query != NULL && r->query[0] != '\0') {
        if (icetap_buf_append(&q, r->query, strlen(r->query)) != ICETAP_OK
            || icetap_buf_putc(&q, '&') != ICETAP_OK)
        {
            goto failed;
        }
    }

    snprintf(num, sizeof(num), "%u", expires);

    if (icetap_sigv4_lit(&q, "X-Amz-Algorithm=" ICETAP_SIGV4_ALGORITHM
                         "&X-Amz-Credential=") != ICETAP_OK
        || icetap_sigv4_uri_encode(&q, cred, strlen(cred), 0) != ICETAP_OK
        || icetap_sigv4_lit(&q, "&X-Amz-Date=") != ICETAP_OK
        || icetap_buf_append(&q, r->amz_date, 16) != ICETAP_OK
        || icetap_sigv4_lit(&q, "&X-Amz-Expires=") != ICETAP_OK
        || icetap_buf_append(&q, num, strlen(num)) != ICETAP_OK)
    {
        goto failed;
    }

    if (c->session_token != NULL
        && (icetap_sigv4_lit(&q, "&X-Amz-Security-Token=") != ICETAP_OK
            || icetap_sigv4_uri_encode(&q, c->session_token,
                                       strlen(c->session_token), 0)
               != ICETAP_OK))
    {
        goto failed;
    }

    if (icetap_sigv4_lit(&q, "&X-Amz-SignedHeaders=") != ICETAP_OK
        || icetap_sigv4_uri_encode(&q, (char *) sh.data, sh.len, 0)
           != ICETAP_OK)
    {
        goto failed;
    }

    pr = *r;
    pr.query = (char *) q.data;

    if (pr.payload_hash == NULL) {
        pr.payload_hash = ICETAP_SIGV4_UNSIGNED;
    }

    rc = icetap_sigv4_compute(c, &pr, NULL, cache, sig, NULL, err);
    if (rc != ICETAP_OK) {
        goto done;
    }

    start = out->len;

    if (icetap_buf_append(out, q.data, q.len) != ICETAP_OK
        || icetap_sigv4_lit(out, "&X-Amz-Signature=") != ICETAP_OK
        || icetap_buf_append(out, sig, 64) != ICETAP_OK
        || icetap_buf_putc(out, '\0') != ICETAP_OK)
    {
        out->len = start;
        rc = ICETAP_NOMEM;
        goto failed;
    }

    out->len--;
    rc = ICETAP_OK;
    goto done;

failed:

    icetap_error_set(err, rc, "no memory to presign");

done:

    icetap_buf_free(&sh);
    icetap_buf_free(&q);

    return rc;
}


icetap_rc
icetap_sigv4_chunk_signature(const icetap_sigv4_creds_t *c,
    const char *amz_date, const char *prev_signature, const void *data,
    size_t len, icetap_sigv4_cache_t *cache, char *signature,
    icetap_error_t *err)
{
    int        n;
    char       sts[512], hash[65];
    uint8_t    key[32], sig[32];
    icetap_rc  rc;

    if (icetap_sha256_hex(data, len, hash) != ICETAP_OK) {
        return icetap_error_set(err, ICETAP_ERROR, "sha256 failed");
    }

    n = snprintf(sts, sizeof(sts), "AWS4-HMAC-SHA256-PAYLOAD\n%s\n%.8s/%s/%s"
                 "/aws4_request\n%s\n" ICETAP_SIGV4_EMPTY_SHA256 "\n%s",
                 amz_date, amz_date, c->region, c->service, prev_signature,
                 hash);

    if (n < 0 || n >= (int) sizeof(sts)) {
        return icetap_error_set(err, ICETAP_INVALID, "chunk scope too long");
    }

    rc = icetap_sigv4_signing_key(cache, c->secret_key, amz_date, c->region,
                                  c->service, key);
    if (rc == ICETAP_OK) {
        rc = icetap_hmac_sha256(key, 32, sts, n, sig);
    }

    OPENSSL_cleanse(key, sizeof(key));

    if (rc != ICETAP_OK) {
        return icetap_error_set(err, rc, "cannot sign a chunk");
    }

    icetap_hex_encode(sig, 32, signature);

    return ICETAP_OK;
}


/* verification */


static icetap_rc
icetap_sigv4_fail(icetap_error_t *err, int status, const char *code,
    const char *fmt, ...)
{
    va_list  args;

    if (err != NULL) {
        memset(err, 0, sizeof(icetap_error_t));
        err->code = ICETAP_INVALID;
        err->http_status = status;
        snprintf(err->store_code, sizeof(err->store_code), "%s", code);

        va_start(args, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, args);
        va_end(args);
    }

    return ICETAP_INVALID;
}


static int
icetap_sigv4_parse_date(const char *s, time_t *t)
{
    int        i;
    struct tm  tm;

    if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z') {
        return -1;
    }

    for (i = 0; i < 15; i++) {
        if (i != 8 && (s[i] < '0' || s[i] > '9')) {
            return -1;
        }
    }

    memset(&tm, 0, sizeof(tm));

    tm.tm_year = (s[0] - '0') * 1000 + (s[1] - '0') * 100
                 + (s[2] - '0') * 10 + (s[3] - '0') - 1900;
    tm.tm_mon = (s[4] - '0') * 10 + (s[5] - '0') - 1;
    tm.tm_mday = (s[6] - '0') * 10 + (s[7] - '0');
    tm.tm_hour = (s[9] - '0') * 10 + (s[10] - '0');
    tm.tm_min = (s[11] - '0') * 10 + (s[12] - '0');
    tm.tm_sec = (s[13] - '0') * 10 + (s[14] - '0');

    if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1
        || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59
        || tm.tm_sec > 60)
    {
        return -1;
    }

    *t = timegm(&tm);

    return 0;
}


static const char *
icetap_sigv4_header(const icetap_sigv4_verify_t *v, const char *name)
{
    size_t  i;

    for (i = 0; i < v->nheaders; i++) {
        if (strcasecmp(v->headers[i].name, name) == 0) {
            return v->headers[i].value ? v->headers[i].value : "";
        }
    }

    return NULL;
}


/* 1 and the decoded value when the query has the parameter, else 0 */

static int
icetap_sigv4_query_param(const char *query, const char *name, char *out,
    size_t size)
{
    size_t       nlen, vlen;
    const char  *p, *amp, *end;

    if (query == NULL) {
        return 0;
    }

    nlen = strlen(name);
    end = query + strlen(query);

    for (p = query; p < end; p = amp + 1) {
        amp = memchr(p, '&', end - p);
        if (amp == NULL) {
            amp = end;
        }

        if ((size_t) (amp - p) >= nlen && memcmp(p, name, nlen) == 0
            && (p + nlen == amp || p[nlen] == '='))
        {
            if (out != NULL) {
                p += nlen + (p + nlen < amp);
                vlen = amp - p;

                if (vlen >= size) {
                    out[0] = '\0';
                    return -1;
                }

                vlen = icetap_sigv4_decode(p, vlen, out);
                out[vlen] = '\0';
            }

            return 1;
        }
    }

    return 0;
}


static int
icetap_sigv4_split(const char *s, char sep, icetap_sigv4_str_t *parts,
    int max)
{
    int          n;
    const char  *p;

    n = 0;
    parts[0].start = s;

    for (p = s; ; p++) {
        if (*p == sep || *p == '\0') {
            if (n == max) {
                return -1;
            }

            parts[n].len = p - parts[n].start;
            n++;

            if (*p == '\0') {
                break;
            }

            if (n < max) {
                parts[n].start = p + 1;
            }
        }
    }

    return n;
}


icetap_rc
icetap_sigv4_verify(const icetap_sigv4_verify_t *v,
    icetap_sigv4_lookup_pt lookup, void *ctx, icetap_sigv4_cache_t *cache,
    icetap_sigv4_result_t *res, icetap_error_t *err)
{
    int                     presigned, status, nparts, n;
    char                    credential[256], signed_names[1024];
    char                    given[80], computed[65], date[32], secret[256];
    char                    expires_s[32], algorithm[64], scope_date[16];
    char                   *endp;
    long                    expires;
    size_t                  i, j, nsel;
    time_t                  t;
    icetap_rc               rc;
    const char             *auth, *p, *q, *code, *content_hash;
    icetap_sigv4_str_t      parts[6], names[64];
    icetap_sigv4_req_t      r;
    icetap_sigv4_creds_t    c;
    icetap_sigv4_header_t  *sel;

    memset(res, 0, sizeof(icetap_sigv4_result_t));

    auth = icetap_sigv4_header(v, "authorization");
    presigned = icetap_sigv4_query_param(v->query, "X-Amz-Algorithm", NULL,
                                         0);

    if (auth == NULL && !presigned) {
        return icetap_sigv4_fail(err, 403, "AccessDenied",
                                 "request is not signed");
    }

    if (auth != NULL && presigned) {
        return icetap_sigv4_fail(err, 400, "InvalidArgument",
                                 "only one auth mechanism allowed");
    }

    res->presigned = (char) presigned;
    expires = 0;

    if (presigned) {
        status = 400;
        code = "AuthorizationQueryParametersError";

        if (icetap_sigv4_query_param(v->query, "X-Amz-Algorithm", algorithm,
                                     sizeof(algorithm)) != 1
            || icetap_sigv4_query_param(v->query, "X-Amz-Credential",
                                        credential, sizeof(credential)) != 1
            || icetap_sigv4_query_param(v->query, "X-Amz-Date", date,
                                        sizeof(date)) != 1
            || icetap_sigv4_query_param(v->query, "X-Amz-Expires",
                                        expires_s, sizeof(expires_s)) != 1
            || icetap_sigv4_query_param(v->query, "X-Amz-SignedHeaders",
                                        signed_names, sizeof(signed_names))
               != 1
            || icetap_sigv4_query_param(v->query, "X-Amz-Signature", given,
                                        sizeof(given)) != 1)
        {
            return icetap_sigv4_fail(err, status, code,
                                     "X-Amz-Algorithm, X-Amz-Credential, "
                                     "X-Amz-Signature, X-Amz-Date, "
                                     "X-Amz-SignedHeaders and X-Amz-Expires "
                                     "are all required");
        }

        if (strcmp(algorithm, ICETAP_SIGV4_ALGORITHM) != 0) {
            return icetap_sigv4_fail(err, status, code,
                                     "X-Amz-Algorithm only supports "
                                     "\"" ICETAP_SIGV4_ALGORITHM "\"");
        }

        expires = strtol(expires_s, &endp, 10);

        if (endp == expires_s || *endp != '\0' || expires < 1
            || expires > ICETAP_SIGV4_MAX_EXPIRES)
        {
            return icetap_sigv4_fail(err, status, code,
                                     "X-Amz-Expires must be between 1 and "
                                     "%d seconds", ICETAP_SIGV4_MAX_EXPIRES);
        }

    } else {
        status = 400;
        code = "AuthorizationHeaderMalformed";

        if (strncmp(auth, ICETAP_SIGV4_ALGORITHM " ",
                    sizeof(ICETAP_SIGV4_ALGORITHM)) != 0)
        {
            if (strncmp(auth, "AWS ", 4) == 0) {
                return icetap_sigv4_fail(err, 400, "InvalidRequest",
                                         "Signature Version 2 is not "
                                         "supported, use AWS4-HMAC-SHA256");
            }

            return icetap_sigv4_fail(err, status, code, "the authorization "
                                     "header must start with \""
                                     ICETAP_SIGV4_ALGORITHM "\"");
        }

        credential[0] = '\0';
        signed_names[0] = '\0';
        given[0] = '\0';

        p = auth + sizeof(ICETAP_SIGV4_ALGORITHM);

        while (*p != '\0') {
            while (*p == ' ' || *p == ',') {
                p++;
            }

            q = p;

            while (*q != '\0' && *q != ',') {
                q++;
            }

            n = (int) (q - p);

            if (n > 11 && strncmp(p, "Credential=", 11) == 0
                && n - 11 < (int) sizeof(credential))
            {
                snprintf(credential, sizeof(credential), "%.*s", n - 11,
                         p + 11);

            } else if (n > 14 && strncmp(p, "SignedHeaders=", 14) == 0
                       && n - 14 < (int) sizeof(signed_names))
            {
                snprintf(signed_names, sizeof(signed_names), "%.*s", n - 14,
                         p + 14);

            } else if (n > 10 && strncmp(p, "Signature=", 10) == 0
                       && n - 10 < (int) sizeof(given))
            {
                snprintf(given, sizeof(given), "%.*s", n - 10, p + 10);

            } else if (n > 0) {
                return icetap_sigv4_fail(err, status, code,
                                         "unexpected \"%.*s\" in the "
                                         "authorization header",
                                         icetap_min(n, 40), p);
            }

            p = q;
        }

        while (strlen(signed_names) > 0
               && signed_names[strlen(signed_names) - 1] == ' ')
        {
            signed_names[strlen(signed_names) - 1] = '\0';
        }

        if (credential[0] == '\0' || signed_names[0] == '\0'
            || given[0] == '\0')
        {
            return icetap_sigv4_fail(err, status, code,
                                     "the authorization header needs "
                                     "Credential, SignedHeaders and "
                                     "Signature");
        }

        p = icetap_sigv4_header(v, "x-amz-date");

        if (p == NULL) {
            return icetap_sigv4_fail(err, 403, "AccessDenied",
                                     "AWS authentication requires a valid "
                                     "x-amz-date header");
        }

        snprintf(date, sizeof(date), "%s", p);
    }

    /* Credential=AKID/20150830/us-east-1/service/aws4_request */

    nparts = icetap_sigv4_split(credential, '/', parts, 6);

    if (nparts != 5 || parts[0].len == 0
        || parts[0].len >= sizeof(res->access_key)
        || parts[1].len != 8 || parts[2].len == 0
        || parts[2].len >= sizeof(res->region) || parts[3].len == 0
        || parts[3].len >= sizeof(res->service)
        || parts[4].len != 12
        || memcmp(parts[4].start, "aws4_request", 12) != 0)
    {
        return icetap_sigv4_fail(err, status, code,
                                 "malformed credential \"%.100s\", expected "
                                 "<key>/<YYYYMMDD>/<region>/<service>/"
                                 "aws4_request", credential);
    }

    memcpy(res->access_key, parts[0].start, parts[0].len);
    memcpy(res->region, parts[2].start, parts[2].len);
    memcpy(res->service, parts[3].start, parts[3].len);
    memcpy(scope_date, parts[1].start, 8);
    scope_date[8] = '\0';

    if (icetap_sigv4_parse_date(date, &t) != 0) {
        return icetap_sigv4_fail(err, presigned ? status : 403,
                                 presigned ? code : "AccessDenied",
                                 "invalid date \"%.32s\", expected "
                                 "YYYYMMDDTHHMMSSZ", date);
    }

    if (memcmp(scope_date, date, 8) != 0) {
        return icetap_sigv4_fail(err, status, code,
                                 "credential date %s does not match "
                                 "request date %.8s", scope_date, date);
    }

    if (v->region != NULL && strcmp(v->region, res->region) != 0) {
        return icetap_sigv4_fail(err, status, code,
                                 "the region \"%s\" is wrong; expecting "
                                 "\"%s\"", res->region, v->region);
    }

    if (v->service != NULL && strcmp(v->service, res->service) != 0) {
        return icetap_sigv4_fail(err, status, code,
                                 "the service \"%s\" is wrong; expecting "
                                 "\"%s\"", res->service, v->service);
    }

    if (presigned) {
        if (v->now < t - ICETAP_SIGV4_MAX_SKEW) {
            return icetap_sigv4_fail(err, 403, "AccessDenied",
                                     "Request is not valid yet");
        }

        if (v->now > t + expires) {
            return icetap_sigv4_fail(err, 403, "AccessDenied",
                                     "Request has expired");
        }

    } else if (v->now > t + ICETAP_SIGV4_MAX_SKEW
               || v->now < t - ICETAP_SIGV4_MAX_SKEW)
    {
        return icetap_sigv4_fail(err, 403, "RequestTimeTooSkewed",
                                 "The difference between the request time "
                                 "and the current time is too large");
    }

    /* the headers named in SignedHeaders, in that order */

    nparts = icetap_sigv4_split(signed_names, ';', names, 64);
    if (nparts < 1) {
        return icetap_sigv4_fail(err, status, code, "too many signed "
                                 "headers");
    }

    for (i = 0; i < (size_t) nparts; i++) {
        if (names[i].len == 4 && strncasecmp(names[i].start, "host", 4) == 0)
        {
            break;
        }
    }

    if (i == (size_t) nparts) {
        return icetap_sigv4_fail(err, status, code, "the host header must "
                                 "be signed");
    }

    sel = icetap_alloc((v->nheaders + 1) * sizeof(icetap_sigv4_header_t));
    if (sel == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "no memory");
    }

    nsel = 0;

    for (i = 0; i < (size_t) nparts; i++) {
        n = 0;

        for (j = 0; j < v->nheaders; j++) {
            if (strlen(v->headers[j].name) == names[i].len
                && strncasecmp(v->headers[j].name, names[i].start,
                               names[i].len) == 0)
            {
                sel[nsel++] = v->headers[j];
                n++;
            }
        }

        if (n == 0) {
            icetap_free(sel);
            return icetap_sigv4_fail(err, 403, "SignatureDoesNotMatch",
                                     "signed header \"%.*s\" is not in the "
                                     "request", (int) names[i].len,
                                     names[i].start);
        }
    }

    content_hash = icetap_sigv4_header(v, "x-amz-content-sha256");

    if (content_hash == NULL) {
        if (presigned && v->s3) {
            content_hash = ICETAP_SIGV4_UNSIGNED;

        } else {
            content_hash = v->payload_hash ? v->payload_hash
                                           : ICETAP_SIGV4_EMPTY_SHA256;
        }
    }

    snprintf(res->payload_hash, sizeof(res->payload_hash), "%s",
             content_hash);

    res->session_token_present = presigned
        ? icetap_sigv4_query_param(v->query, "X-Amz-Security-Token", NULL, 0)
        : icetap_sigv4_header(v, "x-amz-security-token") != NULL;

    rc = lookup(ctx, res->access_key, secret, sizeof(secret));

    if (rc == ICETAP_NOTFOUND) {
        icetap_free(sel);
        return icetap_sigv4_fail(err, 403, "InvalidAccessKeyId",
                                 "The AWS Access Key Id \"%s\" does not "
                                 "exist in our records", res->access_key);
    }

    if (rc != ICETAP_OK) {
        icetap_free(sel);
        return icetap_error_set(err, rc, "access key lookup failed");
    }

    c.access_key = res->access_key;
    c.secret_key = secret;
    c.session_token = NULL;
    c.region = res->region;
    c.service = res->service;

    r.method = v->method;
    r.path = v->path;
    r.query = v->query;
    r.headers = sel;
    r.nheaders = nsel;
    r.payload_hash = content_hash;
    r.amz_date = date;
    r.s3 = v->s3;

    {
        icetap_buf_t  sh;

        memset(&sh, 0, sizeof(sh));

        rc = icetap_sigv4_compute(&c, &r, presigned ? "X-Amz-Signature"
                                                    : NULL,
                                  cache, computed, &sh, err);

        OPENSSL_cleanse(secret, sizeof(secret));
        icetap_free(sel);

        if (rc != ICETAP_OK) {
            icetap_buf_free(&sh);
            return rc;
        }

        /* a reordered or duplicated list is not the list that was signed */

        n = strcasecmp((char *) sh.data, signed_names);
        icetap_buf_free(&sh);

        if (n != 0) {
            return icetap_sigv4_fail(err, 403, "SignatureDoesNotMatch",
                                     "SignedHeaders \"%.200s\" is not "
                                     "sorted lowercase without duplicates",
                                     signed_names);
        }
    }

    if (strlen(given) != 64 || CRYPTO_memcmp(given, computed, 64) != 0) {
        return icetap_sigv4_fail(err, 403, "SignatureDoesNotMatch",
                                 "The request signature we calculated does "
                                 "not match the signature you provided");
    }

    icetap_error_clear(err);

    return ICETAP_OK;
}
