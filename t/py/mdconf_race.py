"""Concurrent metadata configuration requests through the gateway.

usage: mdconf_race.py BUCKET THREADS

1. THREADS clients create a configuration of BUCKET at once, each with
   its own record expiration (7 + i days).
2. With the inventory enabled, THREADS clients update the journal
   expiration (100 + i days) while one more disables the inventory.

Prints {"creates": [...], "updates": [...], "inventory": result,
"get": the final Get}; a result is "ok" or the error code.
"""

import json
import sys
import threading

from botocore.exceptions import ClientError

from icetap_test import client

bucket, n = sys.argv[1], int(sys.argv[2])
client("s3").create_bucket(Bucket=bucket)


def run(jobs):
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def worker(i, fn, kw):
        c = client("gw")
        barrier.wait()
        try:
            fn(c)(**kw)
            results[i] = "ok"
        except ClientError as e:
            results[i] = "%s %s" % (
                e.response["ResponseMetadata"]["HTTPStatusCode"],
                e.response["Error"].get("Code"))

    threads = [threading.Thread(target=worker, args=(i, fn, kw))
               for i, (fn, kw) in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def expiration(days):
    return {"RecordExpiration": {"Expiration": "ENABLED", "Days": days}}


creates = run([(lambda c: c.create_bucket_metadata_configuration,
                {"Bucket": bucket, "MetadataConfiguration": {
                    "JournalTableConfiguration": expiration(7 + i)}})
               for i in range(n)])

client("gw").update_bucket_metadata_inventory_table_configuration(
    Bucket=bucket,
    InventoryTableConfiguration={"ConfigurationState": "ENABLED"})

jobs = [(lambda c: c.update_bucket_metadata_journal_table_configuration,
         {"Bucket": bucket, "JournalTableConfiguration": expiration(100 + i)})
        for i in range(n)]
jobs.append((lambda c: c.update_bucket_metadata_inventory_table_configuration,
             {"Bucket": bucket, "InventoryTableConfiguration": {
                 "ConfigurationState": "DISABLED"}}))
updates = run(jobs)

get = client("gw").get_bucket_metadata_configuration(Bucket=bucket)
get.pop("ResponseMetadata")

print(json.dumps({"creates": creates, "updates": updates[:n],
                  "inventory": updates[n], "get": get}))
