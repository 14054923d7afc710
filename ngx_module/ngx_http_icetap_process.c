/*
 * Copyright (C) icetap authors
 *
 * Helper processes: their declaration at configuration time and their
 * supervision.
 *
 * Stock nginx supervises one kind of extra process, the cache manager: it
 * is started when a registered path has a "manager" callback, after the
 * master has daemonised and never under "nginx -t" or "nginx -s"; it runs
 * with the configuration of its cycle, is replaced on reload, respawned
 * when it dies and stopped on quit and terminate.  icetap registers such a
 * path, "<WAL dir>/helpers", whose manager callback starts a supervisor
 * inside the cache manager process on its first call.  The supervisor
 * forks one child per declared helper, so a slow helper never delays
 * another, and so inherits that whole contract:
 *
 *   - the children die with the supervisor (PR_SET_PDEATHSIG), and when
 *     the cache manager exits on quit or terminate an exit handler passes
 *     the signal on and waits for them (then kills what is left);
 *   - a child that exits while nginx runs is restarted after a back-off
 *     that doubles from 100ms to 30s and is reset once the child has run
 *     for a minute;
 *   - each helper holds an exclusive lock, "<WAL dir>/helpers/NAME.lock",
 *     while it runs, so the old and the new instance of a helper never
 *     work at the same time during a reload or a binary upgrade: the new
 *     one waits, titled "nginx: icetap NAME (waiting)", until the old one
 *     has gone;
 *   - log reopening (SIGUSR1 to the master) is passed on to the children.
 *
 * The callback returns the longest interval the cache manager knows, so a
 * proxy_cache manager sharing the process is called exactly as before;
 * the supervisor itself runs on its own events (a signalfd for SIGCHLD and
 * a timer per delayed restart).  Helpers do not run in single process mode
 * ("master_process off"), where nginx starts no cache manager either.
 *
 * A helper's run() is a plain blocking loop in its own process: it must
 * not use nginx events or timers (the child leaves the event loop), it
 * checks ngx_http_icetap_helper_should_exit() and sleeps with
 * ngx_http_icetap_helper_sleep(), which wakes on a stop signal.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <poll.h>

#include "ngx_http_icetap_module.h"


#define NGX_HTTP_ICETAP_HELPER_BACKOFF_MIN   100
#define NGX_HTTP_ICETAP_HELPER_BACKOFF_MAX   (30 * 1000)
#define NGX_HTTP_ICETAP_HELPER_GOOD_RUN      (60 * 1000)
#define NGX_HTTP_ICETAP_HELPER_STOP_TIMEOUT  (10 * 1000)
#define NGX_HTTP_ICETAP_HELPER_LOCK_POLL     100

/* the cache manager's longest sleep: other managers keep their pace */
#define NGX_HTTP_ICETAP_HELPER_MANAGER_IDLE  (60 * 60 * 1000)


typedef struct {
    ngx_str_t                    name;
    ngx_str_t                    lock;          /* NUL-terminated path */
    ngx_http_icetap_helper_pt    run;
    void                        *data;
} ngx_http_icetap_helper_t;


struct ngx_http_icetap_helpers_s {
    ngx_array_t                  helpers;       /* ngx_http_icetap_helper_t */
    ngx_path_t                  *path;
};


/* the supervisor's view of one helper */
typedef struct {
    ngx_http_icetap_helper_t    *helper;
    ngx_pid_t                    pid;           /* -1 when not running */
    ngx_msec_t                   started;
    ngx_msec_t                   backoff;
    ngx_event_t                  start;         /* delayed (re)start */
} ngx_http_icetap_child_t;


static ngx_msec_t ngx_http_icetap_helpers_manager(void *data);
static ngx_int_t ngx_http_icetap_supervisor_init(
    ngx_http_icetap_helpers_t *hs);
static void ngx_http_icetap_supervisor_channel(ngx_event_t *ev);
static void ngx_http_icetap_supervisor_sigchld(ngx_event_t *ev);
static void ngx_http_icetap_supervisor_reap(ngx_uint_t stopping);
static void ngx_http_icetap_supervisor_start(ngx_event_t *ev);
static void ngx_http_icetap_supervisor_signal(int signo);
static void ngx_http_icetap_supervisor_exit(void);
static void ngx_http_icetap_helper_main(ngx_http_icetap_child_t *child);
static ngx_int_t ngx_http_icetap_helper_lock(ngx_http_icetap_helper_t *h);


