/*
 * Copyright (C) icetap authors
 *
 * A small driver for the Parquet cross-reader tests (t/11x-parquet-*.t):
 *
 *   pq_tool write SPEC.json OUT.parquet   rows from JSON, prints metrics
 *   pq_tool rewrite IN OUT [codec]        decode every column, re-encode
 *   pq_tool concat OUT IN...              append whole row groups
 *   pq_tool dump IN                       schema and columns as JSON
 *
 * SPEC is {"codec":..., "page_size":..., "row_group_size":...,
 * "dict_size":..., "no_dictionary":..., "schema":[Iceberg fields],
 * "rows":[[value per top-level field], ...]}.  Values: numbers or decimal
 * strings for integers, numbers or "NaN", "Infinity", "-Infinity" for
 * floats, unscaled integers as strings for decimals, hex for binary and
 * fixed, canonical text for uuids, objects by field name for structs,
 * arrays for lists, [[key, value], ...] for maps.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <jansson.h>

#include <icetap/parquet.h>


static int add_field(icetap_pq_schema_t *s, int parent, json_t *f,
    icetap_error_t *err);
static int add_type(icetap_pq_schema_t *s, int parent, int32_t id,
    const char *name, int required, json_t *t, icetap_error_t *err);
static int put_value(icetap_pq_writer_t *w, json_t *t, json_t *v);


static icetap_rc
file_write(void *ctx, const void *data, size_t len, icetap_error_t *err)
{
    if (fwrite(data, 1, len, ctx) != len) {
        return icetap_error_set(err, ICETAP_IO, "short write");
    }

    return ICETAP_OK;
}


static icetap_rc
file_read(void *ctx, uint64_t off, void *buf, size_t len,
    icetap_error_t *err)
{
    if (fseeko(ctx, (off_t) off, SEEK_SET) != 0
        || fread(buf, 1, len, ctx) != len)
    {
        return icetap_error_set(err, ICETAP_IO, "short read at %llu",
                                (unsigned long long) off);
    }

    return ICETAP_OK;
}


static int
hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }

    return -1;
}


static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t  n;

    n = 0;

    while (s[0] && s[1] && n < cap) {
        if (s[0] == '-') {
            s++;
            continue;
        }

        if (hexval(s[0]) < 0 || hexval(s[1]) < 0) {
            break;
        }

        out[n++] = (uint8_t) (hexval(s[0]) * 16 + hexval(s[1]));
        s += 2;
    }

    return n;
}


/* a decimal integer string as 16 bytes of big-endian two's complement */

static void
dec_bytes(const char *s, uint8_t *out)
{
    int  i, neg, carry;

    memset(out, 0, 16);
    neg = *s == '-';
    s += neg;

    for ( ; *s >= '0' && *s <= '9'; s++) {
        carry = *s - '0';

        for (i = 15; i >= 0; i--) {
            carry += out[i] * 10;
            out[i] = (uint8_t) carry;
            carry >>= 8;
        }
    }

    if (neg) {
        carry = 1;

        for (i = 15; i >= 0; i--) {
            carry += (uint8_t) ~out[i];
            out[i] = (uint8_t) carry;
            carry >>= 8;
        }
    }
}


static icetap_pq_type_e
prim_type(const char *t, int32_t *p1, int32_t *p2)
{
    static const struct {
        const char        *name;
        icetap_pq_type_e   type;
    } names[] = {
        { "boolean", ICETAP_PQ_BOOLEAN }, { "int", ICETAP_PQ_INT },
        { "long", ICETAP_PQ_LONG }, { "float", ICETAP_PQ_FLOAT },
        { "double", ICETAP_PQ_DOUBLE }, { "date", ICETAP_PQ_DATE },
        { "time", ICETAP_PQ_TIME }, { "timestamp", ICETAP_PQ_TIMESTAMP },
        { "timestamptz", ICETAP_PQ_TIMESTAMPTZ },
        { "timestamp_ns", ICETAP_PQ_TIMESTAMP_NS },
        { "timestamptz_ns", ICETAP_PQ_TIMESTAMPTZ_NS },
        { "string", ICETAP_PQ_STRING }, { "uuid", ICETAP_PQ_UUID },
        { "binary", ICETAP_PQ_BINARY }
    };
    size_t  i;
    int     a, b;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(t, names[i].name) == 0) {
            return names[i].type;
        }
    }

    if (sscanf(t, "decimal(%d,%d)", &a, &b) == 2
        || sscanf(t, "decimal(%d, %d)", &a, &b) == 2)
    {
        *p1 = a;
        *p2 = b;
        return ICETAP_PQ_DECIMAL;
    }

    if (sscanf(t, "fixed[%d]", &a) == 1) {
        *p1 = a;
        return ICETAP_PQ_FIXED;
    }

    return ICETAP_PQ_NONE;
}


