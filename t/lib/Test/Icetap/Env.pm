package Test::Icetap::Env;

# One nginx with the icetap module in front of the test S3 store: config
# generation, start/stop/reload, the pids of its processes, its logs and
# its WAL.  Used by the block runner (Test::Icetap) and directly by
# scenario tests (kill -9, reload, client workloads).

use strict;
use warnings;

use Carp qw(croak);
use Cwd qw(abs_path);
use File::Basename qw(dirname basename);
use File::Path qw(make_path remove_tree);
use File::Spec;
use JSON::PP ();
use Fcntl qw(:flock);
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);

use Test::Icetap::HTTP qw(http_request http_raw);
use Test::Icetap::Moto;

our $ROOT = abs_path(dirname(__FILE__) . '/../../../..');

my @live;    # started environments, stopped at exit
my $main_pid = $$;


sub root { $ROOT }


sub build_dir {
    my $b = $ENV{ICETAP_BUILD} // 'build';
    return $b =~ m{^/} ? $b : "$ROOT/$b";
}


sub module_path { build_dir() . '/nginx/ngx_http_icetap_module.so' }
sub cli_path { build_dir() . '/icetap' }


sub asan {
    return 1 if $ENV{TEST_NGINX_ASAN};
    return basename(build_dir()) =~ /asan/ ? 1 : 0;
}


