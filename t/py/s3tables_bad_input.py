"""Bad input to the S3 Tables API (t/062-s3tables-bad-input.t): invalid
names, malformed JSON, wrong ARNs, values out of range, oversized
bodies, expired presigned URLs, unknown paths and methods.  Each gets
its precise 4xx, and the state bucket is the same before and after
(every key with its ETag).

usage: s3tables_bad_input.py BODY_LIMIT

Prints {"checks": [...]}.
"""

import http.client
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import botocore.auth
import botocore.awsrequest
import botocore.credentials

from s3tables_test import (arn, check, done, ensure_state, fails, ok,
                           state_keys, tables)

limit = int(sys.argv[1])
c = tables()
ensure_state()

G = arn("good")
ok("setup: bucket", c.create_table_bucket, name="good")
ok("setup: namespace", c.create_namespace, tableBucketARN=G,
   namespace=["ns"])
r = ok("setup: table", c.create_table, tableBucketARN=G, namespace="ns",
       name="t", format="ICEBERG", metadata={"iceberg": {"schema": {
           "fields": [{"name": "id", "type": "long", "required": True}]}}})
TA = r["tableARN"]
loc = c.get_table_metadata_location(tableBucketARN=G, namespace="ns",
                                    name="t")

before = state_keys()
check("setup: the store holds the catalog", len(before) >= 4, before)

B = "BadRequestException"

# names

for name in ("ab", "a" * 64, "Upper", "under_score", "dot.name", "-lead",
             "trail-", "xn--abc", "sthree-x", "amzn-s3-demo-x", "awsy",
             "x-s3alias", "x--ol-s3", "x--x-s3", "x--table-s3", "sp ace"):
    fails("bucket name %r" % name, B, 400, c.create_table_bucket,
          name=name)
for ns in ("", "UPPER", "has-hyphen", "_lead", "trail_", "awsns",
           "a" * 256, "d.ot"):
    fails("namespace name %r" % ns[:20], B, 400, c.create_namespace,
          tableBucketARN=G, namespace=[ns])
fails("two namespace levels", B, 400, c.create_namespace,
      tableBucketARN=G, namespace=["a", "b"])
fails("no namespace", B, 400, c.create_namespace, tableBucketARN=G,
      namespace=[])
for name in ("Bad", "has-hyphen", "a" * 256, "_x", ""):
    fails("table name %r" % name[:20], B, 400, c.create_table,
          tableBucketARN=G, namespace="ns", name=name, format="ICEBERG")
fails("table format PARQUET", B, 400, c.create_table, tableBucketARN=G,
      namespace="ns", name="x", format="PARQUET")
fails("rename to a bad name", B, 400, c.rename_table, tableBucketARN=G,
      namespace="ns", name="t", newName="Bad-Name")
fails("table metadata: both schemas", B, 400, c.create_table,
      tableBucketARN=G, namespace="ns", name="x", format="ICEBERG",
      metadata={"iceberg": {
          "schema": {"fields": [{"name": "a", "type": "int"}]},
          "schemaV2": {"type": "struct", "fields": [
              {"id": 1, "name": "a", "type": "int", "required": True}]}}})
fails("table metadata: no fields", B, 400, c.create_table,
      tableBucketARN=G, namespace="ns", name="x", format="ICEBERG",
      metadata={"iceberg": {"schema": {"fields": []}}})
fails("table metadata: unknown type", B, 400, c.create_table,
      tableBucketARN=G, namespace="ns", name="x", format="ICEBERG",
      metadata={"iceberg": {"schema": {"fields": [
          {"name": "a", "type": "integer"}]}}})
fails("table metadata: duplicate ids", B, 400, c.create_table,
      tableBucketARN=G, namespace="ns", name="x", format="ICEBERG",
      metadata={"iceberg": {"schema": {"fields": [
          {"id": 1, "name": "a", "type": "int"},
          {"id": 1, "name": "b", "type": "int"}]}}})
