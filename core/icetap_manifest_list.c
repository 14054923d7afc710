/*
 * Copyright (C) icetap authors
 *
 * Iceberg manifest lists: the manifest_file schema for v2/v3, the writer
 * (sequence number inheritance for new manifests, v3 first_row_id
 * assignment) and the reader.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <icetap/manifest.h>


struct icetap_manifest_list_writer_s {
    icetap_avro_writer_t       *avro;
    icetap_avro_arena_t        *arena;
    const icetap_avro_node_t   *root;
    int                         format_version;
    int64_t                     sequence_number;
    int64_t                     first_row_id;
    int64_t                     next_row_id;
};


struct icetap_manifest_list_reader_s {
    icetap_avro_reader_t       *avro;
    icetap_avro_arena_t        *arena;
    const icetap_avro_node_t   *root;
};


static const char  *icetap_ml_schema_head =
    "{\"type\":\"record\",\"name\":\"manifest_file\",\"fields\":["
    "{\"name\":\"manifest_path\",\"type\":\"string\",\"field-id\":500},"
    "{\"name\":\"manifest_length\",\"type\":\"long\",\"field-id\":501},"
    "{\"name\":\"partition_spec_id\",\"type\":\"int\",\"field-id\":502},"
    "{\"name\":\"content\",\"type\":\"int\",\"field-id\":517},"
    "{\"name\":\"sequence_number\",\"type\":\"long\",\"field-id\":515},"
    "{\"name\":\"min_sequence_number\",\"type\":\"long\","
    "\"field-id\":516},"
    "{\"name\":\"added_snapshot_id\",\"type\":\"long\",\"field-id\":503},"
    "{\"name\":\"added_files_count\",\"type\":\"int\",\"field-id\":504},"
    "{\"name\":\"existing_files_count\",\"type\":\"int\","
    "\"field-id\":505},"
    "{\"name\":\"deleted_files_count\",\"type\":\"int\",\"field-id\":506},"
    "{\"name\":\"added_rows_count\",\"type\":\"long\",\"field-id\":512},"
    "{\"name\":\"existing_rows_count\",\"type\":\"long\","
    "\"field-id\":513},"
    "{\"name\":\"deleted_rows_count\",\"type\":\"long\",\"field-id\":514},"
    "{\"name\":\"partitions\",\"type\":[\"null\",{\"type\":\"array\","
    "\"element-id\":508,\"items\":{\"type\":\"record\",\"name\":\"r508\","
    "\"fields\":["
    "{\"name\":\"contains_null\",\"type\":\"boolean\",\"field-id\":509},"
    "{\"name\":\"contains_nan\",\"type\":[\"null\",\"boolean\"],"
    "\"default\":null,\"field-id\":518},"
    "{\"name\":\"lower_bound\",\"type\":[\"null\",\"bytes\"],"
    "\"default\":null,\"field-id\":510},"
    "{\"name\":\"upper_bound\",\"type\":[\"null\",\"bytes\"],"
    "\"default\":null,\"field-id\":511}]}}],\"default\":null,"
    "\"field-id\":507},"
    "{\"name\":\"key_metadata\",\"type\":[\"null\",\"bytes\"],"
    "\"default\":null,\"field-id\":519}";

static const char  *icetap_ml_schema_v3 =
    ",{\"name\":\"first_row_id\",\"type\":[\"null\",\"long\"],"
    "\"default\":null,\"field-id\":520}";


icetap_rc
icetap_manifest_list_avro_schema(int format_version, char **json,
    icetap_error_t *err)
{
    char    *s;
    size_t   a, b;

    a = strlen(icetap_ml_schema_head);
    b = format_version >= 3 ? strlen(icetap_ml_schema_v3) : 0;

    s = icetap_alloc(a + b + 3);
    if (s == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    memcpy(s, icetap_ml_schema_head, a);
    memcpy(s + a, icetap_ml_schema_v3, b);
    memcpy(s + a + b, "]}", 3);

    *json = s;

    return ICETAP_OK;
}


icetap_rc
icetap_manifest_list_writer_create(
    const icetap_manifest_list_writer_conf_t *conf,
    icetap_manifest_list_writer_t **out, icetap_error_t *err)
{
    char                           *schema;
    char                            sid[24], pid[24], seq[24], ver[4];
    char                            frid[24];
    size_t                          i, nmeta;
    icetap_rc                       rc;
    icetap_avro_meta_t              meta[5];
    icetap_avro_writer_conf_t       ac;
    icetap_manifest_list_writer_t  *w;

    *out = NULL;

    if (conf->format_version != 2 && conf->format_version != 3) {
        return icetap_error_set(err, ICETAP_UNSUPPORTED,
                                "manifest lists of format v%d are not "
                                "supported", conf->format_version);
    }

    if (conf->snapshot_id <= 0 || conf->sequence_number <= 0
        || (conf->format_version >= 3 && conf->first_row_id < 0))
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "manifest list needs a snapshot id, a "
                                "sequence number and (v3) a first row id");
    }

    w = icetap_calloc(1, sizeof(icetap_manifest_list_writer_t));
    if (w == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    w->format_version = conf->format_version;
    w->sequence_number = conf->sequence_number;
    w->first_row_id = conf->first_row_id;
    w->next_row_id = conf->first_row_id;

    w->arena = icetap_avro_arena_create(0);
    if (w->arena == NULL) {
        icetap_free(w);
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    rc = icetap_manifest_list_avro_schema(conf->format_version, &schema,
                                          err);
    if (rc != ICETAP_OK) {
        icetap_manifest_list_writer_destroy(w);
        return rc;
    }

    snprintf(sid, sizeof(sid), "%lld", (long long) conf->snapshot_id);
    snprintf(seq, sizeof(seq), "%lld", (long long) conf->sequence_number);
    snprintf(ver, sizeof(ver), "%d", conf->format_version);
    snprintf(frid, sizeof(frid), "%lld", (long long) conf->first_row_id);

    if (conf->parent_snapshot_id == ICETAP_NO_SNAPSHOT) {
        snprintf(pid, sizeof(pid), "null");

    } else {
        snprintf(pid, sizeof(pid), "%lld",
                 (long long) conf->parent_snapshot_id);
    }

    meta[0].key = "snapshot-id";
    meta[0].value = sid;
    meta[1].key = "parent-snapshot-id";
    meta[1].value = pid;
    meta[2].key = "sequence-number";
    meta[2].value = seq;
    meta[3].key = "format-version";
    meta[3].value = ver;
    meta[4].key = "first-row-id";
    meta[4].value = frid;
    nmeta = conf->format_version >= 3 ? 5 : 4;

    for (i = 0; i < nmeta; i++) {
        meta[i].len = strlen(meta[i].value);
    }

    memset(&ac, 0, sizeof(ac));
    ac.schema_json = schema;
    ac.codec = conf->codec;
    ac.meta = meta;
    ac.nmeta = nmeta;
    ac.sync = conf->sync;
    ac.block_size = conf->block_size;
    ac.write = conf->write;
    ac.ctx = conf->ctx;

    rc = icetap_avro_writer_create(&ac, &w->avro, err);

    icetap_free(schema);

    if (rc != ICETAP_OK) {
        icetap_manifest_list_writer_destroy(w);
        return rc;
    }

    w->root = icetap_avro_writer_schema(w->avro);

    *out = w;

    return ICETAP_OK;
}


static void
icetap_ml_opt_bytes(icetap_avro_value_t *v, const uint8_t *p, size_t len)
{
    if (p == NULL) {
        icetap_avro_set_null(v);

    } else {
        icetap_avro_set_bytes(v, ICETAP_AVRO_BYTES, p, len);
    }
}


icetap_rc
icetap_manifest_list_writer_add(icetap_manifest_list_writer_t *w,
    const icetap_manifest_file_t *mf, icetap_error_t *err)
{
    size_t                         i, k;
    int64_t                        seq, min_seq, first_row_id;
    const char                    *name;
    icetap_avro_value_t            v, *fv, *items, *s;
    const icetap_field_summary_t  *ps;

    if (mf->manifest_path == NULL || mf->manifest_length < 0
        || (mf->content != ICETAP_MANIFEST_DATA
            && mf->content != ICETAP_MANIFEST_DELETES))
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "manifest without a path, a length or a "
                                "valid content");
    }

    /* a manifest added by this snapshot inherits its sequence number */

    seq = mf->sequence_number;
    min_seq = mf->min_sequence_number;

    if (seq == ICETAP_UNSET) {
        seq = w->sequence_number;
    }

    if (min_seq == ICETAP_UNSET) {
        min_seq = seq;
    }

    if (seq > w->sequence_number || min_seq > seq) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "manifest %.128s: sequence numbers %lld/%lld "
                                "do not fit snapshot sequence %lld",
                                mf->manifest_path, (long long) seq,
                                (long long) min_seq,
                                (long long) w->sequence_number);
    }

    /* v3 row lineage: spec section 6 */

    first_row_id = ICETAP_UNSET;

    if (w->format_version >= 3 && mf->content == ICETAP_MANIFEST_DATA) {
        first_row_id = mf->first_row_id;

        if (first_row_id == ICETAP_UNSET) {
            if (mf->added_rows_count < 0 || mf->existing_rows_count < 0) {
                return icetap_error_set(err, ICETAP_INVALID,
                                        "manifest %.128s: negative row "
                                        "counts", mf->manifest_path);
            }

            first_row_id = w->next_row_id;
            w->next_row_id += mf->added_rows_count + mf->existing_rows_count;
        }
    }

    icetap_avro_arena_reset(w->arena);

    fv = icetap_avro_set_record(w->arena, &v, w->root->nfields);
    if (fv == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    for (i = 0; i < w->root->nfields; i++) {
        name = w->root->fields[i].name;

        if (strcmp(name, "manifest_path") == 0) {
            icetap_avro_set_string(&fv[i], mf->manifest_path);

        } else if (strcmp(name, "manifest_length") == 0) {
            icetap_avro_set_long(&fv[i], mf->manifest_length);

        } else if (strcmp(name, "partition_spec_id") == 0) {
            icetap_avro_set_int(&fv[i], mf->partition_spec_id);

        } else if (strcmp(name, "content") == 0) {
            icetap_avro_set_int(&fv[i], mf->content);

        } else if (strcmp(name, "sequence_number") == 0) {
            icetap_avro_set_long(&fv[i], seq);

        } else if (strcmp(name, "min_sequence_number") == 0) {
            icetap_avro_set_long(&fv[i], min_seq);

        } else if (strcmp(name, "added_snapshot_id") == 0) {
            icetap_avro_set_long(&fv[i], mf->added_snapshot_id);

        } else if (strcmp(name, "added_files_count") == 0) {
            icetap_avro_set_int(&fv[i], mf->added_files_count);

        } else if (strcmp(name, "existing_files_count") == 0) {
            icetap_avro_set_int(&fv[i], mf->existing_files_count);

        } else if (strcmp(name, "deleted_files_count") == 0) {
            icetap_avro_set_int(&fv[i], mf->deleted_files_count);

        } else if (strcmp(name, "added_rows_count") == 0) {
            icetap_avro_set_long(&fv[i], mf->added_rows_count);

        } else if (strcmp(name, "existing_rows_count") == 0) {
            icetap_avro_set_long(&fv[i], mf->existing_rows_count);

        } else if (strcmp(name, "deleted_rows_count") == 0) {
            icetap_avro_set_long(&fv[i], mf->deleted_rows_count);

        } else if (strcmp(name, "partitions") == 0) {
            if (mf->partitions == NULL) {
                icetap_avro_set_null(&fv[i]);
                continue;
            }

            items = icetap_avro_set_array(w->arena, &fv[i], mf->npartitions);
            if (items == NULL) {
                return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
            }

            for (k = 0; k < mf->npartitions; k++) {
                ps = &mf->partitions[k];

                s = icetap_avro_set_record(w->arena, &items[k], 4);
                if (s == NULL) {
                    return icetap_error_set(err, ICETAP_NOMEM,
                                            "out of memory");
                }

                icetap_avro_set_boolean(&s[0], ps->contains_null);

                if (ps->contains_nan < 0) {
                    icetap_avro_set_null(&s[1]);

                } else {
                    icetap_avro_set_boolean(&s[1], ps->contains_nan);
                }

                icetap_ml_opt_bytes(&s[2], ps->lower, ps->lower_len);
                icetap_ml_opt_bytes(&s[3], ps->upper, ps->upper_len);
            }

        } else if (strcmp(name, "key_metadata") == 0) {
            icetap_ml_opt_bytes(&fv[i], mf->key_metadata,
                                mf->key_metadata_len);

        } else if (strcmp(name, "first_row_id") == 0) {
            if (first_row_id == ICETAP_UNSET) {
                icetap_avro_set_null(&fv[i]);

            } else {
                icetap_avro_set_long(&fv[i], first_row_id);
            }

        } else {
            icetap_avro_set_null(&fv[i]);
        }
    }

    return icetap_avro_writer_append(w->avro, &v, err);
}


