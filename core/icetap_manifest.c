/*
 * Copyright (C) icetap authors
 *
 * Iceberg manifests: the manifest_entry Avro schema for v2/v3 (built from
 * the partition spec), the writer with its partition summaries, and the
 * reader.  Records are built and read by field name, so field order and
 * optional fields of other writers' schemas do not matter.
 */


#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <icetap/manifest.h>


struct icetap_manifest_writer_s {
    icetap_avro_writer_t       *avro;
    icetap_avro_arena_t        *arena;
    const icetap_avro_node_t   *root;
    int                         format_version;
    int                         content;
    int64_t                     snapshot_id;
    int32_t                     spec_id;

    icetap_type_t              *ptypes;
    size_t                      npart;
    icetap_buf_t               *lower;
    icetap_buf_t               *upper;
    icetap_field_summary_t     *summaries;

    int32_t                     files[3];       /* by status */
    int64_t                     rows[3];
    int64_t                     min_seq;
    int                         finished;
};


struct icetap_manifest_reader_s {
    icetap_avro_reader_t       *avro;
    icetap_avro_arena_t        *arena;
    const icetap_avro_node_t   *root;
    int                         format_version;
    int                         content;
    int32_t                    *pids;
    size_t                      npids;
};


/* schema generation */

static json_t *
icetap_mf_field(const char *name, json_t *type, int32_t id, int optional)
{
    json_t  *f;

    if (type == NULL) {
        return NULL;
    }

    if (optional) {
        f = json_pack("{s:s,s:[s,o],s:n,s:i}", "name", name, "type", "null",
                      type, "default", "field-id", (int) id);

    } else {
        f = json_pack("{s:s,s:o,s:i}", "name", name, "type", type,
                      "field-id", (int) id);
    }

    return f;
}


static json_t *
icetap_mf_metric_map(int32_t key_id, int32_t value_id, const char *value)
{
    char  name[32];

    snprintf(name, sizeof(name), "k%d_v%d", (int) key_id, (int) value_id);

    return json_pack("{s:s,s:s,s:{s:s,s:s,s:[{s:s,s:s,s:i},{s:s,s:s,s:i}]}}",
                     "type", "array", "logicalType", "map", "items",
                     "type", "record", "name", name, "fields",
                     "name", "key", "type", "int", "field-id", (int) key_id,
                     "name", "value", "type", value, "field-id",
                     (int) value_id);
}


static int
icetap_mf_decimal_bytes(int precision)
{
    int  n;

    /* the fewest bytes whose signed range holds 10^precision - 1 */

    for (n = 1; n < 17; n++) {
        if ((8.0 * n - 1) * log10(2.0) >= (double) precision) {
            return n;
        }
    }

    return 16;
}


/*
 * The Avro type of an Iceberg primitive.  Named types (fixed) are
 * emitted once and referenced by name afterwards.
 */

static json_t *
icetap_mf_avro_type(const icetap_type_t *t, json_t *named)
{
    char     name[48];
    json_t  *j;

    switch (t->id) {

    case ICETAP_TYPE_BOOLEAN:
        return json_string("boolean");
    case ICETAP_TYPE_INT:
        return json_string("int");
    case ICETAP_TYPE_LONG:
        return json_string("long");
    case ICETAP_TYPE_FLOAT:
        return json_string("float");
    case ICETAP_TYPE_DOUBLE:
        return json_string("double");
    case ICETAP_TYPE_STRING:
        return json_string("string");
    case ICETAP_TYPE_BINARY:
    case ICETAP_TYPE_GEOMETRY:
    case ICETAP_TYPE_GEOGRAPHY:
        return json_string("bytes");

    case ICETAP_TYPE_DATE:
        return json_pack("{s:s,s:s}", "type", "int", "logicalType", "date");

    case ICETAP_TYPE_TIME:
        return json_pack("{s:s,s:s}", "type", "long", "logicalType",
                         "time-micros");

    case ICETAP_TYPE_TIMESTAMP:
    case ICETAP_TYPE_TIMESTAMPTZ:
        return json_pack("{s:s,s:s,s:b}", "type", "long", "logicalType",
                         "timestamp-micros", "adjust-to-utc",
                         t->id == ICETAP_TYPE_TIMESTAMPTZ);

    case ICETAP_TYPE_TIMESTAMP_NS:
    case ICETAP_TYPE_TIMESTAMPTZ_NS:
        return json_pack("{s:s,s:s,s:b}", "type", "long", "logicalType",
                         "timestamp-nanos", "adjust-to-utc",
                         t->id == ICETAP_TYPE_TIMESTAMPTZ_NS);

    case ICETAP_TYPE_UUID:
        snprintf(name, sizeof(name), "uuid_fixed");
        if (json_object_get(named, name)) {
            return json_string(name);
        }

        j = json_pack("{s:s,s:s,s:i,s:s}", "type", "fixed", "name", name,
                      "size", 16, "logicalType", "uuid");
        break;

    case ICETAP_TYPE_FIXED:
        snprintf(name, sizeof(name), "fixed_%d", (int) t->length);
        if (json_object_get(named, name)) {
            return json_string(name);
        }

        j = json_pack("{s:s,s:s,s:i}", "type", "fixed", "name", name, "size",
                      (int) t->length);
        break;

    case ICETAP_TYPE_DECIMAL:
        snprintf(name, sizeof(name), "decimal_%d_%d", (int) t->precision,
                 (int) t->scale);
        if (json_object_get(named, name)) {
            return json_string(name);
        }

        j = json_pack("{s:s,s:s,s:i,s:s,s:i,s:i}", "type", "fixed", "name",
                      name, "size", icetap_mf_decimal_bytes(t->precision),
                      "logicalType", "decimal", "precision",
                      (int) t->precision, "scale", (int) t->scale);
        break;

    default:
        return NULL;
    }

    if (j && json_object_set_new(named, name, json_true()) != 0) {
        json_decref(j);
        return NULL;
    }

    return j;
}


