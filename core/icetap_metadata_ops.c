/*
 * Copyright (C) icetap authors
 *
 * Table metadata operations: create, commit a snapshot, refs, schema and
 * partition spec evolution, snapshot expiry.  Each operation validates
 * before it changes anything, so a failed call leaves the metadata as it
 * was.
 */


#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "icetap_metadata_int.h"


static int
icetap_random(void *buf, size_t len)
{
    ssize_t  n;
    size_t   done;

    for (done = 0; done < len; done += (size_t) n) {
        n = getrandom((uint8_t *) buf + done, len - done, 0);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) {
                n = 0;
                continue;
            }

            return -1;
        }
    }

    return 0;
}


icetap_rc
icetap_uuid4(char out[37], icetap_error_t *err)
{
    uint8_t  b[16];

    if (icetap_random(b, 16) != 0) {
        return icetap_error_sys(err, ICETAP_IO, errno,
                                "no random bytes for a UUID");
    }

    b[6] = (uint8_t) ((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t) ((b[8] & 0x3f) | 0x80);

    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
             b[10], b[11], b[12], b[13], b[14], b[15]);

    return ICETAP_OK;
}


icetap_rc
icetap_metadata_new_snapshot_id(const icetap_table_metadata_t *md,
    int64_t *id, icetap_error_t *err)
{
    uint64_t  r;

    do {
        if (icetap_random(&r, sizeof(r)) != 0) {
            return icetap_error_sys(err, ICETAP_IO, errno,
                                    "no random bytes for a snapshot id");
        }

        *id = (int64_t) (r & INT64_MAX);

    } while (*id == 0 || (md && icetap_metadata_snapshot(md, *id) != NULL));

    return ICETAP_OK;
}


static int32_t
icetap_md_max_partition_id(const icetap_partition_spec_t *spec, int32_t m)
{
    size_t  i;

    for (i = 0; i < spec->nfields; i++) {
        m = icetap_max(m, spec->fields[i].field_id);
    }

    return m;
}


static icetap_rc
icetap_md_check_spec(const icetap_partition_spec_t *spec,
    const icetap_schema_t *schema, icetap_error_t *err)
{
    size_t          i, k;
    icetap_rc       rc;
    icetap_type_t  *types;

    for (i = 0; i < spec->nfields; i++) {
        for (k = 0; k < i; k++) {
            if (strcmp(spec->fields[i].name, spec->fields[k].name) == 0
                || (spec->fields[i].field_id != 0
                    && spec->fields[i].field_id == spec->fields[k].field_id))
            {
                return icetap_error_set(err, ICETAP_INVALID,
                                        "partition field \"%.64s\" repeats a "
                                        "name or field id",
                                        spec->fields[i].name);
            }
        }
    }

    types = icetap_calloc(icetap_max(spec->nfields, 1),
                          sizeof(icetap_type_t));
    if (types == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    rc = icetap_partition_spec_types(spec, schema, types, err);

    icetap_free(types);

    return rc;
}


static icetap_rc
icetap_md_check_sort_order(const icetap_sort_order_t *o,
    const icetap_schema_t *schema, icetap_error_t *err)
{
    size_t  i;

    for (i = 0; i < o->nfields; i++) {
        if (icetap_schema_find_type(schema, o->fields[i].source_id, NULL)
            == NULL)
        {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "sort field source %d is not in the "
                                    "schema", (int) o->fields[i].source_id);
        }
    }

    return ICETAP_OK;
}


