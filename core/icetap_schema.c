/*
 * Copyright (C) icetap authors
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <icetap/schema.h>

#include "icetap_metadata_int.h"


#define ICETAP_SCHEMA_MAX_DEPTH  64


typedef struct {
    const char        *name;
    icetap_type_id_t   id;
} icetap_type_name_t;


static icetap_rc icetap_type_from_json_depth(const json_t *j,
    icetap_type_t **t, int depth, icetap_error_t *err);
static icetap_rc icetap_field_from_json(const json_t *j, icetap_field_t *f,
    int depth, icetap_error_t *err);
static icetap_rc icetap_struct_from_json(const json_t *j, icetap_type_t *t,
    int depth, icetap_error_t *err);
static int icetap_extra_merge(json_t *out, const json_t *extra);
static void icetap_field_clear(icetap_field_t *f);
static icetap_rc icetap_field_copy(icetap_field_t *dst,
    const icetap_field_t *src);
static icetap_rc icetap_schema_check_ids(const icetap_type_t *t,
    uint8_t **seen, size_t *nseen, icetap_error_t *err);
static int32_t icetap_type_max_id(const icetap_type_t *t);
static icetap_field_t *icetap_type_find_field(const icetap_type_t *t,
    int32_t id, icetap_type_t **parent);
static const icetap_type_t *icetap_type_find_type(const icetap_type_t *t,
    int32_t id, int *required);
static icetap_rc icetap_type_assign_ids(icetap_type_t *t, int32_t *last,
    icetap_error_t *err);


static const icetap_type_name_t  icetap_type_names[] = {
    { "boolean", ICETAP_TYPE_BOOLEAN },
    { "int", ICETAP_TYPE_INT },
    { "long", ICETAP_TYPE_LONG },
    { "float", ICETAP_TYPE_FLOAT },
    { "double", ICETAP_TYPE_DOUBLE },
    { "date", ICETAP_TYPE_DATE },
    { "time", ICETAP_TYPE_TIME },
    { "timestamp", ICETAP_TYPE_TIMESTAMP },
    { "timestamptz", ICETAP_TYPE_TIMESTAMPTZ },
    { "timestamp_ns", ICETAP_TYPE_TIMESTAMP_NS },
    { "timestamptz_ns", ICETAP_TYPE_TIMESTAMPTZ_NS },
    { "string", ICETAP_TYPE_STRING },
    { "uuid", ICETAP_TYPE_UUID },
    { "binary", ICETAP_TYPE_BINARY },
    { "unknown", ICETAP_TYPE_UNKNOWN },
    { "variant", ICETAP_TYPE_VARIANT },
    { NULL, 0 }
};


static const char  *icetap_field_keys[] = {
    "id", "name", "required", "type", "doc", "initial-default",
    "write-default", NULL
};

static const char  *icetap_struct_keys[] = { "type", "fields", NULL };

static const char  *icetap_schema_keys[] = {
    "type", "fields", "schema-id", "identifier-field-ids", NULL
};

static const char  *icetap_list_keys[] = {
    "type", "element-id", "element", "element-required", NULL
};

static const char  *icetap_map_keys[] = {
    "type", "key-id", "key", "value-id", "value", "value-required", NULL
};


int
icetap_type_is_primitive(icetap_type_id_t id)
{
    return id >= ICETAP_TYPE_BOOLEAN && id <= ICETAP_TYPE_GEOGRAPHY;
}


icetap_type_t *
icetap_type_new(icetap_type_id_t id)
{
    icetap_type_t  *t;

    t = icetap_calloc(1, sizeof(icetap_type_t));
    if (t == NULL) {
        return NULL;
    }

    t->id = id;

    return t;
}


icetap_rc
icetap_type_parse(const char *s, icetap_type_t *t, icetap_error_t *err)
{
    int          p, sc, n;
    size_t       len;
    const char  *q;
    const icetap_type_name_t  *tn;

    memset(t, 0, sizeof(icetap_type_t));

    for (tn = icetap_type_names; tn->name; tn++) {
        if (strcmp(s, tn->name) == 0) {
            t->id = tn->id;
            return ICETAP_OK;
        }
    }

    n = 0;

    if (sscanf(s, "decimal ( %d , %d )%n", &p, &sc, &n) == 2
        && s[n] == '\0')
    {
        if (p < 1 || p > 38 || sc < 0 || sc > p) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "invalid decimal precision/scale in "
                                    "type \"%.64s\"", s);
        }

        t->id = ICETAP_TYPE_DECIMAL;
        t->precision = p;
        t->scale = sc;
        return ICETAP_OK;
    }

    n = 0;

    if (sscanf(s, "fixed [ %d ]%n", &p, &n) == 1 && s[n] == '\0') {
        if (p < 1) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "invalid fixed length in type "
                                    "\"%.64s\"", s);
        }

        t->id = ICETAP_TYPE_FIXED;
        t->length = p;
        return ICETAP_OK;
    }

    if (strncmp(s, "geometry", 8) == 0) {
        t->id = ICETAP_TYPE_GEOMETRY;
        q = s + 8;

    } else if (strncmp(s, "geography", 9) == 0) {
        t->id = ICETAP_TYPE_GEOGRAPHY;
        q = s + 9;

    } else {
        return icetap_error_set(err, ICETAP_INVALID,
                                "unknown Iceberg type \"%.64s\"", s);
    }

    if (*q == '\0') {
        return ICETAP_OK;
    }

    len = strlen(q);

    if (q[0] != '(' || q[len - 1] != ')') {
        t->id = 0;
        return icetap_error_set(err, ICETAP_INVALID,
                                "unknown Iceberg type \"%.64s\"", s);
    }

    t->params = icetap_strndup(q, len);
    if (t->params == NULL) {
        t->id = 0;
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    return ICETAP_OK;
}


int
icetap_type_format(const icetap_type_t *t, char *buf, size_t size)
{
    const icetap_type_name_t  *tn;

    for (tn = icetap_type_names; tn->name; tn++) {
        if (tn->id == t->id) {
            return snprintf(buf, size, "%s", tn->name);
        }
    }

    switch (t->id) {

    case ICETAP_TYPE_DECIMAL:
        return snprintf(buf, size, "decimal(%d, %d)", (int) t->precision,
                        (int) t->scale);

    case ICETAP_TYPE_FIXED:
        return snprintf(buf, size, "fixed[%d]", (int) t->length);

    case ICETAP_TYPE_GEOMETRY:
        return snprintf(buf, size, "geometry%s", t->params ? t->params : "");

    case ICETAP_TYPE_GEOGRAPHY:
        return snprintf(buf, size, "geography%s",
                        t->params ? t->params : "");

    case ICETAP_TYPE_STRUCT:
        return snprintf(buf, size, "struct");

    case ICETAP_TYPE_LIST:
        return snprintf(buf, size, "list");

    case ICETAP_TYPE_MAP:
        return snprintf(buf, size, "map");

    default:
        return snprintf(buf, size, "invalid");
    }
}


/* the members of j not named in known: kept for lossless round trips */

