"""sagan_torch: a PyTorch twin of sagan-webgpu's SaGAN for training at scale with torchrun (DDP).

Same layers and parameter names as src/sagan/model.ts, the same losses, loss weights and recipe as
src/sagan/trainer.ts (the average of G's weights included), the same CelebA crop/resize and batch order
as src/sagan/data/celeba.ts and src/sagan/batches.ts, and checkpoints in sagan-webgpu's safetensors
format (src/sagan/checkpoint.ts): train here on many GPUs, edit with the WebGPU engine anywhere — or
continue here from its checkpoints.

Modules: model (G, D), losses (critic and generator losses, weights check), ema (the average of G),
trainer (the DDP training loop, checkpoints, config check), config (train's flags, new and resumed
configs), train (the command), data (CelebA folders, the engine's batch order), checkpoint and
safetensors_io (the engine's file format), forward (G on a file of inputs, for comparisons).
"""
