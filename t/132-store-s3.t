# The S3 store against moto: every store call (multipart included),
# conditional puts with racing writers, error mapping, retries on 503
# SlowDown, resumed downloads and timeouts (a small local HTTP server
# misbehaving on purpose).
use strict;
use warnings;
use FindBin;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use Test::More;

my $root = "$FindBin::Bin/..";
my $build = $ENV{ICETAP_BUILD} // 'build';
$build = "$root/$build" unless $build =~ m{^/};
my $bin = "$build/unit/store_s3";

plan skip_all => "$bin not built (run make)" unless -x $bin;
chomp(my $moto = `command -v moto_server 2>/dev/null` // '');
plan skip_all => 'moto_server not found' unless $moto;

my $dir = tempdir(CLEANUP => 1);
my @pids;

sub free_port {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
                                  LocalPort => 0, Proto => 'tcp')
        or die "no free port: $!";
    my $port = $s->sockport;
    close $s;
    return $port;
}

sub start {
    my ($log, @cmd) = @_;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>', $log or die;
        open STDERR, '>&', \*STDOUT or die;
        exec @cmd or die "exec $cmd[0]: $!";
    }
    push @pids, $pid;
    return $pid;
}

sub wait_port {
    my ($port) = @_;
    for (1 .. 100) {
        my $c = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port");
        return 1 if $c;
        select(undef, undef, undef, 0.1);
    }
    return 0;
}

END {
    local $?;
    kill 'TERM', @pids if @pids;
    waitpid($_, 0) for @pids;
}

# moto as shipped (threaded), and the same application serving one request
# at a time, where a conditional write cannot interleave with another

my $port = free_port();
start("$dir/moto.log", $moto, '-H', '127.0.0.1', '-p', $port);

my $serial_port = free_port();
start("$dir/moto-serial.log", 'python3', '-c', <<"PY");
from werkzeug.serving import run_simple
from moto.server import DomainDispatcherApplication, create_backend_app
app = DomainDispatcherApplication(create_backend_app)
run_simple('127.0.0.1', $serial_port, app, threaded=False)
PY

my $flaky_port = free_port();
open my $py, '>', "$dir/flaky.py" or die;
print $py <<'PY';
import http.server, sys, time

counts = {}
BODY = b"0123456789abcdefghij"

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, code, body, headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amz-request-id", "FLAKY%d" % code)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        name = self.path.split("?")[0].rsplit("/", 1)[-1]
        counts[name] = counts.get(name, 0) + 1
        n = counts[name]
        if name.startswith("flaky-"):
            if n <= int(name[6:]):
                self.send(503, b"<?xml version='1.0'?><Error><Code>SlowDown"
                          b"</Code><Message>Please reduce your request rate."
                          b"</Message></Error>")
            else:
                self.send(200, b"attempt %d" % n, [("ETag", '"f"')])
        elif name == "broken":
            rng = self.headers.get("Range")
            if rng is None:
                self.send_response(200)
                self.send_header("Content-Length", "20")
                self.send_header("ETag", '"e1"')
                self.end_headers()
                self.wfile.write(BODY[:10])
                self.wfile.flush()
                self.close_connection = True
                return
            start = int(rng.split("=")[1].split("-")[0])
            if self.headers.get("If-Match") != '"e1"':
                self.send(412, b"<Error><Code>PreconditionFailed</Code>"
                          b"</Error>")
                return
            self.send(206, BODY[start:], [
                ("Content-Range", "bytes %d-19/20" % start),
                ("ETag", '"e1"')])
        elif name == "slow":
            time.sleep(5)
            self.send(200, b"late")
        else:
            self.send(404, b"<Error><Code>NoSuchKey</Code></Error>")

http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])),
                                H).serve_forever()
PY
close $py;
start("$dir/flaky.log", 'python3', "$dir/flaky.py", $flaky_port);

ok(wait_port($port), "moto_server listens on $port")
    or BAIL_OUT('moto_server did not start');
ok(wait_port($serial_port), "serial moto listens on $serial_port");
ok(wait_port($flaky_port), "flaky server listens on $flaky_port");

local $ENV{ICETAP_S3_ENDPOINT} = "http://127.0.0.1:$port";
local $ENV{ICETAP_S3_SERIAL_ENDPOINT} = "http://127.0.0.1:$serial_port";
local $ENV{ICETAP_S3_FLAKY_ENDPOINT} = "http://127.0.0.1:$flaky_port";

my @out = `'$bin' 2>&1`;
my $rc = $? >> 8;
my ($plan, $n) = (undef, 0);
for (@out) {
    chomp;
    if (/^(not )?ok \d+\s*-?\s*(.*)$/) {
        ok(!$1, $2);
        $n++;
    } elsif (/^1\.\.(\d+)/) {
        $plan = $1;
    } elsif (/^#/) {
        note $_;
    } else {
        diag $_;
    }
}
ok(defined $plan && $plan == $n && $n > 0, "store_s3 ran its $n tests");
is($rc, 0, 'store_s3 exits 0');

done_testing();
