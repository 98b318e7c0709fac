/*
 * Peers: the same ONNX model timed in PyTorch (eager) and ONNX Runtime by
 * bench/peers/peer.py, with the same threads, so a row can say how runt
 * compares. The model file is written by runt_model_save_onnx: one
 * definition of each model for every runtime.
 */
#ifndef RUNT_BENCH_PEERS_H
#define RUNT_BENCH_PEERS_H

#include <stddef.h>

#include "runt.h"

typedef struct runt_peer_result {
    double torch_us, ort_us;                 /* median µs per inference; NAN: did not run */
    double torch_graph_us;                   /* device "cuda": PyTorch's CUDA-graph replay */
    char torch_version[32], ort_version[32]; /* "" when absent */
    char error[256];                         /* the script's "errors" when not {} */
} runt_peer_result;

/* The script's path (under the source tree). */
const char *runt_peer_script(void);

/* Runs the script on an ONNX file with the input's shape, on device "cpu"
 * or "cuda" (PyTorch on the GPU: eager on the host clock around the call and
 * a synchronize, as a caller sees it, and a CUDA-graph replay in device time
 * as runt's device rows are; ONNX Runtime with its CUDA provider where
 * installed). RUNT_OK when the script answered (a peer it lacks is NAN,
 * error says why); RUNT_E_IO when it could not run or printed no answer. */
runt_status runt_peer_run(const char *onnx_path, const runt_tensor *input, const char *device,
                          int threads, double min_time_s, int min_reps, runt_peer_result *out);

#endif /* RUNT_BENCH_PEERS_H */