icetap_rc
icetap_manifest_avro_schema(int format_version,
    const icetap_partition_spec_t *spec, const icetap_schema_t *schema,
    char **json, icetap_error_t *err)
{
    int             v3;
    char           *s;
    size_t          i;
    json_t         *root, *df, *fields, *pfields, *named, *t;
    icetap_rc       rc;
    icetap_type_t  *types;

    *json = NULL;
    v3 = format_version >= 3;

    types = icetap_calloc(icetap_max(spec->nfields, 1),
                          sizeof(icetap_type_t));
    if (types == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    rc = icetap_partition_spec_types(spec, schema, types, err);
    if (rc != ICETAP_OK) {
        icetap_free(types);
        return rc;
    }

    named = json_object();
    pfields = json_array();

    for (i = 0; i < spec->nfields; i++) {
        t = icetap_mf_avro_type(&types[i], named);

        if (json_array_append_new(pfields,
                                  icetap_mf_field(spec->fields[i].name, t,
                                                  spec->fields[i].field_id,
                                                  1)) != 0)
        {
            json_decref(named);
            json_decref(pfields);
            icetap_free(types);
            return icetap_error_set(err, ICETAP_UNSUPPORTED,
                                    "partition field \"%.64s\" has no Avro "
                                    "type", spec->fields[i].name);
        }
    }

    json_decref(named);
    icetap_free(types);

    fields = json_array();

    if (fields == NULL
        || json_array_append_new(fields,
               icetap_mf_field("content", json_string("int"), 134, 0))
        || json_array_append_new(fields,
               icetap_mf_field("file_path", json_string("string"), 100, 0))
        || json_array_append_new(fields,
               icetap_mf_field("file_format", json_string("string"), 101, 0))
        || json_array_append_new(fields,
               icetap_mf_field("partition",
                               json_pack("{s:s,s:s,s:o}", "type", "record",
                                         "name", "r102", "fields", pfields),
                               102, 0))
        || json_array_append_new(fields,
               icetap_mf_field("record_count", json_string("long"), 103, 0))
        || json_array_append_new(fields,
               icetap_mf_field("file_size_in_bytes", json_string("long"),
                               104, 0))
        || json_array_append_new(fields,
               icetap_mf_field("column_sizes",
                               icetap_mf_metric_map(117, 118, "long"),
                               108, 1))
        || json_array_append_new(fields,
               icetap_mf_field("value_counts",
                               icetap_mf_metric_map(119, 120, "long"),
                               109, 1))
        || json_array_append_new(fields,
               icetap_mf_field("null_value_counts",
                               icetap_mf_metric_map(121, 122, "long"),
                               110, 1))
        || json_array_append_new(fields,
               icetap_mf_field("nan_value_counts",
                               icetap_mf_metric_map(138, 139, "long"),
                               137, 1))
        || json_array_append_new(fields,
               icetap_mf_field("lower_bounds",
                               icetap_mf_metric_map(126, 127, "bytes"),
                               125, 1))
        || json_array_append_new(fields,
               icetap_mf_field("upper_bounds",
                               icetap_mf_metric_map(129, 130, "bytes"),
                               128, 1))
        || json_array_append_new(fields,
               icetap_mf_field("key_metadata", json_string("bytes"), 131, 1))
        || json_array_append_new(fields,
               icetap_mf_field("split_offsets",
                               json_pack("{s:s,s:s,s:i}", "type", "array",
                                         "items", "long", "element-id", 133),
                               132, 1))
        || json_array_append_new(fields,
               icetap_mf_field("equality_ids",
                               json_pack("{s:s,s:s,s:i}", "type", "array",
                                         "items", "int", "element-id", 136),
                               135, 1))
        || json_array_append_new(fields,
               icetap_mf_field("sort_order_id", json_string("int"), 140, 1))
        || (v3 && json_array_append_new(fields,
               icetap_mf_field("first_row_id", json_string("long"), 142, 1)))
        || json_array_append_new(fields,
               icetap_mf_field("referenced_data_file", json_string("string"),
                               143, 1))
        || (v3 && json_array_append_new(fields,
               icetap_mf_field("content_offset", json_string("long"), 144,
                               1)))
        || (v3 && json_array_append_new(fields,
               icetap_mf_field("content_size_in_bytes", json_string("long"),
                               145, 1))))
    {
        json_decref(fields);
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    df = json_pack("{s:s,s:s,s:o}", "type", "record", "name", "r2", "fields",
                   fields);

    root = json_pack("{s:s,s:s,s:[o,o,o,o,o]}", "type", "record", "name",
                     "manifest_entry", "fields",
                     icetap_mf_field("status", json_string("int"), 0, 0),
                     icetap_mf_field("snapshot_id", json_string("long"), 1,
                                     1),
                     icetap_mf_field("sequence_number", json_string("long"),
                                     3, 1),
                     icetap_mf_field("file_sequence_number",
                                     json_string("long"), 4, 1),
                     json_pack("{s:s,s:i,s:o}", "name", "data_file",
                               "field-id", 2, "type", df));
    if (root == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    s = json_dumps(root, JSON_COMPACT);
    json_decref(root);

    if (s == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    *json = icetap_strndup(s, strlen(s));
    free(s);

    if (*json == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    return ICETAP_OK;
}


/* writer */

static icetap_rc
icetap_mf_meta(icetap_avro_meta_t *m, const char *key, const char *value)
{
    m->key = key;
    m->value = value;
    m->len = value ? strlen(value) : 0;

    return value ? ICETAP_OK : ICETAP_NOMEM;
}


icetap_rc
icetap_manifest_writer_create(const icetap_manifest_writer_conf_t *conf,
    icetap_manifest_writer_t **out, icetap_error_t *err)
{
    char                       *avro_schema, *table_schema, *spec_json;
    char                        schema_id[16], spec_id[16], version[4];
    size_t                      i;
    json_t                     *j;
    icetap_rc                   rc;
    icetap_avro_meta_t          meta[6];
    icetap_manifest_writer_t   *w;
    icetap_avro_writer_conf_t   ac;

    *out = NULL;

    if (conf->format_version != 2 && conf->format_version != 3) {
        return icetap_error_set(err, ICETAP_UNSUPPORTED,
                                "manifests of format v%d are not supported",
                                conf->format_version);
    }

    if (conf->schema == NULL || conf->spec == NULL
        || (conf->content != ICETAP_MANIFEST_DATA
            && conf->content != ICETAP_MANIFEST_DELETES))
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "manifest writer needs a schema, a spec and "
                                "a content type");
    }

    w = icetap_calloc(1, sizeof(icetap_manifest_writer_t));
    if (w == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    w->format_version = conf->format_version;
    w->content = conf->content;
    w->snapshot_id = conf->snapshot_id;
    w->spec_id = conf->spec->spec_id;
    w->min_seq = ICETAP_UNSET;
    w->npart = conf->spec->nfields;

    w->arena = icetap_avro_arena_create(0);
    w->ptypes = icetap_calloc(icetap_max(w->npart, 1), sizeof(icetap_type_t));
    w->lower = icetap_calloc(icetap_max(w->npart, 1), sizeof(icetap_buf_t));
    w->upper = icetap_calloc(icetap_max(w->npart, 1), sizeof(icetap_buf_t));
    w->summaries = icetap_calloc(icetap_max(w->npart, 1),
                                 sizeof(icetap_field_summary_t));

    if (w->arena == NULL || w->ptypes == NULL || w->lower == NULL
        || w->upper == NULL || w->summaries == NULL)
    {
        icetap_manifest_writer_destroy(w);
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    rc = icetap_partition_spec_types(conf->spec, conf->schema, w->ptypes,
                                     err);
    if (rc != ICETAP_OK) {
        icetap_manifest_writer_destroy(w);
        return rc;
    }

    rc = icetap_manifest_avro_schema(conf->format_version, conf->spec,
                                     conf->schema, &avro_schema, err);
    if (rc != ICETAP_OK) {
        icetap_manifest_writer_destroy(w);
        return rc;
    }

    table_schema = icetap_schema_to_string(conf->schema);

    j = icetap_partition_spec_fields_to_json(conf->spec);
    spec_json = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);

    snprintf(schema_id, sizeof(schema_id), "%d",
             (int) conf->schema->schema_id);
    snprintf(spec_id, sizeof(spec_id), "%d", (int) conf->spec->spec_id);
    snprintf(version, sizeof(version), "%d", conf->format_version);

    rc = icetap_mf_meta(&meta[0], "schema", table_schema);
    rc |= icetap_mf_meta(&meta[1], "schema-id", schema_id);
    rc |= icetap_mf_meta(&meta[2], "partition-spec", spec_json);
    rc |= icetap_mf_meta(&meta[3], "partition-spec-id", spec_id);
    rc |= icetap_mf_meta(&meta[4], "format-version", version);
    rc |= icetap_mf_meta(&meta[5], "content",
                         conf->content == ICETAP_MANIFEST_DATA ? "data"
                                                               : "deletes");

    if (rc != ICETAP_OK) {
        rc = icetap_error_set(err, ICETAP_NOMEM, "out of memory");

    } else {
        memset(&ac, 0, sizeof(ac));
        ac.schema_json = avro_schema;
        ac.codec = conf->codec;
        ac.meta = meta;
        ac.nmeta = 6;
        ac.sync = conf->sync;
        ac.block_size = conf->block_size;
        ac.write = conf->write;
        ac.ctx = conf->ctx;

        rc = icetap_avro_writer_create(&ac, &w->avro, err);
    }

    icetap_free(avro_schema);
    icetap_free(table_schema);
    free(spec_json);

    if (rc != ICETAP_OK) {
        icetap_manifest_writer_destroy(w);
        return rc;
    }

    w->root = icetap_avro_writer_schema(w->avro);

    for (i = 0; i < w->npart; i++) {
        w->summaries[i].contains_nan = 0;
    }

    *out = w;

    return ICETAP_OK;
}


static void
icetap_mf_opt_long(icetap_avro_value_t *v, int64_t x)
{
    if (x == ICETAP_UNSET) {
        icetap_avro_set_null(v);

    } else {
        icetap_avro_set_long(v, x);
    }
}


static icetap_rc
icetap_mf_metrics(icetap_avro_arena_t *a, icetap_avro_value_t *v,
    const icetap_metric_t *m, const icetap_bound_t *b, size_t n)
{
    size_t                i;
    icetap_avro_value_t  *items, *kv;

    if (n == 0) {
        icetap_avro_set_null(v);
        return ICETAP_OK;
    }

    items = icetap_avro_set_array(a, v, n);
    if (items == NULL) {
        return ICETAP_NOMEM;
    }

    for (i = 0; i < n; i++) {
        kv = icetap_avro_set_record(a, &items[i], 2);
        if (kv == NULL) {
            return ICETAP_NOMEM;
        }

        if (m) {
            icetap_avro_set_int(&kv[0], m[i].key);
            icetap_avro_set_long(&kv[1], m[i].value);

        } else {
            icetap_avro_set_int(&kv[0], b[i].key);
            icetap_avro_set_bytes(&kv[1], ICETAP_AVRO_BYTES, b[i].data,
                                  b[i].len);
        }
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_mf_partition_value(icetap_avro_arena_t *a, const icetap_avro_node_t *n,
    const icetap_value_t *pv, icetap_avro_value_t *v, icetap_error_t *err)
{
    size_t                     pad;
    uint8_t                   *p;
    const icetap_avro_node_t  *t;

    t = icetap_avro_unwrap(n);

    if (pv->is_null) {
        icetap_avro_set_null(v);
        return ICETAP_OK;
    }

    switch (pv->type) {

    case ICETAP_TYPE_BOOLEAN:
        icetap_avro_set_boolean(v, pv->v.b);
        return ICETAP_OK;

    case ICETAP_TYPE_INT:
    case ICETAP_TYPE_DATE:
        icetap_avro_set_int(v, pv->v.i);
        return ICETAP_OK;

    case ICETAP_TYPE_LONG:
    case ICETAP_TYPE_TIME:
    case ICETAP_TYPE_TIMESTAMP:
    case ICETAP_TYPE_TIMESTAMPTZ:
    case ICETAP_TYPE_TIMESTAMP_NS:
    case ICETAP_TYPE_TIMESTAMPTZ_NS:
        icetap_avro_set_long(v, pv->v.l);
        return ICETAP_OK;

    case ICETAP_TYPE_FLOAT:
        icetap_avro_set_float(v, pv->v.f);
        return ICETAP_OK;

    case ICETAP_TYPE_DOUBLE:
        icetap_avro_set_double(v, pv->v.d);
        return ICETAP_OK;

    case ICETAP_TYPE_STRING:
        icetap_avro_set_bytes(v, ICETAP_AVRO_STRING, pv->v.bin.data,
                              pv->v.bin.len);
        return ICETAP_OK;

    case ICETAP_TYPE_BINARY:
    case ICETAP_TYPE_GEOMETRY:
    case ICETAP_TYPE_GEOGRAPHY:
        icetap_avro_set_bytes(v, ICETAP_AVRO_BYTES, pv->v.bin.data,
                              pv->v.bin.len);
        return ICETAP_OK;

    case ICETAP_TYPE_FIXED:
        icetap_avro_set_bytes(v, ICETAP_AVRO_FIXED, pv->v.bin.data,
                              pv->v.bin.len);
        return ICETAP_OK;

    case ICETAP_TYPE_UUID:
        icetap_avro_set_bytes(v, ICETAP_AVRO_FIXED, pv->v.uuid, 16);
        return ICETAP_OK;

    case ICETAP_TYPE_DECIMAL:
        /* fixed(N): the unscaled value sign-extended to N bytes */

        if (pv->v.dec.len < 1 || pv->v.dec.len > t->size) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "decimal partition value of %zu bytes "
                                    "does not fit fixed(%zu)",
                                    pv->v.dec.len, t->size);
        }

        p = icetap_avro_arena_alloc(a, t->size);
        if (p == NULL) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }

        pad = t->size - pv->v.dec.len;
        memset(p, (pv->v.dec.bytes[0] & 0x80) ? 0xff : 0x00, pad);
        memcpy(p + pad, pv->v.dec.bytes, pv->v.dec.len);

        icetap_avro_set_bytes(v, ICETAP_AVRO_FIXED, p, t->size);
        return ICETAP_OK;

    default:
        return icetap_error_set(err, ICETAP_UNSUPPORTED,
                                "partition values of type %d",
                                (int) pv->type);
    }
}


static icetap_rc
icetap_mf_check_entry(icetap_manifest_writer_t *w,
    const icetap_manifest_entry_t *e, icetap_error_t *err)
{
    size_t                     i;
    const icetap_data_file_t  *f;

    f = &e->file;

    if (e->status < ICETAP_STATUS_EXISTING
        || e->status > ICETAP_STATUS_DELETED)
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "manifest entry status %d", e->status);
    }

    if (f->file_path == NULL || f->file_format == NULL) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "data file without a path or format");
    }

    if ((w->content == ICETAP_MANIFEST_DATA)
        != (f->content == ICETAP_CONTENT_DATA)
        || f->content < 0 || f->content > ICETAP_CONTENT_EQ_DELETES)
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "file %.128s of content %d does not belong "
                                "in a %s manifest", f->file_path, f->content,
                                w->content ? "delete" : "data");
    }

    if (f->record_count < 0 || f->file_size_in_bytes < 0) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "file %.128s: negative counts", f->file_path);
    }

    if (e->status != ICETAP_STATUS_ADDED
        && (e->sequence_number == ICETAP_UNSET
            || e->file_sequence_number == ICETAP_UNSET
            || e->snapshot_id == ICETAP_UNSET))
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "existing/deleted entry %.128s needs its "
                                "snapshot id and sequence numbers",
                                f->file_path);
    }

    if (f->npartition != w->npart) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "file %.128s has %zu partition values, the "
                                "spec %zu", f->file_path, f->npartition,
                                w->npart);
    }

    for (i = 0; i < w->npart; i++) {
        if (!f->partition[i].is_null
            && f->partition[i].type != w->ptypes[i].id)
        {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "file %.128s: partition value %zu has "
                                    "type %d, the spec %d", f->file_path, i,
                                    (int) f->partition[i].type,
                                    (int) w->ptypes[i].id);
        }
    }

    if (w->format_version < 3
        && (f->first_row_id != ICETAP_UNSET
            || f->content_offset != ICETAP_UNSET
            || f->content_size_in_bytes != ICETAP_UNSET))
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "file %.128s: row ids and content offsets "
                                "need format v3", f->file_path);
    }

    if (w->format_version >= 3 && f->content == ICETAP_CONTENT_POS_DELETES
        && strcasecmp(f->file_format, "PUFFIN") == 0
        && (f->referenced_data_file == NULL
            || f->content_offset == ICETAP_UNSET
            || f->content_size_in_bytes == ICETAP_UNSET))
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "deletion vector %.128s needs "
                                "referenced_data_file, content_offset and "
                                "content_size_in_bytes", f->file_path);
    }

    return ICETAP_OK;
}


