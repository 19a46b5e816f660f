# The DPT transfer experiment at demo scale (docs/experiments/
# dpt_transfer.md), about 90 min on 2 CPU cores:
#   python tools/experiments/dpt_transfer.py \
#       configs/experiments/dpt_transfer_cpu.py

pretrain_config = 'configs/demo/dpt_swin-demo_demo.py'
finetune_config = 'configs/demo/matteformer-tiny_demo.py'

# arguments of tools/dataset_converters/make_demo_data.py
data_root = 'data/dpt_transfer'
data_seed = 0
data_args = dict(
    num_in1k=1500,  # unlabeled crops of the 13 non-held-out photos
    num_train=20,  # all-labels budget: 20 foregrounds (x 2 backgrounds)
    num_scarce=4,  # scarce budget: the first 4 of them
    num_test=6,  # in-distribution test: 6 fg x 2 bg, same generator
    num_heldout=10,  # held-out test: 10 fg x 2 bg, other mattes + photos
    bg_per_test=2)

# iterations of one constant-lr run, saved at each budget (0 = no DPT)
pretrain_budgets = [0, 500, 1500, 3000]
pretrain_warmup_iters = 100
pretrain_lr = 1e-3
pretrain_seed = 0

finetune_iters = 150
finetune_warmup_iters = 15  # also MatteFormer's PRM warm-up
label_budgets = dict(scarce='comp1k_scarce', all='comp1k')
inits = ['random', 'encoder', 'encoder+decoder']
seeds = [0, 1, 2]
test_splits = dict(in_dist='comp1k', heldout='comp1k_heldout')

classical = 'closed_form'

pretrain_threads = 1
workers = 2
worker_threads = 1
