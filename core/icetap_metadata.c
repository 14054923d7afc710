/*
 * Copyright (C) icetap authors
 *
 * Table metadata JSON: parsing and printing.  Keys we do not model are
 * kept per object and printed after the known ones, so a metadata file
 * written by a newer engine survives our commits.
 */


#include <stdlib.h>
#include <string.h>

#include "icetap_metadata_int.h"


typedef struct {
    const json_t     *j;
    icetap_error_t   *err;
    const char       *where;
} icetap_md_ctx_t;


static const char  *icetap_md_table_keys_v2[] = {
    "format-version", "table-uuid", "location", "last-sequence-number",
    "last-updated-ms", "last-column-id", "current-schema-id", "schemas",
    "default-spec-id", "partition-specs", "last-partition-id",
    "default-sort-order-id", "sort-orders", "properties",
    "current-snapshot-id", "refs", "snapshots", "statistics",
    "partition-statistics", "snapshot-log", "metadata-log", NULL
};

static const char  *icetap_md_table_keys_v3[] = {
    "format-version", "table-uuid", "location", "last-sequence-number",
    "last-updated-ms", "last-column-id", "current-schema-id", "schemas",
    "default-spec-id", "partition-specs", "last-partition-id",
    "default-sort-order-id", "sort-orders", "properties",
    "current-snapshot-id", "refs", "snapshots", "statistics",
    "partition-statistics", "snapshot-log", "metadata-log", "next-row-id",
    "encryption-keys", NULL
};

static const char  *icetap_md_snapshot_keys_v2[] = {
    "snapshot-id", "parent-snapshot-id", "sequence-number", "timestamp-ms",
    "manifest-list", "summary", "schema-id", NULL
};

static const char  *icetap_md_snapshot_keys_v3[] = {
    "snapshot-id", "parent-snapshot-id", "sequence-number", "timestamp-ms",
    "manifest-list", "summary", "schema-id", "first-row-id", "added-rows",
    NULL
};

static const char  *icetap_md_ref_keys[] = {
    "snapshot-id", "type", "min-snapshots-to-keep", "max-snapshot-age-ms",
    "max-ref-age-ms", NULL
};

static const char  *icetap_md_spec_keys[] = { "spec-id", "fields", NULL };

static const char  *icetap_md_pfield_keys[] = {
    "name", "transform", "source-id", "source-ids", "field-id", NULL
};

static const char  *icetap_md_order_keys[] = { "order-id", "fields", NULL };

static const char  *icetap_md_sfield_keys[] = {
    "transform", "source-id", "direction", "null-order", NULL
};

static const char  *icetap_md_slog_keys[] = {
    "timestamp-ms", "snapshot-id", NULL
};

static const char  *icetap_md_mlog_keys[] = {
    "timestamp-ms", "metadata-file", NULL
};


/* shared helpers */

char *
icetap_md_strdup(const char *s)
{
    return s ? icetap_strndup(s, strlen(s)) : NULL;
}


int
icetap_md_merge(json_t *out, const json_t *extra)
{
    if (out == NULL) {
        return -1;
    }

    if (extra == NULL) {
        return 0;
    }

    return json_object_update_missing(out, (json_t *) extra);
}


void *
icetap_md_grow(void *p, size_t n, size_t size)
{
    if (n + 1 > SIZE_MAX / size) {
        return NULL;
    }

    return icetap_realloc(p, (n + 1) * size);
}


static icetap_rc
icetap_md_missing(icetap_md_ctx_t *c, const char *key, const char *type)
{
    return icetap_error_set(c->err, ICETAP_INVALID,
                            "metadata %s: \"%s\" is missing or not %s",
                            c->where, key, type);
}


static icetap_rc
icetap_md_i64(icetap_md_ctx_t *c, const char *key, int required,
    int64_t *out)
{
    json_t  *v;

    v = json_object_get(c->j, key);

    if (v == NULL && !required) {
        return ICETAP_OK;
    }

    if (!json_is_integer(v)) {
        return icetap_md_missing(c, key, "an integer");
    }

    *out = json_integer_value(v);

    return ICETAP_OK;
}


static icetap_rc
icetap_md_i32(icetap_md_ctx_t *c, const char *key, int required,
    int32_t *out)
{
    int64_t    v;
    icetap_rc  rc;

    v = *out;

    rc = icetap_md_i64(c, key, required, &v);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (v < INT32_MIN || v > INT32_MAX) {
        return icetap_error_set(c->err, ICETAP_INVALID,
                                "metadata %s: \"%s\" is out of range",
                                c->where, key);
    }

    *out = (int32_t) v;

    return ICETAP_OK;
}


static icetap_rc
icetap_md_str(icetap_md_ctx_t *c, const char *key, int required, char **out)
{
    json_t  *v;

    v = json_object_get(c->j, key);

    if (v == NULL && !required) {
        return ICETAP_OK;
    }

    if (!json_is_string(v)) {
        return icetap_md_missing(c, key, "a string");
    }

    *out = icetap_strndup(json_string_value(v), json_string_length(v));
    if (*out == NULL) {
        return icetap_error_set(c->err, ICETAP_NOMEM, "out of memory");
    }

    return ICETAP_OK;
}


static json_t *
icetap_md_array(icetap_md_ctx_t *c, const char *key, int required,
    icetap_rc *rc)
{
    json_t  *v;

    *rc = ICETAP_OK;
    v = json_object_get(c->j, key);

    if (v == NULL && !required) {
        return NULL;
    }

    if (!json_is_array(v)) {
        *rc = icetap_md_missing(c, key, "an array");
        return NULL;
    }

    return v;
}


/* string maps */

const char *
icetap_kvs_get(const icetap_kvs_t *m, const char *key)
{
    size_t  i;

    for (i = 0; i < m->n; i++) {
        if (strcmp(m->items[i].key, key) == 0) {
            return m->items[i].value;
        }
    }

    return NULL;
}


icetap_rc
icetap_kvs_set(icetap_kvs_t *m, const char *key, const char *value)
{
    char         *k, *v;
    size_t        i;
    icetap_kvs_item_t  *items;

    v = icetap_md_strdup(value);
    if (v == NULL) {
        return ICETAP_NOMEM;
    }

    for (i = 0; i < m->n; i++) {
        if (strcmp(m->items[i].key, key) == 0) {
            icetap_free(m->items[i].value);
            m->items[i].value = v;
            return ICETAP_OK;
        }
    }

    k = icetap_md_strdup(key);
    items = icetap_md_grow(m->items, m->n, sizeof(icetap_kvs_item_t));

    if (k == NULL || items == NULL) {
        icetap_free(k);
        icetap_free(v);
        return ICETAP_NOMEM;
    }

    m->items = items;
    m->items[m->n].key = k;
    m->items[m->n].value = v;
    m->n++;

    return ICETAP_OK;
}


