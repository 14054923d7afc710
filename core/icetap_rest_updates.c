/*
 * Copyright (C) icetap authors
 *
 * CommitTableRequest of the Iceberg REST catalog: requirements checked
 * against the current metadata and update actions applied to a copy of
 * it, with the rules of the reference implementation (ids reused or
 * assigned, -1 = the last one added, refs kept pointing at snapshots).
 * Actions without a metadata-level helper edit the JSON form, which is
 * parsed again so that every invariant is checked before anything is
 * written.
 */


#include <stdio.h>
#include <string.h>

#include "icetap_metadata_int.h"
#include "icetap_rest_int.h"


typedef struct {
    icetap_table_metadata_t  *md;
    const char               *location_prefix;
    int64_t                   now_ms;
    int32_t                   last_schema;      /* -1: none added */
    int32_t                   last_spec;
    int32_t                   last_order;
} icetap_rest_upd_t;


typedef icetap_rc (*icetap_rest_edit_pt)(icetap_rest_upd_t *u, json_t *mj,
    const json_t *a, icetap_error_t *err);


static const char *icetap_rest_str(const json_t *a, const char *key);
static icetap_rc icetap_rest_int(const json_t *a, const char *key,
    int64_t *v, icetap_error_t *err);
static icetap_rc icetap_rest_edit(icetap_rest_upd_t *u,
    icetap_rest_edit_pt fn, const json_t *a, icetap_error_t *err);


static const struct {
    const char  *from;
    const char  *to;
} icetap_rest_snake[] = {
    { "source_id", "source-id" },
    { "source_ids", "source-ids" },
    { "field_id", "field-id" },
    { "null_order", "null-order" },
    { "spec_id", "spec-id" },
    { "order_id", "order-id" },
    { "schema_id", "schema-id" },
    { "element_id", "element-id" },
    { "element_required", "element-required" },
    { "key_id", "key-id" },
    { "value_id", "value-id" },
    { "value_required", "value-required" },
    { "identifier_field_ids", "identifier-field-ids" },
};


void
icetap_rest_kebab(json_t *j)
{
    size_t       i;
    json_t      *v;
    const char  *k;

    if (json_is_array(j)) {
        json_array_foreach(j, i, v) {
            icetap_rest_kebab(v);
        }

        return;
    }

    if (!json_is_object(j)) {
        return;
    }

    for (i = 0; i < icetap_nelems(icetap_rest_snake); i++) {
        v = json_object_get(j, icetap_rest_snake[i].from);

        if (v != NULL && json_object_get(j, icetap_rest_snake[i].to) == NULL)
        {
            json_object_set(j, icetap_rest_snake[i].to, v);
            json_object_del(j, icetap_rest_snake[i].from);
        }
    }

    json_object_foreach(j, k, v) {
        icetap_rest_kebab(v);
    }
}


/* whether location is prefix itself or a directory below it */

int
icetap_rest_under(const char *location, const char *prefix)
{
    size_t  n;

    n = strlen(prefix);

    return strncmp(location, prefix, n) == 0
           && (location[n] == '\0'
               || (location[n] == '/' && location[n + 1] != '\0'
                   && strstr(location + n, "/../") == NULL
                   && strcmp(location + strlen(location) - 3, "/..") != 0));
}


/* a requested spec may leave ids to the server: 0 means "assign one" */

void
icetap_rest_spec_defaults(json_t *spec)
{
    size_t   i;
    json_t  *f;

    if (!json_is_object(spec)) {
        return;
    }

    if (json_object_get(spec, "spec-id") == NULL) {
        json_object_set_new(spec, "spec-id", json_integer(0));
    }

    json_array_foreach(json_object_get(spec, "fields"), i, f) {
        if (json_is_object(f) && json_object_get(f, "field-id") == NULL) {
            json_object_set_new(f, "field-id", json_integer(0));
        }
    }
}


static const char *
icetap_rest_str(const json_t *a, const char *key)
{
    return json_string_value(json_object_get(a, key));
}


static icetap_rc
icetap_rest_int(const json_t *a, const char *key, int64_t *v,
    icetap_error_t *err)
{
    json_t  *j;

    *v = 0;
    j = json_object_get(a, key);

    if (!json_is_integer(j)) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "\"%s\" must be an integer", key);
    }

    *v = json_integer_value(j);

    return ICETAP_OK;
}


/* requirements */

