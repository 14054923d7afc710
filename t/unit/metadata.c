/*
 * Copyright (C) icetap authors
 *
 * Table metadata: round trips of the spec's examples (v2 and v3) and of
 * unknown keys, validation errors, commits with sequence numbers and row
 * lineage, refs, schema and partition spec evolution, snapshot expiry.
 */


#include <stdlib.h>

#include <icetap/metadata.h>

#include "tap.h"


/* spec section 1.4, verbatim */

static const char  *spec_v3 =
    "{\n"
    "  \"format-version\": 3,\n"
    "  \"table-uuid\": \"5c1f0a2e-8a53-4c36-9d1e-0b6f6f1b2a77\",\n"
    "  \"location\": \"s3://bkt/wh/db/journal\",\n"
    "  \"last-sequence-number\": 1,\n"
    "  \"last-updated-ms\": 1731000000123,\n"
    "  \"last-column-id\": 7,\n"
    "  \"current-schema-id\": 0,\n"
    "  \"schemas\": [{\"type\": \"struct\", \"schema-id\": 0, \"fields\": [\n"
    "    {\"id\": 1, \"name\": \"bucket\", \"required\": true, "
    "\"type\": \"string\"},\n"
    "    {\"id\": 2, \"name\": \"key\", \"required\": true, "
    "\"type\": \"string\"},\n"
    "    {\"id\": 3, \"name\": \"size\", \"required\": false, "
    "\"type\": \"long\"},\n"
    "    {\"id\": 4, \"name\": \"record_timestamp\", \"required\": true, "
    "\"type\": \"timestamp\"},\n"
    "    {\"id\": 5, \"name\": \"user_metadata\", \"required\": false,\n"
    "     \"type\": {\"type\": \"map\", \"key-id\": 6, \"key\": \"string\", "
    "\"value-id\": 7, \"value\": \"string\", \"value-required\": false}}\n"
    "  ]}],\n"
    "  \"default-spec-id\": 0,\n"
    "  \"partition-specs\": [{\"spec-id\": 0, \"fields\": [\n"
    "    {\"name\": \"record_timestamp_day\", \"transform\": \"day\", "
    "\"source-id\": 4, \"field-id\": 1000}]}],\n"
    "  \"last-partition-id\": 1000,\n"
    "  \"default-sort-order-id\": 0,\n"
    "  \"sort-orders\": [{\"order-id\": 0, \"fields\": []}],\n"
    "  \"properties\": {\"write.format.default\": \"parquet\"},\n"
    "  \"current-snapshot-id\": 3051729675574597004,\n"
    "  \"next-row-id\": 3,\n"
    "  \"refs\": {\"main\": {\"snapshot-id\": 3051729675574597004, "
    "\"type\": \"branch\"}},\n"
    "  \"snapshots\": [{\n"
    "    \"sequence-number\": 1, \"snapshot-id\": 3051729675574597004, "
    "\"timestamp-ms\": 1731000000123,\n"
    "    \"summary\": {\"operation\": \"append\", \"added-data-files\": "
    "\"1\", \"added-records\": \"3\", \"added-files-size\": \"958\",\n"
    "                \"changed-partition-count\": \"1\", \"total-records\": "
    "\"3\", \"total-files-size\": \"958\",\n"
    "                \"total-data-files\": \"1\", \"total-delete-files\": "
    "\"0\", \"total-position-deletes\": \"0\",\n"
    "                \"total-equality-deletes\": \"0\"},\n"
    "    \"manifest-list\": \"s3://bkt/wh/db/journal/metadata/"
    "snap-3051729675574597004-1-1f0c\xe2\x80\xa6.avro\",\n"
    "    \"schema-id\": 0, \"first-row-id\": 0, \"added-rows\": 3}],\n"
    "  \"statistics\": [], \"partition-statistics\": [],\n"
    "  \"snapshot-log\": [{\"timestamp-ms\": 1731000000123, "
    "\"snapshot-id\": 3051729675574597004}],\n"
    "  \"metadata-log\": [{\"timestamp-ms\": 1730999990000, "
    "\"metadata-file\": \"s3://bkt/wh/db/journal/metadata/"
    "00000-9a0b\xe2\x80\xa6.metadata.json\"}]\n"
    "}\n";


