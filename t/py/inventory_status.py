#!/usr/bin/env python3
"""The inventory part of GetBucketMetadataConfiguration, through the
gateway, for each bucket given.

usage: inventory_status.py [--set ENABLED|DISABLED] BUCKET...

With --set, UpdateBucketMetadataInventoryTableConfiguration first.

Prints {"<bucket>": {"ConfigurationState": ..., "TableStatus": ...,
"TableName": ..., "TableArn": ..., "Error": ...}, ...}.
"""

import json
import sys

from icetap_test import client

gw = client('gw')
args = sys.argv[1:]
state = None
if args[:1] == ['--set']:
    state, args = args[1], args[2:]
out = {}
for b in args:
    if state:
        gw.update_bucket_metadata_inventory_table_configuration(
            Bucket=b, InventoryTableConfiguration={
                'ConfigurationState': state})
    r = gw.get_bucket_metadata_configuration(Bucket=b)
    out[b] = r['GetBucketMetadataConfigurationResult'][
        'MetadataConfigurationResult'].get(
        'InventoryTableConfigurationResult')
print(json.dumps(out))
