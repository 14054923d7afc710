/*
 * Copyright (C) icetap authors
 *
 * The Iceberg REST catalog handler over a local-directory store:
 * routes, ErrorModel answers, every requirement and update action,
 * the conditional swap under racing threads, and that rejected
 * requests leave the store as they found it.
 */


#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <icetap/api.h>
#include <icetap/catalog.h>
#include <icetap/metadata.h>
#include <icetap/table.h>

#include "tap.h"


#define ARN     "arn:aws:s3tables:us-east-1:111122223333:bucket/tb1"
#define AWSARN  "arn:aws:s3tables:us-east-1:111122223333:bucket/aws-s3"
#define P       "/v1/" ARN
#define T       P "/namespaces/ns1/tables/"


static char             root[256];
static icetap_store_t  *store;
static const char      *deny_action;


static icetap_rc
authorize(void *ctx, const char *action, const char *arn,
    const char *bucket_policy, const char *table_policy, icetap_error_t *err)
{
    (void) ctx;
    (void) arn;
    (void) bucket_policy;
    (void) table_policy;

    if (deny_action && strcmp(action, deny_action) == 0) {
        return icetap_error_set(err, ICETAP_INVALID, "denied by the test");
    }

    return ICETAP_OK;
}


static int
call_on(icetap_store_t *s, const char *method, const char *path,
    const char *query, const char *body, json_t **out)
{
    int                    status;
    icetap_api_request_t   req;
    icetap_api_response_t  res;

    memset(&req, 0, sizeof(req));
    req.method = method;
    req.path = path;
    req.query = query;
    req.body = (const uint8_t *) body;
    req.body_len = body ? strlen(body) : 0;
    req.principal = "AKIDTEST";
    req.account_id = "111122223333";
    req.region = "us-east-1";
    req.store = s;
    req.state_bucket = "state";
    req.endpoint = "http://127.0.0.1:8080";
    req.authorize = authorize;
    req.now_ms = icetap_table_now_ms();

    icetap_api_response_init(&res);

    if (icetap_iceberg_rest_handle(&req, &res) != ICETAP_OK) {
        icetap_api_response_free(&res);
        return -1;
    }

    status = res.status;

    if (getenv("ICETAP_REST_DEBUG")) {
        diag("%s %s -> %d %.*s", method, path, status, (int) res.body.len,
             (char *) res.body.data);
    }

    if (out) {
        *out = res.body.len ? json_loadb((char *) res.body.data,
                                         res.body.len, 0, NULL)
                            : NULL;
    }

    icetap_api_response_free(&res);

    return status;
}


static int
call(const char *method, const char *path, const char *query,
    const char *body, json_t **out)
{
    return call_on(store, method, path, query, body, out);
}


static const char *
err_type(json_t *j)
{
    return json_string_value(json_object_get(json_object_get(j, "error"),
                                             "type"));
}


/* every key of the store, one per line, sorted (by find) */

static char *
listing(void)
{
    char    cmd[512], *buf;
    FILE   *f;
    size_t  n;

    snprintf(cmd, sizeof(cmd), "cd '%s' && find . -type f | sort", root);

    f = popen(cmd, "r");
    if (f == NULL) {
        return NULL;
    }

    buf = calloc(1, 1 << 20);
    n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    pclose(f);

    return buf;
}


static void
setup(void)
{
    char                     *text;
    icetap_rc                 rc;
    icetap_error_t            err;
    icetap_catalog_table_t    t;

    rc = icetap_catalog_ensure_bucket(store, "tb1", ARN, "customer", &err);
    is_int(rc, ICETAP_OK, "table bucket tb1");

    rc = icetap_catalog_ensure_bucket(store, "aws-s3", AWSARN, "aws", &err);
    is_int(rc, ICETAP_OK, "table bucket aws-s3");

    rc = icetap_catalog_ensure_namespace(store, "aws-s3", "b_photos", &err);
    is_int(rc, ICETAP_OK, "namespace b_photos");

    /* a managed table, created the way the journal helper does */

    rc = icetap_catalog_table_init(&t, "state", "aws-s3", "b_photos",
                                   "journal", NULL, AWSARN, "icetap journal",
                                   &err);
    is_int(rc, ICETAP_OK, "managed table entry");

    {
        json_t                    *sj;
        icetap_table_t            *tt;
        icetap_schema_t           *schema;
        icetap_table_conf_t        tc;
        icetap_table_pointer_t     ptr;
        icetap_catalog_pointer_t   cp;

        sj = json_loads("{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
                        "{\"id\":1,\"name\":\"key\",\"required\":true,"
                        "\"type\":\"string\"}]}", 0, NULL);
        rc = icetap_schema_from_json(sj, &schema, &err);
        json_decref(sj);

        cp.store = store;
        cp.entry = &t;
        ptr.load = icetap_catalog_pointer_load;
        ptr.swap = icetap_catalog_pointer_swap;
        ptr.ctx = &cp;

        memset(&tc, 0, sizeof(tc));
        tc.location = t.warehouse_location;
        tc.prefix = icetap_catalog_table_prefix(&t);
        tc.pointer = &ptr;
        tc.naming = ICETAP_TABLE_NAMING_CATALOG;
        tc.no_version_hint = 1;

        rc = icetap_table_create(store, &tc, 3, schema, NULL, NULL, NULL,
                                 &tt, &err);
        is_int(rc, ICETAP_OK, "managed table created: %s", err.msg);

        if (rc == ICETAP_OK) {
            icetap_table_close(tt);
        }

        icetap_schema_free(schema);
    }

    icetap_catalog_table_free(&t);

    text = NULL;
    (void) text;
}