icetap_rc
icetap_kvs_remove(icetap_kvs_t *m, const char *key)
{
    size_t  i;

    for (i = 0; i < m->n; i++) {
        if (strcmp(m->items[i].key, key) == 0) {
            icetap_free(m->items[i].key);
            icetap_free(m->items[i].value);
            memmove(&m->items[i], &m->items[i + 1],
                    (m->n - i - 1) * sizeof(icetap_kvs_item_t));
            m->n--;
            return ICETAP_OK;
        }
    }

    return ICETAP_NOTFOUND;
}


void
icetap_kvs_free(icetap_kvs_t *m)
{
    size_t  i;

    for (i = 0; i < m->n; i++) {
        icetap_free(m->items[i].key);
        icetap_free(m->items[i].value);
    }

    icetap_free(m->items);
    m->items = NULL;
    m->n = 0;
}


static icetap_rc
icetap_kvs_from_json(icetap_md_ctx_t *c, const json_t *j, icetap_kvs_t *m)
{
    json_t      *v;
    const char  *key;

    if (!json_is_object(j)) {
        return icetap_error_set(c->err, ICETAP_INVALID,
                                "metadata %s: expected a string map",
                                c->where);
    }

    json_object_foreach((json_t *) j, key, v) {
        if (!json_is_string(v)) {
            return icetap_error_set(c->err, ICETAP_INVALID,
                                    "metadata %s: value of \"%.64s\" is not "
                                    "a string", c->where, key);
        }

        if (icetap_kvs_set(m, key, json_string_value(v)) != ICETAP_OK) {
            return icetap_error_set(c->err, ICETAP_NOMEM, "out of memory");
        }
    }

    return ICETAP_OK;
}


static json_t *
icetap_kvs_to_json(const icetap_kvs_t *m)
{
    size_t   i;
    json_t  *o;

    o = json_object();
    if (o == NULL) {
        return NULL;
    }

    for (i = 0; i < m->n; i++) {
        if (json_object_set_new(o, m->items[i].key,
                                json_string(m->items[i].value)) != 0)
        {
            json_decref(o);
            return NULL;
        }
    }

    return o;
}


/* partition specs */

static void
icetap_partition_field_clear(icetap_partition_field_t *f)
{
    icetap_free(f->name);
    icetap_free(f->transform_str);
    icetap_free(f->source_ids);
    json_decref(f->extra);
    memset(f, 0, sizeof(icetap_partition_field_t));
}


void
icetap_partition_spec_clear(icetap_partition_spec_t *spec)
{
    size_t  i;

    for (i = 0; i < spec->nfields; i++) {
        icetap_partition_field_clear(&spec->fields[i]);
    }

    icetap_free(spec->fields);
    json_decref(spec->extra);
    memset(spec, 0, sizeof(icetap_partition_spec_t));
}


static icetap_rc
icetap_partition_field_from_json(icetap_md_ctx_t *c, const json_t *j,
    icetap_partition_field_t *f)
{
    size_t            i, n;
    json_t           *ids, *v;
    icetap_rc         rc;
    icetap_md_ctx_t   fc;

    if (!json_is_object(j)) {
        return icetap_error_set(c->err, ICETAP_INVALID,
                                "metadata partition field is not an object");
    }

    fc.j = j;
    fc.err = c->err;
    fc.where = "partition field";

    rc = icetap_md_str(&fc, "name", 1, &f->name);
    if (rc == ICETAP_OK) {
        rc = icetap_md_str(&fc, "transform", 1, &f->transform_str);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_md_i32(&fc, "field-id", 1, &f->field_id);
    }

    if (rc != ICETAP_OK) {
        return rc;
    }

    ids = json_object_get(j, "source-ids");

    if (ids != NULL) {
        if (!json_is_array(ids) || json_array_size(ids) == 0) {
            return icetap_md_missing(&fc, "source-ids", "an array");
        }

        n = json_array_size(ids);

        f->source_ids = icetap_calloc(n, sizeof(int32_t));
        if (f->source_ids == NULL) {
            return icetap_error_set(c->err, ICETAP_NOMEM, "out of memory");
        }

        for (i = 0; i < n; i++) {
            v = json_array_get(ids, i);
            if (!json_is_integer(v) || json_integer_value(v) < 0
                || json_integer_value(v) > INT32_MAX)
            {
                return icetap_md_missing(&fc, "source-ids", "ids");
            }

            f->source_ids[i] = (int32_t) json_integer_value(v);
        }

        f->nsource_ids = n;
        f->source_id = f->source_ids[0];

        rc = icetap_md_i32(&fc, "source-id", 0, &f->source_id);

    } else {
        rc = icetap_md_i32(&fc, "source-id", 1, &f->source_id);
    }

    if (rc != ICETAP_OK) {
        return rc;
    }

    /* a transform newer than us stays readable, only not applicable */

    if (icetap_transform_parse(f->transform_str, &f->transform, NULL)
        != ICETAP_OK)
    {
        memset(&f->transform, 0, sizeof(icetap_transform_t));
    }

    f->extra = icetap_md_extra(j, icetap_md_pfield_keys);

    return ICETAP_OK;
}


static icetap_rc
icetap_partition_spec_parse(icetap_md_ctx_t *c, const json_t *fields,
    icetap_partition_spec_t *spec)
{
    size_t     i, n;
    icetap_rc  rc;

    n = json_array_size(fields);

    if (n) {
        spec->fields = icetap_calloc(n, sizeof(icetap_partition_field_t));
        if (spec->fields == NULL) {
            return icetap_error_set(c->err, ICETAP_NOMEM, "out of memory");
        }
    }

    for (i = 0; i < n; i++) {
        rc = icetap_partition_field_from_json(c, json_array_get(fields, i),
                                              &spec->fields[i]);
        spec->nfields++;

        if (rc != ICETAP_OK) {
            return rc;
        }
    }

    return ICETAP_OK;
}


icetap_rc
icetap_partition_spec_from_json(const json_t *j,
    icetap_partition_spec_t *spec, icetap_error_t *err)
{
    json_t           *fields;
    icetap_rc         rc;
    icetap_md_ctx_t   c;

    memset(spec, 0, sizeof(icetap_partition_spec_t));

    c.j = j;
    c.err = err;
    c.where = "partition spec";

    if (json_is_array(j)) {
        /* the bare field list of a manifest header */
        fields = (json_t *) j;

    } else {
        if (!json_is_object(j)) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "partition spec is not an object");
        }

        rc = icetap_md_i32(&c, "spec-id", 1, &spec->spec_id);
        if (rc != ICETAP_OK) {
            return rc;
        }

        fields = icetap_md_array(&c, "fields", 1, &rc);
        if (rc != ICETAP_OK) {
            return rc;
        }

        spec->extra = icetap_md_extra(j, icetap_md_spec_keys);
    }

    rc = icetap_partition_spec_parse(&c, fields, spec);
    if (rc != ICETAP_OK) {
        icetap_partition_spec_clear(spec);
    }

    return rc;
}


