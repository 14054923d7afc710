/*
 * Copyright (C) icetap authors
 *
 * Iceberg table metadata (the metadata.json of format v2 and v3, spec
 * sections 1, 4 and 6): parse and print losslessly (unknown keys at every
 * level survive a round trip), create a table, add snapshots with
 * sequence numbers and v3 row lineage, set refs, evolve schemas and
 * partition specs, and expire snapshots.
 *
 * The structures are plain data the caller may read; change them through
 * the functions here so that the invariants hold (last-column-id,
 * last-partition-id, refs pointing at snapshots, main = current snapshot).
 */

#ifndef ICETAP_METADATA_H
#define ICETAP_METADATA_H


#include <jansson.h>

#include <icetap/core.h>
#include <icetap/schema.h>
#include <icetap/transform.h>


#define ICETAP_PARTITION_ID_START   1000
#define ICETAP_NO_SNAPSHOT          (-1)
#define ICETAP_UNSET                INT64_MIN


/* an ordered string -> string map (properties, snapshot summaries) */

typedef struct {
    char                     *key;
    char                     *value;
} icetap_kvs_item_t;

typedef struct {
    icetap_kvs_item_t        *items;
    size_t                    n;
} icetap_kvs_t;


typedef struct {
    char                     *name;
    char                     *transform_str;   /* as written */
    icetap_transform_t        transform;       /* kind 0 when unknown */
    int32_t                   source_id;
    int32_t                  *source_ids;      /* v3 multi-arg, or NULL */
    size_t                    nsource_ids;
    int32_t                   field_id;        /* 0: assign one */
    json_t                   *extra;
} icetap_partition_field_t;

typedef struct {
    int32_t                   spec_id;
    icetap_partition_field_t *fields;
    size_t                    nfields;
    json_t                   *extra;
} icetap_partition_spec_t;


typedef struct {
    char                     *transform;
    int32_t                   source_id;
    int                       descending;
    int                       nulls_last;
    json_t                   *extra;
} icetap_sort_field_t;

typedef struct {
    int32_t                   order_id;
    icetap_sort_field_t      *fields;
    size_t                    nfields;
    json_t                   *extra;
} icetap_sort_order_t;


typedef struct {
    int64_t                   snapshot_id;
    int64_t                   parent_id;        /* ICETAP_NO_SNAPSHOT */
    int64_t                   sequence_number;
    int64_t                   timestamp_ms;
    char                     *manifest_list;
    icetap_kvs_t              summary;          /* "operation" first */
    int32_t                   schema_id;        /* -1 when absent */
    int64_t                   first_row_id;     /* v3, ICETAP_UNSET */
    int64_t                   added_rows;       /* v3, ICETAP_UNSET */
    json_t                   *extra;
} icetap_snapshot_t;


typedef struct {
    char                     *name;
    int64_t                   snapshot_id;
    int                       is_tag;
    int64_t                   min_snapshots_to_keep;   /* ICETAP_UNSET */
    int64_t                   max_snapshot_age_ms;     /* ICETAP_UNSET */
    int64_t                   max_ref_age_ms;          /* ICETAP_UNSET */
    json_t                   *extra;
} icetap_ref_t;


typedef struct {
    int64_t                   timestamp_ms;
    int64_t                   snapshot_id;
    json_t                   *extra;
} icetap_snapshot_log_t;

typedef struct {
    int64_t                   timestamp_ms;
    char                     *file;
    json_t                   *extra;
} icetap_metadata_log_t;


typedef struct {
    int                       format_version;
    char                     *table_uuid;
    char                     *location;
    int64_t                   last_sequence_number;
    int64_t                   last_updated_ms;
    int32_t                   last_column_id;

    icetap_schema_t         **schemas;
    size_t                    nschemas;
    int32_t                   current_schema_id;

    icetap_partition_spec_t  *specs;
    size_t                    nspecs;
    int32_t                   default_spec_id;
    int32_t                   last_partition_id;

    icetap_sort_order_t      *sort_orders;
    size_t                    nsort_orders;
    int32_t                   default_sort_order_id;

    icetap_kvs_t              properties;
    int64_t                   current_snapshot_id;     /* ICETAP_NO_SNAPSHOT */
    int                       current_snapshot_null;   /* written as null */
    int64_t                   next_row_id;             /* v3 */

    icetap_snapshot_t        *snapshots;
    size_t                    nsnapshots;
    icetap_ref_t             *refs;
    size_t                    nrefs;
    icetap_snapshot_log_t    *snapshot_log;
    size_t                    nsnapshot_log;
    icetap_metadata_log_t    *metadata_log;
    size_t                    nmetadata_log;

    json_t                   *statistics;              /* arrays, kept raw */
    json_t                   *partition_statistics;
    json_t                   *encryption_keys;         /* NULL: omitted */
    json_t                   *extra;
} icetap_table_metadata_t;


