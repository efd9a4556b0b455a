// test_shapes.c - model shapes: the reduction ratio R and N classes with their names.
//   1. R = 16, N = 10 keep the bytes: the shipped weights load and save back byte for byte.
//   2. CNN_SE with R = 4 and 8, CNN and CNN_SE with 3 classes (UTF-8 names): saved, loaded
//      back with kind, R, N and names from the file, same logits; the files load into the
//      lesson's PyTorch classes (tests/reverse_model.py: ChannelAttention(in_channels,
//      reduction_ratio=R), model.fc2 = nn.Linear(512, N), load_state_dict(strict=True)).
//   3. R out of range, names that are not valid, "classes" metadata that is not valid: refused.
//   4. R that the shapes do not pin down (15 and 16 give the same sizes) kept by "reduction".
//   5. The split of classes.h: seeded, stratified, disjoint, ascending.
//   6. Fine-tuning (model_init_from) and frozen convolution blocks (model_set_freeze_conv):
//      what is copied, what trains, and that undo restores a frozen step.
//   7. A trainer of 3 classes, R = 8, frozen: its checkpoint resumes with them, and a
//      checkpoint without the newer settings (config.reduction, ...) still resumes.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "classes.h"
#include "model.h"
#include "safetensors.h"
#include "train.h"

#include "expect.h"

static const char *refdir;
static const char *NAMES[3] = {"猫", "dog \"quoted\"", "Ünïcödé"};

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) { free(b); b = NULL; }
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void fill_images(float *x, int B, uint64_t seed) {
    Rng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < (size_t)B * IMG_SIZE; i++) x[i] = rng_range(&r, -2, 2);
}

static ClassList three(void) {
    ClassList c;
    char e[200];
    if (class_list_set(&c, NAMES, 3, e, sizeof e)) printf("FAIL names: %s\n", e), exit(1);
    return c;
}

// 1. the shipped files: load and save back, same bytes; their shape is the lesson's
static void shipped_bytes(void) {
    const char *files[2] = {"weights/cnn.safetensors", "weights/cnn_se.safetensors"};
    for (int i = 0; i < 2; i++) {
        size_t len, len2;
        uint8_t *b = read_file(files[i], &len), *out = NULL;
        CHECK(b, "cannot read %s", files[i]);
        if (!b) continue;
        char e[300];
        Model *m = model_from_bytes(b, len, -1, 1, e, sizeof e);
        CHECK(m, "%s: %s", files[i], e);
        if (m) {
            CHECK(model_save_safetensors(m, 1, &out, &len2) == 0, "save");
            CHECK(len2 == len && memcmp(out, b, len) == 0, "%s: saved back (F16) differs", files[i]);
            CHECK(model_reduction(m) == 16 && model_num_classes(m) == 10 &&
                  class_list_is_cifar(model_classes(m)), "%s: not R 16, CIFAR-10", files[i]);
            printf("  %s: R %d, %d classes, saved back byte for byte\n", files[i], model_reduction(m),
                   model_num_classes(m));
        }
        free(out);
        free(b);
        model_free(m);
    }
    // model_create and model_create_shaped(16, CIFAR) are the same model, same bytes
    Model *a = model_create(MODEL_CNN_SE, 9, 2), *b = model_create_shaped(MODEL_CNN_SE, 16, NULL, 9, 2);
    uint8_t *ba, *bb;
    size_t la, lb;
    model_save_safetensors(a, 0, &ba, &la);
    model_save_safetensors(b, 0, &bb, &lb);
    CHECK(la == lb && !memcmp(ba, bb, la), "model_create != model_create_shaped(16, CIFAR)");
    free(ba); free(bb); model_free(a); model_free(b);
}

