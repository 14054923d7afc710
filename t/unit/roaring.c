/*
 * Copyright (C) icetap authors
 *
 * Roaring positions set and its portable serialisations.  Without
 * arguments it runs the unit tests; t/131-roaring.t also uses it as a
 * converter for the cross-check with the npm roaring package:
 *
 *   roaring write POSITIONS OUT    one position per line -> 64-bit format
 *   roaring read IN                64-bit format -> one position per line
 */


#include <stdlib.h>
#include <inttypes.h>

#include <icetap/roaring.h>

#include "tap.h"


typedef struct {
    uint64_t   *v;
    size_t      n;
    size_t      cap;
} vec_t;


static icetap_rc
collect(void *ctx, uint64_t pos)
{
    vec_t     *vec = ctx;
    uint64_t  *nv;

    if (vec->n == vec->cap) {
        vec->cap = vec->cap ? 2 * vec->cap : 1024;
        nv = realloc(vec->v, vec->cap * sizeof(uint64_t));
        if (nv == NULL) {
            return ICETAP_NOMEM;
        }

        vec->v = nv;
    }

    vec->v[vec->n++] = pos;

    return ICETAP_OK;
}


static icetap_rc
print_pos(void *ctx, uint64_t pos)
{
    printf("%" PRIu64 "\n", pos);

    return ICETAP_OK;
}


static int
cli(int argc, char **argv)
{
    FILE                *f;
    long                 size;
    uint8_t             *data;
    uint64_t             pos;
    icetap_buf_t         out;
    icetap_error_t       err;
    icetap_roaring64_t  *r;

    if (argc == 4 && strcmp(argv[1], "write") == 0) {
        f = fopen(argv[2], "r");
        if (f == NULL) {
            perror(argv[2]);
            return 2;
        }

        r = icetap_roaring64_create();

        while (fscanf(f, "%" SCNu64, &pos) == 1) {
            icetap_roaring64_add(r, pos);
        }

        fclose(f);

        memset(&out, 0, sizeof(out));
        icetap_roaring64_serialize(r, &out);

        f = fopen(argv[3], "wb");
        if (f == NULL || fwrite(out.data, 1, out.len, f) != out.len) {
            perror(argv[3]);
            return 2;
        }

        fclose(f);
        icetap_buf_free(&out);
        icetap_roaring64_destroy(r);

        return 0;
    }

    if (argc == 3 && strcmp(argv[1], "read") == 0) {
        f = fopen(argv[2], "rb");
        if (f == NULL) {
            perror(argv[2]);
            return 2;
        }

        fseek(f, 0, SEEK_END);
        size = ftell(f);
        fseek(f, 0, SEEK_SET);

        data = malloc(size + 1);
        if (data == NULL || fread(data, 1, size, f) != (size_t) size) {
            fclose(f);
            return 2;
        }

        fclose(f);

        if (icetap_roaring64_deserialize(data, size, &r, NULL, &err)
            != ICETAP_OK)
        {
            fprintf(stderr, "roaring: %s\n", err.msg);
            free(data);
            return 1;
        }

        icetap_roaring64_iterate(r, print_pos, NULL);
        icetap_roaring64_destroy(r);
        free(data);

        return 0;
    }

    fprintf(stderr, "usage: roaring [write POSITIONS OUT | read IN]\n");

    return 2;
}


static int
round_trip(icetap_roaring64_t *r, const char *what, size_t *size)
{
    int                  same;
    size_t               used, i;
    vec_t                a, b;
    icetap_buf_t         out;
    icetap_error_t       err;
    icetap_roaring64_t  *back;

    memset(&out, 0, sizeof(out));
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));

    icetap_roaring64_serialize(r, &out);
    is_int(out.len, icetap_roaring64_portable_size(r),
           "%s: portable size predicted", what);

    if (icetap_roaring64_deserialize(out.data, out.len, &back, &used, &err)
        != ICETAP_OK)
    {
        ok(0, "%s: deserialise: %s", what, err.msg);
        icetap_buf_free(&out);
        return 0;
    }

    is_int(used, out.len, "%s: every byte consumed", what);

    icetap_roaring64_iterate(r, collect, &a);
    icetap_roaring64_iterate(back, collect, &b);

    same = a.n == b.n;

    for (i = 0; same && i < a.n; i++) {
        same = a.v[i] == b.v[i] && (i == 0 || a.v[i] > a.v[i - 1]);
    }

    ok(same, "%s: %zu positions survive, in order", what, a.n);
    is_int(icetap_roaring64_cardinality(back), a.n, "%s: cardinality",
           what);

    if (size != NULL) {
        *size = out.len;
    }

    free(a.v);
    free(b.v);
    icetap_buf_free(&out);
    icetap_roaring64_destroy(back);

    return same;
}


