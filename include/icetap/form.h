/*
 * Copyright (C) icetap authors
 *
 * The fields of an S3 POST object upload (multipart/form-data): S3 reads
 * the fields that come before the "file" part and ignores the rest.
 */

#ifndef ICETAP_FORM_H
#define ICETAP_FORM_H


#include <icetap/core.h>


/* called for each field before the file; name is NUL-terminated */
typedef int (*icetap_form_field_pt)(void *ctx, const char *name,
    const char *value, size_t len);


typedef struct {
    size_t   file_offset;       /* where the file's bytes begin */
    char     filename[256];     /* the file part's filename, or "" */
} icetap_form_file_t;


/* the boundary parameter of a Content-Type value, unquoted */
icetap_rc icetap_form_boundary(const char *content_type, size_t len,
    char *boundary, size_t size, icetap_error_t *err);

/*
 * Parses the start of a form body (head holds at least everything up to
 * the file's first byte).  ICETAP_NOTFOUND when no file part begins in
 * head; ICETAP_INVALID for a malformed form.
 */
icetap_rc icetap_form_parse(const char *head, size_t len,
    const char *boundary, icetap_form_field_pt handler, void *ctx,
    icetap_form_file_t *file, icetap_error_t *err);

/*
 * The offset of the delimiter that ends the file, searching the body's
 * tail (tail holds the last tail_len bytes of a body of body_len bytes);
 * the file's size is *end - file_offset.
 */
icetap_rc icetap_form_file_end(const char *tail, size_t tail_len,
    size_t body_len, size_t file_offset, const char *boundary, size_t *end,
    icetap_error_t *err);


#endif /* ICETAP_FORM_H */
