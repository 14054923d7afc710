"""The S3 Tables control plane through the gateway with boto3 s3tables.

usage: s3tables_lifecycle.py [LOCATION_PATH]

Table buckets, namespaces, tables (with an Iceberg schema: the first
metadata file is read back from the store), metadata location
compare-and-swap (sequential and 8 concurrent writers), maintenance
configuration and job status, encryption, storage class, resource
policies, tags, rename, pagination, and every documented error case on
the way; deletes everything at the end.  Prints {"checks": [...]}.
"""

import json
import re
import sys
import threading

from s3tables_test import (ACCOUNT, STATE, arn, call, check, done,
                           ensure_state, fails, ok, state_keys, store,
                           tables)

path = sys.argv[1] if len(sys.argv) > 1 else ""
c = tables(path)
s3 = store()
ensure_state()

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
A = arn("analytics")

# table buckets

r = ok("list: nothing yet", c.list_table_buckets, type="customer")
check("list: empty", r and r["tableBuckets"] == [], r)

r = ok("create bucket", c.create_table_bucket, name="analytics")
check("create bucket: ARN", r and r["arn"] == A, r)
fails("create bucket again", "ConflictException", 409,
      c.create_table_bucket, name="analytics")

r = ok("get bucket", c.get_table_bucket, tableBucketARN=A)
check("get bucket: members",
      r and r["name"] == "analytics" and r["arn"] == A
      and r["ownerAccountId"] == ACCOUNT and r["type"] == "customer"
      and re.fullmatch(UUID, r.get("tableBucketId", "")), r)
check("get bucket: createdAt is a time", r and r["createdAt"].year >= 2025,
      r)

for b in ("b-two", "b-three"):
    ok("create bucket " + b, c.create_table_bucket, name=b)

names = []
for page in c.get_paginator("list_table_buckets").paginate(
        type="customer", PaginationConfig={"PageSize": 1}):
    check("list buckets: a page of one", len(page["tableBuckets"]) <= 1,
          page)
    names += [b["name"] for b in page["tableBuckets"]]
check("list buckets: all three in pages of one, in order",
      names == ["analytics", "b-three", "b-two"], names)

r = ok("list buckets with prefix", c.list_table_buckets, prefix="b-t")
check("list buckets: prefix", r and [b["name"] for b in r["tableBuckets"]]
      == ["b-three", "b-two"], r)
r = ok("list buckets of type aws", c.list_table_buckets, type="aws")
check("list buckets: no customer bucket is aws",
      r and all(b["type"] == "aws" for b in r["tableBuckets"]), r)

fails("get bucket absent", "NotFoundException", 404, c.get_table_bucket,
      tableBucketARN=arn("absent"))
fails("get bucket bad ARN", "BadRequestException", 400, c.get_table_bucket,
      tableBucketARN="arn:aws:s3:::analytics")
fails("get bucket other account", "NotFoundException", 404,
      c.get_table_bucket,
      tableBucketARN="arn:aws:s3tables:us-east-1:999999999999:bucket/"
      "analytics")
fails("create bucket reserved prefix", "BadRequestException", 400,
      c.create_table_bucket, name="aws-mine")
fails("create bucket reserved suffix", "BadRequestException", 400,
      c.create_table_bucket, name="mine--table-s3")

# namespaces

r = ok("create namespace", c.create_namespace, tableBucketARN=A,
       namespace=["sales"])
check("create namespace: response",
      r and r["tableBucketARN"] == A and r["namespace"] == ["sales"], r)
fails("create namespace again", "ConflictException", 409,
      c.create_namespace, tableBucketARN=A, namespace=["sales"])
fails("create namespace in absent bucket", "NotFoundException", 404,
      c.create_namespace, tableBucketARN=arn("absent"),
      namespace=["sales"])
for n in ("marketing", "ops"):
    ok("create namespace " + n, c.create_namespace, tableBucketARN=A,
       namespace=[n])

r = ok("get namespace", c.get_namespace, tableBucketARN=A,
       namespace="sales")
check("get namespace: members",
      r and r["namespace"] == ["sales"] and r["ownerAccountId"] == ACCOUNT
      and r["createdBy"] == ACCOUNT and r.get("namespaceId"), r)
fails("get namespace absent", "NotFoundException", 404, c.get_namespace,
      tableBucketARN=A, namespace="nothing")

names = []
for page in c.get_paginator("list_namespaces").paginate(
        tableBucketARN=A, PaginationConfig={"PageSize": 2}):
    names += [n["namespace"][0] for n in page["namespaces"]]
check("list namespaces in pages of two", names == ["marketing", "ops",
                                                   "sales"], names)