static void
test_config_and_prefix(void)
{
    json_t  *j;
    int      st;

    st = call("GET", "/v1/config", NULL, NULL, &j);
    is_int(st, 200, "config without warehouse");
    ok(json_is_object(json_object_get(j, "defaults")), "defaults present");
    json_decref(j);

    st = call("GET", "/v1/config", "warehouse=" "arn%3Aaws%3As3tables%3A"
              "us-east-1%3A111122223333%3Abucket%2Ftb1", NULL, &j);
    is_int(st, 200, "config with warehouse");
    is_str(json_string_value(json_object_get(json_object_get(j,
                                                             "overrides"),
                                             "prefix")),
           "arn%3Aaws%3As3tables%3Aus-east-1%3A111122223333%3Abucket%2Ftb1",
           "overrides.prefix is the encoded ARN");
    json_decref(j);

    st = call("GET", "/v1/config",
              "warehouse=arn:aws:s3tables:us-east-1:111122223333:bucket/nope",
              NULL, &j);
    is_int(st, 404, "unknown warehouse");
    is_str(err_type(j), "NoSuchWarehouseException", "its type");
    is_int(json_integer_value(json_object_get(json_object_get(j, "error"),
                                              "code")), 404, "its code");
    json_decref(j);

    st = call("GET", "/v1/config", "warehouse=tb1", NULL, &j);
    is_int(st, 400, "a warehouse that is not an ARN");
    is_str(err_type(j), "BadRequestException", "its type");
    json_decref(j);

    st = call("GET", "/v1/arn:aws:s3tables:us-east-1:999:bucket/tb1/"
              "namespaces", NULL, NULL, &j);
    is_int(st, 400, "prefix with a bad account");
    json_decref(j);

    st = call("GET", "/v1/arn:aws:s3tables:us-east-1:444455556666:bucket/"
              "tb1/namespaces", NULL, NULL, &j);
    is_int(st, 404, "prefix of another account");
    json_decref(j);

    st = call("GET", "/v1/arn%3Aaws%3As3tables%3Aus-east-1%3A111122223333"
              "%3Abucket%2Ftb1/namespaces", NULL, NULL, &j);
    is_int(st, 200, "an encoded prefix works too");
    json_decref(j);

    st = call("GET", P "/nothing/here", NULL, NULL, &j);
    is_int(st, 400, "unknown route");
    json_decref(j);
}


static void
test_namespaces(void)
{
    json_t  *j;
    int      st;

    st = call("POST", P "/namespaces", NULL,
              "{\"namespace\":[\"ns1\"],\"properties\":{\"owner\":\"me\"}}",
              &j);
    is_int(st, 200, "create namespace");
    is_str(json_string_value(json_array_get(json_object_get(j, "namespace"),
                                            0)), "ns1", "its name");
    json_decref(j);

    st = call("POST", P "/namespaces", NULL, "{\"namespace\":[\"ns1\"]}",
              &j);
    is_int(st, 409, "create it again");
    is_str(err_type(j), "AlreadyExistsException", "its type");
    json_decref(j);

    st = call("POST", P "/namespaces", NULL, "{\"namespace\":[\"ns2\"]}",
              NULL);
    is_int(st, 200, "create ns2");

    st = call("POST", P "/namespaces", NULL, "{\"namespace\":[\"Bad-Name\"]}",
              &j);
    is_int(st, 400, "bad namespace name");
    json_decref(j);

    st = call("POST", P "/namespaces", NULL, "{\"namespace\":[\"a\",\"b\"]}",
              &j);
    is_int(st, 400, "two levels");
    json_decref(j);

    st = call("POST", P "/namespaces", NULL, "{\"namespace\":[\"x\"", &j);
    is_int(st, 400, "malformed JSON");
    is_str(err_type(j), "BadRequestException", "its type");
    json_decref(j);

    st = call("GET", P "/namespaces", NULL, NULL, &j);
    is_int(st, 200, "list namespaces");
    is_int(json_array_size(json_object_get(j, "namespaces")), 2,
           "two of them");
    json_decref(j);

    st = call("GET", P "/namespaces", "pageSize=1", NULL, &j);
    is_int(json_array_size(json_object_get(j, "namespaces")), 1,
           "page of one");
    is_str(json_string_value(json_object_get(j, "next-page-token")), "ns1",
           "next page token");
    json_decref(j);

    st = call("GET", P "/namespaces", "pageSize=1&pageToken=ns1", NULL, &j);
    is_str(json_string_value(json_array_get(json_array_get(
               json_object_get(j, "namespaces"), 0), 0)), "ns2",
           "second page");
    ok(json_object_get(j, "next-page-token") == NULL, "last page");
    json_decref(j);

    st = call("GET", P "/namespaces", "parent=&pageToken=", NULL, &j);
    is_int(json_array_size(json_object_get(j, "namespaces")), 2,
           "empty parent and page token: the top level");
    json_decref(j);

    st = call("GET", P "/namespaces", "parent=ns1", NULL, &j);
    is_int(st, 200, "children of ns1");
    is_int(json_array_size(json_object_get(j, "namespaces")), 0, "none");
    json_decref(j);

    st = call("GET", P "/namespaces/ns1", NULL, NULL, &j);
    is_int(st, 200, "load namespace");
    is_str(json_string_value(json_object_get(json_object_get(j,
                                                             "properties"),
                                             "owner")), "me",
           "its properties");
    json_decref(j);

    is_int(call("HEAD", P "/namespaces/ns1", NULL, NULL, NULL), 204,
           "namespace exists");
    is_int(call("HEAD", P "/namespaces/nope", NULL, NULL, NULL), 404,
           "namespace does not");

    st = call("POST", P "/namespaces/ns2/properties", NULL,
              "{\"removals\":[\"gone\"],\"updates\":{\"a\":\"1\"}}", &j);
    is_int(st, 200, "update properties");
    is_str(json_string_value(json_array_get(json_object_get(j, "missing"),
                                            0)), "gone", "missing key");
    json_decref(j);

    st = call("POST", P "/namespaces/ns2/properties", NULL,
              "{\"removals\":[\"a\"],\"updates\":{\"a\":\"1\"}}", &j);
    is_int(st, 422, "same key removed and updated");
    json_decref(j);

    is_int(call("DELETE", P "/namespaces/ns2", NULL, NULL, NULL), 204,
           "drop ns2");
    is_int(call("DELETE", P "/namespaces/ns2", NULL, NULL, NULL), 404,
           "drop it again");

    deny_action = "s3tables:ListNamespaces";
    st = call("GET", P "/namespaces", NULL, NULL, &j);
    is_int(st, 403, "denied by the authorizer");
    is_str(err_type(j), "ForbiddenException", "its type");
    json_decref(j);
    deny_action = NULL;
}