json_t *
icetap_partition_spec_fields_to_json(const icetap_partition_spec_t *spec)
{
    size_t                           i, k;
    json_t                          *a, *o, *ids;
    const icetap_partition_field_t  *f;

    a = json_array();
    if (a == NULL) {
        return NULL;
    }

    for (i = 0; i < spec->nfields; i++) {
        f = &spec->fields[i];

        o = json_object();
        if (json_array_append_new(a, o) != 0
            || json_object_set_new(o, "name", json_string(f->name))
            || json_object_set_new(o, "transform",
                                   json_string(f->transform_str)))
        {
            json_decref(a);
            return NULL;
        }

        if (f->nsource_ids) {
            ids = json_array();
            if (json_object_set_new(o, "source-ids", ids) != 0) {
                json_decref(a);
                return NULL;
            }

            for (k = 0; k < f->nsource_ids; k++) {
                if (json_array_append_new(ids,
                                          json_integer(f->source_ids[k])))
                {
                    json_decref(a);
                    return NULL;
                }
            }

        } else if (json_object_set_new(o, "source-id",
                                       json_integer(f->source_id)) != 0)
        {
            json_decref(a);
            return NULL;
        }

        if (json_object_set_new(o, "field-id", json_integer(f->field_id))
            || icetap_md_merge(o, f->extra) != 0)
        {
            json_decref(a);
            return NULL;
        }
    }

    return a;
}


json_t *
icetap_partition_spec_to_json(const icetap_partition_spec_t *spec)
{
    json_t  *o;

    o = json_object();

    if (o == NULL
        || json_object_set_new(o, "spec-id", json_integer(spec->spec_id))
        || json_object_set_new(o, "fields",
                               icetap_partition_spec_fields_to_json(spec))
        || icetap_md_merge(o, spec->extra) != 0)
    {
        json_decref(o);
        return NULL;
    }

    return o;
}


icetap_rc
icetap_partition_spec_copy(icetap_partition_spec_t *dst,
    const icetap_partition_spec_t *src)
{
    json_t     *j;
    icetap_rc   rc;

    j = icetap_partition_spec_to_json(src);
    if (j == NULL) {
        return ICETAP_NOMEM;
    }

    rc = icetap_partition_spec_from_json(j, dst, NULL);

    json_decref(j);

    return rc;
}


icetap_rc
icetap_partition_spec_add_field(icetap_partition_spec_t *spec,
    const char *name, const char *transform, int32_t source_id,
    int32_t field_id, icetap_error_t *err)
{
    size_t                     i;
    icetap_rc                  rc;
    icetap_transform_t         t;
    icetap_partition_field_t  *fields, *f;

    rc = icetap_transform_parse(transform, &t, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (name == NULL || *name == '\0') {
        return icetap_error_set(err, ICETAP_INVALID,
                                "partition field needs a name");
    }

    for (i = 0; i < spec->nfields; i++) {
        if (strcmp(spec->fields[i].name, name) == 0) {
            return icetap_error_set(err, ICETAP_CONFLICT,
                                    "partition field \"%.64s\" exists",
                                    name);
        }
    }

    fields = icetap_md_grow(spec->fields, spec->nfields,
                            sizeof(icetap_partition_field_t));
    if (fields == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    spec->fields = fields;
    f = &fields[spec->nfields];
    memset(f, 0, sizeof(icetap_partition_field_t));

    f->name = icetap_md_strdup(name);
    f->transform_str = icetap_md_strdup(transform);

    if (f->name == NULL || f->transform_str == NULL) {
        icetap_partition_field_clear(f);
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    f->transform = t;
    f->source_id = source_id;
    f->field_id = field_id;
    spec->nfields++;

    return ICETAP_OK;
}


icetap_rc
icetap_partition_spec_types(const icetap_partition_spec_t *spec,
    const icetap_schema_t *schema, icetap_type_t *types, icetap_error_t *err)
{
    int                              required;
    size_t                           i;
    icetap_rc                        rc;
    const icetap_type_t             *src;
    const icetap_partition_field_t  *f;

    for (i = 0; i < spec->nfields; i++) {
        f = &spec->fields[i];

        if (f->transform.kind == 0) {
            return icetap_error_set(err, ICETAP_UNSUPPORTED,
                                    "partition field \"%.64s\": unknown "
                                    "transform \"%.32s\"", f->name,
                                    f->transform_str);
        }

        src = icetap_schema_find_type(schema, f->source_id, &required);
        if (src == NULL) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "partition field \"%.64s\": source "
                                    "column %d is not in schema %d",
                                    f->name, (int) f->source_id,
                                    (int) schema->schema_id);
        }

        rc = icetap_transform_result_type(&f->transform, src, &types[i],
                                          err);
        if (rc != ICETAP_OK) {
            return rc;
        }
    }

    return ICETAP_OK;
}


/* sort orders */

void
icetap_md_sort_order_clear(icetap_sort_order_t *o)
{
    size_t  i;

    for (i = 0; i < o->nfields; i++) {
        icetap_free(o->fields[i].transform);
        json_decref(o->fields[i].extra);
    }

    icetap_free(o->fields);
    json_decref(o->extra);
    memset(o, 0, sizeof(icetap_sort_order_t));
}


icetap_rc
icetap_md_sort_order_from_json(const json_t *j, icetap_sort_order_t *o,
    icetap_error_t *err)
{
    char                 *dir, *nulls;
    size_t                i, n;
    json_t               *fields;
    icetap_rc             rc;
    icetap_md_ctx_t       c, fc;
    icetap_sort_field_t  *f;

    memset(o, 0, sizeof(icetap_sort_order_t));

    if (!json_is_object(j)) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "metadata sort order is not an object");
    }

    c.j = j;
    c.err = err;
    c.where = "sort order";

    rc = icetap_md_i32(&c, "order-id", 1, &o->order_id);
    if (rc != ICETAP_OK) {
        return rc;
    }

    fields = icetap_md_array(&c, "fields", 1, &rc);
    if (rc != ICETAP_OK) {
        return rc;
    }

    n = json_array_size(fields);

    if (n) {
        o->fields = icetap_calloc(n, sizeof(icetap_sort_field_t));
        if (o->fields == NULL) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }
    }

    fc.err = err;
    fc.where = "sort field";

    for (i = 0; i < n; i++) {
        f = &o->fields[i];
        fc.j = json_array_get(fields, i);
        o->nfields++;
        dir = NULL;
        nulls = NULL;

        if (!json_is_object(fc.j)) {
            rc = icetap_error_set(err, ICETAP_INVALID,
                                  "sort field is not an object");
            goto failed;
        }

        rc = icetap_md_str(&fc, "transform", 1, &f->transform);
        if (rc == ICETAP_OK) {
            rc = icetap_md_i32(&fc, "source-id", 1, &f->source_id);
        }

        if (rc == ICETAP_OK) {
            rc = icetap_md_str(&fc, "direction", 1, &dir);
        }

        if (rc == ICETAP_OK) {
            rc = icetap_md_str(&fc, "null-order", 1, &nulls);
        }

        if (rc == ICETAP_OK
            && ((strcmp(dir, "asc") != 0 && strcmp(dir, "desc") != 0)
                || (strcmp(nulls, "nulls-first") != 0
                    && strcmp(nulls, "nulls-last") != 0)))
        {
            rc = icetap_error_set(err, ICETAP_INVALID,
                                  "sort field: bad direction \"%.16s\" or "
                                  "null order \"%.16s\"", dir, nulls);
        }

        if (rc == ICETAP_OK) {
            f->descending = strcmp(dir, "desc") == 0;
            f->nulls_last = strcmp(nulls, "nulls-last") == 0;
            f->extra = icetap_md_extra(fc.j, icetap_md_sfield_keys);
        }

        icetap_free(dir);
        icetap_free(nulls);

        if (rc != ICETAP_OK) {
            goto failed;
        }
    }

    o->extra = icetap_md_extra(j, icetap_md_order_keys);

    return ICETAP_OK;