// 2. shapes round trip, and PyTorch loads them
static void shape_round_trip(ModelKind kind, int R, int n3) {
    ClassList c = three();
    Model *m = model_create_shaped(kind, R, n3 ? &c : NULL, 21, 4);
    CHECK(m, "create %s R %d", model_kind_name(kind), R);
    if (!m) return;
    int N = n3 ? 3 : 10;
    const Tensor *fc2 = model_find_tensor(m, "fc2.weight");
    CHECK(fc2->shape[0] == N && fc2->shape[1] == 512, "fc2 shape");
    if (kind == MODEL_CNN_SE)
        for (int i = 0; i < 3; i++) {
            const char *nm[3] = {"ca1.fc.0.weight", "ca2.fc.0.weight", "ca3.fc.0.weight"};
            CHECK(model_se_hidden(m, i) == (32 << i) / R && model_find_tensor(m, nm[i])->shape[0] == (32 << i) / R,
                  "hidden size of block %d", i);
        }
    // give the running statistics non-default values, so the file says something about them
    float x[4 * IMG_SIZE];
    fill_images(x, 4, 5);
    uint8_t y[4] = {0, 1, 2, 1};
    AdamConfig ac = adam_default();
    float loss;
    CHECK(model_train_step(m, x, y, 4, &ac, &loss, NULL) == 0, "train step: %s", model_error(m));
    CHECK(model_forward(m, x, 4, 0) == 0, "forward");
    float logits[40];
    memcpy(logits, model_logits(m), sizeof(float) * 4 * (size_t)N);
    uint8_t *buf;
    size_t len;
    CHECK(model_save_safetensors(m, 0, &buf, &len) == 0, "save");
    char e[300];
    Model *b = model_from_bytes(buf, len, -1, 4, e, sizeof e);
    CHECK(b, "load back: %s", e);
    if (b) {
        CHECK(model_kind(b) == kind && model_reduction(b) == (kind == MODEL_CNN_SE ? R : 16) &&
              model_num_classes(b) == N && class_list_equal(model_classes(b), model_classes(m)),
              "shape read back: kind %d R %d N %d", model_kind(b), model_reduction(b), model_num_classes(b));
        CHECK(model_forward(b, x, 4, 0) == 0 && !memcmp(model_logits(b), logits, sizeof(float) * 4 * (size_t)N),
              "logits after load differ");
        model_free(b);
    }
    // the lesson's PyTorch classes
    char wpath[600], lpath[600], cmd[1600];
    snprintf(wpath, sizeof wpath, "%s/shapes_%s_r%d_n%d.safetensors", refdir, model_kind_name(kind), R, N);
    snprintf(lpath, sizeof lpath, "%s/shapes_%s_r%d_n%d_logits.safetensors", refdir, model_kind_name(kind), R, N);
    FILE *f = fopen(wpath, "wb");
    CHECK(f && fwrite(buf, 1, len, f) == len, "write %s", wpath);
    if (f) fclose(f);
    uint64_t xs[4] = {4, 3, 32, 32}, ls[2] = {4, (uint64_t)N};
    StTensorIn lt[2] = {{"x", ST_F32, 4, xs, x}, {"logits", ST_F32, 2, ls, logits}};
    uint8_t *lb;
    size_t ll;
    CHECK(st_write(lt, 2, NULL, 0, &lb, &ll, e, sizeof e) == 0, "st_write: %s", e);
    f = fopen(lpath, "wb");
    CHECK(f && fwrite(lb, 1, ll, f) == ll, "write %s", lpath);
    if (f) fclose(f);
    free(lb);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/reverse_model.py %s %s %s 1e-4 --reduction %d --classes %d",
             model_kind_name(kind), wpath, lpath, R, N);
    fflush(stdout);
    CHECK(system(cmd) == 0, "PyTorch: %s", cmd);
    free(buf);
    model_free(m);
}

