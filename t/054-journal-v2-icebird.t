# A format-2 journal read whole by icebird: boto3 creates S3 Metadata
# configurations on a versioned and an unversioned bucket through the
# gateway, a mixed workload runs (600 operations; 10,000 under
# ICETAP_SOAK) while the journal helper is killed now and then, and the
# journal tables, read by icebird (manifest lists, manifests and Parquet
# data files, all decoded by it, from the store), equal the ground truth
# row for row and column for column with S3 Metadata's NULL rules.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use JSON::PP;
use POSIX ();
use Time::HiRes ();
use Test::More;
use Test::Icetap::Env;

my $root = "$FindBin::Bin/..";

plan skip_all => 'node not found' unless `node --version 2>/dev/null`;
plan skip_all => 'npm icebird not installed (make deps)'
    unless -d "$FindBin::Bin/node_modules/icebird";

my $ops = $ENV{ICETAP_SOAK} ? 10000 : 600;
my $ak = $Test::Icetap::HTTP::ACCESS_KEY;
my $sk = $Test::Icetap::HTTP::SECRET_KEY;

my $env = Test::Icetap::Env->new(workers => 2, http_config => <<"HTTP",
icetap_store http://127.0.0.1:\$TEST_NGINX_S3_PORT bucket=icetap-state
             access_key=$ak secret_key=$sk addressing=path;
icetap_access_key $ak $sk;
icetap_journal interval=1s format=2;
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

sub journal_helper { $env->helper('journal') }

sub status { $env->report('journal.json') }

my $pid = fork // die "fork: $!";
if ($pid == 0) {
    $env->run_cmd(['python3', 't/py/journal_workload.py', '--ops', $ops,
                   '--seed', 5454, '--out', "$sr/truth.jsonl"],
                  allow_fail => 1);
    POSIX::_exit($env->{py}{rc});
}

my $kills = 0;
while (waitpid($pid, POSIX::WNOHANG()) == 0) {
    select(undef, undef, undef, 2.0);
    my $h = journal_helper() or next;
    kill 'KILL', $h and $kills++;
}
is($? >> 8, 0, 'the workload ran') or diag `cat $sr/cmd.err`;
my $w = decode_json(do { local (@ARGV, $/) = "$sr/cmd.out"; <> });
note $w->{summary};
note "the journal helper was killed $kills times";

my $ended_ms = int(Time::HiRes::time() * 1000);
my ($st, $deadline) = (undef, time + 90);
while (time < $deadline) {
    $st = status();
    last if $st && @{$st->{tables}} == 2
            && ($st->{updated_ms} // 0) > $ended_ms + 2500
            && !grep { $_->{records_behind} } @{$st->{tables}};
    sleep 1;
}
is_deeply([map { $_->{records_behind} } @{$st->{tables} // []}], [0, 0],
          'two journal tables, no records behind') or diag explain $st;

# icebird fetches without credentials: let anyone read the state bucket

$env->run_cmd(['python3', '-c', <<'PY']);
import json, icetap_test
icetap_test.client('s3').put_bucket_policy(Bucket='icetap-state',
    Policy=json.dumps({'Version': '2012-10-17', 'Statement': [{
        'Effect': 'Allow', 'Principal': '*', 'Action': 's3:GetObject',
        'Resource': 'arn:aws:s3:::icetap-state/*'}]}))
PY

for my $b (@{$w->{configured}}) {
    (my $ns = "b_$b") =~ tr/./_/;
    my $entry = decode_json($env->run_cmd(['python3', '-c', <<'PY', $ns]));
import sys, icetap_test
print(icetap_test.client('s3').get_object(Bucket='icetap-state',
    Key='icetap/catalog/aws-s3/%s/journal.json' % sys.argv[1])['Body']
    .read().decode())
PY
    my ($file) = $entry->{metadata_location} =~ m{/metadata/([^/]+)$};
    ok($file, "$b: the catalog entry names the metadata file");

    my $out = `node '$root/t/js/journal_icebird.mjs' '${\ $env->s3_endpoint}' '$entry->{warehouse_location}' '$file' 2>&1`;
    is($?, 0, "$b: icebird reads the table") or diag $out;
    open my $fh, '>', "$sr/rows-$b.json" or die;
    print $fh $out;
    close $fh;

    my $t = eval { decode_json($out) } // {};
    is($t->{format}, 2, "$b: a format-2 table");
    note "$b: " . scalar(@{$t->{rows} // []}) . ' rows';

    my $cmp = $env->run_cmd(['python3', 't/py/compare_journal.py',
                             '--rows-only', "$sr/truth.jsonl",
                             "$sr/rows-$b.json", $b], allow_fail => 1);
    is($env->{py}{rc}, 0, "$b: the journal read by icebird equals the "
                          . 'ground truth') or diag $cmp;
    note $cmp;
}

$env->stop;

my @bad = $env->error_log =~ /^.*\[(?:alert|crit|emerg)\].*$/mg;
is_deeply(\@bad, [], 'no alert, crit or emerg in the error log');
is_deeply([$env->asan_reports], [], 'no ASan report');

done_testing;
