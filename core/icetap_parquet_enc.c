/*
 * Copyright (C) icetap authors
 *
 * Parquet value encodings (RLE/bit-packed hybrid, the DELTA family) and
 * page compression (snappy, gzip, zstd).
 */

#include <string.h>
#include <zstd.h>
#include <zlib.h>
#include <snappy-c.h>

#include "icetap_parquet.h"


static void icetap_pq_put_varint(uint8_t **p, uint64_t v);
static icetap_rc icetap_pq_bitpack(icetap_buf_t *out, const uint8_t *v8,
    const uint32_t *v32, size_t start, size_t n, size_t groups, int width);
static icetap_rc icetap_pq_get_varint(const uint8_t **p, const uint8_t *end,
    uint64_t *v);


int
icetap_pq_bit_width(uint32_t max)
{
    int  w;

    for (w = 0; max; w++) {
        max >>= 1;
    }

    return w;
}


static void
icetap_pq_put_varint(uint8_t **p, uint64_t v)
{
    uint8_t  *q;

    q = *p;

    while (v >= 0x80) {
        *q++ = (uint8_t) (v | 0x80);
        v >>= 7;
    }

    *q++ = (uint8_t) v;
    *p = q;
}


#define icetap_pq_val(i)  (v8 ? (uint32_t) v8[i] : v32[i])


static icetap_rc
icetap_pq_bitpack(icetap_buf_t *out, const uint8_t *v8, const uint32_t *v32,
    size_t start, size_t n, size_t groups, int width)
{
    int       nbits;
    size_t    k, end;
    uint8_t  *p;
    uint64_t  acc, x;

    if (icetap_buf_reserve(out, 10 + groups * width) != ICETAP_OK) {
        return ICETAP_NOMEM;
    }

    p = out->data + out->len;
    icetap_pq_put_varint(&p, (groups << 1) | 1);

    acc = 0;
    nbits = 0;
    end = start + groups * 8;

    for (k = start; k < end; k++) {
        x = k < n ? icetap_pq_val(k) : 0;
        acc |= x << nbits;
        nbits += width;

        while (nbits >= 8) {
            *p++ = (uint8_t) acc;
            acc >>= 8;
            nbits -= 8;
        }
    }

    out->len = p - out->data;

    return ICETAP_OK;
}


/*
 * Runs of at least 8 equal values become RLE runs; everything else is
 * bit-packed in groups of 8.  A bit-packed run ends at the first group
 * boundary where an RLE run could start, so the output is never larger
 * than plain bit-packing plus a few headers.
 */

