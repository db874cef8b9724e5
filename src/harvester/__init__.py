"""TikTok Domain Harvester."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("harvester")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0"
