# A boto3 workload of mixed mutations over three buckets (versioned,
# unversioned, virtual-hosted) through the gateway: the WAL equals the
# client's ground truth of accepted mutations field by field, and the
# rejected ones (no such bucket, no such key, bad upload id) left nothing.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Icetap::Env;

my $ops = $ENV{ICETAP_SOAK} ? 20000 : 2000;

my $env = Test::Icetap::Env->new(
    workers => 2,
    config => <<'CONF');
icetap_virtual_host_suffix s3.local;
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    proxy_request_buffering off;
    proxy_buffering off;
    client_max_body_size 0;
    icetap_tap on;
}
CONF

$env->start;

my $sr = $env->servroot;
my $out = $env->run_cmd(['python3', 't/py/tap_workload.py', '--ops', $ops,
                         '--seed', 4242, '--out', "$sr/truth.jsonl"],
                        env => { ICETAP_VHOST_SUFFIX => 's3.local' });
note $out;
my ($accepted) = $out =~ /accepted=(\d+)/;
my ($rejected) = $out =~ /rejected=(\d+)/;
cmp_ok($accepted, '>', $ops / 2, "workload of $ops ops: $accepted accepted");
cmp_ok($rejected, '>', 100, "and $rejected rejected by the store");

open my $fh, '>', "$sr/wal.jsonl" or die;
print $fh $env->wal_dump;
close $fh;

my @recs = $env->wal_records;
ok((grep { $_->{virtual_hosted} } @recs) > 50,
   'the virtual-hosted bucket was tapped');

my $cmp = $env->run_cmd(['python3', 't/py/compare_wal.py', "$sr/truth.jsonl",
                         "$sr/wal.jsonl"], allow_fail => 1);
is($env->{py}{rc}, 0, 'WAL equals the ground truth') or diag $cmp;
note $cmp;

my $check = `'${\ Test::Icetap::Env::cli_path()}' wal check '${\ $env->wal_dir}'`;
like($check, qr/ 0 damaged$/m, 'no damaged segment') or diag $check;

$env->stop;

unlike($env->error_log, qr/\[(alert|crit|emerg)\]/, 'no alerts in the log');

done_testing();