icetap_rc
icetap_rest_check_requirements(const icetap_table_metadata_t *md,
    const json_t *reqs, icetap_error_t *err)
{
    size_t               i;
    int64_t              want, have;
    json_t              *r, *sid;
    icetap_rc            rc;
    const char          *type, *s, *key;
    const icetap_ref_t  *ref;

    if (!json_is_array(reqs)) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "\"requirements\" must be an array");
    }

    json_array_foreach(reqs, i, r) {
        type = icetap_rest_str(r, "type");

        if (type == NULL) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "requirement %zu has no \"type\"", i);
        }

        if (strcmp(type, "assert-create") == 0) {
            if (md != NULL) {
                return icetap_error_set(err, ICETAP_CONFLICT,
                                        "Requirement failed: table already "
                                        "exists");
            }

            continue;
        }

        if (strcmp(type, "assert-table-uuid") == 0) {
            s = icetap_rest_str(r, "uuid");

            if (s == NULL) {
                return icetap_error_set(err, ICETAP_INVALID,
                                        "assert-table-uuid needs \"uuid\"");
            }

            if (md == NULL || strcasecmp(s, md->table_uuid) != 0) {
                return icetap_error_set(err, ICETAP_CONFLICT,
                                        "Requirement failed: UUID does not "
                                        "match: expected %.40s != %.40s",
                                        md ? md->table_uuid : "(none)", s);
            }

            continue;
        }

        if (strcmp(type, "assert-ref-snapshot-id") == 0) {
            s = icetap_rest_str(r, "ref");
            sid = json_object_get(r, "snapshot-id");

            if (s == NULL || (sid != NULL && !json_is_integer(sid)
                              && !json_is_null(sid)))
            {
                return icetap_error_set(err, ICETAP_INVALID,
                                        "assert-ref-snapshot-id needs "
                                        "\"ref\" and \"snapshot-id\"");
            }

            ref = md ? icetap_metadata_ref(md, s) : NULL;

            if (sid == NULL || json_is_null(sid)) {
                if (ref != NULL) {
                    return icetap_error_set(err, ICETAP_CONFLICT,
                                            "Requirement failed: %s %.64s "
                                            "was created concurrently",
                                            ref->is_tag ? "tag" : "branch",
                                            s);
                }

                continue;
            }

            if (ref == NULL) {
                return icetap_error_set(err, ICETAP_CONFLICT,
                                        "Requirement failed: branch or tag "
                                        "%.64s is missing, expected %lld",
                                        s, (long long)
                                        json_integer_value(sid));
            }

            if (ref->snapshot_id != json_integer_value(sid)) {
                return icetap_error_set(err, ICETAP_CONFLICT,
                                        "Requirement failed: %s %.64s has "
                                        "changed: expected id %lld != %lld",
                                        ref->is_tag ? "tag" : "branch", s,
                                        (long long) json_integer_value(sid),
                                        (long long) ref->snapshot_id);
            }

            continue;
        }

        if (strcmp(type, "assert-last-assigned-field-id") == 0) {
            key = "last-assigned-field-id";
            have = md ? md->last_column_id : 0;

        } else if (strcmp(type, "assert-current-schema-id") == 0) {
            key = "current-schema-id";
            have = md ? md->current_schema_id : 0;

        } else if (strcmp(type, "assert-last-assigned-partition-id") == 0) {
            key = "last-assigned-partition-id";
            have = md ? md->last_partition_id : 0;

        } else if (strcmp(type, "assert-default-spec-id") == 0) {
            key = "default-spec-id";
            have = md ? md->default_spec_id : 0;

        } else if (strcmp(type, "assert-default-sort-order-id") == 0) {
            key = "default-sort-order-id";
            have = md ? md->default_sort_order_id : 0;

        } else {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "unknown requirement type \"%.64s\"",
                                    type);
        }

        rc = icetap_rest_int(r, key, &want, err);
        if (rc != ICETAP_OK) {
            return rc;
        }

        if (md == NULL) {
            return icetap_error_set(err, ICETAP_CONFLICT,
                                    "Requirement failed: the table does not "
                                    "exist");
        }

        if (want != have) {
            return icetap_error_set(err, ICETAP_CONFLICT,
                                    "Requirement failed: %s changed: "
                                    "expected %lld != %lld", key,
                                    (long long) want, (long long) have);
        }
    }

    return ICETAP_OK;
}


/* JSON-level edits: the result is parsed again, which validates it */