// 3, 4. refusals and the ambiguous R
static void refusals(void) {
    char e[300];
    CHECK(model_shape_check(MODEL_CNN_SE, 0, NULL, e, sizeof e) && strstr(e, "1..32"), "R 0: %s", e);
    CHECK(model_shape_check(MODEL_CNN_SE, 33, NULL, e, sizeof e), "R 33 accepted");
    CHECK(model_create_shaped(MODEL_CNN_SE, 33, NULL, 1, 1) == NULL, "R 33 created");
    Model *m32 = model_create_shaped(MODEL_CNN_SE, 32, NULL, 1, 1);
    CHECK(m32 && model_se_hidden(m32, 0) == 1 && model_se_hidden(m32, 2) == 4, "R 32: hidden 1, 2, 4");
    model_free(m32);
    ClassList c;
    const char *one[1] = {"a"}, *dup[2] = {"Cat", "cAT"}, *slash[2] = {"a/b", "c"}, *bad[2] = {"\xff\xfe", "c"},
               *empty[2] = {"", "c"}, *dot[2] = {"..", "c"};
    const char *eleven[11] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"};
    CHECK(class_list_set(&c, one, 1, e, sizeof e) && strstr(e, "2 to 10"), "one class: %s", e);
    CHECK(class_list_set(&c, eleven, 11, e, sizeof e) && strstr(e, "2 to 10"), "eleven: %s", e);
    CHECK(class_list_set(&c, dup, 2, e, sizeof e) && strstr(e, "duplicate"), "dup: %s", e);
    CHECK(class_list_set(&c, slash, 2, e, sizeof e) && strstr(e, "'/'"), "slash: %s", e);
    CHECK(class_list_set(&c, bad, 2, e, sizeof e) && strstr(e, "UTF-8"), "utf8: %s", e);
    CHECK(class_list_set(&c, empty, 2, e, sizeof e) && strstr(e, "empty"), "empty: %s", e);
    CHECK(class_list_set(&c, dot, 2, e, sizeof e), "'..' accepted");
    // JSON: Python's \u escapes (also a surrogate pair) and raw UTF-8 give the same names
    CHECK(class_list_from_json(&c, " [\"\\u732b\", \"\\ud83d\\ude00\" , \"x\\\"y\"] ", e, sizeof e) == 0 &&
          !strcmp(c.name[0], "猫") && !strcmp(c.name[1], "\xf0\x9f\x98\x80") && !strcmp(c.name[2], "x\"y"),
          "JSON escapes: %s", e);
    CHECK(class_list_from_json(&c, "[\"a\",\"b\"", e, sizeof e), "unterminated array accepted");
    CHECK(class_list_from_json(&c, "[\"\\ud800\",\"b\"]", e, sizeof e), "lone surrogate accepted");
    // a file whose "classes" metadata does not match fc2, or is not JSON: refused with a message
    Model *m = model_create_shaped(MODEL_CNN, 16, NULL, 1, 1);
    uint8_t *buf;
    size_t len;
    model_save_safetensors(m, 0, &buf, &len);
    StFile f;
    st_parse(&f, buf, len, e, sizeof e);
    StTensorIn in[40];
    uint64_t shp[40][4];
    for (int i = 0; i < f.n_entries; i++) {
        for (int d = 0; d < f.entries[i].ndim; d++) shp[i][d] = f.entries[i].shape[d];
        in[i] = (StTensorIn){f.entries[i].name, f.entries[i].dtype, f.entries[i].ndim, shp[i], f.entries[i].data};
    }
    const char *metas[3][2] = {{"classes", "[\"a\",\"b\"]"}, {"classes", "not json"}, {"reduction", "0"}};
    const char *want[3] = {"names 2 classes", "not a JSON array", "reduction"};
    for (int k = 0; k < 3; k++) {
        uint8_t *o;
        size_t ol;
        const char *kv[2] = {metas[k][0], metas[k][1]};
        st_write(in, f.n_entries, kv, 1, &o, &ol, e, sizeof e);
        Model *x = model_from_bytes(o, ol, -1, 1, e, sizeof e);
        CHECK(!x && strstr(e, want[k]), "metadata %s=%s: %s", kv[0], kv[1], x ? "loaded" : e);
        printf("  %-32s -> %s\n", metas[k][1], e);
        model_free(x);
        free(o);
    }
    st_free(&f);
    free(buf);
    model_free(m);
    // R = 15 has R = 16's shapes: kept by the "reduction" metadata
    Model *r15 = model_create_shaped(MODEL_CNN_SE, 15, NULL, 1, 1);
    model_save_safetensors(r15, 0, &buf, &len);
    Model *back = model_from_bytes(buf, len, -1, 1, e, sizeof e);
    CHECK(back && model_reduction(back) == 15, "R 15 read back as %d", back ? model_reduction(back) : -1);
    model_free(back); free(buf); model_free(r15);
}

