/*
 * Copyright (C) icetap authors
 *
 * Parquet schemas (built from Iceberg fields or decoded from a footer),
 * the FileMetaData footer and page headers in the Thrift compact
 * protocol.
 */

#include <stdio.h>
#include <string.h>
#include <math.h>

#include "icetap_thrift.h"
#include "icetap_parquet.h"


#define ICETAP_PQ_CT_UTF8       0
#define ICETAP_PQ_CT_MAP        1
#define ICETAP_PQ_CT_MAP_KV     2
#define ICETAP_PQ_CT_LIST       3
#define ICETAP_PQ_CT_ENUM       4
#define ICETAP_PQ_CT_DECIMAL    5
#define ICETAP_PQ_CT_DATE       6
#define ICETAP_PQ_CT_TIME_MICROS        8
#define ICETAP_PQ_CT_TIMESTAMP_MILLIS   9
#define ICETAP_PQ_CT_TIMESTAMP_MICROS   10
#define ICETAP_PQ_CT_JSON       19


static icetap_rc icetap_pq_flatten(icetap_pq_schema_t *s, int u,
    size_t *pos, icetap_error_t *err);
static void icetap_pq_node_init(icetap_pq_node_t *n);
static icetap_rc icetap_pq_node_primitive(icetap_pq_node_t *n,
    const icetap_pq_unode_t *u, icetap_error_t *err);
static icetap_pq_type_e icetap_pq_derive_type(const icetap_pq_node_t *n);
static void icetap_pq_encode_element(icetap_tw_t *tw,
    const icetap_pq_node_t *n);
static void icetap_pq_encode_chunk(icetap_tw_t *tw,
    const icetap_pq_schema_t *s, int leaf, const icetap_pq_chunk_t *c);
static icetap_rc icetap_pq_decode_element(icetap_tr_t *tr,
    icetap_pq_node_t *n);
static icetap_rc icetap_pq_decode_logical(icetap_tr_t *tr,
    icetap_pq_node_t *n);
static icetap_rc icetap_pq_decode_rg(icetap_tr_t *tr, icetap_pq_meta_t *m,
    icetap_pq_rg_t *rg);
static icetap_rc icetap_pq_decode_chunk(icetap_tr_t *tr,
    icetap_pq_chunk_t *c);
static icetap_rc icetap_pq_decode_colmeta(icetap_tr_t *tr,
    icetap_pq_chunk_t *c);
static icetap_rc icetap_pq_decode_stats(icetap_tr_t *tr,
    icetap_pq_chunk_t *c);
static icetap_rc icetap_pq_dup_bin(icetap_tr_t *tr, int type, uint8_t **p,
    uint32_t *n);


icetap_pq_schema_t *
icetap_pq_schema_new(icetap_error_t *err)
{
    icetap_pq_schema_t  *s;

    s = icetap_calloc(1, sizeof(icetap_pq_schema_t));
    if (s == NULL) {
        icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        return NULL;
    }

    s->first_top = -1;
    s->last_top = -1;

    return s;
}


icetap_pq_schema_t *
icetap_pq_schema_alloc(size_t nnodes, icetap_error_t *err)
{
    icetap_pq_schema_t  *s;

    s = icetap_pq_schema_new(err);
    if (s == NULL) {
        return NULL;
    }

    s->nodes = icetap_calloc(nnodes ? nnodes : 1, sizeof(icetap_pq_node_t));
    if (s->nodes == NULL) {
        icetap_free(s);
        icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        return NULL;
    }

    s->nnodes = nnodes;
    s->finished = 1;

    return s;
}


int
icetap_pq_schema_add(icetap_pq_schema_t *s, int parent, int32_t field_id,
    const char *name, int required, icetap_pq_type_e type, int32_t p1,
    int32_t p2, icetap_error_t *err)
{
    int                 h;
    size_t              ncap;
    icetap_pq_unode_t  *u, *pu, *nun;

    if (s->finished) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "parquet schema: already finished");
    }

    if (name == NULL || name[0] == '\0') {
        return icetap_error_set(err, ICETAP_INVALID,
                                "parquet schema: field %d has no name",
                                (int) field_id);
    }

    if (!((type >= ICETAP_PQ_BOOLEAN && type <= ICETAP_PQ_BINARY)
          || type == ICETAP_PQ_STRUCT || type == ICETAP_PQ_LIST
          || type == ICETAP_PQ_MAP))
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "parquet schema: field \"%s\" has unknown "
                                "type %d", name, (int) type);
    }

    pu = NULL;

    if (parent != ICETAP_PQ_ROOT) {
        if (parent < 0 || (size_t) parent >= s->nun) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "parquet schema: field \"%s\" has a bad "
                                    "parent handle %d", name, parent);
        }

        pu = &s->un[parent];

        if (pu->type != ICETAP_PQ_STRUCT && pu->type != ICETAP_PQ_LIST
            && pu->type != ICETAP_PQ_MAP)
        {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "parquet schema: parent of \"%s\" is "
                                    "not a struct, list or map", name);
        }

        if ((pu->type == ICETAP_PQ_LIST && pu->nchildren >= 1)
            || (pu->type == ICETAP_PQ_MAP && pu->nchildren >= 2))
        {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "parquet schema: %s \"%s\" already has "
                                    "its %s", pu->type == ICETAP_PQ_LIST
                                    ? "list" : "map", pu->name,
                                    pu->type == ICETAP_PQ_LIST
                                    ? "element" : "key and value");
        }

        if (pu->type == ICETAP_PQ_MAP && pu->nchildren == 0 && !required) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "parquet schema: key of map \"%s\" must "
                                    "be required", pu->name);
        }
    }

    if (s->nun == s->cap_un) {
        ncap = s->cap_un ? s->cap_un * 2 : 16;
        nun = icetap_realloc(s->un, ncap * sizeof(icetap_pq_unode_t));
        if (nun == NULL) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }

        s->un = nun;
        s->cap_un = ncap;
        pu = parent != ICETAP_PQ_ROOT ? &s->un[parent] : NULL;
    }

    h = (int) s->nun;
    u = &s->un[h];
    memset(u, 0, sizeof(*u));

    u->name = icetap_strndup(name, strlen(name));
    if (u->name == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    u->field_id = field_id < 0 ? -1 : field_id;
    u->required = required ? 1 : 0;
    u->type = type;
    u->p1 = p1;
    u->p2 = p2;
    u->parent = parent;
    u->first_child = -1;
    u->last_child = -1;
    u->next = -1;
    s->nun++;

    if (pu) {
        if (pu->last_child >= 0) {
            s->un[pu->last_child].next = h;
        } else {
            pu->first_child = h;
        }

        pu->last_child = h;
        pu->nchildren++;

    } else {
        if (s->last_top >= 0) {
            s->un[s->last_top].next = h;
        } else {
            s->first_top = h;
        }

        s->last_top = h;
    }

    return h;
}


static void
icetap_pq_node_init(icetap_pq_node_t *n)
{
    memset(n, 0, sizeof(*n));
    n->field_id = -1;
    n->physical = -1;
    n->converted = -1;
    n->parent = -1;
    n->leaf = -1;
}


