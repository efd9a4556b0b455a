// cli_se.h - the program's commands about the SE blocks and robustness (c/cli_se.c):
//   excite se-stats WEIGHTS...     dead SE units, spread of s, test accuracy per file and block
//   excite robustness WEIGHTS...   test accuracy under each corruption of corrupt.h
//   excite se-trace [options]      a short CNN_SE run logging dead units every N steps
// Each takes the arguments after its name and returns the exit status (0 ok, 1 error, 2 bad
// usage); data and threads as the other commands (cli.h: data_dir, default_threads).
#ifndef EXCITE_CLI_SE_H
#define EXCITE_CLI_SE_H

int cmd_se_stats(int argc, char **argv);
int cmd_robustness(int argc, char **argv);
int cmd_se_trace(int argc, char **argv);

#endif
