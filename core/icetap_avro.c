/*
 * Copyright (C) icetap authors
 *
 * Avro schemas, values and the binary datum encoding.
 */


#include <stdlib.h>
#include <string.h>

#include <icetap/avro.h>


#define ICETAP_AVRO_MAX_DEPTH     128
#define ICETAP_AVRO_SIZE_CAP      ((size_t) 1 << 30)

/* items of zero-byte types (null, empty records) one datum may hold */
#define ICETAP_AVRO_ZERO_BUDGET   ((size_t) 1 << 20)


typedef struct icetap_avro_chunk_s  icetap_avro_chunk_t;

struct icetap_avro_chunk_s {
    icetap_avro_chunk_t  *next;
    size_t                size;
    size_t                used;
    /* data follows, 16-byte aligned */
};


struct icetap_avro_arena_s {
    icetap_avro_chunk_t  *head;
    size_t                chunk;
    size_t                total;
};


typedef struct {
    const char           *name;
    icetap_avro_node_t   *node;
} icetap_avro_named_t;


struct icetap_avro_schema_s {
    json_t               *doc;
    icetap_avro_node_t   *root;

    icetap_avro_node_t  **nodes;
    size_t                nnodes;
    size_t                nodes_cap;

    icetap_avro_named_t  *named;
    size_t                nnamed;
    size_t                named_cap;

    char                **strings;
    size_t                nstrings;
    size_t                strings_cap;
};


typedef struct {
    icetap_avro_schema_t *schema;
    icetap_error_t       *err;
} icetap_avro_parse_t;


typedef struct {
    const uint8_t        *p;
    const uint8_t        *end;
    icetap_avro_arena_t  *arena;
    size_t                zero_budget;
    icetap_error_t       *err;
} icetap_avro_dec_t;


static icetap_rc icetap_avro_parse_node(icetap_avro_parse_t *ps,
    const json_t *j, const char *ns, int depth, icetap_avro_node_t **out);
static icetap_rc icetap_avro_encode_node(const icetap_avro_node_t *n,
    const icetap_avro_value_t *v, icetap_buf_t *out, int depth,
    icetap_error_t *err);
static icetap_rc icetap_avro_decode_node(const icetap_avro_node_t *n,
    icetap_avro_dec_t *d, icetap_avro_value_t *v, int depth);


static const struct {
    const char          *name;
    icetap_avro_type_t   type;
    size_t               min_size;
} icetap_avro_primitives[] = {
    { "null", ICETAP_AVRO_NULL, 0 },
    { "boolean", ICETAP_AVRO_BOOLEAN, 1 },
    { "int", ICETAP_AVRO_INT, 1 },
    { "long", ICETAP_AVRO_LONG, 1 },
    { "float", ICETAP_AVRO_FLOAT, 4 },
    { "double", ICETAP_AVRO_DOUBLE, 8 },
    { "bytes", ICETAP_AVRO_BYTES, 1 },
    { "string", ICETAP_AVRO_STRING, 1 }
};


/* arena */

icetap_avro_arena_t *
icetap_avro_arena_create(size_t chunk)
{
    icetap_avro_arena_t  *a;

    a = icetap_calloc(1, sizeof(icetap_avro_arena_t));
    if (a == NULL) {
        return NULL;
    }

    a->chunk = chunk ? chunk : 16384;

    return a;
}


void *
icetap_avro_arena_alloc(icetap_avro_arena_t *a, size_t size)
{
    size_t                hdr, n;
    uint8_t              *p;
    icetap_avro_chunk_t  *c;

    hdr = (sizeof(icetap_avro_chunk_t) + 15) & ~(size_t) 15;

    if (size > SIZE_MAX / 2) {
        return NULL;
    }

    size = (size + 15) & ~(size_t) 15;

    c = a->head;

    if (c == NULL || c->size - c->used < size) {
        n = icetap_max(a->chunk, size);

        c = icetap_alloc(hdr + n);
        if (c == NULL) {
            return NULL;
        }

        c->size = n;
        c->used = 0;

        /* a big one-off block goes behind the current chunk */

        if (a->head && n > a->chunk) {
            c->next = a->head->next;
            a->head->next = c;

        } else {
            c->next = a->head;
            a->head = c;
        }
    }

    p = (uint8_t *) c + hdr + c->used;
    c->used += size;
    a->total += size;

    memset(p, 0, size);

    return p;
}


void
icetap_avro_arena_reset(icetap_avro_arena_t *a)
{
    icetap_avro_chunk_t  *c, *next;

    if (a->head == NULL) {
        return;
    }

    for (c = a->head->next; c; c = next) {
        next = c->next;
        icetap_free(c);
    }

    a->head->next = NULL;
    a->head->used = 0;
    a->total = 0;
}


void
icetap_avro_arena_destroy(icetap_avro_arena_t *a)
{
    if (a == NULL) {
        return;
    }

    icetap_avro_arena_reset(a);
    icetap_free(a->head);
    icetap_free(a);
}


size_t
icetap_avro_arena_used(const icetap_avro_arena_t *a)
{
    return a->total;
}


/* schema parsing */

static icetap_rc
icetap_avro_track(icetap_avro_parse_t *ps, void *p, int is_string)
{
    size_t                 n;
    void                  *q;
    icetap_avro_schema_t  *s;

    s = ps->schema;

    if (is_string) {
        if (s->nstrings == s->strings_cap) {
            n = s->strings_cap ? s->strings_cap * 2 : 8;
            q = icetap_realloc(s->strings, n * sizeof(char *));
            if (q == NULL) {
                icetap_free(p);
                return icetap_error_set(ps->err, ICETAP_NOMEM,
                                        "out of memory");
            }

            s->strings = q;
            s->strings_cap = n;
        }

        s->strings[s->nstrings++] = p;
        return ICETAP_OK;
    }

    if (s->nnodes == s->nodes_cap) {
        n = s->nodes_cap ? s->nodes_cap * 2 : 32;
        q = icetap_realloc(s->nodes, n * sizeof(icetap_avro_node_t *));
        if (q == NULL) {
            icetap_free(p);
            return icetap_error_set(ps->err, ICETAP_NOMEM, "out of memory");
        }

        s->nodes = q;
        s->nodes_cap = n;
    }

    s->nodes[s->nnodes++] = p;

    return ICETAP_OK;
}


