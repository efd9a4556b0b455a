// model.c - CNN and CNN_SE: building (PyTorch default initialisation), the forward and
// backward passes over the layers of layers.c and the guarded training step (Adam itself is
// in optim.c). Safetensors load/save of the state dict is in model_io.c; inspection (feature
// maps, SE internals, Grad-CAM) in inspect.c.
//
// Memory: params = [trainable tensors in state-dict order | running means and variances];
// grads, adam_m and adam_v cover the trainable part with the same offsets, so Adam is one
// loop. num_batches_tracked is int64 and lives in m->nbt.
#if defined(__linux__) && !defined(__EMSCRIPTEN__)
#define _DEFAULT_SOURCE // madvise, posix_memalign
#include <sys/mman.h>
#endif
#include "model_impl.h"
#include "layers.h"
#include "errors.h"
#include "threads.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


// Big buffers touched at every step (the activation arena, tens of MB; parameters, gradients
// and Adam moments, 4.6 MB each): on Linux, 2 MB-aligned and
// advised into transparent huge pages, which spares the TLB misses of 4 KB pages (training
// ~5% faster here). Elsewhere plain calloc. Freed with free().
static void *arena_calloc(size_t n, size_t size) {
#if defined(__linux__) && !defined(__EMSCRIPTEN__) && defined(MADV_HUGEPAGE)
    size_t bytes = n * size, huge = (size_t)2 << 20;
    if (n && bytes / n == size && bytes >= huge) {
        void *p = NULL;
        if (posix_memalign(&p, huge, bytes) == 0) {
            madvise(p, (bytes + huge - 1) / huge * huge, MADV_HUGEPAGE);
            memset(p, 0, bytes);
            return p;
        }
    }
#endif
    return calloc(n, size);
}

void model_set_error(Model *m, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->err, sizeof m->err, fmt, ap);
    va_end(ap);
}

const char *model_kind_name(ModelKind kind) { return kind == MODEL_CNN_SE ? "CNN_SE" : "CNN"; }
ModelKind model_kind(const Model *m) { return m->kind; }
const char *model_error(const Model *m) { return m->err; }
Rng *model_rng(Model *m) { return &m->rng; }
void model_set_dropout(Model *m, float p) { m->dropout = p < 0 ? 0 : p > 1 ? 1 : p; }
int model_num_tensors(const Model *m) { return m->ntensors; }
const Tensor *model_tensor(const Model *m, int i) {
    return i >= 0 && i < m->ntensors ? &m->tensors[i] : NULL;
}
const Tensor *model_find_tensor(const Model *m, const char *name) {
    for (int i = 0; i < m->ntensors; i++)
        if (strcmp(m->tensors[i].name, name) == 0) return &m->tensors[i];
    return NULL;
}
size_t model_num_params(const Model *m) { return m->nparams; }
float *model_adam_m(Model *m) { return m->adam_m; }
float *model_adam_v(Model *m) { return m->adam_v; }
int64_t *model_adam_t(Model *m) { return &m->adam_t; }
const float *model_logits(const Model *m) { return m->a.logits; }
const float *model_probs(const Model *m) { return m->a.probs; }

// ---- the state dict ---------------------------------------------------------------------
// Tensor names are string literals (they outlive every model).
static const char *const NAMES[NUM_BLOCKS][9] = {
    {"conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
     "bn1.num_batches_tracked", "ca1.fc.0.weight", "ca1.fc.2.weight"},
    {"conv2.weight", "conv2.bias", "bn2.weight", "bn2.bias", "bn2.running_mean", "bn2.running_var",
     "bn2.num_batches_tracked", "ca2.fc.0.weight", "ca2.fc.2.weight"},
    {"conv3.weight", "conv3.bias", "bn3.weight", "bn3.bias", "bn3.running_mean", "bn3.running_var",
     "bn3.num_batches_tracked", "ca3.fc.0.weight", "ca3.fc.2.weight"},
};

