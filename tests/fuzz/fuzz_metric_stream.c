/* fuzz_metric_stream: the report's reading of a metrics stream (stages/report/
 * study.c: metric, membership and calibration records), then everything it
 * prints: Table 1 without accuracy, the findings, the text table, JSON Lines
 * and the HTML page with its SVG charts, all into memory. Every failure must
 * be a one-line error. Spec: design.md "report"; method.md "Validation". */
#include <string.h>

#include "../../stages/report/report.h"
#include "../../stages/report/story.h"
#include "textbuf.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_file(data, size, path, sizeof path);
    if (fd < 0)
        return 0;
    gm_error err = {0};
    study s = {0};
    corr_table corr;
    story st;
    findings find;
    int have_corr = 0, have_story = 0, have_find = 0;
    record_reader *r = record_reader_open(path, &err);
    if (!r || study_add_input(&s, r, &err) != 0)
        goto fail;
    const msgpack_object *rec;
    int got, n = 0;
    while (n++ < 2048 && (got = record_reader_next(r, &rec, &err)) == 1)
        if (study_add_record(&s, r, rec, &err) != 0)
            goto fail;
    if (got < 0 || study_finish(&s, &err) != 0)
        goto fail;
    if (corr_table_build(&corr, &s, NULL, NULL, WINDOW_AUTO, 0, &err) != 0)
        goto fail;
    have_corr = 1;
    if (story_build(&st, &s, &err) != 0)
        goto fail;
    have_story = 1;
    if (findings_build(&find, &s, &st, &corr, &err) != 0)
        goto fail;
    have_find = 1;
    report rp = {&s, &corr, &st, &find, NULL};
    textbuf text = {0}, page = {0}, json = {0};
    table_write(&text, &rp);
    json_write(&json, &rp);
    html_write(&page, &rp);
    FUZZ_ASSERT(text.oom || text.len > 0);
    FUZZ_ASSERT(page.oom || (page.len > 0 && strstr(page.p, "</html>")));
    textbuf_free(&text);
    textbuf_free(&json);
    textbuf_free(&page);
    goto done;
fail:
    FUZZ_ASSERT_ERROR(&err);
done:
    if (have_find)
        findings_free(&find);
    if (have_story)
        story_free(&st);
    if (have_corr)
        corr_table_free(&corr);
    study_free(&s);
    record_reader_close(r);
    fuzz_file_close(fd);
    return 0;
}