static int
add_type(icetap_pq_schema_t *s, int parent, int32_t id, const char *name,
    int required, json_t *t, icetap_error_t *err)
{
    int               h;
    size_t            i;
    int32_t           p1, p2;
    json_t           *f;
    const char       *kind;
    icetap_pq_type_e  type;

    p1 = 0;
    p2 = 0;

    if (json_is_string(t)) {
        type = prim_type(json_string_value(t), &p1, &p2);

        if (type == ICETAP_PQ_NONE) {
            fprintf(stderr, "unknown type %s\n", json_string_value(t));
            return -1;
        }

        return icetap_pq_schema_add(s, parent, id, name, required, type, p1,
                                    p2, err);
    }

    kind = json_string_value(json_object_get(t, "type"));

    if (kind == NULL) {
        fprintf(stderr, "type of %s has no kind\n", name);
        return -1;
    }

    if (strcmp(kind, "struct") == 0) {
        h = icetap_pq_schema_add(s, parent, id, name, required,
                                 ICETAP_PQ_STRUCT, 0, 0, err);
        if (h < 0) {
            return h;
        }

        json_array_foreach(json_object_get(t, "fields"), i, f) {
            if (add_field(s, h, f, err) < 0) {
                return -1;
            }
        }

        return h;
    }

    if (strcmp(kind, "list") == 0) {
        h = icetap_pq_schema_add(s, parent, id, name, required,
                                 ICETAP_PQ_LIST, 0, 0, err);
        if (h < 0
            || add_type(s, h,
                        json_integer_value(json_object_get(t, "element-id")),
                        "element",
                        json_is_true(json_object_get(t, "element-required")),
                        json_object_get(t, "element"), err) < 0)
        {
            return -1;
        }

        return h;
    }

    if (strcmp(kind, "map") == 0) {
        h = icetap_pq_schema_add(s, parent, id, name, required,
                                 ICETAP_PQ_MAP, 0, 0, err);
        if (h < 0
            || add_type(s, h,
                        json_integer_value(json_object_get(t, "key-id")),
                        "key", 1, json_object_get(t, "key"), err) < 0
            || add_type(s, h,
                        json_integer_value(json_object_get(t, "value-id")),
                        "value",
                        json_is_true(json_object_get(t, "value-required")),
                        json_object_get(t, "value"), err) < 0)
        {
            return -1;
        }

        return h;
    }

    fprintf(stderr, "unknown type kind %s\n", kind);
    return -1;
}


static int
add_field(icetap_pq_schema_t *s, int parent, json_t *f, icetap_error_t *err)
{
    return add_type(s, parent, json_integer_value(json_object_get(f, "id")),
                    json_string_value(json_object_get(f, "name")),
                    json_is_true(json_object_get(f, "required")),
                    json_object_get(f, "type"), err);
}


static int
put_struct(icetap_pq_writer_t *w, json_t *fields, json_t *v)
{
    size_t   i;
    json_t  *f, *x;

    if (icetap_pq_begin(w) != ICETAP_OK) {
        return -1;
    }

    json_array_foreach(fields, i, f) {
        x = json_is_array(v) ? json_array_get(v, i)
            : json_object_get(v, json_string_value(json_object_get(f,
                                                                  "name")));

        if (put_value(w, json_object_get(f, "type"), x) != 0) {
            return -1;
        }
    }

    return icetap_pq_end(w) == ICETAP_OK ? 0 : -1;
}


