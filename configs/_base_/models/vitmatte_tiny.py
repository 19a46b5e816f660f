# The tiny ViTMatte of the demo and of docs/experiments/dpt_transfer_vit.md:
# 4 blocks of width 64 (global attention + residual block in 1 and 3),
# windows of 4 patches on the 8x8 grid of 128 px crops, the detail-capture
# decoder at a quarter of its widths. Its DPT pre-training and its
# fine-tuning share it, so the transfer is an identity mapping (drop path
# 0.1 in both; ViTMatte's own fine-tuning recipe has none).
vitmatte_tiny = dict(
    backbone=dict(
        arch=dict(_delete_=True, embed_dims=64, num_layers=4, num_heads=2),
        global_indices=(1, 3),
        window_size=4,
        img_size=128,
        pretrain_img_size=128,
        drop_path_rate=0.1),
    head=dict(
        in_channels=64,
        convstream_channels=(16, 32, 64),
        fusion_channels=(64, 32, 16, 16)))