/* supervisor state: one supervisor per cache manager process */
static ngx_pid_t                 ngx_http_icetap_supervisor_pid;
static ngx_http_icetap_child_t  *ngx_http_icetap_children;
static ngx_uint_t                ngx_http_icetap_nchildren;
static ngx_event_handler_pt      ngx_http_icetap_channel_handler;
static int                       ngx_http_icetap_sigchld_fd = -1;


ngx_int_t
ngx_http_icetap_helper_add(ngx_conf_t *cf, ngx_str_t *name,
    ngx_http_icetap_helper_pt run, void *data)
{
    ngx_uint_t                    i;
    ngx_path_t                   *path;
    ngx_http_icetap_helper_t     *h;
    ngx_http_icetap_helpers_t    *hs;
    ngx_http_icetap_main_conf_t  *imcf;

    imcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_icetap_module);

    if (!imcf->configured) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "icetap helper \"%V\" requires \"icetap_wal\" "
                           "in the http block", name);
        return NGX_ERROR;
    }

    hs = imcf->helpers;

    if (hs == NULL) {
        hs = ngx_pcalloc(cf->pool, sizeof(ngx_http_icetap_helpers_t));
        if (hs == NULL) {
            return NGX_ERROR;
        }

        if (ngx_array_init(&hs->helpers, cf->pool, 4,
                           sizeof(ngx_http_icetap_helper_t))
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        path = ngx_pcalloc(cf->pool, sizeof(ngx_path_t));
        if (path == NULL) {
            return NGX_ERROR;
        }

        path->name.len = imcf->dir.len + sizeof("/helpers") - 1;
        path->name.data = ngx_pnalloc(cf->pool, path->name.len + 1);
        if (path->name.data == NULL) {
            return NGX_ERROR;
        }

        ngx_sprintf(path->name.data, "%V/helpers%Z", &imcf->dir);

        path->manager = ngx_http_icetap_helpers_manager;
        path->data = hs;
        path->conf_file = cf->conf_file->file.name.data;
        path->line = cf->conf_file->line;

        /* nginx creates the directory (after the WAL directory) */

        if (ngx_add_path(cf, &path) != NGX_OK) {
            return NGX_ERROR;
        }

        hs->path = path;
        imcf->helpers = hs;
    }

    h = hs->helpers.elts;
    for (i = 0; i < hs->helpers.nelts; i++) {
        if (h[i].name.len == name->len
            && ngx_strncmp(h[i].name.data, name->data, name->len) == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "icetap helper \"%V\" is declared twice",
                               name);
            return NGX_ERROR;
        }
    }

    h = ngx_array_push(&hs->helpers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->name = *name;
    h->run = run;
    h->data = data;

    h->lock.len = hs->path->name.len + 1 + name->len + sizeof(".lock") - 1;
    h->lock.data = ngx_pnalloc(cf->pool, h->lock.len + 1);
    if (h->lock.data == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(h->lock.data, "%V/%V.lock%Z", &hs->path->name, name);

    return NGX_OK;
}


ngx_uint_t
ngx_http_icetap_helper_should_exit(void)
{
    if (ngx_reopen) {
        ngx_reopen = 0;
        ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0, "reopening logs");
        ngx_reopen_files((ngx_cycle_t *) ngx_cycle, -1);
    }

    return ngx_terminate || ngx_quit;
}


/*
 * Sleeps up to ms and returns whether the helper must exit.  The stop
 * signals are blocked between the check and the wait, and ppoll() unblocks
 * them atomically, so a signal arriving in between still ends the sleep.
 */

ngx_uint_t
ngx_http_icetap_helper_sleep(ngx_msec_t ms)
{
    sigset_t         set, old;
    struct timespec  ts;

    sigemptyset(&set);
    sigaddset(&set, ngx_signal_value(NGX_TERMINATE_SIGNAL));
    sigaddset(&set, ngx_signal_value(NGX_SHUTDOWN_SIGNAL));
    sigaddset(&set, ngx_signal_value(NGX_REOPEN_SIGNAL));
    sigaddset(&set, SIGINT);

    sigprocmask(SIG_BLOCK, &set, &old);

    if (!ngx_terminate && !ngx_quit && !ngx_reopen) {
        ts.tv_sec = ms / 1000;
        ts.tv_nsec = (ms % 1000) * 1000000;

        (void) ppoll(NULL, 0, &ts, &old);
    }

    sigprocmask(SIG_SETMASK, &old, NULL);

    ngx_time_update();

    return ngx_http_icetap_helper_should_exit();
}