failed:

    icetap_md_sort_order_clear(o);

    return rc;
}


json_t *
icetap_md_sort_order_to_json(const icetap_sort_order_t *o)
{
    size_t                      i;
    json_t                     *obj, *a, *f;
    const icetap_sort_field_t  *sf;

    obj = json_object();
    a = json_array();

    if (obj == NULL || a == NULL
        || json_object_set_new(obj, "order-id", json_integer(o->order_id))
        || json_object_set_new(obj, "fields", a))
    {
        json_decref(obj);
        return NULL;
    }

    for (i = 0; i < o->nfields; i++) {
        sf = &o->fields[i];
        f = json_object();

        if (json_array_append_new(a, f) != 0
            || json_object_set_new(f, "transform", json_string(sf->transform))
            || json_object_set_new(f, "source-id",
                                   json_integer(sf->source_id))
            || json_object_set_new(f, "direction",
                                   json_string(sf->descending ? "desc"
                                                              : "asc"))
            || json_object_set_new(f, "null-order",
                                   json_string(sf->nulls_last
                                               ? "nulls-last"
                                               : "nulls-first"))
            || icetap_md_merge(f, sf->extra) != 0)
        {
            json_decref(obj);
            return NULL;
        }
    }

    if (icetap_md_merge(obj, o->extra) != 0) {
        json_decref(obj);
        return NULL;
    }

    return obj;
}


/* snapshots and refs */

void
icetap_snapshot_clear(icetap_snapshot_t *s)
{
    icetap_free(s->manifest_list);
    icetap_kvs_free(&s->summary);
    json_decref(s->extra);
    memset(s, 0, sizeof(icetap_snapshot_t));
}


void
icetap_snapshots_free(icetap_snapshot_t *snaps, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        icetap_snapshot_clear(&snaps[i]);
    }

    icetap_free(snaps);
}


void
icetap_md_ref_clear(icetap_ref_t *ref)
{
    icetap_free(ref->name);
    json_decref(ref->extra);
    memset(ref, 0, sizeof(icetap_ref_t));
}


static icetap_rc
icetap_md_snapshot_from_json(const json_t *j, int version,
    icetap_snapshot_t *s, icetap_error_t *err)
{
    json_t           *summary;
    icetap_rc         rc;
    icetap_md_ctx_t   c;

    s->parent_id = ICETAP_NO_SNAPSHOT;
    s->schema_id = -1;
    s->first_row_id = ICETAP_UNSET;
    s->added_rows = ICETAP_UNSET;

    if (!json_is_object(j)) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "metadata snapshot is not an object");
    }

    c.j = j;
    c.err = err;
    c.where = "snapshot";

    rc = icetap_md_i64(&c, "snapshot-id", 1, &s->snapshot_id);
    if (rc == ICETAP_OK) {
        rc = icetap_md_i64(&c, "parent-snapshot-id", 0, &s->parent_id);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_md_i64(&c, "sequence-number", 0, &s->sequence_number);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_md_i64(&c, "timestamp-ms", 1, &s->timestamp_ms);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_md_str(&c, "manifest-list", 1, &s->manifest_list);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_md_i32(&c, "schema-id", 0, &s->schema_id);
    }

    if (rc == ICETAP_OK && version >= 3) {
        rc = icetap_md_i64(&c, "first-row-id", 0, &s->first_row_id);
        if (rc == ICETAP_OK) {
            rc = icetap_md_i64(&c, "added-rows", 0, &s->added_rows);
        }
    }

    if (rc != ICETAP_OK) {
        return rc;
    }

    summary = json_object_get(j, "summary");
    if (summary == NULL) {
        return icetap_md_missing(&c, "summary", "an object");
    }

    rc = icetap_kvs_from_json(&c, summary, &s->summary);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (icetap_kvs_get(&s->summary, "operation") == NULL) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "snapshot %lld: summary has no operation",
                                (long long) s->snapshot_id);
    }

    s->extra = icetap_md_extra(j, version >= 3 ? icetap_md_snapshot_keys_v3
                                               : icetap_md_snapshot_keys_v2);

    return ICETAP_OK;
}


static json_t *
icetap_md_snapshot_to_json(const icetap_snapshot_t *s, int version)
{
    json_t  *o;

    o = json_object();
    if (o == NULL) {
        return NULL;
    }

    if (json_object_set_new(o, "sequence-number",
                            json_integer(s->sequence_number))
        || json_object_set_new(o, "snapshot-id", json_integer(s->snapshot_id))
        || (s->parent_id != ICETAP_NO_SNAPSHOT
            && json_object_set_new(o, "parent-snapshot-id",
                                   json_integer(s->parent_id)))
        || json_object_set_new(o, "timestamp-ms",
                               json_integer(s->timestamp_ms))
        || json_object_set_new(o, "summary", icetap_kvs_to_json(&s->summary))
        || json_object_set_new(o, "manifest-list",
                               json_string(s->manifest_list))
        || (s->schema_id >= 0
            && json_object_set_new(o, "schema-id",
                                   json_integer(s->schema_id)))
        || (version >= 3 && s->first_row_id != ICETAP_UNSET
            && json_object_set_new(o, "first-row-id",
                                   json_integer(s->first_row_id)))
        || (version >= 3 && s->added_rows != ICETAP_UNSET
            && json_object_set_new(o, "added-rows",
                                   json_integer(s->added_rows)))
        || icetap_md_merge(o, s->extra) != 0)
    {
        json_decref(o);
        return NULL;
    }

    return o;
}


