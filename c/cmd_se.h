// cmd_se.h - the program's commands about the SE blocks and robustness (c/cmd_se.c):
//   excite se-stats WEIGHTS...     dead SE units, spread of s, test accuracy per file and block
//   excite robustness WEIGHTS...   test accuracy under each corruption of corrupt.h
//   excite se-trace [options]      a short CNN_SE run logging dead units every N steps
// Each takes the arguments after its name, the default CIFAR-10 folder (main.c's rule) and
// the default thread count; returns the exit status (0 ok, 1 error, 2 bad usage).
#ifndef EXCITE_CMD_SE_H
#define EXCITE_CMD_SE_H

int cmd_se_stats(int argc, char **argv, const char *default_data, int default_threads);
int cmd_robustness(int argc, char **argv, const char *default_data, int default_threads);
int cmd_se_trace(int argc, char **argv, const char *default_data, int default_threads);

#endif
