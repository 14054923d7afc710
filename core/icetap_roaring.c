/*
 * Copyright (C) icetap authors
 *
 * In memory a set is a sorted array of 32-bit buckets (high 32 bits), each
 * a sorted array of containers (next 16 bits) held either as a sorted
 * uint16 array (cardinality <= 4096) or as a 65536-bit bitset.  Run
 * containers exist only on the wire: the writer picks, per container, the
 * smallest of array, bitset and run, as CRoaring's run optimisation does.
 */


#include <string.h>

#include <icetap/roaring.h>


#define ICETAP_RB_ARRAY_MAX     4096
#define ICETAP_RB_BITSET_WORDS  1024
#define ICETAP_RB_BITSET_BYTES  8192
#define ICETAP_RB_COOKIE        12346
#define ICETAP_RB_COOKIE_RUN    12347
#define ICETAP_RB_NO_OFFSET     4


typedef struct {
    uint16_t        key;
    uint8_t         bitset;
    uint32_t        card;
    uint32_t        cap;
    uint16_t       *array;
    uint64_t       *bits;
} icetap_rb_container_t;


typedef struct {
    uint32_t                key;
    size_t                  n;
    size_t                  cap;
    icetap_rb_container_t  *c;
} icetap_rb_bucket_t;


struct icetap_roaring64_s {
    size_t                  n;
    size_t                  cap;
    icetap_rb_bucket_t     *b;
};


typedef struct {
    const uint8_t  *p;
    size_t          len;
    size_t          pos;
} icetap_rb_reader_t;


static icetap_rb_bucket_t *icetap_rb_bucket(icetap_roaring64_t *r,
    uint32_t key, int create);
static icetap_rb_container_t *icetap_rb_container(icetap_rb_bucket_t *b,
    uint16_t key, int create);
static icetap_rc icetap_rb_container_add(icetap_rb_container_t *c,
    uint16_t v);
static icetap_rc icetap_rb_to_bitset(icetap_rb_container_t *c);
static int icetap_rb_container_contains(const icetap_rb_container_t *c,
    uint16_t v);
static uint32_t icetap_rb_runs(const icetap_rb_container_t *c);
static size_t icetap_rb_bucket_size(const icetap_rb_bucket_t *b);
static icetap_rc icetap_rb_write_bucket(const icetap_rb_bucket_t *b,
    icetap_buf_t *out);
static void icetap_rb_free_bucket(icetap_rb_bucket_t *b);


icetap_roaring64_t *
icetap_roaring64_create(void)
{
    return icetap_calloc(1, sizeof(icetap_roaring64_t));
}


static void
icetap_rb_free_bucket(icetap_rb_bucket_t *b)
{
    size_t  i;

    for (i = 0; i < b->n; i++) {
        icetap_free(b->c[i].array);
        icetap_free(b->c[i].bits);
    }

    icetap_free(b->c);
}


void
icetap_roaring64_destroy(icetap_roaring64_t *r)
{
    size_t  i;

    if (r == NULL) {
        return;
    }

    for (i = 0; i < r->n; i++) {
        icetap_rb_free_bucket(&r->b[i]);
    }

    icetap_free(r->b);
    icetap_free(r);
}


static icetap_rb_bucket_t *
icetap_rb_bucket(icetap_roaring64_t *r, uint32_t key, int create)
{
    size_t               lo, hi, mid;
    icetap_rb_bucket_t  *nb;

    lo = 0;
    hi = r->n;

    /* appending in order is the common case */

    if (r->n && r->b[r->n - 1].key < key) {
        lo = r->n;

    } else {
        while (lo < hi) {
            mid = (lo + hi) / 2;

            if (r->b[mid].key < key) {
                lo = mid + 1;

            } else {
                hi = mid;
            }
        }

        if (lo < r->n && r->b[lo].key == key) {
            return &r->b[lo];
        }
    }

    if (!create) {
        return NULL;
    }

    if (r->n == r->cap) {
        nb = icetap_realloc(r->b, (r->cap ? 2 * r->cap : 4)
                                  * sizeof(icetap_rb_bucket_t));
        if (nb == NULL) {
            return NULL;
        }

        r->b = nb;
        r->cap = r->cap ? 2 * r->cap : 4;
    }

    memmove(&r->b[lo + 1], &r->b[lo], (r->n - lo) * sizeof(*r->b));
    memset(&r->b[lo], 0, sizeof(*r->b));
    r->b[lo].key = key;
    r->n++;

    return &r->b[lo];
}


