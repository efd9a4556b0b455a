// model.h - the two networks of the lesson, CNN and CNN_SE, as one opaque Model:
// parameters, gradients, Adam moments and batch-norm buffers in flat arrays, activations
// in one arena sized for a batch (allocated once, grown only if a larger batch comes).
//
//   CNN:    [conv(3->32)  bn relu       pool] [conv(32->64) bn relu       pool]
//           [conv(64->128) bn relu       pool] flatten(C,H,W) fc1(2048->512) relu dropout(0.5) fc2(512->N)
//   CNN_SE: the same with an SE block caN after each relu, before each pool.
//
// Shape: the SE blocks' reduction ratio R (hidden size C / R, integer division as the lesson's
// ChannelAttention(in_channels, reduction_ratio=R); 1..REDUCTION_MAX so that every block keeps
// at least one hidden unit; default 16) and the number of classes N (2..10: fc2 is (N, 512))
// with their names (classes.h). model_create makes the lesson's R = 16, N = 10 (CIFAR-10).
//
// Tensor names and shapes are PyTorch's state_dict keys (conv1.weight, bn1.running_var,
// bn1.num_batches_tracked, ca1.fc.0.weight, fc2.bias, ...).
// Errors: functions returning int give 0 on success and -1 on failure, with a message
// in model_error(m). Nothing here prints or exits.
#ifndef EXCITE_MODEL_H
#define EXCITE_MODEL_H
#include <stddef.h>
#include <stdint.h>
#include "classes.h"
#include "optim.h"
#include "rng.h"
#include "safetensors.h"

// NUM_CLASSES: the most classes a model has (CIFAR-10's 10); a model's own count is
// model_num_classes().
enum { NUM_CLASSES = CLASSES_MAX, IMG_C = 3, IMG_H = 32, IMG_W = 32, IMG_SIZE = 3 * 32 * 32,
       NUM_BLOCKS = 3 };
enum { REDUCTION_DEFAULT = 16, REDUCTION_MAX = 32 };

typedef enum { MODEL_CNN = 0, MODEL_CNN_SE = 1 } ModelKind;

typedef enum { DTYPE_F32 = 0, DTYPE_F16 = 1, DTYPE_I64 = 2 } DType;

// One named tensor of the state dict. Parameters are trainable; buffers (running
// statistics) are not; num_batches_tracked is an int64 scalar (ndim 0).
typedef struct {
    const char *name;     // e.g. "conv1.weight"
    int ndim;
    int shape[4];
    size_t numel;
    int trainable;        // 1: parameter (has gradient and Adam moments); 0: buffer
    DType dtype;          // DTYPE_F32 or DTYPE_I64 (num_batches_tracked)
    size_t offset;        // F32 tensors: index of the first float in the model's float memory
                          // (params, then buffers); for a parameter, also in the gradients and
                          // in the Adam moments (model_adam_m/v)
    float *data;          // F32 tensors: points into the model's memory (= params + offset)
    int64_t *data_i64;    // I64 tensors
} Tensor;

typedef struct Model Model;

// Build a model with PyTorch's default initialisation drawn from the seeded generator.
// max_batch: the arena is sized for it (grown later if a larger batch is passed).
// Returns NULL only when memory runs out.
Model *model_create(ModelKind kind, uint64_t seed, int max_batch);
// The same with reduction ratio R (ignored by CNN) and the classes (NULL: CIFAR-10's). The
// initialisation draws the same numbers in the same order whatever the shape (state-dict
// order). NULL if the shape is not valid (model_shape_check says why) or memory runs out.
Model *model_create_shaped(ModelKind kind, int reduction, const ClassList *classes,
                           uint64_t seed, int max_batch);
// R in 1..REDUCTION_MAX and classes valid (class_list_check): 0, or -1 with a message.
int model_shape_check(ModelKind kind, int reduction, const ClassList *classes, char *err,
                      size_t errlen);
void model_free(Model *m);
int model_reduction(const Model *m);           // R (CNN: what it was created with, unused)
int model_se_hidden(const Model *m, int block); // C / R of block 0..2 (CNN_SE), 0 for CNN
int model_num_classes(const Model *m);         // N
const ClassList *model_classes(const Model *m);
// New names for the model's N classes (checked). 0, or -1 with a message in model_error.
int model_set_classes(Model *m, const ClassList *c);
// Fine-tuning: copy the convolution blocks (conv, bn with its running statistics and
// num_batches_tracked, SE) and fc1 of src, a model of the same kind and SE hidden sizes with
// any number of classes; fc2 keeps its own (fresh) values, Adam's moments and step are reset.
// 0, or -1 with a message (different kind or hidden sizes).
int model_init_from(Model *m, const Model *src);
// Freeze the convolution blocks (1) or not (0): as PyTorch's requires_grad = False on their
// parameters, with the model in train mode. Training steps then update only fc1 and fc2
// (Adam skips the frozen parameters: no moments, no weight decay, no change); batch norm
// still normalises with the batch's statistics and updates its running statistics, as
// PyTorch's BatchNorm2d does in train mode whatever requires_grad says. The backward pass
// stops at fc1 (nothing below it needs a gradient), so frozen steps are faster.
void model_set_freeze_conv(Model *m, int on);
int model_freeze_conv(const Model *m);
ModelKind model_kind(const Model *m);
const char *model_kind_name(ModelKind kind);   // "CNN" or "CNN_SE"
const char *model_error(const Model *m);
Rng *model_rng(Model *m);                      // the generator used for dropout
void model_set_dropout(Model *m, float p);     // default 0.5; 0 turns dropout off

// ---- state dict -----------------------------------------------------------------------
int model_num_tensors(const Model *m);
const Tensor *model_tensor(const Model *m, int i);
const Tensor *model_find_tensor(const Model *m, const char *name);
size_t model_num_params(const Model *m);       // trainable scalars

