# icetap_journal: its parameters checked by nginx -t; format=2 makes v2
# tables; a configuration deleted and created again finds the old journal
# table and FAILS with JournalTableAlreadyExists, as S3 Metadata does,
# while the old table keeps its rows.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use JSON::PP;
use Test::More;
use Test::Icetap::Env;

my $ak = $Test::Icetap::HTTP::ACCESS_KEY;
my $sk = $Test::Icetap::HTTP::SECRET_KEY;

my $store = <<"HTTP";
icetap_store http://127.0.0.1:\$TEST_NGINX_S3_PORT bucket=icetap-state
             access_key=$ak secret_key=$sk addressing=path;
icetap_access_key $ak $sk;
HTTP

my $location = <<'CONF';
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    icetap_tap on;
}
CONF

my $env = Test::Icetap::Env->new(workers => 1, config => $location);

my @bad = (
    [ "icetap_journal;", qr/"icetap_journal" requires "icetap_wal" and "icetap_store"/ ],
    [ "${store}icetap_journal interval=0s;", qr/invalid parameter "interval=0s"/ ],
    [ "${store}icetap_journal format=4;", qr/invalid parameter "format=4"/ ],
    [ "${store}icetap_journal max_records=none;",
      qr/invalid parameter "max_records=none"/ ],
    [ "${store}icetap_journal colour=red;", qr/invalid parameter "colour=red"/ ],
    [ "${store}icetap_journal lookups=65;", qr/invalid parameter "lookups=65"/ ],
    [ "${store}icetap_journal;\nicetap_journal;",
      qr/"icetap_journal" directive is duplicate/ ],
);

for my $b (@bad) {
    $env->set_config(http_config => $b->[0]);
    $env->prepare;
    my ($ok, $out) = $env->test_conf;
    ok(!$ok, "nginx -t refuses: $b->[0]");
    like($out, $b->[1], 'with a precise message') or diag $out;
}

$env->set_config(http_config => "${store}icetap_journal interval=500ms "
                 . "format=2 max_records=50 retention=1h;\n");
$env->start;

my $py = <<'PY';
import json, sys, time, icetap_test
from botocore.exceptions import ClientError
s3, gw = icetap_test.client('s3'), icetap_test.client('gw')
b, step = sys.argv[1], sys.argv[2]
conf = {'JournalTableConfiguration': {
    'RecordExpiration': {'Expiration': 'DISABLED'}}}
def status():
    r = gw.get_bucket_metadata_configuration(Bucket=b)
    j = r['GetBucketMetadataConfigurationResult']['MetadataConfigurationResult']
    return j['JournalTableConfigurationResult']
def wait(want):
    for i in range(100):
        j = status()
        if j['TableStatus'] == want:
            return j
        time.sleep(0.2)
    return j
if step == 'create':
    for n in ('icetap-state', b):
        try:
            s3.create_bucket(Bucket=n)
        except ClientError:
            pass
    gw.create_bucket_metadata_configuration(Bucket=b,
                                            MetadataConfiguration=conf)
    j = wait('ACTIVE')
    for i in range(120):
        gw.put_object(Bucket=b, Key='k%d' % i, Body=b'x' * i)
    print(json.dumps({'status': j['TableStatus'], 'arn': j['TableArn']}))
elif step == 'recreate':
    gw.delete_bucket_metadata_configuration(Bucket=b)
    gw.create_bucket_metadata_configuration(Bucket=b,
                                            MetadataConfiguration=conf)
    j = wait('FAILED')
    print(json.dumps({'status': j['TableStatus'],
                      'error': j.get('Error', {}).get('ErrorCode')}))
PY

my $r = decode_json($env->run_cmd(['python3', '-c', $py, 'jconf', 'create']));
is($r->{status}, 'ACTIVE', 'the configuration becomes ACTIVE');