r = ok("list namespaces with prefix", c.list_namespaces, tableBucketARN=A,
       prefix="s")
check("list namespaces: prefix",
      r and [n["namespace"] for n in r["namespaces"]] == [["sales"]], r)

# tables

schema = {"fields": [
    {"name": "order_id", "type": "long", "required": True},
    {"name": "customer", "type": "string"},
    {"name": "amount", "type": "decimal(10,2)"},
    {"name": "ts", "type": "timestamptz", "required": True}]}

r = ok("create table with schema", c.create_table, tableBucketARN=A,
       namespace="sales", name="orders", format="ICEBERG",
       metadata={"iceberg": {
           "schema": schema,
           "partitionSpec": {"fields": [
               {"sourceId": 4, "transform": "day", "name": "ts_day"}]},
           "writeOrder": {"orderId": 1, "fields": [
               {"sourceId": 1, "transform": "identity", "direction": "asc",
                "nullOrder": "nulls-first"}]},
           "properties": {"write.format.default": "parquet"}}})
orders_arn = r and r["tableARN"]
check("create table: ARN of the table id",
      r and re.fullmatch(re.escape(A) + "/table/" + UUID, orders_arn), r)
check("create table: versionToken", r and r["versionToken"], r)

r = ok("get table", c.get_table, tableBucketARN=A, namespace="sales",
       name="orders")
check("get table: members",
      r and r["name"] == "orders" and r["namespace"] == ["sales"]
      and r["tableARN"] == orders_arn and r["type"] == "customer"
      and r["format"] == "ICEBERG" and r["ownerAccountId"] == ACCOUNT
      and r["metadataLocation"].startswith(r["warehouseLocation"] + "/"),
      r)
wh = r["warehouseLocation"]
md_loc = r["metadataLocation"]

r2 = ok("get table by ARN", c.get_table, tableArn=orders_arn)
check("get table by ARN: same table",
      r2 and r2["name"] == "orders" and r2["versionToken"]
      == r["versionToken"], r2)

# the first metadata file, as written to the store

m = re.fullmatch(r"s3://([^/]+)/(.+)", md_loc)
md = json.loads(s3.get_object(Bucket=m.group(1), Key=m.group(2))
                ["Body"].read())
check("metadata: in the state bucket", m.group(1) == STATE, md_loc)
check("metadata: format v2", md.get("format-version") == 2, md)
check("metadata: location is the warehouse", md.get("location") == wh, md)
cur = [s for s in md["schemas"] if s["schema-id"]
       == md["current-schema-id"]][0]
check("metadata: the schema's columns, ids and types",
      [(f["id"], f["name"], f["type"], f["required"])
       for f in cur["fields"]]
      == [(1, "order_id", "long", True), (2, "customer", "string", False),
          (3, "amount", "decimal(10, 2)", False),
          (4, "ts", "timestamptz", True)]
      or [(f["id"], f["name"], f["type"], f["required"])
          for f in cur["fields"]]
      == [(1, "order_id", "long", True), (2, "customer", "string", False),
          (3, "amount", "decimal(10,2)", False),
          (4, "ts", "timestamptz", True)], cur)
spec = [s for s in md["partition-specs"]
        if s["spec-id"] == md["default-spec-id"]][0]
check("metadata: partition spec",
      [(f["source-id"], f["transform"], f["name"]) for f in spec["fields"]]
      == [(4, "day", "ts_day")], spec)
order = [o for o in md["sort-orders"]
         if o["order-id"] == md["default-sort-order-id"]][0]
check("metadata: write order",
      [(f["source-id"], f["direction"], f["null-order"])
       for f in order["fields"]] == [(1, "asc", "nulls-first")], order)
check("metadata: properties",
      md.get("properties", {}).get("write.format.default") == "parquet",
      md.get("properties"))

r = ok("create table schemaV2 with a struct", c.create_table,
       tableBucketARN=A, namespace="sales", name="events",
       format="ICEBERG",
       metadata={"iceberg": {"schemaV2": {
           "type": "struct", "schemaId": 0, "identifierFieldIds": [1],
           "fields": [
               {"id": 1, "name": "id", "type": "long", "required": True},
               {"id": 2, "name": "where", "required": False, "type": {
                   "type": "struct", "fields": [
                       {"id": 3, "name": "city", "type": "string",
                        "required": False}]}}]}}})

r = ok("create table without metadata", c.create_table, tableBucketARN=A,
       namespace="sales", name="raw", format="ICEBERG")
r = ok("metadata location of a table without metadata",
       c.get_table_metadata_location, tableBucketARN=A, namespace="sales",
       name="raw")
