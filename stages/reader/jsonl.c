/* jsonl.c: JSON Lines data: one JSON object per non-empty line with a flat
 * "tokens" or "input_ids" array of ids, or a "text" string (tokenized by
 * text.c with --tokenizer), and optional "id" (string or integer) and
 * "domain" (string); other keys are ignored. Files concatenate; the instance
 * index is the 0-based count of non-empty lines; LZ4 input is decompressed.
 * Lines are indexed up front and parsed (jansson) only when selected.
 * docs/records.md "sample", docs/reader.md "Text". */
#include "reader.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

typedef struct jsonl_source {
    const source_config *cfg;
    tok_ids text_ids;    /* a "text" record's tokens */
    mapped_file *parts;
    size_t n_parts;
    line_index lines;
    const char *source_name;
    uint32_t *buf;
    size_t cap_buf;
    char *id, *domain;   /* the current record's, owned */
    char where[512];
    /* ids handed out so far (open addressing; each slot owns its string, with
     * the line it came from), so a repeated id fails instead of breaking joins */
    char **seen;
    int64_t *seen_line;
    size_t seen_n, seen_cap;
} jsonl_source;

/* 0: added; 1: already there (*line: where first seen); -1: out of memory. */
static int seen_add(jsonl_source *s, const char *id, int64_t lineno, int64_t *line)
{
    if (2 * (s->seen_n + 1) > s->seen_cap) {
        size_t cap = s->seen_cap ? s->seen_cap * 2 : 1024;
        char **slots = calloc(cap, sizeof *slots);
        int64_t *lines = calloc(cap, sizeof *lines);
        if (!slots || !lines) {
            free(slots);
            free(lines);
            return -1;
        }
        for (size_t i = 0; i < s->seen_cap; i++) {
            if (!s->seen[i])
                continue;
            size_t j = fnv1a(s->seen[i]) & (cap - 1);
            while (slots[j])
                j = (j + 1) & (cap - 1);
            slots[j] = s->seen[i];
            lines[j] = s->seen_line[i];
        }
        free(s->seen);
        free(s->seen_line);
        s->seen = slots;
        s->seen_line = lines;
        s->seen_cap = cap;
    }
    size_t j = fnv1a(id) & (s->seen_cap - 1);
    while (s->seen[j]) {
        if (strcmp(s->seen[j], id) == 0) {
            *line = s->seen_line[j];
            return 1;
        }
        j = (j + 1) & (s->seen_cap - 1);
    }
    if (!(s->seen[j] = strdup(id)))
        return -1;
    s->seen_line[j] = lineno;
    s->seen_n++;
    return 0;
}

static void jsonl_source_close(void *impl)
{
    jsonl_source *s = impl;
    if (!s)
        return;
    for (size_t i = 0; i < s->n_parts; i++)
        mapped_file_close(&s->parts[i]);
    free(s->parts);
    line_index_free(&s->lines);
    free(s->buf);
    tok_ids_free(&s->text_ids);
    free(s->id);
    free(s->domain);
    for (size_t i = 0; i < s->seen_cap; i++)
        free(s->seen[i]);
    free(s->seen);
    free(s->seen_line);
    free(s);
}

static int copy_str(char **dst, const char *src)
{
    free(*dst);
    *dst = strdup(src);
    return *dst ? 0 : -1;
}

/* A "tokens" / "input_ids" array into s->buf; *n_out gets its length. */
static int token_array(jsonl_source *s, json_t *toks, const char *key, size_t *n_out,
                       gm_error *err)
{
    if (!json_is_array(toks))
        return gm_fail(err, GM_EDATA, "%s: \"%s\" is not an array", s->where, key);
    size_t n = *n_out = json_array_size(toks);
    if (n == 0)
        return gm_fail(err, GM_EDATA, "%s: \"%s\" is empty", s->where, key);
    if (n > s->cap_buf) {
        uint32_t *grown = realloc(s->buf, n * sizeof *grown);
        if (!grown)
            return gm_fail(err, GM_ENOMEM, "%s: out of memory for %zu tokens", s->where, n);
        s->buf = grown;
        s->cap_buf = n;
    }
    for (size_t t = 0; t < n; t++) {
        json_t *x = json_array_get(toks, t);
        if (!json_is_integer(x))
            return gm_fail(err, GM_EDATA, "%s: %s[%zu] is not an integer token id%s", s->where,
                           key, t, json_is_array(x) ? " (a nested array: one sequence per line)"
                                                     : "");
        json_int_t val = json_integer_value(x);
        if (val < 0 || (uint64_t)val > UINT32_MAX)
            return gm_fail(err, GM_EDATA, "%s: %s[%zu] = %" JSON_INTEGER_FORMAT
                           " is not a token id", s->where, key, t, val);
        s->buf[t] = (uint32_t)val;
    }
    return 0;
}

