#!/usr/bin/env bash
# make demo: a local S3 store (moto), nginx + icetap in front of it, a few
# client operations through the gateway, and what icetap recorded.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${ICETAP_BUILD:-build}
MODULE="$ROOT/$BUILD/nginx/ngx_http_icetap_module.so"
CLI="$ROOT/$BUILD/icetap"

W=$(mktemp -d /tmp/icetap-demo.XXXXXX)
chmod 755 "$W"
mkdir -p "$W/logs"

cleanup() {
    [ -f "$W/logs/nginx.pid" ] && kill -QUIT "$(cat "$W/logs/nginx.pid")" 2>/dev/null || true
    [ -n "${MOTO:-}" ] && kill "$MOTO" 2>/dev/null || true
    sleep 0.3
    rm -rf "$W"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

S3_PORT=$(free_port)
GW_PORT=$(free_port)
TABLES_PORT=$(free_port)

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "starting the S3 store (moto) on 127.0.0.1:$S3_PORT"
moto_server -H 127.0.0.1 -p "$S3_PORT" > "$W/logs/moto.log" 2>&1 &
MOTO=$!

cp plugins/maintenance.lua "$W/maintenance.lua"
sed -e "s|@MODULE@|$MODULE|" -e "s|@PREFIX@|$W|g" \
    -e "s|@S3_PORT@|$S3_PORT|" -e "s|@GW_PORT@|$GW_PORT|" \
    -e "s|@TABLES_PORT@|$TABLES_PORT|" \
    tools/demo.conf > "$W/nginx.conf"

for i in $(seq 1 50); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $S3_PORT), 0.2)" \
        2>/dev/null && break
    sleep 0.1
done

say "starting nginx + icetap on 127.0.0.1:$GW_PORT (config: $W/nginx.conf)"
nginx -p "$W" -c "$W/nginx.conf"
sleep 0.3
grep -A12 'location / {' "$W/nginx.conf" | sed 's/^/    /'

export AWS_ACCESS_KEY_ID=AKIADEMO00000000000 AWS_SECRET_ACCESS_KEY=demo-secret
export AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
aws_gw() { echo "\$ aws s3api $*" >&2; aws --endpoint-url "http://127.0.0.1:$GW_PORT" s3api "$@" > /dev/null; }

say "client operations through the gateway (AWS CLI)"
aws_gw create-bucket --bucket photos
aws_gw put-bucket-versioning --bucket photos --versioning-configuration Status=Enabled
aws_gw create-bucket-metadata-configuration --bucket photos \
    --metadata-configuration \
    '{"JournalTableConfiguration":{"RecordExpiration":{"Expiration":"DISABLED"}}}'
echo "a photo" > "$W/cat.jpg"
aws_gw put-object --bucket photos --key 2026/cat.jpg --body "$W/cat.jpg" \
    --metadata camera=x100,owner=ana --tagging "album=pets" --storage-class STANDARD_IA
aws_gw copy-object --bucket photos --key 2026/cat-copy.jpg --copy-source photos/2026/cat.jpg
aws_gw put-object-tagging --bucket photos --key 2026/cat.jpg \
    --tagging 'TagSet=[{Key=album,Value=best}]'
aws_gw delete-object --bucket photos --key 2026/cat-copy.jpg
head -c 12000000 /dev/urandom > "$W/big.bin"
echo "\$ aws s3 cp big.bin s3://photos/videos/big.bin   (multipart)" >&2
aws --endpoint-url "http://127.0.0.1:$GW_PORT" s3 cp "$W/big.bin" s3://photos/videos/big.bin \
    --only-show-errors
aws_gw delete-objects --bucket photos --delete 'Objects=[{Key=2026/cat.jpg},{Key=nope}]'
echo "\$ aws s3api put-object --bucket no-such-bucket ...   (rejected by the store)" >&2
aws --endpoint-url "http://127.0.0.1:$GW_PORT" s3api put-object --bucket no-such-bucket \
    --key x --body "$W/cat.jpg" > /dev/null 2>&1 || echo "    -> NoSuchBucket: not recorded"

