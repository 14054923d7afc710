/*
 * Copyright (C) icetap authors
 *
 * Iceberg table operations over a store: create and open a table,
 * commit changes as "write a new metadata file, then swap the pointer"
 * with optimistic retries, write partitioned data files, append (fast
 * or merging), overwrite and remove files, row-level deletes (v3
 * deletion vectors, v2 position-delete files), expire snapshots and
 * remove what no retained snapshot references, list live data files
 * with their deletes and read live rows.
 *
 * A table lives at a location URI (written into the metadata, e.g.
 * "s3://bucket/wh/db/t") whose objects are the store keys under a prefix
 * ("wh/db/t").  Every path in the metadata must lie under the location.
 *
 * The pointer to the current metadata file is a compare-and-swap
 * callback, so a catalog can keep it anywhere; the default keeps it in
 * the store itself: the object <prefix>/metadata/metadata-location.text
 * holds the current metadata URI and is replaced with a conditional PUT
 * (If-Match its ETag; If-None-Match: * on create).  A table handle is
 * used by one thread at a time.
 */

#ifndef ICETAP_TABLE_H
#define ICETAP_TABLE_H


#include <icetap/core.h>
#include <icetap/store.h>
#include <icetap/metadata.h>
#include <icetap/manifest.h>
#include <icetap/parquet.h>
#include <icetap/roaring.h>


#define ICETAP_TABLE_POINTER_KEY   "metadata/metadata-location.text"
#define ICETAP_TABLE_HINT_KEY      "metadata/version-hint.text"


typedef struct icetap_table_s         icetap_table_t;
typedef struct icetap_table_writer_s  icetap_table_writer_t;
typedef struct icetap_table_update_s  icetap_table_update_t;
typedef struct icetap_table_reader_s  icetap_table_reader_t;


/*
 * The metadata pointer.  load: the current metadata location into
 * *location (icetap_alloc'd), ICETAP_NOTFOUND when there is no table.
 * swap: atomically replace "expected" (NULL: no table yet) by
 * "location"; ICETAP_CONFLICT when the current one is not "expected".
 * A swap either happens completely or not at all.
 */

typedef struct {
    icetap_rc  (*load)(void *ctx, char **location, icetap_error_t *err);
    icetap_rc  (*swap)(void *ctx, const char *expected,
                       const char *location, icetap_error_t *err);
    void       *ctx;
} icetap_table_pointer_t;


/* the default pointer: an object of the store holding the location */

typedef struct {
    icetap_store_t       *store;
    const char           *key;
} icetap_table_store_pointer_t;

icetap_rc icetap_table_store_pointer_load(void *ctx, char **location,
    icetap_error_t *err);
icetap_rc icetap_table_store_pointer_swap(void *ctx, const char *expected,
    const char *location, icetap_error_t *err);


typedef enum {
    ICETAP_TABLE_NAMING_HADOOP = 0,     /* v<N>.metadata.json + hint */
    ICETAP_TABLE_NAMING_CATALOG         /* <NNNNN>-<uuid>.metadata.json */
} icetap_table_naming_e;


typedef struct {
    const char               *location;     /* URI, no trailing slash */
    const char               *prefix;       /* store key of location */
    const icetap_table_pointer_t  *pointer; /* NULL: the store pointer */
    icetap_table_naming_e     naming;
    unsigned                  no_version_hint:1;

    unsigned                  max_attempts;     /* 0: 10 */
    unsigned                  retry_base_ms;    /* 0: 10 */
    unsigned                  retry_max_ms;     /* 0: 1000 */

    /* merging append: merge when a spec has more data manifests */
    unsigned                  merge_min_count;  /* 0: 100 */
    size_t                    merge_target_size;    /* 0: 8 MiB */
} icetap_table_conf_t;


/*
 * Create writes the first metadata file (v1.metadata.json or
 * 00000-<uuid>.metadata.json) and sets the pointer; ICETAP_CONFLICT when
 * the table exists.  The handle keeps copies of conf's strings.
 */
icetap_rc icetap_table_create(icetap_store_t *store,
    const icetap_table_conf_t *conf, int format_version,
    const icetap_schema_t *schema, const icetap_partition_spec_t *spec,
    const icetap_sort_order_t *order, const icetap_kvs_t *properties,
    icetap_table_t **t, icetap_error_t *err);
icetap_rc icetap_table_open(icetap_store_t *store,
    const icetap_table_conf_t *conf, icetap_table_t **t,
    icetap_error_t *err);
/* reload the current metadata through the pointer */
icetap_rc icetap_table_refresh(icetap_table_t *t, icetap_error_t *err);
const icetap_table_metadata_t *icetap_table_metadata(const icetap_table_t *t);
const char *icetap_table_metadata_location(const icetap_table_t *t);
icetap_store_t *icetap_table_store(const icetap_table_t *t);
void icetap_table_close(icetap_table_t *t);

/* the store key of a path under the table location, NULL if outside */
char *icetap_table_key(const icetap_table_t *t, const char *path);


