/*
 * Copyright (C) icetap authors
 *
 * Iceberg manifests (manifest_entry with data_file r2) and manifest lists
 * (manifest_file) for format v2 and v3, as Avro object container files
 * with the header keys of spec section 3.
 *
 * Writers take caller-owned structures.  Readers return entries whose
 * strings and arrays live in the reader and stay valid until the next
 * call to *_next (copy what must outlive it).
 *
 * Codec: manifests and lists default to the null codec.  Java writes
 * deflate, and every reader accepts null; the small JS reader icebird
 * crashes on tiny deflate blocks, so deflate is opt-in.
 */

#ifndef ICETAP_MANIFEST_H
#define ICETAP_MANIFEST_H


#include <icetap/avro.h>
#include <icetap/metadata.h>
#include <icetap/transform.h>


#define ICETAP_STATUS_EXISTING       0
#define ICETAP_STATUS_ADDED          1
#define ICETAP_STATUS_DELETED        2

#define ICETAP_CONTENT_DATA          0
#define ICETAP_CONTENT_POS_DELETES   1
#define ICETAP_CONTENT_EQ_DELETES    2

#define ICETAP_MANIFEST_DATA         0
#define ICETAP_MANIFEST_DELETES      1


typedef struct {
    int32_t                   key;          /* field id */
    int64_t                   value;
} icetap_metric_t;

typedef struct {
    int32_t                   key;
    const uint8_t            *data;
    size_t                    len;
} icetap_bound_t;


/* ICETAP_UNSET in an optional number writes null; NULL pointers likewise */

typedef struct {
    int                       content;
    const char               *file_path;
    const char               *file_format;      /* "PARQUET", "PUFFIN" */
    const icetap_value_t     *partition;        /* one per spec field */
    size_t                    npartition;
    int64_t                   record_count;
    int64_t                   file_size_in_bytes;
    const icetap_metric_t    *column_sizes;     /* n == 0: null */
    size_t                    ncolumn_sizes;
    const icetap_metric_t    *value_counts;
    size_t                    nvalue_counts;
    const icetap_metric_t    *null_value_counts;
    size_t                    nnull_value_counts;
    const icetap_metric_t    *nan_value_counts;
    size_t                    nnan_value_counts;
    const icetap_bound_t     *lower_bounds;
    size_t                    nlower_bounds;
    const icetap_bound_t     *upper_bounds;
    size_t                    nupper_bounds;
    const uint8_t            *key_metadata;     /* NULL: null */
    size_t                    key_metadata_len;
    const int64_t            *split_offsets;    /* NULL: null */
    size_t                    nsplit_offsets;
    const int32_t            *equality_ids;     /* NULL: null */
    size_t                    nequality_ids;
    int64_t                   sort_order_id;    /* ICETAP_UNSET: null */
    int64_t                   first_row_id;     /* v3 */
    const char               *referenced_data_file;
    int64_t                   content_offset;   /* v3 */
    int64_t                   content_size_in_bytes;  /* v3 */
} icetap_data_file_t;


typedef struct {
    int                       status;
    int64_t                   snapshot_id;            /* ICETAP_UNSET */
    int64_t                   sequence_number;        /* ICETAP_UNSET */
    int64_t                   file_sequence_number;   /* ICETAP_UNSET */
    icetap_data_file_t        file;
} icetap_manifest_entry_t;


typedef struct {
    int                       contains_null;
    int                       contains_nan;     /* -1: null */
    const uint8_t            *lower;            /* NULL: null */
    size_t                    lower_len;
    const uint8_t            *upper;
    size_t                    upper_len;
} icetap_field_summary_t;


typedef struct {
    const char               *manifest_path;
    int64_t                   manifest_length;
    int32_t                   partition_spec_id;
    int                       content;
    int64_t                   sequence_number;        /* ICETAP_UNSET: new */
    int64_t                   min_sequence_number;    /* ICETAP_UNSET: new */
    int64_t                   added_snapshot_id;
    int32_t                   added_files_count;
    int32_t                   existing_files_count;
    int32_t                   deleted_files_count;
    int64_t                   added_rows_count;
    int64_t                   existing_rows_count;
    int64_t                   deleted_rows_count;
    const icetap_field_summary_t  *partitions;        /* NULL: null */
    size_t                    npartitions;
    const uint8_t            *key_metadata;
    size_t                    key_metadata_len;
    int64_t                   first_row_id;           /* v3, ICETAP_UNSET */
} icetap_manifest_file_t;


typedef struct icetap_manifest_writer_s       icetap_manifest_writer_t;
typedef struct icetap_manifest_reader_s       icetap_manifest_reader_t;
typedef struct icetap_manifest_list_writer_s  icetap_manifest_list_writer_t;
typedef struct icetap_manifest_list_reader_s  icetap_manifest_list_reader_t;


/* the Avro schemas as JSON text (icetap_alloc'd) */