static int
put_value(icetap_pq_writer_t *w, json_t *t, json_t *v)
{
    size_t            i, n;
    int32_t           p1, p2;
    uint8_t           buf[4096];
    json_t           *e;
    double            d;
    const char       *kind, *str;
    icetap_pq_type_e  type;

    if (v == NULL || json_is_null(v)) {
        return icetap_pq_null(w) == ICETAP_OK ? 0 : -1;
    }

    if (!json_is_string(t)) {
        kind = json_string_value(json_object_get(t, "type"));

        if (strcmp(kind, "struct") == 0) {
            return put_struct(w, json_object_get(t, "fields"), v);
        }

        if (icetap_pq_begin(w) != ICETAP_OK) {
            return -1;
        }

        json_array_foreach(v, i, e) {
            if (strcmp(kind, "list") == 0) {
                if (put_value(w, json_object_get(t, "element"), e) != 0) {
                    return -1;
                }

            } else if (put_value(w, json_object_get(t, "key"),
                                 json_array_get(e, 0)) != 0
                       || put_value(w, json_object_get(t, "value"),
                                    json_array_get(e, 1)) != 0)
            {
                return -1;
            }
        }

        return icetap_pq_end(w) == ICETAP_OK ? 0 : -1;
    }

    p1 = 0;
    p2 = 0;
    type = prim_type(json_string_value(t), &p1, &p2);
    str = json_string_value(v);

    switch (type) {

    case ICETAP_PQ_BOOLEAN:
        return icetap_pq_bool(w, json_is_true(v)) == ICETAP_OK ? 0 : -1;

    case ICETAP_PQ_FLOAT:
    case ICETAP_PQ_DOUBLE:
        if (str) {
            d = strcmp(str, "NaN") == 0 ? NAN
                : strcmp(str, "Infinity") == 0 ? INFINITY
                : strcmp(str, "-Infinity") == 0 ? -INFINITY
                : strtod(str, NULL);
        } else {
            d = json_number_value(v);
        }

        if (type == ICETAP_PQ_FLOAT) {
            return icetap_pq_float(w, (float) d) == ICETAP_OK ? 0 : -1;
        }

        return icetap_pq_double(w, d) == ICETAP_OK ? 0 : -1;

    case ICETAP_PQ_STRING:
        return icetap_pq_bytes(w, str, strlen(str)) == ICETAP_OK ? 0 : -1;

    case ICETAP_PQ_BINARY:
    case ICETAP_PQ_FIXED:
    case ICETAP_PQ_UUID:
        n = unhex(str, buf, sizeof(buf));
        return icetap_pq_bytes(w, buf, n) == ICETAP_OK ? 0 : -1;

    case ICETAP_PQ_DECIMAL:
        if (str) {
            dec_bytes(str, buf);
            return icetap_pq_bytes(w, buf, 16) == ICETAP_OK ? 0 : -1;
        }

        return icetap_pq_int64(w, json_integer_value(v)) == ICETAP_OK
               ? 0 : -1;

    default:
        if (str) {
            return icetap_pq_int64(w, strtoll(str, NULL, 10)) == ICETAP_OK
                   ? 0 : -1;
        }

        return icetap_pq_int64(w, json_integer_value(v)) == ICETAP_OK
               ? 0 : -1;
    }
}


static int
parse_codec(const char *c)
{
    if (c == NULL || strcmp(c, "zstd") == 0) {
        return ICETAP_PQ_ZSTD;
    }

    if (strcmp(c, "snappy") == 0) {
        return ICETAP_PQ_SNAPPY;
    }

    if (strcmp(c, "gzip") == 0) {
        return ICETAP_PQ_GZIP;
    }

    if (strcmp(c, "uncompressed") == 0) {
        return ICETAP_PQ_UNCOMPRESSED;
    }

    return -1;
}


static void
print_hex(const uint8_t *p, size_t n)
{
    size_t  i;

    putchar('"');

    for (i = 0; i < n; i++) {
        printf("%02x", p[i]);
    }

    putchar('"');
}


