#!/usr/bin/env python3
"""Against a moto store that checks signatures (INITIAL_NO_AUTH_ACTION_COUNT
set): make an IAM user with keys straight at the store, then send mutations
through the gateway with good, wrong and unknown credentials and no
credentials at all.  Prints JSON: the access key id and each outcome."""

import json
import os

import boto3
import botocore
from botocore import UNSIGNED
from botocore.config import Config

store = os.environ['ICETAP_S3_ENDPOINT']
gw = os.environ['ICETAP_ENDPOINT']
region = 'us-east-1'

iam = boto3.client('iam', endpoint_url=store, region_name=region,
                   aws_access_key_id='bootstrap', aws_secret_access_key='x')
iam.create_user(UserName='tapper')
iam.put_user_policy(UserName='tapper', PolicyName='all', PolicyDocument=json.dumps({
    'Version': '2012-10-17',
    'Statement': [{'Effect': 'Allow', 'Action': '*', 'Resource': '*'}]}))
key = iam.create_access_key(UserName='tapper')['AccessKey']

cfg = Config(s3={'addressing_style': 'path'}, retries={'total_max_attempts': 1})


def client(akid, secret, signed=True):
    kw = dict(endpoint_url=gw, region_name=region, config=cfg)
    if signed:
        kw.update(aws_access_key_id=akid, aws_secret_access_key=secret)
    else:
        kw.update(config=cfg.merge(Config(signature_version=UNSIGNED)))
    return boto3.client('s3', **kw)


good = client(key['AccessKeyId'], key['SecretAccessKey'])
wrong = client(key['AccessKeyId'], 'not-the-secret')
unknown = client('AKIAUNKNOWN000000000', 'whatever')
anon = client(None, None, signed=False)

out = {'akid': key['AccessKeyId']}


def outcome(name, fn, **kw):
    try:
        fn(**kw)
        out[name] = 'ok'
    except botocore.exceptions.ClientError as e:
        out[name] = e.response['Error']['Code']


outcome('create_bucket', good.create_bucket, Bucket='authbkt')
outcome('put_good', good.put_object, Bucket='authbkt', Key='good', Body=b'1')
outcome('put_wrong_secret', wrong.put_object, Bucket='authbkt', Key='w', Body=b'2')
outcome('put_unknown_key', unknown.put_object, Bucket='authbkt', Key='u', Body=b'3')
outcome('put_anonymous', anon.put_object, Bucket='authbkt', Key='a', Body=b'4')
outcome('delete_wrong_secret', wrong.delete_object, Bucket='authbkt', Key='good')
outcome('tag_unknown_key', unknown.put_object_tagging, Bucket='authbkt',
        Key='good', Tagging={'TagSet': [{'Key': 'k', 'Value': 'v'}]})
outcome('put_if_none_match', good.put_object, Bucket='authbkt', Key='good',
        Body=b'5', IfNoneMatch='*')
outcome('delete_good', good.delete_object, Bucket='authbkt', Key='good')

print(json.dumps(out))
