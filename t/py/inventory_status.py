#!/usr/bin/env python3
"""The inventory part of GetBucketMetadataConfiguration, through the
gateway, for each bucket given.

usage: inventory_status.py BUCKET...

Prints {"<bucket>": {"ConfigurationState": ..., "TableStatus": ...,
"TableName": ..., "TableArn": ..., "Error": ...}, ...}.
"""

import json
import sys

from icetap_test import client

gw = client('gw')
out = {}
for b in sys.argv[1:]:
    r = gw.get_bucket_metadata_configuration(Bucket=b)
    out[b] = r['GetBucketMetadataConfigurationResult'][
        'MetadataConfigurationResult'].get(
        'InventoryTableConfigurationResult')
print(json.dumps(out))