static icetap_rb_container_t *
icetap_rb_container(icetap_rb_bucket_t *b, uint16_t key, int create)
{
    size_t                  lo, hi, mid;
    icetap_rb_container_t  *nc;

    lo = 0;
    hi = b->n;

    if (b->n && b->c[b->n - 1].key < key) {
        lo = b->n;

    } else {
        while (lo < hi) {
            mid = (lo + hi) / 2;

            if (b->c[mid].key < key) {
                lo = mid + 1;

            } else {
                hi = mid;
            }
        }

        if (lo < b->n && b->c[lo].key == key) {
            return &b->c[lo];
        }
    }

    if (!create) {
        return NULL;
    }

    if (b->n == b->cap) {
        nc = icetap_realloc(b->c, (b->cap ? 2 * b->cap : 4)
                                  * sizeof(icetap_rb_container_t));
        if (nc == NULL) {
            return NULL;
        }

        b->c = nc;
        b->cap = b->cap ? 2 * b->cap : 4;
    }

    memmove(&b->c[lo + 1], &b->c[lo], (b->n - lo) * sizeof(*b->c));
    memset(&b->c[lo], 0, sizeof(*b->c));
    b->c[lo].key = key;
    b->n++;

    return &b->c[lo];
}


static icetap_rc
icetap_rb_to_bitset(icetap_rb_container_t *c)
{
    uint32_t   i;
    uint64_t  *bits;

    bits = icetap_calloc(ICETAP_RB_BITSET_WORDS, sizeof(uint64_t));
    if (bits == NULL) {
        return ICETAP_NOMEM;
    }

    for (i = 0; i < c->card; i++) {
        bits[c->array[i] >> 6] |= (uint64_t) 1 << (c->array[i] & 63);
    }

    icetap_free(c->array);
    c->array = NULL;
    c->cap = 0;
    c->bits = bits;
    c->bitset = 1;

    return ICETAP_OK;
}


static icetap_rc
icetap_rb_container_add(icetap_rb_container_t *c, uint16_t v)
{
    uint32_t   lo, hi, mid, cap;
    uint16_t  *na;
    uint64_t   bit;

    if (c->bitset) {
        bit = (uint64_t) 1 << (v & 63);

        if (!(c->bits[v >> 6] & bit)) {
            c->bits[v >> 6] |= bit;
            c->card++;
        }

        return ICETAP_OK;
    }

    lo = 0;
    hi = c->card;

    if (c->card && c->array[c->card - 1] < v) {
        lo = c->card;

    } else {
        while (lo < hi) {
            mid = (lo + hi) / 2;

            if (c->array[mid] < v) {
                lo = mid + 1;

            } else {
                hi = mid;
            }
        }

        if (lo < c->card && c->array[lo] == v) {
            return ICETAP_OK;
        }
    }

    if (c->card == ICETAP_RB_ARRAY_MAX) {
        if (icetap_rb_to_bitset(c) != ICETAP_OK) {
            return ICETAP_NOMEM;
        }

        return icetap_rb_container_add(c, v);
    }

    if (c->card == c->cap) {
        cap = c->cap ? icetap_min(2 * c->cap, ICETAP_RB_ARRAY_MAX) : 4;

        na = icetap_realloc(c->array, cap * sizeof(uint16_t));
        if (na == NULL) {
            return ICETAP_NOMEM;
        }

        c->array = na;
        c->cap = cap;
    }

    memmove(&c->array[lo + 1], &c->array[lo],
            (c->card - lo) * sizeof(uint16_t));
    c->array[lo] = v;
    c->card++;

    return ICETAP_OK;
}


icetap_rc
icetap_roaring64_add(icetap_roaring64_t *r, uint64_t pos)
{
    icetap_rb_bucket_t     *b;
    icetap_rb_container_t  *c;

    b = icetap_rb_bucket(r, (uint32_t) (pos >> 32), 1);
    if (b == NULL) {
        return ICETAP_NOMEM;
    }

    c = icetap_rb_container(b, (uint16_t) (pos >> 16), 1);
    if (c == NULL) {
        return ICETAP_NOMEM;
    }

    return icetap_rb_container_add(c, (uint16_t) pos);
}