static int
print_metrics(icetap_pq_writer_t *w)
{
    size_t               i, n;
    const int64_t       *offs;
    icetap_pq_metrics_t  m;

    n = icetap_pq_writer_row_groups(w, &offs);
    printf("{\"rows\":%lld,\"size\":%llu,\"row_groups\":[",
           (long long) icetap_pq_writer_rows(w),
           (unsigned long long) icetap_pq_writer_size(w));

    for (i = 0; i < n; i++) {
        printf("%s%lld", i ? "," : "", (long long) offs[i]);
    }

    printf("],\"metrics\":[");

    for (i = 0; icetap_pq_writer_metrics(w, (int) i, &m) == ICETAP_OK; i++) {
        printf("%s{\"field_id\":%d,\"in_repeated\":%d,\"column_size\":%llu,"
               "\"value_count\":%lld,\"null_count\":%lld,"
               "\"nan_count\":%lld", i ? "," : "", (int) m.field_id,
               m.in_repeated, (unsigned long long) m.column_size,
               (long long) m.value_count, (long long) m.null_count,
               (long long) m.nan_count);

        if (m.has_bounds) {
            printf(",\"lower\":");
            print_hex(m.lower, m.lower_len);
            printf(",\"upper\":");
            print_hex(m.upper, m.upper_len);
        }

        printf("}");
    }

    printf("]}\n");

    return 0;
}


static int
cmd_write(const char *spec, const char *out)
{
    int                      rc;
    FILE                    *f;
    size_t                   i, j;
    json_t                  *root, *schema, *rows, *row, *fld;
    json_error_t             jerr;
    icetap_error_t           err;
    icetap_pq_schema_t      *s;
    icetap_pq_writer_t      *w;
    icetap_pq_writer_conf_t  conf;

    root = json_load_file(spec, 0, &jerr);
    if (root == NULL) {
        fprintf(stderr, "%s: %s\n", spec, jerr.text);
        return 1;
    }

    memset(&err, 0, sizeof(err));
    schema = json_object_get(root, "schema");
    rows = json_object_get(root, "rows");

    s = icetap_pq_schema_new(&err);

    json_array_foreach(schema, i, fld) {
        if (add_field(s, ICETAP_PQ_ROOT, fld, &err) < 0) {
            fprintf(stderr, "schema: %s\n", err.msg);
            return 1;
        }
    }

    if (icetap_pq_schema_finish(s, &err) != ICETAP_OK) {
        fprintf(stderr, "schema: %s\n", err.msg);
        return 1;
    }

    icetap_pq_writer_conf_init(&conf);
    conf.codec = parse_codec(json_string_value(json_object_get(root,
                                                               "codec")));
    conf.page_size = json_integer_value(json_object_get(root, "page_size"));
    conf.row_group_size = json_integer_value(json_object_get(root,
                                                       "row_group_size"));
    conf.dict_size = json_integer_value(json_object_get(root, "dict_size"));
    conf.no_dictionary = json_is_true(json_object_get(root,
                                                      "no_dictionary"));

    f = fopen(out, "wb");
    if (f == NULL) {
        perror(out);
        return 1;
    }

    w = icetap_pq_writer_open(s, &conf, file_write, f, &err);
    if (w == NULL) {
        fprintf(stderr, "open: %s\n", err.msg);
        return 1;
    }

    icetap_pq_writer_kv(w, "iceberg.schema", "{}");
    rc = 0;

    json_array_foreach(rows, i, row) {
        json_array_foreach(schema, j, fld) {
            if (put_value(w, json_object_get(fld, "type"),
                          json_array_get(row, j)) != 0)
            {
                rc = 1;
                break;
            }
        }

        if (rc || icetap_pq_end_row(w) != ICETAP_OK) {
            fprintf(stderr, "row %zu: %s\n", i, err.msg);
            rc = 1;
            break;
        }
    }

    if (rc == 0 && icetap_pq_writer_close(w) != ICETAP_OK) {
        fprintf(stderr, "close: %s\n", err.msg);
        rc = 1;
    }

    if (rc == 0) {
        print_metrics(w);
    }

    icetap_pq_writer_free(w);
    icetap_pq_schema_free(s);
    json_decref(root);
    fclose(f);

    return rc;
}