static void
test_basic(void)
{
    size_t               size;
    uint64_t             max;
    icetap_buf_t         out;
    icetap_roaring64_t  *r, *o;

    static const uint8_t  alt[] = {
        0x01, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0,
        0x3a, 0x30, 0, 0,  0x01, 0, 0, 0,
        0, 0, 0x04, 0,  0x10, 0, 0, 0,
        0x01, 0, 0x03, 0, 0x05, 0, 0x07, 0, 0x09, 0
    };

    memset(&out, 0, sizeof(out));

    r = icetap_roaring64_create();
    ok(r != NULL, "create");

    icetap_roaring64_serialize(r, &out);
    ok(out.len == 8 && memcmp(out.data, "\0\0\0\0\0\0\0\0", 8) == 0,
       "empty set is eight zero bytes");
    ok(!icetap_roaring64_max(r, &max), "empty set has no max");

    icetap_roaring64_add(r, 9);
    icetap_roaring64_add(r, 3);
    icetap_roaring64_add(r, 7);
    icetap_roaring64_add(r, 1);
    icetap_roaring64_add(r, 5);
    icetap_roaring64_add(r, 5);

    is_int(icetap_roaring64_cardinality(r), 5, "five positions");
    ok(icetap_roaring64_contains(r, 7) && !icetap_roaring64_contains(r, 8)
       && !icetap_roaring64_contains(r, 7 + (1ULL << 32)), "contains");
    ok(icetap_roaring64_max(r, &max) && max == 9, "max");

    out.len = 0;
    icetap_roaring64_serialize(r, &out);
    ok(out.len == sizeof(alt) && memcmp(out.data, alt, sizeof(alt)) == 0,
       "{1,3,5,7,9} serialises as the spec's worked example");
    round_trip(r, "alternating", NULL);

    /* OR merges two deletion vectors */

    o = icetap_roaring64_create();
    icetap_roaring64_add(o, 2);
    icetap_roaring64_add(o, 3);
    icetap_roaring64_add(o, (5ULL << 32) + 1);
    icetap_roaring64_or(r, o);
    is_int(icetap_roaring64_cardinality(r), 7, "or adds the new positions");
    ok(icetap_roaring64_contains(r, 2)
       && icetap_roaring64_contains(r, (5ULL << 32) + 1), "or result");
    round_trip(r, "two keys", &size);
    icetap_roaring64_destroy(o);
    icetap_roaring64_destroy(r);

    /* dense: a bitset container */

    r = icetap_roaring64_create();

    for (max = 0; max < 20000; max += 2) {
        icetap_roaring64_add(r, max);
    }

    round_trip(r, "dense (bitset)", &size);
    is_int(size, 8 + 4 + 8 + 8 + 8192, "bitset container is 8 KiB");

    out.len = 0;
    icetap_roaring32_serialize(r, 0, &out);
    ok(out.data[0] == 0x3a && out.data[1] == 0x30, "no runs: cookie 12346");
    icetap_roaring64_destroy(r);

    /* run-heavy: run containers, with and without offsets */

    r = icetap_roaring64_create();
    icetap_roaring64_add_range(r, 0, 300000);
    icetap_roaring64_add_range(r, 400000, 400010);

    round_trip(r, "runs over six containers", &size);

    out.len = 0;
    icetap_roaring32_serialize(r, 0, &out);
    ok(out.data[0] == 0x3b && out.data[1] == 0x30, "runs: cookie 12347");
    is_int(out.data[2] | out.data[3] << 8, 5, "runs: n - 1 in the cookie");
    is_int(size, 12 + 4 + 1 + 6 * 4 + 6 * 4 + 6 * 6, "run containers are "
           "6 bytes each");
    icetap_roaring64_destroy(r);

    r = icetap_roaring64_create();
    icetap_roaring64_add_range(r, 100, 200);
    icetap_roaring64_add(r, 70000);
    round_trip(r, "runs below the offset threshold", &size);
    is_int(size, 12 + 4 + 1 + 2 * 4 + 6 + 2, "no offsets below 4 "
           "containers");
    icetap_roaring64_destroy(r);

    /* positions past 2^32, in several keys, added out of order */

    r = icetap_roaring64_create();
    icetap_roaring64_add(r, (7ULL << 32) + 65536 * 3 + 1);
    icetap_roaring64_add(r, 42);
    icetap_roaring64_add(r, (2ULL << 32));
    icetap_roaring64_add(r, UINT32_MAX);
    round_trip(r, "several keys", NULL);
    icetap_roaring64_destroy(r);

    icetap_buf_free(&out);
}