static icetap_rc
icetap_pq_node_primitive(icetap_pq_node_t *n, const icetap_pq_unode_t *u,
    icetap_error_t *err)
{
    switch (u->type) {

    case ICETAP_PQ_BOOLEAN:
        n->physical = ICETAP_PQ_PHYS_BOOLEAN;
        break;

    case ICETAP_PQ_INT:
        n->physical = ICETAP_PQ_PHYS_INT32;
        break;

    case ICETAP_PQ_LONG:
        n->physical = ICETAP_PQ_PHYS_INT64;
        break;

    case ICETAP_PQ_FLOAT:
        n->physical = ICETAP_PQ_PHYS_FLOAT;
        break;

    case ICETAP_PQ_DOUBLE:
        n->physical = ICETAP_PQ_PHYS_DOUBLE;
        break;

    case ICETAP_PQ_DECIMAL:
        if (u->p1 < 1 || u->p1 > 38 || u->p2 < 0 || u->p2 > u->p1) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "parquet schema: \"%s\": bad "
                                    "decimal(%d,%d)", u->name, (int) u->p1,
                                    (int) u->p2);
        }

        if (u->p1 <= 9) {
            n->physical = ICETAP_PQ_PHYS_INT32;

        } else if (u->p1 <= 18) {
            n->physical = ICETAP_PQ_PHYS_INT64;

        } else {
            n->physical = ICETAP_PQ_PHYS_FLBA;
            n->type_length = (int32_t) ceil((u->p1 * 3.321928094887362 + 1)
                                            / 8);
        }

        n->converted = ICETAP_PQ_CT_DECIMAL;
        n->logical = ICETAP_PQ_LT_DECIMAL;
        n->precision = u->p1;
        n->scale = u->p2;
        break;

    case ICETAP_PQ_DATE:
        n->physical = ICETAP_PQ_PHYS_INT32;
        n->converted = ICETAP_PQ_CT_DATE;
        n->logical = ICETAP_PQ_LT_DATE;
        break;

    case ICETAP_PQ_TIME:
        n->physical = ICETAP_PQ_PHYS_INT64;
        n->converted = ICETAP_PQ_CT_TIME_MICROS;
        n->logical = ICETAP_PQ_LT_TIME;
        n->lt_unit = ICETAP_PQ_MICROS;
        break;

    case ICETAP_PQ_TIMESTAMP:
    case ICETAP_PQ_TIMESTAMPTZ:
        n->physical = ICETAP_PQ_PHYS_INT64;
        n->converted = ICETAP_PQ_CT_TIMESTAMP_MICROS;
        n->logical = ICETAP_PQ_LT_TIMESTAMP;
        n->lt_unit = ICETAP_PQ_MICROS;
        n->lt_utc = u->type == ICETAP_PQ_TIMESTAMPTZ;
        break;

    case ICETAP_PQ_TIMESTAMP_NS:
    case ICETAP_PQ_TIMESTAMPTZ_NS:
        n->physical = ICETAP_PQ_PHYS_INT64;
        n->logical = ICETAP_PQ_LT_TIMESTAMP;
        n->lt_unit = ICETAP_PQ_NANOS;
        n->lt_utc = u->type == ICETAP_PQ_TIMESTAMPTZ_NS;
        break;

    case ICETAP_PQ_STRING:
        n->physical = ICETAP_PQ_PHYS_BYTE_ARRAY;
        n->converted = ICETAP_PQ_CT_UTF8;
        n->logical = ICETAP_PQ_LT_STRING;
        break;

    case ICETAP_PQ_UUID:
        n->physical = ICETAP_PQ_PHYS_FLBA;
        n->type_length = 16;
        n->logical = ICETAP_PQ_LT_UUID;
        break;

    case ICETAP_PQ_FIXED:
        if (u->p1 < 1) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "parquet schema: \"%s\": bad fixed[%d]",
                                    u->name, (int) u->p1);
        }

        n->physical = ICETAP_PQ_PHYS_FLBA;
        n->type_length = u->p1;
        break;

    case ICETAP_PQ_BINARY:
        n->physical = ICETAP_PQ_PHYS_BYTE_ARRAY;
        break;

    default:
        return icetap_error_set(err, ICETAP_INVALID,
                                "parquet schema: \"%s\" is not primitive",
                                u->name);
    }

    n->type = u->type;

    return ICETAP_OK;
}


static icetap_rc
icetap_pq_flatten(icetap_pq_schema_t *s, int h, size_t *pos,
    icetap_error_t *err)
{
    int                 c;
    const char         *name;
    icetap_pq_node_t   *n;
    icetap_pq_unode_t  *u, *pu;

    u = &s->un[h];
    n = &s->nodes[*pos];
    s->handle_node[h] = (int) *pos;
    (*pos)++;

    icetap_pq_node_init(n);

    /* list elements and map keys/values get their fixed names */

    name = u->name;
    pu = u->parent >= 0 ? &s->un[u->parent] : NULL;

    if (pu && pu->type == ICETAP_PQ_LIST) {
        name = "element";

    } else if (pu && pu->type == ICETAP_PQ_MAP) {
        name = pu->first_child == h ? "key" : "value";
    }

    n->name = icetap_strndup(name, strlen(name));
    if (n->name == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    n->field_id = u->field_id;
    n->repetition = u->required ? ICETAP_PQ_REQUIRED : ICETAP_PQ_OPTIONAL;

    if (u->type < ICETAP_PQ_STRUCT) {
        return icetap_pq_node_primitive(n, u, err);
    }

    n->type = u->type;

    if (u->type == ICETAP_PQ_STRUCT) {
        if (u->nchildren == 0) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "parquet schema: struct \"%s\" has no "
                                    "fields", u->name);
        }

        n->num_children = u->nchildren;

        for (c = u->first_child; c >= 0; c = s->un[c].next) {
            if (icetap_pq_flatten(s, c, pos, err) != ICETAP_OK) {
                return err ? err->code : ICETAP_ERROR;
            }
        }

        return ICETAP_OK;
    }

    if ((u->type == ICETAP_PQ_LIST && u->nchildren != 1)
        || (u->type == ICETAP_PQ_MAP && u->nchildren != 2))
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "parquet schema: %s \"%s\" lacks its %s",
                                u->type == ICETAP_PQ_LIST ? "list" : "map",
                                u->name, u->type == ICETAP_PQ_LIST
                                ? "element" : "key or value");
    }

    n->num_children = 1;

    if (u->type == ICETAP_PQ_LIST) {
        n->converted = ICETAP_PQ_CT_LIST;
        n->logical = ICETAP_PQ_LT_LIST;
        name = "list";

    } else {
        n->converted = ICETAP_PQ_CT_MAP;
        n->logical = ICETAP_PQ_LT_MAP;
        name = "key_value";
    }

    n = &s->nodes[*pos];
    (*pos)++;

    icetap_pq_node_init(n);

    n->name = icetap_strndup(name, strlen(name));
    if (n->name == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    n->repetition = ICETAP_PQ_REPEATED;
    n->num_children = u->nchildren;
    n->type = ICETAP_PQ_STRUCT;

    for (c = u->first_child; c >= 0; c = s->un[c].next) {
        if (icetap_pq_flatten(s, c, pos, err) != ICETAP_OK) {
            return err ? err->code : ICETAP_ERROR;
        }
    }

    return ICETAP_OK;
}


