"""The fault matrix (issue 24): faults injected into private components while a steady load
runs, then what the clients were told compared with the database and the SMTP server.
``python -m bench.faults --list`` names the faults; see README.md in this folder."""
