"""Sync between installs by file: keys and identities, the file format, packs, returns, receipts, the inbox."""
