/*
 * Copyright (C) icetap authors
 *
 * Journal rows from WAL records; the WAL cursor; batches of records.
 */


#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include <icetap/journal.h>


static int icetap_wal_writer_alive(const icetap_wal_seg_info_t *info);


/*
 * Field ids: the 21 columns take 1..21 in the order of the spec; the maps'
 * key and value fields take 22..25.  Timestamps are without zone, as the
 * spec's "Timestamp NTZ".
 */

static const char  icetap_journal_schema[] =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"bucket\",\"required\":true,\"type\":\"string\"},"
    "{\"id\":2,\"name\":\"key\",\"required\":true,\"type\":\"string\"},"
    "{\"id\":3,\"name\":\"sequence_number\",\"required\":true,"
    "\"type\":\"string\"},"
    "{\"id\":4,\"name\":\"record_type\",\"required\":true,"
    "\"type\":\"string\"},"
    "{\"id\":5,\"name\":\"record_timestamp\",\"required\":true,"
    "\"type\":\"timestamp\"},"
    "{\"id\":6,\"name\":\"version_id\",\"required\":false,"
    "\"type\":\"string\"},"
    "{\"id\":7,\"name\":\"is_delete_marker\",\"required\":false,"
    "\"type\":\"boolean\"},"
    "{\"id\":8,\"name\":\"size\",\"required\":false,\"type\":\"long\"},"
    "{\"id\":9,\"name\":\"last_modified_date\",\"required\":false,"
    "\"type\":\"timestamp\"},"
    "{\"id\":10,\"name\":\"e_tag\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":11,\"name\":\"storage_class\",\"required\":false,"
    "\"type\":\"string\"},"
    "{\"id\":12,\"name\":\"is_multipart\",\"required\":false,"
    "\"type\":\"boolean\"},"
    "{\"id\":13,\"name\":\"encryption_status\",\"required\":false,"
    "\"type\":\"string\"},"
    "{\"id\":14,\"name\":\"is_bucket_key_enabled\",\"required\":false,"
    "\"type\":\"boolean\"},"
    "{\"id\":15,\"name\":\"kms_key_arn\",\"required\":false,"
    "\"type\":\"string\"},"
    "{\"id\":16,\"name\":\"checksum_algorithm\",\"required\":false,"
    "\"type\":\"string\"},"
    "{\"id\":17,\"name\":\"object_tags\",\"required\":false,\"type\":"
    "{\"type\":\"map\",\"key-id\":22,\"key\":\"string\",\"value-id\":23,"
    "\"value\":\"string\",\"value-required\":false}},"
    "{\"id\":18,\"name\":\"user_metadata\",\"required\":false,\"type\":"
    "{\"type\":\"map\",\"key-id\":24,\"key\":\"string\",\"value-id\":25,"
    "\"value\":\"string\",\"value-required\":false}},"
    "{\"id\":19,\"name\":\"requester\",\"required\":false,"
    "\"type\":\"string\"},"
    "{\"id\":20,\"name\":\"source_ip_address\",\"required\":false,"
    "\"type\":\"string\"},"
    "{\"id\":21,\"name\":\"request_id\",\"required\":false,"
    "\"type\":\"string\"}"
    "]}";


const char *
icetap_journal_schema_json(void)
{
    return icetap_journal_schema;
}


int
icetap_journal_needs_lookup(const icetap_wal_rec_t *rec)
{
    /*
     * UPDATE_METADATA rows describe the whole version after the change,
     * and records flagged by the tap lack what the wire did not show.
     */

    if (rec->flags & ICETAP_WAL_F_ENRICH) {
        return 1;
    }

    return rec->op == ICETAP_WAL_OP_PUT_TAGGING
           || rec->op == ICETAP_WAL_OP_DELETE_TAGGING;
}


static void
icetap_jstr(icetap_jstr_t *c, icetap_str_t s)
{
    c->null = (s.data == NULL);
    c->s = s;
}