check("no metadataLocation yet",
      r and "metadataLocation" not in r and r["warehouseLocation"]
      and r["versionToken"], r)

fails("create table again", "ConflictException", 409, c.create_table,
      tableBucketARN=A, namespace="sales", name="orders", format="ICEBERG")
fails("create table in absent namespace", "NotFoundException", 404,
      c.create_table, tableBucketARN=A, namespace="nothing", name="t",
      format="ICEBERG")
fails("create table bad schema type", "BadRequestException", 400,
      c.create_table, tableBucketARN=A, namespace="sales", name="bad",
      format="ICEBERG",
      metadata={"iceberg": {"schema": {"fields": [
          {"name": "x", "type": "varchar"}]}}})
fails("create table partition on a missing column", "BadRequestException",
      400, c.create_table, tableBucketARN=A, namespace="sales", name="bad",
      format="ICEBERG",
      metadata={"iceberg": {"schema": schema, "partitionSpec": {
          "fields": [{"sourceId": 9, "transform": "day", "name": "x"}]}}})
fails("get table absent", "NotFoundException", 404, c.get_table,
      tableBucketARN=A, namespace="sales", name="nothing")

ok("create table in marketing", c.create_table, tableBucketARN=A,
   namespace="marketing", name="campaigns", format="ICEBERG")

r = ok("list tables", c.list_tables, tableBucketARN=A)
check("list tables: all, namespace then name",
      r and [(t["namespace"][0], t["name"]) for t in r["tables"]]
      == [("marketing", "campaigns"), ("sales", "events"),
          ("sales", "orders"), ("sales", "raw")], r)
r = ok("list tables of a namespace with prefix", c.list_tables,
       tableBucketARN=A, namespace="sales", prefix="o")
check("list tables: namespace and prefix",
      r and [t["name"] for t in r["tables"]] == ["orders"], r)
names = []
for page in c.get_paginator("list_tables").paginate(
        tableBucketARN=A, PaginationConfig={"PageSize": 1}):
    names += [t["name"] for t in page["tables"]]
check("list tables in pages of one",
      names == ["campaigns", "events", "orders", "raw"], names)

# metadata location compare-and-swap

r = ok("get metadata location", c.get_table_metadata_location,
       tableBucketARN=A, namespace="sales", name="orders")
check("metadata location: as GetTable",
      r and r["metadataLocation"] == md_loc and r["warehouseLocation"]
      == wh, r)
token = r["versionToken"]

new_loc = wh + "/metadata/00001-aaaa.metadata.json"
fails("update with a stale token", "ConflictException", 409,
      c.update_table_metadata_location, tableBucketARN=A,
      namespace="sales", name="orders", versionToken=token + "0",
      metadataLocation=new_loc)
fails("update outside the warehouse", "BadRequestException", 400,
      c.update_table_metadata_location, tableBucketARN=A,
      namespace="sales", name="orders", versionToken=token,
      metadataLocation="s3://elsewhere/x.metadata.json")
fails("update to a non-metadata file", "BadRequestException", 400,
      c.update_table_metadata_location, tableBucketARN=A,
      namespace="sales", name="orders", versionToken=token,
      metadataLocation=wh + "/metadata/x.avro")
r = ok("update metadata location", c.update_table_metadata_location,
       tableBucketARN=A, namespace="sales", name="orders",
       versionToken=token, metadataLocation=new_loc)
check("update: response",
      r and r["metadataLocation"] == new_loc and r["versionToken"] != token
      and r["name"] == "orders" and r["namespace"] == ["sales"]
      and r["tableARN"] == orders_arn, r)
token2 = r["versionToken"]
fails("update with the old token again", "ConflictException", 409,
      c.update_table_metadata_location, tableBucketARN=A,
      namespace="sales", name="orders", versionToken=token,
      metadataLocation=new_loc)
r = ok("get table after update", c.get_table, tableArn=orders_arn)
check("get table: new location and token",
      r and r["metadataLocation"] == new_loc and r["versionToken"] == token2,
      r)

# eight writers with the same token: exactly one wins

results = []


def writer(i):
    cl = tables(path)
    r, e = call(cl.update_table_metadata_location, tableBucketARN=A,
                namespace="sales", name="orders", versionToken=token2,
                metadataLocation=wh + "/metadata/%05d-w%d.metadata.json"
                % (2, i))
    results.append((i, r["versionToken"] if r else None, e))


threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
wins = [x for x in results if x[1]]
check("concurrent updates: exactly one wins", len(wins) == 1, results)
check("concurrent updates: the others get ConflictException 409",
      all(x[2] and x[2][:2] == ("ConflictException", 409)
          for x in results if not x[1]), results)
