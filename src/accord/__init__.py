"""Accord: a shared space catalogue, conjunction screening and coordination between partners.

Layers, imports pointing downwards only::

    cli | api | web  ->  services  ->  storage  ->  policy | formats  ->  core
"""

__version__ = "0.1.0"
