"""Citizens, their children, officials and their scopes; sign-in."""
