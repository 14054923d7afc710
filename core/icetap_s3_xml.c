/*
 * Copyright (C) icetap authors
 *
 * The little XML the S3 store reads (errors, listings, multipart and
 * batch-delete results) through expat.  A DOCTYPE stops the parse, so no
 * entity declaration can expand.
 */


#include <stdio.h>
#include <string.h>
#include <time.h>

#include <expat.h>

#include "icetap_s3.h"


typedef struct {
    XML_Parser          parser;
    icetap_s3_xml_pt    handler;
    void               *ctx;
    int                 depth;
    int                 stopped;
    icetap_rc           rc;
    char               *path[ICETAP_S3_XML_DEPTH];
    icetap_buf_t        text;
    char               *root;
    size_t              root_size;
    const char         *why;
} icetap_s3_xml_t;


static void XMLCALL icetap_s3_xml_start(void *data, const XML_Char *name,
    const XML_Char **atts);
static void XMLCALL icetap_s3_xml_end(void *data, const XML_Char *name);
static void XMLCALL icetap_s3_xml_text(void *data, const XML_Char *s,
    int len);
static void XMLCALL icetap_s3_xml_doctype(void *data,
    const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
    int has_internal_subset);
static void icetap_s3_xml_stop(icetap_s3_xml_t *x, icetap_rc rc,
    const char *why);


static void
icetap_s3_xml_stop(icetap_s3_xml_t *x, icetap_rc rc, const char *why)
{
    if (!x->stopped) {
        x->stopped = 1;
        x->rc = rc;
        x->why = why;
        XML_StopParser(x->parser, XML_FALSE);
    }
}


static void XMLCALL
icetap_s3_xml_start(void *data, const XML_Char *name, const XML_Char **atts)
{
    const char       *local;
    icetap_s3_xml_t  *x = data;

    if (x->stopped) {
        return;
    }

    if (x->depth == ICETAP_S3_XML_DEPTH) {
        icetap_s3_xml_stop(x, ICETAP_INVALID, "XML nested too deep");
        return;
    }

    /* namespaces are not split, drop a prefix if there is one */

    local = strchr(name, ':');
    local = local ? local + 1 : name;

    x->path[x->depth] = icetap_strndup(local, strlen(local));
    if (x->path[x->depth] == NULL) {
        icetap_s3_xml_stop(x, ICETAP_NOMEM, "no memory");
        return;
    }

    if (x->depth == 0 && x->root != NULL) {
        strncpy(x->root, local, x->root_size - 1);
        x->root[x->root_size - 1] = '\0';
    }

    x->depth++;
    x->text.len = 0;
}


static void XMLCALL
icetap_s3_xml_end(void *data, const XML_Char *name)
{
    icetap_rc         rc;
    icetap_s3_xml_t  *x = data;

    if (x->stopped || x->depth == 0) {
        return;
    }

    if (icetap_buf_putc(&x->text, '\0') != ICETAP_OK) {
        icetap_s3_xml_stop(x, ICETAP_NOMEM, "no memory");
        return;
    }

    x->text.len--;

    rc = x->handler(x->ctx, (const char **) x->path, x->depth,
                    (const char *) x->text.data, x->text.len);
    if (rc != ICETAP_OK) {
        icetap_s3_xml_stop(x, rc, "stopped by the handler");
        return;
    }

    x->depth--;
    icetap_free(x->path[x->depth]);
    x->path[x->depth] = NULL;
    x->text.len = 0;
}


static void XMLCALL
icetap_s3_xml_text(void *data, const XML_Char *s, int len)
{
    icetap_s3_xml_t  *x = data;

    if (x->stopped) {
        return;
    }

    if (x->text.len + len > 1024 * 1024) {
        icetap_s3_xml_stop(x, ICETAP_INVALID, "XML text too long");
        return;
    }

    if (icetap_buf_append(&x->text, s, len) != ICETAP_OK) {
        icetap_s3_xml_stop(x, ICETAP_NOMEM, "no memory");
    }
}


static void XMLCALL
icetap_s3_xml_doctype(void *data, const XML_Char *name,
    const XML_Char *sysid, const XML_Char *pubid, int has_internal_subset)
{
    icetap_s3_xml_stop(data, ICETAP_INVALID, "XML with a DOCTYPE");
}


icetap_rc
icetap_s3_xml_parse(const char *doc, size_t len, icetap_s3_xml_pt handler,
    void *ctx, char *root, size_t root_size, icetap_error_t *err)
{
    int              i;
    icetap_rc        rc;
    icetap_s3_xml_t  x;

    memset(&x, 0, sizeof(x));
    x.handler = handler;
    x.ctx = ctx;
    x.root = root;
    x.root_size = root_size;

    if (root != NULL && root_size > 0) {
        root[0] = '\0';
    }

    if (len > INT32_MAX) {
        return icetap_error_set(err, ICETAP_INVALID, "XML document too big");
    }

    x.parser = XML_ParserCreate("UTF-8");
    if (x.parser == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "no memory for expat");
    }

    XML_SetUserData(x.parser, &x);
    XML_SetElementHandler(x.parser, icetap_s3_xml_start, icetap_s3_xml_end);
    XML_SetCharacterDataHandler(x.parser, icetap_s3_xml_text);
    XML_SetStartDoctypeDeclHandler(x.parser, icetap_s3_xml_doctype);

    rc = ICETAP_OK;

    if (XML_Parse(x.parser, doc, (int) len, XML_TRUE) == XML_STATUS_ERROR) {
        if (x.stopped) {
            rc = icetap_error_set(err, x.rc, "%s", x.why);

        } else {
            rc = icetap_error_set(err, ICETAP_INVALID, "XML: %s at line %lu",
                      XML_ErrorString(XML_GetErrorCode(x.parser)),
                      (unsigned long) XML_GetCurrentLineNumber(x.parser));
        }
    }

    for (i = 0; i < ICETAP_S3_XML_DEPTH; i++) {
        icetap_free(x.path[i]);
    }

    icetap_buf_free(&x.text);
    XML_ParserFree(x.parser);

    return rc;
}


icetap_rc
icetap_s3_xml_escape(icetap_buf_t *b, const char *s)
{
    icetap_rc  rc;

    rc = ICETAP_OK;

    for ( /* void */ ; *s != '\0' && rc == ICETAP_OK; s++) {
        switch (*s) {
        case '<':
            rc = icetap_buf_append(b, "&lt;", 4);
            break;
        case '>':
            rc = icetap_buf_append(b, "&gt;", 4);
            break;
        case '&':
            rc = icetap_buf_append(b, "&amp;", 5);
            break;
        case '"':
            rc = icetap_buf_append(b, "&quot;", 6);
            break;
        case '\'':
            rc = icetap_buf_append(b, "&apos;", 6);
            break;
        case '\r':
            rc = icetap_buf_append(b, "&#13;", 5);
            break;
        default:
            rc = icetap_buf_putc(b, *s);
        }
    }

    return rc;
}


int64_t
icetap_s3_parse_iso8601(const char *s, size_t len)
{
    int        n;
    char       tmp[40];
    struct tm  tm;

    if (len == 0 || len >= sizeof(tmp)) {
        return -1;
    }

    memcpy(tmp, s, len);
    tmp[len] = '\0';
    memset(&tm, 0, sizeof(tm));

    n = sscanf(tmp, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon,
               &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec);
    if (n != 6) {
        return -1;
    }

    tm.tm_year -= 1900;
    tm.tm_mon -= 1;

    return (int64_t) timegm(&tm);
}
