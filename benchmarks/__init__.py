"""Suite definitions (``benchmarks/suites/*.toml``), their validation and planning, and performance benchmarks."""
