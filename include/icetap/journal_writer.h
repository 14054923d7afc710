/*
 * Copyright (C) icetap authors
 *
 * The journal writer: WAL records of one general purpose bucket to
 * commits of its S3 Metadata journal table, exactly once.
 *
 * The table's position in the WAL (an icetap_wal_cursor_t) is stored in
 * the summary of every snapshot it commits, under "icetap.wal-cursor",
 * in the same commit as the rows of the records it consumed.  A writer
 * starts from the cursor of the current snapshot; a commit that lost the
 * race for the catalog pointer is not retried on newer metadata (its rows
 * might be there already) but fails with ICETAP_CONFLICT, and the next
 * step starts again from the cursor of whatever won.  Either a batch's
 * rows and its cursor are both in the table, or neither is.
 *
 * A snapshot without a cursor (another kind of commit) leaves the cursor
 * of its newest ancestor that has one in force.
 *
 * Records of other buckets, and those older than the configuration
 * (time_us < enabled_at_us), are skipped.  Batches holding only such
 * records advance the writer's cursor in memory without a commit: after
 * a restart they are read and skipped again, which loses nothing.
 */

#ifndef ICETAP_JOURNAL_WRITER_H
#define ICETAP_JOURNAL_WRITER_H


#include <icetap/journal.h>
#include <icetap/catalog.h>
#include <icetap/table.h>


#define ICETAP_JOURNAL_MANAGED_BY   "icetap journal"


/* opening (and creating) a metadata table through the catalog */

typedef struct {
    const char               *state_bucket;     /* of "icetap_store" */
    const char               *table_bucket;     /* "aws-s3" */
    const char               *bucket_arn;       /* its ARN */
    const char               *bucket_type;      /* "aws" or "customer" */
    const char               *namespace;        /* "b_<bucket>" */
    const char               *name;             /* "journal" */
    const char               *arn;              /* table ARN, NULL: new */
    int                       format_version;   /* 2 or 3, 0: 3 */
    const char               *schema_json;      /* NULL: the journal's */
    const char               *managed_by;       /* NULL: the journal */
    unsigned                  unpartitioned:1;  /* else day(field 5) */
} icetap_journal_table_conf_t;


typedef struct {
    icetap_catalog_table_t    entry;
    icetap_catalog_pointer_t  cp;
    icetap_table_pointer_t    pointer;
    icetap_table_t           *table;
    unsigned                  created:1;        /* by this call */
} icetap_journal_table_t;


/*
 * Opens the table, creating the catalog entries and the table (schema of
 * icetap_journal_schema_json(), partitioned by day(record_timestamp))
 * when create is set and it does not exist.  ICETAP_NOTFOUND without
 * create; ICETAP_CONFLICT when a table of that name exists with another
 * ARN than conf->arn (S3 Metadata's JournalTableAlreadyExists).
 */
icetap_rc icetap_journal_table_open(icetap_store_t *store,
    const icetap_journal_table_conf_t *conf, int create,
    icetap_journal_table_t **jt, icetap_error_t *err);
void icetap_journal_table_close(icetap_journal_table_t *jt);


/* looking up what a record lacks (HEAD and GetObjectTagging) */

typedef struct {
    icetap_journal_enrich_t   e;
    void                     *head;     /* owned storage of e's strings */
    void                     *tags;
    size_t                    ntags;
    icetap_kv_t              *kv;
} icetap_journal_lookup_t;

/*
 * source is an S3 store on the record's bucket.  A version that is gone,
 * or (without a version id) an object whose ETag is no longer the
 * record's, is reported with e.found = 0.
 */
icetap_rc icetap_journal_lookup(icetap_store_t *source,
    const icetap_wal_rec_t *rec, icetap_journal_lookup_t *lk,
    icetap_error_t *err);
void icetap_journal_lookup_free(icetap_journal_lookup_t *lk);


/* the writer */

typedef struct {
    const char               *wal_dir;
    const char               *bucket;           /* records of this bucket */
    int64_t                   enabled_at_us;
    size_t                    max_records;      /* per step, 0: 100000 */
    icetap_store_t           *source;           /* lookups; NULL: none */
    icetap_store_t          **lookup_stores;    /* more handles on the
                                                   source bucket (copied):
                                                   a batch's lookups run on
                                                   that many threads first */
    size_t                    nlookup_stores;
    const icetap_table_writer_conf_t  *writer;  /* NULL: defaults */
} icetap_journal_writer_conf_t;


typedef struct {
    uint64_t                  commits;
    uint64_t                  rows;             /* committed */
    uint64_t                  skipped;          /* other buckets, older */
    uint64_t                  lookups;
    uint64_t                  lookups_ahead;    /* of them on threads */
    uint64_t                  gone;             /* lookups finding none */
    uint64_t                  conflicts;
    int64_t                   last_commit_ms;
    int64_t                   snapshot_id;      /* of the last commit */
} icetap_journal_stats_t;


typedef struct icetap_journal_writer_s  icetap_journal_writer_t;

/* the table must stay open while the writer is used */
icetap_rc icetap_journal_writer_open(icetap_table_t *t,
    const icetap_journal_writer_conf_t *conf, icetap_journal_writer_t **jw,
    icetap_error_t *err);

/*
 * One batch: reads up to max_records records after the cursor, writes
 * the rows of this bucket's and commits them with the new cursor.
 * *rows gets the rows committed, *more is set when records remain.
 */
icetap_rc icetap_journal_writer_step(icetap_journal_writer_t *jw,
    size_t *rows, int *more, icetap_error_t *err);

/* the writer's cursor: committed, or past records it had to skip */
const icetap_wal_cursor_t *icetap_journal_writer_cursor(
    const icetap_journal_writer_t *jw);
const icetap_journal_stats_t *icetap_journal_writer_stats(
    const icetap_journal_writer_t *jw);

/*
 * Journal lag: the records of the bucket after the cursor (counted up to
 * max) and the time of the oldest (0 when none).
 */
icetap_rc icetap_journal_writer_lag(icetap_journal_writer_t *jw,
    uint64_t max, uint64_t *records, int64_t *oldest_us,
    icetap_error_t *err);

void icetap_journal_writer_free(icetap_journal_writer_t *jw);


/*
 * Record expiration: removes the data files of the days that end before
 * cutoff_us (whole partitions of day(record_timestamp), so a row goes at
 * most a day after it became eligible), in one commit that carries the
 * current WAL cursor on.  *files and *rows get what was removed.
 */
icetap_rc icetap_journal_expire_records(icetap_table_t *t, int64_t cutoff_us,
    size_t *files, uint64_t *rows, icetap_error_t *err);


/*
 * For each segment the smallest offset over n cursors: what every table
 * has consumed.  With n == 0 every segment counts as consumed (offset
 * UINT64_MAX), so that a WAL nobody journals does not grow.  names are
 * the segments to consider (icetap_wal_list()).
 */
icetap_rc icetap_journal_cursor_min(const icetap_wal_cursor_t *const *c,
    size_t n, char **names, size_t nnames, icetap_wal_cursor_t *min);


#endif /* ICETAP_JOURNAL_WRITER_H */