icetap_rc
icetap_pq_schema_finish(icetap_pq_schema_t *s, icetap_error_t *err)
{
    int                 h, ntop;
    size_t              i, count, pos;
    icetap_pq_node_t   *root;

    if (s->finished) {
        return ICETAP_OK;
    }

    if (s->first_top < 0) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "parquet schema: no fields");
    }

    /* one node per field plus the synthetic list/map groups and a root */

    count = 1;

    for (i = 0; i < s->nun; i++) {
        count += 1 + (s->un[i].type == ICETAP_PQ_LIST
                      || s->un[i].type == ICETAP_PQ_MAP);
    }

    s->nodes = icetap_calloc(count, sizeof(icetap_pq_node_t));
    s->handle_node = icetap_calloc(s->nun, sizeof(int));

    if (s->nodes == NULL || s->handle_node == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    s->nnodes = count;
    root = &s->nodes[0];
    icetap_pq_node_init(root);
    root->repetition = -1;

    root->name = icetap_strndup("table", 5);
    if (root->name == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    pos = 1;
    ntop = 0;

    for (h = s->first_top; h >= 0; h = s->un[h].next) {
        ntop++;

        if (icetap_pq_flatten(s, h, &pos, err) != ICETAP_OK) {
            return err ? err->code : ICETAP_ERROR;
        }
    }

    root->num_children = ntop;
    s->finished = 1;

    return icetap_pq_schema_index(s, err);
}


static icetap_pq_type_e
icetap_pq_derive_type(const icetap_pq_node_t *n)
{
    int  lt, ct;

    lt = n->logical;
    ct = n->converted;

    if (n->physical < 0) {
        if (lt == ICETAP_PQ_LT_LIST || ct == ICETAP_PQ_CT_LIST) {
            return ICETAP_PQ_LIST;
        }

        if (lt == ICETAP_PQ_LT_MAP || ct == ICETAP_PQ_CT_MAP
            || ct == ICETAP_PQ_CT_MAP_KV)
        {
            return ICETAP_PQ_MAP;
        }

        return ICETAP_PQ_STRUCT;
    }

    if (lt == ICETAP_PQ_LT_DECIMAL || ct == ICETAP_PQ_CT_DECIMAL) {
        return ICETAP_PQ_DECIMAL;
    }

    switch (n->physical) {

    case ICETAP_PQ_PHYS_BOOLEAN:
        return ICETAP_PQ_BOOLEAN;

    case ICETAP_PQ_PHYS_INT32:
        if (lt == ICETAP_PQ_LT_DATE || ct == ICETAP_PQ_CT_DATE) {
            return ICETAP_PQ_DATE;
        }

        if (lt == ICETAP_PQ_LT_INTEGER && !n->lt_signed && n->lt_bits == 32)
        {
            return ICETAP_PQ_LONG;
        }

        return ICETAP_PQ_INT;

    case ICETAP_PQ_PHYS_INT64:
        if (lt == ICETAP_PQ_LT_TIMESTAMP) {
            if (n->lt_unit == ICETAP_PQ_MICROS) {
                return n->lt_utc ? ICETAP_PQ_TIMESTAMPTZ
                                 : ICETAP_PQ_TIMESTAMP;
            }

            if (n->lt_unit == ICETAP_PQ_NANOS) {
                return n->lt_utc ? ICETAP_PQ_TIMESTAMPTZ_NS
                                 : ICETAP_PQ_TIMESTAMP_NS;
            }

            return ICETAP_PQ_NONE;
        }

        if (lt == ICETAP_PQ_LT_TIME) {
            return n->lt_unit == ICETAP_PQ_MICROS ? ICETAP_PQ_TIME
                                                  : ICETAP_PQ_NONE;
        }

        if (lt == ICETAP_PQ_LT_NONE && ct == ICETAP_PQ_CT_TIMESTAMP_MICROS) {
            return ICETAP_PQ_TIMESTAMPTZ;
        }

        if (lt == ICETAP_PQ_LT_NONE && ct == ICETAP_PQ_CT_TIME_MICROS) {
            return ICETAP_PQ_TIME;
        }

        return ICETAP_PQ_LONG;

    case ICETAP_PQ_PHYS_FLOAT:
        return ICETAP_PQ_FLOAT;

    case ICETAP_PQ_PHYS_DOUBLE:
        return ICETAP_PQ_DOUBLE;

    case ICETAP_PQ_PHYS_BYTE_ARRAY:
        if (lt == ICETAP_PQ_LT_STRING || lt == ICETAP_PQ_LT_ENUM
            || lt == ICETAP_PQ_LT_JSON || ct == ICETAP_PQ_CT_UTF8
            || ct == ICETAP_PQ_CT_ENUM || ct == ICETAP_PQ_CT_JSON)
        {
            return ICETAP_PQ_STRING;
        }

        return ICETAP_PQ_BINARY;

    case ICETAP_PQ_PHYS_FLBA:
        return lt == ICETAP_PQ_LT_UUID ? ICETAP_PQ_UUID : ICETAP_PQ_FIXED;

    default:
        return ICETAP_PQ_NONE;
    }
}


/*
 * Computes parents, levels and leaf ranges of a depth-first element
 * array, checking that num_children describes a tree.
 */

icetap_rc
icetap_pq_schema_index(icetap_pq_schema_t *s, icetap_error_t *err)
{
    int                 stack[ICETAP_PQ_MAX_LEVEL + 1];
    int32_t             rem[ICETAP_PQ_MAX_LEVEL + 1];
    size_t              idx;
    int                 depth, *leaves;
    icetap_pq_node_t   *n, *p;

    if (s->nnodes == 0 || s->nodes[0].physical >= 0) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "parquet: schema has no root group");
    }

    leaves = icetap_calloc(s->nnodes, sizeof(int));
    if (leaves == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    icetap_free(s->leaves);
    s->leaves = leaves;
    s->nleaves = 0;

    n = &s->nodes[0];
    n->parent = -1;
    n->max_def = 0;
    n->max_rep = 0;
    n->leaf = -1;
    n->first_leaf = 0;
    n->type = ICETAP_PQ_NONE;

    if (n->num_children <= 0) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "parquet: schema has no columns");
    }

    stack[0] = 0;
    rem[0] = n->num_children;
    depth = 1;
    idx = 1;

    while (depth > 0) {
        if (rem[depth - 1] == 0) {
            s->nodes[stack[depth - 1]].end_leaf = (int) s->nleaves;
            depth--;
            continue;
        }

        rem[depth - 1]--;

        if (idx >= s->nnodes) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "parquet: schema ends inside a group");
        }

        n = &s->nodes[idx];
        p = &s->nodes[stack[depth - 1]];

        if (n->repetition < ICETAP_PQ_REQUIRED
            || n->repetition > ICETAP_PQ_REPEATED)
        {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "parquet: schema element \"%s\" has "
                                    "no valid repetition", n->name);
        }

        n->parent = stack[depth - 1];
        n->max_def = p->max_def + (n->repetition != ICETAP_PQ_REQUIRED);
        n->max_rep = p->max_rep + (n->repetition == ICETAP_PQ_REPEATED);
        n->first_leaf = (int) s->nleaves;

        if (n->max_def > ICETAP_PQ_MAX_LEVEL) {
            return icetap_error_set(err, ICETAP_UNSUPPORTED,
                                    "parquet: schema nested deeper than %d "
                                    "levels", ICETAP_PQ_MAX_LEVEL);
        }

        if (n->physical < 0) {
            if (n->num_children <= 0) {
                return icetap_error_set(err, ICETAP_UNSUPPORTED,
                                        "parquet: empty group \"%s\"",
                                        n->name);
            }

            if (depth > ICETAP_PQ_MAX_LEVEL) {
                return icetap_error_set(err, ICETAP_UNSUPPORTED,
                                        "parquet: schema nested deeper "
                                        "than %d groups",
                                        ICETAP_PQ_MAX_LEVEL);
            }

            n->leaf = -1;
            stack[depth] = (int) idx;
            rem[depth] = n->num_children;
            depth++;

        } else {
            if (n->physical > ICETAP_PQ_PHYS_FLBA) {
                return icetap_error_set(err, ICETAP_UNSUPPORTED,
                                        "parquet: column \"%s\" has unknown "
                                        "physical type %d", n->name,
                                        n->physical);
            }

            if (n->physical == ICETAP_PQ_PHYS_FLBA
                && (n->type_length <= 0 || n->type_length > (1 << 24)))
            {
                return icetap_error_set(err, ICETAP_INVALID,
                                        "parquet: column \"%s\" has bad "
                                        "fixed length %d", n->name,
                                        (int) n->type_length);
            }

            n->leaf = (int) s->nleaves;
            n->end_leaf = n->leaf + 1;
            s->leaves[s->nleaves++] = (int) idx;
        }

        if (n->type == ICETAP_PQ_NONE) {
            n->type = icetap_pq_derive_type(n);
        }

        idx++;
    }

    if (idx != s->nnodes) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "parquet: %zu schema elements outside the "
                                "tree", s->nnodes - idx);
    }

    return ICETAP_OK;
}


