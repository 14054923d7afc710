package Test::Icetap;

# Test::Nginx::Socket-style data-driven tests for icetap: each block of the
# test file's __DATA__ runs against a freshly started nginx that loads the
# module and proxies to a moto S3 store started once per test file.
# Section reference: t/lib/README.md.

use strict;
use warnings;

use Test::Base -base;

use JSON::PP ();
use Test::Icetap::Env;
use Test::Icetap::HTTP qw(http_request sigv4_sign uri_escape_s3);

our @EXPORT = qw(run_tests env s3_direct s3_gw s3_raw create_bucket put_object
                 wal_records uri_escape_s3 json_decode json_encode
                 explain note subtest done_testing);

# Test::More functions Test::Base does not pass on
*explain = \&Test::More::explain;
*note = \&Test::More::note;
*subtest = \&Test::More::subtest;
*done_testing = \&Test::More::done_testing;

my $env;          # the Env of the current block
my $block;        # the current block


sub env { $env }


sub json_decode { JSON::PP->new->utf8->decode($_[0]) }
sub json_encode { JSON::PP->new->utf8->canonical->encode($_[0]) }


# --- setup helpers -------------------------------------------------------

# s3_direct(METHOD, PATH, headers => {...} | [[n, v]], body => B,
#           host => HOST, sign => 0|1): a request straight to the store
# (signed with SigV4 unless sign => 0); returns the parsed response

sub s3_direct {
    my ($method, $path, %o) = @_;
    return _s3($env->s3_port, $method, $path, %o);
}


# s3_gw(...): the same request through the gateway under test

sub s3_gw {
    my ($method, $path, %o) = @_;
    return _s3($env->port, $method, $path, %o);
}


# s3_raw(BYTES, %opts): raw bytes straight to the store (to compare what
# the store answers to the same malformed request)