// 5. the split
static void split(void) {
    enum { n = 45 };
    uint8_t labels[n];
    for (int i = 0; i < n; i++) labels[i] = (uint8_t)(i < 10 ? 0 : i < 40 ? 1 : 2);   // 10, 30, 5
    ClassList c = three();
    int tr[n], te[n], ntr, nte, tr2[n], te2[n], ntr2, nte2;
    char e[300];
    CHECK(split_stratified(labels, n, &c, 0.2, 7, tr, &ntr, te, &nte, e, sizeof e) == 0, "%s", e);
    CHECK(split_stratified(labels, n, &c, 0.2, 7, tr2, &ntr2, te2, &nte2, e, sizeof e) == 0, "%s", e);
    CHECK(ntr == ntr2 && !memcmp(tr, tr2, sizeof(int) * (size_t)ntr) && !memcmp(te, te2, sizeof(int) * (size_t)nte),
          "same seed, another split");
    int per[3] = {0, 0, 0}, seen[n] = {0};
    for (int i = 0; i < nte; i++) per[labels[te[i]]]++, seen[te[i]]++;
    for (int i = 0; i < ntr; i++) seen[tr[i]]++;
    CHECK(per[0] == 2 && per[1] == 6 && per[2] == 1, "per-class test counts %d %d %d (want 2 6 1)", per[0], per[1], per[2]);
    int ok = ntr + nte == n;
    for (int i = 0; i < n; i++) ok &= seen[i] == 1;
    for (int i = 1; i < ntr; i++) ok &= tr[i - 1] < tr[i];
    for (int i = 1; i < nte; i++) ok &= te[i - 1] < te[i];
    CHECK(ok, "the split is not a partition in ascending order");
    CHECK(split_stratified(labels, n, &c, 0.2, 8, tr2, &ntr2, te2, &nte2, e, sizeof e) == 0 &&
          memcmp(te, te2, sizeof(int) * (size_t)nte), "seeds 7 and 8 give the same test set");
    labels[44] = 1;
    labels[43] = 1; labels[42] = 1; labels[41] = 1;   // class 2 keeps one picture
    CHECK(split_stratified(labels, n, &c, 0.2, 7, tr, &ntr, te, &nte, e, sizeof e) && strstr(e, "Ünïcödé"),
          "a class of 1 picture: %s", e);
    CHECK(split_stratified(labels, n, &c, 1.0, 7, tr, &ntr, te, &nte, e, sizeof e), "fraction 1 accepted");
    printf("  split: 10/30/5 pictures, fraction 0.2 -> test 2/6/1, seeded, ascending\n");
}

