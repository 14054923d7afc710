/*
 * Copyright (C) icetap authors
 *
 * From WAL records to rows of the S3 Metadata journal table, and the WAL
 * cursor that makes the journal helper's commits exactly-once.
 *
 * A row has the 21 columns of the journal (spec s3-metadata.md section 2)
 * with its NULL rules.  The cursor maps each WAL segment to the offset up
 * to which its records are committed; it is stored in the snapshot summary
 * of the commit that consumed them, so a restarted helper resumes from the
 * table itself, neither losing nor repeating a record.
 */

#ifndef ICETAP_JOURNAL_H
#define ICETAP_JOURNAL_H


#include <icetap/wal.h>


#define ICETAP_JOURNAL_COLUMNS       21
#define ICETAP_JOURNAL_CURSOR_KEY    "icetap.wal-cursor"


/* facts a HEAD (and GetObjectTagging) of the version found later */

typedef struct {
    unsigned       found:1;           /* the version still existed */
    unsigned       has_tags:1;
    unsigned       has_meta:1;
    unsigned       multipart:1;
    unsigned       bucket_key:1;
    int64_t        size;
    int64_t        last_modified_us;
    icetap_str_t   etag;
    icetap_str_t   storage_class;
    icetap_str_t   encryption;        /* SSE-S3, SSE-KMS, DSSE-KMS, SSE-C */
    icetap_str_t   kms_key_arn;
    icetap_str_t   checksum_algorithm;
    size_t         ntags;
    icetap_kv_t   *tags;
    size_t         nmeta;
    icetap_kv_t   *meta;
} icetap_journal_enrich_t;


/* a nullable column: null is set when the value is SQL NULL */

typedef struct {
    unsigned       null:1;
    icetap_str_t   s;
} icetap_jstr_t;

typedef struct {
    unsigned       null:1;
    int64_t        v;
} icetap_jlong_t;

typedef struct {
    unsigned       null:1;
    unsigned       v:1;
} icetap_jbool_t;

typedef struct {
    unsigned       null:1;
    size_t         n;
    icetap_kv_t   *kv;
} icetap_jmap_t;


typedef struct {
    icetap_str_t   bucket;                /* required columns */
    icetap_str_t   key;
    char           sequence_number[17];
    const char    *record_type;
    int64_t        record_timestamp_us;

    icetap_jstr_t  version_id;
    icetap_jbool_t is_delete_marker;
    icetap_jlong_t size;
    icetap_jlong_t last_modified_us;
    icetap_jstr_t  e_tag;
    icetap_jstr_t  storage_class;
    icetap_jbool_t is_multipart;
    icetap_jstr_t  encryption_status;
    icetap_jbool_t is_bucket_key_enabled;
    icetap_jstr_t  kms_key_arn;
    icetap_jstr_t  checksum_algorithm;
    icetap_jmap_t  object_tags;
    icetap_jmap_t  user_metadata;
    icetap_jstr_t  requester;
    icetap_jstr_t  source_ip_address;
    icetap_jstr_t  request_id;
} icetap_journal_row_t;


/* whether a record needs a HEAD of its version before it becomes a row */
int icetap_journal_needs_lookup(const icetap_wal_rec_t *rec);

/*
 * Builds the row of a record; enrich (may be NULL) holds what a lookup
 * found.  Strings point into rec and enrich.
 */
icetap_rc icetap_journal_row(const icetap_wal_rec_t *rec,
    const icetap_journal_enrich_t *enrich, icetap_journal_row_t *row,
    icetap_error_t *err);

/* the Iceberg schema JSON of the journal table (field ids 1..25) */
const char *icetap_journal_schema_json(void);


/* the WAL cursor */

typedef struct {
    char      *name;              /* segment file name */
    uint64_t   offset;            /* consumed up to here */
    unsigned   finished:1;        /* no more records will be appended */
} icetap_wal_pos_t;


typedef struct {
    icetap_wal_pos_t  *pos;
    size_t             n;
    size_t             cap;
} icetap_wal_cursor_t;


icetap_rc icetap_wal_cursor_parse(const char *json, icetap_wal_cursor_t *c,
    icetap_error_t *err);
char *icetap_wal_cursor_format(const icetap_wal_cursor_t *c);
uint64_t icetap_wal_cursor_get(const icetap_wal_cursor_t *c,
    const char *name);
icetap_rc icetap_wal_cursor_set(icetap_wal_cursor_t *c, const char *name,
    uint64_t offset);
void icetap_wal_cursor_free(icetap_wal_cursor_t *c);


/*
 * Reads records after the cursor from the segments of dir, in segment
 * name order, at most max records; for each calls handler(ctx, rec, name,
 * next_offset).  The caller advances its cursor copy with the offsets it
 * committed.  *more is set when records remain.
 */
typedef icetap_rc (*icetap_wal_record_pt)(void *ctx,
    const icetap_wal_rec_t *rec, const char *segment, uint64_t next);

icetap_rc icetap_wal_read_batch(const char *dir,
    const icetap_wal_cursor_t *cursor, size_t max, icetap_wal_record_pt handler,
    void *ctx, int *more, icetap_error_t *err);

/*
 * Segments whose writer is done (sealed, or its process gone) and whose
 * records the cursor has all consumed: these may be deleted.  Names are
 * returned in *names (free with icetap_wal_free_list()).
 */
icetap_rc icetap_wal_consumed(const char *dir,
    const icetap_wal_cursor_t *cursor, char ***names, size_t *n,
    icetap_error_t *err);


#endif /* ICETAP_JOURNAL_H */
