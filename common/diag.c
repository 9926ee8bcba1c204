/* diag.c — the one diagnostic type (cw_diag, common.h) every module reports problems with.
 * Guarantees: entries own copies of their strings; a failed add leaves the list as it was
 * and sets the sticky oom flag. */
#include "common.h"

#include <stdlib.h>
#include <string.h>

static char *dup_or_null(const char *s, int *bad)
{
    if (!s) return NULL;
    char *c = cw_strdup(s);
    if (!c) *bad = 1;
    return c;
}

int cw_diags_add(cw_diags *d, cw_diag_severity sev, const char *code, const char *file, int line,
                 const char *item, const char *text)
{
    if (!d) return 0;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        cw_diag *v = realloc(d->v, cap * sizeof *v);
        if (!v) {
            d->oom = 1;
            return CW_ENOMEM;
        }
        d->v = v;
        d->cap = cap;
    }
    int bad = 0;
    cw_diag x = {.severity = sev, .line = line};
    x.code = dup_or_null(code && code[0] ? code : NULL, &bad);
    x.file = dup_or_null(file, &bad);
    x.item = dup_or_null(item, &bad);
    x.text = dup_or_null(text ? text : "", &bad);
    if (bad) {
        free(x.code);
        free(x.file);
        free(x.item);
        free(x.text);
        d->oom = 1;
        return CW_ENOMEM;
    }
    d->v[d->n++] = x;
    if (sev == CW_DIAG_ERROR)
        d->errors++;
    else if (sev == CW_DIAG_WARNING)
        d->warnings++;
    return 0;
}

int cw_diags_addf(cw_diags *d, cw_diag_severity sev, const char *code, const char *file, int line,
                  const char *item, const char *fmt, ...)
{
    if (!d) return 0;
    cw_buf b;
    cw_buf_init(&b);
    va_list ap;
    va_start(ap, fmt);
    cw_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    int rc = b.oom ? (d->oom = 1, CW_ENOMEM)
                   : cw_diags_add(d, sev, code, file, line, item, b.data ? b.data : "");
    cw_buf_free(&b);
    return rc;
}

int cw_diags_extend(cw_diags *d, const cw_diags *src)
{
    for (size_t i = 0; src && i < src->n; i++) {
        const cw_diag *g = &src->v[i];
        int rc = cw_diags_add(d, g->severity, g->code, g->file, g->line, g->item, g->text);
        if (rc) return rc;
    }
    return 0;
}

void cw_diags_free(cw_diags *d)
{
    if (!d) return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].code);
        free(d->v[i].file);
        free(d->v[i].item);
        free(d->v[i].text);
    }
    free(d->v);
    memset(d, 0, sizeof *d);
}

const char *cw_diag_severity_name(cw_diag_severity s)
{
    return s == CW_DIAG_ERROR ? "error" : s == CW_DIAG_WARNING ? "warning" : "info";
}
