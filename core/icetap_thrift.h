/*
 * Copyright (C) icetap authors
 *
 * Thrift compact protocol: the subset Parquet footers and page headers
 * use.  Private to the core.
 */

#ifndef ICETAP_THRIFT_H
#define ICETAP_THRIFT_H


#include <icetap/core.h>


#define ICETAP_TT_STOP     0
#define ICETAP_TT_TRUE     1
#define ICETAP_TT_FALSE    2
#define ICETAP_TT_I8       3
#define ICETAP_TT_I16      4
#define ICETAP_TT_I32      5
#define ICETAP_TT_I64      6
#define ICETAP_TT_DOUBLE   7
#define ICETAP_TT_BINARY   8
#define ICETAP_TT_LIST     9
#define ICETAP_TT_SET      10
#define ICETAP_TT_MAP      11
#define ICETAP_TT_STRUCT   12

#define ICETAP_THRIFT_DEPTH  32


/*
 * The writer keeps the last field id of every open struct.  Errors are
 * sticky: the first failing append sets rc and later calls do nothing.
 */

typedef struct {
    icetap_buf_t   *buf;
    int16_t         last[ICETAP_THRIFT_DEPTH];
    int             depth;
    icetap_rc       rc;
} icetap_tw_t;


void icetap_tw_init(icetap_tw_t *tw, icetap_buf_t *buf);
void icetap_tw_begin(icetap_tw_t *tw);
void icetap_tw_end(icetap_tw_t *tw);
void icetap_tw_field(icetap_tw_t *tw, int16_t id, int type);
void icetap_tw_struct(icetap_tw_t *tw, int16_t id);
void icetap_tw_i32(icetap_tw_t *tw, int16_t id, int32_t v);
void icetap_tw_i64(icetap_tw_t *tw, int16_t id, int64_t v);
void icetap_tw_bool(icetap_tw_t *tw, int16_t id, int v);
void icetap_tw_bin(icetap_tw_t *tw, int16_t id, const void *p, size_t n);
void icetap_tw_list(icetap_tw_t *tw, int16_t id, int etype, uint32_t n);
void icetap_tw_list_header(icetap_tw_t *tw, int etype, uint32_t n);
void icetap_tw_varint(icetap_tw_t *tw, uint64_t v);
void icetap_tw_elem_i32(icetap_tw_t *tw, int32_t v);
void icetap_tw_elem_bin(icetap_tw_t *tw, const void *p, size_t n);


/*
 * The reader walks a bounded byte range; every read checks the bounds and
 * fails with ICETAP_INVALID naming what was being decoded.
 */

typedef struct {
    const uint8_t  *p;
    const uint8_t  *end;
    int16_t         last[ICETAP_THRIFT_DEPTH];
    int             depth;
    icetap_error_t *err;
    const char     *what;
} icetap_tr_t;


void icetap_tr_init(icetap_tr_t *tr, const void *p, size_t n,
    const char *what, icetap_error_t *err);
icetap_rc icetap_tr_begin(icetap_tr_t *tr);
void icetap_tr_end(icetap_tr_t *tr);
icetap_rc icetap_tr_field(icetap_tr_t *tr, int16_t *id, int *type);
icetap_rc icetap_tr_i32(icetap_tr_t *tr, int type, int32_t *v);
icetap_rc icetap_tr_i64(icetap_tr_t *tr, int type, int64_t *v);
icetap_rc icetap_tr_bin(icetap_tr_t *tr, int type, const uint8_t **p,
    uint32_t *n);
icetap_rc icetap_tr_list(icetap_tr_t *tr, int type, int *etype,
    uint32_t *n);
icetap_rc icetap_tr_skip(icetap_tr_t *tr, int type);
icetap_rc icetap_tr_fail(icetap_tr_t *tr, const char *why);


#endif /* ICETAP_THRIFT_H */
