"""Catalog documents of the maintenance suites, read and written with boto3
in the store directly (the S3 Tables API writes the same members):

  maint_catalog.py ENDPOINT BUCKET set KEY MEMBER JSON   one member of KEY
  maint_catalog.py ENDPOINT BUCKET get KEY               the document
  maint_catalog.py ENDPOINT BUCKET list PREFIX           keys, JSON array
  maint_catalog.py ENDPOINT BUCKET public                anonymous reads
"""

import json
import sys

import boto3


def main():
    endpoint, bucket, cmd = sys.argv[1:4]
    s3 = boto3.client('s3', endpoint_url=endpoint)

    if cmd == 'set':
        key, member, value = sys.argv[4:7]
        doc = json.loads(s3.get_object(Bucket=bucket, Key=key)['Body'].read())
        doc[member] = json.loads(value)
        s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(doc).encode())
    elif cmd == 'get':
        try:
            body = s3.get_object(Bucket=bucket, Key=sys.argv[4])['Body']
            print(body.read().decode())
        except s3.exceptions.NoSuchKey:
            print('null')
    elif cmd == 'list':
        keys = []
        for page in s3.get_paginator('list_objects_v2').paginate(
                Bucket=bucket, Prefix=sys.argv[4]):
            keys += [o['Key'] for o in page.get('Contents', [])]
        print(json.dumps(keys))
    elif cmd == 'public':
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
            'Version': '2012-10-17',
            'Statement': [{'Effect': 'Allow', 'Principal': '*',
                           'Action': 's3:GetObject',
                           'Resource': 'arn:aws:s3:::%s/*' % bucket}]}))
    else:
        sys.exit('maint_catalog.py: unknown command ' + cmd)


if __name__ == '__main__':
    main()