void
icetap_pq_schema_free(icetap_pq_schema_t *s)
{
    size_t  i;

    if (s == NULL) {
        return;
    }

    for (i = 0; i < s->nun; i++) {
        icetap_free(s->un[i].name);
    }

    for (i = 0; i < s->nnodes; i++) {
        icetap_free(s->nodes[i].name);
    }

    icetap_free(s->un);
    icetap_free(s->nodes);
    icetap_free(s->leaves);
    icetap_free(s->handle_node);
    icetap_free(s);
}


size_t
icetap_pq_schema_nodes(const icetap_pq_schema_t *s,
    const icetap_pq_node_t **nodes)
{
    *nodes = s->finished ? s->nodes : NULL;
    return s->finished ? s->nnodes : 0;
}


size_t
icetap_pq_schema_leaves(const icetap_pq_schema_t *s)
{
    return s->finished ? s->nleaves : 0;
}


const icetap_pq_node_t *
icetap_pq_schema_leaf(const icetap_pq_schema_t *s, int leaf)
{
    if (!s->finished || leaf < 0 || (size_t) leaf >= s->nleaves) {
        return NULL;
    }

    return &s->nodes[s->leaves[leaf]];
}


int
icetap_pq_schema_leaf_by_id(const icetap_pq_schema_t *s, int32_t field_id)
{
    size_t  i;

    for (i = 0; s->finished && i < s->nleaves; i++) {
        if (s->nodes[s->leaves[i]].field_id == field_id) {
            return (int) i;
        }
    }

    return -1;
}


int
icetap_pq_schema_node_of(const icetap_pq_schema_t *s, int handle)
{
    if (!s->finished || s->handle_node == NULL || handle < 0
        || (size_t) handle >= s->nun)
    {
        return -1;
    }

    return s->handle_node[handle];
}


int
icetap_pq_schema_equal(const icetap_pq_schema_t *a,
    const icetap_pq_schema_t *b, char *why, size_t whylen)
{
    size_t                   i;
    const icetap_pq_node_t  *x, *y;

    if (a->nnodes != b->nnodes) {
        snprintf(why, whylen, "%zu schema elements against %zu",
                 a->nnodes, b->nnodes);
        return 0;
    }

    for (i = 1; i < a->nnodes; i++) {
        x = &a->nodes[i];
        y = &b->nodes[i];

        if (strcmp(x->name, y->name) != 0 || x->field_id != y->field_id
            || x->repetition != y->repetition || x->physical != y->physical
            || x->type_length != y->type_length
            || x->num_children != y->num_children || x->type != y->type
            || x->scale != y->scale || x->precision != y->precision)
        {
            snprintf(why, whylen, "element %zu (\"%s\") differs", i,
                     x->name);
            return 0;
        }
    }

    return 1;
}


static void
icetap_pq_encode_element(icetap_tw_t *tw, const icetap_pq_node_t *n)
{
    uint8_t  b;

    icetap_tw_begin(tw);

    if (n->physical >= 0) {
        icetap_tw_i32(tw, 1, n->physical);

        if (n->physical == ICETAP_PQ_PHYS_FLBA) {
            icetap_tw_i32(tw, 2, n->type_length);
        }
    }

    if (n->repetition >= 0) {
        icetap_tw_i32(tw, 3, n->repetition);
    }

    icetap_tw_bin(tw, 4, n->name, strlen(n->name));

    if (n->physical < 0) {
        icetap_tw_i32(tw, 5, n->num_children);
    }

    if (n->converted >= 0) {
        icetap_tw_i32(tw, 6, n->converted);
    }

    if (n->converted == ICETAP_PQ_CT_DECIMAL
        || n->logical == ICETAP_PQ_LT_DECIMAL)
    {
        icetap_tw_i32(tw, 7, n->scale);
        icetap_tw_i32(tw, 8, n->precision);
    }

    if (n->field_id >= 0) {
        icetap_tw_i32(tw, 9, n->field_id);
    }

    if (n->logical != ICETAP_PQ_LT_NONE) {
        icetap_tw_struct(tw, 10);
        icetap_tw_struct(tw, (int16_t) n->logical);

        switch (n->logical) {

        case ICETAP_PQ_LT_DECIMAL:
            icetap_tw_i32(tw, 1, n->scale);
            icetap_tw_i32(tw, 2, n->precision);
            break;

        case ICETAP_PQ_LT_TIME:
        case ICETAP_PQ_LT_TIMESTAMP:
            icetap_tw_bool(tw, 1, n->lt_utc);
            icetap_tw_struct(tw, 2);
            icetap_tw_struct(tw, (int16_t) n->lt_unit);
            icetap_tw_end(tw);
            icetap_tw_end(tw);
            break;

        case ICETAP_PQ_LT_INTEGER:
            icetap_tw_field(tw, 1, ICETAP_TT_I8);
            b = (uint8_t) n->lt_bits;
            if (tw->rc == ICETAP_OK) {
                tw->rc = icetap_buf_append(tw->buf, &b, 1);
            }
            icetap_tw_bool(tw, 2, n->lt_signed);
            break;

        default:
            break;
        }

        icetap_tw_end(tw);
        icetap_tw_end(tw);
    }

    icetap_tw_end(tw);
}