/* string maps */

const char *icetap_kvs_get(const icetap_kvs_t *m, const char *key);
icetap_rc icetap_kvs_set(icetap_kvs_t *m, const char *key,
    const char *value);
icetap_rc icetap_kvs_remove(icetap_kvs_t *m, const char *key);
void icetap_kvs_free(icetap_kvs_t *m);


/* partition specs (also used for manifest headers) */

icetap_rc icetap_partition_spec_from_json(const json_t *j,
    icetap_partition_spec_t *spec, icetap_error_t *err);
json_t *icetap_partition_spec_to_json(const icetap_partition_spec_t *spec);
/* the "fields" array alone, as manifests carry it in their header */
json_t *icetap_partition_spec_fields_to_json(
    const icetap_partition_spec_t *spec);
void icetap_partition_spec_clear(icetap_partition_spec_t *spec);
icetap_rc icetap_partition_spec_copy(icetap_partition_spec_t *dst,
    const icetap_partition_spec_t *src);

/* append one field (field_id 0: assigned when the spec is added) */
icetap_rc icetap_partition_spec_add_field(icetap_partition_spec_t *spec,
    const char *name, const char *transform, int32_t source_id,
    int32_t field_id, icetap_error_t *err);

/*
 * The partition tuple types of a spec over a schema: one primitive type
 * per spec field, written to types[0..nfields-1].
 */
icetap_rc icetap_partition_spec_types(const icetap_partition_spec_t *spec,
    const icetap_schema_t *schema, icetap_type_t *types,
    icetap_error_t *err);


/* parsing and printing */

icetap_rc icetap_metadata_parse(const char *json, size_t len,
    icetap_table_metadata_t **md, icetap_error_t *err);
icetap_rc icetap_metadata_from_json(const json_t *j,
    icetap_table_metadata_t **md, icetap_error_t *err);
json_t *icetap_metadata_to_json(const icetap_table_metadata_t *md);
/* NUL-terminated JSON from icetap_alloc, NULL when out of memory */
char *icetap_metadata_serialize(const icetap_table_metadata_t *md,
    int pretty);
icetap_table_metadata_t *icetap_metadata_copy(
    const icetap_table_metadata_t *md);
void icetap_metadata_free(icetap_table_metadata_t *md);


/* lookups (NULL when absent) */

icetap_schema_t *icetap_metadata_schema(const icetap_table_metadata_t *md,
    int32_t schema_id);
icetap_schema_t *icetap_metadata_current_schema(
    const icetap_table_metadata_t *md);
icetap_partition_spec_t *icetap_metadata_spec(
    const icetap_table_metadata_t *md, int32_t spec_id);
icetap_partition_spec_t *icetap_metadata_default_spec(
    const icetap_table_metadata_t *md);
icetap_snapshot_t *icetap_metadata_snapshot(
    const icetap_table_metadata_t *md, int64_t snapshot_id);
icetap_snapshot_t *icetap_metadata_current_snapshot(
    const icetap_table_metadata_t *md);
icetap_ref_t *icetap_metadata_ref(const icetap_table_metadata_t *md,
    const char *name);


/* random identifiers */

icetap_rc icetap_uuid4(char out[37], icetap_error_t *err);
/* a positive random 63-bit id not used by any snapshot of md */
icetap_rc icetap_metadata_new_snapshot_id(const icetap_table_metadata_t *md,
    int64_t *id, icetap_error_t *err);


/*
 * A new table.  The schema's ids are kept (last-column-id = the highest);
 * spec may be NULL (unpartitioned) and its fields with field_id 0 get ids
 * from 1000 up; order may be NULL (unsorted).  table_uuid NULL: random.
 */
