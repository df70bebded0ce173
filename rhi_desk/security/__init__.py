"""What keeps a copied file or a copied cookie from giving anything away: the password policy, the database key, private files and folders."""