static icetap_avro_node_t *
icetap_avro_node_new(icetap_avro_parse_t *ps, icetap_avro_type_t type,
    const json_t *j)
{
    icetap_avro_node_t  *n;

    n = icetap_calloc(1, sizeof(icetap_avro_node_t));
    if (n == NULL) {
        icetap_error_set(ps->err, ICETAP_NOMEM, "out of memory");
        return NULL;
    }

    if (icetap_avro_track(ps, n, 0) != ICETAP_OK) {
        return NULL;
    }

    n->type = type;
    n->json = j;
    n->adjust_to_utc = -1;
    n->element_id = ICETAP_AVRO_NO_ID;
    n->key_id = ICETAP_AVRO_NO_ID;
    n->value_id = ICETAP_AVRO_NO_ID;

    return n;
}


static icetap_avro_node_t *
icetap_avro_lookup(icetap_avro_schema_t *s, const char *name)
{
    size_t  i;

    for (i = 0; i < s->nnamed; i++) {
        if (strcmp(s->named[i].name, name) == 0) {
            return s->named[i].node;
        }
    }

    return NULL;
}


static icetap_rc
icetap_avro_full_name(icetap_avro_parse_t *ps, const json_t *j,
    const char *ns, const char **full, const char **own_ns)
{
    char        *p;
    size_t       nl, sl;
    const char  *name, *space, *dot;

    name = json_string_value(json_object_get(j, "name"));

    if (name == NULL || *name == '\0') {
        return icetap_error_set(ps->err, ICETAP_INVALID,
                                "named Avro type without a \"name\"");
    }

    space = json_string_value(json_object_get(j, "namespace"));
    if (space == NULL) {
        space = ns;
    }

    dot = strrchr(name, '.');

    if (dot != NULL) {
        *full = name;
        p = icetap_strndup(name, (size_t) (dot - name));
        if (p == NULL || icetap_avro_track(ps, p, 1) != ICETAP_OK) {
            return icetap_error_set(ps->err, ICETAP_NOMEM, "out of memory");
        }

        *own_ns = p;
        return ICETAP_OK;
    }

    *own_ns = space;

    if (space == NULL || *space == '\0') {
        *full = name;
        return ICETAP_OK;
    }

    nl = strlen(name);
    sl = strlen(space);

    p = icetap_alloc(sl + nl + 2);
    if (p == NULL || icetap_avro_track(ps, p, 1) != ICETAP_OK) {
        return icetap_error_set(ps->err, ICETAP_NOMEM, "out of memory");
    }

    memcpy(p, space, sl);
    p[sl] = '.';
    memcpy(p + sl + 1, name, nl + 1);

    *full = p;

    return ICETAP_OK;
}


static icetap_rc
icetap_avro_define(icetap_avro_parse_t *ps, const char *name,
    icetap_avro_node_t *node)
{
    size_t                 n;
    void                  *q;
    icetap_avro_schema_t  *s;

    s = ps->schema;

    if (icetap_avro_lookup(s, name) != NULL) {
        return icetap_error_set(ps->err, ICETAP_INVALID,
                                "Avro type \"%.64s\" is defined twice", name);
    }

    if (s->nnamed == s->named_cap) {
        n = s->named_cap ? s->named_cap * 2 : 16;
        q = icetap_realloc(s->named, n * sizeof(icetap_avro_named_t));
        if (q == NULL) {
            return icetap_error_set(ps->err, ICETAP_NOMEM, "out of memory");
        }

        s->named = q;
        s->named_cap = n;
    }

    s->named[s->nnamed].name = name;
    s->named[s->nnamed].node = node;
    s->nnamed++;

    node->name = name;

    return ICETAP_OK;
}


static icetap_rc
icetap_avro_reference(icetap_avro_parse_t *ps, const char *name,
    const char *ns, icetap_avro_node_t **out)
{
    char                *p;
    size_t               nl, sl;
    icetap_avro_node_t  *n;

    n = NULL;

    if (strchr(name, '.') == NULL && ns != NULL && *ns != '\0') {
        nl = strlen(name);
        sl = strlen(ns);

        p = icetap_alloc(sl + nl + 2);
        if (p == NULL) {
            return icetap_error_set(ps->err, ICETAP_NOMEM, "out of memory");
        }

        memcpy(p, ns, sl);
        p[sl] = '.';
        memcpy(p + sl + 1, name, nl + 1);

        n = icetap_avro_lookup(ps->schema, p);
        icetap_free(p);
    }

    if (n == NULL) {
        n = icetap_avro_lookup(ps->schema, name);
    }

    if (n == NULL) {
        return icetap_error_set(ps->err, ICETAP_INVALID,
                                "unknown Avro type \"%.64s\"", name);
    }

    *out = n;

    return ICETAP_OK;
}


static icetap_rc
icetap_avro_json_id(icetap_avro_parse_t *ps, const json_t *j,
    const char *key, int32_t *id)
{
    json_t      *v;
    json_int_t   x;

    v = json_object_get(j, key);

    if (v == NULL) {
        *id = ICETAP_AVRO_NO_ID;
        return ICETAP_OK;
    }

    if (!json_is_integer(v)) {
        return icetap_error_set(ps->err, ICETAP_INVALID,
                                "Avro attribute \"%s\" is not an integer",
                                key);
    }

    x = json_integer_value(v);

    if (x < 0 || x > INT32_MAX) {
        return icetap_error_set(ps->err, ICETAP_INVALID,
                                "Avro attribute \"%s\" out of range", key);
    }

    *id = (int32_t) x;

    return ICETAP_OK;
}


static size_t
icetap_avro_add_size(size_t a, size_t b)
{
    return (a + b > ICETAP_AVRO_SIZE_CAP) ? ICETAP_AVRO_SIZE_CAP : a + b;
}