icetap_rc
icetap_roaring64_add_range(icetap_roaring64_t *r, uint64_t from, uint64_t to)
{
    icetap_rc  rc;

    for ( /* void */ ; from < to; from++) {
        rc = icetap_roaring64_add(r, from);
        if (rc != ICETAP_OK) {
            return rc;
        }
    }

    return ICETAP_OK;
}


static int
icetap_rb_container_contains(const icetap_rb_container_t *c, uint16_t v)
{
    uint32_t  lo, hi, mid;

    if (c->bitset) {
        return (c->bits[v >> 6] >> (v & 63)) & 1;
    }

    lo = 0;
    hi = c->card;

    while (lo < hi) {
        mid = (lo + hi) / 2;

        if (c->array[mid] < v) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return lo < c->card && c->array[lo] == v;
}


int
icetap_roaring64_contains(const icetap_roaring64_t *r, uint64_t pos)
{
    icetap_rb_bucket_t     *b;
    icetap_rb_container_t  *c;

    b = icetap_rb_bucket((icetap_roaring64_t *) r, (uint32_t) (pos >> 32),
                         0);
    if (b == NULL) {
        return 0;
    }

    c = icetap_rb_container(b, (uint16_t) (pos >> 16), 0);
    if (c == NULL) {
        return 0;
    }

    return icetap_rb_container_contains(c, (uint16_t) pos);
}


uint64_t
icetap_roaring64_cardinality(const icetap_roaring64_t *r)
{
    size_t    i, j;
    uint64_t  n;

    n = 0;

    for (i = 0; i < r->n; i++) {
        for (j = 0; j < r->b[i].n; j++) {
            n += r->b[i].c[j].card;
        }
    }

    return n;
}


int
icetap_roaring64_max(const icetap_roaring64_t *r, uint64_t *max)
{
    int                           w;
    size_t                        i, j;
    const icetap_rb_container_t  *c;

    for (i = r->n; i > 0; i--) {
        for (j = r->b[i - 1].n; j > 0; j--) {
            c = &r->b[i - 1].c[j - 1];

            if (c->card == 0) {
                continue;
            }

            *max = (uint64_t) r->b[i - 1].key << 32 | (uint64_t) c->key << 16;

            if (!c->bitset) {
                *max |= c->array[c->card - 1];
                return 1;
            }

            for (w = ICETAP_RB_BITSET_WORDS - 1; w >= 0; w--) {
                if (c->bits[w]) {
                    *max |= (uint64_t) w * 64 + 63
                            - __builtin_clzll(c->bits[w]);
                    return 1;
                }
            }
        }
    }

    return 0;
}


icetap_rc
icetap_roaring64_iterate(const icetap_roaring64_t *r,
    icetap_roaring_iter_pt cb, void *ctx)
{
    size_t                        i, j;
    uint32_t                      k, w;
    uint64_t                      base, word;
    icetap_rc                     rc;
    const icetap_rb_container_t  *c;

    for (i = 0; i < r->n; i++) {
        for (j = 0; j < r->b[i].n; j++) {
            c = &r->b[i].c[j];
            base = (uint64_t) r->b[i].key << 32 | (uint64_t) c->key << 16;

            if (!c->bitset) {
                for (k = 0; k < c->card; k++) {
                    rc = cb(ctx, base | c->array[k]);
                    if (rc != ICETAP_OK) {
                        return rc;
                    }
                }

                continue;
            }

            for (w = 0; w < ICETAP_RB_BITSET_WORDS; w++) {
                for (word = c->bits[w]; word; word &= word - 1) {
                    rc = cb(ctx, base | (w * 64 + __builtin_ctzll(word)));
                    if (rc != ICETAP_OK) {
                        return rc;
                    }
                }
            }
        }
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_rb_or_cb(void *ctx, uint64_t pos)
{
    return icetap_roaring64_add(ctx, pos);
}


icetap_rc
icetap_roaring64_or(icetap_roaring64_t *dst, const icetap_roaring64_t *src)
{
    return icetap_roaring64_iterate(src, icetap_rb_or_cb, dst);
}


/* number of maximal runs of consecutive values */

static uint32_t
icetap_rb_runs(const icetap_rb_container_t *c)
{
    uint32_t  i, n;
    uint64_t  w, prev;

    n = 0;

    if (!c->bitset) {
        for (i = 0; i < c->card; i++) {
            if (i == 0 || c->array[i] != c->array[i - 1] + 1) {
                n++;
            }
        }

        return n;
    }

    prev = 0;

    for (i = 0; i < ICETAP_RB_BITSET_WORDS; i++) {
        w = c->bits[i];

        /* a run starts at a set bit whose lower neighbour is clear */

        n += __builtin_popcountll(w & ~((w << 1) | prev));
        prev = w >> 63;
    }

    return n;
}


typedef enum {
    ICETAP_RB_W_ARRAY,
    ICETAP_RB_W_BITSET,
    ICETAP_RB_W_RUN
} icetap_rb_wtype_e;


static icetap_rb_wtype_e
icetap_rb_best(const icetap_rb_container_t *c, size_t *size)
{
    size_t  plain, run;

    plain = c->card <= ICETAP_RB_ARRAY_MAX ? 2 * (size_t) c->card
                                            : ICETAP_RB_BITSET_BYTES;
    run = 2 + 4 * (size_t) icetap_rb_runs(c);

    if (run < plain) {
        *size = run;
        return ICETAP_RB_W_RUN;
    }

    *size = plain;

    return c->card <= ICETAP_RB_ARRAY_MAX ? ICETAP_RB_W_ARRAY
                                           : ICETAP_RB_W_BITSET;
}


static size_t
icetap_rb_bucket_size(const icetap_rb_bucket_t *b)
{
    int     has_run;
    size_t  i, n, size, csize;

    has_run = 0;
    size = 0;
    n = 0;

    for (i = 0; i < b->n; i++) {
        if (b->c[i].card == 0) {
            continue;
        }

        n++;

        if (icetap_rb_best(&b->c[i], &csize) == ICETAP_RB_W_RUN) {
            has_run = 1;
        }

        size += csize;
    }

    if (n == 0) {
        return 8;
    }

    if (has_run) {
        return 4 + (n + 7) / 8 + 4 * n + (n >= ICETAP_RB_NO_OFFSET ? 4 * n : 0)
               + size;
    }

    return 8 + 8 * n + size;
}


size_t
icetap_roaring64_portable_size(const icetap_roaring64_t *r)
{
    size_t  i, j, size;

    size = 8;

    for (i = 0; i < r->n; i++) {
        for (j = 0; j < r->b[i].n; j++) {
            if (r->b[i].c[j].card) {
                size += 4 + icetap_rb_bucket_size(&r->b[i]);
                break;
            }
        }
    }

    return size;
}


static void
icetap_rb_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t) v;
    p[1] = (uint8_t) (v >> 8);
}


static void
icetap_rb_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t) v;
    p[1] = (uint8_t) (v >> 8);
    p[2] = (uint8_t) (v >> 16);
    p[3] = (uint8_t) (v >> 24);
}