icetap_rc
icetap_manifest_list_writer_finish(icetap_manifest_list_writer_t *w,
    int64_t *added_rows, icetap_error_t *err)
{
    icetap_rc  rc;

    rc = icetap_avro_writer_finish(w->avro, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (added_rows) {
        *added_rows = w->format_version >= 3
                      ? w->next_row_id - w->first_row_id : ICETAP_UNSET;
    }

    return ICETAP_OK;
}


void
icetap_manifest_list_writer_destroy(icetap_manifest_list_writer_t *w)
{
    if (w == NULL) {
        return;
    }

    icetap_avro_writer_destroy(w->avro);
    icetap_avro_arena_destroy(w->arena);
    icetap_free(w);
}


/* reader */

static icetap_rc
icetap_ml_reader_init(icetap_manifest_list_reader_t *r,
    icetap_manifest_list_reader_t **out, icetap_error_t *err)
{
    r->root = icetap_avro_reader_schema(r->avro);

    if (r->root->type != ICETAP_AVRO_RECORD
        || icetap_avro_field(r->root, "manifest_path") == NULL)
    {
        icetap_manifest_list_reader_destroy(r);
        return icetap_error_set(err, ICETAP_INVALID,
                                "not an Iceberg manifest list: no "
                                "manifest_file record");
    }

    *out = r;

    return ICETAP_OK;
}


static icetap_manifest_list_reader_t *
icetap_ml_reader_new(icetap_error_t *err)
{
    icetap_manifest_list_reader_t  *r;

    r = icetap_calloc(1, sizeof(icetap_manifest_list_reader_t));
    if (r != NULL) {
        r->arena = icetap_avro_arena_create(0);
        if (r->arena == NULL) {
            icetap_free(r);
            r = NULL;
        }
    }

    if (r == NULL) {
        icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    return r;
}


icetap_rc
icetap_manifest_list_reader_create(icetap_avro_read_pt read, void *ctx,
    icetap_manifest_list_reader_t **out, icetap_error_t *err)
{
    icetap_rc                       rc;
    icetap_manifest_list_reader_t  *r;

    *out = NULL;

    r = icetap_ml_reader_new(err);
    if (r == NULL) {
        return ICETAP_NOMEM;
    }

    rc = icetap_avro_reader_create(read, ctx, &r->avro, err);
    if (rc != ICETAP_OK) {
        icetap_manifest_list_reader_destroy(r);
        return rc;
    }

    return icetap_ml_reader_init(r, out, err);
}


icetap_rc
icetap_manifest_list_reader_create_mem(const void *data, size_t len,
    icetap_manifest_list_reader_t **out, icetap_error_t *err)
{
    icetap_rc                       rc;
    icetap_manifest_list_reader_t  *r;

    *out = NULL;

    r = icetap_ml_reader_new(err);
    if (r == NULL) {
        return ICETAP_NOMEM;
    }

    rc = icetap_avro_reader_create_mem(data, len, &r->avro, err);
    if (rc != ICETAP_OK) {
        icetap_manifest_list_reader_destroy(r);
        return rc;
    }

    return icetap_ml_reader_init(r, out, err);
}


const char *
icetap_manifest_list_reader_meta(const icetap_manifest_list_reader_t *r,
    const char *key)
{
    return icetap_avro_reader_meta(r->avro, key, NULL);
}


static int64_t
icetap_ml_long(const icetap_avro_value_t *v)
{
    if (v->type == ICETAP_AVRO_UNION) {
        v = v->v.u.value;
    }

    switch (v->type) {
    case ICETAP_AVRO_INT:
        return v->v.i;
    case ICETAP_AVRO_LONG:
        return v->v.l;
    default:
        return ICETAP_UNSET;
    }
}


static const icetap_avro_value_t *
icetap_ml_bytes(const icetap_avro_value_t *v)
{
    if (v->type == ICETAP_AVRO_UNION) {
        v = v->v.u.value;
    }

    return v->type == ICETAP_AVRO_BYTES ? v : NULL;
}


static icetap_rc
icetap_ml_read_summaries(icetap_manifest_list_reader_t *r,
    const icetap_avro_value_t *v, icetap_manifest_file_t *mf,
    icetap_error_t *err)
{
    size_t                      i, k;
    const char                 *name;
    const icetap_avro_node_t   *rec;
    icetap_field_summary_t     *s;
    const icetap_avro_value_t  *item, *fv, *b;

    if (v->type == ICETAP_AVRO_UNION) {
        v = v->v.u.value;
    }

    if (v->type == ICETAP_AVRO_NULL) {
        return ICETAP_OK;
    }

    if (v->type != ICETAP_AVRO_ARRAY) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "manifest list: partitions is not an array");
    }

    s = icetap_avro_arena_alloc(r->arena, (v->v.list.n + 1)
                                          * sizeof(icetap_field_summary_t));
    if (s == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    rec = icetap_avro_unwrap(icetap_avro_field(r->root,
                                               "partitions")->type)->items;

    for (i = 0; i < v->v.list.n; i++) {
        item = &v->v.list.items[i];
        s[i].contains_nan = -1;

        if (rec == NULL || rec->type != ICETAP_AVRO_RECORD) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "manifest list: bad field summary");
        }

        for (k = 0; k < rec->nfields; k++) {
            name = rec->fields[k].name;
            fv = &item->v.list.items[k];

            if (fv->type == ICETAP_AVRO_UNION) {
                fv = fv->v.u.value;
            }

            if (strcmp(name, "contains_null") == 0
                && fv->type == ICETAP_AVRO_BOOLEAN)
            {
                s[i].contains_null = fv->v.b;

            } else if (strcmp(name, "contains_nan") == 0
                       && fv->type == ICETAP_AVRO_BOOLEAN)
            {
                s[i].contains_nan = fv->v.b;

            } else if (strcmp(name, "lower_bound") == 0
                       && (b = icetap_ml_bytes(fv)) != NULL)
            {
                s[i].lower = b->v.bytes.data;
                s[i].lower_len = b->v.bytes.len;

            } else if (strcmp(name, "upper_bound") == 0
                       && (b = icetap_ml_bytes(fv)) != NULL)
            {
                s[i].upper = b->v.bytes.data;
                s[i].upper_len = b->v.bytes.len;
            }
        }
    }

    mf->partitions = s;
    mf->npartitions = v->v.list.n;

    return ICETAP_OK;
}


