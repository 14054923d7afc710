/*
 * Copyright (C) icetap authors
 *
 * Helpers shared by the table metadata parser and its operations.
 */

#ifndef ICETAP_METADATA_INT_H
#define ICETAP_METADATA_INT_H


#include <icetap/metadata.h>


char *icetap_md_strdup(const char *s);
json_t *icetap_md_extra(const json_t *j, const char **known);
int icetap_md_merge(json_t *out, const json_t *extra);

void icetap_md_ref_clear(icetap_ref_t *ref);
void icetap_md_sort_order_clear(icetap_sort_order_t *o);
icetap_rc icetap_md_sort_order_from_json(const json_t *j,
    icetap_sort_order_t *o, icetap_error_t *err);
json_t *icetap_md_sort_order_to_json(const icetap_sort_order_t *o);

/* grow an array of elements of "size" bytes to hold n + 1 */
void *icetap_md_grow(void *p, size_t n, size_t size);


#endif /* ICETAP_METADATA_INT_H */
