// main.c - the command-line program `excite`: train, eval, predict, info.
// The only place in the core that prints and exits; everything else returns a status.
// Exit status: 0 success, 1 error (bad file, bad data...), 2 bad usage, 3 training diverged.
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cifar.h"
#include "gemm.h"
#include "image.h"
#include "model.h"
#include "safetensors.h"
#include "threads.h"
#include "train.h"
#include "cli.h"


static const char *USAGE =
    "usage: excite <command> [options]    (excite <command> --help for details)\n"
    "\n"
    "  train     train CNN or CNN_SE on CIFAR-10 (progress, CSV logs, checkpoints)\n"
    "  eval      accuracy, per-class accuracy and confusion matrix of a weights file\n"
    "  predict   class probabilities of one PNG/JPEG image\n"
    "  info      what a weights or checkpoint file holds\n"
    "\n"
    "Data: --data DIR, else $CIFAR10_DIR, else data/cifar10 (the official binary batches).\n"
    "Exit status: 0 ok, 1 error, 2 bad usage, 3 training diverged.\n";

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        fputs(USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "train")) return cmd_train(argc - 2, argv + 2);
    if (!strcmp(cmd, "eval")) return cmd_eval(argc - 2, argv + 2);
    if (!strcmp(cmd, "predict")) return cmd_predict(argc - 2, argv + 2);
    if (!strcmp(cmd, "info")) return cmd_info(argc - 2, argv + 2);
    fprintf(stderr, "excite: unknown command \"%s\"\n\n%s", cmd, USAGE);
    return 2;
}
