"""The S3 Metadata configuration API through the gateway with boto3.

usage: mdconf_lifecycle.py STYLE PREFIX STATE_BUCKET

Runs the V2 lifecycle (create, get, updates, delete) and the V1 one on
buckets named PREFIX-..., created directly in the store, with STYLE
("path" or "virtual") addressing.  After every step it reads the
configuration document straight from the store (STATE_BUCKET, the
icetap_store bucket).  Prints one JSON object: step name -> {"ok": result}
or {"error": code, "status": http status}, plus "doc <step>" entries.
"""

import json
import sys

from botocore.exceptions import ClientError

from icetap_test import client

style, prefix, state = sys.argv[1], sys.argv[2], sys.argv[3]

gw = client("gw", style)
s3 = client("s3")
out = {}


def step(name, fn, **kw):
    try:
        r = fn(**kw)
        r.pop("ResponseMetadata", None)
        out[name] = {"ok": r}
    except ClientError as e:
        out[name] = {"error": e.response["Error"].get("Code"),
                     "message": e.response["Error"].get("Message"),
                     "status": e.response["ResponseMetadata"]
                     ["HTTPStatusCode"]}


def doc(name, bucket):
    key = "icetap/config/buckets/%s/metadata.json" % bucket
    try:
        body = s3.get_object(Bucket=state, Key=key)["Body"].read()
        out["doc " + name] = json.loads(body)
    except ClientError as e:
        out["doc " + name] = e.response["Error"]["Code"]


b = prefix + "-v2"
v1 = prefix + "-v1"
s3.create_bucket(Bucket=b)
s3.create_bucket(Bucket=v1)

step("get none", gw.get_bucket_metadata_configuration, Bucket=b)
step("delete none", gw.delete_bucket_metadata_configuration, Bucket=b)

step("create", gw.create_bucket_metadata_configuration, Bucket=b,
     MetadataConfiguration={
         "JournalTableConfiguration": {
             "RecordExpiration": {"Expiration": "ENABLED", "Days": 30}},
         "InventoryTableConfiguration": {
             "ConfigurationState": "ENABLED",
             "EncryptionConfiguration": {"SseAlgorithm": "AES256"}}})
doc("create", b)
step("get", gw.get_bucket_metadata_configuration, Bucket=b)

step("create again", gw.create_bucket_metadata_configuration, Bucket=b,
     MetadataConfiguration={
         "JournalTableConfiguration": {
             "RecordExpiration": {"Expiration": "DISABLED"}}})

step("journal 90", gw.update_bucket_metadata_journal_table_configuration,
     Bucket=b, JournalTableConfiguration={
         "RecordExpiration": {"Expiration": "ENABLED", "Days": 90}})
doc("journal 90", b)
step("get journal 90", gw.get_bucket_metadata_configuration, Bucket=b)

step("journal off", gw.update_bucket_metadata_journal_table_configuration,
     Bucket=b, JournalTableConfiguration={
         "RecordExpiration": {"Expiration": "DISABLED"}})
step("get journal off", gw.get_bucket_metadata_configuration, Bucket=b)

step("inventory off",
     gw.update_bucket_metadata_inventory_table_configuration, Bucket=b,
     InventoryTableConfiguration={"ConfigurationState": "DISABLED"})
doc("inventory off", b)
step("get inventory off", gw.get_bucket_metadata_configuration, Bucket=b)

step("inventory on",
     gw.update_bucket_metadata_inventory_table_configuration, Bucket=b,
     InventoryTableConfiguration={"ConfigurationState": "ENABLED"})
doc("inventory on", b)
step("get inventory on", gw.get_bucket_metadata_configuration, Bucket=b)

step("v1 get of v2", gw.get_bucket_metadata_table_configuration, Bucket=b)
step("v1 delete of v2", gw.delete_bucket_metadata_table_configuration,
     Bucket=b)

step("delete", gw.delete_bucket_metadata_configuration, Bucket=b)
doc("delete", b)
step("get deleted", gw.get_bucket_metadata_configuration, Bucket=b)
step("journal deleted",
     gw.update_bucket_metadata_journal_table_configuration, Bucket=b,
     JournalTableConfiguration={
         "RecordExpiration": {"Expiration": "DISABLED"}})

step("recreate", gw.create_bucket_metadata_configuration, Bucket=b,
     MetadataConfiguration={
         "JournalTableConfiguration": {
             "RecordExpiration": {"Expiration": "DISABLED"}}})
doc("recreate", b)
step("get recreated", gw.get_bucket_metadata_configuration, Bucket=b)

# V1

tb = "arn:aws:s3tables:us-east-1:111122223333:bucket/analytics"

step("v1 get none", gw.get_bucket_metadata_table_configuration, Bucket=v1)
step("v1 create", gw.create_bucket_metadata_table_configuration, Bucket=v1,
     MetadataTableConfiguration={"S3TablesDestination": {
         "TableBucketArn": tb, "TableName": "photos_journal"}})
doc("v1 create", v1)
step("v1 create again", gw.create_bucket_metadata_table_configuration,
     Bucket=v1, MetadataTableConfiguration={"S3TablesDestination": {
         "TableBucketArn": tb, "TableName": "other"}})
step("v1 get", gw.get_bucket_metadata_table_configuration, Bucket=v1)
step("v2 get of v1", gw.get_bucket_metadata_configuration, Bucket=v1)
step("journal of v1", gw.update_bucket_metadata_journal_table_configuration,
     Bucket=v1, JournalTableConfiguration={
         "RecordExpiration": {"Expiration": "DISABLED"}})
step("v1 delete", gw.delete_bucket_metadata_table_configuration, Bucket=v1)
doc("v1 delete", v1)
step("v1 get deleted", gw.get_bucket_metadata_table_configuration,
     Bucket=v1)

# a bucket the store does not have

step("no bucket", gw.create_bucket_metadata_configuration,
     Bucket=prefix + "-missing", MetadataConfiguration={
         "JournalTableConfiguration": {
             "RecordExpiration": {"Expiration": "DISABLED"}}})
step("no bucket get", gw.get_bucket_metadata_configuration,
     Bucket=prefix + "-missing")

print(json.dumps(out, default=str, sort_keys=True))
