/*
 * Copyright (C) icetap authors
 *
 * Iceberg manifests and manifest lists: header keys, every data_file
 * field, partition tuples of several types, partition summaries, v3 row
 * lineage assignment (the spec's example), validation errors.
 */


#include <stdlib.h>

#include <icetap/manifest.h>

#include "tap.h"


static const char  *schema_json =
    "{\"type\":\"struct\",\"schema-id\":3,\"fields\":["
    "{\"id\":1,\"name\":\"bucket\",\"required\":true,\"type\":\"string\"},"
    "{\"id\":2,\"name\":\"key\",\"required\":true,\"type\":\"string\"},"
    "{\"id\":3,\"name\":\"size\",\"required\":false,\"type\":\"long\"},"
    "{\"id\":4,\"name\":\"record_timestamp\",\"required\":true,"
    "\"type\":\"timestamp\"},"
    "{\"id\":5,\"name\":\"amount\",\"required\":false,"
    "\"type\":\"decimal(9,2)\"},"
    "{\"id\":6,\"name\":\"uid\",\"required\":false,\"type\":\"uuid\"}]}";


static icetap_schema_t *
get_schema(void)
{
    json_t           *j;
    json_error_t      je;
    icetap_error_t    err;
    icetap_schema_t  *s;

    j = json_loads(schema_json, 0, &je);

    if (icetap_schema_from_json(j, &s, &err) != ICETAP_OK) {
        diag("%s", err.msg);
        s = NULL;
    }

    json_decref(j);

    return s;
}


static void
entry_init(icetap_manifest_entry_t *e, const char *path)
{
    memset(e, 0, sizeof(*e));
    e->status = ICETAP_STATUS_ADDED;
    e->snapshot_id = ICETAP_UNSET;
    e->sequence_number = ICETAP_UNSET;
    e->file_sequence_number = ICETAP_UNSET;
    e->file.content = ICETAP_CONTENT_DATA;
    e->file.file_path = path;
    e->file.file_format = "PARQUET";
    e->file.sort_order_id = ICETAP_UNSET;
    e->file.first_row_id = ICETAP_UNSET;
    e->file.content_offset = ICETAP_UNSET;
    e->file.content_size_in_bytes = ICETAP_UNSET;
}