// 6. fine-tuning and freezing
static void finetune(void) {
    size_t len;
    uint8_t *b = read_file("weights/cnn_se.safetensors", &len);
    char e[300];
    Model *pre = b ? model_from_bytes(b, len, -1, 1, e, sizeof e) : NULL;
    CHECK(pre, "shipped CNN_SE");
    if (!pre) { free(b); return; }
    ClassList c = three();
    Model *m = model_create_shaped(MODEL_CNN_SE, 16, &c, 3, 8), *fresh = model_create_shaped(MODEL_CNN_SE, 16, &c, 3, 8);
    CHECK(model_init_from(m, pre) == 0, "init_from: %s", model_error(m));
    int same_blocks = 1;
    for (int i = 0; i < model_num_tensors(m); i++) {
        const Tensor *t = model_tensor(m, i), *p = model_find_tensor(pre, t->name), *f = model_tensor(fresh, i);
        const Tensor *want = strncmp(t->name, "fc2.", 4) ? p : f;
        if (t->dtype == DTYPE_I64) same_blocks &= *t->data_i64 == *want->data_i64;
        else same_blocks &= !memcmp(t->data, want->data, t->numel * sizeof(float));
    }
    CHECK(same_blocks, "init_from: blocks and fc1 from the pretrained model, fc2 fresh");
    Model *r8 = model_create_shaped(MODEL_CNN_SE, 8, &c, 3, 1), *cnn = model_create_shaped(MODEL_CNN, 16, &c, 3, 1);
    CHECK(model_init_from(r8, pre) && strstr(model_error(r8), "hidden sizes"), "R 8 from R 16: %s", model_error(r8));
    CHECK(model_init_from(cnn, pre) && strstr(model_error(cnn), "CNN from CNN_SE"), "kind: %s", model_error(cnn));
    // frozen steps
    model_set_freeze_conv(m, 1);
    float x[8 * IMG_SIZE];
    fill_images(x, 8, 9);
    uint8_t y[8] = {0, 1, 2, 0, 1, 2, 0, 1};
    const Tensor *cw = model_find_tensor(m, "conv2.weight"), *rv = model_find_tensor(m, "bn3.running_var"),
                 *se = model_find_tensor(m, "ca1.fc.2.weight"), *f1 = model_find_tensor(m, "fc1.weight");
    float *cw0 = malloc(cw->numel * 4), *rv0 = malloc(rv->numel * 4), *f10 = malloc(f1->numel * 4), *se0 = malloc(se->numel * 4);
    memcpy(cw0, cw->data, cw->numel * 4); memcpy(rv0, rv->data, rv->numel * 4);
    memcpy(f10, f1->data, f1->numel * 4); memcpy(se0, se->data, se->numel * 4);
    AdamConfig ac = adam_default();
    ac.weight_decay = 0.1f;
    float l;
    for (int s = 0; s < 2; s++) CHECK(model_train_step(m, x, y, 8, &ac, &l, NULL) == 0, "frozen step");
    size_t head = f1->offset, nzero = 0;
    for (size_t i = 0; i < head; i++) nzero += model_adam_m(m)[i] == 0 && model_adam_v(m)[i] == 0;
    CHECK(!memcmp(cw0, cw->data, cw->numel * 4) && !memcmp(se0, se->data, se->numel * 4), "frozen weights changed");
    CHECK(memcmp(rv0, rv->data, rv->numel * 4), "running statistics not updated in train mode");
    CHECK(memcmp(f10, f1->data, f1->numel * 4), "fc1 did not train");
    CHECK(nzero == head, "Adam moments of frozen parameters are not zero (%zu of %zu)", nzero, head);
    // undo of a frozen step restores fc1 and the statistics
    memcpy(f10, f1->data, f1->numel * 4); memcpy(rv0, rv->data, rv->numel * 4);
    CHECK(model_train_step(m, x, y, 8, &ac, &l, NULL) == 0 && model_undo_step(m) == 0, "undo");
    CHECK(!memcmp(f10, f1->data, f1->numel * 4) && !memcmp(rv0, rv->data, rv->numel * 4), "undo of a frozen step");
    printf("  fine-tuning: blocks + fc1 copied, fc2 fresh; frozen: conv and SE fixed, bn statistics and fc1 train\n");
    free(cw0); free(rv0); free(f10); free(se0);
    model_free(pre); model_free(m); model_free(fresh); model_free(r8); model_free(cnn);
    free(b);
}

