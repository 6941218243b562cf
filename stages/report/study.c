/* study.c: reads the records metric-reduce writes (metric, membership,
 * calibration; docs/records.md) into memory and orders them into series.
 * Tolerant of extra fields and of other record types (counted, ignored);
 * strict on required fields: a missing or mistyped one is an error naming
 * the record. It computes nothing the records do not already hold. */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record_types.h"

const char *const scope_names[SCOPE_COUNT] = {"group", "domain", "all", "cross"};

/* The domain of "math@125000": the text before the last '@'. */
static char *group_domain(const char *group)
{
    const char *at = strrchr(group, '@');
    return strndup(group, at ? (size_t)(at - group) : strlen(group));
}

static int domain_note(study *s, const char *d, gm_error *err)
{
    for (size_t i = 0; i < s->n_domains; i++)
        if (strcmp(s->domains[i], d) == 0)
            return 0;
    char **p = realloc(s->domains, (s->n_domains + 1) * sizeof *p);
    if (!p)
        return gm_fail(err, GM_ENOMEM, "out of memory");
    s->domains = p;
    if (!(p[s->n_domains] = strdup(d)))
        return gm_fail(err, GM_ENOMEM, "out of memory");
    s->n_domains++;
    return 0;
}

static void metric_row_free(metric_row *m)
{
    free(m->checkpoint);
    free(m->group);
    free(m->domain);
    free(m->layer_distance);
    free(m->where);
}

/* ---- the record types ---------------------------------------------------- */

/* A field's value, or NaN when it holds none. */
#define REAL_OR_NAN(rec, P, name) (RF_HAS(rec, P, name) ? (rec).name : NAN)

/* Take over a string rf_read copied (the has bit cleared, so rf_free leaves it). */
#define TAKE_STR(rec, P, name) ((rec).has &= ~RF_BIT(P##_f_##name), (char *)(rec).name)

