/*
 * Copyright (C) icetap authors
 *
 * The S3 Tables handler over a filesystem store, without nginx: routing
 * of ARNs in paths, the lifecycle, versionToken compare-and-swap, that a
 * denial writes nothing, and that catalog swaps keep what the API added.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include <icetap/api.h>
#include <icetap/catalog.h>
#include <icetap/policy.h>

#include "tap.h"


#define BARN     "arn:aws:s3tables:us-east-1:111122223333:bucket/sales"
#define BARN_ENC "arn%3Aaws%3As3tables%3Aus-east-1%3A111122223333" \
                 "%3Abucket%2Fsales"


static char             root[] = "/tmp/icetap-s3t-XXXXXX";
static icetap_store_t  *store;
static const char      *deny;      /* action pattern refused, or NULL */
static int              asked;


static icetap_rc
authorize(void *ctx, const char *action, const char *arn, const char *bp,
    const char *tp, icetap_error_t *err)
{
    asked++;

    if (deny && icetap_policy_match(deny, action, 1)) {
        icetap_error_set(err, ICETAP_INVALID, "denied %s on %s", action,
                         arn);
        return ICETAP_INVALID;
    }

    return ICETAP_OK;
}


typedef struct {
    int       status;
    char      type[64];
    json_t   *body;
} reply_t;


static reply_t
call(const char *method, const char *path, const char *query,
    const char *body)
{
    size_t                  i;
    reply_t                 r;
    icetap_api_request_t    req;
    icetap_api_response_t   res;

    memset(&req, 0, sizeof(req));
    memset(&r, 0, sizeof(r));

    req.method = method;
    req.path = path;
    req.query = query;
    req.body = (const uint8_t *) body;
    req.body_len = body ? strlen(body) : 0;
    req.principal = "AKIATEST";
    req.account_id = "111122223333";
    req.region = "us-east-1";
    req.store = store;
    req.state_bucket = "state";
    req.endpoint = "http://127.0.0.1:1";
    req.authorize = authorize;
    req.now_ms = 1795255200123LL;

    icetap_api_response_init(&res);

    if (icetap_s3tables_handle(&req, &res) != ICETAP_OK) {
        r.status = -1;
        return r;
    }

    r.status = res.status;

    for (i = 0; i < res.nheaders; i++) {
        if (strcmp(res.headers[i].name, "x-amzn-ErrorType") == 0) {
            snprintf(r.type, sizeof(r.type), "%s", res.headers[i].value);
        }
    }

    if (res.body.len) {
        r.body = json_loadb((char *) res.body.data, res.body.len, 0, NULL);
    }

    icetap_api_response_free(&res);

    return r;
}


static const char *
str(reply_t *r, const char *name)
{
    const char  *s;

    s = json_string_value(json_object_get(r->body, name));

    return s ? s : "";
}


static int
exists(const char *key)
{
    icetap_rc           rc;
    icetap_store_obj_t  obj;

    icetap_store_obj_init(&obj);
    rc = icetap_store_head(store, key, &obj, NULL);
    icetap_store_obj_free(&obj);

    return rc == ICETAP_OK;
}


