# icetap's helpers share nginx's cache manager process with a real
# proxy_cache: the cache still works (hits, and the manager still removes
# inactive entries on its own schedule), and the helpers still run,
# restart and stop.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Find;
use JSON::PP ();
use Time::HiRes qw(sleep time);
use Test::More;
use Test::Icetap::Env;
use Test::Icetap::HTTP qw(http_request);


sub slurp {
    my ($f) = @_;
    open my $fh, '<', $f or return undef;
    local $/;
    return scalar <$fh>;
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


# {title => [pids]} of the grandchildren of the master (the helpers)
sub helpers {
    my ($env) = @_;

    my %managers = map { $_ => 1 } $env->helper_pids;
    my %h;

    opendir my $dh, '/proc' or die;
    for my $p (grep { /^\d+$/ } readdir $dh) {
        my $stat = slurp("/proc/$p/stat") // next;
        next unless $stat =~ /\)\s+(\S+)\s+(\d+)/ && $1 ne 'Z'
                    && $managers{$2};
        (my $cmd = slurp("/proc/$p/cmdline") // '') =~ s/\0+/ /g;
        $cmd =~ s/\s+$//;
        push @{$h{$cmd}}, $p;
    }
    closedir $dh;

    return \%h;
}


sub cache_files {
    my ($dir) = @_;
    my @f;
    find(sub { push @f, $File::Find::name if -f $_ }, $dir) if -d $dir;
    return @f;
}


my $env = Test::Icetap::Env->new(
    http_config => 'proxy_cache_path $TEST_NGINX_SERVROOT/cache levels=1:2 '
                   . 'keys_zone=objects:1m inactive=2s;',
    config => <<'CONF');
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    icetap_tap on;
    proxy_cache objects;
    proxy_cache_valid 200 1h;
    proxy_ignore_headers Cache-Control Expires Set-Cookie;
    add_header X-Cache $upstream_cache_status always;
}
CONF

$env->start;
my $cache = $env->servroot . '/cache';

my @titles = sort map { $_ } values %{$env->children};
ok((grep { /^nginx: cache manager process/ } @titles),
   'one cache manager process') or diag explain \@titles;

my $h = wait_for(sub {
    my $h = helpers($env);
    return $h->{'nginx: icetap wal'} && $h->{'nginx: icetap wal-verify'}
           ? $h : undef;
});
ok($h, 'icetap helpers run under it') or diag explain helpers($env);


# the proxy cache works

my $r = http_request(port => $env->s3_port, method => 'PUT',
                     uri => '/cachebkt', sign => 1);
is($r->{status}, 200, 'bucket created in the store');
$r = http_request(port => $env->port, method => 'PUT',
                  uri => '/cachebkt/obj', body => 'cached body', sign => 1);
is($r->{status}, 200, 'object written through the tap');

sub cached_get {
    return http_request(port => $env->port, method => 'GET',
                        uri => '/cachebkt/obj', sign => 1);
}

$r = cached_get();
is($r->{status}, 200, 'first GET') or diag $r->{body};
is($r->{headers}{'x-cache'}, 'MISS', 'is a miss');
$r = cached_get();
is($r->{headers}{'x-cache'}, 'HIT', 'second GET is a hit');
is($r->{body}, 'cached body', 'with the body');
ok(scalar(cache_files($cache)) >= 1, 'the entry is on disk');


# the cache manager still expires inactive entries (inactive=2s): the
# helpers' callback does not hold it back nor make it spin

ok(wait_for(sub { !cache_files($cache) }, 15),
   'the cache manager removed the inactive entry');


# the helpers still respawn and the cache still works meanwhile

my ($wal) = @{helpers($env)->{'nginx: icetap wal'}};
kill 'KILL', $wal;
my $new = wait_for(sub {
    my $p = helpers($env)->{'nginx: icetap wal'};
    return $p && $p->[0] != $wal ? $p->[0] : undef;
});
ok($new, 'a killed helper is respawned');
my @mgr = $env->helper_pids;
ok((grep { slurp("/proc/$_/cmdline") =~ /^nginx: cache manager/ } @mgr),
   'the cache manager kept running');

$r = cached_get();
is($r->{headers}{'x-cache'}, 'MISS', 'a GET after expiry goes to the store');
$r = cached_get();
is($r->{headers}{'x-cache'}, 'HIT', 'and is cached again');

my $s = wait_for(sub {
    my $t = slurp($env->wal_dir . '/status.json') // return undef;
    my $s = eval { JSON::PP->new->decode($t) } or return undef;
    return $s->{pid} == $new && $s->{records} == 1 ? $s : undef;
});
ok($s, 'the respawned helper reports the one tapped record');


# quit stops everything

my @kids = map { @$_ } values %{helpers($env)};
$env->stop;
ok(!$env->{stop_timed_out}, 'quit completes');
ok(!grep({ -e "/proc/$_" && slurp("/proc/$_/cmdline") =~ /^nginx: icetap/ } @kids),
   'no helper left');
my @bad = $env->log_problems(allow_kill => 1);
is_deeply(\@bad, [], 'no alert, crit or error in the log') or diag explain \@bad;


done_testing;