icetap_rc
icetap_pq_rle_encode(icetap_buf_t *out, const uint8_t *v8,
    const uint32_t *v32, size_t n, int width)
{
    int       b, nb;
    size_t    i, j, start, groups;
    uint8_t  *p;
    uint32_t  v;

    nb = (width + 7) / 8;
    i = 0;

    while (i < n) {
        v = icetap_pq_val(i);

        for (j = i + 1; j < n && icetap_pq_val(j) == v; j++) {
            /* void */
        }

        if (j - i >= 8) {
            if (icetap_buf_reserve(out, 16) != ICETAP_OK) {
                return ICETAP_NOMEM;
            }

            p = out->data + out->len;
            icetap_pq_put_varint(&p, (uint64_t) (j - i) << 1);

            for (b = 0; b < nb; b++) {
                *p++ = (uint8_t) (v >> (8 * b));
            }

            out->len = p - out->data;
            i = j;
            continue;
        }

        start = i;

        for ( ;; ) {
            i += 8;

            if (i >= n) {
                break;
            }

            v = icetap_pq_val(i);

            for (j = i + 1; j < n && j - i < 8 && icetap_pq_val(j) == v; j++)
            {
                /* void */
            }

            if (j - i >= 8) {
                break;
            }
        }

        groups = (icetap_min(i, n) - start + 7) / 8;

        if (icetap_pq_bitpack(out, v8, v32, start, n, groups, width)
            != ICETAP_OK)
        {
            return ICETAP_NOMEM;
        }

        i = start + groups * 8;
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_pq_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    int             shift;
    uint64_t        r;
    const uint8_t  *q;

    q = *p;
    r = 0;

    for (shift = 0; shift < 64 && q < end; shift += 7) {
        r |= (uint64_t) (*q & 0x7f) << shift;

        if (!(*q++ & 0x80)) {
            *p = q;
            *v = r;
            return ICETAP_OK;
        }
    }

    return ICETAP_INVALID;
}


icetap_rc
icetap_pq_rle_decode(const uint8_t *p, size_t len, int width, uint32_t *out,
    size_t n, size_t *used, icetap_error_t *err)
{
    int             b, nb, nbits;
    size_t          got, cnt, k, bytes;
    uint32_t        v, mask;
    uint64_t        h, acc;
    const uint8_t  *start, *end, *run;

    if (width < 0 || width > 32) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "parquet: RLE bit width %d", width);
    }

    start = p;
    end = p + len;
    nb = (width + 7) / 8;
    mask = width == 32 ? 0xffffffff : ((uint32_t) 1 << width) - 1;
    got = 0;

    while (got < n) {
        if (icetap_pq_get_varint(&p, end, &h) != ICETAP_OK) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "parquet: RLE stream ends after %zu of "
                                    "%zu values", got, n);
        }

        if (h & 1) {
            if ((h >> 1) > (uint64_t) (end - p) + 1) {
                return icetap_error_set(err, ICETAP_INVALID,
                                        "parquet: bit-packed run too long");
            }

            cnt = (size_t) (h >> 1) * 8;
            bytes = (size_t) (h >> 1) * width;

            if (bytes > (size_t) (end - p)) {
                return icetap_error_set(err, ICETAP_INVALID,
                                        "parquet: bit-packed run past the "
                                        "end of its stream");
            }

            cnt = icetap_min(cnt, n - got);
            run = p;
            acc = 0;
            nbits = 0;

            for (k = 0; k < cnt; k++) {
                while (nbits < width) {
                    acc |= (uint64_t) *run++ << nbits;
                    nbits += 8;
                }

                out[got++] = (uint32_t) acc & mask;
                acc >>= width;
                nbits -= width;
            }

            /* the whole run, with the padding of its last group */
            p += bytes;
            continue;
        }

        cnt = (size_t) (h >> 1);

        if (cnt == 0) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "parquet: empty RLE run");
        }

        if ((size_t) (end - p) < (size_t) nb) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "parquet: truncated RLE run");
        }

        v = 0;

        for (b = 0; b < nb; b++) {
            v |= (uint32_t) *p++ << (8 * b);
        }

        if (v & ~mask) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "parquet: RLE value wider than %d bits",
                                    width);
        }

        cnt = icetap_min(cnt, n - got);

        for (k = 0; k < cnt; k++) {
            out[got++] = v;
        }
    }

    if (used) {
        *used = p - start;
    }

    return ICETAP_OK;
}


static uint64_t
icetap_pq_bits(const uint8_t *p, size_t bit, int width)
{
    int       got, take, sh;
    uint64_t  r;

    r = 0;
    got = 0;
    p += bit >> 3;
    sh = bit & 7;

    while (got < width) {
        take = icetap_min(8 - sh, width - got);
        r |= (uint64_t) ((*p >> sh) & ((1u << take) - 1)) << got;
        got += take;
        sh = 0;
        p++;
    }

    return r;
}


icetap_rc
icetap_pq_delta_count(const uint8_t *p, size_t len, size_t *n,
    icetap_error_t *err)
{
    uint64_t        bs, mc, total;
    const uint8_t  *end;

    end = p + len;

    if (icetap_pq_get_varint(&p, end, &bs) != ICETAP_OK
        || icetap_pq_get_varint(&p, end, &mc) != ICETAP_OK
        || icetap_pq_get_varint(&p, end, &total) != ICETAP_OK)
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "parquet: truncated DELTA_BINARY_PACKED "
                                "header");
    }

    if (total > len * 64 + 1) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "parquet: DELTA_BINARY_PACKED count %llu "
                                "exceeds its data",
                                (unsigned long long) total);
    }

    *n = (size_t) total;

    return ICETAP_OK;
}