static icetap_rc
icetap_rest_edit(icetap_rest_upd_t *u, icetap_rest_edit_pt fn,
    const json_t *a, icetap_error_t *err)
{
    json_t                   *mj;
    icetap_rc                 rc;
    icetap_table_metadata_t  *n;

    mj = icetap_metadata_to_json(u->md);
    if (mj == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    rc = fn ? fn(u, mj, a, err) : ICETAP_OK;

    if (rc == ICETAP_OK) {
        rc = icetap_metadata_from_json(mj, &n, err);

        if (rc == ICETAP_OK) {
            icetap_metadata_free(u->md);
            u->md = n;

        } else if (rc == ICETAP_UNSUPPORTED) {
            rc = ICETAP_INVALID;
        }
    }

    json_decref(mj);

    return rc;
}


static json_t *
icetap_rest_array(json_t *mj, const char *key)
{
    json_t  *a;

    a = json_object_get(mj, key);

    if (!json_is_array(a)) {
        a = json_array();
        if (a == NULL || json_object_set_new(mj, key, a) != 0) {
            return NULL;
        }
    }

    return a;
}


static icetap_rc
icetap_rest_add_snapshot(icetap_rest_upd_t *u, json_t *mj, const json_t *a,
    icetap_error_t *err)
{
    json_t      *s, *snaps, *v;
    int64_t      id, seq, last_seq, first, added, next;
    const char  *op;

    s = json_object_get(a, "snapshot");

    if (!json_is_object(s)) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "add-snapshot needs a \"snapshot\" object");
    }

    if (!json_is_integer(json_object_get(s, "snapshot-id"))
        || !json_is_integer(json_object_get(s, "timestamp-ms"))
        || !json_is_string(json_object_get(s, "manifest-list")))
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "add-snapshot: the snapshot needs "
                                "\"snapshot-id\", \"timestamp-ms\" and "
                                "\"manifest-list\"");
    }

    op = icetap_rest_str(json_object_get(s, "summary"), "operation");

    if (op == NULL) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "add-snapshot: the snapshot summary needs "
                                "an \"operation\"");
    }

    id = json_integer_value(json_object_get(s, "snapshot-id"));

    if (icetap_metadata_snapshot(u->md, id) != NULL) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "Snapshot already exists for id: %lld",
                                (long long) id);
    }

    last_seq = u->md->last_sequence_number;
    v = json_object_get(s, "sequence-number");

    if (!json_is_integer(v)) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "add-snapshot: \"sequence-number\" is "
                                "required for format version %d",
                                u->md->format_version);
    }

    seq = json_integer_value(v);

    if (seq <= last_seq
        && json_is_integer(json_object_get(s, "parent-snapshot-id")))
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "Cannot add snapshot with sequence number "
                                "%lld older than last sequence number %lld",
                                (long long) seq, (long long) last_seq);
    }

    if (u->md->format_version >= 3) {
        if (!json_is_integer(json_object_get(s, "first-row-id"))
            || !json_is_integer(json_object_get(s, "added-rows")))
        {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "Cannot add a snapshot: first-row-id "
                                    "and added-rows are required in v3");
        }

        first = json_integer_value(json_object_get(s, "first-row-id"));
        added = json_integer_value(json_object_get(s, "added-rows"));
        next = u->md->next_row_id;

        if (first < next || added < 0) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "Cannot add a snapshot, first-row-id "
                                    "%lld is behind table next-row-id %lld",
                                    (long long) first, (long long) next);
        }

        if (json_object_set_new(mj, "next-row-id",
                                json_integer(first + added)) != 0)
        {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }
    }

    snaps = icetap_rest_array(mj, "snapshots");
    if (snaps == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    if (json_array_append(snaps, s) != 0
        || json_object_set_new(mj, "last-sequence-number",
                               json_integer(icetap_max(seq, last_seq)))
           != 0
        || json_object_set_new(mj, "last-updated-ms",
                json_integer(json_integer_value(
                    json_object_get(s, "timestamp-ms")))) != 0)
    {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    return ICETAP_OK;
}


static int
icetap_rest_in(const json_t *ids, int64_t id)
{
    size_t   i;
    json_t  *v;

    json_array_foreach(ids, i, v) {
        if (json_integer_value(v) == id) {
            return 1;
        }
    }

    return 0;
}


/* drops the members of array "key" whose "snapshot-id" is in ids */

static void
icetap_rest_drop_by_snapshot(json_t *mj, const char *key, const json_t *ids)
{
    size_t   i;
    json_t  *a;

    a = json_object_get(mj, key);

    if (!json_is_array(a)) {
        return;
    }

    for (i = json_array_size(a); i > 0; i--) {
        if (icetap_rest_in(ids, json_integer_value(
                json_object_get(json_array_get(a, i - 1), "snapshot-id"))))
        {
            json_array_remove(a, i - 1);
        }
    }
}


static icetap_rc
icetap_rest_remove_snapshots(icetap_rest_upd_t *u, json_t *mj,
    const json_t *a, icetap_error_t *err)
{
    size_t       i, keep;
    json_t      *ids, *refs, *log, *v, *kept;
    const char  *name;
    void        *tmp;

    ids = json_object_get(a, "snapshot-ids");

    if (!json_is_array(ids)) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "remove-snapshots needs \"snapshot-ids\"");
    }

    json_array_foreach(ids, i, v) {
        if (!json_is_integer(v)) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "\"snapshot-ids\" must hold integers");
        }
    }

    icetap_rest_drop_by_snapshot(mj, "snapshots", ids);
    icetap_rest_drop_by_snapshot(mj, "statistics", ids);
    icetap_rest_drop_by_snapshot(mj, "partition-statistics", ids);

    /* refs to removed snapshots go with them, main included */

    refs = json_object_get(mj, "refs");

    if (json_is_object(refs)) {
        json_object_foreach_safe(refs, tmp, name, v) {
            if (icetap_rest_in(ids, json_integer_value(
                                   json_object_get(v, "snapshot-id"))))
            {
                if (strcmp(name, "main") == 0) {
                    json_object_set_new(mj, "current-snapshot-id",
                                        json_integer(-1));
                }

                json_object_del(refs, name);
            }
        }
    }

    if (icetap_rest_in(ids, json_integer_value(
                           json_object_get(mj, "current-snapshot-id"))))
    {
        json_object_set_new(mj, "current-snapshot-id", json_integer(-1));
    }

    /* the snapshot log keeps only what follows the last removed entry */

    log = json_object_get(mj, "snapshot-log");

    if (json_is_array(log)) {
        keep = 0;

        json_array_foreach(log, i, v) {
            if (icetap_rest_in(ids, json_integer_value(
                                   json_object_get(v, "snapshot-id"))))
            {
                keep = i + 1;
            }
        }

        kept = json_array();
        if (kept == NULL) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }

        for (i = keep; i < json_array_size(log); i++) {
            json_array_append(kept, json_array_get(log, i));
        }

        json_object_set_new(mj, "snapshot-log", kept);
    }

    (void) u;

    return ICETAP_OK;
}


