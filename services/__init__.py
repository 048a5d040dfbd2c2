"""Business verbs that are not HTTP.  Services never commit: the request commits once."""
