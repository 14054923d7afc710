/*
 * Copyright (C) icetap authors
 *
 * Known-answer tests for the digests and checksums.
 */


#include <stdlib.h>

#include <icetap/hash.h>

#include "tap.h"


static void
test_crc32c(void)
{
    size_t    i, split;
    uint8_t   buf[1024];
    uint32_t  c, whole;

    /* RFC 3720 B.4 and the common "123456789" check value */

    is_int(icetap_crc32c(0, "123456789", 9), 0xE3069283,
           "crc32c check value");
    is_int(icetap_crc32c(0, "", 0), 0, "crc32c of nothing");

    memset(buf, 0, 32);
    is_int(icetap_crc32c(0, buf, 32), 0x8A9136AA, "crc32c 32 zeros");

    memset(buf, 0xff, 32);
    is_int(icetap_crc32c(0, buf, 32), 0x62A8AB43, "crc32c 32 0xff");

    for (i = 0; i < 32; i++) {
        buf[i] = (uint8_t) i;
    }

    is_int(icetap_crc32c(0, buf, 32), 0x46DD794E, "crc32c 0..31");

    for (i = 0; i < 32; i++) {
        buf[i] = (uint8_t) (31 - i);
    }

    is_int(icetap_crc32c(0, buf, 32), 0x113FDB5C, "crc32c 31..0");

    /* incremental over every split point and alignment */

    for (i = 0; i < sizeof(buf); i++) {
        buf[i] = (uint8_t) (i * 131 + 7);
    }

    whole = icetap_crc32c(0, buf + 3, 1000);

    for (split = 0; split <= 1000; split += 37) {
        c = icetap_crc32c(0, buf + 3, split);
        c = icetap_crc32c(c, buf + 3 + split, 1000 - split);

        if (c != whole) {
            break;
        }
    }

    ok(split > 1000, "crc32c continues across splits");

    /* the CPU's CRC32 path and the table path agree everywhere */

    for (split = 0; split < 64; split++) {
        if (icetap_crc32c(0, buf + split, 900 - split)
            != icetap_crc32c_portable(0, buf + split, 900 - split))
        {
            break;
        }
    }

    ok(split == 64, "crc32c: hardware and table paths agree");
    is_int(icetap_crc32c_portable(0, "123456789", 9), 0xE3069283,
           "crc32c table path check value");

    c = 0;

    for (i = 0; i < 1000; i++) {
        c = icetap_crc32c(c, buf + 3 + i, 1);
    }

    is_int(c, whole, "crc32c byte at a time equals sliced");
}


static void
test_digests(void)
{
    char              hex[65];
    uint8_t           md[32];
    icetap_sha256_t  *h;

    icetap_sha256_hex("", 0, hex);
    is_str(hex,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "sha256 empty");

    icetap_sha256_hex("abc", 3, hex);
    is_str(hex,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "sha256 abc");

    h = icetap_sha256_create();
    ok(h != NULL, "sha256 create");
    icetap_sha256_update(h, "a", 1);
    icetap_sha256_update(h, "bc", 2);
    icetap_sha256_final(h, md);
    icetap_hex_encode(md, 32, hex);
    is_str(hex,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "sha256 streaming");
    icetap_sha256_destroy(h);

    /* RFC 4231 test case 2 */

    icetap_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, md);
    icetap_hex_encode(md, 32, hex);
    is_str(hex,
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        "hmac-sha256 rfc4231 case 2");

    icetap_md5("abc", 3, md);
    icetap_hex_encode(md, 16, hex);
    is_str(hex, "900150983cd24fb0d6963f7d28e17f72", "md5 abc");

    is_int(icetap_crc32(0, "123456789", 9), 0xCBF43926, "crc32 check value");
}


static void
test_base64(void)
{
    char  out[16];

    icetap_base64_encode("", 0, out);
    is_str(out, "", "base64 empty");
    icetap_base64_encode("f", 1, out);
    is_str(out, "Zg==", "base64 f");
    icetap_base64_encode("fo", 2, out);
    is_str(out, "Zm8=", "base64 fo");
    icetap_base64_encode("foo", 3, out);
    is_str(out, "Zm9v", "base64 foo");
    icetap_base64_encode("foobar", 6, out);
    is_str(out, "Zm9vYmFy", "base64 foobar");
}


int
main(void)
{
    test_crc32c();
    test_digests();
    test_base64();

    return done_testing();
}
