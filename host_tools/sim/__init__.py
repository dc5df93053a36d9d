"""The simulated world a drop test flies through: the 1976 atmosphere, the
capsule's physics, sensor models, balloon ascents and scenario files. Imports
only `host_tools.protocol` and `host_tools.paths`."""
