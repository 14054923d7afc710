"""Who may use the metadata configuration API of the gateway.

usage: mdconf_auth.py BUCKET FILE_KEY FILE_SECRET

BUCKET exists in the store.  FILE_KEY/FILE_SECRET come from the
gateway's icetap_access_key_file; the harness key is declared with
icetap_access_key.  Prints one JSON object: case -> "ok" or
{"error": code, "status": status} (presigned cases: the HTTP status and
the error code or body).
"""

import json
import os
import sys
import time
import urllib.error
import urllib.request

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from icetap_test import endpoint

bucket, file_key, file_secret = sys.argv[1], sys.argv[2], sys.argv[3]
out = {}


def gw(key=None, secret=None, region="us-east-1", signed=True, sig="s3v4"):
    cfg = Config(s3={"addressing_style": "path"},
                 retries={"max_attempts": 1, "mode": "standard"},
                 signature_version=sig if signed else UNSIGNED)
    return boto3.client(
        "s3", endpoint_url=endpoint("gw"), region_name=region, config=cfg,
        aws_access_key_id=key or os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=secret or os.environ["AWS_SECRET_ACCESS_KEY"])


def call(name, fn, **kw):
    try:
        fn(**kw)
        out[name] = "ok"
    except ClientError as e:
        out[name] = {"error": e.response["Error"].get("Code"),
                     "status": e.response["ResponseMetadata"]
                     ["HTTPStatusCode"]}


def fetch(name, url, method="GET"):
    try:
        with urllib.request.urlopen(urllib.request.Request(
                url, method=method)) as r:
            out[name] = {"status": r.status, "body": r.read().decode()}
    except urllib.error.HTTPError as e:
        body = e.read().decode()
        code = body.split("<Code>")[1].split("</Code>")[0] \
            if "<Code>" in body else body
        out[name] = {"status": e.code, "error": code}


conf = {"JournalTableConfiguration": {
    "RecordExpiration": {"Expiration": "ENABLED", "Days": 7}}}

call("wrong secret", gw(secret="not-the-secret")
     .create_bucket_metadata_configuration, Bucket=bucket,
     MetadataConfiguration=conf)
call("unknown key", gw(key="AKIAUNKNOWNKEY000000", secret="x")
     .create_bucket_metadata_configuration, Bucket=bucket,
     MetadataConfiguration=conf)
call("unsigned", gw(signed=False).create_bucket_metadata_configuration,
     Bucket=bucket, MetadataConfiguration=conf)
call("unsigned get", gw(signed=False).get_bucket_metadata_configuration,
     Bucket=bucket)
call("other region", gw(region="eu-west-1")
     .create_bucket_metadata_configuration, Bucket=bucket,
     MetadataConfiguration=conf)
call("get after refusals", gw().get_bucket_metadata_configuration,
     Bucket=bucket)

call("file key create", gw(file_key, file_secret)
     .create_bucket_metadata_configuration, Bucket=bucket,
     MetadataConfiguration=conf)
call("harness key update",
     gw().update_bucket_metadata_journal_table_configuration,
     Bucket=bucket, JournalTableConfiguration={
         "RecordExpiration": {"Expiration": "ENABLED", "Days": 8}})

# presigned URLs, as a browser or curl would use them

url = gw().generate_presigned_url("get_bucket_metadata_configuration",
                                  Params={"Bucket": bucket}, ExpiresIn=300)
fetch("presigned get", url)
fetch("presigned get tampered", url.replace("metadataConfiguration",
                                            "metadataConfiguration&x=1"))
fetch("presigned get as delete", url, method="DELETE")

url = gw(secret="not-the-secret").generate_presigned_url(
    "get_bucket_metadata_configuration", Params={"Bucket": bucket},
    ExpiresIn=300)
fetch("presigned wrong secret", url)

url = gw().generate_presigned_url("get_bucket_metadata_configuration",
                                  Params={"Bucket": bucket}, ExpiresIn=1)
time.sleep(2.2)
fetch("presigned expired", url)

# SigV2 query authentication is not accepted

url = gw(sig="s3").generate_presigned_url(
    "get_bucket_metadata_configuration", Params={"Bucket": bucket},
    ExpiresIn=300)
fetch("presigned sigv2", url)

url = gw().generate_presigned_url("delete_bucket_metadata_configuration",
                                  Params={"Bucket": bucket}, ExpiresIn=300)
fetch("presigned delete", url, method="DELETE")
call("get after presigned delete", gw().get_bucket_metadata_configuration,
     Bucket=bucket)

print(json.dumps(out, sort_keys=True))