static int metric_read(metric_row *m, const msgpack_object *rec, char **distance_mode,
                       gm_error *err)
{
    struct metric_record r;
    /* strict on what the report needs, tolerant of the rest (nil, or absent) */
    rf_want fields = {
        .read = ~(uint64_t)0,
        .present = RF_BIT(metric_f_distance_mean) | RF_BIT(metric_f_c_mean)
                   | RF_BIT(metric_f_s_mean) | RF_BIT(metric_f_loss_mean),
        .value = RF_BIT(metric_f_step) | RF_BIT(metric_f_scope) | RF_BIT(metric_f_group)
                 | RF_BIT(metric_f_n),
        .wording = RECORD_WORDING_REPORT};
    memset(m, 0, sizeof *m);
    fields.read &= ~RF_BIT(metric_f_sampled); /* read leniently below */
    if (*distance_mode) /* the first row's says it */
        fields.read &= ~RF_BIT(metric_f_distance_mode);
    if (rf_read(&metric_fields, rec, fields, &r, err) != 0)
        return -1;
    int rc = -1;
    m->scope = -1;
    for (int k = 0; k < SCOPE_COUNT; k++)
        if (strcmp(r.scope, scope_names[k]) == 0)
            m->scope = k;
    if (m->scope < 0) {
        gm_fail(err, GM_EDATA, "metric field 'scope' is '%s', expected group, domain, all or cross",
                r.scope);
        goto done;
    }
    m->step = r.step;
    m->group = TAKE_STR(r, metric, group);
    m->checkpoint = RF_HAS(r, metric, checkpoint) ? TAKE_STR(r, metric, checkpoint) : NULL;
    m->domain = RF_HAS(r, metric, domain) ? TAKE_STR(r, metric, domain) : NULL;
    m->has_mem_step = RF_HAS(r, metric, mem_step);
    m->mem_step = m->has_mem_step ? r.mem_step : 0;
    m->n = r.n;
    m->pairs = RF_HAS(r, metric, pairs) ? r.pairs : -1;
    if (m->n < 0) {
        gm_fail(err, GM_EDATA, "metric field 'n' is %lld, expected >= 0", (long long)m->n);
        goto done;
    }
    if (m->step < 0) {
        gm_fail(err, GM_EDATA, "metric field 'step' is %lld, expected >= 0", (long long)m->step);
        goto done;
    }
    m->sampled = record_bool_or(rec, metric_fields.fields[metric_f_sampled].key, -1);
    m->distance_mean = REAL_OR_NAN(r, metric, distance_mean);
    m->distance_se = REAL_OR_NAN(r, metric, distance_se);
    m->c_mean = REAL_OR_NAN(r, metric, c_mean);
    m->c_std = REAL_OR_NAN(r, metric, c_std);
    m->s_mean = REAL_OR_NAN(r, metric, s_mean);
    m->s_std = REAL_OR_NAN(r, metric, s_std);
    m->loss_mean = REAL_OR_NAN(r, metric, loss_mean);
    m->loss_ma = REAL_OR_NAN(r, metric, loss_ma);
    m->entropy_mean = REAL_OR_NAN(r, metric, entropy_mean);
    if (RF_HAS(r, metric, layer_distance)) {
        m->n_layers = r.layer_distance.n;
        if (rf_vec_copy(&r.layer_distance, sizeof *m->layer_distance, (void **)&m->layer_distance,
                        err) != 0)
            goto done;
    }
    if (RF_HAS(r, metric, distance_mode))
        *distance_mode = TAKE_STR(r, metric, distance_mode);
    if (m->scope == SCOPE_GROUP && !m->has_mem_step) { /* "math@125000" names it too */
        const char *at = strrchr(m->group, '@');
        char *end;
        if (at && at[1] >= '0' && at[1] <= '9') {
            long long v = strtoll(at + 1, &end, 10);
            if (*end == 0) {
                m->mem_step = v;
                m->has_mem_step = 1;
            }
        }
    }
    if (m->scope == SCOPE_GROUP || m->scope == SCOPE_DOMAIN) {
        if (!m->domain)
            m->domain = m->scope == SCOPE_GROUP ? group_domain(m->group) : strdup(m->group);
        if (!m->domain) {
            gm_fail(err, GM_ENOMEM, "out of memory");
            goto done;
        }
        if (m->scope == SCOPE_DOMAIN && strcmp(m->domain, m->group) != 0) {
            gm_fail(err, GM_EDATA, "domain metric has group '%s' but domain '%s'", m->group,
                    m->domain);
            goto done;
        }
    }
    rc = 0;
done:
    rf_free(&metric_fields, &r);
    return rc;
}

static int calibration_read(study *s, const msgpack_object *rec, gm_error *err)
{
    struct calibration_record r;
    rf_want fields = {.read = ~(uint64_t)0,
                      .value = RF_BIT(calibration_f_domain) | RF_BIT(calibration_f_eps)
                               | RF_BIT(calibration_f_delta),
                      .wording = RECORD_WORDING_REPORT};
    /* the flags are read leniently below; n_checkpoints is not used */
    fields.read &= ~(RF_BIT(calibration_f_calibrated) | RF_BIT(calibration_f_in_band)
                     | RF_BIT(calibration_f_n_checkpoints));
    if (rf_read(&calibration_fields, rec, fields, &r, err) != 0)
        return -1;
    calibration c = {
        .eps = r.eps, .delta = r.delta,
        .n = RF_HAS(r, calibration, n) ? r.n : -1,
        .memorized_before_last = REAL_OR_NAN(r, calibration, memorized_before_last),
        .calibrated = record_bool_or(rec, calibration_fields.fields[calibration_f_calibrated].key, -1),
        .in_band = record_bool_or(rec, calibration_fields.fields[calibration_f_in_band].key, -1),
        .threshold = REAL_OR_NAN(r, calibration, threshold),
        .n_layers = RF_HAS(r, calibration, n_layers) ? r.n_layers : 0};
    c.domain = TAKE_STR(r, calibration, domain);
    c.search = RF_HAS(r, calibration, search) ? TAKE_STR(r, calibration, search) : NULL;
    c.weights = RF_HAS(r, calibration, weights) ? TAKE_STR(r, calibration, weights) : NULL;
    rf_free(&calibration_fields, &r);
    calibration *p = realloc(s->calibs, (s->n_calibs + 1) * sizeof *p);
    if (!p) {
        free(c.domain);
        free(c.search);
        free(c.weights);
        return gm_fail(err, GM_ENOMEM, "out of memory");
    }
    s->calibs = p;
    p[s->n_calibs++] = c;
    return domain_note(s, c.domain, err);
}

