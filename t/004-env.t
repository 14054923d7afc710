# The programmatic API of the harness (Test::Icetap::Env) that scenario
# tests use: workers, kill -9, reload, WAL records, client scripts.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Icetap::Env;
use Test::Icetap::Compare;
use Test::Icetap::HTTP qw(http_request);

my $env = proxy_env(workers => 2);
$env->start;

ok($env->master_pid, 'master pid');
my @w = $env->worker_pids;
is(scalar @w, 2, 'two workers');
ok(!grep({ $_ == $env->master_pid } @w), 'workers are not the master');
like($env->endpoint, qr{^http://127\.0\.0\.1:\d+$}, 'endpoint');
is($env->wal_dir, $env->servroot . '/wal', 'wal_dir under servroot');

# a client script gets the endpoints and credentials
my $p = $env->run_py_json('t/py/env_probe.py', 'envbkt', 'x y');
is($p->{status}, 200, 'client script put through the gateway');
is_deeply($p->{args}, ['envbkt', 'x y'], 'arguments passed');
is($p->{env}{ICETAP_ENDPOINT}, $env->endpoint, 'ICETAP_ENDPOINT');
is($p->{env}{ICETAP_S3_ENDPOINT}, $env->s3_endpoint, 'ICETAP_S3_ENDPOINT');
is($p->{env}{AWS_EC2_METADATA_DISABLED}, 'true', 'no metadata service');

my @recs = $env->wal_records;
is(scalar @recs, 1, 'its PutObject is in the WAL while nginx runs');

# a failing script is reported
eval { $env->run_py('t/py/env_probe.py') };
like($@, qr/exited with [1-9]/, 'a failing script dies with its status');

# kill -9 of a worker: the master replaces it, the WAL stays readable
my $victim = $env->kill_worker('KILL');
ok(!kill(0, $victim), "worker $victim is gone");
my @w2 = $env->worker_pids;
is(scalar @w2, 2, 'two workers again');
ok(!grep({ $_ == $victim } @w2), 'with a new pid');
like($env->error_log, qr/worker process $victim exited on signal 9/,
     'the master logged the kill');
is(scalar($env->wal_records), 1, 'WAL intact after kill -9');
like($env->wal_check, qr/total: \d+ segments, 1 records/, 'wal check');

# the new worker serves and records
is(http_request(port => $env->port, method => 'PUT', sign => 1,
                uri => '/envbkt/after-kill', body => 'x')->{status}, 200,
   'put after the kill');

# reload: a new set of workers
$env->reload;
my @w3 = $env->worker_pids;
note "workers before reload: @w2, after: @w3";
is(scalar @w3, 2, 'two workers after reload');
ok(!grep({ my $o = $_; grep { $_ == $o } @w2 } @w3), 'all of them new');
is(http_request(port => $env->port, method => 'PUT', sign => 1,
                uri => '/envbkt/after-reload', body => 'x')->{status}, 200,
   'put after reload');

my @keys = map { $_->{key} } $env->wal_records;
is_deeply([sort @keys], [qw(after-kill after-reload probe)],
          'every accepted mutation recorded exactly once');

# the VmHWM/VmRSS reader
my $vm = $env->vm_status($w3[0]);
ok($vm->{VmRSS} && $vm->{VmHWM}, 'vm_status reads /proc');

$env->stop;
ok(!kill(0, $env->master_pid // 0) || !$env->master_pid, 'stopped');
ok(!grep({ kill 0, $_ } @w3), 'workers gone');
is_deeply([$env->log_problems(allow_kill => 1)], [],
          'nothing but the deliberate kill in the log');
ok(scalar(grep { /exited on signal 9/ } $env->log_problems),
   'without allow_kill the kill is a problem');

# a restart keeping the servroot keeps the WAL
$env->start(no_prepare => 1);
is(scalar($env->wal_records), 3, 'WAL kept across a restart');
$env->stop;

done_testing();
