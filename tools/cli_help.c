#include "cli_help.h"

#include <string.h>

static const char runt_help_overview[] =
    "usage: runt COMMAND [OPTIONS]     (runt COMMAND --help: the command's options)\n"
    "\n"
    "commands:\n"
    "  info     MODEL            one row per node: op, output shape, params, FLOPs, bytes\n"
    "  run      MODEL ...        run a model on .npy inputs, write .npy outputs\n"
    "  bench    [...]            the bench suite: latency per model, backend and dtype\n"
    "  devices                   the backends of this build, their devices, measured peaks\n"
    "  help     [COMMAND]        this text, or a command's options\n"
    "\n"
    "  -V, --version             print runt's version\n"
    "  -h, --help                print this text\n"
    "\n"
    "MODEL is an .onnx or .rnt file or a built-in model written @name (runt info @list lists\n"
    "them). Options take their value as the next argument or after '=': --batch 8,\n"
    "--batch=8. Output paths are checked before a command starts its work. Exit\n"
    "status: 0 success, 1 failure, 2 bad usage; errors are one line on stderr.\n";

static const char runt_help_info[] =
    "usage: runt info MODEL [--batch N] [--json FILE]\n"
    "       runt info MODEL --predict --backend B [--threads N] [--dtype f32|int8]\n"
    "                 [--batch N] [--cache-dir DIR]\n"
    "\n"
    "One row per node of MODEL: op, output shape, params, FLOPs (a multiply-add\n"
    "counts 2), bytes (every input read once plus every output written once);\n"
    "then the totals. `runt info @list` lists the built-in models.\n"
    "\n"
    "With --predict: the cost model's prediction per node as backend B plans it\n"
    "(after fusion), from B's cached calibration: predicted us, compute, memory\n"
    "with the level its bytes come from, dispatch, copy, and the bound (the\n"
    "largest term); then the run's own terms, the total, and the predicted time\n"
    "per run that the bench's pred column shows (on a GPU without the copies of\n"
    "inputs and outputs, which its device-timed median leaves out too). Nothing\n"
    "is measured: without a cached calibration it says so (runt devices\n"
    "--calibrate --backend B makes one).\n"
    "\n"
    "  --predict      print the prediction instead of the shapes and costs\n"
    "  --backend B    with --predict: ref, cpu or cuda\n"
    "  --threads N    with --predict: the thread count (default: the backend's)\n"
    "  --dtype T      with --predict: f32 (default) or int8\n"
    "  --cache-dir D  with --predict: where calibrations are cached (default\n"
    "                 ~/.cache/runt)\n"
    "  --batch N      batch size the shapes and costs are computed for (1 to\n"
    "                 16777216; default 1). Refused when the model's inputs have a\n"
    "                 fixed batch dimension other than N.\n"
    "  --json FILE    write the same as JSON to FILE instead of the table ('-':\n"
    "                 standard output)\n"
    "  -h, --help     print this text\n";

static const char runt_help_run[] =
    "usage: runt run MODEL --input X.npy --output Y.npy [--backend NAME] [--dtype f32|int8]\n"
    "                [--math f32|tf32|bf16] [--threads N]\n"
    "\n"
    "Runs MODEL once on the inputs and writes its outputs. .npy: NumPy format 1.0,\n"
    "little-endian float32, C order. The batch is the first input's leading\n"
    "dimension when the model leaves it open.\n"
    "\n"
    "  --input FILE     an input .npy, once per model input, in the model's order\n"
    "  --output FILE    where to write an output, once per model output\n"
    "  --backend NAME   ref, cpu or cuda (cuda:N for GPU N); default: cpu where it\n"
    "                   works, else ref\n"
    "  --dtype T        f32 (default), or int8: weights quantized at session\n"
    "                   creation, activations per run\n"
    "  --math M         f32 (default: IEEE f32 throughout), or tf32 / bf16: the\n"
    "                   cuda backend's GEMMs on tensor cores with TF32 or BF16\n"
    "                   inputs (f32 accumulation); ref and cpu refuse them\n"
    "  --threads N      threads for the CPU backend, 1 to 4096 (default: all\n"
    "                   cores); the ref backend runs on one whatever is asked\n"
    "  -h, --help       print this text\n";