static icetap_rc
icetap_md_ref_from_json(const char *name, const json_t *j, icetap_ref_t *r,
    icetap_error_t *err)
{
    char             *type;
    icetap_rc         rc;
    icetap_md_ctx_t   c;

    r->min_snapshots_to_keep = ICETAP_UNSET;
    r->max_snapshot_age_ms = ICETAP_UNSET;
    r->max_ref_age_ms = ICETAP_UNSET;

    r->name = icetap_md_strdup(name);
    if (r->name == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    if (!json_is_object(j)) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "ref \"%.64s\" is not an object", name);
    }

    c.j = j;
    c.err = err;
    c.where = "ref";
    type = NULL;

    rc = icetap_md_i64(&c, "snapshot-id", 1, &r->snapshot_id);
    if (rc == ICETAP_OK) {
        rc = icetap_md_str(&c, "type", 1, &type);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_md_i64(&c, "min-snapshots-to-keep", 0,
                           &r->min_snapshots_to_keep);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_md_i64(&c, "max-snapshot-age-ms", 0,
                           &r->max_snapshot_age_ms);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_md_i64(&c, "max-ref-age-ms", 0, &r->max_ref_age_ms);
    }

    if (rc == ICETAP_OK) {
        if (strcmp(type, "tag") == 0) {
            r->is_tag = 1;

        } else if (strcmp(type, "branch") != 0) {
            rc = icetap_error_set(err, ICETAP_INVALID,
                                  "ref \"%.64s\": unknown type \"%.16s\"",
                                  name, type);
        }
    }

    icetap_free(type);

    if (rc == ICETAP_OK) {
        r->extra = icetap_md_extra(j, icetap_md_ref_keys);
    }

    return rc;
}


static json_t *
icetap_md_ref_to_json(const icetap_ref_t *r)
{
    json_t  *o;

    o = json_object();
    if (o == NULL) {
        return NULL;
    }

    if (json_object_set_new(o, "snapshot-id", json_integer(r->snapshot_id))
        || json_object_set_new(o, "type",
                               json_string(r->is_tag ? "tag" : "branch"))
        || (r->min_snapshots_to_keep != ICETAP_UNSET
            && json_object_set_new(o, "min-snapshots-to-keep",
                                   json_integer(r->min_snapshots_to_keep)))
        || (r->max_snapshot_age_ms != ICETAP_UNSET
            && json_object_set_new(o, "max-snapshot-age-ms",
                                   json_integer(r->max_snapshot_age_ms)))
        || (r->max_ref_age_ms != ICETAP_UNSET
            && json_object_set_new(o, "max-ref-age-ms",
                                   json_integer(r->max_ref_age_ms)))
        || icetap_md_merge(o, r->extra) != 0)
    {
        json_decref(o);
        return NULL;
    }

    return o;
}


/* the table */

void
icetap_metadata_free(icetap_table_metadata_t *md)
{
    size_t  i;

    if (md == NULL) {
        return;
    }

    icetap_free(md->table_uuid);
    icetap_free(md->location);

    for (i = 0; i < md->nschemas; i++) {
        icetap_schema_free(md->schemas[i]);
    }

    icetap_free(md->schemas);

    for (i = 0; i < md->nspecs; i++) {
        icetap_partition_spec_clear(&md->specs[i]);
    }

    icetap_free(md->specs);

    for (i = 0; i < md->nsort_orders; i++) {
        icetap_md_sort_order_clear(&md->sort_orders[i]);
    }

    icetap_free(md->sort_orders);
    icetap_kvs_free(&md->properties);

    icetap_snapshots_free(md->snapshots, md->nsnapshots);

    for (i = 0; i < md->nrefs; i++) {
        icetap_md_ref_clear(&md->refs[i]);
    }

    icetap_free(md->refs);

    for (i = 0; i < md->nsnapshot_log; i++) {
        json_decref(md->snapshot_log[i].extra);
    }

    icetap_free(md->snapshot_log);

    for (i = 0; i < md->nmetadata_log; i++) {
        icetap_free(md->metadata_log[i].file);
        json_decref(md->metadata_log[i].extra);
    }

    icetap_free(md->metadata_log);

    json_decref(md->statistics);
    json_decref(md->partition_statistics);
    json_decref(md->encryption_keys);
    json_decref(md->extra);
    icetap_free(md);
}