json_t *
icetap_md_extra(const json_t *j, const char **known)
{
    json_t       *extra, *v;
    const char   *key, **k;

    extra = NULL;

    json_object_foreach((json_t *) j, key, v) {

        for (k = known; *k; k++) {
            if (strcmp(*k, key) == 0) {
                break;
            }
        }

        if (*k) {
            continue;
        }

        if (extra == NULL) {
            extra = json_object();
            if (extra == NULL) {
                return NULL;
            }
        }

        if (json_object_set(extra, key, v) != 0) {
            json_decref(extra);
            return NULL;
        }
    }

    return extra;
}


static int
icetap_extra_merge(json_t *out, const json_t *extra)
{
    if (extra == NULL) {
        return 0;
    }

    return json_object_update_missing(out, (json_t *) extra);
}


static int
icetap_json_id(const json_t *j, int32_t *id)
{
    json_int_t  v;

    if (!json_is_integer(j)) {
        return -1;
    }

    v = json_integer_value(j);

    if (v < 0 || v > INT32_MAX) {
        return -1;
    }

    *id = (int32_t) v;

    return 0;
}


icetap_rc
icetap_type_from_json(const json_t *j, icetap_type_t **t, icetap_error_t *err)
{
    return icetap_type_from_json_depth(j, t, 0, err);
}


static icetap_rc
icetap_type_from_json_depth(const json_t *j, icetap_type_t **out, int depth,
    icetap_error_t *err)
{
    json_t         *v;
    icetap_rc       rc;
    const char     *kind;
    icetap_type_t  *t;

    *out = NULL;

    if (depth > ICETAP_SCHEMA_MAX_DEPTH) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "schema nested deeper than %d levels",
                                ICETAP_SCHEMA_MAX_DEPTH);
    }

    t = icetap_type_new(0);
    if (t == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    if (json_is_string(j)) {
        rc = icetap_type_parse(json_string_value(j), t, err);
        if (rc != ICETAP_OK) {
            icetap_free(t);
            return rc;
        }

        *out = t;
        return ICETAP_OK;
    }

    if (!json_is_object(j)) {
        icetap_free(t);
        return icetap_error_set(err, ICETAP_INVALID,
                                "type must be a string or an object");
    }

    kind = json_string_value(json_object_get(j, "type"));

    if (kind == NULL) {
        icetap_free(t);
        return icetap_error_set(err, ICETAP_INVALID,
                                "nested type without a \"type\" string");
    }

    if (strcmp(kind, "struct") == 0) {
        t->id = ICETAP_TYPE_STRUCT;
        rc = icetap_struct_from_json(j, t, depth, err);
        if (rc != ICETAP_OK) {
            goto failed;
        }

        t->extra = icetap_md_extra(j, icetap_struct_keys);

    } else if (strcmp(kind, "list") == 0) {
        t->id = ICETAP_TYPE_LIST;

        if (icetap_json_id(json_object_get(j, "element-id"),
                           &t->element_id) != 0)
        {
            rc = icetap_error_set(err, ICETAP_INVALID,
                                  "list type without a valid element-id");
            goto failed;
        }

        v = json_object_get(j, "element-required");
        if (!json_is_boolean(v)) {
            rc = icetap_error_set(err, ICETAP_INVALID,
                                  "list %d: element-required is not a "
                                  "boolean", (int) t->element_id);
            goto failed;
        }

        t->element_required = json_is_true(v);

        rc = icetap_type_from_json_depth(json_object_get(j, "element"),
                                         &t->element, depth + 1, err);
        if (rc != ICETAP_OK) {
            goto failed;
        }

        t->extra = icetap_md_extra(j, icetap_list_keys);

    } else if (strcmp(kind, "map") == 0) {
        t->id = ICETAP_TYPE_MAP;

        if (icetap_json_id(json_object_get(j, "key-id"), &t->key_id) != 0
            || icetap_json_id(json_object_get(j, "value-id"), &t->value_id)
               != 0)
        {
            rc = icetap_error_set(err, ICETAP_INVALID,
                                  "map type without valid key-id and "
                                  "value-id");
            goto failed;
        }

        v = json_object_get(j, "value-required");
        if (!json_is_boolean(v)) {
            rc = icetap_error_set(err, ICETAP_INVALID,
                                  "map %d: value-required is not a "
                                  "boolean", (int) t->key_id);
            goto failed;
        }

        t->value_required = json_is_true(v);

        rc = icetap_type_from_json_depth(json_object_get(j, "key"), &t->key,
                                         depth + 1, err);
        if (rc != ICETAP_OK) {
            goto failed;
        }

        rc = icetap_type_from_json_depth(json_object_get(j, "value"),
                                         &t->value, depth + 1, err);
        if (rc != ICETAP_OK) {
            goto failed;
        }

        t->extra = icetap_md_extra(j, icetap_map_keys);

    } else {
        rc = icetap_error_set(err, ICETAP_INVALID,
                              "unknown nested type \"%.32s\"", kind);
        goto failed;
    }

    *out = t;

    return ICETAP_OK;

failed:

    icetap_type_free(t);

    return rc;
}