static const char runt_help_bench[] =
    "usage: runt bench [--suite seeds|sweep|zoo|all | --model MODEL [--batch N]] [OPTIONS]\n"
    "\n"
    "Times models on backends, dtypes and math modes and reports, per row, the\n"
    "median and p10..p90 latency, the first run, FLOPs, bytes, the cost model's\n"
    "prediction and the error against f32; then how well params, FLOPs, bytes\n"
    "and the prediction order the latencies. Progress goes to stderr, the table\n"
    "to stdout. Every output path is checked before anything runs.\n"
    "\n"
    "  --suite S         seeds (default), sweep, zoo (generated MLPs/CNNs), or all\n"
    "  --model MODEL     one model instead of a suite (.onnx or @name)\n"
    "  --batch N         batch for --model (1 to 16777216; default 1); refused when\n"
    "                    the model's batch dimension is fixed to another size\n"
    "  --backend LIST    comma-separated backends, or all (default: cpu where it\n"
    "                    works, else ref)\n"
    "  --dtype LIST      f32, int8 or f32,int8 (default: both)\n"
    "  --math LIST       math modes, each dtype in each: f32, tf32, bf16 (default\n"
    "                    f32; tf32 and bf16 are the cuda backend's). Every row not\n"
    "                    f32 in both shows err, its outputs' relative error against\n"
    "                    the same backend's f32 row on one random input\n"
    "  --threads N       threads for the CPU backend (default: all cores)\n"
    "  --json FILE       write the results as JSON ('-': standard output; the\n"
    "                    table then goes to stderr)\n"
    "  --csv FILE        write every row, unsupported ones included, as CSV ('-':\n"
    "                    standard output)\n"
    "  --plots DIR       draw plots from the results into DIR, an existing\n"
    "                    directory\n"
    "  --peers           also time PyTorch and ONNX Runtime on the same models\n"
    "  --min-time S      measure each row for at least S seconds (default 0.2)\n"
    "  --min-reps N      and at least N runs (default 10)\n"
    "  --cache-dir DIR   where calibrations are cached (default ~/.cache/runt)\n"
    "  --recalibrate     measure the devices again instead of using the cache\n"
    "  -h, --help        print this text\n"
    "\n"
    "A cached calibration is measured again, with the reason on stderr, when it\n"
    "was taken while other processes kept the machine busy, when a probe's\n"
    "repeated rounds did not agree, or when it predates these checks.\n";

static const char runt_help_devices[] =
    "usage: runt devices [--backend LIST] [--calibrate] [--threads N] [--cache-dir DIR]\n"
    "                    [--json FILE]\n"
    "\n"
    "Lists the backends of this build with their devices, whether each can be\n"
    "used (and why not), and the peaks measured by a calibration if one is cached,\n"
    "with the load it was measured under (cores other processes kept busy, the\n"
    "1-minute load average), each probe's spread (how far its second-fastest\n"
    "round was from its fastest; over 10%: unstable) and its tables (op rates,\n"
    "fused activations, the GEMM and conv grids), whether just measured or cached.\n"
    "\n"
    "  --backend LIST    only these backends (comma-separated, or all); an unknown\n"
    "                    name is an error\n"
    "  --calibrate       measure the peaks now and cache them: seconds per backend\n"
    "                    on a quiet machine; on a busy one it measures again after\n"
    "                    a pause, up to about a minute, and marks what it keeps\n"
    "  --threads N       the thread count whose calibration is shown or measured\n"
    "  --cache-dir DIR   where calibrations are cached (default ~/.cache/runt)\n"
    "  --json FILE       write the devices as JSON to FILE ('-': standard output)\n"
    "  -h, --help        print this text\n";

static const char runt_help_compile[] =
    "usage: runt compile MODEL -o OUT.rnt [--dtype f32|int8] [--batch N]\n"
    "\n"
    "Writes MODEL as .rnt: versioned, little-endian, checksummed, its weights\n"
    "aligned so a device reads them in place (no copy, no ONNX reader). Prints the\n"
    "file's size, the arena a session needs (runt_session_arena_size) and the\n"
    "model's ops as the -DRUNT_REF_OP_MASK that builds only their kernels.\n"
    "\n"
    "  -o FILE        where to write the .rnt\n"
    "  --dtype T      f32 (default), or int8: every Linear and Conv rewritten as\n"
    "                 onnxruntime's quantize_dynamic writes them (weights int8 per\n"
    "                 output channel, activations quantized per run)\n"
    "  --batch N      the batch the arena is sized for (default 1)\n"
    "  -h, --help     print this text\n";

const char *runt_cli_help_text(const char *command)
{
    static const struct {
        const char *command, *text;
    } helps[] = {
        {"info", runt_help_info},       {"run", runt_help_run},
        {"bench", runt_help_bench},     {"devices", runt_help_devices},
        {"compile", runt_help_compile}, {"help", runt_help_overview},
    };
    if (!command)
        return runt_help_overview;
    for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++)
        if (strcmp(command, helps[i].command) == 0)
            return helps[i].text;
    return NULL;
}
