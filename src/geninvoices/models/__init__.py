"""Tables: WHMCS's (``whmcs``) and geninvoices' own (``own``)."""