static void
test_day_manifest(icetap_avro_codec_t codec)
{
    const char                     *what;
    icetap_buf_t                    out;
    icetap_schema_t                *s;
    icetap_error_t                  err;
    icetap_value_t                  part[3];
    const int32_t                  *pids;
    icetap_manifest_file_t          mf;
    icetap_partition_spec_t         spec;
    icetap_manifest_entry_t         e, back;
    icetap_manifest_reader_t       *r;
    icetap_manifest_writer_t       *w;
    icetap_manifest_writer_conf_t   conf;

    static const icetap_metric_t  sizes[] = { { 1, 100 }, { 4, 80 } };
    static const icetap_metric_t  counts[] = { { 1, 3 }, { 4, 3 } };
    static const icetap_metric_t  nulls[] = { { 3, 1 } };
    static const icetap_bound_t   lower[] = { { 1, (uint8_t *) "a", 1 } };
    static const icetap_bound_t   upper[] = { { 1, (uint8_t *) "zz", 2 } };
    static const int64_t          splits[] = { 4 };

    what = codec == ICETAP_AVRO_CODEC_NULL ? "null" : "deflate";

    s = get_schema();
    memset(&spec, 0, sizeof(spec));
    icetap_partition_spec_add_field(&spec, "record_timestamp_day", "day", 4,
                                    1000, &err);
    memset(&out, 0, sizeof(out));

    memset(&conf, 0, sizeof(conf));
    conf.format_version = 3;
    conf.content = ICETAP_MANIFEST_DATA;
    conf.schema = s;
    conf.spec = &spec;
    conf.snapshot_id = 3051729675574597004LL;
    conf.codec = codec;
    conf.write = icetap_avro_write_buf;
    conf.ctx = &out;

    ok(icetap_manifest_writer_create(&conf, &w, &err) == ICETAP_OK,
       "%s: v3 manifest writer", what);

    memset(part, 0, sizeof(part));
    part[0].type = ICETAP_TYPE_DATE;
    part[0].v.i = 17486;

    entry_init(&e, "s3://bkt/wh/db/journal/data/a.parquet");
    e.file.partition = part;
    e.file.npartition = 1;
    e.file.record_count = 3;
    e.file.file_size_in_bytes = 958;
    e.file.column_sizes = sizes;
    e.file.ncolumn_sizes = 2;
    e.file.value_counts = counts;
    e.file.nvalue_counts = 2;
    e.file.null_value_counts = nulls;
    e.file.nnull_value_counts = 1;
    e.file.lower_bounds = lower;
    e.file.nlower_bounds = 1;
    e.file.upper_bounds = upper;
    e.file.nupper_bounds = 1;
    e.file.split_offsets = splits;
    e.file.nsplit_offsets = 1;
    e.file.sort_order_id = 0;

    ok(icetap_manifest_writer_add(w, &e, &err) == ICETAP_OK,
       "%s: added file", what);

    part[1].type = ICETAP_TYPE_DATE;
    part[1].is_null = 1;
    entry_init(&e, "s3://bkt/wh/db/journal/data/b.parquet");
    e.file.partition = &part[1];
    e.file.npartition = 1;
    e.file.record_count = 5;
    e.file.file_size_in_bytes = 1000;
    ok(icetap_manifest_writer_add(w, &e, &err) == ICETAP_OK,
       "%s: null partition", what);

    part[2].type = ICETAP_TYPE_DATE;
    part[2].v.i = 17480;
    entry_init(&e, "s3://bkt/wh/db/journal/data/c.parquet");
    e.status = ICETAP_STATUS_EXISTING;
    e.snapshot_id = 17;
    e.sequence_number = 4;
    e.file_sequence_number = 5;
    e.file.first_row_id = 50;
    e.file.partition = &part[2];
    e.file.npartition = 1;
    e.file.record_count = 7;
    e.file.file_size_in_bytes = 2000;
    ok(icetap_manifest_writer_add(w, &e, &err) == ICETAP_OK,
       "%s: existing file", what);

    ok(icetap_manifest_writer_finish(w, "s3://m.avro", &mf, &err)
       == ICETAP_OK, "%s: finished", what);

    is_int(mf.manifest_length, out.len, "%s: length = bytes written", what);
    ok(mf.added_files_count == 2 && mf.existing_files_count == 1
       && mf.added_rows_count == 8 && mf.existing_rows_count == 7,
       "%s: counts", what);
    is_int(mf.min_sequence_number, 4, "%s: min sequence of live entries",
           what);
    ok(mf.npartitions == 1 && mf.partitions[0].contains_null
       && mf.partitions[0].contains_nan == 0
       && mf.partitions[0].lower_len == 4
       && memcmp(mf.partitions[0].lower, "\x48\x44\0\0", 4) == 0
       && memcmp(mf.partitions[0].upper, "\x4e\x44\0\0", 4) == 0,
       "%s: partition summary 17480..17486 with null", what);

    ok(icetap_manifest_reader_create_mem(out.data, out.len, &r, &err)
       == ICETAP_OK, "%s: reader opens", what);
    if (r == NULL) {
        diag("%s", err.msg);
        goto done;
    }

    is_str(icetap_manifest_reader_meta(r, "partition-spec"),
           "[{\"name\":\"record_timestamp_day\",\"transform\":\"day\","
           "\"source-id\":4,\"field-id\":1000}]", "%s: partition-spec", what);
    is_str(icetap_manifest_reader_meta(r, "partition-spec-id"), "0",
           "%s: partition-spec-id", what);
    is_str(icetap_manifest_reader_meta(r, "schema-id"), "3",
           "%s: schema-id", what);
    is_str(icetap_manifest_reader_meta(r, "format-version"), "3",
           "%s: format-version", what);
    is_str(icetap_manifest_reader_meta(r, "content"), "data",
           "%s: content", what);
    ok(strstr(icetap_manifest_reader_meta(r, "schema"), "\"schema-id\":3")
       != NULL, "%s: table schema in the header", what);
    ok(strstr(icetap_manifest_reader_meta(r, "avro.schema"),
              "\"logicalType\":\"date\"") != NULL,
       "%s: day partition is an Avro date", what);
    ok(icetap_manifest_reader_partition_ids(r, &pids) == 1
       && pids[0] == 1000, "%s: partition field id 1000", what);

    ok(icetap_manifest_reader_next(r, &back, &err) == ICETAP_OK,
       "%s: first entry", what);
    ok(back.status == 1 && back.snapshot_id == 3051729675574597004LL
       && back.sequence_number == ICETAP_UNSET
       && back.file_sequence_number == ICETAP_UNSET,
       "%s: added entry inherits sequence numbers", what);
    ok(strcmp(back.file.file_path, "s3://bkt/wh/db/journal/data/a.parquet")
       == 0 && strcmp(back.file.file_format, "PARQUET") == 0
       && back.file.record_count == 3
       && back.file.file_size_in_bytes == 958, "%s: file basics", what);
    ok(back.file.npartition == 1
       && back.file.partition[0].type == ICETAP_TYPE_DATE
       && back.file.partition[0].v.i == 17486, "%s: partition day", what);
    ok(back.file.ncolumn_sizes == 2 && back.file.column_sizes[1].key == 4
       && back.file.column_sizes[1].value == 80
       && back.file.nnull_value_counts == 1
       && back.file.null_value_counts[0].value == 1
       && back.file.nnan_value_counts == 0, "%s: metrics", what);
    ok(back.file.nupper_bounds == 1 && back.file.upper_bounds[0].len == 2
       && memcmp(back.file.upper_bounds[0].data, "zz", 2) == 0,
       "%s: bounds", what);
    ok(back.file.nsplit_offsets == 1 && back.file.split_offsets[0] == 4
       && back.file.equality_ids == NULL && back.file.sort_order_id == 0
       && back.file.first_row_id == ICETAP_UNSET
       && back.file.referenced_data_file == NULL,
       "%s: split offsets and nulls", what);

    ok(icetap_manifest_reader_next(r, &back, &err) == ICETAP_OK
       && back.file.partition[0].is_null && back.file.column_sizes == NULL,
       "%s: second entry has a null partition", what);

    ok(icetap_manifest_reader_next(r, &back, &err) == ICETAP_OK
       && back.status == 0 && back.snapshot_id == 17
       && back.sequence_number == 4 && back.file_sequence_number == 5
       && back.file.first_row_id == 50,
       "%s: existing entry keeps explicit numbers and row id", what);

    ok(icetap_manifest_reader_next(r, &back, &err) == ICETAP_EOF,
       "%s: three entries", what);

    icetap_manifest_reader_destroy(r);

done:

    icetap_manifest_writer_destroy(w);
    icetap_partition_spec_clear(&spec);
    icetap_schema_free(s);
    icetap_buf_free(&out);
}


