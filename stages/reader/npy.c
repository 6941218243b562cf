/* npy.c: NumPy .npy token arrays (format versions 1, 2 and 3): the header
 * parser and the npy token source (1-D arrays cut into --seq-len windows,
 * 2-D arrays one instance per row; several files concatenate). Integer
 * dtypes only: <u2 <u4 <i4 <i8 (and <u8 for index files); no Fortran order,
 * no big-endian, no pickles. design.md "reader"; docs/records.md "sample". */
#include "reader.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- element types ---------------------------------------------------- */

int tok_width(tok_dtype dt)
{
    switch (dt) {
    case TOK_U16: return 2;
    case TOK_U32:
    case TOK_I32: return 4;
    case TOK_I64:
    case TOK_U64: return 8;
    }
    return 0;
}

const char *tok_name(tok_dtype dt)
{
    switch (dt) {
    case TOK_U16: return "u16";
    case TOK_U32: return "u32";
    case TOK_I32: return "i32";
    case TOK_I64: return "i64";
    case TOK_U64: return "u64";
    }
    return "?";
}

int tok_parse(const char *s, tok_dtype *dt)
{
    if (strcmp(s, "u16") == 0 || strcmp(s, "uint16") == 0) {
        *dt = TOK_U16;
        return 0;
    }
    if (strcmp(s, "u32") == 0 || strcmp(s, "uint32") == 0) {
        *dt = TOK_U32;
        return 0;
    }
    return -1;
}

/* Little-endian loads, whatever the host. */
int64_t tok_load(const uint8_t *p, tok_dtype dt, int64_t i)
{
    const uint8_t *b = p + (size_t)i * (size_t)tok_width(dt);
    uint64_t v = 0;
    for (int k = tok_width(dt) - 1; k >= 0; k--)
        v = v << 8 | b[k];
    switch (dt) {
    case TOK_U16:
    case TOK_U32: return (int64_t)v;
    case TOK_I32: return (int64_t)(int32_t)(uint32_t)v;
    case TOK_I64:
    case TOK_U64: return (int64_t)v;
    }
    return -1;
}

/* ---- the header: a Python dict literal -------------------------------- */

typedef struct npy_cursor {
    const char *p, *end;
} npy_cursor;