static void add_tensor(Model *m, const char *name, int trainable, DType dt, int ndim,
                       int s0, int s1, int s2, int s3, size_t *off_train, size_t *off_buf) {
    Tensor *t = &m->tensors[m->ntensors++];
    memset(t, 0, sizeof *t);
    t->name = name;
    t->ndim = ndim;
    int s[4] = {s0, s1, s2, s3};
    t->numel = 1;
    for (int d = 0; d < ndim; d++) { t->shape[d] = s[d]; t->numel *= (size_t)s[d]; }
    t->trainable = trainable;
    t->dtype = dt;
    if (dt == DTYPE_I64) return;
    size_t *off = trainable ? off_train : off_buf;
    t->offset = *off; // buffers: from the end of the parameters, added by build_tensor_list
    *off += t->numel;
}

static void build_tensor_list(Model *m) {
    size_t ot = 0, ob = 0;
    m->ntensors = 0;
    for (int i = 0; i < NUM_BLOCKS; i++) {
        int ci = blk_cin(i), c = blk_c(i), r = m->hidden[i];
        add_tensor(m, NAMES[i][0], 1, DTYPE_F32, 4, c, ci, 3, 3, &ot, &ob);
        add_tensor(m, NAMES[i][1], 1, DTYPE_F32, 1, c, 0, 0, 0, &ot, &ob);
        add_tensor(m, NAMES[i][2], 1, DTYPE_F32, 1, c, 0, 0, 0, &ot, &ob);
        add_tensor(m, NAMES[i][3], 1, DTYPE_F32, 1, c, 0, 0, 0, &ot, &ob);
        add_tensor(m, NAMES[i][4], 0, DTYPE_F32, 1, c, 0, 0, 0, &ot, &ob);
        add_tensor(m, NAMES[i][5], 0, DTYPE_F32, 1, c, 0, 0, 0, &ot, &ob);
        add_tensor(m, NAMES[i][6], 0, DTYPE_I64, 0, 0, 0, 0, 0, &ot, &ob);
        if (model_has_se(m)) {
            add_tensor(m, NAMES[i][7], 1, DTYPE_F32, 2, r, c, 0, 0, &ot, &ob);
            add_tensor(m, NAMES[i][8], 1, DTYPE_F32, 2, c, r, 0, 0, &ot, &ob);
        }
    }
    add_tensor(m, "fc1.weight", 1, DTYPE_F32, 2, FC1_OUT, FC1_IN, 0, 0, &ot, &ob);
    add_tensor(m, "fc1.bias", 1, DTYPE_F32, 1, FC1_OUT, 0, 0, 0, &ot, &ob);
    add_tensor(m, "fc2.weight", 1, DTYPE_F32, 2, m->num_classes, FC1_OUT, 0, 0, &ot, &ob);
    add_tensor(m, "fc2.bias", 1, DTYPE_F32, 1, m->num_classes, 0, 0, 0, &ot, &ob);
    m->nparams = ot;
    m->nbuffers = ob;
    for (int i = 0; i < m->ntensors; i++)
        if (!m->tensors[i].trainable && m->tensors[i].dtype == DTYPE_F32) m->tensors[i].offset += ot;
}

// Point each tensor at its offset in params and fill the named views P (params) and G (grads).
static void bind_pointers(Model *m) {
    int k = 0;
    for (int i = 0; i < m->ntensors; i++) {
        Tensor *t = &m->tensors[i];
        if (t->dtype == DTYPE_I64) { t->data_i64 = &m->nbt[k++]; continue; }
        t->data = m->params + t->offset;
    }
#define BIND(field, name)                                                        \
    do {                                                                         \
        const Tensor *t_ = model_find_tensor(m, name);                           \
        m->P.field = t_ ? t_->data : NULL;                                       \
        m->G.field = t_ ? m->grads + t_->offset : NULL;                          \
    } while (0)
    for (int i = 0; i < NUM_BLOCKS; i++) {
        BIND(conv_w[i], NAMES[i][0]);
        BIND(conv_b[i], NAMES[i][1]);
        BIND(bn_w[i], NAMES[i][2]);
        BIND(bn_b[i], NAMES[i][3]);
        m->running_mean[i] = model_find_tensor(m, NAMES[i][4])->data;
        m->running_var[i] = model_find_tensor(m, NAMES[i][5])->data;
        BIND(se_w1[i], NAMES[i][7]);
        BIND(se_w2[i], NAMES[i][8]);
    }
    BIND(fc1_w, "fc1.weight");
    BIND(fc1_b, "fc1.bias");
    BIND(fc2_w, "fc2.weight");
    BIND(fc2_b, "fc2.bias");
#undef BIND
}

