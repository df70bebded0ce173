"""The guided interview: the questions as data, saving and sign-off, corrections and revisions, who may see what."""