static icetap_rc
icetap_md_parse_lists(const json_t *j, icetap_table_metadata_t *md,
    icetap_error_t *err)
{
    size_t            i, n;
    json_t           *a, *e;
    icetap_rc         rc;
    icetap_md_ctx_t   c, ec;

    c.j = j;
    c.err = err;
    c.where = "table";
    ec.err = err;

    /* schemas */

    a = icetap_md_array(&c, "schemas", 1, &rc);
    if (rc != ICETAP_OK) {
        return rc;
    }

    n = json_array_size(a);

    if (n == 0) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "metadata table: \"schemas\" is empty");
    }

    md->schemas = icetap_calloc(n, sizeof(icetap_schema_t *));
    if (md->schemas == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    for (i = 0; i < n; i++) {
        rc = icetap_schema_from_json(json_array_get(a, i), &md->schemas[i],
                                     err);
        if (rc != ICETAP_OK) {
            return rc;
        }

        md->nschemas++;
    }

    /* partition specs */

    a = icetap_md_array(&c, "partition-specs", 1, &rc);
    if (rc != ICETAP_OK) {
        return rc;
    }

    n = json_array_size(a);

    if (n) {
        md->specs = icetap_calloc(n, sizeof(icetap_partition_spec_t));
        if (md->specs == NULL) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }
    }

    for (i = 0; i < n; i++) {
        e = json_array_get(a, i);

        if (!json_is_object(e)) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "metadata partition spec is not an "
                                    "object");
        }

        rc = icetap_partition_spec_from_json(e, &md->specs[i], err);
        if (rc != ICETAP_OK) {
            return rc;
        }

        md->nspecs++;
    }

    /* sort orders */

    a = icetap_md_array(&c, "sort-orders", 1, &rc);
    if (rc != ICETAP_OK) {
        return rc;
    }

    n = json_array_size(a);

    if (n) {
        md->sort_orders = icetap_calloc(n, sizeof(icetap_sort_order_t));
        if (md->sort_orders == NULL) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }
    }

    for (i = 0; i < n; i++) {
        rc = icetap_md_sort_order_from_json(json_array_get(a, i),
                                            &md->sort_orders[i], err);
        if (rc != ICETAP_OK) {
            return rc;
        }

        md->nsort_orders++;
    }

    /* snapshots */

    a = icetap_md_array(&c, "snapshots", 0, &rc);
    if (rc != ICETAP_OK) {
        return rc;
    }

    n = json_array_size(a);

    if (n) {
        md->snapshots = icetap_calloc(n, sizeof(icetap_snapshot_t));
        if (md->snapshots == NULL) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }
    }

    for (i = 0; i < n; i++) {
        md->nsnapshots++;

        rc = icetap_md_snapshot_from_json(json_array_get(a, i),
                                          md->format_version,
                                          &md->snapshots[i], err);
        if (rc != ICETAP_OK) {
            return rc;
        }
    }

    /* snapshot log */

    a = icetap_md_array(&c, "snapshot-log", 0, &rc);
    if (rc != ICETAP_OK) {
        return rc;
    }

    n = json_array_size(a);

    if (n) {
        md->snapshot_log = icetap_calloc(n, sizeof(icetap_snapshot_log_t));
        if (md->snapshot_log == NULL) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }
    }

    ec.where = "snapshot-log entry";

    for (i = 0; i < n; i++) {
        ec.j = json_array_get(a, i);

        if (!json_is_object(ec.j)) {
            return icetap_md_missing(&ec, "entry", "an object");
        }

        rc = icetap_md_i64(&ec, "timestamp-ms", 1,
                           &md->snapshot_log[i].timestamp_ms);
        if (rc == ICETAP_OK) {
            rc = icetap_md_i64(&ec, "snapshot-id", 1,
                               &md->snapshot_log[i].snapshot_id);
        }

        if (rc != ICETAP_OK) {
            return rc;
        }

        md->snapshot_log[i].extra = icetap_md_extra(ec.j,
                                                    icetap_md_slog_keys);
        md->nsnapshot_log++;
    }

    /* metadata log */

    a = icetap_md_array(&c, "metadata-log", 0, &rc);
    if (rc != ICETAP_OK) {
        return rc;
    }

    n = json_array_size(a);

    if (n) {
        md->metadata_log = icetap_calloc(n, sizeof(icetap_metadata_log_t));
        if (md->metadata_log == NULL) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }
    }

    ec.where = "metadata-log entry";

    for (i = 0; i < n; i++) {
        ec.j = json_array_get(a, i);

        if (!json_is_object(ec.j)) {
            return icetap_md_missing(&ec, "entry", "an object");
        }

        md->nmetadata_log++;

        rc = icetap_md_i64(&ec, "timestamp-ms", 1,
                           &md->metadata_log[i].timestamp_ms);
        if (rc == ICETAP_OK) {
            rc = icetap_md_str(&ec, "metadata-file", 1,
                               &md->metadata_log[i].file);
        }

        if (rc != ICETAP_OK) {
            return rc;
        }

        md->metadata_log[i].extra = icetap_md_extra(ec.j,
                                                    icetap_md_mlog_keys);
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_md_parse_refs(const json_t *j, icetap_table_metadata_t *md,
    icetap_error_t *err)
{
    size_t       n;
    json_t      *refs, *v;
    icetap_rc    rc;
    const char  *name;

    refs = json_object_get(j, "refs");

    if (refs == NULL) {
        return ICETAP_OK;
    }

    if (!json_is_object(refs)) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "metadata table: \"refs\" is not an object");
    }

    n = json_object_size(refs);

    if (n) {
        md->refs = icetap_calloc(n, sizeof(icetap_ref_t));
        if (md->refs == NULL) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }
    }

    json_object_foreach(refs, name, v) {
        md->nrefs++;

        rc = icetap_md_ref_from_json(name, v, &md->refs[md->nrefs - 1], err);
        if (rc != ICETAP_OK) {
            return rc;
        }
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_md_validate(icetap_table_metadata_t *md, icetap_error_t *err)
{
    size_t         i, k;
    icetap_ref_t  *main_ref;

    if (icetap_metadata_current_schema(md) == NULL) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "current-schema-id %d is not a schema",
                                (int) md->current_schema_id);
    }

    for (i = 0; i < md->nschemas; i++) {
        for (k = 0; k < i; k++) {
            if (md->schemas[i]->schema_id == md->schemas[k]->schema_id) {
                return icetap_error_set(err, ICETAP_INVALID,
                                        "schema id %d is used twice",
                                        (int) md->schemas[i]->schema_id);
            }
        }
    }

    if (icetap_metadata_default_spec(md) == NULL) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "default-spec-id %d is not a spec",
                                (int) md->default_spec_id);
    }

    for (i = 0; i < md->nsnapshots; i++) {
        for (k = 0; k < i; k++) {
            if (md->snapshots[i].snapshot_id == md->snapshots[k].snapshot_id)
            {
                return icetap_error_set(err, ICETAP_INVALID,
                                        "snapshot id %lld is used twice",
                                        (long long)
                                        md->snapshots[i].snapshot_id);
            }
        }

        if (md->snapshots[i].sequence_number > md->last_sequence_number) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "snapshot %lld has sequence number %lld "
                                    "above last-sequence-number %lld",
                                    (long long) md->snapshots[i].snapshot_id,
                                    (long long)
                                    md->snapshots[i].sequence_number,
                                    (long long) md->last_sequence_number);
        }
    }

    if (md->current_snapshot_id != ICETAP_NO_SNAPSHOT
        && icetap_metadata_snapshot(md, md->current_snapshot_id) == NULL)
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "current-snapshot-id %lld is not a snapshot",
                                (long long) md->current_snapshot_id);
    }

    for (i = 0; i < md->nrefs; i++) {
        if (icetap_metadata_snapshot(md, md->refs[i].snapshot_id) == NULL) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "ref \"%.64s\" points to unknown "
                                    "snapshot %lld", md->refs[i].name,
                                    (long long) md->refs[i].snapshot_id);
        }
    }

    main_ref = icetap_metadata_ref(md, "main");

    if (main_ref != NULL) {
        if (main_ref->is_tag
            || main_ref->snapshot_id != md->current_snapshot_id)
        {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "ref \"main\" is not a branch at the "
                                    "current snapshot");
        }

    } else if (md->current_snapshot_id != ICETAP_NO_SNAPSHOT) {

        /* older writers leave main implied by current-snapshot-id */

        return icetap_metadata_set_ref(md, "main", md->current_snapshot_id, 0,
                                       ICETAP_UNSET, ICETAP_UNSET,
                                       ICETAP_UNSET, err);
    }

    return ICETAP_OK;
}


