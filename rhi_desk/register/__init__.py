"""The register: children, episodes, the 72-hour clock and RHI tracking, the episode import, data quality."""
