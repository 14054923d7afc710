# The journal helper end to end: boto3 creates S3 Metadata configurations
# on two of three buckets through the gateway, then a mixed workload runs
# while the journal helper is killed (SIGKILL) every second, nginx is
# reloaded and a worker is killed.  Each
# configured bucket's journal table, downloaded from the store and read
# with avsc (manifests) and DuckDB (data files), equals the ground truth
# row for row with S3 Metadata's NULL rules: nothing lost, nothing twice,
# nothing from before the configuration, nothing of the third bucket;
# the spec's example questions (deletions in the last 7 days and by whom,
# unencrypted objects, uploads by requester and storage class) answered
# by DuckDB agree.  icetap table cat prints the same rows.
# The configurations become ACTIVE, journal.json reports no lag, and
# consumed WAL segments are deleted.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use JSON::PP;
use POSIX ();
use Time::HiRes ();
use Test::More;
use Test::Icetap::Env;

my $root = "$FindBin::Bin/..";

plan skip_all => 'node not found' unless `node --version 2>/dev/null`;
for my $m ('@duckdb/node-api', 'avsc') {
    plan skip_all => "npm $m not installed (make deps)"
        unless -d "$FindBin::Bin/node_modules/$m";
}

my $ops = $ENV{ICETAP_SOAK} ? 10000 : 900;
my $ak = $Test::Icetap::HTTP::ACCESS_KEY;
my $sk = $Test::Icetap::HTTP::SECRET_KEY;

my $env = Test::Icetap::Env->new(workers => 2, http_config => <<"HTTP",
icetap_store http://127.0.0.1:\$TEST_NGINX_S3_PORT bucket=icetap-state
             access_key=$ak secret_key=$sk addressing=path;
icetap_access_key $ak $sk;
icetap_journal interval=1s;
HTTP
    config => <<'CONF');
icetap_virtual_host_suffix s3.local;
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

# the helper is a child of the supervisor, itself a child of the master

sub journal_helper { $env->helper('journal') }

sub status { $env->report('journal.json') }

# the supervisor starts its helpers once it runs itself: give it a moment

my $deadline0 = time + 15;
Time::HiRes::sleep(0.1) until journal_helper() || time > $deadline0;
ok(journal_helper(), 'the journal helper runs');

# the workload, with the journal helper killed every 1.5 s meanwhile

my $pid = fork // die "fork: $!";
if ($pid == 0) {
    $env->run_cmd(['python3', 't/py/journal_workload.py', '--ops', $ops,
                   '--seed', 5050, '--out', "$sr/truth.jsonl"],
                  env => { ICETAP_VHOST_SUFFIX => 's3.local' },
                  allow_fail => 1);
    POSIX::_exit($env->{py}{rc});
}

my ($kills, $round, $reloads, $worker_kills) = (0, 0, 0, 0);
while (waitpid($pid, POSIX::WNOHANG()) == 0) {
    select(undef, undef, undef, 1.0);
    $round++;
    if ($round == 2) {
        $env->reload;
        $reloads++;
        next;
    }
    if ($round == 4) {
        $env->kill_worker('KILL');
        $worker_kills++;
        next;
    }
    my $h = journal_helper() or next;
    kill 'KILL', $h and $kills++;
}
is($? >> 8, 0, 'the workload ran') or diag `cat $sr/cmd.err`;
my $w = decode_json(do { local (@ARGV, $/) = "$sr/cmd.out"; <> });
note $w->{summary};
cmp_ok($kills, '>=', 2, "the journal helper was killed $kills times");
is($reloads + $worker_kills, 2, 'a reload and a killed worker meanwhile');

# everything committed: no lag left, as seen by a helper pass that began
# after the workload ended (journal.json is written at the end of a pass,
# and the pass interval is 1 s)

