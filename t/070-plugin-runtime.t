# Lua plugins in helper processes (icetap_plugin): the directive's
# parameters reach the script; each plugin runs in its own process
# titled "nginx: icetap plugin NAME"; a plugin that raises an error is
# logged with file:line and a traceback and restarted with a growing
# back-off; a plugin that loops forever burns only its own process --
# the proxy and the journal helper keep working -- and still stops on
# reload; "nginx -s reload" runs an edited script.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use JSON::PP;
use Time::HiRes qw(sleep time);
use Test::More;
use Test::Icetap::Env;

my $ak = $Test::Icetap::HTTP::ACCESS_KEY;
my $sk = $Test::Icetap::HTTP::SECRET_KEY;

# helpers run as the workers' user: the scripts must be readable and
# the directory writable for it
my $dir = tempdir(CLEANUP => 1);
chmod 0777, $dir;

sub write_file {
    my ($path, $text) = @_;
    open my $fh, '>', $path or die "$path: $!";
    print $fh $text;
    close $fh;
    chmod 0644, $path;
}

sub read_file {
    my ($path) = @_;
    open my $fh, '<', $path or return undef;
    local $/;
    return <$fh>;
}

sub wait_for {
    my ($what, $timeout) = @_;
    my $deadline = time + ($timeout // 15);
    while (time < $deadline) {
        my $v = $what->();
        return $v if $v;
        sleep 0.1;
    }
    return undef;
}

# pids of the processes titled "nginx: icetap plugin NAME"

sub plugin_pids {
    my ($name) = @_;
    my @p;
    opendir my $dh, '/proc' or return ();
    for my $p (grep { /^\d+$/ } readdir $dh) {
        open my $fh, '<', "/proc/$p/cmdline" or next;
        my $cmd = do { local $/; <$fh> } // '';
        push @p, $p if $cmd =~ /^nginx: icetap plugin \Q$name\E\0*$/;
    }
    @p = sort { $a <=> $b } @p;
    return @p;
}

sub cpu_ticks {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/stat" or return 0;
    my $stat = <$fh> // '';
    my @f = split ' ', (split /\)\s*/, $stat, 2)[1] // '';
    return ($f[11] // 0) + ($f[12] // 0);
}

my $out = "$dir/params.json";

write_file("$dir/params.lua", <<'LUA');
local p = icetap.params
local f = assert(io.open(p.out, "w"))
local keys = {}
for k, v in pairs(p) do keys[#keys + 1] = string.format("%q:%q", k, v) end
table.sort(keys)
f:write("{", table.concat(keys, ","), ",\"name\":\"", icetap.name,
        "\",\"tables\":", #icetap.tables(), "}")
f:close()
icetap.log("notice", "params written for ", icetap.name)
while icetap.sleep(3600) do end
LUA

write_file("$dir/bad.lua", <<'LUA');
icetap.log("info", "bad plugin starting")
icetap.sleep(1)
local function deeper()
  error("boom from the bad plugin")
end
deeper()
LUA

write_file("$dir/loop.lua", <<'LUA');
local n = 0
while true do n = n + 1 end
LUA

write_file("$dir/edit.lua", <<"LUA");
local f = assert(io.open(icetap.params.out, "w"))
f:write("version one")
f:close()
LUA

my $env = Test::Icetap::Env->new(workers => 1, http_config => <<"HTTP",
icetap_store http://127.0.0.1:\$TEST_NGINX_S3_PORT bucket=icetap-state
             access_key=$ak secret_key=$sk addressing=path;
icetap_access_key $ak $sk;
icetap_journal interval=1s;
icetap_plugin params $dir/params.lua out=$out mode=test answer=42;
icetap_plugin bad $dir/bad.lua;
icetap_plugin loop $dir/loop.lua;
icetap_plugin edit $dir/edit.lua out=$dir/edit.out;
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

# parameters and names

my $got = wait_for(sub { my $t = read_file($out); $t && $t =~ /\}$/ && $t });
ok($got, 'the params plugin ran') or diag $env->error_log;
my $p = eval { decode_json($got // '{}') } // {};
is($p->{answer}, '42', 'a parameter reaches the script');
is($p->{mode}, 'test', 'another parameter reaches the script');
is($p->{out}, $out, 'a path parameter reaches the script');
is($p->{name}, 'params', 'icetap.name is the plugin name');
is($p->{tables}, 0, 'icetap.tables() lists an empty catalog');

for my $name (qw(params bad loop edit)) {
    ok(wait_for(sub { scalar plugin_pids($name) }),
       "ps shows \"nginx: icetap plugin $name\"");
}

like($env->error_log, qr/plugin "params": params written for params \(\S*params\.lua:\d+\)/,
     'icetap.log writes with file:line');

# the failing plugin: logged with file:line and traceback, restarted with
# a back-off that grows

ok(wait_for(sub {
        my @r = $env->error_log =~ /"plugin bad" \(pid \d+\) exited with code 1 after \d+ms, restarting in (\d+)ms/g;
        @r >= 3
    }, 30), 'the failing plugin is restarted again and again');

my $log = $env->error_log;
like($log, qr/plugin "bad" failed: \S*bad\.lua:4: boom from the bad plugin/,
     'the error is logged with file:line');
like($log, qr/stack traceback:.*bad\.lua:6/s, 'with a traceback');
my @backoff = $log =~ /"plugin bad" \(pid \d+\) exited with code 1 after \d+ms, restarting in (\d+)ms/g;
ok(@backoff >= 3 && $backoff[1] > $backoff[0] && $backoff[2] > $backoff[1],
   "the back-off grows (@backoff[0..2])");

# the looping plugin: burns its own CPU, the rest keeps working

my ($loop) = plugin_pids('loop');
ok($loop, 'the looping plugin runs');
my $t0 = cpu_ticks($loop);
sleep 1;
ok(cpu_ticks($loop) > $t0, 'the loop burns its own process');

my $res = $env->request(method => 'PUT', uri => '/plugin-bucket',
                        sign => 1);
is($res->{status}, 200, 'the proxy creates a bucket meanwhile');
$res = $env->request(method => 'PUT', uri => '/plugin-bucket/k1',
                     body => 'hello', sign => 1);
is($res->{status}, 200, 'the proxy stores an object meanwhile');
$res = $env->request(method => 'GET', uri => '/plugin-bucket/k1', sign => 1);
is($res->{body}, 'hello', 'and reads it back');

my $jf = $env->wal_dir . '/journal.json';
my $m0 = wait_for(sub { -f $jf && (stat $jf)[9] }) // 0;
ok(wait_for(sub { -f $jf && (stat _)[9] > $m0 }, 10),
   'the journal helper keeps writing its status');

ok(scalar plugin_pids('params'), 'the params plugin still runs');

# reload: an edited script runs; the loop stops (the hook) and restarts

ok(wait_for(sub { (read_file("$dir/edit.out") // '') eq 'version one' }),
   'the edit plugin ran its first version');

write_file("$dir/edit.lua", <<"LUA");
local f = assert(io.open(icetap.params.out, "w"))
f:write("version two")
f:close()
LUA

$env->reload;

ok(wait_for(sub { (read_file("$dir/edit.out") // '') eq 'version two' }),
   'after reload the edited script runs');
ok($loop && wait_for(sub { !kill 0, $loop }, 15),
   'the old looping plugin stopped on reload');
ok(wait_for(sub { my @l = plugin_pids('loop'); @l == 1 && $l[0] != ($loop // 0) }),
   'a new looping plugin runs');

$env->stop;

my @problems = $env->log_problems(allow_error => 1);
is_deeply(\@problems, [], 'no alerts or crashes in the error log')
    or diag explain \@problems;

done_testing;
