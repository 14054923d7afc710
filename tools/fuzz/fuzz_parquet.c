/*
 * Copyright (C) icetap authors
 *
 * libFuzzer target for the Parquet reader: the input is a whole file.
 * Every column of every row group is decoded, then re-encoded through
 * the column writer and the row groups are appended by the copy path, so
 * whatever the reader accepts also goes through the writer.  Build and
 * run with tools/fuzz/fuzz_parquet.sh.
 */

#include <string.h>

#include <icetap/parquet.h>


typedef struct {
    const uint8_t  *data;
    size_t          size;
} fuzz_src_t;


static icetap_rc
fuzz_read(void *ctx, uint64_t off, void *buf, size_t len, icetap_error_t *err)
{
    fuzz_src_t  *s = ctx;

    if (off > s->size || len > s->size - off) {
        return icetap_error_set(err, ICETAP_IO, "read past the end");
    }

    memcpy(buf, s->data + off, len);

    return ICETAP_OK;
}


static icetap_rc
fuzz_write(void *ctx, const void *data, size_t len, icetap_error_t *err)
{
    *(size_t *) ctx += len;

    return ICETAP_OK;
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                  rg, ok;
    size_t               i, n, sunk;
    fuzz_src_t           src;
    icetap_error_t       err;
    icetap_pq_reader_t  *r;
    icetap_pq_writer_t  *w, *cw;
    icetap_pq_column_t   cols[64];

    src.data = data;
    src.size = size;

    r = icetap_pq_reader_open(fuzz_read, &src, size, &err);
    if (r == NULL) {
        return 0;
    }

    n = icetap_pq_schema_leaves(icetap_pq_reader_schema(r));
    memset(cols, 0, sizeof(cols));
    sunk = 0;

    w = n <= 64 ? icetap_pq_writer_open(icetap_pq_reader_schema(r), NULL,
                                        fuzz_write, &sunk, &err)
                : NULL;

    for (rg = 0; rg < icetap_pq_reader_row_groups(r); rg++) {
        ok = 1;

        for (i = 0; i < n && i < 64; i++) {
            if (icetap_pq_read_column(r, rg, (int) i, &cols[i], &err)
                != ICETAP_OK)
            {
                ok = 0;
            }
        }

        if (ok && w && n <= 64
            && icetap_pq_writer_columns(w, cols, n,
                                        icetap_pq_reader_row_group_rows(r,
                                                                        rg))
               != ICETAP_OK)
        {
            icetap_pq_writer_free(w);
            w = NULL;
        }
    }

    if (w) {
        icetap_pq_writer_close(w);
        icetap_pq_writer_free(w);
    }

    cw = icetap_pq_writer_open(icetap_pq_reader_schema(r), NULL, fuzz_write,
                               &sunk, &err);
    if (cw) {
        if (icetap_pq_writer_append(cw, r) == ICETAP_OK) {
            icetap_pq_writer_close(cw);
        }

        icetap_pq_writer_free(cw);
    }

    for (i = 0; i < 64; i++) {
        icetap_pq_column_free(&cols[i]);
    }

    icetap_pq_reader_free(r);

    return 0;
}