/* the cache manager calls this; the first call starts the supervisor */

static ngx_msec_t
ngx_http_icetap_helpers_manager(void *data)
{
    ngx_http_icetap_helpers_t  *hs = data;

    if (ngx_http_icetap_supervisor_pid == 0) {
        ngx_http_icetap_supervisor_pid = ngx_pid;

        if (ngx_http_icetap_supervisor_init(hs) != NGX_OK) {
            ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, 0,
                          "icetap: helper supervisor failed to start, "
                          "helpers are not running");
        }
    }

    return NGX_HTTP_ICETAP_HELPER_MANAGER_IDLE;
}


static ngx_int_t
ngx_http_icetap_supervisor_init(ngx_http_icetap_helpers_t *hs)
{
    int                        fd;
    sigset_t                   set;
    ngx_uint_t                 i;
    ngx_cycle_t               *cycle;
    ngx_connection_t          *c;
    ngx_http_icetap_child_t   *child;
    ngx_http_icetap_helper_t  *h;

    cycle = (ngx_cycle_t *) ngx_cycle;

    child = ngx_pcalloc(cycle->pool,
                        hs->helpers.nelts * sizeof(ngx_http_icetap_child_t));
    if (child == NULL) {
        return NGX_ERROR;
    }

    /* children are reaped through a signalfd, not a signal handler */

    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);

    if (sigprocmask(SIG_BLOCK, &set, NULL) == -1) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_errno,
                      "icetap: sigprocmask() failed");
        return NGX_ERROR;
    }

    fd = signalfd(-1, &set, SFD_NONBLOCK|SFD_CLOEXEC);
    if (fd == -1) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_errno,
                      "icetap: signalfd() failed");
        return NGX_ERROR;
    }

    c = ngx_get_connection(fd, cycle->log);
    if (c == NULL) {
        close(fd);
        return NGX_ERROR;
    }

    c->read->handler = ngx_http_icetap_supervisor_sigchld;
    c->read->log = cycle->log;

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        ngx_close_connection(c);
        return NGX_ERROR;
    }

    ngx_http_icetap_sigchld_fd = fd;

    /* the master's commands arrive on the channel: chain its handler */

    c = cycle->connections;
    for (i = 0; i < cycle->connection_n; i++) {
        if (c[i].fd == ngx_channel && c[i].read->handler) {
            ngx_http_icetap_channel_handler = c[i].read->handler;
            c[i].read->handler = ngx_http_icetap_supervisor_channel;
            break;
        }
    }

    if (atexit(ngx_http_icetap_supervisor_exit) != 0) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
                      "icetap: atexit() failed");
        return NGX_ERROR;
    }

    h = hs->helpers.elts;

    ngx_http_icetap_children = child;
    ngx_http_icetap_nchildren = hs->helpers.nelts;

    for (i = 0; i < hs->helpers.nelts; i++) {
        child[i].helper = &h[i];
        child[i].pid = -1;
        child[i].start.handler = ngx_http_icetap_supervisor_start;
        child[i].start.data = &child[i];
        child[i].start.log = cycle->log;
        child[i].start.cancelable = 1;

        ngx_http_icetap_supervisor_start(&child[i].start);
    }

    return NGX_OK;
}


static void
ngx_http_icetap_supervisor_channel(ngx_event_t *ev)
{
    /* the handler may close the channel: ev is not used after it */

    ngx_http_icetap_channel_handler(ev);

    if (ngx_reopen) {
        ngx_http_icetap_supervisor_signal(
                                     ngx_signal_value(NGX_REOPEN_SIGNAL));
    }
}


static void
ngx_http_icetap_supervisor_sigchld(ngx_event_t *ev)
{
    ssize_t                    n;
    ngx_connection_t          *c;
    struct signalfd_siginfo    si;

    c = ev->data;

    /* SIGCHLDs coalesce: drain them all, then reap every exited child */

    do {
        n = read(c->fd, &si, sizeof(si));
    } while (n == (ssize_t) sizeof(si) || (n == -1 && ngx_errno == NGX_EINTR));

    ngx_http_icetap_supervisor_reap(0);
}


