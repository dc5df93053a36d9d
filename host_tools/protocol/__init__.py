"""The wire between host and board, and nothing else: `#S/#Y/#G/#R` frames,
event and reply lines, beacon packets and the flight-log format. Imports only
`host_tools.paths` (for the firmware's phase table)."""
