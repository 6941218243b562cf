/* gen-series: turn gen-checkpoint's random OLMoE folders into a checkpoint series that tells
 * the paper's story (method.md "What the paper shows"), and write the token samples it is
 * about. Each domain owns a token range, a shared embedding direction u_d and a next-token
 * rule; lm_head learns the rule early (loss flattens), while the routers keep aligning a
 * per-domain expert set with u_d (pathways become shared and smooth). Not a trained model.
 * Patches F32 model.safetensors in place, once (writes DIR/series.json last). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"
#include "hf_config.h"
#include "model.h"
#include "safetensors.h"

#define NAME "gen-series"
#define FIRST_TOKEN 8 /* tokens below belong to no domain (pad, eos-like) */

static int64_t position = -1, length = 8, domains = 2, seed = 1, set_size = 3;
static int64_t tokens_domain = -1, n_samples = 100, seq_len = 64, vocab = 1024;
static double alpha = 0.6, b_max = 1.5, b_tau = 1.0, a_max = 1.6, a_pow = 1.0;
static const char *noise_levels = "0,1,2,4,7,11,16,24";

static cli_option options[] = {
    {"position", 0, CLI_INT, &position, "I", "model mode: this checkpoint's place in the series, 0-based", -1, 1e6, 0},
    {"length", 0, CLI_INT, &length, "N", "checkpoints in the series", 2, 1e6, 0},
    {"domains", 0, CLI_INT, &domains, "M", "domains, each with its own token range", 1, 64, 0},
    {"seed", 0, CLI_INT, &seed, "N", "seed of the story (directions, rules, expert sets, noise)", 0, 9e15, 0},
    {"alpha", 0, CLI_DOUBLE, &alpha, "X", "weight of the domain direction u_d in a token's embedding", 0, 1, 0},
    {"b-max", 0, CLI_DOUBLE, &b_max, "X", "lm_head scale once learned: b_t = b_max (1 - exp(-t / b_tau))", 0, 100, 0},
    {"b-tau", 0, CLI_DOUBLE, &b_tau, "X", "checkpoints over which lm_head saturates", 0.01, 1e6, 0},
    {"a-max", 0, CLI_DOUBLE, &a_max, "X", "router structure at the last checkpoint: a_t = a_max (t / (N-1))^a_pow", 0, 100, 0},
    {"a-pow", 0, CLI_DOUBLE, &a_pow, "X", "shape of the router schedule", 0.01, 100, 0},
    {"set-size", 0, CLI_INT, &set_size, "N", "experts per domain and layer that the router learns", 1, 64, 0},
    {"tokens", 0, CLI_INT, &tokens_domain, "D", "tokens mode: write domain D's samples (raw u16) to FILE", -1, 63, 0},
    {"samples", 0, CLI_INT, &n_samples, "N", "tokens mode: samples (windows of --seq-len tokens)", 1, 1e7, 0},
    {"seq-len", 0, CLI_INT, &seq_len, "T", "tokens mode: tokens per sample", 2, 1e6, 0},
    {"vocab", 0, CLI_INT, &vocab, "V", "tokens mode: the series' vocab_size", 16, 65536, 0},
    {"noise", 0, CLI_STRING, &noise_levels, "LIST",
     "tokens mode: off-rule tokens per sample, cycled over the samples (memorization groups)", 0, 0, 0},
    CLI_OPT_END,
};

static const cli_program program = {
    .name = NAME,
    .usage = NAME " --position I --length N [options] DIR   |   " NAME " --tokens D [options] FILE",
    .summary = "Model mode: patch DIR, a gen-checkpoint --dtype f32 folder, into checkpoint I of an\n"
               "N-step story series (embeddings, lm_head and router matrices; the rest stays\n"
               "random and small). Tokens mode: write domain D's samples as raw u16 windows.\n"
               "Both must get the same --seed, --domains (and --vocab = the model's V).",
    .example = "  gen-checkpoint --hidden 128 --layers 4 --experts 16 --top-k 4 --ffn 64 --vocab 1024 \\\n"
               "      --router-std 0.25 --std 0.02 ck/step5000-tokens20B\n"
               "  gen-series --position 0 --length 8 ck/step5000-tokens20B\n"
               "  gen-series --tokens 0 --samples 150 --seq-len 64 --vocab 1024 math.u16\n"
               "  reader --domain math --dtype u16 --seq-len 64 math.u16 | router-trace --model ck/step5000-tokens20B",
    .options = options,
};

