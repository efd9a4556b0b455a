// se_stats.c - dead hidden units and the spread of s per SE block over a dataset (se_stats.h).
#include "se_stats.h"
#include "train.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double se_spread(const float *s, int C) {
    if (C <= 0) return 0;
    float lo = s[0], hi = s[0];
    for (int c = 1; c < C; c++) {
        if (s[c] < lo) lo = s[c];
        if (s[c] > hi) hi = s[c];
    }
    return (double)hi - (double)lo;
}

int se_stats_compute(Model *m, const Dataset *d, int batch, SEStats *out, char *err,
                     size_t errlen) {
    memset(out, 0, sizeof *out);
    if (model_kind(m) != MODEL_CNN_SE) {
        snprintf(err, errlen, "se-stats: the model is %s, not CNN_SE (it has no SE blocks)",
                 model_kind_name(model_kind(m)));
        return -1;
    }
    if (d->n <= 0) {
        snprintf(err, errlen, "se-stats: no images");
        return -1;
    }
    if (batch < 3) batch = 3;   // same bits as any larger batch (train.h, evaluate)
    if (batch > EVAL_BATCH_MAX) batch = EVAL_BATCH_MAX;
    float *x = malloc((size_t)batch * IMG_SIZE * sizeof(float));
    uint8_t *y = malloc((size_t)batch);
    int *idx = malloc((size_t)batch * sizeof(int));
    // fired[b][j]: the images on which unit j of block b was > 0
    int fired[NUM_BLOCKS][SE_STATS_MAX_HIDDEN] = {{0}};
    double spread_sum[NUM_BLOCKS] = {0}, near_count[NUM_BLOCKS] = {0}, loss_sum = 0;
    int correct = 0, status = 0;
    if (!x || !y || !idx) {
        snprintf(err, errlen, "se-stats: out of memory");
        status = -1;
    }
    for (int start = 0; !status && start < d->n; start += batch) {
        int B = d->n - start < batch ? d->n - start : batch;
        for (int i = 0; i < B; i++) idx[i] = start + i;
        batch_make(x, y, d, idx, B, 0, NULL);
        if (model_eval_batch(m, x, y, B, &loss_sum, &correct, NULL)) {
            snprintf(err, errlen, "se-stats: %s", model_error(m));
            status = -1;
            break;
        }
        for (int b = 0; b < NUM_BLOCKS && !status; b++) {
            for (int i = 0; i < B; i++) {
                SEView v;
                if (model_se_view(m, b, i, &v) || v.R > SE_STATS_MAX_HIDDEN) {
                    snprintf(err, errlen, "se-stats: block %d has no SE view of at most %d units",
                             b + 1, SE_STATS_MAX_HIDDEN);
                    status = -1;
                    break;
                }
                out->block[b].C = v.C;
                out->block[b].hidden = v.R;
                for (int j = 0; j < v.R; j++)
                    if (v.hidden[j] > 0) fired[b][j]++;
                spread_sum[b] += se_spread(v.s, v.C);
                for (int c = 0; c < v.C; c++)
                    if (fabs((double)v.s[c] - 0.5) <= SE_NEAR_HALF) near_count[b] += 1;
            }
        }
    }
    if (!status) {
        out->n = d->n;
        out->accuracy = (double)correct / d->n;
        out->loss = loss_sum / d->n;
        for (int b = 0; b < NUM_BLOCKS; b++) {
            SEBlockStats *s = &out->block[b];
            for (int j = 0; j < s->hidden; j++) {
                s->dead_unit[j] = fired[b][j] == 0;
                s->dead += s->dead_unit[j];
                s->rare_unit[j] = fired[b][j] < SE_RARE * d->n;
                s->rare += s->rare_unit[j];
            }
            s->spread = spread_sum[b] / d->n;
            s->near_half = near_count[b] / ((double)d->n * s->C);
        }
    }
    free(x);
    free(y);
    free(idx);
    return status;
}

void se_init_positive(Model *m) {
    if (model_kind(m) != MODEL_CNN_SE) return;
    for (int i = 0; i < model_num_tensors(m); i++) {
        const Tensor *t = model_tensor(m, i);
        if (strncmp(t->name, "ca", 2) || !strstr(t->name, ".fc.0.weight")) continue;
        for (size_t k = 0; k < t->numel; k++) t->data[k] = fabsf(t->data[k]);
    }
}
