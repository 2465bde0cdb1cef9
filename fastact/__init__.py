"""fastact: placeholder during bring-up."""
from ._version import __version__