static icetap_rc
icetap_rest_remove_ref(icetap_rest_upd_t *u, json_t *mj, const json_t *a,
    icetap_error_t *err)
{
    json_t      *refs;
    const char  *name;

    name = icetap_rest_str(a, "ref-name");

    if (name == NULL) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "remove-snapshot-ref needs \"ref-name\"");
    }

    refs = json_object_get(mj, "refs");

    if (json_is_object(refs)) {
        json_object_del(refs, name);
    }

    if (strcmp(name, "main") == 0) {
        json_object_set_new(mj, "current-snapshot-id", json_integer(-1));
    }

    (void) u;

    return ICETAP_OK;
}


/* set-statistics / set-partition-statistics: one entry per snapshot */

static icetap_rc
icetap_rest_set_stats(json_t *mj, const char *key, const json_t *st,
    icetap_error_t *err)
{
    json_t  *arr, *ids;

    if (!json_is_object(st)
        || !json_is_integer(json_object_get(st, "snapshot-id"))
        || !json_is_string(json_object_get(st, "statistics-path")))
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "%s needs an object with \"snapshot-id\" "
                                "and \"statistics-path\"", key);
    }

    ids = json_pack("[I]", json_integer_value(json_object_get(st,
                                                            "snapshot-id")));
    if (ids == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    icetap_rest_drop_by_snapshot(mj, key, ids);
    json_decref(ids);

    arr = icetap_rest_array(mj, key);

    if (arr == NULL || json_array_append(arr, (json_t *) st) != 0) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_rest_set_statistics(icetap_rest_upd_t *u, json_t *mj,
    const json_t *a, icetap_error_t *err)
{
    (void) u;

    return icetap_rest_set_stats(mj, "statistics",
                                 json_object_get(a, "statistics"), err);
}


static icetap_rc
icetap_rest_set_pstatistics(icetap_rest_upd_t *u, json_t *mj,
    const json_t *a, icetap_error_t *err)
{
    (void) u;

    return icetap_rest_set_stats(mj, "partition-statistics",
                                 json_object_get(a, "partition-statistics"),
                                 err);
}


static icetap_rc
icetap_rest_remove_stats(json_t *mj, const char *key, const json_t *a,
    icetap_error_t *err)
{
    json_t  *ids;

    if (!json_is_integer(json_object_get(a, "snapshot-id"))) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "removing %s needs \"snapshot-id\"", key);
    }

    ids = json_pack("[I]", json_integer_value(json_object_get(a,
                                                            "snapshot-id")));
    if (ids == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    icetap_rest_drop_by_snapshot(mj, key, ids);
    json_decref(ids);

    return ICETAP_OK;
}


static icetap_rc
icetap_rest_remove_statistics(icetap_rest_upd_t *u, json_t *mj,
    const json_t *a, icetap_error_t *err)
{
    (void) u;

    return icetap_rest_remove_stats(mj, "statistics", a, err);
}


static icetap_rc
icetap_rest_remove_pstatistics(icetap_rest_upd_t *u, json_t *mj,
    const json_t *a, icetap_error_t *err)
{
    (void) u;

    return icetap_rest_remove_stats(mj, "partition-statistics", a, err);
}