static const char  create_body[] =
    "{\"name\":\"t1\",\"schema\":{\"type\":\"struct\",\"schema-id\":0,"
    "\"fields\":[{\"id\":1,\"name\":\"id\",\"type\":\"long\","
    "\"required\":true},{\"id\":2,\"name\":\"ts\",\"type\":\"timestamp\","
    "\"required\":false}]},"
    "\"partition-spec\":{\"spec-id\":0,\"fields\":[{\"source-id\":2,"
    "\"transform\":\"day\",\"name\":\"ts_day\"}]},"
    "\"write-order\":{\"order-id\":1,\"fields\":[{\"source-id\":1,"
    "\"transform\":\"identity\",\"direction\":\"asc\","
    "\"null-order\":\"nulls-first\"}]},"
    "\"properties\":{\"p\":\"v\"}}";


static json_t *
load(const char *name)
{
    char     path[256];
    json_t  *j;

    snprintf(path, sizeof(path), T "%s", name);

    if (call("GET", path, NULL, NULL, &j) != 200) {
        json_decref(j);
        return NULL;
    }

    return j;
}


static int
commit(const char *name, const char *body, json_t **out)
{
    char  path[256];

    snprintf(path, sizeof(path), T "%s", name);

    return call("POST", path, NULL, body, out);
}


static int64_t
md_int(json_t *j, const char *key)
{
    return json_integer_value(json_object_get(json_object_get(j, "metadata"),
                                              key));
}


static void
test_create_load(void)
{
    int      st;
    json_t  *j, *md;
    char    *before, *after;

    st = call("POST", P "/namespaces/ns1/tables", NULL, create_body, &j);
    is_int(st, 200, "create table");
    md = json_object_get(j, "metadata");
    is_int(json_integer_value(json_object_get(md, "format-version")), 2,
           "v2 by default");
    is_int(json_integer_value(json_object_get(md, "default-sort-order-id")),
           1, "write order kept");
    ok(strstr(json_string_value(json_object_get(j, "metadata-location")),
              "/metadata/00000-") != NULL, "first metadata file name");
    is_str(json_string_value(json_object_get(json_object_get(j, "config"),
                                             "s3.endpoint")),
           "http://127.0.0.1:8080", "config carries the S3 endpoint");
    json_decref(j);

    before = listing();

    st = call("POST", P "/namespaces/ns1/tables", NULL, create_body, &j);
    is_int(st, 409, "create it again");
    is_str(err_type(j), "AlreadyExistsException", "its type");
    json_decref(j);

    after = listing();
    is_str(after, before, "nothing left by the failed create");
    free(after);

    st = call("POST", P "/namespaces/nope/tables", NULL, create_body, &j);
    is_int(st, 404, "create in a missing namespace");
    is_str(err_type(j), "NoSuchNamespaceException", "its type");
    json_decref(j);

    st = call("POST", P "/namespaces/ns1/tables", NULL,
              "{\"name\":\"t3\",\"schema\":{\"type\":\"struct\","
              "\"fields\":[{\"id\":1,\"name\":\"a\",\"type\":\"int\","
              "\"required\":false}]},\"properties\":{\"format-version\":"
              "\"3\"}}", &j);
    is_int(st, 200, "create a v3 table");
    is_int(md_int(j, "format-version"), 3, "format-version 3");
    ok(json_object_get(json_object_get(json_object_get(j, "metadata"),
                                       "properties"), "format-version")
       == NULL, "format-version is not a property");
    json_decref(j);

    st = call("POST", P "/namespaces/ns1/tables", NULL,
              "{\"name\":\"t4\",\"schema\":{\"type\":\"struct\","
              "\"fields\":[]},\"properties\":{\"format-version\":\"7\"}}",
              &j);
    is_int(st, 400, "unsupported format version");
    json_decref(j);

    st = call("POST", P "/namespaces/ns1/tables", NULL,
              "{\"name\":\"t4\",\"stage-create\":true,\"schema\":"
              "{\"type\":\"struct\",\"fields\":[]}}", &j);
    is_int(st, 400, "stage-create refused as S3 Tables does");
    json_decref(j);

    after = listing();
    is_str(after, before == NULL ? "" : after, "listing readable");
    free(after);
    free(before);

    j = load("t1");
    ok(j != NULL, "load table");
    is_str(json_string_value(json_object_get(json_object_get(j, "config"),
                                             "s3.path-style-access")),
           "true", "path-style access");
    json_decref(j);

    j = load("t1");
    ok(j != NULL, "load it again (cached)");
    json_decref(j);

    is_int(call("HEAD", T "t1", NULL, NULL, NULL), 204, "table exists");
    is_int(call("HEAD", T "t9", NULL, NULL, NULL), 404, "table does not");

    st = call("GET", T "t9", NULL, NULL, &j);
    is_int(st, 404, "load missing table");
    is_str(err_type(j), "NoSuchTableException", "its type");
    json_decref(j);

    deny_action = "s3tables:GetTableMetadataLocation";
    st = call("GET", T "t9", NULL, NULL, &j);
    is_int(st, 403, "a missing table is 403 to whom may not load tables");
    json_decref(j);
    deny_action = NULL;

    st = call("GET", P "/namespaces/ns1/tables", NULL, NULL, &j);
    is_int(st, 200, "list tables");
    is_int(json_array_size(json_object_get(j, "identifiers")), 2,
           "two tables");
    json_decref(j);

    st = call("DELETE", P "/namespaces/ns1", NULL, NULL, &j);
    is_int(st, 409, "drop a namespace with tables");
    is_str(err_type(j), "NamespaceNotEmptyException", "its type");
    json_decref(j);
}


