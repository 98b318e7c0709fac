#define _POSIX_C_SOURCE 200809L /* popen */
#include "peers.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "json.h"
#include "runt-backend.h"
#include "shell_quote.h"

#ifndef RUNT_SOURCE_DIR
#define RUNT_SOURCE_DIR "."
#endif

const char *runt_peer_script(void) { return RUNT_SOURCE_DIR "/bench/peers/peer.py"; }

runt_status runt_peer_run(const char *onnx_path, const runt_tensor *input, const char *device,
                          int threads, double min_time_s, int min_reps, runt_peer_result *out)
{
    memset(out, 0, sizeof *out);
    out->torch_us = out->ort_us = out->torch_graph_us = NAN;
    if (!device || (strcmp(device, "cpu") != 0 && strcmp(device, "cuda") != 0))
        return runt_error_set(RUNT_E_INVALID_ARG, "peers: device '%s': use cpu or cuda",
                              device ? device : "(null)");
    FILE *probe = fopen(runt_peer_script(), "r");
    if (!probe)
        return runt_error_set(RUNT_E_IO, "%s not found", runt_peer_script());
    fclose(probe);
    char shape[128] = "";
    for (int d = 0; d < input->ndim; d++) {
        size_t n = strlen(shape);
        snprintf(shape + n, sizeof shape - n, d ? ",%lld" : "%lld", (long long)input->dims[d]);
    }
    char cmd[2048] = "python3 ";
    runt_shell_quote(cmd, sizeof cmd, runt_peer_script());
    strncat(cmd, " --model ", sizeof cmd - strlen(cmd) - 1);
    runt_shell_quote(cmd, sizeof cmd, onnx_path);
    size_t n = strlen(cmd);
    snprintf(cmd + n, sizeof cmd - n,
             " --input-shape %s --device %s --threads %d --min-time %g --min-reps %d 2>/dev/null",
             shape, device, threads, min_time_s, min_reps);
    FILE *p = popen(cmd, "r");
    if (!p)
        return runt_error_set(RUNT_E_IO, "cannot run python3 for the peers");
    char line[4096], answer[4096] = "";
    while (fgets(line, sizeof line, p))
        if (line[0] == '{')
            snprintf(answer, sizeof answer, "%s", line);
    int status = pclose(p);
    if (!answer[0])
        return runt_error_set(RUNT_E_IO, "peer.py printed no answer (exit status %d)",
                              WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    int t = runt_json_find_number(answer, "torch_us", &out->torch_us);
    int o = runt_json_find_number(answer, "onnxruntime_us", &out->ort_us);
    if (t < 0 || o < 0)
        return runt_error_set(RUNT_E_IO, "peer.py's answer lacks torch_us or onnxruntime_us: %.200s",
                              answer);
    /* Only the cuda device answers with a graph time. */
    if (runt_json_find_number(answer, "torch_graph_us", &out->torch_graph_us) != 1)
        out->torch_graph_us = NAN;
    runt_json_find_string(answer, "torch_version", out->torch_version, sizeof out->torch_version);
    runt_json_find_string(answer, "onnxruntime_version", out->ort_version, sizeof out->ort_version);
    /* The errors object says why a peer is null or disagrees; keep its text
     * for the row's note. */
    const char *e = strstr(answer, "\"errors\"");
    if (e && !strstr(e, "{}"))
        snprintf(out->error, sizeof out->error, "%.*s", (int)strcspn(e, "\n"), e);
    return RUNT_OK;
}
