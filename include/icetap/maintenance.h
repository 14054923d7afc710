/*
 * Copyright (C) icetap authors
 *
 * Table maintenance primitives, as S3 Tables runs them: compaction (a
 * rewrite of data files into files of a target size, bin-packed, sorted
 * or z-ordered), snapshot expiry and the removal of unreferenced files.
 *
 * A rewrite streams: bin-packing appends whole row groups of files
 * without deletes whose Parquet schema is the output's (the row-group
 * copy path) and re-encodes the others a row group at a time, dropping
 * deleted rows; sorting is an external merge sort (sorted runs of at
 * most "memory" decoded bytes spilled to temporary Parquet files, merged
 * 64 at a time).  So memory does not depend on the table's size.  v3
 * row lineage is kept: rewritten rows carry _row_id and
 * _last_updated_sequence_number explicitly.  The result is committed as
 * a "replace" snapshot; a concurrent commit that removed a rewritten
 * file or deleted rows of one fails it with ICETAP_CONFLICT (nothing is
 * left behind), a concurrent append is kept.  Tables with equality
 * deletes are refused (ICETAP_INVALID): rewritten rows would escape them.
 * The snapshot carries the parent's "icetap.*" summary properties.
 */

#ifndef ICETAP_MAINTENANCE_H
#define ICETAP_MAINTENANCE_H


#include <icetap/table.h>


typedef enum {
    ICETAP_REWRITE_BINPACK = 0,
    ICETAP_REWRITE_SORT,
    ICETAP_REWRITE_ZORDER
} icetap_rewrite_strategy_e;


typedef struct {
    icetap_rewrite_strategy_e  strategy;
    const char               **files;       /* NULL: every live data file */
    size_t                     nfiles;
    /* sort: NULL takes the table's sort order; z-order: the columns */
    const char               **columns;
    size_t                     ncolumns;
    size_t                     target_file_size;    /* 0: 512 MiB */
    size_t                     row_group_size;      /* 0: 128 MiB */
    size_t                     memory;              /* 0: 256 MiB */
    const char                *tmp_dir;             /* NULL: $TMPDIR */
    unsigned                   no_copy:1;           /* always re-encode */
} icetap_rewrite_conf_t;


typedef struct {
    size_t                     files_rewritten;
    size_t                     files_added;
    size_t                     row_groups_copied;
    size_t                     runs;                /* sort runs spilled */
    int64_t                    rows;
    int64_t                    rows_deleted;        /* dropped */
    uint64_t                   bytes_read;
    uint64_t                   bytes_written;
    int64_t                    snapshot_id;         /* -1: no commit */
} icetap_rewrite_result_t;


/*
 * Rewrites the given live data files (grouped by partition) and commits
 * the change.  Files that are no longer live fail it with
 * ICETAP_CONFLICT; nothing to rewrite is ICETAP_OK with snapshot_id -1.
 */
icetap_rc icetap_table_rewrite(icetap_table_t *t,
    const icetap_rewrite_conf_t *conf, icetap_rewrite_result_t *res,
    icetap_error_t *err);


/*
 * Expires snapshots from the metadata only: a snapshot goes when it is
 * older than older_than_ms and not among the min_keep newest of its
 * branch (refs are kept).  The files only they referenced become
 * unreferenced; icetap_table_remove_unreferenced() deletes them.
 */
icetap_rc icetap_table_expire_snapshots(icetap_table_t *t,
    int64_t older_than_ms, int64_t min_keep, size_t *expired,
    icetap_error_t *err);


/*
 * Unreferenced files: every object under the table's location that no
 * snapshot of the current metadata references (data, delete, manifest,
 * manifest-list files, the metadata files of the log, statistics) is
 * marked noncurrent once its last modification is unreferenced_ms old;
 * a marked object is deleted noncurrent_ms after its mark, when the
 * metadata then current (reloaded just before) still does not reference
 * it.  Marks are kept in the JSON document marks_key of the table's
 * store.  now_ms is the clock (tests accelerate it).
 */

typedef struct {
    int64_t                    now_ms;
    int64_t                    unreferenced_ms;
    int64_t                    noncurrent_ms;
    const char                *marks_key;
} icetap_unreferenced_conf_t;

typedef struct {
    size_t                     objects;
    size_t                     referenced;
    size_t                     marked;              /* newly */
    size_t                     pending;             /* marked, waiting */
    size_t                     deleted;
} icetap_unreferenced_result_t;

icetap_rc icetap_table_remove_unreferenced(icetap_table_t *t,
    const icetap_unreferenced_conf_t *conf,
    icetap_unreferenced_result_t *res, icetap_error_t *err);


#endif /* ICETAP_MAINTENANCE_H */