icetap_rc
icetap_metadata_create(int format_version, const char *table_uuid,
    const char *location, const icetap_schema_t *schema,
    const icetap_partition_spec_t *spec, const icetap_sort_order_t *order,
    const icetap_kvs_t *properties, int64_t now_ms,
    icetap_table_metadata_t **out, icetap_error_t *err)
{
    char                      uuid[37];
    size_t                    i;
    json_t                   *j;
    int32_t                   pid;
    icetap_rc                 rc;
    icetap_table_metadata_t  *md;

    *out = NULL;

    if (format_version != 2 && format_version != 3) {
        return icetap_error_set(err, ICETAP_UNSUPPORTED,
                                "cannot create a format v%d table",
                                format_version);
    }

    if (location == NULL || *location == '\0' || schema == NULL) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "a new table needs a location and a schema");
    }

    if (table_uuid == NULL) {
        rc = icetap_uuid4(uuid, err);
        if (rc != ICETAP_OK) {
            return rc;
        }

        table_uuid = uuid;
    }

    md = icetap_calloc(1, sizeof(icetap_table_metadata_t));
    if (md == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    md->format_version = format_version;
    md->last_updated_ms = now_ms;
    md->current_snapshot_id = ICETAP_NO_SNAPSHOT;
    md->current_snapshot_null = (format_version >= 3);
    md->table_uuid = icetap_md_strdup(table_uuid);
    md->location = icetap_md_strdup(location);
    md->schemas = icetap_calloc(1, sizeof(icetap_schema_t *));
    md->specs = icetap_calloc(1, sizeof(icetap_partition_spec_t));
    md->sort_orders = icetap_calloc(1, sizeof(icetap_sort_order_t));
    md->statistics = json_array();
    md->partition_statistics = json_array();

    if (md->table_uuid == NULL || md->location == NULL
        || md->schemas == NULL || md->specs == NULL
        || md->sort_orders == NULL || md->statistics == NULL
        || md->partition_statistics == NULL)
    {
        rc = icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        goto failed;
    }

    md->schemas[0] = icetap_schema_copy(schema);
    if (md->schemas[0] == NULL) {
        rc = icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        goto failed;
    }

    md->nschemas = 1;
    md->schemas[0]->schema_id = 0;
    md->last_column_id = icetap_schema_max_id(schema);

    /* the partition spec: id 0, field ids from 1000 */

    if (spec) {
        if (icetap_partition_spec_copy(&md->specs[0], spec) != ICETAP_OK) {
            rc = icetap_error_set(err, ICETAP_NOMEM, "out of memory");
            goto failed;
        }
    }

    md->nspecs = 1;
    md->specs[0].spec_id = 0;

    pid = icetap_md_max_partition_id(&md->specs[0],
                                     ICETAP_PARTITION_ID_START - 1);

    for (i = 0; i < md->specs[0].nfields; i++) {
        if (md->specs[0].fields[i].field_id == 0) {
            md->specs[0].fields[i].field_id = ++pid;
        }
    }

    md->last_partition_id = pid;

    rc = icetap_md_check_spec(&md->specs[0], md->schemas[0], err);
    if (rc != ICETAP_OK) {
        goto failed;
    }

    /* order 0 is reserved for "unsorted" */

    if (order && order->nfields) {
        j = icetap_md_sort_order_to_json(order);
        rc = j ? icetap_md_sort_order_from_json(j, &md->sort_orders[0], err)
               : ICETAP_NOMEM;
        json_decref(j);

        if (rc != ICETAP_OK) {
            goto failed;
        }

        md->sort_orders[0].order_id = 1;
        md->default_sort_order_id = 1;

        md->nsort_orders = 1;

        rc = icetap_md_check_sort_order(&md->sort_orders[0], md->schemas[0],
                                        err);
        if (rc != ICETAP_OK) {
            goto failed;
        }

    } else {
        md->nsort_orders = 1;
    }

    for (i = 0; properties && i < properties->n; i++) {
        if (icetap_kvs_set(&md->properties, properties->items[i].key,
                           properties->items[i].value) != ICETAP_OK)
        {
            rc = icetap_error_set(err, ICETAP_NOMEM, "out of memory");
            goto failed;
        }
    }

    *out = md;

    return ICETAP_OK;

failed:

    icetap_metadata_free(md);

    return rc;
}