static void
icetap_pq_encode_chunk(icetap_tw_t *tw, const icetap_pq_schema_t *s,
    int leaf, const icetap_pq_chunk_t *c)
{
    int                      e, n, depth, path[ICETAP_PQ_MAX_LEVEL + 2];
    const icetap_pq_node_t  *node;

    icetap_tw_begin(tw);
    icetap_tw_i64(tw, 2, c->dict_page_offset >= 0
                         ? c->dict_page_offset : c->data_page_offset);

    icetap_tw_struct(tw, 3);
    icetap_tw_i32(tw, 1, c->physical);

    n = 0;
    for (e = 0; e < 32; e++) {
        n += (c->encodings >> e) & 1;
    }

    icetap_tw_list(tw, 2, ICETAP_TT_I32, n);

    for (e = 0; e < 32; e++) {
        if ((c->encodings >> e) & 1) {
            icetap_tw_elem_i32(tw, e);
        }
    }

    depth = 0;
    n = s->leaves[leaf];

    while (n > 0 && depth < ICETAP_PQ_MAX_LEVEL + 2) {
        path[depth++] = n;
        n = s->nodes[n].parent;
    }

    icetap_tw_list(tw, 3, ICETAP_TT_BINARY, depth);

    while (depth > 0) {
        node = &s->nodes[path[--depth]];
        icetap_tw_elem_bin(tw, node->name, strlen(node->name));
    }

    icetap_tw_i32(tw, 4, c->codec);
    icetap_tw_i64(tw, 5, c->num_values);
    icetap_tw_i64(tw, 6, c->total_uncompressed);
    icetap_tw_i64(tw, 7, c->total_compressed);
    icetap_tw_i64(tw, 9, c->data_page_offset);

    if (c->dict_page_offset >= 0) {
        icetap_tw_i64(tw, 11, c->dict_page_offset);
    }

    if (c->null_count >= 0 || c->has_min || c->has_max) {
        icetap_tw_struct(tw, 12);

        if (c->null_count >= 0) {
            icetap_tw_i64(tw, 3, c->null_count);
        }

        if (c->has_max) {
            icetap_tw_bin(tw, 5, c->max, c->max_len);
        }

        if (c->has_min) {
            icetap_tw_bin(tw, 6, c->min, c->min_len);
        }

        icetap_tw_end(tw);
    }

    icetap_tw_end(tw);
    icetap_tw_end(tw);
}


icetap_rc
icetap_pq_meta_encode(const icetap_pq_meta_t *m, icetap_buf_t *out)
{
    size_t                    i, j;
    icetap_tw_t               tw;
    const icetap_pq_rg_t     *rg;
    const icetap_pq_schema_t *s;

    s = m->schema;

    icetap_tw_init(&tw, out);
    icetap_tw_begin(&tw);

    icetap_tw_i32(&tw, 1, 1);
    icetap_tw_list(&tw, 2, ICETAP_TT_STRUCT, s->nnodes);

    for (i = 0; i < s->nnodes; i++) {
        icetap_pq_encode_element(&tw, &s->nodes[i]);
    }

    icetap_tw_i64(&tw, 3, m->num_rows);
    icetap_tw_list(&tw, 4, ICETAP_TT_STRUCT, m->nrgs);

    for (i = 0; i < m->nrgs; i++) {
        rg = &m->rgs[i];

        icetap_tw_begin(&tw);
        icetap_tw_list(&tw, 1, ICETAP_TT_STRUCT, s->nleaves);

        for (j = 0; j < s->nleaves; j++) {
            icetap_pq_encode_chunk(&tw, s, j, &rg->chunks[j]);
        }

        icetap_tw_i64(&tw, 2, rg->total_byte_size);
        icetap_tw_i64(&tw, 3, rg->num_rows);
        icetap_tw_i64(&tw, 5, rg->file_offset);
        icetap_tw_i64(&tw, 6, rg->total_compressed);
        icetap_tw_end(&tw);
    }

    if (m->nkv) {
        icetap_tw_list(&tw, 5, ICETAP_TT_STRUCT, m->nkv / 2);

        for (i = 0; i + 1 < m->nkv; i += 2) {
            icetap_tw_begin(&tw);
            icetap_tw_bin(&tw, 1, m->kv[i], strlen(m->kv[i]));

            if (m->kv[i + 1]) {
                icetap_tw_bin(&tw, 2, m->kv[i + 1], strlen(m->kv[i + 1]));
            }

            icetap_tw_end(&tw);
        }
    }

    if (m->created_by) {
        icetap_tw_bin(&tw, 6, m->created_by, strlen(m->created_by));
    }

    if (m->column_orders) {
        icetap_tw_list(&tw, 7, ICETAP_TT_STRUCT, s->nleaves);

        for (i = 0; i < s->nleaves; i++) {
            icetap_tw_begin(&tw);
            icetap_tw_struct(&tw, 1);
            icetap_tw_end(&tw);
            icetap_tw_end(&tw);
        }
    }

    icetap_tw_end(&tw);

    return tw.rc;
}


icetap_rc
icetap_pq_page_encode(icetap_buf_t *out, const icetap_pq_page_t *ph)
{
    icetap_tw_t  tw;

    icetap_tw_init(&tw, out);
    icetap_tw_begin(&tw);

    icetap_tw_i32(&tw, 1, ph->type);
    icetap_tw_i32(&tw, 2, ph->usize);
    icetap_tw_i32(&tw, 3, ph->csize);

    if (ph->type == ICETAP_PQ_PAGE_DATA) {
        icetap_tw_struct(&tw, 5);
        icetap_tw_i32(&tw, 1, ph->num_values);
        icetap_tw_i32(&tw, 2, ph->encoding);
        icetap_tw_i32(&tw, 3, ICETAP_PQ_ENC_RLE);
        icetap_tw_i32(&tw, 4, ICETAP_PQ_ENC_RLE);
        icetap_tw_end(&tw);

    } else if (ph->type == ICETAP_PQ_PAGE_DICT) {
        icetap_tw_struct(&tw, 7);
        icetap_tw_i32(&tw, 1, ph->num_values);
        icetap_tw_i32(&tw, 2, ICETAP_PQ_ENC_PLAIN);
        icetap_tw_end(&tw);
    }

    icetap_tw_end(&tw);

    return tw.rc;
}


/* decoding */


static icetap_rc
icetap_pq_dup_bin(icetap_tr_t *tr, int type, uint8_t **p, uint32_t *n)
{
    uint32_t        len;
    const uint8_t  *src;

    if (icetap_tr_bin(tr, type, &src, &len) != ICETAP_OK) {
        return ICETAP_INVALID;
    }

    icetap_free(*p);

    *p = (uint8_t *) icetap_strndup((const char *) src, len);
    if (*p == NULL) {
        return icetap_error_set(tr->err, ICETAP_NOMEM, "out of memory");
    }

    if (n) {
        *n = len;
    }

    return ICETAP_OK;
}


#define icetap_pq_get_i32(v)                                                 \
    if (icetap_tr_i32(tr, type, &(v)) != ICETAP_OK) {                        \
        return ICETAP_INVALID;                                               \
    }

#define icetap_pq_get_i64(v)                                                 \
    if (icetap_tr_i64(tr, type, &(v)) != ICETAP_OK) {                        \
        return ICETAP_INVALID;                                               \
    }

#define icetap_pq_skip()                                                     \
    if (icetap_tr_skip(tr, type) != ICETAP_OK) {                             \
        return ICETAP_INVALID;                                               \
    }


