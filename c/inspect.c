// inspect.c - what the page shows about a model: each block's feature maps (conv output,
// after ReLU, after SE), the SE block's internals, and Grad-CAM. Reads the activations of
// the last forward (model.c); Grad-CAM runs its own eval forward of one image.
#include "model_impl.h"
#include "layers.h"
#include <string.h>

const float *model_feature_map(const Model *m, int block, MapKind which, int image,
                               int *C, int *H, int *W) {
    if (block < 0 || block >= NUM_BLOCKS || image < 0 || image >= m->last_B) return NULL;
    int c = blk_c(block), h = blk_h(block);
    const float *base;
    switch (which) {
    case MAP_CONV: base = m->a.conv[block]; break;
    case MAP_RELU: base = m->a.act[block]; break;
    case MAP_SE: base = model_has_se(m) ? m->a.se_out[block] : NULL; break;
    default: base = NULL;
    }
    if (!base) return NULL;
    if (C) *C = c;
    if (H) *H = h;
    if (W) *W = h;
    return base + (size_t)image * c * h * h;
}

int model_se_view(const Model *m, int block, int image, SEView *out) {
    if (!model_has_se(m) || block < 0 || block >= NUM_BLOCKS || image < 0 || image >= m->last_B)
        return -1;
    int c = blk_c(block), r = m->hidden[block];
    const Acts *a = &m->a;
    out->C = c;
    out->R = r;
    out->pooled = a->se_pooled[block] + (size_t)image * c;
    out->hidden_pre = a->se_hpre[block] + (size_t)image * r;
    out->hidden = a->se_h[block] + (size_t)image * r;
    out->z = a->se_z[block] + (size_t)image * c;
    out->s = a->se_s[block] + (size_t)image * c;
    return 0;
}

static float *ZERO(float *p, int n) {
    memset(p, 0, (size_t)n * sizeof(float));
    return p;
}

// d logit_cls / d A_block through the eval-mode network (BN as a fixed affine map), then
// cam = relu(sum_c mean_hw(dA_c) * A_c).
int model_gradcam(Model *m, const float *x, int cls, int block, float *cam, int *H, int *W) {
    if (cls < 0 || cls >= m->num_classes || block < 0 || block >= NUM_BLOCKS) {
        model_set_error(m, "Grad-CAM: class %d or block %d out of range", cls, block);
        return -1;
    }
    if (model_forward(m, x, 1, 0)) return -1;
    Acts *a = &m->a;
    uint8_t y0 = (uint8_t)cls;
    softmax_xent_forward(a->probs, a->logits, &y0, 1, m->num_classes);
    float *cur = a->g0, *nxt = a->g1, *t;
#define SWAP() (t = cur, cur = nxt, nxt = t)
    ZERO(cur, m->num_classes);
    cur[cls] = 1.0f;
    linear_backward(ZERO(nxt, FC1_OUT), NULL, NULL, cur, a->h1, m->P.fc2_w, 1, FC1_OUT, m->num_classes);
    SWAP();
    relu_backward(ZERO(nxt, FC1_OUT), cur, a->h1, FC1_OUT);
    SWAP();
    linear_backward(ZERO(nxt, FC1_IN), NULL, NULL, cur, a->pool[NUM_BLOCKS - 1], m->P.fc1_w, 1,
                    FC1_IN, FC1_OUT);
    SWAP();
    for (int i = NUM_BLOCKS - 1; i >= block; i--) {
        int c = blk_c(i), h = blk_h(i), hw = h * h;
        maxpool2x2_backward(ZERO(nxt, c * hw), cur, a->argmax[i], 1, c, h, h);
        SWAP();
        if (i == block) break; // cur = d logit / d A_block
        if (model_has_se(m)) {
            se_backward(ZERO(nxt, c * hw), NULL, NULL, cur, a->act[i], a->se_pooled[i], a->se_h[i],
                        a->se_s[i], m->P.se_w1[i], m->P.se_w2[i], 1, c, hw, m->hidden[i]);
            SWAP();
        }
        relu_backward(ZERO(nxt, c * hw), cur, a->act[i], (size_t)c * hw);
        SWAP();
        batchnorm_backward_eval(ZERO(nxt, c * hw), cur, m->P.bn_w[i], m->running_var[i], 1, c, hw,
                                BN_EPS);
        SWAP();
        conv2d_backward(ZERO(nxt, blk_cin(i) * hw), NULL, NULL, cur, a->pool[i - 1], m->P.conv_w[i],
                        1, blk_cin(i), h, h, c, a->work);
        SWAP();
    }
#undef SWAP
    int c = blk_c(block), h = blk_h(block), hw = h * h;
    const float *A = block_out(m, block);
    for (int i = 0; i < hw; i++) cam[i] = 0;
    for (int ch = 0; ch < c; ch++) {
        double s = 0;
        for (int i = 0; i < hw; i++) s += cur[(size_t)ch * hw + i];
        float alpha = (float)(s / hw);
        for (int i = 0; i < hw; i++) cam[i] += alpha * A[(size_t)ch * hw + i];
    }
    for (int i = 0; i < hw; i++) cam[i] = cam[i] > 0 ? cam[i] : 0;
    if (H) *H = h;
    if (W) *W = h;
    return 0;
}