static void
test_partition_types(void)
{
    int64_t                         u;
    icetap_buf_t                    out;
    icetap_schema_t                *s;
    icetap_error_t                  err;
    icetap_value_t                  part[5];
    icetap_manifest_file_t          mf;
    icetap_partition_spec_t         spec;
    icetap_manifest_entry_t         e, back;
    icetap_manifest_reader_t       *r;
    icetap_manifest_writer_t       *w;
    icetap_manifest_writer_conf_t   conf;

    s = get_schema();
    memset(&spec, 0, sizeof(spec));
    icetap_partition_spec_add_field(&spec, "bucket", "identity", 1, 0, &err);
    icetap_partition_spec_add_field(&spec, "key_b", "bucket[16]", 2, 0, &err);
    icetap_partition_spec_add_field(&spec, "amount_t", "truncate[50]", 5, 0,
                                    &err);
    icetap_partition_spec_add_field(&spec, "uid", "identity", 6, 0, &err);
    icetap_partition_spec_add_field(&spec, "uid2", "identity", 6, 0, &err);

    memset(&out, 0, sizeof(out));
    memset(&conf, 0, sizeof(conf));
    conf.format_version = 2;
    conf.content = ICETAP_MANIFEST_DATA;
    conf.schema = s;
    conf.spec = &spec;
    conf.snapshot_id = 99;
    conf.codec = ICETAP_AVRO_CODEC_DEFLATE;
    conf.write = icetap_avro_write_buf;
    conf.ctx = &out;

    ok(icetap_manifest_writer_create(&conf, &w, &err) == ICETAP_OK,
       "v2 manifest with five partition fields");
    if (w == NULL) {
        diag("%s", err.msg);
        return;
    }

    memset(part, 0, sizeof(part));
    part[0].type = ICETAP_TYPE_STRING;
    part[0].v.bin.data = (const uint8_t *) "my-bucket";
    part[0].v.bin.len = 9;
    part[1].type = ICETAP_TYPE_INT;
    part[1].v.i = 7;
    icetap_decimal_from_int64(&part[2], -1100);
    part[3].type = ICETAP_TYPE_UUID;
    memset(part[3].v.uuid, 0xa5, 16);
    part[4] = part[3];

    entry_init(&e, "s3://b/d.parquet");
    e.file.partition = part;
    e.file.npartition = 5;
    e.file.record_count = 1;
    e.file.file_size_in_bytes = 10;

    ok(icetap_manifest_writer_add(w, &e, &err) == ICETAP_OK,
       "entry with string, int, decimal and uuid partition values");
    icetap_manifest_writer_finish(w, "s3://m2.avro", &mf, &err);

    ok(mf.partitions[2].lower_len == 2
       && memcmp(mf.partitions[2].lower, "\xfb\xb4", 2) == 0,
       "decimal summary bound is minimal big-endian");

    ok(icetap_manifest_reader_create_mem(out.data, out.len, &r, &err)
       == ICETAP_OK, "deflate manifest opens");
    ok(strstr(icetap_manifest_reader_meta(r, "avro.schema"),
              "\"type\":\"fixed\",\"name\":\"decimal_9_2\",\"size\":4")
       != NULL, "decimal(9,2) is fixed(4)");
    ok(strstr(icetap_manifest_reader_meta(r, "avro.schema"),
              "\"type\":[\"null\",\"uuid_fixed\"]") != NULL,
       "a second uuid field references the named type");
    ok(icetap_manifest_reader_next(r, &back, &err) == ICETAP_OK,
       "entry read");
    ok(back.file.partition[0].type == ICETAP_TYPE_STRING
       && back.file.partition[0].v.bin.len == 9
       && memcmp(back.file.partition[0].v.bin.data, "my-bucket", 9) == 0,
       "string partition value");
    ok(back.file.partition[1].type == ICETAP_TYPE_INT
       && back.file.partition[1].v.i == 7, "bucket partition value");
    ok(back.file.partition[2].type == ICETAP_TYPE_DECIMAL
       && icetap_decimal_to_int64(&back.file.partition[2], &u) == ICETAP_OK
       && u == -1100, "decimal partition value (fixed(4) sign extended)");
    ok(back.file.partition[3].type == ICETAP_TYPE_UUID
       && back.file.partition[3].v.uuid[15] == 0xa5
       && back.file.partition[4].type == ICETAP_TYPE_UUID,
       "uuid partition values");
    ok(back.snapshot_id == 99, "default snapshot id applied");
    icetap_manifest_reader_destroy(r);

    icetap_manifest_writer_destroy(w);
    icetap_partition_spec_clear(&spec);
    icetap_schema_free(s);
    icetap_buf_free(&out);
}


