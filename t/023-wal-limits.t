# When the WAL cannot take records (size cap reached, directory not
# writable, disk full) mutations get an S3 503 and are not forwarded, reads
# keep working, and the gateway recovers when room returns.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Path qw(make_path);
use Time::HiRes qw(sleep time);
use Test::More;
use Test::Icetap qw();
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

# a 6 KB metadata header makes records large enough to fill segments

my @big = (headers => [['x-amz-meta-filler', 'f' x 6000]]);

sub req {
    my ($env, $method, $path, $body, @h) = @_;
    return http_request(port => $env->port, method => $method, uri => $path,
                        body => $body // '', sign => 1, @h);
}

sub store {
    my ($env, $method, $path, $body) = @_;
    return http_request(port => $env->s3_port, method => $method,
                        uri => $path, body => $body // '', sign => 1);
}

sub sealed_segments {
    my ($dir) = @_;
    my $cli = Test::Icetap::Env::cli_path();
    return map { m{^(\S+\.wal): .* sealed} ? "$dir/$1" : () }
           split /\n/, `'$cli' wal check '$dir'`;
}

sub until_ok {
    my ($what) = @_;
    my $end = time + 5;
    my $r;
    while (time < $end) {
        $r = $what->();
        return $r if $r->{status} == 200;
        sleep 0.1;
    }
    return $r;
}


# --- the size cap ----------------------------------------------------------

{
    my $env = Test::Icetap::Env->new(config => $loc);
    my $wal = $env->wal_dir;
    $env->{http_config} = "icetap_wal $wal max_size=300k segment_size=64k;";
    $env->start;

    store($env, 'PUT', '/capped');
    store($env, 'PUT', '/capped/existing', 'read me');

    my (@codes, $r);
    for my $i (1 .. 60) {
        $r = req($env, 'PUT', "/capped/k$i", 'x' x 100, @big);
        push @codes, $r->{status};
    }

    my $ok = grep { $_ == 200 } @codes;
    cmp_ok($ok, '>=', 1, "mutations accepted until the cap: @codes");
    is($codes[-1], 503, 'then refused with 503');
    like($r->{body}, qr{<Error><Code>ServiceUnavailable</Code><Message>[^<]*WAL size cap reached},
         'S3 XML error naming the cause');
    like($r->{body}, qr{<Resource>/capped/k60</Resource>}, 'and the resource');
    is($r->{headers}{'retry-after'}, 1, 'Retry-After');

    my $s = store($env, 'HEAD', '/capped/k60');
    is($s->{status}, 404, 'the refused mutation never reached the store');

    $r = req($env, 'GET', '/capped/existing');
    is($r->{status}, 200, 'reads still work');
    is($r->{body}, 'read me', 'and return the object');

    my @recs = $env->wal_records;
    is(scalar @recs, $ok, 'one record per accepted mutation, none for refusals');

    # the journal helper removes consumed, sealed segments: room returns
    unlink sealed_segments($wal);

    $r = until_ok(sub { req($env, 'PUT', '/capped/after', 'y') });
    is($r->{status}, 200, 'accepted again once there is room');
    ok((grep { $_->{key} eq 'after' } $env->wal_records), 'and recorded');

    $env->stop;
    like($env->error_log, qr/WAL cannot take records \(WAL size cap reached\)/,
         'the refusal is logged');
    like($env->error_log, qr/WAL recovered/, 'so is the recovery');
}


# --- an unwritable directory ----------------------------------------------

{
    my $env = Test::Icetap::Env->new(config => $loc);
    my $wal = $env->wal_dir;
    $env->{http_config} = "icetap_wal $wal segment_size=64k;";
    $env->start;

    store($env, 'PUT', '/robkt');
    my $r = req($env, 'PUT', '/robkt/first', 'a');
    is($r->{status}, 200, "writable: accepted") or diag explain $r;

    # each mutation reserves more than a 64k segment holds: the next one
    # must open a new segment, which the worker user cannot create
    chmod 0555, $wal;
    chown 0, 0, $wal;

    $r = req($env, 'PUT', '/robkt/second', 'b');
    is($r->{status}, 503, 'unwritable directory: 503');
    like($r->{body}, qr/WAL directory not writable/, 'naming the cause');
    is(store($env, 'HEAD', '/robkt/second')->{status}, 404, 'not forwarded');
    is(req($env, 'DELETE', '/robkt/first')->{status}, 503,
       'deletes are refused too');
    is(store($env, 'HEAD', '/robkt/first')->{status}, 200, 'the object stays');
    is(req($env, 'GET', '/robkt/first')->{status}, 200, 'reads still work');

    chmod 0700, $wal;
    chown scalar(getpwnam('nobody')), -1, $wal;

    $r = until_ok(sub { req($env, 'PUT', '/robkt/third', 'c') });
    is($r->{status}, 200, 'writable again: accepted');
    is_deeply([map { $_->{key} } $env->wal_records], ['first', 'third'],
              'records of exactly the accepted mutations');

    $env->stop;
}


# --- a full disk -------------------------------------------------------------

SKIP: {
    my $env = Test::Icetap::Env->new(config => $loc);
    my $wal = $env->wal_dir;
    $env->{http_config} = "icetap_wal $wal segment_size=64k max_size=64m;";
    $env->prepare;
    make_path($wal);

    skip 'cannot mount a small tmpfs here', 6
        if $> != 0 || system("mount -t tmpfs -o size=512k tmpfs '$wal'") != 0;

    $env->start(no_prepare => 1);
    store($env, 'PUT', '/fullbkt');

    my @codes;
    for my $i (1 .. 120) {
        push @codes, req($env, 'PUT', "/fullbkt/k$i", 'z' x 10, @big)->{status};
    }

    cmp_ok((grep { $_ == 200 } @codes), '>=', 1, "accepted while there is space: @codes");
    is($codes[-1], 503, 'disk full: 503');
    my $r = req($env, 'PUT', '/fullbkt/more', 'z');
    like($r->{body}, qr/no space for the WAL/, 'naming the cause');
    is(store($env, 'HEAD', '/fullbkt/more')->{status}, 404, 'not forwarded');

    unlink sealed_segments($wal);
    $r = until_ok(sub { req($env, 'PUT', '/fullbkt/again', 'z') });
    is($r->{status}, 200, 'space returned: accepted');

    $env->stop;
    system("umount '$wal'");
    ok(1, 'unmounted');
}

done_testing();