static icetap_rc
icetap_struct_from_json(const json_t *j, icetap_type_t *t, int depth,
    icetap_error_t *err)
{
    size_t     i, n;
    json_t    *fields;
    icetap_rc  rc;

    fields = json_object_get(j, "fields");

    if (!json_is_array(fields)) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "struct type without a \"fields\" array");
    }

    n = json_array_size(fields);

    if (n) {
        t->fields = icetap_calloc(n, sizeof(icetap_field_t));
        if (t->fields == NULL) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }
    }

    for (i = 0; i < n; i++) {
        t->nfields++;

        rc = icetap_field_from_json(json_array_get(fields, i), &t->fields[i],
                                    depth + 1, err);
        if (rc != ICETAP_OK) {
            return rc;
        }
    }

    return ICETAP_OK;
}


static icetap_rc
icetap_field_from_json(const json_t *j, icetap_field_t *f, int depth,
    icetap_error_t *err)
{
    json_t      *v;
    icetap_rc    rc;
    const char  *s;

    if (!json_is_object(j)) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "struct field is not an object");
    }

    if (icetap_json_id(json_object_get(j, "id"), &f->id) != 0) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "struct field without a valid \"id\"");
    }

    s = json_string_value(json_object_get(j, "name"));
    if (s == NULL || *s == '\0') {
        return icetap_error_set(err, ICETAP_INVALID,
                                "field %d has no name", (int) f->id);
    }

    f->name = icetap_strndup(s, strlen(s));
    if (f->name == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    v = json_object_get(j, "required");
    if (!json_is_boolean(v)) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "field %d: \"required\" is not a boolean",
                                (int) f->id);
    }

    f->required = json_is_true(v);

    v = json_object_get(j, "doc");
    if (v != NULL) {
        if (!json_is_string(v)) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "field %d: \"doc\" is not a string",
                                    (int) f->id);
        }

        s = json_string_value(v);
        f->doc = icetap_strndup(s, strlen(s));
        if (f->doc == NULL) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }
    }

    v = json_object_get(j, "initial-default");
    if (v != NULL) {
        f->initial_default = json_incref(v);
    }

    v = json_object_get(j, "write-default");
    if (v != NULL) {
        f->write_default = json_incref(v);
    }

    rc = icetap_type_from_json_depth(json_object_get(j, "type"), &f->type,
                                     depth, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    f->extra = icetap_md_extra(j, icetap_field_keys);

    return ICETAP_OK;
}


static json_t *
icetap_fields_to_json(const icetap_type_t *t)
{
    size_t                 i;
    json_t                *a, *o, *ty;
    const icetap_field_t  *f;

    a = json_array();
    if (a == NULL) {
        return NULL;
    }

    for (i = 0; i < t->nfields; i++) {
        f = &t->fields[i];

        ty = icetap_type_to_json(f->type);
        o = json_object();

        if (o == NULL || ty == NULL
            || json_array_append_new(a, o) != 0
            || json_object_set_new(o, "id", json_integer(f->id)) != 0
            || json_object_set_new(o, "name", json_string(f->name)) != 0
            || json_object_set_new(o, "required",
                                   json_boolean(f->required)) != 0
            || json_object_set_new(o, "type", ty) != 0)
        {
            json_decref(ty);
            json_decref(a);
            return NULL;
        }

        if ((f->doc && json_object_set_new(o, "doc", json_string(f->doc)))
            || (f->initial_default
                && json_object_set(o, "initial-default",
                                   f->initial_default))
            || (f->write_default
                && json_object_set(o, "write-default", f->write_default))
            || icetap_extra_merge(o, f->extra) != 0)
        {
            json_decref(a);
            return NULL;
        }
    }

    return a;
}


json_t *
icetap_type_to_json(const icetap_type_t *t)
{
    int      rc;
    char     name[128];
    json_t  *o, *fields, *e, *k, *v;

    if (icetap_type_is_primitive(t->id)) {
        icetap_type_format(t, name, sizeof(name));
        return json_string(name);
    }

    o = json_object();
    if (o == NULL) {
        return NULL;
    }

    switch (t->id) {

    case ICETAP_TYPE_STRUCT:
        fields = icetap_fields_to_json(t);
        rc = json_object_set_new(o, "type", json_string("struct"))
             || json_object_set_new(o, "fields", fields);
        break;

    case ICETAP_TYPE_LIST:
        e = icetap_type_to_json(t->element);
        rc = json_object_set_new(o, "type", json_string("list"))
             || json_object_set_new(o, "element-id",
                                    json_integer(t->element_id))
             || json_object_set_new(o, "element", e)
             || json_object_set_new(o, "element-required",
                                    json_boolean(t->element_required));
        break;

    case ICETAP_TYPE_MAP:
        k = icetap_type_to_json(t->key);
        v = icetap_type_to_json(t->value);
        rc = json_object_set_new(o, "type", json_string("map"))
             || json_object_set_new(o, "key-id", json_integer(t->key_id))
             || json_object_set_new(o, "key", k)
             || json_object_set_new(o, "value-id",
                                    json_integer(t->value_id))
             || json_object_set_new(o, "value", v)
             || json_object_set_new(o, "value-required",
                                    json_boolean(t->value_required));
        break;

    default:
        rc = 1;
    }

    if (rc != 0 || icetap_extra_merge(o, t->extra) != 0) {
        json_decref(o);
        return NULL;
    }

    return o;
}