/* ---- the story's random numbers: pure functions of (seed, purpose, indices) ---------- */

static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t key_of(uint64_t purpose, uint64_t a, uint64_t b)
{
    return mix64(mix64(mix64((uint64_t)seed) ^ purpose) ^ mix64(a * 0x100000001b3ull + b));
}

/* Uniform in [0, 1) from a key and a counter. */
static double uniform_at(uint64_t key, uint64_t i)
{
    return (double)(mix64(key ^ mix64(i)) >> 11) * 0x1p-53;
}

/* out[D] = a unit vector, uniform on the sphere (normalized Gaussian, Box-Muller). */
static void unit_vector(uint64_t key, int64_t D, double *out)
{
    double ss = 0;
    for (int64_t i = 0; i < D; i++) {
        double u1 = 1.0 - uniform_at(key, 2 * (uint64_t)i), u2 = uniform_at(key, 2 * (uint64_t)i + 1);
        out[i] = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
        ss += out[i] * out[i];
    }
    for (int64_t i = 0; i < D; i++)
        out[i] /= sqrt(ss);
}

enum { P_DOMAIN_DIR = 1, P_TOKEN_DIR, P_ORDER, P_EXPERTS, P_SAMPLE };

/* ---- the domains: token ranges and their next-token rule ----------------------------- */

typedef struct story {
    int64_t V, D, M, R;        /* vocabulary, width, domains, tokens per domain */
    int64_t *order;            /* [M, R]: the rule's cycle, rule(order[i]) = order[i + 1] */
    int64_t *place;            /* [V]: index of a token in its domain's cycle, -1 outside */
} story;

static int64_t domain_of(const story *s, int64_t v)
{
    return v >= FIRST_TOKEN && v < FIRST_TOKEN + s->M * s->R ? (v - FIRST_TOKEN) / s->R : -1;
}

static int story_make(story *s, int64_t V, int64_t D, gm_error *err)
{
    s->V = V, s->D = D, s->M = domains;
    s->R = (V - FIRST_TOKEN) / domains;
    if (s->R < 4)
        return gm_fail(err, GM_EUSAGE, "vocab %lld leaves fewer than 4 tokens per domain for %lld domains",
                       (long long)V, (long long)domains);
    s->order = malloc((size_t)(s->M * s->R) * sizeof *s->order);
    s->place = malloc((size_t)V * sizeof *s->place);
    if (!s->order || !s->place)
        return gm_fail(err, GM_ENOMEM, "no memory for the token rules");
    for (int64_t v = 0; v < V; v++)
        s->place[v] = -1;
    for (int64_t d = 0; d < s->M; d++) {
        int64_t *o = s->order + d * s->R;
        uint64_t key = key_of(P_ORDER, (uint64_t)d, 0);
        for (int64_t i = 0; i < s->R; i++)
            o[i] = FIRST_TOKEN + d * s->R + i;
        for (int64_t i = s->R - 1; i > 0; i--) { /* Fisher-Yates: one random cycle */
            int64_t j = (int64_t)(uniform_at(key, (uint64_t)i) * (double)(i + 1));
            int64_t t = o[i];
            o[i] = o[j], o[j] = t;
        }
        for (int64_t i = 0; i < s->R; i++)
            s->place[o[i]] = i;
    }
    return 0;
}

static void story_free(story *s)
{
    free(s->order);
    free(s->place);
}

static int64_t rule_next(const story *s, int64_t v)
{
    int64_t d = domain_of(s, v);
    return s->order[d * s->R + (s->place[v] + 1) % s->R];
}

static int64_t rule_prev(const story *s, int64_t v)
{
    int64_t d = domain_of(s, v);
    return s->order[d * s->R + (s->place[v] + s->R - 1) % s->R];
}