static json_t *
icetap_md_raw_array(const json_t *j, const char *key, icetap_rc *rc,
    icetap_error_t *err)
{
    json_t  *v;

    *rc = ICETAP_OK;
    v = json_object_get(j, key);

    if (v == NULL) {
        return NULL;
    }

    if (!json_is_array(v)) {
        *rc = icetap_error_set(err, ICETAP_INVALID,
                               "metadata table: \"%s\" is not an array", key);
        return NULL;
    }

    return json_deep_copy(v);
}


icetap_rc
icetap_metadata_from_json(const json_t *j, icetap_table_metadata_t **out,
    icetap_error_t *err)
{
    json_t                   *v;
    icetap_rc                 rc;
    icetap_md_ctx_t           c;
    icetap_table_metadata_t  *md;

    *out = NULL;

    if (!json_is_object(j)) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "table metadata is not a JSON object");
    }

    md = icetap_calloc(1, sizeof(icetap_table_metadata_t));
    if (md == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    md->current_snapshot_id = ICETAP_NO_SNAPSHOT;

    c.j = j;
    c.err = err;
    c.where = "table";

    rc = icetap_md_i32(&c, "format-version", 1, &md->format_version);
    if (rc != ICETAP_OK) {
        goto failed;
    }

    if (md->format_version != 2 && md->format_version != 3) {
        rc = icetap_error_set(err, ICETAP_UNSUPPORTED,
                              "table format version %d is not supported "
                              "(2 and 3 are)", md->format_version);
        goto failed;
    }

    rc = icetap_md_str(&c, "table-uuid", 1, &md->table_uuid);
    if (rc == ICETAP_OK) {
        rc = icetap_md_str(&c, "location", 1, &md->location);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_md_i64(&c, "last-sequence-number", 1,
                           &md->last_sequence_number);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_md_i64(&c, "last-updated-ms", 1, &md->last_updated_ms);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_md_i32(&c, "last-column-id", 1, &md->last_column_id);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_md_i32(&c, "current-schema-id", 1,
                           &md->current_schema_id);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_md_i32(&c, "default-spec-id", 1, &md->default_spec_id);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_md_i32(&c, "last-partition-id", 1,
                           &md->last_partition_id);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_md_i32(&c, "default-sort-order-id", 1,
                           &md->default_sort_order_id);
    }

    if (rc == ICETAP_OK && md->format_version >= 3) {
        rc = icetap_md_i64(&c, "next-row-id", 1, &md->next_row_id);
    }

    if (rc != ICETAP_OK) {
        goto failed;
    }

    v = json_object_get(j, "current-snapshot-id");

    if (json_is_null(v)) {
        md->current_snapshot_null = 1;

    } else if (v != NULL) {
        rc = icetap_md_i64(&c, "current-snapshot-id", 1,
                           &md->current_snapshot_id);
        if (rc != ICETAP_OK) {
            goto failed;
        }

        if (md->current_snapshot_id < 0) {
            md->current_snapshot_id = ICETAP_NO_SNAPSHOT;
        }
    }

    v = json_object_get(j, "properties");
    if (v != NULL) {
        rc = icetap_kvs_from_json(&c, v, &md->properties);
        if (rc != ICETAP_OK) {
            goto failed;
        }
    }

    rc = icetap_md_parse_lists(j, md, err);
    if (rc != ICETAP_OK) {
        goto failed;
    }

    rc = icetap_md_parse_refs(j, md, err);
    if (rc != ICETAP_OK) {
        goto failed;
    }

    md->statistics = icetap_md_raw_array(j, "statistics", &rc, err);
    if (rc == ICETAP_OK) {
        md->partition_statistics = icetap_md_raw_array(j,
                                                       "partition-statistics",
                                                       &rc, err);
    }

    if (rc == ICETAP_OK && md->format_version >= 3) {
        md->encryption_keys = icetap_md_raw_array(j, "encryption-keys", &rc,
                                                  err);
    }

    if (rc != ICETAP_OK) {
        goto failed;
    }

    md->extra = icetap_md_extra(j, md->format_version >= 3
                                   ? icetap_md_table_keys_v3
                                   : icetap_md_table_keys_v2);

    rc = icetap_md_validate(md, err);
    if (rc != ICETAP_OK) {
        goto failed;
    }

    *out = md;

    return ICETAP_OK;

failed:

    icetap_metadata_free(md);

    return rc;
}


icetap_rc
icetap_metadata_parse(const char *json, size_t len,
    icetap_table_metadata_t **md, icetap_error_t *err)
{
    json_t       *j;
    icetap_rc     rc;
    json_error_t  jerr;

    *md = NULL;

    j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (j == NULL) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "table metadata is not JSON: %s at %d:%d",
                                jerr.text, jerr.line, jerr.column);
    }

    rc = icetap_metadata_from_json(j, md, err);

    json_decref(j);

    return rc;
}


static int
icetap_md_set(json_t *o, const char *key, json_t *v)
{
    if (v == NULL) {
        return -1;
    }

    return json_object_set_new(o, key, v);
}