static json_t *
load(const char *s)
{
    json_error_t  e;

    return json_loads(s, 0, &e);
}


static int
round_trips(const json_t *in, const char *what)
{
    int                       eq;
    char                     *out, *in_s;
    json_t                   *back;
    icetap_error_t            err;
    icetap_table_metadata_t  *md;

    if (icetap_metadata_from_json(in, &md, &err) != ICETAP_OK) {
        diag("%s: %s", what, err.msg);
        return 0;
    }

    back = icetap_metadata_to_json(md);
    eq = json_equal(back, (json_t *) in);

    if (!eq) {
        in_s = json_dumps(in, JSON_SORT_KEYS);
        out = json_dumps(back, JSON_SORT_KEYS);
        diag("in:  %s", in_s);
        diag("out: %s", out);
        free(in_s);
        free(out);
    }

    json_decref(back);
    icetap_metadata_free(md);

    return eq;
}


static void
test_round_trip(void)
{
    json_t                   *j, *v2, *o;
    icetap_error_t            err;
    icetap_table_metadata_t  *md;

    j = load(spec_v3);
    ok(j != NULL, "spec example is JSON");

    ok(round_trips(j, "v3"), "spec v3 example round trips exactly");

    ok(icetap_metadata_parse(spec_v3, strlen(spec_v3), &md, &err)
       == ICETAP_OK, "spec v3 example parses from text");
    if (md) {
        is_int(md->format_version, 3, "format version 3");
        is_int(md->next_row_id, 3, "next-row-id");
        is_int(md->current_snapshot_id, 3051729675574597004LL,
               "current snapshot id keeps all 63 bits");
        is_int(md->snapshots[0].added_rows, 3, "added-rows");
        is_str(icetap_kvs_get(&md->snapshots[0].summary, "total-records"),
               "3", "summary value");
        is_int(md->specs[0].fields[0].transform.kind, ICETAP_TRANSFORM_DAY,
               "day transform parsed");
        is_int(icetap_metadata_current_schema(md)->root->fields[4].type->id,
               ICETAP_TYPE_MAP, "map column parsed");
        icetap_metadata_free(md);
    }

    /* the v2 variant drops the row lineage keys */

    v2 = json_deep_copy(j);
    json_object_set_new(v2, "format-version", json_integer(2));
    json_object_del(v2, "next-row-id");
    o = json_array_get(json_object_get(v2, "snapshots"), 0);
    json_object_del(o, "first-row-id");
    json_object_del(o, "added-rows");

    ok(round_trips(v2, "v2"), "spec v2 variant round trips exactly");

    /* unknown keys at every level */

    json_object_set_new(v2, "x-top", json_pack("{s:[i,s]}", "a", 1, "b"));
    json_object_set_new(o, "x-snap", json_true());
    json_object_set_new(o, "first-row-id", json_integer(5));
    o = json_array_get(json_object_get(json_array_get(
            json_object_get(v2, "schemas"), 0), "fields"), 0);
    json_object_set_new(o, "doc", json_string("the bucket"));
    json_object_set_new(o, "x-field", json_integer(7));
    o = json_array_get(json_object_get(v2, "schemas"), 0);
    json_object_set_new(o, "identifier-field-ids", json_pack("[i]", 1));
    json_object_set_new(o, "x-schema", json_null());
    o = json_object_get(json_object_get(v2, "refs"), "main");
    json_object_set_new(o, "x-ref", json_real(1.5));
    json_object_set_new(o, "max-ref-age-ms", json_integer(86400000));
    o = json_array_get(json_object_get(json_array_get(
            json_object_get(v2, "partition-specs"), 0), "fields"), 0);
    json_object_set_new(o, "x-pf", json_string("y"));
    o = json_array_get(json_object_get(v2, "sort-orders"), 0);
    json_object_set_new(o, "x-so", json_string("z"));
    o = json_array_get(json_object_get(v2, "snapshot-log"), 0);
    json_object_set_new(o, "x-log", json_integer(1));
    json_array_append_new(json_object_get(v2, "statistics"),
                          json_pack("{s:I,s:s,s:i,s:i,s:[]}", "snapshot-id",
                                    (json_int_t) 3051729675574597004LL,
                                    "statistics-path", "s3://b/s.puffin",
                                    "file-size-in-bytes", 100,
                                    "file-footer-size-in-bytes", 50,
                                    "blob-metadata"));

    ok(round_trips(v2, "v2 + unknown keys"),
       "unknown keys survive at every level");

    /* a v3 table with encryption keys, a tag, and a sorted order */

    o = json_deep_copy(j);
    json_object_set_new(o, "encryption-keys",
                        json_pack("[{s:s,s:s}]", "key-id", "k1",
                                  "encrypted-key-metadata", "AAAA"));
    json_object_set_new(json_object_get(o, "refs"), "v1",
                        json_pack("{s:I,s:s}", "snapshot-id",
                                  (json_int_t) 3051729675574597004LL,
                                  "type", "tag"));
    json_array_append_new(json_object_get(o, "sort-orders"),
                          json_pack("{s:i,s:[{s:s,s:i,s:s,s:s}]}",
                                    "order-id", 1, "fields", "transform",
                                    "bucket[4]", "source-id", 2,
                                    "direction", "desc", "null-order",
                                    "nulls-last"));
    ok(round_trips(o, "v3 extras"),
       "encryption keys, tags and sort orders round trip");

    json_decref(o);
    json_decref(v2);
    json_decref(j);
}


