"""Command-line commands, one module per area (each defines ``add_to(cli)``)."""
