"""The intelligence picture: places and people linked across children, themes by month, exploitation
screening and the Philomena Protocol profile (contextual safeguarding)."""
