/*
 * Copyright (C) icetap authors
 */


#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <zlib.h>

#include <icetap/hash.h>


struct icetap_sha256_s {
    EVP_MD_CTX  *ctx;
};


static void icetap_crc32c_init_tables(void);


static pthread_once_t  icetap_crc32c_once = PTHREAD_ONCE_INIT;
static uint32_t        icetap_crc32c_table[8][256];
static int             icetap_crc32c_hw_ok;


#if (defined(__x86_64__) && defined(__GNUC__))

#include <nmmintrin.h>

#define ICETAP_CRC32C_HW  1

/* the CPU's CRC32 instruction computes exactly CRC-32C */

__attribute__((target("sse4.2")))
static uint32_t
icetap_crc32c_hw(uint32_t crc, const uint8_t *p, size_t len)
{
    uint64_t  c, v;

    c = ~crc;

    while (len > 0 && ((uintptr_t) p & 7) != 0) {
        c = _mm_crc32_u8((uint32_t) c, *p++);
        len--;
    }

    while (len >= 8) {
        memcpy(&v, p, 8);
        c = _mm_crc32_u64(c, v);
        p += 8;
        len -= 8;
    }

    while (len > 0) {
        c = _mm_crc32_u8((uint32_t) c, *p++);
        len--;
    }

    return ~(uint32_t) c;
}

#endif


icetap_rc
icetap_sha256(const void *data, size_t len, uint8_t out[ICETAP_SHA256_LEN])
{
    unsigned int  n;

    if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1) {
        return ICETAP_ERROR;
    }

    return ICETAP_OK;
}


icetap_rc
icetap_sha256_hex(const void *data, size_t len,
    char out[ICETAP_SHA256_HEX_LEN + 1])
{
    uint8_t    md[ICETAP_SHA256_LEN];
    icetap_rc  rc;

    rc = icetap_sha256(data, len, md);
    if (rc != ICETAP_OK) {
        return rc;
    }

    icetap_hex_encode(md, sizeof(md), out);

    return ICETAP_OK;
}


icetap_rc
icetap_hmac_sha256(const void *key, size_t key_len, const void *data,
    size_t len, uint8_t out[ICETAP_SHA256_LEN])
{
    unsigned int  n;

    if (key_len > INT32_MAX) {
        return ICETAP_INVALID;
    }

    if (HMAC(EVP_sha256(), key, (int) key_len, data, len, out, &n) == NULL) {
        return ICETAP_ERROR;
    }

    return ICETAP_OK;
}


icetap_rc
icetap_md5(const void *data, size_t len, uint8_t out[ICETAP_MD5_LEN])
{
    unsigned int  n;

    if (EVP_Digest(data, len, out, &n, EVP_md5(), NULL) != 1) {
        return ICETAP_ERROR;
    }

    return ICETAP_OK;
}


icetap_sha256_t *
icetap_sha256_create(void)
{
    icetap_sha256_t  *h;

    h = icetap_alloc(sizeof(icetap_sha256_t));
    if (h == NULL) {
        return NULL;
    }

    h->ctx = EVP_MD_CTX_new();
    if (h->ctx == NULL) {
        icetap_free(h);
        return NULL;
    }

    if (EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(h->ctx);
        icetap_free(h);
        return NULL;
    }

    return h;
}


icetap_rc
icetap_sha256_update(icetap_sha256_t *h, const void *data, size_t len)
{
    if (EVP_DigestUpdate(h->ctx, data, len) != 1) {
        return ICETAP_ERROR;
    }

    return ICETAP_OK;
}


icetap_rc
icetap_sha256_final(icetap_sha256_t *h, uint8_t out[ICETAP_SHA256_LEN])
{
    unsigned int  n;

    if (EVP_DigestFinal_ex(h->ctx, out, &n) != 1) {
        return ICETAP_ERROR;
    }

    /* ready for another digest */

    if (EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
        return ICETAP_ERROR;
    }

    return ICETAP_OK;
}


void
icetap_sha256_destroy(icetap_sha256_t *h)
{
    if (h != NULL) {
        EVP_MD_CTX_free(h->ctx);
        icetap_free(h);
    }
}


