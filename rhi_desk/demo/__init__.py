"""Made-up data for a newcomer to try RHI Desk; never touches a database holding real records."""