// PyTorch defaults: Conv2d/Linear weights kaiming_uniform(a=sqrt 5) = U(-1/sqrt(fan_in),
// 1/sqrt(fan_in)), biases the same bound; BN weight 1, bias 0, running mean 0, var 1.
// Draws happen in state-dict order.
static void init_params(Model *m) {
    for (int i = 0; i < m->ntensors; i++) {
        Tensor *t = &m->tensors[i];
        const char *n = t->name;
        size_t len = strlen(n);
        if (t->dtype == DTYPE_I64) { *t->data_i64 = 0; continue; }
        if (strncmp(n, "bn", 2) == 0) {
            float v = (strstr(n, ".weight") || strstr(n, ".running_var")) ? 1.0f : 0.0f;
            for (size_t j = 0; j < t->numel; j++) t->data[j] = v;
            continue;
        }
        int is_bias = len > 5 && strcmp(n + len - 5, ".bias") == 0;
        // fan_in: the weight's numel / out features; a bias uses its layer's weight's fan_in
        const Tensor *w = t;
        if (is_bias) w = &m->tensors[i - 1];
        size_t fan_in = w->numel / (size_t)w->shape[0];
        float bound = (float)(1.0 / sqrt((double)fan_in));
        for (size_t j = 0; j < t->numel; j++) t->data[j] = rng_range(&m->rng, -bound, bound);
    }
}

// ---- activations ------------------------------------------------------------------------
// a.work: conv scratch for a batch of `cap` images (the largest block's), then one cache of
// transformed filters per block for the eval forward (conv_block_eval).
static size_t conv_scratch_floats(int B) {
    size_t work = 0;
    for (int i = 0; i < NUM_BLOCKS; i++) {
        size_t w = conv_block_eval_work_floats(B, blk_cin(i), blk_h(i), blk_h(i), blk_c(i));
        if (w > work) work = w;
    }
    return work;
}

static float *eval_cache(const Model *m, int block) {
    float *p = m->a.work + conv_scratch_floats(m->a.cap);
    for (int i = 0; i < block; i++) p += conv_block_eval_cache_floats(blk_cin(i), blk_c(i));
    return p;
}