/* A token's unit embedding direction ê_v [D]: alpha u_d + sqrt(1 - alpha^2) r_v, renormalized. */
static void token_dir(const story *s, int64_t v, double *u, double *out)
{
    int64_t d = domain_of(s, v);
    unit_vector(key_of(P_TOKEN_DIR, (uint64_t)v, 0), s->D, out);
    if (d < 0)
        return;
    unit_vector(key_of(P_DOMAIN_DIR, (uint64_t)d, 0), s->D, u);
    double beta = sqrt(1 - alpha * alpha), ss = 0;
    for (int64_t i = 0; i < s->D; i++) {
        out[i] = alpha * u[i] + beta * out[i];
        ss += out[i] * out[i];
    }
    for (int64_t i = 0; i < s->D; i++)
        out[i] /= sqrt(ss);
}

/* ---- model mode -------------------------------------------------------------------------- */

static int tensor_put(int fd, const st_file *f, const char *name, const float *vals, int64_t n,
                      gm_error *err)
{
    const st_tensor *t = st_file_find(f, name);
    if (!t)
        return gm_fail(err, GM_EDATA, "%s: no tensor %s", f->path, name);
    if (t->numel != n)
        return gm_fail(err, GM_EDATA, "%s: tensor %s has %lld elements, expected %lld", f->path, name,
                       (long long)t->numel, (long long)n);
    size_t nb = (size_t)n * sizeof *vals;
    off_t at = (off_t)(8 + f->header_len + t->begin);
    if (pwrite(fd, vals, nb, at) != (ssize_t)nb)
        return gm_fail(err, GM_EIO, "%s: cannot write tensor %s: %s", f->path, name, strerror(errno));
    return 0;
}

static int series_write(const char *dir, double a, double b, gm_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/series.json", dir);
    FILE *fp = fopen(path, "w");
    if (!fp)
        return gm_fail(err, GM_EIO, "%s: cannot create: %s", path, strerror(errno));
    fprintf(fp, "{\"generator\": \"gen-series\", \"position\": %lld, \"length\": %lld, \"seed\": %lld,\n"
                " \"domains\": %lld, \"alpha\": %.17g, \"lm_head_scale\": %.17g, \"router_strength\": %.17g,\n"
                " \"set_size\": %lld, \"first_token\": %d}\n",
            (long long)position, (long long)length, (long long)seed, (long long)domains, alpha, b, a,
            (long long)set_size, FIRST_TOKEN);
    if (fclose(fp) != 0)
        return gm_fail(err, GM_EIO, "%s: cannot write: %s", path, strerror(errno));
    return 0;
}

/* Expert k (rank k, 0 strongest) of domain d's set in layer l: sets move by one expert per
 * layer (different across layers, smoothly related); the domains' sets are disjoint. */
static int64_t set_expert(int64_t E, int64_t d, int64_t l, int64_t k)
{
    int64_t base = (int64_t)(key_of(P_EXPERTS, 0, 0) % (uint64_t)E);
    int64_t stride = E / (domains * set_size); /* >= 1: checked by the caller */
    return (base + l + d + k * domains * stride) % E;
}