static icetap_rc
icetap_rest_add_key(icetap_rest_upd_t *u, json_t *mj, const json_t *a,
    icetap_error_t *err)
{
    size_t       i;
    json_t      *k, *arr, *v;
    const char  *id;

    k = json_object_get(a, "encryption-key");
    id = icetap_rest_str(k, "key-id");

    if (id == NULL
        || !json_is_string(json_object_get(k, "encrypted-key-metadata")))
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "add-encryption-key needs an "
                                "\"encryption-key\" with \"key-id\" and "
                                "\"encrypted-key-metadata\"");
    }

    arr = icetap_rest_array(mj, "encryption-keys");
    if (arr == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    json_array_foreach(arr, i, v) {
        if (strcmp(id, icetap_rest_str(v, "key-id") ? icetap_rest_str(v,
                       "key-id") : "") == 0)
        {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "encryption key \"%.64s\" exists", id);
        }
    }

    (void) u;

    return json_array_append(arr, k) == 0
           ? ICETAP_OK
           : icetap_error_set(err, ICETAP_NOMEM, "out of memory");
}


static icetap_rc
icetap_rest_remove_key(icetap_rest_upd_t *u, json_t *mj, const json_t *a,
    icetap_error_t *err)
{
    size_t       i;
    json_t      *arr;
    const char  *id, *s;

    id = icetap_rest_str(a, "key-id");

    if (id == NULL) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "remove-encryption-key needs \"key-id\"");
    }

    arr = json_object_get(mj, "encryption-keys");

    for (i = json_array_size(arr); i > 0; i--) {
        s = icetap_rest_str(json_array_get(arr, i - 1), "key-id");

        if (s != NULL && strcmp(s, id) == 0) {
            json_array_remove(arr, i - 1);
        }
    }

    (void) u;

    return ICETAP_OK;
}


/* struct-level actions */

static icetap_rc
icetap_rest_add_schema(icetap_rest_upd_t *u, const json_t *a,
    icetap_error_t *err)
{
    int32_t           id;
    int64_t           last;
    icetap_rc         rc;
    icetap_schema_t  *s;

    rc = icetap_schema_from_json(json_object_get(a, "schema"), &s, err);
    if (rc != ICETAP_OK) {
        return rc == ICETAP_NOMEM ? rc : ICETAP_INVALID;
    }

    if (json_is_integer(json_object_get(a, "last-column-id"))) {
        last = json_integer_value(json_object_get(a, "last-column-id"));

        if (last < u->md->last_column_id) {
            icetap_schema_free(s);
            return icetap_error_set(err, ICETAP_INVALID,
                                    "Invalid last column ID: %lld < %d "
                                    "(previous last column ID)",
                                    (long long) last,
                                    (int) u->md->last_column_id);
        }

        u->md->last_column_id = (int32_t) last;
    }

    rc = icetap_metadata_add_schema(u->md, s, 0, &id, err);
    if (rc != ICETAP_OK) {
        icetap_schema_free(s);
        return rc;
    }

    u->last_schema = id;

    return ICETAP_OK;
}


static icetap_rc
icetap_rest_add_spec(icetap_rest_upd_t *u, const json_t *a,
    icetap_error_t *err)
{
    int32_t                  id;
    icetap_rc                rc;
    icetap_partition_spec_t  spec;

    icetap_rest_spec_defaults(json_object_get(a, "spec"));

    rc = icetap_partition_spec_from_json(json_object_get(a, "spec"), &spec,
                                         err);
    if (rc != ICETAP_OK) {
        return rc == ICETAP_NOMEM ? rc : ICETAP_INVALID;
    }

    rc = icetap_metadata_add_spec(u->md, &spec, 0, &id, err);
    icetap_partition_spec_clear(&spec);

    if (rc != ICETAP_OK) {
        return rc == ICETAP_NOMEM ? rc : ICETAP_INVALID;
    }

    u->last_spec = id;

    return ICETAP_OK;
}


static int
icetap_rest_order_equal(const icetap_sort_order_t *a,
    const icetap_sort_order_t *b)
{
    size_t  i;

    if (a->nfields != b->nfields) {
        return 0;
    }

    for (i = 0; i < a->nfields; i++) {
        if (a->fields[i].source_id != b->fields[i].source_id
            || a->fields[i].descending != b->fields[i].descending
            || a->fields[i].nulls_last != b->fields[i].nulls_last
            || strcmp(a->fields[i].transform, b->fields[i].transform) != 0)
        {
            return 0;
        }
    }

    return 1;
}