int model_reserve(Model *m, int B) {
    if (B <= m->a.cap) return 0;
    Acts a;
    memset(&a, 0, sizeof a);
    a.cap = B;
    size_t b = (size_t)B, total = 0, itotal = 0, work = conv_scratch_floats(B);
    int se = model_has_se(m);
    // two passes: count, then carve
    for (int pass = 0; pass < 2; pass++) {
        size_t off = 0, ioff = 0;
        float *base = a.mem;
        int32_t *ibase = a.imem;
#define TAKE(ptr, n)                                       \
        do {                                               \
            size_t n_ = (n);                               \
            if (pass) ptr = base + off;                    \
            off += (n_ + 15) & ~(size_t)15;                \
        } while (0)
        TAKE(a.x, b * IMG_SIZE);
        for (int i = 0; i < NUM_BLOCKS; i++) {
            size_t c = (size_t)blk_c(i), hw = (size_t)blk_h(i) * blk_h(i), r = (size_t)m->hidden[i];
            TAKE(a.conv[i], b * c * hw);
            TAKE(a.xhat[i], b * c * hw);
            TAKE(a.bn_mean[i], c);
            TAKE(a.bn_invstd[i], c);
            TAKE(a.act[i], b * c * hw);
            if (se) {
                TAKE(a.se_out[i], b * c * hw);
                TAKE(a.se_pooled[i], b * c);
                TAKE(a.se_hpre[i], b * r);
                TAKE(a.se_h[i], b * r);
                TAKE(a.se_z[i], b * c);
                TAKE(a.se_s[i], b * c);
            }
            TAKE(a.pool[i], b * c * hw / 4);
            if (pass) a.argmax[i] = ibase + ioff;
            ioff += b * c * hw / 4;
            work += conv_block_eval_cache_floats(blk_cin(i), blk_c(i));
        }
        TAKE(a.h1, b * FC1_OUT);
        TAKE(a.d1, b * FC1_OUT);
        TAKE(a.mask, b * FC1_OUT);
        TAKE(a.logits, b * (size_t)m->num_classes);
        TAKE(a.probs, b * (size_t)m->num_classes);
        TAKE(a.g0, b * 32 * 32 * 32);
        TAKE(a.g1, b * 32 * 32 * 32);
        TAKE(a.work, work);
#undef TAKE
        if (!pass) {
            total = off;
            itotal = ioff;
            a.mem = arena_calloc(total, sizeof(float));
            a.imem = calloc(itotal, sizeof(int32_t));
            if (!a.mem || !a.imem) {
                free(a.mem);
                free(a.imem);
                model_set_error(m, "out of memory for a batch of %d images", B);
                return -1;
            }
        }
    }
    free(m->a.mem);
    free(m->a.imem);
    m->a = a;
    m->last_B = 0;
    return 0;
}

int model_shape_check(ModelKind kind, int reduction, const ClassList *classes, char *err,
                      size_t errlen) {
    if (kind != MODEL_CNN && kind != MODEL_CNN_SE)
        return set_err(err, errlen, "model kind %d is not CNN (0) or CNN_SE (1)", (int)kind), -1;
    if (reduction < 1 || reduction > REDUCTION_MAX)
        return set_err(err, errlen, "reduction ratio %d: R must be in 1..%d (C / R is the SE "
                       "hidden size and the first block has C = %d channels)", reduction,
                       REDUCTION_MAX, blk_c(0)), -1;
    return classes ? class_list_check(classes, err, errlen) : 0;
}

Model *model_create_shaped(ModelKind kind, int reduction, const ClassList *classes,
                           uint64_t seed, int max_batch) {
    if (model_shape_check(kind, reduction, classes, NULL, 0)) return NULL;
    Model *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->kind = kind;
    m->reduction = reduction;
    for (int i = 0; i < NUM_BLOCKS; i++) m->hidden[i] = kind == MODEL_CNN_SE ? blk_c(i) / reduction : 0;
    if (classes) m->classes = *classes;
    else class_list_cifar(&m->classes);
    m->num_classes = m->classes.n;
    m->dropout = 0.5f;
    rng_seed(&m->rng, seed);
    build_tensor_list(m);
    m->params = arena_calloc(m->nparams + m->nbuffers, sizeof(float));
    m->grads = arena_calloc(m->nparams, sizeof(float));
    m->adam_m = arena_calloc(m->nparams, sizeof(float));
    m->adam_v = arena_calloc(m->nparams, sizeof(float));
    m->undo = arena_calloc(3 * m->nparams, sizeof(float));
    m->small_mem = malloc(2 * m->nbuffers * sizeof(float));
    if (!m->params || !m->grads || !m->adam_m || !m->adam_v || !m->undo || !m->small_mem) {
        model_free(m);
        return NULL;
    }
    m->undo_small.bn = m->small_mem;
    m->pending.bn = m->small_mem + m->nbuffers;
    bind_pointers(m);
    init_params(m);
    if (model_reserve(m, max_batch > 0 ? max_batch : 1)) { model_free(m); return NULL; }
    return m;
}

Model *model_create(ModelKind kind, uint64_t seed, int max_batch) {
    return model_create_shaped(kind == MODEL_CNN_SE ? MODEL_CNN_SE : MODEL_CNN, REDUCTION_DEFAULT,
                               NULL, seed, max_batch);
}

