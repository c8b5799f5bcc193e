"""Data: the landmark layout, competition-layout files, signer splits and the shard cache."""