static uint16_t
icetap_rb_get16(const uint8_t *p)
{
    return (uint16_t) (p[0] | p[1] << 8);
}


static uint32_t
icetap_rb_get32(const uint8_t *p)
{
    return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16
           | (uint32_t) p[3] << 24;
}


static size_t
icetap_rb_write_runs(const icetap_rb_container_t *c, uint8_t *p)
{
    uint32_t  i, v, start, prev, nruns, started;
    uint8_t  *q;

    q = p + 2;
    nruns = 0;
    started = 0;
    start = 0;
    prev = 0;

    for (i = 0; i < (c->bitset ? 65536u : c->card); i++) {
        if (c->bitset) {
            if (!((c->bits[i >> 6] >> (i & 63)) & 1)) {
                continue;
            }

            v = i;

        } else {
            v = c->array[i];
        }

        if (started && v == prev + 1) {
            prev = v;
            continue;
        }

        if (started) {
            icetap_rb_put16(q, (uint16_t) start);
            icetap_rb_put16(q + 2, (uint16_t) (prev - start));
            q += 4;
            nruns++;
        }

        started = 1;
        start = v;
        prev = v;
    }

    if (started) {
        icetap_rb_put16(q, (uint16_t) start);
        icetap_rb_put16(q + 2, (uint16_t) (prev - start));
        q += 4;
        nruns++;
    }

    icetap_rb_put16(p, (uint16_t) nruns);

    return q - p;
}


