/*
 * Copyright (C) icetap authors
 *
 * Test driver for the Avro cross-checks (t/120-avro-avsc.t): writes
 * manifests and manifest lists with fixed contents and prints, as JSON,
 * the values they are meant to hold; or reads such files with our reader
 * and prints what it found in the same JSON shape.  Longs are printed as
 * decimal strings so that JavaScript compares them exactly.
 *
 *   avro_driver write-manifest VERSION null|deflate data|deletes OUT
 *   avro_driver write-list VERSION null|deflate OUT
 *   avro_driver read-manifest FILE
 *   avro_driver read-list FILE
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <icetap/manifest.h>
#include <icetap/hash.h>


#define SNAP_ID  3051729675574597004LL


static const char  *schema_json =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"bucket\",\"required\":true,\"type\":\"string\"},"
    "{\"id\":2,\"name\":\"key\",\"required\":true,\"type\":\"string\"},"
    "{\"id\":3,\"name\":\"size\",\"required\":false,\"type\":\"long\"},"
    "{\"id\":4,\"name\":\"record_timestamp\",\"required\":true,"
    "\"type\":\"timestamp\"},"
    "{\"id\":5,\"name\":\"user_metadata\",\"required\":false,\"type\":"
    "{\"type\":\"map\",\"key-id\":6,\"key\":\"string\",\"value-id\":7,"
    "\"value\":\"string\",\"value-required\":false}}]}";


static json_t *
jlong(int64_t v)
{
    char  buf[24];

    if (v == ICETAP_UNSET) {
        return json_null();
    }

    snprintf(buf, sizeof(buf), "%lld", (long long) v);

    return json_string(buf);
}


static json_t *
jhex(const uint8_t *p, size_t len)
{
    char    *s;
    json_t  *j;

    if (p == NULL) {
        return json_null();
    }

    s = malloc(2 * len + 1);
    if (s == NULL) {
        return NULL;
    }

    icetap_hex_encode(p, len, s);
    j = json_string(s);
    free(s);

    return j;
}


static json_t *
jmetrics(const icetap_metric_t *m, const icetap_bound_t *b, size_t n)
{
    size_t   i;
    json_t  *a;

    if (n == 0) {
        return json_null();
    }

    a = json_array();

    for (i = 0; i < n; i++) {
        json_array_append_new(a, m ? json_pack("{s:i,s:o}", "key",
                                               (int) m[i].key, "value",
                                               jlong(m[i].value))
                                   : json_pack("{s:i,s:o}", "key",
                                               (int) b[i].key, "value",
                                               jhex(b[i].data, b[i].len)));
    }

    return a;
}


static json_t *
jpartition_value(const icetap_value_t *v)
{
    if (v->is_null) {
        return json_null();
    }

    switch (v->type) {
    case ICETAP_TYPE_INT:
    case ICETAP_TYPE_DATE:
        return json_integer(v->v.i);
    case ICETAP_TYPE_STRING:
        return json_stringn((const char *) v->v.bin.data, v->v.bin.len);
    default:
        return jlong(v->v.l);
    }
}


static json_t *
dump_entry(const icetap_manifest_entry_t *e, int version,
    const char **pnames)
{
    size_t                     i;
    json_t                    *df, *part, *a;
    const icetap_data_file_t  *f;

    f = &e->file;
    part = json_object();

    for (i = 0; i < f->npartition; i++) {
        json_object_set_new(part, pnames[i],
                            jpartition_value(&f->partition[i]));
    }

    df = json_object();
    json_object_set_new(df, "content", json_integer(f->content));
    json_object_set_new(df, "file_path", json_string(f->file_path));
    json_object_set_new(df, "file_format", json_string(f->file_format));
    json_object_set_new(df, "partition", part);
    json_object_set_new(df, "record_count", jlong(f->record_count));
    json_object_set_new(df, "file_size_in_bytes",
                        jlong(f->file_size_in_bytes));
    json_object_set_new(df, "column_sizes",
                        jmetrics(f->column_sizes, NULL, f->ncolumn_sizes));
    json_object_set_new(df, "value_counts",
                        jmetrics(f->value_counts, NULL, f->nvalue_counts));
    json_object_set_new(df, "null_value_counts",
                        jmetrics(f->null_value_counts, NULL,
                                 f->nnull_value_counts));
    json_object_set_new(df, "nan_value_counts",
                        jmetrics(f->nan_value_counts, NULL,
                                 f->nnan_value_counts));
    json_object_set_new(df, "lower_bounds",
                        jmetrics(NULL, f->lower_bounds, f->nlower_bounds));
    json_object_set_new(df, "upper_bounds",
                        jmetrics(NULL, f->upper_bounds, f->nupper_bounds));
    json_object_set_new(df, "key_metadata",
                        jhex(f->key_metadata, f->key_metadata_len));

    if (f->split_offsets) {
        a = json_array();
        for (i = 0; i < f->nsplit_offsets; i++) {
            json_array_append_new(a, jlong(f->split_offsets[i]));
        }

    } else {
        a = json_null();
    }

    json_object_set_new(df, "split_offsets", a);

    if (f->equality_ids) {
        a = json_array();
        for (i = 0; i < f->nequality_ids; i++) {
            json_array_append_new(a, json_integer(f->equality_ids[i]));
        }

    } else {
        a = json_null();
    }

    json_object_set_new(df, "equality_ids", a);
    json_object_set_new(df, "sort_order_id",
                        f->sort_order_id == ICETAP_UNSET
                        ? json_null() : json_integer(f->sort_order_id));
    json_object_set_new(df, "referenced_data_file",
                        f->referenced_data_file
                        ? json_string(f->referenced_data_file)
                        : json_null());

    if (version >= 3) {
        json_object_set_new(df, "first_row_id", jlong(f->first_row_id));
        json_object_set_new(df, "content_offset", jlong(f->content_offset));
        json_object_set_new(df, "content_size_in_bytes",
                            jlong(f->content_size_in_bytes));
    }

    return json_pack("{s:i,s:o,s:o,s:o,s:o}", "status", e->status,
                     "snapshot_id", jlong(e->snapshot_id), "sequence_number",
                     jlong(e->sequence_number), "file_sequence_number",
                     jlong(e->file_sequence_number), "data_file", df);
}


static json_t *
dump_manifest_file(const icetap_manifest_file_t *mf, int version)
{
    size_t                         i;
    json_t                        *o, *a;
    const icetap_field_summary_t  *s;

    o = json_object();
    json_object_set_new(o, "manifest_path", json_string(mf->manifest_path));
    json_object_set_new(o, "manifest_length", jlong(mf->manifest_length));
    json_object_set_new(o, "partition_spec_id",
                        json_integer(mf->partition_spec_id));
    json_object_set_new(o, "content", json_integer(mf->content));
    json_object_set_new(o, "sequence_number", jlong(mf->sequence_number));
    json_object_set_new(o, "min_sequence_number",
                        jlong(mf->min_sequence_number));
    json_object_set_new(o, "added_snapshot_id",
                        jlong(mf->added_snapshot_id));
    json_object_set_new(o, "added_files_count",
                        json_integer(mf->added_files_count));
    json_object_set_new(o, "existing_files_count",
                        json_integer(mf->existing_files_count));
    json_object_set_new(o, "deleted_files_count",
                        json_integer(mf->deleted_files_count));
    json_object_set_new(o, "added_rows_count", jlong(mf->added_rows_count));
    json_object_set_new(o, "existing_rows_count",
                        jlong(mf->existing_rows_count));
    json_object_set_new(o, "deleted_rows_count",
                        jlong(mf->deleted_rows_count));

    if (mf->partitions) {
        a = json_array();

        for (i = 0; i < mf->npartitions; i++) {
            s = &mf->partitions[i];
            json_array_append_new(a,
                json_pack("{s:b,s:o,s:o,s:o}", "contains_null",
                          s->contains_null, "contains_nan",
                          s->contains_nan < 0 ? json_null()
                                              : json_boolean(s->contains_nan),
                          "lower_bound", jhex(s->lower, s->lower_len),
                          "upper_bound", jhex(s->upper, s->upper_len)));
        }

    } else {
        a = json_null();
    }

    json_object_set_new(o, "partitions", a);
    json_object_set_new(o, "key_metadata",
                        jhex(mf->key_metadata, mf->key_metadata_len));

    if (version >= 3) {
        json_object_set_new(o, "first_row_id", jlong(mf->first_row_id));
    }

    return o;
}


static int
print_json(json_t *j)
{
    char  *s;

    s = json_dumps(j, JSON_COMPACT);
    json_decref(j);

    if (s == NULL) {
        return 1;
    }

    printf("%s\n", s);
    free(s);

    return 0;
}


static int
fail(const char *what, const icetap_error_t *err)
{
    fprintf(stderr, "avro_driver: %s: %s\n", what, err->msg);
    return 1;
}


static int
save(const char *path, const icetap_buf_t *b)
{
    FILE  *f;

    f = fopen(path, "wb");
    if (f == NULL || fwrite(b->data, 1, b->len, f) != b->len) {
        perror(path);
        if (f) {
            fclose(f);
        }

        return 1;
    }

    return fclose(f) != 0;
}


static int
load(const char *path, icetap_buf_t *b)
{
    FILE    *f;
    size_t   n;
    uint8_t  chunk[65536];

    f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return 1;
    }

    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (icetap_buf_append(b, chunk, n) != ICETAP_OK) {
            fclose(f);
            return 1;
        }
    }

    fclose(f);

    return 0;
}


static void
entry_init(icetap_manifest_entry_t *e, const char *path)
{
    memset(e, 0, sizeof(*e));
    e->status = ICETAP_STATUS_ADDED;
    e->snapshot_id = SNAP_ID;
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


static int
write_manifest(int version, icetap_avro_codec_t codec, int deletes,
    const char *out)
{
    int                             rc, n, i;
    json_t                         *entries, *sj;
    icetap_buf_t                    b;
    json_error_t                    je;
    icetap_error_t                  err;
    icetap_schema_t                *schema;
    icetap_value_t                  part[3];
    icetap_manifest_file_t          mf;
    icetap_partition_spec_t         spec;
    icetap_manifest_entry_t         e[3];
    icetap_manifest_writer_t       *w;
    icetap_manifest_writer_conf_t   conf;

    static const icetap_metric_t  sizes[] = { { 1, 100 }, { 4, 80 } };
    static const icetap_metric_t  counts[] = { { 1, 3 }, { 4, 3 } };
    static const icetap_metric_t  nulls[] = { { 3, 1 } };
    static const icetap_metric_t  nans[] = { { 3, 0 } };
    static const icetap_bound_t   lower[] = {
        { 1, (const uint8_t *) "a", 1 },
        { 4, (const uint8_t *) "\x00\x75\x1e\x4a\x7b\x5e\x05\x00", 8 }
    };
    static const icetap_bound_t   upper[] = {
        { 1, (const uint8_t *) "zz\xc3\xa9", 4 }
    };
    static const int64_t          splits[] = { 4, 1LL << 40 };
    static const int32_t          eq_ids[] = { 1, 2 };
    static const char            *pnames[] = { "record_timestamp_day" };

    sj = json_loads(schema_json, 0, &je);

    if (icetap_schema_from_json(sj, &schema, &err) != ICETAP_OK) {
        return fail("schema", &err);
    }

    json_decref(sj);

    memset(&spec, 0, sizeof(spec));
    icetap_partition_spec_add_field(&spec, "record_timestamp_day", "day", 4,
                                    1000, &err);

    memset(&b, 0, sizeof(b));
    memset(&conf, 0, sizeof(conf));
    conf.format_version = version;
    conf.content = deletes ? ICETAP_MANIFEST_DELETES : ICETAP_MANIFEST_DATA;
    conf.schema = schema;
    conf.spec = &spec;
    conf.snapshot_id = SNAP_ID;
    conf.codec = codec;
    conf.write = icetap_avro_write_buf;
    conf.ctx = &b;

    if (icetap_manifest_writer_create(&conf, &w, &err) != ICETAP_OK) {
        return fail("manifest writer", &err);
    }

    memset(part, 0, sizeof(part));
    part[0].type = ICETAP_TYPE_DATE;
    part[0].v.i = 17486;
    part[1].type = ICETAP_TYPE_DATE;
    part[1].is_null = 1;
    part[2].type = ICETAP_TYPE_DATE;
    part[2].v.i = -3;

    if (deletes) {
        entry_init(&e[0], "s3://bkt/wh/db/journal/data/dv-1.puffin");
        e[0].file.content = ICETAP_CONTENT_POS_DELETES;
        e[0].file.file_format = "PUFFIN";
        e[0].file.partition = &part[0];
        e[0].file.npartition = 1;
        e[0].file.record_count = 5;
        e[0].file.file_size_in_bytes = 230;
        e[0].file.referenced_data_file =
            "s3://bkt/wh/db/journal/data/a.parquet";

        if (version >= 3) {
            e[0].file.content_offset = 4;
            e[0].file.content_size_in_bytes = 50;
        }

        entry_init(&e[1], "s3://bkt/wh/db/journal/data/eq.parquet");
        e[1].file.content = ICETAP_CONTENT_EQ_DELETES;
        e[1].file.partition = &part[1];
        e[1].file.npartition = 1;
        e[1].file.record_count = 2;
        e[1].file.file_size_in_bytes = 600;
        e[1].file.equality_ids = eq_ids;
        e[1].file.nequality_ids = 2;
        n = 2;

    } else {
        entry_init(&e[0], "s3://bkt/wh/db/journal/data/a.parquet");
        e[0].file.partition = &part[0];
        e[0].file.npartition = 1;
        e[0].file.record_count = 3;
        e[0].file.file_size_in_bytes = 958;
        e[0].file.column_sizes = sizes;
        e[0].file.ncolumn_sizes = 2;
        e[0].file.value_counts = counts;
        e[0].file.nvalue_counts = 2;
        e[0].file.null_value_counts = nulls;
        e[0].file.nnull_value_counts = 1;
        e[0].file.nan_value_counts = nans;
        e[0].file.nnan_value_counts = 1;
        e[0].file.lower_bounds = lower;
        e[0].file.nlower_bounds = 2;
        e[0].file.upper_bounds = upper;
        e[0].file.nupper_bounds = 1;
        e[0].file.split_offsets = splits;
        e[0].file.nsplit_offsets = 2;
        e[0].file.sort_order_id = 0;

        entry_init(&e[1], "s3://bkt/wh/db/journal/data/b.parquet");
        e[1].status = ICETAP_STATUS_EXISTING;
        e[1].snapshot_id = 9007199254740993LL;
        e[1].sequence_number = 4;
        e[1].file_sequence_number = 5;
        e[1].file.partition = &part[1];
        e[1].file.npartition = 1;
        e[1].file.record_count = 1LL << 60;
        e[1].file.file_size_in_bytes = 1LL << 62;
        e[1].file.key_metadata = (const uint8_t *) "\x01\x02\xff";
        e[1].file.key_metadata_len = 3;

        if (version >= 3) {
            e[1].file.first_row_id = 9007199254740995LL;
        }

        entry_init(&e[2], "s3://bkt/wh/db/journal/data/c.parquet");
        e[2].status = ICETAP_STATUS_DELETED;
        e[2].sequence_number = 2;
        e[2].file_sequence_number = 3;
        e[2].file.partition = &part[2];
        e[2].file.npartition = 1;
        e[2].file.record_count = 0;
        e[2].file.file_size_in_bytes = 1;
        e[2].file.sort_order_id = 1;
        n = 3;
    }

    entries = json_array();
    rc = 0;

    for (i = 0; i < n; i++) {
        if (icetap_manifest_writer_add(w, &e[i], &err) != ICETAP_OK) {
            rc = fail("add", &err);
            break;
        }

        json_array_append_new(entries, dump_entry(&e[i], version, pnames));
    }

    if (rc == 0 && icetap_manifest_writer_finish(w, out, &mf, &err)
                   != ICETAP_OK)
    {
        rc = fail("finish", &err);
    }

    if (rc == 0) {
        rc = save(out, &b);
    }

    if (rc == 0) {
        rc = print_json(json_pack("{s:o,s:o}", "entries", entries,
                                  "summary",
                                  dump_manifest_file(&mf, version)));
    } else {
        json_decref(entries);
    }

    icetap_manifest_writer_destroy(w);
    icetap_partition_spec_clear(&spec);
    icetap_schema_free(schema);
    icetap_buf_free(&b);

    return rc;
}


static int
write_list(int version, icetap_avro_codec_t codec, const char *out)
{
    int                                  rc;
    size_t                               i;
    json_t                              *a;
    int64_t                              added, next;
    icetap_buf_t                         b;
    icetap_error_t                       err;
    icetap_manifest_file_t               mf[4], exp;
    icetap_field_summary_t               sums[2];
    icetap_manifest_list_writer_t       *w;
    icetap_manifest_list_writer_conf_t   conf;

    memset(&b, 0, sizeof(b));
    memset(&conf, 0, sizeof(conf));
    conf.format_version = version;
    conf.snapshot_id = SNAP_ID;
    conf.parent_snapshot_id = 9007199254740993LL;
    conf.sequence_number = 7;
    conf.first_row_id = 9007199254740000LL;
    conf.codec = codec;
    conf.write = icetap_avro_write_buf;
    conf.ctx = &b;

    if (icetap_manifest_list_writer_create(&conf, &w, &err) != ICETAP_OK) {
        return fail("list writer", &err);
    }

    memset(sums, 0, sizeof(sums));
    sums[0].contains_null = 1;
    sums[0].contains_nan = 0;
    sums[0].lower = (const uint8_t *) "\x48\x44\x00\x00";
    sums[0].lower_len = 4;
    sums[0].upper = (const uint8_t *) "\x4e\x44\x00\x00";
    sums[0].upper_len = 4;
    sums[1].contains_nan = -1;

    for (i = 0; i < 4; i++) {
        memset(&mf[i], 0, sizeof(mf[i]));
        mf[i].manifest_path = i == 0 ? "s3://bkt/m/new-m0.avro"
                                     : "s3://bkt/m/old.avro";
        mf[i].manifest_length = 4000 + (int64_t) i;
        mf[i].partition_spec_id = (int32_t) i % 2;
        mf[i].content = i == 2 ? ICETAP_MANIFEST_DELETES
                               : ICETAP_MANIFEST_DATA;
        mf[i].sequence_number = i == 0 ? ICETAP_UNSET : 3;
        mf[i].min_sequence_number = i == 0 ? ICETAP_UNSET : 1;
        mf[i].added_snapshot_id = i == 0 ? SNAP_ID : 1LL << 55;
        mf[i].added_files_count = 2;
        mf[i].existing_files_count = (int32_t) i;
        mf[i].deleted_files_count = 1;
        mf[i].added_rows_count = 100 * (int64_t) i + 7;
        mf[i].existing_rows_count = 1LL << 33;
        mf[i].deleted_rows_count = 5;
        mf[i].partitions = (i == 3) ? NULL : sums;
        mf[i].npartitions = (i == 1) ? 2 : 1;
        mf[i].first_row_id = (i == 3) ? 12 : ICETAP_UNSET;
    }

    mf[1].key_metadata = (const uint8_t *) "k";
    mf[1].key_metadata_len = 1;

    a = json_array();
    rc = 0;
    next = conf.first_row_id;

    for (i = 0; i < 4; i++) {
        if (icetap_manifest_list_writer_add(w, &mf[i], &err) != ICETAP_OK) {
            rc = fail("add", &err);
            break;
        }

        /* what the spec says the list must hold (sections 4.1 and 6) */

        exp = mf[i];

        if (exp.sequence_number == ICETAP_UNSET) {
            exp.sequence_number = conf.sequence_number;
            exp.min_sequence_number = conf.sequence_number;
        }

        if (version >= 3 && exp.content == ICETAP_MANIFEST_DATA
            && exp.first_row_id == ICETAP_UNSET)
        {
            exp.first_row_id = next;
            next += exp.added_rows_count + exp.existing_rows_count;
        }

        if (exp.content != ICETAP_MANIFEST_DATA) {
            exp.first_row_id = ICETAP_UNSET;
        }

        json_array_append_new(a, dump_manifest_file(&exp, version));
    }

    if (rc == 0
        && icetap_manifest_list_writer_finish(w, &added, &err) != ICETAP_OK)
    {
        rc = fail("finish", &err);
    }

    if (rc == 0 && version >= 3 && added != next - conf.first_row_id) {
        fprintf(stderr, "avro_driver: added rows %lld, expected %lld\n",
                (long long) added, (long long) (next - conf.first_row_id));
        rc = 1;
    }

    if (rc == 0) {
        rc = save(out, &b);
    }

    if (rc == 0) {
        rc = print_json(json_pack("{s:o,s:o}", "manifests", a, "added_rows",
                                  jlong(added)));
    } else {
        json_decref(a);
    }

    icetap_manifest_list_writer_destroy(w);
    icetap_buf_free(&b);

    return rc;
}


