/*
 * Copyright (C) icetap authors
 *
 * libFuzzer target: arbitrary bytes as an Avro object container file, a
 * manifest and a manifest list.  Every input must end in a clean error or
 * EOF, never a crash, leak or sanitizer report.
 *
 *   clang -fsanitize=fuzzer,address,undefined -Iinclude tools/fuzz/...
 */


#include <icetap/manifest.h>


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                             n;
    icetap_rc                       rc;
    icetap_error_t                  err;
    icetap_avro_arena_t            *a;
    icetap_avro_value_t             v;
    icetap_avro_reader_t           *r;
    icetap_manifest_file_t          mf;
    icetap_manifest_entry_t         e;
    icetap_manifest_reader_t       *mr;
    icetap_manifest_list_reader_t  *lr;

    if (icetap_avro_reader_create_mem(data, size, &r, &err) == ICETAP_OK) {
        a = icetap_avro_arena_create(0);

        for (n = 0; n < 100000; n++) {
            icetap_avro_arena_reset(a);
            rc = icetap_avro_reader_next(r, a, &v, &err);
            if (rc != ICETAP_OK) {
                break;
            }
        }

        icetap_avro_arena_destroy(a);
        icetap_avro_reader_destroy(r);
    }

    if (icetap_manifest_reader_create_mem(data, size, &mr, &err)
        == ICETAP_OK)
    {
        for (n = 0; n < 100000; n++) {
            if (icetap_manifest_reader_next(mr, &e, &err) != ICETAP_OK) {
                break;
            }
        }

        icetap_manifest_reader_destroy(mr);
    }

    if (icetap_manifest_list_reader_create_mem(data, size, &lr, &err)
        == ICETAP_OK)
    {
        for (n = 0; n < 100000; n++) {
            if (icetap_manifest_list_reader_next(lr, &mf, &err)
                != ICETAP_OK)
            {
                break;
            }
        }

        icetap_manifest_list_reader_destroy(lr);
    }

    return 0;
}