static void
icetap_mf_summarize(icetap_manifest_writer_t *w, const icetap_value_t *pv,
    size_t i)
{
    icetap_buf_t            b;
    icetap_value_t          cur;
    icetap_field_summary_t  *s;

    s = &w->summaries[i];

    if (pv->is_null) {
        s->contains_null = 1;
        return;
    }

    if ((pv->type == ICETAP_TYPE_FLOAT && isnan(pv->v.f))
        || (pv->type == ICETAP_TYPE_DOUBLE && isnan(pv->v.d)))
    {
        s->contains_nan = 1;
        return;
    }

    memset(&b, 0, sizeof(b));

    if (icetap_value_serialize(pv, &b, NULL) != ICETAP_OK) {
        icetap_buf_free(&b);
        return;
    }

    if (w->lower[i].data == NULL
        || (icetap_value_deserialize(pv->type, w->lower[i].data,
                                     w->lower[i].len, &cur, NULL)
            == ICETAP_OK && icetap_value_compare(pv, &cur) < 0))
    {
        icetap_buf_reset(&w->lower[i]);
        icetap_buf_append(&w->lower[i], b.data, b.len);
        icetap_buf_reserve(&w->lower[i], 1);
    }

    if (w->upper[i].data == NULL
        || (icetap_value_deserialize(pv->type, w->upper[i].data,
                                     w->upper[i].len, &cur, NULL)
            == ICETAP_OK && icetap_value_compare(pv, &cur) > 0))
    {
        icetap_buf_reset(&w->upper[i]);
        icetap_buf_append(&w->upper[i], b.data, b.len);
        icetap_buf_reserve(&w->upper[i], 1);
    }

    icetap_buf_free(&b);
}


