"""E-mail for the claimant: compose a message, send it over SMTP, a local SMTP sink.

Generic: nothing here imports a service. The intake `messages` feature renders the
templates and hands the result to `compose` and `SmtpSender`.
"""