static void
ngx_http_icetap_supervisor_reap(ngx_uint_t stopping)
{
    int                       status;
    ngx_pid_t                 pid;
    ngx_uint_t                i;
    ngx_msec_t                ran;
    ngx_http_icetap_child_t  *child;

    ngx_time_update();

    for ( ;; ) {
        pid = waitpid(-1, &status, WNOHANG);

        if (pid == 0) {
            return;
        }

        if (pid == -1) {
            if (ngx_errno == NGX_EINTR) {
                continue;
            }

            return;
        }

        child = NULL;

        for (i = 0; i < ngx_http_icetap_nchildren; i++) {
            if (ngx_http_icetap_children[i].pid == pid) {
                child = &ngx_http_icetap_children[i];
                break;
            }
        }

        if (child == NULL) {
            continue;
        }

        child->pid = -1;
        ran = ngx_current_msec - child->started;

        if (stopping || ngx_terminate || ngx_quit) {
            if (WIFSIGNALED(status)) {
                ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                              "icetap helper \"%V\" (pid %P) exited "
                              "on signal %d",
                              &child->helper->name, pid, WTERMSIG(status));

            } else {
                ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                              "icetap helper \"%V\" (pid %P) exited "
                              "with code %d",
                              &child->helper->name, pid,
                              WEXITSTATUS(status));
            }

            continue;
        }

        if (ran >= NGX_HTTP_ICETAP_HELPER_GOOD_RUN || child->backoff == 0) {
            child->backoff = NGX_HTTP_ICETAP_HELPER_BACKOFF_MIN;

        } else {
            child->backoff = ngx_min(child->backoff * 2,
                                     NGX_HTTP_ICETAP_HELPER_BACKOFF_MAX);
        }

        if (WIFSIGNALED(status)) {
            ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                          "icetap helper \"%V\" (pid %P) exited on signal "
                          "%d after %Mms, restarting in %Mms",
                          &child->helper->name, pid, WTERMSIG(status), ran,
                          child->backoff);

        } else {
            ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                          "icetap helper \"%V\" (pid %P) exited with code "
                          "%d after %Mms, restarting in %Mms",
                          &child->helper->name, pid, WEXITSTATUS(status),
                          ran, child->backoff);
        }

        ngx_add_timer(&child->start, child->backoff);
    }
}


static void
ngx_http_icetap_supervisor_start(ngx_event_t *ev)
{
    ngx_pid_t                 pid;
    ngx_http_icetap_child_t  *child;

    child = ev->data;

    if (ngx_terminate || ngx_quit || child->pid != -1) {
        return;
    }

    pid = fork();

    switch (pid) {

    case -1:
        child->backoff = ngx_min(ngx_max(child->backoff * 2,
                                         NGX_HTTP_ICETAP_HELPER_BACKOFF_MIN),
                                 NGX_HTTP_ICETAP_HELPER_BACKOFF_MAX);

        ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, ngx_errno,
                      "icetap helper \"%V\": fork() failed, retrying "
                      "in %Mms", &child->helper->name, child->backoff);

        ngx_add_timer(ev, child->backoff);
        return;

    case 0:
        ngx_http_icetap_helper_main(child);
        /* unreachable */
        return;

    default:
        break;
    }

    ngx_time_update();

    child->pid = pid;
    child->started = ngx_current_msec;

    ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                  "icetap helper \"%V\" started, pid %P",
                  &child->helper->name, pid);
}


static void
ngx_http_icetap_supervisor_signal(int signo)
{
    ngx_uint_t  i;

    for (i = 0; i < ngx_http_icetap_nchildren; i++) {
        if (ngx_http_icetap_children[i].pid != -1) {
            (void) kill(ngx_http_icetap_children[i].pid, signo);
        }
    }
}


/*
 * The cache manager leaves its loop with exit(0) on quit and terminate:
 * pass the signal on and wait for the helpers, so that none outlives
 * nginx.  The master kills the cache manager itself a second or so into
 * a terminate; PR_SET_PDEATHSIG then takes the helpers with it.
 */

