/*
 * Copyright (C) icetap authors
 *
 * Puffin files (uncompressed blobs, uncompressed JSON footer) and the
 * Iceberg v3 deletion-vector-v1 blob.
 */

#ifndef ICETAP_PUFFIN_H
#define ICETAP_PUFFIN_H


#include <icetap/core.h>
#include <icetap/roaring.h>


#define ICETAP_PUFFIN_MAGIC        "PFA1"
#define ICETAP_PUFFIN_DV_TYPE      "deletion-vector-v1"
#define ICETAP_PUFFIN_POS_FIELD    2147483645       /* _pos */


typedef struct icetap_puffin_writer_s  icetap_puffin_writer_t;


typedef struct {
    char       *name;
    char       *value;
} icetap_puffin_prop_t;


typedef struct {
    char                  *type;
    int32_t               *fields;
    size_t                 nfields;
    int64_t                snapshot_id;
    int64_t                sequence_number;
    int64_t                offset;
    int64_t                length;
    char                  *compression_codec;   /* NULL: uncompressed */
    icetap_puffin_prop_t  *props;
    size_t                 nprops;
} icetap_puffin_blob_t;


typedef struct {
    icetap_puffin_blob_t  *blobs;
    size_t                 nblobs;
    icetap_puffin_prop_t  *props;
    size_t                 nprops;
} icetap_puffin_footer_t;


/* writer: blobs and footer are assembled in memory */

icetap_puffin_writer_t *icetap_puffin_writer_create(const char *created_by);
void icetap_puffin_writer_destroy(icetap_puffin_writer_t *w);

/* props: nprops name/value pairs; offset/length may be NULL */
icetap_rc icetap_puffin_add_blob(icetap_puffin_writer_t *w, const char *type,
    const int32_t *fields, size_t nfields, int64_t snapshot_id,
    int64_t sequence_number, const void *data, size_t len,
    const char *const *props, size_t nprops, int64_t *offset,
    int64_t *length, icetap_error_t *err);

/*
 * A deletion vector for one data file: snapshot-id and sequence-number
 * -1, fields [_pos], properties referenced-data-file and cardinality.
 */
icetap_rc icetap_puffin_add_dv(icetap_puffin_writer_t *w,
    const char *referenced_data_file, const icetap_roaring64_t *positions,
    int64_t *offset, int64_t *length, icetap_error_t *err);

/* the whole file into out (appended); the writer can then be destroyed */
icetap_rc icetap_puffin_finish(icetap_puffin_writer_t *w, icetap_buf_t *out,
    icetap_error_t *err);


/*
 * Parses the footer from the last tail_len bytes of a file of file_size
 * bytes (tail may be the whole file).  ICETAP_AGAIN with *need set when
 * the tail is too short to hold the footer: read *need bytes and retry.
 */
icetap_rc icetap_puffin_read_footer(const uint8_t *tail, size_t tail_len,
    uint64_t file_size, icetap_puffin_footer_t *f, size_t *need,
    icetap_error_t *err);
void icetap_puffin_footer_free(icetap_puffin_footer_t *f);
const char *icetap_puffin_blob_prop(const icetap_puffin_blob_t *b,
    const char *name);


/* deletion-vector-v1 blob bytes: length, magic, roaring64, CRC-32 */

icetap_rc icetap_dv_encode(const icetap_roaring64_t *positions,
    icetap_buf_t *out, icetap_error_t *err);
icetap_rc icetap_dv_decode(const uint8_t *blob, size_t len,
    icetap_roaring64_t **positions, icetap_error_t *err);


#endif /* ICETAP_PUFFIN_H */
