/*
 * Copyright (C) icetap authors
 *
 * Digests and checksums: SHA-256, HMAC-SHA256 and MD5 on OpenSSL, CRC-32C
 * (Castagnoli, slicing-by-8) and CRC-32 (IEEE, as in zlib and Puffin), hex
 * and base64 encoders.
 */

#ifndef ICETAP_HASH_H
#define ICETAP_HASH_H


#include <icetap/core.h>


#define ICETAP_SHA256_LEN      32
#define ICETAP_SHA256_HEX_LEN  64
#define ICETAP_MD5_LEN         16


typedef struct icetap_sha256_s  icetap_sha256_t;


/* one-shot digests; return ICETAP_OK or ICETAP_NOMEM/ICETAP_ERROR */

icetap_rc icetap_sha256(const void *data, size_t len,
    uint8_t out[ICETAP_SHA256_LEN]);
icetap_rc icetap_sha256_hex(const void *data, size_t len,
    char out[ICETAP_SHA256_HEX_LEN + 1]);
icetap_rc icetap_hmac_sha256(const void *key, size_t key_len,
    const void *data, size_t len, uint8_t out[ICETAP_SHA256_LEN]);
icetap_rc icetap_md5(const void *data, size_t len,
    uint8_t out[ICETAP_MD5_LEN]);


/* streaming SHA-256 */

icetap_sha256_t *icetap_sha256_create(void);
icetap_rc icetap_sha256_update(icetap_sha256_t *h, const void *data,
    size_t len);
icetap_rc icetap_sha256_final(icetap_sha256_t *h,
    uint8_t out[ICETAP_SHA256_LEN]);
void icetap_sha256_destroy(icetap_sha256_t *h);


/*
 * Checksums in the zlib style: pass 0 for a fresh checksum, or the previous
 * result to continue over concatenated data.
 */

uint32_t icetap_crc32c(uint32_t crc, const void *data, size_t len);
/* the table-driven CRC-32C, also used where the CPU lacks SSE 4.2 */
uint32_t icetap_crc32c_portable(uint32_t crc, const void *data, size_t len);
uint32_t icetap_crc32(uint32_t crc, const void *data, size_t len);


/* lowercase hex, out must hold 2 * len + 1 bytes; returns 2 * len */
size_t icetap_hex_encode(const void *data, size_t len, char *out);

/* standard base64 with padding, out must hold 4 * ((len + 2) / 3) + 1 */
size_t icetap_base64_encode(const void *data, size_t len, char *out);


#endif /* ICETAP_HASH_H */
