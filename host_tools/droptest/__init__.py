"""Drop tests: the runner that flies a scenario against a board, the invariants
that judge it, reports and plots, Monte Carlo and envelope campaigns, log
replay and the console fuzzer. Imports `sim`, `board`, `protocol`, `paths`."""