static void
icetap_field_clear(icetap_field_t *f)
{
    icetap_free(f->name);
    icetap_free(f->doc);
    icetap_type_free(f->type);
    json_decref(f->initial_default);
    json_decref(f->write_default);
    json_decref(f->extra);
    memset(f, 0, sizeof(icetap_field_t));
}


void
icetap_type_free(icetap_type_t *t)
{
    size_t  i;

    if (t == NULL) {
        return;
    }

    for (i = 0; i < t->nfields; i++) {
        icetap_field_clear(&t->fields[i]);
    }

    icetap_free(t->fields);
    icetap_free(t->params);
    icetap_type_free(t->element);
    icetap_type_free(t->key);
    icetap_type_free(t->value);
    json_decref(t->extra);
    icetap_free(t);
}


static char *
icetap_strdup_null(const char *s, int *failed)
{
    char  *p;

    if (s == NULL) {
        return NULL;
    }

    p = icetap_strndup(s, strlen(s));
    if (p == NULL) {
        *failed = 1;
    }

    return p;
}


static json_t *
icetap_json_copy_null(const json_t *j, int *failed)
{
    json_t  *c;

    if (j == NULL) {
        return NULL;
    }

    c = json_deep_copy(j);
    if (c == NULL) {
        *failed = 1;
    }

    return c;
}


static icetap_rc
icetap_field_copy(icetap_field_t *dst, const icetap_field_t *src)
{
    int  failed;

    failed = 0;

    memset(dst, 0, sizeof(icetap_field_t));

    dst->id = src->id;
    dst->required = src->required;
    dst->name = icetap_strdup_null(src->name, &failed);
    dst->doc = icetap_strdup_null(src->doc, &failed);
    dst->initial_default = icetap_json_copy_null(src->initial_default,
                                                 &failed);
    dst->write_default = icetap_json_copy_null(src->write_default, &failed);
    dst->extra = icetap_json_copy_null(src->extra, &failed);

    dst->type = icetap_type_copy(src->type);
    if (dst->type == NULL) {
        failed = 1;
    }

    if (failed) {
        icetap_field_clear(dst);
        return ICETAP_NOMEM;
    }

    return ICETAP_OK;
}


icetap_type_t *
icetap_type_copy(const icetap_type_t *src)
{
    int             failed;
    size_t          i;
    icetap_type_t  *t;

    if (src == NULL) {
        return NULL;
    }

    t = icetap_type_new(src->id);
    if (t == NULL) {
        return NULL;
    }

    failed = 0;

    t->precision = src->precision;
    t->scale = src->scale;
    t->length = src->length;
    t->element_id = src->element_id;
    t->element_required = src->element_required;
    t->key_id = src->key_id;
    t->value_id = src->value_id;
    t->value_required = src->value_required;
    t->params = icetap_strdup_null(src->params, &failed);
    t->extra = icetap_json_copy_null(src->extra, &failed);

    if (src->nfields) {
        t->fields = icetap_calloc(src->nfields, sizeof(icetap_field_t));
        if (t->fields == NULL) {
            failed = 1;

        } else {
            for (i = 0; i < src->nfields && !failed; i++) {
                if (icetap_field_copy(&t->fields[i], &src->fields[i])
                    != ICETAP_OK)
                {
                    failed = 1;
                    break;
                }

                t->nfields++;
            }
        }
    }

    if (src->element && !failed) {
        t->element = icetap_type_copy(src->element);
        failed = (t->element == NULL);
    }

    if (src->key && !failed) {
        t->key = icetap_type_copy(src->key);
        failed = (t->key == NULL);
    }

    if (src->value && !failed) {
        t->value = icetap_type_copy(src->value);
        failed = (t->value == NULL);
    }

    if (failed) {
        icetap_type_free(t);
        return NULL;
    }

    return t;
}


int
icetap_type_equal(const icetap_type_t *a, const icetap_type_t *b)
{
    size_t  i;

    if (a == NULL || b == NULL) {
        return a == b;
    }

    if (a->id != b->id || a->precision != b->precision
        || a->scale != b->scale || a->length != b->length
        || a->nfields != b->nfields)
    {
        return 0;
    }

    if ((a->params == NULL) != (b->params == NULL)
        || (a->params && strcmp(a->params, b->params) != 0))
    {
        return 0;
    }

    for (i = 0; i < a->nfields; i++) {
        if (a->fields[i].id != b->fields[i].id
            || a->fields[i].required != b->fields[i].required
            || strcmp(a->fields[i].name, b->fields[i].name) != 0
            || !icetap_type_equal(a->fields[i].type, b->fields[i].type))
        {
            return 0;
        }
    }

    if (a->id == ICETAP_TYPE_LIST) {
        return a->element_id == b->element_id
               && a->element_required == b->element_required
               && icetap_type_equal(a->element, b->element);
    }

    if (a->id == ICETAP_TYPE_MAP) {
        return a->key_id == b->key_id && a->value_id == b->value_id
               && a->value_required == b->value_required
               && icetap_type_equal(a->key, b->key)
               && icetap_type_equal(a->value, b->value);
    }

    return 1;
}