/*
 * The commit primitive.  apply() changes a private copy of the current
 * metadata; the result is written as the next metadata file and the
 * pointer swapped.  When another writer won the swap, the metadata is
 * reloaded and apply() runs again on it, with back-off, up to
 * max_attempts times.  An apply() failing with ICETAP_CONFLICT means the
 * change no longer fits the table: the commit fails with it at once.
 * Counters of the commits of a handle are kept for tests and status.
 */

typedef icetap_rc (*icetap_table_apply_pt)(void *ctx, icetap_table_t *t,
    icetap_table_metadata_t *md, icetap_error_t *err);

icetap_rc icetap_table_commit(icetap_table_t *t, icetap_table_apply_pt apply,
    void *ctx, icetap_error_t *err);

typedef struct {
    uint64_t                  commits;
    uint64_t                  conflicts;        /* lost swaps, retried */
    uint64_t                  attempts;
} icetap_table_stats_t;

const icetap_table_stats_t *icetap_table_stats(const icetap_table_t *t);


/*
 * Writing data files.  Rows go through the Parquet writer: begin() takes
 * the values of the default spec's source columns (one per spec field,
 * in spec order), picks the file of that partition and returns its
 * Parquet writer; the caller writes the row's values with icetap_pq_*
 * and calls end().  A file rolls over once its flushed size reaches
 * target_file_size or it holds target_file_rows rows; with more open
 * partitions than max_open_files the least recently used file is
 * closed.  row() does both for a table whose columns are all
 * primitive and top level: one value per column, in schema order.
 * Files are spilled to a temporary file and uploaded when closed.
 */

typedef struct {
    size_t                    target_file_size;     /* 0: 128 MiB */
    int64_t                   target_file_rows;     /* 0: no limit */
    size_t                    row_group_size;       /* 0: 8 MiB */
    size_t                    page_size;            /* 0: 1 MiB */
    unsigned                  max_open_files;       /* 0: 32 */
    icetap_pq_codec_e         codec;                /* default ZSTD */
    int                       codec_set;            /* else default */
    size_t                    spill_size;           /* 0: 4 MiB */
} icetap_table_writer_conf_t;

icetap_rc icetap_table_writer_open(icetap_table_t *t,
    const icetap_table_writer_conf_t *conf, icetap_table_writer_t **w,
    icetap_error_t *err);
icetap_rc icetap_table_writer_begin(icetap_table_writer_t *w,
    const icetap_value_t *source_values, icetap_pq_writer_t **pw);
icetap_rc icetap_table_writer_end(icetap_table_writer_t *w);
icetap_rc icetap_table_writer_row(icetap_table_writer_t *w,
    const icetap_value_t *values, size_t n);
/* closes and uploads every open file */
icetap_rc icetap_table_writer_close(icetap_table_writer_t *w);
/* bytes written so far: the closed files and what open ones flushed */
uint64_t icetap_table_writer_bytes(const icetap_table_writer_t *w);
/* the files written so far (complete after close), owned by the writer */
size_t icetap_table_writer_nfiles(const icetap_table_writer_t *w);
const icetap_data_file_t *icetap_table_writer_file(
    const icetap_table_writer_t *w, size_t i);
/* deletes the files written (for an abandoned write) */
void icetap_table_writer_abort(icetap_table_writer_t *w);
void icetap_table_writer_free(icetap_table_writer_t *w);
const icetap_error_t *icetap_table_writer_error(
    const icetap_table_writer_t *w);

/*
 * Manifest metrics of a closed Parquet writer: fills f (record count,
 * size, column sizes, value/null/NaN counts, bounds with strings and
 * binary truncated to 16 characters/bytes as Iceberg does, split
 * offsets).  The arrays live in "owner" until it is freed.
 */
typedef struct icetap_table_df_s  icetap_table_df_t;

icetap_rc icetap_table_df_from_parquet(icetap_pq_writer_t *pw,
    const icetap_pq_schema_t *ps, const char *path, int32_t spec_id,
    const icetap_value_t *partition, size_t npartition,
    icetap_table_df_t **owner, icetap_error_t *err);
const icetap_data_file_t *icetap_table_df(const icetap_table_df_t *df);
void icetap_table_df_free(icetap_table_df_t *df);

/* Iceberg's truncate(16) bound forms; 0 when no upper bound exists */
size_t icetap_table_truncate_lower(int is_string, const uint8_t *p,
    size_t len, size_t width);
size_t icetap_table_truncate_upper(int is_string, const uint8_t *p,
    size_t len, size_t width, uint8_t *out);


/*
 * A change to commit: files to add (data files written beforehand),
 * data files to remove (their deletion vectors and file-scoped position
 * deletes go with them) and rows to delete by position.  The operation
 * is derived (append, overwrite, delete) unless set ("replace" for a
 * rewrite that keeps the content).  On commit the removed and
 * row-deleted files must still be live, else ICETAP_CONFLICT.
 */

icetap_rc icetap_table_update_new(icetap_table_t *t,
    icetap_table_update_t **u, icetap_error_t *err);
icetap_rc icetap_table_update_add_file(icetap_table_update_t *u,
    const icetap_data_file_t *f, icetap_error_t *err);