icetap_rc
icetap_manifest_list_reader_next(icetap_manifest_list_reader_t *r,
    icetap_manifest_file_t *mf, icetap_error_t *err)
{
    size_t                      i;
    int64_t                     x;
    icetap_rc                   rc;
    const char                 *name;
    icetap_avro_value_t         v;
    const icetap_avro_value_t  *fv, *b;

    icetap_avro_arena_reset(r->arena);

    rc = icetap_avro_reader_next(r->avro, r->arena, &v, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    memset(mf, 0, sizeof(icetap_manifest_file_t));
    mf->manifest_length = ICETAP_UNSET;
    mf->sequence_number = 0;
    mf->min_sequence_number = 0;
    mf->added_snapshot_id = ICETAP_UNSET;
    mf->first_row_id = ICETAP_UNSET;

    for (i = 0; i < r->root->nfields; i++) {
        name = r->root->fields[i].name;
        fv = &v.v.list.items[i];
        x = icetap_ml_long(fv);

        if (strcmp(name, "manifest_path") == 0) {
            if (fv->type == ICETAP_AVRO_STRING) {
                mf->manifest_path = (const char *) fv->v.bytes.data;
            }

        } else if (strcmp(name, "manifest_length") == 0) {
            mf->manifest_length = x;

        } else if (strcmp(name, "partition_spec_id") == 0) {
            mf->partition_spec_id = (int32_t) x;

        } else if (strcmp(name, "content") == 0) {
            mf->content = (int) x;

        } else if (strcmp(name, "sequence_number") == 0) {
            mf->sequence_number = x;

        } else if (strcmp(name, "min_sequence_number") == 0) {
            mf->min_sequence_number = x;

        } else if (strcmp(name, "added_snapshot_id") == 0) {
            mf->added_snapshot_id = x;

        } else if (strcmp(name, "added_files_count") == 0) {
            mf->added_files_count = (int32_t) x;

        } else if (strcmp(name, "existing_files_count") == 0) {
            mf->existing_files_count = (int32_t) x;

        } else if (strcmp(name, "deleted_files_count") == 0) {
            mf->deleted_files_count = (int32_t) x;

        } else if (strcmp(name, "added_rows_count") == 0) {
            mf->added_rows_count = x;

        } else if (strcmp(name, "existing_rows_count") == 0) {
            mf->existing_rows_count = x;

        } else if (strcmp(name, "deleted_rows_count") == 0) {
            mf->deleted_rows_count = x;

        } else if (strcmp(name, "partitions") == 0) {
            rc = icetap_ml_read_summaries(r, fv, mf, err);
            if (rc != ICETAP_OK) {
                return rc;
            }

        } else if (strcmp(name, "key_metadata") == 0) {
            b = icetap_ml_bytes(fv);
            if (b) {
                mf->key_metadata = b->v.bytes.data;
                mf->key_metadata_len = b->v.bytes.len;
            }

        } else if (strcmp(name, "first_row_id") == 0) {
            mf->first_row_id = x;
        }
    }

    if (mf->manifest_path == NULL || mf->manifest_length == ICETAP_UNSET
        || mf->manifest_length < 0 || mf->added_snapshot_id == ICETAP_UNSET
        || (mf->content != ICETAP_MANIFEST_DATA
            && mf->content != ICETAP_MANIFEST_DELETES))
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "manifest list entry without a path, length, "
                                "snapshot id or valid content");
    }

    return ICETAP_OK;
}


void
icetap_manifest_list_reader_destroy(icetap_manifest_list_reader_t *r)
{
    if (r == NULL) {
        return;
    }

    icetap_avro_reader_destroy(r->avro);
    icetap_avro_arena_destroy(r->arena);
    icetap_free(r);
}