static void
test_errors(void)
{
    icetap_buf_t                    out;
    icetap_schema_t                *s;
    icetap_error_t                  err;
    icetap_value_t                  part;
    icetap_partition_spec_t         spec;
    icetap_manifest_entry_t         e;
    icetap_manifest_reader_t       *r;
    icetap_manifest_writer_t       *w;
    icetap_manifest_writer_conf_t   conf;

    s = get_schema();
    memset(&spec, 0, sizeof(spec));
    memset(&out, 0, sizeof(out));
    memset(&conf, 0, sizeof(conf));
    conf.format_version = 3;
    conf.content = ICETAP_MANIFEST_DELETES;
    conf.schema = s;
    conf.spec = &spec;
    conf.snapshot_id = 5;
    conf.write = icetap_avro_write_buf;
    conf.ctx = &out;

    icetap_manifest_writer_create(&conf, &w, &err);

    entry_init(&e, "s3://b/dv.puffin");
    e.file.content = ICETAP_CONTENT_POS_DELETES;
    e.file.file_format = "PUFFIN";
    e.file.record_count = 5;
    e.file.file_size_in_bytes = 200;
    ok(icetap_manifest_writer_add(w, &e, &err) == ICETAP_INVALID,
       "DV without referenced file: %s", err.msg);

    e.file.referenced_data_file = "s3://b/d.parquet";
    e.file.content_offset = 4;
    e.file.content_size_in_bytes = 50;
    ok(icetap_manifest_writer_add(w, &e, &err) == ICETAP_OK,
       "complete DV accepted");

    e.file.content = ICETAP_CONTENT_DATA;
    ok(icetap_manifest_writer_add(w, &e, &err) == ICETAP_INVALID,
       "data file in a delete manifest: %s", err.msg);

    e.file.content = ICETAP_CONTENT_POS_DELETES;
    e.status = ICETAP_STATUS_DELETED;
    ok(icetap_manifest_writer_add(w, &e, &err) == ICETAP_INVALID,
       "deleted entry without sequence numbers: %s", err.msg);

    e.status = 7;
    ok(icetap_manifest_writer_add(w, &e, &err) == ICETAP_INVALID,
       "status 7 rejected");

    e.status = ICETAP_STATUS_ADDED;
    memset(&part, 0, sizeof(part));
    e.file.partition = &part;
    e.file.npartition = 1;
    ok(icetap_manifest_writer_add(w, &e, &err) == ICETAP_INVALID,
       "partition arity mismatch: %s", err.msg);

    icetap_manifest_writer_destroy(w);

    /* v2 cannot carry v3 fields */

    conf.format_version = 2;
    conf.content = ICETAP_MANIFEST_DATA;
    icetap_buf_reset(&out);
    icetap_manifest_writer_create(&conf, &w, &err);
    entry_init(&e, "s3://b/d.parquet");
    e.file.first_row_id = 3;
    ok(icetap_manifest_writer_add(w, &e, &err) == ICETAP_INVALID,
       "first_row_id in v2: %s", err.msg);
    icetap_manifest_writer_destroy(w);

    /* spec transforms checked against the schema */

    icetap_partition_spec_add_field(&spec, "h", "hour", 3, 1000, &err);
    ok(icetap_manifest_writer_create(&conf, &w, &err) == ICETAP_INVALID,
       "hour(long) rejected: %s", err.msg);

    conf.format_version = 4;
    ok(icetap_manifest_writer_create(&conf, &w, &err) == ICETAP_UNSUPPORTED,
       "v4 rejected");

    /* an Avro file that is not a manifest */

    {
        icetap_avro_writer_t       *aw;
        icetap_avro_writer_conf_t   ac;

        icetap_buf_reset(&out);
        memset(&ac, 0, sizeof(ac));
        ac.schema_json = "{\"type\":\"record\",\"name\":\"x\",\"fields\":"
                         "[{\"name\":\"status\",\"type\":\"int\"}]}";
        ac.write = icetap_avro_write_buf;
        ac.ctx = &out;
        icetap_avro_writer_create(&ac, &aw, &err);
        icetap_avro_writer_finish(aw, &err);
        icetap_avro_writer_destroy(aw);

        ok(icetap_manifest_reader_create_mem(out.data, out.len, &r, &err)
           == ICETAP_INVALID && r == NULL, "non-manifest rejected: %s",
           err.msg);
    }

    icetap_partition_spec_clear(&spec);
    icetap_schema_free(s);
    icetap_buf_free(&out);
}