say "what icetap recorded (icetap wal dump $W/wal)"
"$CLI" wal dump "$W/wal" | python3 -c '
import json, sys
rows = sorted((json.loads(l) for l in sys.stdin), key=lambda r: r["time_us"])
fmt = "{:<24} {:<15} {:<20} {:<8} {:>8} {:<12} {:<6} {}"
print(fmt.format("operation", "record", "key", "version", "size", "class",
                 "marker", "tags / metadata"))
for r in rows:
    v = (r["version_id"] or "-")[:8]
    size = "-" if r["size"] is None else r["size"]
    extra = "tags=%s meta=%s" % (json.dumps(r["object_tags"]),
                                  json.dumps(r["user_metadata"]))
    if r["needs_enrichment"]:
        extra += " (size/tags/metadata: helper looks them up)"
    print(fmt.format(r["op"], r["record_type"], r["key"][:20], v, size,
                     r["storage_class"] or "-",
                     {True: "yes", False: "no", None: "-"}[r["is_delete_marker"]],
                     extra))
print()
print("%d records; each also carries requester, source IP, request id, ETag,"
      " encryption and checksum facts." % len(rows))
'

say "the journal table (S3 Metadata's aws-s3 / b_photos / journal)"
export ICETAP_STORE_ENDPOINT="http://127.0.0.1:$S3_PORT" ICETAP_STATE_BUCKET=icetap-state
for i in $(seq 1 60); do
    n=$("$CLI" table cat aws-s3 b_photos journal --addressing path 2>/dev/null | wc -l)
    [ "$n" -ge 7 ] && break
    sleep 0.5
done
echo "\$ aws s3api get-bucket-metadata-configuration --bucket photos" >&2
aws --endpoint-url "http://127.0.0.1:$GW_PORT" s3api get-bucket-metadata-configuration \
    --bucket photos --query 'GetBucketMetadataConfigurationResult.MetadataConfigurationResult.[DestinationResult.TableNamespace,JournalTableConfigurationResult.TableStatus]' \
    --output text
echo "\$ icetap table list" >&2
"$CLI" table list --addressing path
echo "\$ icetap table cat aws-s3 b_photos journal --format csv   (some columns)" >&2
"$CLI" table cat aws-s3 b_photos journal --addressing path --format csv \
    | python3 -c '
import csv, sys
rows = list(csv.DictReader(sys.stdin))
cols = ["record_type", "key", "version_id", "is_delete_marker", "size",
        "storage_class", "requester"]
print("  ".join("%-14s" % c[:14] for c in cols))
for r in rows:
    print("  ".join("%-14s" % (r[c] or "NULL")[:14] for c in cols))
'

say "the same table queried by DuckDB over its Parquet files"
aws --endpoint-url "http://127.0.0.1:$S3_PORT" s3 cp --recursive --quiet \
    s3://icetap-state/icetap/warehouse/aws-s3/ "$W/warehouse/" --exclude '*' \
    --include '*.parquet'
NODE_PATH="$ROOT/t/node_modules" node "$ROOT/tools/demo_query.js" "$W/warehouse"

say "table buckets: the S3 Tables API and the Iceberg REST catalog (127.0.0.1:$TABLES_PORT)"
python3 "$ROOT/tools/demo_tables.py" "$TABLES_PORT"

say "icetap's status endpoint (Prometheus text, journal and WAL gauges)"
echo "\$ curl http://127.0.0.1:$GW_PORT/icetap/status?format=prometheus" >&2
python3 - "$GW_PORT" <<'PY'
import sys, urllib.request
url = "http://127.0.0.1:%s/icetap/status?format=prometheus" % sys.argv[1]
for line in urllib.request.urlopen(url).read().decode().splitlines():
    if line.startswith(("icetap_helper_running", "icetap_journal_tables_rows",
                        "icetap_journal_tables_records_behind",
                        "icetap_wal_records", "icetap_wal_bytes")):
        print("    " + line)
PY

say "one record in full"
"$CLI" wal dump "$W/wal" | awk 'NR == 1' | python3 -m json.tool

say "WAL health (icetap wal check)"
"$CLI" wal check "$W/wal"

say "done: the store, nginx and the demo files are removed on exit"