r = ok("get metadata location after the race",
       c.get_table_metadata_location, tableBucketARN=A, namespace="sales",
       name="orders")
check("the winner's location is the table's",
      r and wins and r["metadataLocation"]
      == wh + "/metadata/00002-w%d.metadata.json" % wins[0][0]
      and r["versionToken"] == wins[0][1], (r, wins))

# maintenance configuration

r = ok("bucket maintenance defaults",
       c.get_table_bucket_maintenance_configuration, tableBucketARN=A)
check("bucket maintenance: unreferenced file removal 3/10 enabled",
      r and r["tableBucketARN"] == A and r["configuration"] == {
          "icebergUnreferencedFileRemoval": {"status": "enabled",
              "settings": {"icebergUnreferencedFileRemoval": {
                  "unreferencedDays": 3, "nonCurrentDays": 10}}}}, r)
ok("put bucket maintenance", c.put_table_bucket_maintenance_configuration,
   tableBucketARN=A, type="icebergUnreferencedFileRemoval",
   value={"status": "enabled", "settings": {
       "icebergUnreferencedFileRemoval": {"unreferencedDays": 5,
                                          "nonCurrentDays": 20}}})
r = ok("bucket maintenance after put",
       c.get_table_bucket_maintenance_configuration, tableBucketARN=A)
check("bucket maintenance: 5/20",
      r and r["configuration"]["icebergUnreferencedFileRemoval"]
      ["settings"]["icebergUnreferencedFileRemoval"]
      == {"unreferencedDays": 5, "nonCurrentDays": 20}, r)
fails("bucket maintenance: 0 days", "BadRequestException", 400,
      c.put_table_bucket_maintenance_configuration, tableBucketARN=A,
      type="icebergUnreferencedFileRemoval",
      value={"status": "enabled", "settings": {
          "icebergUnreferencedFileRemoval": {"unreferencedDays": 0}}})
fails("bucket maintenance: a table type", "BadRequestException", 400,
      c.put_table_bucket_maintenance_configuration, tableBucketARN=A,
      type="icebergCompaction", value={"status": "enabled"})

r = ok("table maintenance defaults", c.get_table_maintenance_configuration,
       tableBucketARN=A, namespace="sales", name="orders")
check("table maintenance: compaction 512 auto, snapshots 1/120",
      r and r["tableARN"] == orders_arn and r["configuration"] == {
          "icebergCompaction": {"status": "enabled", "settings": {
              "icebergCompaction": {"targetFileSizeMB": 512,
                                    "strategy": "auto"}}},
          "icebergSnapshotManagement": {"status": "enabled", "settings": {
              "icebergSnapshotManagement": {"minSnapshotsToKeep": 1,
                                            "maxSnapshotAgeHours": 120}}}},
      r)
ok("put table compaction", c.put_table_maintenance_configuration,
   tableBucketARN=A, namespace="sales", name="orders",
   type="icebergCompaction",
   value={"status": "enabled", "settings": {"icebergCompaction": {
       "targetFileSizeMB": 128, "strategy": "binpack"}}})
ok("disable snapshot management", c.put_table_maintenance_configuration,
   tableBucketARN=A, namespace="sales", name="orders",
   type="icebergSnapshotManagement", value={"status": "disabled"})
r = ok("table maintenance after put", c.get_table_maintenance_configuration,
       tableBucketARN=A, namespace="sales", name="orders")
check("table maintenance: 128 binpack; snapshots disabled, defaults kept",
      r and r["configuration"]["icebergCompaction"]["settings"]
      ["icebergCompaction"] == {"targetFileSizeMB": 128,
                                "strategy": "binpack"}
      and r["configuration"]["icebergSnapshotManagement"] == {
          "status": "disabled", "settings": {"icebergSnapshotManagement": {
              "minSnapshotsToKeep": 1, "maxSnapshotAgeHours": 120}}}, r)
for bad, why in ((32, "below 64"), (1024, "above 512")):
    fails("compaction target " + why, "BadRequestException", 400,
          c.put_table_maintenance_configuration, tableBucketARN=A,
          namespace="sales", name="orders", type="icebergCompaction",
          value={"status": "enabled", "settings": {"icebergCompaction": {
              "targetFileSizeMB": bad}}})
fails("compaction strategy unknown", "BadRequestException", 400,
      c.put_table_maintenance_configuration, tableBucketARN=A,
      namespace="sales", name="orders", type="icebergCompaction",
      value={"status": "enabled", "settings": {"icebergCompaction": {
          "strategy": "random"}}})
