# The maintenance plugin on a real S3 Metadata journal table while the
# journal helper commits to it: the journal commits small batches (many
# small files), the plugin compacts the table and -- with its clock 121
# hours ahead -- expires every snapshot but the newest, again and again.
# The journal still holds every record exactly once (its WAL cursor is
# carried by the compaction snapshots, so expiry cannot lose it), and the
# table ends with few files.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use JSON::PP;
use Time::HiRes qw(sleep time);
use Test::More;
use Test::Icetap::Env;

my $root = "$FindBin::Bin/..";
my $ak = $Test::Icetap::HTTP::ACCESS_KEY;
my $sk = $Test::Icetap::HTTP::SECRET_KEY;

my $env = Test::Icetap::Env->new(workers => 1, http_config => <<"HTTP",
icetap_store http://127.0.0.1:\$TEST_NGINX_S3_PORT bucket=icetap-state
             access_key=$ak secret_key=$sk addressing=path;
icetap_access_key $ak $sk;
icetap_journal interval=500ms max_records=20;
icetap_plugin maintenance $root/plugins/maintenance.lua interval=2
              clock_offset=121h;
HTTP
    config => <<'CONF');
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    icetap_tap on;
}
CONF

$env->start;

my $py = <<'PY';
import json, sys, time, icetap_test
from botocore.exceptions import ClientError
s3, gw = icetap_test.client('s3'), icetap_test.client('gw')
b, step = sys.argv[1], sys.argv[2]
if step == 'create':
    for n in ('icetap-state', b):
        try:
            s3.create_bucket(Bucket=n)
        except ClientError:
            pass
    gw.create_bucket_metadata_configuration(Bucket=b, MetadataConfiguration={
        'JournalTableConfiguration': {
            'RecordExpiration': {'Expiration': 'DISABLED'}}})
    for i in range(100):
        r = gw.get_bucket_metadata_configuration(Bucket=b)
        j = r['GetBucketMetadataConfigurationResult'][
            'MetadataConfigurationResult']['JournalTableConfigurationResult']
        if j['TableStatus'] == 'ACTIVE':
            break
        time.sleep(0.2)
    print(json.dumps({'status': j['TableStatus']}))
else:
    first, n = int(sys.argv[3]), int(sys.argv[4])
    for i in range(first, first + n):
        gw.put_object(Bucket=b, Key='k%05d' % i, Body=b'x' * (i % 50))
        time.sleep(0.01)
    print(json.dumps({'put': n}))
PY

my $r = decode_json($env->run_cmd(['python3', '-c', $py, 'jmaint',
                                   'create']));
is($r->{status}, 'ACTIVE', 'the journal configuration is ACTIVE');

my @store = ('--endpoint', $env->s3_endpoint, '--bucket', 'icetap-state');
my $cli = Test::Icetap::Env::cli_path();

sub rows {
    my $out = $env->run_cmd([$cli, 'table', 'cat', 'aws-s3', 'b_jmaint',
                             'journal', @store], allow_fail => 1) // '';
    return map { decode_json($_) } grep { /^\{/ } split /\n/, $out;
}

sub compactions {
    scalar(() = $env->error_log
           =~ m{aws-s3/b_jmaint\.journal: compaction \(binpack\): \d+ files}g)
}

my $total = 0;
for my $round (1 .. 4) {
    my $c = compactions();
    $env->run_cmd(['python3', '-c', $py, 'jmaint', 'put', $total, 60]);
    $total += 60;

    my $deadline = time + 90;
    sleep 0.5 while (scalar(my @x = rows()) < $total
                     || compactions() <= $c) && time < $deadline;
    cmp_ok(compactions(), '>', $c, "round $round: the journal table was "
           . 'compacted');
}

my @rows = rows();
my %keys;
$keys{$_->{key}}++ for grep { $_->{record_type} eq 'CREATE' } @rows;
is(scalar keys %keys, $total, "every one of the $total objects has a row");
is(scalar(grep { $_ != 1 } values %keys), 0, 'none has two');
is(scalar @rows, $total, 'and there are no other rows');

# DuckDB over the live data files (the compacted ones re-encoded with
# their maps and the v3 lineage columns)

my $build = $ENV{ICETAP_BUILD} // 'build';
$build = "$root/$build" unless $build =~ m{^/};
my $dir = tempdir(CLEANUP => 1);
$env->run_cmd(["$build/unit/maint_driver", 'files', $env->s3_endpoint,
               'icetap-state', 'aws-s3', 'b_jmaint', 'journal', $dir]);
my $dd = decode_json($env->run_cmd(['node',
    "$FindBin::Bin/js/maint_journal_duckdb.js", $dir]));
is($dd->{n}, $total, "DuckDB reads $total rows from the live data files");
is($dd->{keys}, $total, 'each key once');
is($dd->{creates}, $total, 'all CREATE records');
cmp_ok($dd->{files}, '<', $total / 20,
       "the table has $dd->{files} data files for " . ($total / 20)
       . ' journal commits');

like($env->error_log,
     qr{aws-s3/b_jmaint\.journal: snapshot management: \d+ expired},
     'snapshots of the journal table were expired meanwhile');

my $entry = decode_json($env->run_cmd(['python3', '-c', <<'PY']));
import json, icetap_test
s3 = icetap_test.client('s3')
e = json.loads(s3.get_object(Bucket='icetap-state',
    Key='icetap/catalog/aws-s3/b_jmaint/journal.json')['Body'].read())
st = json.loads(s3.get_object(Bucket='icetap-state',
    Key='icetap/jobs/%s.json' % e['table_id'])['Body'].read())
print(json.dumps(st))
PY
is($entry->{icebergCompaction}{status}, 'Successful',
   'job status of the journal table: compaction');

$env->stop;
is_deeply([grep { !/compaction failed|conflict/ } $env->log_problems(allow_error => 1)], [],
          'no alerts or crashes');

done_testing();