static icetap_rc
icetap_avro_parse_record(icetap_avro_parse_t *ps, const json_t *j,
    const char *ns, int depth, icetap_avro_node_t *n)
{
    size_t                i, k, nf;
    json_t               *fields, *fj;
    icetap_rc             rc;
    const char           *name;
    icetap_avro_field_t  *f;

    fields = json_object_get(j, "fields");

    if (!json_is_array(fields)) {
        return icetap_error_set(ps->err, ICETAP_INVALID,
                                "Avro record \"%.64s\" without a \"fields\" "
                                "array", n->name);
    }

    nf = json_array_size(fields);

    if (nf) {
        n->fields = icetap_calloc(nf, sizeof(icetap_avro_field_t));
        if (n->fields == NULL) {
            return icetap_error_set(ps->err, ICETAP_NOMEM, "out of memory");
        }
    }

    for (i = 0; i < nf; i++) {
        fj = json_array_get(fields, i);
        f = &n->fields[i];

        name = json_string_value(json_object_get(fj, "name"));

        if (!json_is_object(fj) || name == NULL) {
            return icetap_error_set(ps->err, ICETAP_INVALID,
                                    "Avro record \"%.64s\": field %zu has "
                                    "no name", n->name, i);
        }

        for (k = 0; k < i; k++) {
            if (strcmp(n->fields[k].name, name) == 0) {
                return icetap_error_set(ps->err, ICETAP_INVALID,
                                        "Avro record \"%.64s\": field "
                                        "\"%.64s\" appears twice", n->name,
                                        name);
            }
        }

        f->name = name;
        f->json = fj;

        rc = icetap_avro_json_id(ps, fj, "field-id", &f->field_id);
        if (rc != ICETAP_OK) {
            return rc;
        }

        rc = icetap_avro_parse_node(ps, json_object_get(fj, "type"), ns,
                                    depth + 1, &f->type);
        if (rc != ICETAP_OK) {
            return rc;
        }

        n->nfields++;
        n->min_size = icetap_avro_add_size(n->min_size, f->type->min_size);
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_avro_parse_object(icetap_avro_parse_t *ps, const json_t *j,
    const char *ns, int depth, icetap_avro_node_t **out)
{
    size_t               i, ns_count;
    json_t              *t, *v;
    icetap_rc            rc;
    const char          *type, *full, *own_ns, *s;
    icetap_avro_node_t  *n;

    t = json_object_get(j, "type");

    if (t == NULL) {
        return icetap_error_set(ps->err, ICETAP_INVALID,
                                "Avro schema object without \"type\"");
    }

    if (!json_is_string(t)) {
        return icetap_avro_parse_node(ps, t, ns, depth + 1, out);
    }

    type = json_string_value(t);
    n = NULL;

    for (i = 0; i < icetap_nelems(icetap_avro_primitives); i++) {
        if (strcmp(type, icetap_avro_primitives[i].name) == 0) {
            n = icetap_avro_node_new(ps, icetap_avro_primitives[i].type, j);
            if (n == NULL) {
                return ICETAP_NOMEM;
            }

            n->min_size = icetap_avro_primitives[i].min_size;
            break;
        }
    }

    if (n != NULL) {
        /* attributes on primitives: logical types */

    } else if (strcmp(type, "record") == 0 || strcmp(type, "error") == 0) {
        n = icetap_avro_node_new(ps, ICETAP_AVRO_RECORD, j);
        if (n == NULL) {
            return ICETAP_NOMEM;
        }

        rc = icetap_avro_full_name(ps, j, ns, &full, &own_ns);
        if (rc == ICETAP_OK) {
            rc = icetap_avro_define(ps, full, n);
        }

        if (rc == ICETAP_OK) {
            rc = icetap_avro_parse_record(ps, j, own_ns, depth, n);
        }

        if (rc != ICETAP_OK) {
            return rc;
        }

    } else if (strcmp(type, "enum") == 0) {
        n = icetap_avro_node_new(ps, ICETAP_AVRO_ENUM, j);
        if (n == NULL) {
            return ICETAP_NOMEM;
        }

        rc = icetap_avro_full_name(ps, j, ns, &full, &own_ns);
        if (rc == ICETAP_OK) {
            rc = icetap_avro_define(ps, full, n);
        }

        if (rc != ICETAP_OK) {
            return rc;
        }

        v = json_object_get(j, "symbols");
        if (!json_is_array(v) || json_array_size(v) == 0) {
            return icetap_error_set(ps->err, ICETAP_INVALID,
                                    "Avro enum \"%.64s\" without symbols",
                                    full);
        }

        ns_count = json_array_size(v);

        n->symbols = icetap_calloc(ns_count, sizeof(char *));
        if (n->symbols == NULL) {
            return icetap_error_set(ps->err, ICETAP_NOMEM, "out of memory");
        }

        for (i = 0; i < ns_count; i++) {
            s = json_string_value(json_array_get(v, i));
            if (s == NULL) {
                return icetap_error_set(ps->err, ICETAP_INVALID,
                                        "Avro enum \"%.64s\": a symbol is "
                                        "not a string", full);
            }

            n->symbols[i] = s;
        }

        n->nsymbols = ns_count;
        n->min_size = 1;

    } else if (strcmp(type, "fixed") == 0) {
        n = icetap_avro_node_new(ps, ICETAP_AVRO_FIXED, j);
        if (n == NULL) {
            return ICETAP_NOMEM;
        }

        rc = icetap_avro_full_name(ps, j, ns, &full, &own_ns);
        if (rc == ICETAP_OK) {
            rc = icetap_avro_define(ps, full, n);
        }

        if (rc != ICETAP_OK) {
            return rc;
        }

        v = json_object_get(j, "size");
        if (!json_is_integer(v) || json_integer_value(v) < 0
            || json_integer_value(v) > INT32_MAX)
        {
            return icetap_error_set(ps->err, ICETAP_INVALID,
                                    "Avro fixed \"%.64s\" without a valid "
                                    "size", full);
        }

        n->size = (size_t) json_integer_value(v);
        n->min_size = icetap_min(n->size, ICETAP_AVRO_SIZE_CAP);

    } else if (strcmp(type, "array") == 0) {
        n = icetap_avro_node_new(ps, ICETAP_AVRO_ARRAY, j);
        if (n == NULL) {
            return ICETAP_NOMEM;
        }

        rc = icetap_avro_json_id(ps, j, "element-id", &n->element_id);
        if (rc == ICETAP_OK) {
            rc = icetap_avro_parse_node(ps, json_object_get(j, "items"), ns,
                                        depth + 1, &n->items);
        }

        if (rc != ICETAP_OK) {
            return rc;
        }

        n->min_size = 1;

    } else if (strcmp(type, "map") == 0) {
        n = icetap_avro_node_new(ps, ICETAP_AVRO_MAP, j);
        if (n == NULL) {
            return ICETAP_NOMEM;
        }

        rc = icetap_avro_json_id(ps, j, "key-id", &n->key_id);
        if (rc == ICETAP_OK) {
            rc = icetap_avro_json_id(ps, j, "value-id", &n->value_id);
        }

        if (rc == ICETAP_OK) {
            rc = icetap_avro_parse_node(ps, json_object_get(j, "values"), ns,
                                        depth + 1, &n->values);
        }

        if (rc != ICETAP_OK) {
            return rc;
        }

        n->min_size = 1;

    } else {
        return icetap_avro_reference(ps, type, ns, out);
    }

    v = json_object_get(j, "logicalType");
    if (json_is_string(v)) {
        n->logical_type = json_string_value(v);
    }

    v = json_object_get(j, "adjust-to-utc");
    if (json_is_boolean(v)) {
        n->adjust_to_utc = json_is_true(v);
    }

    *out = n;

    return ICETAP_OK;
}


static icetap_rc
icetap_avro_parse_node(icetap_avro_parse_t *ps, const json_t *j,
    const char *ns, int depth, icetap_avro_node_t **out)
{
    size_t               i, nb;
    icetap_rc            rc;
    const char          *s;
    icetap_avro_node_t  *n;

    if (depth > ICETAP_AVRO_MAX_DEPTH) {
        return icetap_error_set(ps->err, ICETAP_INVALID,
                                "Avro schema nested deeper than %d",
                                ICETAP_AVRO_MAX_DEPTH);
    }

    if (json_is_string(j)) {
        s = json_string_value(j);

        for (i = 0; i < icetap_nelems(icetap_avro_primitives); i++) {
            if (strcmp(s, icetap_avro_primitives[i].name) == 0) {
                n = icetap_avro_node_new(ps, icetap_avro_primitives[i].type,
                                         j);
                if (n == NULL) {
                    return ICETAP_NOMEM;
                }

                n->min_size = icetap_avro_primitives[i].min_size;
                *out = n;
                return ICETAP_OK;
            }
        }

        return icetap_avro_reference(ps, s, ns, out);
    }

    if (json_is_object(j)) {
        return icetap_avro_parse_object(ps, j, ns, depth, out);
    }

    if (!json_is_array(j)) {
        return icetap_error_set(ps->err, ICETAP_INVALID,
                                "Avro schema is not a string, object or "
                                "array");
    }

    nb = json_array_size(j);

    if (nb == 0) {
        return icetap_error_set(ps->err, ICETAP_INVALID,
                                "Avro union without branches");
    }

    n = icetap_avro_node_new(ps, ICETAP_AVRO_UNION, j);
    if (n == NULL) {
        return ICETAP_NOMEM;
    }

    n->branches = icetap_calloc(nb, sizeof(icetap_avro_node_t *));
    if (n->branches == NULL) {
        return icetap_error_set(ps->err, ICETAP_NOMEM, "out of memory");
    }

    n->min_size = ICETAP_AVRO_SIZE_CAP;

    for (i = 0; i < nb; i++) {
        rc = icetap_avro_parse_node(ps, json_array_get(j, i), ns, depth + 1,
                                    &n->branches[i]);
        if (rc != ICETAP_OK) {
            return rc;
        }

        if (n->branches[i]->type == ICETAP_AVRO_UNION) {
            return icetap_error_set(ps->err, ICETAP_INVALID,
                                    "Avro union directly inside a union");
        }

        n->nbranches++;
        n->min_size = icetap_min(n->min_size, n->branches[i]->min_size);
    }

    n->min_size = icetap_avro_add_size(n->min_size, 1);

    *out = n;

    return ICETAP_OK;
}


icetap_rc
icetap_avro_schema_parse(const char *json, size_t len,
    icetap_avro_schema_t **out, icetap_error_t *err)
{
    icetap_rc             rc;
    json_error_t          jerr;
    icetap_avro_parse_t   ps;
    icetap_avro_schema_t  *s;

    *out = NULL;

    s = icetap_calloc(1, sizeof(icetap_avro_schema_t));
    if (s == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    s->doc = json_loadb(json, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (s->doc == NULL) {
        icetap_free(s);
        return icetap_error_set(err, ICETAP_INVALID,
                                "Avro schema is not JSON: %s at %d:%d",
                                jerr.text, jerr.line, jerr.column);
    }

    ps.schema = s;
    ps.err = err;

    rc = icetap_avro_parse_node(&ps, s->doc, NULL, 0, &s->root);
    if (rc != ICETAP_OK) {
        icetap_avro_schema_free(s);
        return rc;
    }

    *out = s;

    return ICETAP_OK;
}


const icetap_avro_node_t *
icetap_avro_schema_root(const icetap_avro_schema_t *s)
{
    return s->root;
}


void
icetap_avro_schema_free(icetap_avro_schema_t *s)
{
    size_t               i;
    icetap_avro_node_t  *n;

    if (s == NULL) {
        return;
    }

    for (i = 0; i < s->nnodes; i++) {
        n = s->nodes[i];
        icetap_free(n->fields);
        icetap_free(n->symbols);
        icetap_free(n->branches);
        icetap_free(n);
    }

    for (i = 0; i < s->nstrings; i++) {
        icetap_free(s->strings[i]);
    }

    icetap_free(s->nodes);
    icetap_free(s->strings);
    icetap_free(s->named);
    json_decref(s->doc);
    icetap_free(s);
}


const icetap_avro_field_t *
icetap_avro_field(const icetap_avro_node_t *rec, const char *name)
{
    size_t  i;

    if (rec == NULL || rec->type != ICETAP_AVRO_RECORD) {
        return NULL;
    }

    for (i = 0; i < rec->nfields; i++) {
        if (strcmp(rec->fields[i].name, name) == 0) {
            return &rec->fields[i];
        }
    }

    return NULL;
}


const icetap_avro_node_t *
icetap_avro_unwrap(const icetap_avro_node_t *n)
{
    if (n->type == ICETAP_AVRO_UNION && n->nbranches == 2) {
        if (n->branches[0]->type == ICETAP_AVRO_NULL) {
            return n->branches[1];
        }

        if (n->branches[1]->type == ICETAP_AVRO_NULL) {
            return n->branches[0];
        }
    }

    return n;
}


/* values */

void
icetap_avro_set_null(icetap_avro_value_t *v)
{
    memset(v, 0, sizeof(icetap_avro_value_t));
    v->type = ICETAP_AVRO_NULL;
}


void
icetap_avro_set_boolean(icetap_avro_value_t *v, int b)
{
    v->type = ICETAP_AVRO_BOOLEAN;
    v->v.b = b ? 1 : 0;
}


void
icetap_avro_set_int(icetap_avro_value_t *v, int32_t i)
{
    v->type = ICETAP_AVRO_INT;
    v->v.i = i;
}


void
icetap_avro_set_long(icetap_avro_value_t *v, int64_t l)
{
    v->type = ICETAP_AVRO_LONG;
    v->v.l = l;
}


void
icetap_avro_set_float(icetap_avro_value_t *v, float f)
{
    v->type = ICETAP_AVRO_FLOAT;
    v->v.f = f;
}


void
icetap_avro_set_double(icetap_avro_value_t *v, double d)
{
    v->type = ICETAP_AVRO_DOUBLE;
    v->v.d = d;
}


void
icetap_avro_set_bytes(icetap_avro_value_t *v, icetap_avro_type_t type,
    const void *data, size_t len)
{
    v->type = type;
    v->v.bytes.data = data;
    v->v.bytes.len = len;
}


void
icetap_avro_set_string(icetap_avro_value_t *v, const char *s)
{
    icetap_avro_set_bytes(v, ICETAP_AVRO_STRING, s, strlen(s));
}


icetap_avro_value_t *
icetap_avro_set_union(icetap_avro_arena_t *a, icetap_avro_value_t *v,
    int32_t branch)
{
    icetap_avro_value_t  *in;

    in = icetap_avro_arena_alloc(a, sizeof(icetap_avro_value_t));
    if (in == NULL) {
        return NULL;
    }

    v->type = ICETAP_AVRO_UNION;
    v->v.u.branch = branch;
    v->v.u.value = in;

    return in;
}


static icetap_avro_value_t *
icetap_avro_values(icetap_avro_arena_t *a, size_t n)
{
    if (n > SIZE_MAX / 2 / sizeof(icetap_avro_value_t)) {
        return NULL;
    }

    return icetap_avro_arena_alloc(a, icetap_max(n, 1)
                                      * sizeof(icetap_avro_value_t));
}


icetap_avro_value_t *
icetap_avro_set_record(icetap_avro_arena_t *a, icetap_avro_value_t *v,
    size_t nfields)
{
    v->type = ICETAP_AVRO_RECORD;
    v->v.list.n = nfields;
    v->v.list.items = icetap_avro_values(a, nfields);

    return v->v.list.items;
}


icetap_avro_value_t *
icetap_avro_set_array(icetap_avro_arena_t *a, icetap_avro_value_t *v,
    size_t n)
{
    v->type = ICETAP_AVRO_ARRAY;
    v->v.list.n = n;
    v->v.list.items = icetap_avro_values(a, n);

    return v->v.list.items;
}


icetap_avro_value_t *
icetap_avro_set_map(icetap_avro_arena_t *a, icetap_avro_value_t *v, size_t n)
{
    v->type = ICETAP_AVRO_MAP;
    v->v.map.n = n;
    v->v.map.keys = icetap_avro_values(a, n);
    v->v.map.vals = icetap_avro_values(a, n);

    if (v->v.map.keys == NULL) {
        return NULL;
    }

    return v->v.map.vals;
}


/* binary encoding */

icetap_rc
icetap_avro_put_long(icetap_buf_t *b, int64_t v)
{
    int       n;
    uint8_t   tmp[10];
    uint64_t  z;

    z = ((uint64_t) v << 1) ^ (uint64_t) (v >> 63);
    n = 0;

    while (z >= 0x80) {
        tmp[n++] = (uint8_t) (z | 0x80);
        z >>= 7;
    }

    tmp[n++] = (uint8_t) z;

    return icetap_buf_append(b, tmp, n);
}


icetap_rc
icetap_avro_put_bytes(icetap_buf_t *b, const void *p, size_t len)
{
    if (icetap_avro_put_long(b, (int64_t) len) != ICETAP_OK) {
        return ICETAP_NOMEM;
    }

    return icetap_buf_append(b, p, len);
}


icetap_rc
icetap_avro_get_long(const uint8_t **pp, const uint8_t *end, int64_t *v)
{
    int             shift;
    uint64_t        z;
    const uint8_t  *p;

    p = *pp;
    z = 0;

    for (shift = 0; shift < 70; shift += 7) {
        if (p >= end) {
            return ICETAP_EOF;
        }

        if (shift == 63 && (*p & 0xfe) != 0) {
            return ICETAP_INVALID;
        }

        z |= (uint64_t) (*p & 0x7f) << shift;

        if ((*p++ & 0x80) == 0) {
            *pp = p;
            *v = (int64_t) (z >> 1) ^ -(int64_t) (z & 1);
            return ICETAP_OK;
        }
    }

    return ICETAP_INVALID;
}


static const char *
icetap_avro_type_name(icetap_avro_type_t t)
{
    static const char  *names[] = {
        "?", "null", "boolean", "int", "long", "float", "double", "bytes",
        "string", "record", "enum", "array", "map", "union", "fixed"
    };

    if ((size_t) t < icetap_nelems(names)) {
        return names[t];
    }

    return "?";
}


static icetap_rc
icetap_avro_mismatch(const icetap_avro_node_t *n,
    const icetap_avro_value_t *v, icetap_error_t *err)
{
    return icetap_error_set(err, ICETAP_INVALID,
                            "Avro value of type %s where the schema has %s%s"
                            "%.64s", icetap_avro_type_name(v->type),
                            icetap_avro_type_name(n->type),
                            n->name ? " " : "", n->name ? n->name : "");
}


static int
icetap_avro_branch_for(const icetap_avro_node_t *n,
    const icetap_avro_value_t *v)
{
    size_t  i;

    for (i = 0; i < n->nbranches; i++) {
        if (n->branches[i]->type == v->type) {
            return (int) i;
        }
    }

    return -1;
}


static icetap_rc
icetap_avro_encode_node(const icetap_avro_node_t *n,
    const icetap_avro_value_t *v, icetap_buf_t *out, int depth,
    icetap_error_t *err)
{
    int        branch;
    size_t     i;
    uint8_t    tmp[8];
    uint32_t   u32;
    uint64_t   u64;
    icetap_rc  rc;

    if (depth > ICETAP_AVRO_MAX_DEPTH) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "Avro value nested deeper than %d",
                                ICETAP_AVRO_MAX_DEPTH);
    }

    if (n->type == ICETAP_AVRO_UNION) {

        if (v->type == ICETAP_AVRO_UNION) {
            branch = v->v.u.branch;
            v = v->v.u.value;

        } else {
            /* a plain value selects the first branch of its type */
            branch = icetap_avro_branch_for(n, v);
        }

        if (branch < 0 || (size_t) branch >= n->nbranches || v == NULL) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "no union branch for an Avro %s value",
                                    icetap_avro_type_name(v ? v->type : 0));
        }

        if (icetap_avro_put_long(out, branch) != ICETAP_OK) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }

        return icetap_avro_encode_node(n->branches[branch], v, out,
                                       depth + 1, err);
    }

    if (v->type != n->type) {
        return icetap_avro_mismatch(n, v, err);
    }

    rc = ICETAP_OK;

    switch (n->type) {

    case ICETAP_AVRO_NULL:
        break;

    case ICETAP_AVRO_BOOLEAN:
        rc = icetap_buf_putc(out, v->v.b ? 1 : 0);
        break;

    case ICETAP_AVRO_INT:
        rc = icetap_avro_put_long(out, v->v.i);
        break;

    case ICETAP_AVRO_LONG:
        rc = icetap_avro_put_long(out, v->v.l);
        break;

    case ICETAP_AVRO_FLOAT:
        memcpy(&u32, &v->v.f, 4);
        for (i = 0; i < 4; i++) {
            tmp[i] = (uint8_t) (u32 >> (8 * i));
        }

        rc = icetap_buf_append(out, tmp, 4);
        break;

    case ICETAP_AVRO_DOUBLE:
        memcpy(&u64, &v->v.d, 8);
        for (i = 0; i < 8; i++) {
            tmp[i] = (uint8_t) (u64 >> (8 * i));
        }

        rc = icetap_buf_append(out, tmp, 8);
        break;

    case ICETAP_AVRO_BYTES:
    case ICETAP_AVRO_STRING:
        rc = icetap_avro_put_bytes(out, v->v.bytes.data, v->v.bytes.len);
        break;

    case ICETAP_AVRO_FIXED:
        if (v->v.bytes.len != n->size) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "Avro fixed %.64s needs %zu bytes, "
                                    "got %zu", n->name, n->size,
                                    v->v.bytes.len);
        }

        rc = icetap_buf_append(out, v->v.bytes.data, v->v.bytes.len);
        break;

    case ICETAP_AVRO_ENUM:
        if (v->v.i < 0 || (size_t) v->v.i >= n->nsymbols) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "Avro enum %.64s has no symbol %d",
                                    n->name, (int) v->v.i);
        }

        rc = icetap_avro_put_long(out, v->v.i);
        break;

    case ICETAP_AVRO_RECORD:
        if (v->v.list.n != n->nfields) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "Avro record %.64s has %zu fields, the "
                                    "value %zu", n->name, n->nfields,
                                    v->v.list.n);
        }

        for (i = 0; i < n->nfields; i++) {
            rc = icetap_avro_encode_node(n->fields[i].type,
                                         &v->v.list.items[i], out,
                                         depth + 1, err);
            if (rc != ICETAP_OK) {
                return rc;
            }
        }

        return ICETAP_OK;

    case ICETAP_AVRO_ARRAY:
        if (v->v.list.n) {
            if (icetap_avro_put_long(out, (int64_t) v->v.list.n)) {
                return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
            }

            for (i = 0; i < v->v.list.n; i++) {
                rc = icetap_avro_encode_node(n->items, &v->v.list.items[i],
                                             out, depth + 1, err);
                if (rc != ICETAP_OK) {
                    return rc;
                }
            }
        }

        rc = icetap_buf_putc(out, 0);
        break;

    case ICETAP_AVRO_MAP:
        if (v->v.map.n) {
            if (icetap_avro_put_long(out, (int64_t) v->v.map.n)) {
                return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
            }

            for (i = 0; i < v->v.map.n; i++) {
                if (v->v.map.keys[i].type != ICETAP_AVRO_STRING) {
                    return icetap_error_set(err, ICETAP_INVALID,
                                            "Avro map key is not a string");
                }

                if (icetap_avro_put_bytes(out, v->v.map.keys[i].v.bytes.data,
                                          v->v.map.keys[i].v.bytes.len))
                {
                    return icetap_error_set(err, ICETAP_NOMEM,
                                            "out of memory");
                }

                rc = icetap_avro_encode_node(n->values, &v->v.map.vals[i],
                                             out, depth + 1, err);
                if (rc != ICETAP_OK) {
                    return rc;
                }
            }
        }

        rc = icetap_buf_putc(out, 0);
        break;

    default:
        return icetap_avro_mismatch(n, v, err);
    }

    if (rc != ICETAP_OK) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    return ICETAP_OK;
}