static icetap_rc
icetap_rb_write_bucket(const icetap_rb_bucket_t *b, icetap_buf_t *out)
{
    int                 has_run;
    size_t              i, k, n, size, csize, off, hdr;
    uint8_t            *p, *start;
    icetap_rb_wtype_e   t;

    size = icetap_rb_bucket_size(b);

    if (icetap_buf_reserve(out, size) != ICETAP_OK) {
        return ICETAP_NOMEM;
    }

    start = out->data + out->len;
    memset(start, 0, size);

    has_run = 0;
    n = 0;

    for (i = 0; i < b->n; i++) {
        if (b->c[i].card == 0) {
            continue;
        }

        n++;

        if (icetap_rb_best(&b->c[i], &csize) == ICETAP_RB_W_RUN) {
            has_run = 1;
        }
    }

    if (has_run) {
        icetap_rb_put32(start, ICETAP_RB_COOKIE_RUN | (uint32_t) (n - 1) << 16);
        p = start + 4;
        hdr = 4 + (n + 7) / 8;

    } else {
        icetap_rb_put32(start, ICETAP_RB_COOKIE);
        icetap_rb_put32(start + 4, (uint32_t) n);
        p = start + 8;
        hdr = 8;
    }

    /* run flags, descriptive header, offsets */

    off = hdr + 4 * n + ((!has_run || n >= ICETAP_RB_NO_OFFSET) ? 4 * n : 0);

    for (i = 0, k = 0; i < b->n; i++) {
        const icetap_rb_container_t  *c = &b->c[i];

        if (c->card == 0) {
            continue;
        }

        t = icetap_rb_best(c, &csize);

        if (has_run && t == ICETAP_RB_W_RUN) {
            p[k / 8] |= (uint8_t) (1 << (k % 8));
        }

        icetap_rb_put16(start + hdr + 4 * k, c->key);
        icetap_rb_put16(start + hdr + 4 * k + 2, (uint16_t) (c->card - 1));

        if (!has_run || n >= ICETAP_RB_NO_OFFSET) {
            icetap_rb_put32(start + hdr + 4 * n + 4 * k, (uint32_t) off);
        }

        if (t == ICETAP_RB_W_RUN) {
            icetap_rb_write_runs(c, start + off);

        } else if (t == ICETAP_RB_W_ARRAY) {
            uint32_t  j;

            for (j = 0; j < c->card; j++) {
                icetap_rb_put16(start + off + 2 * j,
                                c->bitset ? 0 : c->array[j]);
            }

            if (c->bitset) {
                uint32_t  w, m;
                uint64_t  word;

                m = 0;

                for (w = 0; w < ICETAP_RB_BITSET_WORDS; w++) {
                    for (word = c->bits[w]; word; word &= word - 1) {
                        icetap_rb_put16(start + off + 2 * m++,
                                  (uint16_t) (w * 64 + __builtin_ctzll(word)));
                    }
                }
            }

        } else {
            uint32_t  w, j;

            for (w = 0; w < ICETAP_RB_BITSET_WORDS; w++) {
                uint64_t  word = 0;

                if (c->bitset) {
                    word = c->bits[w];

                } else {
                    for (j = 0; j < c->card; j++) {
                        if ((c->array[j] >> 6) == w) {
                            word |= (uint64_t) 1 << (c->array[j] & 63);
                        }
                    }
                }

                icetap_rb_put32(start + off + 8 * w, (uint32_t) word);
                icetap_rb_put32(start + off + 8 * w + 4,
                                (uint32_t) (word >> 32));
            }
        }

        off += csize;
        k++;
    }

    out->len += size;

    return ICETAP_OK;
}


icetap_rc
icetap_roaring32_serialize(const icetap_roaring64_t *r, uint32_t key,
    icetap_buf_t *out)
{
    icetap_rb_bucket_t   empty;
    icetap_rb_bucket_t  *b;

    b = icetap_rb_bucket((icetap_roaring64_t *) r, key, 0);

    if (b == NULL) {
        memset(&empty, 0, sizeof(empty));
        b = &empty;
    }

    return icetap_rb_write_bucket(b, out);
}


