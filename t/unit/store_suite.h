/*
 * Copyright (C) icetap authors
 *
 * Behaviour every store implementation shares, run against the fs store
 * (store_fs.c) and against S3 on moto (store_s3.c).  The caller supplies
 * a function that opens a fresh handle on the same store.
 */

#ifndef ICETAP_TEST_STORE_SUITE_H
#define ICETAP_TEST_STORE_SUITE_H


#include <pthread.h>
#include <stdlib.h>

#include <icetap/hash.h>
#include <icetap/store.h>

#include "tap.h"


typedef icetap_store_t *(*suite_open_pt)(void);


typedef struct {
    size_t      nkeys;
    size_t      npages;
    size_t      nprefixes;
    char        keys[64][64];
    char        prefixes[16][64];
    char        last_next[128];
} suite_list_t;


typedef struct {
    suite_open_pt    open;
    const char      *key;
    const char      *if_match;
    int              id;
    int              round;
    icetap_rc        rc;
    pthread_barrier_t  *barrier;
} suite_racer_t;


typedef struct {
    uint64_t    state;
    size_t      left;
} suite_gen_t;


static icetap_rc
suite_buf_sink(void *ctx, const void *data, size_t len)
{
    return icetap_buf_append(ctx, data, len);
}


static icetap_rc
suite_sha_sink(void *ctx, const void *data, size_t len)
{
    return icetap_sha256_update(ctx, data, len);
}


static icetap_rc
suite_page(void *ctx, const icetap_store_page_t *page)
{
    size_t         i;
    suite_list_t  *l = ctx;

    l->npages++;

    for (i = 0; i < page->nentries && l->nkeys < 64; i++) {
        snprintf(l->keys[l->nkeys++], 64, "%s", page->entries[i].key);
    }

    for (i = 0; i < page->nprefixes && l->nprefixes < 16; i++) {
        snprintf(l->prefixes[l->nprefixes++], 64, "%s", page->prefixes[i]);
    }

    snprintf(l->last_next, sizeof(l->last_next), "%s",
             page->next ? page->next : "");

    return ICETAP_OK;
}


static icetap_rc
suite_first_page(void *ctx, const icetap_store_page_t *page)
{
    suite_page(ctx, page);

    return ICETAP_EOF;
}


static icetap_rc
suite_gen_read(void *ctx, void *buf, size_t size, size_t *n)
{
    size_t        i;
    uint8_t      *p = buf;
    suite_gen_t  *g = ctx;

    /* odd sizes exercise part assembly */

    size = icetap_min(size, 70001);
    *n = icetap_min(size, g->left);

    for (i = 0; i < *n; i++) {
        g->state = g->state * 6364136223846793005ULL + 1442695040888963407ULL;
        p[i] = (uint8_t) (g->state >> 56);
    }

    g->left -= *n;

    return ICETAP_OK;
}


static void *
suite_racer(void *arg)
{
    char                      body[32];
    icetap_error_t            err;
    suite_racer_t            *r = arg;
    icetap_store_t           *s;
    icetap_store_put_opts_t   opts;

    s = r->open();
    if (s == NULL) {
        r->rc = ICETAP_ERROR;
        return NULL;
    }

    memset(&opts, 0, sizeof(opts));
    opts.if_match = r->if_match;
    opts.if_none_match = r->if_match == NULL;

    /* bodies differ from race to race: an equal body keeps its ETag */

    snprintf(body, sizeof(body), "racer %d of race %d", r->id, r->round);

    pthread_barrier_wait(r->barrier);

    r->rc = icetap_store_put_buf(s, r->key, body, strlen(body), &opts, NULL,
                                 &err);

    icetap_store_destroy(s);

    return NULL;
}


/*
 * strict: exactly one racer wins.  Otherwise (a store whose conditional
 * writes are check-then-act, like moto's threaded server) every racer
 * must end in success or a conflict and at least one must win.
 */