icetap_rc
icetap_avro_encode(const icetap_avro_node_t *schema,
    const icetap_avro_value_t *v, icetap_buf_t *out, icetap_error_t *err)
{
    size_t     len;
    icetap_rc  rc;

    len = out->len;

    rc = icetap_avro_encode_node(schema, v, out, 0, err);

    if (rc != ICETAP_OK) {
        out->len = len;
    }

    return rc;
}


static icetap_rc
icetap_avro_truncated(icetap_avro_dec_t *d, const char *what)
{
    return icetap_error_set(d->err, ICETAP_INVALID,
                            "Avro datum truncated in %s", what);
}


static icetap_rc
icetap_avro_dec_long(icetap_avro_dec_t *d, int64_t *v, const char *what)
{
    icetap_rc  rc;

    rc = icetap_avro_get_long(&d->p, d->end, v);

    if (rc == ICETAP_EOF) {
        return icetap_avro_truncated(d, what);
    }

    if (rc != ICETAP_OK) {
        return icetap_error_set(d->err, ICETAP_INVALID,
                                "invalid Avro varint in %s", what);
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_avro_dec_bytes(icetap_avro_dec_t *d, size_t len,
    icetap_avro_value_t *v, const char *what)
{
    uint8_t  *p;

    if ((size_t) (d->end - d->p) < len) {
        return icetap_avro_truncated(d, what);
    }

    /* one spare NUL so strings can be used as C strings */

    p = icetap_avro_arena_alloc(d->arena, len + 1);
    if (p == NULL) {
        return icetap_error_set(d->err, ICETAP_NOMEM, "out of memory");
    }

    memcpy(p, d->p, len);
    p[len] = '\0';
    d->p += len;

    v->v.bytes.data = p;
    v->v.bytes.len = len;

    return ICETAP_OK;
}


/* the item count of an array or map block, checked against what is left */

static icetap_rc
icetap_avro_dec_count(icetap_avro_dec_t *d, size_t min_item, int64_t *count,
    const char *what)
{
    int64_t    n, size;
    icetap_rc  rc;

    rc = icetap_avro_dec_long(d, &n, what);
    if (rc != ICETAP_OK) {
        return rc;
    }

    if (n < 0) {
        if (n == INT64_MIN) {
            return icetap_error_set(d->err, ICETAP_INVALID,
                                    "invalid Avro block count in %s", what);
        }

        n = -n;

        rc = icetap_avro_dec_long(d, &size, what);
        if (rc != ICETAP_OK) {
            return rc;
        }

        if (size < 0 || size > d->end - d->p) {
            return icetap_error_set(d->err, ICETAP_INVALID,
                                    "invalid Avro block size in %s", what);
        }
    }

    if (min_item > 0) {
        if ((uint64_t) n > (uint64_t) (d->end - d->p) / min_item) {
            return icetap_error_set(d->err, ICETAP_INVALID,
                                    "Avro %s count %lld exceeds the data",
                                    what, (long long) n);
        }

    } else {
        if ((uint64_t) n > d->zero_budget) {
            return icetap_error_set(d->err, ICETAP_INVALID,
                                    "Avro %s holds too many empty items",
                                    what);
        }

        d->zero_budget -= (size_t) n;
    }

    *count = n;

    return ICETAP_OK;
}


static icetap_rc
icetap_avro_grow(icetap_avro_dec_t *d, icetap_avro_value_t **items,
    size_t *cap, size_t need)
{
    size_t                cap2;
    icetap_avro_value_t  *p;

    if (need <= *cap) {
        return ICETAP_OK;
    }

    cap2 = icetap_max(need, *cap * 2);
    cap2 = icetap_max(cap2, 4);

    p = icetap_avro_values(d->arena, cap2);
    if (p == NULL) {
        return icetap_error_set(d->err, ICETAP_NOMEM, "out of memory");
    }

    if (*cap) {
        memcpy(p, *items, *cap * sizeof(icetap_avro_value_t));
    }

    *items = p;
    *cap = cap2;

    return ICETAP_OK;
}


static icetap_rc
icetap_avro_decode_node(const icetap_avro_node_t *n, icetap_avro_dec_t *d,
    icetap_avro_value_t *v, int depth)
{
    size_t                i, total, cap, kcap, min;
    int64_t               l, count;
    uint32_t              u32;
    uint64_t              u64;
    icetap_rc             rc;
    icetap_avro_value_t  *items, *keys;

    if (depth > ICETAP_AVRO_MAX_DEPTH) {
        return icetap_error_set(d->err, ICETAP_INVALID,
                                "Avro datum nested deeper than %d",
                                ICETAP_AVRO_MAX_DEPTH);
    }

    memset(v, 0, sizeof(icetap_avro_value_t));
    v->type = n->type;

    switch (n->type) {

    case ICETAP_AVRO_NULL:
        return ICETAP_OK;

    case ICETAP_AVRO_BOOLEAN:
        if (d->p >= d->end) {
            return icetap_avro_truncated(d, "boolean");
        }

        if (*d->p > 1) {
            return icetap_error_set(d->err, ICETAP_INVALID,
                                    "Avro boolean byte 0x%02x", *d->p);
        }

        v->v.b = *d->p++;
        return ICETAP_OK;

    case ICETAP_AVRO_INT:
        rc = icetap_avro_dec_long(d, &l, "int");
        if (rc != ICETAP_OK) {
            return rc;
        }

        if (l < INT32_MIN || l > INT32_MAX) {
            return icetap_error_set(d->err, ICETAP_INVALID,
                                    "Avro int out of range");
        }

        v->v.i = (int32_t) l;
        return ICETAP_OK;

    case ICETAP_AVRO_LONG:
        return icetap_avro_dec_long(d, &v->v.l, "long");

    case ICETAP_AVRO_FLOAT:
        if (d->end - d->p < 4) {
            return icetap_avro_truncated(d, "float");
        }

        u32 = 0;
        for (i = 0; i < 4; i++) {
            u32 |= (uint32_t) d->p[i] << (8 * i);
        }

        memcpy(&v->v.f, &u32, 4);
        d->p += 4;
        return ICETAP_OK;

    case ICETAP_AVRO_DOUBLE:
        if (d->end - d->p < 8) {
            return icetap_avro_truncated(d, "double");
        }

        u64 = 0;
        for (i = 0; i < 8; i++) {
            u64 |= (uint64_t) d->p[i] << (8 * i);
        }

        memcpy(&v->v.d, &u64, 8);
        d->p += 8;
        return ICETAP_OK;

    case ICETAP_AVRO_BYTES:
    case ICETAP_AVRO_STRING:
        rc = icetap_avro_dec_long(d, &l, "length");
        if (rc != ICETAP_OK) {
            return rc;
        }

        if (l < 0) {
            return icetap_error_set(d->err, ICETAP_INVALID,
                                    "negative Avro %s length",
                                    icetap_avro_type_name(n->type));
        }

        if (l > d->end - d->p) {
            return icetap_avro_truncated(d, icetap_avro_type_name(n->type));
        }

        return icetap_avro_dec_bytes(d, (size_t) l, v,
                                     icetap_avro_type_name(n->type));

    case ICETAP_AVRO_FIXED:
        return icetap_avro_dec_bytes(d, n->size, v, "fixed");

    case ICETAP_AVRO_ENUM:
        rc = icetap_avro_dec_long(d, &l, "enum");
        if (rc != ICETAP_OK) {
            return rc;
        }

        if (l < 0 || (uint64_t) l >= n->nsymbols) {
            return icetap_error_set(d->err, ICETAP_INVALID,
                                    "Avro enum index %lld out of range",
                                    (long long) l);
        }

        v->v.i = (int32_t) l;
        return ICETAP_OK;

    case ICETAP_AVRO_UNION:
        rc = icetap_avro_dec_long(d, &l, "union");
        if (rc != ICETAP_OK) {
            return rc;
        }

        if (l < 0 || (uint64_t) l >= n->nbranches) {
            return icetap_error_set(d->err, ICETAP_INVALID,
                                    "Avro union branch %lld out of range",
                                    (long long) l);
        }

        v->v.u.branch = (int32_t) l;
        v->v.u.value = icetap_avro_values(d->arena, 1);
        if (v->v.u.value == NULL) {
            return icetap_error_set(d->err, ICETAP_NOMEM, "out of memory");
        }

        return icetap_avro_decode_node(n->branches[l], d, v->v.u.value,
                                       depth + 1);

    case ICETAP_AVRO_RECORD:
        v->v.list.n = n->nfields;
        v->v.list.items = icetap_avro_values(d->arena, n->nfields);
        if (v->v.list.items == NULL) {
            return icetap_error_set(d->err, ICETAP_NOMEM, "out of memory");
        }

        for (i = 0; i < n->nfields; i++) {
            rc = icetap_avro_decode_node(n->fields[i].type, d,
                                         &v->v.list.items[i], depth + 1);
            if (rc != ICETAP_OK) {
                return rc;
            }
        }

        return ICETAP_OK;

    case ICETAP_AVRO_ARRAY:
    case ICETAP_AVRO_MAP:
        items = NULL;
        keys = NULL;
        cap = 0;
        kcap = 0;
        total = 0;
        count = 0;
        min = (n->type == ICETAP_AVRO_ARRAY) ? n->items->min_size
                                             : 1 + n->values->min_size;

        for ( ;; ) {
            rc = icetap_avro_dec_count(d, min, &count,
                                       icetap_avro_type_name(n->type));
            if (rc != ICETAP_OK) {
                return rc;
            }

            if (count == 0) {
                break;
            }

            rc = icetap_avro_grow(d, &items, &cap, total + (size_t) count);
            if (rc != ICETAP_OK) {
                return rc;
            }

            if (n->type == ICETAP_AVRO_MAP) {
                rc = icetap_avro_grow(d, &keys, &kcap,
                                      total + (size_t) count);
                if (rc != ICETAP_OK) {
                    return rc;
                }
            }

            for (i = 0; i < (size_t) count; i++, total++) {

                if (n->type == ICETAP_AVRO_MAP) {
                    keys[total].type = ICETAP_AVRO_STRING;

                    rc = icetap_avro_dec_long(d, &l, "map key");
                    if (rc != ICETAP_OK) {
                        return rc;
                    }

                    if (l < 0 || l > d->end - d->p) {
                        return icetap_error_set(d->err, ICETAP_INVALID,
                                                "bad Avro map key length");
                    }

                    rc = icetap_avro_dec_bytes(d, (size_t) l, &keys[total],
                                               "map key");
                    if (rc != ICETAP_OK) {
                        return rc;
                    }
                }

                rc = icetap_avro_decode_node(n->type == ICETAP_AVRO_ARRAY
                                             ? n->items : n->values,
                                             d, &items[total], depth + 1);
                if (rc != ICETAP_OK) {
                    return rc;
                }
            }
        }

        if (n->type == ICETAP_AVRO_ARRAY) {
            v->v.list.items = items;
            v->v.list.n = total;

        } else {
            v->v.map.keys = keys;
            v->v.map.vals = items;
            v->v.map.n = total;
        }

        return ICETAP_OK;

    default:
        return icetap_error_set(d->err, ICETAP_INVALID,
                                "invalid Avro schema node");
    }
}


icetap_rc
icetap_avro_decode(const icetap_avro_node_t *schema, const uint8_t **p,
    const uint8_t *end, icetap_avro_arena_t *a, icetap_avro_value_t *v,
    icetap_error_t *err)
{
    icetap_rc          rc;
    icetap_avro_dec_t  d;

    d.p = *p;
    d.end = end;
    d.arena = a;
    d.zero_budget = ICETAP_AVRO_ZERO_BUDGET;
    d.err = err;

    rc = icetap_avro_decode_node(schema, &d, v, 0);

    if (rc == ICETAP_OK) {
        *p = d.p;
    }

    return rc;
}
