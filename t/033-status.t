# icetap_status: one document with every helper's report (the WAL
# housekeeper's, the verifier's, the journal's) and whether each helper
# runs, as JSON or as Prometheus text; the CLI prints the same.

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
icetap_journal interval=500ms;
HTTP
    config => <<'CONF');
location = /status {
    icetap_status;
}
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    icetap_tap on;
}
CONF

# without icetap_wal there is nothing to report

my $bad = Test::Icetap::Env->new(workers => 1, no_wal => 1,
                                 config => "location /s { icetap_status; }");
$bad->prepare;
my ($ok, $out) = $bad->test_conf;
ok(!$ok, 'nginx -t refuses icetap_status without icetap_wal');
like($out, qr/"icetap_status" requires "icetap_wal"/, 'with a precise message');

$env->start;

# a configured bucket and a few mutations: the journal has a table

$env->run_cmd(['python3', '-c', <<'PY']);
import time, icetap_test
from botocore.exceptions import ClientError
s3, gw = icetap_test.client('s3'), icetap_test.client('gw')
for n in ('icetap-state', 'stat1'):
    s3.create_bucket(Bucket=n)
gw.create_bucket_metadata_configuration(Bucket='stat1', MetadataConfiguration={
    'JournalTableConfiguration': {'RecordExpiration': {'Expiration': 'DISABLED'}}})
for i in range(5):
    gw.put_object(Bucket='stat1', Key='k%d' % i, Body=b'x')
PY

my ($doc, $res);
for (1 .. 100) {
    $res = $env->request(method => 'GET', uri => '/status');
    $doc = eval { decode_json($res->{body}) };
    last if $doc && $doc->{journal} && @{$doc->{journal}{tables} // []}
            && $doc->{journal}{tables}[0]{rows} >= 5 && $doc->{wal};
    select(undef, undef, undef, 0.2);
}
is($res->{status}, 200, 'GET /status: 200');
like($res->{headers}{'content-type'}, qr{^application/json}, 'JSON');
is($doc->{version}, 1, 'version 1');
ok($doc->{helpers}{$_}{running}, "helper $_ running")
    for qw(journal wal wal-verify);
ok(defined $doc->{wal}{records}, "the WAL housekeeper's report");
ok(defined $doc->{verify}{passes}, "the verifier's report");
is($doc->{journal}{tables}[0]{bucket}, 'stat1', "the journal's table");
is($doc->{journal}{tables}[0]{rows}, 5, 'with its 5 rows');
is($doc->{journal}{tables}[0]{records_behind}, 0, 'and no lag');

$res = $env->request(method => 'GET', uri => '/status?format=prometheus');
is($res->{status}, 200, 'GET /status?format=prometheus: 200');
like($res->{headers}{'content-type'}, qr{^text/plain; version=0\.0\.4},
     'Prometheus text');
my $p = $res->{body};
like($p, qr/^icetap_up 1$/m, 'icetap_up');
like($p, qr/^icetap_helper_running\{helper="journal"\} 1$/m,
     'helper running gauge');
like($p, qr/^# TYPE icetap_journal_tables_records_behind gauge$/m,
     'TYPE lines');
like($p, qr/^icetap_journal_tables_records_behind\{[^}]*bucket="stat1"[^}]*\} 0$/m,
     'journal lag per table, labelled');
like($p, qr/^icetap_journal_tables_rows\{[^}]*table="journal"[^}]*\} 5$/m,
     'rows per table');
like($p, qr/^icetap_wal_age_seconds [0-9.e+-]+$/m, 'report age');
like($p, qr/^icetap_journal_tables_error\{[^}]*\} 0$/m, 'no journal error');
my %seen;
my $grouped = 1;
my $last = '';
for (grep { !/^#/ } split /\n/, $p) {
    my ($n) = /^([a-z_]+)/;
    $grouped = 0 if $n ne $last && $seen{$n}++;
    $last = $n;
}
ok($grouped, "each metric's samples together");

$res = $env->request(method => 'GET', uri => '/status?format=xml');
is($res->{status}, 400, 'an unknown format: 400');
$res = $env->request(method => 'POST', uri => '/status', body => 'x');
is($res->{status}, 405, 'POST: 405');

# the CLI prints the same document

my $cli = Test::Icetap::Env::cli_path();
my $c = decode_json($env->run_cmd([$cli, 'status', $env->wal_dir]));
is($c->{journal}{tables}[0]{bucket}, 'stat1', 'icetap status: JSON');
like($env->run_cmd([$cli, 'status', $env->wal_dir, '--prometheus']),
     qr/^icetap_journal_tables_rows\{[^}]*\} 5$/m,
     'icetap status --prometheus');

# a damaged report is reported as such, not fatal

open my $fh, '>', $env->wal_dir . '/broken.json' or die;
print $fh '{not json';
close $fh;
$res = $env->request(method => 'GET', uri => '/status');
$doc = decode_json($res->{body});
like($doc->{broken}{error}, qr/not a JSON object/, 'a broken report: its error');
unlink $env->wal_dir . '/broken.json';

$env->stop;
is_deeply([$env->log_problems], [], 'no errors in the log');

done_testing();
