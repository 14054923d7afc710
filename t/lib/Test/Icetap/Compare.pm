package Test::Icetap::Compare;

# Runs a client scenario script through the gateway and against the store
# directly and compares the two outputs step by step (t/py/s3_scenarios.py
# and t/py/cli_scenarios.py print [step, outcome] lists).

use strict;
use warnings;

use Exporter 'import';
use Test::More;

our @EXPORT = qw(proxy_location proxy_env compare_runs step_map);


# the usual S3 location: the request URI goes to the store unchanged

sub proxy_location {
    my (%o) = @_;
    my $extra = $o{extra} // '';
    return <<"EOF";
location / {
    proxy_pass http://127.0.0.1:\$TEST_NGINX_S3_PORT;
    proxy_http_version 1.1;
    proxy_set_header Host \$http_host;
    proxy_request_buffering off;
    proxy_buffering off;
    client_max_body_size 0;
    icetap_tap on;
    icetap_virtual_host_suffix s3.local;
$extra}
EOF
}


sub proxy_env {
    my (%o) = @_;
    require Test::Icetap::Env;
    my $extra = delete $o{extra};
    return Test::Icetap::Env->new(config => proxy_location(extra => $extra),
                                  %o);
}


# compare_runs($env, [script, args...], $gw_prefix, $s3_prefix, @rest):
# runs "script gw args.. gw_prefix rest" and "script s3 args.. s3_prefix
# rest", compares step by step; returns (gw steps, s3 steps)

sub compare_runs {
    my ($env, $script, $style, $gw_prefix, $s3_prefix, @groups) = @_;

    my $gw = $env->run_py_json($script, 'gw', $style, $gw_prefix, @groups);
    my $s3 = $env->run_py_json($script, 's3', $style, $s3_prefix, @groups);

    is(scalar @$gw, scalar @$s3, "same number of steps ($style)");

    for my $i (0 .. $#$s3) {
        my $name = $s3->[$i][0];
        is_deeply($gw->[$i], $s3->[$i], "$style: $name")
            or diag explain { gateway => $gw->[$i], store => $s3->[$i] };
    }

    return ($gw, $s3);
}


# step_map(steps): {step name => outcome}; with groups, names are
# prefixed "group/" after each "== group" marker

sub step_map {
    my ($steps) = @_;
    my (%m, $g);
    for my $s (@$steps) {
        if ($s->[0] =~ /^== (\S+)/) { $g = $1; next }
        $m{defined $g ? "$g/$s->[0]" : $s->[0]} = $s->[1];
    }
    return \%m;
}


1;