sub nginx_binary {
    return $ENV{TEST_NGINX_BINARY} if $ENV{TEST_NGINX_BINARY};

    for my $d (split(/:/, $ENV{PATH} // ''), '/usr/sbin', '/usr/local/sbin') {
        return "$d/nginx" if -x "$d/nginx" && !-d "$d/nginx";
    }

    return 'nginx';
}


# t/servroot-<test file name>; when another run of the same test file
# holds it (several people running the suite in one tree), a private
# t/servroot-<name>-<pid> that is removed at exit

my ($servroot, $servroot_lock, $servroot_private);

sub default_servroot {
    return $ENV{TEST_NGINX_SERVROOT} if $ENV{TEST_NGINX_SERVROOT};
    return $servroot if $servroot;

    (my $name = basename($0)) =~ s/\.t$//;
    $name =~ s/[^\w.-]/_/g;
    my $base = "$ROOT/t/servroot-$name";

    make_path($base);
    open $servroot_lock, '>>', "$base/.lock" or croak "$base/.lock: $!";
    if (flock($servroot_lock, LOCK_EX | LOCK_NB)) {
        $servroot = $base;
    } else {
        $servroot = $servroot_private = "$base-$$";
    }

    return $servroot;
}


# new(workers => N, main_config => TEXT, http_config => TEXT,
#     config => TEXT (inside the server block), conf => TEXT (the whole
#     nginx.conf instead of the generated one), servroot => DIR,
#     port => P, log_level => LEVEL, s3 => Test::Icetap::Moto)

sub new {
    my ($class, %o) = @_;

    my $servroot = $o{servroot} // default_servroot();

    my $self = bless {
        workers     => $o{workers} // $ENV{TEST_NGINX_WORKERS} // 1,
        main_config => $o{main_config} // '',
        http_config => $o{http_config} // '',
        config      => $o{config} // '',
        conf        => $o{conf},
        servroot    => $servroot,
        port        => $o{port} // Test::Icetap::Moto::free_port(),
        log_level   => $o{log_level} // $ENV{TEST_NGINX_LOG_LEVEL} // 'info',
        no_wal      => $o{no_wal},
        s3          => $o{s3},
        master      => undef,
        seen        => {},
    }, $class;

    make_path($servroot);
    $self->{s3} //= Test::Icetap::Moto->instance(log => "$servroot/moto.log");

    return $self;
}


sub port { $_[0]{port} }
sub s3 { $_[0]{s3} }
sub s3_port { $_[0]{s3}->port }
sub servroot { $_[0]{servroot} }
sub wal_dir { "$_[0]{servroot}/wal" }
sub master_pid { $_[0]{master} }
sub endpoint { "http://127.0.0.1:$_[0]{port}" }
sub s3_endpoint { $_[0]{s3}->endpoint }
sub conf_file { "$_[0]{servroot}/conf/nginx.conf" }
sub error_log_file { "$_[0]{servroot}/logs/error.log" }


sub vars {
    my ($self) = @_;

    return {
        TEST_NGINX_SERVER_PORT => $self->{port},
        TEST_NGINX_S3_PORT     => $self->s3_port,
        TEST_NGINX_SERVROOT    => $self->{servroot},
        TEST_NGINX_WAL_DIR     => $self->wal_dir,
        TEST_NGINX_MODULE      => module_path(),
        TEST_NGINX_ROOT        => $ROOT,
    };
}


# expand('... $TEST_NGINX_X ...'): the env's own variables first, then
# TEST_NGINX_* from the process environment; an unknown one is an error

sub expand {
    my ($self, $text) = @_;

    return $text unless defined $text;

    my $v = $self->vars;
    $text =~ s{\$(TEST_NGINX_\w+)}{
        $v->{$1} // $ENV{$1} // croak "undefined variable \$$1 in config"
    }ge;

    return $text;
}


sub set_config {
    my ($self, %o) = @_;
    $self->{$_} = $o{$_} for grep { exists $o{$_} } qw(workers main_config
        http_config config conf log_level);
}


sub render_conf {
    my ($self) = @_;

    return $self->expand($self->{conf}) if defined $self->{conf};

    my $sr = $self->{servroot};
    my $http = $self->expand($self->{http_config});
    my $wal = ($self->{no_wal} || $http =~ /^\s*icetap_wal\s/m) ? ''
        : "    icetap_wal $sr/wal;\n";

    return join '',
        "load_module ", module_path(), ";\n",
        "daemon off;\n",
        "master_process on;\n",
        "worker_processes $self->{workers};\n",
        "error_log $sr/logs/error.log $self->{log_level};\n",
        "pid $sr/logs/nginx.pid;\n",
        $self->expand($self->{main_config}), "\n",
        "events {\n    worker_connections 1024;\n}\n\n",
        "http {\n",
        "    access_log $sr/logs/access.log;\n",
        "    client_body_temp_path $sr/tmp/body;\n",
        "    proxy_temp_path $sr/tmp/proxy;\n",
        "    fastcgi_temp_path $sr/tmp/fastcgi;\n",
        "    uwsgi_temp_path $sr/tmp/uwsgi;\n",
        "    scgi_temp_path $sr/tmp/scgi;\n",
        "    default_type text/plain;\n",
        $wal,
        $http, "\n",
        "    server {\n",
        "        listen 127.0.0.1:$self->{port};\n",
        "        server_name localhost;\n",
        "        merge_slashes off;\n",
        "        ignore_invalid_headers off;\n",
        "        underscores_in_headers on;\n\n",
        $self->expand($self->{config}), "\n",
        "    }\n",
        "}\n";
}


# prepare(): a clean servroot (the store's log survives) with the config

sub prepare {
    my ($self) = @_;

    my $sr = $self->{servroot};

    make_path($sr);
    opendir my $dh, $sr or croak "$sr: $!";
    for my $e (readdir $dh) {
        next if $e eq '.' || $e eq '..' || $e eq 'moto.log' || $e eq '.lock';
        remove_tree("$sr/$e");
    }
    closedir $dh;

    make_path("$sr/conf", "$sr/logs", "$sr/tmp");

    # workers run as an unprivileged user when the master is root: the
    # sanitizer of a worker must be able to write its report
    make_path("$sr/asan", { mode => 0777 });
    chmod 0777, "$sr/asan";

    open my $fh, '>', $self->conf_file or croak $self->conf_file . ": $!";
    print $fh $self->render_conf;
    close $fh;
}


sub _nginx_env {
    my ($self) = @_;

    my %env;
    if (asan()) {
        chomp(my $lib = `gcc -print-file-name=libasan.so`);
        $env{LD_PRELOAD} = $lib;
        $env{ASAN_OPTIONS} = "detect_leaks=0:abort_on_error=1"
            . ":log_path=$self->{servroot}/asan/asan";
    }
    return %env;
}


sub _spawn {
    my ($self, $out, @args) = @_;

    my %env = $self->_nginx_env;
    my $pid = fork // croak "fork: $!";

    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $out or POSIX::_exit(127);
        open STDERR, '>&', \*STDOUT;
        $ENV{$_} = $env{$_} for keys %env;
        no warnings 'exec';
        exec nginx_binary(), '-p', "$self->{servroot}/",
             '-c', $self->conf_file, @args;
        print STDERR "exec nginx: $!\n";
        POSIX::_exit(127);
    }

    return $pid;
}