// ---- training -------------------------------------------------------------------------
// x: (B,3,32,32) normalised images; y: (B) labels.
// Forward only; train != 0 uses batch statistics (and updates running ones) and dropout.
int model_forward(Model *m, const float *x, int B, int train);
const float *model_logits(const Model *m);     // (B,N) of the last forward
const float *model_probs(const Model *m);      // (B,N) after model_loss or model_predict
float model_loss(Model *m, const uint8_t *y, int B);   // softmax cross-entropy, mean
void model_zero_grad(Model *m);
void model_backward(Model *m, const uint8_t *y, int B); // after forward + loss
void model_adam_step(Model *m, const AdamConfig *cfg); // adam_update (optim.h) on the model
// One full step: forward (train mode), loss, zero_grad, backward, Adam. If the loss or any
// gradient or update is not finite, the step is not applied (weights, moments, running
// statistics, Adam's step count and the dropout generator stay as they were) and -1 is
// returned with a message naming the value; *loss is set either way.
int model_train_step(Model *m, const float *x, const uint8_t *y, int B,
                     const AdamConfig *cfg, float *loss, int *correct);
// The same, also refusing a step whose loss is above max_loss (before the backward pass).
int model_train_step_limit(Model *m, const float *x, const uint8_t *y, int B,
                           const AdamConfig *cfg, double max_loss, float *loss, int *correct);
// Back to the state before the last applied training step (the same state list as above),
// once: the model keeps one step of history, written by Adam's pass. -1 (with a message) if
// there is none: no step yet, already undone, or the last step was refused after Adam ran
// (its undo was used), or weights were loaded or model_adam_step ran since. Writes through
// Tensor.data are not tracked: undo restores what the step saw before it.
int model_undo_step(Model *m);
// Eval-mode forward of a batch: sum of per-image losses, number correct, predictions.
int model_eval_batch(Model *m, const float *x, const uint8_t *y, int B,
                     double *loss_sum, int *correct, uint8_t *pred /* (B) or NULL */);
int model_predict(Model *m, const float *x, float probs[NUM_CLASSES]); // one image, eval: N probs

// Adam state, for checkpoints: moments are flat arrays over the trainable tensors in
// state-dict order (model_num_params() floats each).
float *model_adam_m(Model *m);
float *model_adam_v(Model *m);
int64_t *model_adam_t(Model *m);

// ---- inspection (after a forward; image indexes the last batch) ------------------------
typedef enum { MAP_CONV = 0, MAP_RELU = 1, MAP_SE = 2 } MapKind;
// Block 0..2 feature map (C,H,W) of one image: conv output (before BN), after ReLU, or after
// SE scaling (CNN_SE only). Returns NULL if not available.
const float *model_feature_map(const Model *m, int block, MapKind which, int image,
                               int *C, int *H, int *W);
// SE internals of one image at a block (CNN_SE only; NULL otherwise): channel means
// pooled (C), hidden before/after ReLU (C/R), z before the sigmoid (C), s = sigmoid(z) (C).
// R here is the hidden size C/R (SEView.R), not the ratio.
typedef struct {
    int C, R;
    const float *pooled, *hidden_pre, *hidden, *z, *s;
} SEView;
int model_se_view(const Model *m, int block, int image, SEView *out);
// Grad-CAM of one image for class cls at a block: cam (H,W) of that block (32, 16 or 8),
// relu(sum_c alpha_c A_c) with alpha_c the spatial mean of d logit_cls / d A_c, where A is
// the block's output before pooling (after SE for CNN_SE). Not normalised. Also runs the
// eval forward, so feature maps and probs of that image are available after it.
int model_gradcam(Model *m, const float *x, int cls, int block, float *cam, int *H, int *W);

// ---- safetensors (model_io.c) ---------------------------------------------------------
// Load replaces every tensor or nothing: the file is fully checked first (header, dtypes
// F32/F16 for floats and I64 for num_batches_tracked, shapes, offsets, missing and extra
// keys, non-finite values) and the model is untouched on failure.
int model_load_safetensors(Model *m, const uint8_t *data, size_t len);
// The same load from a file already parsed (model_load_safetensors is st_parse + this),
// ignoring the entries whose names start with skip (NULL: none; a checkpoint's "adam.").
// Every other entry must be a tensor of the model, as in a weights file.
// The shapes must be the model's (kind, R's hidden sizes, N); the class names come from the
// file's "classes" metadata (classes.h: CIFAR-10's or numbered names without it).
int model_load_st(Model *m, const StFile *f, const char *skip);
// What model a parsed weights file or checkpoint is for: the kind (CNN_SE iff it holds
// ca1.fc.0.weight), R (the metadata "reduction" if present, which must fit the shapes; else
// the largest R in 1..REDUCTION_MAX that gives the file's SE hidden sizes: the lesson's 16
// for its (2, 4, 8); 16 for CNN), N (fc2.weight's rows) and the names (classes.h).
// 0, or -1 with a message. The file may still fail to load (model_load_st checks the rest).
int model_file_shape(const StFile *f, ModelKind *kind, int *reduction, ClassList *classes,
                     char *err, size_t errlen);
// Save the state dict (F32, or F16 for floats when half != 0). *out is malloc'ed. Metadata:
// format "pt", model (CNN|CNN_SE), and only when they are not the lesson's: "reduction" (an
// integer, CNN_SE with R != 16) and "classes" (not CIFAR-10's), so R = 16, N = 10 files keep
// their bytes.
int model_save_safetensors(Model *m, int half, uint8_t **out, size_t *len);
int model_load_file(Model *m, const char *path);
int model_save_file(Model *m, const char *path, int half);

#endif