fails("table metadata: unknown transform", B, 400, c.create_table,
      tableBucketARN=G, namespace="ns", name="x", format="ICEBERG",
      metadata={"iceberg": {
          "schema": {"fields": [{"name": "a", "type": "int"}]},
          "partitionSpec": {"fields": [
              {"sourceId": 1, "transform": "century", "name": "c"}]}}})

# ARNs

for bad in ("not-an-arn", "arn:aws:s3:::good",
            "arn:aws:s3tables:us-east-1:111122223333:bucket",
            "arn:aws:s3tables:us-east-1:111122223333:bucket/Bad_Name",
            "arn:aws:s3tables:us-east-1:111122223333:table/good"):
    fails("bucket ARN %r" % bad, B, 400, c.get_table_bucket,
          tableBucketARN=bad)
    fails("namespace in bucket ARN %r" % bad, B, 400, c.create_namespace,
          tableBucketARN=bad, namespace=["x"])
for other in ("arn:aws:s3tables:eu-west-1:111122223333:bucket/good",
              "arn:aws:s3tables:us-east-1:999999999999:bucket/good"):
    fails("bucket ARN of elsewhere %r" % other, "NotFoundException", 404,
          c.get_table_bucket, tableBucketARN=other)
fails("table ARN without id", B, 400, c.get_table,
      tableArn=G + "/table/")
fails("table ARN of a bucket", B, 400, c.get_table, tableArn=G)
fails("table ARN and names together", B, 400, c.get_table, tableArn=TA,
      tableBucketARN=G, namespace="ns", name="t")
fails("GetTable without a table", B, 400, c.get_table, tableBucketARN=G)
fails("tags of a bad ARN", B, 400, c.list_tags_for_resource,
      resourceArn="arn:aws:s3:::good")

# values

fails("update without versionToken", B, 400,
      c.update_table_metadata_location, tableBucketARN=G, namespace="ns",
      name="t", metadataLocation=loc["warehouseLocation"]
      + "/metadata/1.metadata.json")
fails("update into another table's location", B, 400,
      c.update_table_metadata_location, tableBucketARN=G, namespace="ns",
      name="t", versionToken=loc["versionToken"],
      metadataLocation=loc["warehouseLocation"]
      + "-other/metadata/1.metadata.json")
for value in ({"status": "on"},
              {"status": "enabled", "settings": {"icebergCompaction": {
                  "targetFileSizeMB": "512"}}},
              {"status": "enabled", "settings": {"icebergCompaction": {
                  "targetFileSizeMB": 63}}},
              {"status": "enabled", "settings": {}}):
    fails("compaction value %s" % json.dumps(value), B, 400,
          c.put_table_maintenance_configuration, tableBucketARN=G,
          namespace="ns", name="t", type="icebergCompaction", value=value)
fails("snapshot management 0 snapshots", B, 400,
      c.put_table_maintenance_configuration, tableBucketARN=G,
      namespace="ns", name="t", type="icebergSnapshotManagement",
      value={"status": "enabled", "settings": {
          "icebergSnapshotManagement": {"minSnapshotsToKeep": 0}}})
fails("snapshot management 2^31 hours", B, 400,
      c.put_table_maintenance_configuration, tableBucketARN=G,
      namespace="ns", name="t", type="icebergSnapshotManagement",
      value={"status": "enabled", "settings": {
          "icebergSnapshotManagement": {"maxSnapshotAgeHours": 2 ** 31}}})
fails("unknown maintenance type", B, 400,
      c.put_table_maintenance_configuration, tableBucketARN=G,
      namespace="ns", name="t", type="icebergEverything",
      value={"status": "enabled"})
fails("bucket maintenance nonCurrentDays -1", B, 400,
      c.put_table_bucket_maintenance_configuration, tableBucketARN=G,
      type="icebergUnreferencedFileRemoval",
      value={"status": "enabled", "settings": {
          "icebergUnreferencedFileRemoval": {"nonCurrentDays": -1}}})