static icetap_rc
icetap_rest_add_order(icetap_rest_upd_t *u, const json_t *a,
    icetap_error_t *err)
{
    size_t                i;
    int32_t               id;
    icetap_rc             rc;
    icetap_sort_order_t   o, *orders;
    icetap_table_metadata_t  *md;

    md = u->md;

    if (json_is_object(json_object_get(a, "sort-order"))
        && json_object_get(json_object_get(a, "sort-order"), "order-id")
           == NULL)
    {
        json_object_set_new(json_object_get(a, "sort-order"), "order-id",
                            json_integer(0));
    }

    rc = icetap_md_sort_order_from_json(json_object_get(a, "sort-order"), &o,
                                        err);
    if (rc != ICETAP_OK) {
        return rc == ICETAP_NOMEM ? rc : ICETAP_INVALID;
    }

    for (i = 0; i < o.nfields; i++) {
        if (icetap_schema_find_field(icetap_metadata_current_schema(md),
                                     o.fields[i].source_id) == NULL)
        {
            icetap_md_sort_order_clear(&o);
            return icetap_error_set(err, ICETAP_INVALID,
                                    "sort order: source id %d is not in "
                                    "the current schema",
                                    (int) o.fields[i].source_id);
        }
    }

    for (i = 0; i < md->nsort_orders; i++) {
        if (icetap_rest_order_equal(&md->sort_orders[i], &o)) {
            u->last_order = md->sort_orders[i].order_id;
            icetap_md_sort_order_clear(&o);
            return ICETAP_OK;
        }
    }

    id = 0;

    if (o.nfields > 0) {
        for (i = 0; i < md->nsort_orders; i++) {
            id = icetap_max(id, md->sort_orders[i].order_id);
        }

        id++;
    }

    orders = icetap_md_grow(md->sort_orders, md->nsort_orders,
                            sizeof(icetap_sort_order_t));
    if (orders == NULL) {
        icetap_md_sort_order_clear(&o);
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    o.order_id = id;
    md->sort_orders = orders;
    orders[md->nsort_orders++] = o;
    u->last_order = id;

    return ICETAP_OK;
}


/* "schema-id", "spec-id", "sort-order-id": -1 means the last added */

static icetap_rc
icetap_rest_pick(const json_t *a, const char *key, int32_t last,
    int32_t *id, icetap_error_t *err)
{
    int64_t    v;
    icetap_rc  rc;

    rc = icetap_rest_int(a, key, &v, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (v == -1) {
        if (last < 0) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "Cannot set last added %s: none was "
                                    "added", key);
        }

        v = last;
    }

    *id = (int32_t) v;

    return ICETAP_OK;
}


static icetap_rc
icetap_rest_remove_specs(icetap_rest_upd_t *u, const json_t *a,
    icetap_error_t *err)
{
    size_t                    i, k;
    json_t                   *ids;
    icetap_table_metadata_t  *md;

    md = u->md;
    ids = json_object_get(a, "spec-ids");

    if (!json_is_array(ids)) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "remove-partition-specs needs \"spec-ids\"");
    }

    if (icetap_rest_in(ids, md->default_spec_id)) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "Cannot remove the default partition spec "
                                "%d", (int) md->default_spec_id);
    }

    for (i = 0, k = 0; i < md->nspecs; i++) {
        if (icetap_rest_in(ids, md->specs[i].spec_id)) {
            icetap_partition_spec_clear(&md->specs[i]);
            continue;
        }

        md->specs[k++] = md->specs[i];
    }

    md->nspecs = k;

    return ICETAP_OK;
}


static icetap_rc
icetap_rest_remove_schemas(icetap_rest_upd_t *u, const json_t *a,
    icetap_error_t *err)
{
    size_t                    i, k;
    json_t                   *ids;
    icetap_table_metadata_t  *md;

    md = u->md;
    ids = json_object_get(a, "schema-ids");

    if (!json_is_array(ids)) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "remove-schemas needs \"schema-ids\"");
    }

    if (icetap_rest_in(ids, md->current_schema_id)) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "Cannot remove current schema: %d",
                                (int) md->current_schema_id);
    }

    for (i = 0, k = 0; i < md->nschemas; i++) {
        if (icetap_rest_in(ids, md->schemas[i]->schema_id)) {
            icetap_schema_free(md->schemas[i]);
            continue;
        }

        md->schemas[k++] = md->schemas[i];
    }

    md->nschemas = k;

    return ICETAP_OK;
}