static icetap_rc
icetap_schema_note_id(int32_t id, uint8_t **seen, size_t *nseen,
    icetap_error_t *err)
{
    size_t    n;
    uint8_t  *p;

    if (id <= 0) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "field id %d is not positive", (int) id);
    }

    if ((size_t) id / 8 >= *nseen) {
        n = icetap_max((size_t) id / 8 + 1, *nseen * 2);

        p = icetap_realloc(*seen, n);
        if (p == NULL) {
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }

        memset(p + *nseen, 0, n - *nseen);
        *seen = p;
        *nseen = n;
    }

    if ((*seen)[id / 8] & (1 << (id % 8))) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "field id %d is used twice", (int) id);
    }

    (*seen)[id / 8] |= (uint8_t) (1 << (id % 8));

    return ICETAP_OK;
}


static icetap_rc
icetap_schema_check_ids(const icetap_type_t *t, uint8_t **seen,
    size_t *nseen, icetap_error_t *err)
{
    size_t     i, k;
    icetap_rc  rc;

    switch (t->id) {

    case ICETAP_TYPE_STRUCT:
        for (i = 0; i < t->nfields; i++) {

            for (k = 0; k < i; k++) {
                if (strcmp(t->fields[k].name, t->fields[i].name) == 0) {
                    return icetap_error_set(err, ICETAP_INVALID,
                                            "field name \"%.64s\" is used "
                                            "twice in one struct",
                                            t->fields[i].name);
                }
            }

            rc = icetap_schema_note_id(t->fields[i].id, seen, nseen, err);
            if (rc != ICETAP_OK) {
                return rc;
            }

            rc = icetap_schema_check_ids(t->fields[i].type, seen, nseen,
                                         err);
            if (rc != ICETAP_OK) {
                return rc;
            }
        }

        return ICETAP_OK;

    case ICETAP_TYPE_LIST:
        rc = icetap_schema_note_id(t->element_id, seen, nseen, err);
        if (rc != ICETAP_OK) {
            return rc;
        }

        return icetap_schema_check_ids(t->element, seen, nseen, err);

    case ICETAP_TYPE_MAP:
        rc = icetap_schema_note_id(t->key_id, seen, nseen, err);
        if (rc == ICETAP_OK) {
            rc = icetap_schema_note_id(t->value_id, seen, nseen, err);
        }

        if (rc == ICETAP_OK) {
            rc = icetap_schema_check_ids(t->key, seen, nseen, err);
        }

        if (rc == ICETAP_OK) {
            rc = icetap_schema_check_ids(t->value, seen, nseen, err);
        }

        return rc;

    default:
        return ICETAP_OK;
    }
}


icetap_rc
icetap_schema_from_json(const json_t *j, icetap_schema_t **out,
    icetap_error_t *err)
{
    size_t            i, n, nseen;
    json_t           *v, *ids;
    uint8_t          *seen;
    icetap_rc         rc;
    icetap_schema_t  *s;

    *out = NULL;

    if (!json_is_object(j)) {
        return icetap_error_set(err, ICETAP_INVALID,
                                "schema is not a JSON object");
    }

    v = json_object_get(j, "type");
    if (v != NULL && (!json_is_string(v)
                      || strcmp(json_string_value(v), "struct") != 0))
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "schema type is not \"struct\"");
    }

    s = icetap_calloc(1, sizeof(icetap_schema_t));
    if (s == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    v = json_object_get(j, "schema-id");

    if (v == NULL) {
        s->schema_id = 0;

    } else if (icetap_json_id(v, &s->schema_id) != 0) {
        rc = icetap_error_set(err, ICETAP_INVALID,
                              "schema-id is not a non-negative integer");
        goto failed;
    }

    s->root = icetap_type_new(ICETAP_TYPE_STRUCT);
    if (s->root == NULL) {
        rc = icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        goto failed;
    }

    rc = icetap_struct_from_json(j, s->root, 0, err);
    if (rc != ICETAP_OK) {
        goto failed;
    }

    ids = json_object_get(j, "identifier-field-ids");

    if (ids != NULL) {
        if (!json_is_array(ids)) {
            rc = icetap_error_set(err, ICETAP_INVALID,
                                  "identifier-field-ids is not an array");
            goto failed;
        }

        s->has_identifier_ids = 1;
        n = json_array_size(ids);

        if (n) {
            s->identifier_ids = icetap_calloc(n, sizeof(int32_t));
            if (s->identifier_ids == NULL) {
                rc = icetap_error_set(err, ICETAP_NOMEM, "out of memory");
                goto failed;
            }
        }

        for (i = 0; i < n; i++) {
            if (icetap_json_id(json_array_get(ids, i),
                               &s->identifier_ids[i]) != 0)
            {
                rc = icetap_error_set(err, ICETAP_INVALID,
                                      "identifier-field-ids holds a "
                                      "non-id");
                goto failed;
            }
        }

        s->nidentifier_ids = n;
    }

    seen = NULL;
    nseen = 0;

    rc = icetap_schema_check_ids(s->root, &seen, &nseen, err);

    icetap_free(seen);

    if (rc != ICETAP_OK) {
        goto failed;
    }

    for (i = 0; i < s->nidentifier_ids; i++) {
        if (icetap_schema_find_field(s, s->identifier_ids[i]) == NULL) {
            rc = icetap_error_set(err, ICETAP_INVALID,
                                  "identifier field %d is not in the schema",
                                  (int) s->identifier_ids[i]);
            goto failed;
        }
    }

    s->extra = icetap_md_extra(j, icetap_schema_keys);

    *out = s;

    return ICETAP_OK;

failed:

    icetap_schema_free(s);

    return rc;
}


