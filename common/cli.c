/* cli.c: option parsing and help from one table, error lines, progress.
 * The one module outside main() allowed to print and exit: --help,
 * --version and usage errors end the process here, as git's parse_options
 * does. It knows nothing of any stage's options. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "record.h"

void cli_init_signals(void)
{
    signal(SIGPIPE, SIG_IGN);
}

void cli_die(const char *prog, const gm_error *err)
{
    if (err->code != GM_EPIPE)
        fprintf(stderr, "%s: error: %s\n", prog, err->msg);
    exit(gm_exit_code(err->code));
}

/* An allocation failed while parsing: a runtime failure (exit 1), not a usage error. */
static void cli_out_of_memory(const char *prog) __attribute__((noreturn));
static void cli_out_of_memory(const char *prog)
{
    gm_error err = {0};
    gm_fail(&err, GM_ENOMEM, "out of memory");
    cli_die(prog, &err);
}

void cli_usage_error(const char *prog, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: error: ", prog);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see %s --help)\n", prog);
    va_end(ap);
    exit(GM_EXIT_USAGE);
}

static void format_default(const cli_option *o, char *buf, size_t cap)
{
    buf[0] = 0;
    switch (o->kind) {
    case CLI_INT:
        snprintf(buf, cap, " (default %lld)", (long long)*(int64_t *)o->dest);
        break;
    case CLI_DOUBLE:
        snprintf(buf, cap, " (default %g)", *(double *)o->dest);
        break;
    case CLI_STRING:
        if (*(const char **)o->dest)
            snprintf(buf, cap, " (default %s)", *(const char **)o->dest);
        break;
    default:
        break;
    }
}

/* Print text as paragraphs (blank-line separated) reflowed to `width`
 * columns; continuation lines start with `indent` spaces, and the first line
 * is taken to start at column `col`. */
static void print_wrapped(const char *text, int width, int indent, int col)
{
    for (const char *p = text; *p;) {
        if (p[0] == '\n' && p[1] == '\n') { /* paragraph break */
            printf("\n\n");
            col = 0;
            p += 2;
            continue;
        }
        if (*p == ' ' || *p == '\n') {
            p++;
            continue;
        }
        size_t len = strcspn(p, " \n");
        if (col > indent && col + 1 + (int)len > width) {
            printf("\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            printf(" ");
            col++;
        }
        printf("%.*s", (int)len, p);
        col += (int)len;
        p += len;
    }
    printf("\n");
}

/* Example lines are indented by two spaces, whatever the table wrote. */
static void print_example(const char *text)
{
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, "\n");
        printf("%s%.*s\n", p[0] == ' ' ? "" : "  ", (int)len, p);
        p += len + (p[len] == '\n');
    }
}

static void print_help(const cli_program *prog)
{
    printf("%s %s\n\nUsage: %s\n\n", prog->name, GM_VERSION, prog->usage);
    print_wrapped(prog->summary, 78, 0, 0);
    printf("\nExample:\n");
    print_example(prog->example);
    printf("\nOptions:\n");
    for (const cli_option *o = prog->options; o->name; o++) {
        char left[96], def[160];
        snprintf(left, sizeof left, "%c%c%s--%s%s%s", o->short_name ? '-' : ' ',
                 o->short_name ? o->short_name : ' ', o->short_name ? ", " : "  ", o->name,
                 o->arg ? " " : "", o->arg ? o->arg : "");
        format_default(o, def, sizeof def);
        char line[1024];
        snprintf(line, sizeof line, "%s%s", o->help, def);
        printf("  %-28s ", left);
        print_wrapped(line, 100, 31, 31);
    }
    printf("  %-28s %s\n  %-28s %s\n", "-h, --help", "show this help and exit", "    --version",
           "show the version and exit");
}

static const cli_option *find_long(const cli_program *prog, const char *name, size_t len)
{
    for (const cli_option *o = prog->options; o->name; o++)
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
            return o;
    return NULL;
}

static const cli_option *find_short(const cli_program *prog, char c)
{
    for (const cli_option *o = prog->options; o->name; o++)
        if (o->short_name == c)
            return o;
    return NULL;
}

static void set_value(const cli_program *prog, const cli_option *o, const char *val)
{
    char *end;
    switch (o->kind) {
    case CLI_FLAG:
        *(int *)o->dest = 1;
        return;
    case CLI_STRING:
        *(const char **)o->dest = val;
        return;
    case CLI_LIST: {
        cli_list *l = o->dest;
        const char **grown = realloc(l->items, (size_t)(l->n + 1) * sizeof *grown);
        if (!grown)
            cli_out_of_memory(prog->name);
        l->items = grown;
        l->items[l->n++] = val;
        return;
    }
    case CLI_INT: {
        errno = 0;
        long long v = strtoll(val, &end, 10);
        if (errno || end == val || *end)
            cli_usage_error(prog->name, "--%s wants an integer, got '%s'", o->name, val);
        if (o->min != o->max && (v < o->min || v > o->max))
            cli_usage_error(prog->name, "--%s must be in [%.0f, %.0f], got %lld", o->name, o->min,
                            o->max, v);
        *(int64_t *)o->dest = v;
        return;
    }
    case CLI_DOUBLE: {
        errno = 0;
        double v = strtod(val, &end);
        if (errno || end == val || *end || !isfinite(v))
            cli_usage_error(prog->name, "--%s wants a number, got '%s'", o->name, val);
        if (o->min != o->max && (v < o->min || v > o->max))
            cli_usage_error(prog->name, "--%s must be in [%g, %g], got %g", o->name, o->min, o->max, v);
        *(double *)o->dest = v;
        return;
    }
    }
}