static void
test_commits(void)
{
    int          st;
    char         body[4096], *before, *after;
    json_t      *j, *t, *md;
    int64_t      cur;
    const char  *uuid;

    t = load("t1");
    uuid = json_string_value(json_object_get(json_object_get(t, "metadata"),
                                             "table-uuid"));

    /* a PyIceberg-shaped append */

    snprintf(body, sizeof(body),
             "{\"requirements\":[{\"type\":\"assert-ref-snapshot-id\","
             "\"ref\":\"main\",\"snapshot-id\":null},{\"type\":"
             "\"assert-table-uuid\",\"uuid\":\"%s\"}],"
             "\"updates\":[{\"action\":\"add-snapshot\",\"snapshot\":{"
             "\"snapshot-id\":101,\"sequence-number\":1,\"timestamp-ms\":"
             "1700000000000,\"manifest-list\":\"s3://state/x/snap-101.avro\","
             "\"summary\":{\"operation\":\"append\"},\"schema-id\":0}},"
             "{\"action\":\"set-snapshot-ref\",\"ref-name\":\"main\","
             "\"type\":\"branch\",\"snapshot-id\":101}]}", uuid);

    st = commit("t1", body, &j);
    is_int(st, 200, "append commit");
    is_int(md_int(j, "current-snapshot-id"), 101, "current snapshot");
    is_int(md_int(j, "last-sequence-number"), 1, "last sequence number");
    ok(strstr(json_string_value(json_object_get(j, "metadata-location")),
              "/metadata/00001-") != NULL, "second metadata file");
    is_int(json_array_size(json_object_get(json_object_get(j, "metadata"),
                                           "metadata-log")), 1,
           "metadata log entry");
    ok(json_object_get(j, "config") == NULL, "commit answers no config");
    json_decref(j);

    /* the same request again: main is no longer null */

    before = listing();
    st = commit("t1", body, &j);
    is_int(st, 409, "stale assert-ref-snapshot-id");
    is_str(err_type(j), "CommitFailedException", "its type");
    json_decref(j);
    after = listing();
    is_str(after, before, "nothing written by a failed requirement");
    free(after);

    st = commit("t1", "{\"requirements\":[],\"updates\":[{\"action\":"
                "\"frobnicate\"}]}", &j);
    is_int(st, 400, "unknown update action");
    json_decref(j);

    st = commit("t1", "{\"requirements\":[{\"type\":\"assert-nothing\"}],"
                "\"updates\":[]}", &j);
    is_int(st, 400, "unknown requirement type");
    json_decref(j);

    st = commit("t1", "{\"requirements\":[],\"updates\":[{\"action\":"
                "\"set-snapshot-ref\",\"ref-name\":\"b\",\"type\":\"branch\","
                "\"snapshot-id\":999}]}", &j);
    is_int(st, 400, "ref to an unknown snapshot");
    json_decref(j);

    st = commit("t1", "{\"requirements\":[],\"updates\":[{\"action\":"
                "\"add-snapshot\",\"snapshot\":{\"snapshot-id\":102,"
                "\"parent-snapshot-id\":101,\"sequence-number\":1,"
                "\"timestamp-ms\":1700000000001,\"manifest-list\":\"m\","
                "\"summary\":{\"operation\":\"append\"}}}]}", &j);
    is_int(st, 400, "sequence number not above the last");
    json_decref(j);

    st = commit("t1", "{\"requirements\":[],\"updates\":[]}", &j);
    is_int(st, 200, "no updates: the table as it is");
    is_int(md_int(j, "current-snapshot-id"), 101, "unchanged");
    json_decref(j);

    st = commit("t1", "{\"requirements\":[]}", &j);
    is_int(st, 400, "updates missing");
    json_decref(j);

    st = commit("t1", "[1,2]", &j);
    is_int(st, 400, "body not an object");
    json_decref(j);

    after = listing();
    is_str(after, before, "nothing written by bad commits");
    free(after);
    free(before);

    /* every requirement that holds, a Java-shaped schema/spec evolution */

    snprintf(body, sizeof(body),
             "{\"requirements\":["
             "{\"type\":\"assert-table-uuid\",\"uuid\":\"%s\"},"
             "{\"type\":\"assert-ref-snapshot-id\",\"ref\":\"main\","
             "\"snapshot-id\":101},"
             "{\"type\":\"assert-last-assigned-field-id\","
             "\"last-assigned-field-id\":2},"
             "{\"type\":\"assert-current-schema-id\",\"current-schema-id\":0},"
             "{\"type\":\"assert-last-assigned-partition-id\","
             "\"last-assigned-partition-id\":1000},"
             "{\"type\":\"assert-default-spec-id\",\"default-spec-id\":0},"
             "{\"type\":\"assert-default-sort-order-id\","
             "\"default-sort-order-id\":1}],"
             "\"updates\":["
             "{\"action\":\"add-schema\",\"schema\":{\"type\":\"struct\","
             "\"schema-id\":1,\"fields\":[{\"id\":1,\"name\":\"id\","
             "\"type\":\"long\",\"required\":true},{\"id\":2,\"name\":\"ts\","
             "\"type\":\"timestamp\",\"required\":false},{\"id\":3,"
             "\"name\":\"s\",\"type\":\"string\",\"required\":false}]},"
             "\"last-column-id\":3},"
             "{\"action\":\"set-current-schema\",\"schema-id\":-1},"
             "{\"action\":\"add-spec\",\"spec\":{\"fields\":[{\"source-id\":"
             "2,\"transform\":\"day\",\"name\":\"ts_day\"},{\"source-id\":1,"
             "\"transform\":\"bucket[16]\",\"name\":\"id_bucket\"}]}},"
             "{\"action\":\"set-default-spec\",\"spec-id\":-1},"
             "{\"action\":\"add-sort-order\",\"sort-order\":{\"order-id\":2,"
             "\"fields\":[{\"source-id\":3,\"transform\":\"identity\","
             "\"direction\":\"desc\",\"null-order\":\"nulls-last\"}]}},"
             "{\"action\":\"set-default-sort-order\",\"sort-order-id\":-1},"
             "{\"action\":\"set-properties\",\"updates\":{\"k1\":\"v1\","
             "\"k2\":\"v2\"}},"
             "{\"action\":\"remove-properties\",\"removals\":[\"p\"]}]}",
             uuid);

    st = commit("t1", body, &j);
    is_int(st, 200, "schema, spec, order and property changes");
    is_int(md_int(j, "current-schema-id"), 1, "new current schema");
    is_int(md_int(j, "last-column-id"), 3, "last column id");
    is_int(md_int(j, "default-spec-id"), 1, "new default spec");
    is_int(md_int(j, "last-partition-id"), 1001, "last partition id");
    is_int(md_int(j, "default-sort-order-id"), 2, "new sort order");
    md = json_object_get(j, "metadata");
    is_str(json_string_value(json_object_get(json_object_get(md,
                                                             "properties"),
                                             "k1")), "v1", "property set");
    ok(json_object_get(json_object_get(md, "properties"), "p") == NULL,
       "property removed");
    json_decref(j);

    /* each requirement failing on its own */

    {
        static const char  *fails[] = {
            "{\"type\":\"assert-table-uuid\",\"uuid\":"
                "\"00000000-0000-0000-0000-000000000000\"}",
            "{\"type\":\"assert-ref-snapshot-id\",\"ref\":\"main\","
                "\"snapshot-id\":5}",
            "{\"type\":\"assert-ref-snapshot-id\",\"ref\":\"nob\","
                "\"snapshot-id\":101}",
            "{\"type\":\"assert-last-assigned-field-id\","
                "\"last-assigned-field-id\":2}",
            "{\"type\":\"assert-current-schema-id\",\"current-schema-id\":0}",
            "{\"type\":\"assert-last-assigned-partition-id\","
                "\"last-assigned-partition-id\":1000}",
            "{\"type\":\"assert-default-spec-id\",\"default-spec-id\":0}",
            "{\"type\":\"assert-default-sort-order-id\","
                "\"default-sort-order-id\":1}",
            "{\"type\":\"assert-create\"}",
        };

        size_t  i;

        for (i = 0; i < icetap_nelems(fails); i++) {
            snprintf(body, sizeof(body), "{\"requirements\":[%s],"
                     "\"updates\":[{\"action\":\"set-properties\","
                     "\"updates\":{\"x\":\"y\"}}]}", fails[i]);
            st = commit("t1", body, &j);
            is_int(st, 409, "failing requirement %zu", i);
            json_decref(j);
        }
    }

    /* snapshots, refs, statistics, removals */

    st = commit("t1", "{\"requirements\":[],\"updates\":["
                "{\"action\":\"add-snapshot\",\"snapshot\":{\"snapshot-id\":"
                "102,\"parent-snapshot-id\":101,\"sequence-number\":2,"
                "\"timestamp-ms\":1700000000002,\"manifest-list\":\"m2\","
                "\"summary\":{\"operation\":\"append\"}}},"
                "{\"action\":\"set-snapshot-ref\",\"ref-name\":\"main\","
                "\"type\":\"branch\",\"snapshot-id\":102},"
                "{\"action\":\"set-snapshot-ref\",\"ref-name\":\"v1\","
                "\"type\":\"tag\",\"snapshot-id\":101,"
                "\"max-ref-age-ms\":86400000},"
                "{\"action\":\"set-statistics\",\"statistics\":{"
                "\"snapshot-id\":101,"
                "\"statistics-path\":\"s3://state/s.puffin\","
                "\"file-size-in-bytes\":10,\"file-footer-size-in-bytes\":4,"
                "\"blob-metadata\":[]}},"
                "{\"action\":\"set-partition-statistics\","
                "\"partition-statistics\":{\"snapshot-id\":102,"
                "\"statistics-path\":\"s3://state/p.parquet\","
                "\"file-size-in-bytes\":10}}]}", &j);
    is_int(st, 200, "second snapshot, tag, statistics");
    is_int(md_int(j, "current-snapshot-id"), 102, "main moved");
    md = json_object_get(j, "metadata");
    is_int(json_array_size(json_object_get(md, "snapshot-log")), 2,
           "snapshot log grows");
    is_int(json_array_size(json_object_get(md, "statistics")), 1,
           "statistics");
    ok(json_object_get(json_object_get(md, "refs"), "v1") != NULL, "tag");
    json_decref(j);

    st = call("GET", T "t1", "snapshots=refs", NULL, &j);
    is_int(st, 200, "load with snapshots=refs");
    md = json_object_get(j, "metadata");
    is_int(json_array_size(json_object_get(md, "snapshots")), 2,
           "the snapshots of main and the tag");
    json_decref(j);

    st = commit("t1", "{\"requirements\":[],\"updates\":["
                "{\"action\":\"add-snapshot\",\"snapshot\":{"
                "\"snapshot-id\":150,\"sequence-number\":3,"
                "\"timestamp-ms\":1700000000009,\"manifest-list\":\"m9\","
                "\"summary\":{\"operation\":\"append\"}}}]}", &j);
    is_int(st, 200, "a snapshot no ref points at");
    json_decref(j);

    st = call("GET", T "t1", "snapshots=refs", NULL, &j);
    md = json_object_get(j, "metadata");
    is_int(json_array_size(json_object_get(md, "snapshots")), 2,
           "snapshots=refs leaves it out");
    json_decref(j);

    st = call("GET", T "t1", NULL, NULL, &j);
    md = json_object_get(j, "metadata");
    is_int(json_array_size(json_object_get(md, "snapshots")), 3,
           "snapshots=all has it");
    json_decref(j);

    st = call("GET", T "t1", "snapshots=some", NULL, &j);
    is_int(st, 400, "snapshots=some");
    json_decref(j);

    st = commit("t1", "{\"requirements\":[],\"updates\":["
                "{\"action\":\"remove-statistics\",\"snapshot-id\":101},"
                "{\"action\":\"remove-partition-statistics\","
                "\"snapshot-id\":102},"
                "{\"action\":\"remove-snapshot-ref\",\"ref-name\":\"v1\"},"
                "{\"action\":\"remove-snapshots\",\"snapshot-ids\":[101,150]},"
                "{\"action\":\"remove-partition-specs\",\"spec-ids\":[0]},"
                "{\"action\":\"remove-schemas\",\"schema-ids\":[0]},"
                "{\"action\":\"set-location\",\"location\":\"REPLACE\"}"
                "]}", &j);
    is_int(st, 400, "set-location outside the warehouse");
    json_decref(j);

    json_decref(t);
    t = load("t1");
    md = json_object_get(t, "metadata");
    snprintf(body, sizeof(body), "{\"requirements\":[],\"updates\":["
             "{\"action\":\"remove-statistics\",\"snapshot-id\":101},"
             "{\"action\":\"remove-partition-statistics\","
             "\"snapshot-id\":102},"
             "{\"action\":\"remove-snapshot-ref\",\"ref-name\":\"v1\"},"
             "{\"action\":\"remove-snapshots\",\"snapshot-ids\":[101,150]},"
             "{\"action\":\"remove-partition-specs\",\"spec-ids\":[0]},"
             "{\"action\":\"remove-schemas\",\"schema-ids\":[0]},"
             "{\"action\":\"set-location\",\"location\":\"%s/moved\"},"
             "{\"action\":\"assign-uuid\",\"uuid\":\"%s\"}]}",
             json_string_value(json_object_get(md, "location")),
             json_string_value(json_object_get(md, "table-uuid")));
    json_decref(t);

    st = commit("t1", body, &j);
    is_int(st, 200, "removals and set-location");
    md = json_object_get(j, "metadata");
    is_int(json_array_size(json_object_get(md, "snapshots")), 1,
           "one snapshot left");
    is_int(json_array_size(json_object_get(md, "statistics")), 0,
           "statistics removed");
    is_int(json_array_size(json_object_get(md, "partition-specs")), 1,
           "spec 0 removed");
    is_int(json_array_size(json_object_get(md, "schemas")), 1,
           "schema 0 removed");
    ok(strstr(json_string_value(json_object_get(md, "location")), "/moved")
       != NULL, "location moved");
    ok(strstr(json_string_value(json_object_get(j, "metadata-location")),
              "/moved/metadata/") != NULL, "metadata under the new location");
    json_decref(j);

    t = load("t1");
    md = json_object_get(t, "metadata");
    snprintf(body, sizeof(body), "{\"requirements\":[],\"updates\":["
             "{\"action\":\"set-location\",\"location\":\"%.*sx\"}]}",
             (int) (strlen(json_string_value(json_object_get(md,
                                                             "location")))
                    - 6),
             json_string_value(json_object_get(md, "location")));
    st = commit("t1", body, &j);
    is_int(st, 400, "set-location to a sibling of the warehouse location");
    json_decref(j);

    snprintf(body, sizeof(body), "{\"requirements\":[],\"updates\":["
             "{\"action\":\"set-location\",\"location\":\"%s/../..\"}]}",
             json_string_value(json_object_get(md, "location")));
    st = commit("t1", body, &j);
    is_int(st, 400, "set-location with ..");
    json_decref(j);
    json_decref(t);

    st = commit("t1", "{\"requirements\":[],\"updates\":[{\"action\":"
                "\"remove-schemas\",\"schema-ids\":[1]}]}", &j);
    is_int(st, 400, "cannot remove the current schema");
    json_decref(j);

    st = commit("t1", "{\"requirements\":[],\"updates\":[{\"action\":"
                "\"upgrade-format-version\",\"format-version\":1}]}", &j);
    is_int(st, 400, "cannot downgrade");
    json_decref(j);

    st = commit("t1", "{\"requirements\":[],\"updates\":["
                "{\"action\":\"add-encryption-key\",\"encryption-key\":{"
                "\"key-id\":\"k1\",\"encrypted-key-metadata\":\"AAAA\"}}]}",
                &j);
    is_int(st, 200, "add encryption key");
    is_int(json_array_size(json_object_get(json_object_get(j, "metadata"),
                                           "encryption-keys")), 1,
           "one key");
    json_decref(j);

    st = commit("t1", "{\"requirements\":[],\"updates\":["
                "{\"action\":\"remove-encryption-key\",\"key-id\":\"k1\"},"
                "{\"action\":\"upgrade-format-version\",\"format-version\":"
                "3}]}", &j);
    is_int(st, 200, "remove key, upgrade to v3");
    is_int(md_int(j, "format-version"), 3, "now v3");
    cur = md_int(j, "next-row-id");
    is_int(cur, 0, "next-row-id starts at 0");
    json_decref(j);

    st = commit("t1", "{\"requirements\":[],\"updates\":["
                "{\"action\":\"add-snapshot\",\"snapshot\":{\"snapshot-id\":"
                "103,\"parent-snapshot-id\":102,\"sequence-number\":4,"
                "\"timestamp-ms\":1700000000003,\"manifest-list\":\"m3\","
                "\"first-row-id\":0,\"added-rows\":25,"
                "\"summary\":{\"operation\":\"append\"}}},"
                "{\"action\":\"set-snapshot-ref\",\"ref-name\":\"main\","
                "\"type\":\"branch\",\"snapshot-id\":103}]}", &j);
    is_int(st, 200, "v3 snapshot with row lineage");
    is_int(md_int(j, "next-row-id"), 25, "next-row-id advanced");
    json_decref(j);

    st = commit("t1", "{\"requirements\":[],\"updates\":["
                "{\"action\":\"add-snapshot\",\"snapshot\":{\"snapshot-id\":"
                "104,\"parent-snapshot-id\":103,\"sequence-number\":5,"
                "\"timestamp-ms\":1700000000004,\"manifest-list\":\"m4\","
                "\"first-row-id\":3,\"added-rows\":5,"
                "\"summary\":{\"operation\":\"append\"}}}]}", &j);
    is_int(st, 400, "first-row-id behind next-row-id");
    json_decref(j);
}


