# Helper processes: started by nginx under the cache manager, titled
# "nginx: icetap NAME", respawned with back-off when they die, replaced on
# reload with the new configuration, stopped on quit and terminate, never
# started by "nginx -t" or "nginx -s"; one killed or stopped helper does not
# disturb another.  The helpers under test are the WAL housekeepers: "wal"
# keeps <WAL dir>/status.json, "wal-verify" keeps <WAL dir>/verify.json.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Path qw(make_path);
use JSON::PP ();
use Time::HiRes qw(sleep time);
use Test::More;
use Test::Icetap::Env;
use Test::Icetap::HTTP qw(http_request);

my $loc = <<'CONF';
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    icetap_tap on;
}
CONF


sub slurp {
    my ($f) = @_;
    open my $fh, '<', $f or return undef;
    local $/;
    return scalar <$fh>;
}


sub ppid_of {
    my $stat = slurp("/proc/$_[0]/stat") // return 0;
    return $stat =~ /\)\s+\S+\s+(\d+)/ ? $1 : 0;
}


sub title_of {
    (my $cmd = slurp("/proc/$_[0]/cmdline") // '') =~ s/\0+/ /g;
    $cmd =~ s/\s+$//;
    return $cmd;
}


sub alive {
    my ($pid) = @_;
    my $stat = slurp("/proc/$pid/stat") // return 0;
    return $stat !~ /\)\s+Z\s/;
}


# helpers(ENV): {title => [pids]} of the processes whose parent is a
# child of this nginx's master (the cache manager), zombies left out

sub helpers {
    my ($env) = @_;

    my %managers = map { $_ => 1 } $env->helper_pids;
    my %h;

    opendir my $dh, '/proc' or die;
    for my $p (grep { /^\d+$/ } readdir $dh) {
        next unless $managers{ppid_of($p)} && alive($p);
        push @{$h{title_of($p)}}, $p;
    }
    closedir $dh;

    $_ = [sort { $a <=> $b } @$_] for values %h;

    return \%h;
}


sub helper_pid {
    my ($env, $name) = @_;
    my $p = helpers($env)->{"nginx: icetap $name"} // [];
    return @$p == 1 ? $p->[0] : undef;
}