json_t *
icetap_schema_to_json(const icetap_schema_t *s)
{
    size_t   i;
    json_t  *o, *ids, *fields;

    o = json_object();
    if (o == NULL) {
        return NULL;
    }

    if (json_object_set_new(o, "type", json_string("struct")) != 0
        || json_object_set_new(o, "schema-id", json_integer(s->schema_id)))
    {
        goto failed;
    }

    if (s->has_identifier_ids || s->nidentifier_ids) {
        ids = json_array();
        if (ids == NULL || json_object_set_new(o, "identifier-field-ids", ids))
        {
            goto failed;
        }

        for (i = 0; i < s->nidentifier_ids; i++) {
            if (json_array_append_new(ids,
                                      json_integer(s->identifier_ids[i])))
            {
                goto failed;
            }
        }
    }

    fields = icetap_fields_to_json(s->root);

    if (fields == NULL || json_object_set_new(o, "fields", fields) != 0
        || icetap_extra_merge(o, s->extra) != 0)
    {
        goto failed;
    }

    return o;

failed:

    json_decref(o);

    return NULL;
}


char *
icetap_schema_to_string(const icetap_schema_t *s)
{
    char    *out, *copy;
    json_t  *j;

    j = icetap_schema_to_json(s);
    if (j == NULL) {
        return NULL;
    }

    out = json_dumps(j, JSON_COMPACT);
    json_decref(j);

    if (out == NULL) {
        return NULL;
    }

    /* hand out memory from our allocator, not jansson's */

    copy = icetap_strndup(out, strlen(out));
    free(out);

    return copy;
}


icetap_schema_t *
icetap_schema_copy(const icetap_schema_t *src)
{
    int               failed;
    icetap_schema_t  *s;

    s = icetap_calloc(1, sizeof(icetap_schema_t));
    if (s == NULL) {
        return NULL;
    }

    failed = 0;

    s->schema_id = src->schema_id;
    s->has_identifier_ids = src->has_identifier_ids;
    s->extra = icetap_json_copy_null(src->extra, &failed);

    s->root = icetap_type_copy(src->root);
    if (s->root == NULL) {
        failed = 1;
    }

    if (src->nidentifier_ids && !failed) {
        s->identifier_ids = icetap_calloc(src->nidentifier_ids,
                                          sizeof(int32_t));
        if (s->identifier_ids == NULL) {
            failed = 1;

        } else {
            memcpy(s->identifier_ids, src->identifier_ids,
                   src->nidentifier_ids * sizeof(int32_t));
            s->nidentifier_ids = src->nidentifier_ids;
        }
    }

    if (failed) {
        icetap_schema_free(s);
        return NULL;
    }

    return s;
}


void
icetap_schema_free(icetap_schema_t *s)
{
    if (s == NULL) {
        return;
    }

    icetap_type_free(s->root);
    icetap_free(s->identifier_ids);
    json_decref(s->extra);
    icetap_free(s);
}


int
icetap_schema_equal_columns(const icetap_schema_t *a, const icetap_schema_t *b)
{
    if (a->nidentifier_ids != b->nidentifier_ids
        || (a->nidentifier_ids
            && memcmp(a->identifier_ids, b->identifier_ids,
                      a->nidentifier_ids * sizeof(int32_t)) != 0))
    {
        return 0;
    }

    return icetap_type_equal(a->root, b->root);
}


static int32_t
icetap_type_max_id(const icetap_type_t *t)
{
    size_t   i;
    int32_t  m;

    m = 0;

    if (t == NULL) {
        return 0;
    }

    for (i = 0; i < t->nfields; i++) {
        m = icetap_max(m, t->fields[i].id);
        m = icetap_max(m, icetap_type_max_id(t->fields[i].type));
    }

    if (t->id == ICETAP_TYPE_LIST) {
        m = icetap_max(m, t->element_id);
        m = icetap_max(m, icetap_type_max_id(t->element));
    }

    if (t->id == ICETAP_TYPE_MAP) {
        m = icetap_max(m, icetap_max(t->key_id, t->value_id));
        m = icetap_max(m, icetap_type_max_id(t->key));
        m = icetap_max(m, icetap_type_max_id(t->value));
    }

    return m;
}


int32_t
icetap_schema_max_id(const icetap_schema_t *s)
{
    return icetap_type_max_id(s->root);
}


static icetap_field_t *
icetap_type_find_field(const icetap_type_t *t, int32_t id,
    icetap_type_t **parent)
{
    size_t           i;
    icetap_field_t  *f;

    if (t == NULL) {
        return NULL;
    }

    for (i = 0; i < t->nfields; i++) {
        if (t->fields[i].id == id) {
            if (parent) {
                *parent = (icetap_type_t *) t;
            }

            return &t->fields[i];
        }

        f = icetap_type_find_field(t->fields[i].type, id, parent);
        if (f) {
            return f;
        }
    }

    f = icetap_type_find_field(t->element, id, parent);
    if (f) {
        return f;
    }

    f = icetap_type_find_field(t->key, id, parent);
    if (f) {
        return f;
    }

    return icetap_type_find_field(t->value, id, parent);
}