icetap_rc
icetap_journal_row(const icetap_wal_rec_t *rec,
    const icetap_journal_enrich_t *e, icetap_journal_row_t *row,
    icetap_error_t *err)
{
    int            deleted, marker;
    icetap_str_t   none;
    const char    *rt;

    rt = icetap_wal_record_type(rec->op);

    if (rt == NULL) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "WAL record of operation %u is not a "
                                "mutation", rec->op);
    }

    if (rec->bucket.data == NULL || rec->key.data == NULL) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "WAL record without bucket or key");
    }

    memset(row, 0, sizeof(icetap_journal_row_t));

    none.data = NULL;
    none.len = 0;

    row->bucket = rec->bucket;
    row->key = rec->key;
    snprintf(row->sequence_number, sizeof(row->sequence_number),
             "%016" PRIx64, rec->seq);
    row->record_type = rt;
    row->record_timestamp_us = rec->time_us;

    icetap_jstr(&row->version_id, rec->version_id);
    icetap_jstr(&row->requester, rec->requester);
    icetap_jstr(&row->source_ip_address, rec->source_ip);
    icetap_jstr(&row->request_id, rec->request_id);

    deleted = (rt[0] == 'D');
    marker = deleted && (rec->flags & ICETAP_WAL_F_DM_KNOWN)
             && (rec->flags & ICETAP_WAL_F_DELETE_MARKER);

    /* the object's columns, NULL unless the row describes a version */

    icetap_jstr(&row->e_tag, none);
    icetap_jstr(&row->storage_class, none);
    icetap_jstr(&row->encryption_status, none);
    icetap_jstr(&row->kms_key_arn, none);
    icetap_jstr(&row->checksum_algorithm, none);
    row->is_delete_marker.null = 1;
    row->size.null = 1;
    row->last_modified_us.null = 1;
    row->is_multipart.null = 1;
    row->is_bucket_key_enabled.null = 1;
    row->object_tags.null = 1;
    row->user_metadata.null = 1;

    if (deleted) {
        if (marker) {
            /* a delete marker: TRUE, size 0 */
            row->is_delete_marker.null = 0;
            row->is_delete_marker.v = 1;
            row->size.null = 0;
            row->size.v = 0;
        }

        /* a permanent delete keeps only the version id */
        return ICETAP_OK;
    }

    row->is_delete_marker.null = 0;
    row->is_delete_marker.v = 0;

    if (icetap_journal_needs_lookup(rec) && e != NULL && !e->found) {
        /*
         * The version was gone when the helper looked: like S3 Metadata,
         * the row keeps what the request itself showed and leaves the rest
         * NULL.
         */
        e = NULL;
    }

    if (e != NULL && icetap_journal_needs_lookup(rec)) {
        row->size.null = 0;
        row->size.v = e->size;
        row->last_modified_us.null = (e->last_modified_us == 0);
        row->last_modified_us.v = e->last_modified_us;
        icetap_jstr(&row->e_tag, e->etag);
        icetap_jstr(&row->storage_class, e->storage_class);
        icetap_jstr(&row->encryption_status, e->encryption);
        icetap_jstr(&row->kms_key_arn, e->kms_key_arn);
        icetap_jstr(&row->checksum_algorithm, e->checksum_algorithm);
        row->is_multipart.null = 0;
        row->is_multipart.v = e->multipart
                              || (rec->flags & ICETAP_WAL_F_MULTIPART);
        row->is_bucket_key_enabled.null = 0;
        row->is_bucket_key_enabled.v = e->bucket_key;

        if (e->has_tags) {
            row->object_tags.null = 0;
            row->object_tags.n = e->ntags;
            row->object_tags.kv = e->tags;
        }

        if (e->has_meta) {
            row->user_metadata.null = 0;
            row->user_metadata.n = e->nmeta;
            row->user_metadata.kv = e->meta;
        }
    }

    /* what the request and response showed wins over a later lookup */

    if (rec->flags & ICETAP_WAL_F_SIZE) {
        row->size.null = 0;
        row->size.v = rec->size;
    }

    if (rec->flags & ICETAP_WAL_F_LAST_MODIFIED) {
        row->last_modified_us.null = 0;
        row->last_modified_us.v = rec->last_modified_us;
    }

    if (rec->etag.data) {
        icetap_jstr(&row->e_tag, rec->etag);
    }

    if (rec->flags & ICETAP_WAL_F_STORAGE_CLASS) {
        icetap_jstr(&row->storage_class, rec->storage_class);
    }

    if (rec->encryption.data) {
        icetap_jstr(&row->encryption_status, rec->encryption);
    }

    if (rec->kms_key_arn.data) {
        icetap_jstr(&row->kms_key_arn, rec->kms_key_arn);
    }

    if (rec->checksum_algorithm.data) {
        icetap_jstr(&row->checksum_algorithm, rec->checksum_algorithm);
    }

    if (rt[0] == 'C') {
        row->is_multipart.null = 0;
        row->is_multipart.v = (rec->flags & ICETAP_WAL_F_MULTIPART) != 0
                              || (e && e->multipart);
        row->is_bucket_key_enabled.null = 0;
        row->is_bucket_key_enabled.v =
            (rec->flags & ICETAP_WAL_F_BUCKET_KEY) != 0 || (e && e->bucket_key);
    }

    if (rec->flags & ICETAP_WAL_F_TAGS) {
        row->object_tags.null = 0;
        row->object_tags.n = rec->ntags;
        row->object_tags.kv = rec->tags;
    }

    if (rec->flags & ICETAP_WAL_F_META) {
        row->user_metadata.null = 0;
        row->user_metadata.n = rec->nmeta;
        row->user_metadata.kv = rec->meta;
    }

    return ICETAP_OK;
}


