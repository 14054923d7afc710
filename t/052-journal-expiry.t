# Record expiration and snapshot retention with the clock moved on
# (icetap_journal clock_offset=9d): the rows of a bucket whose journal
# expires records after 7 days go (whole days), those of a bucket without
# expiration stay; snapshots older than the retention are expired down
# to the one current snapshot.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use JSON::PP;
use Test::More;
use Test::Icetap::Env;

my $ak = $Test::Icetap::HTTP::ACCESS_KEY;
my $sk = $Test::Icetap::HTTP::SECRET_KEY;

my $env = Test::Icetap::Env->new(workers => 1, http_config => <<"HTTP",
icetap_store http://127.0.0.1:\$TEST_NGINX_S3_PORT bucket=icetap-state
             access_key=$ak secret_key=$sk addressing=path;
icetap_access_key $ak $sk;
icetap_journal interval=300ms retention=1s clock_offset=9d;
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

$env->run_cmd(['python3', '-c', <<'PY']);
import icetap_test
s3, gw = icetap_test.client('s3'), icetap_test.client('gw')
for b in ('icetap-state', 'expiring', 'keeping'):
    s3.create_bucket(Bucket=b)
for b, exp in (('expiring', {'Expiration': 'ENABLED', 'Days': 7}),
               ('keeping', {'Expiration': 'DISABLED'})):
    gw.create_bucket_metadata_configuration(Bucket=b, MetadataConfiguration={
        'JournalTableConfiguration': {'RecordExpiration': exp}})
for i in range(3):
    for b in ('expiring', 'keeping'):
        for k in range(5):
            gw.put_object(Bucket=b, Key='r%d-k%d' % (i, k), Body=b'x')
    import time
    time.sleep(0.7)
PY

my @store = ('--endpoint', $env->s3_endpoint, '--bucket', 'icetap-state');
my $cli = Test::Icetap::Env::cli_path();

sub rows {
    my ($b) = @_;
    my $out = $env->run_cmd([$cli, 'table', 'cat', 'aws-s3', "b_$b",
                             'journal', @store], allow_fail => 1);
    return $env->{py}{rc} ? -1 : scalar(() = $out =~ /^\{/mg);
}

sub snapshots {
    my ($b) = @_;
    my $out = $env->run_cmd(['python3', '-c', <<'PY', $b]);
import json, sys, icetap_test
s3 = icetap_test.client('s3')
e = json.loads(s3.get_object(Bucket='icetap-state',
    Key='icetap/catalog/aws-s3/b_%s/journal.json' % sys.argv[1])['Body'].read())
md = json.loads(s3.get_object(Bucket='icetap-state',
    Key=e['metadata_location'].split('/', 3)[3])['Body'].read())
ops = [s['summary']['operation'] for s in md['snapshots']]
print(json.dumps({'n': len(ops), 'ops': ops,
                  'cursor': 'icetap.wal-cursor' in md['snapshots'][-1]['summary']}))
PY
    return decode_json($out);
}

my ($keep, $exp, $st);
for (1 .. 40) {
    ($keep, $exp) = (rows('keeping'), rows('expiring'));
    $st = eval { decode_json(do { local (@ARGV, $/) = $env->wal_dir
                                  . '/journal.json'; <> }) };
    my %rows = map { $_->{bucket} => $_->{rows} } @{$st ? $st->{tables} : []};
    last if $keep == 15 && $exp == 0 && ($rows{expiring} // 0) == 15;
    select(undef, undef, undef, 0.5);
}

is($keep, 15, 'the journal without expiration keeps its 15 rows');
my %committed = map { $_->{bucket} => $_->{rows} } @{$st->{tables}};
is($committed{expiring}, 15, 'the expiring journal committed 15 rows');
is($exp, 0, '... and they expired: older than 7 days on the moved clock');

my $s;
for (1 .. 20) {
    $s = snapshots('keeping');
    last if $s->{n} == 1;
    select(undef, undef, undef, 0.5);
}
is($s->{n}, 1, 'snapshots older than the retention expired, one kept');
ok($s->{cursor}, 'the kept snapshot has the WAL cursor');

$s = snapshots('expiring');
ok(grep({ $_ eq 'delete' } @{$s->{ops}}) || $s->{n} == 1,
   'records expired by a delete commit');
ok($s->{cursor}, 'which carried the WAL cursor on');

# more records after expiry: journaled once, then expire again

$env->run_cmd(['python3', '-c', <<'PY']);
import icetap_test
gw = icetap_test.client('gw')
for k in range(4):
    gw.put_object(Bucket='keeping', Key='late-%d' % k, Body=b'y')
PY

for (1 .. 20) {
    $keep = rows('keeping');
    last if $keep == 19;
    select(undef, undef, undef, 0.5);
}
is($keep, 19, 'later records: journaled once each');

$env->stop;
is_deeply([$env->log_problems], [], 'no errors in the log');

done_testing();
