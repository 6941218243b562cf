/* text.c: text in. A document's text becomes ids here (text_to_ids: the
 * UTF-8 check, or its repair with --invalid-utf8 replace, then BOS, the
 * checkpoint's own tokenizer, EOS), for JSON Lines "text" records and for the
 * plain text source: files mapped (LZ4 undone), one document per file or per
 * non-empty line (--text-unit), the instance index counting documents across
 * the files in order. Spec: issue 14; docs/reader.md "Text". */
#include "reader.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int text_to_ids(const source_config *cfg, const char *text, size_t n, const char *where,
                tok_ids *ids, gm_error *err)
{
    ids->n = 0;
    if (!cfg->tok)
        return gm_fail(err, GM_EDATA, "%s: text but no token ids: tokenize it with --tokenizer "
                       "CHECKPOINT (or its tokenizer.json)", where);
    char *fixed = NULL;
    size_t bad = utf8_invalid_at(text, n);
    if (bad < n) {
        if (!cfg->utf8_replace) {
            /* the line and column of a byte offset, for a person to find it */
            size_t line = 1, col = 1;
            for (size_t i = 0; i < bad; i++, col++)
                if (text[i] == '\n')
                    line++, col = 0;
            return gm_fail(err, GM_EDATA, "%s: invalid UTF-8 at byte %zu of the text (its line "
                           "%zu, byte %zu): fix the data, or --invalid-utf8 replace", where, bad,
                           line, col);
        }
        if (utf8_replace_invalid(text, n, &fixed, &n, err))
            return -1;
        text = fixed;
    }
    int rc = 0;
    if (cfg->bos >= 0)
        rc = tok_ids_push(ids, (uint32_t)cfg->bos, err);
    if (!rc && tokenizer_encode(cfg->tok, text, n, ids, err)) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        rc = gm_fail(err, err->code, "%s: %s", where, msg);
    }
    if (!rc && cfg->eos >= 0)
        rc = tok_ids_push(ids, (uint32_t)cfg->eos, err);
    if (!rc && ids->n == 0)
        rc = gm_fail(err, GM_EDATA, "%s: the text gives no tokens (empty; --append-eos would "
                     "make it one token)", where);
    free(fixed);
    return rc;
}

typedef struct text_source {
    const source_config *cfg;
    mapped_file *parts;
    size_t n_parts;
    line_index lines;    /* --text-unit line */
    tok_ids ids;
    char where[512];
} text_source;

static void text_source_close(void *impl)
{
    text_source *s = impl;
    if (!s)
        return;
    for (size_t i = 0; i < s->n_parts; i++)
        mapped_file_close(&s->parts[i]);
    free(s->parts);
    line_index_free(&s->lines);
    tok_ids_free(&s->ids);
    free(s);
}

static int text_source_get(void *impl, int64_t index, sample_view *v, gm_error *err)
{
    text_source *s = impl;
    const mapped_file *f;
    const char *text;
    size_t n;
    if (s->cfg->text_lines) {
        const text_line *ln = &s->lines.v[index];
        f = &s->parts[ln->part];
        text = (const char *)f->data + ln->offset;
        n = ln->len;
        if (n && text[n - 1] == '\r')
            n--;
        snprintf(s->where, sizeof s->where, "%s:%" PRId64, f->path, ln->lineno);
    } else {
        f = &s->parts[index];
        text = (const char *)f->data;
        n = f->size;
        snprintf(s->where, sizeof s->where, "%s", f->path);
    }
    if (text_to_ids(s->cfg, text ? text : "", n, s->where, &s->ids, err))
        return -1;
    v->tokens = s->ids.v;
    v->n_tokens = s->ids.n;
    v->source = s->cfg->source_name ? s->cfg->source_name : f->base;
    v->id = NULL;
    v->domain = NULL;
    v->where = s->where;
    return 0;
}

int text_source_open(const source_config *cfg, token_source *src, gm_error *err)
{
    memset(src, 0, sizeof *src);
    text_source *s = calloc(1, sizeof *s);
    if (!s || !(s->parts = calloc(cfg->n_paths, sizeof *s->parts))) {
        free(s);
        return gm_fail(err, GM_ENOMEM, "out of memory");
    }
    s->cfg = cfg;
    for (size_t i = 0; i < cfg->n_paths; i++) {
        if (mapped_file_open_text(&s->parts[i], cfg->paths[i], err) < 0 ||
            (s->n_parts = i + 1,
             cfg->text_lines && line_index_add(&s->lines, &s->parts[i], i, err) < 0)) {
            text_source_close(s);
            return -1;
        }
    }
    src->n_instances = cfg->text_lines ? (int64_t)s->lines.n : (int64_t)s->n_parts;
    src->impl = s;
    src->get = text_source_get;
    src->close = text_source_close;
    return 0;
}