static void
expect_error(const char *what, json_t *j, icetap_rc code)
{
    icetap_rc                 rc;
    icetap_error_t            err;
    icetap_table_metadata_t  *md;

    memset(&err, 0, sizeof(err));
    rc = icetap_metadata_from_json(j, &md, &err);

    ok(rc == code && md == NULL && err.msg[0], "%s: %s", what, err.msg);

    if (rc == ICETAP_OK) {
        icetap_metadata_free(md);
    }

    json_decref(j);
}


static void
test_errors(void)
{
    json_t                   *j, *base;
    icetap_error_t            err;
    icetap_table_metadata_t  *md;

    base = load(spec_v3);

    j = json_deep_copy(base);
    json_object_del(j, "next-row-id");
    expect_error("v3 without next-row-id", j, ICETAP_INVALID);

    j = json_deep_copy(base);
    json_object_set_new(j, "format-version", json_integer(1));
    expect_error("format v1", j, ICETAP_UNSUPPORTED);

    j = json_deep_copy(base);
    json_object_set_new(j, "current-schema-id", json_integer(9));
    expect_error("unknown current schema", j, ICETAP_INVALID);

    j = json_deep_copy(base);
    json_object_set_new(j, "default-spec-id", json_integer(9));
    expect_error("unknown default spec", j, ICETAP_INVALID);

    j = json_deep_copy(base);
    json_object_set_new(j, "current-snapshot-id", json_integer(42));
    expect_error("unknown current snapshot", j, ICETAP_INVALID);

    j = json_deep_copy(base);
    json_object_set_new(json_object_get(json_object_get(j, "refs"), "main"),
                        "type", json_string("tag"));
    expect_error("main as a tag", j, ICETAP_INVALID);

    j = json_deep_copy(base);
    json_object_set_new(json_object_get(j, "refs"), "b",
                        json_pack("{s:i,s:s}", "snapshot-id", 7, "type",
                                  "branch"));
    expect_error("ref to a missing snapshot", j, ICETAP_INVALID);

    j = json_deep_copy(base);
    json_object_del(json_object_get(json_array_get(
        json_object_get(j, "snapshots"), 0), "summary"), "operation");
    expect_error("summary without operation", j, ICETAP_INVALID);

    j = json_deep_copy(base);
    json_object_set_new(json_object_get(json_array_get(
        json_object_get(j, "snapshots"), 0), "summary"), "added-records",
        json_integer(3));
    expect_error("summary with a number", j, ICETAP_INVALID);

    j = json_deep_copy(base);
    json_object_set_new(j, "last-sequence-number", json_integer(0));
    expect_error("snapshot beyond last-sequence-number", j, ICETAP_INVALID);

    j = json_deep_copy(base);
    json_object_set_new(json_array_get(json_object_get(json_array_get(
        json_object_get(j, "schemas"), 0), "fields"), 1), "id",
        json_integer(1));
    expect_error("duplicate field id", j, ICETAP_INVALID);

    j = json_deep_copy(base);
    json_object_set_new(json_array_get(json_object_get(json_array_get(
        json_object_get(j, "schemas"), 0), "fields"), 1), "type",
        json_string("decimal(40,2)"));
    expect_error("decimal precision 40", j, ICETAP_INVALID);

    j = json_deep_copy(base);
    json_object_set_new(j, "location", json_integer(3));
    expect_error("location not a string", j, ICETAP_INVALID);

    expect_error("an array", json_array(), ICETAP_INVALID);

    ok(icetap_metadata_parse("{\"a\":1,\"a\":2}", 13, &md, &err)
       == ICETAP_INVALID, "duplicate keys rejected: %s", err.msg);

    ok(icetap_metadata_parse("{", 1, &md, &err) == ICETAP_INVALID,
       "truncated JSON rejected: %s", err.msg);

    /* an implied main branch is made explicit */

    j = json_deep_copy(base);
    json_object_del(j, "refs");
    ok(icetap_metadata_from_json(j, &md, &err) == ICETAP_OK
       && md->nrefs == 1 && strcmp(md->refs[0].name, "main") == 0
       && md->nsnapshot_log == 1, "missing main ref implied, log unchanged");
    icetap_metadata_free(md);
    json_decref(j);

    json_decref(base);
}