static int model_patch(const char *dir, gm_error *err)
{
    char path[4096];
    model_config cfg;
    snprintf(path, sizeof path, "%s/series.json", dir);
    if (access(path, F_OK) == 0)
        return gm_fail(err, GM_EUSAGE, "%s: already patched (series.json exists): start from a fresh "
                       "gen-checkpoint folder", dir);
    snprintf(path, sizeof path, "%s/config.json", dir);
    if (hf_config_read(path, &cfg, err) < 0)
        return -1;
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    st_file *f = st_file_open(path, err);
    if (!f)
        return -1;
    int64_t V = cfg.V, D = cfg.D, E = cfg.E, L = cfg.L;
    hf_config_clear(&cfg); /* the shape is all gen-series needs */
    story s = {0};
    float *buf = NULL;
    double *u = NULL, *dir_v = NULL;
    int fd = -1, rc = -1;
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->tensors[i].dtype_name, "F32") != 0) {
            gm_fail(err, GM_EDATA, "%s: tensor %s is %s: gen-series patches F32 checkpoints only "
                    "(gen-checkpoint --dtype f32)", path, f->tensors[i].name, f->tensors[i].dtype_name);
            goto out;
        }
    if (set_size * domains > E) {
        gm_fail(err, GM_EUSAGE, "--set-size %lld x --domains %lld exceeds the %lld experts",
                (long long)set_size, (long long)domains, (long long)E);
        goto out;
    }
    if (story_make(&s, V, D, err) < 0)
        goto out;
    double t = (double)position, a = a_max * pow(t / (double)(length - 1), a_pow);
    double b = b_max * (1 - exp(-t / b_tau));
    buf = malloc((size_t)(V > E ? V : E) * (size_t)D * sizeof *buf);
    u = malloc((size_t)D * sizeof *u);
    dir_v = malloc((size_t)D * sizeof *dir_v);
    if (!buf || !u || !dir_v) {
        gm_fail(err, GM_ENOMEM, "no memory for a [%lld, %lld] tensor", (long long)V, (long long)D);
        goto out;
    }
    if ((fd = open(path, O_RDWR)) < 0) {
        gm_fail(err, GM_EIO, "%s: cannot open for writing: %s", path, strerror(errno));
        goto out;
    }
    /* embed_tokens [V, D] = sqrt(D) ê_v: entries about 1, far above the small residual updates */
    for (int64_t v = 0; v < V; v++) {
        token_dir(&s, v, u, dir_v);
        for (int64_t i = 0; i < D; i++)
            buf[v * D + i] = (float)(sqrt((double)D) * dir_v[i]);
    }
    if (tensor_put(fd, f, "model.embed_tokens.weight", buf, V * D, err) < 0)
        goto out;
    /* lm_head [V, D]: row w = b_t ê_{rule_prev(w)}, so logits favour the rule's next token;
     * tokens outside the domains get zero rows */
    for (int64_t w = 0; w < V; w++) {
        if (domain_of(&s, w) < 0) {
            memset(buf + w * D, 0, (size_t)D * sizeof *buf);
            continue;
        }
        token_dir(&s, rule_prev(&s, w), u, dir_v);
        for (int64_t i = 0; i < D; i++)
            buf[w * D + i] = (float)(b * dir_v[i]);
    }
    if (!cfg.tie_embeddings && tensor_put(fd, f, "lm_head.weight", buf, V * D, err) < 0)
        goto out;
    /* mlp.gate [E, D] per layer: W_l(t) = W_random + a_t * strength_k * u_d on the rows of
     * domain d's expert set, strengths 1, 0.8, 0.6, ... (a fixed rank order) */
    for (int64_t l = 0; l < L; l++) {
        char name[128];
        snprintf(name, sizeof name, "model.layers.%lld.mlp.gate.weight", (long long)l);
        const st_tensor *g = st_file_find(f, name);
        if (!g || g->numel != E * D) {
            gm_fail(err, GM_EDATA, "%s: tensor %s missing or not [%lld, %lld]", path, name,
                    (long long)E, (long long)D);
            goto out;
        }
        memcpy(buf, g->data, (size_t)(E * D) * sizeof *buf);
        for (int64_t d = 0; d < domains; d++) {
            unit_vector(key_of(P_DOMAIN_DIR, (uint64_t)d, 0), D, u);
            for (int64_t k = 0; k < set_size; k++) {
                int64_t e = set_expert(E, d, l, k);
                double strength = 1.0 - 0.4 * (double)k / (double)(set_size > 1 ? set_size - 1 : 1);
                for (int64_t i = 0; i < D; i++)
                    buf[e * D + i] += (float)(a * strength * u[i]);
            }
        }
        if (tensor_put(fd, f, name, buf, E * D, err) < 0)
            goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        gm_fail(err, GM_EIO, "%s: cannot write: %s", path, strerror(errno));
        goto out;
    }
    fd = -1;
    rc = series_write(dir, a, b, err);
out:
    if (fd >= 0)
        close(fd);
    free(buf);
    free(u);
    free(dir_v);
    story_free(&s);
    st_file_close(f);
    return rc;
}

/* ---- tokens mode --------------------------------------------------------------------------- */

