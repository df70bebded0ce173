"""Running the hub as a service for a team: backups and restores, per-address sign-in limits, and the
information governance team's views of the audit log."""