json_t *
icetap_metadata_to_json(const icetap_table_metadata_t *md)
{
    size_t   i;
    json_t  *o, *a, *e, *refs;

    o = json_object();
    if (o == NULL) {
        return NULL;
    }

    if (icetap_md_set(o, "format-version", json_integer(md->format_version))
        || icetap_md_set(o, "table-uuid", json_string(md->table_uuid))
        || icetap_md_set(o, "location", json_string(md->location))
        || icetap_md_set(o, "last-sequence-number",
                         json_integer(md->last_sequence_number))
        || icetap_md_set(o, "last-updated-ms",
                         json_integer(md->last_updated_ms))
        || icetap_md_set(o, "last-column-id",
                         json_integer(md->last_column_id))
        || icetap_md_set(o, "current-schema-id",
                         json_integer(md->current_schema_id)))
    {
        goto failed;
    }

    a = json_array();
    if (icetap_md_set(o, "schemas", a) != 0) {
        goto failed;
    }

    for (i = 0; i < md->nschemas; i++) {
        e = icetap_schema_to_json(md->schemas[i]);
        if (e == NULL || json_array_append_new(a, e) != 0) {
            goto failed;
        }
    }

    if (icetap_md_set(o, "default-spec-id",
                      json_integer(md->default_spec_id)))
    {
        goto failed;
    }

    a = json_array();
    if (icetap_md_set(o, "partition-specs", a) != 0) {
        goto failed;
    }

    for (i = 0; i < md->nspecs; i++) {
        e = icetap_partition_spec_to_json(&md->specs[i]);
        if (e == NULL || json_array_append_new(a, e) != 0) {
            goto failed;
        }
    }

    if (icetap_md_set(o, "last-partition-id",
                      json_integer(md->last_partition_id))
        || icetap_md_set(o, "default-sort-order-id",
                         json_integer(md->default_sort_order_id)))
    {
        goto failed;
    }

    a = json_array();
    if (icetap_md_set(o, "sort-orders", a) != 0) {
        goto failed;
    }

    for (i = 0; i < md->nsort_orders; i++) {
        e = icetap_md_sort_order_to_json(&md->sort_orders[i]);
        if (e == NULL || json_array_append_new(a, e) != 0) {
            goto failed;
        }
    }

    if (icetap_md_set(o, "properties", icetap_kvs_to_json(&md->properties))) {
        goto failed;
    }

    /* Java writes -1 (v2) or null (v3) when there is no snapshot */

    if (md->current_snapshot_id != ICETAP_NO_SNAPSHOT) {
        e = json_integer(md->current_snapshot_id);

    } else if (md->current_snapshot_null) {
        e = json_null();

    } else {
        e = json_integer(-1);
    }

    if (icetap_md_set(o, "current-snapshot-id", e)
        || (md->format_version >= 3
            && icetap_md_set(o, "next-row-id",
                             json_integer(md->next_row_id)))
        || (md->encryption_keys
            && json_object_set(o, "encryption-keys", md->encryption_keys)))
    {
        goto failed;
    }

    refs = json_object();
    if (icetap_md_set(o, "refs", refs) != 0) {
        goto failed;
    }

    for (i = 0; i < md->nrefs; i++) {
        if (icetap_md_set(refs, md->refs[i].name,
                          icetap_md_ref_to_json(&md->refs[i])))
        {
            goto failed;
        }
    }

    a = json_array();
    if (icetap_md_set(o, "snapshots", a) != 0) {
        goto failed;
    }

    for (i = 0; i < md->nsnapshots; i++) {
        e = icetap_md_snapshot_to_json(&md->snapshots[i], md->format_version);
        if (e == NULL || json_array_append_new(a, e) != 0) {
            goto failed;
        }
    }

    if (icetap_md_set(o, "statistics", md->statistics
                                       ? json_incref(md->statistics)
                                       : json_array())
        || icetap_md_set(o, "partition-statistics",
                         md->partition_statistics
                         ? json_incref(md->partition_statistics)
                         : json_array()))
    {
        goto failed;
    }

    a = json_array();
    if (icetap_md_set(o, "snapshot-log", a) != 0) {
        goto failed;
    }

    for (i = 0; i < md->nsnapshot_log; i++) {
        e = json_object();

        if (json_array_append_new(a, e) != 0
            || icetap_md_set(e, "timestamp-ms",
                             json_integer(md->snapshot_log[i].timestamp_ms))
            || icetap_md_set(e, "snapshot-id",
                             json_integer(md->snapshot_log[i].snapshot_id))
            || icetap_md_merge(e, md->snapshot_log[i].extra) != 0)
        {
            goto failed;
        }
    }

    a = json_array();
    if (icetap_md_set(o, "metadata-log", a) != 0) {
        goto failed;
    }

    for (i = 0; i < md->nmetadata_log; i++) {
        e = json_object();

        if (json_array_append_new(a, e) != 0
            || icetap_md_set(e, "timestamp-ms",
                             json_integer(md->metadata_log[i].timestamp_ms))
            || icetap_md_set(e, "metadata-file",
                             json_string(md->metadata_log[i].file))
            || icetap_md_merge(e, md->metadata_log[i].extra) != 0)
        {
            goto failed;
        }
    }

    if (icetap_md_merge(o, md->extra) != 0) {
        goto failed;
    }

    return o;

failed:

    json_decref(o);

    return NULL;
}


char *
icetap_metadata_serialize(const icetap_table_metadata_t *md, int pretty)
{
    char    *s, *copy;
    json_t  *j;

    j = icetap_metadata_to_json(md);
    if (j == NULL) {
        return NULL;
    }

    s = json_dumps(j, pretty ? JSON_INDENT(2) : JSON_COMPACT);
    json_decref(j);

    if (s == NULL) {
        return NULL;
    }

    copy = icetap_md_strdup(s);
    free(s);

    return copy;
}


icetap_table_metadata_t *
icetap_metadata_copy(const icetap_table_metadata_t *md)
{
    json_t                   *j;
    icetap_table_metadata_t  *c;

    j = icetap_metadata_to_json(md);
    if (j == NULL) {
        return NULL;
    }

    if (icetap_metadata_from_json(j, &c, NULL) != ICETAP_OK) {
        c = NULL;
    }

    json_decref(j);

    return c;
}


/* lookups */

icetap_schema_t *
icetap_metadata_schema(const icetap_table_metadata_t *md, int32_t schema_id)
{
    size_t  i;

    for (i = 0; i < md->nschemas; i++) {
        if (md->schemas[i]->schema_id == schema_id) {
            return md->schemas[i];
        }
    }

    return NULL;
}


icetap_schema_t *
icetap_metadata_current_schema(const icetap_table_metadata_t *md)
{
    return icetap_metadata_schema(md, md->current_schema_id);
}


icetap_partition_spec_t *
icetap_metadata_spec(const icetap_table_metadata_t *md, int32_t spec_id)
{
    size_t  i;

    for (i = 0; i < md->nspecs; i++) {
        if (md->specs[i].spec_id == spec_id) {
            return &md->specs[i];
        }
    }

    return NULL;
}


icetap_partition_spec_t *
icetap_metadata_default_spec(const icetap_table_metadata_t *md)
{
    return icetap_metadata_spec(md, md->default_spec_id);
}


icetap_snapshot_t *
icetap_metadata_snapshot(const icetap_table_metadata_t *md,
    int64_t snapshot_id)
{
    size_t  i;

    for (i = 0; i < md->nsnapshots; i++) {
        if (md->snapshots[i].snapshot_id == snapshot_id) {
            return &md->snapshots[i];
        }
    }

    return NULL;
}


icetap_snapshot_t *
icetap_metadata_current_snapshot(const icetap_table_metadata_t *md)
{
    if (md->current_snapshot_id == ICETAP_NO_SNAPSHOT) {
        return NULL;
    }

    return icetap_metadata_snapshot(md, md->current_snapshot_id);
}


icetap_ref_t *
icetap_metadata_ref(const icetap_table_metadata_t *md, const char *name)
{
    size_t  i;

    for (i = 0; i < md->nrefs; i++) {
        if (strcmp(md->refs[i].name, name) == 0) {
            return &md->refs[i];
        }
    }

    return NULL;
}
