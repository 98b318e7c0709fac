/*
 * --plots: the bench's plots are drawn by bench/plot.py with matplotlib from
 * the bench's JSON, so the same figures can be drawn again from any saved
 * run. matplotlib's PNGs are compressed (tens of KB, where the C rasterizer
 * this replaced wrote 2.5 MB stored-deflate files) and carry labelled points,
 * p10..p90 error bars and the device in each title.
 */
#define _POSIX_C_SOURCE 200809L /* mkstemp, popen */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "runt-backend.h"
#include "shell_quote.h"

#ifndef RUNT_SOURCE_DIR
#define RUNT_SOURCE_DIR "."
#endif
#ifndef RUNT_PLOT_SCRIPT_INSTALLED
#define RUNT_PLOT_SCRIPT_INSTALLED ""
#endif

const char *runt_bench_source_dir(void) { return RUNT_SOURCE_DIR; }

/* plot.py's exit status when matplotlib cannot be imported. */
#define RUNT_PLOT_NO_MATPLOTLIB 3

/* The script: in the source tree the program was built from, else where
 * `cmake --install` put it. */
static const char *runt_plot_script(void)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/bench/plot.py", runt_bench_source_dir());
    if (access(path, R_OK) == 0)
        return path;
    if (RUNT_PLOT_SCRIPT_INSTALLED[0] && access(RUNT_PLOT_SCRIPT_INSTALLED, R_OK) == 0)
        return RUNT_PLOT_SCRIPT_INSTALLED;
    return NULL;
}

runt_status runt_bench_plots_available(void)
{
    const char *script = runt_plot_script();
    if (!script)
        return runt_error_set(RUNT_E_UNSUPPORTED, "bench/plot.py not found (looked in %s/bench%s%s)",
                              runt_bench_source_dir(), RUNT_PLOT_SCRIPT_INSTALLED[0] ? " and " : "",
                              RUNT_PLOT_SCRIPT_INSTALLED);
    int status = system("python3 -c 'import matplotlib' >/dev/null 2>&1");
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return runt_error_set(RUNT_E_UNSUPPORTED, "python3 with matplotlib is not available "
                              "(pip install matplotlib)");
    return RUNT_OK;
}

runt_status runt_bench_write_plots(const char *dir, const runt_bench_report *r)
{
    const char *script = runt_plot_script();
    if (!script)
        return runt_bench_plots_available(); /* says why */
    char json[] = "/tmp/runt-plot-XXXXXX";
    int fd = mkstemp(json);
    if (fd < 0)
        return runt_error_set(RUNT_E_IO, "cannot create a temporary file for the plots' JSON");
    close(fd);
    runt_status rc = runt_bench_write_json(json, r);
    if (rc != RUNT_OK) {
        unlink(json);
        return rc;
    }
    char cmd[4096] = "python3 ";
    runt_shell_quote(cmd, sizeof cmd, script);
    strncat(cmd, " ", sizeof cmd - strlen(cmd) - 1);
    runt_shell_quote(cmd, sizeof cmd, json);
    strncat(cmd, " --out ", sizeof cmd - strlen(cmd) - 1);
    runt_shell_quote(cmd, sizeof cmd, dir);
    strncat(cmd, " 2>&1", sizeof cmd - strlen(cmd) - 1);
    FILE *p = popen(cmd, "r");
    if (!p) {
        unlink(json);
        return runt_error_set(RUNT_E_IO, "cannot run python3 for the plots");
    }
    char line[512], last[512] = "";
    while (fgets(line, sizeof line, p))
        snprintf(last, sizeof last, "%.*s", (int)strcspn(line, "\n"), line);
    int status = pclose(p);
    unlink(json);
    if (status == -1 || !WIFEXITED(status))
        return runt_error_set(RUNT_E_IO, "plot.py did not finish");
    if (WEXITSTATUS(status) == RUNT_PLOT_NO_MATPLOTLIB)
        return runt_error_set(RUNT_E_UNSUPPORTED, "python3 with matplotlib is not available "
                              "(pip install matplotlib)");
    if (WEXITSTATUS(status) != 0)
        return runt_error_set(RUNT_E_IO, "plot.py failed (exit status %d): %s",
                              WEXITSTATUS(status), last);
    return RUNT_OK;
}