icetap_rc icetap_manifest_avro_schema(int format_version,
    const icetap_partition_spec_t *spec, const icetap_schema_t *schema,
    char **json, icetap_error_t *err);
icetap_rc icetap_manifest_list_avro_schema(int format_version, char **json,
    icetap_error_t *err);


/* manifests */

typedef struct {
    int                       format_version;
    int                       content;          /* ICETAP_MANIFEST_* */
    const icetap_schema_t    *schema;
    const icetap_partition_spec_t  *spec;
    int64_t                   snapshot_id;      /* default for ADDED */
    icetap_avro_codec_t       codec;
    size_t                    block_size;
    const uint8_t            *sync;             /* NULL: random */
    icetap_avro_write_pt      write;
    void                     *ctx;
} icetap_manifest_writer_conf_t;

icetap_rc icetap_manifest_writer_create(
    const icetap_manifest_writer_conf_t *conf, icetap_manifest_writer_t **w,
    icetap_error_t *err);
icetap_rc icetap_manifest_writer_add(icetap_manifest_writer_t *w,
    const icetap_manifest_entry_t *e, icetap_error_t *err);

/*
 * Completes the file and describes it for the manifest list: counts,
 * partition summaries, length, sequence numbers (ICETAP_UNSET unless an
 * entry carried an explicit one).  mf's arrays live in the writer.
 */
icetap_rc icetap_manifest_writer_finish(icetap_manifest_writer_t *w,
    const char *path, icetap_manifest_file_t *mf, icetap_error_t *err);
void icetap_manifest_writer_destroy(icetap_manifest_writer_t *w);


icetap_rc icetap_manifest_reader_create(icetap_avro_read_pt read, void *ctx,
    icetap_manifest_reader_t **r, icetap_error_t *err);
icetap_rc icetap_manifest_reader_create_mem(const void *data, size_t len,
    icetap_manifest_reader_t **r, icetap_error_t *err);
/* header values: "schema", "partition-spec", "format-version", ... */
const char *icetap_manifest_reader_meta(const icetap_manifest_reader_t *r,
    const char *key);
int icetap_manifest_reader_format_version(const icetap_manifest_reader_t *r);
int icetap_manifest_reader_content(const icetap_manifest_reader_t *r);
/* partition field ids of the tuple, in order */
size_t icetap_manifest_reader_partition_ids(
    const icetap_manifest_reader_t *r, const int32_t **ids);
icetap_rc icetap_manifest_reader_next(icetap_manifest_reader_t *r,
    icetap_manifest_entry_t *e, icetap_error_t *err);
void icetap_manifest_reader_destroy(icetap_manifest_reader_t *r);


/* manifest lists */

typedef struct {
    int                       format_version;
    int64_t                   snapshot_id;
    int64_t                   parent_snapshot_id;   /* ICETAP_NO_SNAPSHOT */
    int64_t                   sequence_number;
    int64_t                   first_row_id;         /* v3 */
    icetap_avro_codec_t       codec;
    size_t                    block_size;
    const uint8_t            *sync;
    icetap_avro_write_pt      write;
    void                     *ctx;
} icetap_manifest_list_writer_conf_t;

icetap_rc icetap_manifest_list_writer_create(
    const icetap_manifest_list_writer_conf_t *conf,
    icetap_manifest_list_writer_t **w, icetap_error_t *err);

/*
 * Adds one manifest.  New manifests (sequence numbers ICETAP_UNSET) get
 * the snapshot's sequence number.  v3 row lineage (spec 6): a data
 * manifest without a first_row_id gets the next id, which then advances
 * by its added + existing rows; delete manifests get null.
 */
icetap_rc icetap_manifest_list_writer_add(icetap_manifest_list_writer_t *w,
    const icetap_manifest_file_t *mf, icetap_error_t *err);
/* *added_rows (v3): row ids consumed, the snapshot's added-rows */
icetap_rc icetap_manifest_list_writer_finish(
    icetap_manifest_list_writer_t *w, int64_t *added_rows,
    icetap_error_t *err);
void icetap_manifest_list_writer_destroy(icetap_manifest_list_writer_t *w);


icetap_rc icetap_manifest_list_reader_create(icetap_avro_read_pt read,
    void *ctx, icetap_manifest_list_reader_t **r, icetap_error_t *err);
icetap_rc icetap_manifest_list_reader_create_mem(const void *data,
    size_t len, icetap_manifest_list_reader_t **r, icetap_error_t *err);
const char *icetap_manifest_list_reader_meta(
    const icetap_manifest_list_reader_t *r, const char *key);
icetap_rc icetap_manifest_list_reader_next(icetap_manifest_list_reader_t *r,
    icetap_manifest_file_t *mf, icetap_error_t *err);
void icetap_manifest_list_reader_destroy(icetap_manifest_list_reader_t *r);


#endif /* ICETAP_MANIFEST_H */