# test_conf(): runs nginx -t on the written config; returns (ok, output)

sub test_conf {
    my ($self) = @_;

    $self->prepare unless -e $self->conf_file;

    my $out = "$self->{servroot}/logs/nginx-t.log";
    unlink $out;
    my $pid = $self->_spawn($out, '-t');
    waitpid($pid, 0);
    my $rc = $?;

    return ($rc == 0, _slurp($out));
}


# start(): (re)writes the config and starts nginx; dies with the startup
# output when nginx does not come up.  With no_prepare => 1 the servroot
# (WAL, logs) of a previous run is kept.

sub start {
    my ($self, %o) = @_;

    $self->stop if $self->{master};
    $self->prepare unless $o{no_prepare};

    my $sr = $self->{servroot};
    unlink "$sr/logs/nginx.pid";

    my $pid = $self->_spawn("$sr/logs/stderr.log");
    $self->{master} = $pid;
    $self->{seen} = { $pid => 1 };
    push @live, $self;

    my $deadline = time + (asan() ? 60 : 20);

    while (time < $deadline) {
        if (waitpid($pid, WNOHANG) == $pid) {
            my $st = $?;
            $self->{master} = undef;
            die "nginx failed to start (status $st):\n"
                . $self->startup_output;
        }

        # the pid file is written after the listening sockets are open
        if (-s "$sr/logs/nginx.pid"
            && scalar(my @w = $self->worker_pids) == $self->{workers})
        {
            return $self;
        }

        sleep 0.01;
    }

    die "nginx did not come up within the timeout:\n" . $self->startup_output;
}


sub startup_output {
    my ($self) = @_;
    my $sr = $self->{servroot};
    return _slurp("$sr/logs/stderr.log") . _slurp("$sr/logs/error.log");
}


sub running { $_[0]{master} && kill 0, $_[0]{master} }


# stop(): graceful quit (SIGQUIT) and wait; SIGKILL after the timeout.
# Processes of this nginx still alive afterwards (e.g. orphaned workers
# after the master was killed) are killed too.

sub stop {
    my ($self, %o) = @_;

    my $pid = $self->{master};

    if ($pid) {
        $self->{master} = undef;
        $self->_remember_children($pid);
        kill($o{signal} // 'QUIT', $pid);

        my $deadline = time + ($o{timeout} // (asan() ? 30 : 10));
        my $done = 0;
        while (time < $deadline) {
            if (waitpid($pid, WNOHANG) != 0) { $done = 1; last }
            sleep 0.01;
        }

        unless ($done) {
            kill 'KILL', $pid;
            waitpid($pid, 0);
            $self->{stop_timed_out} = 1;
        }
    }

    for my $p (keys %{$self->{seen}}) {
        kill 'KILL', $p if $p != ($pid // 0) && _is_ours($p);
    }

    @live = grep { $_ != $self } @live;

    return $self;
}


sub _is_ours {
    my ($pid) = @_;
    my $cmd = _slurp("/proc/$pid/cmdline");
    return $cmd =~ /^nginx: / ? 1 : 0;
}


# children(): {pid => 'title'} of the master's child processes

sub children {
    my ($self) = @_;

    my $master = $self->{master} or return {};
    my %kids;

    opendir my $dh, '/proc' or return {};
    for my $p (grep { /^\d+$/ } readdir $dh) {
        my $stat = _slurp("/proc/$p/stat") or next;
        $stat =~ /\)\s+\S+\s+(\d+)/ or next;
        next unless $1 == $master;
        (my $cmd = _slurp("/proc/$p/cmdline")) =~ s/\0+/ /g;
        $cmd =~ s/\s+$//;
        next if $stat =~ /\)\s+Z\s/;    # reaped soon
        $kids{$p} = $cmd;
    }
    closedir $dh;

    $self->{seen}{$_} = 1 for keys %kids;

    return \%kids;
}


sub _remember_children { $_[0]->children }


sub worker_pids {
    my ($self) = @_;
    my $k = $self->children;
    my @w = sort { $a <=> $b } grep { $k->{$_} =~ /worker process/ } keys %$k;
    return @w;
}


sub helper_pids {
    my ($self) = @_;
    my $k = $self->children;
    my @h = sort { $a <=> $b } grep { $k->{$_} !~ /worker process/ } keys %$k;
    return @h;
}


# helper($name): the pid of the live icetap helper process $name
# ("nginx: icetap $name", a child of the helper supervisor), or undef
# when none or more than one runs

sub helper {
    my ($self, $name) = @_;

    my %super = map { $_ => 1 } $self->helper_pids;
    my @p;

    opendir my $dh, '/proc' or return undef;

    for my $p (grep { /^\d+$/ } readdir $dh) {
        my $stat = _slurp("/proc/$p/stat");
        next unless $stat =~ /\)\s+(\S+)\s+(\d+)/ && $1 ne 'Z'
                    && $super{$2};
        push @p, $p
            if _slurp("/proc/$p/cmdline") =~ /^nginx: icetap \Q$name\E\0*$/;
    }

    closedir $dh;

    return @p == 1 ? $p[0] : undef;
}