static icetap_schema_t *
make_schema(void)
{
    json_t           *j;
    icetap_error_t    err;
    icetap_schema_t  *s;

    j = load("{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
             "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
             "{\"id\":2,\"name\":\"n\",\"required\":false,\"type\":\"int\"},"
             "{\"id\":3,\"name\":\"ts\",\"required\":true,"
             "\"type\":\"timestamptz\"},"
             "{\"id\":4,\"name\":\"f\",\"required\":false,\"type\":\"float\"},"
             "{\"id\":5,\"name\":\"d\",\"required\":false,"
             "\"type\":\"decimal(9,2)\"},"
             "{\"id\":6,\"name\":\"s\",\"required\":false,\"type\":\"string\"}"
             "]}");

    if (icetap_schema_from_json(j, &s, &err) != ICETAP_OK) {
        diag("schema: %s", err.msg);
        s = NULL;
    }

    json_decref(j);

    return s;
}


static void
commit(icetap_table_metadata_t *md, int64_t ts, int64_t rows, int64_t *id)
{
    icetap_error_t     err;
    icetap_snapshot_t  snap;

    if (icetap_metadata_snapshot_begin(md, NULL, &snap, &err) != ICETAP_OK) {
        diag("begin: %s", err.msg);
        return;
    }

    snap.timestamp_ms = ts;
    snap.manifest_list = icetap_strndup("s3://b/t/metadata/snap.avro", 27);
    icetap_kvs_set(&snap.summary, "operation", "append");

    if (md->format_version >= 3) {
        snap.added_rows = rows;
    }

    if (id) {
        *id = snap.snapshot_id;
    }

    if (icetap_metadata_add_snapshot(md, &snap, NULL, &err) != ICETAP_OK) {
        diag("commit: %s", err.msg);
        icetap_snapshot_clear(&snap);
    }
}


