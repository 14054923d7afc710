/*
 * Copyright (C) icetap authors
 *
 * Iceberg types and schemas: parsing and printing the schema JSON of the
 * table metadata (spec section 2), lookups by field id and the validated
 * schema evolution steps (add column, rename, promote, make optional).
 * Unknown keys of schema, field and type objects are kept so that a
 * parse/print round trip is lossless.
 */

#ifndef ICETAP_SCHEMA_H
#define ICETAP_SCHEMA_H


#include <jansson.h>

#include <icetap/core.h>


typedef enum {
    ICETAP_TYPE_BOOLEAN = 1,
    ICETAP_TYPE_INT,
    ICETAP_TYPE_LONG,
    ICETAP_TYPE_FLOAT,
    ICETAP_TYPE_DOUBLE,
    ICETAP_TYPE_DECIMAL,
    ICETAP_TYPE_DATE,
    ICETAP_TYPE_TIME,
    ICETAP_TYPE_TIMESTAMP,
    ICETAP_TYPE_TIMESTAMPTZ,
    ICETAP_TYPE_TIMESTAMP_NS,
    ICETAP_TYPE_TIMESTAMPTZ_NS,
    ICETAP_TYPE_STRING,
    ICETAP_TYPE_UUID,
    ICETAP_TYPE_FIXED,
    ICETAP_TYPE_BINARY,
    ICETAP_TYPE_UNKNOWN,
    ICETAP_TYPE_VARIANT,
    ICETAP_TYPE_GEOMETRY,
    ICETAP_TYPE_GEOGRAPHY,
    ICETAP_TYPE_STRUCT,
    ICETAP_TYPE_LIST,
    ICETAP_TYPE_MAP
} icetap_type_id_t;


#define ICETAP_FIELD_ID_MAX  2147483447   /* higher ids: metadata columns */


typedef struct icetap_type_s   icetap_type_t;
typedef struct icetap_field_s  icetap_field_t;


struct icetap_field_s {
    int32_t           id;
    char             *name;
    int               required;
    icetap_type_t    *type;
    char             *doc;              /* NULL when absent */
    json_t           *initial_default;  /* v3, NULL when absent */
    json_t           *write_default;    /* v3, NULL when absent */
    json_t           *extra;            /* unknown keys, NULL when none */
};


struct icetap_type_s {
    icetap_type_id_t  id;

    int32_t           precision;        /* decimal */
    int32_t           scale;
    int32_t           length;           /* fixed */
    char             *params;           /* geometry/geography: "(...)" */

    icetap_field_t   *fields;           /* struct */
    size_t            nfields;

    int32_t           element_id;       /* list */
    int               element_required;
    icetap_type_t    *element;

    int32_t           key_id;           /* map; keys are always required */
    int32_t           value_id;
    int               value_required;
    icetap_type_t    *key;
    icetap_type_t    *value;

    json_t           *extra;            /* unknown keys of a nested type */
};


typedef struct {
    int32_t           schema_id;
    icetap_type_t    *root;             /* ICETAP_TYPE_STRUCT */
    int32_t          *identifier_ids;
    size_t            nidentifier_ids;
    int               has_identifier_ids;
    json_t           *extra;
} icetap_schema_t;


/* types */

int icetap_type_is_primitive(icetap_type_id_t id);
icetap_rc icetap_type_parse(const char *s, icetap_type_t *t,
    icetap_error_t *err);
icetap_rc icetap_type_from_json(const json_t *j, icetap_type_t **t,
    icetap_error_t *err);
json_t *icetap_type_to_json(const icetap_type_t *t);
int icetap_type_format(const icetap_type_t *t, char *buf, size_t size);
icetap_type_t *icetap_type_copy(const icetap_type_t *t);
void icetap_type_free(icetap_type_t *t);
int icetap_type_equal(const icetap_type_t *a, const icetap_type_t *b);

/* a primitive type with no parameters, e.g. for nested add-column types */
icetap_type_t *icetap_type_new(icetap_type_id_t id);


/* schemas */

icetap_rc icetap_schema_from_json(const json_t *j, icetap_schema_t **s,
    icetap_error_t *err);
json_t *icetap_schema_to_json(const icetap_schema_t *s);
char *icetap_schema_to_string(const icetap_schema_t *s);
icetap_schema_t *icetap_schema_copy(const icetap_schema_t *s);
void icetap_schema_free(icetap_schema_t *s);
int icetap_schema_equal_columns(const icetap_schema_t *a,
    const icetap_schema_t *b);

/* highest id of any field, list element or map key/value (0 if none) */
int32_t icetap_schema_max_id(const icetap_schema_t *s);

/*
 * The struct field with the given id anywhere in the schema, or NULL; for
 * a list element or map key/value id use icetap_schema_find_type().
 */
icetap_field_t *icetap_schema_find_field(const icetap_schema_t *s,
    int32_t id);
const icetap_type_t *icetap_schema_find_type(const icetap_schema_t *s,
    int32_t id, int *required);


/*
 * Schema evolution.  Each step changes the schema in place and validates
 * first: on error the schema is unchanged.
 *
 * add_column: parent_id 0 adds at the top level, otherwise the id of a
 * struct field (or of a list element / map value that is a struct).  Ids
 * for the new field and for any list/map/struct ids inside "type" are
 * assigned from *last_column_id, which is advanced.  The schema takes
 * ownership of "type" on success.  A required column needs an
 * initial_default (format version 3) because existing rows lack it.
 */
icetap_rc icetap_schema_add_column(icetap_schema_t *s, int32_t parent_id,
    const char *name, icetap_type_t *type, int required, const char *doc,
    json_t *initial_default, int32_t *last_column_id, int format_version,
    icetap_error_t *err);
icetap_rc icetap_schema_rename_column(icetap_schema_t *s, int32_t id,
    const char *name, icetap_error_t *err);
icetap_rc icetap_schema_promote_column(icetap_schema_t *s, int32_t id,
    const icetap_type_t *to, int format_version, icetap_error_t *err);
icetap_rc icetap_schema_make_optional(icetap_schema_t *s, int32_t id,
    icetap_error_t *err);

/* 1 when the type change "from" -> "to" is an allowed promotion */
int icetap_type_can_promote(const icetap_type_t *from,
    const icetap_type_t *to, int format_version);


#endif /* ICETAP_SCHEMA_H */
