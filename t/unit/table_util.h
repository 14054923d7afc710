/*
 * Copyright (C) icetap authors
 *
 * Helpers of the table tests and of the table cross-reader driver: a
 * small partitioned schema (id, cat, name, ts, score), rows derived from
 * the id, and the live ids of a table read back through the core.
 */

#ifndef ICETAP_TEST_TABLE_UTIL_H
#define ICETAP_TEST_TABLE_UTIL_H


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <icetap/table.h>


#define TT_NCOLS  5


static const char  *tt_schema_json =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"cat\",\"required\":true,\"type\":\"string\"},"
    "{\"id\":3,\"name\":\"name\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":4,\"name\":\"ts\",\"required\":false,"
    "\"type\":\"timestamptz\"},"
    "{\"id\":5,\"name\":\"score\",\"required\":false,\"type\":\"double\"}"
    "]}";


static inline icetap_schema_t *
tt_schema(void)
{
    json_t           *j;
    icetap_error_t    err;
    icetap_schema_t  *s;

    j = json_loads(tt_schema_json, 0, NULL);
    if (j == NULL || icetap_schema_from_json(j, &s, &err) != ICETAP_OK) {
        s = NULL;
    }

    json_decref(j);

    return s;
}


/* identity(cat); with_day also partitions by day(ts) */

static inline void
tt_spec(icetap_partition_spec_t *spec, int with_day)
{
    icetap_error_t  err;

    memset(spec, 0, sizeof(*spec));
    icetap_partition_spec_add_field(spec, "cat", "identity", 2, 0, &err);

    if (with_day) {
        icetap_partition_spec_add_field(spec, "ts_day", "day", 4, 0, &err);
    }
}


static const char  *tt_cats[] = { "red", "green", "blue" };


/* the values of row "id"; names are long enough to be truncated */

static inline void
tt_row(int64_t id, icetap_value_t *v, char *name, size_t size)
{
    memset(v, 0, TT_NCOLS * sizeof(icetap_value_t));

    v[0].type = ICETAP_TYPE_LONG;
    v[0].v.l = id;

    v[1].type = ICETAP_TYPE_STRING;
    v[1].v.bin.data = (const uint8_t *) tt_cats[id % 3];
    v[1].v.bin.len = strlen(tt_cats[id % 3]);

    v[2].type = ICETAP_TYPE_STRING;
    if (id % 7 == 3) {
        v[2].is_null = 1;

    } else {
        snprintf(name, size, "name-%06lld-abcdefghijklmnopqrstuvwxyz",
                 (long long) id);
        v[2].v.bin.data = (const uint8_t *) name;
        v[2].v.bin.len = strlen(name);
    }

    v[3].type = ICETAP_TYPE_TIMESTAMPTZ;
    v[3].v.l = 1510871468000000LL + (id % 4) * 86400000000LL + id;

    v[4].type = ICETAP_TYPE_DOUBLE;
    v[4].v.d = (double) id / 4.0;
}


/* write rows [from, to) and add the files to the update */

static inline icetap_rc
tt_write(icetap_table_t *t, icetap_table_update_t *u, int64_t from,
    int64_t to, const icetap_table_writer_conf_t *conf, icetap_error_t *err)
{
    char                    name[96];
    int64_t                 id;
    icetap_rc               rc;
    icetap_value_t          v[TT_NCOLS];
    icetap_table_writer_t  *w;

    rc = icetap_table_writer_open(t, conf, &w, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    for (id = from; id < to && rc == ICETAP_OK; id++) {
        tt_row(id, v, name, sizeof(name));
        rc = icetap_table_writer_row(w, v, TT_NCOLS);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_table_writer_close(w);
    }

    if (rc == ICETAP_OK) {
        rc = icetap_table_update_add_files(u, w, err);

    } else {
        *err = *icetap_table_writer_error(w);
    }

    icetap_table_writer_free(w);

    return rc;
}


/* append rows [from, to) in one commit */

static inline icetap_rc
tt_append(icetap_table_t *t, int64_t from, int64_t to, int merge,
    icetap_error_t *err)
{
    icetap_rc               rc;
    icetap_table_update_t  *u;

    rc = icetap_table_update_new(t, &u, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    icetap_table_update_merge(u, merge);

    rc = tt_write(t, u, from, to, NULL, err);
    if (rc == ICETAP_OK) {
        rc = icetap_table_update_commit(u, NULL, err);
    }

    icetap_table_update_free(u);

    return rc;
}


/* the live ids, sorted, checking every column against tt_row */

typedef struct {
    int64_t   *ids;
    size_t     n;
    size_t     cap;
    size_t     bad;
} tt_ids_t;


static inline int
tt_cmp64(const void *a, const void *b)
{
    int64_t  x = *(const int64_t *) a, y = *(const int64_t *) b;

    return x < y ? -1 : x > y;
}


static inline icetap_rc
tt_read(icetap_table_t *t, int64_t snapshot_id, tt_ids_t *out,
    icetap_error_t *err)
{
    char                    name[96];
    size_t                  i;
    int64_t                *n;
    icetap_rc               rc;
    icetap_value_t          v, exp[TT_NCOLS];
    icetap_table_batch_t    b;
    icetap_table_reader_t  *r;

    memset(out, 0, sizeof(*out));

    rc = icetap_table_reader_open(t, snapshot_id, &r, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    for ( ;; ) {
        rc = icetap_table_reader_next(r, &b, err);
        if (rc != ICETAP_OK) {
            break;
        }

        for (i = 0; i < b.nrows; i++) {
            if (!b.live[i]) {
                continue;
            }

            rc = icetap_table_batch_value(&b, 1, i, &v, err);
            if (rc != ICETAP_OK) {
                break;
            }

            if (out->n == out->cap) {
                out->cap = out->cap ? out->cap * 2 : 256;
                n = realloc(out->ids, out->cap * sizeof(int64_t));
                if (n == NULL) {
                    rc = ICETAP_NOMEM;
                    break;
                }

                out->ids = n;
            }

            out->ids[out->n++] = v.v.l;
            tt_row(v.v.l, exp, name, sizeof(name));

            rc = icetap_table_batch_value(&b, 3, i, &v, err);
            if (rc != ICETAP_OK) {
                break;
            }

            if (v.is_null != exp[2].is_null
                || (!v.is_null && (v.v.bin.len != exp[2].v.bin.len
                                   || memcmp(v.v.bin.data, exp[2].v.bin.data,
                                             v.v.bin.len) != 0)))
            {
                out->bad++;
            }

            rc = icetap_table_batch_value(&b, 5, i, &v, err);
            if (rc != ICETAP_OK) {
                break;
            }

            if (v.v.d != exp[4].v.d) {
                out->bad++;
            }
        }

        if (rc != ICETAP_OK) {
            break;
        }
    }

    icetap_table_reader_free(r);

    if (rc != ICETAP_EOF) {
        return rc;
    }

    qsort(out->ids, out->n, sizeof(int64_t), tt_cmp64);

    return ICETAP_OK;
}


#endif /* ICETAP_TEST_TABLE_UTIL_H */
