// checkpoint.h - a training run to and from a file, and models from weights files.
// A checkpoint is a safetensors file: the model's state dict (the tensors a weights file
// holds, so any safetensors reader loads its weights), adam.m.<name> / adam.v.<name> for
// every trainable tensor, and __metadata__ strings: checkpoint_format, model, the settings
// (config.<name>, one per line of TRAIN_SETTINGS), the data sizes (data.*) and the loop
// state (state.*: epoch, position, step, lr, plateau, generators, running loss). Included
// by train.h; implemented in checkpoint.c.
#ifndef EXCITE_CHECKPOINT_H
#define EXCITE_CHECKPOINT_H
#include <stddef.h>
#include <stdint.h>
#include "train.h"

int trainer_save_checkpoint(Trainer *t, uint8_t **out, size_t *len);
int trainer_save_checkpoint_file(Trainer *t, const char *path);   // atomically (tmp + rename)
// The settings stored in a checkpoint, plus the dataset sizes it was made with (so the
// caller can load the same data): train_images counts the validation images too.
int checkpoint_read_config(const uint8_t *data, size_t len, TrainConfig *cfg,
                           int *train_images, int *test_images, char *err, size_t errlen);
// Continue a run: the data must be the same as when the checkpoint was saved.
Trainer *trainer_resume(const uint8_t *data, size_t len, const Dataset *train,
                        const Dataset *test, char *err, size_t errlen);

// ---- weights files ----------------------------------------------------------------------
// The model kind a safetensors file holds: CNN_SE iff it has ca1.fc.0.weight.
int weights_detect_kind(const uint8_t *data, size_t len, ModelKind *kind, char *err, size_t errlen);
// A model from a weights file or a checkpoint (its state dict part). kind < 0: detected.
Model *model_from_bytes(const uint8_t *data, size_t len, int kind, int max_batch, char *err,
                        size_t errlen);

#endif
