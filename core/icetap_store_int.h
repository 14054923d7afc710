/*
 * Copyright (C) icetap authors
 *
 * Helpers shared by the store implementations.
 */

#ifndef ICETAP_STORE_INT_H
#define ICETAP_STORE_INT_H


#include <icetap/store.h>


icetap_rc icetap_store_obj_add_meta(icetap_store_obj_t *obj,
    const char *name, size_t name_len, const char *value, size_t value_len);


#endif /* ICETAP_STORE_INT_H */
