"""``python -m rhi_desk`` is the same as ``rhi-desk``."""
from rhi_desk.cli import main

main()