static void
test_random(void)
{
    int                  i, k;
    uint64_t             x;
    icetap_roaring64_t  *r;

    x = 88172645463325252ULL;

    for (k = 0; k < 6; k++) {
        r = icetap_roaring64_create();

        for (i = 0; i < 30000; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;

            /* mixes of sparse, dense and run-like regions */

            switch (k % 3) {
            case 0:
                icetap_roaring64_add(r, x % 5000000);
                break;
            case 1:
                icetap_roaring64_add(r, x % 100000);
                break;
            default:
                icetap_roaring64_add_range(r, x % 3000000,
                                           x % 3000000 + (x >> 60));
            }
        }

        round_trip(r, k % 3 == 0 ? "random sparse"
                      : k % 3 == 1 ? "random dense" : "random runs", NULL);
        icetap_roaring64_destroy(r);
    }
}


static void
test_malformed(void)
{
    int                  crashed_not, rejected;
    size_t               i, bad;
    uint8_t             *copy;
    uint64_t             x;
    icetap_rc            rc;
    icetap_buf_t         out;
    icetap_error_t       err;
    icetap_roaring64_t  *r, *back;

    memset(&out, 0, sizeof(out));

    r = icetap_roaring64_create();
    icetap_roaring64_add_range(r, 0, 3000);
    icetap_roaring64_add_range(r, 200000, 200100);
    icetap_roaring64_add(r, (3ULL << 32) + 5);

    for (x = 300000; x < 310000; x += 2) {
        icetap_roaring64_add(r, x);
    }

    for (x = 400000; x < 400100; x += 7) {
        icetap_roaring64_add(r, x);
    }

    icetap_roaring64_serialize(r, &out);

    /* truncations are refused, never read past */

    bad = 0;

    for (i = 0; i < out.len; i += (i < 256 || out.len - i < 256) ? 1 : 61) {
        copy = malloc(i + 1);
        memcpy(copy, out.data, i);

        rc = icetap_roaring64_deserialize(copy, i, &back, NULL, &err);

        if (rc == ICETAP_OK) {
            bad++;
            icetap_roaring64_destroy(back);
        }

        free(copy);
    }

    is_int(bad, 0, "truncations of %zu bytes refused", out.len);

    rc = icetap_roaring64_deserialize(out.data, 3, &back, NULL, &err);
    ok(rc == ICETAP_INVALID && back == NULL, "short input: %s", err.msg);

    copy = malloc(out.len);

    memcpy(copy, out.data, out.len);
    copy[12] = 0x99;
    rc = icetap_roaring64_deserialize(copy, out.len, &back, NULL, &err);
    ok(rc == ICETAP_INVALID, "bad cookie: %s", err.msg);

    memcpy(copy, out.data, out.len);
    copy[0] = 0xff;
    copy[7] = 0x7f;
    rc = icetap_roaring64_deserialize(copy, out.len, &back, NULL, &err);
    ok(rc == ICETAP_INVALID, "huge bitmap count: %s", err.msg);

    /* random corruption: accepted or refused, but never a crash */

    x = 1;
    crashed_not = 0;
    rejected = 0;

    for (i = 0; i < 2000; i++) {
        memcpy(copy, out.data, out.len);

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        copy[x % out.len] ^= (uint8_t) (1 + (x >> 40) % 255);

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        copy[(x >> 3) % 64] ^= (uint8_t) (x >> 56);

        rc = icetap_roaring64_deserialize(copy, out.len, &back, NULL, &err);

        if (rc == ICETAP_OK) {
            icetap_roaring64_destroy(back);

        } else {
            rejected++;
        }

        crashed_not++;
    }

    ok(crashed_not == 2000 && rejected > 0, "2000 corrupted inputs handled "
       "(%d refused)", rejected);

    free(copy);
    icetap_buf_free(&out);
    icetap_roaring64_destroy(r);
}


int
main(int argc, char **argv)
{
    if (argc > 1) {
        return cli(argc, argv);
    }

    test_basic();
    test_random();
    test_malformed();

    return done_testing();
}