static icetap_rc
icetap_pq_decode_logical(icetap_tr_t *tr, icetap_pq_node_t *n)
{
    int      type, utype, member;
    int16_t  id, uid;
    int32_t  v32;
    int64_t  v64;

    if (icetap_tr_begin(tr) != ICETAP_OK) {
        return ICETAP_INVALID;
    }

    member = ICETAP_PQ_LT_NONE;

    for ( ;; ) {
        if (icetap_tr_field(tr, &id, &type) != ICETAP_OK) {
            return ICETAP_INVALID;
        }

        if (type == ICETAP_TT_STOP) {
            break;
        }

        if (type != ICETAP_TT_STRUCT) {
            icetap_pq_skip();
            continue;
        }

        member = id;

        if (icetap_tr_begin(tr) != ICETAP_OK) {
            return ICETAP_INVALID;
        }

        for ( ;; ) {
            if (icetap_tr_field(tr, &id, &type) != ICETAP_OK) {
                return ICETAP_INVALID;
            }

            if (type == ICETAP_TT_STOP) {
                break;
            }

            if (member == ICETAP_PQ_LT_DECIMAL && id == 1) {
                icetap_pq_get_i32(v32);
                n->scale = v32;

            } else if (member == ICETAP_PQ_LT_DECIMAL && id == 2) {
                icetap_pq_get_i32(v32);
                n->precision = v32;

            } else if ((member == ICETAP_PQ_LT_TIME
                        || member == ICETAP_PQ_LT_TIMESTAMP) && id == 1)
            {
                n->lt_utc = type == ICETAP_TT_TRUE;

            } else if ((member == ICETAP_PQ_LT_TIME
                        || member == ICETAP_PQ_LT_TIMESTAMP) && id == 2
                       && type == ICETAP_TT_STRUCT)
            {
                if (icetap_tr_begin(tr) != ICETAP_OK) {
                    return ICETAP_INVALID;
                }

                for ( ;; ) {
                    if (icetap_tr_field(tr, &uid, &utype) != ICETAP_OK) {
                        return ICETAP_INVALID;
                    }

                    if (utype == ICETAP_TT_STOP) {
                        break;
                    }

                    n->lt_unit = uid;

                    if (icetap_tr_skip(tr, utype) != ICETAP_OK) {
                        return ICETAP_INVALID;
                    }
                }

                icetap_tr_end(tr);

            } else if (member == ICETAP_PQ_LT_INTEGER && id == 1) {
                icetap_pq_get_i64(v64);
                n->lt_bits = (int) v64;

            } else if (member == ICETAP_PQ_LT_INTEGER && id == 2) {
                n->lt_signed = type == ICETAP_TT_TRUE;

            } else {
                icetap_pq_skip();
            }
        }

        icetap_tr_end(tr);
    }

    icetap_tr_end(tr);
    n->logical = member;

    return ICETAP_OK;
}