my $ended_ms = int(Time::HiRes::time() * 1000);
my ($st, $deadline) = (undef, time + 60);
while (time < $deadline) {
    $st = status();
    last if $st && @{$st->{tables}} == 2
            && ($st->{updated_ms} // 0) > $ended_ms + 2500
            && !grep { $_->{records_behind} } @{$st->{tables}};
    sleep 1;
}
ok($st && @{$st->{tables}} == 2, 'journal.json lists two tables')
    or diag explain $st;
is_deeply([map { $_->{records_behind} } @{$st->{tables}}], [0, 0],
          'no records behind');

# each configured bucket's table read by readers icetap did not write

for my $b (@{$w->{configured}}) {
    (my $ns = "b_$b") =~ tr/./_/;
    my $dir = tempdir(CLEANUP => 1);
    my $f = decode_json($env->run_py('t/py/journal_fetch.py', 'icetap-state',
                                     $ns, $dir));
    like($f->{entry}{arn}, qr{^arn:aws:s3tables:us-east-1:\d+:bucket/aws-s3/table/},
         "$b: catalog entry with the table ARN");

    my $out = `node '$root/t/js/journal_rows.js' '$f->{metadata}' '$dir' '$f->{prefix}' 2>&1`;
    is($?, 0, "$b: avsc and DuckDB read the table") or diag $out;
    open my $fh, '>', "$sr/rows-$b.json" or die;
    print $fh $out;
    close $fh;

    my $t = decode_json($out);
    note "$b: " . scalar(@{$t->{rows}}) . " rows in $t->{data_files} "
         . "files, $t->{manifests} manifests, $t->{snapshots} snapshots";
    ok($t->{summary}{'icetap.wal-cursor'}, "$b: the cursor is in the summary");

    my $cmp = $env->run_cmd(['python3', 't/py/compare_journal.py',
                             "$sr/truth.jsonl", "$sr/rows-$b.json", $b],
                            allow_fail => 1);
    is($env->{py}{rc}, 0, "$b: the journal equals the ground truth")
        or diag $cmp;
    note $cmp;

    ok(!grep({ $_->{key} =~ /^before-/ } @{$t->{rows}}),
       "$b: nothing from before the configuration");

    # the same rows through the core: icetap table cat

    my @store = ('--endpoint', $env->s3_endpoint, '--bucket', 'icetap-state');
    $env->run_cmd([Test::Icetap::Env::cli_path(), 'table', 'cat', 'aws-s3',
                   $ns, 'journal', @store, '--format', 'jsonl']);
    my $caterr = $env->{py}{err};
    open $fh, '>', "$sr/cat-$b.jsonl" or die;
    print $fh $env->{py}{out};
    close $fh;
    $cmp = $env->run_cmd(['python3', '-c', <<'PY', "$sr/rows-$b.json",
import datetime, json, sys
duck = json.load(open(sys.argv[1]))['rows']
cat = [json.loads(l) for l in open(sys.argv[2])]
def us(s):
    if s is None:
        return None
    d = datetime.datetime.fromisoformat(s).replace(tzinfo=datetime.timezone.utc)
    return int(d.timestamp()) * 1000000 + d.microsecond
for r in cat:
    r['record_timestamp'] = us(r['record_timestamp'])
    r['last_modified_date'] = us(r['last_modified_date'])
norm = lambda rows: sorted(json.dumps(r, sort_keys=True) for r in rows)
a, b = norm(duck), norm(cat)
print('same' if a == b else 'differ: %d vs %d rows, first %s / %s' % (
    len(a), len(b), next((x for x in a if x not in b), None),
    next((x for x in b if x not in a), None)))
PY
                          "$sr/cat-$b.jsonl"]);
    is($cmp, "same\n", "$b: icetap table cat prints the rows DuckDB read")
        or diag $caterr;

    my $csv = $env->run_cmd([Test::Icetap::Env::cli_path(), 'table', 'cat',
                             'aws-s3', $ns, 'journal', @store,
                             '--format', 'csv']);
    my @lines = split /\n/, $csv;
    like($lines[0], qr/^bucket,key,sequence_number,record_type,/,
         "$b: CSV header");

    my $doc = $env->run_cmd(['python3', '-c', <<'PY', $b]);
import sys, icetap_test
print(icetap_test.client('s3').get_object(Bucket='icetap-state',
    Key='icetap/config/buckets/%s/metadata.json' % sys.argv[1])['Body'].read().decode())
PY
    is(decode_json($doc)->{journal}{status}, 'ACTIVE', "$b: ACTIVE");
}

my $list = $env->run_cmd([Test::Icetap::Env::cli_path(), 'table', 'list',
                          '--endpoint', $env->s3_endpoint,
                          '--bucket', 'icetap-state']);
is(scalar(() = $list =~ /^aws-s3\tb_\S+\tjournal\tarn:/mg), 2,
   'icetap table list: two journal tables') or diag $list;

my $js = $env->run_cmd([Test::Icetap::Env::cli_path(), 'journal', 'status',
                        $env->wal_dir]);
like($js, qr/^tap[uv]-\S+\tb_\S+\.journal\t0 records behind/m,
     'icetap journal status: no lag') or diag $js;

# the third bucket has no configuration: no table

for my $b (@{$w->{unconfigured}}) {
    my $out = $env->run_cmd(['python3', '-c', <<'PY', $b], allow_fail => 1);
import sys, icetap_test
r = icetap_test.client('s3').list_objects_v2(Bucket='icetap-state',
    Prefix='icetap/catalog/aws-s3/b_%s' % sys.argv[1])
print(r.get('KeyCount', 0))
PY
    is($out + 0, 0, "$b (no configuration): no catalog entry");
}

# segments whose workers are gone are deleted once consumed

$env->reload;
$deadline = time + 30;
while (time < $deadline) {
    $st = status();
    last if $st && $st->{wal_segments_deleted} > 0;
    sleep 1;
}
cmp_ok($st->{wal_segments_deleted}, '>', 0,
       "consumed segments deleted ($st->{wal_segments_deleted})");

$env->stop;
is_deeply([grep { !/exited on signal 9/ }
           $env->log_problems(allow_kill => 1)], [], 'no errors in the log');
note scalar(() = $env->error_log =~ /icetap helper "journal" started/g)
     . ' journal helper starts';

done_testing();
