/* tokenizer_load.c: reading a tokenizer.json (jansson) into the parts tokenizer_impl.h
 * describes. Everything the file asks for is either implemented or refused
 * here, with one line naming the key and what is supported: a tokenizer that
 * loads encodes as HF tokenizers does. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "input.h"
#include "tokenizer_impl.h"

static int refuse(gm_error *err, const char *where, const char *what, const char *supported)
{
    return gm_fail(err, GM_EDATA, "tokenizer.json: %s %s is not supported (supported: %s)", where,
                   what, supported);
}

static const char *type_of(json_t *o)
{
    json_t *t = json_object_get(o, "type");
    return json_is_string(t) ? json_string_value(t) : NULL;
}

static int get_bool(json_t *o, const char *key, int dflt)
{
    json_t *v = json_object_get(o, key);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static char *dup_string(json_t *v)
{
    return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

/* ---- normalizers -------------------------------------------------------- */

static int add_normalizer(tokenizer *t, json_t *o, gm_error *err)
{
    if (json_is_null(o) || !o)
        return 0;
    const char *ty = type_of(o);
    if (!ty)
        return gm_fail(err, GM_EDATA, "tokenizer.json: a normalizer without a \"type\"");
    if (strcmp(ty, "Sequence") == 0) {
        json_t *list = json_object_get(o, "normalizers");
        size_t i;
        json_t *x;
        if (!json_is_array(list))
            return gm_fail(err, GM_EDATA, "tokenizer.json: normalizer Sequence without a "
                           "\"normalizers\" list");
        json_array_foreach(list, i, x)
            if (add_normalizer(t, x, err))
                return -1;
        return 0;
    }
    tok_normalizer nm = {0};
    if (strcmp(ty, "NFC") == 0) {
        nm.kind = NORM_NFC;
    } else if (strcmp(ty, "NFKC") == 0) {
        nm.kind = NORM_NFKC;
    } else if (strcmp(ty, "Prepend") == 0) {
        nm.kind = NORM_PREPEND;
        if (!(nm.text = dup_string(json_object_get(o, "prepend"))))
            return gm_fail(err, GM_EDATA, "tokenizer.json: normalizer Prepend without a string "
                           "\"prepend\"");
    } else if (strcmp(ty, "Replace") == 0) {
        nm.kind = NORM_REPLACE;
        json_t *pat = json_object_get(o, "pattern");
        if (json_object_get(pat, "Regex"))
            return refuse(err, "normalizer Replace", "with a Regex pattern", "a String pattern");
        nm.pattern = dup_string(json_object_get(pat, "String"));
        nm.text = dup_string(json_object_get(o, "content"));
        if (!nm.pattern || !nm.text) {
            free(nm.pattern);
            free(nm.text);
            return gm_fail(err, GM_EDATA, "tokenizer.json: normalizer Replace needs "
                           "pattern.String and content");
        }
    } else {
        return refuse(err, "normalizer", ty, "NFC, NFKC, Prepend, Replace, Sequence");
    }
    tok_normalizer *v = realloc(t->norms, (t->n_norms + 1) * sizeof *v);
    if (!v) {
        free(nm.text);
        free(nm.pattern);
        return gm_fail(err, GM_ENOMEM, "out of memory");
    }
    t->norms = v;
    t->norms[t->n_norms++] = nm;
    return 0;
}

/* ---- pre-tokenizers ----------------------------------------------------- */

static int split_behavior(const char *b, split_kind *k)
{
    static const struct { const char *name; split_kind k; } names[] = {
        {"Isolated", SPLIT_ISOLATED}, {"Removed", SPLIT_REMOVED},
        {"MergedWithPrevious", SPLIT_PREVIOUS}, {"MergedWithNext", SPLIT_NEXT},
        {"Contiguous", SPLIT_CONTIGUOUS}};
    for (size_t i = 0; b && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(b, names[i].name) == 0) {
            *k = names[i].k;
            return 0;
        }
    return -1;
}

