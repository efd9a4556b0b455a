# recipe.sh - the training recipes, in one place. Sourced by scripts/train-weights.sh and
# scripts/full-study.sh.
#   recipe_args MODEL SEED RECIPE   prints the options of `excite train` for that model and seed
#   recipe_epochs RECIPE            its number of epochs
# RECIPE (all: batch 64, Adam lr 1e-3, the last 5,000 training images for validation, random
# crop with 4-pixel padding and horizontal flip; CNN_SE in "shipped" and "photo" starts its SE
# blocks' first linears non-negative, --se-positive-init, which keeps every hidden unit alive
# at the start: the dead-unit study):
#   shipped  the recipe of weights/*.safetensors (make weights, seed 1) and of the
#            full-schedule study (scripts/full-study.sh): 60 epochs, plus the augmentations a
#            photo calls for by the robustness table (weights/README.md, "Robustness"),
#            mildly: a downscale to 12-31 px and back on a tenth of the images, a blur
#            (sigma 0.3-1.5 px) on a twentieth.
#   photo    45 epochs, the augmentations 2.5 and 2 times as often (a quarter, a tenth): more
#            robust still, but it gives up more clean accuracy (weights/README.md, "How these
#            files were made").
#   plain    crop and flip only: the recipe of the files shipped before "shipped" (git commit
#            c31a44b; the "plain" columns of the card's robustness table) and of the
#            dead-unit study's runs.
# EPOCHS overrides the recipe's number of epochs.
recipe_epochs() {
    case $1 in
        shipped) echo 60 ;;
        photo | plain) echo 45 ;;
        *) echo "recipe: unknown recipe '$1' (shipped | photo | plain)" >&2; return 1 ;;
    esac
}
recipe_args() {
    local e se=""
    e=$(recipe_epochs "$3") || return 1
    [ "$1" = cnn_se ] && se=" --se-positive-init"
    local base="--model $1 --seed $2 --epochs ${EPOCHS:-$e} --batch 64 --lr 0.001 --augment --val 5000"
    case $3 in
        plain) echo "$base" ;;
        shipped) echo "$base --aug-scale 0.1 --aug-blur 0.05$se" ;;
        photo) echo "$base --aug-scale 0.25 --aug-blur 0.1$se" ;;
    esac
}
