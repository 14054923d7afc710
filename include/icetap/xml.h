/*
 * Copyright (C) icetap authors
 *
 * A small streaming walk over S3 XML documents (expat): the handler sees
 * each element's start and, at its end, the element's text.  Documents
 * with a DOCTYPE are refused, so no entity tricks reach the handler.
 */

#ifndef ICETAP_XML_H
#define ICETAP_XML_H


#include <icetap/core.h>


#define ICETAP_XML_MAX_DEPTH  16

typedef enum {
    ICETAP_XML_START,
    ICETAP_XML_END
} icetap_xml_event_e;


/*
 * path[0..depth-1] are the names of the open elements, path[depth-1] the
 * current one; text is only set for ICETAP_XML_END.  A non-zero return
 * stops the walk with ICETAP_ERROR.
 */
typedef int (*icetap_xml_handler_pt)(void *ctx, icetap_xml_event_e ev,
    const char **path, int depth, const char *text, size_t len);

icetap_rc icetap_xml_walk(const char *doc, size_t len,
    icetap_xml_handler_pt handler, void *ctx, icetap_error_t *err);

/* the name of the root element into root (NUL-terminated, truncated) */
icetap_rc icetap_xml_root(const char *doc, size_t len, char *root,
    size_t size, icetap_error_t *err);

/* appends text with the five XML entities escaped */
icetap_rc icetap_xml_escape(icetap_buf_t *b, const char *s, size_t len);


#endif /* ICETAP_XML_H */
