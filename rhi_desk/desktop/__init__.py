"""The desktop window (pywebview): the only part of RHI Desk that imports webview."""