icetap_rc
icetap_metadata_snapshot_begin(const icetap_table_metadata_t *md,
    const char *branch, icetap_snapshot_t *snap, icetap_error_t *err)
{
    icetap_rc      rc;
    icetap_ref_t  *ref;

    memset(snap, 0, sizeof(icetap_snapshot_t));

    ref = icetap_metadata_ref(md, branch ? branch : "main");

    if (ref && ref->is_tag) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "\"%.64s\" is a tag, not a branch", ref->name);
    }

    rc = icetap_metadata_new_snapshot_id(md, &snap->snapshot_id, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    snap->parent_id = ref ? ref->snapshot_id : ICETAP_NO_SNAPSHOT;
    snap->sequence_number = md->last_sequence_number + 1;
    snap->schema_id = md->current_schema_id;

    if (md->format_version >= 3) {
        snap->first_row_id = md->next_row_id;
        snap->added_rows = 0;

    } else {
        snap->first_row_id = ICETAP_UNSET;
        snap->added_rows = ICETAP_UNSET;
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_md_log_snapshot(icetap_table_metadata_t *md, int64_t id,
    int64_t timestamp_ms, icetap_error_t *err)
{
    icetap_snapshot_log_t  *log;

    log = icetap_md_grow(md->snapshot_log, md->nsnapshot_log,
                         sizeof(icetap_snapshot_log_t));
    if (log == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    md->snapshot_log = log;
    log[md->nsnapshot_log].timestamp_ms = timestamp_ms;
    log[md->nsnapshot_log].snapshot_id = id;
    log[md->nsnapshot_log].extra = NULL;
    md->nsnapshot_log++;

    return ICETAP_OK;
}


icetap_rc
icetap_metadata_add_snapshot(icetap_table_metadata_t *md,
    icetap_snapshot_t *snap, const char *branch, icetap_error_t *err)
{
    int                 is_main;
    icetap_rc           rc;
    const char         *op;
    icetap_ref_t       *ref;
    icetap_snapshot_t  *snaps;

    branch = branch ? branch : "main";
    is_main = strcmp(branch, "main") == 0;
    op = icetap_kvs_get(&snap->summary, "operation");

    if (snap->manifest_list == NULL || *snap->manifest_list == '\0') {
        return icetap_error_set(err, ICETAP_INVALID,
                                "snapshot without a manifest list");
    }

    if (op == NULL
        || (strcmp(op, "append") != 0 && strcmp(op, "replace") != 0
            && strcmp(op, "overwrite") != 0 && strcmp(op, "delete") != 0))
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "snapshot summary operation \"%.32s\" is "
                                "not append/replace/overwrite/delete",
                                op ? op : "(none)");
    }

    if (snap->snapshot_id <= 0
        || icetap_metadata_snapshot(md, snap->snapshot_id) != NULL)
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "snapshot id %lld is not new and positive",
                                (long long) snap->snapshot_id);
    }

    if (snap->sequence_number <= md->last_sequence_number) {
        return icetap_error_set(err, ICETAP_CONFLICT,
                                "sequence number %lld is not above the "
                                "table's %lld",
                                (long long) snap->sequence_number,
                                (long long) md->last_sequence_number);
    }

    if (snap->timestamp_ms <= 0) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "snapshot %lld has no timestamp",
                                (long long) snap->snapshot_id);
    }

    ref = icetap_metadata_ref(md, branch);

    if (ref && ref->is_tag) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "cannot commit to tag \"%.64s\"", branch);
    }

    /*
     * Optimistic concurrency: the commit was built on the branch head; a
     * new branch may start from any snapshot.
     */

    if (ref == NULL && snap->parent_id != ICETAP_NO_SNAPSHOT
        && icetap_metadata_snapshot(md, snap->parent_id) == NULL)
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "parent snapshot %lld does not exist",
                                (long long) snap->parent_id);
    }

    if (ref != NULL && ref->snapshot_id != snap->parent_id) {
        return icetap_error_set(err, ICETAP_CONFLICT,
                                "branch \"%.64s\" moved: its head is %lld, "
                                "the snapshot's parent %lld", branch,
                                (long long) ref->snapshot_id,
                                (long long) snap->parent_id);
    }

    if (md->format_version >= 3) {
        if (snap->first_row_id == ICETAP_UNSET
            || snap->first_row_id < md->next_row_id
            || snap->added_rows == ICETAP_UNSET || snap->added_rows < 0
            || snap->first_row_id > INT64_MAX - snap->added_rows)
        {
            return icetap_error_set(err, ICETAP_CONFLICT,
                                    "v3 snapshot needs first-row-id >= "
                                    "next-row-id %lld and added-rows >= 0",
                                    (long long) md->next_row_id);
        }

    } else {
        snap->first_row_id = ICETAP_UNSET;
        snap->added_rows = ICETAP_UNSET;
    }

    snaps = icetap_md_grow(md->snapshots, md->nsnapshots,
                           sizeof(icetap_snapshot_t));
    if (snaps == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    md->snapshots = snaps;

    /* make room in the logs first, so nothing fails after the append */

    if (is_main) {
        rc = icetap_md_log_snapshot(md, snap->snapshot_id, snap->timestamp_ms,
                                    err);
        if (rc != ICETAP_OK) {
            return rc;
        }
    }

    if (ref == NULL) {
        ref = icetap_md_grow(md->refs, md->nrefs, sizeof(icetap_ref_t));
        if (ref == NULL) {
            goto nomem;
        }

        md->refs = ref;
        ref = &md->refs[md->nrefs];
        memset(ref, 0, sizeof(icetap_ref_t));

        ref->name = icetap_md_strdup(branch);
        if (ref->name == NULL) {
            goto nomem;
        }

        ref->min_snapshots_to_keep = ICETAP_UNSET;
        ref->max_snapshot_age_ms = ICETAP_UNSET;
        ref->max_ref_age_ms = ICETAP_UNSET;
        md->nrefs++;
    }

    ref->snapshot_id = snap->snapshot_id;

    snaps[md->nsnapshots++] = *snap;
    memset(snap, 0, sizeof(icetap_snapshot_t));
    snap = &snaps[md->nsnapshots - 1];

    md->last_sequence_number = snap->sequence_number;
    md->last_updated_ms = icetap_max(md->last_updated_ms, snap->timestamp_ms);

    if (md->format_version >= 3) {
        md->next_row_id = snap->first_row_id + snap->added_rows;
    }

    if (is_main) {
        md->current_snapshot_id = snap->snapshot_id;
        md->current_snapshot_null = 0;
    }

    return ICETAP_OK;

nomem:

    if (is_main) {
        md->nsnapshot_log--;
    }

    return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
}