icetap_rc
icetap_pq_delta_decode(const uint8_t *p, size_t len, int is64, void *out,
    size_t n, size_t *used, icetap_error_t *err)
{
    int             w;
    size_t          got, m, k, vpm, bytes;
    uint64_t        bs, mc, total, first, mind, prev, d;
    const uint8_t  *start, *end, *widths;

    start = p;
    end = p + len;

    if (icetap_pq_get_varint(&p, end, &bs) != ICETAP_OK
        || icetap_pq_get_varint(&p, end, &mc) != ICETAP_OK
        || icetap_pq_get_varint(&p, end, &total) != ICETAP_OK
        || icetap_pq_get_varint(&p, end, &first) != ICETAP_OK)
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "parquet: truncated DELTA_BINARY_PACKED "
                                "header");
    }

    if (bs == 0 || bs % 128 || mc == 0 || bs % mc || (bs / mc) % 32
        || bs > (1 << 20))
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "parquet: bad DELTA_BINARY_PACKED block "
                                "size %llu / %llu miniblocks",
                                (unsigned long long) bs,
                                (unsigned long long) mc);
    }

    if (total != n) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "parquet: DELTA_BINARY_PACKED holds %llu "
                                "values where %zu are expected",
                                (unsigned long long) total, n);
    }

    vpm = (size_t) (bs / mc);
    prev = (first >> 1) ^ -(first & 1);
    got = 0;

    if (n > 0) {
        if (is64) {
            ((int64_t *) out)[got++] = (int64_t) prev;
        } else {
            ((int32_t *) out)[got++] = (int32_t) prev;
        }
    }

    while (got < n) {
        if (icetap_pq_get_varint(&p, end, &mind) != ICETAP_OK
            || (uint64_t) (end - p) < mc)
        {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "parquet: truncated DELTA_BINARY_PACKED "
                                    "block");
        }

        mind = (mind >> 1) ^ -(mind & 1);
        widths = p;
        p += mc;

        for (m = 0; m < mc && got < n; m++) {
            w = widths[m];

            if (w > 64) {
                return icetap_error_set(err, ICETAP_INVALID,
                                        "parquet: DELTA_BINARY_PACKED bit "
                                        "width %d", w);
            }

            bytes = vpm * w / 8;

            if (bytes > (size_t) (end - p)) {
                return icetap_error_set(err, ICETAP_INVALID,
                                        "parquet: truncated "
                                        "DELTA_BINARY_PACKED miniblock");
            }

            for (k = 0; k < vpm && got < n; k++) {
                d = w ? icetap_pq_bits(p, k * w, w) : 0;
                prev = prev + mind + d;

                if (is64) {
                    ((int64_t *) out)[got++] = (int64_t) prev;
                } else {
                    ((int32_t *) out)[got++] = (int32_t) prev;
                }
            }

            p += bytes;
        }
    }

    if (used) {
        *used = p - start;
    }

    return ICETAP_OK;
}


const char *
icetap_pq_codec_name(int codec)
{
    static const char  *names[] = {
        "UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD",
        "LZ4_RAW"
    };

    if (codec >= 0 && codec < (int) icetap_nelems(names)) {
        return names[codec];
    }

    return "unknown codec";
}


const char *
icetap_pq_encoding_name(int enc)
{
    static const char  *names[] = {
        "PLAIN", "GROUP_VAR_INT", "PLAIN_DICTIONARY", "RLE", "BIT_PACKED",
        "DELTA_BINARY_PACKED", "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY",
        "RLE_DICTIONARY", "BYTE_STREAM_SPLIT"
    };

    if (enc >= 0 && enc < (int) icetap_nelems(names)) {
        return names[enc];
    }

    return "unknown encoding";
}


void
icetap_pq_codec_free(icetap_pq_codec_t *c)
{
    if (c->zc) {
        ZSTD_freeCCtx(c->zc);
    }

    if (c->zd) {
        ZSTD_freeDCtx(c->zd);
    }

    if (c->gz) {
        deflateEnd(c->gz);
        icetap_free(c->gz);
    }

    if (c->gzi) {
        inflateEnd(c->gzi);
        icetap_free(c->gzi);
    }

    memset(c, 0, sizeof(*c));
}


