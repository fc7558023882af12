"""The practitioners' questions of seeds.md (S0-S3): protocols, units and figures."""
