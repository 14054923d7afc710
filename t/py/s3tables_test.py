"""Helpers of the S3 Tables API scenarios (t/060-062).

Each scenario records checks as [name, passed, detail] and prints
{"checks": [...]} as JSON; the Perl suite turns each into a test.
"""

import json
import os
import sys
import traceback

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from icetap_test import endpoint

STATE = os.environ.get("ICETAP_STATE_BUCKET", "icetap-state")
REGION = "us-east-1"
ACCOUNT = "111122223333"

checks = []


def arn(bucket):
    return "arn:aws:s3tables:%s:%s:bucket/%s" % (REGION, ACCOUNT, bucket)


def tables(path="", key=None, secret=None, signed=True, region=REGION):
    """A boto3 s3tables client for the gateway (path: the location)."""
    cfg = Config(retries={"max_attempts": 1, "mode": "standard"},
                 connect_timeout=10, read_timeout=60,
                 parameter_validation=False,
                 signature_version=None if signed else UNSIGNED)
    return boto3.client(
        "s3tables", endpoint_url=endpoint("gw") + path, region_name=region,
        config=cfg,
        aws_access_key_id=key or os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=secret or os.environ["AWS_SECRET_ACCESS_KEY"])


def store():
    """boto3 S3 straight to the store, to see what icetap wrote."""
    cfg = Config(s3={"addressing_style": "path"},
                 retries={"max_attempts": 1, "mode": "standard"})
    return boto3.client("s3", endpoint_url=endpoint("s3"),
                        region_name=REGION, config=cfg)


def ensure_state():
    s3 = store()
    try:
        s3.create_bucket(Bucket=STATE)
    except ClientError as e:
        if e.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou",
                                               "BucketAlreadyExists"):
            raise


def state_keys(prefix="icetap/"):
    s3 = store()
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=STATE, Prefix=prefix):
        keys += [(o["Key"], o["ETag"]) for o in page.get("Contents", [])]
    return sorted(keys)


def check(name, cond, detail=None):
    checks.append([name, bool(cond), None if cond else detail])
    return cond


def call(_fn, **kw):
    """(response, None) or (None, (code, status, message))."""
    try:
        return _fn(**kw), None
    except ClientError as e:
        return None, (e.response["Error"].get("Code"),
                      e.response["ResponseMetadata"]["HTTPStatusCode"],
                      e.response["Error"].get("Message"))


def ok(_what, _fn, **kw):
    r, e = call(_fn, **kw)
    check(_what, e is None, e)
    return r


def fails(_what, _code, _status, _fn, **kw):
    r, e = call(_fn, **kw)
    check("%s: %d %s" % (_what, _status, _code),
          e is not None and e[0] == _code and e[1] == _status,
          e if e else "succeeded: %r" % (r,))
    return e


def done():
    print(json.dumps({"checks": checks}, default=str))
    sys.exit(0)


def _abort(kind, value, tb):
    """A scenario that stops early fails a check and still reports."""
    check("the scenario runs to its end", False,
          "".join(traceback.format_exception(kind, value, tb)))
    done()


sys.excepthook = _abort