icetap_rc
icetap_pq_compress(icetap_pq_codec_t *c, int codec, int level,
    const uint8_t *in, size_t n, icetap_buf_t *out, icetap_error_t *err)
{
    int        zrc;
    size_t     bound, r;
    z_stream  *z;

    switch (codec) {

    case ICETAP_PQ_UNCOMPRESSED:
        if (icetap_buf_append(out, in, n) != ICETAP_OK) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }

        return ICETAP_OK;

    case ICETAP_PQ_ZSTD:
        if (c->zc == NULL) {
            c->zc = ZSTD_createCCtx();
            if (c->zc == NULL) {
                return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
            }
        }

        bound = ZSTD_compressBound(n);

        if (icetap_buf_reserve(out, bound) != ICETAP_OK) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }

        r = ZSTD_compressCCtx(c->zc, out->data + out->len, bound, in, n,
                              level ? level : 1);

        if (ZSTD_isError(r)) {
            return icetap_error_set(err, ICETAP_ERROR,
                                    "parquet: zstd: %s",
                                    ZSTD_getErrorName(r));
        }

        out->len += r;
        return ICETAP_OK;

    case ICETAP_PQ_SNAPPY:
        bound = snappy_max_compressed_length(n);

        if (icetap_buf_reserve(out, bound) != ICETAP_OK) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }

        if (snappy_compress((const char *) in, n,
                            (char *) out->data + out->len, &bound)
            != SNAPPY_OK)
        {
            return icetap_error_set(err, ICETAP_ERROR,
                                    "parquet: snappy compression failed");
        }

        out->len += bound;
        return ICETAP_OK;

    case ICETAP_PQ_GZIP:
        if (c->gz == NULL) {
            z = icetap_calloc(1, sizeof(z_stream));
            if (z == NULL) {
                return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
            }

            if (deflateInit2(z, level ? level : 6, Z_DEFLATED, 15 + 16, 8,
                             Z_DEFAULT_STRATEGY)
                != Z_OK)
            {
                icetap_free(z);
                return icetap_error_set(err, ICETAP_ERROR,
                                        "parquet: deflateInit2 failed");
            }

            c->gz = z;

        } else {
            z = c->gz;
            deflateReset(z);
        }

        bound = deflateBound(z, n) + 32;

        if (icetap_buf_reserve(out, bound) != ICETAP_OK) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }

        z->next_in = (Bytef *) in;
        z->avail_in = n;
        z->next_out = out->data + out->len;
        z->avail_out = bound;

        zrc = deflate(z, Z_FINISH);

        if (zrc != Z_STREAM_END) {
            return icetap_error_set(err, ICETAP_ERROR,
                                    "parquet: gzip compression failed (%d)",
                                    zrc);
        }

        out->len += bound - z->avail_out;
        return ICETAP_OK;

    default:
        return icetap_error_set(err, ICETAP_UNSUPPORTED,
                                "parquet: codec %s is not supported",
                                icetap_pq_codec_name(codec));
    }
}


icetap_rc
icetap_pq_decompress(icetap_pq_codec_t *c, int codec, const uint8_t *in,
    size_t n, uint8_t *out, size_t outlen, icetap_error_t *err)
{
    int        zrc;
    size_t     r;
    z_stream  *z;

    switch (codec) {

    case ICETAP_PQ_UNCOMPRESSED:
        if (n != outlen) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "parquet: uncompressed page of %zu "
                                    "bytes claims %zu", n, outlen);
        }

        memcpy(out, in, n);
        return ICETAP_OK;

    case ICETAP_PQ_ZSTD:
        if (c->zd == NULL) {
            c->zd = ZSTD_createDCtx();
            if (c->zd == NULL) {
                return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
            }
        }

        r = ZSTD_decompressDCtx(c->zd, out, outlen, in, n);

        if (ZSTD_isError(r)) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "parquet: zstd page: %s",
                                    ZSTD_getErrorName(r));
        }

        break;

    case ICETAP_PQ_SNAPPY:
        if (snappy_uncompressed_length((const char *) in, n, &r)
            != SNAPPY_OK
            || r != outlen)
        {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "parquet: snappy page has a bad "
                                    "length header");
        }

        if (snappy_uncompress((const char *) in, n, (char *) out, &r)
            != SNAPPY_OK)
        {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "parquet: corrupt snappy page");
        }

        break;

    case ICETAP_PQ_GZIP:
        if (c->gzi == NULL) {
            z = icetap_calloc(1, sizeof(z_stream));
            if (z == NULL) {
                return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
            }

            if (inflateInit2(z, 15 + 32) != Z_OK) {
                icetap_free(z);
                return icetap_error_set(err, ICETAP_ERROR,
                                        "parquet: inflateInit2 failed");
            }

            c->gzi = z;

        } else {
            z = c->gzi;
            inflateReset(z);
        }

        z->next_in = (Bytef *) in;
        z->avail_in = n;
        z->next_out = out;
        z->avail_out = outlen;

        zrc = inflate(z, Z_FINISH);

        if (zrc != Z_STREAM_END) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "parquet: corrupt gzip page (%s)",
                                    z->msg ? z->msg : "truncated");
        }

        r = outlen - z->avail_out;
        break;

    default:
        return icetap_error_set(err, ICETAP_UNSUPPORTED,
                                "parquet: codec %s is not supported",
                                icetap_pq_codec_name(codec));
    }

    if (r != outlen) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "parquet: page decompressed to %zu bytes, "
                                "header says %zu", r, outlen);
    }

    return ICETAP_OK;
}
