// make_checkpoint_seeds.c - writes the seeds of fuzz_checkpoint into fuzz/corpus/checkpoint/:
// real checkpoints of short runs over the harness's synthetic dataset (CNN and CNN_SE, at
// the start, mid-epoch, at an epoch end and done; with and without augmentation and a
// validation split), stored in the target's 'H' form (header JSON + data length; the
// tensors themselves are synthesised by the target). Build and run from the repository root:
//   cc -std=c11 -Ic fuzz/make_checkpoint_seeds.c build/libexcite.a -lm -lpthread -o build/mkseeds && build/mkseeds
#define FUZZ_NO_ENTRY
#include "fuzz_checkpoint.c"

static void write_seed(Trainer *t, const char *name) {
    uint8_t *buf;
    size_t len;
    if (trainer_save_checkpoint(t, &buf, &len) != 0) { fprintf(stderr, "%s\n", trainer_error(t)); exit(1); }
    uint64_t hlen = 0;
    for (int i = 0; i < 8; i++) hlen |= (uint64_t)buf[i] << (8 * i);
    uint32_t data_len = (uint32_t)(len - 8 - hlen);
    char path[256];
    snprintf(path, sizeof path, "fuzz/corpus/checkpoint/%s", name);
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); exit(1); }
    uint8_t head[5] = {'H', (uint8_t)data_len, (uint8_t)(data_len >> 8), (uint8_t)(data_len >> 16), (uint8_t)(data_len >> 24)};
    fwrite(head, 1, 5, f);
    fwrite(buf + 8, 1, (size_t)hlen, f);
    fclose(f);
    free(buf);
    printf("%s: header %llu bytes, data %u bytes\n", path, (unsigned long long)hlen, data_len);
}

int main(void) {
    Dataset train, test;
    fuzz_checkpoint_data(&train, &test);
    for (int k = 0; k < 2; k++) {
        for (int variant = 0; variant < 2; variant++) {
            TrainConfig cfg = train_config_default();
            cfg.kind = k ? MODEL_CNN_SE : MODEL_CNN;
            cfg.seed = 5 + (uint64_t)k;
            cfg.epochs = 2;
            cfg.batch_size = 2;
            cfg.augment = variant;
            cfg.val = variant;   // variant 1: one training image held out for validation
            char err[256], name[64];
            Trainer *t = trainer_create(&cfg, &train, &test, err, sizeof err);
            if (!t) { fprintf(stderr, "%s\n", err); return 1; }
            const char *kn = k ? "cnn_se" : "cnn";
            snprintf(name, sizeof name, "%s_v%d_start", kn, variant); write_seed(t, name);
            BatchRecord br;
            EpochRecord er;
            if (trainer_step(t, &br) != TRAIN_OK) { fprintf(stderr, "%s\n", trainer_error(t)); return 1; }
            snprintf(name, sizeof name, "%s_v%d_mid_epoch", kn, variant); write_seed(t, name);
            while (!trainer_epoch_finished(t)) trainer_step(t, &br);
            snprintf(name, sizeof name, "%s_v%d_epoch_finished", kn, variant); write_seed(t, name);
            trainer_end_epoch(t, &er);
            snprintf(name, sizeof name, "%s_v%d_after_epoch", kn, variant); write_seed(t, name);
            while (!trainer_done(t)) {
                if (trainer_epoch_finished(t)) trainer_end_epoch(t, &er);
                else trainer_step(t, &br);
            }
            snprintf(name, sizeof name, "%s_v%d_done", kn, variant); write_seed(t, name);
            trainer_free(t);
        }
    }
    fuzz_checkpoint_cleanup();
    dataset_free(&train);
    dataset_free(&test);
    return 0;
}