static void
test_managed_rename_drop(void)
{
    int      st;
    json_t  *j;
    char    *l;

    st = call("GET", "/v1/" AWSARN "/namespaces/b_photos/tables/journal",
              NULL, NULL, &j);
    is_int(st, 200, "managed table loads");
    is_int(md_int(j, "format-version"), 3, "as v3");
    json_decref(j);

    st = call("POST", "/v1/" AWSARN "/namespaces/b_photos/tables/journal",
              NULL, "{\"requirements\":[],\"updates\":[{\"action\":"
              "\"set-properties\",\"updates\":{\"a\":\"b\"}}]}", &j);
    is_int(st, 403, "managed table: commit refused");
    is_str(err_type(j), "ForbiddenException", "its type");
    json_decref(j);

    st = call("DELETE", "/v1/" AWSARN "/namespaces/b_photos/tables/journal",
              "purgeRequested=true", NULL, &j);
    is_int(st, 403, "managed table: drop refused");
    json_decref(j);

    st = call("POST", "/v1/" AWSARN "/tables/rename", NULL,
              "{\"source\":{\"namespace\":[\"b_photos\"],\"name\":"
              "\"journal\"},\"destination\":{\"namespace\":[\"b_photos\"],"
              "\"name\":\"j2\"}}", &j);
    is_int(st, 403, "managed table: rename refused");
    json_decref(j);

    st = call("POST", "/v1/" AWSARN "/namespaces", NULL,
              "{\"namespace\":[\"mine\"]}", &j);
    is_int(st, 403, "no namespaces in the managed bucket");
    json_decref(j);

    st = call("POST", P "/tables/rename", NULL,
              "{\"source\":{\"namespace\":[\"ns1\"],\"name\":\"t3\"},"
              "\"destination\":{\"namespace\":[\"ns1\"],\"name\":\"t1\"}}",
              &j);
    is_int(st, 409, "rename onto an existing table");
    json_decref(j);

    st = call("POST", P "/tables/rename", NULL,
              "{\"source\":{\"namespace\":[\"ns1\"],\"name\":\"t3\"},"
              "\"destination\":{\"namespace\":[\"ns1\"],\"name\":\"t3b\"}}",
              &j);
    is_int(st, 204, "rename");
    json_decref(j);

    is_int(call("HEAD", T "t3", NULL, NULL, NULL), 404, "old name gone");
    is_int(call("HEAD", T "t3b", NULL, NULL, NULL), 204, "new name there");

    j = load("t3b");
    ok(j != NULL, "renamed table loads");

    /*
     * The cache: with the metadata file gone from the store, LoadTable
     * still answers while the entry's ETag is the same, and reads the
     * store again once the entry changed.
     */

    if (j != NULL) {
        char         from[600], to[620], entry[600], cmd[2600];
        json_t      *k;
        const char  *loc;

        loc = json_string_value(json_object_get(j, "metadata-location"));
        snprintf(from, sizeof(from), "%s/%s", root,
                 loc + strlen("s3://state/"));
        snprintf(to, sizeof(to), "%s.away", from);
        snprintf(entry, sizeof(entry),
                 "%s/icetap/catalog/tb1/ns1/t3b.json", root);

        ok(rename(from, to) == 0, "metadata file moved away");

        st = call("GET", T "t3b", NULL, NULL, &k);
        is_int(st, 200, "LoadTable answered from the cache");
        json_decref(k);

        snprintf(cmd, sizeof(cmd), "sleep 1; cp '%s' '%s.new' && "
                 "mv '%s.new' '%s'", entry, entry, entry, entry);
        ok(system(cmd) == 0, "table entry rewritten (new ETag)");

        st = call("GET", T "t3b", NULL, NULL, &k);
        ok(st >= 500, "a new ETag reads the store again: %d", st);
        json_decref(k);

        ok(rename(to, from) == 0, "metadata file back");

        st = call("GET", T "t3b", NULL, NULL, &k);
        is_int(st, 200, "and LoadTable works again");
        json_decref(k);
    }

    /* register the renamed table's metadata under another name */

    if (j != NULL) {
        char  body[1024];

        snprintf(body, sizeof(body), "{\"name\":\"reg\","
                 "\"metadata-location\":\"%s\"}",
                 json_string_value(json_object_get(j, "metadata-location")));

        st = call("POST", P "/namespaces/ns1/register", NULL, body, NULL);
        is_int(st, 200, "register");

        st = call("POST", P "/namespaces/ns1/register", NULL, body, NULL);
        is_int(st, 409, "register again");

        json_decref(j);
    }

    st = call("POST", P "/namespaces/ns1/register", NULL,
              "{\"name\":\"reg2\",\"metadata-location\":"
              "\"s3://state/nothing/00000-x.metadata.json\"}", &j);
    is_int(st, 400, "register a missing file");
    json_decref(j);

    st = call("DELETE", T "t1", NULL, NULL, &j);
    is_int(st, 400, "drop without purge refused as S3 Tables does");
    json_decref(j);

    st = call("DELETE", T "t1", "purgeRequested=true", NULL, NULL);
    is_int(st, 204, "drop with purge");

    l = listing();
    ok(l != NULL && strstr(l, "t1.json") == NULL, "entry removed");
    free(l);

    is_int(call("HEAD", T "t1", NULL, NULL, NULL), 404, "t1 gone");

    st = call("POST", P "/transactions/commit", NULL,
              "{\"table-changes\":[{\"identifier\":{\"namespace\":[\"ns1\"],"
              "\"name\":\"t3b\"},\"requirements\":[],\"updates\":["
              "{\"action\":\"set-properties\",\"updates\":{\"t\":\"x\"}}]}]}",
              NULL);
    is_int(st, 204, "single-table transaction");

    st = call("POST", P "/transactions/commit", NULL,
              "{\"table-changes\":[{},{}]}", &j);
    is_int(st, 406, "multi-table transaction refused");
    json_decref(j);
}


