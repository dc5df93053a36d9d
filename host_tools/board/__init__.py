"""Reaching a board: the protocol-line and raw-REPL link over a serial port or
the virtual board's pty, the flasher, and the virtual board itself. Imports
only `host_tools.protocol` and `host_tools.paths`."""
