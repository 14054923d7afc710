# Backfill under load: a versioned bucket already holding 5,000 objects
# (50,000 with ICETAP_SOAK=1, straight in the store, with versions and a
# delete marker) and two smaller ones get a journal; then, while a random
# workload runs through the gateway, their inventories are ENABLED with
# UpdateBucketMetadataInventoryTableConfiguration.  The backfill lists
# and completes the objects while they change; the mutations made
# meanwhile are applied after it from the WAL.  The result equals the
# store row for row and column for column: no change lost, none applied
# twice (a row twice fails the comparison).

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use Encode ();
use JSON::PP;
use POSIX ();
use Time::HiRes ();
use Test::More;
use Test::Icetap::Env;

my $root = "$FindBin::Bin/..";

plan skip_all => 'node not found' unless `node --version 2>/dev/null`;
for my $m ('@duckdb/node-api', 'avsc', 'roaring') {
    plan skip_all => "npm $m not installed (make deps)"
        unless -d "$FindBin::Bin/node_modules/$m";
}

my $objects = $ENV{ICETAP_SOAK} ? 50000 : 5000;
my $ops = $ENV{ICETAP_SOAK} ? 5000 : 600;
my $seed = 5056;
my $ak = $Test::Icetap::HTTP::ACCESS_KEY;
my $sk = $Test::Icetap::HTTP::SECRET_KEY;

my $env = Test::Icetap::Env->new(workers => 2, http_config => <<"HTTP",
icetap_store http://127.0.0.1:\$TEST_NGINX_S3_PORT bucket=icetap-state
             access_key=$ak secret_key=$sk addressing=path;
icetap_access_key $ak $sk;
icetap_journal interval=1s;
icetap_inventory interval=1s backfill_concurrency=8;
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
    my ($name) = @_;
    my $f = $env->wal_dir . "/$name.json";
    return undef unless -f $f;
    return eval { decode_json(do { local (@ARGV, $/) = $f; <> }) };
}

my $t0 = time;
$env->run_py('t/py/inventory_workload.py', 'setup', '--seed', $seed,
             '--preload', 20, '--preload-first', $objects);
note sprintf "%d objects preloaded in %d s", $objects, time - $t0;

$env->run_py('t/py/inventory_workload.py', 'enable', '--seed', $seed,
             '--journal-only');

my $deadline = time + 60;
sleep 1 until (status('journal') && @{status('journal')->{tables}} == 3)
              || time > $deadline;
is(scalar @{(status('journal') // {})->{tables} // []}, 3,
   'the journals run');

# the workload, and the inventories enabled while it runs

my $pid = fork // die "fork: $!";
if ($pid == 0) {
    $env->run_cmd(['python3', 't/py/inventory_workload.py', 'run',
                   '--seed', $seed, '--round', 1, '--ops', $ops],
                  allow_fail => 1);
    POSIX::_exit($env->{py}{rc});
}

sleep 2;
$env->run_py('t/py/inventory_workload.py', 'enable-inventory', '--seed',
             $seed);

my ($during, %seen);
while (waitpid($pid, POSIX::WNOHANG()) == 0) {
    my $st = decode_json($env->run_py('t/py/inventory_status.py', @buckets));
    for my $b (@buckets) {
        my $s = $st->{$b}{TableStatus} // '';
        $seen{$s}++;
        $during++ if $b eq $buckets[0] && $s eq 'BACKFILLING';
    }
    Time::HiRes::sleep(0.5);
}
is($? >> 8, 0, 'the workload ran');
ok($during, 'the big bucket was BACKFILLING while the workload ran')
    or diag explain \%seen;

my $ended_ms = int(Time::HiRes::time() * 1000);
my $ok;
$deadline = time + 300;
while (time < $deadline) {
    my $s = status('inventory');
    if ($s && ($s->{updated_ms} // 0) > $ended_ms + 2500
        && @{$s->{tables}} == 3
        && !grep { $_->{status} ne 'ACTIVE' || $_->{records_behind}
                   || $_->{error} ne '' } @{$s->{tables}})
    {
        $ok = $s;
        last;
    }
    sleep 1;
}
ok($ok, 'ACTIVE, no backlog') or diag explain status('inventory');

my $log = do { local (@ARGV, $/) = "$sr/logs/error.log"; <> };
my ($rows) = $log =~ /bucket "\Q$buckets[0]\E": backfill of (\d+) row/;
cmp_ok($rows // 0, '>=', $objects, "backfill of $buckets[0]: "
                                    . ($rows // 0) . ' rows');

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
    open my $fh, '>', "$sr/rows-$b.json" or die;
    print $fh $out;
    close $fh;
    my $cmp = `python3 '$root/t/py/compare_inventory.py' '$sr/truth.jsonl' '$sr/rows-$b.json' '$b' 2>&1`;
    next if is($?, 0, "$b: the inventory equals the bucket");
    diag $cmp;

    # what the journal knows of the keys that differ
    my %keys = map { Encode::decode('UTF-8', $_) => 1 }
               $cmp =~ /\('[^']*', '([^']*)'/g;
    my $mine = eval { decode_json($out) } // {};
    diag explain [grep { $keys{$_->{key}} } @{$mine->{rows} // []}];
    $dir = tempdir(CLEANUP => 1);
    $f = decode_json($env->run_py('t/py/inventory_fetch.py', 'icetap-state',
                                  $ns, 'journal', $dir));
    $out = `node '$root/t/js/journal_rows.js' '$f->{metadata}' '$dir' '$f->{prefix}' 2>&1`;
    my $j = eval { decode_json($out) } // {};
    diag explain [map { [@$_{qw(key version_id record_type is_delete_marker
                                sequence_number e_tag)}] }
                  sort { $a->{sequence_number} cmp $b->{sequence_number} }
                  grep { $keys{$_->{key}} } @{$j->{rows} // []}];
}

$env->stop;

$log = do { local (@ARGV, $/) = "$sr/logs/error.log"; <> };
unlike($log, qr/\[(alert|crit|emerg)\]|exited on signal/, 'no crash');

done_testing;