static int membership_read(study *s, const msgpack_object *rec, gm_error *err)
{
    struct membership_record r;
    rf_want fields = {.read = RF_BIT(membership_f_domain) | RF_BIT(membership_f_mem_step),
                      .value = RF_BIT(membership_f_group),
                      .wording = RECORD_WORDING_REPORT};
    if (rf_read(&membership_fields, rec, fields, &r, err) != 0)
        return -1;
    char *group = TAKE_STR(r, membership, group);
    char *domain = RF_HAS(r, membership, domain) ? TAKE_STR(r, membership, domain) : NULL;
    int has_mem = RF_HAS(r, membership, mem_step);
    int64_t mem_step = has_mem ? r.mem_step : 0;
    rf_free(&membership_fields, &r);
    for (size_t i = 0; i < s->n_members; i++)
        if (strcmp(s->members[i].group, group) == 0) {
            s->members[i].n++;
            free(group);
            free(domain);
            return 0;
        }
    if (!domain && !(domain = group_domain(group))) {
        gm_fail(err, GM_ENOMEM, "out of memory");
        goto fail;
    }
    group_count *p = realloc(s->members, (s->n_members + 1) * sizeof *p);
    if (!p) {
        gm_fail(err, GM_ENOMEM, "out of memory");
        goto fail;
    }
    s->members = p;
    p[s->n_members++] = (group_count){group, domain, has_mem, mem_step, 1};
    return 0;
fail:
    free(group);
    free(domain);
    return -1;
}

int study_add_record(study *s, record_reader *r, const msgpack_object *rec, gm_error *err)
{
    int rc = 0;
    if (record_is_type(rec, "metric")) {
        if (s->n_rows == s->cap_rows) {
            size_t cap = s->cap_rows ? 2 * s->cap_rows : 256;
            metric_row *p = realloc(s->rows, cap * sizeof *p);
            if (!p)
                return gm_fail(err, GM_ENOMEM, "out of memory");
            s->rows = p;
            s->cap_rows = cap;
        }
        metric_row *m = &s->rows[s->n_rows];
        rc = metric_read(m, rec, &s->distance_mode, err);
        if (rc == 0 && !(m->where = strdup(record_reader_where(r))))
            rc = gm_fail(err, GM_ENOMEM, "out of memory");
        if (rc == 0 && m->domain)
            rc = domain_note(s, m->domain, err);
        if (rc != 0)
            metric_row_free(m);
        else
            s->n_rows++;
    } else if (record_is_type(rec, "calibration")) {
        rc = calibration_read(s, rec, err);
    } else if (record_is_type(rec, "membership")) {
        rc = membership_read(s, rec, err);
    } else {
        s->n_other++;
    }
    if (rc != 0)
        gm_error_where(err, "%s", record_reader_where(r));
    return rc;
}

int study_add_input(study *s, record_reader *r, gm_error *err)
{
    char **names = realloc(s->inputs, (s->n_inputs + 1) * sizeof *names);
    if (!names)
        return gm_fail(err, GM_ENOMEM, "out of memory");
    s->inputs = names;
    char **prov = realloc(s->provenance, (s->n_inputs + 1) * sizeof *prov);
    if (!prov)
        return gm_fail(err, GM_ENOMEM, "out of memory");
    s->provenance = prov;
    /* One line: "stage version, options {...}" from the first header. */
    const msgpack_object *h = record_reader_header(r);
    char line[2048] = "";
    if (h) {
        const msgpack_object *st = record_get(h, "stage"), *ve = record_get(h, "version"),
                             *op = record_get(h, "options");
        int len = 0;
        if (st && st->type == MSGPACK_OBJECT_STR)
            len = snprintf(line, sizeof line, "%.*s", (int)st->via.str.size, st->via.str.ptr);
        if (ve && ve->type == MSGPACK_OBJECT_STR && len >= 0 && (size_t)len < sizeof line)
            len += snprintf(line + len, sizeof line - (size_t)len, " %.*s",
                            (int)ve->via.str.size, ve->via.str.ptr);
        if (op && len >= 0 && (size_t)len + 16 < sizeof line) {
            len += snprintf(line + len, sizeof line - (size_t)len, ", options ");
            msgpack_object_print_buffer(line + len, sizeof line - (size_t)len, *op);
            line[sizeof line - 1] = 0; /* msgpack-c leaves a full buffer unterminated */
        }
    }
    names[s->n_inputs] = strdup(record_reader_name(r));
    prov[s->n_inputs] = strdup(line);
    s->n_inputs++;
    if (!names[s->n_inputs - 1] || !prov[s->n_inputs - 1])
        return gm_fail(err, GM_ENOMEM, "out of memory");
    return 0;
}