icetap_rc
icetap_metadata_add_log_entry(icetap_table_metadata_t *md,
    const char *previous_file, int64_t timestamp_ms, size_t max,
    icetap_error_t *err)
{
    char                   *file;
    size_t                  drop, i;
    icetap_metadata_log_t  *log;

    max = max ? max : 100;

    file = icetap_md_strdup(previous_file);
    log = icetap_md_grow(md->metadata_log, md->nmetadata_log,
                         sizeof(icetap_metadata_log_t));

    if (file == NULL || log == NULL) {
        icetap_free(file);
        if (log) {
            md->metadata_log = log;
        }

        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    md->metadata_log = log;
    log[md->nmetadata_log].timestamp_ms = timestamp_ms;
    log[md->nmetadata_log].file = file;
    log[md->nmetadata_log].extra = NULL;
    md->nmetadata_log++;

    if (md->nmetadata_log > max) {
        drop = md->nmetadata_log - max;

        for (i = 0; i < drop; i++) {
            icetap_free(log[i].file);
            json_decref(log[i].extra);
        }

        memmove(log, log + drop, max * sizeof(icetap_metadata_log_t));
        md->nmetadata_log = max;
    }

    return ICETAP_OK;
}


icetap_rc
icetap_metadata_set_ref(icetap_table_metadata_t *md, const char *name,
    int64_t snapshot_id, int is_tag, int64_t min_snapshots_to_keep,
    int64_t max_snapshot_age_ms, int64_t max_ref_age_ms, icetap_error_t *err)
{
    int                 is_main;
    icetap_rc           rc;
    icetap_ref_t       *ref, *refs;
    icetap_snapshot_t  *snap;

    if (name == NULL || *name == '\0') {
        return icetap_error_set(err, ICETAP_INVALID, "a ref needs a name");
    }

    is_main = strcmp(name, "main") == 0;

    snap = icetap_metadata_snapshot(md, snapshot_id);
    if (snap == NULL) {
        return icetap_error_set(err, ICETAP_NOTFOUND,
                                "ref \"%.64s\": no snapshot %lld", name,
                                (long long) snapshot_id);
    }

    if (is_main && is_tag) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "\"main\" must be a branch");
    }

    if (is_tag && (min_snapshots_to_keep != ICETAP_UNSET
                   || max_snapshot_age_ms != ICETAP_UNSET))
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "tag \"%.64s\" cannot have snapshot "
                                "retention", name);
    }

    if ((min_snapshots_to_keep != ICETAP_UNSET && min_snapshots_to_keep < 1)
        || (max_snapshot_age_ms != ICETAP_UNSET && max_snapshot_age_ms < 1)
        || (max_ref_age_ms != ICETAP_UNSET && max_ref_age_ms < 1))
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "ref \"%.64s\": retention values must be "
                                "positive", name);
    }

    ref = icetap_metadata_ref(md, name);

    if (ref == NULL) {
        refs = icetap_md_grow(md->refs, md->nrefs, sizeof(icetap_ref_t));
        if (refs == NULL) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }

        md->refs = refs;
        ref = &refs[md->nrefs];
        memset(ref, 0, sizeof(icetap_ref_t));

        ref->name = icetap_md_strdup(name);
        if (ref->name == NULL) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }

        md->nrefs++;
    }

    if (is_main && md->current_snapshot_id != snapshot_id) {
        rc = icetap_md_log_snapshot(md, snapshot_id,
                                    icetap_max(md->last_updated_ms,
                                               snap->timestamp_ms), err);
        if (rc != ICETAP_OK) {
            return rc;
        }

        md->current_snapshot_id = snapshot_id;
        md->current_snapshot_null = 0;
    }

    ref->snapshot_id = snapshot_id;
    ref->is_tag = is_tag ? 1 : 0;
    ref->min_snapshots_to_keep = min_snapshots_to_keep;
    ref->max_snapshot_age_ms = max_snapshot_age_ms;
    ref->max_ref_age_ms = max_ref_age_ms;

    return ICETAP_OK;
}


