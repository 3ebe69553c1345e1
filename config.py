"""The configuration is ``registration/config.py``, which ships with the package.

This name stays for scripts run from the checkout that ``import config``.
"""

from registration.config import *  # noqa: F403
from registration.config import ConfigurationError, instance_folder, load

__all__ = ["ConfigurationError", "instance_folder", "load"]