int model_reduction(const Model *m) { return m->reduction; }
int model_se_hidden(const Model *m, int block) {
    return block >= 0 && block < NUM_BLOCKS ? m->hidden[block] : 0;
}
int model_num_classes(const Model *m) { return m->num_classes; }
const ClassList *model_classes(const Model *m) { return &m->classes; }

int model_set_classes(Model *m, const ClassList *c) {
    char e[200];
    if (class_list_check(c, e, sizeof e)) {
        model_set_error(m, "%s", e);
        return -1;
    }
    if (c->n != m->num_classes) {
        model_set_error(m, "%d class names for a model with %d classes", c->n, m->num_classes);
        return -1;
    }
    m->classes = *c;
    return 0;
}

// The first trainable float after the convolution blocks: fc1.weight's (state-dict order puts
// the blocks first, then fc1 and fc2).
static size_t head_offset(const Model *m) { return model_find_tensor(m, "fc1.weight")->offset; }

void model_set_freeze_conv(Model *m, int on) {
    m->frozen = on ? head_offset(m) : 0;
    m->can_undo = 0;
}
int model_freeze_conv(const Model *m) { return m->frozen > 0; }

int model_init_from(Model *m, const Model *src) {
    if (src->kind != m->kind) {
        model_set_error(m, "cannot fine-tune a %s from %s weights", model_kind_name(m->kind),
                        model_kind_name(src->kind));
        return -1;
    }
    for (int i = 0; i < NUM_BLOCKS; i++)
        if (src->hidden[i] != m->hidden[i]) {
            model_set_error(m, "cannot fine-tune: the pretrained SE blocks have hidden sizes "
                            "(%d, %d, %d), this model (%d, %d, %d); use its reduction ratio %d",
                            src->hidden[0], src->hidden[1], src->hidden[2], m->hidden[0],
                            m->hidden[1], m->hidden[2], src->reduction);
            return -1;
        }
    for (int i = 0; i < m->ntensors; i++) {
        const Tensor *t = &m->tensors[i];
        if (!strncmp(t->name, "fc2.", 4)) continue;
        const Tensor *s = model_find_tensor(src, t->name);   // same kind and hidden sizes: present
        if (t->dtype == DTYPE_I64) *t->data_i64 = *s->data_i64;
        else memcpy(t->data, s->data, t->numel * sizeof(float));
    }
    memset(m->adam_m, 0, m->nparams * sizeof(float));
    memset(m->adam_v, 0, m->nparams * sizeof(float));
    m->adam_t = 0;
    m->can_undo = 0;
    return 0;
}

void model_free(Model *m) {
    if (!m) return;
    free(m->params);
    free(m->grads);
    free(m->adam_m);
    free(m->adam_v);
    free(m->undo);
    free(m->small_mem);
    free(m->a.mem);
    free(m->a.imem);
    free(m);
}