/* ---- ordering ------------------------------------------------------------ */

static const study *sort_study; /* qsort has no context argument in C11 */

static long domain_rank(const char *d)
{
    if (!d)
        return (long)sort_study->n_domains;
    for (size_t i = 0; i < sort_study->n_domains; i++)
        if (strcmp(sort_study->domains[i], d) == 0)
            return (long)i;
    return (long)sort_study->n_domains;
}

/* Domain order; within a domain its groups by mem_step (never last), then the
 * domain row; then all; then cross; then step. */
static int row_cmp(const void *a, const void *b)
{
    const metric_row *p = *(metric_row *const *)a, *q = *(metric_row *const *)b;
    int pa = p->scope <= SCOPE_DOMAIN ? 0 : p->scope, qa = q->scope <= SCOPE_DOMAIN ? 0 : q->scope;
    if (pa != qa)
        return pa < qa ? -1 : 1;
    if (pa == 0) {
        long dp = domain_rank(p->domain), dq = domain_rank(q->domain);
        if (dp != dq)
            return dp < dq ? -1 : 1;
        if (p->scope != q->scope)
            return p->scope < q->scope ? -1 : 1;
        if (p->has_mem_step != q->has_mem_step)
            return p->has_mem_step ? -1 : 1;
        if (p->has_mem_step && p->mem_step != q->mem_step)
            return p->mem_step < q->mem_step ? -1 : 1;
    }
    int c = strcmp(p->group, q->group);
    if (c)
        return c;
    return p->step < q->step ? -1 : p->step > q->step;
}