fails("settings of another type", "BadRequestException", 400,
      c.put_table_maintenance_configuration, tableBucketARN=A,
      namespace="sales", name="orders", type="icebergCompaction",
      value={"status": "enabled", "settings": {
          "icebergSnapshotManagement": {"minSnapshotsToKeep": 2}}})
fails("a bucket type on a table", "BadRequestException", 400,
      c.put_table_maintenance_configuration, tableBucketARN=A,
      namespace="sales", name="orders",
      type="icebergUnreferencedFileRemoval", value={"status": "enabled"})

r = ok("job status, no job yet", c.get_table_maintenance_job_status,
       tableBucketARN=A, namespace="sales", name="orders")
check("job status: not yet run, disabled where configured so",
      r and r["tableARN"] == orders_arn and r["status"] == {
          "icebergCompaction": {"status": "Not_Yet_Run"},
          "icebergSnapshotManagement": {"status": "Disabled"},
          "icebergUnreferencedFileRemoval": {"status": "Not_Yet_Run"}}, r)

# what the maintenance plugin records, served as it is

table_id = orders_arn.rsplit("/", 1)[1]
s3.put_object(Bucket=STATE, Key="icetap/jobs/%s.json" % table_id,
              Body=json.dumps({
                  "icebergCompaction": {
                      "status": "Successful",
                      "lastRunTimestamp": "2026-11-22T07:00:00Z",
                      "failureMessage": None},
                  "icebergUnreferencedFileRemoval": {
                      "status": "Failed",
                      "lastRunTimestamp": "2026-11-22T06:00:00Z",
                      "failureMessage": "store unavailable"}}))
r = ok("job status recorded", c.get_table_maintenance_job_status,
       tableBucketARN=A, namespace="sales", name="orders")
st = r and r["status"]
check("job status: compaction Successful with its time",
      st and st["icebergCompaction"]["status"] == "Successful"
      and st["icebergCompaction"]["lastRunTimestamp"].hour == 7, st)
check("job status: removal Failed with its message",
      st and st["icebergUnreferencedFileRemoval"]["status"] == "Failed"
      and st["icebergUnreferencedFileRemoval"]["failureMessage"]
      == "store unavailable", st)
check("job status: snapshots still Disabled",
      st and st["icebergSnapshotManagement"] == {"status": "Disabled"}, st)

# encryption and storage class

r = ok("bucket encryption default", c.get_table_bucket_encryption,
       tableBucketARN=A)
check("bucket encryption: AES256",
      r and r["encryptionConfiguration"] == {"sseAlgorithm": "AES256"}, r)
KMS = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef"
ok("put bucket encryption kms", c.put_table_bucket_encryption,
   tableBucketARN=A, encryptionConfiguration={"sseAlgorithm": "aws:kms",
                                              "kmsKeyArn": KMS})
r = ok("bucket encryption after put", c.get_table_bucket_encryption,
       tableBucketARN=A)
check("bucket encryption: kms",
      r and r["encryptionConfiguration"] == {"sseAlgorithm": "aws:kms",
                                             "kmsKeyArn": KMS}, r)
fails("kms without a key", "BadRequestException", 400,
      c.put_table_bucket_encryption, tableBucketARN=A,
      encryptionConfiguration={"sseAlgorithm": "aws:kms"})
fails("AES256 with a key", "BadRequestException", 400,
      c.put_table_bucket_encryption, tableBucketARN=A,
      encryptionConfiguration={"sseAlgorithm": "AES256",
                               "kmsKeyArn": KMS})

r = ok("bucket storage class default", c.get_table_bucket_storage_class,
       tableBucketARN=A)
check("bucket storage class: STANDARD",
      r and r["storageClassConfiguration"] == {"storageClass": "STANDARD"},
      r)
ok("put bucket storage class", c.put_table_bucket_storage_class,
   tableBucketARN=A,
   storageClassConfiguration={"storageClass": "INTELLIGENT_TIERING"})
fails("storage class unknown", "BadRequestException", 400,
      c.put_table_bucket_storage_class, tableBucketARN=A,
      storageClassConfiguration={"storageClass": "GLACIER"})

ok("create table under the new defaults", c.create_table,
   tableBucketARN=A, namespace="ops", name="later", format="ICEBERG")
r = ok("table encryption", c.get_table_encryption, tableBucketARN=A,
       namespace="ops", name="later")
check("table encryption: the bucket's default at creation",
      r and r["encryptionConfiguration"]["sseAlgorithm"] == "aws:kms", r)
r = ok("table storage class", c.get_table_storage_class, tableBucketARN=A,
       namespace="ops", name="later")