static void
icetap_crc32c_init_tables(void)
{
    int       k;
    uint32_t  c, i;

    /* reflected Castagnoli polynomial 0x1EDC6F41 */

    for (i = 0; i < 256; i++) {
        c = i;

        for (k = 0; k < 8; k++) {
            c = (c & 1) ? (c >> 1) ^ 0x82F63B78 : c >> 1;
        }

        icetap_crc32c_table[0][i] = c;
    }

    for (i = 0; i < 256; i++) {
        c = icetap_crc32c_table[0][i];

        for (k = 1; k < 8; k++) {
            c = (c >> 8) ^ icetap_crc32c_table[0][c & 0xff];
            icetap_crc32c_table[k][i] = c;
        }
    }

#ifdef ICETAP_CRC32C_HW
    __builtin_cpu_init();
    icetap_crc32c_hw_ok = __builtin_cpu_supports("sse4.2");
#endif
}


uint32_t
icetap_crc32c(uint32_t crc, const void *data, size_t len)
{
    (void) pthread_once(&icetap_crc32c_once, icetap_crc32c_init_tables);

#ifdef ICETAP_CRC32C_HW
    if (icetap_crc32c_hw_ok) {
        return icetap_crc32c_hw(crc, data, len);
    }
#endif

    return icetap_crc32c_portable(crc, data, len);
}


uint32_t
icetap_crc32c_portable(uint32_t crc, const void *data, size_t len)
{
    uint32_t        lo, hi;
    const uint8_t  *p;

    (void) pthread_once(&icetap_crc32c_once, icetap_crc32c_init_tables);

    p = data;
    crc = ~crc;

    while (len > 0 && ((uintptr_t) p & 7) != 0) {
        crc = (crc >> 8) ^ icetap_crc32c_table[0][(crc ^ *p++) & 0xff];
        len--;
    }

    /* slicing-by-8: eight table lookups per 64 bits of input */

    while (len >= 8) {
        lo = crc ^ ((uint32_t) p[0] | (uint32_t) p[1] << 8
                    | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24);
        hi = (uint32_t) p[4] | (uint32_t) p[5] << 8
             | (uint32_t) p[6] << 16 | (uint32_t) p[7] << 24;

        crc = icetap_crc32c_table[7][lo & 0xff]
              ^ icetap_crc32c_table[6][(lo >> 8) & 0xff]
              ^ icetap_crc32c_table[5][(lo >> 16) & 0xff]
              ^ icetap_crc32c_table[4][lo >> 24]
              ^ icetap_crc32c_table[3][hi & 0xff]
              ^ icetap_crc32c_table[2][(hi >> 8) & 0xff]
              ^ icetap_crc32c_table[1][(hi >> 16) & 0xff]
              ^ icetap_crc32c_table[0][hi >> 24];

        p += 8;
        len -= 8;
    }

    while (len > 0) {
        crc = (crc >> 8) ^ icetap_crc32c_table[0][(crc ^ *p++) & 0xff];
        len--;
    }

    return ~crc;
}


uint32_t
icetap_crc32(uint32_t crc, const void *data, size_t len)
{
    return (uint32_t) crc32_z(crc, data, len);
}


size_t
icetap_hex_encode(const void *data, size_t len, char *out)
{
    size_t          i;
    const uint8_t  *p;

    static const char  hex[] = "0123456789abcdef";

    p = data;

    for (i = 0; i < len; i++) {
        out[2 * i] = hex[p[i] >> 4];
        out[2 * i + 1] = hex[p[i] & 0xf];
    }

    out[2 * len] = '\0';

    return 2 * len;
}


size_t
icetap_base64_encode(const void *data, size_t len, char *out)
{
    size_t          i, n;
    uint32_t        v;
    const uint8_t  *p;

    static const char  b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    p = data;
    n = 0;

    for (i = 0; i + 2 < len; i += 3) {
        v = (uint32_t) p[i] << 16 | (uint32_t) p[i + 1] << 8 | p[i + 2];
        out[n++] = b64[v >> 18];
        out[n++] = b64[(v >> 12) & 0x3f];
        out[n++] = b64[(v >> 6) & 0x3f];
        out[n++] = b64[v & 0x3f];
    }

    if (len - i == 1) {
        v = (uint32_t) p[i] << 16;
        out[n++] = b64[v >> 18];
        out[n++] = b64[(v >> 12) & 0x3f];
        out[n++] = '=';
        out[n++] = '=';

    } else if (len - i == 2) {
        v = (uint32_t) p[i] << 16 | (uint32_t) p[i + 1] << 8;
        out[n++] = b64[v >> 18];
        out[n++] = b64[(v >> 12) & 0x3f];
        out[n++] = b64[(v >> 6) & 0x3f];
        out[n++] = '=';
    }

    out[n] = '\0';

    return n;
}