/* racing appends: every acknowledged commit must be in the history */

#define RACERS   6
#define ROUNDS   8

typedef struct {
    int        id;
    int        acked;
    int        rejected;
    int        other;
    int64_t    ids[ROUNDS * 4];
    int        nids;
} racer_t;


static void *
race(void *arg)
{
    int              i, st;
    char             body[2048];
    json_t          *j, *md;
    int64_t          cur, seq, sid;
    racer_t         *r = arg;
    icetap_store_t  *s;
    icetap_error_t   err;

    s = icetap_store_fs_create(root, &err);
    if (s == NULL) {
        return NULL;
    }

    for (i = 0; i < ROUNDS; i++) {
        st = call_on(s, "GET", T "race", NULL, NULL, &j);
        if (st != 200) {
            r->other++;
            json_decref(j);
            continue;
        }

        md = json_object_get(j, "metadata");
        cur = json_integer_value(json_object_get(md, "current-snapshot-id"));
        seq = json_integer_value(json_object_get(md,
                                                 "last-sequence-number"));
        json_decref(j);

        sid = (int64_t) r->id * 1000 + i + 1;

        if (cur > 0) {
            snprintf(body, sizeof(body),
                     "{\"requirements\":[{\"type\":\"assert-ref-snapshot-id\","
                     "\"ref\":\"main\",\"snapshot-id\":%lld}],\"updates\":["
                     "{\"action\":\"add-snapshot\",\"snapshot\":{"
                     "\"snapshot-id\":%lld,\"parent-snapshot-id\":%lld,"
                     "\"sequence-number\":%lld,\"timestamp-ms\":1700000000000,"
                     "\"manifest-list\":\"m\",\"summary\":{\"operation\":"
                     "\"append\"}}},{\"action\":\"set-snapshot-ref\","
                     "\"ref-name\":\"main\",\"type\":\"branch\","
                     "\"snapshot-id\":%lld}]}", (long long) cur,
                     (long long) sid, (long long) cur, (long long) seq + 1,
                     (long long) sid);

        } else {
            snprintf(body, sizeof(body),
                     "{\"requirements\":[{\"type\":\"assert-ref-snapshot-id\","
                     "\"ref\":\"main\",\"snapshot-id\":null}],\"updates\":["
                     "{\"action\":\"add-snapshot\",\"snapshot\":{"
                     "\"snapshot-id\":%lld,\"sequence-number\":%lld,"
                     "\"timestamp-ms\":1700000000000,"
                     "\"manifest-list\":\"m\",\"summary\":{\"operation\":"
                     "\"append\"}}},{\"action\":\"set-snapshot-ref\","
                     "\"ref-name\":\"main\",\"type\":\"branch\","
                     "\"snapshot-id\":%lld}]}", (long long) sid,
                     (long long) seq + 1, (long long) sid);
        }

        st = call_on(s, "POST", T "race", NULL, body, NULL);

        if (st == 200) {
            r->acked++;
            r->ids[r->nids++] = sid;

        } else if (st == 409) {
            r->rejected++;

        } else {
            r->other++;
        }
    }

    icetap_store_destroy(s);

    return NULL;
}


