"""Pure numerics: time, frames, propagation.  numpy, scipy, sgp4, skyfield only; no I/O."""