sub wait_for {
    my ($what, $timeout) = @_;
    my $end = time + ($timeout // 10);
    while (time < $end) {
        my $r = $what->();
        return $r if $r;
        sleep 0.05;
    }
    return undef;
}


sub json_file {
    my $t = slurp($_[0]) // return undef;
    return eval { JSON::PP->new->decode($t) };
}


sub status { json_file($_[0]->wal_dir . '/status.json') }
sub verify { json_file($_[0]->wal_dir . '/verify.json') }


# waits for a status.json written after $since (ms) by $pid (if given)
sub fresh_status {
    my ($env, $since, $pid, $file) = @_;
    $file //= 'status.json';
    return wait_for(sub {
        my $s = json_file($env->wal_dir . "/$file") or return undef;
        return undef if $s->{updated_ms} <= $since;
        return undef if $pid && $s->{pid} != $pid;
        return $s;
    }, 10);
}


sub now_ms { int(time * 1000) }


sub put {
    my ($env, $path, $body) = @_;
    return http_request(port => $env->port, method => 'PUT', uri => $path,
                        body => $body // '', sign => 1);
}


# --- nginx -t starts no helper ---------------------------------------------

{
    my $env = Test::Icetap::Env->new(config => $loc);
    $env->prepare;

    my ($ok, $out) = $env->test_conf;
    ok($ok, 'nginx -t accepts the config') or diag $out;
    sleep 1.5;
    ok(!-e $env->wal_dir . '/status.json', 'nginx -t started no helper');
    unlike($env->error_log, qr/icetap helper/, 'and logged none');
}


# --- lifecycle -------------------------------------------------------------

my $env = Test::Icetap::Env->new(config => $loc);
$env->start;

my $h = wait_for(sub {
    my $h = helpers($env);
    return $h->{'nginx: icetap wal'} && $h->{'nginx: icetap wal-verify'}
           ? $h : undef;
});
ok($h, 'both helpers run') or diag explain helpers($env);
is_deeply([sort keys %$h], ['nginx: icetap wal', 'nginx: icetap wal-verify'],
          'titled "nginx: icetap NAME", nothing else under the manager');
is(scalar @{$h->{'nginx: icetap wal'}}, 1, 'one "wal"');
is(scalar @{$h->{'nginx: icetap wal-verify'}}, 1, 'one "wal-verify"');

my @managers = $env->helper_pids;
is(scalar @managers, 1, 'under one cache manager process');
like(title_of($managers[0]), qr/^nginx: cache manager process/,
     'which is nginx\'s cache manager');

my $wal = helper_pid($env, 'wal');
my $verify = helper_pid($env, 'wal-verify');

like($env->error_log, qr/\[notice\] .*icetap helper "wal" started, pid $wal\b/,
     'the start is logged with name and pid');

my $s = fresh_status($env, 0, $wal);
ok($s, 'status.json appears, written by the "wal" helper') or diag explain status($env);
is($s->{dir}, $env->wal_dir, 'it names the WAL directory');
is($s->{damaged_segments}, 0, 'no damage');

my $s2 = fresh_status($env, $s->{updated_ms}, $wal);
ok($s2 && $s2->{passes} > $s->{passes}, 'and is updated every second')
    or diag explain $s2;


# the status follows the WAL

http_request(port => $env->s3_port, method => 'PUT', uri => '/housekeep', sign => 1);
my @codes = map { put($env, "/housekeep/k$_", "v$_")->{status} } 1 .. 5;
is("@codes", '200 200 200 200 200', 'five mutations through the tap');

$s = wait_for(sub { my $s = status($env); $s && $s->{records} == 5 ? $s : undef });
ok($s, 'status counts their five records') or diag explain status($env);
is($s->{records}, scalar(my @r = $env->wal_records), 'as the WAL holds');
ok($s->{bytes} > 64 && $s->{segments} >= 1, "bytes $s->{bytes}, "
   . "segments $s->{segments}");
ok(ref $s->{oldest_unsealed} eq 'HASH'
   && $s->{oldest_unsealed}{age_ms} >= 0
   && $s->{oldest_unsealed}{segment} =~ /\.wal$/,
   'the oldest unsealed segment and its age') or diag explain $s;

my $v = fresh_status($env, 0, $verify, 'verify.json');
ok($v, 'verify.json appears, written by "wal-verify"') or diag explain verify($env);
is_deeply($v->{damaged}, [], 'nothing damaged');


# kill -9: respawned within the back-off, and works again

kill 'KILL', $wal;
my $t0 = now_ms();
my $wal2 = wait_for(sub { my $p = helper_pid($env, 'wal'); $p && $p != $wal ? $p : undef });
ok($wal2, "killed \"wal\" ($wal) is respawned" . ($wal2 ? " ($wal2)" : ''));
cmp_ok(now_ms() - $t0, '<', 3000, 'promptly');
like($env->error_log,
     qr/\[notice\] .*icetap helper "wal" \(pid $wal\) exited on signal 9 after \d+ms, restarting in 100ms/,
     'the exit and the restart are logged');
like($env->error_log, qr/icetap helper "wal" started, pid $wal2\b/,
     'so is the new start');
$s = fresh_status($env, $t0, $wal2);
ok($s, 'the new instance updates status.json');
is($s->{records}, 5, 'with the same accounting');


# kill it again and again: back-off doubles; "wal-verify" is untouched

$v = verify($env);
my $cur = $wal2;
for my $i (1 .. 4) {
    kill 'KILL', $cur;
    my $old = $cur;
    $cur = wait_for(sub { my $p = helper_pid($env, 'wal'); $p && $p != $old ? $p : undef }, 15);
    last unless $cur;
}
ok($cur, 'respawned after each of four more kills');

my @delays = $env->error_log =~ /icetap helper "wal" \(pid \d+\) exited on signal 9 after \d+ms, restarting in (\d+)ms/g;
is("@delays", '100 200 400 800 1600', 'back-off doubles while it keeps dying');
is(helper_pid($env, 'wal-verify'), $verify, '"wal-verify" kept running');
my $v2 = fresh_status($env, $v->{updated_ms}, $verify, 'verify.json');
ok($v2 && $v2->{passes} > $v->{passes}, 'and kept working');


# a stopped (slow) helper does not delay the other one

kill 'STOP', $verify;
$t0 = now_ms();
$s = fresh_status($env, $t0, $cur);
my $s3 = $s && fresh_status($env, $s->{updated_ms}, $cur);
ok($s3, 'status keeps updating while "wal-verify" is stopped');
kill 'CONT', $verify;
$v = fresh_status($env, now_ms(), $verify, 'verify.json');
ok($v, '"wal-verify" resumes after SIGCONT');


# nginx -s reopen: no helper is started, logs are reopened

my %before = map { $_ => 1 } map { @$_ } values %{helpers($env)};
my $sig = do {
    # the same environment as the master (the ASan runtime for ASan builds)
    local %ENV = (%ENV, $env->_nginx_env);
    `'${\Test::Icetap::Env::nginx_binary()}' -p '${\$env->servroot}/' -c '${\$env->conf_file}' -s reopen 2>&1`;
};
is($?, 0, 'nginx -s reopen') or diag $sig;
ok(wait_for(sub { $env->error_log =~ /\b$cur#\d+: reopening logs/ }),
   'the helper reopened its logs');
sleep 0.5;
is_deeply([sort { $a <=> $b } map { @$_ } values %{helpers($env)}],
          [sort { $a <=> $b } keys %before], 'nginx -s started no helper');


# reload: replaced, with the new configuration, still one of each

my $wal_dir2 = $env->servroot . '/wal2';
my %old = map { $_ => 1 } $cur, $verify, @managers;
$env->{http_config} = "icetap_wal $wal_dir2;";
$env->reload(rewrite => 1);

$h = wait_for(sub {
    my $h = helpers($env);
    return undef if grep { alive($_) } keys %old;
    return $h->{'nginx: icetap wal'} && $h->{'nginx: icetap wal-verify'}
           ? $h : undef;
}, 20);
ok($h, 'after reload the old helpers and manager are gone, new ones run')
    or diag explain helpers($env);
is_deeply([sort keys %$h], ['nginx: icetap wal', 'nginx: icetap wal-verify'],
          'one set of helpers');
is(scalar @{$h->{'nginx: icetap wal'}}, 1, 'one "wal" instance');
my $wal3 = $h->{'nginx: icetap wal'}[0];
ok(!$old{$wal3}, "a new process ($wal3)");
$s = wait_for(sub { my $s = json_file("$wal_dir2/status.json"); $s && $s->{pid} == $wal3 ? $s : undef });
ok($s, 'which works with the new configuration (the new WAL directory)');
is($s && $s->{dir}, $wal_dir2, 'named in its status');
like($env->error_log, qr/icetap helper "wal" \(pid $cur\) exited with code 0/,
     'the old instance exited cleanly');


# kill -9 of the supervisor: nginx respawns it, its helpers die with it

my ($mgr) = $env->helper_pids;
my @kids = map { @$_ } values %{helpers($env)};
kill 'KILL', $mgr;
ok(wait_for(sub { !grep { alive($_) } @kids }), 'the helpers die with their supervisor');
$h = wait_for(sub {
    my ($m) = $env->helper_pids;
    return undef unless $m && $m != $mgr;
    my $h = helpers($env);
    return $h->{'nginx: icetap wal'} && $h->{'nginx: icetap wal-verify'} ? $h : undef;
});
ok($h, 'and are started again under the new one');


# quit: no helper outlives nginx

@kids = map { @$_ } values %{helpers($env)};
is(scalar @kids, 2, 'two helpers before quit');
$env->stop;
ok(!$env->{stop_timed_out}, 'quit completes');
ok(!grep({ alive($_) } @kids), 'no helper left after quit');
like($env->error_log, qr/icetap helper "wal-verify" \(pid \d+\) exited with code 0\n(?:.*\n)*.*cache manager process \d+ exited with code 0/,
     'helpers exit before their supervisor');
my @bad = $env->log_problems(allow_kill => 1);
is_deeply(\@bad, [], 'no alert, crit or error in the log') or diag explain \@bad;


# terminate (SIGTERM) stops them too

$env->start;
@kids = map { @$_ } @{wait_for(sub {
    my $h = helpers($env);
    return $h->{'nginx: icetap wal'} && $h->{'nginx: icetap wal-verify'}
           ? [values %$h] : undef;
}) // []};
is(scalar @kids, 2, 'helpers run after a fresh start');
$env->stop(signal => 'TERM');
ok(!grep({ alive($_) } @kids), 'no helper left after terminate');


done_testing;