static int jsonl_source_get(void *impl, int64_t index, sample_view *v, gm_error *err)
{
    jsonl_source *s = impl;
    const text_line *ln = &s->lines.v[index];
    const mapped_file *f = &s->parts[ln->part];
    snprintf(s->where, sizeof s->where, "%s:%" PRId64, f->path, ln->lineno);

    json_error_t jerr;
    const char *line = (const char *)f->data + ln->offset;
    size_t line_len = ln->len;
    char *fixed = NULL; /* --invalid-utf8 replace: jansson only reads valid UTF-8 */
    if (s->cfg->utf8_replace && utf8_invalid_at(line, line_len) < line_len) {
        if (utf8_replace_invalid(line, line_len, &fixed, &line_len, err))
            return -1;
        line = fixed;
    }
    json_t *root = json_loadb(line, line_len, 0, &jerr);
    free(fixed);
    if (!root)
        return gm_fail(err, GM_EDATA, "%s: invalid JSON at column %d: %s%s", s->where,
                       jerr.column, jerr.text,
                       strstr(jerr.text, "UTF-8") ? " (or --invalid-utf8 replace)" : "");
    int rc = -1;
    const uint32_t *tokens = NULL;
    if (!json_is_object(root)) {
        gm_fail(err, GM_EDATA, "%s: not a JSON object", s->where);
        goto done;
    }
    json_t *toks = json_object_get(root, "tokens");
    json_t *ids = json_object_get(root, "input_ids");
    const char *key = "tokens";
    if (toks && ids) {
        gm_fail(err, GM_EDATA, "%s: has both \"tokens\" and \"input_ids\"; keep one",
                s->where);
        goto done;
    }
    if (!toks) {
        toks = ids;
        key = "input_ids";
    }
    json_t *text = toks ? NULL : json_object_get(root, "text"); /* ids win over text */
    size_t n = 0;
    if (text) {
        if (!json_is_string(text)) {
            gm_fail(err, GM_EDATA, "%s: \"text\" is not a string", s->where);
            goto done;
        }
        if (text_to_ids(s->cfg, json_string_value(text), json_string_length(text), s->where,
                        &s->text_ids, err))
            goto done;
        tokens = s->text_ids.v;
        n = s->text_ids.n;
    } else if (!toks) {
        gm_fail(err, GM_EDATA, "%s: no \"tokens\", \"input_ids\" or \"text\"", s->where);
        goto done;
    } else {
        if (token_array(s, toks, key, &n, err))
            goto done;
        tokens = s->buf;
    }

    v->id = NULL;
    json_t *id = json_object_get(root, "id");
    if (id && !json_is_null(id)) {
        char num[32];
        const char *txt = NULL;
        if (json_is_string(id)) {
            txt = json_string_value(id);
        } else if (json_is_integer(id)) {
            snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
            txt = num;
        } else {
            gm_fail(err, GM_EDATA, "%s: \"id\" is neither a string nor an integer", s->where);
            goto done;
        }
        if (txt[0] == 0) {
            gm_fail(err, GM_EDATA, "%s: \"id\" is empty", s->where);
            goto done;
        }
        int64_t first_line = 0;
        int dup = seen_add(s, txt, ln->lineno, &first_line);
        if (dup == 1) {
            gm_fail(err, GM_EDATA, "%s: id \"%s\" repeats the id of line %" PRId64
                    " (ids must be unique to join samples across checkpoints)", s->where,
                    txt, first_line);
            goto done;
        }
        if (dup < 0 || copy_str(&s->id, txt) < 0) {
            gm_fail(err, GM_ENOMEM, "out of memory");
            goto done;
        }
        v->id = s->id;
    }
    v->domain = NULL;
    json_t *dom = json_object_get(root, "domain");
    if (dom && !json_is_null(dom)) {
        if (!json_is_string(dom) || json_string_length(dom) == 0) {
            gm_fail(err, GM_EDATA, "%s: \"domain\" is not a non-empty string", s->where);
            goto done;
        }
        if (copy_str(&s->domain, json_string_value(dom)) < 0) {
            gm_fail(err, GM_ENOMEM, "out of memory");
            goto done;
        }
        v->domain = s->domain;
    }
    v->tokens = tokens;
    v->n_tokens = n;
    v->source = s->source_name ? s->source_name : f->base;
    v->where = s->where;
    rc = 0;
done:
    json_decref(root);
    return rc;
}

int jsonl_source_open(const source_config *cfg, token_source *src, gm_error *err)
{
    memset(src, 0, sizeof *src);
    jsonl_source *s = calloc(1, sizeof *s);
    if (!s || !(s->parts = calloc(cfg->n_paths, sizeof *s->parts))) {
        free(s);
        return gm_fail(err, GM_ENOMEM, "out of memory");
    }
    s->source_name = cfg->source_name;
    s->cfg = cfg;
    for (size_t i = 0; i < cfg->n_paths; i++) {
        if (mapped_file_open_text(&s->parts[i], cfg->paths[i], err) < 0 ||
            (s->n_parts = i + 1, line_index_add(&s->lines, &s->parts[i], i, err) < 0)) {
            jsonl_source_close(s);
            return -1;
        }
    }
    src->n_instances = (int64_t)s->lines.n;
    src->impl = s;
    src->get = jsonl_source_get;
    src->close = jsonl_source_close;
    return 0;
}