icetap_rc
icetap_metadata_remove_ref(icetap_table_metadata_t *md, const char *name,
    icetap_error_t *err)
{
    size_t         i;
    icetap_ref_t  *ref;

    if (strcmp(name, "main") == 0) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "the \"main\" branch cannot be removed");
    }

    ref = icetap_metadata_ref(md, name);
    if (ref == NULL) {
        return icetap_error_set(err, ICETAP_NOTFOUND, "no ref \"%.64s\"",
                                name);
    }

    i = (size_t) (ref - md->refs);

    icetap_md_ref_clear(ref);
    memmove(&md->refs[i], &md->refs[i + 1],
            (md->nrefs - i - 1) * sizeof(icetap_ref_t));
    md->nrefs--;

    return ICETAP_OK;
}


icetap_rc
icetap_metadata_add_schema(icetap_table_metadata_t *md,
    icetap_schema_t *schema, int set_current, int32_t *schema_id,
    icetap_error_t *err)
{
    size_t                     i;
    int32_t                    id, max_id;
    icetap_rc                  rc;
    icetap_schema_t          **schemas;
    icetap_partition_spec_t   *spec;

    max_id = icetap_schema_max_id(schema);

    if (max_id > ICETAP_FIELD_ID_MAX) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "schema uses reserved field id %d",
                                (int) max_id);
    }

    for (i = 0; i < schema->nidentifier_ids; i++) {
        if (icetap_schema_find_field(schema, schema->identifier_ids[i])
            == NULL)
        {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "identifier field %d is not in the "
                                    "schema",
                                    (int) schema->identifier_ids[i]);
        }
    }

    if (set_current) {
        spec = icetap_metadata_default_spec(md);

        if (spec) {
            rc = icetap_md_check_spec(spec, schema, err);
            if (rc != ICETAP_OK) {
                return rc;
            }
        }
    }

    id = -1;

    for (i = 0; i < md->nschemas; i++) {
        if (icetap_schema_equal_columns(md->schemas[i], schema)) {
            id = md->schemas[i]->schema_id;
            break;
        }
    }

    if (id >= 0) {
        icetap_schema_free(schema);

    } else {
        schemas = icetap_md_grow(md->schemas, md->nschemas,
                                 sizeof(icetap_schema_t *));
        if (schemas == NULL) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }

        md->schemas = schemas;

        for (i = 0; i < md->nschemas; i++) {
            id = icetap_max(id, md->schemas[i]->schema_id);
        }

        schema->schema_id = ++id;
        schemas[md->nschemas++] = schema;
    }

    md->last_column_id = icetap_max(md->last_column_id, max_id);

    if (set_current) {
        md->current_schema_id = id;
    }

    if (schema_id) {
        *schema_id = id;
    }

    return ICETAP_OK;
}


static int
icetap_md_spec_equal(const icetap_partition_spec_t *a,
    const icetap_partition_spec_t *b)
{
    size_t  i;

    if (a->nfields != b->nfields) {
        return 0;
    }

    for (i = 0; i < a->nfields; i++) {
        if (a->fields[i].field_id != b->fields[i].field_id
            || a->fields[i].source_id != b->fields[i].source_id
            || strcmp(a->fields[i].name, b->fields[i].name) != 0
            || strcmp(a->fields[i].transform_str,
                      b->fields[i].transform_str) != 0)
        {
            return 0;
        }
    }

    return 1;
}