static void
test_race(void)
{
    int         i, k, lost, total;
    json_t     *j, *snaps;
    char       *l, *p;
    size_t      nmd;
    pthread_t   th[RACERS];
    racer_t     r[RACERS];

    is_int(call("POST", P "/namespaces/ns1/tables", NULL,
                "{\"name\":\"race\",\"schema\":{\"type\":\"struct\","
                "\"fields\":[{\"id\":1,\"name\":\"a\",\"type\":\"int\","
                "\"required\":false}]}}", NULL), 200, "race table");

    memset(r, 0, sizeof(r));

    for (i = 0; i < RACERS; i++) {
        r[i].id = i + 1;
        pthread_create(&th[i], NULL, race, &r[i]);
    }

    for (i = 0; i < RACERS; i++) {
        pthread_join(th[i], NULL);
    }

    j = load("race");
    snaps = json_object_get(json_object_get(j, "metadata"), "snapshots");

    lost = 0;
    total = 0;

    for (i = 0; i < RACERS; i++) {
        total += r[i].acked;
        is_int(r[i].other, 0, "racer %d: only 200 or 409", i + 1);

        for (k = 0; k < r[i].nids; k++) {
            size_t   n;
            json_t  *s;
            int      found = 0;

            json_array_foreach(snaps, n, s) {
                if (json_integer_value(json_object_get(s, "snapshot-id"))
                    == r[i].ids[k])
                {
                    found = 1;
                }
            }

            lost += !found;
        }
    }

    ok(total > 0, "%d commits acknowledged", total);
    is_int(lost, 0, "no acknowledged commit lost");
    is_int((int) json_array_size(snaps), total,
           "history holds exactly the acknowledged commits");

    /* one metadata file per acknowledged commit, plus the first */

    l = listing();
    nmd = 0;

    for (p = l; p && (p = strstr(p, ".metadata.json")) != NULL; p++) {
        nmd++;
    }

    ok(nmd > 0, "metadata files counted");
    free(l);

    {
        json_t  *md;
        char     prefix[512], cmd[1024];
        FILE    *f;
        int      files;
        const char  *loc;

        md = json_object_get(j, "metadata");
        loc = json_string_value(json_object_get(md, "location"));
        snprintf(prefix, sizeof(prefix), "%s", loc + strlen("s3://state/"));
        snprintf(cmd, sizeof(cmd),
                 "ls '%s/%s/metadata' | grep -c metadata.json", root,
                 prefix);
        f = popen(cmd, "r");
        files = 0;

        if (f != NULL) {
            if (fscanf(f, "%d", &files) != 1) {
                files = -1;
            }

            pclose(f);
        }

        is_int(files, total + 1, "no metadata file left by a loser");
    }

    json_decref(j);
}


int
main(void)
{
    char             cmd[300];
    const char      *tmp;
    icetap_error_t   err;

    tmp = getenv("TMPDIR");
    snprintf(root, sizeof(root), "%s/icetap-rest-XXXXXX",
             tmp ? tmp : "/tmp");

    if (mkdtemp(root) == NULL) {
        printf("1..0 # SKIP cannot create a temporary directory\n");
        return 0;
    }

    store = icetap_store_fs_create(root, &err);
    if (store == NULL) {
        printf("1..0 # SKIP fs store: %s\n", err.msg);
        return 0;
    }

    setup();
    test_config_and_prefix();
    test_namespaces();
    test_create_load();
    test_commits();
    test_managed_rename_drop();
    test_race();

    icetap_store_destroy(store);

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    if (getenv("ICETAP_KEEP") == NULL && system(cmd) != 0) {
        diag("could not remove %s", root);
    }

    return done_testing();
}
