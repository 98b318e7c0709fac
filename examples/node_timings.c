/*
 * Where a run's time goes: a session created with options.profile times each
 * planned node (after fusion), read back with runt_session_node.
 *   node_timings MODEL.onnx [BACKEND]
 */
#include "example_util.h"

int main(int argc, char **argv)
{
    example_check_args(argc, argv, 1, 2, "MODEL.onnx [ref|cpu|cuda]");
    runt_model *model;
    CHECK(runt_model_load_file(argv[1], NULL, &model));
    runt_session_options o = runt_session_options_default();
    o.backend = argc == 3 ? argv[2] : NULL;
    o.profile = 1;
    runt_session *s;
    CHECK(runt_session_create(model, &o, &s));

    runt_tensor in, out;
    example_io(s, &in, &out);
    /* The first run pays one-time costs (page faults, caches, graph capture);
     * the timings below are the last run's. */
    for (int i = 0; i < 3; i++)
        CHECK(runt_session_run(s, &in, 1, &out, 1));

    runt_session_stats stats;
    CHECK(runt_session_stats_get(s, &stats));
    double total_us = 0.0;
    printf("%-28s %-18s %10s %14s\n", "node", "op", "us", "FLOPs");
    for (int i = 0; i < stats.n_nodes; i++) {
        runt_node_info node;
        double us;
        CHECK(runt_session_node(s, i, &node, &us));
        printf("%-28s %-18s %10.2f %14lld\n", node.name, runt_op_name(node.op), us,
               (long long)node.cost.flops);
        total_us += us;
    }
    double run_us;
    CHECK(runt_session_last_run_us(s, &run_us));
    printf("%d nodes, %.2f us in nodes, %.2f us for the run\n", stats.n_nodes, total_us, run_us);

    free(in.data);
    free(out.data);
    runt_session_free(s);
    runt_model_free(model);
    return 0;
}