static icetap_rc
icetap_mf_build_file(icetap_manifest_writer_t *w, const icetap_avro_node_t *n,
    const icetap_data_file_t *f, icetap_avro_value_t *v, icetap_error_t *err)
{
    size_t                      i, k;
    icetap_rc                   rc;
    const char                 *name;
    icetap_avro_arena_t        *a;
    icetap_avro_value_t        *fv, *pv, *items;
    const icetap_avro_node_t   *pn;

    a = w->arena;

    fv = icetap_avro_set_record(a, v, n->nfields);
    if (fv == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    rc = ICETAP_OK;

    for (i = 0; i < n->nfields && rc == ICETAP_OK; i++) {
        name = n->fields[i].name;

        if (strcmp(name, "content") == 0) {
            icetap_avro_set_int(&fv[i], f->content);

        } else if (strcmp(name, "file_path") == 0) {
            icetap_avro_set_string(&fv[i], f->file_path);

        } else if (strcmp(name, "file_format") == 0) {
            icetap_avro_set_string(&fv[i], f->file_format);

        } else if (strcmp(name, "partition") == 0) {
            pn = n->fields[i].type;
            pv = icetap_avro_set_record(a, &fv[i], pn->nfields);
            if (pv == NULL) {
                rc = ICETAP_NOMEM;
                break;
            }

            for (k = 0; k < pn->nfields && rc == ICETAP_OK; k++) {
                rc = icetap_mf_partition_value(a, pn->fields[k].type,
                                               &f->partition[k], &pv[k], err);
            }

            if (rc != ICETAP_OK) {
                return rc;
            }

        } else if (strcmp(name, "record_count") == 0) {
            icetap_avro_set_long(&fv[i], f->record_count);

        } else if (strcmp(name, "file_size_in_bytes") == 0) {
            icetap_avro_set_long(&fv[i], f->file_size_in_bytes);

        } else if (strcmp(name, "column_sizes") == 0) {
            rc = icetap_mf_metrics(a, &fv[i], f->column_sizes, NULL,
                                   f->ncolumn_sizes);

        } else if (strcmp(name, "value_counts") == 0) {
            rc = icetap_mf_metrics(a, &fv[i], f->value_counts, NULL,
                                   f->nvalue_counts);

        } else if (strcmp(name, "null_value_counts") == 0) {
            rc = icetap_mf_metrics(a, &fv[i], f->null_value_counts, NULL,
                                   f->nnull_value_counts);

        } else if (strcmp(name, "nan_value_counts") == 0) {
            rc = icetap_mf_metrics(a, &fv[i], f->nan_value_counts, NULL,
                                   f->nnan_value_counts);

        } else if (strcmp(name, "lower_bounds") == 0) {
            rc = icetap_mf_metrics(a, &fv[i], NULL, f->lower_bounds,
                                   f->nlower_bounds);

        } else if (strcmp(name, "upper_bounds") == 0) {
            rc = icetap_mf_metrics(a, &fv[i], NULL, f->upper_bounds,
                                   f->nupper_bounds);

        } else if (strcmp(name, "key_metadata") == 0) {
            if (f->key_metadata) {
                icetap_avro_set_bytes(&fv[i], ICETAP_AVRO_BYTES,
                                      f->key_metadata, f->key_metadata_len);

            } else {
                icetap_avro_set_null(&fv[i]);
            }

        } else if (strcmp(name, "split_offsets") == 0) {
            if (f->split_offsets == NULL) {
                icetap_avro_set_null(&fv[i]);
                continue;
            }

            items = icetap_avro_set_array(a, &fv[i], f->nsplit_offsets);
            if (items == NULL) {
                rc = ICETAP_NOMEM;
                break;
            }

            for (k = 0; k < f->nsplit_offsets; k++) {
                icetap_avro_set_long(&items[k], f->split_offsets[k]);
            }

        } else if (strcmp(name, "equality_ids") == 0) {
            if (f->equality_ids == NULL) {
                icetap_avro_set_null(&fv[i]);
                continue;
            }

            items = icetap_avro_set_array(a, &fv[i], f->nequality_ids);
            if (items == NULL) {
                rc = ICETAP_NOMEM;
                break;
            }

            for (k = 0; k < f->nequality_ids; k++) {
                icetap_avro_set_int(&items[k], f->equality_ids[k]);
            }

        } else if (strcmp(name, "sort_order_id") == 0) {
            if (f->sort_order_id == ICETAP_UNSET) {
                icetap_avro_set_null(&fv[i]);

            } else {
                icetap_avro_set_int(&fv[i], (int32_t) f->sort_order_id);
            }

        } else if (strcmp(name, "first_row_id") == 0) {
            icetap_mf_opt_long(&fv[i], f->first_row_id);

        } else if (strcmp(name, "referenced_data_file") == 0) {
            if (f->referenced_data_file) {
                icetap_avro_set_string(&fv[i], f->referenced_data_file);

            } else {
                icetap_avro_set_null(&fv[i]);
            }

        } else if (strcmp(name, "content_offset") == 0) {
            icetap_mf_opt_long(&fv[i], f->content_offset);

        } else if (strcmp(name, "content_size_in_bytes") == 0) {
            icetap_mf_opt_long(&fv[i], f->content_size_in_bytes);

        } else {
            icetap_avro_set_null(&fv[i]);
        }
    }

    if (rc != ICETAP_OK) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    return ICETAP_OK;
}


icetap_rc
icetap_manifest_writer_add(icetap_manifest_writer_t *w,
    const icetap_manifest_entry_t *e, icetap_error_t *err)
{
    size_t                     i;
    int64_t                    sid;
    icetap_rc                  rc;
    const char                *name;
    icetap_avro_value_t        v, *fv;
    const icetap_avro_node_t  *n;

    if (w->finished) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "manifest writer already finished");
    }

    rc = icetap_mf_check_entry(w, e, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    icetap_avro_arena_reset(w->arena);

    n = w->root;
    fv = icetap_avro_set_record(w->arena, &v, n->nfields);
    if (fv == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    sid = e->snapshot_id;
    if (sid == ICETAP_UNSET && e->status == ICETAP_STATUS_ADDED
        && w->snapshot_id > 0)
    {
        sid = w->snapshot_id;
    }

    for (i = 0; i < n->nfields; i++) {
        name = n->fields[i].name;

        if (strcmp(name, "status") == 0) {
            icetap_avro_set_int(&fv[i], e->status);

        } else if (strcmp(name, "snapshot_id") == 0) {
            icetap_mf_opt_long(&fv[i], sid);

        } else if (strcmp(name, "sequence_number") == 0) {
            icetap_mf_opt_long(&fv[i], e->sequence_number);

        } else if (strcmp(name, "file_sequence_number") == 0) {
            icetap_mf_opt_long(&fv[i], e->file_sequence_number);

        } else {
            rc = icetap_mf_build_file(w, n->fields[i].type, &e->file, &fv[i],
                                      err);
            if (rc != ICETAP_OK) {
                return rc;
            }
        }
    }

    rc = icetap_avro_writer_append(w->avro, &v, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    w->files[e->status]++;
    w->rows[e->status] += e->file.record_count;

    if (e->status != ICETAP_STATUS_DELETED
        && e->sequence_number != ICETAP_UNSET
        && (w->min_seq == ICETAP_UNSET || e->sequence_number < w->min_seq))
    {
        w->min_seq = e->sequence_number;
    }

    for (i = 0; i < w->npart; i++) {
        icetap_mf_summarize(w, &e->file.partition[i], i);
    }

    return ICETAP_OK;
}


icetap_rc
icetap_manifest_writer_finish(icetap_manifest_writer_t *w, const char *path,
    icetap_manifest_file_t *mf, icetap_error_t *err)
{
    size_t     i;
    icetap_rc  rc;

    rc = icetap_avro_writer_finish(w->avro, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    w->finished = 1;

    memset(mf, 0, sizeof(icetap_manifest_file_t));

    for (i = 0; i < w->npart; i++) {
        w->summaries[i].lower = w->lower[i].data;
        w->summaries[i].lower_len = w->lower[i].len;
        w->summaries[i].upper = w->upper[i].data;
        w->summaries[i].upper_len = w->upper[i].len;
    }

    mf->manifest_path = path;
    mf->manifest_length = (int64_t) icetap_avro_writer_offset(w->avro);
    mf->partition_spec_id = w->spec_id;
    mf->content = w->content;
    mf->sequence_number = ICETAP_UNSET;
    mf->min_sequence_number = w->min_seq;
    mf->added_snapshot_id = w->snapshot_id;
    mf->added_files_count = w->files[ICETAP_STATUS_ADDED];
    mf->existing_files_count = w->files[ICETAP_STATUS_EXISTING];
    mf->deleted_files_count = w->files[ICETAP_STATUS_DELETED];
    mf->added_rows_count = w->rows[ICETAP_STATUS_ADDED];
    mf->existing_rows_count = w->rows[ICETAP_STATUS_EXISTING];
    mf->deleted_rows_count = w->rows[ICETAP_STATUS_DELETED];
    mf->partitions = w->summaries;
    mf->npartitions = w->npart;
    mf->first_row_id = ICETAP_UNSET;

    return ICETAP_OK;
}


void
icetap_manifest_writer_destroy(icetap_manifest_writer_t *w)
{
    size_t  i;

    if (w == NULL) {
        return;
    }

    for (i = 0; w->lower && w->upper && i < w->npart; i++) {
        icetap_buf_free(&w->lower[i]);
        icetap_buf_free(&w->upper[i]);
    }

    icetap_avro_writer_destroy(w->avro);
    icetap_avro_arena_destroy(w->arena);
    icetap_free(w->ptypes);
    icetap_free(w->lower);
    icetap_free(w->upper);
    icetap_free(w->summaries);
    icetap_free(w);
}


/* reader */

static const icetap_avro_value_t *
icetap_mf_opt(const icetap_avro_value_t *v)
{
    if (v->type == ICETAP_AVRO_UNION) {
        v = v->v.u.value;
    }

    return v->type == ICETAP_AVRO_NULL ? NULL : v;
}


static int64_t
icetap_mf_get_long(const icetap_avro_value_t *v)
{
    v = icetap_mf_opt(v);

    if (v == NULL) {
        return ICETAP_UNSET;
    }

    return v->type == ICETAP_AVRO_INT ? v->v.i
           : v->type == ICETAP_AVRO_LONG ? v->v.l : ICETAP_UNSET;
}


static icetap_rc
icetap_mf_bad(icetap_error_t *err, const char *what)
{
    return icetap_error_set(err, ICETAP_INVALID,
                            "manifest entry: bad or missing %s", what);
}


static icetap_rc
icetap_mf_read_metrics(icetap_avro_arena_t *a, const icetap_avro_value_t *v,
    int bounds, const void **out, size_t *n, icetap_error_t *err)
{
    size_t                      i;
    icetap_bound_t             *b;
    icetap_metric_t            *m;
    const icetap_avro_value_t  *kv;

    *out = NULL;
    *n = 0;

    v = icetap_mf_opt(v);
    if (v == NULL) {
        return ICETAP_OK;
    }

    if (v->type != ICETAP_AVRO_ARRAY) {
        return icetap_mf_bad(err, "metrics map");
    }

    m = NULL;
    b = NULL;

    if (bounds) {
        b = icetap_avro_arena_alloc(a, (v->v.list.n + 1)
                                       * sizeof(icetap_bound_t));
    } else {
        m = icetap_avro_arena_alloc(a, (v->v.list.n + 1)
                                       * sizeof(icetap_metric_t));
    }

    if (b == NULL && m == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    for (i = 0; i < v->v.list.n; i++) {
        kv = &v->v.list.items[i];

        if (kv->type != ICETAP_AVRO_RECORD || kv->v.list.n != 2
            || kv->v.list.items[0].type != ICETAP_AVRO_INT)
        {
            return icetap_mf_bad(err, "metrics map entry");
        }

        if (bounds) {
            if (kv->v.list.items[1].type != ICETAP_AVRO_BYTES) {
                return icetap_mf_bad(err, "bound");
            }

            b[i].key = kv->v.list.items[0].v.i;
            b[i].data = kv->v.list.items[1].v.bytes.data;
            b[i].len = kv->v.list.items[1].v.bytes.len;

        } else {
            if (kv->v.list.items[1].type != ICETAP_AVRO_LONG) {
                return icetap_mf_bad(err, "metric");
            }

            m[i].key = kv->v.list.items[0].v.i;
            m[i].value = kv->v.list.items[1].v.l;
        }
    }

    *out = bounds ? (const void *) b : (const void *) m;
    *n = v->v.list.n;

    return ICETAP_OK;
}


static void
icetap_mf_decimal_minimal(icetap_value_t *pv, const uint8_t *p, size_t len)
{
    while (len > 1
           && ((p[0] == 0x00 && !(p[1] & 0x80))
               || (p[0] == 0xff && (p[1] & 0x80))))
    {
        p++;
        len--;
    }

    pv->v.dec.len = len;
    memcpy(pv->v.dec.bytes, p, len);
}


static icetap_rc
icetap_mf_read_partition(const icetap_avro_node_t *n,
    const icetap_avro_value_t *v, icetap_value_t *pv, icetap_error_t *err)
{
    const char                 *lt;
    const icetap_avro_node_t   *t;

    memset(pv, 0, sizeof(icetap_value_t));

    t = n;
    if (n->type == ICETAP_AVRO_UNION) {
        t = n->branches[v->v.u.branch];
        v = v->v.u.value;
    }

    lt = t->logical_type ? t->logical_type : "";

    switch (t->type) {

    case ICETAP_AVRO_NULL:
        pv->is_null = 1;
        pv->type = ICETAP_TYPE_UNKNOWN;
        return ICETAP_OK;

    case ICETAP_AVRO_BOOLEAN:
        pv->type = ICETAP_TYPE_BOOLEAN;
        pv->v.b = v->v.b;
        return ICETAP_OK;

    case ICETAP_AVRO_INT:
        pv->type = strcmp(lt, "date") == 0 ? ICETAP_TYPE_DATE
                                           : ICETAP_TYPE_INT;
        pv->v.i = v->v.i;
        return ICETAP_OK;

    case ICETAP_AVRO_LONG:
        if (strcmp(lt, "time-micros") == 0) {
            pv->type = ICETAP_TYPE_TIME;

        } else if (strcmp(lt, "timestamp-micros") == 0) {
            pv->type = t->adjust_to_utc == 0 ? ICETAP_TYPE_TIMESTAMP
                                             : ICETAP_TYPE_TIMESTAMPTZ;

        } else if (strcmp(lt, "timestamp-nanos") == 0) {
            pv->type = t->adjust_to_utc == 0 ? ICETAP_TYPE_TIMESTAMP_NS
                                             : ICETAP_TYPE_TIMESTAMPTZ_NS;

        } else {
            pv->type = ICETAP_TYPE_LONG;
        }

        pv->v.l = v->v.l;
        return ICETAP_OK;

    case ICETAP_AVRO_FLOAT:
        pv->type = ICETAP_TYPE_FLOAT;
        pv->v.f = v->v.f;
        return ICETAP_OK;

    case ICETAP_AVRO_DOUBLE:
        pv->type = ICETAP_TYPE_DOUBLE;
        pv->v.d = v->v.d;
        return ICETAP_OK;

    case ICETAP_AVRO_STRING:
    case ICETAP_AVRO_BYTES:
        pv->type = t->type == ICETAP_AVRO_STRING ? ICETAP_TYPE_STRING
                                                 : ICETAP_TYPE_BINARY;
        pv->v.bin.data = v->v.bytes.data;
        pv->v.bin.len = v->v.bytes.len;
        return ICETAP_OK;

    case ICETAP_AVRO_FIXED:
        if (strcmp(lt, "uuid") == 0 && v->v.bytes.len == 16) {
            pv->type = ICETAP_TYPE_UUID;
            memcpy(pv->v.uuid, v->v.bytes.data, 16);
            return ICETAP_OK;
        }

        if (strcmp(lt, "decimal") == 0) {
            if (v->v.bytes.len < 1 || v->v.bytes.len > 16) {
                return icetap_mf_bad(err, "decimal partition value");
            }

            pv->type = ICETAP_TYPE_DECIMAL;
            icetap_mf_decimal_minimal(pv, v->v.bytes.data, v->v.bytes.len);
            return ICETAP_OK;
        }

        pv->type = ICETAP_TYPE_FIXED;
        pv->v.bin.data = v->v.bytes.data;
        pv->v.bin.len = v->v.bytes.len;
        return ICETAP_OK;

    default:
        return icetap_mf_bad(err, "partition value type");
    }
}


static icetap_rc
icetap_mf_read_array(icetap_avro_arena_t *a, const icetap_avro_value_t *v,
    int is_long, const void **out, size_t *n, icetap_error_t *err)
{
    size_t    i;
    int32_t  *i32;
    int64_t  *i64;

    *out = NULL;
    *n = 0;

    v = icetap_mf_opt(v);
    if (v == NULL) {
        return ICETAP_OK;
    }

    if (v->type != ICETAP_AVRO_ARRAY) {
        return icetap_mf_bad(err, "array");
    }

    i64 = NULL;
    i32 = NULL;

    if (is_long) {
        i64 = icetap_avro_arena_alloc(a, (v->v.list.n + 1) * 8);
    } else {
        i32 = icetap_avro_arena_alloc(a, (v->v.list.n + 1) * 4);
    }

    if (i64 == NULL && i32 == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    for (i = 0; i < v->v.list.n; i++) {
        if (is_long && v->v.list.items[i].type == ICETAP_AVRO_LONG) {
            i64[i] = v->v.list.items[i].v.l;

        } else if (!is_long && v->v.list.items[i].type == ICETAP_AVRO_INT) {
            i32[i] = v->v.list.items[i].v.i;

        } else {
            return icetap_mf_bad(err, "array item");
        }
    }

    *out = is_long ? (const void *) i64 : (const void *) i32;
    *n = v->v.list.n;

    return ICETAP_OK;
}


static icetap_rc
icetap_mf_read_file(icetap_manifest_reader_t *r, const icetap_avro_node_t *n,
    const icetap_avro_value_t *v, icetap_data_file_t *f, icetap_error_t *err)
{
    size_t                      i, k;
    icetap_rc                   rc;
    const char                 *name;
    const void                 *p;
    icetap_value_t             *pv;
    const icetap_avro_node_t   *pn;
    const icetap_avro_value_t  *fv, *x;

    memset(f, 0, sizeof(icetap_data_file_t));
    f->content = -1;
    f->record_count = -1;
    f->file_size_in_bytes = -1;
    f->sort_order_id = ICETAP_UNSET;
    f->first_row_id = ICETAP_UNSET;
    f->content_offset = ICETAP_UNSET;
    f->content_size_in_bytes = ICETAP_UNSET;

    if (n->type != ICETAP_AVRO_RECORD || v->type != ICETAP_AVRO_RECORD) {
        return icetap_mf_bad(err, "data_file");
    }

    for (i = 0; i < n->nfields; i++) {
        name = n->fields[i].name;
        fv = &v->v.list.items[i];
        x = icetap_mf_opt(fv);
        rc = ICETAP_OK;

        if (strcmp(name, "content") == 0) {
            f->content = (int) icetap_mf_get_long(fv);

        } else if (strcmp(name, "file_path") == 0) {
            if (x == NULL || x->type != ICETAP_AVRO_STRING) {
                return icetap_mf_bad(err, "file_path");
            }

            f->file_path = (const char *) x->v.bytes.data;

        } else if (strcmp(name, "file_format") == 0) {
            if (x == NULL || x->type != ICETAP_AVRO_STRING) {
                return icetap_mf_bad(err, "file_format");
            }

            f->file_format = (const char *) x->v.bytes.data;

        } else if (strcmp(name, "partition") == 0) {
            pn = n->fields[i].type;

            if (pn->type != ICETAP_AVRO_RECORD) {
                return icetap_mf_bad(err, "partition");
            }

            pv = icetap_avro_arena_alloc(r->arena, (pn->nfields + 1)
                                                   * sizeof(icetap_value_t));
            if (pv == NULL) {
                return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
            }

            for (k = 0; k < pn->nfields; k++) {
                rc = icetap_mf_read_partition(pn->fields[k].type,
                                              &fv->v.list.items[k], &pv[k],
                                              err);
                if (rc != ICETAP_OK) {
                    return rc;
                }
            }

            f->partition = pv;
            f->npartition = pn->nfields;

        } else if (strcmp(name, "record_count") == 0) {
            f->record_count = icetap_mf_get_long(fv);

        } else if (strcmp(name, "file_size_in_bytes") == 0) {
            f->file_size_in_bytes = icetap_mf_get_long(fv);

        } else if (strcmp(name, "column_sizes") == 0) {
            rc = icetap_mf_read_metrics(r->arena, fv, 0, &p,
                                        &f->ncolumn_sizes, err);
            f->column_sizes = p;

        } else if (strcmp(name, "value_counts") == 0) {
            rc = icetap_mf_read_metrics(r->arena, fv, 0, &p,
                                        &f->nvalue_counts, err);
            f->value_counts = p;

        } else if (strcmp(name, "null_value_counts") == 0) {
            rc = icetap_mf_read_metrics(r->arena, fv, 0, &p,
                                        &f->nnull_value_counts, err);
            f->null_value_counts = p;

        } else if (strcmp(name, "nan_value_counts") == 0) {
            rc = icetap_mf_read_metrics(r->arena, fv, 0, &p,
                                        &f->nnan_value_counts, err);
            f->nan_value_counts = p;

        } else if (strcmp(name, "lower_bounds") == 0) {
            rc = icetap_mf_read_metrics(r->arena, fv, 1, &p,
                                        &f->nlower_bounds, err);
            f->lower_bounds = p;

        } else if (strcmp(name, "upper_bounds") == 0) {
            rc = icetap_mf_read_metrics(r->arena, fv, 1, &p,
                                        &f->nupper_bounds, err);
            f->upper_bounds = p;

        } else if (strcmp(name, "key_metadata") == 0) {
            if (x && x->type == ICETAP_AVRO_BYTES) {
                f->key_metadata = x->v.bytes.data;
                f->key_metadata_len = x->v.bytes.len;
            }

        } else if (strcmp(name, "split_offsets") == 0) {
            rc = icetap_mf_read_array(r->arena, fv, 1, &p,
                                      &f->nsplit_offsets, err);
            f->split_offsets = p;

        } else if (strcmp(name, "equality_ids") == 0) {
            rc = icetap_mf_read_array(r->arena, fv, 0, &p,
                                      &f->nequality_ids, err);
            f->equality_ids = p;

        } else if (strcmp(name, "sort_order_id") == 0) {
            f->sort_order_id = icetap_mf_get_long(fv);

        } else if (strcmp(name, "first_row_id") == 0) {
            f->first_row_id = icetap_mf_get_long(fv);

        } else if (strcmp(name, "referenced_data_file") == 0) {
            if (x && x->type == ICETAP_AVRO_STRING) {
                f->referenced_data_file = (const char *) x->v.bytes.data;
            }

        } else if (strcmp(name, "content_offset") == 0) {
            f->content_offset = icetap_mf_get_long(fv);

        } else if (strcmp(name, "content_size_in_bytes") == 0) {
            f->content_size_in_bytes = icetap_mf_get_long(fv);
        }

        if (rc != ICETAP_OK) {
            return rc;
        }
    }

    if (f->file_path == NULL || f->file_format == NULL
        || f->record_count == ICETAP_UNSET || f->record_count < 0
        || f->file_size_in_bytes == ICETAP_UNSET
        || f->file_size_in_bytes < 0)
    {
        return icetap_mf_bad(err, "data_file path, format or counts");
    }

    /* v1-style manifests have no content field: data */

    if (f->content == -1) {
        f->content = ICETAP_CONTENT_DATA;
    }

    if (f->content < 0 || f->content > ICETAP_CONTENT_EQ_DELETES) {
        return icetap_mf_bad(err, "data_file content");
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_mf_reader_init(icetap_manifest_reader_t *r,
    icetap_manifest_reader_t **out, icetap_error_t *err)
{
    size_t                      i;
    const char                 *s;
    const icetap_avro_field_t  *df, *pf;

    r->root = icetap_avro_reader_schema(r->avro);

    df = icetap_avro_field(r->root, "data_file");

    if (r->root->type != ICETAP_AVRO_RECORD
        || icetap_avro_field(r->root, "status") == NULL || df == NULL
        || df->type->type != ICETAP_AVRO_RECORD)
    {
        icetap_manifest_reader_destroy(r);
        return icetap_error_set(err, ICETAP_INVALID,
                                "not an Iceberg manifest: no manifest_entry "
                                "record with status and data_file");
    }

    pf = icetap_avro_field(df->type, "partition");

    if (pf != NULL && pf->type->type == ICETAP_AVRO_RECORD) {
        r->npids = pf->type->nfields;
        r->pids = icetap_calloc(r->npids + 1, sizeof(int32_t));
        if (r->pids == NULL) {
            icetap_manifest_reader_destroy(r);
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }

        for (i = 0; i < r->npids; i++) {
            r->pids[i] = pf->type->fields[i].field_id;
        }
    }

    s = icetap_avro_reader_meta(r->avro, "format-version", NULL);
    r->format_version = s ? atoi(s) : 1;

    s = icetap_avro_reader_meta(r->avro, "content", NULL);
    r->content = (s && strcmp(s, "deletes") == 0) ? ICETAP_MANIFEST_DELETES
                                                  : ICETAP_MANIFEST_DATA;

    *out = r;

    return ICETAP_OK;
}


static icetap_manifest_reader_t *
icetap_mf_reader_new(icetap_error_t *err)
{
    icetap_manifest_reader_t  *r;

    r = icetap_calloc(1, sizeof(icetap_manifest_reader_t));
    if (r == NULL) {
        icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        return NULL;
    }

    r->arena = icetap_avro_arena_create(0);
    if (r->arena == NULL) {
        icetap_free(r);
        icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        return NULL;
    }

    return r;
}


icetap_rc
icetap_manifest_reader_create(icetap_avro_read_pt read, void *ctx,
    icetap_manifest_reader_t **out, icetap_error_t *err)
{
    icetap_rc                  rc;
    icetap_manifest_reader_t  *r;

    *out = NULL;

    r = icetap_mf_reader_new(err);
    if (r == NULL) {
        return ICETAP_NOMEM;
    }

    rc = icetap_avro_reader_create(read, ctx, &r->avro, err);
    if (rc != ICETAP_OK) {
        icetap_manifest_reader_destroy(r);
        return rc;
    }

    return icetap_mf_reader_init(r, out, err);
}


icetap_rc
icetap_manifest_reader_create_mem(const void *data, size_t len,
    icetap_manifest_reader_t **out, icetap_error_t *err)
{
    icetap_rc                  rc;
    icetap_manifest_reader_t  *r;

    *out = NULL;

    r = icetap_mf_reader_new(err);
    if (r == NULL) {
        return ICETAP_NOMEM;
    }

    rc = icetap_avro_reader_create_mem(data, len, &r->avro, err);
    if (rc != ICETAP_OK) {
        icetap_manifest_reader_destroy(r);
        return rc;
    }

    return icetap_mf_reader_init(r, out, err);
}


const char *
icetap_manifest_reader_meta(const icetap_manifest_reader_t *r,
    const char *key)
{
    return icetap_avro_reader_meta(r->avro, key, NULL);
}


int
icetap_manifest_reader_format_version(const icetap_manifest_reader_t *r)
{
    return r->format_version;
}


int
icetap_manifest_reader_content(const icetap_manifest_reader_t *r)
{
    return r->content;
}


size_t
icetap_manifest_reader_partition_ids(const icetap_manifest_reader_t *r,
    const int32_t **ids)
{
    *ids = r->pids;

    return r->npids;
}


icetap_rc
icetap_manifest_reader_next(icetap_manifest_reader_t *r,
    icetap_manifest_entry_t *e, icetap_error_t *err)
{
    size_t                     i;
    icetap_rc                  rc;
    const char                *name;
    icetap_avro_value_t        v;
    const icetap_avro_value_t *fv;

    icetap_avro_arena_reset(r->arena);

    rc = icetap_avro_reader_next(r->avro, r->arena, &v, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    memset(e, 0, sizeof(icetap_manifest_entry_t));
    e->status = -1;
    e->snapshot_id = ICETAP_UNSET;
    e->sequence_number = ICETAP_UNSET;
    e->file_sequence_number = ICETAP_UNSET;
    rc = ICETAP_INVALID;

    for (i = 0; i < r->root->nfields; i++) {
        name = r->root->fields[i].name;
        fv = &v.v.list.items[i];

        if (strcmp(name, "status") == 0) {
            e->status = (int) icetap_mf_get_long(fv);

        } else if (strcmp(name, "snapshot_id") == 0) {
            e->snapshot_id = icetap_mf_get_long(fv);

        } else if (strcmp(name, "sequence_number") == 0) {
            e->sequence_number = icetap_mf_get_long(fv);

        } else if (strcmp(name, "file_sequence_number") == 0) {
            e->file_sequence_number = icetap_mf_get_long(fv);

        } else if (strcmp(name, "data_file") == 0) {
            rc = icetap_mf_read_file(r, r->root->fields[i].type, fv, &e->file,
                                     err);
            if (rc != ICETAP_OK) {
                return rc;
            }
        }
    }

    if (rc != ICETAP_OK) {
        return icetap_mf_bad(err, "data_file");
    }

    if (e->status < ICETAP_STATUS_EXISTING
        || e->status > ICETAP_STATUS_DELETED)
    {
        return icetap_mf_bad(err, "status");
    }

    return ICETAP_OK;
}


void
icetap_manifest_reader_destroy(icetap_manifest_reader_t *r)
{
    if (r == NULL) {
        return;
    }

    icetap_avro_reader_destroy(r->avro);
    icetap_avro_arena_destroy(r->arena);
    icetap_free(r->pids);
    icetap_free(r);
}