// ---- forward / backward -----------------------------------------------------------------
int model_forward(Model *m, const float *x, int B, int train) {
    if (B <= 0) { model_set_error(m, "batch size %d must be positive", B); return -1; }
    if (model_reserve(m, B)) return -1;
    Acts *a = &m->a;
    if (x != a->x) memmove(a->x, x, (size_t)B * IMG_SIZE * sizeof(float));
    const float *in = a->x;
    for (int i = 0; i < NUM_BLOCKS; i++) {
        int ci = blk_cin(i), c = blk_c(i), h = blk_h(i), hw = h * h, r = m->hidden[i];
        if (!train) { // conv, bias, batch-norm, ReLU (and max-pool without SE) in one pass
            int se = model_has_se(m);
            conv_block_eval(a->conv[i], a->act[i], se ? NULL : a->pool[i], se ? NULL : a->argmax[i],
                            in, m->P.conv_w[i], m->P.conv_b[i], m->P.bn_w[i], m->P.bn_b[i],
                            m->running_mean[i], m->running_var[i], BN_EPS, B, ci, h, h, c,
                            eval_cache(m, i), a->work);
            if (se)
                se_pool_eval(a->se_out[i], a->pool[i], a->argmax[i], a->se_pooled[i], a->se_hpre[i],
                             a->se_h[i], a->se_z[i], a->se_s[i], a->act[i], m->P.se_w1[i],
                             m->P.se_w2[i], B, c, h, h, r);
            in = a->pool[i];
            continue;
        }
        conv2d_forward(a->conv[i], in, m->P.conv_w[i], m->P.conv_b[i], B, ci, h, h, c, a->work);
        batchnorm_relu_forward_train(a->act[i], a->xhat[i], a->bn_mean[i], a->bn_invstd[i],
                                     m->running_mean[i], m->running_var[i], a->conv[i],
                                     m->P.bn_w[i], m->P.bn_b[i], B, c, hw, BN_MOMENTUM, BN_EPS);
        m->nbt[i]++;
        if (model_has_se(m))
            se_forward(a->se_out[i], a->se_pooled[i], a->se_hpre[i], a->se_h[i], a->se_z[i],
                       a->se_s[i], a->act[i], m->P.se_w1[i], m->P.se_w2[i], B, c, hw, r);
        maxpool2x2_forward(a->pool[i], a->argmax[i], block_out(m, i), B, c, h, h);
        in = a->pool[i];
    }
    size_t nh = (size_t)B * FC1_OUT;
    linear_forward(a->h1, a->pool[NUM_BLOCKS - 1], m->P.fc1_w, m->P.fc1_b, B, FC1_IN, FC1_OUT);
    relu_forward(a->h1, a->h1, nh);
    const float *fc2_in = a->h1;
    if (train) {
        dropout_forward(a->d1, a->mask, a->h1, nh, m->dropout, &m->rng);
        fc2_in = a->d1;
    }
    linear_forward(a->logits, fc2_in, m->P.fc2_w, m->P.fc2_b, B, FC1_OUT, m->num_classes);
    m->last_B = B;
    m->last_train = train != 0;
    return 0;
}

float model_loss(Model *m, const uint8_t *y, int B) {
    if (B > m->last_B) B = m->last_B;
    m->last_loss = softmax_xent_forward(m->a.probs, m->a.logits, y, B, m->num_classes);
    return m->last_loss;
}

void model_zero_grad(Model *m) { parallel_zero(m->grads, m->nparams * sizeof(float)); }

static float *zeroed(float *p, size_t n) {
    parallel_zero(p, n * sizeof(float));
    return p;
}

// Gradient of the loss through the train-mode forward, added into m->grads.
void model_backward(Model *m, const uint8_t *y, int B) {
    if (B > m->last_B) B = m->last_B;
    Acts *a = &m->a;
    float *cur = zeroed(a->g0, (size_t)B * m->num_classes), *nxt = a->g1, *t;
#define SWAP() (t = cur, cur = nxt, nxt = t)
    size_t nh = (size_t)B * FC1_OUT;
    softmax_xent_backward(cur, a->probs, y, B, m->num_classes);
    const float *fc2_in = m->last_train ? a->d1 : a->h1;
    linear_backward(zeroed(nxt, nh), m->G.fc2_w, m->G.fc2_b, cur, fc2_in, m->P.fc2_w, B,
                    FC1_OUT, m->num_classes);
    SWAP();
    if (m->last_train) {
        dropout_backward(zeroed(nxt, nh), cur, a->mask, nh);
        SWAP();
    }
    relu_backward_inplace(cur, a->h1, nh);
    // frozen convolution blocks: nothing below fc1 needs a gradient
    linear_backward(m->frozen ? NULL : zeroed(nxt, (size_t)B * FC1_IN), m->G.fc1_w, m->G.fc1_b,
                    cur, a->pool[NUM_BLOCKS - 1], m->P.fc1_w, B, FC1_IN, FC1_OUT);
    if (m->frozen) return;
    SWAP();
    for (int i = NUM_BLOCKS - 1; i >= 0; i--) {
        int ci = blk_cin(i), c = blk_c(i), h = blk_h(i), hw = h * h, r = m->hidden[i];
        size_t n = (size_t)B * c * hw;
        maxpool2x2_backward(zeroed(nxt, n), cur, a->argmax[i], B, c, h, h);
        SWAP();
        if (model_has_se(m)) {
            se_backward(zeroed(nxt, n), m->G.se_w1[i], m->G.se_w2[i], cur, a->act[i],
                        a->se_pooled[i], a->se_h[i], a->se_s[i], m->P.se_w1[i], m->P.se_w2[i],
                        B, c, hw, r);
            SWAP();
        }
        relu_backward_inplace(cur, a->act[i], n);
        batchnorm_backward(zeroed(nxt, n), m->G.bn_w[i], m->G.bn_b[i], cur, a->xhat[i],
                           a->bn_invstd[i], m->P.bn_w[i], B, c, hw);
        SWAP();
        const float *in = i > 0 ? a->pool[i - 1] : a->x;
        float *dinp = i > 0 ? zeroed(nxt, (size_t)B * ci * hw) : NULL;
        conv2d_backward(dinp, m->G.conv_w[i], m->G.conv_b[i], cur, in, m->P.conv_w[i], B, ci,
                        h, h, c, a->work);
        SWAP();
    }
#undef SWAP
}

