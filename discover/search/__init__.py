"""Search stage: engine URL building, result-page parsing and block detection (see `serp`)."""