icetap_rc
icetap_wal_cursor_parse(const char *s, icetap_wal_cursor_t *c,
    icetap_error_t *err)
{
    json_t        *j, *segs, *v;
    icetap_rc      rc;
    const char    *name;
    json_error_t   je;

    memset(c, 0, sizeof(icetap_wal_cursor_t));

    j = json_loads(s, 0, &je);
    if (j == NULL) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "WAL cursor: %s at line %d", je.text,
                                je.line);
    }

    segs = json_object_get(j, "segments");

    if (!json_is_object(segs)) {
        json_decref(j);
        return icetap_error_set(err, ICETAP_INVALID,
                                "WAL cursor: no \"segments\" object");
    }

    json_object_foreach(segs, name, v) {
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            rc = icetap_error_set(err, ICETAP_INVALID,
                                  "WAL cursor: bad offset of \"%s\"", name);
            json_decref(j);
            icetap_wal_cursor_free(c);
            return rc;
        }

        rc = icetap_wal_cursor_set(c, name, json_integer_value(v));
        if (rc != ICETAP_OK) {
            json_decref(j);
            icetap_wal_cursor_free(c);
            return icetap_error_set(err, rc, "out of memory");
        }
    }

    json_decref(j);

    return ICETAP_OK;
}


char *
icetap_wal_cursor_format(const icetap_wal_cursor_t *c)
{
    char    *s;
    size_t   i;
    json_t  *j, *segs;

    j = json_object();
    segs = json_object();

    if (j == NULL || segs == NULL) {
        json_decref(j);
        json_decref(segs);
        return NULL;
    }

    for (i = 0; i < c->n; i++) {
        json_object_set_new(segs, c->pos[i].name,
                            json_integer((json_int_t) c->pos[i].offset));
    }

    json_object_set_new(j, "segments", segs);

    s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(j);

    return s;
}


uint64_t
icetap_wal_cursor_get(const icetap_wal_cursor_t *c, const char *name)
{
    size_t  i;

    for (i = 0; i < c->n; i++) {
        if (strcmp(c->pos[i].name, name) == 0) {
            return c->pos[i].offset;
        }
    }

    return 0;
}


icetap_rc
icetap_wal_cursor_set(icetap_wal_cursor_t *c, const char *name,
    uint64_t offset)
{
    size_t             i, cap;
    icetap_wal_pos_t  *p;

    for (i = 0; i < c->n; i++) {
        if (strcmp(c->pos[i].name, name) == 0) {
            c->pos[i].offset = offset;
            return ICETAP_OK;
        }
    }

    if (c->n == c->cap) {
        cap = c->cap ? c->cap * 2 : 8;

        p = icetap_realloc(c->pos, cap * sizeof(icetap_wal_pos_t));
        if (p == NULL) {
            return ICETAP_NOMEM;
        }

        c->pos = p;
        c->cap = cap;
    }

    c->pos[c->n].name = icetap_strndup(name, strlen(name));
    if (c->pos[c->n].name == NULL) {
        return ICETAP_NOMEM;
    }

    c->pos[c->n].offset = offset;
    c->pos[c->n].finished = 0;
    c->n++;

    return ICETAP_OK;
}


void
icetap_wal_cursor_free(icetap_wal_cursor_t *c)
{
    size_t  i;

    for (i = 0; i < c->n; i++) {
        icetap_free(c->pos[i].name);
    }

    icetap_free(c->pos);
    memset(c, 0, sizeof(icetap_wal_cursor_t));
}


