"""Prints what the harness hands to client scripts, after one PutObject
through the gateway (used by t/004-env.t)."""

import json
import os
import sys

import icetap_test as it

c = it.client("gw")
c.create_bucket(Bucket=sys.argv[1])
r = c.put_object(Bucket=sys.argv[1], Key="probe", Body=b"probe")
json.dump({"status": r["ResponseMetadata"]["HTTPStatusCode"],
           "args": sys.argv[1:],
           "env": {k: os.environ.get(k) for k in (
               "ICETAP_ENDPOINT", "ICETAP_S3_ENDPOINT", "ICETAP_WAL_DIR",
               "AWS_ACCESS_KEY_ID", "AWS_EC2_METADATA_DISABLED")}},
          sys.stdout)
