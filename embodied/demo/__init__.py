"""The web demo: a page over the live agent (server.py), one session per tab (session.py); see README.md."""