check("table storage class: the bucket's default at creation",
      r and r["storageClassConfiguration"]["storageClass"]
      == "INTELLIGENT_TIERING", r)
r = ok("older table encryption", c.get_table_encryption, tableBucketARN=A,
       namespace="sales", name="orders")
check("older table keeps AES256",
      r and r["encryptionConfiguration"] == {"sseAlgorithm": "AES256"}, r)
ok("delete bucket encryption", c.delete_table_bucket_encryption,
   tableBucketARN=A)
r = ok("bucket encryption after delete", c.get_table_bucket_encryption,
       tableBucketARN=A)
check("bucket encryption: back to AES256",
      r and r["encryptionConfiguration"] == {"sseAlgorithm": "AES256"}, r)

# record expiration: not for customer tables

fails("record expiration of a customer table", "MethodNotAllowedException",
      405, c.get_table_record_expiration_configuration, tableArn=orders_arn)
fails("put record expiration", "MethodNotAllowedException", 405,
      c.put_table_record_expiration_configuration, tableArn=orders_arn,
      value={"status": "enabled", "settings": {"days": 7}})
fails("record expiration job status", "MethodNotAllowedException", 405,
      c.get_table_record_expiration_job_status, tableArn=orders_arn)
fails("record expiration of an absent table", "NotFoundException", 404,
      c.get_table_record_expiration_configuration,
      tableArn=A + "/table/00000000-0000-4000-8000-000000000000")

# metrics configuration

fails("no metrics configuration", "NotFoundException", 404,
      c.get_table_bucket_metrics_configuration, tableBucketARN=A)
ok("put metrics configuration", c.put_table_bucket_metrics_configuration,
   tableBucketARN=A)
r = ok("get metrics configuration",
       c.get_table_bucket_metrics_configuration, tableBucketARN=A)
check("metrics configuration: bucket and an id",
      r and r["tableBucketARN"] == A and re.fullmatch(UUID, r["id"]), r)
ok("put metrics configuration again",
   c.put_table_bucket_metrics_configuration, tableBucketARN=A)
r2 = ok("get metrics configuration again",
        c.get_table_bucket_metrics_configuration, tableBucketARN=A)
check("metrics configuration: the id is kept", r and r2
      and r2["id"] == r["id"], (r, r2))
ok("delete metrics configuration",
   c.delete_table_bucket_metrics_configuration, tableBucketARN=A)
fails("metrics configuration deleted", "NotFoundException", 404,
      c.get_table_bucket_metrics_configuration, tableBucketARN=A)

# resource policies

fails("no bucket policy", "NotFoundException", 404,
      c.get_table_bucket_policy, tableBucketARN=A)
policy = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "AKIAREADER0000000000"},
    "Action": ["s3tables:Get*", "s3tables:List*"],
    "Resource": [A, A + "/table/*"]}]})
ok("put bucket policy", c.put_table_bucket_policy, tableBucketARN=A,
   resourcePolicy=policy)
r = ok("get bucket policy", c.get_table_bucket_policy, tableBucketARN=A)
check("bucket policy: as put", r and r["resourcePolicy"] == policy, r)
fails("bucket policy not JSON", "BadRequestException", 400,
      c.put_table_bucket_policy, tableBucketARN=A, resourcePolicy="{nope")
fails("bucket policy without Effect", "BadRequestException", 400,
      c.put_table_bucket_policy, tableBucketARN=A,
      resourcePolicy='{"Statement":[{"Principal":"*","Action":"*",'
      '"Resource":"*"}]}')
ok("delete bucket policy", c.delete_table_bucket_policy, tableBucketARN=A)
fails("bucket policy deleted", "NotFoundException", 404,
      c.get_table_bucket_policy, tableBucketARN=A)

fails("no table policy", "NotFoundException", 404, c.get_table_policy,
      tableBucketARN=A, namespace="sales", name="orders")
ok("put table policy", c.put_table_policy, tableBucketARN=A,
   namespace="sales", name="orders", resourcePolicy=policy)
r = ok("get table policy", c.get_table_policy, tableBucketARN=A,
       namespace="sales", name="orders")
check("table policy: as put", r and r["resourcePolicy"] == policy, r)
ok("delete table policy", c.delete_table_policy, tableBucketARN=A,
   namespace="sales", name="orders")
fails("table policy deleted", "NotFoundException", 404, c.get_table_policy,
      tableBucketARN=A, namespace="sales", name="orders")

# tags

r = ok("no tags", c.list_tags_for_resource, resourceArn=A)
check("no tags: empty", r and r.get("tags", {}) == {}, r)
ok("tag bucket", c.tag_resource, resourceArn=A,
   tags={"team": "data", "env": "test"})