/* The exit status after printing --help or --version: a reader that closed
 * the pipe early (`--help | grep -q`) is no failure, as everywhere else. */
static int help_flushed(void)
{
    if (fflush(stdout) == 0)
        return GM_EXIT_OK;
    return errno == EPIPE ? GM_EXIT_OK : GM_EXIT_FAIL;
}

/* Held in a static so that --help, --version and usage errors, which exit
 * from inside the parse, leave nothing unreachable for LeakSanitizer. */
static char **positional;

int cli_parse(const cli_program *prog, int argc, char **argv)
{
    cli_init_signals();
    positional = malloc((size_t)(argc + 1) * sizeof *positional);
    if (!positional)
        cli_out_of_memory(prog->name);
    int n_pos = 0, only_positional = 0;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (only_positional || a[0] != '-' || a[1] == 0) {
            positional[n_pos++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_positional = 1;
            continue;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            print_help(prog);
            exit(help_flushed());
        }
        if (strcmp(a, "--version") == 0) {
            printf("%s %s\n", prog->name, GM_VERSION);
            exit(help_flushed());
        }
        const cli_option *o;
        const char *inline_val = NULL;
        if (a[1] == '-') {
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            o = find_long(prog, name, len);
            if (!o)
                cli_usage_error(prog->name, "unknown option '--%.*s'", (int)len, name);
            if (eq)
                inline_val = eq + 1;
        } else {
            if (a[2] != 0)
                cli_usage_error(prog->name, "unknown option '%s'", a);
            o = find_short(prog, a[1]);
            if (!o)
                cli_usage_error(prog->name, "unknown option '%s'", a);
        }
        if (o->kind == CLI_FLAG) {
            if (inline_val)
                cli_usage_error(prog->name, "--%s takes no value", o->name);
            set_value(prog, o, NULL);
            continue;
        }
        if (!inline_val) {
            if (i + 1 >= argc)
                cli_usage_error(prog->name, "--%s needs a value", o->name);
            inline_val = argv[++i];
        }
        set_value(prog, o, inline_val);
    }
    int first = argc - n_pos;
    for (int i = 0; i < n_pos; i++)
        argv[first + i] = positional[i];
    free(positional);
    positional = NULL;
    return first;
}

void cli_pack_options(msgpack_packer *pk, const void *ctx)
{
    const cli_program *prog = ctx;
    uint32_t n = 0;
    for (const cli_option *o = prog->options; o->name; o++)
        n += !o->not_recorded;
    msgpack_pack_map(pk, n);
    for (const cli_option *o = prog->options; o->name; o++) {
        if (o->not_recorded)
            continue;
        pack_str(pk, o->name);
        switch (o->kind) {
        case CLI_FLAG:
            if (*(int *)o->dest)
                msgpack_pack_true(pk);
            else
                msgpack_pack_false(pk);
            break;
        case CLI_INT:
            msgpack_pack_int64(pk, *(int64_t *)o->dest);
            break;
        case CLI_DOUBLE:
            msgpack_pack_double(pk, *(double *)o->dest);
            break;
        case CLI_STRING:
            if (*(const char **)o->dest)
                pack_str(pk, *(const char **)o->dest);
            else
                msgpack_pack_nil(pk);
            break;
        case CLI_LIST: {
            const cli_list *l = o->dest;
            msgpack_pack_array(pk, (size_t)l->n);
            for (int i = 0; i < l->n; i++)
                pack_str(pk, l->items[i]);
            break;
        }
        }
    }
}

void cli_progress_start(cli_progress *p, const char *what, uint64_t total, int force)
{
    memset(p, 0, sizeof *p);
    p->enabled = force || isatty(STDERR_FILENO);
    p->what = what;
    p->total = total;
    p->start = p->last = clock_now();
}

static void progress_print(cli_progress *p, double now, const char *end)
{
    double elapsed = now - p->start;
    double rate = elapsed > 0 ? (double)p->done / elapsed : 0;
    if (p->total && rate > 0) {
        double eta = (double)(p->total - (p->done < p->total ? p->done : p->total)) / rate;
        fprintf(stderr, "\r%llu/%llu %s, %.1f/s, ETA %.0fs   %s", (unsigned long long)p->done,
                (unsigned long long)p->total, p->what, rate, eta, end);
    } else {
        fprintf(stderr, "\r%llu %s, %.1f/s   %s", (unsigned long long)p->done, p->what, rate, end);
    }
}

void cli_progress_update(cli_progress *p, uint64_t done)
{
    p->done = done;
    if (!p->enabled)
        return;
    double now = clock_now();
    if (now - p->last < 0.25)
        return;
    p->last = now;
    progress_print(p, now, "");
}

void cli_progress_finish(cli_progress *p)
{
    if (p->enabled)
        progress_print(p, clock_now(), "\n");
}
