/* model-check: open a checkpoint folder exactly as router-trace does and print
 * a summary (shape, dtypes, files, step), or the one-line error with exit 1.
 * With --tensor NAME, write that tensor's values widened to f32 (raw little-
 * endian bytes, or --text: one per line) so tests can compare them with an
 * independent reader. --file reads a lone .safetensors file instead of a
 * folder. It computes nothing. Spec: olmoe.md "Files". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "model.h"
#include "safetensors.h"

#define NAME "model-check"

static const char *tensor_name, *out_path;
static int64_t first, count = -1;
static int text, lone_file;

static cli_option options[] = {
    {"tensor", 't', CLI_STRING, &tensor_name, "NAME", "write this tensor's values as f32", 0, 0, 0},
    {"first", 0, CLI_INT, &first, "N", "start at element N", 0, 9e18, 0},
    {"count", 0, CLI_INT, &count, "N", "write N elements (-1: to the end)", -1, 9e18, 0},
    {"text", 0, CLI_FLAG, &text, NULL, "values as text, one per line (%.9g)", 0, 0, 0},
    {"file", 0, CLI_FLAG, &lone_file, NULL, "the argument is one .safetensors file, not a folder", 0, 0, 0},
    {"output", 'o', CLI_STRING, &out_path, "FILE", "write to FILE instead of stdout", 0, 0, 1},
    CLI_OPT_END,
};

static const cli_program program = {
    .name = NAME,
    .usage = NAME " [options] DIR   |   " NAME " --file [options] FILE.safetensors",
    .summary = "Open and validate a HF checkpoint folder (config.json, safetensors, shard index)\n"
               "and print a summary, or the first problem found. With --tensor, write one\n"
               "tensor's values as f32.",
    .example = "  gen-checkpoint --dtype bf16 ckpt/step5000 && model-check ckpt/step5000\n"
               "  model-check --tensor model.layers.0.mlp.gate.weight --text ckpt/step5000 | head",
    .options = options,
};

static int values_write(const gm_tensor *t, FILE *out, gm_error *err)
{
    if (first > t->numel)
        return gm_fail(err, GM_EUSAGE, "--first %lld is past the %lld elements of %s",
                       (long long)first, (long long)t->numel, t->name);
    int64_t n = count < 0 || first + count > t->numel ? t->numel - first : count;
    float buf[4096];
    for (int64_t at = first; at < first + n; at += 4096) {
        int64_t m = first + n - at < 4096 ? first + n - at : 4096;
        tensor_widen(t, at, m, buf);
        if (text) {
            for (int64_t i = 0; i < m; i++)
                fprintf(out, "%.9g\n", (double)buf[i]);
        } else if (fwrite(buf, sizeof *buf, (size_t)m, out) != (size_t)m) {
            break;
        }
    }
    if (ferror(out))
        return gm_fail(err, GM_EIO, "%s: write failed", out_path ? out_path : "stdout");
    return 0;
}

static const gm_tensor *model_tensor(const model *m, const char *name)
{
    const gm_tensor *all[] = {&m->embed, &m->final_norm, &m->lm_head};
    for (int i = 0; i < 3; i++)
        if (strcmp(all[i]->name, name) == 0)
            return all[i];
    for (int64_t l = 0; l < m->cfg.L; l++) {
        const model_layer *y = &m->layers[l];
        const gm_tensor *ts[] = {&y->attn_norm, &y->wq,     &y->wk,       &y->wv,    &y->wo,
                                 &y->q_norm,    &y->k_norm, &y->ffn_norm, &y->router};
        for (int i = 0; i < 9; i++)
            if (ts[i]->data && strcmp(ts[i]->name, name) == 0)
                return ts[i];
        for (int64_t e = 0; y->moe >= 0 && e < m->cfg.E; e++) {
            if (strcmp(y->gate[e].name, name) == 0) return &y->gate[e];
            if (strcmp(y->up[e].name, name) == 0) return &y->up[e];
            if (strcmp(y->down[e].name, name) == 0) return &y->down[e];
        }
    }
    return NULL;
}

static void summary_print(const model *m, FILE *out)
{
    const model_config *c = &m->cfg;
    int64_t params = 0, n = 0, by[3] = {0};
    const gm_tensor *all[] = {&m->embed, &m->final_norm, &m->lm_head};
    for (int i = 0; i < 3; i++) {
        if (i == 2 && m->lm_head.data == m->embed.data)
            break;
        params += all[i]->numel, n++, by[all[i]->dtype]++;
    }
    for (int64_t l = 0; l < c->L; l++) {
        const model_layer *y = &m->layers[l];
        const gm_tensor *ts[] = {&y->attn_norm, &y->wq,     &y->wk,       &y->wv,    &y->wo,
                                 &y->q_norm,    &y->k_norm, &y->ffn_norm, &y->router};
        for (int i = 0; i < 9; i++)
            if (ts[i]->data)
                params += ts[i]->numel, n++, by[ts[i]->dtype]++;
        for (int64_t e = 0; y->moe >= 0 && e < c->E; e++) {
            const gm_tensor *ex[] = {&y->gate[e], &y->up[e], &y->down[e]};
            for (int i = 0; i < 3; i++)
                params += ex[i]->numel, n++, by[ex[i]->dtype]++;
        }
    }
    fprintf(out, "checkpoint %s (step %lld)\n", m->name, (long long)m->step);
    fprintf(out, "model_type %s: D %lld, L %lld, H %lld, H_kv %lld, Dh %lld, F %lld, E %lld, K %lld, "
                 "V %lld, max_pos %lld\n",
            c->model_type, (long long)c->D, (long long)c->L, (long long)c->H, (long long)c->H_kv,
            (long long)c->Dh, (long long)c->F, (long long)c->E, (long long)c->K, (long long)c->V,
            (long long)c->max_pos);
    fprintf(out, "rms_eps %g, rope_theta %g, clip_qkv %g, norm_topk_prob %s, tied %s\n", c->rms_eps,
            c->rope_theta, c->clip_qkv, c->norm_topk_prob ? "true" : "false",
            c->tie_embeddings ? "true" : "false");
    fprintf(out, "tensors %lld (F32 %lld, BF16 %lld, F16 %lld), parameters %lld\n", (long long)n,
            (long long)by[GM_F32], (long long)by[GM_BF16], (long long)by[GM_F16], (long long)params);
}

static int file_run(const char *path, FILE *out, gm_error *err)
{
    st_file *f = st_file_open(path, err);
    if (!f)
        return -1;
    int rc = 0;
    if (!tensor_name) {
        for (size_t i = 0; i < f->n; i++) {
            const st_tensor *t = &f->tensors[i];
            fprintf(out, "%s %s [", t->name, t->dtype_name);
            for (int d = 0; d < t->ndim; d++)
                fprintf(out, "%s%lld", d ? ", " : "", (long long)t->shape[d]);
            fprintf(out, "]\n");
        }
    } else {
        const st_tensor *t = st_file_find(f, tensor_name);
        if (!t)
            rc = gm_fail(err, GM_EDATA, "%s: no tensor %s", path, tensor_name);
        else if (t->dtype < 0)
            rc = gm_fail(err, GM_EDATA, "%s: tensor %s has dtype %s, expected F32, BF16 or F16",
                         path, tensor_name, t->dtype_name);
        else {
            gm_tensor g = {.name = t->name, .data = t->data, .dtype = (gm_dtype)t->dtype,
                           .ndim = t->ndim, .numel = t->numel};
            rc = values_write(&g, out, err);
        }
    }
    st_file_close(f);
    return rc;
}

static int dir_run(const char *dir, FILE *out, gm_error *err)
{
    model *m = model_open(dir, err);
    if (!m)
        return -1;
    int rc = 0;
    if (!tensor_name) {
        summary_print(m, out);
    } else {
        const gm_tensor *t = model_tensor(m, tensor_name);
        rc = t ? values_write(t, out, err)
               : gm_fail(err, GM_EDATA, "%s: the model has no tensor %s", dir, tensor_name);
    }
    model_close(m);
    return rc;
}

int main(int argc, char **argv)
{
    int at = cli_parse(&program, argc, argv);
    if (argc - at != 1)
        cli_usage_error(NAME, "expected one checkpoint folder (or file with --file), got %d",
                        argc - at);
    if (tensor_name && !text && !out_path && isatty(STDOUT_FILENO))
        cli_usage_error(NAME, "refusing to write binary values to a terminal (use --text or -o)");
    FILE *out = out_path ? fopen(out_path, "wb") : stdout;
    gm_error err = {0};
    if (!out) {
        gm_fail(&err, GM_EIO, "%s: cannot create", out_path);
        cli_die(NAME, &err);
    }
    int rc = lone_file ? file_run(argv[at], out, &err) : dir_run(argv[at], out, &err);
    if (fclose(out) != 0 && rc == 0)
        rc = gm_fail(&err, GM_EIO, "%s: write failed", out_path ? out_path : "stdout");
    if (rc < 0) {
        if (out_path)
            unlink(out_path);
        cli_die(NAME, &err);
    }
    return 0;
}