// 7. checkpoints keep the shape; older checkpoints resume
static void checkpoints(void) {
    enum { n = 24 };
    Dataset tr = {n, malloc(n), malloc((size_t)n * IMG_SIZE)}, te = {9, malloc(9), malloc(9 * IMG_SIZE)};
    Rng r;
    rng_seed(&r, 4);
    for (int i = 0; i < n; i++) tr.labels[i] = (uint8_t)(i % 3);
    for (int i = 0; i < 9; i++) te.labels[i] = (uint8_t)(i % 3);
    for (size_t i = 0; i < (size_t)n * IMG_SIZE; i++) tr.images[i] = (uint8_t)rng_below(&r, 256);
    for (size_t i = 0; i < 9 * IMG_SIZE; i++) te.images[i] = (uint8_t)rng_below(&r, 256);
    TrainConfig cfg = train_config_default();
    cfg.kind = MODEL_CNN_SE;
    cfg.reduction = 8;
    cfg.freeze_conv = 1;
    cfg.batch_size = 8;
    cfg.epochs = 1;
    ClassList c = three();
    char e[600];
    Trainer *t = trainer_create_classes(&cfg, &c, &tr, &te, e, sizeof e);
    CHECK(t, "trainer: %s", e);
    if (!t) return;
    BatchRecord br;
    CHECK(trainer_step(t, &br) == TRAIN_OK, "step: %s", trainer_error(t));
    uint8_t *ck;
    size_t cl;
    CHECK(trainer_save_checkpoint(t, &ck, &cl) == 0, "checkpoint");
    Trainer *u = trainer_resume(ck, cl, &tr, &te, e, sizeof e);
    CHECK(u && class_list_equal(model_classes(trainer_model(u)), &c) && model_reduction(trainer_model(u)) == 8 &&
          model_freeze_conv(trainer_model(u)) && trainer_config(u)->reduction == 8, "resume: %s", u ? "shape lost" : e);
    BatchRecord b1, b2;
    if (u) {
        CHECK(trainer_step(t, &b1) == TRAIN_OK && trainer_step(u, &b2) == TRAIN_OK && b1.loss == b2.loss,
              "resumed step loss %g vs %g", (double)b2.loss, (double)b1.loss);
    }
    trainer_free(u);
    // labels outside the classes
    tr.labels[5] = 3;
    Trainer *v = trainer_create_classes(&cfg, &c, &tr, &te, e, sizeof e);
    CHECK(!v && strstr(e, "label 3"), "label 3 with 3 classes: %s", v ? "accepted" : e);
    trainer_free(v);
    tr.labels[5] = 2;
    // a checkpoint of a CIFAR-shaped run without the newer settings resumes with their defaults
    cfg.reduction = 16;
    cfg.freeze_conv = 0;
    Trainer *w = trainer_create(&cfg, &tr, &te, e, sizeof e);
    free(ck);
    CHECK(w && trainer_save_checkpoint(w, &ck, &cl) == 0, "cifar-shaped checkpoint: %s", e);
    StFile f;
    st_parse(&f, ck, cl, e, sizeof e);
    StTensorIn *in = calloc((size_t)f.n_entries, sizeof *in);
    uint64_t (*shp)[4] = calloc((size_t)f.n_entries, sizeof *shp);
    const char **kv = calloc((size_t)f.n_meta * 2, sizeof *kv);
    int nm = 0;
    for (int i = 0; i < f.n_entries; i++) {
        for (int d = 0; d < f.entries[i].ndim; d++) shp[i][d] = f.entries[i].shape[d];
        in[i] = (StTensorIn){f.entries[i].name, f.entries[i].dtype, f.entries[i].ndim, shp[i], f.entries[i].data};
    }
    for (int i = 0; i < f.n_meta; i++) {
        const char *k = f.meta[i].key;
        if (!strcmp(k, "config.reduction") || !strcmp(k, "config.freeze_conv") || !strcmp(k, "config.test_fraction")) continue;
        kv[2 * nm] = k;
        kv[2 * nm++ + 1] = f.meta[i].value;
    }
    uint8_t *old;
    size_t ol;
    CHECK(st_write(in, f.n_entries, kv, nm, &old, &ol, e, sizeof e) == 0, "%s", e);
    Trainer *x = trainer_resume(old, ol, &tr, &te, e, sizeof e);
    CHECK(x && trainer_config(x)->reduction == 16 && !trainer_config(x)->freeze_conv, "older checkpoint: %s", x ? "" : e);
    printf("  checkpoints keep classes, R 8 and freezing; one without config.reduction resumes with R 16\n");
    trainer_free(x); trainer_free(w); trainer_free(t);
    free(old); free(in); free(shp); free(kv); free(ck);
    st_free(&f);
    dataset_free(&tr);
    dataset_free(&te);
}

int main(int argc, char **argv) {
    refdir = argc > 1 ? argv[1] : "build/ref";
    shipped_bytes();
    shape_round_trip(MODEL_CNN_SE, 4, 0);
    shape_round_trip(MODEL_CNN_SE, 8, 0);
    shape_round_trip(MODEL_CNN_SE, 16, 1);
    shape_round_trip(MODEL_CNN_SE, 8, 1);
    shape_round_trip(MODEL_CNN, 16, 1);
    refusals();
    split();
    finetune();
    checkpoints();
    if (failures) {
        printf("test_shapes: %d FAILED\n", failures);
        return 1;
    }
    printf("test_shapes: all passed\n");
    return 0;
}