static icetap_rc
icetap_rest_set_ref(icetap_rest_upd_t *u, const json_t *a,
    icetap_error_t *err)
{
    int64_t      sid, min_keep, max_age, max_ref;
    icetap_rc    rc;
    const char  *name, *type;

    name = icetap_rest_str(a, "ref-name");
    type = icetap_rest_str(a, "type");

    if (name == NULL || type == NULL
        || (strcmp(type, "branch") != 0 && strcmp(type, "tag") != 0))
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "set-snapshot-ref needs \"ref-name\" and "
                                "\"type\" (branch or tag)");
    }

    rc = icetap_rest_int(a, "snapshot-id", &sid, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (icetap_metadata_snapshot(u->md, sid) == NULL) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "Cannot set %.64s to unknown snapshot: %lld",
                                name, (long long) sid);
    }

    min_keep = ICETAP_UNSET;
    max_age = ICETAP_UNSET;
    max_ref = ICETAP_UNSET;

    if (json_is_integer(json_object_get(a, "min-snapshots-to-keep"))) {
        min_keep = json_integer_value(json_object_get(a,
                                                  "min-snapshots-to-keep"));
    }

    if (json_is_integer(json_object_get(a, "max-snapshot-age-ms"))) {
        max_age = json_integer_value(json_object_get(a,
                                                     "max-snapshot-age-ms"));
    }

    if (json_is_integer(json_object_get(a, "max-ref-age-ms"))) {
        max_ref = json_integer_value(json_object_get(a, "max-ref-age-ms"));
    }

    rc = icetap_metadata_set_ref(u->md, name, sid, strcmp(type, "tag") == 0,
                                 min_keep, max_age, max_ref, err);

    return rc == ICETAP_NOMEM ? rc : (rc != ICETAP_OK ? ICETAP_INVALID : rc);
}


static icetap_rc
icetap_rest_upgrade(icetap_rest_upd_t *u, const json_t *a,
    icetap_error_t *err)
{
    int64_t    v;
    icetap_rc  rc;

    rc = icetap_rest_int(a, "format-version", &v, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (v < u->md->format_version) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "Cannot downgrade v%d table to v%lld",
                                u->md->format_version, (long long) v);
    }

    if (v > 3) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "Cannot upgrade table to unsupported format "
                                "version: v%lld (supported: v3)",
                                (long long) v);
    }

    if (v == 3 && u->md->format_version < 3) {
        u->md->next_row_id = 0;
    }

    u->md->format_version = (int) v;

    return ICETAP_OK;
}


