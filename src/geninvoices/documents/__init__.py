"""Invoice documents (rules §15): HTML and PDF of an invoice, the Invoice Created email's HTML
part and attachment, and the signed links that open them. ``billing/`` never imports this."""
