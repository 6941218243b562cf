/* error.c: the single list of error codes, their names and exit statuses. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Messages quote input (tensor names, JSON keys, ids): a control byte there
 * must not break the one-line contract of error.h, so it becomes '?'. */
static void msg_one_line(char *p)
{
    for (; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
}

int gm_fail(gm_error *e, int code, const char *fmt, ...)
{
    if (!e)
        return -1;
    e->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    msg_one_line(e->msg);
    return -1;
}

void gm_error_where(gm_error *e, const char *fmt, ...)
{
    if (!e)
        return;
    size_t used = strlen(e->msg);
    if (used + 4 >= sizeof e->msg)
        return;
    char where[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(where, sizeof where, fmt, ap);
    va_end(ap);
    snprintf(e->msg + used, sizeof e->msg - used, " (%s)", where);
    msg_one_line(e->msg + used);
}

const char *gm_code_name(int code)
{
    switch (code) {
    case GM_OK: return "ok";
    case GM_EDATA: return "bad data";
    case GM_EIO: return "I/O error";
    case GM_ENOMEM: return "out of memory";
    case GM_EUSAGE: return "usage error";
    case GM_EPIPE: return "output pipe closed";
    }
    return "unknown error";
}

int gm_exit_code(int code)
{
    switch (code) {
    case GM_OK:
    case GM_EPIPE: return GM_EXIT_OK;
    case GM_EUSAGE: return GM_EXIT_USAGE;
    default: return GM_EXIT_FAIL;
    }
}
