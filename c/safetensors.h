// safetensors.h - a small, strict reader and writer of the safetensors format:
//   8 bytes  little-endian u64 N = header length
//   N bytes  JSON object: {"__metadata__": {"k": "v", ...},
//                          "name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...}
//   rest     the tensor bytes, offsets relative to the start of this section.
// The parser checks everything (header length against the file size, JSON syntax, known
// dtypes, shapes, offsets: in range, numel * dtype size, no overlap, no holes, duplicate
// names) and fills an StFile whose entries point into the caller's buffer. It has no global
// state and never reads outside (buf, len). It knows nothing about the model: model.c
// checks names, shapes and values against the state dict.
#ifndef EXCITE_SAFETENSORS_H
#define EXCITE_SAFETENSORS_H
#include <stddef.h>
#include <stdint.h>

enum { ST_MAX_NDIM = 8 };
// Header larger than this is refused (the reference implementation uses the same limit).
#define ST_MAX_HEADER ((uint64_t)100 * 1000 * 1000)

typedef enum {
    ST_BOOL, ST_U8, ST_I8, ST_U16, ST_I16, ST_F16, ST_BF16, ST_U32, ST_I32, ST_F32,
    ST_U64, ST_I64, ST_F64, ST_NUM_DTYPES
} StDType;

typedef struct {
    char *name;               // NUL-terminated UTF-8 (an embedded \u0000 is refused)
    StDType dtype;
    int ndim;                 // 0 for a scalar
    uint64_t shape[ST_MAX_NDIM];
    uint64_t numel;
    uint64_t begin, end;      // byte offsets in the data section
    const uint8_t *data;      // buf + data section start + begin (unaligned, little-endian)
} StEntry;

typedef struct {
    char *key, *value;
} StMeta;

typedef struct {
    StEntry *entries;         // in header order
    int n_entries;
    StMeta *meta;             // __metadata__ pairs in header order
    int n_meta;
    uint64_t header_len;
    const uint8_t *data;      // start of the data section
    uint64_t data_len;
} StFile;

// Parse buf[0..len). Returns 0, or -1 with a message in err (f is then empty and needs no
// st_free). On success free with st_free.
int st_parse(StFile *f, const uint8_t *buf, size_t len, char *err, size_t errlen);
void st_free(StFile *f);
const StEntry *st_find(const StFile *f, const char *name);
const char *st_find_meta(const StFile *f, const char *key);

size_t st_dtype_size(StDType t);
const char *st_dtype_name(StDType t);   // "F32", "I64", ...

// One tensor to write; data holds numel * st_dtype_size(dtype) bytes, little-endian.
typedef struct {
    const char *name;
    StDType dtype;
    int ndim;
    const uint64_t *shape;
    const void *data;
} StTensorIn;

// Write tensors (in the given order, contiguous) and metadata pairs (meta_kv[2i] = key,
// meta_kv[2i+1] = value; n_meta pairs, may be 0) into a malloc'ed buffer. The header is
// padded with spaces to a multiple of 8 bytes. Returns 0 or -1 with a message.
int st_write(const StTensorIn *t, int n, const char *const *meta_kv, int n_meta,
             uint8_t **out, size_t *out_len, char *err, size_t errlen);

// Conversions used for F16 / BF16 tensors (round to nearest even on the way down).
float st_f16_to_f32(uint16_t h);
uint16_t st_f32_to_f16(float f);
float st_bf16_to_f32(uint16_t h);

#endif