static void
test_commits(void)
{
    char                     *text;
    int64_t                   id1, id2;
    icetap_kvs_t              props;
    icetap_error_t            err;
    icetap_schema_t          *s;
    icetap_snapshot_t         snap;
    icetap_partition_spec_t   spec;
    icetap_table_metadata_t  *md, *back;

    s = make_schema();
    memset(&spec, 0, sizeof(spec));
    memset(&props, 0, sizeof(props));
    icetap_partition_spec_add_field(&spec, "ts_day", "day", 3, 0, &err);
    icetap_kvs_set(&props, "write.format.default", "parquet");

    ok(icetap_metadata_create(3, NULL, "s3://b/t", s, &spec, NULL, &props,
                              1000, &md, &err) == ICETAP_OK,
       "v3 table created");
    if (md == NULL) {
        diag("%s", err.msg);
        return;
    }

    is_int(md->last_column_id, 6, "last-column-id from the schema");
    is_int(md->specs[0].fields[0].field_id, 1000, "first partition id 1000");
    is_int(md->last_partition_id, 1000, "last-partition-id");
    is_int(strlen(md->table_uuid), 36, "random table uuid");
    ok(md->table_uuid[14] == '4', "uuid version 4");
    is_int(md->current_snapshot_id, ICETAP_NO_SNAPSHOT, "no snapshot yet");

    text = icetap_metadata_serialize(md, 0);
    ok(text && strstr(text, "\"current-snapshot-id\":null")
       && strstr(text, "\"next-row-id\":0"),
       "new v3 table prints null current snapshot and next-row-id 0");
    icetap_free(text);

    commit(md, 2000, 100, &id1);
    is_int(md->last_sequence_number, 1, "first commit: sequence 1");
    is_int(md->next_row_id, 100, "next-row-id advanced by added-rows");
    is_int(md->current_snapshot_id, id1, "current snapshot moved");
    is_int(icetap_metadata_ref(md, "main")->snapshot_id, id1, "main moved");
    is_int(md->nsnapshot_log, 1, "snapshot log entry");
    is_int(md->last_updated_ms, 2000, "last-updated-ms");

    commit(md, 3000, 25, &id2);
    is_int(md->snapshots[1].parent_id, id1, "parent is the previous head");
    is_int(md->snapshots[1].sequence_number, 2, "second commit: sequence 2");
    is_int(md->snapshots[1].first_row_id, 100, "first-row-id = next-row-id");
    is_int(md->next_row_id, 125, "next-row-id 125");

    /* a commit built on an old head conflicts */

    icetap_metadata_snapshot_begin(md, NULL, &snap, &err);
    snap.parent_id = id1;
    snap.timestamp_ms = 4000;
    snap.manifest_list = icetap_strndup("s3://x", 6);
    icetap_kvs_set(&snap.summary, "operation", "append");
    ok(icetap_metadata_add_snapshot(md, &snap, NULL, &err) == ICETAP_CONFLICT,
       "stale parent conflicts: %s", err.msg);

    snap.parent_id = id2;
    snap.first_row_id = 10;
    ok(icetap_metadata_add_snapshot(md, &snap, NULL, &err) == ICETAP_CONFLICT,
       "first-row-id below next-row-id conflicts: %s", err.msg);

    snap.first_row_id = 125;
    snap.sequence_number = 2;
    ok(icetap_metadata_add_snapshot(md, &snap, NULL, &err) == ICETAP_CONFLICT,
       "reused sequence number conflicts");

    snap.sequence_number = 3;
    icetap_kvs_set(&snap.summary, "operation", "upsert");
    ok(icetap_metadata_add_snapshot(md, &snap, NULL, &err) == ICETAP_INVALID,
       "unknown operation rejected: %s", err.msg);

    icetap_kvs_set(&snap.summary, "operation", "overwrite");
    ok(icetap_metadata_add_snapshot(md, &snap, "audit", &err) == ICETAP_OK,
       "commit to a new branch");
    ok(md->current_snapshot_id == id2
       && icetap_metadata_ref(md, "audit") != NULL,
       "branch commit leaves main alone");
    icetap_snapshot_clear(&snap);

    icetap_metadata_add_log_entry(md, "s3://b/t/metadata/00000-a.json", 1000,
                                  2, &err);
    icetap_metadata_add_log_entry(md, "s3://b/t/metadata/00001-b.json", 2000,
                                  2, &err);
    icetap_metadata_add_log_entry(md, "s3://b/t/metadata/00002-c.json", 3000,
                                  2, &err);
    ok(md->nmetadata_log == 2
       && strcmp(md->metadata_log[0].file,
                 "s3://b/t/metadata/00001-b.json") == 0,
       "metadata log keeps the newest entries");

    /* refs */

    ok(icetap_metadata_set_ref(md, "v1", id1, 1, ICETAP_UNSET, ICETAP_UNSET,
                               86400000, &err) == ICETAP_OK, "tag set");
    ok(icetap_metadata_set_ref(md, "main", id1, 1, ICETAP_UNSET,
                               ICETAP_UNSET, ICETAP_UNSET, &err)
       == ICETAP_INVALID, "main cannot be a tag");
    ok(icetap_metadata_set_ref(md, "v2", 12345, 1, ICETAP_UNSET,
                               ICETAP_UNSET, ICETAP_UNSET, &err)
       == ICETAP_NOTFOUND, "ref to a missing snapshot: %s", err.msg);
    ok(icetap_metadata_remove_ref(md, "main", &err) == ICETAP_INVALID,
       "main cannot be removed");
    ok(icetap_metadata_set_ref(md, "main", id1, 0, 3, 1000, ICETAP_UNSET,
                               &err) == ICETAP_OK
       && md->current_snapshot_id == id1 && md->nsnapshot_log == 3,
       "rolling main back updates current snapshot and log");

    /* the whole thing survives printing and parsing */

    text = icetap_metadata_serialize(md, 1);
    ok(text != NULL, "serialized");
    ok(icetap_metadata_parse(text, strlen(text), &back, &err) == ICETAP_OK,
       "parses back");
    if (back) {
        char  *again;

        again = icetap_metadata_serialize(back, 1);
        is_str(again, text, "second serialization identical");
        icetap_free(again);
        icetap_metadata_free(back);
    }

    icetap_free(text);

    /* v2: no row ids */

    icetap_metadata_free(md);
    ok(icetap_metadata_create(2, "00000000-0000-4000-8000-000000000000",
                              "s3://b/t2", s, NULL, NULL, NULL, 1, &md, &err)
       == ICETAP_OK, "v2 unpartitioned table created");
    is_int(md->last_partition_id, 999, "unpartitioned: last-partition-id 999");
    commit(md, 5, 0, NULL);
    text = icetap_metadata_serialize(md, 0);
    ok(text && !strstr(text, "row-id") && !strstr(text, "added-rows"),
       "v2 metadata has no row lineage keys");
    icetap_free(text);
    icetap_metadata_free(md);

    /* bad specs at creation */

    icetap_partition_spec_clear(&spec);
    icetap_partition_spec_add_field(&spec, "h", "hour", 2, 0, &err);
    ok(icetap_metadata_create(2, NULL, "s3://b/t", s, &spec, NULL, NULL, 1,
                              &md, &err) == ICETAP_INVALID,
       "hour(int) rejected: %s", err.msg);

    icetap_partition_spec_clear(&spec);
    icetap_partition_spec_add_field(&spec, "x", "identity", 99, 0, &err);
    ok(icetap_metadata_create(2, NULL, "s3://b/t", s, &spec, NULL, NULL, 1,
                              &md, &err) == ICETAP_INVALID,
       "missing source column rejected: %s", err.msg);

    ok(icetap_partition_spec_add_field(&spec, "y", "bucket[0]", 1, 0, &err)
       == ICETAP_INVALID, "bucket[0] rejected");

    icetap_partition_spec_clear(&spec);
    icetap_kvs_free(&props);
    icetap_schema_free(s);
}