static int step_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int study_finish(study *s, gm_error *err)
{
    if (s->n_rows == 0)
        return gm_fail(err, GM_EDATA, "no metric records in the input (%s)",
                       s->n_inputs ? s->inputs[0] : "stdin");
    metric_row **order = s->order = malloc(s->n_rows * sizeof *order);
    s->steps = malloc(s->n_rows * sizeof *s->steps);
    s->series = calloc(s->n_rows, sizeof *s->series);
    if (!order || !s->steps || !s->series)
        return gm_fail(err, GM_ENOMEM, "out of memory");
    for (size_t i = 0; i < s->n_rows; i++) {
        order[i] = &s->rows[i];
        s->steps[i] = s->rows[i].step;
    }
    sort_study = s;
    qsort(order, s->n_rows, sizeof *order, row_cmp);
    qsort(s->steps, s->n_rows, sizeof *s->steps, step_cmp);
    size_t k = 0;
    for (size_t i = 0; i < s->n_rows; i++)
        if (k == 0 || s->steps[k - 1] != s->steps[i])
            s->steps[k++] = s->steps[i];
    s->n_steps = k;

    /* Cut the sorted rows into series; a repeated (scope, group, step) is an error. */
    for (size_t i = 0; i < s->n_rows;) {
        size_t j = i + 1;
        while (j < s->n_rows && order[j]->scope == order[i]->scope &&
               strcmp(order[j]->group, order[i]->group) == 0) {
            if (order[j]->step == order[j - 1]->step) {
                gm_fail(err, GM_EDATA, "second metric record for %s '%s' at step %lld",
                        scope_names[order[j]->scope], order[j]->group, (long long)order[j]->step);
                gm_error_where(err, "%s; the first is %s", order[j]->where, order[j - 1]->where);
                return -1;
            }
            if (order[j]->has_mem_step != order[i]->has_mem_step ||
                order[j]->mem_step != order[i]->mem_step) {
                gm_fail(err, GM_EDATA, "group '%s' changes its mem_step between records",
                        order[j]->group);
                gm_error_where(err, "%s", order[j]->where);
                return -1;
            }
            j++;
        }
        series *se = &s->series[s->n_series++];
        *se = (series){order[i]->scope, order[i]->group, order[i]->domain,
                       order[i]->has_mem_step, order[i]->mem_step, order[i]->n,
                       order + i, j - i, 0};
        i = j;
    }
    for (size_t i = 0; i < s->n_series; i++)
        for (size_t j = 0; j < i; j++)
            if (s->series[i].scope == s->series[j].scope &&
                strcmp(s->series[i].name, s->series[j].name) == 0) {
                gm_fail(err, GM_EDATA, "group '%s' has different mem_step values in its records",
                        s->series[i].name);
                gm_error_where(err, "%s", s->series[i].rows[0]->where);
                return -1;
            }
    /* L: the calibration records say it; else the layerwise distances show it */
    for (size_t i = 0; i < s->n_calibs; i++)
        if (s->calibs[i].n_layers > s->n_layers)
            s->n_layers = s->calibs[i].n_layers;
    for (size_t i = 0; i < s->n_rows && !s->n_calibs; i++)
        if ((int64_t)s->rows[i].n_layers > s->n_layers)
            s->n_layers = (int64_t)s->rows[i].n_layers;
    /* Colours: groups of one domain take palette slots in order. */
    const char *dom = NULL;
    int slot = 0;
    for (size_t i = 0; i < s->n_series; i++) {
        series *se = &s->series[i];
        if (se->scope != SCOPE_GROUP) {
            se->color = se->scope == SCOPE_DOMAIN ? -1 : (int)(i % 8);
            continue;
        }
        if (!dom || strcmp(dom, se->domain) != 0) {
            dom = se->domain;
            slot = 0;
        }
        se->color = slot++;
    }
    return 0;
}

void study_free(study *s)
{
    for (size_t i = 0; i < s->n_rows; i++)
        metric_row_free(&s->rows[i]);
    free(s->rows);
    free(s->order);
    free(s->series);
    free(s->steps);
    for (size_t i = 0; i < s->n_domains; i++)
        free(s->domains[i]);
    free(s->domains);
    for (size_t i = 0; i < s->n_calibs; i++) {
        free(s->calibs[i].domain);
        free(s->calibs[i].search);
        free(s->calibs[i].weights);
    }
    free(s->distance_mode);
    free(s->calibs);
    for (size_t i = 0; i < s->n_members; i++) {
        free(s->members[i].group);
        free(s->members[i].domain);
    }
    free(s->members);
    for (size_t i = 0; i < s->n_inputs; i++) {
        free(s->inputs[i]);
        free(s->provenance[i]);
    }
    free(s->inputs);
    free(s->provenance);
    memset(s, 0, sizeof *s);
}

const series *study_find_series(const study *s, int scope, const char *name)
{
    for (size_t i = 0; i < s->n_series; i++)
        if (s->series[i].scope == scope && strcmp(s->series[i].name, name) == 0)
            return &s->series[i];
    return NULL;
}

long study_step_index(const study *s, int64_t step)
{
    size_t lo = 0, hi = s->n_steps;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->steps[mid] < step)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n_steps && s->steps[lo] == step ? (long)lo : -1;
}

const calibration *study_calibration(const study *s, const char *domain)
{
    for (size_t i = 0; i < s->n_calibs; i++)
        if (strcmp(s->calibs[i].domain, domain) == 0)
            return &s->calibs[i];
    return NULL;
}

int64_t study_group_size(const study *s, const series *se)
{
    for (size_t k = 0; k < s->n_members; k++)
        if (strcmp(s->members[k].group, se->name) == 0)
            return s->members[k].n;
    return se->n;
}

size_t study_group_count(const study *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_series; i++)
        n += s->series[i].scope == SCOPE_GROUP;
    return n;
}
