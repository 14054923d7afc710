/*
 * Copyright (C) icetap authors
 *
 * Private helpers of the S3 store.
 */

#ifndef ICETAP_S3_H
#define ICETAP_S3_H


#include <icetap/core.h>


#define ICETAP_S3_XML_DEPTH  8


/*
 * Called at the end of every element: path[0..depth-1] are the open
 * element names (path[depth-1] is the one ending) and text its character
 * data (only leaf elements carry any).  Anything but ICETAP_OK stops.
 */
typedef icetap_rc (*icetap_s3_xml_pt)(void *ctx, const char **path,
    int depth, const char *text, size_t len);

/* root (may be NULL) receives the root element's name */
icetap_rc icetap_s3_xml_parse(const char *doc, size_t len,
    icetap_s3_xml_pt handler, void *ctx, char *root, size_t root_size,
    icetap_error_t *err);

icetap_rc icetap_s3_xml_escape(icetap_buf_t *b, const char *s);

/* "2009-10-12T17:50:30.000Z" -> unix seconds, -1 on error */
int64_t icetap_s3_parse_iso8601(const char *s, size_t len);


#endif /* ICETAP_S3_H */