icetap_rc
icetap_roaring64_serialize(const icetap_roaring64_t *r, icetap_buf_t *out)
{
    size_t   i, j, n;
    uint8_t  hdr[8];

    n = 0;

    for (i = 0; i < r->n; i++) {
        for (j = 0; j < r->b[i].n; j++) {
            if (r->b[i].c[j].card) {
                n++;
                break;
            }
        }
    }

    icetap_rb_put32(hdr, (uint32_t) n);
    icetap_rb_put32(hdr + 4, (uint32_t) ((uint64_t) n >> 32));

    if (icetap_buf_append(out, hdr, 8) != ICETAP_OK) {
        return ICETAP_NOMEM;
    }

    for (i = 0; i < r->n; i++) {
        for (j = 0; j < r->b[i].n; j++) {
            if (r->b[i].c[j].card) {
                break;
            }
        }

        if (j == r->b[i].n) {
            continue;
        }

        icetap_rb_put32(hdr, r->b[i].key);

        if (icetap_buf_append(out, hdr, 4) != ICETAP_OK
            || icetap_rb_write_bucket(&r->b[i], out) != ICETAP_OK)
        {
            return ICETAP_NOMEM;
        }
    }

    return ICETAP_OK;
}


/* reading */


icetap_rc
icetap_roaring32_deserialize(const uint8_t *p, size_t len, uint32_t key,
    icetap_roaring64_t *r, size_t *used, icetap_error_t *err)
{
    int                     has_run;
    size_t                  n, i, hdr, off, need, flags, desc;
    uint32_t                cookie, card, j, nruns, start, rlen, total;
    uint32_t                prev_end, w, ckey, prev_key;
    uint64_t                word, base;
    icetap_rc               rc;
    const uint8_t          *c;

    if (len < 4) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "roaring bitmap truncated in its cookie");
    }

    cookie = icetap_rb_get32(p);

    if ((cookie & 0xffff) == ICETAP_RB_COOKIE_RUN) {
        has_run = 1;
        n = (cookie >> 16) + 1;
        flags = 4;
        desc = 4 + (n + 7) / 8;

    } else if (cookie == ICETAP_RB_COOKIE) {
        if (len < 8) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "roaring bitmap truncated in its "
                                    "container count");
        }

        has_run = 0;
        n = icetap_rb_get32(p + 4);
        flags = 0;
        desc = 8;

        if (n > 65536) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "roaring bitmap claims %zu containers",
                                    n);
        }

    } else {
        return icetap_error_set(err, ICETAP_INVALID,
                                "bad roaring cookie 0x%08x", cookie);
    }

    hdr = desc + 4 * n;

    if (!has_run || n >= ICETAP_RB_NO_OFFSET) {
        hdr += 4 * n;
    }

    if (hdr > len) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "roaring bitmap truncated in its header "
                                "(%zu containers, %zu bytes)", n, len);
    }

    off = hdr;
    prev_key = 0;
    base = (uint64_t) key << 32;

    for (i = 0; i < n; i++) {
        ckey = icetap_rb_get16(p + desc + 4 * i);
        card = (uint32_t) icetap_rb_get16(p + desc + 4 * i + 2) + 1;

        if (i > 0 && ckey <= prev_key) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "roaring container keys not ascending "
                                    "(%u after %u)", ckey, prev_key);
        }

        prev_key = ckey;

        if (!has_run || n >= ICETAP_RB_NO_OFFSET) {
            if (icetap_rb_get32(p + desc + 4 * n + 4 * i) != off) {
                return icetap_error_set(err, ICETAP_INVALID,
                                        "roaring container %zu offset %u, "
                                        "expected %zu", i,
                                        icetap_rb_get32(p + desc + 4 * n
                                                        + 4 * i), off);
            }
        }

        c = p + off;

        if (has_run && (p[flags + i / 8] >> (i % 8)) & 1) {
            if (off + 2 > len) {
                goto truncated;
            }

            nruns = icetap_rb_get16(c);
            need = 2 + 4 * (size_t) nruns;

            if (off + need > len) {
                goto truncated;
            }

            total = 0;
            prev_end = 0;

            for (j = 0; j < nruns; j++) {
                start = icetap_rb_get16(c + 2 + 4 * j);
                rlen = icetap_rb_get16(c + 4 + 4 * j);

                if (start + rlen > 65535 || (j > 0 && start <= prev_end)) {
                    return icetap_error_set(err, ICETAP_INVALID,
                                            "roaring run container %zu has "
                                            "a bad run %u+%u", i, start,
                                            rlen);
                }

                prev_end = start + rlen + 1;
                total += rlen + 1;

                for (w = start; w <= start + rlen; w++) {
                    rc = icetap_roaring64_add(r, base | ckey << 16 | w);
                    if (rc != ICETAP_OK) {
                        return icetap_error_set(err, rc, "no memory");
                    }
                }
            }

            if (total != card) {
                return icetap_error_set(err, ICETAP_INVALID,
                                        "roaring run container %zu holds "
                                        "%u values, header says %u", i,
                                        total, card);
            }

        } else if (card > ICETAP_RB_ARRAY_MAX) {
            need = ICETAP_RB_BITSET_BYTES;

            if (off + need > len) {
                goto truncated;
            }

            total = 0;

            for (w = 0; w < ICETAP_RB_BITSET_WORDS; w++) {
                word = (uint64_t) icetap_rb_get32(c + 8 * w)
                       | (uint64_t) icetap_rb_get32(c + 8 * w + 4) << 32;
                total += __builtin_popcountll(word);

                for ( /* void */ ; word; word &= word - 1) {
                    rc = icetap_roaring64_add(r, base | ckey << 16
                                                 | (w * 64
                                                    + __builtin_ctzll(word)));
                    if (rc != ICETAP_OK) {
                        return icetap_error_set(err, rc, "no memory");
                    }
                }
            }

            if (total != card) {
                return icetap_error_set(err, ICETAP_INVALID,
                                        "roaring bitset container %zu holds "
                                        "%u values, header says %u", i,
                                        total, card);
            }

        } else {
            need = 2 * (size_t) card;

            if (off + need > len) {
                goto truncated;
            }

            for (j = 0; j < card; j++) {
                w = icetap_rb_get16(c + 2 * j);

                if (j > 0 && w <= icetap_rb_get16(c + 2 * j - 2)) {
                    return icetap_error_set(err, ICETAP_INVALID,
                                            "roaring array container %zu "
                                            "not strictly ascending", i);
                }

                rc = icetap_roaring64_add(r, base | ckey << 16 | w);
                if (rc != ICETAP_OK) {
                    return icetap_error_set(err, rc, "no memory");
                }
            }
        }

        off += need;
    }

    if (used != NULL) {
        *used = off;
    }

    return ICETAP_OK;