my @store = ('--endpoint', $env->s3_endpoint, '--bucket', 'icetap-state');
my $cli = Test::Icetap::Env::cli_path();
my $rows;
for (1 .. 60) {
    $rows = $env->run_cmd([$cli, 'table', 'cat', 'aws-s3', 'b_jconf',
                           'journal', @store]);
    last if (() = $rows =~ /^\{/mg) >= 120;
    select(undef, undef, undef, 0.5);
}
is(scalar(() = $rows =~ /"record_type":"CREATE"/g), 120,
   '120 rows, committed 50 records at most at a time');

my $entry = $env->run_cmd(['python3', '-c', <<'PY']);
import json, icetap_test
s3 = icetap_test.client('s3')
e = json.loads(s3.get_object(Bucket='icetap-state',
    Key='icetap/catalog/aws-s3/b_jconf/journal.json')['Body'].read())
loc = e['metadata_location'].split('/', 3)[3]
md = json.loads(s3.get_object(Bucket='icetap-state', Key=loc)['Body'].read())
print(json.dumps({'arn': e['arn'], 'format': md['format-version'],
                  'snapshots': len(md['snapshots'])}))
PY
my $e = decode_json($entry);
is($e->{format}, 2, 'format=2: a v2 table');
is($e->{arn}, $r->{arn}, "the catalog entry has the configuration's ARN");
cmp_ok($e->{snapshots}, '>=', 3, "$e->{snapshots} commits");

$r = decode_json($env->run_cmd(['python3', '-c', $py, 'jconf',
                                'recreate']));
is($r->{status}, 'FAILED', 'created again: FAILED');
is($r->{error}, 'JournalTableAlreadyExists', 'JournalTableAlreadyExists');

$rows = $env->run_cmd([$cli, 'table', 'cat', 'aws-s3', 'b_jconf', 'journal',
                       @store, '--format', 'csv']);
is(scalar(split /\n/, $rows), 121, 'the old table keeps its rows');

# the V1 API: the journal goes to the customer table bucket it names,
# namespace aws_s3_metadata, under the table name it gives

$r = decode_json($env->run_cmd(['python3', '-c', <<'PY']));
import json, time, icetap_test
from botocore.exceptions import ClientError
s3, gw = icetap_test.client('s3'), icetap_test.client('gw')
try:
    s3.create_bucket(Bucket='jconf-v1')
except ClientError:
    pass
arn = 'arn:aws:s3tables:us-east-1:111122223333:bucket/my-tables'
gw.create_bucket_metadata_table_configuration(Bucket='jconf-v1',
    MetadataTableConfiguration={'S3TablesDestination': {
        'TableBucketArn': arn, 'TableName': 'v1_journal'}})
for i in range(100):
    r = gw.get_bucket_metadata_table_configuration(Bucket='jconf-v1')
    j = r['GetBucketMetadataTableConfigurationResult']
    if j['Status'] == 'ACTIVE':
        break
    time.sleep(0.2)
for i in range(7):
    gw.put_object(Bucket='jconf-v1', Key='v1-%d' % i, Body=b'v1')
gw.delete_object(Bucket='jconf-v1', Key='v1-0')
print(json.dumps({'status': j['Status'],
    'ns': j['MetadataTableConfigurationResult']['S3TablesDestinationResult']
          ['TableNamespace']}))
PY
is($r->{status}, 'ACTIVE', 'V1: the configuration becomes ACTIVE');
is($r->{ns}, 'aws_s3_metadata', 'V1: namespace aws_s3_metadata');

for (1 .. 60) {
    $rows = $env->run_cmd([$cli, 'table', 'cat', 'my-tables',
                           'aws_s3_metadata', 'v1_journal', @store],
                          allow_fail => 1);
    last if (() = $rows =~ /^\{/mg) >= 8;
    select(undef, undef, undef, 0.5);
}
is(scalar(() = $rows =~ /"record_type":"CREATE"/g), 7, 'V1: 7 CREATE rows');
is(scalar(() = $rows =~ /"record_type":"DELETE"/g), 1, 'V1: 1 DELETE row');
is(scalar(() = $rows =~ /"bucket":"jconf-v1"/g), 8,
   'V1: rows of that bucket only');

$env->stop;
is_deeply([grep { !/JournalTableAlreadyExists|already exists/ }
           $env->log_problems], [],
          'no other errors in the log');

done_testing();
