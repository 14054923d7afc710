# The live inventory end to end: three buckets (versioned, never
# versioned, versioned then suspended) holding objects get S3 Metadata
# configurations with the inventory ENABLED through the gateway; the
# inventory helper creates, backfills and activates each table
# (CREATING -> BACKFILLING -> ACTIVE, seen through
# GetBucketMetadataConfiguration and the log); then a random workload of
# puts, overwrites, copies, multipart uploads, tag changes, delete
# markers, permanent deletes of versions and markers and DeleteObjects
# runs through the gateway.  Each inventory table, downloaded from the
# store and read with avsc (manifests), roaring (deletion vectors) and
# DuckDB (data files), equals the ground truth from ListObjectVersions +
# HeadObject + GetObjectTagging against the store, row for row and
# column for column; inventory.json reports no backlog.  With
# ICETAP_INVENTORY_FORMAT=2 the tables are v2 (position deletes), read by
# DuckDB and by icebird.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use JSON::PP;
use Time::HiRes ();
use Test::More;
use Test::Icetap::Env;

my $root = "$FindBin::Bin/..";

plan skip_all => 'node not found' unless `node --version 2>/dev/null`;
for my $m ('@duckdb/node-api', 'avsc', 'roaring') {
    plan skip_all => "npm $m not installed (make deps)"
        unless -d "$FindBin::Bin/node_modules/$m";
}

my $format = $ENV{ICETAP_INVENTORY_FORMAT} // 3;
my $ops = $ENV{ICETAP_SOAK} ? 10000 : 1000;
my $seed = 5055;
my $ak = $Test::Icetap::HTTP::ACCESS_KEY;
my $sk = $Test::Icetap::HTTP::SECRET_KEY;

my $env = Test::Icetap::Env->new(workers => 2, http_config => <<"HTTP",
icetap_store http://127.0.0.1:\$TEST_NGINX_S3_PORT bucket=icetap-state
             access_key=$ak secret_key=$sk addressing=path;
icetap_access_key $ak $sk;
icetap_journal interval=1s format=$format;
icetap_inventory interval=1s backfill_concurrency=4 max_files=8
                 format=$format;
HTTP
    config => <<'CONF');
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    client_max_body_size 0;
    icetap_tap on;
}
CONF

$env->start;

my $sr = $env->servroot;
my @buckets = map { sprintf "%s-%x", $_, $seed } qw(invv invu invs);

sub status {
    my $f = $env->wal_dir . '/inventory.json';
    return undef unless -f $f;
    return eval { decode_json(do { local (@ARGV, $/) = $f; <> }) };
}

sub md_status {
    return decode_json($env->run_py('t/py/inventory_status.py', @buckets));
}

$env->run_py('t/py/inventory_workload.py', 'setup', '--seed', $seed,
             '--preload', 30, '--enable');

my $st = md_status();
is_deeply([map { $st->{$_}{ConfigurationState} } @buckets],
          [('ENABLED') x 3], 'the inventories are ENABLED');
like($st->{$buckets[0]}{TableStatus}, qr/^(CREATING|BACKFILLING|ACTIVE)$/,
     'a status from the start');

my $deadline = time + 60;
while (time < $deadline) {
    $st = md_status();
    last unless grep { $st->{$_}{TableStatus} ne 'ACTIVE' } @buckets;
    sleep 1;
}
is_deeply([map { $st->{$_}{TableStatus} } @buckets], [('ACTIVE') x 3],
          'the inventories become ACTIVE') or diag explain $st;
like($st->{$buckets[0]}{TableArn},
     qr{^arn:aws:s3tables:us-east-1:\d+:bucket/aws-s3/table/}, 'table ARN');

my $log = do { local (@ARGV, $/) = "$sr/logs/error.log"; <> };
for my $b (@buckets) {
    like($log, qr/the inventory of bucket "\Q$b\E" is BACKFILLING/,
         "$b: BACKFILLING before");
}

# the workload, in rounds, the helper applying changes meanwhile

my $rounds = 4;
my $failed = 0;
for my $r (1 .. $rounds) {
    my $o = decode_json($env->run_py('t/py/inventory_workload.py', 'run',
                                     '--seed', $seed, '--round', $r,
                                     '--ops', int($ops / $rounds)));
    $failed += $o->{failed};
}
note "$ops operations, $failed refused by the store";
cmp_ok($failed, '<', $ops / 3, 'most operations were accepted');

my $ended_ms = int(Time::HiRes::time() * 1000);
my $ok;
$deadline = time + 120;
while (time < $deadline) {
    my $s = status();
    if ($s && ($s->{updated_ms} // 0) > $ended_ms + 2500
        && @{$s->{tables}} == 3
        && !grep { $_->{records_behind} || $_->{error} ne '' }
                 @{$s->{tables}})
    {
        $ok = $s;
        last;
    }
    sleep 1;
}
ok($ok, 'inventory.json: no backlog, no error') or diag explain status();

$env->run_py('t/py/inventory_workload.py', 'truth', '--seed', $seed,
             '--out', "$sr/truth.jsonl");

for my $b (@buckets) {
    (my $ns = "b_$b") =~ tr/./_/;
    my $dir = tempdir(CLEANUP => 1);
    my $f = decode_json($env->run_py('t/py/inventory_fetch.py',
                                     'icetap-state', $ns, 'inventory',
                                     $dir));
    my $out = `node '$root/t/js/inventory_rows.js' '$f->{metadata}' '$dir' '$f->{prefix}' 2>&1`;
    is($?, 0, "$b: avsc, roaring and DuckDB read the table") or diag $out;
    my $rows = eval { decode_json($out) } // {};
    is($rows->{format}, $format, "$b: format v$format");
    open my $fh, '>', "$sr/rows-$b.json" or die;
    print $fh $out;
    close $fh;
    my $cmp = `python3 '$root/t/py/compare_inventory.py' '$sr/truth.jsonl' '$sr/rows-$b.json' '$b' 2>&1`;
    is($?, 0, "$b: the inventory equals the bucket") or diag $cmp;

    if ($format == 2 && -d "$FindBin::Bin/node_modules/icebird") {
        # icebird applies the position deletes itself
        my $ib = `node '$root/t/js/inventory_icebird.mjs' '$f->{metadata}' '$dir' '$f->{prefix}' 2>&1`;
        is($?, 0, "$b: icebird reads the v2 table") or diag $ib;
        open $fh, '>', "$sr/icebird-$b.json" or die;
        print $fh $ib;
        close $fh;
        $cmp = `python3 '$root/t/py/compare_inventory.py' '$sr/truth.jsonl' '$sr/icebird-$b.json' '$b' 2>&1`;
        is($?, 0, "$b: as icebird reads it too") or diag $cmp;
    }
    note "$b: $cmp", "data files $rows->{data_files}, delete files "
         . "$rows->{delete_files}, rows deleted $rows->{deleted}";
    my ($t) = grep { $_->{bucket} eq $b } @{$ok ? $ok->{tables} : []};
    is($t->{rows}, scalar @{$rows->{rows} // []},
       "$b: inventory.json counts the rows");
    cmp_ok($t->{rewrites}, '>=', 1, "$b: rewritten $t->{rewrites} times");
    cmp_ok($rows->{data_files}, '<=', 9, "$b: files stay bounded");
}

$env->stop;

$log = do { local (@ARGV, $/) = "$sr/logs/error.log"; <> };
unlike($log, qr/\[(alert|crit|emerg)\]|exited on signal/,
       'no crash') or diag $log =~ /(.*(?:alert|crit|emerg|signal).*)/;

done_testing;
