# MG Matting (trimap input) initialised from the ImageNet-supervised
# ResNet-34-D of GCA-Matting, as MG Matting's own recipe does
# (model_best_resnet34_En_nomixup.pth). Make the checkpoint with
#   dpt_mm.models.converters.resnet.convert_supervised(ckpt, 'mgmatting')
# (tools/model_converters/supervised2finetune.py --model mgmatting):
# RGB stem filters copied, trimap filters zero.
_base_ = './mgmatting_r34-random_4xb10-200k_comp1k.py'

experiment_name = 'mgmatting_r34-supervised_4xb10-200k_comp1k'
work_dir = f'./work_dirs/{experiment_name}'

load_from = 'checkpoints/resnet34d_in1k_mgmatting.pth'
