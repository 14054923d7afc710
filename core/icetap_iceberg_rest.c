/*
 * Copyright (C) icetap authors
 *
 * The Iceberg REST catalog (include/icetap/api.h).  Placeholder until the
 * catalog lands: every route answers 501 in the ErrorModel shape.
 */


#include <string.h>

#include <icetap/api.h>


icetap_rc
icetap_iceberg_rest_handle(const icetap_api_request_t *req,
    icetap_api_response_t *res)
{
    static const char  body[] =
        "{\"error\":{\"message\":\"the Iceberg REST catalog is not "
        "available in this build\",\"type\":\"NotImplementedException\","
        "\"code\":501}}";

    (void) req;

    res->status = 501;
    res->content_type = "application/json";
    icetap_buf_reset(&res->body);

    return icetap_buf_append(&res->body, body, sizeof(body) - 1);
}