static void
test_evolution(void)
{
    int32_t                   sid, pid, last;
    icetap_type_t            *t, to;
    icetap_error_t            err;
    icetap_field_t           *f;
    icetap_schema_t          *s, *cur;
    icetap_partition_spec_t   spec;
    icetap_table_metadata_t  *md;

    s = make_schema();
    memset(&spec, 0, sizeof(spec));
    icetap_partition_spec_add_field(&spec, "ts_day", "day", 3, 0, &err);
    icetap_metadata_create(3, NULL, "s3://b/t", s, &spec, NULL, NULL, 1, &md,
                           &err);
    icetap_schema_free(s);
    icetap_partition_spec_clear(&spec);

    s = icetap_schema_copy(icetap_metadata_current_schema(md));
    last = md->last_column_id;

    ok(icetap_schema_add_column(s, 0, "tags", NULL, 0, NULL, NULL, &last, 3,
                                &err) == ICETAP_INVALID,
       "add column without type rejected");

    /* list<struct<a: string>> gets ids 7 (field), 8 (element), 9 (a) */

    t = icetap_type_new(ICETAP_TYPE_LIST);
    t->element = icetap_type_new(ICETAP_TYPE_STRUCT);
    t->element->fields = icetap_calloc(1, sizeof(icetap_field_t));
    t->element->nfields = 1;
    t->element->fields[0].name = icetap_strndup("a", 1);
    t->element->fields[0].type = icetap_type_new(ICETAP_TYPE_STRING);

    ok(icetap_schema_add_column(s, 0, "tags", t, 0, "doc", NULL, &last, 3,
                                &err) == ICETAP_OK, "nested column added");
    is_int(last, 9, "three new ids");
    f = icetap_schema_find_field(s, 7);
    ok(f && strcmp(f->name, "tags") == 0 && f->type->element_id == 8
       && f->type->element->fields[0].id == 9, "ids assigned in order");

    t = icetap_type_new(ICETAP_TYPE_STRING);
    ok(icetap_schema_add_column(s, 8, "b", t, 0, NULL, NULL, &last, 3, &err)
       == ICETAP_OK && last == 10, "column added inside a list element");

    t = icetap_type_new(ICETAP_TYPE_STRING);
    ok(icetap_schema_add_column(s, 0, "tags", t, 0, NULL, NULL, &last, 3,
                                &err) == ICETAP_CONFLICT,
       "duplicate name rejected: %s", err.msg);

    ok(icetap_schema_add_column(s, 0, "req", t, 1, NULL, NULL, &last, 3,
                                &err) == ICETAP_INVALID,
       "required column without default rejected: %s", err.msg);

    {
        json_t  *def = json_string("none");

        ok(icetap_schema_add_column(s, 0, "req", t, 1, NULL, def, &last, 3,
                                    &err) == ICETAP_OK,
           "required column with an initial default (v3)");
        json_decref(def);
    }

    ok(icetap_schema_rename_column(s, 6, "str", &err) == ICETAP_OK
       && strcmp(icetap_schema_find_field(s, 6)->name, "str") == 0,
       "rename keeps the id");
    ok(icetap_schema_rename_column(s, 6, "id", &err) == ICETAP_CONFLICT,
       "rename onto a sibling rejected");
    ok(icetap_schema_rename_column(s, 99, "x", &err) == ICETAP_NOTFOUND,
       "rename of a missing field");

    memset(&to, 0, sizeof(to));
    to.id = ICETAP_TYPE_LONG;
    ok(icetap_schema_promote_column(s, 2, &to, 2, &err) == ICETAP_OK
       && icetap_schema_find_field(s, 2)->type->id == ICETAP_TYPE_LONG,
       "int -> long");

    to.id = ICETAP_TYPE_INT;
    ok(icetap_schema_promote_column(s, 1, &to, 2, &err) == ICETAP_INVALID,
       "long -> int rejected: %s", err.msg);

    to.id = ICETAP_TYPE_DOUBLE;
    ok(icetap_schema_promote_column(s, 4, &to, 2, &err) == ICETAP_OK,
       "float -> double");

    to.id = ICETAP_TYPE_DECIMAL;
    to.precision = 18;
    to.scale = 2;
    ok(icetap_schema_promote_column(s, 5, &to, 2, &err) == ICETAP_OK,
       "decimal(9,2) -> decimal(18,2)");

    to.scale = 3;
    ok(icetap_schema_promote_column(s, 5, &to, 2, &err) == ICETAP_INVALID,
       "decimal scale change rejected");

    ok(icetap_schema_make_optional(s, 1, &err) == ICETAP_OK
       && !icetap_schema_find_field(s, 1)->required, "made optional");

    ok(icetap_metadata_add_schema(md, s, 1, &sid, &err) == ICETAP_OK
       && sid == 1 && md->current_schema_id == 1 && md->last_column_id == 11,
       "new schema 1 is current, last-column-id 11");

    cur = icetap_schema_copy(icetap_metadata_current_schema(md));
    ok(icetap_metadata_add_schema(md, cur, 0, &sid, &err) == ICETAP_OK
       && sid == 1 && md->nschemas == 2, "an identical schema is reused");

    /* partition evolution */

    memset(&spec, 0, sizeof(spec));
    icetap_partition_spec_add_field(&spec, "ts_day", "day", 3, 0, &err);
    icetap_partition_spec_add_field(&spec, "s_bucket", "bucket[16]", 6, 0,
                                    &err);

    ok(icetap_metadata_add_spec(md, &spec, 1, &pid, &err) == ICETAP_OK
       && pid == 1 && md->default_spec_id == 1, "spec 1 added as default");
    ok(md->specs[1].fields[0].field_id == 1000
       && md->specs[1].fields[1].field_id == 1001
       && md->last_partition_id == 1001,
       "day keeps 1000, bucket gets 1001");

    ok(icetap_metadata_add_spec(md, &spec, 0, &pid, &err) == ICETAP_OK
       && pid == 1 && md->nspecs == 2, "an equal spec is reused");

    icetap_partition_spec_clear(&spec);
    icetap_partition_spec_add_field(&spec, "f_trunc", "truncate[4]", 4, 0,
                                    &err);
    ok(icetap_metadata_add_spec(md, &spec, 0, &pid, &err) == ICETAP_INVALID,
       "truncate on a double rejected: %s", err.msg);

    icetap_partition_spec_clear(&spec);
    icetap_metadata_free(md);
}