void model_adam_step(Model *m, const AdamConfig *cfg) {
    m->can_undo = 0;
    m->adam_t++;
    size_t f = m->frozen;
    adam_update(cfg, m->adam_t, m->params + f, m->grads + f, m->adam_m + f, m->adam_v + f, NULL,
                m->nparams - f);
}

// "conv1.weight[12]" for a trainable float index.
static void param_name(const Model *m, size_t idx, char *out, size_t n) {
    for (int i = 0; i < m->ntensors; i++) {
        const Tensor *t = &m->tensors[i];
        if (!t->trainable) continue;
        size_t off = t->offset;
        if (idx >= off && idx < off + t->numel) {
            snprintf(out, n, "%s[%zu]", t->name, idx - off);
            return;
        }
    }
    snprintf(out, n, "parameter %zu", idx);
}

// The part of the state besides parameters and moments that a step changes (the forward
// updates the running statistics and draws dropout masks; Adam counts the step).
static void small_save(const Model *m, StepState *st) {
    memcpy(st->bn, m->params + m->nparams, m->nbuffers * sizeof(float));
    memcpy(st->nbt, m->nbt, sizeof st->nbt);
    st->adam_t = m->adam_t;
    st->rng = m->rng;
}
static void small_restore(Model *m, const StepState *st) {
    memcpy(m->params + m->nparams, st->bn, m->nbuffers * sizeof(float));
    memcpy(m->nbt, st->nbt, sizeof st->nbt);
    m->adam_t = st->adam_t;
    m->rng = st->rng;
}

int model_undo_step(Model *m) {
    if (!m->can_undo) {
        model_set_error(m, "no training step to undo");
        return -1;
    }
    size_t f = m->frozen, n = m->nparams - f;   // the record covers the trained floats
    memcpy(m->params + f, m->undo, n * sizeof(float));
    memcpy(m->adam_m + f, m->undo + n, n * sizeof(float));
    memcpy(m->adam_v + f, m->undo + 2 * n, n * sizeof(float));
    small_restore(m, &m->undo_small);
    m->can_undo = 0;
    return 0;
}

// Every label below N: 0, or -1 with a message.
static int check_labels(Model *m, const uint8_t *y, int B) {
    for (int b = 0; b < B; b++)
        if (y[b] >= m->num_classes) {
            model_set_error(m, "label %d of image %d is not one of the model's %d classes", y[b], b,
                            m->num_classes);
            return -1;
        }
    return 0;
}

// Images of the batch whose top logit is their label; the top classes go to pred (may be NULL).
static int count_correct(const Model *m, const uint8_t *y, int B, uint8_t *pred) {
    int k = 0;
    for (int b = 0; b < B; b++) {
        const float *p = m->a.logits + (size_t)b * m->num_classes;
        int best = 0;
        for (int j = 1; j < m->num_classes; j++)
            if (p[j] > p[best]) best = j;
        k += best == y[b];
        if (pred) pred[b] = (uint8_t)best;
    }
    return k;
}