for pol, why in (("{", "not JSON"), ("[]", "not an object"),
                 ('{"Statement":[]}', "no statement"),
                 ('{"Statement":{"Effect":"Allow","Principal":"*",'
                  '"Action":"s3tables:*","Resource":"*",'
                  '"Condition":{"Bool":{"aws:SecureTransport":"true"}}}}',
                  "a condition"),
                 ('{"Statement":{"Effect":"Allow","Principal":"*",'
                  '"Action":"GetTable","Resource":"*"}}',
                  "an action without service"),
                 ('{"Statement":{"Effect":"Allow","Principal":"*",'
                  '"Action":"s3tables:*","Resource":"' + "x" * 20480
                  + '"}}', "over 20480 characters")):
    fails("bucket policy: " + why, B, 400, c.put_table_bucket_policy,
          tableBucketARN=G, resourcePolicy=pol)
fails("table policy: not JSON", B, 400, c.put_table_policy,
      tableBucketARN=G, namespace="ns", name="t", resourcePolicy="{{")

fails("encryption: unknown algorithm", B, 400,
      c.put_table_bucket_encryption, tableBucketARN=G,
      encryptionConfiguration={"sseAlgorithm": "ROT13"})
fails("encryption: kms key not an ARN", B, 400,
      c.put_table_bucket_encryption, tableBucketARN=G,
      encryptionConfiguration={"sseAlgorithm": "aws:kms",
                               "kmsKeyArn": "my-key"})
fails("storage class missing", B, 400, c.put_table_bucket_storage_class,
      tableBucketARN=G, storageClassConfiguration={})

fails("tag key of 129", B, 400, c.tag_resource, resourceArn=G,
      tags={"k" * 129: "v"})
fails("tag value of 257", B, 400, c.tag_resource, resourceArn=G,
      tags={"k": "v" * 257})
fails("empty tag key", B, 400, c.tag_resource, resourceArn=G,
      tags={"": "v"})
fails("untag without keys", B, 400, c.untag_resource, resourceArn=G,
      tagKeys=[])

for n in (0, 1001):
    fails("maxBuckets %d" % n, B, 400, c.list_table_buckets, maxBuckets=n)
    fails("maxNamespaces %d" % n, B, 400, c.list_namespaces,
          tableBucketARN=G, maxNamespaces=n)
    fails("maxTables %d" % n, B, 400, c.list_tables, tableBucketARN=G,
          maxTables=n)
fails("bucket continuationToken", B, 400, c.list_table_buckets,
      continuationToken="NOT A TOKEN")
fails("table continuationToken", B, 400, c.list_tables, tableBucketARN=G,
      continuationToken="no-slash")
fails("list type", B, 400, c.list_table_buckets, type="everything")

# raw requests: malformed JSON, sizes, paths, methods

ENDPOINT = c.meta.endpoint_url
KEY = botocore.credentials.Credentials(os.environ["AWS_ACCESS_KEY_ID"],
                                       os.environ["AWS_SECRET_ACCESS_KEY"])


def signed(method, path, body=b""):
    req = botocore.awsrequest.AWSRequest(method=method, url=ENDPOINT + path,
                                         data=body)
    botocore.auth.SigV4Auth(KEY, "s3tables", "us-east-1").add_auth(req)
    return req


