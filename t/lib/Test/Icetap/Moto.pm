package Test::Icetap::Moto;

# The S3 store behind the gateway in tests: one moto_server per test file,
# started on a free loopback port on first use and killed when the test
# process ends.  TEST_NGINX_S3_PORT set in the environment means "use the
# store already listening there" (e.g. a MinIO), which is never reset.

use strict;
use warnings;

use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);
use IO::Socket::INET;

use Test::Icetap::HTTP qw(http_request);

my $instance;


sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 1, ReuseAddr => 1)
        or die "cannot find a free port: $!\n";
    my $port = $s->sockport;
    close $s;
    return $port;
}


sub port_open {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 1);
    return 0 unless $s;
    close $s;
    return 1;
}


# Test::Icetap::Moto->instance(log => FILE): the shared store of this test
# process, started if needed.

sub instance {
    my ($class, %o) = @_;

    return $instance if $instance && $instance->alive;

    $instance = $class->new(%o);
    $instance->start;

    return $instance;
}


sub new {
    my ($class, %o) = @_;

    my $self = bless { log => $o{log} // '/dev/null', pid => undef }, $class;

    if ($ENV{TEST_NGINX_S3_PORT} && !$o{own}) {
        $self->{port} = $ENV{TEST_NGINX_S3_PORT};
        $self->{external} = 1;
    }

    return $self;
}


sub port { $_[0]{port} }
sub pid { $_[0]{pid} }
sub endpoint { "http://127.0.0.1:$_[0]{port}" }


sub alive {
    my ($self) = @_;
    return 1 if $self->{external};
    return $self->{pid} && kill(0, $self->{pid});
}


sub start {
    my ($self) = @_;

    return if $self->{external};

    my $port = free_port();
    my $pid = fork // die "fork: $!\n";

    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $self->{log} or die "$self->{log}: $!\n";
        open STDERR, '>&', \*STDOUT;
        setpgrp(0, 0);
        delete $ENV{LD_PRELOAD};
        no warnings 'exec';
        exec 'setpriv', '--pdeathsig', 'KILL', '--',
             'moto_server', '-H', '127.0.0.1', '-p', $port;
        exec 'moto_server', '-H', '127.0.0.1', '-p', $port;
        print STDERR "exec moto_server: $!\n";
        POSIX::_exit(127);
    }

    $self->{pid} = $pid;
    $self->{port} = $port;

    my $deadline = time + 60;
    while (time < $deadline) {
        if (waitpid($pid, WNOHANG) == $pid) {
            $self->{pid} = undef;
            die "moto_server exited at start (status $?), see $self->{log}\n";
        }
        return if port_open($port);
        sleep 0.05;
    }

    $self->stop;
    die "moto_server did not listen on $port within 60s\n";
}


# reset(): forget all buckets (moto's own reset API)

sub reset {
    my ($self) = @_;

    return if $self->{external};

    my $r = http_request(port => $self->{port}, method => 'POST',
                         uri => '/moto-api/reset', body => '');
    die "moto reset failed: " . ($r->{status} // 'no answer') . "\n"
        unless ($r->{status} // 0) == 200;
}


sub stop {
    my ($self) = @_;

    my $pid = $self->{pid} or return;
    $self->{pid} = undef;

    kill 'TERM', -$pid;
    kill 'TERM', $pid;

    my $deadline = time + 5;
    while (time < $deadline) {
        return if waitpid($pid, WNOHANG) == $pid;
        sleep 0.02;
    }

    kill 'KILL', -$pid;
    kill 'KILL', $pid;
    waitpid($pid, 0);
}


END {
    my $rc = $?;
    $instance->stop if $instance;
    $? = $rc;
}


1;
