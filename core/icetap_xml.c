/*
 * Copyright (C) icetap authors
 */


#include <string.h>

#include <expat.h>

#include <icetap/xml.h>


typedef struct {
    XML_Parser              parser;
    icetap_xml_handler_pt   handler;
    void                   *ctx;
    const char             *path[ICETAP_XML_MAX_DEPTH];
    char                   *names[ICETAP_XML_MAX_DEPTH];
    int                     depth;
    icetap_buf_t            text;
    icetap_rc               rc;
    const char             *why;
    int                     stopped;
} icetap_xml_walk_t;


static void
icetap_xml_stop(icetap_xml_walk_t *w, icetap_rc rc, const char *why)
{
    if (!w->stopped) {
        w->stopped = 1;
        w->rc = rc;
        w->why = why;
        XML_StopParser(w->parser, XML_FALSE);
    }
}


static void XMLCALL
icetap_xml_start(void *data, const XML_Char *name, const XML_Char **atts)
{
    icetap_xml_walk_t  *w = data;

    if (w->stopped) {
        return;
    }

    if (w->depth == ICETAP_XML_MAX_DEPTH) {
        icetap_xml_stop(w, ICETAP_INVALID, "XML nested too deeply");
        return;
    }

    w->names[w->depth] = icetap_strndup(name, strlen(name));
    if (w->names[w->depth] == NULL) {
        icetap_xml_stop(w, ICETAP_NOMEM, "out of memory");
        return;
    }

    w->path[w->depth] = w->names[w->depth];
    w->depth++;
    w->text.len = 0;

    if (w->handler(w->ctx, ICETAP_XML_START, w->path, w->depth, NULL, 0)) {
        icetap_xml_stop(w, ICETAP_ERROR, "XML handler refused the document");
    }
}


static void XMLCALL
icetap_xml_end(void *data, const XML_Char *name)
{
    icetap_xml_walk_t  *w = data;

    if (w->stopped) {
        return;
    }

    if (icetap_buf_putc(&w->text, '\0') != ICETAP_OK) {
        icetap_xml_stop(w, ICETAP_NOMEM, "out of memory");
        return;
    }

    if (w->handler(w->ctx, ICETAP_XML_END, w->path, w->depth,
                   (char *) w->text.data, w->text.len - 1))
    {
        icetap_xml_stop(w, ICETAP_ERROR, "XML handler refused the document");
        return;
    }

    w->text.len = 0;
    w->depth--;
    icetap_free(w->names[w->depth]);
    w->names[w->depth] = NULL;
}


static void XMLCALL
icetap_xml_chars(void *data, const XML_Char *s, int len)
{
    icetap_xml_walk_t  *w = data;

    if (w->stopped) {
        return;
    }

    if (w->text.len + len > 1024 * 1024) {
        icetap_xml_stop(w, ICETAP_INVALID, "XML text too long");
        return;
    }

    if (icetap_buf_append(&w->text, s, len) != ICETAP_OK) {
        icetap_xml_stop(w, ICETAP_NOMEM, "out of memory");
    }
}


static void XMLCALL
icetap_xml_doctype(void *data, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
    icetap_xml_stop(data, ICETAP_INVALID, "XML with a DOCTYPE is refused");
}


icetap_rc
icetap_xml_walk(const char *doc, size_t len, icetap_xml_handler_pt handler,
    void *ctx, icetap_error_t *err)
{
    int                 i;
    icetap_rc           rc;
    enum XML_Status     st;
    icetap_xml_walk_t   w;

    if (len > 64 * 1024 * 1024) {
        return icetap_error_set(err, ICETAP_INVALID, "XML document too large");
    }

    memset(&w, 0, sizeof(w));

    w.parser = XML_ParserCreate("UTF-8");
    if (w.parser == NULL) {
        return icetap_error_set(err, ICETAP_NOMEM, "XML_ParserCreate failed");
    }

    w.handler = handler;
    w.ctx = ctx;

    XML_SetUserData(w.parser, &w);
    XML_SetElementHandler(w.parser, icetap_xml_start, icetap_xml_end);
    XML_SetCharacterDataHandler(w.parser, icetap_xml_chars);
    XML_SetStartDoctypeDeclHandler(w.parser, icetap_xml_doctype);

    st = XML_Parse(w.parser, doc, (int) len, XML_TRUE);

    if (w.stopped) {
        rc = icetap_error_set(err, w.rc, "%s", w.why);

    } else if (st != XML_STATUS_OK) {
        rc = icetap_error_set(err, ICETAP_INVALID,
                              "malformed XML at line %lu: %s",
                              (unsigned long)
                                  XML_GetCurrentLineNumber(w.parser),
                              XML_ErrorString(XML_GetErrorCode(w.parser)));

    } else {
        rc = ICETAP_OK;
    }

    for (i = 0; i < ICETAP_XML_MAX_DEPTH; i++) {
        icetap_free(w.names[i]);
    }

    icetap_buf_free(&w.text);
    XML_ParserFree(w.parser);

    return rc;
}


typedef struct {
    char    *root;
    size_t   size;
} icetap_xml_root_ctx_t;


static int
icetap_xml_root_handler(void *data, icetap_xml_event_e ev, const char **path,
    int depth, const char *text, size_t len)
{
    icetap_xml_root_ctx_t  *ctx = data;

    if (ev == ICETAP_XML_START && depth == 1) {
        strncpy(ctx->root, path[0], ctx->size - 1);
        ctx->root[ctx->size - 1] = '\0';
    }

    return 0;
}


icetap_rc
icetap_xml_root(const char *doc, size_t len, char *root, size_t size,
    icetap_error_t *err)
{
    icetap_xml_root_ctx_t  ctx;

    ctx.root = root;
    ctx.size = size;
    root[0] = '\0';

    return icetap_xml_walk(doc, len, icetap_xml_root_handler, &ctx, err);
}


icetap_rc
icetap_xml_escape(icetap_buf_t *b, const char *s, size_t len)
{
    size_t       i;
    icetap_rc    rc;
    const char  *e;

    for (i = 0; i < len; i++) {
        switch (s[i]) {
        case '<':  e = "&lt;";   break;
        case '>':  e = "&gt;";   break;
        case '&':  e = "&amp;";  break;
        case '"':  e = "&quot;"; break;
        case '\'': e = "&apos;"; break;
        default:   e = NULL;     break;
        }

        rc = e ? icetap_buf_append(b, e, strlen(e))
               : icetap_buf_putc(b, (uint8_t) s[i]);

        if (rc != ICETAP_OK) {
            return rc;
        }
    }

    return ICETAP_OK;
}