icetap_rc
icetap_metadata_add_spec(icetap_table_metadata_t *md,
    const icetap_partition_spec_t *spec, int set_default, int32_t *spec_id,
    icetap_error_t *err)
{
    size_t                     i, s, k;
    int32_t                    id, last;
    icetap_rc                  rc;
    icetap_partition_spec_t    copy, *specs;
    icetap_partition_field_t  *f, *old;

    if (icetap_partition_spec_copy(&copy, spec) != ICETAP_OK) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    last = md->last_partition_id;

    /* an equivalent field keeps the id it had in an earlier spec */

    for (i = 0; i < copy.nfields; i++) {
        f = &copy.fields[i];

        for (s = 0; s < md->nspecs && f->field_id == 0; s++) {
            for (k = 0; k < md->specs[s].nfields; k++) {
                old = &md->specs[s].fields[k];

                if (old->source_id == f->source_id
                    && strcmp(old->transform_str, f->transform_str) == 0)
                {
                    f->field_id = old->field_id;
                    break;
                }
            }
        }
    }

    for (i = 0; i < copy.nfields; i++) {
        f = &copy.fields[i];

        if (f->field_id == 0) {
            f->field_id = ++last;
        }

        last = icetap_max(last, f->field_id);
    }

    rc = icetap_md_check_spec(&copy, icetap_metadata_current_schema(md), err);
    if (rc != ICETAP_OK) {
        icetap_partition_spec_clear(&copy);
        return rc;
    }

    id = -1;

    for (s = 0; s < md->nspecs; s++) {
        if (icetap_md_spec_equal(&md->specs[s], &copy)) {
            id = md->specs[s].spec_id;
            break;
        }
    }

    if (id >= 0) {
        icetap_partition_spec_clear(&copy);

    } else {
        specs = icetap_md_grow(md->specs, md->nspecs,
                               sizeof(icetap_partition_spec_t));
        if (specs == NULL) {
            icetap_partition_spec_clear(&copy);
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }

        md->specs = specs;

        for (s = 0; s < md->nspecs; s++) {
            id = icetap_max(id, md->specs[s].spec_id);
        }

        copy.spec_id = ++id;
        specs[md->nspecs++] = copy;
    }

    md->last_partition_id = icetap_max(md->last_partition_id, last);

    if (set_default) {
        md->default_spec_id = id;
    }

    if (spec_id) {
        *spec_id = id;
    }

    return ICETAP_OK;
}


icetap_rc
icetap_metadata_set_property(icetap_table_metadata_t *md, const char *key,
    const char *value, icetap_error_t *err)
{
    if (key == NULL || *key == '\0') {
        return icetap_error_set(err, ICETAP_INVALID,
                                "a property needs a key");
    }

    if (value == NULL) {
        icetap_kvs_remove(&md->properties, key);
        return ICETAP_OK;
    }

    if (icetap_kvs_set(&md->properties, key, value) != ICETAP_OK) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    return ICETAP_OK;
}


static size_t
icetap_md_index(const icetap_table_metadata_t *md, int64_t id)
{
    size_t  i;

    for (i = 0; i < md->nsnapshots; i++) {
        if (md->snapshots[i].snapshot_id == id) {
            return i;
        }
    }

    return SIZE_MAX;
}


static json_t *
icetap_md_filter_stats(json_t *stats, const uint8_t *keep,
    const icetap_table_metadata_t *md)
{
    size_t   i, idx;
    json_t  *out, *e;

    if (stats == NULL) {
        return NULL;
    }

    out = json_array();
    if (out == NULL) {
        return NULL;
    }

    json_array_foreach(stats, i, e) {
        idx = icetap_md_index(md, json_integer_value(
                                      json_object_get(e, "snapshot-id")));

        if (idx != SIZE_MAX && !keep[idx]) {
            continue;
        }

        if (json_array_append(out, e) != 0) {
            json_decref(out);
            return NULL;
        }
    }

    return out;
}


