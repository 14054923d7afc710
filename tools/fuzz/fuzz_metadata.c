/*
 * Copyright (C) icetap authors
 *
 * libFuzzer target: arbitrary bytes as table metadata JSON.  Whatever
 * parses must print, parse again and print identically (the lossless
 * round trip), and survive a copy and an expiry.
 */


#include <stdlib.h>
#include <string.h>

#include <icetap/metadata.h>


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                     *once, *twice;
    size_t                    n;
    icetap_error_t            err;
    icetap_snapshot_t        *rm;
    icetap_table_metadata_t  *md, *again, *copy;

    if (icetap_metadata_parse((const char *) data, size, &md, &err)
        != ICETAP_OK)
    {
        return 0;
    }

    once = icetap_metadata_serialize(md, 0);
    if (once == NULL) {
        abort();
    }

    if (icetap_metadata_parse(once, strlen(once), &again, &err) != ICETAP_OK)
    {
        abort();
    }

    twice = icetap_metadata_serialize(again, 0);
    if (twice == NULL || strcmp(once, twice) != 0) {
        abort();
    }

    copy = icetap_metadata_copy(md);
    if (copy == NULL) {
        abort();
    }

    if (icetap_metadata_expire_snapshots(copy, INT64_MAX, 1, INT64_MAX, &rm,
                                         &n, &err) == ICETAP_OK)
    {
        icetap_snapshots_free(rm, n);
    }

    icetap_free(once);
    icetap_free(twice);
    icetap_metadata_free(again);
    icetap_metadata_free(copy);
    icetap_metadata_free(md);

    return 0;
}