sub s3_raw {
    my ($data, %o) = @_;
    return Test::Icetap::HTTP::http_raw(port => $env->s3_port, data => $data,
                                        timeout => $o{timeout} // 10, %o);
}


sub _s3 {
    my ($port, $method, $path, %o) = @_;

    return http_request(
        port    => $port,
        method  => $method,
        uri     => $path,
        headers => $o{headers},
        body    => $o{body} // ($method =~ /^(?:PUT|POST)$/ ? '' : undef),
        host    => $o{host},
        sign    => $o{sign} // 1,
        timeout => $o{timeout},
    );
}


sub create_bucket {
    my ($bucket, %o) = @_;
    my $r = s3_direct('PUT', "/$bucket", %o);
    die "create bucket $bucket: $r->{status}\n$r->{body}"
        unless ($r->{status} // 0) == 200;
    return $r;
}


sub put_object {
    my ($bucket, $key, $body, %o) = @_;
    my $r = s3_direct('PUT', "/$bucket/" . uri_escape_s3($key, 1),
                      body => $body, %o);
    die "put $bucket/$key: $r->{status}\n$r->{body}"
        unless ($r->{status} // 0) == 200;
    return $r;
}


sub wal_records { $env->wal_records }


# --- the block runner ----------------------------------------------------

sub run_tests {
    my $port;
    my @blocks = Test::Base::blocks();

    # one subtest per block; Test::Base needs a real plan()
    Test::More::plan(tests => scalar @blocks)
        unless Test::More->builder->has_plan;

    for my $b (@blocks) {
        $block = $b;
        my $name = $b->name;

        $env = Test::Icetap::Env->new(
            port        => $port,
            workers     => _val($b, 'workers'),
            main_config => _val($b, 'main_config'),
            http_config => _val($b, 'http_config'),
            config      => _val($b, 'config'),
            log_level   => _val($b, 'log_level'),
            no_wal      => defined $b->no_wal,
        );
        $port = $env->port;

        my %v = %{$env->vars};
        $ENV{$_} = $v{$_} for keys %v;

        $env->s3->reset unless defined $b->keep_s3;

        Test::More::subtest($name, sub { _run_block($b) });

        $env->stop;
    }
}


sub _val {
    my ($b, $s) = @_;
    my $v = $b->$s;
    return undef unless defined $v;
    $v =~ s/\s+\z// if $s =~ /^(?:workers|log_level)$/;
    return $v;
}


sub _lines {
    my ($b, $s) = @_;
    my @v = $b->$s;
    return () unless @v && defined $v[0];
    return map { ref $_ eq 'ARRAY' ? @$_ : $_ } @v if ref $v[0];
    return grep { /\S/ } split /\n/, join '', @v;
}


sub _run_block {
    my ($b) = @_;

    my $name = $b->name;

    if (defined $b->must_die) {
        $env->prepare;
        my ($t_ok, $t_out) = $env->test_conf;
        Test::More::ok(!$t_ok, "$name - nginx -t fails");
        my $ok = eval { $env->start; 1 };
        Test::More::ok(!$ok, "$name - nginx refuses to start");
        my $out = $env->startup_output;
        for my $p (_lines($b, 'error_log')) {
            _match_log($t_out, $p, "$name - nginx -t output");
            _match_log($out, $p, "$name - startup output");
        }
        Test::More::is_deeply([$env->asan_reports], [],
                              "$name - no ASan report");
        return;
    }

    unless (eval { $env->start; 1 }) {
        Test::More::fail("$name - nginx starts");
        Test::More::diag($@);
        return;
    }

    my @workers = $env->worker_pids;

    if (defined $b->setup) {
        my $code = $env->expand($b->setup);
        my $ok = eval "package main; no strict 'vars'; $code; 1";
        unless ($ok) {
            Test::More::fail("$name - setup");
            Test::More::diag($@);
            return;
        }
    }

    # the code of --- setup and --- check sees $env, $block and $res
    my $res;
    if (defined $b->request || defined $b->raw_request) {
        $res = eval { _send($b) };
        unless ($res) {
            Test::More::fail("$name - request");
            Test::More::diag($@);
            return;
        }
        _check_response($b, $res);
    }

    if (defined $b->check) {
        my $code = $env->expand($b->check);
        my $ok = eval "package main; no strict 'vars'; $code; 1";
        Test::More::fail("$name - check code") unless $ok;
        Test::More::diag($@) unless $ok;
    }

    # unchanged worker pids: no worker died while serving the block
    unless (defined $b->workers_may_change) {
        Test::More::is_deeply([$env->worker_pids], \@workers,
                              "$name - workers unchanged");
    }

    # stopping first makes the error log and the WAL complete
    $env->stop;

    _check_logs($b);
    _check_wal($b);
}


sub _send {
    my ($b) = @_;

    my $timeout = $b->timeout;
    $timeout =~ s/\s+//g if defined $timeout;

    if (defined $b->raw_request) {
        my $data = $env->expand($b->raw_request);
        return $env->raw_request($data, timeout => $timeout // 10,
                                 shutdown => defined $b->raw_request_shutdown);
    }

    my $req = $env->expand($b->request);
    $req =~ s/\A\s+//;
    my ($line, $body) = split /\n/, $req, 2;
    my ($method, $uri, $proto) = split ' ', $line;

    $body = $env->expand($b->request_body) if defined $b->request_body;

    my @h;
    for my $l (_lines($b, 'more_headers')) {
        $l = $env->expand($l);
        my ($n, $v) = split /:\s*/, $l, 2;
        push @h, [$n, $v // ''];
    }

    push @h, ['Host', 'localhost'] unless grep { lc $_->[0] eq 'host' } @h;

    return $env->request(
        method  => $method,
        uri     => $uri,
        proto   => $proto,
        headers => \@h,
        body    => $body,
        sign    => defined $b->sign,
        timeout => $timeout,
    );
}


sub _check_response {
    my ($b, $r) = @_;

    my $name = $b->name;

    if (defined(my $code = $b->error_code)) {
        $code =~ s/\s+//g;
        Test::More::is($r->{status}, $code, "$name - status code")
            or Test::More::diag("response:\n" . substr($r->{raw} // '', 0, 2000));
    }

    for my $l (_lines($b, 'response_headers')) {
        $l = $env->expand($l);
        if ($l =~ /^!\s*(\S+?):?\s*$/) {
            Test::More::ok(!exists $r->{headers}{lc $1},
                           "$name - header $1 absent")
                or Test::More::diag("$1: $r->{headers}{lc $1}");
            next;
        }
        my ($n, $v) = split /:\s*/, $l, 2;
        Test::More::is($r->{headers}{lc $n}, $v // '', "$name - header $n");
    }

    for my $l (_lines($b, 'response_headers_like')) {
        my ($n, $re) = split /:\s*/, $l, 2;
        Test::More::like($r->{headers}{lc $n} // '', qr/$re/,
                         "$name - header $n like");
    }

    if (defined(my $body = $b->response_body)) {
        Test::More::is($r->{body}, $env->expand($body),
                       "$name - response body");
    }

    if (defined(my $re = $b->response_body_like)) {
        $re = ref $re ? $re : qr/$re/s;
        Test::More::like($r->{body}, $re, "$name - response body like");
    }

    if (defined(my $re = $b->response_body_unlike)) {
        $re = ref $re ? $re : qr/$re/s;
        Test::More::unlike($r->{body}, $re, "$name - response body unlike");
    }
}


sub _match_log {
    my ($log, $p, $what, $negate) = @_;

    my $hit = ref $p eq 'Regexp' ? $log =~ $p : index($log, $p) >= 0;

    if ($negate) {
        Test::More::ok(!$hit, "$what has no \"$p\"");
    } else {
        Test::More::ok($hit, "$what has \"$p\"")
            or Test::More::diag("log:\n" . substr($log, -3000));
    }
}


sub _check_logs {
    my ($b) = @_;

    my $name = $b->name;
    my $log = $env->error_log;
    my @expect = _lines($b, 'error_log');

    _match_log($log, $_, "$name - error log") for @expect;
    _match_log($log, $_, "$name - error log", 1) for _lines($b, 'no_error_log');

    # a block that expects log lines may see [error] ones
    my $allow = @expect ? 1 : 0;
    my @bad = $env->log_problems(allow_error => $allow ? 1 : 0,
                                 allow_kill => defined $b->workers_may_change);

    Test::More::ok(!@bad, "$name - no alert/crit/emerg"
                   . ($allow ? '' : '/error') . " in the log")
        or Test::More::diag(join "\n", @bad);
}


sub _check_wal {
    my ($b) = @_;

    my $name = $b->name;

    return unless defined $b->wal || defined $b->wal_like
                  || defined $b->wal_count;

    my @recs = $env->wal_records;

    if (defined(my $n = $b->wal_count)) {
        $n =~ s/\s+//g;
        Test::More::is(scalar @recs, $n, "$name - WAL record count")
            or Test::More::diag($env->wal_dump);
    }

    if (defined(my $re = $b->wal_like)) {
        $re = ref $re ? $re : qr/$re/s;
        Test::More::like($env->wal_dump, $re, "$name - WAL like");
    }

    if (defined $b->wal) {
        my @want = map { json_decode($_) } _lines($b, 'wal');
        Test::More::is(scalar @recs, scalar @want, "$name - WAL records")
            or Test::More::diag($env->wal_dump);

        for my $i (0 .. $#want) {
            my @diff = _subset_diff($want[$i], $recs[$i]);
            Test::More::ok(!@diff, "$name - WAL record $i")
                or Test::More::diag(join "\n", @diff,
                                    "record: " . json_encode($recs[$i] // {}));
        }
    }
}


# every field of WANT is in GOT with the same value (recursively for
# objects; arrays compared whole)

sub _subset_diff {
    my ($want, $got, $path) = @_;

    $path //= '';
    my @d;

    if (ref $want eq 'HASH') {
        return ("$path: expected an object") unless ref $got eq 'HASH';
        for my $k (sort keys %$want) {
            push @d, exists $got->{$k}
                ? _subset_diff($want->{$k}, $got->{$k}, "$path.$k")
                : ("$path.$k: missing");
        }
        return @d;
    }

    my $w = json_encode([$want]);
    my $g = json_encode([$got]);
    return $w eq $g ? () : ("$path: expected $w, got $g");
}


1;