icetap_field_t *
icetap_schema_find_field(const icetap_schema_t *s, int32_t id)
{
    return icetap_type_find_field(s->root, id, NULL);
}


static const icetap_type_t *
icetap_type_find_type(const icetap_type_t *t, int32_t id, int *required)
{
    size_t                i;
    const icetap_type_t  *r;

    if (t == NULL) {
        return NULL;
    }

    for (i = 0; i < t->nfields; i++) {
        if (t->fields[i].id == id) {
            *required = t->fields[i].required;
            return t->fields[i].type;
        }

        r = icetap_type_find_type(t->fields[i].type, id, required);
        if (r) {
            return r;
        }
    }

    if (t->id == ICETAP_TYPE_LIST) {
        if (t->element_id == id) {
            *required = t->element_required;
            return t->element;
        }

        return icetap_type_find_type(t->element, id, required);
    }

    if (t->id == ICETAP_TYPE_MAP) {
        if (t->key_id == id) {
            *required = 1;
            return t->key;
        }

        if (t->value_id == id) {
            *required = t->value_required;
            return t->value;
        }

        r = icetap_type_find_type(t->key, id, required);
        if (r) {
            return r;
        }

        return icetap_type_find_type(t->value, id, required);
    }

    return NULL;
}


const icetap_type_t *
icetap_schema_find_type(const icetap_schema_t *s, int32_t id, int *required)
{
    int  dummy;

    return icetap_type_find_type(s->root, id, required ? required : &dummy);
}


static icetap_rc
icetap_next_id(int32_t *last, int32_t *id, icetap_error_t *err)
{
    if (*last >= ICETAP_FIELD_ID_MAX) {
        return icetap_error_set(err, ICETAP_FULL,
                                "no field ids left below the reserved range");
    }

    *id = ++*last;

    return ICETAP_OK;
}


static icetap_rc
icetap_type_assign_ids(icetap_type_t *t, int32_t *last, icetap_error_t *err)
{
    size_t     i;
    icetap_rc  rc;

    /* Java assigns the ids of one level before descending */

    switch (t->id) {

    case ICETAP_TYPE_STRUCT:
        for (i = 0; i < t->nfields; i++) {
            rc = icetap_next_id(last, &t->fields[i].id, err);
            if (rc != ICETAP_OK) {
                return rc;
            }
        }

        for (i = 0; i < t->nfields; i++) {
            rc = icetap_type_assign_ids(t->fields[i].type, last, err);
            if (rc != ICETAP_OK) {
                return rc;
            }
        }

        return ICETAP_OK;

    case ICETAP_TYPE_LIST:
        if (t->element == NULL) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "list type without an element type");
        }

        rc = icetap_next_id(last, &t->element_id, err);
        if (rc != ICETAP_OK) {
            return rc;
        }

        return icetap_type_assign_ids(t->element, last, err);

    case ICETAP_TYPE_MAP:
        if (t->key == NULL || t->value == NULL) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "map type without key or value type");
        }

        rc = icetap_next_id(last, &t->key_id, err);
        if (rc == ICETAP_OK) {
            rc = icetap_next_id(last, &t->value_id, err);
        }

        if (rc == ICETAP_OK) {
            rc = icetap_type_assign_ids(t->key, last, err);
        }

        if (rc == ICETAP_OK) {
            rc = icetap_type_assign_ids(t->value, last, err);
        }

        return rc;

    default:
        if (!icetap_type_is_primitive(t->id)) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "invalid type id %d", (int) t->id);
        }

        return ICETAP_OK;
    }
}


static icetap_type_t *
icetap_schema_struct_of(icetap_schema_t *s, int32_t parent_id)
{
    int                   required;
    const icetap_type_t  *t;

    if (parent_id == 0) {
        return s->root;
    }

    t = icetap_schema_find_type(s, parent_id, &required);

    if (t != NULL && t->id == ICETAP_TYPE_STRUCT) {
        return (icetap_type_t *) t;
    }

    return NULL;
}


static int
icetap_struct_has_name(const icetap_type_t *t, const char *name)
{
    size_t  i;

    for (i = 0; i < t->nfields; i++) {
        if (strcmp(t->fields[i].name, name) == 0) {
            return 1;
        }
    }

    return 0;
}


