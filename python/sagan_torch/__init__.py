"""sagan_torch: a PyTorch twin of sagan-webgpu's SaGAN for training at scale with torchrun (DDP).

Same layers and parameter names as src/sagan/model.ts, the same losses and recipe as
src/sagan/trainer.ts, the same CelebA crop/resize and batch order as src/sagan/data/celeba.ts and
src/sagan/batches.ts, and checkpoints in sagan-webgpu's safetensors format (src/sagan/checkpoint.ts):
train here on many GPUs, edit with the WebGPU engine anywhere — or continue here from its checkpoints.
"""
