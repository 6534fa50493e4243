"""Input/output: atomic file writes, NetCDF."""