static void skip_space(npy_cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int eat(npy_cursor *c, char ch)
{
    skip_space(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A quoted Python string ('...' or "..."), no escapes, into buf. */
static int parse_pystr(npy_cursor *c, char *buf, size_t cap)
{
    skip_space(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return -1;
    char q = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\' || n + 1 >= cap)
            return -1;
        buf[n++] = *c->p++;
    }
    if (c->p >= c->end)
        return -1;
    c->p++;
    buf[n] = 0;
    return 0;
}

static int parse_word(npy_cursor *c, const char *w)
{
    skip_space(c);
    size_t n = strlen(w);
    if ((size_t)(c->end - c->p) >= n && memcmp(c->p, w, n) == 0) {
        c->p += n;
        return 1;
    }
    return 0;
}

/* "(3, 4)", "(3,)", "()"; returns ndim or -1. */
static int parse_shape(npy_cursor *c, int64_t *shape, int cap)
{
    if (!eat(c, '('))
        return -1;
    int n = 0;
    for (;;) {
        if (eat(c, ')'))
            return n;
        skip_space(c);
        if (c->p >= c->end || *c->p < '0' || *c->p > '9')
            return -1;
        int64_t v = 0;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
            if (v > (INT64_MAX - 9) / 10)
                return -1;
            v = v * 10 + (*c->p++ - '0');
        }
        if (c->p < c->end && *c->p == 'L') /* Python 2 long */
            c->p++;
        if (n >= cap)
            return -2;
        shape[n++] = v;
        if (!eat(c, ',')) {
            if (eat(c, ')'))
                return n;
            return -1;
        }
    }
}

static int descr_parse(const char *d, tok_dtype *dt)
{
    static const struct { const char *descr; tok_dtype dt; } known[] = {
        { "<u2", TOK_U16 }, { "<u4", TOK_U32 }, { "<i4", TOK_I32 },
        { "<i8", TOK_I64 }, { "<u8", TOK_U64 },
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(d, known[i].descr) == 0) {
            *dt = known[i].dt;
            return 0;
        }
    return -1;
}

int npy_header_parse(const uint8_t *buf, size_t len, npy_header *h, gm_error *err)
{
    memset(h, 0, sizeof *h);
    if (len < 10 || memcmp(buf, "\x93NUMPY", 6) != 0)
        return gm_fail(err, GM_EDATA, "not a .npy file (no \\x93NUMPY magic; OLMo's token "
                       "files are raw despite the name: use --format raw)");
    int major = buf[6];
    size_t hlen, start;
    if (major == 1) {
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
        start = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12)
            return gm_fail(err, GM_EDATA, "truncated .npy header (%zu bytes)", len);
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 |
               (size_t)buf[11] << 24;
        start = 12;
    } else {
        return gm_fail(err, GM_EDATA, ".npy format version %d.%d not supported (1, 2, 3 are)",
                       major, buf[7]);
    }
    if (hlen > len - start)
        return gm_fail(err, GM_EDATA,
                       "truncated .npy header: it declares %zu bytes, the file has %zu after the "
                       "length field", hlen, len - start);

    npy_cursor c = { (const char *)buf + start, (const char *)buf + start + hlen };
    char key[32], descr[32];
    int have_descr = 0, have_order = 0, have_shape = 0;
    if (!eat(&c, '{'))
        return gm_fail(err, GM_EDATA, ".npy header is not a dict literal");
    while (!eat(&c, '}')) {
        if (parse_pystr(&c, key, sizeof key) < 0 || !eat(&c, ':'))
            return gm_fail(err, GM_EDATA, ".npy header: malformed dict near byte %zu",
                           (size_t)((const uint8_t *)c.p - buf));
        if (strcmp(key, "descr") == 0) {
            if (parse_pystr(&c, descr, sizeof descr) < 0)
                return gm_fail(err, GM_EDATA,
                               ".npy header: descr is not a simple type string (structured "
                               "arrays are not token arrays)");
            if (descr_parse(descr, &h->dtype) < 0)
                return gm_fail(err, GM_EDATA,
                               ".npy dtype '%s' is not a token dtype (use '<u2', '<u4', '<i4' "
                               "or '<i8', little-endian)", descr);
            have_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0) {
            if (parse_word(&c, "True"))
                return gm_fail(err, GM_EDATA,
                               ".npy array is in Fortran order; save it C-ordered "
                               "(np.ascontiguousarray)");
            if (!parse_word(&c, "False"))
                return gm_fail(err, GM_EDATA, ".npy header: fortran_order is not True/False");
            have_order = 1;
        } else if (strcmp(key, "shape") == 0) {
            int nd = parse_shape(&c, h->shape, 2);
            if (nd == -2)
                return gm_fail(err, GM_EDATA,
                               ".npy array has more than 2 dimensions (1-D or 2-D only)");
            if (nd < 0)
                return gm_fail(err, GM_EDATA, ".npy header: malformed shape");
            if (nd == 0)
                return gm_fail(err, GM_EDATA, ".npy array is a scalar (1-D or 2-D only)");
            h->ndim = nd;
            have_shape = 1;
        } else {
            return gm_fail(err, GM_EDATA, ".npy header: unexpected key '%s'", key);
        }
        if (!eat(&c, ',')) {
            if (eat(&c, '}'))
                break;
            return gm_fail(err, GM_EDATA, ".npy header: malformed dict near byte %zu",
                           (size_t)((const uint8_t *)c.p - buf));
        }
    }
    if (!have_descr || !have_order || !have_shape)
        return gm_fail(err, GM_EDATA, ".npy header lacks %s",
                       !have_descr ? "descr" : !have_order ? "fortran_order" : "shape");

    h->width = tok_width(h->dtype);
    h->data_offset = start + hlen;
    uint64_t count = 1;
    for (int i = 0; i < h->ndim; i++) {
        if (h->shape[i] != 0 && count > UINT64_MAX / (uint64_t)h->shape[i])
            return gm_fail(err, GM_EDATA, ".npy shape overflows");
        count *= (uint64_t)h->shape[i];
    }
    if (count > (UINT64_MAX - h->data_offset) / (uint64_t)h->width)
        return gm_fail(err, GM_EDATA, ".npy shape overflows");
    uint64_t need = count * (uint64_t)h->width;
    uint64_t have = len - h->data_offset;
    char shape_txt[64];
    if (h->ndim == 1)
        snprintf(shape_txt, sizeof shape_txt, "(%" PRId64 ",)", h->shape[0]);
    else
        snprintf(shape_txt, sizeof shape_txt, "(%" PRId64 ", %" PRId64 ")", h->shape[0],
                 h->shape[1]);
    if (have < need)
        return gm_fail(err, GM_EDATA,
                       "truncated .npy: shape %s of %s needs %" PRIu64 " data bytes, the file "
                       "has %" PRIu64, shape_txt, descr, need, have);
    if (have > need)
        return gm_fail(err, GM_EDATA,
                       ".npy has %" PRIu64 " bytes after the data of shape %s of %s",
                       have - need, shape_txt, descr);
    return 0;
}

/* ---- the npy token source ----------------------------------------------- */

typedef struct npy_part {
    mapped_file file;
    npy_header hdr;
    int64_t n;           /* its instances */
    int64_t row_len;     /* tokens per instance */
} npy_part;

typedef struct npy_source {
    npy_part *parts;
    int64_t *first;      /* [n_parts]: global index of each part's first instance */
    size_t n_parts;
    const char *source_name;
    uint32_t *buf;       /* [max row_len] */
    char where[512];
} npy_source;

static void npy_source_close(void *impl)
{
    npy_source *s = impl;
    if (!s)
        return;
    for (size_t i = 0; i < s->n_parts; i++)
        mapped_file_close(&s->parts[i].file);
    free(s->parts);
    free(s->first);
    free(s->buf);
    free(s);
}

static int npy_source_get(void *impl, int64_t index, sample_view *v, gm_error *err)
{
    npy_source *s = impl;
    int64_t local;
    const npy_part *p = &s->parts[mapped_files_find(s->first, s->n_parts, index, &local)];
    const uint8_t *data = p->file.data + p->hdr.data_offset;
    int64_t at = local * p->row_len;
    snprintf(s->where, sizeof s->where, "%s: %s %" PRId64, p->file.path,
             p->hdr.ndim == 2 ? "row" : "window", local);
    for (int64_t t = 0; t < p->row_len; t++) {
        int64_t tok = tok_load(data, p->hdr.dtype, at + t);
        if (tok < 0 || tok > (int64_t)UINT32_MAX)
            return gm_fail(err, GM_EDATA, "%s, position %" PRId64 ": value %" PRId64
                           " is not a token id", s->where, t, tok);
        s->buf[t] = (uint32_t)tok;
    }
    v->tokens = s->buf;
    v->n_tokens = (size_t)p->row_len;
    v->source = s->source_name ? s->source_name : p->file.base;
    v->id = NULL;
    v->domain = NULL;
    v->where = s->where;
    return 0;
}

int npy_source_open(const source_config *cfg, token_source *src, gm_error *err)
{
    memset(src, 0, sizeof *src);
    npy_source *s = calloc(1, sizeof *s);
    if (!s || !(s->parts = calloc(cfg->n_paths, sizeof *s->parts)) ||
        !(s->first = calloc(cfg->n_paths, sizeof *s->first))) {
        if (s)
            free(s->parts);
        free(s);
        return gm_fail(err, GM_ENOMEM, "out of memory");
    }
    s->source_name = cfg->source_name;
    int64_t total = 0, max_row = 0;
    for (size_t i = 0; i < cfg->n_paths; i++) {
        npy_part *p = &s->parts[i];
        if (mapped_file_open(&p->file, cfg->paths[i], err) < 0)
            goto fail;
        s->n_parts = i + 1;
        if (npy_header_parse(p->file.data, p->file.size, &p->hdr, err) < 0) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err->msg);
            gm_fail(err, GM_EDATA, "%s: %s", p->file.path, msg);
            goto fail;
        }
        if (p->hdr.dtype == TOK_U64) {
            gm_fail(err, GM_EDATA, "%s: .npy dtype '<u8' is not a token dtype (use '<u2', "
                    "'<u4', '<i4' or '<i8')", p->file.path);
            goto fail;
        }
        if (cfg->dtype_given && p->hdr.dtype != cfg->dtype) {
            gm_fail(err, GM_EDATA, "%s: array dtype is %s, --dtype says %s", p->file.path,
                    tok_name(p->hdr.dtype), tok_name(cfg->dtype));
            goto fail;
        }
        if (p->hdr.ndim == 2) {
            p->row_len = p->hdr.shape[1];
            p->n = p->hdr.shape[0];
            if (p->row_len == 0) {
                gm_fail(err, GM_EDATA, "%s: rows of shape (%" PRId64 ", 0) have no tokens",
                        p->file.path, p->n);
                goto fail;
            }
            if (cfg->seq_len && cfg->seq_len != p->row_len) {
                gm_fail(err, GM_EDATA, "%s: rows have %" PRId64 " tokens, --seq-len says %"
                        PRId64, p->file.path, p->row_len, cfg->seq_len);
                goto fail;
            }
        } else {
            if (!cfg->seq_len) {
                gm_fail(err, GM_EUSAGE, "%s: a 1-D array needs --seq-len to cut it into "
                        "instances", p->file.path);
                goto fail;
            }
            p->row_len = cfg->seq_len;
            p->n = p->hdr.shape[0] / cfg->seq_len; /* a trailing partial window is dropped */
        }
        s->first[i] = total;
        total += p->n;
        if (p->row_len > max_row)
            max_row = p->row_len;
    }
    if (max_row > 0 && !(s->buf = malloc((size_t)max_row * sizeof *s->buf))) {
        gm_fail(err, GM_ENOMEM, "out of memory for a %" PRId64 "-token row", max_row);
        goto fail;
    }
    src->n_instances = total;
    src->impl = s;
    src->get = npy_source_get;
    src->close = npy_source_close;
    return 0;
fail:
    npy_source_close(s);
    return -1;
}