icetap_rc
icetap_schema_add_column(icetap_schema_t *s, int32_t parent_id,
    const char *name, icetap_type_t *type, int required, const char *doc,
    json_t *initial_default, int32_t *last_column_id, int format_version,
    icetap_error_t *err)
{
    int32_t          last, new_id;
    icetap_rc        rc;
    icetap_type_t   *parent;
    icetap_field_t  *fields, *f;

    if (name == NULL || *name == '\0') {
        return icetap_error_set(err, ICETAP_INVALID,
                                "a new column needs a name");
    }

    parent = icetap_schema_struct_of(s, parent_id);
    if (parent == NULL) {
        return icetap_error_set(err, ICETAP_NOTFOUND,
                                "cannot add \"%.64s\": parent %d is not a "
                                "struct of the schema", name, (int) parent_id);
    }

    if (icetap_struct_has_name(parent, name)) {
        return icetap_error_set(err, ICETAP_CONFLICT,
                                "cannot add \"%.64s\": the name exists",
                                name);
    }

    if (required && (initial_default == NULL || json_is_null(initial_default)
                     || format_version < 3))
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "cannot add required column \"%.64s\" "
                                "without an initial default (format v3)",
                                name);
    }

    if (type == NULL
        || (type->id == ICETAP_TYPE_UNKNOWN && (required
                                                 || format_version < 3))
        || ((type->id == ICETAP_TYPE_TIMESTAMP_NS
             || type->id == ICETAP_TYPE_TIMESTAMPTZ_NS
             || type->id == ICETAP_TYPE_VARIANT
             || type->id == ICETAP_TYPE_GEOMETRY
             || type->id == ICETAP_TYPE_GEOGRAPHY)
            && format_version < 3))
    {
        return icetap_error_set(err, ICETAP_INVALID,
                                "cannot add \"%.64s\": type not allowed in "
                                "format v%d", name, format_version);
    }

    new_id = 0;
    last = *last_column_id;

    if (last < icetap_schema_max_id(s)) {
        last = icetap_schema_max_id(s);
    }

    /* ids first, on the caller's type: it is only adopted on success */

    rc = icetap_next_id(&last, &new_id, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    rc = icetap_type_assign_ids(type, &last, err);
    if (rc != ICETAP_OK) {
        return rc;
    }

    fields = icetap_realloc(parent->fields,
                            (parent->nfields + 1) * sizeof(icetap_field_t));
    if (fields == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    parent->fields = fields;
    f = &fields[parent->nfields];
    memset(f, 0, sizeof(icetap_field_t));

    f->name = icetap_strndup(name, strlen(name));
    if (f->name == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    if (doc) {
        f->doc = icetap_strndup(doc, strlen(doc));
        if (f->doc == NULL) {
            icetap_free(f->name);
            f->name = NULL;
            return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
        }
    }

    f->id = new_id;
    f->required = required ? 1 : 0;
    f->type = type;

    if (required) {
        f->initial_default = json_incref(initial_default);
        f->write_default = json_incref(initial_default);
    }

    parent->nfields++;
    *last_column_id = last;

    return ICETAP_OK;
}


icetap_rc
icetap_schema_rename_column(icetap_schema_t *s, int32_t id, const char *name,
    icetap_error_t *err)
{
    char            *p;
    icetap_type_t   *parent;
    icetap_field_t  *f;

    parent = NULL;

    f = icetap_type_find_field(s->root, id, &parent);
    if (f == NULL) {
        return icetap_error_set(err, ICETAP_NOTFOUND,
                                "cannot rename field %d: no such field",
                                (int) id);
    }

    if (name == NULL || *name == '\0') {
        return icetap_error_set(err, ICETAP_INVALID,
                                "cannot rename field %d to an empty name",
                                (int) id);
    }

    if (strcmp(f->name, name) == 0) {
        return ICETAP_OK;
    }

    if (icetap_struct_has_name(parent, name)) {
        return icetap_error_set(err, ICETAP_CONFLICT,
                                "cannot rename field %d: \"%.64s\" exists",
                                (int) id, name);
    }

    p = icetap_strndup(name, strlen(name));
    if (p == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    icetap_free(f->name);
    f->name = p;

    return ICETAP_OK;
}


int
icetap_type_can_promote(const icetap_type_t *from, const icetap_type_t *to,
    int format_version)
{
    if (icetap_type_equal(from, to)) {
        return 1;
    }

    if (!icetap_type_is_primitive(to->id)) {
        return 0;
    }

    switch (from->id) {

    case ICETAP_TYPE_INT:
        return to->id == ICETAP_TYPE_LONG;

    case ICETAP_TYPE_FLOAT:
        return to->id == ICETAP_TYPE_DOUBLE;

    case ICETAP_TYPE_DECIMAL:
        return to->id == ICETAP_TYPE_DECIMAL && to->scale == from->scale
               && to->precision >= from->precision;

    case ICETAP_TYPE_DATE:
        return format_version >= 3
               && (to->id == ICETAP_TYPE_TIMESTAMP
                   || to->id == ICETAP_TYPE_TIMESTAMP_NS);

    case ICETAP_TYPE_UNKNOWN:
        return format_version >= 3;

    default:
        return 0;
    }
}


icetap_rc
icetap_schema_promote_column(icetap_schema_t *s, int32_t id,
    const icetap_type_t *to, int format_version, icetap_error_t *err)
{
    char             a[64], b[64];
    icetap_type_t   *t;
    icetap_field_t  *f;

    f = icetap_schema_find_field(s, id);
    if (f == NULL) {
        return icetap_error_set(err, ICETAP_NOTFOUND,
                                "cannot promote field %d: no such field",
                                (int) id);
    }

    if (!icetap_type_can_promote(f->type, to, format_version)) {
        icetap_type_format(f->type, a, sizeof(a));
        icetap_type_format(to, b, sizeof(b));

        return icetap_error_set(err, ICETAP_INVALID,
                                "cannot promote field %d from %s to %s in "
                                "format v%d", (int) id, a, b, format_version);
    }

    t = icetap_type_copy(to);
    if (t == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "out of memory");
    }

    icetap_type_free(f->type);
    f->type = t;

    return ICETAP_OK;
}


icetap_rc
icetap_schema_make_optional(icetap_schema_t *s, int32_t id,
    icetap_error_t *err)
{
    size_t           i;
    icetap_field_t  *f;

    f = icetap_schema_find_field(s, id);
    if (f == NULL) {
        return icetap_error_set(err, ICETAP_NOTFOUND,
                                "cannot make field %d optional: no such "
                                "field", (int) id);
    }

    for (i = 0; i < s->nidentifier_ids; i++) {
        if (s->identifier_ids[i] == id) {
            return icetap_error_set(err, ICETAP_INVALID,
                                    "cannot make identifier field %d "
                                    "optional", (int) id);
        }
    }

    f->required = 0;

    return ICETAP_OK;
}
