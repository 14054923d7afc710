# Transparent proxy with virtual-hosted addressing: boto3 sends
# Host: <bucket>.s3.local:PORT (t/py/icetap_test.py resolves s3.local to
# the loopback address); moto takes the bucket from the Host name as AWS
# does, so the same scenarios must match through the gateway and directly.
# The tap (icetap_virtual_host_suffix s3.local) records the bucket from
# the Host name.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Icetap::Env;
use Test::Icetap::Compare;

my $env = proxy_env();
$env->start;
my @workers = $env->worker_pids;

my ($gw) = compare_runs($env, 't/py/s3_scenarios.py', 'virtual',
                        'vhgw', 'vhs3', qw(objects copy list delete
                        versioning multipart tagging presigned));
my $m = step_map($gw);

is($m->{'objects/get'}{ok}{Body}, 'hello world, hello gateway',
   'virtual-hosted GET');
is($m->{'copy/get from-v1'}{ok}{Body}, 'version one', 'copy by version');
is($m->{'presigned/presigned get'}{body}, 'presigned body',
   'presigned virtual-hosted GET');

my @recs = $env->wal_records;
my @vh = grep { $_->{bucket} eq 'vhgw-objects' && $_->{key} eq 'a.txt' }
    @recs;
ok(@vh >= 1, 'virtual-hosted PUT recorded') or diag $env->wal_dump;
is($vh[0]{virtual_hosted}, JSON::PP::true(), 'flagged virtual-hosted')
    if @vh;
is_deeply([grep { $_->{bucket} !~ /^vhgw-/ } @recs], [],
          'every record names a gateway bucket (none from the Host port)');

is_deeply([$env->worker_pids], \@workers, 'no worker died');
$env->stop;
is_deeply([$env->log_problems], [], 'no alert/crit/error in the log');

done_testing();