ok("tag table", c.tag_resource, resourceArn=orders_arn,
   tags={"pii": "no"})
ok("untag bucket", c.untag_resource, resourceArn=A, tagKeys=["env"])
r = ok("bucket tags", c.list_tags_for_resource, resourceArn=A)
check("bucket tags: team only", r and r["tags"] == {"team": "data"}, r)
r = ok("table tags", c.list_tags_for_resource, resourceArn=orders_arn)
check("table tags", r and r["tags"] == {"pii": "no"}, r)
fails("51 tags", "BadRequestException", 400, c.tag_resource,
      resourceArn=A, tags={"k%d" % i: "v" for i in range(51)})
fails("tags of an absent table", "NotFoundException", 404,
      c.list_tags_for_resource,
      resourceArn=A + "/table/00000000-0000-4000-8000-000000000000")
r = ok("create bucket with tags", c.create_table_bucket, name="tagged",
       tags={"owner": "me"})
r = ok("tags given at creation", c.list_tags_for_resource,
       resourceArn=arn("tagged"))
check("tags given at creation: kept", r and r["tags"] == {"owner": "me"},
      r)

# the catalog entry keeps what the API added when the table is updated

r = ok("token for a kept-members check", c.get_table_metadata_location,
       tableBucketARN=A, namespace="sales", name="orders")
ok("update after tagging", c.update_table_metadata_location,
   tableBucketARN=A, namespace="sales", name="orders",
   versionToken=r["versionToken"],
   metadataLocation=wh + "/metadata/00003-b.metadata.json")
r = ok("table tags after update", c.list_tags_for_resource,
       resourceArn=orders_arn)
check("tags survive a metadata location update",
      r and r["tags"] == {"pii": "no"}, r)

# rename

r = ok("token before rename", c.get_table, tableBucketARN=A,
       namespace="sales", name="raw")
raw_arn = r["tableARN"]
fails("rename with a stale token", "ConflictException", 409,
      c.rename_table, tableBucketARN=A, namespace="sales", name="raw",
      newName="raw2", versionToken="999")
fails("rename onto an existing table", "ConflictException", 409,
      c.rename_table, tableBucketARN=A, namespace="sales", name="raw",
      newName="orders")
fails("rename into an absent namespace", "NotFoundException", 404,
      c.rename_table, tableBucketARN=A, namespace="sales", name="raw",
      newNamespaceName="nothing")
ok("rename table", c.rename_table, tableBucketARN=A, namespace="sales",
   name="raw", newName="landing", newNamespaceName="ops",
   versionToken=r["versionToken"])
fails("old name gone", "NotFoundException", 404, c.get_table,
      tableBucketARN=A, namespace="sales", name="raw")
r = ok("new name", c.get_table, tableBucketARN=A, namespace="ops",
       name="landing")
check("renamed table keeps its ARN", r and r["tableARN"] == raw_arn, r)

# a rename racing with metadata location updates: an acknowledged
# update is never lost with the old entry

for rnd in range(3):
    ok("rename race %d: table" % rnd, c.create_table, tableBucketARN=A,
       namespace="ops", name="mv", format="ICEBERG")
    m0 = c.get_table_metadata_location(tableBucketARN=A, namespace="ops",
                                       name="mv")
    got = []

    def upd(i):
        cl = tables(path)
        r, e = call(cl.update_table_metadata_location, tableBucketARN=A,
                    namespace="ops", name="mv",
                    versionToken=m0["versionToken"],
                    metadataLocation=m0["warehouseLocation"]
                    + "/metadata/00001-u%d.metadata.json" % i)
        got.append(("update", i, r and r["metadataLocation"], e and e[:2]))

    def mv():
        cl = tables(path)
        r, e = call(cl.rename_table, tableBucketARN=A, namespace="ops",
                    name="mv", newName="moved")
        got.append(("rename", e and e[:2]))

    th = [threading.Thread(target=upd, args=(i,)) for i in range(3)]
    th.insert(1, threading.Thread(target=mv))
    for t in th:
        t.start()
    for t in th:
        t.join()

    won = [g[2] for g in got if g[0] == "update" and g[2]]
    renamed = [g for g in got if g[0] == "rename" and g[1] is None]
    where = "moved" if renamed else "mv"
    r = ok("rename race %d: the table" % rnd, c.get_table_metadata_location,
           tableBucketARN=A, namespace="ops", name=where)
    check("rename race %d: at most one update won" % rnd, len(won) <= 1,
          got)
    check("rename race %d: the acknowledged update is the table's" % rnd,
          r and (not won or r.get("metadataLocation") == won[0]),
          (got, r))
    check("rename race %d: the other name is gone" % rnd,
          call(c.get_table, tableBucketARN=A, namespace="ops",
               name="mv" if renamed else "moved")[1] is not None, got)
    ok("rename race %d: clean up" % rnd, c.delete_table, tableBucketARN=A,
       namespace="ops", name=where)