static icetap_rc
icetap_pq_decode_element(icetap_tr_t *tr, icetap_pq_node_t *n)
{
    int      type, has_name;
    int16_t  id;
    int32_t  v;

    icetap_pq_node_init(n);
    n->repetition = -1;
    has_name = 0;

    if (icetap_tr_begin(tr) != ICETAP_OK) {
        return ICETAP_INVALID;
    }

    for ( ;; ) {
        if (icetap_tr_field(tr, &id, &type) != ICETAP_OK) {
            return ICETAP_INVALID;
        }

        if (type == ICETAP_TT_STOP) {
            break;
        }

        switch (id) {

        case 1:
            icetap_pq_get_i32(v);
            if (v < 0 || v > ICETAP_PQ_PHYS_FLBA) {
                return icetap_error_set(tr->err, ICETAP_UNSUPPORTED,
                                        "parquet: unknown physical type %d",
                                        (int) v);
            }
            n->physical = v;
            break;

        case 2:
            icetap_pq_get_i32(n->type_length);
            break;

        case 3:
            icetap_pq_get_i32(v);
            n->repetition = v;
            break;

        case 4:
            if (icetap_pq_dup_bin(tr, type, (uint8_t **) &n->name, NULL)
                != ICETAP_OK)
            {
                return ICETAP_INVALID;
            }
            has_name = 1;
            break;

        case 5:
            icetap_pq_get_i32(v);
            if (v < 0) {
                return icetap_tr_fail(tr, "negative num_children");
            }
            n->num_children = v;
            break;

        case 6:
            icetap_pq_get_i32(v);
            n->converted = v;
            break;

        case 7:
            icetap_pq_get_i32(n->scale);
            break;

        case 8:
            icetap_pq_get_i32(n->precision);
            break;

        case 9:
            icetap_pq_get_i32(n->field_id);
            break;

        case 10:
            if (type != ICETAP_TT_STRUCT) {
                return icetap_tr_fail(tr, "logicalType is not a struct");
            }

            if (icetap_pq_decode_logical(tr, n) != ICETAP_OK) {
                return ICETAP_INVALID;
            }
            break;

        default:
            icetap_pq_skip();
        }
    }

    icetap_tr_end(tr);

    if (!has_name) {
        return icetap_tr_fail(tr, "schema element without a name");
    }

    /* an element with a type is a leaf even if num_children is set */

    if (n->physical >= 0) {
        n->num_children = 0;
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_pq_decode_stats(icetap_tr_t *tr, icetap_pq_chunk_t *c)
{
    int       type, has_new_min, has_new_max;
    int16_t   id;

    if (icetap_tr_begin(tr) != ICETAP_OK) {
        return ICETAP_INVALID;
    }

    has_new_min = 0;
    has_new_max = 0;

    for ( ;; ) {
        if (icetap_tr_field(tr, &id, &type) != ICETAP_OK) {
            goto failed;
        }

        if (type == ICETAP_TT_STOP) {
            break;
        }

        switch (id) {

        case 3:
            if (icetap_tr_i64(tr, type, &c->null_count) != ICETAP_OK) {
                goto failed;
            }
            break;

        case 5:
            if (icetap_pq_dup_bin(tr, type, &c->max, &c->max_len)
                != ICETAP_OK)
            {
                goto failed;
            }
            has_new_max = 1;
            break;

        case 6:
            if (icetap_pq_dup_bin(tr, type, &c->min, &c->min_len)
                != ICETAP_OK)
            {
                goto failed;
            }
            has_new_min = 1;
            break;

        default:
            /* deprecated signed-order min/max (1, 2) are not trusted */
            if (icetap_tr_skip(tr, type) != ICETAP_OK) {
                goto failed;
            }
        }
    }

    icetap_tr_end(tr);
    c->has_min = has_new_min;
    c->has_max = has_new_max;

    return ICETAP_OK;

failed:

    return ICETAP_INVALID;
}


static icetap_rc
icetap_pq_decode_colmeta(icetap_tr_t *tr, icetap_pq_chunk_t *c)
{
    int       type, etype;
    int16_t   id;
    int32_t   v;
    uint32_t  n, i;
    unsigned  seen;

    if (icetap_tr_begin(tr) != ICETAP_OK) {
        return ICETAP_INVALID;
    }

    seen = 0;

    for ( ;; ) {
        if (icetap_tr_field(tr, &id, &type) != ICETAP_OK) {
            return ICETAP_INVALID;
        }

        if (type == ICETAP_TT_STOP) {
            break;
        }

        if (id > 0 && id < 32) {
            seen |= 1u << id;
        }

        switch (id) {

        case 1:
            icetap_pq_get_i32(c->physical);
            break;

        case 2:
            if (icetap_tr_list(tr, type, &etype, &n) != ICETAP_OK) {
                return ICETAP_INVALID;
            }

            for (i = 0; i < n; i++) {
                if (icetap_tr_i32(tr, etype, &v) != ICETAP_OK) {
                    return ICETAP_INVALID;
                }

                if (v >= 0 && v < 32) {
                    c->encodings |= 1u << v;
                }
            }
            break;

        case 4:
            icetap_pq_get_i32(c->codec);
            break;

        case 5:
            icetap_pq_get_i64(c->num_values);
            break;

        case 6:
            icetap_pq_get_i64(c->total_uncompressed);
            break;

        case 7:
            icetap_pq_get_i64(c->total_compressed);
            break;

        case 9:
            icetap_pq_get_i64(c->data_page_offset);
            break;

        case 11:
            icetap_pq_get_i64(c->dict_page_offset);
            break;

        case 12:
            if (type != ICETAP_TT_STRUCT) {
                return icetap_tr_fail(tr, "statistics is not a struct");
            }

            if (icetap_pq_decode_stats(tr, c) != ICETAP_OK) {
                return ICETAP_INVALID;
            }
            break;

        default:
            icetap_pq_skip();
        }
    }

    icetap_tr_end(tr);

    if ((seen & 0x2f2) != 0x2f2) {
        return icetap_tr_fail(tr, "column metadata lacks a required field");
    }

    if (c->num_values < 0 || c->total_compressed < 0
        || c->total_uncompressed < 0 || c->data_page_offset < 0)
    {
        return icetap_tr_fail(tr, "negative column metadata value");
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_pq_decode_chunk(icetap_tr_t *tr, icetap_pq_chunk_t *c)
{
    int      type, has_meta;
    int16_t  id;

    if (icetap_tr_begin(tr) != ICETAP_OK) {
        return ICETAP_INVALID;
    }

    has_meta = 0;
    c->dict_page_offset = -1;
    c->null_count = -1;

    for ( ;; ) {
        if (icetap_tr_field(tr, &id, &type) != ICETAP_OK) {
            return ICETAP_INVALID;
        }

        if (type == ICETAP_TT_STOP) {
            break;
        }

        if (id == 1) {
            return icetap_error_set(tr->err, ICETAP_UNSUPPORTED,
                                    "parquet: column chunk in another file "
                                    "(file_path) is not supported");
        }

        if (id == 8 || id == 9) {
            return icetap_error_set(tr->err, ICETAP_UNSUPPORTED,
                                    "parquet: encrypted columns are not "
                                    "supported");
        }

        if (id == 3 && type == ICETAP_TT_STRUCT) {
            if (icetap_pq_decode_colmeta(tr, c) != ICETAP_OK) {
                return ICETAP_INVALID;
            }

            has_meta = 1;
            continue;
        }

        icetap_pq_skip();
    }

    icetap_tr_end(tr);

    if (!has_meta) {
        return icetap_error_set(tr->err, ICETAP_UNSUPPORTED,
                                "parquet: column chunk without metadata");
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_pq_decode_rg(icetap_tr_t *tr, icetap_pq_meta_t *m, icetap_pq_rg_t *rg)
{
    int       type, etype;
    int16_t   id;
    uint32_t  n, i;

    if (icetap_tr_begin(tr) != ICETAP_OK) {
        return ICETAP_INVALID;
    }

    rg->num_rows = -1;

    for ( ;; ) {
        if (icetap_tr_field(tr, &id, &type) != ICETAP_OK) {
            return ICETAP_INVALID;
        }

        if (type == ICETAP_TT_STOP) {
            break;
        }

        switch (id) {

        case 1:
            if (icetap_tr_list(tr, type, &etype, &n) != ICETAP_OK) {
                return ICETAP_INVALID;
            }

            if (etype != ICETAP_TT_STRUCT || n != m->schema->nleaves
                || rg->chunks != NULL)
            {
                return icetap_error_set(tr->err, ICETAP_INVALID,
                                        "parquet: row group has %u column "
                                        "chunks for %zu columns", n,
                                        m->schema->nleaves);
            }

            rg->chunks = icetap_calloc(n, sizeof(icetap_pq_chunk_t));
            if (rg->chunks == NULL) {
                return icetap_error_set(tr->err, ICETAP_NOMEM,
                                        "out of memory");
            }

            for (i = 0; i < n; i++) {
                if (icetap_pq_decode_chunk(tr, &rg->chunks[i]) != ICETAP_OK)
                {
                    return tr->err ? tr->err->code : ICETAP_INVALID;
                }

                if (rg->chunks[i].physical
                    != icetap_pq_schema_leaf(m->schema, i)->physical)
                {
                    return icetap_error_set(tr->err, ICETAP_INVALID,
                                            "parquet: column %u has another "
                                            "type in its metadata", i);
                }
            }
            break;

        case 2:
            icetap_pq_get_i64(rg->total_byte_size);
            break;

        case 3:
            icetap_pq_get_i64(rg->num_rows);
            break;

        case 5:
            icetap_pq_get_i64(rg->file_offset);
            break;

        case 6:
            icetap_pq_get_i64(rg->total_compressed);
            break;

        default:
            icetap_pq_skip();
        }
    }

    icetap_tr_end(tr);

    if (rg->chunks == NULL || rg->num_rows < 0) {
        return icetap_tr_fail(tr, "row group lacks columns or num_rows");
    }

    return ICETAP_OK;
}


icetap_rc
icetap_pq_meta_add_rg(icetap_pq_meta_t *m, icetap_pq_rg_t **rg)
{
    size_t           ncap;
    icetap_pq_rg_t  *nrg;

    if (m->nrgs == m->cap_rgs) {
        ncap = m->cap_rgs ? m->cap_rgs * 2 : 8;
        nrg = icetap_realloc(m->rgs, ncap * sizeof(icetap_pq_rg_t));
        if (nrg == NULL) {
            return ICETAP_NOMEM;
        }

        m->rgs = nrg;
        m->cap_rgs = ncap;
    }

    *rg = &m->rgs[m->nrgs++];
    memset(*rg, 0, sizeof(icetap_pq_rg_t));

    return ICETAP_OK;
}


icetap_rc
icetap_pq_meta_decode(const uint8_t *p, size_t len, icetap_pq_meta_t *m,
    icetap_error_t *err)
{
    int              type, etype, ktype;
    int16_t          id, kid;
    int32_t          version;
    uint32_t         n, i;
    unsigned         seen;
    icetap_tr_t      tr_, *tr;
    icetap_pq_rg_t  *rg;

    tr = &tr_;
    icetap_tr_init(tr, p, len, "footer", err);
    memset(m, 0, sizeof(*m));

    if (icetap_tr_begin(tr) != ICETAP_OK) {
        return ICETAP_INVALID;
    }

    seen = 0;

    for ( ;; ) {
        if (icetap_tr_field(tr, &id, &type) != ICETAP_OK) {
            return ICETAP_INVALID;
        }

        if (type == ICETAP_TT_STOP) {
            break;
        }

        if (id > 0 && id < 32) {
            seen |= 1u << id;
        }

        switch (id) {

        case 1:
            icetap_pq_get_i32(version);
            (void) version;
            break;

        case 2:
            if (icetap_tr_list(tr, type, &etype, &n) != ICETAP_OK) {
                return ICETAP_INVALID;
            }

            if (etype != ICETAP_TT_STRUCT || n == 0 || m->schema) {
                return icetap_tr_fail(tr, "bad schema list");
            }

            m->schema = icetap_pq_schema_alloc(n, err);
            if (m->schema == NULL) {
                return ICETAP_NOMEM;
            }

            for (i = 0; i < n; i++) {
                if (icetap_pq_decode_element(tr, &m->schema->nodes[i])
                    != ICETAP_OK)
                {
                    return err ? err->code : ICETAP_INVALID;
                }
            }

            if (icetap_pq_schema_index(m->schema, err) != ICETAP_OK) {
                return err ? err->code : ICETAP_INVALID;
            }
            break;

        case 3:
            icetap_pq_get_i64(m->num_rows);
            break;

        case 4:
            if (m->schema == NULL) {
                return icetap_tr_fail(tr, "row groups before the schema");
            }

            if (icetap_tr_list(tr, type, &etype, &n) != ICETAP_OK) {
                return ICETAP_INVALID;
            }

            if (etype != ICETAP_TT_STRUCT) {
                return icetap_tr_fail(tr, "bad row group list");
            }

            for (i = 0; i < n; i++) {
                if (icetap_pq_meta_add_rg(m, &rg) != ICETAP_OK) {
                    return icetap_error_set(err, ICETAP_NOMEM,
                                            "out of memory");
                }

                if (icetap_pq_decode_rg(tr, m, rg) != ICETAP_OK) {
                    return err ? err->code : ICETAP_INVALID;
                }
            }
            break;

        case 5:
            if (icetap_tr_list(tr, type, &etype, &n) != ICETAP_OK) {
                return ICETAP_INVALID;
            }

            if (etype != ICETAP_TT_STRUCT || m->kv) {
                return icetap_tr_fail(tr, "bad key_value_metadata");
            }

            m->kv = icetap_calloc(2 * (size_t) n + 1, sizeof(char *));
            if (m->kv == NULL) {
                return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
            }

            /* every slot is freed by icetap_pq_meta_free(), even after a
             * failure in the middle of the list */
            m->nkv = 2 * (size_t) n;

            for (i = 0; i < n; i++) {
                if (icetap_tr_begin(tr) != ICETAP_OK) {
                    return ICETAP_INVALID;
                }

                for ( ;; ) {
                    if (icetap_tr_field(tr, &kid, &ktype) != ICETAP_OK) {
                        return ICETAP_INVALID;
                    }

                    if (ktype == ICETAP_TT_STOP) {
                        break;
                    }

                    if (kid == 1 || kid == 2) {
                        if (icetap_pq_dup_bin(tr, ktype,
                                (uint8_t **) &m->kv[2 * i + kid - 1], NULL)
                            != ICETAP_OK)
                        {
                            return ICETAP_INVALID;
                        }

                    } else if (icetap_tr_skip(tr, ktype) != ICETAP_OK) {
                        return ICETAP_INVALID;
                    }
                }

                icetap_tr_end(tr);

                if (m->kv[2 * i] == NULL) {
                    return icetap_tr_fail(tr, "key_value without a key");
                }
            }
            break;

        case 6:
            if (icetap_pq_dup_bin(tr, type, (uint8_t **) &m->created_by,
                                  NULL)
                != ICETAP_OK)
            {
                return ICETAP_INVALID;
            }
            break;

        case 8:
            return icetap_error_set(err, ICETAP_UNSUPPORTED,
                                    "parquet: encrypted files are not "
                                    "supported");

        default:
            icetap_pq_skip();
        }
    }

    icetap_tr_end(tr);

    if ((seen & 0x1e) != 0x1e) {
        return icetap_tr_fail(tr, "FileMetaData lacks a required field");
    }

    return ICETAP_OK;
}


void
icetap_pq_meta_free_rgs(icetap_pq_meta_t *m)
{
    size_t  i, j;

    for (i = 0; i < m->nrgs; i++) {
        if (m->rgs[i].chunks == NULL) {
            continue;
        }

        for (j = 0; m->schema && j < m->schema->nleaves; j++) {
            icetap_free(m->rgs[i].chunks[j].min);
            icetap_free(m->rgs[i].chunks[j].max);
        }

        icetap_free(m->rgs[i].chunks);
    }

    icetap_free(m->rgs);
    m->rgs = NULL;
    m->nrgs = 0;
    m->cap_rgs = 0;
}


void
icetap_pq_meta_free(icetap_pq_meta_t *m)
{
    size_t  i;

    icetap_pq_meta_free_rgs(m);

    for (i = 0; i < m->nkv; i++) {
        icetap_free(m->kv[i]);
    }

    icetap_free(m->kv);
    icetap_free(m->created_by);
    m->kv = NULL;
    m->nkv = 0;
    m->created_by = NULL;
}


icetap_rc
icetap_pq_page_decode(const uint8_t *p, size_t n, size_t *used,
    icetap_pq_page_t *ph, icetap_error_t *err)
{
    int          type, st;
    int16_t      id, sid;
    unsigned     seen;
    icetap_tr_t  tr_, *tr;

    tr = &tr_;
    icetap_tr_init(tr, p, n, "page header", err);
    memset(ph, 0, sizeof(*ph));
    ph->is_compressed = 1;
    ph->type = -1;

    if (icetap_tr_begin(tr) != ICETAP_OK) {
        return ICETAP_INVALID;
    }

    seen = 0;

    for ( ;; ) {
        if (icetap_tr_field(tr, &id, &type) != ICETAP_OK) {
            return ICETAP_INVALID;
        }

        if (type == ICETAP_TT_STOP) {
            break;
        }

        if (id > 0 && id < 32) {
            seen |= 1u << id;
        }

        if (id == 1) {
            icetap_pq_get_i32(ph->type);

        } else if (id == 2) {
            icetap_pq_get_i32(ph->usize);

        } else if (id == 3) {
            icetap_pq_get_i32(ph->csize);

        } else if ((id == 5 || id == 7 || id == 8)
                   && type == ICETAP_TT_STRUCT)
        {
            if (icetap_tr_begin(tr) != ICETAP_OK) {
                return ICETAP_INVALID;
            }

            for ( ;; ) {
                if (icetap_tr_field(tr, &sid, &st) != ICETAP_OK) {
                    return ICETAP_INVALID;
                }

                if (st == ICETAP_TT_STOP) {
                    break;
                }

                type = st;

                if (sid == 1 && st != ICETAP_TT_STRUCT) {
                    icetap_pq_get_i32(ph->num_values);

                } else if (sid == 2 && id == 8) {
                    icetap_pq_get_i32(ph->num_nulls);

                } else if (sid == 2) {
                    icetap_pq_get_i32(ph->encoding);

                } else if (sid == 3 && id == 5) {
                    icetap_pq_get_i32(ph->def_encoding);

                } else if (sid == 3 && id == 8) {
                    icetap_pq_get_i32(ph->num_rows);

                } else if (sid == 4 && id == 5) {
                    icetap_pq_get_i32(ph->rep_encoding);

                } else if (sid == 4 && id == 8) {
                    icetap_pq_get_i32(ph->encoding);

                } else if (sid == 5 && id == 8) {
                    icetap_pq_get_i32(ph->def_len);

                } else if (sid == 6 && id == 8) {
                    icetap_pq_get_i32(ph->rep_len);

                } else if (sid == 7 && id == 8) {
                    ph->is_compressed = st == ICETAP_TT_TRUE;

                } else {
                    icetap_pq_skip();
                }
            }

            icetap_tr_end(tr);

        } else {
            icetap_pq_skip();
        }
    }

    icetap_tr_end(tr);

    if ((seen & 0x0e) != 0x0e || ph->usize < 0 || ph->csize < 0
        || ph->num_values < 0 || ph->def_len < 0 || ph->rep_len < 0
        || ph->num_nulls < 0)
    {
        return icetap_tr_fail(tr, "missing or negative size");
    }

    *used = tr->p - p;

    return ICETAP_OK;
}