static icetap_pq_reader_t *
open_reader(const char *path, FILE **fp, icetap_error_t *err)
{
    FILE                *f;
    off_t                size;
    icetap_pq_reader_t  *r;

    f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return NULL;
    }

    fseeko(f, 0, SEEK_END);
    size = ftello(f);

    r = icetap_pq_reader_open(file_read, f, (uint64_t) size, err);
    if (r == NULL) {
        fprintf(stderr, "%s: %s\n", path, err->msg);
        fclose(f);
        return NULL;
    }

    *fp = f;

    return r;
}


static int
cmd_rewrite(const char *in, const char *out, const char *codec)
{
    int                      rg, rc;
    FILE                    *fi, *fo;
    size_t                   i, n;
    icetap_error_t           err;
    icetap_pq_reader_t      *r;
    icetap_pq_writer_t      *w;
    icetap_pq_column_t      *cols;
    icetap_pq_writer_conf_t  conf;

    memset(&err, 0, sizeof(err));

    r = open_reader(in, &fi, &err);
    if (r == NULL) {
        return 1;
    }

    icetap_pq_writer_conf_init(&conf);
    conf.codec = parse_codec(codec);

    fo = fopen(out, "wb");
    if (fo == NULL) {
        perror(out);
        return 1;
    }

    w = icetap_pq_writer_open(icetap_pq_reader_schema(r), &conf,
                              file_write, fo, &err);
    if (w == NULL) {
        fprintf(stderr, "open: %s\n", err.msg);
        return 1;
    }

    n = icetap_pq_schema_leaves(icetap_pq_reader_schema(r));
    cols = calloc(n, sizeof(icetap_pq_column_t));
    rc = 0;

    for (rg = 0; rc == 0 && rg < icetap_pq_reader_row_groups(r); rg++) {
        for (i = 0; i < n; i++) {
            if (icetap_pq_read_column(r, rg, (int) i, &cols[i], &err)
                != ICETAP_OK)
            {
                fprintf(stderr, "read rg %d col %zu: %s\n", rg, i, err.msg);
                rc = 1;
                break;
            }
        }

        if (rc == 0
            && icetap_pq_writer_columns(w, cols, n,
                                        icetap_pq_reader_row_group_rows(r,
                                                                        rg))
               != ICETAP_OK)
        {
            fprintf(stderr, "write rg %d: %s\n", rg, err.msg);
            rc = 1;
        }
    }

    if (rc == 0 && icetap_pq_writer_close(w) != ICETAP_OK) {
        fprintf(stderr, "close: %s\n", err.msg);
        rc = 1;
    }

    if (rc == 0) {
        print_metrics(w);
    }

    for (i = 0; i < n; i++) {
        icetap_pq_column_free(&cols[i]);
    }

    free(cols);
    icetap_pq_writer_free(w);
    icetap_pq_reader_free(r);
    fclose(fi);
    fclose(fo);

    return rc;
}


static int
cmd_concat(const char *out, int n, char **in)
{
    int                  i, rc;
    FILE                *fi, *fo;
    icetap_error_t       err;
    icetap_pq_reader_t  *r, *first;
    icetap_pq_writer_t  *w;

    memset(&err, 0, sizeof(err));

    first = open_reader(in[0], &fi, &err);
    if (first == NULL) {
        return 1;
    }

    fo = fopen(out, "wb");
    if (fo == NULL) {
        perror(out);
        return 1;
    }

    w = icetap_pq_writer_open(icetap_pq_reader_schema(first), NULL,
                              file_write, fo, &err);
    if (w == NULL) {
        fprintf(stderr, "open: %s\n", err.msg);
        return 1;
    }

    rc = 0;

    if (icetap_pq_writer_append(w, first) != ICETAP_OK) {
        fprintf(stderr, "%s: %s\n", in[0], err.msg);
        rc = 1;
    }

    for (i = 1; rc == 0 && i < n; i++) {
        FILE  *f;

        r = open_reader(in[i], &f, &err);
        if (r == NULL) {
            rc = 1;
            break;
        }

        if (icetap_pq_writer_append(w, r) != ICETAP_OK) {
            fprintf(stderr, "%s: %s\n", in[i], err.msg);
            rc = 1;
        }

        icetap_pq_reader_free(r);
        fclose(f);
    }

    if (rc == 0 && icetap_pq_writer_close(w) != ICETAP_OK) {
        fprintf(stderr, "close: %s\n", err.msg);
        rc = 1;
    }

    if (rc == 0) {
        print_metrics(w);
    }

    icetap_pq_writer_free(w);
    icetap_pq_reader_free(first);
    fclose(fi);
    fclose(fo);

    return rc;
}