static int
read_manifest(const char *path)
{
    int                        rc, version;
    size_t                     i, n;
    json_t                    *entries, *meta, *pspec;
    const char                *ps, *pnames[64];
    icetap_rc                  r;
    icetap_buf_t               b;
    json_error_t               je;
    icetap_error_t             err;
    const int32_t             *ids;
    icetap_manifest_entry_t    e;
    icetap_manifest_reader_t  *mr;

    memset(&b, 0, sizeof(b));

    if (load(path, &b) != 0) {
        return 1;
    }

    if (icetap_manifest_reader_create_mem(b.data, b.len, &mr, &err)
        != ICETAP_OK)
    {
        icetap_buf_free(&b);
        return fail("open manifest", &err);
    }

    version = icetap_manifest_reader_format_version(mr);
    n = icetap_manifest_reader_partition_ids(mr, &ids);

    ps = icetap_manifest_reader_meta(mr, "partition-spec");
    pspec = ps ? json_loads(ps, 0, &je) : NULL;

    for (i = 0; i < n && i < 64; i++) {
        pnames[i] = json_string_value(json_object_get(
                                          json_array_get(pspec, i), "name"));
        if (pnames[i] == NULL) {
            pnames[i] = "?";
        }
    }

    meta = json_object();
    json_object_set_new(meta, "format-version",
                        json_string(icetap_manifest_reader_meta(
                                        mr, "format-version")));
    json_object_set_new(meta, "content",
                        json_string(icetap_manifest_reader_meta(mr,
                                                                "content")));

    entries = json_array();
    rc = 0;

    for ( ;; ) {
        r = icetap_manifest_reader_next(mr, &e, &err);
        if (r == ICETAP_EOF) {
            break;
        }

        if (r != ICETAP_OK) {
            rc = fail("read manifest", &err);
            break;
        }

        json_array_append_new(entries, dump_entry(&e, version, pnames));
    }

    if (rc == 0) {
        rc = print_json(json_pack("{s:o,s:o}", "meta", meta, "entries",
                                  entries));
    } else {
        json_decref(meta);
        json_decref(entries);
    }

    json_decref(pspec);
    icetap_manifest_reader_destroy(mr);
    icetap_buf_free(&b);

    return rc;
}