int model_train_step_limit(Model *m, const float *x, const uint8_t *y, int B,
                           const AdamConfig *cfg, double max_loss, float *loss, int *correct) {
    if (check_labels(m, y, B)) return -1;
    // Until Adam runs, the step only changes the small state: keep it in `pending`, so
    // that a refusal before Adam leaves the undo record (the step before) as it was.
    small_save(m, &m->pending);
    if (model_forward(m, x, B, 1)) return -1;
    float l = model_loss(m, y, B);
    if (loss) *loss = l;
    if (correct) *correct = count_correct(m, y, B, NULL);
    char what[200] = "";
    if (!isfinite(l)) {
        snprintf(what, sizeof what, "the loss is %s", isnan(l) ? "NaN" : l > 0 ? "inf" : "-inf");
    } else if (l > max_loss) {
        snprintf(what, sizeof what, "the loss %g exceeds %g", (double)l, max_loss);
    }
    if (!what[0]) {
        model_zero_grad(m);
        model_backward(m, y, B);
        // Adam in one pass, writing the old params, m and v to the undo record, which with
        // the pending small state becomes the state before this step.
        m->adam_t++;
        size_t f = m->frozen;   // frozen parameters: no update, no moments (model_set_freeze_conv)
        int bad = adam_update(cfg, m->adam_t, m->params + f, m->grads + f, m->adam_m + f,
                              m->adam_v + f, m->undo, m->nparams - f);
        StepState tmp = m->undo_small;
        m->undo_small = m->pending;
        m->pending = tmp;
        m->can_undo = 1;
        if (!bad) return 0;
        // a gradient or an update is not finite (rare): name the first one, then undo
        size_t n = m->nparams, i;
        char nm[64];
        for (i = f; i < n && isfinite(m->grads[i]); i++) {}
        if (i < n) {
            param_name(m, i, nm, sizeof nm);
            snprintf(what, sizeof what, "the gradient of %.60s is %s (loss %g)", nm,
                     isnan(m->grads[i]) ? "NaN" : m->grads[i] > 0 ? "inf" : "-inf", (double)l);
        } else {
            for (i = f; i < n && isfinite(m->params[i]) && isfinite(m->adam_m[i]) &&
                        isfinite(m->adam_v[i]);
                 i++) {}
            param_name(m, i, nm, sizeof nm);
            snprintf(what, sizeof what, "the update of %.60s would not be finite (loss %g)", nm,
                     (double)l);
        }
        model_undo_step(m); // back to the state before this step; nothing is left to undo
    } else {
        small_restore(m, &m->pending);
    }
    model_set_error(m, "training step refused: %s; weights left unchanged (learning rate too high?)",
                    what);
    return -1;
}

int model_train_step(Model *m, const float *x, const uint8_t *y, int B,
                     const AdamConfig *cfg, float *loss, int *correct) {
    return model_train_step_limit(m, x, y, B, cfg, INFINITY, loss, correct);
}

int model_eval_batch(Model *m, const float *x, const uint8_t *y, int B,
                     double *loss_sum, int *correct, uint8_t *pred) {
    if (check_labels(m, y, B) || model_forward(m, x, B, 0)) return -1;
    float l = model_loss(m, y, B);
    if (loss_sum) *loss_sum += (double)l * B;
    int k = count_correct(m, y, B, pred);
    if (correct) *correct += k;
    return 0;
}

int model_predict(Model *m, const float *x, float probs[NUM_CLASSES]) {
    if (model_forward(m, x, 1, 0)) return -1;
    uint8_t y0 = 0; // softmax_xent_forward wants a label; the loss is not used
    softmax_xent_forward(m->a.probs, m->a.logits, &y0, 1, m->num_classes);
    if (probs) memcpy(probs, m->a.probs, (size_t)m->num_classes * sizeof(float));
    return 0;
}
