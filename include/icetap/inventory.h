/*
 * Copyright (C) icetap authors
 *
 * The S3 Metadata live inventory table of one general purpose bucket:
 * one row per object version and delete marker (spec s3-metadata.md
 * section 3, 16 columns), built by a backfill and kept current from the
 * WAL.
 *
 * Life of a table:
 *
 *   start     the first commit (no rows) takes the journal's WAL cursor
 *             of that moment and the state "backfilling";
 *   backfill  lists every version of the bucket (ListObjectVersions),
 *             completes each with HEAD and GetObjectTagging by
 *             "concurrency" threads, and commits the rows with the state
 *             "active" (a killed backfill starts again from the listing);
 *   step      reads the WAL records after the table's cursor, folds those
 *             of each (key, version) in sequence order, and commits in one
 *             snapshot the new rows, the deletion (v3 deletion vectors,
 *             v2 position deletes) of the rows they replace or remove,
 *             and the new cursor.
 *
 * Every mutation after the start is in the WAL after the start cursor,
 * so replaying them over the listing converges to the bucket's state
 * whatever the listing saw of each key; the cursor and the rows are
 * committed together, so a killed helper neither loses nor repeats one.
 *
 * A row's identity is (key, version); the null version (no version id,
 * or "null") has version_id NULL.  The index maps identities to (data
 * file, position, sequence number); it is kept in a local file together
 * with the snapshot id it describes, and rebuilt from the table whenever
 * that is not the current snapshot.
 */

#ifndef ICETAP_INVENTORY_H
#define ICETAP_INVENTORY_H


#include <icetap/journal_writer.h>


#define ICETAP_INVENTORY_COLUMNS     16
#define ICETAP_INVENTORY_STATE_KEY   "icetap.inventory-state"
#define ICETAP_INVENTORY_MANAGED_BY  "icetap inventory"


typedef enum {
    ICETAP_INVENTORY_NEW = 0,           /* no snapshot yet */
    ICETAP_INVENTORY_BACKFILLING,
    ICETAP_INVENTORY_ACTIVE
} icetap_inventory_state_e;


/* the Iceberg schema JSON of the inventory table (field ids 1..20) */
const char *icetap_inventory_schema_json(void);


/* a store handle on the bucket for one backfill thread */
typedef icetap_store_t *(*icetap_inventory_store_pt)(void *ctx,
    icetap_error_t *err);


typedef struct {
    const char                 *wal_dir;
    const char                 *bucket;
    const char                 *index_path;     /* NULL: memory only */
    icetap_store_t             *source;         /* S3 store of the bucket */
    icetap_inventory_store_pt   open_store;     /* NULL: source only */
    void                       *store_ctx;
    unsigned                    concurrency;    /* 0: 8 */
    size_t                      max_records;    /* per step, 0: 100000 */
    int                       (*cancelled)(void);   /* stops a backfill */
} icetap_inventory_conf_t;


typedef struct {
    uint64_t                    commits;
    uint64_t                    applied;        /* records folded */
    uint64_t                    rows_added;
    uint64_t                    rows_deleted;
    uint64_t                    lookups;
    uint64_t                    backfilled;     /* rows of the backfill */
    uint64_t                    index_rebuilds;
    uint64_t                    index_loads;
    uint64_t                    live_rows;      /* index size */
    uint64_t                    files;          /* live data files */
    uint64_t                    deleted_rows;   /* positions deleted */
    uint64_t                    bytes_written;
    uint64_t                    rewrites;
    uint64_t                    reconciliations;
    uint64_t                    drift_added;    /* versions and markers */
    uint64_t                    drift_changed;
    uint64_t                    drift_removed;
    uint64_t                    drift_skipped;  /* keys changing meanwhile */
    int64_t                     last_reconcile_ms;
    int64_t                     last_commit_ms;
    int64_t                     snapshot_id;
} icetap_inventory_stats_t;


typedef struct icetap_inventory_s  icetap_inventory_t;


/* the table must stay open while the inventory is used */
icetap_rc icetap_inventory_open(icetap_table_t *t,
    const icetap_inventory_conf_t *conf, icetap_inventory_t **inv,
    icetap_error_t *err);
void icetap_inventory_free(icetap_inventory_t *inv);

/* reloads the table; the state of its current snapshot */
icetap_rc icetap_inventory_state(icetap_inventory_t *inv,
    icetap_inventory_state_e *state, icetap_error_t *err);

/* the first commit: no rows, state backfilling, cursor "from" */
icetap_rc icetap_inventory_start(icetap_inventory_t *inv,
    const icetap_wal_cursor_t *from, icetap_error_t *err);

/*
 * Lists the bucket and commits its rows with the state active;
 * ICETAP_AGAIN when conf->cancelled() said to stop (nothing committed).
 */
icetap_rc icetap_inventory_backfill(icetap_inventory_t *inv,
    icetap_error_t *err);

/*
 * Applies up to max_records WAL records after the cursor in one commit;
 * *applied gets the records of this bucket, *more is set when records
 * remain.
 */
icetap_rc icetap_inventory_step(icetap_inventory_t *inv, size_t *applied,
    int *more, icetap_error_t *err);

/*
 * When the current snapshot has more than max_files data files, or more
 * deleted rows than live ones: its live rows rewritten into new files
 * replacing them all (their deletes go with them), *rewritten set.
 */
icetap_rc icetap_inventory_rewrite(icetap_inventory_t *inv, size_t max_files,
    int *rewritten, icetap_error_t *err);

/*
 * Drift reconciliation: the bucket's listing against the current rows
 * (apply the WAL first).  Versions and markers added, changed (another
 * ETag or size) or removed behind the gateway's back become WAL records
 * without requester (CREATE looked up by the journal, DELETE of a marker
 * or a version) in a sealed segment the journal and this inventory then
 * consume; keys with WAL records after the cursor are left out, after
 * grace_ms for requests in flight.  Postponed while the records of the
 * previous reconciliation are not applied yet.  Tag changes made behind
 * the gateway's back are not seen (a listing does not show tags).
 */

typedef struct {
    uint64_t                    added;
    uint64_t                    changed;
    uint64_t                    removed;
    uint64_t                    skipped;
    uint64_t                    emitted;        /* WAL records */
    char                        segment[64];    /* their segment, or "" */
    unsigned                    postponed:1;
} icetap_inventory_drift_t;

icetap_rc icetap_inventory_reconcile(icetap_inventory_t *inv,
    unsigned grace_ms, icetap_inventory_drift_t *d, icetap_error_t *err);

/* records of the bucket after the cursor, counted up to max */
icetap_rc icetap_inventory_lag(icetap_inventory_t *inv, uint64_t max,
    uint64_t *records, icetap_error_t *err);

/* committed, or past records of other buckets */
const icetap_wal_cursor_t *icetap_inventory_cursor(
    const icetap_inventory_t *inv);
const icetap_inventory_stats_t *icetap_inventory_stats(
    const icetap_inventory_t *inv);

/* the cursor of a journal table's current snapshot (empty when none) */
icetap_rc icetap_inventory_journal_cursor(icetap_table_t *journal,
    icetap_wal_cursor_t *c, icetap_error_t *err);


#endif /* ICETAP_INVENTORY_H */