static int levels_parse(int64_t *lv, int *n, gm_error *err)
{
    const char *p = noise_levels;
    *n = 0;
    while (*p) {
        char *end;
        errno = 0;
        long long x = strtoll(p, &end, 10);
        if (end == p || errno || x < 0 || x >= seq_len || *n == 64)
            return gm_fail(err, GM_EUSAGE, "--noise wants up to 64 comma-separated counts in "
                           "[0, %lld), not \"%s\"", (long long)seq_len, noise_levels);
        lv[(*n)++] = x;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return gm_fail(err, GM_EUSAGE, "--noise: unexpected \"%s\"", end);
    }
    if (*n == 0)
        return gm_fail(err, GM_EUSAGE, "--noise is empty");
    return 0;
}

/* Sample j of domain d: a walk along the rule from a random start, with exactly
 * levels[j % n] off-rule tokens (random in the domain) at random positions 1..T-1. */
static int tokens_write(const char *file, gm_error *err)
{
    int64_t lv[64];
    int nl;
    if (levels_parse(lv, &nl, err) < 0)
        return -1;
    if (tokens_domain >= domains)
        return gm_fail(err, GM_EUSAGE, "--tokens %lld: there are %lld domains", (long long)tokens_domain,
                       (long long)domains);
    story s = {0};
    uint16_t *w = malloc((size_t)seq_len * sizeof *w);
    unsigned char *noisy = malloc((size_t)seq_len);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.gen-series.tmp", file);
    FILE *fp = NULL;
    int rc = -1, bad = 0;
    if (!w || !noisy) {
        gm_fail(err, GM_ENOMEM, "no memory");
        goto out;
    }
    if (story_make(&s, vocab, 1, err) < 0)
        goto out;
    if (!(fp = fopen(tmp, "wb"))) {
        gm_fail(err, GM_EIO, "%s: cannot create: %s", tmp, strerror(errno));
        goto out;
    }
    int64_t d = tokens_domain;
    for (int64_t j = 0; j < n_samples && !bad; j++) {
        uint64_t key = key_of(P_SAMPLE, (uint64_t)d, (uint64_t)j);
        uint64_t c = 0;
        int64_t n_noise = lv[j % nl];
        memset(noisy, 0, (size_t)seq_len);
        for (int64_t placed = 0; placed < n_noise;) {
            int64_t at = 1 + (int64_t)(uniform_at(key, c++) * (double)(seq_len - 1));
            if (!noisy[at])
                noisy[at] = 1, placed++;
        }
        int64_t v = s.order[d * s.R + (int64_t)(uniform_at(key, c++) * (double)s.R)];
        for (int64_t t = 0; t < seq_len; t++) {
            if (t > 0) {
                int64_t next = rule_next(&s, v);
                if (noisy[t]) {
                    int64_t r;
                    do
                        r = FIRST_TOKEN + d * s.R + (int64_t)(uniform_at(key, c++) * (double)s.R);
                    while (r == next);
                    next = r;
                }
                v = next;
            }
            w[t] = (uint16_t)v;
        }
        unsigned char le[2];
        for (int64_t t = 0; t < seq_len && !bad; t++) {
            le[0] = (unsigned char)w[t], le[1] = (unsigned char)(w[t] >> 8);
            bad = fwrite(le, 1, 2, fp) != 2;
        }
    }
    bad |= fclose(fp) != 0;
    fp = NULL;
    if (bad || rename(tmp, file) != 0) {
        gm_fail(err, GM_EIO, "%s: cannot write: %s", file, strerror(errno));
        unlink(tmp);
        goto out;
    }
    rc = 0;
out:
    if (fp) {
        fclose(fp);
        unlink(tmp);
    }
    free(w);
    free(noisy);
    story_free(&s);
    return rc;
}

int main(int argc, char **argv)
{
    int first = cli_parse(&program, argc, argv);
    if (argc - first != 1)
        cli_usage_error(NAME, "expected one folder (model mode) or file (--tokens), got %d arguments",
                        argc - first);
    if ((position < 0) == (tokens_domain < 0))
        cli_usage_error(NAME, "give either --position I (model mode) or --tokens D (tokens mode)");
    if (position >= length)
        cli_usage_error(NAME, "--position %lld is past the series' --length %lld", (long long)position,
                        (long long)length);
    gm_error err = {0};
    if ((position >= 0 ? model_patch(argv[first], &err) : tokens_write(argv[first], &err)) < 0)
        cli_die(NAME, &err);
    return 0;
}
