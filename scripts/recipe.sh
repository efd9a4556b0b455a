# recipe.sh - the training recipes, in one place. Sourced by scripts/train-weights.sh and
# scripts/full-study.sh.
#   recipe_args MODEL SEED RECIPE   prints the options of `excite train` for that model and seed
# RECIPE:
#   shipped  the recipe of weights/*.safetensors (make weights): 45 epochs, random crop with
#            4-pixel padding and horizontal flip.
#   photo    the full-schedule CNN vs CNN_SE study (scripts/full-study.sh): the same, plus the
#            augmentations a photo calls for by the robustness table (weights/README.md,
#            "Robustness"): a downscale to 12-31 px and back on a quarter of the images, a mild
#            blur on a tenth; CNN_SE starts its SE blocks' first linears non-negative
#            (--se-positive-init), which keeps every hidden unit alive at the start (the
#            dead-unit study). At 45 epochs it gives up some clean accuracy (the card says how
#            much), so it is not the shipped recipe.
RECIPE_EPOCHS=45
recipe_args() {
    local base="--model $1 --seed $2 --epochs ${EPOCHS:-$RECIPE_EPOCHS} --batch 64 --lr 0.001 --augment --val 5000"
    case $3 in
        shipped) echo "$base" ;;
        photo)
            local se=""
            [ "$1" = cnn_se ] && se=" --se-positive-init"
            echo "$base --aug-scale 0.25 --aug-blur 0.1$se" ;;
        *) echo "recipe_args: unknown recipe '$3' (shipped | photo)" >&2; return 1 ;;
    esac
}
