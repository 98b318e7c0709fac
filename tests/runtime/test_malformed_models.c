/*
 * The malformed-model corpus (tests/data/malformed, written by
 * scripts/make-malformed-models.py): every file is one kind of damage, and
 * MANIFEST.tsv names the status runt must return for it and a piece of the
 * message. Each file is loaded from disk (external data next to it) and, where
 * it has no external data, from a buffer too, which must fail the same way.
 */
#if !defined(RUNT_BARE_METAL)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_test.h"
#include "runt.h"

#define MALFORMED_MIN_KINDS 30

static unsigned char *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    RT_ASSERT(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc(n > 0 ? (size_t)n : 1);
    RT_ASSERT(p && (n == 0 || fread(p, 1, (size_t)n, f) == (size_t)n), "cannot read %s", path);
    fclose(f);
    *size = (size_t)n;
    return p;
}

/* Checks one load's outcome against the manifest's row. */
static void check_outcome(runt_status st, runt_model *m, const char *how, const char *file,
                          const char *want_status, const char *piece)
{
    RT_ASSERT(strcmp(runt_status_name(st), want_status) == 0, "%s (%s): %s, expected %s: %s",
              file, how, runt_status_name(st), want_status, runt_last_error());
    if (st == RUNT_OK) {
        RT_ASSERT(m != NULL, "%s (%s): RUNT_OK without a model", file, how);
        runt_model_free(m);
        return;
    }
    RT_ASSERT(m == NULL, "%s (%s): failed but returned a model", file, how);
    RT_ASSERT(strstr(runt_last_error(), piece) != NULL, "%s (%s): message '%s' lacks '%s'", file,
              how, runt_last_error(), piece);
}

RT_TEST(malformed_models, each_kind_fails_with_its_status_and_message)
{
    const char *data = getenv("RUNT_TEST_DATA");
    if (!data) {
        RT_SKIP("RUNT_TEST_DATA is not set (ctest sets it to tests/data)");
        return;
    }
    char path[1024], line[1024];
    snprintf(path, sizeof path, "%s/malformed/MANIFEST.tsv", data);
    FILE *manifest = fopen(path, "r");
    RT_ASSERT(manifest != NULL, "cannot open %s (run scripts/make-malformed-models.py)", path);
    int kinds = 0, failing = 0;
    while (fgets(line, sizeof line, manifest)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        line[strcspn(line, "\n")] = '\0';
        char *file = strtok(line, "\t"), *status = strtok(NULL, "\t");
        char *piece = status ? strtok(NULL, "\t") : NULL;
        RT_ASSERT(file && status && piece, "bad manifest line");
        snprintf(path, sizeof path, "%s/malformed/%s", data, file);
        runt_model *m = NULL;
        runt_status st = runt_model_load_file(path, NULL, &m);
        check_outcome(st, m, "file", file, status, piece);
        if (strncmp(file, "external_", 9) != 0) {
            size_t size = 0;
            unsigned char *bytes = read_file(path, &size);
            m = NULL;
            st = runt_model_load_buffer(bytes, size, NULL, &m);
            check_outcome(st, m, "buffer", file, status, piece);
            free(bytes);
        }
        kinds++;
        failing += strcmp(status, "RUNT_OK") != 0;
    }
    fclose(manifest);
    RT_ASSERT(failing >= MALFORMED_MIN_KINDS, "only %d kinds of malformed model (want %d)",
              failing, MALFORMED_MIN_KINDS);
    RT_ASSERT(kinds == failing + 1, "the corpus should hold exactly one valid model");
}

#endif /* !RUNT_BARE_METAL */
