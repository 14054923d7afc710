"""make demo: table buckets through the S3 Tables API (boto3 s3tables,
unchanged) and the Iceberg REST catalog (SigV4-signed requests as
PyIceberg sends them), both answered by icetap.

usage: demo_tables.py TABLES_PORT
"""

import json
import sys
import time
import urllib.parse
import urllib.request

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.session import Session

port = int(sys.argv[1])
base = "http://127.0.0.1:%d" % port
t = boto3.client("s3tables", endpoint_url=base, region_name="us-east-1")
creds = Session().get_credentials()


def show(cmd, value):
    print("$ " + cmd)
    print("    " + json.dumps(value, default=str)[:300])


def rest(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = AWSRequest(method=method, url=base + "/iceberg" + path, data=data,
                     headers={"Content-Type": "application/json"})
    SigV4Auth(creds, "s3tables", "us-east-1").add_auth(req)
    r = urllib.request.Request(req.url, data=data, method=method,
                               headers=dict(req.headers))
    with urllib.request.urlopen(r) as resp:
        return json.loads(resp.read() or b"null")


arn = t.create_table_bucket(name="analytics")["arn"]
show("s3tables.create_table_bucket(name='analytics')", arn)
t.create_namespace(tableBucketARN=arn, namespace=["sales"])
t.create_table(tableBucketARN=arn, namespace="sales", name="orders",
               format="ICEBERG", metadata={"iceberg": {"schema": {"fields": [
                   {"name": "id", "type": "long", "required": True},
                   {"name": "amount", "type": "double"},
                   {"name": "placed", "type": "timestamp"}]}}})
loc = t.get_table_metadata_location(tableBucketARN=arn, namespace="sales",
                                    name="orders")
show("s3tables.create_table(... 'sales', 'orders') then "
     "get_table_metadata_location",
     {k: loc[k] for k in ("versionToken", "metadataLocation")})
show("s3tables.list_table_buckets()",
     [b["name"] for b in t.list_table_buckets()["tableBuckets"]])

aws = "arn:aws:s3tables:us-east-1:111122223333:bucket/aws-s3"
tables = t.list_tables(tableBucketARN=aws)["tables"]
show("s3tables.list_tables(aws-s3)   (icetap's metadata tables)",
     [(x["namespace"], x["name"]) for x in tables])
try:
    t.delete_table(tableBucketARN=aws, namespace=tables[0]["namespace"][0],
                   name=tables[0]["name"])
except t.exceptions.ClientError as e:
    show("s3tables.delete_table(aws-s3 journal)",
         e.response["Error"]["Code"] + ": read-only to every client")

prefix = urllib.parse.quote(arn, safe="")
show("GET /iceberg/v1/config?warehouse=<ARN>",
     rest("GET", "/v1/config?warehouse=" + urllib.parse.quote(arn, safe=""))
     ["overrides"])
show("GET /iceberg/v1/<prefix>/namespaces/sales/tables",
     rest("GET", "/v1/%s/namespaces/sales/tables" % prefix)["identifiers"])
lt = rest("GET", "/v1/%s/namespaces/sales/tables/orders" % prefix)
r = rest("POST", "/v1/%s/namespaces/sales/tables/orders" % prefix, {
    "identifier": {"namespace": ["sales"], "name": "orders"},
    "requirements": [{"type": "assert-table-uuid",
                      "uuid": lt["metadata"]["table-uuid"]}],
    "updates": [{"action": "set-properties",
                 "updates": {"owner": "demo"}}]})
show("POST /iceberg/v1/<prefix>/namespaces/sales/tables/orders   "
     "(commit: set-properties)",
     {"metadata-location": r["metadata-location"],
      "properties": r["metadata"]["properties"]})
loc = t.get_table_metadata_location(tableBucketARN=arn, namespace="sales",
                                    name="orders")
show("s3tables.get_table_metadata_location   (the same pointer, swapped)",
     loc["versionToken"])

ns = tables[0]["namespace"][0]
for i in range(60):
    st = t.get_table_maintenance_job_status(tableBucketARN=aws, namespace=ns,
                                            name="journal")["status"]
    if st.get("icebergCompaction", {}).get("status") == "Successful":
        break
    time.sleep(0.5)
show("s3tables.get_table_maintenance_job_status(aws-s3 journal)   "
     "(the maintenance plugin)",
     {k: v.get("status") for k, v in st.items()})
