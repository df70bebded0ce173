"""``python -m rhi_desk`` is the same as ``rhi-desk``."""
from .cli import main

main()