static int add_pretok(tokenizer *t, json_t *o, gm_error *err)
{
    if (json_is_null(o) || !o)
        return 0;
    const char *ty = type_of(o);
    if (!ty)
        return gm_fail(err, GM_EDATA, "tokenizer.json: a pre_tokenizer without a \"type\"");
    if (strcmp(ty, "Sequence") == 0) {
        json_t *list = json_object_get(o, "pretokenizers");
        size_t i;
        json_t *x;
        if (!json_is_array(list))
            return gm_fail(err, GM_EDATA, "tokenizer.json: pre_tokenizer Sequence without a "
                           "\"pretokenizers\" list");
        json_array_foreach(list, i, x)
            if (add_pretok(t, x, err))
                return -1;
        return 0;
    }
    tok_pretok p = {0};
    if (strcmp(ty, "ByteLevel") == 0) {
        p.kind = PRE_BYTELEVEL;
        p.add_prefix_space = get_bool(o, "add_prefix_space", 1);
        p.use_regex = get_bool(o, "use_regex", 1);
        if (p.use_regex && !(p.re = tok_regex_compile(NULL, 0, err)))
            return -1;
        t->bpe.byte_level = 1;
    } else if (strcmp(ty, "Split") == 0) {
        p.kind = PRE_SPLIT;
        json_t *pat = json_object_get(o, "pattern");
        json_t *rx = json_object_get(pat, "Regex"), *lit = json_object_get(pat, "String");
        const char *b = json_string_value(json_object_get(o, "behavior"));
        if (get_bool(o, "invert", 0))
            return refuse(err, "pre_tokenizer Split", "with invert true", "invert false");
        if (split_behavior(b, &p.behavior))
            return refuse(err, "pre_tokenizer Split behavior", b ? b : "(none)",
                          "Isolated, Removed, MergedWithPrevious, MergedWithNext, Contiguous");
        if (!json_is_string(rx) && !json_is_string(lit))
            return gm_fail(err, GM_EDATA, "tokenizer.json: pre_tokenizer Split needs "
                           "pattern.Regex or pattern.String");
        if (!(p.re = tok_regex_compile(json_string_value(json_is_string(rx) ? rx : lit),
                                       !json_is_string(rx), err)))
            return -1;
    } else if (strcmp(ty, "Metaspace") == 0) {
        p.kind = PRE_METASPACE;
        if (!(p.replacement = dup_string(json_object_get(o, "replacement"))))
            return gm_fail(err, GM_EDATA, "tokenizer.json: pre_tokenizer Metaspace without a "
                           "\"replacement\"");
        const char *sch = json_string_value(json_object_get(o, "prepend_scheme"));
        if (!sch)
            p.prepend = get_bool(o, "add_prefix_space", 1) ? PREPEND_ALWAYS : PREPEND_NEVER;
        else if (strcmp(sch, "always") == 0)
            p.prepend = PREPEND_ALWAYS;
        else if (strcmp(sch, "first") == 0)
            p.prepend = PREPEND_FIRST;
        else if (strcmp(sch, "never") == 0)
            p.prepend = PREPEND_NEVER;
        else {
            free(p.replacement);
            return refuse(err, "pre_tokenizer Metaspace prepend_scheme", sch,
                          "always, first, never");
        }
        p.split = get_bool(o, "split", 1);
        if (p.split && !(p.re = tok_regex_compile(p.replacement, 1, err))) {
            free(p.replacement);
            return -1;
        }
    } else if (strcmp(ty, "Digits") == 0) {
        p.kind = PRE_DIGITS;
        p.individual = get_bool(o, "individual_digits", 0);
        if (!(p.re = tok_regex_compile("\\p{N}", 0, err)))
            return -1;
    } else {
        return refuse(err, "pre_tokenizer", ty, "ByteLevel, Split, Metaspace, Digits, Sequence");
    }
    tok_pretok *v = realloc(t->pre, (t->n_pre + 1) * sizeof *v);
    if (!v) {
        pcre2_code_free(p.re);
        free(p.replacement);
        return gm_fail(err, GM_ENOMEM, "out of memory");
    }
    t->pre = v;
    t->pre[t->n_pre++] = p;
    return 0;
}

/* ---- the model ---------------------------------------------------------- */