static void
test_expire(void)
{
    int                       i;
    size_t                    n;
    int64_t                   ids[5];
    icetap_error_t            err;
    icetap_schema_t          *s;
    icetap_snapshot_t        *rm;
    icetap_table_metadata_t  *md;

    s = make_schema();
    icetap_metadata_create(2, NULL, "s3://b/t", s, NULL, NULL, NULL, 1, &md,
                           &err);
    icetap_schema_free(s);

    for (i = 0; i < 5; i++) {
        commit(md, 1000 * (i + 1), 0, &ids[i]);
    }

    icetap_metadata_set_ref(md, "keep", ids[1], 1, ICETAP_UNSET, ICETAP_UNSET,
                            ICETAP_UNSET, &err);
    icetap_metadata_set_ref(md, "old", ids[0], 1, ICETAP_UNSET, ICETAP_UNSET,
                            500, &err);

    json_array_append_new(md->statistics,
                          json_pack("{s:I}", "snapshot-id",
                                    (json_int_t) ids[2]));
    json_array_append_new(md->statistics,
                          json_pack("{s:I}", "snapshot-id",
                                    (json_int_t) ids[4]));

    ok(icetap_metadata_expire_snapshots(md, 3500, 1, 6000, &rm, &n, &err)
       == ICETAP_OK, "expire runs");

    is_int(n, 2, "two snapshots removed");
    ok(n == 2 && rm[0].snapshot_id == ids[0] && rm[1].snapshot_id == ids[2],
       "the untagged old ones (the expired tag no longer protects)");
    is_int(md->nsnapshots, 3, "three left");
    ok(icetap_metadata_ref(md, "old") == NULL, "tag past max-ref-age gone");
    ok(icetap_metadata_ref(md, "keep") != NULL, "tag within age kept");
    ok(md->nsnapshot_log == 2 && md->snapshot_log[0].snapshot_id == ids[3],
       "snapshot log starts after the last removed snapshot");
    is_int(json_array_size(md->statistics), 1,
           "statistics of removed snapshots dropped");

    icetap_snapshots_free(rm, n);

    ok(icetap_metadata_expire_snapshots(md, 0, 1, 6000, &rm, &n, &err)
       == ICETAP_OK && n == 0 && rm == NULL, "nothing more to expire");

    ok(icetap_metadata_expire_snapshots(md, 99999, 1, 6000, &rm, &n, &err)
       == ICETAP_OK && n == 1 && rm[0].snapshot_id == ids[3],
       "min_keep 1 keeps only the head and the tagged one");
    icetap_snapshots_free(rm, n);

    icetap_metadata_free(md);
}


int
main(void)
{
    test_round_trip();
    test_errors();
    test_commits();
    test_evolution();
    test_expire();

    return done_testing();
}