static int
read_list(const char *path)
{
    int                             rc, version;
    json_t                         *a, *meta;
    icetap_rc                       r;
    const char                     *v;
    icetap_buf_t                    b;
    icetap_error_t                  err;
    icetap_manifest_file_t          mf;
    icetap_manifest_list_reader_t  *lr;

    static const char  *keys[] = {
        "snapshot-id", "parent-snapshot-id", "sequence-number",
        "format-version", "first-row-id", NULL
    };

    const char  **k;

    memset(&b, 0, sizeof(b));

    if (load(path, &b) != 0) {
        return 1;
    }

    if (icetap_manifest_list_reader_create_mem(b.data, b.len, &lr, &err)
        != ICETAP_OK)
    {
        icetap_buf_free(&b);
        return fail("open list", &err);
    }

    meta = json_object();

    for (k = keys; *k; k++) {
        v = icetap_manifest_list_reader_meta(lr, *k);
        if (v) {
            json_object_set_new(meta, *k, json_string(v));
        }
    }

    v = icetap_manifest_list_reader_meta(lr, "format-version");
    version = v ? atoi(v) : 2;

    a = json_array();
    rc = 0;

    for ( ;; ) {
        r = icetap_manifest_list_reader_next(lr, &mf, &err);
        if (r == ICETAP_EOF) {
            break;
        }

        if (r != ICETAP_OK) {
            rc = fail("read list", &err);
            break;
        }

        json_array_append_new(a, dump_manifest_file(&mf, version));
    }

    if (rc == 0) {
        rc = print_json(json_pack("{s:o,s:o}", "meta", meta, "manifests",
                                  a));
    } else {
        json_decref(a);
        json_decref(meta);
    }

    icetap_manifest_list_reader_destroy(lr);
    icetap_buf_free(&b);

    return rc;
}


static icetap_avro_codec_t
codec_of(const char *s)
{
    return strcmp(s, "deflate") == 0 ? ICETAP_AVRO_CODEC_DEFLATE
                                     : ICETAP_AVRO_CODEC_NULL;
}


int
main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "write-manifest") == 0) {
        return write_manifest(atoi(argv[2]), codec_of(argv[3]),
                              strcmp(argv[4], "deletes") == 0, argv[5]);
    }

    if (argc == 5 && strcmp(argv[1], "write-list") == 0) {
        return write_list(atoi(argv[2]), codec_of(argv[3]), argv[4]);
    }

    if (argc == 3 && strcmp(argv[1], "read-manifest") == 0) {
        return read_manifest(argv[2]);
    }

    if (argc == 3 && strcmp(argv[1], "read-list") == 0) {
        return read_list(argv[2]);
    }

    fprintf(stderr, "usage: avro_driver write-manifest VERSION CODEC "
            "data|deletes OUT | write-list VERSION CODEC OUT | "
            "read-manifest FILE | read-list FILE\n");

    return 2;
}