def send(method, path, body=b"", chunked=False):
    req = signed(method, path, body)
    u = urllib.parse.urlsplit(req.url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    headers = {k: v for k, v in req.headers.items()
               if k.lower() != "content-length"}
    if chunked:
        conn.request(method, u.path + ("?" + u.query if u.query else ""),
                     body=iter([body[i:i + 8192]
                                for i in range(0, len(body), 8192)]),
                     headers=headers, encode_chunked=True)
    else:
        conn.request(method, u.path + ("?" + u.query if u.query else ""),
                     body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    try:
        j = json.loads(data)
    except ValueError:
        j = {"raw": data[:200].decode(errors="replace")}
    return r.status, r.getheader("x-amzn-ErrorType"), j


def raw_case(name, status, etype, method, path, body=b"", chunked=False):
    st, t, j = send(method, path, body, chunked)
    check("%s: %d %s" % (name, status, etype),
          st == status and t == etype and "message" in j, (st, t, j))


for body in (b"{", b"[]", b"null", b'{"name": 5}', b'"x"',
             b'{"name":"a-b-c","name":"d-e-f"}', b"\xff\xfe"):
    raw_case("CreateTableBucket body %r" % body[:20], 400, B, "PUT",
             "/buckets", body)
raw_case("CreateTableBucket without a body", 400, B, "PUT", "/buckets")
raw_case("CreateNamespace namespace not a list", 400, B, "PUT",
         "/namespaces/" + urllib.parse.quote(G, safe=""),
         b'{"namespace": "ns2"}')
raw_case("compaction: an unknown setting", 400, B, "PUT",
         "/tables/" + urllib.parse.quote(G, safe="")
         + "/ns/t/maintenance/icebergCompaction",
         b'{"value":{"status":"enabled","settings":{"icebergCompaction":'
         b'{"sizeMB":100}}}}')
raw_case("compaction: value not an object", 400, B, "PUT",
         "/tables/" + urllib.parse.quote(G, safe="")
         + "/ns/t/maintenance/icebergCompaction", b'{"value":"enabled"}')
raw_case("TagResource tags not a map", 400, B, "POST",
         "/tag/" + urllib.parse.quote(G, safe=""), b'{"tags": ["a"]}')

big = json.dumps({"name": "big", "tags": {"k": "v" * (limit + 10)}})
raw_case("a body over the limit", 413, B, "PUT", "/buckets",
         big.encode())
raw_case("a chunked body over the limit", 413, B, "PUT", "/buckets",
         big.encode(), chunked=True)
raw_case("an unknown path", 404, "NotFoundException", "GET",
         "/no/such/thing")
raw_case("a method the path lacks", 405, "MethodNotAllowedException",
         "PATCH", "/buckets")
raw_case("a namespace with a dot", 400, B, "GET",
         "/namespaces/" + urllib.parse.quote(G, safe="") + "/a.b")

url = c.generate_presigned_url("list_table_buckets", ExpiresIn=1)
time.sleep(2)
try:
    urllib.request.urlopen(url)
    check("expired presigned URL: 403", False, "succeeded")
except urllib.error.HTTPError as e:
    check("expired presigned URL: 403 ForbiddenException",
          e.code == 403 and e.headers.get("x-amzn-ErrorType")
          == "ForbiddenException", (e.code, e.read()))
url = c.generate_presigned_url("create_table_bucket",
                               Params={"name": "presigned"}, ExpiresIn=1)
time.sleep(2)
try:
    urllib.request.urlopen(urllib.request.Request(url, method="PUT",
                                                  data=b'{"name":"p1"}'))
    check("expired presigned PUT: 403", False, "succeeded")
except urllib.error.HTTPError as e:
    check("expired presigned PUT: 403", e.code == 403, (e.code, e.read()))

after = state_keys()
check("nothing was written: the state bucket is as before",
      after == before, {"before": before, "after": after})

# the quota: ten table buckets per account and region

for i in range(9):
    ok("quota: bucket %d" % (i + 2), c.create_table_bucket,
       name="q-%d" % i)
fails("quota: the eleventh bucket", B, 400, c.create_table_bucket,
      name="q-eleven")
check("quota: the eleventh was not written",
      not [k for k, _ in state_keys("icetap/catalog/q-eleven")],
      state_keys("icetap/catalog/"))

done()