# a namespace deleted while tables are created in it: never a table
# without its namespace, nor a namespace deleted under a table

RA = arn("race")
ok("race: bucket", c.create_table_bucket, name="race")
outcomes = []
for rnd in range(4):
    ok("race %d: namespace" % rnd, c.create_namespace, tableBucketARN=RA,
       namespace=["r"])

    def create(i):
        cl = tables(path)
        r, e = call(cl.create_table, tableBucketARN=RA, namespace="r",
                    name="t%d" % i, format="ICEBERG")
        outcomes.append(("create", rnd, i, e and e[:2]))

    def drop():
        cl = tables(path)
        r, e = call(cl.delete_namespace, tableBucketARN=RA, namespace="r")
        outcomes.append(("drop", rnd, e and e[:2]))

    th = [threading.Thread(target=create, args=(i,)) for i in range(4)]
    th.insert(2, threading.Thread(target=drop))
    for t in th:
        t.start()
    for t in th:
        t.join()

    keys = [k for k, _ in state_keys("icetap/catalog/race/")]
    tables_left = [k for k in keys if k.count("/") == 4]
    check("race %d: every table has its namespace" % rnd,
          not tables_left or "icetap/catalog/race/r.json" in keys,
          (keys, outcomes))
    check("race %d: answers are 2xx, 404 or 409" % rnd,
          all(o[-1] is None or tuple(o[-1]) in (("NotFoundException", 404),
                                                ("ConflictException", 409))
              for o in outcomes), outcomes)
    r = ok("race %d: tables" % rnd, c.list_tables, tableBucketARN=RA)
    for t in (r["tables"] if r else []):
        ok("race %d: clean up %s" % (rnd, t["name"]), c.delete_table,
           tableBucketARN=RA, namespace="r", name=t["name"])
    call(c.delete_namespace, tableBucketARN=RA, namespace="r")
    outcomes = []
ok("race: delete bucket", c.delete_table_bucket, tableBucketARN=RA)

# deletes

fails("delete non-empty namespace", "ConflictException", 409,
      c.delete_namespace, tableBucketARN=A, namespace="sales")
fails("delete non-empty bucket", "ConflictException", 409,
      c.delete_table_bucket, tableBucketARN=A)
fails("delete table with a stale token", "ConflictException", 409,
      c.delete_table, tableBucketARN=A, namespace="sales", name="orders",
      versionToken="1")

wh_prefix = wh.split("/", 3)[3] + "/"
check("the table's files are in the store before the delete",
      state_keys(wh_prefix), wh_prefix)
r = ok("token before delete", c.get_table, tableBucketARN=A,
       namespace="sales", name="orders")
ok("delete table", c.delete_table, tableBucketARN=A, namespace="sales",
   name="orders", versionToken=r["versionToken"])
fails("deleted table", "NotFoundException", 404, c.get_table,
      tableBucketARN=A, namespace="sales", name="orders")
check("the table's files are deleted", state_keys(wh_prefix) == [],
      state_keys(wh_prefix))
check("its job status record is deleted",
      state_keys("icetap/jobs/") == [], state_keys("icetap/jobs/"))

for ns, name in (("sales", "events"), ("ops", "later"),
                 ("ops", "landing"), ("marketing", "campaigns")):
    ok("delete table %s.%s" % (ns, name), c.delete_table, tableBucketARN=A,
       namespace=ns, name=name)
for ns in ("sales", "ops", "marketing"):
    ok("delete namespace " + ns, c.delete_namespace, tableBucketARN=A,
       namespace=ns)
fails("deleted namespace", "NotFoundException", 404, c.get_namespace,
      tableBucketARN=A, namespace="sales")
for b in ("analytics", "b-two", "b-three", "tagged"):
    ok("delete bucket " + b, c.delete_table_bucket, tableBucketARN=arn(b))
fails("deleted bucket", "NotFoundException", 404, c.get_table_bucket,
      tableBucketARN=A)
r = ok("list after the deletes", c.list_table_buckets, type="customer")
check("no customer bucket left", r and r["tableBuckets"] == [], r)
check("nothing left in the catalog but managed entries",
      [k for k, _ in state_keys("icetap/catalog/")
       if not k.startswith("icetap/catalog/aws-s3")] == [],
      state_keys("icetap/catalog/"))

done()