truncated:

    return icetap_error_set(err, ICETAP_INVALID,
                            "roaring container %zu truncated at offset %zu "
                            "of %zu bytes", i, off, len);
}


icetap_rc
icetap_roaring64_deserialize(const uint8_t *p, size_t len,
    icetap_roaring64_t **out, size_t *used, icetap_error_t *err)
{
    size_t               off, n32;
    uint32_t             key;
    uint64_t             n, i;
    icetap_rc            rc;
    icetap_roaring64_t  *r;

    *out = NULL;

    if (len < 8) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "64-bit roaring bitmap shorter than its "
                                "8-byte count");
    }

    n = (uint64_t) icetap_rb_get32(p) | (uint64_t) icetap_rb_get32(p + 4) << 32;

    /* each bitmap takes at least 4 + 8 bytes */

    if (n > (len - 8) / 12) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "64-bit roaring bitmap claims %llu bitmaps "
                                "in %zu bytes", (unsigned long long) n, len);
    }

    r = icetap_roaring64_create();
    if (r == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "no memory");
    }

    off = 8;

    for (i = 0; i < n; i++) {
        if (off + 4 > len) {
            rc = icetap_error_set(err, ICETAP_INVALID,
                                  "64-bit roaring bitmap truncated at "
                                  "bitmap %llu", (unsigned long long) i);
            goto failed;
        }

        key = icetap_rb_get32(p + off);

        if (i > 0 && r->n > 0 && key <= r->b[r->n - 1].key) {
            rc = icetap_error_set(err, ICETAP_INVALID,
                                  "64-bit roaring keys not ascending (%u "
                                  "after %u)", key, r->b[r->n - 1].key);
            goto failed;
        }

        off += 4;

        rc = icetap_roaring32_deserialize(p + off, len - off, key, r, &n32,
                                          err);
        if (rc != ICETAP_OK) {
            goto failed;
        }

        /* an empty bitmap still fixes the key order */

        if (icetap_rb_bucket(r, key, 1) == NULL) {
            rc = icetap_error_set(err, ICETAP_NOMEM, "no memory");
            goto failed;
        }

        off += n32;
    }

    if (used != NULL) {
        *used = off;
    }

    *out = r;

    return ICETAP_OK;

failed:

    icetap_roaring64_destroy(r);

    return rc;
}