static int load_merges(tok_bpe *m, json_t *merges, gm_error *err)
{
    if (!json_is_array(merges))
        return gm_fail(err, GM_EDATA, "tokenizer.json: model.merges is not a list");
    if (tok_bpe_merges_init(m, json_array_size(merges), err))
        return -1;
    size_t i;
    json_t *x;
    json_array_foreach(merges, i, x) {
        const char *l, *r;
        size_t ln, rn;
        if (json_is_string(x)) { /* "left right" */
            l = json_string_value(x);
            const char *sp = strchr(l, ' ');
            if (!sp || strchr(sp + 1, ' '))
                return gm_fail(err, GM_EDATA, "tokenizer.json: merge %zu \"%s\" is not two "
                               "tokens separated by one space", i, l);
            ln = (size_t)(sp - l);
            r = sp + 1;
            rn = strlen(r);
        } else if (json_is_array(x) && json_array_size(x) == 2 &&
                   json_is_string(json_array_get(x, 0)) && json_is_string(json_array_get(x, 1))) {
            l = json_string_value(json_array_get(x, 0));
            ln = json_string_length(json_array_get(x, 0));
            r = json_string_value(json_array_get(x, 1));
            rn = json_string_length(json_array_get(x, 1));
        } else {
            return gm_fail(err, GM_EDATA, "tokenizer.json: merge %zu is neither \"a b\" nor "
                           "[\"a\", \"b\"]", i);
        }
        if (tok_bpe_add_merge(m, (uint32_t)i, l, ln, r, rn, err))
            return -1;
    }
    return 0;
}

static int load_model(tokenizer *t, json_t *o, gm_error *err)
{
    const char *ty = type_of(o);
    if (!ty || strcmp(ty, "BPE") != 0)
        return refuse(err, "model", ty ? ty : "(no type)", "BPE");
    json_t *d = json_object_get(o, "dropout");
    if (d && !json_is_null(d) && !(json_is_number(d) && json_number_value(d) == 0))
        return refuse(err, "model.dropout", "other than null", "null (no dropout)");
    const char *keys[] = {"continuing_subword_prefix", "end_of_word_suffix"};
    for (size_t i = 0; i < 2; i++) {
        json_t *v = json_object_get(o, keys[i]);
        if (v && !json_is_null(v) && !(json_is_string(v) && json_string_length(v) == 0))
            return refuse(err, "model", keys[i], "null");
    }
    tok_bpe *m = &t->bpe;
    m->byte_fallback = get_bool(o, "byte_fallback", 0);
    m->ignore_merges = get_bool(o, "ignore_merges", 0);
    m->fuse_unk = get_bool(o, "fuse_unk", 0);
    json_t *vocab = json_object_get(o, "vocab");
    if (!json_is_object(vocab))
        return gm_fail(err, GM_EDATA, "tokenizer.json: model.vocab is not an object");
    const char *key;
    json_t *v;
    json_object_foreach(vocab, key, v) {
        json_int_t id = json_is_integer(v) ? json_integer_value(v) : -1;
        if (id < 0 || id > (json_int_t)UINT32_MAX - 1)
            return gm_fail(err, GM_EDATA, "tokenizer.json: model.vocab[\"%s\"] is not a token "
                           "id", key);
        if (tok_bpe_add_token(m, (uint32_t)id, key, strlen(key), err))
            return -1;
    }
    if (tok_bpe_index(m, err))
        return -1;
    m->unk = -1;
    json_t *unk = json_object_get(o, "unk_token");
    if (json_is_string(unk) && (m->unk = tok_bpe_lookup(m, json_string_value(unk),
                                                        json_string_length(unk))) < 0)
        return gm_fail(err, GM_EDATA, "tokenizer.json: model.unk_token \"%s\" is not in the "
                       "vocabulary", json_string_value(unk));
    return load_merges(m, json_object_get(o, "merges"), err);
}

/* ---- added tokens, BOS and EOS ------------------------------------------ */