icetap_rc
icetap_metadata_expire_snapshots(icetap_table_metadata_t *md,
    int64_t older_than_ms, int64_t min_keep, int64_t now_ms,
    icetap_snapshot_t **removed, size_t *nremoved, icetap_error_t *err)
{
    size_t              i, k, n, nrm, idx, cut;
    int64_t             cutoff, keep_n, count, id;
    json_t             *stats, *pstats;
    uint8_t            *keep, *on_branch;
    icetap_ref_t       *ref;
    icetap_snapshot_t  *rm, *s;

    *removed = NULL;
    *nremoved = 0;

    n = md->nsnapshots;

    keep = icetap_calloc(icetap_max(n, 1), 2);
    if (keep == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    on_branch = keep + icetap_max(n, 1);

    /* refs past their max-ref-age go first (main never expires) */

    for (i = 0; i < md->nrefs; ) {
        ref = &md->refs[i];
        s = icetap_metadata_snapshot(md, ref->snapshot_id);

        if (strcmp(ref->name, "main") != 0
            && ref->max_ref_age_ms != ICETAP_UNSET && s != NULL
            && s->timestamp_ms < now_ms - ref->max_ref_age_ms)
        {
            icetap_metadata_remove_ref(md, ref->name, NULL);
            continue;
        }

        i++;
    }

    for (i = 0; i < md->nrefs; i++) {
        ref = &md->refs[i];
        idx = icetap_md_index(md, ref->snapshot_id);

        if (idx == SIZE_MAX) {
            continue;
        }

        keep[idx] = 1;

        if (ref->is_tag) {
            continue;
        }

        keep_n = ref->min_snapshots_to_keep != ICETAP_UNSET
                 ? ref->min_snapshots_to_keep : min_keep;
        cutoff = ref->max_snapshot_age_ms != ICETAP_UNSET
                 ? now_ms - ref->max_snapshot_age_ms : older_than_ms;

        /* walk the ancestry; the loop bound guards against parent cycles */

        count = 0;
        id = ref->snapshot_id;

        for (k = 0; k <= n && idx != SIZE_MAX; k++) {
            s = &md->snapshots[idx];
            on_branch[idx] = 1;

            if (count < keep_n || s->timestamp_ms >= cutoff) {
                keep[idx] = 1;
            }

            count++;
            id = s->parent_id;
            idx = (id == ICETAP_NO_SNAPSHOT) ? SIZE_MAX
                                             : icetap_md_index(md, id);
        }
    }

    nrm = 0;

    for (i = 0; i < n; i++) {
        if (!keep[i] && !on_branch[i]
            && md->snapshots[i].timestamp_ms >= older_than_ms)
        {
            keep[i] = 1;
        }

        nrm += !keep[i];
    }

    if (nrm == 0) {
        icetap_free(keep);
        return ICETAP_OK;
    }

    rm = icetap_calloc(nrm, sizeof(icetap_snapshot_t));
    stats = icetap_md_filter_stats(md->statistics, keep, md);
    pstats = icetap_md_filter_stats(md->partition_statistics, keep, md);

    if (rm == NULL || (md->statistics && stats == NULL)
        || (md->partition_statistics && pstats == NULL))
    {
        icetap_free(rm);
        icetap_free(keep);
        json_decref(stats);
        json_decref(pstats);
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    /* the snapshot log keeps only what follows the last removed entry */

    cut = 0;

    for (i = 0; i < md->nsnapshot_log; i++) {
        idx = icetap_md_index(md, md->snapshot_log[i].snapshot_id);

        if (idx == SIZE_MAX || !keep[idx]) {
            cut = i + 1;
        }
    }

    for (i = 0; i < cut; i++) {
        json_decref(md->snapshot_log[i].extra);
    }

    if (cut) {
        memmove(md->snapshot_log, md->snapshot_log + cut,
                (md->nsnapshot_log - cut) * sizeof(icetap_snapshot_log_t));
        md->nsnapshot_log -= cut;
    }

    json_decref(md->statistics);
    json_decref(md->partition_statistics);
    md->statistics = stats;
    md->partition_statistics = pstats;

    for (i = 0, k = 0, nrm = 0; i < n; i++) {
        if (keep[i]) {
            md->snapshots[k++] = md->snapshots[i];

        } else {
            rm[nrm++] = md->snapshots[i];
        }
    }

    md->nsnapshots = k;

    icetap_free(keep);

    *removed = rm;
    *nremoved = nrm;

    return ICETAP_OK;
}