static icetap_rc
icetap_rest_apply_one(icetap_rest_upd_t *u, const json_t *a,
    icetap_error_t *err)
{
    size_t        i;
    char         *s;
    json_t       *v, *p;
    int32_t       id;
    icetap_rc     rc;
    const char   *action, *str, *k;

    action = icetap_rest_str(a, "action");

    if (action == NULL) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "an update has no \"action\"");
    }

    if (strcmp(action, "assign-uuid") == 0) {
        str = icetap_rest_str(a, "uuid");

        if (str == NULL || strlen(str) != 36) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "assign-uuid needs a \"uuid\"");
        }

        s = icetap_strndup(str, 36);
        if (s == NULL) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }

        icetap_free(u->md->table_uuid);
        u->md->table_uuid = s;

        return ICETAP_OK;
    }

    if (strcmp(action, "upgrade-format-version") == 0) {
        return icetap_rest_upgrade(u, a, err);
    }

    if (strcmp(action, "add-schema") == 0) {
        return icetap_rest_add_schema(u, a, err);
    }

    if (strcmp(action, "set-current-schema") == 0) {
        rc = icetap_rest_pick(a, "schema-id", u->last_schema, &id, err);
        if (rc != ICETAP_OK) {
            return rc;
        }

        if (icetap_metadata_schema(u->md, id) == NULL) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "Cannot set current schema to unknown "
                                    "schema: %d", (int) id);
        }

        u->md->current_schema_id = id;

        return ICETAP_OK;
    }

    if (strcmp(action, "add-spec") == 0) {
        return icetap_rest_add_spec(u, a, err);
    }

    if (strcmp(action, "set-default-spec") == 0) {
        rc = icetap_rest_pick(a, "spec-id", u->last_spec, &id, err);
        if (rc != ICETAP_OK) {
            return rc;
        }

        if (icetap_metadata_spec(u->md, id) == NULL) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "Cannot set default partition spec to "
                                    "unknown spec: %d", (int) id);
        }

        u->md->default_spec_id = id;

        return ICETAP_OK;
    }

    if (strcmp(action, "add-sort-order") == 0) {
        return icetap_rest_add_order(u, a, err);
    }

    if (strcmp(action, "set-default-sort-order") == 0) {
        rc = icetap_rest_pick(a, "sort-order-id", u->last_order, &id, err);
        if (rc != ICETAP_OK) {
            return rc;
        }

        for (i = 0; i < u->md->nsort_orders; i++) {
            if (u->md->sort_orders[i].order_id == id) {
                break;
            }
        }

        if (i == u->md->nsort_orders) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "Cannot set default sort order to "
                                    "unknown order: %d", (int) id);
        }

        u->md->default_sort_order_id = id;

        return ICETAP_OK;
    }

    if (strcmp(action, "add-snapshot") == 0) {
        return icetap_rest_edit(u, icetap_rest_add_snapshot, a, err);
    }

    if (strcmp(action, "set-snapshot-ref") == 0) {
        return icetap_rest_set_ref(u, a, err);
    }

    if (strcmp(action, "remove-snapshots") == 0) {
        return icetap_rest_edit(u, icetap_rest_remove_snapshots, a, err);
    }

    if (strcmp(action, "remove-snapshot-ref") == 0) {
        return icetap_rest_edit(u, icetap_rest_remove_ref, a, err);
    }

    if (strcmp(action, "set-location") == 0) {
        str = icetap_rest_str(a, "location");

        if (str == NULL) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "set-location needs \"location\"");
        }

        if (u->location_prefix && !icetap_rest_under(str, u->location_prefix))
        {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "location \"%.200s\" is outside the "
                                    "table's warehouse location %.200s",
                                    str, u->location_prefix);
        }

        s = icetap_strndup(str, strlen(str));
        if (s == NULL) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }

        icetap_free(u->md->location);
        u->md->location = s;

        return ICETAP_OK;
    }

    if (strcmp(action, "set-properties") == 0) {
        v = json_object_get(a, "updates");

        if (!json_is_object(v)) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "set-properties needs \"updates\"");
        }

        json_object_foreach(v, k, p) {
            if (!json_is_string(p)) {
                return icetap_error_set(err, ICETAP_INVALID,
                                        "property \"%.64s\" is not a "
                                        "string", k);
            }

            if (icetap_kvs_set(&u->md->properties, k, json_string_value(p))
                != ICETAP_OK)
            {
                return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
            }
        }

        return ICETAP_OK;
    }

    if (strcmp(action, "remove-properties") == 0) {
        v = json_object_get(a, "removals");

        if (!json_is_array(v)) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "remove-properties needs \"removals\"");
        }

        json_array_foreach(v, i, p) {
            if (!json_is_string(p)) {
                return icetap_error_set(err, ICETAP_INVALID,
                                        "\"removals\" must hold strings");
            }

            icetap_kvs_remove(&u->md->properties, json_string_value(p));
        }

        return ICETAP_OK;
    }

    if (strcmp(action, "set-statistics") == 0) {
        return icetap_rest_edit(u, icetap_rest_set_statistics, a, err);
    }

    if (strcmp(action, "remove-statistics") == 0) {
        return icetap_rest_edit(u, icetap_rest_remove_statistics, a, err);
    }

    if (strcmp(action, "set-partition-statistics") == 0) {
        return icetap_rest_edit(u, icetap_rest_set_pstatistics, a, err);
    }

    if (strcmp(action, "remove-partition-statistics") == 0) {
        return icetap_rest_edit(u, icetap_rest_remove_pstatistics, a, err);
    }

    if (strcmp(action, "remove-partition-specs") == 0) {
        return icetap_rest_remove_specs(u, a, err);
    }

    if (strcmp(action, "remove-schemas") == 0) {
        return icetap_rest_remove_schemas(u, a, err);
    }

    if (strcmp(action, "add-encryption-key") == 0) {
        return icetap_rest_edit(u, icetap_rest_add_key, a, err);
    }

    if (strcmp(action, "remove-encryption-key") == 0) {
        return icetap_rest_edit(u, icetap_rest_remove_key, a, err);
    }

    return icetap_error_set(err, ICETAP_INVALID,
                            "unknown update action \"%.64s\"", action);
}


icetap_rc
icetap_rest_apply_updates(icetap_table_metadata_t **md,
    const json_t *updates, const char *location_prefix, int64_t now_ms,
    icetap_error_t *err)
{
    size_t             i;
    json_t            *a;
    icetap_rc          rc;
    icetap_rest_upd_t  u;

    if (!json_is_array(updates)) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "\"updates\" must be an array");
    }

    u.md = *md;
    u.location_prefix = location_prefix;
    u.now_ms = now_ms;
    u.last_schema = -1;
    u.last_spec = -1;
    u.last_order = -1;

    json_array_foreach(updates, i, a) {
        if (!json_is_object(a)) {
            rc = icetap_error_set(err, ICETAP_INVALID,
                                  "update %zu is not an object", i);

        } else {
            rc = icetap_rest_apply_one(&u, a, err);
        }

        if (rc != ICETAP_OK) {
            *md = u.md;
            return rc;
        }
    }

    /* a final round trip checks the invariants of the whole result */

    rc = icetap_rest_edit(&u, NULL, NULL, err);
    *md = u.md;

    if (rc == ICETAP_OK) {
        u.md->last_updated_ms = icetap_max(u.md->last_updated_ms, now_ms);
    }

    return rc;
}
