/*
 * Copyright (C) icetap authors
 *
 * The S3 Tables control-plane API (include/icetap/api.h): AWS's paths,
 * JSON and error shapes over the catalog in the store.
 */


#include <stdio.h>
#include <string.h>

#include <icetap/api.h>


static icetap_rc icetap_s3tables_error(icetap_api_response_t *res,
    int status, const char *type, const char *message);


icetap_rc
icetap_s3tables_handle(const icetap_api_request_t *req,
    icetap_api_response_t *res)
{
    return icetap_s3tables_error(res, 404, "NotFoundException",
                                 "The operation is not available yet.");
}


/* restJson1: {"message": ...}, the type in x-amzn-ErrorType */

static icetap_rc
icetap_s3tables_error(icetap_api_response_t *res, int status,
    const char *type, const char *message)
{
    const char  *p;
    char         hex[8];
    icetap_rc    rc;

    res->status = status;
    res->content_type = "application/json";
    icetap_buf_reset(&res->body);

    if (icetap_api_response_header(res, "x-amzn-ErrorType", type)
        != ICETAP_OK)
    {
        return ICETAP_ERROR;
    }

    rc = icetap_buf_append(&res->body, "{\"message\":\"", 12);

    for (p = message; rc == ICETAP_OK && *p; p++) {
        if (*p == '"' || *p == '\\') {
            rc = icetap_buf_putc(&res->body, '\\');
            if (rc == ICETAP_OK) {
                rc = icetap_buf_putc(&res->body, (uint8_t) *p);
            }

        } else if ((unsigned char) *p < 0x20) {
            snprintf(hex, sizeof(hex), "\\u%04x", (unsigned char) *p);
            rc = icetap_buf_append(&res->body, hex, 6);

        } else {
            rc = icetap_buf_putc(&res->body, (uint8_t) *p);
        }
    }

    if (rc == ICETAP_OK) {
        rc = icetap_buf_append(&res->body, "\"}", 2);
    }

    return rc == ICETAP_OK ? ICETAP_OK : ICETAP_ERROR;
}
