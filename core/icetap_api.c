/*
 * Copyright (C) icetap authors
 *
 * Responses of the control-plane APIs (include/icetap/api.h).
 */


#include <stdio.h>
#include <string.h>

#include <icetap/api.h>


void
icetap_api_response_init(icetap_api_response_t *res)
{
    memset(res, 0, sizeof(icetap_api_response_t));
    res->status = 500;
    res->content_type = "application/json";
}


void
icetap_api_response_free(icetap_api_response_t *res)
{
    icetap_buf_free(&res->body);
    res->nheaders = 0;
}


icetap_rc
icetap_api_response_header(icetap_api_response_t *res, const char *name,
    const char *value)
{
    size_t  i;

    if (strlen(name) >= sizeof(res->headers[0].name)
        || strlen(value) >= sizeof(res->headers[0].value))
    {
        return ICETAP_INVALID;
    }

    for (i = 0; i < res->nheaders; i++) {
        if (strcmp(res->headers[i].name, name) == 0) {
            break;
        }
    }

    if (i == ICETAP_API_MAX_HEADERS) {
        return ICETAP_FULL;
    }

    strcpy(res->headers[i].name, name);
    strcpy(res->headers[i].value, value);

    if (i == res->nheaders) {
        res->nheaders++;
    }

    return ICETAP_OK;
}