icetap_rc icetap_metadata_create(int format_version, const char *table_uuid,
    const char *location, const icetap_schema_t *schema,
    const icetap_partition_spec_t *spec, const icetap_sort_order_t *order,
    const icetap_kvs_t *properties, int64_t now_ms,
    icetap_table_metadata_t **md, icetap_error_t *err);


/*
 * Committing a snapshot (spec 4.1, 6, 9).  icetap_metadata_snapshot_begin
 * fills in the numbers a commit attempt needs before writing its manifest
 * list: a fresh snapshot id, the parent (head of "branch"), sequence
 * number = last-sequence-number + 1, first-row-id = next-row-id (v3) and
 * the current schema id.  The caller then sets manifest_list, the summary
 * ("operation" required) and, for v3, added_rows, and calls
 * icetap_metadata_add_snapshot, which validates the numbers, takes the
 * snapshot over (the caller's copy is cleared), advances
 * last-sequence-number, next-row-id and last-updated-ms, moves the branch
 * (NULL: "main"), and for main updates current-snapshot-id and the
 * snapshot log.
 */
icetap_rc icetap_metadata_snapshot_begin(const icetap_table_metadata_t *md,
    const char *branch, icetap_snapshot_t *snap, icetap_error_t *err);
icetap_rc icetap_metadata_add_snapshot(icetap_table_metadata_t *md,
    icetap_snapshot_t *snap, const char *branch, icetap_error_t *err);
void icetap_snapshot_clear(icetap_snapshot_t *snap);

/* record the previous metadata file; keeps at most max entries (0: 100) */
icetap_rc icetap_metadata_add_log_entry(icetap_table_metadata_t *md,
    const char *previous_file, int64_t timestamp_ms, size_t max,
    icetap_error_t *err);


/*
 * Refs.  Retention values ICETAP_UNSET are omitted.  Setting "main" also
 * sets the current snapshot.  "main" cannot be a tag or be removed.
 */
icetap_rc icetap_metadata_set_ref(icetap_table_metadata_t *md,
    const char *name, int64_t snapshot_id, int is_tag,
    int64_t min_snapshots_to_keep, int64_t max_snapshot_age_ms,
    int64_t max_ref_age_ms, icetap_error_t *err);
icetap_rc icetap_metadata_remove_ref(icetap_table_metadata_t *md,
    const char *name, icetap_error_t *err);


/*
 * Schema evolution: add a schema (typically a copy of the current one
 * changed with the icetap_schema_* steps, taking &md->last_column_id for
 * new ids).  The metadata takes ownership on success.  An identical
 * existing schema is reused instead of added.  The new schema must keep
 * every source column of the default partition spec.
 */
icetap_rc icetap_metadata_add_schema(icetap_table_metadata_t *md,
    icetap_schema_t *schema, int set_current, int32_t *schema_id,
    icetap_error_t *err);

/*
 * Partition spec evolution: fields with field_id 0 reuse the id of an
 * equal field (same source and transform) of an earlier spec, else get
 * last-partition-id + 1.  Transforms are checked against the current
 * schema.  An equal existing spec is reused.  The spec is copied.
 */
icetap_rc icetap_metadata_add_spec(icetap_table_metadata_t *md,
    const icetap_partition_spec_t *spec, int set_default, int32_t *spec_id,
    icetap_error_t *err);

icetap_rc icetap_metadata_set_property(icetap_table_metadata_t *md,
    const char *key, const char *value, icetap_error_t *err);


/*
 * Snapshot expiry from metadata.  Kept: the snapshots refs point to; on
 * each branch the newest ancestors while fewer than min_keep (or the
 * branch's min-snapshots-to-keep) are kept or while they are not older
 * than older_than_ms (or now_ms - the branch's max-snapshot-age-ms);
 * snapshots on no branch that are not older than older_than_ms.  Tags
 * and branches older than their max-ref-age-ms are removed first (never
 * main).  Everything else is removed from the metadata and returned in
 * *removed (free with icetap_snapshots_free); the snapshot log drops the
 * entries up to the last removed snapshot, and statistics of removed
 * snapshots are dropped.
 */
icetap_rc icetap_metadata_expire_snapshots(icetap_table_metadata_t *md,
    int64_t older_than_ms, int64_t min_keep, int64_t now_ms,
    icetap_snapshot_t **removed, size_t *nremoved, icetap_error_t *err);
void icetap_snapshots_free(icetap_snapshot_t *snaps, size_t n);


#endif /* ICETAP_METADATA_H */