static int load_added(tokenizer *t, json_t *list, gm_error *err)
{
    if (!list || json_is_null(list))
        return 0;
    if (!json_is_array(list))
        return gm_fail(err, GM_EDATA, "tokenizer.json: added_tokens is not a list");
    if (!(t->added = calloc(json_array_size(list) + 1, sizeof *t->added)))
        return gm_fail(err, GM_ENOMEM, "out of memory");
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x) {
        json_t *c = json_object_get(x, "content"), *id = json_object_get(x, "id");
        if (!json_is_string(c) || json_string_length(c) == 0 || !json_is_integer(id) ||
            json_integer_value(id) < 0 || json_integer_value(id) > (json_int_t)UINT32_MAX - 1)
            return gm_fail(err, GM_EDATA, "tokenizer.json: added_tokens[%zu] needs a non-empty "
                           "\"content\" and an \"id\"", i);
        if (get_bool(x, "single_word", 0))
            return refuse(err, "added token", json_string_value(c), "single_word false");
        tok_added *a = &t->added[t->n_added++];
        a->content = strdup(json_string_value(c));
        if (!a->content)
            return gm_fail(err, GM_ENOMEM, "out of memory");
        a->n = json_string_length(c);
        a->id = (uint32_t)json_integer_value(id);
        a->lstrip = get_bool(x, "lstrip", 0);
        a->rstrip = get_bool(x, "rstrip", 0);
        a->special = get_bool(x, "special", 0);
        t->added_first[(uint8_t)a->content[0]] = 1;
    }
    return 0;
}

/* The first of names that is a token. */
static int64_t first_token(const tokenizer *t, const char *const *names)
{
    for (; *names; names++) {
        int64_t id = tokenizer_token_id(t, *names);
        if (id >= 0)
            return id;
    }
    return -1;
}

static void find_bos_eos(tokenizer *t)
{
    static const char *const bos[] = {"<s>", "<|begin_of_text|>", "<｜begin▁of▁sentence｜>",
                                      "<|startoftext|>", "<bos>", NULL};
    static const char *const eos[] = {"</s>", "<|endoftext|>", "<|end_of_text|>",
                                      "<｜end▁of▁sentence｜>", "<eos>", NULL};
    t->bos = first_token(t, bos);
    t->eos = first_token(t, eos);
}

/* ---- the file ----------------------------------------------------------- */

tokenizer *tokenizer_load(const char *path, gm_error *err)
{
    char buf[4096];
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(buf, sizeof buf, "%s/tokenizer.json", path);
        path = buf;
    }
    FILE *f = gm_file_fopen(path, err);
    if (!f)
        return NULL;
    json_error_t jerr;
    json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
    fclose(f);
    if (!root) {
        gm_fail(err, GM_EDATA, "%s:%d:%d: not valid JSON: %s", path, jerr.line, jerr.column,
                jerr.text);
        return NULL;
    }
    tokenizer *t = calloc(1, sizeof *t);
    if (!t) {
        json_decref(root);
        gm_fail(err, GM_ENOMEM, "out of memory");
        return NULL;
    }
    int rc = !json_is_object(root)
                 ? gm_fail(err, GM_EDATA, "tokenizer.json: not a JSON object")
                 : 0;
    if (!rc)
        rc = add_normalizer(t, json_object_get(root, "normalizer"), err);
    if (!rc)
        rc = add_pretok(t, json_object_get(root, "pre_tokenizer"), err);
    if (!rc)
        rc = load_model(t, json_object_get(root, "model"), err);
    if (!rc)
        rc = load_added(t, json_object_get(root, "added_tokens"), err);
    if (!rc && !(t->md = pcre2_match_data_create(16, NULL)))
        rc = gm_fail(err, GM_ENOMEM, "out of memory");
    json_decref(root);
    if (rc) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        gm_fail(err, err->code, "%s: %s", path, msg);
        tokenizer_free(t);
        return NULL;
    }
    find_bos_eos(t);
    return t;
}

void tokenizer_free(tokenizer *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_norms; i++) {
        free(t->norms[i].text);
        free(t->norms[i].pattern);
    }
    free(t->norms);
    for (size_t i = 0; i < t->n_pre; i++) {
        pcre2_code_free(t->pre[i].re);
        free(t->pre[i].replacement);
    }
    free(t->pre);
    tok_bpe_free(&t->bpe);
    for (size_t i = 0; i < t->n_added; i++)
        free(t->added[i].content);
    free(t->added);
    pcre2_match_data_free(t->md);
    free(t);
}
