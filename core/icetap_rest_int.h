/*
 * Copyright (C) icetap authors
 *
 * Internals of the Iceberg REST catalog: the commit requirements and
 * update actions of CommitTableRequest applied to table metadata.
 */

#ifndef ICETAP_REST_INT_H
#define ICETAP_REST_INT_H


#include <jansson.h>

#include <icetap/metadata.h>


/*
 * Requirements are checked against the table as it is (md NULL: the
 * table does not exist).  A requirement that does not hold is
 * ICETAP_CONFLICT (409 CommitFailedException); a malformed or unknown
 * one ICETAP_INVALID (400).
 */
icetap_rc icetap_rest_check_requirements(const icetap_table_metadata_t *md,
    const json_t *requirements, icetap_error_t *err);

/*
 * Applies the updates in order to *md (replaced on success).  A new
 * location must begin with location_prefix.  Unknown actions, missing
 * members and changes that break the metadata's invariants are
 * ICETAP_INVALID; *md is then unchanged in meaning (the caller drops it).
 */
icetap_rc icetap_rest_apply_updates(icetap_table_metadata_t **md,
    const json_t *updates, const char *location_prefix, int64_t now_ms,
    icetap_error_t *err);

/* whether location is prefix or a path below it (no "..") */
int icetap_rest_under(const char *location, const char *prefix);

/* missing "spec-id" and "field-id" members set to 0 (assign) */
void icetap_rest_spec_defaults(json_t *spec);

/* kebab-case copies of the snake_case members some clients send */
void icetap_rest_kebab(json_t *j);


#endif /* ICETAP_REST_INT_H */