static void
suite_race(suite_open_pt open, const char *key, const char *if_match,
    const char *what, int strict)
{
    int                 i, won, lost;
    pthread_t           t[2];
    suite_racer_t       r[2];
    pthread_barrier_t   b;

    static int          round;

    pthread_barrier_init(&b, NULL, 2);
    round++;

    for (i = 0; i < 2; i++) {
        r[i].open = open;
        r[i].key = key;
        r[i].if_match = if_match;
        r[i].id = i;
        r[i].round = round;
        r[i].rc = ICETAP_ERROR;
        r[i].barrier = &b;
        pthread_create(&t[i], NULL, suite_racer, &r[i]);
    }

    won = 0;
    lost = 0;

    for (i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        won += r[i].rc == ICETAP_OK;
        lost += r[i].rc == ICETAP_CONFLICT;
    }

    pthread_barrier_destroy(&b);

    if (strict) {
        ok(won == 1 && lost == 1, "%s: one racer wins, one conflicts "
           "(%d won, %d lost)", what, won, lost);

    } else {
        ok(won >= 1 && won + lost == 2, "%s: racers win or conflict "
           "(%d won, %d lost)", what, won, lost);
    }
}


static void
suite_run(suite_open_pt open, size_t big, int strict)
{
    char                      etag[ICETAP_STORE_ETAG_LEN];
    char                      etag2[ICETAP_STORE_ETAG_LEN];
    size_t                    i;
    uint8_t                   hash1[32], hash2[32];
    icetap_rc                 rc;
    icetap_store_kv_t               meta[2];
    suite_gen_t               g;
    suite_list_t              l;
    icetap_buf_t              buf;
    icetap_error_t            err;
    icetap_store_t           *s;
    icetap_store_obj_t        obj;
    icetap_store_source_t     src;
    icetap_store_put_opts_t   opts;
    icetap_store_list_opts_t  lo;

    const char  *batch[] = { "list/a", "list/b", "list/d/1", "nope" };

    memset(&buf, 0, sizeof(buf));
    memset(&opts, 0, sizeof(opts));
    icetap_store_obj_init(&obj);

    s = open();
    ok(s != NULL, "open store");
    if (s == NULL) {
        return;
    }

    /* whole object round trip with metadata */

    meta[0].name = "Owner";
    meta[0].value = "icetap";
    meta[1].name = "x-y";
    meta[1].value = "z";
    opts.meta = meta;
    opts.nmeta = 2;
    opts.content_type = "application/json";

    rc = icetap_store_put_buf(s, "dir/a.json", "{\"a\":1}", 7, &opts, etag,
                              &err);
    is_int(rc, ICETAP_OK, "put small object: %s", err.msg);
    ok(etag[0] != '\0', "put returns an etag (%s)", etag);

    rc = icetap_store_get_buf(s, "dir/a.json", &buf, &err);
    is_int(rc, ICETAP_OK, "get small object");
    ok(buf.len == 7 && memcmp(buf.data, "{\"a\":1}", 7) == 0, "same bytes");

    rc = icetap_store_head(s, "dir/a.json", &obj, &err);
    is_int(rc, ICETAP_OK, "head");
    is_int(obj.size, 7, "head size");
    is_str(obj.etag, etag, "head etag equals put etag");
    ok(obj.last_modified > 1600000000, "head last-modified");
    is_str(obj.content_type, "application/json", "head content type");
    is_str(icetap_store_obj_meta(&obj, "owner"), "icetap", "meta owner");
    is_str(icetap_store_obj_meta(&obj, "x-y"), "z", "meta x-y");
    icetap_store_obj_free(&obj);

    /* ranges */

    buf.len = 0;
    rc = icetap_store_get(s, "dir/a.json", 2, 3,
                          suite_buf_sink, &buf,
                          &obj, &err);
    is_int(rc, ICETAP_OK, "range get");
    ok(buf.len == 3 && memcmp(buf.data, "a\":", 3) == 0, "range bytes");
    is_int(obj.size, 7, "range get reports the whole size");
    icetap_store_obj_free(&obj);

    buf.len = 0;
    rc = icetap_store_get(s, "dir/a.json", 5, -1,
                          suite_buf_sink, &buf,
                          NULL, &err);
    ok(rc == ICETAP_OK && buf.len == 2 && memcmp(buf.data, "1}", 2) == 0,
       "open-ended range");

    rc = icetap_store_get(s, "dir/a.json", 7, 1,
                          suite_buf_sink, &buf,
                          NULL, &err);
    is_int(rc, ICETAP_INVALID, "range past the end: %s", err.msg);

    /* missing objects */

    rc = icetap_store_get_buf(s, "dir/missing", &buf, &err);
    is_int(rc, ICETAP_NOTFOUND, "get missing: %s", err.msg);
    rc = icetap_store_head(s, "dir/missing", &obj, &err);
    is_int(rc, ICETAP_NOTFOUND, "head missing: %s", err.msg);

    /* conditional puts */

    memset(&opts, 0, sizeof(opts));
    opts.if_none_match = 1;

    rc = icetap_store_put_buf(s, "dir/a.json", "x", 1, &opts, NULL, &err);
    is_int(rc, ICETAP_CONFLICT, "If-None-Match on existing: %s", err.msg);

    rc = icetap_store_put_buf(s, "dir/new", "x", 1, &opts, etag2, &err);
    is_int(rc, ICETAP_OK, "If-None-Match on absent: %s", err.msg);

    memset(&opts, 0, sizeof(opts));
    opts.if_match = etag2;

    rc = icetap_store_put_buf(s, "dir/a.json", "y", 1, &opts, NULL, &err);
    is_int(rc, ICETAP_CONFLICT, "If-Match with another etag: %s", err.msg);

    opts.if_match = etag;
    rc = icetap_store_put_buf(s, "dir/a.json", "{\"a\":2}", 7, &opts, etag2,
                              &err);
    is_int(rc, ICETAP_OK, "If-Match with the current etag: %s", err.msg);
    ok(strcmp(etag, etag2) != 0, "new etag after overwrite");

    rc = icetap_store_put_buf(s, "dir/a.json", "z", 1, &opts, NULL, &err);
    is_int(rc, ICETAP_CONFLICT, "If-Match with the stale etag: %s", err.msg);

    opts.if_match = etag2;
    rc = icetap_store_put_buf(s, "dir/none", "z", 1, &opts, NULL, &err);
    is_int(rc, ICETAP_NOTFOUND, "If-Match on a missing key: %s", err.msg);

    /* two racers */

    suite_race(open, "race/create", NULL, "If-None-Match race", strict);

    rc = icetap_store_head(s, "race/create", &obj, &err);
    is_int(rc, ICETAP_OK, "race winner's object exists");
    snprintf(etag, sizeof(etag), "%s", obj.etag);
    icetap_store_obj_free(&obj);

    suite_race(open, "race/create", etag, "If-Match race", strict);

    /* list */

    for (i = 0; i < 5; i++) {
        char  k[32];

        snprintf(k, sizeof(k), "list/%c", (int) ("abcef"[i]));
        icetap_store_put_buf(s, k, "1", 1, NULL, NULL, &err);
    }

    icetap_store_put_buf(s, "list/d/1", "1", 1, NULL, NULL, &err);
    icetap_store_put_buf(s, "list/d/2", "1", 1, NULL, NULL, &err);
    icetap_store_put_buf(s, "list/g/1", "1", 1, NULL, NULL, &err);
    icetap_store_put_buf(s, "listx", "1", 1, NULL, NULL, &err);

    memset(&l, 0, sizeof(l));
    memset(&lo, 0, sizeof(lo));
    lo.prefix = "list/";

    rc = icetap_store_list(s, &lo, suite_page, &l, &err);
    is_int(rc, ICETAP_OK, "list prefix: %s", err.msg);
    is_int(l.nkeys, 8, "list finds 8 keys");
    is_str(l.keys[0], "list/a", "first key");
    is_str(l.keys[4], "list/d/2", "keys in order");
    is_str(l.keys[7], "list/g/1", "last key");

    memset(&l, 0, sizeof(l));
    lo.delimiter = "/";
    lo.max_keys = 2;

    rc = icetap_store_list(s, &lo, suite_page, &l, &err);
    is_int(rc, ICETAP_OK, "list with delimiter, 2 per page");
    is_int(l.nkeys, 5, "5 keys beside the prefixes");
    is_int(l.nprefixes, 2, "2 common prefixes");
    is_str(l.prefixes[0], "list/d/", "prefix d");
    is_str(l.prefixes[1], "list/g/", "prefix g");
    is_str(l.keys[4], "list/f", "keys before and after a prefix");
    is_int(l.npages, 4, "4 pages");
    is_str(l.last_next, "", "last page has no continuation");

    memset(&l, 0, sizeof(l));
    lo.delimiter = NULL;
    lo.max_keys = 3;

    rc = icetap_store_list(s, &lo, suite_first_page, &l, &err);
    ok(rc == ICETAP_OK && l.npages == 1 && l.nkeys == 3,
       "page callback stops the listing");
    ok(l.last_next[0] != '\0', "first page has a continuation");

    lo.continuation = l.last_next;
    memset(&l.keys, 0, sizeof(l.keys));
    i = l.nkeys;

    rc = icetap_store_list(s, &lo, suite_page, &l, &err);
    ok(rc == ICETAP_OK && l.nkeys == 8, "resume from the continuation");
    is_str(l.keys[i], "list/d/1", "resumes after the token");

    memset(&l, 0, sizeof(l));
    memset(&lo, 0, sizeof(lo));
    lo.prefix = "list/";
    lo.start_after = "list/e";

    icetap_store_list(s, &lo, suite_page, &l, &err);
    ok(l.nkeys == 2 && strcmp(l.keys[0], "list/f") == 0, "start-after");

    memset(&l, 0, sizeof(l));
    lo.prefix = "nothing-here/";
    lo.start_after = NULL;

    rc = icetap_store_list(s, &lo, suite_page, &l, &err);
    ok(rc == ICETAP_OK && l.nkeys == 0 && l.npages == 1,
       "empty listing is one empty page");

    /* deletes */

    rc = icetap_store_delete(s, "list/c", &err);
    is_int(rc, ICETAP_OK, "delete");
    rc = icetap_store_head(s, "list/c", &obj, &err);
    is_int(rc, ICETAP_NOTFOUND, "deleted object is gone");
    rc = icetap_store_delete(s, "list/c", &err);
    is_int(rc, ICETAP_OK, "deleting a missing key succeeds");

    rc = icetap_store_delete_batch(s, batch, 4, &err);
    is_int(rc, ICETAP_OK, "batch delete: %s", err.msg);

    memset(&l, 0, sizeof(l));
    memset(&lo, 0, sizeof(lo));
    lo.prefix = "list/";

    icetap_store_list(s, &lo, suite_page, &l, &err);
    ok(l.nkeys == 4 && strcmp(l.keys[0], "list/d/2") == 0,
       "batch delete removed 3 keys (%zu left, first %s)", l.nkeys,
       l.keys[0]);

    /* bad keys */

    rc = icetap_store_put_buf(s, "", "x", 1, NULL, NULL, &err);
    is_int(rc, ICETAP_INVALID, "empty key refused: %s", err.msg);

    /* a streamed object of unknown size, big enough for multipart */

    if (big) {
        icetap_sha256_t  *h;

        g.state = 42;
        g.left = big;
        src.read = suite_gen_read;
        src.ctx = &g;
        src.size = -1;

        rc = icetap_store_put(s, "big/stream", &src, NULL, etag, &err);
        is_int(rc, ICETAP_OK, "put %zu streamed bytes: %s", big, err.msg);

        g.state = 42;
        g.left = big;
        h = icetap_sha256_create();

        while (g.left) {
            uint8_t  chunk[65536];
            size_t   n;

            suite_gen_read(&g, chunk, sizeof(chunk), &n);
            icetap_sha256_update(h, chunk, n);
        }

        icetap_sha256_final(h, hash1);

        rc = icetap_store_get(s, "big/stream", 0, -1,
                              suite_sha_sink, h,
                              &obj, &err);
        icetap_sha256_final(h, hash2);
        icetap_sha256_destroy(h);

        is_int(rc, ICETAP_OK, "get streamed object: %s", err.msg);
        is_int(obj.size, big, "size of streamed object");
        ok(memcmp(hash1, hash2, 32) == 0, "streamed object reads back "
           "byte for byte");
        is_str(obj.etag, etag, "get reports the put etag");
        icetap_store_obj_free(&obj);

        buf.len = 0;
        rc = icetap_store_get(s, "big/stream", big - 10, 100,
                              suite_buf_sink, &buf,
                              NULL, &err);
        ok(rc == ICETAP_OK && buf.len == 10, "range at the tail of a big "
           "object is clipped");
    }

    icetap_buf_free(&buf);
    icetap_store_destroy(s);
}


#endif /* ICETAP_TEST_STORE_SUITE_H */
