# recipe.sh - the shipped weights' training recipe, sourced by scripts/train-weights.sh and
# scripts/full-study.sh (the 3-seed CNN vs CNN_SE study runs exactly the recipe that makes
# weights/*.safetensors; its seed-1 runs are the shipped weights).
#   recipe_args MODEL SEED   prints the options of `excite train` for that model and seed.
# Augmentation: crop + flip, and the two a photo calls for by the robustness table
# (weights/README.md, "Robustness"): a downscale to 12-31 px and back on a quarter of the
# images, a mild blur on a tenth. CNN_SE starts its SE blocks' first linears non-negative
# (--se-positive-init), which keeps every hidden unit alive at the start (the dead-unit study).
RECIPE_EPOCHS=45
recipe_args() {
    local extra=""
    [ "$1" = cnn_se ] && extra="--se-positive-init"
    echo "--model $1 $extra --seed $2 --epochs ${EPOCHS:-$RECIPE_EPOCHS} --batch 64 --lr 0.001 --augment --aug-scale 0.25 --aug-blur 0.1 --val 5000"
}
