#!/usr/bin/env python3
"""Downloads a metadata table from the store, without icetap: its catalog
entry, then every object under its warehouse location.

usage: inventory_fetch.py STATE_BUCKET NAMESPACE TABLE DIR

Prints {"entry": the catalog entry, "metadata": local path of the current
metadata file, "prefix": "s3://STATE_BUCKET/", "dir": DIR}.
"""

import json
import os
import sys

from icetap_test import client

state, ns, table, out = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
s3 = client('s3')

key = 'icetap/catalog/aws-s3/%s/%s.json' % (ns, table)
entry = json.loads(s3.get_object(Bucket=state, Key=key)['Body'].read())
loc = entry['warehouse_location']
prefix = 's3://%s/' % state
assert loc.startswith(prefix), loc

pages = s3.get_paginator('list_objects_v2').paginate(
    Bucket=state, Prefix=loc[len(prefix):] + '/')
for page in pages:
    for o in page.get('Contents', []):
        path = os.path.join(out, o['Key'])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        s3.download_file(state, o['Key'], path)

md = os.path.join(out, entry['metadata_location'][len(prefix):])
print(json.dumps({'entry': entry, 'metadata': md, 'prefix': prefix,
                  'dir': out}))
