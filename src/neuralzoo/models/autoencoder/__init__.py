"""Autoencoders (自编码器): basic, denoising and sparse; stacked (greedy); deep (RBM-pretrained);
variational; semantic hashing."""

from .basic import Autoencoder, DenoisingAutoencoder, SparseAutoencoder
from .deep import DeepAutoencoder
from .hashing import SemanticHashing, hamming
from .stacked import StackedAutoencoder
from .vae import VAE

__all__ = ["VAE", "Autoencoder", "DeepAutoencoder", "DenoisingAutoencoder", "SemanticHashing",
           "SparseAutoencoder", "StackedAutoencoder", "hamming"]