static void
test_list(void)
{
    size_t                               i;
    int64_t                              added;
    icetap_buf_t                         out;
    icetap_error_t                       err;
    icetap_manifest_file_t               mf[4], back;
    icetap_field_summary_t               sum;
    icetap_manifest_list_reader_t       *r;
    icetap_manifest_list_writer_t       *w;
    icetap_manifest_list_writer_conf_t   conf;

    static const int64_t  rows[4][2] = {
        { 100, 25 }, { 0, 100 }, { 125, 25 }, { 9, 0 }
    };
    static const int64_t  expect_frid[4] = {
        1000, 1125, 1225, ICETAP_UNSET
    };

    memset(&out, 0, sizeof(out));
    memset(&conf, 0, sizeof(conf));
    conf.format_version = 3;
    conf.snapshot_id = 3051729675574597004LL;
    conf.parent_snapshot_id = ICETAP_NO_SNAPSHOT;
    conf.sequence_number = 7;
    conf.first_row_id = 1000;
    conf.write = icetap_avro_write_buf;
    conf.ctx = &out;

    ok(icetap_manifest_list_writer_create(&conf, &w, &err) == ICETAP_OK,
       "v3 manifest list writer");

    memset(&sum, 0, sizeof(sum));
    sum.contains_nan = -1;
    sum.lower = (const uint8_t *) "\x4e\x44\0\0";
    sum.lower_len = 4;

    for (i = 0; i < 4; i++) {
        memset(&mf[i], 0, sizeof(mf[i]));
        mf[i].manifest_path = i == 0 ? "s3://m0.avro" : "s3://mN.avro";
        mf[i].manifest_length = 1000 + (int64_t) i;
        mf[i].content = i == 3 ? ICETAP_MANIFEST_DELETES
                               : ICETAP_MANIFEST_DATA;
        mf[i].sequence_number = ICETAP_UNSET;
        mf[i].min_sequence_number = ICETAP_UNSET;
        mf[i].added_snapshot_id = conf.snapshot_id;
        mf[i].added_rows_count = rows[i][0];
        mf[i].existing_rows_count = rows[i][1];
        mf[i].first_row_id = ICETAP_UNSET;
        mf[i].partitions = &sum;
        mf[i].npartitions = 1;
    }

    /* an older manifest keeps its numbers */

    mf[1].sequence_number = 3;
    mf[1].min_sequence_number = 2;

    for (i = 0; i < 4; i++) {
        if (icetap_manifest_list_writer_add(w, &mf[i], &err) != ICETAP_OK) {
            diag("%s", err.msg);
        }
    }

    ok(icetap_manifest_list_writer_finish(w, &added, &err) == ICETAP_OK,
       "list finished");
    is_int(added, 375, "added-rows 375 as in the spec's example");
    icetap_manifest_list_writer_destroy(w);

    ok(icetap_manifest_list_reader_create_mem(out.data, out.len, &r, &err)
       == ICETAP_OK, "list opens");
    is_str(icetap_manifest_list_reader_meta(r, "parent-snapshot-id"), "null",
           "parent-snapshot-id null");
    is_str(icetap_manifest_list_reader_meta(r, "snapshot-id"),
           "3051729675574597004", "snapshot-id header");
    is_str(icetap_manifest_list_reader_meta(r, "sequence-number"), "7",
           "sequence-number header");
    is_str(icetap_manifest_list_reader_meta(r, "first-row-id"), "1000",
           "first-row-id header");
    is_str(icetap_manifest_list_reader_meta(r, "format-version"), "3",
           "format-version header");

    for (i = 0; i < 4; i++) {
        if (icetap_manifest_list_reader_next(r, &back, &err) != ICETAP_OK) {
            ok(0, "manifest %zu: %s", i, err.msg);
            continue;
        }

        is_int(back.first_row_id, expect_frid[i], "manifest %zu first_row_id",
               i);
        is_int(back.manifest_length, 1000 + (int64_t) i,
               "manifest %zu length", i);
    }

    ok(icetap_manifest_list_reader_next(r, &back, &err) == ICETAP_EOF,
       "four manifests");
    icetap_manifest_list_reader_destroy(r);

    /* again for the numbers of entries 0 and 1 */

    icetap_manifest_list_reader_create_mem(out.data, out.len, &r, &err);
    icetap_manifest_list_reader_next(r, &back, &err);
    ok(back.sequence_number == 7 && back.min_sequence_number == 7
       && back.added_snapshot_id == 3051729675574597004LL
       && back.content == 0 && back.added_rows_count == 100,
       "new manifest inherits the snapshot sequence number");
    ok(back.npartitions == 1 && back.partitions[0].contains_nan == -1
       && back.partitions[0].lower_len == 4 && back.partitions[0].upper == NULL,
       "field summary with null upper bound and contains_nan");
    icetap_manifest_list_reader_next(r, &back, &err);
    ok(back.sequence_number == 3 && back.min_sequence_number == 2,
       "old manifest keeps its sequence numbers");
    icetap_manifest_list_reader_destroy(r);

    /* v2: no first_row_id column, and a parent */

    icetap_buf_reset(&out);
    conf.format_version = 2;
    conf.parent_snapshot_id = 42;
    icetap_manifest_list_writer_create(&conf, &w, &err);
    icetap_manifest_list_writer_add(w, &mf[0], &err);
    icetap_manifest_list_writer_finish(w, &added, &err);
    icetap_manifest_list_writer_destroy(w);
    is_int(added, ICETAP_UNSET, "v2 has no added rows");

    icetap_manifest_list_reader_create_mem(out.data, out.len, &r, &err);
    is_str(icetap_manifest_list_reader_meta(r, "parent-snapshot-id"), "42",
           "v2 parent-snapshot-id");
    ok(icetap_manifest_list_reader_meta(r, "first-row-id") == NULL
       && strstr(icetap_manifest_list_reader_meta(r, "avro.schema"),
                 "first_row_id") == NULL, "v2 list has no row ids");
    ok(icetap_manifest_list_reader_next(r, &back, &err) == ICETAP_OK
       && back.first_row_id == ICETAP_UNSET, "v2 manifest read");
    icetap_manifest_list_reader_destroy(r);

    /* a manifest from the future */

    icetap_buf_reset(&out);
    icetap_manifest_list_writer_create(&conf, &w, &err);
    mf[0].sequence_number = 8;
    ok(icetap_manifest_list_writer_add(w, &mf[0], &err) == ICETAP_INVALID,
       "sequence number above the snapshot's: %s", err.msg);
    icetap_manifest_list_writer_destroy(w);

    icetap_buf_free(&out);
}


int
main(void)
{
    test_day_manifest(ICETAP_AVRO_CODEC_NULL);
    test_day_manifest(ICETAP_AVRO_CODEC_DEFLATE);
    test_partition_types();
    test_errors();
    test_list();

    return done_testing();
}