icetap_rc
icetap_wal_read_batch(const char *dir, const icetap_wal_cursor_t *cursor,
    size_t max, icetap_wal_record_pt handler, void *ctx, int *more,
    icetap_error_t *err)
{
    char                 **names, path[4096];
    size_t                 n, i, count;
    uint64_t               from, next;
    icetap_rc              rc;
    icetap_wal_rec_t       rec;
    icetap_wal_reader_t   *r;

    *more = 0;

    rc = icetap_wal_list(dir, &names, &n, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    count = 0;

    for (i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);

        rc = icetap_wal_reader_open(path, &r, err);

        if (rc == ICETAP_NOTFOUND) {
            continue;               /* removed meanwhile */
        }

        if (rc != ICETAP_OK) {
            /* a segment being created has no header yet: later */
            continue;
        }

        from = icetap_wal_cursor_get(cursor, names[i]);

        if (from > ICETAP_WAL_SEG_HDR_SIZE) {
            rc = icetap_wal_reader_seek(r, from, err);
            if (rc != ICETAP_OK) {
                icetap_wal_reader_close(r);
                goto done;
            }
        }

        for ( ;; ) {
            if (count == max) {
                *more = 1;
                break;
            }

            rc = icetap_wal_reader_next(r, &rec, NULL, &next, err);

            if (rc == ICETAP_EOF) {
                break;
            }

            if (rc != ICETAP_OK) {
                icetap_wal_reader_close(r);
                goto done;
            }

            rc = handler(ctx, &rec, names[i], next);
            icetap_wal_rec_free(&rec);

            if (rc != ICETAP_OK) {
                icetap_wal_reader_close(r);
                goto done;
            }

            count++;
        }

        icetap_wal_reader_close(r);

        if (*more) {
            break;
        }
    }

    rc = ICETAP_OK;

done:

    icetap_wal_free_list(names, n);

    return rc;
}


icetap_rc
icetap_wal_consumed(const char *dir, const icetap_wal_cursor_t *cursor,
    char ***out, size_t *nout, icetap_error_t *err)
{
    char                 **names, **res, path[4096];
    size_t                 n, i, k;
    uint64_t               end, next;
    icetap_rc              rc;
    icetap_wal_rec_t       rec;
    icetap_wal_end_e       how;
    icetap_wal_reader_t   *r;

    rc = icetap_wal_list(dir, &names, &n, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    res = icetap_calloc(n ? n : 1, sizeof(char *));
    if (res == NULL) {
        icetap_wal_free_list(names, n);
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    k = 0;

    for (i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);

        if (icetap_wal_reader_open(path, &r, err) != ICETAP_OK) {
            continue;
        }

        end = ICETAP_WAL_SEG_HDR_SIZE;

        while (icetap_wal_reader_next(r, &rec, NULL, &next, err)
               == ICETAP_OK)
        {
            end = next;
            icetap_wal_rec_free(&rec);
        }

        how = icetap_wal_reader_end(r, NULL, NULL);

        /*
         * Done when sealed, or when its writer is gone (a killed worker
         * leaves its segment unsealed), and every record was consumed.
         */

        if ((how == ICETAP_WAL_END_SEALED
             || !icetap_wal_writer_alive(icetap_wal_reader_info(r)))
            && icetap_wal_cursor_get(cursor, names[i]) >= end)
        {
            res[k++] = names[i];
            names[i] = NULL;
        }

        icetap_wal_reader_close(r);
    }

    icetap_wal_free_list(names, n);

    *out = res;
    *nout = k;

    return ICETAP_OK;
}


/*
 * Whether the process that created a segment still runs: its pid exists
 * and that process started before the segment was created (a recycled pid
 * belongs to a younger process).
 */

static int
icetap_wal_writer_alive(const icetap_wal_seg_info_t *info)
{
    int                 i;
    long                hz;
    char                buf[1024], path[64], *p;
    FILE               *f;
    int64_t             start_ms;
    unsigned long long  starttime, btime;

    if (info->pid <= 0) {
        return 0;
    }

    if (kill(info->pid, 0) == -1 && errno == ESRCH) {
        return 0;
    }

    snprintf(path, sizeof(path), "/proc/%d/stat", (int) info->pid);

    f = fopen(path, "r");
    if (f == NULL) {
        return 1;
    }

    p = fgets(buf, sizeof(buf), f);
    fclose(f);

    if (p == NULL || (p = strrchr(buf, ')')) == NULL) {
        return 1;
    }

    /* field 22, starttime; fields after the command name from 3 on */

    for (i = 3; i < 22 && p; i++) {
        p = strchr(p + 1, ' ');
    }

    if (p == NULL || sscanf(p + 1, "%llu", &starttime) != 1) {
        return 1;
    }

    f = fopen("/proc/stat", "r");
    if (f == NULL) {
        return 1;
    }

    btime = 0;

    while (fgets(buf, sizeof(buf), f)) {
        if (sscanf(buf, "btime %llu", &btime) == 1) {
            break;
        }
    }

    fclose(f);

    hz = sysconf(_SC_CLK_TCK);

    if (btime == 0 || hz <= 0) {
        return 1;
    }

    start_ms = (int64_t) (btime * 1000 + starttime * 1000 / hz);

    /* clock ticks and btime are coarse: allow a few seconds */

    return start_ms <= info->created_ms + 5000;
}
