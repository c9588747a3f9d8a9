"""Dense retrieval: encoder resolution, DPR encoders and training, and the embedding step."""
