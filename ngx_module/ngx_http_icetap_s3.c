/*
 * Copyright (C) icetap authors
 *
 * S3 protocol helpers of the glue: error responses in S3's XML shape.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <icetap/xml.h>

#include "ngx_http_icetap_module.h"


static ngx_int_t
ngx_http_icetap_s3_append(icetap_buf_t *b, const char *s)
{
    return icetap_buf_append(b, s, ngx_strlen(s)) != ICETAP_OK;
}


ngx_int_t
ngx_http_icetap_s3_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *code, const char *message)
{
    u_char           *p;
    size_t            len;
    ngx_int_t         rc;
    ngx_buf_t        *b;
    ngx_chain_t       out;
    ngx_str_t         rid, resource;
    ngx_table_elt_t  *h;
    icetap_buf_t      xml;
    u_char            id[16];

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_sprintf(id, "%08xD%08xD", (uint32_t) ngx_random(),
                    (uint32_t) r->connection->number);
    rid.data = id;
    rid.len = p - id;

    resource = r->uri;

    ngx_memzero(&xml, sizeof(icetap_buf_t));

    if (ngx_http_icetap_s3_append(&xml, "<?xml version=\"1.0\" "
                                  "encoding=\"UTF-8\"?>\n<Error><Code>")
        || icetap_xml_escape(&xml, code, ngx_strlen(code)) != ICETAP_OK
        || ngx_http_icetap_s3_append(&xml, "</Code><Message>")
        || icetap_xml_escape(&xml, message, ngx_strlen(message)) != ICETAP_OK
        || ngx_http_icetap_s3_append(&xml, "</Message><Resource>")
        || icetap_xml_escape(&xml, (char *) resource.data, resource.len)
           != ICETAP_OK
        || ngx_http_icetap_s3_append(&xml, "</Resource><RequestId>")
        || icetap_buf_append(&xml, rid.data, rid.len) != ICETAP_OK
        || ngx_http_icetap_s3_append(&xml, "</RequestId></Error>"))
    {
        icetap_buf_free(&xml);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = xml.len;

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        icetap_buf_free(&xml);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_cpymem(b->pos, xml.data, len);
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    icetap_buf_free(&xml);

    r->headers_out.status = status;
    r->headers_out.content_length_n = len;
    ngx_str_set(&r->headers_out.content_type, "application/xml");
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "x-amz-request-id");
    h->value.data = ngx_pstrdup(r->pool, &rid);
    h->value.len = rid.len;

    if (h->value.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (status == NGX_HTTP_SERVICE_UNAVAILABLE) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "Retry-After");
        ngx_str_set(&h->value, "1");
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}