int
main(void)
{
    char                      path[512], body[1024], loc[512], tok[32];
    char                      tarn[256], cmd[600];
    reply_t                   r;
    icetap_error_t            err;
    icetap_catalog_table_t    entry;
    icetap_catalog_pointer_t  cp;

    if (mkdtemp(root) == NULL) {
        printf("Bail out! mkdtemp\n");
        return 1;
    }

    store = icetap_store_fs_create(root, &err);
    if (store == NULL) {
        printf("Bail out! %s\n", err.msg);
        return 1;
    }

    /* a denied create writes nothing */

    deny = "s3tables:Create*";
    r = call("PUT", "/buckets", NULL, "{\"name\":\"sales\"}");
    is_int(r.status, 403, "denied create: 403");
    is_str(r.type, "AccessDeniedException", "denied create: type");
    ok(!exists("icetap/catalog/sales.json"), "denied create: no entry");
    json_decref(r.body);
    deny = NULL;

    r = call("PUT", "/buckets", NULL, "{\"name\":\"sales\"}");
    is_int(r.status, 200, "create bucket");
    is_str(str(&r, "arn"), BARN, "bucket ARN");
    json_decref(r.body);

    /* the ARN label decoded holds a "/": routed all the same */

    r = call("GET", "/buckets/" BARN, NULL, NULL);
    is_int(r.status, 200, "get bucket by its decoded ARN");
    is_str(str(&r, "name"), "sales", "bucket name");
    json_decref(r.body);

    r = call("GET", "/buckets/" BARN "/maintenance", NULL, NULL);
    is_int(r.status, 200, "bucket maintenance after the ARN");
    json_decref(r.body);

    r = call("GET", "/buckets/" BARN_ENC, NULL, NULL);
    is_int(r.status, 400, "an ARN left encoded is no ARN");
    json_decref(r.body);

    r = call("PUT", "/namespaces/" BARN, NULL, "{\"namespace\":[\"ns\"]}");
    is_int(r.status, 200, "create namespace");
    json_decref(r.body);

    r = call("PUT", "/tables/" BARN "/ns", NULL,
             "{\"name\":\"t\",\"format\":\"ICEBERG\",\"metadata\":"
             "{\"iceberg\":{\"schema\":{\"fields\":[{\"name\":\"id\","
             "\"type\":\"long\",\"required\":true}]}}}}");
    is_int(r.status, 200, "create table");
    snprintf(tarn, sizeof(tarn), "%s", str(&r, "tableARN"));
    ok(strncmp(tarn, BARN "/table/", sizeof(BARN "/table/") - 1) == 0,
       "table ARN %s", tarn);
    json_decref(r.body);

    r = call("GET", "/get-table", "tableArn=" BARN_ENC "%2Ftable%2F", NULL);
    is_int(r.status, 400, "GetTable by an ARN without id");
    json_decref(r.body);

    snprintf(path, sizeof(path), "/tables/%s/ns/t/metadata-location",
             BARN);
    r = call("GET", path, NULL, NULL);
    is_int(r.status, 200, "metadata location");
    snprintf(loc, sizeof(loc), "%s", str(&r, "metadataLocation"));
    snprintf(tok, sizeof(tok), "%s", str(&r, "versionToken"));
    ok(strncmp(loc, "s3://state/icetap/warehouse/sales/", 34) == 0,
       "metadata under the warehouse: %s", loc);
    ok(exists(loc + 11), "the metadata file exists");
    json_decref(r.body);

    /* tags and a policy on the table, then a swap by the catalog code */

    snprintf(path, sizeof(path), "/tag/%s", tarn);
    r = call("POST", path, NULL, "{\"tags\":{\"a\":\"1\"}}");
    is_int(r.status, 200, "tag the table");
    json_decref(r.body);

    snprintf(path, sizeof(path), "/tables/%s/ns/t/policy", BARN);
    r = call("PUT", path, NULL,
             "{\"resourcePolicy\":\"{\\\"Statement\\\":{\\\"Effect\\\":"
             "\\\"Deny\\\",\\\"Principal\\\":\\\"*\\\",\\\"Action\\\":"
             "\\\"s3tables:DeleteTable\\\",\\\"Resource\\\":\\\"*\\\"}}\"}");
    is_int(r.status, 200, "put table policy");
    json_decref(r.body);

    if (icetap_catalog_table_load(store, "sales", "ns", "t", &entry, NULL,
                                  &err)
        == ICETAP_OK)
    {
        cp.store = store;
        cp.entry = &entry;
        snprintf(body, sizeof(body), "%s/metadata/00001-x.metadata.json",
                 entry.warehouse_location);
        is_int(icetap_catalog_pointer_swap(&cp, loc, body, &err), ICETAP_OK,
               "catalog swap");
        icetap_catalog_table_free(&entry);
        snprintf(loc, sizeof(loc), "%.500s", body);
    }

    snprintf(path, sizeof(path), "/tag/%s", tarn);
    r = call("GET", path, NULL, NULL);
    is_int(json_object_size(json_object_get(r.body, "tags")), 1,
           "one tag");
    ok(json_object_get(json_object_get(r.body, "tags"), "a") != NULL,
       "tags survive a catalog swap");
    json_decref(r.body);

    snprintf(path, sizeof(path), "/tables/%s/ns/t/policy", BARN);
    r = call("GET", path, NULL, NULL);
    is_int(r.status, 200, "the policy survives a catalog swap");
    json_decref(r.body);

    /* compare-and-swap */

    snprintf(path, sizeof(path), "/tables/%s/ns/t/metadata-location",
             BARN);
    r = call("GET", path, NULL, NULL);
    snprintf(tok, sizeof(tok), "%s", str(&r, "versionToken"));
    is_str(str(&r, "metadataLocation"), loc, "the swapped location");
    json_decref(r.body);

    snprintf(body, sizeof(body), "{\"versionToken\":\"%s\","
             "\"metadataLocation\":\"%.400s2\"}", tok, loc);
    r = call("PUT", path, NULL, body);
    is_int(r.status, 400, "a location not ending .metadata.json");
    json_decref(r.body);

    snprintf(body, sizeof(body), "{\"versionToken\":\"%s\","
             "\"metadataLocation\":\"%.400s.metadata.json\"}", tok, loc);
    r = call("PUT", path, NULL, body);
    is_int(r.status, 200, "update with the current token");
    ok(strcmp(str(&r, "versionToken"), tok) != 0, "a new token");
    json_decref(r.body);

    r = call("PUT", path, NULL, body);
    is_int(r.status, 409, "the same token again");
    is_str(r.type, "ConflictException", "ConflictException");
    json_decref(r.body);

    /* the other operations once, for their memory (run under ASan) */

    r = call("PUT", "/tables/" BARN "/ns", NULL,
             "{\"name\":\"p\",\"format\":\"ICEBERG\",\"metadata\":"
             "{\"iceberg\":{\"schema\":{\"fields\":[{\"name\":\"ts\","
             "\"type\":\"timestamp\"},{\"name\":\"id\",\"type\":"
             "\"long\"}]},\"partitionSpec\":{\"fields\":[{\"source-id\":1,"
             "\"transform\":\"day\",\"name\":\"d\"}]},\"writeOrder\":"
             "{\"order-id\":1,\"fields\":[{\"source-id\":2,\"transform\":"
             "\"identity\",\"direction\":\"asc\",\"null-order\":"
             "\"nulls-first\"}]},\"properties\":{\"a\":\"b\"}}}}");
    is_int(r.status, 200, "create a partitioned, sorted table");
    json_decref(r.body);

    r = call("PUT", "/tables/" BARN "/ns", NULL,
             "{\"name\":\"q\",\"format\":\"ICEBERG\",\"metadata\":"
             "{\"iceberg\":{\"schema\":{\"fields\":[{\"name\":\"ts\","
             "\"type\":\"timestamp\"}]},\"partitionSpec\":{\"fields\":"
             "[{\"source-id\":1,\"transform\":\"era\",\"name\":\"d\"}]},"
             "\"writeOrder\":{\"fields\":[{\"source-id\":1,\"transform\":"
             "\"identity\",\"direction\":\"asc\",\"null-order\":"
             "\"nulls-first\"}]}}}}");
    is_int(r.status, 400, "an unknown transform");
    ok(!exists("icetap/catalog/sales/ns/q.json"), "and no entry");
    json_decref(r.body);

    r = call("GET", "/tables/" BARN, "maxTables=1", NULL);
    is_int(json_array_size(json_object_get(r.body, "tables")), 1,
           "a page of one table");
    ok(json_object_get(r.body, "continuationToken") != NULL, "and a token");
    json_decref(r.body);

    r = call("PUT", "/tables/" BARN "/ns/p/maintenance/icebergCompaction",
             NULL, "{\"value\":{\"status\":\"enabled\",\"settings\":"
             "{\"icebergCompaction\":{\"targetFileSizeMB\":100,"
             "\"strategy\":\"sort\"}}}}");
    is_int(r.status, 204, "put compaction");
    json_decref(r.body);

    r = call("GET", "/tables/" BARN "/ns/p/maintenance-job-status", NULL,
             NULL);
    is_str(json_string_value(json_object_get(json_object_get(
               json_object_get(r.body, "status"), "icebergCompaction"),
               "status")), "Not_Yet_Run", "job status");
    json_decref(r.body);

    r = call("PUT", "/buckets/" BARN "/encryption", NULL,
             "{\"encryptionConfiguration\":{\"sseAlgorithm\":\"AES256\"}}");
    is_int(r.status, 200, "put encryption");
    json_decref(r.body);

    r = call("DELETE", "/tag/" BARN, "tagKeys=x&tagKeys=y", NULL);
    is_int(r.status, 204, "untag");
    json_decref(r.body);

    r = call("PUT", "/tables/" BARN "/ns/p/rename", NULL,
             "{\"newName\":\"p2\"}");
    is_int(r.status, 204, "rename");
    json_decref(r.body);

    r = call("DELETE", "/tables/" BARN "/ns/p2", NULL, NULL);
    is_int(r.status, 204, "delete the renamed table");
    json_decref(r.body);

    /* deletes: the table's files go with it */

    snprintf(path, sizeof(path), "/tables/%s/ns/t", BARN);
    r = call("DELETE", path, NULL, NULL);
    is_int(r.status, 204, "delete table");
    json_decref(r.body);
    ok(!exists("icetap/catalog/sales/ns/t.json"), "entry gone");

    r = call("DELETE", "/namespaces/" BARN "/ns", NULL, NULL);
    is_int(r.status, 204, "delete namespace");
    json_decref(r.body);

    r = call("DELETE", "/buckets/" BARN, NULL, NULL);
    is_int(r.status, 204, "delete bucket");
    json_decref(r.body);

    r = call("GET", "/buckets", NULL, NULL);
    is_int(json_array_size(json_object_get(r.body, "tableBuckets")), 0,
           "no bucket left");
    json_decref(r.body);

    r = call("PATCH", "/buckets", NULL, NULL);
    is_int(r.status, 405, "a method the path lacks");
    json_decref(r.body);

    ok(asked > 10, "every operation asked for authorization (%d)", asked);

    icetap_store_destroy(store);

    snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
    if (system(cmd) != 0) {
        diag("could not remove %s", root);
    }

    return done_testing();
}