# report($file): a helper's JSON report of the WAL directory (status.json,
# journal.json, inventory.json, ...) decoded, or undef while there is none

sub report {
    my ($self, $file) = @_;

    my $t = _slurp($self->wal_dir . "/$file");
    return undef unless length $t;

    return eval { JSON::PP->new->decode($t) };
}


# reload(): SIGHUP, then wait until a full set of new workers runs and
# the old ones are gone

sub reload {
    my ($self, %o) = @_;

    $self->prepare_conf_only if $o{rewrite};

    my %old = map { $_ => 1 } $self->worker_pids;
    kill 'HUP', $self->{master} or croak "reload: master is not running";

    my $deadline = time + ($o{timeout} // 20);
    while (time < $deadline) {
        my @w = $self->worker_pids;
        my $stale = grep { $old{$_} } @w;
        my $alive = grep { kill 0, $_ } keys %old;
        return $self if @w == $self->{workers} && !$stale && !$alive;
        sleep 0.02;
    }

    croak "reload did not complete within the timeout";
}


# rewrite the config of a running env (before reload) without wiping
sub prepare_conf_only {
    my ($self) = @_;
    open my $fh, '>', $self->conf_file or croak $self->conf_file . ": $!";
    print $fh $self->render_conf;
    close $fh;
}


# kill_worker(SIGNAL, [PID]): signals one worker (the lowest pid unless
# given); for a fatal signal waits until the master has replaced it.
# Returns the pid signalled.

sub kill_worker {
    my ($self, $sig, $pid) = @_;

    $sig //= 'KILL';
    my @w = $self->worker_pids;
    $pid //= $w[0] // croak "no worker running";

    kill $sig, $pid or croak "kill $sig $pid: $!";

    return $pid if $sig =~ /^(?:0|HUP|USR1|USR2|WINCH|CONT|STOP)$/;

    my $deadline = time + 20;
    while (time < $deadline) {
        my @now = $self->worker_pids;
        return $pid if @now == $self->{workers} && !grep { $_ == $pid } @now;
        sleep 0.01;
    }

    croak "worker $pid was not replaced after SIG$sig";
}


sub error_log { _slurp($_[0]->error_log_file) }


# log_problems(allow_error => BOOL, allow_kill => BOOL): lines of the
# error log (and of the ASan logs) that fail any test: [alert], [crit],
# [emerg], a worker that exited on a signal (SIGKILL is allowed with
# allow_kill, for tests that kill workers themselves), and [error] unless
# allowed

sub log_problems {
    my ($self, %o) = @_;

    my @bad;
    for my $l (split /\n/, $self->error_log) {
        next if $o{allow_kill} && $l =~ /exited on signal 9\b/;
        push @bad, $l if $l =~ /\[(?:alert|crit|emerg)\]/
                      || $l =~ /exited on signal/
                      || (!$o{allow_error} && $l =~ /\[error\]/);
    }

    push @bad, $self->asan_reports;

    return @bad;
}


sub asan_reports {
    my ($self) = @_;

    my @r;
    for my $f (glob "$self->{servroot}/asan/asan*") {
        my $t = _slurp($f);
        push @r, "ASan report in $f:\n$t" if $t =~ /\S/;
    }

    my $err = _slurp("$self->{servroot}/logs/stderr.log");
    push @r, "sanitizer output on stderr:\n$err"
        if $err =~ /AddressSanitizer|LeakSanitizer|runtime error:/;

    return @r;
}


# the WAL as the CLI prints it: a list of JSON lines / decoded records

sub wal_dump {
    my ($self) = @_;

    my $cli = cli_path();
    croak "$cli not built" unless -x $cli;

    my $dir = $self->wal_dir;
    return '' unless -d $dir;

    my $out = `'$cli' wal dump '$dir' 2>&1`;
    croak "icetap wal dump failed ($?): $out" if $?;

    return $out;
}


sub wal_records {
    my ($self) = @_;
    my $json = JSON::PP->new->utf8;
    return map { $json->decode($_) } grep { /\S/ } split /\n/, $self->wal_dump;
}


sub wal_check {
    my ($self) = @_;
    my $cli = cli_path();
    my $dir = $self->wal_dir;
    return `'$cli' wal check '$dir' 2>&1`;
}


# request(%args): a request to the gateway (see Test::Icetap::HTTP)

sub request {
    my ($self, %a) = @_;
    return http_request(port => $self->{port}, %a);
}


sub raw_request {
    my ($self, $data, %a) = @_;
    return http_raw(port => $self->{port}, data => $data, %a);
}


sub py_env {
    my ($self) = @_;

    my $sr = $self->{servroot};

    return (
        ICETAP_ENDPOINT           => $self->endpoint,
        ICETAP_S3_ENDPOINT        => $self->s3_endpoint,
        ICETAP_PORT               => $self->{port},
        ICETAP_S3_PORT            => $self->s3_port,
        ICETAP_SERVROOT           => $sr,
        ICETAP_WAL_DIR            => $self->wal_dir,
        ICETAP_CLI                => cli_path(),
        AWS_ACCESS_KEY_ID         => $Test::Icetap::HTTP::ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY     => $Test::Icetap::HTTP::SECRET_KEY,
        AWS_DEFAULT_REGION        => $Test::Icetap::HTTP::REGION,
        AWS_EC2_METADATA_DISABLED => 'true',
        AWS_CONFIG_FILE           => "$sr/aws-config-none",
        AWS_SHARED_CREDENTIALS_FILE => "$sr/aws-credentials-none",
        PYTHONPATH                => "$ROOT/t/py",
        PYTHONDONTWRITEBYTECODE   => 1,
    );
}


# run_py(SCRIPT, ARGS...): python3 SCRIPT (relative to the repository
# root) with the endpoints and credentials in its environment.  Returns
# stdout; dies with stderr when it exits non-zero.  The last run's
# stdout, stderr and exit status are in $env->{py}.

sub run_py {
    my ($self, $script, @args) = @_;

    $script = "$ROOT/$script" unless $script =~ m{^/};
    return $self->run_cmd(['python3', $script, @args]);
}


sub run_cmd {
    my ($self, $cmd, %o) = @_;

    my $sr = $self->{servroot};
    my ($out, $err) = ("$sr/cmd.out", "$sr/cmd.err");
    my %env = ($self->py_env, %{$o{env} // {}});

    my $pid = fork // croak "fork: $!";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $out or POSIX::_exit(127);
        open STDERR, '>', $err or POSIX::_exit(127);
        delete $ENV{LD_PRELOAD};
        $ENV{$_} = $env{$_} for keys %env;
        chdir $ROOT;
        no warnings 'exec';
        exec 'timeout', $o{timeout} // 900, @$cmd;
        POSIX::_exit(127);
    }
    waitpid($pid, 0);

    my $rc = $? >> 8;
    $self->{py} = { out => _slurp($out), err => _slurp($err), rc => $rc };

    croak "@$cmd exited with $rc:\n$self->{py}{err}"
        if $rc != 0 && !$o{allow_fail};

    return $self->{py}{out};
}


sub run_py_json {
    my ($self, @a) = @_;
    my $out = $self->run_py(@a);
    return JSON::PP->new->utf8->decode($out);
}


# peak and current RSS of a process in kB (VmHWM, VmRSS)

sub vm_status {
    my ($self, $pid) = @_;
    my $s = _slurp("/proc/$pid/status");
    my %v = map { /^(\w+):\s+(\d+)/ ? ($1 => $2) : () } split /\n/, $s;
    return \%v;
}


sub _slurp {
    my ($f) = @_;
    open my $fh, '<', $f or return '';
    local $/;
    my $t = <$fh>;
    return $t // '';
}


END {
    my $rc = $?;
    $_->stop(timeout => 5) for @live;
    remove_tree($servroot_private) if $servroot_private && $$ == $main_pid;
    $? = $rc;
}


1;
