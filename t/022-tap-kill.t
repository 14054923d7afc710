# kill -9 of workers at random moments while four clients run mutations:
# every acknowledged mutation has exactly one record, none is duplicated,
# and a mutation whose client lost the connection has at most one.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use POSIX ();
use Time::HiRes qw(sleep time);
use Test::More;
use Test::Icetap::Env;

my $clients = 4;
my $ops = $ENV{ICETAP_SOAK} ? 5000 : 600;

my $env = Test::Icetap::Env->new(
    workers => 2,
    config => <<'CONF');
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
my %penv = $env->py_env;
my @pids;

for my $c (1 .. $clients) {
    my $pid = fork // die "fork: $!";

    if ($pid == 0) {
        $ENV{$_} = $penv{$_} for keys %penv;
        delete $ENV{LD_PRELOAD};
        open STDOUT, '>', "$sr/client$c.out" or POSIX::_exit(127);
        open STDERR, '>&', \*STDOUT;
        no warnings 'exec';
        exec 'python3', "$FindBin::Bin/py/tap_workload.py", '--ops', $ops,
             '--seed', 9000 + $c, '--out', "$sr/truth$c.jsonl";
        POSIX::_exit(127);
    }

    push @pids, $pid;
}

# kill a random worker every 0.2 to 0.6 s while the clients run

my $kills = 0;
my $deadline = time + 300;

while (grep { waitpid($_, POSIX::WNOHANG()) == 0 } @pids) {
    last if time > $deadline;
    sleep 0.2 + rand 0.4;

    my @w = $env->worker_pids;
    next unless @w;

    my $victim = $w[int rand @w];
    next unless kill 'KILL', $victim;
    $kills++;

    # wait for the master to replace it before the next kill
    my $until = time + 10;
    sleep 0.01 while time < $until
        && (grep { $_ == $victim } $env->worker_pids
            || scalar(my @n = $env->worker_pids) < 2);
}

waitpid($_, 0) for @pids;

cmp_ok($kills, '>=', 5, "$kills workers killed with SIGKILL");

my ($acc, $amb) = (0, 0);

for my $c (1 .. $clients) {
    open my $fh, '<', "$sr/client$c.out" or die;
    my $out = do { local $/; <$fh> };
    like($out, qr/^ops=\d+ accepted=\d+/m, "client $c finished")
        or diag $out;
    $acc += $1 if $out =~ /accepted=(\d+)/;
    $amb += $1 if $out =~ /ambiguous=(\d+)/;
}

note "$acc accepted, $amb lost with the connection";

system("cat $sr/truth*.jsonl > $sr/truth.jsonl") == 0 or die;

open my $fh, '>', "$sr/wal.jsonl" or die;
print $fh $env->wal_dump;
close $fh;

my $cmp = $env->run_cmd(['python3', 't/py/compare_wal.py', "$sr/truth.jsonl",
                         "$sr/wal.jsonl"], allow_fail => 1);
is($env->{py}{rc}, 0, 'no acknowledged mutation lost, none duplicated')
    or diag $cmp;
note $cmp;

my $check = `'${\ Test::Icetap::Env::cli_path()}' wal check '${\ $env->wal_dir}'`;
unlike($check, qr/corrupt/, 'no corrupt segment') or diag $check;

$env->stop;

my @bad = grep { !/exited on signal 9/ }
          $env->error_log =~ /^.*\[(?:alert|crit|emerg)\].*$/mg;
is(scalar @bad, 0, 'no alerts but the kills') or diag join "\n", @bad;

done_testing();
