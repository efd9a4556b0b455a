// model_impl.h - the inside of a Model, shared by model.c (build, train), model_io.c
// (safetensors load/save) and inspect.c (feature maps, SE internals, Grad-CAM). Not part of
// the public API.
#ifndef EXCITE_MODEL_IMPL_H
#define EXCITE_MODEL_IMPL_H
#include "model.h"

enum { MAX_TENSORS = 32, FC1_IN = 128 * 4 * 4, FC1_OUT = 512 };

// Block geometry: input channels, output channels, spatial size (square). Cin 3, 32, 64;
// C 32, 64, 128; H 32, 16, 8. The SE hidden size is the model's: m->hidden[i] = C / R
// (2, 4, 8 for the lesson's R = 16).
static inline int blk_cin(int i) { return i == 0 ? 3 : 16 << i; }
#define BLK_C(i) (32 << (i))
static inline int blk_c(int i) { return BLK_C(i); }
static inline int blk_h(int i) { return 32 >> i; }

// What a training step changes besides the parameters and Adam moments: the running
// statistics, num_batches_tracked, Adam's step count and the dropout generator.
// Batch-norm as PyTorch's defaults (nn.BatchNorm2d): eps and the running-statistics momentum.
static const float BN_EPS = 1e-5f, BN_MOMENTUM = 0.1f;

typedef struct {
    float *bn;                 // nbuffers floats: params[nparams..)
    int64_t nbt[NUM_BLOCKS];
    int64_t adam_t;
    Rng rng;
} StepState;

// Named views into one flat float buffer: the parameters, or (same offsets) the gradients.
typedef struct {
    float *conv_w[NUM_BLOCKS]; // (C, Cin, 3, 3)
    float *conv_b[NUM_BLOCKS]; // (C)
    float *bn_w[NUM_BLOCKS];   // (C)
    float *bn_b[NUM_BLOCKS];   // (C)
    float *se_w1[NUM_BLOCKS];  // (C/R, C)  caN.fc.0.weight, CNN_SE only
    float *se_w2[NUM_BLOCKS];  // (C, C/R)  caN.fc.2.weight, CNN_SE only
    float *fc1_w;              // (512, 2048)
    float *fc1_b;              // (512)
    float *fc2_w;              // (N, 512)
    float *fc2_b;              // (N)
} Params;

// Activations for a batch of up to `cap` images, NCHW. Block i has C = blk_c(i) channels
// at H = W = blk_h(i) before pooling and H/2 after.
typedef struct {
    int cap;
    float *x;                      // (B,3,32,32) copy of the input batch
    float *conv[NUM_BLOCKS];       // (B,C,H,W) conv output, before BN
    float *xhat[NUM_BLOCKS];       // (B,C,H,W) BN normalised input (train mode)
    float *bn_mean[NUM_BLOCKS];    // (C) batch mean (train mode)
    float *bn_invstd[NUM_BLOCKS];  // (C) batch 1/std (train mode)
    float *act[NUM_BLOCKS];        // (B,C,H,W) relu(bn(conv))
    float *se_out[NUM_BLOCKS];     // (B,C,H,W) act * s (CNN_SE)
    float *se_pooled[NUM_BLOCKS];  // (B,C)
    float *se_hpre[NUM_BLOCKS];    // (B,C/R)
    float *se_h[NUM_BLOCKS];       // (B,C/R)
    float *se_z[NUM_BLOCKS];       // (B,C)
    float *se_s[NUM_BLOCKS];       // (B,C)
    float *pool[NUM_BLOCKS];       // (B,C,H/2,W/2)
    int32_t *argmax[NUM_BLOCKS];   // (B,C,H/2,W/2)
    float *h1;                     // (B,512) relu(fc1)
    float *d1;                     // (B,512) dropout(h1)
    float *mask;                   // (B,512)
    float *logits;                 // (B,N)
    float *probs;                  // (B,N)
    float *g0, *g1;                // (B,32,32,32) gradient ping-pong buffers
    float *work;                   // conv scratch (one image)
    float *mem;                    // the one float allocation behind all of the above
    int32_t *imem;                 // the argmax allocation
} Acts;

struct Model {
    ModelKind kind;
    int reduction;                 // R
    int hidden[NUM_BLOCKS];        // SE hidden sizes C / R (CNN_SE; 0 for CNN)
    int num_classes;               // N: fc2 is (N, 512)
    ClassList classes;
    size_t frozen;                 // trainable floats [0, frozen) are frozen (model_set_freeze_conv)
    char err[320];
    Rng rng;
    float dropout;
    int ntensors;
    Tensor tensors[MAX_TENSORS];   // state-dict order
    size_t nparams;                // trainable floats: params[0..nparams)
    size_t nbuffers;               // running statistics after them: params[nparams..)
    float *params;                 // nparams + nbuffers floats
    float *grads;                  // nparams floats, same offsets as params
    float *adam_m, *adam_v;        // nparams floats each
    // The one rollback: the state before the last applied model_train_step (model_undo_step).
    // undo: params | adam_m | adam_v (3 * nparams floats, written by Adam's pass); undo_small:
    // the rest; pending: the small state at the start of the step in progress.
    float *undo;
    StepState undo_small, pending;
    float *small_mem;              // 2 * nbuffers floats: the bn arrays of the two StepStates
    int can_undo;
    int64_t adam_t;
    int64_t nbt[NUM_BLOCKS];       // bnN.num_batches_tracked
    float *running_mean[NUM_BLOCKS], *running_var[NUM_BLOCKS]; // (C), inside params
    Params P, G;
    Acts a;
    int last_B, last_train;        // of the last forward
    float last_loss;
};

static inline int model_has_se(const Model *m) { return m->kind == MODEL_CNN_SE; }
static inline float *block_out(const Model *m, int i) {
    return model_has_se(m) ? m->a.se_out[i] : m->a.act[i];
}
// Make room for batches of B images (grow only). 0 or -1 (out of memory, message set).
int model_reserve(Model *m, int B);
void model_set_error(Model *m, const char *fmt, ...);

#endif