icetap_rc icetap_table_update_add_files(icetap_table_update_t *u,
    icetap_table_writer_t *w, icetap_error_t *err);
icetap_rc icetap_table_update_remove_file(icetap_table_update_t *u,
    const char *path, icetap_error_t *err);
icetap_rc icetap_table_update_delete_rows(icetap_table_update_t *u,
    const char *data_file, const icetap_roaring64_t *positions,
    icetap_error_t *err);
icetap_rc icetap_table_update_delete_row(icetap_table_update_t *u,
    const char *data_file, uint64_t pos, icetap_error_t *err);
icetap_rc icetap_table_update_set(icetap_table_update_t *u,
    const char *summary_key, const char *value, icetap_error_t *err);
/* "replace", "overwrite", ...; NULL: derived */
icetap_rc icetap_table_update_operation(icetap_table_update_t *u,
    const char *op, icetap_error_t *err);
/*
 * A rewrite planned at a sequence number: a delete file newer than it
 * that applies to a removed file (or to any file: an equality or a
 * multi-file position delete) fails the commit with ICETAP_CONFLICT, as
 * the rewritten rows would bring the deleted ones back.  -1: no check.
 */
void icetap_table_update_since(icetap_table_update_t *u,
    int64_t sequence_number);
/*
 * The snapshot summary properties of the parent (the snapshot the commit
 * builds on, whichever it is) whose names begin with prefix are copied:
 * a rewrite keeps the journal's "icetap.wal-cursor" current.
 */
icetap_rc icetap_table_update_inherit(icetap_table_update_t *u,
    const char *prefix, icetap_error_t *err);
/* merging append: rewrite small manifests when there are too many */
void icetap_table_update_merge(icetap_table_update_t *u, int merge);
icetap_rc icetap_table_update_commit(icetap_table_update_t *u,
    int64_t *snapshot_id, icetap_error_t *err);
/* frees; files of a failed or never committed update are deleted */
void icetap_table_update_free(icetap_table_update_t *u);


/*
 * Live data files of a snapshot (-1: the current one) with their
 * deleted positions (DVs and position deletes that apply: same file,
 * delete sequence number >= the file's data sequence number; v2
 * position deletes only where no DV exists).  Everything passed to the
 * callback is valid during the call only.
 */

typedef struct {
    const icetap_data_file_t *file;
    int32_t                   spec_id;
    int64_t                   sequence_number;   /* data sequence */
    int64_t                   snapshot_id;       /* added by */
    int64_t                   first_row_id;      /* v3, else UNSET */
    const icetap_roaring64_t *deleted;           /* NULL: none */
    uint64_t                  ndeleted;
} icetap_table_file_t;

typedef icetap_rc (*icetap_table_file_pt)(void *ctx,
    const icetap_table_file_t *f);

icetap_rc icetap_table_files(icetap_table_t *t, int64_t snapshot_id,
    icetap_table_file_pt cb, void *ctx, icetap_error_t *err);


/*
 * Live rows.  Each batch is one row group of one data file: the decoded
 * leaf columns of the file and a live flag per row (deleted rows 0).
 * icetap_table_batch_value() reads a primitive column that is not inside
 * a list or map.
 */

typedef struct {
    const char               *file_path;
    const icetap_pq_schema_t *schema;
    int64_t                   first_pos;         /* file position of row 0 */
    size_t                    nrows;
    const uint8_t            *live;
    size_t                    nlive;
    const icetap_pq_column_t *cols;              /* one per leaf */
    size_t                    ncols;
    const int64_t           **vidx;              /* row -> value, -1 null */
} icetap_table_batch_t;

icetap_rc icetap_table_reader_open(icetap_table_t *t, int64_t snapshot_id,
    icetap_table_reader_t **r, icetap_error_t *err);
/* ICETAP_EOF after the last batch */
icetap_rc icetap_table_reader_next(icetap_table_reader_t *r,
    icetap_table_batch_t *b, icetap_error_t *err);
void icetap_table_reader_free(icetap_table_reader_t *r);
icetap_rc icetap_table_batch_value(const icetap_table_batch_t *b,
    int32_t field_id, size_t row, icetap_value_t *v, icetap_error_t *err);


/*
 * Snapshot expiry: icetap_metadata_expire_snapshots() rules (older than
 * older_than_ms unless among the retain_last newest of a branch, refs
 * kept) committed as a metadata change; then the manifest lists,
 * manifests, data and delete files that only expired snapshots
 * referenced are deleted, and metadata files beyond the newest
 * keep_metadata of the metadata log (0: the table's
 * write.metadata.previous-versions-max, default 100).
 */

typedef struct {
    size_t                    snapshots;
    size_t                    manifest_lists;
    size_t                    manifests;
    size_t                    data_files;
    size_t                    delete_files;
    size_t                    metadata_files;
} icetap_table_expired_t;

icetap_rc icetap_table_expire(icetap_table_t *t, int64_t older_than_ms,
    int64_t retain_last, size_t keep_metadata, icetap_table_expired_t *res,
    icetap_error_t *err);


int64_t icetap_table_now_ms(void);


#endif /* ICETAP_TABLE_H */