static void
dump_value(const icetap_pq_column_t *c, size_t v)
{
    switch (c->physical) {

    case ICETAP_PQ_PHYS_BOOLEAN:
        printf("%s", ((uint8_t *) c->values)[v] ? "true" : "false");
        break;

    case ICETAP_PQ_PHYS_INT32:
        printf("%d", ((int32_t *) c->values)[v]);
        break;

    case ICETAP_PQ_PHYS_INT64:
        printf("\"%lld\"", (long long) ((int64_t *) c->values)[v]);
        break;

    case ICETAP_PQ_PHYS_FLOAT:
        printf("\"%.9g\"", ((float *) c->values)[v]);
        break;

    case ICETAP_PQ_PHYS_DOUBLE:
        printf("\"%.17g\"", ((double *) c->values)[v]);
        break;

    default:
        print_hex(c->data + c->offsets[v], c->offsets[v + 1] - c->offsets[v]);
    }
}


static int
cmd_dump(const char *in)
{
    int                      rg;
    FILE                    *f;
    size_t                   i, j, n, nn;
    icetap_error_t           err;
    icetap_pq_reader_t      *r;
    icetap_pq_column_t       col;
    const icetap_pq_node_t  *nodes, *nd;

    memset(&err, 0, sizeof(err));
    memset(&col, 0, sizeof(col));

    r = open_reader(in, &f, &err);
    if (r == NULL) {
        return 1;
    }

    n = icetap_pq_schema_nodes(icetap_pq_reader_schema(r), &nodes);
    printf("{\"rows\":%lld,\"schema\":[",
           (long long) icetap_pq_reader_rows(r));

    for (i = 0; i < n; i++) {
        nd = &nodes[i];
        printf("%s{\"name\":\"%s\",\"field_id\":%d,\"type\":%d,"
               "\"physical\":%d,\"max_def\":%d,\"max_rep\":%d}",
               i ? "," : "", nd->name, (int) nd->field_id, (int) nd->type,
               nd->physical, nd->max_def, nd->max_rep);
    }

    printf("],\"row_groups\":[");
    n = icetap_pq_schema_leaves(icetap_pq_reader_schema(r));

    for (rg = 0; rg < icetap_pq_reader_row_groups(r); rg++) {
        printf("%s[", rg ? "," : "");

        for (i = 0; i < n; i++) {
            if (icetap_pq_read_column(r, rg, (int) i, &col, &err)
                != ICETAP_OK)
            {
                fprintf(stderr, "read rg %d col %zu: %s\n", rg, i, err.msg);
                return 1;
            }

            printf("%s{\"rep\":[", i ? "," : "");

            for (j = 0; j < col.num_entries; j++) {
                printf("%s%d", j ? "," : "", col.rep[j]);
            }

            printf("],\"def\":[");

            for (j = 0; j < col.num_entries; j++) {
                printf("%s%d", j ? "," : "", col.def[j]);
            }

            printf("],\"values\":[");

            for (nn = 0; nn < col.num_values; nn++) {
                printf("%s", nn ? "," : "");
                dump_value(&col, nn);
            }

            printf("]}");
        }

        printf("]");
    }

    printf("]}\n");

    icetap_pq_column_free(&col);
    icetap_pq_reader_free(r);
    fclose(f);

    return 0;
}


int
main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "write") == 0) {
        return cmd_write(argv[2], argv[3]);
    }

    if ((argc == 4 || argc == 5) && strcmp(argv[1], "rewrite") == 0) {
        return cmd_rewrite(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
    }

    if (argc >= 4 && strcmp(argv[1], "concat") == 0) {
        return cmd_concat(argv[2], argc - 3, argv + 3);
    }

    if (argc == 3 && strcmp(argv[1], "dump") == 0) {
        return cmd_dump(argv[2]);
    }

    fprintf(stderr, "usage: pq_tool write SPEC OUT | rewrite IN OUT [codec] "
            "| concat OUT IN... | dump IN\n");

    return 2;
}