static void
ngx_http_icetap_supervisor_exit(void)
{
    ngx_uint_t  i, left, killed;
    ngx_msec_t  deadline;

    if (ngx_http_icetap_supervisor_pid != ngx_getpid()) {
        return;                  /* a helper that inherited the handler */
    }

    ngx_http_icetap_supervisor_signal(ngx_terminate
                                 ? ngx_signal_value(NGX_TERMINATE_SIGNAL)
                                 : ngx_signal_value(NGX_SHUTDOWN_SIGNAL));

    ngx_time_update();
    deadline = ngx_current_msec + NGX_HTTP_ICETAP_HELPER_STOP_TIMEOUT;
    killed = 0;

    for ( ;; ) {
        ngx_http_icetap_supervisor_reap(1);

        left = 0;
        for (i = 0; i < ngx_http_icetap_nchildren; i++) {
            if (ngx_http_icetap_children[i].pid != -1) {
                left++;
            }
        }

        if (left == 0) {
            return;
        }

        if (!killed && (ngx_msec_int_t) (ngx_current_msec - deadline) >= 0) {
            ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                          "icetap: %ui helper(s) still running after %Mms, "
                          "killing them", left,
                          (ngx_msec_t) NGX_HTTP_ICETAP_HELPER_STOP_TIMEOUT);

            ngx_http_icetap_supervisor_signal(SIGKILL);
            killed = 1;
        }

        ngx_msleep(10);
    }
}


static void
ngx_http_icetap_helper_main(ngx_http_icetap_child_t *child)
{
    u_char                     title[NGX_MAX_PATH];
    sigset_t                   set;
    ngx_int_t                  rc, n;
    ngx_cycle_t               *cycle;
    ngx_http_icetap_helper_t  *h;

    h = child->helper;
    cycle = (ngx_cycle_t *) ngx_cycle;

    /* die with the supervisor, even if it went before prctl() */

    if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1
        || getppid() != ngx_http_icetap_supervisor_pid)
    {
        _exit(1);
    }

    ngx_pid = ngx_getpid();
    ngx_parent = ngx_http_icetap_supervisor_pid;

    /* leave the supervisor's world: its events, channels and signals */

    if (ngx_done_events) {
        ngx_done_events(cycle);
    }

    close(ngx_http_icetap_sigchld_fd);

    for (n = 0; n < ngx_last_process; n++) {
        if (n != ngx_process_slot && ngx_processes[n].channel[0] != -1) {
            close(ngx_processes[n].channel[0]);
        }
    }

    if (ngx_channel != -1) {
        close(ngx_channel);
        ngx_channel = -1;
    }

    signal(SIGCHLD, SIG_DFL);

    sigemptyset(&set);
    sigprocmask(SIG_SETMASK, &set, NULL);

    *ngx_snprintf(title, sizeof(title) - 1, "icetap %V (waiting)",
                  &h->name) = '\0';
    ngx_setproctitle((char *) title);

    if (ngx_http_icetap_helper_lock(h) != NGX_OK) {
        exit(ngx_http_icetap_helper_should_exit() ? 0 : 1);
    }

    *ngx_snprintf(title, sizeof(title) - 1, "icetap %V", &h->name) = '\0';
    ngx_setproctitle((char *) title);

    rc = h->run(cycle, h->data);

    exit((rc == NGX_OK) ? 0 : 1);
}


/*
 * The lock is an flock() on a file of the helpers directory: the kernel
 * drops it when the process dies however it dies, so a stale lock cannot
 * outlive its holder.
 */

static ngx_int_t
ngx_http_icetap_helper_lock(ngx_http_icetap_helper_t *h)
{
    ngx_fd_t    fd;
    ngx_uint_t  logged;

    fd = ngx_open_file(h->lock.data, NGX_FILE_RDWR, NGX_FILE_CREATE_OR_OPEN,
                       NGX_FILE_DEFAULT_ACCESS);

    if (fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, ngx_errno,
                      "icetap helper \"%V\": open(\"%s\") failed",
                      &h->name, h->lock.data);
        return NGX_ERROR;
    }

    /* kept open (and locked) until the helper exits */

    (void) fcntl(fd, F_SETFD, FD_CLOEXEC);

    logged = 0;

    while (flock(fd, LOCK_EX|LOCK_NB) == -1) {

        if (ngx_errno != EWOULDBLOCK && ngx_errno != NGX_EINTR) {
            ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, ngx_errno,
                          "icetap helper \"%V\": flock(\"%s\") failed",
                          &h->name, h->lock.data);
            return NGX_ERROR;
        }

        if (!logged) {
            ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                          "icetap helper \"%V\" waits for its previous "
                          "instance to exit", &h->name);
            logged = 1;
        }

        if (ngx_http_icetap_helper_sleep(NGX_HTTP_ICETAP_HELPER_LOCK_POLL)) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}
