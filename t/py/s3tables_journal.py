"""The journal's tables in the managed table bucket aws-s3, through the
S3 Tables API: listed and readable, never writable.

usage: s3tables_journal.py LOCATION_PATH

Creates a bucket and its S3 Metadata configuration through the gateway,
writes an object, waits for the journal table "journal" in namespace
b_<bucket> of aws-s3, then reads it every way and tries every write.
Prints {"checks": [...]}.
"""

import sys
import time

from icetap_test import client
from s3tables_test import (arn, call, check, done, ensure_state, fails, ok,
                           tables)

path = sys.argv[1] if len(sys.argv) > 1 else ""
c = tables(path)
ensure_state()

gw = client("gw")
gw.create_bucket(Bucket="photos")
gw.create_bucket_metadata_configuration(
    Bucket="photos", MetadataConfiguration={"JournalTableConfiguration": {
        "RecordExpiration": {"Expiration": "DISABLED"}}})
gw.put_object(Bucket="photos", Key="cat.jpg", Body=b"meow")

AWS = arn("aws-s3")
found = None
deadline = time.time() + 60
while time.time() < deadline:
    r, e = call(c.list_tables, tableBucketARN=AWS)
    found = r and [t for t in r["tables"] if t["namespace"] == ["b_photos"]
                   and t["name"] == "journal"]
    if found:
        break
    time.sleep(0.5)

check("the journal table is listed in aws-s3", found, found)

r = ok("list buckets of type aws", c.list_table_buckets, type="aws")
check("aws-s3 is a bucket of type aws",
      r and [(b["name"], b["type"]) for b in r["tableBuckets"]]
      == [("aws-s3", "aws")], r)
r = ok("list customer buckets", c.list_table_buckets, type="customer")
check("aws-s3 is not a customer bucket",
      r and all(b["name"] != "aws-s3" for b in r["tableBuckets"]), r)
r = ok("get aws-s3", c.get_table_bucket, tableBucketARN=AWS)
check("aws-s3: type aws", r and r["type"] == "aws" and r["arn"] == AWS, r)
r = ok("namespaces of aws-s3", c.list_namespaces, tableBucketARN=AWS)
check("namespace b_photos",
      r and ["b_photos"] in [n["namespace"] for n in r["namespaces"]], r)
ok("get namespace b_photos", c.get_namespace, tableBucketARN=AWS,
   namespace="b_photos")

r = ok("get the journal table", c.get_table, tableBucketARN=AWS,
       namespace="b_photos", name="journal")
check("journal: type aws, managed by icetap, with metadata",
      r and r["type"] == "aws" and r.get("managedByService")
      and r.get("metadataLocation", "").endswith(".metadata.json")
      and r["metadataLocation"].startswith(r["warehouseLocation"] + "/"),
      r)
table_arn = r and r["tableARN"]
r2 = ok("get the journal table by ARN", c.get_table, tableArn=table_arn)
check("by ARN: the same table", r2 and r2["name"] == "journal", r2)
loc = ok("journal metadata location", c.get_table_metadata_location,
         tableBucketARN=AWS, namespace="b_photos", name="journal")
ok("journal maintenance configuration",
   c.get_table_maintenance_configuration, tableBucketARN=AWS,
   namespace="b_photos", name="journal")
ok("journal job status", c.get_table_maintenance_job_status,
   tableBucketARN=AWS, namespace="b_photos", name="journal")
ok("journal encryption", c.get_table_encryption, tableBucketARN=AWS,
   namespace="b_photos", name="journal")
ok("journal tags", c.list_tags_for_resource, resourceArn=table_arn)

# no write, whoever asks: the configuration allows the key everything

T = {"tableBucketARN": AWS, "namespace": "b_photos", "name": "journal"}
D = "AccessDeniedException"

fails("delete the journal table", D, 403, c.delete_table, **T)
fails("update its metadata location", D, 403,
      c.update_table_metadata_location, versionToken=loc["versionToken"],
      metadataLocation=loc["warehouseLocation"]
      + "/metadata/99999-x.metadata.json", **T)
fails("rename it", D, 403, c.rename_table, newName="mine", **T)
fails("put its policy", D, 403, c.put_table_policy,
      resourcePolicy='{"Statement":[{"Effect":"Allow","Principal":"*",'
      '"Action":"*","Resource":"*"}]}', **T)
fails("put its maintenance", D, 403,
      c.put_table_maintenance_configuration, type="icebergCompaction",
      value={"status": "disabled"}, **T)
fails("tag it", D, 403, c.tag_resource, resourceArn=table_arn,
      tags={"a": "b"})
fails("create a table in aws-s3", D, 403, c.create_table,
      tableBucketARN=AWS, namespace="b_photos", name="other",
      format="ICEBERG")
fails("create a namespace in aws-s3", D, 403, c.create_namespace,
      tableBucketARN=AWS, namespace=["mine"])
fails("delete namespace b_photos", D, 403, c.delete_namespace,
      tableBucketARN=AWS, namespace="b_photos")
fails("delete aws-s3", D, 403, c.delete_table_bucket, tableBucketARN=AWS)
fails("put aws-s3 policy", D, 403, c.put_table_bucket_policy,
      tableBucketARN=AWS,
      resourcePolicy='{"Statement":[{"Effect":"Allow","Principal":"*",'
      '"Action":"*","Resource":"*"}]}')
fails("put aws-s3 maintenance", D, 403,
      c.put_table_bucket_maintenance_configuration, tableBucketARN=AWS,
      type="icebergUnreferencedFileRemoval", value={"status": "disabled"})
fails("put aws-s3 encryption", D, 403, c.put_table_bucket_encryption,
      tableBucketARN=AWS, encryptionConfiguration={"sseAlgorithm":
                                                   "AES256"})
fails("create a bucket named aws-s3", "BadRequestException", 400,
      c.create_table_bucket, name="aws-s3")

r = ok("the journal table after the attempts", c.get_table, **T)
check("still there, same ARN", r and r["tableARN"] == table_arn, r)
check("its metadata location was not set by the attempt",
      r and not r["metadataLocation"].endswith("/99999-x.metadata.json"),
      r)

done()
